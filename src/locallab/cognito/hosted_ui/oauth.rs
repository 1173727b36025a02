//! The OAuth 2.0 pieces the hosted UI owns: the authorization request and its checks, single-use
//! short-lived authorization codes with PKCE, sign-in sessions, and the token endpoint's grants
//! with RFC 6749's errors.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, StatusCode};

use super::directory::{AppClient, Directory, DirectoryError, Tokens};
use crate::expiring::ExpiringMap;
use crate::secret::Secret;

/// Authorization codes last five minutes, as Cognito's do.
pub const CODE_LIFETIME_MS: i64 = 5 * 60 * 1000;
/// A hosted-UI sign-in is remembered for an hour.
pub const SESSION_LIFETIME_MS: i64 = 60 * 60 * 1000;
/// At most this many codes and this many sessions are kept at once.
pub const CAPACITY: usize = 10_000;
/// The longest value accepted for any one parameter.
pub const MAX_PARAM: usize = 2048;

/// Parameters of a query string or form body. Repeated names are kept so that they can be
/// refused: OAuth forbids sending a parameter twice.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(bytes: &[u8]) -> Params {
        Params(form_urlencoded::parse(bytes).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// The first parameter that is repeated or longer than [`MAX_PARAM`], if any.
    pub fn first_malformed(&self) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(i, (k, v))| {
            let repeated = self.0[..i].iter().any(|(earlier, _)| earlier == k);
            (repeated || v.len() > MAX_PARAM || k.len() > MAX_PARAM).then_some(k.as_str())
        })
    }
}

/// The parameters of `/oauth2/authorize` (and of `/login` and `/signup`, which carry them on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: String,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

impl AuthRequest {
    pub fn from_params(params: &Params) -> AuthRequest {
        let owned = |name| params.get(name).map(str::to_string);
        AuthRequest {
            client_id: owned("client_id").unwrap_or_default(),
            redirect_uri: owned("redirect_uri").unwrap_or_default(),
            response_type: owned("response_type").unwrap_or_default(),
            scope: owned("scope"),
            state: owned("state"),
            code_challenge: owned("code_challenge"),
            code_challenge_method: owned("code_challenge_method"),
        }
    }

    /// The parameters as name/value pairs, for links and hidden form fields.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("client_id", self.client_id.clone()),
            ("response_type", self.response_type.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
        ];
        let optional = [
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ];
        pairs.extend(optional.into_iter().filter_map(|(k, v)| v.clone().map(|v| (k, v))));
        pairs
    }

    pub fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            query.append_pair(k, &v);
        }
        query.finish()
    }
}

/// Why an authorization request cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRequestError {
    /// The client or the redirect URI cannot be trusted: say so on a page, never redirect.
    Page(String),
    /// Tell the client, by redirecting to its (checked) redirect URI with `error`.
    Redirect { redirect_uri: String, error: &'static str, description: String, state: Option<String> },
}

/// An authorization request that passed every check, with its client and granted scopes.
#[derive(Debug, Clone)]
pub struct CheckedAuthRequest {
    pub request: AuthRequest,
    pub client: AppClient,
    pub scopes: Vec<String>,
}

/// Checks an authorization request as Cognito does, in RFC 6749's order: the client and the
/// redirect URI first (errors shown on a page), then the rest (errors sent to the client).
pub fn check_auth_request(
    directory: &dyn Directory,
    request: &AuthRequest,
) -> Result<CheckedAuthRequest, AuthRequestError> {
    if request.client_id.is_empty() {
        return Err(AuthRequestError::Page("The link has no client_id, so there is no app to sign in to.".into()));
    }
    let Some(client) = directory.client(&request.client_id) else {
        return Err(AuthRequestError::Page(format!("No app client has the id {}.", request.client_id)));
    };
    if request.redirect_uri.is_empty() {
        return Err(AuthRequestError::Page("The link has no redirect_uri, so there is nowhere to return to.".into()));
    }
    if !client.callback_urls.contains(&request.redirect_uri) {
        return Err(AuthRequestError::Page(format!(
            "The redirect_uri {} is not one of the app client's callback URLs ({}).",
            request.redirect_uri,
            client.callback_urls.join(", ")
        )));
    }
    let redirect = |error, description: String| AuthRequestError::Redirect {
        redirect_uri: request.redirect_uri.clone(),
        error,
        description,
        state: request.state.clone(),
    };
    if request.response_type != "code" {
        return Err(redirect(
            "unsupported_response_type",
            "The local lab's hosted UI supports response_type=code (the authorization code grant).".into(),
        ));
    }
    let scopes: Vec<String> = match &request.scope {
        Some(scope) => scope.split([' ', '+']).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        None => client.allowed_scopes.clone(),
    };
    if let Some(unknown) = scopes.iter().find(|s| !client.allowed_scopes.contains(s)) {
        return Err(redirect("invalid_scope", format!("The app client may not ask for the scope {unknown}.")));
    }
    match (&request.code_challenge, request.code_challenge_method.as_deref()) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err(redirect("invalid_request", "code_challenge_method came without code_challenge.".into()));
        }
        (Some(challenge), method) => {
            if !matches!(method, None | Some("S256") | Some("plain")) {
                return Err(redirect("invalid_request", "code_challenge_method must be S256 or plain.".into()));
            }
            if !is_pkce_string(challenge) {
                return Err(redirect(
                    "invalid_request",
                    "code_challenge must be 43 to 128 URL-safe characters.".into(),
                ));
            }
        }
    }
    Ok(CheckedAuthRequest { request: request.clone(), client, scopes })
}

/// RFC 7636's shape for a code verifier or challenge: 43–128 unreserved characters.
fn is_pkce_string(text: &str) -> bool {
    (43..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// `uri` with `pairs` added to its query.
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub username: String,
    pub scopes: Vec<String>,
    pub challenge: Option<(PkceMethod, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceMethod {
    S256,
    Plain,
}

/// The hosted UI's memory: codes and sessions. Like Cognito's, they do not survive a restart.
#[derive(Debug)]
pub struct Memory {
    pub codes: ExpiringMap<CodeGrant>,
    pub sessions: ExpiringMap<Session>,
}

impl Default for Memory {
    fn default() -> Self {
        Memory { codes: ExpiringMap::new(CAPACITY), sessions: ExpiringMap::new(CAPACITY) }
    }
}

/// Who signed in through the hosted UI in this browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub pool_id: String,
    pub username: String,
}

impl Memory {
    /// A new single-use code for a checked request and the user who signed in.
    pub fn issue_code(&mut self, checked: &CheckedAuthRequest, username: &str, now: i64) -> String {
        let code = uuid::Uuid::new_v4().to_string();
        let challenge = checked.request.code_challenge.clone().map(|c| {
            let method = match checked.request.code_challenge_method.as_deref() {
                Some("S256") => PkceMethod::S256,
                _ => PkceMethod::Plain,
            };
            (method, c)
        });
        let grant = CodeGrant {
            client_id: checked.client.id.clone(),
            redirect_uri: checked.request.redirect_uri.clone(),
            username: username.to_string(),
            scopes: checked.scopes.clone(),
            challenge,
        };
        self.codes.insert(code.clone(), grant, now + CODE_LIFETIME_MS, now);
        code
    }

    /// The code's grant without using it up (the callback page reads which client it is for).
    pub fn peek_code(&self, code: &str, now: i64) -> Option<&CodeGrant> {
        self.codes.get(code, now)
    }

    pub fn start_session(&mut self, pool_id: &str, username: &str, now: i64) -> String {
        let mut bytes = [0u8; 32];
        // Should the system's generator fail, a UUID is still unguessable enough for a lab.
        let id = match aws_lc_rs::rand::fill(&mut bytes) {
            Ok(()) => URL_SAFE_NO_PAD.encode(bytes),
            Err(_) => uuid::Uuid::new_v4().simple().to_string(),
        };
        let session = Session { pool_id: pool_id.to_string(), username: username.to_string() };
        self.sessions.insert(id.clone(), session, now + SESSION_LIFETIME_MS, now);
        id
    }

    pub fn session(&self, id: &str, now: i64) -> Option<&Session> {
        self.sessions.get(id, now)
    }

    pub fn end_session(&mut self, id: &str) {
        self.sessions.remove(id);
    }
}

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl TokenError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        TokenError { status, error, description: description.into() }
    }
    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }
    fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }
    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }
}

/// How the client authenticated at the token endpoint.
#[derive(Debug, Clone, Default)]
pub struct ClientCredentials {
    pub client_id: Option<String>,
    pub secret: Option<Secret>,
    pub by_basic: bool,
}

/// Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1: each half form-encoded)
/// or from the body, never both.
pub fn client_credentials(headers: &HeaderMap, params: &Params) -> Result<ClientCredentials, TokenError> {
    let basic = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let body_secret = params.get("client_secret").map(Secret::new);
    let body_id = params.get("client_id").map(str::to_string);
    match basic {
        Some(encoded) => {
            if body_secret.is_some() {
                return Err(TokenError::invalid_request("Send the client secret one way: HTTP Basic or the body."));
            }
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| TokenError::invalid_client("The Basic credentials are not base64 of id:secret."))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| TokenError::invalid_client("The Basic credentials are not base64 of id:secret."))?;
            let unescape = |s: &str| -> String {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let id = unescape(id);
            if body_id.as_ref().is_some_and(|b| *b != id) {
                return Err(TokenError::invalid_client("client_id in the body differs from the Basic credentials."));
            }
            Ok(ClientCredentials { client_id: Some(id), secret: Some(Secret::new(unescape(secret))), by_basic: true })
        }
        None => Ok(ClientCredentials { client_id: body_id, secret: body_secret, by_basic: false }),
    }
}

/// The client the credentials prove, as `/oauth2/token` requires.
fn authenticate(directory: &dyn Directory, credentials: &ClientCredentials) -> Result<AppClient, TokenError> {
    let id = credentials
        .client_id
        .as_deref()
        .ok_or_else(|| TokenError::invalid_client("Name the client: client_id, or HTTP Basic with the secret."))?;
    let client =
        directory.client(id).ok_or_else(|| TokenError::invalid_client(format!("No app client has the id {id}.")))?;
    match (&client.secret, &credentials.secret) {
        (Some(expected), Some(given)) => {
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.expose().as_bytes(), given.expose().as_bytes())
                .map_err(|_| TokenError::invalid_client("The client secret is wrong."))?;
        }
        (Some(_), None) => return Err(TokenError::invalid_client("This app client has a secret: send it.")),
        (None, Some(_)) => return Err(TokenError::invalid_client("This app client has no secret.")),
        (None, None) => {}
    }
    Ok(client)
}

/// The token endpoint's work, once its body is parsed: the `authorization_code` and
/// `refresh_token` grants.
pub fn token_grant(
    directory: &dyn Directory,
    memory: &std::sync::Mutex<Memory>,
    params: &Params,
    credentials: &ClientCredentials,
) -> Result<Tokens, TokenError> {
    if let Some(name) = params.first_malformed() {
        return Err(TokenError::invalid_request(format!("The parameter {name} is repeated or too long.")));
    }
    let grant_type = params.get("grant_type").ok_or_else(|| TokenError::invalid_request("grant_type is missing."))?;
    let client = authenticate(directory, credentials)?;
    match grant_type {
        "authorization_code" => {
            let code = params.get("code").ok_or_else(|| TokenError::invalid_request("code is missing."))?;
            let redirect_uri =
                params.get("redirect_uri").ok_or_else(|| TokenError::invalid_request("redirect_uri is missing."))?;
            let now = directory.now_ms();
            // Taken whatever follows: a code is good for one attempt only.
            let grant = lock(memory)
                .codes
                .take(code, now)
                .ok_or_else(|| TokenError::invalid_grant("The code is unknown, used already, or expired."))?;
            if grant.client_id != client.id {
                return Err(TokenError::invalid_grant("The code was issued to another app client."));
            }
            if grant.redirect_uri != redirect_uri {
                return Err(TokenError::invalid_grant("redirect_uri differs from the one the code was issued for."));
            }
            if let Some((method, challenge)) = &grant.challenge {
                let verifier = params
                    .get("code_verifier")
                    .ok_or_else(|| TokenError::invalid_grant("The code needs its PKCE code_verifier."))?;
                if !is_pkce_string(verifier) || !pkce_matches(*method, verifier, challenge) {
                    return Err(TokenError::invalid_grant("The code_verifier does not match the code_challenge."));
                }
            }
            directory
                .issue_tokens(&client.id, &grant.username, &grant.scopes)
                .map_err(|e| TokenError::invalid_grant(e.to_string()))
        }
        "refresh_token" => {
            let token =
                params.get("refresh_token").ok_or_else(|| TokenError::invalid_request("refresh_token is missing."))?;
            directory.refresh_tokens(&client.id, &Secret::new(token)).map_err(|e| match e {
                DirectoryError::InvalidToken(m) => TokenError::invalid_grant(m),
                other => TokenError::invalid_grant(other.to_string()),
            })
        }
        "client_credentials" | "password" | "implicit" => Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!("The app client is not allowed the {grant_type} grant."),
        )),
        other => Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("The grant type {other} is not one Cognito knows."),
        )),
    }
}

fn pkce_matches(method: PkceMethod, verifier: &str, challenge: &str) -> bool {
    let derived = match method {
        PkceMethod::S256 => {
            URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()))
        }
        PkceMethod::Plain => verifier.to_string(),
    };
    aws_lc_rs::constant_time::verify_slices_are_equal(derived.as_bytes(), challenge.as_bytes()).is_ok()
}

pub fn lock(memory: &std::sync::Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    // Nothing in Memory can be left half-changed by a panic; keep serving.
    memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_follows_rfc_7636s_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(PkceMethod::S256, verifier, challenge));
        assert!(!pkce_matches(PkceMethod::S256, challenge, challenge));
        assert!(pkce_matches(PkceMethod::Plain, verifier, verifier));
        assert!(is_pkce_string(verifier) && !is_pkce_string("short") && !is_pkce_string(&"a".repeat(129)));
    }

    #[test]
    fn params_refuse_repeats_and_overlong_values() {
        assert_eq!(Params::parse(b"a=1&b=2&a=3").first_malformed(), Some("a"));
        let long = format!("a=1&b={}", "x".repeat(MAX_PARAM + 1));
        assert_eq!(Params::parse(long.as_bytes()).first_malformed(), Some("b"));
        assert_eq!(Params::parse(b"a=1&b=").get("b"), None);
    }

    #[test]
    fn adds_to_a_query_that_is_there_already() {
        assert_eq!(
            with_query("https://x/cb", &[("code", "a b"), ("state", "s&t")]),
            "https://x/cb?code=a+b&state=s%26t"
        );
        assert_eq!(with_query("https://x/cb?app=1", &[("code", "c")]), "https://x/cb?app=1&code=c");
    }
}
