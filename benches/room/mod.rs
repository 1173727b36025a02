//! The load bench's `room` scenario: a workshop on a `walab serve --room` (`WALAB_LOAD_AWS`,
//! `WALAB_LOAD_CODE`). `WALAB_LOAD_ATTENDEES` (default 500) join, one after another (join
//! latency); then `WALAB_LOAD_ACTIVE` (default 50) of them run the lab loop at once for
//! `WALAB_LOAD_SECS`, each with its own credentials: a SigV4-signed `AdminInitiateAuth`, the
//! edge without and with the token, and then, as a joined walab does after showing check
//! results, a signed report of the three checks those requests answer (`id-token`,
//! `unauthenticated-401`, `authenticated-200`), judged by walab's own judgements and sent by
//! walab's own `Reporter`. Meanwhile the instructor's dashboard asks for the room's snapshot
//! every second, as `walab room` does (`GET /_walab/room` with `WALAB_LOAD_ROOM_KEY`, through
//! walab's own client); for each report, the bench measures the delay from sending it to the
//! first snapshot that shows it (or a later report of the same attendee). Each report's
//! summaries end with ` · pass N`, so that one report can be told from the next.
//!
//! Output: one line, `scenario=room attendees=… join_p50_ms=… edge_p99_ms=… reports=…
//! report_p50_ms=… report_p99_ms=… report_max_ms=… report_unseen=… snapshot_p50_ms=…`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;

use walab::attendee::ReportingIdentity;
use walab::attendee::report::Reporter;
use walab::checks::{Evidence, Report, judge};
use walab::guide::{CheckId, Guide};
use walab::locallab::machinery::sigv4::{Expected, sign_headers};
use walab::probe::{ProbeResponse, ResponseHeaders};
use walab::secret::Secret;
use walab::workshop::client::{self, RoomAccess};

use super::Config;
use super::shared::{connect, env, percentile};

/// How long the instructor's side keeps watching for reports after the loops stop.
const DRAIN: Duration = Duration::from_secs(5);

/// What the room gave one attendee.
#[derive(Clone)]
struct Attendee {
    account_id: String,
    key: String,
    secret: Secret,
    edge: SocketAddr,
    edge_path: String,
    pool: String,
    client: String,
    user: String,
    password: String,
}

/// When each attendee sent each report: account id → the instants, pass 1 first.
type Sent = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

async fn join(addr: SocketAddr, code: &str, name: &str) -> Result<Attendee, String> {
    let mut sender = connect(addr).await?;
    let body = serde_json::json!({ "code": code, "name": name }).to_string();
    let request = Request::post("/_walab/room/join")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    if status != 200 {
        return Err(format!("join {status}: {}", String::from_utf8_lossy(&body)));
    }
    let info: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let s = |k: &str| info[k].as_str().unwrap_or_default().to_string();
    let edge_url = s("cloudfront_endpoint");
    let rest = edge_url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    // The endpoint as joined; the load generator may only reach loopback.
    let edge: SocketAddr = host.parse().map_err(|e| format!("{host}: {e}"))?;
    Ok(Attendee {
        account_id: s("account_id"),
        key: s("access_key_id"),
        secret: Secret::new(s("secret_access_key")),
        edge,
        edge_path: format!("/{path}"),
        pool: s("user_pool_id"),
        client: s("app_client_id"),
        user: info["demo_user"]["username"].as_str().unwrap_or_default().to_string(),
        password: info["demo_user"]["password"].as_str().unwrap_or_default().to_string(),
    })
}

/// A Cognito call (`target`, JSON 1.1) signed with the attendee's credentials by walab's own
/// SigV4 signer (the one a joined walab signs its reports with).
fn signed_cognito(addr: SocketAddr, a: &Attendee, target: &str, body: String) -> Result<Request<Full<Bytes>>, String> {
    let host = addr.to_string();
    let scope = Expected { service: "cognito-idp", region: "us-east-1" };
    let key = (a.key.as_str(), &a.secret);
    let signed = sign_headers("POST", &format!("http://{host}/"), body.as_bytes(), key, scope, walab::clock::now_ms())
        .ok_or("the request cannot be signed")?;
    let mut request = Request::post("/")
        .header("host", &host)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{target}"));
    for (name, value) in signed {
        request = request.header(name, value);
    }
    request.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())
}

/// `AdminInitiateAuth` for the attendee's demo user.
fn signed_sign_in(addr: SocketAddr, a: &Attendee, client_secret: &str) -> Result<Request<Full<Bytes>>, String> {
    let mut params = serde_json::json!({ "USERNAME": a.user, "PASSWORD": a.password });
    if !client_secret.is_empty() {
        params["SECRET_HASH"] = walab::token::secret_hash(&a.user, &a.client, client_secret).into();
    }
    let body = serde_json::json!({
        "AuthFlow": "ADMIN_NO_SRP_AUTH", "ClientId": a.client, "UserPoolId": a.pool, "AuthParameters": params,
    });
    signed_cognito(addr, a, "AdminInitiateAuth", body.to_string())
}

/// The attendee's app client secret, read as the lab's tools read it.
async fn client_secret(addr: SocketAddr, a: &Attendee) -> Result<String, String> {
    let body = serde_json::json!({ "UserPoolId": a.pool, "ClientId": a.client }).to_string();
    let request = signed_cognito(addr, a, "DescribeUserPoolClient", body)?;
    let mut sender = connect(addr).await?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    Ok(value["UserPoolClient"]["ClientSecret"].as_str().unwrap_or_default().to_string())
}

/// An edge answer as walab's probe reads it, for walab's judgements.
async fn probe_answer(
    response: hyper::Response<hyper::body::Incoming>,
    started: Instant,
    token: bool,
) -> ProbeResponse {
    let status = response.status();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
    let headers = ResponseHeaders {
        x_cache: header("x-cache"),
        x_amzn_error_type: header("x-amzn-errortype"),
        content_type: header("content-type"),
        ..ResponseHeaders::default()
    };
    let body = response.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    ProbeResponse {
        url: String::new(),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or_default().to_string(),
        latency: started.elapsed(),
        headers,
        content_length: Some(body.len() as u64),
        body,
        body_cut: None,
        token_sent: token,
    }
}

/// The three checks one pass of the loop answers, as walab judges them, marked with the pass.
fn reports(
    guide: &Guide,
    pass: usize,
    user: &str,
    anonymous: &ProbeResponse,
    with_token: &ProbeResponse,
) -> Vec<Report> {
    let outcomes = [
        (CheckId::IdToken, judge::id_token(user, 3600, Evidence::None)),
        (CheckId::Unauthenticated401, judge::unauthenticated_401(anonymous)),
        (CheckId::Authenticated200, judge::authenticated_200(with_token)),
    ];
    outcomes
        .into_iter()
        .map(|(id, mut outcome)| {
            outcome.summary = format!("{} · pass {pass}", outcome.summary);
            Report { id, step: id.step(), title: guide.check_text(id).title.clone(), outcome, duration_ms: 1 }
        })
        .collect()
}

/// The pass a summary was reported in (` · pass N` at its end).
fn pass_of(summary: &str) -> Option<usize> {
    summary.rsplit_once(" · pass ").and_then(|(_, n)| n.trim().parse().ok())
}

/// What the instructor's side saw.
#[derive(Default)]
struct Watched {
    /// From sending a report to the first snapshot showing it, in ms.
    delays: Vec<f64>,
    /// Each snapshot's round trip, in ms.
    fetches: Vec<f64>,
    errors: u64,
}

/// The dashboard's loop: a snapshot every second; each report counted once a snapshot shows it
/// or a later one. Stops `DRAIN` after `stop`, or sooner once every report sent was shown.
async fn watch(access: RoomAccess, sent: Sent, stop: Arc<AtomicBool>) -> Watched {
    let http = client::client();
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut counted: HashMap<String, usize> = HashMap::new();
    let mut watched = Watched::default();
    let mut stopped_at: Option<Instant> = None;
    loop {
        every.tick().await;
        let started = Instant::now();
        match client::snapshot(&http, &access).await {
            Ok(snapshot) => {
                let got = Instant::now();
                watched.fetches.push((got - started).as_secs_f64() * 1000.0);
                let sent = sent.lock().unwrap_or_else(|e| e.into_inner());
                for a in snapshot.attendees {
                    let Some(times) = sent.get(&a.account_id) else { continue };
                    let summaries = a.summaries.values().chain(a.stuck.iter().map(|s| &s.summary));
                    let Some(shown) = summaries.filter_map(|s| pass_of(s)).max() else { continue };
                    let done = counted.entry(a.account_id).or_default();
                    let upto = shown.min(times.len());
                    for at in times.iter().take(upto).skip(*done) {
                        watched.delays.push(got.saturating_duration_since(*at).as_secs_f64() * 1000.0);
                    }
                    *done = (*done).max(upto);
                }
            }
            Err(_) => watched.errors += 1,
        }
        if stop.load(Ordering::Relaxed) {
            let since = *stopped_at.get_or_insert_with(Instant::now);
            let total: usize = sent.lock().unwrap_or_else(|e| e.into_inner()).values().map(Vec::len).sum();
            if watched.delays.len() >= total || since.elapsed() >= DRAIN {
                return watched;
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    sign_ins: AtomicU64,
    errors: AtomicU64,
    report_errors: AtomicU64,
    edge: Mutex<Vec<f64>>,
    posts: Mutex<Vec<f64>>,
}

/// One attendee's lab loop until `deadline`, reporting after each pass.
async fn lab_loop(
    addr: SocketAddr,
    a: Attendee,
    deadline: Instant,
    sent: Sent,
    tally: Arc<Tally>,
    pending: std::path::PathBuf,
) {
    let Ok(guide) = Guide::load() else { return };
    let identity = ReportingIdentity {
        server: format!("http://{addr}"),
        name: a.account_id.clone(),
        access_key_id: a.key.clone(),
        secret_access_key: a.secret.clone(),
    };
    let reporter = Reporter::new(identity, pending);
    let secret = client_secret(addr, &a).await.unwrap_or_default();
    let Ok(mut aws) = connect(addr).await else { return };
    let Ok(mut edge) = connect(a.edge).await else { return };
    let (mut edge_ms, mut post_ms) = (Vec::new(), Vec::new());
    while Instant::now() < deadline {
        let Ok(request) = signed_sign_in(addr, &a, &secret) else { return };
        let token = match aws.send_request(request).await {
            Ok(response) if response.status() == 200 => {
                let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                tally.sign_ins.fetch_add(1, Ordering::Relaxed);
                value["AuthenticationResult"]["IdToken"].as_str().unwrap_or_default().to_string()
            }
            _ => {
                tally.errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let mut answers = Vec::new();
        for with_token in [false, true] {
            let mut request = Request::get(format!("{}?id=1", a.edge_path)).header("host", a.edge.to_string());
            if with_token {
                request = request.header("authorization", &token);
            }
            let Ok(request) = request.body(Full::new(Bytes::new())) else { return };
            let t = Instant::now();
            match edge.send_request(request).await {
                Ok(response) => {
                    answers.push(probe_answer(response, t, with_token).await);
                    edge_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                Err(_) => {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    let Ok(fresh) = connect(a.edge).await else { return };
                    edge = fresh;
                }
            }
        }
        let [anonymous, with_token] = answers.as_slice() else { continue };
        let pass = {
            let mut sent = sent.lock().unwrap_or_else(|e| e.into_inner());
            let times = sent.entry(a.account_id.clone()).or_default();
            times.push(Instant::now());
            times.len()
        };
        let t = Instant::now();
        if reporter.send(&reports(&guide, pass, &a.user, anonymous, with_token)).await.is_err() {
            tally.report_errors.fetch_add(1, Ordering::Relaxed);
        }
        post_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    tally.edge.lock().unwrap_or_else(|e| e.into_inner()).extend(edge_ms);
    tally.posts.lock().unwrap_or_else(|e| e.into_inner()).extend(post_ms);
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

pub async fn run(config: Arc<Config>) {
    let addr = config.aws.expect("WALAB_LOAD_AWS");
    let code = env("WALAB_LOAD_CODE");
    let attendees: usize = env("WALAB_LOAD_ATTENDEES").parse().unwrap_or(500);
    let active: usize = env("WALAB_LOAD_ACTIVE").parse().unwrap_or(50).min(attendees);
    let instructor_key = env("WALAB_LOAD_ROOM_KEY");
    let mut joined = Vec::new();
    let mut latencies = Vec::new();
    let started = Instant::now();
    for i in 0..attendees {
        let t = Instant::now();
        joined.push(join(addr, &code, &format!("Attendee {i}")).await.expect("join"));
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let join_secs = started.elapsed().as_secs_f64();
    let latencies = sorted(latencies);

    let sent: Sent = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = (!instructor_key.is_empty()).then(|| {
        let access = RoomAccess { server: format!("http://{addr}"), key: Secret::new(instructor_key) };
        tokio::spawn(watch(access, sent.clone(), stop.clone()))
    });
    let pending = std::env::temp_dir().join(format!("walab-load-room-{}", std::process::id()));
    std::fs::create_dir_all(&pending).expect("a directory for reports kept for later");
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs_f64(config.secs);
    let mut tasks = Vec::new();
    for (i, a) in joined.into_iter().take(active).enumerate() {
        let kept = pending.join(format!("{i}.json"));
        tasks.push(tokio::spawn(lab_loop(addr, a, deadline, sent.clone(), tally.clone(), kept)));
    }
    for task in tasks {
        let _ = task.await;
    }
    stop.store(true, Ordering::Relaxed);
    let watched = match watcher {
        Some(task) => task.await.unwrap_or_default(),
        None => Watched::default(),
    };
    let _ = std::fs::remove_dir_all(&pending);
    let reports: usize = sent.lock().unwrap_or_else(|e| e.into_inner()).values().map(Vec::len).sum();
    let edge = sorted(std::mem::take(&mut *tally.edge.lock().unwrap_or_else(|e| e.into_inner())));
    let posts = sorted(std::mem::take(&mut *tally.posts.lock().unwrap_or_else(|e| e.into_inner())));
    let (delays, fetches) = (sorted(watched.delays), sorted(watched.fetches));
    let sign_ins = tally.sign_ins.load(Ordering::Relaxed);
    println!(
        "scenario=room attendees={attendees} join_secs={join_secs:.2} join_p50_ms={:.1} join_p99_ms={:.1} \
         active={active} secs={:.1} sign_ins={sign_ins} sign_in_rps={:.0} edge_requests={} edge_p50_ms={:.2} \
         edge_p99_ms={:.2} errors={} reports={reports} report_errors={} report_post_p50_ms={:.1} \
         report_post_p99_ms={:.1} reports_shown={} report_unseen={} report_p50_ms={:.0} report_p99_ms={:.0} \
         report_max_ms={:.0} snapshots={} snapshot_errors={} snapshot_p50_ms={:.0} snapshot_max_ms={:.0}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        config.secs,
        sign_ins as f64 / config.secs,
        edge.len(),
        percentile(&edge, 0.5),
        percentile(&edge, 0.99),
        tally.errors.load(Ordering::Relaxed),
        tally.report_errors.load(Ordering::Relaxed),
        percentile(&posts, 0.5),
        percentile(&posts, 0.99),
        delays.len(),
        reports.saturating_sub(delays.len()),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0.0),
        fetches.len(),
        watched.errors,
        percentile(&fetches, 0.5),
        fetches.last().copied().unwrap_or(0.0),
    );
}
