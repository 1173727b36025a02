//! A room: one lab serving a whole workshop. Each attendee who joins with the room's code gets
//! an account of their own (created in section 5's starting state) and AWS credentials for it;
//! every signed call is checked against the secret issued with them. The instructor reads the
//! room's progress with the instructor key.
//!
//! Its endpoints are in [`api`], what it sees of each attendee's progress in [`progress`], and how
//! it judges an attendee's lab with walab's own check definitions in [`judge`].
//!
//! Joining must be quick for the twentieth attendee too, so the RSA keys new pools need are
//! generated ahead, on a thread of their own, not on the request path.

pub mod api;
pub mod judge;
pub mod progress;
pub mod snapshot;

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

use serde::{Deserialize, Serialize};

use crate::locallab::cognito;
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::ids;
use crate::secret::Secret;
use snapshot::AttendeeProgress;

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

/// Who an account belongs to in a room (what the account itself keeps in memory; the keys
/// live in the room's [`Directory`], where a reissue replaces them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// As shown: NFKC, whitespace folded (see [`display_name`]).
    pub name: String,
    pub joined: Millis,
    /// Does the lab on their own AWS account: the room holds no lab for them, only what their
    /// walab reports.
    pub report_only: bool,
}

/// An attendee's AWS credentials, issued by the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl AccessKey {
    pub fn generate() -> AccessKey {
        AccessKey {
            access_key_id: format!("AKIA{}", ids::upper_alnum(16)),
            secret_access_key: Secret::new(ids::alnum(40)),
        }
    }
}

/// What the store keeps about an attendee (in the account's row). Older rooms also kept the
/// `Host` the attendee joined through; it is ignored: URLs come from the room's own address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendeeRecord {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub joined: Millis,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub report_only: bool,
}

impl AttendeeRecord {
    pub fn new(name: &str, joined: Millis) -> AttendeeRecord {
        let key = AccessKey::generate();
        AttendeeRecord {
            name: name.to_string(),
            access_key_id: key.access_key_id,
            secret_access_key: key.secret_access_key,
            joined,
            report_only: false,
        }
    }

    pub fn attendee(&self) -> Attendee {
        Attendee { name: self.name.clone(), joined: self.joined, report_only: self.report_only }
    }

    pub fn key(&self) -> AccessKey {
        AccessKey { access_key_id: self.access_key_id.clone(), secret_access_key: self.secret_access_key.clone() }
    }
}

/// Why a join was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefusal {
    #[error("that is not this room's code")]
    WrongCode,
    #[error("too many wrong codes from this address; try again in {0} s")]
    Throttled(u64),
    #[error("a name is 1 to 64 letters, digits, spaces, dots, dashes or underscores")]
    BadName,
    #[error(
        "that name is taken; pick another, or, to move that account to this machine, ask the instructor for `walab room reissue NAME`"
    )]
    NameTaken,
    #[error("the room is full ({0} attendees); the instructor can start it with a larger --max-attendees")]
    Full(usize),
    #[error("the room could not create the account: {0}")]
    Failed(String),
}

/// The name as shown: NFKC (full-width letters and spaces become ordinary ones), every run of
/// whitespace one space, trimmed; `None` when it is not a name.
pub fn display_name(name: &str) -> Option<String> {
    let normal = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(name);
    let folded = normal.split_whitespace().collect::<Vec<_>>().join(" ");
    let ok = !folded.is_empty()
        && folded.chars().count() <= 64
        && folded.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '@'));
    ok.then_some(folded)
}

/// What names are compared by: the display name, its cross-script look-alikes (Cyrillic and
/// Greek letters drawn like Latin ones, a zero for an O) as the Latin letter, case-folded, and
/// NFKC again. Two names with the same key are the same name.
pub fn name_key(name: &str) -> Option<String> {
    let shown = display_name(name)?;
    let latin: String = shown.chars().map(look_alike).collect();
    let folded = latin.to_lowercase().replace('ß', "ss").replace('ς', "σ");
    Some(icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(&folded).into_owned())
}

/// The Latin letter a Cyrillic or Greek one is drawn like (after UTS #39's confusables, the
/// letters of those scripts that are the same glyph in common fonts); other characters as
/// they are.
fn look_alike(c: char) -> char {
    match c {
        // Cyrillic capitals and small letters.
        'А' => 'A',
        'В' => 'B',
        'Е' | 'Ѐ' => 'E',
        'Ё' => 'Ë',
        'З' => '3',
        'І' => 'I',
        'Ї' => 'Ï',
        'Ј' => 'J',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Ѕ' => 'S',
        'Т' => 'T',
        'У' | 'Ү' => 'Y',
        'Х' => 'X',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        'а' => 'a',
        'е' => 'e',
        'ё' => 'ë',
        'і' => 'i',
        'ї' => 'ï',
        'ј' => 'j',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'ѕ' => 's',
        'у' => 'y',
        'х' => 'x',
        'ԁ' => 'd',
        'һ' => 'h',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ӏ' => 'l',
        // Greek capitals and the small letters drawn like Latin ones.
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        'ο' => 'o',
        'ν' => 'v',
        'α' => 'a',
        'ι' => 'i',
        'κ' => 'k',
        'ρ' => 'p',
        'υ' => 'u',
        // A zero for an O.
        '0' => 'O',
        other => other,
    }
}

/// Wrong join codes from one address: at most [`WRONG_CODES_PER_WINDOW`] a minute, then every
/// join from that address waits (429, `Retry-After`) until the minute is over.
pub const WRONG_CODES_PER_WINDOW: u32 = 10;
const THROTTLE_WINDOW_MS: Millis = 60_000;
/// Past this many addresses, those whose minute is over are forgotten.
const THROTTLE_ADDRESSES: usize = 4096;

#[derive(Default)]
pub struct CodeThrottle {
    addresses: Mutex<HashMap<std::net::IpAddr, (Millis, u32)>>,
}

impl CodeThrottle {
    /// `Err(seconds to wait)` when `ip` sent too many wrong codes this minute.
    pub fn check(&self, ip: std::net::IpAddr, now: Millis) -> Result<(), u64> {
        let addresses = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        match addresses.get(&ip) {
            Some(&(since, count)) if count >= WRONG_CODES_PER_WINDOW && now - since < THROTTLE_WINDOW_MS => {
                Err(wait_secs(since + THROTTLE_WINDOW_MS - now))
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong code from `ip`; `Some(seconds)` when that one reached the limit.
    pub fn wrong(&self, ip: std::net::IpAddr, now: Millis) -> Option<u64> {
        let mut addresses = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        if addresses.len() >= THROTTLE_ADDRESSES {
            addresses.retain(|_, (since, _)| now - *since < THROTTLE_WINDOW_MS);
        }
        let entry = addresses.entry(ip).or_insert((now, 0));
        if now - entry.0 >= THROTTLE_WINDOW_MS {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        (entry.1 >= WRONG_CODES_PER_WINDOW).then(|| wait_secs(entry.0 + THROTTLE_WINDOW_MS - now))
    }
}

fn wait_secs(ms: Millis) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000).max(1)
}

/// Whether `given` is `code`, whatever its case and surrounding spaces (in constant time).
pub fn code_matches(given: &str, code: &Secret) -> bool {
    let given = given.trim().to_ascii_uppercase();
    aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), code.expose().to_ascii_uppercase().as_bytes())
        .is_ok()
}

/// A one-time code that moves an attendee's account to a new machine (`walab room reissue`),
/// as the room keeps it in its durable state: only the code's SHA-256, so that what is on disk
/// opens nothing, with whose account it moves and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reissue {
    pub code_sha256: String,
    pub account_id: String,
    pub expires: Millis,
}

/// How long a reissue code may wait to be used.
pub const REISSUE_VALID_MS: Millis = 2 * 60 * 60 * 1000;

impl Reissue {
    /// A new code for `account_id`, valid from `now` for [`REISSUE_VALID_MS`]: the code to hand
    /// out, and what the room keeps of it.
    pub fn new(account_id: &str, now: Millis) -> (Secret, Reissue) {
        const CODE: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let pick = |n: usize| ids::pick(CODE, n);
        let code = Secret::new(format!("R{}-{}-{}", pick(4), pick(4), pick(4)));
        let kept = Reissue {
            code_sha256: code_sha256(code.expose()),
            account_id: account_id.to_string(),
            expires: now + REISSUE_VALID_MS,
        };
        (code, kept)
    }

    /// Whether `given` is this code, whatever its case and surrounding spaces (in constant time).
    pub fn matches(&self, given: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(code_sha256(given).as_bytes(), self.code_sha256.as_bytes())
            .is_ok()
    }
}

fn code_sha256(code: &str) -> String {
    let normal = code.trim().to_ascii_uppercase();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, normal.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The room's indexes: who is who, by what a request carries.
#[derive(Default)]
pub struct Directory {
    /// Access key id → (secret, account id).
    pub keys: HashMap<String, (Secret, String)>,
    /// Account id → its attendee's current key (the one `keys` holds for it).
    pub key_of: HashMap<String, AccessKey>,
    /// Normalised name → account id.
    pub names: HashMap<String, String>,
    /// App client id → account id (unsigned Cognito calls).
    pub clients: HashMap<String, String>,
    /// User pool id → account id (JWKS, tokens).
    pub pools: HashMap<String, String>,
}

/// How long an attendee's judged progress is shown again while their account has no commit:
/// what changes with time alone (an invalidation completing, a distribution deploying) shows
/// within this.
pub const JUDGED_FOR_MS: Millis = 5_000;

/// Each attendee's progress as the instructor's snapshot last judged it, with the
/// account's store generation and the time it was judged at: judging 500 attendees every second
/// would take a good part of a core, and most of them did nothing since the last snapshot.
#[derive(Default)]
pub struct JudgedCache {
    entries: Mutex<HashMap<String, (u64, Millis, AttendeeProgress)>>,
}

impl JudgedCache {
    /// The progress judged for `account` at `generation`, if it is at most [`JUDGED_FOR_MS`] old.
    pub fn get(&self, account: &str, generation: u64, now: Millis) -> Option<AttendeeProgress> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (at_generation, at, judged) = entries.get(account)?;
        (*at_generation == generation && (0..JUDGED_FOR_MS).contains(&(now - at))).then(|| judged.clone())
    }

    pub fn put(&self, account: &str, generation: u64, now: Millis, judged: AttendeeProgress) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).insert(account.to_string(), (generation, now, judged));
    }
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
            // Keys made ahead yield to requests (on Linux a thread's nice value is its own): a
            // join that finds none ready makes one on the spot.
            let _ = rustix::process::setpriority_process(None, 10);
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
    fn names_match_whatever_their_case_spaces_width_and_script() {
        assert_eq!(name_key("  Ada Lovelace "), Some("ada lovelace".into()));
        assert_eq!(name_key("ADA LOVELACE"), name_key("ada lovelace"));
        let ada = name_key("Ada");
        for same in ["ada", " ADA ", "Ａｄａ", "\u{410}da", "Αda", "Ad\u{430}"] {
            assert_eq!(name_key(same), ada, "{same}");
        }
        assert_eq!(name_key("Ada\u{3000}\u{a0} Lovelace"), name_key("ada lovelace"), "any whitespace, folded");
        assert_eq!(name_key("B0b"), name_key("Bob"));
        assert_eq!(name_key("Straße"), name_key("STRASSE"));
        assert_ne!(name_key("Ada"), name_key("Adam"));
        assert_eq!(display_name("  Ａｄａ   Lovelace "), Some("Ada Lovelace".into()));
        for bad in ["", "   ", "<script>", &"x".repeat(65), "a/b", "Ad\u{200b}a", "A\u{202e}da"] {
            assert_eq!(name_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_match_whatever_their_case() {
        let code = Secret::new("ABCD-EFGH");
        assert!(code_matches(" abcd-efgh ", &code));
        assert!(code_matches("ABCD-EFGH", &code));
        assert!(!code_matches("ABCD-EFGJ", &code));
        assert!(!code_matches("", &code));
    }

    #[test]
    fn wrong_codes_from_one_address_are_throttled_for_the_rest_of_the_minute() {
        let throttle = CodeThrottle::default();
        let (one, other) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        for i in 1..WRONG_CODES_PER_WINDOW {
            assert_eq!(throttle.wrong(one, 1_000 + i64::from(i)), None);
            assert_eq!(throttle.check(one, 1_000), Ok(()));
        }
        assert_eq!(throttle.wrong(one, 1_500), Some(60));
        assert_eq!(throttle.check(one, 31_001), Err(30));
        assert_eq!(throttle.check(other, 31_001), Ok(()), "other addresses are not held up");
        assert_eq!(throttle.check(one, 61_001), Ok(()), "a minute later");
        assert_eq!(throttle.wrong(one, 61_001), None);
    }

    #[test]
    fn a_reissue_code_is_kept_as_its_hash_and_matches_in_any_case() {
        let (code, kept) = Reissue::new("123456789012", 1_000);
        assert!(code.expose().starts_with('R'), "{}", code.expose());
        assert!(!serde_json::to_string(&kept).unwrap().contains(code.expose()), "the code itself is not kept");
        assert!(kept.matches(code.expose()));
        assert!(kept.matches(&format!(" {} ", code.expose().to_lowercase())));
        assert!(!kept.matches("RAAAA-BBBB-CCCC"));
        assert_eq!(kept.expires, 1_000 + REISSUE_VALID_MS);
    }

    #[test]
    fn a_judged_attendee_is_judged_again_after_a_commit_or_a_few_seconds() {
        let cache = JudgedCache::default();
        assert!(cache.get("111", 0, 1_000).is_none());
        let judged: AttendeeProgress =
            serde_json::from_value(serde_json::json!({"name": "Ada", "account_id": "111", "passed": 4, "checks": {},
                "last_activity": "", "step": "5.3", "on_step_since": ""}))
            .unwrap();
        cache.put("111", 3, 1_000, judged);
        assert_eq!(cache.get("111", 3, 1_000 + JUDGED_FOR_MS - 1).map(|p| p.passed), Some(4));
        assert!(cache.get("111", 4, 1_001).is_none(), "a commit since");
        assert!(cache.get("111", 3, 1_000 + JUDGED_FOR_MS).is_none(), "time alone changes some verdicts");
        assert!(cache.get("111", 3, 999).is_none(), "a clock set back");
        assert!(cache.get("222", 3, 1_001).is_none());
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
