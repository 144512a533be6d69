//! Payment notification (service 52): the body lunas posts to the merchant's
//! `callbackUrl`, signed the iFortepay way (ifortepay.md §3.6).

use lunas_protocol::crypto::{hmac_sha512_base64, notification_string_to_sign};
use lunas_protocol::snap::codes::PROCESSED_SUCCESSFULLY;
use lunas_protocol::snap::headers::{
    NOTIFICATION_VERSION, X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP, X_VERSION,
};
use lunas_protocol::snap::qr::{NotificationInfo, QrNotification};
use lunas_protocol::snap::{Case, Money, ResponseCode, Service};

use super::qr::{format_time, status_report};
use crate::domain::{Merchant, Notice, NoticeKind};
use crate::outbox::OutboundRequest;

/// The notification body. It depends only on the notice, so every retry of one
/// delivery sends the same bytes.
pub fn body(notice: &Notice, merchant: &Merchant) -> Vec<u8> {
    let payment = &notice.payment;
    let payer = payment.payer.clone().unwrap_or_default();
    let refund = match notice.kind {
        NoticeKind::Paid { .. } => None,
        NoticeKind::Refunded { .. } => notice.refund.as_ref(),
    };
    let notification = QrNotification {
        response_code: ResponseCode::new(Service::NotifyQr, Case::Successful).to_string(),
        response_message: PROCESSED_SUCCESSFULLY.to_string(),
        status: status_report(payment, payment.state),
        additional_info: NotificationInfo {
            merchant_id: merchant.partner_id.clone(),
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

/// The signed request for one delivery attempt; the timestamp is fresh each time.
pub fn request(notice: &Notice, merchant: &Merchant, delivery_id: i64, attempt: u32, now: i64) -> OutboundRequest {
    let body = body(notice, merchant);
    let url = notice.payment.callback_url.clone();
    let timestamp = format_time(now);
    let string_to_sign = notification_string_to_sign(&url, NOTIFICATION_VERSION, &body, &timestamp);
    let signature = hmac_sha512_base64(merchant.client_secret.as_bytes(), &string_to_sign);
    OutboundRequest {
        url,
        headers: vec![
            (X_TIMESTAMP, timestamp),
            (X_SIGNATURE, signature),
            (X_VERSION, NOTIFICATION_VERSION.to_string()),
            (X_PARTNER_ID, merchant.partner_id.clone()),
            (X_EXTERNAL_ID, format!("{delivery_id:012}{attempt:04}")),
        ],
        body,
    }
}
