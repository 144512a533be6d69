//! Notifications for operators: list them and send one again.

use super::{AppResult, Gateway};
use crate::store::OutboxEntry;

pub async fn list(gw: &Gateway, undelivered_only: bool) -> AppResult<Vec<OutboxEntry>> {
    Ok(gw.store.outbox(undelivered_only).await?)
}

/// Makes an undelivered notification due now, even one whose retries ran out or that
/// was parked; `false` if there is none with this id. A running worker sends it
/// within its poll interval (at once when it runs in this process).
pub async fn resend(gw: &Gateway, id: i64) -> AppResult<bool> {
    let due = gw.store.resend(id, gw.clock.now()).await?;
    if due {
        gw.outbox_wake.notify_one();
    }
    Ok(due)
}
