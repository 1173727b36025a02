//! Whatever a server sends, walab reads a bounded amount of it: an answer without end (as fast as
//! the socket takes it) or one that trickles forever ends in a one-line error naming the endpoint
//! within 60 s, and the process stays under 256 MB. One test per client: the AWS SDK's (through
//! `walab --target aws`), the room's (`walab join`, `walab room`) and `walab request`'s.
//!
//! Peak memory is the child's `VmHWM` (its resident high-water mark, which only grows) read from
//! /proc while it runs; an answer that was read whole would pass 256 MB within a fraction of a
//! second on loopback.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::home::Home;

const MAX_RSS_KB: u64 = 256 * 1024;
const MAX_SECS: u64 = 60;

#[derive(Clone, Copy)]
enum Pace {
    /// 64 KiB writes as fast as the socket takes them.
    Flood,
    /// A byte at a time, 20 a second, forever.
    Trickle,
}

/// A server that answers every request with 200 and `content_type`, then a body that never ends.
fn endless_server(content_type: &'static str, pace: Pace) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let start = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n");
                if stream.write_all(start.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b' '; 65536];
                loop {
                    let sent = match pace {
                        Pace::Flood => stream.write_all(&chunk),
                        Pace::Trickle => {
                            // The server's own pace, not a wait for the test: it never ends.
                            std::thread::sleep(Duration::from_millis(50));
                            stream.write_all(b" ")
                        }
                    };
                    if sent.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    peak_kb: u64,
    took: Duration,
}

fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd`, following its peak memory, and kills it should it outlive the bound by far.
fn run(mut cmd: Command) -> Ran {
    let started = Instant::now();
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak.max(peak_kb(pid).unwrap_or(0));
        if peak > MAX_RSS_KB * 2 || started.elapsed() > Duration::from_secs(MAX_SECS * 2) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        // Sampling the high-water mark, not waiting for anything.
        std::thread::sleep(Duration::from_millis(5));
    };
    // Only the start and the end of what it printed: enough to read, never a flood in a failure.
    let cut = |s: String| {
        if s.len() > 2000 {
            format!("{}…{}", &s[..s.floor_char_boundary(1000)], &s[s.ceil_char_boundary(s.len() - 1000)..])
        } else {
            s
        }
    };
    Ran {
        code: status.code(),
        stdout: cut(stdout.join().unwrap()),
        stderr: cut(stderr.join().unwrap()),
        peak_kb: peak,
        took: started.elapsed(),
    }
}

fn assert_bounded(what: &str, ran: &Ran) {
    assert!(ran.peak_kb <= MAX_RSS_KB, "{what}: peak RSS {} MB (stderr: {})", ran.peak_kb / 1024, ran.stderr);
    assert!(ran.took <= Duration::from_secs(MAX_SECS), "{what}: took {:?}", ran.took);
    assert!(!ran.stderr.contains("panicked"), "{what}: {}", ran.stderr);
}

fn aws(env: &Home, endpoint: &str) -> Command {
    let mut cmd = env.command();
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDWALABTEST")
        .env("AWS_SECRET_ACCESS_KEY", "walab-test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

#[test]
fn the_sdk_path_cuts_an_endless_answer_and_names_the_endpoint() {
    let env = Home::new();
    let endpoint = format!("http://{}", endless_server("text/xml", Pace::Flood));
    let mut cmd = aws(&env, &endpoint);
    cmd.args(["--target", "aws", "check", "--only", "stack-outputs"]);
    let ran = run(cmd);
    assert_bounded("walab --target aws check", &ran);
    assert_eq!(ran.code, Some(1), "{} {}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains(&endpoint) && ran.stdout.contains("larger than 16 MiB"), "{}", ran.stdout);

    let mut cmd = aws(&env, &endpoint);
    cmd.args(["--target", "aws", "token", "ann@example.com", "pw", "us-east-1_AbCdEfGhI", "client", "secret"]);
    let ran = run(cmd);
    assert_bounded("walab --target aws token", &ran);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let line =
        ran.stderr.lines().find(|l| l.contains("larger than 16 MiB")).unwrap_or_else(|| panic!("{}", ran.stderr));
    assert!(line.contains(&endpoint), "the error names the endpoint: {line}");
}

#[test]
fn the_sdk_path_gives_up_on_a_trickle_and_says_how_long_it_waited() {
    let env = Home::new();
    let endpoint = format!("http://{}", endless_server("text/xml", Pace::Trickle));
    let mut cmd = aws(&env, &endpoint);
    cmd.args(["--target", "aws", "token", "ann@example.com", "pw", "us-east-1_AbCdEfGhI", "client", "secret"])
        .env("WALAB_AWS_TIMEOUT_MS", "300");
    let ran = run(cmd);
    assert_bounded("a trickle", &ran);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let line = ran.stderr.lines().find(|l| l.contains("no answer")).unwrap_or_else(|| panic!("{}", ran.stderr));
    assert!(line.contains(&endpoint) && line.contains("after "), "{line}");
    // The time it states is the time it waited (all attempts), not one attempt's bound.
    let stated: f64 = line
        .split("after ")
        .nth(1)
        .and_then(|rest| rest.split(" s").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(stated > 0.3, "more than one 0.3 s attempt: {line}");
    assert!(stated <= ran.took.as_secs_f64() + 0.05, "no more than the process ran ({:?}): {line}", ran.took);
}

#[test]
fn the_room_client_cuts_an_endless_answer() {
    let env = Home::new();
    let server = format!("http://{}", endless_server("application/json", Pace::Flood));
    let mut join = env.command();
    join.args(["join", &server, "--code", "ABCD-EFGH", "--name", "Ann", "--json"]);
    let ran = run(join);
    assert_bounded("walab join", &ran);
    assert_ne!(ran.code, Some(0), "{}", ran.stderr);
    let line = ran.stderr.lines().find(|l| l.contains("larger than")).unwrap_or_else(|| panic!("{}", ran.stderr));
    assert!(line.contains(&server), "{line}");

    let mut room = env.command();
    room.args(["room", "--server", &server, "--key", "instructor-key", "--json"]);
    let ran = run(room);
    assert_bounded("walab room", &ran);
    assert_ne!(ran.code, Some(0), "{}", ran.stderr);
    let line = ran.stderr.lines().find(|l| l.contains("larger than")).unwrap_or_else(|| panic!("{}", ran.stderr));
    assert!(line.contains(&server), "{line}");
}

#[test]
fn walab_request_shows_the_start_of_an_endless_answer() {
    let env = Home::new();
    let url = format!("http://{}/?id=1", endless_server("text/plain", Pace::Flood));
    let mut cmd = env.command();
    cmd.args(["request", &url]);
    let ran = run(cmd);
    assert_bounded("walab request", &ran);
    // An answer arrived: its status and the start of its body, cut.
    assert_eq!(ran.code, Some(0), "{} {}", ran.stdout, ran.stderr);
    let said: Vec<&str> = ran.stdout.split_whitespace().chain(ran.stderr.split_whitespace()).collect();
    assert!(said.contains(&"200"), "{said:?}");
}
