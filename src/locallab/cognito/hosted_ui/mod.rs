//! Cognito's hosted UI on the local lab: the pages `CognitoSignupURL` opens in a real browser
//! (sign-up, "check your email", the confirmation link's landing, sign-in), the OAuth 2.0
//! endpoints a pool with a domain serves (`/oauth2/authorize` for the code grant with `state`
//! and PKCE, `/oauth2/token`, `/oauth2/userInfo`, `/logout`), the outbox as a page with
//! clickable links (JSON for tools), and the walab page that plays the app at the client's
//! callback URL: it shows the code, exchanges it, and shows the tokens decoded.
//!
//! Pages are askama templates (`templates/hosted_ui/`), small, labelled, and work without
//! JavaScript. Codes (single use, five minutes) and sign-in sessions (a cookie, an hour) live
//! in memory, as Cognito's do not outlive it either.
//!
//! How the Cognito service is expected to use it: implement [`Directory`] over its store,
//! make one [`HostedUi::new`] per lab, and send the AWS endpoint's requests whose path
//! [`serves`] accepts to [`HostedUi::router`] (an axum `Router`, body limit included). The
//! confirmation links it puts in the outbox should be
//! `<endpoint>/confirmUser?client_id=…&user_name=…&confirmation_code=…`, and the lab client's
//! callback URLs should include `<endpoint>` + [`CALLBACK_PATH`], which `CognitoSignupURL`
//! then names as its `redirect_uri` ([`signup_url`] builds that URL).

mod directory;
mod guard;
mod oauth;
mod pages;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use serde::Serialize;

pub use directory::{AppClient, Directory, DirectoryError, OutboxMessage, PasswordPolicy, SignedUp, Tokens};
pub use oauth::{CODE_LIFETIME_MS, SESSION_LIFETIME_MS};

use oauth::{AuthRequest, AuthRequestError, CheckedAuthRequest, Memory, Params, TokenError, lock, with_query};
use pages::html;

use crate::secret::Secret;

/// Where walab's stand-in for the app's callback lives.
pub const CALLBACK_PATH: &str = "/_walab/callback";
/// The outbox, as a page or as JSON.
pub const OUTBOX_PATH: &str = "/_walab/outbox";
/// The largest form body accepted (a sign-in form is well under 1 KiB).
pub const MAX_BODY: usize = 16 * 1024;
/// The longest query string accepted.
pub const MAX_QUERY: usize = 8 * 1024;
/// Cognito's limits on a username and a password.
const MAX_EMAIL: usize = 128;
const MAX_PASSWORD: usize = 256;
const SESSION_COOKIE: &str = "walab-hosted-ui";

const PATHS: [&str; 9] = [
    "/login",
    "/signup",
    "/confirmUser",
    "/oauth2/authorize",
    "/oauth2/token",
    "/oauth2/userInfo",
    "/logout",
    OUTBOX_PATH,
    CALLBACK_PATH,
];

/// True for the paths the hosted UI answers.
pub fn serves(path: &str) -> bool {
    PATHS.contains(&path)
}

/// walab's callback page for `client_id` at `endpoint`. It names the client, so that in a room
/// the browser's return (`…&code=…`) finds the account it belongs to.
pub fn callback_url(endpoint: &str, client_id: &str) -> String {
    let client: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    format!("{}{CALLBACK_PATH}?client_id={client}", endpoint.trim_end_matches('/'))
}

/// True when `redirect_uri` is walab's callback page (for `client_id`, when it names one).
fn is_walab_callback(redirect_uri: &str, client_id: &str) -> bool {
    let Some((scheme, rest)) = redirect_uri.split_once("://") else { return false };
    let (authority_and_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = authority_and_path.find('/').map(|i| &authority_and_path[i..]).unwrap_or("/");
    let names_client = form_urlencoded::parse(query.as_bytes()).all(|(k, v)| k != "client_id" || v == client_id);
    matches!(scheme, "http" | "https") && path == CALLBACK_PATH && names_client
}

/// The local lab's `CognitoSignupURL`: the hosted UI's sign-in page at `endpoint` (e.g.
/// `http://127.0.0.1:4566`) for the client, returning to walab's callback page, with the lab's
/// scopes, in the same shape as the lab's real output.
pub fn signup_url(endpoint: &str, client_id: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    let request = AuthRequest {
        client_id: client_id.to_string(),
        response_type: "code".into(),
        scope: Some("aws.cognito.signin.user.admin email openid".into()),
        redirect_uri: callback_url(endpoint, client_id),
        ..AuthRequest::default()
    };
    format!("{endpoint}/login?{}", request.query())
}

/// The hosted UI of every pool the [`Directory`] knows.
pub struct HostedUi {
    directory: Arc<dyn Directory>,
    memory: Mutex<Memory>,
}

impl HostedUi {
    pub fn new(directory: Arc<dyn Directory>) -> Arc<HostedUi> {
        Arc::new(HostedUi { directory, memory: Mutex::new(Memory::default()) })
    }

    /// Every hosted-UI route, bounded in body size.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/login", get(sign_in_page).post(sign_in))
            .route("/signup", get(sign_up_page).post(sign_up))
            .route("/confirmUser", get(confirm_user))
            .route("/oauth2/authorize", get(authorize))
            .route("/oauth2/token", axum::routing::post(token))
            .route("/oauth2/userInfo", get(user_info).post(user_info))
            .route("/logout", get(logout))
            .route(OUTBOX_PATH, get(outbox))
            .route(CALLBACK_PATH, get(callback))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .layer(axum::middleware::map_response(|response: Response| async move { guard::secure_headers(response) }))
            .with_state(self.clone())
    }

    fn now(&self) -> i64 {
        self.directory.now_ms()
    }
}

type Ui = State<Arc<HostedUi>>;

/// A response that ends a handler early; boxed, as a response is large.
struct Refused(Box<Response>);

impl From<Response> for Refused {
    fn from(response: Response) -> Self {
        Refused(Box::new(response))
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

type Answer = Result<Response, Refused>;

// ---- helpers ----------------------------------------------------------------------------------

fn problem(status: StatusCode, app_name: &str, heading: &str, message: impl Into<String>) -> Response {
    let page = pages::Problem { app_name: app_name.to_string(), heading: heading.to_string(), message: message.into() };
    html(status, &page)
}

/// The query's parameters, refusing oversized query strings and repeated or oversized values.
fn query_params(uri: &Uri) -> Result<Params, Refused> {
    let query = uri.query().unwrap_or_default();
    if query.len() > MAX_QUERY {
        return Err(problem(
            StatusCode::URI_TOO_LONG,
            "",
            "This link is too long",
            "The link's query string is too long.",
        )
        .into());
    }
    form_params(query.as_bytes())
}

fn form_params(bytes: &[u8]) -> Result<Params, Refused> {
    let params = Params::parse(bytes);
    match params.first_malformed() {
        Some(name) => Err(problem(
            StatusCode::BAD_REQUEST,
            "",
            "This request is malformed",
            format!("The parameter {name} is repeated or too long."),
        )
        .into()),
        None => Ok(params),
    }
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => problem(StatusCode::BAD_REQUEST, "", "Cannot go back to the app", "The redirect URI is not usable."),
    }
}

fn set_cookie(response: &mut Response, value: &str, max_age_secs: i64) {
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    guard::cookie(headers, SESSION_COOKIE)
}

/// A page with a form, with the CSRF cookie set when the browser had none.
fn form_page(status: StatusCode, page: &impl askama::Template, csrf: &(String, bool)) -> Response {
    let mut response = html(status, page);
    if csrf.1 {
        guard::set_token_cookie(&mut response, &csrf.0);
    }
    response
}

/// Refuses a POST that did not come from a page this server gave this browser.
fn check_form_origin(headers: &HeaderMap, form: &Params) -> Result<(), Refused> {
    guard::check_post(headers, form.get(guard::CSRF_FIELD)).map_err(|forgery| {
        tracing::warn!("the hosted UI refused a form: {forgery:?}");
        Refused::from(problem(
            StatusCode::FORBIDDEN,
            "",
            "This form did not come from this sign-in page",
            "Nobody was signed in. Open the sign-in link again and send the form from that page.",
        ))
    })
}

/// The outcome of checking an authorization request, as a response when it cannot go on.
/// A sign-in or sign-up form posted from the hosted UI's own page, with the OAuth request it
/// carries checked.
fn posted_form(ui: &HostedUi, headers: &HeaderMap, body: &[u8]) -> Result<(Params, CheckedAuthRequest), Refused> {
    let form = form_params(body)?;
    check_form_origin(headers, &form)?;
    let checked = checked(ui, &AuthRequest::from_params(&form))?;
    Ok((form, checked))
}

/// What the sign-in and sign-up forms carry: the page's CSRF token, the email (trimmed) and
/// the password.
struct FormFields<'a> {
    csrf: &'a str,
    email: &'a str,
    password: &'a str,
}

impl<'a> FormFields<'a> {
    fn read(form: &'a Params) -> Self {
        FormFields {
            csrf: form.get(guard::CSRF_FIELD).unwrap_or_default(),
            email: form.get("username").unwrap_or_default().trim(),
            password: form.get("password").unwrap_or_default(),
        }
    }
}

fn checked(ui: &HostedUi, request: &AuthRequest) -> Result<CheckedAuthRequest, Refused> {
    oauth::check_auth_request(ui.directory.as_ref(), request).map_err(|e| {
        Refused::from(match e {
            AuthRequestError::Page(message) => {
                problem(StatusCode::BAD_REQUEST, "", "This sign-in link is not valid", message)
            }
            AuthRequestError::Redirect { redirect_uri, error, description, state } => {
                let mut pairs = vec![("error", error), ("error_description", description.as_str())];
                if let Some(state) = &state {
                    pairs.push(("state", state));
                }
                redirect(&with_query(&redirect_uri, &pairs))
            }
        })
    })
}

/// Back to the app with a new code (and the request's `state`).
fn redirect_with_code(ui: &HostedUi, checked: &CheckedAuthRequest, username: &str) -> Response {
    let code = lock(&ui.memory).issue_code(checked, username, ui.now());
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &checked.request.state {
        pairs.push(("state", state));
    }
    redirect(&with_query(&checked.request.redirect_uri, &pairs))
}

/// The username signed in in this browser for the client's pool, if any.
fn signed_in_user(ui: &HostedUi, headers: &HeaderMap, client: &AppClient) -> Option<String> {
    let id = session_id(headers)?;
    let memory = lock(&ui.memory);
    let session = memory.session(&id, ui.now())?;
    (session.pool_id == client.pool_id).then(|| session.username.clone())
}

fn sign_in_form(
    checked: &CheckedAuthRequest,
    csrf: &str,
    email: &str,
    notice: Option<String>,
    error: Option<String>,
) -> pages::SignIn {
    pages::SignIn {
        app_name: checked.client.name.clone(),
        hidden: checked.request.pairs(),
        query: checked.request.query(),
        csrf: csrf.to_string(),
        email: email.to_string(),
        notice,
        error,
    }
}

fn sign_up_form(ui: &HostedUi, checked: &CheckedAuthRequest, csrf: &str, email: &str) -> pages::SignUp {
    pages::SignUp {
        app_name: checked.client.name.clone(),
        hidden: checked.request.pairs(),
        query: checked.request.query(),
        csrf: csrf.to_string(),
        email: email.to_string(),
        rules: ui.directory.password_policy(&checked.client.pool_id).rules(),
        error: None,
        broken_rules: Vec::new(),
        email_invalid: false,
        password_invalid: false,
    }
}

// ---- sign-in and sign-up ----------------------------------------------------------------------

/// `GET /login`: the sign-in page, or straight back to the app when this browser is signed in.
async fn sign_in_page(State(ui): Ui, uri: Uri, headers: HeaderMap) -> Answer {
    let params = query_params(&uri)?;
    let checked = checked(&ui, &AuthRequest::from_params(&params))?;
    if let Some(username) = signed_in_user(&ui, &headers, &checked.client) {
        return Ok(redirect_with_code(&ui, &checked, &username));
    }
    let csrf = guard::token_for_page(&headers);
    Ok(form_page(StatusCode::OK, &sign_in_form(&checked, &csrf.0, "", None, None), &csrf))
}

/// `POST /login`: checks the password, remembers the browser, and goes back to the app.
async fn sign_in(State(ui): Ui, headers: HeaderMap, body: Bytes) -> Answer {
    let (form, checked) = posted_form(&ui, &headers, &body)?;
    let FormFields { csrf, email, password } = FormFields::read(&form);
    let refuse = |email: &str, message: String| {
        html(StatusCode::BAD_REQUEST, &sign_in_form(&checked, csrf, email, None, Some(message)))
    };
    if email.is_empty() || password.is_empty() {
        return Ok(refuse(email, "Enter your email and your password.".into()));
    }
    if email.len() > MAX_EMAIL || password.len() > MAX_PASSWORD {
        return Ok(refuse("", DirectoryError::NotAuthorized.to_string()));
    }
    Ok(match ui.directory.check_password(&checked.client.id, email, &Secret::new(password)) {
        Ok(username) => {
            let session = lock(&ui.memory).start_session(&checked.client.pool_id, &username, ui.now());
            let mut response = redirect_with_code(&ui, &checked, &username);
            set_cookie(&mut response, &session, SESSION_LIFETIME_MS / 1000);
            response
        }
        Err(e) => refuse(email, e.to_string()),
    })
}

/// `GET /signup`: the sign-up page with the pool's password policy.
async fn sign_up_page(State(ui): Ui, uri: Uri, headers: HeaderMap) -> Answer {
    let params = query_params(&uri)?;
    let checked = checked(&ui, &AuthRequest::from_params(&params))?;
    let csrf = guard::token_for_page(&headers);
    Ok(form_page(StatusCode::OK, &sign_up_form(&ui, &checked, &csrf.0, ""), &csrf))
}

/// `POST /signup`: signs the user up (the directory sends the link), or shows what to fix,
/// keeping the email typed.
async fn sign_up(State(ui): Ui, headers: HeaderMap, body: Bytes) -> Answer {
    let (form, checked) = posted_form(&ui, &headers, &body)?;
    let FormFields { csrf, email, password } = FormFields::read(&form);
    let mut page = sign_up_form(&ui, &checked, csrf, if email.len() <= MAX_EMAIL { email } else { "" });
    let policy = ui.directory.password_policy(&checked.client.pool_id);
    let broken = policy.broken_rules(password);
    if email.is_empty() || email.len() > MAX_EMAIL || !email.contains('@') {
        page.error = Some("Enter a valid email address: it is the name you sign in with.".into());
        page.email_invalid = true;
    } else if password.len() > MAX_PASSWORD {
        page.error = Some(format!("The password is longer than {MAX_PASSWORD} characters."));
        page.password_invalid = true;
    } else if !broken.is_empty() {
        page.error = Some("The password does not meet the policy. It still needs:".into());
        page.broken_rules = broken;
        page.password_invalid = true;
    } else {
        match ui.directory.sign_up(&checked.client.id, email, &Secret::new(password)) {
            Ok(signed_up) => {
                let next = pages::CheckEmail {
                    app_name: checked.client.name.clone(),
                    destination: signed_up.destination,
                    query: checked.request.query(),
                };
                return Ok(html(StatusCode::OK, &next));
            }
            Err(e @ DirectoryError::InvalidPassword(_)) => {
                page.error = Some(e.to_string());
                page.password_invalid = true;
            }
            Err(e @ (DirectoryError::UsernameExists | DirectoryError::InvalidParameter(_))) => {
                page.error = Some(e.to_string());
                page.email_invalid = true;
            }
            Err(e) => page.error = Some(e.to_string()),
        }
    }
    Ok(html(StatusCode::BAD_REQUEST, &page))
}

/// `GET /confirmUser?client_id=…&user_name=…&confirmation_code=…`: the emailed link.
async fn confirm_user(State(ui): Ui, uri: Uri) -> Answer {
    let params = query_params(&uri)?;
    let client = params.get("client_id").and_then(|id| ui.directory.client(id));
    let app_name = client.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let sign_in_query = client.as_ref().and_then(|c| {
        let request = AuthRequest {
            client_id: c.id.clone(),
            redirect_uri: c.callback_urls.first()?.clone(),
            response_type: "code".into(),
            ..AuthRequest::default()
        };
        Some(request.query())
    });
    let outcome = match (&client, params.get("user_name"), params.get("confirmation_code")) {
        (None, ..) => Err("The link names no app client this lab knows.".to_string()),
        (_, None, _) | (_, _, None) => Err("The link is incomplete: copy the whole link from the email.".to_string()),
        (Some(c), Some(user), Some(code)) => ui.directory.confirm_by_link(&c.id, user, code).map_err(|e| e.to_string()),
    };
    let (status, confirmed, message) = match outcome {
        Ok(()) => (StatusCode::OK, true, String::new()),
        Err(message) => (StatusCode::BAD_REQUEST, false, message),
    };
    Ok(html(status, &pages::Confirmed { app_name, confirmed, message, sign_in_query }))
}

// ---- OAuth 2.0 ----------------------------------------------------------------------------------

/// `GET /oauth2/authorize`: the code grant. A signed-in browser goes straight back with a
/// code; otherwise to the sign-in page with the same parameters.
async fn authorize(State(ui): Ui, uri: Uri, headers: HeaderMap) -> Answer {
    let params = query_params(&uri)?;
    let checked = checked(&ui, &AuthRequest::from_params(&params))?;
    Ok(match signed_in_user(&ui, &headers, &checked.client) {
        Some(username) => redirect_with_code(&ui, &checked, &username),
        None => redirect(&format!("/login?{}", checked.request.query())),
    })
}

/// An OAuth 2.0 error answer (RFC 6749 §5.2, RFC 6750 §3): `{"error", "error_description"}`.
#[derive(Serialize)]
struct OAuthError<'a> {
    error: &'a str,
    error_description: &'a str,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(OAuthError { error, error_description: description })).into_response()
}

/// The token endpoint's answer (RFC 6749 §5.1). No `Debug`: it carries the tokens.
#[derive(Serialize)]
struct TokenAnswer<'a> {
    id_token: &'a str,
    access_token: &'a str,
    expires_in: i64,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
}

fn token_error(e: TokenError, basic: bool) -> Response {
    let mut response = oauth_error(e.status, e.error, &e.description);
    if e.status == StatusCode::UNAUTHORIZED && basic {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"cognito\""));
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /oauth2/token`: the `authorization_code` and `refresh_token` grants.
async fn token(State(ui): Ui, headers: HeaderMap, body: Bytes) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        let e = TokenError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: "Send the parameters as application/x-www-form-urlencoded.".into(),
        };
        return token_error(e, false);
    }
    let params = Params::parse(&body);
    let credentials = match oauth::client_credentials(&headers, &params) {
        Ok(credentials) => credentials,
        Err(e) => return token_error(e, headers.contains_key(header::AUTHORIZATION)),
    };
    match oauth::token_grant(ui.directory.as_ref(), &ui.memory, &params, &credentials) {
        Ok(tokens) => {
            let answer = TokenAnswer {
                id_token: tokens.id_token.expose(),
                access_token: tokens.access_token.expose(),
                expires_in: tokens.expires_in,
                token_type: "Bearer",
                refresh_token: tokens.refresh_token.as_ref().map(Secret::expose),
            };
            let mut response = axum::Json(answer).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => token_error(e, credentials.by_basic),
    }
}

/// `GET|POST /oauth2/userInfo` with `Authorization: Bearer <access token>`.
async fn user_info(State(ui): Ui, headers: HeaderMap) -> Response {
    let refuse = |status: StatusCode, error: &str, description: &str| {
        let challenge = format!("Bearer error=\"{error}\", error_description=\"{description}\"");
        let mut response = oauth_error(status, error, description);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 16 * 1024);
    let Some(token) = token else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request", "Send the access token as Authorization: Bearer");
    };
    match ui.directory.user_info(&Secret::new(token)) {
        Ok(attributes) => axum::Json(serde_json::Value::Object(attributes)).into_response(),
        Err(_) => refuse(StatusCode::UNAUTHORIZED, "invalid_token", "Access token is expired, revoked or not valid"),
    }
}

/// `GET /logout`: forgets the browser's sign-in, then goes to the client's `logout_uri`, or
/// back to sign-in with `redirect_uri` and `response_type`, or to a "signed out" page.
async fn logout(State(ui): Ui, uri: Uri, headers: HeaderMap) -> Answer {
    let params = query_params(&uri)?;
    let Some(client) = params.get("client_id").and_then(|id| ui.directory.client(id)) else {
        return Ok(problem(
            StatusCode::BAD_REQUEST,
            "",
            "Cannot sign out",
            "The link names no app client this lab knows.",
        ));
    };
    let mut response = if let Some(logout_uri) = params.get("logout_uri") {
        if !client.logout_urls.iter().any(|u| u == logout_uri) {
            return Ok(problem(
                StatusCode::BAD_REQUEST,
                &client.name,
                "Cannot sign out",
                format!("The logout_uri {logout_uri} is not one of the app client's sign-out URLs."),
            ));
        }
        redirect(logout_uri)
    } else if params.get("redirect_uri").is_some() {
        let checked = checked(&ui, &AuthRequest::from_params(&params))?;
        redirect(&format!("/login?{}", checked.request.query()))
    } else {
        html(StatusCode::OK, &pages::SignedOut { app_name: client.name.clone() })
    };
    if let Some(id) = session_id(&headers) {
        lock(&ui.memory).end_session(&id);
    }
    set_cookie(&mut response, "", 0);
    Ok(response)
}

// ---- walab's own pages --------------------------------------------------------------------------

/// `GET /_walab/outbox`: a page for browsers (`Accept: text/html`), and JSON otherwise, in the
/// shape tools have always read: `{"messages": [{"at", "to", "subject", "body", "code", "link"}]}`.
async fn outbox(State(ui): Ui, headers: HeaderMap) -> Response {
    let messages = ui.directory.outbox();
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if accept.contains("application/json") || !accept.contains("text/html") {
        #[derive(Serialize)]
        struct Outbox {
            messages: Vec<OutboxMessage>,
        }
        return axum::Json(Outbox { messages }).into_response();
    }
    let entries = messages
        .into_iter()
        .rev()
        .map(|m| pages::OutboxEntry {
            sent: pages::utc(m.at.div_euclid(1000)),
            link: m.link.filter(|l| l.starts_with("http://") || l.starts_with("https://") || l.starts_with('/')),
            subject: m.subject,
            to: m.to,
            body: m.body,
        })
        .collect();
    html(StatusCode::OK, &pages::Outbox { app_name: String::new(), messages: entries })
}

/// `GET /_walab/callback?code=…&state=…`: plays the app. It exchanges the code at the token
/// endpoint with the client's own credentials, and shows what came back.
async fn callback(State(ui): Ui, uri: Uri) -> Answer {
    let params = query_params(&uri)?;
    let mut page = pages::Callback {
        app_name: String::new(),
        code: params.get("code").map(str::to_string),
        state: params.get("state").map(str::to_string),
        error: None,
        tokens: Vec::new(),
        refresh: None,
        sign_out: None,
    };
    if let Some(error) = params.get("error") {
        let description = params.get("error_description").unwrap_or("no description");
        page.error = Some(format!("Cognito sent the browser back with the error {error}: {description}"));
        return Ok(html(StatusCode::BAD_REQUEST, &page));
    }
    let Some(code) = params.get("code") else {
        page.error = Some("No code arrived: start from the sign-in link.".into());
        return Ok(html(StatusCode::BAD_REQUEST, &page));
    };
    let grant = lock(&ui.memory).peek_code(code, ui.now()).cloned();
    let Some(grant) = grant else {
        page.error = Some(
            "This code is unknown, used already, or expired: codes work once, for five minutes. Sign in again.".into(),
        );
        return Ok(html(StatusCode::BAD_REQUEST, &page));
    };
    // A code issued for another redirect URI belongs to that app: whoever holds such a code
    // must not get tokens here with the secret this page holds.
    if !is_walab_callback(&grant.redirect_uri, &grant.client_id) {
        page.error = Some(format!(
            "This code was issued for {}, not for this page: only that app can exchange it.",
            grant.redirect_uri
        ));
        return Ok(html(StatusCode::BAD_REQUEST, &page));
    }
    let Some(client) = ui.directory.client(&grant.client_id) else {
        page.error = Some("The code's app client no longer exists.".into());
        return Ok(html(StatusCode::BAD_REQUEST, &page));
    };
    page.app_name = client.name.clone();
    page.sign_out = Some(with_query(
        "/logout",
        &[("client_id", &client.id), ("redirect_uri", &grant.redirect_uri), ("response_type", "code")],
    ));
    if grant.challenge.is_some() {
        page.error = Some(
            "This sign-in used PKCE: only the app that started it holds the code_verifier, so this page leaves the code to that app."
                .into(),
        );
        return Ok(html(StatusCode::OK, &page));
    }
    let exchange = Params::parse(
        form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &grant.redirect_uri)
            .finish()
            .as_bytes(),
    );
    let credentials =
        oauth::ClientCredentials { client_id: Some(client.id.clone()), secret: client.secret.clone(), by_basic: true };
    Ok(match oauth::token_grant(ui.directory.as_ref(), &ui.memory, &exchange, &credentials) {
        Ok(tokens) => {
            page.tokens = vec![
                pages::DecodedToken::new("id-token", "ID token", tokens.id_token.expose()),
                pages::DecodedToken::new("access-token", "access token", tokens.access_token.expose()),
            ];
            page.refresh = tokens.refresh_token.as_ref().map(Secret::masked);
            html(StatusCode::OK, &page)
        }
        Err(e) => {
            page.error = Some(format!("The token endpoint refused the code ({}): {}", e.error, e.description));
            html(StatusCode::BAD_REQUEST, &page)
        }
    })
}

#[cfg(test)]
mod tests;
