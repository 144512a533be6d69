//! HTTP: the SNAP and PG3 faces, the sandbox acquirer's routes and health, on one
//! axum router. Handlers parse, call a use case, and render; nothing else.

mod dashboard;
mod examples;
pub mod metrics;
mod openapi;
mod operator;
pub mod pg3;
mod problem;
pub mod request_log;
pub mod sandbox;
pub mod snap;

use std::sync::Arc;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use lunas_protocol::pg3::Code;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::Gateway;
use crate::config::Mode;
pub use problem::{Problem, Refusals};

/// What every handler can reach.
pub type AppState = Arc<Gateway>;

pub fn router(gateway: AppState) -> Router {
    metrics::handle();
    let mut api = OpenApiRouter::with_openapi(openapi::Base::openapi())
        .routes(routes!(healthz))
        .routes(routes!(openapi::document))
        .merge(snap::routes())
        .merge(pg3::routes());
    if gateway.config.mode == Mode::Sandbox {
        api = api.merge(sandbox::routes());
    }
    // The operator API and its dashboard, and /metrics behind the same token; in the
    // sandbox without a token, /metrics is open for local use.
    let operator_api = gateway.config.operator.token.is_some();
    if operator_api {
        api = api.merge(operator::routes(&gateway));
    } else if gateway.config.mode == Mode::Sandbox {
        api = api.routes(routes!(metrics::scrape));
    }
    let (mut router, document) = api.split_for_parts();
    if operator_api {
        router = router.merge(dashboard::routes());
    }
    let document = document.to_json().expect("the OpenAPI document serialises");
    let limit = DefaultBodyLimit::max(gateway.config.max_body_bytes);
    let timeout = Duration::from_millis(gateway.config.request_timeout_ms);
    router = router
        .layer(Extension(openapi::Document(document.into())))
        .layer(limit)
        // 504, not 408: the client did nothing wrong, and a command it queued may
        // still have committed.
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout))
        .layer(CatchPanicLayer::custom(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()))
        .layer(middleware::from_fn_with_state(Arc::clone(&gateway), json_errors));
    if gateway.sandbox.is_some() {
        router = router.layer(middleware::from_fn_with_state(Arc::clone(&gateway), request_log::record));
    }
    router.layer(middleware::from_fn(metrics::observe)).layer(TraceLayer::new_for_http()).with_state(gateway)
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
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let mut answer = error_answer(&state, &family, status);
    if let Some(allow) = allow {
        answer.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    answer
}

/// The family's own error answer for an HTTP status no handler chose.
fn error_answer(state: &AppState, family: &Family, status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
    match family {
        Family::Snap => snap::framework_error(state, status),
        Family::Pg3 => {
            let code = if status.is_server_error() { Code::SystemError } else { Code::RequestParameterError };
            pg3::Pg3Error::new(status, code, reason).into_response()
        }
        Family::Other => Problem::new(status, reason.replace(' ', "_"), reason).into_response(),
    }
}

/// Liveness: `ok` while the process serves.
#[utoipa::path(get, path = "/healthz", tag = "Monitoring", responses((status = 200, description = "Serving", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}
