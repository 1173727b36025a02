//! The dialogs over the layout (help, a question, editing a value, the password, a message)
//! and the keys they take while open.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Job};
use crate::guide::SolveAction;
use crate::secret::Secret;
use crate::settings::Field;

/// A dialog over the layout; it takes the keys while open.
#[derive(Clone, PartialEq)]
pub enum Modal {
    Help,
    Confirm(SolveAction),
    Edit {
        key: Field,
        input: String,
        error: Option<String>,
    },
    /// The password, then `then` (signing in, or signing up).
    Password {
        input: String,
        then: Job,
    },
    Message {
        title: String,
        lines: Vec<String>,
    },
}

impl std::fmt::Debug for Modal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Modal::Help => f.write_str("Help"),
            Modal::Confirm(a) => write!(f, "Confirm({a})"),
            Modal::Edit { key, error, .. } => write!(f, "Edit({}, {error:?})", key.name()),
            Modal::Password { .. } => f.write_str("Password(••••)"),
            Modal::Message { title, .. } => write!(f, "Message({title})"),
        }
    }
}

pub(super) fn on_modal_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(modal) = app.modal.take() else { return vec![] };
    match modal {
        Modal::Help | Modal::Message { .. } => match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') => vec![],
            KeyCode::Char('q') => app.quit(),
            _ => {
                app.modal = Some(modal);
                vec![]
            }
        },
        Modal::Confirm(action) => match key.code {
            // Signing up needs the password the learner chooses.
            KeyCode::Char('y') | KeyCode::Enter if action == SolveAction::SignUp && !app.password_known => {
                app.modal = Some(Modal::Password { input: String::new(), then: Job::Solve(action) });
                vec![]
            }
            KeyCode::Char('y') | KeyCode::Enter => app.start(Job::Solve(action)),
            KeyCode::Char('n') | KeyCode::Esc => vec![],
            _ => {
                app.modal = Some(modal);
                vec![]
            }
        },
        Modal::Edit { key: value_key, mut input, .. } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => match value_key.validate(&input) {
                Ok(value) => {
                    if value_key == Field::Username && app.signs_in.as_deref() != Some(value.as_str()) {
                        // Someone else signs in now: their password is not the one walab knew.
                        app.password_known = false;
                    }
                    app.values.set(value_key, Some(value.clone()));
                    app.toast(format!("recorded {}", value_key.label().to_lowercase()));
                    vec![Effect::SetValue(value_key, value)]
                }
                Err(e) => {
                    app.modal = Some(Modal::Edit { key: value_key, input, error: Some(e.to_string()) });
                    vec![]
                }
            },
            code => {
                edit_text(&mut input, code);
                // The refusal goes once the learner starts fixing the value.
                app.modal = Some(Modal::Edit { key: value_key, input, error: None });
                vec![]
            }
        },
        Modal::Password { mut input, then } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter if !input.is_empty() => {
                app.password_known = true;
                app.password_typed = true;
                let mut effects = vec![Effect::SetPassword(Secret::new(input))];
                effects.extend(app.start(then));
                effects
            }
            code => {
                edit_text(&mut input, code);
                app.modal = Some(Modal::Password { input, then });
                vec![]
            }
        },
    }
}

fn edit_text(input: &mut String, code: KeyCode) {
    match code {
        KeyCode::Char(c) if !c.is_control() && input.chars().count() < 512 => input.push(c),
        KeyCode::Backspace => {
            input.pop();
        }
        _ => {}
    }
}
