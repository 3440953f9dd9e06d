//! `type = "spin"`: the SQLite store as Spin itself runs it, so that a benchmark on the runner
//! predicts `spin up` with its default store.
//!
//! Follows spinframework/spin `crates/key-value-spin/src/store.rs` (v3.6.3): one connection
//! behind a mutex serves every call, reads included; each call is its own commit (`increment`,
//! `set-many` and the swap of a key that was absent are one transaction each); the file keeps
//! SQLite's default journal mode and synchronous setting, which Spin does not change. Unlike
//! Spin, an `increment` of a value that is not a counter is an error, not a host panic.

use std::path::Path;
use std::sync::Mutex;

use orderflow_kv_sqlite::{DELETE, KEYS, SCHEMA, SWAP, UPSERT};
use rusqlite::{Connection, params};

use super::{Backend, KvError, Pairs, add, lock, select};

/// Spin's SQLite store: a commit per call on one connection.
#[derive(Debug)]
pub struct SpinSqlite {
    conn: Mutex<Connection>,
}

impl SpinSqlite {
    /// Opens (creating if needed) the database at `path`, as Spin opens it.
    pub fn open(path: &Path) -> Result<Self, KvError> {
        let conn = Connection::open(path)?;
        conn.execute(SCHEMA, [])?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }
}

impl Backend for SpinSqlite {
    fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        select(&lock(&self.conn), store, key)
    }

    fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        lock(&self.conn)
            .prepare_cached(UPSERT)?
            .execute(params![store, key, value])?;
        Ok(())
    }

    fn delete(&self, store: &str, key: &str) -> Result<(), KvError> {
        lock(&self.conn)
            .prepare_cached(DELETE)?
            .execute(params![store, key])?;
        Ok(())
    }

    fn keys(&self, store: &str) -> Result<Vec<String>, KvError> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare_cached(KEYS)?;
        let keys = stmt
            .query_map([store], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(keys)
    }

    fn get_many(&self, store: &str, keys: &[String]) -> Result<Pairs, KvError> {
        let conn = lock(&self.conn);
        let mut found = Vec::new();
        for key in keys {
            if let Some(v) = select(&conn, store, key)? {
                found.push((key.clone(), Some(v)));
            }
        }
        Ok(found)
    }

    fn set_many(&self, store: &str, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction()?;
        for (k, v) in pairs {
            tx.prepare_cached(UPSERT)?.execute(params![store, k, v])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn delete_many(&self, store: &str, keys: &[String]) -> Result<(), KvError> {
        // Spin deletes them with one statement: one commit.
        let mut conn = lock(&self.conn);
        let tx = conn.transaction()?;
        for k in keys {
            tx.prepare_cached(DELETE)?.execute(params![store, k])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction()?;
        let new = add(key, select(&tx, store, key)?, delta)?;
        tx.prepare_cached(UPSERT)?
            .execute(params![store, key, new.to_le_bytes()])?;
        tx.commit()?;
        Ok(new)
    }

    fn swap(
        &self,
        store: &str,
        key: &str,
        seen: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        let mut conn = lock(&self.conn);
        let rows = match seen {
            Some(old) => conn
                .prepare_cached(SWAP)?
                .execute(params![value, store, key, old])?,
            None => {
                let tx = conn.transaction()?;
                let rows = tx
                    .prepare_cached(UPSERT)?
                    .execute(params![store, key, value])?;
                tx.commit()?;
                rows
            }
        };
        Ok(rows == 1)
    }
}
