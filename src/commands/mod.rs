//! The headless commands: each takes its parsed arguments and returns the exit code.

pub mod config;
pub mod request;

use std::process::ExitCode;

/// Exit code 2: usage or configuration error (DESIGN.md).
pub const USAGE: u8 = 2;

/// Prints an error (and its hint) the one way walab reports errors, and returns `code`.
pub fn fail(code: u8, error: impl std::fmt::Display, hint: Option<String>) -> ExitCode {
    eprintln!("walab: error: {error}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    ExitCode::from(code)
}
