//! axum extractors that hand a handler only callbacks whose signature verifies; the
//! others are answered 401 in the protocol's own shape before the handler runs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
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

/// Reads the body (at most [`MAX_BODY`]) and checks it with `verify` against the
/// state's keys; a refusal becomes `refuse`'s answer.
async fn verified<S, T>(
    request: Request,
    state: &S,
    verify: impl FnOnce(&HeaderMap, &[u8], &CallbackKeys) -> Result<T, Refused>,
    refuse: fn(Refused) -> Response,
) -> Result<(T, Bytes), Response>
where
    CallbackKeys: FromRef<S>,
{
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
    let verified = verify(&parts.headers, &body, &CallbackKeys::from_ref(state)).map_err(refuse)?;
    Ok((verified, body))
}

impl<S> FromRequest<S> for VerifiedSnapNotification
where
    CallbackKeys: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let ((), body) = verified(request, state, verify_snap_notification, snap_refusal).await?;
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
        let (ids, body) = verified(request, state, verify_pg3_callback, pg3_refusal).await?;
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
