//! What `check`, `solve`, `token` (and the walkthrough) set up the same way: the target, the
//! recorded values, who signs in, and the check context; what checks found, recorded through
//! settings; and what they save when done.

use std::io::IsTerminal;

use crate::aws::Clients;
use crate::checks::{Context, Credentials, Outcome};
use crate::locallab::DemoUser;
use crate::probe::Prober;
use crate::report::{Failure, errln};
use crate::secret::Secret;
use crate::settings::{Dirs, Values, ValuesFile};
use crate::target::{Target, TargetArgs};

pub struct Session {
    pub dirs: Dirs,
    pub target: Target,
    pub ctx: Context,
    /// The values as loaded, to save only what changed.
    loaded: Values,
    /// The recorded values: as loaded, plus what checks found.
    values: Values,
}

/// When the password may be asked for at the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Never,
    IfTerminal,
}

impl Session {
    /// Connects to the target and prepares the checks, and shows the target's notices.
    pub async fn open(args: &TargetArgs, prompt: Prompt) -> Result<Session, Failure> {
        let session = Session::open_quietly(args, prompt).await?;
        for notice in &session.target.notices {
            errln!("walab: note: {notice}");
        }
        Ok(session)
    }

    /// `open`, leaving the target's notices for the caller to show (the walkthrough).
    pub async fn open_quietly(args: &TargetArgs, prompt: Prompt) -> Result<Session, Failure> {
        let dirs = Dirs::from_env()?;
        let values_file = ValuesFile::load(&dirs.values_file())?;
        let target = Target::connect(args, &dirs).await?;
        let loaded = values_file.values(&target.values_key);
        let demo = target.demo_user.as_ref().filter(|_| target.kind.is_walab_lab());
        let credentials = who_signs_in(loaded.username.clone(), demo, prompt);
        let prober = Prober::new().map_err(Failure::failed)?;
        let aws = Clients::new(&target.sdk).with_profile(target.profile.clone());
        let mut ctx = Context::new(aws, target.kind, loaded.clone(), credentials, prober);
        ctx.stack = target.stack.clone();
        ctx.api_stack = target.api_stack.clone();
        let mut session = Session { dirs, target, ctx, values: loaded.clone(), loaded };
        if session.target.kind.is_walab_lab() {
            // The embedded lab listens on new ports each run: re-read the URLs from its stacks
            // (in-process, a few milliseconds) rather than trust the recorded ones.
            let outcome = crate::checks::run_check(crate::guide::CheckId::StackOutputs, &session.ctx).await;
            session.record(&outcome);
        }
        Ok(session)
    }

    /// Records what a check found (saved when the session closes); checks use it from now on.
    pub fn record(&mut self, outcome: &Outcome) {
        if let Some(found) = &outcome.found {
            for (field, value) in found.record_into(&mut self.values) {
                self.ctx.set_value(field, Some(value));
            }
        }
    }

    /// The recorded values as they stand.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Saves the values recorded, and stops an embedded lab.
    pub async fn close(self) -> Result<(), Failure> {
        finish(&self.dirs, self.target, &self.loaded, self.values).await
    }

    /// The same session with its context shared, for work running on tasks (the walkthrough),
    /// which from then on owns the recorded values.
    pub fn share(self) -> SharedSession {
        SharedSession { dirs: self.dirs, target: self.target, ctx: std::sync::Arc::new(self.ctx), loaded: self.loaded }
    }
}

/// A session whose check context is shared with tasks.
pub struct SharedSession {
    pub dirs: Dirs,
    pub target: Target,
    pub ctx: std::sync::Arc<Context>,
    loaded: Values,
}

impl SharedSession {
    /// Saves `values` (the walkthrough's), and stops an embedded lab.
    pub async fn close(self, values: Values) -> Result<(), Failure> {
        finish(&self.dirs, self.target, &self.loaded, values).await
    }
}

async fn finish(dirs: &Dirs, target: Target, loaded: &Values, values: Values) -> Result<(), Failure> {
    let mut saving = Ok(());
    if values != *loaded {
        let path = dirs.values_file();
        // Re-read: another walab may have recorded something meanwhile.
        let saved = ValuesFile::load(&path).and_then(|mut file| {
            file.put(&target.values_key, values);
            file.save(&path)
        });
        saving = saved.map_err(Failure::from);
    }
    let closing = target.close().await.map_err(Failure::failed);
    crate::report::and_closed(saving, closing)
}

/// Who signs in (DESIGN.md, the one place that decides it): the `recorded` username or
/// `WALAB_USERNAME`, the password from `WALAB_PASSWORD` or a prompt; on a lab walab runs
/// (`demo`), both default to its demo user, the password only when the name is the demo
/// user's.
pub fn who_signs_in(recorded: Option<String>, demo: Option<&DemoUser>, prompt: Prompt) -> Credentials {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let username = recorded.or_else(|| env("WALAB_USERNAME")).or_else(|| demo.map(|d| d.username.clone()));
    let mut password = env("WALAB_PASSWORD").map(Secret::new);
    if password.is_none()
        && let (Some(demo), Some(name)) = (demo, &username)
        && demo.username.eq_ignore_ascii_case(name)
    {
        password = Some(demo.password.clone());
    }
    if password.is_none()
        && prompt == Prompt::IfTerminal
        && std::io::stdin().is_terminal()
        && let Some(name) = &username
    {
        password = rpassword::prompt_password(format!("Password for {name}: ")).ok().map(Secret::new);
    }
    Credentials { username, password }
}
