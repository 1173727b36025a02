//! How walab reports to the person at the terminal: the failure a command returns (one line
//! with a hint, and the exit code of DESIGN.md), output that survives closed pipes, and colour
//! only where it belongs.

use std::io::IsTerminal;
use std::process::ExitCode;

/// Writes a line to stdout like `println!`, but a reader that went away (`walab check | head -1`)
/// is no panic: the rest of the output is dropped and walab finishes its work, so the exit
/// code still says how the checks came out.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::report::write_out(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Writes a line to stderr like `eprintln!`, but a closed stderr (`walab serve 2>&-`, a
/// terminal that went away) loses the line instead of panicking in the middle of the work.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::report::write_err(format_args!($($arg)*))
    };
}
pub(crate) use errln;

/// The line `errln!` writes; a failed write is dropped (there is nowhere left to say so).
pub fn write_err(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(line).and_then(|_| err.write_all(b"\n"));
}

static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether stdout's reader went away (the lines since were dropped).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// The line `outln!` writes; once stdout is a closed pipe, lines are dropped.
pub fn write_out(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if stdout_closed() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|_| out.write_all(b"\n")).and_then(|_| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Progress lines for a reader: on a terminal each one (the elapsed time moves); into a file or
/// a pipe only when what it says changes, the elapsed time aside.
pub struct ProgressLines {
    every: bool,
    last: std::sync::Mutex<String>,
}

impl ProgressLines {
    pub fn for_stderr() -> ProgressLines {
        ProgressLines::new(std::io::stderr().is_terminal())
    }

    pub fn new(every: bool) -> ProgressLines {
        ProgressLines { every, last: std::sync::Mutex::new(String::new()) }
    }

    /// The line to print for `message`, if any.
    pub fn line(&self, message: &str) -> Option<String> {
        if self.every {
            return Some(message.to_string());
        }
        let gist = without_elapsed(message);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if *last == gist {
            return None;
        }
        *last = gist;
        Some(message.to_string())
    }
}

/// `message` without an elapsed time in parentheses, `(12 s)` or `(1.5 s)`.
fn without_elapsed(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find('(') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        match after.find(')') {
            Some(close) => {
                let inside = &after[1..close];
                let elapsed = inside
                    .strip_suffix(" s")
                    .or_else(|| inside.strip_suffix(" ms"))
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'));
                if !elapsed {
                    out.push_str(&after[..=close]);
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.trim_end().to_string()
}

/// Rows of text as aligned columns (the last column left ragged), two spaces apart; empty
/// rows are left out.
pub fn columns(rows: &[Vec<String>]) -> Vec<String> {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..count).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| console_width(c)).max().unwrap_or(0)).collect();
    rows.iter()
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .map(|r| {
            let mut line = String::new();
            for (i, cell) in r.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < r.len() {
                    line.push_str(&" ".repeat(widths[i] - console_width(cell) + 2));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// Columns a cell takes, colour codes aside.
fn console_width(text: &str) -> usize {
    let mut width = 0;
    let mut escape = false;
    for c in text.chars() {
        match (escape, c) {
            (false, '\x1b') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

/// What a server prints once it listens: with `--json`, its JSON line on stdout and the human
/// summary on stderr; otherwise the summary on stdout. A closed stdout is no reason to stop
/// serving, so failed writes are ignored here.
pub fn announce_listening(json_line: Option<&str>, summary: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", json_line.unwrap_or(summary));
    let _ = stdout.flush();
    if json_line.is_some() {
        write_err(format_args!("{summary}"));
    }
}

/// Exit code 1: a check or a request failed (DESIGN.md).
pub const FAILED: u8 = 1;

/// Exit code 2: usage or configuration error (DESIGN.md).
pub const USAGE: u8 = 2;

/// What ended a command early: what went wrong, what to do about it, and the exit code of
/// DESIGN.md's table. Commands return it; `main` prints it, once, and exits with its code. A
/// command that ran and found failing checks is no failure: it returns its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    message: String,
    hint: Option<String>,
    code: u8,
    /// A second thing that went wrong on the way out (saving, stopping the lab), said after.
    then: Option<Box<Failure>>,
}

impl Failure {
    pub fn new(code: u8, message: impl std::fmt::Display) -> Failure {
        Failure { message: message.to_string(), hint: None, code, then: None }
    }

    /// Exit code 2: the command line or the configuration is wrong.
    pub fn usage(message: impl std::fmt::Display) -> Failure {
        Failure::new(USAGE, message)
    }

    /// Exit code 1: the work itself failed.
    pub fn failed(message: impl std::fmt::Display) -> Failure {
        Failure::new(FAILED, message)
    }

    /// The line that says what to do (an empty hint says nothing and is left out).
    pub fn hint(self, hint: impl Into<String>) -> Failure {
        self.maybe_hint(Some(hint.into()))
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Failure {
        self.hint = hint.filter(|h| !h.trim().is_empty());
        self
    }

    /// `later` is said after this one; the exit code stays this one's.
    pub fn followed_by(mut self, later: Failure) -> Failure {
        let mut last = &mut self;
        while let Some(ref mut next) = last.then {
            last = next;
        }
        last.then = Some(Box::new(later));
        self
    }

    pub fn code(&self) -> u8 {
        self.code
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }

    /// The lines `main` prints: `walab: error: …`, then `hint: …` when there is one.
    pub fn lines(&self, paint: &Paint) -> Vec<String> {
        let mut lines = Vec::new();
        let mut next = Some(self);
        while let Some(failure) = next {
            lines.push(format!("{} {}", paint.wrap("1;31", "walab: error:"), failure.message));
            if let Some(hint) = &failure.hint {
                lines.push(format!("{} {hint}", paint.wrap("1;36", "hint:")));
            }
            next = failure.then.as_deref();
        }
        lines
    }
}

/// What a command's work came to, and then whether closing up after it worked: a failure on
/// the way out turns a finished run into a failure, and is said after one that came first.
pub fn and_closed<T>(result: Result<T, Failure>, closed: Result<(), Failure>) -> Result<T, Failure> {
    match (result, closed) {
        (Ok(code), Ok(())) => Ok(code),
        (Ok(_), Err(closing)) => Err(closing),
        (Err(failure), Ok(())) => Err(failure),
        (Err(failure), Err(closing)) => Err(failure.followed_by(closing)),
    }
}

/// `NO_COLOR` (any non-empty value) turns colour off everywhere.
fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Colour for stderr, only on a terminal and never when `NO_COLOR` is set (no-color.org).
pub struct Paint {
    enabled: bool,
}

impl Paint {
    pub fn for_stderr() -> Paint {
        Paint { enabled: colour_allowed() && std::io::stderr().is_terminal() }
    }

    /// Colour on or off regardless of the terminal (tests, and output that is never a terminal).
    pub fn new(enabled: bool) -> Paint {
        Paint { enabled }
    }

    pub fn for_stdout() -> Paint {
        Paint { enabled: colour_allowed() && std::io::stdout().is_terminal() }
    }

    pub fn wrap(&self, sgr: &str, text: &str) -> String {
        if self.enabled { format!("\x1b[{sgr}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }

    pub fn status(&self, status: u16, text: &str) -> String {
        let sgr = match status {
            200..=299 => "1;32",
            300..=399 => "1;36",
            400..=499 => "1;33",
            _ => "1;31",
        };
        self.wrap(sgr, text)
    }

    pub fn hint(&self, message: &str) {
        errln!("{} {message}", self.wrap("1;36", "hint:"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_into_a_file_only_when_it_changes() {
        let lines = ProgressLines::new(false);
        assert!(lines.line("deleting a: DELETE_IN_PROGRESS (0 s)").is_some());
        assert!(lines.line("deleting a: DELETE_IN_PROGRESS (1 s)").is_none());
        assert!(lines.line("deleting b: DELETE_IN_PROGRESS (3 s)").is_some());
        assert!(ProgressLines::new(true).line("x (1 s)").is_some());
        assert_eq!(without_elapsed("waiting (InProgress) (2.5 s)"), "waiting (InProgress)");
    }

    #[test]
    fn columns_line_up_and_skip_empty_rows() {
        let rows = vec![
            vec!["a".to_string(), "long-one".to_string(), "x".to_string()],
            vec![String::new(), String::new(), String::new()],
            vec!["bbb".to_string(), "c".to_string(), String::new()],
        ];
        assert_eq!(columns(&rows), vec!["a    long-one  x", "bbb  c"]);
    }

    #[test]
    fn a_failure_is_its_lines_and_its_code() {
        let failure = Failure::usage("no such key").hint("walab config show lists them");
        let closing = Failure::failed("cannot stop the lab").hint("");
        let both = and_closed::<()>(Err(failure), Err(closing)).unwrap_err();
        assert_eq!(
            both.lines(&Paint::new(false)),
            ["walab: error: no such key", "hint: walab config show lists them", "walab: error: cannot stop the lab"]
        );
        assert_eq!(both.code(), USAGE);
        let closed = and_closed(Ok(ExitCode::SUCCESS), Err(Failure::failed("x"))).unwrap_err();
        assert_eq!(closed.code(), FAILED);
        assert_eq!(and_closed(Ok(ExitCode::from(1)), Ok(())).unwrap(), ExitCode::from(1));
    }
}
