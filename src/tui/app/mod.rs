//! The walkthrough's state and its pure, synchronous `update`: `state` is what the screen
//! shows, `update` the one place it changes, `modal` the dialogs and their keys. Nothing here
//! touches the network, the terminal or the clock: the time comes in as `now_ms`, set by the
//! loop.

mod modal;
mod state;
mod update;

pub use modal::{Modal, TextField, read_from_lab, refusal};
pub use state::*;
pub use update::{Effect, JobDone, Msg, StartedOver, unbound_name, update};

#[cfg(test)]
mod tests;
