//! Time as the domain sees it: UTC instants in milliseconds, read from a clock that
//! tests can move forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use ::time::{Duration, OffsetDateTime};

/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

pub fn to_datetime(at: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000).expect("timestamps stay within time's range")
}

pub fn from_datetime(at: OffsetDateTime) -> Timestamp {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).expect("timestamps stay within i64 milliseconds")
}

/// The system clock plus a skew that only tests change, so expiry can be observed
/// without waiting for it.
#[derive(Clone, Default)]
pub struct Clock {
    skew_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        from_datetime(OffsetDateTime::now_utc()) + self.skew_ms.load(Ordering::Relaxed)
    }

    pub fn now_datetime(&self) -> OffsetDateTime {
        to_datetime(self.now())
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).expect("a test skew fits in i64 milliseconds");
        self.skew_ms.fetch_add(ms, Ordering::Relaxed);
    }
}
