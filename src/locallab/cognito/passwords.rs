//! Changing a password: `ForgotPassword` sends a code to the user's verified email (into the
//! outbox, as sign-up does), `ConfirmForgotPassword` sets a new password with that code, and
//! `ChangePassword` replaces the password of a user who is signed in (an access token).
//!
//! Every new password gets its SRP verifier with it, derived before the pool's lock is taken
//! ([`PreparedPassword`]), so SRP sign-ins follow the change at once.

use serde::Deserialize;

use super::admin::user_of_access_token;
use super::call::Call;
use super::errors::{
    check_password_policy, check_secret_hash, invalid_parameter, no_such_user, not_authorized, user_not_found,
    wrong_credentials,
};
use super::input::required;
use super::model::{OutboxMessage, PreparedPassword, ResetCode, UserStatus};
use super::output::{CodeDeliveryDetails, CodeSent, Empty, Observed, Observes};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::wire::ApiError;
use crate::secret::Secret;

/// How long a reset code can be used: an hour, as Cognito's.
pub const RESET_CODE_MS: Millis = 60 * 60 * 1000;

/// The scope an access token needs for the calls users make about their own account.
const USER_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PasswordInput {
    client_id: Option<String>,
    username: Option<String>,
    secret_hash: Option<String>,
    confirmation_code: Option<String>,
    password: Option<String>,
    access_token: Option<String>,
    previous_password: Option<String>,
    proposed_password: Option<String>,
}

impl Observes for PasswordInput {
    fn observed(&self) -> Option<Observed> {
        self.secret_hash.as_ref().map(|_| Observed::SecretHash)
    }
}

fn code_mismatch() -> ApiError {
    ApiError::bad_request("CodeMismatchException", "Invalid verification code provided, please try again.")
}

pub fn forgot_password(call: &Call, input: PasswordInput) -> Result<CodeSent, ApiError> {
    let &Call { ctx, cognito } = call;
    let client_id = required(&input.client_id, "ClientId")?;
    let username = required(&input.username, "Username")?;
    let now = ctx.now_ms();
    cognito.write(|s| {
        let client = s.client(client_id)?.clone();
        let found = s.find_user(&client.pool_id, username).cloned();
        let real_name = found.as_ref().map_or(username, |u| u.username.as_str());
        // Here a missing hash is "not authorized", where the sign-in calls say "invalid parameter".
        check_secret_hash(&client, &[username, real_name], input.secret_hash.as_deref())
            .map_err(|e| not_authorized(e.message))?;
        // Who cannot get a code (unknown, disabled, no verified email) gets, with
        // PreventUserExistenceErrors, the same answer as one who can: a code "sent" somewhere.
        let hide = client.prevent_user_existence_errors;
        let simulated = || CodeSent { code_delivery_details: CodeDeliveryDetails::email(username) };
        let Some(user) = found else {
            return if hide { Ok(simulated()) } else { Err(no_such_user()) };
        };
        if user.status == UserStatus::ForceChangePassword {
            return Err(not_authorized("User password cannot be reset in the current state."));
        }
        if !user.enabled {
            return if hide { Ok(simulated()) } else { Err(not_authorized("User is disabled.")) };
        }
        let verified = user.attributes.get("email_verified").is_some_and(|v| v == "true");
        let Some(email) = user.email().filter(|_| verified).map(str::to_string) else {
            return if hide {
                Ok(simulated())
            } else {
                Err(invalid_parameter(
                    "Cannot reset password for the user as there is no registered/verified email or phone_number",
                ))
            };
        };
        let code = Secret::new(ids::digits(6));
        s.post(OutboxMessage {
            id: ids::uuid(),
            at: now,
            to: email.clone(),
            subject: "Your password reset code".to_string(),
            body: format!(
                "A new password was asked for this account. Your code is {}. If you did not ask, ignore this message.",
                code.expose()
            ),
            code: Some(code.expose().to_string()),
            link: None,
        });
        s.update_user(&user.pool_id, &user.username, |u| {
            u.reset = Some(ResetCode { code, expires: now + RESET_CODE_MS });
        });
        Ok(CodeSent { code_delivery_details: CodeDeliveryDetails::email(&email) })
    })
}

pub fn confirm_forgot_password(call: &Call, input: PasswordInput) -> Result<Empty, ApiError> {
    let &Call { ctx, cognito } = call;
    let client_id = required(&input.client_id, "ClientId")?;
    let username = required(&input.username, "Username")?;
    let code = required(&input.confirmation_code, "ConfirmationCode")?;
    let password = required(&input.password, "Password")?;
    let now = ctx.now_ms();
    // The slow part of a new password derived outside the lock, for a user with a reset under way.
    let prepared = cognito
        .read(|s| {
            let client = s.client(client_id).ok()?;
            let user = s.find_user(&client.pool_id, username).filter(|u| u.reset.is_some())?;
            check_password_policy(password).ok()?;
            Some((client.pool_id.clone(), user.username.clone()))
        })
        .map(|(pool_id, sub)| PreparedPassword::new(&pool_id, &sub, password));
    cognito.write(|s| {
        let client = s.client(client_id)?.clone();
        let found = s.find_user(&client.pool_id, username).cloned();
        let real_name = found.as_ref().map_or(username, |u| u.username.as_str());
        check_secret_hash(&client, &[username, real_name], input.secret_hash.as_deref())?;
        check_password_policy(password)?;
        let Some(user) = found else {
            return Err(if client.prevent_user_existence_errors { code_mismatch() } else { no_such_user() });
        };
        let Some(reset) = &user.reset else { return Err(code_mismatch()) };
        if aws_lc_rs::constant_time::verify_slices_are_equal(reset.code.expose().as_bytes(), code.as_bytes()).is_err() {
            return Err(code_mismatch());
        }
        if reset.expires <= now {
            return Err(ApiError::bad_request(
                "ExpiredCodeException",
                "Invalid code provided, please request a code again.",
            ));
        }
        s.update_user(&user.pool_id, &user.username, |u| {
            u.set_prepared_password(prepared, password);
            u.reset = None;
            u.modified = now;
        });
        Ok(Empty {})
    })
}

pub fn change_password(call: &Call, input: PasswordInput) -> Result<Empty, ApiError> {
    let &Call { ctx, cognito } = call;
    let token = required(&input.access_token, "AccessToken")?;
    let proposed = required(&input.proposed_password, "ProposedPassword")?;
    let user = user_of_access_token(ctx, cognito, token)?;
    // The token verified; its scope says what it may do.
    let scope = crate::token::decode_unverified(token)
        .and_then(|(_, claims)| claims.get("scope")?.as_str().map(String::from))
        .unwrap_or_default();
    if !scope.split(' ').any(|s| s == USER_ADMIN_SCOPE) {
        return Err(not_authorized("Access Token does not have required scopes"));
    }
    let previous = required(&input.previous_password, "PreviousPassword")?;
    check_password_policy(proposed)?;
    let now = ctx.now_ms();
    let previous_matches =
        cognito.read(|s| s.find_user(&user.pool_id, &user.username).is_some_and(|u| u.password.matches(previous)));
    let prepared = previous_matches.then(|| PreparedPassword::new(&user.pool_id, &user.username, proposed));
    cognito.write(|s| {
        let changed = s.update_user(&user.pool_id, &user.username, |u| {
            if !u.password.matches(previous) {
                return Err(wrong_credentials());
            }
            u.set_prepared_password(prepared, proposed);
            u.modified = now;
            Ok(Empty {})
        });
        changed.ok_or_else(user_not_found)?
    })
}
