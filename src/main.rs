//! walab's entry point: parse the command line, hand the verb to its command, and report what
//! comes back: the exit code, or a failure, printed here and only here.

use std::process::ExitCode;

use clap::Parser;
use walab::cli::Cli;
use walab::commands;
use walab::report::{Paint, write_err};

fn main() -> ExitCode {
    match commands::run(Cli::parse()) {
        Ok(code) => code,
        Err(failure) => {
            for line in failure.lines(&Paint::for_stderr()) {
                write_err(format_args!("{line}"));
            }
            failure.exit_code()
        }
    }
}
