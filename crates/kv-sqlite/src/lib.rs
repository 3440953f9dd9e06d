//! Spin's SQLite key-value store as it lies on disk: the file name, the table `spin up` creates
//! and the statements orderflow runs on it.
//!
//! One copy for the two programs that open such a file: the local runner's store (`src/kv.rs`)
//! and the benchmark seeder (`benches/seed-subscriptions`), which fills a file the runner then
//! serves. Only text, no dependencies: the seeder does not pull in the runner (wasmtime), and
//! each program keeps its own connection handling. The text follows spinframework/spin
//! `crates/key-value-spin/src/store.rs` (v3.6.3), so a file written by either host reads the same
//! in the other.

/// The database file in a state directory (`.spin/` by default), as Spin names it.
pub const FILE_NAME: &str = "sqlite_key_value.db";

/// The table Spin creates, character for character: SQLite keeps this text in `sqlite_master`,
/// so a file from either host has the same schema.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
                           store TEXT NOT NULL,
                           key   TEXT NOT NULL,
                           value BLOB NOT NULL,

                           PRIMARY KEY (store, key)
                        )";

/// The journal mode both programs open the file in, so that neither converts it.
pub const JOURNAL_MODE: &str = "WAL";

/// The value of `$2` in store `$1`.
pub const SELECT: &str = "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2";

/// Every key of store `$1`.
pub const KEYS: &str = "SELECT key FROM spin_key_value WHERE store=$1";

/// Inserts or replaces `$2` in store `$1` with `$3`.
pub const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT(store, key) DO UPDATE SET value=$3";

/// Removes `$2` from store `$1`.
pub const DELETE: &str = "DELETE FROM spin_key_value WHERE store=$1 AND key=$2";

/// The swap of a compare-and-swap that saw a value: writes `$1` at `$3` in store `$2` only while
/// it still holds `$4` (one row changed: swapped). A swap that saw no value is an [`UPSERT`].
pub const SWAP: &str = "UPDATE spin_key_value SET value=$1 WHERE store=$2 AND key=$3 AND value=$4";
