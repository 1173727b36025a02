//! A cache policy's configuration: its TTLs and what is in the cache key (and so forwarded).

use serde::{Deserialize, Serialize};

use super::NAMESPACE;
use super::list::{List, Name};
use crate::locallab::machinery::xml::{self, Expect, WireError};

/// What CreateCachePolicy takes and GetCachePolicyConfig gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub name: String,
    #[serde(rename = "DefaultTTL", skip_serializing_if = "Option::is_none")]
    pub default_ttl: Option<i64>,
    #[serde(rename = "MaxTTL", skip_serializing_if = "Option::is_none")]
    pub max_ttl: Option<i64>,
    #[serde(rename = "MinTTL")]
    pub min_ttl: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters_in_cache_key_and_forwarded_to_origin: Option<ParametersInCacheKeyAndForwardedToOrigin>,
}

const CACHE_POLICY_CONFIG: Expect = Expect { root: "CachePolicyConfig", namespace: NAMESPACE, counted_lists: true };

impl CachePolicyConfig {
    /// Reads a CreateCachePolicy body.
    pub fn from_xml(xml: &str) -> Result<Self, WireError> {
        xml::from_document(xml, &CACHE_POLICY_CONFIG)
    }

    /// The GetCachePolicyConfig document.
    pub fn to_xml(&self) -> String {
        xml::to_document(CACHE_POLICY_CONFIG.root, NAMESPACE, self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ParametersInCacheKeyAndForwardedToOrigin {
    pub enable_accept_encoding_gzip: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_accept_encoding_brotli: Option<bool>,
    pub headers_config: CachePolicyHeadersConfig,
    pub cookies_config: CachePolicyCookiesConfig,
    pub query_strings_config: CachePolicyQueryStringsConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyHeadersConfig {
    pub header_behavior: CachePolicyHeaderBehavior,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<List<String, Name>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CachePolicyHeaderBehavior {
    None,
    Whitelist,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyCookiesConfig {
    pub cookie_behavior: CachePolicyCookieBehavior,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookies: Option<List<String, Name>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CachePolicyCookieBehavior {
    All,
    AllExcept,
    None,
    Whitelist,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachePolicyQueryStringsConfig {
    pub query_string_behavior: CachePolicyQueryStringBehavior,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_strings: Option<List<String, Name>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CachePolicyQueryStringBehavior {
    All,
    AllExcept,
    None,
    Whitelist,
}
