//! Is this callback genuine? For a merchant's endpoint: the raw headers and body of
//! an incoming SNAP notification or PG3 callback, checked in constant time.

use std::time::Duration;

use http::HeaderMap;
use lunas_protocol::crypto::{constant_time_eq, notification_string_to_sign, verify_hmac_sha512_base64};
use lunas_protocol::pg3::{MCP_SIGNATURE, SignedIds};
use lunas_protocol::snap::headers::{X_SIGNATURE, X_TIMESTAMP, X_VERSION};

/// What the merchant knows to check a callback with. `Debug` leaves the keys out.
#[derive(Clone)]
pub struct CallbackKeys {
    /// The URL the gateway posts SNAP notifications to, exactly as registered: the
    /// signature covers it.
    pub notify_url: String,
    /// SNAP's client secret (notifications are HMAC-signed with it).
    pub client_secret: String,
    /// PG3's hash key (callbacks' `mcp-signature`).
    pub hash_key: String,
    /// How far `X-TIMESTAMP` may be from now, either way.
    pub max_age: Duration,
}

impl std::fmt::Debug for CallbackKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackKeys")
            .field("notify_url", &self.notify_url)
            .field("client_secret", &"…")
            .field("hash_key", &"…")
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("X-TIMESTAMP is not an ISO-8601 time")]
    BadTimestamp,
    #[error("X-TIMESTAMP is further than the accepted age from now")]
    Stale,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the body does not carry the signed ids: {0}")]
    BadBody(String),
    /// An empty key would make a signature anyone can compute.
    #[error("no key configured to check this callback with")]
    NoKey,
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Refused> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).ok_or(Refused::MissingHeader(name))
}

/// Checks a SNAP notification: a fresh `X-TIMESTAMP` and an `X-SIGNATURE` that is
/// HMAC-SHA512 with the client secret over `notifyUrl:X-VERSION:bodyHash:X-TIMESTAMP`.
pub fn verify_snap_notification(headers: &HeaderMap, body: &[u8], keys: &CallbackKeys) -> Result<(), Refused> {
    verify_snap_notification_at(headers, body, keys, time::OffsetDateTime::now_utc())
}

/// [`verify_snap_notification`] as of `now`.
pub fn verify_snap_notification_at(
    headers: &HeaderMap,
    body: &[u8],
    keys: &CallbackKeys,
    now: time::OffsetDateTime,
) -> Result<(), Refused> {
    if keys.client_secret.is_empty() {
        return Err(Refused::NoKey);
    }
    let timestamp = header(headers, X_TIMESTAMP)?;
    let signature = header(headers, X_SIGNATURE)?;
    let version = header(headers, X_VERSION)?;
    let at = lunas_protocol::timestamp::parse(timestamp).ok_or(Refused::BadTimestamp)?;
    if (now - at).unsigned_abs() > keys.max_age {
        return Err(Refused::Stale);
    }
    let string_to_sign = notification_string_to_sign(&keys.notify_url, version, body, timestamp);
    if verify_hmac_sha512_base64(keys.client_secret.as_bytes(), &string_to_sign, signature) {
        Ok(())
    } else {
        Err(Refused::BadSignature)
    }
}

/// Checks a PG3 callback's `mcp-signature`: SHA-256 of `transaction_id` and the
/// request signature of the `external_id` and `order_id` in the body.
///
/// PG3 signs those ids only: not the status, not the amounts, not a time. A
/// verified callback says "something happened to this VA"; read what happened with
/// `va_inquiry` before fulfilling an order, and handle repeats by `transaction_id`.
pub fn verify_pg3_callback(headers: &HeaderMap, body: &[u8], keys: &CallbackKeys) -> Result<SignedIds, Refused> {
    if keys.hash_key.is_empty() {
        return Err(Refused::NoKey);
    }
    let sent = header(headers, MCP_SIGNATURE)?;
    let ids = SignedIds::from_body(body).map_err(|e| Refused::BadBody(e.to_string()))?;
    let expected = ids.callback_signature(&keys.hash_key);
    if constant_time_eq(expected.as_bytes(), sent.to_ascii_lowercase().as_bytes()) {
        Ok(ids)
    } else {
        Err(Refused::BadSignature)
    }
}
