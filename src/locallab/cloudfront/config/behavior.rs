//! Cache behaviours: which origin a request goes to, what is cached, and what is forwarded.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::list::{AwsAccountNumber, EnabledList, ItemName, Items, KeyGroup, List, MethodItem, Name};

/// The default and the path-pattern behaviours differ only by `PathPattern`; one macro keeps
/// their members in step.
macro_rules! cache_behavior {
    ($(#[$doc:meta])* $name:ident { $($lead:tt)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        pub struct $name {
            $($lead)*
            pub target_origin_id: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub trusted_signers: Option<TrustedSigners>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub trusted_key_groups: Option<TrustedKeyGroups>,
            pub viewer_protocol_policy: ViewerProtocolPolicy,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub allowed_methods: Option<AllowedMethods>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub smooth_streaming: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub compress: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub lambda_function_associations: Option<List<LambdaFunctionAssociation>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub function_associations: Option<List<FunctionAssociation>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub field_level_encryption_id: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub realtime_log_config_arn: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub cache_policy_id: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub origin_request_policy_id: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub response_headers_policy_id: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub grpc_config: Option<GrpcConfig>,
            /// The legacy cache settings (instead of a cache policy).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub forwarded_values: Option<ForwardedValues>,
            #[serde(rename = "MinTTL", skip_serializing_if = "Option::is_none")]
            pub min_ttl: Option<i64>,
            #[serde(rename = "DefaultTTL", skip_serializing_if = "Option::is_none")]
            pub default_ttl: Option<i64>,
            #[serde(rename = "MaxTTL", skip_serializing_if = "Option::is_none")]
            pub max_ttl: Option<i64>,
        }
    };
}

cache_behavior! {
    /// What the edge does with requests no `CacheBehavior` matches.
    DefaultCacheBehavior {}
}

cache_behavior! {
    /// What the edge does with requests whose path matches `path_pattern`.
    CacheBehavior {
        pub path_pattern: String,
    }
}

impl ItemName for CacheBehavior {
    const NAME: &'static str = "CacheBehavior";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewerProtocolPolicy {
    #[serde(rename = "allow-all")]
    AllowAll,
    #[serde(rename = "https-only")]
    HttpsOnly,
    #[serde(rename = "redirect-to-https")]
    RedirectToHttps,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Delete,
    Get,
    Head,
    Options,
    Patch,
    Post,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Delete => "DELETE",
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// `<TrustedSigners><Enabled/><Quantity/><Items><AwsAccountNumber/>…</Items></TrustedSigners>`
pub type TrustedSigners = EnabledList<String, AwsAccountNumber>;

/// `<TrustedKeyGroups><Enabled/><Quantity/><Items><KeyGroup/>…</Items></TrustedKeyGroups>`
pub type TrustedKeyGroups = EnabledList<String, KeyGroup>;

/// `<AllowedMethods><Quantity/><Items><Method/>…</Items><CachedMethods/></AllowedMethods>`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "AllowedMethodsWire")]
pub struct AllowedMethods {
    pub methods: List<Method, MethodItem>,
    pub cached_methods: Option<List<Method, MethodItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AllowedMethodsWire {
    #[allow(dead_code)]
    quantity: usize,
    items: Option<Items<Method, MethodItem>>,
    cached_methods: Option<List<Method, MethodItem>>,
}

impl From<AllowedMethodsWire> for AllowedMethods {
    fn from(wire: AllowedMethodsWire) -> Self {
        AllowedMethods { methods: Items::into_list(wire.items), cached_methods: wire.cached_methods }
    }
}

impl Serialize for AllowedMethods {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("AllowedMethods", 3)?;
        self.methods.serialize_members(&mut s)?;
        match &self.cached_methods {
            Some(cached) => s.serialize_field("CachedMethods", cached)?,
            None => s.skip_field("CachedMethods")?,
        }
        s.end()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LambdaFunctionAssociation {
    #[serde(rename = "LambdaFunctionARN")]
    pub lambda_function_arn: String,
    pub event_type: EventType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_body: Option<bool>,
}

impl ItemName for LambdaFunctionAssociation {
    const NAME: &'static str = "LambdaFunctionAssociation";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FunctionAssociation {
    #[serde(rename = "FunctionARN")]
    pub function_arn: String,
    pub event_type: EventType,
}

impl ItemName for FunctionAssociation {
    const NAME: &'static str = "FunctionAssociation";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventType {
    OriginRequest,
    OriginResponse,
    ViewerRequest,
    ViewerResponse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct GrpcConfig {
    pub enabled: bool,
}

/// The legacy cache settings: what is in the cache key and forwarded to the origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ForwardedValues {
    pub query_string: bool,
    pub cookies: CookiePreference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<List<String, Name>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_string_cache_keys: Option<List<String, Name>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CookiePreference {
    pub forward: ItemSelection,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whitelisted_names: Option<List<String, Name>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemSelection {
    All,
    None,
    Whitelist,
}
