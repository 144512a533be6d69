//! The outbox worker: claims due notifications, signs each one for its API family at
//! send time, posts it, and records the attempt. Anything but a 2xx is retried on the
//! configured schedule; a row whose retries ran out stays for inspection and resend.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::api::{pg3, snap};
use crate::config::CallbackConfig;
use crate::domain::{Clock, Face, Timestamp};
use crate::store::{AttemptResult, Delivery, Store};

/// One HTTP request to a merchant, fully built and signed.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// How many deliveries one pass claims.
const BATCH: u32 = 32;

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub config: CallbackConfig,
    pub clock: Clock,
    pub wake: Arc<Notify>,
    pub http: reqwest::Client,
}

impl Worker {
    pub fn http_client(config: &CallbackConfig) -> anyhow::Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .timeout(Duration::from_millis(config.request_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()?)
    }

    /// Runs until `shutdown` turns true, then finishes the attempts in flight.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        loop {
            let claimed = match self.pass().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = ?e, "outbox pass failed");
                    0
                }
            };
            if *shutdown.borrow() {
                return;
            }
            if claimed == BATCH as usize {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Claims and attempts one batch; returns how many were claimed.
    pub async fn pass(self: &Arc<Self>) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let lease_until = now + i64::try_from(self.config.lease_ms)?;
        let batch = self.store.claim_deliveries(now, lease_until, BATCH).await?;
        let claimed = batch.len();
        let mut attempts = JoinSet::new();
        for delivery in batch {
            let worker = Arc::clone(self);
            attempts.spawn(async move { worker.attempt(delivery).await });
        }
        while let Some(done) = attempts.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = ?e, "a delivery task failed");
            }
        }
        Ok(claimed)
    }

    async fn attempt(&self, delivery: Delivery) {
        let now = self.clock.now();
        let result = match self.send(&delivery, now).await {
            Ok(status) if (200..300).contains(&status) => AttemptResult::Delivered { status },
            Ok(status) => self.failure(&delivery, Some(status), format!("merchant answered HTTP {status}"), now),
            Err(error) => self.failure(&delivery, None, error, now),
        };
        match &result {
            AttemptResult::Delivered { status } => {
                tracing::info!(delivery = delivery.id, status, "notification delivered")
            }
            AttemptResult::Failed { error, retry_at, .. } => {
                tracing::warn!(delivery = delivery.id, error, will_retry = retry_at.is_some(), "notification failed")
            }
        }
        if let Err(e) = self.store.finish_delivery(&delivery, result, self.clock.now()).await {
            // The lease will expire and the delivery will be tried again.
            tracing::error!(delivery = delivery.id, error = ?e, "cannot record a delivery attempt");
        }
    }

    fn failure(&self, delivery: &Delivery, status: Option<u16>, error: String, now: Timestamp) -> AttemptResult {
        let retry_at = self
            .config
            .retry_delays_ms
            .get(delivery.attempts as usize)
            .map(|delay| now.saturating_add(i64::try_from(*delay).unwrap_or(i64::MAX)));
        AttemptResult::Failed { status, error, retry_at }
    }

    async fn send(&self, delivery: &Delivery, now: Timestamp) -> Result<u16, String> {
        let merchant = self
            .store
            .merchant(delivery.merchant_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the merchant no longer exists")?;
        let notice = &delivery.notice;
        let request = match notice.payment.face {
            Face::Snap => snap::notify::request(notice, &merchant, delivery.id, delivery.attempts, now),
            Face::Pg3 => pg3::callback::request(notice, &merchant),
        };
        let mut builder = self.http.post(&request.url).header("Content-Type", "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let response = builder.body(request.body).send().await.map_err(|e| e.to_string())?;
        Ok(response.status().as_u16())
    }
}
