//! `walab serve`: the local lab as a server for other tools, until SIGINT or SIGTERM; with
//! `--room`, a room for a whole workshop. A room's first screen says where attendees reach it
//! (every address of this machine they can use, never 0.0.0.0), which three ports must be open
//! to them, the exact `walab join` line, and what is protected.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use crate::cli::{ServeAction, ServeArgs};
use crate::locallab::{Endpoints, LabInfo, LabOptions, RoomOptions, RunningLab, ServedLab, Timing};
use crate::report::{Failure, errln};
use crate::workshop::{RUNNING_ROOM_FILE, RegisteredRoom, RunningRoom};

/// walab's data directory (`~/.local/share/walab` on Linux, or `WALAB_DATA_DIR`), where the
/// local lab lives.
pub fn default_lab_dir() -> Option<std::path::PathBuf> {
    crate::settings::Dirs::from_env().ok().map(|dirs| dirs.lab_dir())
}

/// Where `walab serve --room` keeps its room.
pub fn default_room_dir() -> Option<std::path::PathBuf> {
    crate::settings::Dirs::from_env().ok().map(|dirs| dirs.room_dir())
}

/// What a user reads about a lab: where it is, and the lines to point the AWS CLI at it.
fn summary(info: &LabInfo, state_dir: &std::path::Path, show_password: bool) -> String {
    let password = if show_password {
        info.demo_user.password.expose().to_string()
    } else {
        format!("{}; --show-password or `--json` shows it", info.demo_user.password.masked())
    };
    format!(
        "walab local lab (state in {dir})\n\
         \n  AWS endpoint         {aws}\n  CloudFront endpoint  {cf}\n  API Gateway URL      {api}\n  \
         Region               {region}\n  User pool            {pool}\n  App client           {client}\n  \
         Demo user            {user} (password {password})\n  \
         Outbox               {aws}/_walab/outbox (the confirmation emails, with their links)\n\
         \nPoint the AWS CLI or an SDK at it (any credentials are accepted):\n  \
         export AWS_ENDPOINT_URL={aws_quoted}\n  \
         export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION={region_quoted} AWS_DEFAULT_REGION={region_quoted}\n\
         \nThen, in that shell: walab --target aws",
        dir = state_dir.display(),
        aws = info.aws_endpoint_url,
        cf = info.cloudfront_endpoint,
        api = info.api_gateway_url,
        region = info.region,
        pool = info.user_pool_id,
        client = info.app_client_id,
        user = info.demo_user.username,
        aws_quoted = quoted(&info.aws_endpoint_url),
        region_quoted = quoted(&info.region),
    )
}

/// `value` as one shell word (a value no shell can hold becomes an empty word).
fn quoted(value: &str) -> String {
    shlex::try_quote(value).map(|q| q.into_owned()).unwrap_or_else(|_| "''".into())
}

/// `walab serve info`: the running lab, read from its state directory while it runs.
fn info(json: bool, show_password: bool, state_dir: Option<std::path::PathBuf>) -> Result<ExitCode, Failure> {
    let dir = state_dir.or_else(default_lab_dir).ok_or_else(no_home)?;
    let running = match crate::locallab::running_lab(&dir) {
        Some(info) if crate::locallab::served_lab_in(&dir) => info,
        _ => {
            return Err(Failure::failed(format!("no walab serve is running on {}", dir.display()))
                .hint("start one with `walab serve`, or pass the --state-dir it was started with"));
        }
    };
    if json {
        crate::report::outln!("{}", serde_json::to_string(&running).unwrap_or_default());
    } else {
        crate::report::outln!("{}", summary(&running, &dir, show_password));
    }
    Ok(ExitCode::SUCCESS)
}

fn no_home() -> Failure {
    Failure::usage("cannot find a home directory for the lab's state; pass --state-dir DIR")
}

/// The lab could not start; a port in use is the usual reason.
fn not_started(e: crate::locallab::LabError) -> Failure {
    let hint = matches!(e, crate::locallab::LabError::Bind { .. })
        .then(|| "is another walab serve running? `--listen 127.0.0.1:0` picks free ports".to_string());
    Failure::usage(e).maybe_hint(hint)
}

pub async fn run(args: ServeArgs) -> Result<ExitCode, Failure> {
    if let Some(ServeAction::Info { json, show_password, state_dir }) = args.action {
        return info(json, show_password, state_dir);
    }
    let default_dir = if args.room { default_room_dir } else { default_lab_dir };
    let state_dir = args.state_dir.clone().or_else(default_dir).ok_or_else(no_home)?;
    let options = LabOptions {
        state_dir,
        fresh: args.fresh,
        listen: args.listen,
        timing: Timing {
            invalidation: Duration::from_secs(args.invalidation_secs),
            deploy: Duration::from_secs(args.deploy_secs),
        },
        signing_key: None,
        room: None,
        reuse_ports: false,
        connections: None,
    };
    if args.room {
        return serve_room(options, args.max_attendees, args.advertise.clone(), args.json).await;
    }
    let running = RunningLab::start(options).await.map_err(not_started)?;
    // Handlers first: whoever reads the JSON line may signal at once.
    let stop = crate::signals::StopSignal::install();
    for notice in &running.notices {
        errln!("walab: warning: {notice}");
    }
    let info = running.lab.info().ok_or_else(|| Failure::failed("the local lab has no account to serve"))?;
    let summary = format!(
        "{}\nStop with Ctrl-C; the lab is saved and continues next time. `walab serve info` shows this again.",
        summary(&info, &running.state_dir, args.show_password)
    );
    let data_dir = crate::settings::Dirs::from_env().ok().map(|dirs| dirs.data);
    if let Some(data) = &data_dir {
        let served =
            ServedLab { aws_endpoint_url: info.aws_endpoint_url.clone(), state_dir: running.state_dir.clone() };
        crate::locallab::register_served(data, &served);
    }
    let line = args.json.then(|| serde_json::to_string(&info).unwrap_or_default());
    crate::report::announce_listening(line.as_deref(), &summary);

    stop.wait().await;
    errln!("walab: stopping the local lab");
    if let Some(data) = &data_dir
        && crate::locallab::served_lab(data).is_some_and(|s| s.state_dir == running.state_dir)
    {
        crate::locallab::unregister_served(data);
    }
    let dir = running.state_dir.clone();
    running.shutdown().await.map_err(Failure::failed)?;
    errln!("walab: lab saved in {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `walab serve --room`.
async fn serve_room(
    mut options: LabOptions,
    max_attendees: usize,
    advertise: Option<String>,
    json_line: bool,
) -> Result<ExitCode, Failure> {
    let default_dir = crate::settings::Dirs::from_env().is_ok_and(|d| d.room_dir() == options.state_dir);
    options.room = Some(RoomOptions { max_attendees, keys_ahead: 32, signing_keys: Vec::new(), advertise });
    let running = RunningLab::start(options).await.map_err(not_started)?;
    let stop = crate::signals::StopSignal::install();
    let room = running.lab.room.as_ref().ok_or_else(|| Failure::failed("the room did not start"))?;
    let endpoints = running.lab.endpoints;
    let keys = &room.keys;
    let public_url = room.aws_endpoint_url(&endpoints);
    let local_url = local_url(&endpoints);
    let record = RunningRoom {
        aws_endpoint_url: local_url.clone(),
        code: keys.code.clone(),
        instructor_key: keys.instructor_key.clone(),
    };
    let record_path = running.state_dir.join(RUNNING_ROOM_FILE);
    if let Err(e) = crate::fsutil::write_private(&record_path, &serde_json::to_vec(&record).unwrap_or_default()) {
        tracing::warn!("could not record the room for `walab room`: {e}");
    }
    let dirs = crate::settings::Dirs::from_env().ok();
    let state_dir = running.state_dir.canonicalize().unwrap_or_else(|_| running.state_dir.clone());
    if let Some(dirs) = &dirs {
        let entry = RegisteredRoom {
            local_url,
            state_dir: state_dir.clone(),
            key_file: state_dir.join(RUNNING_ROOM_FILE),
            pid: std::process::id(),
        };
        if let Err(e) = crate::workshop::register(dirs, &entry) {
            tracing::warn!("could not register the room for `walab room`: {e}");
        }
    }
    for notice in &running.notices {
        // The generic "no real security" notice of a lab is not what a room is (it verifies
        // signatures); the first screen says what is and is not protected instead.
        if !notice.contains("no real security") {
            errln!("walab: warning: {notice}");
        }
    }
    let summary = first_screen(&FirstScreen {
        endpoints,
        public_url: &public_url,
        addresses: &addresses(&endpoints, room.host.as_str()),
        code: keys.code.expose(),
        max_attendees,
        state_dir: &running.state_dir,
        record: &record_path,
        state_flag: if default_dir { String::new() } else { format!(" --state-dir {}", running.state_dir.display()) },
    });
    let line = json_line.then(|| {
        json!({
            "aws_endpoint_url": public_url,
            "cloudfront_endpoint": endpoints.account_urls(&room.host, "").edge.trim_end_matches('/'),
            "api_gateway_url": endpoints.account_urls(&room.host, "").invoke.trim_end_matches('/'),
            "region": crate::names::REGION,
            "room": { "code": keys.code.expose(), "instructor_key": keys.instructor_key.expose() },
        })
        .to_string()
    });
    crate::report::announce_listening(line.as_deref(), &summary);
    stop.wait().await;
    errln!("walab: closing the room");
    let _ = std::fs::remove_file(&record_path);
    if let Some(dirs) = &dirs {
        crate::workshop::unregister(dirs, &state_dir);
    }
    let dir = running.state_dir.clone();
    running.shutdown().await.map_err(Failure::failed)?;
    errln!("walab: room saved in {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// Where this machine reaches the room (loopback when it listens on every interface).
fn local_url(endpoints: &Endpoints) -> String {
    let ip = endpoints.aws.ip();
    let ip = if ip.is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { ip };
    format!("http://{}", SocketAddr::new(ip, endpoints.aws.port()))
}

/// The hosts attendees can use: the advertised or bound one first, then, bound to every
/// interface, every other non-loopback address of this machine.
fn addresses(endpoints: &Endpoints, host: &str) -> Vec<String> {
    let mut hosts = vec![host.to_string()];
    if endpoints.aws.ip().is_unspecified() {
        for ip in crate::locallab::machinery::addresses::reachable() {
            let ip = ip.to_string();
            if !hosts.contains(&ip) {
                hosts.push(ip);
            }
        }
    }
    hosts
}

struct FirstScreen<'a> {
    endpoints: Endpoints,
    public_url: &'a str,
    addresses: &'a [String],
    code: &'a str,
    max_attendees: usize,
    state_dir: &'a std::path::Path,
    record: &'a std::path::Path,
    state_flag: String,
}

fn first_screen(s: &FirstScreen) -> String {
    let e = &s.endpoints;
    let url_host = |h: &str| if h.contains(':') { format!("[{h}]") } else { h.to_string() };
    let joins: Vec<String> = s
        .addresses
        .iter()
        .map(|host| {
            format!("  walab join http://{}:{} --code {} --name \"Your Name\"", url_host(host), e.aws.port(), s.code)
        })
        .collect();
    let loopback_only = e.aws.ip().is_loopback();
    let reach = if loopback_only {
        "Only this machine can reach the room. For attendees on other machines start it with \
         --listen 0.0.0.0:4566 (and --advertise HOST if they reach this machine by another address)."
            .to_string()
    } else {
        format!(
            "Attendees' machines must reach these three TCP ports on this machine (open them in its firewall):\n  \
             {} AWS endpoint (joining, Cognito, CloudFormation, API Gateway, CloudFront APIs)\n  \
             {} CloudFront edge (each account's CloudFrontEndpoint)\n  \
             {} API Gateway invoke URL (each account's APIGatewayURL)",
            e.aws.port(),
            e.edge.port(),
            e.invoke.port()
        )
    };
    format!(
        "walab room is open at {public} (state in {dir}), for up to {max} attendees\n\
         \nAttendees join with one command (the first address that works from their machine):\n{joins}\n\
         \n{reach}\n\
         \nWhat is protected: the code is the only way in (wrong codes are throttled per address), \
         and every AWS call is checked against the signature of the attendee's own key, so no one \
         reaches another's account or mail. What is not: the room speaks plain HTTP, so anyone on \
         the network can read the traffic, keys included: run it on a network you trust.\n\
         \nWatch everyone's progress on this machine with: walab room{flag}\n\
         From another machine: WALAB_ROOM_KEY=… walab room --server {public} (the key is in {record})\n\
         Move an attendee to a new laptop: walab room reissue \"Their Name\"\n\
         Stop with Ctrl-C; the room and every account are kept and continue next time.",
        public = s.public_url,
        dir = s.state_dir.display(),
        max = s.max_attendees,
        joins = joins.join("\n"),
        flag = s.state_flag,
        record = s.record.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_screen_never_offers_an_unspecified_address_and_names_the_three_ports() {
        let at = |port: u16| SocketAddr::from(([0, 0, 0, 0], port));
        let endpoints = Endpoints { aws: at(4566), edge: at(4567), invoke: at(4568) };
        let addresses = vec!["192.168.1.20".to_string(), "10.0.0.7".to_string()];
        let text = first_screen(&FirstScreen {
            endpoints,
            public_url: "http://192.168.1.20:4566",
            addresses: &addresses,
            code: "ABCD-EFGH",
            max_attendees: 30,
            state_dir: std::path::Path::new("/tmp/room"),
            record: std::path::Path::new("/tmp/room/room.json"),
            state_flag: String::new(),
        });
        assert!(!text.contains("0.0.0.0"), "{text}");
        assert!(text.contains("walab join http://192.168.1.20:4566 --code ABCD-EFGH --name \"Your Name\""), "{text}");
        assert!(text.contains("walab join http://10.0.0.7:4566"), "{text}");
        for port in ["4566", "4567", "4568"] {
            assert!(text.contains(&format!("  {port} ")), "{port}: {text}");
        }
        assert!(text.contains("plain HTTP") && text.contains("signature"), "{text}");
        assert_eq!(local_url(&endpoints), "http://127.0.0.1:4566");
    }
}
