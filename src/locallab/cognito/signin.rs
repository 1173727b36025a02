//! Signing in: `InitiateAuth` and `AdminInitiateAuth` (password and refresh-token flows),
//! `RespondToAuthChallenge` (`NEW_PASSWORD_REQUIRED`), and the tokens a sign-in earns.
//!
//! Everything a sign-in needs is gathered under the slice's lock; the RSA signatures are made
//! after it is released, so sign-ins do not queue behind each other's signing.

use serde_json::{Map, Value, json};

use super::errors::{
    check_flow, check_password_policy, check_secret_hash, client_not_found, expired_session, invalid_parameter,
    not_authorized, user_not_found, wrong_credentials,
};
use super::input::{InitiateAuth, RespondToAuthChallenge, required};
use super::model::{AppClient, PreparedPassword, RefreshGrant, User, UserPool, UserStatus, token_digest};
use super::output::{AuthOutput, AuthenticationResult};
use super::state::{ChallengeSession, CognitoState};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;
use crate::secret::Secret;

type OpResult = Result<AuthOutput, ApiError>;

/// How long a challenge session lasts (the app client's AuthSessionValidity, 3 minutes).
const SESSION_MS: Millis = 3 * 60 * 1000;

/// Everything needed to issue tokens, gathered under the lock.
pub(super) struct TokenGrant {
    pool_id: String,
    issuer: String,
    client_id: String,
    username: String,
    sub: String,
    email: Option<String>,
    email_verified: bool,
    auth_time: i64,
    origin_jti: String,
    id_minutes: i64,
    access_minutes: i64,
    refresh_token: Option<Secret>,
    /// The access token's `scope`: the API scope for the SDK flows, the granted OAuth scopes
    /// for the hosted UI's.
    pub(super) scope: String,
}

impl TokenGrant {
    pub(super) fn new(pool: &UserPool, client: &AppClient, user: &User, now: Millis) -> TokenGrant {
        TokenGrant {
            pool_id: pool.id.clone(),
            issuer: pool.issuer(),
            client_id: client.id.clone(),
            username: user.username.clone(),
            sub: user.sub().to_string(),
            email: user.email().map(String::from),
            email_verified: user.attributes.get("email_verified").is_some_and(|v| v == "true"),
            auth_time: now.div_euclid(1000),
            origin_jti: ids::uuid(),
            id_minutes: client.id_token_minutes,
            access_minutes: client.access_token_minutes,
            refresh_token: None,
            scope: "aws.cognito.signin.user.admin".to_string(),
        }
    }

    /// Records a new refresh token for this grant (by its digest).
    pub(super) fn with_refresh_token(
        mut self,
        state: &mut CognitoState,
        client: &AppClient,
        now: Millis,
    ) -> TokenGrant {
        // Cognito's refresh tokens are opaque JWEs; this one has the same look.
        let token = Secret::new(format!(
            "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.{}.{}.{}.{}",
            ids::alnum(342),
            ids::alnum(16),
            ids::alnum(1200),
            ids::alnum(22)
        ));
        state.put_grant(
            RefreshGrant {
                digest: token_digest(token.expose()),
                pool_id: self.pool_id.clone(),
                client_id: client.id.clone(),
                username: self.username.clone(),
                origin_jti: self.origin_jti.clone(),
                auth_time: self.auth_time,
                issued: now,
                expires: now + client.refresh_token_days * 86_400_000,
                revoked: false,
                scope: Some(self.scope.clone()),
            },
            now,
        );
        self.refresh_token = Some(token);
        self
    }

    /// Signs the ID and access tokens: `AuthenticationResult`.
    pub(super) fn sign(
        self,
        ctx: &AccountContext,
        cognito: &Slice<CognitoState>,
    ) -> Result<AuthenticationResult, ApiError> {
        let signer = cognito.read(|s| s.signer(&self.pool_id)).ok_or_else(|| client_not_found(&self.client_id))?;
        let iat = ctx.clock.now_secs();
        let event_id = ids::uuid();
        let mut id = json!({
            "sub": self.sub,
            "iss": self.issuer,
            "cognito:username": self.username,
            "origin_jti": self.origin_jti,
            "aud": self.client_id,
            "event_id": event_id,
            "token_use": "id",
            "auth_time": self.auth_time,
            "exp": iat + self.id_minutes * 60,
            "iat": iat,
            "jti": ids::uuid(),
        });
        if let Some(email) = &self.email {
            id["email"] = json!(email);
            id["email_verified"] = json!(self.email_verified);
        }
        let access = json!({
            "sub": self.sub,
            "iss": self.issuer,
            "client_id": self.client_id,
            "origin_jti": self.origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": self.scope,
            "auth_time": self.auth_time,
            "exp": iat + self.access_minutes * 60,
            "iat": iat,
            "jti": ids::uuid(),
            "username": self.username,
        });
        let sign = |claims: &Value| {
            signer.sign(claims).map_err(|e| {
                ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", e.to_string())
            })
        };
        Ok(AuthenticationResult {
            access_token: sign(&access)?,
            expires_in: self.access_minutes * 60,
            token_type: "Bearer",
            id_token: sign(&id)?,
            refresh_token: self.refresh_token.map(|refresh| refresh.expose().to_string()),
        })
    }
}

/// Where a successful password (or refresh) check leads: tokens, or a challenge first.
pub(super) enum SignInStep {
    Tokens(TokenGrant),
    NewPasswordRequired { session: String, username: String, attributes: std::collections::BTreeMap<String, String> },
}

pub fn initiate_auth(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    input: InitiateAuth,
    admin: bool,
) -> OpResult {
    let client_id = required(&input.client_id, "ClientId")?;
    let flow = required(&input.auth_flow, "AuthFlow")?;
    let auth = &input.auth_parameters;
    if admin {
        check_admin_client(cognito, client_id, required(&input.user_pool_id, "UserPoolId")?)?;
    }
    let password_flow = match (flow, admin) {
        ("ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", true) => Some("ALLOW_ADMIN_USER_PASSWORD_AUTH"),
        ("USER_PASSWORD_AUTH", _) => Some("ALLOW_USER_PASSWORD_AUTH"),
        _ => None,
    };
    let step = match (flow, password_flow) {
        (_, Some(needs)) => password_auth(ctx, cognito, client_id, flow, needs, auth)?,
        ("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN", _) => refresh_auth(ctx, cognito, client_id, flow, auth)?,
        ("CUSTOM_AUTH", _) => {
            cognito.read(|s| check_flow(s.client(client_id)?, flow, "ALLOW_CUSTOM_AUTH"))?;
            return Err(invalid_parameter("Custom auth lambda trigger is not configured for the user pool."));
        }
        _ => return Err(invalid_parameter("Initiate Auth method not supported.")),
    };
    answer(ctx, cognito, step)
}

/// The admin sign-ins name the pool as well as the app client: the client must be the pool's.
pub(super) fn check_admin_client(
    cognito: &Slice<CognitoState>,
    client_id: &str,
    pool_id: &str,
) -> Result<(), ApiError> {
    cognito.read(|s| if s.client(client_id)?.pool_id == pool_id { Ok(()) } else { Err(client_not_found(client_id)) })
}

/// The answer to a sign-in step: `AuthenticationResult`, or the challenge.
pub(super) fn answer(ctx: &AccountContext, cognito: &Slice<CognitoState>, step: SignInStep) -> OpResult {
    match step {
        SignInStep::Tokens(grant) => Ok(AuthOutput::tokens(grant.sign(ctx, cognito)?)),
        SignInStep::NewPasswordRequired { session, username, attributes } => {
            let user_attributes: Map<String, Value> =
                attributes.into_iter().filter(|(k, _)| k != "sub").map(|(k, v)| (k, Value::String(v))).collect();
            let parameters = [
                ("USER_ID_FOR_SRP", username),
                ("requiredAttributes", "[]".to_string()),
                ("userAttributes", Value::Object(user_attributes).to_string()),
            ];
            Ok(AuthOutput::challenge("NEW_PASSWORD_REQUIRED", Some(session), parameters.into()))
        }
    }
}

fn password_auth(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    client_id: &str,
    flow: &str,
    needs: &str,
    auth: &std::collections::BTreeMap<String, String>,
) -> Result<SignInStep, ApiError> {
    let now = ctx.now_ms();
    cognito.write(|s| {
        let client = s.client(client_id)?.clone();
        check_flow(&client, flow, needs)?;
        let username = auth.get("USERNAME").ok_or_else(|| invalid_parameter("Missing required parameter USERNAME"))?;
        let password = auth.get("PASSWORD").ok_or_else(|| invalid_parameter("Missing required parameter PASSWORD"))?;
        let pool = s.pool(&client.pool_id)?.clone();
        let found = s.find_user(&pool.id, username).cloned();
        let real_name = found.as_ref().map(|u| u.username.clone()).unwrap_or_else(|| username.clone());
        let real_name = real_name.as_str();
        check_secret_hash(&client, &[username, real_name], auth.get("SECRET_HASH").map(String::as_str))?;
        // Unknown names are counted too, so that a lock-out does not tell who exists.
        s.lockouts.check(&pool.id, real_name, now)?;
        let Some(user) = found else {
            s.lockouts.failed(&pool.id, real_name, now);
            return Err(if client.prevent_user_existence_errors { wrong_credentials() } else { user_not_found() });
        };
        if !user.password.matches(password) {
            s.lockouts.failed(&pool.id, real_name, now);
            return Err(wrong_credentials());
        }
        s.lockouts.succeeded(&pool.id, real_name);
        after_password(s, &pool, &client, &user, now)
    })
}

/// Where a sign-in goes once the password (or SRP's proof of it) checked out: tokens, or the
/// new-password challenge first.
pub(super) fn after_password(
    s: &mut CognitoState,
    pool: &UserPool,
    client: &AppClient,
    user: &User,
    now: Millis,
) -> Result<SignInStep, ApiError> {
    if !user.enabled {
        return Err(not_authorized("User is disabled."));
    }
    match user.status {
        UserStatus::Unconfirmed => Err(ApiError::bad_request("UserNotConfirmedException", "User is not confirmed.")),
        UserStatus::ForceChangePassword => {
            let session = ids::alnum(400);
            s.sessions.retain(|_, v| v.expires > now);
            s.sessions.insert(
                session.clone(),
                ChallengeSession {
                    pool_id: pool.id.clone(),
                    client_id: client.id.clone(),
                    username: user.username.clone(),
                    expires: now + SESSION_MS,
                },
            );
            Ok(SignInStep::NewPasswordRequired {
                session,
                username: user.username.clone(),
                attributes: user.attributes.clone(),
            })
        }
        UserStatus::Confirmed => {
            let grant = TokenGrant::new(pool, client, user, now);
            Ok(SignInStep::Tokens(grant.with_refresh_token(s, client, now)))
        }
    }
}

fn refresh_auth(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    client_id: &str,
    flow: &str,
    auth: &std::collections::BTreeMap<String, String>,
) -> Result<SignInStep, ApiError> {
    let now = ctx.now_ms();
    cognito.read(|s| {
        let client = s.client(client_id)?;
        check_flow(client, flow, "ALLOW_REFRESH_TOKEN_AUTH")?;
        let token =
            auth.get("REFRESH_TOKEN").ok_or_else(|| invalid_parameter("Missing required parameter REFRESH_TOKEN"))?;
        let (tokens, mut names) = refresh_grant(s, client, token, now)?;
        names.extend(auth.get("USERNAME").cloned());
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        check_secret_hash(client, &names, auth.get("SECRET_HASH").map(String::as_str))?;
        Ok(SignInStep::Tokens(tokens))
    })
}

/// New tokens for a refresh token the client holds, and the names its secret hash may be
/// computed over (the user's username and email).
pub(super) fn refresh_grant(
    s: &CognitoState,
    client: &AppClient,
    token: &str,
    now: Millis,
) -> Result<(TokenGrant, Vec<String>), ApiError> {
    let grant = s
        .refresh
        .get(&token_digest(token))
        .filter(|g| g.client_id == client.id)
        .ok_or_else(|| not_authorized("Invalid Refresh Token"))?;
    if grant.revoked {
        return Err(not_authorized("Refresh Token has been revoked"));
    }
    if grant.expires <= now {
        return Err(not_authorized("Refresh Token has expired"));
    }
    let pool = s.pool(&client.pool_id)?;
    let user = s.find_user(&pool.id, &grant.username).ok_or_else(|| not_authorized("Invalid Refresh Token"))?;
    if !user.enabled {
        return Err(not_authorized("User is disabled."));
    }
    let mut names = vec![user.username.clone()];
    names.extend(user.email().map(String::from));
    let mut tokens = TokenGrant::new(pool, client, user, now);
    tokens.origin_jti = grant.origin_jti.clone();
    tokens.auth_time = grant.auth_time;
    tokens.scope = grant.scope.clone().unwrap_or(tokens.scope);
    Ok((tokens, names))
}

pub fn respond_to_auth_challenge(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    input: RespondToAuthChallenge,
    admin: bool,
) -> OpResult {
    let client_id = required(&input.client_id, "ClientId")?;
    let challenge = required(&input.challenge_name, "ChallengeName")?;
    let responses = &input.challenge_responses;
    let session_id = required(&input.session, "Session")?;
    if challenge != "NEW_PASSWORD_REQUIRED" {
        return Err(invalid_parameter(format!(
            "The local lab answers only the NEW_PASSWORD_REQUIRED challenge, not {challenge}"
        )));
    }
    let now = ctx.now_ms();
    let username = responses.get("USERNAME").ok_or_else(|| invalid_parameter("Missing required parameter USERNAME"))?;
    let new_password =
        responses.get("NEW_PASSWORD").ok_or_else(|| invalid_parameter("Missing required parameter NEW_PASSWORD"))?;
    // The new password derived outside the lock, for the user whose session this is.
    let prepared = cognito
        .read(|s| {
            let session = s.sessions.get(session_id).filter(|v| v.expires > now && v.client_id == client_id)?;
            check_password_policy(new_password).ok()?;
            Some((session.pool_id.clone(), session.username.clone()))
        })
        .map(|(pool_id, sub)| PreparedPassword::new(&pool_id, &sub, new_password));
    let grant = cognito.write(|s| {
        s.sessions.retain(|_, v| v.expires > now);
        let session = s.sessions.get(session_id).ok_or_else(expired_session)?;
        if session.client_id != client_id || admin && input.user_pool_id.as_deref() != Some(session.pool_id.as_str()) {
            return Err(expired_session());
        }
        let session_user = session.username.clone();
        let client = s.client(client_id)?.clone();
        let pool = s.pool(&client.pool_id)?.clone();
        let user = s.find_user(&pool.id, username).ok_or_else(wrong_credentials)?.clone();
        if user.username != session_user {
            return Err(expired_session());
        }
        check_secret_hash(&client, &[username, &user.username], responses.get("SECRET_HASH").map(String::as_str))?;
        check_password_policy(new_password)?;
        let user = s
            .update_user(&pool.id, &user.username, |u| {
                u.set_prepared_password(prepared, new_password);
                u.status = UserStatus::Confirmed;
                u.modified = now;
                u.clone()
            })
            .ok_or_else(user_not_found)?;
        s.sessions.remove(session_id);
        let grant = TokenGrant::new(&pool, &client, &user, now);
        Ok(grant.with_refresh_token(s, &client, now))
    })?;
    Ok(AuthOutput::tokens(grant.sign(ctx, cognito)?))
}
