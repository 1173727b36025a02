//! Step 5.2 and the ID token: the stacks' values, the app client secret, the learner's user,
//! and signing in.

use serde_json::Value;

use super::judge::{self, SecretRead, StackSeen, UserSeen};
use super::{Checked, Context, Evidence, Found, Hint, Outcome, Remedy, Status, lock};
use crate::aws::{ProblemKind, cloudformation, cognito};
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

pub(super) use crate::clock::now_secs;

/// One of the lab's stacks, as CloudFormation describes it.
async fn describe(ctx: &Context, name: &str) -> Result<StackSeen, Outcome> {
    let stack = cloudformation::stack(&ctx.aws, name).await?;
    Ok(StackSeen {
        name: name.to_string(),
        status: stack.as_ref().map(|s| s.stack_status().map(|s| s.as_str()).unwrap_or("UNKNOWN").to_string()),
        outputs: stack
            .iter()
            .flat_map(|s| s.outputs())
            .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
            .collect(),
    })
}

pub(super) async fn stack_outputs(ctx: &Context) -> Checked {
    let run = ctx.this_run();
    run.stacks.get_or_init(|| read_stacks(ctx)).await.clone()
}

async fn read_stacks(ctx: &Context) -> Checked {
    let (edge, api) = tokio::join!(describe(ctx, &ctx.stack), describe(ctx, &ctx.api_stack));
    let (edge, api) = (edge?, api?);
    lock(&ctx.facts).console_link = edge.outputs.get(output::CLOUDFRONT_CONSOLE).cloned();
    let outcome = judge::stack_outputs(&ctx.aws.region, &edge, &api, &ctx.values());
    if let Some(Found::Outputs(found)) = &outcome.found {
        lock(&ctx.facts).outputs = found.clone();
    }
    Ok(outcome)
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

/// The client-secret check, once a run (the token's sign-in reads the same app client).
pub(super) async fn client_secret(ctx: &Context) -> Checked {
    let run = ctx.this_run();
    run.client_secret.get_or_init(|| read_client_secret(ctx)).await.clone()
}

async fn read_client_secret(ctx: &Context) -> Checked {
    let (pool, client) = pool_and_client(ctx).await?;
    let recorded = ctx.values().app_client_secret;
    let read = match cognito::client_secret(&ctx.aws, &pool, &client).await {
        Ok(secret) => SecretRead::Client(secret),
        Err(problem) if problem.kind == ProblemKind::AccessDenied => SecretRead::NotAllowed,
        Err(problem) => return Err(problem.into()),
    };
    let outcome = judge::client_secret(&client, &read, recorded.as_ref());
    if let Some(Found::ClientSecret(secret)) = &outcome.found {
        lock(&ctx.facts).client_secret = Some(secret.clone());
    }
    Ok(outcome)
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
    let username = ctx.credentials().username;
    let user = match &username {
        Some(username) => cognito::user(&ctx.aws, &pool, username).await?,
        None => None,
    };
    let user = user.map(|u| UserSeen { status: u.status, enabled: u.enabled });
    Ok(judge::user_confirmed(&pool, username.as_deref(), user.as_ref()))
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

/// Signs in and verifies the ID token, once a run; the token is kept in the context for later
/// checks.
pub(super) async fn obtain_token(ctx: &Context) -> Result<IdToken, Outcome> {
    let run = ctx.this_run();
    run.token
        .get_or_init(|| async {
            // One token a run, so every check of the run sends the same one: the one the last
            // sign-in got while it has a few minutes left, else a new one.
            match ctx.token().filter(|t| t.seconds_left() > 300) {
                Some(token) => Ok(token),
                None => sign_in(ctx).await,
            }
        })
        .await
        .clone()
}

async fn sign_in(ctx: &Context) -> Result<IdToken, Outcome> {
    let (pool, client) = pool_and_client(ctx).await?;
    let Some(username) = ctx.credentials().username else {
        return Err(Outcome::failed("no username recorded", judge::record_username()));
    };
    let Some(password) = ctx.credentials().password else {
        return Err(Outcome::failed(
            format!("no password for {username}"),
            Hint::new("walab needs your password to sign in").by(Remedy::Password),
        ));
    };
    let signing = async {
        let secret = Some(app_client_secret(ctx).await?);
        let request = SignInRequest {
            pool_id: &pool,
            client_id: &client,
            client_secret: secret.as_ref(),
            username: &username,
            password: &password,
        };
        match crate::token::sign_in(&ctx.aws, &request).await {
            Ok(SignIn::Tokens { id_token, .. }) => Ok(id_token),
            Ok(SignIn::NewPasswordRequired { .. }) => Err(Outcome::failed(
                format!("{username} must choose a new password first"),
                Hint::new("choose it when getting a token").by(Remedy::GetToken),
            )),
            Err(SignInError::Aws(problem)) => Err(problem.into()),
            Err(e) => Err(Outcome::failed(e.to_string(), sign_in_hint(&e))),
        }
    };
    // The pool's signing keys do not depend on the sign-in: fetch them meanwhile (a round trip
    // less for a learner far from the region).
    let url = ctx.aws.jwks_url(&pool);
    let (token, keys) = tokio::join!(signing, crate::token::fetch_jwks(&url, ctx.request_timeout));
    let token = token?;
    let jwks = keys.map_err(|e| {
        Outcome::error(format!("cannot read the pool's signing keys at {url}: {e}"), "check the network and try again")
    })?;
    let issuer = ctx.aws.issuer(&pool);
    let expected = Expected { issuer: &issuer, client_id: &client, token_use: TokenUse::Id };
    let verified = crate::token::verify(token.expose(), &jwks, &expected, now_secs()).map_err(|e| {
        Outcome::failed(format!("Cognito issued a token that does not verify: {e}"), "get a new token and try again")
    })?;
    let (header, _) = crate::token::decode_unverified(token.expose()).unwrap_or_default();
    let expires_at = verified.get("exp").and_then(Value::as_i64).unwrap_or_default();
    let id_token = IdToken { token, username, header, claims: verified, expires_at };
    lock(&ctx.facts).token = Some(id_token.clone());
    Ok(id_token)
}

/// The run's token, for the checks that send it.
pub(super) async fn fresh_token(ctx: &Context) -> Result<IdToken, Outcome> {
    obtain_token(ctx).await.map_err(|outcome| match outcome.status {
        Status::Skipped | Status::Error => outcome,
        _ => Outcome::skipped(format!("needs an ID token: {}", outcome.summary), "fix id-token first"),
    })
}

pub(super) async fn id_token(ctx: &Context) -> Checked {
    ctx.progress(CheckId::IdToken, "signing in");
    let token = obtain_token(ctx).await?;
    let evidence = Evidence::IdToken { header: token.header.clone(), claims: token.claims.clone() };
    Ok(judge::id_token(&token.username, token.seconds_left(), evidence))
}
