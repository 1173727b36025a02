//! API Gateway (REST JSON): the lab's REST API `wa-lab-rds-api`, its authorizers, its one
//! method, deployments and stages ([`control`]), and what the invoke side needs to know about a
//! stage ([`stage_route`]), asked through functions so the invoke side never reads the state.

pub mod authorizers;
pub mod control;
pub mod invoke;
pub mod model;
pub mod quotas;
pub mod shapes;
pub mod test_invoke;

pub use control::handle;
pub use model::{ApiGatewayState, AuthorizationType, DeployedMethod, RequiredParameter};

use crate::checks::evidence::AuthorizerSeen;
use crate::checks::judge::{DeployedSeen, MethodSeen};
use crate::locallab::machinery::store::{Record, Slice};
use crate::locallab::machinery::wire::ApiError;

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

/// The lab's API as the lab model judges it (what GetAuthorizers, GetMethod and GetDeployment
/// would answer): its id, its authorizers, `GET /` as configured and as stage `stage` serves it.
pub struct LabApiView {
    pub api_id: String,
    pub authorizers: Vec<AuthorizerSeen>,
    pub method: Option<MethodSeen>,
    /// `None` when there is no such stage.
    pub deployed: Option<DeployedSeen>,
}

pub fn lab_view(apigw: &Slice<ApiGatewayState>, stage: &str) -> Option<LabApiView> {
    apigw.read(|s| {
        let api = s.lab_api()?;
        let authorizers = s
            .api_authorizers(&api.id)
            .map(|a| AuthorizerSeen {
                id: Some(a.id.clone()),
                name: Some(a.name.clone()),
                kind: Some(a.kind.clone()),
                pools: a.pool_ids(),
                identity_source: Some(a.identity_source.clone()),
            })
            .collect();
        let method =
            api.resources.iter().find(|r| r.path == "/").and_then(|r| r.methods.get("GET")).map(|m| MethodSeen {
                authorization_type: m.authorization_type.as_str().to_string(),
                authorizer_id: m.authorizer_id.clone(),
            });
        let deployed = s.stage(&api.id, stage).map(|stage| {
            let deployment = s.deployment(&api.id, &stage.deployment_id);
            DeployedSeen {
                deployment_id: stage.deployment_id.clone(),
                authorization: deployment
                    .and_then(|d| d.snapshot.iter().find(|m| m.path == "/" && m.http_method == "GET"))
                    .map(|m| m.authorization_type.as_str().to_string()),
                deployed_at: deployment.map(|d| crate::locallab::machinery::clock::iso8601(d.created)),
            }
        });
        Some(LabApiView { api_id: api.id.clone(), authorizers, method, deployed })
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
