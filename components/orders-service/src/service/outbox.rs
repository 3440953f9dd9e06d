//! Reading the outbox for the integrations service's sequencer: each position with what it
//! holds, decided against its order's document (docs/architecture.md, "Integrations").

use std::collections::BTreeMap;

use orderflow_domain::values::OrderId;

use super::{Failure, Service};
use crate::doc::{FeedEntry, Stored, decode};
use crate::keys;
use crate::kv::Kv;

/// The most positions one read answers for.
pub(crate) const MAX_READ: u32 = 500;

/// What an outbox position holds.
#[derive(Debug, Clone)]
pub(crate) enum OutboxState {
    /// The write happened: the entry (its order as the write left it, and its events).
    Committed(Box<FeedEntry>),
    /// The write never will.
    Dead,
    /// Not decided: the entry is not written yet, or its order has not reached its version.
    Pending,
}

impl<K: Kv> Service<'_, K> {
    /// The positions after `after` (at most `limit`, up to the last handed out) and those of
    /// `recheck`, each decided against its order's document read once for all of them.
    pub(crate) fn read_outbox(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Vec<(u64, OutboxState)>, Failure> {
        // The counter first: every position up to it was taken before the documents below are
        // read, so a later version of any of them has a later position than this read covers.
        let last = self.counter(keys::FEED_SEQ)?;
        let limit = u64::from(limit.min(MAX_READ));
        let mut positions: Vec<u64> = recheck.iter().copied().filter(|p| *p <= last).collect();
        positions
            .extend((after.saturating_add(1)..=last).take(usize::try_from(limit).unwrap_or(0)));
        positions.sort_unstable();
        positions.dedup();
        let mut entries = Vec::with_capacity(positions.len());
        for position in positions {
            let key = keys::feed_entry(position);
            let entry = match self.kv.get(&key)? {
                Some(bytes) => Some(decode::<FeedEntry>(&key, &bytes).map_err(Failure::Store)?),
                None => None,
            };
            entries.push((position, entry));
        }
        let mut documents: BTreeMap<OrderId, Option<Stored>> = BTreeMap::new();
        let mut answer = Vec::with_capacity(entries.len());
        for (position, entry) in entries {
            let Some(entry) = entry else {
                answer.push((position, OutboxState::Pending));
                continue;
            };
            if !documents.contains_key(&entry.order_id) {
                let stored = self.read(&keys::order(&entry.order_id))?;
                documents.insert(entry.order_id.clone(), stored);
            }
            let state = match documents.get(&entry.order_id).and_then(Option::as_ref) {
                None => OutboxState::Pending,
                Some(stored) => match stored.committed(entry.version, position) {
                    None => OutboxState::Pending,
                    // Entries written after their swap carry no order: nothing to publish.
                    Some(true) if entry.order.is_some() => OutboxState::Committed(Box::new(entry)),
                    Some(_) => OutboxState::Dead,
                },
            };
            answer.push((position, state));
        }
        Ok(answer)
    }
}
