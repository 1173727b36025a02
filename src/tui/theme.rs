//! Colours of the walkthrough: dark, light and high-contrast, and none at all under
//! `NO_COLOR`. No theme sets a background colour, so the terminal's own shows through.

use ratatui::style::{Color, Modifier, Style};

use super::app::Shown;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    HighContrast,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub passed: Style,
    pub failed: Style,
    pub running: Style,
    pub pending: Style,
    pub skipped: Style,
    pub text: Style,
    pub dim: Style,
    pub accent: Style,
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selected: Style,
    pub key: Style,
    pub key_off: Style,
    pub hint: Style,
    /// A status message in the footer, while it is fresh (it fades to `dim`).
    pub toast: Style,
    /// Inline `code` in the lab's text and hints.
    pub code: Style,
}

impl Theme {
    /// The theme asked for, or no colour at all when `no_color` (the `NO_COLOR` convention).
    pub fn new(name: ThemeName, no_color: bool) -> Theme {
        if no_color {
            return Theme::plain();
        }
        match name {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::HighContrast => Theme::high_contrast(),
        }
    }

    /// From the environment: `NO_COLOR` set to anything non-empty drops colour.
    pub fn from_env(name: ThemeName) -> Theme {
        Theme::new(name, std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()))
    }

    pub fn dark() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            passed: fg(Color::Green),
            failed: fg(Color::LightRed).add_modifier(Modifier::BOLD),
            running: fg(Color::Yellow),
            pending: fg(Color::Gray),
            skipped: fg(Color::DarkGray),
            text: Style::new(),
            dim: fg(Color::DarkGray),
            accent: fg(Color::Cyan),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: fg(Color::DarkGray),
            border_focused: fg(Color::Cyan),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            key: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            key_off: fg(Color::DarkGray),
            hint: fg(Color::Cyan),
            toast: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            code: fg(Color::LightYellow),
        }
    }

    pub fn light() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            passed: fg(Color::Green),
            failed: fg(Color::Red).add_modifier(Modifier::BOLD),
            running: fg(Color::Magenta),
            pending: fg(Color::DarkGray),
            skipped: fg(Color::Gray),
            text: Style::new(),
            dim: fg(Color::DarkGray),
            accent: fg(Color::Blue),
            title: fg(Color::Blue).add_modifier(Modifier::BOLD),
            border: fg(Color::Gray),
            border_focused: fg(Color::Blue),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            key: fg(Color::Blue).add_modifier(Modifier::BOLD),
            key_off: fg(Color::Gray),
            hint: fg(Color::Blue),
            toast: fg(Color::Blue).add_modifier(Modifier::BOLD),
            code: fg(Color::Magenta),
        }
    }

    pub fn high_contrast() -> Theme {
        let fg = |c| Style::new().fg(c).add_modifier(Modifier::BOLD);
        Theme {
            passed: fg(Color::LightGreen),
            failed: fg(Color::LightRed).add_modifier(Modifier::UNDERLINED),
            running: fg(Color::LightYellow),
            pending: fg(Color::White),
            skipped: fg(Color::White),
            text: Style::new().fg(Color::White),
            dim: Style::new().fg(Color::White),
            accent: fg(Color::LightCyan),
            title: fg(Color::White).add_modifier(Modifier::UNDERLINED),
            border: Style::new().fg(Color::White),
            border_focused: fg(Color::LightYellow),
            selected: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            key: fg(Color::LightYellow),
            key_off: Style::new().fg(Color::Gray).add_modifier(Modifier::DIM),
            hint: fg(Color::LightCyan),
            toast: fg(Color::LightCyan),
            code: fg(Color::LightYellow),
        }
    }

    /// No colour: emphasis by weight only, so it reads on any terminal.
    pub fn plain() -> Theme {
        let none = Style::new();
        Theme {
            passed: none,
            failed: none.add_modifier(Modifier::BOLD),
            running: none,
            pending: none,
            skipped: none,
            text: none,
            dim: none,
            accent: none,
            title: none.add_modifier(Modifier::BOLD),
            border: none,
            border_focused: none.add_modifier(Modifier::BOLD),
            selected: none.add_modifier(Modifier::REVERSED),
            key: none.add_modifier(Modifier::BOLD),
            key_off: none.add_modifier(Modifier::DIM),
            hint: none,
            toast: none.add_modifier(Modifier::BOLD),
            code: none.add_modifier(Modifier::BOLD),
        }
    }

    pub fn status(&self, shown: Shown) -> Style {
        match shown {
            Shown::Passed => self.passed,
            Shown::Failed | Shown::Error => self.failed,
            Shown::Running => self.running,
            Shown::Pending => self.pending,
            Shown::Skipped | Shown::Stale => self.skipped,
        }
    }
}
