//! Where each pane goes, for any terminal from the smallest the walkthrough draws in: a pure
//! function of the state and the size, shared by `view` (to draw) and `update` (to keep
//! scrolling within what a pane holds).
//!
//! Tall and wide terminals put the step's text under the steps and values, so the checks and
//! their evidence have the right-hand column; smaller ones stack text, checks and evidence on
//! the right, giving the most room to the pane with the focus. Whatever does not fit scrolls,
//! and its pane says so.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Pane};
use super::content;
use super::theme::Theme;

/// Where everything goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub steps: Rect,
    pub values: Rect,
    pub text: Rect,
    pub checks: Option<Rect>,
    pub evidence: Rect,
    pub next: Rect,
    pub footer: Rect,
    /// How much of each check the checks pane says.
    pub density: Density,
}

/// The scrolling pane at a cell of the screen, if any (for the mouse wheel).
pub fn pane_at(app: &App, column: u16, row: u16) -> Option<Pane> {
    let areas = areas(app, Rect::new(0, 0, app.size.0, app.size.1));
    let at = ratatui::layout::Position::new(column, row);
    [(Some(areas.text), Pane::Steps), (areas.checks, Pane::Checks), (Some(areas.evidence), Pane::Evidence)]
        .into_iter()
        .find_map(|(area, pane)| area.filter(|a| a.contains(at)).map(|_| pane))
}

/// How far each scrolling pane can scroll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub text: u16,
    pub checks: u16,
    pub evidence: u16,
}

/// How many rows `lines` take wrapped at `width`.
pub fn wrapped(lines: &[Line<'static>], width: u16) -> u16 {
    if width == 0 {
        return lines.len() as u16;
    }
    Paragraph::new(lines.to_vec()).wrap(Wrap { trim: false }).line_count(width).min(u16::MAX as usize) as u16
}

/// The inside of a bordered pane.
pub fn inner(area: Rect) -> Rect {
    Rect::new(area.x + 1, area.y + 1, area.width.saturating_sub(2), area.height.saturating_sub(2))
}

/// How much of each check the checks pane says: everything, or on a short terminal only the
/// focused check's and failing checks' second lines (`Compact`), or, when even that would hide
/// a check, one line per check plus the focused one's summary and hint cut to a line each
/// (`Tight`; the evidence says them whole).
pub use super::content::Density;

/// The checks' lines (and where the focused check's begin) at `width` inside the borders.
pub fn check_rows(app: &App, theme: &Theme, width: u16, density: Density) -> (Vec<Line<'static>>, u16) {
    let blocks = content::check_blocks(app, theme, width as usize, density);
    let selected = app.check.min(blocks.len().saturating_sub(1));
    let start: u16 = blocks[..selected.min(blocks.len())].iter().map(|b| wrapped(b, width)).sum();
    (blocks.into_iter().flatten().collect(), start)
}

/// Rows the checks pane needs at `density`, borders included.
fn checks_needed(app: &App, theme: &Theme, width: u16, density: Density) -> u16 {
    let inside = width.saturating_sub(2);
    wrapped(&check_rows(app, theme, inside, density).0, inside) + 2
}

/// The densest-to-read way the checks fit in `room` rows, and the rows they take.
fn fit_checks(app: &App, theme: &Theme, width: u16, room: u16, first: Density) -> (Density, u16) {
    for density in [first, Density::Compact, Density::Tight] {
        let needed = checks_needed(app, theme, width, density);
        if needed <= room || density == Density::Tight {
            return (density, needed.min(room));
        }
    }
    (Density::Tight, room)
}

/// The evidence keeps at least this many rows (four lines inside its borders).
const EVIDENCE_MIN: u16 = 6;

pub fn areas(app: &App, area: Rect) -> Areas {
    let theme = Theme::plain();
    let next_height = wrapped(&[content::next_line(app, &theme)], area.width).clamp(1, 2);
    let [header, body, next, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(next_height),
        Constraint::Length(1),
    ])
    .areas(area);
    let wide = area.width >= 100 && area.height >= 30;
    let left_width = if area.width >= 120 { 52 } else { area.width * 2 / 5 };
    let [left, right] = Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
    let steps_height = app.guide.steps.len() as u16 + 2;
    let values_height = content::value_lines(app, &theme, left.width.saturating_sub(2) as usize).len() as u16 + 2;
    let has_checks = !app.current_step().checks.is_empty();

    if wide && !has_checks {
        // Nothing to check: the text has the right-hand column, the evidence only says so.
        let [steps, values, evidence] = Layout::vertical([
            Constraint::Length(steps_height),
            Constraint::Length(values_height),
            Constraint::Fill(1),
        ])
        .areas(left);
        return Areas {
            header,
            steps,
            values,
            text: right,
            checks: None,
            evidence,
            next,
            footer,
            density: Density::Full,
        };
    }
    if wide {
        let [steps, values, text] =
            Layout::vertical([Constraint::Length(steps_height), Constraint::Length(values_height), Constraint::Min(3)])
                .areas(left);
        let room = (right.height / 2).max(right.height.saturating_sub(EVIDENCE_MIN + 8));
        let (density, checks_height) = fit_checks(app, &theme, right.width, room, Density::Full);
        let [checks, evidence] =
            Layout::vertical([Constraint::Length(checks_height), Constraint::Fill(1)]).areas(right);
        return Areas { header, steps, values, text, checks: Some(checks), evidence, next, footer, density };
    }

    // The values are only as tall as their rows; editing them on a short terminal, they get
    // the room and the steps scroll.
    let (steps, values) = if app.focus == Pane::Values {
        let steps_rows = steps_height.min(left.height.saturating_sub(values_height)).max(3);
        let [steps, values] = Layout::vertical([Constraint::Length(steps_rows), Constraint::Fill(1)]).areas(left);
        (steps, values)
    } else {
        let steps_rows = steps_height.min(left.height.saturating_sub(4));
        let values_rows = values_height.min(left.height.saturating_sub(steps_rows));
        let [steps, values] = Layout::vertical([Constraint::Fill(1), Constraint::Length(values_rows)]).areas(left);
        (steps, values)
    };
    // On the right: every check of the step with its status, at least four lines of evidence,
    // and the step's text in what is left (a line of it when the checks or evidence have the
    // focus; it scrolls).
    let height = right.height;
    let text_needed = wrapped(&content::text_lines(app, &theme), right.width.saturating_sub(2)) + 2;
    if !has_checks {
        let text_height = text_needed.min(height.saturating_sub(3));
        let [text, evidence] = Layout::vertical([Constraint::Length(text_height), Constraint::Fill(1)]).areas(right);
        return Areas { header, steps, values, text, checks: None, evidence, next, footer, density: Density::Full };
    }
    let text_min = 3.min(text_needed);
    let room = height.saturating_sub(EVIDENCE_MIN + text_min);
    let (density, checks_height) = fit_checks(app, &theme, right.width, room, Density::Compact);
    // The evidence has what it holds (at least four lines); the text what is left.
    let evidence_needed = app.focused_check().map_or(EVIDENCE_MIN, |id| {
        (wrapped(&content::evidence_lines(app, id, &theme), right.width.saturating_sub(2)) + 2).max(EVIDENCE_MIN)
    });
    let text_height = match app.focus {
        Pane::Steps | Pane::Values => text_needed.min(height.saturating_sub(checks_height + EVIDENCE_MIN)),
        Pane::Checks | Pane::Evidence => {
            text_needed.min(height.saturating_sub(checks_height + evidence_needed)).max(text_min)
        }
    };
    let [text, checks, evidence] =
        Layout::vertical([Constraint::Length(text_height), Constraint::Length(checks_height), Constraint::Fill(1)])
            .areas(right);
    Areas { header, steps, values, text, checks: Some(checks), evidence, next, footer, density }
}

fn full_area(app: &App) -> Rect {
    Rect::new(0, 0, app.size.0, app.size.1)
}

/// How far each pane can scroll at the app's size.
pub fn scroll_limits(app: &App) -> Limits {
    if app.too_small() {
        return Limits::default();
    }
    let theme = Theme::plain();
    let areas = areas(app, full_area(app));
    let text = inner(areas.text);
    let text_total = wrapped(&content::text_lines(app, &theme), text.width);
    let checks = areas.checks.map_or(0, |c| {
        let inside = inner(c);
        let (lines, start) = check_rows(app, &theme, inside.width, areas.density);
        wrapped(&lines, inside.width).saturating_sub(inside.height).saturating_sub(start)
    });
    let evidence = inner(areas.evidence);
    let evidence_total =
        app.focused_check().map_or(0, |id| wrapped(&content::evidence_lines(app, id, &theme), evidence.width));
    Limits {
        text: text_total.saturating_sub(text.height),
        checks,
        evidence: evidence_total.saturating_sub(evidence.height),
    }
}

/// How many lines PgUp/PgDn move in the focused pane.
pub fn page(app: &App) -> u16 {
    let areas = areas(app, full_area(app));
    let rows = match app.focus {
        Pane::Steps => inner(areas.text).height,
        Pane::Checks => areas.checks.map_or(0, |c| inner(c).height),
        Pane::Evidence => inner(areas.evidence).height,
        Pane::Values => inner(areas.values).height,
    };
    rows.saturating_sub(1).max(1)
}

/// How far the open dialog (help, a long message) can scroll.
pub fn modal_limit(app: &App) -> u16 {
    let theme = Theme::plain();
    let (lines, widest) = match &app.modal {
        Some(super::app::Modal::Help) => (content::help_lines(app, &theme), 100),
        Some(super::app::Modal::Message { lines, .. }) => (lines.iter().map(|l| Line::raw(l.clone())).collect(), 76),
        _ => return 0,
    };
    let width = app.size.0.saturating_sub(4).min(widest).saturating_sub(2);
    let rows = app.size.1.saturating_sub(2);
    wrapped(&lines, width).saturating_sub(rows)
}
