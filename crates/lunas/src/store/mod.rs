//! Durable storage behind one trait. Each method is a whole business command that the
//! backend runs atomically: the request-id record, the state change and the outbox
//! rows commit together or not at all. Handlers never hold a transaction.

mod sql;

use async_trait::async_trait;

use crate::domain::{
    DomainError, Event, Face, Merchant, MerchantId, NewMerchant, Notice, Payment, PaymentId, Receipt, Refund, Timestamp,
};

pub use sql::{Dialect, SqlStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("storage failure: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Internal(e.into())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A merchant's per-request id (SNAP `X-EXTERNAL-ID`), unique per merchant per day.
#[derive(Debug, Clone)]
pub struct RequestId {
    pub merchant_id: MerchantId,
    /// The Jakarta calendar day the request arrived, `YYYY-MM-DD`.
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
    /// A bank transfer to a virtual-account number that is live now.
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
}

/// What makes a new payment a repeat: the merchant's reference, and the fingerprint
/// that tells the same request from a different one.
#[derive(Debug, Clone, Copy)]
pub struct NewPaymentKey<'a> {
    pub merchant_id: MerchantId,
    pub face: Face,
    pub merchant_reference: &'a str,
    pub fingerprint: &'a str,
}

impl<'a> NewPaymentKey<'a> {
    pub fn of(payment: &'a Payment) -> Self {
        Self {
            merchant_id: payment.merchant_id,
            face: payment.face,
            merchant_reference: &payment.merchant_reference,
            fingerprint: &payment.fingerprint,
        }
    }
}

/// Applies one event to one payment.
#[derive(Debug, Clone)]
pub struct PaymentCommand {
    pub payment: PaymentRef,
    pub event: Event,
    pub request_id: Option<RequestId>,
    pub now: Timestamp,
}

/// The outcome of a payment command.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The payment after the command (unchanged when the event had already been
    /// applied, as with a repeated cancel).
    pub payment: Payment,
}

#[derive(Debug, Clone)]
pub struct RefundCommand {
    pub payment: PaymentRef,
    /// `None` refunds the whole refundable balance.
    pub amount: Option<i64>,
    pub merchant_refund_no: String,
    pub refund_no: String,
    pub fingerprint: String,
    pub reason: Option<String>,
    pub request_id: RequestId,
    pub now: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Refunded {
    pub payment: Payment,
    pub refund: Refund,
}

/// One notification claimed for delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub merchant_id: MerchantId,
    pub target_url: String,
    pub notice: Notice,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The lease this claim holds; recording the attempt requires it still.
    pub lease_until: Timestamp,
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
}

/// An outbox row, for operators.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub reference_no: String,
    pub target_url: String,
    pub attempts: u32,
    pub delivered: bool,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_merchant(&self, merchant: NewMerchant) -> StoreResult<Merchant>;
    async fn list_merchants(&self) -> StoreResult<Vec<Merchant>>;
    async fn merchant_by_partner_id(&self, partner_id: &str) -> StoreResult<Option<Merchant>>;
    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<Merchant>>;

    async fn save_access_token(
        &self,
        token_hash: &str,
        merchant_id: MerchantId,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    async fn merchant_for_token(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<MerchantId>>;

    /// Deletes expired access tokens and request ids too old to collide; returns how
    /// many rows went.
    async fn prune(&self, now: Timestamp) -> StoreResult<u64>;

    /// Answers now what `create_payment` would refuse for its request id or merchant
    /// reference, without writing anything, so no instrument is issued for a request
    /// that will be refused. `create_payment` still checks again, atomically.
    async fn check_new_payment(&self, key: NewPaymentKey<'_>, request_id: Option<&RequestId>) -> StoreResult<()>;

    /// Records the request id (if any) and creates the payment, claiming its
    /// virtual-account number. A merchant reference already used yields
    /// `DuplicateReference` (same fingerprint) or `InconsistentRequest`; a number held by
    /// a live virtual account yields `NumberInUse`.
    async fn create_payment(&self, payment: Payment, request_id: Option<RequestId>) -> StoreResult<Payment>;

    /// Reads a payment without recording anything.
    async fn payment(&self, payment: PaymentRef) -> StoreResult<Payment>;

    /// Reads a payment and its latest `limit` receipts, newest first.
    async fn payment_history(&self, payment: PaymentRef, limit: u32) -> StoreResult<(Payment, Vec<Receipt>)>;

    /// Records the request id and reads the payment.
    async fn query_payment(&self, payment: PaymentRef, request_id: RequestId, now: Timestamp) -> StoreResult<Payment>;

    /// Records the request id (if any), runs the state machine and writes the change
    /// with its outbox row.
    async fn apply(&self, command: PaymentCommand) -> StoreResult<Applied>;

    /// Refunds with `merchant_refund_no` as the idempotency key: a repeat with the same
    /// fingerprint returns the first refund unchanged.
    async fn refund(&self, command: RefundCommand) -> StoreResult<Refunded>;

    /// Leases up to `limit` due notifications until `lease_until`.
    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<Delivery>>;
    /// Records an attempt, unless the lease was lost meanwhile (a resend, or another
    /// worker after expiry); then the newer claim records its own.
    async fn finish_delivery(&self, delivery: &Delivery, result: AttemptResult, now: Timestamp) -> StoreResult<()>;
    async fn list_outbox(&self, undelivered_only: bool) -> StoreResult<Vec<OutboxEntry>>;
    /// Makes a delivery due now again, including one whose attempts ran out.
    async fn resend(&self, id: i64, now: Timestamp) -> StoreResult<bool>;
}
