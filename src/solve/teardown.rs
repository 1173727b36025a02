//! Clean up: delete the lab's stacks in the lab's order (the CloudFront/WAF/Cognito stack, the
//! Cloud9 stack, the API stack), each waited for before the next, because the API stack cannot
//! go while CloudFront still uses it.

use std::time::Duration;

use aws_sdk_cloudformation::types::StackStatus;

use crate::aws::cloudformation;
use crate::checks::teardown::{CLOUD9_PREFIX, why_blocked};
use crate::checks::{Context, Outcome};
use crate::guide::CheckId;

/// A stack the teardown will delete, with what is in it.
#[derive(Debug, Clone)]
pub struct Doomed {
    pub name: String,
    pub status: String,
    /// (logical id, type, physical id).
    pub resources: Vec<(String, String, String)>,
}

/// The stacks that still exist, in the order they will be deleted, with their resources.
pub async fn plan(ctx: &Context) -> Result<Vec<Doomed>, Outcome> {
    let mut names = vec![ctx.stack.clone()];
    let cloud9 = cloudformation::live_stacks_with_prefix(&ctx.aws, CLOUD9_PREFIX).await?;
    names.extend(cloud9.into_iter().map(|(name, _)| name));
    names.push(ctx.api_stack.clone());
    let mut doomed = Vec::new();
    for name in names {
        let Some(stack) = cloudformation::stack(&ctx.aws, &name).await? else { continue };
        let status = stack.stack_status().cloned().unwrap_or(StackStatus::CreateComplete);
        if status == StackStatus::DeleteComplete {
            continue;
        }
        let resources = cloudformation::stack_resources(&ctx.aws, &name).await?;
        doomed.push(Doomed { name, status: status.as_str().to_string(), resources });
    }
    Ok(doomed)
}

/// Deletes the stacks of `plan` in order, waiting for each; stops at the first that fails.
pub async fn delete(ctx: &Context, plan: &[Doomed]) -> Result<String, Outcome> {
    let mut deleted = Vec::new();
    for stack in plan {
        let name = &stack.name;
        let Some(found) = cloudformation::stack(&ctx.aws, name).await? else { continue };
        // Waited for by id: once deleted, the name no longer finds the stack.
        let id = found.stack_id().unwrap_or(name).to_string();
        if found.stack_status() != Some(&StackStatus::DeleteInProgress) {
            cloudformation::delete_stack(&ctx.aws, name).await?;
        }
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(200);
        loop {
            let status = cloudformation::stack(&ctx.aws, &id).await?.and_then(|s| s.stack_status().cloned());
            match status {
                None | Some(StackStatus::DeleteComplete) => break,
                Some(StackStatus::DeleteFailed) => {
                    let done =
                        if deleted.is_empty() { String::new() } else { format!(" ({} deleted)", deleted.join(", ")) };
                    return Err(Outcome::failed(
                        format!("{name} could not be deleted{done}: {}", why_blocked(ctx, name).await),
                        "deal with what holds it, then run the teardown again",
                    ));
                }
                Some(other) => {
                    if started.elapsed() > ctx.wait_limit {
                        return Err(Outcome::failed(
                            format!("{name} is still {} after {} s", other.as_str(), started.elapsed().as_secs()),
                            "CloudFormation is slow today; check again later",
                        ));
                    }
                    ctx.progress(
                        CheckId::StackApiDeleted,
                        format!("deleting {name}: {} ({} s)", other.as_str(), started.elapsed().as_secs()),
                    );
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
        deleted.push(name.clone());
    }
    Ok(if deleted.is_empty() {
        "no lab stack was left to delete".into()
    } else {
        format!("deleted {}", deleted.join(", then "))
    })
}
