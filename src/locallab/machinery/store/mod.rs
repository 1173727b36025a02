//! The local lab's durable store: one SQLite database (WAL) in the state directory.
//!
//! The lab's services read from memory, where each account's state lives as [`Table`]s; the
//! store is what makes it last. A write changes the tables under the service's lock, and the
//! rows it touched are committed in one transaction **before** the caller answers: a change that
//! was acknowledged survives the process being killed, and a change that cannot be committed is
//! undone in memory (the tables are read back from the store) and answered with an error.
//!
//! Rows are JSON documents keyed by (account, kind, key): the services own their shapes, the
//! store only keeps them. `synchronous = NORMAL` in WAL mode makes a commit durable against the
//! process dying (the threat a lab on a laptop meets), without an `fsync` per request; a power
//! cut may lose the last moments, as SQLite documents.

mod checkpoint;
mod table;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};

pub use table::{One, Record, Table};

use crate::locallab::machinery::wire::ApiError;

pub const DATABASE_FILE: &str = "lab.sqlite3";

/// The schema, one step per version; `PRAGMA user_version` says how many have been applied.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, and every account's rows as JSON documents.
    "CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        created INTEGER NOT NULL,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE records (
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (account, kind, key)
    ) WITHOUT ROWID;
    CREATE TABLE meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;",
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the lab's database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error(
        "{path} was written by a newer walab (schema {found}, this one knows {known}); upgrade walab, or use --state-dir or --fresh"
    )]
    Newer { path: PathBuf, found: u32, known: u32 },
    #[error("cannot move {path} aside: {source}")]
    SetAside { path: PathBuf, source: std::io::Error },
    #[error("the lab's database refused the change: {0}")]
    Write(String),
    #[error("the lab's database holds something this walab cannot read: {0}")]
    Unreadable(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Write(e.to_string())
    }
}

/// One row to write or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Put {
        kind: &'static str,
        key: String,
        body: Vec<u8>,
    },
    Delete {
        kind: &'static str,
        key: String,
    },
    /// A row that could not be serialised: the commit fails rather than lose it.
    Unwritable {
        kind: &'static str,
        key: String,
        reason: String,
    },
}

/// An account as the store lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: String,
    pub created: i64,
    /// What the lab keeps about the account itself (region, who it belongs to).
    pub body: serde_json::Value,
}

/// An account's rows, by kind, for its services to take theirs.
#[derive(Default)]
pub struct Rows {
    rows: Vec<(String, String, Vec<u8>)>,
}

impl Rows {
    /// Adds a row as it would come from the store.
    pub fn push(&mut self, kind: &str, key: &str, body: Vec<u8>) {
        self.rows.push((kind.to_string(), key.to_string(), body));
    }

    /// The rows of `kind` as (key, body), removed from the set.
    pub fn take(&mut self, kind: &str) -> Vec<(String, Vec<u8>)> {
        let (taken, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.rows).into_iter().partition(|(k, _, _)| k == kind);
        self.rows = rest;
        taken.into_iter().map(|(_, key, body)| (key, body)).collect()
    }

    /// The table of `R`'s rows.
    pub fn table<R: Record>(&mut self) -> Result<Table<R>, StoreError> {
        Table::load(self.take(R::KIND))
    }
}

/// A service's state in one account: a set of tables that can be loaded and that hand over
/// what changed.
pub trait Tables: Sized {
    /// The kinds of row this state is made of.
    const KINDS: &'static [&'static str];
    fn load(rows: &mut Rows) -> Result<Self, StoreError>;
    fn take_changes(&mut self, out: &mut Vec<Change>);
    /// What a state read back from the store keeps of the one it replaces (what lives in
    /// memory only, such as a lock-out count, must not be reset by a failed write).
    fn carry_over(&mut self, _before: &mut Self) {}
    /// Called after every write: `true` once its changes are durable, `false` when they were
    /// not made (what would announce them, such as a log line, is dropped then).
    fn committed(&mut self, _committed: bool) {}
}

/// What opening found, for the caller to tell the user.
pub struct Opened {
    pub store: Store,
    /// A database that could not be read was moved here, and a new one started.
    pub set_aside: Option<(PathBuf, String)>,
}

pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    copier: checkpoint::Copier,
    /// Commits so far, per account: what has not changed need not be looked at again.
    generations: Mutex<std::collections::HashMap<String, u64>>,
}

impl Drop for Store {
    /// The copier's connection closes first, so the store's own is the last, as SQLite expects
    /// of the connection that removes the log (by name: the next store may already use it).
    fn drop(&mut self) {
        self.copier.stop(&self.conn);
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.path.display())
    }
}

impl Store {
    /// Opens (or creates) the database in `dir`. A file that is not a readable walab database
    /// is moved aside, never overwritten.
    pub fn open(dir: &Path) -> Result<Opened, StoreError> {
        let path = dir.join(DATABASE_FILE);
        // SQLite takes an empty file for a new database: a lab whose file was emptied (a full
        // disk, a bad copy) would silently start afresh over it.
        let emptied = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0);
        let first = if emptied { Err(Failure::Damaged("the file is empty".into())) } else { Self::open_at(&path) };
        match first {
            Ok(store) => Ok(Opened { store, set_aside: None }),
            Err(Failure::Damaged(reason)) => {
                let kept = set_aside(&path, &format!("corrupt-{}", std::process::id()))?;
                let store = Self::open_at(&path).map_err(|f| f.into_error(&path))?;
                Ok(Opened { store, set_aside: Some((kept, reason)) })
            }
            Err(other) => Err(other.into_error(&path)),
        }
    }

    fn open_at(path: &Path) -> Result<Store, Failure> {
        create_private_file(path).map_err(|e| Failure::Io(e.to_string()))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(Failure::from_sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(Failure::from_sqlite)?;
        // 16 KiB pages (taking effect in a new database only): a record of a few KiB, a user
        // with its SRP verifier, stays on its page instead of spilling into an overflow page of
        // its own, which made the store about 5 KB per user. The write-ahead log is copied into
        // the database by a thread of its own once it passes 4 MiB (see `checkpoint`), and cut
        // back to 4 MiB when it starts over, instead of staying at its high-water mark.
        //
        // The locking mode is EXCLUSIVE, set before the log is first touched, so that SQLite
        // keeps the log's index in the process's own memory instead of a `-shm` file mapped into
        // it: a write to that mapping when the file cannot be written any more (made immutable,
        // or its filesystem remounted read-only) is a SIGBUS that kills the process, where a
        // failed write() is an error the lab answers with 503. One connection, then, does all
        // the work, the copier's included, and no other process opens the database while the
        // lab runs.
        conn.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; \
             PRAGMA journal_size_limit = 4194304;",
        )
        .map_err(Failure::from_sqlite)?;
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(Failure::from_sqlite)?;
        let known = MIGRATIONS.len() as u32;
        if version > known {
            return Err(Failure::Newer(version));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.unchecked_transaction().map_err(Failure::from_sqlite)?;
            tx.execute_batch(sql).map_err(Failure::from_sqlite)?;
            tx.pragma_update(None, "user_version", i as u32 + 1).map_err(Failure::from_sqlite)?;
            tx.commit().map_err(Failure::from_sqlite)?;
        }
        // Read every table once, so that a damaged file is found now, not at the first request.
        conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get::<_, i64>(0)).map_err(Failure::from_sqlite)?;
        let conn = Arc::new(Mutex::new(conn));
        let copier = checkpoint::start(&conn, checkpoint::Thresholds::STORE).map_err(Failure::from_sqlite)?;
        Ok(Store { conn, path: path.to_path_buf(), copier, generations: Mutex::default() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A read that failed: the file holds something this walab cannot read.
    fn unreadable(&self, e: rusqlite::Error) -> StoreError {
        StoreError::Unreadable(format!("{}: {e}", self.path.display()))
    }

    pub fn accounts(&self) -> Result<Vec<AccountRow>, StoreError> {
        self.read_accounts().map_err(|e| match e {
            StoreError::Write(reason) => StoreError::Unreadable(format!("{}: {reason}", self.path.display())),
            other => other,
        })
    }

    fn read_accounts(&self) -> Result<Vec<AccountRow>, StoreError> {
        let conn = self.lock();
        let mut statement = conn.prepare("SELECT id, created, body FROM accounts ORDER BY created, id")?;
        let rows =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?;
        let mut accounts = Vec::new();
        for row in rows {
            let (id, created, body) = row?;
            let body = serde_json::from_str(&body).map_err(|e| StoreError::Unreadable(format!("account {id}: {e}")))?;
            accounts.push(AccountRow { id, created, body });
        }
        Ok(accounts)
    }

    /// An account's rows of the given kinds.
    pub fn rows(&self, account: &str, kinds: &[&str]) -> Result<Rows, StoreError> {
        let conn = self.lock();
        let mut statement = conn
            .prepare_cached("SELECT kind, key, body FROM records WHERE account = ?1 AND kind = ?2")
            .map_err(|e| self.unreadable(e))?;
        let mut rows = Vec::new();
        for kind in kinds {
            let found = statement
                .query_map(params![account, kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(|e| self.unreadable(e))?;
            for row in found {
                rows.push(row.map_err(|e| self.unreadable(e))?);
            }
        }
        Ok(Rows { rows })
    }

    /// Creates an account with its first rows, in one transaction.
    pub fn create_account(&self, account: &AccountRow, changes: &[Change]) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO accounts (id, created, body) VALUES (?1, ?2, ?3)",
            params![account.id, account.created, account.body.to_string()],
        )?;
        apply(&tx, &account.id, changes)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces what the store keeps about an account itself.
    pub fn update_account(&self, account: &AccountRow) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute("UPDATE accounts SET body = ?2 WHERE id = ?1", params![account.id, account.body.to_string()])?;
        Ok(())
    }

    /// Commits one write's changes to `account`, all or nothing.
    pub fn commit(&self, account: &str, changes: &[Change]) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        apply(&tx, account, changes)?;
        tx.commit()?;
        drop(conn);
        let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        *generations.entry(account.to_string()).or_default() += 1;
        Ok(())
    }

    /// How many commits `account` has had since the store opened: the same number, the same
    /// committed state.
    pub fn generation(&self, account: &str) -> u64 {
        self.generations.lock().unwrap_or_else(|e| e.into_inner()).get(account).copied().unwrap_or(0)
    }

    pub fn meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock();
        match conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| r.get(0)) {
            Ok(value) => Ok(Some(value)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)", params![name, value])?;
        Ok(())
    }

    /// The database's size on disk (the main file and its write-ahead log), in bytes.
    pub fn size_on_disk(&self) -> u64 {
        ["", "-wal"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", self.path.display())).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Every row of `kind`, in account and key order: what is committed, for tests (no other
    /// connection can open the database while the store has it).
    #[doc(hidden)]
    pub fn bodies_of_kind(&self, kind: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let conn = self.lock();
        let mut statement = conn.prepare("SELECT body FROM records WHERE kind = ?1 ORDER BY account, key")?;
        let rows = statement.query_map([kind], |row| row.get::<_, Vec<u8>>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// From now on the store refuses every write, as a full or read-only disk would. For tests
    /// of what the lab does when it cannot commit.
    #[doc(hidden)]
    pub fn refuse_writes(&self) {
        let _ = self.lock().execute_batch("PRAGMA query_only = ON");
    }

    /// Writes everything to the main file (at shutdown), so the write-ahead log is small.
    pub fn checkpoint(&self) {
        let _ = self.lock().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

fn apply(tx: &rusqlite::Transaction, account: &str, changes: &[Change]) -> Result<(), StoreError> {
    let mut put =
        tx.prepare_cached("INSERT OR REPLACE INTO records (account, kind, key, body) VALUES (?1, ?2, ?3, ?4)")?;
    let mut delete = tx.prepare_cached("DELETE FROM records WHERE account = ?1 AND kind = ?2 AND key = ?3")?;
    for change in changes {
        match change {
            Change::Put { kind, key, body } => {
                put.execute(params![account, kind, key, body])?;
            }
            Change::Delete { kind, key } => {
                delete.execute(params![account, kind, key])?;
            }
            Change::Unwritable { kind, key, reason } => {
                return Err(StoreError::Write(format!("a {kind} row ({key}) cannot be stored: {reason}")));
            }
        }
    }
    Ok(())
}

/// Why a database could not be opened.
enum Failure {
    /// Not a database, or a damaged one: set it aside and start afresh.
    Damaged(String),
    Newer(u32),
    Io(String),
    Other(String),
}

impl Failure {
    fn from_sqlite(e: rusqlite::Error) -> Failure {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Failure::Damaged(e.to_string()),
            _ => Failure::Other(e.to_string()),
        }
    }

    fn into_error(self, path: &Path) -> StoreError {
        match self {
            Failure::Newer(found) => {
                StoreError::Newer { path: path.to_path_buf(), found, known: MIGRATIONS.len() as u32 }
            }
            Failure::Damaged(reason) | Failure::Io(reason) | Failure::Other(reason) => {
                StoreError::Open { path: path.to_path_buf(), reason }
            }
        }
    }
}

/// The database file is created readable by the owner only: it holds keys and secrets. SQLite
/// gives its `-wal` and `-shm` files the same mode.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(|_| ())
}

/// Moves the database (and its `-wal`/`-shm` files) to `lab.<label>.sqlite3`; returns where.
pub fn set_aside(path: &Path, label: &str) -> Result<PathBuf, StoreError> {
    let kept = path.with_file_name(format!("lab.{label}.sqlite3"));
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", path.display()));
        let to = PathBuf::from(format!("{}{suffix}", kept.display()));
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::SetAside { path: from, source }),
        }
    }
    Ok(kept)
}

/// The lab's answer when a change cannot be committed: AWS's "try again later", and nothing changed.
pub fn unavailable(e: &StoreError) -> ApiError {
    tracing::error!("a change could not be saved, so it was not made: {e}");
    ApiError::new(
        http::StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "The local lab could not save this change, so it was not made; check the disk under the lab's state directory.",
    )
}

/// A service's state in one account, behind its own lock, written through the store.
pub struct Slice<S> {
    state: Mutex<S>,
    store: std::sync::Arc<Store>,
    account: String,
}

impl<S: Tables> Slice<S> {
    pub fn new(state: S, store: std::sync::Arc<Store>, account: String) -> Slice<S> {
        Slice { state: Mutex::new(state), store, account }
    }

    fn lock(&self) -> MutexGuard<'_, S> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn read<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the state and commits what changed before returning. A change that cannot be
    /// committed, or a write that fails after changing something, leaves the state as the
    /// store has it.
    pub fn write<R>(&self, f: impl FnOnce(&mut S) -> Result<R, ApiError>) -> Result<R, ApiError> {
        let mut state = self.lock();
        let result = f(&mut state);
        let mut changes = Vec::new();
        state.take_changes(&mut changes);
        if changes.is_empty() {
            state.committed(result.is_ok());
            return result;
        }
        if result.is_err() {
            state.committed(false);
            self.restore(&mut state);
            return result;
        }
        match self.store.commit(&self.account, &changes) {
            Ok(()) => {
                state.committed(true);
                result
            }
            Err(e) => {
                state.committed(false);
                self.restore(&mut state);
                Err(unavailable(&e))
            }
        }
    }

    /// Reads the state back from the store, dropping what was changed in memory.
    fn restore(&self, state: &mut S) {
        match self.store.rows(&self.account, S::KINDS).and_then(|mut rows| S::load(&mut rows)) {
            Ok(mut fresh) => {
                fresh.carry_over(state);
                *state = fresh;
            }
            Err(e) => tracing::error!("cannot read account {} back from the store: {e}", self.account),
        }
    }
}
