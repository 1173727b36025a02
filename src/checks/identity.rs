//! Step 5.2 and the ID token: the stacks' values, the app client secret, the learner's user,
//! and signing in.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::Stack;
use serde_json::Value;

use super::evidence::SecretSource;
use super::{Checked, Context, Evidence, Found, Hint, Outcome, Remedy, Status, lock};
use crate::aws::{cloudformation, cognito};
use crate::guide::{CheckId, SolveAction};
use crate::names::output;
use crate::secret::Secret;
use crate::settings::Field;
use crate::token::{Claims, Expected, SignIn, SignInError, SignInRequest, TokenUse};

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

fn record_username() -> Hint {
    Hint::new("record the email you signed up with").by(Remedy::Record(Field::Username))
}

async fn find_stack(ctx: &Context, name: &str) -> Result<Stack, Outcome> {
    cloudformation::stack(&ctx.aws, name).await?.ok_or_else(|| {
        Outcome::failed(
            format!("no stack {name} in {}", ctx.aws.region),
            "deploy it (sections 1 and 3), or name yours with --stack/--api-stack, or pick the region with --region",
        )
    })
}

pub(super) async fn stack_outputs(ctx: &Context) -> Checked {
    let (edge, api) = tokio::join!(find_stack(ctx, &ctx.stack), find_stack(ctx, &ctx.api_stack));
    if let (Err(missing), Err(_)) = (&edge, &api) {
        // Neither stack: torn down, or never deployed here. The evidence says so by name.
        let stacks = BTreeMap::from([(ctx.stack.clone(), None), (ctx.api_stack.clone(), None)]);
        let evidence = Evidence::Stacks { stacks, outputs: BTreeMap::new() };
        return Err(missing.clone().with_evidence(evidence));
    }
    let (edge, api) = (edge?, api?);
    for stack in [&edge, &api] {
        let status = stack.stack_status().map(|s| s.as_str()).unwrap_or("UNKNOWN");
        if !status.ends_with("_COMPLETE") || status.contains("ROLLBACK") || status.starts_with("DELETE") {
            return Err(Outcome::failed(
                format!("stack {} is {status}", stack.stack_name().unwrap_or("?")),
                "wait until it is CREATE_COMPLETE or UPDATE_COMPLETE; if it rolled back, deploy it again",
            ));
        }
    }
    let wanted = [
        (&edge, output::USER_POOL_ID, Field::UserPoolId),
        (&edge, output::APP_CLIENT_ID, Field::AppClientId),
        (&edge, output::CLOUDFRONT_ENDPOINT, Field::CloudFrontEndpoint),
        (&api, output::API_GATEWAY_URL, Field::ApiGatewayUrl),
    ];
    let mut outputs = BTreeMap::new();
    let mut problems = Vec::new();
    let mut found = Vec::new();
    for (stack, key, field) in wanted {
        match cloudformation::output(stack, key) {
            None => problems.push(format!("output {key} is missing")),
            Some(value) => {
                outputs.insert(key.to_string(), value.to_string());
                match field.validate(value) {
                    Ok(valid) => found.push((field, valid)),
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
    }
    lock(&ctx.facts).console_link = cloudformation::output(&edge, output::CLOUDFRONT_CONSOLE).map(String::from);
    let status = |stack: &Stack| stack.stack_status().map(|s| s.as_str().to_string());
    let stacks = BTreeMap::from([
        (edge.stack_name().unwrap_or_default().to_string(), status(&edge)),
        (api.stack_name().unwrap_or_default().to_string(), status(&api)),
    ]);
    let evidence = Evidence::Stacks { stacks, outputs };
    if !problems.is_empty() {
        return Ok(Outcome::failed(
            problems.join("; "),
            "the stacks are not the lab's, or were changed: check --stack and --api-stack",
        )
        .with_evidence(evidence));
    }
    let recorded = ctx.values();
    let new: Vec<&str> =
        found.iter().filter(|(f, v)| recorded.get(*f) != Some(v.as_str())).map(|(f, _)| f.name()).collect();
    let summary = if new.is_empty() {
        "both stacks found; the four values are recorded".to_string()
    } else {
        format!("both stacks found; recorded {}", new.join(", "))
    };
    lock(&ctx.facts).outputs = found.clone();
    Ok(Outcome::passed(summary).with_evidence(evidence).with_found(Found::Outputs(found)))
}

/// A value from the stacks: the one checks use, else read from the stacks now.
async fn stack_value(ctx: &Context, field: Field) -> Result<String, Outcome> {
    if let Some(value) = ctx.value(field) {
        return Ok(value);
    }
    let outcome = run(stack_outputs(ctx).await);
    ctx.value(field).ok_or_else(|| {
        Outcome::skipped(format!("needs the {}: {}", field.label(), outcome.summary), "fix stack-outputs first")
    })
}

fn run(checked: Checked) -> Outcome {
    checked.unwrap_or_else(|stopped| stopped)
}

/// The pool and client ids, read from the stacks when not recorded yet.
pub async fn pool_and_client(ctx: &Context) -> Result<(String, String), Outcome> {
    if let (Some(pool), Some(client)) = (ctx.value(Field::UserPoolId), ctx.value(Field::AppClientId)) {
        return Ok((pool, client));
    }
    let outcome = run(stack_outputs(ctx).await);
    match (ctx.value(Field::UserPoolId), ctx.value(Field::AppClientId)) {
        (Some(pool), Some(client)) => Ok((pool, client)),
        _ => Err(Outcome::skipped(
            format!("needs the pool and client ids: {}", outcome.summary),
            "fix stack-outputs first",
        )),
    }
}

/// A recorded URL, read from the stacks when not recorded yet.
pub(super) async fn recorded_url(ctx: &Context, field: Field) -> Result<String, Outcome> {
    stack_value(ctx, field).await
}

pub(super) async fn client_secret(ctx: &Context) -> Checked {
    let (pool, client) = pool_and_client(ctx).await?;
    let recorded = ctx.values().app_client_secret;
    match cognito::client_secret(&ctx.aws, &pool, &client).await {
        Ok(Some(secret)) => {
            let evidence =
                Evidence::ClientSecret { secret: secret.masked(), source: SecretSource::DescribeUserPoolClient };
            let summary = match &recorded {
                Some(r) if r == &secret => "recorded, and it is the app client's".to_string(),
                Some(_) => "the recorded secret was not this client's; recorded the app client's own".to_string(),
                None => "read from the app client and recorded".to_string(),
            };
            lock(&ctx.facts).client_secret = Some(secret.clone());
            Ok(Outcome::passed(summary).with_evidence(evidence).with_found(Found::ClientSecret(secret)))
        }
        Ok(None) => Err(Outcome::failed(
            format!("app client {client} has no secret"),
            "the lab's app client has one: is CognitoAppClientID the lab's client?",
        )),
        Err(problem) if problem.is_access() => match recorded {
            Some(secret) => Ok(Outcome::passed(format!(
                "recorded ({}); walab may not read the app client to compare",
                secret.masked()
            ))
            .with_evidence(Evidence::ClientSecret { secret: secret.masked(), source: SecretSource::Recorded })),
            None => Ok(Outcome::failed(
                "not recorded, and your AWS identity may not read it from the app client",
                Hint::new("copy it from the console (App clients → Show details) and record it")
                    .by(Remedy::Record(Field::AppClientSecret)),
            )),
        },
        Err(problem) => Err(problem.into()),
    }
}

/// The app client secret checks use, read from the app client when not recorded.
pub async fn app_client_secret(ctx: &Context) -> Result<Secret, Outcome> {
    if let Some(secret) = ctx.value(Field::AppClientSecret) {
        return Ok(Secret::new(secret));
    }
    let outcome = run(client_secret(ctx).await);
    ctx.value(Field::AppClientSecret).map(Secret::new).ok_or(outcome)
}

pub(super) async fn user_confirmed(ctx: &Context) -> Checked {
    let (pool, _) = pool_and_client(ctx).await?;
    let Some(username) = ctx.credentials().username else {
        return Ok(Outcome::failed("no username recorded", record_username()));
    };
    let Some(user) = cognito::user(&ctx.aws, &pool, &username).await? else {
        return Ok(Outcome::failed(
            format!("no user {username} in pool {pool}"),
            Hint::new("record the username you signed up with, or sign up with the CognitoSignupURL link")
                .by(Remedy::Solve(SolveAction::SignUp)),
        ));
    };
    let evidence = Evidence::User { username: username.clone(), status: user.status.clone(), enabled: user.enabled };
    let outcome = if !user.enabled {
        Outcome::failed(format!("{username} is disabled"), "enable the user in the Cognito console")
    } else {
        match user.status.as_str() {
            "CONFIRMED" => Outcome::passed(format!("{username} is CONFIRMED")),
            "UNCONFIRMED" => Outcome::failed(
                format!("{username} signed up but has not confirmed"),
                Hint::new("open the link in the confirmation email, or on the local lab let walab confirm it")
                    .by(Remedy::Solve(SolveAction::SignUp)),
            ),
            "FORCE_CHANGE_PASSWORD" => Outcome::failed(
                format!("{username} still has a temporary password"),
                Hint::new("sign in once to choose a new password").by(Remedy::GetToken),
            ),
            other => Outcome::failed(
                format!("{username} is {other}"),
                "the user must be CONFIRMED; check it in the Cognito console",
            ),
        }
    };
    Ok(outcome.with_evidence(evidence))
}

/// What to do when signing in failed.
fn sign_in_hint(error: &SignInError) -> Hint {
    match error {
        SignInError::WrongSecret | SignInError::MissingSecret => {
            Hint::new("record the secret from the console (App clients → Show details)")
                .by(Remedy::Record(Field::AppClientSecret))
        }
        SignInError::NotConfirmed => {
            Hint::new("open the link in the confirmation email").by(Remedy::Solve(SolveAction::SignUp))
        }
        SignInError::WrongCredentials => Hint::new("check the username and the password").by(Remedy::Password),
        other => Hint::new(other.hint()),
    }
}

/// Signs in and verifies the ID token; the token is kept in the context for later checks.
pub(super) async fn obtain_token(ctx: &Context) -> Result<IdToken, Outcome> {
    let (pool, client) = pool_and_client(ctx).await?;
    let Some(username) = ctx.credentials().username else {
        return Err(Outcome::failed("no username recorded", record_username()));
    };
    let Some(password) = ctx.credentials().password else {
        return Err(Outcome::failed(
            format!("no password for {username}"),
            Hint::new("walab needs your password to sign in").by(Remedy::Password),
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
                Hint::new("choose it when getting a token").by(Remedy::GetToken),
            ));
        }
        Err(SignInError::Aws(problem)) => return Err(problem.into()),
        Err(e) => return Err(Outcome::failed(e.to_string(), sign_in_hint(&e))),
    };
    let verified = verify(ctx, &pool, &client, &token).await?;
    let (header, _) = crate::token::decode_unverified(token.expose()).unwrap_or_default();
    let expires_at = verified.get("exp").and_then(Value::as_i64).unwrap_or_default();
    let id_token = IdToken { token, username, header, claims: verified, expires_at };
    lock(&ctx.facts).token = Some(id_token.clone());
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
        Status::Skipped => outcome,
        _ => Outcome::skipped(format!("needs an ID token: {}", outcome.summary), "fix id-token first"),
    })
}

pub(super) async fn id_token(ctx: &Context) -> Checked {
    ctx.progress(CheckId::IdToken, "signing in");
    let token = obtain_token(ctx).await?;
    let minutes = token.seconds_left().max(0) / 60;
    Ok(Outcome::passed(format!("ID token for {} verified; valid for {minutes} more minutes", token.username))
        .with_evidence(Evidence::IdToken { header: token.header, claims: token.claims }))
}
