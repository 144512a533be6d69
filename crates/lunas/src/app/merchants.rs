//! Merchants: creating them with fresh credentials, listing them, and finding them
//! fast. Every signed request names its merchant, so lookups are cached for a short
//! while (`cache.merchant_ttl_ms`); a merchant created or changed through another
//! instance or the CLI is seen here at the latest when its entry goes stale, and a
//! new partner id at once (misses are not cached).

use std::sync::Arc;
use std::time::Duration;

use lunas_protocol::crypto::RsaPublicKey;
use lunas_protocol::validate::is_http_url;

use super::cache::TtlCache;
use super::{AppError, AppResult, Gateway};
use crate::domain::{Merchant, MerchantId, NewMerchant, generate_secret, new_partner_id};
use crate::store::{Secrets, Store};

const CAPACITY: usize = 10_000;

pub struct Directory {
    by_partner_id: TtlCache<String, Arc<Merchant>>,
    by_id: TtlCache<MerchantId, Arc<Merchant>>,
}

impl Directory {
    pub fn new(ttl: Duration) -> Self {
        Self { by_partner_id: TtlCache::new(ttl, CAPACITY), by_id: TtlCache::new(ttl, CAPACITY) }
    }

    fn remember(&self, merchant: Merchant) -> Arc<Merchant> {
        let merchant = Arc::new(merchant);
        self.by_partner_id.insert(merchant.partner_id.clone(), Arc::clone(&merchant));
        self.by_id.insert(merchant.id, Arc::clone(&merchant));
        merchant
    }
}

/// The merchant a SNAP `X-PARTNER-ID` or PG3 `merchant_id` names.
pub async fn by_partner_id(gw: &Gateway, partner_id: &str) -> AppResult<Option<Arc<Merchant>>> {
    if let Some(merchant) = gw.merchants.by_partner_id.get(partner_id) {
        return Ok(Some(merchant));
    }
    let found = gw.store.merchant_by_partner_id(partner_id).await?;
    Ok(found.map(|m| gw.merchants.remember(m)))
}

pub async fn get(gw: &Gateway, id: MerchantId) -> AppResult<Option<Arc<Merchant>>> {
    if let Some(merchant) = gw.merchants.by_id.get(&id) {
        return Ok(Some(merchant));
    }
    let found = gw.store.merchant(id).await?;
    Ok(found.map(|m| gw.merchants.remember(m)))
}

/// A merchant to create; credentials not given are generated.
pub struct MerchantRequest {
    pub name: String,
    /// SPKI or PKCS#1 PEM, for SHA256withRSA signatures.
    pub public_key_pem: Option<String>,
    /// The SNAP HMAC key.
    pub client_secret: Option<String>,
    pub callback_url: Option<String>,
}

fn invalid(reason: &str) -> AppError {
    AppError::Invalid(reason.to_string())
}

/// Creates a merchant. Its secrets are in the answer, and nowhere else ever again.
pub async fn create(store: &Store, request: MerchantRequest, now: i64) -> AppResult<Merchant> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name must be 1 to 100 characters"));
    }
    if let Some(pem) = &request.public_key_pem {
        RsaPublicKey::from_pem(pem).map_err(|e| AppError::Invalid(format!("public key: {e}")))?;
    }
    if let Some(secret) = &request.client_secret
        && !((8..=128).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(invalid("client secret must be 8 to 128 printable ASCII characters"));
    }
    if let Some(url) = &request.callback_url
        && !is_http_url(url)
    {
        return Err(invalid("callback URL must be an http(s) URL"));
    }
    let merchant = NewMerchant {
        name: name.to_string(),
        partner_id: new_partner_id(),
        client_secret: request.client_secret.unwrap_or_else(|| generate_secret(32)),
        public_key_pem: request.public_key_pem,
        callback_url: request.callback_url,
        secret_unbound_id: uuid::Uuid::new_v4().to_string(),
        hash_key: generate_secret(32),
        created_at: now,
    };
    Ok(store.insert_merchant(merchant).await?)
}

/// New secrets for a merchant, in the answer and nowhere else ever again; `None` for
/// an unknown partner id. The old ones stop working here at once, and on other
/// instances when their cached copy goes stale (`cache.merchant_ttl_ms`).
pub async fn rotate_secrets(gw: &Gateway, partner_id: &str) -> AppResult<Option<Merchant>> {
    let secrets = Secrets {
        client_secret: generate_secret(32),
        secret_unbound_id: uuid::Uuid::new_v4().to_string(),
        hash_key: generate_secret(32),
    };
    let rotated = gw.store.rotate_secrets(partner_id, secrets).await?;
    if let Some(merchant) = &rotated {
        gw.merchants.by_partner_id.remove(partner_id);
        gw.merchants.by_id.remove(&merchant.id);
    }
    Ok(rotated)
}

pub async fn list(store: &Store) -> AppResult<Vec<Merchant>> {
    Ok(store.merchants().await?)
}
