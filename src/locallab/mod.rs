//! The local lab: section 5's AWS environment on loopback, speaking the real wire protocols,
//! so the official SDK clients cannot tell it from AWS for the calls the lab makes.
//!
//! Three listeners share one [`LocalLab`]: the AWS endpoint (Cognito, CloudFormation, API Gateway
//! and CloudFront control planes), the CloudFront edge, and the API Gateway invoke URL.
//! `walab serve` and the walkthrough's embedded lab are both a [`RunningLab`].

pub mod apigateway;
pub mod clock;
pub mod cloudformation;
pub mod cloudfront;
pub mod cognito;
pub mod edge;
pub mod hosted_ui;
pub mod ids;
pub mod invoke;
pub mod players;
mod router;
pub mod state;
pub mod sts;
pub mod waf;
pub mod wire;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::secret::Secret;
use clock::Clock;
use state::{LabState, Loaded, StateError};

/// How a lab is started.
#[derive(Debug, Clone)]
pub struct LabOptions {
    pub state_dir: PathBuf,
    /// Set the existing state aside and start as section 5 begins.
    pub fresh: bool,
    /// The AWS endpoint's address; the edge and invoke listeners take the next two ports, or
    /// ephemeral ports when this one is 0.
    pub listen: SocketAddr,
    pub timing: Timing,
    /// A PEM private key for a newly seeded pool; `None` generates one (tests pass one in,
    /// so they do not spend time generating RSA keys).
    pub signing_key: Option<Secret>,
}

impl LabOptions {
    /// Ephemeral loopback ports and instant transitions: what tests and the embedded lab use.
    pub fn ephemeral(state_dir: impl Into<PathBuf>) -> Self {
        LabOptions {
            state_dir: state_dir.into(),
            fresh: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            timing: Timing::default(),
            signing_key: None,
        }
    }
}

/// How long the lab's slow AWS operations take.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// An invalidation goes `InProgress` → `Completed` after this long.
    pub invalidation: Duration,
    /// A distribution update goes `InProgress` → `Deployed` after this long.
    pub deploy: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { invalidation: Duration::from_secs(5), deploy: Duration::from_secs(5) }
    }
}

impl Timing {
    pub const INSTANT: Timing = Timing { invalidation: Duration::ZERO, deploy: Duration::ZERO };
}

/// Where the three listeners are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    pub aws: SocketAddr,
    pub edge: SocketAddr,
    pub invoke: SocketAddr,
}

impl Endpoints {
    pub fn aws_endpoint_url(&self) -> String {
        format!("http://{}", self.aws)
    }
    /// The `CloudFrontEndpoint` stack output.
    pub fn cloudfront_endpoint(&self) -> String {
        format!("http://{}/?id=1", self.edge)
    }
    /// The `APIGatewayURL` stack output.
    pub fn api_gateway_url(&self) -> String {
        format!("http://{}/Dev/?id=1", self.invoke)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("another walab is using the lab in {0}; stop it, or pass --state-dir to run a second lab")]
    Busy(PathBuf),
    #[error("cannot use the state directory {path}: {source}")]
    StateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot create the user pool's signing key")]
    KeyGeneration,
}

/// The shared lab: its state behind one lock, its clock, and where it listens.
pub struct LocalLab {
    state: Mutex<LabState>,
    pub clock: Clock,
    pub endpoints: Endpoints,
    pub timing: Timing,
    /// Each pool's signing key; public so tests can mint tokens exactly as the pool would.
    pub signers: cognito::Signers,
    pub(crate) sessions: Mutex<cognito::Sessions>,
    dirty: Notify,
}

impl LocalLab {
    fn new(state: LabState, endpoints: Endpoints, timing: Timing) -> Result<LocalLab, LabError> {
        let signers = cognito::Signers::load(&state.cognito).map_err(|_| LabError::KeyGeneration)?;
        Ok(LocalLab {
            state: Mutex::new(state),
            clock: Clock::default(),
            endpoints,
            timing,
            signers,
            sessions: Mutex::new(cognito::Sessions::default()),
            dirty: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, LabState> {
        // A panic while holding the lock leaves the state as the last completed write; keep going.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the state.
    pub fn read<R>(&self, f: impl FnOnce(&LabState) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the state; it is saved to disk soon after, off the request path.
    pub fn write<R>(&self, f: impl FnOnce(&mut LabState) -> R) -> R {
        let result = f(&mut self.lock());
        self.dirty.notify_one();
        result
    }

    fn snapshot(&self) -> Vec<u8> {
        self.read(serde_json::to_vec_pretty).unwrap_or_default()
    }

    /// What a user needs to reach this lab (the `walab serve --json` line).
    pub fn info(&self) -> LabInfo {
        self.read(|s| {
            let pool = s.cognito.lab_pool();
            LabInfo {
                aws_endpoint_url: self.endpoints.aws_endpoint_url(),
                cloudfront_endpoint: self.endpoints.cloudfront_endpoint(),
                api_gateway_url: self.endpoints.api_gateway_url(),
                region: s.region.clone(),
                user_pool_id: pool.id.clone(),
                app_client_id: pool.lab_client().id.clone(),
                demo_user: DemoUser {
                    username: s.cognito.demo.username.clone(),
                    password: s.cognito.demo.password.clone(),
                },
            }
        })
    }
}

/// The `walab serve --json` line (DESIGN.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabInfo {
    pub aws_endpoint_url: String,
    pub cloudfront_endpoint: String,
    pub api_gateway_url: String,
    pub region: String,
    pub user_pool_id: String,
    pub app_client_id: String,
    pub demo_user: DemoUser,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoUser {
    pub username: String,
    /// Serialised in full: the `--json` contract hands it to scripts and tests.
    #[serde(serialize_with = "expose_secret")]
    pub password: Secret,
}

fn expose_secret<S: serde::Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

/// A lab with its listeners up. Dropping it stops nothing; call [`RunningLab::shutdown`].
pub struct RunningLab {
    pub lab: Arc<LocalLab>,
    /// Things the user should be told (a corrupt state file set aside, an exposed listener).
    pub notices: Vec<String>,
    pub state_dir: PathBuf,
    cancel: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    saver: tokio::task::JoinHandle<()>,
    _lock: std::fs::File,
}

impl RunningLab {
    pub async fn start(options: LabOptions) -> Result<RunningLab, LabError> {
        let dir = options.state_dir.clone();
        crate::fsutil::create_private_dir(&dir).map_err(|source| LabError::StateDir { path: dir.clone(), source })?;
        let lock = lock_state_dir(&dir)?;
        let mut notices = Vec::new();
        if options.fresh
            && let Some(kept) = state::set_aside(&dir)?
        {
            notices.push(format!("started a fresh lab; the previous one is kept at {}", kept.display()));
        }
        let state = match state::load(&dir)? {
            Loaded::Existing(state) => Some(*state),
            Loaded::Missing => None,
            Loaded::Corrupt { kept_at, reason } => {
                notices.push(format!(
                    "the lab state could not be read ({reason}); it was moved to {} and a fresh lab was started",
                    kept_at.display()
                ));
                None
            }
        };
        let clock = Clock::default();
        let state = match state {
            Some(state) => state,
            None => {
                let key = match options.signing_key.clone() {
                    Some(key) => key,
                    None => cognito::generate_signing_key().map_err(|_| LabError::KeyGeneration)?,
                };
                LabState::seed(clock.now_ms(), key)
            }
        };

        let (listeners, endpoints) = bind(options.listen).await?;
        if !options.listen.ip().is_loopback() {
            notices.push(format!(
                "listening on {} beyond this machine: the local lab has no real security, anyone who can reach it can use it",
                options.listen.ip()
            ));
        }
        let lab = Arc::new(LocalLab::new(state, endpoints, options.timing)?);
        write_running_endpoint(&dir, &lab.info());
        // Save the seed (or the repaired state) straight away.
        state::save(&dir, &lab.snapshot())?;

        let cancel = CancellationToken::new();
        let tasks = router::serve(lab.clone(), listeners, cancel.clone());
        let saver = tokio::spawn(save_when_dirty(lab.clone(), dir.clone(), cancel.clone()));
        Ok(RunningLab { lab, notices, state_dir: dir, cancel, tasks, saver, _lock: lock })
    }

    pub fn endpoints(&self) -> Endpoints {
        self.lab.endpoints
    }

    /// Stops the listeners (letting requests in flight finish) and saves the state.
    pub async fn shutdown(self) -> Result<(), LabError> {
        self.cancel.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
        let _ = self.saver.await;
        let _ = std::fs::remove_file(self.state_dir.join(ENDPOINT_FILE));
        state::save(&self.state_dir, &self.lab.snapshot())?;
        Ok(())
    }
}

async fn bind(listen: SocketAddr) -> Result<([tokio::net::TcpListener; 3], Endpoints), LabError> {
    let addrs = if listen.port() == 0 {
        [listen; 3]
    } else {
        let port = |offset: u16| {
            let mut addr = listen;
            addr.set_port(listen.port().saturating_add(offset));
            addr
        };
        [port(0), port(1), port(2)]
    };
    let mut listeners = Vec::with_capacity(3);
    for addr in addrs {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| LabError::Bind { addr, source })?;
        listeners.push(listener);
    }
    let local = |i: usize| listeners[i].local_addr().map_err(|source| LabError::Bind { addr: addrs[i], source });
    let endpoints = Endpoints { aws: local(0)?, edge: local(1)?, invoke: local(2)? };
    let listeners: [tokio::net::TcpListener; 3] = listeners
        .try_into()
        .map_err(|_| LabError::Bind { addr: listen, source: std::io::Error::other("listener count") })?;
    Ok((listeners, endpoints))
}

/// While a lab runs, its AWS endpoint is written beside its state, so that another walab
/// finding the state directory busy can use the running lab instead of failing.
const ENDPOINT_FILE: &str = "endpoint.json";

/// The file holds the demo user's password, so it is written like the state: 0600, atomically.
fn write_running_endpoint(dir: &Path, info: &LabInfo) {
    let body = serde_json::to_vec(info).unwrap_or_default();
    if let Err(e) = crate::fsutil::write_private(&dir.join(ENDPOINT_FILE), &body) {
        tracing::warn!("could not record the lab's endpoint: {e}");
    }
}

/// The lab running on `dir` in another process, if any.
pub fn running_lab(dir: &Path) -> Option<LabInfo> {
    let text = std::fs::read_to_string(dir.join(ENDPOINT_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

fn lock_state_dir(dir: &Path) -> Result<std::fs::File, LabError> {
    let path = dir.join("lab.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| LabError::StateDir { path: path.clone(), source })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(LabError::Busy(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(source)) => Err(LabError::StateDir { path, source }),
    }
}

/// How long the saver lets changes gather before it writes: under a room's sign-ins (each
/// records a refresh token) the state is written a few times a second, not once per request,
/// and requests wait less for the lock the snapshot holds. Shutdown always saves.
const SAVE_COALESCE: Duration = Duration::from_millis(250);

async fn save_when_dirty(lab: Arc<LocalLab>, dir: PathBuf, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = lab.dirty.notified() => {}
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(SAVE_COALESCE) => {}
        }
        let json = lab.snapshot();
        let dir = dir.clone();
        match tokio::task::spawn_blocking(move || state::save(&dir, &json)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("could not save the lab state: {e}"),
            Err(e) => tracing::warn!("could not save the lab state: {e}"),
        }
    }
}
