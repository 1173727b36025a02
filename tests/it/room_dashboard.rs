//! `walab room`'s dashboard drawn on a `TestBackend`: a row per attendee with their checks, a
//! new snapshot changing the screen, sorting, the detail view, a too-small terminal, and no
//! colour under NO_COLOR. Also draws the README's picture of it (`assets/room.svg`);
//! `WALAB_UPDATE_SCREENSHOT=1 cargo test --test it room_dashboard::` writes it afresh.

use crate::common::svg;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use walab::guide::{CheckId, Guide};
use walab::locallab::room::api::{AttendeeProgress, Snapshot};
use walab::tui::{Theme, ThemeName};
use walab::workshop::dashboard::state::{Dashboard, Msg, update};
use walab::workshop::dashboard::view;

/// 2026-11-27 10:00:00 UTC.
const NOW_MS: i64 = 1_795_773_600_000;

fn attendee(name: &str, passed: &[CheckId], failed: &[CheckId], since_minutes: i64) -> AttendeeProgress {
    let checks = CheckId::ALL
        .iter()
        .map(|id| {
            let status = if passed.contains(id) {
                "passed"
            } else if failed.contains(id) {
                "failed"
            } else {
                "pending"
            };
            (id.as_str().to_string(), serde_json::json!(status))
        })
        .collect();
    let step = CheckId::ALL.iter().find(|id| !passed.contains(id)).map(|id| id.step()).unwrap_or("done");
    let since = aws_smithy_types::DateTime::from_millis(NOW_MS - since_minutes * 60_000)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    AttendeeProgress {
        name: name.into(),
        account_id: format!("{:012}", name.len() * 1_000_003),
        passed: passed.len(),
        checks,
        last_activity: since.clone(),
        step: step.into(),
        on_step_since: since,
        stuck: None,
        report_only: false,
        summaries: Default::default(),
    }
}

fn room() -> Snapshot {
    use CheckId::*;
    let first_three = [StackOutputs, ClientSecret, UserConfirmed];
    Snapshot {
        attendees: vec![
            attendee("Ada Lovelace", &CheckId::ALL, &[], 2),
            attendee(
                "Grace Hopper",
                &[StackOutputs, ClientSecret, AuthorizerCreated, MethodProtected],
                &[ApiDeployed],
                14,
            ),
            attendee("Linus", &[], &[], 25),
            attendee(
                "Margaret Hamilton",
                &[&first_three[..], &[AuthorizerCreated, MethodProtected, ApiDeployed, HeaderForwarded]].concat(),
                &[Unauthenticated401],
                6,
            ),
        ],
    }
}

fn dashboard() -> Dashboard {
    let mut app = Dashboard::new("http://192.168.1.20:4566");
    app.now_ms = NOW_MS;
    update(&mut app, Msg::Snapshot(Ok(room())));
    app
}

fn draw(app: &Dashboard, width: u16, height: u16, theme: &Theme) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| view::draw(frame, app, &Guide::load().unwrap(), theme)).unwrap();
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    walab::tui::view::buffer_text(buffer)
}

fn key(app: &mut Dashboard, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

#[test]
fn a_row_per_attendee_with_a_column_per_check() {
    let app = dashboard();
    let theme = Theme::new(ThemeName::Dark, false);
    let wide = text(&draw(&app, 170, 16, &theme));
    assert!(wide.contains("4 attendees, 1 done"), "{wide}");
    for name in ["Ada Lovelace", "Grace Hopper", "Linus", "Margaret Hamilton"] {
        assert!(wide.contains(name), "{name}\n{wide}");
    }
    // Least progress first: Linus, then Grace, then Margaret, then Ada.
    let order: Vec<usize> =
        ["Linus", "Grace Hopper", "Margaret Hamilton", "Ada Lovelace"].iter().map(|n| wide.find(n).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{wide}");
    assert!(wide.contains("✗ failed") && wide.contains("✓ passed") && wide.contains("○ pending"), "{wide}");
    assert!(wide.contains("14m"), "how long Grace has been on her step\n{wide}");

    // Narrower: glyphs under the checks' labels, then grouped by step; the legend says which is which.
    let medium = text(&draw(&app, 130, 16, &theme));
    assert!(medium.contains("authzr") && medium.matches("○ pending").count() == 1, "only the legend\n{medium}");
    let narrow = text(&draw(&app, 80, 16, &theme));
    assert!(narrow.contains("5.3 ✓✓✗"), "{narrow}");
    assert!(narrow.contains("✓ passed  ✗ failed  ! error  ○ pending"), "{narrow}");
    // Where the room stands, by step, and which row of how many is selected.
    assert!(
        wide.contains("1 at 5.2 · 1 at 5.3 · 1 at 5.4 · 1 done · row 1/4") || wide.contains(" done · row 1/4"),
        "{wide}"
    );
    let smallest = text(&draw(&app, 60, 12, &theme));
    assert!(smallest.contains("5.5 ○○○○"), "the last group still fits\n{smallest}");

    // The header is never cut mid-word: wide, it names the server and the sort order; at 80
    // columns the scheme and then the sort order give way, and the counts stay whole.
    assert!(
        wide.contains("walab room · http://192.168.1.20:4566 · 4 attendees, 1 done")
            && wide.contains("least progress first")
    );
    let header = narrow.lines().next().unwrap().trim_end();
    assert!(header.starts_with("walab room · 192.168.1.20:4566 · 4 attendees, 1 done · "), "{header}");
    assert!(header.ends_with("ago") || header.ends_with("for the room") || header.ends_with(" first"), "{header}");
}

#[test]
fn a_new_snapshot_changes_the_screen() {
    let mut app = dashboard();
    let theme = Theme::new(ThemeName::Dark, false);
    let before = text(&draw(&app, 120, 16, &theme));
    let mut later = room();
    later.attendees[2] = attendee("Linus", &[CheckId::StackOutputs, CheckId::ClientSecret], &[], 0);
    update(&mut app, Msg::Snapshot(Ok(later)));
    let after = text(&draw(&app, 120, 16, &theme));
    assert_ne!(before, after);
    assert!(after.contains(" 2/12"), "{after}");
    update(&mut app, Msg::Snapshot(Err("connection refused".into())));
    let failing = text(&draw(&app, 120, 16, &theme));
    assert!(failing.contains("not answering: connection refused") && failing.contains(" 2/12"), "{failing}");
}

#[test]
fn sorting_filtering_and_details() {
    let mut app = dashboard();
    let theme = Theme::new(ThemeName::Dark, false);
    key(&mut app, KeyCode::Char('s'));
    let stuck = text(&draw(&app, 120, 16, &theme));
    assert!(stuck.contains("longest stuck first"), "{stuck}");
    assert!(stuck.find("Linus").unwrap() < stuck.find("Grace Hopper").unwrap(), "Linus has waited longest\n{stuck}");
    key(&mut app, KeyCode::Char('/'));
    for c in "grace".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let detail = text(&draw(&app, 100, 20, &theme));
    assert!(detail.contains("Grace Hopper · account"), "{detail}");
    assert!(detail.contains("On step 5.2 for 14m"), "{detail}");
    assert!(detail.contains("✗ failed") && detail.contains("Deployed to stage Dev"), "{detail}");
}

#[test]
fn details_longer_than_the_screen_scroll_with_a_marker() {
    let theme = Theme::new(ThemeName::Dark, false);
    let mut app = Dashboard::new("http://192.168.1.20:4566");
    app.now_ms = NOW_MS;
    update(&mut app, Msg::Resize(80, 16));
    let mut linus = attendee("Linus", &[], &CheckId::ALL, 25);
    for id in CheckId::ALL {
        let why = format!(
            "{} has not passed: a summary long enough to take the whole width of the screen, and more",
            id.as_str()
        );
        linus.summaries.insert(id.as_str().to_string(), why);
    }
    update(&mut app, Msg::Snapshot(Ok(Snapshot { attendees: vec![linus] })));
    key(&mut app, KeyCode::Enter);
    let top = text(&draw(&app, 80, 16, &theme));
    assert!(top.contains("Linus · account") && top.contains("▼") && top.contains("more · PgDn"), "{top}");
    assert!(!top.contains("▲") && !top.contains("direct-api-blocked has not passed"), "{top}");
    assert!(top.contains("Esc back") && top.contains("scroll"), "the footer names the details' keys\n{top}");

    key(&mut app, KeyCode::Down);
    assert_eq!(app.detail_scroll, 1);
    let one = text(&draw(&app, 80, 16, &theme));
    assert!(one.contains("▲ 1 above") && !one.contains("Linus · account"), "{one}");
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.detail_scroll, 1 + 11, "a page is the 12 rows shown less one");

    key(&mut app, KeyCode::End);
    let end = text(&draw(&app, 80, 16, &theme));
    assert!(end.contains("direct-api-blocked has not passed") && end.contains("above"), "{end}");
    assert!(!end.contains("▼"), "nothing below the end\n{end}");
    let at_end = app.detail_scroll;
    for _ in 0..5 {
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.detail_scroll, at_end, "never past the end");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.detail_scroll, at_end - 1, "up from the end moves at once");
    key(&mut app, KeyCode::PageUp);
    key(&mut app, KeyCode::Home);
    assert_eq!(app.detail_scroll, 0);
    assert_eq!(text(&draw(&app, 80, 16, &theme)), top);

    // Back to the list and in again: the details start at their top; in the list the arrows
    // move the selection as before.
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Esc);
    assert!(!app.detail);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.detail_scroll, 0);
    // On a screen tall enough for all of it, nothing scrolls and no marker shows.
    update(&mut app, Msg::Resize(80, 60));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.detail_scroll, 0);
    let tall = text(&draw(&app, 80, 60, &theme));
    assert!(!tall.contains("▼") && !tall.contains("▲"), "{tall}");
}

#[test]
fn too_small_a_terminal_gets_one_line_and_no_colour_under_no_color() {
    let app = dashboard();
    let small = text(&draw(&app, 59, 11, &Theme::new(ThemeName::Dark, false)));
    assert!(small.starts_with("walab room needs at least 60×12 (this one is 59×11)"), "{small}");
    let plain = draw(&app, 170, 16, &Theme::new(ThemeName::Dark, true));
    let coloured = plain.content().iter().filter(|c| c.fg != Color::Reset || c.bg != Color::Reset).count();
    assert_eq!(coloured, 0, "NO_COLOR leaves every cell in the terminal's colours");
    assert!(text(&plain).contains("✗ failed"), "the status still reads as a word");
}

#[test]
fn the_readme_picture_is_drawn_by_the_dashboard_itself() {
    let mut app = dashboard();
    key(&mut app, KeyCode::Down);
    let picture = svg::svg(&draw(&app, 120, 14, &Theme::new(ThemeName::Dark, false)));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/room.svg");
    if std::env::var_os("WALAB_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(&path, &picture).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == picture,
        "assets/room.svg is out of date: WALAB_UPDATE_SCREENSHOT=1 cargo test --test it room_dashboard::"
    );
}
