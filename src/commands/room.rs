//! `walab room`: the instructor's view of a room. On the room's machine it finds the running
//! room (any state directory: rooms register themselves); elsewhere `--server URL` with the key
//! in `WALAB_ROOM_KEY` (or `--key`). `--json` prints one snapshot; otherwise the live dashboard.
//! `walab room reissue NAME` moves an attendee's account to a new machine.

use std::process::ExitCode;

use crate::cli::RoomArgs;
use crate::report::Failure;
use crate::secret::Secret;
use crate::settings::Dirs;
use crate::workshop::client::{RoomAccess, WatchError, client, snapshot};

/// Where the instructor key comes from when it is not found on this machine.
pub const KEY_VAR: &str = "WALAB_ROOM_KEY";

/// The room to watch: `--server` with the key from `WALAB_ROOM_KEY` (or `--key`), else the room
/// running on this machine (the one in `--state-dir`, or the only one registered).
pub fn access(args: &RoomArgs, dirs: &Dirs) -> Result<RoomAccess, String> {
    let from_env = std::env::var(KEY_VAR).ok().filter(|k| !k.trim().is_empty()).map(Secret::new);
    if args.key.is_some() {
        crate::report::errln!(
            "walab: warning: a key given with --key is visible to other users of this machine and kept in your shell's history; set {KEY_VAR} instead"
        );
    }
    let key = args.key.clone().or(from_env);
    if let Some(server) = &args.server {
        let Some(key) = key else {
            return Err(format!("pass the instructor key in {KEY_VAR} (or --key) with --server"));
        };
        return Ok(RoomAccess { server: server.clone(), key });
    }
    let running = crate::workshop::registered(dirs);
    let room = match &args.state_dir {
        Some(dir) => {
            let dir = dir.canonicalize().unwrap_or_else(|_| dir.clone());
            match running.into_iter().find(|r| r.state_dir == dir) {
                Some(room) => room,
                None => return local_room(&dir, key),
            }
        }
        None => match running.as_slice() {
            [one] => one.clone(),
            [] => return local_room(&dirs.room_dir(), key),
            many => {
                let list: Vec<String> =
                    many.iter().map(|r| format!("{} ({})", r.state_dir.display(), r.local_url)).collect();
                return Err(format!(
                    "{} rooms are running on this machine: {}; pass --state-dir DIR to pick one",
                    many.len(),
                    list.join(", ")
                ));
            }
        },
    };
    let record = std::fs::read(&room.key_file)
        .ok()
        .and_then(|b| serde_json::from_slice::<crate::workshop::RunningRoom>(&b).ok());
    match (record, key) {
        (_, Some(key)) => Ok(RoomAccess { server: room.local_url, key }),
        (Some(record), None) => Ok(RoomAccess { server: room.local_url, key: record.instructor_key }),
        (None, None) => {
            Err(format!("cannot read the room's instructor key in {}; set {KEY_VAR}", room.key_file.display()))
        }
    }
}

/// A room on this machine found by its state directory's record (rooms from before the registry).
fn local_room(dir: &std::path::Path, key: Option<Secret>) -> Result<RoomAccess, String> {
    match crate::workshop::running_room(dir) {
        Some(room) if crate::locallab::served_lab_in(dir) => Ok(RoomAccess {
            server: room.aws_endpoint_url,
            key: key.unwrap_or(room.instructor_key),
        }),
        _ => Err(
            "no room is running on this machine; start one with `walab serve --room`, or pass --server (and the key in WALAB_ROOM_KEY)"
                .into(),
        ),
    }
}

/// What the room said to the instructor's key, as the failure that ends `walab room`.
fn refused(e: WatchError) -> Failure {
    match e {
        WatchError::WrongKey => Failure::usage(e).hint("the key is in `walab serve --room`'s output"),
        WatchError::NoSuchAttendee => Failure::usage(e).hint("`walab room --json` lists the names"),
        WatchError::Unreachable { .. } | WatchError::Unexpected(_) => Failure::failed(e),
    }
}

/// `walab room reissue NAME`: prints the one-time code and the join line for the new machine.
async fn reissue(access: &RoomAccess, name: &str) -> Result<ExitCode, Failure> {
    let crate::workshop::client::Reissued { name: shown, code, server } =
        crate::workshop::client::reissue(&client(), access, name).await.map_err(refused)?;
    crate::report::outln!("{}", code.expose());
    crate::report::errln!(
        "On {shown}'s new machine (the code works once, for two hours; the old machine's key stops working then):\n  walab join {} --code {} --name {}",
        server.as_deref().unwrap_or(&access.server),
        code.expose(),
        shlex::try_quote(&shown).map(|q| q.into_owned()).unwrap_or_else(|_| shown.clone())
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run(args: RoomArgs, theme: crate::tui::ThemeName) -> Result<ExitCode, Failure> {
    let dirs = Dirs::from_env()?;
    let access = access(&args, &dirs).map_err(Failure::usage)?;
    if let Some(crate::cli::RoomAction::Reissue { name }) = &args.action {
        return reissue(&access, name).await;
    }
    if args.json {
        let snapshot = snapshot(&client(), &access).await.map_err(refused)?;
        crate::report::outln!("{}", serde_json::to_string(&snapshot).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    // The key is checked before the screen is taken over, so a wrong one is one clear line.
    if let Err(e @ WatchError::WrongKey) = snapshot(&client(), &access).await {
        return Err(refused(e));
    }
    crate::workshop::dashboard::run(access, theme).await.map(|()| ExitCode::SUCCESS)
}
