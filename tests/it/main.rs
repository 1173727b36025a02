//! walab's integration tests, as one binary (cargo's own model, `tests/testsuite/main.rs`):
//! the library and its SDKs are linked once, not once per file. A module per subject; what
//! they share is in `common`. Run one subject with `cargo test --test it room::`.

mod common;

mod apigateway;
mod apigateway_more;
mod aws_fixtures;
mod browser;
mod checks;
mod cli_bounds;
mod cli_config;
mod cli_lab;
mod cli_output;
mod cli_pipe;
mod cloudformation;
mod cloudfront;
mod cognito;
mod cognito_passwords;
mod cognito_sessions;
mod cognito_srp;
mod connections;
mod durability;
mod endless;
mod forged_tokens;
mod hardening_cli;
mod hardening_sign_in;
mod hardening_store;
mod iam_policy;
mod input_bounds;
mod locallab;
mod module_graph;
mod moto;
mod request;
mod room;
mod room_dashboard;
mod room_trust;
mod screenshot;
mod section5;
mod service_faults;
mod stable_addresses;
mod sts_waf;
mod target;
mod tui_loop;
mod tui_props;
mod tui_pty;
mod tui_view;
mod waf_sdk;
