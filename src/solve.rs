//! The console steps, done through the API: each says first what it will change, does
//! nothing when its check already passes, and leaves the lab as the console would.

use aws_sdk_apigateway::types::{AuthorizerType, Op, PatchOperation};
use aws_sdk_cloudfront::types::Headers;

use crate::checks::{Context, Outcome, Status, run_check};
use crate::guide::SolveAction;
use crate::names::{AUTHORIZER_NAME, COGNITO_USER_POOLS, STAGE, TOKEN_SOURCE};
use crate::secret::Secret;
use crate::target::TargetKind;

/// What an action would change, said before doing it.
pub fn what_it_changes(action: SolveAction, kind: TargetKind) -> &'static str {
    match (action, kind) {
        (SolveAction::SignUp, TargetKind::Local) => {
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
    let before = run_check(action.check(), ctx).await;
    if before.status == Status::Passed {
        return Ok(Solved::AlreadyDone(before.summary));
    }
    let done = match action {
        SolveAction::SignUp => sign_up(ctx).await?,
        SolveAction::CreateAuthorizer => create_authorizer(ctx).await?,
        SolveAction::ProtectMethod => protect_method(ctx).await?,
        SolveAction::DeployApi => deploy_api(ctx).await?,
        SolveAction::ForwardHeader => forward_header(ctx).await?,
        SolveAction::InvalidateCache => invalidate_cache(ctx).await?,
    };
    if action == SolveAction::SignUp && ctx.kind == TargetKind::Aws {
        // Confirmation needs the learner's email; the check cannot pass yet.
        return Ok(Solved::Done(done));
    }
    let after = run_check(action.check(), ctx).await;
    if after.status == Status::Passed {
        Ok(Solved::Done(done))
    } else {
        Err(Outcome::failed(
            format!("{done}, but the check still fails: {}", after.summary),
            after.hint.unwrap_or_default(),
        ))
    }
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
    let cognito = &ctx.aws.cognito;
    let exists = cognito.admin_get_user().user_pool_id(&pool).username(&username).send().await.is_ok();
    if !exists {
        cognito
            .admin_create_user()
            .user_pool_id(&pool)
            .username(&username)
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cognito-idp:AdminCreateUser")))?;
    }
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool)
        .username(&username)
        .password(password.expose())
        .permanent(true)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cognito-idp:AdminSetUserPassword")))?;
    let after = run_check(SolveAction::SignUp.check(), ctx).await;
    if after.status == Status::Passed {
        Ok(Solved::Done(format!("created {username} as an administrator, with your password as its permanent one")))
    } else {
        Err(Outcome::failed(after.summary, after.hint.unwrap_or_default()))
    }
}

async fn sign_up(ctx: &Context) -> Result<String, Outcome> {
    use crate::token::secret_hash;
    let (pool, client) = crate::checks::pool_and_client(ctx).await?;
    let Some(username) = ctx.credentials().username else {
        return Err(Outcome::failed("no username to sign up", "walab config set username you@example.com"));
    };
    let Some(password) = ctx.credentials().password else {
        return Err(Outcome::failed(
            format!("no password for {username}"),
            "set WALAB_PASSWORD to the password you want (8+ characters with upper, lower, digit and symbol)",
        ));
    };
    let secret = crate::checks::app_client_secret(ctx).await?;
    let hash = Some(secret_hash(&username, &client, secret.expose()));
    let cognito = &ctx.aws.cognito;
    let exists = cognito.admin_get_user().user_pool_id(&pool).username(&username).send().await.is_ok();
    if !exists {
        cognito
            .sign_up()
            .client_id(&client)
            .set_secret_hash(hash.clone())
            .username(&username)
            .password(password.expose())
            .send()
            .await
            .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cognito-idp:SignUp")))?;
    } else if ctx.kind == TargetKind::Local {
        cognito
            .resend_confirmation_code()
            .client_id(&client)
            .set_secret_hash(hash.clone())
            .username(&username)
            .send()
            .await
            .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cognito-idp:ResendConfirmationCode")))?;
    }
    if ctx.kind == TargetKind::Aws {
        return Ok(format!("signed {username} up; open the link Cognito emailed you to confirm"));
    }
    let code = outbox_code(ctx, &username).await?;
    cognito
        .confirm_sign_up()
        .client_id(&client)
        .set_secret_hash(hash)
        .username(&username)
        .confirmation_code(code.expose())
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cognito-idp:ConfirmSignUp")))?;
    Ok(format!("signed {username} up and confirmed with the code from the local outbox"))
}

/// The latest confirmation code the local lab "emailed" to `username`.
async fn outbox_code(ctx: &Context, username: &str) -> Result<Secret, Outcome> {
    let Some(endpoint) = ctx.aws.endpoint() else {
        return Err(Outcome::failed("the local lab's outbox is not reachable", "confirm with the emailed link"));
    };
    let url = format!("{}/_walab/outbox", endpoint.trim_end_matches('/'));
    let outbox: serde_json::Value =
        async { reqwest::Client::new().get(&url).timeout(ctx.request_timeout).send().await?.json().await }
            .await
            .map_err(|e| {
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
    let described = ctx
        .aws
        .cognito
        .describe_user_pool()
        .user_pool_id(&pool)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cognito-idp:DescribeUserPool")))?;
    let arn = described
        .user_pool()
        .and_then(|p| p.arn())
        .ok_or_else(|| Outcome::failed(format!("user pool {pool} has no ARN"), "try again"))?
        .to_string();
    ctx.aws
        .apigateway
        .create_authorizer()
        .rest_api_id(&api)
        .name(AUTHORIZER_NAME)
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(arn)
        .identity_source(TOKEN_SOURCE)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "apigateway:POST")))?;
    Ok(format!("created authorizer {AUTHORIZER_NAME} for pool {pool}"))
}

async fn protect_method(ctx: &Context) -> Result<String, Outcome> {
    let api = crate::checks::api_id(ctx).await?;
    let (authorizer, _) = crate::checks::lab_authorizer(ctx).await?;
    let authorizer_id = authorizer.id().unwrap_or_default().to_string();
    let resource = crate::aws::apigateway::root_resource(&ctx.aws, &api)
        .await
        .map_err(Outcome::from_problem)?
        .ok_or_else(|| Outcome::failed("wa-lab-rds-api has no / resource", "the API is not the lab's"))?;
    let replace = |path: &str, value: &str| PatchOperation::builder().op(Op::Replace).path(path).value(value).build();
    ctx.aws
        .apigateway
        .update_method()
        .rest_api_id(&api)
        .resource_id(&resource)
        .http_method("GET")
        .patch_operations(replace("/authorizationType", COGNITO_USER_POOLS))
        .patch_operations(replace("/authorizerId", &authorizer_id))
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "apigateway:PATCH")))?;
    Ok(format!("GET / now uses authorizer {}", authorizer.name().unwrap_or(AUTHORIZER_NAME)))
}

async fn deploy_api(ctx: &Context) -> Result<String, Outcome> {
    let api = crate::checks::api_id(ctx).await?;
    let out = ctx
        .aws
        .apigateway
        .create_deployment()
        .rest_api_id(&api)
        .stage_name(STAGE)
        .description("walab: GET / protected by the Cognito authorizer")
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "apigateway:POST")))?;
    Ok(format!("deployed to {STAGE} (deployment {})", out.id().unwrap_or("?")))
}

async fn forward_header(ctx: &Context) -> Result<String, Outcome> {
    let id = crate::checks::distribution_id(ctx).await?;
    let out = ctx
        .aws
        .cloudfront
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cloudfront:GetDistributionConfig")))?;
    let etag = out.e_tag().unwrap_or_default().to_string();
    let mut config = out
        .distribution_config()
        .cloned()
        .ok_or_else(|| Outcome::failed("CloudFront returned no configuration", "try again"))?;
    let Some(behavior) = config.default_cache_behavior.as_mut() else {
        return Err(Outcome::failed("the distribution has no default behaviour", "the distribution is not the lab's"));
    };
    if let Some(policy_id) = behavior.cache_policy_id.clone().filter(|p| !p.is_empty()) {
        // The new console's way: a cache policy whose key includes Authorization.
        let new_policy = cache_policy_with_authorization(ctx, &policy_id).await?;
        behavior.cache_policy_id = Some(new_policy.clone());
        update_distribution(ctx, &id, etag, config).await?;
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
    forwarded.headers = Some(
        Headers::builder()
            .quantity(items.len() as i32)
            .set_items(Some(items))
            .build()
            .map_err(|e| Outcome::failed(e.to_string(), "try again"))?,
    );
    update_distribution(ctx, &id, etag, config).await?;
    Ok(format!("distribution {id} now forwards Authorization"))
}

async fn update_distribution(
    ctx: &Context,
    id: &str,
    etag: String,
    config: aws_sdk_cloudfront::types::DistributionConfig,
) -> Result<(), Outcome> {
    ctx.aws
        .cloudfront
        .update_distribution()
        .id(id)
        .if_match(etag)
        .distribution_config(config)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cloudfront:UpdateDistribution")))?;
    Ok(())
}

/// Creates a cache policy like `base` (or CloudFront's defaults when it cannot be read) whose
/// cache key also holds `Authorization`; returns its id. A new policy leaves any other
/// distribution using `base` as it was.
async fn cache_policy_with_authorization(ctx: &Context, base: &str) -> Result<String, Outcome> {
    use aws_sdk_cloudfront::types::{
        CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig, CachePolicyHeaderBehavior,
        CachePolicyHeadersConfig, CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig,
        ParametersInCacheKeyAndForwardedToOrigin,
    };
    let build_error = |e: aws_smithy_types::error::operation::BuildError| Outcome::failed(e.to_string(), "try again");
    let current = ctx.aws.cloudfront.get_cache_policy().id(base).send().await.ok();
    let current = current.as_ref().and_then(|p| p.cache_policy()).and_then(|p| p.cache_policy_config());
    let params = current.and_then(|c| c.parameters_in_cache_key_and_forwarded_to_origin());
    let mut headers: Vec<String> = params
        .and_then(|p| p.headers_config())
        .and_then(|h| h.headers())
        .map(|h| h.items().to_vec())
        .unwrap_or_default();
    headers.push("Authorization".to_string());
    let headers_config = CachePolicyHeadersConfig::builder()
        .header_behavior(CachePolicyHeaderBehavior::Whitelist)
        .headers(
            Headers::builder().quantity(headers.len() as i32).set_items(Some(headers)).build().map_err(build_error)?,
        )
        .build()
        .map_err(build_error)?;
    // The lab's API needs `?id=`: a policy that keeps query strings out of the key (as
    // CachingOptimized does) would also keep them from the API.
    let query_strings = CachePolicyQueryStringsConfig::builder()
        .query_string_behavior(CachePolicyQueryStringBehavior::All)
        .build()
        .map_err(build_error)?;
    let cookies = match params.and_then(|p| p.cookies_config()) {
        Some(c) => c.clone(),
        None => CachePolicyCookiesConfig::builder()
            .cookie_behavior(CachePolicyCookieBehavior::None)
            .build()
            .map_err(build_error)?,
    };
    let parameters = ParametersInCacheKeyAndForwardedToOrigin::builder()
        .enable_accept_encoding_gzip(params.is_none_or(|p| p.enable_accept_encoding_gzip()))
        .enable_accept_encoding_brotli(params.and_then(|p| p.enable_accept_encoding_brotli()).unwrap_or(true))
        .headers_config(headers_config)
        .cookies_config(cookies)
        .query_strings_config(query_strings)
        .build()
        .map_err(build_error)?;
    let name = format!("walab-with-authorization-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let config = CachePolicyConfig::builder()
        .name(&name)
        .comment("Created by walab: the cache key includes Authorization (lab section 5.4)")
        .min_ttl(current.map(|c| c.min_ttl()).unwrap_or(0))
        .default_ttl(current.and_then(|c| c.default_ttl()).unwrap_or(86_400))
        .max_ttl(current.and_then(|c| c.max_ttl()).unwrap_or(31_536_000))
        .parameters_in_cache_key_and_forwarded_to_origin(parameters)
        .build()
        .map_err(build_error)?;
    let created = ctx
        .aws
        .cloudfront
        .create_cache_policy()
        .cache_policy_config(config)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cloudfront:CreateCachePolicy")))?;
    created
        .cache_policy()
        .map(|p| p.id().to_string())
        .ok_or_else(|| Outcome::failed("CloudFront returned no cache policy", "try again"))
}

async fn invalidate_cache(ctx: &Context) -> Result<String, Outcome> {
    let id = crate::checks::distribution_id(ctx).await?;
    let invalidation = crate::checks::create_invalidation(ctx, &id).await?;
    Ok(format!("created invalidation {invalidation} of /* on {id}"))
}
