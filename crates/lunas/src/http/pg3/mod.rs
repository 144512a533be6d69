//! The PG3 face: Basic auth plus `x-req-signature`, and the virtual-account endpoints,
//! with every failure answered in PG3's envelope.

mod auth;
mod error;
mod va;

use std::future::Future;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;

use std::sync::Arc;

use super::AppState;
use crate::domain::Merchant;
pub use auth::SignedBody;
pub use error::Pg3Error;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/va", post(|State(s): State<AppState>, r: Request| call(s, r, va::create)))
        .route("/va/inquiry", post(|State(s): State<AppState>, r: Request| call(s, r, va::inquiry)))
        .route("/va/cancel", post(|State(s): State<AppState>, r: Request| call(s, r, va::cancel)))
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
