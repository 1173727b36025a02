//! The headless commands: glue between the command line and the library, one module each.

pub mod request;
