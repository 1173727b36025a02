//! The local lab bounded as AWS bounds an account, and whole through storage faults and
//! slow clients: quotas with AWS's error codes, a store that cannot be written answered with
//! 503 (never a crash), damaged databases set aside by name, and half-open connections that
//! make room for a complete request.

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TestLab;
use aws_sdk_apigateway::types::AuthorizerType;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use walab::locallab::{LabOptions, RunningLab, Timing};

fn code_of(e: impl aws_sdk_apigateway::error::ProvideErrorMetadata) -> String {
    e.code().unwrap_or_default().to_string()
}

async fn lab_api(lab: &TestLab) -> String {
    let apis = lab.apigateway().get_rest_apis().send().await.unwrap();
    apis.items()[0].id().unwrap().to_string()
}

#[tokio::test]
async fn an_api_holds_ten_authorizers_and_ten_stages_and_keeps_its_recent_deployments() {
    let lab = TestLab::start().await;
    let api = lab_api(&lab).await;
    let pool_arn =
        format!("arn:aws:cognito-idp:us-east-1:{}:userpool/{}", lab.account().ctx.id, lab.info().user_pool_id);
    let create = |name: String| {
        lab.apigateway()
            .create_authorizer()
            .rest_api_id(&api)
            .name(name)
            .r#type(AuthorizerType::CognitoUserPools)
            .provider_arns(&pool_arn)
            .identity_source("method.request.header.Authorization")
            .send()
    };
    for i in 0..10 {
        create(format!("authorizer-{i}")).await.unwrap();
    }
    let refused = create("one-too-many".into()).await.unwrap_err();
    assert_eq!(code_of(refused), "LimitExceededException");

    for i in 0..9 {
        lab.apigateway().create_deployment().rest_api_id(&api).stage_name(format!("s{i}")).send().await.unwrap();
    }
    let refused =
        lab.apigateway().create_deployment().rest_api_id(&api).stage_name("eleventh").send().await.unwrap_err();
    assert_eq!(code_of(refused), "LimitExceededException", "Dev and nine more are ten stages");
    for _ in 0..40 {
        lab.apigateway().create_deployment().rest_api_id(&api).stage_name("Dev").send().await.unwrap();
    }
    let kept = lab.apigateway().get_deployments().rest_api_id(&api).limit(500).send().await.unwrap();
    // The ten stages' deployments, and the twenty newest besides.
    assert_eq!(kept.items().len(), 30);
}

fn batch(reference: &str, paths: Vec<String>) -> InvalidationBatch {
    let paths = Paths::builder().quantity(paths.len() as i32).set_items(Some(paths)).build().unwrap();
    InvalidationBatch::builder().caller_reference(reference).paths(paths).build().unwrap()
}

#[tokio::test]
async fn invalidations_in_progress_are_bounded_as_cloudfront_bounds_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LabOptions::ephemeral(dir.path());
    options.timing = Timing { invalidation: Duration::from_secs(3600), deploy: Duration::ZERO };
    options.signing_key = Some(common::signing_key());
    let lab = TestLab { running: RunningLab::start(options).await.unwrap(), dir };
    let cf = lab.cloudfront();
    let distribution = cf.list_distributions().send().await.unwrap();
    let id = distribution.distribution_list().unwrap().items()[0].id().to_string();
    for i in 0..15 {
        cf.create_invalidation()
            .distribution_id(&id)
            .invalidation_batch(batch(&format!("w{i}"), vec![format!("/w{i}/*")]))
            .send()
            .await
            .unwrap();
    }
    let refused = cf
        .create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(batch("w15", vec!["/*".into()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(refused), "TooManyInvalidationsInProgress");
    let files: Vec<String> = (0..3000).map(|i| format!("/f{i}")).collect();
    cf.create_invalidation().distribution_id(&id).invalidation_batch(batch("files", files)).send().await.unwrap();
    let refused = cf
        .create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(batch("one-more", vec!["/one-more".into()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(refused), "TooManyInvalidationsInProgress");
    // An hour later they have completed, and there is room again.
    lab.lab().clock.advance(Duration::from_secs(3601));
    cf.create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(batch("later", vec!["/*".into()]))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_thousand_invalidations_of_long_paths_grow_the_store_by_a_bounded_amount() {
    let lab = TestLab::start().await;
    let cf = lab.cloudfront();
    let distribution = cf.list_distributions().send().await.unwrap();
    let id = distribution.distribution_list().unwrap().items()[0].id().to_string();
    let before = lab.lab().store.size_on_disk();
    let long = "x".repeat(500);
    for i in 0..600 {
        let paths: Vec<String> = (0..100).map(|p| format!("/{i}/{p}/{long}")).collect();
        cf.create_invalidation()
            .distribution_id(&id)
            .invalidation_batch(batch(&format!("r{i}"), paths))
            .send()
            .await
            .unwrap();
    }
    let listed = cf.list_invalidations().distribution_id(&id).max_items(100).send().await.unwrap();
    let kept = listed.invalidation_list().unwrap().quantity();
    // 600 × 100 paths of 500 bytes is 30 MB sent; the history keeps 256 KiB of paths (the
    // write-ahead log, up to about 5 MB, comes on top).
    assert!(kept <= 6, "{kept} invalidations kept");
    let grown = lab.lab().store.size_on_disk().saturating_sub(before);
    eprintln!("measured: {kept} invalidations kept; the store grew by {grown} bytes");
    assert!(grown < 12 * 1024 * 1024, "the store grew by {grown} bytes");
}

// ---- storage faults ------------------------------------------------------------------------

/// A `walab serve` of its own, so that whatever happens to it cannot take the tests along.
struct Served {
    child: Child,
    info: serde_json::Value,
}

impl Served {
    fn start(dir: &std::path::Path, shell_prefix: &str) -> Served {
        let walab = env!("CARGO_BIN_EXE_walab");
        let script = format!("{shell_prefix} exec \"$0\" serve --listen 127.0.0.1:0 --json --state-dir \"$1\"");
        let mut child = Command::new("sh")
            .args(["-c", &script, walab])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let info = serde_json::from_str(&line).unwrap_or_else(|_| panic!("no JSON line: {line}"));
        Served { child, info }
    }

    fn endpoint(&self) -> String {
        self.info["aws_endpoint_url"].as_str().unwrap().to_string()
    }

    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status, stderr)
    }
}

fn chattr(flag: &str, files: &[std::path::PathBuf]) -> bool {
    let existing: Vec<_> = files.iter().filter(|f| f.exists()).collect();
    Command::new("chattr").arg(flag).args(&existing).status().is_ok_and(|s| s.success())
}

#[tokio::test]
async fn a_store_that_becomes_unwritable_answers_503_keeps_reading_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), "");
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&common::sdk_config(&served.endpoint()));
    let pool = served.info["user_pool_id"].as_str().unwrap().to_string();
    let create = |name: String| cognito.admin_create_user().user_pool_id(&pool).username(name).send();
    create("before@example.com".into()).await.unwrap();
    let files: Vec<_> = ["", "-wal", "-shm"].iter().map(|s| dir.path().join(format!("lab.sqlite3{s}"))).collect();
    // Immutable files stand for a filesystem gone read-only; only root may set the flag.
    if !chattr("+i", &files) {
        eprintln!("note: cannot make the store immutable here (needs root and chattr); skipping");
        return;
    }
    let mut refused = Vec::new();
    for i in 0..5 {
        match create(format!("during-{i}@example.com")).await {
            Ok(_) => {}
            Err(e) => refused.push(common::error(e)),
        }
    }
    let read = cognito.list_user_pools().max_results(10).send().await;
    chattr("-i", &files);
    assert!(read.is_ok(), "reads keep working: {read:?}");
    assert!(!refused.is_empty(), "no write was refused");
    assert!(refused.iter().all(|(code, _)| code == "ServiceUnavailable"), "{refused:?}");
    create("after@example.com".into()).await.expect("writes work again once the store can be written");
    let (status, stderr) = served.stop();
    assert!(status.success(), "walab serve ended with {status:?}: {stderr}");
}

#[tokio::test]
async fn an_empty_database_is_set_aside_by_name_not_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab.sqlite3"), b"").unwrap();
    let lab = TestLab::start_in(dir).await;
    let notice = lab.running.notices.join("\n");
    let kept = std::fs::read_dir(lab.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("lab.corrupt-"));
    let kept = kept.expect("the empty file is kept");
    assert!(
        notice.contains(&kept) && notice.contains("lab.sqlite3 could not be read") && notice.contains("empty"),
        "{notice}"
    );
}

#[tokio::test]
async fn a_malformed_row_names_the_file_and_what_to_do() {
    let lab = TestLab::start().await;
    let dir = lab.stop().await;
    let db = rusqlite::Connection::open(dir.path().join("lab.sqlite3")).unwrap();
    db.execute("UPDATE records SET body = 42 WHERE kind = 'cognito.user'", []).unwrap();
    drop(db);
    let lab = TestLab::start_in(dir).await;
    let notice = lab.running.notices.join("\n");
    assert!(
        notice.contains("lab.sqlite3") && notice.contains("moved to") && notice.contains("repair or delete"),
        "{notice}"
    );
    assert!(!notice.contains("refused the change"), "{notice}");
}

// ---- connections ---------------------------------------------------------------------------

#[tokio::test]
async fn a_complete_request_is_served_within_a_second_beside_1100_half_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    // 1024 files: 298 connections per listener.
    let served = Served::start(dir.path(), "ulimit -n 1024 &&");
    let endpoint = served.endpoint();
    let address = endpoint.trim_start_matches("http://").to_string();
    // The test's own side holds 1,100 sockets too.
    if walab::locallab::machinery::listen::raise_file_limit() < 4096 {
        eprintln!("note: this process may not open 1,100 sockets here; skipping");
        let _ = served.stop();
        return;
    }
    let mut half_open = Vec::new();
    for _ in 0..1100 {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"GET /_walab/outbox HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        half_open.push(stream);
    }
    let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
    let started = Instant::now();
    let answer = http.get(format!("{endpoint}/_walab/outbox")).header("accept", "application/json").send().await;
    let took = started.elapsed();
    eprintln!("measured: a complete request beside 1,100 half-open connections answered in {took:?}");
    let answer = answer.expect("an answer within a second");
    assert_eq!(answer.status().as_u16(), 200, "{:?}", answer.text().await);
    assert!(took < Duration::from_secs(1), "{took:?}");
    drop(half_open);
    let (status, stderr) = served.stop();
    assert!(status.success(), "{stderr}");
}
