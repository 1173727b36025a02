//! `walab request URL [ID_TOKEN]`: the lab's request script, with latency, CloudFront's
//! verdict, a timeout, readable bodies and advice for the answers section 5 is about.
//!
//! The body is data and goes to stdout; everything a person reads about it goes to stderr,
//! so `walab request URL > body.json` saves just the body (the same split as `walab token`).

use std::io::Write;
use std::process::ExitCode;

use crate::cli::RequestArgs;
use crate::probe::{BodyCut, Diagnosis, ProbeError, ProbeResponse, Prober, diagnose};
use crate::report::{Failure, Paint, errln};
use crate::secret::Secret;

/// How much body text is printed: a lab answer is a few dozen bytes, so anything longer is
/// almost certainly the wrong URL and would only bury the status and hints.
pub const SHOWN_LIMIT: usize = 64 * 1024;

pub async fn run(args: RequestArgs) -> Result<ExitCode, Failure> {
    let paint = Paint::for_stderr();
    // A pasted token often carries a trailing newline or spaces; a JWT never contains any.
    let token = args.id_token.map(|t| Secret::new(t.expose().trim()));
    if token.as_ref().is_some_and(Secret::is_empty) {
        return Err(Failure::usage("the ID token argument is empty")
            .hint("did `walab token` fail? Run it on its own first, then TOKEN=$(walab token)"));
    }

    let prober = Prober::new().map_err(no_response)?;
    let response = prober.get(&args.url, token.as_ref(), args.timeout).await.map_err(no_response)?;

    eprint!("{}", response_summary(&response, token.as_ref(), &paint));
    let rendered = render_body(&response.body, response.headers.content_type.as_deref(), SHOWN_LIMIT);
    {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) is the reader's choice, not an error worth reporting.
        let _ = stdout.write_all(rendered.stdout.as_bytes()).and_then(|()| stdout.flush());
    }
    for note in rendered.notes.iter().chain(cut_note(&response).iter()) {
        errln!("{}", paint.dim(&format!("note: {note}")));
    }
    for advice in advice(&response) {
        paint.hint(&advice);
    }

    match args.expect {
        Some(expected) if expected != response.status => {
            Err(Failure::failed(format!("expected status {expected}, got {}", response.status)))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// No response arrived: exit code 2 when the URL or the token was wrong, 1 for the network.
fn no_response(error: ProbeError) -> Failure {
    let mut hint = error.hint();
    if matches!(error, ProbeError::Timeout { .. }) {
        hint.push_str(" with --timeout SECS");
    }
    let code = if error.is_usage() { crate::report::USAGE } else { crate::report::FAILED };
    Failure::new(code, error).hint(hint)
}

/// The status line, CloudFront's verdict and the headers that matter.
fn response_summary(response: &ProbeResponse, token: Option<&Secret>, paint: &Paint) -> String {
    let mut out = String::new();
    let sent = match token {
        Some(token) => format!(" with Authorization: {}", token.masked()),
        None => " without a token".to_string(),
    };
    out.push_str(&paint.dim(&format!("GET {}{sent}", response.url)));
    out.push('\n');
    let status = terminal_safe(&format!("{} {}", response.status, response.reason)).trim_end().to_string();
    out.push_str(&format!("{} in {}\n", paint.status(response.status, &status), latency(response.latency)));
    match response.cache_status() {
        Some(cache) => {
            let value = response.headers.x_cache.as_deref().unwrap_or_default();
            out.push_str(&format!("X-Cache: {} ({})\n", terminal_safe(value), cache.explain()));
        }
        None => out.push_str("X-Cache: none (this answer did not come through CloudFront)\n"),
    }
    for (name, value) in response.headers.present() {
        if name != "X-Cache" {
            out.push_str(&format!("{}\n", paint.dim(&format!("{name}: {}", terminal_safe(value)))));
        }
    }
    out
}

fn latency(elapsed: std::time::Duration) -> String {
    match elapsed.as_millis() {
        0 => "<1 ms".to_string(),
        ms => format!("{ms} ms"),
    }
}

fn cut_note(response: &ProbeResponse) -> Option<String> {
    let announced = response.content_length.map(|n| format!(" of {n}")).unwrap_or_default();
    match &response.body_cut {
        None => None,
        Some(BodyCut::Limit { kept }) => Some(format!("only the first {kept}{announced} bytes of the body were read")),
        Some(BodyCut::Interrupted { reason }) => {
            Some(format!("the body broke off after {} bytes: {reason}", response.body.len()))
        }
    }
}

/// What a person should make of this answer, for the statuses section 5 is about.
pub fn advice(response: &ProbeResponse) -> Vec<String> {
    let through_cloudfront = response.headers.x_cache.is_some();
    let mut advice = Vec::new();
    match diagnose(response) {
        Diagnosis::TokenExpired => {
            advice.push("the ID token has expired (they last 60 minutes): get a new one with `walab token`".to_string())
        }
        Diagnosis::Unauthorized if response.token_sent => {
            advice.push("the API refused this token: get a new ID token with `walab token` (an ID token from this lab's user pool, sent as it is)".to_string());
            if through_cloudfront {
                advice.push("if the token is fresh, CloudFront may not be forwarding the Authorization header to the API (step 5.4)".to_string());
            }
        }
        Diagnosis::Unauthorized => advice.push(
            "the API wants an ID token in the Authorization header: walab request URL \"$(walab token)\"".to_string(),
        ),
        Diagnosis::NoSuchPath => advice.push(
            "API Gateway has no method at this path: check the path and the stage, e.g. .../Dev/?id=1 on the API Gateway URL"
                .to_string(),
        ),
        Diagnosis::Forbidden => {
            if through_cloudfront {
                advice.push("refused behind CloudFront: the X-Origin-Verify header CloudFront adds is missing or does not match the WAF rule (section 3)".to_string());
            } else {
                advice.push("AWS WAF refused it: the API only accepts requests carrying CloudFront's X-Origin-Verify header, so calling it directly is meant to fail; use the CloudFront endpoint".to_string());
            }
        }
        Diagnosis::Denied => {
            advice.push("access denied by CloudFront, AWS WAF or API Gateway; the body says which".to_string())
        }
        Diagnosis::MissingId => advice.push("the API needs the query parameter id, e.g. .../?id=1".to_string()),
        Diagnosis::Redirect { location: Some(location) } => advice.push(format!(
            "a redirect to {location}: walab shows redirects without following them, so request that URL"
        )),
        Diagnosis::Cached if !response.token_sent => advice.push(
            "this came from CloudFront's cache without reaching the API: once the API is protected, invalidate /* so cached answers stop being served (step 5.4)"
                .to_string(),
        ),
        _ => {}
    }
    advice
}

/// A body made readable: what goes to stdout, and notes for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    pub stdout: String,
    pub notes: Vec<String>,
}

/// JSON pretty-printed (keys in the server's order), text as it is, binary summarised; text
/// longer than `limit` bytes is cut at a character boundary with a note.
pub fn render_body(body: &[u8], content_type: Option<&str>, limit: usize) -> RenderedBody {
    let kind = content_type.map(|t| format!(", content type {t}")).unwrap_or_default();
    if body.is_empty() {
        return RenderedBody { stdout: String::new(), notes: vec![format!("the body is empty{kind}")] };
    }
    let Some(text) = as_text(body) else {
        return RenderedBody {
            stdout: String::new(),
            notes: vec![format!("{} bytes of binary data{kind}, not printed", body.len())],
        };
    };
    let trimmed = text.trim_start();
    let looks_like_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    // Cut while formatting: indentation grows with depth, so formatting a deeply nested
    // body whole before cutting it would cost memory quadratic in its size.
    let (mut shown, total) = if looks_like_json && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        pretty_json(text, limit)
    } else {
        let mut cut = limit.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        (text[..cut].to_string(), text.len())
    };
    let mut notes = Vec::new();
    if total > limit {
        // The body's own size: its formatted text, indented by depth, may be far longer.
        notes.push(format!(
            "the body is {} bytes; only the first {} of it are shown (a lab answer is a few dozen: is this the right URL?)",
            body.len(),
            human_size(limit)
        ));
    }
    let escaped = shown.chars().filter(|&c| needs_escape(c)).count();
    if escaped > 0 {
        shown = terminal_safe(&shown);
        notes.push(format!(
            "{escaped} control or bidirectional-text character{} in the body shown as \\u{{…}}, so they cannot rearrange the terminal",
            if escaped == 1 { "" } else { "s" }
        ));
    }
    if !shown.ends_with('\n') {
        shown.push('\n');
    }
    RenderedBody { stdout: shown, notes }
}

/// Characters that would move the cursor or reorder what the terminal shows: controls other
/// than newline and tab (a carriage return overwrites the line), and Unicode's bidirectional
/// overrides and isolates (text that reads differently from what it is).
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character [`needs_escape`] names written as `\u{XXXX}`.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// The body as text, if it is text: UTF-8 (a character cut off at the very end, where a body
/// limit may fall, is dropped) without control characters that would garble a terminal.
fn as_text(body: &[u8]) -> Option<&str> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => {
            std::str::from_utf8(&body[..e.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    let printable = text.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    printable.then_some(text)
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 && bytes.is_multiple_of(1024) { format!("{} KiB", bytes / 1024) } else { format!("{bytes} bytes") }
}

/// Re-indents valid JSON token by token, so key order and number spelling stay exactly as
/// the server sent them (a round trip through `serde_json::Value` would sort the keys).
/// Keeps at most `limit` bytes (cut at a character boundary) and returns them with the length
/// the whole formatted text would have: what is built never exceeds `limit`, however deep.
fn pretty_json(json: &str, limit: usize) -> (String, usize) {
    struct Bounded {
        out: String,
        total: usize,
        limit: usize,
        full: bool,
    }
    impl Bounded {
        fn push(&mut self, c: char) {
            self.total += c.len_utf8();
            if !self.full {
                if self.out.len() + c.len_utf8() <= self.limit {
                    self.out.push(c);
                } else {
                    self.full = true;
                }
            }
        }
        fn push_str(&mut self, s: &str) {
            s.chars().for_each(|c| self.push(c));
        }
        fn newline(&mut self, depth: usize) {
            self.push('\n');
            let indent = depth.saturating_mul(2);
            self.total = self.total.saturating_add(indent);
            if !self.full {
                let room = self.limit - self.out.len();
                self.out.extend(std::iter::repeat_n(' ', indent.min(room)));
                self.full = indent > room;
            }
        }
    }
    let mut out =
        Bounded { out: String::with_capacity(json.len().saturating_mul(2).min(limit)), total: 0, limit, full: false };
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if let Some(&close) = chars.peek().filter(|&&n| n == '}' || n == ']') {
                    // An empty object or array stays on one line.
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    out.newline(depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                out.newline(depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                out.newline(depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    (out.out, out.total)
}

#[cfg(test)]
mod tests {
    use super::Paint;
    use super::*;

    #[test]
    fn carriage_returns_and_bidi_controls_are_escaped() {
        let rendered = render_body("paid\rrefund \u{202E}gnp.exe".as_bytes(), Some("text/plain"), SHOWN_LIMIT);
        assert_eq!(rendered.stdout, "paid\\u{000D}refund \\u{202E}gnp.exe\n");
        assert!(rendered.notes[0].contains("2 control or bidirectional-text characters"), "{:?}", rendered.notes);
        assert_eq!(terminal_safe("Hit from cloudfront"), "Hit from cloudfront");
    }

    #[test]
    fn a_deeply_nested_body_reports_its_own_size() {
        // Arrays 120 deep, side by side: indented, its text would be hundreds of times longer.
        let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
        let body = format!("[{}]", vec![deep; 4000].join(","));
        let rendered = render_body(body.as_bytes(), Some("application/json"), SHOWN_LIMIT);
        let said = format!("the body is {} bytes", body.len());
        assert!(rendered.notes[0].starts_with(&said), "{:?}", rendered.notes);
    }
    use crate::probe::ResponseHeaders;
    use std::time::Duration;

    fn response(status: u16, body: &str, token_sent: bool, x_cache: Option<&str>) -> ProbeResponse {
        ProbeResponse {
            url: "http://127.0.0.1:4567/?id=1".into(),
            status,
            reason: String::new(),
            latency: Duration::from_millis(5),
            headers: ResponseHeaders { x_cache: x_cache.map(str::to_string), ..Default::default() },
            content_length: None,
            body: body.as_bytes().to_vec(),
            body_cut: None,
            token_sent,
        }
    }

    #[test]
    fn json_is_pretty_printed_in_the_servers_key_order() {
        let body = br#"{"zeta":1,"alpha":[1.50,"a,b:{c}",{}],"e":{"q":"\"x\""},"n":[ ]}"#;
        let rendered = render_body(body, Some("application/json"), SHOWN_LIMIT);
        assert_eq!(
            rendered.stdout,
            "{\n  \"zeta\": 1,\n  \"alpha\": [\n    1.50,\n    \"a,b:{c}\",\n    {}\n  ],\n  \"e\": {\n    \"q\": \"\\\"x\\\"\"\n  },\n  \"n\": []\n}\n"
        );
        assert!(rendered.notes.is_empty());
        let lab = render_body(br#"["My favorite player is Lionel Messi"]"#, None, SHOWN_LIMIT);
        assert_eq!(lab.stdout, "[\n  \"My favorite player is Lionel Messi\"\n]\n");
    }

    #[test]
    fn deeply_nested_json_is_formatted_in_bounded_memory() {
        for levels in [10_000usize, 200_000] {
            let body = format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
            let (built, total) = pretty_json(&body, SHOWN_LIMIT);
            // What is built stays within the limit (its allocation within twice it), while the
            // whole formatted text would be quadratic: 2 spaces per level on each of 2N lines.
            assert!(built.len() <= SHOWN_LIMIT && built.capacity() <= 2 * SHOWN_LIMIT, "{}", built.capacity());
            assert!(total > levels * levels, "{total}");
            let rendered = render_body(body.as_bytes(), Some("application/json"), SHOWN_LIMIT);
            assert!(rendered.stdout.len() <= SHOWN_LIMIT + 1);
            // The note gives the body's own size, not its formatted text's.
            let said = format!("the body is {} bytes", body.len());
            assert!(rendered.notes[0].contains(&said), "{:?}", rendered.notes);
        }
    }

    #[test]
    fn text_that_is_not_json_is_shown_as_it_is() {
        let rendered = render_body(b"<html>Forbidden</html>", Some("text/html"), SHOWN_LIMIT);
        assert_eq!(rendered.stdout, "<html>Forbidden</html>\n");
        let broken = render_body(b"{\"message\": ", Some("application/json"), SHOWN_LIMIT);
        assert_eq!(broken.stdout, "{\"message\": \n");
    }

    #[test]
    fn long_bodies_are_cut_at_a_character_boundary_with_a_note() {
        let body = "é".repeat(100); // 200 bytes
        let rendered = render_body(body.as_bytes(), Some("text/plain"), 51);
        assert_eq!(rendered.stdout, format!("{}\n", "é".repeat(25)));
        assert_eq!(rendered.notes.len(), 1);
        assert!(rendered.notes[0].contains("200 bytes") && rendered.notes[0].contains("first 51 bytes"));
        let big = render_body("x".repeat(SHOWN_LIMIT + 10).as_bytes(), None, SHOWN_LIMIT);
        assert_eq!(big.stdout.len(), SHOWN_LIMIT + 1);
        assert!(big.notes[0].contains("first 64 KiB"), "{:?}", big.notes);
    }

    #[test]
    fn binary_and_empty_bodies_are_summarised() {
        let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
        let rendered = render_body(&png, Some("image/png"), SHOWN_LIMIT);
        assert_eq!(rendered.stdout, "");
        assert_eq!(rendered.notes, vec!["12 bytes of binary data, content type image/png, not printed".to_string()]);
        let escape = render_body(b"text with \x1b[2J a terminal escape", None, SHOWN_LIMIT);
        assert!(escape.notes[0].contains("binary data"));
        let empty = render_body(b"", Some("application/json"), SHOWN_LIMIT);
        assert_eq!(empty.stdout, "");
        assert_eq!(empty.notes, vec!["the body is empty, content type application/json".to_string()]);
    }

    #[test]
    fn a_character_cut_by_the_body_limit_is_dropped_not_called_binary() {
        let body = "ok é".as_bytes();
        let rendered = render_body(&body[..body.len() - 1], None, SHOWN_LIMIT);
        assert_eq!(rendered.stdout, "ok \n");
    }

    #[test]
    fn advice_fits_the_answer() {
        let unauthorized = r#"{"message":"Unauthorized"}"#;
        let no_token = advice(&response(401, unauthorized, false, Some("Error from cloudfront")));
        assert!(no_token[0].contains("wants an ID token"), "{no_token:?}");
        let with_token = advice(&response(401, unauthorized, true, Some("Error from cloudfront")));
        assert!(with_token[0].contains("walab token"), "{with_token:?}");
        assert!(with_token[1].contains("forwarding the Authorization header"), "{with_token:?}");
        let expired = advice(&response(401, r#"{"message":"The incoming token has expired"}"#, true, None));
        assert!(expired[0].contains("expired") && expired[0].contains("walab token"), "{expired:?}");

        let waf_direct = advice(&response(403, r#"{"message":"Forbidden"}"#, true, None));
        assert!(waf_direct[0].contains("WAF") && waf_direct[0].contains("CloudFront endpoint"), "{waf_direct:?}");
        let waf_behind = advice(&response(403, r#"{"message":"Forbidden"}"#, true, Some("Error from cloudfront")));
        assert!(waf_behind[0].contains("X-Origin-Verify"), "{waf_behind:?}");
        let no_method = advice(&response(403, r#"{"message":"Missing Authentication Token"}"#, false, None));
        assert!(no_method[0].contains("path"), "{no_method:?}");

        let cached = advice(&response(200, "[]", false, Some("Hit from cloudfront")));
        assert!(cached[0].contains("invalidate"), "{cached:?}");
        assert!(advice(&response(200, "[]", true, Some("Miss from cloudfront"))).is_empty());
        assert!(advice(&response(503, "", false, None)).is_empty());
    }

    #[test]
    fn colour_is_off_unless_enabled() {
        let plain = Paint::new(false);
        assert_eq!(plain.status(200, "200 OK"), "200 OK");
        let colour = Paint::new(true);
        assert_eq!(colour.status(200, "200 OK"), "\x1b[1;32m200 OK\x1b[0m");
    }
}
