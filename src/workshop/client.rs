//! Talking to a room over HTTP: joining it, and reading its progress with the instructor key.

use std::time::Duration;

use crate::locallab::room_api::{JoinInfo, Snapshot};
use crate::secret::Secret;

/// Why a join did not work, each with what to do.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("cannot reach the room at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the room refused to let you in: {0}")]
    Refused(String),
    #[error("the room answered something walab does not understand ({0})")]
    Unexpected(String),
}

/// Asks the room at `server` for an account.
pub async fn request(server: &str, code: &str, name: &str) -> Result<JoinInfo, JoinError> {
    let url = format!("{}/_walab/room/join", server.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| JoinError::Unexpected(e.to_string()))?;
    let response = client
        .post(&url)
        .json(&serde_json::json!({ "code": code, "name": name }))
        .send()
        .await
        .map_err(|e| JoinError::Unreachable { url: server.to_string(), reason: innermost(&e) })?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| JoinError::Unexpected(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| JoinError::Unexpected(e.to_string()));
    }
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["message"].as_str().map(String::from))
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(JoinError::Refused(message))
}

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

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
