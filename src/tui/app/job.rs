//! The work the walkthrough hands to the loop (a `Job` runs on a task) and what `y` copies
//! that only the loop can resolve: plain data, shared by the state, the dialogs and `update`.

use crate::guide::{CheckId, SolveAction};

/// Work the loop runs on a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Checks(Vec<CheckId>),
    /// The console step, then the checks it can change.
    Solve(SolveAction, Vec<CheckId>),
    /// Sign in (the `id-token` check, which keeps the token), then the checks that use it.
    Token(Vec<CheckId>),
    /// Start the section over: the local lab set back to where section 5 begins (when this
    /// walkthrough runs it), the values forgotten, then the stacks read again.
    StartOver,
}

impl Job {
    /// The checks the job runs, in order.
    pub fn checks(&self) -> Vec<CheckId> {
        match self {
            Job::Checks(ids) | Job::Solve(_, ids) => ids.clone(),
            Job::Token(then) => std::iter::once(CheckId::IdToken).chain(then.iter().copied()).collect(),
            Job::StartOver => vec![CheckId::StackOutputs],
        }
    }
}

/// What `y` copies from the evidence pane: the loop resolves it (the token lives in the
/// check context, never in the walkthrough's state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Copyable {
    /// The raw ID token, as the `Authorization` header takes it.
    IdToken,
    /// A `curl` line that repeats the request the check made.
    Curl { url: String, with_token: bool },
}
