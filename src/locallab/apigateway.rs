//! API Gateway's control plane (REST JSON): the lab's REST API `wa-lab-rds-api`, its
//! authorizers, its one method, deployments (each a frozen snapshot of the methods) and stages.
//!
//! The invoke side ([`super::invoke`]) serves a stage from its deployment's snapshot, never
//! from the live methods: that is why forgetting to deploy after protecting `GET /` changes
//! nothing, the lab's classic mistake.

use std::collections::BTreeMap;

use axum::response::Response;
use http::{Method as HttpMethod, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::LocalLab;
use super::clock::Millis;
use super::ids;
use super::state::LabState;
use super::wire::{ApiError, AwsRequest, json_response};

use crate::names::{API_NAME, ID_PARAMETER, STAGE};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiGatewayState {
    pub api: RestApi,
    pub resources: Vec<Resource>,
    pub validators: Vec<RequestValidator>,
    pub authorizers: Vec<Authorizer>,
    /// Oldest first.
    pub deployments: Vec<Deployment>,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    pub created: Millis,
    pub description: String,
    pub root_resource_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub parent_id: Option<String>,
    pub path_part: Option<String>,
    pub path: String,
    /// By HTTP method (`GET`).
    pub methods: BTreeMap<String, Method>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizationType {
    None,
    AwsIam,
    Custom,
    CognitoUserPools,
}

impl AuthorizationType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::None => "NONE",
            AuthorizationType::AwsIam => "AWS_IAM",
            AuthorizationType::Custom => "CUSTOM",
            AuthorizationType::CognitoUserPools => "COGNITO_USER_POOLS",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "NONE" => Some(AuthorizationType::None),
            "AWS_IAM" => Some(AuthorizationType::AwsIam),
            "CUSTOM" => Some(AuthorizationType::Custom),
            "COGNITO_USER_POOLS" => Some(AuthorizationType::CognitoUserPools),
            _ => None,
        }
    }

    /// Types that run an authorizer and so need an `authorizerId`.
    fn needs_authorizer(self) -> bool {
        matches!(self, AuthorizationType::Custom | AuthorizationType::CognitoUserPools)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Method {
    pub http_method: String,
    pub authorization_type: AuthorizationType,
    pub authorizer_id: Option<String>,
    pub api_key_required: bool,
    pub authorization_scopes: Vec<String>,
    pub request_validator_id: Option<String>,
    /// `method.request.querystring.id` → required.
    pub request_parameters: BTreeMap<String, bool>,
    pub operation_name: Option<String>,
    /// The Lambda function the non-proxy integration calls.
    pub lambda_arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestValidator {
    pub id: String,
    pub name: String,
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Authorizer {
    pub id: String,
    pub name: String,
    /// Always `COGNITO_USER_POOLS` in the lab (Lambda authorizers are refused at creation).
    pub kind: String,
    pub provider_arns: Vec<String>,
    pub identity_source: String,
    pub identity_validation_expression: Option<String>,
    pub ttl_seconds: i64,
}

impl Authorizer {
    /// The header named by `method.request.header.<Name>`.
    fn token_header(&self) -> Option<&str> {
        self.identity_source.trim().strip_prefix("method.request.header.").filter(|h| !h.is_empty())
    }

    /// The pool ids of `arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>` ARNs.
    fn pool_ids(&self) -> Vec<String> {
        self.provider_arns.iter().filter_map(|arn| pool_id_of(arn)).map(str::to_string).collect()
    }
}

fn pool_id_of(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:cognito-idp:")?;
    let (_, pool) = rest.split_once(":userpool/")?;
    (!pool.is_empty() && !pool.contains('/')).then_some(pool)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    pub description: Option<String>,
    pub created: Millis,
    /// The methods as they were when this deployment was created.
    pub snapshot: Vec<DeployedMethod>,
}

/// One method frozen by a deployment, with everything the invoke side needs resolved
/// (the authorizer's pools and header), so serving a request reads nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployedMethod {
    pub path: String,
    pub http_method: String,
    pub authorization_type: AuthorizationType,
    pub api_key_required: bool,
    pub authorization_scopes: Vec<String>,
    pub authorizer: Option<DeployedAuthorizer>,
    /// What the request validator enforces, empty when it validates no parameters.
    pub required_parameters: Vec<RequiredParameter>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployedAuthorizer {
    pub id: String,
    pub pool_ids: Vec<String>,
    pub token_header: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequiredParameter {
    Query(String),
    Header(String),
}

impl RequiredParameter {
    fn from_request_parameter(name: &str) -> Option<Self> {
        if let Some(q) = name.strip_prefix("method.request.querystring.") {
            Some(RequiredParameter::Query(q.to_string()))
        } else {
            name.strip_prefix("method.request.header.").map(|h| RequiredParameter::Header(h.to_string()))
        }
    }

    pub fn name(&self) -> &str {
        match self {
            RequiredParameter::Query(n) | RequiredParameter::Header(n) => n,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub deployment_id: String,
    pub description: Option<String>,
    /// The regional WAF web ACL associated with the stage.
    pub web_acl_arn: Option<String>,
    pub created: Millis,
    pub updated: Millis,
}

impl ApiGatewayState {
    /// `wa-lab-rds-api` as the `walab-api` stack left it: `GET /` open, validated, deployed to
    /// `Dev` with the regional web ACL on the stage.
    pub fn seed(now: Millis, region: &str, account: &str, web_acl_arn: &str) -> Self {
        let created = now - 7_200_000;
        let root = ids::lower_alnum(10);
        let validator = RequestValidator {
            id: ids::lower_alnum(6),
            name: "Validate query string parameters and headers".to_string(),
            validate_request_body: false,
            validate_request_parameters: true,
        };
        let get = Method {
            http_method: "GET".to_string(),
            authorization_type: AuthorizationType::None,
            authorizer_id: None,
            api_key_required: false,
            authorization_scopes: Vec::new(),
            request_validator_id: Some(validator.id.clone()),
            request_parameters: BTreeMap::from([(ID_PARAMETER.to_string(), true)]),
            operation_name: None,
            lambda_arn: format!("arn:aws:lambda:{region}:{account}:function:walab-api-rds-players"),
        };
        let mut state = ApiGatewayState {
            api: RestApi {
                id: ids::lower_alnum(10),
                name: API_NAME.to_string(),
                created,
                description: "Players API of the Well-Architected security lab".to_string(),
                root_resource_id: root.clone(),
            },
            resources: vec![Resource {
                id: root,
                parent_id: None,
                path_part: None,
                path: "/".to_string(),
                methods: BTreeMap::from([("GET".to_string(), get)]),
            }],
            validators: vec![validator],
            authorizers: Vec::new(),
            deployments: Vec::new(),
            stages: Vec::new(),
        };
        let deployment = state.deploy(created + 60_000, None);
        state.stages.push(Stage {
            name: STAGE.to_string(),
            deployment_id: deployment,
            description: None,
            web_acl_arn: Some(web_acl_arn.to_string()),
            created: created + 60_000,
            updated: created + 60_000,
        });
        state
    }

    /// The API's regional host name, the CloudFront origin's domain.
    pub fn domain(&self, region: &str) -> String {
        format!("{}.execute-api.{region}.amazonaws.com", self.api.id)
    }

    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }

    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    fn authorizer(&self, id: &str) -> Option<&Authorizer> {
        self.authorizers.iter().find(|a| a.id == id)
    }

    /// Freezes the methods as they are now into a new deployment; returns its id.
    fn deploy(&mut self, now: Millis, description: Option<String>) -> String {
        let mut snapshot = Vec::new();
        for resource in &self.resources {
            for method in resource.methods.values() {
                snapshot.push(self.freeze(&resource.path, method));
            }
        }
        let id = ids::lower_alnum(6);
        self.deployments.push(Deployment { id: id.clone(), description, created: now, snapshot });
        id
    }

    fn freeze(&self, path: &str, method: &Method) -> DeployedMethod {
        let authorizer =
            method.authorizer_id.as_deref().and_then(|id| self.authorizer(id)).map(|a| DeployedAuthorizer {
                id: a.id.clone(),
                pool_ids: a.pool_ids(),
                token_header: a.token_header().unwrap_or("Authorization").to_string(),
            });
        let validates = method
            .request_validator_id
            .as_deref()
            .and_then(|id| self.validators.iter().find(|v| v.id == id))
            .is_some_and(|v| v.validate_request_parameters);
        let required_parameters = if validates {
            method
                .request_parameters
                .iter()
                .filter(|(_, required)| **required)
                .filter_map(|(name, _)| RequiredParameter::from_request_parameter(name))
                .collect()
        } else {
            Vec::new()
        };
        DeployedMethod {
            path: path.to_string(),
            http_method: method.http_method.clone(),
            authorization_type: method.authorization_type,
            api_key_required: method.api_key_required,
            authorization_scopes: method.authorization_scopes.clone(),
            authorizer,
            required_parameters,
        }
    }
}

/// Answers one control-plane call. Like AWS, refuses calls without a SigV4 signature.
pub fn handle(lab: &LocalLab, req: &AwsRequest) -> Response {
    if !req.is_signed() {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
        .into_rest_json();
    }
    match route(lab, req) {
        Ok((status, body)) => json_response(status, &body, "application/json"),
        Err(e) => e.into_rest_json(),
    }
}

type Answer = Result<(StatusCode, Value), ApiError>;

fn route(lab: &LocalLab, req: &AwsRequest) -> Answer {
    let segments: Vec<&str> = req.segments.iter().skip(1).map(String::as_str).collect();
    let now = lab.clock.now_ms();
    let ok = |body: Value| (StatusCode::OK, body);
    match (&req.method, segments.as_slice()) {
        (&HttpMethod::GET, []) => Ok(ok(lab.read(|s| json!({ "item": [rest_api_json(&s.apigateway.api)] })))),
        (&HttpMethod::GET, [api]) => lab.read(|s| Ok(ok(rest_api_json(&the_api(s, api)?.api)))),
        (&HttpMethod::GET, [api, "resources"]) => {
            let methods = embeds(req, "methods");
            lab.read(|s| {
                let items: Vec<Value> = the_api(s, api)?.resources.iter().map(|r| resource_json(r, methods)).collect();
                Ok(ok(json!({ "item": items })))
            })
        }
        (&HttpMethod::GET, [api, "resources", resource]) => {
            let methods = embeds(req, "methods");
            lab.read(|s| Ok(ok(resource_json(the_resource(the_api(s, api)?, resource)?, methods))))
        }
        (&HttpMethod::GET, [api, "resources", resource, "methods", method]) => {
            lab.read(|s| Ok(ok(method_json(the_method(the_resource(the_api(s, api)?, resource)?, method)?))))
        }
        (&HttpMethod::PATCH, [api, "resources", resource, "methods", method]) => {
            let input: PatchInput = parse_body(req)?;
            lab.write(|s| update_method(the_api_mut(s, api)?, resource, method, &input.patch_operations)).map(ok)
        }
        (&HttpMethod::GET, [api, "authorizers"]) => lab.read(|s| {
            let items: Vec<Value> = the_api(s, api)?.authorizers.iter().map(authorizer_json).collect();
            Ok(ok(json!({ "item": items })))
        }),
        (&HttpMethod::POST, [api, "authorizers"]) => {
            let input: CreateAuthorizerInput = parse_body(req)?;
            lab.write(|s| create_authorizer(the_api_mut(s, api)?, input)).map(|b| (StatusCode::CREATED, b))
        }
        (&HttpMethod::GET, [api, "authorizers", id]) => {
            lab.read(|s| Ok(ok(authorizer_json(the_authorizer(the_api(s, api)?, id)?))))
        }
        (&HttpMethod::DELETE, [api, "authorizers", id]) => {
            lab.write(|s| delete_authorizer(the_api_mut(s, api)?, id)).map(|()| (StatusCode::ACCEPTED, json!({})))
        }
        (&HttpMethod::GET, [api, "deployments"]) => lab.read(|s| {
            let items: Vec<Value> = the_api(s, api)?.deployments.iter().map(|d| deployment_json(d, false)).collect();
            Ok(ok(json!({ "item": items })))
        }),
        (&HttpMethod::POST, [api, "deployments"]) => {
            let input: CreateDeploymentInput = parse_body(req)?;
            lab.write(|s| create_deployment(the_api_mut(s, api)?, input, now)).map(|b| (StatusCode::CREATED, b))
        }
        (&HttpMethod::GET, [api, "deployments", id]) => {
            let summary = embeds(req, "apisummary");
            lab.read(|s| {
                let deployment = the_api(s, api)?
                    .deployment(id)
                    .ok_or_else(|| not_found("Invalid Deployment identifier specified"))?;
                Ok(ok(deployment_json(deployment, summary)))
            })
        }
        (&HttpMethod::GET, [api, "stages"]) => {
            let deployment = req.query_param("deploymentId").map(str::to_string);
            lab.read(|s| {
                let items: Vec<Value> = the_api(s, api)?
                    .stages
                    .iter()
                    .filter(|st| deployment.as_ref().is_none_or(|d| *d == st.deployment_id))
                    .map(stage_json)
                    .collect();
                Ok(ok(json!({ "item": items })))
            })
        }
        (&HttpMethod::GET, [api, "stages", name]) => lab.read(|s| {
            let stage = the_api(s, api)?.stage(name).ok_or_else(|| not_found("Invalid Stage identifier specified"))?;
            Ok(ok(stage_json(stage)))
        }),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!("The local lab's API Gateway has no operation at {} {}", req.method, req.path),
        )),
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequestException", message)
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NotFoundException", message)
}

fn invalid_api(state: &LabState, id: &str) -> ApiError {
    not_found(format!("Invalid API identifier specified {}:{id}", state.account_id))
}

fn the_api<'s>(state: &'s LabState, id: &str) -> Result<&'s ApiGatewayState, ApiError> {
    if state.apigateway.api.id == id { Ok(&state.apigateway) } else { Err(invalid_api(state, id)) }
}

fn the_api_mut<'s>(state: &'s mut LabState, id: &str) -> Result<&'s mut ApiGatewayState, ApiError> {
    if state.apigateway.api.id == id { Ok(&mut state.apigateway) } else { Err(invalid_api(state, id)) }
}

fn the_resource<'a>(api: &'a ApiGatewayState, id: &str) -> Result<&'a Resource, ApiError> {
    api.resources.iter().find(|r| r.id == id).ok_or_else(|| not_found("Invalid Resource identifier specified"))
}

fn the_method<'a>(resource: &'a Resource, http_method: &str) -> Result<&'a Method, ApiError> {
    resource.methods.get(http_method).ok_or_else(|| not_found("Invalid Method identifier specified"))
}

fn the_authorizer<'a>(api: &'a ApiGatewayState, id: &str) -> Result<&'a Authorizer, ApiError> {
    api.authorizer(id).ok_or_else(|| not_found("Invalid Authorizer identifier specified"))
}

/// True when `?embed=` names `what` (the SDK repeats `embed` for each value).
fn embeds(req: &AwsRequest, what: &str) -> bool {
    req.query.iter().any(|(k, v)| k == "embed" && v.split(',').any(|e| e.trim().eq_ignore_ascii_case(what)))
}

/// Parses a JSON body; an empty body is the input's defaults, as for a call with no members.
fn parse_body<T: DeserializeOwned + Default>(req: &AwsRequest) -> Result<T, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&req.body).map_err(|e| bad_request(format!("Could not parse request body into json: {e}")))
}

/// Epoch seconds, the timestamp format of API Gateway's JSON.
fn epoch(ms: Millis) -> i64 {
    ms.div_euclid(1000)
}

fn rest_api_json(api: &RestApi) -> Value {
    json!({
        "id": api.id,
        "name": api.name,
        "description": api.description,
        "createdDate": epoch(api.created),
        "apiKeySource": "HEADER",
        "endpointConfiguration": { "types": ["REGIONAL"], "ipAddressType": "ipv4" },
        "disableExecuteApiEndpoint": false,
        "rootResourceId": api.root_resource_id,
    })
}

fn resource_json(resource: &Resource, embed_methods: bool) -> Value {
    let mut body = json!({ "id": resource.id, "path": resource.path });
    if let Some(parent) = &resource.parent_id {
        body["parentId"] = json!(parent);
    }
    if let Some(part) = &resource.path_part {
        body["pathPart"] = json!(part);
    }
    if !resource.methods.is_empty() {
        // Without `embed=methods` API Gateway names the methods with empty objects.
        let methods: serde_json::Map<String, Value> = resource
            .methods
            .iter()
            .map(|(name, m)| (name.clone(), if embed_methods { method_json(m) } else { json!({}) }))
            .collect();
        body["resourceMethods"] = Value::Object(methods);
    }
    body
}

fn method_json(method: &Method) -> Value {
    let mut body = json!({
        "httpMethod": method.http_method,
        "authorizationType": method.authorization_type.as_str(),
        "apiKeyRequired": method.api_key_required,
        "requestParameters": method.request_parameters,
        "methodResponses": { "200": { "statusCode": "200", "responseModels": { "application/json": "Empty" } } },
        "methodIntegration": {
            "type": "AWS",
            "httpMethod": "POST",
            "uri": format!(
                "arn:aws:apigateway:{}:lambda:path/2015-03-31/functions/{}/invocations",
                method.lambda_arn.split(':').nth(3).unwrap_or("us-east-1"),
                method.lambda_arn
            ),
            "passthroughBehavior": "WHEN_NO_TEMPLATES",
            "contentHandling": "CONVERT_TO_TEXT",
            "timeoutInMillis": 29000,
            "cacheNamespace": "walab",
            "cacheKeyParameters": [],
            "requestTemplates": { "application/json": "{\"id\": \"$input.params('id')\"}" },
            "integrationResponses": { "200": { "statusCode": "200", "responseTemplates": {} } },
        },
    });
    if let Some(id) = &method.authorizer_id {
        body["authorizerId"] = json!(id);
    }
    if let Some(id) = &method.request_validator_id {
        body["requestValidatorId"] = json!(id);
    }
    if !method.authorization_scopes.is_empty() {
        body["authorizationScopes"] = json!(method.authorization_scopes);
    }
    if let Some(name) = &method.operation_name {
        body["operationName"] = json!(name);
    }
    body
}

fn authorizer_json(a: &Authorizer) -> Value {
    let mut body = json!({
        "id": a.id,
        "name": a.name,
        "type": a.kind,
        "providerARNs": a.provider_arns,
        "authType": "cognito_user_pools",
        "identitySource": a.identity_source,
        "authorizerResultTtlInSeconds": a.ttl_seconds,
    });
    if let Some(expression) = &a.identity_validation_expression {
        body["identityValidationExpression"] = json!(expression);
    }
    body
}

fn deployment_json(d: &Deployment, api_summary: bool) -> Value {
    let mut body = json!({ "id": d.id, "createdDate": epoch(d.created) });
    if let Some(description) = &d.description {
        body["description"] = json!(description);
    }
    if api_summary {
        let mut summary: BTreeMap<&str, BTreeMap<&str, Value>> = BTreeMap::new();
        for m in &d.snapshot {
            summary.entry(&m.path).or_default().insert(
                &m.http_method,
                json!({ "authorizationType": m.authorization_type.as_str(), "apiKeyRequired": m.api_key_required }),
            );
        }
        body["apiSummary"] = json!(summary);
    }
    body
}

fn stage_json(s: &Stage) -> Value {
    let mut body = json!({
        "stageName": s.name,
        "deploymentId": s.deployment_id,
        "cacheClusterEnabled": false,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": false,
        "createdDate": epoch(s.created),
        "lastUpdatedDate": epoch(s.updated),
    });
    if let Some(description) = &s.description {
        body["description"] = json!(description);
    }
    if let Some(arn) = &s.web_acl_arn {
        body["webAclArn"] = json!(arn);
    }
    body
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PatchInput {
    #[serde(default)]
    patch_operations: Vec<PatchOperation>,
}

#[derive(Debug, Deserialize)]
struct PatchOperation {
    op: Option<String>,
    path: Option<String>,
    value: Option<String>,
}

/// Which patch operations `UpdateMethod` accepts on a path (the lab's subset of API Gateway's table).
fn method_patch_ops(path: &str) -> Option<&'static [&'static str]> {
    match path {
        "/authorizationType" | "/authorizerId" | "/requestValidatorId" | "/apiKeyRequired" | "/operationName" => {
            Some(&["replace"])
        }
        "/authorizationScopes" => Some(&["add", "remove", "replace"]),
        p if p.starts_with("/requestParameters/") => Some(&["add", "remove", "replace"]),
        _ => None,
    }
}

/// Applies the patch to a copy and commits it only when the whole result is valid.
fn update_method(
    api: &mut ApiGatewayState,
    resource_id: &str,
    http_method: &str,
    operations: &[PatchOperation],
) -> Result<Value, ApiError> {
    let mut method = the_method(the_resource(api, resource_id)?, http_method)?.clone();
    for operation in operations {
        let path = operation.path.as_deref().unwrap_or_default();
        let op = operation.op.as_deref().unwrap_or_default();
        let value = operation.value.as_deref();
        let allowed = method_patch_ops(path).ok_or_else(|| bad_request(format!("Invalid patch path {path}")))?;
        if !allowed.contains(&op) {
            return Err(bad_request(format!(
                "Invalid patch operation specified. Must be one of: [{}]",
                allowed.join(", ")
            )));
        }
        match (op, path) {
            (_, "/authorizationType") => {
                let value = value.unwrap_or_default();
                method.authorization_type = AuthorizationType::parse(value).ok_or_else(|| {
                    bad_request(format!(
                        "Invalid authorization type specified: {value}. Must be one of: [NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS]"
                    ))
                })?;
            }
            (_, "/authorizerId") => {
                method.authorizer_id = value.filter(|v| !v.is_empty()).map(str::to_string);
            }
            (_, "/requestValidatorId") => match value.filter(|v| !v.is_empty()) {
                None => method.request_validator_id = None,
                Some(id) if api.validators.iter().any(|v| v.id == id) => method.request_validator_id = Some(id.into()),
                Some(_) => return Err(bad_request("Invalid Request Validator identifier specified")),
            },
            (_, "/apiKeyRequired") => method.api_key_required = parse_bool(value)?,
            (_, "/operationName") => method.operation_name = value.filter(|v| !v.is_empty()).map(str::to_string),
            ("replace", "/authorizationScopes") => {
                method.authorization_scopes = value
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            ("add", "/authorizationScopes") => {
                let scope = value.filter(|v| !v.is_empty()).ok_or_else(|| bad_request("Invalid scope specified"))?;
                if !method.authorization_scopes.iter().any(|s| s == scope) {
                    method.authorization_scopes.push(scope.to_string());
                }
            }
            ("remove", "/authorizationScopes") => match value {
                Some(scope) => method.authorization_scopes.retain(|s| s != scope),
                None => method.authorization_scopes.clear(),
            },
            (op, path) => {
                // `/requestParameters/<name>`; `~1` is JSON Pointer's escape for `/`.
                let name = path.trim_start_matches("/requestParameters/").replace("~1", "/").replace("~0", "~");
                if RequiredParameter::from_request_parameter(&name).is_none() {
                    return Err(bad_request(format!("Invalid patch path {path}")));
                }
                if op == "remove" {
                    method.request_parameters.remove(&name);
                } else {
                    method.request_parameters.insert(name, parse_bool(value)?);
                }
            }
        }
    }
    if method.authorization_type.needs_authorizer() {
        let kind = match method.authorization_type {
            AuthorizationType::CognitoUserPools => "COGNITO_USER_POOLS",
            _ => "TOKEN",
        };
        let valid = method.authorizer_id.as_deref().and_then(|id| api.authorizer(id)).is_some_and(|a| a.kind == kind);
        if !valid {
            return Err(bad_request(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
            ));
        }
    } else {
        // An authorizer only means something with CUSTOM or COGNITO_USER_POOLS; API Gateway
        // drops it otherwise (and ignores an `/authorizerId` patch on such a method).
        method.authorizer_id = None;
    }
    if method.authorization_type != AuthorizationType::CognitoUserPools {
        method.authorization_scopes.clear();
    }
    let body = method_json(&method);
    if let Some(slot) =
        api.resources.iter_mut().find(|r| r.id == resource_id).and_then(|r| r.methods.get_mut(http_method))
    {
        *slot = method;
    }
    Ok(body)
}

fn parse_bool(value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        other => Err(bad_request(format!("Invalid boolean value specified: {}", other.unwrap_or("null")))),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAuthorizerInput {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "providerARNs")]
    provider_arns: Option<Vec<String>>,
    identity_source: Option<String>,
    identity_validation_expression: Option<String>,
    authorizer_result_ttl_in_seconds: Option<i64>,
}

fn create_authorizer(api: &mut ApiGatewayState, input: CreateAuthorizerInput) -> Result<Value, ApiError> {
    let name =
        input.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| bad_request("Authorizer name must be specified"))?;
    match input.kind.as_deref() {
        Some("COGNITO_USER_POOLS") => {}
        Some("TOKEN" | "REQUEST") => {
            return Err(bad_request("The local lab supports only COGNITO_USER_POOLS authorizers"));
        }
        Some(other) => {
            return Err(bad_request(format!(
                "Invalid authorizer type specified: {other}. Must be one of: [TOKEN, REQUEST, COGNITO_USER_POOLS]"
            )));
        }
        None => return Err(bad_request("Authorizer type must be specified")),
    }
    let provider_arns = input.provider_arns.unwrap_or_default();
    if provider_arns.is_empty() {
        return Err(bad_request("ProviderARNs need to be specified for a COGNITO_USER_POOLS authorizer"));
    }
    if let Some(bad) = provider_arns.iter().find(|arn| pool_id_of(arn).is_none()) {
        return Err(bad_request(format!("Invalid Cognito user pool ARN specified: {bad}")));
    }
    let identity_source = input.identity_source.unwrap_or_default();
    let header = identity_source.trim().strip_prefix("method.request.header.").unwrap_or_default();
    if header.is_empty() || header.contains(',') {
        return Err(bad_request(format!(
            "Invalid identity source specified: '{identity_source}'. A COGNITO_USER_POOLS authorizer reads a header: method.request.header.<Name>"
        )));
    }
    let ttl = input.authorizer_result_ttl_in_seconds.unwrap_or(300);
    if !(0..=3600).contains(&ttl) {
        return Err(bad_request("Authorizer result TTL must be between 0 and 3600 seconds"));
    }
    let authorizer = Authorizer {
        id: ids::lower_alnum(6),
        name,
        kind: "COGNITO_USER_POOLS".to_string(),
        provider_arns,
        identity_source,
        identity_validation_expression: input.identity_validation_expression.filter(|e| !e.is_empty()),
        ttl_seconds: ttl,
    };
    let body = authorizer_json(&authorizer);
    api.authorizers.push(authorizer);
    Ok(body)
}

fn delete_authorizer(api: &mut ApiGatewayState, id: &str) -> Result<(), ApiError> {
    let name = the_authorizer(api, id)?.name.clone();
    for resource in &api.resources {
        if let Some(m) = resource.methods.values().find(|m| m.authorizer_id.as_deref() == Some(id)) {
            return Err(bad_request(format!(
                "Cannot delete authorizer '{name}', is referenced in method: {}:{}",
                m.http_method, resource.path
            )));
        }
    }
    api.authorizers.retain(|a| a.id != id);
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDeploymentInput {
    stage_name: Option<String>,
    stage_description: Option<String>,
    description: Option<String>,
}

fn create_deployment(api: &mut ApiGatewayState, input: CreateDeploymentInput, now: Millis) -> Result<Value, ApiError> {
    let stage_name = input.stage_name.filter(|s| !s.is_empty());
    if let Some(name) = &stage_name
        && !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(bad_request("Stage name only allows a-zA-Z0-9_-"));
    }
    let id = api.deploy(now, input.description.filter(|d| !d.is_empty()));
    if let Some(name) = stage_name {
        match api.stages.iter_mut().find(|s| s.name == name) {
            Some(stage) => {
                stage.deployment_id = id.clone();
                stage.updated = now;
            }
            None => api.stages.push(Stage {
                name,
                deployment_id: id.clone(),
                description: input.stage_description,
                web_acl_arn: None,
                created: now,
                updated: now,
            }),
        }
    }
    let deployment = api.deployment(&id).ok_or_else(|| not_found("Invalid Deployment identifier specified"))?;
    Ok(deployment_json(deployment, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pool_ids_from_provider_arns() {
        assert_eq!(
            pool_id_of("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC"),
            Some("us-east-1_AbC")
        );
        assert_eq!(pool_id_of("arn:aws:cognito-idp:us-east-1:123456789012:userpool/"), None);
        assert_eq!(pool_id_of("arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn seed_deploys_the_open_method_to_dev() {
        let state = ApiGatewayState::seed(10_000_000, "us-east-1", "123456789012", "arn:acl");
        let stage = state.stage(STAGE).unwrap();
        assert_eq!(stage.web_acl_arn.as_deref(), Some("arn:acl"));
        let snapshot = &state.deployment(&stage.deployment_id).unwrap().snapshot;
        assert_eq!(snapshot.len(), 1);
        assert_eq!(snapshot[0].authorization_type, AuthorizationType::None);
        assert_eq!(snapshot[0].required_parameters, [RequiredParameter::Query("id".into())]);
    }
}
