//! SNAP's view of a payment: the QR status report of query (51) and notify (52), and
//! the notification request, signed the iFortepay way (ifortepay.md §3.6).

use lunas_protocol::snap::codes::PROCESSED_SUCCESSFULLY;
use lunas_protocol::snap::qr::{NotificationInfo, QrNotification, QrStatus, QrStatusReport};
use lunas_protocol::snap::{Case, Money, ResponseCode, Service, notification_headers};

use super::OutboundRequest;
use crate::domain::time::to_datetime;
use crate::domain::{Merchant, NoticeKind, Payment, PaymentState, Refund, Timestamp};

/// SNAP's time spelling: Jakarta time to the second.
pub fn format_time(at: Timestamp) -> String {
    lunas_protocol::timestamp::format(to_datetime(at))
}

pub fn qr_status(state: PaymentState) -> QrStatus {
    match state {
        PaymentState::Pending => QrStatus::Initiated,
        PaymentState::Paid => QrStatus::Success,
        PaymentState::PartiallyRefunded | PaymentState::Refunded => QrStatus::Refunded,
        PaymentState::Canceled => QrStatus::Canceled,
        PaymentState::Expired => QrStatus::Expired,
    }
}

/// The payment's status in SNAP's words, as it stands in `state`.
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
        terminal_id: payment.terminal_id().map(str::to_string),
    }
}

/// The notification body for a change of `payment`, as the merchant will receive it.
pub fn notification_body(payment: &Payment, kind: NoticeKind, refund: Option<&Refund>, partner_id: &str) -> Vec<u8> {
    let payer = payment.payer.clone().unwrap_or_default();
    let refund = match kind {
        NoticeKind::Paid { .. } => None,
        NoticeKind::Refunded { .. } => refund,
    };
    let notification = QrNotification {
        response_code: ResponseCode::new(Service::NotifyQr, Case::Successful).to_string(),
        response_message: PROCESSED_SUCCESSFULLY.to_string(),
        status: status_report(payment, payment.state),
        additional_info: NotificationInfo {
            merchant_id: partner_id.to_string(),
            payment_channel: "QRIS".to_string(),
            issuer: payer.issuer,
            retrieval_reference_no: payer.retrieval_reference_no,
            customer_name: payer.customer_name,
            refund_no: refund.map(|r| r.refund_no.clone()),
            partner_refund_no: refund.map(|r| r.merchant_refund_no.clone()),
            refund_amount: refund.map(|r| Money::idr(r.amount)),
            refunded_amount: refund.map(|_| Money::idr(payment.refunded)),
            refund_time: refund.map(|r| format_time(r.created_at)),
        },
    };
    serde_json::to_vec(&notification).expect("a notification always serialises")
}

/// The signed request for one attempt. `X-TIMESTAMP` is the attempt's own, and
/// `X-EXTERNAL-ID` (the delivery's id and the attempt's number) is unique per attempt.
pub fn notification_request(
    url: &str,
    body: Vec<u8>,
    merchant: &Merchant,
    delivery_id: i64,
    attempt: u32,
    now: Timestamp,
) -> OutboundRequest {
    let timestamp = format_time(now);
    let external_id = format!("{delivery_id:012}{attempt:04}");
    let headers =
        notification_headers(url, &body, &merchant.partner_id, &merchant.client_secret, &timestamp, external_id);
    OutboundRequest { url: url.to_string(), headers, body }
}
