//! `walab check [--json] [--only ID]... [--teardown] [--solve] [--yes]`.

use crate::report::{errln, outln};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::checks::{Event, Report, Status};
use crate::cli::CheckArgs;
use crate::guide::{CheckId, Guide, SolveAction};
use crate::report::{Failure, Paint, and_closed};
use crate::session::{Prompt, Session};
use crate::target::{TargetArgs, TargetKind};

pub async fn run(args: CheckArgs, target: &TargetArgs) -> Result<ExitCode, Failure> {
    let guide = Guide::load()?;
    let asks = args.solve && target.target == TargetKind::Aws && !args.yes;
    super::can_ask(asks, "--solve")?;
    let prompt = if args.json { Prompt::Never } else { Prompt::IfTerminal };
    let session = Session::open(target, prompt).await?;
    // `--only` picks from every check; otherwise section 5's twelve, or the Clean up step's.
    let ids: Vec<CheckId> = if !args.only.is_empty() {
        CheckId::every().filter(|id| args.only.contains(id)).collect()
    } else if args.teardown {
        CheckId::TEARDOWN.to_vec()
    } else {
        CheckId::ALL.to_vec()
    };

    let paint = Paint::for_stdout();
    if !args.json {
        outln!("walab check · {} · {}\n", session.target.label(), session.target.region);
    }
    // Slow checks say what they wait for, on a terminal.
    if !args.json && std::io::stderr().is_terminal() {
        session.ctx.report_to(Arc::new(|event| {
            if let Event::Progress(id, message) = event {
                errln!("  … {id}: {message}");
            }
        }));
    }
    let mut session = session;
    let cancel = CancellationToken::new();

    // Every check at once, each settled in the lab's causal order by the runner.
    let mut reports: Vec<Report> = crate::checks::run(&ids, &session.ctx, &guide, &cancel).await;
    if args.solve {
        // The console steps the run found missing, in lab order; each refuses when an earlier one
        // it needs did not work out, and the checks then run again.
        let missing: Vec<SolveAction> = reports
            .iter()
            .filter(|r| r.outcome.status == Status::Failed)
            .filter_map(|r| SolveAction::for_check(r.id))
            .collect();
        let mut solved_any = false;
        for action in missing {
            let what = crate::solve::what_it_changes(action, session.target.kind);
            if asks && !super::confirm(what) {
                continue;
            }
            if !args.json {
                outln!("   {} {what}", paint.dim("solving:"));
            }
            match crate::solve::solve(action, &session.ctx).await {
                Ok(_) => solved_any = true,
                Err(outcome) => {
                    if !args.json {
                        outln!("   {} {action}: {}", paint.wrap("1;31", "!"), outcome.summary);
                    }
                    break;
                }
            }
        }
        if solved_any {
            reports = crate::checks::run(&ids, &session.ctx, &guide, &cancel).await;
        }
    }
    for report in &reports {
        session.record(&report.outcome);
    }
    if !args.json {
        for line in crate::report::columns(&report_rows(&paint, &reports)) {
            outln!(" {line}");
        }
    }

    // A walab that joined a room reports what it showed (never holding the learner up long).
    if let Some(reporter) = crate::attendee::report::Reporter::for_this_machine(&session.dirs) {
        let _ = reporter.send(&reports).await;
    }
    let passed = reports.iter().filter(|r| r.outcome.status == Status::Passed).count();
    // What walab cannot verify and leaves to the learner (skipped, with where to look) is not
    // a failure; any other check that did not pass is.
    let by_hand = |r: &Report| r.outcome.status == Status::Skipped && r.id.is_by_hand();
    let failed = reports.iter().filter(|r| r.outcome.status != Status::Passed && !by_hand(r)).count();
    if args.json {
        let out = json!({
            "target": session.target.kind.as_str(),
            "region": session.target.region,
            "checks": reports,
            "passed": passed,
            "failed": failed,
        });
        outln!("{out}");
    } else {
        outln!("\n{passed} of {} checks passed", reports.len());
    }
    let code = if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(crate::report::FAILED) };
    and_closed(Ok(code), session.close().await)
}

pub fn glyph(status: Status) -> &'static str {
    match status {
        Status::Passed => "✓",
        Status::Failed => "✗",
        Status::Skipped => "–",
        Status::Error => "!",
    }
}

/// The reports as rows of aligned columns: status, step, id, what it found; a hint on a row of
/// its own, its `→` under the findings.
pub fn report_rows(paint: &Paint, reports: &[Report]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for report in reports {
        let status = report.outcome.status;
        let word = format!("{} {:<7}", glyph(status), status.as_str());
        let word = match status {
            Status::Passed => paint.wrap("32", &word),
            Status::Failed | Status::Error => paint.wrap("1;31", &word),
            Status::Skipped => paint.dim(&word),
        };
        rows.push(vec![
            word,
            report.step.to_string(),
            report.id.as_str().to_string(),
            format!("{} {}", report.outcome.summary, paint.dim(&format!("({} ms)", report.duration_ms))),
        ]);
        if let Some(hint) = report.outcome.hint_for_cli().filter(|h| status != Status::Passed && !h.is_empty()) {
            rows.push(vec![String::new(), String::new(), String::new(), format!("{} {hint}", paint.wrap("36", "→"))]);
        }
    }
    rows
}
