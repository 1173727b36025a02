//! The built binary in a real pseudo-terminal, read through a VT parser: it starts on the
//! embedded lab, shows the steps, and leaves the terminal as it found it when quit by `q`,
//! Ctrl-C or SIGTERM, exiting 0 with nothing printed; and the whole section done with keys
//! only, 5.5 passing without a re-run after the last console step, then started over.

use std::io::{Read, Write};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 30;
const COLS: u16 = 100;

enum Quit {
    Q,
    CtrlC,
    Sigterm,
}

/// walab in a pseudo-terminal, its output read through a VT parser.
struct Pty {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    rx: Receiver<Vec<u8>>,
    parser: vt100::Parser,
    raw: Vec<u8>,
    data: tempfile::TempDir,
    _config: tempfile::TempDir,
}

impl Pty {
    fn start() -> Self {
        Pty::start_at(ROWS, COLS)
    }

    fn start_at(rows: u16, cols: u16) -> Self {
        let data = tempfile::tempdir().unwrap();
        let config = tempfile::tempdir().unwrap();
        let pair = native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_walab"));
        cmd.cwd(data.path());
        cmd.env("WALAB_DATA_DIR", data.path());
        cmd.env("WALAB_CONFIG_DIR", config.path());
        cmd.env("WALAB_INVALIDATION_SECS", "0");
        cmd.env("WALAB_DEPLOY_SECS", "0");
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("WALAB_TARGET");
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
        let parser = vt100::Parser::new(size(rows), size(cols), 0);
        Pty { child, writer, rx, parser, raw: Vec::new(), data, _config: config }
    }

    /// Feeds output to the parser until the screen shows `text`; the deadline only bounds a failure.
    fn until(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.parser.screen().contents().contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("never showed {text:?}; the screen:\n{}", self.parser.screen().contents()));
            self.parser.process(&chunk);
            self.raw.extend(chunk);
        }
    }

    fn press(&mut self, keys: &str, then: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        self.until(then);
    }

    fn screen(&self) -> String {
        self.parser.screen().contents()
    }
}

fn walkthrough_in_a_pty(quit: Quit) {
    let mut pty = Pty::start();
    pty.until("5.3 Add a Cognito");
    let screen = pty.screen();
    assert!(pty.parser.screen().alternate_screen(), "the walkthrough has the alternate screen");
    for step in ["5.1 The risk", "5.2 Sign up", "5.4 Let the token", "5.5 Call the API", "Clean up", "○ pending"] {
        assert!(screen.contains(step), "{step}:\n{screen}");
    }
    assert!(!pty.raw.windows(8).any(|w| w == b"\x1b[?1000h"), "the mouse stays with the terminal");

    match quit {
        Quit::Q => pty.writer.write_all(b"q").unwrap(),
        Quit::CtrlC => pty.writer.write_all(b"\x03").unwrap(),
        Quit::Sigterm => {
            let pid = pty.child.process_id().expect("a pid").to_string();
            assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        }
    }
    pty.writer.flush().unwrap();
    let status = pty.child.wait().unwrap();
    while let Ok(chunk) = pty.rx.recv_timeout(Duration::from_secs(10)) {
        pty.parser.process(&chunk);
    }
    assert!(status.success(), "exit status {status:?}");
    let screen = pty.parser.screen();
    assert!(!screen.alternate_screen(), "back on the main screen");
    assert!(!screen.hide_cursor(), "the cursor is shown again");
    assert!(screen.contents().trim().is_empty(), "nothing printed: {:?}", screen.contents());
    assert!(pty.data.path().join("walkthrough.json").exists(), "progress saved");
}

#[test]
fn starts_shows_the_steps_and_q_quits_restoring_the_terminal() {
    walkthrough_in_a_pty(Quit::Q);
}

#[test]
fn ctrl_c_quits_restoring_the_terminal() {
    walkthrough_in_a_pty(Quit::CtrlC);
}

#[cfg(unix)]
#[test]
fn sigterm_quits_restoring_the_terminal() {
    walkthrough_in_a_pty(Quit::Sigterm);
}

#[test]
fn the_whole_section_with_keys_only_and_no_rerun_after_the_last_solve() {
    let mut pty = Pty::start();
    pty.until("5.3 Add a Cognito");
    pty.press("R", "ran all 12 checks");
    // R takes the focus where Next points: 5.3's first check.
    pty.until("Evidence · authorizer-created");
    for action in ["create-authorizer", "protect-method", "deploy-api"] {
        pty.press("s", &format!("Solve: {action}"));
        pty.press("y", &format!("{action} done"));
    }
    pty.press("j", "Evidence · header-forwarded");
    for action in ["forward-header", "invalidate-cache"] {
        pty.press("s", &format!("Solve: {action}"));
        pty.press("y", &format!("{action} done"));
    }
    // The last console step re-checked 5.5 itself: no r, only a look.
    pty.press("j", "Evidence · unauthenticated-401");
    pty.until("Section 5 is done");
    let screen = pty.screen();
    for id in ["unauthenticated-401", "id-token", "authenticated-200", "direct-api-blocked"] {
        assert!(screen.contains(&format!("✓ passed  {id}")), "{id}:\n{screen}");
    }
    // Starting over forgets the progress and puts the lab back where section 5 begins.
    let account = |screen: &str| screen.lines().next().and_then(|l| l.split("account ").nth(1)).map(str::to_string);
    // Messages have the top line while they last; then the header is back.
    pty.until("· account ");
    let before = account(&pty.screen());
    pty.press("O", "Start over?");
    pty.press("y", "R runs the checks that have not run yet");
    pty.press("R", "ran all 12 checks");
    let screen = pty.screen();
    assert!(screen.contains("✗ failed  5.3"), "the authorizer is gone again:\n{screen}");
    pty.until("· account ");
    let screen = pty.screen();
    assert!(screen.contains("✓ passed  5.2"), "the new lab's values are recorded:\n{screen}");
    assert_ne!(account(&screen), before, "a new account:\n{screen}");
    pty.press("q", "");
    let status = pty.child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}

impl Pty {
    /// The last row: the footer's keys.
    fn footer(&self) -> String {
        self.screen().lines().last().unwrap_or_default().to_string()
    }

    /// Feeds output until the footer shows `text`.
    fn until_footer(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.footer().contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("footer never showed {text:?}:\n{}", self.screen()));
            self.parser.process(&chunk);
            self.raw.extend(chunk);
        }
    }

    /// Presses `key`, which must act or say why not: waits for `then` on screen.
    fn explains(&mut self, key: &str, then: &str) {
        self.press(key, then);
    }

    /// The focused step's checks are all on screen, each with a status (a frame may arrive in
    /// pieces: output is fed until it holds, within the deadline).
    fn shows_checks(&mut self, ids: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let all_shown = |screen: &str| {
            ids.iter().all(|id| {
                ["✓ passed", "✗ failed", "! error", "○ pending", "– skipped", "◌ stale"].iter().any(|status| {
                    screen.contains(&format!("{status}  {id}")) || screen.contains(&format!("{status} {id}"))
                })
            })
        };
        while !all_shown(&self.screen()) {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk =
                self.rx.recv_timeout(left).unwrap_or_else(|_| panic!("{ids:?} with their status:\n{}", self.screen()));
            self.parser.process(&chunk);
            self.raw.extend(chunk);
        }
    }
}

/// Section 5 at a projector's size, 80×24, from a fresh lab to 12 of 12 with keys only: at
/// each step its checks are on screen with their status, the footer offers `s` while a console
/// step applies, and keys that do nothing there say why.
#[test]
fn section_5_at_80x24_from_a_fresh_lab_to_12_of_12() {
    let mut pty = Pty::start_at(24, 80);
    pty.until("5.3 Add a Cognito");
    pty.explains("s", "5.1 has nothing to solve");
    pty.explains("y", "y copies a value — Tab to Values");
    pty.explains("k", "that is the first step");
    pty.explains("x", "x does nothing here: ? lists the keys");
    pty.press("R", "ran all 12 checks");
    // The focus is where Next points.
    pty.until("Evidence · authorizer-created");
    let steps = [
        (
            "5.3",
            vec!["authorizer-created", "method-protected", "api-deployed"],
            vec!["create-authorizer", "protect-method", "deploy-api"],
        ),
        ("5.4", vec!["header-forwarded", "cache-invalidated"], vec!["forward-header", "invalidate-cache"]),
    ];
    for (step, checks, actions) in steps {
        if step == "5.4" {
            pty.press("j", "Evidence · header-forwarded");
        }
        pty.shows_checks(&checks);
        for action in actions {
            // A frame may arrive in pieces: the footer is waited for, within the deadline.
            pty.until_footer("s solve");
            pty.press("s", &format!("Solve: {action}"));
            pty.press("y", &format!("{action} done"));
            pty.shows_checks(&checks);
        }
        pty.explains("s", &format!("nothing to solve: the console steps of {step} have passed"));
        assert!(!pty.footer().contains("s solve"), "nothing left to solve in {step}: {}", pty.footer());
    }
    pty.press("j", "Evidence · unauthenticated-401");
    pty.shows_checks(&["unauthenticated-401", "id-token", "authenticated-200", "direct-api-blocked"]);
    assert!(!pty.footer().contains("s solve"), "5.5 has no console step: {}", pty.footer());
    pty.explains("s", "5.5 is checks only: press r");
    pty.explains("e", "e edits a value — Tab to Values");
    pty.until("Section 5 is done");
    pty.until("12/12 passed");
    let screen = pty.screen();
    for id in ["unauthenticated-401", "id-token", "authenticated-200", "direct-api-blocked"] {
        assert!(screen.contains(&format!("✓ passed  {id}")), "{id}:\n{screen}");
    }
    pty.press("q", "");
    let status = pty.child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}
