//! CloudFront's model: the distribution with its typed configuration (as last written, and as
//! the edge still serves it until the update deploys), invalidations and cache policies.
//! Slow AWS transitions are computed from timestamps when asked about, never by timers.
//!
//! The store keeps configurations as typed JSON. Stores written before that kept them as the
//! XML document the SDK sent (`{"xml": "<DistributionConfig …"}`, a cache policy's
//! `config_xml`); those are read with the same XML model, and written back typed at their next
//! change.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::config::{self, CachePolicyConfig, DistributionConfig};
use super::documents::InvalidationStatus;
use super::settings::EdgeSettings;
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{Change, Record, Rows, StoreError, Table, Tables};
use crate::locallab::waf::WebAcls;

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

impl Record for Distribution {
    const KIND: &'static str = "cloudfront.distribution";
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl Distribution {
    pub fn is_deployed(&self, now: Millis, deploy_ms: Millis) -> bool {
        now >= self.last_modified.saturating_add(deploy_ms)
    }

    /// The document the edge serves now: the previous one until an update deploys.
    pub fn live_config(&self, now: Millis, deploy_ms: Millis) -> &ConfigDocument {
        if self.is_deployed(now, deploy_ms) { &self.config } else { &self.deployed }
    }
}

/// A distribution's configuration and, once asked for, the edge settings derived from it.
#[derive(Debug)]
pub struct ConfigDocument {
    pub config: DistributionConfig,
    settings: OnceLock<Arc<EdgeSettings>>,
}

impl ConfigDocument {
    pub fn new(config: DistributionConfig) -> Self {
        ConfigDocument { config, settings: OnceLock::new() }
    }

    /// The edge settings of this configuration, derived once. `policy` finds a cache policy's
    /// configuration by id; cache policies can be created but never changed, so what a
    /// configuration's settings depend on cannot go stale.
    pub fn settings(&self, api_domain: &str, policy: impl Fn(&str) -> Option<CachePolicyConfig>) -> Arc<EdgeSettings> {
        self.settings
            .get_or_init(|| {
                // Configurations are validated before they are stored; a failure here means the
                // store was edited by hand, and the edge says so instead of guessing.
                let settings = EdgeSettings::derive(&self.config, api_domain, policy)
                    .unwrap_or_else(|e| EdgeSettings::broken(e.message));
                Arc::new(settings)
            })
            .clone()
    }
}

impl Clone for ConfigDocument {
    fn clone(&self) -> Self {
        ConfigDocument::new(self.config.clone())
    }
}

impl Serialize for ConfigDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.config.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ConfigDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let config = match value.get("xml").and_then(serde_json::Value::as_str) {
            Some(xml) => DistributionConfig::from_xml(xml).map_err(serde::de::Error::custom)?,
            None => serde_json::from_value(value).map_err(serde::de::Error::custom)?,
        };
        Ok(ConfigDocument::new(config))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invalidation {
    pub distribution_id: String,
    pub id: String,
    pub caller_reference: String,
    pub paths: Vec<String>,
    pub created: Millis,
    pub completes: Millis,
}

impl Record for Invalidation {
    const KIND: &'static str = "cloudfront.invalidation";
    fn key(&self) -> String {
        format!("{}/{}", self.distribution_id, self.id)
    }
}

impl Invalidation {
    pub fn status(&self, now: Millis) -> InvalidationStatus {
        if now >= self.completes { InvalidationStatus::Completed } else { InvalidationStatus::InProgress }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachePolicy {
    pub id: String,
    pub name: String,
    pub last_modified: Millis,
    pub etag: String,
    #[serde(alias = "config_xml", deserialize_with = "cache_policy_config")]
    pub config: CachePolicyConfig,
}

/// A cache policy's configuration: typed, or the XML document stores kept before.
fn cache_policy_config<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<CachePolicyConfig, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(xml) => CachePolicyConfig::from_xml(&xml).map_err(serde::de::Error::custom),
        value => serde_json::from_value(value).map_err(serde::de::Error::custom),
    }
}

impl Record for CachePolicy {
    const KIND: &'static str = "cloudfront.cache-policy";
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// One account's CloudFront.
pub struct CloudFrontState {
    pub distributions: Table<Distribution>,
    pub invalidations: Table<Invalidation>,
    /// Cache policies the learner created (the managed ones are built in).
    pub cache_policies: Table<CachePolicy>,
    /// When each invalidation completes, soonest first, so the edge can tell cheaply whether a
    /// purge is due.
    completions: BTreeSet<(Millis, String)>,
}

impl Tables for CloudFrontState {
    const KINDS: &'static [&'static str] = &[Distribution::KIND, Invalidation::KIND, CachePolicy::KIND];
    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        let invalidations: Table<Invalidation> = rows.table()?;
        let completions = invalidations.values().map(|i| (i.completes, i.key())).collect();
        Ok(CloudFrontState { distributions: rows.table()?, invalidations, cache_policies: rows.table()?, completions })
    }
    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.distributions.take_changes(out);
        self.invalidations.take_changes(out);
        self.cache_policies.take_changes(out);
    }
}

impl CloudFrontState {
    /// The distribution section 3 created, in front of the API at `api_domain`.
    pub fn seed(now: Millis, account: &str, api_domain: &str, waf: &WebAcls) -> Self {
        let id = format!("E{}", ids::upper_alnum(13));
        let config = ConfigDocument::new(config::seed(
            api_domain,
            &waf.header_name,
            waf.header_value.expose(),
            &waf.global_acl_arn,
        ));
        let created = now - 3_600_000;
        let mut distributions = Table::default();
        distributions.insert(Distribution {
            domain: format!("d{}.cloudfront.net", ids::lower_alnum(13)),
            arn: format!("arn:aws:cloudfront::{account}:distribution/{id}"),
            id,
            created,
            last_modified: created,
            etag: new_etag(),
            deployed: config.clone(),
            config,
        });
        CloudFrontState {
            distributions,
            invalidations: Table::default(),
            cache_policies: Table::default(),
            completions: BTreeSet::new(),
        }
    }

    /// The lab's distribution (the first; an account has one).
    pub fn lab_distribution(&self) -> Option<&Distribution> {
        self.distributions.values().next()
    }

    /// Removes a distribution with its invalidations (its stack was deleted).
    pub fn remove_distribution(&mut self, id: &str) {
        let invalidations: Vec<String> = self.invalidations.with_prefix(&format!("{id}/")).map(|i| i.key()).collect();
        for key in &invalidations {
            self.invalidations.remove(key);
        }
        self.completions.retain(|(_, key)| !invalidations.contains(key));
        self.distributions.remove(id);
    }

    pub fn add_invalidation(&mut self, invalidation: Invalidation) {
        self.completions.insert((invalidation.completes, invalidation.key()));
        self.invalidations.insert(invalidation);
    }

    /// Forgets the distribution's oldest completed invalidations beyond the newest `count`, or
    /// beyond `bytes` of paths. Invalidations in progress are all kept: the edge has yet to
    /// apply them.
    pub fn prune_history(&mut self, distribution: &str, now: Millis, count: usize, bytes: usize) {
        let mut kept = (0, 0);
        let mut gone = Vec::new();
        for invalidation in self.invalidations_of(distribution) {
            if now < invalidation.completes {
                continue;
            }
            let size: usize = invalidation.paths.iter().map(String::len).sum();
            if kept.0 < count && kept.1 + size <= bytes {
                kept = (kept.0 + 1, kept.1 + size);
            } else {
                gone.push(invalidation.key());
            }
        }
        for key in &gone {
            self.invalidations.remove(key);
        }
        self.completions.retain(|(_, key)| !gone.contains(key));
    }

    /// The invalidations that complete in `(after, until]`, as (paths, completion time).
    pub fn completing_between(&self, after: Millis, until: Millis) -> Vec<(Vec<String>, Millis)> {
        if until <= after {
            return Vec::new();
        }
        self.completions
            .range((after + 1, String::new())..)
            .take_while(|(at, _)| *at <= until)
            .filter_map(|(at, key)| self.invalidations.get(key).map(|i| (i.paths.clone(), *at)))
            .collect()
    }

    /// The distribution's invalidations, newest first.
    pub fn invalidations_of(&self, distribution: &str) -> Vec<&Invalidation> {
        let prefix = format!("{distribution}/");
        let mut found: Vec<&Invalidation> = self.invalidations.with_prefix(&prefix).collect();
        found.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
        found
    }

    /// A cache policy's configuration, managed or created here.
    pub fn policy_config(&self, id: &str) -> Option<CachePolicyConfig> {
        super::managed::managed_policy(id).or_else(|| self.cache_policies.get(id).map(|p| p.config.clone()))
    }
}

pub fn new_etag() -> String {
    format!("E{}", ids::upper_alnum(13))
}
