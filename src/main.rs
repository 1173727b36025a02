//! walab's entry point: parse the command line, hand the verb to its command, and report what
//! comes back: the exit code, or a failure, printed here and only here.

use std::process::ExitCode;

use clap::Parser;
use walab::cli::{Cli, Command};
use walab::commands;
use walab::report::{Failure, Paint, write_err};

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(failure) => {
            for line in failure.lines(&Paint::for_stderr()) {
                write_err(format_args!("{line}"));
            }
            failure.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    match cli.command {
        Some(Command::Serve(args)) => {
            walab::logging::to_stderr();
            runtime.block_on(commands::serve::run(args))
        }
        Some(Command::Join(args)) => runtime.block_on(commands::join::run(args, cli.theme, cli.mouse)),
        Some(Command::Room(args)) => runtime.block_on(commands::room::run(args, cli.theme)),
        Some(Command::Config(args)) => runtime.block_on(commands::config::run(args, &cli.target)),
        Some(Command::Request(args)) => runtime.block_on(commands::request::run(args)),
        Some(Command::Check(args)) => runtime.block_on(commands::check::run(args, &cli.target)),
        Some(Command::Solve(args)) => runtime.block_on(commands::solve::run(args, &cli.target)),
        Some(Command::Token(args)) => runtime.block_on(commands::token::run(args, &cli.target)),
        None => runtime.block_on(commands::walkthrough::run(&cli.target, cli.theme, cli.mouse)),
    }
}
