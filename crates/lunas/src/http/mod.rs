//! HTTP: the SNAP and PG3 faces, the sandbox acquirer's routes and health, on one
//! axum router. Handlers parse, call a use case, and render; nothing else.

pub mod pg3;
pub mod sandbox;
pub mod snap;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
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
    let limit = DefaultBodyLimit::max(gateway.config.max_body_bytes);
    router.layer(limit).layer(TraceLayer::new_for_http()).with_state(gateway)
}

async fn healthz() -> &'static str {
    "ok"
}
