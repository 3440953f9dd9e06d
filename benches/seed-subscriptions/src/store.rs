//! A [`Kv`] over one rusqlite connection to the runner's store file, in long transactions: the
//! same table and statements (`orderflow-kv-sqlite`, shared with the runner's SQLite backend),
//! store label, key text and value bytes as the runner, so `orderflow up` serves what is written
//! here. It counts every call by kind.
//!
//! Not a store for concurrent use: one connection, one writer, a transaction held across many
//! operations (committed by [`SqliteKv::commit_if_due`]), which is what makes seeding a million
//! subscriptions take minutes instead of hours.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::Path;

use orderflow_kv_sqlite::{DELETE, JOURNAL_MODE, SCHEMA, SELECT, SWAP, UPSERT};
use rusqlite::{Connection, OptionalExtension, params};
use subscriptions_service::kv::{Kv, KvError, Swap};

/// The store label the components open (`key_value_stores = ["default"]`).
const STORE: &str = "default";

/// Calls made through [`Kv`], by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) get: u64,
    pub(crate) set: u64,
    pub(crate) delete: u64,
    pub(crate) increment: u64,
    pub(crate) cas_current: u64,
    pub(crate) cas_swap: u64,
}

impl Counts {
    /// Every call.
    pub(crate) fn total(&self) -> u64 {
        self.get + self.set + self.delete + self.increment + self.cas_current + self.cas_swap
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} calls: get {}, set {}, delete {}, increment {}, cas-current {}, cas-swap {}",
            self.total(),
            self.get,
            self.set,
            self.delete,
            self.increment,
            self.cas_current,
            self.cas_swap
        )
    }
}

/// The store; every call runs inside the open transaction.
pub(crate) struct SqliteKv {
    conn: Connection,
    counts: RefCell<Counts>,
    /// Calls since the last commit.
    uncommitted: Cell<u64>,
}

impl fmt::Debug for SqliteKv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteKv")
            .field("counts", &self.counts.borrow())
            .finish_non_exhaustive()
    }
}

fn err(e: rusqlite::Error) -> KvError {
    KvError(format!("sqlite: {e}"))
}

impl SqliteKv {
    /// Opens (creating if needed) the store file with the runner's schema and begins a
    /// transaction. Durability is traded for speed (`synchronous = OFF`): this is set-up, and
    /// [`SqliteKv::finish`] checkpoints everything into the file before the runner opens it.
    pub(crate) fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = Connection::open(path)?;
        // The runner's journal mode, so the file needs no conversion when it opens it.
        conn.pragma_update(None, "journal_mode", JOURNAL_MODE)?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        // 512 MiB of page cache (negative: KiB): the indexes' hot pages stay in memory.
        conn.pragma_update(None, "cache_size", -512 * 1024)?;
        conn.execute(SCHEMA, [])?;
        conn.execute_batch("BEGIN")?;
        Ok(SqliteKv {
            conn,
            counts: RefCell::new(Counts::default()),
            uncommitted: Cell::new(0),
        })
    }

    /// The calls so far.
    pub(crate) fn counts(&self) -> Counts {
        *self.counts.borrow()
    }

    /// Commits and begins a new transaction once `every` calls have run in the current one.
    pub(crate) fn commit_if_due(&self, every: u64) -> anyhow::Result<()> {
        if self.uncommitted.get() >= every {
            self.conn.execute_batch("COMMIT; BEGIN")?;
            self.uncommitted.set(0);
        }
        Ok(())
    }

    /// Commits, and folds the write-ahead log into the database file.
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        self.conn.execute_batch("COMMIT")?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Throws away everything since the last commit.
    pub(crate) fn roll_back(self) -> anyhow::Result<()> {
        self.conn.execute_batch("ROLLBACK")?;
        Ok(())
    }

    fn count(&self, bump: impl FnOnce(&mut Counts)) {
        bump(&mut self.counts.borrow_mut());
        self.uncommitted.set(self.uncommitted.get() + 1);
    }

    fn select(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.conn
            .prepare_cached(SELECT)
            .and_then(|mut s| {
                s.query_row(params![STORE, key], |row| row.get(0))
                    .optional()
            })
            .map_err(err)
    }

    fn upsert(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.conn
            .prepare_cached(UPSERT)
            .and_then(|mut s| s.execute(params![STORE, key, value]))
            .map(drop)
            .map_err(err)
    }
}

/// A compare-and-swap in progress: the key and what `cas_current` saw.
#[derive(Debug)]
pub(crate) struct Cas {
    key: String,
    seen: Option<Vec<u8>>,
}

impl Kv for SqliteKv {
    type Cas = Cas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.count(|c| c.get += 1);
        self.select(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.count(|c| c.set += 1);
        self.upsert(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.count(|c| c.delete += 1);
        self.conn
            .prepare_cached(DELETE)
            .and_then(|mut s| s.execute(params![STORE, key]))
            .map(drop)
            .map_err(err)
    }

    /// The runner's counter: an 8-byte little-endian i64, a missing key counting as 0.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.count(|c| c.increment += 1);
        let old = match self.select(key)? {
            None => 0,
            Some(bytes) => {
                i64::from_le_bytes(<[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| {
                    KvError(format!("{key:?} is not an 8-byte little-endian counter"))
                })?)
            }
        };
        let new = old.wrapping_add(delta);
        self.upsert(key, &new.to_le_bytes())?;
        Ok(new)
    }

    fn cas_current(&self, key: &str) -> Result<(Cas, Option<Vec<u8>>), KvError> {
        self.count(|c| c.cas_current += 1);
        let seen = self.select(key)?;
        Ok((
            Cas {
                key: key.to_owned(),
                seen: seen.clone(),
            },
            seen,
        ))
    }

    /// The runner's swap: an unconditional upsert when `cas_current` saw no value, otherwise an
    /// update only while the value is still the one seen.
    fn cas_swap(&self, cas: Cas, value: &[u8]) -> Result<Swap, KvError> {
        self.count(|c| c.cas_swap += 1);
        let rows = match &cas.seen {
            None => {
                self.upsert(&cas.key, value)?;
                1
            }
            Some(old) => self
                .conn
                .prepare_cached(SWAP)
                .and_then(|mut s| s.execute(params![value, STORE, cas.key, old]))
                .map_err(err)?,
        };
        Ok(if rows == 1 {
            Swap::Swapped
        } else {
            Swap::Failed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_eight_byte_little_endian_and_swaps_follow_spin() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("seed-subscriptions-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let kv = SqliteKv::open(&dir.join("kv.db"))?;
        assert_eq!(kv.increment("n", 5)?, 5);
        assert_eq!(kv.get("n")?, Some(5i64.to_le_bytes().to_vec()));
        kv.set("k", b"v1")?;
        let (stale, _) = kv.cas_current("k")?;
        let (fresh, seen) = kv.cas_current("k")?;
        assert_eq!(seen.as_deref(), Some(&b"v1"[..]));
        assert_eq!(kv.cas_swap(fresh, b"v2")?, Swap::Swapped);
        assert_eq!(kv.cas_swap(stale, b"v3")?, Swap::Failed);
        let (absent, _) = kv.cas_current("new")?;
        kv.set("new", b"someone else")?;
        assert_eq!(kv.cas_swap(absent, b"mine")?, Swap::Swapped);
        assert_eq!(kv.get("new")?.as_deref(), Some(&b"mine"[..]));
        assert_eq!(kv.counts().total(), 11);
        kv.finish()?;
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
