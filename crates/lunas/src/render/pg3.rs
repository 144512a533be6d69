//! PG3's view of a virtual account: the body create, inquiry and the callback share,
//! and the callback request signed with `mcp-signature` (ifortepay.md §4.4).

use lunas_protocol::pg3::va::{History, OrderEcho, PaymentDetailsOut, VaBody, status};
use lunas_protocol::pg3::{BANK_TRANSFER, MCP_SIGNATURE, SignedIds};
use lunas_protocol::timestamp::format_millis;

use super::OutboundRequest;
use crate::domain::time::to_datetime;
use crate::domain::{Amount, Merchant, NoticeKind, Payment, PaymentState, Receipt, Timestamp};

/// PG3's time spelling: Jakarta time with milliseconds.
pub fn format_time(at: Timestamp) -> String {
    format_millis(to_datetime(at))
}

/// PG3's `transaction_status` for a VA's state.
pub fn va_status(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Pending => status::PENDING,
        PaymentState::Paid => status::PAID,
        PaymentState::PartiallyRefunded | PaymentState::Refunded => status::REFUNDED,
        PaymentState::Canceled => status::CANCELED,
        PaymentState::Expired => status::EXPIRED,
    }
}

/// The VA as PG3 describes it, with `status` and the amount of one payment (`paid`)
/// when a callback reports it. `None` for a payment that is not a VA.
pub fn va_body(payment: &Payment, status: &str, paid: Option<Amount>) -> Option<VaBody> {
    let va = payment.virtual_account()?;
    let order: OrderEcho = serde_json::from_value(va.order.clone()).unwrap_or_default();
    let system = payment.rule.payment_system().as_str().to_string();
    Some(VaBody {
        transaction_id: payment.id.to_string(),
        external_id: payment.merchant_reference.clone(),
        order_id: payment.order_id.clone().unwrap_or_default(),
        reference_id: payment.reference_no.clone(),
        currency: lunas_protocol::money::IDR.to_string(),
        payment_method: BANK_TRANSFER.to_string(),
        payment_channel: va.channel.clone(),
        payment_system: system.clone(),
        transaction_status: status.to_string(),
        transaction_time: format_time(payment.created_at),
        payment_details: PaymentDetailsOut {
            billing_name: va.billing_name.clone(),
            va_number: va.number.clone(),
            payment_system: system,
            is_multi_use: payment.multi_use,
            amount: payment.amount.rupiah(),
            total_amount: payment.amount.rupiah(),
            total_paid_amount: payment.received.rupiah(),
            paid_amount: paid.map(Amount::rupiah),
            paid_time: payment.paid_at.map(format_time),
            expired_time: format_time(payment.expires_at),
            transaction_description: va.description.clone(),
        },
        order,
    })
}

/// One line of an inquiry's payment history.
pub fn history(receipt: Receipt) -> History {
    History {
        transaction_status: status::PAID.to_string(),
        amount: receipt.amount.rupiah(),
        paid_time: format_time(receipt.paid_at),
        reference_id: receipt.payer.retrieval_reference_no,
    }
}

/// The callback body for a change of `payment`. Each accepted payment is reported as
/// `PAID` with its own amount, whether or not it finished the VA.
pub fn callback_body(payment: &Payment, kind: NoticeKind) -> Option<Vec<u8>> {
    let (status, paid) = match kind {
        NoticeKind::Paid { amount } => (status::PAID, Some(amount)),
        NoticeKind::Refunded { .. } => (status::REFUNDED, None),
    };
    let body = va_body(payment, status, paid)?;
    Some(serde_json::to_vec(&body).expect("a callback always serialises"))
}

/// The signed callback request. The signature has no timestamp, so every attempt
/// sends the same request.
pub fn callback_request(url: &str, body: Vec<u8>, merchant: &Merchant) -> Result<OutboundRequest, serde_json::Error> {
    let signature = SignedIds::from_body(&body)?.callback_signature(&merchant.hash_key);
    Ok(OutboundRequest { url: url.to_string(), headers: vec![(MCP_SIGNATURE, signature)], body })
}
