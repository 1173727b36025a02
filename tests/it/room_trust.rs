//! A room an attendee can trust: a name is not a key (a taken name is refused to anyone but the
//! laptop holding that account's key, or the holder of a reissue code), every URL comes from
//! the room's own address, the files walab writes run nothing when sourced, signatures cover
//! the body received, the outbox shows an account's mail only to that account, wrong codes are
//! throttled, and a room restarted on other ports keeps every attendee working.

use std::path::Path;
use std::process::Output;

use crate::common::{self, home::Home};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use serde_json::Value;
use walab::locallab::room::api::JoinInfo;
use walab::locallab::{LabOptions, RoomOptions, RunningLab, Timing};

fn options(dir: &Path, listen: std::net::SocketAddr) -> LabOptions {
    let mut options = LabOptions::ephemeral(dir);
    options.listen = listen;
    options.timing = Timing::INSTANT;
    options.room = Some(RoomOptions {
        max_attendees: 8,
        keys_ahead: 0,
        signing_keys: vec![common::signing_key(), common::signing_key(), common::signing_key()],
        advertise: None,
    });
    options
}

async fn open_room(dir: &Path) -> RunningLab {
    RunningLab::start(options(dir, ([127, 0, 0, 1], 0).into())).await.expect("the room starts")
}

fn url(room: &RunningLab) -> String {
    room.endpoints().aws_endpoint_url()
}

fn code(room: &RunningLab) -> String {
    room.lab.room.as_ref().unwrap().keys.code.expose().to_string()
}

fn instructor_key(room: &RunningLab) -> String {
    room.lab.room.as_ref().unwrap().keys.instructor_key.expose().to_string()
}

async fn join_raw(room: &RunningLab, code: &str, name: &str) -> reqwest::Response {
    common::http()
        .post(format!("{}/_walab/room/join", url(room)))
        .json(&serde_json::json!({ "code": code, "name": name }))
        .send()
        .await
        .unwrap()
}

async fn join(room: &RunningLab, name: &str) -> JoinInfo {
    let response = join_raw(room, &code(room), name).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn sdk(info: &JoinInfo) -> SdkConfig {
    let credentials =
        Credentials::new(&info.access_key_id, info.secret_access_key.expose(), None, None, "room-trust-test");
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&info.aws_endpoint_url)
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .retry_config(RetryConfig::disabled())
        .build()
}

/// Runs `cmd` to its end off the async runtime (the room serves on it meanwhile).
async fn run(mut cmd: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run walab")).await.unwrap()
}

/// Runs `walab ARGS` in `home`.
async fn walab(home: &Home, args: &[&str]) -> Output {
    let mut cmd = home.command();
    cmd.args(args);
    run(cmd).await
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_name_is_refused_to_another_laptop_and_given_back_to_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let (server, lower_code) = (url(&room), code(&room).to_lowercase());

    // The first laptop joins (typing the code in lower case).
    let first = Home::new();
    let joined = walab(&first, &["join", &server, "--code", &lower_code, "--name", "Ada Lovelace", "--json"]).await;
    assert!(joined.status.success(), "{}", said(&joined));
    let ada: JoinInfo = serde_json::from_slice(&joined.stdout).unwrap();

    // Another laptop, with the name in any case, width, spacing or look-alike script.
    for taken in
        ["ada lovelace", "ＡＤＡ　Ｌｏｖｅｌａｃｅ", "  Ada   Lovelace ", "\u{410}da Lovelace", "Ada\u{a0}LOVELACE"]
    {
        let response = join_raw(&room, &code(&room), taken).await;
        assert_eq!(response.status(), 409, "{taken:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("that name is taken"), "{body}");
        assert!(!body.contains(&ada.access_key_id) && !body.contains("secret_access_key"), "{body}");
    }
    let second = Home::new();
    let refused = walab(&second, &["join", &server, "--code", &code(&room), "--name", "ADA LOVELACE", "--json"]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", said(&refused));
    assert!(said(&refused).contains("that name is taken"), "{}", said(&refused));
    assert!(!second.config.path().join("room.json").exists(), "nothing recorded");
    assert!(!said(&refused).contains(ada.secret_access_key.expose()));

    // A join signed by another attendee's key does not open Ada's account either.
    let bob = second.config.path().to_path_buf();
    let as_bob = walab(&second, &["join", &server, "--code", &code(&room), "--name", "Bob", "--json"]).await;
    assert!(as_bob.status.success(), "{}", said(&as_bob));
    let bob_tries = walab(&second, &["join", &server, "--code", &code(&room), "--name", "ada lovelace"]).await;
    assert_eq!(bob_tries.status.code(), Some(2), "{}", said(&bob_tries));
    let bob_record: Value = serde_json::from_slice(&std::fs::read(bob.join("room.json")).unwrap()).unwrap();
    assert_eq!(bob_record["name"], "Bob", "Bob's record is untouched");

    // The first laptop rejoins (its walab signs the join with the key it holds): the same account.
    let again = walab(&first, &["join", &server, "--code", &code(&room), "--name", "ada lovelace", "--json"]).await;
    assert!(again.status.success(), "{}", said(&again));
    let again: JoinInfo = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((again.account_id, again.access_key_id), (ada.account_id.clone(), ada.access_key_id.clone()));
    assert_eq!(again.name, "Ada Lovelace");

    room.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reissue_moves_an_account_to_a_new_laptop_and_revokes_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let server = url(&room);
    let old = join(&room, "Grace").await;
    aws_sdk_cognitoidentityprovider::Client::new(&sdk(&old)).list_user_pools().max_results(10).send().await.unwrap();

    // The instructor, with the key in the environment (not on the command line).
    let instructor = Home::new();
    let mut cmd = instructor.command();
    cmd.args(["room", "--server", &server, "reissue", "grace"]).env("WALAB_ROOM_KEY", instructor_key(&room));
    let reissued = run(cmd).await;
    assert!(reissued.status.success(), "{}", said(&reissued));
    let one_time = String::from_utf8_lossy(&reissued.stdout).trim().to_string();
    assert!(!said(&reissued).contains("warning"), "no warning without --key: {}", said(&reissued));
    assert!(String::from_utf8_lossy(&reissued.stderr).contains(&format!("walab join {server} --code {one_time}")));

    // A wrong instructor key makes nothing.
    let mut cmd = instructor.command();
    cmd.args(["room", "--server", &server, "--key", "wik_guessed", "reissue", "Grace"]);
    let wrong = run(cmd).await;
    assert_eq!(wrong.status.code(), Some(2), "{}", said(&wrong));
    assert!(said(&wrong).contains("warning: a key given with --key"), "{}", said(&wrong));

    // The new laptop joins with the code, in lower case.
    let laptop = Home::new();
    let moved =
        walab(&laptop, &["join", &server, "--code", &one_time.to_lowercase(), "--name", "Grace", "--json"]).await;
    assert!(moved.status.success(), "{}", said(&moved));
    let moved: JoinInfo = serde_json::from_slice(&moved.stdout).unwrap();
    assert_eq!(moved.account_id, old.account_id);
    assert_ne!(moved.access_key_id, old.access_key_id);

    // The old key is revoked; the new one works; the code worked once.
    let err = aws_sdk_cognitoidentityprovider::Client::new(&sdk(&old))
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .expect_err("the old key is revoked");
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
    let pools =
        aws_sdk_cognitoidentityprovider::Client::new(&sdk(&moved)).list_user_pools().max_results(10).send().await;
    assert_eq!(pools.unwrap().user_pools()[0].id(), Some(moved.user_pool_id.as_str()));
    assert_eq!(join_raw(&room, &one_time, "Grace").await.status(), 403, "a reissue code works once");

    // After a restart the new key still opens the account, the old one still does not.
    room.shutdown().await.unwrap();
    let room = open_room(dir.path()).await;
    let at = |info: &JoinInfo| JoinInfo { aws_endpoint_url: url(&room), ..info.clone() };
    let cognito = |info: &JoinInfo| aws_sdk_cognitoidentityprovider::Client::new(&sdk(&at(info)));
    cognito(&moved).list_user_pools().max_results(10).send().await.unwrap();
    cognito(&old).list_user_pools().max_results(10).send().await.unwrap_err();
    room.shutdown().await.unwrap();
}

async fn reissue_raw(room: &RunningLab, name: &str) -> String {
    let response = common::http()
        .post(format!("{}/_walab/room/reissue", url(room)))
        .bearer_auth(instructor_key(room))
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    answer["code"].as_str().unwrap().to_string()
}

/// Every byte the room wrote under `dir` (its database and write-ahead log).
fn bytes_under(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in files_under(dir) {
        all.extend(std::fs::read(entry).unwrap_or_default());
    }
    all
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(files_under(&path)) } else { files.push(path) }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reissue_code_survives_a_restart_and_still_works_once() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let old = join(&room, "Hedy").await;
    let one_time = reissue_raw(&room, "hedy").await;
    room.shutdown().await.unwrap();
    let written = bytes_under(dir.path());
    assert!(!written.is_empty());
    let plain = one_time.as_bytes();
    assert!(!written.windows(plain.len()).any(|w| w == plain), "the code itself is not on disk, only its hash");

    // Restarted, the room takes the code it made before (in lower case, as typed).
    let room = open_room(dir.path()).await;
    let moved = join_raw(&room, &one_time.to_lowercase(), "Hedy").await;
    assert_eq!(moved.status(), 200);
    let moved: JoinInfo = moved.json().await.unwrap();
    assert_eq!(moved.account_id, old.account_id);
    assert_ne!(moved.access_key_id, old.access_key_id);
    let at = |info: &JoinInfo| JoinInfo { aws_endpoint_url: url(&room), ..info.clone() };
    let cognito = |info: &JoinInfo| aws_sdk_cognitoidentityprovider::Client::new(&sdk(&at(info)));
    cognito(&moved).list_user_pools().max_results(10).send().await.unwrap();
    cognito(&old).list_user_pools().max_results(10).send().await.expect_err("the old key is revoked");
    room.shutdown().await.unwrap();

    // Used, it stays used across the next restart.
    let room = open_room(dir.path()).await;
    assert_eq!(join_raw(&room, &one_time, "Hedy").await.status(), 403, "a reissue code works once");
    room.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_forged_host_changes_no_url() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let base = url(&room);
    let response = common::http()
        .post(format!("{base}/_walab/room/join"))
        .header("host", "attacker.example:9$(touch /tmp/walab-pwned)")
        .json(&serde_json::json!({ "code": code(&room), "name": "Victor" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let victor: JoinInfo = response.json().await.unwrap();
    let edge = format!("http://127.0.0.1:{}/{}", room.endpoints().edge.port(), victor.account_id);
    let invoke = format!("http://127.0.0.1:{}/{}", room.endpoints().invoke.port(), victor.account_id);
    assert_eq!(victor.aws_endpoint_url, base);
    assert_eq!(victor.cloudfront_endpoint, format!("{edge}/?id=1"));
    assert_eq!(victor.api_gateway_url, format!("{invoke}/Dev/?id=1"));

    // The stack outputs, read with a forged Host too, are the room's own addresses.
    let described = common::http()
        .post(format!("{base}/"))
        .header("host", "attacker.example:9")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=DescribeStacks&Version=2010-05-15")
        .send()
        .await
        .unwrap();
    assert_eq!(described.status(), 403, "unsigned: refused before anything is read");
    let stacks = aws_sdk_cloudformation::Client::new(&sdk(&victor)).describe_stacks().send().await.unwrap();
    for output in stacks.stacks().iter().flat_map(|s| s.outputs()) {
        assert!(!output.output_value().unwrap_or_default().contains("attacker"), "{output:?}");
    }
    room.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_written_room_env_sourced_by_bash_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let home = Home::new();
    let joined = walab(&home, &["join", &url(&room), "--code", &code(&room), "--name", "Victor", "--json"]).await;
    assert!(joined.status.success(), "{}", said(&joined));
    let victor: JoinInfo = serde_json::from_slice(&joined.stdout).unwrap();
    let env = home.config.path().join("room.env");
    let printed = |env: &Path| {
        let script =
            format!(". '{}' && printf '%s\\n' \"$AWS_ENDPOINT_URL\" \"$AWS_SECRET_ACCESS_KEY\"", env.display());
        let out = std::process::Command::new("bash").args(["--norc", "-c", &script]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(printed(&env), format!("{}\n{}\n", victor.aws_endpoint_url, victor.secret_access_key.expose()));

    // Whatever a value holds, sourcing the file runs nothing of it.
    let canary = home.data.path().join("pwned");
    let hostile = format!("http://127.0.0.1:1$(touch {c})`touch {c}`;touch {c}\n'\"", c = canary.display());
    let dirs = walab::settings::Dirs { config: home.config.path().to_path_buf(), data: home.data.path().into() };
    let record = walab::attendee::JoinedRoom {
        server: url(&room),
        info: JoinInfo { aws_endpoint_url: hostile.clone(), ..victor.clone() },
    };
    walab::attendee::write(&dirs, &record).unwrap();
    assert_eq!(printed(&env), format!("{hostile}\n{}\n", victor.secret_access_key.expose()));
    assert!(!canary.exists(), "sourcing room.env ran a command");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["room.env", "room.json"] {
            let mode = std::fs::metadata(home.config.path().join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    room.shutdown().await.unwrap();
}

/// A Cognito request signed over `signed_body` (with `X-Amz-Content-Sha256` among the signed
/// headers, as an S3-minded client sends it) but carrying `sent_body`.
fn signed_request(info: &JoinInfo, signed_body: &[u8], sent_body: &'static [u8]) -> reqwest::RequestBuilder {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4::SigningParams;
    let url = format!("{}/", info.aws_endpoint_url);
    let host = info.aws_endpoint_url.trim_start_matches("http://").to_string();
    let hash = walab::locallab::machinery::sigv4::payload_hash(signed_body);
    let headers = [
        ("host", host.clone()),
        ("content-type", "application/x-amz-json-1.1".to_string()),
        ("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools".to_string()),
        ("x-amz-content-sha256", hash),
    ];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(signed_body),
    )
    .unwrap();
    let identity = Credentials::new(&info.access_key_id, info.secret_access_key.expose(), None, None, "test").into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-idp")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = common::http().post(&url).body(sent_body);
    for (name, value) in headers.iter().filter(|(k, _)| *k != "host") {
        request = request.header(*name, value);
    }
    for header in instructions.into_parts().0 {
        request = request.header(header.name(), header.value());
    }
    request
}

#[tokio::test]
async fn a_tampered_body_under_a_valid_signature_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let ada = join(&room, "Ada").await;
    let honest = signed_request(&ada, b"{\"MaxResults\":5}", b"{\"MaxResults\":5}").send().await.unwrap();
    assert_eq!(honest.status(), 200, "{}", honest.text().await.unwrap());
    let tampered = signed_request(&ada, b"{\"MaxResults\":5}", b"{\"MaxResults\":60}").send().await.unwrap();
    assert_eq!(tampered.status(), 403);
    let body: Value = tampered.json().await.unwrap();
    assert_eq!(body["__type"], "InvalidSignatureException", "{body}");

    // What the SDK sends (no content hash header) passes, as before.
    aws_sdk_cognitoidentityprovider::Client::new(&sdk(&ada)).list_user_pools().max_results(5).send().await.unwrap();
    room.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_outbox_shows_an_accounts_mail_only_to_that_account() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let ada = join(&room, "Ada").await;
    let bob = join(&room, "Bob").await;
    // Ada signs a user up: a confirmation mail in Ada's outbox.
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk(&ada));
    let described = cognito
        .describe_user_pool_client()
        .user_pool_id(&ada.user_pool_id)
        .client_id(&ada.app_client_id)
        .send()
        .await
        .unwrap();
    let secret = described.user_pool_client().and_then(|c| c.client_secret()).unwrap().to_string();
    let email = "ada-new-user@example.com";
    cognito
        .sign_up()
        .client_id(&ada.app_client_id)
        .username(email)
        .password("Ada-Pass-1234")
        .secret_hash(walab::token::secret_hash(email, &ada.app_client_id, &secret))
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email")
                .value(email)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let get = |url: String, accept: &'static str| async move {
        let response = common::http().get(url).header("accept", accept).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    let base = url(&room);
    for unsigned in [format!("{base}/_walab/outbox"), format!("{base}/_walab/outbox?client_id={}", ada.app_client_id)] {
        for accept in ["application/json", "text/html"] {
            let (status, body) = get(unsigned.clone(), accept).await;
            assert_eq!(status, 403, "{unsigned}");
            assert!(!body.contains(email), "{unsigned}: {body}");
        }
    }
    let link = |info: &JoinInfo| {
        walab::attendee::outbox_link(&walab::attendee::JoinedRoom { server: base.clone(), info: info.clone() }).unwrap()
    };
    let (status, body) = get(link(&ada), "application/json").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(email), "Ada's own link shows Ada's mail: {body}");
    let (status, body) = get(link(&bob), "text/html").await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains(email), "Bob's link shows none of Ada's mail");
    let forged = link(&ada).replace("X-Amz-Credential=", "X-Amz-Credential=x");
    assert_eq!(get(forged, "application/json").await.0, 403);
    room.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_codes_from_one_address_meet_a_429() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..40 {
        let response = join_raw(&room, &format!("WRONG-{i:04}"), "Mallory").await;
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses[0], 403);
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 429);
    let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // While throttled, the right code from that address waits too (no oracle for guesses).
    assert_eq!(join_raw(&room, &code(&room), "Mallory").await.status(), 429);
    // A minute later (the lab's clock), the address may try again.
    room.lab.clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(join_raw(&room, &code(&room).to_lowercase(), "Mallory").await.status(), 200);
    room.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_other_ports_keeps_every_attendees_check_working() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let server = url(&room);
    let (one, two) = (Home::new(), Home::new());
    for (home, name) in [(&one, "One"), (&two, "Two")] {
        let joined = walab(home, &["join", &server, "--code", &code(&room), "--name", name, "--json"]).await;
        assert!(joined.status.success(), "{}", said(&joined));
    }
    let solved = walab(&one, &["--target", "room", "solve", "--all", "--yes"]).await;
    assert!(solved.status.success(), "{}", said(&solved));
    let before_one = walab(&one, &["--target", "room", "check", "--json"]).await;
    let before_two = walab(&two, &["--target", "room", "check", "--json"]).await;
    let statuses = |out: &Output| {
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", said(out)));
        report["checks"].as_array().unwrap().iter().map(|c| (c["id"].clone(), c["status"].clone())).collect::<Vec<_>>()
    };
    assert_eq!(before_one.status.code(), Some(0), "{}", said(&before_one));
    let old_edge = room.endpoints().edge;
    room.shutdown().await.unwrap();

    // The same address for attendees, but the edge and invoke listeners on other ports.
    let aws = room_aws_addr(&server);
    let room = RunningLab::start(options(dir.path(), aws)).await.expect("the room restarts");
    assert_ne!(room.endpoints().edge, old_edge);
    let after_one = walab(&one, &["--target", "room", "check", "--json"]).await;
    let after_two = walab(&two, &["--target", "room", "check", "--json"]).await;
    assert_eq!(after_one.status.code(), Some(0), "{}", said(&after_one));
    assert_eq!(statuses(&after_one), statuses(&before_one));
    assert_eq!(after_two.status.code(), before_two.status.code(), "{}", said(&after_two));
    assert_eq!(statuses(&after_two), statuses(&before_two));
    let record: Value = serde_json::from_slice(&std::fs::read(one.config.path().join("room.json")).unwrap()).unwrap();
    let edge_port = room.endpoints().edge.port().to_string();
    assert!(record["cloudfront_endpoint"].as_str().unwrap().contains(&edge_port), "{record}");
    let env = std::fs::read_to_string(one.config.path().join("room.env")).unwrap();
    assert!(env.contains(&format!("export AWS_ENDPOINT_URL={}", url(&room))), "{env}");
    room.shutdown().await.unwrap();

    // On a wholly new address, the attendee joins again (signed by the key walab holds) and
    // gets the same account, with every URL new.
    let room = open_room(dir.path()).await;
    let rejoined = walab(&two, &["join", &url(&room), "--code", &code(&room), "--name", "Two", "--json"]).await;
    assert!(rejoined.status.success(), "{}", said(&rejoined));
    let info: JoinInfo = serde_json::from_slice(&rejoined.stdout).unwrap();
    assert_eq!(info.aws_endpoint_url, url(&room));
    assert!(info.cloudfront_endpoint.contains(&room.endpoints().edge.port().to_string()));
    let again_two = walab(&two, &["--target", "room", "check", "--json"]).await;
    assert_eq!(statuses(&again_two), statuses(&before_two));
    room.shutdown().await.unwrap();
}

fn room_aws_addr(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

#[test]
fn walab_room_finds_a_room_on_this_machine_whatever_its_state_dir() {
    use std::io::BufRead;
    let home = Home::new();
    let state = tempfile::tempdir().unwrap();
    let mut serve = home.command();
    serve
        .args(["serve", "--room", "--listen", "127.0.0.1:0", "--json", "--state-dir"])
        .arg(state.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = serve.spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let line: Value = serde_json::from_str(&first).unwrap();
    let aws = line["aws_endpoint_url"].as_str().unwrap().to_string();
    assert!(aws.starts_with("http://127.0.0.1:"), "{line}");

    let snapshot = home.command().args(["room", "--json"]).output().unwrap();
    let registry = home.data.path().join("rooms");
    let entries: Vec<_> = std::fs::read_dir(&registry).unwrap().flatten().collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(snapshot.status.success(), "{}", said(&snapshot));
    let snapshot: Value = serde_json::from_slice(&snapshot.stdout).unwrap();
    assert!(snapshot["attendees"].is_array(), "{snapshot}");
    assert_eq!(entries.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(entries[0].metadata().unwrap().permissions().mode() & 0o777, 0o600);
    }
    let entry = std::fs::read_to_string(entries[0].path()).unwrap();
    assert!(!entry.contains("wik_"), "the registry names where the key is, not the key: {entry}");
}

#[tokio::test]
async fn behind_nat_every_url_uses_the_advertised_host() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path(), ([127, 0, 0, 1], 0).into());
    if let Some(room) = options.room.as_mut() {
        room.advertise = Some("walab-room.example".into());
    }
    let room = RunningLab::start(options).await.unwrap();
    let ada = join(&room, "Ada").await;
    let ports = room.endpoints();
    assert_eq!(ada.aws_endpoint_url, format!("http://walab-room.example:{}", ports.aws.port()));
    let edge = format!("http://walab-room.example:{}/{}/?id=1", ports.edge.port(), ada.account_id);
    assert_eq!(ada.cloudfront_endpoint, edge);
    assert!(ada.api_gateway_url.starts_with(&format!("http://walab-room.example:{}/", ports.invoke.port())));
    room.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_whose_clock_is_off_is_told_why_its_rejoin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let room = open_room(dir.path()).await;
    let home = Home::new();
    let joined = walab(&home, &["join", &url(&room), "--code", &code(&room), "--name", "Lin", "--json"]).await;
    assert!(joined.status.success(), "{}", said(&joined));
    // The room's clock moves an hour on: the laptop's signature is now from the past.
    room.lab.clock.advance(std::time::Duration::from_secs(3600));
    let again = walab(&home, &["join", &url(&room), "--code", &code(&room), "--name", "Lin"]).await;
    assert_eq!(again.status.code(), Some(2), "{}", said(&again));
    assert!(said(&again).contains("that name is taken") && said(&again).contains("clock"), "{}", said(&again));
    room.shutdown().await.unwrap();
}
