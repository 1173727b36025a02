//! The README's screenshot, drawn by the walkthrough's own view on a `TestBackend` from fixed
//! data: `assets/walkthrough.svg` (with the dark theme's colours) and `assets/walkthrough.txt`.
//! The test fails when they are stale; `WALAB_UPDATE_SCREENSHOT=1 cargo test --test it screenshot::`
//! writes them afresh.

use crate::common::svg;

use crate::common::walkthrough::*;
use walab::tui::Theme;
use walab::tui::app::Pane;
use walab::tui::view::buffer_text;

#[test]
fn the_readme_screenshot_is_current() {
    let mut app = app();
    after_first_run(&mut app);
    select_step(&mut app, "5.5");
    app.focus = Pane::Checks;
    let buffer = render(&mut app, 120, 40, &Theme::dark());
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let files = [("walkthrough.svg", svg::svg(&buffer)), ("walkthrough.txt", buffer_text(&buffer))];
    if std::env::var_os("WALAB_UPDATE_SCREENSHOT").is_some() {
        for (name, content) in &files {
            std::fs::write(assets.join(name), content).unwrap();
        }
    }
    for (name, content) in &files {
        let stored = std::fs::read_to_string(assets.join(name)).unwrap_or_default();
        assert!(
            &stored == content,
            "assets/{name} is stale: WALAB_UPDATE_SCREENSHOT=1 cargo test --test it screenshot:: writes it afresh"
        );
    }
}

#[test]
fn the_readme_lists_the_keys_of_the_key_table() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = walab::tui::keymap::markdown_table();
    assert!(readme.contains(&table), "README.md should hold the key table:\n{table}");
    assert!(readme.contains("assets/walkthrough.svg"));
}
