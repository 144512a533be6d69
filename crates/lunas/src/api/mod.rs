//! HTTP: the SNAP face, the sandbox acquirer's routes and health, on one axum router.

pub mod pg3;
pub mod sandbox;
pub mod snap;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::acquirer::Acquirer;
use crate::config::{Config, Mode};
use crate::domain::Clock;
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub acquirer: Arc<dyn Acquirer>,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Wakes the outbox worker after a command wrote a notification.
    pub outbox_wake: Arc<tokio::sync::Notify>,
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new().route("/healthz", get(healthz)).merge(snap::routes()).merge(pg3::routes());
    if state.config.mode == Mode::Sandbox {
        router = router.merge(sandbox::routes());
    }
    let limit = DefaultBodyLimit::max(state.config.max_body_bytes);
    router.layer(limit).layer(TraceLayer::new_for_http()).with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}
