//! `walab room`'s live dashboard, on the walkthrough's architecture: a pure `update`
//! ([`state`]), a view ([`view`]), and a loop that fetches the room's snapshot every second on
//! a task of its own and redraws when a message arrives. Nothing waits on the network in the
//! loop; nothing spins.

pub mod details;
pub mod state;
pub mod view;

use std::time::Duration;

use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;

use super::client::{self, RoomAccess};
use crate::guide::Guide;
use crate::report::Failure;
use crate::tui::{Theme, ThemeName};
use state::{Dashboard, Msg, update};

/// How often the room is asked for its progress.
const EVERY: Duration = Duration::from_secs(1);

use crate::clock::now_ms;

/// Runs the dashboard on `terminal` until it quits; `input` and `messages` feed it.
pub async fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut Dashboard,
    guide: &Guide,
    theme: &Theme,
    mut messages: mpsc::UnboundedReceiver<Msg>,
) -> std::io::Result<()> {
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }
    loop {
        app.now_ms = now_ms();
        terminal
            .draw(|frame| view::draw(frame, app, guide, theme))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let Some(msg) = messages.recv().await else { return Ok(()) };
        app.now_ms = now_ms();
        update(app, msg);
        while let Ok(msg) = messages.try_recv() {
            update(app, msg);
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// Asks the room for its progress every second, and says when each second passed.
fn spawn_fetcher(access: RoomAccess, tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let client = client::client();
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let snapshot = client::snapshot(&client, &access).await.map_err(|e| e.to_string());
            if tx.send(Msg::Snapshot(snapshot)).is_err() {
                return;
            }
        }
    });
}

fn spawn_input(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut events = crossterm::event::EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let msg = match event {
                crossterm::event::Event::Key(key) => Msg::Key(key),
                crossterm::event::Event::Resize(w, h) => Msg::Resize(w, h),
                _ => continue,
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
        let _ = tx.send(Msg::Terminate);
    });
}

/// `walab room` on this terminal.
pub async fn run(access: RoomAccess, theme: ThemeName) -> Result<(), Failure> {
    let guide = Guide::load()?;
    let theme = Theme::from_env(theme);
    let (tx, rx) = mpsc::unbounded_channel();
    let stop = crate::signals::StopSignal::install();
    let on_stop = tx.clone();
    tokio::spawn(async move {
        stop.wait().await;
        let _ = on_stop.send(Msg::Terminate);
    });
    let mut app = Dashboard::new(access.server.clone());
    let mut terminal = ratatui::try_init().map_err(|e| Failure::failed(format!("cannot set up the terminal: {e}")))?;
    spawn_input(tx.clone());
    spawn_fetcher(access, tx);
    let result = run_loop(&mut terminal, &mut app, &guide, &theme, rx).await;
    ratatui::restore();
    result.map_err(|e| Failure::failed(format!("the terminal failed: {e}")))
}
