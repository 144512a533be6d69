//! Time as the domain sees it: UTC instants in milliseconds, read from a clock that
//! tests can move forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use ::time::{Duration, OffsetDateTime};

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// The instants lunas can write. Business time stays far inside (the sandbox clock
/// goes at most 100 years ahead), so times lunas made are; a lunas 0.1 notice read
/// back from the outbox is checked, as its rows predate these bounds.
pub use lunas_protocol::timestamp::WRITABLE_MS as WRITABLE;

/// `at` as a date and time; `at` is [`WRITABLE`].
pub fn to_datetime(at: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000).expect("timestamps stay within time's range")
}

pub fn from_datetime(at: OffsetDateTime) -> Timestamp {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).expect("timestamps stay within i64 milliseconds")
}

/// Two offsets on the system clock. The wall offset stands for the world's clock
/// (only tests move it: the gateway and its callers both follow it); the sandbox
/// shift moves only the gateway's business time (expiry, tokens, retries), so a
/// caller's real `X-TIMESTAMP` is still accepted after a sandbox clock move.
#[derive(Clone, Default)]
pub struct Clock {
    wall_ms: Arc<AtomicI64>,
    sandbox_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The gateway's business time.
    pub fn now(&self) -> Timestamp {
        self.wall_now() + self.sandbox_shift_ms()
    }

    pub fn now_datetime(&self) -> OffsetDateTime {
        to_datetime(self.now())
    }

    /// What the callers' clocks read: the sandbox shift left out.
    pub fn wall_now(&self) -> Timestamp {
        from_datetime(OffsetDateTime::now_utc()) + self.wall_ms.load(Ordering::Relaxed)
    }

    pub fn wall_now_datetime(&self) -> OffsetDateTime {
        to_datetime(self.wall_now())
    }

    /// Moves the world's clock (and every clone of it) forward: for tests.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).expect("a test skew fits in i64 milliseconds");
        self.wall_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Moves the gateway's business time by `ms` past the wall clock, back when negative.
    pub fn shift_sandbox(&self, ms: i64) {
        self.sandbox_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// How far the gateway's business time is ahead of the wall clock.
    pub fn sandbox_shift_ms(&self) -> i64 {
        self.sandbox_ms.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writable_range_is_what_jakarta_time_writes() {
        let write = |at| lunas_protocol::timestamp::format(to_datetime(at));
        assert_eq!(write(*WRITABLE.start()), "0000-01-01T00:00:00+07:00");
        assert_eq!(write(*WRITABLE.end()), "9999-12-31T23:59:59+07:00");
        assert_eq!(
            lunas_protocol::timestamp::parse(&write(*WRITABLE.end())).map(from_datetime),
            Some(WRITABLE.end() - 999)
        );
    }

    #[test]
    fn the_sandbox_shift_moves_business_time_only() {
        let clock = Clock::default();
        clock.advance(Duration::hours(1));
        clock.shift_sandbox(60_000);
        let (wall, now) = (clock.wall_now(), clock.now());
        assert!(wall - from_datetime(OffsetDateTime::now_utc()) >= 3_599_000);
        assert!((now - wall - 60_000).abs() < 1_000, "{}", now - wall);
        clock.shift_sandbox(-clock.sandbox_shift_ms());
        assert!(clock.now() - clock.wall_now() < 1_000);
    }
}
