//! `walab serve --room`: a room for a whole workshop, until SIGINT or SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use serde_json::json;

use super::{RUNNING_ROOM_FILE, RunningRoom};
use crate::locallab::{LabOptions, RoomOptions, RunningLab};
use crate::report::{errln, fail};

pub async fn run(mut options: LabOptions, max_attendees: usize, json_line: bool) -> ExitCode {
    let default_dir = crate::settings::Dirs::from_env().is_ok_and(|d| d.room_dir() == options.state_dir);
    options.room = Some(RoomOptions { max_attendees, keys_ahead: 32, signing_keys: Vec::new() });
    let running = match RunningLab::start(options).await {
        Ok(running) => running,
        Err(e) => {
            let hint = matches!(e, crate::locallab::LabError::Bind { .. })
                .then(|| "is another walab serve running? `--listen 127.0.0.1:0` picks free ports".to_string());
            return fail(2, e, hint);
        }
    };
    let stop = crate::signals::StopSignal::install();
    let Some(room) = &running.lab.room else { return fail(1, "the room did not start", None) };
    let endpoints = running.lab.endpoints;
    let keys = &room.keys;
    let record = RunningRoom {
        aws_endpoint_url: endpoints.aws_endpoint_url(),
        code: keys.code.clone(),
        instructor_key: keys.instructor_key.clone(),
    };
    let record_path = running.state_dir.join(RUNNING_ROOM_FILE);
    if let Err(e) = crate::fsutil::write_private(&record_path, &serde_json::to_vec(&record).unwrap_or_default()) {
        tracing::warn!("could not record the room for `walab room`: {e}");
    }
    for notice in &running.notices {
        errln!("walab: warning: {notice}");
    }
    let addresses = reachable(endpoints.aws);
    let joins: Vec<String> = addresses
        .iter()
        .map(|ip| {
            let addr = SocketAddr::new(*ip, endpoints.aws.port());
            format!("  walab join http://{addr} --code {} --name \"Your Name\"", keys.code.expose())
        })
        .collect();
    let exposed = !endpoints.aws.ip().is_loopback();
    let summary = format!(
        "walab room is open (state in {dir}), for up to {max_attendees} attendees\n\
         \nAttendees join with one command:\n{joins}\n\
         {reach}\
         \nWatch everyone's progress on this machine with: walab room{state_flag}\n\
         From another machine: walab room --server {aws} --key {key} (the key is in {record})\n\
         Stop with Ctrl-C; the room and every account are kept and continue next time.",
        dir = running.state_dir.display(),
        joins = joins.join("\n"),
        reach = if exposed {
            "\nThe room listens beyond this machine: anyone on the network who has the code can join.\n".to_string()
        } else {
            "\nOnly this machine can reach the room; for attendees on other machines start it with \
             --listen 0.0.0.0:4566 (anyone on the network with the code can then join).\n"
                .to_string()
        },
        aws = endpoints.aws_endpoint_url(),
        key = keys.instructor_key.masked(),
        record = record_path.display(),
        state_flag = if default_dir { String::new() } else { format!(" --state-dir {}", running.state_dir.display()) },
    );
    let line = json_line.then(|| {
        json!({
            "aws_endpoint_url": endpoints.aws_endpoint_url(),
            "cloudfront_endpoint": format!("http://{}", endpoints.edge),
            "api_gateway_url": format!("http://{}", endpoints.invoke),
            "region": crate::names::REGION,
            "room": { "code": keys.code.expose(), "instructor_key": keys.instructor_key.expose() },
        })
        .to_string()
    });
    crate::report::announce_listening(line.as_deref(), &summary);
    stop.wait().await;
    errln!("walab: closing the room");
    let _ = std::fs::remove_file(&record_path);
    let dir = running.state_dir.clone();
    match running.shutdown().await {
        Ok(()) => {
            errln!("walab: room saved in {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e, None),
    }
}

/// The addresses attendees can use: the one bound, or, bound to every interface, this
/// machine's address on the network it would route to (found without sending anything) and
/// loopback.
fn reachable(bound: SocketAddr) -> Vec<IpAddr> {
    if !bound.ip().is_unspecified() {
        return vec![bound.ip()];
    }
    let mut found = Vec::new();
    // Connecting a UDP socket picks the outgoing interface; no packet is sent.
    if let Ok(socket) = std::net::UdpSocket::bind("0.0.0.0:0")
        && socket.connect("192.0.2.1:9").is_ok()
        && let Ok(local) = socket.local_addr()
        && !local.ip().is_unspecified()
    {
        found.push(local.ip());
    }
    found.push(IpAddr::from([127, 0, 0, 1]));
    found
}
