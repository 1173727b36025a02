//! The walkthrough's state and its pure, synchronous `update`: a message in (a key, a check's
//! progress, finished work), the state changed, and a list of effects out for the event loop
//! to carry out. Nothing here touches the network, the terminal or the clock: the time comes
//! in as `now_ms`, set by the loop.

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::keymap::{Action, action_for, is_ctrl_c};
use crate::checks::{Event, Outcome, Report, Status};
use crate::guide::{CheckId, Guide, SolveAction, Step};
use crate::secret::Secret;
use crate::settings::{Field, Values};
use crate::solve::Solved;
use crate::target::TargetKind;

/// The smallest terminal the layout is drawn in; below it, a one-line notice.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
const TOAST_MS: i64 = 3000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Steps,
    Checks,
    Evidence,
    Values,
}

impl Pane {
    fn next(self) -> Pane {
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
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Shown {
    pub fn glyph(self, now_ms: i64) -> &'static str {
        match self {
            Shown::Passed => "✓",
            Shown::Failed | Shown::Error => "✗",
            Shown::Running => SPINNER[(now_ms.rem_euclid(1000) / 100) as usize],
            Shown::Pending => "○",
            Shown::Skipped => "–",
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
    pub hint: Option<String>,
    #[serde(default)]
    pub evidence: Value,
    pub duration_ms: u64,
    /// When it finished, epoch milliseconds.
    pub finished_at: i64,
}

/// What the walkthrough remembers per target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub step: String,
    #[serde(default)]
    pub results: BTreeMap<CheckId, CheckResult>,
}

/// What the header says about the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub kind: TargetKind,
    pub target: String,
    pub profile: Option<String>,
    pub region: String,
    pub account: Option<String>,
}

/// The ID token as the evidence pane shows it (the token itself stays in the check context).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenView {
    pub username: String,
    pub header: Value,
    pub claims: Value,
    /// `exp`, epoch seconds.
    pub expires_at: i64,
}

/// Work the loop runs on a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Checks(Vec<CheckId>),
    /// The console step, then its step's checks again.
    Solve(SolveAction),
    /// Sign in: the `id-token` check, which keeps the token.
    Token,
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

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub text: String,
    pub until_ms: i64,
}

/// Finished work, as the loop reports it.
#[derive(Debug, Clone)]
pub struct JobDone {
    pub reports: Vec<Report>,
    pub values: Values,
    pub token: Option<TokenView>,
    pub cancelled: bool,
    pub solved: Option<(SolveAction, Result<Solved, Outcome>)>,
    pub email: Option<Email>,
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Time passed (only sent while something on screen moves).
    Tick,
    Check(Event),
    Done(Box<JobDone>),
    /// SIGTERM or SIGINT from outside.
    Terminate,
}

/// What `update` asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Start(Job),
    Cancel,
    SetValue(Field, String),
    SetPassword(Secret),
    Copy(String),
    /// Write the progress file.
    Save,
    Quit,
}

pub struct App {
    pub guide: Guide,
    pub header: Header,
    pub step: usize,
    pub focus: Pane,
    pub check: usize,
    pub value: usize,
    pub scroll: u16,
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
    pub toast: Option<Toast>,
    pub now_ms: i64,
    pub size: (u16, u16),
    pub quit: bool,
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
            scroll: 0,
            results: BTreeMap::new(),
            running: None,
            values,
            revealed: false,
            token: None,
            password_known,
            password_typed: false,
            signs_in: None,
            modal: None,
            toast: None,
            now_ms: 0,
            size: (120, 40),
            quit: false,
        };
        if let Some(progress) = progress {
            app.step = app.guide.steps.iter().position(|s| s.id == progress.step).unwrap_or(0);
            app.results = progress.results;
        }
        app
    }

    pub fn progress(&self) -> Progress {
        Progress { step: self.current_step().id.clone(), results: self.results.clone() }
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
            Job::Solve(action) if r.current.is_none() => action.check() == id,
            _ => r.current == Some(id),
        })
    }

    /// The status of a check as it is shown now.
    pub fn shown(&self, id: CheckId) -> Shown {
        if self.running_on(id).is_some() {
            return Shown::Running;
        }
        self.results.get(&id).map_or(Shown::Pending, |r| Shown::of(r.status))
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
        } else if all.contains(&Shown::Pending) {
            Shown::Pending
        } else {
            Shown::Skipped
        })
    }

    /// The console step `s` would do: the first of this step's whose check has not passed.
    pub fn solve_target(&self) -> Option<SolveAction> {
        let solves = &self.current_step().solves;
        if let Some(action) = self.focused_check().and_then(SolveAction::for_check).filter(|a| solves.contains(a))
            && self.shown(action.check()) != Shown::Passed
        {
            return Some(action);
        }
        solves.iter().copied().find(|a| self.shown(a.check()) != Shown::Passed).or_else(|| solves.first().copied())
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
            Action::RunAll | Action::Token => !self.busy(),
            Action::Solve => !step.solves.is_empty() && !self.busy(),
            Action::Edit => self.focus == Pane::Values,
            Action::Copy | Action::CopyExport => {
                self.focus == Pane::Values && self.values.get(self.focused_key()).is_some()
            }
            Action::Reveal => self.values.app_client_secret.is_some(),
            Action::Back => self.busy() || self.focus != Pane::Steps,
        }
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
            sooner(toast.until_ms - self.now_ms);
        }
        if self.countdown_visible() {
            sooner(1000 - self.now_ms.rem_euclid(1000));
        }
        next.map(|ms| Duration::from_millis(ms.clamp(10, 60_000) as u64))
    }

    fn toast(&mut self, text: impl Into<String>) {
        self.toast = Some(Toast { text: text.into(), until_ms: self.now_ms + TOAST_MS });
    }

    fn start(&mut self, job: Job) -> Vec<Effect> {
        let progress = match &job {
            Job::Solve(action) => {
                Some(format!("walab solve {action}: {}", crate::solve::what_it_changes(*action, self.header.kind)))
            }
            _ => None,
        };
        self.running = Some(Running {
            job: job.clone(),
            started_ms: self.now_ms,
            current: None,
            current_since: self.now_ms,
            progress,
            cancelling: false,
        });
        vec![Effect::Start(job)]
    }

    fn select_step(&mut self, index: usize) -> Vec<Effect> {
        let index = index.min(self.guide.steps.len().saturating_sub(1));
        if index == self.step {
            return vec![];
        }
        self.step = index;
        self.check = 0;
        self.scroll = 0;
        vec![Effect::Save]
    }

    fn focus_check(&mut self, id: CheckId) -> Vec<Effect> {
        let Some(step) = self.guide.steps.iter().position(|s| s.checks.contains(&id)) else { return vec![] };
        let effects = self.select_step(step);
        self.check = self.guide.steps[step].checks.iter().position(|&c| c == id).unwrap_or(0);
        self.scroll = 0;
        effects
    }

    fn quit(&mut self) -> Vec<Effect> {
        self.quit = true;
        let mut effects = vec![];
        if self.busy() {
            effects.push(Effect::Cancel);
        }
        effects.extend([Effect::Save, Effect::Quit]);
        effects
    }
}

/// The one place state changes.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Press => on_key(app, key),
        Msg::Key(_) => vec![],
        Msg::Resize(width, height) => {
            app.size = (width, height);
            vec![]
        }
        Msg::Tick => {
            if app.toast.as_ref().is_some_and(|t| t.until_ms <= app.now_ms) {
                app.toast = None;
            }
            vec![]
        }
        Msg::Check(event) => on_check(app, event),
        Msg::Done(done) => on_done(app, *done),
        Msg::Terminate => app.quit(),
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        return app.quit();
    }
    if app.modal.is_some() {
        return on_modal_key(app, key);
    }
    match action_for(&key) {
        Some(action) if app.applies(action) => act(app, action),
        _ => vec![],
    }
}

fn act(app: &mut App, action: Action) -> Vec<Effect> {
    let step_checks = app.current_step().checks.clone();
    match action {
        Action::Up | Action::Down => {
            let down = action == Action::Down;
            let step =
                |i: usize, len: usize| if down { (i + 1).min(len.saturating_sub(1)) } else { i.saturating_sub(1) };
            match app.focus {
                Pane::Steps => return app.select_step(step(app.step, app.guide.steps.len())),
                Pane::Checks => {
                    app.check = step(app.check, step_checks.len());
                    app.scroll = 0;
                }
                Pane::Evidence => {
                    app.scroll = if down { app.scroll.saturating_add(1) } else { app.scroll.saturating_sub(1) }
                }
                Pane::Values => app.value = step(app.value, VALUE_KEYS.len()),
            }
            vec![]
        }
        Action::NextPane => {
            app.focus = app.focus.next();
            if step_checks.is_empty() && matches!(app.focus, Pane::Checks | Pane::Evidence) {
                app.focus = Pane::Values;
            }
            vec![]
        }
        Action::Act => match app.focus {
            Pane::Steps => {
                app.focus = Pane::Checks;
                vec![]
            }
            Pane::Checks => match app.focused_check() {
                Some(id) => app.start(Job::Checks(vec![id])),
                None => vec![],
            },
            Pane::Evidence => vec![],
            Pane::Values if app.focused_key().is_secret() && app.values.app_client_secret.is_some() => {
                app.revealed = !app.revealed;
                vec![]
            }
            Pane::Values => act(app, Action::Edit),
        },
        Action::RunStep => app.start(Job::Checks(step_checks)),
        Action::RunAll => app.start(Job::Checks(CheckId::ALL.to_vec())),
        Action::Solve => {
            if let Some(action) = app.solve_target() {
                app.modal = Some(Modal::Confirm(action));
            }
            vec![]
        }
        Action::Edit => {
            let key = app.focused_key();
            // The secret is typed afresh rather than shown for editing.
            let input =
                if key.is_secret() { String::new() } else { app.values.get(key).unwrap_or_default().to_string() };
            app.modal = Some(Modal::Edit { key, input, error: None });
            vec![]
        }
        Action::Copy | Action::CopyExport => {
            let key = app.focused_key();
            let Some(value) = app.values.get(key).map(String::from) else { return vec![] };
            let (text, said) = if action == Action::Copy {
                (value, format!("copied {}", key.label().to_lowercase()))
            } else {
                (export_line(key, &value), format!("copied export {}=…", export_var(key)))
            };
            app.toast(said);
            vec![Effect::Copy(text)]
        }
        Action::Reveal => {
            app.revealed = !app.revealed;
            vec![]
        }
        Action::Token => {
            let mut effects = app.focus_check(CheckId::IdToken);
            app.focus = Pane::Evidence;
            if app.password_known {
                effects.extend(app.start(Job::Token));
            } else {
                app.modal = Some(Modal::Password { input: String::new(), then: Job::Token });
            }
            effects
        }
        Action::Help => {
            app.modal = Some(Modal::Help);
            vec![]
        }
        Action::Back => {
            if let Some(running) = &mut app.running {
                running.cancelling = true;
                app.toast("stopping…");
                vec![Effect::Cancel]
            } else {
                app.focus = Pane::Steps;
                vec![]
            }
        }
        Action::Quit => app.quit(),
    }
}

fn on_modal_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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

fn on_check(app: &mut App, event: Event) -> Vec<Effect> {
    match event {
        Event::Started(id) => {
            if let Some(running) = &mut app.running {
                running.current = Some(id);
                running.current_since = app.now_ms;
                running.progress = None;
            }
            vec![]
        }
        Event::Progress(id, message) => {
            if let Some(running) = app.running.as_mut().filter(|r| r.current == Some(id)) {
                running.progress = Some(message);
            }
            vec![]
        }
        Event::Finished(report) => {
            if let Some(running) = app.running.as_mut().filter(|r| r.current == Some(report.id)) {
                running.current = None;
                running.progress = None;
            }
            record(app, report);
            vec![Effect::Save]
        }
    }
}

fn record(app: &mut App, report: Report) {
    let result = CheckResult {
        status: report.outcome.status,
        summary: report.outcome.summary,
        hint: report.outcome.hint,
        evidence: report.outcome.evidence,
        duration_ms: report.duration_ms,
        finished_at: app.now_ms,
    };
    // The same report may come twice (its event, then with the finished job); keep the first time.
    if let Some(old) = app.results.get(&report.id)
        && old.status == result.status
        && old.summary == result.summary
        && old.duration_ms == result.duration_ms
    {
        return;
    }
    app.results.insert(report.id, result);
}

fn on_done(app: &mut App, done: JobDone) -> Vec<Effect> {
    let job = app.running.take().map(|r| r.job);
    for report in done.reports {
        record(app, report);
    }
    app.values = done.values;
    if done.token.is_some() {
        app.token = done.token;
    }
    if done.cancelled {
        app.toast("stopped");
    }
    match done.solved {
        Some((_, Ok(Solved::AlreadyDone(summary)))) => app.toast(format!("already done: {summary}")),
        Some((_, Ok(Solved::Done(summary)))) => app.toast(summary),
        Some((action, Err(outcome))) => {
            let mut lines = vec![outcome.summary];
            lines.extend(outcome.hint.map(|h| format!("→ {h}")));
            app.modal = Some(Modal::Message { title: format!("{action} did not work"), lines });
        }
        None => {}
    }
    if let Some(email) = done.email {
        let mut lines = vec![format!("To: {}", email.to), format!("Subject: {}", email.subject), String::new()];
        lines.extend(email.body.lines().map(String::from));
        app.modal = Some(Modal::Message { title: "The local lab's outbox".into(), lines });
    }
    if job == Some(Job::Token) && app.password_typed && app.shown(CheckId::IdToken) != Shown::Passed {
        // The typed password may have been wrong: ask again next time.
        app.password_known = false;
        app.password_typed = false;
    }
    vec![Effect::Save]
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

#[cfg(test)]
mod tests;
