//! The event loop: one queue of messages (keys, check progress, finished work, signals),
//! drained before every redraw; `update` decides, this module carries out the effects. Work
//! that talks to AWS runs on tasks under a cancellation token and reports back as messages on
//! the same queue (the checks' runner reports through a sink that sends them), so the loop
//! never waits on the network and every report arrives once, before its job's end. It
//! redraws only after a message, and ticks only while something on screen moves (a spinner, a
//! countdown, a toast).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::app::{App, Effect, Email, Header, Job, JobDone, Msg, update};
use super::theme::{Theme, ThemeName};
use super::{store, view};
use crate::checks::{Context, Event};
use crate::guide::{Guide, SolveAction};
use crate::report::{USAGE, fail};
use crate::session::{Prompt, Session};
use crate::settings::Dirs;
use crate::solve::Solved;
use crate::target::TargetArgs;

/// What the loop needs besides the state: the shared check context and where things go.
pub struct Services {
    pub ctx: Arc<Context>,
    pub guide: Guide,
    /// The embedded local lab, whose outbox sign-up shows.
    pub outbox: Option<Arc<crate::locallab::LocalLab>>,
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
    pub screen: String,
}

/// The queue's two ends.
pub struct Queue {
    pub tx: UnboundedSender<Msg>,
    pub rx: UnboundedReceiver<Msg>,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

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
}

impl Runner<'_> {
    /// Handles one message; false when it cannot have changed the screen (a key bound to nothing).
    fn handle(&mut self, msg: Msg) -> bool {
        if let Msg::Key(key) = &msg
            && self.app.modal.is_none()
            && super::keymap::action_for(key).is_none()
        {
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
                let (ctx, guide, outbox, tx) =
                    (ctx.clone(), self.services.guide.clone(), self.services.outbox.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let work =
                        tokio::spawn(async move { run_job(job, &ctx, &guide, outbox.as_deref(), &cancel).await });
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
            Effect::Copy(text) => {
                if self.services.osc52 {
                    // OSC 52: the terminal puts it on the clipboard, over SSH too.
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                    let mut out = std::io::stdout();
                    let _ = write!(out, "\x1b]52;c;{encoded}\x07").and_then(|_| out.flush());
                }
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
    outbox: Option<&crate::locallab::LocalLab>,
    cancel: &CancellationToken,
) -> JobDone {
    let mut done = JobDone::default();
    match job {
        Job::Checks(ids) => {
            crate::checks::run(&ids, ctx, guide, cancel).await;
        }
        Job::Token => {
            crate::checks::run(&[crate::guide::CheckId::IdToken], ctx, guide, cancel).await;
        }
        Job::Solve(action) => {
            let solved = tokio::select! {
                _ = cancel.cancelled() => None,
                solved = crate::solve::solve(action, ctx) => Some(solved),
            };
            if action == SolveAction::SignUp
                && matches!(solved, Some(Ok(Solved::Done(_))))
                && let (Some(outbox), Some(username)) = (outbox, ctx.credentials().username)
            {
                done.email =
                    outbox.last_email_to(&username).map(|m| Email { to: m.to, subject: m.subject, body: m.body });
            }
            done.solved = solved.map(|s| (action, s));
            if let Some(step) = guide.steps.iter().find(|s| s.checks.contains(&action.check())) {
                crate::checks::run(&step.checks, ctx, guide, cancel).await;
            }
        }
    }
    done.cancelled = cancel.is_cancelled();
    done
}

fn input_msg(event: crossterm::event::Event) -> Option<Msg> {
    match event {
        crossterm::event::Event::Key(key) => Some(Msg::Key(key)),
        crossterm::event::Event::Resize(width, height) => Some(Msg::Resize(width, height)),
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
    let mut runner = Runner { app, services, tx, job: None, root: root.clone(), jobs_done: 0, reports: 0, saves };
    if let Ok(size) = terminal.size() {
        runner.app.size = (size.width, size.height);
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
fn log_to_file(dirs: &Dirs) {
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

/// `walab` with no subcommand: the walkthrough on this terminal.
pub async fn run(args: &TargetArgs, theme: ThemeName) -> ExitCode {
    let dirs = match Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => return fail(USAGE, e, None),
    };
    log_to_file(&dirs);
    let guide = match Guide::load() {
        Ok(guide) => guide,
        Err(e) => return fail(USAGE, e, None),
    };
    let session = match Session::open(args, Prompt::Never).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let values = session.values().clone();
    let session = session.share();
    let target = &session.target;
    let header = Header {
        kind: target.kind,
        target: target.label(),
        profile: target.profile.clone(),
        region: target.region.clone(),
        account: target.lab.as_ref().and_then(|l| l.lab.account()).map(|a| a.ctx.id.clone()),
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
    if let Some(problem) = problem {
        app.modal = Some(super::app::Modal::Message {
            title: "Starting afresh".into(),
            lines: vec![problem, "It will be replaced when you move on.".into()],
        });
    }
    if let Some(running) = &target.lab
        && !running.notices.is_empty()
    {
        app.modal = Some(super::app::Modal::Message { title: "The local lab".into(), lines: running.notices.clone() });
    }
    let services = Services {
        ctx: session.ctx.clone(),
        guide,
        outbox: target.lab.as_ref().map(|l| l.lab.clone()),
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
            let _ = session.close(app.values.clone()).await;
            return fail(1, format!("cannot set up the terminal: {e}"), None);
        }
    };
    keep_the_terminal_for_the_ui_thread();
    let input = crossterm::event::EventStream::new();
    let result = run_loop(&mut terminal, &mut app, &services, &theme, Queue { tx, rx }, input, None).await;
    ratatui::restore();
    if let Some((path, key)) = &services.progress
        && let Err(e) = store::save(path, key, &app.progress())
    {
        tracing::warn!("cannot save progress: {e}");
    }
    let closed = session.close(app.values.clone()).await;
    match (result, closed) {
        (Err(e), _) => fail(1, format!("the terminal failed: {e}"), None),
        (Ok(()), Err(code)) => code,
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
    }
}

/// ratatui's panic hook restores the terminal, then reports the panic. That is right for the
/// thread that draws; a panic on a worker (inside a check) is caught by its task, so there it
/// is logged instead, and the walkthrough carries on with its terminal intact.
fn keep_the_terminal_for_the_ui_thread() {
    let ui = std::thread::current().id();
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui {
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
