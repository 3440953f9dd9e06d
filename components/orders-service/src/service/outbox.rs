//! Reading the outbox for the integrations service's sequencer: each position with what it
//! holds, decided against its order's document (`orderflow_kv::outbox`).

use std::collections::BTreeMap;

use orderflow_domain::values::OrderId;

use super::{Failure, Service};
use crate::doc::{FeedEntry, Stored, decode};
use crate::keys;
use crate::kv::outbox::{self, State};
use crate::kv::{Kv, KvError};

/// What an outbox position holds.
pub(crate) type OutboxState = State<Box<FeedEntry>>;

/// Order documents by id, as read (`None`: absent).
pub(super) type Documents = BTreeMap<OrderId, Option<Stored>>;

impl<K: Kv> Service<'_, K> {
    /// The positions after `after` (at most `limit`) and those of `recheck`, each decided
    /// against its order's document, read once for all of them.
    pub(crate) fn read_outbox(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Vec<(u64, OutboxState)>, Failure> {
        Ok(self.read_outbox_documents(after, limit, recheck)?.0)
    }

    /// [`Service::read_outbox`], with the documents read to decide.
    pub(super) fn read_outbox_documents(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<(Vec<(u64, OutboxState)>, Documents), Failure> {
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
            |key, bytes| {
                decode::<FeedEntry>(key, &bytes)
                    .map(Box::new)
                    .map_err(KvError)
            },
            |entry, position| {
                // Entries written after their swap carry no order: nothing to publish.
                if entry.order.is_none() {
                    return Ok(Some(false));
                }
                if !documents.contains_key(&entry.order_id) {
                    let stored = self
                        .read(&keys::order(&entry.order_id))
                        .map_err(|e| KvError(format!("{e:?}")))?;
                    documents.insert(entry.order_id.clone(), stored);
                }
                Ok(documents
                    .get(&entry.order_id)
                    .and_then(Option::as_ref)
                    .and_then(|stored| stored.committed(entry.version, position)))
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
