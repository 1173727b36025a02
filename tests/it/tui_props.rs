//! Whatever is typed, whatever the terminal's size (1×1 to 300×100), and whatever work
//! reports back in between, `update` and `view` never panic.

use crate::common::walkthrough::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use walab::checks::{Event, Evidence, Found, Hint, Outcome, Remedy, Report, Status};
use walab::guide::CheckId;
use walab::guide::SolveAction;
use walab::secret::Secret;
use walab::settings::Field;
use walab::tui::app::{JobDone, Msg};
use walab::tui::{Theme, ThemeName};

fn key() -> impl Strategy<Value = KeyEvent> {
    let code = prop_oneof![
        prop::sample::select(vec![
            'j', 'k', 'r', 'R', 's', 'e', 'y', 'Y', 'v', 't', '?', 'q', 'n', 'x', '1', '_', 'é', '•'
        ])
        .prop_map(KeyCode::Char),
        prop::sample::select(vec![
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Backspace,
            KeyCode::F(1),
        ]),
    ];
    let modifiers = prop::sample::select(vec![KeyModifiers::NONE, KeyModifiers::SHIFT, KeyModifiers::CONTROL]);
    (code, modifiers).prop_map(|(code, modifiers)| KeyEvent::new(code, modifiers))
}

fn check() -> impl Strategy<Value = CheckId> {
    prop::sample::select(CheckId::ALL.to_vec())
}

fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(vec![Status::Passed, Status::Failed, Status::Skipped, Status::Error])
}

/// Every kind of evidence the view draws, filled with `text`.
fn evidence(kind: u8, text: &str) -> Evidence {
    let json = match kind % 5 {
        0 => serde_json::json!({
            "url": "http://127.0.0.1:1/?id=1", "status": 200, "latency_ms": 1, "token_sent": false,
            "headers": {"x_cache": text}, "x_cache_means": text, "body": text,
        }),
        1 => serde_json::json!({
            "distribution": text, "behaviour_changed": text,
            "invalidations": [{"id": "I1", "status": text, "created": text, "paths": ["/*"]}],
        }),
        2 => serde_json::json!({"claims": {"exp": -5, "cognito:username": text}, "header": null}),
        3 => serde_json::json!({
            "url": "http://127.0.0.1:1/?id=1", "status": 200, "headers": {"x_cache": text},
            "body": text, "invalidations": [{"id": "I1", "status": "InProgress", "paths": ["/*"]}],
            "claims": {"exp": -5}, "header": null,
        }),
        _ => serde_json::Value::Null,
    };
    serde_json::from_value(json).unwrap()
}

fn report(id: CheckId, status: Status, summary: String, kind: u8) -> Report {
    let found = match kind % 3 {
        0 => Some(Found::Outputs(vec![(Field::CloudFrontEndpoint, format!("http://127.0.0.1:{kind}/?id=1"))])),
        1 => Some(Found::ClientSecret(Secret::new(summary.clone()))),
        _ => None,
    };
    Report {
        id,
        step: id.step(),
        title: id.as_str().into(),
        outcome: Outcome {
            status,
            summary: summary.clone(),
            hint: Some(Hint::new(summary.clone()).by(Remedy::Solve(SolveAction::DeployApi))),
            evidence: evidence(kind, &summary),
            found,
        },
        duration_ms: 7,
    }
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        6 => key().prop_map(Msg::Key),
        1 => (1u16..=300, 1u16..=100).prop_map(|(w, h)| Msg::Resize(w, h)),
        1 => Just(Msg::Tick),
        1 => check().prop_map(|id| Msg::Check(Event::Started(id))),
        1 => (check(), ".{0,80}").prop_map(|(id, text)| Msg::Check(Event::Progress(id, text))),
        1 => (check(), status(), ".{0,200}", any::<u8>())
            .prop_map(|(id, s, text, kind)| Msg::Check(Event::Finished(Box::new(report(id, s, text, kind))))),
        1 => any::<bool>().prop_map(|cancelled| Msg::Done(Box::new(JobDone { cancelled, ..JobDone::default() }))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(
        msgs in prop::collection::vec(msg(), 0..40),
        width in 1u16..=300,
        height in 1u16..=100,
        no_color in any::<bool>(),
        clock in -1_000i64..10_000_000_000_000,
    ) {
        let theme = Theme::new(ThemeName::Dark, no_color);
        let mut app = app();
        app.now_ms = clock;
        render(&mut app, width, height, &theme);
        for msg in msgs {
            let size = match &msg {
                Msg::Resize(w, h) => (*w, *h),
                _ => app.size,
            };
            send(&mut app, msg);
            app.now_ms += 137;
            render(&mut app, size.0, size.1, &theme);
            let _ = app.next_tick();
        }
    }
}
