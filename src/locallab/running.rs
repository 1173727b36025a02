//! A local lab with its listeners up: `walab serve` and the walkthrough's embedded lab are both
//! a [`RunningLab`]. Starting takes the state directory's lock, opens the store (importing a
//! state file from before the store, once), makes sure there is an account, and binds.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::locallab::cognito;
use crate::locallab::lab::{Endpoints, LabInfo, LocalLab, RoomOptions};
use crate::locallab::legacy;
use crate::locallab::machinery::clock::Clock;
use crate::locallab::machinery::context::Timing;
use crate::locallab::machinery::listen::{self, ConnectionLimits};
use crate::locallab::machinery::router;
use crate::locallab::machinery::store::{self, Store, StoreError};
use crate::secret::Secret;

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
    /// Serve a room: an account per attendee, created when they join.
    pub room: Option<RoomOptions>,
    /// With `listen` on port 0: bind the ports this state directory's lab had last time when
    /// they are free, so URLs exported yesterday still work (the embedded lab).
    pub reuse_ports: bool,
    /// What each listener allows a client; `None`: from the process's file limit, raised to
    /// its hard limit first.
    pub connections: Option<ConnectionLimits>,
}

impl LabOptions {
    /// Ephemeral loopback ports and the default timing: what tests and the embedded lab use.
    pub fn ephemeral(state_dir: impl Into<PathBuf>) -> Self {
        LabOptions {
            state_dir: state_dir.into(),
            fresh: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            timing: Timing::default(),
            signing_key: None,
            room: None,
            reuse_ports: false,
            connections: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("another walab is using the lab in {0}; stop it, or pass --state-dir to run a second lab")]
    Busy(PathBuf),
    #[error("cannot use the state directory {path}: {source}")]
    StateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot create the user pool's signing key")]
    KeyGeneration,
}

/// How often expired cache entries are dropped, whether or not traffic comes.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Drops expired cache entries on time, until the lab stops.
async fn sweep_expired(lab: Arc<LocalLab>, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => lab.sweep_expired(),
        }
    }
}

/// A lab with its listeners up. Dropping it stops nothing; call [`RunningLab::shutdown`].
pub struct RunningLab {
    pub lab: Arc<LocalLab>,
    /// Things the user should be told (a damaged store set aside, an exposed listener).
    pub notices: Vec<String>,
    pub state_dir: PathBuf,
    cancel: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _lock: std::fs::File,
}

impl RunningLab {
    pub async fn start(options: LabOptions) -> Result<RunningLab, LabError> {
        let dir = options.state_dir.clone();
        crate::fsutil::create_private_dir(&dir).map_err(|source| LabError::StateDir { path: dir.clone(), source })?;
        let lock = lock_state_dir_patiently(&dir).await?;
        let mut notices = Vec::new();
        if options.fresh {
            let path = dir.join(store::DATABASE_FILE);
            if path.exists() {
                let kept = store::set_aside(&path, "previous")?;
                notices.push(format!("started a fresh lab; the previous one is kept at {}", kept.display()));
            }
            legacy::set_aside(&dir);
        }
        let opened = Store::open(&dir)?;
        if let Some((kept, reason)) = &opened.set_aside {
            notices.push(format!(
                "the lab's database {} could not be read ({reason}); it was moved to {} and a fresh lab was started in {}",
                opened.store.path().display(),
                kept.display(),
                opened.store.path().display()
            ));
        }
        let store = Arc::new(opened.store);

        let remembered = if options.reuse_ports && options.listen.port() == 0 { last_ports(&dir) } else { None };
        let (listeners, endpoints) = match remembered {
            Some(last) => match bind_each([last.aws, last.edge, last.invoke]).await {
                Ok(bound) => bound,
                Err(_) => {
                    let bound = bind(options.listen).await?;
                    notices.push(format!(
                        "the lab's usual ports ({}, {}, {}) are taken, so its addresses changed: the CloudFront endpoint is now {}",
                        last.aws.port(),
                        last.edge.port(),
                        last.invoke.port(),
                        bound.1.cloudfront_endpoint()
                    ));
                    bound
                }
            },
            // A room's attendees find it by its AWS endpoint and ask it for the others, so only
            // that port must be the one given; the edge and invoke ports move when taken.
            None if options.room.is_some() && options.listen.port() != 0 => {
                let (bound, moved) = bind_room(options.listen).await?;
                if moved {
                    notices.push(format!(
                        "the ports after {} are taken, so the room's edge and invoke listeners are on {} and {}; joined walabs find them by themselves",
                        options.listen.port(),
                        bound.1.edge.port(),
                        bound.1.invoke.port()
                    ));
                }
                bound
            }
            None => bind(options.listen).await?,
        };
        if options.reuse_ports {
            remember_ports(&dir, &endpoints);
        }
        if !options.listen.ip().is_loopback() {
            notices.push(format!(
                "listening on {} beyond this machine: the local lab has no real security, anyone who can reach it can use it",
                options.listen.ip()
            ));
        }
        let clock = Arc::new(Clock::default());
        let lab = match LocalLab::open(store, clock.clone(), options.timing, endpoints, options.room.clone()) {
            Ok(lab) => Arc::new(lab),
            // A database that opens but holds what this walab cannot use (a lab without its
            // pool, say) is set aside like a damaged one, and the lab starts afresh.
            Err(StoreError::Unreadable(reason)) => {
                let path = dir.join(store::DATABASE_FILE);
                let kept = store::set_aside(&path, &format!("unreadable-{}", std::process::id()))?;
                notices.push(format!(
                    "the lab's database {} holds what this walab cannot use ({reason}); it was moved to {} (repair or \
                     delete it there) and a fresh lab was started in {}",
                    path.display(),
                    kept.display(),
                    path.display()
                ));
                let store = Arc::new(Store::open(&dir)?.store);
                Arc::new(LocalLab::open(store, clock, options.timing, endpoints, options.room.clone())?)
            }
            Err(e) => return Err(e.into()),
        };
        if lab.room.is_none() && lab.account().is_none() {
            let signing_key = || match options.signing_key.clone() {
                Some(key) => Ok(key),
                None => cognito::generate_signing_key().map_err(|_| LabError::KeyGeneration),
            };
            match legacy::import(&lab, &dir)? {
                legacy::Imported::Account => notices.push("the lab's state was moved into its new database".into()),
                legacy::Imported::Nothing => {
                    lab.create_account(signing_key()?)?;
                }
                legacy::Imported::Unreadable { kept_at, reason } => {
                    notices.push(format!(
                        "the lab state could not be read ({reason}); it was moved to {} and a fresh lab was started",
                        kept_at.display()
                    ));
                    lab.create_account(signing_key()?)?;
                }
            }
        }
        if let Some(info) = lab.info() {
            write_running_endpoint(&dir, &info);
        }

        let cancel = CancellationToken::new();
        let limits =
            options.connections.unwrap_or_else(|| ConnectionLimits::for_file_limit(listen::raise_file_limit()));
        let mut tasks = router::serve(lab.clone(), listeners, limits, cancel.clone());
        tasks.push(tokio::spawn(sweep_expired(lab.clone(), cancel.clone())));
        Ok(RunningLab { lab, notices, state_dir: dir, cancel, tasks, _lock: lock })
    }

    pub fn endpoints(&self) -> Endpoints {
        self.lab.endpoints
    }

    /// Stops the listeners, letting requests in flight finish. Everything acknowledged is
    /// already in the store; the write-ahead log is folded into the database.
    pub async fn shutdown(self) -> Result<(), LabError> {
        self.cancel.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
        let _ = std::fs::remove_file(self.state_dir.join(ENDPOINT_FILE));
        self.lab.store.checkpoint();
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
    bind_each(addrs).await
}

/// A room's listeners: the AWS endpoint on `listen` exactly, the edge and invoke listeners on
/// the two ports after it, or wherever the system puts them when those are taken (true).
async fn bind_room(listen: SocketAddr) -> Result<(([tokio::net::TcpListener; 3], Endpoints), bool), LabError> {
    match bind(listen).await {
        Ok(bound) => Ok((bound, false)),
        Err(_) => {
            let mut any = listen;
            any.set_port(0);
            Ok((bind_each([listen, any, any]).await?, true))
        }
    }
}

/// Where the lab's ports are remembered between runs.
const PORTS_FILE: &str = "ports.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct Ports {
    aws: SocketAddr,
    edge: SocketAddr,
    invoke: SocketAddr,
}

fn last_ports(dir: &Path) -> Option<Ports> {
    let text = crate::fsutil::read_text_bounded(&dir.join(PORTS_FILE), crate::fsutil::MAX_OWN_FILE).ok()?;
    serde_json::from_str(&text).ok()
}

fn remember_ports(dir: &Path, endpoints: &Endpoints) {
    let ports = Ports { aws: endpoints.aws, edge: endpoints.edge, invoke: endpoints.invoke };
    let body = serde_json::to_vec(&ports).unwrap_or_default();
    if let Err(e) = crate::fsutil::write_private(&dir.join(PORTS_FILE), &body) {
        tracing::warn!("could not remember the lab's ports: {e}");
    }
}

async fn bind_each(addrs: [SocketAddr; 3]) -> Result<([tokio::net::TcpListener; 3], Endpoints), LabError> {
    let listen = addrs[0];
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

/// The file holds the demo user's password, so it is written 0600, atomically.
fn write_running_endpoint(dir: &Path, info: &LabInfo) {
    let body = serde_json::to_vec(info).unwrap_or_default();
    if let Err(e) = crate::fsutil::write_private(&dir.join(ENDPOINT_FILE), &body) {
        tracing::warn!("could not record the lab's endpoint: {e}");
    }
}

/// The lab running on `dir` in another process, if any.
pub fn running_lab(dir: &Path) -> Option<LabInfo> {
    let text = crate::fsutil::read_text_bounded(&dir.join(ENDPOINT_FILE), crate::fsutil::MAX_OWN_FILE).ok()?;
    serde_json::from_str(&text).ok()
}

/// Where a running `walab serve` registers itself in walab's data directory, so that another
/// walab can say which lab it uses when it is not that one.
const SERVED_FILE: &str = "served.json";

/// A `walab serve` running now.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ServedLab {
    pub aws_endpoint_url: String,
    pub state_dir: PathBuf,
}

/// Registers a served lab in `data_dir` (removed by [`unregister_served`]).
pub fn register_served(data_dir: &Path, served: &ServedLab) {
    let body = serde_json::to_vec(served).unwrap_or_default();
    let _ = crate::fsutil::create_private_dir(data_dir);
    if let Err(e) = crate::fsutil::write_private(&data_dir.join(SERVED_FILE), &body) {
        tracing::warn!("could not register the served lab: {e}");
    }
}

pub fn unregister_served(data_dir: &Path) {
    let _ = std::fs::remove_file(data_dir.join(SERVED_FILE));
}

/// The `walab serve` registered in `data_dir`, if it still runs (its state directory is locked).
pub fn served_lab(data_dir: &Path) -> Option<ServedLab> {
    let text = crate::fsutil::read_text_bounded(&data_dir.join(SERVED_FILE), crate::fsutil::MAX_OWN_FILE).ok()?;
    let served: ServedLab = serde_json::from_str(&text).ok()?;
    match lock_state_dir(&served.state_dir) {
        Err(LabError::Busy(_)) => Some(served),
        _ => None,
    }
}

/// Whether a lab is running on the state directory `dir` now (its lock is held).
pub fn served_lab_in(dir: &Path) -> bool {
    matches!(lock_state_dir(dir), Err(LabError::Busy(_)))
}

/// The state directory's lock for a lab starting, waiting a moment when it is busy: a lab that
/// has just stopped may still hold it for a few milliseconds, through a child process between
/// fork and exec (the lock belongs to the open file, which the child shares until it execs).
async fn lock_state_dir_patiently(dir: &Path) -> Result<std::fs::File, LabError> {
    const PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);
    let (mut wait, mut waited) = (std::time::Duration::from_millis(5), std::time::Duration::ZERO);
    loop {
        match lock_state_dir(dir) {
            Err(LabError::Busy(_)) if waited < PATIENCE => {
                tokio::time::sleep(wait).await;
                waited += wait;
                wait *= 2;
            }
            other => return other,
        }
    }
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
