//! The walkthrough's state and its pure, synchronous `update`: `state` is what the screen
//! shows, `update` the one place it changes, `message` what goes in and out of it, `actions` what
//! keys do, `modal` the dialogs and `modal_keys` the keys they take, `job` the work handed to
//! the loop. Nothing here
//! touches the network, the terminal or the clock: the time comes in as `now_ms`, set by the
//! loop. The types sit in leaf files (`job`, `modal`, `message`) so the files that change the
//! state import them, never each other in a circle.

mod actions;
mod job;
mod message;
mod modal;
mod modal_keys;
mod state;
mod update;

pub use job::{Copyable, Job};
pub use message::{Effect, JobDone, Msg, StartedOver};
pub use modal::{Modal, TextField, read_from_lab, refusal};
pub use state::*;
pub use update::{unbound_name, update};

#[cfg(test)]
mod tests;
