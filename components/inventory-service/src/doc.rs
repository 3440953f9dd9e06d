//! The documents the inventory service stores, as JSON.

use orderflow_domain::inventory::{Movement, StockEvent, StockItem};
use orderflow_domain::values::Sku;
use orderflow_domain::values::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::keys;

/// How many earlier write ids a SKU's document remembers (see `orderflow_kv::write`).
pub(crate) const RECENT_WRITES: usize = 16;

/// How many movements one archived ledger chunk of a new SKU holds: the document carries one to
/// two chunks' worth, read and written by every change.
pub(crate) const CHUNK: usize = 4;

/// The chunk size of documents written before it was stored in them.
fn first_chunk_size() -> usize {
    64
}

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
    /// How many movements each archived chunk holds.
    #[serde(default = "first_chunk_size")]
    pub(crate) chunk_size: usize,
    /// Chunks archived under keys named by the version that archived them (documents written
    /// before chunks were named by their number alone): chunk `k` is under version
    /// `chunks[k]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) chunks: Vec<u64>,
    /// Chunks archived after those, under keys named by their number: chunk `k` holds
    /// movements `k * chunk_size + 1` to `(k + 1) * chunk_size`.
    #[serde(default)]
    pub(crate) archived: u64,
}

impl Stored {
    /// Whether the write `write_id` is this one or one of the recent ones before it.
    pub(crate) fn carries(&self, write_id: &str) -> bool {
        self.write_id == write_id || self.recent_writes.iter().any(|w| w == write_id)
    }

    /// How many chunks of the ledger are archived.
    pub(crate) fn archived_chunks(&self) -> u64 {
        self.chunks.len() as u64 + self.archived
    }

    /// Where archived chunk `chunk` of `sku`'s ledger is.
    pub(crate) fn chunk_key(&self, sku: &Sku, chunk: u64) -> String {
        match usize::try_from(chunk).ok().and_then(|k| self.chunks.get(k)) {
            Some(version) => keys::ledger_chunk_of_version(sku, chunk, *version),
            None => keys::ledger_chunk(sku, chunk),
        }
    }
}

/// An outbox entry: a change of stock that published events, written before its swap. It is
/// committed when the SKU's ledger holds movement `movement` carrying the entry's position.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// The number of the change's first movement.
    pub movement: u64,
    /// The SKU after the change, without its holds (`StockItem::summary`).
    pub stock: StockItem,
    /// What moved.
    pub movements: Vec<Movement>,
    /// What it tells the integrations.
    pub events: Vec<StockEvent>,
    /// When.
    pub at: Timestamp,
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
