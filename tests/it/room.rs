//! A room: one lab, an isolated account per attendee. Every attendee reaches only their own
//! account, whatever ids they guess; every signed call is checked as AWS checks SigV4; Cognito's
//! unsigned calls find their account by app client; and the room follows each attendee's
//! progress from what their account saw.

use crate::common::{self, apigw};

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_apigateway::types::AuthorizerType;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use serde_json::Value;
use walab::locallab::room::api::JoinInfo;
use walab::locallab::{LabOptions, RoomOptions, RunningLab, Timing};

struct Room {
    running: RunningLab,
    _dir: tempfile::TempDir,
}

impl Room {
    async fn open() -> Room {
        let dir = tempfile::tempdir().unwrap();
        let mut options = LabOptions::ephemeral(dir.path());
        options.timing = Timing::INSTANT;
        options.room = Some(RoomOptions {
            max_attendees: 4,
            keys_ahead: 0,
            signing_keys: vec![common::signing_key()],
            advertise: None,
        });
        let running = RunningLab::start(options).await.expect("the room starts");
        Room { running, _dir: dir }
    }

    fn url(&self) -> String {
        self.running.endpoints().aws_endpoint_url()
    }

    fn code(&self) -> String {
        self.running.lab.room.as_ref().unwrap().keys.code.expose().to_string()
    }

    fn instructor_key(&self) -> String {
        self.running.lab.room.as_ref().unwrap().keys.instructor_key.expose().to_string()
    }

    async fn join_as(&self, code: &str, name: &str) -> reqwest::Response {
        common::http()
            .post(format!("{}/_walab/room/join", self.url()))
            .json(&serde_json::json!({ "code": code, "name": name }))
            .send()
            .await
            .unwrap()
    }

    async fn join(&self, name: &str) -> JoinInfo {
        let response = self.join_as(&self.code(), name).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn snapshot(&self) -> Value {
        common::http()
            .get(format!("{}/_walab/room", self.url()))
            .bearer_auth(self.instructor_key())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// SDK configuration with the credentials the room issued (or any others).
fn sdk(endpoint: &str, key: &str, secret: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(key, secret, None, None, "room-test")))
        .retry_config(RetryConfig::disabled())
        .build()
}

fn as_attendee(info: &JoinInfo) -> SdkConfig {
    sdk(&info.aws_endpoint_url, &info.access_key_id, info.secret_access_key.expose())
}

async fn api_id(config: &SdkConfig) -> String {
    let apis = aws_sdk_apigateway::Client::new(config).get_rest_apis().send().await.unwrap();
    apis.items()[0].id().unwrap().to_string()
}

/// The attendee's app client secret, read as the attendee.
async fn client_secret_of(info: &JoinInfo) -> String {
    aws_sdk_cognitoidentityprovider::Client::new(&as_attendee(info))
        .describe_user_pool_client()
        .user_pool_id(&info.user_pool_id)
        .client_id(&info.app_client_id)
        .send()
        .await
        .unwrap()
        .user_pool_client()
        .unwrap()
        .client_secret()
        .unwrap()
        .to_string()
}

async fn distribution_id(config: &SdkConfig) -> String {
    let list = aws_sdk_cloudfront::Client::new(config).list_distributions().send().await.unwrap();
    list.distribution_list().unwrap().items()[0].id().to_string()
}

#[tokio::test]
async fn joining_gives_each_attendee_their_own_account_once() {
    let room = Room::open().await;
    let ada = room.join("Ada Lovelace").await;
    let bob = room.join("Bob").await;
    assert_ne!(ada.account_id, bob.account_id);
    assert_ne!(ada.user_pool_id, bob.user_pool_id);
    assert_ne!(ada.cloudfront_endpoint, bob.cloudfront_endpoint);
    assert!(ada.cloudfront_endpoint.contains(&ada.account_id), "{}", ada.cloudfront_endpoint);

    // The same name again, whatever its case, from anyone but Ada's own walab: refused.
    let again = room.join_as(&room.code(), "  ada lovelace").await;
    assert_eq!(again.status(), 409);

    let wrong = room.join_as("NOPE-NOPE", "Eve").await;
    assert_eq!(wrong.status(), 403);
    let body: Value = wrong.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("code"), "{body}");

    // The stack outputs are the attendee's own, and their URLs work as they are.
    let stacks = aws_sdk_cloudformation::Client::new(&as_attendee(&ada)).describe_stacks().send().await.unwrap();
    let outputs: Vec<(String, String)> = stacks
        .stacks()
        .iter()
        .flat_map(|s| s.outputs())
        .map(|o| (o.output_key().unwrap().to_string(), o.output_value().unwrap().to_string()))
        .collect();
    assert!(outputs.contains(&("CognitoUserPoolID".to_string(), ada.user_pool_id.clone())));
    assert!(outputs.contains(&("CloudFrontEndpoint".to_string(), ada.cloudfront_endpoint.clone())));
    let trap = common::http().get(&ada.cloudfront_endpoint).send().await.unwrap();
    assert_eq!(trap.status(), 200, "the trap's cached 200 is in every new account");
    assert_eq!(trap.headers()["x-cache"], "Hit from cloudfront");
    let direct = common::http().get(&ada.api_gateway_url).send().await.unwrap();
    assert_eq!(direct.status(), 403, "WAF refuses the API's own URL");

    // Past the cap, a clear refusal.
    room.join("Carol").await;
    room.join("Dan").await;
    let full = room.join_as(&room.code(), "Erin").await;
    assert_eq!(full.status(), 409);
}

#[tokio::test]
async fn no_attendee_reaches_another_attendees_resources() {
    let room = Room::open().await;
    let ada = room.join("Ada").await;
    let bob = room.join("Bob").await;
    let as_ada = as_attendee(&ada);
    let as_bob = as_attendee(&bob);

    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&as_ada);
    let err = cognito
        .describe_user_pool_client()
        .user_pool_id(&bob.user_pool_id)
        .client_id(&bob.app_client_id)
        .send()
        .await
        .expect_err("Bob's pool is not in Ada's account");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    let pools = cognito.list_user_pools().max_results(60).send().await.unwrap();
    assert_eq!(pools.user_pools().len(), 1);
    assert_eq!(pools.user_pools()[0].id(), Some(ada.user_pool_id.as_str()));
    let err = cognito
        .admin_get_user()
        .user_pool_id(&bob.user_pool_id)
        .username(&bob.demo_user.username)
        .send()
        .await
        .expect_err("Bob's users are not Ada's");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));

    let bob_api = api_id(&as_bob).await;
    let apigateway = aws_sdk_apigateway::Client::new(&as_ada);
    let err = apigateway.get_authorizers().rest_api_id(&bob_api).send().await.expect_err("Bob's API");
    assert_eq!(aws_sdk_apigateway::error::ProvideErrorMetadata::code(&err), Some("NotFoundException"));
    let err = apigateway
        .create_deployment()
        .rest_api_id(&bob_api)
        .stage_name("Dev")
        .send()
        .await
        .expect_err("Ada cannot deploy Bob's API");
    assert_eq!(aws_sdk_apigateway::error::ProvideErrorMetadata::code(&err), Some("NotFoundException"));
    assert_eq!(apigateway.get_rest_apis().send().await.unwrap().items().len(), 1);

    let bob_distribution = distribution_id(&as_bob).await;
    let cloudfront = aws_sdk_cloudfront::Client::new(&as_ada);
    let err = cloudfront.get_distribution_config().id(&bob_distribution).send().await.expect_err("Bob's distribution");
    assert_eq!(aws_sdk_cloudfront::error::ProvideErrorMetadata::code(&err), Some("NoSuchDistribution"));
    let err = cloudfront
        .create_invalidation()
        .distribution_id(&bob_distribution)
        .invalidation_batch(
            aws_sdk_cloudfront::types::InvalidationBatch::builder()
                .caller_reference("x")
                .paths(aws_sdk_cloudfront::types::Paths::builder().quantity(1).items("/*").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect_err("Ada cannot invalidate Bob's cache");
    assert_eq!(aws_sdk_cloudfront::error::ProvideErrorMetadata::code(&err), Some("NoSuchDistribution"));

    // Bob's edge and invoke URLs under Ada's account path lead nowhere of Bob's.
    let crossed = bob.cloudfront_endpoint.replace(&bob.account_id, &ada.account_id);
    assert_eq!(crossed, ada.cloudfront_endpoint);
    let nobody = bob.cloudfront_endpoint.replace(&bob.account_id, "999999999999");
    assert_eq!(common::http().get(nobody).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn an_attendees_token_is_refused_at_another_attendees_edge() {
    let room = Room::open().await;
    let ada = room.join("Ada").await;
    let bob = room.join("Bob").await;
    let as_bob = as_attendee(&bob);
    let bob_pool_arn = format!("arn:aws:cognito-idp:us-east-1:{}:userpool/{}", bob.account_id, bob.user_pool_id);
    // Bob protects his API and lets the token through his distribution.
    let apigateway = aws_sdk_apigateway::Client::new(&as_bob);
    let api = apigw::api_via(&apigateway).await;
    apigw::protect_api(&apigateway, &api, &bob_pool_arn).await;
    apigateway.create_deployment().rest_api_id(&api.id).stage_name("Dev").send().await.unwrap();
    let cloudfront = aws_sdk_cloudfront::Client::new(&as_bob);
    let id = distribution_id(&as_bob).await;
    let current = cloudfront.get_distribution_config().id(&id).send().await.unwrap();
    let mut config = current.distribution_config().unwrap().clone();
    #[allow(deprecated)]
    if let Some(forwarded) = config.default_cache_behavior.as_mut().and_then(|b| b.forwarded_values.as_mut()) {
        forwarded.headers =
            Some(aws_sdk_cloudfront::types::Headers::builder().quantity(1).items("Authorization").build().unwrap());
    }
    cloudfront
        .update_distribution()
        .id(&id)
        .if_match(current.e_tag().unwrap())
        .distribution_config(config)
        .send()
        .await
        .unwrap();

    let token_of = |info: &JoinInfo| {
        let info = info.clone();
        async move {
            let secret = client_secret_of(&info).await;
            let hash = walab::token::secret_hash(&info.demo_user.username, &info.app_client_id, &secret);
            // InitiateAuth is unsigned: the room finds the account by the app client.
            let anonymous = sdk(&info.aws_endpoint_url, "AKIDNOBODY", "nothing");
            let auth = aws_sdk_cognitoidentityprovider::Client::new(&anonymous)
                .admin_initiate_auth()
                .user_pool_id(&info.user_pool_id)
                .client_id(&info.app_client_id)
                .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::AdminUserPasswordAuth)
                .auth_parameters("USERNAME", &info.demo_user.username)
                .auth_parameters("PASSWORD", info.demo_user.password.expose())
                .auth_parameters("SECRET_HASH", hash)
                .send()
                .await;
            assert_eq!(
                auth.expect_err("AdminInitiateAuth is signed: unknown keys are refused").code(),
                Some("UnrecognizedClientException")
            );
            let auth = aws_sdk_cognitoidentityprovider::Client::new(&as_attendee(&info))
                .admin_initiate_auth()
                .user_pool_id(&info.user_pool_id)
                .client_id(&info.app_client_id)
                .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::AdminUserPasswordAuth)
                .auth_parameters("USERNAME", &info.demo_user.username)
                .auth_parameters("PASSWORD", info.demo_user.password.expose())
                .auth_parameters(
                    "SECRET_HASH",
                    walab::token::secret_hash(&info.demo_user.username, &info.app_client_id, &secret),
                )
                .send()
                .await
                .unwrap();
            auth.authentication_result().unwrap().id_token().unwrap().to_string()
        }
    };
    let ada_token = token_of(&ada).await;
    let bob_token = token_of(&bob).await;
    let get = |token: &str| common::http().get(&bob.cloudfront_endpoint).header("authorization", token).send();
    assert_eq!(get(&ada_token).await.unwrap().status(), 401, "Ada's token at Bob's edge");
    assert_eq!(get(&bob_token).await.unwrap().status(), 200, "Bob's token at Bob's edge");
}

#[tokio::test]
async fn signed_calls_are_checked_as_aws_checks_sigv4() {
    let room = Room::open().await;
    let ada = room.join("Ada").await;
    let url = room.url();

    // An access key the room never issued.
    let stranger = sdk(&url, "AKIAUNKNOWNKEY000000", "whatever");
    let err = aws_sdk_cognitoidentityprovider::Client::new(&stranger)
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .expect_err("unknown key");
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = aws_sdk_cloudformation::Client::new(&stranger).describe_stacks().send().await.expect_err("unknown key");
    assert_eq!(aws_sdk_cloudformation::error::ProvideErrorMetadata::code(&err), Some("InvalidClientTokenId"));
    let err = aws_sdk_cloudfront::Client::new(&stranger).list_distributions().send().await.expect_err("unknown key");
    assert_eq!(aws_sdk_cloudfront::error::ProvideErrorMetadata::code(&err), Some("InvalidClientTokenId"));
    let err = aws_sdk_apigateway::Client::new(&stranger).get_rest_apis().send().await.expect_err("unknown key");
    assert_eq!(aws_sdk_apigateway::error::ProvideErrorMetadata::code(&err), Some("UnrecognizedClientException"));

    // The right key with the wrong secret.
    let forger = sdk(&url, &ada.access_key_id, "not-the-secret-the-room-issued");
    let err = aws_sdk_cognitoidentityprovider::Client::new(&forger)
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .expect_err("wrong secret");
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert!(err.message().unwrap().contains("does not match"), "{:?}", err.message());
    let err = aws_sdk_cloudformation::Client::new(&forger).describe_stacks().send().await.expect_err("wrong secret");
    assert_eq!(aws_sdk_cloudformation::error::ProvideErrorMetadata::code(&err), Some("SignatureDoesNotMatch"));
    let err = aws_sdk_cloudfront::Client::new(&forger).list_distributions().send().await.expect_err("wrong secret");
    assert_eq!(aws_sdk_cloudfront::error::ProvideErrorMetadata::code(&err), Some("SignatureDoesNotMatch"));

    // No signature at all where AWS needs one.
    let http = common::http();
    let unsigned = http
        .post(&url)
        .header("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools")
        .header("content-type", "application/x-amz-json-1.1")
        .body("{\"MaxResults\": 10}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(unsigned.headers()["x-amzn-errortype"], "MissingAuthenticationTokenException");
    let unsigned = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=DescribeStacks&Version=2010-05-15")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    assert!(unsigned.text().await.unwrap().contains("<Code>MissingAuthenticationToken</Code>"));

    // A clock 16 minutes off: refused with AWS's words; the lab's clock moves, nothing sleeps.
    room.running.lab.clock.advance(Duration::from_secs(16 * 60));
    let err = aws_sdk_cognitoidentityprovider::Client::new(&as_attendee(&ada))
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .expect_err("skewed");
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert!(err.message().unwrap().starts_with("Signature expired:"), "{:?}", err.message());
    let err =
        aws_sdk_cloudformation::Client::new(&as_attendee(&ada)).describe_stacks().send().await.expect_err("skewed");
    assert_eq!(aws_sdk_cloudformation::error::ProvideErrorMetadata::code(&err), Some("RequestExpired"));
}

#[tokio::test]
async fn unsigned_cognito_calls_find_their_account_by_app_client() {
    let room = Room::open().await;
    let _ada = room.join("Ada").await;
    let bob = room.join("Bob").await;
    let anonymous = sdk(&room.url(), "AKIDANYONE", "anything");
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&anonymous);
    // SignUp is unsigned: Bob's client id leads to Bob's pool, and only there.
    let secret = client_secret_of(&bob).await;
    let email = "bobs.friend@example.com";
    cognito
        .sign_up()
        .client_id(&bob.app_client_id)
        .secret_hash(walab::token::secret_hash(email, &bob.app_client_id, &secret))
        .username(email)
        .password("Friend-Pass1!")
        .send()
        .await
        .unwrap();
    let found = aws_sdk_cognitoidentityprovider::Client::new(&as_attendee(&bob))
        .admin_get_user()
        .user_pool_id(&bob.user_pool_id)
        .username(email)
        .send()
        .await
        .unwrap();
    assert_eq!(found.user_status().map(|s| s.as_str()), Some("UNCONFIRMED"));
    let err = cognito
        .sign_up()
        .client_id("nosuchclient0000000000000")
        .username(email)
        .password("Friend-Pass1!")
        .send()
        .await
        .expect_err("no such client");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn the_instructor_key_is_needed_to_read_the_room() {
    let room = Room::open().await;
    room.join("Ada").await;
    let refused =
        common::http().get(format!("{}/_walab/room", room.url())).bearer_auth("wik_guessed").send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let snapshot = room.snapshot().await;
    assert_eq!(snapshot["attendees"][0]["name"], "Ada");
    // Judged from the account as section 5 begins: 5.2's three hold; nothing requested yet.
    assert_eq!(snapshot["attendees"][0]["passed"], 3, "{snapshot}");
    assert_eq!(snapshot["attendees"][0]["checks"].as_object().unwrap().len(), 12);
}

/// `walab` as an attendee on their own machine: their own config and data, nothing inherited.
fn walab_as_attendee(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_walab"));
    cmd.env("WALAB_CONFIG_DIR", home.join("config"))
        .env("WALAB_DATA_DIR", home.join("data"))
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for var in ["WALAB_TARGET", "WALAB_USERNAME", "WALAB_PASSWORD", "AWS_PROFILE", "AWS_ENDPOINT_URL"] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("run walab")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_follows_each_attendee_from_what_their_account_saw() {
    let room = Room::open().await;
    let (url, code) = (room.url(), room.code());
    // One does the whole section with walab, as an attendee would: join, solve, check.
    let one = tempfile::tempdir().unwrap();
    let home = one.path().to_path_buf();
    let outputs = tokio::task::spawn_blocking(move || {
        let joined = walab_as_attendee(&home, &["join", &url, "--code", &code, "--name", "One", "--json"]);
        let solved = walab_as_attendee(&home, &["--target", "room", "solve", "--all", "--yes"]);
        let checked = walab_as_attendee(&home, &["--target", "room", "check"]);
        (joined, solved, checked)
    })
    .await
    .unwrap();
    let (joined, solved, checked) = outputs;
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let info: Value = serde_json::from_slice(&joined.stdout).expect("join --json prints one object");
    for key in ["name", "account_id", "access_key_id", "secret_access_key", "aws_endpoint_url", "user_pool_id"] {
        assert!(info[key].is_string(), "{key}");
    }
    assert!(
        solved.status.success(),
        "{}{}",
        String::from_utf8_lossy(&solved.stdout),
        String::from_utf8_lossy(&solved.stderr)
    );
    let checked_out = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success() && checked_out.contains("12 of 12"), "{checked_out}");

    // Two only creates the authorizer, with the SDK; Three does nothing.
    let two = room.join("Two").await;
    let as_two = as_attendee(&two);
    aws_sdk_apigateway::Client::new(&as_two)
        .create_authorizer()
        .rest_api_id(api_id(&as_two).await)
        .name("mine")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(format!("arn:aws:cognito-idp:us-east-1:{}:userpool/{}", two.account_id, two.user_pool_id))
        .identity_source("method.request.header.Authorization")
        .send()
        .await
        .unwrap();
    room.join("Three").await;

    let snapshot = room.snapshot().await;
    let attendees = snapshot["attendees"].as_array().unwrap();
    let by_name = |name: &str| attendees.iter().find(|a| a["name"] == name).unwrap().clone();
    let one = by_name("One");
    assert_eq!(one["passed"], 12, "{one}");
    assert!(one["checks"].as_object().unwrap().values().all(|s| s == "passed"), "{one}");
    assert_eq!(one["step"], "done");
    let two = by_name("Two");
    assert_eq!(two["passed"], 4, "{two}");
    assert_eq!(two["checks"]["authorizer-created"], "passed");
    assert_eq!(two["checks"]["method-protected"], "failed");
    assert_eq!(two["step"], "5.3");
    assert_eq!(two["stuck"]["check"], "method-protected");
    assert!(two["stuck"]["summary"].as_str().unwrap().contains("authorization NONE"), "{two}");
    let three = by_name("Three");
    assert_eq!(three["passed"], 3);
    assert_eq!(three["checks"]["authorizer-created"], "failed");
    assert_eq!(three["checks"]["unauthenticated-401"], "pending", "never requested: {three}");
    assert_eq!(three["stuck"]["check"], "authorizer-created");
}

/// The dashboard and the attendee's own `walab check` judge the same account with the same
/// definitions, so they agree on every check, however the account is configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_agrees_with_the_attendees_walab_check() {
    let room = Room::open().await;
    let (url, code) = (room.url(), room.code());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let joined = {
        let home = home.clone();
        tokio::task::spawn_blocking(move || {
            walab_as_attendee(&home, &["join", &url, "--code", &code, "--name", "Eve", "--json"])
        })
        .await
        .unwrap()
    };
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let info: Value = serde_json::from_slice(&joined.stdout).unwrap();
    let text = |key: &str| info[key].as_str().unwrap().to_string();
    let as_eve = sdk(&text("aws_endpoint_url"), &text("access_key_id"), &text("secret_access_key"));
    let apigw = aws_sdk_apigateway::Client::new(&as_eve);
    let api = api_id(&as_eve).await;

    let agree = |stage: &'static str| {
        let home = home.clone();
        let room = &room;
        async move {
            let checked =
                tokio::task::spawn_blocking(move || walab_as_attendee(&home, &["--target", "room", "check", "--json"]))
                    .await
                    .unwrap();
            let report: Value = serde_json::from_slice(&checked.stdout).expect("check --json");
            let snapshot = room.snapshot().await;
            let eve = snapshot["attendees"].as_array().unwrap().iter().find(|a| a["name"] == "Eve").unwrap().clone();
            for check in report["checks"].as_array().unwrap() {
                let id = check["id"].as_str().unwrap();
                let walab = match check["status"].as_str().unwrap() {
                    "skipped" => "failed",
                    other => other,
                };
                assert_eq!(eve["checks"][id], walab, "{stage}: {id}: walab says {check}, the room {eve}");
            }
            report["passed"].as_u64().unwrap()
        }
    };
    assert_eq!(agree("fresh").await, 5);
    // An authorizer whose token source names the header in lower case: headers have no case.
    let authorizer = apigw
        .create_authorizer()
        .rest_api_id(&api)
        .name("lower")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(format!(
            "arn:aws:cognito-idp:us-east-1:{}:userpool/{}",
            text("account_id"),
            text("user_pool_id")
        ))
        .identity_source("method.request.header.authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(agree("authorizer in lower case").await, 6);
    // Protected but not deployed: the classic mistake.
    let resources = apigw.get_resources().rest_api_id(&api).send().await.unwrap();
    let root = resources.items().iter().find(|r| r.path() == Some("/")).and_then(|r| r.id()).unwrap().to_string();
    let replace = |path: &str, value: &str| {
        aws_sdk_apigateway::types::PatchOperation::builder()
            .op(aws_sdk_apigateway::types::Op::Replace)
            .path(path)
            .value(value)
            .build()
    };
    apigw
        .update_method()
        .rest_api_id(&api)
        .resource_id(&root)
        .http_method("GET")
        .patch_operations(replace("/authorizationType", "COGNITO_USER_POOLS"))
        .patch_operations(replace("/authorizerId", authorizer.id().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(agree("protected, not deployed").await, 7);
    apigw.create_deployment().rest_api_id(&api).stage_name("Dev").send().await.unwrap();
    assert_eq!(agree("deployed").await, 8);
    let home_solve = home.clone();
    let solved = tokio::task::spawn_blocking(move || {
        walab_as_attendee(&home_solve, &["--target", "room", "solve", "forward-header", "--yes"])
    })
    .await
    .unwrap();
    assert!(solved.status.success(), "{}", String::from_utf8_lossy(&solved.stderr));
    assert_eq!(agree("forwarded").await, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attendees_teardown_deletes_their_own_stacks_and_no_one_elses() {
    let room = Room::open().await;
    let (url, code) = (room.url(), room.code());
    let other = room.join("Other").await;
    let as_other = as_attendee(&other);
    let other_api = api_id(&as_other).await;
    let other_distribution = distribution_id(&as_other).await;

    let one = tempfile::tempdir().unwrap();
    let home = one.path().to_path_buf();
    let (joined, torn_down, checked) = tokio::task::spawn_blocking(move || {
        let joined = walab_as_attendee(&home, &["join", &url, "--code", &code, "--name", "One", "--json"]);
        let torn_down = walab_as_attendee(&home, &["--target", "room", "solve", "teardown"]);
        let checked = walab_as_attendee(&home, &["--target", "room", "check", "--teardown"]);
        (joined, torn_down, checked)
    })
    .await
    .unwrap();
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let said = format!("{}{}", String::from_utf8_lossy(&torn_down.stdout), String::from_utf8_lossy(&torn_down.stderr));
    assert!(torn_down.status.success(), "{said}");
    let checked_out = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{checked_out}{}", String::from_utf8_lossy(&checked.stderr));
    assert!(checked_out.contains("stack-cdn-deleted") && checked_out.contains("stack-api-deleted"), "{checked_out}");

    // One's account has neither stack nor pool left.
    let info: Value = serde_json::from_slice(&joined.stdout).unwrap();
    let text = |key: &str| info[key].as_str().unwrap().to_string();
    let as_one = sdk(&text("aws_endpoint_url"), &text("access_key_id"), &text("secret_access_key"));
    let stacks = aws_sdk_cloudformation::Client::new(&as_one).describe_stacks().send().await.unwrap();
    assert!(stacks.stacks().is_empty(), "{stacks:?}");
    let pool = aws_sdk_cognitoidentityprovider::Client::new(&as_one)
        .describe_user_pool()
        .user_pool_id(text("user_pool_id"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(pool.code(), Some("ResourceNotFoundException"));

    // The other attendee's lab is whole: stacks, pool, API and distribution, and its edge serves.
    let stacks = aws_sdk_cloudformation::Client::new(&as_other).describe_stacks().send().await.unwrap();
    assert_eq!(stacks.stacks().len(), 2, "{stacks:?}");
    aws_sdk_cognitoidentityprovider::Client::new(&as_other)
        .describe_user_pool()
        .user_pool_id(&other.user_pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(api_id(&as_other).await, other_api);
    assert_eq!(distribution_id(&as_other).await, other_distribution);
    let edge = common::http().get(&other.cloudfront_endpoint).send().await.unwrap();
    assert_eq!(edge.status(), 200);
}

#[tokio::test]
async fn password_calls_find_the_attendees_account_by_client_or_token() {
    use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
    let room = Room::open().await;
    let ada = room.join("Ada").await;
    let bob = room.join("Bob").await;
    let anonymous = aws_sdk_cognitoidentityprovider::Client::new(&sdk(&room.url(), "AKIDANYONE", "anything"));
    let sign_in = |who: &JoinInfo, password: String| {
        let who = who.clone();
        async move {
            let cognito = aws_sdk_cognitoidentityprovider::Client::new(&as_attendee(&who));
            let described = cognito
                .describe_user_pool_client()
                .user_pool_id(&who.user_pool_id)
                .client_id(&who.app_client_id)
                .send()
                .await
                .unwrap();
            let secret = described.user_pool_client().and_then(|c| c.client_secret()).unwrap().to_string();
            let user = &who.demo_user.username;
            cognito
                .admin_initiate_auth()
                .user_pool_id(&who.user_pool_id)
                .client_id(&who.app_client_id)
                .auth_flow(AuthFlowType::AdminUserPasswordAuth)
                .auth_parameters("USERNAME", user)
                .auth_parameters("PASSWORD", password)
                .auth_parameters("SECRET_HASH", walab::token::secret_hash(user, &who.app_client_id, &secret))
                .send()
                .await
                .map(|out| out.authentication_result().and_then(|r| r.access_token()).unwrap().to_string())
        }
    };
    // ChangePassword is unsigned: Bob's access token leads to Bob's pool.
    let access = sign_in(&bob, bob.demo_user.password.expose().to_string()).await.unwrap();
    anonymous
        .change_password()
        .access_token(&access)
        .previous_password(bob.demo_user.password.expose())
        .proposed_password("Bobs-New-Pass-3")
        .send()
        .await
        .unwrap();
    sign_in(&bob, "Bobs-New-Pass-3".into()).await.unwrap();
    assert!(sign_in(&bob, bob.demo_user.password.expose().to_string()).await.is_err());
    sign_in(&ada, ada.demo_user.password.expose().to_string()).await.unwrap();
    // ConfirmForgotPassword with Bob's client id reaches Bob's client, whose secret hash it
    // checks (not a missing client); a client id no attendee has reaches nobody's.
    let bad_hash = anonymous
        .confirm_forgot_password()
        .client_id(&bob.app_client_id)
        .username(&bob.demo_user.username)
        .secret_hash("irrelevant")
        .confirmation_code("123456")
        .password("Whatever-Pass-4")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_hash.code(), Some("NotAuthorizedException"), "{bad_hash:?}");
    let nowhere = anonymous.forgot_password().client_id("nosuchclient0000000000000").username("x@example.com").send();
    assert_eq!(nowhere.await.unwrap_err().code(), Some("ResourceNotFoundException"));
}

/// An attendee who does the lab on their own AWS account (a second `walab serve` stands in for
/// it) joins with `--report-only`: the dashboard shows what their `walab check` showed them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attendee_on_their_own_account_is_followed_through_their_reports() {
    let room = Room::open().await;
    let own = crate::common::TestLab::start().await;
    let info = own.info();
    let (url, code) = (room.url(), room.code());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let endpoint = info.aws_endpoint_url.clone();
    let (username, password) = (info.demo_user.username.clone(), info.demo_user.password.expose().to_string());
    let (joined, checked) = tokio::task::spawn_blocking(move || {
        let joined =
            walab_as_attendee(&home, &["join", &url, "--code", &code, "--name", "Rory", "--report-only", "--json"]);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_walab"));
        cmd.env("WALAB_CONFIG_DIR", home.join("config"))
            .env("WALAB_DATA_DIR", home.join("data"))
            .env("NO_COLOR", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-aws-credentials"))
            .env("WALAB_USERNAME", &username)
            .env("WALAB_PASSWORD", &password)
            .env_remove("WALAB_TARGET")
            .args(["--target", "aws", "check", "--json"]);
        (joined, cmd.output().unwrap())
    })
    .await
    .unwrap();
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let identity: Value = serde_json::from_slice(&joined.stdout).expect("one JSON object");
    assert_eq!(identity["report_only"], true);
    assert_eq!(identity["name"], "Rory");
    for key in ["access_key_id", "secret_access_key"] {
        assert!(identity[key].is_string(), "{key}: {identity}");
    }
    assert!(identity.get("aws_endpoint_url").is_none(), "no lab account: {identity}");
    let report: Value = serde_json::from_slice(&checked.stdout).expect("check --json");

    let snapshot = room.snapshot().await;
    let rory = snapshot["attendees"].as_array().unwrap().iter().find(|a| a["name"] == "Rory").unwrap().clone();
    assert_eq!(rory["report_only"], true, "{rory}");
    let checks = report["checks"].as_array().unwrap();
    for check in checks {
        let id = check["id"].as_str().unwrap();
        let shown = match check["status"].as_str().unwrap() {
            "skipped" => "failed",
            other => other,
        };
        assert_eq!(rory["checks"][id], shown, "{id}: walab showed {check}, the room {rory}");
    }
    let first = checks.iter().find(|c| c["status"] != "passed").unwrap();
    assert_eq!(rory["stuck"]["check"], first["id"]);
    assert_eq!(rory["stuck"]["summary"], first["summary"], "in the words the attendee's walab showed");
}

/// Anyone can send requests to an attendee's edge (the account id is in every URL): a stranger's
/// requests without a token, or with junk, never turn a finished attendee's row back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_turn_a_finished_attendees_row_back() {
    let room = Room::open().await;
    let (url, code) = (room.url(), room.code());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let (joined, checked) = tokio::task::spawn_blocking(move || {
        let joined = walab_as_attendee(&home, &["join", &url, "--code", &code, "--name", "Fin", "--json"]);
        walab_as_attendee(&home, &["--target", "room", "solve", "--all", "--yes"]);
        (joined, walab_as_attendee(&home, &["--target", "room", "check"]))
    })
    .await
    .unwrap();
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("12 of 12"),
        "{}",
        String::from_utf8_lossy(&checked.stdout)
    );
    let info: Value = serde_json::from_slice(&joined.stdout).unwrap();
    let edge = info["cloudfront_endpoint"].as_str().unwrap().to_string();
    let fin = |snapshot: &Value| {
        snapshot["attendees"].as_array().unwrap().iter().find(|a| a["name"] == "Fin").unwrap()["passed"].clone()
    };
    assert_eq!(fin(&room.snapshot().await), 12);
    let http = crate::common::http();
    for junk in [None, Some("junk"), Some("eyJhbGciOiJub25lIn0.e30."), Some("x".repeat(2000).as_str())] {
        let mut request = http.get(&edge);
        if let Some(token) = junk {
            request = request.header("authorization", token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 401, "{junk:?}");
    }
    let snapshot = room.snapshot().await;
    assert_eq!(fin(&snapshot), 12, "{snapshot}");
}
