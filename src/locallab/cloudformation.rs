//! CloudFormation (query protocol, XML answers): the lab's two stacks and their outputs.
//! Outputs are rendered on each call from the lab's resources and the listeners' addresses,
//! so they stay right when the lab comes back on other ports.

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::clock::{Millis, iso8601};
use super::state::LabState;
use super::wire::{ApiError, AwsRequest, request_id, xml_escape, xml_response};
use super::{Endpoints, LocalLab, ids};

pub const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
use crate::names::{API_STACK, EDGE_STACK, output};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StacksState {
    pub stacks: Vec<Stack>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    pub name: String,
    pub id: String,
    pub description: String,
    pub created: Millis,
}

impl StacksState {
    pub fn seed(now: Millis, region: &str, account: &str) -> Self {
        let stack = |name: &str, description: &str, created: Millis| Stack {
            name: name.to_string(),
            id: format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/{}", ids::uuid()),
            description: description.to_string(),
            created,
        };
        StacksState {
            stacks: vec![
                stack(API_STACK, "Section 1: the API, its Lambda function and the MySQL database", now - 7_200_000),
                stack(EDGE_STACK, "Section 3: CloudFront, WAF and the Cognito user pool", now - 3_600_000),
            ],
        }
    }
}

/// One output of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub key: &'static str,
    pub value: String,
    pub description: &'static str,
}

/// The outputs of `stack`, exactly the keys the lab's templates declare.
pub fn outputs(state: &LabState, endpoints: &Endpoints, stack: &str) -> Vec<Output> {
    let region = &state.region;
    let console = "https://console.aws.amazon.com";
    let out = |key, value: String, description| Output { key, value, description };
    match stack {
        API_STACK => vec![
            out(output::API_GATEWAY_URL, endpoints.api_gateway_url(), "The API's invoke URL on stage Dev"),
            out(
                "RDSMysqlSecret",
                format!("{console}/secretsmanager/home?region={region}#!/secret?name=walab-rds-secret"),
                "Console link to the database credentials",
            ),
            out("RDS", format!("{console}/rds/home?region={region}#databases:"), "Console link to the database"),
            out(
                "Cloud9URL",
                format!("{console}/cloud9/home?region={region}"),
                "Console link to the Cloud9 environment",
            ),
        ],
        EDGE_STACK => {
            let pool = state.cognito.lab_pool();
            let client = pool.lab_client();
            let signup = format!(
                "{}/login?client_id={}&response_type=code&scope=aws.cognito.signin.user.admin+email+openid&redirect_uri=https://example.com/callback",
                endpoints.aws_endpoint_url(),
                client.id
            );
            let distribution = &state.cloudfront.distribution.id;
            vec![
                out(output::USER_POOL_ID, pool.id.clone(), "The user pool's id"),
                out(output::APP_CLIENT_ID, client.id.clone(), "The app client's id"),
                out(output::SIGNUP_URL, signup, "Hosted sign-up page"),
                out(output::CLOUDFRONT_ENDPOINT, endpoints.cloudfront_endpoint(), "The API through CloudFront"),
                out(
                    output::CLOUDFRONT_CONSOLE,
                    format!("{console}/cloudfront/v4/home#/distributions/{distribution}"),
                    "Console link to the distribution",
                ),
                out("OriginVerifyHeaderName", state.waf.header_name.clone(), "The header CloudFront adds for WAF"),
                out(
                    "OriginVerifyHeader",
                    format!("{console}/secretsmanager/home?region={region}#!/secret?name={}", state.waf.secret_name),
                    "Console link to the origin header's secret",
                ),
                out(
                    "WAFWebACLR",
                    format!("{console}/wafv2/homev2/web-acl/{}?region={region}", state.waf.regional_acl_name),
                    "Regional web ACL on the API stage",
                ),
                out(
                    "WAFWebACLG",
                    format!("{console}/wafv2/homev2/web-acl/{}?region=global", state.waf.global_acl_name),
                    "Global web ACL on CloudFront",
                ),
            ]
        }
        _ => Vec::new(),
    }
}

pub fn handle(lab: &LocalLab, req: &AwsRequest) -> Response {
    let params: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let result = match param("Action").filter(|a| !a.is_empty()) {
        _ if !req.is_signed() => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )),
        Some("DescribeStacks") => describe_stacks(lab, param("StackName")),
        Some("ListStacks") => list_stacks(lab),
        Some(action) => Err(ApiError::bad_request(
            "InvalidAction",
            format!(
                "The action {action} is not valid for this web service (the local lab answers DescribeStacks and ListStacks)."
            ),
        )),
        None => Err(ApiError::bad_request("MissingAction", "The request must contain the parameter Action.")),
    };
    match result {
        Ok(body) => xml_response(StatusCode::OK, body),
        Err(e) => e.into_xml(NAMESPACE),
    }
}

fn envelope(action: &str, result: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<{action}Response xmlns=\"{NAMESPACE}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        request_id()
    )
}

fn describe_stacks(lab: &LocalLab, name: Option<&str>) -> Result<String, ApiError> {
    lab.read(|state| {
        let stacks: Vec<&Stack> = match name {
            Some(name) => {
                let found = state.stacks.stacks.iter().find(|s| s.name == name || s.id == name);
                vec![found.ok_or_else(|| {
                    ApiError::bad_request("ValidationError", format!("Stack with id {name} does not exist"))
                })?]
            }
            None => state.stacks.stacks.iter().collect(),
        };
        let mut xml = String::from("<Stacks>");
        for stack in stacks {
            xml.push_str(&format!(
                "<member><StackId>{}</StackId><StackName>{}</StackName><Description>{}</Description><CreationTime>{}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><DisableRollback>false</DisableRollback><EnableTerminationProtection>false</EnableTerminationProtection><Capabilities><member>CAPABILITY_IAM</member></Capabilities><Outputs>",
                xml_escape(&stack.id),
                xml_escape(&stack.name),
                xml_escape(&stack.description),
                iso8601(stack.created)
            ));
            for output in outputs(state, &lab.endpoints, &stack.name) {
                xml.push_str(&format!(
                    "<member><OutputKey>{}</OutputKey><OutputValue>{}</OutputValue><Description>{}</Description></member>",
                    output.key,
                    xml_escape(&output.value),
                    xml_escape(output.description)
                ));
            }
            xml.push_str("</Outputs><DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation></member>");
        }
        xml.push_str("</Stacks>");
        Ok(envelope("DescribeStacks", &xml))
    })
}

fn list_stacks(lab: &LocalLab) -> Result<String, ApiError> {
    lab.read(|state| {
        let mut xml = String::from("<StackSummaries>");
        for stack in &state.stacks.stacks {
            xml.push_str(&format!(
                "<member><StackId>{}</StackId><StackName>{}</StackName><TemplateDescription>{}</TemplateDescription><CreationTime>{}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation></member>",
                xml_escape(&stack.id),
                xml_escape(&stack.name),
                xml_escape(&stack.description),
                iso8601(stack.created)
            ));
        }
        xml.push_str("</StackSummaries>");
        Ok(envelope("ListStacks", &xml))
    })
}
