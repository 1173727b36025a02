//! The one place state changes: a message in (a key, a check's progress, finished work), the
//! state changed, and a list of effects out for the event loop to carry out. Pure and
//! synchronous; the time comes in as `app.now_ms`, set by the loop.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::actions::{LONG_TOAST_MS, TOAST_MS};
use super::job::{Copyable, Job};
use super::message::{Effect, JobDone, Msg};
use super::modal::{Modal, TextField};
use super::modal_keys::{on_modal_key, on_modal_paste};
use super::state::{App, CheckResult, LabId, Pane, Shown, TokenView, VALUE_KEYS, export_line, export_var};
use crate::checks::{Event, Found, Report, Status};
use crate::guide::{CheckId, SolveAction};
use crate::solve::Solved;
use crate::target::TargetKind;
use crate::tui::keymap::{Action, action_for, is_ctrl_c};
use crate::tui::layout;

/// Lines one notch of the mouse wheel scrolls.
const WHEEL_LINES: i32 = 3;

/// The one place state changes.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Press => on_key(app, key),
        Msg::Key(_) => vec![],
        Msg::Resize(width, height) => {
            app.size = (width, height);
            // Scrolling by nothing keeps each pane within what it now holds.
            for pane in [Pane::Steps, Pane::Checks, Pane::Evidence] {
                app.scroll_pane(pane, 0);
            }
            vec![]
        }
        Msg::Paste(text) => on_modal_paste(app, &text),
        Msg::Wheel { down, column, row } => {
            let lines = if down { WHEEL_LINES } else { -WHEEL_LINES };
            if app.modal.is_some() {
                app.scroll_modal(lines);
            } else if let Some(pane) = layout::pane_at(app, column, row) {
                app.scroll_pane(pane, lines);
            }
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
        Some(action) => {
            let why = app.why_not(action);
            if !why.is_empty() {
                app.toast(why);
            }
            vec![]
        }
        None => {
            if let Some(name) = unbound_name(&key) {
                app.toast(format!("{name} does nothing here: ? lists the keys"));
            }
            vec![]
        }
    }
}

/// How a key bound to nothing is named when saying so; `None` for keys not worth a word
/// (modifiers alone, function keys a terminal sends on its own).
pub fn unbound_name(key: &KeyEvent) -> Option<String> {
    use crossterm::event::{KeyCode, KeyModifiers};
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    Some(match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) if !c.is_control() => c.to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        KeyCode::Home => "Home".to_string(),
        KeyCode::End => "End".to_string(),
        KeyCode::Backspace => "Backspace".to_string(),
        KeyCode::Delete => "Delete".to_string(),
        KeyCode::Insert => "Insert".to_string(),
        _ => return None,
    })
}

fn act(app: &mut App, action: Action) -> Vec<Effect> {
    let step_checks = app.current_step().checks.clone();
    match action {
        Action::Up | Action::Down => {
            let down = action == Action::Down;
            let step =
                |i: usize, len: usize| if down { (i + 1).min(len.saturating_sub(1)) } else { i.saturating_sub(1) };
            match app.focus {
                Pane::Steps => {
                    let to = step(app.step, app.guide.steps.len());
                    if to == app.step {
                        app.toast(if down {
                            "that is the last step: ↑ goes back"
                        } else {
                            "that is the first step: ↓ for the next"
                        });
                    }
                    return app.select_step(to);
                }
                Pane::Checks => {
                    app.check = step(app.check, step_checks.len());
                    app.scroll.checks = 0;
                    app.scroll.evidence = 0;
                }
                Pane::Evidence => app.scroll_by(if down { 1 } else { -1 }),
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
            match app.solve_target() {
                // As the CLI: deleting stacks on AWS needs the first one's name typed, not `y`.
                Some(SolveAction::Teardown) if app.header.kind == TargetKind::Aws => {
                    app.modal = Some(Modal::ConfirmByName {
                        action: SolveAction::Teardown,
                        name: app.stack.clone(),
                        input: TextField::default(),
                        wrong: false,
                    })
                }
                Some(action) => app.modal = Some(Modal::Confirm(action)),
                None => {
                    let step = app.current_step().id.clone();
                    app.toast(format!("nothing to do: the console steps of {step} have passed"));
                }
            }
            vec![]
        }
        Action::Edit => {
            let key = app.focused_key();
            // The secret is typed afresh rather than shown for editing.
            let input =
                if key.is_secret() { String::new() } else { app.values.get(key).unwrap_or_default().to_string() };
            app.modal = Some(Modal::Edit { key, input: TextField::new(input), error: None });
            vec![]
        }
        Action::Copy if app.focus == Pane::Evidence => {
            let Some(what) = app.evidence_copy() else { return vec![] };
            app.toast(match &what {
                Copyable::IdToken => "copied the raw ID token: send it as the Authorization header",
                Copyable::Curl { .. } => "copied a curl line that repeats this request",
            });
            vec![Effect::CopyEvidence(what)]
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
            let then = Job::Token(app.rechecks(&[], &CheckId::IdToken.downstream()));
            if app.password_known {
                effects.extend(app.start(then));
            } else {
                app.modal = Some(Modal::Password { input: TextField::default(), then });
            }
            effects
        }
        Action::PageUp | Action::PageDown => {
            let page = i32::from(layout::page(app).max(1));
            app.scroll_by(if action == Action::PageDown { page } else { -page });
            vec![]
        }
        Action::StartOver => {
            app.modal = Some(Modal::StartOver { why: None });
            vec![]
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
    let torn_down_before = app.lab_torn_down();
    let effects = record_result(app, report);
    if app.header.kind == TargetKind::Local && !torn_down_before && app.lab_torn_down() {
        // Starting over is a job of its own: offered once the one running now has ended.
        if app.running.is_some() {
            app.torn_down_pending = true;
        } else if app.modal.is_none() {
            app.modal = Some(Modal::TornDown);
        }
    }
    effects
}

fn record_result(app: &mut App, report: Report) -> Vec<Effect> {
    let outcome = report.outcome;
    let mut effects = Vec::new();
    if let Some(found) = &outcome.found {
        let lab_before = app.from_lab.clone();
        found.record_into(&mut app.from_lab);
        if let Found::Outputs(outputs) = found
            && let Some((_, pool)) = outputs.iter().find(|(f, _)| *f == crate::settings::Field::UserPoolId)
        {
            let now = LabId { user_pool_id: Some(pool.clone()), ..app.lab.clone() };
            match app.lab.differs_from(&now) {
                // Results about another lab: say so, and offer to start over.
                Some(what) if !app.results.is_empty() && app.running.is_some() => app.another_lab_pending = Some(what),
                Some(what) if !app.results.is_empty() && app.modal.is_none() => {
                    app.modal = Some(Modal::StartOver { why: Some(what) })
                }
                _ => app.lab = now,
            }
        }
        // A value the learner typed (not one read from the lab before) is kept until they say
        // to replace it.
        let mut typed = Vec::new();
        let mut values = app.values.clone();
        for (field, value) in found.record_into(&mut values) {
            match app.values.get(field) {
                Some(mine) if lab_before.get(field) != Some(mine) && !field.is_secret() => {
                    typed.push((field, value, mine.to_string()))
                }
                _ => {
                    app.values.set(field, Some(value.clone()));
                    effects.push(Effect::SetValue(field, value));
                }
            }
        }
        if !typed.is_empty() {
            match &mut app.modal {
                Some(Modal::Replace { values }) => values.extend(typed),
                None => app.modal = Some(Modal::Replace { values: typed }),
                Some(_) => {}
            }
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
        basis: Some(super::state::basis(report.id, app.header.kind.as_str(), &app.values)),
        stale: false,
    };
    app.results.insert(report.id, result);
    effects
}

/// Which steps `ids` belong to, as "5.3 and 5.5".
fn steps_of(ids: &[CheckId]) -> String {
    let mut steps: Vec<&str> = ids.iter().map(|id| id.step()).collect();
    steps.dedup();
    match steps.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One line on what a run found: which checks, and how they came out.
fn run_summary(app: &App, ids: &[CheckId]) -> String {
    let count = |s: Status| ids.iter().filter(|id| app.results.get(id).is_some_and(|r| r.status == s)).count();
    let mut verdicts = vec![format!("{} passed", count(Status::Passed))];
    for (status, word) in [(Status::Failed, "failed"), (Status::Error, "error"), (Status::Skipped, "skipped")] {
        let n = count(status);
        if n > 0 {
            verdicts.push(format!("{n} {word}"));
        }
    }
    let what = if ids.len() == CheckId::ALL.len() {
        format!("ran all {} checks", ids.len())
    } else if ids.len() == 1 {
        format!("checked {}", ids[0])
    } else {
        format!("re-checked {}", steps_of(ids))
    };
    format!("{what}: {}", verdicts.join(", "))
}

fn on_done(app: &mut App, done: JobDone) -> Vec<Effect> {
    let job = app.running.take().map(|r| r.job);
    let mut said = Vec::new();
    match &done.solved {
        Some((action, Ok(Solved::AlreadyDone(_)))) => said.push(format!("{action} was already done")),
        Some((action, Ok(Solved::Done(_)))) => said.push(format!("{action} done")),
        Some((action, Err(outcome))) => {
            let mut lines = vec![outcome.summary.clone()];
            lines.extend(outcome.hint.as_ref().map(|h| format!("→ {}", crate::tui::content::hint_text(app, h))));
            app.modal = Some(Modal::Message { title: format!("{action} did not work"), lines });
            if *action == SolveAction::SignUp && app.password_typed {
                // The password chosen may be what was refused: ask for it again next time.
                app.password_known = false;
                app.password_typed = false;
            }
        }
        None => {}
    }
    if let Some(over) = &done.started_over {
        app.header.account = over.account.clone().or(app.header.account.take());
        if over.signs_in.is_some() {
            app.signs_in = over.signs_in.clone();
        }
        app.password_known = over.password_known;
        app.password_typed = false;
        app.lab = app.lab.merged(&app.lab_here());
        said.push(match &over.lab_kept {
            None => "started over: the local lab is back where section 5 begins".to_string(),
            Some(why) => format!("started over: progress forgotten; {why}"),
        });
    }
    // A console step done: the focus goes to what Next names, when it is on this step.
    if matches!(&done.solved, Some((_, Ok(_)))) && !done.cancelled {
        let step = app.current_step().checks.clone();
        if let Some(next) = CheckId::ALL.into_iter().find(|&id| matches!(app.shown(id), Shown::Failed | Shown::Error))
            && step.contains(&next)
        {
            app.check = step.iter().position(|&c| c == next).unwrap_or(app.check);
        }
    }
    let resumed = app.resumed.take();
    let mut long = false;
    if let Some(job) = &job {
        let ran: Vec<CheckId> = job.checks().into_iter().filter(|id| app.results.contains_key(id)).collect();
        if !ran.is_empty() && done.started_over.is_none() {
            match &resumed {
                Some(welcome) if !done.cancelled => {
                    let summary = run_summary(app, &ran);
                    let verdicts = summary.split_once(": ").map_or(summary.as_str(), |(_, v)| v);
                    said.push(format!("{welcome}; re-checked: {verdicts}"));
                    long = true;
                }
                _ => said.push(run_summary(app, &ran)),
            }
        }
        // `R`: the focus goes where Next points, the first check in lab order that failed.
        if let Job::Checks(ids) = job
            && ids.len() == CheckId::ALL.len()
            && !done.cancelled
            && let Some(first) =
                CheckId::ALL.into_iter().find(|&id| matches!(app.shown(id), Shown::Failed | Shown::Error))
        {
            app.focus_check(first);
        }
    }
    if done.cancelled {
        long = true;
        said = vec![match &done.solved {
            Some((action, Ok(Solved::Done(_)))) => format!("stopped the checks after {action}: {action} was done"),
            Some((action, Ok(Solved::AlreadyDone(_)))) => format!("stopped: {action} was already done"),
            Some((action, Err(_))) => format!("stopped: {action} did not work"),
            None => match &job {
                Some(Job::Solve(action, _)) => {
                    format!("stopped {action} midway: the change may have been made — r checks")
                }
                _ => "stopped".to_string(),
            },
        }];
    }
    if !said.is_empty() {
        app.toast_for(said.join(" · "), if long { LONG_TOAST_MS } else { TOAST_MS });
    }
    if let Some(email) = done.email {
        let mut lines = vec![format!("To: {}", email.to), format!("Subject: {}", email.subject), String::new()];
        lines.extend(email.body.lines().map(String::from));
        app.modal = Some(Modal::Message { title: "The local lab's outbox".into(), lines });
    }
    // After a start-over that could not bring the stacks back (a `walab serve`'s lab), its own
    // reading of the stacks is no news.
    let after_start_over = matches!(job, Some(Job::StartOver));
    if std::mem::take(&mut app.torn_down_pending) && app.modal.is_none() && !done.cancelled && !after_start_over {
        app.modal = Some(Modal::TornDown);
    }
    if let Some(what) = app.another_lab_pending.take()
        && app.modal.is_none()
        && !after_start_over
    {
        app.modal = Some(Modal::StartOver { why: Some(what) });
    }
    if matches!(job, Some(Job::Token(_))) && app.password_typed && app.shown(CheckId::IdToken) != Shown::Passed {
        // The typed password may have been wrong: ask again next time.
        app.password_known = false;
        app.password_typed = false;
    }
    vec![Effect::Save]
}
