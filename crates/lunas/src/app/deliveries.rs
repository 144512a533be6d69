//! Notifications for operators: list them, see each attempt, and send one again.

use super::{AppResult, Gateway};
use crate::domain::Timestamp;
use crate::store::{AttemptEntry, OutboxEntry};

pub async fn list(gw: &Gateway, undelivered_only: bool) -> AppResult<Vec<OutboxEntry>> {
    Ok(gw.store.outbox(undelivered_only).await?)
}

/// A page of notifications, newest first, for a merchant (by partner id) or all, and
/// the cursor of the next page; `None` for an unknown merchant.
pub async fn page(
    gw: &Gateway,
    partner_id: Option<&str>,
    undelivered_only: bool,
    before: Option<i64>,
    limit: u32,
) -> AppResult<Option<(Vec<OutboxEntry>, Option<i64>)>> {
    let merchant = match partner_id {
        Some(partner_id) => match super::merchants::by_partner_id(gw, partner_id).await? {
            Some(merchant) => Some(merchant.id),
            None => return Ok(None),
        },
        None => None,
    };
    let entries = gw.store.outbox_page(merchant, undelivered_only, before, limit).await?;
    let next = (entries.len() == limit as usize).then(|| entries.last().map(|e| e.id)).flatten();
    Ok(Some((entries, next)))
}

/// Makes a notification due now: one whose retries ran out, one that was parked, or
/// one delivered already (sent once more); `false` if there is none with this id or
/// an attempt is under way. A running worker sends it
/// within its poll interval (at once when it runs in this process).
pub async fn resend(gw: &Gateway, id: i64) -> AppResult<bool> {
    let due = gw.store.resend(id, gw.clock.now()).await?;
    if due {
        gw.outbox_wake.notify_one();
    }
    Ok(due)
}

/// Every attempt of one delivery, oldest first: when, where, the answer's status and
/// start, how long it took, and the error.
pub async fn attempts(gw: &Gateway, id: i64) -> AppResult<Vec<AttemptEntry>> {
    Ok(gw.store.attempts(id).await?)
}

/// Makes every failed delivery of the merchant `partner_id` created in `[from, until)`
/// due now (resends, the parked included); returns how many, or `None` for an unknown
/// merchant.
pub async fn resend_failed(
    gw: &Gateway,
    partner_id: &str,
    from: Timestamp,
    until: Timestamp,
) -> AppResult<Option<u64>> {
    let Some(merchant) = super::merchants::by_partner_id(gw, partner_id).await? else {
        return Ok(None);
    };
    let due = gw.store.resend_failed(merchant.id, from, until, gw.clock.now()).await?;
    if due > 0 {
        gw.outbox_wake.notify_one();
    }
    Ok(Some(due))
}
