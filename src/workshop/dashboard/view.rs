//! Draws the dashboard: one row per attendee, one column per check (a glyph, and the word when
//! the screen is wide enough; a legend says what the glyphs mean), readable without colour and
//! from the back of a room.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use unicode_width::UnicodeWidthStr;

use super::details::{self, ago, glyph, millis, status_style};
use super::state::{DETAIL_KEYS, Dashboard, KEYS, MIN_HEIGHT, MIN_WIDTH};
use crate::guide::{CheckId, Guide};
use crate::locallab::room::api::AttendeeProgress;
use crate::tui::Theme;

/// The checks' column labels, in the checks' order.
const LABELS: [&str; 12] = [
    "stacks", "secret", "user", "authzr", "method", "deploy", "header", "inval", "no tok", "token", "w/ tok", "direct",
];

/// Width of a check column: the word needs 9 (`✓ pending`), the glyph 6 (the label).
const WIDE_CELL: u16 = 9;
const NARROW_CELL: u16 = 6;

pub fn draw(frame: &mut Frame, app: &Dashboard, guide: &Guide, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text =
            format!("walab room needs at least {MIN_WIDTH}×{MIN_HEIGHT} (this one is {}×{})", area.width, area.height);
        frame.render_widget(Paragraph::new(text).style(theme.text), area);
        return;
    }
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    draw_header(frame, header, app, theme);
    if app.detail
        && let Some(attendee) = app.selected_row()
    {
        draw_detail(frame, body, attendee, app, guide, theme);
    } else {
        draw_table(frame, body, app, theme);
    }
    draw_footer(frame, footer, app, theme);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &Dashboard, theme: &Theme) {
    let attendees = app.snapshot.as_ref().map(|s| s.attendees.len()).unwrap_or(0);
    let done = app.snapshot.as_ref().map(|s| s.attendees.iter().filter(|a| a.step == "done").count()).unwrap_or(0);
    let updated = match app.fetched_ms {
        Some(at) => format!("updated {} ago", ago(app.now_ms - at)),
        None => "waiting for the room".to_string(),
    };
    // On a narrow screen the sort order goes first, then the URL's scheme: the counts and how
    // fresh they are always show.
    let counts = format!("{attendees} attendees, {done} done");
    let sort = format!(" · {}", app.sort.label());
    let server = &app.server;
    let bare = server.strip_prefix("http://").or_else(|| server.strip_prefix("https://")).unwrap_or(server);
    let fits = |server: &str, sort: &str| {
        format!("walab room · {server} · {counts} · {updated}{sort}").width() <= usize::from(area.width)
    };
    let (server, sort) = if fits(server, &sort) {
        (server.as_str(), sort)
    } else if fits(bare, &sort) {
        (bare, sort)
    } else {
        (bare, String::new())
    };
    let first = Line::from(vec![
        Span::styled("walab room ", theme.title),
        Span::styled(format!("· {server} · "), theme.dim),
        Span::styled(counts, theme.text),
        Span::styled(format!(" · {updated}{sort}"), theme.dim),
    ]);
    let second = match &app.problem {
        Some(problem) => Line::styled(format!("the room is not answering: {problem}"), theme.failed),
        None if app.filtering || !app.filter.is_empty() => {
            Line::styled(format!("filter: {}{}", app.filter, if app.filtering { "▏" } else { "" }), theme.accent)
        }
        None => Line::styled(format!("{} · ✓ passed  ✗ failed  ! error  ○ pending", by_step(app)), theme.dim),
    };
    frame.render_widget(Paragraph::new(vec![first, second]), area);
}

/// Where the room stands: how many attendees are on each step ("7 at 5.3 · 3 at 5.4 · 12 done"),
/// and which row is selected of how many.
fn by_step(app: &Dashboard) -> String {
    let Some(snapshot) = &app.snapshot else { return String::new() };
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for a in &snapshot.attendees {
        *counts.entry(a.step.clone()).or_default() += 1;
    }
    let done = counts.remove("done").unwrap_or(0);
    let mut parts: Vec<String> = counts.into_iter().map(|(step, n)| format!("{n} at {step}")).collect();
    parts.push(format!("{done} done"));
    let rows = app.rows().len();
    let position = if rows > 0 { format!(" · row {}/{rows}", app.selected.min(rows - 1) + 1) } else { String::new() };
    format!("{}{position}", parts.join(" · "))
}

fn draw_table(frame: &mut Frame, area: Rect, app: &Dashboard, theme: &Theme) {
    let rows = app.rows();
    if rows.is_empty() {
        let text = if app.snapshot.is_none() {
            "Waiting for the room's first answer…"
        } else if app.filter.is_empty() {
            "Nobody has joined yet. Attendees join with the command `walab serve --room` printed."
        } else {
            "Nobody's name matches the filter (Esc clears it)."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim).wrap(Wrap { trim: true }), area);
        return;
    }
    // Name, passed, step, time on step, then the checks: with their words when they fit, as
    // glyphs under short labels when not, and as glyphs grouped by step on a narrow screen.
    let name_width: u16 = if area.width >= 80 { 20 } else { 14 };
    let fixed = name_width + 6 + 5 + 8 + 4;
    let layout = if area.width >= fixed + 12 * (WIDE_CELL + 1) {
        Columns::Words
    } else if area.width >= fixed + 12 * (NARROW_CELL + 1) {
        Columns::Labels
    } else {
        Columns::ByStep
    };
    // Below 66 columns the time on the step gives way to the checks (it is in the details).
    let with_time = area.width >= 66;
    let mut widths = vec![Constraint::Length(name_width), Constraint::Length(6), Constraint::Length(5)];
    let mut header: Vec<Cell> = ["attendee", "passed", "step"].iter().map(|h| Cell::from(*h)).collect();
    if with_time {
        widths.push(Constraint::Length(8));
        header.push(Cell::from("on step"));
    }
    match layout {
        Columns::Words | Columns::Labels => {
            let width = if layout == Columns::Words { WIDE_CELL } else { NARROW_CELL };
            widths.extend(std::iter::repeat_n(Constraint::Length(width), 12));
            header.extend(LABELS.iter().map(|l| Cell::from(*l)));
        }
        Columns::ByStep => {
            widths.push(Constraint::Min(27));
            header.push(Cell::from("checks by step"));
        }
    }
    let body = rows.iter().map(|a| {
        let since = millis(&a.on_step_since).map(|t| ago(app.now_ms - t)).unwrap_or_default();
        let mut cells = vec![
            // An attendee on their own AWS account is followed by what their walab reports.
            Cell::from(crate::tui::content::fit(
                &format!("{}{}", a.name, if a.report_only { " (aws)" } else { "" }),
                name_width as usize,
            )),
            Cell::from(format!("{:>2}/12", a.passed)),
            Cell::from(a.step.clone()),
        ];
        if with_time {
            cells.push(Cell::from(if a.step == "done" { String::new() } else { since }));
        }
        let status = |id: CheckId| a.checks.get(id.as_str()).and_then(|v| v.as_str()).unwrap_or("pending").to_string();
        match layout {
            Columns::Words | Columns::Labels => {
                for id in CheckId::ALL {
                    let status = status(id);
                    let text = if layout == Columns::Words {
                        format!("{} {status}", glyph(&status))
                    } else {
                        glyph(&status).to_string()
                    };
                    cells.push(Cell::from(text).style(status_style(&status, theme)));
                }
            }
            Columns::ByStep => {
                let mut spans = Vec::new();
                let mut step = "";
                for id in CheckId::ALL {
                    if id.step() != step {
                        step = id.step();
                        spans.push(Span::styled(
                            format!("{}{step} ", if spans.is_empty() { "" } else { " " }),
                            theme.dim,
                        ));
                    }
                    let status = status(id);
                    spans.push(Span::styled(glyph(&status), status_style(&status, theme)));
                }
                cells.push(Cell::from(Line::from(spans)));
            }
        }
        Row::new(cells)
    });
    let table = Table::new(body, widths)
        .header(Row::new(header).style(theme.title))
        .row_highlight_style(theme.selected)
        .block(Block::default().borders(Borders::TOP).border_style(theme.border));
    let mut state = TableState::default().with_selected(Some(app.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Columns {
    Words,
    Labels,
    ByStep,
}

/// The details of `a`, scrolled by `app.detail_scroll` (kept within what they hold), with a
/// marker on the border for what is above and below, as the walkthrough's panes have.
fn draw_detail(frame: &mut Frame, area: Rect, a: &AttendeeProgress, app: &Dashboard, guide: &Guide, theme: &Theme) {
    let lines = details::lines(a, app.now_ms, guide, theme);
    let height = area.height.saturating_sub(1);
    let total = crate::tui::layout::wrapped(&lines, area.width);
    let offset = app.detail_scroll.min(total.saturating_sub(height));
    let below = total.saturating_sub(offset + height);
    let mut block = Block::default().borders(Borders::TOP).border_style(theme.border).title(" details (Esc: back) ");
    let mut marks = Vec::new();
    if offset > 0 {
        marks.push(format!("▲ {offset} above"));
    }
    if below > 0 {
        marks.push(format!("▼ {below} more · PgDn"));
    }
    if !marks.is_empty() {
        block = block.title_top(Line::styled(format!(" {} ", marks.join(" · ")), theme.accent).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).scroll((offset, 0)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &Dashboard, theme: &Theme) {
    let mut spans = Vec::new();
    let mut used = 0usize;
    for binding in if app.detail { DETAIL_KEYS } else { KEYS } {
        let width = binding.label.chars().count() + binding.short.chars().count() + 3;
        if used + width > area.width as usize {
            break;
        }
        used += width;
        spans.push(Span::styled(binding.label, theme.key));
        spans.push(Span::styled(format!(" {}  ", binding.short), theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
