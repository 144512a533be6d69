//! The sandbox's developer tools (sandbox mode only, kept in this instance's memory):
//! the request log, the clock's moves, and forced callback failures. In production
//! mode the gateway has none of this, so nothing here can run.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use lunas_protocol::explain::Explanation;

use super::{AppError, AppResult, Gateway, change};
use crate::config::SandboxConfig;
use crate::domain::{MerchantId, Timestamp};

/// How far one move may take the clock: a year.
const MAX_MOVE_MS: i64 = 366 * 24 * 3600 * 1000;
/// So that business time stays far inside what a timestamp can be written in.
const MAX_SHIFT_MS: i64 = 100 * MAX_MOVE_MS;
/// Expiries recorded right after a move (the sweep records any others).
const EXPIRIES_PER_MOVE: u32 = 10_000;

/// The gateway's sandbox tools: an error in production mode, where there are none.
pub fn tools(gw: &Gateway) -> AppResult<&Sandbox> {
    gw.sandbox.as_ref().ok_or_else(|| AppError::Invalid("the sandbox tools are off in production mode".into()))
}

/// Moves the sandbox's clock forward by `by_ms` (or, with `None`, back to real
/// time); then what the move made due happens now: expiries are recorded in the
/// payments' histories at the new time, and due notifications and retries are sent.
pub async fn move_clock(gw: &Gateway, by_ms: Option<i64>) -> AppResult<Vec<ClockMove>> {
    let sandbox = tools(gw)?;
    let by_ms = match by_ms {
        Some(ms) if (1..=MAX_MOVE_MS).contains(&ms) => ms,
        Some(_) => return Err(AppError::Invalid(format!("a move is 1 ms to {} seconds", MAX_MOVE_MS / 1000))),
        None => -gw.clock.sandbox_shift_ms(),
    };
    // Two moves at once may both pass and overshoot by a year: still millennia short
    // of what breaks.
    if gw.clock.sandbox_shift_ms().saturating_add(by_ms) > MAX_SHIFT_MS {
        return Err(AppError::Invalid("the sandbox clock goes at most 100 years ahead; reset it".into()));
    }
    let at = gw.clock.wall_now();
    gw.clock.shift_sandbox(by_ms);
    sandbox.record_move(ClockMove { at, by_ms, now: gw.clock.now() });
    change::expire_due(gw, EXPIRIES_PER_MOVE).await?;
    gw.outbox_wake.notify_one();
    Ok(sandbox.moves())
}

pub struct Sandbox {
    pub requests: RequestLog,
    moves: Mutex<Vec<ClockMove>>,
    /// Merchant to how many of its next deliveries are to fail.
    failures: Mutex<HashMap<MerchantId, u32>>,
}

impl Sandbox {
    pub fn new(config: &SandboxConfig) -> Self {
        Self {
            requests: RequestLog::new(config.request_log_entries, config.request_log_secs.saturating_mul(1000)),
            moves: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    pub fn record_move(&self, moved: ClockMove) {
        lock(&self.moves).push(moved);
    }

    pub fn moves(&self) -> Vec<ClockMove> {
        lock(&self.moves).clone()
    }

    /// The merchant's next `count` deliveries fail (0 clears it).
    pub fn fail_deliveries(&self, merchant: MerchantId, count: u32) {
        let mut failures = lock(&self.failures);
        if count == 0 {
            failures.remove(&merchant);
        } else {
            failures.insert(merchant, count);
        }
    }

    pub fn failures_left(&self, merchant: MerchantId) -> u32 {
        lock(&self.failures).get(&merchant).copied().unwrap_or(0)
    }

    /// Whether this delivery is to fail; counts it.
    pub fn take_failure(&self, merchant: MerchantId) -> bool {
        let mut failures = lock(&self.failures);
        let Some(left) = failures.get_mut(&merchant) else { return false };
        *left -= 1;
        if *left == 0 {
            failures.remove(&merchant);
        }
        true
    }
}

/// A move of the sandbox clock.
#[derive(Debug, Clone)]
pub struct ClockMove {
    /// When it was made, in real time.
    pub at: Timestamp,
    /// Milliseconds forward; a reset moves back by the whole skew.
    pub by_ms: i64,
    /// The sandbox's time right after it.
    pub now: Timestamp,
}

/// One API call of a merchant, as the sandbox saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub id: u64,
    pub at: Timestamp,
    /// The merchant the caller claimed to be (known or not).
    pub partner_id: Option<String>,
    pub family: &'static str,
    pub method: String,
    pub path: String,
    /// Credentials and signatures masked.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub status: u16,
    pub answer: String,
    pub latency_us: u64,
    pub explanation: Option<Explanation>,
}

/// The last calls, bounded by count and by age.
pub struct RequestLog {
    entries: Mutex<VecDeque<LoggedRequest>>,
    next_id: Mutex<u64>,
    capacity: usize,
    max_age_ms: i64,
}

/// Which logged calls to list, newest first.
#[derive(Debug, Default)]
pub struct RequestFilter {
    pub partner_id: Option<String>,
    /// Only answers with status 400 or more.
    pub failed: bool,
    /// Only ids below this one.
    pub before: Option<u64>,
    pub limit: usize,
}

impl RequestLog {
    fn new(capacity: usize, max_age_ms: u64) -> Self {
        Self {
            entries: Mutex::default(),
            next_id: Mutex::new(1),
            capacity,
            max_age_ms: i64::try_from(max_age_ms).unwrap_or(i64::MAX),
        }
    }

    /// Keeps `entry` under a new id, forgetting what is over the bounds.
    pub fn push(&self, mut entry: LoggedRequest) -> u64 {
        let id = {
            let mut next = lock(&self.next_id);
            let id = *next;
            *next += 1;
            id
        };
        entry.id = id;
        let oldest = entry.at.saturating_sub(self.max_age_ms);
        let mut entries = lock(&self.entries);
        entries.push_back(entry);
        while entries.len() > self.capacity || entries.front().is_some_and(|e| e.at < oldest) {
            entries.pop_front();
        }
        id
    }

    pub fn list(&self, filter: &RequestFilter) -> Vec<LoggedRequest> {
        let entries = lock(&self.entries);
        entries
            .iter()
            .rev()
            .filter(|e| filter.before.is_none_or(|before| e.id < before))
            .filter(|e| filter.partner_id.is_none() || e.partner_id == filter.partner_id)
            .filter(|e| !filter.failed || e.status >= 400)
            .take(filter.limit)
            .cloned()
            .collect()
    }

    pub fn get(&self, id: u64) -> Option<LoggedRequest> {
        lock(&self.entries).iter().find(|e| e.id == id).cloned()
    }
}

/// A lock that a panic elsewhere does not poison for good: the data is plain.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: Timestamp, partner: &str, status: u16) -> LoggedRequest {
        LoggedRequest {
            id: 0,
            at,
            partner_id: Some(partner.into()),
            family: "snap",
            method: "POST".into(),
            path: "/v1.0/x".into(),
            headers: vec![],
            body: String::new(),
            status,
            answer: String::new(),
            latency_us: 1,
            explanation: None,
        }
    }

    #[test]
    fn the_log_is_bounded_by_count_and_age_and_filters_newest_first() {
        let log = RequestLog::new(3, 1_000);
        for (at, partner, status) in [(0, "A", 200), (10, "B", 401), (20, "A", 401), (30, "A", 200)] {
            log.push(entry(at, partner, status));
        }
        let ids = |f: &RequestFilter| log.list(f).iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(&RequestFilter { limit: 10, ..Default::default() }), [4, 3, 2], "the oldest went first");
        assert_eq!(ids(&RequestFilter { limit: 10, partner_id: Some("A".into()), ..Default::default() }), [4, 3]);
        assert_eq!(ids(&RequestFilter { limit: 10, failed: true, ..Default::default() }), [3, 2]);
        assert_eq!(ids(&RequestFilter { limit: 1, before: Some(4), ..Default::default() }), [3]);
        log.push(entry(1_031, "A", 200));
        assert_eq!(ids(&RequestFilter { limit: 10, ..Default::default() }), [5], "older than a second: gone");
        assert!(log.get(5).is_some() && log.get(4).is_none());
    }

    #[test]
    fn forced_failures_count_down() {
        let sandbox = Sandbox::new(&SandboxConfig::default());
        let m = MerchantId(7);
        sandbox.fail_deliveries(m, 2);
        assert_eq!(sandbox.failures_left(m), 2);
        assert!(sandbox.take_failure(m) && sandbox.take_failure(m));
        assert!(!sandbox.take_failure(m));
        assert_eq!(sandbox.failures_left(m), 0);
        sandbox.fail_deliveries(m, 5);
        sandbox.fail_deliveries(m, 0);
        assert!(!sandbox.take_failure(m));
    }
}
