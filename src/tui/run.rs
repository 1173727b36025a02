//! The event loop: one queue of messages (keys, check progress, finished work, signals),
//! drained before every redraw; `update` decides, this module carries out the effects. Work
//! that talks to AWS runs on tasks under a cancellation token and reports back as messages on
//! the same queue (the checks' runner reports through a sink that sends them), so the loop
//! never waits on the network and every report arrives once, before its job's end. It
//! redraws only after a message, and ticks only while something on screen moves (a spinner, a
//! countdown, a toast).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::app::{App, Copyable, Effect, Email, Header, Job, JobDone, Msg, StartedOver, update};
use super::theme::{Theme, ThemeName};
use super::{store, view};
use crate::checks::{Context, Event};
use crate::guide::{Guide, SolveAction};
use crate::locallab::{LabOptions, LocalLab, RunningLab};
use crate::report::{Failure, and_closed};
use crate::session::{Prompt, Session};
use crate::settings::Dirs;
use crate::solve::Solved;

/// The local lab the walkthrough uses in this process: its outbox (sign-up shows the email)
/// and, when this walkthrough started it, the lab itself, so starting over can reset it.
pub struct EmbeddedLab {
    current: std::sync::Mutex<Arc<LocalLab>>,
    running: tokio::sync::Mutex<Option<(RunningLab, LabOptions)>>,
    owns: bool,
}

impl EmbeddedLab {
    /// A lab this walkthrough runs: starting over sets it back to where section 5 begins.
    pub fn owning(running: RunningLab, options: LabOptions) -> EmbeddedLab {
        EmbeddedLab {
            current: std::sync::Mutex::new(running.lab.clone()),
            running: tokio::sync::Mutex::new(Some((running, options))),
            owns: true,
        }
    }

    /// A lab run by someone else in this process (tests): its outbox only.
    pub fn borrowed(lab: Arc<LocalLab>) -> EmbeddedLab {
        EmbeddedLab { current: std::sync::Mutex::new(lab), running: tokio::sync::Mutex::new(None), owns: false }
    }

    pub fn owns(&self) -> bool {
        self.owns
    }

    pub fn lab(&self) -> Arc<LocalLab> {
        self.current.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops the lab and starts it afresh, on the same ports; the new lab's account.
    async fn start_over(&self) -> Result<Arc<LocalLab>, String> {
        let mut running = self.running.lock().await;
        let Some((lab, options)) = running.take() else { return Err("this walkthrough does not run the lab".into()) };
        let before = lab.endpoints();
        lab.shutdown().await.map_err(|e| e.to_string())?;
        let fresh = LabOptions { fresh: true, ..options.clone() };
        let started = RunningLab::start(fresh).await.map_err(|e| e.to_string())?;
        let moved = started.endpoints() != before;
        let lab = started.lab.clone();
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = lab.clone();
        *running = Some((started, options));
        if moved {
            return Err("the lab came back on other ports (the old ones were taken): restart walab".into());
        }
        Ok(lab)
    }

    /// Stops the lab, if this walkthrough runs it (its state is saved).
    pub async fn shutdown(&self) -> Result<(), crate::locallab::LabError> {
        match self.running.lock().await.take() {
            Some((lab, _)) => lab.shutdown().await,
            None => Ok(()),
        }
    }
}

/// What the loop needs besides the state: the shared check context and where things go.
pub struct Services {
    pub ctx: Arc<Context>,
    pub guide: Guide,
    /// The local lab in this process, if any.
    pub lab: Option<Arc<EmbeddedLab>>,
    /// Where progress is saved, and under which target.
    pub progress: Option<(PathBuf, String)>,
    /// Copy with OSC 52 on stdout (off in tests).
    pub osc52: bool,
}

/// What a test driving the loop can watch: finished jobs and checks, and the screen's text.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub jobs_done: u64,
    /// Reports of finished checks handled so far.
    pub reports: u64,
    pub busy: bool,
    pub modal: bool,
    /// Evidence items copied so far.
    pub copied: u64,
    pub screen: String,
}

/// The queue's two ends.
pub struct Queue {
    pub tx: UnboundedSender<Msg>,
    pub rx: UnboundedReceiver<Msg>,
}

pub use crate::clock::now_ms;

struct Runner<'a> {
    app: &'a mut App,
    services: &'a Services,
    tx: UnboundedSender<Msg>,
    job: Option<CancellationToken>,
    root: CancellationToken,
    jobs_done: u64,
    reports: u64,
    /// Progress to save, handed to the saver task so no key waits on the disk.
    saves: Option<watch::Sender<Option<super::app::Progress>>>,
    copied: u64,
}

impl Runner<'_> {
    fn copy(&self, text: &str) {
        if self.services.osc52 {
            // OSC 52: the terminal puts it on the clipboard, over SSH too.
            let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let mut out = std::io::stdout();
            let _ = write!(out, "\x1b]52;c;{encoded}\x07").and_then(|_| out.flush());
        }
    }

    /// Handles one message; false when it cannot have changed the screen (a key bound to nothing).
    fn handle(&mut self, msg: Msg) -> bool {
        if let Msg::Key(key) = &msg
            && self.app.modal.is_none()
            && super::keymap::action_for(key).is_none()
            && super::app::unbound_name(key).is_none()
        {
            return false;
        }
        if matches!(msg, Msg::Paste(_)) && self.app.modal.is_none() {
            return false;
        }
        match &msg {
            Msg::Done(_) => {
                self.jobs_done += 1;
                self.job = None;
            }
            Msg::Check(Event::Finished(_)) => self.reports += 1,
            _ => {}
        }
        self.app.now_ms = now_ms();
        for effect in update(self.app, msg) {
            self.carry_out(effect);
        }
        true
    }

    fn carry_out(&mut self, effect: Effect) {
        let ctx = &self.services.ctx;
        match effect {
            Effect::Start(job) => {
                let cancel = self.root.child_token();
                self.job = Some(cancel.clone());
                let (ctx, guide, lab, tx) =
                    (ctx.clone(), self.services.guide.clone(), self.services.lab.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let work = tokio::spawn(async move { run_job(job, &ctx, &guide, lab.as_deref(), &cancel).await });
                    // A job that panics (a bug) still ends, so the walkthrough does not wait forever.
                    let done = work.await.unwrap_or_else(|_| JobDone { cancelled: true, ..JobDone::default() });
                    let _ = tx.send(Msg::Done(Box::new(done)));
                });
            }
            Effect::Cancel => {
                if let Some(job) = &self.job {
                    job.cancel();
                }
            }
            Effect::SetValue(field, value) => ctx.set_value(field, Some(value)),
            Effect::SetPassword(password) => ctx.set_password(password),
            Effect::ForgetValues { keep_username } => ctx.forget(keep_username),
            Effect::Copy(text) => self.copy(&text),
            Effect::CopyEvidence(what) => {
                let token = ctx.token();
                let text = match what {
                    Copyable::IdToken => token.map(|t| t.token.expose().to_string()),
                    Copyable::Curl { url, with_token } => {
                        let token = token.filter(|_| with_token);
                        Some(super::content::curl_line(&url, token.as_ref().map(|t| t.token.expose())))
                    }
                };
                if let Some(text) = text {
                    self.copy(&text);
                }
                self.copied = self.copied.saturating_add(1);
            }
            Effect::Save => {
                if let Some(saves) = &self.saves {
                    saves.send_replace(Some(self.app.progress()));
                }
            }
            Effect::Quit => {}
        }
    }
}

/// One piece of work, start to finish; it never fails, it reports (its checks through the
/// context's sink as they finish, the rest in what it returns).
async fn run_job(
    job: Job,
    ctx: &Context,
    guide: &Guide,
    lab: Option<&EmbeddedLab>,
    cancel: &CancellationToken,
) -> JobDone {
    let mut done = JobDone::default();
    match &job {
        Job::Checks(_) => {}
        // `t`: a new token, whatever the last one has left.
        Job::Token(_) => ctx.forget_token(),
        Job::Solve(action, _) => {
            let action = *action;
            let solved = tokio::select! {
                _ = cancel.cancelled() => None,
                solved = crate::solve::solve(action, ctx) => Some(solved),
            };
            if action == SolveAction::SignUp
                && matches!(solved, Some(Ok(Solved::Done(_))))
                && let (Some(lab), Some(username)) = (lab, ctx.credentials().username)
            {
                done.email =
                    lab.lab().last_email_to(&username).map(|m| Email { to: m.to, subject: m.subject, body: m.body });
            }
            done.solved = solved.map(|s| (action, s));
        }
        Job::StartOver => done.started_over = Some(start_over(ctx, lab).await),
    }
    let reports = crate::checks::run(&job.checks(), ctx, guide, cancel).await;
    // A walab that joined a room reports what it showed, on a task of its own: the learner
    // never waits for the room.
    if let Some(reporter) =
        crate::settings::Dirs::from_env().ok().and_then(|d| crate::attendee::report::Reporter::for_this_machine(&d))
    {
        tokio::spawn(async move {
            let _ = reporter.send(&reports).await;
        });
    }
    done.cancelled = cancel.is_cancelled();
    done
}

/// Sets the lab back to where section 5 begins when this walkthrough runs it, and signs in as
/// its new demo user from then on.
async fn start_over(ctx: &Context, lab: Option<&EmbeddedLab>) -> StartedOver {
    let mut over = StartedOver::default();
    let Some(lab) = lab.filter(|l| l.owns()) else {
        over.lab_kept = Some(match ctx.kind {
            crate::target::TargetKind::Local => {
                "the lab belongs to a walab serve: restart it with --fresh to reset it too".into()
            }
            crate::target::TargetKind::Aws => "the lab in AWS is left as it is".into(),
            crate::target::TargetKind::Room => {
                "your account in the room is left as it is: ask your instructor if it needs to start over".into()
            }
        });
        over.password_known = ctx.credentials().password.is_some();
        return over;
    };
    match lab.start_over().await {
        Ok(fresh) => {
            let info = fresh.info();
            over.account = fresh.account().map(|a| a.ctx.id.clone());
            if let Some(info) = info {
                // The values were forgotten with the lab: the new demo user, unless told otherwise.
                let credentials = crate::session::who_signs_in(None, Some(&info.demo_user), Prompt::Never);
                over.signs_in = credentials.username.clone();
                over.password_known = credentials.password.is_some();
                ctx.set_credentials(credentials);
            }
        }
        Err(e) => {
            over.lab_kept = Some(format!("the lab could not be reset: {e}"));
            over.password_known = ctx.credentials().password.is_some();
        }
    }
    over
}

fn input_msg(event: crossterm::event::Event) -> Option<Msg> {
    match event {
        crossterm::event::Event::Key(key) => Some(Msg::Key(key)),
        crossterm::event::Event::Resize(width, height) => Some(Msg::Resize(width, height)),
        crossterm::event::Event::Paste(text) => Some(Msg::Paste(text)),
        crossterm::event::Event::Mouse(mouse) => {
            let down = match mouse.kind {
                crossterm::event::MouseEventKind::ScrollDown => true,
                crossterm::event::MouseEventKind::ScrollUp => false,
                _ => return None,
            };
            Some(Msg::Wheel { down, column: mouse.column, row: mouse.row })
        }
        _ => None,
    }
}

/// Runs the walkthrough on `terminal` until it quits, reading input from `input`.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    services: &Services,
    theme: &Theme,
    queue: Queue,
    mut input: S,
    observer: Option<watch::Sender<Observed>>,
) -> std::io::Result<()>
where
    B: Backend,
    S: Stream<Item = std::io::Result<crossterm::event::Event>> + Unpin,
{
    let Queue { tx, mut rx } = queue;
    // Checks report on the loop's own queue.
    let sink = tx.clone();
    services.ctx.report_to(Arc::new(move |event| {
        let _ = sink.send(Msg::Check(event));
    }));
    let root = CancellationToken::new();
    let saver = services.progress.clone().map(spawn_saver);
    let saves = saver.as_ref().map(|(saves, _)| saves.clone());
    let mut runner =
        Runner { app, services, tx, job: None, root: root.clone(), jobs_done: 0, reports: 0, saves, copied: 0 };
    if let Ok(size) = terminal.size() {
        runner.app.size = (size.width, size.height);
    }
    runner.app.now_ms = now_ms();
    runner.app.owns_lab = services.lab.as_ref().is_some_and(|l| l.owns());
    for effect in runner.app.on_start() {
        runner.carry_out(effect);
    }
    let mut dirty = true;
    let result = loop {
        // Everything already queued is handled before drawing.
        while let Ok(msg) = rx.try_recv() {
            dirty |= runner.handle(msg);
        }
        if runner.app.quit {
            break Ok(());
        }
        if dirty {
            dirty = false;
            runner.app.now_ms = now_ms();
            let frame = match terminal.draw(|frame| view::draw(frame, runner.app, theme)) {
                Ok(frame) => frame,
                Err(e) => break Err(std::io::Error::other(e.to_string())),
            };
            if let Some(observer) = &observer {
                observer.send_replace(Observed {
                    jobs_done: runner.jobs_done,
                    reports: runner.reports,
                    busy: runner.app.busy(),
                    modal: runner.app.modal.is_some(),
                    copied: runner.copied,
                    screen: view::buffer_text(frame.buffer),
                });
            }
        }
        let tick = runner.app.next_tick();
        let msg = tokio::select! {
            biased;
            Some(msg) = rx.recv() => msg,
            event = input.next() => match event {
                Some(Ok(event)) => match input_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(e)) => break Err(e),
                None => Msg::Terminate,
            },
            () = tokio::time::sleep(tick.unwrap_or(Duration::ZERO)), if tick.is_some() => Msg::Tick,
        };
        dirty |= runner.handle(msg);
    };
    root.cancel();
    // Let the saver finish what it has, so nothing older lands after the caller's final save.
    drop(runner);
    if let Some((saves, task)) = saver {
        drop(saves);
        let _ = task.await;
    }
    result
}

/// Writes progress off the event loop (the file is synced, which can take a while), keeping
/// only the newest when saves come faster than the disk.
fn spawn_saver(
    (path, target): (PathBuf, String),
) -> (watch::Sender<Option<super::app::Progress>>, tokio::task::JoinHandle<()>) {
    let (saves, mut pending) = watch::channel(None::<super::app::Progress>);
    let task = tokio::spawn(async move {
        while pending.changed().await.is_ok() {
            let Some(progress) = pending.borrow_and_update().clone() else { continue };
            let (path, target) = (path.clone(), target.clone());
            let saved = tokio::task::spawn_blocking(move || store::save(&path, &target, &progress)).await;
            if let Ok(Err(e)) = saved {
                tracing::warn!("cannot save progress: {e}");
            }
        }
    });
    (saves, task)
}

/// Logs go to a file while the terminal belongs to the walkthrough.
pub fn log_to_file(dirs: &Dirs) {
    let path = dirs.log_file();
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = crate::fsutil::create_private_dir(&dirs.data).and_then(|_| options.open(&path));
    if let Ok(file) = file {
        crate::logging::to_file(file);
    }
}

/// The walkthrough on this terminal, on an open session, until the learner quits; then the
/// progress and the values are saved and an embedded lab stopped.
pub async fn run(dirs: Dirs, guide: Guide, session: Session, theme: ThemeName, mouse: bool) -> Result<(), Failure> {
    let values = session.values().clone();
    let mut session = session.share();
    let running = session.target.lab.take();
    let target = &session.target;
    let header = Header {
        kind: target.kind,
        target: target.label(),
        profile: target.profile.clone(),
        region: target.region.clone(),
        account: running.as_ref().and_then(|l| l.lab.account()).map(|a| a.ctx.id.clone()),
        endpoint: target.foreign_endpoint(),
    };
    let progress_path = store::path(&dirs.data);
    let (progress, problem) = match store::load(&progress_path, &target.values_key) {
        Ok(progress) => (progress, None),
        Err(e) => {
            tracing::warn!("{e}");
            (None, Some(e))
        }
    };
    let password_known = session.ctx.credentials().password.is_some();
    let mut app = App::new(guide.clone(), header, values, password_known, progress);
    app.signs_in = session.ctx.credentials().username;
    app.stack = session.ctx.stack.clone();
    if let Some(problem) = problem {
        app.modal = Some(super::app::Modal::Message {
            title: "Starting afresh".into(),
            lines: vec![problem, "It will be replaced when you move on.".into()],
        });
    }
    let mut notices = target.notices.clone();
    if let Some(running) = &running {
        notices.extend(running.notices.iter().cloned());
    }
    if !notices.is_empty() && app.modal.is_none() {
        app.modal = Some(super::app::Modal::Message { title: "The local lab".into(), lines: notices });
    }
    let lab = running.map(|running| Arc::new(EmbeddedLab::owning(running, crate::target::embedded_lab_options(&dirs))));
    let services = Services {
        ctx: session.ctx.clone(),
        guide,
        lab: lab.clone(),
        progress: Some((progress_path, target.values_key.clone())),
        osc52: true,
    };
    let theme = Theme::from_env(theme);
    let (tx, rx) = unbounded_channel();
    spawn_signal_watch(tx.clone());

    // ratatui's init installs a panic hook that restores the terminal before the message.
    let mut terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(e) => {
            if let Some(lab) = &lab {
                let _ = lab.shutdown().await;
            }
            let _ = session.close(app.values.clone()).await;
            return Err(Failure::failed(format!("cannot set up the terminal: {e}")));
        }
    };
    // Pasted text arrives whole (into a value being edited), not as keys.
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste);
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    }
    keep_the_terminal_for_the_ui_thread();
    let input = crossterm::event::EventStream::new();
    let result = run_loop(&mut terminal, &mut app, &services, &theme, Queue { tx, rx }, input, None).await;
    restore_terminal();
    if let Some((path, key)) = &services.progress
        && let Err(e) = store::save(path, key, &app.progress())
    {
        tracing::warn!("cannot save progress: {e}");
    }
    let stopped = match &lab {
        Some(lab) => lab.shutdown().await.map_err(Failure::failed),
        None => Ok(()),
    };
    let closed = session.close(app.values.clone()).await;
    let ended = result.map_err(|e| Failure::failed(format!("the terminal failed: {e}")));
    and_closed(and_closed(ended, stopped), closed)
}

/// Gives the terminal back as it was: bracketed paste and the mouse off, then ratatui's restore.
fn restore_terminal() {
    release_input_modes();
    ratatui::restore();
}

/// Turns off what walab turned on beyond ratatui's own set-up (harmless when it was not on).
fn release_input_modes() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableBracketedPaste,
        crossterm::event::DisableMouseCapture
    );
}

/// ratatui's panic hook restores the terminal, then reports the panic. That is right for the
/// thread that draws; a panic on a worker (inside a check) is caught by its task, so there it
/// is logged instead, and the walkthrough carries on with its terminal intact.
fn keep_the_terminal_for_the_ui_thread() {
    let ui = std::thread::current().id();
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui {
            release_input_modes();
            restore_and_report(info);
        } else {
            tracing::error!("a task panicked: {info}");
        }
    }));
}

/// SIGTERM (and SIGINT sent from outside; Ctrl-C at the keyboard is a key) ends the walkthrough
/// through the same path as `q`, so the terminal is restored and progress saved.
fn spawn_signal_watch(tx: UnboundedSender<Msg>) {
    let stop = crate::signals::StopSignal::install();
    tokio::spawn(async move {
        stop.wait().await;
        let _ = tx.send(Msg::Terminate);
    });
}
