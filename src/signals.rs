//! SIGINT and SIGTERM: how `walab serve` and the walkthrough learn they should stop, through
//! the same watcher (registered before anything announces that walab is up).

/// SIGINT or SIGTERM, registered before anything announces that the lab is up.
/// (`tokio::signal::ctrl_c` registers only when first polled, too late for that.)
pub struct StopSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    pub fn install() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::interrupt()).and_then(|int| Ok((int, signal(SignalKind::terminate())?)));
            StopSignal { signals: signals.ok() }
        }
        #[cfg(not(unix))]
        StopSignal {}
    }

    pub async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.signals {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
