//! Talking to a room over HTTP: joining it, and reading its progress with the instructor key.

use std::time::Duration;

use crate::attendee::JoinedRoom;
use crate::locallab::room::api::{JoinInfo, Snapshot};
use crate::secret::Secret;

/// The most walab reads of a room's snapshot (a join's answer is bounded by
/// `attendee::bounded_body`): a large workshop's is a few hundred kilobytes. Each request is
/// bounded in time too (the clients' `timeout`, which covers reading the body).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

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

/// Asks the room at `server` for an account. When this machine holds a key from an earlier
/// join (`held`), the request is signed with it: that is what lets the same laptop rejoin
/// under a name it took before.
pub async fn request(server: &str, code: &str, name: &str, held: Option<&JoinedRoom>) -> Result<JoinInfo, JoinError> {
    let bytes = post_join(server, serde_json::json!({ "code": code, "name": name }), held).await?;
    serde_json::from_slice(&bytes).map_err(|e| JoinError::Unexpected(e.to_string()))
}

/// `walab join --report-only`: a reporting identity, no lab account.
pub async fn request_report_only(
    server: &str,
    code: &str,
    name: &str,
    held: Option<&JoinedRoom>,
) -> Result<crate::attendee::ReportingIdentity, JoinError> {
    let body = serde_json::json!({ "code": code, "name": name, "report_only": true });
    let bytes = post_join(server, body, held).await?;
    let mut identity: crate::attendee::ReportingIdentity = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|mut v| {
            v["server"] = serde_json::Value::String(server.trim_end_matches('/').to_string());
            serde_json::from_value(v).ok()
        })
        .ok_or_else(|| JoinError::Unexpected("no reporting identity in the answer".into()))?;
    identity.server = server.trim_end_matches('/').to_string();
    Ok(identity)
}

async fn post_join(server: &str, body: serde_json::Value, held: Option<&JoinedRoom>) -> Result<Vec<u8>, JoinError> {
    let url = format!("{}/_walab/room/join", server.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| JoinError::Unexpected(e.to_string()))?;
    let body = serde_json::to_vec(&body).map_err(|e| JoinError::Unexpected(e.to_string()))?;
    let mut request = client.post(&url).header(http::header::CONTENT_TYPE, "application/json");
    if let Some(held) = held {
        for (name, value) in crate::attendee::signed_headers(held, "POST", &url, &body) {
            request = request.header(name, value);
        }
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| JoinError::Unreachable { url: server.to_string(), reason: innermost(&e) })?;
    let status = response.status();
    let retry_after = response.headers().get(http::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(String::from);
    let bytes =
        crate::attendee::bounded_body(response).await.map_err(|e| JoinError::Unexpected(format!("{url}: {e}")))?;
    if status.is_success() {
        return Ok(bytes);
    }
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["message"].as_str().map(String::from))
        .unwrap_or_else(|| format!("HTTP {status}"));
    match (status.as_u16(), retry_after) {
        (429, Some(wait)) => Err(JoinError::Refused(format!("{message} (the room says: wait {wait} s)"))),
        _ => Err(JoinError::Refused(message)),
    }
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
    #[error("no attendee has that name")]
    NoSuchAttendee,
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
        200 => {
            let bytes = crate::aws::http::read_capped(response, MAX_ANSWER_BYTES)
                .await
                .map_err(|e| WatchError::Unexpected(format!("{url}: {e}")))?;
            serde_json::from_slice(&bytes).map_err(|e| WatchError::Unexpected(format!("{url}: {e}")))
        }
        403 => Err(WatchError::WrongKey),
        status => Err(WatchError::Unexpected(format!("HTTP {status}"))),
    }
}

/// A reissue code, as the room made it.
pub struct Reissued {
    /// The name as the room shows it.
    pub name: String,
    pub code: Secret,
    /// The room's address for attendees.
    pub server: Option<String>,
}

/// Asks the room for a reissue code for `name`.
pub async fn reissue(client: &reqwest::Client, access: &RoomAccess, name: &str) -> Result<Reissued, WatchError> {
    let url = format!("{}/_walab/room/reissue", access.server.trim_end_matches('/'));
    let response = client
        .post(&url)
        .bearer_auth(access.key.expose())
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await
        .map_err(|e| WatchError::Unreachable { server: access.server.clone(), reason: innermost(&e) })?;
    let status = response.status().as_u16();
    let body = crate::attendee::bounded_body(response).await.map_err(WatchError::Unexpected)?;
    match status {
        200 => {
            let value: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| WatchError::Unexpected(e.to_string()))?;
            match (value["name"].as_str(), value["code"].as_str()) {
                (Some(name), Some(code)) => Ok(Reissued {
                    name: name.to_string(),
                    code: Secret::new(code),
                    server: value["server"].as_str().map(String::from),
                }),
                _ => Err(WatchError::Unexpected("no code in the answer".into())),
            }
        }
        403 => Err(WatchError::WrongKey),
        404 => Err(WatchError::NoSuchAttendee),
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
