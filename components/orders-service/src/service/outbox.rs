//! Reading the outbox, for the integrations service's sequencer and for the indexer: each
//! position with what it holds, decided against its order's document (`orderflow_kv::outbox`),
//! read through [`DocumentView`] so that no reader decodes the order inside it.

use std::collections::BTreeMap;

use orderflow_domain::values::OrderId;

use super::{Failure, Service};
use crate::doc::{DocumentView, EntryRef, FeedEntry, decode};
use crate::keys;
use crate::kv::outbox::{self, State};
use crate::kv::{Kv, KvError};
use serde::de::DeserializeOwned;

/// What an outbox position holds.
pub(crate) type OutboxState = State<Box<FeedEntry>>;

/// Order documents by id, as read to decide outbox entries (`None`: absent).
pub(super) type Documents = BTreeMap<OrderId, Option<DocumentView>>;

/// Outbox positions with what they hold (entries as `E`), and the documents read to decide them.
pub(super) type Read<E> = (Vec<(u64, State<E>)>, Documents);

/// An outbox entry as a reader needs it.
pub(super) trait OutboxEntry: DeserializeOwned {
    fn order_id(&self) -> &OrderId;
    fn version(&self) -> u64;
    /// Entries written after their swap carry no order: nothing to publish.
    fn carries_order(&self) -> bool;
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
            .read_outbox_as::<Box<FeedEntry>>(after, limit, recheck)?
            .0)
    }

    /// [`Service::read_outbox`], entries decoded as `E` (the indexer reads only what it needs of
    /// them), with the documents read to decide.
    pub(super) fn read_outbox_as<E: OutboxEntry>(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Read<E>, Failure> {
        let mut documents: Documents = BTreeMap::new();
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
                        Some(bytes) => Some(decode::<DocumentView>(&key, &bytes).map_err(KvError)?),
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
