//! A distribution's origins and origin groups.

use serde::{Deserialize, Serialize};

use super::list::{ItemName, List, SslProtocolItem, StatusCode};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Origin {
    pub id: String,
    pub domain_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_headers: Option<List<OriginCustomHeader>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_origin_config: Option<S3OriginConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_origin_config: Option<CustomOriginConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_origin_config: Option<VpcOriginConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_attempts: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_timeout: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_completion_timeout: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_shield: Option<OriginShield>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_access_control_id: Option<String>,
}

impl ItemName for Origin {
    const NAME: &'static str = "Origin";
}

/// A header the edge adds to every request it sends this origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginCustomHeader {
    pub header_name: String,
    pub header_value: String,
}

impl ItemName for OriginCustomHeader {
    const NAME: &'static str = "OriginCustomHeader";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct S3OriginConfig {
    pub origin_access_identity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_read_timeout: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomOriginConfig {
    #[serde(rename = "HTTPPort")]
    pub http_port: i32,
    #[serde(rename = "HTTPSPort")]
    pub https_port: i32,
    pub origin_protocol_policy: OriginProtocolPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_ssl_protocols: Option<List<SslProtocol, SslProtocolItem>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_read_timeout: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_keepalive_timeout: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<IpAddressType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_mtls_config: Option<OriginMtlsConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OriginProtocolPolicy {
    #[serde(rename = "http-only")]
    HttpOnly,
    #[serde(rename = "https-only")]
    HttpsOnly,
    #[serde(rename = "match-viewer")]
    MatchViewer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SslProtocol {
    #[serde(rename = "SSLv3")]
    SslV3,
    #[serde(rename = "TLSv1")]
    TlsV1,
    #[serde(rename = "TLSv1.1")]
    TlsV1_1,
    #[serde(rename = "TLSv1.2")]
    TlsV1_2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpAddressType {
    Dualstack,
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginMtlsConfig {
    pub client_certificate_arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VpcOriginConfig {
    pub vpc_origin_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_read_timeout: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_keepalive_timeout: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginShield {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_shield_region: Option<String>,
}

/// Origins the edge fails over between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginGroup {
    pub id: String,
    pub failover_criteria: OriginGroupFailoverCriteria,
    pub members: List<OriginGroupMember>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_criteria: Option<OriginGroupSelectionCriteria>,
}

impl ItemName for OriginGroup {
    const NAME: &'static str = "OriginGroup";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginGroupFailoverCriteria {
    pub status_codes: List<i32, StatusCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OriginGroupMember {
    pub origin_id: String,
}

impl ItemName for OriginGroupMember {
    const NAME: &'static str = "OriginGroupMember";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OriginGroupSelectionCriteria {
    #[serde(rename = "default")]
    Default,
    #[serde(rename = "media-quality-based")]
    MediaQualityBased,
}
