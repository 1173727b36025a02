//! The command line's human output read from a pipe (not a terminal): aligned columns with the
//! hints under what they explain, no blank rows, progress only when it changes, a line per
//! console step as it starts, a hint that fits the error, one error line said last (by `main`,
//! with its hint and DESIGN.md's exit code), and the exit code kept when stdout closes early.

use std::process::{Command, Output, Stdio};

fn walab(data: &std::path::Path, config: &std::path::Path, deploy_secs: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_walab"));
    cmd.env("WALAB_DATA_DIR", data)
        .env("WALAB_CONFIG_DIR", config)
        .env("WALAB_INVALIDATION_SECS", "0")
        .env("WALAB_DEPLOY_SECS", deploy_secs)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env_remove("WALAB_TARGET")
        .stdin(Stdio::null());
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Column of `needle` in `line`, in characters.
fn column(line: &str, needle: &str) -> Option<usize> {
    line.find(needle).map(|i| line[..i].chars().count())
}

#[test]
fn check_teardown_lines_up_its_columns_and_hints() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out: Output = walab(data.path(), config.path(), "0").args(["check", "--teardown"]).output().unwrap();
    let stdout = text(&out.stdout);
    let rows: Vec<&str> = stdout.lines().filter(|l| l.split_whitespace().nth(2) == Some("teardown")).collect();
    assert!(rows.len() >= 5, "{stdout}");
    // Status, step, id and findings start at the same columns on every row.
    let id_columns: Vec<Option<usize>> =
        rows.iter().map(|l| column(l, "stack-").or(column(l, "log-")).or(column(l, "bucket-"))).collect();
    assert!(id_columns.windows(2).all(|w| w[0] == w[1]), "{stdout}");
    let findings = rows
        .iter()
        .map(|l| {
            let id = l.split_whitespace().nth(3).unwrap();
            column(l, id).unwrap() + id.chars().count()
        })
        .collect::<Vec<_>>();
    let summary_column =
        rows.iter().zip(&findings).map(|(l, &end)| end + l.chars().skip(end).take_while(|c| *c == ' ').count());
    let summary_columns: Vec<usize> = summary_column.collect();
    assert!(summary_columns.windows(2).all(|w| w[0] == w[1]), "{summary_columns:?}\n{stdout}");
    // Every hint's arrow stands under the findings.
    let arrows: Vec<usize> = stdout.lines().filter_map(|l| column(l, "→")).collect();
    assert!(!arrows.is_empty(), "{stdout}");
    assert!(arrows.iter().all(|&a| a == summary_columns[0]), "{arrows:?} vs {}\n{stdout}", summary_columns[0]);
    assert_eq!(out.status.code(), Some(1), "the stacks still exist");
}

#[test]
fn the_teardown_into_a_file_says_each_thing_once_and_has_no_blank_rows() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Deleting each stack takes two seconds on the lab: several polls, one status.
    let out = walab(data.path(), config.path(), "2").args(["solve", "teardown"]).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let progress: Vec<String> = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with('…'))
        .map(|l| l.split(" (").next().unwrap().to_string())
        .collect();
    assert!(!progress.is_empty(), "deleting says so:\n{stderr}");
    assert!(progress.windows(2).all(|w| w[0] != w[1]), "repeated progress:\n{stderr}");
    // The plan: no blank rows, its columns aligned.
    let plan: Vec<&str> = stderr.lines().take_while(|l| !l.trim_start().starts_with('…')).collect();
    assert!(plan.iter().all(|l| !l.trim().is_empty()), "a blank row:\n{stderr}");
    let resources: Vec<&str> = plan.iter().copied().filter(|l| l.starts_with("    ")).collect();
    assert!(!resources.is_empty(), "{stderr}");
    let type_columns: Vec<Option<usize>> = resources.iter().map(|l| column(l, "AWS::")).collect();
    let first = type_columns.iter().position(Option::is_some).unwrap();
    let same_stack = &type_columns[first..first + 2.min(type_columns.len() - first)];
    assert!(same_stack.windows(2).all(|w| w[0] == w[1]), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("What is left:"), "{stdout}");
}

#[test]
fn solve_all_says_each_step_as_it_starts() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = walab(data.path(), config.path(), "0").args(["solve", "--all"]).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = text(&out.stdout);
    for action in ["sign-up", "create-authorizer", "protect-method", "deploy-api", "forward-header", "invalidate-cache"]
    {
        assert!(stderr.lines().any(|l| l.starts_with(&format!("{action}: "))), "{action} starts:\n{stderr}");
        assert!(stdout.lines().any(|l| l.starts_with(&format!("{action}: "))), "{action} ends:\n{stdout}");
    }
}

#[test]
fn a_missing_pool_gets_a_hint_about_the_ids_not_try_again() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = walab(data.path(), config.path(), "0")
        .args(["token", "u@example.com", "Passw0rd!", "us-east-1_AbCdEfGhI", "abcdefghijklmnopqrstuvwxyz", "s"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    let hint = stderr.lines().find(|l| l.starts_with("hint:")).unwrap_or_default();
    assert!(hint.contains("POOL_ID") && hint.contains("--region") && !hint.contains("try again"), "{stderr}");
    assert!(out.stdout.is_empty(), "no token on stdout");
}

#[test]
fn a_refused_password_states_the_pools_policy_and_the_retry() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = walab(data.path(), config.path(), "0")
        .args(["solve", "sign-up"])
        .env("WALAB_USERNAME", "newcomer@example.com")
        .env("WALAB_PASSWORD", "short")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the pool wants at least 8 characters with an uppercase letter"), "{stderr}");
    assert!(stderr.contains("Password not long enough"), "what Cognito said, too:\n{stderr}");
    let hint = stderr.lines().find(|l| l.starts_with("hint:")).unwrap_or_default();
    assert!(hint.contains("sign up again") && hint.contains("walab solve sign-up"), "{stderr}");
}

#[test]
fn a_failing_command_says_one_error_last_with_its_hint_and_its_exit_code() {
    let (data, config) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let nothing_served = tempfile::tempdir().unwrap();
    let served = nothing_served.path().to_str().unwrap();
    let cases: [(&[&str], i32, bool); 6] = [
        (&["token", "a", "b"], 2, true),
        (&["request", "not a url"], 2, true),
        (&["request", "http://127.0.0.1:1/?id=1", "--timeout", "5"], 1, true),
        (&["config", "set", "no-such-key", "x"], 2, false),
        (&["serve", "info", "--state-dir", served], 1, true),
        (&["room", "--json"], 2, false),
    ];
    for (args, code, hinted) in cases {
        let out = walab(data.path(), config.path(), "0").args(args).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}:\n{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        let errors: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].starts_with("walab: error: ")).collect();
        assert_eq!(errors.len(), 1, "{args:?} says one error:\n{stderr}");
        let tail = &lines[errors[0] + 1..];
        match hinted {
            true => assert!(tail.len() == 1 && tail[0].starts_with("hint: "), "{args:?} ends on its hint:\n{stderr}"),
            false => assert!(tail.is_empty(), "{args:?} ends on its error:\n{stderr}"),
        }
    }
}
