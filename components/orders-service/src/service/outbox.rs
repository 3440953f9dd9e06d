//! Reading the outbox for the integrations service's sequencer: each position with what it
//! holds, decided against its order's document (`orderflow_kv::outbox`).

use std::collections::BTreeMap;

use orderflow_domain::values::OrderId;

use super::{Failure, Service};
use crate::doc::{EntryRef, FeedEntry, IndexView, Stored, decode};
use crate::keys;
use crate::kv::outbox::{self, State};
use crate::kv::{Kv, KvError};
use serde::de::DeserializeOwned;

/// What an outbox position holds.
pub(crate) type OutboxState = State<Box<FeedEntry>>;

/// Order documents by id, as read (`None`: absent).
pub(super) type Documents<D> = BTreeMap<OrderId, Option<D>>;

/// Outbox positions with what they hold, and the documents read to decide them.
pub(super) type Read<E, D> = (Vec<(u64, State<E>)>, Documents<D>);

/// An outbox entry as a reader needs it.
pub(super) trait OutboxEntry: DeserializeOwned {
    fn order_id(&self) -> &OrderId;
    fn version(&self) -> u64;
    /// Entries written after their swap carry no order: nothing to publish.
    fn carries_order(&self) -> bool;
}

/// An order document as a reader of the outbox needs it.
pub(super) trait OutboxDocument: DeserializeOwned {
    /// `Stored::committed`.
    fn committed(&self, version: u64, position: u64) -> Option<bool>;
}

impl OutboxEntry for Box<FeedEntry> {
    fn order_id(&self) -> &OrderId {
        &self.order_id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn carries_order(&self) -> bool {
        self.order.is_some()
    }
}

impl OutboxDocument for Stored {
    fn committed(&self, version: u64, position: u64) -> Option<bool> {
        Stored::committed(self, version, position)
    }
}

impl OutboxEntry for EntryRef {
    fn order_id(&self) -> &OrderId {
        &self.order_id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn carries_order(&self) -> bool {
        self.order.is_some()
    }
}

impl OutboxDocument for IndexView {
    fn committed(&self, version: u64, position: u64) -> Option<bool> {
        IndexView::committed(self, version, position)
    }
}

impl<K: Kv> Service<'_, K> {
    /// The positions after `after` (at most `limit`) and those of `recheck`, each decided
    /// against its order's document, read once for all of them.
    pub(crate) fn read_outbox(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Vec<(u64, OutboxState)>, Failure> {
        Ok(self
            .read_outbox_as::<Box<FeedEntry>, Stored>(after, limit, recheck)?
            .0)
    }

    /// [`Service::read_outbox`], entries and documents decoded as `E` and `D` (the indexer reads
    /// only what it needs of them), with the documents read to decide.
    pub(super) fn read_outbox_as<E: OutboxEntry, D: OutboxDocument>(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Read<E, D>, Failure> {
        let mut documents: Documents<D> = BTreeMap::new();
        let read = outbox::read(
            self.kv,
            outbox::Outbox {
                counter: keys::FEED_SEQ,
                entry_key: keys::feed_entry,
            },
            after,
            limit,
            recheck,
            |key, bytes| decode::<E>(key, &bytes).map_err(KvError),
            |entry, position| {
                if !entry.carries_order() {
                    return Ok(Some(false));
                }
                let id = entry.order_id();
                if !documents.contains_key(id) {
                    let key = keys::order(id);
                    let document = match self.kv.get(&key)? {
                        None => None,
                        Some(bytes) => Some(decode::<D>(&key, &bytes).map_err(KvError)?),
                    };
                    documents.insert(id.clone(), document);
                }
                Ok(documents
                    .get(id)
                    .and_then(Option::as_ref)
                    .and_then(|document| document.committed(entry.version(), position)))
            },
        )?;
        Ok((read, documents))
    }

    /// The outbox entry at `position`, if written.
    pub(super) fn outbox_entry(&self, position: u64) -> Result<Option<FeedEntry>, Failure> {
        let key = keys::feed_entry(position);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => decode(&key, &bytes).map(Some).map_err(Failure::Store),
        }
    }
}
