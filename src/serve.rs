//! `walab serve`: the local lab as a server for other tools, until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{ServeAction, ServeArgs};
use crate::locallab::{LabInfo, LabOptions, RunningLab, ServedLab, Timing};
use crate::report::errln;

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
fn info(json: bool, show_password: bool, state_dir: Option<std::path::PathBuf>) -> ExitCode {
    let Some(dir) = state_dir.or_else(default_lab_dir) else {
        errln!("walab: error: cannot find a home directory for the lab's state; pass --state-dir DIR");
        return ExitCode::from(2);
    };
    let running = match crate::locallab::running_lab(&dir) {
        Some(info) if crate::locallab::served_lab_in(&dir) => info,
        _ => {
            errln!("walab: error: no walab serve is running on {}", dir.display());
            errln!("hint: start one with `walab serve`, or pass the --state-dir it was started with");
            return ExitCode::from(1);
        }
    };
    if json {
        crate::report::outln!("{}", serde_json::to_string(&running).unwrap_or_default());
    } else {
        crate::report::outln!("{}", summary(&running, &dir, show_password));
    }
    ExitCode::SUCCESS
}

pub async fn run(args: ServeArgs) -> ExitCode {
    if let Some(ServeAction::Info { json, show_password, state_dir }) = args.action {
        return info(json, show_password, state_dir);
    }
    let default_dir = if args.room { default_room_dir } else { default_lab_dir };
    let Some(state_dir) = args.state_dir.clone().or_else(default_dir) else {
        errln!("walab: error: cannot find a home directory for the lab's state; pass --state-dir DIR");
        return ExitCode::from(2);
    };
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
        return crate::workshop::serve::run(options, args.max_attendees, args.advertise.clone(), args.json).await;
    }
    let running = match RunningLab::start(options).await {
        Ok(running) => running,
        Err(e) => {
            errln!("walab: error: {e}");
            if matches!(e, crate::locallab::LabError::Bind { .. }) {
                errln!("hint: is another walab serve running? `--listen 127.0.0.1:0` picks free ports");
            }
            return ExitCode::from(2);
        }
    };
    // Handlers first: whoever reads the JSON line may signal at once.
    let stop = crate::signals::StopSignal::install();
    for notice in &running.notices {
        errln!("walab: warning: {notice}");
    }
    let Some(info) = running.lab.info() else {
        errln!("walab: error: the local lab has no account to serve");
        return ExitCode::from(1);
    };
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
    match running.shutdown().await {
        Ok(()) => {
            errln!("walab: lab saved in {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("walab: error: {e}");
            ExitCode::from(1)
        }
    }
}
