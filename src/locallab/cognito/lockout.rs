//! Cognito's lock-out after repeated wrong passwords, for every password sign-in (the API's
//! password and SRP flows, and the hosted UI).
//!
//! As Cognito documents it ("Lockout behavior for failed sign-in attempts",
//! https://docs.aws.amazon.com/cognito/latest/developerguide/authentication.html#authentication-flow-lockout-behavior):
//! after five failed password attempts the user is locked out for one second, and for
//! 2^(n-5) seconds after n failures, up to about 15 minutes. Attempts during a lock-out are
//! answered `NotAuthorizedException: Password attempts exceeded` and do not lengthen it. A
//! successful sign-in after the lock-out ends, or 15 quiet minutes, starts the count again.
//!
//! Like Cognito's, the count lives with the service, not in the store: it does not survive a
//! restart, and it is bounded in memory.

use std::collections::HashMap;

use super::errors::not_authorized;
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::wire::ApiError;

/// Wrong passwords allowed before the first lock-out.
pub const FREE_FAILURES: u32 = 5;
/// The longest lock-out ("approximately 15 minutes").
pub const LONGEST_LOCK_MS: Millis = 15 * 60 * 1000;
/// Quiet time that forgets the failures.
pub const QUIET_RESET_MS: Millis = 15 * 60 * 1000;
/// Users whose failures are remembered at once; the oldest are forgotten first.
const CAPACITY: usize = 10_000;

/// Cognito's words for an attempt during a lock-out.
pub const ATTEMPTS_EXCEEDED: &str = "Password attempts exceeded";

pub fn attempts_exceeded() -> ApiError {
    not_authorized(ATTEMPTS_EXCEEDED)
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    locked_until: Millis,
    last_attempt: Millis,
}

/// Failed password attempts per user (`<pool>/<username>`).
#[derive(Debug, Default)]
pub struct Lockouts {
    users: HashMap<String, Failures>,
}

fn key(pool_id: &str, username: &str) -> String {
    format!("{pool_id}/{}", username.to_lowercase())
}

impl Lockouts {
    /// Refuses an attempt while the user is locked out; forgets failures after a quiet spell.
    pub fn check(&mut self, pool_id: &str, username: &str, now: Millis) -> Result<(), ApiError> {
        let key = key(pool_id, username);
        let Some(failures) = self.users.get(&key).copied() else { return Ok(()) };
        if now < failures.locked_until {
            return Err(attempts_exceeded());
        }
        if now.saturating_sub(failures.last_attempt) >= QUIET_RESET_MS {
            self.users.remove(&key);
        }
        Ok(())
    }

    /// A wrong password: counts it, and locks the user out from the fifth on.
    pub fn failed(&mut self, pool_id: &str, username: &str, now: Millis) {
        if self.users.len() >= CAPACITY {
            let oldest = self.users.iter().min_by_key(|(_, f)| f.last_attempt).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.users.remove(&oldest);
            }
        }
        let failures = self.users.entry(key(pool_id, username)).or_insert(Failures {
            count: 0,
            locked_until: 0,
            last_attempt: now,
        });
        failures.count = failures.count.saturating_add(1);
        failures.last_attempt = now;
        if failures.count >= FREE_FAILURES {
            failures.locked_until = now.saturating_add(lock_ms(failures.count));
        }
    }

    /// A right password after any lock-out ended: the count starts again.
    pub fn succeeded(&mut self, pool_id: &str, username: &str) {
        self.users.remove(&key(pool_id, username));
    }
}

/// 2^(n-5) seconds for n failures, at most [`LONGEST_LOCK_MS`].
pub fn lock_ms(failures: u32) -> Millis {
    let exponent = failures.saturating_sub(FREE_FAILURES).min(20);
    (1000 * (1i64 << exponent)).min(LONGEST_LOCK_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_five_failures_and_doubles_up_to_fifteen_minutes() {
        assert_eq!([5, 6, 7, 14, 15, 40].map(lock_ms), [1000, 2000, 4000, 512_000, LONGEST_LOCK_MS, LONGEST_LOCK_MS]);
        let mut book = Lockouts::default();
        for _ in 0..4 {
            book.failed("p", "u", 0);
            assert!(book.check("p", "u", 0).is_ok());
        }
        book.failed("p", "u", 0);
        let refused = book.check("p", "U", 999).unwrap_err();
        assert_eq!((refused.code.as_str(), refused.message.as_str()), ("NotAuthorizedException", ATTEMPTS_EXCEEDED));
        assert!(book.check("p", "u", 1000).is_ok(), "the first lock-out lasts one second");
        book.failed("p", "u", 1000);
        assert!(book.check("p", "u", 2999).is_err() && book.check("p", "u", 3000).is_ok(), "then two");
        book.succeeded("p", "u");
        book.failed("p", "u", 3000);
        assert!(book.check("p", "u", 3000).is_ok(), "a success starts the count again");
        assert!(book.check("p", "other", 3000).is_ok());
    }

    #[test]
    fn fifteen_quiet_minutes_forget_the_failures() {
        let mut book = Lockouts::default();
        for _ in 0..5 {
            book.failed("p", "u", 0);
        }
        assert!(book.check("p", "u", QUIET_RESET_MS).is_ok());
        book.failed("p", "u", QUIET_RESET_MS);
        assert!(book.check("p", "u", QUIET_RESET_MS).is_ok(), "one failure after the reset locks nobody");
    }
}
