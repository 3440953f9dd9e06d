//! The subscriptions service's outbox (`orderflow_kv::outbox`): an entry per new version of a
//! subscription, written before its swap, and the reading the integrations service's sequencer
//! does of it.

use std::collections::BTreeMap;

use orderflow_domain::subscription::{Event, Subscription, SubscriptionStatus};
use orderflow_domain::values::{SubscriptionId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::doc::{CycleRecord, Stored, decode, encode};
use crate::keys;
use crate::kv::outbox::{self, State};
use crate::kv::{Kv, KvError};
use crate::service::{Error, Subscriptions};

/// One published event: its type and what the type's consumers need of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// `subscription.<event>`, kebab case.
    #[serde(rename = "type")]
    pub kind: String,
    /// The event's details.
    pub details: Value,
}

/// An outbox entry: a version of a subscription as its write leaves it, and what happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// The subscription.
    pub subscription_id: SubscriptionId,
    /// The version the write makes.
    pub version: u64,
    /// When.
    pub at: Timestamp,
    /// The status before (none at creation).
    pub from: Option<SubscriptionStatus>,
    /// The events, in order.
    pub events: Vec<Published>,
    /// The subscription after the write.
    pub subscription: Box<Subscription>,
    /// The cycle records the write settled (the indexer writes them under `sub/c/...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cycles: Vec<CycleRecord>,
}

/// What an outbox position holds.
pub type OutboxState = State<Box<OutboxEntry>>;

/// The events a write publishes: `created` at creation, else one per domain event.
pub(crate) fn published(created: bool, events: &[Event]) -> Vec<Published> {
    let one = |kind: &str, details: Value| Published {
        kind: format!("subscription.{kind}"),
        details,
    };
    let mut out = Vec::new();
    if created {
        out.push(one("created", json!({})));
    }
    for event in events {
        out.push(match event {
            Event::Paused { reason } => one("paused", json!({ "reason": reason })),
            Event::Resumed { skipped } => one(
                "resumed",
                json!({ "skipped": skipped.map(|r| json!({"first": r.first(), "last": r.last()})) }),
            ),
            Event::Canceled { reason } => one("canceled", json!({ "reason": reason })),
            Event::CycleSkipMarked(cycle) => one(
                "cycle-skip-marked",
                serde_json::to_value(cycle).unwrap_or(Value::Null),
            ),
            Event::ScheduleEdited {
                next_cycle,
                next_run_at,
            } => one(
                "schedule-edited",
                json!({ "nextCycle": next_cycle, "nextRunAt": next_run_at }),
            ),
            Event::CycleRecorded(cycle) => one(
                &format!("cycle-{}", cycle.status.as_str()),
                serde_json::to_value(cycle).unwrap_or(Value::Null),
            ),
            Event::OrderEdited => one("order-edited", json!({})),
            Event::CyclesMissed(range) => one(
                "cycle-missed",
                json!({ "first": range.first(), "last": range.last() }),
            ),
            Event::Finished => one("finished", json!({})),
            Event::PaymentFollowed { cycle, attempt, .. } => one(
                "payment-followed",
                json!({ "cycle": cycle, "attempt": attempt }),
            ),
        });
    }
    out
}

impl<K: Kv> Subscriptions<'_, K> {
    /// A fresh outbox position, for one attempt at a write.
    pub(crate) fn take_position(&self) -> Result<u64, Error> {
        let position = self.kv.increment(keys::OUTBOX_SEQ, 1)?;
        u64::try_from(position)
            .map_err(|_| Error::Store(format!("{} is negative", keys::OUTBOX_SEQ)))
    }

    /// The outbox entry of `next` (its subscription's new version, settling `cycles`) at
    /// `position`, as a key and bytes to write before `next` is swapped in; records the position
    /// in `next`.
    pub(crate) fn outbox_put(
        &self,
        next: &mut Stored,
        old: Option<&Subscription>,
        events: &[Event],
        cycles: Vec<CycleRecord>,
        position: u64,
    ) -> Result<(String, Vec<u8>), Error> {
        let sub = &next.subscription;
        let entry = OutboxEntry {
            subscription_id: sub.id().clone(),
            version: sub.version(),
            at: self.now(),
            from: old.map(Subscription::status),
            events: published(old.is_none(), events),
            subscription: Box::new(sub.clone()),
            cycles,
        };
        let bytes = encode(&entry).map_err(Error::Store)?;
        let version = sub.version();
        outbox::record(&mut next.outbox, version, position);
        Ok((keys::outbox_entry(position), bytes))
    }

    /// The subscription of `stored` as version `version` left it: the current one, or the one
    /// in that version's outbox entry (the current one when it has none).
    pub(crate) fn version_of(&self, stored: &Stored, version: u64) -> Result<Subscription, Error> {
        let current = &stored.subscription;
        let position = usize::try_from(version.saturating_sub(1))
            .ok()
            .and_then(|at| stored.outbox.get(at))
            .copied()
            .filter(|p| *p != 0);
        let Some(position) = position.filter(|_| version != current.version()) else {
            return Ok(current.clone());
        };
        let key = keys::outbox_entry(position);
        match self.kv.get(&key)? {
            Some(bytes) => Ok(*decode::<OutboxEntry>(&key, &bytes)
                .map_err(Error::Store)?
                .subscription),
            None => Ok(current.clone()),
        }
    }

    /// The positions after `after` (at most `limit`) and those of `recheck`, each decided
    /// against its subscription's document, read once for all of them.
    pub fn read_outbox(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Vec<(u64, OutboxState)>, Error> {
        self.read_outbox_with_documents(after, limit, recheck)
            .map(|(read, _)| read)
    }

    /// [`Self::read_outbox`], with the documents it read.
    pub(crate) fn read_outbox_with_documents(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<(Vec<(u64, OutboxState)>, Documents), Error> {
        let mut documents: Documents = BTreeMap::new();
        let read = outbox::read(
            self.kv,
            outbox::Outbox {
                counter: keys::OUTBOX_SEQ,
                entry_key: keys::outbox_entry,
            },
            after,
            limit,
            recheck,
            |key, bytes| {
                decode::<OutboxEntry>(key, &bytes)
                    .map(Box::new)
                    .map_err(KvError)
            },
            |entry, position| {
                if !documents.contains_key(&entry.subscription_id) {
                    let stored = self
                        .read(&entry.subscription_id)
                        .map_err(|e| KvError(format!("{e:?}")))?;
                    documents.insert(entry.subscription_id.clone(), stored);
                }
                Ok(documents
                    .get(&entry.subscription_id)
                    .and_then(Option::as_ref)
                    .and_then(|stored| {
                        outbox::committed(
                            &stored.outbox,
                            stored.subscription.version(),
                            entry.version,
                            position,
                        )
                    }))
            },
        )?;
        Ok((read, documents))
    }
}

/// Subscription documents as read (`None`: absent).
pub(crate) type Documents = BTreeMap<SubscriptionId, Option<Stored>>;
