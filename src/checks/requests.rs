//! Step 5.5: what the endpoints answer. Without a token CloudFront must say 401; with the ID
//! token, 200 and the data; the API Gateway URL, token or not, 403 from WAF. Every other
//! answer is explained from what the response itself says (status, `X-Cache`, body).

use serde_json::{Value, json};

use super::identity::{fresh_token, recorded_url};
use super::{Context, Outcome, api, cdn};
use crate::probe::{CacheStatus, ProbeResponse};
use crate::secret::Secret;
use crate::settings::Field;

fn evidence(response: &ProbeResponse) -> Value {
    let body = response.body_text().map(|text| {
        serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.chars().take(2000).collect()))
    });
    json!({
        "url": response.url,
        "status": response.status,
        "latency_ms": response.latency.as_millis() as u64,
        "headers": response.headers,
        "x_cache_means": response.cache_status().map(|c| c.explain()),
        "token_sent": response.token_sent,
        "body": body,
    })
}

async fn get(ctx: &Context, url: &str, token: Option<&Secret>) -> Result<ProbeResponse, Outcome> {
    ctx.prober.get(url, token, ctx.request_timeout).await.map_err(|e| {
        let hint = e.hint();
        Outcome {
            status: super::Status::Error,
            summary: e.to_string(),
            hint: Some(hint),
            evidence: json!({ "url": url }),
        }
    })
}

fn message(response: &ProbeResponse) -> String {
    response
        .body_text()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
        .unwrap_or_default()
}

fn has_data(response: &ProbeResponse) -> bool {
    response
        .body_text()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .and_then(|v| v.as_array().map(|a| !a.is_empty()))
        .unwrap_or(false)
}

/// A 400 from API Gateway's validator: `?id=` did not reach the API.
fn missing_id(response: &ProbeResponse) -> Option<Outcome> {
    message(response).contains("Missing required request parameters").then(|| {
        Outcome::failed(
            "400: the API did not get ?id=, so CloudFront is not passing the query string on",
            "the behaviour must forward query strings (a cache policy with query strings: All), and the URL must end in ?id=1",
        )
    })
}

/// The usual reading of a 403 from the lab's endpoints.
fn forbidden(response: &ProbeResponse) -> Outcome {
    let msg = message(response);
    if msg.contains("Missing Authentication Token") {
        Outcome::failed(
            "403 Missing Authentication Token: the stage has no such path",
            "the URL must end in /?id=1 on stage Dev (check the recorded CloudFront endpoint)",
        )
    } else {
        Outcome::failed(
            "403 Forbidden from WAF: the request did not carry CloudFront's origin header",
            "section 3 adds the X-Origin-Verify custom header to the distribution's origin; finish it first",
        )
    }
}

pub(super) async fn unauthenticated_401(ctx: &Context) -> Outcome {
    let url = match recorded_url(ctx, Field::CloudFrontEndpoint).await {
        Ok(url) => url,
        Err(outcome) => return outcome,
    };
    let response = match get(ctx, &url, None).await {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let seen = evidence(&response);
    let outcome = match (response.status, response.cache_status()) {
        (401, _) => Outcome::passed(format!("401 {}: the API wants a token", message(&response))),
        (200, Some(CacheStatus::Hit | CacheStatus::RefreshHit)) => Outcome::failed(
            "200 served from CloudFront's cache: an answer cached before the API was protected",
            "invalidate /* so CloudFront drops it (walab solve invalidate-cache)",
        ),
        (200, _) => match api::what_is_missing(ctx).await {
            Some(missing) => Outcome::failed(
                format!("200 from the API itself: {missing}"),
                "protect GET / with the Cognito authorizer and deploy to Dev (walab solve deploy-api)",
            ),
            None => Outcome::failed(
                "200 from the API although Dev serves the protected method",
                "CloudFront may still be deploying, or answering from another origin; check again shortly",
            ),
        },
        (403, _) => forbidden(&response),
        (status, _) => missing_id(&response).unwrap_or_else(|| {
            Outcome::failed(
                format!("{status} {}: expected 401", response.reason),
                "look at the body in the evidence; the API or CloudFront is failing",
            )
        }),
    };
    outcome.with_evidence(seen)
}

/// GET the recorded URL `key` with a fresh ID token.
async fn get_with_token(ctx: &Context, key: Field) -> Result<ProbeResponse, Outcome> {
    let url = recorded_url(ctx, key).await?;
    let token = fresh_token(ctx).await?;
    get(ctx, &url, Some(&token.token)).await
}

pub(super) async fn authenticated_200(ctx: &Context) -> Outcome {
    let response = match get_with_token(ctx, Field::CloudFrontEndpoint).await {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let seen = evidence(&response);
    let from_cache = matches!(response.cache_status(), Some(CacheStatus::Hit | CacheStatus::RefreshHit));
    let outcome = match response.status {
        // A cached answer proves nothing about the token unless the token is part of the key.
        200 if from_cache && !matches!(cdn::forwarding(ctx).await, Ok((f, _)) if f.forwards()) => Outcome::failed(
            "200 from CloudFront's cache: the token never reached the API, so it proves nothing",
            "forward Authorization (walab solve forward-header) so CloudFront passes the token on",
        ),
        200 if has_data(&response) => Outcome::passed(format!(
            "200 with data ({}): the token was accepted",
            response.cache_status().map(|c| c.to_string()).unwrap_or_else(|| "no X-Cache".into())
        )),
        200 => Outcome::failed(
            "200, but without the players' data",
            "look at the body in the evidence: the API's function may be failing",
        ),
        401 if message(&response).contains("expired") => {
            Outcome::failed("401: the token has expired", "get a new token (t, or `walab token`)")
        }
        401 => match cdn::forwarding(ctx).await {
            Ok((forwarding, _)) if !forwarding.forwards() => Outcome::failed(
                "401 with a valid, fresh token: CloudFront is not forwarding Authorization, so the API never sees it",
                "add Authorization to the default behaviour's headers (walab solve forward-header)",
            ),
            _ => Outcome::failed(
                "401 with a valid, fresh token",
                "check that the authorizer uses the lab's pool and that CloudFront has finished deploying",
            ),
        },
        403 => forbidden(&response),
        status => {
            Outcome::failed(format!("{status} {}: expected 200", response.reason), "look at the body in the evidence")
        }
    };
    outcome.with_evidence(seen)
}

pub(super) async fn direct_api_blocked(ctx: &Context) -> Outcome {
    let response = match get_with_token(ctx, Field::ApiGatewayUrl).await {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let seen = evidence(&response);
    let outcome = match response.status {
        403 => Outcome::passed("403 Forbidden: WAF lets only CloudFront through, token or not"),
        200 => Outcome::failed(
            "200: the API Gateway URL answers directly, so CloudFront can be bypassed",
            "the regional web ACL with the origin-header rule must be on stage Dev (section 3)",
        ),
        401 => Outcome::failed(
            "401 from the authorizer: WAF let a request through that did not come from CloudFront",
            "the regional web ACL with the origin-header rule must be on stage Dev (section 3)",
        ),
        status => Outcome::failed(format!("{status} {}: expected 403 from WAF", response.reason), "see the evidence"),
    };
    outcome.with_evidence(seen)
}
