//! walab's one logging set-up: `WALAB_LOG` filters (default `walab=info`), and the lines go to
//! stderr (`walab serve`) or to a file (the walkthrough, which owns the terminal).

use tracing_subscriber::EnvFilter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("WALAB_LOG").unwrap_or_else(|_| EnvFilter::new("walab=info"))
}

/// Log lines (requests, the outbox) go to stderr, below what the command prints.
pub fn to_stderr() {
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr).with_target(false).try_init();
}

/// Log lines go to `file`, without colour.
pub fn to_file(file: std::fs::File) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
}
