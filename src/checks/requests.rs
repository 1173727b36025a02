//! Step 5.5: what the endpoints answer. Without a token CloudFront must say 401; with the ID
//! token, 200 and the data; the API Gateway URL, token or not, 403 from WAF. Every other
//! answer is explained from what the response itself says, read by [`diagnose`] as
//! `walab request` reads it.

use serde_json::Value;

use super::cdn::forward_header;
use super::evidence::Response;
use super::identity::{fresh_token, recorded_url};
use super::{Checked, Context, Evidence, Hint, Outcome, Remedy, api, cdn};
use crate::guide::SolveAction;
use crate::probe::{Diagnosis, ProbeResponse, diagnose};
use crate::secret::Secret;
use crate::settings::Field;

async fn get(ctx: &Context, url: &str, token: Option<&Secret>) -> Result<ProbeResponse, Outcome> {
    ctx.prober.get(url, token, ctx.request_timeout).await.map_err(|e| {
        Outcome::error(e.to_string(), e.hint()).with_evidence(Evidence::Unanswered { url: url.to_string() })
    })
}

/// The `message` of a JSON error body.
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

/// The checks' reading of the answers no check expects: a 403, or a 400 from the validator.
fn refused(response: &ProbeResponse, expected: u16) -> Outcome {
    match diagnose(response) {
        Diagnosis::NoSuchPath => Outcome::failed(
            "403 Missing Authentication Token: the stage has no such path",
            "the URL must end in /?id=1 on stage Dev (check the recorded CloudFront endpoint)",
        ),
        Diagnosis::Forbidden | Diagnosis::Denied => Outcome::failed(
            "403 Forbidden from WAF: the request did not carry CloudFront's origin header",
            "section 3 adds the X-Origin-Verify custom header to the distribution's origin; finish it first",
        ),
        Diagnosis::MissingId => Outcome::failed(
            "400: the API did not get ?id=, so CloudFront is not passing the query string on",
            "the behaviour must forward query strings (a cache policy with query strings: All), and the URL must end in ?id=1",
        ),
        _ => Outcome::failed(
            format!("{} {}: expected {expected}", response.status, response.reason),
            "look at the body in the evidence; the API or CloudFront is failing",
        ),
    }
}

pub(super) async fn unauthenticated_401(ctx: &Context) -> Checked {
    let url = recorded_url(ctx, Field::CloudFrontEndpoint).await?;
    let response = get(ctx, &url, None).await?;
    let outcome = match (response.status, diagnose(&response)) {
        (401, _) => Outcome::passed(format!("401 {}: the API wants a token", message(&response))),
        (200, Diagnosis::Cached) => Outcome::failed(
            "200 served from CloudFront's cache: an answer cached before the API was protected",
            Hint::new("invalidate /* so CloudFront drops it").by(Remedy::Solve(SolveAction::InvalidateCache)),
        ),
        (200, _) => match api::what_is_missing(ctx).await {
            Some(missing) => Outcome::failed(
                format!("200 from the API itself: {missing}"),
                Hint::new("protect GET / with the Cognito authorizer and deploy to Dev")
                    .by(Remedy::Solve(SolveAction::DeployApi)),
            ),
            None => Outcome::failed(
                "200 from the API although Dev serves the protected method",
                "CloudFront may still be deploying, or answering from another origin; check again shortly",
            ),
        },
        _ => refused(&response, 401),
    };
    Ok(outcome.with_evidence(Evidence::Response(Box::new(Response::of(&response)))))
}

/// GET the recorded URL `field` with a fresh ID token.
async fn get_with_token(ctx: &Context, field: Field) -> Result<ProbeResponse, Outcome> {
    let url = recorded_url(ctx, field).await?;
    let token = fresh_token(ctx).await?;
    get(ctx, &url, Some(&token.token)).await
}

pub(super) async fn authenticated_200(ctx: &Context) -> Checked {
    let response = get_with_token(ctx, Field::CloudFrontEndpoint).await?;
    let outcome = match (response.status, diagnose(&response)) {
        // A cached answer proves nothing about the token unless the token is part of the key.
        (200, Diagnosis::Cached) if !matches!(cdn::forwarding(ctx).await, Ok((f, _)) if f.forwards()) => {
            Outcome::failed(
                "200 from CloudFront's cache: the token never reached the API, so it proves nothing",
                Hint::new("forward Authorization so CloudFront passes the token on")
                    .by(Remedy::Solve(SolveAction::ForwardHeader)),
            )
        }
        (200, _) if has_data(&response) => Outcome::passed(format!(
            "200 with data ({}): the token was accepted",
            response.cache_status().map(|c| c.to_string()).unwrap_or_else(|| "no X-Cache".into())
        )),
        (200, _) => Outcome::failed(
            "200, but without the players' data",
            "look at the body in the evidence: the API's function may be failing",
        ),
        (401, Diagnosis::TokenExpired) => {
            Outcome::failed("401: the token has expired", Hint::new("get a new token").by(Remedy::GetToken))
        }
        (401, _) => match cdn::forwarding(ctx).await {
            Ok((forwarding, _)) if !forwarding.forwards() => Outcome::failed(
                "401 with a valid, fresh token: CloudFront is not forwarding Authorization, so the API never sees it",
                forward_header(),
            ),
            _ => Outcome::failed(
                "401 with a valid, fresh token",
                "check that the authorizer uses the lab's pool and that CloudFront has finished deploying",
            ),
        },
        (403, _) => refused(&response, 200),
        (status, _) => {
            Outcome::failed(format!("{status} {}: expected 200", response.reason), "look at the body in the evidence")
        }
    };
    Ok(outcome.with_evidence(Evidence::Response(Box::new(Response::of(&response)))))
}

pub(super) async fn direct_api_blocked(ctx: &Context) -> Checked {
    let response = get_with_token(ctx, Field::ApiGatewayUrl).await?;
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
    Ok(outcome.with_evidence(Evidence::Response(Box::new(Response::of(&response)))))
}
