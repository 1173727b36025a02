//! The regional WAF rule on the API stage: only requests carrying CloudFront's secret origin
//! header get through; everything else is refused with 403 before the authorizer runs.

use serde::{Deserialize, Serialize};

use super::ids;
use crate::secret::Secret;

use crate::names::ORIGIN_VERIFY_HEADER;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WafState {
    pub header_name: String,
    pub header_value: Secret,
    /// The Secrets Manager secret that holds `{"HEADERVALUE": …}` in the real lab.
    pub secret_name: String,
    pub regional_acl_name: String,
    pub regional_acl_arn: String,
    pub global_acl_name: String,
    pub global_acl_arn: String,
}

impl WafState {
    pub fn seed(region: &str, account: &str, guid: &str) -> Self {
        let regional = format!("walab-regional-acl-{guid}");
        let global = format!("walab-global-acl-{guid}");
        WafState {
            header_name: ORIGIN_VERIFY_HEADER.to_string(),
            header_value: Secret::new(ids::alnum(32)),
            secret_name: format!("walab-origin-verify-{guid}"),
            regional_acl_arn: format!("arn:aws:wafv2:{region}:{account}:regional/webacl/{regional}/{}", ids::uuid()),
            regional_acl_name: regional,
            global_acl_arn: format!("arn:aws:wafv2:us-east-1:{account}:global/webacl/{global}/{}", ids::uuid()),
            global_acl_name: global,
        }
    }

    /// True when the regional rule lets a request with these headers through.
    pub fn allows(&self, headers: &http::HeaderMap) -> bool {
        headers.get(self.header_name.as_str()).is_some_and(|v| v.as_bytes() == self.header_value.expose().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_only_the_secret_header() {
        let waf = WafState::seed("us-east-1", "123456789012", "abc");
        let mut headers = http::HeaderMap::new();
        assert!(!waf.allows(&headers));
        headers.insert("x-origin-verify", "wrong".parse().unwrap());
        assert!(!waf.allows(&headers));
        headers.insert("x-origin-verify", waf.header_value.expose().parse().unwrap());
        assert!(waf.allows(&headers));
    }
}
