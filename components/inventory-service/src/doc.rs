//! The documents the inventory service stores, as JSON.

use orderflow_domain::inventory::{Movement, StockItem};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How many earlier write ids a SKU's document remembers (see `orderflow_kv::write`).
pub(crate) const RECENT_WRITES: usize = 16;

/// How many movements one archived ledger chunk holds.
pub(crate) const CHUNK: usize = 64;

/// A SKU's document: its stock, the newest movements of its ledger, and where the older ones
/// were archived.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stored {
    /// Unique per write, so a writer can tell whether a swap reported as failed happened.
    pub(crate) write_id: String,
    /// Write ids of the writes before this one, newest last.
    #[serde(default)]
    pub(crate) recent_writes: Vec<String>,
    /// The stock.
    pub(crate) item: StockItem,
    /// Its slot in the index of every tracked SKU.
    pub(crate) slot: u64,
    /// The movements after the archived chunks, oldest first.
    #[serde(default)]
    pub(crate) ledger: Vec<Movement>,
    /// For each archived chunk (from 0), the version of the write that archived it: chunk `k`
    /// holds movements `k * CHUNK + 1` to `(k + 1) * CHUNK`.
    #[serde(default)]
    pub(crate) chunks: Vec<u64>,
}

impl Stored {
    /// Whether the write `write_id` is this one or one of the recent ones before it.
    pub(crate) fn carries(&self, write_id: &str) -> bool {
        self.write_id == write_id || self.recent_writes.iter().any(|w| w == write_id)
    }
}

/// An entry of the index of every tracked SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SkuEntry {
    /// The SKU.
    pub(crate) sku: String,
}

/// Encodes a document.
pub(crate) fn encode<T: Serialize>(doc: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(doc).map_err(|e| format!("encoding a document: {e}"))
}

/// Decodes a document read from `key`.
pub(crate) fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{key} does not parse: {e}"))
}
