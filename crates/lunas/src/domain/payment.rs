//! Payments and their state machine.
//!
//! ```text
//! Pending ──pay──▶ Paid ──refund──▶ PartiallyRefunded ──refund──▶ Refunded
//!    │                  └────────────── refund (all) ───────────────▶┘
//!    ├──cancel──▶ Canceled
//!    └──expire──▶ Expired   (also derived: a pending payment past expires_at)
//! ```

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

/// How the customer pays. Every kind shares the state machine; kind-specific data
/// lives here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Instrument {
    /// A dynamic QRIS, paid once for exactly its amount.
    Qris {
        content: String,
        terminal_id: Option<String>,
    },
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
    /// The merchant's reference (SNAP `partnerReferenceNo`), unique per merchant.
    pub merchant_reference: String,
    /// Hash of the creating request, to tell a retry from a different request.
    pub fingerprint: String,
    pub amount: i64,
    pub refunded: i64,
    /// The stored state; see [`Payment::state_at`] for the effective one.
    pub state: PaymentState,
    pub instrument: Instrument,
    pub callback_url: String,
    pub payer: Option<Payer>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
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
        self.amount - self.refunded
    }
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
    Paid,
    Refunded { amount: i64 },
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
    /// The payment moves to `next`; `refunded` is the new refunded total.
    Changed {
        next: PaymentState,
        refunded: i64,
        notify: Option<NoticeKind>,
    },
    /// The event was already applied (a repeated cancel): nothing to write.
    Unchanged,
}

/// The state machine. Every API family and the acquirer go through here.
pub fn transition(
    payment: &Payment,
    event: &Event,
    now: Timestamp,
) -> Result<Transition, DomainError> {
    use PaymentState::*;
    let state = payment.state_at(now);
    let refused = |action| Err(DomainError::InvalidState { action, state });
    match (state, event) {
        (Pending, Event::Pay { amount, .. }) => {
            if *amount != payment.amount {
                return Err(DomainError::AmountMismatch {
                    expected: payment.amount,
                    offered: *amount,
                });
            }
            Ok(Transition::Changed {
                next: Paid,
                refunded: 0,
                notify: Some(NoticeKind::Paid),
            })
        }
        (Pending, Event::Cancel) => Ok(Transition::Changed {
            next: Canceled,
            refunded: 0,
            notify: None,
        }),
        (Pending, Event::Expire) => Ok(Transition::Changed {
            next: Expired,
            refunded: 0,
            notify: None,
        }),
        (Pending, Event::Refund { .. }) => refused(Action::Refund),

        (Paid | PartiallyRefunded, Event::Refund { amount }) => {
            let refundable = payment.refundable();
            let amount = amount.unwrap_or(refundable);
            if amount <= 0 || amount > refundable {
                return Err(DomainError::RefundExceedsBalance { refundable });
            }
            let refunded = payment.refunded + amount;
            let next = if refunded == payment.amount {
                Refunded
            } else {
                PartiallyRefunded
            };
            Ok(Transition::Changed {
                next,
                refunded,
                notify: Some(NoticeKind::Refunded { amount }),
            })
        }
        (Refunded, Event::Refund { .. }) => {
            Err(DomainError::RefundExceedsBalance { refundable: 0 })
        }

        (Canceled, Event::Cancel) => Ok(Transition::Unchanged),

        (Paid | PartiallyRefunded | Refunded | Canceled | Expired, Event::Pay { .. }) => {
            refused(Action::Pay)
        }
        (Paid | PartiallyRefunded | Refunded | Expired, Event::Cancel) => refused(Action::Cancel),
        (Paid | PartiallyRefunded | Refunded | Canceled | Expired, Event::Expire) => {
            refused(Action::Expire)
        }
        (Canceled | Expired, Event::Refund { .. }) => refused(Action::Refund),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMOUNT: i64 = 1_500_000;

    fn payment(state: PaymentState, refunded: i64) -> Payment {
        Payment {
            id: PaymentId(uuid::Uuid::nil()),
            merchant_id: MerchantId(1),
            reference_no: "R1".into(),
            merchant_reference: "M1".into(),
            fingerprint: String::new(),
            amount: AMOUNT,
            refunded,
            state,
            instrument: Instrument::Qris {
                content: String::new(),
                terminal_id: None,
            },
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
        Event::Pay {
            amount,
            payer: Payer::default(),
        }
    }

    #[test]
    fn table_of_transitions() {
        use PaymentState::*;
        let changed = |next, refunded, notify| {
            Ok(Transition::Changed {
                next,
                refunded,
                notify,
            })
        };
        let invalid = |action, state| Err(DomainError::InvalidState { action, state });
        let cases: Vec<(PaymentState, i64, Event, Result<Transition, DomainError>)> = vec![
            (
                Pending,
                0,
                pay(AMOUNT),
                changed(Paid, 0, Some(NoticeKind::Paid)),
            ),
            (
                Pending,
                0,
                pay(AMOUNT - 1),
                Err(DomainError::AmountMismatch {
                    expected: AMOUNT,
                    offered: AMOUNT - 1,
                }),
            ),
            (Pending, 0, Event::Cancel, changed(Canceled, 0, None)),
            (Pending, 0, Event::Expire, changed(Expired, 0, None)),
            (
                Pending,
                0,
                Event::Refund { amount: None },
                invalid(Action::Refund, Pending),
            ),
            (Paid, 0, pay(AMOUNT), invalid(Action::Pay, Paid)),
            (Paid, 0, Event::Cancel, invalid(Action::Cancel, Paid)),
            (Paid, 0, Event::Expire, invalid(Action::Expire, Paid)),
            (
                Paid,
                0,
                Event::Refund { amount: Some(100) },
                changed(
                    PartiallyRefunded,
                    100,
                    Some(NoticeKind::Refunded { amount: 100 }),
                ),
            ),
            (
                Paid,
                0,
                Event::Refund { amount: None },
                changed(
                    Refunded,
                    AMOUNT,
                    Some(NoticeKind::Refunded { amount: AMOUNT }),
                ),
            ),
            (
                Paid,
                0,
                Event::Refund {
                    amount: Some(AMOUNT + 1),
                },
                Err(DomainError::RefundExceedsBalance { refundable: AMOUNT }),
            ),
            (
                PartiallyRefunded,
                100,
                Event::Refund {
                    amount: Some(AMOUNT - 100),
                },
                changed(
                    Refunded,
                    AMOUNT,
                    Some(NoticeKind::Refunded {
                        amount: AMOUNT - 100,
                    }),
                ),
            ),
            (
                PartiallyRefunded,
                100,
                Event::Refund {
                    amount: Some(AMOUNT),
                },
                Err(DomainError::RefundExceedsBalance {
                    refundable: AMOUNT - 100,
                }),
            ),
            (
                PartiallyRefunded,
                100,
                Event::Cancel,
                invalid(Action::Cancel, PartiallyRefunded),
            ),
            (
                Refunded,
                AMOUNT,
                Event::Refund { amount: Some(1) },
                Err(DomainError::RefundExceedsBalance { refundable: 0 }),
            ),
            (
                Refunded,
                AMOUNT,
                Event::Cancel,
                invalid(Action::Cancel, Refunded),
            ),
            (
                Refunded,
                AMOUNT,
                pay(AMOUNT),
                invalid(Action::Pay, Refunded),
            ),
            (Canceled, 0, Event::Cancel, Ok(Transition::Unchanged)),
            (Canceled, 0, pay(AMOUNT), invalid(Action::Pay, Canceled)),
            (
                Canceled,
                0,
                Event::Refund { amount: None },
                invalid(Action::Refund, Canceled),
            ),
            (
                Canceled,
                0,
                Event::Expire,
                invalid(Action::Expire, Canceled),
            ),
            (Expired, 0, pay(AMOUNT), invalid(Action::Pay, Expired)),
            (Expired, 0, Event::Cancel, invalid(Action::Cancel, Expired)),
            (Expired, 0, Event::Expire, invalid(Action::Expire, Expired)),
            (
                Expired,
                0,
                Event::Refund { amount: None },
                invalid(Action::Refund, Expired),
            ),
        ];
        for (state, refunded, event, expected) in cases {
            assert_eq!(
                transition(&payment(state, refunded), &event, 0),
                expected,
                "{state:?} + {event:?}"
            );
        }
    }

    #[test]
    fn expiry_is_derived_from_the_clock() {
        let p = payment(PaymentState::Pending, 0);
        assert_eq!(p.state_at(999), PaymentState::Pending);
        assert_eq!(p.state_at(1_000), PaymentState::Expired);
        assert_eq!(
            transition(&p, &pay(AMOUNT), 1_000),
            Err(DomainError::InvalidState {
                action: Action::Pay,
                state: PaymentState::Expired
            })
        );
        assert_eq!(
            payment(PaymentState::Paid, 0).state_at(5_000),
            PaymentState::Paid
        );
    }

    /// Replays random event sequences through the machine: money is never paid twice,
    /// refunds never exceed the payment, and terminal states stay terminal.
    #[test]
    fn random_sequences_keep_the_money_invariants() {
        use proptest::prelude::*;
        let event = prop_oneof![
            (0i64..=2).prop_map(|d| pay(AMOUNT - 1 + d)),
            Just(Event::Cancel),
            Just(Event::Expire),
            proptest::option::of(1i64..=AMOUNT).prop_map(|amount| Event::Refund { amount }),
        ];
        proptest!(|(events in proptest::collection::vec(event, 0..24))| {
            let mut p = payment(PaymentState::Pending, 0);
            let mut payments = 0;
            for event in &events {
                if let Ok(Transition::Changed { next, refunded, notify }) = transition(&p, event, 0) {
                    if notify == Some(NoticeKind::Paid) {
                        payments += 1;
                    }
                    prop_assert!(refunded >= p.refunded);
                    prop_assert!(matches!(p.state, PaymentState::Pending) || !matches!(next, PaymentState::Canceled | PaymentState::Expired));
                    p.state = next;
                    p.refunded = refunded;
                }
                prop_assert!(payments <= 1);
                prop_assert!(p.refunded <= p.amount);
                prop_assert!(p.refunded == 0 || payments == 1);
            }
        });
    }
}
