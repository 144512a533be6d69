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
use lunas_protocol::crypto::random_digits;
use lunas_protocol::qris;
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::app::AppError;
use crate::app::change::{report_expiry, report_payment};
use crate::domain::{Amount, DomainError, Payer, Payment};
use crate::store::PaymentRef;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sandbox/qris/pay", post(pay_qr))
        .route("/sandbox/va/pay", post(pay_va))
        .route("/sandbox/transactions/{reference}/pay", post(pay_reference))
        .route("/sandbox/transactions/{reference}/expire", post(expire))
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
        Self { status: StatusCode::BAD_REQUEST, error: "bad_request", message: message.into() }
    }
}

impl IntoResponse for SandboxError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.error, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

impl From<AppError> for SandboxError {
    fn from(e: AppError) -> Self {
        let (status, error) = match &e {
            AppError::Domain(DomainError::NotFound) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Domain(
                DomainError::AmountMismatch { .. }
                | DomainError::AmountOutOfRange { .. }
                | DomainError::FractionalAmount { .. },
            ) => (StatusCode::UNPROCESSABLE_ENTITY, "amount_not_accepted"),
            AppError::Domain(_) => (StatusCode::CONFLICT, "invalid_state"),
            AppError::Invalid(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Acquirer(_) | AppError::Internal(_) => {
                tracing::error!(error = %e, "sandbox failure");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match e {
            AppError::Acquirer(_) | AppError::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        Self { status, error, message }
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PayVa {
    va_number: String,
    /// Rupiah: `"15000"` or `"15000.00"`.
    amount: String,
    issuer: Option<String>,
    customer_name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    transaction_id: String,
    reference_no: String,
    partner_reference_no: String,
    status: &'static str,
    amount: String,
    /// Money received so far.
    received: String,
}

impl From<Payment> for Outcome {
    fn from(p: Payment) -> Self {
        Self {
            transaction_id: p.id.0.to_string(),
            reference_no: p.reference_no,
            partner_reference_no: p.merchant_reference,
            status: p.state.as_str(),
            amount: p.amount.to_string(),
            received: p.received.to_string(),
        }
    }
}

/// An optional JSON body: empty means all defaults.
fn parse_optional<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, SandboxError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| SandboxError::bad_request(format!("invalid body: {e}")))
}

fn payer(issuer: Option<String>, customer_name: Option<String>) -> Payer {
    Payer {
        issuer: Some(issuer.unwrap_or_else(|| "SANDBOX".to_string())),
        retrieval_reference_no: Some(random_digits(12)),
        customer_name,
    }
}

async fn pay(
    state: &AppState,
    target: PaymentRef,
    amount: Option<Amount>,
    payer: Payer,
) -> Result<Json<Outcome>, SandboxError> {
    Ok(Json(report_payment(state, target, amount, payer).await?.into()))
}

async fn pay_qr(State(state): State<AppState>, body: Bytes) -> Result<Json<Outcome>, SandboxError> {
    let request: PayQr =
        serde_json::from_slice(&body).map_err(|e| SandboxError::bad_request(format!("invalid body: {e}")))?;
    let scanned = qris::scan(&request.qr_content).map_err(|e| SandboxError::bad_request(format!("qrContent: {e}")))?;
    if scanned.point_of_initiation != "12" {
        return Err(SandboxError::bad_request("qrContent: not a dynamic QRIS"));
    }
    let reference_no =
        scanned.reference_label.ok_or_else(|| SandboxError::bad_request("qrContent: no reference label"))?;
    let amount = scanned.amount.ok_or_else(|| SandboxError::bad_request("qrContent: no amount"))?;
    let target = PaymentRef::Acquirer { reference: reference_no };
    pay(&state, target, Some(amount), payer(request.issuer, request.customer_name)).await
}

/// A bank transfer to a virtual account, as the bank would report it.
async fn pay_va(State(state): State<AppState>, body: Bytes) -> Result<Json<Outcome>, SandboxError> {
    let request: PayVa =
        serde_json::from_slice(&body).map_err(|e| SandboxError::bad_request(format!("invalid body: {e}")))?;
    let amount = Amount::parse_rupiah(&request.amount)
        .ok_or_else(|| SandboxError::bad_request("amount: expected e.g. \"15000\""))?;
    // SNAP spells the number with its partnerServiceId padding; the bank does not.
    let number = request.va_number.replace(' ', "");
    let target = PaymentRef::VirtualAccount { number, now: state.clock.now() };
    pay(&state, target, Some(amount), payer(request.issuer, request.customer_name)).await
}

/// Pays by `referenceNo` or `transaction_id`; without an amount, what is due.
async fn pay_reference(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Json<Outcome>, SandboxError> {
    let request: PayReference = parse_optional(&body)?;
    let amount = request
        .amount
        .map(|text| {
            Amount::parse_rupiah(&text).ok_or_else(|| SandboxError::bad_request("amount: expected e.g. \"10000.00\""))
        })
        .transpose()?;
    pay(&state, PaymentRef::Acquirer { reference }, amount, payer(request.issuer, request.customer_name)).await
}

async fn expire(State(state): State<AppState>, Path(reference): Path<String>) -> Result<Json<Outcome>, SandboxError> {
    Ok(Json(report_expiry(&state, PaymentRef::Acquirer { reference }).await?.into()))
}
