//! The CloudFront edge: the distribution's cache in front of the API, applying the default
//! behaviour as last deployed. This is where the lab's trap lives: a cache key made of the
//! path, the query and the forwarded headers' values, where an absent header adds nothing,
//! so a 200 cached before `Authorization` was forwarded still answers requests without it.
//!
//! The hit path parses no XML (the settings are derived once per configuration document)
//! and holds the lab's lock only to fetch the settings and to look the key up.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::LocalLab;
use super::clock::Millis;
use super::cloudfront::{AllViewerHeaders, EdgeSettings, OriginTarget, QueryRule};
use super::ids;
use super::invoke;
use super::wire::{ApiError, AwsRequest, request_id};

/// The most entries the edge keeps; beyond it, expired and then oldest entries make room.
const MAX_ENTRIES: usize = 10_000;
/// The largest origin response the edge reads (and so caches).
const MAX_ORIGIN_BODY: usize = 10 * 1024 * 1024;
/// CloudFront caches these origin errors for its default error caching minimum TTL (10 s);
/// 401 is deliberately not among them, so a new token is tried at once.
const CACHED_ERRORS: [u16; 11] = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
const ERROR_CACHING_MS: Millis = 10_000;
/// The lab's edge location (us-east-1).
const POP: &str = "IAD89-C1";

/// One cached response, keyed by [`cache_key`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedResponse {
    pub key: String,
    /// The request path, which invalidations match against.
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text")]
    pub body: Bytes,
    pub stored: Millis,
    pub expires: Millis,
}

/// The edge's cache, with its own lock so filling it neither waits for nor triggers a save
/// of the lab; it is written to disk with the rest of the state.
#[derive(Default)]
pub struct EdgeCache {
    entries: Mutex<Entries>,
}

/// The entries by key, and what makes room in a full cache without scanning it: an index by
/// age, and a bound below which nothing has expired yet. Under a room's load of cache misses
/// the cache is full most of the time, and each miss stores an entry.
#[derive(Default)]
struct Entries {
    /// Each entry with the number it was stored under.
    map: HashMap<String, (Arc<CachedResponse>, u64)>,
    /// Entries by (stored, number), oldest first. Removing an entry from `map` leaves its line
    /// here, stale; stale lines are skipped when met and dropped when they pile up.
    by_age: BTreeMap<(Millis, u64), String>,
    stored: u64,
    /// No entry expires before this (a lower bound), so until then no sweep is needed.
    earliest_expiry: Millis,
}

impl Entries {
    fn insert(&mut self, entry: CachedResponse) {
        self.stored += 1;
        self.earliest_expiry = self.earliest_expiry.min(entry.expires);
        self.by_age.insert((entry.stored, self.stored), entry.key.clone());
        self.map.insert(entry.key.clone(), (Arc::new(entry), self.stored));
        self.tidy();
    }

    /// Drops the expired entries, when there can be any.
    fn sweep(&mut self, now: Millis) {
        if now < self.earliest_expiry {
            return;
        }
        self.map.retain(|_, (e, _)| now < e.expires);
        self.earliest_expiry = self.map.values().map(|(e, _)| e.expires).min().unwrap_or(Millis::MAX);
        self.tidy();
    }

    /// Removes the oldest entry.
    fn evict_oldest(&mut self) {
        while let Some(((_, number), key)) = self.by_age.pop_first() {
            if self.map.get(&key).is_some_and(|(_, n)| *n == number) {
                self.map.remove(&key);
                return;
            }
        }
    }

    fn retain(&mut self, keep: impl FnMut(&String, &mut (Arc<CachedResponse>, u64)) -> bool) {
        self.map.retain(keep);
        self.tidy();
    }

    /// Rebuilds the age index once it is mostly stale lines.
    fn tidy(&mut self) {
        if self.by_age.len() > 2 * self.map.len() + 64 {
            self.by_age = self.map.iter().map(|(key, (e, n))| ((e.stored, *n), key.clone())).collect();
        }
    }
}

impl std::fmt::Debug for EdgeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EdgeCache({} entries)", self.len())
    }
}

impl EdgeCache {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fresh entry for `key`, if any.
    pub fn lookup(&self, key: &str, now: Millis) -> Option<Arc<CachedResponse>> {
        self.lock().map.get(key).map(|(e, _)| e).filter(|e| now < e.expires).cloned()
    }

    /// Stores an entry; a full cache first drops expired entries, then the oldest.
    pub fn store(&self, entry: CachedResponse) {
        let mut entries = self.lock();
        if entries.map.len() >= MAX_ENTRIES && !entries.map.contains_key(&entry.key) {
            entries.sweep(entry.stored);
            if entries.map.len() >= MAX_ENTRIES {
                entries.evict_oldest();
            }
        }
        entries.insert(entry);
    }

    /// Removes the entries an invalidation covers that were stored by the time it completed.
    pub fn purge(&self, paths: &[String], until: Millis) {
        self.lock().retain(|_, (e, _)| !(e.stored <= until && paths.iter().any(|p| invalidation_covers(p, &e.path))));
    }

    /// Every entry, for inspection.
    pub fn entries(&self) -> Vec<Arc<CachedResponse>> {
        self.lock().map.values().map(|(e, _)| e.clone()).collect()
    }
}

impl Serialize for EdgeCache {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entries = self.entries();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        s.collect_seq(entries.iter().map(|e| &**e))
    }
}

impl<'de> Deserialize<'de> for EdgeCache {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut entries = Vec::<CachedResponse>::deserialize(d)?;
        // Oldest first, so that the numbers follow the ages.
        entries.sort_by_key(|e| e.stored);
        let mut cache = Entries::default();
        for entry in entries {
            cache.insert(entry);
        }
        Ok(EdgeCache { entries: Mutex::new(cache) })
    }
}

/// Bodies are the API's JSON: kept as text in the state file.
mod body_text {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(body: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(body))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        Ok(Bytes::from(String::deserialize(d)?))
    }
}

/// An invalidation path covers a cached path when equal, or by prefix when it ends in `*`.
/// Query strings play no part: an invalidation covers every query of its path.
fn invalidation_covers(pattern: &str, path: &str) -> bool {
    let pattern = pattern.split('?').next().unwrap_or_default();
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => path == pattern,
    }
}

/// The cache key: path, query, and the forwarded headers' values. A header without a value
/// adds nothing, so a request without it has the key an entry got before it was forwarded.
pub fn cache_key<'a>(path: &str, query: &str, headers: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut key = String::with_capacity(path.len() + query.len() + 1);
    key.push_str(path);
    if !query.is_empty() {
        key.push('?');
        key.push_str(query);
    }
    for (name, value) in headers {
        if !value.is_empty() {
            key.push('\n');
            key.push_str(name);
            key.push(':');
            key.push_str(&String::from_utf8_lossy(value));
        }
    }
    key
}

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

pub async fn handle(lab: &LocalLab, req: AwsRequest) -> Response {
    let now = lab.clock.now_ms();
    let deploy_ms = Millis::try_from(lab.timing.deploy.as_millis()).unwrap_or(Millis::MAX);
    let (settings, purge_due) = lab.read(|s| {
        let settings = s.cloudfront.edge_settings(now, deploy_ms, || s.apigateway.domain(&s.region));
        (settings, s.cloudfront.purge_due(now))
    });
    if purge_due {
        lab.write(|s| s.cloudfront.settle(now));
    }
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
        && let Some(entry) = lab.read(|s| s.cloudfront.cache.lookup(key, now))
    {
        let status = StatusCode::from_u16(entry.status).unwrap_or(StatusCode::OK);
        let age = (now - entry.stored).max(0) / 1000;
        return viewer_response(status, &entry.headers, entry.body.clone(), Some(age), head);
    }

    let origin = match &settings.origin {
        Ok(origin) => origin,
        Err(why) => return error_page(StatusCode::BAD_GATEWAY, why),
    };
    let path = req.path.clone();
    let Some(origin_request) = origin_request(&settings, origin, req) else {
        return error_page(StatusCode::BAD_REQUEST, "The request could not be forwarded to the origin.");
    };
    // The origin is the API's invoke side, called in-process: the very function the invoke
    // listener serves, so a request through the edge meets the same WAF rule, authorizer and
    // deployment as one sent to the API Gateway URL, without a loopback round trip.
    let (parts, body) = invoke::handle(lab, &origin_request).into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_ORIGIN_BODY).await else {
        return error_page(StatusCode::BAD_GATEWAY, "The origin's response could not be read.");
    };
    let headers = origin_headers(&parts.headers);
    if let (Some(key), Some(ttl)) = (key, ttl_ms(&settings, parts.status, &parts.headers)) {
        let stored = lab.clock.now_ms();
        let entry = CachedResponse {
            key,
            path,
            status: parts.status.as_u16(),
            headers: headers.clone(),
            body: body.clone(),
            stored,
            expires: stored.saturating_add(ttl),
        };
        lab.read(|s| s.cloudfront.cache.store(entry));
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
        super::wire::xml_escape(why),
        request_id()
    );
    let headers = [("content-type".to_string(), "text/html".to_string())];
    viewer_response(status, &headers, Bytes::from(body), None, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_header_adds_nothing_to_the_key() {
        let before = cache_key("/", "id=1", std::iter::empty());
        let without: [(&str, &[u8]); 1] = [("authorization", b"")];
        assert_eq!(cache_key("/", "id=1", without.into_iter()), before);
        let with: [(&str, &[u8]); 1] = [("authorization", b"token")];
        assert_ne!(cache_key("/", "id=1", with.into_iter()), before);
    }

    #[test]
    fn invalidation_paths_match_by_prefix_or_exactly() {
        assert!(invalidation_covers("/*", "/"));
        assert!(invalidation_covers("/*", "/a/b"));
        assert!(invalidation_covers("/?id=1", "/"));
        assert!(invalidation_covers("/a*", "/ab"));
        assert!(!invalidation_covers("/a", "/ab"));
    }

    #[test]
    fn reads_cache_control() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60, s-maxage=\"120\""));
        let control = CacheControl::of(&headers);
        assert_eq!((control.max_age, control.s_maxage, control.forbids_caching), (Some(60), Some(120), false));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        assert!(CacheControl::of(&headers).forbids_caching);
    }

    #[test]
    fn a_full_cache_makes_room() {
        let cache = EdgeCache::default();
        for i in 0..(MAX_ENTRIES + 5) {
            cache.store(CachedResponse {
                key: format!("/{i}"),
                path: format!("/{i}"),
                status: 200,
                headers: Vec::new(),
                body: Bytes::new(),
                stored: i as Millis,
                expires: Millis::MAX,
            });
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.lookup("/0", 0).is_none());
        assert!(cache.lookup(&format!("/{}", MAX_ENTRIES + 4), 0).is_some());
    }

    #[test]
    fn a_full_cache_drops_expired_entries_first_then_the_oldest_still_there() {
        let entry = |key: &str, stored: Millis, expires: Millis| CachedResponse {
            key: key.to_string(),
            path: format!("/{key}"),
            status: 200,
            headers: Vec::new(),
            body: Bytes::new(),
            stored,
            expires,
        };
        let cache = EdgeCache::default();
        cache.store(entry("short", 0, 5));
        for i in 1..MAX_ENTRIES as Millis {
            cache.store(entry(&i.to_string(), i, Millis::MAX));
        }
        // Stored again: no longer the oldest. Purged: gone, and never evicted twice.
        cache.store(entry("1", MAX_ENTRIES as Millis, Millis::MAX));
        cache.purge(&["/2".to_string()], Millis::MAX);
        cache.store(entry("a", MAX_ENTRIES as Millis, Millis::MAX));
        assert_eq!(cache.len(), MAX_ENTRIES);
        cache.store(entry("b", MAX_ENTRIES as Millis + 1, Millis::MAX));
        assert!(cache.lookup("short", 0).is_none(), "expired, so the first to go");
        cache.store(entry("c", MAX_ENTRIES as Millis + 2, Millis::MAX));
        assert!(cache.lookup("3", 0).is_none(), "the oldest left");
        assert!(cache.lookup("1", 0).is_some() && cache.lookup("4", 0).is_some());
        assert_eq!(cache.len(), MAX_ENTRIES);
    }
}
