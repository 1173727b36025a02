//! An attendee in the dashboard's words: a check's glyph and colour, how long ago something
//! happened, and the details view (who, where, each check with why it has not passed) with how
//! far it scrolls at a terminal's size. The view draws these lines; the update scrolls within
//! what they hold, so the two cannot disagree.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::guide::{CheckId, Guide};
use crate::locallab::room::api::AttendeeProgress;
use crate::tui::Theme;

/// Rows above and below the details: the dashboard's header (2), footer (1), and the details'
/// top border (1).
const AROUND: u16 = 4;

/// `1h 05m`, `4m`, `12s`.
pub fn ago(ms: i64) -> String {
    let secs = (ms / 1000).max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// Milliseconds since the epoch of an ISO 8601 time from the room.
pub fn millis(iso: &str) -> Option<i64> {
    let dt = aws_smithy_types::DateTime::from_str(iso, aws_smithy_types::date_time::Format::DateTime).ok()?;
    dt.to_millis().ok()
}

pub fn glyph(status: &str) -> &'static str {
    match status {
        "passed" => "✓",
        "failed" => "✗",
        "error" => "!",
        _ => "○",
    }
}

pub fn status_style(status: &str, theme: &Theme) -> Style {
    match status {
        "passed" => theme.passed,
        "failed" | "error" => theme.failed,
        _ => theme.pending,
    }
}

/// The details of `a` at `now_ms`: who and where, then each check, with why it has not passed in
/// the words the attendee's walab showed.
pub fn lines(a: &AttendeeProgress, now_ms: i64, guide: &Guide, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", a.name), theme.title),
            Span::styled(format!("· account {} · {}/12 passed", a.account_id, a.passed), theme.text),
        ]),
        Line::styled(
            match (a.step.as_str(), millis(&a.on_step_since)) {
                ("done", _) => "Section 5 is done.".to_string(),
                (step, Some(since)) => format!("On step {step} for {}.", ago(now_ms - since)),
                (step, None) => format!("On step {step}."),
            },
            theme.text,
        ),
        Line::styled(
            format!("Last seen {} ago.", millis(&a.last_activity).map(|t| ago(now_ms - t)).unwrap_or_default()),
            theme.dim,
        ),
        Line::raw(""),
    ];
    if a.report_only {
        lines.insert(3, Line::styled("Does the lab on their own AWS account: what their walab reported.", theme.dim));
    }
    for id in CheckId::ALL {
        let status = a.checks.get(id.as_str()).and_then(|v| v.as_str()).unwrap_or("pending");
        lines.push(Line::from(vec![
            Span::styled(format!("{} {status:<8}", glyph(status)), status_style(status, theme)),
            Span::styled(format!(" {}  ", id.step()), theme.dim),
            Span::styled(guide.check_text(id).title.clone(), theme.text),
        ]));
        if let Some(summary) = a.summaries.get(id.as_str()).filter(|_| status != "passed") {
            lines.push(Line::styled(format!("             {summary}"), theme.dim));
        }
    }
    lines
}

/// The rows the details are drawn in on a `size` terminal (its whole width).
pub fn window(size: (u16, u16)) -> (u16, u16) {
    (size.0, size.1.saturating_sub(AROUND))
}

/// How far the details of `a` scroll on a `size` terminal: the rows they take, wrapped, less
/// the rows they are shown in.
pub fn limit(a: &AttendeeProgress, now_ms: i64, size: (u16, u16)) -> u16 {
    let Ok(guide) = Guide::load() else { return 0 };
    let (width, height) = window(size);
    let total = crate::tui::layout::wrapped(&lines(a, now_ms, &guide, &Theme::plain()), width);
    total.saturating_sub(height)
}

/// How far PgUp and PgDn move the details: a window less one row, so a line stays in sight.
pub fn page(size: (u16, u16)) -> u16 {
    window(size).1.saturating_sub(1).max(1)
}
