//! The regional WAF rule on the API stage: only requests carrying CloudFront's secret origin
//! header get through; everything else is refused with 403 before the authorizer runs.

use serde::{Deserialize, Serialize};

use super::ids;
use super::store::{Change, One, Record, Rows, Slice, StoreError, Tables};
use crate::names::ORIGIN_VERIFY_HEADER;
use crate::secret::Secret;

/// The lab's two web ACLs and the origin header's secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebAcls {
    pub header_name: String,
    pub header_value: Secret,
    /// The Secrets Manager secret that holds `{"HEADERVALUE": …}` in the real lab.
    pub secret_name: String,
    pub regional_acl_name: String,
    pub regional_acl_arn: String,
    pub global_acl_name: String,
    pub global_acl_arn: String,
}

impl Record for WebAcls {
    const KIND: &'static str = "waf.acls";
    fn key(&self) -> String {
        "lab".to_string()
    }
}

impl WebAcls {
    pub fn seed(region: &str, account: &str, guid: &str) -> Self {
        let regional = format!("walab-regional-acl-{guid}");
        let global = format!("walab-global-acl-{guid}");
        WebAcls {
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
        headers.get(self.header_name.as_str()).is_some_and(|v| {
            aws_lc_rs::constant_time::verify_slices_are_equal(v.as_bytes(), self.header_value.expose().as_bytes())
                .is_ok()
        })
    }
}

/// One account's WAF.
pub struct WafState {
    pub acls: One<WebAcls>,
}

impl WafState {
    pub fn seed(acls: WebAcls) -> WafState {
        WafState { acls: One::new(acls) }
    }
}

impl Tables for WafState {
    const KINDS: &'static [&'static str] = &[WebAcls::KIND];
    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        Ok(WafState { acls: One::load(rows.take(WebAcls::KIND))? })
    }
    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.acls.take_changes(out);
    }
}

/// The web ACLs, for what other services show of them (stack outputs, the origin header).
pub fn acls(waf: &Slice<WafState>) -> WebAcls {
    waf.read(|w| w.acls.get().clone())
}

/// True when a request with `headers` to a stage protected by `acl_arn` gets through WAF.
pub fn admits(waf: &Slice<WafState>, acl_arn: Option<&str>, headers: &http::HeaderMap) -> bool {
    waf.read(|w| {
        let acls = w.acls.get();
        acl_arn != Some(acls.regional_acl_arn.as_str()) || acls.allows(headers)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_only_the_secret_header() {
        let waf = WebAcls::seed("us-east-1", "123456789012", "abc");
        let mut headers = http::HeaderMap::new();
        assert!(!waf.allows(&headers));
        headers.insert("x-origin-verify", "wrong".parse().unwrap());
        assert!(!waf.allows(&headers));
        headers.insert("x-origin-verify", waf.header_value.expose().parse().unwrap());
        assert!(waf.allows(&headers));
    }
}
