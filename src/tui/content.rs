//! What each pane says, as styled lines: the step's text, the values, the checks, the evidence,
//! the next thing to do, and hints in the walkthrough's own voice (its keys, not commands).
//! Pure functions of the state; `layout` measures them and `view` draws them.

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::app::{App, Pane, Shown, VALUE_KEYS};
use super::keymap::KEYS;
use super::theme::Theme;
use crate::checks::evidence::Response;
use crate::checks::{Evidence, Hint, Remedy, Status};
use crate::guide::CheckId;
use crate::probe::ResponseHeaders;
use crate::settings::Field;

/// Where the continuation of a check's line starts.
pub const CHECK_INDENT: &str = "           ";

/// `text` with its inline `code` (between backticks) styled as code, the backticks dropped.
pub fn marked(text: &str, style: ratatui::style::Style, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        if part.is_empty() {
            continue;
        }
        let style = if i % 2 == 1 { theme.code } else { style };
        spans.push(Span::styled(part.to_string(), style));
    }
    spans
}

/// `text` without its markup.
pub fn unmarked(text: &str) -> String {
    text.replace('`', "")
}

/// How the walkthrough names a hint's action: by its key.
pub fn remedy_words(app: &App, remedy: Remedy) -> String {
    match remedy {
        Remedy::Solve(action) if app.current_step().solves.contains(&action) => "press s to do it for you".to_string(),
        Remedy::Solve(action) => format!("on step {}, press s to do it for you", action.check().step()),
        Remedy::Record(field) => format!("press e on {} (Values) to record it", field.short_label()),
        Remedy::GetToken => "press t for a new token".to_string(),
        Remedy::Password => "press t: it asks for the password".to_string(),
    }
}

/// A hint in the walkthrough's voice, as plain text (markup dropped).
pub fn hint_text(app: &App, hint: &Hint) -> String {
    unmarked(&hint_sentence(app, hint))
}

fn hint_sentence(app: &App, hint: &Hint) -> String {
    match hint.action {
        Some(remedy) => format!("{} — {}", hint.text.trim_end_matches('.'), remedy_words(app, remedy)),
        None => hint.text.clone(),
    }
}

/// A hint in the walkthrough's voice, styled: its code as code, its key as a key.
pub fn hint_spans(app: &App, hint: &Hint, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = marked(hint.text.trim_end_matches(if hint.action.is_some() { "." } else { "" }), theme.hint, theme);
    if let Some(remedy) = hint.action {
        spans.push(Span::styled(" — ", theme.hint));
        spans.push(Span::styled(remedy_words(app, remedy), theme.key));
    }
    spans
}

pub fn duration(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

/// `HH:MM:SSZ` of an epoch-milliseconds time.
pub fn clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `text` cut to `width` columns on screen (a wide character takes two), with an ellipsis when
/// cut.
pub fn fit(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// `text` cut in the middle to `width` columns, with `…` where it was cut: the ends of a value
/// (a URL's port and path, a pool id's part after `_`) are what tell one from another. A cut
/// URL drops its scheme first.
pub fn elide_middle(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let text = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://")).unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    if width < 8 {
        return fit(text, width);
    }
    // What tells values apart: from the port (`:4567/?id=1`), the path's last part, or the id
    // after `_`; at most all but four columns of the head.
    let from = |c: char| text.rfind(c).map(|i| text[i..].chars().count());
    let tail = from(':')
        .or_else(|| text.find('/').map(|i| text[i..].chars().count()))
        .or_else(|| from('_'))
        .unwrap_or(width / 2)
        .clamp((width - 1) / 2, width - 2);
    let head = width - 1 - tail;
    let mut cut: String = chars[..head].iter().collect();
    cut.push('…');
    cut.extend(&chars[chars.len() - tail..]);
    cut
}

/// `spans` word-wrapped to `width` columns, each line after the first starting with `indent`
/// spaces (a hanging indent), so a wrapped line stays under what it continues. A word wider
/// than a line is left to the pane's own wrapping.
pub fn hanging(spans: Vec<Span<'static>>, indent: usize, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let (mut used, mut words) = (0, 0);
    for span in spans {
        for token in span.content.split_inclusive(' ') {
            let word = token.trim_end_matches(' ');
            let word_width = Span::raw(word).width();
            if words > 0 && !word.is_empty() && used + word_width > width {
                if let Some(last) = line.last_mut() {
                    last.content = last.content.trim_end_matches(' ').to_string().into();
                }
                lines.push(Line::from(std::mem::take(&mut line)));
                line.push(Span::raw(" ".repeat(indent)));
                (used, words) = (indent, 0);
            }
            used += Span::raw(token).width();
            words += usize::from(!word.is_empty());
            line.push(Span::styled(token.to_string(), span.style));
        }
    }
    lines.push(Line::from(line));
    lines
}

/// `text` in pieces of `width` characters (values have no spaces to wrap at).
pub fn chunks(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(width.max(1)).map(|c| c.iter().collect()).collect()
}

/// How long ago, in the largest unit that fits ("3 days ago", "just now").
pub fn ago(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (n, unit) = match s {
        0..60 => return "just now".to_string(),
        60..3600 => (s / 60, "minute"),
        3600..86_400 => (s / 3600, "hour"),
        _ => (s / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

pub fn countdown(seconds_left: i64) -> String {
    let s = seconds_left.abs();
    let mmss = format!("{:02}:{:02}", s / 60, s % 60);
    if seconds_left >= 0 { format!("expires in {mmss}") } else { format!("expired {mmss} ago") }
}

/// The step's text: its paragraphs, where it is done in the console, and what `s` does.
pub fn text_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let step = app.current_step();
    let mut lines: Vec<Line> = Vec::new();
    for (i, paragraph) in step.paragraphs.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(marked(paragraph, theme.text, theme)));
    }
    if let Some(console) = &step.console {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![Span::styled("Console: ", theme.accent), Span::styled(console.clone(), theme.dim)]));
    }
    if !step.solves.is_empty() {
        let actions: Vec<&str> = step.solves.iter().map(|a| a.as_str()).collect();
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("s ", theme.key),
            Span::styled(format!("does it for you, asking first: {}", actions.join(", ")), theme.dim),
        ]));
    }
    lines
}

/// Whether a value is drawn whole (the focused one, a revealed secret) rather than cut.
fn whole(app: &App, index: usize, key: Field) -> bool {
    (app.focus == Pane::Values && index == app.value) || (key.is_secret() && app.revealed)
}

/// The values pane, `width` columns inside its borders: each value on one line, cut with `…`,
/// except the focused one (and a revealed secret), drawn whole on the lines below its label.
pub fn value_lines(app: &App, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    value_blocks(app, theme, width).into_iter().flatten().collect()
}

/// The values pane's lines, value by value.
pub fn value_blocks(app: &App, theme: &Theme, width: usize) -> Vec<Vec<Line<'static>>> {
    let focused = app.focus == Pane::Values;
    let mut blocks = Vec::new();
    for (i, &key) in VALUE_KEYS.iter().enumerate() {
        let mut lines = Vec::new();
        let shown = if key.is_secret() && app.revealed {
            app.values.get(key).map(String::from)
        } else {
            app.values.display(key)
        };
        let selected = focused && i == app.value;
        let (text, style) = match (shown, &app.signs_in) {
            (Some(v), _) => (v, theme.text),
            (None, Some(user)) if key == Field::Username => (format!("{user} (demo user)"), theme.dim),
            (None, _) => ("not recorded".to_string(), theme.dim),
        };
        let style = if selected { theme.selected } else { style };
        let marker = Span::styled(if selected { "›" } else { " " }, theme.accent);
        let label = Span::styled(format!("{:<11}", key.short_label()), theme.dim);
        let room = width.saturating_sub(12);
        if whole(app, i, key) && text.chars().count() > room {
            lines.push(Line::from(vec![marker, label]));
            for piece in chunks(&text, width.saturating_sub(2)) {
                lines.push(Line::from(vec![Span::raw("  "), Span::styled(piece, style)]));
            }
        } else {
            // A value is cut in the middle; words (a note on it) at the end.
            let cut = if text.contains(' ') { fit(&text, room) } else { elide_middle(&text, room) };
            lines.push(Line::from(vec![marker, label, Span::styled(cut, style)]));
        }
        blocks.push(lines);
    }
    blocks
}

/// A result's summary as the walkthrough shows it: the ID token's lifetime is the live
/// countdown in its evidence, not a figure frozen when it was checked.
pub fn summary(id: CheckId, summary: &str) -> String {
    match summary.split_once("; valid for ") {
        Some((head, tail)) if id == CheckId::IdToken && tail.ends_with("minutes") => head.to_string(),
        _ => summary.to_string(),
    }
}

fn status_span(shown: Shown, now_ms: i64, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{} {:<7}", shown.glyph(now_ms), shown.word()), theme.status(shown))
}

/// Each check as a block of lines: status, id, duration, last run; then what it saw and, when
/// it did not pass, what to do. The focused check says it whole (the pane wraps it); the others
/// are cut to one line each with `…`, and on a short terminal (`compact`) passed and pending
/// ones keep only their first line.
/// How much of each check the checks pane says (chosen by `layout` for the room there is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Density {
    /// Every check with its summary, and its hint when it did not pass.
    Full,
    /// Passed and pending checks on one line, unless focused.
    Compact,
    /// One line per check; the focused one's summary and hint cut to a line each.
    Tight,
}

pub fn check_blocks(app: &App, theme: &Theme, width: usize, density: Density) -> Vec<Vec<Line<'static>>> {
    let compact = density != Density::Full;
    let tight = density == Density::Tight;
    let room = width.saturating_sub(CHECK_INDENT.len());
    let step = app.current_step();
    let mut blocks = Vec::new();
    for (i, &id) in step.checks.iter().enumerate() {
        let mut lines = Vec::new();
        let shown = app.shown(id);
        let result = app.results.get(&id);
        let selected = i == app.check.min(step.checks.len().saturating_sub(1));
        let marker = if selected { "›" } else { " " };
        let id_style = if selected && app.focus == Pane::Checks { theme.selected } else { theme.text };
        // Narrow: the duration only where it fits after the id.
        let roomy = width >= 40;
        let mut first = vec![
            Span::styled(marker, theme.accent),
            status_span(shown, app.now_ms, theme),
            Span::raw(" "),
            Span::styled(if roomy { format!("{:<20}", id.as_str()) } else { id.as_str().to_string() }, id_style),
        ];
        let running = app.running_on(id);
        if !roomy {
            // The evidence pane says how long it took.
        } else if let Some(running) = running {
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
        let one_line = matches!(shown, Shown::Passed | Shown::Pending) || tight;
        if compact && !selected && running.is_none() && one_line {
            blocks.push(lines);
            continue;
        }
        let detail = match (running, result) {
            (Some(r), _) => r.progress.clone().unwrap_or_else(|| app.guide.check_text(id).title.clone()),
            (None, Some(r)) => summary(id, &r.summary),
            (None, None) => app.guide.check_text(id).title.clone(),
        };
        let indent = CHECK_INDENT.len();
        if selected && !tight {
            lines.extend(hanging(vec![Span::raw(CHECK_INDENT), Span::styled(detail, theme.text)], indent, width));
        } else {
            lines.push(Line::from(vec![Span::raw(CHECK_INDENT), Span::styled(fit(&detail, room), theme.text)]));
        }
        if running.is_none()
            && let Some(hint) = result.filter(|r| r.status != Status::Passed).and_then(|r| r.hint.as_ref())
        {
            let mut spans = vec![Span::styled(format!("{}→ ", &CHECK_INDENT[..indent - 2]), theme.hint)];
            if selected && !tight {
                spans.extend(hint_spans(app, hint, theme));
                lines.extend(hanging(spans, indent, width));
            } else {
                spans.push(Span::styled(fit(&hint_text(app, hint), room), theme.hint));
                lines.push(Line::from(spans));
            }
        }
        blocks.push(lines);
    }
    blocks
}

/// The line telling the learner what to do next, in one place.
pub fn next_line(app: &App, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled("Next ", theme.title)];
    let failing = CheckId::ALL.into_iter().find(|&id| matches!(app.shown(id), Shown::Failed | Shown::Error));
    let passed = CheckId::ALL.iter().filter(|&&id| app.shown(id) == Shown::Passed).count();
    if let Some(running) = &app.running {
        let elapsed = duration((app.now_ms - running.started_ms).max(0) as u64);
        let what = match &running.job {
            super::app::Job::Solve(action, _) => format!("doing {action}"),
            super::app::Job::Token(_) => "signing in".to_string(),
            super::app::Job::Checks(_) => "checking".to_string(),
            super::app::Job::StartOver => "starting over".to_string(),
        };
        let glyph = Shown::Running.glyph(app.now_ms);
        spans.push(Span::styled(format!("{glyph} {what} · {elapsed} · Esc stops"), theme.running));
    } else if app.lab_torn_down() {
        let what = if app.owns_lab {
            "the lab's stacks are deleted: O starts the lab over where section 5 begins"
        } else if app.header.kind == crate::target::TargetKind::Local {
            "the lab's stacks are deleted: restart walab serve with --fresh, then R"
        } else {
            "the lab's stacks are deleted: deploy them again (sections 1 and 3), then R"
        };
        spans.push(Span::styled(what, theme.text));
    } else if app.results.is_empty() {
        spans.push(Span::styled("press R to run every check and see where the lab stands", theme.text));
    } else if let Some(id) = failing {
        spans.push(Span::styled(format!("{} ", id.step()), theme.dim));
        spans.push(Span::styled(id.as_str(), theme.failed));
        if let Some(hint) = app.results.get(&id).and_then(|r| r.hint.as_ref()) {
            spans.push(Span::styled(": ", theme.dim));
            spans.extend(hint_spans(app, hint, theme));
        }
    } else if CheckId::ALL.iter().any(|&id| app.shown(id) == Shown::Stale) {
        spans.push(Span::styled("results from before are being checked again (R runs every check)", theme.text));
    } else if passed == CheckId::ALL.len() {
        spans.push(Span::styled("nothing. Section 5 is done: only signed-in users get through.", theme.passed));
    } else {
        spans.push(Span::styled("R runs the checks that have not run yet", theme.text));
    }
    Line::from(spans)
}

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::styled(text.to_string(), theme.accent)
}

fn json_lines(value: &Value, theme: &Theme) -> Vec<Line<'static>> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.lines().map(|l| Line::styled(format!("  {l}"), theme.text)).collect()
}

/// The evidence of `id`: what the check saw, whole (the pane scrolls).
pub fn evidence_lines(app: &App, id: CheckId, theme: &Theme) -> Vec<Line<'static>> {
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
        Span::styled(summary(id, &result.summary), theme.text),
    ]));
    if shown != Shown::Passed
        && let Some(hint) = &result.hint
    {
        let mut spans = vec![Span::styled("→ ", theme.hint)];
        spans.extend(hint_spans(app, hint, theme));
        lines.push(Line::from(spans));
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
        token_lines(&mut lines, app, &username, &header, &claims, exp, theme);
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
    app: &App,
    username: &str,
    header: &Value,
    claims: &Value,
    exp: Option<i64>,
    theme: &Theme,
) {
    lines.push(Line::raw(""));
    let mut first = vec![Span::styled(format!("ID token for {username}"), theme.accent)];
    if let Some(exp) = exp {
        let left = exp - app.now_ms.div_euclid(1000);
        let style = if left > 60 { theme.passed } else { theme.failed };
        first.push(Span::styled(" · ", theme.dim));
        first.push(Span::styled(countdown(left), style));
    }
    lines.push(Line::from(first));
    if app.token.is_some() {
        lines.push(Line::from(vec![
            Span::styled("y", theme.key),
            Span::styled(" copies the raw token, as the Authorization header takes it", theme.dim),
        ]));
    }
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
    lines.push(Line::from(vec![
        Span::styled("y", theme.key),
        Span::styled(" copies a curl line that repeats this request", theme.dim),
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

/// A `curl` line that repeats a check's request, with the raw token in `Authorization` when
/// one was sent (quoted for any POSIX shell).
pub fn curl_line(url: &str, token: Option<&str>) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    match token {
        Some(token) => format!("curl -i -H {} {}", quote(&format!("Authorization: {token}")), quote(url)),
        None => format!("curl -i {}", quote(url)),
    }
}

/// The lines of the help screen.
pub fn help_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
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
        [Shown::Passed, Shown::Failed, Shown::Error, Shown::Running, Shown::Pending, Shown::Skipped, Shown::Stale]
            .into_iter()
            .flat_map(|s| [Span::styled(format!(" {} {}", s.glyph(0), s.word()), theme.status(s)), Span::raw(" ")])
            .collect::<Vec<_>>(),
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_the_columns_text_takes_on_screen() {
        assert_eq!(fit("Ada Lovelace", 20), "Ada Lovelace");
        assert_eq!(fit("Ada Lovelace", 5), "Ada …");
        // Full-width letters take two columns each: four of them and the ellipsis fill nine.
        let wide = fit("Ａｄａ Ｌｏｖｅｌａｃｅ", 9);
        assert_eq!(wide, "Ａｄａ …");
        assert!(unicode_width::UnicodeWidthStr::width(wide.as_str()) <= 9);
    }

    #[test]
    fn code_is_styled_and_its_backticks_dropped() {
        let theme = Theme::dark();
        let spans = marked("invalidate `/*` now", theme.text, &theme);
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "invalidate /* now");
        assert_eq!(spans[1].style, theme.code);
    }

    #[test]
    fn a_curl_line_repeats_the_request_quoted() {
        assert_eq!(curl_line("http://h/?id=1", None), "curl -i 'http://h/?id=1'");
        assert_eq!(curl_line("http://h/?id=1", Some("e.y.J")), "curl -i -H 'Authorization: e.y.J' 'http://h/?id=1'");
        assert_eq!(curl_line("http://h/'x", None), r"curl -i 'http://h/'\''x'");
    }

    #[test]
    fn a_wrapped_line_hangs_under_its_text_keeping_styles() {
        let theme = Theme::dark();
        let spans = vec![Span::raw("    "), Span::styled("one two three", theme.hint), Span::raw(" four")];
        let lines = hanging(spans, 4, 14);
        let text: Vec<String> = lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect();
        assert_eq!(text, ["    one two", "    three four"]);
        assert!(lines.iter().all(|l| l.width() <= 14));
        assert_eq!(lines[1].spans[1].style, theme.hint, "three keeps its style");
        // Nothing to wrap: one line, as given.
        assert_eq!(hanging(vec![Span::raw("short")], 2, 40).len(), 1);
        // A word wider than the line stays whole, for the pane to break.
        assert_eq!(hanging(vec![Span::raw("a verylongword")], 2, 6).len(), 2);
    }

    #[test]
    fn long_values_come_in_pieces() {
        assert_eq!(chunks("abcdefg", 3), vec!["abc", "def", "g"]);
        assert_eq!(fit("abcdefg", 4), "abc…");
        assert_eq!(elide_middle("http://127.0.0.1:51234/?id=1", 18), "127.0…:51234/?id=1");
        assert_eq!(elide_middle("us-east-1_AbCdEfGhIJKL", 18), "us-e…_AbCdEfGhIJKL");
        assert_eq!(elide_middle("short", 16), "short");
    }
}
