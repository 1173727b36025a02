//! The values pane: editing a value (checked as it is typed, against the lab's shapes), the
//! masked secret, copying, and the checks an edit makes stale and runs again.

use super::*;

#[test]
fn edit_refuses_a_malformed_pool_id_with_the_reason_then_records_a_good_one() {
    let mut app = fresh();
    app.values.set(Field::UserPoolId, Some("us-east-1_Old".into()));
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Tab));
    }
    assert_eq!(app.focus, Pane::Values);
    assert!(update(&mut app, ch('e')).is_empty());
    assert!(
        matches!(&app.modal, Some(Modal::Edit { key: Field::UserPoolId, input, .. }) if input.value() == "us-east-1_Old")
    );
    for _ in 0.."us-east-1_Old".len() {
        update(&mut app, key(KeyCode::Backspace));
    }
    typed(&mut app, "AbCdEf");
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    let Some(Modal::Edit { error: Some(error), .. }) = &app.modal else { panic!("refused: {:?}", app.modal) };
    assert!(error.contains("<region>_<id>"), "{error}");
    for _ in 0.."AbCdEf".len() {
        update(&mut app, key(KeyCode::Backspace));
    }
    // Shaped like an id, but not like the lab's (9 letters and digits after `_`).
    typed(&mut app, "eu-west-1_AbCdEf");
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    let Some(Modal::Edit { error: Some(error), .. }) = &app.modal else { panic!("refused: {:?}", app.modal) };
    assert!(error.contains("9 letters and digits"), "{error}");
    typed(&mut app, "GhI");
    assert_eq!(
        update(&mut app, key(KeyCode::Enter)),
        vec![Effect::SetValue(Field::UserPoolId, "eu-west-1_AbCdEfGhI".into())]
    );
    assert_eq!(app.modal, None);
    assert_eq!(app.values.user_pool_id.as_deref(), Some("eu-west-1_AbCdEfGhI"));

    // Another user signs in from now on: `t` asks for their password.
    assert!(app.password_known);
    app.value = 3;
    update(&mut app, ch('e'));
    typed(&mut app, "someone@example.com");
    assert_eq!(
        update(&mut app, key(KeyCode::Enter)),
        vec![Effect::SetValue(Field::Username, "someone@example.com".into())]
    );
    assert!(!app.password_known);
}

#[test]
fn the_secret_is_masked_until_revealed_and_typed_afresh_when_edited() {
    let mut app = fresh();
    app.values.set(Field::AppClientSecret, Some("abcdefghijklmnop1234".into()));
    app.focus = Pane::Values;
    app.value = 2;
    assert!(!app.revealed);
    update(&mut app, key(KeyCode::Enter));
    assert!(app.revealed, "Enter on the secret reveals it");
    update(&mut app, ch('v'));
    assert!(!app.revealed);
    update(&mut app, ch('e'));
    assert!(matches!(&app.modal, Some(Modal::Edit { input, .. }) if input.value().is_empty()));
    assert!(!format!("{:?}", app.modal).contains("abcdefgh"));
}

#[test]
fn copy_says_so_and_copies_the_value_or_an_export_line() {
    let mut app = fresh();
    app.focus = Pane::Values;
    assert!(!app.applies(Action::Copy), "nothing recorded to copy");
    app.values.set(Field::UserPoolId, Some("us-east-1_AbC".into()));
    assert_eq!(update(&mut app, ch('y')), vec![Effect::Copy("us-east-1_AbC".into())]);
    assert_eq!(app.toast.as_ref().unwrap().text, "copied user pool id");
    assert_eq!(update(&mut app, ch('Y')), vec![Effect::Copy("export USER_POOL_ID='us-east-1_AbC'".into())]);
    assert_eq!(export_line(Field::Username, "o'neil"), r"export WALAB_USERNAME='o'\''neil'");
}

#[test]
fn the_edit_field_moves_deletes_and_checks_as_you_type() {
    let mut app = fresh();
    app.focus = Pane::Values;
    app.value = 3;
    update(&mut app, ch('e'));
    typed(&mut app, "me@example.com");
    update(&mut app, ctrl('w'));
    let Some(Modal::Edit { input, .. }) = &app.modal else { panic!() };
    assert_eq!(input.value(), "me@", "Ctrl-W deletes words, not typing w");
    update(&mut app, ctrl('u'));
    typed(&mut app, "ab");
    update(&mut app, key(KeyCode::Home));
    typed(&mut app, "x");
    update(&mut app, key(KeyCode::End));
    update(&mut app, key(KeyCode::Left));
    typed(&mut app, "y");
    let Some(Modal::Edit { input, .. }) = &app.modal else { panic!() };
    assert_eq!((input.value(), input.cursor()), ("xayb", 3));
    update(&mut app, Msg::Paste("@example.com\n".into()));
    let Some(Modal::Edit { input, .. }) = &app.modal else { panic!() };
    assert_eq!(input.value(), "xay@example.comb", "pasted at the cursor, line breaks dropped");

    // A pool id is checked as it is typed.
    update(&mut app, key(KeyCode::Esc));
    app.value = 0;
    update(&mut app, ch('e'));
    typed(&mut app, "us-east-1");
    assert!(matches!(&app.modal, Some(Modal::Edit { error: Some(e), .. }) if e.contains("<region>_<id>")));
    typed(&mut app, "_abc");
    assert!(matches!(&app.modal, Some(Modal::Edit { error: Some(e), .. }) if e.contains("9 letters")));
    typed(&mut app, "defghi");
    assert!(matches!(&app.modal, Some(Modal::Edit { error: None, .. })));
    // One the next run would replace with the stack's is refused, and says why.
    app.from_lab.set(Field::UserPoolId, Some("us-east-1_CPRNUgSOx".into()));
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    let Some(Modal::Edit { error: Some(error), .. }) = &app.modal else { panic!("{:?}", app.modal) };
    assert!(error.contains("us-east-1_CPRNUgSOx") && error.contains("next run"), "{error}");
}

#[test]
fn an_edit_rechecks_what_uses_the_value() {
    let mut app = fresh();
    all_run(&mut app);
    app.focus = Pane::Values;
    app.value = 4;
    update(&mut app, ch('e'));
    update(&mut app, ctrl('u'));
    typed(&mut app, "http://127.0.0.1:4567/?id=1");
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![
            Effect::SetValue(Field::CloudFrontEndpoint, "http://127.0.0.1:4567/?id=1".into()),
            Effect::Start(Job::Checks(vec![
                CheckId::HeaderForwarded,
                CheckId::CacheInvalidated,
                CheckId::Unauthenticated401,
                CheckId::Authenticated200
            ])),
        ]
    );
    // Until they run again, what used the old value is stale, and what did not is not.
    assert!(app.results[&CheckId::Authenticated200].stale);
    assert!(!app.results[&CheckId::DirectApiBlocked].stale);
}
