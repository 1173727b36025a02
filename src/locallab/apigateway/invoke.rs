//! API Gateway's invoke side: a stage (`/Dev/…`) served from its deployment's snapshot, in the
//! order API Gateway applies its checks: the stage, the regional WAF rule, the route, the
//! Cognito authorizer, the API key, the request validator, then the Lambda function's answer.
//!
//! This is the hot path (the edge calls it for every cache miss, and it is load-tested): one
//! short lock section copies out what the request needs, the token is verified outside it
//! with keys parsed when the lab started, and nothing here can panic on request data.

use axum::body::Body;
use axum::response::Response;
use http::{StatusCode, header};

use crate::locallab::apigateway::{self, ApiGatewayState, AuthorizationType, DeployedMethod, RequiredParameter};
use crate::locallab::cognito::{self, CognitoState};
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::{AwsRequest, request_id};
use crate::locallab::players;
use crate::locallab::waf::{self, WafState};
use crate::token::{TokenError, TokenUse};

/// Why API Gateway refused a request, each with the status and body it answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// Unknown stage, or blocked by the web ACL, or an API key was required.
    Forbidden,
    /// No such resource or method in the deployment (API Gateway's famously odd answer).
    MissingAuthenticationToken,
    Unauthorized,
    TokenExpired,
    MissingParameters(Vec<String>),
}

impl Refusal {
    fn into_response(self) -> Response {
        let (status, kind, body) = match self {
            Refusal::Forbidden => (StatusCode::FORBIDDEN, "ForbiddenException", r#"{"message":"Forbidden"}"#.into()),
            Refusal::MissingAuthenticationToken => (
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                r#"{"message":"Missing Authentication Token"}"#.into(),
            ),
            Refusal::Unauthorized => {
                (StatusCode::UNAUTHORIZED, "UnauthorizedException", r#"{"message":"Unauthorized"}"#.into())
            }
            Refusal::TokenExpired => (
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                r#"{"message":"The incoming token has expired"}"#.into(),
            ),
            // The BAD_REQUEST_PARAMETERS gateway response's template puts a space after the colon.
            Refusal::MissingParameters(names) => (
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                format!(r#"{{"message": "Missing required request parameters: [{}]"}}"#, names.join(", ")),
            ),
        };
        let mut response = respond(status, body);
        response.headers_mut().insert("x-amzn-errortype", header::HeaderValue::from_static(kind));
        response
    }
}

/// The services of one account the invoke side asks.
pub struct Backends<'a> {
    pub ctx: &'a AccountContext,
    pub apigateway: &'a Slice<ApiGatewayState>,
    pub waf: &'a Slice<WafState>,
    pub cognito: &'a Slice<CognitoState>,
}

pub fn handle(backends: &Backends, req: &AwsRequest) -> Response {
    match serve(backends, req) {
        Ok(body) => respond(StatusCode::OK, body),
        Err(refusal) => refusal.into_response(),
    }
}

fn serve(backends: &Backends, req: &AwsRequest) -> Result<String, Refusal> {
    let stage = req.segments.first().ok_or(Refusal::Forbidden)?;
    let path = resource_path(req.segments.get(1..).unwrap_or_default());
    let route =
        apigateway::stage_route(backends.apigateway, stage, &path, req.method.as_str()).ok_or(Refusal::Forbidden)?;
    if !waf::admits(backends.waf, route.web_acl_arn.as_deref(), &req.headers) {
        return Err(Refusal::Forbidden);
    }
    let method = route.method.ok_or(Refusal::MissingAuthenticationToken)?;
    authorize(backends, req, &method)?;
    if method.api_key_required {
        // The lab has no API keys or usage plans, so no key can be valid.
        return Err(Refusal::Forbidden);
    }
    let missing: Vec<String> =
        method.required_parameters.iter().filter(|p| !present(req, p)).map(|p| p.name().to_string()).collect();
    if !missing.is_empty() {
        return Err(Refusal::MissingParameters(missing));
    }
    // The non-proxy integration's template passes `$input.params('id')` to the function.
    let id = req.query_param("id").unwrap_or_default();
    Ok(players::answer(id).to_string())
}

/// `/Dev`, `/Dev/` → `/`; `/Dev/a/b` → `/a/b`.
fn resource_path(segments: &[String]) -> String {
    format!("/{}", segments.join("/"))
}

fn present(req: &AwsRequest, parameter: &RequiredParameter) -> bool {
    match parameter {
        RequiredParameter::Query(name) => req.query_param(name).is_some(),
        RequiredParameter::Header(name) => req.headers.contains_key(name.as_str()),
    }
}

/// The method's authorization as the deployment froze it.
fn authorize(backends: &Backends, req: &AwsRequest, method: &DeployedMethod) -> Result<(), Refusal> {
    match method.authorization_type {
        AuthorizationType::None => Ok(()),
        // The lab accepts any credentials, but like API Gateway it wants a signed request.
        AuthorizationType::AwsIam if req.is_signed() => Ok(()),
        AuthorizationType::AwsIam => Err(Refusal::MissingAuthenticationToken),
        // No Lambda authorizers in the lab; a method cannot be set up this way.
        AuthorizationType::Custom => Err(Refusal::Unauthorized),
        AuthorizationType::CognitoUserPools => {
            let authorizer = method.authorizer.as_ref().ok_or(Refusal::Unauthorized)?;
            let token = req
                .headers
                .get(authorizer.token_header.as_str())
                .and_then(|v| v.to_str().ok())
                .map(strip_bearer)
                .filter(|t| !t.is_empty())
                .ok_or(Refusal::Unauthorized)?;
            // Without scopes the authorizer wants an ID token; with scopes, an access token
            // granting one of them.
            let token_use = if method.authorization_scopes.is_empty() { TokenUse::Id } else { TokenUse::Access };
            let mut refusal = Refusal::Unauthorized;
            for pool_id in &authorizer.pool_ids {
                match cognito::verify_for_pool(backends.ctx, backends.cognito, pool_id, token, token_use) {
                    Ok(_) if token_use == TokenUse::Id => return Ok(()),
                    Ok(claims) => {
                        let granted = claims.get("scope").and_then(|s| s.as_str()).unwrap_or_default();
                        if granted.split(' ').any(|g| method.authorization_scopes.iter().any(|s| s == g)) {
                            return Ok(());
                        }
                    }
                    Err(TokenError::Expired { .. }) => refusal = Refusal::TokenExpired,
                    Err(_) => {}
                }
            }
            Err(refusal)
        }
    }
}

/// Accepts both the raw token (what the lab's script sends) and `Bearer <token>`.
fn strip_bearer(value: &str) -> &str {
    let value = value.trim();
    match value.get(..7).zip(value.get(7..)) {
        Some((prefix, token)) if prefix.eq_ignore_ascii_case("bearer ") => token.trim_start(),
        _ => value,
    }
}

fn respond(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    for (name, value) in [("x-amzn-requestid", request_id()), ("x-amz-apigw-id", format!("{}=", ids::alnum(15)))] {
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_an_optional_bearer_prefix() {
        assert_eq!(strip_bearer("abc.def.ghi"), "abc.def.ghi");
        assert_eq!(strip_bearer("Bearer abc.def.ghi"), "abc.def.ghi");
        assert_eq!(strip_bearer("bearer  abc"), "abc");
        assert_eq!(strip_bearer("Bear"), "Bear");
        assert_eq!(strip_bearer("ééééééé"), "ééééééé");
    }

    #[test]
    fn maps_stage_paths_to_resources() {
        assert_eq!(resource_path(&[]), "/");
        assert_eq!(resource_path(&["a".into(), "b".into()]), "/a/b");
    }
}
