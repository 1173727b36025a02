//! The Cognito operations the lab uses, with Cognito's own refusals: the secret hash checked
//! on every call that needs one, explicit auth flows enforced, the default password policy,
//! and user existence errors hidden where the app client says so.

use std::collections::BTreeMap;

use axum::response::Response;
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{
    AppClient, ChallengeSession, CognitoState, OutboxMessage, PasswordHash, RefreshGrant, User, UserPool, UserStatus,
};
use crate::locallab::LocalLab;
use crate::locallab::clock::{Millis, epoch_secs};
use crate::locallab::ids;
use crate::locallab::wire::{ApiError, AwsRequest, json_response};
use crate::secret::Secret;
use crate::token::{TokenError, TokenUse};

type OpResult = Result<Value, ApiError>;

const JSON_1_1: &str = "application/x-amz-json-1.1";
/// How long a challenge session lasts (the app client's AuthSessionValidity, 3 minutes).
const SESSION_MS: Millis = 3 * 60 * 1000;

fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

fn not_authorized(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("NotAuthorizedException", message)
}

fn wrong_credentials() -> ApiError {
    not_authorized("Incorrect username or password.")
}

fn user_not_found() -> ApiError {
    ApiError::bad_request("UserNotFoundException", "User does not exist.")
}

fn client_not_found(client_id: &str) -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", format!("User pool client {client_id} does not exist."))
}

fn pool_not_found(pool_id: &str) -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", format!("User pool {pool_id} does not exist."))
}

/// Answers one Cognito operation.
pub fn handle(lab: &LocalLab, operation: &str, req: &AwsRequest) -> Response {
    match dispatch(lab, operation, req) {
        Ok(body) => json_response(StatusCode::OK, &body, JSON_1_1),
        Err(e) => e.into_aws_json(),
    }
}

fn dispatch(lab: &LocalLab, operation: &str, req: &AwsRequest) -> OpResult {
    let content_type = req.header("content-type").unwrap_or_default();
    if !content_type.starts_with("application/x-amz-json-1.") {
        return Err(ApiError::bad_request("SerializationException", "Content-Type must be application/x-amz-json-1.1"));
    }
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|_| ApiError::bad_request("SerializationException", "The request body is not valid JSON"))?;
    if !body.is_object() {
        return Err(ApiError::bad_request("SerializationException", "The request body must be a JSON object"));
    }
    let signed = matches!(
        operation,
        "AdminInitiateAuth"
            | "AdminRespondToAuthChallenge"
            | "AdminCreateUser"
            | "AdminSetUserPassword"
            | "AdminGetUser"
            | "AdminConfirmSignUp"
            | "AdminDeleteUser"
            | "DescribeUserPool"
            | "DescribeUserPoolClient"
            | "ListUserPools"
            | "ListUserPoolClients"
    );
    if signed && !req.is_signed() {
        return Err(ApiError::bad_request("MissingAuthenticationTokenException", "Missing Authentication Token"));
    }
    let p = Params(&body);
    match operation {
        "InitiateAuth" => initiate_auth(lab, p, false),
        "AdminInitiateAuth" => initiate_auth(lab, p, true),
        "RespondToAuthChallenge" => respond_to_auth_challenge(lab, p, false),
        "AdminRespondToAuthChallenge" => respond_to_auth_challenge(lab, p, true),
        "SignUp" => sign_up(lab, p),
        "ConfirmSignUp" => confirm_sign_up(lab, p),
        "ResendConfirmationCode" => resend_confirmation_code(lab, p),
        "AdminCreateUser" => admin_create_user(lab, p),
        "AdminSetUserPassword" => admin_set_user_password(lab, p),
        "AdminGetUser" => admin_get_user(lab, p),
        "AdminConfirmSignUp" => admin_confirm_sign_up(lab, p),
        "AdminDeleteUser" => admin_delete_user(lab, p),
        "DescribeUserPool" => describe_user_pool(lab, p),
        "DescribeUserPoolClient" => describe_user_pool_client(lab, p),
        "ListUserPools" => list_user_pools(lab, p),
        "ListUserPoolClients" => list_user_pool_clients(lab, p),
        "GetUser" => get_user(lab, p),
        other => Err(ApiError::bad_request(
            "UnknownOperationException",
            format!("The local lab does not implement {}{other}", super::TARGET_PREFIX),
        )),
    }
}

/// A request body's members, with Cognito's validation messages for missing ones.
#[derive(Clone, Copy)]
struct Params<'a>(&'a Value);

impl<'a> Params<'a> {
    fn opt(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).and_then(Value::as_str)
    }

    fn req(&self, name: &str) -> Result<&'a str, ApiError> {
        self.opt(name).ok_or_else(|| {
            let member = lower_first(name);
            invalid_parameter(format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// A string-to-string map member such as `AuthParameters`.
    fn map(&self, name: &str) -> BTreeMap<String, String> {
        self.0
            .get(name)
            .and_then(Value::as_object)
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
            .unwrap_or_default()
    }

    /// An attribute list such as `UserAttributes`: `[{"Name": …, "Value": …}]`.
    fn attributes(&self, name: &str) -> BTreeMap<String, String> {
        self.0
            .get(name)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|a| Some((a.get("Name")?.as_str()?.to_string(), a.get("Value")?.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

// ---- lookups -------------------------------------------------------------------------------

fn find_client(state: &CognitoState, client_id: &str) -> Result<(usize, usize), ApiError> {
    state
        .pools
        .iter()
        .enumerate()
        .find_map(|(p, pool)| pool.clients.iter().position(|c| c.id == client_id).map(|c| (p, c)))
        .ok_or_else(|| client_not_found(client_id))
}

fn find_pool(state: &CognitoState, pool_id: &str) -> Result<usize, ApiError> {
    state.pools.iter().position(|p| p.id == pool_id).ok_or_else(|| pool_not_found(pool_id))
}

/// A user by username or, as the pool signs in with email, by email (case-insensitive).
fn find_user(pool: &UserPool, name: &str) -> Option<usize> {
    pool.users.iter().position(|u| u.username == name || u.email().is_some_and(|e| e.eq_ignore_ascii_case(name)))
}

/// The secret hash rule: a client with a secret needs `SECRET_HASH` computed over the name the
/// caller used (or the user's real username) and the client id.
fn check_secret_hash(client: &AppClient, names: &[&str], provided: Option<&str>) -> Result<(), ApiError> {
    let Some(secret) = &client.secret else { return Ok(()) };
    let Some(provided) = provided else {
        return Err(invalid_parameter(format!(
            "Client {} is configured for secret but secret was not received",
            client.id
        )));
    };
    let ok = names.iter().any(|name| crate::token::secret_hash(name, &client.id, secret.expose()) == provided);
    if ok { Ok(()) } else { Err(not_authorized(format!("Unable to verify secret hash for client {}", client.id))) }
}

fn check_flow(client: &AppClient, flow: &str, needs: &str) -> Result<(), ApiError> {
    if client.explicit_auth_flows.iter().any(|f| f == needs) {
        Ok(())
    } else {
        Err(invalid_parameter(format!("{flow} flow not enabled for this client")))
    }
}

/// Cognito's default password policy: 8 characters with upper, lower, digit and symbol.
fn check_password_policy(password: &str) -> Result<(), ApiError> {
    let problem = if password.chars().count() < 8 {
        Some("Password not long enough")
    } else if !password.chars().any(|c| c.is_uppercase()) {
        Some("Password must have uppercase characters")
    } else if !password.chars().any(|c| c.is_lowercase()) {
        Some("Password must have lowercase characters")
    } else if !password.chars().any(|c| c.is_ascii_digit()) {
        Some("Password must have numeric characters")
    } else if !password.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace()) {
        Some("Password must have symbol characters")
    } else {
        None
    };
    match problem {
        Some(p) => {
            Err(ApiError::bad_request("InvalidPasswordException", format!("Password did not conform with policy: {p}")))
        }
        None => Ok(()),
    }
}

fn looks_like_email(name: &str) -> bool {
    match name.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.starts_with('.'),
        None => false,
    }
}

// ---- tokens --------------------------------------------------------------------------------

/// Everything needed to issue tokens, gathered under the state lock; signing happens after
/// the lock is released so that RSA signatures do not serialise the lab.
struct TokenGrant {
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
}

impl TokenGrant {
    fn new(pool: &UserPool, client: &AppClient, user: &User, now: Millis) -> TokenGrant {
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
        }
    }

    /// Records a new refresh token for this grant in the state.
    fn with_refresh_token(mut self, state: &mut CognitoState, client: &AppClient, now: Millis) -> TokenGrant {
        let token = Secret::new(format!(
            "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.{}.{}.{}.{}",
            ids::alnum(342),
            ids::alnum(16),
            ids::alnum(1200),
            ids::alnum(22)
        ));
        state.refresh_tokens.retain(|g| g.expires > now);
        state.refresh_tokens.push(RefreshGrant {
            token: token.clone(),
            pool_id: self.pool_id.clone(),
            client_id: client.id.clone(),
            username: self.username.clone(),
            origin_jti: self.origin_jti.clone(),
            auth_time: self.auth_time,
            expires: now + client.refresh_token_days * 86_400_000,
        });
        self.refresh_token = Some(token);
        self
    }

    /// Signs the ID and access tokens: `AuthenticationResult`.
    fn sign(self, lab: &LocalLab) -> OpResult {
        let signer = lab.signers.get(&self.pool_id).ok_or_else(|| pool_not_found(&self.pool_id))?;
        let iat = lab.clock.now_secs();
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
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": self.auth_time,
            "exp": iat + self.access_minutes * 60,
            "iat": iat,
            "jti": ids::uuid(),
            "username": self.username,
        });
        let sign = |claims: &Value| {
            signer
                .sign(claims)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", e.to_string()))
        };
        let mut result = json!({
            "AccessToken": sign(&access)?,
            "ExpiresIn": self.access_minutes * 60,
            "TokenType": "Bearer",
            "IdToken": sign(&id)?,
        });
        if let Some(refresh) = self.refresh_token {
            result["RefreshToken"] = json!(refresh.expose());
        }
        Ok(json!({ "ChallengeParameters": {}, "AuthenticationResult": result }))
    }
}

// ---- authentication ------------------------------------------------------------------------

/// Where a successful password (or refresh) check leads: tokens, or a challenge first.
enum SignInStep {
    Tokens(TokenGrant),
    NewPasswordRequired { session: String, username: String, attributes: BTreeMap<String, String> },
}

fn initiate_auth(lab: &LocalLab, p: Params, admin: bool) -> OpResult {
    let client_id = p.req("ClientId")?;
    let flow = p.req("AuthFlow")?;
    let auth = p.map("AuthParameters");
    if admin {
        let pool_id = p.req("UserPoolId")?;
        lab.read(|s| {
            let (pool, _) = find_client(&s.cognito, client_id)?;
            if s.cognito.pools[pool].id != pool_id {
                return Err(client_not_found(client_id));
            }
            Ok(())
        })?;
    }
    let password_flow = match (flow, admin) {
        ("ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", true) => Some("ALLOW_ADMIN_USER_PASSWORD_AUTH"),
        ("USER_PASSWORD_AUTH", _) => Some("ALLOW_USER_PASSWORD_AUTH"),
        _ => None,
    };
    let outcome = match (flow, password_flow) {
        (_, Some(needs)) => password_auth(lab, client_id, flow, needs, &auth)?,
        ("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN", _) => refresh_auth(lab, client_id, flow, &auth)?,
        ("USER_SRP_AUTH", _) => {
            lab.read(|s| {
                let (p, c) = find_client(&s.cognito, client_id)?;
                check_flow(&s.cognito.pools[p].clients[c], flow, "ALLOW_USER_SRP_AUTH")
            })?;
            return Err(invalid_parameter(
                "USER_SRP_AUTH is not available in the walab local lab; use ADMIN_USER_PASSWORD_AUTH as the lab does",
            ));
        }
        ("CUSTOM_AUTH", _) => {
            lab.read(|s| {
                let (p, c) = find_client(&s.cognito, client_id)?;
                check_flow(&s.cognito.pools[p].clients[c], flow, "ALLOW_CUSTOM_AUTH")
            })?;
            return Err(invalid_parameter("Custom auth lambda trigger is not configured for the user pool."));
        }
        _ => return Err(invalid_parameter("Initiate Auth method not supported.")),
    };
    match outcome {
        SignInStep::Tokens(grant) => grant.sign(lab),
        SignInStep::NewPasswordRequired { session, username, attributes } => {
            let user_attributes: Map<String, Value> =
                attributes.into_iter().filter(|(k, _)| k != "sub").map(|(k, v)| (k, Value::String(v))).collect();
            Ok(json!({
                "ChallengeName": "NEW_PASSWORD_REQUIRED",
                "Session": session,
                "ChallengeParameters": {
                    "USER_ID_FOR_SRP": username,
                    "requiredAttributes": "[]",
                    "userAttributes": Value::Object(user_attributes).to_string(),
                },
            }))
        }
    }
}

fn password_auth(
    lab: &LocalLab,
    client_id: &str,
    flow: &str,
    needs: &str,
    auth: &BTreeMap<String, String>,
) -> Result<SignInStep, ApiError> {
    let now = lab.clock.now_ms();
    let outcome = lab.write(|s| {
        let state = &mut s.cognito;
        let (p, c) = find_client(state, client_id)?;
        let client = state.pools[p].clients[c].clone();
        check_flow(&client, flow, needs)?;
        let username = auth.get("USERNAME").ok_or_else(|| invalid_parameter("Missing required parameter USERNAME"))?;
        let password = auth.get("PASSWORD").ok_or_else(|| invalid_parameter("Missing required parameter PASSWORD"))?;
        let pool = &state.pools[p];
        let found = find_user(pool, username);
        let real_name = found.map(|u| pool.users[u].username.as_str()).unwrap_or(username);
        check_secret_hash(&client, &[username, real_name], auth.get("SECRET_HASH").map(String::as_str))?;
        let Some(u) = found else {
            return Err(if client.prevent_user_existence_errors { wrong_credentials() } else { user_not_found() });
        };
        let user = &pool.users[u];
        if !user.password.matches(password) {
            return Err(wrong_credentials());
        }
        if !user.enabled {
            return Err(not_authorized("User is disabled."));
        }
        match user.status {
            UserStatus::Unconfirmed => {
                Err(ApiError::bad_request("UserNotConfirmedException", "User is not confirmed."))
            }
            UserStatus::ForceChangePassword => Ok(SignInStep::NewPasswordRequired {
                session: ids::alnum(400),
                username: user.username.clone(),
                attributes: user.attributes.clone(),
            }),
            UserStatus::Confirmed => {
                let grant = TokenGrant::new(pool, &client, user, now);
                Ok(SignInStep::Tokens(grant.with_refresh_token(state, &client, now)))
            }
        }
    })?;
    if let SignInStep::NewPasswordRequired { session, username, .. } = &outcome {
        let pool_id = lab.read(|s| find_client(&s.cognito, client_id).map(|(p, _)| s.cognito.pools[p].id.clone()))?;
        let mut sessions = lab.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.0.retain(|_, s| s.expires > now);
        sessions.0.insert(
            session.clone(),
            ChallengeSession {
                pool_id,
                client_id: client_id.to_string(),
                username: username.clone(),
                expires: now + SESSION_MS,
            },
        );
    }
    Ok(outcome)
}

fn refresh_auth(
    lab: &LocalLab,
    client_id: &str,
    flow: &str,
    auth: &BTreeMap<String, String>,
) -> Result<SignInStep, ApiError> {
    let now = lab.clock.now_ms();
    lab.read(|s| {
        let state = &s.cognito;
        let (p, c) = find_client(state, client_id)?;
        let pool = &state.pools[p];
        let client = &pool.clients[c];
        check_flow(client, flow, "ALLOW_REFRESH_TOKEN_AUTH")?;
        let token =
            auth.get("REFRESH_TOKEN").ok_or_else(|| invalid_parameter("Missing required parameter REFRESH_TOKEN"))?;
        let grant = state
            .refresh_tokens
            .iter()
            .find(|g| g.token.expose() == token && g.client_id == client.id)
            .ok_or_else(|| not_authorized("Invalid Refresh Token"))?;
        if grant.expires <= now {
            return Err(not_authorized("Refresh Token has expired"));
        }
        let u = find_user(pool, &grant.username).ok_or_else(|| not_authorized("Invalid Refresh Token"))?;
        let user = &pool.users[u];
        let mut names = vec![user.username.as_str()];
        names.extend(user.email());
        names.extend(auth.get("USERNAME").map(String::as_str));
        check_secret_hash(client, &names, auth.get("SECRET_HASH").map(String::as_str))?;
        if !user.enabled {
            return Err(not_authorized("User is disabled."));
        }
        let mut tokens = TokenGrant::new(pool, client, user, now);
        tokens.origin_jti = grant.origin_jti.clone();
        tokens.auth_time = grant.auth_time;
        Ok(SignInStep::Tokens(tokens))
    })
}

fn respond_to_auth_challenge(lab: &LocalLab, p: Params, admin: bool) -> OpResult {
    let client_id = p.req("ClientId")?;
    let challenge = p.req("ChallengeName")?;
    let session_id = p.req("Session")?;
    let responses = p.map("ChallengeResponses");
    if challenge != "NEW_PASSWORD_REQUIRED" {
        return Err(invalid_parameter(format!(
            "The local lab answers only the NEW_PASSWORD_REQUIRED challenge, not {challenge}"
        )));
    }
    let now = lab.clock.now_ms();
    let session = {
        let mut sessions = lab.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.0.retain(|_, s| s.expires > now);
        sessions.0.get(session_id).map(|s| (s.pool_id.clone(), s.client_id.clone(), s.username.clone()))
    };
    let Some((pool_id, session_client, session_user)) = session else {
        return Err(not_authorized("Invalid session for the user, session is expired."));
    };
    if session_client != client_id || admin && p.opt("UserPoolId") != Some(pool_id.as_str()) {
        return Err(not_authorized("Invalid session for the user, session is expired."));
    }
    let username = responses.get("USERNAME").ok_or_else(|| invalid_parameter("Missing required parameter USERNAME"))?;
    let new_password =
        responses.get("NEW_PASSWORD").ok_or_else(|| invalid_parameter("Missing required parameter NEW_PASSWORD"))?;
    let grant = lab.write(|s| {
        let state = &mut s.cognito;
        let (p, c) = find_client(state, client_id)?;
        let client = state.pools[p].clients[c].clone();
        let u = find_user(&state.pools[p], username).ok_or_else(wrong_credentials)?;
        if state.pools[p].users[u].username != session_user {
            return Err(not_authorized("Invalid session for the user, session is expired."));
        }
        let real_name = state.pools[p].users[u].username.clone();
        check_secret_hash(&client, &[username, &real_name], responses.get("SECRET_HASH").map(String::as_str))?;
        check_password_policy(new_password)?;
        let pool = &mut state.pools[p];
        let user = &mut pool.users[u];
        user.password = PasswordHash::new(new_password);
        user.status = UserStatus::Confirmed;
        user.modified = now;
        let grant = TokenGrant::new(&state.pools[p], &client, &state.pools[p].users[u], now);
        Ok(grant.with_refresh_token(state, &client, now))
    })?;
    lab.sessions.lock().unwrap_or_else(|e| e.into_inner()).0.remove(session_id);
    grant.sign(lab)
}

// ---- sign-up -------------------------------------------------------------------------------

/// `l***@e***`, how Cognito names where it sent a code.
fn masked_destination(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    format!("{}***@{}***", first(local), first(domain))
}

fn code_delivery(email: &str) -> Value {
    json!({ "Destination": masked_destination(email), "DeliveryMedium": "EMAIL", "AttributeName": "email" })
}

/// Puts the confirmation "email" in the outbox (and the serve log) and returns its code.
fn send_confirmation(lab: &LocalLab, state: &mut CognitoState, client_id: &str, user: &User, now: Millis) -> Secret {
    let code = Secret::new(ids::digits(6));
    let email = user.email().unwrap_or(&user.username).to_string();
    let link = format!(
        "{}/_walab/confirm?client_id={client_id}&user_name={}&confirmation_code={}",
        lab.endpoints.aws_endpoint_url(),
        form_urlencoded::byte_serialize(user.username.as_bytes()).collect::<String>(),
        code.expose()
    );
    tracing::info!("outbox: confirmation code {} for {email}", code.expose());
    state.outbox.push(OutboxMessage {
        at: now,
        to: email,
        subject: "Your verification code".to_string(),
        body: format!("Your confirmation code is {}. Or open this link to verify your email: {link}", code.expose()),
        code: Some(code.expose().to_string()),
        link: Some(link),
    });
    // Keep the outbox to the recent past.
    let excess = state.outbox.len().saturating_sub(50);
    state.outbox.drain(..excess);
    code
}

fn sign_up(lab: &LocalLab, p: Params) -> OpResult {
    let client_id = p.req("ClientId")?;
    let username = p.req("Username")?;
    let password = p.req("Password")?;
    let mut attributes = p.attributes("UserAttributes");
    let now = lab.clock.now_ms();
    lab.write(|s| {
        let (pi, ci) = find_client(&s.cognito, client_id)?;
        let client = s.cognito.pools[pi].clients[ci].clone();
        check_secret_hash(&client, &[username], p.opt("SecretHash"))?;
        if !looks_like_email(username) {
            return Err(invalid_parameter("Username should be an email."));
        }
        if find_user(&s.cognito.pools[pi], username).is_some() {
            return Err(ApiError::bad_request(
                "UsernameExistsException",
                "An account with the given email already exists.",
            ));
        }
        check_password_policy(password)?;
        let sub = ids::uuid();
        attributes.insert("sub".to_string(), sub.clone());
        attributes.insert("email".to_string(), username.to_string());
        attributes.insert("email_verified".to_string(), "false".to_string());
        let mut user = User {
            username: sub.clone(),
            attributes,
            password: PasswordHash::new(password),
            status: UserStatus::Unconfirmed,
            enabled: true,
            created: now,
            modified: now,
            confirmation_code: None,
        };
        user.confirmation_code = Some(send_confirmation(lab, &mut s.cognito, client_id, &user, now));
        s.cognito.pools[pi].users.push(user);
        Ok(json!({ "UserConfirmed": false, "UserSub": sub, "CodeDeliveryDetails": code_delivery(username) }))
    })
}

/// Confirms `name` in the client's pool with `code`.
fn confirm(lab: &LocalLab, client_id: &str, name: &str, code: &str, secret_hash: Option<&str>) -> Result<(), ApiError> {
    let now = lab.clock.now_ms();
    lab.write(|s| {
        let (pi, ci) = find_client(&s.cognito, client_id)?;
        let client = s.cognito.pools[pi].clients[ci].clone();
        let pool = &mut s.cognito.pools[pi];
        let found = find_user(pool, name);
        let real_name = found.map(|u| pool.users[u].username.clone()).unwrap_or_else(|| name.to_string());
        if let Some(hash) = secret_hash {
            check_secret_hash(&client, &[name, &real_name], Some(hash))?;
        } else {
            check_secret_hash(&client, &[name], None)?;
        }
        let u = found.ok_or_else(|| {
            ApiError::bad_request("UserNotFoundException", "Username/client id combination not found.")
        })?;
        let user = &mut pool.users[u];
        if user.status != UserStatus::Unconfirmed {
            return Err(not_authorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        if user.confirmation_code.as_ref().map(Secret::expose) != Some(code) {
            return Err(ApiError::bad_request(
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
            ));
        }
        user.status = UserStatus::Confirmed;
        user.confirmation_code = None;
        user.attributes.insert("email_verified".to_string(), "true".to_string());
        user.modified = now;
        Ok(())
    })
}

fn confirm_sign_up(lab: &LocalLab, p: Params) -> OpResult {
    let client_id = p.req("ClientId")?;
    let username = p.req("Username")?;
    let code = p.req("ConfirmationCode")?;
    let hash = p.opt("SecretHash");
    // A missing hash is refused by check_secret_hash for clients with a secret.
    confirm(lab, client_id, username, code, hash)?;
    Ok(json!({}))
}

fn resend_confirmation_code(lab: &LocalLab, p: Params) -> OpResult {
    let client_id = p.req("ClientId")?;
    let username = p.req("Username")?;
    let now = lab.clock.now_ms();
    lab.write(|s| {
        let (pi, ci) = find_client(&s.cognito, client_id)?;
        let client = s.cognito.pools[pi].clients[ci].clone();
        let found = find_user(&s.cognito.pools[pi], username);
        let real_name =
            found.map(|u| s.cognito.pools[pi].users[u].username.clone()).unwrap_or_else(|| username.to_string());
        check_secret_hash(&client, &[username, &real_name], p.opt("SecretHash"))?;
        let u = found.ok_or_else(|| {
            ApiError::bad_request("UserNotFoundException", "Username/client id combination not found.")
        })?;
        if s.cognito.pools[pi].users[u].status != UserStatus::Unconfirmed {
            return Err(invalid_parameter("User is already confirmed."));
        }
        let user = s.cognito.pools[pi].users[u].clone();
        let code = send_confirmation(lab, &mut s.cognito, client_id, &user, now);
        s.cognito.pools[pi].users[u].confirmation_code = Some(code);
        Ok(json!({ "CodeDeliveryDetails": code_delivery(user.email().unwrap_or(username)) }))
    })
}

/// `GET /_walab/confirm?client_id=…&user_name=…&confirmation_code=…`: the link in the email.
pub fn confirm_link(lab: &LocalLab, req: &AwsRequest) -> Response {
    let (Some(client_id), Some(user), Some(code)) =
        (req.query_param("client_id"), req.query_param("user_name"), req.query_param("confirmation_code"))
    else {
        return invalid_parameter("The link needs client_id, user_name and confirmation_code").into_rest_json();
    };
    // The hosted page confirms on the user's behalf; no secret hash is involved.
    let result = lab.write(|s| {
        let (pi, _) = find_client(&s.cognito, client_id)?;
        let pool = &mut s.cognito.pools[pi];
        let u = find_user(pool, user).ok_or_else(user_not_found)?;
        pool.users[u].confirmation_code.clone().ok_or_else(|| not_authorized("User is already confirmed."))
    });
    let outcome = result.and_then(|expected| {
        if expected.expose() != code {
            return Err(ApiError::bad_request("CodeMismatchException", "Invalid verification code provided."));
        }
        lab.write(|s| {
            let (pi, _) = find_client(&s.cognito, client_id)?;
            let pool = &mut s.cognito.pools[pi];
            let u = find_user(pool, user).ok_or_else(user_not_found)?;
            let user = &mut pool.users[u];
            user.status = UserStatus::Confirmed;
            user.confirmation_code = None;
            user.attributes.insert("email_verified".to_string(), "true".to_string());
            Ok(())
        })
    });
    match outcome {
        Ok(()) => json_response(
            StatusCode::OK,
            &json!({ "message": "Your registration has been confirmed." }),
            "application/json",
        ),
        Err(e) => e.into_rest_json(),
    }
}

// ---- administration ------------------------------------------------------------------------

fn attribute_list(attributes: &BTreeMap<String, String>) -> Value {
    Value::Array(attributes.iter().map(|(k, v)| json!({ "Name": k, "Value": v })).collect())
}

fn user_json(user: &User, attributes_key: &str) -> Value {
    json!({
        "Username": user.username,
        attributes_key: attribute_list(&user.attributes),
        "UserCreateDate": epoch_secs(user.created),
        "UserLastModifiedDate": epoch_secs(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    })
}

/// Runs `f` on the user `name` of pool `pool_id`.
fn with_user<R>(
    lab: &LocalLab,
    pool_id: &str,
    name: &str,
    f: impl FnOnce(&mut User) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    lab.write(|s| {
        let pi = find_pool(&s.cognito, pool_id)?;
        let pool = &mut s.cognito.pools[pi];
        let u = find_user(pool, name).ok_or_else(user_not_found)?;
        f(&mut pool.users[u])
    })
}

fn admin_create_user(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    let username = p.req("Username")?;
    let mut attributes = p.attributes("UserAttributes");
    let temporary = match p.opt("TemporaryPassword") {
        Some(t) => {
            check_password_policy(t)?;
            t.to_string()
        }
        None => format!("Tmp{}#1a", ids::alnum(9)),
    };
    let now = lab.clock.now_ms();
    lab.write(|s| {
        let pi = find_pool(&s.cognito, pool_id)?;
        if !looks_like_email(username) {
            return Err(invalid_parameter("Username should be an email."));
        }
        if find_user(&s.cognito.pools[pi], username).is_some() {
            return Err(ApiError::bad_request("UsernameExistsException", "User account already exists"));
        }
        let sub = ids::uuid();
        attributes.insert("sub".to_string(), sub.clone());
        attributes.insert("email".to_string(), username.to_string());
        attributes.entry("email_verified".to_string()).or_insert_with(|| "false".to_string());
        let user = User {
            username: sub,
            attributes,
            password: PasswordHash::new(&temporary),
            status: UserStatus::ForceChangePassword,
            enabled: true,
            created: now,
            modified: now,
            confirmation_code: None,
        };
        if p.opt("MessageAction") != Some("SUPPRESS") {
            tracing::info!("outbox: invitation with a temporary password for {username}");
            s.cognito.outbox.push(OutboxMessage {
                at: now,
                to: username.to_string(),
                subject: "Your temporary password".to_string(),
                body: format!("Your username is {username} and temporary password is {temporary}."),
                code: None,
                link: None,
            });
        }
        let body = json!({ "User": user_json(&user, "Attributes") });
        s.cognito.pools[pi].users.push(user);
        Ok(body)
    })
}

fn admin_set_user_password(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    let username = p.req("Username")?;
    let password = p.req("Password")?;
    let permanent = p.0.get("Permanent").and_then(Value::as_bool).unwrap_or(false);
    check_password_policy(password)?;
    let now = lab.clock.now_ms();
    with_user(lab, pool_id, username, |user| {
        user.password = PasswordHash::new(password);
        user.status = if permanent { UserStatus::Confirmed } else { UserStatus::ForceChangePassword };
        user.modified = now;
        Ok(json!({}))
    })
}

fn admin_get_user(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    let username = p.req("Username")?;
    with_user(lab, pool_id, username, |user| Ok(user_json(user, "UserAttributes")))
}

fn admin_confirm_sign_up(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    let username = p.req("Username")?;
    let now = lab.clock.now_ms();
    with_user(lab, pool_id, username, |user| {
        if user.status != UserStatus::Unconfirmed {
            return Err(not_authorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        user.status = UserStatus::Confirmed;
        user.confirmation_code = None;
        user.modified = now;
        Ok(json!({}))
    })
}

fn admin_delete_user(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    let username = p.req("Username")?;
    lab.write(|s| {
        let pi = find_pool(&s.cognito, pool_id)?;
        let pool = &mut s.cognito.pools[pi];
        let u = find_user(pool, username).ok_or_else(user_not_found)?;
        let removed = pool.users.remove(u);
        s.cognito.refresh_tokens.retain(|g| g.username != removed.username);
        Ok(json!({}))
    })
}

fn describe_user_pool(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    lab.read(|s| {
        let pool = &s.cognito.pools[find_pool(&s.cognito, pool_id)?];
        Ok(json!({ "UserPool": {
            "Id": pool.id,
            "Name": pool.name,
            "Arn": pool.arn,
            "Policies": { "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": true,
                "RequireLowercase": true,
                "RequireNumbers": true,
                "RequireSymbols": true,
                "TemporaryPasswordValidityDays": 7,
            }},
            "DeletionProtection": "INACTIVE",
            "LambdaConfig": {},
            "LastModifiedDate": epoch_secs(pool.modified),
            "CreationDate": epoch_secs(pool.created),
            "SchemaAttributes": [
                { "Name": "sub", "AttributeDataType": "String", "Mutable": false, "Required": true,
                  "StringAttributeConstraints": { "MinLength": "1", "MaxLength": "2048" } },
                { "Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true,
                  "StringAttributeConstraints": { "MinLength": "0", "MaxLength": "2048" } },
                { "Name": "email_verified", "AttributeDataType": "Boolean", "Mutable": true, "Required": false },
            ],
            "AutoVerifiedAttributes": ["email"],
            "UsernameAttributes": ["email"],
            "VerificationMessageTemplate": { "DefaultEmailOption": "CONFIRM_WITH_LINK" },
            "MfaConfiguration": "OFF",
            "EstimatedNumberOfUsers": pool.users.len(),
            "EmailConfiguration": { "EmailSendingAccount": "COGNITO_DEFAULT" },
            "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7 },
            "Domain": pool.domain,
            "AccountRecoverySetting": { "RecoveryMechanisms": [{ "Priority": 1, "Name": "verified_email" }] },
        }}))
    })
}

fn describe_user_pool_client(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    let client_id = p.req("ClientId")?;
    lab.read(|s| {
        let pool = &s.cognito.pools[find_pool(&s.cognito, pool_id)?];
        let client = pool.clients.iter().find(|c| c.id == client_id).ok_or_else(|| client_not_found(client_id))?;
        let mut body = json!({
            "UserPoolId": pool.id,
            "ClientName": client.name,
            "ClientId": client.id,
            "LastModifiedDate": epoch_secs(client.modified),
            "CreationDate": epoch_secs(client.created),
            "RefreshTokenValidity": client.refresh_token_days,
            "AccessTokenValidity": client.access_token_minutes,
            "IdTokenValidity": client.id_token_minutes,
            "TokenValidityUnits": { "AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days" },
            "ExplicitAuthFlows": client.explicit_auth_flows,
            "SupportedIdentityProviders": ["COGNITO"],
            "CallbackURLs": client.callback_urls,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["aws.cognito.signin.user.admin", "email", "openid"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "PreventUserExistenceErrors": if client.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
            "EnableTokenRevocation": true,
            "EnablePropagateAdditionalUserContextData": false,
            "AuthSessionValidity": 3,
        });
        if let Some(secret) = &client.secret {
            body["ClientSecret"] = json!(secret.expose());
        }
        Ok(json!({ "UserPoolClient": body }))
    })
}

fn max_results(p: Params, required: bool) -> Result<usize, ApiError> {
    match p.0.get("MaxResults").and_then(Value::as_i64) {
        Some(n) if (1..=60).contains(&n) => Ok(n as usize),
        Some(n) => Err(invalid_parameter(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60"
        ))),
        None if required => Err(invalid_parameter(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
        )),
        None => Ok(60),
    }
}

fn list_user_pools(lab: &LocalLab, p: Params) -> OpResult {
    let max = max_results(p, true)?;
    lab.read(|s| {
        let pools: Vec<Value> = s
            .cognito
            .pools
            .iter()
            .take(max)
            .map(|pool| {
                json!({
                    "Id": pool.id,
                    "Name": pool.name,
                    "LambdaConfig": {},
                    "LastModifiedDate": epoch_secs(pool.modified),
                    "CreationDate": epoch_secs(pool.created),
                })
            })
            .collect();
        Ok(json!({ "UserPools": pools }))
    })
}

fn list_user_pool_clients(lab: &LocalLab, p: Params) -> OpResult {
    let pool_id = p.req("UserPoolId")?;
    let max = max_results(p, false)?;
    lab.read(|s| {
        let pool = &s.cognito.pools[find_pool(&s.cognito, pool_id)?];
        let clients: Vec<Value> = pool
            .clients
            .iter()
            .take(max)
            .map(|c| json!({ "ClientId": c.id, "UserPoolId": pool.id, "ClientName": c.name }))
            .collect();
        Ok(json!({ "UserPoolClients": clients }))
    })
}

fn get_user(lab: &LocalLab, p: Params) -> OpResult {
    let token = p.req("AccessToken")?;
    // The pool is the one the token claims to come from; the verifier then checks that claim.
    let pool_id = crate::token::decode_unverified(token)
        .and_then(|(_, claims)| claims.get("iss")?.as_str()?.rsplit('/').next().map(String::from))
        .ok_or_else(|| not_authorized("Invalid Access Token"))?;
    let claims = super::verify_for_pool(lab, &pool_id, token, TokenUse::Access).map_err(|e| match e {
        TokenError::Expired { .. } => not_authorized("Access Token has expired"),
        _ => not_authorized("Invalid Access Token"),
    })?;
    let username = claims.get("username").and_then(Value::as_str).unwrap_or_default();
    lab.read(|s| {
        let pool = s.cognito.pool(&pool_id).ok_or_else(|| not_authorized("Invalid Access Token"))?;
        let user = find_user(pool, username).map(|u| &pool.users[u]).ok_or_else(user_not_found)?;
        Ok(json!({ "Username": user.username, "UserAttributes": attribute_list(&user.attributes) }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy_names_the_first_problem() {
        let msg = |p: &str| check_password_policy(p).err().map(|e| e.message);
        assert_eq!(msg("Ab1!"), Some("Password did not conform with policy: Password not long enough".into()));
        assert_eq!(
            msg("abcdefg1!"),
            Some("Password did not conform with policy: Password must have uppercase characters".into())
        );
        assert_eq!(
            msg("Abcdefgh!"),
            Some("Password did not conform with policy: Password must have numeric characters".into())
        );
        assert_eq!(
            msg("Abcdefgh1"),
            Some("Password did not conform with policy: Password must have symbol characters".into())
        );
        assert_eq!(msg("Abcdefg1!"), None);
    }

    #[test]
    fn masks_destinations_like_cognito() {
        assert_eq!(masked_destination("learner@example.com"), "l***@e***");
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("alice"));
    }
}
