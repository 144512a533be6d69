//! Housekeeping: every hour, delete what can no longer matter (expired access tokens,
//! request ids from days that are over), so those tables stay small. Running it on
//! several instances at once is harmless.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::Gateway;

const INTERVAL: Duration = Duration::from_secs(3_600);

pub async fn run(gateway: Arc<Gateway>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match gateway.store.prune(gateway.clock.now()).await {
            Ok(0) => {}
            Ok(rows) => tracing::info!(rows, "pruned expired tokens and request ids"),
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(INTERVAL) => {}
            _ = shutdown.changed() => return,
        }
    }
}
