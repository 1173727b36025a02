//! The CloudFront edge: the distribution's cache in front of the API, applying the default
//! behaviour as last deployed. This is where the lab's trap lives: a cache key made of the
//! path, the query and the forwarded headers' values, where an absent header adds nothing,
//! so a 200 cached before `Authorization` was forwarded still answers requests without it.
//!
//! The hit path parses no XML (the settings are derived once per configuration document) and
//! takes each lock only to fetch the settings and to look the key up.

mod cache;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};

pub use cache::{CachedResponse, EdgeCache, cache_key};

use crate::locallab::cloudfront::{self, AllViewerHeaders, CloudFrontState, EdgeSettings, OriginTarget, QueryRule};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{Change, Record, Rows, Slice, StoreError, Table, Tables};
use crate::locallab::machinery::wire::{ApiError, AwsRequest, request_id};
use crate::locallab::players;
use cache::invalidation_covers;

/// The largest origin response the edge reads (and so caches).
const MAX_ORIGIN_BODY: usize = 10 * 1024 * 1024;
/// CloudFront caches these origin errors for its default error caching minimum TTL (10 s);
/// 401 is deliberately not among them, so a new token is tried at once.
const CACHED_ERRORS: [u16; 11] = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
const ERROR_CACHING_MS: Millis = 10_000;
/// The lab's edge location (us-east-1).
const POP: &str = "IAD89-C1";

fn query_string(req: &AwsRequest, rule: &QueryRule) -> String {
    if *rule == QueryRule::None {
        return String::new();
    }
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(req.query.iter().filter(|(name, _)| rule.keeps(name)))
        .finish()
}

fn key_for(settings: &EdgeSettings, req: &AwsRequest) -> String {
    let query = query_string(req, &settings.key_query);
    let headers = settings.key_headers.iter().map(|name| {
        let value = req.headers.get(name).map(HeaderValue::as_bytes).unwrap_or_default();
        (name.as_str(), value)
    });
    cache_key(&req.path, &query, headers)
}

/// One account's edge: its cache, the trap's entry kept in the store, and how far completed
/// invalidations have been applied to the cache.
pub struct EdgeState {
    pub cache: EdgeCache,
    pinned: Table<CachedResponse>,
    /// Invalidations completed up to this time have purged the cache (memory only: after a
    /// restart they are applied again, which changes nothing twice).
    applied_through: AtomicI64,
}

impl Tables for EdgeState {
    const KINDS: &'static [&'static str] = &[CachedResponse::KIND];
    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        let pinned: Table<CachedResponse> = rows.table()?;
        let cache = EdgeCache::default();
        for entry in pinned.values() {
            cache.store(entry.clone());
        }
        Ok(EdgeState { cache, pinned, applied_through: AtomicI64::new(0) })
    }
    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.pinned.take_changes(out);
    }
}

impl EdgeState {
    /// The edge as section 5 finds it. The lab's trap: before section 5 the API answered
    /// `/?id=1` without asking who was calling, and the edge kept that 200 for a day.
    pub fn seed(now: Millis) -> EdgeState {
        let stored = now - 40 * 60_000;
        let trap = CachedResponse {
            key: cache_key("/", "id=1", std::iter::empty::<(&str, &[u8])>()),
            path: "/".to_string(),
            status: 200,
            headers: vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("x-amzn-requestid".to_string(), ids::uuid()),
            ],
            body: players::answer("1").to_string().into(),
            stored,
            expires: stored + 86_400_000,
        };
        let cache = EdgeCache::default();
        cache.store(trap.clone());
        let mut pinned = Table::default();
        pinned.insert(trap);
        EdgeState { cache, pinned, applied_through: AtomicI64::new(0) }
    }

    /// Applies an invalidation that completed at `completes` to the cache and the pinned entries.
    fn purge(&mut self, paths: &[String], completes: Millis) {
        self.cache.purge(paths, completes);
        let gone: Vec<String> = self
            .pinned
            .values()
            .filter(|e| e.stored <= completes && paths.iter().any(|p| invalidation_covers(p, &e.path)))
            .map(|e| e.key.clone())
            .collect();
        for key in gone {
            self.pinned.remove(&key);
        }
    }
}

/// What the edge needs of the account besides its own state.
pub struct Distribution<'a> {
    pub ctx: &'a AccountContext,
    pub cloudfront: &'a Slice<CloudFrontState>,
    /// The account's API host, the one origin the edge can reach.
    pub api_domain: &'a str,
}

/// Applies the invalidations that completed since the last request.
fn settle(edge: &Slice<EdgeState>, cloudfront: &Slice<CloudFrontState>, now: Millis) {
    let after = edge.read(|e| e.applied_through.load(Ordering::Relaxed));
    let due = cloudfront::completed_invalidations(cloudfront, after, now);
    if due.is_empty() {
        return;
    }
    let result = edge.write(|e| {
        for (paths, completes) in &due {
            e.purge(paths, *completes);
        }
        Ok(())
    });
    match result {
        Ok(()) => edge.read(|e| e.applied_through.fetch_max(now, Ordering::Relaxed)),
        // The pinned entry stays until the store takes the change; the next request tries again.
        Err(e) => {
            tracing::warn!("the edge could not apply an invalidation: {}", e.message);
            0
        }
    };
}

/// Serves one viewer request; `origin` answers what misses the cache (the API's invoke side).
pub async fn handle(
    edge: &Slice<EdgeState>,
    distribution: Distribution<'_>,
    origin: impl FnOnce(&AwsRequest) -> Response,
    req: AwsRequest,
) -> Response {
    let Distribution { ctx, cloudfront, api_domain } = distribution;
    let now = ctx.now_ms();
    settle(edge, cloudfront, now);
    let Some(settings) = cloudfront::edge_settings(ctx, cloudfront, api_domain) else {
        return error_page(StatusCode::FORBIDDEN, "This distribution does not exist.");
    };
    if !settings.enabled {
        return error_page(StatusCode::FORBIDDEN, "This distribution is disabled.");
    }
    if !settings.allowed_methods.contains(&req.method) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This distribution is not configured to allow the HTTP request method that was used for this request. \
             The distribution supports only cachable requests.",
        );
    }
    let head = req.method == Method::HEAD;
    let key = (settings.caching && settings.cached_methods.contains(&req.method)).then(|| key_for(&settings, &req));
    if let Some(key) = &key
        && let Some(entry) = edge.read(|e| e.cache.lookup(key, now))
    {
        let status = StatusCode::from_u16(entry.status).unwrap_or(StatusCode::OK);
        let age = (now - entry.stored).max(0) / 1000;
        return viewer_response(status, &entry.headers, entry.body.clone(), Some(age), head);
    }

    let origin_target = match &settings.origin {
        Ok(origin) => origin,
        Err(why) => return error_page(StatusCode::BAD_GATEWAY, why),
    };
    let path = req.path.clone();
    let Some(origin_request) = origin_request(&settings, origin_target, req) else {
        return error_page(StatusCode::BAD_REQUEST, "The request could not be forwarded to the origin.");
    };
    // The origin is the API's invoke side, called in-process: the very function the invoke
    // listener serves, so a request through the edge meets the same WAF rule, authorizer and
    // deployment as one sent to the API Gateway URL, without a loopback round trip.
    let (parts, body) = origin(&origin_request).into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_ORIGIN_BODY).await else {
        return error_page(StatusCode::BAD_GATEWAY, "The origin's response could not be read.");
    };
    let headers = origin_headers(&parts.headers);
    if let (Some(key), Some(ttl)) = (key, ttl_ms(&settings, parts.status, &parts.headers)) {
        let stored = ctx.now_ms();
        let entry = CachedResponse {
            key,
            path,
            status: parts.status.as_u16(),
            headers: headers.clone(),
            body: body.clone(),
            stored,
            expires: stored.saturating_add(ttl),
        };
        edge.read(|e| e.cache.store(entry));
    }
    viewer_response(parts.status, &headers, body, None, head)
}

/// The request CloudFront sends to the origin: origin path + path, the forwarded query and
/// headers only (the viewer's `Authorization` is dropped unless forwarded), and the origin
/// custom headers, which replace any viewer header of the same name.
fn origin_request(settings: &EdgeSettings, origin: &OriginTarget, req: AwsRequest) -> Option<AwsRequest> {
    let query = query_string(&req, &settings.origin_query);
    let mut target = format!("{}{}", origin.path, req.path);
    if !query.is_empty() {
        target.push('?');
        target.push_str(&query);
    }
    let uri: http::Uri = target.parse().ok()?;

    let mut headers = HeaderMap::new();
    match settings.all_viewer_headers {
        AllViewerHeaders::No => {
            for name in &settings.key_headers {
                for value in req.headers.get_all(name) {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        AllViewerHeaders::Yes | AllViewerHeaders::ExceptHost => {
            for (name, value) in &req.headers {
                let host = name == header::HOST && settings.all_viewer_headers == AllViewerHeaders::ExceptHost;
                if !host && !is_hop_by_hop(name) {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
    }
    if !headers.contains_key(header::HOST)
        && let Ok(host) = HeaderValue::from_str(&origin.domain)
    {
        headers.insert(header::HOST, host);
    }
    if !headers.contains_key(header::USER_AGENT) {
        headers.insert(header::USER_AGENT, HeaderValue::from_static("Amazon CloudFront"));
    }
    if let Ok(via) = HeaderValue::from_str(via()) {
        headers.insert(header::VIA, via);
    }
    if let Ok(id) = HeaderValue::from_str(&cf_id()) {
        headers.insert("x-amz-cf-id", id);
    }
    for (name, value) in &origin.custom_headers {
        headers.insert(name.clone(), value.clone());
    }
    // HEAD is answered from the GET response, so a HEAD miss fetches (and caches) the GET.
    let method = if req.method == Method::HEAD { Method::GET } else { req.method.clone() };
    Some(AwsRequest::new(method, &uri, headers, req.body))
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}

/// The origin's response headers the edge passes on (and caches).
fn origin_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !is_hop_by_hop(name))
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect()
}

/// How long to keep an origin response, in milliseconds, or `None` not to cache it.
fn ttl_ms(settings: &EdgeSettings, status: StatusCode, headers: &HeaderMap) -> Option<Millis> {
    if !settings.caching || settings.ttl.max == 0 {
        return None;
    }
    if status.is_success() {
        let ttl = settings.ttl;
        let control = CacheControl::of(headers);
        let secs = if control.forbids_caching {
            ttl.min
        } else {
            match control.s_maxage.or(control.max_age) {
                Some(age) => age.clamp(ttl.min, ttl.max),
                None => ttl.default,
            }
        };
        (secs > 0).then(|| secs.saturating_mul(1000))
    } else if CACHED_ERRORS.contains(&status.as_u16()) {
        Some(ERROR_CACHING_MS)
    } else {
        None
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct CacheControl {
    max_age: Option<i64>,
    s_maxage: Option<i64>,
    /// `no-store`, `no-cache` or `private`: cached only for a non-zero MinTTL.
    forbids_caching: bool,
}

impl CacheControl {
    fn of(headers: &HeaderMap) -> Self {
        let mut control = CacheControl::default();
        for value in headers.get_all(header::CACHE_CONTROL) {
            let Ok(value) = value.to_str() else { continue };
            for directive in value.split(',') {
                let (name, arg) = match directive.split_once('=') {
                    Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
                    None => (directive.trim(), None),
                };
                let seconds = arg.and_then(|a| a.parse::<i64>().ok()).map(|s| s.max(0));
                match name.to_ascii_lowercase().as_str() {
                    "max-age" => control.max_age = seconds,
                    "s-maxage" => control.s_maxage = seconds,
                    "no-store" | "no-cache" | "private" => control.forbids_caching = true,
                    _ => {}
                }
            }
        }
        control
    }
}

/// `1.1 <hex>.cloudfront.net (CloudFront)`: one edge server per lab process.
fn via() -> &'static str {
    static VIA: OnceLock<String> = OnceLock::new();
    VIA.get_or_init(|| format!("1.1 {}.cloudfront.net (CloudFront)", uuid::Uuid::new_v4().simple()))
}

fn cf_id() -> String {
    format!("{}==", ids::alnum(54))
}

/// A response to the viewer with CloudFront's headers. `age` is set for answers from cache.
fn viewer_response(
    status: StatusCode,
    headers: &[(String, String)],
    body: Bytes,
    age: Option<i64>,
    head: bool,
) -> Response {
    let length = body.len();
    let mut response = Response::new(if head { Body::empty() } else { Body::from(body) });
    *response.status_mut() = status;
    let out = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            out.append(name, value);
        }
    }
    if head {
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    let x_cache = match (status.as_u16() >= 400, age.is_some()) {
        (true, _) => "Error from cloudfront",
        (false, true) => "Hit from cloudfront",
        (false, false) => "Miss from cloudfront",
    };
    out.insert("x-cache", HeaderValue::from_static(x_cache));
    if let Some(age) = age {
        out.insert(header::AGE, HeaderValue::from(age));
    }
    if let Ok(via) = HeaderValue::from_str(via()) {
        out.insert(header::VIA, via);
    }
    out.insert("x-amz-cf-pop", HeaderValue::from_static(POP));
    if let Ok(id) = HeaderValue::from_str(&cf_id()) {
        out.insert("x-amz-cf-id", id);
    }
    response
}

/// A request the edge could not read (a body over the limit), answered as CloudFront would.
pub fn unreadable(e: ApiError) -> Response {
    error_page(e.status, &e.message)
}

/// An error CloudFront itself generates: its HTML page, never cached.
fn error_page(status: StatusCode, why: &str) -> Response {
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n\
         <HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n\
         <TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n\
         <H1>{} ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n{}\n\
         <BR clear=\"all\">\n<HR noshade size=\"1px\">\n<PRE>\nGenerated by cloudfront (CloudFront)\nRequest ID: {}\n</PRE>\n\
         </BODY></HTML>\n",
        status.as_u16(),
        crate::locallab::machinery::wire::xml_escape(why),
        request_id()
    );
    let headers = [("content-type".to_string(), "text/html".to_string())];
    viewer_response(status, &headers, Bytes::from(body), None, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cache_control() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60, s-maxage=\"120\""));
        let control = CacheControl::of(&headers);
        assert_eq!((control.max_age, control.s_maxage, control.forbids_caching), (Some(60), Some(120), false));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        assert!(CacheControl::of(&headers).forbids_caching);
    }
}
