//! What goes into `update` (a `Msg`: a key, a check's progress, finished work) and what comes
//! out of it (an `Effect` for the loop to carry out).

use crossterm::event::KeyEvent;

use super::job::{Copyable, Job};
use super::state::Email;
use crate::checks::{Event, Outcome};
use crate::guide::SolveAction;
use crate::secret::Secret;
use crate::settings::Field;
use crate::solve::Solved;

/// Finished work, as the loop reports it. Its checks' reports came before it, each once, as
/// `Msg::Check`.
#[derive(Debug, Clone, Default)]
pub struct JobDone {
    pub cancelled: bool,
    pub solved: Option<(SolveAction, Result<Solved, Outcome>)>,
    pub email: Option<Email>,
    /// Starting over: what became of the lab.
    pub started_over: Option<StartedOver>,
}

/// The lab after starting over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartedOver {
    /// The local lab was set back to where section 5 begins: its new account.
    pub account: Option<String>,
    /// Who signs in now (the new lab's demo user), and whether walab knows the password.
    pub signs_in: Option<String>,
    pub password_known: bool,
    /// Why the lab itself was left as it is (it is AWS, or another walab serves it).
    pub lab_kept: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Time passed (only sent while something on screen moves).
    Tick,
    /// A check started, made progress or finished (on the same queue as everything else).
    Check(Event),
    Done(Box<JobDone>),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The mouse wheel turned (only with `--mouse`), with the pointer at `column`, `row`.
    Wheel {
        down: bool,
        column: u16,
        row: u16,
    },
    /// SIGTERM or SIGINT from outside.
    Terminate,
}

/// What `update` asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Start(Job),
    Cancel,
    /// Checks use this value from now on, and it is recorded (an edit, or found by a check).
    SetValue(Field, String),
    SetPassword(Secret),
    Copy(String),
    /// Copy what the evidence pane offers (the loop has the token).
    CopyEvidence(Copyable),
    /// Forget the recorded values (starting over), keeping the username when `keep_username`.
    ForgetValues {
        keep_username: bool,
    },
    /// Write the progress file.
    Save,
    Quit,
}
