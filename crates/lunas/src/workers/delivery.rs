//! The delivery worker: claims due notifications, signs each for its API family at
//! send time, posts it and records the attempt.
//!
//! Deliveries run concurrently, at most `callbacks.max_in_flight` at once and
//! `callbacks.per_merchant` for any one merchant (counted across instances by the
//! claim), so a slow or dead endpoint delays only its own merchant. Anything but a
//! 2xx is retried on the configured schedule (with ±10 % jitter); a row whose
//! retries ran out stays for inspection and resend. A row that cannot be decoded is
//! parked with its error; the others go on. A delivery cut short by a crash is taken
//! again once its lease (`callbacks.lease_ms`) runs out.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::app::{Gateway, merchants};
use crate::config::CallbackConfig;
use crate::domain::{Face, Timestamp};
use crate::render::{OutboundRequest, notice, pg3, snap};
use crate::store::{Attempt, AttemptResult, Claim, Claimed};

pub struct Worker {
    gateway: Arc<Gateway>,
    http: reqwest::Client,
    config: CallbackConfig,
}

/// Why an attempt could not be made at all.
enum Unsendable {
    /// The row itself is bad; retrying cannot help.
    Park(String),
    /// Something else failed (the store, say); try again later.
    Retry(String),
}

impl Worker {
    pub fn new(gateway: Arc<Gateway>) -> anyhow::Result<Self> {
        let config = gateway.config.callbacks.clone();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.request_timeout_ms))
            .connect_timeout(Duration::from_millis(config.request_timeout_ms.min(5_000)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { gateway, http, config })
    }

    /// Runs until `shutdown` turns true, then waits for the attempts in flight.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.config.max_in_flight as usize));
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        let mut attempts = JoinSet::new();
        while !*shutdown.borrow() {
            while attempts.try_join_next().is_some() {}
            let free = slots.available_permits();
            let claimed = if free == 0 { Vec::new() } else { self.claim(free).await };
            let filled = !claimed.is_empty() && claimed.len() == free;
            for delivery in claimed {
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else { break };
                let worker = Arc::clone(&self);
                attempts.spawn(async move {
                    worker.attempt(delivery).await;
                    drop(slot);
                });
            }
            if filled {
                // More may be due; look again as soon as a slot frees up.
                tokio::select! {
                    _ = attempts.join_next() => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            tokio::select! {
                _ = self.gateway.outbox_wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                Some(_) = attempts.join_next() => {}
                _ = shutdown.changed() => {}
            }
        }
        while attempts.join_next().await.is_some() {}
    }

    async fn claim(&self, limit: usize) -> Vec<Claimed> {
        let now = self.gateway.clock.now();
        let claim = Claim {
            now,
            lease_until: now.saturating_add(i64::try_from(self.config.lease_ms).unwrap_or(i64::MAX)),
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            per_merchant: self.config.per_merchant,
        };
        match self.gateway.store.claim_deliveries(claim).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::error!(error = %e, "cannot claim deliveries; will try again");
                Vec::new()
            }
        }
    }

    async fn attempt(&self, delivery: Claimed) {
        let now = self.gateway.clock.now();
        let started = std::time::Instant::now();
        let mut response = None;
        // X-TIMESTAMP is for the merchant's freshness check, against its real clock.
        let result = match self.prepare(&delivery, self.gateway.clock.wall_now()).await {
            Err(Unsendable::Park(error)) => {
                tracing::error!(delivery = delivery.id, error, "notification parked");
                AttemptResult::Parked { error }
            }
            Err(Unsendable::Retry(error)) => self.failure(&delivery, None, error, now),
            Ok(request) => match self.send(request).await {
                Ok((status, excerpt)) => {
                    response = Some(excerpt);
                    if !(200..300).contains(&status) {
                        self.failure(&delivery, Some(status), format!("merchant answered HTTP {status}"), now)
                    } else if self.gateway.sandbox.as_ref().is_some_and(|s| s.take_failure(delivery.merchant_id)) {
                        let error = format!("sandbox: failure forced on demand (the merchant answered HTTP {status})");
                        self.failure(&delivery, Some(status), error, now)
                    } else {
                        AttemptResult::Delivered { status }
                    }
                }
                Err(error) => self.failure(&delivery, None, error, now),
            },
        };
        let outcome = match &result {
            AttemptResult::Delivered { .. } => "delivered",
            AttemptResult::Failed { .. } => "failed",
            AttemptResult::Parked { .. } => "parked",
        };
        metrics::counter!("lunas_deliveries_total", "result" => outcome).increment(1);
        metrics::histogram!("lunas_delivery_duration_seconds").record(started.elapsed().as_secs_f64());
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let attempt = Attempt { at: now, latency_ms, response };
        match &result {
            AttemptResult::Delivered { status } => {
                tracing::info!(delivery = delivery.id, attempt = delivery.attempt, status, "notification delivered")
            }
            AttemptResult::Failed { error, retry_at, .. } => tracing::warn!(
                delivery = delivery.id,
                attempt = delivery.attempt,
                error,
                will_retry = retry_at.is_some(),
                "notification failed"
            ),
            AttemptResult::Parked { .. } => {}
        }
        let id = delivery.id;
        match self.gateway.store.finish_delivery(delivery, result, attempt, self.gateway.clock.now()).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(delivery = id, "lost the lease while sending; the newer claim records its own"),
            // The lease runs out and the delivery is tried again.
            Err(e) => tracing::error!(delivery = id, error = %e, "cannot record a delivery attempt"),
        }
    }

    /// The signed request for this attempt, stamped `sent_at`.
    async fn prepare(&self, delivery: &Claimed, sent_at: Timestamp) -> Result<OutboundRequest, Unsendable> {
        let merchant = merchants::get(&self.gateway, delivery.merchant_id)
            .await
            .map_err(|e| Unsendable::Retry(e.to_string()))?
            .ok_or_else(|| Unsendable::Park("the merchant no longer exists".into()))?;
        let notice = notice::decode(&delivery.notice, &merchant).map_err(|e| Unsendable::Park(e.to_string()))?;
        let url = &delivery.target_url;
        match notice.face {
            Face::Snap | Face::SnapVa => {
                Ok(snap::notification_request(url, notice.body, &merchant, delivery.id, delivery.attempt, sent_at))
            }
            Face::Pg3 => {
                pg3::callback_request(url, notice.body, &merchant).map_err(|e| Unsendable::Park(e.to_string()))
            }
        }
    }

    fn failure(&self, delivery: &Claimed, status: Option<u16>, error: String, now: Timestamp) -> AttemptResult {
        let retry_at = self
            .config
            .retry_delays_ms
            .get(delivery.attempt.saturating_sub(1) as usize)
            .map(|delay| now.saturating_add(jittered(*delay)));
        AttemptResult::Failed { status, error, retry_at }
    }

    /// Posts the notification; returns the status and the start of the answer.
    async fn send(&self, request: OutboundRequest) -> Result<(u16, String), String> {
        let mut builder = self.http.post(&request.url).header("Content-Type", "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let mut response = builder.body(request.body).send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        // Only what is kept is read: a merchant's answer may be large or endless.
        let mut body = Vec::new();
        while body.len() < Attempt::EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(Attempt::EXCERPT_BYTES);
        // PostgreSQL's TEXT holds no NUL; a binary answer must not stop the record.
        Ok((status, String::from_utf8_lossy(&body).replace('\0', "\u{FFFD}")))
    }
}

/// `delay_ms` give or take 10 %, so retries after an outage do not arrive together.
fn jittered(delay_ms: u64) -> i64 {
    let bytes = lunas_protocol::crypto::random_bytes(2);
    let unit = f64::from(u16::from_le_bytes([bytes[0], bytes[1]])) / f64::from(u16::MAX);
    let factor = 0.9 + 0.2 * unit;
    (delay_ms as f64 * factor) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..1_000 {
            let delay = jittered(10_000);
            assert!((9_000..=11_000).contains(&delay), "{delay}");
        }
    }
}
