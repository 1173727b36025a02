//! What the edge takes from a distribution's configuration: the default behaviour as it
//! applies it (methods, origin, what is in the cache key and what reaches the origin, TTLs),
//! derived once per configuration.

use http::{HeaderName, HeaderValue, Method, StatusCode};

use super::config::{
    self, CachePolicyConfig, CachePolicyHeaderBehavior, CachePolicyQueryStringBehavior, DefaultCacheBehavior,
    DistributionConfig, ForwardedValues, List, Name, Origin, OriginProtocolPolicy,
};
use crate::locallab::machinery::wire::ApiError;
use crate::names::origin_request_policy::{ALL_VIEWER, ALL_VIEWER_AND_CLOUDFRONT_HEADERS, ALL_VIEWER_EXCEPT_HOST};

/// CloudFront's limit on headers in a cache key.
pub const MAX_FORWARDED_HEADERS: usize = 10;

/// The default behaviour as the edge applies it, derived once per configuration.
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

    /// Reads a configuration as the edge applies it, refusing what CloudFront would refuse.
    /// `policy` finds a cache policy's configuration by id.
    pub fn derive(
        config: &DistributionConfig,
        api_domain: &str,
        policy: impl Fn(&str) -> Option<CachePolicyConfig>,
    ) -> Result<Self, ApiError> {
        let behavior = &config.default_cache_behavior;
        let target = behavior.target_origin_id.as_str();
        let origin = config.origins.iter().find(|o| o.id == target).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NoSuchOrigin",
                format!("The default cache behavior targets origin {target}, which the distribution does not have."),
            )
        })?;
        let origin = origin_target(origin, api_domain)?;

        let get_head = || vec![Method::GET, Method::HEAD];
        let allowed = behavior.allowed_methods.as_ref();
        let allowed_methods = allowed.map(|a| methods(&a.methods)).unwrap_or_else(get_head);
        let cached_methods =
            allowed.and_then(|a| a.cached_methods.as_ref()).map(|c| methods(c)).unwrap_or_else(get_head);

        let mut settings = EdgeSettings {
            enabled: config.enabled,
            allowed_methods,
            cached_methods,
            origin,
            key_query: QueryRule::None,
            origin_query: QueryRule::None,
            key_headers: Vec::new(),
            all_viewer_headers: AllViewerHeaders::No,
            ttl: DEFAULT_TTL,
            caching: true,
        };

        let cache_policy = behavior.cache_policy_id.as_deref().filter(|id| !id.is_empty());
        match (&behavior.forwarded_values, cache_policy) {
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

        if let Some(id) = behavior.origin_request_policy_id.as_deref().filter(|id| !id.is_empty()) {
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
    fn apply_forwarded_values(
        &mut self,
        forwarded: &ForwardedValues,
        behavior: &DefaultCacheBehavior,
    ) -> Result<(), ApiError> {
        if forwarded.query_string {
            let keys = forwarded.query_string_cache_keys.as_ref().map(|k| k.to_vec()).unwrap_or_default();
            self.key_query = if keys.is_empty() { QueryRule::All } else { QueryRule::Only(keys) };
            self.origin_query = QueryRule::All;
        }
        let headers: &[String] = forwarded.headers.as_deref().unwrap_or_default();
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
            self.key_headers = header_names(headers)?;
        }
        self.ttl = ttl(behavior.min_ttl, behavior.default_ttl, behavior.max_ttl)?;
        Ok(())
    }

    /// A cache policy: its headers and query strings are both the cache key and what is forwarded.
    pub fn apply_cache_policy(&mut self, config: &CachePolicyConfig) -> Result<(), ApiError> {
        self.ttl = ttl(Some(config.min_ttl), config.default_ttl, config.max_ttl)?;
        let Some(params) = &config.parameters_in_cache_key_and_forwarded_to_origin else {
            return Ok(());
        };
        let listed = |list: &Option<List<String, Name>>| list.as_ref().map(|l| l.to_vec()).unwrap_or_default();
        let headers = &params.headers_config;
        if headers.header_behavior == CachePolicyHeaderBehavior::Whitelist {
            self.key_headers = header_names(&listed(&headers.headers))?;
        }
        let query = &params.query_strings_config;
        let names = listed(&query.query_strings);
        self.key_query = match query.query_string_behavior {
            CachePolicyQueryStringBehavior::None => QueryRule::None,
            CachePolicyQueryStringBehavior::All => QueryRule::All,
            CachePolicyQueryStringBehavior::Whitelist => QueryRule::Only(names),
            CachePolicyQueryStringBehavior::AllExcept => QueryRule::AllExcept(names),
        };
        self.origin_query = self.key_query.clone();
        Ok(())
    }
}

/// What CloudFront assumes when a configuration leaves a TTL out.
const DEFAULT_TTL: Ttl = Ttl { min: 0, default: 86_400, max: 31_536_000 };

/// The origin the behaviour targets: `Ok(Err(why))` when the edge cannot reach it.
fn origin_target(origin: &Origin, api_domain: &str) -> Result<Result<OriginTarget, String>, ApiError> {
    let domain = origin.domain_name.trim().to_string();
    let path = origin.origin_path.as_deref().unwrap_or_default().trim().to_string();
    if !(path.is_empty() || path.starts_with('/') && !path.ends_with('/')) {
        return Err(ApiError::bad_request(
            "InvalidRelativePath",
            "The origin path must start with a slash and must not end with one.",
        ));
    }
    let mut custom_headers = Vec::new();
    for header in origin.custom_headers.as_deref().unwrap_or_default() {
        let (name, value) = (header.header_name.trim(), header.header_value.trim());
        let parsed = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value));
        let (Ok(name), Ok(value)) = parsed else {
            return Err(ApiError::bad_request(
                "InvalidArgument",
                format!("The origin custom header {name} is not valid."),
            ));
        };
        custom_headers.push((name, value));
    }
    // The lab has one origin it can reach: the API, over HTTPS (API Gateway has no plain
    // HTTP endpoint). Anything else is an origin the edge cannot connect to: a 502, as in AWS.
    let protocol = origin.custom_origin_config.as_ref().map(|c| c.origin_protocol_policy);
    if domain != api_domain {
        return Ok(Err(format!("CloudFront cannot connect to the origin {domain}.")));
    }
    if protocol == Some(OriginProtocolPolicy::HttpOnly) {
        return Ok(Err(format!("CloudFront cannot connect to {domain} over HTTP: API Gateway answers on HTTPS only.")));
    }
    Ok(Ok(OriginTarget { domain, path, custom_headers }))
}

fn methods(methods: &[config::Method]) -> Vec<Method> {
    use config::Method as M;
    let method = |m: &M| match m {
        M::Delete => Method::DELETE,
        M::Get => Method::GET,
        M::Head => Method::HEAD,
        M::Options => Method::OPTIONS,
        M::Patch => Method::PATCH,
        M::Post => Method::POST,
        M::Put => Method::PUT,
    };
    methods.iter().map(method).collect()
}

fn header_names(names: &[String]) -> Result<Vec<HeaderName>, ApiError> {
    names
        .iter()
        .map(|n| {
            HeaderName::from_bytes(n.trim().as_bytes())
                .map_err(|_| ApiError::bad_request("InvalidArgument", format!("{n} is not a valid header name.")))
        })
        .collect()
}

/// The TTLs a behaviour or cache policy states, with CloudFront's defaults for those it leaves out.
fn ttl(min: Option<i64>, default: Option<i64>, max: Option<i64>) -> Result<Ttl, ApiError> {
    let number = |name: &str, value: Option<i64>, fallback: i64| match value {
        None => Ok(fallback),
        Some(n) if n >= 0 => Ok(n),
        Some(_) => Err(ApiError::bad_request("InvalidArgument", format!("{name} must be a non-negative number"))),
    };
    let ttl = Ttl {
        min: number("MinTTL", min, DEFAULT_TTL.min)?,
        default: number("DefaultTTL", default, DEFAULT_TTL.default)?,
        max: number("MaxTTL", max, DEFAULT_TTL.max)?,
    };
    if !(ttl.min <= ttl.default && ttl.default <= ttl.max) {
        return Err(ApiError::bad_request(
            "InvalidTTLOrder",
            "The TTL order specified is not valid: MinTTL <= DefaultTTL <= MaxTTL.",
        ));
    }
    Ok(ttl)
}
