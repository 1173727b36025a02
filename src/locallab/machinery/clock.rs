//! The local lab's sense of time: wall-clock time plus an offset that tests can advance, so
//! token expiry, cache TTLs and invalidation progress are testable without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

pub use crate::clock::Millis;

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now_ms(&self) -> Millis {
        crate::clock::now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves the lab's time forward (tests and rehearsals: "an hour later").
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

/// `2026-11-23T19:35:00.000Z`, the timestamp format of the XML protocols.
pub fn iso8601(ms: Millis) -> String {
    let dt = aws_smithy_types::DateTime::from_millis(ms);
    dt.fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Epoch seconds with a fraction, the timestamp format of the JSON protocols.
pub fn epoch_secs(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now_ms();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now_ms() - before >= 3_600_000);
    }

    #[test]
    fn formats_timestamps() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_500), "1970-01-01T00:00:01.5Z");
        assert_eq!(epoch_secs(1_500), 1.5);
    }
}
