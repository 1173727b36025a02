//! Signing up: `SignUp`, `ConfirmSignUp`, `ResendConfirmationCode`, the confirmation link in
//! the "email", and the outbox where those emails land.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::call::Call;
use super::errors::{
    check_password_policy, check_secret_hash, invalid_parameter, looks_like_email, no_such_user, not_authorized,
    user_not_found,
};
use super::input::{ConfirmSignUp, ResendConfirmationCode, SignUp, attribute_map, required};
use super::model::{OutboxMessage, PasswordSet, User, UserStatus};
use super::output::{CodeDeliveryDetails, CodeSent, Confirmed, SignUpOutput};
use super::state::CognitoState;
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;
use crate::secret::Secret;

type OpResult = Result<Value, ApiError>;

/// Puts the confirmation "email" in the outbox (and the log) and returns its code.
fn send_confirmation(
    ctx: &AccountContext,
    state: &mut CognitoState,
    client_id: &str,
    user: &User,
    now: Millis,
) -> Secret {
    let code = Secret::new(ids::digits(6));
    let email = user.email().unwrap_or(&user.username).to_string();
    let link = format!(
        "{}/confirmUser?client_id={client_id}&user_name={}&confirmation_code={}",
        ctx.urls.aws_endpoint,
        form_urlencoded::byte_serialize(user.username.as_bytes()).collect::<String>(),
        code.expose()
    );
    state.post(OutboxMessage {
        id: ids::uuid(),
        at: now,
        to: email,
        subject: "Your verification code".to_string(),
        body: format!("Your confirmation code is {}. Or open this link to verify your email: {link}", code.expose()),
        code: Some(code.expose().to_string()),
        link: Some(link),
    });
    code
}

pub fn sign_up(call: &Call, input: SignUp) -> Result<SignUpOutput, ApiError> {
    let &Call { ctx, cognito } = call;
    let client_id = required(&input.client_id, "ClientId")?;
    let username = required(&input.username, "Username")?;
    let password = required(&input.password, "Password")?;
    let attributes = attribute_map(&input.user_attributes);
    let sub = register(ctx, cognito, client_id, username, password, attributes, Some(input.secret_hash.as_deref()))?;
    Ok(SignUpOutput {
        user_confirmed: false,
        user_sub: sub,
        code_delivery_details: CodeDeliveryDetails::email(username),
    })
}

/// Creates an unconfirmed user and sends the confirmation email; gives the user's `sub`.
/// `secret_hash: None` is the hosted UI's way, which holds the client's secret itself.
pub(super) fn register(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    client_id: &str,
    username: &str,
    password: &str,
    mut attributes: BTreeMap<String, String>,
    secret_hash: Option<Option<&str>>,
) -> Result<String, ApiError> {
    let now = ctx.now_ms();
    let exists = || ApiError::bad_request("UsernameExistsException", "An account with the given email already exists.");
    // The refusals first, in Cognito's order, under a read; the password's hash and SRP
    // verifier (the slow part) outside any lock; then only the insert under the write lock.
    let pool_id = cognito.read(|s| {
        let client = s.client(client_id)?;
        if let Some(hash) = secret_hash {
            check_secret_hash(client, &[username], hash)?;
        }
        if !looks_like_email(username) {
            return Err(invalid_parameter("Username should be an email."));
        }
        if s.find_user(&client.pool_id, username).is_some() {
            return Err(exists());
        }
        Ok(client.pool_id.clone())
    })?;
    check_password_policy(password)?;
    let sub = ids::uuid();
    attributes.insert("sub".to_string(), sub.clone());
    attributes.insert("email".to_string(), username.to_string());
    attributes.insert("email_verified".to_string(), "false".to_string());
    let set = PasswordSet::new(&pool_id, &sub, password);
    cognito.write(|s| {
        s.client(client_id)?;
        if s.find_user(&pool_id, username).is_some() {
            return Err(exists());
        }
        s.check_room_for_user(&pool_id, ctx.users_per_pool)?;
        let mut user = User::new(&pool_id, &sub, attributes, set, UserStatus::Unconfirmed, now);
        user.confirmation_code = Some(send_confirmation(ctx, s, client_id, &user, now));
        s.put_user(user);
        Ok(sub)
    })
}

/// Confirms `name` in the client's pool with `code`; `secret_hash: None` is the link's way,
/// which Cognito's own page follows on the user's behalf.
pub(super) fn confirm(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    client_id: &str,
    name: &str,
    code: &str,
    secret_hash: Option<Option<&str>>,
) -> Result<(), ApiError> {
    let now = ctx.now_ms();
    cognito.write(|s| {
        let client = s.client(client_id)?.clone();
        let found = s.find_user(&client.pool_id, name).cloned();
        if let Some(hash) = secret_hash {
            let real_name = found.as_ref().map(|u| u.username.as_str()).unwrap_or(name);
            check_secret_hash(&client, &[name, real_name], hash)?;
        }
        let user = found.ok_or_else(no_such_user)?;
        if user.status != UserStatus::Unconfirmed {
            return Err(not_authorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        let expected = user.confirmation_code.as_ref().map(Secret::expose).unwrap_or_default();
        if expected.is_empty()
            || aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), code.as_bytes()).is_err()
        {
            return Err(ApiError::bad_request(
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
            ));
        }
        s.update_user(&client.pool_id, &user.username, |u| {
            u.status = UserStatus::Confirmed;
            u.confirmation_code = None;
            u.attributes.insert("email_verified".to_string(), "true".to_string());
            u.modified = now;
        });
        Ok(())
    })
}

pub fn confirm_sign_up(call: &Call, input: ConfirmSignUp) -> Result<Confirmed, ApiError> {
    let &Call { ctx, cognito } = call;
    let client_id = required(&input.client_id, "ClientId")?;
    let username = required(&input.username, "Username")?;
    let code = required(&input.confirmation_code, "ConfirmationCode")?;
    // A missing hash is refused by check_secret_hash for clients with a secret.
    confirm(ctx, cognito, client_id, username, code, Some(input.secret_hash.as_deref()))?;
    Ok(Confirmed {})
}

pub fn resend_confirmation_code(call: &Call, input: ResendConfirmationCode) -> Result<CodeSent, ApiError> {
    let &Call { ctx, cognito } = call;
    let client_id = required(&input.client_id, "ClientId")?;
    let username = required(&input.username, "Username")?;
    let now = ctx.now_ms();
    cognito.write(|s| {
        let client = s.client(client_id)?.clone();
        let found = s.find_user(&client.pool_id, username).cloned();
        let real_name = found.as_ref().map(|u| u.username.as_str()).unwrap_or(username);
        check_secret_hash(&client, &[username, real_name], input.secret_hash.as_deref())?;
        let user = found.ok_or_else(no_such_user)?;
        if user.status != UserStatus::Unconfirmed {
            return Err(invalid_parameter("User is already confirmed."));
        }
        let code = send_confirmation(ctx, s, client_id, &user, now);
        s.update_user(&client.pool_id, &user.username, |u| u.confirmation_code = Some(code));
        Ok(CodeSent { code_delivery_details: CodeDeliveryDetails::email(user.email().unwrap_or(username)) })
    })
}

/// `GET /_walab/confirm?client_id=…&user_name=…&confirmation_code=…`: the link in the email.
pub fn confirm_link(ctx: &AccountContext, cognito: &Slice<CognitoState>, query: &BTreeMap<String, String>) -> OpResult {
    let (Some(client_id), Some(user), Some(code)) =
        (query.get("client_id"), query.get("user_name"), query.get("confirmation_code"))
    else {
        return Err(invalid_parameter("The link needs client_id, user_name and confirmation_code"));
    };
    match confirm(ctx, cognito, client_id, user, code, None) {
        Ok(()) => Ok(json!({ "message": "Your registration has been confirmed." })),
        Err(e) if e.code == "UserNotFoundException" => Err(user_not_found()),
        Err(e) => Err(e),
    }
}

/// The messages Cognito would have emailed, oldest first.
pub fn outbox(cognito: &Slice<CognitoState>) -> Vec<OutboxMessage> {
    cognito.read(|s| s.outbox.values().cloned().collect())
}
