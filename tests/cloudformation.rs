//! CloudFormation through the official SDK client: the lab's stacks and their outputs.

mod common;

use aws_sdk_cloudformation::types::StackStatus;
use common::TestLab;

fn output<'a>(stack: &'a aws_sdk_cloudformation::types::Stack, key: &str) -> &'a str {
    stack
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some(key))
        .and_then(|o| o.output_value())
        .unwrap_or_else(|| panic!("output {key} missing"))
}

#[tokio::test]
async fn describes_both_stacks_with_the_labs_outputs() {
    let lab = TestLab::start().await;
    let cfn = lab.cloudformation();
    let info = lab.info();

    let edge = cfn.describe_stacks().stack_name("walab-cdn-waf-cognito").send().await.unwrap();
    let stack = &edge.stacks()[0];
    assert_eq!(stack.stack_status(), Some(&StackStatus::CreateComplete));
    let mut keys: Vec<&str> = stack.outputs().iter().filter_map(|o| o.output_key()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "CloudFrontConsole",
            "CloudFrontEndpoint",
            "CognitoAppClientID",
            "CognitoSignupURL",
            "CognitoUserPoolID",
            "OriginVerifyHeader",
            "OriginVerifyHeaderName",
            "WAFWebACLG",
            "WAFWebACLR"
        ]
    );
    assert_eq!(output(stack, "CognitoUserPoolID"), info.user_pool_id);
    assert_eq!(output(stack, "CognitoAppClientID"), info.app_client_id);
    assert_eq!(output(stack, "CloudFrontEndpoint"), info.cloudfront_endpoint);
    assert_eq!(output(stack, "OriginVerifyHeaderName"), "X-Origin-Verify");
    assert!(output(stack, "CognitoSignupURL").contains(&format!("client_id={}", info.app_client_id)));

    // The sign-up link leads somewhere that says what to do.
    let page = common::http().get(output(stack, "CognitoSignupURL")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("walab solve sign-up"));

    let pool = &info.user_pool_id;
    let (region, suffix) = pool.split_once('_').unwrap();
    assert_eq!(region, "us-east-1");
    assert!(suffix.len() == 9 && suffix.chars().all(|c| c.is_ascii_alphanumeric()), "{pool}");
    assert_eq!(info.app_client_id.len(), 26);

    let api = cfn.describe_stacks().stack_name("walab-api").send().await.unwrap();
    let stack = &api.stacks()[0];
    assert_eq!(output(stack, "APIGatewayURL"), info.api_gateway_url);
    assert!(info.api_gateway_url.ends_with("/Dev/?id=1"));
    for key in ["RDSMysqlSecret", "RDS", "Cloud9URL"] {
        assert!(output(stack, key).starts_with("https://"), "{key}");
    }

    let all = cfn.describe_stacks().send().await.unwrap();
    assert_eq!(all.stacks().len(), 2);
    let summaries = cfn.list_stacks().send().await.unwrap();
    assert_eq!(summaries.stack_summaries().len(), 2);
}

#[tokio::test]
async fn unknown_stack_is_a_validation_error() {
    let lab = TestLab::start().await;
    let err = lab.cloudformation().describe_stacks().stack_name("nope").send().await.unwrap_err();
    let service = err.into_service_error();
    let meta = aws_sdk_cloudformation::error::ProvideErrorMetadata::meta(&service);
    assert_eq!(meta.code(), Some("ValidationError"));
    assert_eq!(meta.message(), Some("Stack with id nope does not exist"));
}
