//! `walab room`: the instructor's view of a room. On the room's machine it finds the running
//! room; elsewhere `--server URL --key KEY`. `--json` prints one snapshot; otherwise the live
//! dashboard.

use std::process::ExitCode;

use super::client::{RoomAccess, WatchError, client, snapshot};
use crate::cli::RoomArgs;
use crate::report::{USAGE, fail};
use crate::secret::Secret;
use crate::settings::Dirs;

/// The room to watch: the flags, else the one running on this machine.
pub fn access(args: &RoomArgs, dirs: &Dirs) -> Result<RoomAccess, String> {
    match (&args.server, &args.key) {
        (Some(server), Some(key)) => Ok(RoomAccess { server: server.clone(), key: Secret::new(key.clone()) }),
        (Some(_), None) | (None, Some(_)) => {
            Err("pass both --server and --key, or neither on the room's machine".into())
        }
        (None, None) => match super::running_room(&args.state_dir.clone().unwrap_or_else(|| dirs.room_dir())) {
            Some(room) => Ok(RoomAccess { server: room.aws_endpoint_url, key: room.instructor_key }),
            None => Err(
                "no room is running on this machine; start one with `walab serve --room`, or pass --server and --key"
                    .into(),
            ),
        },
    }
}

pub async fn run(args: RoomArgs, theme: crate::tui::ThemeName) -> ExitCode {
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
                crate::report::outln!("{}", serde_json::to_string(&snapshot).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Err(e @ WatchError::WrongKey) => fail(USAGE, e, Some("the key is in `walab serve --room`'s output".into())),
            Err(e) => fail(1, e, None),
        };
    }
    // The key is checked before the screen is taken over, so a wrong one is one clear line.
    if let Err(e @ WatchError::WrongKey) = snapshot(&client(), &access).await {
        return fail(USAGE, e, Some("the key is in `walab serve --room`'s output".into()));
    }
    super::dashboard::run(access, theme).await
}
