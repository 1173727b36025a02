//! The walkthrough's one key table (DESIGN.md, "Keys of the walkthrough"): it drives key
//! dispatch, the footer and the help screen, so the three can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    NextPane,
    Act,
    RunStep,
    RunAll,
    Solve,
    Edit,
    Copy,
    CopyExport,
    Reveal,
    Token,
    PageUp,
    PageDown,
    StartOver,
    Help,
    Back,
    Quit,
}

/// One key the walkthrough listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode),
    /// A character, whatever the Shift state (`R` arrives as Shift+R).
    Char(char),
    Ctrl(char),
}

impl Key {
    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Code(code) => event.code == code && !ctrl,
            Key::Char(c) => event.code == KeyCode::Char(c) && !ctrl && !event.modifiers.contains(KeyModifiers::ALT),
            Key::Ctrl(c) => ctrl && event.code == KeyCode::Char(c),
        }
    }
}

/// A row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub action: Action,
    pub keys: &'static [Key],
    /// How the keys are written on screen.
    pub label: &'static str,
    /// A word or two for the footer.
    pub short: &'static str,
    /// A sentence for the help screen.
    pub long: &'static str,
}

pub const KEYS: &[Binding] = &[
    Binding {
        action: Action::Up,
        keys: &[Key::Code(KeyCode::Up), Key::Char('k')],
        label: "↑k",
        short: "up",
        long: "previous step (or check, or value, in the focused pane)",
    },
    Binding {
        action: Action::Down,
        keys: &[Key::Code(KeyCode::Down), Key::Char('j')],
        label: "↓j",
        short: "down",
        long: "next step (or check, or value, in the focused pane)",
    },
    Binding {
        action: Action::NextPane,
        keys: &[Key::Code(KeyCode::Tab), Key::Code(KeyCode::BackTab)],
        label: "Tab",
        short: "pane",
        long: "next pane: steps, checks, evidence, values",
    },
    Binding {
        action: Action::Act,
        keys: &[Key::Code(KeyCode::Enter)],
        label: "↵",
        short: "act",
        long: "act on the focused item: open a step's checks, run a check, reveal or edit a value",
    },
    Binding {
        action: Action::RunStep,
        keys: &[Key::Char('r')],
        label: "r",
        short: "run",
        long: "run this step's checks",
    },
    Binding {
        action: Action::RunAll,
        keys: &[Key::Char('R')],
        label: "R",
        short: "all",
        long: "run every check of section 5, in order",
    },
    Binding {
        action: Action::Solve,
        keys: &[Key::Char('s')],
        label: "s",
        short: "solve",
        long: "do this console step through the API (says what will change and asks first)",
    },
    Binding {
        action: Action::Edit,
        keys: &[Key::Char('e')],
        label: "e",
        short: "edit",
        long: "edit the focused value: ←→ Home End move, Ctrl-U Ctrl-W delete, paste works; checked as you type",
    },
    Binding {
        action: Action::Copy,
        keys: &[Key::Char('y')],
        label: "y",
        short: "copy",
        long: "copy the focused value, or in the evidence the raw ID token or a curl line that repeats the request (OSC 52: works over SSH too)",
    },
    Binding {
        action: Action::CopyExport,
        keys: &[Key::Char('Y')],
        label: "Y",
        short: "export",
        long: "copy the focused value as a shell line: export VAR=…",
    },
    Binding {
        action: Action::Reveal,
        keys: &[Key::Char('v')],
        label: "v",
        short: "reveal",
        long: "show or hide the app client secret",
    },
    Binding {
        action: Action::Token,
        keys: &[Key::Char('t')],
        label: "t",
        short: "token",
        long: "sign in and get a new ID token (asks for the password when walab does not know it)",
    },
    Binding {
        action: Action::PageUp,
        keys: &[Key::Code(KeyCode::PageUp)],
        label: "PgUp",
        short: "page up",
        long: "scroll the focused pane up (on the steps: the step's text)",
    },
    Binding {
        action: Action::PageDown,
        keys: &[Key::Code(KeyCode::PageDown)],
        label: "PgDn",
        short: "page down",
        long: "scroll the focused pane down (on the steps: the step's text)",
    },
    Binding {
        action: Action::StartOver,
        keys: &[Key::Char('O')],
        label: "O",
        short: "start over",
        long: "start the section over (asks first): progress forgotten, and the local lab set back to where section 5 begins",
    },
    Binding {
        action: Action::Help,
        keys: &[Key::Char('?')],
        label: "?",
        short: "help",
        long: "show or hide the help screen",
    },
    Binding {
        action: Action::Back,
        keys: &[Key::Code(KeyCode::Esc)],
        label: "Esc",
        short: "back",
        long: "close a dialog, stop running checks, or go back to the steps",
    },
    Binding {
        action: Action::Quit,
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        label: "q",
        short: "quit",
        long: "quit (Ctrl-C always quits); your progress is kept",
    },
];

/// The action a key press asks for, if any.
pub fn action_for(event: &KeyEvent) -> Option<Action> {
    KEYS.iter().find(|b| b.keys.iter().any(|k| k.matches(event))).map(|b| b.action)
}

pub fn binding(action: Action) -> &'static Binding {
    // Every action has a row; the test below keeps it so.
    KEYS.iter().find(|b| b.action == action).unwrap_or(&KEYS[0])
}

/// How a binding's keys are written where there is room (the help screen, the README).
pub fn help_label(binding: &Binding) -> &'static str {
    match binding.action {
        Action::Up => "↑ k",
        Action::Down => "↓ j",
        Action::Act => "Enter",
        Action::Quit => "q Ctrl-C",
        _ => binding.label,
    }
}

/// The keys as a Markdown table, for the README (a test keeps the two the same).
pub fn markdown_table() -> String {
    let mut out = String::from("| Key | What it does |\n|---|---|\n");
    for b in KEYS {
        let keys: Vec<String> = help_label(b).split(' ').map(|k| format!("`{k}`")).collect();
        out.push_str(&format!("| {} | {} |\n", keys.join(" "), b.long));
    }
    out
}

/// Ctrl-C quits from anywhere, dialogs and text fields included.
pub fn is_ctrl_c(event: &KeyEvent) -> bool {
    Key::Ctrl('c').matches(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_row_and_no_key_is_bound_twice() {
        let actions = [
            Action::Up,
            Action::Down,
            Action::NextPane,
            Action::Act,
            Action::RunStep,
            Action::RunAll,
            Action::Solve,
            Action::Edit,
            Action::Copy,
            Action::CopyExport,
            Action::Reveal,
            Action::Token,
            Action::PageUp,
            Action::PageDown,
            Action::StartOver,
            Action::Help,
            Action::Back,
            Action::Quit,
        ];
        for action in actions {
            assert_eq!(KEYS.iter().filter(|b| b.action == action).count(), 1, "{action:?}");
        }
        let keys: Vec<Key> = KEYS.iter().flat_map(|b| b.keys.iter().copied()).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} is bound twice");
        }
    }

    #[test]
    fn shift_and_ctrl_are_told_apart() {
        let press = |code, modifiers| KeyEvent::new(code, modifiers);
        assert_eq!(action_for(&press(KeyCode::Char('R'), KeyModifiers::SHIFT)), Some(Action::RunAll));
        assert_eq!(action_for(&press(KeyCode::Char('r'), KeyModifiers::NONE)), Some(Action::RunStep));
        assert_eq!(action_for(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(action_for(&press(KeyCode::Char('c'), KeyModifiers::NONE)), None);
        assert_eq!(action_for(&press(KeyCode::Char('r'), KeyModifiers::CONTROL)), None);
    }
}
