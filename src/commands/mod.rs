//! The headless commands: each takes its parsed arguments and returns the exit code.

pub mod check;
pub mod config;
pub mod join;
pub mod request;
pub mod room;
pub mod serve;
pub mod solve;
pub mod token;

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::report::{USAGE, fail};

/// Changes on AWS are asked about first; without a terminal to ask, they need `--yes`.
pub fn can_ask(asks: bool, what: &str) -> Result<(), ExitCode> {
    if asks && !std::io::stdin().is_terminal() {
        return Err(fail(
            USAGE,
            format!("{what} on AWS changes your resources, and there is no terminal to ask"),
            Some("pass --yes to let walab make the changes".into()),
        ));
    }
    Ok(())
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
