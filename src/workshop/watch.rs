//! `walab room`: the instructor's view of a room. On the room's machine it finds the running
//! room; elsewhere `--server URL --key KEY`. `--json` prints one snapshot; otherwise the live
//! dashboard.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::RoomArgs;
use crate::locallab::room_api::Snapshot;
use crate::report::{USAGE, fail};
use crate::secret::Secret;
use crate::settings::Dirs;

/// Where the room is and the key to read it.
#[derive(Debug, Clone)]
pub struct RoomAccess {
    pub server: String,
    pub key: Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot reach the room at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("the room refused the instructor key")]
    WrongKey,
    #[error("the room answered something walab does not understand ({0})")]
    Unexpected(String),
}

/// The room to watch: the flags, else the one running on this machine.
pub fn access(args: &RoomArgs, dirs: &Dirs) -> Result<RoomAccess, String> {
    match (&args.server, &args.key) {
        (Some(server), Some(key)) => Ok(RoomAccess { server: server.clone(), key: Secret::new(key.clone()) }),
        (Some(_), None) | (None, Some(_)) => {
            Err("pass both --server and --key, or neither on the room's machine".into())
        }
        (None, None) => match super::running_room(&dirs.room_dir()) {
            Some(room) => Ok(RoomAccess { server: room.aws_endpoint_url, key: room.instructor_key }),
            None => Err(
                "no room is running on this machine; start one with `walab serve --room`, or pass --server and --key"
                    .into(),
            ),
        },
    }
}

/// One snapshot of the room's progress.
pub async fn snapshot(client: &reqwest::Client, access: &RoomAccess) -> Result<Snapshot, WatchError> {
    let url = format!("{}/_walab/room", access.server.trim_end_matches('/'));
    let response = client
        .get(&url)
        .bearer_auth(access.key.expose())
        .send()
        .await
        .map_err(|e| WatchError::Unreachable { server: access.server.clone(), reason: innermost(&e) })?;
    match response.status().as_u16() {
        200 => response.json().await.map_err(|e| WatchError::Unexpected(e.to_string())),
        403 => Err(WatchError::WrongKey),
        status => Err(WatchError::Unexpected(format!("HTTP {status}"))),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default()
}

pub async fn run(args: RoomArgs) -> ExitCode {
    let dirs = match Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => return fail(USAGE, e, None),
    };
    let access = match access(&args, &dirs) {
        Ok(access) => access,
        Err(e) => return fail(USAGE, e, None),
    };
    if args.json {
        return match snapshot(&client(), &access).await {
            Ok(snapshot) => {
                println!("{}", serde_json::to_string(&snapshot).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Err(e @ WatchError::WrongKey) => fail(USAGE, e, Some("the key is in `walab serve --room`'s output".into())),
            Err(e) => fail(1, e, None),
        };
    }
    match snapshot(&client(), &access).await {
        Ok(snapshot) => {
            print!("{}", table(&snapshot));
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e, None),
    }
}

/// The snapshot as a plain table: one row per attendee.
pub fn table(snapshot: &Snapshot) -> String {
    let mut out = format!("{:<24} {:>6}  {:<6} {}\n", "attendee", "passed", "step", "last activity");
    for a in &snapshot.attendees {
        out.push_str(&format!("{:<24} {:>3}/12  {:<6} {}\n", a.name, a.passed, a.step, a.last_activity));
    }
    if snapshot.attendees.is_empty() {
        out.push_str("nobody has joined yet\n");
    }
    out
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
