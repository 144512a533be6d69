//! SNAP request authentication, in the order of snap.md §9: mandatory headers, their
//! formats, the timestamp window, the caller, the bearer token, then the signature
//! over the raw body. The body is only parsed once all of that has passed.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::HeaderMap;
use std::sync::Arc;

use lunas_protocol::crypto::{
    RsaPublicKey, asymmetric_string_to_sign, symmetric_string_to_sign, verify_hmac_sha512_base64,
};
use lunas_protocol::explain::ServiceRequest;
use lunas_protocol::snap::Case;
use lunas_protocol::snap::headers::*;
use time::OffsetDateTime;

use super::SnapError;
use crate::app::{merchants, tokens};
use crate::domain::Merchant;
use crate::http::AppState;
use crate::http::request_log::Trace;
use crate::store::RequestId;

/// An authenticated SNAP caller.
pub struct Caller {
    pub merchant: Arc<Merchant>,
    /// The `X-EXTERNAL-ID`, to be recorded with the command it belongs to.
    pub request_id: RequestId,
}

/// A header as text; a non-ASCII value is a format error of that header.
pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, SnapError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => match value.to_str() {
            Ok("") => Ok(None),
            Ok(text) => Ok(Some(text.trim())),
            Err(_) => Err(SnapError::format(name)),
        },
    }
}

pub(super) fn required_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, SnapError> {
    header(headers, name)?.ok_or_else(|| SnapError::missing(name))
}

/// The mandatory headers, checked in the order given.
pub(super) fn required_headers<'a, const N: usize>(
    headers: &'a HeaderMap,
    names: [&str; N],
) -> Result<[&'a str; N], SnapError> {
    let mut values = [""; N];
    for (value, name) in values.iter_mut().zip(names) {
        *value = required_header(headers, name)?;
    }
    Ok(values)
}

fn ensure_format(ok: bool, name: &str) -> Result<(), SnapError> {
    if ok { Ok(()) } else { Err(SnapError::format(name)) }
}

pub(super) fn check_content_type(value: &str) -> Result<(), SnapError> {
    ensure_format(lunas_protocol::validate::is_json_content_type(value), CONTENT_TYPE)
}

fn check_token_header(value: &str, name: &str, max: usize) -> Result<(), SnapError> {
    ensure_format(value.len() <= max && value.bytes().all(|b| b.is_ascii_graphic()), name)
}

/// Checks `X-TIMESTAMP` against the wall clock: the caller's clock does not follow
/// the sandbox's. Returns it as sent (signatures cover the header verbatim) and parsed.
pub(super) fn check_timestamp<'a>(state: &AppState, text: &'a str) -> Result<(&'a str, OffsetDateTime), SnapError> {
    let at = lunas_protocol::timestamp::parse(text).ok_or_else(|| SnapError::format(X_TIMESTAMP))?;
    let skew = (state.clock.wall_now_datetime() - at).abs();
    let window = time::Duration::seconds(i64::try_from(state.config.snap.timestamp_window_secs).unwrap_or(i64::MAX));
    if skew > window {
        return Err(SnapError::unauthorized("X-TIMESTAMP is outside the accepted window"));
    }
    Ok((text, at))
}

pub(super) async fn read_body(state: &AppState, body: Body) -> Result<Bytes, SnapError> {
    axum::body::to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| SnapError::new(Case::BadRequest, "(request body too large)"))
}

/// The merchant's RSA key; `header` names how the caller identified itself.
pub(super) fn public_key(merchant: &Merchant, header: &str) -> Result<RsaPublicKey, SnapError> {
    let pem = merchant
        .public_key_pem
        .as_deref()
        .ok_or_else(|| SnapError::unauthorized(&format!("No public key registered for {header}")))?;
    RsaPublicKey::from_pem(pem).map_err(|e| {
        tracing::error!(merchant = %merchant.partner_id, error = %e, "stored public key is unusable");
        SnapError::plain(Case::GeneralError)
    })
}

/// Parses `Authorization: Bearer <token>` and returns the token.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

pub async fn authenticate(state: &AppState, request: Request) -> Result<(Caller, Bytes), SnapError> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let method = parts.method.as_str();
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |p| p.as_str());

    let [timestamp, signature, partner_id, external_id, channel_id, content_type] =
        required_headers(headers, [X_TIMESTAMP, X_SIGNATURE, X_PARTNER_ID, X_EXTERNAL_ID, CHANNEL_ID, CONTENT_TYPE])?;
    check_content_type(content_type)?;
    check_token_header(partner_id, X_PARTNER_ID, X_PARTNER_ID_MAX)?;
    check_token_header(external_id, X_EXTERNAL_ID, X_EXTERNAL_ID_MAX)?;
    check_token_header(channel_id, CHANNEL_ID, CHANNEL_ID_MAX)?;
    let (timestamp, sent_at) = check_timestamp(state, timestamp)?;

    let body = read_body(state, body).await?;
    let merchant = merchants::by_partner_id(state, partner_id)
        .await?
        .ok_or_else(|| SnapError::unauthorized("Unknown X-PARTNER-ID"))?;

    // Type 1 (a token: HMAC with the client secret) or type 2 (RSA).
    let (token, key) = match header(headers, AUTHORIZATION)? {
        Some(value) => {
            let token = bearer_token(value).ok_or_else(|| SnapError::plain(Case::InvalidToken))?;
            if tokens::owner(state, token).await? != Some(merchant.id) {
                return Err(SnapError::plain(Case::InvalidToken));
            }
            (Some(token), None)
        }
        None => (None, Some(public_key(&merchant, X_PARTNER_ID)?)),
    };
    let verifies = |sts: &str| match &key {
        Some(key) => key.verify_base64(sts, signature),
        None => verify_hmac_sha512_base64(merchant.client_secret.as_bytes(), sts, signature),
    };
    let sts = match token {
        Some(token) => symmetric_string_to_sign(method, path, token, &body, timestamp),
        None => asymmetric_string_to_sign(method, path, &body, timestamp),
    };
    if !verifies(&sts) {
        Trace::explain(parts.extensions.get(), || {
            let host = header(headers, "host").ok().flatten();
            ServiceRequest { method, path, host, access_token: token, raw_body: &body, timestamp }.explain(verifies)
        });
        return Err(SnapError::unauthorized("Invalid X-SIGNATURE"));
    }

    // The day is the request's own (its X-TIMESTAMP in Jakarta time), so a request
    // replayed across midnight inside the timestamp window still collides.
    let day = lunas_protocol::timestamp::format(sent_at)[..10].to_string();
    let request_id = RequestId { merchant_id: merchant.id, day, id: external_id.to_string() };
    Ok((Caller { merchant, request_id }, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
