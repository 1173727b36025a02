//! `walab config`: recorded values per target, validated, the secret masked and kept 0600,
//! and a broken values file reported loudly instead of overwritten.

use predicates::prelude::*;

use crate::common::home::Home;

#[test]
fn set_show_unset_reset() {
    let env = Home::new();
    env.walab().args(["config", "set", "user-pool-id", "us-east-1_AbCdEfGhI"]).assert().success();
    env.walab().args(["config", "set", "username", "me@example.com"]).assert().success();
    let secret = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijk4f2a";
    env.walab()
        .args(["config", "set", "app-client-secret", "-"])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success()
        .stderr(predicate::str::contains("••••4f2a").and(predicate::str::contains(secret).not()));

    env.walab().args(["config", "show"]).assert().success().stdout(
        predicate::str::contains("us-east-1_AbCdEfGhI")
            .and(predicate::str::contains("me@example.com"))
            .and(predicate::str::contains("••••4f2a"))
            .and(predicate::str::contains(secret).not()),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(env.values()).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Values are per target: the AWS profile and region have their own.
    env.walab()
        .args(["--target", "aws", "--profile", "lab", "--region", "us-east-1", "config", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains("aws:lab:us-east-1").and(predicate::str::contains("us-east-1_AbC").not()));

    env.walab().args(["config", "unset", "username"]).assert().success();
    env.walab().args(["config", "show"]).assert().stdout(predicate::str::contains("me@example.com").not());
    env.walab().args(["config", "reset"]).assert().success();
    env.walab().args(["config", "show"]).assert().stdout(predicate::str::contains("us-east-1_AbC").not());
}

#[test]
fn refuses_bad_keys_and_values_with_exit_2() {
    let env = Home::new();
    env.walab()
        .args(["config", "set", "pool", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown key `pool`").and(predicate::str::contains("user-pool-id")));
    env.walab()
        .args(["config", "set", "user-pool-id", "AbCdEfGhI"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<region>_<id>"));
    env.walab()
        .args(["config", "set", "cloudfront-endpoint", "d111.cloudfront.net"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cloudfront-endpoint"));
    assert!(!env.values().exists(), "nothing is written for a refused value");
    env.walab().args(["config", "frobnicate"]).assert().code(2);
}

#[test]
fn a_broken_values_file_fails_loudly_and_is_kept() {
    let env = Home::new();
    let broken = "version = 1\n[targets.local]\nuser-pool = \"typo\"\n";
    std::fs::write(env.values(), broken).unwrap();
    env.walab()
        .args(["config", "set", "username", "me@example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("values.toml").and(predicate::str::contains("unknown field")));
    assert_eq!(std::fs::read_to_string(env.values()).unwrap(), broken);
}

#[test]
fn path_names_every_file() {
    let env = Home::new();
    env.walab().args(["config", "path"]).assert().success().stdout(
        predicate::str::contains("values.toml")
            .and(predicate::str::contains("local-lab"))
            .and(predicate::str::contains("walab.log")),
    );
}
