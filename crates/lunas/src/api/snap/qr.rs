//! QRIS MPM endpoints: generate (47), query (51), cancel (77) and refund (78).

use lunas_protocol::crypto::{random_digits, sha256_hex};
use lunas_protocol::snap::codes::PROCESSED_SUCCESSFULLY;
use lunas_protocol::snap::qr::*;
use lunas_protocol::snap::{Case, Money, ResponseCode, Service};
use lunas_protocol::timestamp;

use super::{Caller, SnapError};
use crate::acquirer::QrisOrder;
use crate::api::AppState;
use crate::domain::time::to_datetime;
use crate::domain::{AmountRule, Event, Face, Instrument, NewPayment, Payment, PaymentState, Timestamp};
use crate::store::{MerchantKey, NewPaymentKey, PaymentCommand, PaymentRef, RefundCommand};

const MINUTE_MS: i64 = 60_000;
const DEFAULT_VALIDITY_MS: i64 = 15 * MINUTE_MS;
const MIN_VALIDITY_MS: i64 = 15 * MINUTE_MS;
const MAX_VALIDITY_MS: i64 = 60 * MINUTE_MS;
/// Slack for clocks and transit when a merchant asks for exactly 15 or 60 minutes.
const VALIDITY_GRACE_MS: i64 = MINUTE_MS;

fn success(service: Service) -> (String, String) {
    (ResponseCode::new(service, Case::Successful).to_string(), PROCESSED_SUCCESSFULLY.to_string())
}

/// A 22-digit reference: the Jakarta date and 14 random digits.
pub fn new_reference(now: Timestamp) -> String {
    let date = timestamp::format(to_datetime(now))[..10].replace('-', "");
    format!("{date}{}", random_digits(14))
}

/// A hash of the fields that define a request, so a retry can be told from a
/// different request reusing the same merchant reference.
fn fingerprint(parts: &[&str]) -> String {
    sha256_hex(parts.join("\u{1f}").as_bytes())
}

fn merchant_ref(caller: &Caller, refs: OriginalRefs) -> PaymentRef {
    PaymentRef::Merchant {
        face: Face::Snap,
        merchant_id: caller.merchant.id,
        key: MerchantKey::Snap { reference_no: refs.reference_no, merchant_reference: refs.partner_reference_no },
    }
}

pub fn format_time(at: Timestamp) -> String {
    timestamp::format(to_datetime(at))
}

pub async fn generate(
    state: AppState,
    caller: Caller,
    request: GenerateQrRequest,
) -> Result<GenerateQrResponse, SnapError> {
    let valid = request.validate()?;
    if valid.amount <= 0 {
        return Err(SnapError::format("amount.value"));
    }
    if valid.amount > state.config.qris.max_amount_rupiah.saturating_mul(100) {
        return Err(SnapError::plain(Case::ExceedsTransactionAmountLimit));
    }
    let now = state.clock.now();
    let expires_at = match valid.validity_period {
        None => now + DEFAULT_VALIDITY_MS,
        Some(until) => {
            let until = crate::domain::time::from_datetime(until);
            let validity = until - now;
            if !(MIN_VALIDITY_MS - VALIDITY_GRACE_MS..=MAX_VALIDITY_MS + VALIDITY_GRACE_MS).contains(&validity) {
                return Err(SnapError::format("validityPeriod"));
            }
            until
        }
    };

    let fingerprint = fingerprint(&[
        &valid.partner_reference_no,
        &valid.amount.to_string(),
        valid.terminal_id.as_deref().unwrap_or(""),
        &valid.validity_period.map(|v| v.unix_timestamp().to_string()).unwrap_or_default(),
        &valid.callback_url,
        &format!("{:?}", valid.tip),
    ]);
    // Spare the acquirer a QR for a request that will be refused; create_payment
    // checks again inside its transaction.
    let key = NewPaymentKey {
        face: Face::Snap,
        merchant_id: caller.merchant.id,
        merchant_reference: &valid.partner_reference_no,
        fingerprint: &fingerprint,
    };
    state.store.check_new_payment(key, Some(&caller.request_id)).await?;

    let reference_no = new_reference(now);
    let content = state
        .acquirer
        .issue_qris(&QrisOrder {
            merchant: &caller.merchant,
            reference_no: &reference_no,
            amount: valid.amount,
            tip: valid.tip,
            terminal_id: valid.terminal_id.as_deref(),
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "the acquirer refused a QR");
            SnapError::plain(Case::GeneralError)
        })?;
    let image = super::qr_image::png_base64(&content).map_err(|e| {
        tracing::error!(error = %e, "cannot draw the QR");
        SnapError::plain(Case::GeneralError)
    })?;

    let payment = NewPayment {
        merchant_id: caller.merchant.id,
        reference_no: reference_no.clone(),
        merchant_reference: valid.partner_reference_no.clone(),
        order_id: None,
        face: Face::Snap,
        fingerprint,
        amount: valid.amount,
        rule: AmountRule::Exact,
        multi_use: false,
        instrument: Instrument::Qris { content: content.clone(), terminal_id: valid.terminal_id.clone() },
        callback_url: valid.callback_url,
        created_at: now,
        expires_at,
    };
    state.store.create_payment(payment.into(), Some(caller.request_id)).await?;

    let (response_code, response_message) = success(Service::GenerateQr);
    Ok(GenerateQrResponse {
        response_code,
        response_message,
        reference_no,
        partner_reference_no: valid.partner_reference_no,
        qr_content: content,
        qr_image: image,
        merchant_name: caller.merchant.name.clone(),
        terminal_id: valid.terminal_id,
        additional_info: GenerateResponseInfo { validity_period: format_time(expires_at) },
    })
}

/// SNAP's view of a payment state.
fn qr_status(state: PaymentState) -> QrStatus {
    match state {
        PaymentState::Pending => QrStatus::Initiated,
        PaymentState::Paid => QrStatus::Success,
        PaymentState::PartiallyRefunded | PaymentState::Refunded => QrStatus::Refunded,
        PaymentState::Canceled => QrStatus::Canceled,
        PaymentState::Expired => QrStatus::Expired,
    }
}

fn terminal_id(payment: &Payment) -> Option<String> {
    match &payment.instrument {
        Instrument::Qris { terminal_id, .. } => terminal_id.clone(),
        Instrument::VirtualAccount(_) => None,
    }
}

/// The payment's status in SNAP's words, as query and notify report it.
pub fn status_report(payment: &Payment, state: PaymentState) -> QrStatusReport {
    let status = qr_status(state);
    QrStatusReport {
        original_reference_no: payment.reference_no.clone(),
        original_partner_reference_no: payment.merchant_reference.clone(),
        service_code: Service::GenerateQr.code().to_string(),
        latest_transaction_status: status.code().to_string(),
        transaction_status_desc: status.description().to_string(),
        paid_time: payment.paid_at.map(format_time),
        amount: Money::idr(payment.amount),
        terminal_id: terminal_id(payment),
    }
}

pub async fn query(state: AppState, caller: Caller, request: QueryQrRequest) -> Result<QueryQrResponse, SnapError> {
    let refs = request.validate()?;
    let now = state.clock.now();
    let payment = state.store.query_payment(merchant_ref(&caller, refs), caller.request_id, now).await?;
    let (response_code, response_message) = success(Service::QueryQr);
    Ok(QueryQrResponse {
        response_code,
        response_message,
        status: status_report(&payment, payment.state_at(now)),
        additional_info: StatusInfo {
            refunded_amount: (payment.refunded > 0).then(|| Money::idr(payment.refunded)),
            cancel_time: payment.canceled_at.map(format_time),
        },
    })
}

pub async fn cancel(state: AppState, caller: Caller, request: CancelQrRequest) -> Result<CancelQrResponse, SnapError> {
    let refs = request.validate()?;
    let applied = state
        .store
        .apply(PaymentCommand {
            payment: merchant_ref(&caller, refs),
            event: Event::Cancel,
            request_id: Some(caller.request_id),
            now: state.clock.now(),
        })
        .await?;
    let payment = applied.payment;
    let canceled_at = payment.canceled_at.ok_or_else(|| {
        tracing::error!(reference = %payment.reference_no, "a canceled payment has no cancel time");
        SnapError::plain(Case::GeneralError)
    })?;
    let (response_code, response_message) = success(Service::CancelQr);
    Ok(CancelQrResponse {
        response_code,
        response_message,
        original_partner_reference_no: payment.merchant_reference,
        original_reference_no: payment.reference_no,
        cancel_time: format_time(canceled_at),
        additional_info: QrTypeInfo { kind: Some(QR_TYPE_DYNAMIC.to_string()) },
    })
}

pub async fn refund(state: AppState, caller: Caller, request: RefundQrRequest) -> Result<RefundQrResponse, SnapError> {
    let valid = request.validate()?;
    let now = state.clock.now();
    let fingerprint = fingerprint(&[
        valid.reference_no.as_deref().unwrap_or(""),
        &valid.partner_reference_no,
        &valid.amount.map(|a| a.to_string()).unwrap_or_else(|| "ALL".to_string()),
        valid.reason.as_deref().unwrap_or(""),
    ]);
    let refunded = state
        .store
        .refund(RefundCommand {
            payment: PaymentRef::Merchant {
                face: Face::Snap,
                merchant_id: caller.merchant.id,
                key: match valid.reference_no {
                    Some(reference_no) => {
                        MerchantKey::Snap { reference_no, merchant_reference: valid.partner_reference_no }
                    }
                    None => MerchantKey::Reference(valid.partner_reference_no),
                },
            },
            amount: valid.amount,
            merchant_refund_no: valid.partner_refund_no,
            refund_no: new_reference(now),
            fingerprint,
            reason: valid.reason,
            request_id: caller.request_id,
            now,
        })
        .await?;
    state.outbox_wake.notify_one();
    let (response_code, response_message) = success(Service::RefundQr);
    Ok(RefundQrResponse {
        response_code,
        response_message,
        original_partner_reference_no: refunded.payment.merchant_reference,
        original_reference_no: refunded.payment.reference_no,
        refund_no: refunded.refund.refund_no,
        partner_refund_no: refunded.refund.merchant_refund_no,
        refund_amount: Money::idr(refunded.refund.amount),
        refund_time: format_time(refunded.refund.created_at),
    })
}
