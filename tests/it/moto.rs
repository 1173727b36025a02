//! moto as the second implementation: `walab --target aws` against `moto_server` (PyPI
//! `moto[server]`, an implementation of these APIs this project did not write), so a wire shape
//! wrong on both sides of walab and its local lab cannot pass unseen.
//!
//! The test builds section 5's starting state on moto through the Rust SDK (moto's
//! CloudFormation drops Cognito, CloudFront and WAF resources, so those are created directly
//! and each stack is an outputs-only template with the lab's output keys), then runs `check`,
//! `token`, every `solve` and the teardown, and asserts moto's resulting state.
//!
//! What moto cannot vouch for, asserted as walab's clean `error` instead (exit 1, one line,
//! no panic): `UpdateMethod` (protect-method), cache policies, `apiSummary` (api-deployed) and
//! SRP. It checks no secret hash and completes invalidations at once; it has no CloudFront edge
//! nor API Gateway invoke, so the three request checks cannot pass here.
//!
//! When `moto_server` is not installed the test passes and says so on stderr (`.ci/run`
//! installs it).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::common::home::Home;

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_installed() -> bool {
    Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts moto_server on a free loopback port; returns once it says it is running.
fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    // Werkzeug announces itself on stderr once it listens.
    for line in lines.by_ref() {
        if line.unwrap().contains("Running on") {
            break;
        }
    }
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Moto { child, endpoint: format!("http://127.0.0.1:{port}") }
}

struct Lab {
    pool: String,
    client: String,
    api: String,
    distribution: String,
}

const USER: &str = "learner@example.com";
const PASSWORD: &str = "Lab-Passw0rd!x";

/// Section 5's starting state, built on moto through the SDK.
async fn build_lab(endpoint: &str) -> Lab {
    use aws_sdk_apigateway::types::IntegrationType;
    use aws_sdk_cloudfront::types::*;
    use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType;
    let sdk = walab::target::local_sdk_config(endpoint, "us-east-1");
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let pool = cognito.create_user_pool().pool_name("WAUserPool-moto").send().await.unwrap();
    let pool = pool.user_pool().unwrap().id().unwrap().to_string();
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("WAUserPoolClient-moto")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    let client = client.user_pool_client().unwrap().client_id().unwrap().to_string();
    cognito.admin_create_user().user_pool_id(&pool).username(USER).send().await.unwrap();
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool)
        .username(USER)
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .unwrap();

    let apigw = aws_sdk_apigateway::Client::new(&sdk);
    let api = apigw.create_rest_api().name("wa-lab-rds-api").send().await.unwrap().id().unwrap().to_string();
    let resources = apigw.get_resources().rest_api_id(&api).send().await.unwrap();
    let root = resources.items().iter().find(|r| r.path() == Some("/")).unwrap().id().unwrap().to_string();
    apigw
        .put_method()
        .rest_api_id(&api)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    apigw
        .put_integration()
        .rest_api_id(&api)
        .resource_id(&root)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .send()
        .await
        .unwrap();
    apigw.create_deployment().rest_api_id(&api).stage_name("Dev").send().await.unwrap();

    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
    let api_host = format!("{api}.execute-api.us-east-1.amazonaws.com");
    let origin = Origin::builder()
        .id("api")
        .domain_name(&api_host)
        .origin_path("/Dev")
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    #[allow(deprecated)]
    let forwarded = ForwardedValues::builder()
        .query_string(true)
        .cookies(CookiePreference::builder().forward(ItemSelection::None).build().unwrap())
        .headers(Headers::builder().quantity(0).build().unwrap())
        .build()
        .unwrap();
    #[allow(deprecated)]
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id("api")
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .forwarded_values(forwarded)
        .min_ttl(0)
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference("walab-moto")
        .comment("walab lab on moto")
        .enabled(true)
        .origins(Origins::builder().quantity(1).items(origin).build().unwrap())
        .default_cache_behavior(behavior)
        .build()
        .unwrap();
    let dist = cloudfront.create_distribution().distribution_config(config).send().await.unwrap();
    let dist = dist.distribution().unwrap();
    let (distribution, domain) = (dist.id().to_string(), dist.domain_name().to_string());

    // Outputs-only stacks with the lab's output keys (moto keeps no Cognito or CloudFront
    // resources from a template).
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let stack = |outputs: Vec<(&str, String)>| {
        let outputs: serde_json::Map<String, Value> =
            outputs.into_iter().map(|(k, v)| (k.to_string(), serde_json::json!({"Value": v}))).collect();
        serde_json::json!({
            "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": outputs,
        })
        .to_string()
    };
    let edge = stack(vec![
        ("CognitoUserPoolID", pool.clone()),
        ("CognitoAppClientID", client.clone()),
        (
            "CognitoSignupURL",
            format!(
                "https://walab-moto.auth.us-east-1.amazoncognito.com/login?client_id={client}&response_type=code&scope=aws.cognito.signin.user.admin+email+openid&redirect_uri=https://example.com/callback"
            ),
        ),
        ("CloudFrontEndpoint", format!("https://{domain}/?id=1")),
        (
            "CloudFrontConsole",
            format!("https://console.aws.amazon.com/cloudfront/v4/home#/distributions/{distribution}"),
        ),
        ("OriginVerifyHeaderName", "X-Origin-Verify".into()),
        ("OriginVerifyHeader", "https://console.aws.amazon.com/secretsmanager/".into()),
        ("WAFWebACLR", "https://console.aws.amazon.com/wafv2/".into()),
        ("WAFWebACLG", "https://console.aws.amazon.com/wafv2/".into()),
    ]);
    let api_stack = stack(vec![
        ("APIGatewayURL", format!("https://{api_host}/Dev/?id=1")),
        ("RDSMysqlSecret", "https://console.aws.amazon.com/secretsmanager/".into()),
        ("RDS", "https://console.aws.amazon.com/rds/".into()),
        ("Cloud9URL", "https://console.aws.amazon.com/cloud9/".into()),
    ]);
    cfn.create_stack().stack_name("walab-api").template_body(api_stack).send().await.unwrap();
    cfn.create_stack().stack_name("walab-cdn-waf-cognito").template_body(edge).send().await.unwrap();
    Lab { pool, client, api, distribution }
}

fn walab(env: &Home, moto: &Moto, args: &[&str]) -> (Option<i32>, String, String) {
    let out = env
        .command()
        .args(["--target", "aws"])
        .args(args)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDWALABMOTO")
        .env("AWS_SECRET_ACCESS_KEY", "walab-moto")
        .env("AWS_REGION", "us-east-1")
        .env("WALAB_USERNAME", USER)
        .env("WALAB_PASSWORD", PASSWORD)
        // moto answers at once; nothing here should wait for long.
        .env("WALAB_AWS_TIMEOUT_MS", "20000")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(!stderr.contains("panicked"), "walab {args:?} panicked: {stderr}");
    (out.status.code(), stdout, stderr)
}

/// The checks that read AWS's APIs; the three request checks need the CloudFront edge and the
/// API's invoke URL, which moto does not serve (and their hosts resolve nowhere offline).
const API_CHECKS: &[&str] = &[
    "check",
    "--json",
    "--only",
    "stack-outputs",
    "--only",
    "client-secret",
    "--only",
    "user-confirmed",
    "--only",
    "authorizer-created",
    "--only",
    "method-protected",
    "--only",
    "api-deployed",
    "--only",
    "header-forwarded",
    "--only",
    "cache-invalidated",
    "--only",
    "id-token",
];

fn statuses(stdout: &str) -> std::collections::BTreeMap<String, (String, String)> {
    let report: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                (c["status"].as_str().unwrap().to_string(), c["summary"].as_str().unwrap_or("").to_string()),
            )
        })
        .collect()
}

/// A solve moto cannot serve ends in one clean line naming the operation, exit 1.
fn assert_clean_error(what: &str, (code, _, stderr): &(Option<i32>, String, String)) {
    assert_eq!(*code, Some(1), "{what}: {stderr}");
    assert!(!stderr.trim().is_empty(), "{what} says why");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walab_against_moto_the_second_implementation() {
    if !moto_installed() {
        eprintln!("moto_server is not installed (pip install 'moto[server]'): the moto tests are skipped, and pass");
        return;
    }
    let moto = start_moto();
    let lab = build_lab(&moto.endpoint).await;
    let sdk = walab::target::local_sdk_config(&moto.endpoint, "us-east-1");
    let apigw = aws_sdk_apigateway::Client::new(&sdk);
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
    let env = Home::new();

    // check: every read parses; the starting state is judged as the lab's.
    let (code, stdout, stderr) = walab(&env, &moto, API_CHECKS);
    assert_eq!(code, Some(1), "{stderr}");
    let seen = statuses(&stdout);
    eprintln!("walab check on moto: {seen:#?}");
    for id in ["stack-outputs", "client-secret", "user-confirmed"] {
        assert_eq!(seen[id].0, "passed", "{id}: {:?}", seen[id]);
    }
    assert_eq!(seen["authorizer-created"].0, "failed", "{:?}", seen["authorizer-created"]);
    assert_eq!(seen["header-forwarded"].0, "failed", "{:?}", seen["header-forwarded"]);
    // moto signs in without checking the secret hash; its token verifies against its JWKS.
    assert_eq!(seen["id-token"].0, "passed", "{:?}", seen["id-token"]);

    // token: the ID token alone on stdout.
    let (code, stdout, stderr) = walab(&env, &moto, &["token"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.trim().split('.').count(), 3, "{stdout}");

    // create-authorizer: a COGNITO_USER_POOLS authorizer for the pool, token from Authorization.
    let (code, _, stderr) = walab(&env, &moto, &["solve", "create-authorizer", "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    let authorizers = apigw.get_authorizers().rest_api_id(&lab.api).send().await.unwrap();
    let authorizer =
        authorizers.items().iter().find(|a| a.provider_arns().iter().any(|arn| arn.ends_with(&lab.pool))).unwrap();
    assert_eq!(authorizer.r#type().map(|t| t.as_str()), Some("COGNITO_USER_POOLS"));
    assert_eq!(authorizer.identity_source(), Some("method.request.header.Authorization"));
    assert_eq!(authorizer.provider_arns().len(), 1);

    // protect-method: moto has no UpdateMethod; walab's error is clean.
    let protect = walab(&env, &moto, &["solve", "protect-method", "--yes"]);
    if protect.0 != Some(0) {
        eprintln!("moto lacks UpdateMethod: protect-method ends in {:?}", protect.2.trim());
        assert_clean_error("protect-method", &protect);
    }

    // deploy-api: a new deployment on Dev.
    let before = apigw.get_deployments().rest_api_id(&lab.api).send().await.unwrap().items().len();
    let (code, _, stderr) = walab(&env, &moto, &["solve", "deploy-api", "--yes"]);
    if code == Some(0) {
        let after = apigw.get_deployments().rest_api_id(&lab.api).send().await.unwrap().items().len();
        assert_eq!(after, before + 1);
    } else {
        // walab asks for protect-method first when the method is not protected (its needs).
        assert_clean_error("deploy-api", &(code, String::new(), stderr));
    }

    // forward-header: the legacy settings now forward Authorization.
    let (code, _, stderr) = walab(&env, &moto, &["solve", "forward-header", "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    let config = cloudfront.get_distribution_config().id(&lab.distribution).send().await.unwrap();
    #[allow(deprecated)]
    let headers: Vec<String> = config
        .distribution_config()
        .and_then(|c| c.default_cache_behavior())
        .and_then(|b| b.forwarded_values())
        .and_then(|f| f.headers())
        .map(|h| h.items().to_vec())
        .unwrap_or_default();
    assert_eq!(headers, ["Authorization"]);

    // invalidate-cache: an invalidation of /* (moto completes it at once).
    let invalidate = walab(&env, &moto, &["solve", "invalidate-cache", "--yes"]);
    if invalidate.0 == Some(0) {
        let list = cloudfront.list_invalidations().distribution_id(&lab.distribution).send().await.unwrap();
        assert!(!list.invalidation_list().map(|l| l.items().to_vec()).unwrap_or_default().is_empty());
    } else {
        // walab asks for the API to be deployed protected first (its needs): moto cannot say.
        assert_clean_error("invalidate-cache", &invalidate);
    }

    // sign-up: the user exists already; nothing to do, or a clean word on it.
    let signup = walab(&env, &moto, &["solve", "sign-up", "--yes"]);
    assert!(matches!(signup.0, Some(0 | 1)), "{}", signup.2);

    // check again: what moto can serve reads as changed.
    let (_, stdout, _) = walab(&env, &moto, API_CHECKS);
    let seen = statuses(&stdout);
    eprintln!("walab check on moto after the solves: {seen:#?}");
    assert_eq!(seen["authorizer-created"].0, "passed", "{:?}", seen["authorizer-created"]);
    assert_eq!(seen["header-forwarded"].0, "passed", "{:?}", seen["header-forwarded"]);
    // apiSummary: moto's GetDeployment has none, so api-deployed cannot pass here.
    assert_ne!(seen["api-deployed"].0, "passed", "{:?}", seen["api-deployed"]);

    // SRP: moto's USER_SRP_AUTH is not Cognito's; walab's error is clean.
    let srp = walab(&env, &moto, &["token", "--srp"]);
    if srp.0 != Some(0) {
        eprintln!("moto and SRP: {:?}", srp.2.trim());
        assert!(matches!(srp.0, Some(1 | 2)), "{}", srp.2);
    }

    // teardown: both stacks deleted, in order.
    let (code, _, stderr) = walab(&env, &moto, &["solve", "teardown", "--yes"]);
    eprintln!("teardown on moto: {:?} {}", code, stderr.trim());
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    for name in ["walab-cdn-waf-cognito", "walab-api"] {
        let live = cfn.describe_stacks().stack_name(name).send().await;
        let status =
            live.ok().and_then(|o| o.stacks().first().and_then(|s| s.stack_status().map(|s| s.as_str().to_string())));
        assert!(status.is_none() || status.as_deref() == Some("DELETE_COMPLETE"), "{name}: {status:?}");
    }
    let _ = lab.client;
}
