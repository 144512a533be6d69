//! The operator API under `/operator/v1`, JSON, and `/metrics`, behind the bearer
//! token of `operator.token` (off when none is configured). It calls the same
//! application functions as the CLI's `merchant` and `outbox` commands.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lunas_protocol::crypto::{constant_time_eq, sha256_hex};
use serde_json::{Value, json};

use super::AppState;
use crate::app::{AppError, deliveries, merchants, query};
use crate::domain::{DomainError, Face, PaymentState};
use crate::render::operator;
use crate::store::PaymentFilter;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/operator/v1/merchants", get(list_merchants).post(create_merchant))
        .route("/operator/v1/merchants/{partner_id}/rotate", post(rotate))
        .route("/operator/v1/payments", get(list_payments))
        .route("/operator/v1/payments/{reference}", get(payment))
        .route("/operator/v1/deliveries", get(list_deliveries))
        .route("/operator/v1/deliveries/{id}/attempts", get(attempts))
        .route("/operator/v1/deliveries/{id}/resend", post(resend))
        .route("/metrics", get(super::metrics::scrape))
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
}

/// `{"error", "message"}` with a fitting status.
struct OperatorError(StatusCode, &'static str, String);

impl IntoResponse for OperatorError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1, "message": self.2 }))).into_response()
    }
}

impl From<AppError> for OperatorError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Domain(DomainError::NotFound) => not_found("no such payment"),
            AppError::Invalid(reason) => OperatorError(StatusCode::BAD_REQUEST, "bad_request", reason),
            other => {
                tracing::error!(error = %other, "operator API failure");
                OperatorError(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error".into())
            }
        }
    }
}

fn not_found(message: &str) -> OperatorError {
    OperatorError(StatusCode::NOT_FOUND, "not_found", message.into())
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
        _ => OperatorError(StatusCode::UNAUTHORIZED, "unauthorized", "a valid operator token is required".into())
            .into_response(),
    }
}

async fn list_merchants(State(state): State<AppState>) -> Result<Json<Value>, OperatorError> {
    let list = merchants::list(&state.store).await?;
    Ok(Json(json!({ "merchants": list.iter().map(operator::merchant).collect::<Vec<_>>() })))
}

/// `{"name", "public_key_pem"?, "client_secret"?, "callback_url"?}`; the answer
/// carries the secrets, this once.
#[derive(serde::Deserialize)]
struct NewMerchantBody {
    name: String,
    public_key_pem: Option<String>,
    client_secret: Option<String>,
    callback_url: Option<String>,
}

async fn create_merchant(State(state): State<AppState>, body: axum::body::Bytes) -> Result<Response, OperatorError> {
    let body: NewMerchantBody = serde_json::from_slice(&body)
        .map_err(|e| OperatorError(StatusCode::BAD_REQUEST, "bad_request", format!("invalid body: {e}")))?;
    let request = merchants::MerchantRequest {
        name: body.name,
        public_key_pem: body.public_key_pem,
        client_secret: body.client_secret,
        callback_url: body.callback_url,
    };
    let merchant = merchants::create(&state.store, request, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(operator::credentials(&merchant))).into_response())
}

async fn rotate(State(state): State<AppState>, Path(partner_id): Path<String>) -> Result<Json<Value>, OperatorError> {
    let merchant =
        merchants::rotate_secrets(&state, &partner_id).await?.ok_or_else(|| not_found("no such merchant"))?;
    Ok(Json(operator::credentials(&merchant)))
}

/// `GET /operator/v1/payments?merchant=&state=&face=&kind=&from=&until=&reference=&cursor=&limit=`
#[derive(serde::Deserialize)]
struct ListQuery {
    merchant: Option<String>,
    state: Option<String>,
    face: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    until: Option<String>,
    reference: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

const PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

fn bad(message: String) -> OperatorError {
    OperatorError(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn parse<T>(value: Option<String>, name: &str, read: impl Fn(&str) -> Option<T>) -> Result<Option<T>, OperatorError> {
    value.map(|v| read(&v).ok_or_else(|| bad(format!("{name} is invalid")))).transpose()
}

async fn list_payments(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, OperatorError> {
    let merchant = match q.merchant {
        Some(partner_id) => {
            Some(merchants::by_partner_id(&state, &partner_id).await?.ok_or_else(|| not_found("no such merchant"))?.id)
        }
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
    let (payments, next) = query::list(&state, filter).await?;
    let now = state.clock.now();
    Ok(Json(json!({
        "payments": payments.iter().map(|p| operator::payment(p, now)).collect::<Vec<_>>(),
        "next_cursor": next,
    })))
}

/// A payment by its `referenceNo` or id, with everything that happened to it.
async fn payment(State(state): State<AppState>, Path(reference): Path<String>) -> Result<Json<Value>, OperatorError> {
    let record = query::record(&state, &reference).await?;
    Ok(Json(operator::payment_record(&record, state.clock.now())))
}

/// `GET /operator/v1/deliveries?merchant=&undelivered=true&cursor=&limit=`
#[derive(serde::Deserialize)]
struct DeliveryQuery {
    merchant: Option<String>,
    undelivered: Option<bool>,
    cursor: Option<i64>,
    limit: Option<u32>,
}

async fn list_deliveries(
    State(state): State<AppState>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<Value>, OperatorError> {
    let limit = q.limit.unwrap_or(PAGE).clamp(1, MAX_PAGE);
    let undelivered = q.undelivered.unwrap_or(false);
    let (entries, next) = deliveries::page(&state, q.merchant.as_deref(), undelivered, q.cursor, limit)
        .await?
        .ok_or_else(|| not_found("no such merchant"))?;
    Ok(Json(json!({ "deliveries": entries, "next_cursor": next })))
}

async fn attempts(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, OperatorError> {
    let attempts = deliveries::attempts(&state, id).await?;
    Ok(Json(json!({ "attempts": attempts.iter().map(operator::attempt).collect::<Vec<_>>() })))
}

async fn resend(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, OperatorError> {
    if !deliveries::resend(&state, id).await? {
        return Err(not_found("no undelivered notification with this id"));
    }
    Ok(Json(json!({ "id": id, "due": true })))
}
