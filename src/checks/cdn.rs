//! Step 5.4: CloudFront forwards `Authorization`, and the cache was invalidated after that
//! change, so old 200s are no longer served to requests without a token.

use std::time::Duration;

use aws_sdk_cloudfront::types::Distribution;

use super::evidence::InvalidationSeen;
use super::identity::recorded_url;
use super::{Checked, Context, Evidence, Hint, Outcome, Remedy, lock};
use crate::aws::cloudfront::{self, Forwarding, Invalidation};
use crate::guide::{CheckId, SolveAction};
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
    let Some(found) = cloudfront::find_distribution(&ctx.aws, &endpoint, console.as_deref()).await? else {
        return Err(Outcome::failed(
            format!("cannot tell which CloudFront distribution serves {endpoint}"),
            "check that the CloudFrontEndpoint output is the lab's distribution",
        ));
    };
    lock(&ctx.facts).distribution_id = Some(found.id().to_string());
    Ok(found.id().to_string())
}

async fn distribution(ctx: &Context, id: &str) -> Result<Distribution, Outcome> {
    cloudfront::distribution(&ctx.aws, id)
        .await?
        .ok_or_else(|| Outcome::failed("CloudFront returned no distribution", "try again"))
}

/// How the default behaviour treats `Authorization`, with the distribution it read.
pub(super) async fn forwarding(ctx: &Context) -> Result<(Forwarding, Distribution), Outcome> {
    let id = distribution_id(ctx).await?;
    let dist = distribution(ctx, &id).await?;
    let behavior = dist.distribution_config().and_then(|c| c.default_cache_behavior()).ok_or_else(|| {
        Outcome::failed("the distribution has no default behaviour", "the distribution is not the lab's")
    })?;
    let forwarding = cloudfront::authorization_forwarding(&ctx.aws, behavior).await?;
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

pub(super) fn forward_header() -> Hint {
    Hint::new("add Authorization to the default behaviour's headers").by(Remedy::Solve(SolveAction::ForwardHeader))
}

pub(super) async fn header_forwarded(ctx: &Context) -> Checked {
    let (forwarding, mut dist) = forwarding(ctx).await?;
    let how = forwarding_summary(&forwarding);
    let seen = |dist: &Distribution, forwarding: Option<&str>| Evidence::Distribution {
        distribution: dist.id().to_string(),
        status: dist.status().to_string(),
        forwarding: forwarding.map(String::from),
    };
    if !forwarding.forwards() {
        return Ok(Outcome::failed(format!("CloudFront does not forward Authorization: {how}"), forward_header())
            .with_evidence(seen(&dist, None)));
    }
    // A change is live only once the distribution is Deployed.
    let mut delay = Duration::from_secs(1);
    let deadline = tokio::time::Instant::now() + ctx.wait_limit;
    while dist.status() != "Deployed" {
        if tokio::time::Instant::now() >= deadline {
            return Ok(Outcome::failed(
                format!("{how}, but the distribution is still {}", dist.status()),
                "CloudFront is still deploying the change; check again in a few minutes",
            ));
        }
        ctx.progress(
            CheckId::HeaderForwarded,
            format!("waiting for CloudFront to deploy the change ({})", dist.status()),
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_POLL);
        dist = distribution(ctx, dist.id()).await?;
    }
    Ok(Outcome::passed(format!("{how}; the distribution is Deployed")).with_evidence(seen(&dist, Some(&how))))
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

pub(super) async fn cache_invalidated(ctx: &Context) -> Checked {
    let (forwarding, dist) = forwarding(ctx).await?;
    if !forwarding.forwards() {
        return Ok(Outcome::failed(
            "CloudFront does not forward Authorization yet, so an invalidation now would not help",
            Hint::new("forward Authorization first, then invalidate /*").by(Remedy::Solve(SolveAction::ForwardHeader)),
        ));
    }
    let changed = *dist.last_modified_time();
    let mut list = cloudfront::invalidations(&ctx.aws, dist.id()).await?;
    let evidence = |list: &[Invalidation]| Evidence::Invalidations {
        distribution: dist.id().to_string(),
        behaviour_changed: changed.to_string(),
        invalidations: list.iter().map(InvalidationSeen::of).collect(),
    };
    let relevant = |i: &Invalidation| i.created.secs() >= changed.secs() && i.paths.iter().any(|p| covers_lab_path(p));
    let chosen = list.iter().filter(|i| relevant(i)).max_by_key(|i| i.created.secs()).map(|i| i.id.clone());
    let Some(id) = chosen else {
        return Ok(Outcome::failed(
            format!("no invalidation covering /?id=1 since the behaviour changed at {changed}"),
            Hint::new("CloudFront still holds the 200s it cached before: invalidate /*")
                .by(Remedy::Solve(SolveAction::InvalidateCache)),
        )
        .with_evidence(evidence(&list)));
    };
    let mut delay = Duration::from_secs(1);
    let deadline = tokio::time::Instant::now() + ctx.wait_limit;
    loop {
        let current = cloudfront::invalidation(&ctx.aws, dist.id(), &id)
            .await?
            .ok_or_else(|| Outcome::failed("CloudFront returned no invalidation", "try again"))?;
        let done = current.completed();
        let status = current.status.clone();
        list.retain(|i| i.id != current.id);
        list.push(current);
        if done {
            return Ok(Outcome::passed(format!("invalidation {id} of /* completed after the change"))
                .with_evidence(evidence(&list)));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(Outcome::failed(
                format!("invalidation {id} is still {status}"),
                "invalidations take a minute or two; check again shortly",
            )
            .with_evidence(evidence(&list)));
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
