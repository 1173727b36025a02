//! API Gateway (REST JSON): the lab's REST API `wa-lab-rds-api`, its authorizers, its one
//! method, deployments and stages ([`control`]), and what the invoke side needs to know about a
//! stage ([`stage_route`]), asked through functions so the invoke side never reads the state.

pub mod authorizers;
pub mod control;
pub mod model;
pub mod test_invoke;

pub use control::handle;
pub use model::{ApiGatewayState, AuthorizationType, DeployedMethod, RequiredParameter};

use crate::locallab::store::{Record, Slice};
use crate::locallab::wire::ApiError;

/// The lab API's regional host name (the CloudFront origin's domain).
pub fn api_domain(apigw: &Slice<ApiGatewayState>, region: &str) -> Option<String> {
    apigw.read(|s| s.lab_api().map(|api| api.domain(region)))
}

/// A stage of the lab's API as the invoke side sees it: the web ACL on it, and the deployed
/// method for a request, if its deployment has one.
pub struct StageRoute {
    pub web_acl_arn: Option<String>,
    pub method: Option<DeployedMethod>,
}

/// What stage `stage` serves for `http_method` on `path` (`None`: no such stage).
pub fn stage_route(apigw: &Slice<ApiGatewayState>, stage: &str, path: &str, http_method: &str) -> Option<StageRoute> {
    apigw.read(|s| {
        let api = s.lab_api()?;
        let stage = s.stage(&api.id, stage)?;
        let method = s.deployment(&api.id, &stage.deployment_id).and_then(|d| {
            d.snapshot
                .iter()
                .find(|m| m.path == path && (m.http_method == http_method || m.http_method == "ANY"))
                .cloned()
        });
        Some(StageRoute { web_acl_arn: stage.web_acl_arn.clone(), method })
    })
}

/// How far the lab's API is protected by a Cognito authorizer for `pool_id` reading the token
/// from `Authorization`: the authorizer exists, `GET /` uses it, stage `Dev` serves that.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Protection {
    pub authorizer: bool,
    pub method: bool,
    pub deployed: bool,
}

pub fn protection(apigw: &Slice<ApiGatewayState>, pool_id: &str) -> Protection {
    apigw.read(|s| {
        let Some(api) = s.lab_api() else { return Protection::default() };
        let reads_the_header =
            |a: &model::Authorizer| a.token_header().is_some_and(|h| h.eq_ignore_ascii_case("authorization"));
        let labs: Vec<&str> = s
            .api_authorizers(&api.id)
            .filter(|a| a.kind == crate::names::COGNITO_USER_POOLS && a.pool_ids().iter().any(|p| p == pool_id))
            .filter(|a| reads_the_header(a))
            .map(|a| a.id.as_str())
            .collect();
        let get = api.resources.iter().find(|r| r.path == "/").and_then(|r| r.methods.get("GET"));
        let method = get.is_some_and(|m| {
            m.authorization_type == AuthorizationType::CognitoUserPools
                && m.authorizer_id.as_deref().is_some_and(|id| labs.contains(&id))
        });
        let deployed = s
            .stage(&api.id, crate::names::STAGE)
            .and_then(|stage| s.deployment(&api.id, &stage.deployment_id))
            .and_then(|d| d.snapshot.iter().find(|m| m.path == "/" && m.http_method == "GET"))
            .is_some_and(|m| {
                m.authorization_type == AuthorizationType::CognitoUserPools
                    && m.authorizer.as_ref().is_some_and(|a| a.pool_ids.iter().any(|p| p == pool_id))
            });
        Protection { authorizer: !labs.is_empty(), method, deployed }
    })
}

/// What WAF asks about a stage of the account's APIs: `None` when there is no such stage,
/// else the web ACL associated with it, if any.
pub fn stage_web_acl(apigw: &Slice<ApiGatewayState>, api_id: &str, stage: &str) -> Option<Option<String>> {
    apigw.read(|s| s.stage(api_id, stage).map(|st| st.web_acl_arn.clone()))
}

/// What API Gateway asks of the account's user pools, for Cognito authorizers.
pub trait UserPools {
    /// True when the account has the pool `pool_id`.
    fn has_pool(&self, pool_id: &str) -> bool;
    /// Verifies an ID token as the authorizer does for `pool_id`.
    fn verify_id_token(&self, pool_id: &str, token: &str) -> Result<crate::token::Claims, crate::token::TokenError>;
}

/// The lab API's id, its request validator's and its first deployment's (what its stack made).
pub fn lab_api_ids(apigw: &Slice<ApiGatewayState>) -> Option<(String, Option<String>, Option<String>)> {
    apigw.read(|s| {
        let api = s.lab_api()?;
        let validator = api.validators.first().map(|v| v.id.clone());
        let deployment = s.api_deployments(&api.id).first().map(|d| d.id.clone());
        Some((api.id.clone(), validator, deployment))
    })
}

/// Deletes REST API `api_id` with everything in it, as deleting its stack does.
pub fn delete_rest_api(apigw: &Slice<ApiGatewayState>, api_id: &str) -> Result<(), ApiError> {
    apigw.write(|s| {
        s.remove_api(api_id);
        Ok(())
    })
}

/// Takes web ACL `acl_arn` off every stage it protects (the web ACL is being deleted).
pub fn remove_web_acl(apigw: &Slice<ApiGatewayState>, acl_arn: &str) -> Result<(), ApiError> {
    apigw.write(|s| {
        let keys: Vec<String> =
            s.stages.values().filter(|st| st.web_acl_arn.as_deref() == Some(acl_arn)).map(|st| st.key()).collect();
        for key in keys {
            s.stages.update(&key, |st| st.web_acl_arn = None);
        }
        Ok(())
    })
}
