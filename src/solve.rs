//! The console steps, done through the API: each says first what it will change, does
//! nothing when its check already passes, and leaves the lab as the console would.

pub mod teardown;

use crate::aws::cognito::{self, ClientCall};
use crate::aws::{apigateway, cloudfront};
use tokio_util::sync::CancellationToken;

use crate::checks::{Context, Hint, Outcome, Remedy, Status, run_check, with_paths};
use crate::guide::{Guide, SolveAction};
use crate::names::{AUTHORIZER_NAME, STAGE};
use crate::secret::Secret;
use crate::settings::Field;
use crate::target::TargetKind;
use crate::token::secret_hash;

/// What an action would change, said before doing it.
pub fn what_it_changes(action: SolveAction, kind: TargetKind) -> &'static str {
    match (action, kind) {
        (SolveAction::SignUp, TargetKind::Local | TargetKind::Room) => {
            "sign your user up in the lab's user pool and confirm it with the code from the local outbox"
        }
        (SolveAction::SignUp, TargetKind::Aws) => {
            "sign your user up in the lab's user pool (Cognito emails you a link to confirm)"
        }
        (SolveAction::CreateAuthorizer, _) => {
            "create a Cognito authorizer `walab-cognito` on wa-lab-rds-api for the lab's user pool, token source Authorization"
        }
        (SolveAction::ProtectMethod, _) => "set GET / of wa-lab-rds-api to use the Cognito authorizer",
        (SolveAction::DeployApi, _) => "deploy wa-lab-rds-api to stage Dev",
        (SolveAction::ForwardHeader, _) => {
            "add Authorization to the headers the distribution's default behaviour forwards (and caches by)"
        }
        (SolveAction::InvalidateCache, _) => "invalidate /* on the distribution and wait for it to complete",
        (SolveAction::Teardown, TargetKind::Local | TargetKind::Room) => {
            "delete the local lab's stacks in order (walab-cdn-waf-cognito, then walab-api), with their pool, distribution and API"
        }
        (SolveAction::Teardown, TargetKind::Aws) => {
            "delete the lab's stacks in order (walab-cdn-waf-cognito, the Cloud9 stack, then walab-api) and everything they created"
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Solved {
    /// The check already passed; nothing was changed.
    AlreadyDone(String),
    Done(String),
}

/// Does `action` unless its check already passes; then runs the check again to confirm.
pub async fn solve(action: SolveAction, ctx: &Context) -> Result<Solved, Outcome> {
    // The teardown's own check is three stacks, not one.
    if action == SolveAction::Teardown {
        return tear_down(ctx).await;
    }
    let guide = Guide::load().map_err(|e| Outcome::error(e.to_string(), "reinstall walab"))?;
    let check = action.check();
    // The check and those on its path, as they stand: a step whose needs are not met would
    // do work that cannot help, so the first unmet one is named instead.
    let before = crate::checks::run(&with_paths(&[check]), ctx, &guide, &CancellationToken::new()).await;
    if let Some(unmet) = before.iter().find(|r| r.id != check && r.outcome.status != Status::Passed) {
        let summary = format!(
            "{action} cannot help yet: {} ({}, step {}) comes first: {}",
            unmet.id, unmet.title, unmet.step, unmet.outcome.summary
        );
        return Err(Outcome { summary, found: None, ..unmet.outcome.clone() });
    }
    if let Some(own) = before.iter().find(|r| r.id == check && r.outcome.status == Status::Passed) {
        return Ok(Solved::AlreadyDone(own.outcome.summary.clone()));
    }
    let done = match action {
        SolveAction::SignUp => sign_up(ctx).await?,
        SolveAction::CreateAuthorizer => create_authorizer(ctx).await?,
        SolveAction::ProtectMethod => protect_method(ctx).await?,
        SolveAction::DeployApi => deploy_api(ctx).await?,
        SolveAction::ForwardHeader => forward_header(ctx).await?,
        SolveAction::InvalidateCache => invalidate_cache(ctx).await?,
        SolveAction::Teardown => return tear_down(ctx).await,
    };
    if action == SolveAction::SignUp && ctx.kind == TargetKind::Aws {
        // Confirmation needs the learner's email; the check cannot pass yet.
        return Ok(Solved::Done(done));
    }
    ctx.begin_run();
    let after = run_check(action.check(), ctx).await;
    if after.status == Status::Passed {
        Ok(Solved::Done(done))
    } else {
        Err(Outcome::failed_with(format!("{done}, but the check still fails: {}", after.summary), after.hint))
    }
}

/// Deletes the lab's stacks that are left, in order.
async fn tear_down(ctx: &Context) -> Result<Solved, Outcome> {
    let plan = teardown::plan(ctx).await?;
    if plan.is_empty() {
        return Ok(Solved::AlreadyDone("the lab's stacks are deleted".into()));
    }
    teardown::delete(ctx, &plan).await.map(Solved::Done)
}

/// The admin route to a confirmed user, for accounts where email cannot be received: create the
/// user with `AdminCreateUser` (no invitation) and give it a permanent password.
pub async fn sign_up_as_admin(ctx: &Context) -> Result<Solved, Outcome> {
    let before = run_check(SolveAction::SignUp.check(), ctx).await;
    if before.status == Status::Passed {
        return Ok(Solved::AlreadyDone(before.summary));
    }
    let (pool, _) = crate::checks::pool_and_client(ctx).await?;
    let credentials = ctx.credentials();
    let (Some(username), Some(password)) = (credentials.username, credentials.password) else {
        return Err(Outcome::failed(
            "the admin route needs a username and a password",
            "walab config set username you@example.com, and WALAB_PASSWORD or the prompt",
        ));
    };
    if !cognito::user_exists(&ctx.aws, &pool, &username).await {
        cognito::admin_create_user(&ctx.aws, &pool, &username).await?;
    }
    cognito::admin_set_permanent_password(&ctx.aws, &pool, &username, &password).await?;
    ctx.begin_run();
    let after = run_check(SolveAction::SignUp.check(), ctx).await;
    if after.status == Status::Passed {
        Ok(Solved::Done(format!("created {username} as an administrator, with your password as its permanent one")))
    } else {
        Err(Outcome::failed_with(after.summary, after.hint))
    }
}

async fn sign_up(ctx: &Context) -> Result<String, Outcome> {
    let (pool, client) = crate::checks::pool_and_client(ctx).await?;
    let Some(username) = ctx.credentials().username else {
        return Err(Outcome::failed(
            "no username to sign up",
            Hint::new("record the email address to sign up with").by(Remedy::Record(Field::Username)),
        ));
    };
    let Some(password) = ctx.credentials().password else {
        return Err(Outcome::failed(
            format!("no password for {username}"),
            "set WALAB_PASSWORD to the password you want (8+ characters with upper, lower, digit and symbol)",
        ));
    };
    let secret = crate::checks::app_client_secret(ctx).await?;
    let call = ClientCall {
        client_id: &client,
        secret_hash: Some(secret_hash(&username, &client, secret.expose())),
        username: &username,
    };
    if !cognito::user_exists(&ctx.aws, &pool, &username).await {
        if let Err(problem) = cognito::sign_up(&ctx.aws, &call, &password).await {
            if problem.code() != Some("InvalidPasswordException") {
                return Err(problem.into());
            }
            // Say what the pool wants, not only what Cognito found missing.
            let policy = cognito::password_policy(&ctx.aws, &pool).await.ok().flatten();
            let wants = policy.map(|p| format!("the pool wants {p}")).unwrap_or_else(|| "see the pool's policy".into());
            let cognito_said = problem.message.rsplit(": ").next().unwrap_or(&problem.message).to_string();
            return Err(Outcome::failed(
                format!("the password was refused: {wants} (Cognito: {cognito_said})"),
                Hint::new("choose a password that meets the policy and sign up again")
                    .by(Remedy::Solve(SolveAction::SignUp)),
            ));
        }
    } else if ctx.kind.is_walab_lab() {
        cognito::resend_confirmation_code(&ctx.aws, &call).await?;
    }
    if ctx.kind == TargetKind::Aws {
        return Ok(format!("signed {username} up; open the link Cognito emailed you to confirm"));
    }
    let code = outbox_code(ctx, &username).await?;
    cognito::confirm_sign_up(&ctx.aws, &call, &code).await?;
    Ok(format!("signed {username} up and confirmed with the code from the local outbox"))
}

/// The latest confirmation code the local lab "emailed" to `username`.
async fn outbox_code(ctx: &Context, username: &str) -> Result<Secret, Outcome> {
    let Some(endpoint) = ctx.aws.endpoint() else {
        return Err(Outcome::failed("the local lab's outbox is not reachable", "confirm with the emailed link"));
    };
    // A room keeps each account's outbox apart; the app client says whose it is.
    let (_, client) = crate::checks::pool_and_client(ctx).await?;
    let url = format!("{}/_walab/outbox?client_id={client}", endpoint.trim_end_matches('/'));
    let outbox: serde_json::Value = async {
        let response =
            reqwest::Client::new().get(&url).timeout(ctx.request_timeout).send().await.map_err(|e| e.to_string())?;
        let body = crate::aws::http::read_capped(response, 4 * 1024 * 1024).await?;
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }
    .await
    .map_err(|e: String| {
        Outcome::failed(format!("cannot read the outbox at {url}: {e}"), "is the local lab running?")
    })?;
    outbox["messages"]
        .as_array()
        .and_then(|messages| {
            messages.iter().rev().find(|m| m["to"].as_str().is_some_and(|to| to.eq_ignore_ascii_case(username)))
        })
        .and_then(|m| m["code"].as_str())
        .map(Secret::new)
        .ok_or_else(|| Outcome::failed(format!("no confirmation code for {username} in the outbox"), "sign up again"))
}

async fn create_authorizer(ctx: &Context) -> Result<String, Outcome> {
    let (pool, _) = crate::checks::pool_and_client(ctx).await?;
    let api = crate::checks::api_id(ctx).await?;
    let arn = cognito::pool_arn(&ctx.aws, &pool)
        .await?
        .ok_or_else(|| Outcome::failed(format!("user pool {pool} has no ARN"), "try again"))?;
    // A second authorizer of the same name is refused, as AWS does: fix the one that is there.
    let existing = apigateway::authorizers(&ctx.aws, &api).await?;
    if let Some(authorizer) = existing.iter().find(|a| a.name() == Some(AUTHORIZER_NAME)) {
        apigateway::repair_authorizer(&ctx.aws, &api, authorizer, &arn).await?;
        return Ok(format!("pointed authorizer {AUTHORIZER_NAME} at pool {pool}, token source Authorization"));
    }
    apigateway::create_authorizer(&ctx.aws, &api, &arn).await?;
    Ok(format!("created authorizer {AUTHORIZER_NAME} for pool {pool}"))
}

async fn protect_method(ctx: &Context) -> Result<String, Outcome> {
    let api = crate::checks::api_id(ctx).await?;
    let authorizer = crate::checks::lab_authorizer(ctx).await?;
    let resource = apigateway::root_resource(&ctx.aws, &api)
        .await?
        .ok_or_else(|| Outcome::failed("wa-lab-rds-api has no / resource", "the API is not the lab's"))?;
    apigateway::protect_method(&ctx.aws, &api, &resource, authorizer.id.as_deref().unwrap_or_default()).await?;
    Ok(format!("GET / now uses authorizer {}", authorizer.name.as_deref().unwrap_or(AUTHORIZER_NAME)))
}

async fn deploy_api(ctx: &Context) -> Result<String, Outcome> {
    let api = crate::checks::api_id(ctx).await?;
    let deployment = apigateway::deploy(&ctx.aws, &api).await?;
    Ok(format!("deployed to {STAGE} (deployment {})", deployment.as_deref().unwrap_or("?")))
}

async fn forward_header(ctx: &Context) -> Result<String, Outcome> {
    let id = crate::checks::distribution_id(ctx).await?;
    let (mut config, etag) = cloudfront::distribution_config(&ctx.aws, &id)
        .await?
        .ok_or_else(|| Outcome::failed("CloudFront returned no configuration", "try again"))?;
    let Some(behavior) = config.default_cache_behavior.as_mut() else {
        return Err(Outcome::failed("the distribution has no default behaviour", "the distribution is not the lab's"));
    };
    if let Some(policy_id) = behavior.cache_policy_id.clone().filter(|p| !p.is_empty()) {
        // The new console's way: a cache policy whose key includes Authorization.
        let new_policy = cloudfront::cache_policy_with_authorization(&ctx.aws, &policy_id).await?;
        behavior.cache_policy_id = Some(new_policy.clone());
        cloudfront::update_distribution(&ctx.aws, &id, etag, config).await?;
        return Ok(format!("distribution {id} now uses cache policy {new_policy}, which forwards Authorization"));
    }
    #[allow(deprecated)]
    let Some(forwarded) = behavior.forwarded_values.as_mut() else {
        return Err(Outcome::failed(
            "the default behaviour has neither a cache policy nor legacy cache settings",
            "edit the behaviour in the console and add Authorization to its cache key",
        ));
    };
    let mut items: Vec<String> = forwarded.headers.as_ref().map(|h| h.items().to_vec()).unwrap_or_default();
    if !items.iter().any(|h| h.eq_ignore_ascii_case("authorization")) {
        items.push("Authorization".to_string());
    }
    forwarded.headers = Some(cloudfront::header_list(items)?);
    cloudfront::update_distribution(&ctx.aws, &id, etag, config).await?;
    Ok(format!("distribution {id} now forwards Authorization"))
}

async fn invalidate_cache(ctx: &Context) -> Result<String, Outcome> {
    let id = crate::checks::distribution_id(ctx).await?;
    let invalidation = create_invalidation(ctx, &id).await?;
    Ok(format!("created invalidation {invalidation} of /* on {id}"))
}

/// Invalidates `/*` on the distribution `distribution_id`; returns the invalidation's id.
pub async fn create_invalidation(ctx: &Context, distribution_id: &str) -> Result<String, Outcome> {
    Ok(cloudfront::create_invalidation(&ctx.aws, distribution_id).await?)
}
