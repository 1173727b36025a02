//! The real event loop against the embedded local lab, driven by an injected key stream: the
//! test waits on what the loop reports (finished jobs, the screen), never on a timer.

use std::sync::Arc;
use std::time::Duration;

use crate::common::TestLab;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::UnboundedSender;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::watch;
use walab::aws::Clients;
use walab::checks::{Context, Credentials, Status};
use walab::guide::{CheckId, Guide};
use walab::probe::Prober;
use walab::secret::Secret;
use walab::settings::Values;
use walab::target::TargetKind;
use walab::tui::Theme;
use walab::tui::app::{App, Header};
use walab::tui::run::{EmbeddedLab, Observed, Queue, Services, run_loop};

struct Driver {
    keys: UnboundedSender<std::io::Result<TermEvent>>,
    seen: watch::Receiver<Observed>,
}

impl Driver {
    fn press(&self, keys: &str) {
        for c in keys.chars() {
            let modifiers = if c.is_ascii_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
            let code = if c == '\u{1b}' { KeyCode::Esc } else { KeyCode::Char(c) };
            self.keys.unbounded_send(Ok(TermEvent::Key(KeyEvent::new(code, modifiers)))).unwrap();
        }
    }

    /// Presses `keys`, then waits until `jobs` pieces of work have finished in all.
    async fn press_and_wait(&mut self, keys: &str, jobs: u64) -> String {
        self.press(keys);
        self.until(&format!("{jobs} jobs done"), |o| o.jobs_done >= jobs && !o.busy).await
    }

    async fn screen_with(&mut self, text: &str) -> String {
        self.until(text, |o| o.screen.contains(text)).await
    }

    /// Waits for the loop to report `what`; a bound, not a way to synchronise, with the screen
    /// in the message when it never comes.
    async fn until(&mut self, what: &str, f: impl FnMut(&Observed) -> bool) -> String {
        let found = tokio::time::timeout(Duration::from_secs(30), self.seen.wait_for(f))
            .await
            .map(|s| s.unwrap().screen.clone());
        match found {
            Ok(screen) => screen,
            Err(_) => panic!("waited for {what}; the screen:\n{}", self.seen.borrow().screen),
        }
    }
}

fn header() -> Header {
    Header {
        kind: TargetKind::Local,
        target: "local lab".into(),
        profile: None,
        region: "us-east-1".into(),
        account: None,
        endpoint: None,
    }
}

/// Runs the loop on a 120×40 `TestBackend` with `drive` at the keyboard; returns the final state.
async fn walkthrough<F, Fut>(lab: &TestLab, credentials: Credentials, drive: F) -> App
where
    F: FnOnce(Driver) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    walkthrough_from(lab, credentials, false, drive).await
}

/// The same, resuming from the progress the last run saved when `resume`.
async fn walkthrough_from<F, Fut>(lab: &TestLab, credentials: Credentials, resume: bool, drive: F) -> App
where
    F: FnOnce(Driver) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let ctx = Context::new(
        Clients::new(&lab.sdk()),
        TargetKind::Local,
        Values::default(),
        credentials,
        Prober::new().unwrap(),
    );
    let progress = lab.dir.path().join("walkthrough.json");
    let services = Services {
        ctx: Arc::new(ctx),
        guide: Guide::load().unwrap(),
        lab: Some(Arc::new(EmbeddedLab::borrowed(lab.running.lab.clone()))),
        progress: Some((progress.clone(), "local".into())),
        osc52: false,
    };
    let saved = if resume { walab::tui::store::load(&progress, "local").unwrap() } else { None };
    let mut app = App::new(Guide::load().unwrap(), header(), Values::default(), true, saved);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (keys, input) = futures::channel::mpsc::unbounded();
    let (observer, seen) = watch::channel(Observed::default());
    let queue = Queue { tx, rx };
    let theme = Theme::dark();
    let looped = run_loop(&mut terminal, &mut app, &services, &theme, queue, input, Some(observer));
    let driven = drive(Driver { keys, seen });
    let (result, ()) = tokio::time::timeout(Duration::from_secs(120), async { tokio::join!(looped, driven) })
        .await
        .expect("the walkthrough finishes");
    result.expect("the loop ends cleanly");
    assert!(progress.exists(), "progress is saved");
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_see_the_diagnoses_solve_every_step_and_pass_all_twelve() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let credentials = Credentials {
        username: Some(info.demo_user.username.clone()),
        password: Some(info.demo_user.password.clone()),
    };
    let app = walkthrough(&lab, credentials, |mut d| async move {
        // A fresh lab: 5.2 holds, the rest fails, each with what to do.
        let screen = d.press_and_wait("R", 1).await;
        assert!(screen.contains("5 of 12 checks passed"), "{screen}");
        // Each check's report arrives once, on the loop's one queue, before its job's end.
        assert_eq!(d.seen.borrow().reports, 12);
        // The next thing to do, in the walkthrough's own keys.
        assert!(screen.contains("5.3 authorizer-created") && screen.contains("press s to do it for you"), "{screen}");
        // R took the focus to 5.3, where Next points.
        d.press("jj");
        let screen = d.screen_with("Evidence · unauthenticated-401").await;
        assert!(screen.contains("served from CloudFront's cache"), "{screen}");
        assert!(screen.contains("X-Cache: Hit from cloudfront"), "{screen}");

        // 5.3: the authorizer, the method, the deployment; each asks first.
        d.press("kk");
        let mut jobs = 1;
        for action in ["create-authorizer", "protect-method", "deploy-api"] {
            d.press("s");
            let screen = d.screen_with(&format!("Solve: {action}")).await;
            assert!(screen.contains("walab will"), "{screen}");
            jobs += 1;
            d.press_and_wait("y", jobs).await;
        }
        // 5.4: forward the header, then invalidate the cache.
        d.press("j");
        for action in ["forward-header", "invalidate-cache"] {
            d.press("s");
            d.screen_with(&format!("Solve: {action}")).await;
            jobs += 1;
            d.press_and_wait("y", jobs).await;
        }
        jobs += 1;
        let screen = d.press_and_wait("R", jobs).await;
        assert!(screen.contains("12 of 12 checks passed"), "{screen}");
        assert!(screen.contains("Section 5 is done"), "{screen}");
        d.press("q");
    })
    .await;
    assert_eq!(app.results.len(), 12);
    for id in CheckId::ALL {
        assert_eq!(app.results[&id].status, Status::Passed, "{id}: {:?}", app.results[&id]);
    }
}

/// A change made while the walkthrough was closed is never shown as the old result: what was
/// remembered is stale, and checked again as the walkthrough opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_from_before_are_checked_again_on_start() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let credentials = Credentials {
        username: Some(info.demo_user.username.clone()),
        password: Some(info.demo_user.password.clone()),
    };
    let first = walkthrough(&lab, credentials.clone(), |mut d| async move {
        let screen = d.press_and_wait("R", 1).await;
        assert!(screen.contains("5 of 12 checks passed"), "{screen}");
        d.press("q");
    })
    .await;
    assert_eq!(first.results[&CheckId::HeaderForwarded].status, Status::Failed);

    // Meanwhile, outside the walkthrough: `walab solve forward-header`.
    let ctx = Context::new(
        Clients::new(&lab.sdk()),
        TargetKind::Local,
        Values::default(),
        credentials.clone(),
        Prober::new().unwrap(),
    );
    walab::solve::solve(walab::guide::SolveAction::ForwardHeader, &ctx).await.unwrap();

    let second = walkthrough_from(&lab, credentials, true, |mut d| async move {
        // Opening re-checks what was remembered: one job, without a key pressed.
        let screen = d.until("the re-check", |o| o.jobs_done >= 1 && !o.busy).await;
        assert!(!screen.contains("stale"), "nothing left stale once re-checked: {screen}");
        d.press("q");
    })
    .await;
    let forwarded = &second.results[&CheckId::HeaderForwarded];
    assert_eq!((forwarded.status, forwarded.stale), (Status::Passed, false), "{forwarded:?}");
    assert!(second.results.values().all(|r| !r.stale));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_on_the_local_lab_shows_the_email_from_the_outbox() {
    let lab = TestLab::start().await;
    let credentials =
        Credentials { username: Some("new.learner@example.com".into()), password: Some(Secret::new("Sup3r-Secret!")) };
    let app = walkthrough(&lab, credentials, |mut d| async move {
        d.press("j");
        let screen = d.press_and_wait("r", 1).await;
        assert!(screen.contains("✗ failed  user-confirmed"), "{screen}");
        d.press("s");
        d.screen_with("Solve: sign-up").await;
        d.press_and_wait("y", 2).await;
        let screen = d.screen_with("The local lab's outbox").await;
        assert!(screen.contains("To: new.learner@example.com"), "{screen}");
        d.press("\u{1b}");
        d.press("q");
    })
    .await;
    assert_eq!(app.results[&CheckId::UserConfirmed].status, Status::Passed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_teardown_the_walkthrough_offers_to_start_over() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let credentials = Credentials {
        username: Some(info.demo_user.username.clone()),
        password: Some(info.demo_user.password.clone()),
    };
    let app = walkthrough(&lab, credentials, |mut d| async move {
        d.press("jjjjj");
        d.press("s");
        let screen = d.screen_with("Solve: teardown").await;
        assert!(screen.contains("y do it"), "the local lab asks y, not a name: {screen}");
        d.press_and_wait("y", 1).await;
        let screen = d.screen_with("stacks are deleted").await;
        assert!(screen.contains("Start over"), "{screen}");
        let screen = d.press_and_wait("y", 2).await;
        assert!(screen.contains("started over"), "{screen}");
        d.press("q");
    })
    .await;
    assert!(!app.results.contains_key(&CheckId::StackApiDeleted), "progress forgotten");
    let stacks = lab.cloudformation().describe_stacks().send().await.unwrap();
    assert!(stacks.stacks().is_empty(), "the borrowed lab is left as it is: {stacks:?}");
}
