//! How walab reports to the person at the terminal: one-line errors with a hint, the exit
//! codes of DESIGN.md, and colour only where it belongs.

use std::io::IsTerminal;
use std::process::ExitCode;

/// Writes a line to stdout like `println!`, but a reader that went away (`walab check | head -1`)
/// ends walab quietly with exit 0 instead of a panic: what it wanted has been read.
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

/// The line `outln!` writes; exits 0 when stdout is a closed pipe.
pub fn write_out(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|_| out.write_all(b"\n")).and_then(|_| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
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

/// Exit code 2: usage or configuration error (DESIGN.md).
pub const USAGE: u8 = 2;

/// Prints an error (and its hint) the one way walab reports errors, and returns `code`.
pub fn fail(code: u8, error: impl std::fmt::Display, hint: Option<String>) -> ExitCode {
    errln!("walab: error: {error}");
    if let Some(hint) = hint {
        errln!("hint: {hint}");
    }
    ExitCode::from(code)
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

    pub fn error(&self, message: &str) {
        errln!("{} {message}", self.wrap("1;31", "walab: error:"));
    }

    pub fn hint(&self, message: &str) {
        errln!("{} {message}", self.wrap("1;36", "hint:"));
    }
}
