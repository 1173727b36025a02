//! Step 5.3: the Cognito authorizer on `wa-lab-rds-api`, `GET /` using it, and stage `Dev`
//! serving a deployment where it does.

use aws_sdk_apigateway::types::Authorizer;

use super::evidence::AuthorizerSeen;
use super::identity::pool_and_client;
use super::{Checked, Context, Evidence, Hint, Outcome, Remedy, Status, lock};
use crate::aws::apigateway;
use crate::guide::SolveAction;
use crate::names::{API_NAME, COGNITO_USER_POOLS, STAGE, TOKEN_SOURCE};

/// The lab's REST API id, remembered once found.
pub async fn api_id(ctx: &Context) -> Result<String, Outcome> {
    if let Some(id) = lock(&ctx.facts).api_id.clone() {
        return Ok(id);
    }
    let Some(id) = apigateway::find_api(&ctx.aws).await? else {
        return Err(Outcome::failed(
            format!("no REST API named {API_NAME} in {}", ctx.aws.region),
            "the section 1 stack creates it; check --region",
        ));
    };
    lock(&ctx.facts).api_id = Some(id.clone());
    Ok(id)
}

/// The lab's authorizer (Cognito, this pool, Authorization header), or why there is none.
pub async fn lab_authorizer(ctx: &Context) -> Result<(Authorizer, Evidence), Outcome> {
    let (pool, _) = pool_and_client(ctx).await?;
    let api = api_id(ctx).await?;
    let all = apigateway::authorizers(&ctx.aws, &api).await?;
    let evidence = Evidence::Authorizers { api, authorizers: all.iter().map(AuthorizerSeen::of).collect() };
    if let Some(found) = apigateway::lab_authorizer(&all, &pool) {
        return Ok((found.clone(), evidence));
    }
    let create = |text: &str| Hint::new(text).by(Remedy::Solve(SolveAction::CreateAuthorizer));
    let outcome = if let Some(other) = all.iter().find(|a| apigateway::is_for_pool(a, &pool)) {
        Outcome::failed(
            format!(
                "authorizer {} reads the token from {}",
                other.name().unwrap_or("?"),
                other.identity_source().unwrap_or("nowhere")
            ),
            format!("its token source must be the Authorization header ({TOKEN_SOURCE})"),
        )
    } else if let Some(other) = all.iter().find(|a| a.r#type().map(|t| t.as_str()) == Some(COGNITO_USER_POOLS)) {
        Outcome::failed(
            format!("authorizer {} is for another user pool, not {pool}", other.name().unwrap_or("?")),
            create("create one for the lab's pool"),
        )
    } else {
        Outcome::failed(
            format!("{API_NAME} has no Cognito authorizer"),
            create("create one of type Cognito for the lab's pool, token source Authorization"),
        )
    };
    Err(outcome.with_evidence(evidence))
}

pub(super) async fn authorizer_created(ctx: &Context) -> Checked {
    let (authorizer, evidence) = lab_authorizer(ctx).await?;
    Ok(Outcome::passed(format!("authorizer {} checks ID tokens from the lab's pool", authorizer.name().unwrap_or("?")))
        .with_evidence(evidence))
}

/// The id of the API's `/` resource.
pub(crate) async fn root_resource(ctx: &Context, api: &str) -> Result<String, Outcome> {
    apigateway::root_resource(&ctx.aws, api)
        .await?
        .ok_or_else(|| Outcome::failed(format!("{API_NAME} has no / resource"), "the API is not the lab's"))
}

pub(super) async fn method_protected(ctx: &Context) -> Checked {
    let api = api_id(ctx).await?;
    let resource = root_resource(ctx, &api).await?;
    let Some(method) = apigateway::get_method(&ctx.aws, &api, &resource).await? else {
        return Err(Outcome::failed(format!("{API_NAME} has no GET / method"), "the API is not the lab's"));
    };
    let authorization = method.authorization_type().unwrap_or("NONE").to_string();
    let evidence = Evidence::Method {
        method: "GET /".into(),
        authorization_type: authorization.clone(),
        authorizer_id: method.authorizer_id().map(String::from),
    };
    if authorization != COGNITO_USER_POOLS {
        return Ok(Outcome::failed(
            format!("GET / uses authorization {authorization}"),
            Hint::new("choose the Cognito authorizer under Method Request → Authorization")
                .by(Remedy::Solve(SolveAction::ProtectMethod)),
        )
        .with_evidence(evidence));
    }
    let outcome = match lab_authorizer(ctx).await {
        Ok((authorizer, _)) if authorizer.id() == method.authorizer_id() => {
            Outcome::passed(format!("GET / uses authorizer {}", authorizer.name().unwrap_or("?")))
        }
        Ok((authorizer, _)) => Outcome::failed(
            "GET / uses a different Cognito authorizer",
            format!("choose {} under Method Request → Authorization", authorizer.name().unwrap_or("the lab's")),
        ),
        Err(outcome) => {
            Outcome::failed_with("GET / uses a Cognito authorizer, but not one for the lab's pool", outcome.hint)
        }
    };
    Ok(outcome.with_evidence(evidence))
}

pub(super) async fn api_deployed(ctx: &Context) -> Checked {
    let api = api_id(ctx).await?;
    let Some(deployed) = apigateway::deployed(&ctx.aws, &api).await? else {
        return Ok(Outcome::failed(
            format!("{API_NAME} has no stage {STAGE}"),
            "deploy the API to a new stage named Dev",
        ));
    };
    let authorization = deployed.authorization.clone().unwrap_or_else(|| "absent".into());
    let evidence = Evidence::Deployment {
        stage: STAGE.into(),
        deployment_id: deployed.deployment_id,
        deployed_at: deployed.deployed_at.map(|d| d.to_string()),
        get: authorization.clone(),
    };
    let outcome = if authorization == COGNITO_USER_POOLS {
        Outcome::passed(format!("stage {STAGE} serves GET / with the Cognito authorizer"))
    } else {
        Outcome::failed(
            format!("stage {STAGE} still serves GET / with authorization {authorization}"),
            Hint::new("changes take effect only when deployed: Deploy API → Dev")
                .by(Remedy::Solve(SolveAction::DeployApi)),
        )
    };
    Ok(outcome.with_evidence(evidence))
}

/// Which part of 5.3 is missing, for diagnosing a 200 that should have been a 401.
pub(super) async fn what_is_missing(ctx: &Context) -> Option<String> {
    for (check, name) in [
        (authorizer_created(ctx).await, "no Cognito authorizer for the lab's pool"),
        (method_protected(ctx).await, "GET / does not use the authorizer"),
        (api_deployed(ctx).await, "the protected method is not deployed to Dev"),
    ] {
        let outcome = check.unwrap_or_else(|stopped| stopped);
        if outcome.status != Status::Passed {
            return Some(format!("{name} ({})", outcome.summary));
        }
    }
    None
}
