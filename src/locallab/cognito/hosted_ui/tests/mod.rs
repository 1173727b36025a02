//! The hosted UI over an in-memory directory, through the router itself: the harness (a fake
//! directory and a browser-like client), and the pages a learner's browser goes through —
//! sign-up, confirmation, sign-in, the outbox and the callback. The OAuth endpoints' tests are
//! in `oauth`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Method, Request};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::*;

mod oauth;

const CLIENT: &str = "1example23456789abcdefghij";
const PUBLIC_CLIENT: &str = "2publicclient6789abcdefghi";
const OTHER_CLIENT: &str = "3otherclient56789abcdefghi";
const SECRET: &str = "client-secret-of-the-lab-app";
const CALLBACK: &str = "http://127.0.0.1:4566/_walab/callback";
const EMAIL: &str = "learner@example.com";
const PASSWORD: &str = "Correct-h0rse";

#[derive(Clone)]
struct FakeUser {
    email: String,
    username: String,
    password: String,
    confirmed: bool,
    code: String,
}

#[derive(Default)]
struct Fake {
    now: AtomicI64,
    users: Mutex<Vec<FakeUser>>,
    outbox: Mutex<Vec<OutboxMessage>>,
    access: Mutex<HashMap<String, String>>,
    refresh: Mutex<HashMap<String, (String, String)>>,
}

fn fake_jwt(claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"test"}"#);
    format!("{header}.{}.c2lnbmF0dXJl", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

impl Fake {
    fn tokens(&self, client_id: &str, username: &str, with_refresh: bool) -> Tokens {
        let iat = self.now_ms() / 1000;
        let serial = self.access.lock().unwrap().len();
        let claims = |token_use: &str| json!({ "sub": username, "token_use": token_use, "aud": client_id, "iat": iat, "exp": iat + 3600, "n": serial });
        let access = fake_jwt(claims("access"));
        self.access.lock().unwrap().insert(access.clone(), username.to_string());
        let refresh = with_refresh.then(|| {
            let token = format!("refresh-{serial}");
            self.refresh.lock().unwrap().insert(token.clone(), (client_id.to_string(), username.to_string()));
            Secret::new(token)
        });
        Tokens {
            id_token: Secret::new(fake_jwt(claims("id"))),
            access_token: Secret::new(access),
            refresh_token: refresh,
            expires_in: 3600,
        }
    }
}

impl Directory for Fake {
    fn now_ms(&self) -> i64 {
        1_793_696_707_000 + self.now.load(Ordering::Relaxed)
    }

    fn client(&self, client_id: &str) -> Option<AppClient> {
        let client = |id: &str, secret: Option<&str>, pool: &str| AppClient {
            id: id.to_string(),
            pool_id: pool.to_string(),
            name: format!("client {id}"),
            secret: secret.map(Secret::new),
            callback_urls: vec![
                CALLBACK.to_string(),
                super::callback_url("http://127.0.0.1:4566", CLIENT),
                "https://example.com/callback".to_string(),
            ],
            logout_urls: vec!["https://example.com/bye".to_string()],
            allowed_scopes: vec!["aws.cognito.signin.user.admin".into(), "email".into(), "openid".into()],
        };
        match client_id {
            CLIENT => Some(client(CLIENT, Some(SECRET), "us-east-1_Pool1")),
            PUBLIC_CLIENT => Some(client(PUBLIC_CLIENT, None, "us-east-1_Pool1")),
            OTHER_CLIENT => Some(client(OTHER_CLIENT, None, "us-east-1_Pool2")),
            _ => None,
        }
    }

    fn password_policy(&self, _pool_id: &str) -> PasswordPolicy {
        PasswordPolicy::default()
    }

    fn sign_up(&self, client_id: &str, email: &str, password: &Secret) -> Result<SignedUp, DirectoryError> {
        let mut users = self.users.lock().unwrap();
        if users.iter().any(|u| u.email == email) {
            return Err(DirectoryError::UsernameExists);
        }
        let user = FakeUser {
            email: email.to_string(),
            username: format!("sub-{}", users.len()),
            password: password.expose().to_string(),
            confirmed: false,
            code: format!("{:06}", 123_456 + users.len()),
        };
        let link = format!(
            "http://127.0.0.1:4566/confirmUser?client_id={client_id}&user_name={}&confirmation_code={}",
            user.username, user.code
        );
        self.outbox.lock().unwrap().push(OutboxMessage {
            at: self.now_ms(),
            to: email.to_string(),
            subject: "Your verification link".into(),
            body: format!("Open this link to verify your email: {link}"),
            code: Some(user.code.clone()),
            link: Some(link),
        });
        users.push(user);
        Ok(SignedUp { destination: "l***@e***".into() })
    }

    fn confirm_by_link(&self, _client_id: &str, user_name: &str, code: &str) -> Result<(), DirectoryError> {
        let mut users = self.users.lock().unwrap();
        let user = users.iter_mut().find(|u| u.username == user_name).ok_or(DirectoryError::UserNotFound)?;
        if user.confirmed {
            return Err(DirectoryError::AlreadyConfirmed);
        }
        if user.code != code {
            return Err(DirectoryError::CodeMismatch);
        }
        user.confirmed = true;
        Ok(())
    }

    fn check_password(&self, _client_id: &str, email: &str, password: &Secret) -> Result<String, DirectoryError> {
        let users = self.users.lock().unwrap();
        let user = users.iter().find(|u| u.email == email && u.password == password.expose());
        match user {
            Some(u) if u.confirmed => Ok(u.username.clone()),
            Some(_) => Err(DirectoryError::UserNotConfirmed),
            None => Err(DirectoryError::NotAuthorized),
        }
    }

    fn issue_tokens(&self, client_id: &str, username: &str, _scopes: &[String]) -> Result<Tokens, DirectoryError> {
        Ok(self.tokens(client_id, username, true))
    }

    fn refresh_tokens(&self, client_id: &str, refresh_token: &Secret) -> Result<Tokens, DirectoryError> {
        let grant = self.refresh.lock().unwrap().get(refresh_token.expose()).cloned();
        match grant {
            Some((client, username)) if client == client_id => Ok(self.tokens(client_id, &username, false)),
            _ => Err(DirectoryError::InvalidToken("Invalid Refresh Token".into())),
        }
    }

    fn user_info(&self, access_token: &Secret) -> Result<Map<String, Value>, DirectoryError> {
        let username = self.access.lock().unwrap().get(access_token.expose()).cloned();
        let username = username.ok_or_else(|| DirectoryError::InvalidToken("unknown".into()))?;
        let users = self.users.lock().unwrap();
        let user = users.iter().find(|u| u.username == username).ok_or(DirectoryError::UserNotFound)?;
        let mut map = Map::new();
        map.insert("sub".into(), json!(user.username));
        map.insert("email".into(), json!(user.email));
        map.insert("email_verified".into(), json!("true"));
        map.insert("username".into(), json!(user.username));
        Ok(map)
    }

    fn outbox(&self) -> Vec<OutboxMessage> {
        self.outbox.lock().unwrap().clone()
    }
}

struct Lab {
    fake: Arc<Fake>,
    router: Router,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn cookie(&self) -> String {
        let set = self.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        set.split(';').next().unwrap_or_default().to_string()
    }
}

/// The value of `name` in a URL's query.
fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

fn auth_query(client: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("client_id", client),
        ("response_type", "code"),
        ("scope", "aws.cognito.signin.user.admin email openid"),
        ("redirect_uri", CALLBACK),
    ];
    pairs.extend_from_slice(extra);
    form(&pairs)
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

impl Lab {
    fn new() -> Lab {
        let fake = Arc::new(Fake::default());
        let router = HostedUi::new(fake.clone()).router();
        Lab { fake, router }
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<axum::body::Body>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = self.router.clone().oneshot(request.body(body.into()).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.send(Method::GET, uri, &[("accept", "text/html")], axum::body::Body::empty()).await
    }

    async fn get_with_cookie(&self, uri: &str, cookie: &str) -> Answer {
        self.send(Method::GET, uri, &[("cookie", cookie)], axum::body::Body::empty()).await
    }

    async fn post_form(&self, uri: &str, headers: &[(&str, &str)], body: String) -> Answer {
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.send(Method::POST, uri, &all, body).await
    }

    /// What a browser holds after opening a form: the CSRF cookie and the form's token.
    async fn csrf(&self, page: &str) -> (String, String) {
        let answer = self.get(&format!("{page}?{}", auth_query(CLIENT, &[]))).await;
        let token = answer.body.split("name=\"_csrf\" value=\"").nth(1).and_then(|r| r.split('"').next());
        (answer.cookie(), token.unwrap_or_default().to_string())
    }

    async fn sign_up(&self, email: &str, password: &str) -> Answer {
        let (cookie, token) = self.csrf("/signup").await;
        let pairs = [("username", email), ("password", password), ("_csrf", &token)];
        let body = format!("{}&{}", auth_query(CLIENT, &[]), form(&pairs));
        self.post_form("/signup", &[("cookie", &cookie)], body).await
    }

    async fn sign_in(&self, client: &str, email: &str, password: &str, extra: &[(&str, &str)]) -> Answer {
        let (cookie, token) = self.csrf("/login").await;
        let pairs = [("username", email), ("password", password), ("_csrf", &token)];
        let body = format!("{}&{}", auth_query(client, extra), form(&pairs));
        self.post_form("/login", &[("cookie", &cookie)], body).await
    }

    /// Signs up and follows the link in the outbox.
    async fn confirmed_user(&self) {
        assert_eq!(self.sign_up(EMAIL, PASSWORD).await.status, StatusCode::OK);
        let link = self.fake.outbox().last().and_then(|m| m.link.clone()).unwrap();
        let landing = self.get(link.trim_start_matches("http://127.0.0.1:4566")).await;
        assert_eq!(landing.status, StatusCode::OK, "{}", landing.body);
    }

    /// A fresh code for the lab's user through the sign-in form.
    async fn code(&self, client: &str, extra: &[(&str, &str)]) -> String {
        let answer = self.sign_in(client, EMAIL, PASSWORD, extra).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
        query_value(&answer.location(), "code").unwrap()
    }

    async fn exchange(&self, code: &str, headers: &[(&str, &str)], extra: &[(&str, &str)]) -> Answer {
        let mut pairs = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", CALLBACK)];
        pairs.extend_from_slice(extra);
        self.post_form("/oauth2/token", headers, form(&pairs)).await
    }
}

/// A page's text with the template engine's character references turned back.
fn unescaped(page: &str) -> String {
    [("&#38;", "&"), ("&#34;", "\""), ("&#39;", "'"), ("&quot;", "\""), ("&amp;", "&")]
        .iter()
        .fold(page.to_string(), |text, (entity, c)| text.replace(entity, c))
}

/// Every `<input>` and `<textarea>` that is not hidden has a `<label for>` naming its id.
fn assert_labelled(page: &str) {
    assert!(page.starts_with("<!doctype html>") && page.contains("<html lang=\"en\">"));
    assert_eq!(page.matches("<h1>").count(), 1, "one main heading");
    for tag in page.split('<').filter(|t| t.starts_with("input ") || t.starts_with("textarea ")) {
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag.split("id=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_else(|| panic!("no id: {tag}"));
        assert!(page.contains(&format!("<label for=\"{id}\">")), "no label for {id}");
    }
}

#[tokio::test]
async fn sign_up_confirm_sign_in_and_use_the_tokens() {
    let lab = Lab::new();

    let page = lab.get(&format!("/signup?{}", auth_query(CLIENT, &[]))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("At least 8 characters") && page.body.contains("A symbol"), "policy shown");
    assert_labelled(&page.body);

    let check = lab.sign_up(EMAIL, PASSWORD).await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(check.body.contains("Check your email") && check.body.contains("l***@e***"));
    assert!(check.body.contains("href=\"/_walab/outbox\""));

    let outbox = lab.get(OUTBOX_PATH).await;
    assert!(outbox.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let link = lab.fake.outbox()[0].link.clone().unwrap();
    assert!(unescaped(&outbox.body).contains(&format!("<a href=\"{link}\">")), "the link is clickable");

    // Not signed in yet: the authorize endpoint sends the browser to sign in.
    let authorize = lab.get(&format!("/oauth2/authorize?{}", auth_query(CLIENT, &[("state", "xyz")]))).await;
    assert_eq!(authorize.status, StatusCode::FOUND);
    assert!(authorize.location().starts_with("/login?"));
    let sign_in_page = lab.get(&authorize.location()).await;
    assert_eq!(sign_in_page.status, StatusCode::OK);
    assert!(sign_in_page.body.contains("name=\"state\" value=\"xyz\""), "the state rides along");
    assert_labelled(&sign_in_page.body);

    let unconfirmed = lab.sign_in(CLIENT, EMAIL, PASSWORD, &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(unconfirmed.body.contains("not confirmed yet"));

    let landing = lab.get(link.trim_start_matches("http://127.0.0.1:4566")).await;
    assert_eq!(landing.status, StatusCode::OK);
    assert!(landing.body.contains("Account confirmed"));
    let again = lab.get(link.trim_start_matches("http://127.0.0.1:4566")).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("already confirmed"));

    let signed_in = lab.sign_in(CLIENT, EMAIL, PASSWORD, &[("state", "xyz")]).await;
    assert_eq!(signed_in.status, StatusCode::FOUND, "{}", signed_in.body);
    let location = signed_in.location();
    assert!(location.starts_with(&format!("{CALLBACK}?code=")), "{location}");
    assert_eq!(query_value(&location, "state").as_deref(), Some("xyz"));
    let cookie = signed_in.cookie();
    assert!(cookie.starts_with("walab-hosted-ui="), "{cookie}");
    assert!(signed_in.headers[header::SET_COOKIE].to_str().unwrap().contains("HttpOnly"));
    let code = query_value(&location, "code").unwrap();

    let tokens = lab.exchange(&code, &[("authorization", &basic(CLIENT, SECRET))], &[]).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert_eq!(tokens.headers[header::CACHE_CONTROL], "no-store");
    let tokens = tokens.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert!(tokens["id_token"].as_str().is_some() && tokens["refresh_token"].as_str().is_some());

    let bearer = format!("Bearer {access}");
    let info =
        lab.send(Method::GET, "/oauth2/userInfo", &[("authorization", &bearer)], axum::body::Body::empty()).await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.json()["email"], EMAIL);

    // The secret in the body works as well as HTTP Basic, for the refresh grant too.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refreshed = lab
        .post_form(
            "/oauth2/token",
            &[],
            form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
            ]),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    assert!(refreshed.json()["id_token"].is_string() && refreshed.json().get("refresh_token").is_none());

    // Signed in: authorize goes straight back with a code, which the callback page exchanges.
    let again =
        lab.get_with_cookie(&format!("/oauth2/authorize?{}", auth_query(CLIENT, &[("state", "s2")])), &cookie).await;
    assert_eq!(again.status, StatusCode::FOUND);
    let callback_url = again.location();
    assert_eq!(query_value(&callback_url, "state").as_deref(), Some("s2"));
    let callback = lab.get(callback_url.trim_start_matches("http://127.0.0.1:4566")).await;
    assert_eq!(callback.status, StatusCode::OK, "{}", callback.body);
    assert!(callback.body.contains("ID token") && unescaped(&callback.body).contains("\"token_use\": \"id\""));
    assert!(callback.body.contains("valid for 60 minutes"));
    assert_labelled(&callback.body);
    let reload = lab.get(callback_url.trim_start_matches("http://127.0.0.1:4566")).await;
    assert_eq!(reload.status, StatusCode::BAD_REQUEST, "a code works once");
    assert!(reload.body.contains("used already"));

    // Signing out forgets the browser: authorize asks for a sign-in again.
    let logout =
        lab.get_with_cookie(&format!("/logout?client_id={CLIENT}&logout_uri=https://example.com/bye"), &cookie).await;
    assert_eq!(logout.status, StatusCode::FOUND);
    assert_eq!(logout.location(), "https://example.com/bye");
    assert!(logout.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let after = lab.get_with_cookie(&format!("/oauth2/authorize?{}", auth_query(CLIENT, &[])), &cookie).await;
    assert!(after.location().starts_with("/login?"));
}

#[tokio::test]
async fn sign_up_shows_what_to_fix_and_keeps_the_email() {
    let lab = Lab::new();
    let weak = lab.sign_up("new@example.com", "password").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body.contains("value=\"new@example.com\""), "the typed email stays");
    assert!(weak.body.contains("role=\"alert\"") && weak.body.contains("<li>A digit</li>"));
    assert!(weak.body.contains("aria-invalid=\"true\" ") || weak.body.contains("aria-invalid=\"true\">"));
    assert_labelled(&weak.body);

    let bad_email = lab.sign_up("not-an-email", PASSWORD).await;
    assert_eq!(bad_email.status, StatusCode::BAD_REQUEST);
    assert!(bad_email.body.contains("valid email"));

    assert_eq!(lab.sign_up(EMAIL, PASSWORD).await.status, StatusCode::OK);
    let twice = lab.sign_up(EMAIL, PASSWORD).await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.body.contains("already exists") && twice.body.contains(&format!("value=\"{EMAIL}\"")));

    let long = "a".repeat(300);
    let too_long = lab.sign_up(EMAIL, &format!("Aa1-{long}")).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert!(!too_long.body.contains(&long), "the password is never echoed");
}

#[tokio::test]
async fn sign_in_refuses_a_wrong_password_and_keeps_the_email() {
    let lab = Lab::new();
    lab.confirmed_user().await;
    let wrong = lab.sign_in(CLIENT, EMAIL, "Wrong-passw0rd", &[]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("Incorrect email or password."));
    assert!(wrong.body.contains(&format!("value=\"{EMAIL}\"")) && !wrong.body.contains("Wrong-passw0rd"));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    let empty = lab.sign_in(CLIENT, "", "", &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Enter your email and your password."));
}

#[tokio::test]
async fn the_confirmation_link_must_be_whole_and_right() {
    let lab = Lab::new();
    assert_eq!(lab.sign_up(EMAIL, PASSWORD).await.status, StatusCode::OK);
    let wrong = lab.get(&format!("/confirmUser?client_id={CLIENT}&user_name=sub-0&confirmation_code=000000")).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("not the latest one"));
    let partial = lab.get(&format!("/confirmUser?client_id={CLIENT}&user_name=sub-0")).await;
    assert!(partial.body.contains("incomplete"));
    let stranger = lab.get("/confirmUser?client_id=nobody&user_name=sub-0&confirmation_code=123456").await;
    assert_eq!(stranger.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_outbox_is_json_for_tools_and_a_page_for_browsers() {
    let lab = Lab::new();
    let empty = lab.get(OUTBOX_PATH).await;
    assert!(empty.body.contains("No messages yet"));
    assert_eq!(lab.sign_up(EMAIL, PASSWORD).await.status, StatusCode::OK);
    for accept in [Some("application/json"), None, Some("*/*")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let answer = lab.send(Method::GET, OUTBOX_PATH, &headers, axum::body::Body::empty()).await;
        assert_eq!(answer.status, StatusCode::OK);
        let message = &answer.json()["messages"][0];
        for key in ["at", "to", "subject", "body", "code", "link"] {
            assert!(message.get(key).is_some(), "{key} in {message}");
        }
        assert_eq!(message["to"], EMAIL);
    }
}

#[tokio::test]
async fn the_callback_page_explains_an_error_sent_back() {
    let lab = Lab::new();
    let page = lab.get(&format!("{CALLBACK_PATH}?error=invalid_scope&error_description=nope&state=s")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("invalid_scope") && page.body.contains("nope"));
    let nothing = lab.get(CALLBACK_PATH).await;
    assert!(nothing.body.contains("No code arrived"));
}

#[test]
fn answers_only_its_own_paths() {
    assert!(serves("/login") && serves("/oauth2/token") && serves(OUTBOX_PATH) && serves(CALLBACK_PATH));
    assert!(!serves("/restapis") && !serves("/") && !serves("/_walab/confirm"));
}

#[tokio::test]
async fn the_signup_url_opens_the_sign_in_page() {
    let url = signup_url("http://127.0.0.1:4566/", CLIENT);
    assert_eq!(
        url,
        format!(
            "http://127.0.0.1:4566/login?client_id={CLIENT}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A4566%2F_walab%2Fcallback%3Fclient_id%3D{CLIENT}&scope=aws.cognito.signin.user.admin+email+openid"
        )
    );
    let page = Lab::new().get(url.trim_start_matches("http://127.0.0.1:4566")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Sign in</h1>"));
}

#[tokio::test]
async fn a_form_from_another_origin_or_without_the_token_signs_nobody_in() {
    let lab = Lab::new();
    lab.confirmed_user().await;
    let (cookie, token) = lab.csrf("/login").await;
    assert!(cookie.starts_with("XSRF-TOKEN=") && token.len() >= 32, "{cookie} {token}");
    let with = |token: &str| {
        let pairs = [("username", EMAIL), ("password", PASSWORD), ("_csrf", token)];
        format!("{}&{}", auth_query(CLIENT, &[]), form(&pairs))
    };
    let host = ("host", "127.0.0.1:4566");
    let attempts: [(&[(&str, &str)], String); 4] = [
        (&[host, ("origin", "http://attacker.example")], with(&token)),
        (&[host, ("origin", "null")], with(&token)),
        (&[host], with(&token)),
        (&[host, ("origin", "http://127.0.0.1:4566")], with("")),
    ];
    for (i, (headers, body)) in attempts.into_iter().enumerate() {
        let mut headers = headers.to_vec();
        // The first two carry the cookie (as a same-site attacker could); the third has no cookie.
        if i != 2 {
            headers.push(("cookie", &cookie));
        }
        let refused = lab.post_form("/login", &headers, body).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "attempt {i}: {}", refused.body);
        assert!(refused.headers.get(header::SET_COOKIE).is_none() && refused.location().is_empty(), "attempt {i}");
        assert!(refused.body.contains("Nobody was signed in"));
    }
    let same_origin =
        lab.post_form("/login", &[host, ("origin", "http://127.0.0.1:4566"), ("cookie", &cookie)], with(&token)).await;
    assert_eq!(same_origin.status, StatusCode::FOUND, "{}", same_origin.body);
}

#[tokio::test]
async fn every_page_forbids_script_and_framing() {
    let lab = Lab::new();
    for path in [
        format!("/login?{}", auth_query(CLIENT, &[])),
        format!("/signup?{}", auth_query(CLIENT, &[])),
        OUTBOX_PATH.to_string(),
        CALLBACK_PATH.to_string(),
    ] {
        let page = lab.get(&path).await;
        let csp = page.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{path}: {csp}"
        );
        assert_eq!(page.headers.get(header::X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
        assert!(!page.body.contains("<script"), "{path}");
    }
}

#[tokio::test]
async fn the_callback_page_redeems_only_codes_issued_for_it() {
    let lab = Lab::new();
    lab.confirmed_user().await;
    let elsewhere = "https://example.com/callback";
    let (cookie, token) = lab.csrf("/login").await;
    let pairs = [
        ("client_id", CLIENT),
        ("response_type", "code"),
        ("redirect_uri", elsewhere),
        ("username", EMAIL),
        ("password", PASSWORD),
        ("_csrf", &token),
    ];
    let signed_in = lab.post_form("/login", &[("cookie", &cookie)], form(&pairs)).await;
    assert!(signed_in.location().starts_with(elsewhere), "{}", signed_in.location());
    let code = query_value(&signed_in.location(), "code").unwrap();
    let page = lab.get(&format!("{CALLBACK_PATH}?code={code}")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("issued for https://example.com/callback") && !page.body.contains("id-token"));
    let exchange = form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", elsewhere)]);
    let still = lab.post_form("/oauth2/token", &[("authorization", &basic(CLIENT, SECRET))], exchange).await;
    assert_eq!(still.status, StatusCode::OK, "the code is left to its app: {}", still.body);
}
