//! The key-value store as orderflow's services (orders, subscriptions) use it, and its one
//! implementation over Spin.
//!
//! [`Kv`] is the seam: the store logic takes `&impl Kv`, so it runs natively in tests against an
//! in-memory store ([`memory`]). [`SpinKv`] is the only code that touches spin-sdk's
//! `#[doc(hidden)]` `wasi:keyvalue@0.2.0-draft2` bindings (atomic increment and compare-and-swap),
//! which is why spin-sdk is pinned exactly. [`claim`] takes exactly-once claims that a crash
//! cannot leave taken (the orders service's external ids and Idempotency-Keys, the subscriptions
//! API's Idempotency-Keys). [`write`] is the compare-and-swap write loop with write ids, with the
//! one retry policy both services use, and [`outbox`] the protocol by which both publish what
//! they write.

use std::fmt::{self, Write as _};

pub mod claim;
pub mod head;
pub mod idempotency;
pub mod memory;
pub mod outbox;
pub mod write;

use spin_sdk::key_value::Store;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};

/// The value of a counter read with `get`: `Some(0)` when absent, `None` when the bytes are not a
/// counter. Spin's SQLite and in-memory stores keep `increment`ed values as 8 little-endian bytes,
/// its Redis store as decimal text. Reading this way costs a read; reading with `increment` by 0
/// would work everywhere too, but is a write (a SQLite transaction).
pub fn counter_value(bytes: Option<&[u8]>) -> Option<i64> {
    let Some(bytes) = bytes else {
        return Some(0);
    };
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
    match (text, <[u8; 8]>::try_from(bytes)) {
        (Some(text), _) => text.parse().ok(),
        (None, Ok(le)) => Some(i64::from_le_bytes(le)),
        (None, Err(_)) => None,
    }
}

/// Escapes free text for a key: letters, digits and `.`, `_`, `-`, `@`, `+` stay; every other
/// byte becomes `%XX`, so `/` never appears inside a part (docs/architecture.md, "The key-value
/// store").
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b'@' | b'+') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The store failed; the text says how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvError(pub String);

impl std::error::Error for KvError {}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a compare-and-swap reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// The value was written.
    Swapped,
    /// The store says the value changed since `current`. On Redis-backed Spin this is also what
    /// a swap that did write reports, so the caller re-reads to find out.
    Failed,
}

/// The operations the services use. Semantics are Spin's (docs/architecture.md, "Writes"):
/// `increment` keeps an 8-byte little-endian i64 and counts a missing key as 0; a swap on a key
/// that was absent at [`Kv::cas_current`] is an unconditional upsert.
pub trait Kv {
    /// A compare-and-swap in progress: the value seen by `cas_current`.
    type Cas;

    /// The value at `key`.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Writes `value` at `key`.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Removes `key` (absent is fine).
    fn delete(&self, key: &str) -> Result<(), KvError>;
    /// Adds `delta` to the counter at `key` atomically and returns the new value.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError>;
    /// Starts a compare-and-swap on `key`: the current value, to decide what to write.
    fn cas_current(&self, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), KvError>;
    /// Writes `value` if the key still holds what `cas_current` saw.
    fn cas_swap(&self, cas: Self::Cas, value: &[u8]) -> Result<Swap, KvError>;
    /// Writes every pair, in one call to the store (`wasi:keyvalue/batch`; on Spin's SQLite
    /// store one transaction). Not atomic as a whole on every store: callers only batch
    /// idempotent writes that are repaired if cut off.
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        pairs
            .iter()
            .try_for_each(|(key, value)| self.set(key, value))
    }
    /// Removes every key, in one call to the store (`wasi:keyvalue/batch`).
    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        keys.iter().try_for_each(|key| self.delete(key))
    }
}

/// The Spin key-value store labelled `default`, through both of spin-sdk's APIs (they see the
/// same data): `key_value::Store` for plain reads and writes, wasi:keyvalue for the atomics.
pub struct SpinKv {
    store: Store,
    bucket: store::Bucket,
}

impl fmt::Debug for SpinKv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpinKv(default)")
    }
}

impl SpinKv {
    /// Opens the `default` store.
    pub fn open() -> Result<Self, KvError> {
        let store = Store::open("default").map_err(|e| KvError(format!("open: {e}")))?;
        let bucket = store::open("default").map_err(|e| KvError(format!("open: {e}")))?;
        Ok(SpinKv { store, bucket })
    }
}

impl Kv for SpinKv {
    type Cas = atomics::Cas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.store
            .get(key)
            .map_err(|e| KvError(format!("get {key}: {e}")))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.store
            .set(key, value)
            .map_err(|e| KvError(format!("set {key}: {e}")))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.store
            .delete(key)
            .map_err(|e| KvError(format!("delete {key}: {e}")))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        atomics::increment(&self.bucket, key, delta)
            .map_err(|e| KvError(format!("increment {key}: {e}")))
    }

    fn cas_current(&self, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), KvError> {
        let cas =
            atomics::Cas::new(&self.bucket, key).map_err(|e| KvError(format!("cas {key}: {e}")))?;
        let current = cas
            .current()
            .map_err(|e| KvError(format!("cas {key}: {e}")))?;
        Ok((cas, current))
    }

    fn cas_swap(&self, cas: Self::Cas, value: &[u8]) -> Result<Swap, KvError> {
        match atomics::swap(cas, value) {
            Ok(()) => Ok(Swap::Swapped),
            Err(atomics::CasError::CasFailed(_)) => Ok(Swap::Failed),
            Err(atomics::CasError::StoreError(e)) => Err(KvError(format!("swap: {e}"))),
        }
    }

    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        batch::set_many(&self.bucket, pairs).map_err(|e| KvError(format!("set-many: {e}")))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        batch::delete_many(&self.bucket, keys).map_err(|e| KvError(format!("delete-many: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_in_keys_never_contains_a_separator() {
        assert_eq!(escape("ana@example.com"), "ana@example.com");
        assert_eq!(escape("a/b c:d%"), "a%2Fb%20c%3Ad%25");
        assert_eq!(escape("ção"), "%C3%A7%C3%A3o");
    }
}
