//! CloudFront lookups shared by the checks and the solves: which distribution is the lab's,
//! and whether its default behaviour lets `Authorization` through to the API.

use aws_sdk_cloudfront::types::{DefaultCacheBehavior, DistributionSummary};

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
    let host = reqwest::Url::parse(endpoint).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if let Some(found) = all.iter().find(|d| Some(d.domain_name().to_ascii_lowercase()) == host) {
        return Ok(Some(found.clone()));
    }
    if let Some(link) = console_link
        && let Some(found) = all.iter().find(|d| link.contains(d.id()))
    {
        return Ok(Some(found.clone()));
    }
    let api_origins: Vec<&DistributionSummary> = all
        .iter()
        .filter(|d| {
            d.origins().is_some_and(|o| o.items().iter().any(|origin| origin.domain_name().contains(".execute-api.")))
        })
        .collect();
    Ok(if api_origins.len() == 1 { Some(api_origins[0].clone()) } else { None })
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
        let policy = aws
            .cloudfront
            .get_cache_policy()
            .id(policy_id)
            .send()
            .await
            .map_err(|e| aws.explain(&e, "cloudfront:GetCachePolicy"))?;
        let headers = policy
            .cache_policy()
            .and_then(|p| p.cache_policy_config())
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
