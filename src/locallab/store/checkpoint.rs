//! Copying the write-ahead log into the database, off the writers' path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one
//! write in a few hundred waited for the copy (`SignUp`'s p99 was 11 ms against a p50 of
//! 1.4 ms). Here a commit that leaves the log past [`SIGNAL_PAGES`] only signals; a thread with
//! its own connection copies (a PASSIVE checkpoint, which never blocks writers), and the first
//! write after a complete copy starts the log over, cut back to the store's size limit. Should
//! the copier ever fall far behind, the writer copies itself at [`INLINE_PAGES`], so the log
//! stays bounded whatever happens.

use std::ffi::c_int;
use std::path::Path;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, OpenFlags};

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

impl Copier {
    /// Unhooks `writer` (dropping the only sender) and waits for the thread to end, so that
    /// its connection is closed before `writer` is: the last connection to close tidies the
    /// log by the file's name, which must still be this database's.
    pub fn stop(&mut self, writer: &mut Connection) {
        let _ = writer.wal_hook(None::<fn(&mut Wal, c_int) -> rusqlite::Result<()>>);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the copier for the database at `path` and hooks `writer`'s commits to it. `writer`
/// must have `wal_autocheckpoint` off (that pragma would replace the hook). Call
/// [`Copier::stop`] before closing `writer`.
pub fn start(writer: &mut Connection, path: &Path, at: Thresholds) -> Result<Copier, rusqlite::Error> {
    let copier =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    copier.busy_timeout(Duration::from_secs(5))?;
    // A connection finds the log only once it has read the database: until then SQLite answers
    // a checkpoint with "not in WAL mode" (-1) and copies nothing.
    let mode: String = copier.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("the store is in {mode} mode, not WAL: its log is not copied in the background");
    }
    let checkpoints = Arc::new(Checkpoints::default());
    let (signal, signals) = sync_channel::<()>(1);
    let counted = checkpoints.clone();
    let spawned = std::thread::Builder::new()
        .name("walab-checkpoint".to_string())
        .spawn(move || copy_when_signalled(&copier, &signals, &counted));
    let thread = match spawned {
        Ok(thread) => thread,
        Err(e) => {
            // No thread: SQLite's own checkpoint in the commit, as before.
            tracing::warn!("cannot start the store's checkpoint thread ({e}); commits will checkpoint themselves");
            writer.pragma_update(None, "wal_autocheckpoint", at.signal)?;
            return Ok(Copier { checkpoints, thread: None });
        }
    };
    writer.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
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

fn copy_when_signalled(copier: &Connection, signals: &Receiver<()>, checkpoints: &Checkpoints) {
    while signals.recv().is_ok() {
        match copier.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
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
    use super::*;

    /// A database in WAL mode whose log is cut back to 64 KiB when it starts over, with the
    /// copier started at `at`.
    fn database(dir: &Path, at: Thresholds) -> (Connection, Copier) {
        let path = dir.join("test.sqlite3");
        let mut writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 65536; \
                 CREATE TABLE t (body BLOB);",
            )
            .unwrap();
        let copier = start(&mut writer, &path, at).unwrap();
        (writer, copier)
    }

    fn write(conn: &Connection, bytes: usize) {
        conn.execute("INSERT INTO t (body) VALUES (?1)", [vec![7u8; bytes]]).unwrap();
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
        let rows: i64 = writer.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
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
    fn stopping_ends_the_thread_and_its_connection_before_the_writer_closes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut writer, mut copier) = database(dir.path(), Thresholds::STORE);
        write(&writer, 100);
        assert!(!copier.checkpoints.wait_ended(Duration::ZERO));
        copier.stop(&mut writer);
        assert!(copier.checkpoints.wait_ended(Duration::ZERO), "ended by the time stop returns");
        // The writer is the last connection: closing it removes the log and its index.
        drop(writer);
        assert!(!dir.path().join("test.sqlite3-wal").exists() && !dir.path().join("test.sqlite3-shm").exists());
    }
}
