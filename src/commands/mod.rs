//! The headless commands: each takes its parsed arguments and returns the exit code.

pub mod check;
pub mod config;
pub mod request;
pub mod solve;
pub mod token;
