//! CloudFront's control plane (REST XML, API version 2020-05-31): the lab's distribution, its
//! configuration with ETags, invalidations and cache policies; and what the edge takes from it.
//!
//! Requests are read into the typed models of [`config`] and answers written from those of
//! [`documents`]; no handler writes or picks apart XML itself. The typed `DistributionConfig`
//! is the source of truth: the model is lossless, so whatever a learner's tool writes with
//! UpdateDistribution comes back unchanged from GetDistributionConfig, and the edge's settings
//! are derived from it once per configuration ([`settings`]).

pub mod config;
pub mod documents;
pub mod edge;
mod managed;
pub mod model;
mod ops;
mod policies;
pub mod settings;
mod xml;

use std::sync::Arc;

use axum::response::Response;
use http::{Method, StatusCode};

pub use model::CloudFrontState;
pub use settings::{AllViewerHeaders, EdgeSettings, OriginTarget, QueryRule, Ttl};
pub use xml::NAMESPACE;

use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::{ApiError, AwsRequest};

pub const API_VERSION: &str = "2020-05-31";

/// Answers one control-plane call; `api_domain` is the account's API host (the one origin the
/// edge can reach), which an updated configuration is checked against.
pub fn handle(ctx: &AccountContext, cf: &Slice<CloudFrontState>, api_domain: &str, req: &AwsRequest) -> Response {
    match route(ctx, cf, api_domain, req) {
        Ok(response) => response,
        Err(e) => e.into_xml(NAMESPACE),
    }
}

fn route(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    api_domain: &str,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let method = &req.method;
    match segments.as_slice() {
        [API_VERSION, "distribution"] if method == Method::GET => ops::list_distributions(ctx, cf, req),
        [API_VERSION, "distribution", id] if method == Method::GET => ops::get_distribution(ctx, cf, id),
        [API_VERSION, "distribution", id, "config"] if method == Method::GET => ops::get_distribution_config(cf, id),
        [API_VERSION, "distribution", id, "config"] if method == Method::PUT => {
            ops::update_distribution(ctx, cf, api_domain, id, req)
        }
        [API_VERSION, "distribution", id, "invalidation"] if method == Method::POST => {
            ops::create_invalidation(ctx, cf, id, req)
        }
        [API_VERSION, "distribution", id, "invalidation"] if method == Method::GET => {
            ops::list_invalidations(ctx, cf, id, req)
        }
        [API_VERSION, "distribution", id, "invalidation", inv] if method == Method::GET => {
            ops::get_invalidation(ctx, cf, id, inv)
        }
        [API_VERSION, "cache-policy"] if method == Method::POST => policies::create_cache_policy(ctx, cf, req),
        [API_VERSION, "cache-policy"] if method == Method::GET => policies::list_cache_policies(cf, req),
        [API_VERSION, "cache-policy", id] if method == Method::GET => policies::get_cache_policy(cf, id, false),
        [API_VERSION, "cache-policy", id, "config"] if method == Method::GET => {
            policies::get_cache_policy(cf, id, true)
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchResource",
            format!("The local lab's CloudFront has nothing at {} {}", req.method, req.path),
        )),
    }
}

/// The settings the edge applies now to the lab's distribution: the previous configuration
/// until an update has deployed.
pub fn edge_settings(ctx: &AccountContext, cf: &Slice<CloudFrontState>, api_domain: &str) -> Option<Arc<EdgeSettings>> {
    let now = ctx.now_ms();
    let deploy_ms = ctx.timing.deploy_ms();
    cf.read(|s| {
        let document = s.lab_distribution()?.live_config(now, deploy_ms);
        Some(document.settings(api_domain, |id| s.policy_config(id)))
    })
}

/// The invalidations that completed in `(after, until]`: (paths, completion time).
pub fn completed_invalidations(
    cf: &Slice<CloudFrontState>,
    after: Millis,
    until: Millis,
) -> Vec<(Vec<String>, Millis)> {
    cf.read(|s| s.completing_between(after, until))
}

/// True when the edge, as deployed now, passes `Authorization` to the origin.
pub fn forwards_authorization(ctx: &AccountContext, cf: &Slice<CloudFrontState>, api_domain: &str) -> bool {
    edge_settings(ctx, cf, api_domain).is_some_and(|s| {
        s.key_headers.iter().any(|h| h.as_str() == "authorization") || s.all_viewer_headers != AllViewerHeaders::No
    })
}

/// True when an invalidation covering `/` was created after the distribution last changed and
/// has completed: the 200s cached before the change are gone.
pub fn invalidated_since_change(ctx: &AccountContext, cf: &Slice<CloudFrontState>) -> bool {
    let now = ctx.now_ms();
    cf.read(|s| {
        let Some(d) = s.lab_distribution() else { return false };
        s.invalidations_of(&d.id).iter().any(|i| {
            i.created >= d.last_modified
                && i.completes <= now
                && i.paths.iter().any(|p| {
                    let p = p.split('?').next().unwrap_or_default();
                    p == "/" || p.strip_suffix('*').is_some_and(|prefix| "/".starts_with(prefix))
                })
        })
    })
}

/// The lab's distribution as its latest configuration has it (what GetDistribution says, not
/// what the edge serves while an update deploys): id, whether that configuration is deployed,
/// whether it passes `Authorization` to the origin, when it last changed, and its invalidations
/// (id, paths, created, whether completed).
pub struct LabDistribution {
    pub id: String,
    pub deployed: bool,
    pub forwards_authorization: bool,
    pub last_modified: Millis,
    pub invalidations: Vec<(String, Vec<String>, Millis, bool)>,
}

pub fn lab_distribution(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    api_domain: &str,
) -> Option<LabDistribution> {
    let now = ctx.now_ms();
    let deploy_ms = ctx.timing.deploy_ms();
    cf.read(|s| {
        let d = s.lab_distribution()?;
        let settings = d.config.settings(api_domain, |id| s.policy_config(id));
        let forwards_authorization = settings.key_headers.iter().any(|h| h.as_str() == "authorization")
            || settings.all_viewer_headers != AllViewerHeaders::No;
        let invalidations = s
            .invalidations_of(&d.id)
            .iter()
            .map(|i| (i.id.clone(), i.paths.clone(), i.created, i.completes <= now))
            .collect();
        Some(LabDistribution {
            id: d.id.clone(),
            deployed: d.is_deployed(now, deploy_ms),
            forwards_authorization,
            last_modified: d.last_modified,
            invalidations,
        })
    })
}

/// The lab's distribution id, for the stack's console link.
pub fn distribution_id(cf: &Slice<CloudFrontState>) -> Option<String> {
    cf.read(|s| s.lab_distribution().map(|d| d.id.clone()))
}

/// The distributions whose origins include `domain`.
pub fn distributions_with_origin(cf: &Slice<CloudFrontState>, domain: &str) -> Vec<String> {
    cf.read(|s| {
        s.distributions
            .values()
            .filter(|d| d.config.config.origins.iter().any(|o| o.domain_name.trim() == domain))
            .map(|d| d.id.clone())
            .collect()
    })
}

/// Deletes distribution `id` with its invalidations, as deleting its stack does.
pub fn delete_distribution(cf: &Slice<CloudFrontState>, id: &str) -> Result<(), ApiError> {
    cf.write(|s| {
        s.remove_distribution(id);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::config::DistributionConfig;
    use super::managed::managed_policy;
    use super::*;
    use crate::locallab::waf::WebAcls;
    use crate::names::cache_policy::{CACHING_DISABLED, CACHING_OPTIMIZED};

    const DOMAIN: &str = "abcdefghij.execute-api.us-east-1.amazonaws.com";

    fn seeded() -> CloudFrontState {
        let waf = WebAcls::seed(crate::names::REGION, "123456789012", "abc");
        CloudFrontState::seed(1_000_000_000, "123456789012", DOMAIN, &waf)
    }

    fn config(cf: &CloudFrontState) -> DistributionConfig {
        cf.lab_distribution().unwrap().config.config.clone()
    }

    #[test]
    fn the_seed_forwards_query_strings_and_no_headers() {
        let settings = EdgeSettings::derive(&config(&seeded()), DOMAIN, |_| None).unwrap();
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

    #[test]
    fn another_origin_is_unreachable() {
        let settings = EdgeSettings::derive(&config(&seeded()), "elsewhere.example", |_| None).unwrap();
        assert!(settings.origin.is_err());
    }

    #[test]
    fn managed_policies_read_as_the_edge_needs() {
        let mut s = EdgeSettings::broken(String::new());
        s.apply_cache_policy(&managed_policy(CACHING_DISABLED).unwrap()).unwrap();
        assert_eq!(s.ttl, Ttl { min: 0, default: 0, max: 0 });
        s.apply_cache_policy(&managed_policy(CACHING_OPTIMIZED).unwrap()).unwrap();
        assert_eq!(s.key_query, QueryRule::None);
        assert_eq!(s.ttl.min, 1);
    }

    /// A store from before the typed configuration kept the XML document; it reads as the
    /// same configuration, and is written back typed.
    #[test]
    fn a_stored_xml_configuration_reads_as_the_typed_one() {
        let cf = seeded();
        let d = cf.lab_distribution().unwrap();
        let typed = serde_json::to_value(d).unwrap();
        assert!(typed["config"]["DefaultCacheBehavior"].is_object(), "{typed}");
        let mut legacy = typed.clone();
        let xml = serde_json::json!({ "xml": d.config.config.to_xml() });
        legacy["config"] = xml.clone();
        legacy["deployed"] = xml;
        let read: model::Distribution = serde_json::from_value(legacy).unwrap();
        assert_eq!(read.config.config, d.config.config);
        assert_eq!(serde_json::to_value(&read).unwrap(), typed);

        let policy = managed_policy(CACHING_OPTIMIZED).unwrap();
        let legacy = serde_json::json!({
            "id": "p", "name": policy.name, "last_modified": 1, "etag": "E1", "config_xml": policy.to_xml()
        });
        let read: model::CachePolicy = serde_json::from_value(legacy).unwrap();
        assert_eq!(read.config, policy);
        let typed = serde_json::to_value(&read).unwrap();
        assert_eq!(serde_json::from_value::<model::CachePolicy>(typed).unwrap().config, policy);
    }
}
