//! API Gateway for the checks and the solves: the lab's REST API, its authorizers, the `GET /`
//! method, what stage `Dev` actually serves; and the console's changes (an authorizer, the
//! method's authorization, a deployment).

use aws_sdk_apigateway::types::{Authorizer, AuthorizerType, Method, Op, PatchOperation};

use super::{AwsProblem, Clients};

use crate::names::{API_NAME, AUTHORIZER_NAME, COGNITO_USER_POOLS, STAGE, TOKEN_SOURCE};

/// The lab's REST API id, if the account has one named `wa-lab-rds-api`.
pub async fn find_api(aws: &Clients) -> Result<Option<String>, AwsProblem> {
    let mut position = None;
    loop {
        let page = aws
            .apigateway
            .get_rest_apis()
            .limit(500)
            .set_position(position)
            .send()
            .await
            .map_err(|e| aws.explain(&e, "apigateway:GET"))?;
        if let Some(api) = page.items().iter().find(|a| a.name() == Some(API_NAME)) {
            return Ok(api.id().map(String::from));
        }
        match page.position() {
            Some(next) if !page.items().is_empty() => position = Some(next.to_string()),
            _ => return Ok(None),
        }
    }
}

pub async fn authorizers(aws: &Clients, api_id: &str) -> Result<Vec<Authorizer>, AwsProblem> {
    let out = aws
        .apigateway
        .get_authorizers()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:GET"))?;
    Ok(out.items().to_vec())
}

/// True when `authorizer` is a Cognito authorizer for `pool_id`.
pub fn is_for_pool(authorizer: &Authorizer, pool_id: &str) -> bool {
    authorizer.r#type() == Some(&AuthorizerType::CognitoUserPools)
        && authorizer.provider_arns().iter().any(|arn| arn.ends_with(&format!(":userpool/{pool_id}")))
}

/// The authorizer the lab wants: Cognito, this pool, token from the Authorization header.
pub fn lab_authorizer<'a>(authorizers: &'a [Authorizer], pool_id: &str) -> Option<&'a Authorizer> {
    authorizers.iter().find(|a| is_for_pool(a, pool_id) && a.identity_source() == Some(TOKEN_SOURCE))
}

/// The id of the `/` resource.
pub async fn root_resource(aws: &Clients, api_id: &str) -> Result<Option<String>, AwsProblem> {
    let out = aws
        .apigateway
        .get_resources()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:GET"))?;
    Ok(out.items().iter().find(|r| r.path() == Some("/")).and_then(|r| r.id().map(String::from)))
}

/// The `/` resource's id and its `GET` method as currently configured (GetResources with
/// `embed=methods`: one call instead of GetResources then GetMethod); `None` when there is no
/// `/` resource.
pub async fn root_with_method(aws: &Clients, api_id: &str) -> Result<Option<(String, Option<Method>)>, AwsProblem> {
    let out = aws
        .apigateway
        .get_resources()
        .rest_api_id(api_id)
        .limit(500)
        .embed("methods")
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:GET"))?;
    let Some(root) = out.items().iter().find(|r| r.path() == Some("/")) else { return Ok(None) };
    let method = root.resource_methods().and_then(|methods| methods.get("GET")).cloned();
    Ok(root.id().map(|id| (id.to_string(), method)))
}

/// `GET /` as currently configured (not necessarily as deployed); `None` when there is none.
pub async fn get_method(aws: &Clients, api_id: &str, resource_id: &str) -> Result<Option<Method>, AwsProblem> {
    let out = aws.apigateway.get_method().rest_api_id(api_id).resource_id(resource_id).http_method("GET").send().await;
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let problem = aws.explain(&e, "apigateway:GET");
            return if problem.code() == Some("NotFoundException") { Ok(None) } else { Err(problem) };
        }
    };
    Ok(Some(
        Method::builder()
            .set_http_method(out.http_method().map(String::from))
            .set_authorization_type(out.authorization_type().map(String::from))
            .set_authorizer_id(out.authorizer_id().map(String::from))
            .build(),
    ))
}

/// What stage `Dev` serves for `GET /`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub deployment_id: String,
    /// `authorizationType` of `GET /` in that deployment; `None` when the method is absent.
    pub authorization: Option<String>,
    pub deployed_at: Option<aws_smithy_types::DateTime>,
}

/// The deployment on stage `Dev`, or `None` when there is no such stage.
pub async fn deployed(aws: &Clients, api_id: &str) -> Result<Option<Deployed>, AwsProblem> {
    let stage = aws.apigateway.get_stage().rest_api_id(api_id).stage_name(STAGE).send().await;
    let stage = match stage {
        Ok(stage) => stage,
        Err(e) => {
            let problem = aws.explain(&e, "apigateway:GET");
            return if problem.code() == Some("NotFoundException") { Ok(None) } else { Err(problem) };
        }
    };
    let Some(deployment_id) = stage.deployment_id() else { return Ok(None) };
    let deployment = aws
        .apigateway
        .get_deployment()
        .rest_api_id(api_id)
        .deployment_id(deployment_id)
        .embed("apisummary")
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:GET"))?;
    let authorization = deployment
        .api_summary()
        .and_then(|summary| summary.get("/"))
        .and_then(|methods| methods.get("GET"))
        .map(|snapshot| snapshot.authorization_type().unwrap_or("NONE").to_string());
    Ok(Some(Deployed {
        deployment_id: deployment_id.to_string(),
        authorization,
        deployed_at: deployment.created_date().cloned(),
    }))
}

/// Creates the lab's Cognito authorizer `walab-cognito` for the pool `pool_arn`.
pub async fn create_authorizer(aws: &Clients, api_id: &str, pool_arn: &str) -> Result<(), AwsProblem> {
    aws.apigateway
        .create_authorizer()
        .rest_api_id(api_id)
        .name(AUTHORIZER_NAME)
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(pool_arn)
        .identity_source(TOKEN_SOURCE)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:POST"))?;
    Ok(())
}

/// Points the existing authorizer `authorizer_id` at the lab's pool only, reading the token
/// from the Authorization header (what `create_authorizer` would have made).
pub async fn repair_authorizer(
    aws: &Clients,
    api_id: &str,
    authorizer: &Authorizer,
    pool_arn: &str,
) -> Result<(), AwsProblem> {
    update_authorizer(aws, api_id, authorizer, repair_patches(authorizer, pool_arn)).await
}

/// What [`repair_authorizer`] sends: the pool's ARN added only when the authorizer lacks it
/// (API Gateway's `add` appends to `providerARNs`; the list would hold it twice), the others
/// removed, and the token read from the Authorization header.
pub fn repair_patches(authorizer: &Authorizer, pool_arn: &str) -> Vec<PatchOperation> {
    let patch = |op: Op, path: &str, value: &str| PatchOperation::builder().op(op).path(path).value(value).build();
    let mut patches = Vec::new();
    if !authorizer.provider_arns().iter().any(|a| a == pool_arn) {
        patches.push(patch(Op::Add, "/providerARNs", pool_arn));
    }
    for stale in authorizer.provider_arns().iter().filter(|a| *a != pool_arn) {
        patches.push(patch(Op::Remove, "/providerARNs", stale));
    }
    if authorizer.identity_source() != Some(TOKEN_SOURCE) {
        patches.push(patch(Op::Replace, "/identitySource", TOKEN_SOURCE));
    }
    patches
}

async fn update_authorizer(
    aws: &Clients,
    api_id: &str,
    authorizer: &Authorizer,
    patches: Vec<PatchOperation>,
) -> Result<(), AwsProblem> {
    if patches.is_empty() {
        return Ok(());
    }
    aws.apigateway
        .update_authorizer()
        .rest_api_id(api_id)
        .authorizer_id(authorizer.id().unwrap_or_default())
        .set_patch_operations(Some(patches))
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:PATCH"))?;
    Ok(())
}

/// Sets `GET /` to use the Cognito authorizer `authorizer_id`.
pub async fn protect_method(
    aws: &Clients,
    api_id: &str,
    resource_id: &str,
    authorizer_id: &str,
) -> Result<(), AwsProblem> {
    let replace = |path: &str, value: &str| PatchOperation::builder().op(Op::Replace).path(path).value(value).build();
    aws.apigateway
        .update_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("GET")
        .patch_operations(replace("/authorizationType", COGNITO_USER_POOLS))
        .patch_operations(replace("/authorizerId", authorizer_id))
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:PATCH"))?;
    Ok(())
}

/// Deploys the API to stage `Dev`; returns the deployment's id.
pub async fn deploy(aws: &Clients, api_id: &str) -> Result<Option<String>, AwsProblem> {
    let out = aws
        .apigateway
        .create_deployment()
        .rest_api_id(api_id)
        .stage_name(STAGE)
        .description("walab: GET / protected by the Cognito authorizer")
        .send()
        .await
        .map_err(|e| aws.explain(&e, "apigateway:POST"))?;
    Ok(out.id().map(String::from))
}
