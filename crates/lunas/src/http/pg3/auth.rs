//! PG3 authentication: `Content-Type` and `x-version`, then `Authorization: Basic
//! base64(merchant_id:secret_unbound_id)`, then `x-req-signature` = SHA-256 of
//! `hash_key + external_id + order_id` taken from the body. All comparisons are
//! constant-time.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::HeaderMap;
use lunas_protocol::crypto::constant_time_eq;
use lunas_protocol::explain::explain_pg3;
use lunas_protocol::pg3::{VERSION, X_REQ_SIGNATURE, X_VERSION, parse_basic_authorization, request_signature};
use lunas_protocol::validate::{FieldError, parse_body};
use serde::de::DeserializeOwned;

use super::Pg3Error;
use crate::app::merchants;
use crate::domain::Merchant;
use crate::http::AppState;
use crate::http::request_log::Trace;

/// A request body that names the order the signature covers.
pub trait SignedBody: DeserializeOwned {
    fn external_id(&self) -> &Option<String>;
    fn order_id(&self) -> &Option<String>;
}

impl SignedBody for lunas_protocol::pg3::va::CreateVaRequest {
    fn external_id(&self) -> &Option<String> {
        &self.external_id
    }
    fn order_id(&self) -> &Option<String> {
        &self.order_id
    }
}

impl SignedBody for lunas_protocol::pg3::va::VaLookupRequest {
    fn external_id(&self) -> &Option<String> {
        &self.external_id
    }
    fn order_id(&self) -> &Option<String> {
        &self.order_id
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

pub async fn authenticate<Req: SignedBody>(
    state: &AppState,
    request: Request,
) -> Result<(Arc<Merchant>, Req), Pg3Error> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let content_type =
        header(headers, "Content-Type").ok_or_else(|| Pg3Error::parameter("Content-Type is required"))?;
    if !lunas_protocol::validate::is_json_content_type(content_type) {
        return Err(Pg3Error::parameter("Content-Type is invalid"));
    }
    match header(headers, X_VERSION) {
        None => return Err(Pg3Error::parameter("x-version is required")),
        Some(version) if version != VERSION => return Err(Pg3Error::parameter("x-version is invalid")),
        Some(_) => {}
    }

    let (merchant_id, secret) = header(headers, "Authorization")
        .and_then(parse_basic_authorization)
        .ok_or_else(|| Pg3Error::unauthorized("Authorization is invalid"))?;
    let merchant = merchants::by_partner_id(state, &merchant_id)
        .await?
        .filter(|m| constant_time_eq(m.secret_unbound_id.as_bytes(), secret.as_bytes()))
        .ok_or_else(|| Pg3Error::unauthorized("Authorization is invalid"))?;

    let body = axum::body::to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| Pg3Error::parameter("request body is too large"))?;
    let parsed: Req = parse_body(&body)?;
    let external_id = parsed.external_id().as_deref().ok_or_else(|| FieldError::missing("external_id"))?;
    let order_id = parsed.order_id().as_deref().ok_or_else(|| FieldError::missing("order_id"))?;
    let sent = header(headers, X_REQ_SIGNATURE).ok_or_else(|| Pg3Error::unauthorized("x-req-signature is required"))?;
    let expected = request_signature(&merchant.hash_key, external_id, order_id);
    if !constant_time_eq(expected.as_bytes(), sent.to_ascii_lowercase().as_bytes()) {
        Trace::explain(parts.extensions.get(), || {
            explain_pg3(external_id, order_id, sent, |text| request_signature(&merchant.hash_key, text, ""))
        });
        return Err(Pg3Error::unauthorized("x-req-signature is invalid"));
    }
    Ok((merchant, parsed))
}
