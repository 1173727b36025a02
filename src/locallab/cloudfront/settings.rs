//! What the edge takes from a distribution's configuration: the default behaviour as it
//! applies it (methods, origin, what is in the cache key and what reaches the origin, TTLs),
//! derived once per configuration document.

use http::{HeaderName, HeaderValue, Method, StatusCode};
use roxmltree::Node;

use super::xml::{child, elements, names, parse, parse_bool, required, text};
use crate::locallab::wire::ApiError;
use crate::names::origin_request_policy::{ALL_VIEWER, ALL_VIEWER_AND_CLOUDFRONT_HEADERS, ALL_VIEWER_EXCEPT_HOST};

/// CloudFront's limit on headers in a cache key.
pub const MAX_FORWARDED_HEADERS: usize = 10;

/// The default behaviour as the edge applies it, derived once per configuration document.
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    pub enabled: bool,
    pub allowed_methods: Vec<Method>,
    pub cached_methods: Vec<Method>,
    /// Where origin requests go, or why the edge cannot reach the origin (answered as 502).
    pub origin: Result<OriginTarget, String>,
    /// Which query parameters are part of the cache key, and which reach the origin.
    pub key_query: QueryRule,
    pub origin_query: QueryRule,
    /// Viewer headers in the cache key (lowercase); they are also forwarded to the origin.
    pub key_headers: Vec<HeaderName>,
    /// Whether every viewer header reaches the origin (origin request policies, legacy `*`).
    pub all_viewer_headers: AllViewerHeaders,
    pub ttl: Ttl,
    /// False when legacy forwarding of all headers (`*`) turns caching off.
    pub caching: bool,
}

#[derive(Debug, Clone)]
pub struct OriginTarget {
    pub domain: String,
    pub path: String,
    pub custom_headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryRule {
    None,
    All,
    Only(Vec<String>),
    AllExcept(Vec<String>),
}

impl QueryRule {
    pub fn keeps(&self, name: &str) -> bool {
        match self {
            QueryRule::None => false,
            QueryRule::All => true,
            QueryRule::Only(names) => names.iter().any(|n| n == name),
            QueryRule::AllExcept(names) => !names.iter().any(|n| n == name),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllViewerHeaders {
    No,
    Yes,
    ExceptHost,
}

/// Seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl {
    pub min: i64,
    pub default: i64,
    pub max: i64,
}

impl EdgeSettings {
    /// An edge that cannot serve: every request answers 502 with `why`.
    pub fn broken(why: String) -> Self {
        EdgeSettings {
            enabled: true,
            allowed_methods: vec![Method::GET, Method::HEAD],
            cached_methods: Vec::new(),
            origin: Err(why),
            key_query: QueryRule::None,
            origin_query: QueryRule::None,
            key_headers: Vec::new(),
            all_viewer_headers: AllViewerHeaders::No,
            ttl: Ttl { min: 0, default: 0, max: 0 },
            caching: false,
        }
    }

    /// Reads a validated `DistributionConfig`. `policy` finds a cache policy's config by id.
    pub fn derive(xml: &str, api_domain: &str, policy: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let doc = parse(xml)?;
        let root = doc.root_element();
        let behavior = required(root, "DefaultCacheBehavior")?;
        let enabled = parse_bool(required(root, "Enabled")?)?;
        let target = text(behavior, "TargetOriginId").unwrap_or_default();
        let origin = child(root, "Origins")
            .and_then(|o| child(o, "Items"))
            .into_iter()
            .flat_map(|items| elements(items, "Origin"))
            .find(|o| text(*o, "Id") == Some(target))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NoSuchOrigin",
                    format!(
                        "The default cache behavior targets origin {target}, which the distribution does not have."
                    ),
                )
            })?;
        let origin = origin_target(origin, api_domain)?;

        let allowed = child(behavior, "AllowedMethods");
        let allowed_methods = match allowed {
            Some(a) => methods(a)?,
            None => vec![Method::GET, Method::HEAD],
        };
        let cached_methods = match allowed.and_then(|a| child(a, "CachedMethods")) {
            Some(c) => methods(c)?,
            None => vec![Method::GET, Method::HEAD],
        };

        let mut settings = EdgeSettings {
            enabled,
            allowed_methods,
            cached_methods,
            origin,
            key_query: QueryRule::None,
            origin_query: QueryRule::None,
            key_headers: Vec::new(),
            all_viewer_headers: AllViewerHeaders::No,
            ttl: Ttl { min: 0, default: 86_400, max: 31_536_000 },
            caching: true,
        };

        let forwarded = child(behavior, "ForwardedValues");
        let cache_policy = text(behavior, "CachePolicyId").filter(|id| !id.is_empty());
        match (forwarded, cache_policy) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "InvalidArgument",
                    "The parameter ForwardedValues cannot be used when a cache policy is associated to the cache behavior.",
                ));
            }
            (None, None) => {
                return Err(ApiError::bad_request(
                    "InvalidArgument",
                    "The parameter ForwardedValues is required when a cache policy is not associated to the cache behavior.",
                ));
            }
            (Some(forwarded), None) => settings.apply_forwarded_values(forwarded, behavior)?,
            (None, Some(id)) => {
                let config = policy(id).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "NoSuchCachePolicy",
                        format!("The cache policy {id} does not exist."),
                    )
                })?;
                settings.apply_cache_policy(&config)?;
            }
        }

        if let Some(id) = text(behavior, "OriginRequestPolicyId").filter(|id| !id.is_empty()) {
            settings.all_viewer_headers = match id {
                ALL_VIEWER | ALL_VIEWER_AND_CLOUDFRONT_HEADERS => AllViewerHeaders::Yes,
                ALL_VIEWER_EXCEPT_HOST => AllViewerHeaders::ExceptHost,
                _ => {
                    return Err(ApiError::new(
                        StatusCode::NOT_FOUND,
                        "NoSuchOriginRequestPolicy",
                        format!(
                            "The origin request policy {id} does not exist (the local lab knows the managed AllViewer policies)."
                        ),
                    ));
                }
            };
            // These policies forward every query string too.
            settings.origin_query = QueryRule::All;
        }
        Ok(settings)
    }

    /// The legacy settings: forwarded headers are the cache key's, and TTLs sit on the behaviour.
    fn apply_forwarded_values(&mut self, forwarded: Node, behavior: Node) -> Result<(), ApiError> {
        if parse_bool(required(forwarded, "QueryString")?)? {
            let keys = names(forwarded, "QueryStringCacheKeys", "Name");
            self.key_query = if keys.is_empty() { QueryRule::All } else { QueryRule::Only(keys) };
            self.origin_query = QueryRule::All;
        }
        let headers = names(forwarded, "Headers", "Name");
        if headers.len() > MAX_FORWARDED_HEADERS {
            return Err(ApiError::bad_request(
                "TooManyHeadersInForwardedValues",
                format!(
                    "Your request contains too many headers in forwarded values (at most {MAX_FORWARDED_HEADERS})."
                ),
            ));
        }
        if headers.iter().any(|h| h == "*") {
            // Forwarding every header makes every request unique: CloudFront stops caching.
            self.all_viewer_headers = AllViewerHeaders::Yes;
            self.caching = false;
        } else {
            self.key_headers = header_names(&headers)?;
        }
        self.ttl = ttl(behavior, Ttl { min: 0, default: 86_400, max: 31_536_000 })?;
        Ok(())
    }

    /// A cache policy: its headers and query strings are both the cache key and what is forwarded.
    pub fn apply_cache_policy(&mut self, config: &str) -> Result<(), ApiError> {
        let doc = parse(config)?;
        let root = doc.root_element();
        self.ttl = ttl(root, Ttl { min: 0, default: 86_400, max: 31_536_000 })?;
        let Some(params) = child(root, "ParametersInCacheKeyAndForwardedToOrigin") else {
            return Ok(());
        };
        if let Some(headers) = child(params, "HeadersConfig") {
            match text(headers, "HeaderBehavior").unwrap_or("none") {
                "none" => {}
                "whitelist" => self.key_headers = header_names(&names(headers, "Headers", "Name"))?,
                other => {
                    return Err(ApiError::bad_request("InvalidArgument", format!("Unknown HeaderBehavior {other}")));
                }
            }
        }
        if let Some(query) = child(params, "QueryStringsConfig") {
            let listed = names(query, "QueryStrings", "Name");
            self.key_query = match text(query, "QueryStringBehavior").unwrap_or("none") {
                "none" => QueryRule::None,
                "all" => QueryRule::All,
                "whitelist" => QueryRule::Only(listed),
                "allExcept" => QueryRule::AllExcept(listed),
                other => {
                    return Err(ApiError::bad_request(
                        "InvalidArgument",
                        format!("Unknown QueryStringBehavior {other}"),
                    ));
                }
            };
            self.origin_query = self.key_query.clone();
        }
        Ok(())
    }
}

/// The origin the behaviour targets: `Ok(Err(why))` when the edge cannot reach it.
fn origin_target(origin: Node, api_domain: &str) -> Result<Result<OriginTarget, String>, ApiError> {
    let domain = text(origin, "DomainName").unwrap_or_default().to_string();
    let path = text(origin, "OriginPath").unwrap_or_default().to_string();
    if !(path.is_empty() || path.starts_with('/') && !path.ends_with('/')) {
        return Err(ApiError::bad_request(
            "InvalidRelativePath",
            "The origin path must start with a slash and must not end with one.",
        ));
    }
    let mut custom_headers = Vec::new();
    if let Some(items) = child(origin, "CustomHeaders").and_then(|h| child(h, "Items")) {
        for header in elements(items, "OriginCustomHeader") {
            let name = text(header, "HeaderName").unwrap_or_default();
            let value = text(header, "HeaderValue").unwrap_or_default();
            let parsed = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value));
            let (Ok(name), Ok(value)) = parsed else {
                return Err(ApiError::bad_request(
                    "InvalidArgument",
                    format!("The origin custom header {name} is not valid."),
                ));
            };
            custom_headers.push((name, value));
        }
    }
    // The lab has one origin it can reach: the API, over HTTPS (API Gateway has no plain
    // HTTP endpoint). Anything else is an origin the edge cannot connect to: a 502, as in AWS.
    let protocol = child(origin, "CustomOriginConfig").and_then(|c| text(c, "OriginProtocolPolicy"));
    if domain != api_domain {
        return Ok(Err(format!("CloudFront cannot connect to the origin {domain}.")));
    }
    if protocol == Some("http-only") {
        return Ok(Err(format!("CloudFront cannot connect to {domain} over HTTP: API Gateway answers on HTTPS only.")));
    }
    Ok(Ok(OriginTarget { domain, path, custom_headers }))
}

fn methods(node: Node) -> Result<Vec<Method>, ApiError> {
    names(node, "", "Method")
        .iter()
        .map(|m| {
            Method::from_bytes(m.as_bytes())
                .map_err(|_| ApiError::bad_request("InvalidArgument", format!("{m} is not an HTTP method.")))
        })
        .collect()
}

fn header_names(names: &[String]) -> Result<Vec<HeaderName>, ApiError> {
    names
        .iter()
        .map(|n| {
            HeaderName::from_bytes(n.as_bytes())
                .map_err(|_| ApiError::bad_request("InvalidArgument", format!("{n} is not a valid header name.")))
        })
        .collect()
}

fn ttl(node: Node, defaults: Ttl) -> Result<Ttl, ApiError> {
    let number = |name: &str, default: i64| -> Result<i64, ApiError> {
        match text(node, name) {
            None | Some("") => Ok(default),
            Some(v) => v.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::bad_request("InvalidArgument", format!("{name} must be a non-negative number"))
            }),
        }
    };
    let ttl = Ttl {
        min: number("MinTTL", defaults.min)?,
        default: number("DefaultTTL", defaults.default)?,
        max: number("MaxTTL", defaults.max)?,
    };
    if !(ttl.min <= ttl.default && ttl.default <= ttl.max) {
        return Err(ApiError::bad_request(
            "InvalidTTLOrder",
            "The TTL order specified is not valid: MinTTL <= DefaultTTL <= MaxTTL.",
        ));
    }
    Ok(ttl)
}
