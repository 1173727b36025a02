//! A room's own endpoints on the AWS listener: joining (`POST /_walab/room/join`, the code is
//! the only way in) and the instructor's snapshot of everyone's progress (`GET /_walab/room`,
//! with the instructor key as a bearer token).

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::account::Account;
use super::clock::Millis;
use super::clock::iso8601;
use super::lab::{DemoUser, LocalLab, account_info};
use super::progress::ProgressState;
use super::room::JoinRefusal;
use super::room_judge;
use super::wire::{AwsRequest, json_response};
use crate::checks::Status;
use crate::guide::{CheckId, Guide};
use crate::secret::Secret;

/// What `walab join` sends.
#[derive(Debug, Deserialize)]
pub struct JoinRequest {
    pub code: String,
    pub name: String,
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

fn message(status: StatusCode, text: &str) -> Response {
    json_response(status, &json!({ "message": text }), "application/json")
}

/// `POST /_walab/room/join`.
pub fn join(lab: &LocalLab, req: &AwsRequest) -> Response {
    let Ok(input) = serde_json::from_slice::<JoinRequest>(&req.body) else {
        return message(StatusCode::BAD_REQUEST, "send {\"code\": …, \"name\": …}");
    };
    let host = req.header("host").unwrap_or_default().to_string();
    let host = if host.is_empty() { lab.endpoints.aws.to_string() } else { host };
    match lab.join(&input.code, &input.name, &host) {
        Ok(account) => match join_info(&account) {
            Some(info) => json_response(StatusCode::OK, &json!(info), "application/json"),
            None => message(StatusCode::INTERNAL_SERVER_ERROR, "the account has no user pool"),
        },
        Err(refusal) => {
            let status = match refusal {
                JoinRefusal::WrongCode => StatusCode::FORBIDDEN,
                JoinRefusal::BadName => StatusCode::BAD_REQUEST,
                JoinRefusal::Full(_) => StatusCode::CONFLICT,
                JoinRefusal::Failed(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            message(status, &refusal.to_string())
        }
    }
}

pub fn join_info(account: &Account) -> Option<JoinInfo> {
    let attendee = account.attendee.as_ref()?;
    let info = account_info(account)?;
    Some(JoinInfo {
        name: attendee.name.clone(),
        account_id: account.ctx.id.clone(),
        access_key_id: attendee.access_key_id.clone(),
        secret_access_key: attendee.secret_access_key.clone(),
        region: info.region,
        aws_endpoint_url: info.aws_endpoint_url,
        cloudfront_endpoint: info.cloudfront_endpoint,
        api_gateway_url: info.api_gateway_url,
        user_pool_id: info.user_pool_id,
        app_client_id: info.app_client_id,
        demo_user: info.demo_user,
    })
}

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

/// Everyone's progress, in the order they joined.
pub fn snapshot(lab: &LocalLab) -> Snapshot {
    let Ok(guide) = Guide::load() else { return Snapshot { attendees: Vec::new() } };
    let attendees = lab
        .accounts()
        .iter()
        .filter_map(|account| {
            let attendee = account.attendee.as_ref()?;
            let standings = standings(account, &guide);
            let passed = standings.checks.iter().filter(|(_, s, _)| *s == Standing::Passed).count();
            let first = standings.checks.iter().find(|(_, s, _)| *s != Standing::Passed);
            let step = first.map(|(id, _, _)| id.step().to_string()).unwrap_or_else(|| "done".to_string());
            let checks =
                standings.checks.iter().map(|(id, standing, _)| (id.as_str().to_string(), json!(standing))).collect();
            let stuck = first.map(|(id, _, summary)| Stuck {
                check: id.as_str().to_string(),
                step: id.step().to_string(),
                summary: summary.clone().unwrap_or_else(|| "not checked yet".to_string()),
                since: iso8601(standings.moved_at),
            });
            Some(AttendeeProgress {
                name: attendee.name.clone(),
                account_id: account.ctx.id.clone(),
                passed,
                checks,
                last_activity: iso8601(standings.last_activity),
                step,
                on_step_since: iso8601(standings.moved_at),
                stuck,
            })
        })
        .collect();
    Snapshot { attendees }
}

/// `GET /_walab/room`: the snapshot, for the holder of the instructor key.
pub fn snapshot_page(lab: &LocalLab, req: &AwsRequest) -> Response {
    let Some(room) = &lab.room else {
        return message(StatusCode::NOT_FOUND, "this lab is not a room");
    };
    let given = req.header("authorization").and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
    let right = aws_lc_rs::constant_time::verify_slices_are_equal(
        given.trim().as_bytes(),
        room.keys.instructor_key.expose().as_bytes(),
    );
    if right.is_err() {
        return message(StatusCode::FORBIDDEN, "that is not this room's instructor key");
    }
    json_response(StatusCode::OK, &json!(snapshot(lab)), "application/json")
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

/// Where an account stands, judged with the lab model from its state and the answers its
/// endpoints gave ([`room_judge`]).
pub fn standings(account: &Account, guide: &Guide) -> Standings {
    let observed = account.progress.read(ProgressState::observed);
    let checks = room_judge::judge_account(account, guide)
        .into_iter()
        .map(|(id, outcome)| match outcome {
            None => (id, Standing::Pending, None),
            Some(outcome) => {
                let standing = match outcome.status {
                    Status::Passed => Standing::Passed,
                    Status::Error => Standing::Error,
                    Status::Failed | Status::Skipped => Standing::Failed,
                };
                (id, standing, Some(outcome.summary))
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
