//! `walab solve (ACTION | --all) [--yes]`.

use crate::report::outln;
use std::process::ExitCode;

use crate::cli::SolveArgs;
use crate::guide::SolveAction;
use crate::session::{Prompt, Session};
use crate::solve::{Solved, sign_up_as_admin, solve, what_it_changes};
use crate::target::{TargetArgs, TargetKind};

pub async fn run(args: SolveArgs, target: &TargetArgs) -> ExitCode {
    let actions: Vec<SolveAction> = match args.action {
        Some(action) if !args.all => vec![action],
        _ => SolveAction::ALL.to_vec(),
    };
    let asks = target.target == TargetKind::Aws && !args.yes;
    if let Err(code) = super::can_ask(asks, "solving") {
        return code;
    }
    let session = match Session::open(target, Prompt::IfTerminal).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let mut failed = false;
    for action in actions {
        let admin = args.admin && action == SolveAction::SignUp;
        let what = if admin {
            "create your user in the lab's pool as an administrator, with your password as its permanent one"
        } else {
            what_it_changes(action, session.target.kind)
        };
        if asks {
            if !super::confirm(what) {
                eprintln!("{action}: left as it is");
                continue;
            }
        } else {
            eprintln!("{action}: {what}");
        }
        let result = if admin { sign_up_as_admin(&session.ctx).await } else { solve(action, &session.ctx).await };
        match result {
            Ok(Solved::AlreadyDone(summary)) => outln!("{action}: already done ({summary})"),
            Ok(Solved::Done(summary)) => outln!("{action}: {summary}"),
            Err(outcome) => {
                failed = true;
                eprintln!("walab: error: {action}: {}", outcome.summary);
                if let Some(hint) = outcome.hint_for_cli().filter(|h| !h.is_empty()) {
                    eprintln!("hint: {hint}");
                }
                // Later steps build on this one.
                break;
            }
        }
    }
    match (session.close().await, failed) {
        (Err(code), _) => code,
        (Ok(()), true) => ExitCode::from(1),
        (Ok(()), false) => ExitCode::SUCCESS,
    }
}
