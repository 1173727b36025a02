//! Step 5.3, gathered through the SDK: the Cognito authorizer on `wa-lab-rds-api`, `GET /`
//! using it, and stage `Dev` serving a deployment where it does. [`judge`] decides.

use super::evidence::AuthorizerSeen;
use super::identity::pool_and_client;
use super::judge::{self, DeployedSeen, MethodSeen};
use super::{Checked, Context, Outcome, lock};
use crate::aws::apigateway;
use crate::names::API_NAME;

/// The lab's REST API id, remembered once found.
pub async fn api_id(ctx: &Context) -> Result<String, Outcome> {
    if let Some(id) = lock(&ctx.facts).api_id.clone() {
        return Ok(id);
    }
    let run = ctx.this_run();
    let id = run
        .api_id
        .get_or_init(|| async {
            match apigateway::find_api(&ctx.aws).await {
                Ok(Some(id)) => Ok(id),
                Ok(None) => Err(Outcome::failed(
                    format!("no REST API named {API_NAME} in {}", ctx.aws.region),
                    "the section 1 stack creates it; check --region",
                )),
                Err(problem) => Err(problem.into()),
            }
        })
        .await
        .clone()?;
    lock(&ctx.facts).api_id = Some(id.clone());
    Ok(id)
}

/// The API's authorizers, read once a run.
async fn authorizers(ctx: &Context, api: &str) -> Result<Vec<AuthorizerSeen>, Outcome> {
    let run = ctx.this_run();
    run.authorizers
        .get_or_init(|| async {
            apigateway::authorizers(&ctx.aws, api)
                .await
                .map(|all| all.iter().map(AuthorizerSeen::of).collect())
                .map_err(Outcome::from)
        })
        .await
        .clone()
}

/// The lab's authorizer (Cognito, this pool, Authorization header), or the outcome saying why
/// there is none.
pub async fn lab_authorizer(ctx: &Context) -> Result<AuthorizerSeen, Outcome> {
    let ((pool, _), api) = pool_and_api(ctx).await?;
    let all = authorizers(ctx, &api).await?;
    match judge::lab_authorizer(&all, &pool) {
        Some(found) => Ok(found.clone()),
        None => Err(judge::authorizer_created(&api, &pool, &all)),
    }
}

/// The pool and client ids and the API's id, asked for at once (finding the API does not need
/// the stacks).
async fn pool_and_api(ctx: &Context) -> Result<((String, String), String), Outcome> {
    let (ids, api) = tokio::join!(pool_and_client(ctx), api_id(ctx));
    Ok((ids?, api?))
}

pub(super) async fn authorizer_created(ctx: &Context) -> Checked {
    let ((pool, _), api) = pool_and_api(ctx).await?;
    let all = authorizers(ctx, &api).await?;
    Ok(judge::authorizer_created(&api, &pool, &all))
}

pub(super) async fn method_protected(ctx: &Context) -> Checked {
    let ((pool, _), api) = pool_and_api(ctx).await?;
    // GetResources with the methods embedded reads `GET /` in the same round trip.
    let (root, all) = tokio::join!(apigateway::root_with_method(&ctx.aws, &api), authorizers(ctx, &api));
    let (root, all) = (root?, all?);
    let Some((_, method)) = root else {
        return Err(Outcome::failed(format!("{API_NAME} has no / resource"), "the API is not the lab's"));
    };
    let method = method.map(|m| MethodSeen {
        authorization_type: m.authorization_type().unwrap_or("NONE").to_string(),
        authorizer_id: m.authorizer_id().map(String::from),
    });
    Ok(judge::method_protected(method.as_ref(), &pool, &all))
}

pub(super) async fn api_deployed(ctx: &Context) -> Checked {
    let api = api_id(ctx).await?;
    let deployed = apigateway::deployed(&ctx.aws, &api).await?.map(|d| DeployedSeen {
        deployment_id: d.deployment_id,
        authorization: d.authorization,
        deployed_at: d.deployed_at.map(|at| at.to_string()),
    });
    Ok(judge::api_deployed(deployed.as_ref()))
}
