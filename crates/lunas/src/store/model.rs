//! The store's vocabulary: how a command names what it reads ([`Need`], [`PaymentRef`])
//! and what it hands over to persist ([`Changes`]), plus the outbox's rows.

use crate::domain::{Effect, Face, MerchantId, Payment, PaymentId, Refund, Timestamp};

/// A merchant's per-request id (SNAP `X-EXTERNAL-ID`), unique per merchant per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId {
    pub merchant_id: MerchantId,
    /// The Jakarta calendar day the request was sent, `YYYY-MM-DD`.
    pub day: String,
    pub id: String,
}

/// How a command finds its payment.
#[derive(Debug, Clone)]
pub enum PaymentRef {
    /// A merchant naming its own payment through one API family; another merchant's
    /// payment, or one made through the other family, is simply not found.
    Merchant { merchant_id: MerchantId, face: Face, key: MerchantKey },
    /// The acquirer naming a payment by the gateway's reference or transaction id.
    Acquirer { reference: String },
    /// The payment holding a virtual-account number at `now`.
    VirtualAccount { number: String, now: Timestamp },
}

/// How a merchant names one of its payments.
#[derive(Debug, Clone)]
pub enum MerchantKey {
    /// SNAP: `referenceNo` and `partnerReferenceNo`, both of which must match.
    Snap { reference_no: String, merchant_reference: String },
    /// PG3: `transaction_id`, `external_id` and `order_id`, all of which must match.
    Pg3 { transaction_id: PaymentId, merchant_reference: String, order_id: String },
    /// The merchant's own reference alone.
    Reference(String),
    /// The virtual account with this number, now or most recently.
    Number(String),
}

/// What a command reads before it decides. Backends answer all of it at once, in as
/// few round trips as they can.
#[derive(Debug, Default)]
pub struct Need<'a> {
    /// Whether this request id was already used.
    pub request_id: Option<&'a RequestId>,
    pub payment: Option<&'a PaymentRef>,
    /// A merchant's earlier refund with this number.
    pub refund: Option<(MerchantId, &'a str)>,
    /// Whether a live virtual account holds this number at this time.
    pub number: Option<(&'a str, Timestamp)>,
}

/// What a backend found for a [`Need`].
#[derive(Debug, Default)]
pub struct Loaded {
    pub request_id_used: bool,
    pub payment: Option<Payment>,
    /// The refund with the payment it belongs to.
    pub refund: Option<(PaymentId, Refund)>,
    pub number_taken: bool,
}

/// Everything one command writes; persisted atomically, or not at all.
#[derive(Debug)]
pub struct Changes {
    pub now: Timestamp,
    pub request_id: Option<RequestId>,
    pub payment: Option<PaymentChange>,
}

impl Changes {
    pub fn none(now: Timestamp) -> Self {
        Self { now, request_id: None, payment: None }
    }

    pub fn is_empty(&self) -> bool {
        self.request_id.is_none() && self.payment.is_none()
    }
}

/// A new payment, or a payment after a state-machine step.
#[derive(Debug)]
pub struct PaymentChange {
    /// The complete payment after the change. An update is written only over the
    /// version before it (`next.version - 1`).
    pub next: Payment,
    pub kind: ChangeKind,
    /// What happened, for the history (and the receipt when money arrived).
    pub effect: Effect,
    /// The refund record, when the effect is a refund.
    pub refund: Option<Refund>,
    pub number: Option<NumberChange>,
    /// The notification this change sends.
    pub notice: Option<Outgoing>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    /// A state-machine step: state, totals, timestamps.
    Update,
    /// New terms: amount, rule, expiry, instrument and callback URL.
    Amend,
}

/// A virtual-account number taken or given back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberChange {
    /// Held until `until`, unless a live virtual account holds it now.
    Claim {
        number: String,
        until: Timestamp,
    },
    Release {
        number: String,
    },
    /// The holder keeps it until `until` now.
    Extend {
        number: String,
        until: Timestamp,
    },
}

/// A notification for the outbox: where it goes and the stored notice
/// (see [`crate::render::notice`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub notice: String,
}

/// A command's verdict: what to persist, and what to answer once it is persisted.
pub struct Decision<T> {
    pub changes: Changes,
    pub output: T,
}

/// An outbox row claimed for one delivery attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub merchant_id: MerchantId,
    pub target_url: String,
    /// The stored notice, decoded by the worker (a bad one is parked, not fatal).
    pub notice: String,
    /// This attempt's number, from 1; counted when claimed, so an attempt cut short
    /// by a crash still counts and its retry gets a new `X-EXTERNAL-ID`.
    pub attempt: u32,
    /// The lease this claim holds; recording the attempt requires it still.
    pub lease_until: Timestamp,
}

/// Which due deliveries a worker may take.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub now: Timestamp,
    pub lease_until: Timestamp,
    pub limit: u32,
    /// At most this many deliveries of one merchant in flight at once, counting
    /// those held by every instance.
    pub per_merchant: u32,
}

/// What happened when a delivery was attempted.
#[derive(Debug, Clone)]
pub enum AttemptResult {
    Delivered {
        status: u16,
    },
    /// Try again at `retry_at`, or never when `None` (attempts exhausted).
    Failed {
        status: Option<u16>,
        error: String,
        retry_at: Option<Timestamp>,
    },
    /// The stored notice cannot be sent at all; kept for an operator.
    Parked {
        error: String,
    },
}

/// What the worker saw of one attempt, kept with its outcome.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: Timestamp,
    pub latency_ms: i64,
    /// The start of the merchant's answer, at most [`Attempt::EXCERPT_BYTES`].
    pub response: Option<String>,
}

impl Attempt {
    pub const EXCERPT_BYTES: usize = 1024;
}

/// A recorded attempt, for operators.
#[derive(Debug, Clone)]
pub struct AttemptEntry {
    pub attempt: u32,
    pub at: Timestamp,
    pub target_url: String,
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub response: Option<String>,
    pub error: Option<String>,
}

/// Which payments an operator lists, newest first. Every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub merchant: Option<MerchantId>,
    /// As stored: a payment past its expiry reads `pending` until the sweep records it.
    pub state: Option<crate::domain::PaymentState>,
    pub face: Option<crate::domain::Face>,
    /// `qris` or `virtual_account`.
    pub virtual_account: Option<bool>,
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub until: Option<Timestamp>,
    /// The gateway's or the merchant's reference.
    pub reference: Option<String>,
    /// The last id of the previous page.
    pub after: Option<String>,
    pub limit: u32,
}

/// A merchant's three shared secrets: SNAP's HMAC key and PG3's two.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub client_secret: String,
    pub secret_unbound_id: String,
    pub hash_key: String,
}

/// One change of a payment, as its history records it.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub version: i64,
    /// `created`, `paid`, `canceled`, `expired`, `refunded`, `amended`, `closed`.
    pub kind: String,
    /// The money the change moved, if any.
    pub amount: Option<crate::domain::Amount>,
    /// The state after the change.
    pub state: String,
    pub at: Timestamp,
}

/// A notification and its attempts.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub entry: OutboxEntry,
    pub attempts: Vec<AttemptEntry>,
}

/// Everything about one payment, as of one moment: what an operator needs to say
/// what happened to it and to its notifications.
#[derive(Debug, Clone)]
pub struct PaymentRecord {
    pub payment: crate::domain::Payment,
    pub history: Vec<HistoryEntry>,
    /// Newest first.
    pub receipts: Vec<crate::domain::Receipt>,
    pub refunds: Vec<crate::domain::Refund>,
    pub deliveries: Vec<Delivery>,
}

/// How far behind notifications are, for monitoring.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxDepth {
    /// Not delivered yet, including rows waiting for an operator.
    pub undelivered: i64,
    /// Due now.
    pub due: i64,
    /// How long the oldest due row has been due.
    pub oldest_due_age_ms: i64,
}

/// An outbox row, for operators.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: i64,
    pub reference_no: String,
    pub target_url: String,
    pub attempts: u32,
    pub delivered: bool,
    pub parked: bool,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}
