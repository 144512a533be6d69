//! The PG3 face: Basic auth plus `x-req-signature`, and the virtual-account endpoints,
//! with every failure answered in PG3's envelope.

mod auth;
mod error;
mod va;

use std::future::Future;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lunas_protocol::pg3::ErrorResponse;
use lunas_protocol::pg3::va::{CancelVaResponse, CreateVaRequest, VaLookupRequest, VaResponse};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use std::sync::Arc;

use super::{AppState, examples};
use crate::domain::Merchant;
pub use auth::SignedBody;
pub use error::Pg3Error;

/// The headers of every PG3 request, besides `Authorization: Basic
/// base64(merchant_id:secret_unbound_id)`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by the OpenAPI document only
struct Pg3Headers {
    /// `v3`.
    #[param(rename = "x-version")]
    version: String,
    /// Lowercase hex SHA-256 of `hash_key + external_id + order_id`.
    #[param(rename = "x-req-signature")]
    signature: String,
}

/// Declares a PG3 endpoint: its handler and its OpenAPI operation.
macro_rules! endpoint {
    ($(#[$doc:meta])* $name:ident: $path:literal, $handler:path, $request:ty => $response:ty, $example:path) => {
        $(#[$doc])*
        #[utoipa::path(
            post, path = $path, tag = "PG3", params(Pg3Headers),
            request_body(content = $request, example = json!($example())),
            responses(
                (status = 200, description = "`response_code` 00", body = $response),
                (status = "4XX", description = "Refused; `response_code` says why", body = ErrorResponse),
                (status = "5XX", description = "Failed or timed out", body = ErrorResponse),
            ),
            security(("pg3_basic" = [])),
        )]
        async fn $name(State(state): State<AppState>, request: Request) -> Response {
            call(state, request, $handler).await
        }
    };
}

endpoint!(
    /// Create a virtual account.
    pg3_create_va: "/va", va::create, CreateVaRequest => VaResponse, examples::pg3_create_va
);
endpoint!(
    /// A virtual account with its payments.
    pg3_inquiry_va: "/va/inquiry", va::inquiry, VaLookupRequest => VaResponse, examples::pg3_lookup_va
);
endpoint!(
    /// Cancel an unpaid virtual account.
    pg3_cancel_va: "/va/cancel", va::cancel, VaLookupRequest => CancelVaResponse, examples::pg3_lookup_va
);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(pg3_create_va)).routes(routes!(pg3_inquiry_va)).routes(routes!(pg3_cancel_va))
}

/// Runs one PG3 endpoint: authenticate and parse, call the handler, and answer in
/// PG3's format whatever happens.
async fn call<Req, Res, F, Fut>(state: AppState, request: Request, handler: F) -> Response
where
    Req: SignedBody,
    Res: Serialize,
    F: FnOnce(AppState, Arc<Merchant>, Req) -> Fut,
    Fut: Future<Output = Result<Res, Pg3Error>>,
{
    let outcome = async {
        let (merchant, body) = auth::authenticate::<Req>(&state, request).await?;
        handler(state.clone(), merchant, body).await
    }
    .await;
    match outcome {
        Ok(response) => (StatusCode::OK, axum::Json(response)).into_response(),
        Err(error) => error.into_response(),
    }
}
