//! HTTP: the SNAP and PG3 faces, the sandbox acquirer's routes and health, on one
//! axum router. Handlers parse, call a use case, and render; nothing else.

pub mod metrics;
mod operator;
pub mod pg3;
pub mod sandbox;
pub mod snap;

use std::sync::Arc;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lunas_protocol::pg3::Code;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::Gateway;
use crate::config::Mode;

/// What every handler can reach.
pub type AppState = Arc<Gateway>;

pub fn router(gateway: AppState) -> Router {
    metrics::handle();
    let mut router = Router::new().route("/healthz", get(healthz)).merge(snap::routes()).merge(pg3::routes());
    if gateway.config.mode == Mode::Sandbox {
        router = router.merge(sandbox::routes());
    }
    // The operator API, and /metrics behind the same token; in the sandbox without
    // a token, /metrics is open for local use.
    if gateway.config.operator.token.is_some() {
        router = router.merge(operator::routes(&gateway));
    } else if gateway.config.mode == Mode::Sandbox {
        router = router.route("/metrics", get(metrics::scrape));
    }
    let limit = DefaultBodyLimit::max(gateway.config.max_body_bytes);
    let timeout = Duration::from_millis(gateway.config.request_timeout_ms);
    router
        .layer(limit)
        // 504, not 408: the client did nothing wrong, and a command it queued may
        // still have committed.
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout))
        .layer(CatchPanicLayer::custom(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()))
        .layer(middleware::from_fn_with_state(Arc::clone(&gateway), json_errors))
        .layer(middleware::from_fn(metrics::observe))
        .layer(TraceLayer::new_for_http())
        .with_state(gateway)
}

/// The family a path belongs to, for answers no handler wrote.
enum Family {
    Snap,
    Pg3,
    /// The sandbox, health, metrics, and paths nobody serves: `{"error", "message"}`.
    Other,
}

impl Family {
    fn label(&self) -> &'static str {
        match self {
            Family::Snap => "snap",
            Family::Pg3 => "pg3",
            Family::Other => "other",
        }
    }
}

fn family(path: &str) -> Family {
    if path.starts_with("/v1.0/") || path.starts_with("/auth/") {
        Family::Snap
    } else if path == "/va" || path.starts_with("/va/") {
        Family::Pg3
    } else {
        Family::Other
    }
}

/// Every error answer is JSON in its family's shape. One the framework wrote (an
/// unknown path or method, the body limit, the timeout, a rejected extractor) is
/// replaced; handlers' own answers pass through.
async fn json_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let family = family(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(lunas_protocol::validate::is_json_content_type);
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let reason = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let mut answer = match family {
        Family::Snap => snap::framework_error(&state, status),
        Family::Pg3 => {
            let code = if status.is_server_error() { Code::SystemError } else { Code::RequestParameterError };
            pg3::Pg3Error::new(status, code, reason).into_response()
        }
        Family::Other => {
            let error = reason.replace(' ', "_");
            (status, Json(serde_json::json!({ "error": error, "message": reason }))).into_response()
        }
    };
    if let Some(allow) = allow {
        answer.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    answer
}

async fn healthz() -> &'static str {
    "ok"
}
