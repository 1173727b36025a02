//! The managed cache policies the lab models, as CloudFront publishes them.

use super::config::{
    CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig, CachePolicyHeaderBehavior,
    CachePolicyHeadersConfig, CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig,
    ParametersInCacheKeyAndForwardedToOrigin,
};
use crate::names::cache_policy::{CACHING_DISABLED, CACHING_OPTIMIZED, CACHING_OPTIMIZED_UNCOMPRESSED};

/// A managed policy's configuration (its name is the configuration's `Name`).
pub fn managed_policy(id: &str) -> Option<CachePolicyConfig> {
    let (name, comment, (min, default, max), gzip) = match id {
        CACHING_OPTIMIZED => {
            ("Managed-CachingOptimized", "Default policy when CF compression is enabled", (1, 86_400, 31_536_000), true)
        }
        CACHING_OPTIMIZED_UNCOMPRESSED => (
            "Managed-CachingOptimizedForUncompressedObjects",
            "Default policy when compression is disabled",
            (1, 86_400, 31_536_000),
            false,
        ),
        CACHING_DISABLED => ("Managed-CachingDisabled", "Policy with caching disabled", (0, 0, 0), false),
        _ => return None,
    };
    Some(CachePolicyConfig {
        comment: Some(comment.into()),
        name: name.into(),
        default_ttl: Some(default),
        max_ttl: Some(max),
        min_ttl: min,
        parameters_in_cache_key_and_forwarded_to_origin: Some(ParametersInCacheKeyAndForwardedToOrigin {
            enable_accept_encoding_gzip: gzip,
            enable_accept_encoding_brotli: Some(gzip),
            headers_config: CachePolicyHeadersConfig {
                header_behavior: CachePolicyHeaderBehavior::None,
                headers: None,
            },
            cookies_config: CachePolicyCookiesConfig {
                cookie_behavior: CachePolicyCookieBehavior::None,
                cookies: None,
            },
            query_strings_config: CachePolicyQueryStringsConfig {
                query_string_behavior: CachePolicyQueryStringBehavior::None,
                query_strings: None,
            },
        }),
    })
}

pub const MANAGED_POLICIES: [&str; 3] = [CACHING_OPTIMIZED, CACHING_OPTIMIZED_UNCOMPRESSED, CACHING_DISABLED];
