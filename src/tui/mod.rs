//! The walkthrough: section 5 step by step, with every check live and every failure explained.
//!
//! `app` holds the state and the pure `update`; `content` says what each pane holds, `layout`
//! where it goes; `view` draws it; `run` is the event loop that
//! carries out effects on tasks; `keymap` is the one key table; `theme` the colours; `store`
//! remembers where the learner was.

pub mod app;
pub mod content;
pub mod keymap;
pub mod layout;
pub mod run;
pub mod store;
pub mod theme;
pub mod view;

pub use run::run;
pub use theme::{Theme, ThemeName};
