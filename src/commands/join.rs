//! `walab join SERVER --code CODE --name NAME`: asks the room for an account (the same one again
//! when this machine joined under that name before, its key signing the request), records it
//! as target `room`, says how to use it from a shell, and opens the walkthrough on it (or, with
//! `--json`, prints the account and exits).

use std::process::ExitCode;

use crate::attendee::{JoinedRoom, exports};
use crate::cli::JoinArgs;
use crate::report::{Failure, errln};
use crate::settings::Dirs;
use crate::workshop::client::{JoinError, request};

pub async fn run(args: JoinArgs, theme: crate::tui::ThemeName, mouse: bool) -> Result<ExitCode, Failure> {
    let dirs = Dirs::from_env()?;
    // A key from an earlier join signs this one: the same laptop gets its account back.
    let held = crate::attendee::read(&dirs);
    if args.report_only {
        return report_only(&args, &dirs, held.as_ref()).await;
    }
    let info = request(&args.server, &args.code, &args.name, held.as_ref()).await.map_err(not_joined)?;
    let room = JoinedRoom { server: args.server.trim_end_matches('/').to_string(), info };
    let shown = exports(&room.info, true)
        .map_err(|e| Failure::failed(format!("the room sent a value walab will not put in a shell file: {e}")))?;
    crate::attendee::write(&dirs, &room).map_err(|e| Failure::usage(format!("cannot record the room: {e}")))?;
    let info = &room.info;
    if args.json {
        crate::report::outln!("{}", serde_json::to_string(info).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    let outbox = crate::attendee::outbox_link(&room)
        .map(|link| {
            format!(
                "\nYour account's outbox (confirmation emails; the link is yours, works for {} hours):\n  {link}\n",
                crate::attendee::OUTBOX_LINK_SECS / 3600
            )
        })
        .unwrap_or_default();
    errln!(
        "Joined the room as {} (account {}).\n\nTo use the AWS CLI or an SDK in a shell, source the credentials the room issued you:\n  source {}\nwhich sets:\n{shown}\nwalab uses this account with --target room (e.g. walab --target room check).\n{outbox}",
        info.name,
        info.account_id,
        crate::attendee::env_file(&dirs).display(),
    );
    let target = crate::target::TargetArgs {
        target: crate::target::TargetKind::Room,
        profile: None,
        region: None,
        stack: crate::names::EDGE_STACK.to_string(),
        api_stack: crate::names::API_STACK.to_string(),
    };
    super::walkthrough::run(&target, theme, mouse).await
}

/// Why the room gave no account: a refusal is the code or the name (exit code 2), anything
/// else the network or the room (1).
fn not_joined(e: JoinError) -> Failure {
    match e {
        JoinError::Refused(_) => Failure::usage(e).hint("check the code and the name with your instructor"),
        JoinError::Unreachable { .. } => {
            Failure::failed(e).hint("check the address your instructor gave, and that you are on the same network")
        }
        JoinError::Unexpected(_) => Failure::failed(e),
    }
}

/// `walab join --report-only`: a key to report progress with; the attendee keeps their target.
async fn report_only(args: &JoinArgs, dirs: &Dirs, held: Option<&JoinedRoom>) -> Result<ExitCode, Failure> {
    let identity = crate::workshop::client::request_report_only(&args.server, &args.code, &args.name, held)
        .await
        .map_err(not_joined)?;
    crate::attendee::write_reporting(dirs, &identity)
        .map_err(|e| Failure::usage(format!("cannot record the room: {e}")))?;
    if args.json {
        let shown = serde_json::json!({
            "name": identity.name,
            "report_only": true,
            "access_key_id": identity.access_key_id,
            "secret_access_key": identity.secret_access_key.expose(),
        });
        crate::report::outln!("{shown}");
        return Ok(ExitCode::SUCCESS);
    }
    errln!(
        "Joined the room as {} to report your progress; the room keeps no lab for you.\n\nDo the lab on your own AWS account as usual (e.g. walab --target aws, or walab --target aws check):\nevery check walab runs for you is reported to your instructor, in the words walab shows you.",
        identity.name
    );
    Ok(ExitCode::SUCCESS)
}
