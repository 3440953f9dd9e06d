//! The documents the service stores, as JSON: the order envelope, its outbox entries, and the
//! small documents around them (index entries, the indexer's head and records, idempotency
//! records, external-id pointers).

use std::collections::BTreeMap;

use orderflow_domain::order::Order;
use orderflow_domain::values::{OrderId, Quantity, Sku, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::keys::{self, IdempotencyHash, IndexName};

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
    /// The version at which the order joined each index it belongs to: an index entry holds
    /// exactly when it names that version ([`IndexEntry`]).
    #[serde(default)]
    pub(crate) joined: BTreeMap<IndexName, u64>,
    /// The Idempotency-Keys that commands on this order ran under in the last 24 hours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) keys: Vec<KeyUse>,
    /// The outbox position of each version (`outbox[v - 1]`; 0 where none was written): an
    /// outbox entry is committed exactly when its version here holds its position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) outbox: Vec<u64>,
}

impl Stored {
    /// The first document of `order`, written with the outbox entry at `position`.
    pub(crate) fn first(write_id: String, order: Order, position: u64) -> Stored {
        let joined = joined_after(&BTreeMap::new(), &order);
        let mut stored = Stored {
            write_id,
            recent_writes: Vec::new(),
            order,
            joined,
            keys: Vec::new(),
            outbox: Vec::new(),
        };
        stored.record_outbox(position);
        stored
    }

    /// Whether the write `write_id` is this one or one of the recent ones before it.
    pub(crate) fn carries(&self, write_id: &str) -> bool {
        self.write_id == write_id || self.recent_writes.iter().any(|w| w == write_id)
    }

    /// The next document: `write_id` replaces the current one, which joins the recent ones;
    /// `order` replaces the order, and the indexes it enters are joined at its version.
    pub(crate) fn succeeded_by(&self, write_id: String, order: Order) -> Stored {
        let mut recent = self.recent_writes.clone();
        crate::kv::write::remember(&mut recent, self.write_id.clone(), RECENT_WRITES);
        let joined = joined_after(&self.joined, &order);
        Stored {
            write_id,
            recent_writes: recent,
            order,
            joined,
            keys: self.keys.clone(),
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

    /// The outbox position `version` was written with, if any.
    pub(crate) fn position_of(&self, version: u64) -> Option<u64> {
        let at = usize::try_from(version.checked_sub(1)?).ok()?;
        self.outbox.get(at).copied().filter(|p| *p != 0)
    }
}

/// The indexes `order` belongs to, each with the version at which it joined: as in `before` for
/// those it was already in, its own version for the others.
fn joined_after(before: &BTreeMap<IndexName, u64>, order: &Order) -> BTreeMap<IndexName, u64> {
    let version = order.version();
    keys::indexes_of(order)
        .into_iter()
        .map(|index| {
            let since = before.get(&index).copied().unwrap_or(version);
            (index, since)
        })
        .collect()
}

/// An Idempotency-Key a command on an order ran under. Kept in the order's document, so a retry
/// racing the first attempt finds it under the document's compare-and-swap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyUse {
    /// The key's hash (route and key).
    pub(crate) hash: IdempotencyHash,
    /// The request body's digest.
    pub(crate) fingerprint: String,
    /// When the command was answered.
    pub(crate) at: Timestamp,
    /// The version it was answered with.
    pub(crate) version: u64,
    /// Whether it changed the order.
    pub(crate) changed: bool,
}

/// An external-id pointer: the order it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pointer {
    /// The order.
    pub(crate) id: OrderId,
}

/// An index entry: the order it names and the version at which it joined the index. It holds
/// while the order's document says it joined the index at that version, so an entry left behind
/// by an order that moved on, or written again by a late indexer, never lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexEntry {
    /// The order.
    pub(crate) id: OrderId,
    /// The version at which it joined (0 in entries written before versions were: they never
    /// count).
    #[serde(default)]
    pub(crate) v: u64,
}

/// One outbox entry: what one write of an order would do, written before the write's swap (see
/// [`Stored::committed`]). The integrations service's sequencer turns committed ones into feed
/// events; the indexer, into index entries.
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

/// What the indexer reads of an outbox entry: of the order it carries, only its lines, and its
/// events unread, for the stock steps they may call for (the sequencer reads the whole
/// [`FeedEntry`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EntryRef {
    /// The order.
    pub(crate) order_id: OrderId,
    /// The version.
    pub(crate) version: u64,
    /// What happened, as written.
    #[serde(default)]
    pub(crate) events: Option<Box<serde_json::value::RawValue>>,
    /// Present in entries written before their swap.
    #[serde(default)]
    pub(crate) order: Option<OrderLines>,
}

/// An order read for its lines only.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OrderLines {
    /// SKU and quantity of each line.
    pub(crate) items: Vec<LineRef>,
}

/// A line read for its SKU and quantity only.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LineRef {
    /// The SKU.
    pub(crate) sku: Sku,
    /// How many.
    pub(crate) quantity: Quantity,
}

/// What readers of the outbox (the sequencer, the indexer) read of an order document: what
/// decides its outbox entries, and the indexes it joined; the order itself is skipped, all but
/// its version.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DocumentView {
    /// [`Stored::joined`].
    #[serde(default)]
    pub(crate) joined: BTreeMap<IndexName, u64>,
    /// [`Stored::outbox`].
    #[serde(default)]
    pub(crate) outbox: Vec<u64>,
    /// The order's version.
    pub(crate) order: VersionOnly,
}

/// An order read for its version only.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VersionOnly {
    /// The version.
    pub(crate) version: u64,
}

impl DocumentView {
    /// [`Stored::committed`].
    pub(crate) fn committed(&self, version: u64, position: u64) -> Option<bool> {
        crate::kv::outbox::committed(&self.outbox, self.order.version, version, position)
    }
}

/// The slots the indexer gave an order (`ord/ixo/{id}`), so that it can delete an entry once the
/// order has left the index. Only for tidiness: entries are judged by the order's document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexRecord {
    /// For each index: the slot, and the version at which the order joined it.
    pub(crate) slots: BTreeMap<IndexName, (u64, u64)>,
}

/// The indexer's head (`ord/ixh`, compare-and-swap): how far it has read the outbox, what it
/// passed over, its last batch's plan until applied, and the lease of the pass at work.
pub(crate) type IndexHead = crate::kv::head::IndexHead<IndexPlan, Timestamp>;

/// A batch's writes, compact (the head carries it): the slots given, the records of the orders
/// moved, and the entries of indexes left. Applying it writes each join's entry and slot key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexPlan {
    /// Each join: the index, the slot, the order, and the version at which it joined.
    #[serde(default)]
    pub(crate) joins: Vec<(IndexName, u64, OrderId, u64)>,
    /// The records of the orders whose slots changed.
    #[serde(default)]
    pub(crate) records: Vec<(OrderId, IndexRecord)>,
    /// Entries to delete: the index and the slot.
    #[serde(default)]
    pub(crate) leaves: Vec<(IndexName, u64)>,
}

impl IndexPlan {
    /// Nothing to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.joins.is_empty() && self.records.is_empty() && self.leaves.is_empty()
    }
}

/// What a request under an Idempotency-Key produced (`ord/idem/{hash}`). A placement writes it
/// in one batch with its order; a command on an order, with its outbox entry, so that it holds
/// once the order's document has reached `version` at `position`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyRecord {
    /// The order.
    pub(crate) id: OrderId,
    /// The 24-hour generation of the key (a key used again after 24 h starts a new one).
    pub(crate) generation: u64,
    /// When the request was answered.
    pub(crate) at: Timestamp,
    /// The request body's digest.
    pub(crate) fingerprint: String,
    /// The version answered.
    pub(crate) version: u64,
    /// The outbox position that version must hold for the record to hold (0: it holds as is).
    pub(crate) position: u64,
    /// Whether the answer changed the order.
    pub(crate) changed: bool,
}

/// Encodes a document.
pub(crate) fn encode<T: Serialize>(doc: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(doc).map_err(|e| format!("encoding a document: {e}"))
}

/// Decodes a document read from `key`.
pub(crate) fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{key} does not parse: {e}"))
}
