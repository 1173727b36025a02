//! One HTTP GET and its evidence: what `walab request` prints and what the lab checks judge
//! (401 without a token, 200 with one, 403 on the API called directly).
//!
//! A [`Prober`] owns one HTTP client so repeated probes reuse connections; each probe returns
//! the status, the latency, the headers that tell where an answer came from (CloudFront's
//! cache, API Gateway, WAF) and the body up to a limit. Failures are a [`ProbeError`] a learner
//! can act on. The ID token is sent and then forgotten: it is in no result and no error.

use std::error::Error as _;
use std::fmt;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

mod diagnosis;

pub use diagnosis::{Diagnosis, diagnose};

/// How much of a body a probe keeps by default: far more than any lab answer, small enough
/// that a wrong URL pointing at a large download costs nothing.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Makes probes; build it once and reuse it.
#[derive(Debug, Clone)]
pub struct Prober {
    client: reqwest::Client,
    body_limit: usize,
}

impl Prober {
    pub fn new() -> Result<Prober, ProbeError> {
        Self::with_body_limit(DEFAULT_BODY_LIMIT)
    }

    pub fn with_body_limit(body_limit: usize) -> Result<Prober, ProbeError> {
        let client = reqwest::Client::builder()
            // The evidence is what this URL answered: a redirect is shown, not followed (a
            // cross-host redirect would also drop the Authorization header silently).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("walab/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProbeError::Client { detail: innermost(&e) })?;
        Ok(Prober { client, body_limit })
    }

    /// GET `url`, with `Authorization: <token>` when a token is given (the raw ID token, no
    /// `Bearer `, as the lab sends it), giving up after `timeout` (connecting and reading
    /// included).
    pub async fn get(&self, url: &str, token: Option<&Secret>, timeout: Duration) -> Result<ProbeResponse, ProbeError> {
        let url = parse_url(url)?;
        let mut request = self.client.get(url.clone()).timeout(timeout);
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(token.expose())
                .map_err(|_| ProbeError::InvalidToken { reason: token_problem(token.expose()) })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }

        let started = Instant::now();
        let mut response = request.send().await.map_err(|e| classify(e, &url, timeout))?;
        let status = response.status();
        let headers = ResponseHeaders::from_map(response.headers());
        let content_length = response.content_length();

        let mut body = Vec::new();
        let mut body_cut = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.body_limit - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        body_cut = Some(BodyCut::Limit { kept: self.body_limit });
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                // The answer arrived; a body that breaks off is part of the evidence, not a
                // failure to get a response.
                Err(e) => {
                    let reason = if e.is_timeout() {
                        format!("timed out after {} while reading the body", seconds(timeout))
                    } else {
                        innermost(&e)
                    };
                    body_cut = Some(BodyCut::Interrupted { reason });
                    break;
                }
            }
        }

        // Credentials in a URL are as secret as the token: keep them out of the evidence.
        let mut shown_url = url;
        let _ = shown_url.set_password(None);
        Ok(ProbeResponse {
            url: shown_url.to_string(),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            latency: started.elapsed(),
            headers,
            content_length,
            body,
            body_cut,
            token_sent: token.is_some(),
        })
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct ProbeResponse {
    pub url: String,
    pub status: u16,
    /// The standard reason phrase for the status (`Unauthorized`), empty for unusual codes.
    pub reason: String,
    /// From sending the request to the end of the body (or the point it was cut).
    pub latency: Duration,
    pub headers: ResponseHeaders,
    /// What the server announced, which may be more than was kept.
    pub content_length: Option<u64>,
    pub body: Vec<u8>,
    /// Why `body` is not the whole body, when it is not.
    pub body_cut: Option<BodyCut>,
    /// Whether an `Authorization` header went out (the token itself is not kept).
    pub token_sent: bool,
}

impl ProbeResponse {
    /// CloudFront's verdict on this answer, when it came through CloudFront.
    pub fn cache_status(&self) -> Option<CacheStatus> {
        self.headers.x_cache.as_deref().map(CacheStatus::parse)
    }

    /// The body as text, when it is text.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

/// Why a probe's body is shorter than what the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyCut {
    /// The probe kept only the first `kept` bytes.
    Limit { kept: usize },
    /// The connection broke off or the time ran out while the body was arriving.
    Interrupted { reason: String },
}

/// The headers that tell who answered and why: CloudFront's, API Gateway's, and the body's type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseHeaders {
    pub x_cache: Option<String>,
    pub age: Option<String>,
    pub via: Option<String>,
    pub x_amz_cf_pop: Option<String>,
    pub x_amz_cf_id: Option<String>,
    pub x_amzn_error_type: Option<String>,
    pub x_amzn_request_id: Option<String>,
    pub content_type: Option<String>,
    /// Where a redirect points (probes do not follow redirects).
    pub location: Option<String>,
}

impl ResponseHeaders {
    /// Header names as they are usually written, with their values, in a stable order.
    pub fn present(&self) -> Vec<(&'static str, &str)> {
        [
            ("X-Cache", &self.x_cache),
            ("Age", &self.age),
            ("Via", &self.via),
            ("X-Amz-Cf-Pop", &self.x_amz_cf_pop),
            ("X-Amz-Cf-Id", &self.x_amz_cf_id),
            ("x-amzn-ErrorType", &self.x_amzn_error_type),
            ("x-amzn-RequestId", &self.x_amzn_request_id),
            ("Content-Type", &self.content_type),
            ("Location", &self.location),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }

    fn from_map(map: &HeaderMap) -> ResponseHeaders {
        let get = |name: &str| {
            let values: Vec<String> =
                map.get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
            (!values.is_empty()).then(|| values.join(", "))
        };
        ResponseHeaders {
            x_cache: get("x-cache"),
            age: get("age"),
            via: get("via"),
            x_amz_cf_pop: get("x-amz-cf-pop"),
            x_amz_cf_id: get("x-amz-cf-id"),
            x_amzn_error_type: get("x-amzn-errortype"),
            x_amzn_request_id: get("x-amzn-requestid"),
            content_type: get("content-type"),
            location: get("location"),
        }
    }
}

/// CloudFront's `X-Cache` verdict (`Hit from cloudfront`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
    RefreshHit,
    Error,
    Other(String),
}

impl CacheStatus {
    pub fn parse(x_cache: &str) -> CacheStatus {
        let word = x_cache.split_whitespace().next().unwrap_or("");
        match word.to_ascii_lowercase().as_str() {
            "hit" => CacheStatus::Hit,
            "miss" => CacheStatus::Miss,
            "refreshhit" => CacheStatus::RefreshHit,
            "error" => CacheStatus::Error,
            _ => CacheStatus::Other(x_cache.trim().to_string()),
        }
    }

    /// What the verdict means, in one line.
    pub fn explain(&self) -> &'static str {
        match self {
            CacheStatus::Hit => "served from CloudFront's cache, without reaching the API",
            CacheStatus::Miss => "not in CloudFront's cache: fetched from the API",
            CacheStatus::RefreshHit => "CloudFront's cached copy was revalidated with the API and served",
            CacheStatus::Error => "the API or CloudFront answered with an error",
            CacheStatus::Other(_) => "a cache status walab does not know",
        }
    }
}

/// Why no response arrived (or none was asked for), in words a learner can act on.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("the ID token cannot be sent in a header: {reason}")]
    InvalidToken { reason: String },
    #[error("cannot resolve host {host}: {detail}")]
    Dns { host: String, detail: String },
    #[error("connection refused by {host_port}: is the lab running?")]
    ConnectionRefused { host_port: String },
    #[error("no answer from {host_port}: timed out after {}", seconds(*.limit))]
    Timeout { host_port: String, limit: Duration },
    #[error("TLS problem with {host_port}: {detail}")]
    Tls { host_port: String, detail: String },
    #[error("request to {host_port} failed: {detail}")]
    Other { host_port: String, detail: String },
    #[error("cannot set up the HTTP client: {detail}")]
    Client { detail: String },
}

impl ProbeError {
    /// The mistake is in what was asked (the URL, the token), not in the network.
    pub fn is_usage(&self) -> bool {
        matches!(self, ProbeError::InvalidUrl { .. } | ProbeError::InvalidToken { .. })
    }

    /// What to try next.
    pub fn hint(&self) -> String {
        match self {
            ProbeError::InvalidUrl { .. } => {
                "give the whole URL, e.g. the stack output CloudFrontEndpoint: https://d111111abcdef8.cloudfront.net/?id=1"
                    .to_string()
            }
            ProbeError::InvalidToken { .. } => {
                "pass the ID token exactly as `walab token` prints it: TOKEN=$(walab token)".to_string()
            }
            ProbeError::Dns { .. } => {
                "check the host name (copy it from the stack outputs) and that this machine can reach a DNS server"
                    .to_string()
            }
            ProbeError::ConnectionRefused { .. } => {
                "nothing listens there: start the local lab with `walab serve`, or check the host and port".to_string()
            }
            ProbeError::Timeout { .. } => {
                "the server accepted the connection or the name but did not answer in time; check the URL, or allow longer"
                    .to_string()
            }
            ProbeError::Tls { .. } => {
                "check the scheme: the local lab speaks plain http://, CloudFront and API Gateway https://".to_string()
            }
            ProbeError::Other { .. } | ProbeError::Client { .. } => {
                "check the URL and the network, then try again".to_string()
            }
        }
    }
}

/// Parses and checks a URL a learner typed or pasted.
pub fn parse_url(input: &str) -> Result<Url, ProbeError> {
    let invalid = |reason: String| ProbeError::InvalidUrl { url: input.to_string(), reason };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty".to_string()));
    }
    let missing_scheme = || {
        let scheme = if trimmed.starts_with("127.") || trimmed.starts_with("localhost") { "http" } else { "https" };
        invalid(format!("it has no scheme: did you mean {scheme}://{trimmed}?"))
    };
    if !trimmed.contains("://") {
        return Err(missing_scheme());
    }
    let url = Url::parse(trimmed).map_err(|e| invalid(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid(format!("scheme {}:// is not http:// or https://", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host".to_string()));
    }
    Ok(url)
}

/// `1 s`, `0.5 s`, `10 s`: a limit as a learner set it.
pub fn seconds(limit: Duration) -> String {
    format!("{} s", limit.as_secs_f64())
}

fn token_problem(token: &str) -> String {
    if token.chars().any(|c| c == '\n' || c == '\r') {
        "it contains a line break (copy it again, or use TOKEN=$(walab token))".to_string()
    } else {
        "it contains characters a header cannot carry".to_string()
    }
}

fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Sorts reqwest's error into what a learner can do something about.
fn classify(error: reqwest::Error, url: &Url, limit: Duration) -> ProbeError {
    let host_port = host_port(url);
    if error.is_timeout() {
        return ProbeError::Timeout { host_port, limit };
    }
    if error.is_dns() {
        return ProbeError::Dns { host: url.host_str().unwrap_or("?").to_string(), detail: innermost(&error) };
    }
    let io = io_error(&error);
    if io.is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
        return ProbeError::ConnectionRefused { host_port };
    }
    // The socket layer fails with the operating system's own errors; rustls wraps its
    // handshake and certificate failures in an I/O error that carries them (kind `Other` or
    // `InvalidData`), and a server hanging up mid-handshake reads as an unexpected end.
    let tls_failure = io.is_some_and(|io| {
        use std::io::ErrorKind::{InvalidData, Other, UnexpectedEof};
        matches!(io.kind(), InvalidData | Other | UnexpectedEof) && io.raw_os_error().is_none()
    });
    if url.scheme() == "https" && error.is_connect() && tls_failure {
        return ProbeError::Tls { host_port, detail: innermost(&error) };
    }
    ProbeError::Other { host_port, detail: innermost(&error) }
}

fn io_error(error: &reqwest::Error) -> Option<&std::io::Error> {
    let mut source = error.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = err.source();
    }
    None
}

/// The most specific message in an error's chain, without the URL (which the caller names).
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(err) = source {
        message = err.to_string();
        source = err.source();
    }
    message
}

impl fmt::Display for CacheStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheStatus::Hit => f.write_str("Hit"),
            CacheStatus::Miss => f.write_str("Miss"),
            CacheStatus::RefreshHit => f.write_str("RefreshHit"),
            CacheStatus::Error => f.write_str("Error"),
            CacheStatus::Other(value) => f.write_str(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_cache_values_are_explained() {
        assert_eq!(CacheStatus::parse("Hit from cloudfront"), CacheStatus::Hit);
        assert_eq!(CacheStatus::parse("Miss from cloudfront"), CacheStatus::Miss);
        assert_eq!(CacheStatus::parse("RefreshHit from cloudfront"), CacheStatus::RefreshHit);
        assert_eq!(CacheStatus::parse("Error from cloudfront"), CacheStatus::Error);
        assert_eq!(CacheStatus::parse("hit from cloudfront"), CacheStatus::Hit);
        assert_eq!(CacheStatus::parse("LimitExceeded from cloudfront").to_string(), "LimitExceeded from cloudfront");
        assert!(CacheStatus::Hit.explain().contains("without reaching the API"));
        assert!(CacheStatus::Miss.explain().contains("from the API"));
        assert!(CacheStatus::Error.explain().contains("error"));
        assert!(CacheStatus::RefreshHit.explain().contains("revalidated"));
    }

    #[test]
    fn urls_are_checked_with_reasons() {
        assert!(parse_url("https://d111111abcdef8.cloudfront.net/?id=1").is_ok());
        assert!(parse_url("http://127.0.0.1:4567/?id=1").is_ok());
        let cases = [
            ("d111111abcdef8.cloudfront.net/?id=1", "did you mean https://d111111abcdef8.cloudfront.net/?id=1"),
            ("127.0.0.1:4567/?id=1", "did you mean http://127.0.0.1:4567/?id=1"),
            ("localhost:4567/?id=1", "did you mean http://localhost:4567"),
            ("", "empty"),
            ("ftp://example.com/", "not http:// or https://"),
            ("http://", "host"),
            ("http://exa mple.com/", "domain name"),
        ];
        for (input, expected) in cases {
            let err = parse_url(input).expect_err(input);
            assert!(err.is_usage(), "{input}");
            assert!(err.to_string().contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn errors_say_what_to_do_and_carry_no_token() {
        let timeout = ProbeError::Timeout { host_port: "127.0.0.1:9".into(), limit: Duration::from_secs(1) };
        assert_eq!(timeout.to_string(), "no answer from 127.0.0.1:9: timed out after 1 s");
        let half = ProbeError::Timeout { host_port: "h:1".into(), limit: Duration::from_millis(500) };
        assert!(half.to_string().ends_with("after 0.5 s"));
        let refused = ProbeError::ConnectionRefused { host_port: "127.0.0.1:4567".into() };
        assert_eq!(refused.to_string(), "connection refused by 127.0.0.1:4567: is the lab running?");
        assert!(refused.hint().contains("walab serve"));
        let token = Secret::new("eyJhbGciOi.line\nbreak.signature");
        let err = ProbeError::InvalidToken { reason: token_problem(token.expose()) };
        assert!(err.to_string().contains("line break"));
        assert!(!format!("{err} {err:?}").contains("eyJhbGciOi"));
    }
}
