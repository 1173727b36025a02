//! What a check saw, as typed data: one variant per kind of evidence, which the walkthrough's
//! evidence pane matches on. In JSON each is the object `walab check --json` has always
//! printed (the enum is untagged), and the walkthrough's progress file reads them back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aws::cloudfront::Invalidation;
use crate::probe::{ProbeResponse, ResponseHeaders};
use crate::token::Claims;

/// Evidence of one check. Variants are tried in this order when read back, so each has a
/// field the ones after it lack; what matches none is kept as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Evidence {
    /// The ID token's header and claims (never the token itself).
    IdToken { header: Value, claims: Claims },
    /// An HTTP answer.
    Response(Box<Response>),
    /// The distribution's invalidations since its behaviour changed.
    Invalidations { distribution: String, behaviour_changed: String, invalidations: Vec<InvalidationSeen> },
    /// Both stacks' status and the outputs walab reads.
    Stacks {
        /// Stack name → status.
        stacks: BTreeMap<String, Option<String>>,
        /// Output key → value.
        outputs: BTreeMap<String, String>,
    },
    /// The API's authorizers.
    Authorizers { api: String, authorizers: Vec<AuthorizerSeen> },
    /// `GET /` as configured.
    Method {
        method: String,
        #[serde(rename = "authorizationType")]
        authorization_type: String,
        #[serde(rename = "authorizerId")]
        authorizer_id: Option<String>,
    },
    /// What stage `Dev` serves.
    Deployment {
        stage: String,
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "deployedAt")]
        deployed_at: Option<String>,
        /// `authorizationType` of `GET /` in that deployment (`absent` when missing).
        #[serde(rename = "GET /")]
        get: String,
    },
    /// The distribution's deployment status and how it forwards `Authorization`.
    Distribution {
        distribution: String,
        status: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        forwarding: Option<String>,
    },
    /// Where the recorded app client secret came from (masked).
    ClientSecret { secret: String, source: SecretSource },
    /// The learner's user.
    User { username: String, status: String, enabled: bool },
    /// A request that got no answer.
    Unanswered { url: String },
    /// The check ran out of time before it saw anything.
    TimedOut(NothingSeen),
    #[default]
    None,
    /// Evidence saved by another walab, kept as it was.
    Other(Value),
}

/// Where the app client secret walab uses came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretSource {
    /// Read from the app client.
    DescribeUserPoolClient,
    /// As recorded; walab may not read the app client to compare.
    #[serde(rename = "recorded")]
    Recorded,
}

/// `{}`: nothing was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NothingSeen {}

/// One authorizer, as the evidence shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizerSeen {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The user pool ids of its provider ARNs.
    pub pools: Vec<String>,
    pub identity_source: Option<String>,
}

impl AuthorizerSeen {
    pub fn of(authorizer: &aws_sdk_apigateway::types::Authorizer) -> AuthorizerSeen {
        AuthorizerSeen {
            id: authorizer.id().map(String::from),
            name: authorizer.name().map(String::from),
            kind: authorizer.r#type().map(|t| t.as_str().to_string()),
            pools: authorizer
                .provider_arns()
                .iter()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn.as_str()).to_string())
                .collect(),
            identity_source: authorizer.identity_source().map(String::from),
        }
    }
}

/// One invalidation, as the evidence shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidationSeen {
    pub id: String,
    pub status: String,
    pub created: String,
    pub paths: Vec<String>,
}

impl InvalidationSeen {
    pub fn of(invalidation: &Invalidation) -> InvalidationSeen {
        InvalidationSeen {
            id: invalidation.id.clone(),
            status: invalidation.status.clone(),
            created: invalidation.created.to_string(),
            paths: invalidation.paths.clone(),
        }
    }

    pub fn completed(&self) -> bool {
        self.status.eq_ignore_ascii_case("completed")
    }
}

/// An HTTP answer, as the evidence shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub url: String,
    pub status: u16,
    pub latency_ms: u64,
    pub headers: ResponseHeaders,
    /// What `X-Cache` means, when there is one.
    pub x_cache_means: Option<String>,
    pub token_sent: bool,
    /// JSON as it came, other text as a string (cut at 2,000 characters).
    pub body: Option<Value>,
}

impl Response {
    pub fn of(response: &ProbeResponse) -> Response {
        let body = response.body_text().map(|text| {
            serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.chars().take(2000).collect()))
        });
        Response {
            url: response.url.clone(),
            status: response.status,
            latency_ms: response.latency.as_millis() as u64,
            headers: response.headers.clone(),
            x_cache_means: response.cache_status().map(|c| c.explain().to_string()),
            token_sent: response.token_sent,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every kind of evidence with the JSON `walab check --json` has always printed for it.
    fn cases() -> Vec<(Evidence, Value)> {
        let mut claims = Claims::new();
        claims.insert("token_use".into(), json!("id"));
        vec![
            (
                Evidence::IdToken { header: json!({"alg": "RS256"}), claims },
                json!({"header": {"alg": "RS256"}, "claims": {"token_use": "id"}}),
            ),
            (
                Evidence::Response(Box::new(Response {
                    url: "http://127.0.0.1:1/?id=1".into(),
                    status: 200,
                    latency_ms: 3,
                    headers: ResponseHeaders { x_cache: Some("Hit from cloudfront".into()), ..Default::default() },
                    x_cache_means: Some("served from CloudFront's cache".into()),
                    token_sent: false,
                    body: Some(json!(["data"])),
                })),
                json!({
                    "url": "http://127.0.0.1:1/?id=1", "status": 200, "latency_ms": 3,
                    "headers": {
                        "x_cache": "Hit from cloudfront", "age": null, "via": null, "x_amz_cf_pop": null,
                        "x_amz_cf_id": null, "x_amzn_error_type": null, "x_amzn_request_id": null,
                        "content_type": null, "location": null,
                    },
                    "x_cache_means": "served from CloudFront's cache", "token_sent": false, "body": ["data"],
                }),
            ),
            (
                Evidence::Invalidations {
                    distribution: "E1".into(),
                    behaviour_changed: "2025-01-01T00:00:00Z".into(),
                    invalidations: vec![InvalidationSeen {
                        id: "I1".into(),
                        status: "Completed".into(),
                        created: "2025-01-01T00:00:01Z".into(),
                        paths: vec!["/*".into()],
                    }],
                },
                json!({"distribution": "E1", "behaviour_changed": "2025-01-01T00:00:00Z", "invalidations": [
                    {"id": "I1", "status": "Completed", "created": "2025-01-01T00:00:01Z", "paths": ["/*"]}]}),
            ),
            (
                Evidence::Stacks {
                    stacks: BTreeMap::from([("edge".to_string(), Some("CREATE_COMPLETE".to_string()))]),
                    outputs: BTreeMap::from([("CognitoUserPoolID".to_string(), "us-east-1_A".to_string())]),
                },
                json!({"stacks": {"edge": "CREATE_COMPLETE"}, "outputs": {"CognitoUserPoolID": "us-east-1_A"}}),
            ),
            (
                Evidence::Authorizers {
                    api: "a1".into(),
                    authorizers: vec![AuthorizerSeen {
                        id: Some("z1".into()),
                        name: Some("walab-cognito".into()),
                        kind: Some("COGNITO_USER_POOLS".into()),
                        pools: vec!["us-east-1_A".into()],
                        identity_source: Some("method.request.header.Authorization".into()),
                    }],
                },
                json!({"api": "a1", "authorizers": [{"id": "z1", "name": "walab-cognito",
                    "type": "COGNITO_USER_POOLS", "pools": ["us-east-1_A"],
                    "identity_source": "method.request.header.Authorization"}]}),
            ),
            (
                Evidence::Method { method: "GET /".into(), authorization_type: "NONE".into(), authorizer_id: None },
                json!({"method": "GET /", "authorizationType": "NONE", "authorizerId": null}),
            ),
            (
                Evidence::Deployment {
                    stage: "Dev".into(),
                    deployment_id: "d1".into(),
                    deployed_at: None,
                    get: "NONE".into(),
                },
                json!({"stage": "Dev", "deploymentId": "d1", "deployedAt": null, "GET /": "NONE"}),
            ),
            (
                Evidence::Distribution { distribution: "E1".into(), status: "Deployed".into(), forwarding: None },
                json!({"distribution": "E1", "status": "Deployed"}),
            ),
            (
                Evidence::Distribution {
                    distribution: "E1".into(),
                    status: "Deployed".into(),
                    forwarding: Some("legacy".into()),
                },
                json!({"distribution": "E1", "status": "Deployed", "forwarding": "legacy"}),
            ),
            (
                Evidence::ClientSecret {
                    secret: "••••abcd".into(), source: SecretSource::DescribeUserPoolClient
                },
                json!({"secret": "••••abcd", "source": "DescribeUserPoolClient"}),
            ),
            (
                Evidence::ClientSecret { secret: "••••abcd".into(), source: SecretSource::Recorded },
                json!({"secret": "••••abcd", "source": "recorded"}),
            ),
            (
                Evidence::User { username: "u@example.com".into(), status: "CONFIRMED".into(), enabled: true },
                json!({"username": "u@example.com", "status": "CONFIRMED", "enabled": true}),
            ),
            (Evidence::Unanswered { url: "http://x/".into() }, json!({"url": "http://x/"})),
            (Evidence::TimedOut(NothingSeen {}), json!({})),
            (Evidence::None, Value::Null),
            (Evidence::Other(json!({"something": ["else"]})), json!({"something": ["else"]})),
        ]
    }

    #[test]
    fn each_kind_prints_the_json_it_always_has_and_reads_back_as_itself() {
        for (evidence, expected) in cases() {
            assert_eq!(serde_json::to_value(&evidence).unwrap(), expected, "{evidence:?}");
            let back: Evidence = serde_json::from_value(expected).unwrap();
            assert_eq!(back, evidence);
        }
    }
}
