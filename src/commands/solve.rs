//! `walab solve (ACTION | --all) [--yes]`.

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::cli::SolveArgs;
use crate::guide::SolveAction;
use crate::report::{USAGE, fail};
use crate::session::{Prompt, Session};
use crate::solve::{Solved, sign_up_as_admin, solve, what_it_changes};
use crate::target::{TargetArgs, TargetKind};

pub async fn run(args: SolveArgs, target: &TargetArgs) -> ExitCode {
    let actions: Vec<SolveAction> = match args.action {
        Some(action) if !args.all => vec![action],
        _ => SolveAction::ALL.to_vec(),
    };
    let asks = target.target == TargetKind::Aws && !args.yes;
    if asks && !std::io::stdin().is_terminal() {
        return fail(
            USAGE,
            "solving on AWS changes your resources, and there is no terminal to ask",
            Some("pass --yes to let walab make the changes".into()),
        );
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
            eprint!("walab will {what}. Go ahead? [y/N] ");
            let mut answer = String::new();
            if std::io::stdin().read_line(&mut answer).is_err() || !answer.trim().eq_ignore_ascii_case("y") {
                eprintln!("{action}: left as it is");
                continue;
            }
        } else {
            eprintln!("{action}: {what}");
        }
        let result = if admin { sign_up_as_admin(&session.ctx).await } else { solve(action, &session.ctx).await };
        match result {
            Ok(Solved::AlreadyDone(summary)) => println!("{action}: already done ({summary})"),
            Ok(Solved::Done(summary)) => println!("{action}: {summary}"),
            Err(outcome) => {
                failed = true;
                eprintln!("walab: error: {action}: {}", outcome.summary);
                if let Some(hint) = outcome.hint.filter(|h| !h.is_empty()) {
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
