//! SNAP B2B access tokens. Only a hash of each token is stored. A token never
//! changes once issued, so an instance remembers the owner of every token it has
//! seen until the token expires; a token issued by another instance costs one read,
//! the first time.

use std::time::Duration;

use base64::Engine;
use lunas_protocol::crypto::{random_bytes, sha256_hex};

use super::cache::TtlCache;
use super::{AppResult, Gateway};
use crate::domain::{Merchant, MerchantId, Timestamp};

pub const TOKEN_TTL_SECS: i64 = 900;
const CAPACITY: usize = 100_000;

pub struct Tokens {
    /// Token hash to owner and expiry (the expiry is checked against the clock).
    owners: TtlCache<String, (MerchantId, Timestamp)>,
}

impl Default for Tokens {
    fn default() -> Self {
        // Entries outlive no token: a token lives 900 s of real time at most.
        Self { owners: TtlCache::new(Duration::from_secs(TOKEN_TTL_SECS as u64), CAPACITY) }
    }
}

/// A new token for `merchant`, valid for [`TOKEN_TTL_SECS`].
pub async fn issue(gw: &Gateway, merchant: &Merchant) -> AppResult<String> {
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(32));
    let hash = sha256_hex(token.as_bytes());
    let expires_at = gw.clock.now() + TOKEN_TTL_SECS * 1000;
    gw.store.insert_token(hash.clone(), merchant.id, expires_at).await?;
    gw.tokens.owners.insert(hash, (merchant.id, expires_at));
    Ok(token)
}

/// The merchant a live token belongs to.
pub async fn owner(gw: &Gateway, token: &str) -> AppResult<Option<MerchantId>> {
    let hash = sha256_hex(token.as_bytes());
    let known = match gw.tokens.owners.get(hash.as_str()) {
        Some(known) => Some(known),
        None => {
            let found = gw.store.token(hash.clone()).await?;
            if let Some(found) = found {
                gw.tokens.owners.insert(hash, found);
            }
            found
        }
    };
    Ok(known.filter(|(_, expires_at)| *expires_at > gw.clock.now()).map(|(merchant, _)| merchant))
}
