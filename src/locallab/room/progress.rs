//! What a room sees of an attendee's progress, worked out by the room itself: from the
//! account's state (the authorizer, the method, the deployment, the distribution, the
//! invalidation) and from the traffic the account's endpoints saw (stacks described, tokens
//! issued, the edge answering 401 or 200, WAF refusing the API's own URL). So attendees who use
//! the AWS CLI, an SDK or the lab's Python scripts instead of walab are followed too.
//!
//! An observation is recorded the first time it is made (a write only then); failures are
//! remembered with their time, so a later success clears them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::store::{Change, Record, Rows, Slice, StoreError, Table, Tables};

/// Something the room saw an attendee's endpoints do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Seen {
    /// DescribeStacks answered for the section 3 stack (CloudFront, WAF, Cognito).
    EdgeStackDescribed,
    /// DescribeStacks answered for the section 1 stack (the API).
    ApiStackDescribed,
    /// DescribeUserPoolClient answered (with the secret).
    ClientDescribed,
    /// A call carrying a secret hash succeeded: the caller holds the secret.
    SecretHashVerified,
    /// A user of the pool was confirmed (code, link, or an administrator).
    UserConfirmed,
    /// The pool issued an ID token.
    IdTokenIssued,
    /// The edge answered 401 to a request without a token.
    EdgeRefusedAnonymous,
    /// The edge answered 200 to a request without a token while the API was protected.
    EdgeServedAnonymous,
    /// The edge answered 200 to a request with a token, the API protected.
    EdgeServedToken,
    /// The edge answered 401 to a request with a token.
    EdgeRefusedToken,
    /// The API Gateway URL, called directly, was refused with 403.
    DirectRefused,
}

/// The requests of section 5.5 the room keeps the last answer of, to judge them as walab does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Probe {
    /// The CloudFront endpoint, without a token.
    Anonymous,
    /// The CloudFront endpoint, with a token.
    WithToken,
    /// The API Gateway URL, called directly.
    Direct,
}

/// The last answer to one of section 5.5's requests: what a check reads of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_cache: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The body, when short (an answer of the lab is a few hundred bytes).
    #[serde(default)]
    pub body: String,
    pub at: Millis,
}

/// The most of a body the room keeps.
pub const ANSWER_BODY: usize = 2048;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Observed {
    /// When each thing was first seen.
    pub first: BTreeMap<Seen, Millis>,
    /// When each thing was last seen (failures' times matter: a later success clears them).
    pub last: BTreeMap<Seen, Millis>,
    pub last_activity: Millis,
    /// The last answer to each of section 5.5's requests.
    #[serde(default)]
    pub answers: BTreeMap<Probe, Answer>,
    /// The last answer that passed its check, with the account's configuration it was given
    /// under: traffic from others never turns it back, only a change of that configuration.
    #[serde(default)]
    pub passing: BTreeMap<Probe, (Answer, u64)>,
    /// What the attendee's own walab reported, check id → result.
    #[serde(default)]
    pub reports: BTreeMap<String, Reported>,
}

/// A check result as the attendee's walab showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// `passed` | `failed` | `error` | `skipped`.
    pub status: String,
    pub summary: String,
    pub at: Millis,
}

impl Record for Observed {
    const KIND: &'static str = "room.progress";
    fn key(&self) -> String {
        "progress".to_string()
    }
}

pub struct ProgressState {
    row: Table<Observed>,
    /// The newest request of any kind, kept in memory between observations.
    activity: AtomicI64,
}

impl Tables for ProgressState {
    const KINDS: &'static [&'static str] = &[Observed::KIND];
    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        let row: Table<Observed> = rows.table()?;
        let activity = row.values().next().map(|o| o.last_activity).unwrap_or_default();
        Ok(ProgressState { row, activity: AtomicI64::new(activity) })
    }
    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.row.take_changes(out);
    }
}

impl ProgressState {
    pub fn new() -> ProgressState {
        ProgressState { row: Table::default(), activity: AtomicI64::new(0) }
    }

    /// When the account was last used (without cloning what was observed).
    pub fn last_activity(&self) -> Millis {
        let recorded = self.row.values().next().map(|o| o.last_activity).unwrap_or_default();
        recorded.max(self.activity.load(Ordering::Relaxed))
    }

    pub fn observed(&self) -> Observed {
        let mut observed = self.row.values().next().cloned().unwrap_or_default();
        observed.last_activity = observed.last_activity.max(self.activity.load(Ordering::Relaxed));
        observed
    }
}

impl Default for ProgressState {
    fn default() -> Self {
        ProgressState::new()
    }
}

/// Notes that the account was used at `now`.
pub fn touch(progress: &Slice<ProgressState>, now: Millis) {
    progress.read(|p| p.activity.fetch_max(now, Ordering::Relaxed));
}

/// True when recording `seen` now would add something (it is new, or its last time is over a
/// second old): callers check this before working out whether it happened.
pub fn wants(progress: &Slice<ProgressState>, seen: Seen, now: Millis) -> bool {
    progress.read(|p| {
        let o = p.row.values().next();
        o.and_then(|o| o.last.get(&seen)).is_none_or(|at| now - at >= 1000)
    })
}

/// Records that `seen` happened at `now`. Written to the store when it is new, and for
/// failures (whose time matters) when it is newer than what the store has by a second.
pub fn observe(progress: &Slice<ProgressState>, seen: Seen, now: Millis) {
    touch(progress, now);
    let (first, last) = progress.read(|p| {
        let o = p.observed();
        (o.first.get(&seen).copied(), o.last.get(&seen).copied())
    });
    let stale = |at: Option<Millis>| at.is_none_or(|at| now - at >= 1000);
    if first.is_some() && !stale(last) {
        return;
    }
    let result = progress.write(|p| {
        let mut observed = p.observed();
        observed.first.entry(seen).or_insert(now);
        observed.last.insert(seen, now);
        observed.last_activity = now;
        p.row.insert(observed);
        Ok(())
    });
    if let Err(e) = result {
        tracing::warn!("the room could not record progress: {}", e.message);
    }
}

/// Records the answer to one of section 5.5's requests. Written to the store only when it says
/// something new (another status, cache state or body), so a learner's loop of identical
/// requests costs no write.
pub fn answered(
    progress: &Slice<ProgressState>,
    probe: Probe,
    answer: Answer,
    passing: impl FnOnce(&Answer) -> Option<u64>,
) {
    touch(progress, answer.at);
    let same = |a: &Answer| a.status == answer.status && a.x_cache == answer.x_cache && a.body == answer.body;
    if progress.read(|p| p.row.values().next().and_then(|o| o.answers.get(&probe)).is_some_and(same)) {
        return;
    }
    let passed_under = passing(&answer);
    let result = progress.write(|p| {
        let mut observed = p.observed();
        observed.last_activity = observed.last_activity.max(answer.at);
        if let Some(config) = passed_under {
            observed.passing.insert(probe, (answer.clone(), config));
        }
        observed.answers.insert(probe, answer);
        p.row.insert(observed);
        Ok(())
    });
    if let Err(e) = result {
        tracing::warn!("the room could not record progress: {}", e.message);
    }
}

/// The most checks one report carries, and the longest summary kept.
pub const MAX_REPORTED: usize = 40;
pub const MAX_SUMMARY: usize = 1000;

/// Records what the attendee's walab reported (newer results replace older ones).
pub fn reported(progress: &Slice<ProgressState>, results: Vec<(String, Reported)>, now: Millis) -> Result<(), String> {
    touch(progress, now);
    progress
        .write(|p| {
            let mut observed = p.observed();
            for (id, result) in results {
                if observed.reports.get(&id).is_none_or(|old| old.at <= result.at) {
                    observed.reports.insert(id, result);
                }
            }
            observed.last_activity = observed.last_activity.max(now);
            p.row.insert(observed);
            Ok(())
        })
        .map_err(|e| e.message)
}
