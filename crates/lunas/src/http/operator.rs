//! The operator API under `/operator/v1`, JSON, and `/metrics`, behind the bearer
//! token of `operator.token` (off when none is configured). It calls the same
//! application functions as the CLI's `merchant` and `outbox` commands.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use lunas_protocol::crypto::{constant_time_eq, sha256_hex};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, Problem, Refusals, examples};
use crate::app::sandbox::RequestFilter;
use crate::app::{deliveries, merchants, query, sandbox};
use crate::config::Mode;
use crate::domain::{Face, PaymentState};
use crate::render;
use crate::render::operator::{
    self, AttemptView, Credentials, DeliveryView, MerchantView, PaymentRecordView, PaymentView,
};
use crate::render::sandbox::{RequestSummary, RequestView};
use crate::store::PaymentFilter;

pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let mut api = OpenApiRouter::new()
        .routes(routes!(info))
        .routes(routes!(list_merchants, create_merchant))
        .routes(routes!(rotate))
        .routes(routes!(list_payments))
        .routes(routes!(payment))
        .routes(routes!(list_deliveries))
        .routes(routes!(attempts))
        .routes(routes!(resend))
        .routes(routes!(super::metrics::scrape));
    if state.sandbox.is_some() {
        api = api.routes(routes!(list_requests)).routes(routes!(request));
    }
    api.route_layer(middleware::from_fn_with_state(state.clone(), authorize))
}

#[derive(Serialize, ToSchema)]
struct Info {
    /// `sandbox` or `production`.
    mode: &'static str,
    version: &'static str,
}

/// What this instance is: the dashboard asks it first.
#[utoipa::path(
    get, path = "/operator/v1/info", tag = "Operator", security(("operator_token" = [])),
    responses((status = 200, description = "OK", body = Info), Refusals),
)]
async fn info(State(state): State<AppState>) -> Json<Info> {
    let mode = match state.config.mode {
        Mode::Sandbox => "sandbox",
        Mode::Production => "production",
    };
    Json(Info { mode, version: env!("CARGO_PKG_VERSION") })
}

/// Which logged calls to list, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RequestQuery {
    /// The `partner_id` the calls claimed.
    merchant: Option<String>,
    /// Only answers with status 400 or more.
    failed: Option<bool>,
    /// `next_cursor` of the previous page.
    cursor: Option<u64>,
    /// 1 to 500; 50 by default.
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
struct RequestPage {
    requests: Vec<RequestSummary>,
    /// Absent on the last page.
    next_cursor: Option<u64>,
}

/// The sandbox's request log: the SNAP and PG3 calls it answered (sandbox mode only).
#[utoipa::path(
    get, path = "/operator/v1/requests", tag = "Operator", security(("operator_token" = [])), params(RequestQuery),
    responses((status = 200, description = "OK", body = RequestPage), Refusals),
)]
async fn list_requests(
    State(state): State<AppState>,
    Query(q): Query<RequestQuery>,
) -> Result<Json<RequestPage>, Problem> {
    let limit = q.limit.unwrap_or(PAGE).clamp(1, MAX_PAGE) as usize;
    let filter =
        RequestFilter { partner_id: q.merchant, failed: q.failed.unwrap_or(false), before: q.cursor, limit: limit + 1 };
    let mut requests = sandbox::tools(&state)?.requests.list(&filter);
    let next_cursor = (requests.len() > limit).then(|| requests[limit - 1].id);
    requests.truncate(limit);
    Ok(Json(RequestPage { requests: requests.iter().map(render::sandbox::request_summary).collect(), next_cursor }))
}

/// One logged call in full: headers (credentials masked), body, answer, and for a
/// refused signature what lunas signed and the mistake it found.
#[utoipa::path(
    get, path = "/operator/v1/requests/{id}", tag = "Operator", security(("operator_token" = [])),
    params(("id" = u64, Path, example = 1)),
    responses((status = 200, description = "OK", body = RequestView), Refusals),
)]
async fn request(State(state): State<AppState>, Path(id): Path<u64>) -> Result<Json<RequestView>, Problem> {
    let logged =
        sandbox::tools(&state)?.requests.get(id).ok_or_else(|| Problem::not_found("no such logged request"))?;
    Ok(Json(render::sandbox::request(logged)))
}

fn no_merchant() -> Problem {
    Problem::not_found("no such merchant")
}

/// `Authorization: Bearer <operator.token>`. The digests are compared, in constant
/// time, so not even the token's length shows.
async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let expected = state.config.operator.token.as_deref().unwrap_or_default();
    let sent = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim());
    let digest = |text: &str| sha256_hex(text.as_bytes());
    match sent {
        Some(token)
            if !expected.is_empty() && constant_time_eq(digest(token).as_bytes(), digest(expected).as_bytes()) =>
        {
            next.run(request).await
        }
        _ => {
            Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid operator token is required").into_response()
        }
    }
}

#[derive(Serialize, ToSchema)]
struct MerchantList {
    merchants: Vec<MerchantView>,
}

/// Every merchant, without secrets.
#[utoipa::path(
    get, path = "/operator/v1/merchants", tag = "Operator", security(("operator_token" = [])),
    responses((status = 200, description = "OK", body = MerchantList), Refusals),
)]
async fn list_merchants(State(state): State<AppState>) -> Result<Json<MerchantList>, Problem> {
    let list = merchants::list(&state.store).await?;
    Ok(Json(MerchantList { merchants: list.iter().map(operator::merchant).collect() }))
}

/// A new merchant. Secrets not given are generated.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewMerchant {
    name: String,
    /// PEM of the merchant's RSA public key, for SNAP's asymmetric signatures.
    public_key_pem: Option<String>,
    client_secret: Option<String>,
    callback_url: Option<String>,
}

/// Create a merchant; the answer carries its secrets, this once.
#[utoipa::path(
    post, path = "/operator/v1/merchants", tag = "Operator", security(("operator_token" = [])),
    request_body(content = NewMerchant, example = json!(examples::new_merchant())),
    responses((status = 201, description = "Created", body = Credentials), Refusals),
)]
async fn create_merchant(State(state): State<AppState>, body: axum::body::Bytes) -> Result<Response, Problem> {
    let body: NewMerchant = Problem::parse(&body)?;
    let request = merchants::MerchantRequest {
        name: body.name,
        public_key_pem: body.public_key_pem,
        client_secret: body.client_secret,
        callback_url: body.callback_url,
    };
    let merchant = merchants::create(&state.store, request, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(operator::credentials(&merchant))).into_response())
}

/// New secrets for a merchant, shown this once; the old ones stop working.
#[utoipa::path(
    post, path = "/operator/v1/merchants/{partner_id}/rotate", tag = "Operator", security(("operator_token" = [])),
    params(("partner_id" = String, Path, example = "MCP2026112400001")),
    responses((status = 200, description = "OK", body = Credentials), Refusals),
)]
async fn rotate(State(state): State<AppState>, Path(partner_id): Path<String>) -> Result<Json<Credentials>, Problem> {
    let merchant = merchants::rotate_secrets(&state, &partner_id).await?.ok_or_else(no_merchant)?;
    Ok(Json(operator::credentials(&merchant)))
}

/// Filters for listing payments, newest first; every one optional.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// A merchant's `partner_id`.
    merchant: Option<String>,
    /// The stored state: `pending`, `paid`, `canceled`, `expired`, `refunded`, ...
    state: Option<String>,
    /// `snap`, `snap_va` or `pg3`.
    face: Option<String>,
    /// `qris` or `virtual_account`.
    kind: Option<String>,
    /// Created at or after (ISO-8601 with offset).
    from: Option<String>,
    /// Created before (ISO-8601 with offset).
    until: Option<String>,
    /// lunas's or the merchant's reference, exactly.
    reference: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1 to 500; 50 by default.
    limit: Option<u32>,
}

const PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

fn parse<T>(value: Option<String>, name: &str, read: impl Fn(&str) -> Option<T>) -> Result<Option<T>, Problem> {
    value.map(|v| read(&v).ok_or_else(|| Problem::bad_request(format!("{name} is invalid")))).transpose()
}

#[derive(Serialize, ToSchema)]
struct PaymentPage {
    payments: Vec<PaymentView>,
    /// Absent on the last page.
    next_cursor: Option<String>,
}

/// Payments, newest first, a page at a time.
#[utoipa::path(
    get, path = "/operator/v1/payments", tag = "Operator", security(("operator_token" = [])), params(ListQuery),
    responses((status = 200, description = "OK", body = PaymentPage), Refusals),
)]
async fn list_payments(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<PaymentPage>, Problem> {
    let merchant = match q.merchant {
        Some(partner_id) => Some(merchants::by_partner_id(&state, &partner_id).await?.ok_or_else(no_merchant)?.id),
        None => None,
    };
    let instant = |t: &str| lunas_protocol::timestamp::parse(t).map(crate::domain::time::from_datetime);
    let filter = PaymentFilter {
        merchant,
        state: parse(q.state, "state", PaymentState::parse)?,
        face: parse(q.face, "face", Face::parse)?,
        virtual_account: parse(q.kind, "kind", |k| match k {
            "qris" => Some(false),
            "virtual_account" => Some(true),
            _ => None,
        })?,
        from: parse(q.from, "from", instant)?,
        until: parse(q.until, "until", instant)?,
        reference: q.reference,
        after: q.cursor,
        limit: q.limit.unwrap_or(PAGE).clamp(1, MAX_PAGE),
    };
    let (payments, next_cursor) = query::list(&state, filter).await?;
    let now = state.clock.now();
    Ok(Json(PaymentPage { payments: payments.iter().map(|p| operator::payment(p, now)).collect(), next_cursor }))
}

/// A payment by its `referenceNo` or id, with everything that happened to it.
#[utoipa::path(
    get, path = "/operator/v1/payments/{reference}", tag = "Operator", security(("operator_token" = [])),
    params(("reference" = String, Path, description = "`referenceNo`, `transaction_id` or id", example = json!(examples::REFERENCE_NO))),
    responses((status = 200, description = "OK", body = PaymentRecordView), Refusals),
)]
async fn payment(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<PaymentRecordView>, Problem> {
    let record = query::record(&state, &reference).await?;
    Ok(Json(operator::payment_record(&record, state.clock.now())))
}

/// Which notifications to list, newest first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    /// A merchant's `partner_id`.
    merchant: Option<String>,
    /// Only those not yet delivered.
    undelivered: Option<bool>,
    /// `next_cursor` of the previous page.
    cursor: Option<i64>,
    /// 1 to 500; 50 by default.
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
struct DeliveryPage {
    deliveries: Vec<DeliveryView>,
    /// Absent on the last page.
    next_cursor: Option<i64>,
}

/// Notifications, a page at a time.
#[utoipa::path(
    get, path = "/operator/v1/deliveries", tag = "Operator", security(("operator_token" = [])), params(DeliveryQuery),
    responses((status = 200, description = "OK", body = DeliveryPage), Refusals),
)]
async fn list_deliveries(
    State(state): State<AppState>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<DeliveryPage>, Problem> {
    let limit = q.limit.unwrap_or(PAGE).clamp(1, MAX_PAGE);
    let undelivered = q.undelivered.unwrap_or(false);
    let (entries, next_cursor) =
        deliveries::page(&state, q.merchant.as_deref(), undelivered, q.cursor, limit).await?.ok_or_else(no_merchant)?;
    Ok(Json(DeliveryPage { deliveries: entries.iter().map(operator::delivery).collect(), next_cursor }))
}

#[derive(Serialize, ToSchema)]
struct AttemptList {
    attempts: Vec<AttemptView>,
}

/// Every attempt to deliver one notification, oldest first.
#[utoipa::path(
    get, path = "/operator/v1/deliveries/{id}/attempts", tag = "Operator", security(("operator_token" = [])),
    params(("id" = i64, Path, example = 1)),
    responses((status = 200, description = "OK", body = AttemptList), Refusals),
)]
async fn attempts(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<AttemptList>, Problem> {
    let attempts = deliveries::attempts(&state, id).await?;
    Ok(Json(AttemptList { attempts: attempts.iter().map(operator::attempt).collect() }))
}

#[derive(Serialize, ToSchema)]
struct Resent {
    id: i64,
    /// Always true: the notification is due now.
    due: bool,
}

/// Send a notification again, now: a failed, parked or delivered one.
#[utoipa::path(
    post, path = "/operator/v1/deliveries/{id}/resend", tag = "Operator", security(("operator_token" = [])),
    params(("id" = i64, Path, example = 1)),
    responses((status = 200, description = "OK", body = Resent), Refusals),
)]
async fn resend(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Resent>, Problem> {
    if !deliveries::resend(&state, id).await? {
        return Err(Problem::not_found("no notification with this id, or one being sent right now"));
    }
    Ok(Json(Resent { id, due: true }))
}
