//! Drawing the walkthrough: a pure function of the state and the theme. What a pane cannot
//! show at once scrolls, and its border says how much more there is; nothing is cut silently.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Modal, Pane, Shown};
use super::content::{self, fit};
use super::keymap::{Action, KEYS};
use super::layout::{self, Areas, inner, wrapped};
use super::theme::Theme;
use crate::target::TargetKind;

pub use super::content::{clock, countdown, duration};

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    let areas = layout::areas(app, area);
    draw_header(frame, areas.header, app, theme);
    draw_steps(frame, areas.steps, app, theme);
    draw_values(frame, areas.values, app, theme);
    draw_text(frame, areas.text, app, theme);
    draw_checks(frame, &areas, app, theme);
    draw_evidence(frame, areas.evidence, app, theme);
    draw_next(frame, areas.next, app, theme);
    draw_footer(frame, areas.footer, app, theme);
    if let Some(modal) = &app.modal {
        draw_modal(frame, area, app, modal, theme);
    }
}

/// The next thing to do; cut with `…` when it does not fit its lines (the checks say it whole).
fn draw_next(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = content::next_line(app, theme);
    if wrapped(std::slice::from_ref(&line), area.width) <= area.height {
        frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), area);
        return;
    }
    let plain: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let room = (area.width.saturating_sub(12) as usize) * area.height as usize;
    let mut cut = vec![line.spans[0].clone()];
    cut.push(Span::styled(fit(plain.strip_prefix("Next ").unwrap_or(&plain), room), theme.hint));
    frame.render_widget(Paragraph::new(Line::from(cut)).wrap(Wrap { trim: false }), area);
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = format!("walab needs at least {MIN_WIDTH}×{MIN_HEIGHT} (this one is {}×{})", area.width, area.height);
    let line = Rect::new(area.x, area.y + area.height / 2, area.width, area.height.min(1));
    frame.render_widget(Paragraph::new(text).style(theme.text), line);
}

fn pane<'a>(theme: &Theme, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Rounded })
        .border_style(if focused { theme.border_focused } else { theme.border })
        .title(title)
        .title_style(theme.title)
}

/// Draws `lines` in `block` scrolled by `offset` (kept within what they hold), with a marker on
/// the border for what is above and below; `keys` names the keys that scroll it.
fn scrolled(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    lines: Vec<Line<'static>>,
    offset: u16,
    keys: Option<&str>,
    theme: &Theme,
) {
    let inside = inner(area);
    let total = wrapped(&lines, inside.width);
    let offset = offset.min(total.saturating_sub(inside.height));
    let below = total.saturating_sub(offset + inside.height);
    let mut block = block;
    if offset > 0 {
        block = block.title_top(Line::styled(format!(" ▲ {offset} above "), theme.accent).right_aligned());
    }
    if below > 0 {
        let how = keys.map(|k| format!(" · {k}")).unwrap_or_default();
        block = block.title_bottom(Line::styled(format!(" ▼ {below} more{how} "), theme.accent).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((offset, 0)).block(block), area);
}

/// The header: where the lab is, kept whole on the right; the title cut on the left to make room.
pub fn header_parts(app: &App, width: usize) -> (String, String) {
    let h = &app.header;
    let mut right = match h.kind {
        TargetKind::Local | TargetKind::Room => vec![h.target.clone()],
        TargetKind::Aws => vec!["AWS".to_string(), format!("profile {}", h.profile.as_deref().unwrap_or("default"))],
    };
    right.push(h.region.clone());
    if let Some(endpoint) = &h.endpoint {
        right.push(format!("endpoint {endpoint}"));
    }
    if let Some(account) = &h.account {
        right.push(format!("account {account}"));
    }
    // The least needed goes first when there is no room: the account, then the region.
    while right.len() > 1 && right.join(" · ").chars().count() + 2 > width * 2 / 3 {
        let drop = if h.account.is_some() && right.len() > 2 { right.len() - 1 } else { 1 };
        right.remove(drop.min(right.len() - 1));
        if right.len() == 1 {
            break;
        }
    }
    let right = fit(&format!("{} ", right.join(" · ")), width.saturating_sub(8));
    let room = width.saturating_sub(right.chars().count() + 1);
    let left = fit(&format!(" walab · {}", app.guide.title), room);
    (left, right)
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // A message has the top line to itself while it lasts, so the footer keeps every key.
    if let Some(toast) = app.toast.as_ref().filter(|_| app.modal.is_none()) {
        let text = fit(&format!(" {} ", toast.text), area.width as usize);
        let style = if toast.fading(app.now_ms) { theme.dim } else { theme.toast };
        frame.render_widget(Paragraph::new(Span::styled(text, style)), area);
        return;
    }
    let (left, right) = header_parts(app, area.width as usize);
    let right_width = right.chars().count() as u16;
    frame.render_widget(Paragraph::new(Span::styled(left, theme.title)), area);
    let at = Rect::new(area.right().saturating_sub(right_width), area.y, right_width.min(area.width), 1);
    frame.render_widget(Paragraph::new(Span::styled(right, theme.accent)), at);
}

fn draw_steps(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Pane::Steps;
    let width = inner(area).width as usize;
    // Narrow: the glyph alone says the status (the checks pane has the words).
    let words = width >= 36;
    let lines: Vec<Line> = app
        .guide
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let selected = i == app.step;
            let id = if step.id.len() <= 4 { step.id.as_str() } else { "" };
            let marker = if selected { "›" } else { " " };
            let title_style = if selected && focused {
                theme.selected
            } else if selected {
                theme.accent
            } else {
                theme.text
            };
            let status = match (app.step_shown(step), words) {
                (Some(s), true) => Span::styled(format!("{} {:<7}", s.glyph(app.now_ms), s.word()), theme.status(s)),
                (Some(s), false) => Span::styled(s.glyph(app.now_ms).to_string(), theme.status(s)),
                (None, true) => Span::raw(" ".repeat(9)),
                (None, false) => Span::raw(" "),
            };
            let used = 1 + status.width() + 1 + 4;
            Line::from(vec![
                Span::styled(marker, theme.accent),
                status,
                Span::raw(" "),
                Span::styled(format!("{id:<4}"), theme.dim),
                Span::styled(fit(&step.title, width.saturating_sub(used)), title_style),
            ])
        })
        .collect();
    let passed = crate::guide::CheckId::ALL.iter().filter(|&&id| app.shown(id) == Shown::Passed).count();
    let all = crate::guide::CheckId::ALL.len();
    let count =
        if width >= 40 { format!(" {passed} of {all} checks passed ") } else { format!(" {passed}/{all} passed ") };
    let block = pane(theme, " Steps ", focused).title_top(Line::styled(count, theme.dim).right_aligned());
    // The current step stays in sight when the pane is short.
    let rows = inner(area).height;
    let offset = (app.step as u16 + 1).saturating_sub(rows);
    if offset > 0 || lines.len() as u16 > rows {
        scrolled(frame, area, block, lines, offset, None, theme);
    } else {
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

fn draw_values(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Pane::Values;
    let inside = inner(area);
    let blocks = content::value_blocks(app, theme, inside.width as usize);
    // The focused value stays in sight.
    let start: u16 = blocks[..app.value.min(blocks.len())].iter().map(|b| b.len() as u16).sum();
    let len = blocks.get(app.value).map_or(1, |b| b.len() as u16);
    let offset = if focused { (start + len).saturating_sub(inside.height).min(start) } else { 0 };
    let lines: Vec<Line<'static>> = blocks.into_iter().flatten().collect();
    scrolled(frame, area, pane(theme, " Values ", focused), lines, offset, Some("↑↓"), theme);
}

fn draw_text(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let step = app.current_step();
    let title = format!(" {} ", fit(&format!("{} · {}", step.id, step.title), area.width.saturating_sub(4) as usize));
    let keys = if app.focus == Pane::Steps { Some("PgDn") } else { None };
    scrolled(frame, area, pane(theme, title, false), content::text_lines(app, theme), app.scroll.text, keys, theme);
}

fn draw_checks(frame: &mut Frame, areas: &Areas, app: &App, theme: &Theme) {
    let Some(area) = areas.checks else { return };
    let inside = inner(area);
    let (lines, start) = layout::check_rows(app, theme, inside.width, areas.density);
    let keys = if app.focus == Pane::Checks { Some("PgDn") } else { None };
    let block = pane(theme, " Checks ", app.focus == Pane::Checks);
    scrolled(frame, area, block, lines, start.saturating_add(app.scroll.checks), keys, theme);
}

fn draw_evidence(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Pane::Evidence;
    let Some(id) = app.focused_check() else {
        let last = app.step + 1 >= app.guide.steps.len();
        let text = if last {
            "Nothing to check in this step: it is the last one."
        } else {
            "Nothing to check in this step. ↓ for the next one."
        };
        let paragraph = Paragraph::new(Span::styled(text, theme.dim)).wrap(Wrap { trim: false });
        frame.render_widget(paragraph.block(pane(theme, " Evidence ", focused)), area);
        return;
    };
    let lines = content::evidence_lines(app, id, theme);
    let keys = if focused { Some("↓ PgDn") } else { None };
    let block = pane(theme, format!(" Evidence · {id} "), focused);
    scrolled(frame, area, block, lines, app.scroll.evidence, keys, theme);
}

/// The footer's keys that apply now, most needed first (from the key table): moving and panes,
/// what this pane and step offer, then the rest; help and quit always close the line.
pub fn footer_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    const ORDER: [Action; 16] = [
        Action::Up,
        Action::NextPane,
        Action::Solve,
        Action::Edit,
        Action::Copy,
        Action::CopyExport,
        Action::Act,
        Action::RunStep,
        Action::RunAll,
        Action::Token,
        Action::Back,
        Action::Reveal,
        Action::PageDown,
        Action::StartOver,
        Action::Help,
        Action::Quit,
    ];
    let mut keys = Vec::new();
    for action in ORDER {
        let Some(b) = KEYS.iter().find(|b| b.action == action) else { continue };
        if !app.applies(action) {
            continue;
        }
        let (label, short) = match action {
            // Up and down share one place in the footer, as do the two pages.
            Action::Up => ("↑↓", "move"),
            Action::PageDown => ("PgUp/Dn", "scroll"),
            Action::Back if app.busy() => (b.label, "stop"),
            _ => (b.label, b.short),
        };
        keys.push((label, short));
    }
    keys
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let key_spans = |keys: &[(&str, &str)]| -> Vec<Span<'static>> {
        let mut spans = vec![Span::raw(" ")];
        for (key, what) in keys {
            spans.push(Span::styled(key.to_string(), theme.key));
            spans.push(Span::styled(format!(" {what}  "), theme.text));
        }
        spans
    };
    let spans = match &app.modal {
        Some(Modal::Confirm(_) | Modal::StartOver { .. } | Modal::TornDown | Modal::Replace { .. }) => {
            key_spans(&[("y", "do it"), ("n Esc", "cancel")])
        }
        Some(Modal::Edit { .. } | Modal::Password { .. } | Modal::ConfirmByName { .. }) => {
            key_spans(&[("Enter", "done"), ("Esc", "cancel"), ("←→ Home End", "move"), ("Ctrl-U/W", "delete")])
        }
        Some(Modal::Help | Modal::Message { .. }) => {
            key_spans(&[("Esc", "close"), ("↑↓ PgUp/Dn", "scroll"), ("q", "quit")])
        }
        None => {
            let width = |(label, short): &(&str, &str)| (label.chars().count() + short.chars().count() + 3) as u16;
            let keys = footer_keys(app);
            // Help and quit close the line whatever else fits; the rest in order, while they fit.
            let (last, rest): (Vec<_>, Vec<_>) = keys.into_iter().partition(|(l, _)| matches!(*l, "?" | "q"));
            let mut room = area.width.saturating_sub(1 + last.iter().map(width).sum::<u16>());
            let mut shown: Vec<(&str, &str)> = Vec::new();
            for key in rest {
                // A short word for a tight line, rather than dropping the key.
                if width(&key) > room {
                    continue;
                }
                room -= width(&key);
                shown.push(key);
            }
            shown.extend(last);
            key_spans(&shown)
        }
    };
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(area.x + (area.width - width) / 2, area.y + (area.height - height) / 2, width, height)
}

fn field_line(shown: &str, cursor: usize, theme: &Theme) -> Line<'static> {
    let before: String = shown.chars().take(cursor).collect();
    let at: String = shown.chars().nth(cursor).map(String::from).unwrap_or_else(|| " ".to_string());
    let after: String = shown.chars().skip(cursor + 1).collect();
    Line::from(vec![
        Span::styled("> ", theme.accent),
        Span::styled(before, theme.text),
        Span::styled(at, theme.selected),
        Span::styled(after, theme.text),
    ])
}

/// `y` and what it does, `n` / `Esc` and what they do: a dialog's two answers.
fn choice_line(yes: &str, no: &str, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled("y", theme.key),
        Span::styled(format!(" {yes}    "), theme.text),
        Span::styled("n", theme.key),
        Span::styled(" / ", theme.text),
        Span::styled("Esc", theme.key),
        Span::styled(format!(" {no}"), theme.text),
    ])
}

fn draw_modal(frame: &mut Frame, area: Rect, app: &App, modal: &Modal, theme: &Theme) {
    let (title, lines): (String, Vec<Line>) = match modal {
        Modal::Help => (" Help · walab ".into(), content::help_lines(app, theme)),
        Modal::Confirm(action) => {
            let what = crate::solve::what_it_changes(*action, app.header.kind);
            let lines = vec![
                Line::from(content::marked(&format!("walab will {what}."), theme.text, theme)),
                Line::raw(""),
                Line::styled(format!("Target: {}", app.header.target), theme.dim),
                Line::raw(""),
                choice_line("do it", "cancel", theme),
            ];
            (format!(" Solve: {action} "), lines)
        }
        Modal::StartOver { why } => {
            let mut lines = Vec::new();
            if let Some(why) = why {
                lines.push(Line::styled(format!("This is not the lab your results are about: {why}."), theme.failed));
                lines.push(Line::raw(""));
            }
            let what = if app.owns_lab {
                "Start over? Your progress is forgotten and the local lab goes back to where section 5 begins (a new pool, client and secret)."
            } else if app.header.kind == TargetKind::Local {
                "Start over? Your progress is forgotten. The lab belongs to a walab serve: restart it with --fresh to reset the lab too."
            } else {
                "Start over? Your progress and the recorded values are forgotten (your username is kept); the lab in AWS is left as it is."
            };
            lines.push(Line::styled(what, theme.text));
            lines.push(Line::raw(""));
            lines.push(choice_line("start over", if why.is_some() { "keep my results" } else { "cancel" }, theme));
            (" Start over ".into(), lines)
        }
        Modal::ConfirmByName { action, name, input, wrong } => {
            // The field goes first, so the terminal's cursor row is known whatever wraps below.
            let what = crate::solve::what_it_changes(*action, app.header.kind);
            let mut lines = vec![field_line(input.value(), input.cursor(), theme)];
            if *wrong {
                lines.push(Line::styled(format!("✗ that is not {name}: nothing was deleted"), theme.failed));
            }
            lines.extend([
                Line::styled(format!("Type {name} to go ahead; this cannot be undone."), theme.text),
                Line::raw(""),
                Line::from(content::marked(&format!("walab will {what}."), theme.text, theme)),
                Line::styled(format!("Target: {}", app.header.target), theme.dim),
                Line::styled("Enter deletes · Esc cancels", theme.dim),
            ]);
            (format!(" Solve: {action} "), lines)
        }
        Modal::TornDown => {
            let what = if app.owns_lab {
                "Start over? The local lab comes back where section 5 begins (new stacks, pool, client and secret) and your progress is forgotten."
            } else {
                "Start over? Your progress is forgotten. The lab belongs to a walab serve: restart it with --fresh to bring its stacks back."
            };
            let lines = vec![
                Line::styled("The lab's stacks are deleted: the clean-up is done.", theme.passed),
                Line::raw(""),
                Line::styled(what, theme.text),
                Line::raw(""),
                choice_line("start over", "leave it as it is", theme),
            ];
            (" Start over ".into(), lines)
        }
        Modal::Replace { values } => {
            let mut lines = vec![Line::styled("The lab says otherwise than the values you recorded:", theme.text)];
            for (field, lab, mine) in values {
                lines.push(Line::raw(""));
                lines.push(Line::styled(field.label().to_string(), theme.accent));
                lines.push(Line::styled(format!("  yours    {mine}"), theme.text));
                lines.push(Line::styled(format!("  the lab  {lab}"), theme.text));
            }
            lines.push(Line::raw(""));
            lines.push(choice_line("record the lab's", "keep mine", theme));
            (" Replace recorded values? ".into(), lines)
        }
        Modal::Edit { key, input, error } => {
            let shown =
                if key.is_secret() { "•".repeat(input.value().chars().count()) } else { input.value().to_string() };
            let mut lines = vec![field_line(&shown, input.cursor(), theme)];
            match error {
                Some(error) => lines.push(Line::styled(format!("✗ {error}"), theme.failed)),
                None if !input.value().is_empty() => lines.push(Line::styled("✓ looks right", theme.passed)),
                None => {}
            }
            if super::app::read_from_lab(*key) {
                lines.push(Line::styled(
                    "walab reads this from the lab when it checks; if the lab's differs, it asks before replacing yours.",
                    theme.dim,
                ));
            }
            lines.push(Line::styled("Enter records it · Esc cancels · ←→ Home End Ctrl-U Ctrl-W", theme.dim));
            (format!(" Edit {} ", key.label()), lines)
        }
        Modal::Password { input, then } => {
            let who =
                app.values.username.clone().or_else(|| app.signs_in.clone()).unwrap_or_else(|| "your user".into());
            let (title, what) = match then {
                super::app::Job::Solve(..) => (" Sign up ", "Enter signs up"),
                _ => (" Sign in ", "Enter signs in"),
            };
            let lines = vec![
                Line::styled(format!("Password for {who} (not recorded anywhere)"), theme.dim),
                field_line(&"•".repeat(input.value().chars().count()), input.cursor(), theme),
                Line::styled(format!("{what} · Esc cancels"), theme.dim),
            ];
            (title.into(), lines)
        }
        Modal::Message { title, lines } => {
            (format!(" {title} "), lines.iter().map(|l| Line::styled(l.clone(), theme.text)).collect())
        }
    };
    let width = (area.width.saturating_sub(4)).min(if matches!(modal, Modal::Help) { 100 } else { 76 });
    let text = Text::from(lines);
    let inner_width = width.saturating_sub(2).max(1);
    let needed = wrapped(&text.lines, inner_width);
    let rect = centered(area, width, needed.saturating_add(2));
    frame.render_widget(Clear, rect);
    let block = pane(theme, title, true);
    if matches!(modal, Modal::Help | Modal::Message { .. }) {
        scrolled(frame, rect, block, text.lines, app.modal_scroll, Some("↓ PgDn"), theme);
    } else {
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), rect);
    }
    let field = match modal {
        Modal::Edit { input, .. } => Some((input, 1)),
        Modal::Password { input, .. } => Some((input, 2)),
        Modal::ConfirmByName { input, .. } => Some((input, 1)),
        _ => None,
    };
    if let Some((input, row)) = field {
        // The terminal's own cursor sits where typing goes (for screen readers and IMEs).
        let x = rect.x + 3 + input.cursor() as u16;
        if x < rect.right().saturating_sub(1) {
            frame.set_cursor_position(Position::new(x, rect.y + row));
        }
    }
}

/// The text of a buffer, one line per row, trailing spaces kept (for snapshots and the README).
pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            out.push_str(symbol);
            skip = unicode_width(symbol).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

fn unicode_width(symbol: &str) -> usize {
    Line::raw(symbol.to_string()).width().max(1)
}
