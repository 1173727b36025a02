//! A room's load on the local lab: many learners' requests at once, over loopback, bounded in
//! time and in count. Not a test: `benches/run.sh` runs it (with `cargo bench --bench load`)
//! against a `walab serve` it started, and against moto's server as the peer baseline.
//!
//! Scenarios (choose with `WALAB_LOAD_SCENARIOS`, comma-separated):
//! - `cached`: authenticated GETs of the CloudFront endpoint, all answered from the edge cache;
//! - `uncached`: the same, each with a query no one asked before, so each goes through the
//!   authorizer (RS256 verification) and the origin;
//! - `auth`: `AdminInitiateAuth` (`ADMIN_NO_SRP_AUTH` with the secret hash), raw JSON 1.1 with
//!   a SigV4-looking `Authorization` header, as the SDK sends it; each sign-in commits a
//!   refresh grant to the store before it is answered;
//! - `rsa`: no server: RS256 signatures with aws-lc-rs (the lab's signing primitive) on one
//!   thread for `WALAB_LOAD_SECS`, the bound a sign-in (two signatures) cannot beat;
//! - `room`: a workshop on a `walab serve --room`: 500 attendees join, 50 run the lab loop and
//!   report their checks as a joined walab does, while the instructor's dashboard watches
//!   (join and edge latency, sign-ins per second, each report's delay to the dashboard; see
//!   `room/mod.rs`);
//! - `writes`: `SignUp` latency (one at a time, 1,000 of them) in a pool of about 1,000 users,
//!   then again once `WALAB_LOAD_USERS` (default 100,000) have signed up: a write's cost must
//!   not grow with the lab.
//!
//! Inputs (environment): `WALAB_LOAD_EDGE` (host:port of the edge), `WALAB_LOAD_AWS` (host:port
//! of the AWS endpoint), `WALAB_LOAD_TOKEN`, `WALAB_LOAD_POOL`, `WALAB_LOAD_CLIENT`,
//! `WALAB_LOAD_SECRET` (may be empty), `WALAB_LOAD_USER`, `WALAB_LOAD_PASSWORD`,
//! `WALAB_LOAD_SECS` (default 5), `WALAB_LOAD_CONNS` (default 32), `WALAB_LOAD_MAX` (most
//! requests per scenario, default 1,000,000), `WALAB_LOAD_THREADS` (client threads, default 1).
//! Output: one line per scenario, `scenario=NAME ok=N errors=N secs=S rps=R conns=N reconnects=N
//! first_error=…`.
//! Only loopback addresses are accepted.
//!
//! The client is a bare hyper HTTP/1.1 connection per simulated learner, kept alive, so that
//! as little as possible of the machine goes to the load generator, which shares the cores
//! with the server.

mod room;
mod shared;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use tokio::sync::Mutex;

use shared::{connect, env, loopback, percentile};

struct Config {
    edge: Option<SocketAddr>,
    aws: Option<SocketAddr>,
    token: String,
    pool: String,
    client: String,
    secret: String,
    user: String,
    password: String,
    secs: f64,
    conns: usize,
    max: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scenario {
    Cached,
    Uncached,
    Auth,
    Rsa,
    Writes,
    Room,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Cached => "cached",
            Scenario::Uncached => "uncached",
            Scenario::Auth => "auth",
            Scenario::Rsa => "rsa",
            Scenario::Writes => "writes",
            Scenario::Room => "room",
        }
    }
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    errors: AtomicU64,
    issued: AtomicU64,
    reconnects: AtomicU64,
    first_error: Mutex<Option<String>>,
}

fn main() {
    let threads: usize = env("WALAB_LOAD_THREADS").parse().unwrap_or(1);
    let config = Config {
        edge: loopback("WALAB_LOAD_EDGE"),
        aws: loopback("WALAB_LOAD_AWS"),
        token: env("WALAB_LOAD_TOKEN"),
        pool: env("WALAB_LOAD_POOL"),
        client: env("WALAB_LOAD_CLIENT"),
        secret: env("WALAB_LOAD_SECRET"),
        user: env("WALAB_LOAD_USER"),
        password: env("WALAB_LOAD_PASSWORD"),
        secs: env("WALAB_LOAD_SECS").parse().unwrap_or(5.0_f64).clamp(0.1, 60.0),
        conns: env("WALAB_LOAD_CONNS").parse().unwrap_or(32_usize).clamp(1, 1024),
        max: env("WALAB_LOAD_MAX").parse().unwrap_or(1_000_000),
    };
    let scenarios: Vec<Scenario> = env("WALAB_LOAD_SCENARIOS")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| match s.trim() {
            "cached" => Scenario::Cached,
            "uncached" => Scenario::Uncached,
            "auth" => Scenario::Auth,
            "rsa" => Scenario::Rsa,
            "writes" => Scenario::Writes,
            "room" => Scenario::Room,
            other => panic!("unknown scenario {other}"),
        })
        .collect();
    if scenarios.is_empty() {
        eprintln!("load: nothing to do (set WALAB_LOAD_SCENARIOS; benches/run.sh does)");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    let config = Arc::new(config);
    for scenario in scenarios {
        runtime.block_on(run(scenario, config.clone()));
    }
}

async fn run(scenario: Scenario, config: Arc<Config>) {
    let addr = match scenario {
        Scenario::Rsa => return rsa(&config),
        Scenario::Writes => return writes(config).await,
        Scenario::Room => return room::run(config).await,
        Scenario::Cached | Scenario::Uncached => config.edge.expect("WALAB_LOAD_EDGE"),
        Scenario::Auth => config.aws.expect("WALAB_LOAD_AWS"),
    };
    let auth_body = Bytes::from(auth_body(&config));
    if scenario == Scenario::Cached {
        // The token's first request fills the cache; only hits are counted.
        let (warm, stop) = (Tally::default(), AtomicBool::new(false));
        let far = Instant::now() + Duration::from_secs(10);
        let _ = learner(scenario, 0, addr, &config, 1, auth_body.clone(), &warm, &stop, far).await;
    }
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(config.secs);
    let mut tasks = Vec::new();
    for conn in 0..config.conns {
        let (tally, stop, config, auth_body) = (tally.clone(), stop.clone(), config.clone(), auth_body.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(e) = learner(scenario, conn, addr, &config, config.max, auth_body, &tally, &stop, deadline).await
            {
                tally.errors.fetch_add(1, Ordering::Relaxed);
                tally.first_error.lock().await.get_or_insert(e);
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let ok = tally.ok.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed);
    let first = tally.first_error.lock().await.clone().unwrap_or_default().replace(char::is_whitespace, "_");
    println!(
        "scenario={} ok={ok} errors={errors} secs={secs:.2} rps={:.0} conns={} reconnects={} first_error={first}",
        scenario.name(),
        ok as f64 / secs,
        config.conns,
        tally.reconnects.load(Ordering::Relaxed),
    );
}

fn auth_body(config: &Config) -> String {
    let mut params = serde_json::json!({ "USERNAME": config.user, "PASSWORD": config.password });
    if !config.secret.is_empty() {
        params["SECRET_HASH"] = walab::token::secret_hash(&config.user, &config.client, &config.secret).into();
    }
    serde_json::json!({
        "AuthFlow": "ADMIN_NO_SRP_AUTH",
        "ClientId": config.client,
        "UserPoolId": config.pool,
        "AuthParameters": params,
    })
    .to_string()
}

#[allow(clippy::too_many_arguments)]
async fn learner(
    scenario: Scenario,
    conn: usize,
    addr: SocketAddr,
    config: &Config,
    max: u64,
    auth_body: Bytes,
    tally: &Tally,
    stop: &AtomicBool,
    deadline: Instant,
) -> Result<(), String> {
    let host = addr.to_string();
    let mut sender = connect(addr).await?;
    let mut n: u64 = 0;
    let mut failures = 0;
    loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
            return Ok(());
        }
        if tally.issued.fetch_add(1, Ordering::Relaxed) >= max {
            stop.store(true, Ordering::Relaxed);
            return Ok(());
        }
        n += 1;
        let request = match scenario {
            Scenario::Cached => Request::get("/?id=1")
                .header("host", &host)
                .header("authorization", &config.token)
                .body(Full::new(Bytes::new())),
            Scenario::Uncached => Request::get(format!("/?id=1&learner={conn}&n={n}"))
                .header("host", &host)
                .header("authorization", &config.token)
                .body(Full::new(Bytes::new())),
            Scenario::Rsa | Scenario::Writes | Scenario::Room => return Ok(()),
            Scenario::Auth => Request::post("/")
                .header("host", &host)
                .header("content-type", "application/x-amz-json-1.1")
                .header("x-amz-target", "AWSCognitoIdentityProviderService.AdminInitiateAuth")
                .header("x-amz-date", "20261123T000000Z")
                .header(
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDLOADTEST/20261123/us-east-1/cognito-idp/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                     Signature=0000000000000000000000000000000000000000000000000000000000000000",
                )
                .body(Full::new(auth_body.clone())),
        }
        .map_err(|e| e.to_string())?;
        // A server that closes the connection after each answer (moto's, on HTTP/1.0) gets a
        // new one, as an SDK's connection pool would open; a server that keeps it never does.
        let sent = match sender.ready().await {
            Ok(()) => sender.send_request(request).await,
            Err(e) => Err(e),
        };
        let response = match sent {
            Ok(response) => {
                failures = 0;
                response
            }
            Err(e) => {
                failures += 1;
                if failures > 3 {
                    return Err(format!("request: {e}"));
                }
                tally.reconnects.fetch_add(1, Ordering::Relaxed);
                sender = connect(addr).await?;
                continue;
            }
        };
        let status = response.status();
        let x_cache = response.headers().get("x-cache").map(|v| v.as_bytes().to_vec());
        let body = response.into_body().collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
        let expected = match scenario {
            Scenario::Cached => status == 200 && x_cache.as_deref().is_some_and(|v| v.starts_with(b"Hit")),
            Scenario::Uncached => status == 200 && x_cache.as_deref().is_some_and(|v| v.starts_with(b"Miss")),
            Scenario::Auth => status == 200 && memchr(&body, b"IdToken"),
            Scenario::Rsa | Scenario::Writes | Scenario::Room => false,
        };
        if expected {
            tally.ok.fetch_add(1, Ordering::Relaxed);
        } else {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            let mut first = tally.first_error.lock().await;
            if first.is_none() {
                let cache = x_cache.map(|v| String::from_utf8_lossy(&v).into_owned()).unwrap_or_default();
                *first = Some(format!("{status} {cache} {}", String::from_utf8_lossy(&body[..body.len().min(200)])));
            }
        }
    }
}

fn memchr(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// RS256 signatures per second on one thread, with the primitive and key size the lab uses.
fn rsa(config: &Config) {
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::RSA_PKCS1_SHA256;
    let key = KeyPair::generate(KeySize::Rsa2048).expect("an RSA key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let message = [b'x'; 700]; // about a token's header and claims
    let mut signature = vec![0; key.public_modulus_len()];
    let started = Instant::now();
    let cpu_before = thread_cpu_secs();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < config.secs {
        key.sign(&RSA_PKCS1_SHA256, &rng, &message, &mut signature).expect("sign");
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    // Per second of this thread's CPU time: the bound compared with the server's CPU time,
    // whatever else the machine runs meanwhile.
    let cpu = thread_cpu_secs().zip(cpu_before).map(|(after, before)| after - before).filter(|c| *c > 0.0);
    let per_cpu_sec = cpu.map_or(n as f64 / secs, |cpu| n as f64 / cpu);
    println!(
        "scenario=rsa signs={n} secs={secs:.2} signs_per_sec={:.0} signs_per_cpu_sec={per_cpu_sec:.0}",
        n as f64 / secs
    );
}

/// This thread's CPU time so far (Linux's schedstat, in nanoseconds), if the system says.
fn thread_cpu_secs() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}

/// One `SignUp` request for `email`.
fn sign_up(host: &str, config: &Config, email: &str) -> Request<Full<Bytes>> {
    let mut body = serde_json::json!({ "ClientId": config.client, "Username": email, "Password": "Load-Pass1!" });
    if !config.secret.is_empty() {
        body["SecretHash"] = walab::token::secret_hash(email, &config.client, &config.secret).into();
    }
    Request::post("/")
        .header("host", host)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a request")
}

/// Sign-ups from `from` to `to` over `conns` connections; the latency of each when `conns` is 1.
async fn sign_ups(addr: SocketAddr, config: Arc<Config>, run: &str, from: u64, to: u64, conns: u64) -> Vec<f64> {
    let next = Arc::new(AtomicU64::new(from));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (next, config, run) = (next.clone(), config.clone(), run.to_string());
        tasks.push(tokio::spawn(async move {
            let host = addr.to_string();
            let mut sender = connect(addr).await.expect("connect");
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= to {
                    return latencies;
                }
                let started = Instant::now();
                sender.ready().await.expect("connection");
                let response = sender.send_request(sign_up(&host, &config, &format!("{run}-{i}@example.com"))).await;
                let response = response.expect("an answer");
                let status = response.status();
                let _ = response.into_body().collect().await;
                assert_eq!(status, 200, "sign-up {i}");
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("a writer"));
    }
    all
}

async fn writes(config: Arc<Config>) {
    let addr = config.aws.expect("WALAB_LOAD_AWS");
    // At least the 2,000 the small measurement signs up first.
    let users: u64 = env("WALAB_LOAD_USERS").parse().unwrap_or(100_000).max(2_000);
    let run = format!("w{}", std::process::id());
    let measure = |mut latencies: Vec<f64>| {
        latencies.sort_by(f64::total_cmp);
        (percentile(&latencies, 0.5), percentile(&latencies, 0.99))
    };
    sign_ups(addr, config.clone(), &run, 0, 1_000, config.conns as u64).await;
    let (small_p50, small_p99) = measure(sign_ups(addr, config.clone(), &run, 1_000, 2_000, 1).await);
    let started = Instant::now();
    sign_ups(addr, config.clone(), &run, 2_000, users, config.conns as u64).await;
    let fill_secs = started.elapsed().as_secs_f64();
    let (large_p50, large_p99) = measure(sign_ups(addr, config.clone(), &run, users, users + 1_000, 1).await);
    println!(
        "scenario=writes small_users=1000 small_p50_ms={small_p50:.3} small_p99_ms={small_p99:.3} large_users={users} \
         large_p50_ms={large_p50:.3} large_p99_ms={large_p99:.3} fill_rps={:.0}",
        (users.saturating_sub(2_000)) as f64 / fill_secs
    );
}
