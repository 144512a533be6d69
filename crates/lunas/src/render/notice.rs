//! The notice an outbox row stores, with a version so that rows outlive upgrades:
//!
//! - v2: `{"v":2,"face":"snap","body":{…}}`, the API family and the exact body,
//!   rendered in the transaction that made the change. Every attempt sends these
//!   bytes; only the signature headers are made at send time.
//! - v1 (lunas 0.1): the domain notice `{"kind":…,"payment":{…},"refund":…}`,
//!   rendered when it is sent.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{Face, Merchant, NoticeKind, Payment};

/// A notice ready to sign and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub face: Face,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("the stored notice is not JSON of a known version: {0}")]
    Format(#[from] serde_json::Error),
    #[error("unknown notice version {0}")]
    Version(u32),
    #[error("a version 2 notice lacks its {0}")]
    Missing(&'static str),
    #[error("the notice cannot be rendered for {0}")]
    Unrenderable(&'static str),
}

/// Stores `body` (JSON, as it will be sent) for `face`.
pub fn encode(face: Face, body: &[u8]) -> String {
    let body = std::str::from_utf8(body).expect("bodies are JSON text");
    format!(r#"{{"v":2,"face":"{}","body":{body}}}"#, face.as_str())
}

/// What lunas sends for a change: the family's notification body.
pub fn render(
    face: Face,
    payment: &Payment,
    kind: NoticeKind,
    refund: Option<&crate::domain::Refund>,
    partner_id: &str,
) -> Result<Vec<u8>, NoticeError> {
    match face {
        Face::Snap => Ok(super::snap::notification_body(payment, kind, refund, partner_id)),
        Face::Pg3 => {
            super::pg3::callback_body(payment, kind).ok_or(NoticeError::Unrenderable("PG3: not a virtual account"))
        }
        Face::SnapVa => super::snap_va::payment_notification(payment, kind)
            .ok_or(NoticeError::Unrenderable("SNAP VA: not a payment into a SNAP virtual account")),
    }
}

#[derive(Deserialize)]
struct Envelope {
    v: Option<u32>,
    face: Option<String>,
    body: Option<Box<RawValue>>,
}

/// Reads a stored notice of any version; `merchant` renders version 1.
pub fn decode(stored: &str, merchant: &Merchant) -> Result<Notice, NoticeError> {
    let envelope: Envelope = serde_json::from_str(stored)?;
    match envelope.v {
        Some(2) => {
            let face = envelope.face.as_deref().and_then(Face::parse).ok_or(NoticeError::Missing("face"))?;
            let body = envelope.body.ok_or(NoticeError::Missing("body"))?;
            Ok(Notice { face, body: body.get().as_bytes().to_vec() })
        }
        Some(other) => Err(NoticeError::Version(other)),
        None => {
            let old: v1::Notice = serde_json::from_str(stored)?;
            if !old.times_are_writable() {
                return Err(NoticeError::Unrenderable("a time out of range"));
            }
            let payment = Payment::from(old.payment);
            let body = render(payment.face, &payment, old.kind.into(), old.refund.as_ref(), &merchant.partner_id)?;
            Ok(Notice { face: payment.face, body })
        }
    }
}

mod v1 {
    //! lunas 0.1's stored notice, frozen: the payment as its `Payment` was then.

    use serde::Deserialize;

    use crate::domain::time::WRITABLE;
    use crate::domain::{
        Amount, AmountRule, Face, Instrument, MerchantId, NoticeKind, Payer, PaymentId, PaymentState, Refund, Timestamp,
    };

    #[derive(Deserialize)]
    pub struct Notice {
        pub kind: Kind,
        pub payment: Payment,
        pub refund: Option<Refund>,
    }

    #[derive(Deserialize)]
    pub enum Kind {
        Paid { amount: Amount },
        Refunded { amount: Amount },
    }

    impl Notice {
        /// A row read back may hold any number; only what lunas can write is rendered.
        pub fn times_are_writable(&self) -> bool {
            let p = &self.payment;
            let times = [Some(p.created_at), Some(p.expires_at), p.paid_at, p.canceled_at];
            let refund = self.refund.as_ref().map(|r| r.created_at);
            times.into_iter().chain([refund]).flatten().all(|t| WRITABLE.contains(&t))
        }
    }

    impl From<Kind> for NoticeKind {
        fn from(kind: Kind) -> Self {
            match kind {
                Kind::Paid { amount } => NoticeKind::Paid { amount },
                Kind::Refunded { amount } => NoticeKind::Refunded { amount },
            }
        }
    }

    #[derive(Deserialize)]
    pub struct Payment {
        id: PaymentId,
        merchant_id: MerchantId,
        reference_no: String,
        merchant_reference: String,
        order_id: Option<String>,
        face: Face,
        fingerprint: String,
        amount: Amount,
        rule: AmountRule,
        multi_use: bool,
        received: Amount,
        refunded: Amount,
        state: PaymentState,
        instrument: Instrument,
        callback_url: String,
        payer: Option<Payer>,
        created_at: Timestamp,
        expires_at: Timestamp,
        paid_at: Option<Timestamp>,
        canceled_at: Option<Timestamp>,
        version: i64,
    }

    impl From<Payment> for crate::domain::Payment {
        fn from(p: Payment) -> Self {
            Self {
                id: p.id,
                merchant_id: p.merchant_id,
                reference_no: p.reference_no,
                merchant_reference: p.merchant_reference,
                order_id: p.order_id,
                face: p.face,
                fingerprint: p.fingerprint,
                amount: p.amount,
                rule: p.rule,
                multi_use: p.multi_use,
                received: p.received,
                refunded: p.refunded,
                state: p.state,
                instrument: p.instrument,
                callback_url: p.callback_url,
                payer: p.payer,
                created_at: p.created_at,
                expires_at: p.expires_at,
                paid_at: p.paid_at,
                canceled_at: p.canceled_at,
                version: p.version,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notices lunas 0.1 stored, and the bodies it sent for them.
    const NOTICES: &str = include_str!("../../tests/fixtures/lunas-0.1/notices.jsonl");
    const SENT: &str = include_str!("../../tests/fixtures/lunas-0.1/sent.jsonl");

    fn merchant() -> Merchant {
        Merchant {
            id: crate::domain::MerchantId(1),
            name: "Toko Contoh".into(),
            partner_id: "LNS226533604075".into(),
            client_secret: String::new(),
            public_key_pem: None,
            callback_url: None,
            secret_unbound_id: String::new(),
            hash_key: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn notices_stored_by_lunas_0_1_send_the_bytes_it_sent() {
        let faces = [Face::Snap, Face::Snap, Face::Pg3];
        for ((stored, sent), face) in NOTICES.lines().zip(SENT.lines()).zip(faces) {
            let notice = decode(stored, &merchant()).expect("a 0.1 notice decodes");
            assert_eq!(notice.face, face);
            assert_eq!(String::from_utf8(notice.body).unwrap(), sent);
        }
    }

    #[test]
    fn version_2_keeps_the_body_byte_for_byte() {
        let body = br#"{"b":1, "a":[2,  3],"c":"\u00e9"}"#;
        let stored = encode(Face::Pg3, body);
        assert!(stored.starts_with(r#"{"v":2,"face":"pg3","body":"#), "{stored}");
        assert_eq!(decode(&stored, &merchant()).unwrap(), Notice { face: Face::Pg3, body: body.to_vec() });
    }

    /// Found by fuzzing (fuzz/seeds/notice/time-out-of-range): a stored time no
    /// calendar holds made rendering panic, which would have stopped the worker.
    #[test]
    fn a_stored_time_out_of_range_is_an_error() {
        let first = NOTICES.lines().next().unwrap();
        let created_at = first.split(r#""created_at":"#).nth(1).unwrap().split(',').next().unwrap();
        for absurd in ["9000000000000000", "-9000000000000000"] {
            let stored = first.replace(&format!(r#""created_at":{created_at}"#), &format!(r#""created_at":{absurd}"#));
            assert!(stored.contains(absurd));
            assert!(matches!(decode(&stored, &merchant()), Err(NoticeError::Unrenderable(_))), "{absurd}");
        }
    }

    #[test]
    fn unknown_or_broken_notices_are_errors() {
        let m = merchant();
        assert!(matches!(decode(r#"{"v":3,"face":"snap","body":{}}"#, &m), Err(NoticeError::Version(3))));
        assert!(matches!(decode(r#"{"v":2,"body":{}}"#, &m), Err(NoticeError::Missing("face"))));
        assert!(matches!(decode(r#"{"v":2,"face":"smtp","body":{}}"#, &m), Err(NoticeError::Missing("face"))));
        assert!(matches!(decode(r#"{"v":2,"face":"snap"}"#, &m), Err(NoticeError::Missing("body"))));
        assert!(matches!(decode("not json", &m), Err(NoticeError::Format(_))));
        assert!(matches!(decode(r#"{"kind":"Paid"}"#, &m), Err(NoticeError::Format(_))));
    }
}
