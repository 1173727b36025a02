//! The one place state changes: a message in (a key, a check's progress, finished work), the
//! state changed, and a list of effects out for the event loop to carry out. Pure and
//! synchronous; the time comes in as `app.now_ms`, set by the loop.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::modal::on_modal_key;
use super::{
    App, CheckResult, Email, Job, Modal, Pane, Running, Shown, Toast, TokenView, VALUE_KEYS, export_line, export_var,
};
use crate::checks::{Event, Outcome, Report};
use crate::guide::{CheckId, SolveAction};
use crate::secret::Secret;
use crate::settings::Field;
use crate::solve::Solved;
use crate::tui::keymap::{Action, action_for, is_ctrl_c};

const TOAST_MS: i64 = 3000;

/// Finished work, as the loop reports it. Its checks' reports came before it, each once, as
/// `Msg::Check`.
#[derive(Debug, Clone, Default)]
pub struct JobDone {
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
    /// A check started, made progress or finished (on the same queue as everything else).
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
    /// Checks use this value from now on, and it is recorded (an edit, or found by a check).
    SetValue(Field, String),
    SetPassword(Secret),
    Copy(String),
    /// Write the progress file.
    Save,
    Quit,
}

impl App {
    pub(super) fn toast(&mut self, text: impl Into<String>) {
        self.toast = Some(Toast { text: text.into(), until_ms: self.now_ms + TOAST_MS });
    }

    pub(super) fn start(&mut self, job: Job) -> Vec<Effect> {
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

    pub(super) fn quit(&mut self) -> Vec<Effect> {
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
            let mut effects = record(app, *report);
            effects.push(Effect::Save);
            effects
        }
    }
}

/// Keeps a finished check's result, and what it found: values to record, a token to show.
fn record(app: &mut App, report: Report) -> Vec<Effect> {
    let outcome = report.outcome;
    let mut effects = Vec::new();
    if let Some(found) = &outcome.found {
        for (field, value) in found.record_into(&mut app.values) {
            effects.push(Effect::SetValue(field, value));
        }
    }
    if report.id == CheckId::IdToken {
        let who = app.values.username.clone().or_else(|| app.signs_in.clone());
        if let Some(token) = TokenView::of(&outcome.evidence, who.as_deref()) {
            app.token = Some(token);
        }
    }
    let result = CheckResult {
        status: outcome.status,
        summary: outcome.summary,
        hint: outcome.hint,
        evidence: outcome.evidence,
        duration_ms: report.duration_ms,
        finished_at: app.now_ms,
    };
    app.results.insert(report.id, result);
    effects
}

fn on_done(app: &mut App, done: JobDone) -> Vec<Effect> {
    let job = app.running.take().map(|r| r.job);
    if done.cancelled {
        app.toast("stopped");
    }
    match done.solved {
        Some((_, Ok(Solved::AlreadyDone(summary)))) => app.toast(format!("already done: {summary}")),
        Some((_, Ok(Solved::Done(summary)))) => app.toast(summary),
        Some((action, Err(outcome))) => {
            let mut lines = vec![outcome.summary.clone()];
            lines.extend(outcome.hint_for_cli().map(|h| format!("→ {h}")));
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
