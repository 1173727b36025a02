//! What the load and soak benches share: their settings from the environment (loopback only),
//! a keep-alive HTTP/1.1 connection, and percentiles.
#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;

/// A request sender on one HTTP/1.1 connection.
pub type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// An environment variable, or "" when unset.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// The address in `name`, if set; the benches refuse anything but loopback.
pub fn loopback(name: &str) -> Option<SocketAddr> {
    let value = env(name);
    if value.is_empty() {
        return None;
    }
    let addr: SocketAddr = value.parse().unwrap_or_else(|e| panic!("{name}={value}: {e}"));
    assert!(addr.ip().is_loopback(), "{name}: the benches only target loopback, not {addr}");
    Some(addr)
}

/// A new keep-alive connection to `addr`, its driver spawned on the runtime.
pub async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    Ok(sender)
}

/// The `p` quantile (0 to 1) of sorted values, nearest rank; 0 for none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
