//! Payments and their state machine.
//!
//! ```text
//! Pending ──pay (completes)──▶ Paid ──refund──▶ PartiallyRefunded ──refund──▶ Refunded
//!  │  ▲                             └──────────── refund (all) ───────────────▶┘
//!  │  └─pay (multi-use, or a partial instalment): stays Pending, money received
//!  ├──cancel──▶ Canceled
//!  └──expire──▶ Expired   (also derived: a pending payment past expires_at)
//! ```
//!
//! Whether a payment completes is the kind's rule: an exact amount paid once, an open
//! amount above a minimum, or instalments adding up to a total; multi-use payments
//! keep accepting until they are cancelled or expire.

use serde::{Deserialize, Serialize};

use super::{Action, DomainError, MerchantId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentId(pub uuid::Uuid);

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
        [
            PaymentState::Pending,
            PaymentState::Paid,
            PaymentState::PartiallyRefunded,
            PaymentState::Refunded,
            PaymentState::Canceled,
            PaymentState::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The API family a payment was created through; its notifications speak the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Face {
    Snap,
    Pg3,
}

impl Face {
    pub fn as_str(self) -> &'static str {
        match self {
            Face::Snap => "snap",
            Face::Pg3 => "pg3",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Face::Snap, Face::Pg3].into_iter().find(|f| f.as_str() == text)
    }
}

/// Which amounts a payment accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmountRule {
    /// Exactly `amount`.
    Exact,
    /// Any amount from `minimum` up.
    Open { minimum: i64 },
    /// Instalments of any size until they add up to `amount`.
    Partial,
}

/// How the customer pays. Every kind shares the state machine; kind-specific data
/// lives here.
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
    /// per merchant.
    pub merchant_reference: String,
    /// The merchant's order id (PG3 `order_id`), not unique.
    pub order_id: Option<String>,
    pub face: Face,
    /// Hash of the creating request, to tell a retry from a different request.
    pub fingerprint: String,
    /// The exact amount, the partial total, or 0 for an open amount.
    pub amount: i64,
    pub rule: AmountRule,
    /// Keeps accepting payments after the first one.
    pub multi_use: bool,
    /// Money received so far.
    pub received: i64,
    pub refunded: i64,
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

    pub fn refundable(&self) -> i64 {
        self.received - self.refunded
    }

    /// What a customer paying now would be asked for: the exact amount, an open
    /// amount's minimum, or a partial payment's remainder.
    pub fn amount_due(&self) -> i64 {
        match self.rule {
            AmountRule::Exact => self.amount,
            AmountRule::Open { minimum } => minimum.max(1),
            AmountRule::Partial => self.amount - self.received,
        }
    }

    pub fn virtual_account(&self) -> Option<&VirtualAccount> {
        match &self.instrument {
            Instrument::VirtualAccount(va) => Some(va),
            Instrument::Qris { .. } => None,
        }
    }

    /// Whether a payment of `amount` completes this payment, or why it is refused.
    fn accept(&self, amount: i64) -> Result<bool, DomainError> {
        // Banks move whole rupiah; a fraction could never settle a VA's remainder.
        if self.virtual_account().is_some() && amount % 100 != 0 {
            return Err(DomainError::FractionalAmount { offered: amount });
        }
        match self.rule {
            AmountRule::Exact if amount != self.amount => {
                Err(DomainError::AmountMismatch { expected: self.amount, offered: amount })
            }
            AmountRule::Exact => Ok(!self.multi_use),
            AmountRule::Open { minimum } if amount < minimum.max(1) => {
                Err(DomainError::AmountOutOfRange { offered: amount, minimum: minimum.max(1), maximum: None })
            }
            AmountRule::Open { .. } => Ok(!self.multi_use),
            AmountRule::Partial => {
                let remaining = self.amount - self.received;
                if amount < 1 || amount > remaining {
                    return Err(DomainError::AmountOutOfRange {
                        offered: amount,
                        minimum: 1,
                        maximum: Some(remaining),
                    });
                }
                Ok(amount == remaining)
            }
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
    pub amount: i64,
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
            id: PaymentId(uuid::Uuid::now_v7()),
            merchant_id: new.merchant_id,
            reference_no: new.reference_no,
            merchant_reference: new.merchant_reference,
            order_id: new.order_id,
            face: new.face,
            fingerprint: new.fingerprint,
            amount: new.amount,
            rule: new.rule,
            multi_use: new.multi_use,
            received: 0,
            refunded: 0,
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
    pub amount: i64,
    pub paid_at: Timestamp,
    pub payer: Payer,
}

/// Something that happens to a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The acquirer reports money received.
    Pay {
        amount: i64,
        payer: Payer,
    },
    Cancel,
    Expire,
    /// `None` refunds everything still refundable.
    Refund {
        amount: Option<i64>,
    },
}

/// A refund, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_no: String,
    pub merchant_refund_no: String,
    pub fingerprint: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub created_at: Timestamp,
}

/// What the merchant must be told after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    /// A payment of `amount` was received.
    Paid {
        amount: i64,
    },
    Refunded {
        amount: i64,
    },
}

/// A notification to deliver: the payment as it stood right after the change,
/// captured in the same transaction, so every retry sends the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub payment: Payment,
    pub refund: Option<Refund>,
}

/// The result of applying an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// The payment moves to `next` with new `received` and `refunded` totals.
    Changed { next: PaymentState, received: i64, refunded: i64, notify: Option<NoticeKind> },
    /// The event was already applied (a repeated cancel): nothing to write.
    Unchanged,
}

/// The state machine. Every API family and the acquirer go through here.
pub fn transition(payment: &Payment, event: &Event, now: Timestamp) -> Result<Transition, DomainError> {
    use PaymentState::*;
    let state = payment.state_at(now);
    let refused = |action| Err(DomainError::InvalidState { action, state });
    let (received, refunded) = (payment.received, payment.refunded);
    let to = |next, notify| Ok(Transition::Changed { next, received, refunded, notify });
    match (state, event) {
        (Pending, Event::Pay { amount, .. }) => {
            let next = if payment.accept(*amount)? { Paid } else { Pending };
            let received = received.checked_add(*amount).ok_or(DomainError::AmountOutOfRange {
                offered: *amount,
                minimum: 1,
                maximum: Some(i64::MAX - received),
            })?;
            Ok(Transition::Changed { next, received, refunded, notify: Some(NoticeKind::Paid { amount: *amount }) })
        }
        (Pending, Event::Cancel) => to(Canceled, None),
        (Pending, Event::Expire) => to(Expired, None),
        (Pending, Event::Refund { .. }) => refused(Action::Refund),

        (Paid | PartiallyRefunded, Event::Refund { amount }) => {
            let refundable = payment.refundable();
            let amount = amount.unwrap_or(refundable);
            if amount <= 0 || amount > refundable {
                return Err(DomainError::RefundExceedsBalance { refundable });
            }
            let refunded = refunded + amount;
            let next = if refunded == received { Refunded } else { PartiallyRefunded };
            Ok(Transition::Changed { next, received, refunded, notify: Some(NoticeKind::Refunded { amount }) })
        }
        (Refunded, Event::Refund { .. }) => Err(DomainError::RefundExceedsBalance { refundable: 0 }),

        (Canceled, Event::Cancel) => Ok(Transition::Unchanged),

        (Paid | PartiallyRefunded | Refunded | Canceled | Expired, Event::Pay { .. }) => refused(Action::Pay),
        (Paid | PartiallyRefunded | Refunded | Expired, Event::Cancel) => refused(Action::Cancel),
        (Paid | PartiallyRefunded | Refunded | Canceled | Expired, Event::Expire) => refused(Action::Expire),
        (Canceled | Expired, Event::Refund { .. }) => refused(Action::Refund),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMOUNT: i64 = 1_500_000;

    fn payment(state: PaymentState, refunded: i64) -> Payment {
        let paid = !matches!(state, PaymentState::Pending | PaymentState::Canceled | PaymentState::Expired);
        Payment {
            id: PaymentId(uuid::Uuid::nil()),
            merchant_id: MerchantId(1),
            reference_no: "R1".into(),
            merchant_reference: "M1".into(),
            order_id: None,
            face: Face::Snap,
            fingerprint: String::new(),
            amount: AMOUNT,
            rule: AmountRule::Exact,
            multi_use: false,
            received: if paid { AMOUNT } else { 0 },
            refunded,
            state,
            instrument: Instrument::Qris { content: String::new(), terminal_id: None },
            callback_url: "https://m.example/cb".into(),
            payer: None,
            created_at: 0,
            expires_at: 1_000,
            paid_at: None,
            canceled_at: None,
            version: 0,
        }
    }

    fn pay(amount: i64) -> Event {
        Event::Pay { amount, payer: Payer::default() }
    }

    fn changed(
        next: PaymentState,
        received: i64,
        refunded: i64,
        notify: Option<NoticeKind>,
    ) -> Result<Transition, DomainError> {
        Ok(Transition::Changed { next, received, refunded, notify })
    }

    #[test]
    fn table_of_transitions() {
        use PaymentState::*;
        let invalid = |action, state| Err(DomainError::InvalidState { action, state });
        let paid = |amount| Some(NoticeKind::Paid { amount });
        let refund = |amount| Some(NoticeKind::Refunded { amount });
        let cases: Vec<(PaymentState, i64, Event, Result<Transition, DomainError>)> = vec![
            (Pending, 0, pay(AMOUNT), changed(Paid, AMOUNT, 0, paid(AMOUNT))),
            (Pending, 0, pay(AMOUNT - 1), Err(DomainError::AmountMismatch { expected: AMOUNT, offered: AMOUNT - 1 })),
            (Pending, 0, Event::Cancel, changed(Canceled, 0, 0, None)),
            (Pending, 0, Event::Expire, changed(Expired, 0, 0, None)),
            (Pending, 0, Event::Refund { amount: None }, invalid(Action::Refund, Pending)),
            (Paid, 0, pay(AMOUNT), invalid(Action::Pay, Paid)),
            (Paid, 0, Event::Cancel, invalid(Action::Cancel, Paid)),
            (Paid, 0, Event::Expire, invalid(Action::Expire, Paid)),
            (Paid, 0, Event::Refund { amount: Some(100) }, changed(PartiallyRefunded, AMOUNT, 100, refund(100))),
            (Paid, 0, Event::Refund { amount: None }, changed(Refunded, AMOUNT, AMOUNT, refund(AMOUNT))),
            (
                Paid,
                0,
                Event::Refund { amount: Some(AMOUNT + 1) },
                Err(DomainError::RefundExceedsBalance { refundable: AMOUNT }),
            ),
            (
                PartiallyRefunded,
                100,
                Event::Refund { amount: Some(AMOUNT - 100) },
                changed(Refunded, AMOUNT, AMOUNT, refund(AMOUNT - 100)),
            ),
            (
                PartiallyRefunded,
                100,
                Event::Refund { amount: Some(AMOUNT) },
                Err(DomainError::RefundExceedsBalance { refundable: AMOUNT - 100 }),
            ),
            (PartiallyRefunded, 100, Event::Cancel, invalid(Action::Cancel, PartiallyRefunded)),
            (
                Refunded,
                AMOUNT,
                Event::Refund { amount: Some(1) },
                Err(DomainError::RefundExceedsBalance { refundable: 0 }),
            ),
            (Refunded, AMOUNT, Event::Cancel, invalid(Action::Cancel, Refunded)),
            (Refunded, AMOUNT, pay(AMOUNT), invalid(Action::Pay, Refunded)),
            (Canceled, 0, Event::Cancel, Ok(Transition::Unchanged)),
            (Canceled, 0, pay(AMOUNT), invalid(Action::Pay, Canceled)),
            (Canceled, 0, Event::Refund { amount: None }, invalid(Action::Refund, Canceled)),
            (Canceled, 0, Event::Expire, invalid(Action::Expire, Canceled)),
            (Expired, 0, pay(AMOUNT), invalid(Action::Pay, Expired)),
            (Expired, 0, Event::Cancel, invalid(Action::Cancel, Expired)),
            (Expired, 0, Event::Expire, invalid(Action::Expire, Expired)),
            (Expired, 0, Event::Refund { amount: None }, invalid(Action::Refund, Expired)),
        ];
        for (state, refunded, event, expected) in cases {
            assert_eq!(transition(&payment(state, refunded), &event, 0), expected, "{state:?} + {event:?}");
        }
    }

    #[test]
    fn expiry_is_derived_from_the_clock() {
        let p = payment(PaymentState::Pending, 0);
        assert_eq!(p.state_at(999), PaymentState::Pending);
        assert_eq!(p.state_at(1_000), PaymentState::Expired);
        assert_eq!(
            transition(&p, &pay(AMOUNT), 1_000),
            Err(DomainError::InvalidState { action: Action::Pay, state: PaymentState::Expired })
        );
        assert_eq!(payment(PaymentState::Paid, 0).state_at(5_000), PaymentState::Paid);
    }

    #[test]
    fn multi_use_exact_amounts_keep_accepting() {
        let mut p = payment(PaymentState::Pending, 0);
        p.multi_use = true;
        assert_eq!(
            transition(&p, &pay(AMOUNT), 0),
            changed(PaymentState::Pending, AMOUNT, 0, Some(NoticeKind::Paid { amount: AMOUNT }))
        );
        p.received = AMOUNT;
        assert_eq!(
            transition(&p, &pay(AMOUNT), 0),
            changed(PaymentState::Pending, 2 * AMOUNT, 0, Some(NoticeKind::Paid { amount: AMOUNT }))
        );
        assert!(matches!(transition(&p, &pay(AMOUNT + 1), 0), Err(DomainError::AmountMismatch { .. })));
        assert_eq!(transition(&p, &Event::Cancel, 0), changed(PaymentState::Canceled, AMOUNT, 0, None));
    }

    #[test]
    fn open_amounts_take_anything_from_the_minimum() {
        let mut p = payment(PaymentState::Pending, 0);
        (p.amount, p.rule, p.multi_use) = (0, AmountRule::Open { minimum: 1_000_000 }, true);
        assert_eq!(
            transition(&p, &pay(999_999), 0),
            Err(DomainError::AmountOutOfRange { offered: 999_999, minimum: 1_000_000, maximum: None })
        );
        assert_eq!(
            transition(&p, &pay(7_654_321), 0),
            changed(PaymentState::Pending, 7_654_321, 0, Some(NoticeKind::Paid { amount: 7_654_321 }))
        );
        p.multi_use = false;
        assert_eq!(
            transition(&p, &pay(1_000_000), 0),
            changed(PaymentState::Paid, 1_000_000, 0, Some(NoticeKind::Paid { amount: 1_000_000 }))
        );
    }

    #[test]
    fn partial_payments_add_up_to_the_total() {
        let mut p = payment(PaymentState::Pending, 0);
        (p.rule, p.multi_use) = (AmountRule::Partial, true);
        assert_eq!(
            transition(&p, &pay(500_000), 0),
            changed(PaymentState::Pending, 500_000, 0, Some(NoticeKind::Paid { amount: 500_000 }))
        );
        p.received = 500_000;
        assert_eq!(
            transition(&p, &pay(1_000_001), 0),
            Err(DomainError::AmountOutOfRange { offered: 1_000_001, minimum: 1, maximum: Some(1_000_000) })
        );
        assert!(transition(&p, &pay(0), 0).is_err());
        assert_eq!(
            transition(&p, &pay(1_000_000), 0),
            changed(PaymentState::Paid, AMOUNT, 0, Some(NoticeKind::Paid { amount: 1_000_000 }))
        );
    }

    /// Replays random event sequences on every kind of payment: money received never
    /// passes the total where there is one, refunds never exceed what was received,
    /// and nothing is received once the payment is finished.
    #[test]
    fn random_sequences_keep_the_money_invariants() {
        use proptest::prelude::*;
        let event = prop_oneof![
            (0i64..=3).prop_map(|d| pay(AMOUNT / 2 - 1 + d * AMOUNT / 4)),
            Just(pay(AMOUNT)),
            Just(Event::Cancel),
            Just(Event::Expire),
            proptest::option::of(1i64..=AMOUNT).prop_map(|amount| Event::Refund { amount }),
        ];
        let kind = prop_oneof![
            Just((AmountRule::Exact, false)),
            Just((AmountRule::Exact, true)),
            Just((AmountRule::Open { minimum: AMOUNT / 2 }, true)),
            Just((AmountRule::Partial, true)),
        ];
        proptest!(|((rule, multi_use) in kind, events in proptest::collection::vec(event, 0..24))| {
            let mut p = payment(PaymentState::Pending, 0);
            (p.rule, p.multi_use) = (rule, multi_use);
            for event in &events {
                let before = p.state;
                if let Ok(Transition::Changed { next, received, refunded, notify }) = transition(&p, event, 0) {
                    prop_assert!(received >= p.received && refunded >= p.refunded);
                    if matches!(notify, Some(NoticeKind::Paid { .. })) {
                        prop_assert_eq!(before, PaymentState::Pending, "money only enters a pending payment");
                    }
                    if matches!(next, PaymentState::Canceled | PaymentState::Expired) {
                        prop_assert_eq!(before, PaymentState::Pending);
                    }
                    (p.state, p.received, p.refunded) = (next, received, refunded);
                }
                prop_assert!(p.refunded <= p.received);
                if rule == AmountRule::Partial || !multi_use {
                    prop_assert!(rule != AmountRule::Exact || p.received <= p.amount);
                    prop_assert!(rule != AmountRule::Partial || p.received <= p.amount);
                }
            }
        });
    }
}
