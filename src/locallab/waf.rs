//! The regional WAF rule on the API stage: only requests carrying CloudFront's secret origin
//! header get through; everything else is refused with 403 before the authorizer runs. And
//! WAFv2's `GetWebACLForResource` (JSON 1.1, `X-Amz-Target: AWSWAF_20190729.*`), which says
//! which web ACL protects a resource.

use axum::response::Response;
use base64::Engine;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{Change, One, Record, Rows, Slice, StoreError, Tables};
use crate::locallab::machinery::wire::{ApiError, AwsRequest, json_response, to_json};
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

/// The `X-Amz-Target` prefix of WAFv2.
pub const TARGET_PREFIX: &str = "AWSWAF_20190729.";

/// What WAF asks API Gateway about a stage (API id, stage name): `None` when the stage does
/// not exist, else the ARN of the web ACL on it, if any.
pub type StageAcl<'a> = &'a dyn Fn(&str, &str) -> Option<Option<String>>;

/// Answers one WAFv2 operation; only `GetWebACLForResource` is served.
pub fn handle(waf: &Slice<WafState>, stage_acl: StageAcl, operation: &str, req: &AwsRequest) -> Response {
    let answer = match operation {
        "GetWebACLForResource" => web_acl_for_resource(waf, stage_acl, &req.body),
        other => Err(ApiError::bad_request(
            "UnknownOperationException",
            format!("The local lab's WAF answers GetWebACLForResource, not {other}"),
        )),
    };
    match answer {
        Ok(body) => json_response(StatusCode::OK, &body, "application/x-amz-json-1.1"),
        Err(e) => e.into_aws_json(),
    }
}

fn invalid_arn(arn: &str) -> ApiError {
    ApiError::bad_request(
        "WAFInvalidParameterException",
        format!(
            "Error reason: The ARN isn’t valid. A valid ARN begins with arn: and includes other information separated by colons or slashes., field: RESOURCE_ARN, parameter: {arn}"
        ),
    )
}

fn nonexistent() -> ApiError {
    ApiError::bad_request(
        "WAFNonexistentItemException",
        "AWS WAF couldn’t perform the operation because your resource doesn’t exist.",
    )
}

fn web_acl_for_resource(waf: &Slice<WafState>, stage_acl: StageAcl, body: &[u8]) -> Result<Value, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        resource_arn: Option<String>,
    }
    let input: Input = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("SerializationException", "The request body is not a valid JSON object"))?;
    let Some(arn) = input.resource_arn else {
        return Err(ApiError::bad_request(
            "ValidationException",
            "1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null",
        ));
    };
    if arn.len() < 20 || arn.len() > 2048 || !arn.starts_with("arn:") || arn.split(':').count() < 6 {
        return Err(invalid_arn(&arn));
    }
    let Some((_, path)) = arn.strip_prefix("arn:aws:apigateway:").and_then(|rest| rest.split_once("::/restapis/"))
    else {
        // User pools, load balancers, AppSync APIs…: the lab associates no web ACL with any,
        // and has none but its user pool.
        return if arn.starts_with("arn:aws:cognito-idp:") {
            Ok(to_json(&WebAclForResource::default()))
        } else {
            Err(nonexistent())
        };
    };
    let Some((api, stage)) = path.split_once("/stages/") else { return Err(invalid_arn(&arn)) };
    let acl_arn = stage_acl(api, stage).ok_or_else(nonexistent)?;
    let acls = acls(waf);
    let web_acl = acl_arn.filter(|acl| *acl == acls.regional_acl_arn).map(|_| regional_acl(&acls));
    Ok(to_json(&WebAclForResource { web_acl }))
}

/// `GetWebACLForResource`'s answer: the web ACL, absent when none protects the resource.
#[derive(Default, Serialize)]
struct WebAclForResource {
    #[serde(rename = "WebACL", skip_serializing_if = "Option::is_none")]
    web_acl: Option<WebAcl>,
}

/// A web ACL as WAFv2 describes it (the lab's regional one). No `Debug`: it carries the
/// origin header's secret.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WebAcl {
    name: String,
    id: String,
    #[serde(rename = "ARN")]
    arn: String,
    default_action: Action,
    description: &'static str,
    rules: [Rule; 1],
    visibility_config: VisibilityConfig,
    capacity: u32,
    managed_by_firewall_manager: bool,
    label_namespace: String,
    retrofitted_by_firewall_manager: bool,
}

/// `{"Block": {}}` or `{"Allow": {}}`.
#[derive(Serialize)]
enum Action {
    Block {},
    Allow {},
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Rule {
    name: &'static str,
    priority: u32,
    statement: Statement,
    action: Action,
    visibility_config: VisibilityConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    byte_match_statement: ByteMatchStatement,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ByteMatchStatement {
    search_string: String,
    field_to_match: FieldToMatch,
    text_transformations: [TextTransformation; 1],
    positional_constraint: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FieldToMatch {
    single_header: SingleHeader,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SingleHeader {
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TextTransformation {
    priority: u32,
    #[serde(rename = "Type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VisibilityConfig {
    sampled_requests_enabled: bool,
    cloud_watch_metrics_enabled: bool,
    metric_name: String,
}

fn visibility(metric: &str) -> VisibilityConfig {
    VisibilityConfig {
        sampled_requests_enabled: true,
        cloud_watch_metrics_enabled: true,
        metric_name: metric.to_string(),
    }
}

/// The regional web ACL as WAFv2 describes it: block by default, allow what carries the
/// origin header's secret.
fn regional_acl(acls: &WebAcls) -> WebAcl {
    let id = acls.regional_acl_arn.rsplit('/').next().unwrap_or_default();
    let account = acls.regional_acl_arn.split(':').nth(4).unwrap_or_default();
    let secret = base64::engine::general_purpose::STANDARD.encode(acls.header_value.expose());
    WebAcl {
        name: acls.regional_acl_name.clone(),
        id: id.to_string(),
        arn: acls.regional_acl_arn.clone(),
        default_action: Action::Block {},
        description: "Lets through only requests that carry CloudFront's origin header",
        rules: [Rule {
            name: "AllowOriginVerifyHeader",
            priority: 0,
            statement: Statement {
                byte_match_statement: ByteMatchStatement {
                    search_string: secret,
                    field_to_match: FieldToMatch {
                        single_header: SingleHeader { name: acls.header_name.to_ascii_lowercase() },
                    },
                    text_transformations: [TextTransformation { priority: 0, kind: "NONE" }],
                    positional_constraint: "EXACTLY",
                },
            },
            action: Action::Allow {},
            visibility_config: visibility("AllowOriginVerifyHeader"),
        }],
        visibility_config: visibility(&acls.regional_acl_name),
        capacity: 2,
        managed_by_firewall_manager: false,
        label_namespace: format!("awswaf:{account}:webacl:{}:", acls.regional_acl_name),
        retrofitted_by_firewall_manager: false,
    }
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
