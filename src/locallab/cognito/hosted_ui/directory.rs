//! What the hosted UI needs from Cognito, as one trait: the Cognito service implements it over
//! its store; the tests implement it in memory.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::Secret;

/// Cognito, as the hosted UI sees it. Every method is quick (no network); the hosted UI calls
/// them from its request handlers.
pub trait Directory: Send + Sync + 'static {
    /// The lab's time in Unix milliseconds (codes and sessions expire by it).
    fn now_ms(&self) -> i64;

    /// The app client with this id, if any.
    fn client(&self, client_id: &str) -> Option<AppClient>;

    /// The password policy of the pool, shown on the sign-up page.
    fn password_policy(&self, pool_id: &str) -> PasswordPolicy;

    /// `SignUp` on the client's behalf (the hosted UI holds the secret, so no secret hash is
    /// involved): creates an unconfirmed user and sends the confirmation link to the outbox.
    fn sign_up(&self, client_id: &str, email: &str, password: &Secret) -> Result<SignedUp, DirectoryError>;

    /// The confirmation link's landing: confirms `user_name` if `code` is the one sent.
    fn confirm_by_link(&self, client_id: &str, user_name: &str, code: &str) -> Result<(), DirectoryError>;

    /// Checks a sign-in name (email) and password; gives the user's username (its `sub` in
    /// an email-as-username pool). Unconfirmed users are refused with `UserNotConfirmed`.
    fn check_password(&self, client_id: &str, email: &str, password: &Secret) -> Result<String, DirectoryError>;

    /// ID, access and refresh tokens for a user signed in through the hosted UI, the access
    /// token carrying `scopes`.
    fn issue_tokens(&self, client_id: &str, username: &str, scopes: &[String]) -> Result<Tokens, DirectoryError>;

    /// New ID and access tokens for a refresh token issued to this client.
    fn refresh_tokens(&self, client_id: &str, refresh_token: &Secret) -> Result<Tokens, DirectoryError>;

    /// The user's attributes for `/oauth2/userInfo`, once the access token verifies
    /// (`InvalidToken` otherwise): at least `sub`, `username`, `email`, `email_verified`.
    fn user_info(&self, access_token: &Secret) -> Result<Map<String, Value>, DirectoryError>;

    /// The messages Cognito would have emailed, oldest first.
    fn outbox(&self) -> Vec<OutboxMessage>;
}

/// An app client, as the hosted UI needs it.
#[derive(Debug, Clone)]
pub struct AppClient {
    pub id: String,
    pub pool_id: String,
    pub name: String,
    pub secret: Option<Secret>,
    /// Allowed `redirect_uri` values, compared exactly.
    pub callback_urls: Vec<String>,
    /// Allowed `logout_uri` values, compared exactly.
    pub logout_urls: Vec<String>,
    /// The OAuth scopes the client may ask for; all of them when a request names none.
    pub allowed_scopes: Vec<String>,
}

/// A pool's password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub minimum_length: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

impl Default for PasswordPolicy {
    /// Cognito's default policy, which the lab's pool keeps.
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }
}

impl PasswordPolicy {
    /// The rules, one sentence each, as the sign-up page lists them.
    pub fn rules(&self) -> Vec<String> {
        let mut rules = vec![format!("At least {} characters", self.minimum_length)];
        let mut add = |on: bool, rule: &str| {
            if on {
                rules.push(rule.to_string());
            }
        };
        add(self.require_uppercase, "An uppercase letter");
        add(self.require_lowercase, "A lowercase letter");
        add(self.require_numbers, "A digit");
        add(self.require_symbols, "A symbol, such as ! or -");
        rules
    }

    /// The rules a password breaks, in the same words as [`PasswordPolicy::rules`].
    pub fn broken_rules(&self, password: &str) -> Vec<String> {
        let has = |test: fn(char) -> bool| password.chars().any(test);
        let checks = [
            (password.chars().count() >= self.minimum_length, true),
            (has(char::is_uppercase), self.require_uppercase),
            (has(char::is_lowercase), self.require_lowercase),
            (has(|c| c.is_ascii_digit()), self.require_numbers),
            (has(|c| !c.is_alphanumeric() && !c.is_whitespace()), self.require_symbols),
        ];
        let rules = self.rules();
        let mut required = checks.iter().filter(|(_, required)| *required);
        rules.into_iter().filter(|_| required.next().is_some_and(|(met, _)| !met)).collect()
    }
}

/// What a sign-up gives back.
#[derive(Debug, Clone)]
pub struct SignedUp {
    /// Where the link was sent, masked as Cognito masks it (`l***@e***`).
    pub destination: String,
}

/// Tokens as `/oauth2/token` returns them.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub id_token: Secret,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// One message of the outbox; serialised exactly as `/_walab/outbox` has always answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Unix milliseconds.
    pub at: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub code: Option<String>,
    pub link: Option<String>,
}

/// Why Cognito refused; each shown on the page in words a learner can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("An account with this email already exists.")]
    UsernameExists,
    #[error("{0}")]
    InvalidPassword(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error("This confirmation link is not the latest one sent; use the newest message in the outbox.")]
    CodeMismatch,
    #[error("This account is already confirmed; you can sign in.")]
    AlreadyConfirmed,
    #[error("No account matches this link.")]
    UserNotFound,
    #[error("Incorrect email or password.")]
    NotAuthorized,
    #[error("Password attempts exceeded: too many wrong passwords. Wait a little before trying again.")]
    AttemptsExceeded,
    #[error("This account is not confirmed yet: open the link in the confirmation email first.")]
    UserNotConfirmed,
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    Unavailable(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_broken_rules_in_the_listed_words() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.rules().len(), 5);
        assert!(policy.broken_rules("Aa1-aaaa").is_empty());
        assert_eq!(policy.broken_rules("aaaaaaaa"), ["An uppercase letter", "A digit", "A symbol, such as ! or -"]);
        assert_eq!(policy.broken_rules("Aa1-"), ["At least 8 characters"]);
        let lax = PasswordPolicy { require_symbols: false, require_uppercase: false, ..policy };
        assert_eq!(lax.broken_rules("aaaaaaa1"), Vec::<String>::new());
        assert_eq!(lax.broken_rules("aaaaaaaa"), ["A digit"]);
    }
}
