//! Key-value backends: SQLite (Spin's file and schema) with group commit, SQLite as Spin itself
//! runs it ([`spin`], chosen with a runtime config file), Redis as Spin runs it ([`redis`], also
//! chosen with a runtime config file), and in-memory.
//!
//! Semantics follow spinframework/spin `crates/key-value-spin/src/store.rs` (v3.6.3): increment
//! keeps an 8-byte little-endian i64 with a missing key counting as 0; a compare-and-swap whose
//! `current()` saw no value is an unconditional upsert, otherwise it updates only while the value
//! is still the one read. Where Spin panics (increment of a value that is not 8 bytes) this
//! returns an error instead: no guest may crash the host.
//!
//! The SQLite store runs in WAL mode with `synchronous = NORMAL`: a commit is in the WAL, handed to
//! the OS, before the call returns, so every acknowledged write survives the runner being killed
//! (not a power cut, which would need `FULL`). Writes go through one connection behind a mutex
//! held for one statement or transaction, never across a request; reads use a pool of
//! connections and run beside writes. A busy timeout covers a second process on the same file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use orderflow_kv_sqlite::{DELETE, FILE_NAME, JOURNAL_MODE, KEYS, SCHEMA, SELECT, SWAP, UPSERT};
use rusqlite::{Connection, OptionalExtension, params};

pub mod redis;
pub mod spin;

/// A backend failure; guests see it as the `other(string)` error variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// SQLite failed.
    #[error("{0}")]
    Sqlite(String),
    /// `increment` found a value that is not an 8-byte little-endian integer.
    #[error("incorrect length: the value of {0:?} is not an 8-byte little-endian integer")]
    NotACounter(String),
    /// Redis failed, or refused the command; the text is the `Debug` of redis-rs's error, which
    /// is what Spin's Redis store hands the guest.
    #[error("{0}")]
    Redis(String),
    /// Where Spin's host panics (and the request with it); the runner traps the instance instead.
    #[error("{0}")]
    HostPanic(String),
}

/// How a [`Cas::swap`] failed, as Spin's `SwapError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapError {
    /// The guest gets `cas-failed` (with a fresh handle); the text is for the log.
    CasFailed(String),
    /// The guest gets `store-error`.
    Other(KvError),
}

/// A compare-and-swap in progress on a backend that runs it itself (Spin's `Cas` trait): Redis,
/// where it holds a connection of its own.
pub trait Cas: Send + std::fmt::Debug {
    /// The key's value now; the swap is decided against it.
    fn current(&mut self) -> Result<Option<Vec<u8>>, KvError>;
    /// Writes `value` if the backend's condition holds.
    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError>;
}

impl From<rusqlite::Error> for KvError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(format!("{e:?}"))
    }
}

/// Key/value pairs as `wasi:keyvalue/batch.get-many` returns them.
pub type Pairs = Vec<(String, Option<Vec<u8>>)>;

/// Storage shared by every component instance; `store` is the label a component opened.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The value of `key`, if any.
    fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Inserts or replaces `key`.
    fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Removes `key`; absent keys are not an error.
    fn delete(&self, store: &str, key: &str) -> Result<(), KvError>;
    /// Every key of `store`.
    fn keys(&self, store: &str) -> Result<Vec<String>, KvError>;
    /// Whether `key` exists.
    fn exists(&self, store: &str, key: &str) -> Result<bool, KvError> {
        Ok(self.get(store, key)?.is_some())
    }
    /// Called when a guest opens `store` (after the grant check); an error fails the open.
    fn open_store(&self, store: &str) -> Result<(), KvError> {
        let _ = store;
        Ok(())
    }
    /// Starts a compare-and-swap on `key` that the backend runs itself, or `None` when the host
    /// runs it with [`Backend::get`] and [`Backend::swap`].
    fn new_cas(&self, store: &str, key: &str) -> Result<Option<Box<dyn Cas>>, KvError> {
        let _ = (store, key);
        Ok(None)
    }
    /// The pairs that exist among `keys` (absent keys are left out, as Spin's SQL does).
    fn get_many(&self, store: &str, keys: &[String]) -> Result<Pairs, KvError>;
    /// Sets every pair in one transaction.
    fn set_many(&self, store: &str, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError>;
    /// Deletes every key in one transaction.
    fn delete_many(&self, store: &str, keys: &[String]) -> Result<(), KvError>;
    /// Adds `delta` to the 8-byte little-endian counter at `key` and returns the new value.
    fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvError>;
    /// Writes `value` if `key` still holds `seen`; `seen == None` writes unconditionally.
    /// Returns whether the write happened.
    fn swap(
        &self,
        store: &str,
        key: &str,
        seen: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError>;
    /// Makes every write so far durable (and visible to other processes) before the caller lets
    /// anything outside the process observe it. Stores that commit each call need not act.
    fn flush(&self) -> Result<(), KvError> {
        Ok(())
    }
}

/// How many times [`lock`] tries a held lock before sleeping on it.
const LOCK_SPINS: u32 = 2_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the data half-written (every operation is one
    // statement or transaction), so a poisoned lock is still usable.
    //
    // The store's calls hold it for a few microseconds, and parallel instances (the shards of a
    // subscription pass) take it tens of thousands of times a second: sleeping on it at once
    // costs two context switches per contended call, more than the wait. So a contended caller
    // first spins for about as long as a call takes (std's mutex spins only ~100 times).
    for _ in 0..LOCK_SPINS {
        match m.try_lock() {
            Ok(guard) => return guard,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn add(key: &str, old: Option<Vec<u8>>, delta: i64) -> Result<i64, KvError> {
    let old = match old {
        None => 0,
        Some(bytes) => i64::from_le_bytes(
            bytes
                .try_into()
                .map_err(|_| KvError::NotACounter(key.to_owned()))?,
        ),
    };
    Ok(old.wrapping_add(delta))
}

/// Spin's SQLite store in `<state dir>/sqlite_key_value.db`, with group commit.
///
/// One connection serves every call, behind a mutex held for one statement, so each call sees
/// every write before it. Writes go into one open transaction that is committed by [`flush`]
/// (the runner calls it before any response, outbound request or cron completion makes a write
/// observable outside the process), by a background thread once the transaction is
/// [`GROUP_WINDOW`] old, and after [`GROUP_WRITES`] writes. Each write is a savepoint inside it,
/// so a failed batch leaves nothing half-written. A kill loses only writes that nobody outside
/// has seen depend on: the file always holds a prefix of the writes, in order. A commit that
/// fails stops the store (every later call fails) rather than let a later commit acknowledge
/// writes that were rolled back.
///
/// The background thread also checkpoints the WAL into the database (passive, on its own
/// connection) so that no call waits for a checkpoint's copy and fsync.
///
/// [`flush`]: Backend::flush
#[derive(Debug)]
pub struct Sqlite {
    group: Arc<Mutex<Group>>,
}

/// The longest a write waits for its transaction's commit when nothing else commits it.
pub const GROUP_WINDOW: Duration = Duration::from_millis(5);
/// The most writes one transaction gathers.
const GROUP_WRITES: u32 = 4096;
/// How often the background thread checkpoints the WAL while writes come in.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// The one connection and its open write transaction, if any.
#[derive(Debug)]
struct Group {
    conn: Connection,
    /// When the open transaction began (None: no transaction is open).
    open_since: Option<Instant>,
    writes: u32,
    /// Commits since the last checkpoint.
    commits: u64,
    /// Why the store stopped, once a commit failed.
    failed: Option<String>,
}

impl Group {
    fn usable(&self) -> Result<(), KvError> {
        match &self.failed {
            None => Ok(()),
            Some(why) => Err(stopped(why)),
        }
    }

    /// Stops the store: the open transaction is gone, and with it writes a later commit must
    /// not be taken to have kept.
    fn stop(&mut self, why: String) -> KvError {
        tracing::error!("the key-value store stops: {why}");
        let _ = self.conn.execute_batch("ROLLBACK");
        self.open_since = None;
        let error = stopped(&why);
        self.failed = Some(why);
        error
    }

    fn begin(&mut self) -> Result<(), KvError> {
        self.usable()?;
        if self.open_since.is_none() {
            self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
            self.open_since = Some(Instant::now());
        }
        Ok(())
    }

    /// Counts a write into the open transaction, or stops the store if a failure took the
    /// transaction with it (SQLite rolls the whole transaction back on some errors, such as a
    /// full disk).
    fn wrote<T>(&mut self, result: Result<T, KvError>) -> Result<T, KvError> {
        if result.is_err() && self.conn.is_autocommit() {
            return Err(self.stop("a failed write rolled its transaction back".to_owned()));
        }
        self.writes += 1;
        if self.writes >= GROUP_WRITES {
            self.commit()?;
        }
        result
    }

    fn commit(&mut self) -> Result<(), KvError> {
        self.usable()?;
        if self.open_since.take().is_none() {
            return Ok(());
        }
        self.writes = 0;
        if let Err(e) = self
            .conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]))
        {
            return Err(self.stop(format!("commit failed: {e:?}")));
        }
        self.commits += 1;
        Ok(())
    }
}

fn stopped(why: &str) -> KvError {
    KvError::Sqlite(format!(
        "the store stopped after a failed commit ({why}); restart the runner"
    ))
}

impl Sqlite {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, KvError> {
        let conn = Self::connect(path)?;
        conn.execute(SCHEMA, [])?;
        // Checkpoints run on the background thread's connection instead.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpointer = Self::connect(path)?;
        let group = Arc::new(Mutex::new(Group {
            conn,
            open_since: None,
            writes: 0,
            commits: 0,
            failed: None,
        }));
        let weak = Arc::downgrade(&group);
        std::thread::Builder::new()
            .name("kv-commit".into())
            .spawn(move || background(&weak, &checkpointer))
            .map_err(|e| KvError::Sqlite(format!("cannot start the commit thread: {e}")))?;
        Ok(Self { group })
    }

    fn connect(path: &Path) -> Result<Connection, KvError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", JOURNAL_MODE)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(conn)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, KvError>) -> Result<T, KvError> {
        let group = lock(&self.group);
        group.usable()?;
        f(&group.conn)
    }

    /// Runs `f`, one statement or a statement after a read, in the open transaction (opening
    /// one if needed). A statement that fails is undone by SQLite alone.
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T, KvError>) -> Result<T, KvError> {
        let mut group = lock(&self.group);
        group.begin()?;
        let result = f(&group.conn);
        group.wrote(result)
    }

    /// Runs `f`, several statements, as one savepoint of the open transaction: all or nothing.
    fn write_all<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, KvError>,
    ) -> Result<T, KvError> {
        let mut group = lock(&self.group);
        group.begin()?;
        let run = |sql: &str| group_statement(&group.conn, sql);
        if let Err(e) = run("SAVEPOINT batch") {
            return group.wrote(Err(e));
        }
        let result = f(&group.conn);
        let ended = match result {
            Ok(_) => run("RELEASE batch"),
            Err(_) => run("ROLLBACK TO batch").and_then(|()| run("RELEASE batch")),
        };
        if let Err(e) = ended {
            // The transaction is in a state nobody planned for: what it holds goes.
            return Err(group.stop(format!("ending a batch failed: {e}")));
        }
        group.wrote(result)
    }
}

fn group_statement(conn: &Connection, sql: &str) -> Result<(), KvError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Commits transactions older than [`GROUP_WINDOW`] and checkpoints the WAL, until the store
/// is dropped (then commits what is left).
fn background(group: &std::sync::Weak<Mutex<Group>>, checkpointer: &Connection) {
    let mut last_checkpoint = Instant::now();
    loop {
        std::thread::sleep(GROUP_WINDOW / 2);
        let Some(group) = group.upgrade() else { return };
        let commits = {
            let mut group = lock(&group);
            if group
                .open_since
                .is_some_and(|since| since.elapsed() >= GROUP_WINDOW)
            {
                let _ = group.commit();
            }
            group.commits
        };
        if commits > 0 && last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            last_checkpoint = Instant::now();
            // Passive: copies what no reader needs, never waits for or blocks the writer.
            if let Err(e) = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            {
                tracing::warn!("WAL checkpoint failed: {e}");
            } else {
                lock(&group).commits = 0;
            }
        }
    }
}

impl Drop for Sqlite {
    fn drop(&mut self) {
        if let Err(e) = lock(&self.group).commit() {
            tracing::error!("key-value writes lost at exit: {e}");
        }
    }
}

fn select(conn: &Connection, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
    Ok(conn
        .prepare_cached(SELECT)?
        .query_row(params![store, key], |row| row.get(0))
        .optional()?)
}

impl Backend for Sqlite {
    fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.read(|c| select(c, store, key))
    }

    fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write(|c| {
            c.prepare_cached(UPSERT)?
                .execute(params![store, key, value])?;
            Ok(())
        })
    }

    fn delete(&self, store: &str, key: &str) -> Result<(), KvError> {
        self.write(|c| {
            c.prepare_cached(DELETE)?.execute(params![store, key])?;
            Ok(())
        })
    }

    fn keys(&self, store: &str) -> Result<Vec<String>, KvError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(KEYS)?;
            let keys = stmt
                .query_map([store], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            Ok(keys)
        })
    }

    fn get_many(&self, store: &str, keys: &[String]) -> Result<Pairs, KvError> {
        self.read(|c| {
            let mut found = Vec::new();
            for key in keys {
                if let Some(v) = select(c, store, key)? {
                    found.push((key.clone(), Some(v)));
                }
            }
            Ok(found)
        })
    }

    fn set_many(&self, store: &str, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        self.write_all(|c| {
            for (k, v) in pairs {
                c.prepare_cached(UPSERT)?.execute(params![store, k, v])?;
            }
            Ok(())
        })
    }

    fn delete_many(&self, store: &str, keys: &[String]) -> Result<(), KvError> {
        self.write_all(|c| {
            for k in keys {
                c.prepare_cached(DELETE)?.execute(params![store, k])?;
            }
            Ok(())
        })
    }

    fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        self.write(|c| {
            let new = add(key, select(c, store, key)?, delta)?;
            c.prepare_cached(UPSERT)?
                .execute(params![store, key, new.to_le_bytes()])?;
            Ok(new)
        })
    }

    fn swap(
        &self,
        store: &str,
        key: &str,
        seen: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        self.write(|c| {
            let rows = match seen {
                Some(old) => c
                    .prepare_cached(SWAP)?
                    .execute(params![value, store, key, old])?,
                None => c
                    .prepare_cached(UPSERT)?
                    .execute(params![store, key, value])?,
            };
            Ok(rows == 1)
        })
    }

    fn flush(&self) -> Result<(), KvError> {
        lock(&self.group).commit()
    }
}

/// A process-local store for tests and throwaway runs.
#[derive(Debug, Default)]
pub struct Memory {
    data: Mutex<HashMap<(String, String), Vec<u8>>>,
}

fn pair(store: &str, key: &str) -> (String, String) {
    (store.to_owned(), key.to_owned())
}

impl Backend for Memory {
    fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(lock(&self.data).get(&pair(store, key)).cloned())
    }

    fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        lock(&self.data).insert(pair(store, key), value.to_vec());
        Ok(())
    }

    fn delete(&self, store: &str, key: &str) -> Result<(), KvError> {
        lock(&self.data).remove(&pair(store, key));
        Ok(())
    }

    fn keys(&self, store: &str) -> Result<Vec<String>, KvError> {
        Ok(lock(&self.data)
            .keys()
            .filter(|(s, _)| s == store)
            .map(|(_, k)| k.clone())
            .collect())
    }

    fn get_many(&self, store: &str, keys: &[String]) -> Result<Pairs, KvError> {
        let data = lock(&self.data);
        Ok(keys
            .iter()
            .filter_map(|k| {
                let v = data.get(&pair(store, k))?;
                Some((k.clone(), Some(v.clone())))
            })
            .collect())
    }

    fn set_many(&self, store: &str, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        let mut data = lock(&self.data);
        for (k, v) in pairs {
            data.insert(pair(store, k), v.clone());
        }
        Ok(())
    }

    fn delete_many(&self, store: &str, keys: &[String]) -> Result<(), KvError> {
        let mut data = lock(&self.data);
        for k in keys {
            data.remove(&pair(store, k));
        }
        Ok(())
    }

    fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut data = lock(&self.data);
        let new = add(key, data.get(&pair(store, key)).cloned(), delta)?;
        data.insert(pair(store, key), new.to_le_bytes().to_vec());
        Ok(new)
    }

    fn swap(
        &self,
        store: &str,
        key: &str,
        seen: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        let mut data = lock(&self.data);
        let k = pair(store, key);
        let ok = match (seen, data.get(&k)) {
            (None, _) => true,
            (Some(old), Some(current)) => old == current.as_slice(),
            (Some(_), None) => false,
        };
        if ok {
            data.insert(k, value.to_vec());
        }
        Ok(ok)
    }
}

/// Which backend `orderflow up` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// Spin's SQLite file under the state directory.
    Sqlite,
    /// Process memory, gone at exit.
    Memory,
}

/// Opens the chosen backend; SQLite lives at `<state_dir>/sqlite_key_value.db` like Spin's.
pub fn open(kind: BackendKind, state_dir: &Path) -> Result<Arc<dyn Backend>, KvError> {
    match kind {
        BackendKind::Memory => Ok(Arc::new(Memory::default())),
        BackendKind::Sqlite => Ok(Arc::new(Sqlite::open(&in_dir(state_dir)?)?)),
    }
}

/// Opens Spin's own SQLite store (a commit per call) at `path`, or in the state directory.
pub fn open_spin(path: Option<&Path>, state_dir: &Path) -> Result<Arc<dyn Backend>, KvError> {
    let path = match path {
        Some(path) => path.to_owned(),
        None => in_dir(state_dir)?,
    };
    Ok(Arc::new(spin::SpinSqlite::open(&path)?))
}

/// Opens Spin's Redis store on the server at `url` (nothing is sent until the first call).
pub fn open_redis(url: &str) -> Result<Arc<dyn Backend>, KvError> {
    Ok(Arc::new(redis::Redis::open(url)?))
}

/// The database file in `state_dir`, created if missing.
fn in_dir(state_dir: &Path) -> Result<std::path::PathBuf, KvError> {
    std::fs::create_dir_all(state_dir)
        .map_err(|e| KvError::Sqlite(format!("cannot create {}: {e}", state_dir.display())))?;
    Ok(state_dir.join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backends() -> Vec<(Arc<dyn Backend>, Option<tempdir::Dir>)> {
        let dir = tempdir::Dir::new();
        let sqlite: Arc<dyn Backend> = Arc::new(Sqlite::open(&dir.path.join("kv.db")).unwrap());
        let spin_dir = tempdir::Dir::new();
        let spin: Arc<dyn Backend> =
            Arc::new(spin::SpinSqlite::open(&spin_dir.path.join("kv.db")).unwrap());
        vec![
            (Arc::new(Memory::default()), None),
            (sqlite, Some(dir)),
            (spin, Some(spin_dir)),
        ]
    }

    /// A directory removed on drop (no extra dependency for one helper).
    mod tempdir {
        pub(super) struct Dir {
            pub(super) path: std::path::PathBuf,
        }
        impl Dir {
            pub(super) fn new() -> Self {
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let path =
                    std::env::temp_dir().join(format!("orderflow-kv-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&path).unwrap();
                Self { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[test]
    fn stores_are_namespaced_by_label() {
        for (b, _dir) in backends() {
            b.set("a", "k", b"1").unwrap();
            b.set("b", "k", b"2").unwrap();
            assert_eq!(b.get("a", "k").unwrap().unwrap(), b"1");
            assert_eq!(b.keys("b").unwrap(), ["k"]);
            b.delete("a", "k").unwrap();
            assert_eq!(b.get("a", "k").unwrap(), None);
            b.delete("a", "never-there").unwrap();
        }
    }

    #[test]
    fn increment_keeps_an_eight_byte_little_endian_counter() {
        for (b, _dir) in backends() {
            assert_eq!(b.increment("s", "n", 5).unwrap(), 5);
            assert_eq!(b.increment("s", "n", -2).unwrap(), 3);
            assert_eq!(b.get("s", "n").unwrap().unwrap(), 3i64.to_le_bytes());
            b.set("s", "text", b"hello").unwrap();
            assert!(matches!(
                b.increment("s", "text", 1),
                Err(KvError::NotACounter(_))
            ));
        }
    }

    #[test]
    fn a_swap_after_seeing_no_value_is_an_unconditional_upsert() {
        for (b, _dir) in backends() {
            b.set("s", "k", b"someone else").unwrap();
            assert!(b.swap("s", "k", None, b"mine").unwrap());
            assert_eq!(b.get("s", "k").unwrap().unwrap(), b"mine");
        }
    }

    #[test]
    fn a_swap_after_a_change_fails_and_writes_nothing() {
        for (b, _dir) in backends() {
            b.set("s", "k", b"v2").unwrap();
            assert!(!b.swap("s", "k", Some(b"v1"), b"v3").unwrap());
            assert_eq!(b.get("s", "k").unwrap().unwrap(), b"v2");
            assert!(b.swap("s", "k", Some(b"v2"), b"v3").unwrap());
            b.delete("s", "k").unwrap();
            assert!(!b.swap("s", "k", Some(b"v3"), b"v4").unwrap());
        }
    }

    #[test]
    fn batches_leave_absent_keys_out() {
        for (b, _dir) in backends() {
            b.set_many(
                "s",
                &[("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())],
            )
            .unwrap();
            let mut got = b.get_many("s", &["a".into(), "c".into()]).unwrap();
            got.sort();
            assert_eq!(got, [("a".to_owned(), Some(b"1".to_vec()))]);
            b.delete_many("s", &["a".into(), "b".into()]).unwrap();
            assert!(b.keys("s").unwrap().is_empty());
        }
    }

    /// A store in a new file (removed with the directory).
    fn fresh_sqlite() -> (tempdir::Dir, std::path::PathBuf, Sqlite) {
        let dir = tempdir::Dir::new();
        let path = dir.path.join("kv.db");
        let store = Sqlite::open(&path).unwrap();
        (dir, path, store)
    }

    /// What another process sees in the file.
    fn outside(path: &Path, key: &str) -> Option<Vec<u8>> {
        Connection::open(path)
            .unwrap()
            .query_row(SELECT, params!["s", key], |r| r.get(0))
            .optional()
            .unwrap()
    }

    #[test]
    fn sqlite_writes_are_seen_at_once_inside_and_after_a_flush_outside() {
        let (_dir, path, b) = fresh_sqlite();
        b.set("s", "k", b"v").unwrap();
        assert_eq!(b.get("s", "k").unwrap().unwrap(), b"v");
        b.flush().unwrap();
        assert_eq!(outside(&path, "k").unwrap(), b"v");
        // Left alone, a write is committed within the group window.
        b.set("s", "later", b"w").unwrap();
        std::thread::sleep(GROUP_WINDOW * 20);
        assert_eq!(outside(&path, "later").unwrap(), b"w");
    }

    #[test]
    fn a_failed_write_leaves_the_open_group_intact() {
        let (_dir, path, b) = fresh_sqlite();
        b.set("s", "before", b"1").unwrap();
        b.set("s", "text", b"hello").unwrap();
        assert!(matches!(
            b.increment("s", "text", 1),
            Err(KvError::NotACounter(_))
        ));
        b.set("s", "after", b"2").unwrap();
        b.flush().unwrap();
        assert_eq!(outside(&path, "before").unwrap(), b"1");
        assert_eq!(outside(&path, "text").unwrap(), b"hello");
        assert_eq!(outside(&path, "after").unwrap(), b"2");
    }

    #[test]
    fn dropping_the_store_commits_what_it_holds() {
        let (_dir, path, b) = fresh_sqlite();
        b.set_many(
            "s",
            &[("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())],
        )
        .unwrap();
        drop(b);
        assert_eq!(outside(&path, "b").unwrap(), b"2");
    }

    #[test]
    fn the_sqlite_file_has_spins_schema_text() {
        let dir = tempdir::Dir::new();
        let path = dir.path.join("kv.db");
        Sqlite::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'spin_key_value'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sql, SCHEMA.replace("IF NOT EXISTS ", ""));
    }
}
