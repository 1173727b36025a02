//! A throwaway walab home for tests that run the `walab` binary: its own config and data
//! directories (so its own embedded lab), instant CloudFront, no colour, and nothing inherited
//! from the developer's environment.

use std::path::PathBuf;

/// What the developer's environment could set that would change what walab does.
const INHERITED: &[&str] = &[
    "WALAB_TARGET",
    "WALAB_USERNAME",
    "WALAB_PASSWORD",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
];

pub struct Home {
    pub config: tempfile::TempDir,
    pub data: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home { config: tempfile::tempdir().unwrap(), data: tempfile::tempdir().unwrap() }
    }

    /// `walab` in this home, as a plain process (for piping and signals).
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_walab"));
        cmd.env("WALAB_CONFIG_DIR", self.config.path())
            .env("WALAB_DATA_DIR", self.data.path())
            .env("WALAB_INVALIDATION_SECS", "0")
            .env("WALAB_DEPLOY_SECS", "0")
            .env("NO_COLOR", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for var in INHERITED {
            cmd.env_remove(var);
        }
        cmd
    }

    /// `walab` in this home, for assertions.
    pub fn walab(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.command())
    }

    /// Where walab records the lab's values.
    pub fn values(&self) -> PathBuf {
        self.config.path().join("values.toml")
    }
}
