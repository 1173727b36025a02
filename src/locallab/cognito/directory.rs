//! The hosted UI's view of Cognito: [`hosted_ui::Directory`] over an account's Cognito slice,
//! so the pages sign users up, confirm them by link, check passwords and issue tokens exactly
//! as the API does (same password policy, same outbox, same tokens and refresh grants).

use std::sync::Weak;

use serde_json::{Map, Value, json};

use super::model::UserStatus;
use super::output::AuthenticationResult;
use super::signin::{TokenGrant, refresh_grant};
use super::state::CognitoState;
use super::{admin, signup};
use crate::locallab::cognito::hosted_ui::{
    self, AppClient, Directory, DirectoryError, PasswordPolicy, SignedUp, Tokens,
};
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;
use crate::secret::Secret;

/// The OAuth scopes the lab's app client allows (its `AllowedOAuthScopes`).
pub const OAUTH_SCOPES: [&str; 3] = ["aws.cognito.signin.user.admin", "email", "openid"];

/// What owns a Cognito slice: an account.
pub trait CognitoHome: Send + Sync + 'static {
    fn ctx(&self) -> &AccountContext;
    fn cognito(&self) -> &Slice<CognitoState>;
}

/// The client's callback URLs: walab's own callback page on the account's endpoint (which
/// `CognitoSignupURL` returns to) first, then those it was created with. First, because the
/// confirmation page's "Sign in" returns to the first, and the lab works offline.
pub fn callback_urls(ctx: &AccountContext, client_id: &str, stored: &[String]) -> Vec<String> {
    let walab = hosted_ui::callback_url(&ctx.urls.aws_endpoint, client_id);
    let others = stored.iter().filter(|u| **u != walab).cloned();
    std::iter::once(walab.clone()).chain(others).collect()
}

/// The directory of one account. It holds the account weakly: the account holds the hosted UI.
pub struct PoolDirectory {
    home: Weak<dyn CognitoHome>,
}

impl PoolDirectory {
    pub fn new(home: Weak<dyn CognitoHome>) -> PoolDirectory {
        PoolDirectory { home }
    }

    fn with<R>(&self, f: impl FnOnce(&dyn CognitoHome) -> Result<R, DirectoryError>) -> Result<R, DirectoryError> {
        let home =
            self.home.upgrade().ok_or_else(|| DirectoryError::Unavailable("The lab is shutting down.".into()))?;
        f(home.as_ref())
    }
}

/// Cognito's refusal as the hosted UI words it.
fn refusal(e: ApiError) -> DirectoryError {
    match e.code.as_str() {
        "UsernameExistsException" => DirectoryError::UsernameExists,
        "InvalidPasswordException" => DirectoryError::InvalidPassword(e.message),
        "InvalidParameterException" => DirectoryError::InvalidParameter(e.message),
        "CodeMismatchException" | "ExpiredCodeException" => DirectoryError::CodeMismatch,
        "UserNotFoundException" => DirectoryError::UserNotFound,
        "UserNotConfirmedException" => DirectoryError::UserNotConfirmed,
        "NotAuthorizedException" if e.message.starts_with("User cannot be confirmed") => {
            DirectoryError::AlreadyConfirmed
        }
        "NotAuthorizedException" if e.message == super::lockout::ATTEMPTS_EXCEEDED => DirectoryError::AttemptsExceeded,
        "NotAuthorizedException" => DirectoryError::NotAuthorized,
        _ => DirectoryError::Unavailable(e.message),
    }
}

/// The three tokens out of an `AuthenticationResult`.
fn tokens(result: AuthenticationResult) -> Result<Tokens, DirectoryError> {
    Ok(Tokens {
        id_token: Secret::new(result.id_token),
        access_token: Secret::new(result.access_token),
        refresh_token: result.refresh_token.map(Secret::new),
        expires_in: result.expires_in,
    })
}

impl Directory for PoolDirectory {
    fn now_ms(&self) -> i64 {
        self.with(|home| Ok(home.ctx().now_ms())).unwrap_or_default()
    }

    fn client(&self, client_id: &str) -> Option<AppClient> {
        self.with(|home| {
            Ok(home.cognito().read(|s| {
                s.clients.get(client_id).map(|c| AppClient {
                    id: c.id.clone(),
                    pool_id: c.pool_id.clone(),
                    name: c.name.clone(),
                    secret: c.secret.clone(),
                    callback_urls: callback_urls(home.ctx(), &c.id, &c.callback_urls),
                    logout_urls: Vec::new(),
                    allowed_scopes: OAUTH_SCOPES.iter().map(|s| s.to_string()).collect(),
                })
            }))
        })
        .ok()
        .flatten()
    }

    fn password_policy(&self, _pool_id: &str) -> PasswordPolicy {
        // The lab's pool keeps Cognito's default policy, which `check_password_policy` enforces.
        PasswordPolicy::default()
    }

    fn sign_up(&self, client_id: &str, email: &str, password: &Secret) -> Result<SignedUp, DirectoryError> {
        self.with(|home| {
            let attributes = std::collections::BTreeMap::new();
            signup::register(home.ctx(), home.cognito(), client_id, email, password.expose(), attributes, None)
                .map_err(refusal)?;
            Ok(SignedUp { destination: super::errors::masked_destination(email) })
        })
    }

    fn confirm_by_link(&self, client_id: &str, user_name: &str, code: &str) -> Result<(), DirectoryError> {
        self.with(|home| signup::confirm(home.ctx(), home.cognito(), client_id, user_name, code, None).map_err(refusal))
    }

    fn check_password(&self, client_id: &str, email: &str, password: &Secret) -> Result<String, DirectoryError> {
        self.with(|home| {
            let now = home.ctx().now_ms();
            let checked = home.cognito().write(|s| {
                let pool_id = s.client(client_id)?.pool_id.clone();
                let user = s.find_user(&pool_id, email).cloned();
                // The same lock-out as the API's sign-ins, counted under the same name.
                let name = user.as_ref().map(|u| u.username.clone()).unwrap_or_else(|| email.to_string());
                s.lockouts.check(&pool_id, &name, now)?;
                match user {
                    Some(user) if user.password.matches(password.expose()) => {
                        s.lockouts.succeeded(&pool_id, &name);
                        Ok(Some(user))
                    }
                    _ => {
                        s.lockouts.failed(&pool_id, &name, now);
                        Ok(None)
                    }
                }
            });
            let user = checked.map_err(refusal)?.ok_or(DirectoryError::NotAuthorized)?;
            if !user.enabled {
                return Err(DirectoryError::NotAuthorized);
            }
            match user.status {
                UserStatus::Confirmed => Ok(user.username.clone()),
                UserStatus::Unconfirmed => Err(DirectoryError::UserNotConfirmed),
                UserStatus::ForceChangePassword => Err(DirectoryError::InvalidParameter(
                    "This account has a temporary password: choose a new one first (walab token asks for it).".into(),
                )),
            }
        })
    }

    fn issue_tokens(&self, client_id: &str, username: &str, scopes: &[String]) -> Result<Tokens, DirectoryError> {
        self.with(|home| {
            let (ctx, cognito) = (home.ctx(), home.cognito());
            let now = ctx.now_ms();
            let grant = cognito
                .write(|s| {
                    let client = s.client(client_id)?.clone();
                    let pool = s.pool(&client.pool_id)?.clone();
                    let user = s.find_user(&pool.id, username).cloned().ok_or_else(super::errors::user_not_found)?;
                    let mut grant = TokenGrant::new(&pool, &client, &user, now);
                    grant.scope = scopes.join(" ");
                    Ok(grant.with_refresh_token(s, &client, now))
                })
                .map_err(refusal)?;
            tokens(grant.sign(ctx, cognito).map_err(refusal)?)
        })
    }

    fn refresh_tokens(&self, client_id: &str, refresh_token: &Secret) -> Result<Tokens, DirectoryError> {
        self.with(|home| {
            let (ctx, cognito) = (home.ctx(), home.cognito());
            let now = ctx.now_ms();
            let grant = cognito
                .read(|s| {
                    let client = s.client(client_id)?;
                    refresh_grant(s, client, refresh_token.expose(), now).map(|(grant, _)| grant)
                })
                .map_err(|e| DirectoryError::InvalidToken(e.message))?;
            tokens(grant.sign(ctx, cognito).map_err(refusal)?)
        })
    }

    fn user_info(&self, access_token: &Secret) -> Result<Map<String, Value>, DirectoryError> {
        self.with(|home| {
            let user = admin::user_of_access_token(home.ctx(), home.cognito(), access_token.expose())
                .map_err(|e| DirectoryError::InvalidToken(e.message))?;
            let mut info = Map::new();
            info.insert("sub".into(), json!(user.sub()));
            for name in ["email_verified", "email"] {
                if let Some(value) = user.attributes.get(name) {
                    info.insert(name.into(), json!(value));
                }
            }
            info.insert("username".into(), json!(user.username));
            Ok(info)
        })
    }

    fn outbox(&self) -> Vec<hosted_ui::OutboxMessage> {
        self.with(|home| {
            Ok(signup::outbox(home.cognito())
                .into_iter()
                .map(|m| hosted_ui::OutboxMessage {
                    at: m.at,
                    to: m.to,
                    subject: m.subject,
                    body: m.body,
                    code: m.code,
                    link: m.link,
                })
                .collect())
        })
        .unwrap_or_default()
    }
}
