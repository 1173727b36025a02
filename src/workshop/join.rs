//! `walab join SERVER --code CODE --name NAME`: asks the room for an account (the same one
//! again for the same name), records it as target `room`, says how to use it from a shell, and
//! opens the walkthrough on it (or, with `--json`, prints the account and exits).

use std::process::ExitCode;

use super::client::{JoinError, request};
use crate::cli::JoinArgs;
use crate::locallab::room_api::JoinInfo;
use crate::report::{USAGE, errln, fail};
use crate::settings::Dirs;

pub async fn run(args: JoinArgs, theme: crate::tui::ThemeName, mouse: bool) -> ExitCode {
    let dirs = match Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => return fail(USAGE, e, None),
    };
    let info = match request(&args.server, &args.code, &args.name).await {
        Ok(info) => info,
        Err(e @ JoinError::Refused(_)) => {
            return fail(USAGE, e, Some("check the code and the name with your instructor".into()));
        }
        Err(e @ JoinError::Unreachable { .. }) => {
            return fail(
                1,
                e,
                Some("check the address your instructor gave, and that you are on the same network".into()),
            );
        }
        Err(e) => return fail(1, e, None),
    };
    let record = serde_json::to_vec_pretty(&info).unwrap_or_default();
    if let Err(e) = crate::fsutil::write_private(&dirs.joined_room_file(), &record) {
        return fail(USAGE, format!("cannot record the room in {}: {e}", dirs.joined_room_file().display()), None);
    }
    let env_file = dirs.config.join("room.env");
    if let Err(e) = crate::fsutil::write_private(&env_file, exports(&info, false).as_bytes()) {
        tracing::warn!("cannot write {}: {e}", env_file.display());
    }
    if args.json {
        crate::report::outln!("{}", serde_json::to_string(&info).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    errln!(
        "Joined the room as {} (account {}).\n\nTo use the AWS CLI or an SDK in a shell, source the credentials the room issued you:\n  source {}\nwhich sets:\n{}\nwalab uses this account with --target room (e.g. walab --target room check).\n",
        info.name,
        info.account_id,
        env_file.display(),
        exports(&info, true)
    );
    let target = crate::target::TargetArgs {
        target: crate::target::TargetKind::Room,
        profile: None,
        region: None,
        stack: crate::names::EDGE_STACK.to_string(),
        api_stack: crate::names::API_STACK.to_string(),
    };
    crate::tui::run(&target, theme, mouse).await
}

/// The shell lines that point the AWS CLI at the account (the secret masked when `masked`).
pub fn exports(info: &JoinInfo, masked: bool) -> String {
    let secret = if masked { info.secret_access_key.masked() } else { info.secret_access_key.expose().to_string() };
    format!(
        "export AWS_ENDPOINT_URL={}\nexport AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={secret}\nexport AWS_REGION={region} AWS_DEFAULT_REGION={region}\n",
        info.aws_endpoint_url,
        info.access_key_id,
        region = info.region
    )
}
