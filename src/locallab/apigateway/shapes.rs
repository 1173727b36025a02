//! API Gateway's answers as typed output shapes, members spelled as API Gateway's REST JSON
//! spells them (camelCase; `providerARNs`, `type`), each built from the lab's model in one
//! place: the REST API, a resource with its methods, a method with its integration, an
//! authorizer, a deployment with its API summary, a stage, a list of items, and the two Test
//! answers.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::model::{Authorizer, Deployment, Method, Resource, RestApi, Stage};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::wire::to_json;

/// An empty JSON object (`{}`): a method named without its body, an empty settings map.
#[derive(Debug, Default, Serialize)]
pub struct Empty {}

/// One entry under the status code `200`, the only one the lab's method answers with.
#[derive(Debug, Serialize)]
struct Ok200<T> {
    #[serde(rename = "200")]
    ok: T,
}

/// Epoch seconds, the timestamp format of API Gateway's JSON.
fn epoch(ms: Millis) -> i64 {
    ms.div_euclid(1000)
}

/// A list answer (`GetRestApis`, `GetResources`, `GetAuthorizers`, …): `{"item": […]}`.
pub fn items(item: Vec<Value>) -> Value {
    #[derive(Serialize)]
    struct Items {
        item: Vec<Value>,
    }
    to_json(&Items { item })
}

/// The answer of a call whose output has no members (`DeleteAuthorizer`, the cache flush).
pub fn empty() -> Value {
    to_json(&Empty {})
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RestApiShape<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    created_date: i64,
    api_key_source: &'static str,
    endpoint_configuration: EndpointConfiguration,
    disable_execute_api_endpoint: bool,
    root_resource_id: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EndpointConfiguration {
    types: [&'static str; 1],
    ip_address_type: &'static str,
}

pub fn rest_api_json(api: &RestApi) -> Value {
    to_json(&RestApiShape {
        id: &api.id,
        name: &api.name,
        description: &api.description,
        created_date: epoch(api.created),
        api_key_source: "HEADER",
        endpoint_configuration: EndpointConfiguration { types: ["REGIONAL"], ip_address_type: "ipv4" },
        disable_execute_api_endpoint: false,
        root_resource_id: &api.root_resource_id,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceShape<'a> {
    id: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_part: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    resource_methods: BTreeMap<&'a str, MethodEntry<'a>>,
}

/// Without `embed=methods` API Gateway names a resource's methods with empty objects.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum MethodEntry<'a> {
    Embedded(Box<MethodShape<'a>>),
    Named(Empty),
}

pub fn resource_json(resource: &Resource, embed_methods: bool) -> Value {
    to_json(&ResourceShape {
        id: &resource.id,
        path: &resource.path,
        parent_id: resource.parent_id.as_deref(),
        path_part: resource.path_part.as_deref(),
        resource_methods: resource
            .methods
            .iter()
            .map(|(name, m)| {
                let entry = if embed_methods {
                    MethodEntry::Embedded(Box::new(method_shape(m)))
                } else {
                    MethodEntry::Named(Empty {})
                };
                (name.as_str(), entry)
            })
            .collect(),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MethodShape<'a> {
    http_method: &'a str,
    authorization_type: &'static str,
    api_key_required: bool,
    request_parameters: &'a BTreeMap<String, bool>,
    method_responses: Ok200<MethodResponse>,
    method_integration: Integration,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_validator_id: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    authorization_scopes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    operation_name: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MethodResponse {
    status_code: &'static str,
    response_models: BTreeMap<&'static str, &'static str>,
}

/// The lab method's non-proxy Lambda integration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Integration {
    #[serde(rename = "type")]
    kind: &'static str,
    http_method: &'static str,
    uri: String,
    passthrough_behavior: &'static str,
    content_handling: &'static str,
    timeout_in_millis: u32,
    cache_namespace: &'static str,
    cache_key_parameters: [&'static str; 0],
    request_templates: BTreeMap<&'static str, &'static str>,
    integration_responses: Ok200<IntegrationResponse>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IntegrationResponse {
    status_code: &'static str,
    response_templates: Empty,
}

fn method_shape(method: &Method) -> MethodShape<'_> {
    let region = method.lambda_arn.split(':').nth(3).unwrap_or("us-east-1");
    MethodShape {
        http_method: &method.http_method,
        authorization_type: method.authorization_type.as_str(),
        api_key_required: method.api_key_required,
        request_parameters: &method.request_parameters,
        method_responses: Ok200 {
            ok: MethodResponse { status_code: "200", response_models: BTreeMap::from([("application/json", "Empty")]) },
        },
        method_integration: Integration {
            kind: "AWS",
            http_method: "POST",
            uri: format!(
                "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{}/invocations",
                method.lambda_arn
            ),
            passthrough_behavior: "WHEN_NO_TEMPLATES",
            content_handling: "CONVERT_TO_TEXT",
            timeout_in_millis: 29000,
            cache_namespace: "walab",
            cache_key_parameters: [],
            request_templates: BTreeMap::from([("application/json", "{\"id\": \"$input.params('id')\"}")]),
            integration_responses: Ok200 {
                ok: IntegrationResponse { status_code: "200", response_templates: Empty {} },
            },
        },
        authorizer_id: method.authorizer_id.as_deref(),
        request_validator_id: method.request_validator_id.as_deref(),
        authorization_scopes: &method.authorization_scopes,
        operation_name: method.operation_name.as_deref(),
    }
}

pub fn method_json(method: &Method) -> Value {
    to_json(&method_shape(method))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizerShape<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(rename = "providerARNs")]
    provider_arns: &'a [String],
    auth_type: &'static str,
    identity_source: &'a str,
    authorizer_result_ttl_in_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_validation_expression: Option<&'a str>,
}

pub fn authorizer_json(a: &Authorizer) -> Value {
    to_json(&AuthorizerShape {
        id: &a.id,
        name: &a.name,
        kind: &a.kind,
        provider_arns: &a.provider_arns,
        auth_type: "cognito_user_pools",
        identity_source: &a.identity_source,
        authorizer_result_ttl_in_seconds: a.ttl_seconds,
        identity_validation_expression: a.identity_validation_expression.as_deref(),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentShape<'a> {
    id: &'a str,
    created_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// By resource path, then HTTP method.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_summary: Option<BTreeMap<&'a str, BTreeMap<&'a str, MethodSummary>>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MethodSummary {
    authorization_type: &'static str,
    api_key_required: bool,
}

pub fn deployment_json(d: &Deployment, api_summary: bool) -> Value {
    let summary = api_summary.then(|| {
        let mut summary: BTreeMap<&str, BTreeMap<&str, MethodSummary>> = BTreeMap::new();
        for m in &d.snapshot {
            let method = MethodSummary {
                authorization_type: m.authorization_type.as_str(),
                api_key_required: m.api_key_required,
            };
            summary.entry(&m.path).or_default().insert(&m.http_method, method);
        }
        summary
    });
    to_json(&DeploymentShape {
        id: &d.id,
        created_date: epoch(d.created),
        description: d.description.as_deref(),
        api_summary: summary,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StageShape<'a> {
    stage_name: &'a str,
    deployment_id: &'a str,
    cache_cluster_enabled: bool,
    cache_cluster_status: &'static str,
    method_settings: Empty,
    tracing_enabled: bool,
    created_date: i64,
    last_updated_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web_acl_arn: Option<&'a str>,
}

pub fn stage_json(s: &Stage) -> Value {
    to_json(&StageShape {
        stage_name: &s.name,
        deployment_id: &s.deployment_id,
        cache_cluster_enabled: false,
        cache_cluster_status: "NOT_AVAILABLE",
        method_settings: Empty {},
        tracing_enabled: false,
        created_date: epoch(s.created),
        last_updated_date: epoch(s.updated),
        description: s.description.as_deref(),
        web_acl_arn: s.web_acl_arn.as_deref(),
    })
}

/// `TestInvokeMethod`'s answer: what the method answered, its log and how long it took.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeMethodOutput {
    pub status: u16,
    pub body: String,
    pub headers: BTreeMap<&'static str, &'static str>,
    pub multi_value_headers: BTreeMap<&'static str, [&'static str; 1]>,
    pub log: String,
    pub latency: i64,
}

impl TestInvokeMethodOutput {
    /// A JSON answer, as the lab's method always gives.
    pub fn json(status: u16, body: String, log: String, latency: i64) -> Value {
        to_json(&TestInvokeMethodOutput {
            status,
            body,
            headers: BTreeMap::from([("Content-Type", "application/json")]),
            multi_value_headers: BTreeMap::from([("Content-Type", ["application/json"])]),
            log,
            latency,
        })
    }
}

/// `TestInvokeAuthorizer`'s answer: the status a client would get, the log, and the token's
/// claims when the authorizer let it through.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeAuthorizerOutput {
    pub client_status: u16,
    pub log: String,
    pub latency: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<BTreeMap<String, String>>,
}

impl TestInvokeAuthorizerOutput {
    pub fn json(&self) -> Value {
        to_json(self)
    }
}
