//! The verbs, one file each: every command takes its parsed arguments and returns its exit
//! code, or the [`Failure`] that ended it, which `main` prints.

pub mod check;
pub mod config;
pub mod join;
pub mod request;
pub mod room;
pub mod serve;
pub mod solve;
pub mod token;
pub mod walkthrough;

use std::io::IsTerminal;

use crate::checks::Outcome;
use crate::report::Failure;

/// Changes on AWS are asked about first; without a terminal to ask, they need `--yes`.
pub fn can_ask(asks: bool, what: &str) -> Result<(), Failure> {
    if asks && !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!("{what} on AWS changes your resources, and there is no terminal to ask"))
            .hint("pass --yes to let walab make the changes"));
    }
    Ok(())
}

/// A check's or a console step's outcome that ends the command (exit code 1), under `what`
/// (`sign-up: …`) when given.
pub fn outcome_failure(what: Option<&dyn std::fmt::Display>, outcome: &Outcome) -> Failure {
    let message = match what {
        Some(what) => format!("{what}: {}", outcome.summary),
        None => outcome.summary.clone(),
    };
    Failure::failed(message).maybe_hint(outcome.hint_for_cli())
}

/// The one question before a change: "walab will … Go ahead? [y/N]"; only "y" goes ahead.
pub fn confirm(what: &str) -> bool {
    eprint!("walab will {what}. Go ahead? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim().eq_ignore_ascii_case("y")
}

/// The question before deleting the lab: the learner types `name` (a `y` is too easy to give).
pub fn confirm_by_typing(name: &str) -> bool {
    eprint!("Type {name} to delete these stacks: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == name
}
