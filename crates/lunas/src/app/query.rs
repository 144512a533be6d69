//! Reading payments: a SNAP query (which records its request id), a PG3 inquiry
//! with the latest receipts, and plain lookups.

use super::{AppResult, Gateway};
use crate::domain::{DomainError, Payment, Receipt};
use crate::store::{Changes, Decision, Need, PaymentFilter, PaymentRecord, PaymentRef, RequestId};

/// The payment, with `request_id` recorded so it cannot be used again today.
pub async fn query(gw: &Gateway, by: PaymentRef, request_id: RequestId) -> AppResult<Payment> {
    let now = gw.clock.now();
    let payment = gw
        .store
        .command(move |loader| {
            let loaded = loader.load(&Need { request_id: Some(&request_id), payment: Some(&by), ..Need::default() })?;
            if loaded.request_id_used {
                return Err(DomainError::RequestIdReused.into());
            }
            let payment = loaded.payment.ok_or(DomainError::NotFound)?;
            Ok(Decision {
                changes: Changes { now, request_id: Some(request_id.clone()), payment: None },
                output: payment,
            })
        })
        .await?;
    Ok(payment)
}

/// The payment and its latest `limit` receipts, newest first, as of one moment.
pub async fn inquiry(gw: &Gateway, by: PaymentRef, limit: u32) -> AppResult<(Payment, Vec<Receipt>)> {
    Ok(gw.store.payment_with_receipts(by, limit).await?.ok_or(DomainError::NotFound)?)
}

/// Everything about the payment with this reference or id: its history, receipts,
/// refunds and notifications with their attempts.
pub async fn record(gw: &Gateway, reference: &str) -> AppResult<PaymentRecord> {
    let by = PaymentRef::Acquirer { reference: reference.to_string() };
    Ok(gw.store.payment_record(by).await?.ok_or(DomainError::NotFound)?)
}

/// A page of payments, newest first, and the cursor of the next page when there may
/// be one.
pub async fn list(gw: &Gateway, filter: PaymentFilter) -> AppResult<(Vec<Payment>, Option<String>)> {
    let limit = filter.limit as usize;
    let payments = gw.store.list_payments(filter).await?;
    let next = (payments.len() == limit).then(|| payments.last().map(|p| p.id.to_string())).flatten();
    Ok((payments, next))
}

pub async fn find(gw: &Gateway, by: PaymentRef) -> AppResult<Payment> {
    Ok(gw.store.payment(by).await?.ok_or(DomainError::NotFound)?)
}
