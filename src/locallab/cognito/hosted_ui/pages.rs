//! The hosted UI's pages: one askama template each under `templates/hosted_ui/`, all built on
//! `base.html`. Values are escaped by the template engine.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;

#[derive(Template)]
#[template(path = "hosted_ui/signin.html")]
pub struct SignIn {
    pub app_name: String,
    pub hidden: Vec<(&'static str, String)>,
    pub query: String,
    /// The CSRF token, also in the browser's cookie.
    pub csrf: String,
    pub email: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "hosted_ui/signup.html")]
pub struct SignUp {
    pub app_name: String,
    pub hidden: Vec<(&'static str, String)>,
    pub query: String,
    pub csrf: String,
    pub email: String,
    pub rules: Vec<String>,
    pub error: Option<String>,
    pub broken_rules: Vec<String>,
    pub email_invalid: bool,
    pub password_invalid: bool,
}

#[derive(Template)]
#[template(path = "hosted_ui/check_email.html")]
pub struct CheckEmail {
    pub app_name: String,
    pub destination: String,
    pub query: String,
}

#[derive(Template)]
#[template(path = "hosted_ui/confirmed.html")]
pub struct Confirmed {
    pub app_name: String,
    pub confirmed: bool,
    pub message: String,
    pub sign_in_query: Option<String>,
}

#[derive(Template)]
#[template(path = "hosted_ui/problem.html")]
pub struct Problem {
    pub app_name: String,
    pub heading: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "hosted_ui/signed_out.html")]
pub struct SignedOut {
    pub app_name: String,
}

#[derive(Template)]
#[template(path = "hosted_ui/outbox.html")]
pub struct Outbox {
    pub app_name: String,
    pub messages: Vec<OutboxEntry>,
}

pub struct OutboxEntry {
    pub subject: String,
    pub to: String,
    pub sent: String,
    pub body: String,
    /// Only `http:` and `https:` links become clickable.
    pub link: Option<String>,
}

#[derive(Template)]
#[template(path = "hosted_ui/callback.html")]
pub struct Callback {
    pub app_name: String,
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub tokens: Vec<DecodedToken>,
    /// The refresh token, masked.
    pub refresh: Option<String>,
    pub sign_out: Option<String>,
}

/// A JWT laid out for reading: the raw token, its header and claims pretty-printed.
pub struct DecodedToken {
    pub id: &'static str,
    pub title: &'static str,
    pub summary: String,
    pub raw: String,
    pub header: String,
    pub claims: String,
}

impl DecodedToken {
    /// Decodes (without verifying: the page only shows) a JWT's header and claims.
    pub fn new(id: &'static str, title: &'static str, raw: &str) -> DecodedToken {
        let mut parts = raw.split('.');
        let mut section = || -> Option<serde_json::Value> {
            let bytes = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
            serde_json::from_slice(&bytes).ok()
        };
        let (header, claims) = (section(), section());
        let pretty = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .and_then(|v| serde_json::to_string_pretty(v).ok())
                .unwrap_or_else(|| "(not readable JSON)".to_string())
        };
        let claim = |name: &str| claims.as_ref().and_then(|c| c.get(name)).and_then(|v| v.as_i64());
        let summary = match (claim("iat"), claim("exp")) {
            (Some(iat), Some(exp)) => {
                format!("Issued {}, valid for {} minutes, until {}.", utc(iat), (exp - iat).div_euclid(60), utc(exp))
            }
            _ => "A JSON Web Token.".to_string(),
        };
        DecodedToken { id, title, summary, raw: raw.to_string(), header: pretty(&header), claims: pretty(&claims) }
    }
}

/// `2026-11-03 09:05:07 UTC`.
pub fn utc(unix_secs: i64) -> String {
    let text = crate::locallab::machinery::clock::iso8601(unix_secs.saturating_mul(1000));
    text.trim_end_matches('Z').replacen('T', " ", 1) + " UTC"
}

/// An HTML answer from a page, or a plain 500 should a template ever fail to render.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            // The pages may carry codes and tokens: keep them out of caches.
            response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!("a hosted UI page failed to render: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be drawn.").into_response()
        }
    }
}
