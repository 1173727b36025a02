//! WAFv2 `GetWebACLForResource` through the official SDK client: the regional web ACL on the
//! API's stage, nothing for the user pool, and WAF's refusals as the SDK types them.

use crate::common::TestLab;
use aws_sdk_wafv2::error::ProvideErrorMetadata;
use aws_sdk_wafv2::operation::get_web_acl_for_resource::GetWebACLForResourceError;
use aws_sdk_wafv2::types::FieldToMatch;

fn wafv2(lab: &TestLab) -> aws_sdk_wafv2::Client {
    aws_sdk_wafv2::Client::new(&lab.sdk())
}

#[tokio::test]
async fn the_sdk_finds_the_regional_acl_on_the_stage_and_none_on_the_pool() {
    let lab = TestLab::start().await;
    let api = lab.apigateway().get_rest_apis().send().await.unwrap().items()[0].id().unwrap().to_string();
    let stage = lab.apigateway().get_stage().rest_api_id(&api).stage_name("Dev").send().await.unwrap();
    let arn = format!("arn:aws:apigateway:us-east-1::/restapis/{api}/stages/Dev");
    let found = wafv2(&lab).get_web_acl_for_resource().resource_arn(&arn).send().await.unwrap();
    let acl = found.web_acl().expect("the stage has a web ACL");
    assert_eq!(Some(acl.arn()), stage.web_acl_arn());
    assert!(acl.default_action().and_then(|a| a.block()).is_some(), "{acl:?}");
    let rule = &acl.rules()[0];
    let statement = rule.statement().and_then(|s| s.byte_match_statement()).expect("a byte match");
    let header = statement.field_to_match().and_then(FieldToMatch::single_header).map(|h| h.name());
    assert_eq!(header, Some("x-origin-verify"));
    assert!(rule.action().and_then(|a| a.allow()).is_some());

    let pool = format!("arn:aws:cognito-idp:us-east-1:{}:userpool/{}", lab.account().ctx.id, lab.info().user_pool_id);
    let none = wafv2(&lab).get_web_acl_for_resource().resource_arn(pool).send().await.unwrap();
    assert!(none.web_acl().is_none());
}

#[tokio::test]
async fn the_sdk_reads_wafs_refusals() {
    let lab = TestLab::start().await;
    let missing = wafv2(&lab)
        .get_web_acl_for_resource()
        .resource_arn("arn:aws:apigateway:us-east-1::/restapis/nope/stages/Dev")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(missing, GetWebACLForResourceError::WafNonexistentItemException(_)), "{missing:?}");
    let malformed = wafv2(&lab)
        .get_web_acl_for_resource()
        .resource_arn("not-an-arn-at-all-really")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(malformed, GetWebACLForResourceError::WafInvalidParameterException(_)), "{malformed:?}");
    assert!(malformed.message().is_some_and(|m| m.contains("field: RESOURCE_ARN")), "{malformed:?}");
}
