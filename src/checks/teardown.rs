//! Clean up: the lab's stacks are gone, in the lab's order, and what outlives them (the
//! Lambda functions' log groups, the bucket of section 1) is listed where to find it.
//!
//! walab reads CloudFormation only: the log groups and the bucket would need the CloudWatch
//! Logs and S3 clients, two more SDK crates for two lines of evidence, so those two checks say
//! exactly where to look and are reported as not verified (`skipped`), never as passed.

use aws_sdk_cloudformation::types::StackStatus;

use super::{Checked, Context, Hint, Outcome, Remedy};
use crate::aws::cloudformation;
use crate::guide::SolveAction;

/// The Cloud9 environment's own stack is named by Cloud9: `aws-cloud9-<name>-<id>`.
pub const CLOUD9_PREFIX: &str = "aws-cloud9-";

fn teardown(text: impl Into<String>) -> Hint {
    Hint::new(text).by(Remedy::Solve(SolveAction::Teardown))
}

/// Why stack `name` could not be deleted, from its events.
pub(crate) async fn why_blocked(ctx: &Context, name: &str) -> String {
    match cloudformation::blocking_resource(&ctx.aws, name).await {
        Ok(Some((logical, kind, reason))) => format!("{logical} ({kind}) could not be deleted: {reason}"),
        Ok(None) => "its events name no resource that failed".to_string(),
        Err(problem) => format!("its events cannot be read: {problem}"),
    }
}

/// Stack `name` is gone (no such stack, or `DELETE_COMPLETE`).
pub(super) async fn stack_deleted(ctx: &Context, name: &str, order: &str) -> Checked {
    let Some(stack) = cloudformation::stack(&ctx.aws, name).await? else {
        return Ok(Outcome::passed(format!("{name} is deleted")));
    };
    let status = stack.stack_status().cloned().unwrap_or(StackStatus::CreateComplete);
    Ok(match status {
        StackStatus::DeleteComplete => Outcome::passed(format!("{name} is deleted")),
        StackStatus::DeleteInProgress => {
            Outcome::failed(format!("{name} is being deleted"), "wait a few minutes, then check again")
        }
        StackStatus::DeleteFailed => Outcome::failed(
            format!("{name} is stuck in DELETE_FAILED: {}", why_blocked(ctx, name).await),
            teardown(format!("deal with what holds it ({order}), then delete {name} again")),
        ),
        other => Outcome::failed(
            format!("{name} still exists ({}) and keeps costing money", other.as_str()),
            teardown(format!("delete {name} ({order})")),
        ),
    })
}

pub(super) async fn stack_cdn_deleted(ctx: &Context) -> Checked {
    stack_deleted(ctx, &ctx.stack, "it goes first").await
}

pub(super) async fn stack_api_deleted(ctx: &Context) -> Checked {
    let order = format!("after {} and the Cloud9 stack", ctx.stack);
    stack_deleted(ctx, &ctx.api_stack, &order).await
}

pub(super) async fn stack_cloud9_deleted(ctx: &Context) -> Checked {
    let left = cloudformation::live_stacks_with_prefix(&ctx.aws, CLOUD9_PREFIX).await?;
    if left.is_empty() {
        return Ok(Outcome::passed(format!("no Cloud9 stack ({CLOUD9_PREFIX}…) in {}", ctx.aws.region)));
    }
    let mut names = Vec::new();
    for (name, status) in &left {
        if status == "DELETE_FAILED" {
            names.push(format!("{name} is stuck in DELETE_FAILED: {}", why_blocked(ctx, name).await));
        } else {
            names.push(format!("{name} ({status})"));
        }
    }
    Ok(Outcome::failed(
        format!("the Cloud9 environment's stack is still there: {}", names.join("; ")),
        teardown(format!("delete it after {}", ctx.stack)),
    ))
}

/// The Lambda functions of the API stack, while it exists.
async fn lambda_functions(ctx: &Context) -> Vec<String> {
    match cloudformation::stack_resources(&ctx.aws, &ctx.api_stack).await {
        Ok(resources) => resources
            .into_iter()
            .filter(|(_, kind, physical)| kind == "AWS::Lambda::Function" && !physical.is_empty())
            .map(|(_, _, physical)| physical)
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub(super) async fn log_groups_deleted(ctx: &Context) -> Checked {
    let region = &ctx.aws.region;
    let console = format!("CloudWatch console ({region}) → Logs → Log groups");
    let functions = lambda_functions(ctx).await;
    let groups = if functions.is_empty() {
        format!("the groups named /aws/lambda/{}-…", ctx.api_stack)
    } else {
        functions.iter().map(|f| format!("/aws/lambda/{f}")).collect::<Vec<_>>().join(", ")
    };
    Ok(Outcome::skipped(
        format!("not verified: walab does not read CloudWatch Logs; look for {groups}"),
        format!("{console}: filter on /aws/lambda/{}- and delete those groups", ctx.api_stack),
    ))
}

pub(super) async fn bucket_deleted(ctx: &Context) -> Checked {
    let bucket = match cloudformation::stack(&ctx.aws, &ctx.api_stack).await {
        Ok(Some(stack)) => cloudformation::parameter(&stack, "SBucketName").map(str::to_string),
        _ => None,
    };
    let (what, console) = match &bucket {
        Some(name) => (format!("the bucket {name}"), format!("https://s3.console.aws.amazon.com/s3/buckets/{name}")),
        None => (
            "the bucket you named SBucketName in section 1".to_string(),
            "https://s3.console.aws.amazon.com/s3/buckets".to_string(),
        ),
    };
    Ok(Outcome::skipped(
        format!("not verified: walab does not read S3; {what} outlives the stacks"),
        format!("open {console}, choose Empty, then Delete"),
    ))
}
