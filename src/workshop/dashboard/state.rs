//! The dashboard's state and its pure `update`: a message in (a key, a snapshot of the room,
//! the time), the state changed. The time comes in as `now_ms`; nothing here touches the
//! network or the terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::locallab::room::api::{AttendeeProgress, Snapshot};

/// The smallest terminal the table is drawn in; below it, a one-line notice.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// How the rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Fewest checks passed first: who needs help.
    LeastProgress,
    /// Longest on the same step first: who is stuck.
    LongestStuck,
    Name,
}

impl Sort {
    fn next(self) -> Sort {
        match self {
            Sort::LeastProgress => Sort::LongestStuck,
            Sort::LongestStuck => Sort::Name,
            Sort::Name => Sort::LeastProgress,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::LeastProgress => "least progress first",
            Sort::LongestStuck => "longest stuck first",
            Sort::Name => "by name",
        }
    }
}

/// A key the dashboard listens to, for dispatch and the footer alike.
pub struct Binding {
    pub label: &'static str,
    pub short: &'static str,
}

/// The footer's keys, most needed first (the first ones stay on a narrow screen).
pub const KEYS: &[Binding] = &[
    Binding { label: "q", short: "quit" },
    Binding { label: "↑↓", short: "attendee" },
    Binding { label: "Enter", short: "details" },
    Binding { label: "s", short: "sort" },
    Binding { label: "/", short: "filter" },
    Binding { label: "PgUp/Dn Home/End", short: "scroll" },
    Binding { label: "Esc", short: "back" },
];

/// The footer's keys in the details view.
pub const DETAIL_KEYS: &[Binding] = &[
    Binding { label: "Esc", short: "back" },
    Binding { label: "↑↓ PgUp/Dn Home/End", short: "scroll" },
    Binding { label: "q", short: "quit" },
];

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A new snapshot of the room, or why none came.
    Snapshot(Result<Snapshot, String>),
    Resize(u16, u16),
    Terminate,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Where the room is, for the header.
    pub server: String,
    pub snapshot: Option<Snapshot>,
    /// Why the last fetch failed, while it keeps failing.
    pub problem: Option<String>,
    /// When the snapshot shown arrived.
    pub fetched_ms: Option<i64>,
    pub sort: Sort,
    pub filter: String,
    /// Typing into the filter.
    pub filtering: bool,
    pub selected: usize,
    /// Showing one attendee's checks.
    pub detail: bool,
    /// How far the details are scrolled, in rows.
    pub detail_scroll: u16,
    pub size: (u16, u16),
    pub now_ms: i64,
    pub quit: bool,
}

impl Dashboard {
    pub fn new(server: impl Into<String>) -> Dashboard {
        Dashboard {
            server: server.into(),
            snapshot: None,
            problem: None,
            fetched_ms: None,
            sort: Sort::LeastProgress,
            filter: String::new(),
            filtering: false,
            selected: 0,
            detail: false,
            detail_scroll: 0,
            size: (0, 0),
            now_ms: 0,
            quit: false,
        }
    }

    /// The attendees shown, filtered and sorted.
    pub fn rows(&self) -> Vec<&AttendeeProgress> {
        let Some(snapshot) = &self.snapshot else { return Vec::new() };
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<&AttendeeProgress> = snapshot
            .attendees
            .iter()
            .filter(|a| needle.is_empty() || a.name.to_lowercase().contains(&needle))
            .collect();
        match self.sort {
            Sort::LeastProgress => rows.sort_by(|a, b| a.passed.cmp(&b.passed).then_with(|| a.name.cmp(&b.name))),
            Sort::LongestStuck => rows.sort_by(|a, b| {
                let done = |x: &AttendeeProgress| x.step == "done";
                done(a)
                    .cmp(&done(b))
                    .then_with(|| a.on_step_since.cmp(&b.on_step_since))
                    .then_with(|| a.name.cmp(&b.name))
            }),
            Sort::Name => rows.sort_by_key(|a| a.name.to_lowercase()),
        }
        rows
    }

    pub fn selected_row(&self) -> Option<&AttendeeProgress> {
        self.rows().get(self.selected).copied()
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows().len().saturating_sub(1));
    }
}

/// Applies one message.
pub fn update(app: &mut Dashboard, msg: Msg) {
    match msg {
        Msg::Snapshot(Ok(snapshot)) => {
            app.snapshot = Some(snapshot);
            app.problem = None;
            app.fetched_ms = Some(app.now_ms);
            app.clamp();
        }
        Msg::Snapshot(Err(problem)) => app.problem = Some(problem),
        Msg::Resize(width, height) => app.size = (width, height),
        Msg::Terminate => app.quit = true,
        Msg::Key(key) if key.kind == KeyEventKind::Press => on_key(app, key),
        Msg::Key(_) => {}
    }
}

/// How far PgUp and PgDn move, in rows.
const PAGE: usize = 10;

fn on_key(app: &mut Dashboard, key: KeyEvent) {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        app.quit = true;
        return;
    }
    if app.filtering {
        match key.code {
            KeyCode::Enter => app.filtering = false,
            KeyCode::Esc => {
                app.filtering = false;
                app.filter.clear();
            }
            KeyCode::Backspace => {
                app.filter.pop();
            }
            KeyCode::Char(c) if !c.is_control() && app.filter.chars().count() < 40 => app.filter.push(c),
            _ => {}
        }
        app.selected = 0;
        return;
    }
    if app.detail && scroll_details(app, key.code) {
        return;
    }
    match key.code {
        KeyCode::Char('q') => app.quit = true,
        KeyCode::Up | KeyCode::Char('k') => app.selected = app.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            app.selected += 1;
            app.clamp();
        }
        KeyCode::PageUp => app.selected = app.selected.saturating_sub(PAGE),
        KeyCode::PageDown => {
            app.selected += PAGE;
            app.clamp();
        }
        KeyCode::Home => app.selected = 0,
        KeyCode::End => {
            app.selected = usize::MAX;
            app.clamp();
        }
        KeyCode::Enter => {
            app.detail = app.selected_row().is_some();
            app.detail_scroll = 0;
        }
        KeyCode::Esc => {
            if app.detail {
                app.detail = false;
            } else {
                app.filter.clear();
            }
        }
        KeyCode::Char('s') => {
            app.sort = app.sort.next();
            app.selected = 0;
        }
        KeyCode::Char('/') => {
            app.filtering = true;
            app.detail = false;
        }
        _ => {}
    }
}

/// Scrolls the details for a scrolling key, within what they hold at the terminal's size;
/// false for any other key.
fn scroll_details(app: &mut Dashboard, code: KeyCode) -> bool {
    let Some(attendee) = app.selected_row() else { return false };
    let limit = super::details::limit(attendee, app.now_ms, app.size);
    let page = super::details::page(app.size);
    let now = app.detail_scroll.min(limit);
    app.detail_scroll = match code {
        KeyCode::Up | KeyCode::Char('k') => now.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => now.saturating_add(1).min(limit),
        KeyCode::PageUp => now.saturating_sub(page),
        KeyCode::PageDown => now.saturating_add(page).min(limit),
        KeyCode::Home => 0,
        KeyCode::End => limit,
        _ => return false,
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attendee(name: &str, passed: usize, step: &str, since: &str) -> AttendeeProgress {
        AttendeeProgress {
            name: name.into(),
            account_id: format!("{:012}", passed),
            passed,
            checks: serde_json::Map::new(),
            last_activity: since.into(),
            step: step.into(),
            on_step_since: since.into(),
            stuck: None,
            report_only: false,
            summaries: Default::default(),
        }
    }

    fn key(code: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn dashboard() -> Dashboard {
        let mut app = Dashboard::new("http://127.0.0.1:4566");
        update(
            &mut app,
            Msg::Snapshot(Ok(Snapshot {
                attendees: vec![
                    attendee("Ada", 12, "done", "2026-11-27T10:00:00Z"),
                    attendee("Bob", 3, "5.3", "2026-11-27T09:00:00Z"),
                    attendee("Cy", 5, "5.4", "2026-11-27T09:30:00Z"),
                ],
            })),
        );
        app
    }

    fn names(app: &Dashboard) -> Vec<String> {
        app.rows().iter().map(|a| a.name.clone()).collect()
    }

    #[test]
    fn sorts_by_progress_then_by_time_stuck_then_by_name() {
        let mut app = dashboard();
        assert_eq!(names(&app), ["Bob", "Cy", "Ada"]);
        update(&mut app, key(KeyCode::Char('s')));
        assert_eq!(app.sort, Sort::LongestStuck);
        assert_eq!(names(&app), ["Bob", "Cy", "Ada"], "those done come last");
        update(&mut app, key(KeyCode::Char('s')));
        assert_eq!(names(&app), ["Ada", "Bob", "Cy"]);
    }

    #[test]
    fn pages_and_ends_move_through_a_long_room() {
        let mut app = dashboard();
        let attendees = (0..25).map(|i| attendee(&format!("a{i:02}"), i % 12, "5.3", "2026-01-01T00:00:00Z")).collect();
        update(&mut app, Msg::Snapshot(Ok(Snapshot { attendees })));
        update(&mut app, key(KeyCode::End));
        assert_eq!(app.selected, 24);
        update(&mut app, key(KeyCode::PageUp));
        assert_eq!(app.selected, 14);
        update(&mut app, key(KeyCode::Home));
        assert_eq!(app.selected, 0);
        update(&mut app, key(KeyCode::PageDown));
        update(&mut app, key(KeyCode::PageDown));
        update(&mut app, key(KeyCode::PageDown));
        assert_eq!(app.selected, 24, "never past the end");
    }

    #[test]
    fn filters_by_name_and_keeps_the_selection_in_range() {
        let mut app = dashboard();
        update(&mut app, key(KeyCode::Down));
        update(&mut app, key(KeyCode::Down));
        update(&mut app, key(KeyCode::Down));
        assert_eq!(app.selected, 2);
        update(&mut app, key(KeyCode::Char('/')));
        for c in "bo".chars() {
            update(&mut app, key(KeyCode::Char(c)));
        }
        assert_eq!(names(&app), ["Bob"]);
        assert_eq!(app.selected, 0);
        update(&mut app, key(KeyCode::Enter));
        update(&mut app, key(KeyCode::Enter));
        assert!(app.detail);
        assert_eq!(app.selected_row().unwrap().name, "Bob");
        update(&mut app, key(KeyCode::Esc));
        assert!(!app.detail);
        update(&mut app, key(KeyCode::Esc));
        assert_eq!(names(&app).len(), 3, "a second Esc clears the filter");
    }

    #[test]
    fn a_failed_fetch_keeps_the_last_snapshot_and_says_why() {
        let mut app = dashboard();
        update(&mut app, Msg::Snapshot(Err("the room is not answering".into())));
        assert_eq!(names(&app).len(), 3);
        assert!(app.problem.is_some());
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(app.quit);
    }
}
