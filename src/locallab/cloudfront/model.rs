//! CloudFront's model: the distribution with its configuration document (as last written,
//! and as the edge still serves it until the update deploys), invalidations and cache policies.
//! Slow AWS transitions are computed from timestamps when asked about, never by timers.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::settings::EdgeSettings;
use super::xml::NAMESPACE;
use crate::locallab::clock::Millis;
use crate::locallab::ids;
use crate::locallab::store::{Change, Record, Rows, StoreError, Table, Tables};
use crate::locallab::waf::WebAcls;
use crate::locallab::wire::xml_escape;

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

/// A `DistributionConfig` document and, once asked for, the edge settings derived from it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConfigDocument {
    pub xml: String,
    #[serde(skip)]
    settings: OnceLock<Arc<EdgeSettings>>,
}

impl ConfigDocument {
    pub fn new(xml: String) -> Self {
        ConfigDocument { xml, settings: OnceLock::new() }
    }

    /// The edge settings of this document, derived once. `policy` finds a cache policy's
    /// configuration by id; cache policies can be created but never changed, so what a
    /// document's settings depend on cannot go stale.
    pub fn settings(&self, api_domain: &str, policy: impl Fn(&str) -> Option<String>) -> Arc<EdgeSettings> {
        self.settings
            .get_or_init(|| {
                // Documents are validated before they are stored; a failure here means the
                // store was edited by hand, and the edge says so instead of guessing.
                let settings = EdgeSettings::derive(&self.xml, api_domain, policy)
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
    pub fn status(&self, now: Millis) -> &'static str {
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
        let config = ConfigDocument::new(seed_config(api_domain, waf));
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

    pub fn add_invalidation(&mut self, invalidation: Invalidation) {
        self.completions.insert((invalidation.completes, invalidation.key()));
        self.invalidations.insert(invalidation);
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
    pub fn policy_config(&self, id: &str) -> Option<String> {
        super::managed::managed_policy(id)
            .map(|(_, config)| config)
            .or_else(|| self.cache_policies.get(id).map(|p| p.config_xml.clone()))
    }
}

pub fn new_etag() -> String {
    format!("E{}", ids::upper_alnum(13))
}

/// The distribution as the lab's section 3 left it (LAB.md).
pub fn seed_config(api_domain: &str, waf: &WebAcls) -> String {
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
