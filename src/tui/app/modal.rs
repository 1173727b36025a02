//! The dialogs over the layout (help, a question, editing a value, the password, a message)
//! and the keys they take while open.

use crossterm::event::{KeyCode, KeyEvent};
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use super::{App, Effect, Job};
use crate::guide::{CheckId, SolveAction};
use crate::secret::Secret;
use crate::settings::{Field, SettingsError, Values};

/// The longest value a field takes (a pasted secret or URL fits many times over).
const MAX_INPUT: usize = 512;

/// A one-line text field with a cursor: Left/Right, Home/End, Ctrl-U/W/K, paste (tui-input).
#[derive(Debug, Clone, Default)]
pub struct TextField(Input);

impl TextField {
    pub fn new(value: impl Into<String>) -> TextField {
        TextField(Input::new(value.into()))
    }

    pub fn value(&self) -> &str {
        self.0.value()
    }

    /// Where the cursor is, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.0.cursor()
    }

    /// Applies a key; false when the key is not an editing key.
    pub fn key(&mut self, key: &KeyEvent) -> bool {
        match to_input_request(&crossterm::event::Event::Key(*key)) {
            Some(InputRequest::InsertChar(c)) if c.is_control() || self.full() => true,
            Some(request) => {
                self.0.handle(request);
                true
            }
            None => false,
        }
    }

    /// Inserts pasted text at the cursor (line breaks and control characters dropped).
    pub fn paste(&mut self, text: &str) {
        for c in text.chars().filter(|c| !c.is_control()) {
            if self.full() {
                break;
            }
            self.0.handle(InputRequest::InsertChar(c));
        }
    }

    fn full(&self) -> bool {
        self.0.value().chars().count() >= MAX_INPUT
    }
}

impl PartialEq for TextField {
    fn eq(&self, other: &TextField) -> bool {
        self.value() == other.value() && self.cursor() == other.cursor()
    }
}

/// A dialog over the layout; it takes the keys while open.
#[derive(Clone, PartialEq)]
pub enum Modal {
    Help,
    Confirm(SolveAction),
    Edit {
        key: Field,
        input: TextField,
        /// Why the value as typed would not be recorded (checked as it is typed).
        error: Option<String>,
    },
    /// The password, then `then` (signing in, or signing up).
    Password {
        input: TextField,
        then: Job,
    },
    Message {
        title: String,
        lines: Vec<String>,
    },
    /// Start the section over? `why` says what made walab ask (another lab under it).
    StartOver {
        why: Option<String>,
    },
    /// Deleting the lab's stacks on AWS: nothing happens until the first stack's `name` is
    /// typed, as the CLI asks. `wrong`: Enter was pressed on something else.
    ConfirmByName {
        action: SolveAction,
        name: String,
        input: TextField,
        wrong: bool,
    },
    /// The local lab's stacks are gone (the teardown, or DeleteStack from any client): start
    /// the lab over?
    TornDown,
    /// A check read values from the lab that differ from those the learner recorded by hand:
    /// (field, the lab's, the recorded). Nothing is replaced until the learner says so.
    Replace {
        values: Vec<(Field, String, String)>,
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
            Modal::StartOver { why } => write!(f, "StartOver({why:?})"),
            Modal::ConfirmByName { action, name, input, wrong } => {
                write!(f, "ConfirmByName({action}, {name}, {:?}, wrong: {wrong})", input.value())
            }
            Modal::TornDown => f.write_str("TornDown"),
            Modal::Replace { values } => {
                let names: Vec<&str> = values.iter().map(|(f, _, _)| f.name()).collect();
                write!(f, "Replace({names:?})")
            }
        }
    }
}

/// Whether `key` is a value the lab itself gives (a stack output, the app client's secret).
pub fn read_from_lab(key: Field) -> bool {
    key != Field::Username
}

/// Why `input` would not be recorded for `key`, if it would not: a malformed value, or one the
/// next run would replace with the lab's own (`from_lab`).
pub fn refusal(from_lab: &Values, key: Field, input: &str) -> Option<String> {
    let value = match key.validate(input) {
        Ok(value) => value,
        Err(SettingsError::BadValue { reason, .. }) => return Some(reason),
        Err(e) => return Some(e.to_string()),
    };
    if let Some(reason) = lab_shape(key, &value) {
        return Some(reason);
    }
    match from_lab.get(key) {
        Some(lab) if lab != value => Some(if key.is_secret() {
            "the app client's own secret is different, and the next run would record it again".to_string()
        } else {
            format!("the stack says {lab}, and the next run would record that again")
        }),
        _ => None,
    }
}

/// Why `value` is not shaped like the lab's own `key` (the stack outputs' forms, LAB.md): a
/// pool id is `<region>_` and 9 letters and digits, an app client id 26 lowercase letters and
/// digits, the endpoints `http(s)://host/…?id=1`.
pub fn lab_shape(key: Field, value: &str) -> Option<String> {
    match key {
        Field::UserPoolId => {
            let id = value.split_once('_').map_or("", |(_, id)| id);
            (id.chars().count() != 9).then(|| {
                format!(
                    "the part after _ is 9 letters and digits in a lab pool id (this one has {})",
                    id.chars().count()
                )
            })
        }
        Field::AppClientId => {
            let ok = value.chars().count() == 26 && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            (!ok).then(|| {
                format!("an app client id is 26 lowercase letters and digits (this one has {})", value.chars().count())
            })
        }
        Field::CloudFrontEndpoint | Field::ApiGatewayUrl => {
            let url = reqwest::Url::parse(value).ok()?;
            let has_id = url.query_pairs().any(|(k, _)| k == "id");
            let stage = key != Field::ApiGatewayUrl || url.path().starts_with("/Dev");
            match (has_id, stage) {
                (true, true) => None,
                (_, false) => Some(
                    "the API URL goes to stage Dev: https://<api>.execute-api.<region>.amazonaws.com/Dev/?id=1".into(),
                ),
                (false, _) => Some("the lab's endpoints end in ?id=1 (the API needs it)".into()),
            }
        }
        Field::AppClientSecret | Field::Username => None,
    }
}

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
