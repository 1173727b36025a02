//! The local lab's "AWS account": everything it remembers, seeded as section 5 begins, kept
//! in one schema-versioned JSON file written atomically with mode 0600.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::clock::Millis;
use super::{apigateway, cloudformation, cloudfront, cognito, ids, waf};
use crate::secret::Secret;

/// Bumped when the file's meaning changes; an older walab refuses a newer file.
pub const SCHEMA: u32 = 1;
pub const STATE_FILE: &str = "lab-state.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct LabState {
    pub schema: u32,
    pub account_id: String,
    pub region: String,
    pub created: Millis,
    pub stacks: cloudformation::StacksState,
    pub cognito: cognito::CognitoState,
    pub apigateway: apigateway::ApiGatewayState,
    pub cloudfront: cloudfront::CloudFrontState,
    pub waf: waf::WafState,
}

impl LabState {
    /// The account as it stands when section 5 starts (LAB.md).
    pub fn seed(now: Millis, signing_key_pem: Secret) -> LabState {
        let account_id = ids::digits(12);
        let region = crate::names::REGION.to_string();
        // The lab's stacks name their resources with one short random suffix.
        let guid = ids::lower_alnum(8);
        let stacks = cloudformation::StacksState::seed(now, &region, &account_id);
        let cognito = cognito::CognitoState::seed(now, &region, &account_id, &guid, signing_key_pem);
        let waf = waf::WafState::seed(&region, &account_id, &guid);
        let apigateway = apigateway::ApiGatewayState::seed(now, &region, &account_id, &waf.regional_acl_arn);
        let cloudfront = cloudfront::CloudFrontState::seed(now, &account_id, &apigateway, &waf);
        LabState { schema: SCHEMA, account_id, region, created: now, stacks, cognito, apigateway, cloudfront, waf }
    }
}

/// Why a state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} was written by a newer walab (schema {found}, this one knows {SCHEMA}); upgrade walab, or use --state-dir or --fresh"
    )]
    Newer { path: PathBuf, found: u32 },
}

/// What loading found, for the caller to tell the user.
pub enum Loaded {
    Existing(Box<LabState>),
    /// No state yet (or `--fresh`): the caller seeds one.
    Missing,
    /// The file could not be parsed; it was moved to `kept_at` and a new lab is seeded.
    Corrupt {
        kept_at: PathBuf,
        reason: String,
    },
}

pub fn load(dir: &Path) -> Result<Loaded, StateError> {
    let path = dir.join(STATE_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::Missing),
        Err(source) => return Err(StateError::Read { path, source }),
    };
    #[derive(Deserialize)]
    struct Version {
        schema: u32,
    }
    let reason = match serde_json::from_slice::<Version>(&bytes) {
        Ok(v) if v.schema > SCHEMA => return Err(StateError::Newer { path, found: v.schema }),
        Ok(_) => match serde_json::from_slice::<LabState>(&bytes) {
            Ok(state) => return Ok(Loaded::Existing(Box::new(state))),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    };
    let kept_at = dir.join(format!("lab-state.corrupt-{}.json", std::process::id()));
    std::fs::rename(&path, &kept_at).map_err(|source| StateError::Write { path: path.clone(), source })?;
    Ok(Loaded::Corrupt { kept_at, reason })
}

/// Moves the current state aside (for `--fresh`), so a fresh start loses nothing for good.
pub fn set_aside(dir: &Path) -> Result<Option<PathBuf>, StateError> {
    let path = dir.join(STATE_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let kept_at = dir.join("lab-state.previous.json");
    std::fs::rename(&path, &kept_at).map_err(|source| StateError::Write { path, source })?;
    Ok(Some(kept_at))
}

pub fn save(dir: &Path, state_json: &[u8]) -> Result<(), StateError> {
    let path = dir.join(STATE_FILE);
    crate::fsutil::write_private(&path, state_json).map_err(|source| StateError::Write { path, source })
}
