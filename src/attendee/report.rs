//! Progress reports to the room: every walab that joined one (`walab join`, or `--report-only`
//! for an attendee on their own AWS account) sends each check result it shows — status, summary,
//! when — signed with the attendee's key. A report never blocks the learner: it has a short time
//! limit, and what could not be sent is kept (the latest result of each check, in walab's data
//! directory) and sent with the next report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::attendee::ReportingIdentity;
use crate::checks::Report;
use crate::settings::Dirs;

/// How long one report may take before it is kept for later.
pub const REPORT_TIMEOUT: Duration = Duration::from_secs(2);

/// One check as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    pub id: String,
    pub status: String,
    pub summary: String,
    /// Epoch milliseconds.
    pub at: i64,
}

pub struct Reporter {
    identity: ReportingIdentity,
    pending: PathBuf,
    /// One client for all of this reporter's reports (kept-alive connection): building one,
    /// TLS roots and all, costs more than a report.
    client: reqwest::Client,
}

impl Reporter {
    /// The reporter of this machine, when it joined a room.
    pub fn for_this_machine(dirs: &Dirs) -> Option<Reporter> {
        let identity = crate::attendee::reporting(dirs)?;
        Some(Reporter::new(identity, dirs.data.join("room-reports.json")))
    }

    /// The reporter of `identity`, keeping what it cannot send in `pending` (the room's load
    /// bench makes one per attendee it plays).
    pub fn new(identity: ReportingIdentity, pending: PathBuf) -> Reporter {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(1500))
            .timeout(REPORT_TIMEOUT)
            .build()
            .unwrap_or_default();
        Reporter { identity, pending, client }
    }

    /// Sends `reports` (with any kept from before) to the room; on failure keeps them for the
    /// next report. Never takes longer than [`REPORT_TIMEOUT`].
    pub async fn send(&self, reports: &[Report]) -> Result<(), String> {
        let now = crate::clock::now_ms();
        let mut all: BTreeMap<String, Reported> = self.kept();
        for report in reports {
            let id = report.id.as_str().to_string();
            let summary: String = report.outcome.summary.chars().take(1000).collect();
            all.insert(
                id.clone(),
                Reported { id, status: report.outcome.status.as_str().to_string(), summary, at: now },
            );
        }
        if all.is_empty() {
            return Ok(());
        }
        let checks: Vec<&Reported> = all.values().collect();
        let sent = tokio::time::timeout(REPORT_TIMEOUT, self.post(&checks)).await.unwrap_or_else(|_| {
            Err(format!("the room at {} did not answer within {} s", self.identity.server, REPORT_TIMEOUT.as_secs()))
        });
        match &sent {
            Ok(()) => {
                let _ = std::fs::remove_file(&self.pending);
            }
            Err(e) => {
                tracing::info!("progress report kept for later: {e}");
                if let Ok(bytes) = serde_json::to_vec(&checks) {
                    let _ = crate::fsutil::write_private(&self.pending, &bytes);
                }
            }
        }
        sent
    }

    fn kept(&self) -> BTreeMap<String, Reported> {
        let Ok(file) = std::fs::File::open(&self.pending) else { return BTreeMap::new() };
        let mut bytes = Vec::new();
        if std::io::Read::read_to_end(&mut std::io::Read::take(file, 256 * 1024), &mut bytes).is_err() {
            return BTreeMap::new();
        }
        serde_json::from_slice::<Vec<Reported>>(&bytes)
            .map(|list| list.into_iter().map(|r| (r.id.clone(), r)).collect())
            .unwrap_or_default()
    }

    async fn post(&self, checks: &[&Reported]) -> Result<(), String> {
        let url = format!("{}/_walab/room/report", self.identity.server.trim_end_matches('/'));
        let body = serde_json::to_vec(&serde_json::json!({ "checks": checks })).map_err(|e| e.to_string())?;
        let mut request = self.client.post(&url).header(http::header::CONTENT_TYPE, "application/json");
        for (name, value) in crate::attendee::signed_by_identity(&self.identity, "POST", &url, &body) {
            request = request.header(name, value);
        }
        let response = request.body(body).send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let _ = crate::attendee::bounded_body(response).await;
        if status.is_success() { Ok(()) } else { Err(format!("the room answered HTTP {status}")) }
    }
}
