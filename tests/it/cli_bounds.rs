//! The CLI never hangs and never panics, whatever its environment holds: an empty or malformed
//! `AWS_ENDPOINT_URL`, an endpoint that accepts and never answers, a closed stdout, several
//! lines where one value was expected, a username that is not an email address.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::home::Home;

/// Keys and a region for the `--target aws` paths, which need credentials to get as far as the
/// endpoint.
fn with_keys(mut cmd: std::process::Command) -> std::process::Command {
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDWALABTEST")
        .env("AWS_SECRET_ACCESS_KEY", "walab-test")
        .env("AWS_REGION", "us-east-1");
    cmd
}

#[test]
fn an_empty_or_malformed_endpoint_is_a_usage_error_not_a_panic() {
    let env = Home::new();
    for (var, value, says) in [
        ("AWS_ENDPOINT_URL", "", "cannot be empty"),
        ("AWS_ENDPOINT_URL", "   ", "cannot be empty"),
        ("AWS_ENDPOINT_URL", "notaurl", "http(s)://host"),
        ("AWS_ENDPOINT_URL", "http://[::1", "not a URL"),
        ("AWS_ENDPOINT_URL_CLOUDFRONT", "ftp://127.0.0.1:4566", "http(s)://host"),
    ] {
        for command in [&["check"][..], &["solve", "--all", "--yes"], &["token"]] {
            Command::from_std(with_keys(env.command()))
                .args(["--target", "aws"])
                .args(command)
                .env(var, value)
                .assert()
                .code(2)
                .stderr(predicate::str::contains(var).and(predicate::str::contains(says)))
                .stderr(predicate::str::contains("panicked").not());
        }
    }
}

/// A server that accepts connections, reads what comes and never answers.
fn silent_server() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16).flatten() {
            held.push(stream);
        }
    });
    (addr, handle)
}

#[test]
fn an_endpoint_that_never_answers_is_named_and_exits_1() {
    let env = Home::new();
    let (addr, _server) = silent_server();
    let endpoint = format!("http://{addr}");
    Command::from_std(with_keys(env.command()))
        .args(["--target", "aws", "token"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("WALAB_AWS_TIMEOUT_MS", "100")
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!("cannot reach the AWS endpoint {endpoint}: no answer")))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn check_names_the_silent_endpoint_on_stdout() {
    let env = Home::new();
    let (addr, _server) = silent_server();
    let endpoint = format!("http://{addr}");
    Command::from_std(with_keys(env.command()))
        .args(["--target", "aws", "check", "--only", "stack-outputs"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("WALAB_AWS_TIMEOUT_MS", "100")
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!("cannot reach the AWS endpoint {endpoint}: no answer")));
}

#[test]
fn solve_into_a_closed_pipe_exits_quietly() {
    let env = Home::new();
    let mut child = with_keys(env.command())
        .args(["solve", "--all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
}

#[test]
fn a_value_on_stdin_is_one_line_and_a_username_an_email() {
    let env = Home::new();
    Command::from_std(with_keys(env.command()))
        .args(["config", "set", "app-client-secret", "-"])
        .write_stdin("firstsecretline\nsecondline\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2 lines").and(predicate::str::contains("firstsecretline").not()));
    Command::from_std(with_keys(env.command()))
        .args(["config", "set", "username", "notanemail"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("email address"));
    Command::from_std(with_keys(env.command()))
        .args(["config", "set", "username", "me@example.com"])
        .assert()
        .success();
}

#[test]
fn a_values_file_holding_what_walab_would_not_record_is_refused_like_a_corrupt_one() {
    let env = Home::new();
    let path = env.config.path().join("values.toml");
    std::fs::write(&path, "version = 1\n[targets.local]\nusername = \"notanemail\"\n").unwrap();
    Command::from_std(with_keys(env.command()))
        .args(["config", "show"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a valid walab values file").and(predicate::str::contains("username")));
    assert!(std::fs::read_to_string(&path).unwrap().contains("notanemail"), "never overwritten");
}
