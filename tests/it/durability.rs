//! Acknowledged means durable: `walab serve` killed with SIGKILL in the middle of a stream of
//! writes comes back with every change it acknowledged, and a store that refuses a write makes
//! the call fail with a 5xx and leaves the lab as it was.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::common::TestLab;
use aws_sdk_apigateway::types::AuthorizerType;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use tokio::sync::mpsc;

/// Every change the lab acknowledged, by kind.
#[derive(Debug, Default, Clone)]
struct Acknowledged {
    users: BTreeSet<String>,
    /// Authorizers created (id → name) and those deleted afterwards.
    authorizers: BTreeMap<String, String>,
    deleted: BTreeSet<String>,
    /// Deletes sent and not answered when the lab died: either outcome is right.
    deleting: BTreeSet<String>,
    /// The distribution's last acknowledged ETag and the comment it carries.
    distribution: Option<(String, String)>,
    /// The comment of an update sent and not answered when the lab died.
    updating: Option<String>,
}

enum Ack {
    User(String),
    Authorizer(String, String),
    Deleting(String),
    Deleted(String),
    Updating(String),
    Distribution(String, String),
}

impl Acknowledged {
    fn record(&mut self, ack: Ack) {
        match ack {
            Ack::User(u) => {
                self.users.insert(u);
            }
            Ack::Authorizer(id, name) => {
                self.authorizers.insert(id, name);
            }
            Ack::Deleting(id) => {
                self.deleting.insert(id);
            }
            Ack::Deleted(id) => {
                self.deleting.remove(&id);
                self.deleted.insert(id);
            }
            Ack::Updating(comment) => self.updating = Some(comment),
            Ack::Distribution(etag, comment) => {
                self.updating = None;
                self.distribution = Some((etag, comment));
            }
        }
    }
}

struct Served {
    child: Child,
    info: walab::locallab::LabInfo,
}

fn serve(dir: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_walab"))
        .args(["serve", "--listen", "127.0.0.1:0", "--json", "--invalidation-secs", "0", "--deploy-secs", "0"])
        .arg("--state-dir")
        .arg(dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start walab serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the JSON line");
    let info = serde_json::from_str(&line).unwrap_or_else(|e| panic!("first line is the lab's JSON ({e}): {line}"));
    Served { child, info }
}

async fn client_secret(sdk: &aws_config::SdkConfig, info: &walab::locallab::LabInfo) -> String {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let described = cognito
        .describe_user_pool_client()
        .user_pool_id(&info.user_pool_id)
        .client_id(&info.app_client_id)
        .send()
        .await
        .expect("describe the client");
    described.user_pool_client().and_then(|c| c.client_secret()).expect("a secret").to_string()
}

/// Writes until told to stop (by the process dying), reporting each acknowledged change.
async fn write_forever(
    sdk: aws_config::SdkConfig,
    info: walab::locallab::LabInfo,
    round: usize,
    acks: mpsc::UnboundedSender<Ack>,
) {
    let secret = client_secret(&sdk, &info).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let apigateway = aws_sdk_apigateway::Client::new(&sdk);
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
    let api = apigateway.get_rest_apis().send().await.expect("apis").items()[0].id().expect("id").to_string();
    let pool_arn = format!("arn:aws:cognito-idp:us-east-1:000000000000:userpool/{}", info.user_pool_id);
    let distribution =
        cloudfront.list_distributions().send().await.expect("distributions").distribution_list().expect("list").items()
            [0]
        .id()
        .to_string();

    let sign_ups = {
        let (acks, info, secret) = (acks.clone(), info.clone(), secret.clone());
        async move {
            for i in 0.. {
                let email = format!("r{round}-u{i}@example.com");
                let hash = walab::token::secret_hash(&email, &info.app_client_id, &secret);
                let result = cognito
                    .sign_up()
                    .client_id(&info.app_client_id)
                    .secret_hash(hash)
                    .username(&email)
                    .password("Durable-Pass1!")
                    .send()
                    .await;
                match result {
                    Ok(_) => {
                        let _ = acks.send(Ack::User(email));
                    }
                    Err(_) => return,
                }
            }
        }
    };
    let authorizers = {
        let (acks, api) = (acks.clone(), api.clone());
        async move {
            for i in 0.. {
                let created = apigateway
                    .create_authorizer()
                    .rest_api_id(&api)
                    .name(format!("r{round}-a{i}"))
                    .r#type(AuthorizerType::CognitoUserPools)
                    .provider_arns(&pool_arn)
                    .identity_source("method.request.header.Authorization")
                    .send()
                    .await;
                let Ok(created) = created else { return };
                let id = created.id().unwrap_or_default().to_string();
                let _ = acks.send(Ack::Authorizer(id.clone(), created.name().unwrap_or_default().to_string()));
                if i % 2 == 1 {
                    let _ = acks.send(Ack::Deleting(id.clone()));
                    if apigateway.delete_authorizer().rest_api_id(&api).authorizer_id(&id).send().await.is_err() {
                        return;
                    }
                    let _ = acks.send(Ack::Deleted(id));
                }
            }
        }
    };
    let updates = async move {
        for i in 0.. {
            let Ok(current) = cloudfront.get_distribution_config().id(&distribution).send().await else { return };
            let mut config = current.distribution_config().expect("config").clone();
            let comment = format!("round {round}, update {i}");
            config.comment = comment.clone();
            let _ = acks.send(Ack::Updating(comment.clone()));
            let updated = cloudfront
                .update_distribution()
                .id(&distribution)
                .if_match(current.e_tag().unwrap_or_default())
                .distribution_config(config)
                .send()
                .await;
            let Ok(updated) = updated else { return };
            let _ = acks.send(Ack::Distribution(updated.e_tag().unwrap_or_default().to_string(), comment));
        }
    };
    tokio::join!(sign_ups, authorizers, updates);
}

/// Checks that the lab serving `info` holds every acknowledged change.
async fn holds(info: &walab::locallab::LabInfo, acked: &Acknowledged) {
    let sdk = common::sdk_config(&info.aws_endpoint_url);
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    for user in &acked.users {
        let found = cognito.admin_get_user().user_pool_id(&info.user_pool_id).username(user).send().await;
        assert!(found.is_ok(), "acknowledged sign-up {user} was lost");
    }
    let apigateway = aws_sdk_apigateway::Client::new(&sdk);
    let api = apigateway.get_rest_apis().send().await.unwrap().items()[0].id().unwrap().to_string();
    let present: BTreeSet<String> = apigateway
        .get_authorizers()
        .rest_api_id(&api)
        .limit(500)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|a| a.id().map(String::from))
        .collect();
    for (id, name) in &acked.authorizers {
        if acked.deleting.contains(id) {
            continue; // deleted or not: the delete was never answered
        }
        let expected = !acked.deleted.contains(id);
        assert_eq!(
            present.contains(id),
            expected,
            "authorizer {name}: acknowledged as {}",
            if expected { "created" } else { "deleted" }
        );
    }
    if let Some((etag, comment)) = &acked.distribution {
        let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
        let list = cloudfront.list_distributions().send().await.unwrap();
        let id = list.distribution_list().unwrap().items()[0].id().to_string();
        let config = cloudfront.get_distribution_config().id(&id).send().await.unwrap();
        let found = config.distribution_config().unwrap().comment();
        // The last update may have been saved without its answer reaching the client.
        if acked.updating.as_deref() != Some(found) {
            assert_eq!(config.e_tag(), Some(etag.as_str()), "the acknowledged ETag");
            assert_eq!(found, comment);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_that_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut acked = Acknowledged::default();
    for round in 0..3 {
        let Served { mut child, info } = serve(dir.path());
        holds(&info, &acked).await;

        let (tx, mut rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_forever(common::sdk_config(&info.aws_endpoint_url), info.clone(), round, tx));
        // Kill the lab once enough writes were acknowledged, with more in flight.
        let mut seen = 0;
        while seen < 40 {
            let Some(ack) = rx.recv().await else { break };
            seen += 1;
            acked.record(ack);
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        // What was acknowledged before the kill still counts; nothing after it can be.
        while let Ok(ack) = rx.try_recv() {
            acked.record(ack);
        }
        writer.abort();
        assert!(seen >= 40, "round {round}: the writers stopped early");
    }
    let Served { mut child, info } = serve(dir.path());
    holds(&info, &acked).await;
    assert!(acked.users.len() >= 10 && !acked.authorizers.is_empty() && acked.distribution.is_some(), "{acked:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[tokio::test]
async fn a_store_that_refuses_writes_fails_the_call_and_changes_nothing() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let api = lab.apigateway().get_rest_apis().send().await.unwrap().items()[0].id().unwrap().to_string();
    let secret = lab.client_secret().await;
    let users_before = lab.stored("cognito.user");
    lab.running.lab.store.refuse_writes();

    let created = lab
        .apigateway()
        .create_authorizer()
        .rest_api_id(&api)
        .name("not-kept")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(format!("arn:aws:cognito-idp:us-east-1:000000000000:userpool/{}", info.user_pool_id))
        .identity_source("method.request.header.Authorization")
        .send()
        .await;
    let err = created.expect_err("the authorizer cannot be saved");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
    assert_eq!(aws_sdk_apigateway::error::ProvideErrorMetadata::code(&err), Some("ServiceUnavailable"));
    let authorizers = lab.apigateway().get_authorizers().rest_api_id(&api).send().await.unwrap();
    assert!(authorizers.items().is_empty(), "nothing half-applied");

    let email = "refused@example.com";
    let hash = walab::token::secret_hash(email, &info.app_client_id, &secret);
    let signed_up = lab
        .cognito()
        .sign_up()
        .client_id(&info.app_client_id)
        .secret_hash(hash)
        .username(email)
        .password("Refused-Pass1!")
        .send()
        .await;
    let err = signed_up.expect_err("the sign-up cannot be saved");
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    let found = lab.cognito().admin_get_user().user_pool_id(&info.user_pool_id).username(email).send().await;
    assert_eq!(found.expect_err("no such user").code(), Some("UserNotFoundException"));
    assert!(lab.cognito().list_user_pools().max_results(10).send().await.is_ok(), "reads still work");
    assert_eq!(lab.stored("cognito.user"), users_before);
}

#[tokio::test]
async fn a_store_without_what_the_lab_needs_is_set_aside_and_the_lab_starts_afresh() {
    let lab = TestLab::start().await;
    let dir = lab.stop().await;
    // A database that opens and parses, but whose account lost its Cognito records.
    let db = rusqlite::Connection::open(dir.path().join("lab.sqlite3")).unwrap();
    db.execute("DELETE FROM records WHERE kind LIKE 'cognito.%'", []).unwrap();
    drop(db);
    let lab = TestLab::start_in(dir).await;
    assert!(
        lab.running.notices.iter().any(|n| n.contains("cannot use") && n.contains("moved to")),
        "{:?}",
        lab.running.notices
    );
    assert!(lab.running.lab.info().is_some(), "a fresh lab with its account");
    let kept = std::fs::read_dir(lab.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("unreadable"));
    assert_eq!(kept.count(), 1);
    lab.stop().await;
}
