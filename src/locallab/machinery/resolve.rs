//! Which account a request is for. A lab that is not a room has one account, which every
//! request reaches whatever its credentials (as a learner's own machine may). In a room, a
//! signed call reaches the account of the access key that signed it, once the signature checks
//! out; Cognito's unsigned calls find their account by app client (or user pool); the edge and
//! the invoke URL find it by the account's path.

use std::sync::Arc;

use http::StatusCode;

use crate::locallab::account::Account;
use crate::locallab::lab::LocalLab;
use crate::locallab::machinery::sigv4::{self, Dialect, Expected, Refusal};
use crate::locallab::machinery::wire::{ApiError, AwsRequest};

/// How an unsigned call names its account.
pub enum Unsigned {
    /// Not allowed: the operation needs a signature.
    Refused,
    /// Nothing the lab answers here names an account (an unknown path): a room refuses it as
    /// unsigned; a lab with one account answers it (with "nothing here").
    Unnamed,
    ClientId(Option<String>),
    PoolId(Option<String>),
}

/// What the router knows of a control-plane request before its account is found: the
/// protocol's words for refusals, the service and region its signature must name, how an
/// unsigned call names its account, and how the service words a missing signature.
pub struct Addressed {
    pub dialect: Dialect,
    pub expected: Expected<'static>,
    pub unsigned: Unsigned,
    /// The service's own refusal of an unsigned call to an operation that needs a signature
    /// (a room answers with its verifier's words, [`Refusal::Missing`]).
    pub missing: ApiError,
}

/// True when the request carries a SigV4 signature, in `Authorization` or in the query.
fn carries_signature(req: &AwsRequest) -> bool {
    req.is_signed() || sigv4::is_presigned(req)
}

fn no_account() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "The local lab has no account yet.")
}

/// The account a control-plane call is for, and the one place where a call that needs a
/// signature and carries none is refused. `addressed.unsigned` says how to find the account
/// when the request carries no signature.
pub fn control_plane(lab: &LocalLab, req: &AwsRequest, addressed: Addressed) -> Result<Arc<Account>, ApiError> {
    let Addressed { dialect, expected, unsigned, missing } = addressed;
    if lab.room.is_none() {
        if matches!(unsigned, Unsigned::Refused) && !carries_signature(req) {
            return Err(missing);
        }
        return lab.account().ok_or_else(no_account);
    }
    if sigv4::authorization(req).is_some() {
        let mut account = None;
        sigv4::verify(req, &expected, lab.clock.now_ms(), |key| {
            let (secret, found) = lab.credentials(key)?;
            account = Some(found);
            Some(secret)
        })
        .map_err(|refusal| refusal.into_error(dialect))?;
        return account.ok_or_else(|| Refusal::UnknownKey.into_error(dialect));
    }
    let found = match unsigned {
        Unsigned::Refused | Unsigned::Unnamed => None,
        Unsigned::ClientId(id) => {
            let id = id.unwrap_or_default();
            return lab.account_by_client(&id).ok_or_else(|| {
                ApiError::bad_request("ResourceNotFoundException", format!("User pool client {id} does not exist."))
            });
        }
        Unsigned::PoolId(id) => {
            let id = id.unwrap_or_default();
            return lab.account_by_pool(&id).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFoundException",
                    format!("User pool {id} does not exist."),
                )
            });
        }
    };
    found.ok_or_else(|| Refusal::Missing.into_error(dialect))
}

/// The account the edge or the invoke URL serves `req` for, and the request as that account
/// sees it (in a room, without the account's path).
pub fn by_path(lab: &LocalLab, req: AwsRequest) -> Option<(Arc<Account>, AwsRequest)> {
    if lab.room.is_none() {
        return lab.account().map(|account| (account, req));
    }
    let account = lab.account_by_id(req.segments.first()?)?;
    Some((account, req.without_first_segment()))
}

/// The account a hosted-UI request is for, and the request (its body read and put back when the
/// app client is named only there). In a room the app client (`client_id` in the query or the
/// form, or HTTP Basic) or the token's pool says whose it is.
pub async fn hosted_ui(
    lab: &LocalLab,
    request: axum::extract::Request,
) -> (axum::extract::Request, Option<Arc<Account>>) {
    if lab.room.is_none() {
        return (request, lab.account());
    }
    let query_client = request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned())
    });
    if let Some(client) = query_client {
        return (request, lab.account_by_client(&client));
    }
    let authorization =
        request.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Some(basic) = authorization.strip_prefix("Basic ") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD.decode(basic.trim()).unwrap_or_default();
        let text = String::from_utf8_lossy(&decoded);
        let client = text.split(':').next().unwrap_or_default().to_string();
        return (request, lab.account_by_client(&client));
    }
    if let Some(token) = authorization.strip_prefix("Bearer ") {
        let pool = crate::token::claimed_pool(token.trim());
        return (request, pool.and_then(|p| lab.account_by_pool(&p)));
    }
    // A form (the token endpoint, a page's POST): the client is in the body.
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024).await else {
        return (axum::extract::Request::from_parts(parts, axum::body::Body::empty()), None);
    };
    let client =
        form_urlencoded::parse(&bytes).find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned()).unwrap_or_default();
    let account = lab.account_by_client(&client);
    (axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)), account)
}
