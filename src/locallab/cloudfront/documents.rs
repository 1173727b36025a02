//! The documents CloudFront's control plane answers with, as typed data written by the same
//! serializer as the configurations they embed: distributions, invalidations, cache
//! policies, their lists, and errors. Each `to_xml` gives the whole body (declaration,
//! root element, CloudFront's namespace).

use aws_smithy_types::DateTime;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::NAMESPACE;
use super::config::{
    CacheBehavior, CachePolicyConfig, Cname, ConnectionFunctionAssociation, ConnectionMode, CustomErrorResponse,
    DefaultCacheBehavior, DistributionConfig, EnabledList, GeoRestriction, GeoRestrictionType, HttpVersion,
    InvalidationBatch, ItemName, KeyPairId, List, Origin, OriginGroup, PriceClass, Restrictions, ViewerCertificate,
    ViewerMtlsConfig,
};
use crate::locallab::machinery::xml::{self, ErrorResponse};

/// GetDistribution, UpdateDistribution: the distribution with its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Distribution {
    pub id: String,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub status: DistributionStatus,
    #[serde(serialize_with = "xml::date_time")]
    pub last_modified_time: DateTime,
    pub in_progress_invalidation_batches: i32,
    pub domain_name: String,
    pub active_trusted_signers: ActiveTrustedSigners,
    pub active_trusted_key_groups: ActiveTrustedKeyGroups,
    pub distribution_config: DistributionConfig,
    #[serde(rename = "AliasICPRecordals", skip_serializing_if = "Option::is_none")]
    pub alias_icp_recordals: Option<AliasIcpRecordals>,
}

impl Distribution {
    pub fn to_xml(&self) -> String {
        xml::to_document("Distribution", NAMESPACE, self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DistributionStatus {
    Deployed,
    InProgress,
}

/// The signers whose key pairs can sign URLs: `<Enabled/><Quantity/><Items><Signer/>…`.
pub type ActiveTrustedSigners = EnabledList<Signer>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Signer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_account_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_pair_ids: Option<List<String, KeyPairId>>,
}

impl ItemName for Signer {
    const NAME: &'static str = "Signer";
}

/// The key groups whose keys can sign URLs: `<Enabled/><Quantity/><Items><KeyGroup/>…`.
pub type ActiveTrustedKeyGroups = EnabledList<KeyGroupKeyPairIds>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyGroupKeyPairIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_pair_ids: Option<List<String, KeyPairId>>,
}

impl ItemName for KeyGroupKeyPairIds {
    const NAME: &'static str = "KeyGroup";
}

/// China's ICP recordal of each alias (an uncounted list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasIcpRecordals {
    #[serde(rename = "AliasICPRecordal")]
    pub recordals: Vec<AliasIcpRecordal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasIcpRecordal {
    #[serde(rename = "CNAME", skip_serializing_if = "Option::is_none")]
    pub cname: Option<String>,
    #[serde(rename = "ICPRecordalStatus", skip_serializing_if = "Option::is_none")]
    pub icp_recordal_status: Option<IcpRecordalStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum IcpRecordalStatus {
    Approved,
    Pending,
    Suspended,
}

/// One page of a paged list answer (`ListDistributions`, `ListInvalidations`): where it
/// starts, where the next starts, and the summaries, under the list's own root element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub marker: String,
    pub next_marker: Option<String>,
    pub max_items: i32,
    pub is_truncated: bool,
    pub summaries: List<T>,
}

/// The root element of a page of these summaries.
pub trait Paged: ItemName {
    const LIST: &'static str;
}

impl<T: Serialize + Paged> Serialize for Page<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct(T::LIST, 6)?;
        s.serialize_field("Marker", &self.marker)?;
        match &self.next_marker {
            Some(next) => s.serialize_field("NextMarker", next)?,
            None => s.skip_field("NextMarker")?,
        }
        s.serialize_field("MaxItems", &self.max_items)?;
        s.serialize_field("IsTruncated", &self.is_truncated)?;
        self.summaries.serialize_members(&mut s)?;
        s.end()
    }
}

impl<T: Serialize + Paged> Page<T> {
    pub fn to_xml(&self) -> String {
        xml::to_document(T::LIST, NAMESPACE, self)
    }
}

/// ListDistributions: one page of summaries.
pub type DistributionList = Page<DistributionSummary>;

/// A distribution in a list: its state and the main members of its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionSummary {
    pub id: String,
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "ETag", skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    pub status: DistributionStatus,
    #[serde(serialize_with = "xml::date_time")]
    pub last_modified_time: DateTime,
    pub domain_name: String,
    pub aliases: List<String, Cname>,
    pub origins: List<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_groups: Option<List<OriginGroup>>,
    pub default_cache_behavior: DefaultCacheBehavior,
    pub cache_behaviors: List<CacheBehavior>,
    pub custom_error_responses: List<CustomErrorResponse>,
    pub comment: String,
    pub price_class: PriceClass,
    pub enabled: bool,
    pub viewer_certificate: ViewerCertificate,
    pub restrictions: Restrictions,
    #[serde(rename = "WebACLId")]
    pub web_acl_id: String,
    pub http_version: HttpVersion,
    #[serde(rename = "IsIPV6Enabled")]
    pub is_ipv6_enabled: bool,
    #[serde(rename = "AliasICPRecordals", skip_serializing_if = "Option::is_none")]
    pub alias_icp_recordals: Option<AliasIcpRecordals>,
    pub staging: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_mode: Option<ConnectionMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anycast_ip_list_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub viewer_mtls_config: Option<ViewerMtlsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_function_association: Option<ConnectionFunctionAssociation>,
}

/// What a distribution is, apart from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionState {
    pub id: String,
    pub arn: String,
    pub e_tag: String,
    pub status: DistributionStatus,
    pub last_modified_time: DateTime,
    pub domain_name: String,
}

impl DistributionSummary {
    /// The summary of a distribution, its members taken from `config`; what the
    /// configuration leaves out reads as CloudFront's defaults.
    pub fn new(state: DistributionState, config: &DistributionConfig) -> Self {
        let c = config.clone();
        DistributionSummary {
            id: state.id,
            arn: state.arn,
            e_tag: Some(state.e_tag),
            status: state.status,
            last_modified_time: state.last_modified_time,
            domain_name: state.domain_name,
            aliases: c.aliases.unwrap_or_default(),
            origins: c.origins,
            origin_groups: c.origin_groups,
            default_cache_behavior: c.default_cache_behavior,
            cache_behaviors: c.cache_behaviors.unwrap_or_default(),
            custom_error_responses: c.custom_error_responses.unwrap_or_default(),
            comment: c.comment,
            price_class: c.price_class.unwrap_or(PriceClass::PriceClassAll),
            enabled: c.enabled,
            viewer_certificate: c.viewer_certificate.unwrap_or(ViewerCertificate {
                cloud_front_default_certificate: Some(true),
                iam_certificate_id: None,
                acm_certificate_arn: None,
                ssl_support_method: None,
                minimum_protocol_version: None,
                certificate: None,
                certificate_source: None,
            }),
            restrictions: c.restrictions.unwrap_or(Restrictions {
                geo_restriction: GeoRestriction {
                    restriction_type: GeoRestrictionType::None,
                    locations: List::empty(),
                },
            }),
            web_acl_id: c.web_acl_id.unwrap_or_default(),
            http_version: c.http_version.unwrap_or(HttpVersion::Http2),
            is_ipv6_enabled: c.is_ipv6_enabled.unwrap_or(false),
            alias_icp_recordals: None,
            staging: c.staging.unwrap_or(false),
            connection_mode: c.connection_mode,
            anycast_ip_list_id: c.anycast_ip_list_id,
            viewer_mtls_config: c.viewer_mtls_config,
            connection_function_association: c.connection_function_association,
        }
    }
}

impl ItemName for DistributionSummary {
    const NAME: &'static str = "DistributionSummary";
}

impl Paged for DistributionSummary {
    const LIST: &'static str = "DistributionList";
}

/// CreateInvalidation, GetInvalidation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Invalidation {
    pub id: String,
    pub status: InvalidationStatus,
    #[serde(serialize_with = "xml::date_time")]
    pub create_time: DateTime,
    pub invalidation_batch: InvalidationBatch,
}

impl Invalidation {
    pub fn to_xml(&self) -> String {
        xml::to_document("Invalidation", NAMESPACE, self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InvalidationStatus {
    InProgress,
    Completed,
}

/// ListInvalidations: one page, newest first.
pub type InvalidationList = Page<InvalidationSummary>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvalidationSummary {
    pub id: String,
    #[serde(serialize_with = "xml::date_time")]
    pub create_time: DateTime,
    pub status: InvalidationStatus,
}

impl ItemName for InvalidationSummary {
    const NAME: &'static str = "InvalidationSummary";
}

impl Paged for InvalidationSummary {
    const LIST: &'static str = "InvalidationList";
}

/// CreateCachePolicy, GetCachePolicy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CachePolicy {
    pub id: String,
    #[serde(serialize_with = "xml::date_time")]
    pub last_modified_time: DateTime,
    pub cache_policy_config: CachePolicyConfig,
}

impl CachePolicy {
    pub fn to_xml(&self) -> String {
        xml::to_document("CachePolicy", NAMESPACE, self)
    }
}

/// ListCachePolicies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePolicyList {
    pub next_marker: Option<String>,
    pub max_items: i32,
    pub summaries: List<CachePolicySummary>,
}

impl Serialize for CachePolicyList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("CachePolicyList", 4)?;
        match &self.next_marker {
            Some(next) => s.serialize_field("NextMarker", next)?,
            None => s.skip_field("NextMarker")?,
        }
        s.serialize_field("MaxItems", &self.max_items)?;
        self.summaries.serialize_members(&mut s)?;
        s.end()
    }
}

impl CachePolicyList {
    pub fn to_xml(&self) -> String {
        xml::to_document("CachePolicyList", NAMESPACE, self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CachePolicySummary {
    #[serde(rename = "Type")]
    pub kind: CachePolicyType,
    pub cache_policy: CachePolicy,
}

impl ItemName for CachePolicySummary {
    const NAME: &'static str = "CachePolicySummary";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CachePolicyType {
    Managed,
    Custom,
}

/// CloudFront's error answer: `Sender` for 4xx, `Receiver` for 5xx.
pub fn error_xml(status: http::StatusCode, code: &str, message: &str, request_id: &str) -> String {
    ErrorResponse::new(status.is_server_error(), code, message, request_id).to_xml(NAMESPACE)
}

#[cfg(test)]
mod tests;
