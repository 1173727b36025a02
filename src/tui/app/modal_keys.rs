//! The keys a dialog takes while it is open (and pasted text): `update` hands them here, and
//! they change the state and ask for effects the same way.

use crossterm::event::{KeyCode, KeyEvent};

use super::job::Job;
use super::message::Effect;
use super::modal::{Modal, TextField, refusal};
use super::state::App;
use crate::guide::{CheckId, SolveAction};
use crate::secret::Secret;
use crate::settings::Field;

/// The checks whose verdict a new value for `key` can change and that can run now (those that
/// sign in only when walab knows the password); the others stay stale until they run.
fn affected_by(app: &App, key: Field) -> Vec<CheckId> {
    let signs_in = |id: &CheckId| matches!(id, CheckId::IdToken | CheckId::Authenticated200);
    let downstream: Vec<CheckId> =
        CheckId::depending_on(key).into_iter().filter(|id| app.password_known || !signs_in(id)).collect();
    app.rechecks(&[], &downstream)
}

pub(super) fn on_modal_paste(app: &mut App, text: &str) -> Vec<Effect> {
    match &mut app.modal {
        Some(Modal::Edit { key, input, error }) => {
            input.paste(text);
            *error = if input.value().is_empty() { None } else { refusal(&app.from_lab, *key, input.value()) };
        }
        Some(Modal::Password { input, .. }) => input.paste(text),
        Some(Modal::ConfirmByName { input, wrong, .. }) => {
            input.paste(text);
            *wrong = false;
        }
        _ => {}
    }
    vec![]
}

pub(super) fn on_modal_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(modal) = app.modal.take() else { return vec![] };
    match modal {
        Modal::Help | Modal::Message { .. } => {
            let page = i32::from(app.size.1.saturating_sub(6).max(1));
            app.modal = Some(modal);
            match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') => {
                    app.modal = None;
                    app.modal_scroll = 0;
                }
                KeyCode::Char('q') => {
                    app.modal = None;
                    return app.quit();
                }
                KeyCode::Down | KeyCode::Char('j') => app.scroll_modal(1),
                KeyCode::Up | KeyCode::Char('k') => app.scroll_modal(-1),
                KeyCode::PageDown => app.scroll_modal(page),
                KeyCode::PageUp => app.scroll_modal(-page),
                _ => {}
            }
            vec![]
        }
        Modal::Confirm(action) => match key.code {
            // Signing up needs the password the learner chooses.
            KeyCode::Char('y') | KeyCode::Enter if action == SolveAction::SignUp && !app.password_known => {
                let then = Job::Solve(action, app.after_solve(action));
                app.modal = Some(Modal::Password { input: TextField::default(), then });
                vec![]
            }
            KeyCode::Char('y') | KeyCode::Enter => {
                let rechecks = app.after_solve(action);
                app.start(Job::Solve(action, rechecks))
            }
            KeyCode::Char('n') | KeyCode::Esc => vec![],
            _ => {
                app.modal = Some(modal);
                vec![]
            }
        },
        Modal::StartOver { why } => match key.code {
            KeyCode::Char('y') | KeyCode::Enter => app.start_over(),
            KeyCode::Char('n') | KeyCode::Esc => {
                if why.is_some() {
                    // Keep the results, but they are about this lab from now on.
                    app.lab = app.lab.merged(&app.lab_here());
                    app.toast("kept your results, shown stale until R checks them against this lab");
                    return vec![Effect::Save];
                }
                vec![]
            }
            _ => {
                app.modal = Some(Modal::StartOver { why });
                vec![]
            }
        },
        Modal::ConfirmByName { action, name, mut input, .. } => match key.code {
            KeyCode::Esc => {
                app.toast(format!("{action} cancelled: nothing was deleted"));
                vec![]
            }
            KeyCode::Enter if input.value().trim() == name => {
                let rechecks = app.after_solve(action);
                app.start(Job::Solve(action, rechecks))
            }
            KeyCode::Enter => {
                app.modal = Some(Modal::ConfirmByName { action, name, input, wrong: true });
                vec![]
            }
            _ => {
                input.key(&key);
                app.modal = Some(Modal::ConfirmByName { action, name, input, wrong: false });
                vec![]
            }
        },
        Modal::TornDown => match key.code {
            KeyCode::Char('y') | KeyCode::Enter => app.start_over(),
            KeyCode::Char('n') | KeyCode::Esc => {
                app.toast("kept as it is; O starts the lab over when you want it back");
                vec![]
            }
            _ => {
                app.modal = Some(Modal::TornDown);
                vec![]
            }
        },
        Modal::Replace { values } => match key.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                let mut effects = Vec::new();
                for (field, lab, _) in &values {
                    app.values.set(*field, Some(lab.clone()));
                    app.mark_stale(*field);
                    effects.push(Effect::SetValue(*field, lab.clone()));
                }
                app.toast("recorded the lab's values: R checks again with them");
                effects.push(Effect::Save);
                effects
            }
            KeyCode::Char('n') | KeyCode::Esc => {
                app.toast("kept your values: the checks use them (e changes one)");
                vec![]
            }
            _ => {
                app.modal = Some(Modal::Replace { values });
                vec![]
            }
        },
        Modal::Edit { key: value_key, mut input, .. } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => match refusal(&app.from_lab, value_key, input.value()) {
                None => {
                    let value = value_key.validate(input.value()).unwrap_or_default();
                    if value_key == Field::Username && app.signs_in.as_deref() != Some(value.as_str()) {
                        // Someone else signs in now: their password is not the one walab knew.
                        app.password_known = false;
                    }
                    let changed = app.values.get(value_key) != Some(value.as_str());
                    app.values.set(value_key, Some(value.clone()));
                    if changed {
                        app.mark_stale(value_key);
                    }
                    let mut effects = vec![Effect::SetValue(value_key, value)];
                    let rechecks = affected_by(app, value_key);
                    if rechecks.is_empty() {
                        app.toast(format!("recorded {}", value_key.label().to_lowercase()));
                    } else {
                        app.toast(format!("recorded {}; re-checking what uses it", value_key.label().to_lowercase()));
                        effects.extend(app.start(Job::Checks(rechecks)));
                    }
                    effects
                }
                Some(reason) => {
                    app.modal = Some(Modal::Edit { key: value_key, input, error: Some(reason) });
                    vec![]
                }
            },
            _ => {
                input.key(&key);
                // Checked as it is typed; an empty field is not wrong yet.
                let error =
                    if input.value().is_empty() { None } else { refusal(&app.from_lab, value_key, input.value()) };
                app.modal = Some(Modal::Edit { key: value_key, input, error });
                vec![]
            }
        },
        Modal::Password { mut input, then } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter if !input.value().is_empty() => {
                app.password_known = true;
                app.password_typed = true;
                let mut effects = vec![Effect::SetPassword(Secret::new(input.value()))];
                effects.extend(app.start(then));
                effects
            }
            _ => {
                input.key(&key);
                app.modal = Some(Modal::Password { input, then });
                vec![]
            }
        },
    }
}
