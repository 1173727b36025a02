//! A walkthrough state made of fixed data, for tests that draw it without a lab.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use serde_json::json;
use walab::checks::{Event, Evidence, Hint, Outcome, Remedy, Report, Status};
use walab::guide::{CheckId, Guide, SolveAction};
use walab::settings::{Field, Values};
use walab::target::TargetKind;
use walab::tui::Theme;
use walab::tui::app::{App, Header, Msg, update};

/// 2025-11-23 12:26:40 UTC.
pub const NOW_MS: i64 = 1_763_900_800_000;

pub fn values() -> Values {
    let mut values = Values::default();
    values.set(Field::UserPoolId, Some("us-east-1_AbCdEfGhI".into()));
    values.set(Field::AppClientId, Some("1example23456789abcdefghij".into()));
    values.set(Field::AppClientSecret, Some("s3cr3tvalue0123456789abcd".into()));
    values.set(Field::CloudFrontEndpoint, Some("http://127.0.0.1:4567/?id=1".into()));
    values.set(Field::ApiGatewayUrl, Some("http://127.0.0.1:4568/Dev/?id=1".into()));
    values
}

pub fn app() -> App {
    let header = Header {
        kind: TargetKind::Local,
        target: "local lab".into(),
        profile: None,
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        endpoint: None,
    };
    let mut app = App::new(Guide::load().unwrap(), header, Values::default(), true, None);
    app.signs_in = Some("learner@example.com".into());
    app.now_ms = NOW_MS;
    app
}

pub fn send(app: &mut App, msg: Msg) {
    update(app, msg);
}

pub fn finished(app: &mut App, id: CheckId, outcome: Outcome, duration_ms: u64) {
    send(
        app,
        Msg::Check(Event::Finished(Box::new(Report {
            id,
            step: id.step(),
            title: id.as_str().into(),
            outcome,
            duration_ms,
        }))),
    );
}

/// Evidence as JSON, read back as the typed evidence the view matches on.
pub fn evidence(json: serde_json::Value) -> Evidence {
    let evidence: Evidence = serde_json::from_value(json).unwrap();
    assert!(!matches!(evidence, Evidence::Other(_)), "{evidence:?}");
    evidence
}

pub fn select_step(app: &mut App, id: &str) {
    app.step = app.guide.steps.iter().position(|s| s.id == id).unwrap();
    app.check = 0;
}

/// The lab as a first `R` leaves it: 5.2 passes, the trap shows in 5.5.
pub fn after_first_run(app: &mut App) {
    app.values = values();
    let passed = |summary: &str| Outcome::passed(summary);
    finished(
        app,
        CheckId::StackOutputs,
        passed("both stacks found; recorded user-pool-id, app-client-id, cloudfront-endpoint, api-gateway-url"),
        17,
    );
    finished(app, CheckId::ClientSecret, passed("read from the app client and recorded"), 6);
    finished(app, CheckId::UserConfirmed, passed("learner@example.com is CONFIRMED"), 4);
    finished(
        app,
        CheckId::AuthorizerCreated,
        Outcome::failed(
            "wa-lab-rds-api has no Cognito authorizer",
            Hint::new("create one for the lab's pool").by(Remedy::Solve(SolveAction::CreateAuthorizer)),
        ),
        9,
    );
    finished(
        app,
        CheckId::Unauthenticated401,
        Outcome {
            status: Status::Failed,
            summary: "200 served from CloudFront's cache: an answer cached before the API was protected".into(),
            hint: Some(
                Hint::new("invalidate `/*` so CloudFront drops it").by(Remedy::Solve(SolveAction::InvalidateCache)),
            ),
            // As `walab check --json` prints it, read back as typed evidence.
            evidence: evidence(json!({
                "url": "http://127.0.0.1:4567/?id=1",
                "status": 200,
                "latency_ms": 3,
                "headers": {
                    "x_cache": "Hit from cloudfront",
                    "age": "2411",
                    "via": "1.1 0f3c9a.cloudfront.net (CloudFront)",
                    "content_type": "application/json"
                },
                "x_cache_means": "served from CloudFront's cache, without reaching the API",
                "token_sent": false,
                "body": [{"id": 1, "name": "Jane Doe", "city": "Seattle"}]
            })),
            found: None,
        },
        2,
    );
}

pub fn with_token(app: &mut App) {
    let claims = json!({
        "aud": "1example23456789abcdefghij",
        "cognito:username": "learner@example.com",
        "email": "learner@example.com",
        "exp": NOW_MS / 1000 + 3570,
        "iat": NOW_MS / 1000 - 30,
        "iss": "http://127.0.0.1:4566/us-east-1_AbCdEfGhI",
        "token_use": "id"
    });
    let header = json!({"alg": "RS256", "kid": "walab-1", "typ": "JWT"});
    finished(
        app,
        CheckId::IdToken,
        Outcome::passed("ID token for learner@example.com verified; valid for 59 more minutes")
            .with_evidence(evidence(json!({"header": header, "claims": claims}))),
        31,
    );
    app.token = Some(walab::tui::app::TokenView {
        username: "learner@example.com".into(),
        header,
        claims: claims.clone(),
        expires_at: claims["exp"].as_i64().unwrap(),
    });
}

pub fn render(app: &mut App, width: u16, height: u16, theme: &Theme) -> Buffer {
    send(app, Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| walab::tui::view::draw(frame, app, theme)).unwrap();
    terminal.backend().buffer().clone()
}

/// The text inside a pane's borders, row by row, trimmed.
pub fn pane_rows(buffer: &Buffer, area: ratatui::layout::Rect) -> Vec<String> {
    (area.top() + 1..area.bottom().saturating_sub(1))
        .map(|y| {
            (area.left() + 1..area.right().saturating_sub(1))
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect()
}
