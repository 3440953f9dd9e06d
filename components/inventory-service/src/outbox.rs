//! Reading the outbox, for the integrations service's sequencer: each position with what it
//! holds, decided against its SKU's ledger (`orderflow_kv::outbox`). A change that published
//! events wrote its entry before its swap and marked its first movement with the entry's
//! position, so the entry is committed when the ledger's movement carries that position, dead
//! when it carries another (or none), and pending while the ledger has not reached it.

use std::collections::BTreeMap;

use orderflow_domain::values::Sku;
use orderflow_kv::outbox::{self, State};
use orderflow_kv::{Kv, KvError};

use crate::doc::{OutboxEntry, Stored, decode};
use crate::keys;
use crate::service::{Error, Inventory};

/// What an outbox position holds.
pub type OutboxState = State<OutboxEntry>;

impl<K: Kv> Inventory<'_, K> {
    /// The positions after `after` (at most `limit`) and those of `recheck`, each decided
    /// against its SKU's document, read once for all of them.
    pub fn read_outbox(
        &self,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Vec<(u64, OutboxState)>, Error> {
        let mut documents: BTreeMap<Sku, Option<Stored>> = BTreeMap::new();
        let read = outbox::read(
            self.kv,
            outbox::Outbox {
                counter: keys::OUTBOX_COUNTER,
                entry_key: keys::outbox_entry,
            },
            after,
            limit,
            recheck,
            |key, bytes| decode::<OutboxEntry>(key, &bytes).map_err(KvError),
            |entry, position| {
                let sku = entry.stock.sku().clone();
                if !documents.contains_key(&sku) {
                    let stored = self.stored(&sku).map_err(store)?;
                    documents.insert(sku.clone(), stored);
                }
                let Some(stored) = documents.get(&sku).and_then(Option::as_ref) else {
                    // Not created yet: its creation may still write it.
                    return Ok(None);
                };
                if stored.item.movement_count() < entry.movement {
                    return Ok(None);
                }
                let (movements, _) = self
                    .ledger(&sku, stored, entry.movement, 1)
                    .map_err(store)?;
                Ok(Some(
                    movements.first().and_then(|m| m.outbox) == Some(position),
                ))
            },
        )?;
        Ok(read)
    }
}

fn store(e: Error) -> KvError {
    KvError(e.to_string())
}
