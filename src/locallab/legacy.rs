//! The lab's state from before the store: one JSON file, `lab-state.json` (schema 1). On the
//! first start of a walab with a store, the file's account is moved into the store, once, and
//! the file is kept beside it as `lab-state.imported.json`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::locallab::account::{Account, AccountMeta};
use crate::locallab::apigateway::model::{Authorizer, Deployment, RestApi, Stage};
use crate::locallab::cloudformation::Stack;
use crate::locallab::cloudfront::edge::CachedResponse;
use crate::locallab::cloudfront::model::{CachePolicy, Distribution, Invalidation};
use crate::locallab::cognito::model::{
    AppClient, DemoAccount, OutboxMessage, RefreshGrant, User, UserPool, token_digest,
};
use crate::locallab::lab::LocalLab;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{AccountRow, Change, Record, StoreError};
use crate::locallab::waf::WebAcls;

pub const STATE_FILE: &str = "lab-state.json";
const SCHEMA: u32 = 1;

/// What the import found.
pub enum Imported {
    /// There was no state file.
    Nothing,
    /// The file's account is now in the store.
    Account,
    /// The file could not be read; it was moved aside.
    Unreadable { kept_at: PathBuf, reason: String },
}

/// Moves an old state file out of the way (for `--fresh`).
pub fn set_aside(dir: &Path) {
    let path = dir.join(STATE_FILE);
    if path.exists() {
        let _ = std::fs::rename(&path, dir.join("lab-state.previous.json"));
    }
}

/// Imports `lab-state.json` from `dir` into `lab`, when there is one.
pub fn import(lab: &LocalLab, dir: &Path) -> Result<Imported, StoreError> {
    let path = dir.join(STATE_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Imported::Nothing),
        Err(e) => return Err(StoreError::Open { path, reason: e.to_string() }),
    };
    #[derive(Deserialize)]
    struct Version {
        schema: u32,
    }
    if let Ok(Version { schema }) = serde_json::from_slice::<Version>(&bytes)
        && schema > SCHEMA
    {
        return Err(StoreError::Newer { path, found: schema, known: SCHEMA });
    }
    let rows = match serde_json::from_slice::<OldState>(&bytes).map_err(|e| e.to_string()).and_then(rows_of) {
        Ok(rows) => rows,
        Err(reason) => {
            let kept_at = dir.join(format!("lab-state.corrupt-{}.json", std::process::id()));
            std::fs::rename(&path, &kept_at)
                .map_err(|e| StoreError::Open { path: path.clone(), reason: e.to_string() })?;
            return Ok(Imported::Unreadable { kept_at, reason });
        }
    };
    let (meta, created, changes) = rows;
    let ctx = lab.new_context(meta.0.clone(), &meta.1);
    let row = AccountRow {
        id: meta.0,
        created,
        body: serde_json::to_value(AccountMeta { region: meta.1, attendee: None })
            .map_err(|e| StoreError::Write(e.to_string()))?,
    };
    lab.store.create_account(&row, &changes)?;
    lab.add(Account::load(&lab.store, ctx, created, None)?)?;
    std::fs::rename(&path, dir.join("lab-state.imported.json"))
        .map_err(|e| StoreError::Open { path, reason: e.to_string() })?;
    Ok(Imported::Account)
}

/// The parts of the old file, each kept as JSON and read into today's rows.
#[derive(Deserialize)]
struct OldState {
    schema: u32,
    account_id: String,
    region: String,
    created: i64,
    stacks: OldStacks,
    cognito: OldCognito,
    apigateway: OldApiGateway,
    cloudfront: OldCloudFront,
    waf: Value,
}

#[derive(Deserialize)]
struct OldStacks {
    stacks: Vec<Value>,
}

#[derive(Deserialize)]
struct OldCognito {
    pools: Vec<Value>,
    demo: Value,
    #[serde(default)]
    outbox: Vec<Value>,
    #[serde(default)]
    refresh_tokens: Vec<Value>,
}

#[derive(Deserialize)]
struct OldApiGateway {
    api: Value,
    resources: Value,
    validators: Value,
    authorizers: Vec<Value>,
    deployments: Vec<Value>,
    stages: Vec<Value>,
}

#[derive(Deserialize)]
struct OldCloudFront {
    distribution: Value,
    #[serde(default)]
    invalidations: Vec<Value>,
    #[serde(default)]
    cache_policies: Vec<Value>,
    #[serde(default)]
    cache: Vec<Value>,
}

type AccountRows = ((String, String), i64, Vec<Change>);

/// Today's rows for the old state, every one checked by reading it as today's type.
fn rows_of(old: OldState) -> Result<AccountRows, String> {
    if old.schema != SCHEMA {
        return Err(format!("schema {} is not one this walab imports ({SCHEMA})", old.schema));
    }
    let mut rows = Rows::default();
    for stack in old.stacks.stacks {
        rows.put::<Stack>(stack)?;
    }
    for mut pool in old.cognito.pools {
        let pool_id = pool["id"].as_str().unwrap_or_default().to_string();
        let clients = pool.get_mut("clients").map(Value::take).unwrap_or_default();
        let users = pool.get_mut("users").map(Value::take).unwrap_or_default();
        rows.put::<UserPool>(pool)?;
        for client in clients.as_array().into_iter().flatten() {
            rows.put::<AppClient>(with(client, "pool_id", pool_id.as_str()))?;
        }
        for user in users.as_array().into_iter().flatten() {
            rows.put::<User>(with(user, "pool_id", pool_id.as_str()))?;
        }
    }
    rows.put::<DemoAccount>(old.cognito.demo)?;
    for message in old.cognito.outbox {
        rows.put::<OutboxMessage>(with(&message, "id", ids::uuid()))?;
    }
    for grant in old.cognito.refresh_tokens {
        let token = grant["token"].as_str().unwrap_or_default();
        let expires = grant["expires"].as_i64().unwrap_or_default();
        let grant = with(&with(&grant, "digest", token_digest(token)), "issued", expires - 30 * 86_400_000);
        rows.put::<RefreshGrant>(grant)?;
    }
    let gw = old.apigateway;
    let api_id = gw.api["id"].as_str().unwrap_or_default().to_string();
    let api = with(&with(&gw.api, "resources", gw.resources), "validators", gw.validators);
    rows.put::<RestApi>(api)?;
    for authorizer in gw.authorizers {
        rows.put::<Authorizer>(with(&authorizer, "api_id", api_id.as_str()))?;
    }
    for deployment in gw.deployments {
        rows.put::<Deployment>(with(&deployment, "api_id", api_id.as_str()))?;
    }
    for stage in gw.stages {
        rows.put::<Stage>(with(&stage, "api_id", api_id.as_str()))?;
    }
    let cf = old.cloudfront;
    let distribution_id = cf.distribution["id"].as_str().unwrap_or_default().to_string();
    rows.put::<Distribution>(cf.distribution)?;
    for invalidation in cf.invalidations {
        rows.put::<Invalidation>(with(&invalidation, "distribution_id", distribution_id.as_str()))?;
    }
    for policy in cf.cache_policies {
        rows.put::<CachePolicy>(policy)?;
    }
    // Of the old cache, the answers cached without any forwarded header (the trap's kind) are
    // kept; the rest were keyed by header values the new cache keys only as digests.
    for entry in cf.cache.into_iter().filter(|e| e["key"].as_str().is_some_and(|k| !k.contains('\n'))).take(100) {
        rows.put::<CachedResponse>(entry)?;
    }
    rows.put::<WebAcls>(old.waf)?;
    Ok(((old.account_id, old.region), old.created, rows.0))
}

fn with(value: &Value, name: &str, member: impl Into<Value>) -> Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.insert(name.to_string(), member.into());
    }
    value
}

#[derive(Default)]
struct Rows(Vec<Change>);

impl Rows {
    /// Reads `value` as an `R` (so a row the store keeps is one today's code can read) and
    /// adds it.
    fn put<R: Record + DeserializeOwned>(&mut self, value: Value) -> Result<(), String> {
        let row: R = serde_json::from_value(value).map_err(|e| format!("a {}: {e}", R::KIND))?;
        let body = serde_json::to_vec(&row).map_err(|e| e.to_string())?;
        self.0.push(Change::Put { kind: R::KIND, key: row.key(), body });
        Ok(())
    }
}
