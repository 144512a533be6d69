//! Events on an existing payment: a merchant cancels, the acquirer reports money or
//! expiry. One path for every family and every kind: load, ask the state machine,
//! persist its step with the notification it calls for.

use std::sync::Arc;

use super::{AppResult, Gateway, merchants};
use crate::domain::{
    Amount, DomainError, Effect, Event, Merchant, NoticeKind, Payer, Payment, PaymentState, Refund, Step, Transition,
    transition,
};
use crate::render::notice;
use crate::store::{
    ChangeKind, Changes, Decision, Need, NumberChange, Outgoing, PaymentChange, PaymentRef, RequestId, StoreError,
    StoreResult,
};

/// A face's extra rule on the payment a command loaded; a payment failing it is
/// not found (PG3 checks the channel the merchant named).
pub type Guard = Box<dyn Fn(&Payment) -> bool + Send + Sync>;

pub struct Change {
    pub target: PaymentRef,
    pub event: Event,
    /// The merchant's `X-EXTERNAL-ID`, recorded with the change.
    pub request_id: Option<RequestId>,
    /// The payment's merchant, whose notification this change may send.
    pub merchant: Arc<Merchant>,
    pub guard: Option<Guard>,
}

/// Applies an event; a repeat of one already applied (a second cancel) changes
/// nothing and answers the payment as it is.
pub async fn apply(gw: &Gateway, change: Change) -> AppResult<Payment> {
    let now = gw.clock.now();
    let Change { target, event, request_id, merchant, guard } = change;
    let (payment, notified, effect) = gw
        .store
        .command(move |loader| {
            let need = Need { request_id: request_id.as_ref(), payment: Some(&target), ..Need::default() };
            let loaded = loader.load(&need)?;
            if loaded.request_id_used {
                return Err(DomainError::RequestIdReused.into());
            }
            let payment =
                loaded.payment.filter(|p| guard.as_ref().is_none_or(|g| g(p))).ok_or(DomainError::NotFound)?;
            let step = match transition(&payment, &event, now)? {
                Transition::Unchanged => {
                    let changes = Changes { now, request_id: request_id.clone(), payment: None };
                    return Ok(Decision { changes, output: (payment, false, None) });
                }
                Transition::Changed(step) => *step,
            };
            let effect = step.effect.as_str();
            let change = record(step, None, &merchant)?;
            let notified = change.notice.is_some();
            let output = (change.next.clone(), notified, Some(effect));
            Ok(Decision { changes: Changes { now, request_id: request_id.clone(), payment: Some(change) }, output })
        })
        .await?;
    if notified {
        gw.outbox_wake.notify_one();
    }
    if let Some(effect) = effect {
        super::count_change(&payment, effect);
    }
    Ok(payment)
}

/// Money received, as the acquirer reports it: the one door through which money
/// enters. `None` pays what is due. A payment found by its VA number must still be
/// taking transfers.
pub async fn report_payment(gw: &Gateway, by: PaymentRef, amount: Option<Amount>, payer: Payer) -> AppResult<Payment> {
    let now = gw.clock.now();
    let transfer = matches!(by, PaymentRef::VirtualAccount { .. });
    let (payment, merchant) = acquirer_target(gw, by).await?;
    let pending = move |p: &Payment| p.state_at(now) == PaymentState::Pending;
    if transfer && !pending(&payment) {
        return Err(DomainError::NotFound.into());
    }
    let event = Event::Pay { amount: amount.unwrap_or_else(|| payment.amount_due()), payer };
    let guard: Option<Guard> = if transfer { Some(Box::new(pending)) } else { None };
    apply(gw, Change { target: by_id(&payment), event, request_id: None, merchant, guard }).await
}

/// Expiry reported by the acquirer (or the sandbox's "expire now").
pub async fn report_expiry(gw: &Gateway, by: PaymentRef) -> AppResult<Payment> {
    let (payment, merchant) = acquirer_target(gw, by).await?;
    apply(gw, Change { target: by_id(&payment), event: Event::Expire, request_id: None, merchant, guard: None }).await
}

/// Records the expiry of payments whose time ran out with nobody asking (a derived
/// expiry is otherwise written by the first command that touches the payment), so
/// their history says when they expired and what they held is let go. Returns how
/// many it recorded; a payment paid or cancelled meanwhile is left as it is.
pub async fn expire_due(gw: &Gateway, limit: u32) -> AppResult<usize> {
    let due = gw.store.due_expiries(gw.clock.now(), limit).await?;
    let mut expired = 0;
    for id in due {
        match expire_if_due(gw, id).await {
            Ok(()) => expired += 1,
            Err(super::AppError::Domain(_)) => {}
            // One payment that cannot be expired must not hold up the others.
            Err(e) => tracing::warn!(error = %e, "cannot record an expiry; will try again"),
        }
    }
    Ok(expired)
}

/// Expires the payment only if, when the command runs, it is still pending and past
/// its expiry (it may have been paid or given more time meanwhile).
async fn expire_if_due(gw: &Gateway, id: String) -> AppResult<()> {
    let now = gw.clock.now();
    let (payment, merchant) = acquirer_target(gw, PaymentRef::Acquirer { reference: id }).await?;
    let still_due: Guard = Box::new(move |p: &Payment| p.state == PaymentState::Pending && p.expires_at <= now);
    let change =
        Change { target: by_id(&payment), event: Event::Expire, request_id: None, merchant, guard: Some(still_due) };
    apply(gw, change).await.map(|_| ())
}

fn by_id(payment: &Payment) -> PaymentRef {
    PaymentRef::Acquirer { reference: payment.id.to_string() }
}

/// The payment an acquirer names, and its merchant. Later commands address the
/// payment by id, so a VA number that moves on meanwhile cannot switch payments.
async fn acquirer_target(gw: &Gateway, by: PaymentRef) -> AppResult<(Payment, Arc<Merchant>)> {
    let payment = gw.store.payment(by).await?.ok_or(DomainError::NotFound)?;
    let merchant = merchants::get(gw, payment.merchant_id)
        .await?
        .ok_or_else(|| super::AppError::Internal(anyhow::anyhow!("payment {} has no merchant", payment.id)))?;
    Ok((payment, merchant))
}

/// What the store must write for a state-machine step: the payment, its history,
/// the number it gives back, the refund record and the notification.
pub(super) fn record(step: Step, refund: Option<Refund>, merchant: &Merchant) -> StoreResult<PaymentChange> {
    let Step { next, effect, notice, releases_number } = step;
    let notice = notice.map(|kind| outgoing(&next, kind, refund.as_ref(), merchant)).transpose()?;
    // New terms keep the VA's number for as long as the VA now lives.
    let kind = if effect == Effect::Amended { ChangeKind::Amend } else { ChangeKind::Update };
    let number = next.virtual_account().and_then(|va| match (releases_number, kind) {
        (true, _) => Some(NumberChange::Release { number: va.number.clone() }),
        (false, ChangeKind::Amend) => Some(NumberChange::Extend { number: va.number.clone(), until: next.expires_at }),
        (false, _) => None,
    });
    Ok(PaymentChange { next, kind, effect, refund, number, notice })
}

/// The notification for a change, rendered now so every attempt sends these bytes.
fn outgoing(
    payment: &Payment,
    kind: NoticeKind,
    refund: Option<&Refund>,
    merchant: &Merchant,
) -> StoreResult<Outgoing> {
    let body = notice::render(payment.face, payment, kind, refund, &merchant.partner_id)
        .map_err(|e| StoreError::Internal(e.into()))?;
    Ok(Outgoing { url: payment.callback_url.clone(), notice: notice::encode(payment.face, &body) })
}
