//! Every key either acts or says why not; `R` takes the focus where Next points; a stopped
//! solve says what it did; a resumed walkthrough says where and when; values typed by hand are
//! kept until the learner says to replace them.

use super::*;

fn toast(app: &App) -> String {
    app.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default()
}

#[test]
fn a_key_that_does_nothing_here_says_why() {
    let mut app = fresh();
    step_of(&mut app, "5.5");
    assert!(update(&mut app, ch('s')).is_empty());
    assert_eq!(toast(&app), "5.5 is checks only: press r");
    assert!(update(&mut app, ch('e')).is_empty());
    assert_eq!(toast(&app), "e edits a value — Tab to Values");
    assert!(update(&mut app, ch('x')).is_empty());
    assert_eq!(toast(&app), "x does nothing here: ? lists the keys");
    step_of(&mut app, "5.1");
    update(&mut app, ch('r'));
    assert!(toast(&app).starts_with("5.1 has nothing to check"), "{}", toast(&app));
    update(&mut app, ch('k'));
    assert_eq!(toast(&app), "that is the first step: ↓ for the next");
    // `y` on the id-token row of the checks copies nothing there: Evidence does.
    step_of(&mut app, "5.5");
    app.focus = Pane::Checks;
    app.check = 1;
    app.token = Some(TokenView { username: "u".into(), header: Value::Null, claims: Value::Null, expires_at: 0 });
    assert!(update(&mut app, ch('y')).is_empty());
    assert_eq!(toast(&app), "y copies from Evidence — Tab there");
    // Every action of the key table, in every pane, on every step: it applies or says why.
    for step in 0..app.guide.steps.len() {
        for pane in [Pane::Steps, Pane::Checks, Pane::Evidence, Pane::Values] {
            app.step = step;
            app.focus = pane;
            for b in crate::tui::keymap::KEYS {
                assert!(
                    app.applies(b.action) || !app.why_not(b.action).is_empty(),
                    "{:?} on {} in {pane:?}",
                    b.action,
                    app.current_step().id
                );
            }
        }
    }
}

#[test]
fn run_all_takes_the_focus_to_the_first_failing_check() {
    let mut app = fresh();
    update(&mut app, ch('R'));
    update(&mut app, finished(report(CheckId::StackOutputs, Status::Passed, "ok")));
    update(&mut app, finished(report(CheckId::MethodProtected, Status::Failed, "no")));
    update(&mut app, finished(report(CheckId::Unauthenticated401, Status::Failed, "no")));
    update(&mut app, done());
    assert_eq!(app.current_step().id, "5.3");
    assert_eq!(app.focused_check(), Some(CheckId::MethodProtected));
}

#[test]
fn esc_during_a_solve_says_the_change_was_made() {
    let mut app = fresh();
    step_of(&mut app, "5.3");
    update(&mut app, ch('s'));
    update(&mut app, ch('y'));
    assert!(app.busy());
    update(&mut app, key(KeyCode::Esc));
    let done = JobDone {
        cancelled: true,
        solved: Some((SolveAction::CreateAuthorizer, Ok(Solved::Done("created".into())))),
        ..JobDone::default()
    };
    update(&mut app, Msg::Done(Box::new(done)));
    assert_eq!(toast(&app), "stopped the checks after create-authorizer: create-authorizer was done");
}

#[test]
fn resuming_says_where_and_when_then_the_verdicts() {
    let mut results = BTreeMap::new();
    let result = CheckResult {
        status: Status::Passed,
        summary: "ok".into(),
        hint: None,
        evidence: Evidence::None,
        duration_ms: 1,
        finished_at: 0,
        basis: None,
        stale: false,
    };
    results.insert(CheckId::StackOutputs, result);
    let lab = LabId { account: header().account, user_pool_id: None };
    let progress = Progress { step: "5.4".into(), results, lab };
    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), true, Some(progress));
    app.now_ms = 3 * 86_400_000;
    update(&mut app, Msg::Resize(80, 24));
    app.on_start();
    assert_eq!(toast(&app), "welcome back — you were on 5.4, 3 days ago; re-checking…");
    update(&mut app, finished(report(CheckId::StackOutputs, Status::Passed, "ok")));
    update(&mut app, done());
    assert_eq!(toast(&app), "welcome back — you were on 5.4, 3 days ago; re-checked: 1 passed");
    assert_eq!(app.current_step().id, "5.4", "still where the learner was");
}

#[test]
fn a_value_typed_by_hand_is_kept_until_the_learner_says_to_replace_it() {
    let mut app = fresh();
    app.values.set(Field::UserPoolId, Some("us-east-1_TypedByMe".into()));
    update(&mut app, ch('R'));
    let mut found = report(CheckId::StackOutputs, Status::Passed, "both stacks found");
    found.outcome.found = Some(Found::Outputs(vec![
        (Field::UserPoolId, "us-east-1_FromTheLb".into()),
        (Field::AppClientId, "abcdefghijklmnopqrstuvwxyz".into()),
    ]));
    let effects = update(&mut app, finished(found));
    assert!(effects.contains(&Effect::SetValue(Field::AppClientId, "abcdefghijklmnopqrstuvwxyz".into())));
    assert!(!effects.iter().any(|e| matches!(e, Effect::SetValue(Field::UserPoolId, _))), "{effects:?}");
    assert_eq!(app.values.user_pool_id.as_deref(), Some("us-east-1_TypedByMe"));
    assert!(matches!(&app.modal, Some(Modal::Replace { values }) if values.len() == 1));
    let effects = update(&mut app, ch('y'));
    assert!(effects.contains(&Effect::SetValue(Field::UserPoolId, "us-east-1_FromTheLb".into())));
    assert_eq!(app.values.user_pool_id.as_deref(), Some("us-east-1_FromTheLb"));
}

#[test]
fn after_a_console_step_the_focus_goes_to_what_next_names_on_this_step() {
    let mut app = fresh();
    step_of(&mut app, "5.3");
    update(&mut app, ch('s'));
    update(&mut app, ch('y'));
    update(&mut app, finished(report(CheckId::AuthorizerCreated, Status::Passed, "ok")));
    update(&mut app, finished(report(CheckId::MethodProtected, Status::Failed, "no")));
    let done = JobDone {
        solved: Some((SolveAction::CreateAuthorizer, Ok(Solved::Done("created".into())))),
        ..JobDone::default()
    };
    update(&mut app, Msg::Done(Box::new(done)));
    assert_eq!(app.focused_check(), Some(CheckId::MethodProtected));
}
