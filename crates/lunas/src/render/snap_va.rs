//! SNAP's view of a virtual account: the `virtualAccountData` of create, inquiry,
//! delete and inquiry status, and the payment flag (25) sent for each payment. The
//! request is signed like every SNAP notification ([`super::snap::notification_request`]).

use lunas_protocol::snap::Money;
use lunas_protocol::snap::va::{
    EchoOut, IdentityOut, PaymentNotification, PaymentStatus, Reason, VaData, VaEcho, VaInfo,
};

use super::snap::format_time;
use crate::domain::{AmountRule, NoticeKind, Payment, PaymentState, Timestamp};

/// What lunas kept of the create, or `None` for a payment that is not a SNAP VA.
pub fn echo(payment: &Payment) -> Option<VaEcho> {
    serde_json::from_value(payment.virtual_account()?.order.clone()).ok()
}

pub fn identity(payment: &Payment) -> Option<IdentityOut> {
    let va = payment.virtual_account()?;
    Some(IdentityOut::new(&echo(payment)?.partner_service_id, &va.number))
}

/// `virtualAccountStatus` for a VA in `state`.
fn status(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Pending => "ACTIVE",
        PaymentState::Paid => "PAID",
        PaymentState::PartiallyRefunded | PaymentState::Refunded => "REFUNDED",
        PaymentState::Canceled => "DELETED",
        PaymentState::Expired => "EXPIRED",
    }
}

fn info(payment: &Payment, state: PaymentState) -> Option<VaInfo> {
    Some(VaInfo {
        channel: payment.virtual_account()?.channel.clone(),
        virtual_account_status: status(state).to_string(),
        paid_amount: Money::idr(payment.received),
    })
}

/// `totalAmount`: the amount asked, or the least one for `M` and `N`; none for `O`.
fn total_amount(payment: &Payment) -> Option<Money> {
    match payment.rule {
        AmountRule::Exact | AmountRule::Partial => Some(Money::idr(payment.amount)),
        AmountRule::Open { .. } if payment.amount.is_positive() => Some(Money::idr(payment.amount)),
        AmountRule::Open { .. } => None,
    }
}

/// The VA as it stands at `now`.
pub fn va_data(payment: &Payment, now: Timestamp) -> Option<VaData> {
    let echo = echo(payment)?;
    let va = payment.virtual_account()?;
    let state = payment.state_at(now);
    Some(VaData {
        identity: IdentityOut::new(&echo.partner_service_id, &va.number),
        virtual_account_name: va.billing_name.clone(),
        trx_id: payment.merchant_reference.clone(),
        total_amount: total_amount(payment),
        expired_date: format_time(payment.expires_at),
        payment_date: payment.paid_at.map(format_time),
        echo: echo.fields,
        additional_info: info(payment, state)?,
    })
}

/// Names the latest payment into the VA: its reference, the payment's time and the
/// total received with it (which grows with every payment, so two in the same
/// millisecond still differ).
pub fn payment_request_id(payment: &Payment, paid_at: Timestamp) -> String {
    format!("{}-{paid_at}-{}", payment.reference_no, payment.received.sen())
}

/// Inquiry status (26): whether money came in, and the latest payment.
pub fn payment_status(payment: &Payment, now: Timestamp, inquiry_request_id: Option<String>) -> Option<PaymentStatus> {
    let paid = payment.received.is_positive();
    let reason = match (paid, payment.state_at(now)) {
        (true, _) => ("Success", "Sukses"),
        (false, PaymentState::Expired) => ("Expired", "Kedaluwarsa"),
        (false, PaymentState::Canceled) => ("Deleted", "Dihapus"),
        (false, _) => ("Not paid yet", "Belum dibayar"),
    };
    Some(PaymentStatus {
        payment_flag_reason: Reason { english: reason.0.to_string(), indonesia: reason.1.to_string() },
        identity: identity(payment)?,
        inquiry_request_id: inquiry_request_id.unwrap_or_else(|| payment.reference_no.clone()),
        payment_request_id: payment.paid_at.filter(|_| paid).map(|at| payment_request_id(payment, at)),
        paid_amount: Money::idr(payment.received),
        total_amount: total_amount(payment),
        trx_date_time: payment.paid_at.filter(|_| paid).map(format_time),
        payment_flag_status: if paid { "00" } else { "01" }.to_string(),
    })
}

/// The payment flag for a payment of `amount` into the VA; `None` for anything else
/// (SNAP VAs are not refunded).
pub fn payment_notification(payment: &Payment, kind: NoticeKind) -> Option<Vec<u8>> {
    let NoticeKind::Paid { amount } = kind else { return None };
    let paid_at = payment.paid_at?;
    let notification = PaymentNotification {
        identity: identity(payment)?,
        virtual_account_name: payment.virtual_account()?.billing_name.clone(),
        trx_id: payment.merchant_reference.clone(),
        payment_request_id: payment_request_id(payment, paid_at),
        paid_amount: Money::idr(amount),
        cumulative_payment_amount: Money::idr(payment.received),
        total_amount: total_amount(payment),
        trx_date_time: format_time(paid_at),
        reference_no: payment.reference_no.clone(),
        flag_advise: "N".to_string(),
        additional_info: info(payment, payment.state)?,
    };
    Some(serde_json::to_vec(&notification).expect("a notification always serialises"))
}

/// What the merchant's echo holds for a new VA.
pub fn new_echo(fields: EchoOut, partner_service_id: String) -> serde_json::Value {
    serde_json::to_value(VaEcho { fields, partner_service_id }).expect("an echo always serialises")
}
