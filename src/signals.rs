//! SIGINT, SIGTERM and SIGHUP: how `walab serve`, a room, the walkthrough and the dashboard
//! learn they should stop (a closed terminal window sends SIGHUP), through one watcher
//! registered before anything announces that walab is up.

/// The stop signals, registered before anything announces that the lab is up.
/// (`tokio::signal::ctrl_c` registers only when first polled, too late for that.)
pub struct StopSignal {
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl StopSignal {
    pub fn install() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()];
            StopSignal { signals: kinds.into_iter().filter_map(|kind| signal(kind).ok()).collect() }
        }
        #[cfg(not(unix))]
        StopSignal {}
    }

    pub async fn wait(self) {
        #[cfg(unix)]
        if !self.signals.is_empty() {
            let waits = self.signals.into_iter().map(|mut s| Box::pin(async move { s.recv().await }));
            futures::future::select_all(waits).await;
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
