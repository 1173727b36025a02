//! The lab's checks: one async function per check id, each returning an [`Outcome`] with a
//! diagnosis a learner can act on, and a runner that reports progress to a sink its caller
//! gives it, bounds every check with a timeout and stops when cancelled.
//!
//! Checks read; they change nothing. They share a [`Context`]: the AWS clients, the recorded
//! values as their owner last set them, who signs in, and what earlier checks learnt (the
//! API's id, the stacks' outputs, the ID token). A value a check reads from AWS is reported
//! in its outcome ([`Found`]) for the caller to record; until then the context remembers it
//! as a fact, so any subset of checks runs on its own.

mod api;
mod cdn;
pub mod evidence;
mod identity;
pub mod judge;
mod outcome;
mod requests;
pub mod teardown;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::aws::Clients;
use crate::guide::{CheckId, Guide};
use crate::probe::Prober;
use crate::secret::Secret;
use crate::settings::TargetKind;
use crate::settings::{Field, Values};

pub use api::{api_id, lab_authorizer};
pub use cdn::distribution_id;
pub use evidence::Evidence;
pub use identity::{IdToken, app_client_secret, pool_and_client};
pub use judge::covers_lab_path;
pub use outcome::{Event, Found, Hint, Outcome, Remedy, Report, Status};

/// What a check returns: `Ok` when it got as far as a verdict of its own, `Err` when it stopped
/// early (a lookup failed, a value is missing); either way the outcome to report.
pub type Checked = Result<Outcome, Outcome>;

/// Who signs in for the token checks.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// Where a run reports its progress.
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;

/// What earlier checks learnt, so later ones do not ask AWS again.
#[derive(Debug, Default)]
struct Facts {
    api_id: Option<String>,
    distribution_id: Option<String>,
    console_link: Option<String>,
    /// The stacks' outputs as last read; newer than the recorded values they differ from.
    outputs: Vec<(Field, String)>,
    /// The app client's secret as last read from the app client.
    client_secret: Option<Secret>,
    token: Option<IdToken>,
}

/// What one run gathers once and shares between its checks, which run at once: one
/// DescribeStacks per stack, one authorizer list, one read of the distribution, one read of the
/// app client, one sign-in.
#[derive(Default)]
pub(crate) struct RunCache {
    stacks: tokio::sync::OnceCell<Checked>,
    api_id: tokio::sync::OnceCell<Result<String, Outcome>>,
    authorizers: tokio::sync::OnceCell<Result<Vec<evidence::AuthorizerSeen>, Outcome>>,
    distribution_id: tokio::sync::OnceCell<Result<String, Outcome>>,
    client_secret: tokio::sync::OnceCell<Checked>,
    distribution: tokio::sync::OnceCell<Result<judge::DistributionSeen, Outcome>>,
    token: tokio::sync::OnceCell<Result<IdToken, Outcome>>,
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
    /// The recorded values, as their owner (the session, the walkthrough) last set them.
    values: Mutex<Values>,
    facts: Mutex<Facts>,
    /// What the current run has gathered; a new run (or a change made by a solve) starts afresh.
    run: Mutex<Arc<RunCache>>,
    sink: Mutex<Option<Sink>>,
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
            run: Mutex::new(Arc::default()),
            sink: Mutex::new(None),
        }
    }

    /// Forgets what the last run gathered: the lab may have changed since.
    pub fn begin_run(&self) {
        *lock(&self.run) = Arc::default();
    }

    pub(crate) fn this_run(&self) -> Arc<RunCache> {
        lock(&self.run).clone()
    }

    /// Where the runner and slow checks report progress from now on.
    pub fn report_to(&self, sink: Sink) {
        *lock(&self.sink) = Some(sink);
    }

    /// The recorded values, as their owner last set them (checks never change them).
    pub fn values(&self) -> Values {
        lock(&self.values).clone()
    }

    /// The owner records `value` for `field`: checks use it from now on.
    pub fn set_value(&self, field: Field, value: Option<String>) {
        if field == Field::Username
            && let Some(username) = &value
        {
            lock(&self.credentials).username = Some(username.clone());
        }
        lock(&self.values).set(field, value);
        // A token is for the user, pool and client it was signed in with.
        if matches!(field, Field::Username | Field::UserPoolId | Field::AppClientId | Field::AppClientSecret) {
            self.forget_token();
        }
        self.begin_run();
        // The newest word on a value wins: what was read from AWS before no longer applies.
        let mut facts = lock(&self.facts);
        facts.outputs.retain(|(f, _)| *f != field);
        if field == Field::AppClientSecret {
            facts.client_secret = None;
        }
    }

    /// The value checks use for `field`: what was last read from AWS, else the recorded one.
    pub fn value(&self, field: Field) -> Option<String> {
        let facts = lock(&self.facts);
        let read = match field {
            Field::AppClientSecret => facts.client_secret.as_ref().map(|s| s.expose().to_string()),
            _ => facts.outputs.iter().find(|(f, _)| *f == field).map(|(_, v)| v.clone()),
        };
        read.or_else(|| self.values().get(field).map(String::from))
    }

    /// Who signs in, as it stands.
    pub fn credentials(&self) -> Credentials {
        lock(&self.credentials).clone()
    }

    /// The password typed into the walkthrough's sign-in prompt.
    pub fn set_password(&self, password: Secret) {
        lock(&self.credentials).password = Some(password);
        self.forget_token();
    }

    /// Forgets the token the last sign-in got: the next check that needs one signs in again.
    pub fn forget_token(&self) {
        lock(&self.facts).token = None;
        self.begin_run();
    }

    /// Who signs in from now on (the lab's new demo user, after starting over).
    pub fn set_credentials(&self, credentials: Credentials) {
        *lock(&self.credentials) = credentials;
        self.forget_token();
    }

    /// Forgets every recorded value (the username too, unless `keep_username`) and everything
    /// earlier checks learnt: the section starts over.
    pub fn forget(&self, keep_username: bool) {
        let mut values = lock(&self.values);
        let username = values.username.clone().filter(|_| keep_username);
        *values = Values { username, ..Values::default() };
        *lock(&self.facts) = Facts::default();
        self.begin_run();
    }

    /// The ID token the last sign-in obtained, if any.
    pub fn token(&self) -> Option<IdToken> {
        lock(&self.facts).token.clone()
    }

    fn send(&self, event: Event) {
        let sink = lock(&self.sink).clone();
        if let Some(sink) = sink {
            sink(event);
        }
    }

    /// Reports how slow work is getting on (a check's wait, a solve's progress).
    pub fn progress(&self, id: CheckId, message: impl Into<String>) {
        self.send(Event::Progress(id, message.into()));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs one check.
pub async fn run_check(id: CheckId, ctx: &Context) -> Outcome {
    let checked = match id {
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
        CheckId::StackCdnDeleted => teardown::stack_cdn_deleted(ctx).await,
        CheckId::StackCloud9Deleted => teardown::stack_cloud9_deleted(ctx).await,
        CheckId::StackApiDeleted => teardown::stack_api_deleted(ctx).await,
        CheckId::LogGroupsDeleted => teardown::log_groups_deleted(ctx).await,
        CheckId::BucketDeleted => teardown::bucket_deleted(ctx).await,
    };
    checked.unwrap_or_else(|stopped| stopped)
}

/// Judges `id` from what a room gathered of an account (`locallab::room::judge`), with the same
/// judgements `run_check` applies to what walab gathers; `None` where nothing was gathered yet.
pub fn judge_gathered(id: CheckId, g: &judge::Gathered) -> Option<Outcome> {
    let api = g.api_id.clone().unwrap_or_default();
    Some(match id {
        CheckId::StackOutputs => judge::stack_outputs(&g.region, &g.edge, &g.api, &g.recorded),
        CheckId::ClientSecret => judge::client_secret(&g.client, &g.secret, None),
        CheckId::UserConfirmed => judge::user_confirmed(&g.pool, Some(&g.username), g.user.as_ref()),
        CheckId::AuthorizerCreated => judge::authorizer_created(&api, &g.pool, &g.authorizers),
        CheckId::MethodProtected => judge::method_protected(g.method.as_ref(), &g.pool, &g.authorizers),
        CheckId::ApiDeployed => judge::api_deployed(g.deployed.as_ref()),
        CheckId::HeaderForwarded => judge::header_forwarded(&g.distribution.as_ref()?.0),
        CheckId::CacheInvalidated => {
            let (dist, invalidations) = g.distribution.as_ref()?;
            judge::cache_invalidated(dist, invalidations)
        }
        CheckId::Unauthenticated401 => judge::unauthenticated_401(g.anonymous.as_ref()?),
        CheckId::IdToken if g.token_issued => judge::id_token(&g.username, 3600, Evidence::None),
        CheckId::Authenticated200 => judge::authenticated_200(g.with_token.as_ref()?),
        CheckId::DirectApiBlocked => judge::direct_api_blocked(g.direct.as_ref()?),
        _ => return None,
    })
}

/// How long a check may run before it is stopped and reported as an error.
fn time_limit(id: CheckId, ctx: &Context) -> Duration {
    match id {
        CheckId::HeaderForwarded | CheckId::CacheInvalidated => ctx.wait_limit + Duration::from_secs(30),
        _ => Duration::from_secs(60),
    }
}

/// Whether a check found the AWS endpoint unreachable (the checks after it need not wait too).
pub fn is_unreachable(outcome: &Outcome) -> bool {
    outcome.status == Status::Error && outcome.summary.starts_with(crate::aws::UNREACHABLE)
}

/// What a check says without running when an earlier one found AWS unreachable.
pub fn skipped_as_unreachable(first: &Outcome) -> Outcome {
    Outcome::skipped(
        "not run: the AWS endpoint cannot be reached",
        first.hint.clone().unwrap_or_else(|| Hint::new("check the network")),
    )
}

/// The checks a run of `ids` gathers: `ids` and every check on their paths, in lab order
/// (a diagnosis needs to know how the checks before it stand).
pub fn with_paths(ids: &[CheckId]) -> Vec<CheckId> {
    CheckId::every().filter(|id| ids.contains(id) || ids.iter().any(|asked| asked.path().contains(id))).collect()
}

/// Runs `ids` and the checks on their paths, all at once (what they share is gathered once),
/// and reports `ids` to the context's sink in lab order, each settled in causal order
/// ([`judge::settle`]); stops when `cancel` fires. Returns the reports of `ids` too, for
/// callers without a sink.
pub async fn run(ids: &[CheckId], ctx: &Context, guide: &Guide, cancel: &CancellationToken) -> Vec<Report> {
    ctx.begin_run();
    let all = with_paths(ids);
    let started = Instant::now();
    let mut pending: Vec<_> = all
        .iter()
        .map(|&id| {
            let limit = time_limit(id, ctx);
            Box::pin(async move {
                let outcome = match tokio::time::timeout(limit, run_check(id, ctx)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Outcome::error(
                        format!("no verdict after {} s: AWS is slow to answer", limit.as_secs()),
                        "try again in a minute",
                    )
                    .with_evidence(Evidence::TimedOut(evidence::NothingSeen {})),
                };
                (id, outcome, started.elapsed().as_millis() as u64)
            })
        })
        .collect();
    let mut done: BTreeMap<CheckId, (Outcome, u64)> = BTreeMap::new();
    let mut settled: BTreeMap<CheckId, Outcome> = BTreeMap::new();
    let mut reports = Vec::with_capacity(ids.len());
    // Once AWS cannot be reached, the checks after say so instead of each saying it again.
    let mut unreachable: Option<Outcome> = None;
    let mut next = 0;
    if let Some(&first) = all.iter().find(|id| ids.contains(id)) {
        ctx.send(Event::Started(first));
    }
    while next < all.len() {
        if pending.is_empty() {
            break;
        }
        let finished = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            (finished, _, rest) = futures::future::select_all(pending) => {
                pending = rest;
                finished
            }
        };
        done.insert(finished.0, (finished.1, finished.2));
        // Report in lab order what is finished, each settled against those before it.
        while let Some(&id) = all.get(next) {
            let Some((outcome, duration_ms)) = done.remove(&id) else { break };
            let mut outcome = match &unreachable {
                Some(first) if is_unreachable(&outcome) => skipped_as_unreachable(first),
                _ => outcome,
            };
            if unreachable.is_none() && is_unreachable(&outcome) {
                unreachable = Some(outcome.clone());
            }
            if outcome.status != Status::Passed && outcome.hint.is_none() {
                let text = guide.check_text(id);
                outcome.hint = Some(match outcome.status {
                    Status::Error => Hint::new("walab could not find out; try again in a minute"),
                    _ => Hint { text: text.hint.clone(), action: text.action },
                });
            }
            let outcome = judge::settle(id, outcome, guide, &|need| settled.get(&need).cloned());
            settled.insert(id, outcome.clone());
            next += 1;
            if ids.contains(&id) {
                let report =
                    Report { id, step: id.step(), title: guide.check_text(id).title.clone(), outcome, duration_ms };
                ctx.send(Event::Finished(Box::new(report.clone())));
                reports.push(report);
                if let Some(&after) = all[next..].iter().find(|id| ids.contains(id)) {
                    ctx.send(Event::Started(after));
                }
            }
        }
    }
    reports
}
