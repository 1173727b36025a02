//! The administrator's calls on users: create, set a password, read, change attributes,
//! confirm, delete, disable and enable; and `GetUser`, which a user makes about themself with
//! an access token.

use serde_json::Value;

use super::call::Call;
use super::errors::{check_password_policy, invalid_parameter, looks_like_email, not_authorized, user_not_found};
use super::input::{
    AdminCreateUser, AdminSetUserPassword, AdminUpdateUserAttributes, AdminUser, GetUser, attribute_map, required,
};
use super::model::{OutboxMessage, PasswordSet, PreparedPassword, User, UserStatus};
use super::output::{
    AdminCreateUserOutput, AdminGetUserOutput, Confirmed, Empty, GetUserOutput, UserType, attribute_list,
};
use super::state::CognitoState;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;
use crate::token::{TokenError, TokenUse};

/// Changes the user `name` (username or email) of pool `pool_id`.
fn with_user<R>(
    cognito: &Slice<CognitoState>,
    pool_id: &str,
    name: &str,
    f: impl FnOnce(&mut User) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    cognito.write(|s| {
        s.pool(pool_id)?;
        let username = s.find_user(pool_id, name).map(|u| u.username.clone()).ok_or_else(user_not_found)?;
        s.update_user(pool_id, &username, f).ok_or_else(user_not_found)?
    })
}

pub fn admin_create_user(call: &Call, input: AdminCreateUser) -> Result<AdminCreateUserOutput, ApiError> {
    let &Call { ctx, cognito } = call;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let username = required(&input.username, "Username")?;
    let mut attributes = attribute_map(&input.user_attributes);
    let temporary = match &input.temporary_password {
        Some(t) => {
            check_password_policy(t)?;
            t.clone()
        }
        None => format!("Tmp{}#1a", ids::alnum(9)),
    };
    let now = ctx.now_ms();
    let exists = || ApiError::bad_request("UsernameExistsException", "User account already exists");
    // Refused under a read, the password derived outside any lock, stored under the write.
    cognito.read(|s| {
        s.pool(pool_id)?;
        if !looks_like_email(username) {
            return Err(invalid_parameter("Username should be an email."));
        }
        if s.find_user(pool_id, username).is_some() {
            return Err(exists());
        }
        Ok(())
    })?;
    let sub = ids::uuid();
    let password = PasswordSet::new(pool_id, &sub, &temporary);
    cognito.write(|s| {
        s.pool(pool_id)?;
        if s.find_user(pool_id, username).is_some() {
            return Err(exists());
        }
        s.check_room_for_user(pool_id, ctx.users_per_pool)?;
        attributes.insert("sub".to_string(), sub.clone());
        attributes.insert("email".to_string(), username.to_string());
        attributes.entry("email_verified".to_string()).or_insert_with(|| "false".to_string());
        let user = User::new(pool_id, &sub, attributes, password, UserStatus::ForceChangePassword, now);
        if input.message_action.as_deref() != Some("SUPPRESS") {
            s.post(OutboxMessage {
                id: ids::uuid(),
                at: now,
                to: username.to_string(),
                subject: "Your temporary password".to_string(),
                body: format!("Your username is {username} and temporary password is {temporary}."),
                code: None,
                link: None,
            });
        }
        let body = AdminCreateUserOutput { user: UserType::of(&user) };
        s.put_user(user);
        Ok(body)
    })
}

pub fn admin_set_user_password(call: &Call, input: AdminSetUserPassword) -> Result<Empty, ApiError> {
    let &Call { ctx, cognito } = call;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let username = required(&input.username, "Username")?;
    let password = required(&input.password, "Password")?;
    let permanent = input.permanent.unwrap_or(false);
    check_password_policy(password)?;
    let now = ctx.now_ms();
    // Derived for the user found now, outside the lock; a user replaced meanwhile gets theirs.
    let mut prepared = cognito
        .read(|s| s.find_user(pool_id, username).map(|u| u.username.clone()))
        .map(|sub| PreparedPassword::new(pool_id, &sub, password));
    with_user(cognito, pool_id, username, |user| {
        user.set_prepared_password(prepared.take(), password);
        user.status = if permanent { UserStatus::Confirmed } else { UserStatus::ForceChangePassword };
        user.modified = now;
        Ok(Empty {})
    })
}

pub fn admin_get_user(call: &Call, input: AdminUser) -> Result<AdminGetUserOutput, ApiError> {
    let cognito = call.cognito;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let username = required(&input.username, "Username")?;
    cognito.read(|s| {
        s.pool(pool_id)?;
        let user = s.find_user(pool_id, username).ok_or_else(user_not_found)?;
        Ok(AdminGetUserOutput::of(user))
    })
}

/// The pool's schema: OpenID Connect's standard attributes, which the lab's pool has and no
/// custom ones. `sub` is among them but never changes.
const STANDARD_ATTRIBUTES: [&str; 20] = [
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "sub",
    "updated_at",
    "website",
    "zoneinfo",
];

pub fn admin_update_user_attributes(call: &Call, input: AdminUpdateUserAttributes) -> Result<Empty, ApiError> {
    let &Call { ctx, cognito } = call;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let username = required(&input.username, "Username")?;
    let Some(given) = &input.user_attributes else {
        return Err(invalid_parameter(
            "1 validation error detected: Value null at 'userAttributes' failed to satisfy constraint: Member must not be null",
        ));
    };
    for attribute in given {
        let name = required(&attribute.name, "Name")?;
        if !STANDARD_ATTRIBUTES.contains(&name) {
            return Err(invalid_parameter("Attribute does not exist in the schema."));
        }
        if name == "sub" {
            return Err(invalid_parameter("Cannot modify the non-mutable attribute sub"));
        }
        if name == "email" && !attribute.value.as_deref().is_some_and(looks_like_email) {
            return Err(invalid_parameter("Invalid email address format."));
        }
    }
    let updates = attribute_map(given);
    let now = ctx.now_ms();
    cognito.write(|s| {
        s.pool(pool_id)?;
        let user = s.find_user(pool_id, username).cloned().ok_or_else(user_not_found)?;
        let new_email =
            updates.get("email").filter(|e| !user.email().is_some_and(|old| old.eq_ignore_ascii_case(e.as_str())));
        if let Some(email) = new_email
            && s.find_user(pool_id, email).is_some_and(|other| other.username != user.username)
        {
            return Err(ApiError::bad_request(
                "AliasExistsException",
                "An account with the given email already exists.",
            ));
        }
        // A new email is unverified unless the same call says otherwise. (Cognito would also
        // send it a code for VerifyUserAttribute, which the local lab does not answer.)
        let unverified = new_email.is_some() && updates.get("email_verified").is_none_or(|v| v != "true");
        s.update_user(pool_id, &user.username, |u| {
            u.attributes.extend(updates.clone());
            if unverified {
                u.attributes.insert("email_verified".to_string(), "false".to_string());
            }
            u.modified = now;
        });
        Ok(Empty {})
    })
}

pub fn admin_confirm_sign_up(call: &Call, input: AdminUser) -> Result<Confirmed, ApiError> {
    let &Call { ctx, cognito } = call;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let username = required(&input.username, "Username")?;
    let now = ctx.now_ms();
    with_user(cognito, pool_id, username, |user| {
        if user.status != UserStatus::Unconfirmed {
            return Err(not_authorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        user.status = UserStatus::Confirmed;
        user.confirmation_code = None;
        user.modified = now;
        Ok(Confirmed {})
    })
}

pub fn admin_delete_user(call: &Call, input: AdminUser) -> Result<Empty, ApiError> {
    let cognito = call.cognito;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let username = required(&input.username, "Username")?;
    cognito.write(|s| {
        s.pool(pool_id)?;
        let real = s.find_user(pool_id, username).map(|u| u.username.clone()).ok_or_else(user_not_found)?;
        s.remove_user(pool_id, &real);
        Ok(Empty {})
    })
}

/// `AdminDisableUser` (`enabled: false`) and `AdminEnableUser`. A disabled user cannot sign in,
/// and, as Cognito revokes a disabled user's tokens, its sign-ins end.
pub fn admin_set_enabled(call: &Call, input: AdminUser, enabled: bool) -> Result<Empty, ApiError> {
    let &Call { ctx, cognito } = call;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let username = required(&input.username, "Username")?;
    let now = ctx.now_ms();
    cognito.write(|s| {
        s.pool(pool_id)?;
        let real = s.find_user(pool_id, username).map(|u| u.username.clone()).ok_or_else(user_not_found)?;
        s.update_user(pool_id, &real, |u| {
            u.enabled = enabled;
            u.modified = now;
        });
        if !enabled {
            s.end_sign_ins(pool_id, &real, None);
        }
        Ok(Empty {})
    })
}

pub fn get_user(call: &Call, input: GetUser) -> Result<GetUserOutput, ApiError> {
    let &Call { ctx, cognito } = call;
    let token = required(&input.access_token, "AccessToken")?;
    let user = user_of_access_token(ctx, cognito, token)?;
    Ok(GetUserOutput { username: user.username, user_attributes: attribute_list(&user.attributes) })
}

/// The user an access token was issued to, once it verifies and its sign-in has not been
/// ended by a global sign-out or a revoked refresh token.
pub(super) fn user_of_access_token(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    token: &str,
) -> Result<User, ApiError> {
    // The pool is the one the token claims to come from; the verifier then checks that claim.
    let pool_id = crate::token::claimed_pool(token).ok_or_else(|| not_authorized("Invalid Access Token"))?;
    let claims = super::verify_for_pool(ctx, cognito, &pool_id, token, TokenUse::Access).map_err(|e| match e {
        TokenError::Expired { .. } => not_authorized("Access Token has expired"),
        _ => not_authorized("Invalid Access Token"),
    })?;
    let username = claims.get("username").and_then(Value::as_str).unwrap_or_default();
    let origin = claims.get("origin_jti").and_then(Value::as_str).unwrap_or_default();
    cognito.read(|s| {
        let user = s.find_user(&pool_id, username).ok_or_else(user_not_found)?;
        if user.revoked_origins.iter().any(|o| o == origin) {
            return Err(not_authorized("Access Token has been revoked"));
        }
        Ok(user.clone())
    })
}
