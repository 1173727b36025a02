//! API Gateway's control plane (REST JSON): the REST APIs, their authorizers, the methods'
//! authorization, deployments and stages, with API Gateway's own refusals.

use axum::response::Response;
use http::{Method as HttpMethod, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::UserPools;
use super::authorizers::{Patch, check_name_length, check_provider_arns, check_unique_name, update_authorizer};
use super::model::{
    ApiGatewayState, AuthorizationType, Authorizer, Method, RequiredParameter, Resource, RestApi, Stage,
};
use super::shapes::{
    authorizer_json, deployment_json, empty, items, method_json, resource_json, rest_api_json, stage_json,
};
use super::test_invoke::{TestInvokeInput, probe, test_invoke_authorizer, test_invoke_method};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::{ApiError, AwsRequest, json_response};

/// Answers one control-plane call (the router has refused it if it was not signed).
/// `has_pool` tells whether a user pool exists in the account (for authorizers' provider ARNs).
pub fn handle(
    ctx: &AccountContext,
    apigw: &Slice<ApiGatewayState>,
    pools: &dyn UserPools,
    req: &AwsRequest,
) -> Response {
    match route(ctx, apigw, pools, req) {
        Ok((status, body)) => json_response(status, &body, "application/json"),
        Err(e) => e.into_rest_json(),
    }
}

type Answer = Result<(StatusCode, Value), ApiError>;

fn route(ctx: &AccountContext, apigw: &Slice<ApiGatewayState>, pools: &dyn UserPools, req: &AwsRequest) -> Answer {
    let has_pool = &|pool: &str| pools.has_pool(pool);
    let segments: Vec<&str> = req.segments.iter().skip(1).map(String::as_str).collect();
    let now = ctx.now_ms();
    let account = ctx.id.as_str();
    let ok = |body: Value| (StatusCode::OK, body);
    match (&req.method, segments.as_slice()) {
        (&HttpMethod::GET, []) => Ok(ok(apigw.read(|s| items(s.apis.values().map(rest_api_json).collect())))),
        (&HttpMethod::GET, [api]) => apigw.read(|s| Ok(ok(rest_api_json(the_api(s, account, api)?)))),
        (&HttpMethod::GET, [api, "resources"]) => {
            let methods = embeds(req, "methods");
            apigw.read(|s| {
                let found: Vec<Value> =
                    the_api(s, account, api)?.resources.iter().map(|r| resource_json(r, methods)).collect();
                Ok(ok(items(found)))
            })
        }
        (&HttpMethod::GET, [api, "resources", resource]) => {
            let methods = embeds(req, "methods");
            apigw.read(|s| Ok(ok(resource_json(the_resource(the_api(s, account, api)?, resource)?, methods))))
        }
        (&HttpMethod::GET, [api, "resources", resource, "methods", method]) => {
            apigw.read(|s| Ok(ok(method_json(the_method(the_resource(the_api(s, account, api)?, resource)?, method)?))))
        }
        (&HttpMethod::POST, [api, "resources", resource, "methods", method]) => {
            let input: TestInvokeInput = parse_body(req)?;
            apigw.read(|s| {
                let rest_api = the_api(s, account, api)?;
                let found = the_resource(rest_api, resource)?;
                let frozen = s.freeze(rest_api, &found.path, the_method(found, method)?);
                Ok(ok(test_invoke_method(&frozen, &input)))
            })
        }
        (&HttpMethod::POST, [api, "authorizers", id]) => {
            let input: TestInvokeInput = parse_body(req)?;
            let probe = apigw.read(|s| {
                the_api(s, account, api)?;
                probe(s, api, id).ok_or_else(|| not_found("Invalid Authorizer identifier specified"))
            })?;
            test_invoke_authorizer(&probe, &input, pools).map(ok)
        }
        (&HttpMethod::PATCH, [api, "resources", resource, "methods", method]) => {
            let input: PatchInput = parse_body(req)?;
            apigw.write(|s| update_method(s, account, api, resource, method, &input.patch_operations)).map(ok)
        }
        (&HttpMethod::GET, [api, "resources", resource, "methods", method, "integration"]) => apigw.read(|s| {
            let method = the_method(the_resource(the_api(s, account, api)?, resource)?, method)?;
            Ok(ok(method_json(method)["methodIntegration"].clone()))
        }),
        (&HttpMethod::GET, [api, "resources", resource, "methods", method, "responses", code]) => apigw.read(|s| {
            let method = the_method(the_resource(the_api(s, account, api)?, resource)?, method)?;
            let response = method_json(method)["methodResponses"][*code].clone();
            if response.is_null() {
                return Err(not_found("Invalid Response status code specified"));
            }
            Ok(ok(response))
        }),
        (&HttpMethod::DELETE, [api, "stages", stage, "cache", "authorizers"]) => apigw.read(|s| {
            the_api(s, account, api)?;
            s.stage(api, stage).ok_or_else(|| not_found("Invalid Stage identifier specified"))?;
            // The lab caches no authorizer results, so there is nothing to flush.
            Ok((StatusCode::ACCEPTED, empty()))
        }),
        (&HttpMethod::PATCH, [api, "authorizers", id]) => {
            let input: PatchInput = parse_body(req)?;
            let patches: Vec<Patch> = input
                .patch_operations
                .iter()
                .map(|p| Patch {
                    op: p.op.as_deref().unwrap_or_default(),
                    path: p.path.as_deref().unwrap_or_default(),
                    value: p.value.as_deref(),
                })
                .collect();
            apigw
                .write(|s| {
                    the_api(s, account, api)?;
                    update_authorizer(s, api, id, &patches, has_pool, authorizer_json)
                })
                .map(ok)
        }
        (&HttpMethod::GET, [api, "authorizers"]) => apigw.read(|s| {
            the_api(s, account, api)?;
            let found: Vec<Value> = s.api_authorizers(api).map(authorizer_json).collect();
            Ok(ok(items(found)))
        }),
        (&HttpMethod::POST, [api, "authorizers"]) => {
            let input: CreateAuthorizerInput = parse_body(req)?;
            check_name_length("Authorizer", input.name.as_deref().unwrap_or_default())?;
            apigw.write(|s| create_authorizer(s, account, api, input, has_pool)).map(|b| (StatusCode::CREATED, b))
        }
        (&HttpMethod::GET, [api, "authorizers", id]) => apigw.read(|s| {
            the_api(s, account, api)?;
            Ok(ok(authorizer_json(the_authorizer(s, api, id)?)))
        }),
        (&HttpMethod::DELETE, [api, "authorizers", id]) => {
            apigw.write(|s| delete_authorizer(s, account, api, id)).map(|()| (StatusCode::ACCEPTED, empty()))
        }
        (&HttpMethod::GET, [api, "deployments"]) => apigw.read(|s| {
            the_api(s, account, api)?;
            let found: Vec<Value> = s.api_deployments(api).into_iter().map(|d| deployment_json(d, false)).collect();
            Ok(ok(items(found)))
        }),
        (&HttpMethod::POST, [api, "deployments"]) => {
            let input: CreateDeploymentInput = parse_body(req)?;
            apigw.write(|s| create_deployment(s, account, api, input, now)).map(|b| (StatusCode::CREATED, b))
        }
        (&HttpMethod::GET, [api, "deployments", id]) => {
            let summary = embeds(req, "apisummary");
            apigw.read(|s| {
                the_api(s, account, api)?;
                let deployment =
                    s.deployment(api, id).ok_or_else(|| not_found("Invalid Deployment identifier specified"))?;
                Ok(ok(deployment_json(deployment, summary)))
            })
        }
        (&HttpMethod::GET, [api, "stages"]) => {
            let deployment = req.query_param("deploymentId").map(str::to_string);
            apigw.read(|s| {
                the_api(s, account, api)?;
                let found: Vec<Value> = s
                    .api_stages(api)
                    .filter(|st| deployment.as_ref().is_none_or(|d| *d == st.deployment_id))
                    .map(stage_json)
                    .collect();
                Ok(ok(items(found)))
            })
        }
        (&HttpMethod::GET, [api, "stages", name]) => apigw.read(|s| {
            the_api(s, account, api)?;
            let stage = s.stage(api, name).ok_or_else(|| not_found("Invalid Stage identifier specified"))?;
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

fn the_api<'s>(state: &'s ApiGatewayState, account: &str, id: &str) -> Result<&'s RestApi, ApiError> {
    state.apis.get(id).ok_or_else(|| not_found(format!("Invalid API identifier specified {account}:{id}")))
}

fn the_resource<'a>(api: &'a RestApi, id: &str) -> Result<&'a Resource, ApiError> {
    api.resources.iter().find(|r| r.id == id).ok_or_else(|| not_found("Invalid Resource identifier specified"))
}

fn the_method<'a>(resource: &'a Resource, http_method: &str) -> Result<&'a Method, ApiError> {
    resource.methods.get(http_method).ok_or_else(|| not_found("Invalid Method identifier specified"))
}

fn the_authorizer<'a>(state: &'a ApiGatewayState, api: &str, id: &str) -> Result<&'a Authorizer, ApiError> {
    state.authorizer(api, id).ok_or_else(|| not_found("Invalid Authorizer identifier specified"))
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
    state: &mut ApiGatewayState,
    account: &str,
    api_id: &str,
    resource_id: &str,
    http_method: &str,
    operations: &[PatchOperation],
) -> Result<Value, ApiError> {
    let api = the_api(state, account, api_id)?;
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
        let valid =
            method.authorizer_id.as_deref().and_then(|id| state.authorizer(api_id, id)).is_some_and(|a| a.kind == kind);
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
    state.apis.update(api_id, |api| {
        if let Some(slot) =
            api.resources.iter_mut().find(|r| r.id == resource_id).and_then(|r| r.methods.get_mut(http_method))
        {
            *slot = method;
        }
    });
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

fn create_authorizer(
    state: &mut ApiGatewayState,
    account: &str,
    api_id: &str,
    input: CreateAuthorizerInput,
    has_pool: &dyn Fn(&str) -> bool,
) -> Result<Value, ApiError> {
    the_api(state, account, api_id)?;
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
    check_provider_arns(&provider_arns, has_pool)?;
    let identity_source = input.identity_source.unwrap_or_default();
    let header = identity_source.trim().strip_prefix("method.request.header.").unwrap_or_default();
    if header.is_empty() || header.contains(',') {
        return Err(bad_request(format!(
            "Invalid identity source specified: '{identity_source}'. A COGNITO_USER_POOLS authorizer reads a header: method.request.header.<Name>"
        )));
    }
    check_unique_name(state, api_id, &name, None)?;
    super::quotas::check_authorizers(state, api_id)?;
    let ttl = input.authorizer_result_ttl_in_seconds.unwrap_or(300);
    if !(0..=3600).contains(&ttl) {
        return Err(bad_request("Authorizer result TTL must be between 0 and 3600 seconds"));
    }
    let authorizer = Authorizer {
        api_id: api_id.to_string(),
        id: ids::lower_alnum(6),
        name,
        kind: "COGNITO_USER_POOLS".to_string(),
        provider_arns,
        identity_source,
        identity_validation_expression: input.identity_validation_expression.filter(|e| !e.is_empty()),
        ttl_seconds: ttl,
    };
    let body = authorizer_json(&authorizer);
    state.authorizers.insert(authorizer);
    Ok(body)
}

fn delete_authorizer(state: &mut ApiGatewayState, account: &str, api_id: &str, id: &str) -> Result<(), ApiError> {
    let api = the_api(state, account, api_id)?;
    let name = the_authorizer(state, api_id, id)?.name.clone();
    for resource in &api.resources {
        if let Some(m) = resource.methods.values().find(|m| m.authorizer_id.as_deref() == Some(id)) {
            return Err(bad_request(format!(
                "Cannot delete authorizer '{name}', is referenced in method: {}:{}",
                m.http_method, resource.path
            )));
        }
    }
    state.authorizers.remove(&format!("{api_id}/{id}"));
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDeploymentInput {
    stage_name: Option<String>,
    stage_description: Option<String>,
    description: Option<String>,
}

fn create_deployment(
    state: &mut ApiGatewayState,
    account: &str,
    api_id: &str,
    input: CreateDeploymentInput,
    now: Millis,
) -> Result<Value, ApiError> {
    the_api(state, account, api_id)?;
    let stage_name = input.stage_name.filter(|s| !s.is_empty());
    if let Some(name) = &stage_name {
        check_name_length("Stage", name)?;
    }
    if let Some(name) = &stage_name
        && !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(bad_request("Stage name only allows a-zA-Z0-9_-"));
    }
    for description in [&input.description, &input.stage_description].into_iter().flatten() {
        if description.len() > super::quotas::MAX_DESCRIPTION {
            return Err(bad_request(format!(
                "Description must be at most {} characters long",
                super::quotas::MAX_DESCRIPTION
            )));
        }
    }
    if let Some(name) = &stage_name {
        super::quotas::check_new_stage(state, api_id, name)?;
    }
    let id = state.deploy(api_id, now, input.description.filter(|d| !d.is_empty()));
    if let Some(name) = stage_name {
        let key = format!("{api_id}/{name}");
        let updated = state.stages.update(&key, |stage| {
            stage.deployment_id = id.clone();
            stage.updated = now;
        });
        if updated.is_none() {
            state.stages.insert(Stage {
                api_id: api_id.to_string(),
                name,
                deployment_id: id.clone(),
                description: input.stage_description,
                web_acl_arn: None,
                created: now,
                updated: now,
            });
        }
    }
    super::quotas::prune_deployments(state, api_id);
    let deployment =
        state.deployment(api_id, &id).ok_or_else(|| not_found("Invalid Deployment identifier specified"))?;
    Ok(deployment_json(deployment, false))
}
