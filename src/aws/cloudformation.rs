//! CloudFormation: the lab's two stacks, their status and outputs.

use aws_sdk_cloudformation::types::Stack;

use super::{AwsProblem, Clients};

/// The stack named `name`; `None` when there is no such stack in the region.
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
