//! The operator's view: merchants without their secrets, and a payment with its
//! history, receipts, refunds and notifications. Times are ISO-8601 in Jakarta time,
//! amounts rupiah with two decimals.

use serde_json::{Value, json};

use crate::domain::time::to_datetime;
use crate::domain::{Instrument, Merchant, Payment, Timestamp};
use crate::store::{AttemptEntry, PaymentRecord};

fn time(at: Timestamp) -> String {
    lunas_protocol::timestamp::format_millis(to_datetime(at))
}

/// A merchant as operators see it: never its secrets.
pub fn merchant(m: &Merchant) -> Value {
    json!({
        "partner_id": m.partner_id,
        "merchant_id": m.partner_id,
        "name": m.name,
        "callback_url": m.callback_url,
        "has_public_key": m.public_key_pem.is_some(),
    })
}

/// A merchant with its secrets: only in the answer that creates or rotates them.
pub fn credentials(m: &Merchant) -> Value {
    json!({
        "name": m.name,
        "partner_id": m.partner_id,
        "client_secret": m.client_secret,
        "merchant_id": m.partner_id,
        "secret_unbound_id": m.secret_unbound_id,
        "hash_key": m.hash_key,
        "callback_url": m.callback_url,
        "has_public_key": m.public_key_pem.is_some(),
    })
}

/// A payment as it stands at `now`.
pub fn payment(p: &Payment, now: Timestamp) -> Value {
    let instrument = match &p.instrument {
        Instrument::Qris { content, terminal_id } => {
            json!({"kind": "qris", "content": content, "terminal_id": terminal_id})
        }
        Instrument::VirtualAccount(va) => {
            json!({"kind": "virtual_account", "channel": va.channel, "number": va.number, "name": va.billing_name})
        }
    };
    json!({
        "id": p.id.to_string(),
        "merchant_id": p.merchant_id.0,
        "reference_no": p.reference_no,
        "merchant_reference": p.merchant_reference,
        "order_id": p.order_id,
        "face": p.face.as_str(),
        "state": p.state_at(now).as_str(),
        "amount": p.amount.to_string(),
        "received": p.received.to_string(),
        "refunded": p.refunded.to_string(),
        "multi_use": p.multi_use,
        "callback_url": p.callback_url,
        "created_at": time(p.created_at),
        "expires_at": time(p.expires_at),
        "paid_at": p.paid_at.map(time),
        "canceled_at": p.canceled_at.map(time),
        "version": p.version,
        "instrument": instrument,
    })
}

/// A payment with everything that happened to it and to its notifications.
pub fn payment_record(record: &PaymentRecord, now: Timestamp) -> Value {
    let mut out = payment(&record.payment, now);
    let more = json!({
        "history": record.history.iter().map(|h| json!({
            "version": h.version,
            "kind": h.kind,
            "amount": h.amount.map(|a| a.to_string()),
            "state": h.state,
            "at": time(h.at),
        })).collect::<Vec<_>>(),
        "receipts": record.receipts.iter().map(|r| json!({
            "amount": r.amount.to_string(),
            "paid_at": time(r.paid_at),
            "issuer": r.payer.issuer,
            "retrieval_reference_no": r.payer.retrieval_reference_no,
        })).collect::<Vec<_>>(),
        "refunds": record.refunds.iter().map(|r| json!({
            "refund_no": r.refund_no,
            "merchant_refund_no": r.merchant_refund_no,
            "amount": r.amount.to_string(),
            "reason": r.reason,
            "created_at": time(r.created_at),
        })).collect::<Vec<_>>(),
        "deliveries": record.deliveries.iter().map(|d| json!({
            "id": d.entry.id,
            "target_url": d.entry.target_url,
            "delivered": d.entry.delivered,
            "parked": d.entry.parked,
            "attempts": d.attempts.iter().map(attempt).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    if let (Some(out), Value::Object(more)) = (out.as_object_mut(), more) {
        out.extend(more);
    }
    out
}

/// One delivery attempt.
pub fn attempt(a: &AttemptEntry) -> Value {
    json!({
        "attempt": a.attempt,
        "at": time(a.at),
        "target_url": a.target_url,
        "status": a.status,
        "latency_ms": a.latency_ms,
        "response": a.response,
        "error": a.error,
    })
}
