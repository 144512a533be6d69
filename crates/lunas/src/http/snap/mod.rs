//! The SNAP face: authentication, the access token and QRIS MPM, with every failure
//! answered in SNAP's own codes.

mod auth;
mod error;
mod qr;
mod token;
mod va;

use std::future::Future;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post, put};
use lunas_protocol::snap::Service;
use lunas_protocol::validate::parse_body;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AppState;
pub use auth::Caller;
pub use error::SnapError;

/// The handler of a transactional endpoint: `service` names it in every answer code.
macro_rules! endpoint {
    ($service:ident, $handler:path) => {
        |s: State<AppState>, r: Request| call(s, Service::$service, r, $handler)
    };
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1.0/access-token/b2b", post(token::access_token))
        .route("/auth/merchants/v1.0/access-token/b2b", post(token::access_token))
        .route("/v1.0/qr/qr-mpm-generate", post(endpoint!(GenerateQr, qr::generate)))
        .route("/v1.0/qr/qr-mpm-query", post(endpoint!(QueryQr, qr::query)))
        .route("/v1.0/qr/qr-mpm-cancel", post(endpoint!(CancelQr, qr::cancel)))
        .route("/v1.0/qr/qr-mpm-refund", post(endpoint!(RefundQr, qr::refund)))
        .route("/v1.0/transfer-va/create-va", post(endpoint!(CreateVa, va::create)))
        .route("/v1.0/transfer-va/inquiry-va", post(endpoint!(InquiryVa, va::inquiry)))
        .route("/v1.0/transfer-va/update-va", put(endpoint!(UpdateVa, va::update)))
        .route("/v1.0/transfer-va/update-status", put(endpoint!(UpdateVaStatus, va::update_status)))
        .route("/v1.0/transfer-va/status", post(endpoint!(VaStatus, va::status)))
        // The standard says DELETE with a body; iFortepay's page uses POST.
        .route(
            "/v1.0/transfer-va/delete-va",
            delete(endpoint!(DeleteVa, va::delete)).post(endpoint!(DeleteVa, va::delete)),
        )
}

/// Runs one SNAP transactional endpoint: authenticate, parse the body into `Req`,
/// call the handler, and answer in SNAP's format whatever happens.
async fn call<Req, Res, F, Fut>(
    State(state): State<AppState>,
    service: Service,
    request: Request,
    handler: F,
) -> Response
where
    Req: DeserializeOwned,
    Res: Serialize,
    F: FnOnce(AppState, Caller, Req) -> Fut,
    Fut: Future<Output = Result<Res, SnapError>>,
{
    let outcome = async {
        let (caller, body) = auth::authenticate(&state, request).await?;
        let parsed: Req = parse_body(&body)?;
        handler(state.clone(), caller, parsed).await
    }
    .await;
    match outcome {
        Ok(response) => json(StatusCode::OK, &response, &state),
        Err(error) => error.into_response(service, &state),
    }
}

/// A SNAP answer: JSON with the `X-TIMESTAMP` response header.
fn json(status: StatusCode, body: &impl Serialize, state: &AppState) -> Response {
    let timestamp = crate::render::snap::format_time(state.clock.now());
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&timestamp) {
        response.headers_mut().insert("X-TIMESTAMP", value);
    }
    response
}

/// An answer no SNAP handler wrote (unknown endpoint or method, a timeout, a body
/// over the limit), in SNAP's shape with service `00`. The HTTP status is the code's
/// first three digits, so a status the table lacks becomes its nearest row.
pub fn framework_error(state: &AppState, status: StatusCode) -> Response {
    let (status, code, message) = match status {
        StatusCode::NOT_FOUND => (status, "4040002", "Invalid Routing"),
        StatusCode::METHOD_NOT_ALLOWED => (status, "4050000", "Requested Function Is Not Supported"),
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
            (StatusCode::GATEWAY_TIMEOUT, "5040000", "Timeout")
        }
        s if s.is_client_error() => (StatusCode::BAD_REQUEST, "4000000", "Bad Request"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "5000000", "General Error"),
    };
    let body = lunas_protocol::snap::ErrorResponse { response_code: code.into(), response_message: message.into() };
    json(status, &body, state)
}
