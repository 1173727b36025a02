//! Changing a Cognito authorizer (`UpdateAuthorizer`, patch operations) and the rules every
//! authorizer keeps: a name unique in its REST API, and provider ARNs naming pools that exist.

use http::StatusCode;
use serde_json::Value;

use super::model::{ApiGatewayState, Authorizer, pool_id_of};
use crate::locallab::machinery::wire::ApiError;

/// One patch operation, as `UpdateAuthorizer` sends it.
pub struct Patch<'a> {
    pub op: &'a str,
    pub path: &'a str,
    pub value: Option<&'a str>,
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequestException", message)
}

/// API Gateway's check of a Cognito authorizer's pools: each ARN well formed and naming a
/// pool that exists; the refusal lists the ARNs that are not.
pub fn check_provider_arns(arns: &[String], has_pool: &dyn Fn(&str) -> bool) -> Result<(), ApiError> {
    let invalid: Vec<&str> =
        arns.iter().filter(|arn| !pool_id_of(arn).is_some_and(has_pool)).map(String::as_str).collect();
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(bad_request(format!(
            "ProviderARNs need to be valid Cognito Userpools. Invalid ARNs-\n{}",
            invalid.join("\n")
        )))
    }
}

/// The longest authorizer or stage name: API Gateway documents 128 characters for stage names
/// ("Stage names can only contain alphanumeric characters, hyphens, and underscores. Maximum
/// length is 128 characters."); its service model sets no bound on authorizer names, and the
/// lab holds them to the same rather than store whatever arrives.
pub const MAX_NAME: usize = 128;

/// Refuses a name longer than [`MAX_NAME`] characters, before anything is done with it.
pub fn check_name_length(what: &str, name: &str) -> Result<(), ApiError> {
    if name.len() > MAX_NAME && name.chars().nth(MAX_NAME).is_some() {
        return Err(bad_request(format!("{what} name must be at most {MAX_NAME} characters long")));
    }
    Ok(())
}

/// The refusal of a second authorizer named `name` in one REST API.
pub fn check_unique_name(
    state: &ApiGatewayState,
    api_id: &str,
    name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    if state.api_authorizers(api_id).any(|a| a.name == name && Some(a.id.as_str()) != except) {
        return Err(bad_request(format!(
            "Authorizer name must be unique. Authorizer {name} already exists in this RestApi."
        )));
    }
    Ok(())
}

/// Applies `UpdateAuthorizer`'s patch to a copy and stores it only when all of it is valid.
pub fn update_authorizer(
    state: &mut ApiGatewayState,
    api_id: &str,
    id: &str,
    patches: &[Patch],
    has_pool: &dyn Fn(&str) -> bool,
    render: fn(&Authorizer) -> Value,
) -> Result<Value, ApiError> {
    let mut authorizer = state.authorizer(api_id, id).cloned().ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "NotFoundException", "Invalid Authorizer identifier specified")
    })?;
    for patch in patches {
        let value = patch.value.unwrap_or_default();
        match (patch.op, patch.path) {
            ("replace", "/name") if !value.trim().is_empty() => {
                check_name_length("Authorizer", value)?;
                authorizer.name = value.to_string();
            }
            ("replace", "/name") => return Err(bad_request("Authorizer name must be specified")),
            ("replace", "/identitySource") => {
                if value.trim().strip_prefix("method.request.header.").is_none_or(|h| h.is_empty() || h.contains(',')) {
                    return Err(bad_request(format!("Invalid identity source specified: '{value}'")));
                }
                authorizer.identity_source = value.to_string();
            }
            ("replace", "/identityValidationExpression") => {
                authorizer.identity_validation_expression = Some(value.to_string()).filter(|v| !v.is_empty());
            }
            ("replace", "/authorizerResultTtlInSeconds") => {
                authorizer.ttl_seconds = value
                    .parse()
                    .ok()
                    .filter(|t| (0..=3600).contains(t))
                    .ok_or_else(|| bad_request("Authorizer result TTL must be between 0 and 3600 seconds"))?;
            }
            ("add", path) if path.starts_with("/providerARNs") => {
                let arn = if value.is_empty() {
                    path.trim_start_matches("/providerARNs/").replace("~1", "/")
                } else {
                    value.to_string()
                };
                if !authorizer.provider_arns.contains(&arn) {
                    authorizer.provider_arns.push(arn);
                }
            }
            ("remove", path) if path.starts_with("/providerARNs") => {
                let arn = if value.is_empty() {
                    path.trim_start_matches("/providerARNs/").replace("~1", "/")
                } else {
                    value.to_string()
                };
                authorizer.provider_arns.retain(|a| *a != arn);
            }
            (
                op,
                path
                @ ("/name" | "/identitySource" | "/identityValidationExpression" | "/authorizerResultTtlInSeconds"),
            ) => {
                return Err(bad_request(format!(
                    "Invalid patch operation specified: {op} on {path}. Must be one of: [replace]"
                )));
            }
            (_, path) => return Err(bad_request(format!("Invalid patch path {path}"))),
        }
    }
    if authorizer.provider_arns.is_empty() {
        return Err(bad_request("ProviderARNs need to be specified for a COGNITO_USER_POOLS authorizer"));
    }
    check_provider_arns(&authorizer.provider_arns, has_pool)?;
    check_unique_name(state, api_id, &authorizer.name, Some(id))?;
    let body = render(&authorizer);
    state.authorizers.insert(authorizer);
    Ok(body)
}
