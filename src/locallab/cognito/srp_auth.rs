//! SRP sign-in (`USER_SRP_AUTH` → `PASSWORD_VERIFIER` → `RespondToAuthChallenge`), as Amplify,
//! `amazon-cognito-identity-js` and pycognito do it against Cognito. The arithmetic is
//! [`crate::srp`]'s; this is the flow around it: the flow and the secret hash enforced as for
//! the password flows, the challenge kept in memory (never in the store) under its secret
//! block, and every failure to prove the password answered as a wrong password.
//!
//! The modular exponentiations run outside the slice's lock, so SRP sign-ins do not hold up
//! the other calls.

use std::collections::BTreeMap;

use super::errors::{
    check_flow, check_secret_hash, client_not_found, expired_session, invalid_parameter, user_not_found,
    wrong_credentials,
};
use super::input::{InitiateAuth, RespondToAuthChallenge, required};
use super::signin::{after_password, answer, check_admin_client};
use super::state::{CognitoState, SrpSession};
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;
use crate::srp::{self, PasswordVerifier, SrpError};

use super::output::AuthOutput;

type OpResult = Result<AuthOutput, ApiError>;

fn parameter<'a>(map: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    map.get(name).map(String::as_str).ok_or_else(|| invalid_parameter(format!("Missing required parameter {name}")))
}

/// A verifier no password matches, for a user who does not exist or has none stored.
fn unmatchable(pool_id: &str, user_id: &str) -> Result<PasswordVerifier, ApiError> {
    PasswordVerifier::new(pool_id, user_id, &ids::alnum(32)).map_err(internal)
}

fn internal(e: SrpError) -> ApiError {
    ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", e.to_string())
}

/// True for the calls this module answers: `USER_SRP_AUTH` sign-ins and their challenge.
pub fn is_srp(flow_or_challenge: Option<&str>) -> bool {
    matches!(flow_or_challenge, Some("USER_SRP_AUTH" | "PASSWORD_VERIFIER"))
}

/// `InitiateAuth` (or the admin variant) with `USER_SRP_AUTH`: the `PASSWORD_VERIFIER`
/// challenge for `SRP_A`.
pub fn begin(ctx: &AccountContext, cognito: &Slice<CognitoState>, input: InitiateAuth, admin: bool) -> OpResult {
    let client_id = required(&input.client_id, "ClientId")?;
    let flow = required(&input.auth_flow, "AuthFlow")?;
    let auth = &input.auth_parameters;
    if admin {
        check_admin_client(cognito, client_id, required(&input.user_pool_id, "UserPoolId")?)?;
    }
    let (pool_id, username, user_id, verifier) = cognito.read(|s| {
        let client = s.client(client_id)?;
        check_flow(client, flow, "ALLOW_USER_SRP_AUTH")?;
        let name = parameter(auth, "USERNAME")?;
        parameter(auth, "SRP_A")?;
        let found = s.find_user(&client.pool_id, name);
        let real_name = found.map(|u| u.username.as_str()).unwrap_or(name);
        check_secret_hash(client, &[name, real_name], auth.get("SECRET_HASH").map(String::as_str))?;
        match found {
            Some(user) => {
                Ok((client.pool_id.clone(), Some(user.username.clone()), real_name.to_string(), user.srp.clone()))
            }
            None if client.prevent_user_existence_errors => Ok((client.pool_id.clone(), None, name.to_string(), None)),
            None => Err(user_not_found()),
        }
    })?;
    let verifier = match verifier {
        Some(verifier) => verifier,
        None => unmatchable(&pool_id, &user_id)?,
    };
    let srp_a = parameter(auth, "SRP_A")?;
    let (challenge, pending) = srp::begin_challenge(&pool_id, &user_id, &verifier, srp_a).map_err(|e| match e {
        SrpError::MalformedA | SrpError::IllegalA | SrpError::ZeroU => invalid_parameter(format!("SRP_A: {e}")),
        other => internal(other),
    })?;
    let now = ctx.now_ms();
    cognito.write(|s| {
        let session = SrpSession { pool_id: pool_id.clone(), client_id: client_id.to_string(), username };
        s.srp_challenges.insert(pending, session, now);
        Ok(())
    })?;
    let parameters = [
        ("SALT", challenge.salt),
        ("SECRET_BLOCK", challenge.secret_block),
        ("SRP_B", challenge.srp_b),
        ("USERNAME", user_id.clone()),
        ("USER_ID_FOR_SRP", user_id),
    ];
    Ok(AuthOutput::challenge("PASSWORD_VERIFIER", None, parameters.into()))
}

/// `RespondToAuthChallenge` (or the admin variant) with `PASSWORD_VERIFIER`: checks the
/// password claim and signs in. Cognito sends no session with this challenge: the secret
/// block identifies it.
pub fn respond(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    input: RespondToAuthChallenge,
    admin: bool,
) -> OpResult {
    let client_id = required(&input.client_id, "ClientId")?;
    let pool_id = if admin { Some(required(&input.user_pool_id, "UserPoolId")?) } else { None };
    let responses = &input.challenge_responses;
    let block = parameter(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
    let signature = parameter(responses, "PASSWORD_CLAIM_SIGNATURE")?;
    let timestamp = parameter(responses, "TIMESTAMP")?;
    let name = parameter(responses, "USERNAME")?;
    let now = ctx.now_ms();
    let step = cognito.write(|s| {
        let client = s.client(client_id)?.clone();
        if pool_id.is_some_and(|p| p != client.pool_id) {
            return Err(client_not_found(client_id));
        }
        // A challenge is answered once, right or wrong.
        let (pending, session) = s.srp_challenges.take(block, now).ok_or_else(expired_session)?;
        if session.client_id != client.id {
            return Err(expired_session());
        }
        let real_name = session.username.clone().unwrap_or_else(|| name.to_string());
        check_secret_hash(&client, &[name, &real_name], responses.get("SECRET_HASH").map(String::as_str))?;
        s.lockouts.check(&session.pool_id, &real_name, now)?;
        if pending.verify(block, timestamp, signature).is_err() {
            s.lockouts.failed(&session.pool_id, &real_name, now);
            return Err(wrong_credentials());
        }
        let Some(username) = session.username else {
            s.lockouts.failed(&session.pool_id, &real_name, now);
            return Err(wrong_credentials());
        };
        s.lockouts.succeeded(&session.pool_id, &real_name);
        let pool = s.pool(&session.pool_id)?.clone();
        let user = s.find_user(&pool.id, &username).cloned().ok_or_else(wrong_credentials)?;
        after_password(s, &pool, &client, &user, now)
    })?;
    answer(ctx, cognito, step)
}
