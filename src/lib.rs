//! walab: a terminal walkthrough of section 5 of the Well-Architected lab "Multilayered API
//! Security with Cognito and WAF", its lab checks and tools, and a local lab that serves the
//! lab's AWS environment over the real AWS wire protocols.
//!
//! # The modules, from the user inwards
//!
//! Each owns one thing, and imports point one way (`tests/it/module_graph.rs` fails on a circle):
//!
//! - [`cli`] is what can be typed; `main.rs` hands each verb to its file in [`commands`] (one
//!   per verb: `check`, `config`, `join`, `request`, `room`, `serve`, `solve`, `token`) or,
//!   with none, to [`tui`] (the walkthrough). [`workshop`] is the machinery of a room's
//!   client side (the join and dashboard requests, the registry of rooms running here, the
//!   instructor's dashboard); [`attendee`] is what a walab that joined a room holds of it
//!   (used by `commands` and `target`).
//! - [`session`] sets up what the faces share: the [`target`] (local lab, AWS or a room, as one
//!   `SdkConfig`), the values recorded in [`settings`], who signs in, and the checks' context.
//! - [`guide`] is the lesson as data (steps, text, which checks and solves each step owns);
//!   [`checks`] read the lab and judge it, [`solve`] does the console steps; both reach AWS only
//!   through [`aws`], and HTTP requests through [`probe`]. [`token`] and [`srp`] sign users in.
//! - [`locallab`] is the emulator: accounts on a SQLite store, one slice per service, three
//!   listeners. It knows nothing of the faces: they start and stop it (a `RunningLab`, the
//!   walkthrough's embedded lab through [`target`]) and otherwise reach it over HTTP like any
//!   other client.
//! - Leaves every layer uses: [`names`] (the lab's fixed names), [`secret`] (values that never
//!   print), [`report`] (errors, exit codes, output that survives closed pipes), [`signals`],
//!   [`logging`], [`fsutil`] (private files written atomically) and [`expiring`] (a bounded
//!   map of short-lived entries: SRP challenges, the hosted UI's codes and sessions).

pub mod attendee;
pub mod aws;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod expiring;
pub mod fsutil;
pub mod guide;
pub mod locallab;
pub mod logging;
pub mod names;
pub mod probe;
pub mod report;
pub mod secret;
pub mod session;
pub mod settings;
pub mod signals;
pub mod solve;
pub mod srp;
pub mod target;
pub mod token;
pub mod tui;
pub mod workshop;
