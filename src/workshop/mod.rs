//! A workshop on one machine: the instructor serves a room (`walab serve --room`), attendees
//! join it (`walab join`), and the instructor watches everyone's progress (`walab room`). The
//! room itself (accounts, SigV4, progress) is the local lab's; this is the command line around it.

pub mod client;
pub mod dashboard;
pub mod join;
pub mod serve;
pub mod watch;

use std::path::Path;

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
