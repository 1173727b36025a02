//! The console's Test buttons: `TestInvokeMethod` runs a method's integration as it stands now
//! (not as deployed), request validation included and the authorizer skipped, as the console's
//! Test does; `TestInvokeAuthorizer` says what a Cognito authorizer would decide for a token.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

use super::UserPools;
use super::model::{ApiGatewayState, DeployedMethod, RequiredParameter};
use super::shapes::{TestInvokeAuthorizerOutput, TestInvokeMethodOutput};
use crate::locallab::machinery::wire::ApiError;
use crate::locallab::players;
use crate::token::TokenError;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TestInvokeInput {
    path_with_query_string: Option<String>,
    headers: BTreeMap<String, String>,
    multi_value_headers: BTreeMap<String, Vec<String>>,
}

impl TestInvokeInput {
    fn header(&self, name: &str) -> Option<&str> {
        let single = self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        single.or_else(|| {
            self.multi_value_headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first())
                .map(String::as_str)
        })
    }

    fn query(&self) -> Vec<(String, String)> {
        let path = self.path_with_query_string.as_deref().unwrap_or_default();
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or_default();
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }
}

fn millis_since(start: Instant) -> i64 {
    i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// `TestInvokeMethod` for a method as the state has it now.
pub fn test_invoke_method(method: &DeployedMethod, input: &TestInvokeInput) -> Value {
    let start = Instant::now();
    let query = input.query();
    let missing: Vec<&str> = method
        .required_parameters
        .iter()
        .filter(|p| match p {
            RequiredParameter::Query(name) => !query.iter().any(|(k, _)| k == name),
            RequiredParameter::Header(name) => input.header(name).is_none(),
        })
        .map(RequiredParameter::name)
        .collect();
    let (status, body, log) = if missing.is_empty() {
        let id = query.iter().find(|(k, _)| k == "id").map(|(_, v)| v.as_str()).unwrap_or_default();
        let body = players::answer(id).to_string();
        (
            200,
            body.clone(),
            format!(
                "Execution log for request test-request\nMethod request query string: {{id={id}}}\nMethod response body after transformations: {body}\nMethod completed with status: 200\n"
            ),
        )
    } else {
        let body = format!(r#"{{"message": "Missing required request parameters: [{}]"}}"#, missing.join(", "));
        (
            400,
            body,
            format!(
                "Execution log for request test-request\nRequest validation failed for request parameters: [{}]\nMethod completed with status: 400\n",
                missing.join(", ")
            ),
        )
    };
    TestInvokeMethodOutput::json(status, body, log, millis_since(start))
}

/// What `TestInvokeAuthorizer` needs of an authorizer, read under the lock.
pub struct AuthorizerProbe {
    pub pool_ids: Vec<String>,
    pub token_header: String,
}

pub fn probe(state: &ApiGatewayState, api_id: &str, id: &str) -> Option<AuthorizerProbe> {
    let a = state.authorizer(api_id, id)?;
    Some(AuthorizerProbe {
        pool_ids: a.pool_ids(),
        token_header: a.token_header().unwrap_or("Authorization").to_string(),
    })
}

/// `TestInvokeAuthorizer` for a Cognito authorizer: 200 with the token's claims, or 401.
pub fn test_invoke_authorizer(
    probe: &AuthorizerProbe,
    input: &TestInvokeInput,
    pools: &dyn UserPools,
) -> Result<Value, ApiError> {
    let start = Instant::now();
    let token = input.header(&probe.token_header).map(|t| t.trim()).filter(|t| !t.is_empty());
    let token = token.map(|t| t.strip_prefix("Bearer ").or_else(|| t.strip_prefix("bearer ")).unwrap_or(t));
    let mut reason = format!("no token in the {} header", probe.token_header);
    if let Some(token) = token {
        for pool in &probe.pool_ids {
            match pools.verify_id_token(pool, token) {
                Ok(claims) => {
                    let claims: BTreeMap<String, String> = claims
                        .into_iter()
                        .map(|(k, v)| (k, v.as_str().map(String::from).unwrap_or_else(|| v.to_string())))
                        .collect();
                    let output = TestInvokeAuthorizerOutput {
                        client_status: 200,
                        log: format!(
                            "Execution log for request test-request\nAuthorizer verified an ID token of {pool}\n"
                        ),
                        latency: millis_since(start),
                        claims: Some(claims),
                    };
                    return Ok(output.json());
                }
                Err(e @ TokenError::Expired { .. }) => reason = e.to_string(),
                Err(e) => reason = e.to_string(),
            }
        }
    }
    let output = TestInvokeAuthorizerOutput {
        client_status: 401,
        log: format!("Execution log for request test-request\nUnauthorized: {reason}\n"),
        latency: millis_since(start),
        claims: None,
    };
    Ok(output.json())
}
