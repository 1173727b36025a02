//! What each listener allows a client: a request's head within its time, a silent connection
//! closed, at most so many connections (503 beyond), keep-alive for everyone else, and URLs
//! and heads within the services' own sizes (414, 431). Raw TCP, so every byte is the test's.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use walab::locallab::machinery::listen::ConnectionLimits;
use walab::locallab::{LabOptions, RunningLab, Timing};

async fn lab_with(limits: ConnectionLimits) -> (RunningLab, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LabOptions::ephemeral(dir.path());
    options.timing = Timing::INSTANT;
    options.signing_key = Some(common::signing_key());
    options.connections = Some(limits);
    (RunningLab::start(options).await.unwrap(), dir)
}

/// Reads one HTTP/1.1 response (head and a `content-length` body); `None` at end of stream.
async fn read_response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>()))
        .and_then(Result::ok)
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some((status, String::from_utf8_lossy(&body).to_string()))
}

async fn get(stream: &mut TcpStream, path: &str, extra: &str) -> Option<(u16, String)> {
    let request = format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    read_response(stream).await
}

/// True once the server has closed the connection (end of stream or reset).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(stream.read(&mut buf).await, Ok(0) | Err(_))
}

fn limits(header_read: Duration, idle: Duration, max_connections: usize) -> ConnectionLimits {
    ConnectionLimits { header_read, idle, max_connections }
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let (lab, _dir) = lab_with(ConnectionLimits::for_file_limit(1024)).await;
    let mut stream = TcpStream::connect(lab.endpoints().edge).await.unwrap();
    for _ in 0..3 {
        let (status, _) = get(&mut stream, "/?id=1", "").await.expect("an answer on the same connection");
        assert_eq!(status, 200);
    }
    lab.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_head_that_never_ends_is_cut_and_others_are_served_meanwhile() {
    let (lab, _dir) = lab_with(limits(Duration::from_millis(200), Duration::from_secs(30), 64)).await;
    let edge = lab.endpoints().edge;
    let mut slow = TcpStream::connect(edge).await.unwrap();
    slow.write_all(b"GET /?id=1 HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ").await.unwrap();
    let mut normal = TcpStream::connect(edge).await.unwrap();
    assert_eq!(get(&mut normal, "/?id=1", "").await.map(|a| a.0), Some(200));
    assert!(tokio::time::timeout(Duration::from_secs(20), closed_by_server(&mut slow)).await.unwrap());
    lab.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_silent_connection_is_closed() {
    let (lab, _dir) = lab_with(limits(Duration::from_secs(30), Duration::from_millis(200), 64)).await;
    let mut stream = TcpStream::connect(lab.endpoints().invoke).await.unwrap();
    assert!(get(&mut stream, "/Dev/?id=1", "").await.is_some());
    // Silent after its answer: closed by the idle bound (or the head bound, whichever first).
    assert!(tokio::time::timeout(Duration::from_secs(20), closed_by_server(&mut stream)).await.unwrap());
    lab.shutdown().await.unwrap();
}

#[tokio::test]
async fn at_the_cap_the_longest_idle_connection_makes_room_and_the_others_keep_working() {
    let (lab, _dir) = lab_with(limits(Duration::from_secs(30), Duration::from_secs(30), 3)).await;
    let edge = lab.endpoints().edge;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(edge).await.unwrap();
        // An answer proves the server has taken the connection into a slot.
        assert_eq!(get(&mut stream, "/?id=1", "").await.map(|a| a.0), Some(200));
        held.push(stream);
    }
    // Every slot is held by a connection idle between requests: the one idle longest goes.
    let mut extra = TcpStream::connect(edge).await.unwrap();
    assert_eq!(get(&mut extra, "/?id=1", "").await.map(|a| a.0), Some(200));
    assert!(closed_by_server(&mut held[0]).await, "the longest idle was closed");
    // The other listeners have their own caps.
    let mut aws = TcpStream::connect(lab.endpoints().aws).await.unwrap();
    assert_ne!(get(&mut aws, "/", "").await.map(|a| a.0), Some(503));
    // The others keep their slots, with keep-alive.
    for stream in &mut held[1..] {
        assert_eq!(get(stream, "/?id=1", "").await.map(|a| a.0), Some(200));
    }
    lab.shutdown().await.unwrap();
}

#[tokio::test]
async fn beyond_the_cap_of_connections_all_inside_a_request_the_next_is_answered_503() {
    let (lab, _dir) = lab_with(limits(Duration::from_secs(30), Duration::from_secs(30), 3)).await;
    let aws = lab.endpoints().aws;
    let mut held = Vec::new();
    for _ in 0..3 {
        // A whole head announcing a body that never comes; the server's `100 Continue` says
        // the request is being answered (it asked for the body).
        let mut stream = TcpStream::connect(aws).await.unwrap();
        let head = "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-amz-json-1.1\r\n\
                    expect: 100-continue\r\ncontent-length: 100\r\n\r\n";
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("100 Continue") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before 100 Continue: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        held.push(stream);
    }
    let mut extra = TcpStream::connect(aws).await.unwrap();
    let answer = get(&mut extra, "/_walab/outbox", "").await.filter(|(status, _)| *status == 503).map(|(_, body)| body);
    assert!(closed_by_server(&mut extra).await);
    let body = answer.expect("a 503 once every slot is inside a request");
    assert!(body.contains("too many open connections"), "{body}");
    lab.shutdown().await.unwrap();
}

async fn status_of(addr: SocketAddr, path: &str, extra: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    get(&mut stream, path, extra).await.map(|a| a.0).unwrap_or(0)
}

/// A path of exactly `len` bytes: `prefix` and a query parameter padded to fit.
fn path_of(prefix: &str, len: usize) -> String {
    let start = format!("{prefix}&pad=");
    format!("{start}{}", "a".repeat(len - start.len()))
}

/// A header `x-pad` that brings the request line and headers `get` sends to `len` bytes.
fn padded_header(path: &str, len: usize) -> String {
    let line = format!("GET {path} HTTP/1.1\r\n").len();
    let host = "host: 127.0.0.1\r\n".len();
    let fixed = line + host + "x-pad: \r\n".len();
    format!("x-pad: {}\r\n", "p".repeat(len - fixed))
}

#[tokio::test]
async fn urls_and_heads_are_held_to_the_services_sizes() {
    let (lab, _dir) = lab_with(ConnectionLimits::for_file_limit(1024)).await;
    let endpoints = lab.endpoints();
    // CloudFront: a URL of 8,192 bytes, a request line and headers of 20,480.
    assert_ne!(status_of(endpoints.edge, &path_of("/?id=1", 8192), "").await, 414);
    assert_eq!(status_of(endpoints.edge, &path_of("/?id=1", 8193), "").await, 414);
    assert_ne!(status_of(endpoints.edge, "/?id=1", &padded_header("/?id=1", 20_480)).await, 431);
    assert_eq!(status_of(endpoints.edge, "/?id=1", &padded_header("/?id=1", 20_481)).await, 431);
    // The AWS endpoint: the same.
    assert_ne!(status_of(endpoints.aws, &path_of("/?a=1", 8192), "").await, 414);
    assert_eq!(status_of(endpoints.aws, &path_of("/?a=1", 8193), "").await, 414);
    assert_eq!(status_of(endpoints.aws, "/", &padded_header("/", 20_481)).await, 431);
    // The invoke URL: a URL of 8,192 bytes; 32 KiB of head.
    assert_ne!(status_of(endpoints.invoke, &path_of("/Dev/?id=1", 8192), "").await, 414);
    assert_eq!(status_of(endpoints.invoke, &path_of("/Dev/?id=1", 8193), "").await, 414);
    assert_ne!(status_of(endpoints.invoke, "/Dev/?id=1", &padded_header("/Dev/?id=1", 32 * 1024)).await, 431);
    assert_eq!(status_of(endpoints.invoke, "/Dev/?id=1", &padded_header("/Dev/?id=1", 32 * 1024 + 1)).await, 431);
    lab.shutdown().await.unwrap();
}
