//! The lab tools against a careless or hostile environment: secrets kept off command lines,
//! configuration files read within bounds, malformed environment values refused as
//! configuration errors (exit 2).

use crate::common::home::Home;

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_secret_given_as_an_argument_is_recorded_with_a_warning_and_stdin_is_the_way() {
    let home = Home::new();
    let output = home.command().args(["config", "set", "app-client-secret", "s3cr3t-value-123"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("visible to other users") && stderr_of(&output).contains("app-client-secret -")
    );

    let mut child = home
        .command()
        .args(["config", "set", "app-client-secret", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"another-secret-456\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(!stderr_of(&output).contains("visible to other users"));
    let values = std::fs::read_to_string(home.values()).unwrap();
    assert!(values.contains("another-secret-456"));
}

#[cfg(unix)]
#[test]
fn a_values_file_that_never_ends_is_refused_not_read_until_memory_runs_out() {
    let home = Home::new();
    std::os::unix::fs::symlink("/dev/zero", home.values()).unwrap();
    let output = home.command().args(["config", "show"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("values.toml"), "{}", stderr_of(&output));
}

#[test]
fn a_region_with_a_newline_is_a_configuration_error() {
    let home = Home::new();
    let output = home
        .command()
        .args(["check", "--target", "aws", "--only", "stack-outputs"])
        .env("AWS_REGION", "us-east-1\n")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", home.config.path().join("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.config.path().join("no-aws-credentials"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("not a region name") && stderr.contains("us-east-1\\n"), "{stderr}");
}
