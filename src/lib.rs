//! walab: a terminal walkthrough of section 5 of the Well-Architected lab "Multilayered API
//! Security with Cognito and WAF", its lab checks and tools, and a local lab that serves the
//! lab's AWS environment over the real AWS wire protocols.

pub mod aws;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod fsutil;
pub mod guide;
pub mod locallab;
pub mod logging;
pub mod names;
pub mod probe;
pub mod report;
pub mod secret;
pub mod serve;
pub mod session;
pub mod settings;
pub mod signals;
pub mod solve;
pub mod srp;
pub mod target;
pub mod token;
pub mod tui;
pub mod workshop;
