//! Cognito's operation table: one row per operation the lab answers, naming its input type (in
//! the handler's signature), whether AWS wants it signed (and, when not, how the caller's
//! account is found), and the function that answers it. Everything that asks about an
//! operation by name (the dispatch, the router's signature rule, the room's account lookup)
//! reads this table; no other list of operation names exists.

use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::input::{self, InitiateAuth, RespondToAuthChallenge};
use super::output::{AuthOutput, Observed, Observes};
use super::passwords::PasswordInput;
use super::sessions::SessionInput;
use super::state::CognitoState;
use super::{admin, describe, passwords, sessions, signin, signup, srp_auth};
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::signing::Signing;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;

/// What an operation works on: the account and its Cognito state.
pub struct Call<'a> {
    pub ctx: &'a AccountContext,
    pub cognito: &'a Slice<CognitoState>,
}

/// One row of the table.
pub struct Operation {
    pub name: &'static str,
    pub signing: Signing,
    /// Reads the input from the JSON body, answers, and writes the output as JSON.
    run: fn(&Call, &[u8]) -> Result<Done, ApiError>,
}

/// An operation that succeeded: its answer, and what its input and output showed.
pub struct Done {
    pub body: Value,
    pub observed: Vec<Observed>,
}

use Signing::{ByAccessToken, ByClientId, Signed};

/// Every operation the lab answers, in alphabetical order.
const OPERATIONS: &[Operation] = &[
    row("AdminConfirmSignUp", Signed, |c, b| {
        run(c, b, |c, i: input::AdminUser| admin::admin_confirm_sign_up(c.ctx, c.cognito, i))
    }),
    row("AdminCreateUser", Signed, |c, b| {
        run(c, b, |c, i: input::AdminCreateUser| admin::admin_create_user(c.ctx, c.cognito, i))
    }),
    row("AdminDeleteUser", Signed, |c, b| run(c, b, |c, i: input::AdminUser| admin::admin_delete_user(c.cognito, i))),
    row("AdminDisableUser", Signed, |c, b| {
        run(c, b, |c, i: input::AdminUser| admin::admin_set_enabled(c.ctx, c.cognito, i, false))
    }),
    row("AdminEnableUser", Signed, |c, b| {
        run(c, b, |c, i: input::AdminUser| admin::admin_set_enabled(c.ctx, c.cognito, i, true))
    }),
    row("AdminGetUser", Signed, |c, b| run(c, b, |c, i: input::AdminUser| admin::admin_get_user(c.cognito, i))),
    row("AdminInitiateAuth", Signed, |c, b| run(c, b, |c, i: InitiateAuth| initiate_auth(c, i, true))),
    row("AdminRespondToAuthChallenge", Signed, |c, b| {
        run(c, b, |c, i: RespondToAuthChallenge| respond_to_auth_challenge(c, i, true))
    }),
    row("AdminSetUserPassword", Signed, |c, b| {
        run(c, b, |c, i: input::AdminSetUserPassword| admin::admin_set_user_password(c.ctx, c.cognito, i))
    }),
    row("AdminUpdateUserAttributes", Signed, |c, b| {
        run(c, b, |c, i: input::AdminUpdateUserAttributes| admin::admin_update_user_attributes(c.ctx, c.cognito, i))
    }),
    row("AdminUserGlobalSignOut", Signed, |c, b| {
        run(c, b, |c, i: SessionInput| sessions::admin_user_global_sign_out(c.cognito, i))
    }),
    row("ChangePassword", ByAccessToken, |c, b| {
        run(c, b, |c, i: PasswordInput| passwords::change_password(c.ctx, c.cognito, i))
    }),
    row("ConfirmForgotPassword", ByClientId, |c, b| {
        run(c, b, |c, i: PasswordInput| passwords::confirm_forgot_password(c.ctx, c.cognito, i))
    }),
    row("ConfirmSignUp", ByClientId, |c, b| {
        run(c, b, |c, i: input::ConfirmSignUp| signup::confirm_sign_up(c.ctx, c.cognito, i))
    }),
    row("DescribeUserPool", Signed, |c, b| {
        run(c, b, |c, i: input::PoolInput| describe::describe_user_pool(c.cognito, i))
    }),
    row("DescribeUserPoolClient", Signed, |c, b| {
        run(c, b, |c, i: input::PoolInput| describe::describe_user_pool_client(c.ctx, c.cognito, i))
    }),
    row("DescribeUserPoolDomain", Signed, |c, b| {
        run(c, b, |c, i: SessionInput| sessions::describe_user_pool_domain(c.ctx, c.cognito, i))
    }),
    row("ForgotPassword", ByClientId, |c, b| {
        run(c, b, |c, i: PasswordInput| passwords::forgot_password(c.ctx, c.cognito, i))
    }),
    row("GetSigningCertificate", Signed, |c, b| {
        run(c, b, |c, i: input::PoolInput| describe::get_signing_certificate(c.cognito, i))
    }),
    row("GetUser", ByAccessToken, |c, b| run(c, b, |c, i: input::GetUser| admin::get_user(c.ctx, c.cognito, i))),
    row("GlobalSignOut", ByAccessToken, |c, b| {
        run(c, b, |c, i: SessionInput| sessions::global_sign_out(c.ctx, c.cognito, i))
    }),
    row("InitiateAuth", ByClientId, |c, b| run(c, b, |c, i: InitiateAuth| initiate_auth(c, i, false))),
    row("ListUserPoolClients", Signed, |c, b| {
        run(c, b, |c, i: input::PoolInput| describe::list_user_pool_clients(c.cognito, i))
    }),
    row("ListUserPools", Signed, |c, b| run(c, b, |c, i: input::PoolInput| describe::list_user_pools(c.cognito, i))),
    row("ListUsers", Signed, |c, b| run(c, b, |c, i: SessionInput| sessions::list_users(c.cognito, i))),
    row("ResendConfirmationCode", ByClientId, |c, b| {
        run(c, b, |c, i: input::ResendConfirmationCode| signup::resend_confirmation_code(c.ctx, c.cognito, i))
    }),
    row("RespondToAuthChallenge", ByClientId, |c, b| {
        run(c, b, |c, i: RespondToAuthChallenge| respond_to_auth_challenge(c, i, false))
    }),
    row("RevokeToken", ByClientId, |c, b| run(c, b, |c, i: SessionInput| sessions::revoke_token(c.cognito, i))),
    row("SignUp", ByClientId, |c, b| run(c, b, |c, i: input::SignUp| signup::sign_up(c.ctx, c.cognito, i))),
];

const fn row(name: &'static str, signing: Signing, run: fn(&Call, &[u8]) -> Result<Done, ApiError>) -> Operation {
    Operation { name, signing, run }
}

/// Reads `I` from the body, answers with `handler`, and writes its output.
fn run<I: DeserializeOwned + Observes, O: Serialize + Observes>(
    call: &Call,
    body: &[u8],
    handler: impl FnOnce(&Call, I) -> Result<O, ApiError>,
) -> Result<Done, ApiError> {
    let input: I = input::parse(body)?;
    let from_input = input.observed();
    let output = handler(call, input)?;
    let observed = from_input.into_iter().chain(output.observed()).collect();
    // Through a `Value`, whose members are in alphabetical order, as the answers always were.
    let body = serde_json::to_value(&output).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalErrorException",
            format!("The answer could not be written: {e}"),
        )
    })?;
    Ok(Done { body, observed })
}

/// The row of `name`, if the lab answers it.
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.name == name)
}

/// How a call to `name` must be signed. An operation the lab does not know is let through
/// unsigned (its account found by client id), so that its caller hears "not implemented"
/// rather than a refusal of credentials.
pub fn signing(name: &str) -> Signing {
    find(name).map_or(ByClientId, |op| op.signing)
}

impl Operation {
    pub fn answer(&self, call: &Call, body: &[u8]) -> Result<Done, ApiError> {
        (self.run)(call, body)
    }
}

/// `InitiateAuth` and `AdminInitiateAuth`: SRP or the password and refresh-token flows.
fn initiate_auth(call: &Call, input: InitiateAuth, admin: bool) -> Result<AuthOutput, ApiError> {
    if srp_auth::is_srp(input.auth_flow.as_deref()) {
        srp_auth::begin(call.ctx, call.cognito, input, admin)
    } else {
        signin::initiate_auth(call.ctx, call.cognito, input, admin)
    }
}

/// `RespondToAuthChallenge` and its admin twin: SRP's proof, or the new password.
fn respond_to_auth_challenge(call: &Call, input: RespondToAuthChallenge, admin: bool) -> Result<AuthOutput, ApiError> {
    if srp_auth::is_srp(input.challenge_name.as_deref()) {
        srp_auth::respond(call.ctx, call.cognito, input, admin)
    } else {
        signin::respond_to_auth_challenge(call.ctx, call.cognito, input, admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_operation_once_in_order() {
        let names: Vec<&str> = OPERATIONS.iter().map(|op| op.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
