//! axum extractors that hand a handler only callbacks whose signature verifies; the
//! others are answered 401 in the protocol's own shape before the handler runs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lunas_protocol::pg3::SignedIds;
use serde_json::json;

use crate::verify::{CallbackKeys, Refused, verify_pg3_callback, verify_snap_notification};

/// Largest callback body read (lunas' notifications are a few hundred bytes); a
/// larger or unreadable one is answered 400.
const MAX_BODY: usize = 64 * 1024;

/// A SNAP notification whose `X-SIGNATURE` and `X-TIMESTAMP` verified: its raw body.
pub struct VerifiedSnapNotification(pub Bytes);

/// A PG3 callback whose `mcp-signature` verified: the ids it covers, and the raw
/// body. Only the ids are signed (see [`verify_pg3_callback`]): confirm the status
/// and amounts with an inquiry before acting on them.
pub struct VerifiedPg3Callback(pub SignedIds, pub Bytes);

async fn read(request: Request) -> Result<(axum::http::request::Parts, Bytes), Response> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
    Ok((parts, body))
}

impl<S> FromRequest<S> for VerifiedSnapNotification
where
    CallbackKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (parts, body) = read(request).await?;
        verify_snap_notification(&parts.headers, &body, &CallbackKeys::from_ref(state)).map_err(snap_refusal)?;
        Ok(Self(body))
    }
}

impl<S> FromRequest<S> for VerifiedPg3Callback
where
    CallbackKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (parts, body) = read(request).await?;
        let ids = verify_pg3_callback(&parts.headers, &body, &CallbackKeys::from_ref(state)).map_err(pg3_refusal)?;
        Ok(Self(ids, body))
    }
}

/// SNAP's `401` for the notify service (52).
fn snap_refusal(refused: Refused) -> Response {
    let body = json!({"responseCode": "4015200", "responseMessage": format!("Unauthorized. {refused}")});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

fn pg3_refusal(refused: Refused) -> Response {
    let code = lunas_protocol::pg3::Code::UnauthorizedMerchant.as_str();
    let body = json!({"response_code": code, "response_message": refused.to_string()});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}
