//! The walkthrough drawn on a `TestBackend`: text snapshots at 120×40, 80×24 and 60×16 (ids,
//! times and ports filtered), each checked for text cut without a marker; the colours of status
//! cells asserted directly; hints in the walkthrough's own keys, never a shell command.

use crate::common::walkthrough::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use walab::checks::Event;
use walab::guide::CheckId;
use walab::tui::app::{App, Msg, Pane};
use walab::tui::view::buffer_text;
use walab::tui::{Theme, ThemeName};

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (60, 16)];

/// Nothing on `screen` is cut without saying so: every recorded value is whole or ends in `…`
/// (the focused one whole), and the step's text either ends on screen or its pane says how
/// much more there is.
fn assert_nothing_cut_silently(app: &App, screen: &str) {
    let flat: String = screen.lines().map(|l| l.trim_matches(|c: char| "│┃╭╮╰╯┏┓┗┛ ".contains(c))).collect();
    for key in walab::tui::app::VALUE_KEYS {
        let shown = if key.is_secret() && app.revealed {
            app.values.get(key).map(String::from)
        } else {
            app.values.display(key)
        };
        let Some(value) = shown else { continue };
        let whole = flat.contains(&value);
        let chars: Vec<char> = value.chars().collect();
        let marked = (4..chars.len()).any(|n| screen.contains(&format!("{}…", chars[..n].iter().collect::<String>())));
        // Cut in the middle: what is before `…` is in the value, what follows ends it.
        let elided = screen.split(|c: char| c.is_whitespace() || "│┃".contains(c)).any(|word| {
            word.split_once('…').is_some_and(|(head, tail)| {
                !head.is_empty() && tail.chars().count() >= 4 && value.contains(head) && value.ends_with(tail)
            })
        });
        // A URL shown without its scheme (as browsers do) when that is what fits.
        let schemeless = value.split_once("://").is_some_and(|(_, rest)| flat.contains(rest));
        // Whole, in pieces on the rows of the left-hand column (the focused value).
        let left: String = screen.lines().map(|l| l.split(['│', '┃']).nth(1).unwrap_or("").trim()).collect();
        let marked = marked || elided || schemeless || left.contains(&value);
        // A value scrolled out of sight: the values pane says there is more.
        let scrolled = screen.lines().any(|l| l.contains("more · ↑↓") || l.contains("┏ Values ━━━ ▲"));
        assert!(
            whole || marked || scrolled || app.modal.is_some(),
            "{key:?} = {value} cut without a marker:\n{screen}"
        );
    }
    let step = app.current_step();
    let last = step.solves.last().map(|a| a.as_str().to_string()).or_else(|| {
        step.console
            .clone()
            .or_else(|| step.paragraphs.last().cloned())
            .map(|t| t.split_whitespace().last().unwrap_or_default().trim_matches('`').to_string())
    });
    if let Some(last) = last
        && app.modal.is_none()
    {
        assert!(flat.contains(&last) || screen.contains("more"), "the step's text ends unseen, unmarked:\n{screen}");
    }
}

fn snapshot(name: &str, app: &mut App) {
    snapshot_at(name, app, &SIZES);
}

/// Each step after the first run, with the checks focused, at a projector's size, a laptop's
/// and a large terminal's.
#[test]
fn each_step() {
    let mut app = app();
    after_first_run(&mut app);
    app.focus = Pane::Checks;
    for step in ["5.1", "5.2", "5.3", "5.4", "5.5", "teardown"] {
        select_step(&mut app, step);
        snapshot_at(&format!("step_{step}"), &mut app, &[(80, 24), (100, 30), (120, 40)]);
    }
}

fn snapshot_at(name: &str, app: &mut App, sizes: &[(u16, u16)]) {
    for &(width, height) in sizes {
        let text = buffer_text(&render(app, width, height, &Theme::dark()));
        assert_nothing_cut_silently(app, &text);
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

#[test]
fn a_long_step_scrolls_and_says_so() {
    let mut app = app();
    after_first_run(&mut app);
    select_step(&mut app, "5.3");
    snapshot("long_step", &mut app);
    let text = buffer_text(&render(&mut app, 80, 24, &Theme::dark()));
    assert!(text.contains("more · PgDn"), "{text}");
    for _ in 0..10 {
        send(&mut app, Msg::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)));
    }
    let text = buffer_text(&render(&mut app, 80, 24, &Theme::dark()));
    assert!(text.contains("deploy-api") && text.contains("above"), "scrolled to its end:\n{text}");
}

#[test]
fn the_focused_value_and_a_revealed_secret_show_whole() {
    let mut app = app();
    after_first_run(&mut app);
    app.focus = Pane::Values;
    send(&mut app, key('v'));
    for (width, height) in SIZES {
        for value in 0..6 {
            app.value = value;
            let buffer = render(&mut app, width, height, &Theme::dark());
            let text = buffer_text(&buffer);
            let areas = walab::tui::layout::areas(&app, buffer.area);
            let flat: String = pane_rows(&buffer, areas.values).concat();
            let key = walab::tui::app::VALUE_KEYS[value];
            let whole = app.values.get(key).unwrap_or("learner@example.com").to_string();
            assert!(flat.contains(&whole), "{key:?} at {width}×{height}:\n{text}");
            let secret_whole = flat.contains("s3cr3tvalue0123456789abcd");
            let scrolled_away = value != 2 && text.contains("more · ↑↓");
            assert!(secret_whole || scrolled_away, "the revealed secret, whole or marked:\n{text}");
        }
    }
    snapshot("values_focused", &mut app);
}

#[test]
fn hints_in_the_walkthrough_name_its_keys_not_shell_commands() {
    let guide = walab::guide::Guide::load().unwrap();
    for id in CheckId::ALL {
        let text = guide.check_text(id);
        let mut app = app();
        after_first_run(&mut app);
        let hint = walab::checks::Hint { text: text.hint.clone(), action: text.action };
        finished(&mut app, id, walab::checks::Outcome::failed("seen", hint), 1);
        app.results.retain(|&k, _| k == id);
        select_step(&mut app, id.step());
        app.check = app.current_step().checks.iter().position(|&c| c == id).unwrap();
        for (width, height) in SIZES {
            for focus in [Pane::Checks, Pane::Evidence] {
                app.focus = focus;
                let screen = buffer_text(&render(&mut app, width, height, &Theme::dark()));
                for shell in ["walab solve", "walab config", "walab token", "WALAB_", "`", "$("] {
                    assert!(!screen.contains(shell), "{id}: {shell:?} on screen:\n{screen}");
                }
            }
        }
    }
    // Every action a hint can name, in the walkthrough's words.
    let app = app();
    for remedy in walab::guide::SolveAction::ALL
        .map(walab::checks::Remedy::Solve)
        .into_iter()
        .chain(walab::settings::Field::ALL.map(walab::checks::Remedy::Record))
        .chain([walab::checks::Remedy::GetToken, walab::checks::Remedy::Password])
    {
        let words = walab::tui::content::remedy_words(&app, remedy);
        assert!(words.starts_with("press ") || words.starts_with("on step "), "{words}");
        assert!(!words.contains("walab"), "{words}");
    }
}

#[test]
fn the_header_shows_a_local_endpoint_and_truncates_cleanly() {
    let mut app = app();
    app.header.kind = walab::target::TargetKind::Aws;
    app.header.profile = None;
    app.header.account = None;
    app.header.endpoint = Some("http://127.0.0.1:4566".into());
    for (width, height) in SIZES {
        let text = buffer_text(&render(&mut app, width, height, &Theme::dark()));
        let header = text.lines().next().unwrap();
        assert!(header.contains("endpoint http://127.0.0.1:4566"), "{header}");
        assert!(header.contains('…') || header.contains("Cognito in front of the API"), "{header}");
        assert!(!header.contains("API·") && !header.contains("of the APIAWS"), "run together: {header}");
    }
}

#[test]
fn the_footer_keeps_its_keys_and_the_status_has_the_top_line() {
    let mut app = app();
    after_first_run(&mut app);
    select_step(&mut app, "5.3");
    app.toast = Some(walab::tui::app::Toast {
        text: "create-authorizer done · re-checked 5.3: 1 passed, 2 failed".into(),
        until_ms: NOW_MS + 3000,
    });
    for (width, height) in SIZES {
        let text = buffer_text(&render(&mut app, width, height, &Theme::dark()));
        let footer = text.lines().last().unwrap();
        for key in ["↑↓ move", "Tab pane", "s solve", "? help", "q quit"] {
            assert!(footer.contains(key), "{key} at {width}×{height}: {footer}");
        }
        let top = text.lines().next().unwrap();
        assert!(top.contains("create-authorizer done · re-checked"), "{top}");
        // The status never covers a pane's border.
        assert!(!text.lines().skip(1).any(|l| l.contains("re-checked 5.3")), "{text}");
    }
    // In the values, the keys that act on a value come before the rest.
    app.toast = None;
    app.focus = Pane::Values;
    let text = buffer_text(&render(&mut app, 80, 24, &Theme::dark()));
    let footer = text.lines().last().unwrap();
    for key in ["e edit", "y copy", "Y export", "? help", "q quit"] {
        assert!(footer.contains(key), "{key}: {footer}");
    }
}

/// At 80×24, every step shows all its checks with their status, at least four lines of
/// evidence, and the values pane no taller than its rows.
#[test]
fn at_80x24_each_step_shows_its_checks_and_evidence() {
    let mut app = app();
    after_first_run(&mut app);
    for step in ["5.2", "5.3", "5.4", "5.5", "teardown"] {
        select_step(&mut app, step);
        for pane in [Pane::Steps, Pane::Checks, Pane::Evidence, Pane::Values] {
            app.focus = pane;
            let buffer = render(&mut app, 80, 24, &Theme::dark());
            let text = buffer_text(&buffer);
            for id in app.current_step().checks.clone() {
                let shown = app.shown(id);
                let row = format!("{} {:<7} {}", shown.glyph(0), shown.word(), id.as_str());
                assert!(text.contains(&row), "{step} {pane:?}: {row} not on screen:\n{text}");
            }
            let areas = walab::tui::layout::areas(&app, buffer.area);
            assert!(areas.evidence.height >= 6, "{step} {pane:?}: evidence {}:\n{text}", areas.evidence.height);
            if pane != Pane::Values {
                assert!(areas.values.height <= 8, "{step} {pane:?}: values {}", areas.values.height);
            }
        }
    }
}

#[test]
fn clean_up_asks_for_the_stacks_name_on_aws_and_offers_a_start_over_on_the_local_lab() {
    let mut app = app();
    app.header.kind = walab::target::TargetKind::Aws;
    app.header.target = "aws (default profile)".into();
    select_step(&mut app, "teardown");
    send(&mut app, key('s'));
    for c in "walab".chars() {
        send(&mut app, key(c));
    }
    for (width, height) in SIZES {
        let text = buffer_text(&render(&mut app, width, height, &Theme::dark()));
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("Solve: teardown") && text.contains("> walab"), "{text}");
        if width >= 80 {
            assert!(flat.contains("Type walab-cdn-waf-cognito to go ahead"), "{text}");
        }
    }

    let mut app = crate::common::walkthrough::app();
    app.owns_lab = true;
    for id in [CheckId::StackCdnDeleted, CheckId::StackApiDeleted] {
        finished(&mut app, id, walab::checks::Outcome::passed("deleted"), 3);
    }
    let text = buffer_text(&render(&mut app, 80, 24, &Theme::dark()));
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Start over") && flat.contains("stacks are deleted"), "{text}");
    assert!(flat.contains("y start over"), "{text}");
}
