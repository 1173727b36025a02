//! The local lab as a whole: hostile input gets AWS-shaped errors and changes nothing,
//! state survives restarts, a corrupt state file is set aside, and `walab serve` keeps its
//! command-line contract.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::TestLab;
use walab::locallab::{LabOptions, RunningLab};

async fn demo_can_sign_in(lab: &TestLab) {
    assert!(lab.demo_tokens().await.id_token().is_some(), "the demo user can still sign in");
}

#[tokio::test]
async fn hostile_requests_get_aws_shaped_errors_and_change_nothing() {
    let lab = TestLab::start().await;
    let url = lab.info().aws_endpoint_url;
    let http = common::http();
    let before = lab.stored("cognito.user");
    let target = |op: &str| format!("AWSCognitoIdentityProviderService.{op}");

    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "malformed JSON",
            http.post(&url)
                .header("x-amz-target", target("InitiateAuth"))
                .header("content-type", "application/x-amz-json-1.1")
                .body("{\"ClientId\": "),
            400,
            "SerializationException",
        ),
        (
            "JSON that is not an object",
            http.post(&url)
                .header("x-amz-target", target("InitiateAuth"))
                .header("content-type", "application/x-amz-json-1.1")
                .body("[1,2,3]"),
            400,
            "SerializationException",
        ),
        (
            "unknown operation",
            http.post(&url)
                .header("x-amz-target", target("DeleteEverything"))
                .header("content-type", "application/x-amz-json-1.1")
                .body("{}"),
            400,
            "UnknownOperationException",
        ),
        (
            "unknown service",
            http.post(&url)
                .header("x-amz-target", "DynamoDB_20120810.ListTables")
                .header("content-type", "application/x-amz-json-1.0")
                .body("{}"),
            400,
            "UnknownOperationException",
        ),
        (
            "missing content type",
            http.post(&url).header("x-amz-target", target("ListUserPools")).body("{\"MaxResults\": 1}"),
            400,
            "SerializationException",
        ),
        (
            "10 MiB body",
            http.post(&url)
                .header("x-amz-target", target("SignUp"))
                .header("content-type", "application/x-amz-json-1.1")
                .body(vec![b'{'; 10 * 1024 * 1024]),
            413,
            "RequestEntityTooLarge",
        ),
        (
            "unsigned admin call",
            http.post(&url)
                .header("x-amz-target", target("AdminGetUser"))
                .header("content-type", "application/x-amz-json-1.1")
                .body("{}"),
            400,
            "MissingAuthenticationTokenException",
        ),
        (
            // Cognito's JSON reader refuses a member of the wrong type before any validation.
            "a member of the wrong type",
            http.post(&url)
                .header("x-amz-target", target("InitiateAuth"))
                .header("content-type", "application/x-amz-json-1.1")
                .body("{\"ClientId\": 7, \"AuthFlow\": [\"x\"], \"AuthParameters\": \"no\"}"),
            400,
            "SerializationException",
        ),
    ];
    for (what, request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}");
        let body: serde_json::Value = response.json().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(body["__type"], code, "{what}");
        assert!(body["message"].is_string(), "{what}");
    }

    // Query protocol: junk, an unknown action, no signature.
    let form = |body: &'static str| {
        http.post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/cloudformation/aws4_request")
            .body(body)
    };
    for (what, request, status, code) in [
        ("junk form", form("%%%&&==&Action"), 400, "MissingAction"),
        ("unknown action", form("Action=UpdateStack&StackName=walab-api"), 400, "InvalidAction"),
        (
            "unsigned",
            http.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("Action=DescribeStacks&Version=2010-05-15"),
            403,
            "MissingAuthenticationToken",
        ),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}");
        let body = response.text().await.unwrap();
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{what}: {body}");
    }

    let response = http.get(format!("{url}/no/such/thing")).send().await.unwrap();
    assert_eq!(response.status(), 404);

    // The lab is still serving and nothing was lost.
    demo_can_sign_in(&lab).await;
    let stacks = lab.cloudformation().describe_stacks().send().await.unwrap();
    assert_eq!(stacks.stacks().len(), 2);
    assert_eq!(lab.stored("cognito.user"), before);
}

#[tokio::test]
async fn state_survives_a_restart() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let jwks_url =
        |lab: &TestLab| format!("{}/{}/.well-known/jwks.json", lab.info().aws_endpoint_url, info.user_pool_id);
    let jwks_before = common::http().get(jwks_url(&lab)).send().await.unwrap().text().await.unwrap();
    let secret_before = lab.account().cognito.read(|s| s.lab_pool_and_client().unwrap().1.secret.clone());
    // A user signed up before the restart is still there after it.
    let email = "kept@example.com";
    lab.cognito().admin_create_user().user_pool_id(&info.user_pool_id).username(email).send().await.unwrap();

    let path = lab.dir.path().join("lab.sqlite3");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let dir = lab.stop().await;
    let lab = TestLab::start_in(dir).await;
    let again = lab.info();
    assert_eq!(again.user_pool_id, info.user_pool_id);
    assert_eq!(again.app_client_id, info.app_client_id);
    assert_eq!(again.demo_user.password, info.demo_user.password);
    assert_eq!(lab.account().cognito.read(|s| s.lab_pool_and_client().unwrap().1.secret.clone()), secret_before);
    assert_eq!(common::http().get(jwks_url(&lab)).send().await.unwrap().text().await.unwrap(), jwks_before);
    lab.cognito().admin_get_user().user_pool_id(&info.user_pool_id).username(email).send().await.unwrap();
    demo_can_sign_in(&lab).await;
}

#[tokio::test]
async fn a_corrupt_state_file_is_set_aside_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab-state.json"), b"{ this is not the lab").unwrap();
    let lab = TestLab::start_in(dir).await;
    let notice = lab.running.notices.join("\n");
    assert!(notice.contains("could not be read"), "{notice}");
    let kept: Vec<_> = std::fs::read_dir(lab.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("lab-state.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), b"{ this is not the lab");
    assert!(notice.contains(&kept[0].path().display().to_string()));
    demo_can_sign_in(&lab).await;
}

#[tokio::test]
async fn a_damaged_database_is_set_aside_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = vec![0x5a_u8; 8192];
    std::fs::write(dir.path().join("lab.sqlite3"), &garbage).unwrap();
    let lab = TestLab::start_in(dir).await;
    let notice = lab.running.notices.join("\n");
    assert!(notice.contains("could not be read"), "{notice}");
    let kept: Vec<_> = std::fs::read_dir(lab.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("lab.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1, "{notice}");
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), garbage);
    assert!(notice.contains(&kept[0].path().display().to_string()));
    demo_can_sign_in(&lab).await;
}

#[tokio::test]
async fn a_newer_state_file_is_refused_and_a_busy_directory_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab-state.json"), br#"{"schema": 999}"#).unwrap();
    let mut options = LabOptions::ephemeral(dir.path());
    options.signing_key = Some(common::signing_key());
    let err = RunningLab::start(options.clone()).await.err().expect("a newer schema is refused");
    assert!(err.to_string().contains("newer walab"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("lab-state.json")).unwrap(), br#"{"schema": 999}"#);

    // A database from a newer walab is refused too, and left as it is.
    let dir = tempfile::tempdir().unwrap();
    let db = rusqlite::Connection::open(dir.path().join("lab.sqlite3")).unwrap();
    db.pragma_update(None, "user_version", 999).unwrap();
    drop(db);
    let mut options = LabOptions::ephemeral(dir.path());
    options.signing_key = Some(common::signing_key());
    let err = RunningLab::start(options).await.err().expect("a newer database is refused");
    assert!(err.to_string().contains("newer walab"), "{err}");
    let db = rusqlite::Connection::open(dir.path().join("lab.sqlite3")).unwrap();
    assert_eq!(db.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0)).unwrap(), 999);

    let lab = TestLab::start().await;
    let mut second = LabOptions::ephemeral(lab.dir.path());
    second.signing_key = Some(common::signing_key());
    let err = RunningLab::start(second).await.err().expect("one lab per directory");
    assert!(err.to_string().contains("another walab"), "{err}");
}

#[test]
fn serve_prints_json_first_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_walab"))
        .args(["serve", "--listen", "127.0.0.1:0", "--json", "--state-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).expect("first stdout line is JSON");
    for key in ["aws_endpoint_url", "cloudfront_endpoint", "api_gateway_url", "region", "user_pool_id", "app_client_id"]
    {
        assert!(info[key].is_string(), "{key} in {line}");
    }
    assert_eq!(info["region"], "us-east-1");
    assert!(info["cloudfront_endpoint"].as_str().unwrap().ends_with("/?id=1"));
    assert!(info["api_gateway_url"].as_str().unwrap().ends_with("/Dev/?id=1"));
    assert!(info["demo_user"]["username"].as_str().unwrap().contains('@'));
    assert!(info["demo_user"]["password"].as_str().unwrap().len() >= 8);

    let status = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "exit {:?}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("saved"), "{stderr}");
    // The password is on the JSON line only, never in what a person reads.
    assert!(!stderr.contains(info["demo_user"]["password"].as_str().unwrap()));
    assert_eq!(common::stored_rows(dir.path(), "cognito.pool")[0]["id"], info["user_pool_id"]);
}

#[test]
fn serve_refuses_a_port_in_use_with_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_walab"))
        .args(["serve", "--listen", &addr, "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen") && stderr.contains("hint:"), "{stderr}");
}

#[tokio::test]
async fn a_state_file_from_before_the_store_is_imported_once() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("../fixtures/lab-state-v1.json")).unwrap();
    let pool = &fixture["cognito"]["pools"][0];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab-state.json"), include_str!("../fixtures/lab-state-v1.json")).unwrap();
    let lab = TestLab::start_in(dir).await;
    assert!(lab.running.notices.join("\n").contains("moved into"), "{:?}", lab.running.notices);
    assert!(!lab.dir.path().join("lab-state.json").exists());
    assert!(lab.dir.path().join("lab-state.imported.json").exists());

    // Same account, pool, client, secret, demo user, keys and users.
    let info = lab.info();
    assert_eq!(lab.account().ctx.id, fixture["account_id"].as_str().unwrap());
    assert_eq!(info.user_pool_id, pool["id"].as_str().unwrap());
    assert_eq!(info.app_client_id, pool["clients"][0]["id"].as_str().unwrap());
    assert_eq!(lab.client_secret().await, pool["clients"][0]["secret"].as_str().unwrap());
    assert_eq!(info.demo_user.password.expose(), fixture["cognito"]["demo"]["password"].as_str().unwrap());
    let jwks: serde_json::Value = common::http()
        .get(format!("{}/{}/.well-known/jwks.json", info.aws_endpoint_url, info.user_pool_id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], pool["key"]["kid"]);
    let signed_up =
        lab.cognito().admin_get_user().user_pool_id(&info.user_pool_id).username("fixture@example.com").send().await;
    assert_eq!(signed_up.unwrap().user_status().map(|s| s.as_str()), Some("UNCONFIRMED"));
    demo_can_sign_in(&lab).await;

    // The refresh token handed out before is still good.
    let refresh = fixture["cognito"]["refresh_tokens"][0]["token"].as_str().unwrap();
    let hash = walab::token::secret_hash(&info.demo_user.username, &info.app_client_id, &lab.client_secret().await);
    let refreshed = lab
        .cognito()
        .admin_initiate_auth()
        .user_pool_id(&info.user_pool_id)
        .client_id(&info.app_client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh)
        .auth_parameters("SECRET_HASH", hash)
        .send()
        .await
        .unwrap();
    assert!(refreshed.authentication_result().and_then(|r| r.id_token()).is_some());

    // The API's authorizer, deployments and stage, and the distribution's invalidation.
    let api = &fixture["apigateway"]["api"]["id"].as_str().unwrap();
    let authorizers = lab.apigateway().get_authorizers().rest_api_id(*api).send().await.unwrap();
    assert_eq!(authorizers.items().len(), 1);
    let stage = lab.apigateway().get_stage().rest_api_id(*api).stage_name("Dev").send().await.unwrap();
    assert_eq!(stage.deployment_id(), fixture["apigateway"]["stages"][0]["deployment_id"].as_str());
    let distribution = fixture["cloudfront"]["distribution"]["id"].as_str().unwrap();
    let invalidations = lab.cloudfront().list_invalidations().distribution_id(distribution).send().await.unwrap();
    assert_eq!(invalidations.invalidation_list().unwrap().items().len(), 1);

    // Imported once: a restart reads the store, and the kept file is left alone.
    let dir = lab.stop().await;
    let lab = TestLab::start_in(dir).await;
    assert!(lab.running.notices.is_empty(), "{:?}", lab.running.notices);
    assert_eq!(lab.info().user_pool_id, info.user_pool_id);
}
