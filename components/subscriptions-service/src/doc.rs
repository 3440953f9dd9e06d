//! The documents the service stores, as JSON: plans, the subscription envelope, cycle records,
//! and the small documents around them (index and due entries, claim times, the pass cursor).

use std::collections::BTreeMap;

use orderflow_domain::subscription::{
    CycleStatus, PurchaseDay, Schedule, Subscription, SubscriptionStatus, TimeZone,
};
use orderflow_domain::values::{
    Currency, OrderId, PlanId, SubscriptionId, TestClockId, Text, Timestamp,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::keys::{Bucket, IndexName};

/// How many earlier write ids a subscription document remembers: enough for a writer whose swap
/// was reported failed (Redis) to recognise its own write even after a few later writes.
pub(crate) const RECENT_WRITES: usize = 16;

/// A plan: a named schedule template that subscriptions are created from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Its id.
    pub id: PlanId,
    /// What people call it ("Café do mês").
    pub name: Text,
    /// How often its subscriptions recur.
    pub schedule: Schedule,
    /// The day of the period cycles fall on, if fixed.
    pub purchase_day: Option<PurchaseDay>,
    /// The zone its schedule is read in.
    pub timezone: TimeZone,
    /// Its subscriptions end after this many cycles, if set.
    pub max_cycles: Option<u32>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// What a cycle became, as listed: the API's cycle
/// `{number, scheduledFor, status, orderId, attempts, error}`, plus `through` when the record
/// stands for a range of cycles (a long downtime's missed cycles, or a pause's skipped ones are
/// one record, not one per cycle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleRecord {
    /// The cycle number (the first, for a range).
    pub number: u32,
    /// The last cycle number of a range; `None` for a single cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<u32>,
    /// When the (first) cycle was due.
    pub scheduled_for: Timestamp,
    /// What became of it.
    pub status: CycleStatus,
    /// The order created for it.
    pub order_id: Option<OrderId>,
    /// How many times creating its order was attempted.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub error: Option<Text>,
}

/// The subscription document: the truth about one subscription, and where it is indexed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stored {
    /// Unique per write, so a writer can tell whether a swap reported as failed happened.
    pub(crate) write_id: String,
    /// The test clock it lives on: its due entry is in the clock's space, its times are the
    /// clock's, and only the clock's advances run it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) test_clock: Option<TestClockId>,
    /// Write ids of the writes before this one, newest last.
    #[serde(default)]
    pub(crate) recent_writes: Vec<String>,
    /// The subscription.
    pub(crate) subscription: Subscription,
    /// The slot it holds in each index it belongs to.
    #[serde(default)]
    pub(crate) slots: BTreeMap<IndexName, u64>,
    /// Its entry in the due index, while it has a next run.
    #[serde(default)]
    pub(crate) due: Option<DueSlot>,
    /// The stats change this version made, applied once (claimed by version) by the writer or
    /// by whoever touches the document next.
    #[serde(default)]
    pub(crate) stats: Option<StatsDelta>,
    /// The cycle records this version settled, written after the swap by the writer and again
    /// by whoever writes next.
    #[serde(default)]
    pub(crate) cycles: Vec<CycleRecord>,
    /// The outbox position of each version (`orderflow_kv::outbox`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) outbox: Vec<u64>,
}

impl Stored {
    /// Whether the write `write_id` is this one or one of the recent ones before it.
    pub(crate) fn carries(&self, write_id: &str) -> bool {
        self.write_id == write_id || self.recent_writes.iter().any(|w| w == write_id)
    }

    /// The write ids to keep in the next version: this one joins the recent ones.
    pub(crate) fn recent_after(&self) -> Vec<String> {
        let mut recent = self.recent_writes.clone();
        crate::kv::write::remember(&mut recent, self.write_id.clone(), RECENT_WRITES);
        recent
    }
}

/// A subscription's entry in the due index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DueSlot {
    /// The minute bucket.
    pub(crate) bucket: Bucket,
    /// The slot in it.
    pub(crate) slot: u64,
    /// The next run it was registered for.
    pub(crate) at: Timestamp,
}

/// What one subscription adds to the stats counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Contribution {
    /// Counted in this status.
    pub(crate) status: SubscriptionStatus,
    /// Its monthly recurring revenue in minor units, while active.
    pub(crate) mrr: Option<(Currency, i64)>,
    /// The hour (since the epoch) of its next run, while active.
    pub(crate) due_hour: Option<i64>,
}

/// The stats change of one version: from the old contribution to the new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatsDelta {
    /// The subscription version that made it (the claim's identity).
    pub(crate) version: u64,
    /// What was counted before (`None` at creation).
    pub(crate) from: Option<Contribution>,
    /// What is counted now.
    pub(crate) to: Contribution,
}

/// An index or due entry: the subscription or plan it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pointer {
    /// The id.
    pub(crate) id: String,
}

/// When a cycle's claim was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClaimedAt {
    /// The pass's clock at the claim.
    pub(crate) at: Timestamp,
}

/// The pass cursor: every due bucket up to here has been processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PassCursor {
    /// The last processed bucket.
    pub(crate) bucket: Bucket,
    /// Unique per write (Redis: a swap reported failed is checked by re-reading).
    pub(crate) write_id: String,
}

/// The currencies that have a recurring-revenue counter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Currencies {
    /// The currencies, in the order first seen.
    pub(crate) currencies: Vec<Currency>,
    /// Unique per write.
    pub(crate) write_id: String,
}

/// The id of a subscription named by an entry, if it parses.
pub(crate) fn subscription_id(pointer: &Pointer) -> Option<SubscriptionId> {
    SubscriptionId::parse(&pointer.id).ok()
}

/// Encodes a document.
pub(crate) fn encode<T: Serialize>(doc: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(doc).map_err(|e| format!("encoding a document: {e}"))
}

/// Decodes a document read from `key`.
pub(crate) fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{key} does not parse: {e}"))
}
