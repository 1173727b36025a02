//! What a check says: its status, one line of summary, a hint carrying the action it
//! recommends, the evidence it saw, and what it found that its caller may record.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::evidence::Evidence;
use crate::aws::AwsProblem;
use crate::guide::CheckId;
pub use crate::guide::Remedy;
#[cfg(test)]
use crate::guide::SolveAction;
use crate::secret::Secret;
use crate::settings::{Field, Values};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// The check could not be carried out (no permission, AWS unreachable, timed out).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Error => "error",
        }
    }
}

/// One line on what to do: a sentence, and the action it recommends when walab can name one.
/// Text from the lab file stays text (its inline `code` marked with backticks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub text: String,
    pub action: Option<Remedy>,
}

impl Hint {
    pub fn new(text: impl Into<String>) -> Hint {
        Hint { text: text.into(), action: None }
    }

    /// The same sentence, recommending `action`.
    pub fn by(mut self, action: Remedy) -> Hint {
        self.action = Some(action);
        self
    }

    /// As the command line says it: the sentence, then the command in brackets.
    pub fn for_cli(&self) -> String {
        match self.action {
            Some(action) => format!("{} ({})", self.text, action.command()),
            None => self.text.clone(),
        }
    }
}

impl From<&str> for Hint {
    fn from(text: &str) -> Hint {
        Hint::new(text)
    }
}

impl From<String> for Hint {
    fn from(text: String) -> Hint {
        Hint::new(text)
    }
}

/// In JSON (and the walkthrough's progress file) a hint is the line the CLI prints.
impl Serialize for Hint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.for_cli())
    }
}

impl<'de> Deserialize<'de> for Hint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Hint, D::Error> {
        String::deserialize(deserializer).map(Hint::new)
    }
}

/// Values a check read from AWS, for its caller to record (checks never record anything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The stacks' outputs, validated, with the field each one fills.
    Outputs(Vec<(Field, String)>),
    /// The app client's own secret.
    ClientSecret(Secret),
}

impl Found {
    /// Writes what was found into `values`; returns the fields that changed.
    pub fn record_into(&self, values: &mut Values) -> Vec<(Field, String)> {
        let found: Vec<(Field, String)> = match self {
            Found::Outputs(outputs) => outputs.clone(),
            Found::ClientSecret(secret) => vec![(Field::AppClientSecret, secret.expose().to_string())],
        };
        let mut changed = Vec::new();
        for (field, value) in found {
            if values.get(field) != Some(value.as_str()) {
                values.set(field, Some(value.clone()));
                changed.push((field, value));
            }
        }
        changed
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub status: Status,
    /// One line: what was seen.
    pub summary: String,
    /// What to do about it (failures, errors and skips).
    pub hint: Option<Hint>,
    /// What the check saw, for the evidence pane and `--json` (never secrets).
    pub evidence: Evidence,
    /// What the check read that its caller may record.
    #[serde(skip)]
    pub found: Option<Found>,
}

impl Outcome {
    pub fn passed(summary: impl Into<String>) -> Outcome {
        Outcome { status: Status::Passed, summary: summary.into(), hint: None, evidence: Evidence::None, found: None }
    }

    pub fn failed(summary: impl Into<String>, hint: impl Into<Hint>) -> Outcome {
        Outcome { status: Status::Failed, hint: Some(hint.into()), ..Outcome::passed(summary) }
    }

    /// A failure whose hint, if any, is another outcome's.
    pub fn failed_with(summary: impl Into<String>, hint: Option<Hint>) -> Outcome {
        Outcome { status: Status::Failed, hint, ..Outcome::passed(summary) }
    }

    pub fn skipped(summary: impl Into<String>, hint: impl Into<Hint>) -> Outcome {
        Outcome { status: Status::Skipped, hint: Some(hint.into()), ..Outcome::passed(summary) }
    }

    pub fn error(summary: impl Into<String>, hint: impl Into<Hint>) -> Outcome {
        Outcome { status: Status::Error, hint: Some(hint.into()), ..Outcome::passed(summary) }
    }

    pub fn with_evidence(mut self, evidence: Evidence) -> Outcome {
        self.evidence = evidence;
        self
    }

    pub fn with_found(mut self, found: Found) -> Outcome {
        self.found = Some(found);
        self
    }

    /// The hint as the command line prints it.
    pub fn hint_for_cli(&self) -> Option<String> {
        self.hint.as_ref().map(Hint::for_cli)
    }
}

/// An AWS call failed: when walab could not find out (access, network, throttling, the
/// service's own failure) it is an `error`; a refusal by the service is a failure of the lab.
impl From<AwsProblem> for Outcome {
    fn from(problem: AwsProblem) -> Outcome {
        let status = if problem.is_error() { Status::Error } else { Status::Failed };
        Outcome { status, hint: problem.hint.map(Hint::new), ..Outcome::passed(problem.message) }
    }
}

/// A finished check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: CheckId,
    pub step: &'static str,
    pub title: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub duration_ms: u64,
}

/// Progress of a run, for the walkthrough and the CLI.
#[derive(Debug, Clone)]
pub enum Event {
    Started(CheckId),
    /// A slow check says what it is waiting for.
    Progress(CheckId, String),
    Finished(Box<Report>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_names_its_action_as_a_command_and_serialises_as_that_line() {
        let hint = Hint::new("invalidate /*").by(Remedy::Solve(SolveAction::InvalidateCache));
        assert_eq!(hint.for_cli(), "invalidate /* (walab solve invalidate-cache)");
        assert_eq!(serde_json::to_value(&hint).unwrap(), serde_json::json!(hint.for_cli()));
        let back: Hint = serde_json::from_value(serde_json::json!(hint.for_cli())).unwrap();
        assert_eq!(back.for_cli(), hint.for_cli(), "a saved hint reads the same");
        assert_eq!(Remedy::Record(Field::AppClientSecret).command(), "walab config set app-client-secret -");
        assert_eq!(Remedy::Record(Field::Username).command(), "walab config set username you@example.com");
        assert_eq!(Remedy::GetToken.command(), "walab token");
        assert_eq!(Hint::from("Deploy (`walab solve deploy-api`).").for_cli(), "Deploy (`walab solve deploy-api`).");
    }

    #[test]
    fn found_values_are_recorded_only_where_they_differ() {
        let mut values = Values::default();
        values.set(Field::UserPoolId, Some("us-east-1_Same".into()));
        let found = Found::Outputs(vec![
            (Field::UserPoolId, "us-east-1_Same".into()),
            (Field::AppClientId, "client123".into()),
        ]);
        assert_eq!(found.record_into(&mut values), vec![(Field::AppClientId, "client123".to_string())]);
        assert_eq!(values.app_client_id.as_deref(), Some("client123"));
        let secret = Found::ClientSecret(Secret::new("s3cr3t-value"));
        assert!(!format!("{secret:?}").contains("s3cr3t"), "a found secret stays masked");
    }

    #[test]
    fn access_trouble_is_an_error_and_a_refusal_a_failure() {
        let denied = AwsProblem {
            kind: crate::aws::ProblemKind::AccessDenied,
            message: "not allowed".into(),
            hint: Some("grant it".into()),
        };
        let outcome = Outcome::from(denied);
        assert_eq!((outcome.status, outcome.hint_for_cli().as_deref()), (Status::Error, Some("grant it")));
        let refused = AwsProblem {
            kind: crate::aws::ProblemKind::Service("NotFoundException".into()),
            message: "gone".into(),
            hint: None,
        };
        assert_eq!(Outcome::from(refused).status, Status::Failed);
    }
}
