//! STS `GetCallerIdentity` through the official SDK client, WAFv2 `GetWebACLForResource` on the
//! wire (`tests/it/waf_sdk.rs` has it through the SDK client), and unknown operations naming the service the
//! caller addressed, and every service refusing an unsigned call in its own words.

use crate::common;

use crate::common::TestLab;
use aws_sdk_sts::error::ProvideErrorMetadata;
use serde_json::{Value, json};

#[tokio::test]
async fn get_caller_identity_names_the_account_and_a_user_of_it() {
    let lab = TestLab::start().await;
    let sts = aws_sdk_sts::Client::new(&lab.sdk());
    let me = sts.get_caller_identity().send().await.unwrap();
    let account = lab.account().ctx.id.clone();
    assert_eq!(me.account(), Some(account.as_str()));
    assert_eq!(me.arn(), Some(format!("arn:aws:iam::{account}:user/walab-learner").as_str()));
    assert!(me.user_id().is_some_and(|id| id.starts_with("AIDA") && id.len() == 21), "{:?}", me.user_id());

    // The query protocol's JSON answer, as `Accept: application/json` asks.
    let answer: Value = common::http()
        .post(&lab.info().aws_endpoint_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDLOCALLAB/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["GetCallerIdentityResponse"]["GetCallerIdentityResult"]["Account"], json!(account));
}

#[tokio::test]
async fn other_sts_actions_and_unsigned_calls_are_refused_in_stss_words() {
    let lab = TestLab::start().await;
    let sts = aws_sdk_sts::Client::new(&lab.sdk());
    let refused = sts.get_session_token().send().await.unwrap_err();
    assert_eq!(refused.code(), Some("InvalidAction"));
    let unsigned = common::http()
        .post(&lab.info().aws_endpoint_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-amz-target", "AWSSecurityTokenServiceV20110615.GetCallerIdentity")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
}

fn signed(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDLOCALLAB/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
    )
}

async fn waf(lab: &TestLab, body: Value) -> (u16, Value) {
    let response = common::http()
        .post(&lab.info().aws_endpoint_url)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSWAF_20190729.GetWebACLForResource")
        .header("authorization", signed("wafv2"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn get_web_acl_for_resource_finds_the_regional_acl_on_the_stage() {
    let lab = TestLab::start().await;
    let api = lab.apigateway().get_rest_apis().send().await.unwrap().items()[0].id().unwrap().to_string();
    let stage = format!("arn:aws:apigateway:us-east-1::/restapis/{api}/stages/Dev");
    let (status, body) = waf(&lab, json!({ "ResourceArn": stage })).await;
    assert_eq!(status, 200, "{body}");
    let acl = &body["WebACL"];
    let expected = lab.apigateway().get_stage().rest_api_id(&api).stage_name("Dev").send().await.unwrap();
    assert_eq!(acl["ARN"].as_str(), expected.web_acl_arn());
    assert_eq!(acl["DefaultAction"], json!({ "Block": {} }));
    assert_eq!(
        acl["Rules"][0]["Statement"]["ByteMatchStatement"]["FieldToMatch"]["SingleHeader"]["Name"],
        "x-origin-verify"
    );
    for member in ["Name", "Id", "VisibilityConfig", "Capacity", "LabelNamespace"] {
        assert!(!acl[member].is_null(), "{member} in {acl}");
    }

    // The user pool has no web ACL: an empty answer.
    let pool = format!("arn:aws:cognito-idp:us-east-1:{}:userpool/{}", lab.account().ctx.id, lab.info().user_pool_id);
    assert_eq!(waf(&lab, json!({ "ResourceArn": pool })).await, (200, json!({})));
}

#[tokio::test]
async fn get_web_acl_for_resource_refuses_what_does_not_exist_or_is_not_an_arn() {
    let lab = TestLab::start().await;
    let (status, body) =
        waf(&lab, json!({ "ResourceArn": "arn:aws:apigateway:us-east-1::/restapis/nope/stages/Dev" })).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("WAFNonexistentItemException")));
    let (status, body) = waf(&lab, json!({ "ResourceArn": "not-an-arn-at-all-really" })).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("WAFInvalidParameterException")));
    assert!(body["message"].as_str().unwrap().contains("field: RESOURCE_ARN"), "{body}");
    let (status, body) = waf(&lab, json!({})).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("ValidationException")));
}

#[tokio::test]
async fn unknown_operations_name_the_service_addressed() {
    let lab = TestLab::start().await;
    let url = lab.info().aws_endpoint_url;
    let iam = common::http()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", signed("iam"))
        .body("Action=ListUsers&Version=2010-05-08")
        .send()
        .await
        .unwrap();
    assert_eq!(iam.status(), 400);
    let text = iam.text().await.unwrap();
    assert!(text.contains("<Code>InvalidAction</Code>") && text.contains("the iam service"), "{text}");
    let lambda = common::http()
        .get(format!("{url}/2015-03-31/functions"))
        .header("authorization", signed("lambda"))
        .send()
        .await
        .unwrap();
    assert_eq!(lambda.status(), 404);
    let body: Value = lambda.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("the lambda service"), "{body}");
    let waf_other = common::http()
        .post(&url)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSWAF_20190729.ListWebACLs")
        .header("authorization", signed("wafv2"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let body: Value = waf_other.json().await.unwrap();
    assert_eq!(body["__type"], "UnknownOperationException");
    assert!(body["message"].as_str().unwrap().contains("WAF"), "{body}");
}

/// The router refuses unsigned calls for every service in one place; each answer keeps the
/// service's own status, code and words.
#[tokio::test]
async fn every_service_refuses_an_unsigned_call_in_its_own_words() {
    let lab = TestLab::start().await;
    let url = lab.info().aws_endpoint_url;
    let http = common::http();
    let json = |target: &str, content_type: &str| {
        http.post(&url).header("x-amz-target", target).header("content-type", content_type).body("{}")
    };
    let cases = [
        (
            "cognito",
            json("AWSCognitoIdentityProviderService.AdminGetUser", "application/x-amz-json-1.1"),
            400,
            "\"__type\":\"MissingAuthenticationTokenException\"",
            "\"message\":\"Missing Authentication Token\"",
        ),
        (
            "waf",
            json("AWSWAF_20190729.GetWebACLForResource", "application/x-amz-json-1.1"),
            400,
            "\"__type\":\"MissingAuthenticationTokenException\"",
            "\"message\":\"Missing Authentication Token\"",
        ),
        (
            "sts",
            json("AWSSecurityTokenServiceV20110615.GetCallerIdentity", "application/x-amz-json-1.0"),
            403,
            "\"__type\":\"com.amazonaws.sts#MissingAuthenticationToken\"",
            "\"message\":\"Request is missing Authentication Token\"",
        ),
        (
            "cloudformation",
            http.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("Action=DescribeStacks&Version=2010-05-15"),
            403,
            "<Code>MissingAuthenticationToken</Code>",
            "<Message>Request is missing Authentication Token</Message>",
        ),
        (
            "cloudfront",
            http.get(format!("{url}/2020-05-31/distribution")),
            403,
            "<Code>MissingAuthenticationToken</Code>",
            "<Message>Missing Authentication Token</Message>",
        ),
        ("apigateway", http.get(format!("{url}/restapis")), 403, "", "{\"message\":\"Missing Authentication Token\"}"),
    ];
    for (service, request, status, code, message) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{service}");
        let text = response.text().await.unwrap();
        assert!(text.contains(code) && text.contains(message), "{service}: {text}");
    }
}
