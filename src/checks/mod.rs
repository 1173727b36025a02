//! The lab's checks: one async function per check id, each returning an [`Outcome`] with a
//! diagnosis a learner can act on, and a runner that reports progress on a channel, bounds
//! every check with a timeout and stops when cancelled.
//!
//! Checks share a [`Context`]: the AWS clients, the recorded values (which the first checks
//! fill in), the sign-in credentials, and what earlier checks learnt (the API's id, the ID
//! token). Each check gets what it needs through the context, so any subset runs on its own.

mod api;
mod cdn;
mod identity;
mod requests;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::aws::{AwsProblem, Clients};
use crate::guide::{CheckId, Guide};
use crate::probe::Prober;
use crate::secret::Secret;
use crate::settings::Values;
use crate::target::TargetKind;

pub use api::{api_id, lab_authorizer};
pub use cdn::{create_invalidation, distribution_id};
pub use identity::{IdToken, app_client_secret, pool_and_client};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// The check could not be carried out (no permission, AWS unreachable, timed out).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Error => "error",
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub status: Status,
    /// One line: what was seen.
    pub summary: String,
    /// One line: what to do about it (failures, errors and skips).
    pub hint: Option<String>,
    /// What the check saw, for the evidence pane and `--json` (never secrets).
    pub evidence: Value,
}

impl Outcome {
    pub fn passed(summary: impl Into<String>) -> Outcome {
        Outcome { status: Status::Passed, summary: summary.into(), hint: None, evidence: Value::Null }
    }

    pub fn failed(summary: impl Into<String>, hint: impl Into<String>) -> Outcome {
        Outcome { status: Status::Failed, summary: summary.into(), hint: Some(hint.into()), evidence: Value::Null }
    }

    pub fn skipped(summary: impl Into<String>, hint: impl Into<String>) -> Outcome {
        Outcome { status: Status::Skipped, summary: summary.into(), hint: Some(hint.into()), evidence: Value::Null }
    }

    /// An AWS call failed: trouble with the caller's access is an `error`; a refusal by the
    /// service is a failure of the lab's state.
    pub fn from_problem(problem: AwsProblem) -> Outcome {
        let status = if problem.is_access() { Status::Error } else { Status::Failed };
        Outcome { status, summary: problem.message, hint: problem.hint, evidence: Value::Null }
    }

    pub fn with_evidence(mut self, evidence: Value) -> Outcome {
        self.evidence = evidence;
        self
    }
}

/// Progress of a run, for the walkthrough and the CLI.
#[derive(Debug, Clone)]
pub enum Event {
    Started(CheckId),
    /// A slow check says what it is waiting for.
    Progress(CheckId, String),
    Finished(Report),
}

/// A finished check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: CheckId,
    pub step: &'static str,
    pub title: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub duration_ms: u64,
}

/// Who signs in for the token checks.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// What earlier checks learnt, so later ones do not ask AWS again.
#[derive(Debug, Default)]
struct Facts {
    api_id: Option<String>,
    authorizer_id: Option<String>,
    distribution_id: Option<String>,
    console_link: Option<String>,
    token: Option<IdToken>,
}

/// Everything a check may use.
pub struct Context {
    pub aws: Clients,
    pub kind: TargetKind,
    pub stack: String,
    pub api_stack: String,
    /// Behind a lock so the walkthrough can take a password typed in while checks share the context.
    credentials: Mutex<Credentials>,
    pub prober: Prober,
    /// How long one HTTP request to the lab may take.
    pub request_timeout: Duration,
    /// How long a check may wait for CloudFront (invalidations, deployments).
    pub wait_limit: Duration,
    values: Mutex<Values>,
    facts: Mutex<Facts>,
    events: Option<UnboundedSender<Event>>,
}

impl Context {
    pub fn new(aws: Clients, kind: TargetKind, values: Values, credentials: Credentials, prober: Prober) -> Context {
        Context {
            aws,
            kind,
            stack: crate::names::EDGE_STACK.to_string(),
            api_stack: crate::names::API_STACK.to_string(),
            credentials: Mutex::new(credentials),
            prober,
            request_timeout: Duration::from_secs(10),
            wait_limit: Duration::from_secs(20 * 60),
            values: Mutex::new(values),
            facts: Mutex::new(Facts::default()),
            events: None,
        }
    }

    /// Where the runner and slow checks report progress.
    pub fn set_events(&mut self, events: UnboundedSender<Event>) {
        self.events = Some(events);
    }

    /// The recorded values as they stand (checks may have filled some in).
    pub fn values(&self) -> Values {
        lock(&self.values).clone()
    }

    pub(crate) fn update_values(&self, f: impl FnOnce(&mut Values)) {
        f(&mut lock(&self.values));
    }

    /// Who signs in, as it stands.
    pub fn credentials(&self) -> Credentials {
        lock(&self.credentials).clone()
    }

    /// The username recorded in the walkthrough, who signs in from now on.
    pub fn set_username(&self, username: String) {
        lock(&self.credentials).username = Some(username);
    }

    /// The password typed into the walkthrough's sign-in prompt.
    pub fn set_password(&self, password: Secret) {
        lock(&self.credentials).password = Some(password);
    }

    /// The ID token the last `id-token` check (or `t`) obtained, if any.
    pub fn token(&self) -> Option<IdToken> {
        lock(&self.facts).token.clone()
    }

    pub fn set_token(&self, token: Option<IdToken>) {
        lock(&self.facts).token = token;
    }

    fn progress(&self, id: CheckId, message: impl Into<String>) {
        if let Some(events) = &self.events {
            let _ = events.send(Event::Progress(id, message.into()));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs one check.
pub async fn run_check(id: CheckId, ctx: &Context) -> Outcome {
    match id {
        CheckId::StackOutputs => identity::stack_outputs(ctx).await,
        CheckId::ClientSecret => identity::client_secret(ctx).await,
        CheckId::UserConfirmed => identity::user_confirmed(ctx).await,
        CheckId::AuthorizerCreated => api::authorizer_created(ctx).await,
        CheckId::MethodProtected => api::method_protected(ctx).await,
        CheckId::ApiDeployed => api::api_deployed(ctx).await,
        CheckId::HeaderForwarded => cdn::header_forwarded(ctx).await,
        CheckId::CacheInvalidated => cdn::cache_invalidated(ctx).await,
        CheckId::Unauthenticated401 => requests::unauthenticated_401(ctx).await,
        CheckId::IdToken => identity::id_token(ctx).await,
        CheckId::Authenticated200 => requests::authenticated_200(ctx).await,
        CheckId::DirectApiBlocked => requests::direct_api_blocked(ctx).await,
    }
}

/// How long a check may run before it is stopped and reported as an error.
fn time_limit(id: CheckId, ctx: &Context) -> Duration {
    match id {
        CheckId::HeaderForwarded | CheckId::CacheInvalidated => ctx.wait_limit + Duration::from_secs(30),
        _ => Duration::from_secs(60),
    }
}

/// Runs `ids` in order, reporting each on `ctx`'s channel; stops early when `cancel` fires.
pub async fn run(ids: &[CheckId], ctx: &Context, guide: &Guide, cancel: &CancellationToken) -> Vec<Report> {
    let mut reports = Vec::with_capacity(ids.len());
    for &id in ids {
        if cancel.is_cancelled() {
            break;
        }
        if let Some(events) = &ctx.events {
            let _ = events.send(Event::Started(id));
        }
        let started = Instant::now();
        let outcome = tokio::select! {
            _ = cancel.cancelled() => Outcome {
                status: Status::Skipped,
                summary: "cancelled".into(),
                hint: Some("run it again when you are ready".into()),
                evidence: Value::Null,
            },
            result = tokio::time::timeout(time_limit(id, ctx), run_check(id, ctx)) => match result {
                Ok(outcome) => outcome,
                Err(_) => Outcome {
                    status: Status::Error,
                    summary: format!("gave up after {} s", time_limit(id, ctx).as_secs()),
                    hint: Some("AWS is slow to answer; try again".into()),
                    evidence: json!({}),
                },
            },
        };
        let mut outcome = outcome;
        if outcome.status != Status::Passed && outcome.hint.is_none() {
            outcome.hint = Some(guide.check_text(id).hint.clone());
        }
        let report = Report {
            id,
            step: id.step(),
            title: guide.check_text(id).title.clone(),
            outcome,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        if let Some(events) = &ctx.events {
            let _ = events.send(Event::Finished(report.clone()));
        }
        reports.push(report);
    }
    reports
}
