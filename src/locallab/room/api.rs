//! A room's own endpoints on the AWS listener: joining (`POST /_walab/room/join`, the code is
//! the only way in), an attendee's account as served now (`GET /_walab/room/account`, signed),
//! and, with the instructor key as a bearer token, the snapshot of everyone's progress
//! (`GET /_walab/room`) and reissuing an account to a new machine (`POST /_walab/room/reissue`).

pub use super::snapshot::{AttendeeProgress, Snapshot, Stuck};
use std::net::IpAddr;

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::checks::Status;
use crate::guide::{CheckId, Guide};
use crate::locallab::account::Account;
use crate::locallab::lab::{DemoUser, JoinAttempt, LocalLab, account_info};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::clock::iso8601;
use crate::locallab::machinery::sigv4::{self, Expected, ROOM_SERVICE};
use crate::locallab::machinery::wire::{AwsRequest, json_response, to_json};
use crate::locallab::room::judge;
use crate::locallab::room::progress::ProgressState;
use crate::locallab::room::{AccessKey, JoinRefusal};
use crate::secret::Secret;

/// What `walab join` sends.
#[derive(Debug, Deserialize)]
pub struct JoinRequest {
    pub code: String,
    pub name: String,
    /// A reporting identity only (the attendee does the lab on their own AWS account).
    #[serde(default)]
    pub report_only: bool,
}

/// What a joined attendee gets (the `walab join --json` object, DESIGN.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinInfo {
    pub name: String,
    pub account_id: String,
    pub access_key_id: String,
    #[serde(serialize_with = "crate::secret::serialize_exposed")]
    pub secret_access_key: Secret,
    pub region: String,
    pub aws_endpoint_url: String,
    pub cloudfront_endpoint: String,
    pub api_gateway_url: String,
    pub user_pool_id: String,
    pub app_client_id: String,
    pub demo_user: DemoUser,
}

/// A refusal or failure: `{"message": …}`.
#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
}

fn message(status: StatusCode, text: &str) -> Response {
    json_response(status, &Message { message: text }, "application/json")
}

/// What a `--report-only` join gets: a reporting identity, no lab resources. No `Debug`: it
/// carries the secret key.
#[derive(Serialize)]
struct ReportingIdentity<'a> {
    name: String,
    report_only: bool,
    account_id: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
}

/// A recorded report.
#[derive(Serialize)]
struct Recorded {
    recorded: bool,
}

/// A reissue code for an attendee, and the room to join with it. No `Debug`: the code is a
/// one-time key.
#[derive(Serialize)]
struct Reissued<'a> {
    name: &'a str,
    code: &'a str,
    server: Option<String>,
}

/// `POST /_walab/room/join`, from `peer`. A join signed with an attendee's key (SigV4, service
/// [`ROOM_SERVICE`]) proves it comes from the machine holding that account's key.
pub fn join(lab: &LocalLab, req: &AwsRequest, peer: Option<IpAddr>) -> Response {
    let Ok(input) = serde_json::from_slice::<JoinRequest>(&req.body) else {
        return message(StatusCode::BAD_REQUEST, "send {\"code\": …, \"name\": …}");
    };
    let signature = signature_of(lab, req);
    let signed_by = signature.as_ref().ok().cloned().flatten();
    let attempt =
        JoinAttempt { code: &input.code, name: &input.name, from: peer, signed_by, report_only: input.report_only };
    match lab.join(attempt) {
        Ok((account, key)) if account.attendee.as_ref().is_some_and(|a| a.report_only) => {
            let name = account.attendee.as_ref().map(|a| a.name.clone()).unwrap_or_default();
            let identity = ReportingIdentity {
                name,
                report_only: true,
                account_id: &account.ctx.id,
                access_key_id: &key.access_key_id,
                secret_access_key: key.secret_access_key.expose(),
            };
            json_response(StatusCode::OK, &identity, "application/json")
        }
        Ok((account, key)) => match join_info(&account, &key) {
            Some(info) => json_response(StatusCode::OK, &info, "application/json"),
            None => message(StatusCode::INTERNAL_SERVER_ERROR, "the account has no user pool"),
        },
        Err(refusal) => {
            let status = match refusal {
                JoinRefusal::WrongCode => StatusCode::FORBIDDEN,
                JoinRefusal::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                JoinRefusal::BadName => StatusCode::BAD_REQUEST,
                JoinRefusal::NameTaken | JoinRefusal::Full(_) => StatusCode::CONFLICT,
                JoinRefusal::Failed(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            let mut text = refusal.to_string();
            if refusal == JoinRefusal::NameTaken
                && let Err(sigv4::Refusal::Expired(_)) = signature
            {
                // The laptop that holds the key, with a clock too far off to sign with it.
                text = format!(
                    "{text} (this machine signed the join with a key, but its clock is more than 15 minutes off the room's: set the clock right and join again)"
                );
            }
            let mut response = message(status, &text);
            if let JoinRefusal::Throttled(wait) = refusal
                && let Ok(value) = http::HeaderValue::from_str(&wait.to_string())
            {
                response.headers_mut().insert(http::header::RETRY_AFTER, value);
            }
            response
        }
    }
}

/// The account whose own key signed `req` (SigV4 over the room's service), when it did.
pub fn signed_by(lab: &LocalLab, req: &AwsRequest) -> Option<String> {
    signature_of(lab, req).ok().flatten()
}

/// `Ok(None)`: not signed; `Ok(Some(account))`: signed with that account's key; `Err`: signed,
/// and the signature does not check out.
fn signature_of(lab: &LocalLab, req: &AwsRequest) -> Result<Option<String>, sigv4::Refusal> {
    if sigv4::authorization(req).is_none() {
        return Ok(None);
    }
    let expected = Expected { service: ROOM_SERVICE, region: crate::names::REGION };
    let mut account = None;
    sigv4::verify(req, &expected, lab.clock.now_ms(), |key| {
        let (secret, found) = lab.credentials(key)?;
        account = Some(found.ctx.id.clone());
        Some(secret)
    })?;
    Ok(account)
}

/// `GET /_walab/room/account`, signed with an attendee's key: their account as the room serves
/// it now (a joined walab refreshes its URLs from it on start, so a restart on other ports
/// changes nothing for the attendee).
pub fn account_page(lab: &LocalLab, req: &AwsRequest) -> Response {
    let Some(id) = signed_by(lab, req) else {
        return message(StatusCode::FORBIDDEN, "sign the request with your account's key");
    };
    let found = lab.account_by_id(&id).zip(lab.attendee_key(&id));
    match found.and_then(|(account, key)| join_info(&account, &key)) {
        Some(info) => json_response(StatusCode::OK, &info, "application/json"),
        None => message(StatusCode::NOT_FOUND, "no such account"),
    }
}

/// What a joined walab reports: the check results it showed.
#[derive(Debug, Deserialize)]
pub struct ReportRequest {
    pub checks: Vec<ReportedCheck>,
}

#[derive(Debug, Deserialize)]
pub struct ReportedCheck {
    pub id: String,
    pub status: String,
    pub summary: String,
    /// When the attendee's walab showed it, epoch milliseconds.
    pub at: i64,
}

/// `POST /_walab/room/report`, signed with an attendee's key: the check results their walab
/// showed, recorded as theirs (nobody else can sign for them).
pub fn report(lab: &LocalLab, req: &AwsRequest) -> Response {
    let Some(id) = signed_by(lab, req) else {
        return message(StatusCode::FORBIDDEN, "sign the report with your account's key");
    };
    let Some(account) = lab.account_by_id(&id) else { return message(StatusCode::NOT_FOUND, "no such account") };
    let Ok(input) = serde_json::from_slice::<ReportRequest>(&req.body) else {
        return message(StatusCode::BAD_REQUEST, "send {\"checks\": [{\"id\", \"status\", \"summary\", \"at\"}]}");
    };
    if input.checks.len() > crate::locallab::room::progress::MAX_REPORTED {
        return message(StatusCode::PAYLOAD_TOO_LARGE, "too many checks in one report");
    }
    let now = lab.clock.now_ms();
    let statuses = ["passed", "failed", "error", "skipped"];
    let results = input
        .checks
        .into_iter()
        .filter(|c| c.id.parse::<CheckId>().is_ok() && statuses.contains(&c.status.as_str()))
        .map(|c| {
            let summary: String = c.summary.chars().take(crate::locallab::room::progress::MAX_SUMMARY).collect();
            // A report from the future is as of now.
            (c.id, crate::locallab::room::progress::Reported { status: c.status, summary, at: c.at.min(now) })
        })
        .collect();
    match crate::locallab::room::progress::reported(&account.progress, results, now) {
        Ok(()) => json_response(StatusCode::OK, &Recorded { recorded: true }, "application/json"),
        Err(e) => message(StatusCode::SERVICE_UNAVAILABLE, &e),
    }
}

/// What `walab room reissue` sends.
#[derive(Debug, Deserialize)]
pub struct ReissueRequest {
    pub name: String,
}

/// `POST /_walab/room/reissue`, with the instructor key: a one-time code that joins as the
/// named attendee with a new key.
pub fn reissue(lab: &LocalLab, req: &AwsRequest) -> Response {
    if let Some(refused) = refused_instructor(lab, req) {
        return refused;
    }
    let Ok(input) = serde_json::from_slice::<ReissueRequest>(&req.body) else {
        return message(StatusCode::BAD_REQUEST, "send {\"name\": …}");
    };
    match lab.reissue(&input.name) {
        Ok(Some((name, code))) => {
            tracing::info!("room: a reissue code was made for {name}");
            let server = lab.room.as_ref().map(|room| room.aws_endpoint_url(&lab.endpoints));
            let answer = Reissued { name: &name, code: code.expose(), server };
            json_response(StatusCode::OK, &answer, "application/json")
        }
        Ok(None) => message(StatusCode::NOT_FOUND, "no attendee has that name"),
        Err(e) => {
            tracing::warn!("room: a reissue code could not be stored: {e}");
            message(StatusCode::SERVICE_UNAVAILABLE, "the room could not store the code; try again")
        }
    }
}

/// The refusal of a request that does not carry the instructor key (as a bearer token).
fn refused_instructor(lab: &LocalLab, req: &AwsRequest) -> Option<Response> {
    let Some(room) = &lab.room else {
        return Some(message(StatusCode::NOT_FOUND, "this lab is not a room"));
    };
    let given = req.header("authorization").and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
    aws_lc_rs::constant_time::verify_slices_are_equal(
        given.trim().as_bytes(),
        room.keys.instructor_key.expose().as_bytes(),
    )
    .err()
    .map(|_| message(StatusCode::FORBIDDEN, "that is not this room's instructor key"))
}

pub fn join_info(account: &Account, key: &AccessKey) -> Option<JoinInfo> {
    let attendee = account.attendee.as_ref()?;
    let info = account_info(account)?;
    Some(JoinInfo {
        name: attendee.name.clone(),
        account_id: account.ctx.id.clone(),
        access_key_id: key.access_key_id.clone(),
        secret_access_key: key.secret_access_key.clone(),
        region: info.region,
        aws_endpoint_url: info.aws_endpoint_url,
        cloudfront_endpoint: info.cloudfront_endpoint,
        api_gateway_url: info.api_gateway_url,
        user_pool_id: info.user_pool_id,
        app_client_id: info.app_client_id,
        demo_user: info.demo_user,
    })
}

/// Everyone's progress, in the order they joined. An attendee whose account has had no commit
/// since the last snapshot is not judged again for [`super::JUDGED_FOR_MS`].
pub fn snapshot(lab: &LocalLab) -> Snapshot {
    let Ok(guide) = Guide::load() else { return Snapshot { attendees: Vec::new() } };
    let now = lab.clock.now_ms();
    let cache = lab.room.as_ref().map(|room| &room.judged);
    let attendees = lab
        .accounts()
        .iter()
        .filter_map(|account| {
            let attendee = account.attendee.as_ref()?;
            // Read before judging: a commit meanwhile makes the next snapshot judge again.
            let generation = lab.store.generation(&account.ctx.id);
            let cached = cache.and_then(|c| c.get(&account.ctx.id, generation, now));
            let mut progress = match cached {
                Some(progress) => progress,
                None => {
                    let progress = judge(account, attendee, &guide);
                    if let Some(cache) = cache {
                        cache.put(&account.ctx.id, generation, now, progress.clone());
                    }
                    progress
                }
            };
            // Requests that change nothing move the activity without a commit: always as of now.
            let activity = account.progress.read(ProgressState::last_activity).max(attendee.joined);
            progress.last_activity = iso8601(activity);
            Some(progress)
        })
        .collect();
    Snapshot { attendees }
}

/// One attendee's progress, judged now.
fn judge(account: &Account, attendee: &super::Attendee, guide: &Guide) -> AttendeeProgress {
    let standings = if attendee.report_only { reported(account) } else { standings(account, guide) };
    let passed = standings.checks.iter().filter(|(_, s, _)| *s == Standing::Passed).count();
    let first = standings.checks.iter().find(|(_, s, _)| *s != Standing::Passed);
    let step = first.map(|(id, _, _)| id.step().to_string()).unwrap_or_else(|| "done".to_string());
    let checks =
        standings.checks.iter().map(|(id, standing, _)| (id.as_str().to_string(), to_json(standing))).collect();
    let stuck = first.map(|(id, _, summary)| Stuck {
        check: id.as_str().to_string(),
        step: id.step().to_string(),
        summary: summary.clone().unwrap_or_else(|| "not checked yet".to_string()),
        since: iso8601(standings.moved_at),
    });
    AttendeeProgress {
        name: attendee.name.clone(),
        account_id: account.ctx.id.clone(),
        passed,
        checks,
        last_activity: iso8601(standings.last_activity),
        step,
        on_step_since: iso8601(standings.moved_at),
        stuck,
        report_only: attendee.report_only,
        summaries: standings
            .checks
            .iter()
            .filter(|(_, s, _)| *s != Standing::Passed)
            .filter_map(|(id, _, summary)| Some((id.as_str().to_string(), summary.clone()?)))
            .collect(),
    }
}

/// `GET /_walab/room`: the snapshot, for the holder of the instructor key.
pub fn snapshot_page(lab: &LocalLab, req: &AwsRequest) -> Response {
    if let Some(refused) = refused_instructor(lab, req) {
        return refused;
    }
    json_response(StatusCode::OK, &snapshot(lab), "application/json")
}

/// One check as the room sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    Passed,
    Failed,
    Error,
    Pending,
}

/// An attendee's progress: each check with its summary, and activity.
#[derive(Debug, Clone)]
pub struct Standings {
    pub checks: Vec<(CheckId, Standing, Option<String>)>,
    /// When the attendee last made progress (or joined).
    pub moved_at: Millis,
    pub last_activity: Millis,
}

/// Where a reporting identity stands: what the attendee's walab reported, nothing else.
fn reported(account: &Account) -> Standings {
    let observed = account.progress.read(ProgressState::observed);
    let checks = CheckId::ALL
        .into_iter()
        .map(|id| match observed.reports.get(id.as_str()) {
            None => (id, Standing::Pending, None),
            Some(r) => (id, standing_of(&r.status), Some(r.summary.clone())),
        })
        .collect();
    let joined = account.attendee.as_ref().map(|a| a.joined).unwrap_or(account.created);
    let moved_at = observed.reports.values().map(|r| r.at).chain([joined]).max().unwrap_or(joined);
    Standings { checks, moved_at, last_activity: observed.last_activity.max(joined) }
}

fn standing_of(status: &str) -> Standing {
    match status {
        "passed" => Standing::Passed,
        "error" => Standing::Error,
        _ => Standing::Failed,
    }
}

/// Where an account stands, judged with the lab model from its state and the answers its
/// endpoints gave ([`room_judge`]).
pub fn standings(account: &Account, guide: &Guide) -> Standings {
    let observed = account.progress.read(ProgressState::observed);
    let checks = judge::judge_account(account, guide)
        .into_iter()
        .map(|(id, outcome)| match outcome {
            None => match observed.reports.get(id.as_str()) {
                // Nothing for the room to judge (a request not seen): what the walab reported.
                Some(r) => (id, standing_of(&r.status), Some(r.summary.clone())),
                None => (id, Standing::Pending, None),
            },
            Some(outcome) => {
                let standing = match outcome.status {
                    Status::Passed => Standing::Passed,
                    Status::Error => Standing::Error,
                    Status::Failed | Status::Skipped => Standing::Failed,
                };
                // In the words the attendee's own walab showed, when it saw the same.
                let own = observed.reports.get(id.as_str()).filter(|r| standing_of(&r.status) == standing);
                (id, standing, Some(own.map(|r| r.summary.clone()).unwrap_or(outcome.summary)))
            }
        })
        .collect();
    let joined = account.attendee.as_ref().map(|a| a.joined).unwrap_or(account.created);
    let moved_at = observed
        .first
        .values()
        .copied()
        .chain(observed.answers.values().map(|a| a.at))
        .chain([joined])
        .max()
        .unwrap_or(joined);
    Standings { checks, moved_at, last_activity: observed.last_activity.max(joined) }
}
