//! API Gateway (REST JSON): the lab's REST API `wa-lab-rds-api`, its authorizers, its one
//! method, deployments and stages ([`control`]), and what the invoke side needs to know about a
//! stage ([`stage_route`]), asked through functions so the invoke side never reads the state.

pub mod authorizers;
pub mod control;
pub mod model;
pub mod test_invoke;

pub use control::handle;
pub use model::{ApiGatewayState, AuthorizationType, DeployedMethod, RequiredParameter};

use crate::locallab::store::Slice;

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
