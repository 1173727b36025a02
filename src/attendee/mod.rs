//! What a walab that joined a room holds of it: the record `walab join` wrote (`room.json`, the
//! account and the key the room issued, mode 0600) and the shell file beside it (`room.env`,
//! every value shell-quoted), how it signs what it sends the room with that key, and how it
//! refreshes its URLs from the room on start (a room restarted on other ports answers its
//! current ones).

pub mod report;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::locallab::machinery::sigv4::{self, Expected, ROOM_SERVICE};
use crate::locallab::room::api::JoinInfo;
use crate::settings::Dirs;

/// `room.json`: the account as the room last described it, and the address walab joined it at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinedRoom {
    /// The room's address as given to `walab join` (older records: the account's endpoint).
    #[serde(default)]
    pub server: String,
    #[serde(flatten)]
    pub info: JoinInfo,
}

impl JoinedRoom {
    /// Where to reach the room.
    pub fn server(&self) -> &str {
        if self.server.is_empty() { &self.info.aws_endpoint_url } else { &self.server }
    }

    fn key(&self) -> (&str, &crate::secret::Secret) {
        (&self.info.access_key_id, &self.info.secret_access_key)
    }
}

/// The record, if this machine joined a room (`None` also when it cannot be read).
pub fn read(dirs: &Dirs) -> Option<JoinedRoom> {
    serde_json::from_slice(&std::fs::read(dirs.joined_room_file()).ok()?).ok()
}

/// Writes `room.json` and `room.env` (each 0600, atomically).
pub fn write(dirs: &Dirs, room: &JoinedRoom) -> Result<(), String> {
    let path = dirs.joined_room_file();
    let record = serde_json::to_vec_pretty(room).map_err(|e| e.to_string())?;
    crate::fsutil::write_private(&path, &record).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let env = env_file(dirs);
    let lines = exports(&room.info, false)?;
    crate::fsutil::write_private(&env, lines.as_bytes()).map_err(|e| format!("cannot write {}: {e}", env.display()))
}

/// `room.env`, the file an attendee sources.
pub fn env_file(dirs: &Dirs) -> std::path::PathBuf {
    dirs.config.join("room.env")
}

/// The shell lines that point the AWS CLI at the account (the secret masked when `masked`),
/// every value quoted for the shell: whatever a value holds, sourcing them runs nothing.
pub fn exports(info: &JoinInfo, masked: bool) -> Result<String, String> {
    let secret = if masked { info.secret_access_key.masked() } else { info.secret_access_key.expose().to_string() };
    let pairs = [
        ("AWS_ENDPOINT_URL", info.aws_endpoint_url.as_str()),
        ("AWS_ACCESS_KEY_ID", info.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_REGION", info.region.as_str()),
        ("AWS_DEFAULT_REGION", info.region.as_str()),
    ];
    let mut out = String::new();
    for (name, value) in pairs {
        let quoted = shlex::try_quote(value).map_err(|_| format!("{name} holds a character no shell can take"))?;
        out.push_str(&format!("export {name}={quoted}\n"));
    }
    Ok(out)
}

use crate::clock::now_ms;

fn scope() -> Expected<'static> {
    Expected { service: ROOM_SERVICE, region: crate::names::REGION }
}

/// The headers that sign `method url body` with the account's key.
pub fn signed_headers(room: &JoinedRoom, method: &str, url: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    sigv4::sign_headers(method, url, body, room.key(), scope(), now_ms()).unwrap_or_default()
}

/// `room-report.json`: what `walab join --report-only` recorded: the room, the name, and the
/// key that signs this machine's reports (mode 0600).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportingIdentity {
    pub server: String,
    pub name: String,
    pub access_key_id: String,
    #[serde(serialize_with = "crate::secret::serialize_exposed")]
    pub secret_access_key: crate::secret::Secret,
}

pub fn reporting_file(dirs: &Dirs) -> std::path::PathBuf {
    dirs.config.join("room-report.json")
}

/// Records the reporting identity (0600, atomically).
pub fn write_reporting(dirs: &Dirs, identity: &ReportingIdentity) -> Result<(), String> {
    let path = reporting_file(dirs);
    let record = serde_json::to_vec_pretty(identity).map_err(|e| e.to_string())?;
    crate::fsutil::write_private(&path, &record).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Where this machine reports its checks, and the key that signs them: the reporting identity
/// of `walab join --report-only`, else the account of `walab join`; `None` when it joined no room.
pub fn reporting(dirs: &Dirs) -> Option<ReportingIdentity> {
    let bounded = |path: std::path::PathBuf| {
        let file = std::fs::File::open(path).ok()?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, 64 * 1024), &mut bytes).ok()?;
        Some(bytes)
    };
    if let Some(identity) = bounded(reporting_file(dirs)).and_then(|b| serde_json::from_slice(&b).ok()) {
        return Some(identity);
    }
    let room = read(dirs)?;
    Some(ReportingIdentity {
        server: room.server().to_string(),
        name: room.info.name.clone(),
        access_key_id: room.info.access_key_id.clone(),
        secret_access_key: room.info.secret_access_key.clone(),
    })
}

/// The headers that sign `method url body` with a reporting identity's key.
pub fn signed_by_identity(
    identity: &ReportingIdentity,
    method: &str,
    url: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let key = (identity.access_key_id.as_str(), &identity.secret_access_key);
    sigv4::sign_headers(method, url, body, key, scope(), now_ms()).unwrap_or_default()
}

/// How long the outbox link `walab join` prints works.
pub const OUTBOX_LINK_SECS: u64 = 12 * 60 * 60;

/// A link to the account's outbox that carries its signature (for [`OUTBOX_LINK_SECS`]).
pub fn outbox_link(room: &JoinedRoom) -> Option<String> {
    let url = format!("{}/_walab/outbox", room.info.aws_endpoint_url.trim_end_matches('/'));
    sigv4::presign_url(&url, room.key(), scope(), now_ms(), OUTBOX_LINK_SECS)
}

/// The most walab reads of a room's answer.
const MAX_ANSWER: usize = 256 * 1024;

/// Reads at most [`MAX_ANSWER`] bytes of `response`.
pub async fn bounded_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("the answer is larger than {} KiB", MAX_ANSWER / 1024));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What refreshing from the room found.
#[derive(Debug)]
pub enum Refresh {
    /// The room answers what walab has.
    Current(JoinedRoom),
    /// The room's addresses changed; the record and `room.env` now hold the new ones.
    Updated(JoinedRoom),
    /// The room did not answer (walab carries on with what it recorded).
    Unreachable(JoinedRoom, String),
}

/// Asks the room for the account as it serves it now and records what changed.
pub async fn refresh(dirs: &Dirs, room: JoinedRoom) -> Refresh {
    match fetch_account(&room).await {
        Ok(info) if same_addresses(&info, &room.info) => Refresh::Current(room),
        Ok(info) => {
            let updated = JoinedRoom { server: room.server().to_string(), info };
            match write(dirs, &updated) {
                Ok(()) => Refresh::Updated(updated),
                Err(e) => Refresh::Unreachable(updated, e),
            }
        }
        Err(reason) => Refresh::Unreachable(room, reason),
    }
}

fn same_addresses(a: &JoinInfo, b: &JoinInfo) -> bool {
    a.account_id == b.account_id
        && a.access_key_id == b.access_key_id
        && a.aws_endpoint_url == b.aws_endpoint_url
        && a.cloudfront_endpoint == b.cloudfront_endpoint
        && a.api_gateway_url == b.api_gateway_url
}

async fn fetch_account(room: &JoinedRoom) -> Result<JoinInfo, String> {
    let url = format!("{}/_walab/room/account", room.server().trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(1500))
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client.get(&url);
    for (name, value) in signed_headers(room, "GET", &url, b"") {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = bounded_body(response).await?;
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let info: JoinInfo = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    if info.account_id != room.info.account_id {
        return Err("the room answered for another account".into());
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locallab::lab::DemoUser;
    use crate::secret::Secret;

    fn info(endpoint: &str) -> JoinInfo {
        JoinInfo {
            name: "Ada".into(),
            account_id: "123456789012".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("it's $(touch pwned) `id`"),
            region: "us-east-1".into(),
            aws_endpoint_url: endpoint.into(),
            cloudfront_endpoint: String::new(),
            api_gateway_url: String::new(),
            user_pool_id: String::new(),
            app_client_id: String::new(),
            demo_user: DemoUser { username: "u".into(), password: Secret::new("p") },
        }
    }

    #[test]
    fn every_exported_value_is_quoted() {
        let lines = exports(&info("http://127.0.0.1:4566$(touch x)"), false).unwrap();
        assert!(lines.contains("export AWS_ENDPOINT_URL='http://127.0.0.1:4566$(touch x)'\n"), "{lines}");
        assert!(lines.contains("export AWS_REGION=us-east-1\n"), "{lines}");
        assert!(!exports(&info("a\0b"), false).is_ok_and(|l| l.contains('\0')));
        let masked = exports(&info("http://h:1"), true).unwrap();
        assert!(!masked.contains("touch pwned"), "{masked}");
    }
}
