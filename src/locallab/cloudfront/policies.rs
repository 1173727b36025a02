//! Cache policies: the managed ones the lab models, and those a learner creates.

use aws_smithy_types::DateTime;
use axum::response::Response;
use http::StatusCode;

use super::config::{CachePolicyConfig, List};
use super::documents::{self, CachePolicyType};
use super::managed::{MANAGED_POLICIES, managed_policy};
use super::model::{CachePolicy, CloudFrontState, new_etag};
use super::settings::{EdgeSettings, MAX_FORWARDED_HEADERS};
use super::xml::{answer, body_text, max_items, with_etag};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::{ApiError, AwsRequest, set_header};

/// The ETag the managed policies answer with: they never change.
const MANAGED_ETAG: &str = "E23ZP02F085DFQ";
/// "Cache policies per AWS account: 20" (CloudFront's general quotas on policies,
/// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
const CACHE_POLICIES_PER_ACCOUNT: usize = 20;

fn document(id: &str, last_modified: Millis, config: CachePolicyConfig) -> documents::CachePolicy {
    documents::CachePolicy {
        id: id.to_string(),
        last_modified_time: DateTime::from_millis(last_modified),
        cache_policy_config: config,
    }
}

fn no_such_cache_policy(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NoSuchCachePolicy", format!("The cache policy {id} does not exist."))
}

pub fn create_cache_policy(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let config = CachePolicyConfig::from_xml(body_text(req)?)?;
    let name = config.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::bad_request("InvalidArgument", "The cache policy needs a Name."));
    }
    // Reuse the edge's reading of a policy, so what is accepted is what the edge can apply.
    let mut probe = EdgeSettings::broken(String::new());
    probe.apply_cache_policy(&config)?;
    if probe.key_headers.len() > MAX_FORWARDED_HEADERS {
        return Err(ApiError::bad_request(
            "TooManyHeadersInCachePolicy",
            format!("The cache policy contains too many headers (at most {MAX_FORWARDED_HEADERS})."),
        ));
    }

    let now = ctx.now_ms();
    let policy = cf.write(|s| {
        let policies = &mut s.cache_policies;
        let managed_name = MANAGED_POLICIES.iter().filter_map(|id| managed_policy(id)).any(|m| m.name == name);
        if managed_name || policies.values().any(|p| p.name == name) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "CachePolicyAlreadyExists",
                format!("A cache policy named {name} already exists."),
            ));
        }
        if policies.len() >= CACHE_POLICIES_PER_ACCOUNT {
            return Err(ApiError::bad_request(
                "TooManyCachePolicies",
                format!("You have reached the maximum number of cache policies for this AWS account ({CACHE_POLICIES_PER_ACCOUNT})."),
            ));
        }
        let policy = CachePolicy { id: ids::uuid(), name, last_modified: now, etag: new_etag(), config };
        policies.insert(policy.clone());
        Ok(policy)
    })?;
    let created = document(&policy.id, policy.last_modified, policy.config);
    let mut response = answer(StatusCode::CREATED, created.to_xml());
    set_header(
        &mut response,
        "Location",
        &format!("https://cloudfront.amazonaws.com/{}/cache-policy/{}", super::API_VERSION, policy.id),
    );
    Ok(with_etag(response, &policy.etag))
}

pub fn get_cache_policy(cf: &Slice<CloudFrontState>, id: &str, config_only: bool) -> Result<Response, ApiError> {
    let found = match managed_policy(id) {
        Some(config) => Some((config, managed_since(cf), MANAGED_ETAG.to_string())),
        None => cf.read(|s| s.cache_policies.get(id).map(|p| (p.config.clone(), p.last_modified, p.etag.clone()))),
    };
    let (config, last_modified, etag) = found.ok_or_else(|| no_such_cache_policy(id))?;
    let xml = if config_only { config.to_xml() } else { document(id, last_modified, config).to_xml() };
    Ok(with_etag(answer(StatusCode::OK, xml), &etag))
}

pub fn list_cache_policies(cf: &Slice<CloudFrontState>, req: &AwsRequest) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let kind = req.query_param("Type").unwrap_or_default();
    if !matches!(kind, "" | "managed" | "custom") {
        return Err(ApiError::bad_request("InvalidArgument", format!("Type must be managed or custom, not {kind}")));
    }
    let created = managed_since(cf);
    let summary = |kind, cache_policy| documents::CachePolicySummary { kind, cache_policy };
    let mut summaries = Vec::new();
    if kind != "custom" {
        for id in MANAGED_POLICIES {
            if let Some(config) = managed_policy(id) {
                summaries.push(summary(CachePolicyType::Managed, document(id, created, config)));
            }
        }
    }
    if kind != "managed" {
        cf.read(|s| {
            for p in s.cache_policies.values() {
                summaries.push(summary(CachePolicyType::Custom, document(&p.id, p.last_modified, p.config.clone())));
            }
        });
    }
    summaries.truncate(max);
    let list = documents::CachePolicyList {
        next_marker: None,
        max_items: i32::try_from(max).unwrap_or(i32::MAX),
        summaries: List::new(summaries),
    };
    Ok(answer(StatusCode::OK, list.to_xml()))
}

/// When the managed policies "changed last": as old as the account's distribution.
fn managed_since(cf: &Slice<CloudFrontState>) -> Millis {
    cf.read(|s| s.lab_distribution().map(|d| d.created).unwrap_or_default())
}
