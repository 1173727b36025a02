//! The Clean up step at the update level: on AWS a teardown needs the stack's name typed (as
//! the CLI asks), and a local lab whose stacks are gone offers to start over.

use std::collections::BTreeMap;

use super::*;

fn on_aws() -> App {
    let header = Header { kind: TargetKind::Aws, target: "aws (default profile)".into(), ..header() };
    let mut app = App::new(Guide::load().unwrap(), header, Values::default(), true, None);
    step_of(&mut app, "teardown");
    app
}

fn solving_teardown(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Start(Job::Solve(SolveAction::Teardown, _))))
}

#[test]
fn s_on_clean_up_against_aws_asks_for_the_stacks_name_not_y() {
    let mut app = on_aws();
    app.stack = "my-cdn-stack".into();
    assert!(update(&mut app, ch('s')).is_empty());
    assert!(matches!(&app.modal, Some(Modal::ConfirmByName { action: SolveAction::Teardown, name, wrong: false, .. })
        if name == "my-cdn-stack"));
    // `y` is only a letter of the name here; Enter on anything but the name deletes nothing.
    assert!(update(&mut app, ch('y')).is_empty());
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    assert!(matches!(&app.modal, Some(Modal::ConfirmByName { wrong: true, .. })), "{:?}", app.modal);
    assert!(app.running.is_none());
    update(&mut app, ctrl('u'));
    assert!(typed(&mut app, "my-cdn-stack").is_empty());
    assert!(matches!(&app.modal, Some(Modal::ConfirmByName { wrong: false, .. })));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(solving_teardown(&effects), "{effects:?}");
    assert_eq!(app.modal, None);

    // Esc leaves everything as it is, and says so.
    let mut app = on_aws();
    update(&mut app, ch('s'));
    typed(&mut app, "walab-cdn-waf-cognito");
    assert!(update(&mut app, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.modal, None);
    assert!(app.toast.as_ref().unwrap().text.contains("nothing was deleted"));
    // A pasted name counts as typed.
    update(&mut app, ch('s'));
    update(&mut app, Msg::Paste("walab-cdn-waf-cognito".into()));
    assert!(solving_teardown(&update(&mut app, key(KeyCode::Enter))));
}

#[test]
fn s_on_clean_up_on_the_local_lab_still_asks_y() {
    let mut app = fresh();
    step_of(&mut app, "teardown");
    update(&mut app, ch('s'));
    assert_eq!(app.modal, Some(Modal::Confirm(SolveAction::Teardown)));
    assert!(solving_teardown(&update(&mut app, ch('y'))));
}

#[test]
fn a_torn_down_local_lab_offers_to_start_over() {
    let mut app = fresh();
    all_run(&mut app);
    update(&mut app, finished(report(CheckId::StackCdnDeleted, Status::Passed, "deleted")));
    assert_eq!(app.modal, None, "one stack is not the lab");
    update(&mut app, finished(report(CheckId::StackApiDeleted, Status::Passed, "deleted")));
    assert_eq!(app.modal, Some(Modal::TornDown));
    assert_eq!(
        update(&mut app, ch('y')),
        vec![Effect::ForgetValues { keep_username: false }, Effect::Start(Job::StartOver), Effect::Save]
    );
    assert!(app.results.is_empty());
}

#[test]
fn after_the_teardown_solve_the_offer_waits_for_the_job_to_end() {
    let mut app = fresh();
    step_of(&mut app, "teardown");
    update(&mut app, ch('s'));
    assert!(solving_teardown(&update(&mut app, ch('y'))));
    for id in CheckId::TEARDOWN {
        update(&mut app, finished(report(id, Status::Passed, "deleted")));
    }
    assert_eq!(app.modal, None, "nothing asks while the teardown still runs");
    let solved = Some((SolveAction::Teardown, Ok(Solved::Done("deleted both stacks".into()))));
    update(&mut app, Msg::Done(Box::new(JobDone { solved, ..JobDone::default() })));
    assert_eq!(app.modal, Some(Modal::TornDown));
    assert!(app.toast.as_ref().unwrap().text.contains("teardown done"));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(effects.contains(&Effect::Start(Job::StartOver)), "{effects:?}");
}

#[test]
fn stacks_deleted_by_another_client_are_noticed_by_stack_outputs() {
    let mut app = fresh();
    all_run(&mut app);
    let mut outputs = report(CheckId::StackOutputs, Status::Failed, "no stack walab-cdn-waf-cognito in us-east-1");
    outputs.outcome.evidence = Evidence::Stacks {
        stacks: BTreeMap::from([("walab-cdn-waf-cognito".into(), None), ("walab-api".into(), None)]),
        outputs: BTreeMap::new(),
    };
    update(&mut app, finished(outputs.clone()));
    assert_eq!(app.modal, Some(Modal::TornDown));
    // `n` leaves the lab as it is; the same finding again does not ask again.
    assert!(update(&mut app, ch('n')).is_empty());
    assert!(app.toast.as_ref().unwrap().text.contains('O'));
    update(&mut app, finished(outputs));
    assert_eq!(app.modal, None);
    // O still starts over, asking first.
    update(&mut app, ch('O'));
    assert_eq!(app.modal, Some(Modal::StartOver { why: None }));
}

#[test]
fn a_torn_down_lab_on_aws_is_the_end_not_a_restart() {
    let mut app = on_aws();
    update(&mut app, finished(report(CheckId::StackCdnDeleted, Status::Passed, "deleted")));
    update(&mut app, finished(report(CheckId::StackApiDeleted, Status::Passed, "deleted")));
    assert_eq!(app.modal, None);
}
