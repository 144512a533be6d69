//! Refunds. The merchant's refund number makes a refund idempotent: a repeat with the
//! same content answers the first refund and refunds nothing more.

use std::sync::Arc;

use super::change::record;
use super::{AppResult, Gateway};
use crate::domain::{Amount, DomainError, Event, Merchant, Payment, Refund, Transition, transition};
use crate::store::{Changes, Decision, Need, PaymentRef, RequestId};

pub struct RefundOrder {
    pub merchant: Arc<Merchant>,
    pub target: PaymentRef,
    /// `None` refunds all that is refundable.
    pub amount: Option<Amount>,
    pub merchant_refund_no: String,
    /// The gateway's number for a new refund.
    pub refund_no: String,
    pub fingerprint: String,
    pub reason: Option<String>,
    pub request_id: RequestId,
}

pub async fn refund(gw: &Gateway, order: RefundOrder) -> AppResult<(Payment, Refund)> {
    let now = gw.clock.now();
    let (payment, refund, notified) = gw
        .store
        .command(move |loader| {
            let o = &order;
            let need = Need {
                request_id: Some(&o.request_id),
                payment: Some(&o.target),
                refund: Some((o.merchant.id, &o.merchant_refund_no)),
                ..Need::default()
            };
            let loaded = loader.load(&need)?;
            if loaded.request_id_used {
                return Err(DomainError::RequestIdReused.into());
            }
            let payment = loaded.payment.ok_or(DomainError::NotFound)?;
            let record_request = Some(o.request_id.clone());
            if let Some((refunded_payment, earlier)) = loaded.refund {
                if earlier.fingerprint != o.fingerprint || refunded_payment != payment.id {
                    return Err(DomainError::InconsistentRequest.into());
                }
                let changes = Changes { now, request_id: record_request, payment: None };
                return Ok(Decision { changes, output: (payment, earlier, false) });
            }
            let step = match transition(&payment, &Event::Refund { amount: o.amount }, now)? {
                Transition::Changed(step) => *step,
                Transition::Unchanged => {
                    return Err(DomainError::RefundExceedsBalance { refundable: Amount::ZERO }.into());
                }
            };
            let amount = step.effect.amount().unwrap_or(Amount::ZERO);
            let refund = Refund {
                refund_no: o.refund_no.clone(),
                merchant_refund_no: o.merchant_refund_no.clone(),
                fingerprint: o.fingerprint.clone(),
                amount,
                reason: o.reason.clone(),
                created_at: now,
            };
            let change = record(step, Some(refund.clone()), &o.merchant)?;
            let output = (change.next.clone(), refund, change.notice.is_some());
            Ok(Decision { changes: Changes { now, request_id: record_request, payment: Some(change) }, output })
        })
        .await?;
    // Every new refund notifies; a repeated one (the same partnerRefundNo) does not.
    if notified {
        gw.outbox_wake.notify_one();
        super::count_change(&payment, "refunded");
    }
    Ok((payment, refund))
}
