//! Cognito tokens from the client's side: the secret hash a client with a secret must send,
//! and a careful verifier for the JWTs a user pool issues (the rules of AWS's own verifier).
//! The local lab's authorizer uses the same verifier, so both sides agree by construction.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

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
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || URL_SAFE_NO_PAD.decode(p).is_err()) {
        return Err(TokenError::Malformed);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(TokenError::Algorithm(format!("{:?}", header.alg)));
    }
    let kid = header.kid.ok_or(TokenError::MissingKid)?;
    let jwk = jwks.find(&kid).ok_or_else(|| TokenError::UnknownKid(kid.clone()))?;
    let usable = matches!(jwk.common.public_key_use, None | Some(PublicKeyUse::Signature))
        && matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
    if !usable {
        return Err(TokenError::KeyNotForSigning(kid));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| TokenError::KeyNotForSigning(kid.clone()))?;
    if key.family() != jsonwebtoken::AlgorithmFamily::Rsa {
        return Err(TokenError::KeyNotForSigning(kid));
    }
    // Time and claims are checked below against the caller's clock, not the system's.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
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
    if iss != expected.issuer {
        return Err(TokenError::WrongIssuer { found: iss.to_string(), expected: expected.issuer.to_string() });
    }
    let token_use = claim_str(&claims, "token_use")?;
    if token_use != expected.token_use.as_str() {
        return Err(TokenError::WrongTokenUse { found: token_use.to_string(), expected: expected.token_use.as_str() });
    }
    let client = match expected.token_use {
        TokenUse::Id => claim_str(&claims, "aud")?,
        TokenUse::Access => claim_str(&claims, "client_id")?,
    };
    if client != expected.client_id {
        return Err(TokenError::WrongClient { found: client.to_string(), expected: expected.client_id.to_string() });
    }
    Ok(claims)
}

fn claim_str<'c>(claims: &'c Claims, name: &'static str) -> Result<&'c str, TokenError> {
    claims.get(name).and_then(Value::as_str).ok_or(TokenError::MissingClaim(name))
}

/// Decodes a token's header and claims without verifying anything, for showing what it says.
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
