//! Step 5.3: the Cognito authorizer on `wa-lab-rds-api`, `GET /` using it, and stage `Dev`
//! serving a deployment where it does.

use aws_sdk_apigateway::types::Authorizer;
use serde_json::{Value, json};

use super::identity::pool_and_client;
use super::{Context, Outcome, lock};
use crate::aws::apigateway;
use crate::names::{API_NAME, COGNITO_USER_POOLS, STAGE, TOKEN_SOURCE};

/// The lab's REST API id, remembered once found.
pub async fn api_id(ctx: &Context) -> Result<String, Outcome> {
    if let Some(id) = lock(&ctx.facts).api_id.clone() {
        return Ok(id);
    }
    match apigateway::find_api(&ctx.aws).await {
        Ok(Some(id)) => {
            lock(&ctx.facts).api_id = Some(id.clone());
            Ok(id)
        }
        Ok(None) => Err(Outcome::failed(
            format!("no REST API named {API_NAME} in {}", ctx.aws.region),
            "the section 1 stack creates it; check --region",
        )),
        Err(problem) => Err(Outcome::from_problem(problem)),
    }
}

fn authorizer_evidence(authorizer: &Authorizer) -> Value {
    let pools: Vec<&str> =
        authorizer.provider_arns().iter().map(|arn| arn.rsplit('/').next().unwrap_or(arn.as_str())).collect();
    json!({
        "id": authorizer.id(),
        "name": authorizer.name(),
        "type": authorizer.r#type().map(|t| t.as_str()),
        "pools": pools,
        "identity_source": authorizer.identity_source(),
    })
}

/// The lab's authorizer (Cognito, this pool, Authorization header), or why there is none.
pub async fn lab_authorizer(ctx: &Context) -> Result<(Authorizer, Value), Outcome> {
    let (pool, _) = pool_and_client(ctx).await?;
    let api = api_id(ctx).await?;
    let all = apigateway::authorizers(&ctx.aws, &api).await.map_err(Outcome::from_problem)?;
    let evidence = json!({ "api": api, "authorizers": all.iter().map(authorizer_evidence).collect::<Vec<_>>() });
    if let Some(found) = apigateway::lab_authorizer(&all, &pool) {
        lock(&ctx.facts).authorizer_id = found.id().map(String::from);
        return Ok((found.clone(), evidence));
    }
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
            "create one for the lab's pool (walab solve create-authorizer)",
        )
    } else {
        Outcome::failed(
            format!("{API_NAME} has no Cognito authorizer"),
            "create one of type Cognito for the lab's pool, token source Authorization (walab solve create-authorizer)",
        )
    };
    Err(outcome.with_evidence(evidence))
}

pub(super) async fn authorizer_created(ctx: &Context) -> Outcome {
    match lab_authorizer(ctx).await {
        Ok((authorizer, evidence)) => Outcome::passed(format!(
            "authorizer {} checks ID tokens from the lab's pool",
            authorizer.name().unwrap_or("?")
        ))
        .with_evidence(evidence),
        Err(outcome) => outcome,
    }
}

pub(super) async fn method_protected(ctx: &Context) -> Outcome {
    let api = match api_id(ctx).await {
        Ok(api) => api,
        Err(outcome) => return outcome,
    };
    let resource = match apigateway::root_resource(&ctx.aws, &api).await {
        Ok(Some(resource)) => resource,
        Ok(None) => return Outcome::failed(format!("{API_NAME} has no / resource"), "the API is not the lab's"),
        Err(problem) => return Outcome::from_problem(problem),
    };
    let method = match apigateway::get_method(&ctx.aws, &api, &resource).await {
        Ok(method) => method,
        Err(problem) if problem.code() == Some("NotFoundException") => {
            return Outcome::failed(format!("{API_NAME} has no GET / method"), "the API is not the lab's");
        }
        Err(problem) => return Outcome::from_problem(problem),
    };
    let authorization = method.authorization_type().unwrap_or("NONE").to_string();
    let evidence =
        json!({ "method": "GET /", "authorizationType": authorization, "authorizerId": method.authorizer_id() });
    if authorization != COGNITO_USER_POOLS {
        return Outcome::failed(
            format!("GET / uses authorization {authorization}"),
            "choose the Cognito authorizer under Method Request → Authorization (walab solve protect-method)",
        )
        .with_evidence(evidence);
    }
    match lab_authorizer(ctx).await {
        Ok((authorizer, _)) if authorizer.id() == method.authorizer_id() => {
            Outcome::passed(format!("GET / uses authorizer {}", authorizer.name().unwrap_or("?")))
                .with_evidence(evidence)
        }
        Ok((authorizer, _)) => Outcome::failed(
            "GET / uses a different Cognito authorizer",
            format!("choose {} under Method Request → Authorization", authorizer.name().unwrap_or("the lab's")),
        )
        .with_evidence(evidence),
        Err(outcome) => Outcome::failed(
            "GET / uses a Cognito authorizer, but not one for the lab's pool",
            outcome.hint.unwrap_or_default(),
        )
        .with_evidence(evidence),
    }
}

pub(super) async fn api_deployed(ctx: &Context) -> Outcome {
    let api = match api_id(ctx).await {
        Ok(api) => api,
        Err(outcome) => return outcome,
    };
    match apigateway::deployed(&ctx.aws, &api).await {
        Ok(None) => {
            Outcome::failed(format!("{API_NAME} has no stage {STAGE}"), "deploy the API to a new stage named Dev")
        }
        Ok(Some(deployed)) => {
            let authorization = deployed.authorization.clone().unwrap_or_else(|| "absent".into());
            let evidence = json!({
                "stage": STAGE,
                "deploymentId": deployed.deployment_id,
                "deployedAt": deployed.deployed_at.map(|d| d.to_string()),
                "GET /": authorization,
            });
            if authorization == COGNITO_USER_POOLS {
                Outcome::passed(format!("stage {STAGE} serves GET / with the Cognito authorizer"))
                    .with_evidence(evidence)
            } else {
                Outcome::failed(
                    format!("stage {STAGE} still serves GET / with authorization {authorization}"),
                    "changes take effect only when deployed: Deploy API → Dev (walab solve deploy-api)",
                )
                .with_evidence(evidence)
            }
        }
        Err(problem) => Outcome::from_problem(problem),
    }
}

/// Which part of 5.3 is missing, for diagnosing a 200 that should have been a 401.
pub(super) async fn what_is_missing(ctx: &Context) -> Option<String> {
    for (check, name) in [
        (authorizer_created(ctx).await, "no Cognito authorizer for the lab's pool"),
        (method_protected(ctx).await, "GET / does not use the authorizer"),
        (api_deployed(ctx).await, "the protected method is not deployed to Dev"),
    ] {
        if check.status != super::Status::Passed {
            return Some(format!("{name} ({})", check.summary));
        }
    }
    None
}
