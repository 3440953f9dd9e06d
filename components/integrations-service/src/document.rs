//! The documents this service changes with compare-and-swap (the feed's head, consumers,
//! endpoints and their list): JSON, each carrying its write id and its recent ones, written
//! through the shared write loop (`orderflow_kv::write`), which recognises a swap that
//! Redis-backed Spin reported as failed.

use orderflow_kv::Kv;
use orderflow_kv::write::{self, Attempt, Failed, Outcome};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How many earlier write ids a document remembers.
const RECENT_WRITES: usize = 8;

/// A document written by [`write`].
pub(crate) trait Document: Serialize + DeserializeOwned {
    /// Its write id and the recent ones, newest first.
    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>);

    /// Whether it was written by `write_id` (or by one of the writes just before).
    fn carries(&mut self, write_id: &str) -> bool {
        let (id, recent) = self.write_ids();
        id == write_id || recent.iter().any(|r| r == write_id)
    }

    /// Takes `write_id` as its own; the one it had joins the recent ones.
    fn stamp(&mut self, write_id: &str) {
        let (id, recent) = self.write_ids();
        recent.insert(0, std::mem::replace(id, write_id.to_owned()));
        recent.truncate(RECENT_WRITES);
    }
}

/// What a decision asks of [`write`].
#[derive(Debug)]
pub(crate) enum Decision<D, T> {
    /// Write this document, then answer this.
    Write(D, T),
    /// Write nothing; answer this.
    Keep(T),
}

/// Why a document could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DocError {
    /// The store failed, or a document does not decode.
    Store(String),
    /// Other writers won every attempt; nothing was written.
    Contention,
}

impl From<orderflow_kv::KvError> for DocError {
    fn from(e: orderflow_kv::KvError) -> Self {
        DocError::Store(e.0)
    }
}

/// Decodes the document at `key`.
pub(crate) fn decode<D: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<D, DocError> {
    serde_json::from_slice(bytes).map_err(|e| DocError::Store(format!("{key}: {e}")))
}

/// Encodes a document.
pub(crate) fn encode<D: Serialize>(doc: &D) -> Result<Vec<u8>, DocError> {
    serde_json::to_vec(doc).map_err(|e| DocError::Store(format!("encoding: {e}")))
}

/// Changes the document at `key`: `decide` gets it (`None`: absent) and answers what to write,
/// with a write id made from `nonce` and the attempt; retried against concurrent writers.
pub(crate) fn write<K: Kv, D: Document, T, E: From<DocError>>(
    kv: &K,
    key: &str,
    nonce: u64,
    mut decide: impl FnMut(Option<D>, &str) -> Result<Decision<D, T>, E>,
) -> Result<T, E> {
    let mut attempt = 0u32;
    let outcome = write::write(
        kv,
        key,
        |current| {
            attempt += 1;
            let write_id = format!("{nonce:x}.{attempt}");
            let current = match current {
                None => None,
                Some(bytes) => Some(decode::<D>(key, &bytes)?),
            };
            match decide(current, &write_id)? {
                Decision::Keep(value) => Ok(Attempt::Done(value)),
                Decision::Write(mut next, value) => {
                    next.stamp(&write_id);
                    Ok(Attempt::Write {
                        bytes: encode(&next)?,
                        write_id,
                        value,
                    })
                }
            }
        },
        |bytes, id| decode::<D>(key, bytes).is_ok_and(|mut d| d.carries(id)),
    );
    match outcome {
        Ok(Outcome::Written(value, _) | Outcome::Unchanged(value)) => Ok(value),
        Err(Failed::Decided(e)) => Err(e),
        Err(Failed::Store(e) | Failed::Uncertain(e)) => Err(DocError::from(e).into()),
        Err(Failed::Contention) => Err(DocError::Contention.into()),
    }
}
