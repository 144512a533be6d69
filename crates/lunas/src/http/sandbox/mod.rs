//! The sandbox acquirer's customer side (sandbox mode only): pay a QR as a wallet
//! would after scanning it, pay or expire a transaction by reference. Everything goes
//! through the same domain commands a real acquirer's reports would. The sandbox's
//! own controls (clock, failures on demand) are in `controls`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use lunas_protocol::crypto::random_digits;
use lunas_protocol::qris;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, Problem, Refusals, examples};
use crate::app::change::{report_expiry, report_payment};
use crate::domain::{Amount, Payer, Payment};
use crate::store::PaymentRef;

mod controls;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(controls::routes())
        .routes(routes!(pay_qr))
        .routes(routes!(pay_va))
        .routes(routes!(pay_reference))
        .routes(routes!(expire))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayQr {
    qr_content: String,
    issuer: Option<String>,
    customer_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayReference {
    /// Defaults to the payment's amount.
    amount: Option<String>,
    issuer: Option<String>,
    customer_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PayVa {
    va_number: String,
    /// Rupiah: `"15000"` or `"15000.00"`.
    amount: String,
    issuer: Option<String>,
    customer_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
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
fn parse_optional<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    Problem::parse(body)
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
) -> Result<Json<Outcome>, Problem> {
    Ok(Json(report_payment(state, target, amount, payer).await?.into()))
}

#[utoipa::path(
    post, path = "/sandbox/qris/pay", tag = "Sandbox",
    request_body(content = PayQr, example = json!(examples::sandbox_pay_qr())),
    responses(
        (status = 200, description = "The payment after the report", body = Outcome),
        Refusals,
    ),
)]
async fn pay_qr(State(state): State<AppState>, body: Bytes) -> Result<Json<Outcome>, Problem> {
    let request: PayQr = Problem::parse(&body)?;
    let scanned = qris::scan(&request.qr_content).map_err(|e| Problem::bad_request(format!("qrContent: {e}")))?;
    if scanned.point_of_initiation != "12" {
        return Err(Problem::bad_request("qrContent: not a dynamic QRIS"));
    }
    let reference_no = scanned.reference_label.ok_or_else(|| Problem::bad_request("qrContent: no reference label"))?;
    let amount = scanned.amount.ok_or_else(|| Problem::bad_request("qrContent: no amount"))?;
    let target = PaymentRef::Acquirer { reference: reference_no };
    pay(&state, target, Some(amount), payer(request.issuer, request.customer_name)).await
}

/// A bank transfer to a virtual account, as the bank would report it.
#[utoipa::path(
    post, path = "/sandbox/va/pay", tag = "Sandbox",
    request_body(content = PayVa, example = json!(examples::sandbox_pay_va())),
    responses(
        (status = 200, description = "The payment after the report", body = Outcome),
        Refusals,
    ),
)]
async fn pay_va(State(state): State<AppState>, body: Bytes) -> Result<Json<Outcome>, Problem> {
    let request: PayVa = Problem::parse(&body)?;
    let amount =
        Amount::parse_rupiah(&request.amount).ok_or_else(|| Problem::bad_request("amount: expected e.g. \"15000\""))?;
    // SNAP spells the number with its partnerServiceId padding; the bank does not.
    let number = request.va_number.replace(' ', "");
    let target = PaymentRef::VirtualAccount { number, now: state.clock.now() };
    pay(&state, target, Some(amount), payer(request.issuer, request.customer_name)).await
}

/// Pays by `referenceNo` or `transaction_id`; without an amount, what is due.
#[utoipa::path(
    post, path = "/sandbox/transactions/{reference}/pay", tag = "Sandbox",
    params(("reference" = String, Path, description = "`referenceNo` or `transaction_id`", example = json!(examples::REFERENCE_NO))),
    request_body(content = Option<PayReference>, description = "Optional; empty pays what is due",
        example = json!(examples::sandbox_pay_reference())),
    responses(
        (status = 200, description = "The payment after the report", body = Outcome),
        Refusals,
    ),
)]
async fn pay_reference(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Json<Outcome>, Problem> {
    let request: PayReference = parse_optional(&body)?;
    let amount = request
        .amount
        .map(|text| {
            Amount::parse_rupiah(&text).ok_or_else(|| Problem::bad_request("amount: expected e.g. \"10000.00\""))
        })
        .transpose()?;
    pay(&state, PaymentRef::Acquirer { reference }, amount, payer(request.issuer, request.customer_name)).await
}

#[utoipa::path(
    post, path = "/sandbox/transactions/{reference}/expire", tag = "Sandbox",
    params(("reference" = String, Path, description = "`referenceNo` or `transaction_id`", example = json!(examples::REFERENCE_NO))),
    responses(
        (status = 200, description = "The payment after the report", body = Outcome),
        Refusals,
    ),
)]
async fn expire(State(state): State<AppState>, Path(reference): Path<String>) -> Result<Json<Outcome>, Problem> {
    Ok(Json(report_expiry(&state, PaymentRef::Acquirer { reference }).await?.into()))
}
