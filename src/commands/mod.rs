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
use std::process::ExitCode;

use crate::checks::Outcome;
use crate::cli::{Cli, Command};
use crate::report::Failure;

/// Runs the verb on the command line on a runtime of its own. It lives here, not in `main`, so
/// the binary calls one plain function and the commands' futures are compiled once, in the
/// library (in `main`, `block_on` made a release build compile them a second time).
pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    match cli.command {
        Some(Command::Serve(args)) => {
            crate::logging::to_stderr();
            runtime.block_on(serve::run(args))
        }
        Some(Command::Join(args)) => runtime.block_on(join::run(args, cli.theme, cli.mouse)),
        Some(Command::Room(args)) => runtime.block_on(room::run(args, cli.theme)),
        Some(Command::Config(args)) => runtime.block_on(config::run(args, &cli.target)),
        Some(Command::Request(args)) => runtime.block_on(request::run(args)),
        Some(Command::Check(args)) => runtime.block_on(check::run(args, &cli.target)),
        Some(Command::Solve(args)) => runtime.block_on(solve::run(args, &cli.target)),
        Some(Command::Token(args)) => runtime.block_on(token::run(args, &cli.target)),
        None => runtime.block_on(walkthrough::run(&cli.target, cli.theme, cli.mouse)),
    }
}

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
