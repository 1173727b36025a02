//! The managed cache policies the lab models, as CloudFront publishes them.

use super::xml::NAMESPACE;
use crate::names::cache_policy::{CACHING_DISABLED, CACHING_OPTIMIZED, CACHING_OPTIMIZED_UNCOMPRESSED};

/// The managed policies the lab models: (name, CachePolicyConfig document).
pub fn managed_policy(id: &str) -> Option<(&'static str, String)> {
    let (name, comment, ttl, gzip) = match id {
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
    let config = format!(
        "<CachePolicyConfig xmlns=\"{NAMESPACE}\"><Comment>{comment}</Comment><Name>{name}</Name>\
         <DefaultTTL>{}</DefaultTTL><MaxTTL>{}</MaxTTL><MinTTL>{}</MinTTL>\
         <ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>{gzip}</EnableAcceptEncodingGzip>\
         <EnableAcceptEncodingBrotli>{gzip}</EnableAcceptEncodingBrotli>\
         <HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig>\
         <CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig>\
         <QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>\
         </ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>",
        ttl.1, ttl.2, ttl.0
    );
    Some((name, config))
}

pub const MANAGED_POLICIES: [&str; 3] = [CACHING_OPTIMIZED, CACHING_OPTIMIZED_UNCOMPRESSED, CACHING_DISABLED];
