//! Housekeeping. Every minute, record the expiry of payments whose time ran out
//! (so the history shows it without anyone asking); every hour, delete what can no
//! longer matter (expired access tokens, request ids from days that are over), so
//! those tables stay small. Running it on several instances at once is harmless: a
//! second expiry of the same payment changes nothing.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::{Gateway, change};

const TICK: Duration = Duration::from_secs(60);
/// Ticks between two prunes.
const PRUNE_EVERY: u32 = 60;
/// Expiries recorded per tick at most; the rest wait for the next one.
const EXPIRIES_PER_TICK: u32 = 1_000;

pub async fn run(gateway: Arc<Gateway>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = 0u32;
    loop {
        match change::expire_due(&gateway, EXPIRIES_PER_TICK).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "recorded the expiry of payments whose time ran out"),
            Err(e) => tracing::warn!(error = %e, "cannot record expiries; will try again"),
        }
        if tick.is_multiple_of(PRUNE_EVERY) {
            match gateway.store.prune(gateway.clock.now()).await {
                Ok(0) => {}
                Ok(rows) => tracing::info!(rows, "pruned expired tokens and request ids"),
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; will try again"),
            }
        }
        tick = tick.wrapping_add(1);
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => return,
        }
    }
}
