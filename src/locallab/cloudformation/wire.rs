//! CloudFormation's query protocol as typed data: a form-encoded request read with
//! `serde_urlencoded` into one struct per operation, and each answer a serde type written
//! as `<{Action}Response><{Action}Result>…</{Action}Result><ResponseMetadata/>` by the XML
//! serializer the CloudFront model uses. Query lists are `Name.member.N` in requests and
//! `<Name><member/>…</Name>` in answers.

use std::collections::BTreeMap;
use std::fmt;

use aws_smithy_types::DateTime;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::NAMESPACE;
use crate::locallab::machinery::wire::ApiError;
use crate::locallab::machinery::xml::{self, ErrorResponse};

/// The API version every request names.
pub const VERSION: &str = "2010-05-15";

/// A request the lab reads, by its `Action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    DescribeStacks(DescribeStacks),
    ListStacks(ListStacks),
    DescribeStackResources(DescribeStackResources),
    ListStackResources(ListStackResources),
    ListExports(ListExports),
    GetTemplate(GetTemplate),
    DeleteStack(DeleteStack),
    DescribeStackEvents(DescribeStackEvents),
}

/// Why a request was refused: the error code and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for QueryError {}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::bad_request(e.code, e.message)
    }
}

/// The members every request has.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Common {
    action: Option<String>,
    #[allow(dead_code)] // the SDK always sends VERSION; AWS answers any
    version: Option<String>,
}

impl Request {
    /// Reads a form-encoded request body.
    pub fn parse(body: &[u8]) -> Result<Request, QueryError> {
        let common: Common = read(body)?;
        let action = common.action.filter(|a| !a.is_empty()).ok_or_else(|| QueryError {
            code: "MissingAction",
            message: "The request must contain the parameter Action.".into(),
        })?;
        Ok(match action.as_str() {
            "DescribeStacks" => Request::DescribeStacks(read(body)?),
            "ListStacks" => Request::ListStacks(read(body)?),
            "DescribeStackResources" => Request::DescribeStackResources(read(body)?),
            "ListStackResources" => Request::ListStackResources(read(body)?),
            "ListExports" => Request::ListExports(read(body)?),
            "GetTemplate" => Request::GetTemplate(read(body)?),
            "DeleteStack" => Request::DeleteStack(read(body)?),
            "DescribeStackEvents" => Request::DescribeStackEvents(read(body)?),
            other => {
                return Err(QueryError {
                    code: "InvalidAction",
                    message: format!("The action {other} is not valid for this web service."),
                });
            }
        })
    }
}

fn read<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, QueryError> {
    serde_urlencoded::from_bytes(body).map_err(|e| {
        let text = e.to_string();
        // AWS names a missing member in the model's (camelCase) spelling.
        let message = match text.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`')) {
            Some(member) => {
                let mut camel = member.to_string();
                if let Some(first) = camel.get_mut(..1) {
                    first.make_ascii_lowercase();
                }
                format!("1 validation error detected: Value null at '{camel}' failed to satisfy constraint: Member must not be null")
            }
            None => format!("The request is not valid: {text}"),
        };
        QueryError { code: "ValidationError", message }
    })
}

/// `Name.member.1=…&Name.member.2=…` in member order (the other parameters are passed over).
fn members<'de, D: Deserializer<'de>>(deserializer: D, name: &str) -> Result<Vec<String>, D::Error> {
    let prefix = format!("{name}.member.");
    let mut numbered: Vec<(usize, String)> = BTreeMap::<String, String>::deserialize(deserializer)?
        .into_iter()
        .filter_map(|(key, value)| key.strip_prefix(&prefix).and_then(|n| n.parse().ok()).map(|n| (n, value)))
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    Ok(numbered.into_iter().map(|(_, value)| value).collect())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStacks {
    /// A name or a stack id; every stack when absent.
    pub stack_name: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStacks {
    pub next_token: Option<String>,
    /// Stack statuses to list; every status when empty.
    #[serde(flatten, deserialize_with = "stack_status_filter")]
    pub stack_status_filter: Vec<String>,
}

fn stack_status_filter<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    members(d, "StackStatusFilter")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStackResources {
    pub stack_name: Option<String>,
    pub logical_resource_id: Option<String>,
    pub physical_resource_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStackResources {
    pub stack_name: String,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExports {
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTemplate {
    pub stack_name: Option<String>,
    pub change_set_name: Option<String>,
    /// `Original` or `Processed`.
    pub template_stage: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteStack {
    pub stack_name: String,
    #[serde(flatten, deserialize_with = "retain_resources")]
    pub retain_resources: Vec<String>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
    pub client_request_token: Option<String>,
    /// `STANDARD` or `FORCE_DELETE_STACK`.
    pub deletion_mode: Option<String>,
}

fn retain_resources<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    members(d, "RetainResources")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStackEvents {
    pub stack_name: Option<String>,
    pub next_token: Option<String>,
}

/// A query list in an answer: `<Name><member/>…</Name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Members<T> {
    #[serde(rename = "member")]
    pub members: Vec<T>,
}

impl<T> From<Vec<T>> for Members<T> {
    fn from(members: Vec<T>) -> Self {
        Members { members }
    }
}

/// An answer's result, and the names of its envelope.
pub trait QueryResult: Serialize {
    const RESPONSE: &'static str;
    const RESULT: &'static str;
}

/// The whole answer document for `result`.
pub fn response_xml<R: QueryResult>(result: &R, request_id: &str) -> String {
    xml::to_document(R::RESPONSE, NAMESPACE, &ResponseEnvelope { result: Some((R::RESULT, result)), request_id })
}

/// DeleteStack's answer, which has no result.
pub fn delete_stack_response_xml(request_id: &str) -> String {
    xml::to_document("DeleteStackResponse", NAMESPACE, &ResponseEnvelope::<()> { result: None, request_id })
}

/// CloudFormation's error answer: `Sender` for 4xx, `Receiver` for 5xx.
pub fn error_xml(status: http::StatusCode, code: &str, message: &str, request_id: &str) -> String {
    ErrorResponse::new(status.is_server_error(), code, message, request_id).to_xml(NAMESPACE)
}

struct ResponseEnvelope<'a, R> {
    result: Option<(&'static str, &'a R)>,
    request_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseMetadata<'a> {
    request_id: &'a str,
}

impl<R: Serialize> Serialize for ResponseEnvelope<'_, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Response", 2)?;
        match self.result {
            Some((name, result)) => s.serialize_field(name, result)?,
            None => s.skip_field("Result")?,
        }
        s.serialize_field("ResponseMetadata", &ResponseMetadata { request_id: self.request_id })?;
        s.end()
    }
}

macro_rules! query_result {
    ($($result:ident => $action:literal;)*) => {$(
        impl QueryResult for $result {
            const RESPONSE: &'static str = concat!($action, "Response");
            const RESULT: &'static str = concat!($action, "Result");
        }
    )*};
}

query_result! {
    DescribeStacksResult => "DescribeStacks";
    ListStacksResult => "ListStacks";
    DescribeStackResourcesResult => "DescribeStackResources";
    ListStackResourcesResult => "ListStackResources";
    ListExportsResult => "ListExports";
    GetTemplateResult => "GetTemplate";
    DescribeStackEventsResult => "DescribeStackEvents";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStacksResult {
    pub stacks: Members<Stack>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stack {
    pub stack_id: String,
    pub stack_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_set_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Members<Parameter>>,
    #[serde(serialize_with = "xml::date_time")]
    pub creation_time: DateTime,
    #[serde(serialize_with = "optional_date_time", skip_serializing_if = "Option::is_none")]
    pub deletion_time: Option<DateTime>,
    #[serde(serialize_with = "optional_date_time", skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<DateTime>,
    /// `CREATE_COMPLETE`, `DELETE_IN_PROGRESS`, …
    pub stack_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_rollback: Option<bool>,
    #[serde(rename = "NotificationARNs", skip_serializing_if = "Option::is_none")]
    pub notification_arns: Option<Members<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_minutes: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Members<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Members<Output>>,
    #[serde(rename = "RoleARN", skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Members<Tag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_termination_protection: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_information: Option<StackDriftInformation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_except_on_create: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detailed_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_previous_value: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    pub output_key: String,
    pub output_value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Also the shape of a summary's drift information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackDriftInformation {
    /// `DRIFTED`, `IN_SYNC`, `UNKNOWN`, `NOT_CHECKED`.
    pub stack_drift_status: String,
    #[serde(serialize_with = "optional_date_time", skip_serializing_if = "Option::is_none")]
    pub last_check_timestamp: Option<DateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStacksResult {
    pub stack_summaries: Members<StackSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackSummary {
    pub stack_id: String,
    pub stack_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_description: Option<String>,
    #[serde(serialize_with = "xml::date_time")]
    pub creation_time: DateTime,
    #[serde(serialize_with = "optional_date_time", skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<DateTime>,
    #[serde(serialize_with = "optional_date_time", skip_serializing_if = "Option::is_none")]
    pub deletion_time: Option<DateTime>,
    pub stack_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_information: Option<StackDriftInformation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStackResourcesResult {
    pub stack_resources: Members<StackResource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackResource {
    pub stack_name: String,
    pub stack_id: String,
    pub logical_resource_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_resource_id: Option<String>,
    pub resource_type: String,
    #[serde(serialize_with = "xml::date_time")]
    pub timestamp: DateTime,
    pub resource_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_information: Option<ResourceDriftInformation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceDriftInformation {
    /// `IN_SYNC`, `MODIFIED`, `DELETED`, `NOT_CHECKED`, `UNKNOWN`, `UNSUPPORTED`.
    pub stack_resource_drift_status: String,
    #[serde(serialize_with = "optional_date_time", skip_serializing_if = "Option::is_none")]
    pub last_check_timestamp: Option<DateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStackResourcesResult {
    pub stack_resource_summaries: Members<StackResourceSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackResourceSummary {
    pub logical_resource_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_resource_id: Option<String>,
    pub resource_type: String,
    #[serde(serialize_with = "xml::date_time")]
    pub last_updated_timestamp: DateTime,
    pub resource_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_information: Option<ResourceDriftInformation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExportsResult {
    pub exports: Members<Export>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Export {
    pub exporting_stack_id: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTemplateResult {
    pub template_body: String,
    /// `Original`, and `Processed` once transforms ran.
    pub stages_available: Members<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStackEventsResult {
    pub stack_events: Members<StackEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackEvent {
    pub stack_id: String,
    pub event_id: String,
    pub stack_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logical_resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(serialize_with = "xml::date_time")]
    pub timestamp: DateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_properties: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

fn optional_date_time<S: Serializer>(value: &Option<DateTime>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => xml::date_time(value, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests;
