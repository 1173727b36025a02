//! The lab as data: section 5's steps, their text, the checks each owns and the console steps
//! walab can do for the learner, loaded from `assets/lab.toml` (embedded in the binary) and
//! validated against the check ids and solve actions the code knows.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::settings::Field;

/// The lab file, compiled in: the walkthrough needs no files beside the binary.
const LAB_TOML: &str = include_str!("../../assets/lab.toml");

/// The stable ids of the lab's checks (DESIGN.md), in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    StackOutputs,
    ClientSecret,
    UserConfirmed,
    AuthorizerCreated,
    MethodProtected,
    ApiDeployed,
    HeaderForwarded,
    CacheInvalidated,
    #[serde(rename = "unauthenticated-401")]
    Unauthenticated401,
    IdToken,
    #[serde(rename = "authenticated-200")]
    Authenticated200,
    DirectApiBlocked,
    // Clean up: not among section 5's twelve.
    StackCdnDeleted,
    #[serde(rename = "stack-cloud9-deleted")]
    StackCloud9Deleted,
    StackApiDeleted,
    LogGroupsDeleted,
    BucketDeleted,
}

impl CheckId {
    /// Section 5's twelve, in lab order (the lab model's rows before the Clean up step's).
    pub const ALL: [CheckId; 12] = {
        let mut all = [CheckId::StackOutputs; 12];
        let mut i = 0;
        while i < 12 {
            all[i] = LAB_MODEL[i].id;
            i += 1;
        }
        all
    };

    /// The Clean up step's checks, in the order the lab deletes things. `R` and a plain
    /// `walab check` leave them out; `walab check --teardown` runs them.
    pub const TEARDOWN: [CheckId; 5] = {
        let mut all = [CheckId::StackOutputs; 5];
        let mut i = 0;
        while i < 5 {
            all[i] = LAB_MODEL[12 + i].id;
            i += 1;
        }
        all
    };

    /// Every check walab knows: section 5's, then the Clean up step's.
    pub fn every() -> impl Iterator<Item = CheckId> {
        CheckId::ALL.into_iter().chain(CheckId::TEARDOWN)
    }

    /// Checks walab cannot verify (it does not read CloudWatch Logs or S3): they say where
    /// to look, and are reported `skipped`, never `passed`.
    pub fn is_by_hand(self) -> bool {
        matches!(self, CheckId::LogGroupsDeleted | CheckId::BucketDeleted)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::StackOutputs => "stack-outputs",
            CheckId::ClientSecret => "client-secret",
            CheckId::UserConfirmed => "user-confirmed",
            CheckId::AuthorizerCreated => "authorizer-created",
            CheckId::MethodProtected => "method-protected",
            CheckId::ApiDeployed => "api-deployed",
            CheckId::HeaderForwarded => "header-forwarded",
            CheckId::CacheInvalidated => "cache-invalidated",
            CheckId::Unauthenticated401 => "unauthenticated-401",
            CheckId::IdToken => "id-token",
            CheckId::Authenticated200 => "authenticated-200",
            CheckId::DirectApiBlocked => "direct-api-blocked",
            CheckId::StackCdnDeleted => "stack-cdn-deleted",
            CheckId::StackCloud9Deleted => "stack-cloud9-deleted",
            CheckId::StackApiDeleted => "stack-api-deleted",
            CheckId::LogGroupsDeleted => "log-groups-deleted",
            CheckId::BucketDeleted => "bucket-deleted",
        }
    }

    /// The step of section 5 the check belongs to.
    pub fn step(self) -> &'static str {
        self.definition().step
    }

    /// The check's one definition in the lab model.
    pub fn definition(self) -> &'static CheckDef {
        // Every id has its row: `the_lab_model_defines_every_check_once_in_causal_order` holds it.
        LAB_MODEL.iter().find(|d| d.id == self).unwrap_or(&LAB_MODEL[0])
    }

    /// What the check needs to have passed first, directly.
    pub fn needs(self) -> &'static [CheckId] {
        self.definition().needs
    }

    /// Every check on this one's path, its needs and theirs, in lab order (itself excluded).
    pub fn path(self) -> Vec<CheckId> {
        let mut on_path = std::collections::BTreeSet::new();
        let mut todo: Vec<CheckId> = self.needs().to_vec();
        while let Some(id) = todo.pop() {
            if on_path.insert(id) {
                todo.extend_from_slice(id.needs());
            }
        }
        CheckId::every().filter(|id| on_path.contains(id)).collect()
    }

    /// The checks whose path goes through this one (what a change to it can change), in lab order.
    pub fn downstream(self) -> Vec<CheckId> {
        CheckId::every().filter(|id| id.path().contains(&self)).collect()
    }

    /// The checks whose verdict depends on the recorded `field`: those that read it, and every
    /// check downstream of them, in lab order.
    pub fn depending_on(field: Field) -> Vec<CheckId> {
        let readers: Vec<CheckId> = CheckId::every().filter(|id| id.definition().reads.contains(&field)).collect();
        CheckId::every().filter(|id| readers.contains(id) || readers.iter().any(|r| id.path().contains(r))).collect()
    }

    /// The console step that makes this check pass, if walab can do it.
    pub fn solve(self) -> Option<SolveAction> {
        self.definition().solve
    }
}

/// One check, as the lab model defines it: the step it belongs to, what must pass before it can
/// (the lab's causal order: a failing check's hint names the first of these not done), the
/// recorded values it reads (an edit makes its result stale), and the console step that makes it
/// pass. Its title and hint are the lab file's (`assets/lab.toml`); how it gathers and judges
/// is `checks`'.
#[derive(Debug)]
pub struct CheckDef {
    pub id: CheckId,
    pub step: &'static str,
    pub needs: &'static [CheckId],
    pub reads: &'static [Field],
    pub solve: Option<SolveAction>,
}

/// The lab model: every check once, in the order the lab does them (DESIGN.md, "Check ids").
pub const LAB_MODEL: [CheckDef; 17] = {
    use CheckId::*;
    use Field::*;
    const fn def(
        id: CheckId,
        step: &'static str,
        needs: &'static [CheckId],
        reads: &'static [Field],
        solve: Option<SolveAction>,
    ) -> CheckDef {
        CheckDef { id, step, needs, reads, solve }
    }
    [
        def(StackOutputs, "5.2", &[], &[], None),
        def(ClientSecret, "5.2", &[StackOutputs], &[UserPoolId, AppClientId, AppClientSecret], None),
        def(UserConfirmed, "5.2", &[StackOutputs], &[UserPoolId, Username], Some(SolveAction::SignUp)),
        def(AuthorizerCreated, "5.3", &[StackOutputs], &[UserPoolId], Some(SolveAction::CreateAuthorizer)),
        def(MethodProtected, "5.3", &[AuthorizerCreated], &[], Some(SolveAction::ProtectMethod)),
        def(ApiDeployed, "5.3", &[MethodProtected], &[], Some(SolveAction::DeployApi)),
        def(HeaderForwarded, "5.4", &[StackOutputs], &[CloudFrontEndpoint], Some(SolveAction::ForwardHeader)),
        def(CacheInvalidated, "5.4", &[ApiDeployed, HeaderForwarded], &[], Some(SolveAction::InvalidateCache)),
        def(Unauthenticated401, "5.5", &[CacheInvalidated], &[CloudFrontEndpoint], None),
        def(
            IdToken,
            "5.5",
            &[ClientSecret, UserConfirmed],
            &[UserPoolId, AppClientId, AppClientSecret, Username],
            None,
        ),
        def(Authenticated200, "5.5", &[IdToken, CacheInvalidated], &[CloudFrontEndpoint], None),
        def(DirectApiBlocked, "5.5", &[StackOutputs], &[ApiGatewayUrl], None),
        def(StackCdnDeleted, "teardown", &[], &[], Some(SolveAction::Teardown)),
        def(StackCloud9Deleted, "teardown", &[], &[], Some(SolveAction::Teardown)),
        def(StackApiDeleted, "teardown", &[], &[], Some(SolveAction::Teardown)),
        def(LogGroupsDeleted, "teardown", &[], &[], None),
        def(BucketDeleted, "teardown", &[], &[], None),
    ]
};

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown check `{0}`; the checks are: {list}", list = CheckId::every().map(CheckId::as_str).collect::<Vec<_>>().join(", "))]
pub struct UnknownCheck(pub String);

impl FromStr for CheckId {
    type Err = UnknownCheck;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckId::every().find(|c| c.as_str() == s).ok_or_else(|| UnknownCheck(s.to_string()))
    }
}

/// A console step walab can do through the API (DESIGN.md, "Solve actions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SolveAction {
    SignUp,
    CreateAuthorizer,
    ProtectMethod,
    DeployApi,
    ForwardHeader,
    InvalidateCache,
    /// Clean up: delete the lab's stacks, in order. Not part of `--all`.
    Teardown,
}

impl SolveAction {
    pub const ALL: [SolveAction; 6] = [
        SolveAction::SignUp,
        SolveAction::CreateAuthorizer,
        SolveAction::ProtectMethod,
        SolveAction::DeployApi,
        SolveAction::ForwardHeader,
        SolveAction::InvalidateCache,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SolveAction::SignUp => "sign-up",
            SolveAction::CreateAuthorizer => "create-authorizer",
            SolveAction::ProtectMethod => "protect-method",
            SolveAction::DeployApi => "deploy-api",
            SolveAction::ForwardHeader => "forward-header",
            SolveAction::InvalidateCache => "invalidate-cache",
            SolveAction::Teardown => "teardown",
        }
    }

    /// Every action walab knows: section 5's, then the Clean up step's.
    pub fn every() -> impl Iterator<Item = SolveAction> {
        SolveAction::ALL.into_iter().chain([SolveAction::Teardown])
    }

    /// The check that passes once this action is done (the teardown's: the last stack gone).
    pub fn check(self) -> CheckId {
        match self {
            SolveAction::Teardown => CheckId::StackApiDeleted,
            action => LAB_MODEL.iter().find(|d| d.solve == Some(action)).map_or(CheckId::StackOutputs, |d| d.id),
        }
    }

    /// The checks whose verdict this action can change: its check and every check downstream
    /// of it in the lab model (the teardown: the Clean up step's).
    pub fn rechecks(self) -> Vec<CheckId> {
        match self {
            SolveAction::Teardown => CheckId::TEARDOWN.to_vec(),
            action => std::iter::once(action.check()).chain(action.check().downstream()).collect(),
        }
    }

    /// The action that makes `check` pass, if walab can do it (section 5's; not the teardown).
    pub fn for_check(check: CheckId) -> Option<SolveAction> {
        check.solve().filter(|a| *a != SolveAction::Teardown)
    }
}

impl fmt::Display for SolveAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action `{0}`; the actions are: {list}", list = SolveAction::every().map(SolveAction::as_str).collect::<Vec<_>>().join(", "))]
pub struct UnknownAction(pub String);

impl FromStr for SolveAction {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SolveAction::every().find(|a| a.as_str() == s).ok_or_else(|| UnknownAction(s.to_string()))
    }
}

/// One step of section 5.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// Paragraphs, each one line.
    pub paragraphs: Vec<String>,
    /// Where the step is done in the AWS console, if it is a console step.
    pub console: Option<String>,
    pub checks: Vec<CheckId>,
    pub solves: Vec<SolveAction>,
}

#[derive(Debug, Clone)]
pub struct CheckText {
    pub title: String,
    pub hint: String,
    /// What the hint recommends doing, named by each face in its own voice.
    pub action: Option<Remedy>,
}

/// What a hint recommends doing, which each face names in its own voice (a command in the
/// CLI, a key in the walkthrough).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Let walab do a console step.
    Solve(SolveAction),
    /// Record (or correct) a value: the username, the pasted app client secret.
    Record(Field),
    /// Sign in for a new ID token.
    GetToken,
    /// Give walab the password (again) and sign in.
    Password,
}

impl Remedy {
    /// The command that does it.
    pub fn command(self) -> String {
        match self {
            Remedy::Solve(action) => format!("walab solve {action}"),
            Remedy::Record(Field::Username) => "walab config set username you@example.com".into(),
            // The secret is read from stdin, so it stays out of the shell's history.
            Remedy::Record(field) if field.is_secret() => format!("walab config set {} -", field.name()),
            Remedy::Record(field) => format!("walab config set {} …", field.name()),
            Remedy::GetToken => "walab token".into(),
            Remedy::Password => "WALAB_PASSWORD=… walab token, or walab token, which asks for it".into(),
        }
    }

    /// The remedy a command names (how hints saved by an older walab are read back).
    pub fn from_command(command: &str) -> Option<Remedy> {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["walab", "solve", action, ..] => action.parse().ok().map(Remedy::Solve),
            ["walab", "token", ..] => Some(Remedy::GetToken),
            [first, ..] if first.starts_with("WALAB_PASSWORD=") => Some(Remedy::Password),
            ["walab", "config", "set", field, ..] => Field::parse(field).ok().map(Remedy::Record),
            _ => None,
        }
    }
}

/// As the lab file writes it: a solve action (`deploy-api`), `record <value>`, or `token`.
impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remedy::Solve(action) => write!(f, "{action}"),
            Remedy::Record(field) => write!(f, "record {}", field.name()),
            Remedy::GetToken => f.write_str("token"),
            Remedy::Password => f.write_str("password"),
        }
    }
}

impl FromStr for Remedy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "token" => return Ok(Remedy::GetToken),
            "password" => return Ok(Remedy::Password),
            _ => {}
        }
        if let Some(field) = s.strip_prefix("record ") {
            return Field::parse(field.trim()).map(Remedy::Record).map_err(|e| e.to_string());
        }
        s.parse::<SolveAction>().map(Remedy::Solve).map_err(|e| format!("{e}, `record <value>` or `token`"))
    }
}

/// The whole lab.
#[derive(Debug, Clone)]
pub struct Guide {
    pub title: String,
    pub steps: Vec<Step>,
    pub checks: BTreeMap<CheckId, CheckText>,
}

/// A lab file walab cannot read is a configuration error (exit code 2).
impl From<LabFileError> for crate::report::Failure {
    fn from(e: LabFileError) -> Self {
        crate::report::Failure::usage(e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabFileError {
    #[error("lab file: {0}")]
    Syntax(String),
    #[error("lab file: step {step}: {source}")]
    UnknownCheck { step: String, source: UnknownCheck },
    #[error("lab file: step {step}: {source}")]
    UnknownAction { step: String, source: UnknownAction },
    #[error("lab file: duplicate step id {0}")]
    DuplicateStep(String),
    #[error("lab file: check {0} belongs to more than one step")]
    DuplicateCheck(CheckId),
    #[error("lab file: check {0} belongs to no step")]
    OrphanCheck(CheckId),
    #[error("lab file: check {0} is in step {1}, but the code puts it in {2}")]
    WrongStep(CheckId, String, &'static str),
    #[error("lab file: check {0} has no title or hint")]
    MissingText(CheckId),
    #[error("lab file: [checks.{0}] is not a check")]
    UnknownCheckText(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabFile {
    title: String,
    steps: Vec<StepFile>,
    checks: BTreeMap<String, CheckText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: String,
    title: String,
    text: String,
    #[serde(default)]
    console: Option<String>,
    checks: Vec<String>,
    #[serde(default)]
    solves: Vec<String>,
}

impl<'de> Deserialize<'de> for CheckText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            title: String,
            hint: String,
            #[serde(default)]
            action: Option<String>,
        }
        let raw = Raw::deserialize(d)?;
        let action = raw.action.map(|a| a.parse::<Remedy>()).transpose().map_err(serde::de::Error::custom)?;
        Ok(CheckText { title: raw.title, hint: raw.hint, action })
    }
}

impl Guide {
    /// The embedded lab file. It is validated by the test suite, so this cannot fail in a
    /// released binary; the error is still reported rather than panicking.
    pub fn load() -> Result<Guide, LabFileError> {
        // Parsed once a process: a room's snapshot and every solve ask for it again.
        static LAB: std::sync::OnceLock<Result<Guide, LabFileError>> = std::sync::OnceLock::new();
        LAB.get_or_init(|| Guide::parse(LAB_TOML)).clone()
    }

    pub fn parse(text: &str) -> Result<Guide, LabFileError> {
        let file: LabFile = toml::from_str(text).map_err(|e| LabFileError::Syntax(e.to_string()))?;
        let mut steps: Vec<Step> = Vec::new();
        let mut owner: BTreeMap<CheckId, String> = BTreeMap::new();
        for s in file.steps {
            if steps.iter().any(|t| t.id == s.id) {
                return Err(LabFileError::DuplicateStep(s.id));
            }
            let mut checks = Vec::new();
            for name in &s.checks {
                let id = name
                    .parse::<CheckId>()
                    .map_err(|source| LabFileError::UnknownCheck { step: s.id.clone(), source })?;
                if owner.insert(id, s.id.clone()).is_some() {
                    return Err(LabFileError::DuplicateCheck(id));
                }
                if id.step() != s.id {
                    return Err(LabFileError::WrongStep(id, s.id.clone(), id.step()));
                }
                checks.push(id);
            }
            let solves = s
                .solves
                .iter()
                .map(|name| name.parse::<SolveAction>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| LabFileError::UnknownAction { step: s.id.clone(), source })?;
            let paragraphs = s
                .text
                .split("\n\n")
                .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|p| !p.is_empty())
                .collect();
            steps.push(Step { id: s.id, title: s.title, paragraphs, console: s.console, checks, solves });
        }
        let mut checks = BTreeMap::new();
        for (name, text) in file.checks {
            let id = name.parse::<CheckId>().map_err(|_| LabFileError::UnknownCheckText(name.clone()))?;
            if text.title.trim().is_empty() || text.hint.trim().is_empty() {
                return Err(LabFileError::MissingText(id));
            }
            checks.insert(id, text);
        }
        for id in CheckId::every() {
            if !owner.contains_key(&id) {
                return Err(LabFileError::OrphanCheck(id));
            }
            if !checks.contains_key(&id) {
                return Err(LabFileError::MissingText(id));
            }
        }
        Ok(Guide { title: file.title, steps, checks })
    }

    pub fn check_text(&self, id: CheckId) -> &CheckText {
        // `parse` guarantees every check has its text.
        &self.checks[&id]
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Section 5's checks as a Markdown table (step, id, what it checks, what it needs), from
    /// the lab model and the lab file: README's table is this, and a test keeps it so.
    pub fn checks_table(&self) -> String {
        let mut table = String::from("| step | check | what it checks | needs |\n|---|---|---|---|\n");
        for id in CheckId::ALL {
            let needs: Vec<String> = id.needs().iter().map(|n| format!("`{n}`")).collect();
            let needs = if needs.is_empty() { "—".to_string() } else { needs.join(", ") };
            table.push_str(&format!("| {} | `{id}` | {} | {needs} |\n", id.step(), self.check_text(id).title));
        }
        table
    }

    /// The checks as `walab check --help` lists them: each with its step and what it needs.
    pub fn checks_help(&self) -> String {
        let mut help =
            String::from("Checks, in the lab's order (each needs the ones after the arrow to pass first):\n");
        for id in CheckId::ALL {
            let needs: Vec<&str> = id.needs().iter().map(|n| n.as_str()).collect();
            let arrow = if needs.is_empty() { String::new() } else { format!(" ← {}", needs.join(", ")) };
            help.push_str(&format!("  {:<4} {:<20} {}{arrow}\n", id.step(), id.as_str(), self.check_text(id).title));
        }
        help
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_lab_file_is_valid_and_complete() {
        let lab = Guide::load().unwrap();
        assert_eq!(lab.steps.len(), 6);
        let owned: Vec<CheckId> = lab.steps.iter().flat_map(|s| s.checks.clone()).collect();
        assert_eq!(owned, CheckId::every().collect::<Vec<_>>(), "every check, once, in running order");
        let solves: Vec<SolveAction> = lab.steps.iter().flat_map(|s| s.solves.clone()).collect();
        assert_eq!(solves, SolveAction::every().collect::<Vec<_>>());
        for step in &lab.steps {
            assert!(!step.paragraphs.is_empty(), "step {} has text", step.id);
        }
    }

    #[test]
    fn refuses_lab_files_that_do_not_match_the_code() {
        let good = LAB_TOML;
        let cases = [
            (
                good.replace("\"stack-outputs\", \"client-secret\"", "\"stack-output\", \"client-secret\""),
                "unknown check",
            ),
            (good.replace("\"id-token\", \"authenticated-200\"", "\"id-token\", \"id-token\""), "more than one step"),
            (good.replace("hint = \"Deploy the API to the `Dev` stage.\"", "hint = \"\""), "no title or hint"),
            (good.replace("[checks.api-deployed]", "[checks.api-deploy]"), "is not a check"),
            (good.replace("action = \"deploy-api\"", "action = \"deploy-apis\""), "unknown action"),
            (good.replace("solves = [\"sign-up\"]", "solves = [\"sign-in\"]"), "unknown action"),
            (good.replace("id = \"5.4\"", "id = \"5.3\""), "duplicate step"),
        ];
        for (text, expect) in cases {
            assert_ne!(text, good, "the case for {expect} changes the file");
            let err = Guide::parse(&text).unwrap_err().to_string();
            assert!(err.contains(expect), "{expect}: {err}");
        }
    }

    #[test]
    fn remedies_read_as_the_lab_file_and_old_commands_write_them() {
        for remedy in SolveAction::ALL
            .map(Remedy::Solve)
            .into_iter()
            .chain(Field::ALL.map(Remedy::Record))
            .chain([Remedy::GetToken, Remedy::Password])
        {
            assert_eq!(remedy.to_string().parse::<Remedy>(), Ok(remedy));
            assert_eq!(Remedy::from_command(&remedy.command()), Some(remedy));
        }
        assert!("record nothing".parse::<Remedy>().is_err());
    }

    #[test]
    fn the_lab_file_hints_name_actions_not_commands() {
        let lab = Guide::load().unwrap();
        for (id, text) in &lab.checks {
            assert!(!text.hint.contains("walab "), "{id}: {}", text.hint);
        }
        let actions = lab.checks.values().filter(|t| t.action.is_some()).count();
        assert!(actions >= 8, "the console steps, the secret and the token are named as actions");
    }

    #[test]
    fn the_lab_model_defines_every_check_once_in_causal_order() {
        let ids: Vec<CheckId> = LAB_MODEL.iter().map(|d| d.id).collect();
        assert_eq!(ids, CheckId::every().collect::<Vec<_>>(), "every check once, in lab order");
        for (i, def) in LAB_MODEL.iter().enumerate() {
            assert_eq!(def.id.definition().id, def.id);
            for need in def.needs {
                let at = ids.iter().position(|id| id == need).unwrap();
                assert!(at < i, "{} needs {need}, which must come before it", def.id);
            }
        }
        assert_eq!(CheckId::Unauthenticated401.path().first(), Some(&CheckId::StackOutputs));
        assert!(CheckId::Unauthenticated401.path().contains(&CheckId::AuthorizerCreated));
        assert!(!CheckId::DirectApiBlocked.path().contains(&CheckId::AuthorizerCreated));
        assert_eq!(
            SolveAction::CreateAuthorizer.rechecks(),
            vec![
                CheckId::AuthorizerCreated,
                CheckId::MethodProtected,
                CheckId::ApiDeployed,
                CheckId::CacheInvalidated,
                CheckId::Unauthenticated401,
                CheckId::Authenticated200,
            ]
        );
        assert_eq!(
            CheckId::depending_on(Field::Username),
            vec![CheckId::UserConfirmed, CheckId::IdToken, CheckId::Authenticated200]
        );
        for action in SolveAction::ALL {
            assert_eq!(SolveAction::for_check(action.check()), Some(action));
        }
    }

    /// README's table of checks is the lab model's (`WALAB_UPDATE_README=1` writes it again).
    #[test]
    fn the_readme_lists_the_checks_of_the_lab_model() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let (begin, end) = ("<!-- checks: generated from the lab model -->\n", "<!-- checks: end -->");
        let start = readme.find(begin).expect("README has the checks table's markers") + begin.len();
        let stop = start + readme[start..].find(end).expect("end marker");
        let table = Guide::load().unwrap().checks_table();
        if readme[start..stop] != table {
            if std::env::var_os("WALAB_UPDATE_README").is_some() {
                std::fs::write(path, format!("{}{table}{}", &readme[..start], &readme[stop..])).unwrap();
            } else {
                panic!("README's table of checks is out of date: WALAB_UPDATE_README=1 cargo test --lib readme");
            }
        }
    }

    #[test]
    fn ids_round_trip() {
        for id in CheckId::every() {
            assert_eq!(id.as_str().parse::<CheckId>().unwrap(), id);
            assert_eq!(serde_json::to_value(id).unwrap(), id.as_str());
        }
        assert!("nope".parse::<CheckId>().unwrap_err().to_string().contains("stack-outputs"));
    }
}
