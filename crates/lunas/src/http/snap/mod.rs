//! The SNAP face: authentication, the access token and QRIS MPM, with every failure
//! answered in SNAP's own codes.

mod auth;
mod error;
mod qr;
mod token;
mod va;

use std::future::Future;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lunas_protocol::snap::qr::{
    CancelQrRequest, CancelQrResponse, GenerateQrRequest, GenerateQrResponse, QueryQrRequest, QueryQrResponse,
    RefundQrRequest, RefundQrResponse,
};
use lunas_protocol::snap::va::{
    CreateVaRequest, DeleteVaResponse, StatusRequest, StatusResponse, UpdateStatusRequest, VaLookupRequest, VaResponse,
};
use lunas_protocol::snap::{ErrorResponse, Service};
use lunas_protocol::validate::parse_body;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, examples};
pub use auth::Caller;
pub use error::SnapError;

/// The headers of every SNAP transactional request (snap.md §9).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by the OpenAPI document only
struct SnapHeaders {
    /// Local time with offset, e.g. `2026-11-24T10:00:00+07:00`; at most 5 minutes off.
    #[param(rename = "X-TIMESTAMP")]
    timestamp: String,
    /// Base64 HMAC-SHA512 (symmetric) or RSA-SHA256 (asymmetric) over the string to sign.
    #[param(rename = "X-SIGNATURE")]
    signature: String,
    /// The merchant's `partnerId`.
    #[param(rename = "X-PARTNER-ID")]
    partner_id: String,
    /// Unique per request and day; a repeat is refused.
    #[param(rename = "X-EXTERNAL-ID")]
    external_id: String,
    #[param(rename = "CHANNEL-ID")]
    channel_id: String,
}

/// Declares a transactional endpoint: a handler that runs [`call`] with `service`,
/// and its OpenAPI operation, so the two cannot disagree.
macro_rules! endpoint {
    ($(#[$doc:meta])* $name:ident: [$($method:tt)+] $path:literal, $service:ident, $handler:path,
     $request:ty => $response:ty, $example:path) => {
        $(#[$doc])*
        #[utoipa::path(
            $($method)+, path = $path, tag = "SNAP", params(SnapHeaders),
            request_body(content = $request, example = json!($example())),
            responses(
                (status = 200, description = "Processed", body = $response),
                (status = "4XX", description = "Refused; `responseCode` says why", body = ErrorResponse),
                (status = "5XX", description = "Failed or timed out", body = ErrorResponse),
            ),
            security(("snap_access_token" = [])),
        )]
        async fn $name(state: State<AppState>, request: Request) -> Response {
            call(state, Service::$service, request, $handler).await
        }
    };
}

endpoint!(
    /// Generate a dynamic QRIS (47).
    generate_qr: [post] "/v1.0/qr/qr-mpm-generate", GenerateQr, qr::generate,
    GenerateQrRequest => GenerateQrResponse, examples::generate_qr
);
endpoint!(
    /// Query a QRIS payment (51).
    query_qr: [post] "/v1.0/qr/qr-mpm-query", QueryQr, qr::query,
    QueryQrRequest => QueryQrResponse, examples::query_qr
);
endpoint!(
    /// Cancel an unpaid QRIS (77).
    cancel_qr: [post] "/v1.0/qr/qr-mpm-cancel", CancelQr, qr::cancel,
    CancelQrRequest => CancelQrResponse, examples::cancel_qr
);
endpoint!(
    /// Refund a paid QRIS, in full or in part (78).
    refund_qr: [post] "/v1.0/qr/qr-mpm-refund", RefundQr, qr::refund,
    RefundQrRequest => RefundQrResponse, examples::refund_qr
);
endpoint!(
    /// Create a virtual account (27).
    create_va: [post] "/v1.0/transfer-va/create-va", CreateVa, va::create,
    CreateVaRequest => VaResponse, examples::create_va
);
endpoint!(
    /// Inquire a virtual account (30).
    inquiry_va: [post] "/v1.0/transfer-va/inquiry-va", InquiryVa, va::inquiry,
    VaLookupRequest => VaResponse, examples::inquiry_va
);
endpoint!(
    /// Change an open virtual account's terms (28).
    update_va: [put] "/v1.0/transfer-va/update-va", UpdateVa, va::update,
    CreateVaRequest => VaResponse, examples::update_va
);
endpoint!(
    /// Mark a virtual account paid or closed (29).
    update_va_status: [put] "/v1.0/transfer-va/update-status", UpdateVaStatus, va::update_status,
    UpdateStatusRequest => VaResponse, examples::update_va_status
);
endpoint!(
    /// A virtual account's payment status (26).
    va_status: [post] "/v1.0/transfer-va/status", VaStatus, va::status,
    StatusRequest => StatusResponse, examples::va_status
);
endpoint!(
    /// Delete an unpaid virtual account (31), as the standard has it: DELETE with a body.
    delete_va: [delete] "/v1.0/transfer-va/delete-va", DeleteVa, va::delete,
    VaLookupRequest => DeleteVaResponse, examples::delete_va
);
endpoint!(
    /// Delete an unpaid virtual account (31) by POST, as iFortepay's page has it.
    delete_va_by_post: [post] "/v1.0/transfer-va/delete-va", DeleteVa, va::delete,
    VaLookupRequest => DeleteVaResponse, examples::delete_va
);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token::access_token_v1))
        .routes(routes!(token::access_token_auth))
        .routes(routes!(generate_qr))
        .routes(routes!(query_qr))
        .routes(routes!(cancel_qr))
        .routes(routes!(refund_qr))
        .routes(routes!(create_va))
        .routes(routes!(inquiry_va))
        .routes(routes!(update_va))
        .routes(routes!(update_va_status))
        .routes(routes!(va_status))
        .routes(routes!(delete_va, delete_va_by_post))
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
