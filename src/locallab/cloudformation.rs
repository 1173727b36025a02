//! CloudFormation (query protocol, XML answers): the lab's two stacks and their outputs.
//! Outputs are rendered on each call from the account's resources and addresses (the account
//! gathers them), so they stay right when the lab comes back on other ports.

pub mod wire;

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::clock::{Millis, iso8601};
use super::ids;
use super::store::{Change, Record, Rows, Slice, StoreError, Table, Tables};
use super::wire::{ApiError, AwsRequest, request_id, xml_escape, xml_response};

pub const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
use crate::names::{API_STACK, EDGE_STACK};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    pub name: String,
    pub id: String,
    pub description: String,
    pub created: Millis,
}

impl Record for Stack {
    const KIND: &'static str = "cloudformation.stack";
    fn key(&self) -> String {
        self.name.clone()
    }
}

/// One account's stacks.
pub struct StacksState {
    pub stacks: Table<Stack>,
}

impl Tables for StacksState {
    const KINDS: &'static [&'static str] = &[Stack::KIND];
    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        Ok(StacksState { stacks: rows.table()? })
    }
    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.stacks.take_changes(out);
    }
}

impl StacksState {
    /// The lab's two stacks, as sections 1 and 3 left them.
    pub fn seed(now: Millis, region: &str, account: &str) -> Self {
        let stack = |name: &str, description: &str, created: Millis| Stack {
            name: name.to_string(),
            id: format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/{}", ids::uuid()),
            description: description.to_string(),
            created,
        };
        let mut stacks = Table::default();
        stacks.insert(stack(
            API_STACK,
            "Section 1: the API, its Lambda function and the MySQL database",
            now - 7_200_000,
        ));
        stacks.insert(stack(EDGE_STACK, "Section 3: CloudFront, WAF and the Cognito user pool", now - 3_600_000));
        StacksState { stacks }
    }

    /// In creation order.
    fn in_order(&self) -> Vec<&Stack> {
        let mut stacks: Vec<&Stack> = self.stacks.values().collect();
        stacks.sort_by_key(|s| s.created);
        stacks
    }
}

/// One output of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub key: &'static str,
    pub value: String,
    pub description: &'static str,
}

/// What the outputs are made of: the other services' facts, gathered by the account.
pub type Outputs<'a> = &'a dyn Fn(&str) -> Vec<Output>;

pub fn handle(stacks: &Slice<StacksState>, outputs: Outputs, req: &AwsRequest) -> Response {
    let params: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let result = match param("Action").filter(|a| !a.is_empty()) {
        _ if !req.is_signed() => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )),
        Some("DescribeStacks") => describe_stacks(stacks, outputs, param("StackName")),
        Some("ListStacks") => list_stacks(stacks),
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

fn describe_stacks(stacks: &Slice<StacksState>, outputs: Outputs, name: Option<&str>) -> Result<String, ApiError> {
    stacks.read(|state| {
        let stacks: Vec<&Stack> = match name {
            Some(name) => {
                let found = state.stacks.values().find(|s| s.name == name || s.id == name);
                vec![found.ok_or_else(|| {
                    ApiError::bad_request("ValidationError", format!("Stack with id {name} does not exist"))
                })?]
            }
            None => state.in_order(),
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
            for output in outputs(&stack.name) {
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

fn list_stacks(stacks: &Slice<StacksState>) -> Result<String, ApiError> {
    stacks.read(|state| {
        let mut xml = String::from("<StackSummaries>");
        for stack in state.in_order() {
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
