//! What a Cognito user pool keeps: pools with their signing keys, app clients, users, the
//! outbox of "emails", refresh tokens (by digest) and the lab's demo user. Each is a row.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Record;
use crate::secret::Secret;
use crate::srp::PasswordVerifier;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserPool {
    pub id: String,
    pub name: String,
    pub arn: String,
    /// The hosted UI's domain prefix.
    pub domain: String,
    pub created: Millis,
    pub modified: Millis,
    pub key: PoolKey,
}

impl Record for UserPool {
    const KIND: &'static str = "cognito.pool";
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl UserPool {
    /// `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
    pub fn issuer(&self) -> String {
        let region = self.id.split('_').next().unwrap_or(crate::names::REGION);
        format!("https://cognito-idp.{region}.amazonaws.com/{}", self.id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolKey {
    pub kid: String,
    /// PKCS#8 PEM of the pool's RSA signing key.
    pub private_pem: Secret,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppClient {
    pub pool_id: String,
    pub id: String,
    pub name: String,
    pub secret: Option<Secret>,
    pub explicit_auth_flows: Vec<String>,
    pub prevent_user_existence_errors: bool,
    pub id_token_minutes: i64,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub callback_urls: Vec<String>,
    pub created: Millis,
    pub modified: Millis,
}

impl Record for AppClient {
    const KIND: &'static str = "cognito.client";
    fn key(&self) -> String {
        self.id.clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub pool_id: String,
    /// The pool uses email as the sign-in name, so the real username is the `sub` (a UUID).
    pub username: String,
    pub attributes: BTreeMap<String, String>,
    pub password: PasswordHash,
    pub status: UserStatus,
    pub enabled: bool,
    pub created: Millis,
    pub modified: Millis,
    pub confirmation_code: Option<Secret>,
    /// The SRP verifier of the current password. Users stored before walab kept one have
    /// none: SRP refuses them as a wrong password until the password is set again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srp: Option<PasswordVerifier>,
    /// The `origin_jti` of sign-ins ended by a global sign-out or a revoked refresh token:
    /// access tokens from them are refused (the newest [`MAX_REVOKED`] are kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked_origins: Vec<String>,
    /// A password reset under way: the code `ForgotPassword` sent, until it is used or expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<ResetCode>,
}

/// The code that lets `ConfirmForgotPassword` set a new password, and until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetCode {
    pub code: Secret,
    pub expires: Millis,
}

/// How many ended sign-ins a user remembers; older ones' access tokens have long expired.
pub const MAX_REVOKED: usize = 200;

impl Record for User {
    const KIND: &'static str = "cognito.user";
    fn key(&self) -> String {
        user_key(&self.pool_id, &self.username)
    }
}

/// The row key of a pool's user.
pub fn user_key(pool_id: &str, username: &str) -> String {
    format!("{pool_id}/{username}")
}

impl User {
    /// A new user of `pool_id` whose password was derived as `password` (see [`PasswordSet`]).
    pub fn new(
        pool_id: &str,
        username: &str,
        attributes: BTreeMap<String, String>,
        password: PasswordSet,
        status: UserStatus,
        now: Millis,
    ) -> User {
        User {
            pool_id: pool_id.to_string(),
            username: username.to_string(),
            attributes,
            password: password.hash,
            status,
            enabled: true,
            created: now,
            modified: now,
            confirmation_code: None,
            srp: password.srp,
            revoked_origins: Vec::new(),
            reset: None,
        }
    }

    /// Replaces the password: its hash for the password flows, its verifier for SRP.
    pub fn set_password(&mut self, password: &str) {
        self.apply_password(PasswordSet::new(&self.pool_id, &self.username, password));
    }

    /// Replaces the password with one already derived (see [`PasswordSet`]).
    pub fn apply_password(&mut self, set: PasswordSet) {
        self.password = set.hash;
        self.srp = set.srp;
    }
}

/// A password derived outside the pool's lock for the user who had `username` when it was
/// derived (see [`PasswordSet`]); [`User::set_prepared_password`] stores it under the lock.
pub struct PreparedPassword {
    username: String,
    set: PasswordSet,
}

impl PreparedPassword {
    pub fn new(pool_id: &str, username: &str, password: &str) -> PreparedPassword {
        PreparedPassword { username: username.to_string(), set: PasswordSet::new(pool_id, username, password) }
    }
}

impl User {
    /// Sets `password` from `prepared` when it was derived for this user; derives it here
    /// otherwise (nothing was prepared, or the user was replaced in between).
    pub fn set_prepared_password(&mut self, prepared: Option<PreparedPassword>, password: &str) {
        match prepared {
            Some(p) if p.username == self.username => self.apply_password(p.set),
            _ => self.set_password(password),
        }
    }
}

/// What a password is kept as: its hash and its SRP verifier. Deriving them is the slow part
/// of setting a password (a key derivation and a 3072-bit exponentiation), so callers derive
/// them before taking the pool's lock and only store them under it.
pub struct PasswordSet {
    hash: PasswordHash,
    srp: Option<PasswordVerifier>,
}

impl PasswordSet {
    /// `username` is the user's `sub`: Cognito's USER_ID_FOR_SRP in an email-as-username pool.
    pub fn new(pool_id: &str, username: &str, password: &str) -> PasswordSet {
        PasswordSet { hash: PasswordHash::new(password), srp: PasswordVerifier::new(pool_id, username, password).ok() }
    }
}

impl User {
    /// Ends the sign-ins with these origins, keeping the list bounded.
    pub fn revoke_origins(&mut self, origins: impl IntoIterator<Item = String>) {
        for origin in origins {
            if !self.revoked_origins.contains(&origin) {
                self.revoked_origins.push(origin);
            }
        }
        let excess = self.revoked_origins.len().saturating_sub(MAX_REVOKED);
        self.revoked_origins.drain(..excess);
    }

    pub fn sub(&self) -> &str {
        self.attributes.get("sub").map(String::as_str).unwrap_or(&self.username)
    }
    pub fn email(&self) -> Option<&str> {
        self.attributes.get("email").map(String::as_str)
    }
}

/// A salted SHA-256 of a password: the lab never keeps users' passwords as typed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordHash {
    salt: String,
    hash: String,
}

impl PasswordHash {
    pub fn new(password: &str) -> Self {
        let salt = ids::alnum(16);
        let hash = Self::digest(&salt, password);
        PasswordHash { salt, hash }
    }
    pub fn matches(&self, password: &str) -> bool {
        let given = Self::digest(&self.salt, password);
        aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), self.hash.as_bytes()).is_ok()
    }
    fn digest(salt: &str, password: &str) -> String {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(salt.as_bytes());
        ctx.update(password.as_bytes());
        STANDARD.encode(ctx.finish().as_ref())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    pub at: Millis,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The confirmation code, for tools that confirm on the learner's behalf.
    #[serde(default)]
    pub code: Option<String>,
    /// The confirmation link, as the real email has one.
    #[serde(default)]
    pub link: Option<String>,
}

impl Record for OutboxMessage {
    const KIND: &'static str = "cognito.outbox";
    /// Oldest first, by the time it was sent.
    fn key(&self) -> String {
        format!("{:016}-{}", self.at.max(0), self.id)
    }
}

/// A refresh token handed out, kept as the digest of the token: the store never holds one
/// that could be used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshGrant {
    pub digest: String,
    pub pool_id: String,
    pub client_id: String,
    pub username: String,
    pub origin_jti: String,
    pub auth_time: i64,
    pub issued: Millis,
    pub expires: Millis,
    /// Revoked by `RevokeToken` or a global sign-out: kept until it expires, to say so.
    #[serde(default)]
    pub revoked: bool,
    /// The scopes of the sign-in (the hosted UI's OAuth scopes), for the tokens it refreshes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Record for RefreshGrant {
    const KIND: &'static str = "cognito.refresh";
    fn key(&self) -> String {
        self.digest.clone()
    }
}

/// The digest a refresh token is kept and found by.
pub fn token_digest(token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The lab's demo user, with the password walab uses when nobody types one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: Secret,
}

impl Record for DemoAccount {
    const KIND: &'static str = "cognito.demo";
    fn key(&self) -> String {
        "demo".to_string()
    }
}
