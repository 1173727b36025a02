//! Cognito user pools (JSON 1.1, `X-Amz-Target: AWSCognitoIdentityProviderService.*`): the
//! lab's pool and app client, sign-up with an outbox for the "emails", the password flows
//! with the secret hash and explicit auth flows enforced, and RS256 tokens with real claims.

use std::collections::{BTreeMap, HashMap};

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::StatusCode;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

mod ops;

pub use ops::{confirm_link, handle};

use super::LocalLab;
use super::clock::Millis;
use super::ids;
use super::wire::{ApiError, json_response};
use crate::secret::Secret;

pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

use crate::names::LAB_AUTH_FLOWS;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CognitoState {
    pub pools: Vec<UserPool>,
    /// The lab's demo user, with the password walab uses when nobody types one.
    pub demo: DemoAccount,
    /// Messages Cognito would have emailed (confirmation codes), newest last.
    #[serde(default)]
    pub outbox: Vec<OutboxMessage>,
    /// Refresh tokens handed out; refresh tokens are opaque to clients, as Cognito's are.
    #[serde(default)]
    pub refresh_tokens: Vec<RefreshGrant>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: Secret,
}

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
    pub clients: Vec<AppClient>,
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolKey {
    pub kid: String,
    /// PKCS#8 PEM of the pool's RSA signing key.
    pub private_pem: Secret,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppClient {
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
    /// The pool uses email as the sign-in name, so the real username is the `sub` (a UUID).
    pub username: String,
    pub attributes: BTreeMap<String, String>,
    pub password: PasswordHash,
    pub status: UserStatus,
    pub enabled: bool,
    pub created: Millis,
    pub modified: Millis,
    pub confirmation_code: Option<Secret>,
}

impl User {
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
        Self::digest(&self.salt, password) == self.hash
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshGrant {
    pub token: Secret,
    pub pool_id: String,
    pub client_id: String,
    pub username: String,
    pub origin_jti: String,
    pub auth_time: i64,
    pub expires: Millis,
}

impl CognitoState {
    pub fn seed(now: Millis, region: &str, account: &str, guid: &str, signing_key_pem: Secret) -> Self {
        let pool_id = format!("{region}_{}", ids::alnum(9));
        let kid = key_id(&signing_key_pem).unwrap_or_else(|| ids::alnum(44));
        let client = AppClient {
            id: ids::lower_alnum(26),
            name: format!("WAUserPoolClient-{guid}"),
            // Real app client secrets are 51 characters of lowercase letters and digits.
            secret: Some(Secret::new(ids::lower_alnum(51))),
            explicit_auth_flows: LAB_AUTH_FLOWS.iter().map(|f| f.to_string()).collect(),
            prevent_user_existence_errors: true,
            id_token_minutes: 60,
            access_token_minutes: 60,
            refresh_token_days: 30,
            callback_urls: vec!["https://example.com/callback".to_string()],
            created: now - 3_600_000,
            modified: now - 3_600_000,
        };
        let demo = DemoAccount {
            username: "learner@example.com".to_string(),
            password: Secret::new(format!("Wa{}-9z", ids::alnum(12))),
        };
        let mut attributes = BTreeMap::new();
        let sub = ids::uuid();
        attributes.insert("sub".to_string(), sub.clone());
        attributes.insert("email".to_string(), demo.username.clone());
        attributes.insert("email_verified".to_string(), "true".to_string());
        let user = User {
            username: sub,
            attributes,
            password: PasswordHash::new(demo.password.expose()),
            status: UserStatus::Confirmed,
            enabled: true,
            created: now - 1_800_000,
            modified: now - 1_800_000,
            confirmation_code: None,
        };
        let pool = UserPool {
            arn: format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}"),
            id: pool_id,
            name: format!("WAUserPool-{guid}"),
            domain: format!("walab-{guid}"),
            created: now - 3_600_000,
            modified: now - 3_600_000,
            key: PoolKey { kid, private_pem: signing_key_pem },
            clients: vec![client],
            users: vec![user],
        };
        CognitoState { pools: vec![pool], demo, outbox: Vec::new(), refresh_tokens: Vec::new() }
    }

    /// The lab's user pool (the first; the lab has one).
    pub fn lab_pool(&self) -> &UserPool {
        &self.pools[0]
    }

    pub fn pool(&self, id: &str) -> Option<&UserPool> {
        self.pools.iter().find(|p| p.id == id)
    }
}

impl UserPool {
    /// The lab's app client (the first; the lab has one).
    pub fn lab_client(&self) -> &AppClient {
        &self.clients[0]
    }

    /// `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
    pub fn issuer(&self) -> String {
        let region = self.id.split('_').next().unwrap_or("us-east-1");
        format!("https://cognito-idp.{region}.amazonaws.com/{}", self.id)
    }
}

/// Generates a pool signing key (RSA 2048, PKCS#8 PEM).
pub fn generate_signing_key() -> Result<Secret, aws_lc_rs::error::Unspecified> {
    use aws_lc_rs::encoding::AsDer;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)?;
    let der = pair.as_der()?;
    Ok(Secret::new(pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()))))
}

/// A stable key id for a key: base64 of the SHA-256 of its public modulus (Cognito's kids
/// are 44 base64 characters too).
fn key_id(private_pem: &Secret) -> Option<String> {
    let jwk =
        Jwk::from_encoding_key(&EncodingKey::from_rsa_pem(private_pem.expose().as_bytes()).ok()?, Algorithm::RS256)
            .ok()?;
    let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = &jwk.algorithm else { return None };
    Some(STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, rsa.n.as_bytes()).as_ref()))
}

/// Each pool's signing key, parsed once when the lab starts.
pub struct Signers(HashMap<String, Signer>);

pub struct Signer {
    pub kid: String,
    /// The private key, parsed (and validated) once: parsing an RSA key costs more than
    /// signing with it, and every sign-in signs two tokens.
    key: aws_lc_rs::rsa::KeyPair,
    /// The token header, base64url-encoded: the same for every token of the pool.
    header: String,
    pub jwks: JwkSet,
    /// The pool's JWKS with its keys decoded, for the authorizer.
    pub verifier: crate::token::Verifier,
    /// The pool's `iss`, which cannot change.
    pub issuer: String,
}

impl Signers {
    pub fn load(state: &CognitoState) -> Result<Signers, jsonwebtoken::errors::Error> {
        let mut signers = HashMap::new();
        for pool in &state.pools {
            let encoding = EncodingKey::from_rsa_pem(pool.key.private_pem.expose().as_bytes())?;
            let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)?;
            jwk.common.key_id = Some(pool.key.kid.clone());
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
            let key = rsa_key_pair(pool.key.private_pem.expose()).ok_or_else(|| {
                jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidRsaKey(
                    "the pool's signing key is not an RSA private key".into(),
                ))
            })?;
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(pool.key.kid.clone());
            let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
            let jwks = JwkSet { keys: vec![jwk] };
            let verifier = crate::token::Verifier::new(&jwks);
            let issuer = pool.issuer();
            signers.insert(pool.id.clone(), Signer { kid: pool.key.kid.clone(), key, header, jwks, verifier, issuer });
        }
        Ok(Signers(signers))
    }

    pub fn get(&self, pool_id: &str) -> Option<&Signer> {
        self.0.get(pool_id)
    }
}

/// The pool's key from its PEM: PKCS#8 (what walab writes) or PKCS#1.
fn rsa_key_pair(pem_text: &str) -> Option<aws_lc_rs::rsa::KeyPair> {
    let der = pem::parse(pem_text).ok()?;
    aws_lc_rs::rsa::KeyPair::from_pkcs8(der.contents())
        .or_else(|_| aws_lc_rs::rsa::KeyPair::from_der(der.contents()))
        .ok()
}

impl Signer {
    /// An RS256 JWT of `claims` with the pool's `kid`, byte for byte what
    /// `jsonwebtoken::encode` makes, without parsing the key again.
    pub fn sign(&self, claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = serde_json::to_vec(claims)?;
        let mut token = String::with_capacity(self.header.len() + claims.len() * 4 / 3 + 350);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidSignature))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

/// Sessions of auth challenges in flight (`NEW_PASSWORD_REQUIRED`), kept in memory only:
/// like Cognito's, they last minutes and do not survive a restart.
#[derive(Default)]
pub struct Sessions(pub HashMap<String, ChallengeSession>);

pub struct ChallengeSession {
    pub pool_id: String,
    pub client_id: String,
    pub username: String,
    pub expires: Millis,
}

/// `/<poolId>/.well-known/jwks.json` and `openid-configuration`.
pub fn well_known(lab: &LocalLab, pool_id: &str, document: &str) -> Response {
    let Some(signer) = lab.signers.get(pool_id) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("User pool {pool_id} does not exist."),
        )
        .into_rest_json();
    };
    let issuer = lab.read(|s| s.cognito.pool(pool_id).map(UserPool::issuer)).unwrap_or_default();
    let body = match document {
        "jwks.json" => serde_json::to_value(&signer.jwks).unwrap_or(Value::Null),
        "openid-configuration" => json!({
            "issuer": issuer,
            "jwks_uri": format!("{}/{pool_id}/.well-known/jwks.json", lab.endpoints.aws_endpoint_url()),
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }),
        other => {
            return ApiError::new(StatusCode::NOT_FOUND, "NotFound", format!("No document {other}")).into_rest_json();
        }
    };
    json_response(StatusCode::OK, &body, "application/json")
}

/// `GET /login?…`: where the `CognitoSignupURL` output leads. The local lab has no hosted UI;
/// the page says how to sign up here instead, so a learner who opens the link is not lost.
pub fn hosted_ui(lab: &LocalLab) -> Response {
    let outbox = format!("{}/_walab/outbox", lab.endpoints.aws_endpoint_url());
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>walab local lab: sign up</title></head>\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto\">\
         <h1>Sign up in the walab local lab</h1>\
         <p>This is where the lab's Cognito sign-up page would be. The local lab has no hosted pages; sign up \
         from walab instead: press <b>s</b> on step 5.2 of the walkthrough, or run <code>walab solve sign-up</code>.</p>\
         <p>Any SDK's <code>SignUp</code> call works too. The confirmation \"email\" arrives in the \
         <a href=\"{outbox}\">outbox</a>, with a link that confirms the account.</p></body></html>"
    );
    let mut response = Response::new(axum::body::Body::from(page));
    super::wire::set_header(&mut response, "content-type", "text/html; charset=utf-8");
    response
}

/// `GET /_walab/outbox`: the messages Cognito would have emailed.
pub fn outbox(lab: &LocalLab) -> Response {
    let messages = lab.read(|s| s.cognito.outbox.clone());
    let body = json!({ "messages": messages });
    json_response(StatusCode::OK, &body, "application/json")
}

/// Verifies a token the way an API Gateway Cognito authorizer does for `pool_id`: signed by
/// the pool's key, issued by the pool, of the expected use, for one of the pool's app clients.
///
/// The pool's keys were decoded when the lab started and its issuer cannot change, so the
/// state is only consulted, briefly, for the app clients, once the token has passed the rest.
pub fn verify_for_pool(
    lab: &LocalLab,
    pool_id: &str,
    token: &str,
    token_use: crate::token::TokenUse,
) -> Result<crate::token::Claims, crate::token::TokenError> {
    use crate::token::TokenError;
    let signer = lab.signers.get(pool_id).ok_or_else(|| TokenError::UnknownKid(String::new()))?;
    signer.verifier.verify_with(token, &signer.issuer, token_use, lab.clock.now_secs(), |client| {
        lab.read(|s| {
            let clients = s.cognito.pool(pool_id).map(|p| p.clients.as_slice()).unwrap_or_default();
            if clients.iter().any(|c| c.id == client) {
                Ok(())
            } else {
                let expected = clients.first().map(|c| c.id.clone()).unwrap_or_default();
                Err(TokenError::WrongClient { found: client.to_string(), expected })
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_exactly_as_jsonwebtoken_does() {
        let pem = generate_signing_key().unwrap();
        let state = CognitoState::seed(0, "us-east-1", "123456789012", "abcdefgh", pem.clone());
        let signers = Signers::load(&state).unwrap();
        let pool = state.lab_pool();
        let signer = signers.get(&pool.id).unwrap();
        let claims = json!({ "sub": "s", "token_use": "id", "exp": 2_000_000_000_i64, "email": "é\"<x>" });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(pool.key.kid.clone());
        let key = EncodingKey::from_rsa_pem(pem.expose().as_bytes()).unwrap();
        assert_eq!(signer.sign(&claims).unwrap(), jsonwebtoken::encode(&header, &claims, &key).unwrap());
    }
}
