//! Cognito user pools (JSON 1.1, `X-Amz-Target: AWSCognitoIdentityProviderService.*`): the
//! lab's pool and app client, sign-up with an outbox for the "emails", the password flows with
//! the secret hash and explicit auth flows enforced, and RS256 tokens with real claims.
//!
//! The other services learn what they need from Cognito through the functions here
//! ([`verify_for_pool`], [`lab_identity`]), never by reading its state.

mod admin;
mod bounds;
mod call;
mod describe;
pub mod directory;
mod errors;
pub mod hosted_ui;
mod input;
pub mod keys;
pub mod lockout;
pub mod model;
mod operations;
mod output;
mod passwords;
mod sessions;
mod signin;
mod signup;
mod srp_auth;
pub mod state;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

pub use keys::{Signer, generate_signing_key};
pub use output::Observed;
pub use state::{CognitoState, PoolSeed};

use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::signing::Signing;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::{ApiError, AwsRequest, json_response};
use crate::secret::Secret;
use crate::token::{Claims, TokenError, TokenUse};

pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const JSON_1_1: &str = "application/x-amz-json-1.1";

/// How a call to `operation` must be signed (from the operation table).
pub fn signing(operation: &str) -> Signing {
    operations::signing(operation)
}

/// Cognito reads only AWS JSON bodies; this is checked before anything else, the signature too.
pub fn check_content_type(req: &AwsRequest) -> Result<(), ApiError> {
    let content_type = req.header("content-type").unwrap_or_default();
    if content_type.starts_with("application/x-amz-json-1.") {
        Ok(())
    } else {
        Err(ApiError::bad_request("SerializationException", "Content-Type must be application/x-amz-json-1.1"))
    }
}

/// Answers one Cognito operation (its signature and content type already checked by the
/// router), with what the call showed of the learner's progress when it succeeded.
pub fn handle(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    operation: &str,
    req: &AwsRequest,
) -> (Response, Vec<Observed>) {
    let call = call::Call { ctx, cognito };
    let done = match operations::find(operation) {
        Some(op) => op.answer(&call, &req.body),
        None => Err(ApiError::bad_request(
            "UnknownOperationException",
            format!("The local lab's Cognito does not implement {TARGET_PREFIX}{operation}"),
        )),
    };
    match done {
        Ok(done) => (json_response(StatusCode::OK, &done.body, JSON_1_1), done.observed),
        Err(e) => (e.into_aws_json(), Vec::new()),
    }
}

/// The client id an unsigned call names (`ClientId`), for finding its account in a room.
pub fn client_id_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct WithClient {
        client_id: Option<String>,
    }
    serde_json::from_slice::<WithClient>(body).ok()?.client_id
}

/// The pool an access token (in an unsigned call's `AccessToken`) says it comes from.
pub fn pool_of_access_token(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct WithToken {
        access_token: Option<String>,
    }
    let token = serde_json::from_slice::<WithToken>(body).ok()?.access_token?;
    crate::token::claimed_pool(&token)
}

/// Verifies a token the way an API Gateway Cognito authorizer does for `pool_id`: signed by
/// the pool's key, issued by the pool, of the expected use, for one of the pool's app clients.
///
/// The pool's keys were parsed when the account was loaded and its issuer cannot change, so
/// the state is consulted, briefly, only for the app clients, once the token passed the rest.
pub fn verify_for_pool(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    pool_id: &str,
    token: &str,
    token_use: TokenUse,
) -> Result<Claims, TokenError> {
    let signer = cognito.read(|s| s.signer(pool_id)).ok_or_else(|| TokenError::UnknownKid(String::new()))?;
    signer.verifier.verify_with(token, &signer.issuer, token_use, ctx.clock.now_secs(), |client| {
        cognito.read(|s| {
            let mut clients = s.pool_clients(pool_id);
            if clients.any(|c| c.id == client) {
                Ok(())
            } else {
                let expected = s.pool_clients(pool_id).next().map(|c| c.id.clone()).unwrap_or_default();
                Err(TokenError::WrongClient { found: client.to_string(), expected })
            }
        })
    })
}

/// The lab's pool, client and demo user, as the stack outputs and `walab serve` name them.
#[derive(Debug, Clone)]
pub struct LabIdentity {
    pub pool_id: String,
    pub pool_arn: String,
    pub client_id: String,
    pub demo_username: String,
    pub demo_password: Secret,
}

pub fn lab_identity(cognito: &Slice<CognitoState>) -> Option<LabIdentity> {
    cognito.read(|s| {
        let (pool, client) = s.lab_pool_and_client()?;
        let demo = s.demo.get();
        Some(LabIdentity {
            pool_id: pool.id.clone(),
            pool_arn: pool.arn.clone(),
            client_id: client.id.clone(),
            demo_username: demo.username.clone(),
            demo_password: demo.password.clone(),
        })
    })
}

/// True when the account has a pool `pool_id` (for authorizers being created).
pub fn has_pool(cognito: &Slice<CognitoState>, pool_id: &str) -> bool {
    cognito.read(|s| s.pools.contains(pool_id))
}

/// The pool's signer, for tests that mint tokens exactly as the pool would.
pub fn signer(cognito: &Slice<CognitoState>, pool_id: &str) -> Option<Arc<Signer>> {
    cognito.read(|s| s.signer(pool_id))
}

/// `/<poolId>/.well-known/jwks.json` and `openid-configuration`.
pub fn well_known(ctx: &AccountContext, cognito: &Slice<CognitoState>, pool_id: &str, document: &str) -> Response {
    let Some(signer) = cognito.read(|s| s.signer(pool_id)) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("User pool {pool_id} does not exist."),
        )
        .into_rest_json();
    };
    let body = match document {
        "jwks.json" => serde_json::to_value(&signer.jwks).unwrap_or(Value::Null),
        "openid-configuration" => json!({
            "issuer": signer.issuer,
            "jwks_uri": format!("{}/{pool_id}/.well-known/jwks.json", ctx.urls.aws_endpoint),
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

/// The newest message sent to `to`.
pub fn last_email_to(cognito: &Slice<CognitoState>, to: &str) -> Option<model::OutboxMessage> {
    cognito.read(|s| s.outbox.values().rev().find(|m| m.to.eq_ignore_ascii_case(to)).cloned())
}

/// `GET /_walab/confirm?…`: the confirmation link in the "email".
pub fn confirm_link_page(
    ctx: &AccountContext,
    cognito: &Slice<CognitoState>,
    query: &BTreeMap<String, String>,
) -> Response {
    match signup::confirm_link(ctx, cognito, query) {
        Ok(body) => json_response(StatusCode::OK, &body, "application/json"),
        Err(e) => e.into_rest_json(),
    }
}

/// The demo user's username and password (kept when its pool is deleted).
pub fn demo_user(cognito: &Slice<CognitoState>) -> (String, Secret) {
    cognito.read(|s| {
        let demo = s.demo.get();
        (demo.username.clone(), demo.password.clone())
    })
}

/// The hosted UI's domain prefix of pool `pool_id`.
pub fn pool_domain(cognito: &Slice<CognitoState>, pool_id: &str) -> Option<String> {
    cognito.read(|s| s.pools.get(pool_id).map(|p| p.domain.clone()))
}

/// Deletes pool `pool_id` with its clients and users, as deleting its stack does.
pub fn delete_pool(cognito: &Slice<CognitoState>, pool_id: &str) -> Result<(), ApiError> {
    cognito.write(|s| {
        s.remove_pool(pool_id);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    use super::*;

    /// What the log says while `f` runs.
    fn logged(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, f);
        String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned()
    }

    /// An account on loopback whose pools hold at most `users_per_pool` users.
    pub(super) fn context(users_per_pool: usize) -> AccountContext {
        AccountContext {
            id: "123456789012".into(),
            region: "us-east-1".into(),
            clock: Arc::new(crate::locallab::machinery::clock::Clock::default()),
            timing: crate::locallab::machinery::context::Timing::INSTANT,
            urls: crate::locallab::machinery::context::AccountUrls {
                aws_endpoint: "http://127.0.0.1:4566".into(),
                edge: "http://127.0.0.1:4567".into(),
                invoke: "http://127.0.0.1:4568".into(),
            },
            users_per_pool,
        }
    }

    #[test]
    fn the_outbox_is_logged_only_once_its_message_is_committed() {
        let seed = || PoolSeed {
            region: "us-east-1",
            account: "123456789012",
            guid: "abcdefgh",
            signing_key: generate_signing_key().unwrap(),
        };
        let ctx = context(10);
        for writable in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(crate::locallab::machinery::store::Store::open(dir.path()).unwrap().store);
            let state = CognitoState::seed(0, seed()).unwrap();
            let client_id = state.lab_pool_and_client().unwrap().1.id.clone();
            let slice = Slice::new(state, store.clone(), "123456789012".into());
            if !writable {
                store.refuse_writes();
            }
            let log = logged(|| {
                let attributes = BTreeMap::new();
                let signed_up =
                    signup::register(&ctx, &slice, &client_id, "new@example.com", "Passw0rd!x", attributes, None);
                assert_eq!(signed_up.is_ok(), writable, "{signed_up:?}");
            });
            assert_eq!(log.contains("outbox:"), writable, "{log}");
            let code = slice.read(|s| s.outbox.values().last().and_then(|m| m.code.clone()));
            if let Some(code) = code {
                assert!(!log.contains(&code), "no code in the log: {log}");
            }
        }
    }

    #[test]
    fn a_pool_holds_no_more_users_than_its_account_allows() {
        let seed = PoolSeed {
            region: "us-east-1",
            account: "123456789012",
            guid: "abcdefgh",
            signing_key: generate_signing_key().unwrap(),
        };
        // The demo user and one more.
        let ctx = context(2);
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(crate::locallab::machinery::store::Store::open(dir.path()).unwrap().store);
        let state = CognitoState::seed(0, seed).unwrap();
        let client_id = state.lab_pool_and_client().unwrap().1.id.clone();
        let slice = Slice::new(state, store, "123456789012".into());
        let sign_up =
            |email: &str| signup::register(&ctx, &slice, &client_id, email, "Passw0rd!x", BTreeMap::new(), None);
        assert!(sign_up("second@example.com").is_ok());
        let refused = sign_up("third@example.com").unwrap_err();
        assert_eq!(refused.code, "LimitExceededException");
    }

    #[test]
    fn signs_exactly_as_jsonwebtoken_does() {
        let pem = generate_signing_key().unwrap();
        let seed =
            PoolSeed { region: "us-east-1", account: "123456789012", guid: "abcdefgh", signing_key: pem.clone() };
        let state = CognitoState::seed(0, seed).unwrap();
        let (pool, _) = state.lab_pool_and_client().unwrap();
        let signer = state.signer(&pool.id).unwrap();
        let claims = json!({ "sub": "s", "token_use": "id", "exp": 2_000_000_000_i64, "email": "é\"<x>" });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(pool.key.kid.clone());
        header.typ = None;
        let key = EncodingKey::from_rsa_pem(pem.expose().as_bytes()).unwrap();
        assert_eq!(signer.sign(&claims).unwrap(), jsonwebtoken::encode(&header, &claims, &key).unwrap());
    }
}
