//! The soak bench: what a hostile neighbour on the same network does to a `walab serve`, and
//! whether the lab stays bounded in memory, disk and time while it happens. Not a test:
//! `benches/soak.sh` runs it against a `walab serve` it started (on loopback only).
//!
//! Phases (choose with `WALAB_SOAK_PHASES`, comma-separated; all by default):
//! - `flood`: 10,000 GETs of `/nope?q=<unique 64 KB>` without a token and 2,000 with one (the
//!   issue's requests, now refused as too long: 414), then the same with unique queries just
//!   within CloudFront's URL limit (8,000 bytes), each cached: the cache's byte cap at work;
//! - `slowloris`: `WALAB_SOAK_SLOW` (1,500) connections each sending a request head a line a
//!   second, never finishing it, for 20 s: how many the lab cut, and when;
//! - `signins`: `WALAB_SOAK_SIGNINS` (100,000) sign-ins of one user (AdminInitiateAuth, each
//!   committing a refresh grant): the state's growth per 1,000 sign-ins;
//! - `xml`: UpdateDistribution with a 1 MB configuration carrying 90,000 attributes on
//!   `<Comment>`, then a small update: how long each took.
//!
//! Throughout each phase a normal edge GET (`/?id=1` with the token, a cache hit) is timed
//! every 50 ms; each phase reports the server's RSS before and after, the state's size, and
//! that probe's p50, p99 and worst, against the goals: RSS growth at most 150 MB under the
//! flood, at most 50 KB of state per 1,000 sign-ins, normal requests answered within 500 ms.
//!
//! Inputs (environment): `WALAB_SOAK_EDGE`, `WALAB_SOAK_AWS` (host:port), `WALAB_SOAK_PID` (the
//! server's), `WALAB_SOAK_STATE` (its state directory), `WALAB_SOAK_TOKEN`, `WALAB_SOAK_POOL`,
//! `WALAB_SOAK_CLIENT`, `WALAB_SOAK_SECRET`, `WALAB_SOAK_USER`, `WALAB_SOAK_PASSWORD`.
//! Output: a Markdown table, one row per phase.

mod shared;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;

use shared::{Sender, connect, env, loopback, percentile};

struct Config {
    edge: SocketAddr,
    aws: SocketAddr,
    pid: u32,
    state: std::path::PathBuf,
    token: String,
    pool: String,
    client: String,
    secret: String,
    user: String,
    password: String,
}

/// The server's resident memory, in MB.
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// The lab's database file, in bytes: what accumulates (the write-ahead log beside it is
/// checkpointed into it and cut back to a few MiB; [`state_bytes`] counts both).
fn database_bytes(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join("lab.sqlite3")).map(|m| m.len()).unwrap_or(0)
}

/// The lab's state on disk: its database and write-ahead log, in bytes.
fn state_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("lab.sqlite3"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Sends on `sender` (reconnecting once if the server closed it); the status and body.
async fn send(
    sender: &mut Sender,
    addr: SocketAddr,
    request: impl Fn() -> Request<Full<Bytes>>,
) -> Result<(u16, Bytes), String> {
    for attempt in 0..2 {
        if attempt > 0 || sender.ready().await.is_err() {
            *sender = connect(addr).await?;
        }
        if let Ok(response) = sender.send_request(request()).await {
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            return Ok((status, body));
        }
    }
    Err("the connection failed twice".to_string())
}

/// The normal edge GET, timed every 50 ms until `stop`; latencies in ms (a failure counts as
/// 10 s).
async fn probe(config: Arc<Config>, stop: Arc<AtomicBool>) -> Vec<f64> {
    let mut latencies = Vec::new();
    let Ok(mut sender) = connect(config.edge).await else { return vec![10_000.0] };
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let token = config.token.clone();
        let request = || {
            Request::get("/?id=1")
                .header("host", "127.0.0.1")
                .header("authorization", &token)
                .body(Full::new(Bytes::new()))
                .unwrap_or_default()
        };
        let answered = tokio::time::timeout(Duration::from_secs(10), send(&mut sender, config.edge, request)).await;
        let ms = match answered {
            Ok(Ok((200, _))) => started.elapsed().as_secs_f64() * 1000.0,
            _ => 10_000.0,
        };
        latencies.push(ms);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    latencies
}

/// What one phase measured.
struct Row {
    phase: String,
    work: String,
    rss_before: f64,
    rss_after: f64,
    state: String,
    probe: Vec<f64>,
    goal: String,
}

impl Row {
    fn print(&self) {
        let mut sorted = self.probe.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "| {} | {} | {:.0} → {:.0} MB ({:+.0}) | {} | {:.1} / {:.1} / {:.1} ms ({} probes) | {} |",
            self.phase,
            self.work,
            self.rss_before,
            self.rss_after,
            self.rss_after - self.rss_before,
            self.state,
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
            sorted.last().copied().unwrap_or(0.0),
            sorted.len(),
            self.goal,
        );
    }
}

/// Runs `work` with the probe going; the row's common measurements around it.
async fn measured<F, Fut>(config: &Arc<Config>, phase: &str, work: F) -> (Row, String)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let rss_before = rss_mb(config.pid);
    let state_before = state_bytes(&config.state);
    let stop = Arc::new(AtomicBool::new(false));
    let probing = tokio::spawn(probe(config.clone(), stop.clone()));
    let summary = work().await;
    stop.store(true, Ordering::Relaxed);
    let latencies = probing.await.unwrap_or_default();
    let state_after = state_bytes(&config.state);
    let state = format!("{:.1} → {:.1} MB", state_before as f64 / 1e6, state_after as f64 / 1e6);
    let row = Row {
        phase: phase.to_string(),
        work: String::new(),
        rss_before,
        rss_after: rss_mb(config.pid),
        state,
        probe: latencies,
        goal: String::new(),
    };
    (row, summary)
}

/// `count` GETs of unique URLs of `query_len` bytes, over `conns` keep-alive connections;
/// the statuses seen.
async fn unique_gets(config: &Arc<Config>, path: &str, query_len: usize, count: u64, token: bool) -> String {
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, u64>::new()));
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (config, statuses, next, path) = (config.clone(), statuses.clone(), next.clone(), path.to_string());
        tasks.push(tokio::spawn(async move {
            let Ok(mut sender) = connect(config.edge).await else { return };
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    return;
                }
                let prefix = format!("{path}q={n:08}-");
                let url = format!("{prefix}{}", "x".repeat(query_len.saturating_sub(prefix.len())));
                let build = || {
                    let mut builder = Request::get(url.as_str()).header("host", "127.0.0.1");
                    if token {
                        builder = builder.header("authorization", &config.token);
                    }
                    builder.body(Full::new(Bytes::new()))
                };
                // A request the client cannot even build is counted as status 0, never sent.
                let status = match build() {
                    Ok(_) => {
                        let request = || build().unwrap_or_default();
                        send(&mut sender, config.edge, request).await.map(|(s, _)| s).unwrap_or(0)
                    }
                    Err(_) => 0,
                };
                *statuses.lock().await.entry(status).or_default() += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let statuses = statuses.lock().await;
    statuses.iter().map(|(s, n)| format!("{n}×{s}")).collect::<Vec<_>>().join(" ")
}

async fn flood(config: &Arc<Config>) -> Row {
    let (mut row, summary) = measured(config, "flood", || async {
        let mut parts = Vec::new();
        for (what, path, len, count, token) in [
            // 64,000 bytes: `http::Uri` itself takes at most 65,534.
            ("64 KB, no token", "/nope?", 64_000, 10_000, false),
            ("64 KB, token", "/?id=1&", 64_000, 2_000, true),
            ("8 KB, no token", "/nope?", 8_000, 10_000, false),
            ("8 KB, token", "/?id=1&", 8_000, 2_000, true),
        ] {
            parts.push(format!("{what}: {}", unique_gets(config, path, len, count, token).await));
        }
        parts.join("; ")
    })
    .await;
    let growth = row.rss_after - row.rss_before;
    row.work = summary;
    row.goal = format!("RSS growth ≤ 150 MB: {}", if growth <= 150.0 { "met" } else { "NOT met" });
    row
}

async fn slowloris(config: &Arc<Config>) -> Row {
    let slow: usize = env("WALAB_SOAK_SLOW").parse().unwrap_or(1500);
    let (mut row, summary) = measured(config, "slowloris", || async {
        let opened = Instant::now();
        let cut = Arc::new(Mutex::new(Vec::<f64>::new()));
        let refused = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..slow {
            let (edge, cut, refused) = (config.edge, cut.clone(), refused.clone());
            tasks.push(tokio::spawn(async move {
                let Ok(mut stream) = tokio::net::TcpStream::connect(edge).await else {
                    refused.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                if stream.write_all(b"GET /?id=1 HTTP/1.1\r\nhost: 127.0.0.1\r\n").await.is_err() {
                    return;
                }
                let mut buf = [0u8; 512];
                for _ in 0..20 {
                    // A line a second; the server's answer (a 503 beyond the cap) or its close ends it.
                    tokio::select! {
                        _ = stream.read(&mut buf) => {
                            // An answer (a 503 beyond the cap, a 408) or the end of the stream.
                            cut.lock().await.push(opened.elapsed().as_secs_f64());
                            return;
                        }
                        () = tokio::time::sleep(Duration::from_secs(1)) => {
                            if stream.write_all(b"x-slow: 1\r\n").await.is_err() {
                                cut.lock().await.push(opened.elapsed().as_secs_f64());
                                return;
                            }
                        }
                    }
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
        let mut cut = cut.lock().await.clone();
        cut.sort_by(f64::total_cmp);
        format!(
            "{slow} slow heads: {} cut by the lab (median after {:.1} s, last after {:.1} s), {} could not connect",
            cut.len(),
            percentile(&cut, 0.5),
            cut.last().copied().unwrap_or(0.0),
            refused.load(Ordering::Relaxed)
        )
    })
    .await;
    row.work = summary;
    row
}

fn sign_in(config: &Config) -> Request<Full<Bytes>> {
    let mut params = serde_json::json!({ "USERNAME": config.user, "PASSWORD": config.password });
    if !config.secret.is_empty() {
        params["SECRET_HASH"] = walab::token::secret_hash(&config.user, &config.client, &config.secret).into();
    }
    let body = serde_json::json!({
        "AuthFlow": "ADMIN_NO_SRP_AUTH", "ClientId": config.client, "UserPoolId": config.pool, "AuthParameters": params,
    });
    Request::post("/")
        .header("host", "127.0.0.1")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.AdminInitiateAuth")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDSOAK/20261123/us-east-1/cognito-idp/aws4_request, \
             SignedHeaders=content-type;host;x-amz-target, Signature=00",
        )
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

async fn signins(config: &Arc<Config>) -> Row {
    let total: u64 = env("WALAB_SOAK_SIGNINS").parse().unwrap_or(100_000);
    let database_before = database_bytes(&config.state);
    let (mut row, summary) = measured(config, "sign-ins", || async {
        let next = Arc::new(AtomicU64::new(0));
        let ok = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (config, next, ok) = (config.clone(), next.clone(), ok.clone());
            tasks.push(tokio::spawn(async move {
                let Ok(mut sender) = connect(config.aws).await else { return };
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    if let Ok((200, _)) = send(&mut sender, config.aws, || sign_in(&config)).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
        let secs = started.elapsed().as_secs_f64();
        let ok = ok.load(Ordering::Relaxed);
        format!("{ok} of {total} signed in, {:.0}/s", ok as f64 / secs)
    })
    .await;
    let growth = database_bytes(&config.state).saturating_sub(database_before) as f64;
    let per_thousand_kb = growth / (total.max(1) as f64 / 1000.0) / 1000.0;
    row.work = summary;
    row.state += &format!(" (with the log); the database {per_thousand_kb:.1} KB per 1,000 sign-ins");
    row.goal = format!("≤ 50 KB per 1,000: {}", if per_thousand_kb <= 50.0 { "met" } else { "NOT met" });
    row
}

fn signed(method: &str, path: &str, if_match: Option<&str>, body: String) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method(method).uri(path).header("host", "127.0.0.1").header(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDSOAK/20261123/us-east-1/cloudfront/aws4_request, \
         SignedHeaders=host, Signature=00",
    );
    if let Some(etag) = if_match {
        builder = builder.header("if-match", etag);
    }
    builder.body(Full::new(Bytes::from(body))).unwrap_or_default()
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    Some(&text[start..start + text[start..].find(close)?])
}

async fn xml(config: &Arc<Config>) -> Row {
    let (mut row, summary) = measured(config, "1 MB XML", || async {
        let Ok(mut sender) = connect(config.aws).await else { return "cannot connect".to_string() };
        let list =
            send(&mut sender, config.aws, || signed("GET", "/2020-05-31/distribution", None, String::new())).await;
        let Some(id) =
            list.ok().and_then(|(_, b)| between(&String::from_utf8_lossy(&b), "<Id>", "</Id>").map(String::from))
        else {
            return "no distribution".to_string();
        };
        let path = format!("/2020-05-31/distribution/{id}/config");
        let fetch = || signed("GET", &path, None, String::new());
        // The connection may have been closed after the list: ask for it ready, or a new one.
        if sender.ready().await.is_err() {
            let Ok(fresh) = connect(config.aws).await else { return "cannot connect".to_string() };
            sender = fresh;
        }
        let Ok(response) = sender.send_request(fetch()).await else { return "no config".to_string() };
        let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let current = String::from_utf8_lossy(&body).to_string();
        let mut n = 90_000;
        let flood = loop {
            let attributes: String = (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect();
            let doc = current.replacen("<Comment", &format!("<Comment{attributes}"), 1);
            if doc.len() <= 1_000_000 || n < 1_000 {
                break doc;
            }
            n -= 1_000;
        };
        let started = Instant::now();
        let big = send(&mut sender, config.aws, || signed("PUT", &path, Some(&etag), flood.clone())).await;
        let big_ms = started.elapsed().as_secs_f64() * 1000.0;
        let code = big
            .as_ref()
            .ok()
            .and_then(|(_, b)| between(&String::from_utf8_lossy(b), "<Code>", "</Code>").map(String::from));
        let started = Instant::now();
        let small = send(&mut sender, config.aws, || signed("PUT", &path, Some(&etag), current.clone())).await;
        let small_ms = started.elapsed().as_secs_f64() * 1000.0;
        format!(
            "{:.1} MB with {n} attributes: {} {} in {big_ms:.0} ms; then a small update: {} in {small_ms:.0} ms",
            flood.len() as f64 / 1e6,
            big.as_ref().map(|(s, _)| *s).unwrap_or(0),
            code.unwrap_or_default(),
            small.map(|(s, _)| s).unwrap_or(0),
        )
    })
    .await;
    row.work = summary;
    row
}

fn main() {
    raise_file_limit();
    let config = Arc::new(Config {
        edge: loopback("WALAB_SOAK_EDGE").expect("WALAB_SOAK_EDGE"),
        aws: loopback("WALAB_SOAK_AWS").expect("WALAB_SOAK_AWS"),
        pid: env("WALAB_SOAK_PID").parse().unwrap_or(0),
        state: env("WALAB_SOAK_STATE").into(),
        token: env("WALAB_SOAK_TOKEN"),
        pool: env("WALAB_SOAK_POOL"),
        client: env("WALAB_SOAK_CLIENT"),
        secret: env("WALAB_SOAK_SECRET"),
        user: env("WALAB_SOAK_USER"),
        password: env("WALAB_SOAK_PASSWORD"),
    });
    let phases = env("WALAB_SOAK_PHASES");
    let phases: Vec<&str> =
        if phases.is_empty() { vec!["flood", "slowloris", "signins", "xml"] } else { phases.split(',').collect() };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    println!(
        "| phase | what was sent, and the answers | server RSS before → after | state | normal edge GET p50 / p99 / worst | goal |"
    );
    println!("|---|---|---|---|---|---|");
    for phase in phases {
        let row = runtime.block_on(async {
            let mut row = match phase.trim() {
                "flood" => flood(&config).await,
                "slowloris" => slowloris(&config).await,
                "signins" => signins(&config).await,
                "xml" => xml(&config).await,
                other => panic!("unknown phase {other}"),
            };
            let mut sorted = row.probe.clone();
            sorted.sort_by(f64::total_cmp);
            let p99 = percentile(&sorted, 0.99);
            let within = if p99 <= 500.0 { "p99 ≤ 500 ms met" } else { "p99 ≤ 500 ms NOT met" };
            row.goal = if row.goal.is_empty() { within.to_string() } else { format!("{}; {within}", row.goal) };
            row
        });
        row.print();
    }
}

/// 1,500 slow connections need more than the common 1,024 files.
fn raise_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let Some(maximum) = limit.maximum {
        let _ = setrlimit(Resource::Nofile, Rlimit { current: Some(maximum), maximum: Some(maximum) });
    }
}
