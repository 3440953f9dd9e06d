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

/// The subscription document: the truth about one subscription. What follows from it (index
/// and due entries, cycle records, the dashboard counters) the indexer derives from the outbox
/// (`crate::index`).
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
    /// The version at which it joined each index it belongs to: an index entry counts only
    /// while it names the same version.
    #[serde(default)]
    pub(crate) joined: BTreeMap<IndexName, u64>,
    /// The Idempotency-Keys of the commands of the last 24 hours, with what they answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) keys: Vec<KeyUse>,
    /// The outbox position of each version (`orderflow_kv::outbox`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) outbox: Vec<u64>,
}

/// An Idempotency-Key a command on the subscription ran under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyUse {
    /// The key's hash (route and key).
    pub(crate) hash: String,
    /// The request body's digest.
    pub(crate) fingerprint: String,
    /// When the command was answered.
    pub(crate) at: Timestamp,
    /// The version it answered with.
    pub(crate) version: u64,
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

/// An index or due entry: the subscription, plan or clock it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pointer {
    /// The id.
    pub(crate) id: String,
    /// A subscription index entry's join version (`Stored::joined`); 0 elsewhere.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) v: u64,
}

impl Pointer {
    /// An entry naming `id`, with no version.
    pub(crate) fn to(id: &str) -> Self {
        Pointer {
            id: id.to_owned(),
            v: 0,
        }
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
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

/// What the indexer last derived from a subscription (`sub/ixr/{id}`): where its entries are
/// and what it counts in the stats, so that the next change moves exactly that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndexRecord {
    /// For each index: the slot, and the version at which it joined.
    #[serde(default)]
    pub(crate) slots: BTreeMap<IndexName, (u64, u64)>,
    /// Its due entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) due: Option<DueSlot>,
    /// What it counts in the stats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) counted: Option<Contribution>,
}

/// The indexer's head (`sub/ixh`, compare-and-swap): how far it has read the outbox, what it
/// passed over, its last batch's plan until applied, and the lease of the pass at work.
pub(crate) type IndexHead = crate::kv::head::IndexHead<IndexPlan, Timestamp>;

/// A batch's writes: entries and records to put (key and JSON text), entries to delete, and the
/// counters' changes. Puts and deletes may be applied more than once; the counters' changes
/// apply once, by the plan's number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndexPlan {
    /// The plan's number (`IndexHead::plans`).
    pub(crate) number: u64,
    #[serde(default)]
    pub(crate) puts: Vec<(String, String)>,
    #[serde(default)]
    pub(crate) deletes: Vec<String>,
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub(crate) tally: Tally,
}

impl IndexPlan {
    /// Nothing to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty() && self.tally.is_empty()
    }
}

/// Dashboard numbers: subscriptions per status, monthly recurring revenue per currency (minor
/// units), active subscriptions due per hour since the epoch. As a plan's change, or as the
/// totals in `sub/st/counters`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tally {
    /// By status name.
    #[serde(default)]
    pub(crate) status: BTreeMap<String, i64>,
    /// By currency code.
    #[serde(default)]
    pub(crate) mrr: BTreeMap<String, i64>,
    #[serde(default)]
    pub(crate) due_hours: BTreeMap<i64, i64>,
}

impl Tally {
    /// No change.
    pub(crate) fn is_empty(&self) -> bool {
        self.status.values().all(|n| *n == 0)
            && self.mrr.values().all(|n| *n == 0)
            && self.due_hours.values().all(|n| *n == 0)
    }

    /// Counts `contribution` `sign` times (1 to add, -1 to take away).
    pub(crate) fn count(&mut self, contribution: &Contribution, sign: i64) {
        add(&mut self.status, contribution.status.as_str(), sign);
        if let Some((currency, amount)) = contribution.mrr {
            add(
                &mut self.mrr,
                currency.as_str(),
                sign.saturating_mul(amount),
            );
        }
        if let Some(hour) = contribution.due_hour {
            *self.due_hours.entry(hour).or_insert(0) += sign;
        }
    }

    /// Adds `change` in, dropping hours before `from_hour` (no dashboard reads the past) and
    /// hours that come to nothing.
    pub(crate) fn absorb(&mut self, change: &Tally, from_hour: i64) {
        for (status, n) in &change.status {
            add(&mut self.status, status.as_str(), *n);
        }
        for (currency, n) in &change.mrr {
            add(&mut self.mrr, currency.as_str(), *n);
        }
        for (hour, n) in &change.due_hours {
            *self.due_hours.entry(*hour).or_insert(0) += *n;
        }
        self.due_hours
            .retain(|hour, n| *hour >= from_hour && *n != 0);
    }
}

fn add(map: &mut BTreeMap<String, i64>, key: &str, n: i64) {
    let total = map.entry(key.to_owned()).or_insert(0);
    *total = total.saturating_add(n);
}

/// The dashboard counters' totals (`sub/st/counters`, compare-and-swap by the indexer), and the
/// number of the last plan counted in them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Counters {
    pub(crate) write_id: String,
    /// The last plan counted.
    pub(crate) plan: u64,
    pub(crate) totals: Tally,
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
