//! A workshop on one machine: the instructor serves a room (`walab serve --room`), attendees
//! join it (`walab join`), and the instructor watches everyone's progress (`walab room`). The
//! room itself (accounts, SigV4, progress) is the local lab's, the verbs are in `commands`;
//! this is what they share: the room's HTTP client, the registry of rooms running on this
//! machine, and the instructor's dashboard.

pub mod client;
pub mod dashboard;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// What a running room leaves beside its state, for `walab room` on the same machine
/// (mode 0600: it holds the instructor key).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunningRoom {
    pub aws_endpoint_url: String,
    #[serde(serialize_with = "crate::secret::serialize_exposed")]
    pub code: Secret,
    #[serde(serialize_with = "crate::secret::serialize_exposed")]
    pub instructor_key: Secret,
}

pub const RUNNING_ROOM_FILE: &str = "room.json";

pub fn running_room(dir: &Path) -> Option<RunningRoom> {
    serde_json::from_slice(&std::fs::read(dir.join(RUNNING_ROOM_FILE)).ok()?).ok()
}

/// Where running rooms register themselves, so `walab room` on the same machine finds any of
/// them whatever its state directory: one small file per room in walab's data directory, naming
/// its local address and where its instructor key is (not the key), mode 0600.
pub fn registry_dir(dirs: &crate::settings::Dirs) -> PathBuf {
    dirs.data.join("rooms")
}

/// One running room, as registered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisteredRoom {
    /// Where this machine reaches it (loopback when it listens on every interface).
    pub local_url: String,
    pub state_dir: PathBuf,
    /// The file holding its instructor key (its [`RUNNING_ROOM_FILE`]).
    pub key_file: PathBuf,
    pub pid: u32,
}

fn registry_entry(dirs: &crate::settings::Dirs, state_dir: &Path) -> PathBuf {
    // One file per state directory, named by a hash of its path (FNV-1a).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in state_dir.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    registry_dir(dirs).join(format!("{hash:016x}.json"))
}

/// Registers a room that started (removed by [`unregister`]).
pub fn register(dirs: &crate::settings::Dirs, room: &RegisteredRoom) -> std::io::Result<()> {
    let body = serde_json::to_vec(room).map_err(std::io::Error::other)?;
    crate::fsutil::write_private(&registry_entry(dirs, &room.state_dir), &body)
}

pub fn unregister(dirs: &crate::settings::Dirs, state_dir: &Path) {
    let _ = std::fs::remove_file(registry_entry(dirs, state_dir));
}

/// The rooms running on this machine now (a room is running while its state directory is
/// locked); entries of rooms that are gone are removed.
pub fn registered(dirs: &crate::settings::Dirs) -> Vec<RegisteredRoom> {
    let Ok(entries) = std::fs::read_dir(registry_dir(dirs)) else { return Vec::new() };
    let mut rooms = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(room) = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<RegisteredRoom>(&b).ok())
        else {
            continue;
        };
        if crate::locallab::running::served_lab_in(&room.state_dir) {
            rooms.push(room);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    rooms.sort_by(|a, b| a.state_dir.cmp(&b.state_dir));
    rooms
}
