//! The operator's view: merchants without their secrets, and a payment with its
//! history, receipts, refunds and notifications. Times are ISO-8601 in Jakarta time,
//! amounts rupiah with two decimals. The CLI prints the same views.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::time::to_datetime;
use crate::domain::{Amount, Instrument, Merchant, Payment, Timestamp};
use crate::store::{AttemptEntry, OutboxEntry, PaymentRecord};

pub(crate) fn time(at: Timestamp) -> String {
    lunas_protocol::timestamp::format_millis(to_datetime(at))
}

fn rupiah(amount: Amount) -> String {
    amount.to_string()
}

/// A merchant as operators see it: never its secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantView {
    /// SNAP `X-PARTNER-ID` and `X-CLIENT-KEY`.
    #[schema(example = "MCP2026112400001")]
    pub partner_id: String,
    /// PG3 `merchant_id`: the same identifier.
    pub merchant_id: String,
    pub name: String,
    pub callback_url: Option<String>,
    /// Whether SNAP's asymmetric signatures can be checked.
    pub has_public_key: bool,
}

/// A merchant with its secrets: only in the answer that creates or rotates them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Credentials {
    #[serde(flatten)]
    pub merchant: MerchantView,
    /// SNAP's HMAC key.
    pub client_secret: String,
    /// PG3's Basic-auth password.
    pub secret_unbound_id: String,
    /// PG3's signature key.
    pub hash_key: String,
}

pub fn merchant(m: &Merchant) -> MerchantView {
    MerchantView {
        partner_id: m.partner_id.clone(),
        merchant_id: m.partner_id.clone(),
        name: m.name.clone(),
        callback_url: m.callback_url.clone(),
        has_public_key: m.public_key_pem.is_some(),
    }
}

pub fn credentials(m: &Merchant) -> Credentials {
    Credentials {
        merchant: merchant(m),
        client_secret: m.client_secret.clone(),
        secret_unbound_id: m.secret_unbound_id.clone(),
        hash_key: m.hash_key.clone(),
    }
}

/// What the customer pays with.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InstrumentView {
    Qris { content: String, terminal_id: Option<String> },
    VirtualAccount { channel: String, number: String, name: String },
}

/// A payment as it stands at the time of the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub merchant_id: i64,
    /// lunas's reference: SNAP `referenceNo`, PG3 `transaction_id`.
    pub reference_no: String,
    /// The merchant's: SNAP `partnerReferenceNo` or `trxId`, PG3 `external_id`.
    pub merchant_reference: String,
    pub order_id: Option<String>,
    /// `snap`, `snap_va` or `pg3`.
    pub face: String,
    /// `pending`, `paid`, `canceled`, `expired`, `refunded`, ...
    pub state: String,
    #[schema(example = "10000.00")]
    pub amount: String,
    pub received: String,
    pub refunded: String,
    pub multi_use: bool,
    pub callback_url: String,
    pub created_at: String,
    pub expires_at: String,
    pub paid_at: Option<String>,
    pub canceled_at: Option<String>,
    /// Grows by one with every change; the history's `version`.
    pub version: i64,
    pub instrument: InstrumentView,
}

pub fn payment(p: &Payment, now: Timestamp) -> PaymentView {
    let instrument = match &p.instrument {
        Instrument::Qris { content, terminal_id } => {
            InstrumentView::Qris { content: content.clone(), terminal_id: terminal_id.clone() }
        }
        Instrument::VirtualAccount(va) => InstrumentView::VirtualAccount {
            channel: va.channel.clone(),
            number: va.number.clone(),
            name: va.billing_name.clone(),
        },
    };
    PaymentView {
        id: p.id.to_string(),
        merchant_id: p.merchant_id.0,
        reference_no: p.reference_no.clone(),
        merchant_reference: p.merchant_reference.clone(),
        order_id: p.order_id.clone(),
        face: p.face.as_str().to_string(),
        state: p.state_at(now).as_str().to_string(),
        amount: rupiah(p.amount),
        received: rupiah(p.received),
        refunded: rupiah(p.refunded),
        multi_use: p.multi_use,
        callback_url: p.callback_url.clone(),
        created_at: time(p.created_at),
        expires_at: time(p.expires_at),
        paid_at: p.paid_at.map(time),
        canceled_at: p.canceled_at.map(time),
        version: p.version,
        instrument,
    }
}

/// One change of a payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub version: i64,
    /// `created`, `paid`, `canceled`, `expired`, `refunded`, `amended`, `closed`.
    pub kind: String,
    /// The money the change moved, if any.
    pub amount: Option<String>,
    /// The state after the change.
    pub state: String,
    pub at: String,
}

/// Money received.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    pub amount: String,
    pub paid_at: String,
    pub issuer: Option<String>,
    pub retrieval_reference_no: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub refund_no: String,
    pub merchant_refund_no: String,
    pub amount: String,
    pub reason: Option<String>,
    pub created_at: String,
}

/// A notification: where it goes and how far it got.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub reference_no: String,
    pub target_url: String,
    pub attempts: u32,
    pub delivered: bool,
    /// Given up on after the last retry, or undecodable; a resend revives it.
    pub parked: bool,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

pub fn delivery(d: &OutboxEntry) -> DeliveryView {
    DeliveryView {
        id: d.id,
        reference_no: d.reference_no.clone(),
        target_url: d.target_url.clone(),
        attempts: d.attempts,
        delivered: d.delivered,
        parked: d.parked,
        last_status: d.last_status,
        last_error: d.last_error.clone(),
    }
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: u32,
    pub at: String,
    pub target_url: String,
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// The first KiB of the answer.
    pub response: Option<String>,
    pub error: Option<String>,
}

pub fn attempt(a: &AttemptEntry) -> AttemptView {
    AttemptView {
        attempt: a.attempt,
        at: time(a.at),
        target_url: a.target_url.clone(),
        status: a.status,
        latency_ms: a.latency_ms,
        response: a.response.clone(),
        error: a.error.clone(),
    }
}

/// A notification with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryRecord {
    pub id: i64,
    pub target_url: String,
    pub delivered: bool,
    pub parked: bool,
    pub attempts: Vec<AttemptView>,
}

/// A payment with everything that happened to it and to its notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRecordView {
    #[serde(flatten)]
    pub payment: PaymentView,
    pub history: Vec<HistoryView>,
    /// Newest first.
    pub receipts: Vec<ReceiptView>,
    pub refunds: Vec<RefundView>,
    pub deliveries: Vec<DeliveryRecord>,
    /// A QR payment's code as a base64 PNG.
    pub qr_image: Option<String>,
}

pub fn payment_record(record: &PaymentRecord, now: Timestamp) -> PaymentRecordView {
    PaymentRecordView {
        payment: payment(&record.payment, now),
        history: record
            .history
            .iter()
            .map(|h| HistoryView {
                version: h.version,
                kind: h.kind.clone(),
                amount: h.amount.map(rupiah),
                state: h.state.clone(),
                at: time(h.at),
            })
            .collect(),
        receipts: record
            .receipts
            .iter()
            .map(|r| ReceiptView {
                amount: rupiah(r.amount),
                paid_at: time(r.paid_at),
                issuer: r.payer.issuer.clone(),
                retrieval_reference_no: r.payer.retrieval_reference_no.clone(),
            })
            .collect(),
        refunds: record
            .refunds
            .iter()
            .map(|r| RefundView {
                refund_no: r.refund_no.clone(),
                merchant_refund_no: r.merchant_refund_no.clone(),
                amount: rupiah(r.amount),
                reason: r.reason.clone(),
                created_at: time(r.created_at),
            })
            .collect(),
        deliveries: record
            .deliveries
            .iter()
            .map(|d| DeliveryRecord {
                id: d.entry.id,
                target_url: d.entry.target_url.clone(),
                delivered: d.entry.delivered,
                parked: d.entry.parked,
                attempts: d.attempts.iter().map(attempt).collect(),
            })
            .collect(),
        qr_image: match &record.payment.instrument {
            // A QR the gateway drew itself always draws; a failure would show as no image.
            Instrument::Qris { content, .. } => super::qr_image::png_base64(content).ok(),
            Instrument::VirtualAccount(_) => None,
        },
    }
}
