//! What the instructor's snapshot says of each attendee (`walab room --json`, DESIGN.md): the
//! shapes the room's endpoint writes, its judged-progress cache keeps, and the dashboard reads.

use serde::{Deserialize, Serialize};

/// One attendee in the instructor's snapshot (`walab room --json`, DESIGN.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttendeeProgress {
    pub name: String,
    pub account_id: String,
    pub passed: usize,
    /// Check id → `passed` | `failed` | `error` | `pending`, in the checks' order.
    pub checks: serde_json::Map<String, serde_json::Value>,
    /// ISO 8601.
    pub last_activity: String,
    /// The step of the first check not passed yet (`done` when all pass).
    pub step: String,
    /// Since when the attendee has been on that step (their last check to pass), ISO 8601.
    pub on_step_since: String,
    /// The first check in lab order not passed, with what its judgement says; `None` when done.
    #[serde(default)]
    pub stuck: Option<Stuck>,
    /// Does the lab on their own AWS account: followed through what their walab reports.
    #[serde(default)]
    pub report_only: bool,
    /// Why each check that has not passed has not, check id → summary.
    #[serde(default)]
    pub summaries: std::collections::BTreeMap<String, String>,
}

/// Where an attendee is stuck: the first check in lab order that has not passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stuck {
    pub check: String,
    pub step: String,
    pub summary: String,
    /// ISO 8601.
    pub since: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub attendees: Vec<AttendeeProgress>,
}
