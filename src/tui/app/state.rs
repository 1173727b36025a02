//! What the walkthrough shows: the state `update` changes and `view` draws, and the questions
//! the footer, the view and `update` ask of it. Nothing here changes anything.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::job::{Copyable, Job};
use super::modal::Modal;
use crate::checks::{Evidence, Hint, Status};
use crate::guide::{CheckId, Guide, SolveAction, Step};
use crate::settings::{Field, Values};
use crate::target::TargetKind;
use crate::tui::keymap::Action;

/// How long before a status message goes it is drawn dimmed.
pub const FADE_MS: i64 = 1000;

/// The smallest terminal the layout is drawn in; below it, a one-line notice.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Steps,
    Checks,
    Evidence,
    Values,
}

impl Pane {
    pub(super) fn next(self) -> Pane {
        match self {
            Pane::Steps => Pane::Checks,
            Pane::Checks => Pane::Evidence,
            Pane::Evidence => Pane::Values,
            Pane::Values => Pane::Steps,
        }
    }
}

/// A status as the learner sees it: a glyph and a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Passed,
    Failed,
    Error,
    Running,
    Pending,
    Skipped,
    /// A result from before (a previous run, or before a value it read was changed): shown
    /// until the check runs again, never taken as the lab's state.
    Stale,
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Shown {
    pub fn glyph(self, now_ms: i64) -> &'static str {
        match self {
            Shown::Passed => "✓",
            Shown::Failed => "✗",
            Shown::Error => "!",
            Shown::Running => SPINNER[(now_ms.rem_euclid(1000) / 100) as usize],
            Shown::Pending => "○",
            Shown::Skipped => "–",
            Shown::Stale => "◌",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Shown::Passed => "passed",
            Shown::Failed => "failed",
            Shown::Error => "error",
            Shown::Running => "running",
            Shown::Pending => "pending",
            Shown::Skipped => "skipped",
            Shown::Stale => "stale",
        }
    }

    fn of(status: Status) -> Shown {
        match status {
            Status::Passed => Shown::Passed,
            Status::Failed => Shown::Failed,
            Status::Skipped => Shown::Skipped,
            Status::Error => Shown::Error,
        }
    }
}

/// The last result of one check, kept across restarts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub status: Status,
    pub summary: String,
    #[serde(with = "stored_hint", default)]
    pub hint: Option<Hint>,
    #[serde(default)]
    pub evidence: Evidence,
    pub duration_ms: u64,
    /// When it finished, epoch milliseconds.
    pub finished_at: i64,
    /// What it was computed from: the target and the recorded values it (and the checks on its
    /// path) read, as a digest ([`basis`]).
    #[serde(default)]
    pub basis: Option<String>,
    /// From before: a previous run, or a value it read changed since. Never saved: every result
    /// read back from the progress file is from before.
    #[serde(skip)]
    pub stale: bool,
}

/// The digest of what a result of `id` is computed from on `target` with `values`: the values
/// the check and the checks on its path read (the lab model's `reads`).
pub fn basis(id: CheckId, target: &str, values: &Values) -> String {
    let mut fields: Vec<Field> =
        std::iter::once(id).chain(id.path()).flat_map(|c| c.definition().reads.iter().copied()).collect();
    fields.sort_by_key(|f| f.name());
    fields.dedup();
    let mut text = target.to_string();
    for field in fields {
        text.push('\n');
        text.push_str(field.name());
        text.push('=');
        text.push_str(values.get(field).unwrap_or_default());
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A hint in the progress file keeps the action it recommends, so the walkthrough can name its
/// key after a restart; a hint saved as the command line's sentence (an older walab) is read
/// back into its sentence and action.
mod stored_hint {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::checks::{Hint, Remedy};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Structured {
            text: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            action: Option<String>,
        },
        Line(String),
    }

    pub fn serialize<S: Serializer>(hint: &Option<Hint>, s: S) -> Result<S::Ok, S::Error> {
        hint.as_ref()
            .map(|h| Stored::Structured { text: h.text.clone(), action: h.action.map(|a| a.to_string()) })
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hint>, D::Error> {
        Ok(Option::<Stored>::deserialize(d)?.map(|stored| match stored {
            Stored::Structured { text, action } => Hint { text, action: action.and_then(|a| a.parse().ok()) },
            Stored::Line(line) => match line.strip_suffix(')').and_then(|l| l.rsplit_once(" (walab ")) {
                Some((text, command)) => match Remedy::from_command(&format!("walab {command}")) {
                    Some(action) => Hint { text: text.to_string(), action: Some(action) },
                    None => Hint::new(line),
                },
                None => Hint::new(line),
            },
        }))
    }
}

/// Which lab the results are about: a new pool or a new account is another lab.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabId {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
}

impl LabId {
    /// What differs between the lab remembered (`self`) and `now`, in words; `None` when
    /// nothing known differs.
    pub fn differs_from(&self, now: &LabId) -> Option<String> {
        let changed = |what: &str, was: &Option<String>, is: &Option<String>| match (was, is) {
            (Some(was), Some(is)) if was != is => Some(format!("{what} {is} (you were working on {was})")),
            _ => None,
        };
        changed("account", &self.account, &now.account)
            .or_else(|| changed("user pool", &self.user_pool_id, &now.user_pool_id))
    }

    /// `self`, with what `now` knows that `self` does not.
    pub fn merged(&self, now: &LabId) -> LabId {
        LabId {
            account: now.account.clone().or_else(|| self.account.clone()),
            user_pool_id: now.user_pool_id.clone().or_else(|| self.user_pool_id.clone()),
        }
    }
}

/// What the walkthrough remembers per target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub step: String,
    #[serde(default)]
    pub results: BTreeMap<CheckId, CheckResult>,
    /// The lab the results are about.
    #[serde(default)]
    pub lab: LabId,
}

/// What the header says about the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub kind: TargetKind,
    pub target: String,
    pub profile: Option<String>,
    pub region: String,
    pub account: Option<String>,
    /// The AWS endpoint, when it is not AWS's own (`AWS_ENDPOINT_URL`: a `walab serve`, say).
    pub endpoint: Option<String>,
}

/// The ID token as the evidence pane shows it (the token itself stays in the check context,
/// which needs it).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenView {
    pub username: String,
    pub header: Value,
    pub claims: Value,
    /// `exp`, epoch seconds.
    pub expires_at: i64,
}

impl TokenView {
    /// The token an `id-token` result shows, signed in for `who`.
    pub fn of(evidence: &Evidence, who: Option<&str>) -> Option<TokenView> {
        let Evidence::IdToken { header, claims } = evidence else { return None };
        let claim = |name: &str| claims.get(name).and_then(Value::as_str).map(String::from);
        Some(TokenView {
            username: who.map(String::from).or_else(|| claim("cognito:username")).unwrap_or_default(),
            header: header.clone(),
            claims: Value::Object(claims.clone()),
            expires_at: claims.get("exp").and_then(Value::as_i64).unwrap_or_default(),
        })
    }
}

/// How far each scrolling pane is scrolled, in lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    /// The step's text (PgUp/PgDn while the steps have the focus).
    pub text: u16,
    /// Into the focused check's lines.
    pub checks: u16,
    pub evidence: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub job: Job,
    pub started_ms: i64,
    pub current: Option<CheckId>,
    pub current_since: i64,
    pub progress: Option<String>,
    pub cancelling: bool,
}

/// A message the local lab "emailed" (sign-up on the local lab).
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    pub until_ms: i64,
}

pub struct App {
    pub guide: Guide,
    pub header: Header,
    pub step: usize,
    pub focus: Pane,
    pub check: usize,
    pub value: usize,
    pub scroll: Scroll,
    pub results: BTreeMap<CheckId, CheckResult>,
    pub running: Option<Running>,
    pub values: Values,
    pub revealed: bool,
    pub token: Option<TokenView>,
    /// Whether signing in needs no password typed (the local lab's demo user, `WALAB_PASSWORD`).
    pub password_known: bool,
    /// The password was typed into the prompt (so a failed sign-in asks again).
    pub password_typed: bool,
    /// Who signs in when no username is recorded (the local lab's demo user).
    pub signs_in: Option<String>,
    pub modal: Option<Modal>,
    /// How far the open dialog (help, a long message) is scrolled.
    pub modal_scroll: u16,
    /// The status message in the footer, until it fades.
    pub toast: Option<Toast>,
    pub now_ms: i64,
    pub size: (u16, u16),
    pub quit: bool,
    /// The lab the results are about.
    pub lab: LabId,
    /// The values as the lab itself gave them (stack outputs, the app client's secret): a
    /// different one recorded by hand would be replaced by the next run.
    pub from_lab: Values,
    /// Whether this walkthrough runs the local lab itself, so starting over resets the lab too.
    pub owns_lab: bool,
    /// The first of the lab's stacks to delete (`--stack`), whose name confirms a teardown on AWS.
    pub stack: String,
    /// The lab was found torn down while a job ran: the start-over offer waits for its end.
    pub torn_down_pending: bool,
    /// Results found another lab under the walkthrough while a job ran (what differs): the
    /// start-over question waits for the job's end, as starting over is a job of its own.
    pub another_lab_pending: Option<String>,
    /// Results from a previous run are being checked again: where the learner was, and when,
    /// said again with the verdicts once the re-check ends.
    pub resumed: Option<String>,
}

impl Toast {
    /// Whether it is in its last moments, drawn dimmed.
    pub fn fading(&self, now_ms: i64) -> bool {
        self.until_ms - now_ms <= FADE_MS
    }
}

/// The values pane's rows, in order.
pub const VALUE_KEYS: [Field; 6] = [
    Field::UserPoolId,
    Field::AppClientId,
    Field::AppClientSecret,
    Field::Username,
    Field::CloudFrontEndpoint,
    Field::ApiGatewayUrl,
];

impl App {
    pub fn new(guide: Guide, header: Header, values: Values, password_known: bool, progress: Option<Progress>) -> App {
        let mut app = App {
            guide,
            header,
            step: 0,
            focus: Pane::Steps,
            check: 0,
            value: 0,
            scroll: Scroll::default(),
            results: BTreeMap::new(),
            running: None,
            values,
            revealed: false,
            token: None,
            password_known,
            password_typed: false,
            signs_in: None,
            modal: None,
            modal_scroll: 0,
            toast: None,
            now_ms: 0,
            size: (120, 40),
            quit: false,
            lab: LabId::default(),
            from_lab: Values::default(),
            owns_lab: false,
            stack: crate::names::EDGE_STACK.to_string(),
            torn_down_pending: false,
            another_lab_pending: None,
            resumed: None,
        };
        let here = LabId { account: app.header.account.clone(), user_pool_id: app.values.user_pool_id.clone() };
        app.lab = here.clone();
        if let Some(progress) = progress {
            app.step = app.guide.steps.iter().position(|s| s.id == progress.step).unwrap_or(0);
            app.results = progress.results;
            for result in app.results.values_mut() {
                result.stale = true;
            }
            if app.results.is_empty() {
                return app;
            }
            match progress.lab.differs_from(&here) {
                Some(what) => app.modal = Some(Modal::StartOver { why: Some(what) }),
                None => app.lab = progress.lab.merged(&here),
            }
        }
        app
    }

    /// Whether the latest results find both of the lab's stacks gone (torn down, or deleted by
    /// any client): the Clean up step's two stack checks passed, or `stack-outputs` found
    /// neither stack.
    pub fn lab_torn_down(&self) -> bool {
        let passed = |id: CheckId| self.results.get(&id).is_some_and(|r| r.status == Status::Passed);
        let neither = self.results.get(&CheckId::StackOutputs).is_some_and(|r| {
            r.status != Status::Passed
                && matches!(&r.evidence, Evidence::Stacks { stacks, .. }
                    if !stacks.is_empty() && stacks.values().all(Option::is_none))
        });
        (passed(CheckId::StackCdnDeleted) && passed(CheckId::StackApiDeleted)) || neither
    }

    pub fn progress(&self) -> Progress {
        Progress { step: self.current_step().id.clone(), results: self.results.clone(), lab: self.lab.clone() }
    }

    pub fn current_step(&self) -> &Step {
        &self.guide.steps[self.step.min(self.guide.steps.len().saturating_sub(1))]
    }

    pub fn focused_check(&self) -> Option<CheckId> {
        let checks = &self.current_step().checks;
        checks.get(self.check.min(checks.len().saturating_sub(1))).copied()
    }

    pub fn focused_key(&self) -> Field {
        VALUE_KEYS[self.value.min(VALUE_KEYS.len() - 1)]
    }

    pub fn busy(&self) -> bool {
        self.running.is_some()
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// The work running on `id` now: its check, or the console step that makes it pass.
    pub fn running_on(&self, id: CheckId) -> Option<&Running> {
        self.running.as_ref().filter(|r| match r.job {
            Job::Solve(action, _) if r.current.is_none() => action.check() == id,
            _ => r.current == Some(id),
        })
    }

    /// The status of a check as it is shown now.
    pub fn shown(&self, id: CheckId) -> Shown {
        if self.running_on(id).is_some() {
            return Shown::Running;
        }
        match self.results.get(&id) {
            None => Shown::Pending,
            Some(r) if r.stale => Shown::Stale,
            Some(r) => Shown::of(r.status),
        }
    }

    /// A step's status from its checks; `None` for a step with nothing to check.
    pub fn step_shown(&self, step: &Step) -> Option<Shown> {
        if step.checks.is_empty() {
            return None;
        }
        let all: Vec<Shown> = step.checks.iter().map(|&id| self.shown(id)).collect();
        Some(if all.contains(&Shown::Running) {
            Shown::Running
        } else if all.iter().any(|s| matches!(s, Shown::Failed | Shown::Error)) {
            Shown::Failed
        } else if all.iter().all(|&s| s == Shown::Passed) {
            Shown::Passed
        } else if all.contains(&Shown::Stale) {
            Shown::Stale
        } else if all.contains(&Shown::Pending) {
            Shown::Pending
        } else {
            Shown::Skipped
        })
    }

    /// The console step `s` would do: the focused check's, else the first of this step's whose
    /// check has not passed; `None` when they all passed.
    pub fn solve_target(&self) -> Option<SolveAction> {
        let solves = &self.current_step().solves;
        if let Some(action) = self.focused_check().and_then(SolveAction::for_check).filter(|a| solves.contains(a))
            && self.shown(action.check()) != Shown::Passed
        {
            return Some(action);
        }
        solves.iter().copied().find(|a| self.shown(a.check()) != Shown::Passed)
    }

    /// Whether a key's action does anything now (the footer greys out the rest).
    pub fn applies(&self, action: Action) -> bool {
        let step = self.current_step();
        let has_checks = !step.checks.is_empty();
        match action {
            Action::Up | Action::Down | Action::NextPane | Action::Help | Action::Quit => true,
            Action::Act => match self.focus {
                Pane::Steps => has_checks,
                Pane::Checks => has_checks && !self.busy(),
                Pane::Evidence => false,
                Pane::Values => true,
            },
            Action::RunStep => has_checks && !self.busy(),
            Action::RunAll | Action::Token | Action::StartOver => !self.busy(),
            Action::Solve => !step.solves.is_empty() && !self.busy() && self.solve_target().is_some(),
            Action::Edit => self.focus == Pane::Values && !self.busy(),
            Action::Copy => match self.focus {
                Pane::Values => self.values.get(self.focused_key()).is_some(),
                Pane::Evidence => self.evidence_copy().is_some(),
                _ => false,
            },
            Action::CopyExport => self.focus == Pane::Values && self.values.get(self.focused_key()).is_some(),
            Action::Reveal => self.values.app_client_secret.is_some(),
            Action::PageUp | Action::PageDown => matches!(self.focus, Pane::Steps | Pane::Checks | Pane::Evidence),
            Action::Back => self.busy() || self.focus != Pane::Steps,
        }
    }

    /// Why a key does nothing here, briefly, with the key or place that would: every key that
    /// does not act says so (`update` shows it as a message).
    pub fn why_not(&self, action: Action) -> String {
        let step = self.current_step();
        let id = step.id.as_str();
        let busy = "busy: wait for it to finish, or Esc stops it";
        let has_checks = !step.checks.is_empty();
        match action {
            Action::Act if self.focus == Pane::Steps => format!("{id} has nothing to check: ↓ for the next step"),
            Action::Act if self.focus == Pane::Evidence => {
                if self.evidence_copy().is_some() {
                    "Enter does nothing in Evidence: y copies, ↓ PgDn scroll".to_string()
                } else {
                    "Enter does nothing in Evidence: ↓ PgDn scroll, Tab for Values".to_string()
                }
            }
            Action::Act | Action::RunStep if has_checks => busy.to_string(),
            Action::Act => format!("{id} has nothing to check: ↓ for the next step"),
            Action::RunStep => format!("{id} has nothing to check: ↓ for the next step, R runs every check"),
            Action::RunAll | Action::Token | Action::StartOver => busy.to_string(),
            Action::Solve if step.solves.is_empty() && has_checks => {
                format!("{id} is checks only: press r")
            }
            Action::Solve if step.solves.is_empty() => format!("{id} has nothing to solve: ↓ for the next step"),
            Action::Solve | Action::Edit if self.busy() => busy.to_string(),
            Action::Solve if self.busy() => busy.to_string(),
            Action::Solve => format!("nothing to solve: the console steps of {id} have passed"),
            Action::Edit => "e edits a value — Tab to Values".to_string(),
            Action::Copy | Action::CopyExport if self.focus == Pane::Values => {
                format!("{} is not recorded yet: e records it", self.focused_key().short_label())
            }
            Action::Copy if self.focus == Pane::Evidence => match self.focused_check() {
                Some(CheckId::IdToken) => "no ID token yet: press t to get one".to_string(),
                Some(_) => "nothing to copy in this evidence: y copies values — Tab to Values".to_string(),
                None => "nothing to copy here: y copies values — Tab to Values".to_string(),
            },
            Action::Copy if self.focus == Pane::Checks && self.evidence_copy().is_some() => {
                "y copies from Evidence — Tab there".to_string()
            }
            Action::Copy => "y copies a value — Tab to Values".to_string(),
            Action::CopyExport => "Y copies a value as export — Tab to Values".to_string(),
            Action::Reveal => "no secret recorded yet: r on 5.2 reads it from the lab".to_string(),
            Action::PageUp | Action::PageDown => "the values all fit: ↑↓ moves".to_string(),
            Action::Back => "already on the steps: q quits".to_string(),
            Action::Up | Action::Down | Action::NextPane | Action::Help | Action::Quit => String::new(),
        }
    }

    /// What `y` copies in the evidence pane of the focused check, if anything.
    pub fn evidence_copy(&self) -> Option<Copyable> {
        let id = self.focused_check()?;
        if id == CheckId::IdToken {
            return self.token.as_ref().map(|_| Copyable::IdToken);
        }
        match &self.results.get(&id)?.evidence {
            Evidence::Response(response) => {
                Some(Copyable::Curl { url: response.url.clone(), with_token: response.token_sent })
            }
            _ => None,
        }
    }

    /// `base`, then those of `downstream` that have run before (their results would be stale),
    /// in the order the checks run.
    /// Marks the results whose basis `field` is part of as stale (a value they read changed).
    pub fn mark_stale(&mut self, field: Field) {
        for id in CheckId::depending_on(field) {
            if let Some(result) = self.results.get_mut(&id) {
                result.stale = true;
            }
        }
    }

    pub fn rechecks(&self, base: &[CheckId], downstream: &[CheckId]) -> Vec<CheckId> {
        // Every check, the Clean up step's too: the teardown is followed by its own checks.
        CheckId::every()
            .filter(|id| base.contains(id) || (downstream.contains(id) && self.results.contains_key(id)))
            .collect()
    }

    /// The checks a console step is followed by: its step's, and those downstream it can change.
    pub fn after_solve(&self, action: SolveAction) -> Vec<CheckId> {
        let own: Vec<CheckId> = self
            .guide
            .steps
            .iter()
            .find(|s| s.checks.contains(&action.check()))
            .map(|s| s.checks.clone())
            .unwrap_or_default();
        self.rechecks(&own, &action.rechecks())
    }

    /// Whether the token's countdown is on screen.
    pub fn countdown_visible(&self) -> bool {
        self.token.is_some() && self.focused_check() == Some(CheckId::IdToken) && self.modal.is_none()
    }

    /// How soon the loop should send a `Tick`: only while something on screen moves.
    pub fn next_tick(&self) -> Option<Duration> {
        if self.too_small() {
            return None;
        }
        let mut next: Option<i64> = None;
        let mut sooner = |ms: i64| next = Some(next.map_or(ms, |n| n.min(ms)));
        if self.running.is_some() {
            sooner(100 - self.now_ms.rem_euclid(100));
        }
        if let Some(toast) = &self.toast {
            // Once when it starts to fade, once when it goes.
            let fades = toast.until_ms - FADE_MS;
            sooner(if self.now_ms < fades { fades - self.now_ms } else { toast.until_ms - self.now_ms });
        }
        if self.countdown_visible() {
            sooner(1000 - self.now_ms.rem_euclid(1000));
        }
        next.map(|ms| Duration::from_millis(ms.clamp(10, 60_000) as u64))
    }
}

/// The shell variable a value is exported as.
pub fn export_var(key: Field) -> &'static str {
    match key {
        Field::UserPoolId => "USER_POOL_ID",
        Field::AppClientId => "APP_CLIENT_ID",
        Field::AppClientSecret => "APP_CLIENT_SECRET",
        Field::CloudFrontEndpoint => "CLOUDFRONT_ENDPOINT",
        Field::ApiGatewayUrl => "API_GATEWAY_URL",
        Field::Username => "WALAB_USERNAME",
    }
}

/// `export VAR='value'`, quoted for any POSIX shell.
pub fn export_line(key: Field, value: &str) -> String {
    format!("export {}='{}'", export_var(key), value.replace('\'', r"'\''"))
}
