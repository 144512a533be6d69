//! The state machine every API family and the acquirer go through.
//!
//! ```text
//! Pending ──pay (completes)──▶ Paid ──refund──▶ PartiallyRefunded ──refund──▶ Refunded
//!  │  ▲                             └──────────── refund (all) ───────────────▶┘
//!  │  └─pay (multi-use, or a partial instalment): stays Pending, money received
//!  ├──amend (nothing received yet): stays Pending with new terms
//!  ├──close (money received; the merchant calls it settled)──▶ Paid
//!  ├──cancel──▶ Canceled
//!  └──expire──▶ Expired   (also derived: a pending payment past expires_at)
//! ```
//!
//! [`transition`] is pure: it returns the whole next payment (state, totals,
//! timestamps, version) with what else the change means (the receipt, the notice
//! for the merchant, whether a virtual-account number is released). Stores persist
//! exactly that.

use lunas_protocol::money::Amount;

use super::{Action, AmountRule, DomainError, Instrument, Payer, Payment, PaymentState, Receipt, Timestamp};

/// Something that happens to a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The acquirer reports money received.
    Pay {
        amount: Amount,
        payer: Payer,
    },
    Cancel,
    Expire,
    /// `None` refunds everything still refundable.
    Refund {
        amount: Option<Amount>,
    },
    /// A cancel that only a payment with nothing received takes (SNAP's delete VA: a
    /// bill that took money is closed as settled, not deleted).
    Delete,
    /// The merchant changes what a virtual account asks for (SNAP's update VA).
    Amend(Box<Terms>),
    /// The merchant calls a payment that has taken money settled: it takes no more
    /// (SNAP's update status with `paidStatus` `Y`).
    Close,
}

/// What a virtual account asks for, as a merchant may change it before any money
/// arrives. Its bank, number, and whether it takes money more than once stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub amount: Amount,
    pub rule: AmountRule,
    /// `None` keeps the current one.
    pub expires_at: Option<Timestamp>,
    /// `None` keeps the current one.
    pub callback_url: Option<String>,
    pub billing_name: String,
    /// The merchant's own fields, echoed back.
    pub order: serde_json::Value,
}

/// What the merchant must be told after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A payment of `amount` was received.
    Paid {
        amount: Amount,
    },
    Refunded {
        amount: Amount,
    },
}

/// What a change did, as a payment's history records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Created,
    Received(Receipt),
    Canceled,
    Expired,
    Refunded(Amount),
    Amended,
    Closed,
}

impl Effect {
    pub fn as_str(&self) -> &'static str {
        match self {
            Effect::Created => "created",
            Effect::Received(_) => "paid",
            Effect::Canceled => "canceled",
            Effect::Expired => "expired",
            Effect::Refunded(_) => "refunded",
            Effect::Amended => "amended",
            Effect::Closed => "closed",
        }
    }

    /// The money the change moved, if any.
    pub fn amount(&self) -> Option<Amount> {
        match self {
            Effect::Received(receipt) => Some(receipt.amount),
            Effect::Refunded(amount) => Some(*amount),
            Effect::Created | Effect::Canceled | Effect::Expired | Effect::Amended | Effect::Closed => None,
        }
    }
}

/// A change the state machine decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The payment after the change, complete.
    pub next: Payment,
    pub effect: Effect,
    pub notice: Option<NoticeKind>,
    /// A virtual account stopped taking money, so its number is free again.
    pub releases_number: bool,
}

/// The result of applying an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Changed(Box<Step>),
    /// The event was already applied (a repeated cancel or expiry): nothing to write.
    Unchanged,
}

pub fn transition(payment: &Payment, event: &Event, now: Timestamp) -> Result<Transition, DomainError> {
    use PaymentState::*;
    let state = payment.state_at(now);
    let refused = |action| Err(DomainError::InvalidState { action, state });
    match (state, event) {
        (Pending, Event::Pay { amount, payer }) => pay(payment, *amount, payer, now),
        (Pending, Event::Cancel) => Ok(cancel(payment, now)),
        (Pending, Event::Expire) => Ok(expire(payment, now)),
        // A derived expiry is recorded the first time something asks for it.
        (Expired, Event::Expire) if payment.state == Pending => Ok(expire(payment, now)),
        (Pending, Event::Refund { .. }) => refused(Action::Refund),
        (Pending, Event::Delete) if !payment.received.is_positive() => Ok(cancel(payment, now)),
        (Pending, Event::Delete) => refused(Action::Cancel),
        (Canceled, Event::Delete) => Ok(Transition::Unchanged),
        (Paid | PartiallyRefunded | Refunded | Expired, Event::Delete) => refused(Action::Cancel),
        (Pending, Event::Amend(terms)) if !payment.received.is_positive() => amend(payment, terms, state),
        (Pending, Event::Amend(_)) => refused(Action::Amend),
        // Settled needs money: closing an untouched payment would invent a payment.
        (Pending, Event::Close) if payment.received.is_positive() => Ok(close(payment)),
        (Pending, Event::Close) => refused(Action::Close),
        (Paid | PartiallyRefunded | Refunded, Event::Close) => Ok(Transition::Unchanged),
        (Canceled | Expired, Event::Close) => refused(Action::Close),

        (Paid | PartiallyRefunded, Event::Refund { amount }) => refund(payment, *amount),
        (Refunded, Event::Refund { .. }) => Err(DomainError::RefundExceedsBalance { refundable: Amount::ZERO }),

        (Canceled, Event::Cancel) | (Expired, Event::Expire) => Ok(Transition::Unchanged),

        (Paid | PartiallyRefunded | Refunded | Canceled | Expired, Event::Pay { .. }) => refused(Action::Pay),
        (Paid | PartiallyRefunded | Refunded | Expired, Event::Cancel) => refused(Action::Cancel),
        (Paid | PartiallyRefunded | Refunded | Canceled, Event::Expire) => refused(Action::Expire),
        (Canceled | Expired, Event::Refund { .. }) => refused(Action::Refund),
        (Paid | PartiallyRefunded | Refunded | Canceled | Expired, Event::Amend(_)) => refused(Action::Amend),
    }
}

/// The payment with its version bumped, ready for the change.
fn successor(payment: &Payment) -> Payment {
    Payment { version: payment.version + 1, ..payment.clone() }
}

fn changed(next: Payment, effect: Effect, notice: Option<NoticeKind>, releases_number: bool) -> Transition {
    Transition::Changed(Box::new(Step { next, effect, notice, releases_number }))
}

fn pay(payment: &Payment, amount: Amount, payer: &Payer, now: Timestamp) -> Result<Transition, DomainError> {
    let completes = accept(payment, amount)?;
    let received = payment.received.checked_add(amount).ok_or(DomainError::AmountOutOfRange {
        offered: amount,
        minimum: Amount::from_sen(1),
        maximum: None,
    })?;
    let mut next = successor(payment);
    next.received = received;
    next.state = if completes { PaymentState::Paid } else { PaymentState::Pending };
    next.paid_at = Some(now);
    next.payer = Some(payer.clone());
    let releases = completes && payment.virtual_account().is_some();
    let receipt = Receipt { amount, paid_at: now, payer: payer.clone() };
    Ok(changed(next, Effect::Received(receipt), Some(NoticeKind::Paid { amount }), releases))
}

fn cancel(payment: &Payment, now: Timestamp) -> Transition {
    let mut next = successor(payment);
    next.state = PaymentState::Canceled;
    next.canceled_at = Some(now);
    changed(next, Effect::Canceled, None, payment.virtual_account().is_some())
}

fn expire(payment: &Payment, now: Timestamp) -> Transition {
    let mut next = successor(payment);
    next.state = PaymentState::Expired;
    next.expires_at = payment.expires_at.min(now);
    changed(next, Effect::Expired, None, payment.virtual_account().is_some())
}

fn amend(payment: &Payment, terms: &Terms, state: PaymentState) -> Result<Transition, DomainError> {
    let Instrument::VirtualAccount(va) = &payment.instrument else {
        return Err(DomainError::InvalidState { action: Action::Amend, state });
    };
    let mut next = successor(payment);
    next.amount = terms.amount;
    next.rule = terms.rule;
    next.expires_at = terms.expires_at.unwrap_or(payment.expires_at);
    if let Some(url) = &terms.callback_url {
        next.callback_url = url.clone();
    }
    let mut va = va.clone();
    va.billing_name = terms.billing_name.clone();
    va.order = terms.order.clone();
    next.instrument = Instrument::VirtualAccount(va);
    Ok(changed(next, Effect::Amended, None, false))
}

fn close(payment: &Payment) -> Transition {
    let mut next = successor(payment);
    next.state = PaymentState::Paid;
    changed(next, Effect::Closed, None, payment.virtual_account().is_some())
}

fn refund(payment: &Payment, requested: Option<Amount>) -> Result<Transition, DomainError> {
    let refundable = payment.refundable();
    let amount = requested.unwrap_or(refundable);
    if !amount.is_positive() || amount > refundable {
        return Err(DomainError::RefundExceedsBalance { refundable });
    }
    let mut next = successor(payment);
    next.refunded = payment.refunded.checked_add(amount).unwrap_or(payment.received);
    next.state = if next.refunded == next.received { PaymentState::Refunded } else { PaymentState::PartiallyRefunded };
    Ok(changed(next, Effect::Refunded(amount), Some(NoticeKind::Refunded { amount }), false))
}

/// Whether a payment of `amount` completes `payment`, or why it is refused.
fn accept(payment: &Payment, amount: Amount) -> Result<bool, DomainError> {
    use super::AmountRule;
    // Banks move whole rupiah; a fraction could never settle a VA's remainder.
    if payment.virtual_account().is_some() && !amount.is_whole_rupiah() {
        return Err(DomainError::FractionalAmount { offered: amount });
    }
    let one = Amount::from_sen(1);
    match payment.rule {
        AmountRule::Exact if amount != payment.amount => {
            Err(DomainError::AmountMismatch { expected: payment.amount, offered: amount })
        }
        AmountRule::Exact => Ok(!payment.multi_use),
        AmountRule::Open { minimum } if amount < minimum.max(one) => {
            Err(DomainError::AmountOutOfRange { offered: amount, minimum: minimum.max(one), maximum: None })
        }
        AmountRule::Open { .. } => Ok(!payment.multi_use),
        AmountRule::Partial => {
            let remaining = payment.amount.checked_sub(payment.received).unwrap_or(Amount::ZERO);
            if amount < one || amount > remaining {
                return Err(DomainError::AmountOutOfRange { offered: amount, minimum: one, maximum: Some(remaining) });
            }
            Ok(amount == remaining)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AmountRule, Face, Instrument, MerchantId, PaymentId, VirtualAccount};

    const AMOUNT: Amount = Amount::from_sen(1_500_000);

    fn sen(value: i64) -> Amount {
        Amount::from_sen(value)
    }

    fn payment(state: PaymentState, refunded: Amount) -> Payment {
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
            received: if paid { AMOUNT } else { Amount::ZERO },
            refunded,
            state,
            instrument: Instrument::Qris { content: String::new(), terminal_id: None },
            callback_url: "https://m.example/cb".into(),
            payer: None,
            created_at: 0,
            expires_at: 1_000,
            paid_at: None,
            canceled_at: None,
            version: 3,
        }
    }

    fn pay(amount: Amount) -> Event {
        Event::Pay { amount, payer: Payer::default() }
    }

    fn step(transition: Result<Transition, DomainError>) -> Step {
        match transition {
            Ok(Transition::Changed(step)) => *step,
            other => panic!("expected a change, got {other:?}"),
        }
    }

    /// What a successful transition produced, in brief: state, received, refunded, notice.
    type Brief = (PaymentState, Amount, Amount, Option<NoticeKind>);
    /// A row of the transition table: the payment's state and refunds, the event, the outcome.
    type Case = (PaymentState, Amount, Event, Result<Option<Brief>, DomainError>);

    fn brief(transition: Result<Transition, DomainError>) -> Result<Option<Brief>, DomainError> {
        match transition? {
            Transition::Unchanged => Ok(None),
            Transition::Changed(s) => Ok(Some((s.next.state, s.next.received, s.next.refunded, s.notice))),
        }
    }

    #[test]
    fn table_of_transitions() {
        use PaymentState::*;
        let zero = Amount::ZERO;
        let invalid = |action, state| Err(DomainError::InvalidState { action, state });
        let paid = |amount| Some(NoticeKind::Paid { amount });
        let refund = |amount| Some(NoticeKind::Refunded { amount });
        let to = |state, received, refunded, notice| Ok(Some((state, received, refunded, notice)));
        let cases: Vec<Case> = vec![
            (Pending, zero, pay(AMOUNT), to(Paid, AMOUNT, zero, paid(AMOUNT))),
            (
                Pending,
                zero,
                pay(sen(1_499_999)),
                Err(DomainError::AmountMismatch { expected: AMOUNT, offered: sen(1_499_999) }),
            ),
            (Pending, zero, Event::Cancel, to(Canceled, zero, zero, None)),
            (Pending, zero, Event::Expire, to(Expired, zero, zero, None)),
            (Pending, zero, Event::Refund { amount: None }, invalid(Action::Refund, Pending)),
            (Paid, zero, pay(AMOUNT), invalid(Action::Pay, Paid)),
            (Paid, zero, Event::Cancel, invalid(Action::Cancel, Paid)),
            (Paid, zero, Event::Expire, invalid(Action::Expire, Paid)),
            (
                Paid,
                zero,
                Event::Refund { amount: Some(sen(100)) },
                to(PartiallyRefunded, AMOUNT, sen(100), refund(sen(100))),
            ),
            (Paid, zero, Event::Refund { amount: None }, to(Refunded, AMOUNT, AMOUNT, refund(AMOUNT))),
            (
                Paid,
                zero,
                Event::Refund { amount: Some(sen(1_500_001)) },
                Err(DomainError::RefundExceedsBalance { refundable: AMOUNT }),
            ),
            (
                PartiallyRefunded,
                sen(100),
                Event::Refund { amount: Some(sen(1_499_900)) },
                to(Refunded, AMOUNT, AMOUNT, refund(sen(1_499_900))),
            ),
            (
                PartiallyRefunded,
                sen(100),
                Event::Refund { amount: Some(AMOUNT) },
                Err(DomainError::RefundExceedsBalance { refundable: sen(1_499_900) }),
            ),
            (PartiallyRefunded, sen(100), Event::Cancel, invalid(Action::Cancel, PartiallyRefunded)),
            (
                Refunded,
                AMOUNT,
                Event::Refund { amount: Some(sen(1)) },
                Err(DomainError::RefundExceedsBalance { refundable: zero }),
            ),
            (Refunded, AMOUNT, Event::Cancel, invalid(Action::Cancel, Refunded)),
            (Refunded, AMOUNT, pay(AMOUNT), invalid(Action::Pay, Refunded)),
            (Canceled, zero, Event::Cancel, Ok(None)),
            (Canceled, zero, pay(AMOUNT), invalid(Action::Pay, Canceled)),
            (Canceled, zero, Event::Refund { amount: None }, invalid(Action::Refund, Canceled)),
            (Canceled, zero, Event::Expire, invalid(Action::Expire, Canceled)),
            (Expired, zero, pay(AMOUNT), invalid(Action::Pay, Expired)),
            (Expired, zero, Event::Cancel, invalid(Action::Cancel, Expired)),
            (Expired, zero, Event::Expire, Ok(None)),
            (Expired, zero, Event::Refund { amount: None }, invalid(Action::Refund, Expired)),
        ];
        for (state, refunded, event, expected) in cases {
            assert_eq!(brief(transition(&payment(state, refunded), &event, 0)), expected, "{state:?} + {event:?}");
        }
    }

    #[test]
    fn the_next_payment_is_complete() {
        let before = payment(PaymentState::Pending, Amount::ZERO);
        let payer = Payer { issuer: Some("DANA".into()), ..Payer::default() };
        let paid = step(transition(&before, &Event::Pay { amount: AMOUNT, payer: payer.clone() }, 500));
        assert_eq!(paid.next.version, 4);
        assert_eq!((paid.next.paid_at, paid.next.payer.as_ref()), (Some(500), Some(&payer)));
        assert_eq!(paid.effect, Effect::Received(Receipt { amount: AMOUNT, paid_at: 500, payer }));
        assert!(!paid.releases_number, "a QR holds no number");

        let canceled = step(transition(&before, &Event::Cancel, 600));
        assert_eq!((canceled.next.canceled_at, canceled.next.version), (Some(600), 4));
        let expired = step(transition(&before, &Event::Expire, 700));
        assert_eq!(expired.next.expires_at, 700, "expiring early moves the expiry");
        let derived = step(transition(&before, &Event::Expire, 5_000));
        assert_eq!((derived.next.state, derived.next.expires_at), (PaymentState::Expired, 1_000));
    }

    #[test]
    fn virtual_accounts_release_their_number_when_they_stop_taking_money() {
        let mut va = payment(PaymentState::Pending, Amount::ZERO);
        va.instrument = Instrument::VirtualAccount(Box::new(VirtualAccount {
            channel: "BCA".into(),
            number: "4041600011234".into(),
            billing_name: "Budi".into(),
            description: "Order".into(),
            order: serde_json::Value::Null,
        }));
        assert!(step(transition(&va, &pay(AMOUNT), 0)).releases_number);
        assert!(step(transition(&va, &Event::Cancel, 0)).releases_number);
        va.multi_use = true;
        assert!(!step(transition(&va, &pay(AMOUNT), 0)).releases_number, "multi-use keeps its number");
        assert_eq!(
            transition(&va, &pay(sen(1_500_050)), 0),
            Err(DomainError::FractionalAmount { offered: sen(1_500_050) })
        );
    }

    #[test]
    fn only_a_payment_that_took_money_can_be_closed() {
        let pending = payment(PaymentState::Pending, Amount::ZERO);
        let refused = |state| Err(DomainError::InvalidState { action: Action::Close, state });
        assert_eq!(transition(&pending, &Event::Close, 0), refused(PaymentState::Pending));
        let instalment = Payment { received: sen(100), ..pending.clone() };
        let s = step(transition(&instalment, &Event::Close, 0));
        assert_eq!(
            (s.next.state, s.next.received, s.effect, s.notice),
            (PaymentState::Paid, sen(100), Effect::Closed, None)
        );
        assert_eq!(transition(&s.next, &Event::Close, 0), Ok(Transition::Unchanged));
        assert_eq!(transition(&instalment, &Event::Close, 1_000), refused(PaymentState::Expired));
        assert_eq!(
            transition(&payment(PaymentState::Canceled, Amount::ZERO), &Event::Close, 0),
            refused(PaymentState::Canceled)
        );
    }

    #[test]
    fn terms_change_only_before_money_arrives() {
        let terms = Terms {
            amount: sen(2_000_000),
            rule: AmountRule::Partial,
            expires_at: Some(5_000),
            callback_url: None,
            billing_name: "Budi S.".into(),
            order: serde_json::json!({"note": 1}),
        };
        let amend = Event::Amend(Box::new(terms.clone()));
        let va = VirtualAccount {
            channel: "BRI".into(),
            number: "1303300011234567".into(),
            billing_name: "Budi".into(),
            description: String::new(),
            order: serde_json::Value::Null,
        };
        let pending = Payment {
            instrument: Instrument::VirtualAccount(Box::new(va.clone())),
            ..payment(PaymentState::Pending, Amount::ZERO)
        };
        let s = step(transition(&pending, &amend, 0));
        assert_eq!((s.effect, s.notice, s.releases_number), (Effect::Amended, None, false));
        let renamed = VirtualAccount { billing_name: terms.billing_name, order: terms.order, ..va };
        let expected = Payment {
            amount: terms.amount,
            rule: terms.rule,
            expires_at: 5_000,
            instrument: Instrument::VirtualAccount(Box::new(renamed)),
            version: 4,
            ..pending.clone()
        };
        assert_eq!(s.next, expected, "the number, bank and callback URL stay");

        let instalment = Payment { received: sen(100), ..pending.clone() };
        let refused = |state| Err(DomainError::InvalidState { action: Action::Amend, state });
        assert_eq!(transition(&instalment, &amend, 0), refused(PaymentState::Pending));
        assert_eq!(transition(&pending, &amend, 1_000), refused(PaymentState::Expired));
        let qris = payment(PaymentState::Pending, Amount::ZERO);
        assert_eq!(transition(&qris, &amend, 0), refused(PaymentState::Pending), "only a VA has terms to amend");
        for state in [PaymentState::Paid, PaymentState::Canceled, PaymentState::Refunded] {
            assert_eq!(transition(&payment(state, Amount::ZERO), &amend, 0), refused(state));
        }
    }

    #[test]
    fn delete_takes_only_a_payment_with_nothing_received() {
        let pending = payment(PaymentState::Pending, Amount::ZERO);
        let s = step(transition(&pending, &Event::Delete, 0));
        assert_eq!((s.next.state, s.effect), (PaymentState::Canceled, Effect::Canceled));
        assert_eq!(transition(&s.next, &Event::Delete, 0), Ok(Transition::Unchanged));
        let instalment = Payment { received: sen(100), ..pending.clone() };
        let refused = |state| Err(DomainError::InvalidState { action: Action::Cancel, state });
        assert_eq!(transition(&instalment, &Event::Delete, 0), refused(PaymentState::Pending));
        assert_eq!(transition(&pending, &Event::Delete, 1_000), refused(PaymentState::Expired));
        assert_eq!(
            transition(&payment(PaymentState::Paid, Amount::ZERO), &Event::Delete, 0),
            refused(PaymentState::Paid)
        );
    }

    #[test]
    fn expiry_is_derived_from_the_clock() {
        let p = payment(PaymentState::Pending, Amount::ZERO);
        assert_eq!(p.state_at(999), PaymentState::Pending);
        assert_eq!(p.state_at(1_000), PaymentState::Expired);
        assert_eq!(
            transition(&p, &pay(AMOUNT), 1_000),
            Err(DomainError::InvalidState { action: Action::Pay, state: PaymentState::Expired })
        );
        assert_eq!(payment(PaymentState::Paid, Amount::ZERO).state_at(5_000), PaymentState::Paid);
    }

    #[test]
    fn multi_use_exact_amounts_keep_accepting() {
        let mut p = payment(PaymentState::Pending, Amount::ZERO);
        p.multi_use = true;
        let first = step(transition(&p, &pay(AMOUNT), 0));
        assert_eq!((first.next.state, first.next.received), (PaymentState::Pending, AMOUNT));
        let second = step(transition(&first.next, &pay(AMOUNT), 0));
        assert_eq!(second.next.received, sen(3_000_000));
        assert!(matches!(transition(&second.next, &pay(sen(1_500_001)), 0), Err(DomainError::AmountMismatch { .. })));
        assert_eq!(step(transition(&second.next, &Event::Cancel, 0)).next.state, PaymentState::Canceled);
    }

    #[test]
    fn open_amounts_take_anything_from_the_minimum() {
        let mut p = payment(PaymentState::Pending, Amount::ZERO);
        (p.amount, p.rule, p.multi_use) = (Amount::ZERO, AmountRule::Open { minimum: sen(1_000_000) }, true);
        assert_eq!(
            transition(&p, &pay(sen(999_999)), 0),
            Err(DomainError::AmountOutOfRange { offered: sen(999_999), minimum: sen(1_000_000), maximum: None })
        );
        let open = step(transition(&p, &pay(sen(7_654_321)), 0));
        assert_eq!((open.next.state, open.next.received), (PaymentState::Pending, sen(7_654_321)));
        p.multi_use = false;
        assert_eq!(step(transition(&p, &pay(sen(1_000_000)), 0)).next.state, PaymentState::Paid);
    }

    #[test]
    fn partial_payments_add_up_to_the_total() {
        let mut p = payment(PaymentState::Pending, Amount::ZERO);
        (p.rule, p.multi_use) = (AmountRule::Partial, true);
        let first = step(transition(&p, &pay(sen(500_000)), 0));
        assert_eq!((first.next.state, first.next.received), (PaymentState::Pending, sen(500_000)));
        assert_eq!(
            transition(&first.next, &pay(sen(1_000_001)), 0),
            Err(DomainError::AmountOutOfRange {
                offered: sen(1_000_001),
                minimum: sen(1),
                maximum: Some(sen(1_000_000))
            })
        );
        assert!(transition(&first.next, &pay(Amount::ZERO), 0).is_err());
        let last = step(transition(&first.next, &pay(sen(1_000_000)), 0));
        assert_eq!((last.next.state, last.next.received), (PaymentState::Paid, AMOUNT));
    }

    /// Replays random event sequences on every kind of payment: money received never
    /// passes the total where there is one, refunds never exceed what was received,
    /// nothing is received once the payment is finished, and each change bumps the
    /// version by one.
    #[test]
    fn random_sequences_keep_the_money_invariants() {
        use proptest::prelude::*;
        let event = prop_oneof![
            (0i64..=3).prop_map(|d| pay(sen(749_999 + d * 375_000))),
            Just(pay(AMOUNT)),
            Just(Event::Cancel),
            Just(Event::Expire),
            proptest::option::of((1i64..=1_500_000).prop_map(sen)).prop_map(|amount| Event::Refund { amount }),
        ];
        let kind = prop_oneof![
            Just((AmountRule::Exact, false)),
            Just((AmountRule::Exact, true)),
            Just((AmountRule::Open { minimum: sen(750_000) }, true)),
            Just((AmountRule::Partial, true)),
        ];
        proptest!(|((rule, multi_use) in kind, events in proptest::collection::vec(event, 0..24))| {
            let mut p = payment(PaymentState::Pending, Amount::ZERO);
            (p.rule, p.multi_use) = (rule, multi_use);
            for event in &events {
                if let Ok(Transition::Changed(step)) = transition(&p, event, 0) {
                    let next = step.next;
                    prop_assert_eq!(next.version, p.version + 1);
                    prop_assert!(next.received >= p.received && next.refunded >= p.refunded);
                    if matches!(step.notice, Some(NoticeKind::Paid { .. })) {
                        prop_assert_eq!(p.state, PaymentState::Pending, "money only enters a pending payment");
                    }
                    if matches!(next.state, PaymentState::Canceled | PaymentState::Expired) {
                        prop_assert_eq!(p.state, PaymentState::Pending);
                    }
                    p = next;
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
