//! The sandbox's controls (sandbox mode only): its clock, and failures of a
//! merchant's notifications on demand.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{merchants, sandbox};
use crate::http::{AppState, Problem, Refusals};
use crate::render::sandbox::{ClockView, clock};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read_clock))
        .routes(routes!(advance_clock))
        .routes(routes!(reset_clock))
        .routes(routes!(fail_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Advance {
    /// How far forward, 1 second to 366 days.
    #[schema(example = 900)]
    seconds: i64,
}

/// The sandbox's time, and every move of it.
#[utoipa::path(
    get, path = "/sandbox/clock", tag = "Sandbox",
    responses((status = 200, description = "The sandbox's time", body = ClockView), Refusals),
)]
async fn read_clock(State(state): State<AppState>) -> Result<Json<ClockView>, Problem> {
    Ok(Json(clock(&state.clock, sandbox::tools(&state)?.moves())))
}

/// Moves the sandbox's time forward: QR and VA expiry, token lifetimes and retry
/// schedules follow; expiries it brings are recorded in the histories at once.
#[utoipa::path(
    post, path = "/sandbox/clock/advance", tag = "Sandbox",
    request_body(content = Advance, example = json!({"seconds": 900})),
    responses((status = 200, description = "The sandbox's time after the move", body = ClockView), Refusals),
)]
async fn advance_clock(State(state): State<AppState>, body: Bytes) -> Result<Json<ClockView>, Problem> {
    let Advance { seconds } = Problem::parse(&body)?;
    let ms = seconds.checked_mul(1000).ok_or_else(|| Problem::bad_request("seconds: too far"))?;
    let moves = sandbox::move_clock(&state, Some(ms)).await?;
    Ok(Json(clock(&state.clock, moves)))
}

/// Back to real time.
#[utoipa::path(
    post, path = "/sandbox/clock/reset", tag = "Sandbox",
    responses((status = 200, description = "The sandbox's time after the reset", body = ClockView), Refusals),
)]
async fn reset_clock(State(state): State<AppState>) -> Result<Json<ClockView>, Problem> {
    let moves = sandbox::move_clock(&state, None).await?;
    Ok(Json(clock(&state.clock, moves)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FailDeliveries {
    /// How many of the merchant's next delivery attempts fail; 0 stops it.
    #[schema(example = 3)]
    count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
struct Failing {
    partner_id: String,
    failures_left: u32,
}

/// The merchant's next `count` notification attempts fail: each is sent as usual,
/// then counted as failed, so the retry schedule and the merchant's handling of
/// repeated notifications can be watched.
#[utoipa::path(
    post, path = "/sandbox/merchants/{partner_id}/fail-deliveries", tag = "Sandbox",
    params(("partner_id" = String, Path, example = "MCP2026112400001")),
    request_body(content = FailDeliveries, example = json!({"count": 3})),
    responses((status = 200, description = "What is left to fail", body = Failing), Refusals),
)]
async fn fail_deliveries(
    State(state): State<AppState>,
    Path(partner_id): Path<String>,
    body: Bytes,
) -> Result<Json<Failing>, Problem> {
    let FailDeliveries { count } = Problem::parse(&body)?;
    let merchant =
        merchants::by_partner_id(&state, &partner_id).await?.ok_or_else(|| Problem::not_found("no such merchant"))?;
    let tools = sandbox::tools(&state)?;
    tools.fail_deliveries(merchant.id, count);
    Ok(Json(Failing { partner_id, failures_left: tools.failures_left(merchant.id) }))
}
