//! The Cognito calls the checks, the solves and `walab token` make: reading the app client's
//! secret and a user, signing up and confirming, the admin route to a user, and signing in.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType, MessageActionType,
};

use super::{AwsProblem, Clients};
use crate::secret::Secret;

/// The app client's secret; `None` when the client has none.
pub async fn client_secret(aws: &Clients, pool_id: &str, client_id: &str) -> Result<Option<Secret>, AwsProblem> {
    let out = aws
        .cognito
        .describe_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(client_id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:DescribeUserPoolClient"))?;
    Ok(out.user_pool_client().and_then(|c| c.client_secret()).map(Secret::new))
}

/// The user pool's ARN, which a Cognito authorizer names.
pub async fn pool_arn(aws: &Clients, pool_id: &str) -> Result<Option<String>, AwsProblem> {
    let out = aws
        .cognito
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:DescribeUserPool"))?;
    Ok(out.user_pool().and_then(|p| p.arn()).map(String::from))
}

/// The pool's password policy in words ("at least 8 characters, with …"); `None` when the pool
/// has none to say.
pub async fn password_policy(aws: &Clients, pool_id: &str) -> Result<Option<String>, AwsProblem> {
    let out = aws
        .cognito
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:DescribeUserPool"))?;
    let Some(policy) = out.user_pool().and_then(|p| p.policies()).and_then(|p| p.password_policy()) else {
        return Ok(None);
    };
    let mut needs = Vec::new();
    for (required, what) in [
        (policy.require_uppercase(), "an uppercase letter"),
        (policy.require_lowercase(), "a lowercase letter"),
        (policy.require_numbers(), "a digit"),
        (policy.require_symbols(), "a symbol"),
    ] {
        if required {
            needs.push(what);
        }
    }
    let length = policy.minimum_length().map(|n| format!("at least {n} characters")).unwrap_or_default();
    let with = match needs.as_slice() {
        [] => String::new(),
        [one] => format!(" with {one}"),
        [rest @ .., last] => format!(" with {} and {last}", rest.join(", ")),
    };
    Ok(Some(format!("{length}{with}").trim().to_string()).filter(|s| !s.is_empty()))
}

/// A user as AdminGetUser sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `CONFIRMED`, `UNCONFIRMED`, `FORCE_CHANGE_PASSWORD`, …
    pub status: String,
    pub enabled: bool,
}

/// The user `username` of the pool; `None` when the pool has no such user.
pub async fn user(aws: &Clients, pool_id: &str, username: &str) -> Result<Option<User>, AwsProblem> {
    match aws.cognito.admin_get_user().user_pool_id(pool_id).username(username).send().await {
        Ok(user) => Ok(Some(User {
            status: user.user_status().map(|s| s.as_str()).unwrap_or("UNKNOWN").to_string(),
            enabled: user.enabled(),
        })),
        Err(e) => {
            let problem = aws.explain(&e, "cognito-idp:AdminGetUser");
            if problem.code() == Some("UserNotFoundException") { Ok(None) } else { Err(problem) }
        }
    }
}

/// Whether the pool has the user; any trouble reading it counts as no.
pub async fn user_exists(aws: &Clients, pool_id: &str, username: &str) -> bool {
    matches!(user(aws, pool_id, username).await, Ok(Some(_)))
}

/// What signing up as an app client with a secret sends with every call.
pub struct ClientCall<'a> {
    pub client_id: &'a str,
    /// The secret hash for the username, when the client has a secret.
    pub secret_hash: Option<String>,
    pub username: &'a str,
}

pub async fn sign_up(aws: &Clients, call: &ClientCall<'_>, password: &Secret) -> Result<(), AwsProblem> {
    aws.cognito
        .sign_up()
        .client_id(call.client_id)
        .set_secret_hash(call.secret_hash.clone())
        .username(call.username)
        .password(password.expose())
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:SignUp"))?;
    Ok(())
}

pub async fn resend_confirmation_code(aws: &Clients, call: &ClientCall<'_>) -> Result<(), AwsProblem> {
    aws.cognito
        .resend_confirmation_code()
        .client_id(call.client_id)
        .set_secret_hash(call.secret_hash.clone())
        .username(call.username)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:ResendConfirmationCode"))?;
    Ok(())
}

pub async fn confirm_sign_up(aws: &Clients, call: &ClientCall<'_>, code: &Secret) -> Result<(), AwsProblem> {
    aws.cognito
        .confirm_sign_up()
        .client_id(call.client_id)
        .set_secret_hash(call.secret_hash.clone())
        .username(call.username)
        .confirmation_code(code.expose())
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:ConfirmSignUp"))?;
    Ok(())
}

/// Creates the user as an administrator, without sending an invitation.
pub async fn admin_create_user(aws: &Clients, pool_id: &str, username: &str) -> Result<(), AwsProblem> {
    aws.cognito
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(username)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:AdminCreateUser"))?;
    Ok(())
}

/// Gives the user `password` as its permanent password.
pub async fn admin_set_permanent_password(
    aws: &Clients,
    pool_id: &str,
    username: &str,
    password: &Secret,
) -> Result<(), AwsProblem> {
    aws.cognito
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(username)
        .password(password.expose())
        .permanent(true)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:AdminSetUserPassword"))?;
    Ok(())
}

/// How Cognito answered a sign-in or a challenge response.
#[derive(Debug)]
pub enum AuthAnswer {
    Tokens {
        id_token: Secret,
        access_token: Secret,
        expires_in: i32,
    },
    /// The user must choose a new password (a temporary one was used).
    NewPasswordRequired {
        session: Secret,
    },
    /// A challenge walab does not answer.
    OtherChallenge(String),
    /// Neither tokens (both of them) nor a challenge.
    Incomplete(&'static str),
}

fn answer(
    auth: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
) -> AuthAnswer {
    match (auth, challenge, session) {
        (Some(auth), _, _) => match (auth.id_token(), auth.access_token()) {
            (Some(id), Some(access)) => AuthAnswer::Tokens {
                id_token: Secret::new(id),
                access_token: Secret::new(access),
                expires_in: auth.expires_in(),
            },
            _ => AuthAnswer::Incomplete("Cognito answered without an ID token"),
        },
        (None, Some(ChallengeNameType::NewPasswordRequired), Some(session)) => {
            AuthAnswer::NewPasswordRequired { session: Secret::new(session) }
        }
        (None, Some(challenge), _) => AuthAnswer::OtherChallenge(challenge.as_str().to_string()),
        _ => AuthAnswer::Incomplete("Cognito answered with neither tokens nor a challenge"),
    }
}

/// AdminInitiateAuth with `ADMIN_USER_PASSWORD_AUTH`, the lab's script's way.
pub async fn admin_initiate_auth(
    aws: &Clients,
    pool_id: &str,
    client_id: &str,
    parameters: HashMap<String, String>,
) -> Result<AuthAnswer, AwsProblem> {
    let out = aws
        .cognito
        .admin_initiate_auth()
        .user_pool_id(pool_id)
        .client_id(client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .set_auth_parameters(Some(parameters))
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:AdminInitiateAuth"))?;
    Ok(answer(out.authentication_result(), out.challenge_name(), out.session()))
}

/// InitiateAuth with `USER_PASSWORD_AUTH`: needs no AWS credentials.
pub async fn initiate_auth(
    aws: &Clients,
    client_id: &str,
    parameters: HashMap<String, String>,
) -> Result<AuthAnswer, AwsProblem> {
    Ok(initiate(aws, client_id, AuthFlowType::UserPasswordAuth, parameters).await?.0)
}

/// InitiateAuth with `USER_SRP_AUTH`: the challenge's name and parameters (`SRP_B`, `SALT`,
/// `SECRET_BLOCK`, `USER_ID_FOR_SRP`, …), or tokens should Cognito skip the challenge.
pub async fn initiate_srp(
    aws: &Clients,
    client_id: &str,
    parameters: HashMap<String, String>,
) -> Result<(AuthAnswer, HashMap<String, String>), AwsProblem> {
    initiate(aws, client_id, AuthFlowType::UserSrpAuth, parameters).await
}

/// InitiateAuth with `flow`: what it answered, and the challenge's parameters if any.
async fn initiate(
    aws: &Clients,
    client_id: &str,
    flow: AuthFlowType,
    parameters: HashMap<String, String>,
) -> Result<(AuthAnswer, HashMap<String, String>), AwsProblem> {
    let out = aws
        .cognito
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(flow)
        .set_auth_parameters(Some(parameters))
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:InitiateAuth"))?;
    let challenge = out.challenge_parameters().cloned().unwrap_or_default();
    Ok((answer(out.authentication_result(), out.challenge_name(), out.session()), challenge))
}

/// Answers `NEW_PASSWORD_REQUIRED` after an app's sign-in (InitiateAuth).
pub async fn respond_new_password(
    aws: &Clients,
    client_id: &str,
    session: &Secret,
    responses: HashMap<String, String>,
) -> Result<AuthAnswer, AwsProblem> {
    respond(aws, client_id, ChallengeNameType::NewPasswordRequired, Some(session), responses).await
}

/// Answers `NEW_PASSWORD_REQUIRED` after an admin sign-in (AdminInitiateAuth), as an
/// administrator: AdminRespondToAuthChallenge, which names the pool.
pub async fn admin_respond_new_password(
    aws: &Clients,
    pool_id: &str,
    client_id: &str,
    session: &Secret,
    responses: HashMap<String, String>,
) -> Result<AuthAnswer, AwsProblem> {
    let out = aws
        .cognito
        .admin_respond_to_auth_challenge()
        .user_pool_id(pool_id)
        .client_id(client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(session.expose())
        .set_challenge_responses(Some(responses))
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:AdminRespondToAuthChallenge"))?;
    Ok(answer(out.authentication_result(), out.challenge_name(), out.session()))
}

/// Answers `PASSWORD_VERIFIER` with the password claim (Cognito sends no session with it).
pub async fn respond_password_verifier(
    aws: &Clients,
    client_id: &str,
    responses: HashMap<String, String>,
) -> Result<AuthAnswer, AwsProblem> {
    respond(aws, client_id, ChallengeNameType::PasswordVerifier, None, responses).await
}

/// RespondToAuthChallenge for `challenge`.
async fn respond(
    aws: &Clients,
    client_id: &str,
    challenge: ChallengeNameType,
    session: Option<&Secret>,
    responses: HashMap<String, String>,
) -> Result<AuthAnswer, AwsProblem> {
    let out = aws
        .cognito
        .respond_to_auth_challenge()
        .client_id(client_id)
        .challenge_name(challenge)
        .set_session(session.map(|s| s.expose().to_string()))
        .set_challenge_responses(Some(responses))
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cognito-idp:RespondToAuthChallenge"))?;
    Ok(answer(out.authentication_result(), out.challenge_name(), out.session()))
}
