//! The sandbox acquirer's customer side (sandbox mode only): pay a QR as a wallet
//! would after scanning it, pay or expire a transaction by reference. Everything goes
//! through the same domain commands a real acquirer's reports would.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lunas_protocol::crypto::random_bytes;
use lunas_protocol::money::{format_snap_amount, parse_snap_amount};
use lunas_protocol::qris;
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::acquirer::report_payment;
use crate::domain::{DomainError, Event, Payer, Payment};
use crate::store::{PaymentCommand, PaymentRef, StoreError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sandbox/qris/pay", post(pay_qr))
        .route(
            "/sandbox/transactions/{reference_no}/pay",
            post(pay_reference),
        )
        .route("/sandbox/transactions/{reference_no}/expire", post(expire))
}

/// A sandbox failure: `{"error": "...", "message": "..."}` with a fitting status.
#[derive(Debug)]
pub struct SandboxError {
    status: StatusCode,
    error: &'static str,
    message: String,
}

impl SandboxError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "bad_request",
            message: message.into(),
        }
    }
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.error, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for SandboxError {
    fn from(e: StoreError) -> Self {
        let (status, error) = match &e {
            StoreError::Domain(DomainError::NotFound) => (StatusCode::NOT_FOUND, "not_found"),
            StoreError::Domain(DomainError::AmountMismatch { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "amount_mismatch")
            }
            StoreError::Domain(_) => (StatusCode::CONFLICT, "invalid_state"),
            StoreError::Internal(inner) => {
                tracing::error!(error = ?inner, "storage failure");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match e {
            StoreError::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        Self {
            status,
            error,
            message,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayQr {
    qr_content: String,
    issuer: Option<String>,
    customer_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayReference {
    /// Defaults to the payment's amount.
    amount: Option<String>,
    issuer: Option<String>,
    customer_name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    reference_no: String,
    partner_reference_no: String,
    status: &'static str,
    amount: String,
}

impl From<Payment> for Outcome {
    fn from(p: Payment) -> Self {
        Self {
            reference_no: p.reference_no,
            partner_reference_no: p.merchant_reference,
            status: p.state.as_str(),
            amount: format_snap_amount(p.amount),
        }
    }
}

/// An optional JSON body: empty means all defaults.
fn parse_optional<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, SandboxError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| SandboxError::bad_request(format!("invalid body: {e}")))
}

fn payer(issuer: Option<String>, customer_name: Option<String>) -> Payer {
    let digits: [u8; 8] = random_bytes(8)
        .try_into()
        .expect("eight bytes were asked for");
    Payer {
        issuer: Some(issuer.unwrap_or_else(|| "SANDBOX".to_string())),
        retrieval_reference_no: Some(format!(
            "{:012}",
            u64::from_le_bytes(digits) % 1_000_000_000_000
        )),
        customer_name,
    }
}

async fn pay(
    state: &AppState,
    reference_no: &str,
    amount: i64,
    payer: Payer,
) -> Result<Json<Outcome>, SandboxError> {
    let applied = report_payment(
        state.store.as_ref(),
        reference_no,
        amount,
        payer,
        state.clock.now(),
    )
    .await?;
    state.outbox_wake.notify_one();
    Ok(Json(applied.payment.into()))
}

async fn pay_qr(State(state): State<AppState>, body: Bytes) -> Result<Json<Outcome>, SandboxError> {
    let request: PayQr = serde_json::from_slice(&body)
        .map_err(|e| SandboxError::bad_request(format!("invalid body: {e}")))?;
    let scanned = qris::scan(&request.qr_content)
        .map_err(|e| SandboxError::bad_request(format!("qrContent: {e}")))?;
    if scanned.point_of_initiation != "12" {
        return Err(SandboxError::bad_request("qrContent: not a dynamic QRIS"));
    }
    let reference_no = scanned
        .reference_label
        .ok_or_else(|| SandboxError::bad_request("qrContent: no reference label"))?;
    let amount = scanned
        .amount
        .ok_or_else(|| SandboxError::bad_request("qrContent: no amount"))?;
    pay(
        &state,
        &reference_no,
        amount,
        payer(request.issuer, request.customer_name),
    )
    .await
}

async fn pay_reference(
    State(state): State<AppState>,
    Path(reference_no): Path<String>,
    body: Bytes,
) -> Result<Json<Outcome>, SandboxError> {
    let request: PayReference = parse_optional(&body)?;
    let amount = match request.amount {
        Some(text) => parse_snap_amount(&text)
            .ok_or_else(|| SandboxError::bad_request("amount: expected e.g. \"10000.00\""))?,
        None => {
            // The customer pays what is asked; an unknown reference is a 404 below.
            let target = PaymentRef::Acquirer {
                reference_no: reference_no.clone(),
            };
            state.store.payment(target).await?.amount
        }
    };
    pay(
        &state,
        &reference_no,
        amount,
        payer(request.issuer, request.customer_name),
    )
    .await
}

async fn expire(
    State(state): State<AppState>,
    Path(reference_no): Path<String>,
) -> Result<Json<Outcome>, SandboxError> {
    let applied = state
        .store
        .apply(PaymentCommand {
            payment: PaymentRef::Acquirer { reference_no },
            event: Event::Expire,
            request_id: None,
            now: state.clock.now(),
        })
        .await?;
    Ok(Json(applied.payment.into()))
}
