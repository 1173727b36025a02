//! `update` alone: a key or a message in, the state and the effects out; no terminal, no lab.

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use serde_json::{Value, json};

use super::*;
use crate::checks::{Event, Evidence, Found, Outcome, Report, Status};
use crate::guide::{CheckId, Guide, SolveAction};
use crate::secret::Secret;
use crate::settings::{Field, Values};
use crate::solve::Solved;
use crate::target::TargetKind;
use crate::tui::keymap::Action;

mod cleanup;
mod explains;
mod start_over;
mod values;

fn header() -> Header {
    Header {
        kind: TargetKind::Local,
        target: "local lab".into(),
        profile: None,
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        endpoint: None,
    }
}

fn fresh() -> App {
    App::new(Guide::load().unwrap(), header(), Values::default(), true, None)
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    let modifiers = if c.is_ascii_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), modifiers))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(app, ch(c))).collect()
}

fn report(id: CheckId, status: Status, summary: &str) -> Report {
    Report {
        id,
        step: id.step(),
        title: id.as_str().into(),
        outcome: Outcome {
            status,
            summary: summary.into(),
            hint: Some("do this".into()),
            evidence: Evidence::None,
            found: None,
        },
        duration_ms: 42,
    }
}

fn finished(report: Report) -> Msg {
    Msg::Check(Event::Finished(Box::new(report)))
}

/// The end of a job (its checks' reports came before, each once).
fn done() -> Msg {
    Msg::Done(Box::default())
}

fn step_of(app: &mut App, id: &str) {
    app.step = app.guide.steps.iter().position(|s| s.id == id).unwrap();
}

#[test]
fn arrows_and_jk_move_between_steps_and_remember_it() {
    let mut app = fresh();
    assert!(update(&mut app, ch('k')).is_empty(), "already at the first step");
    assert_eq!(update(&mut app, ch('j')), vec![Effect::Save]);
    assert_eq!(app.current_step().id, "5.2");
    assert_eq!(update(&mut app, key(KeyCode::Down)), vec![Effect::Save]);
    assert_eq!(update(&mut app, key(KeyCode::Up)), vec![Effect::Save]);
    assert_eq!(app.current_step().id, "5.2");
    assert_eq!(app.progress().step, "5.2");
}

#[test]
fn only_key_presses_count() {
    let mut app = fresh();
    let mut release = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    release.state = KeyEventState::NONE;
    assert!(update(&mut app, Msg::Key(release)).is_empty());
    assert_eq!(app.step, 0);
}

#[test]
fn run_all_starts_one_job_and_esc_cancels_it() {
    let mut app = fresh();
    assert_eq!(update(&mut app, ch('R')), vec![Effect::Start(Job::Checks(CheckId::ALL.to_vec()))]);
    assert!(app.busy());
    assert!(!app.applies(Action::RunAll) && !app.applies(Action::RunStep) && !app.applies(Action::Solve));
    assert!(update(&mut app, ch('R')).is_empty(), "one job at a time");
    assert_eq!(update(&mut app, key(KeyCode::Esc)), vec![Effect::Cancel]);
    assert_eq!(app.toast.as_ref().unwrap().text, "stopping…");
    assert_eq!(update(&mut app, done()), vec![Effect::Save]);
    assert!(!app.busy());
}

#[test]
fn check_events_show_running_then_the_result_with_its_time() {
    let mut app = fresh();
    step_of(&mut app, "5.3");
    assert_eq!(update(&mut app, ch('r')), vec![Effect::Start(Job::Checks(app.current_step().checks.clone()))]);
    app.now_ms = 1_000;
    update(&mut app, Msg::Check(Event::Started(CheckId::AuthorizerCreated)));
    assert_eq!(app.shown(CheckId::AuthorizerCreated), Shown::Running);
    assert_eq!(app.step_shown(app.current_step()), Some(Shown::Running));
    update(&mut app, Msg::Check(Event::Progress(CheckId::AuthorizerCreated, "asking API Gateway".into())));
    assert_eq!(app.running.as_ref().unwrap().progress.as_deref(), Some("asking API Gateway"));
    app.now_ms = 2_000;
    let effects =
        update(&mut app, finished(report(CheckId::AuthorizerCreated, Status::Failed, "no Cognito authorizer")));
    assert_eq!(effects, vec![Effect::Save]);
    assert_eq!(app.shown(CheckId::AuthorizerCreated), Shown::Failed);
    let result = &app.results[&CheckId::AuthorizerCreated];
    let hint = result.hint.as_ref().map(|h| h.for_cli());
    assert_eq!((result.duration_ms, result.finished_at, hint.as_deref()), (42, 2_000, Some("do this")));
    assert_eq!(app.step_shown(app.current_step()), Some(Shown::Failed));
    // The job's end carries no second copy of the report: the result stays as it came.
    app.now_ms = 3_000;
    update(&mut app, done());
    assert_eq!(app.results[&CheckId::AuthorizerCreated].finished_at, 2_000);
    assert!(!app.busy());
}

#[test]
fn solve_says_what_it_will_do_and_asks_first() {
    let mut app = fresh();
    step_of(&mut app, "5.3");
    assert!(update(&mut app, ch('s')).is_empty());
    assert_eq!(app.modal, Some(Modal::Confirm(SolveAction::CreateAuthorizer)));
    assert!(update(&mut app, ch('x')).is_empty(), "other keys leave the question open");
    assert!(app.modal.is_some());
    assert!(update(&mut app, ch('n')).is_empty());
    assert_eq!(app.modal, None);
    update(&mut app, ch('s'));
    let rechecks = vec![CheckId::AuthorizerCreated, CheckId::MethodProtected, CheckId::ApiDeployed];
    assert_eq!(update(&mut app, ch('y')), vec![Effect::Start(Job::Solve(SolveAction::CreateAuthorizer, rechecks))]);
    assert_eq!(app.shown(CheckId::AuthorizerCreated), Shown::Running, "the step being done spins");
    assert_eq!(app.shown(CheckId::MethodProtected), Shown::Pending);
    // Once the authorizer exists, `s` moves on to the next console step of the section.
    update(&mut app, finished(report(CheckId::AuthorizerCreated, Status::Passed, "walab-cognito")));
    update(&mut app, done());
    update(&mut app, ch('s'));
    assert_eq!(app.modal, Some(Modal::Confirm(SolveAction::ProtectMethod)));
}

#[test]
fn solve_does_not_apply_where_there_is_no_console_step() {
    let mut app = fresh();
    step_of(&mut app, "5.5");
    assert!(!app.applies(Action::Solve));
    assert!(update(&mut app, ch('s')).is_empty());
    assert_eq!(app.modal, None);
}

#[test]
fn token_asks_for_the_password_when_walab_does_not_know_it() {
    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), false, None);
    let effects = update(&mut app, ch('t'));
    assert_eq!(effects, vec![Effect::Save], "moves to the token, runs nothing yet");
    assert_eq!(app.focused_check(), Some(CheckId::IdToken));
    assert!(matches!(app.modal, Some(Modal::Password { .. })));
    typed(&mut app, "Pa55word!");
    assert_eq!(format!("{:?}", app.modal), "Some(Password(••••))");
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::SetPassword(Secret::new("Pa55word!")), Effect::Start(Job::Token(vec![]))]);
    // A wrong password: the next `t` asks again.
    update(&mut app, finished(report(CheckId::IdToken, Status::Failed, "NotAuthorizedException")));
    update(&mut app, done());
    update(&mut app, ch('t'));
    assert!(matches!(app.modal, Some(Modal::Password { .. })));
}

#[test]
fn sign_up_asks_for_the_password_to_choose_when_walab_does_not_know_it() {
    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), false, None);
    step_of(&mut app, "5.2");
    update(&mut app, ch('s'));
    assert_eq!(app.modal, Some(Modal::Confirm(SolveAction::SignUp)));
    assert!(update(&mut app, ch('y')).is_empty());
    typed(&mut app, "N3w-Passw0rd");
    assert_eq!(
        update(&mut app, key(KeyCode::Enter)),
        vec![
            Effect::SetPassword(Secret::new("N3w-Passw0rd")),
            Effect::Start(Job::Solve(
                SolveAction::SignUp,
                vec![CheckId::StackOutputs, CheckId::ClientSecret, CheckId::UserConfirmed]
            ))
        ]
    );
}

#[test]
fn token_with_a_known_password_signs_in_at_once() {
    let mut app = fresh();
    let effects = update(&mut app, ch('t'));
    assert_eq!(effects, vec![Effect::Save, Effect::Start(Job::Token(vec![]))]);
    assert_eq!(app.focus, Pane::Evidence);
    app.token = Some(TokenView { username: "u".into(), header: Value::Null, claims: Value::Null, expires_at: 3600 });
    update(&mut app, done());
    assert!(app.countdown_visible());
    app.now_ms = 10_250;
    assert_eq!(app.next_tick(), Some(Duration::from_millis(750)), "the countdown ticks on the second");
}

#[test]
fn ticks_only_while_something_moves() {
    let mut app = fresh();
    assert_eq!(app.next_tick(), None);
    update(&mut app, ch('R'));
    assert!(app.next_tick().unwrap() <= Duration::from_millis(100));
    update(&mut app, done());
    assert!(app.toast.is_none());
    assert_eq!(app.next_tick(), None);
}

#[test]
fn ctrl_c_quits_from_anywhere_and_q_from_the_layout() {
    let mut app = fresh();
    update(&mut app, ch('?'));
    assert_eq!(app.modal, Some(Modal::Help));
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut app, ctrl_c), vec![Effect::Save, Effect::Quit]);
    assert!(app.quit);

    let mut app = fresh();
    update(&mut app, ch('R'));
    assert_eq!(update(&mut app, ch('q')), vec![Effect::Cancel, Effect::Save, Effect::Quit]);

    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), false, None);
    update(&mut app, ch('t'));
    assert!(update(&mut app, ch('q')).is_empty(), "q is a letter of the password");
    assert_eq!(update(&mut app, Msg::Terminate), vec![Effect::Save, Effect::Quit]);
}

#[test]
fn help_opens_and_closes_and_esc_goes_back() {
    let mut app = fresh();
    update(&mut app, ch('?'));
    assert_eq!(app.modal, Some(Modal::Help));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.modal, None);
    step_of(&mut app, "5.2");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.focus, Pane::Checks);
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.focus, Pane::Steps);
}

#[test]
fn a_failed_solve_is_explained_and_sign_up_shows_the_email() {
    let mut app = fresh();
    step_of(&mut app, "5.2");
    update(&mut app, ch('s'));
    update(&mut app, ch('y'));
    let mut finished = JobDone {
        cancelled: false,
        solved: Some((SolveAction::SignUp, Ok(Solved::Done("signed up".into())))),
        email: Some(Email { to: "me@example.com".into(), subject: "Your code".into(), body: "Code: 123456".into() }),
        started_over: None,
    };
    update(&mut app, Msg::Done(Box::new(finished.clone())));
    let Some(Modal::Message { lines, .. }) = &app.modal else { panic!("{:?}", app.modal) };
    assert!(lines.iter().any(|l| l == "Code: 123456"));
    update(&mut app, key(KeyCode::Esc));

    update(&mut app, ch('s'));
    update(&mut app, ch('y'));
    finished.email = None;
    finished.solved = Some((SolveAction::SignUp, Err(Outcome::failed("no password", "set WALAB_PASSWORD"))));
    update(&mut app, Msg::Done(Box::new(finished)));
    let Some(Modal::Message { title, lines }) = &app.modal else { panic!("{:?}", app.modal) };
    assert_eq!(title, "sign-up did not work");
    assert_eq!(lines, &vec!["no password".to_string(), "→ set WALAB_PASSWORD".to_string()]);
}

#[test]
fn resumes_where_the_learner_was() {
    let mut results = BTreeMap::new();
    results.insert(
        CheckId::HeaderForwarded,
        CheckResult {
            status: Status::Passed,
            summary: "forwards Authorization".into(),
            hint: None,
            evidence: Evidence::None,
            duration_ms: 3,
            finished_at: 5,
            basis: None,
            stale: false,
        },
    );
    // The results are about this lab (the header's account).
    let lab = LabId { account: header().account, user_pool_id: None };
    let progress = Progress { step: "5.4".into(), results, lab };
    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), true, Some(progress.clone()));
    assert_eq!(app.current_step().id, "5.4");
    // A result from a previous run is stale: shown as such, never driving Next, and run again.
    assert_eq!(app.shown(CheckId::HeaderForwarded), Shown::Stale);
    assert_eq!(app.shown(CheckId::CacheInvalidated), Shown::Pending);
    let next = crate::tui::content::next_line(&app, &crate::tui::theme::Theme::plain());
    let next: String = next.spans.iter().map(|s| s.content.as_ref()).collect();
    assert!(next.contains("checked again"), "{next}");
    app.now_ms = 3 * 86_400_000 + 5;
    assert_eq!(app.on_start(), vec![Effect::Start(Job::Checks(vec![CheckId::HeaderForwarded]))]);
    assert_eq!(app.toast.as_ref().unwrap().text, "welcome back — you were on 5.4, 3 days ago; re-checking…");
    assert_eq!(serde_json::to_value(app.progress().results).unwrap(), serde_json::to_value(&progress.results).unwrap());
    let unknown = App::new(
        Guide::load().unwrap(),
        header(),
        Values::default(),
        true,
        Some(Progress { step: "9.9".into(), ..progress }),
    );
    assert_eq!(unknown.step, 0);
}

#[test]
fn what_a_check_found_is_recorded_by_update_and_handed_to_the_loop() {
    let mut app = fresh();
    app.values.set(Field::UserPoolId, Some("us-east-1_Same".into()));
    let mut stack_outputs = report(CheckId::StackOutputs, Status::Passed, "both stacks found");
    stack_outputs.outcome.found = Some(Found::Outputs(vec![
        (Field::UserPoolId, "us-east-1_Same".into()),
        (Field::CloudFrontEndpoint, "http://127.0.0.1:4567/?id=1".into()),
    ]));
    let effects = update(&mut app, finished(stack_outputs));
    assert_eq!(
        effects,
        vec![Effect::SetValue(Field::CloudFrontEndpoint, "http://127.0.0.1:4567/?id=1".into()), Effect::Save],
        "only what changed goes to the loop"
    );
    assert_eq!(app.values.cloudfront_endpoint.as_deref(), Some("http://127.0.0.1:4567/?id=1"));

    let mut client_secret = report(CheckId::ClientSecret, Status::Passed, "read from the app client");
    client_secret.outcome.found = Some(Found::ClientSecret(Secret::new("s3cr3tvalue0123")));
    let effects = update(&mut app, finished(client_secret));
    assert_eq!(effects, vec![Effect::SetValue(Field::AppClientSecret, "s3cr3tvalue0123".into()), Effect::Save]);
    assert_eq!(app.values.app_client_secret, Some(Secret::new("s3cr3tvalue0123")));
}

#[test]
fn the_token_pane_comes_from_the_id_token_report() {
    let mut app = fresh();
    app.signs_in = Some("learner@example.com".into());
    let mut id_token = report(CheckId::IdToken, Status::Passed, "verified");
    let claims = json!({"exp": 4_000, "cognito:username": "0f3c-uuid", "token_use": "id"});
    id_token.outcome.evidence =
        Evidence::IdToken { header: json!({"alg": "RS256"}), claims: claims.as_object().cloned().unwrap_or_default() };
    update(&mut app, finished(id_token));
    let token = app.token.clone().expect("a token to show");
    assert_eq!((token.username.as_str(), token.expires_at), ("learner@example.com", 4_000));
    assert_eq!(token.claims, claims);
    // A later failure keeps the token on screen.
    update(&mut app, finished(report(CheckId::IdToken, Status::Failed, "wrong password")));
    assert_eq!(app.token, Some(token));
    assert_eq!(app.results[&CheckId::IdToken].evidence, Evidence::None);
    let _ = Value::Null;
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Every check run once, as `R` leaves a lab where 5.2 holds and the rest fails.
fn all_run(app: &mut App) {
    for id in CheckId::ALL {
        let status = if id.step() == "5.2" { Status::Passed } else { Status::Failed };
        update(app, finished(report(id, status, "as it was")));
    }
}

#[test]
fn sign_up_that_failed_asks_for_the_password_again() {
    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), false, None);
    step_of(&mut app, "5.2");
    update(&mut app, ch('s'));
    update(&mut app, ch('y'));
    typed(&mut app, "abc");
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(matches!(effects.last(), Some(Effect::Start(Job::Solve(SolveAction::SignUp, _)))), "{effects:?}");
    let refused = Outcome::failed("InvalidPasswordException: Password did not conform with policy", "choose another");
    update(
        &mut app,
        Msg::Done(Box::new(JobDone { solved: Some((SolveAction::SignUp, Err(refused))), ..JobDone::default() })),
    );
    assert!(matches!(app.modal, Some(Modal::Message { .. })));
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, ch('s'));
    update(&mut app, ch('y'));
    assert!(matches!(app.modal, Some(Modal::Password { .. })), "asks again: {:?}", app.modal);
    // What is typed next goes into the prompt, not to the main screen as commands.
    typed(&mut app, "qR");
    assert!(!app.quit && !app.busy());
}

#[test]
fn a_solve_rechecks_its_step_and_the_checks_downstream_that_ran() {
    let mut app = fresh();
    all_run(&mut app);
    step_of(&mut app, "5.4");
    app.check = 1;
    update(&mut app, ch('s'));
    assert_eq!(app.modal, Some(Modal::Confirm(SolveAction::InvalidateCache)));
    let effects = update(&mut app, ch('y'));
    let expected = vec![
        CheckId::HeaderForwarded,
        CheckId::CacheInvalidated,
        CheckId::Unauthenticated401,
        CheckId::Authenticated200,
    ];
    assert_eq!(effects, vec![Effect::Start(Job::Solve(SolveAction::InvalidateCache, expected))]);
    // Downstream checks that never ran are not run behind the learner's back.
    let mut app = fresh();
    step_of(&mut app, "5.3");
    assert_eq!(app.after_solve(SolveAction::DeployApi), app.current_step().checks);
    // A new token re-checks the requests that use it.
    let mut app = fresh();
    all_run(&mut app);
    let effects = update(&mut app, ch('t'));
    assert_eq!(effects.last(), Some(&Effect::Start(Job::Token(vec![CheckId::Authenticated200]))));
}

#[test]
fn every_run_updates_last_run_and_says_what_it_checked() {
    let mut app = fresh();
    app.now_ms = 1_000;
    update(&mut app, ch('R'));
    all_run(&mut app);
    update(&mut app, done());
    assert_eq!(app.toast.as_ref().unwrap().text, "ran all 12 checks: 3 passed, 9 failed");
    // The same result again: "last run" moves on all the same.
    app.now_ms = 61_000;
    step_of(&mut app, "5.3");
    update(&mut app, ch('r'));
    for id in app.current_step().checks.clone() {
        update(&mut app, finished(report(id, Status::Failed, "as it was")));
    }
    update(&mut app, done());
    assert_eq!(app.results[&CheckId::ApiDeployed].finished_at, 61_000);
    assert_eq!(app.toast.as_ref().unwrap().text, "re-checked 5.3: 0 passed, 3 failed");
}

fn some_result() -> CheckResult {
    CheckResult {
        status: Status::Failed,
        summary: "not deployed".into(),
        hint: None,
        evidence: Evidence::None,
        duration_ms: 1,
        finished_at: 1,
        basis: None,
        stale: false,
    }
}

#[test]
fn y_in_the_evidence_copies_the_raw_token_or_a_curl_line() {
    let mut app = fresh();
    step_of(&mut app, "5.5");
    app.focus = Pane::Evidence;
    assert!(!app.applies(Action::Copy), "nothing to copy before a run");
    let mut unauthenticated = report(CheckId::Unauthenticated401, Status::Failed, "200 from the cache");
    unauthenticated.outcome.evidence = serde_json::from_value(json!({
        "url": "http://127.0.0.1:4567/?id=1", "status": 200, "latency_ms": 1, "token_sent": false,
        "headers": {}, "body": null
    }))
    .unwrap();
    update(&mut app, finished(unauthenticated));
    assert_eq!(
        update(&mut app, ch('y')),
        vec![Effect::CopyEvidence(Copyable::Curl { url: "http://127.0.0.1:4567/?id=1".into(), with_token: false })]
    );
    app.check = 1;
    app.token = Some(TokenView { username: "u".into(), header: Value::Null, claims: json!({}), expires_at: 1 });
    assert_eq!(update(&mut app, ch('y')), vec![Effect::CopyEvidence(Copyable::IdToken)]);
    assert!(app.toast.as_ref().unwrap().text.contains("raw ID token"));
}

#[test]
fn status_messages_fade_then_go() {
    let mut app = fresh();
    app.toast("ran all 12 checks");
    let toast = app.toast.clone().unwrap();
    assert!(!toast.fading(app.now_ms));
    assert_eq!(app.next_tick(), Some(Duration::from_millis(2000)), "wakes when it starts to fade");
    app.now_ms += 2000;
    update(&mut app, Msg::Tick);
    assert!(app.toast.as_ref().unwrap().fading(app.now_ms));
    app.now_ms += 1000;
    update(&mut app, Msg::Tick);
    assert!(app.toast.is_none());
}

#[test]
fn s_on_a_step_whose_console_steps_passed_says_so_instead_of_asking() {
    let mut app = fresh();
    step_of(&mut app, "5.3");
    for id in app.current_step().checks.clone() {
        update(&mut app, finished(report(id, Status::Passed, "done")));
    }
    assert!(update(&mut app, ch('s')).is_empty());
    assert_eq!(app.modal, None);
    assert_eq!(app.toast.as_ref().unwrap().text, "nothing to solve: the console steps of 5.3 have passed");
    assert!(!app.applies(Action::Solve), "the footer does not offer it");
}

#[test]
fn page_down_scrolls_the_step_text_within_what_it_holds() {
    let mut app = fresh();
    app.size = (80, 24);
    step_of(&mut app, "5.3");
    let limit = crate::tui::layout::scroll_limits(&app).text;
    assert!(limit > 0, "5.3's text does not fit at 80×24");
    for _ in 0..20 {
        update(&mut app, key(KeyCode::PageDown));
    }
    assert_eq!(app.scroll.text, limit);
    update(&mut app, key(KeyCode::PageUp));
    assert!(app.scroll.text < limit);
    update(&mut app, ch('j'));
    assert_eq!(app.scroll.text, 0, "a new step starts at its top");
}

#[test]
fn the_mouse_wheel_scrolls_the_pane_under_the_pointer_and_nothing_elsewhere() {
    let mut app = fresh();
    app.size = (80, 24);
    step_of(&mut app, "5.3");
    let areas = crate::tui::layout::areas(&app, ratatui::layout::Rect::new(0, 0, 80, 24));
    let wheel = |down: bool, area: ratatui::layout::Rect| Msg::Wheel { down, column: area.x + 1, row: area.y + 1 };
    let focus = app.focus;
    update(&mut app, wheel(true, areas.text));
    assert_eq!(app.scroll.text, 3, "three lines a notch");
    assert_eq!(app.focus, focus, "the wheel does not move the focus");
    for _ in 0..50 {
        update(&mut app, wheel(true, areas.text));
    }
    assert_eq!(app.scroll.text, crate::tui::layout::scroll_limits(&app).text, "within what it holds");
    update(&mut app, wheel(false, areas.text));
    assert!(app.scroll.text < crate::tui::layout::scroll_limits(&app).text);
    // Over the header nothing scrolls.
    let before = app.scroll;
    update(&mut app, wheel(true, areas.header));
    assert_eq!(app.scroll, before);
    // With help open, the wheel scrolls the help.
    update(&mut app, ch('?'));
    assert!(crate::tui::layout::modal_limit(&app) > 0, "help is longer than 80×24");
    update(&mut app, wheel(true, areas.text));
    assert_eq!(app.modal_scroll, 3);
    assert_eq!(app.scroll, before, "not the pane behind it");
}
