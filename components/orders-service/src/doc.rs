//! The documents the service stores, as JSON: the order envelope and the small documents that
//! its pending effects write (index entries, feed entries, idempotency records, external-id
//! pointers).

use std::collections::BTreeMap;

use orderflow_domain::order::Order;
use orderflow_domain::values::{Channel, ExternalId, OrderId, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::keys::{IdempotencyHash, IndexName};

/// How many earlier write ids an order document remembers: enough for a writer whose swap was
/// reported failed (Redis) to recognise its own write even after a few later writes.
pub(crate) const RECENT_WRITES: usize = 32;

/// The order document: the truth about one order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stored {
    /// Unique per write, so a writer can tell whether a swap reported as failed happened.
    pub(crate) write_id: String,
    /// Write ids of the writes before this one, newest last.
    #[serde(default)]
    pub(crate) recent_writes: Vec<String>,
    /// The order.
    pub(crate) order: Order,
    /// The slot the order holds in each index it belongs to.
    #[serde(default)]
    pub(crate) slots: BTreeMap<IndexName, u64>,
    /// Derived writes committed with this version and not yet known to be applied.
    #[serde(default)]
    pub(crate) pending: Vec<Effect>,
    /// The outbox position of each version (`outbox[v - 1]`; 0 where none was written): an
    /// outbox entry is committed exactly when its version here holds its position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) outbox: Vec<u64>,
}

impl Stored {
    /// Whether the write `write_id` is this one or one of the recent ones before it.
    pub(crate) fn carries(&self, write_id: &str) -> bool {
        self.write_id == write_id || self.recent_writes.iter().any(|w| w == write_id)
    }

    /// The next document: `write_id` replaces the current one, which joins the recent ones.
    pub(crate) fn succeeded_by(&self, write_id: String) -> Stored {
        let mut recent = self.recent_writes.clone();
        recent.push(self.write_id.clone());
        let excess = recent.len().saturating_sub(RECENT_WRITES);
        recent.drain(..excess);
        Stored {
            write_id,
            recent_writes: recent,
            order: self.order.clone(),
            slots: self.slots.clone(),
            pending: Vec::new(),
            outbox: self.outbox.clone(),
        }
    }

    /// Whether this document's `version` was written with the outbox entry at `position`
    /// (`orderflow_kv::outbox::committed`).
    pub(crate) fn committed(&self, version: u64, position: u64) -> Option<bool> {
        crate::kv::outbox::committed(&self.outbox, self.order.version(), version, position)
    }

    /// Records that the current version was written with the outbox entry at `position`.
    pub(crate) fn record_outbox(&mut self, position: u64) {
        crate::kv::outbox::record(&mut self.outbox, self.order.version(), position);
    }
}

/// A derived write, idempotent: applying it twice is applying it once.
#[derive(Debug, Clone, Serialize, Deserialize)]
// Externally tagged: serde's internally tagged enums buffer through `Content`, which is large in
// wasm.
#[serde(rename_all = "kebab-case")]
pub(crate) enum Effect {
    /// Write the order's id in its slot of an index.
    IndexAdd {
        /// The index.
        index: IndexName,
        /// The slot.
        slot: u64,
    },
    /// Remove the order's old slot from an index it left.
    IndexRemove {
        /// The index.
        index: IndexName,
        /// The slot.
        slot: u64,
    },
    /// Write a feed entry at its position (documents written before outbox entries were
    /// written ahead of their swap may still carry one).
    Feed {
        /// The position.
        position: u64,
        /// The entry.
        entry: FeedEntry,
    },
    /// Point the channel's own id at the order.
    External {
        /// The channel.
        channel: Channel,
        /// The channel's id.
        external_id: ExternalId,
    },
    /// Record an Idempotency-Key's outcome.
    Idempotency {
        /// The key's hash.
        hash: IdempotencyHash,
        /// The record.
        record: Box<IdempotencyRecord>,
    },
}

/// An entry of an index or an external-id pointer: the order it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pointer {
    /// The order.
    pub(crate) id: OrderId,
}

/// One outbox entry: what one write of an order would do, written before the write's swap (see
/// [`Stored::committed`]). The integrations service's sequencer turns committed ones into feed
/// events.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FeedEntry {
    /// The order.
    pub(crate) order_id: OrderId,
    /// Its number.
    pub(crate) number: u64,
    /// The version the events produced.
    pub(crate) version: u64,
    /// When.
    pub(crate) at: Timestamp,
    /// What happened: the domain's `Event`s as JSON text. Kept raw so the service never
    /// deserializes events (an internally tagged enum, large in wasm) nor carries
    /// `serde_json::Value` (its float formatting): it only writes them.
    pub(crate) events: Box<serde_json::value::RawValue>,
    /// The order as this write leaves it (absent in entries written after their swap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) order: Option<Box<Order>>,
}

/// Which version of an order its index slots reflect, and the slots (`ord/ixo/{id}`, written
/// by the indexer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndexRecord {
    /// The version indexed (0: none yet).
    pub(crate) version: u64,
    /// The slot the order holds in each index it belongs to.
    pub(crate) slots: BTreeMap<IndexName, u64>,
}

/// The indexer's head (`ord/ixh`, compare-and-swap): how far it has read the outbox, what it
/// passed over, and the plan of its last batch (applied again by whoever reads it next).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndexHead {
    pub(crate) write_id: String,
    #[serde(default)]
    pub(crate) recent: Vec<String>,
    /// Every outbox position up to this one is indexed, or passed over (`recheck`).
    pub(crate) cursor: u64,
    /// Positions passed over while pending, and since when.
    #[serde(default)]
    pub(crate) recheck: Vec<(u64, Timestamp)>,
    /// The last batch's writes.
    #[serde(default)]
    pub(crate) plan: Option<IndexPlan>,
}

/// A batch's writes: keys and their values (JSON text), and keys to delete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexPlan {
    pub(crate) puts: Vec<(String, String)>,
    pub(crate) deletes: Vec<String>,
}

impl IndexPlan {
    /// Nothing to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty()
    }
}

/// What an Idempotency-Key produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdempotencyRecord {
    /// The route.
    pub(crate) scope: String,
    /// The key as sent.
    pub(crate) key: String,
    /// The request body's digest.
    pub(crate) fingerprint: String,
    /// The 24-hour generation of the key (a key used again after 24 h starts a new one).
    pub(crate) generation: u64,
    /// When the request was answered.
    pub(crate) at: Timestamp,
    /// Whether that answer changed the order.
    pub(crate) changed: bool,
    /// The order as answered.
    pub(crate) snapshot: Order,
    /// Written by a placement before its order (so a crash between the order and its effects
    /// cannot let a retry place it again): it holds only once that order exists.
    #[serde(default)]
    pub(crate) tentative: bool,
}

/// Encodes a document.
pub(crate) fn encode<T: Serialize>(doc: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(doc).map_err(|e| format!("encoding a document: {e}"))
}

/// Decodes a document read from `key`.
pub(crate) fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{key} does not parse: {e}"))
}
