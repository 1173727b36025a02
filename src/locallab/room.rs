//! A room: one lab serving a whole workshop. Each attendee who joins with the room's code gets
//! an account of their own (created in section 5's starting state) and AWS credentials for it;
//! every signed call is checked against the secret issued with them. The instructor reads the
//! room's progress with the instructor key.
//!
//! Joining must be quick for the twentieth attendee too, so the RSA keys new pools need are
//! generated ahead, on a thread of their own, not on the request path.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

use serde::{Deserialize, Serialize};

use super::clock::Millis;
use super::cognito;
use super::ids;
use crate::secret::Secret;

/// What the store keeps about the room itself (in its `meta` table).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomKeys {
    /// What attendees type to join.
    pub code: Secret,
    /// What the instructor's dashboard shows to be allowed to read the room.
    pub instructor_key: Secret,
}

impl RoomKeys {
    pub fn generate() -> RoomKeys {
        // Easy to read aloud and to type: no 0/O or 1/I.
        const CODE: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let pick = |n: usize| ids::pick(CODE, n);
        RoomKeys {
            code: Secret::new(format!("{}-{}", pick(4), pick(4))),
            instructor_key: Secret::new(format!("wik_{}", ids::alnum(32))),
        }
    }
}

/// Who an account belongs to in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub joined: Millis,
    /// The address the attendee reached the room at (`host:port`), which their account's URLs
    /// use, so they work from the attendee's machine.
    pub host: String,
}

impl Attendee {
    pub fn new(name: &str, host: &str, joined: Millis) -> Attendee {
        Attendee {
            name: name.to_string(),
            access_key_id: format!("AKIA{}", ids::upper_alnum(16)),
            secret_access_key: Secret::new(ids::alnum(40)),
            joined,
            host: host.to_string(),
        }
    }
}

/// Why a join was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefusal {
    #[error("that is not this room's code")]
    WrongCode,
    #[error("a name is 1 to 64 letters, digits, spaces, dots, dashes or underscores")]
    BadName,
    #[error("the room is full ({0} attendees); the instructor can start it with a larger --max-attendees")]
    Full(usize),
    #[error("the room could not create the account: {0}")]
    Failed(String),
}

/// Normalises a name for matching (joining again with the same name gives the same account).
pub fn name_key(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '@'));
    ok.then(|| name.to_lowercase())
}

/// The room's indexes: who is who, by what a request carries.
#[derive(Default)]
pub struct Directory {
    /// Access key id → (secret, account id).
    pub keys: HashMap<String, (Secret, String)>,
    /// Normalised name → account id.
    pub names: HashMap<String, String>,
    /// App client id → account id (unsigned Cognito calls).
    pub clients: HashMap<String, String>,
    /// User pool id → account id (JWKS, tokens).
    pub pools: HashMap<String, String>,
}

/// RSA keys for new pools, made ahead on a thread of their own.
pub struct KeyPool {
    ready: Mutex<Vec<Secret>>,
    wanted: Condvar,
    target: usize,
}

impl KeyPool {
    /// A pool that keeps `target` keys ready; `seed` are keys to use first (tests pass one).
    pub fn start(target: usize, seed: Vec<Secret>) -> Arc<KeyPool> {
        let pool = Arc::new(KeyPool { ready: Mutex::new(seed), wanted: Condvar::new(), target });
        let weak = Arc::downgrade(&pool);
        let spawned = std::thread::Builder::new().name("walab-keys".into()).spawn(move || {
            loop {
                let Some(pool) = weak.upgrade() else { return };
                {
                    let mut ready = pool.ready.lock().unwrap_or_else(|e| e.into_inner());
                    while ready.len() >= pool.target {
                        let (guard, timeout) = pool
                            .wanted
                            .wait_timeout(ready, std::time::Duration::from_secs(1))
                            .unwrap_or_else(|e| e.into_inner());
                        ready = guard;
                        if timeout.timed_out() && Arc::strong_count(&pool) == 1 {
                            return; // the lab is gone
                        }
                    }
                }
                match cognito::generate_signing_key() {
                    Ok(key) => pool.ready.lock().unwrap_or_else(|e| e.into_inner()).push(key),
                    Err(_) => return,
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("cannot make keys ahead ({e}); joining will make them on the spot");
        }
        pool
    }

    /// A key: one made ahead, or a new one when none is ready.
    pub fn take(&self) -> Result<Secret, JoinRefusal> {
        let key = self.ready.lock().unwrap_or_else(|e| e.into_inner()).pop();
        self.wanted.notify_one();
        match key {
            Some(key) => Ok(key),
            None => cognito::generate_signing_key().map_err(|_| JoinRefusal::Failed("no signing key".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whatever_their_case_and_spaces() {
        assert_eq!(name_key("  Ada Lovelace "), Some("ada lovelace".into()));
        assert_eq!(name_key("ADA LOVELACE"), name_key("ada lovelace"));
        for bad in ["", "   ", "<script>", &"x".repeat(65), "a/b"] {
            assert_eq!(name_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_are_easy_to_read_aloud() {
        let keys = RoomKeys::generate();
        let code = keys.code.expose();
        assert_eq!(code.len(), 9);
        assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
        assert_ne!(keys.instructor_key.expose(), code);
    }
}
