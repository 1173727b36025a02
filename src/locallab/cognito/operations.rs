//! Cognito's operation table: one row per operation the lab answers, naming whether AWS wants
//! it signed (and, when not, how the caller's account is found) and the function that answers
//! it, `fn(&Call, Input) -> Result<Output, ApiError>`, whose types say how the body is read
//! and the answer written. Everything that asks about an operation by name (the dispatch, the
//! router's signature rule, the room's account lookup) reads this table; no other list of
//! operation names exists.

use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use super::call::Call;
use super::input::{self, InitiateAuth, RespondToAuthChallenge};
use super::output::{AuthOutput, Observed, Observes};
use super::{admin, describe, passwords, sessions, signin, signup, srp_auth};
use crate::locallab::machinery::signing::Signing;
use crate::locallab::machinery::wire::ApiError;

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
    row("AdminConfirmSignUp", Signed, |c, b| run(c, b, admin::admin_confirm_sign_up)),
    row("AdminCreateUser", Signed, |c, b| run(c, b, admin::admin_create_user)),
    row("AdminDeleteUser", Signed, |c, b| run(c, b, admin::admin_delete_user)),
    row("AdminDisableUser", Signed, |c, b| run(c, b, |c, i: input::AdminUser| admin::admin_set_enabled(c, i, false))),
    row("AdminEnableUser", Signed, |c, b| run(c, b, |c, i: input::AdminUser| admin::admin_set_enabled(c, i, true))),
    row("AdminGetUser", Signed, |c, b| run(c, b, admin::admin_get_user)),
    row("AdminInitiateAuth", Signed, |c, b| run(c, b, |c, i: InitiateAuth| initiate_auth(c, i, true))),
    row("AdminRespondToAuthChallenge", Signed, |c, b| {
        run(c, b, |c, i: RespondToAuthChallenge| respond_to_auth_challenge(c, i, true))
    }),
    row("AdminSetUserPassword", Signed, |c, b| run(c, b, admin::admin_set_user_password)),
    row("AdminUpdateUserAttributes", Signed, |c, b| run(c, b, admin::admin_update_user_attributes)),
    row("AdminUserGlobalSignOut", Signed, |c, b| run(c, b, sessions::admin_user_global_sign_out)),
    row("ChangePassword", ByAccessToken, |c, b| run(c, b, passwords::change_password)),
    row("ConfirmForgotPassword", ByClientId, |c, b| run(c, b, passwords::confirm_forgot_password)),
    row("ConfirmSignUp", ByClientId, |c, b| run(c, b, signup::confirm_sign_up)),
    row("DescribeUserPool", Signed, |c, b| run(c, b, describe::describe_user_pool)),
    row("DescribeUserPoolClient", Signed, |c, b| run(c, b, describe::describe_user_pool_client)),
    row("DescribeUserPoolDomain", Signed, |c, b| run(c, b, sessions::describe_user_pool_domain)),
    row("ForgotPassword", ByClientId, |c, b| run(c, b, passwords::forgot_password)),
    row("GetSigningCertificate", Signed, |c, b| run(c, b, describe::get_signing_certificate)),
    row("GetUser", ByAccessToken, |c, b| run(c, b, admin::get_user)),
    row("GlobalSignOut", ByAccessToken, |c, b| run(c, b, sessions::global_sign_out)),
    row("InitiateAuth", ByClientId, |c, b| run(c, b, |c, i: InitiateAuth| initiate_auth(c, i, false))),
    row("ListUserPoolClients", Signed, |c, b| run(c, b, describe::list_user_pool_clients)),
    row("ListUserPools", Signed, |c, b| run(c, b, describe::list_user_pools)),
    row("ListUsers", Signed, |c, b| run(c, b, sessions::list_users)),
    row("ResendConfirmationCode", ByClientId, |c, b| run(c, b, signup::resend_confirmation_code)),
    row("RespondToAuthChallenge", ByClientId, |c, b| {
        run(c, b, |c, i: RespondToAuthChallenge| respond_to_auth_challenge(c, i, false))
    }),
    row("RevokeToken", ByClientId, |c, b| run(c, b, sessions::revoke_token)),
    row("SignUp", ByClientId, |c, b| run(c, b, signup::sign_up)),
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
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::locallab::cognito::{CognitoState, PoolSeed, generate_signing_key};
    use crate::locallab::machinery::clock::epoch_secs;
    use crate::locallab::machinery::store::Slice;

    #[test]
    fn names_each_operation_once_in_order() {
        let names: Vec<&str> = OPERATIONS.iter().map(|op| op.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    /// The typed answers are the `json!` documents they replaced, number types included (a
    /// `Value` compares 8 and 8.0 as different), so their bytes are too.
    #[test]
    fn typed_answers_are_the_documents_they_replaced() {
        let ctx = super::super::tests::context(10);
        let seed = PoolSeed {
            region: "us-east-1",
            account: "123456789012",
            guid: "abcdefgh",
            signing_key: generate_signing_key().unwrap(),
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(crate::locallab::machinery::store::Store::open(dir.path()).unwrap().store);
        let state = CognitoState::seed(0, seed).unwrap();
        let (pool, client) = state.lab_pool_and_client().map(|(p, c)| (p.clone(), c.clone())).unwrap();
        let cognito = Slice::new(state, store, "123456789012".into());
        let call = Call { ctx: &ctx, cognito: &cognito };
        let answer = |name: &str, input: serde_json::Value| {
            find(name).unwrap().answer(&call, input.to_string().as_bytes()).map(|done| (done.body, done.observed))
        };

        let (pool_answer, _) = answer("DescribeUserPool", json!({ "UserPoolId": pool.id })).unwrap();
        let users = cognito.read(|s| s.users.with_prefix(&format!("{}/", pool.id)).count());
        assert_eq!(
            pool_answer,
            json!({ "UserPool": {
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
                "EstimatedNumberOfUsers": users,
                "EmailConfiguration": { "EmailSendingAccount": "COGNITO_DEFAULT" },
                "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7 },
                "Domain": pool.domain,
                "AccountRecoverySetting": { "RecoveryMechanisms": [{ "Priority": 1, "Name": "verified_email" }] },
            }})
        );

        let input = json!({ "UserPoolId": pool.id, "ClientId": client.id });
        let (client_answer, observed) = answer("DescribeUserPoolClient", input).unwrap();
        assert_eq!(observed, [Observed::ClientDescribed]);
        let mut expected = json!({
            "UserPoolId": client.pool_id,
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
            "CallbackURLs": super::super::directory::callback_urls(&ctx, &client.id, &client.callback_urls),
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["aws.cognito.signin.user.admin", "email", "openid"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "PreventUserExistenceErrors": if client.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
            "EnableTokenRevocation": true,
            "EnablePropagateAdditionalUserContextData": false,
            "AuthSessionValidity": 3,
        });
        if let Some(secret) = &client.secret {
            expected["ClientSecret"] = json!(secret.expose());
        }
        assert_eq!(client_answer, json!({ "UserPoolClient": expected }));

        let (domain_answer, _) = answer("DescribeUserPoolDomain", json!({ "Domain": pool.domain })).unwrap();
        let distribution: String = pool.key.kid.chars().filter(char::is_ascii_alphanumeric).take(14).collect();
        assert_eq!(
            domain_answer,
            json!({ "DomainDescription": {
                "UserPoolId": pool.id,
                "AWSAccountId": ctx.id,
                "Domain": pool.domain,
                "S3Bucket": "aws-cognito-prod-us-east-1-assets",
                "CloudFrontDistribution": format!("{}.cloudfront.net", distribution.to_ascii_lowercase()),
                "Version": "20230101000000",
                "Status": "ACTIVE",
                "ManagedLoginVersion": 1,
            }})
        );
        let (nobody, _) = answer("DescribeUserPoolDomain", json!({ "Domain": "nobody" })).unwrap();
        assert_eq!(nobody, json!({ "DomainDescription": {} }));

        let demo = cognito.read(|s| s.find_user(&pool.id, &s.demo.get().username).cloned()).unwrap();
        let user_json = |attributes_key: &str| {
            let attributes: Vec<_> = demo.attributes.iter().map(|(k, v)| json!({ "Name": k, "Value": v })).collect();
            json!({
                "Username": demo.username,
                attributes_key: attributes,
                "UserCreateDate": epoch_secs(demo.created),
                "UserLastModifiedDate": epoch_secs(demo.modified),
                "Enabled": demo.enabled,
                "UserStatus": demo.status.as_str(),
            })
        };
        let input = json!({ "UserPoolId": pool.id, "Username": demo.username });
        assert_eq!(answer("AdminGetUser", input).unwrap().0, user_json("UserAttributes"));
        let (users, _) = answer("ListUsers", json!({ "UserPoolId": pool.id })).unwrap();
        assert_eq!(users, json!({ "Users": [user_json("Attributes")] }));
    }
}
