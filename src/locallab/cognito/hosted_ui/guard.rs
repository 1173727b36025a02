//! What keeps the hosted UI's forms to the pages that served them, as Cognito's own pages do:
//! a CSRF token in a cookie and in every form (the two must match), an `Origin` (or `Referer`)
//! check on every POST, and headers that forbid inline script and framing.
//!
//! A page on another origin that auto-submits a sign-in form carries neither the cookie
//! (`SameSite=Lax` keeps it off cross-site POSTs) nor a matching `Origin`, so it signs nobody in.

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, header};

/// The cookie and the form field, named as Cognito's hosted UI names them.
pub const CSRF_COOKIE: &str = "XSRF-TOKEN";
pub const CSRF_FIELD: &str = "_csrf";

/// No script at all, styles only from the page itself, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The headers every hosted-UI answer carries.
pub fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Same-origin: a code in this page's URL never leaves for another site, and our own POSTs
    // still carry their Origin (`no-referrer` would make it `null`).
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// A new unguessable token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    match aws_lc_rs::rand::fill(&mut bytes) {
        Ok(()) => URL_SAFE_NO_PAD.encode(bytes),
        Err(_) => uuid::Uuid::new_v4().simple().to_string(),
    }
}

/// The browser's CSRF token, if it holds a well-formed one.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE).filter(|t| {
        (32..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The value of the cookie `name`, if the browser sent it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookies| {
        cookies.split(';').find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('=').map(str::to_string))
    })
}

/// The token for a page's form: the browser's own, or a new one to set.
pub fn token_for_page(headers: &HeaderMap) -> (String, bool) {
    match cookie_token(headers) {
        Some(token) => (token, false),
        None => (new_token(), true),
    }
}

pub fn set_token_cookie(response: &mut Response, token: &str) {
    let cookie = format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Why a POST was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// `Origin` (or, without it, `Referer`) names another site.
    CrossOrigin,
    /// No token, or not the one this browser was given.
    BadToken,
}

/// Checks that a POST came from a page this server served to this browser.
pub fn check_post(headers: &HeaderMap, form_token: Option<&str>) -> Result<(), Forgery> {
    if !same_origin(headers) {
        return Err(Forgery::CrossOrigin);
    }
    match (cookie_token(headers), form_token) {
        (Some(cookie), Some(form))
            if aws_lc_rs::constant_time::verify_slices_are_equal(cookie.as_bytes(), form.as_bytes()).is_ok() =>
        {
            Ok(())
        }
        _ => Err(Forgery::BadToken),
    }
}

/// True when the request's `Origin` (or `Referer`) is this server as the browser reached it
/// (its `Host`), or when neither is sent (a tool, not a browser: the token still decides).
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).map(|v: &HeaderValue| v.to_str().unwrap_or("\u{0}"));
    let origin = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => origin.to_string(),
        (None, Some(referer)) => origin_of(referer),
        (None, None) => return true,
    };
    let Some(host) = text(header::HOST) else { return false };
    ["http://", "https://"]
        .iter()
        .any(|scheme| origin.strip_prefix(scheme).is_some_and(|authority| authority.eq_ignore_ascii_case(host)))
}

/// `scheme://authority` of a URL.
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return String::new() };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn a_post_needs_the_same_origin_and_the_browsers_token() {
        let token = new_token();
        let cookie = format!("walab-hosted-ui=x; {CSRF_COOKIE}={token}");
        let ok = headers(&[("host", "127.0.0.1:4566"), ("origin", "http://127.0.0.1:4566"), ("cookie", &cookie)]);
        assert_eq!(check_post(&ok, Some(&token)), Ok(()));
        let by_referer =
            headers(&[("host", "127.0.0.1:4566"), ("referer", "http://127.0.0.1:4566/login?x=1"), ("cookie", &cookie)]);
        assert_eq!(check_post(&by_referer, Some(&token)), Ok(()));
        for origin in ["http://evil.example", "null", "http://127.0.0.1:4567", "http://127.0.0.1:45666"] {
            let h = headers(&[("host", "127.0.0.1:4566"), ("origin", origin), ("cookie", &cookie)]);
            assert_eq!(check_post(&h, Some(&token)), Err(Forgery::CrossOrigin), "{origin}");
        }
        let evil_referer =
            headers(&[("host", "127.0.0.1:4566"), ("referer", "http://evil.example/x"), ("cookie", &cookie)]);
        assert_eq!(check_post(&evil_referer, Some(&token)), Err(Forgery::CrossOrigin));
        assert_eq!(check_post(&ok, Some(&new_token())), Err(Forgery::BadToken));
        assert_eq!(check_post(&ok, None), Err(Forgery::BadToken));
        let no_cookie = headers(&[("host", "127.0.0.1:4566"), ("origin", "http://127.0.0.1:4566")]);
        assert_eq!(check_post(&no_cookie, Some(&token)), Err(Forgery::BadToken));
    }
}
