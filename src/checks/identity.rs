//! Step 5.2 and the ID token: the stacks' values, the app client secret, the learner's user,
//! and signing in.

use aws_sdk_cloudformation::types::Stack;
use serde_json::{Value, json};

use super::{Context, Outcome, lock};
use crate::guide::CheckId;
use crate::names::output;
use crate::secret::Secret;
use crate::settings::Field;
use crate::token::{Claims, Expected, SignIn, SignInRequest, TokenUse};

/// A verified ID token and what it says.
#[derive(Debug, Clone)]
pub struct IdToken {
    pub token: Secret,
    pub username: String,
    pub header: Value,
    pub claims: Claims,
    /// `exp`, epoch seconds.
    pub expires_at: i64,
}

impl IdToken {
    pub fn seconds_left(&self) -> i64 {
        self.expires_at - now_secs()
    }
}

pub(super) fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The stack outputs walab records, and the setting each one fills.
const RECORDED: [(&str, Field); 3] = [
    (output::USER_POOL_ID, Field::UserPoolId),
    (output::APP_CLIENT_ID, Field::AppClientId),
    (output::CLOUDFRONT_ENDPOINT, Field::CloudFrontEndpoint),
];

fn output_value<'a>(stack: &'a Stack, key: &str) -> Option<&'a str> {
    stack.outputs().iter().find(|o| o.output_key() == Some(key)).and_then(|o| o.output_value())
}

async fn find_stack(ctx: &Context, name: &str) -> Result<Stack, Outcome> {
    match ctx.aws.cloudformation.describe_stacks().stack_name(name).send().await {
        Ok(out) => out.stacks().first().cloned().ok_or_else(|| not_found(ctx, name)),
        Err(e) => {
            let problem = ctx.aws.explain(&e, "cloudformation:DescribeStacks");
            if problem.code() == Some("ValidationError") {
                Err(not_found(ctx, name))
            } else {
                Err(Outcome::from_problem(problem))
            }
        }
    }
}

fn not_found(ctx: &Context, name: &str) -> Outcome {
    Outcome::failed(
        format!("no stack {name} in {}", ctx.aws.region),
        "deploy it (sections 1 and 3), or name yours with --stack/--api-stack, or pick the region with --region",
    )
}

pub(super) async fn stack_outputs(ctx: &Context) -> Outcome {
    let (edge, api) = tokio::join!(find_stack(ctx, &ctx.stack), find_stack(ctx, &ctx.api_stack));
    let (edge, api) = match (edge, api) {
        (Ok(edge), Ok(api)) => (edge, api),
        (Err(outcome), _) | (_, Err(outcome)) => return outcome,
    };
    for stack in [&edge, &api] {
        let status = stack.stack_status().map(|s| s.as_str()).unwrap_or("UNKNOWN");
        if !status.ends_with("_COMPLETE") || status.contains("ROLLBACK") || status.starts_with("DELETE") {
            return Outcome::failed(
                format!("stack {} is {status}", stack.stack_name().unwrap_or("?")),
                "wait until it is CREATE_COMPLETE or UPDATE_COMPLETE; if it rolled back, deploy it again",
            );
        }
    }
    let mut found = Vec::new();
    for (key, setting) in RECORDED {
        found.push((key, setting, output_value(&edge, key)));
    }
    found.push((output::API_GATEWAY_URL, Field::ApiGatewayUrl, output_value(&api, output::API_GATEWAY_URL)));
    let mut outputs = serde_json::Map::new();
    let mut problems = Vec::new();
    let mut changed = Vec::new();
    let before = ctx.values();
    let mut values = before.clone();
    for (key, setting, value) in &found {
        match value {
            None => problems.push(format!("output {key} is missing")),
            Some(value) => {
                outputs.insert(key.to_string(), json!(value));
                match setting.validate(value) {
                    Ok(valid) => {
                        if before.get(*setting) != Some(valid.as_str()) {
                            changed.push(setting.name());
                        }
                        values.set(*setting, Some(valid));
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
    }
    lock(&ctx.facts).console_link = output_value(&edge, output::CLOUDFRONT_CONSOLE).map(String::from);
    let evidence = json!({
        "stacks": {
            edge.stack_name().unwrap_or_default(): edge.stack_status().map(|s| s.as_str()),
            api.stack_name().unwrap_or_default(): api.stack_status().map(|s| s.as_str()),
        },
        "outputs": outputs,
    });
    if !problems.is_empty() {
        return Outcome::failed(
            problems.join("; "),
            "the stacks are not the lab's, or were changed: check --stack and --api-stack",
        )
        .with_evidence(evidence);
    }
    ctx.update_values(|v| *v = values);
    let summary = if changed.is_empty() {
        "both stacks found; the four values are recorded".to_string()
    } else {
        format!("both stacks found; recorded {}", changed.join(", "))
    };
    Outcome::passed(summary).with_evidence(evidence)
}

/// The pool and client ids, discovering them from the stacks when not recorded yet.
pub async fn pool_and_client(ctx: &Context) -> Result<(String, String), Outcome> {
    let values = ctx.values();
    if let (Some(pool), Some(client)) = (values.user_pool_id.clone(), values.app_client_id.clone()) {
        return Ok((pool, client));
    }
    let outcome = stack_outputs(ctx).await;
    let values = ctx.values();
    match (values.user_pool_id, values.app_client_id) {
        (Some(pool), Some(client)) => Ok((pool, client)),
        _ => Err(Outcome::skipped(
            format!("needs the pool and client ids: {}", outcome.summary),
            "fix stack-outputs first",
        )),
    }
}

/// A recorded URL, discovering the stacks' values when not recorded yet.
pub(super) async fn recorded_url(ctx: &Context, key: Field) -> Result<String, Outcome> {
    if let Some(url) = ctx.values().get(key) {
        return Ok(url.to_string());
    }
    let outcome = stack_outputs(ctx).await;
    ctx.values().get(key).map(String::from).ok_or_else(|| {
        Outcome::skipped(format!("needs the {}: {}", key.label(), outcome.summary), "fix stack-outputs first")
    })
}

pub(super) async fn client_secret(ctx: &Context) -> Outcome {
    let (pool, client) = match pool_and_client(ctx).await {
        Ok(ids) => ids,
        Err(outcome) => return outcome,
    };
    let recorded = ctx.values().app_client_secret;
    let described = ctx.aws.cognito.describe_user_pool_client().user_pool_id(&pool).client_id(&client).send().await;
    match described {
        Ok(out) => {
            let Some(secret) = out.user_pool_client().and_then(|c| c.client_secret()).map(Secret::new) else {
                return Outcome::failed(
                    format!("app client {client} has no secret"),
                    "the lab's app client has one: is CognitoAppClientID the lab's client?",
                );
            };
            let evidence = json!({ "secret": secret.masked(), "source": "DescribeUserPoolClient" });
            let summary = match &recorded {
                Some(r) if r == &secret => "recorded, and it is the app client's".to_string(),
                Some(_) => "the recorded secret was not this client's; recorded the app client's own".to_string(),
                None => "read from the app client and recorded".to_string(),
            };
            ctx.update_values(|v| v.app_client_secret = Some(secret));
            Outcome::passed(summary).with_evidence(evidence)
        }
        Err(e) => {
            let problem = ctx.aws.explain(&e, "cognito-idp:DescribeUserPoolClient");
            match (recorded, problem.is_access()) {
                (Some(secret), true) => Outcome::passed(format!(
                    "recorded ({}); walab may not read the app client to compare",
                    secret.masked()
                ))
                .with_evidence(json!({ "secret": secret.masked(), "source": "recorded" })),
                (None, true) => Outcome::failed(
                    "not recorded, and your AWS identity may not read it from the app client",
                    "copy it from the console (App clients → Show details) and run `walab config set app-client-secret -`",
                ),
                (_, false) => Outcome::from_problem(problem),
            }
        }
    }
}

/// The recorded app client secret, read from the app client (and recorded) when missing.
pub async fn app_client_secret(ctx: &Context) -> Result<Secret, Outcome> {
    if let Some(secret) = ctx.values().app_client_secret {
        return Ok(secret);
    }
    let outcome = client_secret(ctx).await;
    ctx.values().app_client_secret.ok_or(outcome)
}

pub(super) async fn user_confirmed(ctx: &Context) -> Outcome {
    let (pool, _) = match pool_and_client(ctx).await {
        Ok(ids) => ids,
        Err(outcome) => return outcome,
    };
    let Some(username) = ctx.credentials().username else {
        return Outcome::failed(
            "no username recorded",
            "record the email you signed up with: walab config set username you@example.com",
        );
    };
    match ctx.aws.cognito.admin_get_user().user_pool_id(&pool).username(&username).send().await {
        Ok(user) => {
            let status = user.user_status().map(|s| s.as_str()).unwrap_or("UNKNOWN").to_string();
            let evidence = json!({ "username": username, "status": status, "enabled": user.enabled() });
            if !user.enabled() {
                return Outcome::failed(format!("{username} is disabled"), "enable the user in the Cognito console")
                    .with_evidence(evidence);
            }
            match status.as_str() {
                "CONFIRMED" => Outcome::passed(format!("{username} is CONFIRMED")).with_evidence(evidence),
                "UNCONFIRMED" => Outcome::failed(
                    format!("{username} signed up but has not confirmed"),
                    "open the link in the confirmation email (on the local lab: walab solve sign-up)",
                )
                .with_evidence(evidence),
                "FORCE_CHANGE_PASSWORD" => Outcome::failed(
                    format!("{username} still has a temporary password"),
                    "sign in once and choose a new password: walab token asks for it",
                )
                .with_evidence(evidence),
                other => Outcome::failed(
                    format!("{username} is {other}"),
                    "the user must be CONFIRMED; check it in the Cognito console",
                )
                .with_evidence(evidence),
            }
        }
        Err(e) => {
            let problem = ctx.aws.explain(&e, "cognito-idp:AdminGetUser");
            if problem.code() == Some("UserNotFoundException") {
                Outcome::failed(
                    format!("no user {username} in pool {pool}"),
                    "sign up with the CognitoSignupURL link (walab solve sign-up), or record the username you used",
                )
            } else {
                Outcome::from_problem(problem)
            }
        }
    }
}

/// Signs in and verifies the ID token; the token is kept in the context for later checks.
pub(super) async fn obtain_token(ctx: &Context) -> Result<IdToken, Outcome> {
    let (pool, client) = pool_and_client(ctx).await?;
    let Some(username) = ctx.credentials().username else {
        return Err(Outcome::failed(
            "no username recorded",
            "record the email you signed up with: walab config set username you@example.com",
        ));
    };
    let Some(password) = ctx.credentials().password else {
        return Err(Outcome::failed(
            format!("no password for {username}"),
            "set WALAB_PASSWORD, or get a token with `walab token`, which asks for it",
        ));
    };
    let secret = Some(app_client_secret(ctx).await?);
    let request = SignInRequest {
        pool_id: &pool,
        client_id: &client,
        client_secret: secret.as_ref(),
        username: &username,
        password: &password,
    };
    let token = match crate::token::sign_in(&ctx.aws, &request).await {
        Ok(SignIn::Tokens { id_token, .. }) => id_token,
        Ok(SignIn::NewPasswordRequired { .. }) => {
            return Err(Outcome::failed(
                format!("{username} must choose a new password first"),
                "run `walab token`: it asks for the new password",
            ));
        }
        Err(e) => {
            let hint = e.hint();
            return Err(match e {
                crate::token::SignInError::Aws(problem) => Outcome::from_problem(problem),
                other => Outcome::failed(other.to_string(), hint),
            });
        }
    };
    let verified = verify(ctx, &pool, &client, &token).await?;
    let (header, _) = crate::token::decode_unverified(token.expose()).unwrap_or_default();
    let expires_at = verified.get("exp").and_then(Value::as_i64).unwrap_or_default();
    let id_token = IdToken { token, username, header, claims: verified, expires_at };
    ctx.set_token(Some(id_token.clone()));
    Ok(id_token)
}

async fn verify(ctx: &Context, pool: &str, client: &str, token: &Secret) -> Result<Claims, Outcome> {
    let url = ctx.aws.jwks_url(pool);
    let jwks = crate::token::fetch_jwks(&url, ctx.request_timeout).await.map_err(|e| {
        Outcome::failed(format!("cannot check the token's signature: {e}"), "check the network and try again")
    })?;
    let issuer = ctx.aws.issuer(pool);
    let expected = Expected { issuer: &issuer, client_id: client, token_use: TokenUse::Id };
    crate::token::verify(token.expose(), &jwks, &expected, now_secs()).map_err(|e| {
        Outcome::failed(format!("Cognito issued a token that does not verify: {e}"), "get a new token and try again")
    })
}

/// A token that is still valid for a minute, obtaining a new one when needed.
pub(super) async fn fresh_token(ctx: &Context) -> Result<IdToken, Outcome> {
    if let Some(token) = ctx.token()
        && token.seconds_left() > 60
    {
        return Ok(token);
    }
    obtain_token(ctx).await.map_err(|outcome| match outcome.status {
        super::Status::Skipped => outcome,
        _ => Outcome::skipped(format!("needs an ID token: {}", outcome.summary), "fix id-token first"),
    })
}

pub(super) async fn id_token(ctx: &Context) -> Outcome {
    ctx.progress(CheckId::IdToken, "signing in");
    match obtain_token(ctx).await {
        Ok(token) => {
            let minutes = token.seconds_left().max(0) / 60;
            Outcome::passed(format!("ID token for {} verified; valid for {minutes} more minutes", token.username))
                .with_evidence(json!({ "header": token.header, "claims": token.claims }))
        }
        Err(outcome) => outcome,
    }
}
