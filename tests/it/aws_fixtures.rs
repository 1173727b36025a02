//! The five calls neither emulator vouches for (walab's local lab was written here; moto lacks
//! them), checked against AWS's own word: each test sends the call through walab's `src/aws`
//! code and the real SDK client to a loopback stand-in that records the request and answers with
//! the response shape AWS documents. Each fixture names its source.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use walab::aws::Clients;
use walab::secret::Secret;

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    target: Option<String>,
    body: String,
}

/// A stand-in that records every request and answers the first of `answers` whose path part
/// the request's path contains: (path part, status, content type, body).
async fn stand_in(answers: Vec<(&'static str, u16, &'static str, String)>) -> (Clients, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let log = log.clone();
        let answers = answers.clone();
        async move {
            let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).map(String::from);
            let key = format!("{} {}", target.clone().unwrap_or_default(), uri.path());
            log.lock().unwrap().push(Seen {
                method: method.to_string(),
                uri: uri.to_string(),
                target,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let Some((_, status, content_type, body)) = answers.iter().find(|(part, ..)| key.contains(part)) else {
                return (axum::http::StatusCode::NOT_FOUND, "no fixture").into_response();
            };
            let status = axum::http::StatusCode::from_u16(*status).unwrap();
            let response: Response = (
                status,
                [("content-type", *content_type), ("x-amzn-requestid", "fixture"), ("etag", "E1")],
                body.clone(),
            )
                .into_response();
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let sdk = walab::target::local_sdk_config(&format!("http://{addr}"), "us-east-1");
    (Clients::new(&sdk), seen)
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// protect-method: UpdateMethod's patch paths.
/// Source: Amazon API Gateway REST API reference, "UpdateMethod"
/// (PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}, body
/// `{"patchOperations": [{"op", "path", "value"}]}`) and "PatchOperation" ("/authorizationType"
/// and "/authorizerId" are the Method's properties as paths); the SDK's model
/// (aws-sdk-apigateway, operation/update_method: `patch_operations`, URI
/// `/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}`, PATCH).
#[tokio::test]
async fn update_method_patches_authorization_type_and_authorizer_id() {
    let answer = json!({"httpMethod": "GET", "authorizationType": "COGNITO_USER_POOLS", "authorizerId": "z9y8x7",
                        "apiKeyRequired": false});
    let (aws, seen) = stand_in(vec![("/methods/GET", 200, "application/json", answer.to_string())]).await;
    walab::aws::apigateway::protect_method(&aws, "a1b2c3", "r00t", "z9y8x7").await.unwrap();
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "PATCH");
    assert_eq!(seen.uri, "/restapis/a1b2c3/resources/r00t/methods/GET");
    assert_eq!(
        json_of(&seen.body),
        json!({"patchOperations": [
            {"op": "replace", "path": "/authorizationType", "value": "COGNITO_USER_POOLS"},
            {"op": "replace", "path": "/authorizerId", "value": "z9y8x7"}
        ]})
    );
}

/// api-deployed: reading `apiSummary`.
/// Source: Amazon API Gateway REST API reference, "GetDeployment" (GET
/// /restapis/{restapi_id}/deployments/{deployment_id}?embed=apisummary; the response's
/// `apiSummary` maps a resource path to a map of HTTP method to MethodSnapshot
/// `{"authorizationType", "apiKeyRequired"}`) and "GetStage" (`deploymentId`); the SDK's model
/// (aws-sdk-apigateway, types: `api_summary: HashMap<String, HashMap<String, MethodSnapshot>>`).
#[tokio::test]
async fn get_deployment_api_summary_tells_how_get_was_deployed() {
    let stage = json!({"stageName": "Dev", "deploymentId": "d3pl0y", "createdDate": 1_700_000_000});
    let deployment = json!({"id": "d3pl0y", "description": "walab", "createdDate": 1_700_000_100,
        "apiSummary": {"/": {"GET": {"authorizationType": "COGNITO_USER_POOLS", "apiKeyRequired": false}}}});
    let (aws, seen) = stand_in(vec![
        ("/stages/Dev", 200, "application/json", stage.to_string()),
        ("/deployments/d3pl0y", 200, "application/json", deployment.to_string()),
    ])
    .await;
    let deployed = walab::aws::apigateway::deployed(&aws, "a1b2c3").await.unwrap().unwrap();
    assert_eq!(deployed.deployment_id, "d3pl0y");
    assert_eq!(deployed.authorization.as_deref(), Some("COGNITO_USER_POOLS"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[1].method, "GET");
    assert_eq!(seen[1].uri, "/restapis/a1b2c3/deployments/d3pl0y?embed=apisummary");
}

/// The NEW_PASSWORD_REQUIRED answer after an admin sign-in.
/// Source: Amazon Cognito user pools API reference, "AdminInitiateAuth" (Response `Session`:
/// "Pass this session ID in the Session parameter of AdminRespondToAuthChallenge") and
/// "AdminRespondToAuthChallenge" (request `UserPoolId`, `ClientId`, `ChallengeName`, `Session`,
/// `ChallengeResponses` with `USERNAME`, `NEW_PASSWORD`, `SECRET_HASH`; response
/// `AuthenticationResult`); the SDK's model says the same (aws-sdk-cognitoidentityprovider,
/// operation/admin_initiate_auth/_admin_initiate_auth_output.rs, `session`).
#[tokio::test]
async fn a_temporary_password_after_admin_sign_in_is_answered_as_admin() {
    let challenge = json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s3ss10n",
        "ChallengeParameters": {"USER_ID_FOR_SRP": "ann@example.com", "requiredAttributes": "[]", "userAttributes": "{}"}});
    let tokens = json!({"ChallengeParameters": {}, "AuthenticationResult": {"AccessToken": "a.b.c", "ExpiresIn": 3600,
        "TokenType": "Bearer", "RefreshToken": "r", "IdToken": "i.d.t"}});
    let (aws, seen) = stand_in(vec![
        (
            "AWSCognitoIdentityProviderService.AdminInitiateAuth",
            200,
            "application/x-amz-json-1.1",
            challenge.to_string(),
        ),
        (
            "AWSCognitoIdentityProviderService.AdminRespondToAuthChallenge",
            200,
            "application/x-amz-json-1.1",
            tokens.to_string(),
        ),
    ])
    .await;
    let secret = Secret::new("secret");
    let password = Secret::new("Temporary-1");
    let req = walab::token::SignInRequest {
        pool_id: "us-east-1_AbCdEfGhI",
        client_id: "client",
        client_secret: Some(&secret),
        username: "alice",
        password: &password,
    };
    let walab::token::SignIn::NewPasswordRequired { session, .. } = walab::token::sign_in(&aws, &req).await.unwrap()
    else {
        panic!("expected the challenge");
    };
    assert!(session.admin);
    let signed = walab::token::set_new_password(&aws, &req, &session, &Secret::new("Chosen-Password-2")).await.unwrap();
    assert!(matches!(signed, walab::token::SignIn::Tokens { .. }));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[1].target.as_deref(), Some("AWSCognitoIdentityProviderService.AdminRespondToAuthChallenge"));
    assert_eq!(
        json_of(&seen[1].body),
        json!({"UserPoolId": "us-east-1_AbCdEfGhI", "ClientId": "client", "ChallengeName": "NEW_PASSWORD_REQUIRED",
               "Session": "s3ss10n", "ChallengeResponses": {"USERNAME": "alice", "NEW_PASSWORD": "Chosen-Password-2",
               // LAB.md's test vector: secret `secret`, user `alice`, client `client`.
               "SECRET_HASH": "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0="}})
    );
}

/// create-authorizer on an authorizer that already names the pool: the ARN is not sent again.
/// Source: Amazon API Gateway REST API reference, "UpdateAuthorizer" (PATCH
/// /restapis/{restapi_id}/authorizers/{authorizer_id}) and "PatchOperation" (`add` on a list
/// path such as `/providerARNs` appends the value; `remove` with a value takes it out); the SDK's
/// model (aws-sdk-apigateway, types/_op.rs: add, remove, replace, move, copy, test).
#[tokio::test]
async fn repairing_an_authorizer_never_adds_an_arn_it_has() {
    use aws_sdk_apigateway::types::{Authorizer, AuthorizerType};
    let pool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI";
    let other = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Other0000";
    let has_it = Authorizer::builder()
        .id("z1")
        .name("walab-cognito")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(pool)
        .provider_arns(other)
        .identity_source("method.request.header.X-Token")
        .build();
    let answer = json!({"id": "z1", "name": "walab-cognito", "type": "COGNITO_USER_POOLS", "providerARNs": [pool],
                        "identitySource": "method.request.header.Authorization"});
    let (aws, seen) = stand_in(vec![("/authorizers/z1", 200, "application/json", answer.to_string())]).await;
    walab::aws::apigateway::repair_authorizer(&aws, "a1b2c3", &has_it, pool).await.unwrap();
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!((seen.method.as_str(), seen.uri.as_str()), ("PATCH", "/restapis/a1b2c3/authorizers/z1"));
    assert_eq!(
        json_of(&seen.body),
        json!({"patchOperations": [
            {"op": "remove", "path": "/providerARNs", "value": other},
            {"op": "replace", "path": "/identitySource", "value": "method.request.header.Authorization"}
        ]})
    );
    // Lacking it, it is added once.
    let lacks_it = Authorizer::builder()
        .id("z1")
        .provider_arns(other)
        .identity_source("method.request.header.Authorization")
        .build();
    let patches = walab::aws::apigateway::repair_patches(&lacks_it, pool);
    let ops: Vec<_> = patches.iter().map(|p| (p.op().map(|o| o.as_str()), p.value())).collect();
    assert_eq!(ops, [(Some("add"), Some(pool)), (Some("remove"), Some(other))]);
}

/// forward-header when the behaviour has a cache policy: a new policy like it, with
/// Authorization in its cache key.
/// Source: Amazon CloudFront API reference, "GetCachePolicy" (GET
/// /2020-05-31/cache-policy/{Id}; the managed CachingDisabled policy,
/// 4135ea2d-6df8-44a3-9df3-4b5a84be39ad, has MinTTL, DefaultTTL and MaxTTL 0 and every
/// behaviour `none`), "CreateCachePolicy" (POST /2020-05-31/cache-policy, a
/// `CachePolicyConfig` document; "if the MaxTTL is 0 … you can't include headers" in the key:
/// CloudFront's developer guide, "Understand cache policies") and "CachePolicyHeadersConfig"
/// (`HeaderBehavior` `none` | `whitelist`, `Headers` with `Quantity` and `Items/Name`).
#[tokio::test]
async fn a_cache_policy_with_authorization_is_one_cloudfront_accepts() {
    let disabled = r#"<?xml version="1.0" encoding="UTF-8"?>
<CachePolicy xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>4135ea2d-6df8-44a3-9df3-4b5a84be39ad</Id>
<LastModifiedTime>2020-07-27T18:00:00Z</LastModifiedTime><CachePolicyConfig><Comment>Policy with caching disabled</Comment>
<Name>Managed-CachingDisabled</Name><DefaultTTL>0</DefaultTTL><MaxTTL>0</MaxTTL><MinTTL>0</MinTTL>
<ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip>
<EnableAcceptEncodingBrotli>false</EnableAcceptEncodingBrotli><HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig>
<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior>
</QueryStringsConfig></ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig></CachePolicy>"#;
    let created = r#"<?xml version="1.0" encoding="UTF-8"?>
<CachePolicy xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>b2884449-e4de-46a7-ac36-70bc7f1ddd6d</Id>
<LastModifiedTime>2026-12-06T22:00:00Z</LastModifiedTime><CachePolicyConfig><Name>walab</Name><MinTTL>0</MinTTL>
<ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>false</EnableAcceptEncodingGzip>
<HeadersConfig><HeaderBehavior>whitelist</HeaderBehavior></HeadersConfig><CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig>
<QueryStringsConfig><QueryStringBehavior>all</QueryStringBehavior></QueryStringsConfig></ParametersInCacheKeyAndForwardedToOrigin>
</CachePolicyConfig></CachePolicy>"#;
    let (aws, seen) = stand_in(vec![
        ("/cache-policy/4135ea2d", 200, "text/xml", disabled.to_string()),
        ("/cache-policy", 201, "text/xml", created.to_string()),
    ])
    .await;
    let id = walab::aws::cloudfront::cache_policy_with_authorization(&aws, "4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
        .await
        .unwrap();
    assert_eq!(id, "b2884449-e4de-46a7-ac36-70bc7f1ddd6d");
    let seen = seen.lock().unwrap().clone();
    assert_eq!((seen[1].method.as_str(), seen[1].uri.as_str()), ("POST", "/2020-05-31/cache-policy"));
    let doc = roxmltree::Document::parse(&seen[1].body).unwrap();
    let text = |name: &str| doc.descendants().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).map(String::from);
    assert_eq!(doc.root_element().tag_name().name(), "CachePolicyConfig");
    assert_eq!(text("HeaderBehavior").as_deref(), Some("whitelist"));
    assert_eq!(text("Quantity").as_deref(), Some("1"));
    assert_eq!(text("Name").as_deref().map(|n| n.starts_with("walab-with-authorization-")), Some(true));
    let headers: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Headers"))
        .flat_map(|h| h.descendants().filter(|n| n.has_tag_name("Name")))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(headers, ["Authorization"]);
    assert_eq!(text("QueryStringBehavior").as_deref(), Some("all"), "the lab's API needs ?id=");
    let max_ttl: i64 = text("MaxTTL").unwrap().parse().unwrap();
    assert!(max_ttl >= 1, "headers in the key need caching enabled (MaxTTL {max_ttl})");
}

/// Retries, as the SDK's standard mode makes them: a 503 and a throttling answer are tried
/// again (with backoff) and the third attempt's answer is the call's. Source: the AWS SDKs and Tools reference guide, "Retry behavior"
/// (standard mode: 3 attempts; transient errors, throttling and 5xx are retried).
#[tokio::test]
async fn throttling_and_5xx_are_retried_in_standard_mode() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let stack = r#"<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
<StackName>walab-api</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/walab-api/1</StackId>
<CreationTime>2026-12-06T20:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus></member></Stacks></DescribeStacksResult>
<ResponseMetadata><RequestId>fixture</RequestId></ResponseMetadata></DescribeStacksResponse>"#;
    let app = axum::Router::new().fallback(move || {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            let throttled = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
            match n {
                0 => (axum::http::StatusCode::SERVICE_UNAVAILABLE, [("content-type", "text/xml")], String::new()),
                1 => (axum::http::StatusCode::BAD_REQUEST, [("content-type", "text/xml")], throttled.to_string()),
                _ => (axum::http::StatusCode::OK, [("content-type", "text/xml")], stack.to_string()),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let aws = Clients::new(&walab::target::local_sdk_config(&format!("http://{addr}"), "us-east-1"));
    let stack = walab::aws::cloudformation::stack(&aws, "walab-api").await.unwrap().unwrap();
    assert_eq!(stack.stack_name(), Some("walab-api"));
    assert_eq!(calls.load(Ordering::SeqCst), 3, "a 503, a throttle, then the answer");
}
