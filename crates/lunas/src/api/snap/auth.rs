//! SNAP request authentication, in the order of snap.md §9: mandatory headers, their
//! formats, the timestamp window, the caller, the bearer token, then the signature
//! over the raw body. The body is only parsed once all of that has passed.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::HeaderMap;
use lunas_protocol::crypto::{
    RsaPublicKey, asymmetric_string_to_sign, sha256_hex, symmetric_string_to_sign,
    verify_hmac_sha512_base64,
};
use lunas_protocol::snap::Case;
use lunas_protocol::snap::headers::*;

use super::SnapError;
use crate::api::AppState;
use crate::domain::Merchant;
use crate::store::RequestId;

/// An authenticated SNAP caller.
pub struct Caller {
    pub merchant: Merchant,
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

pub(super) fn required_header<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<&'a str, SnapError> {
    header(headers, name)?.ok_or_else(|| SnapError::missing(name))
}

fn ensure_format(ok: bool, name: &str) -> Result<(), SnapError> {
    if ok {
        Ok(())
    } else {
        Err(SnapError::format(name))
    }
}

fn is_printable_token(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic())
}

/// Checks `X-TIMESTAMP` against the clock and returns it as sent (signatures cover
/// the header verbatim).
pub(super) fn check_timestamp<'a>(
    state: &AppState,
    headers: &'a HeaderMap,
) -> Result<&'a str, SnapError> {
    let text = required_header(headers, X_TIMESTAMP)?;
    let at =
        lunas_protocol::timestamp::parse(text).ok_or_else(|| SnapError::format(X_TIMESTAMP))?;
    let skew = (state.clock.now_datetime() - at).abs();
    let window = time::Duration::seconds(
        i64::try_from(state.config.snap.timestamp_window_secs).unwrap_or(i64::MAX),
    );
    if skew > window {
        return Err(SnapError::unauthorized(
            "X-TIMESTAMP is outside the accepted window",
        ));
    }
    Ok(text)
}

pub(super) async fn read_body(state: &AppState, request: Request) -> Result<Bytes, SnapError> {
    axum::body::to_bytes(request.into_body(), state.config.max_body_bytes)
        .await
        .map_err(|_| SnapError::new(Case::BadRequest, "(request body too large)"))
}

/// Parses `Authorization: Bearer <token>` and returns the token.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

pub async fn authenticate(
    state: &AppState,
    request: Request,
) -> Result<(Caller, Bytes), SnapError> {
    let headers = request.headers().clone();
    let method = request.method().as_str().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path().to_string(), |p| p.to_string());

    for name in [
        X_TIMESTAMP,
        X_SIGNATURE,
        X_PARTNER_ID,
        X_EXTERNAL_ID,
        CHANNEL_ID,
        CONTENT_TYPE,
    ] {
        required_header(&headers, name)?;
    }
    let signature = required_header(&headers, X_SIGNATURE)?;
    let partner_id = required_header(&headers, X_PARTNER_ID)?;
    let external_id = required_header(&headers, X_EXTERNAL_ID)?;
    let channel_id = required_header(&headers, CHANNEL_ID)?;
    let content_type = required_header(&headers, CONTENT_TYPE)?;
    ensure_format(
        content_type
            .to_ascii_lowercase()
            .starts_with("application/json"),
        CONTENT_TYPE,
    )?;
    ensure_format(
        partner_id.len() <= X_PARTNER_ID_MAX && is_printable_token(partner_id),
        X_PARTNER_ID,
    )?;
    ensure_format(
        external_id.len() <= X_EXTERNAL_ID_MAX && is_printable_token(external_id),
        X_EXTERNAL_ID,
    )?;
    ensure_format(
        channel_id.len() <= CHANNEL_ID_MAX && is_printable_token(channel_id),
        CHANNEL_ID,
    )?;
    let timestamp = check_timestamp(state, &headers)?;

    let body = read_body(state, request).await?;
    let merchant = state
        .store
        .merchant_by_partner_id(partner_id)
        .await?
        .ok_or_else(|| SnapError::unauthorized("Unknown X-PARTNER-ID"))?;

    let verified = match header(&headers, AUTHORIZATION)? {
        Some(value) => {
            let token = bearer_token(value).ok_or_else(|| SnapError::plain(Case::InvalidToken))?;
            let owner = state
                .store
                .merchant_for_token(&sha256_hex(token.as_bytes()), state.clock.now())
                .await?;
            if owner != Some(merchant.id) {
                return Err(SnapError::plain(Case::InvalidToken));
            }
            let sts = symmetric_string_to_sign(&method, &path, token, &body, timestamp);
            verify_hmac_sha512_base64(merchant.client_secret.as_bytes(), &sts, signature)
        }
        None => {
            let pem = merchant.public_key_pem.as_deref().ok_or_else(|| {
                SnapError::unauthorized("No public key registered for X-PARTNER-ID")
            })?;
            let key = RsaPublicKey::from_pem(pem).map_err(|e| {
                tracing::error!(merchant = %merchant.partner_id, error = %e, "stored public key is unusable");
                SnapError::plain(Case::GeneralError)
            })?;
            key.verify_base64(
                &asymmetric_string_to_sign(&method, &path, &body, timestamp),
                signature,
            )
        }
    };
    if !verified {
        return Err(SnapError::unauthorized("Invalid X-SIGNATURE"));
    }

    let day = lunas_protocol::timestamp::format(state.clock.now_datetime())[..10].to_string();
    let request_id = RequestId {
        merchant_id: merchant.id,
        day,
        id: external_id.to_string(),
    };
    Ok((
        Caller {
            merchant,
            request_id,
        },
        body,
    ))
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
