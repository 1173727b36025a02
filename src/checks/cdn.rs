//! Step 5.4: CloudFront forwards `Authorization`, and the cache was invalidated after that
//! change, so old 200s are no longer served to requests without a token.

use std::time::Duration;

use aws_sdk_cloudfront::types::Distribution;
use aws_smithy_types::DateTime;
use serde_json::json;

use super::identity::recorded_url;
use super::{Context, Outcome, lock};
use crate::aws::cloudfront::{self, Forwarding};
use crate::guide::CheckId;
use crate::settings::Field;

/// Polls start quick and back off to this, like the console's own refresh.
const MAX_POLL: Duration = Duration::from_secs(10);

/// The lab's distribution id, remembered once found.
pub async fn distribution_id(ctx: &Context) -> Result<String, Outcome> {
    if let Some(id) = lock(&ctx.facts).distribution_id.clone() {
        return Ok(id);
    }
    let endpoint = recorded_url(ctx, Field::CloudFrontEndpoint).await?;
    let console = lock(&ctx.facts).console_link.clone();
    match cloudfront::find_distribution(&ctx.aws, &endpoint, console.as_deref()).await {
        Ok(Some(found)) => {
            lock(&ctx.facts).distribution_id = Some(found.id().to_string());
            Ok(found.id().to_string())
        }
        Ok(None) => Err(Outcome::failed(
            format!("cannot tell which CloudFront distribution serves {endpoint}"),
            "check that the CloudFrontEndpoint output is the lab's distribution",
        )),
        Err(problem) => Err(Outcome::from_problem(problem)),
    }
}

async fn distribution(ctx: &Context, id: &str) -> Result<Distribution, Outcome> {
    let out = ctx
        .aws
        .cloudfront
        .get_distribution()
        .id(id)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cloudfront:GetDistribution")))?;
    out.distribution().cloned().ok_or_else(|| Outcome::failed("CloudFront returned no distribution", "try again"))
}

/// How the default behaviour treats `Authorization`, with the distribution it read.
pub(super) async fn forwarding(ctx: &Context) -> Result<(Forwarding, Distribution), Outcome> {
    let id = distribution_id(ctx).await?;
    let dist = distribution(ctx, &id).await?;
    let behavior = dist.distribution_config().and_then(|c| c.default_cache_behavior()).ok_or_else(|| {
        Outcome::failed("the distribution has no default behaviour", "the distribution is not the lab's")
    })?;
    let forwarding = cloudfront::authorization_forwarding(&ctx.aws, behavior).await.map_err(Outcome::from_problem)?;
    Ok((forwarding, dist))
}

fn forwarding_summary(forwarding: &Forwarding) -> String {
    match forwarding {
        Forwarding::LegacyHeader => "Authorization is a forwarded header (legacy cache settings)".into(),
        Forwarding::CachePolicy(id) => format!("cache policy {id} includes Authorization"),
        Forwarding::AllViewer => "the AllViewer origin request policy forwards every header".into(),
        Forwarding::No { how } => how.clone(),
    }
}

pub(super) async fn header_forwarded(ctx: &Context) -> Outcome {
    let (forwarding, mut dist) = match forwarding(ctx).await {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let how = forwarding_summary(&forwarding);
    if !forwarding.forwards() {
        return Outcome::failed(
            format!("CloudFront does not forward Authorization: {how}"),
            "add Authorization to the default behaviour's headers (walab solve forward-header)",
        )
        .with_evidence(json!({ "distribution": dist.id(), "status": dist.status() }));
    }
    // A change is live only once the distribution is Deployed.
    let mut delay = Duration::from_secs(1);
    let deadline = tokio::time::Instant::now() + ctx.wait_limit;
    while dist.status() != "Deployed" {
        if tokio::time::Instant::now() >= deadline {
            return Outcome::failed(
                format!("{how}, but the distribution is still {}", dist.status()),
                "CloudFront is still deploying the change; check again in a few minutes",
            );
        }
        ctx.progress(
            CheckId::HeaderForwarded,
            format!("waiting for CloudFront to deploy the change ({})", dist.status()),
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_POLL);
        dist = match distribution(ctx, dist.id()).await {
            Ok(dist) => dist,
            Err(outcome) => return outcome,
        };
    }
    Outcome::passed(format!("{how}; the distribution is Deployed"))
        .with_evidence(json!({ "distribution": dist.id(), "status": dist.status(), "forwarding": how }))
}

/// True when an invalidation path covers the lab's `/?id=1` (CloudFront ignores query strings
/// when invalidating, and `*` may end a path).
pub fn covers_lab_path(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    match path.strip_suffix('*') {
        Some(prefix) => "/".starts_with(prefix),
        None => path == "/",
    }
}

struct Invalidation {
    id: String,
    status: String,
    created: DateTime,
    paths: Vec<String>,
}

async fn invalidations(ctx: &Context, dist: &str) -> Result<Vec<Invalidation>, Outcome> {
    let list = ctx
        .aws
        .cloudfront
        .list_invalidations()
        .distribution_id(dist)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cloudfront:ListInvalidations")))?;
    let mut found = Vec::new();
    for summary in list.invalidation_list().map(|l| l.items()).unwrap_or_default() {
        found.push(invalidation(ctx, dist, summary.id()).await?);
    }
    Ok(found)
}

async fn invalidation(ctx: &Context, dist: &str, id: &str) -> Result<Invalidation, Outcome> {
    let out = ctx
        .aws
        .cloudfront
        .get_invalidation()
        .distribution_id(dist)
        .id(id)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cloudfront:GetInvalidation")))?;
    let inv = out.invalidation().ok_or_else(|| Outcome::failed("CloudFront returned no invalidation", "try again"))?;
    Ok(Invalidation {
        id: inv.id().to_string(),
        status: inv.status().to_string(),
        created: *inv.create_time(),
        paths: inv.invalidation_batch().and_then(|b| b.paths()).map(|p| p.items().to_vec()).unwrap_or_default(),
    })
}

/// Creates an invalidation of `/*`; returns its id.
pub async fn create_invalidation(ctx: &Context, dist: &str) -> Result<String, Outcome> {
    use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
    let paths = Paths::builder().quantity(1).items("/*").build().map_err(|e| Outcome::failed(e.to_string(), ""))?;
    // CloudFront treats a repeated caller reference as the same request: make each one unique.
    let reference = format!("walab-{}", uuid::Uuid::new_v4());
    let batch = InvalidationBatch::builder()
        .paths(paths)
        .caller_reference(reference)
        .build()
        .map_err(|e| Outcome::failed(e.to_string(), ""))?;
    let out = ctx
        .aws
        .cloudfront
        .create_invalidation()
        .distribution_id(dist)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| Outcome::from_problem(ctx.aws.explain(&e, "cloudfront:CreateInvalidation")))?;
    Ok(out.invalidation().map(|i| i.id().to_string()).unwrap_or_default())
}

pub(super) async fn cache_invalidated(ctx: &Context) -> Outcome {
    let (forwarding, dist) = match forwarding(ctx).await {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    if !forwarding.forwards() {
        return Outcome::failed(
            "CloudFront does not forward Authorization yet, so an invalidation now would not help",
            "forward Authorization first (walab solve forward-header), then invalidate /*",
        );
    }
    let changed = *dist.last_modified_time();
    let mut list = match invalidations(ctx, dist.id()).await {
        Ok(list) => list,
        Err(outcome) => return outcome,
    };
    let evidence = |list: &[Invalidation]| {
        json!({
            "distribution": dist.id(),
            "behaviour_changed": changed.to_string(),
            "invalidations": list.iter().map(|i| json!({
                "id": i.id, "status": i.status, "created": i.created.to_string(), "paths": i.paths,
            })).collect::<Vec<_>>(),
        })
    };
    let relevant = |i: &Invalidation| i.created.secs() >= changed.secs() && i.paths.iter().any(|p| covers_lab_path(p));
    let chosen = list.iter().filter(|i| relevant(i)).max_by_key(|i| i.created.secs()).map(|i| i.id.clone());
    let Some(id) = chosen else {
        return Outcome::failed(
            format!("no invalidation covering /?id=1 since the behaviour changed at {changed}"),
            "CloudFront still holds the 200s it cached before: invalidate /* (walab solve invalidate-cache)",
        )
        .with_evidence(evidence(&list));
    };
    let mut delay = Duration::from_secs(1);
    let deadline = tokio::time::Instant::now() + ctx.wait_limit;
    loop {
        let current = match invalidation(ctx, dist.id(), &id).await {
            Ok(current) => current,
            Err(outcome) => return outcome,
        };
        let done = current.status.eq_ignore_ascii_case("completed");
        let status = current.status.clone();
        list.retain(|i| i.id != current.id);
        list.push(current);
        if done {
            return Outcome::passed(format!("invalidation {id} of /* completed after the change"))
                .with_evidence(evidence(&list));
        }
        if tokio::time::Instant::now() >= deadline {
            return Outcome::failed(
                format!("invalidation {id} is still {status}"),
                "invalidations take a minute or two; check again shortly",
            )
            .with_evidence(evidence(&list));
        }
        ctx.progress(CheckId::CacheInvalidated, format!("invalidation {id} is {status}"));
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::covers_lab_path;

    #[test]
    fn paths_that_cover_the_lab_path() {
        for path in ["/*", "/", "/?id=1", "*", "/?*"] {
            assert!(covers_lab_path(path), "{path}");
        }
        for path in ["/images/*", "/index.html", "/a"] {
            assert!(!covers_lab_path(path), "{path}");
        }
    }
}
