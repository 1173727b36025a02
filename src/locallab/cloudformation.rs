//! CloudFormation (query protocol, XML answers): the lab's stacks, what they are made of, and
//! their deletion. Requests are read and answers written with the typed models of [`wire`];
//! what each stack is made of is in [`templates`]. Outputs, physical ids and removing a
//! stack's resources belong to the services that hold them: the account gathers them
//! ([`Facts`]), so they stay right when the lab comes back on other ports.
//!
//! Deleting a stack removes its resources at once and then reads `DELETE_IN_PROGRESS` until
//! the lab's deploy time has passed (slow AWS transitions are computed from timestamps, never
//! by timers). A deletion fails, as AWS's does, when something outside the stack still uses one
//! of its resources ([`Facts::blocker`]); on the local lab that is the REST API while a
//! CloudFront distribution still sends its requests to it, which is why the lab's clean-up
//! deletes the CloudFront stack first.

mod ops;
pub mod templates;
pub mod wire;

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{Change, Record, Rows, Slice, StoreError, Table, Tables};
use crate::locallab::machinery::wire::{ApiError, AwsRequest, request_id, xml_response};
use crate::names::{API_STACK, EDGE_STACK};
pub use templates::Modelled;

pub const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/// The most events a stack keeps; older ones make room.
const MAX_EVENTS: usize = 500;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stack {
    pub name: String,
    pub id: String,
    pub description: String,
    pub created: Millis,
    /// The last DeleteStack, once there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<Deletion>,
    /// What happened to the stack since it was created, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

impl Record for Stack {
    const KIND: &'static str = "cloudformation.stack";
    fn key(&self) -> String {
        self.name.clone()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deletion {
    pub started: Millis,
    /// When the deletion is over (complete, or failed).
    pub completes: Millis,
    /// The resource that could not be deleted, if one could not.
    pub failed: Option<Blocked>,
}

/// A resource whose deletion fails, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    pub reason: String,
}

/// One of a stack's events (DescribeStackEvents).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub at: Millis,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackStatus {
    CreateComplete,
    DeleteInProgress,
    DeleteFailed,
    DeleteComplete,
}

impl StackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StackStatus::CreateComplete => "CREATE_COMPLETE",
            StackStatus::DeleteInProgress => "DELETE_IN_PROGRESS",
            StackStatus::DeleteFailed => "DELETE_FAILED",
            StackStatus::DeleteComplete => "DELETE_COMPLETE",
        }
    }
}

impl Stack {
    pub fn status(&self, now: Millis) -> StackStatus {
        match &self.deletion {
            None => StackStatus::CreateComplete,
            Some(d) if now < d.completes => StackStatus::DeleteInProgress,
            Some(Deletion { failed: Some(_), .. }) => StackStatus::DeleteFailed,
            Some(_) => StackStatus::DeleteComplete,
        }
    }

    /// Gone for good: what a name no longer finds.
    pub fn is_deleted(&self, now: Millis) -> bool {
        self.status(now) == StackStatus::DeleteComplete
    }

    fn add_event(&mut self, event: Event) {
        self.events.push(event);
        if self.events.len() > MAX_EVENTS {
            let extra = self.events.len() - MAX_EVENTS;
            self.events.drain(..extra);
        }
    }
}

/// One account's stacks.
pub struct StacksState {
    pub stacks: Table<Stack>,
}

impl Tables for StacksState {
    const KINDS: &'static [&'static str] = &[Stack::KIND];
    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        Ok(StacksState { stacks: rows.table()? })
    }
    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.stacks.take_changes(out);
    }
}

impl StacksState {
    /// The lab's two stacks, as sections 1 and 3 left them.
    pub fn seed(now: Millis, region: &str, account: &str) -> Self {
        let stack = |name: &str, description: &str, created: Millis| Stack {
            name: name.to_string(),
            id: format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/{}", ids::uuid()),
            description: description.to_string(),
            created,
            deletion: None,
            events: Vec::new(),
        };
        let mut stacks = Table::default();
        stacks.insert(stack(
            API_STACK,
            "Section 1: the API, its Lambda function and the MySQL database",
            now - 7_200_000,
        ));
        stacks.insert(stack(EDGE_STACK, "Section 3: CloudFront, WAF and the Cognito user pool", now - 3_600_000));
        StacksState { stacks }
    }

    /// In creation order.
    fn in_order(&self) -> Vec<&Stack> {
        let mut stacks: Vec<&Stack> = self.stacks.values().collect();
        stacks.sort_by_key(|s| s.created);
        stacks
    }

    /// The stack a request names: by name while it exists, by its id (ARN) even once deleted,
    /// as CloudFormation finds them.
    fn find(&self, name_or_id: &str, now: Millis) -> Result<&Stack, ApiError> {
        self.stacks
            .values()
            .find(|s| s.id == name_or_id || (s.name == name_or_id && !s.is_deleted(now)))
            .ok_or_else(|| does_not_exist(name_or_id))
    }
}

pub fn does_not_exist(name: &str) -> ApiError {
    ApiError::bad_request("ValidationError", format!("Stack with id {name} does not exist"))
}

/// One output of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub key: &'static str,
    pub value: String,
    pub description: &'static str,
}

/// What CloudFormation learns from the account's other services.
pub trait Facts {
    /// The outputs of `stack`, exactly the keys the lab's templates declare.
    fn outputs(&self, stack: &str) -> Vec<Output>;
    /// The physical id of a resource a service holds, while it exists.
    fn physical_id(&self, resource: Modelled) -> Option<String>;
    /// What outside `stack` still uses one of its resources: its deletion fails on that.
    fn blocker(&self, stack: &str) -> Option<Blocked>;
    /// Removes `stack`'s resources from the services that hold them; removing what is already
    /// gone does nothing.
    fn delete_resources(&self, stack: &str) -> Result<(), ApiError>;
}

pub fn handle(
    ctx: &AccountContext,
    stacks: &Slice<StacksState>,
    facts: &dyn Facts,
    req: &AwsRequest,
) -> (Response, Observed) {
    let result = wire::Request::parse(&req.body).map_err(ApiError::from).and_then(|request| {
        let now = ctx.now_ms();
        let request_id = request_id();
        let op = ops::Op { ctx, stacks, facts, now, request_id: &request_id };
        op.answer(request)
    });
    match result {
        Ok((body, observed)) => (xml_response(StatusCode::OK, body), observed),
        Err(e) => (e.into_xml(NAMESPACE), Observed::default()),
    }
}

/// What an answered request saw that a room's progress counts: the stacks a DescribeStacks
/// described, by name (a failed request observes nothing).
#[derive(Debug, Default)]
pub struct Observed {
    pub described: Vec<String>,
}
