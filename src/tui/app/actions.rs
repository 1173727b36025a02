//! What the keys do to the state, whichever table they came through (the layout's in `update`,
//! a dialog's in `modal_keys`): start a job, show a toast, move, scroll, start over, quit.
//! Both import this; neither imports the other.

use super::job::Job;
use super::message::Effect;
use super::state::{App, LabId, Pane, Running, Scroll, Toast};
use crate::guide::CheckId;
use crate::tui::layout;

/// How long a toast shows.
pub(super) const TOAST_MS: i64 = 3000;
/// What a learner must not miss (where they were, what a stopped solve did) stays longer.
pub(super) const LONG_TOAST_MS: i64 = 6000;

impl App {
    pub(super) fn toast(&mut self, text: impl Into<String>) {
        self.toast_for(text, TOAST_MS);
    }

    pub(super) fn toast_for(&mut self, text: impl Into<String>, ms: i64) {
        self.toast = Some(Toast { text: text.into(), until_ms: self.now_ms + ms });
    }

    pub(super) fn start(&mut self, job: Job) -> Vec<Effect> {
        let progress = match &job {
            Job::Solve(action, _) => {
                Some(format!("{action}: {}", crate::solve::what_it_changes(*action, self.header.kind)))
            }
            _ => None,
        };
        self.running = Some(Running {
            job: job.clone(),
            started_ms: self.now_ms,
            current: None,
            current_since: self.now_ms,
            progress,
            cancelling: false,
        });
        vec![Effect::Start(job)]
    }

    pub(super) fn select_step(&mut self, index: usize) -> Vec<Effect> {
        let index = index.min(self.guide.steps.len().saturating_sub(1));
        if index == self.step {
            return vec![];
        }
        self.step = index;
        self.check = 0;
        self.scroll = Scroll::default();
        vec![Effect::Save]
    }

    pub(super) fn focus_check(&mut self, id: CheckId) -> Vec<Effect> {
        let Some(step) = self.guide.steps.iter().position(|s| s.checks.contains(&id)) else { return vec![] };
        let effects = self.select_step(step);
        self.check = self.guide.steps[step].checks.iter().position(|&c| c == id).unwrap_or(0);
        self.scroll.checks = 0;
        self.scroll.evidence = 0;
        effects
    }

    /// The lab as this walkthrough sees it now.
    pub(super) fn lab_here(&self) -> LabId {
        LabId { account: self.header.account.clone(), user_pool_id: self.values.user_pool_id.clone() }
    }

    /// What the walkthrough does as it opens: on AWS, with results remembered, it reads the
    /// stacks again to make sure they are about the lab under it (the local lab's are read
    /// before it opens).
    pub fn on_start(&mut self) -> Vec<Effect> {
        // Results from before are shown stale and run again at once: the lab may have changed
        // while walab was closed (a console step, `walab solve`, another laptop).
        if self.results.is_empty() || self.modal.is_some() {
            return vec![];
        }
        let last = self.results.values().map(|r| r.finished_at).max().unwrap_or(self.now_ms);
        let ago = crate::tui::content::ago(self.now_ms - last);
        let welcome = format!("welcome back — you were on {}, {ago}", self.current_step().id);
        self.toast_for(format!("{welcome}; re-checking…"), LONG_TOAST_MS);
        self.resumed = Some(welcome);
        let remembered: Vec<CheckId> = CheckId::every().filter(|id| self.results.contains_key(id)).collect();
        self.start(Job::Checks(remembered))
    }

    /// Starts the section over: progress forgotten at once, the lab reset on a task.
    pub(super) fn start_over(&mut self) -> Vec<Effect> {
        self.results.clear();
        self.token = None;
        self.step = 0;
        self.check = 0;
        self.focus = Pane::Steps;
        self.scroll = Scroll::default();
        self.revealed = false;
        self.from_lab = crate::settings::Values::default();
        self.lab = LabId::default();
        let keep_username = self.header.kind != crate::target::TargetKind::Local;
        let username = self.values.username.clone().filter(|_| keep_username);
        self.values = crate::settings::Values { username, ..Default::default() };
        let mut effects = vec![Effect::ForgetValues { keep_username }];
        effects.extend(self.start(Job::StartOver));
        effects.push(Effect::Save);
        effects
    }

    /// Scrolls the open dialog (help, a long message) by `lines`, within what it holds.
    pub(super) fn scroll_modal(&mut self, lines: i32) {
        let limit = i32::from(layout::modal_limit(self));
        self.modal_scroll = (i32::from(self.modal_scroll) + lines).clamp(0, limit) as u16;
    }

    /// Scrolls the pane with the focus by `lines` (negative: up), within what it holds.
    pub(super) fn scroll_by(&mut self, lines: i32) {
        self.scroll_pane(self.focus, lines);
    }

    /// Scrolls `pane` by `lines` (negative: up), within what it holds.
    pub(super) fn scroll_pane(&mut self, pane: Pane, lines: i32) {
        let limits = layout::scroll_limits(self);
        let by = |at: u16, max: u16| (i32::from(at) + lines).clamp(0, i32::from(max)) as u16;
        match pane {
            Pane::Steps => self.scroll.text = by(self.scroll.text, limits.text),
            Pane::Checks => self.scroll.checks = by(self.scroll.checks, limits.checks),
            Pane::Evidence => self.scroll.evidence = by(self.scroll.evidence, limits.evidence),
            Pane::Values => {}
        }
    }

    pub(super) fn quit(&mut self) -> Vec<Effect> {
        self.quit = true;
        let mut effects = vec![];
        if self.busy() {
            effects.push(Effect::Cancel);
        }
        effects.extend([Effect::Save, Effect::Quit]);
        effects
    }
}
