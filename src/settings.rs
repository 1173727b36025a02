//! The values the lab needs, recorded per target (the local lab, or an AWS profile and
//! region): where they live, how they are validated, and how the secret is kept.
//!
//! One TOML file under walab's config directory, written atomically with mode 0600. A file
//! that cannot be read is an error naming the file and the problem; it is never overwritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Where the lab runs (`--target`); the values are recorded per target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// The local lab walab serves on this machine (no AWS account needed)
    Local,
    /// Your AWS account, through the default credential chain (profiles, SSO, env)
    Aws,
    /// Your account in the workshop room you joined with `walab join`
    Room,
}

impl TargetKind {
    /// True for labs walab serves (the local lab, a room): no money at stake, an outbox to
    /// read, a demo user who signs in when nobody else is named.
    pub fn is_walab_lab(self) -> bool {
        matches!(self, TargetKind::Local | TargetKind::Room)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Local => "local",
            TargetKind::Aws => "aws",
            TargetKind::Room => "room",
        }
    }
}

pub const VALUES_FILE: &str = "values.toml";
const VERSION: u32 = 1;

/// walab's directories: config (recorded values) and data (local lab, progress, logs).
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Dirs {
    /// The platform's directories, overridden by `WALAB_CONFIG_DIR` / `WALAB_DATA_DIR`.
    pub fn from_env() -> Result<Dirs, SettingsError> {
        let project = directories::ProjectDirs::from("", "", "walab");
        let pick = |var: &str, default: Option<&Path>| {
            std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from).or(default.map(Path::to_path_buf))
        };
        let config = pick("WALAB_CONFIG_DIR", project.as_ref().map(|p| p.config_dir()));
        let data = pick("WALAB_DATA_DIR", project.as_ref().map(|p| p.data_dir()));
        match (config, data) {
            (Some(config), Some(data)) => Ok(Dirs { config, data }),
            _ => Err(SettingsError::NoHome),
        }
    }

    pub fn values_file(&self) -> PathBuf {
        self.config.join(VALUES_FILE)
    }
    pub fn lab_dir(&self) -> PathBuf {
        self.data.join("local-lab")
    }
    /// Where `walab serve --room` keeps a room.
    pub fn room_dir(&self) -> PathBuf {
        self.data.join("room")
    }
    /// The room this machine joined (`walab join`): its address and the credentials issued.
    pub fn joined_room_file(&self) -> PathBuf {
        self.config.join("room.json")
    }
    pub fn log_file(&self) -> PathBuf {
        self.data.join("walab.log")
    }
}

/// A values file or directory that cannot be used is a configuration error (exit code 2).
impl From<SettingsError> for crate::report::Failure {
    fn from(e: SettingsError) -> Self {
        crate::report::Failure::usage(e)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot find a home directory; set WALAB_CONFIG_DIR and WALAB_DATA_DIR")]
    NoHome,
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid walab values file: {reason} (fix or remove it; walab will not overwrite it)")]
    Invalid { path: PathBuf, reason: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("unknown key `{0}`; the keys are: {keys}", keys = Field::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))]
    UnknownKey(String),
    #[error("{key} `{value}` is not valid: {reason}")]
    BadValue { key: &'static str, value: String, reason: String },
}

/// A recorded value, named on the command line in kebab-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    UserPoolId,
    AppClientId,
    AppClientSecret,
    CloudFrontEndpoint,
    ApiGatewayUrl,
    Username,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::UserPoolId,
        Field::AppClientId,
        Field::AppClientSecret,
        Field::CloudFrontEndpoint,
        Field::ApiGatewayUrl,
        Field::Username,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::UserPoolId => "user-pool-id",
            Field::AppClientId => "app-client-id",
            Field::AppClientSecret => "app-client-secret",
            Field::CloudFrontEndpoint => "cloudfront-endpoint",
            Field::ApiGatewayUrl => "api-gateway-url",
            Field::Username => "username",
        }
    }

    /// The label a learner sees, in the lab's words.
    /// The name in a narrow column (the walkthrough's values pane, its hints).
    pub fn short_label(self) -> &'static str {
        match self {
            Field::UserPoolId => "Pool id",
            Field::AppClientId => "Client id",
            Field::AppClientSecret => "Secret",
            Field::Username => "Username",
            Field::CloudFrontEndpoint => "CloudFront",
            Field::ApiGatewayUrl => "API URL",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::UserPoolId => "User pool id",
            Field::AppClientId => "App client id",
            Field::AppClientSecret => "App client secret",
            Field::CloudFrontEndpoint => "CloudFront endpoint",
            Field::ApiGatewayUrl => "API Gateway URL",
            Field::Username => "Username",
        }
    }

    pub fn is_secret(self) -> bool {
        self == Field::AppClientSecret
    }

    pub fn parse(name: &str) -> Result<Field, SettingsError> {
        Field::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| SettingsError::UnknownKey(name.to_string()))
    }

    /// Checks a value's shape, so a typo is refused with the reason instead of failing later.
    pub fn validate(self, value: &str) -> Result<String, SettingsError> {
        let value = value.trim();
        let bad = |reason: &str| SettingsError::BadValue {
            key: self.name(),
            value: value.to_string(),
            reason: reason.into(),
        };
        match self {
            Field::UserPoolId => {
                let Some((region, id)) = value.split_once('_') else {
                    return Err(bad("a user pool id is <region>_<id>, e.g. us-east-1_AbCdEfGhI"));
                };
                let region_ok = region.split('-').count() >= 3
                    && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !region_ok || id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(bad("a user pool id is <region>_<id>, e.g. us-east-1_AbCdEfGhI"));
                }
            }
            Field::AppClientId => {
                if value.is_empty() || value.len() > 128 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(bad("an app client id is letters and digits (26 of them in the lab)"));
                }
            }
            Field::AppClientSecret => {
                if value.is_empty() || value.len() > 128 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(SettingsError::BadValue {
                        key: self.name(),
                        value: "(hidden)".to_string(),
                        reason: "an app client secret is one word of letters and digits".into(),
                    });
                }
            }
            Field::CloudFrontEndpoint | Field::ApiGatewayUrl => {
                let url = reqwest::Url::parse(value)
                    .map_err(|e| bad(&format!("{e}; a URL looks like https://host/?id=1")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(bad("it must be an http(s) URL with a host"));
                }
            }
            Field::Username => {
                // The lab's pool takes email addresses as usernames, up to Cognito's 128 characters.
                if value.chars().count() > 128 || !crate::names::looks_like_email(value) {
                    return Err(bad("a username is the email address you signed up with, e.g. you@example.com"));
                }
            }
        }
        Ok(value.to_string())
    }
}

/// The recorded values of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Values {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_client_secret: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudfront_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_gateway_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl Values {
    /// The value of `key` as stored (the secret included: callers mask it for display).
    pub fn get(&self, key: Field) -> Option<&str> {
        match key {
            Field::UserPoolId => self.user_pool_id.as_deref(),
            Field::AppClientId => self.app_client_id.as_deref(),
            Field::AppClientSecret => self.app_client_secret.as_ref().map(Secret::expose),
            Field::CloudFrontEndpoint => self.cloudfront_endpoint.as_deref(),
            Field::ApiGatewayUrl => self.api_gateway_url.as_deref(),
            Field::Username => self.username.as_deref(),
        }
    }

    /// What to show for `key`: the value, the secret masked, or `None` when not recorded.
    pub fn display(&self, key: Field) -> Option<String> {
        match key {
            Field::AppClientSecret => self.app_client_secret.as_ref().map(Secret::masked),
            _ => self.get(key).map(String::from),
        }
    }

    pub fn set(&mut self, key: Field, value: Option<String>) {
        match key {
            Field::UserPoolId => self.user_pool_id = value,
            Field::AppClientId => self.app_client_id = value,
            Field::AppClientSecret => self.app_client_secret = value.map(Secret::new),
            Field::CloudFrontEndpoint => self.cloudfront_endpoint = value,
            Field::ApiGatewayUrl => self.api_gateway_url = value,
            Field::Username => self.username = value,
        }
    }
}

/// The whole values file: one table per target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuesFile {
    pub version: u32,
    #[serde(default)]
    pub targets: BTreeMap<String, Values>,
}

impl Default for ValuesFile {
    fn default() -> Self {
        ValuesFile { version: VERSION, targets: BTreeMap::new() }
    }
}

impl ValuesFile {
    /// Reads the file; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<ValuesFile, SettingsError> {
        let text = match crate::fsutil::read_text_bounded(path, crate::fsutil::MAX_OWN_FILE) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ValuesFile::default()),
            Err(source) => return Err(SettingsError::Read { path: path.to_path_buf(), source }),
        };
        let file: ValuesFile = toml::from_str(&text).map_err(|e| SettingsError::Invalid {
            path: path.to_path_buf(),
            reason: e.message().to_string() + &line_of(&text, e.span()),
        })?;
        if file.version != VERSION {
            return Err(SettingsError::Invalid {
                path: path.to_path_buf(),
                reason: format!("version {} is not one this walab knows ({VERSION})", file.version),
            });
        }
        // A file that parses but holds what walab would not record is as unusable as one that
        // does not parse: said the same way, before anything acts on its values.
        for (target, values) in &file.targets {
            for key in Field::ALL {
                if let Some(value) = values.get(key)
                    && let Err(e) = key.validate(value)
                {
                    return Err(SettingsError::Invalid {
                        path: path.to_path_buf(),
                        reason: format!("[targets.\"{target}\"] {e}"),
                    });
                }
            }
        }
        Ok(file)
    }

    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let text = toml::to_string_pretty(self)
            .map_err(|e| SettingsError::Invalid { path: path.to_path_buf(), reason: e.to_string() })?;
        let text = format!("# walab's recorded values, one table per target. `walab config` edits this file.\n{text}");
        crate::fsutil::write_private(path, text.as_bytes())
            .map_err(|source| SettingsError::Write { path: path.to_path_buf(), source })
    }

    pub fn values(&self, target: &str) -> Values {
        self.targets.get(target).cloned().unwrap_or_default()
    }

    /// Replaces a target's values; an empty set removes the table.
    pub fn put(&mut self, target: &str, values: Values) {
        if values == Values::default() {
            self.targets.remove(target);
        } else {
            self.targets.insert(target.to_string(), values);
        }
    }
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| format!(" (line {})", text[..s.start.min(text.len())].lines().count().max(1))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_values() {
        assert!(Field::UserPoolId.validate("us-east-1_AbCdEfGhI").is_ok());
        for bad in ["AbCdEfGhI", "us-east-1-AbC", "us_east_1_x", "us-east-1_", "us-east-1_a-b"] {
            assert!(Field::UserPoolId.validate(bad).is_err(), "{bad}");
        }
        assert!(Field::AppClientId.validate("abcdefghijklmnopqrstuvwxyz").is_ok());
        assert!(Field::AppClientId.validate("has space").is_err());
        assert!(Field::CloudFrontEndpoint.validate("https://d111.cloudfront.net/?id=1").is_ok());
        assert!(Field::CloudFrontEndpoint.validate("d111.cloudfront.net").is_err());
        assert!(Field::CloudFrontEndpoint.validate("ftp://host/").is_err());
        assert!(Field::Username.validate("me@example.com").is_ok());
        for bad in ["notanemail", "me@", "@example.com", "me@example", "two words@example.com", "me@a@b.com"] {
            assert!(Field::Username.validate(bad).is_err(), "{bad}");
        }
        assert!(Field::Username.validate(&format!("{}@example.com", "a".repeat(120))).is_err());
        let err = Field::AppClientSecret.validate("two words").unwrap_err().to_string();
        assert!(!err.contains("two words"), "a refused secret is not echoed: {err}");
    }

    #[test]
    fn round_trips_and_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VALUES_FILE);
        let mut file = ValuesFile::load(&path).unwrap();
        let mut values = Values::default();
        values.set(Field::UserPoolId, Some("us-east-1_AbCdEfGhI".into()));
        values.set(Field::AppClientSecret, Some("s3cr3tvalue123".into()));
        file.put("local", values.clone());
        file.save(&path).unwrap();
        assert_eq!(ValuesFile::load(&path).unwrap().values("local"), values);
        assert_eq!(values.display(Field::AppClientSecret).unwrap(), "••••e123");
        assert!(!format!("{values:?}").contains("s3cr3t"));

        for (text, expect) in [
            ("version = 1\n[targets.local]\nuser-pool = \"x\"\n", "unknown field"),
            ("version = 7\n", "version 7"),
            ("this is = = not toml", "line 1"),
            ("version = 1\n[targets.local]\nuser-pool-id = \"not a pool\"\n", "user-pool-id `not a pool` is not valid"),
            ("version = 1\n[targets.local]\nusername = \"notanemail\"\n", "email address"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = ValuesFile::load(&path).unwrap_err().to_string();
            assert!(err.contains(expect), "{err}");
            assert!(err.contains(&path.display().to_string()));
        }
    }
}
