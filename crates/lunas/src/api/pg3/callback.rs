//! The PG3 payment callback (ifortepay.md §4.4): the VA as it stands after the payment,
//! signed with `mcp-signature`.

use lunas_protocol::pg3::va::status;
use lunas_protocol::pg3::{MCP_SIGNATURE, callback_signature, request_signature};

use super::va::va_body;
use crate::domain::{Merchant, Notice, NoticeKind};
use crate::outbox::OutboundRequest;

/// The callback for one delivery. It depends only on the notice, so every retry sends
/// the same bytes.
pub fn request(notice: &Notice, merchant: &Merchant) -> OutboundRequest {
    let payment = &notice.payment;
    // Each accepted payment is reported as PAID, whether or not it finished the VA.
    let (status, paid) = match notice.kind {
        NoticeKind::Paid { amount } => (status::PAID, Some(amount)),
        NoticeKind::Refunded { .. } => (status::REFUNDED, None),
    };
    let body = va_body(payment, payment.paid_at.unwrap_or(payment.created_at), Some(status), paid)
        .map(|va| serde_json::to_vec(&va).expect("a callback always serialises"))
        .unwrap_or_default();
    let order_id = payment.order_id.as_deref().unwrap_or("");
    let signature = request_signature(&merchant.hash_key, &payment.merchant_reference, order_id);
    OutboundRequest {
        url: payment.callback_url.clone(),
        headers: vec![(MCP_SIGNATURE, callback_signature(&payment.id.0.to_string(), &signature, None))],
        body,
    }
}
