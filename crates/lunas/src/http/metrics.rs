//! Prometheus metrics at `GET /metrics`: requests by family, route and status with
//! their latency, and what the rest of lunas records through the `metrics` facade
//! (commit batches, deliveries, payment changes); the outbox gauges are read from
//! the store at each scrape.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::{AppState, family};

/// Latency buckets, in seconds: 1 ms to 10 s.
const SECONDS: [f64; 12] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 10.0];

/// The process's recorder (one per process, whatever the number of gateways in it),
/// installed when the first gateway starts so that nothing recorded is lost. A
/// thread drains histogram samples every few seconds, scraped or not.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("lunas_commit_batch_size".into()), &BATCHES))
            .expect("the buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed");
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("lunas-metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .expect("a thread starts");
        handle
    })
}

/// Commands per commit.
const BATCHES: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// A route's metric handles, registered once: looking a labelled metric up in the
/// registry on every request costs allocations and hashing on the hot path.
struct RouteMetrics {
    family: &'static str,
    route: String,
    duration: metrics::Histogram,
    by_status: RwLock<HashMap<u16, metrics::Counter>>,
}

impl RouteMetrics {
    fn count(&self, status: u16) {
        if let Some(counter) = self.by_status.read().unwrap_or_else(|e| e.into_inner()).get(&status) {
            counter.increment(1);
            return;
        }
        let counter = metrics::counter!("lunas_http_requests_total", "family" => self.family,
            "route" => self.route.clone(), "status" => status.to_string());
        counter.increment(1);
        self.by_status.write().unwrap_or_else(|e| e.into_inner()).insert(status, counter);
    }
}

/// The handles of `route` (bounded: the matched patterns and `unmatched`).
fn route_metrics(family: &'static str, route: &str) -> Arc<RouteMetrics> {
    static ROUTES: OnceLock<RwLock<HashMap<String, Arc<RouteMetrics>>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(found) = routes.read().unwrap_or_else(|e| e.into_inner()).get(route) {
        return Arc::clone(found);
    }
    let created = Arc::new(RouteMetrics {
        family,
        route: route.to_string(),
        duration: metrics::histogram!("lunas_http_request_duration_seconds", "family" => family,
            "route" => route.to_string()),
        by_status: RwLock::default(),
    });
    let mut routes = routes.write().unwrap_or_else(|e| e.into_inner());
    Arc::clone(routes.entry(route.to_string()).or_insert(created))
}

/// Counts and times every request. The route is the matched pattern, so the label
/// set stays bounded whatever paths clients send.
pub async fn observe(request: Request, next: Next) -> Response {
    let family = family(request.uri().path()).label();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str());
    let metrics = route_metrics(family, route);
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.count(response.status().as_u16());
    metrics.duration.record(started.elapsed().as_secs_f64());
    response
}

/// Prometheus metrics (text exposition format); behind the operator token when
/// one is configured.
#[utoipa::path(
    get, path = "/metrics", tag = "Monitoring", security(("operator_token" = [])),
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
        (status = 401, description = "No or a wrong operator token", body = super::Problem),
    ),
)]
pub async fn scrape(State(state): State<AppState>) -> Response {
    let handle = handle();
    match state.store.outbox_depth(state.clock.now()).await {
        Ok(depth) => {
            metrics::gauge!("lunas_outbox_undelivered").set(depth.undelivered as f64);
            metrics::gauge!("lunas_outbox_due").set(depth.due as f64);
            metrics::gauge!("lunas_outbox_oldest_due_age_seconds").set(depth.oldest_due_age_ms as f64 / 1000.0);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the outbox for metrics"),
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}
