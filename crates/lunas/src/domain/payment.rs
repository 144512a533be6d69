//! A payment of any kind: a dynamic QRIS or one of the four kinds of virtual account.
//! Kinds differ in the amounts they accept ([`AmountRule`]) and whether they take
//! money more than once (`multi_use`); everything else, including the state machine
//! in [`super::machine`], is shared.

use lunas_protocol::money::Amount;
use lunas_protocol::pg3::va::PaymentSystem;
use serde::{Deserialize, Serialize};

use super::{MerchantId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentId(pub uuid::Uuid);

impl PaymentId {
    /// Time-ordered, so new payments sit together at the end of every index.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for PaymentId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for PaymentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentState {
    Pending,
    Paid,
    PartiallyRefunded,
    Refunded,
    Canceled,
    Expired,
}

impl PaymentState {
    pub const ALL: [PaymentState; 6] = [
        PaymentState::Pending,
        PaymentState::Paid,
        PaymentState::PartiallyRefunded,
        PaymentState::Refunded,
        PaymentState::Canceled,
        PaymentState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Paid => "paid",
            PaymentState::PartiallyRefunded => "partially_refunded",
            PaymentState::Refunded => "refunded",
            PaymentState::Canceled => "canceled",
            PaymentState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The API family a payment was created through; its notifications speak the same,
/// and the other family never finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Face {
    Snap,
    Pg3,
    /// SNAP's virtual-account services (`/v1.0/transfer-va/…`): SNAP's wire and
    /// signatures, with their own namespace of `trxId`s apart from QRIS's
    /// `partnerReferenceNo`s.
    SnapVa,
}

impl Face {
    pub fn as_str(self) -> &'static str {
        match self {
            Face::Snap => "snap",
            Face::Pg3 => "pg3",
            Face::SnapVa => "snap_va",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Face::Snap, Face::Pg3, Face::SnapVa].into_iter().find(|f| f.as_str() == text)
    }
}

/// Which amounts a payment accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmountRule {
    /// Exactly `amount`.
    Exact,
    /// Any amount from `minimum` up.
    Open { minimum: Amount },
    /// Instalments of any size until they add up to `amount`.
    Partial,
}

impl AmountRule {
    /// The rule as banks name it.
    pub fn payment_system(self) -> PaymentSystem {
        match self {
            AmountRule::Exact => PaymentSystem::Closed,
            AmountRule::Open { .. } => PaymentSystem::Open,
            AmountRule::Partial => PaymentSystem::Partial,
        }
    }
}

/// How the customer pays; kind-specific data lives here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Instrument {
    /// A dynamic QRIS, paid once for exactly its amount.
    Qris { content: String, terminal_id: Option<String> },
    /// A virtual account at a bank.
    VirtualAccount(Box<VirtualAccount>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualAccount {
    /// The bank channel, e.g. `BCA` or `BCA-POLYTRON`.
    pub channel: String,
    pub number: String,
    pub billing_name: String,
    pub description: String,
    /// The merchant's order details, kept to be echoed in inquiries and callbacks.
    pub order: serde_json::Value,
}

/// Who paid, as the acquirer reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub issuer: Option<String>,
    pub retrieval_reference_no: Option<String>,
    pub customer_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub merchant_id: MerchantId,
    /// The gateway's reference (SNAP `referenceNo`).
    pub reference_no: String,
    /// The merchant's reference (SNAP `partnerReferenceNo`, PG3 `external_id`), unique
    /// per merchant and face.
    pub merchant_reference: String,
    /// The merchant's order id (PG3 `order_id`), not unique.
    pub order_id: Option<String>,
    pub face: Face,
    /// Hash of the creating request, to tell a retry from a different request.
    pub fingerprint: String,
    /// The exact amount, the partial total, or zero for an open amount.
    pub amount: Amount,
    pub rule: AmountRule,
    /// Keeps accepting payments after the first one.
    pub multi_use: bool,
    /// Money received so far.
    pub received: Amount,
    pub refunded: Amount,
    /// The stored state; see [`Payment::state_at`] for the effective one.
    pub state: PaymentState,
    pub instrument: Instrument,
    pub callback_url: String,
    pub payer: Option<Payer>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// When the latest payment was received.
    pub paid_at: Option<Timestamp>,
    pub canceled_at: Option<Timestamp>,
    /// Bumped by every change; stores update only the version they read.
    pub version: i64,
}

impl Payment {
    /// The state at `now`: a pending payment past its expiry is expired whether or
    /// not anything has recorded it yet.
    pub fn state_at(&self, now: Timestamp) -> PaymentState {
        match self.state {
            PaymentState::Pending if now >= self.expires_at => PaymentState::Expired,
            state => state,
        }
    }

    pub fn refundable(&self) -> Amount {
        self.received.checked_sub(self.refunded).unwrap_or(Amount::ZERO)
    }

    /// What a customer paying now would be asked for: the exact amount, an open
    /// amount's minimum, or a partial payment's remainder.
    pub fn amount_due(&self) -> Amount {
        match self.rule {
            AmountRule::Exact => self.amount,
            AmountRule::Open { minimum } => minimum.max(Amount::from_sen(1)),
            AmountRule::Partial => self.amount.checked_sub(self.received).unwrap_or(Amount::ZERO),
        }
    }

    pub fn virtual_account(&self) -> Option<&VirtualAccount> {
        match &self.instrument {
            Instrument::VirtualAccount(va) => Some(va),
            Instrument::Qris { .. } => None,
        }
    }

    pub fn terminal_id(&self) -> Option<&str> {
        match &self.instrument {
            Instrument::Qris { terminal_id, .. } => terminal_id.as_deref(),
            Instrument::VirtualAccount(_) => None,
        }
    }
}

/// What a face decides about a new payment; everything else starts empty.
pub struct NewPayment {
    pub merchant_id: MerchantId,
    pub reference_no: String,
    pub merchant_reference: String,
    pub order_id: Option<String>,
    pub face: Face,
    pub fingerprint: String,
    pub amount: Amount,
    pub rule: AmountRule,
    pub multi_use: bool,
    pub instrument: Instrument,
    pub callback_url: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl From<NewPayment> for Payment {
    fn from(new: NewPayment) -> Self {
        Payment {
            id: PaymentId::new(),
            merchant_id: new.merchant_id,
            reference_no: new.reference_no,
            merchant_reference: new.merchant_reference,
            order_id: new.order_id,
            face: new.face,
            fingerprint: new.fingerprint,
            amount: new.amount,
            rule: new.rule,
            multi_use: new.multi_use,
            received: Amount::ZERO,
            refunded: Amount::ZERO,
            state: PaymentState::Pending,
            instrument: new.instrument,
            callback_url: new.callback_url,
            payer: None,
            created_at: new.created_at,
            expires_at: new.expires_at,
            paid_at: None,
            canceled_at: None,
            version: 0,
        }
    }
}

/// A payment received, as the acquirer reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub amount: Amount,
    pub paid_at: Timestamp,
    pub payer: Payer,
}

/// A refund, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_no: String,
    pub merchant_refund_no: String,
    pub fingerprint: String,
    pub amount: Amount,
    pub reason: Option<String>,
    pub created_at: Timestamp,
}
