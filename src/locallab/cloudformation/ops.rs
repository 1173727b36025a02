//! CloudFormation's operations on the lab's stacks, each answering with its `wire` result.

use aws_smithy_types::DateTime;

use super::templates::{self, Physical, TemplateResource};
use super::wire::{self, Members, Request, response_xml};
use super::{Blocked, Deletion, Event, Facts, Observed, Stack, StackStatus, StacksState, does_not_exist};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;

/// What one request works with.
pub struct Op<'a> {
    pub ctx: &'a AccountContext,
    pub stacks: &'a Slice<StacksState>,
    pub facts: &'a dyn Facts,
    pub now: Millis,
    pub request_id: &'a str,
}

fn time(ms: Millis) -> DateTime {
    DateTime::from_millis(ms)
}

/// The statuses of stacks that still exist (DescribeStacks without a name lists only those).
fn is_listed(stack: &Stack, now: Millis) -> bool {
    !stack.is_deleted(now)
}

impl Op<'_> {
    /// The answer's document, and what the room counts of it.
    pub fn answer(&self, request: Request) -> Result<(String, Observed), ApiError> {
        let id = self.request_id;
        let mut observed = Observed::default();
        let body = match request {
            Request::DescribeStacks(input) => {
                let result = self.describe_stacks(input.stack_name.as_deref())?;
                observed.described = result.stacks.members.iter().map(|s| s.stack_name.clone()).collect();
                response_xml(&result, id)
            }
            Request::ListStacks(input) => response_xml(&self.list_stacks(&input.stack_status_filter), id),
            Request::DescribeStackResources(input) => response_xml(&self.describe_stack_resources(input)?, id),
            Request::ListStackResources(input) => response_xml(&self.list_stack_resources(&input.stack_name)?, id),
            Request::ListExports(_) => {
                // Neither of the lab's templates exports a value.
                response_xml(&wire::ListExportsResult { exports: Vec::new().into(), next_token: None }, id)
            }
            Request::GetTemplate(input) => response_xml(&self.get_template(input)?, id),
            Request::DeleteStack(input) => {
                self.delete_stack(&input.stack_name)?;
                wire::delete_stack_response_xml(id)
            }
            Request::DescribeStackEvents(input) => response_xml(&self.describe_stack_events(input.stack_name)?, id),
        };
        Ok((body, observed))
    }

    fn describe_stacks(&self, name: Option<&str>) -> Result<wire::DescribeStacksResult, ApiError> {
        self.stacks.read(|state| {
            let found: Vec<&Stack> = match name.filter(|n| !n.is_empty()) {
                Some(name) => vec![state.find(name, self.now)?],
                None => state.in_order().into_iter().filter(|s| is_listed(s, self.now)).collect(),
            };
            let stacks = found.into_iter().map(|s| self.stack(s)).collect::<Vec<_>>();
            Ok(wire::DescribeStacksResult { stacks: stacks.into(), next_token: None })
        })
    }

    fn stack(&self, stack: &Stack) -> wire::Stack {
        let status = stack.status(self.now);
        let exists = status != StackStatus::DeleteComplete;
        let outputs: Vec<wire::Output> = if exists { self.facts.outputs(&stack.name) } else { Vec::new() }
            .into_iter()
            .map(|o| wire::Output {
                output_key: o.key.to_string(),
                output_value: o.value,
                description: Some(o.description.to_string()),
                export_name: None,
            })
            .collect();
        let parameters: Vec<wire::Parameter> = templates::parameters(&stack.name, &self.ctx.id)
            .into_iter()
            .map(|(key, value)| wire::Parameter {
                parameter_key: Some(key.to_string()),
                parameter_value: Some(value),
                use_previous_value: None,
                resolved_value: None,
            })
            .collect();
        wire::Stack {
            stack_id: stack.id.clone(),
            stack_name: stack.name.clone(),
            change_set_id: None,
            description: Some(stack.description.clone()),
            parameters: (!parameters.is_empty()).then(|| parameters.into()),
            creation_time: time(stack.created),
            deletion_time: stack.deletion.as_ref().map(|d| time(d.started)),
            last_updated_time: None,
            stack_status: status.as_str().to_string(),
            stack_status_reason: self.status_reason(stack, status),
            disable_rollback: Some(false),
            notification_arns: None,
            timeout_in_minutes: None,
            capabilities: Some(vec!["CAPABILITY_IAM".to_string()].into()),
            outputs: exists.then(|| outputs.into()),
            role_arn: None,
            tags: None,
            enable_termination_protection: Some(false),
            parent_id: None,
            root_id: None,
            drift_information: Some(not_checked()),
            retain_except_on_create: None,
            deletion_mode: stack.deletion.as_ref().map(|_| "STANDARD".to_string()),
            detailed_status: None,
        }
    }

    fn status_reason(&self, stack: &Stack, status: StackStatus) -> Option<String> {
        match (status, &stack.deletion) {
            (StackStatus::DeleteInProgress, _) => Some("User Initiated".into()),
            (StackStatus::DeleteFailed, Some(Deletion { failed: Some(blocked), .. })) => Some(failed_reason(blocked)),
            _ => None,
        }
    }

    fn list_stacks(&self, filter: &[String]) -> wire::ListStacksResult {
        self.stacks.read(|state| {
            let summaries = state
                .in_order()
                .into_iter()
                .filter(|s| filter.is_empty() || filter.iter().any(|f| f == s.status(self.now).as_str()))
                .map(|s| {
                    let status = s.status(self.now);
                    wire::StackSummary {
                        stack_id: s.id.clone(),
                        stack_name: s.name.clone(),
                        template_description: Some(s.description.clone()),
                        creation_time: time(s.created),
                        last_updated_time: None,
                        deletion_time: s.deletion.as_ref().map(|d| time(d.started)),
                        stack_status: status.as_str().to_string(),
                        stack_status_reason: self.status_reason(s, status),
                        parent_id: None,
                        root_id: None,
                        drift_information: Some(not_checked()),
                    }
                })
                .collect::<Vec<_>>();
            wire::ListStacksResult { stack_summaries: summaries.into(), next_token: None }
        })
    }

    /// Each resource of `stack` with its physical id and status.
    fn resources(&self, stack: &Stack) -> Vec<(TemplateResource, Option<String>, String, Option<String>)> {
        let status = stack.status(self.now);
        let blocked = stack.deletion.as_ref().and_then(|d| d.failed.as_ref());
        templates::resources(&stack.name)
            .iter()
            .map(|r| {
                let physical = match (status, r.physical) {
                    (StackStatus::DeleteComplete, _) => None,
                    (_, Physical::Modelled(which)) => self.facts.physical_id(which),
                    (_, made) => templates::made_id(made, &stack.id, &stack.name, r.logical_id),
                };
                let (resource_status, reason) = match status {
                    StackStatus::CreateComplete => ("CREATE_COMPLETE", None),
                    StackStatus::DeleteInProgress => ("DELETE_IN_PROGRESS", None),
                    StackStatus::DeleteComplete => ("DELETE_COMPLETE", None),
                    StackStatus::DeleteFailed => match blocked {
                        Some(b) if b.logical_id == r.logical_id => ("DELETE_FAILED", Some(b.reason.clone())),
                        _ => ("CREATE_COMPLETE", None),
                    },
                };
                (*r, physical, resource_status.to_string(), reason)
            })
            .collect()
    }

    fn describe_stack_resources(
        &self,
        input: wire::DescribeStackResources,
    ) -> Result<wire::DescribeStackResourcesResult, ApiError> {
        self.stacks.read(|state| {
            let stack = match (&input.stack_name, &input.physical_resource_id) {
                (Some(name), _) => state.find(name, self.now)?,
                (None, Some(physical)) => state
                    .in_order()
                    .into_iter()
                    .filter(|s| is_listed(s, self.now))
                    .find(|s| self.resources(s).iter().any(|(_, p, _, _)| p.as_deref() == Some(physical.as_str())))
                    .ok_or_else(|| does_not_exist(physical))?,
                (None, None) => {
                    return Err(ApiError::bad_request(
                        "ValidationError",
                        "Either StackName or PhysicalResourceId must be specified.",
                    ));
                }
            };
            let resources: Vec<wire::StackResource> = self
                .resources(stack)
                .into_iter()
                .filter(|(r, _, _, _)| input.logical_resource_id.as_deref().is_none_or(|l| l == r.logical_id))
                .filter(|(_, p, _, _)| {
                    input.physical_resource_id.as_deref().is_none_or(|wanted| p.as_deref() == Some(wanted))
                })
                .map(|(r, physical_id, resource_status, reason)| wire::StackResource {
                    stack_name: stack.name.clone(),
                    stack_id: stack.id.clone(),
                    logical_resource_id: r.logical_id.to_string(),
                    physical_resource_id: physical_id,
                    resource_type: r.resource_type.to_string(),
                    timestamp: time(self.changed(stack)),
                    resource_status,
                    resource_status_reason: reason,
                    description: None,
                    drift_information: Some(resource_not_checked()),
                })
                .collect();
            if let Some(logical) = &input.logical_resource_id
                && resources.is_empty()
            {
                return Err(ApiError::bad_request(
                    "ValidationError",
                    format!("Resource {logical} does not exist for stack {}", stack.name),
                ));
            }
            Ok(wire::DescribeStackResourcesResult { stack_resources: resources.into() })
        })
    }

    fn list_stack_resources(&self, name: &str) -> Result<wire::ListStackResourcesResult, ApiError> {
        self.stacks.read(|state| {
            let stack = state.find(name, self.now)?;
            let summaries: Vec<wire::StackResourceSummary> = self
                .resources(stack)
                .into_iter()
                .map(|(r, physical_id, resource_status, reason)| wire::StackResourceSummary {
                    logical_resource_id: r.logical_id.to_string(),
                    physical_resource_id: physical_id,
                    resource_type: r.resource_type.to_string(),
                    last_updated_timestamp: time(self.changed(stack)),
                    resource_status,
                    resource_status_reason: reason,
                    drift_information: Some(resource_not_checked()),
                })
                .collect();
            Ok(wire::ListStackResourcesResult { stack_resource_summaries: summaries.into(), next_token: None })
        })
    }

    /// When the stack's resources last changed: created, or the deletion's last step.
    fn changed(&self, stack: &Stack) -> Millis {
        match &stack.deletion {
            Some(d) if self.now >= d.completes => d.completes,
            Some(d) => d.started,
            None => stack.created,
        }
    }

    fn get_template(&self, input: wire::GetTemplate) -> Result<wire::GetTemplateResult, ApiError> {
        if let Some(change_set) = input.change_set_name.filter(|c| !c.is_empty()) {
            return Err(ApiError::new(
                http::StatusCode::NOT_FOUND,
                "ChangeSetNotFound",
                format!("ChangeSet [{change_set}] does not exist"),
            ));
        }
        let Some(name) = input.stack_name.filter(|n| !n.is_empty()) else {
            return Err(ApiError::bad_request(
                "ValidationError",
                "Either StackName or ChangeSetName must be specified.",
            ));
        };
        let processed = match input.template_stage.as_deref() {
            None | Some("Original") => false,
            Some("Processed") => true,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "ValidationError",
                    format!(
                        "1 validation error detected: Value '{other}' at 'templateStage' failed to satisfy constraint: Member must satisfy enum value set: [Original, Processed]"
                    ),
                ));
            }
        };
        self.stacks.read(|state| {
            let stack = state.find(&name, self.now)?;
            let outputs = self.facts.outputs(&stack.name);
            let outputs: Vec<(&str, &str)> = outputs.iter().map(|o| (o.key, o.description)).collect();
            Ok(wire::GetTemplateResult {
                template_body: templates::body(&stack.name, &stack.description, &outputs, processed),
                stages_available: vec!["Original".to_string(), "Processed".to_string()].into(),
            })
        })
    }

    /// Removes the stack's resources and records the deletion, or its failure. Deleting a stack
    /// that is gone, or being deleted, does nothing (CloudFormation answers the same).
    fn delete_stack(&self, name: &str) -> Result<(), ApiError> {
        let Some(stack) = self.stacks.read(|s| s.find(name, self.now).ok().cloned()) else {
            return Ok(());
        };
        if matches!(stack.status(self.now), StackStatus::DeleteInProgress | StackStatus::DeleteComplete) {
            return Ok(());
        }
        let blocked = self.facts.blocker(&stack.name);
        if blocked.is_none() {
            self.facts.delete_resources(&stack.name)?;
        }
        let started = self.now;
        let completes = started.saturating_add(self.ctx.timing.deploy_ms());
        self.stacks.write(|state| {
            let (name, id) = (stack.name.clone(), stack.id.clone());
            state.stacks.update(&stack.name, |s| {
                let event =
                    |at, logical_id: &str, physical_id: Option<String>, kind: &str, status: &str, reason| Event {
                        id: ids::uuid(),
                        at,
                        logical_id: logical_id.to_string(),
                        physical_id,
                        resource_type: kind.to_string(),
                        status: status.to_string(),
                        reason,
                    };
                let stack_event = |at, status, reason| {
                    event(at, &name, Some(id.clone()), "AWS::CloudFormation::Stack", status, reason)
                };
                s.add_event(stack_event(started, "DELETE_IN_PROGRESS", Some("User Initiated".to_string())));
                match &blocked {
                    Some(b) => {
                        let failed = event(
                            completes,
                            &b.logical_id,
                            b.physical_id.clone(),
                            &b.resource_type,
                            "DELETE_FAILED",
                            Some(b.reason.clone()),
                        );
                        s.add_event(failed);
                        s.add_event(stack_event(completes, "DELETE_FAILED", Some(failed_reason(b))));
                    }
                    None => {
                        for r in templates::resources(&name).iter().rev() {
                            s.add_event(event(completes, r.logical_id, None, r.resource_type, "DELETE_COMPLETE", None));
                        }
                        s.add_event(stack_event(completes, "DELETE_COMPLETE", None));
                    }
                }
                s.deletion = Some(Deletion { started, completes, failed: blocked.clone() });
            });
            Ok(())
        })
    }

    fn describe_stack_events(&self, name: Option<String>) -> Result<wire::DescribeStackEventsResult, ApiError> {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Err(ApiError::bad_request("ValidationError", "StackName must be specified."));
        };
        self.stacks.read(|state| {
            let stack = state.find(&name, self.now)?;
            let created = Event {
                id: format!("{}-create", stack.id),
                at: stack.created,
                logical_id: stack.name.clone(),
                physical_id: Some(stack.id.clone()),
                resource_type: "AWS::CloudFormation::Stack".into(),
                status: "CREATE_COMPLETE".into(),
                reason: None,
            };
            // Newest first, as CloudFormation lists them; what is still to happen is not shown.
            let events: Vec<wire::StackEvent> = std::iter::once(&created)
                .chain(stack.events.iter())
                .filter(|e| e.at <= self.now)
                .rev()
                .map(|e| wire::StackEvent {
                    stack_id: stack.id.clone(),
                    event_id: e.id.clone(),
                    stack_name: stack.name.clone(),
                    logical_resource_id: Some(e.logical_id.clone()),
                    physical_resource_id: e.physical_id.clone(),
                    resource_type: Some(e.resource_type.clone()),
                    timestamp: time(e.at),
                    resource_status: Some(e.status.clone()),
                    resource_status_reason: e.reason.clone(),
                    resource_properties: None,
                    client_request_token: None,
                })
                .collect();
            Ok(wire::DescribeStackEventsResult { stack_events: Members::from(events), next_token: None })
        })
    }
}

/// The stack's reason when a resource failed to delete, in CloudFormation's words.
fn failed_reason(blocked: &Blocked) -> String {
    format!("The following resource(s) failed to delete: [{}]. ", blocked.logical_id)
}

fn not_checked() -> wire::StackDriftInformation {
    wire::StackDriftInformation { stack_drift_status: "NOT_CHECKED".into(), last_check_timestamp: None }
}

fn resource_not_checked() -> wire::ResourceDriftInformation {
    wire::ResourceDriftInformation { stack_resource_drift_status: "NOT_CHECKED".into(), last_check_timestamp: None }
}
