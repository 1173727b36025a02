//! CloudFront for the checks and the solves: which distribution is the lab's, whether its
//! default behaviour lets `Authorization` through to the API, its invalidations; and the
//! console's changes (the behaviour's headers or cache policy, an invalidation).

use aws_sdk_cloudfront::types::{
    DefaultCacheBehavior, Distribution, DistributionConfig, DistributionSummary, Headers, InvalidationSummary,
};
use aws_smithy_types::DateTime;

use super::{AwsProblem, Clients};

use crate::names::cache_policy::{CACHING_DISABLED, CACHING_OPTIMIZED};
use crate::names::origin_request_policy::ALL_VIEWER;

/// Finds the lab's distribution: the one serving the `CloudFrontEndpoint` host, else the one
/// named in the `CloudFrontConsole` link, else the only one whose origin is an API stage.
pub async fn find_distribution(
    aws: &Clients,
    endpoint: &str,
    console_link: Option<&str>,
) -> Result<Option<DistributionSummary>, AwsProblem> {
    Ok(pick_distribution(&list_distributions(aws).await?, endpoint, console_link))
}

/// Every distribution of the account, as ListDistributions summarises them (status, last
/// change and default behaviour included).
pub async fn list_distributions(aws: &Clients) -> Result<Vec<DistributionSummary>, AwsProblem> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let page = aws
            .cloudfront
            .list_distributions()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| aws.explain(&e, "cloudfront:ListDistributions"))?;
        let Some(list) = page.distribution_list() else { break };
        all.extend(list.items().iter().cloned());
        match list.next_marker() {
            Some(next) if list.is_truncated() => marker = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(all)
}

/// Which of `all` is the lab's distribution (see [`find_distribution`]).
pub fn pick_distribution(
    all: &[DistributionSummary],
    endpoint: &str,
    console_link: Option<&str>,
) -> Option<DistributionSummary> {
    let host = reqwest::Url::parse(endpoint).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if let Some(found) = all.iter().find(|d| Some(d.domain_name().to_ascii_lowercase()) == host) {
        return Some(found.clone());
    }
    if let Some(link) = console_link
        && let Some(found) = all.iter().find(|d| link.contains(d.id()))
    {
        return Some(found.clone());
    }
    let api_origins: Vec<&DistributionSummary> = all
        .iter()
        .filter(|d| {
            d.origins().is_some_and(|o| o.items().iter().any(|origin| origin.domain_name().contains(".execute-api.")))
        })
        .collect();
    if api_origins.len() == 1 { Some(api_origins[0].clone()) } else { None }
}

/// How `Authorization` fares on the way to the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarding {
    /// Legacy cache settings list the header (or `*`).
    LegacyHeader,
    /// A cache policy puts the header in the cache key, so it is forwarded.
    CachePolicy(String),
    /// The AllViewer origin request policy forwards every viewer header.
    AllViewer,
    /// Nothing forwards it; the API never sees the token.
    No { how: String },
}

impl Forwarding {
    pub fn forwards(&self) -> bool {
        !matches!(self, Forwarding::No { .. })
    }
}

fn is_authorization(header: &str) -> bool {
    header.eq_ignore_ascii_case("authorization") || header == "*"
}

/// Whether the default behaviour sends `Authorization` to the origin.
pub async fn authorization_forwarding(
    aws: &Clients,
    behavior: &DefaultCacheBehavior,
) -> Result<Forwarding, AwsProblem> {
    if behavior.origin_request_policy_id() == Some(ALL_VIEWER) {
        return Ok(Forwarding::AllViewer);
    }
    if let Some(policy_id) = behavior.cache_policy_id().filter(|id| !id.is_empty()) {
        if policy_id == CACHING_OPTIMIZED || policy_id == CACHING_DISABLED {
            return Ok(Forwarding::No {
                how: format!("the managed cache policy {policy_id} keeps no headers in the cache key"),
            });
        }
        let policy = cache_policy(aws, policy_id).await?;
        let headers = policy
            .as_ref()
            .and_then(|c| c.parameters_in_cache_key_and_forwarded_to_origin())
            .and_then(|p| p.headers_config())
            .and_then(|h| h.headers())
            .map(|h| h.items().to_vec())
            .unwrap_or_default();
        return Ok(if headers.iter().any(|h| is_authorization(h)) {
            Forwarding::CachePolicy(policy_id.to_string())
        } else {
            Forwarding::No { how: format!("cache policy {policy_id} does not include Authorization in its cache key") }
        });
    }
    // The lab's distribution uses the legacy cache settings, deprecated in the API but what
    // the console's "Legacy cache settings" still edit.
    #[allow(deprecated)]
    let headers: Vec<String> =
        behavior.forwarded_values().and_then(|f| f.headers()).map(|h| h.items().to_vec()).unwrap_or_default();
    Ok(if headers.iter().any(|h| is_authorization(h)) {
        Forwarding::LegacyHeader
    } else if headers.is_empty() {
        Forwarding::No { how: "the default behaviour forwards no headers".into() }
    } else {
        Forwarding::No { how: format!("the default behaviour forwards {} but not Authorization", headers.join(", ")) }
    })
}

/// A cache policy's configuration.
async fn cache_policy(
    aws: &Clients,
    id: &str,
) -> Result<Option<aws_sdk_cloudfront::types::CachePolicyConfig>, AwsProblem> {
    let out = aws
        .cloudfront
        .get_cache_policy()
        .id(id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:GetCachePolicy"))?;
    Ok(out.cache_policy().and_then(|p| p.cache_policy_config()).cloned())
}

/// The distribution `id` as it stands, deployment status included.
pub async fn distribution(aws: &Clients, id: &str) -> Result<Option<Distribution>, AwsProblem> {
    let out = aws
        .cloudfront
        .get_distribution()
        .id(id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:GetDistribution"))?;
    Ok(out.distribution().cloned())
}

/// An invalidation and what it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalidation {
    pub id: String,
    pub status: String,
    pub created: DateTime,
    pub paths: Vec<String>,
}

impl Invalidation {
    pub fn completed(&self) -> bool {
        self.status.eq_ignore_ascii_case("completed")
    }
}

/// The distribution's invalidations as ListInvalidations summarises them (id, status, when).
pub async fn list_invalidations(aws: &Clients, distribution_id: &str) -> Result<Vec<InvalidationSummary>, AwsProblem> {
    let list = aws
        .cloudfront
        .list_invalidations()
        .distribution_id(distribution_id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:ListInvalidations"))?;
    Ok(list.invalidation_list().map(|l| l.items().to_vec()).unwrap_or_default())
}

/// Every invalidation of `summaries`; those created since `since` are read in full (their
/// paths), at once, and the older ones kept as listed.
pub async fn invalidations(
    aws: &Clients,
    distribution_id: &str,
    summaries: Vec<InvalidationSummary>,
    since: &DateTime,
) -> Result<Vec<Invalidation>, AwsProblem> {
    let recent = summaries.iter().filter(|s| s.create_time().secs() >= since.secs());
    let read = futures::future::join_all(recent.map(|s| invalidation(aws, distribution_id, s.id()))).await;
    let mut found: Vec<Invalidation> = Vec::new();
    for invalidation in read {
        found.extend(invalidation?);
    }
    for summary in &summaries {
        if !found.iter().any(|i| i.id == summary.id()) {
            found.push(Invalidation {
                id: summary.id().to_string(),
                status: summary.status().to_string(),
                created: *summary.create_time(),
                paths: Vec::new(),
            });
        }
    }
    Ok(found)
}

/// One invalidation; `None` when CloudFront returns none.
pub async fn invalidation(aws: &Clients, distribution_id: &str, id: &str) -> Result<Option<Invalidation>, AwsProblem> {
    let out = aws
        .cloudfront
        .get_invalidation()
        .distribution_id(distribution_id)
        .id(id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:GetInvalidation"))?;
    Ok(out.invalidation().map(|inv| Invalidation {
        id: inv.id().to_string(),
        status: inv.status().to_string(),
        created: *inv.create_time(),
        paths: inv.invalidation_batch().and_then(|b| b.paths()).map(|p| p.items().to_vec()).unwrap_or_default(),
    }))
}

fn built(e: aws_smithy_types::error::operation::BuildError) -> AwsProblem {
    AwsProblem { kind: super::ProblemKind::Other, message: e.to_string(), hint: Some("try again".into()) }
}

/// Creates an invalidation of `/*`; returns its id.
pub async fn create_invalidation(aws: &Clients, distribution_id: &str) -> Result<String, AwsProblem> {
    use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
    let paths = Paths::builder().quantity(1).items("/*").build().map_err(built)?;
    // CloudFront treats a repeated caller reference as the same request: make each one unique.
    let reference = format!("walab-{}", uuid::Uuid::new_v4());
    let batch = InvalidationBatch::builder().paths(paths).caller_reference(reference).build().map_err(built)?;
    let out = aws
        .cloudfront
        .create_invalidation()
        .distribution_id(distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:CreateInvalidation"))?;
    Ok(out.invalidation().map(|i| i.id().to_string()).unwrap_or_default())
}

/// The distribution's configuration and the ETag an update must quote.
pub async fn distribution_config(aws: &Clients, id: &str) -> Result<Option<(DistributionConfig, String)>, AwsProblem> {
    let out = aws
        .cloudfront
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:GetDistributionConfig"))?;
    let etag = out.e_tag().unwrap_or_default().to_string();
    Ok(out.distribution_config().cloned().map(|config| (config, etag)))
}

pub async fn update_distribution(
    aws: &Clients,
    id: &str,
    etag: String,
    config: DistributionConfig,
) -> Result<(), AwsProblem> {
    aws.cloudfront
        .update_distribution()
        .id(id)
        .if_match(etag)
        .distribution_config(config)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:UpdateDistribution"))?;
    Ok(())
}

/// `headers` as CloudFront's list type.
pub fn header_list(headers: Vec<String>) -> Result<Headers, AwsProblem> {
    Headers::builder().quantity(headers.len() as i32).set_items(Some(headers)).build().map_err(built)
}

/// Creates a cache policy like `base` (or CloudFront's defaults when it cannot be read) whose
/// cache key also holds `Authorization`; returns its id. A new policy leaves any other
/// distribution using `base` as it was.
pub async fn cache_policy_with_authorization(aws: &Clients, base: &str) -> Result<String, AwsProblem> {
    use aws_sdk_cloudfront::types::{
        CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig, CachePolicyHeaderBehavior,
        CachePolicyHeadersConfig, CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig,
        ParametersInCacheKeyAndForwardedToOrigin,
    };
    let current = cache_policy(aws, base).await.ok().flatten();
    let current = current.as_ref();
    let params = current.and_then(|c| c.parameters_in_cache_key_and_forwarded_to_origin());
    let mut headers: Vec<String> = params
        .and_then(|p| p.headers_config())
        .and_then(|h| h.headers())
        .map(|h| h.items().to_vec())
        .unwrap_or_default();
    if !headers.iter().any(|h| h.eq_ignore_ascii_case("authorization")) {
        headers.push("Authorization".to_string());
    }
    let headers_config = CachePolicyHeadersConfig::builder()
        .header_behavior(CachePolicyHeaderBehavior::Whitelist)
        .headers(header_list(headers)?)
        .build()
        .map_err(built)?;
    // The lab's API needs `?id=`: a policy that keeps query strings out of the key (as
    // CachingOptimized does) would also keep them from the API.
    let query_strings = CachePolicyQueryStringsConfig::builder()
        .query_string_behavior(CachePolicyQueryStringBehavior::All)
        .build()
        .map_err(built)?;
    let cookies = match params.and_then(|p| p.cookies_config()) {
        Some(c) => c.clone(),
        None => CachePolicyCookiesConfig::builder()
            .cookie_behavior(CachePolicyCookieBehavior::None)
            .build()
            .map_err(built)?,
    };
    let parameters = ParametersInCacheKeyAndForwardedToOrigin::builder()
        .enable_accept_encoding_gzip(params.is_none_or(|p| p.enable_accept_encoding_gzip()))
        .enable_accept_encoding_brotli(params.and_then(|p| p.enable_accept_encoding_brotli()).unwrap_or(true))
        .headers_config(headers_config)
        .cookies_config(cookies)
        .query_strings_config(query_strings)
        .build()
        .map_err(built)?;
    let name = format!("walab-with-authorization-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let config = CachePolicyConfig::builder()
        .name(&name)
        .comment("Created by walab: the cache key includes Authorization (lab section 5.4)")
        .min_ttl(current.map(|c| c.min_ttl()).unwrap_or(0))
        .default_ttl(current.and_then(|c| c.default_ttl()).unwrap_or(86_400))
        // CloudFront refuses headers in the key of a policy whose TTLs are all 0 (caching
        // disabled, as CachingDisabled): a maximum of 1 s keeps it all but uncached.
        .max_ttl(current.and_then(|c| c.max_ttl()).unwrap_or(31_536_000).max(1))
        .parameters_in_cache_key_and_forwarded_to_origin(parameters)
        .build()
        .map_err(built)?;
    let created = aws
        .cloudfront
        .create_cache_policy()
        .cache_policy_config(config)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudfront:CreateCachePolicy"))?;
    created.cache_policy().map(|p| p.id().to_string()).ok_or_else(|| AwsProblem {
        kind: super::ProblemKind::Other,
        message: "CloudFront returned no cache policy".into(),
        hint: Some("try again".into()),
    })
}
