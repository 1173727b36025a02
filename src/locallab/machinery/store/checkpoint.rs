//! Copying the write-ahead log into the database, off the writers' path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one
//! write in a few hundred waited for the copy (`SignUp`'s p99 was 11 ms against a p50 of
//! 1.4 ms). Here a commit that leaves the log past [`SIGNAL_PAGES`] only signals; a thread
//! copies (a PASSIVE checkpoint) once that commit has returned, through the store's one
//! connection (the store keeps its log's index in its own memory, see `Store::open`, so no
//! second connection can open the database), and the first write after a complete copy
//! starts the log over, cut back to the store's size limit. Should the copier ever fall far
//! behind, the writer copies itself at [`INLINE_PAGES`], so the log stays bounded whatever
//! happens.

use std::ffi::c_int;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
#[cfg(test)]
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;

/// When the log is copied, in pages of the log.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Past this, a commit asks the copier to run.
    pub signal: c_int,
    /// Past this, the writer copies itself rather than let the log grow further.
    pub inline: c_int,
}

impl Thresholds {
    /// 4 MiB of 16 KiB pages, and 64 MiB.
    pub const STORE: Thresholds = Thresholds { signal: SIGNAL_PAGES, inline: INLINE_PAGES };
}

const SIGNAL_PAGES: c_int = 256;
const INLINE_PAGES: c_int = 4096;

/// The copier's side: how many checkpoints it has run, and whether it has ended, for whoever
/// waits on it.
#[derive(Default)]
pub struct Checkpoints {
    state: Mutex<Progress>,
    changed: Condvar,
}

#[derive(Default, Clone, Copy)]
struct Progress {
    done: u64,
    ended: bool,
}

impl Checkpoints {
    fn update(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()));
        self.changed.notify_all();
    }

    #[cfg(test)]
    fn wait_until(&self, timeout: Duration, until: impl Fn(&Progress) -> bool) -> Progress {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (state, _) =
            self.changed.wait_timeout_while(state, timeout, |s| !until(s)).unwrap_or_else(|p| p.into_inner());
        *state
    }

    /// Waits until more than `seen` checkpoints have run, at most `timeout`; returns how many.
    #[cfg(test)]
    pub fn wait_past(&self, seen: u64, timeout: Duration) -> u64 {
        self.wait_until(timeout, |s| s.done > seen).done
    }

    /// Waits until the copier has ended, at most `timeout`; returns whether it has.
    #[cfg(test)]
    pub fn wait_ended(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.ended).ended
    }
}

/// The copier thread of one writer connection.
pub struct Copier {
    /// What the thread has done: only tests wait on it.
    #[cfg_attr(not(test), allow(dead_code))]
    checkpoints: Arc<Checkpoints>,
    thread: Option<JoinHandle<()>>,
}

fn lock(conn: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Copier {
    /// Unhooks the writer (dropping the only sender) and waits for the thread to end, so that
    /// it copies nothing more once the store is closing.
    pub fn stop(&mut self, writer: &Mutex<Connection>) {
        // The lock is released before joining: the thread may be waiting for it.
        let _ = lock(writer).wal_hook(None::<fn(&mut Wal, c_int) -> rusqlite::Result<()>>);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the copier for `writer` and hooks its commits to it. `writer` must have
/// `wal_autocheckpoint` off (that pragma would replace the hook). Call [`Copier::stop`]
/// before closing `writer`.
pub fn start(writer: &Arc<Mutex<Connection>>, at: Thresholds) -> Result<Copier, rusqlite::Error> {
    let mut conn = lock(writer);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("the store is in {mode} mode, not WAL: its log is not copied in the background");
    }
    let checkpoints = Arc::new(Checkpoints::default());
    let (signal, signals) = sync_channel::<()>(1);
    let counted = checkpoints.clone();
    let shared = Arc::downgrade(writer);
    let spawned = std::thread::Builder::new()
        .name("walab-checkpoint".to_string())
        .spawn(move || copy_when_signalled(&shared, &signals, &counted));
    let thread = match spawned {
        Ok(thread) => thread,
        Err(e) => {
            // No thread: SQLite's own checkpoint in the commit, as before.
            tracing::warn!("cannot start the store's checkpoint thread ({e}); commits will checkpoint themselves");
            conn.pragma_update(None, "wal_autocheckpoint", at.signal)?;
            return Ok(Copier { checkpoints, thread: None });
        }
    };
    conn.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
        if pages >= at.inline {
            // Failure here is not the commit's: it is already durable in the log.
            let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
        } else if pages >= at.signal {
            // Full means a signal is already waiting: the copier will run anyway.
            let _ = signal.try_send(());
        }
        Ok(())
    }))?;
    Ok(Copier { checkpoints, thread: Some(thread) })
}

fn copy_when_signalled(writer: &Weak<Mutex<Connection>>, signals: &Receiver<()>, checkpoints: &Checkpoints) {
    while signals.recv().is_ok() {
        let Some(writer) = writer.upgrade() else { break };
        let copied = lock(&writer).wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE);
        match copied {
            Err(e) => tracing::warn!("the store's checkpoint failed: {e}"),
            Ok((-1, _)) => tracing::warn!("the store's checkpoint could not run: the database is not in WAL mode"),
            Ok(_) => {}
        }
        checkpoints.update(|s| s.done += 1);
    }
    checkpoints.update(|s| s.ended = true);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A database in WAL mode (its index in memory, as the store's) whose log is cut back to
    /// 64 KiB when it starts over, with the copier started at `at`.
    fn database(dir: &Path, at: Thresholds) -> (Arc<Mutex<Connection>>, Copier) {
        let path = dir.join("test.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 PRAGMA journal_size_limit = 65536; CREATE TABLE t (body BLOB);",
            )
            .unwrap();
        let writer = Arc::new(Mutex::new(writer));
        let copier = start(&writer, at).unwrap();
        (writer, copier)
    }

    fn write(conn: &Mutex<Connection>, bytes: usize) {
        lock(conn).execute("INSERT INTO t (body) VALUES (?1)", [vec![7u8; bytes]]).unwrap();
    }

    fn log_bytes(dir: &Path) -> u64 {
        std::fs::metadata(dir.join("test.sqlite3-wal")).map_or(0, |m| m.len())
    }

    #[test]
    fn a_commit_past_the_signal_is_copied_by_the_thread_and_the_next_starts_the_log_over() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, copier) = database(dir.path(), Thresholds { signal: 16, inline: c_int::MAX });
        let checkpoints = &copier.checkpoints;
        write(&writer, 8_000);
        assert_eq!(checkpoints.wait_past(0, Duration::ZERO), 0, "a small log is left alone");
        write(&writer, 400_000);
        assert!(log_bytes(dir.path()) > 400_000);
        assert_eq!(checkpoints.wait_past(0, Duration::from_secs(30)), 1, "the copier ran once");
        // Everything was copied, so this write starts the log over, cut back to its limit.
        write(&writer, 100);
        assert!(log_bytes(dir.path()) <= 65_536, "{}", log_bytes(dir.path()));
        let rows: i64 = lock(&writer).query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 3);
    }

    #[test]
    fn a_log_past_the_inline_bound_is_copied_by_the_writer_itself() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, copier) = database(dir.path(), Thresholds { signal: c_int::MAX, inline: 16 });
        let checkpoints = &copier.checkpoints;
        write(&writer, 400_000);
        write(&writer, 100);
        assert!(log_bytes(dir.path()) <= 65_536, "{}", log_bytes(dir.path()));
        assert_eq!(checkpoints.wait_past(0, Duration::ZERO), 0, "the copier was never asked");
    }

    #[test]
    fn stopping_ends_the_thread_before_the_writer_closes() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, mut copier) = database(dir.path(), Thresholds::STORE);
        write(&writer, 100);
        assert!(!copier.checkpoints.wait_ended(Duration::ZERO));
        copier.stop(&writer);
        assert!(copier.checkpoints.wait_ended(Duration::ZERO), "ended by the time stop returns");
        // The writer is the last connection: closing it removes the log; there is no index file.
        assert!(!dir.path().join("test.sqlite3-shm").exists(), "the log's index is in memory");
        drop(writer);
        assert!(!dir.path().join("test.sqlite3-wal").exists());
    }
}
