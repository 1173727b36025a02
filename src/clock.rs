//! Wall-clock time, read one way everywhere: milliseconds (or seconds) since the Unix epoch. The
//! local lab adds an offset tests can advance (`locallab::machinery::clock`); the walkthrough's `update`
//! is given its time, so only the loops and the network code read this.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Now, in milliseconds since the Unix epoch (0 for a clock set before 1970).
pub fn now_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| Millis::try_from(d.as_millis()).unwrap_or(0)).unwrap_or(0)
}

/// Now, in whole seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}
