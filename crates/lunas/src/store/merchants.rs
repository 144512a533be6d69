//! Merchants, their access tokens, and the pruning of rows that can no longer matter.

use super::StoreResult;
use super::conn::Conn;
use super::model::Secrets;
use super::rows;
use super::sql::params;
use crate::domain::{Merchant, MerchantId, NewMerchant, Timestamp};

/// `X-EXTERNAL-ID`s must be unique within a day; two days covers every time zone
/// and the timestamp window.
const REQUEST_ID_RETENTION_MS: i64 = 2 * 86_400_000;

const INSERT_MERCHANT: &str = "INSERT INTO merchants (name, partner_id, client_secret, public_key_pem, callback_url,
       secret_unbound_id, hash_key, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *";
const MERCHANT_BY_PARTNER_ID: &str = "SELECT * FROM merchants WHERE partner_id = $1";
const MERCHANT_BY_ID: &str = "SELECT * FROM merchants WHERE id = $1";
const MERCHANTS: &str = "SELECT * FROM merchants ORDER BY id";
const ROTATE: &str =
    "UPDATE merchants SET client_secret = $1, secret_unbound_id = $2, hash_key = $3 WHERE partner_id = $4";
const INSERT_TOKEN: &str = "INSERT INTO access_tokens (token_hash, merchant_id, expires_at) VALUES ($1, $2, $3)";
const TOKEN: &str = "SELECT merchant_id, expires_at FROM access_tokens WHERE token_hash = $1";
const PRUNE_TOKENS: &str = "DELETE FROM access_tokens WHERE expires_at < $1";
const PRUNE_REQUEST_IDS: &str = "DELETE FROM request_ids WHERE created_at < $1";

impl Conn<'_> {
    pub fn insert_merchant(&mut self, m: &NewMerchant) -> StoreResult<Merchant> {
        let inserted = self.sql.query_opt(
            INSERT_MERCHANT,
            &params![
                &m.name,
                &m.partner_id,
                &m.client_secret,
                m.public_key_pem.as_deref(),
                m.callback_url.as_deref(),
                &m.secret_unbound_id,
                &m.hash_key,
                m.created_at,
            ],
            rows::merchant,
        )?;
        Ok(inserted.expect("INSERT … RETURNING returns the row"))
    }

    pub fn merchant_by_partner_id(&mut self, partner_id: &str) -> StoreResult<Option<Merchant>> {
        Ok(self.sql.query_opt(MERCHANT_BY_PARTNER_ID, &params![partner_id], rows::merchant)?)
    }

    pub fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<Merchant>> {
        Ok(self.sql.query_opt(MERCHANT_BY_ID, &params![id.0], rows::merchant)?)
    }

    /// Replaces the merchant's secrets; `None` for an unknown partner id.
    pub fn rotate_secrets(&mut self, partner_id: &str, secrets: &Secrets) -> StoreResult<Option<Merchant>> {
        let args = params![&secrets.client_secret, &secrets.secret_unbound_id, &secrets.hash_key, partner_id];
        if self.sql.execute(ROTATE, &args)? == 0 {
            return Ok(None);
        }
        self.merchant_by_partner_id(partner_id)
    }

    pub fn merchants(&mut self) -> StoreResult<Vec<Merchant>> {
        Ok(self.sql.query_all(MERCHANTS, &[], rows::merchant)?)
    }

    /// Keeps only a hash of each token.
    pub fn insert_token(&mut self, token_hash: &str, merchant: MerchantId, expires_at: Timestamp) -> StoreResult<()> {
        self.sql.execute(INSERT_TOKEN, &params![token_hash, merchant.0, expires_at])?;
        Ok(())
    }

    /// The merchant a token hash belongs to, and when it expires.
    pub fn token(&mut self, token_hash: &str) -> StoreResult<Option<(MerchantId, Timestamp)>> {
        Ok(self.sql.query_opt(TOKEN, &params![token_hash], |row| {
            Ok((MerchantId(row.int("merchant_id")?), row.int("expires_at")?))
        })?)
    }

    /// Deletes expired access tokens and request ids too old to collide; returns how
    /// many rows went.
    pub fn prune(&mut self, now: Timestamp) -> StoreResult<u64> {
        let tokens = self.sql.execute(PRUNE_TOKENS, &params![now])?;
        let ids = self.sql.execute(PRUNE_REQUEST_IDS, &params![now - REQUEST_ID_RETENTION_MS])?;
        Ok(tokens + ids)
    }
}
