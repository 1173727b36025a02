//! `walab request` as a learner runs it: the built binary against the local lab, against tiny
//! hand-rolled servers with fixed answers, and against ports where nothing (or nothing useful)
//! listens. Checks exit codes, the stdout/stderr split, and that the token never shows.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread;

const TOKEN: &str = "eyJraWQiOiJ0ZXN0IiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJsZWFybmVyIn0.c2lnbmF0dXJlLW5vdC1zaG93bg";

fn walab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_walab"))
        .arg("request")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run walab")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A server that answers one connection with `response`, whatever was asked, and hands the
/// request it read back to the test.
fn responder(response: Vec<u8>) -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (sender, received) = mpsc::channel();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        let request = read_request(&mut stream);
        let _ = stream.write_all(&response);
        let _ = stream.flush();
        let _ = sender.send(request);
    });
    (base, received)
}

/// Reads up to the end of the request head; a TLS handshake never has one, so its first
/// record is enough.
fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
        if request.first() == Some(&0x16) || request.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    request
}

fn http_response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_labs_endpoints_answer_with_a_status() {
    let lab = common::TestLab::start().await;
    let info = lab.info();
    for url in [info.cloudfront_endpoint, info.api_gateway_url] {
        let args = url.clone();
        let output = tokio::task::spawn_blocking(move || walab(&[&args])).await.expect("join");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{url}: {stderr}");
        let mut lines = stderr.lines();
        assert_eq!(lines.next(), Some(format!("GET {url} without a token").as_str()), "{stderr}");
        let status_line = lines.next().unwrap_or_default();
        let code: u16 = status_line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        assert!((100..600).contains(&code) && status_line.contains(" ms"), "{stderr}");
        assert!(stderr.contains("X-Cache: "), "{stderr}");
    }
}

#[test]
fn a_closed_port_is_connection_refused() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let output = walab(&[&format!("http://127.0.0.1:{port}/?id=1")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .starts_with(&format!("walab: error: connection refused by 127.0.0.1:{port}: is the lab running?\nhint: ")),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/?id=1", listener.local_addr().expect("address"));
    // Accepts and reads, never answers; the thread ends when walab hangs up.
    thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        }
    });
    let output = walab(&[&url, "--timeout", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("walab: error: ") && stderr.contains("timed out after 1 s"), "{stderr}");
    assert!(stderr.contains("hint: ") && stderr.contains("--timeout"), "{stderr}");
}

#[test]
fn an_unknown_host_is_a_dns_failure() {
    // `.invalid` is reserved (RFC 6761): no resolver knows it.
    let output = walab(&["http://walab-no-such-host.invalid/?id=1", "--timeout", "5"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("walab: error: cannot resolve host walab-no-such-host.invalid"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn https_to_a_plain_http_server_is_a_tls_problem() {
    let (base, _) = responder(http_response("200 OK", &[], b"plain"));
    let url = base.replace("http://", "https://");
    let output = walab(&[&url]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("walab: error: TLS problem with 127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("hint: ") && stderr.contains("http://"), "{stderr}");
}

#[test]
fn bad_urls_and_arguments_are_usage_errors() {
    for args in [
        vec!["d111111abcdef8.cloudfront.net/?id=1"],
        vec!["ftp://example.com/"],
        vec!["http://"],
        vec!["http://127.0.0.1:9/", ""],
        vec!["http://127.0.0.1:9/", "--timeout", "soon"],
        vec!["http://127.0.0.1:9/", "--expect", "42"],
        vec![],
    ] {
        let output = walab(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output.stderr));
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let stderr = text(&walab(&["d111111abcdef8.cloudfront.net/?id=1"]).stderr);
    assert!(
        stderr.starts_with("walab: error: invalid URL") && stderr.contains("did you mean https://d111111abcdef8"),
        "{stderr}"
    );
}

#[test]
fn the_token_goes_raw_in_authorization_and_is_never_printed() {
    let body = br#"{"message":"Unauthorized"}"#;
    let (base, received) = responder(http_response(
        "401 Unauthorized",
        &[
            ("content-type", "application/json"),
            ("x-cache", "Error from cloudfront"),
            ("x-amzn-errortype", "UnauthorizedException"),
            ("via", "1.1 abc.cloudfront.net (CloudFront)"),
        ],
        body,
    ));
    let output = walab(&[&format!("{base}/?id=1"), TOKEN]);
    assert_eq!(output.status.code(), Some(0), "a response arrived");

    let request = text(&received.recv().expect("the request"));
    let sent = request.lines().find(|l| l.to_ascii_lowercase().starts_with("authorization:")).unwrap_or_default();
    assert_eq!(sent.split_once(':').map(|(_, v)| v.trim()), Some(TOKEN), "{request}");

    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(stdout, "{\n  \"message\": \"Unauthorized\"\n}\n", "only the body on stdout");
    assert!(stderr.contains("401 Unauthorized in "), "{stderr}");
    assert!(
        stderr.contains("X-Cache: Error from cloudfront (the API or CloudFront answered with an error)"),
        "{stderr}"
    );
    assert!(stderr.contains("x-amzn-ErrorType: UnauthorizedException"), "{stderr}");
    assert!(stderr.contains("hint: ") && stderr.contains("walab token"), "{stderr}");
    for part in TOKEN.split('.') {
        assert!(!stdout.contains(part) && !stderr.contains(part), "token part {part} printed:\n{stderr}");
    }
}

#[test]
fn without_a_token_a_401_says_the_api_wants_one() {
    let (base, _) = responder(http_response("401 Unauthorized", &[], br#"{"message":"Unauthorized"}"#));
    let output = walab(&[&format!("{base}/?id=1")]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("without a token") && stderr.contains("wants an ID token"), "{stderr}");
    assert!(stderr.contains("X-Cache: none"), "{stderr}");
}

#[test]
fn expect_turns_a_different_status_into_exit_1() {
    let answer = || http_response("503 Service Unavailable", &[], br#"{"message":"down"}"#);
    let (base, _) = responder(answer());
    let output = walab(&[&base, "--expect", "200"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("walab: error: expected status 200, got 503"), "{stderr}");
    assert_eq!(text(&output.stdout), "{\n  \"message\": \"down\"\n}\n", "the body is still shown");

    let (base, _) = responder(answer());
    assert_eq!(walab(&[&base, "--expect", "503"]).status.code(), Some(0));
}

#[test]
fn a_text_body_that_is_not_json_is_printed_as_it_is() {
    let html = b"<html><body>Request blocked.</body></html>";
    let (base, _) = responder(http_response("403 Forbidden", &[("content-type", "text/html")], html));
    let output = walab(&[&base]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, [&html[..], b"\n"].concat());
    assert!(text(&output.stderr).contains("403 Forbidden in "));
}

#[test]
fn a_binary_body_is_summarised_not_printed() {
    let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    let (base, _) = responder(http_response("200 OK", &[("content-type", "image/png")], &png));
    let output = walab(&[&base]);
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("16 bytes of binary data, content type image/png"), "{stderr}");
}

#[test]
fn a_large_body_is_cut_with_a_note() {
    let body = "a".repeat(100 * 1024);
    let (base, _) = responder(http_response("200 OK", &[("content-type", "text/plain")], body.as_bytes()));
    let output = walab(&[&base]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout.len(), 64 * 1024 + 1);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("102400 bytes") && stderr.contains("first 64 KiB"), "{stderr}");
}

#[test]
fn a_redirect_is_shown_not_followed() {
    let (base, _) =
        responder(http_response("301 Moved Permanently", &[("location", "https://example.com/?id=1")], b""));
    let output = walab(&[&base]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("301 Moved Permanently") && stderr.contains("Location: https://example.com/?id=1"));
    assert!(stderr.contains("redirect to https://example.com/?id=1"), "{stderr}");
}
