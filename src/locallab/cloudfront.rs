//! CloudFront's control plane (REST XML, API version 2020-05-31): the lab's distribution,
//! its configuration with ETags, invalidations and cache policies, and what the edge takes
//! from the configuration (`EdgeSettings`).
//!
//! The `DistributionConfig` XML document, exactly as the SDK sent it, is the source of truth:
//! GetDistributionConfig hands it back verbatim, so whatever a learner's tool writes survives
//! the round trip; the edge's settings are derived from it once per document and cached.
//! Slow AWS transitions are computed from timestamps when asked about, never by timers.

use std::sync::{Arc, OnceLock};

use axum::response::Response;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use roxmltree::{Document, Node};
use serde::{Deserialize, Serialize};

use super::LocalLab;
use super::apigateway::ApiGatewayState;
use super::clock::{Millis, iso8601};
use super::edge::{CachedResponse, EdgeCache};
use super::waf::WafState;
use super::wire::{ApiError, AwsRequest, set_header, xml_escape, xml_response};
use super::{ids, players};

pub const API_VERSION: &str = "2020-05-31";
pub const NAMESPACE: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

use crate::names::cache_policy::{CACHING_DISABLED, CACHING_OPTIMIZED, CACHING_OPTIMIZED_UNCOMPRESSED};
use crate::names::origin_request_policy::{ALL_VIEWER, ALL_VIEWER_AND_CLOUDFRONT_HEADERS, ALL_VIEWER_EXCEPT_HOST};

/// CloudFront's limits that the lab's refusals are about.
const MAX_FORWARDED_HEADERS: usize = 10;
const MAX_INVALIDATION_PATHS: usize = 3000;
const DEFAULT_MAX_ITEMS: usize = 100;

#[derive(Debug, Serialize, Deserialize)]
pub struct CloudFrontState {
    pub distribution: Distribution,
    #[serde(default)]
    pub invalidations: Vec<Invalidation>,
    /// Cache policies the learner created (the managed ones are built in).
    #[serde(default)]
    pub cache_policies: Vec<CachePolicy>,
    /// The edge's cache. It persists with the lab, so a restart does not defuse the trap.
    #[serde(default)]
    pub cache: EdgeCache,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Distribution {
    pub id: String,
    pub domain: String,
    pub arn: String,
    pub created: Millis,
    pub last_modified: Millis,
    pub etag: String,
    /// The configuration as last written.
    pub config: ConfigDocument,
    /// The configuration the edge served before the last update; it keeps serving it until
    /// that update has deployed.
    pub deployed: ConfigDocument,
}

/// A `DistributionConfig` document and, once asked for, the edge settings derived from it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConfigDocument {
    pub xml: String,
    #[serde(skip)]
    settings: OnceLock<Arc<EdgeSettings>>,
}

impl ConfigDocument {
    fn new(xml: String) -> Self {
        ConfigDocument { xml, settings: OnceLock::new() }
    }

    fn settings(&self, api_domain: impl FnOnce() -> String, policies: &[CachePolicy]) -> Arc<EdgeSettings> {
        self.settings
            .get_or_init(|| {
                // Cache policies can be created but never changed, so what a document's
                // settings depend on cannot go stale.
                // Documents are validated before they are stored; a failure here means the
                // state file was edited by hand, and the edge says so instead of guessing.
                let settings = EdgeSettings::derive(&self.xml, &api_domain(), |id| policy_config(policies, id))
                    .unwrap_or_else(|e| EdgeSettings::broken(e.message));
                Arc::new(settings)
            })
            .clone()
    }
}

impl Clone for ConfigDocument {
    fn clone(&self) -> Self {
        ConfigDocument::new(self.xml.clone())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invalidation {
    pub id: String,
    pub caller_reference: String,
    pub paths: Vec<String>,
    pub created: Millis,
    pub completes: Millis,
    /// Whether its purge of the edge cache has been applied (lazily, once completed).
    pub purged: bool,
}

impl Invalidation {
    fn status(&self, now: Millis) -> &'static str {
        if now >= self.completes { "Completed" } else { "InProgress" }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachePolicy {
    pub id: String,
    pub name: String,
    pub last_modified: Millis,
    pub etag: String,
    /// The `CachePolicyConfig` document as the SDK sent it.
    pub config_xml: String,
}

impl CloudFrontState {
    pub fn seed(now: Millis, account: &str, api: &ApiGatewayState, waf: &WafState) -> Self {
        let id = format!("E{}", ids::upper_alnum(13));
        let api_domain = api.domain(crate::names::REGION);
        let config = ConfigDocument::new(seed_config(&api_domain, waf));
        let created = now - 3_600_000;
        let cache = EdgeCache::default();
        // The lab's trap: before section 5 the API answered `/?id=1` without asking who was
        // calling, and the edge kept that 200 for a day.
        let stored = now - 40 * 60_000;
        cache.store(CachedResponse {
            key: super::edge::cache_key("/", "id=1", std::iter::empty::<(&str, &[u8])>()),
            path: "/".to_string(),
            status: 200,
            headers: vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("x-amzn-requestid".to_string(), ids::uuid()),
            ],
            body: players::answer("1").to_string().into(),
            stored,
            expires: stored + 86_400_000,
        });
        CloudFrontState {
            distribution: Distribution {
                domain: format!("d{}.cloudfront.net", ids::lower_alnum(13)),
                arn: format!("arn:aws:cloudfront::{account}:distribution/{id}"),
                id,
                created,
                last_modified: created,
                etag: new_etag(),
                deployed: config.clone(),
                config,
            },
            invalidations: Vec::new(),
            cache_policies: Vec::new(),
            cache,
        }
    }

    /// The settings the edge uses now: the previous configuration until an update deploys.
    pub fn edge_settings(
        &self,
        now: Millis,
        deploy_ms: Millis,
        api_domain: impl FnOnce() -> String,
    ) -> Arc<EdgeSettings> {
        let d = &self.distribution;
        let document = if d.is_deployed(now, deploy_ms) { &d.config } else { &d.deployed };
        document.settings(api_domain, &self.cache_policies)
    }

    /// True when a completed invalidation still has to purge the cache.
    pub fn purge_due(&self, now: Millis) -> bool {
        self.invalidations.iter().any(|i| !i.purged && now >= i.completes)
    }

    /// Applies the purges of invalidations that have completed by `now`.
    pub fn settle(&mut self, now: Millis) {
        for invalidation in self.invalidations.iter_mut().filter(|i| !i.purged && now >= i.completes) {
            self.cache.purge(&invalidation.paths, invalidation.completes);
            invalidation.purged = true;
        }
    }
}

impl Distribution {
    fn is_deployed(&self, now: Millis, deploy_ms: Millis) -> bool {
        now >= self.last_modified.saturating_add(deploy_ms)
    }
}

fn new_etag() -> String {
    format!("E{}", ids::upper_alnum(13))
}

fn millis(d: std::time::Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// The distribution as the lab's section 3 left it (LAB.md).
fn seed_config(api_domain: &str, waf: &WafState) -> String {
    let origin_id = "wa-lab-rds-api-origin";
    format!(
        concat!(
            "<DistributionConfig xmlns=\"{ns}\">",
            "<CallerReference>walab-cdn-waf-cognito-distribution</CallerReference>",
            "<Aliases><Quantity>0</Quantity></Aliases>",
            "<DefaultRootObject></DefaultRootObject>",
            "<Origins><Quantity>1</Quantity><Items><Origin>",
            "<Id>{origin_id}</Id><DomainName>{domain}</DomainName><OriginPath>/Dev</OriginPath>",
            "<CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader>",
            "<HeaderName>{header}</HeaderName><HeaderValue>{secret}</HeaderValue>",
            "</OriginCustomHeader></Items></CustomHeaders>",
            "<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort>",
            "<OriginProtocolPolicy>https-only</OriginProtocolPolicy>",
            "<OriginSslProtocols><Quantity>1</Quantity><Items><SslProtocol>TLSv1.2</SslProtocol></Items></OriginSslProtocols>",
            "<OriginReadTimeout>30</OriginReadTimeout><OriginKeepaliveTimeout>5</OriginKeepaliveTimeout>",
            "</CustomOriginConfig>",
            "<ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout>",
            "<OriginShield><Enabled>false</Enabled></OriginShield>",
            "<OriginAccessControlId></OriginAccessControlId>",
            "</Origin></Items></Origins>",
            "<OriginGroups><Quantity>0</Quantity></OriginGroups>",
            "<DefaultCacheBehavior>",
            "<TargetOriginId>{origin_id}</TargetOriginId>",
            "<TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>",
            "<TrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></TrustedKeyGroups>",
            "<ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>",
            "<AllowedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items>",
            "<CachedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items></CachedMethods>",
            "</AllowedMethods>",
            "<SmoothStreaming>false</SmoothStreaming><Compress>false</Compress>",
            "<LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>",
            "<FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>",
            "<FieldLevelEncryptionId></FieldLevelEncryptionId>",
            "<ForwardedValues><QueryString>true</QueryString><Cookies><Forward>none</Forward></Cookies>",
            "<Headers><Quantity>0</Quantity></Headers><QueryStringCacheKeys><Quantity>0</Quantity></QueryStringCacheKeys>",
            "</ForwardedValues>",
            "<MinTTL>0</MinTTL><DefaultTTL>86400</DefaultTTL><MaxTTL>31536000</MaxTTL>",
            "</DefaultCacheBehavior>",
            "<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>",
            "<CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>",
            "<Comment>CloudFront in front of wa-lab-rds-api</Comment>",
            "<Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging>",
            "<PriceClass>PriceClass_All</PriceClass>",
            "<Enabled>true</Enabled>",
            "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate>",
            "<SSLSupportMethod>vip</SSLSupportMethod><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion>",
            "<CertificateSource>cloudfront</CertificateSource></ViewerCertificate>",
            "<Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity></GeoRestriction></Restrictions>",
            "<WebACLId>{acl}</WebACLId>",
            "<HttpVersion>http2</HttpVersion>",
            "<IsIPV6Enabled>true</IsIPV6Enabled>",
            "<Staging>false</Staging>",
            "</DistributionConfig>"
        ),
        ns = NAMESPACE,
        origin_id = origin_id,
        domain = xml_escape(api_domain),
        header = xml_escape(&waf.header_name),
        secret = xml_escape(waf.header_value.expose()),
        acl = xml_escape(&waf.global_acl_arn),
    )
}

// ---------------------------------------------------------------------------------------------
// What the edge takes from a configuration

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
    fn broken(why: String) -> Self {
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
    fn apply_cache_policy(&mut self, config: &str) -> Result<(), ApiError> {
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

// ---------------------------------------------------------------------------------------------
// Reading the documents

fn malformed(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "MalformedXML",
        format!("The XML you provided was not well-formed or did not validate against our published schema: {detail}"),
    )
}

fn parse(xml: &str) -> Result<Document<'_>, ApiError> {
    // roxmltree refuses DTDs by default, so entity expansion cannot be abused.
    Document::parse(xml).map_err(malformed)
}

fn body_text(req: &AwsRequest) -> Result<&str, ApiError> {
    if req.body.is_empty() {
        return Err(ApiError::bad_request(
            "MissingBody",
            "This operation requires a body. Ensure that the body is present.",
        ));
    }
    std::str::from_utf8(&req.body).map_err(|_| malformed("the body is not UTF-8"))
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn elements<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn required<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Result<Node<'a, 'i>, ApiError> {
    child(node, name).ok_or_else(|| malformed(format!("{} must contain {name}", node.tag_name().name())))
}

/// The text of a child element; an empty element reads as "".
fn text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name).map(|c| c.text().unwrap_or_default().trim())
}

fn parse_bool(node: Node) -> Result<bool, ApiError> {
    match node.text().unwrap_or_default().trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(malformed(format!("{} must be true or false, not {other}", node.tag_name().name()))),
    }
}

/// The item texts of `<list><Quantity/><Items><item/>…</Items></list>` under `node` (or of
/// `node`'s own `Items` when `list` is empty).
fn names(node: Node, list: &str, item: &str) -> Vec<String> {
    let list = if list.is_empty() { Some(node) } else { child(node, list) };
    list.and_then(|l| child(l, "Items"))
        .map(|items| elements(items, item).map(|n| n.text().unwrap_or_default().trim().to_string()).collect())
        .unwrap_or_default()
}

/// CloudFront's lists carry their own length; a mismatch is refused as AWS does.
fn check_quantities(root: Node) -> Result<(), ApiError> {
    for node in root.descendants().filter(|n| n.is_element()) {
        let Some(quantity) = child(node, "Quantity") else { continue };
        let stated: usize = quantity
            .text()
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|_| malformed(format!("{}/Quantity must be a number", node.tag_name().name())))?;
        let actual = child(node, "Items").map(|items| items.children().filter(|c| c.is_element()).count()).unwrap_or(0);
        if stated != actual {
            return Err(ApiError::bad_request(
                "InconsistentQuantities",
                format!(
                    "The value of Quantity and the size of Items don't match in {} ({stated} stated, {actual} given).",
                    node.tag_name().name()
                ),
            ));
        }
    }
    Ok(())
}

/// The root element of a document, as stored (without the XML declaration).
fn root_slice<'a>(xml: &'a str, doc: &Document) -> &'a str {
    xml.get(doc.root_element().range()).unwrap_or(xml)
}

fn policy_config(policies: &[CachePolicy], id: &str) -> Option<String> {
    managed_policy(id)
        .map(|(_, config)| config)
        .or_else(|| policies.iter().find(|p| p.id == id).map(|p| p.config_xml.clone()))
}

// ---------------------------------------------------------------------------------------------
// The operations

pub fn handle(lab: &LocalLab, req: &AwsRequest) -> Response {
    if !req.is_signed() {
        return ApiError::new(StatusCode::FORBIDDEN, "MissingAuthenticationToken", "Missing Authentication Token")
            .into_xml(NAMESPACE);
    }
    match route(lab, req) {
        Ok(response) => response,
        Err(e) => e.into_xml(NAMESPACE),
    }
}

fn route(lab: &LocalLab, req: &AwsRequest) -> Result<Response, ApiError> {
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let method = &req.method;
    match segments.as_slice() {
        [API_VERSION, "distribution"] if method == Method::GET => list_distributions(lab, req),
        [API_VERSION, "distribution", id] if method == Method::GET => get_distribution(lab, id),
        [API_VERSION, "distribution", id, "config"] if method == Method::GET => get_distribution_config(lab, id),
        [API_VERSION, "distribution", id, "config"] if method == Method::PUT => update_distribution(lab, id, req),
        [API_VERSION, "distribution", id, "invalidation"] if method == Method::POST => {
            create_invalidation(lab, id, req)
        }
        [API_VERSION, "distribution", id, "invalidation"] if method == Method::GET => list_invalidations(lab, id, req),
        [API_VERSION, "distribution", id, "invalidation", inv] if method == Method::GET => {
            get_invalidation(lab, id, inv)
        }
        [API_VERSION, "cache-policy"] if method == Method::POST => create_cache_policy(lab, req),
        [API_VERSION, "cache-policy"] if method == Method::GET => list_cache_policies(lab, req),
        [API_VERSION, "cache-policy", id] if method == Method::GET => get_cache_policy(lab, id, false),
        [API_VERSION, "cache-policy", id, "config"] if method == Method::GET => get_cache_policy(lab, id, true),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchResource",
            format!("The local lab's CloudFront has nothing at {} {}", req.method, req.path),
        )),
    }
}

fn no_such_distribution(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NoSuchDistribution",
        format!("The specified distribution does not exist: {id}"),
    )
}

fn with_distribution<R>(
    lab: &LocalLab,
    id: &str,
    f: impl FnOnce(&CloudFrontState, &Distribution) -> R,
) -> Result<R, ApiError> {
    lab.read(|s| {
        let cf = &s.cloudfront;
        if cf.distribution.id == id { Ok(f(cf, &cf.distribution)) } else { Err(no_such_distribution(id)) }
    })
}

fn xml_document(status: StatusCode, body: &str) -> Response {
    xml_response(status, format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"))
}

fn with_etag(mut response: Response, etag: &str) -> Response {
    set_header(&mut response, "ETag", etag);
    response
}

fn max_items(req: &AwsRequest) -> Result<usize, ApiError> {
    match req.query_param("MaxItems") {
        None | Some("") => Ok(DEFAULT_MAX_ITEMS),
        Some(v) => v
            .parse::<usize>()
            .map(|n| n.min(DEFAULT_MAX_ITEMS))
            .map_err(|_| ApiError::bad_request("InvalidArgument", format!("MaxItems must be a number, not {v}"))),
    }
}

/// `just_updated`: the answer to the update itself, always `InProgress` as in AWS, however
/// fast the lab deploys.
fn distribution_xml(cf: &CloudFrontState, now: Millis, deploy_ms: Millis, just_updated: bool) -> String {
    let d = &cf.distribution;
    let status = if !just_updated && d.is_deployed(now, deploy_ms) { "Deployed" } else { "InProgress" };
    let in_progress = cf.invalidations.iter().filter(|i| now < i.completes).count();
    format!(
        "<Distribution xmlns=\"{NAMESPACE}\"><Id>{}</Id><ARN>{}</ARN><Status>{status}</Status>\
         <LastModifiedTime>{}</LastModifiedTime><InProgressInvalidationBatches>{in_progress}</InProgressInvalidationBatches>\
         <DomainName>{}</DomainName>\
         <ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners>\
         <ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups>\
         {}</Distribution>",
        xml_escape(&d.id),
        xml_escape(&d.arn),
        iso8601(d.last_modified),
        xml_escape(&d.domain),
        d.config.xml
    )
}

fn list_distributions(lab: &LocalLab, req: &AwsRequest) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let now = lab.clock.now_ms();
    let deploy_ms = millis(lab.timing.deploy);
    let body = lab.read(|s| {
        let cf = &s.cloudfront;
        let d = &cf.distribution;
        let summary = if max == 0 {
            String::new()
        } else {
            let status = if d.is_deployed(now, deploy_ms) { "Deployed" } else { "InProgress" };
            // The summary repeats the configuration's own elements, sliced out verbatim.
            let mut parts = String::new();
            if let Ok(doc) = Document::parse(&d.config.xml) {
                let root = doc.root_element();
                for name in [
                    "Aliases",
                    "Origins",
                    "OriginGroups",
                    "DefaultCacheBehavior",
                    "CacheBehaviors",
                    "CustomErrorResponses",
                    "Comment",
                    "PriceClass",
                    "Enabled",
                    "ViewerCertificate",
                    "Restrictions",
                    "WebACLId",
                    "HttpVersion",
                    "IsIPV6Enabled",
                    "Staging",
                ] {
                    if let Some(node) = child(root, name) {
                        parts.push_str(d.config.xml.get(node.range()).unwrap_or_default());
                    }
                }
            }
            format!(
                "<DistributionSummary><Id>{}</Id><ARN>{}</ARN><ETag>{}</ETag><Status>{status}</Status>\
                 <LastModifiedTime>{}</LastModifiedTime><DomainName>{}</DomainName>{parts}</DistributionSummary>",
                xml_escape(&d.id),
                xml_escape(&d.arn),
                xml_escape(&d.etag),
                iso8601(d.last_modified),
                xml_escape(&d.domain),
            )
        };
        let quantity = usize::from(!summary.is_empty());
        format!(
            "<DistributionList xmlns=\"{NAMESPACE}\"><Marker>{}</Marker><MaxItems>{max}</MaxItems>\
             <IsTruncated>false</IsTruncated><Quantity>{quantity}</Quantity><Items>{summary}</Items></DistributionList>",
            xml_escape(req.query_param("Marker").unwrap_or_default())
        )
    });
    Ok(xml_document(StatusCode::OK, &body))
}

fn get_distribution(lab: &LocalLab, id: &str) -> Result<Response, ApiError> {
    let now = lab.clock.now_ms();
    let deploy_ms = millis(lab.timing.deploy);
    let (body, etag) =
        with_distribution(lab, id, |cf, d| (distribution_xml(cf, now, deploy_ms, false), d.etag.clone()))?;
    Ok(with_etag(xml_document(StatusCode::OK, &body), &etag))
}

fn get_distribution_config(lab: &LocalLab, id: &str) -> Result<Response, ApiError> {
    let (body, etag) = with_distribution(lab, id, |_, d| (d.config.xml.clone(), d.etag.clone()))?;
    Ok(with_etag(xml_document(StatusCode::OK, &body), &etag))
}

fn update_distribution(lab: &LocalLab, id: &str, req: &AwsRequest) -> Result<Response, ApiError> {
    let if_match = req.header("if-match").map(str::trim).filter(|v| !v.is_empty());
    // Check what needs no lock first: the body, and what the document says on its own.
    let xml = body_text(req)?;
    let doc = parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "DistributionConfig" {
        return Err(malformed(format!("expected DistributionConfig, found {}", root.tag_name().name())));
    }
    let caller_reference = required(root, "CallerReference")?.text().unwrap_or_default().trim().to_string();
    for name in ["Origins", "DefaultCacheBehavior", "Comment", "Enabled"] {
        required(root, name)?;
    }
    check_quantities(root)?;
    let stored = root_slice(xml, &doc).to_string();

    let now = lab.clock.now_ms();
    let deploy_ms = millis(lab.timing.deploy);
    let body_and_etag = lab.write(|s| {
        let api_domain = s.apigateway.domain(&s.region);
        let cf = &mut s.cloudfront;
        if cf.distribution.id != id {
            return Err(no_such_distribution(id));
        }
        let Some(if_match) = if_match else {
            return Err(ApiError::bad_request(
                "InvalidIfMatchVersion",
                "The If-Match version is missing or not valid for the resource.",
            ));
        };
        if if_match != cf.distribution.etag {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                "The precondition given in one or more of the request-header fields evaluated to false.",
            ));
        }
        let current_reference = Document::parse(&cf.distribution.config.xml)
            .ok()
            .and_then(|d| text(d.root_element(), "CallerReference").map(str::to_string))
            .unwrap_or_default();
        if caller_reference != current_reference {
            return Err(ApiError::bad_request(
                "IllegalUpdate",
                "The update contains modifications that are not allowed: CallerReference cannot change.",
            ));
        }
        // Derive now so a configuration the edge could not use is refused, as AWS validates it.
        let policies = &cf.cache_policies;
        EdgeSettings::derive(&stored, &api_domain, |pid| policy_config(policies, pid))?;

        let d = &mut cf.distribution;
        if d.is_deployed(now, deploy_ms) {
            d.deployed = d.config.clone();
        }
        d.config = ConfigDocument::new(stored);
        d.last_modified = now;
        d.etag = new_etag();
        Ok((distribution_xml(cf, now, deploy_ms, true), cf.distribution.etag.clone()))
    })?;
    let (body, etag) = body_and_etag;
    Ok(with_etag(xml_document(StatusCode::OK, &body), &etag))
}

fn invalidation_xml(inv: &Invalidation, status: &str) -> String {
    let paths: String = inv.paths.iter().map(|p| format!("<Path>{}</Path>", xml_escape(p))).collect();
    format!(
        "<Invalidation xmlns=\"{NAMESPACE}\"><Id>{}</Id><Status>{status}</Status><CreateTime>{}</CreateTime>\
         <InvalidationBatch><Paths><Quantity>{}</Quantity><Items>{paths}</Items></Paths>\
         <CallerReference>{}</CallerReference></InvalidationBatch></Invalidation>",
        xml_escape(&inv.id),
        iso8601(inv.created),
        inv.paths.len(),
        xml_escape(&inv.caller_reference)
    )
}

fn create_invalidation(lab: &LocalLab, id: &str, req: &AwsRequest) -> Result<Response, ApiError> {
    let xml = body_text(req)?;
    let doc = parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "InvalidationBatch" {
        return Err(malformed(format!("expected InvalidationBatch, found {}", root.tag_name().name())));
    }
    let caller_reference = text(root, "CallerReference").unwrap_or_default().to_string();
    if caller_reference.is_empty() {
        return Err(malformed("InvalidationBatch must contain CallerReference"));
    }
    check_quantities(root)?;
    let paths = names(required(root, "Paths")?, "", "Path");
    if paths.len() > MAX_INVALIDATION_PATHS {
        return Err(ApiError::bad_request(
            "BatchTooLarge",
            format!("Invalidation batch specified is too large (at most {MAX_INVALIDATION_PATHS} paths)."),
        ));
    }
    if paths.is_empty() || paths.iter().any(|p| !p.starts_with('/') || p.find('*').is_some_and(|i| i + 1 != p.len())) {
        return Err(ApiError::bad_request(
            "InvalidArgument",
            "Your request contains one or more invalid invalidation paths: each starts with / and may end with *.",
        ));
    }

    let now = lab.clock.now_ms();
    let completes = now.saturating_add(millis(lab.timing.invalidation));
    let outcome = lab.write(|s| {
        let cf = &mut s.cloudfront;
        if cf.distribution.id != id {
            return Err(no_such_distribution(id));
        }
        // The same batch sent twice (a retry) is the same invalidation, as in AWS.
        if let Some(existing) = cf.invalidations.iter().find(|i| i.caller_reference == caller_reference) {
            if existing.paths != paths {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "InvalidationBatchAlreadyExists",
                    "An invalidation with this CallerReference already exists with different paths.",
                ));
            }
            return Ok(existing.clone());
        }
        let invalidation = Invalidation {
            id: format!("I{}", ids::upper_alnum(25)),
            caller_reference,
            paths,
            created: now,
            completes,
            purged: false,
        };
        cf.invalidations.push(invalidation.clone());
        Ok(invalidation)
    })?;
    // A new invalidation always starts InProgress, however fast the lab completes it.
    let status = if outcome.created == now { "InProgress" } else { outcome.status(now) };
    let mut response = xml_document(StatusCode::CREATED, &invalidation_xml(&outcome, status));
    set_header(
        &mut response,
        "Location",
        &format!("https://cloudfront.amazonaws.com/{API_VERSION}/distribution/{id}/invalidation/{}", outcome.id),
    );
    Ok(response)
}

fn get_invalidation(lab: &LocalLab, id: &str, invalidation_id: &str) -> Result<Response, ApiError> {
    let now = lab.clock.now_ms();
    let found = with_distribution(lab, id, |cf, _| cf.invalidations.iter().find(|i| i.id == invalidation_id).cloned())?;
    let invalidation = found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchInvalidation",
            format!("The specified invalidation does not exist: {invalidation_id}"),
        )
    })?;
    Ok(xml_document(StatusCode::OK, &invalidation_xml(&invalidation, invalidation.status(now))))
}

fn list_invalidations(lab: &LocalLab, id: &str, req: &AwsRequest) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let marker = req.query_param("Marker").unwrap_or_default().to_string();
    let now = lab.clock.now_ms();
    let newest_first = with_distribution(lab, id, |cf, _| {
        let mut all = cf.invalidations.clone();
        all.reverse();
        all
    })?;
    // A marker is the id the next page starts at (what NextMarker said).
    let start = if marker.is_empty() { 0 } else { newest_first.iter().position(|i| i.id == marker).unwrap_or(0) };
    let page: Vec<&Invalidation> = newest_first.iter().skip(start).take(max).collect();
    let next = newest_first.get(start + page.len());
    let items: String = page
        .iter()
        .map(|i| {
            format!(
                "<InvalidationSummary><Id>{}</Id><CreateTime>{}</CreateTime><Status>{}</Status></InvalidationSummary>",
                xml_escape(&i.id),
                iso8601(i.created),
                i.status(now)
            )
        })
        .collect();
    let next_marker = next.map(|n| format!("<NextMarker>{}</NextMarker>", xml_escape(&n.id))).unwrap_or_default();
    let body = format!(
        "<InvalidationList xmlns=\"{NAMESPACE}\"><Marker>{}</Marker>{next_marker}<MaxItems>{max}</MaxItems>\
         <IsTruncated>{}</IsTruncated><Quantity>{}</Quantity><Items>{items}</Items></InvalidationList>",
        xml_escape(&marker),
        next.is_some(),
        page.len()
    );
    Ok(xml_document(StatusCode::OK, &body))
}

// ---------------------------------------------------------------------------------------------
// Cache policies

/// The managed policies the lab models: (name, CachePolicyConfig document).
fn managed_policy(id: &str) -> Option<(&'static str, String)> {
    let (name, comment, ttl, gzip) = match id {
        CACHING_OPTIMIZED => {
            ("Managed-CachingOptimized", "Default policy when CF compression is enabled", (1, 86_400, 31_536_000), true)
        }
        CACHING_OPTIMIZED_UNCOMPRESSED => (
            "Managed-CachingOptimizedForUncompressedObjects",
            "Default policy when compression is disabled",
            (1, 86_400, 31_536_000),
            false,
        ),
        CACHING_DISABLED => ("Managed-CachingDisabled", "Policy with caching disabled", (0, 0, 0), false),
        _ => return None,
    };
    let config = format!(
        "<CachePolicyConfig xmlns=\"{NAMESPACE}\"><Comment>{comment}</Comment><Name>{name}</Name>\
         <DefaultTTL>{}</DefaultTTL><MaxTTL>{}</MaxTTL><MinTTL>{}</MinTTL>\
         <ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>{gzip}</EnableAcceptEncodingGzip>\
         <EnableAcceptEncodingBrotli>{gzip}</EnableAcceptEncodingBrotli>\
         <HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig>\
         <CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig>\
         <QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>\
         </ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>",
        ttl.1, ttl.2, ttl.0
    );
    Some((name, config))
}

const MANAGED_POLICIES: [&str; 3] = [CACHING_OPTIMIZED, CACHING_OPTIMIZED_UNCOMPRESSED, CACHING_DISABLED];

fn cache_policy_xml(id: &str, last_modified: Millis, config: &str) -> String {
    format!(
        "<CachePolicy xmlns=\"{NAMESPACE}\"><Id>{}</Id><LastModifiedTime>{}</LastModifiedTime>{config}</CachePolicy>",
        xml_escape(id),
        iso8601(last_modified)
    )
}

fn create_cache_policy(lab: &LocalLab, req: &AwsRequest) -> Result<Response, ApiError> {
    let xml = body_text(req)?;
    let doc = parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "CachePolicyConfig" {
        return Err(malformed(format!("expected CachePolicyConfig, found {}", root.tag_name().name())));
    }
    let name = text(root, "Name").unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(ApiError::bad_request("InvalidArgument", "The cache policy needs a Name."));
    }
    required(root, "MinTTL")?;
    check_quantities(root)?;
    let stored = root_slice(xml, &doc).to_string();
    // Reuse the edge's reading of a policy, so what is accepted is what the edge can apply.
    let mut probe = EdgeSettings::broken(String::new());
    probe.apply_cache_policy(&stored)?;
    if probe.key_headers.len() > MAX_FORWARDED_HEADERS {
        return Err(ApiError::bad_request(
            "TooManyHeadersInCachePolicy",
            format!("The cache policy contains too many headers (at most {MAX_FORWARDED_HEADERS})."),
        ));
    }

    let now = lab.clock.now_ms();
    let policy = lab.write(|s| {
        let policies = &mut s.cloudfront.cache_policies;
        let managed_name = MANAGED_POLICIES.iter().filter_map(|id| managed_policy(id)).any(|(n, _)| n == name);
        if managed_name || policies.iter().any(|p| p.name == name) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "CachePolicyAlreadyExists",
                format!("A cache policy named {name} already exists."),
            ));
        }
        let policy = CachePolicy { id: ids::uuid(), name, last_modified: now, etag: new_etag(), config_xml: stored };
        policies.push(policy.clone());
        Ok(policy)
    })?;
    let mut response =
        xml_document(StatusCode::CREATED, &cache_policy_xml(&policy.id, policy.last_modified, &policy.config_xml));
    set_header(
        &mut response,
        "Location",
        &format!("https://cloudfront.amazonaws.com/{API_VERSION}/cache-policy/{}", policy.id),
    );
    Ok(with_etag(response, &policy.etag))
}

fn get_cache_policy(lab: &LocalLab, id: &str, config_only: bool) -> Result<Response, ApiError> {
    let found = match managed_policy(id) {
        Some((_, config)) => {
            Some((config, lab.read(|s| s.cloudfront.distribution.created), "E23ZP02F085DFQ".to_string()))
        }
        None => lab.read(|s| {
            s.cloudfront
                .cache_policies
                .iter()
                .find(|p| p.id == id)
                .map(|p| (p.config_xml.clone(), p.last_modified, p.etag.clone()))
        }),
    };
    let Some((config, last_modified, etag)) = found else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchCachePolicy",
            format!("The cache policy {id} does not exist."),
        ));
    };
    let body = if config_only { config } else { cache_policy_xml(id, last_modified, &config) };
    Ok(with_etag(xml_document(StatusCode::OK, &body), &etag))
}

fn list_cache_policies(lab: &LocalLab, req: &AwsRequest) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let kind = req.query_param("Type").unwrap_or_default();
    if !matches!(kind, "" | "managed" | "custom") {
        return Err(ApiError::bad_request("InvalidArgument", format!("Type must be managed or custom, not {kind}")));
    }
    let created = lab.read(|s| s.cloudfront.distribution.created);
    let mut summaries: Vec<String> = Vec::new();
    if kind != "custom" {
        for id in MANAGED_POLICIES {
            if let Some((_, config)) = managed_policy(id) {
                summaries.push(format!(
                    "<CachePolicySummary><Type>managed</Type>{}</CachePolicySummary>",
                    cache_policy_xml(id, created, &config)
                ));
            }
        }
    }
    if kind != "managed" {
        lab.read(|s| {
            for p in &s.cloudfront.cache_policies {
                summaries.push(format!(
                    "<CachePolicySummary><Type>custom</Type>{}</CachePolicySummary>",
                    cache_policy_xml(&p.id, p.last_modified, &p.config_xml)
                ));
            }
        });
    }
    summaries.truncate(max);
    let body = format!(
        "<CachePolicyList xmlns=\"{NAMESPACE}\"><MaxItems>{max}</MaxItems><Quantity>{}</Quantity><Items>{}</Items></CachePolicyList>",
        summaries.len(),
        summaries.concat()
    );
    Ok(xml_document(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> CloudFrontState {
        let api = ApiGatewayState::seed(
            0,
            crate::names::REGION,
            "123456789012",
            "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/y",
        );
        let waf = WafState::seed(crate::names::REGION, "123456789012", "abc");
        CloudFrontState::seed(1_000_000_000, "123456789012", &api, &waf)
    }

    #[test]
    fn the_seed_forwards_query_strings_and_no_headers() {
        let cf = seeded();
        let api = ApiGatewayState::seed(
            0,
            crate::names::REGION,
            "123456789012",
            "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/y",
        );
        let domain = api.domain(crate::names::REGION);
        let xml = cf.distribution.config.xml.replace(&domain_of(&cf), &domain);
        let settings = EdgeSettings::derive(&xml, &domain, |_| None).unwrap();
        assert!(settings.enabled);
        assert_eq!(settings.key_query, QueryRule::All);
        assert!(settings.key_headers.is_empty());
        assert_eq!(settings.all_viewer_headers, AllViewerHeaders::No);
        assert_eq!(settings.ttl, Ttl { min: 0, default: 86_400, max: 31_536_000 });
        let origin = settings.origin.unwrap();
        assert_eq!(origin.path, "/Dev");
        assert_eq!(origin.custom_headers.len(), 1);
        assert_eq!(origin.custom_headers[0].0.as_str(), "x-origin-verify");
    }

    fn domain_of(cf: &CloudFrontState) -> String {
        let doc = Document::parse(&cf.distribution.config.xml).unwrap();
        let origins = child(doc.root_element(), "Origins").unwrap();
        let origin = child(child(origins, "Items").unwrap(), "Origin").unwrap();
        text(origin, "DomainName").unwrap().to_string()
    }

    #[test]
    fn another_origin_is_unreachable() {
        let cf = seeded();
        let settings = EdgeSettings::derive(&cf.distribution.config.xml, "elsewhere.example", |_| None).unwrap();
        assert!(settings.origin.is_err());
    }

    #[test]
    fn quantities_must_match_their_items() {
        let doc =
            Document::parse("<A><Headers><Quantity>2</Quantity><Items><Name>x</Name></Items></Headers></A>").unwrap();
        assert_eq!(check_quantities(doc.root_element()).unwrap_err().code, "InconsistentQuantities");
        let doc = Document::parse("<A><Headers><Quantity>0</Quantity></Headers></A>").unwrap();
        assert!(check_quantities(doc.root_element()).is_ok());
    }

    #[test]
    fn managed_policies_read_as_the_edge_needs() {
        let mut s = EdgeSettings::broken(String::new());
        s.apply_cache_policy(&managed_policy(CACHING_DISABLED).unwrap().1).unwrap();
        assert_eq!(s.ttl, Ttl { min: 0, default: 0, max: 0 });
        s.apply_cache_policy(&managed_policy(CACHING_OPTIMIZED).unwrap().1).unwrap();
        assert_eq!(s.key_query, QueryRule::None);
        assert_eq!(s.ttl.min, 1);
    }
}
