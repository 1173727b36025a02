//! Cache policies: the managed ones the lab models, and those a learner creates.

use axum::response::Response;
use http::StatusCode;

use super::managed::{MANAGED_POLICIES, managed_policy};
use super::model::{CachePolicy, CloudFrontState, new_etag};
use super::settings::{EdgeSettings, MAX_FORWARDED_HEADERS};
use super::xml::NAMESPACE;
use super::xml::{
    body_text, check_quantities, malformed, max_items, parse, required, root_slice, text, with_etag, xml_document,
};
use crate::locallab::clock::{Millis, iso8601};
use crate::locallab::context::AccountContext;
use crate::locallab::ids;
use crate::locallab::store::Slice;
use crate::locallab::wire::{ApiError, AwsRequest, set_header, xml_escape};

fn cache_policy_xml(id: &str, last_modified: Millis, config: &str) -> String {
    format!(
        "<CachePolicy xmlns=\"{NAMESPACE}\"><Id>{}</Id><LastModifiedTime>{}</LastModifiedTime>{config}</CachePolicy>",
        xml_escape(id),
        iso8601(last_modified)
    )
}

pub fn create_cache_policy(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
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

    let now = ctx.now_ms();
    let policy = cf.write(|s| {
        let policies = &mut s.cache_policies;
        let managed_name = MANAGED_POLICIES.iter().filter_map(|id| managed_policy(id)).any(|(n, _)| n == name);
        if managed_name || policies.values().any(|p| p.name == name) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "CachePolicyAlreadyExists",
                format!("A cache policy named {name} already exists."),
            ));
        }
        let policy = CachePolicy { id: ids::uuid(), name, last_modified: now, etag: new_etag(), config_xml: stored };
        policies.insert(policy.clone());
        Ok(policy)
    })?;
    let mut response =
        xml_document(StatusCode::CREATED, &cache_policy_xml(&policy.id, policy.last_modified, &policy.config_xml));
    set_header(
        &mut response,
        "Location",
        &format!("https://cloudfront.amazonaws.com/{}/cache-policy/{}", super::API_VERSION, policy.id),
    );
    Ok(with_etag(response, &policy.etag))
}

pub fn get_cache_policy(cf: &Slice<CloudFrontState>, id: &str, config_only: bool) -> Result<Response, ApiError> {
    let found = match managed_policy(id) {
        Some((_, config)) => Some((config, managed_since(cf), "E23ZP02F085DFQ".to_string())),
        None => cf.read(|s| s.cache_policies.get(id).map(|p| (p.config_xml.clone(), p.last_modified, p.etag.clone()))),
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

pub fn list_cache_policies(cf: &Slice<CloudFrontState>, req: &AwsRequest) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let kind = req.query_param("Type").unwrap_or_default();
    if !matches!(kind, "" | "managed" | "custom") {
        return Err(ApiError::bad_request("InvalidArgument", format!("Type must be managed or custom, not {kind}")));
    }
    let created = managed_since(cf);
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
        cf.read(|s| {
            for p in s.cache_policies.values() {
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

/// When the managed policies "changed last": as old as the account's distribution.
fn managed_since(cf: &Slice<CloudFrontState>) -> Millis {
    cf.read(|s| s.lab_distribution().map(|d| d.created).unwrap_or_default())
}
