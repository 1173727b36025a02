//! The dialogs over the layout (help, a question, editing a value, the password, a message)
//! and the text field they edit in; the keys they take while open are `modal_keys`.

use crossterm::event::KeyEvent;
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use super::job::Job;
use crate::guide::SolveAction;
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
