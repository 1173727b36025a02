//! `walab serve`: the local lab as a server for other tools, until SIGINT or SIGTERM.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::ServeArgs;
use crate::locallab::{LabOptions, RunningLab, Timing};

/// walab's data directory (`~/.local/share/walab` on Linux, or `WALAB_DATA_DIR`), where the
/// local lab lives.
pub fn default_lab_dir() -> Option<std::path::PathBuf> {
    crate::settings::Dirs::from_env().ok().map(|dirs| dirs.lab_dir())
}

/// Where `walab serve --room` keeps its room.
pub fn default_room_dir() -> Option<std::path::PathBuf> {
    crate::settings::Dirs::from_env().ok().map(|dirs| dirs.room_dir())
}

pub async fn run(args: ServeArgs) -> ExitCode {
    let default_dir = if args.room { default_room_dir } else { default_lab_dir };
    let Some(state_dir) = args.state_dir.clone().or_else(default_dir) else {
        eprintln!("walab: error: cannot find a home directory for the lab's state; pass --state-dir DIR");
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
    };
    if args.room {
        return crate::workshop::serve::run(options, args.max_attendees, args.json).await;
    }
    let running = match RunningLab::start(options).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("walab: error: {e}");
            if matches!(e, crate::locallab::LabError::Bind { .. }) {
                eprintln!("hint: is another walab serve running? `--listen 127.0.0.1:0` picks free ports");
            }
            return ExitCode::from(2);
        }
    };
    // Handlers first: whoever reads the JSON line may signal at once.
    let stop = crate::signals::StopSignal::install();
    for notice in &running.notices {
        eprintln!("walab: warning: {notice}");
    }
    let Some(info) = running.lab.info() else {
        eprintln!("walab: error: the local lab has no account to serve");
        return ExitCode::from(1);
    };
    let summary = format!(
        "walab local lab is running (state in {dir})\n\
         \n  AWS endpoint         {aws}\n  CloudFront endpoint  {cf}\n  API Gateway URL      {api}\n  \
         Region               {region}\n  User pool            {pool}\n  App client           {client}\n  \
         Demo user            {user} (password {masked}; `--json` shows it)\n\
         \nPoint the AWS CLI or an SDK at it (any credentials are accepted):\n  \
         export AWS_ENDPOINT_URL={aws}\n  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION={region}\n\
         \nThen, in that shell: walab --target aws\nStop with Ctrl-C; the lab is saved and continues next time.",
        dir = running.state_dir.display(),
        aws = info.aws_endpoint_url,
        cf = info.cloudfront_endpoint,
        api = info.api_gateway_url,
        region = info.region,
        pool = info.user_pool_id,
        client = info.app_client_id,
        user = info.demo_user.username,
        masked = info.demo_user.password.masked(),
    );
    if args.json {
        let line = serde_json::to_string(&info).unwrap_or_default();
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }

    stop.wait().await;
    eprintln!("walab: stopping the local lab");
    let dir = running.state_dir.clone();
    match running.shutdown().await {
        Ok(()) => {
            eprintln!("walab: lab saved in {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("walab: error: {e}");
            ExitCode::from(1)
        }
    }
}
