//! API Gateway through the official SDK client and the invoke listener: the seeded API, every
//! control-plane operation with its refusals, the deployment snapshot rule end to end, and
//! hostile input that must be refused without disturbing the listeners.

use std::time::Duration;

use crate::common::apigw::*;
use crate::common::{TestLab, http};
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{AuthorizerType, Op};
use tokio::io::AsyncWriteExt;

/// The code and message of an SDK error.
fn refusal<E: ProvideErrorMetadata, R>(err: aws_sdk_apigateway::error::SdkError<E, R>) -> (String, String) {
    (err.code().unwrap_or_default().to_string(), err.message().unwrap_or_default().to_string())
}

#[tokio::test]
async fn reads_the_seeded_api_as_the_walab_api_stack_left_it() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();

    let apis = client.get_rest_apis().send().await.unwrap();
    assert_eq!(apis.items().len(), 1);
    let summary = &apis.items()[0];
    assert_eq!(summary.name(), Some("wa-lab-rds-api"));
    let types = summary.endpoint_configuration().unwrap().types();
    assert_eq!(types, [aws_sdk_apigateway::types::EndpointType::Regional]);
    assert!(summary.created_date().unwrap().secs() > 1_600_000_000);
    let api = api(&lab).await;
    assert_eq!(client.get_rest_api().rest_api_id(&api.id).send().await.unwrap().name(), Some("wa-lab-rds-api"));

    let resources = client.get_resources().rest_api_id(&api.id).send().await.unwrap();
    assert_eq!(resources.items().len(), 1);
    let root = &resources.items()[0];
    assert_eq!((root.id(), root.path()), (Some(api.root.as_str()), Some("/")));
    // Without embed=methods the methods are named but empty.
    assert_eq!(root.resource_methods().unwrap()["GET"].authorization_type(), None);
    let embedded = client.get_resources().rest_api_id(&api.id).embed("methods").send().await.unwrap();
    let get = &embedded.items()[0].resource_methods().unwrap()["GET"];
    assert_eq!(get.authorization_type(), Some("NONE"));

    let method = client.get_method().rest_api_id(&api.id).resource_id(&api.root).http_method("GET").send().await;
    let method = method.unwrap();
    assert_eq!(method.authorization_type(), Some("NONE"));
    assert_eq!(method.authorizer_id(), None);
    assert!(method.request_validator_id().is_some());
    assert_eq!(method.request_parameters().unwrap().get("method.request.querystring.id"), Some(&true));
    let integration = method.method_integration().unwrap();
    assert_eq!(integration.r#type(), Some(&aws_sdk_apigateway::types::IntegrationType::Aws));
    assert!(integration.uri().unwrap().contains(":lambda:path/2015-03-31/functions/arn:aws:lambda:"));

    let authorizers = client.get_authorizers().rest_api_id(&api.id).send().await.unwrap();
    assert!(authorizers.items().is_empty());

    let waf_arn = walab::locallab::waf::acls(&lab.account().waf).regional_acl_arn;
    let stage = client.get_stage().rest_api_id(&api.id).stage_name("Dev").send().await.unwrap();
    assert_eq!(stage.web_acl_arn(), Some(waf_arn.as_str()));
    let stages = client.get_stages().rest_api_id(&api.id).send().await.unwrap();
    assert_eq!(stages.item().len(), 1);
    let deployments = client.get_deployments().rest_api_id(&api.id).send().await.unwrap();
    assert_eq!(deployments.items().len(), 1);
    assert_eq!(deployments.items()[0].id(), stage.deployment_id());

    let deployment = client
        .get_deployment()
        .rest_api_id(&api.id)
        .deployment_id(stage.deployment_id().unwrap())
        .embed("apisummary")
        .send()
        .await
        .unwrap();
    let summary = &deployment.api_summary().unwrap()["/"]["GET"];
    assert_eq!((summary.authorization_type(), summary.api_key_required()), (Some("NONE"), false));
    let plain = client.get_deployment().rest_api_id(&api.id).deployment_id(stage.deployment_id().unwrap());
    assert!(plain.send().await.unwrap().api_summary().is_none());
}

#[tokio::test]
async fn unknown_ids_are_not_found_with_api_gateways_messages() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();
    let api = api(&lab).await;
    let account = lab.account().ctx.id.clone();

    let err = client.get_rest_api().rest_api_id("abc").send().await.unwrap_err();
    assert_eq!(refusal(err), ("NotFoundException".into(), format!("Invalid API identifier specified {account}:abc")));
    let err = client.get_resources().rest_api_id("abc").send().await.unwrap_err();
    assert_eq!(refusal(err).0, "NotFoundException");
    let err = client.get_method().rest_api_id(&api.id).resource_id("nope").http_method("GET").send().await;
    assert_eq!(refusal(err.unwrap_err()), ("NotFoundException".into(), "Invalid Resource identifier specified".into()));
    let err = client.get_method().rest_api_id(&api.id).resource_id(&api.root).http_method("POST").send().await;
    assert_eq!(refusal(err.unwrap_err()), ("NotFoundException".into(), "Invalid Method identifier specified".into()));
    let err = client.update_method().rest_api_id(&api.id).resource_id(&api.root).http_method("PUT").send().await;
    assert_eq!(refusal(err.unwrap_err()).1, "Invalid Method identifier specified");
    let err = client.get_authorizer().rest_api_id(&api.id).authorizer_id("zzz").send().await.unwrap_err();
    assert_eq!(refusal(err), ("NotFoundException".into(), "Invalid Authorizer identifier specified".into()));
    let err = client.delete_authorizer().rest_api_id(&api.id).authorizer_id("zzz").send().await.unwrap_err();
    assert_eq!(refusal(err).1, "Invalid Authorizer identifier specified");
    let err = client.get_deployment().rest_api_id(&api.id).deployment_id("zzz").send().await.unwrap_err();
    assert_eq!(refusal(err), ("NotFoundException".into(), "Invalid Deployment identifier specified".into()));
    let err = client.get_stage().rest_api_id(&api.id).stage_name("Prod").send().await.unwrap_err();
    assert_eq!(refusal(err), ("NotFoundException".into(), "Invalid Stage identifier specified".into()));
}

#[tokio::test]
async fn authorizers_are_created_read_and_deleted_only_when_unused() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();
    let (api, authorizer_id) = protect(&lab).await;

    let authorizer = client.get_authorizer().rest_api_id(&api.id).authorizer_id(&authorizer_id).send().await.unwrap();
    assert_eq!(authorizer.r#type(), Some(&AuthorizerType::CognitoUserPools));
    assert_eq!(authorizer.provider_arns(), [pool(&lab).arn]);
    assert_eq!(authorizer.identity_source(), Some("method.request.header.Authorization"));
    assert_eq!(authorizer.authorizer_result_ttl_in_seconds(), Some(300));
    let all = client.get_authorizers().rest_api_id(&api.id).send().await.unwrap();
    assert_eq!(all.items().len(), 1);

    let method = client.get_method().rest_api_id(&api.id).resource_id(&api.root).http_method("GET").send().await;
    let method = method.unwrap();
    assert_eq!(method.authorization_type(), Some("COGNITO_USER_POOLS"));
    assert_eq!(method.authorizer_id(), Some(authorizer_id.as_str()));

    // In use by GET /: refused, as API Gateway refuses it.
    let err = client.delete_authorizer().rest_api_id(&api.id).authorizer_id(&authorizer_id).send().await;
    let (code, message) = refusal(err.unwrap_err());
    assert_eq!(code, "BadRequestException");
    assert!(message.contains("is referenced in method: GET:/"), "{message}");

    // Back to NONE drops the authorizer from the method; then it can go.
    let update = client.update_method().rest_api_id(&api.id).resource_id(&api.root).http_method("GET");
    let method = update.patch_operations(replace("/authorizationType", "NONE")).send().await.unwrap();
    assert_eq!((method.authorization_type(), method.authorizer_id()), (Some("NONE"), None));
    client.delete_authorizer().rest_api_id(&api.id).authorizer_id(&authorizer_id).send().await.unwrap();
    let err = client.get_authorizer().rest_api_id(&api.id).authorizer_id(&authorizer_id).send().await;
    assert_eq!(refusal(err.unwrap_err()).0, "NotFoundException");
}

#[tokio::test]
async fn create_authorizer_refuses_what_api_gateway_refuses() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();
    let api = api(&lab).await;
    let arn = pool(&lab).arn;
    let create = || {
        client
            .create_authorizer()
            .rest_api_id(&api.id)
            .name("a")
            .r#type(AuthorizerType::CognitoUserPools)
            .identity_source("method.request.header.Authorization")
    };

    let no_pool = create().send().await.unwrap_err();
    assert_eq!(refusal(no_pool).0, "BadRequestException");
    let bad_arn = create().provider_arns("arn:aws:s3:::bucket").send().await.unwrap_err();
    assert!(refusal(bad_arn).1.contains("arn:aws:s3:::bucket"));
    let bad_source = create().provider_arns(&arn).identity_source("Authorization").send().await.unwrap_err();
    assert_eq!(refusal(bad_source).0, "BadRequestException");
    let lambda = create().provider_arns(&arn).r#type(AuthorizerType::Token).send().await.unwrap_err();
    assert_eq!(refusal(lambda).0, "BadRequestException");
    let ttl = create().provider_arns(&arn).authorizer_result_ttl_in_seconds(4000).send().await.unwrap_err();
    assert_eq!(refusal(ttl).0, "BadRequestException");
    let other = client.create_authorizer().rest_api_id("nope").name("a").r#type(AuthorizerType::CognitoUserPools);
    assert_eq!(refusal(other.provider_arns(&arn).send().await.unwrap_err()).0, "NotFoundException");

    assert!(client.get_authorizers().rest_api_id(&api.id).send().await.unwrap().items().is_empty());
}

#[tokio::test]
async fn update_method_applies_patches_and_refuses_invalid_ones_whole() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();
    let api = api(&lab).await;
    let update = || client.update_method().rest_api_id(&api.id).resource_id(&api.root).http_method("GET");

    let method = update()
        .patch_operations(replace("/apiKeyRequired", "true"))
        .patch_operations(replace("/requestValidatorId", ""))
        .patch_operations(replace("/operationName", "ListPlayers"))
        .send()
        .await
        .unwrap();
    assert_eq!(method.api_key_required(), Some(true));
    assert_eq!(method.request_validator_id(), None);
    assert_eq!(method.operation_name(), Some("ListPlayers"));

    let cases = [
        (replace("/foo", "x"), "Invalid patch path /foo"),
        (patch(Op::Add, "/authorizationType", "NONE"), "Invalid patch operation specified. Must be one of: [replace]"),
        (patch(Op::from("frobnicate"), "/apiKeyRequired", "true"), "Invalid patch operation specified"),
        (replace("/authorizationType", "MAGIC"), "Invalid authorization type specified"),
        (
            replace("/authorizationType", "COGNITO_USER_POOLS"),
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
        ),
        (replace("/apiKeyRequired", "maybe"), "Invalid boolean value"),
        (replace("/requestValidatorId", "nope"), "Invalid Request Validator identifier specified"),
    ];
    for (operation, expected) in cases {
        // A valid operation first: a refused patch must change nothing at all.
        let err = update().patch_operations(replace("/apiKeyRequired", "false")).patch_operations(operation.clone());
        let (code, message) = refusal(err.send().await.unwrap_err());
        assert_eq!(code, "BadRequestException", "{operation:?}");
        assert!(message.starts_with(expected), "{operation:?}: {message}");
    }
    let method = client.get_method().rest_api_id(&api.id).resource_id(&api.root).http_method("GET").send().await;
    assert_eq!(method.unwrap().api_key_required(), Some(true));

    // Scopes: added, replaced, removed.
    let (_, authorizer) = protect(&lab).await;
    let method = update().patch_operations(patch(Op::Add, "/authorizationScopes", "email")).send().await.unwrap();
    assert_eq!(method.authorization_scopes(), ["email"]);
    assert_eq!(method.authorizer_id(), Some(authorizer.as_str()));
    let method = update().patch_operations(replace("/authorizationScopes", "openid,profile")).send().await.unwrap();
    assert_eq!(method.authorization_scopes(), ["openid", "profile"]);
    let method = update().patch_operations(patch(Op::Remove, "/authorizationScopes", "openid")).send().await.unwrap();
    assert_eq!(method.authorization_scopes(), ["profile"]);
}

#[tokio::test]
async fn the_deployment_snapshot_decides_what_the_stage_serves() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();

    // As section 5 starts: open, and the data comes back.
    let open = get(&lab, "/Dev/?id=1", None).await;
    assert_eq!((open.status, open.body.as_str()), (200, MESSI));
    assert!(open.request_id);

    // Protected but not deployed: nothing changes (the classic mistake).
    let (api, _) = protect(&lab).await;
    let undeployed = get(&lab, "/Dev/?id=1", None).await;
    assert_eq!((undeployed.status, undeployed.body.as_str()), (200, MESSI));
    let stage = client.get_stage().rest_api_id(&api.id).stage_name("Dev").send().await.unwrap();
    let summary = client
        .get_deployment()
        .rest_api_id(&api.id)
        .deployment_id(stage.deployment_id().unwrap())
        .embed("apisummary")
        .send()
        .await
        .unwrap();
    assert_eq!(summary.api_summary().unwrap()["/"]["GET"].authorization_type(), Some("NONE"));

    // Deployed: the authorizer runs.
    let deployment = deploy(&lab, &api).await;
    let stage = client.get_stage().rest_api_id(&api.id).stage_name("Dev").send().await.unwrap();
    assert_eq!(stage.deployment_id(), Some(deployment.as_str()));
    let summary =
        client.get_deployment().rest_api_id(&api.id).deployment_id(&deployment).embed("apisummary").send().await;
    assert_eq!(summary.unwrap().api_summary().unwrap()["/"]["GET"].authorization_type(), Some("COGNITO_USER_POOLS"));
    assert_eq!(client.get_deployments().rest_api_id(&api.id).send().await.unwrap().items().len(), 2);

    let anonymous = get(&lab, "/Dev/?id=1", None).await;
    assert_eq!((anonymous.status, anonymous.body.as_str()), (401, UNAUTHORIZED));
    assert_eq!(anonymous.error_type.as_deref(), Some("UnauthorizedException"));
    assert!(anonymous.request_id);

    let token = id_token(&lab);
    let raw = get(&lab, "/Dev/?id=1", Some(&token)).await;
    assert_eq!((raw.status, raw.body.as_str()), (200, MESSI));
    let bearer = get(&lab, "/Dev/?id=1", Some(&format!("Bearer {token}"))).await;
    assert_eq!((bearer.status, bearer.body.as_str()), (200, MESSI));
    let access = get(&lab, "/Dev/?id=1", Some(&access_token(&lab))).await;
    assert_eq!((access.status, access.body.as_str()), (401, UNAUTHORIZED));

    // The validator runs after the authorizer.
    let no_id = get(&lab, "/Dev/", Some(&token)).await;
    assert_eq!(
        (no_id.status, no_id.body.as_str()),
        (400, r#"{"message": "Missing required request parameters: [id]"}"#)
    );
    assert_eq!(no_id.error_type.as_deref(), Some("BadRequestException"));
    let no_id_anonymous = get(&lab, "/Dev/", None).await;
    assert_eq!(no_id_anonymous.status, 401);

    // Section 4's injection still "works" for a signed-in user.
    let injected = get(&lab, "/Dev/?id=1%20or%201=1", Some(&token)).await;
    assert_eq!(injected.status, 200);
    assert_eq!(injected.json().as_array().map(Vec::len), Some(3), "{}", injected.body);

    // The WAF rule comes before all of it.
    for origin in [None, Some("wrong")] {
        let direct = get_with(&lab, "/Dev/?id=1", origin, Some(&token)).await;
        assert_eq!((direct.status, direct.body.as_str()), (403, FORBIDDEN), "{origin:?}");
    }

    // An hour later the same token has expired.
    lab.lab().clock.advance(Duration::from_secs(61 * 60));
    let expired = get(&lab, "/Dev/?id=1", Some(&token)).await;
    assert_eq!((expired.status, expired.body.as_str()), (401, EXPIRED));
    assert_eq!(expired.error_type.as_deref(), Some("UnauthorizedException"));
    let fresh = get(&lab, "/Dev/?id=1", Some(&id_token(&lab))).await;
    assert_eq!(fresh.status, 200);
}

#[tokio::test]
async fn a_deployment_reaches_only_the_stage_it_names() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();
    let (api, _) = protect(&lab).await;

    // Deployed, but to no stage: Dev still serves its old snapshot.
    let orphan = client.create_deployment().rest_api_id(&api.id).description("no stage").send().await.unwrap();
    assert_eq!(get(&lab, "/Dev/?id=1", None).await.status, 200);
    let filtered = client.get_stages().rest_api_id(&api.id).deployment_id(orphan.id().unwrap()).send().await.unwrap();
    assert!(filtered.item().is_empty());

    // A new stage gets the new snapshot, and no web ACL.
    client.create_deployment().rest_api_id(&api.id).stage_name("Test").send().await.unwrap();
    let stage = client.get_stage().rest_api_id(&api.id).stage_name("Test").send().await.unwrap();
    assert_eq!(stage.web_acl_arn(), None);
    let direct = get_with(&lab, "/Test/?id=1", None, None).await;
    assert_eq!((direct.status, direct.body.as_str()), (401, UNAUTHORIZED));
    assert_eq!(client.get_stages().rest_api_id(&api.id).send().await.unwrap().item().len(), 2);

    let bad = client.create_deployment().rest_api_id(&api.id).stage_name("no spaces").send().await.unwrap_err();
    assert_eq!(refusal(bad).0, "BadRequestException");
}

#[tokio::test]
async fn authorization_scopes_want_an_access_token_granting_one() {
    let lab = TestLab::start().await;
    let client = lab.apigateway();
    let (api, _) = protect(&lab).await;
    let update = client.update_method().rest_api_id(&api.id).resource_id(&api.root).http_method("GET");
    let scope = patch(Op::Add, "/authorizationScopes", "aws.cognito.signin.user.admin");
    update.patch_operations(scope).send().await.unwrap();
    deploy(&lab, &api).await;

    assert_eq!(get(&lab, "/Dev/?id=1", Some(&access_token(&lab))).await.status, 200);
    assert_eq!(get(&lab, "/Dev/?id=1", Some(&id_token(&lab))).await.status, 401);
    let mut narrow = access_claims(&lab);
    narrow["scope"] = "openid".into();
    assert_eq!(get(&lab, "/Dev/?id=1", Some(&sign(&lab, &narrow))).await.status, 401);
}

#[tokio::test]
async fn the_invoke_url_refuses_like_api_gateway() {
    let lab = TestLab::start().await;
    for (path, body) in [
        ("/Prod/?id=1", FORBIDDEN),
        ("/", FORBIDDEN),
        ("/Dev/players?id=1", r#"{"message":"Missing Authentication Token"}"#),
    ] {
        let answer = get(&lab, path, None).await;
        assert_eq!((answer.status, answer.body.as_str()), (403, body), "{path}");
    }
    // The web ACL sees the request before the route is looked up.
    let blocked = get_with(&lab, "/Dev/players", None, None).await;
    assert_eq!((blocked.status, blocked.body.as_str()), (403, FORBIDDEN));

    let post = http()
        .post(invoke_url(&lab, "/Dev/?id=1"))
        .header("X-Origin-Verify", origin_secret(&lab))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 403);
    assert_eq!(
        post.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()),
        Some("MissingAuthenticationTokenException")
    );

    let ok = http().get(invoke_url(&lab, "/Dev/?id=2")).header("X-Origin-Verify", origin_secret(&lab)).send().await;
    let ok = ok.unwrap();
    assert_eq!(ok.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
    assert!(ok.headers().contains_key("x-amz-apigw-id"));
    assert_eq!(ok.text().await.unwrap(), r#"["My favorite player is Cristiano Ronaldo"]"#);
}

/// A call to the control plane outside the SDK; `signed` adds a SigV4-looking header (the lab
/// accepts any credentials, so only the scheme matters).
async fn raw_control_plane(
    lab: &TestLab,
    method: reqwest::Method,
    path: &str,
    body: &str,
    signed: bool,
) -> (u16, Option<String>, serde_json::Value) {
    let url = format!("{}{path}", lab.running.endpoints().aws_endpoint_url());
    let mut request = http().request(method, url).header("content-type", "application/json").body(body.to_string());
    if signed {
        request = request.header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDLOCALLAB/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00",
        );
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let error = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
    (status, error, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn the_control_plane_wants_signed_calls_to_known_operations() {
    let lab = TestLab::start().await;
    let (status, error, body) = raw_control_plane(&lab, reqwest::Method::GET, "/restapis", "", false).await;
    assert_eq!((status, error.as_deref()), (403, Some("MissingAuthenticationTokenException")));
    assert_eq!(body["message"], "Missing Authentication Token");

    for (method, path) in [
        (reqwest::Method::PUT, "/restapis"),
        (reqwest::Method::GET, "/restapis/x/frobs"),
        (reqwest::Method::GET, "/restapis/x/resources/y/methods/GET/extra"),
    ] {
        let (status, error, _) = raw_control_plane(&lab, method, path, "", true).await;
        assert_eq!((status, error.as_deref()), (404, Some("UnknownOperationException")), "{path}");
    }
}

#[tokio::test]
async fn hostile_input_gets_4xx_and_the_listeners_keep_serving() {
    let lab = TestLab::start().await;
    let api = api(&lab).await;

    // Bodies that are not what the operation takes.
    let authorizers = format!("/restapis/{}/authorizers", api.id);
    for body in ["not json", "{\"name\": 5}", "[1,2,3]", "{\"providerARNs\": \"one\"}", "\u{0}\u{1}"] {
        let (status, error, body_json) = raw_control_plane(&lab, reqwest::Method::POST, &authorizers, body, true).await;
        assert_eq!((status, error.as_deref()), (400, Some("BadRequestException")), "{body:?} → {body_json}");
    }
    let method = format!("/restapis/{}/resources/{}/methods/GET", api.id, api.root);
    for body in [
        r#"{"patchOperations": "replace"}"#,
        r#"{"patchOperations": [{"op": "replace"}]}"#,
        r#"{"patchOperations": [{"op": "replace", "path": "/requestParameters/evil", "value": "true"}]}"#,
        r#"{"patchOperations": [{"op": "move", "path": "/authorizerId", "from": "/x"}]}"#,
    ] {
        let (status, _, _) = raw_control_plane(&lab, reqwest::Method::PATCH, &method, body, true).await;
        assert_eq!(status, 400, "{body}");
    }

    // A huge header is refused by the HTTP layer before any handler runs.
    let huge = "x".repeat(1024 * 1024);
    let response = http().get(invoke_url(&lab, "/Dev/?id=1")).header("X-Origin-Verify", &huge).send().await;
    // (hyper answers 431 and closes; the client may see the reset before the answer.)
    if let Ok(response) = response {
        assert_eq!(response.status().as_u16(), 431);
    }

    // A slow client holding half a request blocks nobody.
    let mut slow = tokio::net::TcpStream::connect(lab.running.endpoints().invoke).await.unwrap();
    slow.write_all(b"GET /Dev/?id=1 HTTP/1.1\r\nHost: lab\r\nX-Origin-Verify: ").await.unwrap();
    let mut slow_aws = tokio::net::TcpStream::connect(lab.running.endpoints().aws).await.unwrap();
    slow_aws.write_all(b"POST /restapis/x/authorizers HTTP/1.1\r\nContent-Length: 100\r\n\r\n{").await.unwrap();

    let answer = get(&lab, "/Dev/?id=1", None).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, MESSI));
    assert_eq!(lab.apigateway().get_rest_apis().send().await.unwrap().items().len(), 1);
    drop((slow, slow_aws));
}

#[tokio::test]
async fn authorizers_deployments_and_stages_survive_a_restart() {
    let lab = TestLab::start().await;
    let (api, authorizer) = protect(&lab).await;
    let deployment = deploy(&lab, &api).await;
    let lab = TestLab::start_in(lab.stop().await).await;

    let client = lab.apigateway();
    let stage = client.get_stage().rest_api_id(&api.id).stage_name("Dev").send().await.unwrap();
    assert_eq!(stage.deployment_id(), Some(deployment.as_str()));
    let method = client.get_method().rest_api_id(&api.id).resource_id(&api.root).http_method("GET").send().await;
    assert_eq!(method.unwrap().authorizer_id(), Some(authorizer.as_str()));
    assert_eq!(get(&lab, "/Dev/?id=1", None).await.status, 401);
    assert_eq!(get(&lab, "/Dev/?id=1", Some(&id_token(&lab))).await.status, 200);
}
