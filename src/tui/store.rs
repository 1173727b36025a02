//! Where the walkthrough remembers the learner's place: one JSON file in walab's data
//! directory, a table per target (the same names as the recorded values), written atomically
//! and readable by the owner only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::app::Progress;

pub const PROGRESS_FILE: &str = "walkthrough.json";
const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProgressFile {
    version: u32,
    #[serde(default)]
    targets: BTreeMap<String, Progress>,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(PROGRESS_FILE)
}

/// The saved progress of `target`; a missing file is no progress, an unreadable one an error.
pub fn load(path: &Path, target: &str) -> Result<Option<Progress>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let file: ProgressFile =
        serde_json::from_str(&text).map_err(|e| format!("{} is not walab's progress file: {e}", path.display()))?;
    Ok(file.targets.get(target).cloned())
}

/// Saves `progress` as `target`'s, keeping the other targets'.
pub fn save(path: &Path, target: &str, progress: &Progress) -> std::io::Result<()> {
    let mut file = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<ProgressFile>(&text).ok())
        .unwrap_or_default();
    file.version = VERSION;
    file.targets.insert(target.to_string(), progress.clone());
    let text = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    crate::fsutil::write_private(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::guide::CheckId;
    use crate::tui::app::CheckResult;

    #[test]
    fn round_trips_per_target_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path());
        assert_eq!(load(&path, "local").unwrap(), None);
        let mut progress = Progress { step: "5.3".into(), ..Progress::default() };
        progress.results.insert(
            CheckId::ApiDeployed,
            CheckResult {
                status: Status::Failed,
                summary: "still NONE".into(),
                hint: Some("deploy".into()),
                evidence: crate::checks::Evidence::Deployment {
                    stage: "Dev".into(),
                    deployment_id: "d1".into(),
                    deployed_at: None,
                    get: "NONE".into(),
                },
                duration_ms: 12,
                finished_at: 1_700_000_000_000,
                basis: None,
                stale: false,
            },
        );
        save(&path, "local", &progress).unwrap();
        save(&path, "aws:default:us-east-1", &Progress { step: "5.5".into(), ..Progress::default() }).unwrap();
        assert_eq!(load(&path, "local").unwrap(), Some(progress));
        assert_eq!(load(&path, "aws:default:us-east-1").unwrap().unwrap().step, "5.5");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "{ nope").unwrap();
        assert!(load(&path, "local").unwrap_err().contains("not walab's progress file"));
    }
}
