//! walab's entry point: parse the command line and hand over.

use std::process::ExitCode;

use clap::Parser;
use walab::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            walab::report::write_err(format_args!("walab: error: cannot start the async runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Serve(args)) => {
            walab::logging::to_stderr();
            runtime.block_on(walab::commands::serve::run(args))
        }
        Some(Command::Join(args)) => runtime.block_on(walab::commands::join::run(args, cli.theme, cli.mouse)),
        Some(Command::Room(args)) => runtime.block_on(walab::commands::room::run(args, cli.theme)),
        Some(Command::Config(args)) => runtime.block_on(walab::commands::config::run(args, &cli.target)),
        Some(Command::Request(args)) => runtime.block_on(walab::commands::request::run(args)),
        Some(Command::Check(args)) => runtime.block_on(walab::commands::check::run(args, &cli.target)),
        Some(Command::Solve(args)) => runtime.block_on(walab::commands::solve::run(args, &cli.target)),
        Some(Command::Token(args)) => runtime.block_on(walab::commands::token::run(args, &cli.target)),
        None => runtime.block_on(walab::tui::run(&cli.target, cli.theme, cli.mouse)),
    }
}
