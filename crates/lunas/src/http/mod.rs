//! HTTP: the SNAP and PG3 faces, the sandbox acquirer's routes and health, on one
//! axum router. Handlers parse, call a use case, and render; nothing else.

pub mod pg3;
pub mod sandbox;
pub mod snap;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::app::Gateway;
use crate::config::Mode;

/// What every handler can reach.
pub type AppState = Arc<Gateway>;

pub fn router(gateway: AppState) -> Router {
    let mut router = Router::new().route("/healthz", get(healthz)).merge(snap::routes()).merge(pg3::routes());
    if gateway.config.mode == Mode::Sandbox {
        router = router.merge(sandbox::routes());
    }
    let router = router
        .fallback(|s: State<AppState>, uri: Uri| async move { unrouted(&s, &uri, StatusCode::NOT_FOUND) })
        .method_not_allowed_fallback(|s: State<AppState>, uri: Uri| async move {
            unrouted(&s, &uri, StatusCode::METHOD_NOT_ALLOWED)
        });
    let limit = DefaultBodyLimit::max(gateway.config.max_body_bytes);
    router.layer(limit).layer(TraceLayer::new_for_http()).with_state(gateway)
}

/// A path or method lunas does not serve still gets a JSON answer: SNAP's under
/// SNAP's paths, PG3's elsewhere.
fn unrouted(state: &AppState, uri: &Uri, status: StatusCode) -> Response {
    let path = uri.path();
    if path.starts_with("/v1.0/") || path.starts_with("/auth/") {
        snap::unrouted(state, status)
    } else {
        let message = if status == StatusCode::METHOD_NOT_ALLOWED { "method not allowed" } else { "path not found" };
        pg3::Pg3Error::new(status, lunas_protocol::pg3::Code::RequestParameterError, message).into_response()
    }
}

async fn healthz() -> &'static str {
    "ok"
}
