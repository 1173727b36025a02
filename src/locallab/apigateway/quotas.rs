//! API Gateway's quotas on what one REST API may hold, so that one account cannot grow the
//! lab's store without bound.
//!
//! From "Quotas for configuring and running a REST API in API Gateway"
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html):
//! authorizers per API (AWS Lambda and Amazon Cognito) 10; stages per API 10. Refusals are
//! `LimitExceededException` (HTTP 429), as API Gateway answers them.
//!
//! AWS keeps every deployment; the lab keeps those a stage uses and the newest
//! [`DEPLOYMENTS_KEPT`] others (walab's own bound, not an AWS quota), so a loop of
//! CreateDeployment cannot fill the disk.

use http::StatusCode;

use super::model::ApiGatewayState;
use crate::locallab::machinery::wire::ApiError;

pub const AUTHORIZERS_PER_API: usize = 10;
pub const STAGES_PER_API: usize = 10;
pub const DEPLOYMENTS_KEPT: usize = 20;
/// The longest deployment or stage description kept (walab's bound: AWS documents none).
pub const MAX_DESCRIPTION: usize = 1024;

pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "LimitExceededException", message)
}

/// Refuses an authorizer beyond the API's quota.
pub fn check_authorizers(state: &ApiGatewayState, api_id: &str) -> Result<(), ApiError> {
    if state.api_authorizers(api_id).count() >= AUTHORIZERS_PER_API {
        return Err(limit_exceeded(format!(
            "Maximum number of authorizers for this API has been reached ({AUTHORIZERS_PER_API}). Delete one first."
        )));
    }
    Ok(())
}

/// Refuses a new stage beyond the API's quota (moving an existing stage is always allowed).
pub fn check_new_stage(state: &ApiGatewayState, api_id: &str, name: &str) -> Result<(), ApiError> {
    let prefix = format!("{api_id}/");
    let stages: Vec<String> = state.stages.with_prefix(&prefix).map(|s| s.name.clone()).collect();
    if !stages.iter().any(|s| s == name) && stages.len() >= STAGES_PER_API {
        return Err(limit_exceeded(format!(
            "Maximum number of stages for this API has been reached ({STAGES_PER_API}). Deploy to an existing stage."
        )));
    }
    Ok(())
}

/// Forgets the oldest deployments no stage uses, beyond [`DEPLOYMENTS_KEPT`].
pub fn prune_deployments(state: &mut ApiGatewayState, api_id: &str) {
    let prefix = format!("{api_id}/");
    let in_use: Vec<String> = state.stages.with_prefix(&prefix).map(|s| s.deployment_id.clone()).collect();
    let unused: Vec<String> =
        state.api_deployments(api_id).into_iter().filter(|d| !in_use.contains(&d.id)).map(|d| d.id.clone()).collect();
    let excess = unused.len().saturating_sub(DEPLOYMENTS_KEPT);
    for id in unused.into_iter().take(excess) {
        state.deployments.remove(&format!("{api_id}/{id}"));
    }
}
