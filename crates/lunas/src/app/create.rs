//! Creating a payment with its instrument, for either family. The request id and
//! the merchant's reference are checked before the acquirer is asked for anything
//! (SNAP's order, and no instrument for a request that will be refused), and again,
//! atomically, when the payment is stored.

use std::sync::Arc;

use lunas_protocol::crypto::{random_digits, sha256_hex};
use lunas_protocol::snap::qr::Tip;

use super::{AppResult, Gateway};
use crate::acquirer::{AcquirerError, QrisOrder, Requested, VaOrder};
use crate::domain::time::to_datetime;
use crate::domain::{
    Amount, AmountRule, DomainError, Effect, Face, Instrument, Merchant, MerchantId, NewPayment, Payment, Timestamp,
    VirtualAccount,
};
use crate::store::{
    ChangeKind, Changes, Decision, Loaded, MerchantKey, Need, NumberChange, PaymentChange, PaymentRef, RequestId,
};

/// How often a generated number that turns out to be taken is drawn again.
const NUMBER_ATTEMPTS: usize = 5;

/// A new payment as a face describes it, before its instrument exists.
#[derive(Clone)]
pub struct Order {
    pub merchant: Arc<Merchant>,
    pub face: Face,
    pub merchant_reference: String,
    pub order_id: Option<String>,
    /// Tells a retry of this request from a different one with the same reference.
    pub fingerprint: String,
    pub request_id: Option<RequestId>,
    pub amount: Amount,
    pub rule: AmountRule,
    pub multi_use: bool,
    pub callback_url: String,
    pub expires_at: Timestamp,
}

/// A virtual account's particulars.
pub struct VaSpec {
    pub channel: &'static str,
    pub billing_name: String,
    pub description: String,
    /// The merchant's order details, echoed back in inquiries and callbacks.
    pub order: serde_json::Value,
    /// The merchant's own number for a static VA.
    pub requested_number: Option<Requested>,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long a VA takes payments when the merchant does not say: ten years for one
/// that stays open for many payments or any amount, a day otherwise.
pub fn default_va_lifetime(rule: AmountRule, multi_use: bool) -> i64 {
    match rule {
        AmountRule::Exact if multi_use => 3_652 * DAY_MS,
        AmountRule::Open { .. } => 3_652 * DAY_MS,
        AmountRule::Exact | AmountRule::Partial => DAY_MS,
    }
}

#[derive(Debug)]
pub enum Created {
    New(Payment),
    /// The same request was made before; this is what it created.
    Existing(Payment),
}

/// A hash of the fields that define a request, so a retry can be told from a
/// different request reusing the same merchant reference.
pub fn fingerprint(parts: &[&str]) -> String {
    sha256_hex(parts.join("\u{1f}").as_bytes())
}

/// A 22-digit reference: the Jakarta date and 14 random digits.
pub fn new_reference(now: Timestamp) -> String {
    let date = lunas_protocol::timestamp::format(to_datetime(now))[..10].replace('-', "");
    format!("{date}{}", random_digits(14))
}

/// A dynamic QRIS for `order`.
pub async fn qris(gw: &Gateway, order: Order, tip: Option<Tip>, terminal_id: Option<String>) -> AppResult<Created> {
    if let Some(existing) = check(gw, &order).await? {
        return Ok(Created::Existing(existing));
    }
    let reference_no = new_reference(gw.clock.now());
    let content = gw
        .acquirer
        .issue_qris(&QrisOrder {
            merchant: &order.merchant,
            reference_no: &reference_no,
            amount: order.amount,
            tip,
            terminal_id: terminal_id.as_deref(),
        })
        .await?;
    store(gw, order, reference_no, Instrument::Qris { content, terminal_id }, None).await
}

/// A virtual account for `order`: a number drawn by the bank (again if taken), or
/// the merchant's own (refused if a live VA holds it).
pub async fn virtual_account(gw: &Gateway, order: Order, spec: VaSpec) -> AppResult<Created> {
    if let Some(existing) = check(gw, &order).await? {
        return Ok(Created::Existing(existing));
    }
    for _ in 0..NUMBER_ATTEMPTS {
        let number = gw
            .acquirer
            .issue_virtual_account(&VaOrder {
                merchant: &order.merchant,
                channel: spec.channel,
                rule: order.rule,
                requested: spec.requested_number.clone(),
            })
            .await?;
        let instrument = Instrument::VirtualAccount(Box::new(VirtualAccount {
            channel: spec.channel.to_string(),
            number: number.clone(),
            billing_name: spec.billing_name.clone(),
            description: spec.description.clone(),
            order: spec.order.clone(),
        }));
        let reference_no = new_reference(gw.clock.now());
        match store(gw, order.clone(), reference_no, instrument, Some(number)).await {
            Err(super::AppError::Domain(DomainError::NumberInUse)) if spec.requested_number.is_none() => continue,
            other => return other,
        }
    }
    Err(AcquirerError::NoFreeNumber.into())
}

fn by_reference(merchant: MerchantId, face: Face, reference: &str) -> PaymentRef {
    PaymentRef::Merchant { merchant_id: merchant, face, key: MerchantKey::Reference(reference.to_string()) }
}

/// Refuses a used request id or a reference used for a different request; finds
/// the payment the same request created before.
fn verdict(loaded: Loaded, fingerprint: &str) -> Result<Option<Payment>, DomainError> {
    if loaded.request_id_used {
        return Err(DomainError::RequestIdReused);
    }
    match loaded.payment {
        Some(existing) if existing.fingerprint == fingerprint => Ok(Some(existing)),
        Some(_) => Err(DomainError::InconsistentRequest),
        None => Ok(None),
    }
}

async fn check(gw: &Gateway, order: &Order) -> AppResult<Option<Payment>> {
    let by = by_reference(order.merchant.id, order.face, &order.merchant_reference);
    let loaded = gw.store.peek(order.request_id.clone(), by).await?;
    Ok(verdict(loaded, &order.fingerprint)?)
}

async fn store(
    gw: &Gateway,
    order: Order,
    reference_no: String,
    instrument: Instrument,
    number: Option<String>,
) -> AppResult<Created> {
    let now = gw.clock.now();
    let payment = Payment::from(NewPayment {
        merchant_id: order.merchant.id,
        reference_no,
        merchant_reference: order.merchant_reference.clone(),
        order_id: order.order_id,
        face: order.face,
        fingerprint: order.fingerprint.clone(),
        amount: order.amount,
        rule: order.rule,
        multi_use: order.multi_use,
        instrument,
        callback_url: order.callback_url,
        created_at: now,
        expires_at: order.expires_at,
    });
    let by = by_reference(order.merchant.id, order.face, &order.merchant_reference);
    let request_id = order.request_id;
    let created = gw
        .store
        .command(move |loader| {
            let need = Need {
                request_id: request_id.as_ref(),
                payment: Some(&by),
                number: number.as_deref().map(|n| (n, now)),
                ..Need::default()
            };
            let loaded = loader.load(&need)?;
            let number_taken = loaded.number_taken;
            if let Some(existing) = verdict(loaded, &payment.fingerprint)? {
                return Ok(Decision { changes: Changes::none(now), output: Created::Existing(existing) });
            }
            if number_taken {
                return Err(DomainError::NumberInUse.into());
            }
            let claim = number.clone().map(|number| NumberChange::Claim { number, until: payment.expires_at });
            let change = PaymentChange {
                next: payment.clone(),
                kind: ChangeKind::Insert,
                effect: Effect::Created,
                refund: None,
                number: claim,
                notice: None,
            };
            let changes = Changes { now, request_id: request_id.clone(), payment: Some(change) };
            Ok(Decision { changes, output: Created::New(payment.clone()) })
        })
        .await?;
    if let Created::New(payment) = &created {
        super::count_change(payment, "created");
    }
    Ok(created)
}
