//! Cognito tokens from the client's side: the secret hash a client with a secret must send,
//! and a careful verifier for the JWTs a user pool issues (the rules of AWS's own verifier).
//! The local lab's authorizer uses the same verifier, so both sides agree by construction.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::aws::cognito::{self, AuthAnswer};
use crate::aws::{AwsProblem, Clients};
use crate::secret::Secret;

/// `SECRET_HASH = base64(HMAC-SHA256(key = client secret, message = username + client id))`.
pub fn secret_hash(username: &str, client_id: &str, client_secret: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, client_secret.as_bytes());
    let mut ctx = aws_lc_rs::hmac::Context::with_key(&key);
    ctx.update(username.as_bytes());
    ctx.update(client_id.as_bytes());
    STANDARD.encode(ctx.sign().as_ref())
}

/// Which of a user pool's tokens is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

/// What a token must say to be accepted.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// `https://cognito-idp.<region>.amazonaws.com/<poolId>`, compared exactly.
    pub issuer: &'a str,
    /// The app client id: `aud` of an ID token, `client_id` of an access token.
    pub client_id: &'a str,
    pub token_use: TokenUse,
}

/// Why a token was refused, in words a learner can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a JWT: it must be three base64url parts separated by dots")]
    Malformed,
    #[error("algorithm {0} is not accepted: user pool tokens are signed with RS256")]
    Algorithm(String),
    #[error("the token header names no key id (kid)")]
    MissingKid,
    #[error("key id {0} is not in the user pool's JWKS: the token comes from another pool or was forged")]
    UnknownKid(String),
    #[error("the JWKS key {0} is not a signing key for RS256")]
    KeyNotForSigning(String),
    #[error("the signature does not verify: the token was altered or signed by someone else")]
    BadSignature,
    #[error("the token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
    #[error("the token is not valid before {nbf} (now {now})")]
    NotYetValid { nbf: i64, now: i64 },
    #[error("the issuer is {found}, expected {expected}")]
    WrongIssuer { found: String, expected: String },
    #[error("the token is for client {found}, expected {expected}")]
    WrongClient { found: String, expected: String },
    #[error("token_use is {found}, expected {expected}")]
    WrongTokenUse { found: String, expected: &'static str },
    #[error("the token lacks the {0} claim")]
    MissingClaim(&'static str),
}

/// The claims of a verified (or merely decoded) token.
pub type Claims = Map<String, Value>;

/// Verifies `token` against the pool's `jwks` and `expected`, at `now` (epoch seconds).
///
/// Checks, in order: three base64url parts; `alg` is RS256; `kid` present and in the JWKS;
/// that key is RSA, for signing, RS256; the signature; `exp` not past; `nbf` not future;
/// `iss` exact; `token_use`; `aud` (ID token) or `client_id` (access token).
pub fn verify(token: &str, jwks: &JwkSet, expected: &Expected, now: i64) -> Result<Claims, TokenError> {
    Verifier::new(jwks).verify(token, expected, now)
}

/// A JWKS with its keys decoded once, for verifying many tokens (the local lab's authorizer).
/// Verifying with it checks exactly what [`verify`] checks.
pub struct Verifier {
    /// Each key with a `kid`, in the JWKS's order: usable for RS256, or why not.
    keys: Vec<(String, Result<DecodingKey, TokenError>)>,
}

impl Verifier {
    pub fn new(jwks: &JwkSet) -> Verifier {
        let keys = jwks
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                Some((kid.clone(), Self::usable(jwk).ok_or(TokenError::KeyNotForSigning(kid))))
            })
            .collect();
        Verifier { keys }
    }

    fn usable(jwk: &jsonwebtoken::jwk::Jwk) -> Option<DecodingKey> {
        let usable = matches!(jwk.common.public_key_use, None | Some(PublicKeyUse::Signature))
            && matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
        let key = DecodingKey::from_jwk(jwk).ok().filter(|_| usable)?;
        (key.family() == jsonwebtoken::AlgorithmFamily::Rsa).then_some(key)
    }

    pub fn verify(&self, token: &str, expected: &Expected, now: i64) -> Result<Claims, TokenError> {
        self.verify_with(token, expected.issuer, expected.token_use, now, |client| {
            if client == expected.client_id {
                Ok(())
            } else {
                Err(TokenError::WrongClient { found: client.to_string(), expected: expected.client_id.to_string() })
            }
        })
    }

    /// As [`Verifier::verify`], with the app client (`aud` or `client_id`) judged by
    /// `check_client`, last, once everything else has passed.
    pub fn verify_with(
        &self,
        token: &str,
        issuer: &str,
        token_use: TokenUse,
        now: i64,
        check_client: impl FnOnce(&str) -> Result<(), TokenError>,
    ) -> Result<Claims, TokenError> {
        if token.split('.').count() != 3 || token.split('.').any(|p| p.is_empty() || URL_SAFE_NO_PAD.decode(p).is_err())
        {
            return Err(TokenError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::Algorithm(format!("{:?}", header.alg)));
        }
        let kid = header.kid.ok_or(TokenError::MissingKid)?;
        let key = match self.keys.iter().find(|(k, _)| *k == kid) {
            None => return Err(TokenError::UnknownKid(kid)),
            Some((_, Err(e))) => return Err(e.clone()),
            Some((_, Ok(key))) => key,
        };
        // Time and claims are checked below against the caller's clock, not the system's.
        let data = jsonwebtoken::decode::<Claims>(token, key, validation()).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
            _ => TokenError::Malformed,
        })?;
        let claims = data.claims;

        let exp = claims.get("exp").and_then(Value::as_i64).ok_or(TokenError::MissingClaim("exp"))?;
        if exp <= now {
            return Err(TokenError::Expired { exp, now });
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
            && nbf > now
        {
            return Err(TokenError::NotYetValid { nbf, now });
        }
        let iss = claim_str(&claims, "iss")?;
        if iss != issuer {
            return Err(TokenError::WrongIssuer { found: iss.to_string(), expected: issuer.to_string() });
        }
        let found_use = claim_str(&claims, "token_use")?;
        if found_use != token_use.as_str() {
            return Err(TokenError::WrongTokenUse { found: found_use.to_string(), expected: token_use.as_str() });
        }
        let client = match token_use {
            TokenUse::Id => claim_str(&claims, "aud")?,
            TokenUse::Access => claim_str(&claims, "client_id")?,
        };
        check_client(client)?;
        Ok(claims)
    }
}

/// RS256 only; `exp`, `nbf` and `aud` are checked by the caller against its own clock.
fn validation() -> &'static Validation {
    static VALIDATION: std::sync::OnceLock<Validation> = std::sync::OnceLock::new();
    VALIDATION.get_or_init(|| {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation
    })
}

fn claim_str<'c>(claims: &'c Claims, name: &'static str) -> Result<&'c str, TokenError> {
    claims.get(name).and_then(Value::as_str).ok_or(TokenError::MissingClaim(name))
}

/// Decodes a token's header and claims without verifying anything, for showing what it says.
/// The user pool a token says it comes from (the last part of its `iss`), unverified: where to
/// look for the keys that will verify it.
pub fn claimed_pool(token: &str) -> Option<String> {
    let (_, claims) = decode_unverified(token)?;
    claims.get("iss")?.as_str()?.rsplit('/').next().map(String::from)
}

pub fn decode_unverified(token: &str) -> Option<(Value, Claims)> {
    let mut parts = token.split('.');
    let header = parts.next()?;
    let payload = parts.next()?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    Some((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_matches_the_lab_test_vector() {
        assert_eq!(secret_hash("alice", "client", "secret"), "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=");
    }

    #[test]
    fn refuses_non_jwts() {
        let jwks = JwkSet { keys: vec![] };
        let expected = Expected { issuer: "i", client_id: "c", token_use: TokenUse::Id };
        for token in ["", "a.b", "a.b.c.d", "!!.??.**", "eyJhbGciOiJub25lIn0.e30."] {
            assert_eq!(verify(token, &jwks, &expected, 0), Err(TokenError::Malformed), "{token}");
        }
    }
}

/// A successful sign-in, or the challenge Cognito answered with.
#[derive(Debug)]
pub enum SignIn {
    Tokens {
        id_token: Secret,
        access_token: Secret,
        expires_in: i32,
        flow: &'static str,
    },
    /// The user has a temporary password and must choose a new one.
    NewPasswordRequired {
        session: Challenge,
        flow: &'static str,
    },
}

/// A `NEW_PASSWORD_REQUIRED` challenge to answer: its session, and whether the admin sign-in
/// asked it. AWS's reference (AdminInitiateAuth's `Session`; the SDK's model says the same) has a
/// session from AdminInitiateAuth answered with AdminRespondToAuthChallenge, and one from
/// InitiateAuth with RespondToAuthChallenge.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub session: Secret,
    pub admin: bool,
}

/// Why signing in failed, in the learner's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("Cognito could not verify the secret hash: the recorded app client secret is not this client's")]
    WrongSecret,
    #[error("the app client has a secret, but none is recorded")]
    MissingSecret,
    #[error("wrong username or password (or no such user: the pool does not say which)")]
    WrongCredentials,
    #[error("the user has not confirmed the sign-up yet")]
    NotConfirmed,
    #[error("{flow} is not enabled on the app client")]
    FlowNotEnabled { flow: String },
    #[error("your AWS identity may not call AdminInitiateAuth, and the app client does not allow USER_PASSWORD_AUTH")]
    NoAllowedFlow,
    #[error("{0}")]
    Aws(AwsProblem),
}

impl SignInError {
    pub fn hint(&self) -> String {
        match self {
            SignInError::WrongSecret | SignInError::MissingSecret => {
                "record the secret from the console (App clients → Show details): walab config set app-client-secret -"
                    .into()
            }
            SignInError::WrongCredentials => {
                "check the username (walab config set username …) and the password (WALAB_PASSWORD or the prompt)".into()
            }
            SignInError::NotConfirmed => "open the link in the confirmation email (walab solve sign-up)".into(),
            SignInError::FlowNotEnabled { flow } => {
                format!("enable ALLOW_{flow} on the app client (Cognito console → App clients → Edit)")
            }
            SignInError::NoAllowedFlow => {
                "grant cognito-idp:AdminInitiateAuth to your identity (the lab's way), or enable ALLOW_USER_PASSWORD_AUTH on the app client".into()
            }
            SignInError::Aws(problem) => aws_hint(problem),
        }
    }
}

/// What to do about a refusal from Cognito, by its kind: "try again" only where trying again
/// can help.
fn aws_hint(problem: &AwsProblem) -> String {
    use crate::aws::ProblemKind;
    let by_code = match problem.code() {
        Some("ResourceNotFoundException") => Some(
            "no such user pool or app client in this region: check POOL_ID and CLIENT_ID (the stack outputs: walab check --only stack-outputs) and the region (--region)",
        ),
        Some("InvalidParameterException") => {
            Some("Cognito refused a parameter: check POOL_ID (<region>_<id>) and CLIENT_ID (letters and digits)")
        }
        Some("UserNotFoundException") => {
            Some("no such user: check the username, or sign up first (walab solve sign-up)")
        }
        Some("PasswordResetRequiredException") => Some("the user must reset the password (Cognito console → Users)"),
        Some("TooManyRequestsException" | "LimitExceededException") => {
            Some("Cognito is throttling: wait a minute, then try again")
        }
        Some("TooManyFailedAttemptsException") => {
            Some("too many wrong passwords: wait a few minutes before trying again")
        }
        _ => None,
    };
    if let Some(hint) = by_code {
        return hint.to_string();
    }
    if let Some(hint) = &problem.hint {
        return hint.clone();
    }
    match problem.kind {
        ProblemKind::Throttled => "AWS is throttling: wait a minute, then try again".into(),
        ProblemKind::ServiceFault => "Cognito failed on its side: try again in a moment".into(),
        ProblemKind::Unreachable => "Cognito did not answer: check the network and the region (--region)".into(),
        _ => "run walab check: it says which of the lab's values is off".into(),
    }
}

/// What signing in needs.
pub struct SignInRequest<'a> {
    pub pool_id: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<&'a Secret>,
    pub username: &'a str,
    pub password: &'a Secret,
}

/// Signs in the way the lab's script does (AdminInitiateAuth, `ADMIN_USER_PASSWORD_AUTH`, with
/// the secret hash); when the identity may not call it, falls back to InitiateAuth with
/// `USER_PASSWORD_AUTH`, which needs no AWS credentials but must be enabled on the client.
pub async fn sign_in(aws: &Clients, req: &SignInRequest<'_>) -> Result<SignIn, SignInError> {
    let hash = req.client_secret.map(|s| secret_hash(req.username, req.client_id, s.expose()));
    let parameters = || auth_parameters(req, hash.as_deref());
    let (answer, flow) = match cognito::admin_initiate_auth(aws, req.pool_id, req.client_id, parameters()).await {
        Ok(answer) => (answer, "ADMIN_USER_PASSWORD_AUTH"),
        Err(problem)
            if problem.kind == crate::aws::ProblemKind::AccessDenied
                || problem.kind == crate::aws::ProblemKind::NoCredentials =>
        {
            // Without the admin call, sign in as an app would: the plain password flow if the
            // client allows it, else SRP (which the lab's client allows).
            match cognito::initiate_auth(aws, req.client_id, parameters()).await.map_err(classify) {
                Ok(answer) => (answer, "USER_PASSWORD_AUTH"),
                Err(SignInError::FlowNotEnabled { .. }) => {
                    return sign_in_srp(aws, req).await.map_err(|e| match e {
                        SignInError::FlowNotEnabled { .. } => SignInError::NoAllowedFlow,
                        other => other,
                    });
                }
                Err(other) => return Err(other),
            }
        }
        Err(problem) => return Err(classify(problem)),
    };
    signed_in(answer, flow)
}

fn signed_in(answer: AuthAnswer, flow: &'static str) -> Result<SignIn, SignInError> {
    match answer {
        AuthAnswer::Tokens { id_token, access_token, expires_in } => {
            Ok(SignIn::Tokens { id_token, access_token, expires_in, flow })
        }
        AuthAnswer::NewPasswordRequired { session } => Ok(SignIn::NewPasswordRequired {
            session: Challenge { session, admin: flow == "ADMIN_USER_PASSWORD_AUTH" },
            flow,
        }),
        AuthAnswer::OtherChallenge(challenge) => Err(SignInError::Aws(unexpected(&format!(
            "Cognito asks for the {challenge} challenge, which walab does not answer"
        )))),
        AuthAnswer::Incomplete(what) => Err(SignInError::Aws(unexpected(what))),
    }
}

/// Signs in with SRP (`USER_SRP_AUTH`), as Amplify and the other app libraries do: the
/// password never leaves this process, and no AWS credentials are needed.
pub async fn sign_in_srp(aws: &Clients, req: &SignInRequest<'_>) -> Result<SignIn, SignInError> {
    const FLOW: &str = "USER_SRP_AUTH";
    let srp_error = |e: crate::srp::SrpError| SignInError::Aws(unexpected(&format!("SRP sign-in failed: {e}")));
    let client = crate::srp::SrpClient::new(req.pool_id).map_err(srp_error)?;
    let mut parameters = std::collections::HashMap::new();
    parameters.insert("USERNAME".to_string(), req.username.to_string());
    parameters.insert("SRP_A".to_string(), client.srp_a());
    if let Some(secret) = req.client_secret {
        parameters.insert("SECRET_HASH".to_string(), secret_hash(req.username, req.client_id, secret.expose()));
    }
    let (answer, challenge) = cognito::initiate_srp(aws, req.client_id, parameters).await.map_err(classify)?;
    match &answer {
        AuthAnswer::OtherChallenge(name) if name == "PASSWORD_VERIFIER" => {}
        _ => return signed_in(answer, FLOW),
    }
    let field = |name: &str| {
        challenge
            .get(name)
            .cloned()
            .ok_or_else(|| SignInError::Aws(unexpected(&format!("Cognito's PASSWORD_VERIFIER challenge lacks {name}"))))
    };
    let user_id = field("USER_ID_FOR_SRP")?;
    let username = challenge.get("USERNAME").cloned().unwrap_or_else(|| user_id.clone());
    let parameters = crate::srp::ChallengeParameters {
        srp_b: field("SRP_B")?,
        salt: field("SALT")?,
        secret_block: field("SECRET_BLOCK")?,
    };
    let now = crate::clock::now_secs().max(0) as u64;
    let timestamp = crate::srp::timestamp(i64::try_from(now).unwrap_or(0));
    let signature =
        client.password_claim_signature(&user_id, req.password.expose(), &parameters, &timestamp).map_err(srp_error)?;
    let mut responses = std::collections::HashMap::new();
    responses.insert("USERNAME".to_string(), username.clone());
    responses.insert("PASSWORD_CLAIM_SECRET_BLOCK".to_string(), parameters.secret_block.clone());
    responses.insert("PASSWORD_CLAIM_SIGNATURE".to_string(), signature);
    responses.insert("TIMESTAMP".to_string(), timestamp);
    if let Some(secret) = req.client_secret {
        responses.insert("SECRET_HASH".to_string(), secret_hash(&username, req.client_id, secret.expose()));
    }
    let answer = cognito::respond_password_verifier(aws, req.client_id, responses).await.map_err(classify)?;
    signed_in(answer, FLOW)
}

/// Answers `NEW_PASSWORD_REQUIRED` with the user's new password.
pub async fn set_new_password(
    aws: &Clients,
    req: &SignInRequest<'_>,
    challenge: &Challenge,
    new_password: &Secret,
) -> Result<SignIn, SignInError> {
    let mut responses = std::collections::HashMap::new();
    responses.insert("USERNAME".to_string(), req.username.to_string());
    responses.insert("NEW_PASSWORD".to_string(), new_password.expose().to_string());
    if let Some(secret) = req.client_secret {
        responses.insert("SECRET_HASH".to_string(), secret_hash(req.username, req.client_id, secret.expose()));
    }
    let answer = if challenge.admin {
        cognito::admin_respond_new_password(aws, req.pool_id, req.client_id, &challenge.session, responses).await
    } else {
        cognito::respond_new_password(aws, req.client_id, &challenge.session, responses).await
    };
    match answer.map_err(classify)? {
        AuthAnswer::Tokens { id_token, access_token, expires_in } => {
            Ok(SignIn::Tokens { id_token, access_token, expires_in, flow: "NEW_PASSWORD_REQUIRED" })
        }
        AuthAnswer::Incomplete(what) => Err(SignInError::Aws(unexpected(what))),
        _ => Err(SignInError::Aws(unexpected("no tokens after the new password"))),
    }
}

fn auth_parameters(req: &SignInRequest<'_>, hash: Option<&str>) -> std::collections::HashMap<String, String> {
    let mut params = std::collections::HashMap::new();
    params.insert("USERNAME".to_string(), req.username.to_string());
    params.insert("PASSWORD".to_string(), req.password.expose().to_string());
    if let Some(hash) = hash {
        params.insert("SECRET_HASH".to_string(), hash.to_string());
    }
    params
}

fn unexpected(message: &str) -> AwsProblem {
    AwsProblem { kind: crate::aws::ProblemKind::Other, message: message.to_string(), hint: None }
}

/// Maps Cognito's refusals to what they mean for the learner.
fn classify(problem: AwsProblem) -> SignInError {
    let message = problem.message.to_ascii_lowercase();
    match problem.code() {
        Some("NotAuthorizedException") if message.contains("secret hash") => SignInError::WrongSecret,
        Some("NotAuthorizedException") if message.contains("incorrect username or password") => {
            SignInError::WrongCredentials
        }
        Some("UserNotFoundException") => SignInError::WrongCredentials,
        Some("UserNotConfirmedException") => SignInError::NotConfirmed,
        Some("InvalidParameterException") if message.contains("secret") => SignInError::MissingSecret,
        Some("InvalidParameterException") if message.contains("flow not enabled") => {
            let flow = problem.message.split_whitespace().find(|w| w.ends_with("_AUTH")).unwrap_or("the flow");
            SignInError::FlowNotEnabled { flow: flow.trim_start_matches("InvalidParameterException:").to_string() }
        }
        _ => SignInError::Aws(problem),
    }
}

/// Fetches a pool's JWKS.
pub async fn fetch_jwks(url: &str, timeout: std::time::Duration) -> Result<JwkSet, String> {
    let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| format!("cannot fetch {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    // A pool's JWKS is a few keys; an endless answer is cut at 1 MiB.
    let body = crate::aws::http::read_capped(response, 1024 * 1024).await.map_err(|e| format!("{url}: {e}"))?;
    serde_json::from_slice::<JwkSet>(&body).map_err(|e| format!("{url} is not a JWKS: {e}"))
}
