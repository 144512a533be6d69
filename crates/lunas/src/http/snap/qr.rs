//! QRIS MPM endpoints: generate (47), query (51), cancel (77) and refund (78).

use lunas_protocol::snap::codes::PROCESSED_SUCCESSFULLY;
use lunas_protocol::snap::qr::*;
use lunas_protocol::snap::{Case, Money, ResponseCode, Service};

use super::{Caller, SnapError};
use crate::app::change::{self, Change};
use crate::app::create::{self, Created, Order, fingerprint, new_reference};
use crate::app::query;
use crate::app::refund::{self, RefundOrder};
use crate::domain::time::from_datetime;
use crate::domain::{Amount, AmountRule, DomainError, Event, Face, Instrument, Timestamp};
use crate::http::AppState;
use crate::render::qr_image;
use crate::render::snap::{format_time, status_report};
use crate::store::{MerchantKey, PaymentRef};

const MINUTE_MS: i64 = 60_000;
const DEFAULT_VALIDITY_MS: i64 = 15 * MINUTE_MS;
const MIN_VALIDITY_MS: i64 = 15 * MINUTE_MS;
const MAX_VALIDITY_MS: i64 = 60 * MINUTE_MS;
/// Slack for clocks and transit when a merchant asks for exactly 15 or 60 minutes.
const VALIDITY_GRACE_MS: i64 = MINUTE_MS;

fn success(service: Service) -> (String, String) {
    (ResponseCode::new(service, Case::Successful).to_string(), PROCESSED_SUCCESSFULLY.to_string())
}

fn merchant_ref(caller: &Caller, refs: OriginalRefs) -> PaymentRef {
    PaymentRef::Merchant {
        face: Face::Snap,
        merchant_id: caller.merchant.id,
        key: MerchantKey::Snap { reference_no: refs.reference_no, merchant_reference: refs.partner_reference_no },
    }
}

/// When the QR stops being payable: `validityPeriod` if given, 15 to 60 minutes
/// ahead; 15 minutes otherwise.
fn expiry(validity_period: Option<time::OffsetDateTime>, now: Timestamp) -> Result<Timestamp, SnapError> {
    let Some(until) = validity_period.map(from_datetime) else {
        return Ok(now + DEFAULT_VALIDITY_MS);
    };
    let allowed = MIN_VALIDITY_MS - VALIDITY_GRACE_MS..=MAX_VALIDITY_MS + VALIDITY_GRACE_MS;
    if !allowed.contains(&(until - now)) {
        return Err(SnapError::format("validityPeriod"));
    }
    Ok(until)
}

pub async fn generate(
    state: AppState,
    caller: Caller,
    request: GenerateQrRequest,
) -> Result<GenerateQrResponse, SnapError> {
    let valid = request.validate()?;
    if !valid.amount.is_positive() {
        return Err(SnapError::format("amount.value"));
    }
    let limit = Amount::from_rupiah(state.config.qris.max_amount_rupiah).unwrap_or(Amount::from_sen(i64::MAX));
    if valid.amount > limit {
        return Err(SnapError::plain(Case::ExceedsTransactionAmountLimit));
    }
    let expires_at = expiry(valid.validity_period, state.clock.now())?;
    let fingerprint = fingerprint(&[
        &valid.partner_reference_no,
        &valid.amount.sen().to_string(),
        valid.terminal_id.as_deref().unwrap_or(""),
        &valid.validity_period.map(|v| v.unix_timestamp().to_string()).unwrap_or_default(),
        &valid.callback_url,
        &format!("{:?}", valid.tip),
    ]);
    let order = Order {
        merchant: caller.merchant.clone(),
        face: Face::Snap,
        merchant_reference: valid.partner_reference_no.clone(),
        order_id: None,
        fingerprint,
        request_id: Some(caller.request_id),
        amount: valid.amount,
        rule: AmountRule::Exact,
        multi_use: false,
        callback_url: valid.callback_url,
        expires_at,
    };
    let payment = match create::qris(&state, order, valid.tip, valid.terminal_id.clone()).await? {
        Created::New(payment) => payment,
        Created::Existing(_) => return Err(DomainError::DuplicateReference.into()),
    };
    let Instrument::Qris { content, .. } = &payment.instrument else {
        tracing::error!(reference = %payment.reference_no, "a generated QR is not a QRIS");
        return Err(SnapError::plain(Case::GeneralError));
    };
    let image = qr_image::png_base64(content).map_err(|e| {
        tracing::error!(error = %e, "cannot draw the QR");
        SnapError::plain(Case::GeneralError)
    })?;
    let (response_code, response_message) = success(Service::GenerateQr);
    Ok(GenerateQrResponse {
        response_code,
        response_message,
        reference_no: payment.reference_no.clone(),
        partner_reference_no: payment.merchant_reference.clone(),
        qr_content: content.clone(),
        qr_image: image,
        merchant_name: caller.merchant.name.clone(),
        terminal_id: valid.terminal_id,
        additional_info: GenerateResponseInfo { validity_period: format_time(payment.expires_at) },
    })
}

pub async fn query(state: AppState, caller: Caller, request: QueryQrRequest) -> Result<QueryQrResponse, SnapError> {
    let refs = request.validate()?;
    let payment = query::query(&state, merchant_ref(&caller, refs), caller.request_id).await?;
    let (response_code, response_message) = success(Service::QueryQr);
    Ok(QueryQrResponse {
        response_code,
        response_message,
        status: status_report(&payment, payment.state_at(state.clock.now())),
        additional_info: StatusInfo {
            refunded_amount: payment.refunded.is_positive().then(|| Money::idr(payment.refunded)),
            cancel_time: payment.canceled_at.map(format_time),
        },
    })
}

pub async fn cancel(state: AppState, caller: Caller, request: CancelQrRequest) -> Result<CancelQrResponse, SnapError> {
    let refs = request.validate()?;
    let change = Change {
        target: merchant_ref(&caller, refs),
        event: Event::Cancel,
        request_id: Some(caller.request_id),
        merchant: caller.merchant,
        guard: None,
    };
    let payment = change::apply(&state, change).await?;
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
    let fingerprint = fingerprint(&[
        valid.reference_no.as_deref().unwrap_or(""),
        &valid.partner_reference_no,
        &valid.amount.map(|a| a.sen().to_string()).unwrap_or_else(|| "ALL".to_string()),
        valid.reason.as_deref().unwrap_or(""),
    ]);
    let key = match valid.reference_no {
        Some(reference_no) => MerchantKey::Snap { reference_no, merchant_reference: valid.partner_reference_no },
        None => MerchantKey::Reference(valid.partner_reference_no),
    };
    let order = RefundOrder {
        target: PaymentRef::Merchant { face: Face::Snap, merchant_id: caller.merchant.id, key },
        merchant: caller.merchant,
        amount: valid.amount,
        merchant_refund_no: valid.partner_refund_no,
        refund_no: new_reference(state.clock.now()),
        fingerprint,
        reason: valid.reason,
        request_id: caller.request_id,
    };
    let (payment, refund) = refund::refund(&state, order).await?;
    let (response_code, response_message) = success(Service::RefundQr);
    Ok(RefundQrResponse {
        response_code,
        response_message,
        original_partner_reference_no: payment.merchant_reference,
        original_reference_no: payment.reference_no,
        refund_no: refund.refund_no,
        partner_refund_no: refund.merchant_refund_no,
        refund_amount: Money::idr(refund.amount),
        refund_time: format_time(refund.created_at),
    })
}
