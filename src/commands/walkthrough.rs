//! `walab` with no verb: the walkthrough on this terminal. This opens what it needs (walab's
//! directories, the lab file, the session on the target) and hands them to `tui`, which owns
//! the terminal from then on.

use std::process::ExitCode;

use crate::guide::Guide;
use crate::report::Failure;
use crate::session::{Prompt, Session};
use crate::settings::Dirs;
use crate::target::TargetArgs;
use crate::tui::ThemeName;

pub async fn run(args: &TargetArgs, theme: ThemeName, mouse: bool) -> Result<ExitCode, Failure> {
    let dirs = Dirs::from_env()?;
    // From here on the terminal is the walkthrough's: logs go to a file.
    crate::tui::run::log_to_file(&dirs);
    let guide = Guide::load()?;
    // The walkthrough asks for a password in its own dialog, never on the terminal's prompt.
    let session = Session::open_quietly(args, Prompt::Never).await?;
    crate::tui::run(dirs, guide, session, theme, mouse).await.map(|()| ExitCode::SUCCESS)
}
