//! The lab commands as a person or a script runs them: `walab check`, `solve` and `token`,
//! their exit codes, stdout/stderr split and JSON, on the embedded lab and through the AWS
//! code path; and no secret anywhere it should not be.

use crate::common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::home::Home;

impl Home {
    /// walab signing in as `username` with `password` (WALAB_USERNAME, WALAB_PASSWORD).
    fn walab_as(&self, username: &str, password: &str) -> Command {
        let mut cmd = self.walab();
        cmd.env("WALAB_USERNAME", username).env("WALAB_PASSWORD", password);
        cmd
    }

    /// The first row of `kind` in the embedded lab's store, as JSON.
    fn stored(&self, kind: &str) -> Value {
        let db = rusqlite::Connection::open(self.data.path().join("local-lab/lab.sqlite3")).unwrap();
        let body: Vec<u8> =
            db.query_row("SELECT body FROM records WHERE kind = ?1 LIMIT 1", [kind], |row| row.get(0)).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn stdout(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.walab().args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn a_fresh_lab_fails_with_the_trap_explained_and_solve_passes_all_twelve() {
    let home = Home::new();
    // What the request saw, and the first step on its path that is not done: 5.3's, not an
    // invalidation that cannot help while the API asks for no token.
    home.walab().arg("check").assert().code(1).stdout(
        predicate::str::contains("200 served from CloudFront's cache")
            .and(predicate::str::contains("start with 5.3"))
            .and(predicate::str::contains("walab solve create-authorizer"))
            .and(predicate::str::contains("5 of 12 checks passed")),
    );
    // A console step whose needs are not met refuses, names the step to do first, changes nothing.
    home.walab().args(["solve", "deploy-api"]).assert().code(1).stderr(
        predicate::str::contains("deploy-api cannot help yet")
            .and(predicate::str::contains("authorizer-created"))
            .and(predicate::str::contains("walab solve create-authorizer")),
    );
    home.walab().args(["check", "--solve"]).assert().success().stdout(
        predicate::str::contains("solving: deploy wa-lab-rds-api to stage Dev")
            .and(predicate::str::contains("12 of 12 checks passed")),
    );
    // The lab remembers: the next run passes without solving anything.
    home.walab().arg("check").assert().success().stdout(predicate::str::contains("solving").not());
}

#[test]
fn check_json_has_the_documented_shape() {
    let home = Home::new();
    let (code, stdout, _) = home.stdout(&["check", "--json", "--only", "id-token", "--only", "stack-outputs"]);
    assert_eq!(code, 0, "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON object: {stdout}");
    let report: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(report["target"], "local");
    assert_eq!(report["region"], "us-east-1");
    assert_eq!(report["passed"], 2);
    assert_eq!(report["failed"], 0);
    let checks = report["checks"].as_array().unwrap();
    // In running order, whatever the order of --only.
    assert_eq!(checks[0]["id"], "stack-outputs");
    assert_eq!(checks[1]["id"], "id-token");
    for check in checks {
        for key in ["id", "step", "title", "status", "duration_ms", "summary", "hint", "evidence"] {
            assert!(check.get(key).is_some(), "{key} in {check}");
        }
        assert_eq!(check["status"], "passed");
    }
    assert_eq!(checks[1]["evidence"]["claims"]["token_use"], "id");

    let (code, stdout, _) = home.stdout(&["check", "--json", "--only", "unauthenticated-401"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    let check = &report["checks"][0];
    assert_eq!(check["status"], "failed");
    assert_eq!(check["evidence"]["status"], 200);
    assert_eq!(check["evidence"]["headers"]["x_cache"], "Hit from cloudfront");
    assert!(check["hint"].as_str().unwrap().contains("walab solve create-authorizer"), "{check}");
}

#[test]
fn wrong_arguments_are_usage_errors() {
    let home = Home::new();
    home.walab().args(["check", "--only", "stack-output"]).assert().code(2).stderr(
        predicate::str::contains("unknown check `stack-output`").and(predicate::str::contains("stack-outputs")),
    );
    home.walab().args(["solve", "teleport"]).assert().code(2).stderr(predicate::str::contains("deploy-api"));
    home.walab().arg("solve").assert().code(2);
    home.walab()
        .args(["token", "only", "two"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("all five"))
        .stdout(predicate::str::is_empty());
    home.walab().args(["token", "u", "p", "not-a-pool", "client", "secret"]).assert().code(2);
    home.walab().args(["--target", "mars", "check"]).assert().code(2);
}

#[test]
fn token_prints_only_the_jwt_on_stdout() {
    let home = Home::new();
    let (code, stdout, stderr) = home.stdout(&["token"]);
    assert_eq!(code, 0, "{stderr}");
    let token = stdout.trim_end();
    assert_eq!(stdout.lines().count(), 1);
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert!(stderr.contains("expires") && stderr.contains("token_use"), "{stderr}");
    assert!(!stderr.contains(token));

    // The lab's script's five arguments; a wrong secret says what is wrong.
    let (pool, client, demo) =
        (home.stored("cognito.pool"), home.stored("cognito.client"), home.stored("cognito.demo"));
    let pool = pool["id"].as_str().unwrap();
    let client = client["id"].as_str().unwrap();
    let user = demo["username"].as_str().unwrap();
    let password = demo["password"].as_str().unwrap();
    let (code, stdout, stderr) = home.stdout(&["token", user, password, pool, client, "wrong-secret"]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("secret") && stderr.contains("hint:"), "{stderr}");
    let secret = home.stored("cognito.client")["secret"].as_str().unwrap().to_string();
    let (code, stdout, _) = home.stdout(&["token", user, password, pool, client, &secret]);
    assert_eq!(code, 0);
    assert_eq!(stdout.trim().split('.').count(), 3);
}

#[test]
fn sign_up_on_a_fresh_home_confirms_through_the_outbox() {
    // Nothing recorded yet: the secret is read from the app client on the way.
    let home = Home::new();
    home.walab_as("fresh@example.com", "Fresh-Pass-1")
        .args(["solve", "sign-up"])
        .assert()
        .success()
        .stdout(predicate::str::contains("signed fresh@example.com up and confirmed"));
    home.walab_as("fresh@example.com", "Fresh-Pass-1")
        .args(["check", "--only", "user-confirmed", "--only", "id-token"])
        .assert()
        .success();
}

#[test]
fn solve_does_each_step_once() {
    let home = Home::new();
    home.walab()
        .args(["solve", "create-authorizer"])
        .assert()
        .success()
        .stdout(predicate::str::contains("create-authorizer: created authorizer walab-cognito"));
    // protect-method needs the authorizer; deploy-api builds on both.
    home.walab().args(["solve", "--all"]).assert().success().stdout(
        predicate::str::contains("create-authorizer: already done")
            .and(predicate::str::contains("deploy-api: deployed to Dev"))
            .and(predicate::str::contains("invalidate-cache: created invalidation")),
    );
    home.walab().args(["solve", "--all"]).assert().success().stdout(predicate::str::contains("created").not());

    // The admin route makes a confirmed user without any email.
    home.walab_as("admin.route@example.com", "Admin-Route-1")
        .args(["solve", "sign-up", "--admin"])
        .assert()
        .success()
        .stdout(predicate::str::contains("created admin.route@example.com as an administrator"));
    home.walab_as("admin.route@example.com", "Admin-Route-1")
        .args(["check", "--only", "user-confirmed", "--only", "id-token"])
        .assert()
        .success();
}

#[tokio::test]
async fn the_aws_code_path_works_against_a_served_lab() {
    let lab = common::TestLab::start().await;
    let info = lab.info();
    let home = Home::new();
    let aws = |args: &[&str]| {
        let mut cmd = home.walab();
        cmd.env("AWS_ENDPOINT_URL", &info.aws_endpoint_url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", home.config.path().join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.config.path().join("no-aws-credentials"))
            .env("WALAB_USERNAME", &info.demo_user.username)
            .env("WALAB_PASSWORD", info.demo_user.password.expose())
            .args(["--target", "aws", "--region", "us-east-1"])
            .args(args);
        cmd
    };
    // Blocking commands on a runtime thread: the lab runs on the test's runtime.
    async fn run(mut cmd: Command) -> std::process::Output {
        tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
    }
    let output = run(aws(&["check", "--json"])).await;
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["target"], "aws");
    assert_eq!(report["passed"], 5, "{report:#}");

    // Changing AWS resources needs consent; without a terminal, --yes.
    let output = run(aws(&["solve", "--all"])).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--yes"));
    let output = run(aws(&["check", "--solve", "--yes"])).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    // Recorded values are kept per target: this profile and region have their own table.
    let values = std::fs::read_to_string(home.config.path().join("values.toml")).unwrap();
    assert!(values.contains("[targets.\"aws:default:us-east-1\"]"), "{values}");
}

#[test]
fn no_aws_credentials_is_one_line_with_the_fix() {
    let home = Home::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    home.walab()
        .env("AWS_CONFIG_FILE", home.config.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.config.path().join("none"))
        .env("AWS_ENDPOINT_URL", format!("http://{closed}"))
        .args(["--target", "aws", "--region", "us-east-1", "check", "--only", "stack-outputs"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no AWS credentials found").and(predicate::str::contains("aws configure")));
}

#[test]
fn an_expired_sso_session_names_the_login_command() {
    let home = Home::new();
    let aws = home.config.path().join("aws");
    let cache = aws.join("sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile lab]\nsso_session = workshop\nsso_account_id = 123456789012\nsso_role_name = Admin\nregion = us-east-1\n\n\
         [sso-session workshop]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    // The SDK finds the session's cached token by the SHA-1 of the session name.
    std::fs::write(
        cache.join("e17a11ce647850135b2c5f25235d57f4fe8fe1c6.json"),
        r#"{"accessToken":"x","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://example.awsapps.com/start"}"#,
    )
    .unwrap();
    home.walab()
        .env("HOME", home.config.path())
        .env("AWS_CONFIG_FILE", aws.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", aws.join("credentials"))
        .args(["--target", "aws", "--profile", "lab", "check", "--only", "stack-outputs"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("your AWS SSO session has expired")
                .and(predicate::str::contains("aws sso login --profile lab")),
        );
}

#[test]
fn secrets_stay_out_of_output_logs_and_loose_files() {
    let home = Home::new();
    let mut seen = String::new();
    for args in [
        &["check", "--solve"][..],
        &["check", "--json"],
        &["config", "show"],
        &["solve", "--all"],
        &["check", "--only", "no-such-check"],
    ] {
        let (_, stdout, stderr) = home.stdout(args);
        seen.push_str(&stdout);
        seen.push_str(&stderr);
    }
    // `walab token`'s stdout is the token by contract; its stderr is not.
    let (_, token, stderr) = home.stdout(&["token"]);
    seen.push_str(&stderr);
    let token = token.trim().to_string();
    let (_, stdout, stderr) = home.stdout(&["request", "http://127.0.0.1:1/?id=1", &token]);
    seen.push_str(&stdout);
    seen.push_str(&stderr);

    let client_secret = home.stored("cognito.client")["secret"].as_str().unwrap().to_string();
    let password = home.stored("cognito.demo")["password"].as_str().unwrap().to_string();
    let origin_secret = home.stored("waf.acls")["header_value"].as_str().unwrap().to_string();
    let secrets = [
        ("client secret", &client_secret),
        ("password", &password),
        ("token", &token),
        ("origin header", &origin_secret),
    ];
    for (what, secret) in &secrets {
        assert!(!seen.contains(secret.as_str()), "the {what} appears in walab's output");
    }

    // Files that may hold secrets are 0600; every other file holds none.
    let private = ["values.toml", "lab.sqlite3", "lab.sqlite3-wal", "lab.sqlite3-shm", "endpoint.json"];
    let mut files = Vec::new();
    for root in [home.config.path(), home.data.path()] {
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() { stack.push(path) } else { files.push(path) }
            }
        }
    }
    assert!(files.iter().any(|f| f.ends_with("values.toml")));
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if private.contains(&name.as_str()) {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{name}");
            }
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for (what, secret) in &secrets {
            assert!(!text.contains(secret.as_str()), "the {what} is in {}", file.display());
        }
    }
}

#[test]
fn check_teardown_and_the_teardown_solve() {
    let home = Home::new();
    // A plain check leaves the Clean up step out; --teardown runs only it.
    let (_, stdout, _) = home.stdout(&["check", "--json"]);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["checks"].as_array().unwrap().len(), 12);
    let (code, stdout, _) = home.stdout(&["check", "--json", "--teardown"]);
    assert_eq!(code, 1, "{stdout}");
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    let ids: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["stack-cdn-deleted", "stack-cloud9-deleted", "stack-api-deleted", "log-groups-deleted", "bucket-deleted"]
    );
    assert_eq!(report["checks"][0]["step"], "teardown");
    assert!(report["checks"][0]["summary"].as_str().unwrap().contains("walab-cdn-waf-cognito"));

    home.walab()
        .args(["solve", "teardown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("teardown: deleted walab-cdn-waf-cognito, then walab-api"))
        .stdout(predicate::str::contains("What is left:"))
        .stderr(predicate::str::contains("apiGateway"));
    // Only what walab cannot verify is left, and that is not a failure.
    let (code, stdout, _) = home.stdout(&["check", "--teardown"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("not verified"), "{stdout}");
    home.walab().args(["check", "--only", "stack-outputs"]).assert().code(1);
}
