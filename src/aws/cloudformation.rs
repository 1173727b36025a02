//! CloudFormation: the lab's stacks, their status, outputs, resources and events, and deleting them.

use aws_sdk_cloudformation::types::{ResourceStatus, Stack};

use super::{AwsProblem, Clients};

/// The stack named `name` (or with id `name`, which finds deleted stacks too); `None` when
/// there is no such stack in the region.
pub async fn stack(aws: &Clients, name: &str) -> Result<Option<Stack>, AwsProblem> {
    match aws.cloudformation.describe_stacks().stack_name(name).send().await {
        Ok(out) => Ok(out.stacks().first().cloned()),
        Err(e) => {
            let problem = aws.explain(&e, "cloudformation:DescribeStacks");
            // CloudFormation answers a missing stack with a validation error.
            if problem.code() == Some("ValidationError") { Ok(None) } else { Err(problem) }
        }
    }
}

/// The value of the output `key`, if the stack declares it.
pub fn output<'a>(stack: &'a Stack, key: &str) -> Option<&'a str> {
    stack.outputs().iter().find(|o| o.output_key() == Some(key)).and_then(|o| o.output_value())
}

/// The newest resource whose deletion failed in stack `name` (DescribeStackEvents), as
/// (logical id, resource type, reason).
pub async fn blocking_resource(aws: &Clients, name: &str) -> Result<Option<(String, String, String)>, AwsProblem> {
    let out = aws
        .cloudformation
        .describe_stack_events()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| aws.explain(&e, "cloudformation:DescribeStackEvents"))?;
    // Newest first; the stack's own DELETE_FAILED only says which resources failed.
    let found = out.stack_events().iter().find(|e| {
        e.resource_status() == Some(&ResourceStatus::DeleteFailed)
            && e.resource_type() != Some("AWS::CloudFormation::Stack")
    });
    Ok(found.map(|e| {
        (
            e.logical_resource_id().unwrap_or("?").to_string(),
            e.resource_type().unwrap_or("?").to_string(),
            e.resource_status_reason().unwrap_or("no reason given").to_string(),
        )
    }))
}

/// The stacks that are not deleted and whose names start with `prefix`, with their status.
pub async fn live_stacks_with_prefix(aws: &Clients, prefix: &str) -> Result<Vec<(String, String)>, AwsProblem> {
    let mut found = Vec::new();
    let mut pages = aws.cloudformation.list_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.explain(&e, "cloudformation:ListStacks"))?;
        for summary in page.stack_summaries() {
            let status = summary.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default();
            let name = summary.stack_name().unwrap_or_default();
            if name.starts_with(prefix) && status != "DELETE_COMPLETE" {
                found.push((name.to_string(), status));
            }
        }
    }
    Ok(found)
}

/// The resources of stack `name`: (logical id, type, physical id).
pub async fn stack_resources(aws: &Clients, name: &str) -> Result<Vec<(String, String, String)>, AwsProblem> {
    let mut found = Vec::new();
    let mut pages = aws.cloudformation.list_stack_resources().stack_name(name).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws.explain(&e, "cloudformation:ListStackResources"))?;
        for r in page.stack_resource_summaries() {
            found.push((
                r.logical_resource_id().unwrap_or_default().to_string(),
                r.resource_type().unwrap_or_default().to_string(),
                r.physical_resource_id().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(found)
}

pub async fn delete_stack(aws: &Clients, name: &str) -> Result<(), AwsProblem> {
    aws.cloudformation
        .delete_stack()
        .stack_name(name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws.explain(&e, "cloudformation:DeleteStack"))
}

/// The value of the parameter `key`, if the stack has it.
pub fn parameter<'a>(stack: &'a Stack, key: &str) -> Option<&'a str> {
    stack.parameters().iter().find(|p| p.parameter_key() == Some(key)).and_then(|p| p.parameter_value())
}
