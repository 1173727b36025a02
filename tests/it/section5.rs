//! Section 5 walked through the official API Gateway and CloudFront clients and plain HTTP,
//! asserting at every stage what a learner would see, the lab's trap included.

use crate::common;

use crate::common::TestLab;
use aws_sdk_apigateway::types::{AuthorizerType, Op, PatchOperation};
use aws_sdk_cloudfront::error::ProvideErrorMetadata;
use aws_sdk_cloudfront::types::{Headers, InvalidationBatch, Paths};

struct Seen {
    status: u16,
    x_cache: String,
    body: String,
}

async fn get(url: &str, authorization: Option<&str>) -> Seen {
    let mut request = common::http().get(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let x_cache = response.headers().get("x-cache").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    Seen { status, x_cache, body: response.text().await.unwrap() }
}

#[track_caller]
fn expect(seen: &Seen, status: u16, x_cache: &str, body: &str) {
    assert_eq!(seen.status, status, "body: {}", seen.body);
    assert!(seen.x_cache.starts_with(x_cache), "X-Cache {:?}, expected {x_cache}", seen.x_cache);
    assert!(seen.body.contains(body), "body {:?} lacks {body:?}", seen.body);
}

const MESSI: &str = "My favorite player is Lionel Messi";
const UNAUTHORIZED: &str = "{\"message\":\"Unauthorized\"}";

#[tokio::test]
async fn section_5_through_the_sdks_and_http() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let edge = |id: u32| format!("http://{}/?id={id}", lab.running.endpoints().edge);
    let (apigw, cloudfront) = (lab.apigateway(), lab.cloudfront());

    // As section 5 begins: the warm cache answers, and the API refuses direct calls.
    expect(&get(&edge(1), None).await, 200, "Hit", MESSI);
    expect(&get(&info.api_gateway_url, None).await, 403, "", "Forbidden");

    // An ID token for the demo user, the lab's way.
    let token = lab.demo_tokens().await.id_token().unwrap().to_string();

    // 5.3: authorizer created and set on GET /, but not deployed: nothing changes.
    let api = apigw.get_rest_apis().send().await.unwrap();
    let api_id = api.items().iter().find(|a| a.name() == Some("wa-lab-rds-api")).unwrap().id().unwrap().to_string();
    let root = apigw.get_resources().rest_api_id(&api_id).send().await.unwrap();
    let root_id = root.items().iter().find(|r| r.path() == Some("/")).unwrap().id().unwrap().to_string();
    let pool_arn = lab
        .cognito()
        .describe_user_pool()
        .user_pool_id(&info.user_pool_id)
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let authorizer = apigw
        .create_authorizer()
        .rest_api_id(&api_id)
        .name("lab-cognito")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(pool_arn)
        .identity_source("method.request.header.Authorization")
        .send()
        .await
        .unwrap();
    let replace = |path: &str, value: &str| PatchOperation::builder().op(Op::Replace).path(path).value(value).build();
    apigw
        .update_method()
        .rest_api_id(&api_id)
        .resource_id(&root_id)
        .http_method("GET")
        .patch_operations(replace("/authorizationType", "COGNITO_USER_POOLS"))
        .patch_operations(replace("/authorizerId", authorizer.id().unwrap()))
        .send()
        .await
        .unwrap();
    expect(&get(&edge(1), None).await, 200, "Hit", MESSI);
    expect(&get(&edge(2), None).await, 200, "Miss", "Cristiano Ronaldo");

    // Deployed: a new cache key now meets the authorizer; the cached one still answers 200.
    apigw.create_deployment().rest_api_id(&api_id).stage_name("Dev").send().await.unwrap();
    expect(&get(&edge(1), None).await, 200, "Hit", MESSI);
    expect(&get(&edge(3), None).await, 401, "Error", UNAUTHORIZED);
    // A valid token does not help yet: CloudFront strips the header it does not forward.
    expect(&get(&edge(3), Some(&token)).await, 401, "Error", UNAUTHORIZED);

    // 5.4: forward Authorization, guarded by the ETag.
    let config = cloudfront.list_distributions().send().await.unwrap();
    let dist_id = config.distribution_list().unwrap().items()[0].id().to_string();
    let current = cloudfront.get_distribution_config().id(&dist_id).send().await.unwrap();
    let etag = current.e_tag().unwrap().to_string();
    let mut updated = current.distribution_config().unwrap().clone();
    #[allow(deprecated)]
    {
        let forwarded = updated.default_cache_behavior.as_mut().unwrap().forwarded_values.as_mut().unwrap();
        forwarded.headers = Some(Headers::builder().quantity(1).items("Authorization").build().unwrap());
    }
    let stale = cloudfront
        .update_distribution()
        .id(&dist_id)
        .if_match("E2STALEETAG")
        .distribution_config(updated.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Some("PreconditionFailed"));
    cloudfront.update_distribution().id(&dist_id).if_match(&etag).distribution_config(updated).send().await.unwrap();
    let deployed = cloudfront.get_distribution().id(&dist_id).send().await.unwrap();
    assert_eq!(deployed.distribution().unwrap().status(), "Deployed");
    // The trap: without a token the old entry's key still matches.
    expect(&get(&edge(1), None).await, 200, "Hit", MESSI);

    // Invalidate /*: InProgress when created, Completed when asked again (instant in tests).
    let batch = InvalidationBatch::builder()
        .paths(Paths::builder().quantity(1).items("/*").build().unwrap())
        .caller_reference("walk")
        .build()
        .unwrap();
    let created =
        cloudfront.create_invalidation().distribution_id(&dist_id).invalidation_batch(batch).send().await.unwrap();
    let invalidation = created.invalidation().unwrap();
    assert_eq!(invalidation.status(), "InProgress");
    let later = cloudfront.get_invalidation().distribution_id(&dist_id).id(invalidation.id()).send().await.unwrap();
    assert_eq!(later.invalidation().unwrap().status(), "Completed");

    // 5.5: no token → 401; the token → 200, then from the cache; Bearer accepted; WAF still guards.
    expect(&get(&edge(1), None).await, 401, "Error", UNAUTHORIZED);
    expect(&get(&edge(1), Some(&token)).await, 200, "Miss", MESSI);
    expect(&get(&edge(1), Some(&token)).await, 200, "Hit", MESSI);
    expect(&get(&edge(1), Some(&format!("Bearer {token}"))).await, 200, "Miss", MESSI);
    expect(&get(&info.api_gateway_url, Some(&token)).await, 403, "", "Forbidden");
    // Section 4's injection still returns every row to a signed-in user.
    let injection = format!("http://{}/?id=1%20or%201=1", lab.running.endpoints().edge);
    let seen = get(&injection, Some(&token)).await;
    expect(&seen, 200, "Miss", "Son Heung-min");
}
