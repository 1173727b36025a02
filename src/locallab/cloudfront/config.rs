//! CloudFront's request documents as typed data (API 2020-05-31): `DistributionConfig` with
//! every member the SDK's model has, `CachePolicyConfig` and `InvalidationBatch`.
//!
//! The model is lossless: a document read with `from_xml` and written with `to_xml` is the
//! document the client sent (same elements, same order, same values), so what a learner's
//! tool writes with UpdateDistribution comes back unchanged from GetDistributionConfig.
//! Member names and order follow the SDK's serializers; members AWS requires are not
//! `Option`s, so a document without them is refused as `MalformedXML`.

mod behavior;
mod cache_policy;
mod list;
mod origin;
#[cfg(test)]
pub(super) mod tests;

use serde::{Deserialize, Serialize};

pub use self::behavior::{
    AllowedMethods, CacheBehavior, CookiePreference, DefaultCacheBehavior, EventType, ForwardedValues,
    FunctionAssociation, GrpcConfig, ItemSelection, LambdaFunctionAssociation, Method, TrustedKeyGroups,
    TrustedSigners, ViewerProtocolPolicy,
};
pub use self::cache_policy::{
    CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig, CachePolicyHeaderBehavior,
    CachePolicyHeadersConfig, CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig,
    ParametersInCacheKeyAndForwardedToOrigin,
};
pub use self::list::{
    AwsAccountNumber, Cname, EnabledList, ItemName, KeyGroup, KeyPairId, List, Location, MethodItem, Name, Path,
    SslProtocolItem, StatusCode,
};
pub use self::origin::{
    CustomOriginConfig, IpAddressType, Origin, OriginCustomHeader, OriginGroup, OriginGroupFailoverCriteria,
    OriginGroupMember, OriginGroupSelectionCriteria, OriginMtlsConfig, OriginProtocolPolicy, OriginShield,
    S3OriginConfig, SslProtocol, VpcOriginConfig,
};
use super::NAMESPACE;
use crate::locallab::machinery::xml::{self, Expect, WireError};

/// A distribution's configuration: what UpdateDistribution takes and GetDistributionConfig gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DistributionConfig {
    pub caller_reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliases: Option<List<String, Cname>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_root_object: Option<String>,
    pub origins: List<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_groups: Option<List<OriginGroup>>,
    pub default_cache_behavior: DefaultCacheBehavior,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_behaviors: Option<List<CacheBehavior>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_error_responses: Option<List<CustomErrorResponse>>,
    pub comment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_class: Option<PriceClass>,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub viewer_certificate: Option<ViewerCertificate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<Restrictions>,
    #[serde(rename = "WebACLId", skip_serializing_if = "Option::is_none")]
    pub web_acl_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_version: Option<HttpVersion>,
    #[serde(rename = "IsIPV6Enabled", skip_serializing_if = "Option::is_none")]
    pub is_ipv6_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuous_deployment_policy_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staging: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anycast_ip_list_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_config: Option<TenantConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_mode: Option<ConnectionMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub viewer_mtls_config: Option<ViewerMtlsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_function_association: Option<ConnectionFunctionAssociation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_tag_config: Option<CacheTagConfig>,
}

const DISTRIBUTION_CONFIG: Expect = Expect { root: "DistributionConfig", namespace: NAMESPACE, counted_lists: true };

impl DistributionConfig {
    /// Reads an UpdateDistribution body: `MalformedXML` or `InconsistentQuantities` when it is
    /// not a valid document.
    pub fn from_xml(xml: &str) -> Result<Self, WireError> {
        xml::from_document(xml, &DISTRIBUTION_CONFIG)
    }

    /// The GetDistributionConfig document.
    pub fn to_xml(&self) -> String {
        xml::to_document(DISTRIBUTION_CONFIG.root, NAMESPACE, self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomErrorResponse {
    pub error_code: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_page_path: Option<String>,
    /// A string in the model (an HTTP status, or empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    #[serde(rename = "ErrorCachingMinTTL", skip_serializing_if = "Option::is_none")]
    pub error_caching_min_ttl: Option<i64>,
}

impl ItemName for CustomErrorResponse {
    const NAME: &'static str = "CustomErrorResponse";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LoggingConfig {
    pub enabled: bool,
    pub include_cookies: bool,
    pub bucket: String,
    pub prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriceClass {
    #[serde(rename = "PriceClass_100")]
    PriceClass100,
    #[serde(rename = "PriceClass_200")]
    PriceClass200,
    #[serde(rename = "PriceClass_All")]
    PriceClassAll,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ViewerCertificate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_front_default_certificate: Option<bool>,
    #[serde(rename = "IAMCertificateId", skip_serializing_if = "Option::is_none")]
    pub iam_certificate_id: Option<String>,
    #[serde(rename = "ACMCertificateArn", skip_serializing_if = "Option::is_none")]
    pub acm_certificate_arn: Option<String>,
    #[serde(rename = "SSLSupportMethod", skip_serializing_if = "Option::is_none")]
    pub ssl_support_method: Option<SslSupportMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_protocol_version: Option<MinimumProtocolVersion>,
    /// Deprecated by AWS, still in the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_source: Option<CertificateSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslSupportMethod {
    SniOnly,
    StaticIp,
    Vip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MinimumProtocolVersion {
    #[serde(rename = "SSLv3")]
    SslV3,
    #[serde(rename = "TLSv1")]
    TlsV1,
    #[serde(rename = "TLSv1_2016")]
    TlsV1_2016,
    #[serde(rename = "TLSv1.1_2016")]
    TlsV1_1_2016,
    #[serde(rename = "TLSv1.2_2018")]
    TlsV1_2_2018,
    #[serde(rename = "TLSv1.2_2019")]
    TlsV1_2_2019,
    #[serde(rename = "TLSv1.2_2021")]
    TlsV1_2_2021,
    #[serde(rename = "TLSv1.2_2025")]
    TlsV1_2_2025,
    #[serde(rename = "TLSv1.3_2025")]
    TlsV1_3_2025,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertificateSource {
    Acm,
    Cloudfront,
    Iam,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Restrictions {
    pub geo_restriction: GeoRestriction,
}

/// `<GeoRestriction><RestrictionType/><Quantity/><Items><Location/>…</Items></GeoRestriction>`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "GeoRestrictionWire")]
pub struct GeoRestriction {
    pub restriction_type: GeoRestrictionType,
    /// ISO 3166-1 alpha-2 country codes.
    pub locations: List<String, Location>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct GeoRestrictionWire {
    restriction_type: GeoRestrictionType,
    #[allow(dead_code)]
    quantity: usize,
    items: Option<list::Items<String, Location>>,
}

impl From<GeoRestrictionWire> for GeoRestriction {
    fn from(wire: GeoRestrictionWire) -> Self {
        GeoRestriction { restriction_type: wire.restriction_type, locations: list::Items::into_list(wire.items) }
    }
}

impl Serialize for GeoRestriction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("GeoRestriction", 3)?;
        s.serialize_field("RestrictionType", &self.restriction_type)?;
        self.locations.serialize_members(&mut s)?;
        s.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeoRestrictionType {
    Blacklist,
    None,
    Whitelist,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpVersion {
    #[serde(rename = "http1.1")]
    Http1_1,
    #[serde(rename = "http2")]
    Http2,
    #[serde(rename = "http2and3")]
    Http2And3,
    #[serde(rename = "http3")]
    Http3,
}

/// The parameters of a multi-tenant distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TenantConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_definitions: Option<ParameterDefinitions>,
}

/// A plain (uncounted) list: `<ParameterDefinitions><member/>…</ParameterDefinitions>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterDefinitions {
    #[serde(rename = "member", default)]
    pub members: Vec<ParameterDefinition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParameterDefinition {
    pub name: String,
    pub definition: ParameterDefinitionSchema,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParameterDefinitionSchema {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_schema: Option<StringSchemaConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StringSchemaConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionMode {
    Direct,
    TenantOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ViewerMtlsConfig {
    pub mode: ViewerMtlsMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_store_config: Option<TrustStoreConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewerMtlsMode {
    Optional,
    Passthrough,
    Required,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TrustStoreConfig {
    pub trust_store_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertise_trust_store_ca_names: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_certificate_expiry: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ConnectionFunctionAssociation {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CacheTagConfig {
    pub header_name: String,
}

/// What CreateInvalidation takes: the paths to purge, and the caller's idempotency token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InvalidationBatch {
    pub paths: List<String, Path>,
    pub caller_reference: String,
}

const INVALIDATION_BATCH: Expect = Expect { root: "InvalidationBatch", namespace: NAMESPACE, counted_lists: true };

impl InvalidationBatch {
    /// Reads a CreateInvalidation body.
    pub fn from_xml(xml: &str) -> Result<Self, WireError> {
        xml::from_document(xml, &INVALIDATION_BATCH)
    }

    pub fn to_xml(&self) -> String {
        xml::to_document(INVALIDATION_BATCH.root, NAMESPACE, self)
    }
}

/// The distribution as the lab's section 3 left it (LAB.md): one custom origin, the API's
/// stage `Dev` over HTTPS with WAF's origin-verify header, query strings forwarded, no
/// headers, a day's default TTL, and the global web ACL.
pub fn seed(
    api_domain: &str,
    origin_verify_header: &str,
    origin_verify_value: &str,
    web_acl_arn: &str,
) -> DistributionConfig {
    let origin_id = "wa-lab-rds-api-origin";
    let get_head = || List::new(vec![Method::Head, Method::Get]);
    DistributionConfig {
        caller_reference: "walab-cdn-waf-cognito-distribution".into(),
        aliases: Some(List::empty()),
        default_root_object: Some(String::new()),
        origins: List::new(vec![Origin {
            id: origin_id.into(),
            domain_name: api_domain.into(),
            origin_path: Some("/Dev".into()),
            custom_headers: Some(List::new(vec![OriginCustomHeader {
                header_name: origin_verify_header.into(),
                header_value: origin_verify_value.into(),
            }])),
            s3_origin_config: None,
            custom_origin_config: Some(CustomOriginConfig {
                http_port: 80,
                https_port: 443,
                origin_protocol_policy: OriginProtocolPolicy::HttpsOnly,
                origin_ssl_protocols: Some(List::new(vec![SslProtocol::TlsV1_2])),
                origin_read_timeout: Some(30),
                origin_keepalive_timeout: Some(5),
                ip_address_type: None,
                origin_mtls_config: None,
            }),
            vpc_origin_config: None,
            connection_attempts: Some(3),
            connection_timeout: Some(10),
            response_completion_timeout: None,
            origin_shield: Some(OriginShield { enabled: false, origin_shield_region: None }),
            origin_access_control_id: Some(String::new()),
        }]),
        origin_groups: Some(List::empty()),
        default_cache_behavior: DefaultCacheBehavior {
            target_origin_id: origin_id.into(),
            trusted_signers: Some(TrustedSigners { enabled: false, items: List::empty() }),
            trusted_key_groups: Some(TrustedKeyGroups { enabled: false, items: List::empty() }),
            viewer_protocol_policy: ViewerProtocolPolicy::AllowAll,
            allowed_methods: Some(AllowedMethods { methods: get_head(), cached_methods: Some(get_head()) }),
            smooth_streaming: Some(false),
            compress: Some(false),
            lambda_function_associations: Some(List::empty()),
            function_associations: Some(List::empty()),
            field_level_encryption_id: Some(String::new()),
            realtime_log_config_arn: None,
            cache_policy_id: None,
            origin_request_policy_id: None,
            response_headers_policy_id: None,
            grpc_config: None,
            forwarded_values: Some(ForwardedValues {
                query_string: true,
                cookies: CookiePreference { forward: ItemSelection::None, whitelisted_names: None },
                headers: Some(List::empty()),
                query_string_cache_keys: Some(List::empty()),
            }),
            min_ttl: Some(0),
            default_ttl: Some(86_400),
            max_ttl: Some(31_536_000),
        },
        cache_behaviors: Some(List::empty()),
        custom_error_responses: Some(List::empty()),
        comment: "CloudFront in front of wa-lab-rds-api".into(),
        logging: Some(LoggingConfig {
            enabled: false,
            include_cookies: false,
            bucket: String::new(),
            prefix: String::new(),
        }),
        price_class: Some(PriceClass::PriceClassAll),
        enabled: true,
        viewer_certificate: Some(ViewerCertificate {
            cloud_front_default_certificate: Some(true),
            iam_certificate_id: None,
            acm_certificate_arn: None,
            ssl_support_method: Some(SslSupportMethod::Vip),
            minimum_protocol_version: Some(MinimumProtocolVersion::TlsV1),
            certificate: None,
            certificate_source: Some(CertificateSource::Cloudfront),
        }),
        restrictions: Some(Restrictions {
            geo_restriction: GeoRestriction { restriction_type: GeoRestrictionType::None, locations: List::empty() },
        }),
        web_acl_id: Some(web_acl_arn.into()),
        http_version: Some(HttpVersion::Http2),
        is_ipv6_enabled: Some(true),
        continuous_deployment_policy_id: None,
        staging: Some(false),
        anycast_ip_list_id: None,
        tenant_config: None,
        connection_mode: None,
        viewer_mtls_config: None,
        connection_function_association: None,
        cache_tag_config: None,
    }
}
