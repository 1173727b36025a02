//! How each of the lab's listeners takes its connections: HTTP/1.1 with keep-alive (what the
//! SDKs and the load generator reuse), and bounds on what a client can hold. A request's head
//! must arrive within a few seconds (slowloris), a connection silent for longer than its idle
//! bound is closed, and each listener holds at most so many connections. At that cap a new
//! connection makes room by closing the one that has waited longest without finishing a
//! request head (half-open, or idle between requests), so thousands of connections that never
//! send a whole request cannot lock everyone else out; only when every connection is in the
//! middle of a request is the new one answered 503 and closed. The
//! process's soft file limit is raised to its hard limit first, so the caps, not the file
//! table, decide.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// What one listener allows each client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From a request's first byte (or, between requests, from the last answer) to the end of
    /// its head.
    pub header_read: Duration,
    /// Longest silence (nothing read, nothing written) before the connection is closed.
    pub idle: Duration,
    /// Connections open at once on this listener; the next ones are answered 503.
    pub max_connections: usize,
}

/// The file descriptors kept for everything but the three listeners' connections (the
/// database, its journal, logs, the runtime, the walkthrough's own HTTP clients).
const RESERVED_FILES: u64 = 128;
/// However many files the process may open, a listener holds at most this many connections.
const MOST_CONNECTIONS: u64 = 4096;
/// Refusals (503s) being written at once; beyond them a connection is simply closed.
const REFUSALS_AT_ONCE: usize = 64;
/// The largest request head hyper buffers: above the largest URL and head any of the three
/// listeners accepts (each checks its service's own limits and answers 414 or 431 itself),
/// so an oversized one is read whole only this far.
const MAX_HEAD_BUFFER: usize = 128 * 1024;
/// After an accept error (out of file descriptors, say): wait rather than spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// How long a stopping listener waits for its open requests to be answered.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl ConnectionLimits {
    /// The bounds for a process allowed `files` open files: a third of what is left after the
    /// reserve for each listener, at most `MOST_CONNECTIONS`.
    pub fn for_file_limit(files: u64) -> ConnectionLimits {
        let per_listener = (files.saturating_sub(RESERVED_FILES) / 3).clamp(16, MOST_CONNECTIONS);
        ConnectionLimits {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            max_connections: usize::try_from(per_listener).unwrap_or(16),
        }
    }
}

/// Raises the soft limit on open files to the hard limit (once; later calls only read it) and
/// returns the limit in force.
pub fn raise_file_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let (current, maximum) = (limit.current.unwrap_or(u64::MAX), limit.maximum);
    if let Some(maximum) = maximum
        && maximum > current
        && setrlimit(Resource::Nofile, rustix::process::Rlimit { current: Some(maximum), maximum: Some(maximum) })
            .is_ok()
    {
        return maximum;
    }
    current
}

/// How long a new connection waits for the slot of the one it closed.
const EVICTION_WAIT: Duration = Duration::from_millis(200);

/// One open connection as the listener sees it: since when it has been waiting for a request
/// head (`BUSY` while a request is being answered), and how to close it.
struct Tracked {
    waiting_since_ms: AtomicU64,
    /// Whether it has had a request answered: a client's idle keep-alive connection goes only
    /// after every connection that never sent a whole request.
    served: AtomicBool,
    close: CancellationToken,
}

const BUSY: u64 = u64::MAX;

/// A listener's open connections.
struct Open {
    epoch: Instant,
    next: AtomicU64,
    tracked: Mutex<HashMap<u64, Arc<Tracked>>>,
}

impl Open {
    fn new() -> Open {
        Open { epoch: Instant::now(), next: AtomicU64::new(0), tracked: Mutex::new(HashMap::new()) }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(BUSY - 1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Tracked>>> {
        self.tracked.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn add(&self) -> (u64, Arc<Tracked>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let tracked = Arc::new(Tracked {
            waiting_since_ms: AtomicU64::new(self.now_ms()),
            served: AtomicBool::new(false),
            close: CancellationToken::new(),
        });
        self.lock().insert(id, tracked.clone());
        (id, tracked)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Closes the connection that has waited longest for a request head (one that never had a
    /// request answered first); false when every connection is answering a request.
    fn evict_longest_waiting(&self) -> bool {
        let open = self.lock();
        let longest = open
            .values()
            .filter(|t| !t.close.is_cancelled())
            .map(|t| (t.served.load(Ordering::Relaxed), t.waiting_since_ms.load(Ordering::Relaxed), t))
            .filter(|(_, since, _)| *since != BUSY)
            .min_by_key(|(served, since, _)| (*served, *since))
            .map(|(_, since, t)| (since, t));
        match longest {
            Some((_, tracked)) => {
                tracked.close.cancel();
                true
            }
            None => false,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `cancel`, then lets open requests finish.
pub async fn serve(listener: TcpListener, app: axum::Router, limits: ConnectionLimits, cancel: CancellationToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let open = Arc::new(Open::new());
    loop {
        let stream = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("a local lab listener could not accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let mut slot = slots.clone().try_acquire_owned().ok();
        if slot.is_none() && open.evict_longest_waiting() {
            // The closed connection's task ends at once and hands its slot back.
            slot = tokio::time::timeout(EVICTION_WAIT, slots.clone().acquire_owned()).await.ok().and_then(Result::ok);
        }
        match slot {
            Some(slot) => {
                let (app, cancel, open) = (app.clone(), cancel.clone(), open.clone());
                let (id, tracked) = open.add();
                tokio::spawn(async move {
                    connection(stream, app, limits, cancel, &open, tracked).await;
                    open.remove(id);
                    drop(slot);
                });
            }
            None => {
                if let Ok(refusing) = refusals.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(refusing);
                    });
                }
            }
        }
    }
    drop(listener);
    // Every slot back means every connection has ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
}

/// One connection, until the client closes it, it falls silent for too long, or the lab stops.
async fn connection(
    stream: TcpStream,
    app: axum::Router,
    limits: ConnectionLimits,
    cancel: CancellationToken,
    open: &Arc<Open>,
    tracked: Arc<Tracked>,
) {
    // Who is on the other end (a room throttles wrong join codes per address).
    let app = match stream.peer_addr() {
        Ok(peer) => app.layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        Err(_) => app,
    };
    let activity = Arc::new(Activity::new());
    let service = {
        let (open, tracked) = (open.clone(), tracked.clone());
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let (app, open, tracked) = (app.clone(), open.clone(), tracked.clone());
            async move {
                tracked.waiting_since_ms.store(BUSY, Ordering::Relaxed);
                let response = app.oneshot(request.map(axum::body::Body::new)).await;
                // Between requests the connection waits for the next head again.
                tracked.served.store(true, Ordering::Relaxed);
                tracked.waiting_since_ms.store(open.now_ms(), Ordering::Relaxed);
                response
            }
        })
    };
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true)
        .max_buf_size(MAX_HEAD_BUFFER);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        let quiet_until = activity.last() + limits.idle;
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("a local lab connection ended: {e}");
                }
                return;
            }
            () = tracked.close.cancelled() => {
                tracing::debug!("a local lab connection that had not sent a whole request was closed to make room");
                return;
            }
            () = cancel.cancelled(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = tokio::time::sleep_until(quiet_until) => {
                if activity.last() + limits.idle <= Instant::now() {
                    tracing::debug!("a local lab connection was silent for {:?}; closing it", limits.idle);
                    return;
                }
            }
        }
    }
}

/// The answer for a connection beyond a listener's cap: 503 and close, after reading (a
/// little of) what the client sent, so it reads the answer rather than a reset.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = r#"{"message":"The local lab has too many open connections on this port; try again shortly."}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nx-amzn-errortype: ServiceUnavailableException\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0usize;
        while drained < 64 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// When a connection last moved a byte, as milliseconds since it opened.
struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity { opened: Instant::now(), last_ms: AtomicU64::new(0) }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// A stream that notes each read and write that moved bytes.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_follow_the_file_limit() {
        assert_eq!(ConnectionLimits::for_file_limit(1024).max_connections, 298);
        assert_eq!(ConnectionLimits::for_file_limit(1 << 20).max_connections, 4096);
        assert_eq!(ConnectionLimits::for_file_limit(100).max_connections, 16);
    }
}
