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
        let data = tempfile::tempdir().unwrap();
        let config = tempfile::tempdir().unwrap();
        let pair =
            native_pty_system().openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 }).unwrap();
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
        let parser = vt100::Parser::new(size(ROWS), size(COLS), 0);
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
    pty.press("jj", "Evidence · authorizer-created");
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
    let before = account(&screen);
    pty.press("O", "Start over?");
    pty.press("y", "R runs the checks that have not run yet");
    pty.press("R", "ran all 12 checks");
    let screen = pty.screen();
    assert!(screen.contains("✗ failed  5.3"), "the authorizer is gone again:\n{screen}");
    assert!(screen.contains("✓ passed  5.2"), "the new lab's values are recorded:\n{screen}");
    assert_ne!(account(&screen), before, "a new account:\n{screen}");
    pty.press("q", "");
    let status = pty.child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}
