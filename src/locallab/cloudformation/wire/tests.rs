//! The official CloudFormation client against a loopback server: what it sends reads as the
//! typed request, and each answer reads as every field it carries.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types as sdk;
use aws_smithy_types::DateTime;

use super::*;
use crate::locallab::machinery::xml::loopback::{Loopback, assert_same_tree};

fn time(seconds: i64) -> DateTime {
    DateTime::from_secs(seconds)
}

async fn client() -> (Loopback, Client) {
    let server = Loopback::start().await;
    let client = Client::new(&server.sdk());
    (server, client)
}

fn parsed(server: &Loopback) -> Request {
    Request::parse(server.last().body.as_bytes()).unwrap()
}

const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/walab-cdn-waf-cognito/1f0e";

fn stack() -> Stack {
    Stack {
        stack_id: STACK_ID.into(),
        stack_name: "walab-cdn-waf-cognito".into(),
        change_set_id: Some("arn:changeset".into()),
        description: Some("Section 3: CloudFront, WAF & the <Cognito> pool".into()),
        parameters: Some(
            vec![Parameter {
                parameter_key: Some("Stage".into()),
                parameter_value: Some("Dev".into()),
                use_previous_value: Some(false),
                resolved_value: Some("Dev".into()),
            }]
            .into(),
        ),
        creation_time: time(1_700_000_000),
        deletion_time: None,
        last_updated_time: Some(time(1_700_000_500)),
        stack_status: "CREATE_COMPLETE".into(),
        stack_status_reason: Some("done".into()),
        disable_rollback: Some(false),
        notification_arns: Some(vec!["arn:sns:a".to_string(), "arn:sns:b".to_string()].into()),
        timeout_in_minutes: Some(30),
        capabilities: Some(vec!["CAPABILITY_IAM".to_string(), "CAPABILITY_NAMED_IAM".to_string()].into()),
        outputs: Some(
            vec![
                Output {
                    output_key: "CloudFrontEndpoint".into(),
                    output_value: "http://127.0.0.1:4567/?id=1&x=y".into(),
                    description: Some("The API through CloudFront".into()),
                    export_name: Some("walab-cf".into()),
                },
                Output {
                    output_key: "UserPoolId".into(),
                    output_value: "us-east-1_abc".into(),
                    description: None,
                    export_name: None,
                },
            ]
            .into(),
        ),
        role_arn: Some("arn:aws:iam::123456789012:role/cfn".into()),
        tags: Some(vec![Tag { key: "lab".into(), value: "walab".into() }].into()),
        enable_termination_protection: Some(true),
        parent_id: Some("arn:parent".into()),
        root_id: Some("arn:root".into()),
        drift_information: Some(StackDriftInformation {
            stack_drift_status: "IN_SYNC".into(),
            last_check_timestamp: Some(time(1_700_000_900)),
        }),
        retain_except_on_create: Some(true),
        deletion_mode: Some("STANDARD".into()),
        detailed_status: Some("CONFIGURATION_COMPLETE".into()),
    }
}

#[tokio::test]
async fn describe_stacks_reads_as_every_field() {
    let (server, client) = client().await;
    let result = DescribeStacksResult { stacks: vec![stack()].into(), next_token: Some("t2".into()) };
    server.answer(200, &[], response_xml(&result, "req-1"));
    let out = client.describe_stacks().stack_name("walab-cdn-waf-cognito").next_token("t1").send().await.unwrap();
    assert_eq!(
        parsed(&server),
        Request::DescribeStacks(DescribeStacks {
            stack_name: Some("walab-cdn-waf-cognito".into()),
            next_token: Some("t1".into())
        })
    );
    assert_eq!(out.next_token(), Some("t2"));
    let s = &out.stacks()[0];
    assert_eq!(
        (s.stack_id(), s.stack_name(), s.change_set_id()),
        (Some(STACK_ID), Some("walab-cdn-waf-cognito"), Some("arn:changeset"))
    );
    assert_eq!(s.description(), Some("Section 3: CloudFront, WAF & the <Cognito> pool"));
    let p = &s.parameters()[0];
    assert_eq!(
        (p.parameter_key(), p.parameter_value(), p.use_previous_value(), p.resolved_value()),
        (Some("Stage"), Some("Dev"), Some(false), Some("Dev"))
    );
    assert_eq!(
        (s.creation_time(), s.deletion_time(), s.last_updated_time()),
        (Some(&time(1_700_000_000)), None, Some(&time(1_700_000_500)))
    );
    assert_eq!(s.stack_status(), Some(&sdk::StackStatus::CreateComplete));
    assert_eq!(
        (s.stack_status_reason(), s.disable_rollback(), s.timeout_in_minutes()),
        (Some("done"), Some(false), Some(30))
    );
    assert_eq!(s.notification_arns(), ["arn:sns:a", "arn:sns:b"]);
    assert_eq!(s.capabilities(), [sdk::Capability::CapabilityIam, sdk::Capability::CapabilityNamedIam]);
    let outputs: Vec<_> =
        s.outputs().iter().map(|o| (o.output_key(), o.output_value(), o.description(), o.export_name())).collect();
    assert_eq!(
        outputs,
        [
            (
                Some("CloudFrontEndpoint"),
                Some("http://127.0.0.1:4567/?id=1&x=y"),
                Some("The API through CloudFront"),
                Some("walab-cf")
            ),
            (Some("UserPoolId"), Some("us-east-1_abc"), None, None)
        ]
    );
    assert_eq!(s.role_arn(), Some("arn:aws:iam::123456789012:role/cfn"));
    assert_eq!((s.tags()[0].key(), s.tags()[0].value()), (Some("lab"), Some("walab")));
    assert_eq!(
        (s.enable_termination_protection(), s.parent_id(), s.root_id()),
        (Some(true), Some("arn:parent"), Some("arn:root"))
    );
    let drift = s.drift_information().unwrap();
    assert_eq!(drift.stack_drift_status(), Some(&sdk::StackDriftStatus::InSync));
    assert_eq!(drift.last_check_timestamp(), Some(&time(1_700_000_900)));
    assert_eq!(s.retain_except_on_create(), Some(true));
    assert_eq!(s.deletion_mode(), Some(&sdk::DeletionMode::Standard));
    assert_eq!(s.detailed_status(), Some(&sdk::DetailedStatus::ConfigurationComplete));
}

#[test]
fn answers_have_the_query_envelope() {
    let xml = response_xml(&ListExportsResult { exports: Vec::new().into(), next_token: None }, "req-1");
    assert_same_tree(
        &xml,
        "<ListExportsResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
         <ListExportsResult><Exports/></ListExportsResult>\
         <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListExportsResponse>",
    );
    assert_same_tree(
        &delete_stack_response_xml("req-2"),
        "<DeleteStackResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
         <ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteStackResponse>",
    );
}

#[tokio::test]
async fn list_stacks_reads_its_filter_and_answers_every_field() {
    let (server, client) = client().await;
    let summary = StackSummary {
        stack_id: STACK_ID.into(),
        stack_name: "walab-cdn-waf-cognito".into(),
        template_description: Some("Section 3".into()),
        creation_time: time(1_700_000_000),
        last_updated_time: Some(time(1_700_000_100)),
        deletion_time: Some(time(1_700_000_200)),
        stack_status: "DELETE_COMPLETE".into(),
        stack_status_reason: Some("deleted".into()),
        parent_id: Some("arn:parent".into()),
        root_id: Some("arn:root".into()),
        drift_information: Some(StackDriftInformation {
            stack_drift_status: "NOT_CHECKED".into(),
            last_check_timestamp: None,
        }),
    };
    let result = ListStacksResult { stack_summaries: vec![summary.clone(), summary].into(), next_token: None };
    server.answer(200, &[], response_xml(&result, "req-1"));
    let out = client
        .list_stacks()
        .stack_status_filter(sdk::StackStatus::CreateComplete)
        .stack_status_filter(sdk::StackStatus::DeleteComplete)
        .stack_status_filter(sdk::StackStatus::UpdateComplete)
        .next_token("t")
        .send()
        .await
        .unwrap();
    assert_eq!(
        parsed(&server),
        Request::ListStacks(ListStacks {
            next_token: Some("t".into()),
            stack_status_filter: vec!["CREATE_COMPLETE".into(), "DELETE_COMPLETE".into(), "UPDATE_COMPLETE".into()],
        })
    );
    assert_eq!(out.next_token(), None);
    assert_eq!(out.stack_summaries().len(), 2);
    let s = &out.stack_summaries()[0];
    assert_eq!(
        (s.stack_id(), s.stack_name(), s.template_description()),
        (Some(STACK_ID), Some("walab-cdn-waf-cognito"), Some("Section 3"))
    );
    assert_eq!(
        (s.creation_time(), s.last_updated_time(), s.deletion_time()),
        (Some(&time(1_700_000_000)), Some(&time(1_700_000_100)), Some(&time(1_700_000_200)))
    );
    assert_eq!((s.stack_status(), s.stack_status_reason()), (Some(&sdk::StackStatus::DeleteComplete), Some("deleted")));
    assert_eq!((s.parent_id(), s.root_id()), (Some("arn:parent"), Some("arn:root")));
    assert_eq!(s.drift_information().unwrap().stack_drift_status(), Some(&sdk::StackDriftStatus::NotChecked));
}

#[tokio::test]
async fn stack_resources_read_as_every_field() {
    let (server, client) = client().await;
    let drift = || {
        Some(ResourceDriftInformation {
            stack_resource_drift_status: "IN_SYNC".into(),
            last_check_timestamp: Some(time(1_700_000_300)),
        })
    };
    let resource = StackResource {
        stack_name: "walab-api".into(),
        stack_id: STACK_ID.into(),
        logical_resource_id: "RestApi".into(),
        physical_resource_id: Some("abc123".into()),
        resource_type: "AWS::ApiGateway::RestApi".into(),
        timestamp: time(1_700_000_000),
        resource_status: "CREATE_COMPLETE".into(),
        resource_status_reason: Some("ok".into()),
        description: Some("the API".into()),
        drift_information: drift(),
    };
    server.answer(
        200,
        &[],
        response_xml(&DescribeStackResourcesResult { stack_resources: vec![resource].into() }, "r"),
    );
    let out =
        client.describe_stack_resources().stack_name("walab-api").logical_resource_id("RestApi").send().await.unwrap();
    assert_eq!(
        parsed(&server),
        Request::DescribeStackResources(DescribeStackResources {
            stack_name: Some("walab-api".into()),
            logical_resource_id: Some("RestApi".into()),
            physical_resource_id: None,
        })
    );
    let r = &out.stack_resources()[0];
    assert_eq!(
        (r.stack_name(), r.stack_id(), r.logical_resource_id(), r.physical_resource_id()),
        (Some("walab-api"), Some(STACK_ID), Some("RestApi"), Some("abc123"))
    );
    assert_eq!((r.resource_type(), r.timestamp()), (Some("AWS::ApiGateway::RestApi"), Some(&time(1_700_000_000))));
    assert_eq!(
        (r.resource_status(), r.resource_status_reason(), r.description()),
        (Some(&sdk::ResourceStatus::CreateComplete), Some("ok"), Some("the API"))
    );
    assert_eq!(
        r.drift_information().unwrap().stack_resource_drift_status(),
        Some(&sdk::StackResourceDriftStatus::InSync)
    );
    assert_eq!(r.drift_information().unwrap().last_check_timestamp(), Some(&time(1_700_000_300)));

    let summary = StackResourceSummary {
        logical_resource_id: "Authorizer".into(),
        physical_resource_id: None,
        resource_type: "AWS::ApiGateway::Authorizer".into(),
        last_updated_timestamp: time(1_700_000_400),
        resource_status: "UPDATE_COMPLETE".into(),
        resource_status_reason: None,
        drift_information: drift(),
    };
    let result =
        ListStackResourcesResult { stack_resource_summaries: vec![summary].into(), next_token: Some("n".into()) };
    server.answer(200, &[], response_xml(&result, "r"));
    let out = client.list_stack_resources().stack_name("walab-api").send().await.unwrap();
    assert_eq!(
        parsed(&server),
        Request::ListStackResources(ListStackResources { stack_name: "walab-api".into(), next_token: None })
    );
    assert_eq!(out.next_token(), Some("n"));
    let s = &out.stack_resource_summaries()[0];
    assert_eq!(
        (s.logical_resource_id(), s.physical_resource_id(), s.resource_type()),
        (Some("Authorizer"), None, Some("AWS::ApiGateway::Authorizer"))
    );
    assert_eq!(
        (s.last_updated_timestamp(), s.resource_status()),
        (Some(&time(1_700_000_400)), Some(&sdk::ResourceStatus::UpdateComplete))
    );
    assert!(s.drift_information().is_some());
}

#[tokio::test]
async fn exports_templates_and_events_read_as_every_field() {
    let (server, client) = client().await;
    let export =
        Export { exporting_stack_id: STACK_ID.into(), name: "walab-cf".into(), value: "http://x/?id=1".into() };
    server.answer(
        200,
        &[],
        response_xml(&ListExportsResult { exports: vec![export].into(), next_token: Some("e2".into()) }, "r"),
    );
    let out = client.list_exports().next_token("e1").send().await.unwrap();
    assert_eq!(parsed(&server), Request::ListExports(ListExports { next_token: Some("e1".into()) }));
    let e = &out.exports()[0];
    assert_eq!(
        (e.exporting_stack_id(), e.name(), e.value(), out.next_token()),
        (Some(STACK_ID), Some("walab-cf"), Some("http://x/?id=1"), Some("e2"))
    );

    let template = GetTemplateResult {
        template_body: "{\"Resources\": {\"A\": {\"Type\": \"AWS::S3::Bucket\"}}, \"x\": \"<&>\"}".into(),
        stages_available: vec!["Original".to_string(), "Processed".to_string()].into(),
    };
    server.answer(200, &[], response_xml(&template, "r"));
    let out = client
        .get_template()
        .stack_name("walab-api")
        .template_stage(sdk::TemplateStage::Processed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        parsed(&server),
        Request::GetTemplate(GetTemplate {
            stack_name: Some("walab-api".into()),
            change_set_name: None,
            template_stage: Some("Processed".into())
        })
    );
    assert_eq!(out.template_body(), Some(template.template_body.as_str()));
    assert_eq!(out.stages_available(), [sdk::TemplateStage::Original, sdk::TemplateStage::Processed]);

    let event = StackEvent {
        stack_id: STACK_ID.into(),
        event_id: "ev-1".into(),
        stack_name: "walab-api".into(),
        logical_resource_id: Some("walab-api".into()),
        physical_resource_id: Some(STACK_ID.into()),
        resource_type: Some("AWS::CloudFormation::Stack".into()),
        timestamp: time(1_700_000_000),
        resource_status: Some("CREATE_COMPLETE".into()),
        resource_status_reason: Some("".into()),
        resource_properties: Some("{}".into()),
        client_request_token: Some("tok".into()),
    };
    server.answer(
        200,
        &[],
        response_xml(&DescribeStackEventsResult { stack_events: vec![event].into(), next_token: None }, "r"),
    );
    let out = client.describe_stack_events().stack_name("walab-api").send().await.unwrap();
    assert_eq!(
        parsed(&server),
        Request::DescribeStackEvents(DescribeStackEvents { stack_name: Some("walab-api".into()), next_token: None })
    );
    let e = &out.stack_events()[0];
    assert_eq!((e.stack_id(), e.event_id(), e.stack_name()), (Some(STACK_ID), Some("ev-1"), Some("walab-api")));
    assert_eq!(
        (e.logical_resource_id(), e.physical_resource_id(), e.resource_type()),
        (Some("walab-api"), Some(STACK_ID), Some("AWS::CloudFormation::Stack"))
    );
    assert_eq!(
        (e.timestamp(), e.resource_status()),
        (Some(&time(1_700_000_000)), Some(&sdk::ResourceStatus::CreateComplete))
    );
    assert_eq!(
        (e.resource_status_reason(), e.resource_properties(), e.client_request_token()),
        (Some(""), Some("{}"), Some("tok"))
    );
}

#[tokio::test]
async fn delete_stack_reads_its_members() {
    let (server, client) = client().await;
    server.answer(200, &[], delete_stack_response_xml("r"));
    client
        .delete_stack()
        .stack_name("walab-api")
        .retain_resources("Database")
        .retain_resources("Bucket")
        .role_arn("arn:role")
        .client_request_token("tok")
        .deletion_mode(sdk::DeletionMode::ForceDeleteStack)
        .send()
        .await
        .unwrap();
    assert_eq!(
        parsed(&server),
        Request::DeleteStack(DeleteStack {
            stack_name: "walab-api".into(),
            retain_resources: vec!["Database".into(), "Bucket".into()],
            role_arn: Some("arn:role".into()),
            client_request_token: Some("tok".into()),
            deletion_mode: Some("FORCE_DELETE_STACK".into()),
        })
    );
}

#[tokio::test]
async fn errors_read_as_their_code_and_message() {
    let (server, client) = client().await;
    let message = "Stack with id nope does not exist";
    server.answer(400, &[], error_xml(http::StatusCode::BAD_REQUEST, "ValidationError", message, "req-9"));
    let e = client.describe_stacks().stack_name("nope").send().await.unwrap_err().into_service_error();
    assert_eq!((e.code(), e.message()), (Some("ValidationError"), Some(message)));

    server.answer(
        500,
        &[],
        error_xml(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "the store refused the write", "r"),
    );
    let e = client.list_stacks().send().await.unwrap_err().into_service_error();
    assert_eq!((e.code(), e.message()), (Some("InternalFailure"), Some("the store refused the write")));
    assert!(
        error_xml(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "x", "r")
            .contains("<Type>Receiver</Type>")
    );
}

#[test]
fn refuses_requests_as_aws_does() {
    let refused = |body: &str| Request::parse(body.as_bytes()).unwrap_err();
    assert_eq!(refused("Version=2010-05-15").code, "MissingAction");
    assert_eq!(refused("Action=&Version=2010-05-15").code, "MissingAction");
    let e = refused("Action=CreateStack&Version=2010-05-15");
    assert_eq!(
        (e.code, e.message.as_str()),
        ("InvalidAction", "The action CreateStack is not valid for this web service.")
    );
    let e = refused("Action=DeleteStack&Version=2010-05-15");
    assert_eq!(e.code, "ValidationError");
    assert_eq!(
        e.message,
        "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null"
    );
    let api: ApiError = e.into();
    assert_eq!(api.status, http::StatusCode::BAD_REQUEST);
    // Percent-encoding and `+` are the form encoding's.
    let Request::DescribeStacks(d) = Request::parse(b"Action=DescribeStacks&StackName=a%2Fb+c").unwrap() else {
        panic!()
    };
    assert_eq!(d.stack_name.as_deref(), Some("a/b c"));
    // Members out of order come back in member order.
    let Request::ListStacks(l) =
        Request::parse(b"Action=ListStacks&StackStatusFilter.member.2=B&StackStatusFilter.member.1=A").unwrap()
    else {
        panic!()
    };
    assert_eq!(l.stack_status_filter, ["A", "B"]);
}
