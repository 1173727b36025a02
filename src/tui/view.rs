//! Drawing the walkthrough: a pure function of the state and the theme.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use serde_json::Value;

use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Modal, Pane, Shown, VALUE_KEYS};
use super::keymap::{Action, KEYS};
use super::theme::Theme;
use crate::checks::evidence::Response;
use crate::checks::{Evidence, Hint};
use crate::guide::CheckId;
use crate::probe::ResponseHeaders;
use crate::settings::Field;
use crate::target::TargetKind;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    draw_header(frame, header, app, theme);

    let left_width = if area.width >= 120 { 52 } else { area.width * 2 / 5 };
    let [left, right] = Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
    let steps_height = app.guide.steps.len() as u16 + 2;
    let [steps, values, next] =
        Layout::vertical([Constraint::Length(steps_height), Constraint::Length(8), Constraint::Fill(1)]).areas(left);
    draw_steps(frame, steps, app, theme);
    draw_values(frame, values, app, theme);
    draw_next(frame, next, app, theme);

    let step = app.current_step();
    let compact = area.height < 30;
    let check_lines = check_lines(app, theme, right.width.saturating_sub(2) as usize, compact);
    let checks_height = if step.checks.is_empty() { 0 } else { (check_lines.len() as u16 + 2).min(right.height / 2) };
    let [text, checks, evidence] = Layout::vertical([
        Constraint::Percentage(if step.checks.is_empty() { 60 } else { 30 }),
        Constraint::Length(checks_height),
        Constraint::Min(4),
    ])
    .areas(right);
    draw_text(frame, text, app, theme);
    if checks_height > 0 {
        let block = pane(theme, " Checks ", app.focus == Pane::Checks);
        frame.render_widget(Paragraph::new(check_lines).block(block), checks);
    }
    draw_evidence(frame, evidence, app, theme);
    draw_footer(frame, footer, app, theme);
    if let Some(toast) = &app.toast {
        let width = (toast.text.chars().count() as u16 + 2).min(area.width);
        let at = Rect::new(area.right() - width, footer.y.saturating_sub(1), width, 1);
        frame.render_widget(Clear, at);
        frame.render_widget(Paragraph::new(format!(" {} ", toast.text)).style(theme.toast), at);
    }
    if let Some(modal) = &app.modal {
        draw_modal(frame, area, app, modal, theme);
    }
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

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut right = vec![app.header.target.clone()];
    if app.header.kind == TargetKind::Aws {
        right = vec![format!("profile {}", app.header.profile.as_deref().unwrap_or("default"))];
    }
    right.push(app.header.region.clone());
    if let Some(account) = &app.header.account {
        right.push(format!("account {account}"));
    }
    let right = format!("{} ", right.join(" · "));
    let left = Line::from(vec![
        Span::styled(" walab", theme.title),
        Span::styled(" · ", theme.dim),
        Span::styled(app.guide.title.clone(), theme.text),
        Span::styled(if app.header.kind == TargetKind::Aws { " · AWS" } else { "" }, theme.accent),
    ]);
    let right_width = (right.chars().count() as u16).min(area.width / 2);
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(Span::styled(right, theme.accent)).right_aligned(), r);
}

fn status_span(shown: Option<Shown>, now_ms: i64, theme: &Theme) -> Span<'static> {
    match shown {
        Some(s) => Span::styled(format!("{} {:<7}", s.glyph(now_ms), s.word()), theme.status(s)),
        None => Span::raw(" ".repeat(9)),
    }
}

fn draw_steps(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Pane::Steps;
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
            Line::from(vec![
                Span::styled(marker, theme.accent),
                status_span(app.step_shown(step), app.now_ms, theme),
                Span::raw(" "),
                Span::styled(format!("{id:<4}"), theme.dim),
                Span::styled(step.title.clone(), title_style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(pane(theme, " Steps ", focused)), area);
}

/// A short label for the values pane.
fn value_label(key: Field) -> &'static str {
    match key {
        Field::UserPoolId => "Pool id",
        Field::AppClientId => "Client id",
        Field::AppClientSecret => "Secret",
        Field::Username => "Username",
        Field::CloudFrontEndpoint => "CloudFront",
        Field::ApiGatewayUrl => "API URL",
    }
}

fn draw_values(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Pane::Values;
    let lines: Vec<Line> = VALUE_KEYS
        .iter()
        .enumerate()
        .map(|(i, &key)| {
            let shown = if key.is_secret() && app.revealed {
                app.values.get(key).map(String::from)
            } else {
                app.values.display(key)
            };
            let selected = focused && i == app.value;
            let value = match (shown, &app.signs_in) {
                (Some(v), _) => Span::styled(v, if selected { theme.selected } else { theme.text }),
                (None, Some(user)) if key == Field::Username => {
                    Span::styled(format!("{user} (signs in)"), if selected { theme.selected } else { theme.dim })
                }
                (None, _) => Span::styled("not recorded", if selected { theme.selected } else { theme.dim }),
            };
            Line::from(vec![
                Span::styled(if selected { "›" } else { " " }, theme.accent),
                Span::styled(format!("{:<11}", value_label(key)), theme.dim),
                value,
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(pane(theme, " Values ", focused)), area);
}

fn draw_text(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let step = app.current_step();
    let mut lines: Vec<Line> = Vec::new();
    for (i, paragraph) in step.paragraphs.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(paragraph.clone(), theme.text));
    }
    if let Some(console) = &step.console {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![Span::styled("Console: ", theme.accent), Span::styled(console.clone(), theme.dim)]));
    }
    if !step.solves.is_empty() {
        let actions: Vec<&str> = step.solves.iter().map(|a| a.as_str()).collect();
        lines.push(Line::from(vec![
            Span::styled("s ", theme.key),
            Span::styled(format!("does it for you: {}", actions.join(", ")), theme.dim),
        ]));
    }
    let title = format!(" {} · {} ", step.id, step.title);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(pane(theme, title, false)), area);
}

/// A hint as the walkthrough says it. For now in the command line's words (the walkthrough's
/// own, naming its keys, are to come).
fn said(hint: &Hint) -> String {
    hint.for_cli()
}

pub fn duration(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

/// `HH:MM:SSZ` of an epoch-milliseconds time.
pub fn clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `text` cut to `width` columns, with an ellipsis when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// What to do next, in one place: the first diagnosis, or how to start.
fn draw_next(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.height < 3 {
        return;
    }
    let passed = CheckId::ALL.iter().filter(|&&id| app.shown(id) == Shown::Passed).count();
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{passed} of {}", CheckId::ALL.len()),
            if passed == CheckId::ALL.len() { theme.passed } else { theme.accent },
        ),
        Span::styled(" checks passed", theme.text),
    ])];
    let failing = CheckId::ALL.into_iter().find(|&id| matches!(app.shown(id), Shown::Failed | Shown::Error));
    if let Some(running) = &app.running {
        let elapsed = duration((app.now_ms - running.started_ms).max(0) as u64);
        let what = match &running.job {
            super::app::Job::Solve(action) => format!("doing {action}"),
            super::app::Job::Token => "signing in".to_string(),
            super::app::Job::Checks(_) => "checking".to_string(),
        };
        let glyph = Shown::Running.glyph(app.now_ms);
        lines.push(Line::styled(format!("{glyph} {what} · {elapsed} · Esc stops"), theme.running));
    } else if app.results.is_empty() {
        lines.push(Line::styled("Press R to run every check and see where the lab stands.", theme.text));
    } else if let Some(id) = failing {
        let hint = app.results.get(&id).and_then(|r| r.hint.as_ref()).map(said).unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", id.step()), theme.dim),
            Span::styled(id.as_str(), theme.failed),
        ]));
        lines.push(Line::styled(format!("→ {hint}"), theme.hint));
    } else if passed == CheckId::ALL.len() {
        lines.push(Line::styled("Section 5 is done: only signed-in users get through.", theme.passed));
    } else {
        lines.push(Line::styled("R runs the checks that have not run yet.", theme.text));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(pane(theme, " Next ", false)), area);
}

/// Each check: status, id, duration, last run; then what it saw and, when it did not pass, what
/// to do. `compact` (a short terminal) keeps the second line for the focused check and failures.
fn check_lines(app: &App, theme: &Theme, width: usize, compact: bool) -> Vec<Line<'static>> {
    let room = width.saturating_sub(13);
    let step = app.current_step();
    let mut lines = Vec::new();
    for (i, &id) in step.checks.iter().enumerate() {
        let shown = app.shown(id);
        let result = app.results.get(&id);
        let selected = i == app.check.min(step.checks.len().saturating_sub(1));
        let marker = if selected { "›" } else { " " };
        let id_style = if selected && app.focus == Pane::Checks { theme.selected } else { theme.text };
        let mut first = vec![
            Span::styled(marker, theme.accent),
            status_span(Some(shown), app.now_ms, theme),
            Span::raw(" "),
            Span::styled(format!("{:<20}", id.as_str()), id_style),
        ];
        let running = app.running_on(id);
        if let Some(running) = running {
            first.push(Span::styled(
                format!("{:>8}", duration((app.now_ms - running.current_since).max(0) as u64)),
                theme.running,
            ));
        } else if let Some(r) = result {
            first.push(Span::styled(format!("{:>8}", duration(r.duration_ms)), theme.dim));
            if width >= 52 {
                first.push(Span::styled(format!("  {}", clock(r.finished_at)), theme.dim));
            }
        }
        lines.push(Line::from(first));
        if compact && !selected && running.is_none() && matches!(shown, Shown::Passed | Shown::Pending) {
            continue;
        }
        let detail = match (running, result) {
            (Some(r), _) => r.progress.clone().unwrap_or_else(|| app.guide.check_text(id).title.clone()),
            (None, Some(r)) => r.summary.clone(),
            (None, None) => app.guide.check_text(id).title.clone(),
        };
        lines.push(Line::from(vec![Span::raw("           "), Span::styled(fit(&detail, room), theme.text)]));
        if running.is_none()
            && let Some(hint) =
                result.filter(|r| r.status != crate::checks::Status::Passed).and_then(|r| r.hint.as_ref()).map(said)
        {
            lines.push(Line::from(vec![
                Span::styled("           → ", theme.hint),
                Span::styled(fit(&hint, room), theme.hint),
            ]));
        }
    }
    lines
}

fn draw_evidence(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Pane::Evidence;
    let Some(id) = app.focused_check() else {
        let text = "Nothing to check in this step. ↓ for the next one.";
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim)).block(pane(theme, " Evidence ", focused)),
            area,
        );
        return;
    };
    let lines = evidence_lines(app, id, theme);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.scroll, 0)).block(pane(
            theme,
            format!(" Evidence · {id} "),
            focused,
        )),
        area,
    );
}

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::styled(text.to_string(), theme.accent)
}

fn json_lines(value: &Value, theme: &Theme) -> Vec<Line<'static>> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.lines().map(|l| Line::styled(format!("  {l}"), theme.text)).collect()
}

pub fn countdown(seconds_left: i64) -> String {
    let s = seconds_left.abs();
    let mmss = format!("{:02}:{:02}", s / 60, s % 60);
    if seconds_left >= 0 { format!("expires in {mmss}") } else { format!("expired {mmss} ago") }
}

fn evidence_lines(app: &App, id: CheckId, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(running) = app.running_on(id) {
        let elapsed = duration((app.now_ms - running.current_since).max(0) as u64);
        lines.push(Line::styled(format!("{} running · {elapsed}", Shown::Running.glyph(app.now_ms)), theme.running));
        lines.push(Line::styled(running.progress.clone().unwrap_or_default(), theme.dim));
        lines.push(Line::styled("Esc stops it.", theme.dim));
        return lines;
    }
    let Some(result) = app.results.get(&id) else {
        lines.push(Line::styled(app.guide.check_text(id).title.clone(), theme.text));
        lines.push(Line::styled("Not run yet: r runs this step's checks, Enter on a check runs just it.", theme.dim));
        return lines;
    };
    let shown = app.shown(id);
    lines.push(Line::from(vec![
        Span::styled(format!("{} {} ", shown.glyph(app.now_ms), shown.word()), theme.status(shown)),
        Span::styled(result.summary.clone(), theme.text),
    ]));
    if shown != Shown::Passed
        && let Some(hint) = &result.hint
    {
        lines.push(Line::styled(format!("→ {}", said(hint)), theme.hint));
    }
    lines.push(Line::from(Span::styled(
        format!("took {} · last run {}", duration(result.duration_ms), clock(result.finished_at)),
        theme.dim,
    )));
    // The token pane shows the newest token, even when a later sign-in failed.
    let token = match (&app.token, &result.evidence) {
        (Some(t), _) if id == CheckId::IdToken => {
            Some((t.username.clone(), t.header.clone(), t.claims.clone(), Some(t.expires_at)))
        }
        (None, Evidence::IdToken { header, claims }) if id == CheckId::IdToken => Some((
            claims.get("cognito:username").and_then(Value::as_str).unwrap_or_default().to_string(),
            header.clone(),
            Value::Object(claims.clone()),
            claims.get("exp").and_then(Value::as_i64),
        )),
        _ => None,
    };
    if let Some((username, header, claims, exp)) = token
        && !claims.is_null()
    {
        token_lines(&mut lines, &username, &header, &claims, exp, app.now_ms, theme);
        return lines;
    }
    match &result.evidence {
        Evidence::Response(response) => response_lines(&mut lines, response, theme),
        Evidence::Invalidations { distribution, behaviour_changed, invalidations } => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("Distribution {distribution} · behaviour changed {behaviour_changed}"),
                theme.text,
            ));
            if invalidations.is_empty() {
                lines.push(Line::styled("No invalidations yet.", theme.dim));
            }
            for inv in invalidations {
                let done = inv.completed();
                let shown = if done { Shown::Passed } else { Shown::Running };
                lines.push(Line::from(vec![
                    Span::styled(format!("{} {:<10}", if done { "✓" } else { "…" }, inv.status), theme.status(shown)),
                    Span::styled(format!(" {} {} created {}", inv.id, inv.paths.join(" "), inv.created), theme.text),
                ]));
            }
        }
        Evidence::None | Evidence::TimedOut(_) => {}
        Evidence::Other(value) if value.as_object().is_some_and(|o| o.is_empty()) => {}
        other => {
            lines.push(Line::raw(""));
            lines.push(heading("What the check saw", theme));
            lines.extend(json_lines(&serde_json::to_value(other).unwrap_or_default(), theme));
        }
    }
    lines
}

fn token_lines(
    lines: &mut Vec<Line<'static>>,
    username: &str,
    header: &Value,
    claims: &Value,
    exp: Option<i64>,
    now_ms: i64,
    theme: &Theme,
) {
    lines.push(Line::raw(""));
    let mut first = vec![Span::styled(format!("ID token for {username}"), theme.accent)];
    if let Some(exp) = exp {
        let left = exp - now_ms.div_euclid(1000);
        let style = if left > 60 { theme.passed } else { theme.failed };
        first.push(Span::styled(" · ", theme.dim));
        first.push(Span::styled(countdown(left), style));
    }
    lines.push(Line::from(first));
    lines.push(heading("Header", theme));
    lines.extend(json_lines(header, theme));
    lines.push(heading("Claims", theme));
    lines.extend(json_lines(claims, theme));
}

/// The headers an answer's evidence lists, in the order the pane has always shown them.
fn shown_headers(headers: &ResponseHeaders) -> [(&'static str, &Option<String>); 9] {
    [
        ("Age", &headers.age),
        ("Content-Type", &headers.content_type),
        ("Location", &headers.location),
        ("Via", &headers.via),
        ("X-Amz-Cf-Id", &headers.x_amz_cf_id),
        ("X-Amz-Cf-Pop", &headers.x_amz_cf_pop),
        ("x-amzn-ErrorType", &headers.x_amzn_error_type),
        ("x-amzn-RequestId", &headers.x_amzn_request_id),
        ("X-Cache", &headers.x_cache),
    ]
}

fn response_lines(lines: &mut Vec<Line<'static>>, response: &Response, theme: &Theme) {
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![Span::styled("GET ", theme.accent), Span::styled(response.url.clone(), theme.text)]));
    let status_style = match response.status {
        200..=299 => theme.passed,
        400..=499 => theme.running,
        _ => theme.failed,
    };
    let token = if response.token_sent { "token sent" } else { "no token" };
    lines.push(Line::from(vec![
        Span::styled(format!("HTTP {}", response.status), status_style),
        Span::styled(format!(" · {} ms · {token}", response.latency_ms), theme.dim),
    ]));
    if let Some(x_cache) = &response.headers.x_cache {
        let mut line = vec![Span::styled(format!("X-Cache: {x_cache}"), theme.accent)];
        if let Some(means) = &response.x_cache_means {
            line.push(Span::styled(format!(" — {means}"), theme.text));
        }
        lines.push(Line::from(line));
    }
    lines.push(heading("Headers", theme));
    for (name, value) in shown_headers(&response.headers) {
        if let Some(value) = value {
            lines.push(Line::styled(format!("  {name}: {value}"), theme.text));
        }
    }
    if let Some(body) = &response.body {
        lines.push(heading("Body", theme));
        match body {
            Value::String(text) => lines.extend(text.lines().map(|l| Line::styled(format!("  {l}"), theme.text))),
            body => lines.extend(json_lines(body, theme)),
        }
    }
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    let hint = |spans: &mut Vec<Span<'static>>, key: &str, what: &str| {
        spans.push(Span::styled(key.to_string(), theme.key));
        spans.push(Span::styled(format!(" {what}  "), theme.text));
    };
    match &app.modal {
        Some(Modal::Confirm(_)) => {
            hint(&mut spans, "y", "do it");
            hint(&mut spans, "n Esc", "cancel");
        }
        Some(Modal::Edit { .. } | Modal::Password { .. }) => {
            hint(&mut spans, "Enter", "done");
            hint(&mut spans, "Esc", "cancel");
        }
        Some(Modal::Help | Modal::Message { .. }) => {
            hint(&mut spans, "Esc", "close");
            hint(&mut spans, "q", "quit");
        }
        None => {
            let narrow = area.width < 120;
            for b in KEYS {
                let on = app.applies(b.action);
                // Narrow: what applies now; moving around is in the help.
                if (narrow && (!on || matches!(b.action, Action::Up | Action::NextPane))) || b.action == Action::Down {
                    continue;
                }
                let (label, short) = match b.action {
                    // Up and down share one place in the footer.
                    Action::Up => ("↑↓", "move"),
                    Action::Back if app.busy() => (b.label, "stop"),
                    _ => (b.label, b.short),
                };
                spans.push(Span::styled(label.to_string(), if on { theme.key } else { theme.key_off }));
                spans.push(Span::styled(format!(" {short}  "), if on { theme.text } else { theme.key_off }));
            }
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(area.x + (area.width - width) / 2, area.y + (area.height - height) / 2, width, height)
}

fn draw_modal(frame: &mut Frame, area: Rect, app: &App, modal: &Modal, theme: &Theme) {
    let (title, lines): (String, Vec<Line>) = match modal {
        Modal::Help => {
            let mut lines = vec![Line::styled("Keys (greyed: not available right now)", theme.dim)];
            for b in KEYS {
                let on = app.applies(b.action);
                let label = super::keymap::help_label(b);
                lines.push(Line::from(vec![
                    Span::styled(format!(" {label:<9}"), if on { theme.key } else { theme.key_off }),
                    Span::styled(b.long.to_string(), if on { theme.text } else { theme.key_off }),
                ]));
            }
            lines.push(Line::raw(""));
            lines.push(Line::from(
                [Shown::Passed, Shown::Failed, Shown::Running, Shown::Pending, Shown::Skipped]
                    .into_iter()
                    .flat_map(|s| {
                        [Span::styled(format!(" {} {}", s.glyph(0), s.word()), theme.status(s)), Span::raw(" ")]
                    })
                    .collect::<Vec<_>>(),
            ));
            (" Help · walab ".into(), lines)
        }
        Modal::Confirm(action) => {
            let what = crate::solve::what_it_changes(*action, app.header.kind);
            let lines = vec![
                Line::styled(format!("walab will {what}."), theme.text),
                Line::raw(""),
                Line::styled(format!("Target: {}", app.header.target), theme.dim),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("y", theme.key),
                    Span::styled(" do it    ", theme.text),
                    Span::styled("n", theme.key),
                    Span::styled(" / ", theme.text),
                    Span::styled("Esc", theme.key),
                    Span::styled(" cancel", theme.text),
                ]),
            ];
            (format!(" Solve: {action} "), lines)
        }
        Modal::Edit { key, input, error } => {
            let shown = if key.is_secret() { "•".repeat(input.chars().count()) } else { input.clone() };
            let mut lines =
                vec![Line::from(vec![Span::styled("> ", theme.accent), Span::styled(format!("{shown}▏"), theme.text)])];
            if let Some(error) = error {
                lines.push(Line::styled(error.clone(), theme.failed));
            }
            lines.push(Line::styled("Enter records it · Esc cancels", theme.dim));
            (format!(" Edit {} ", key.label()), lines)
        }
        Modal::Password { input, then } => {
            let who =
                app.values.username.clone().or_else(|| app.signs_in.clone()).unwrap_or_else(|| "your user".into());
            let (title, what) = match then {
                super::app::Job::Solve(_) => (" Sign up ", "Enter signs up"),
                _ => (" Sign in ", "Enter signs in"),
            };
            let lines = vec![
                Line::styled(format!("Password for {who} (not recorded anywhere)"), theme.dim),
                Line::from(vec![
                    Span::styled("> ", theme.accent),
                    Span::styled(format!("{}▏", "•".repeat(input.chars().count())), theme.text),
                ]),
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
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let needed: usize = text.lines.iter().map(|l| l.width().max(1).div_ceil(inner_width)).sum();
    let rect = centered(area, width, needed as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(pane(theme, title, true)), rect);
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
