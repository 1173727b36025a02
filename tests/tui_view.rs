//! The walkthrough drawn on a `TestBackend`: text snapshots at 120×40 and 80×24 (ids, times
//! and ports filtered), and the colours of status cells asserted directly.

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use support::*;
use walab::checks::Event;
use walab::guide::CheckId;
use walab::tui::app::{App, Msg, Pane};
use walab::tui::view::buffer_text;
use walab::tui::{Theme, ThemeName};

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

fn snapshot(name: &str, app: &mut App) {
    for (width, height) in SIZES {
        let text = buffer_text(&render(app, width, height, &Theme::dark()));
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"127\.0\.0\.1:\d{4,5}", "127.0.0.1:PORT");
        settings.add_filter(r"\d\d:\d\d:\d\dZ", "hh:mm:ssZ");
        settings.add_filter(r"account \d{12}", "account ACCOUNT");
        settings.set_snapshot_suffix(format!("{width}x{height}"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(name, text));
    }
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

#[test]
fn first_start() {
    snapshot("first_start", &mut app());
}

#[test]
fn a_running_check() {
    let mut app = app();
    after_first_run(&mut app);
    select_step(&mut app, "5.3");
    send(&mut app, key('r'));
    send(&mut app, Msg::Check(Event::Started(CheckId::AuthorizerCreated)));
    send(&mut app, Msg::Check(Event::Progress(CheckId::AuthorizerCreated, "listing the API's authorizers".into())));
    app.now_ms += 1_300;
    snapshot("running_check", &mut app);
}

#[test]
fn a_failed_check_with_its_diagnosis() {
    let mut app = app();
    after_first_run(&mut app);
    select_step(&mut app, "5.5");
    app.focus = Pane::Checks;
    snapshot("failed_check", &mut app);
}

#[test]
fn the_token_pane_counts_down() {
    let mut app = app();
    after_first_run(&mut app);
    with_token(&mut app);
    select_step(&mut app, "5.5");
    app.check = 1;
    app.focus = Pane::Evidence;
    snapshot("token_pane", &mut app);
    let text = buffer_text(&render(&mut app, 120, 40, &Theme::dark()));
    assert!(text.contains("expires in 59:30"), "{text}");
    app.now_ms += 61_000;
    let text = buffer_text(&render(&mut app, 120, 40, &Theme::dark()));
    assert!(text.contains("expires in 58:29"), "{text}");
}

#[test]
fn help() {
    let mut app = app();
    send(&mut app, key('?'));
    snapshot("help", &mut app);
}

#[test]
fn too_small_a_terminal_gets_a_notice_and_recovers() {
    let mut app = app();
    for (width, height) in [(59, 15), (40, 5)] {
        let text = buffer_text(&render(&mut app, width, height, &Theme::dark()));
        insta::assert_snapshot!(format!("too_small_{width}x{height}"), text);
    }
    let text = buffer_text(&render(&mut app, 60, 16, &Theme::dark()));
    assert!(!text.contains("needs at least") && text.contains("Steps"), "{text}");
}

/// The cell of the first `glyph` on the row whose text contains `row_has`.
fn status_cell<'a>(buffer: &'a Buffer, row_has: &str, glyph: &str) -> &'a ratatui::buffer::Cell {
    let text = buffer_text(buffer);
    let y = text.lines().position(|l| l.contains(row_has)).unwrap_or_else(|| panic!("no row with {row_has}"));
    let area = buffer.area;
    (area.left()..area.right())
        .map(|x| &buffer[(x, y as u16)])
        .find(|c| c.symbol() == glyph)
        .unwrap_or_else(|| panic!("no {glyph} on the row with {row_has}"))
}

#[test]
fn status_cells_carry_the_theme_colours() {
    let mut app = app();
    after_first_run(&mut app);
    select_step(&mut app, "5.5");
    let buffer = render(&mut app, 120, 40, &Theme::dark());
    assert_eq!(status_cell(&buffer, "unauthenticated-401", "✗").fg, Color::LightRed);
    assert_eq!(status_cell(&buffer, "5.2", "✓").fg, Color::Green);
    assert_eq!(status_cell(&buffer, "5.3", "✗").fg, Color::LightRed);
    assert_eq!(status_cell(&buffer, "id-token", "○").fg, Color::Gray);

    let light = render(&mut app, 120, 40, &Theme::new(ThemeName::Light, false));
    assert_eq!(status_cell(&light, "unauthenticated-401", "✗").fg, Color::Red);
    let contrast = render(&mut app, 120, 40, &Theme::new(ThemeName::HighContrast, false));
    assert_eq!(status_cell(&contrast, "5.2", "✓").fg, Color::LightGreen);
}

#[test]
fn no_color_drops_every_colour_but_keeps_the_words() {
    let mut app = app();
    after_first_run(&mut app);
    select_step(&mut app, "5.5");
    send(&mut app, key('y'));
    for theme in [Theme::new(ThemeName::Dark, true), Theme::new(ThemeName::HighContrast, true)] {
        let buffer = render(&mut app, 120, 40, &theme);
        for cell in buffer.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
        }
        let text = buffer_text(&buffer);
        assert!(text.contains("✗ failed") && text.contains("✓ passed"), "{text}");
    }
}

#[test]
fn no_theme_paints_the_background() {
    let mut app = app();
    after_first_run(&mut app);
    for name in [ThemeName::Dark, ThemeName::Light, ThemeName::HighContrast] {
        let buffer = render(&mut app, 120, 40, &Theme::new(name, false));
        assert!(buffer.content().iter().all(|c| c.bg == Color::Reset), "{name:?}");
    }
}

#[test]
fn the_secret_is_masked_until_revealed() {
    let mut app = app();
    app.values = values();
    let text = buffer_text(&render(&mut app, 120, 40, &Theme::dark()));
    assert!(text.contains("••••abcd") && !text.contains("s3cr3tvalue"), "{text}");
    send(&mut app, key('v'));
    let text = buffer_text(&render(&mut app, 120, 40, &Theme::dark()));
    assert!(text.contains("s3cr3tvalue0123456789abcd"), "{text}");
}
