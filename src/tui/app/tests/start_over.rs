//! Starting over at the update level: asked for with `O`, offered when the results are about
//! another lab (a new pool, another account), and never while a job runs.

use super::*;

#[test]
fn another_lab_under_the_walkthrough_offers_to_start_over() {
    let mut app = fresh();
    let mut outputs = report(CheckId::StackOutputs, Status::Passed, "both stacks found");
    outputs.outcome.found = Some(Found::Outputs(vec![(Field::UserPoolId, "us-east-1_First".into())]));
    update(&mut app, finished(outputs.clone()));
    all_run(&mut app);
    assert_eq!(app.progress().lab.user_pool_id.as_deref(), Some("us-east-1_First"));
    // `walab serve --fresh` happened meanwhile: the stacks name a new pool.
    outputs.outcome.found = Some(Found::Outputs(vec![(Field::UserPoolId, "us-east-1_Second".into())]));
    update(&mut app, finished(outputs));
    let Some(Modal::StartOver { why: Some(why) }) = &app.modal else { panic!("{:?}", app.modal) };
    assert!(why.contains("us-east-1_Second") && why.contains("us-east-1_First"), "{why}");
    let effects = update(&mut app, ch('y'));
    assert_eq!(
        effects,
        vec![Effect::ForgetValues { keep_username: false }, Effect::Start(Job::StartOver), Effect::Save]
    );
    assert!(app.results.is_empty() && app.token.is_none() && app.values == Values::default());
    let over = StartedOver {
        account: Some("210987654321".into()),
        signs_in: Some("demo@example.com".into()),
        password_known: true,
        lab_kept: None,
    };
    update(&mut app, Msg::Done(Box::new(JobDone { started_over: Some(over), ..JobDone::default() })));
    assert_eq!(app.header.account.as_deref(), Some("210987654321"));
    assert!(app.toast.as_ref().unwrap().text.starts_with("started over"));

    // Coming back to another account: asked at once; `n` keeps the results for this lab.
    let progress = Progress {
        step: "5.3".into(),
        results: app.results.clone().into_iter().chain([(CheckId::ApiDeployed, some_result())]).collect(),
        lab: LabId { account: Some("999999999999".into()), user_pool_id: None },
    };
    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), true, Some(progress));
    assert!(matches!(&app.modal, Some(Modal::StartOver { why: Some(w) }) if w.contains("123456789012")));
    assert_eq!(update(&mut app, ch('n')), vec![Effect::Save]);
    assert_eq!(app.progress().lab.account.as_deref(), Some("123456789012"));
    assert_eq!(app.shown(CheckId::ApiDeployed), Shown::Stale, "from before: never shown as current");
    // `O` starts over on purpose, asking first.
    update(&mut app, ch('O'));
    assert_eq!(app.modal, Some(Modal::StartOver { why: None }));
    assert!(update(&mut app, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.shown(CheckId::ApiDeployed), Shown::Stale);
}

#[test]
fn another_lab_found_during_a_run_is_asked_about_when_the_run_ends() {
    let mut app = fresh();
    let mut outputs = report(CheckId::StackOutputs, Status::Passed, "both stacks found");
    outputs.outcome.found = Some(Found::Outputs(vec![(Field::UserPoolId, "us-east-1_First".into())]));
    update(&mut app, finished(outputs.clone()));
    all_run(&mut app);
    update(&mut app, ch('R'));
    assert!(app.busy());
    outputs.outcome.found = Some(Found::Outputs(vec![(Field::UserPoolId, "us-east-1_Second".into())]));
    update(&mut app, finished(outputs));
    // Starting over is a job of its own: not asked while this one runs, so `y` cannot start a
    // second job beside it.
    assert_eq!(app.modal, None);
    assert!(update(&mut app, ch('y')).is_empty());
    update(&mut app, done());
    let Some(Modal::StartOver { why: Some(why) }) = &app.modal else { panic!("{:?}", app.modal) };
    assert!(why.contains("us-east-1_Second"), "{why}");
    let effects = update(&mut app, ch('y'));
    assert!(effects.contains(&Effect::Start(Job::StartOver)), "{effects:?}");
}
