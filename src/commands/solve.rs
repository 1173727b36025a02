//! `walab solve (ACTION | --all) [--yes]`, and `walab solve teardown`, which shows everything it
//! will delete, asks for the stack's name on AWS, waits with progress and says what is left.

use crate::report::{errln, outln};
use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::checks::{Event, Status};
use crate::cli::SolveArgs;
use crate::guide::{CheckId, Guide, SolveAction};
use crate::report::{Failure, and_closed};
use crate::session::{Prompt, Session};
use crate::solve::{Solved, sign_up_as_admin, solve, what_it_changes};
use crate::target::{TargetArgs, TargetKind};

pub async fn run(args: SolveArgs, target: &TargetArgs) -> Result<ExitCode, Failure> {
    let actions: Vec<SolveAction> = match args.action {
        Some(action) if !args.all => vec![action],
        _ => SolveAction::ALL.to_vec(),
    };
    let asks = target.target == TargetKind::Aws && !args.yes;
    super::can_ask(asks, "solving")?;
    let session = Session::open(target, Prompt::IfTerminal).await?;
    let solved = solve_each(&args, actions, &session, asks).await;
    and_closed(solved, session.close().await)
}

/// Each action in turn, up to the first that fails (later steps build on it).
async fn solve_each(
    args: &SolveArgs,
    actions: Vec<SolveAction>,
    session: &Session,
    asks: bool,
) -> Result<ExitCode, Failure> {
    // What a slow step waits for (an invalidation, a deployment), said when it changes.
    let lines = crate::report::ProgressLines::for_stderr();
    session.ctx.report_to(Arc::new(move |event| {
        if let Event::Progress(_, message) = event
            && let Some(line) = lines.line(&message)
        {
            errln!("  … {line}");
        }
    }));
    let mut failed = false;
    for action in actions {
        let admin = args.admin && action == SolveAction::SignUp;
        if action == SolveAction::Teardown {
            failed |= !tear_down(session, asks).await?;
            continue;
        }
        let what = if admin {
            "create your user in the lab's pool as an administrator, with your password as its permanent one"
        } else {
            what_it_changes(action, session.target.kind)
        };
        if asks {
            if !super::confirm(what) {
                errln!("{action}: left as it is");
                continue;
            }
        } else {
            errln!("{action}: {what}");
        }
        let result = if admin { sign_up_as_admin(&session.ctx).await } else { solve(action, &session.ctx).await };
        match result {
            Ok(Solved::AlreadyDone(summary)) => outln!("{action}: already done ({summary})"),
            Ok(Solved::Done(summary)) => outln!("{action}: {summary}"),
            Err(outcome) => return Err(super::outcome_failure(Some(&action), &outcome)),
        }
    }
    Ok(if failed { ExitCode::from(crate::report::FAILED) } else { ExitCode::SUCCESS })
}

/// The teardown: the plan, the confirmation (the stack's name, typed, on AWS), the deletions
/// with progress, and what is left. True when nothing is left; a deletion that failed is said
/// after what is left.
async fn tear_down(session: &Session, asks: bool) -> Result<bool, Failure> {
    let ctx = &session.ctx;
    let teardown = SolveAction::Teardown;
    let plan = crate::solve::teardown::plan(ctx)
        .await
        .map_err(|outcome| Failure::failed(format!("{teardown}: {}", outcome.summary)))?;
    let mut deleting = Ok(());
    if plan.is_empty() {
        outln!("teardown: the lab's stacks are already deleted");
    } else {
        errln!("teardown: {}. In this order:", what_it_changes(SolveAction::Teardown, session.target.kind));
        for stack in &plan {
            errln!("  {} ({}), {} resources:", stack.name, stack.status, stack.resources.len());
            let rows: Vec<Vec<String>> = stack
                .resources
                .iter()
                .filter(|(logical, kind, _)| !logical.trim().is_empty() || !kind.trim().is_empty())
                .map(|(logical, kind, physical)| {
                    let physical = if physical.trim().is_empty() { "(no id yet)" } else { physical.as_str() };
                    vec![logical.clone(), kind.clone(), physical.to_string()]
                })
                .collect();
            for line in crate::report::columns(&rows) {
                errln!("    {line}");
            }
        }
        if asks && !super::confirm_by_typing(&plan[0].name) {
            errln!("teardown: nothing was deleted");
            return Ok(true);
        }
        let lines = crate::report::ProgressLines::for_stderr();
        ctx.report_to(Arc::new(move |event| {
            if let Event::Progress(_, message) = event
                && let Some(line) = lines.line(&message)
            {
                errln!("  … {line}");
            }
        }));
        match crate::solve::solve(SolveAction::Teardown, ctx).await {
            Ok(Solved::AlreadyDone(summary) | Solved::Done(summary)) => outln!("teardown: {summary}"),
            Err(outcome) => deleting = Err(super::outcome_failure(Some(&teardown), &outcome)),
        }
    }
    // What is left, by the Clean up step's checks.
    let guide = Guide::load()?;
    let reports = crate::checks::run(&CheckId::TEARDOWN, ctx, &guide, &CancellationToken::new()).await;
    outln!("What is left:");
    let mut clean = true;
    let mut rows = Vec::new();
    for report in &reports {
        let status = report.outcome.status;
        clean &= status == Status::Passed || (status == Status::Skipped && report.id.is_by_hand());
        rows.push(vec![
            super::check::glyph(status).to_string(),
            report.id.as_str().to_string(),
            report.outcome.summary.clone(),
        ]);
    }
    for line in crate::report::columns(&rows) {
        outln!("  {line}");
    }
    if session.target.kind == TargetKind::Local && clean {
        outln!(
            "The local lab is torn down; the walkthrough (`walab`, then O) or `walab serve --fresh` starts it over."
        );
    }
    deleting.map(|()| clean)
}
