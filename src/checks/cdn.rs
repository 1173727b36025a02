//! Step 5.4, gathered through the SDK: whether CloudFront forwards `Authorization` and the
//! cache was invalidated after that change, waiting (with progress) while CloudFront deploys
//! or invalidates. [`judge`] decides.

use std::time::Duration;

use super::identity::recorded_url;
use super::judge::{self, DistributionSeen};
use super::{Checked, Context, Outcome, lock};
use crate::aws::cloudfront;
use crate::guide::CheckId;
use crate::settings::Field;

/// Polls start quick and back off to this, like the console's own refresh.
const MAX_POLL: Duration = Duration::from_secs(10);

/// The lab's distribution id, remembered once found.
pub async fn distribution_id(ctx: &Context) -> Result<String, Outcome> {
    if let Some(id) = lock(&ctx.facts).distribution_id.clone() {
        return Ok(id);
    }
    let run = ctx.this_run();
    let id = run
        .distribution_id
        .get_or_init(|| async {
            // The list does not depend on the stacks: ask for both at once.
            let (endpoint, listed) =
                tokio::join!(recorded_url(ctx, Field::CloudFrontEndpoint), cloudfront::list_distributions(&ctx.aws));
            let endpoint = endpoint?;
            let listed = listed?;
            let console = lock(&ctx.facts).console_link.clone();
            match cloudfront::pick_distribution(&listed, &endpoint, console.as_deref()) {
                Some(found) => Ok(found.id().to_string()),
                None => Err(Outcome::failed(
                    format!("cannot tell which CloudFront distribution serves {endpoint}"),
                    "check that the CloudFrontEndpoint output is the lab's distribution",
                )),
            }
        })
        .await
        .clone()?;
    lock(&ctx.facts).distribution_id = Some(id.clone());
    Ok(id)
}

/// The distribution as it stands now (GetDistribution, the authority on its configuration and
/// status; a list's summary is not relied on for them): its status and how it forwards
/// `Authorization`.
async fn read_distribution(ctx: &Context, id: &str) -> Result<DistributionSeen, Outcome> {
    let dist = cloudfront::distribution(&ctx.aws, id)
        .await?
        .ok_or_else(|| Outcome::error("CloudFront returned no distribution", "try again"))?;
    let behavior = dist.distribution_config().and_then(|c| c.default_cache_behavior()).ok_or_else(|| {
        Outcome::failed("the distribution has no default behaviour", "the distribution is not the lab's")
    })?;
    let forwarding = cloudfront::authorization_forwarding(&ctx.aws, behavior).await?;
    Ok(DistributionSeen {
        id: dist.id().to_string(),
        status: dist.status().to_string(),
        forwarding,
        changed: *dist.last_modified_time(),
    })
}

/// The distribution, read once a run.
pub(super) async fn distribution(ctx: &Context) -> Result<DistributionSeen, Outcome> {
    let id = distribution_id(ctx).await?;
    let run = ctx.this_run();
    run.distribution.get_or_init(|| read_distribution(ctx, &id)).await.clone()
}

pub(super) async fn header_forwarded(ctx: &Context) -> Checked {
    let mut dist = distribution(ctx).await?;
    // A change is live only once the distribution is Deployed: wait for it, with progress.
    let mut delay = Duration::from_secs(1);
    let deadline = tokio::time::Instant::now() + ctx.wait_limit;
    let began = tokio::time::Instant::now();
    while dist.forwarding.forwards() && dist.status != "Deployed" && tokio::time::Instant::now() < deadline {
        ctx.progress(
            CheckId::HeaderForwarded,
            format!(
                "waiting for CloudFront to deploy the change ({}, {} so far; it takes minutes, and a later run picks it up)",
                dist.status,
                waited(began)
            ),
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_POLL);
        dist = read_distribution(ctx, &dist.id).await?;
    }
    Ok(judge::header_forwarded(&dist))
}

pub(super) async fn cache_invalidated(ctx: &Context) -> Checked {
    // The list of invalidations needs only the id: read it while the distribution is read.
    let id = distribution_id(ctx).await?;
    let (dist, summaries) = tokio::join!(distribution(ctx), cloudfront::list_invalidations(&ctx.aws, &id));
    let (dist, summaries) = (dist?, summaries?);
    let mut list = cloudfront::invalidations(&ctx.aws, &dist.id, summaries, &dist.changed).await?;
    let began = tokio::time::Instant::now();
    // One that counts but is still in progress: wait for it, with progress.
    let mut delay = Duration::from_secs(1);
    let deadline = tokio::time::Instant::now() + ctx.wait_limit;
    while let Some(going) = judge::relevant_invalidation(&dist.changed, &list).filter(|i| !i.completed()).cloned() {
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        ctx.progress(
            CheckId::CacheInvalidated,
            format!("invalidation {} is {} ({} so far)", going.id, going.status, waited(began)),
        );
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_POLL);
        let Some(current) = cloudfront::invalidation(&ctx.aws, &dist.id, &going.id).await? else { break };
        list.retain(|i| i.id != current.id);
        list.push(current);
    }
    Ok(judge::cache_invalidated(&dist, &list))
}

/// How long a wait has lasted, as the progress line says it: `45 s`, `2 min 5 s`.
fn waited(began: tokio::time::Instant) -> String {
    let secs = began.elapsed().as_secs();
    if secs < 60 { format!("{secs} s") } else { format!("{} min {} s", secs / 60, secs % 60) }
}
