//! Output into a pipe that closes early (`walab check | head -1`) is no panic, and the exit
//! code still says how the checks came out; `walab serve info` reads a running lab while it runs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn walab(data: &std::path::Path, config: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_walab"));
    cmd.env("WALAB_DATA_DIR", data)
        .env("WALAB_CONFIG_DIR", config)
        .env("WALAB_INVALIDATION_SECS", "0")
        .env("WALAB_DEPLOY_SECS", "0")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("WALAB_TARGET");
    cmd
}

#[test]
fn check_into_head_1_exits_cleanly() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut child =
        walab(data.path(), config.path()).arg("check").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("walab check"), "{first}");
    // What `head -1` does: read one line, close the pipe.
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    // A fresh lab fails most checks: the exit code says so, whoever stopped reading.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

#[test]
fn serve_info_reads_the_running_lab_with_its_password_when_asked() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let state = data.path().join("served");
    let mut serve = walab(data.path(), config.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--json", "--show-password", "--state-dir"])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let served: serde_json::Value = serde_json::from_str(&line).unwrap();

    let info = walab(data.path(), config.path())
        .args(["serve", "info", "--json", "--state-dir"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(info.status.success(), "{}", String::from_utf8_lossy(&info.stderr));
    let read: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(read, served, "the same line as --json, read while it runs");

    let human = walab(data.path(), config.path())
        .args(["serve", "info", "--show-password", "--state-dir"])
        .arg(&state)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    let password = served["demo_user"]["password"].as_str().unwrap();
    assert!(text.contains(password), "{text}");
    assert!(text.contains("AWS_DEFAULT_REGION=us-east-1"), "{text}");
    let masked = walab(data.path(), config.path()).args(["serve", "info", "--state-dir"]).arg(&state).output().unwrap();
    assert!(!String::from_utf8_lossy(&masked.stdout).contains(password), "masked unless asked");

    // A plain command on walab's own lab says a served lab runs elsewhere.
    let check = walab(data.path(), config.path()).args(["check", "--only", "stack-outputs"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("a walab serve is running at") && stderr.contains("this uses walab's own lab"), "{stderr}");

    let pid = serve.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(serve.wait().unwrap().success());
    let after = walab(data.path(), config.path()).args(["serve", "info", "--state-dir"]).arg(&state).output().unwrap();
    assert_eq!(after.status.code(), Some(1), "nothing runs there now");
}

#[test]
fn an_error_into_a_closed_stderr_keeps_its_exit_code_instead_of_panicking() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // A stderr whose reader is already gone: every write to it fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = walab(data.path(), config.path())
        .args(["config", "set", "username", "not-an-email"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(writer))
        .status()
        .unwrap();
    assert_eq!(out.code(), Some(2), "the usage error's code, not a panic's 101");
}
