//! CloudFormation through the official SDK client: the lab's stacks and their outputs.

use crate::common;

use crate::common::TestLab;
use aws_sdk_cloudformation::types::StackStatus;

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

fn code_and_message<E: aws_sdk_cloudformation::error::ProvideErrorMetadata>(e: &E) -> (String, String) {
    (e.code().unwrap_or_default().to_string(), e.message().unwrap_or_default().to_string())
}

#[tokio::test]
async fn the_stacks_resources_are_the_labs_own() {
    let lab = TestLab::start().await;
    let cfn = lab.cloudformation();
    let info = lab.info();
    let distribution = lab.cloudfront().list_distributions().send().await.unwrap();
    let distribution_id = distribution.distribution_list().unwrap().items()[0].id().to_string();
    let apis = lab.apigateway().get_rest_apis().send().await.unwrap();
    let api_id = apis.items()[0].id().unwrap().to_string();

    let edge = cfn.describe_stack_resources().stack_name("walab-cdn-waf-cognito").send().await.unwrap();
    let physical = |logical: &str| {
        let found = edge.stack_resources().iter().find(|r| r.logical_resource_id() == Some(logical));
        let found = found.unwrap_or_else(|| panic!("{logical} missing"));
        assert_eq!(found.resource_status(), Some(&aws_sdk_cloudformation::types::ResourceStatus::CreateComplete));
        (found.resource_type().unwrap_or_default().to_string(), found.physical_resource_id().unwrap().to_string())
    };
    assert_eq!(physical("CognitoUserPool"), ("AWS::Cognito::UserPool".into(), info.user_pool_id.clone()));
    assert_eq!(physical("CognitoUserPoolClient"), ("AWS::Cognito::UserPoolClient".into(), info.app_client_id.clone()));
    assert_eq!(physical("CloudFrontDistribution"), ("AWS::CloudFront::Distribution".into(), distribution_id.clone()));
    let (kind, acl) = physical("WAFWebACLR");
    assert_eq!(kind, "AWS::WAFv2::WebACL");
    assert!(acl.ends_with("|REGIONAL"), "{acl}");

    let api = cfn.list_stack_resources().stack_name("walab-api").send().await.unwrap();
    let summaries = api.stack_resource_summaries();
    let of = |logical: &str| summaries.iter().find(|r| r.logical_resource_id() == Some(logical)).unwrap();
    assert_eq!(of("apiGateway").physical_resource_id(), Some(api_id.as_str()));
    assert_eq!(of("apiGateway").resource_type(), Some("AWS::ApiGateway::RestApi"));
    assert_eq!(of("WADBInstance").resource_type(), Some("AWS::RDS::DBInstance"));
    assert_eq!(of("Cloud9").resource_type(), Some("AWS::Cloud9::EnvironmentEC2"));
    assert!(of("WANAT").physical_resource_id().unwrap().starts_with("nat-"));
    assert_eq!(of("LambdaRDSTest").resource_type(), Some("AWS::Lambda::Function"));

    // One resource, by logical id or by physical id alone.
    let one = cfn.describe_stack_resources().stack_name("walab-api").logical_resource_id("apiGateway").send().await;
    assert_eq!(one.unwrap().stack_resources().len(), 1);
    let by_physical = cfn.describe_stack_resources().physical_resource_id(&info.user_pool_id).send().await.unwrap();
    assert_eq!(by_physical.stack_resources()[0].stack_name(), Some("walab-cdn-waf-cognito"));

    // The bucket of section 1 is a parameter of the API stack.
    let described = cfn.describe_stacks().stack_name("walab-api").send().await.unwrap();
    let parameters = described.stacks()[0].parameters();
    assert!(parameters.iter().any(|p| p.parameter_key() == Some("SBucketName")), "{parameters:?}");

    // The lab's templates export nothing.
    assert!(cfn.list_exports().send().await.unwrap().exports().is_empty());

    // The template as written is SAM's; processed, its functions are Lambda's.
    let original = cfn.get_template().stack_name("walab-api").send().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(original.template_body().unwrap()).unwrap();
    assert_eq!(body["Transform"], "AWS::Serverless-2016-10-31");
    assert_eq!(body["Resources"]["LambdaRDSTest"]["Type"], "AWS::Serverless::Function");
    assert_eq!(original.stages_available().len(), 2);
    let processed = cfn
        .get_template()
        .stack_name("walab-api")
        .template_stage(aws_sdk_cloudformation::types::TemplateStage::Processed)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(processed.template_body().unwrap()).unwrap();
    assert_eq!(body["Resources"]["LambdaRDSTest"]["Type"], "AWS::Lambda::Function");
    let edge_template = cfn.get_template().stack_name("walab-cdn-waf-cognito").send().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(edge_template.template_body().unwrap()).unwrap();
    assert_eq!(body["Resources"]["CognitoUserPool"]["Type"], "AWS::Cognito::UserPool");
    assert!(body["Outputs"]["CognitoUserPoolID"].is_object());

    // AWS's refusals.
    let unknown = ("ValidationError".to_string(), "Stack with id nope does not exist".to_string());
    let e = cfn.describe_stack_resources().stack_name("nope").send().await.unwrap_err().into_service_error();
    assert_eq!(code_and_message(&e), unknown);
    let e = cfn.list_stack_resources().stack_name("nope").send().await.unwrap_err().into_service_error();
    assert_eq!(code_and_message(&e), unknown);
    let e = cfn.get_template().stack_name("nope").send().await.unwrap_err().into_service_error();
    assert_eq!(code_and_message(&e), unknown);
    let e = cfn
        .describe_stack_resources()
        .stack_name("walab-api")
        .logical_resource_id("Nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code_and_message(&e).1, "Resource Nope does not exist for stack walab-api");
    let e = cfn.describe_stack_resources().send().await.unwrap_err().into_service_error();
    assert_eq!(code_and_message(&e).0, "ValidationError");
}

#[tokio::test]
async fn deleting_a_stack_removes_its_resources_and_a_blocked_deletion_says_why() {
    let lab = TestLab::start().await;
    let cfn = lab.cloudformation();
    let info = lab.info();
    let api_stack = cfn.describe_stacks().stack_name("walab-api").send().await.unwrap().stacks()[0].clone();
    let api_stack_id = api_stack.stack_id().unwrap().to_string();

    // The API first: CloudFront still sends its requests to it, so its deletion fails.
    cfn.delete_stack().stack_name("walab-api").send().await.unwrap();
    let failed = cfn.describe_stacks().stack_name("walab-api").send().await.unwrap().stacks()[0].clone();
    assert_eq!(failed.stack_status(), Some(&StackStatus::DeleteFailed));
    assert_eq!(failed.stack_status_reason(), Some("The following resource(s) failed to delete: [apiGateway]. "));
    let events = cfn.describe_stack_events().stack_name("walab-api").send().await.unwrap();
    let blocked = events
        .stack_events()
        .iter()
        .find(|e| {
            e.resource_status() == Some(&aws_sdk_cloudformation::types::ResourceStatus::DeleteFailed)
                && e.logical_resource_id() == Some("apiGateway")
        })
        .expect("the resource that failed");
    assert!(blocked.resource_status_reason().unwrap().contains("CloudFront distribution"), "{blocked:?}");
    assert_eq!(events.stack_events()[0].logical_resource_id(), Some("walab-api"), "newest first");
    assert!(!lab.apigateway().get_rest_apis().send().await.unwrap().items().is_empty(), "nothing was deleted");

    // In the lab's order: the CloudFront stack, then the API.
    cfn.delete_stack().stack_name("walab-cdn-waf-cognito").send().await.unwrap();
    let e = cfn.describe_stacks().stack_name("walab-cdn-waf-cognito").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&e.into_service_error()),
        ("ValidationError".into(), "Stack with id walab-cdn-waf-cognito does not exist".into())
    );
    assert!(
        lab.cloudfront().list_distributions().send().await.unwrap().distribution_list().unwrap().items().is_empty()
    );
    let pool = lab.cognito().describe_user_pool().user_pool_id(&info.user_pool_id).send().await;
    assert_eq!(pool.unwrap_err().into_service_error().meta().code(), Some("ResourceNotFoundException"));

    cfn.delete_stack().stack_name("walab-api").send().await.unwrap();
    assert!(cfn.describe_stacks().stack_name("walab-api").send().await.is_err());
    assert!(lab.apigateway().get_rest_apis().send().await.unwrap().items().is_empty());
    // Gone by name, still there by id, as CloudFormation keeps deleted stacks.
    let by_id = cfn.describe_stacks().stack_name(&api_stack_id).send().await.unwrap();
    assert_eq!(by_id.stacks()[0].stack_status(), Some(&StackStatus::DeleteComplete));
    assert!(cfn.describe_stacks().send().await.unwrap().stacks().is_empty());
    let listed = cfn.list_stacks().send().await.unwrap();
    assert!(listed.stack_summaries().iter().all(|s| s.stack_status() == Some(&StackStatus::DeleteComplete)));
    // Deleting what is gone is not an error.
    cfn.delete_stack().stack_name("walab-api").send().await.unwrap();
    // The edge says there is no distribution, instead of serving the old cache.
    let edge = common::http().get(&info.cloudfront_endpoint).send().await.unwrap();
    assert_eq!(edge.status(), 403);
}
