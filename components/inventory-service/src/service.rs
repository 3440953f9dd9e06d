//! The inventory service's store logic over a [`Kv`]: one document per tracked SKU, written
//! with compare-and-swap and write ids like an order's (docs/architecture.md, "Writes").
//!
//! A SKU is tracked from its first level on: that write claims its creation (a lease claim,
//! `orderflow_kv::claim`: a swap on an absent key is an upsert on Spin), takes a slot in the
//! index of every tracked SKU and writes the document with its entry in one batch. Every later
//! change reads the document, lets the domain decide (`StockItem::apply`) and swaps. The
//! movements a change makes join the document's ledger; once it holds two chunks' worth, the
//! oldest chunk is archived under a key named by the version that archives it, written before
//! that version's swap (a chunk a lost swap wrote is never named by the document).

use std::cell::Cell;

use orderflow_domain::inventory::{
    InventoryError, Movement, Sold, StockCommand, StockEvent, StockItem,
};
use orderflow_domain::order::Actor;
use orderflow_domain::values::{OrderId, Sku, Timestamp};
use orderflow_kv::write::{self, Attempt, Failed, Outcome};
use orderflow_kv::{Kv, KvError, claim};

use crate::doc::{CHUNK, OutboxEntry, RECENT_WRITES, SkuEntry, Stored, decode, encode};
use crate::keys;

/// How long a first level that lost its SKU's creation claim waits, in steps, for the
/// winner's document before answering `contention` (at most about 250 ms).
const CREATOR_WAIT_STEPS: u32 = 25;
/// One step of that wait.
const CREATOR_WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(10);

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The SKU has no stock level anywhere: it is not tracked.
    #[error("{0} is not tracked")]
    NotTracked(Sku),
    /// The inventory rules refused.
    #[error(transparent)]
    Refused(#[from] InventoryError),
    /// Not enough stock for an order: each SKU short, with what one location could give.
    #[error("out of stock")]
    OutOfStock(Vec<(Sku, i64)>),
    /// A cursor from outside that does not parse.
    #[error("the cursor does not parse")]
    BadCursor,
    /// Concurrent writers kept winning.
    #[error("concurrent writers kept winning; try again")]
    Contention,
    /// The store failed, or holds something unreadable.
    #[error("store: {0}")]
    Store(String),
}

impl From<KvError> for Error {
    fn from(e: KvError) -> Self {
        Error::Store(e.0)
    }
}

impl From<Failed<Error>> for Error {
    fn from(failed: Failed<Error>) -> Self {
        match failed {
            Failed::Decided(e) => e,
            Failed::Store(e) | Failed::Uncertain(e) => e.into(),
            Failed::Contention => Error::Contention,
        }
    }
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The SKU's stock after it.
    pub item: StockItem,
    /// What moved.
    pub movements: Vec<Movement>,
    /// For a level older than the last applied: the time of that one (nothing changed).
    pub stale: Option<Timestamp>,
}

/// An outbox entry taken for a change, not yet written.
struct Published {
    position: u64,
    /// The number of the change's first movement.
    movement: u64,
    key: String,
    bytes: Vec<u8>,
}

impl Published {
    /// Marks the change's first movement in `ledger` (the next document's) with the position.
    fn mark(&self, ledger: &mut [Movement]) -> Result<(), Error> {
        let first = ledger
            .iter_mut()
            .find(|m| m.number == self.movement)
            .ok_or_else(|| {
                Error::Store(format!("movement {} is not in the ledger", self.movement))
            })?;
        first.outbox = Some(self.position);
        Ok(())
    }
}

/// The inventory service for one call: a store, the clock, a nonce for write ids.
#[derive(Debug)]
pub struct Inventory<'a, K: Kv> {
    pub(crate) kv: &'a K,
    pub(crate) now: Timestamp,
    nonce: u64,
    writes: Cell<u64>,
}

impl<'a, K: Kv> Inventory<'a, K> {
    /// A service over `kv` at `now`; `nonce` must differ between calls (it makes write ids
    /// unique).
    pub fn new(kv: &'a K, now: Timestamp, nonce: u64) -> Self {
        Inventory {
            kv,
            now,
            nonce,
            writes: Cell::new(0),
        }
    }

    fn write_id(&self) -> String {
        let n = self.writes.get() + 1;
        self.writes.set(n);
        format!("{:016x}.{n}", self.nonce)
    }

    /// The SKU's document, if it is tracked.
    pub(crate) fn stored(&self, sku: &Sku) -> Result<Option<Stored>, Error> {
        let key = keys::item(sku);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(decode(&key, &bytes).map_err(Error::Store)?)),
        }
    }

    /// What `order`'s hold of `sku` became when it left the shelf, if it did.
    pub(crate) fn sold(&self, sku: &Sku, order: &OrderId) -> Result<Option<Sold>, Error> {
        let key = keys::sold(sku, order);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(decode(&key, &bytes).map_err(Error::Store)?)),
        }
    }

    /// The SKU's stock, if it is tracked.
    pub fn item(&self, sku: &Sku) -> Result<Option<StockItem>, Error> {
        Ok(self.stored(sku)?.map(|s| s.item))
    }

    /// Applies `command` to the SKU's stock by `actor`. A level tracks a SKU that was not;
    /// anything else on an untracked SKU is [`Error::NotTracked`]. A change of a tracked SKU is
    /// a read and a swap.
    pub fn apply(&self, sku: &Sku, command: &StockCommand, actor: Actor) -> Result<Changed, Error> {
        match self.change(sku, command, actor) {
            Err(Error::NotTracked(_)) if matches!(command, StockCommand::SetLevel { .. }) => {
                match self.create(sku, command, actor)? {
                    Some(created) => Ok(created),
                    // Created meanwhile by another caller: a change like any other.
                    None => self.change(sku, command, actor),
                }
            }
            other => other,
        }
    }

    /// Creates the SKU's document with its first level, unless another caller holds its
    /// creation or has created it (`None`: go on as a change).
    fn create(
        &self,
        sku: &Sku,
        command: &StockCommand,
        actor: Actor,
    ) -> Result<Option<Changed>, Error> {
        let claimed = claim::take(self.kv, self.now.unix_seconds(), |w| {
            keys::item_claim(sku, w)
        })?;
        if claimed.is_none() {
            // Another caller is creating it: wait a moment for its document.
            for _ in 0..CREATOR_WAIT_STEPS {
                // On wasm32-wasip2 this blocks on a wasi:clocks pollable.
                std::thread::sleep(CREATOR_WAIT_STEP);
                if self.kv.get(&keys::item(sku))?.is_some() {
                    return Ok(None);
                }
            }
            return Err(Error::Contention);
        }
        // Read again: it may have been created, and its claim lapsed, since the first read.
        if self.kv.get(&keys::item(sku))?.is_some() {
            return Ok(None);
        }
        let applied = StockItem::new(sku.clone()).apply(command, self.now, actor)?;
        let slot = u64::try_from(self.kv.increment(keys::ALL_COUNTER, 1)?)
            .map_err(|_| Error::Store(format!("{} is negative", keys::ALL_COUNTER)))?;
        let mut stored = Stored {
            write_id: self.write_id(),
            recent_writes: Vec::new(),
            item: applied.item.clone(),
            slot,
            ledger: applied.movements.clone(),
            chunk_size: CHUNK,
            chunks: Vec::new(),
            archived: 0,
        };
        let entry = SkuEntry {
            sku: sku.as_str().to_owned(),
        };
        let mut batch = Vec::new();
        // The outbox entry first: a store that writes a batch in order never shows the
        // document without it.
        if let Some(published) = self.publish(&applied.item, &applied.movements, applied.events)? {
            published.mark(&mut stored.ledger)?;
            batch.push((published.key, published.bytes));
        }
        batch.push((keys::all_entry(slot), encode(&entry).map_err(Error::Store)?));
        batch.push((keys::item(sku), encode(&stored).map_err(Error::Store)?));
        self.kv.set_many(&batch)?;
        Ok(Some(Changed {
            item: applied.item,
            movements: applied.movements,
            stale: applied.stale,
        }))
    }

    /// Applies `command` to a tracked SKU under compare-and-swap.
    fn change(&self, sku: &Sku, command: &StockCommand, actor: Actor) -> Result<Changed, Error> {
        let key = keys::item(sku);
        let outcome = write::write(
            self.kv,
            &key,
            |bytes| -> Result<Attempt<Changed>, Error> {
                let Some(bytes) = bytes else {
                    return Err(Error::NotTracked(sku.clone()));
                };
                let stored: Stored = decode(&key, &bytes).map_err(Error::Store)?;
                let applied = stored.item.apply(command, self.now, actor)?;
                let changed = Changed {
                    item: applied.item.clone(),
                    movements: applied.movements.clone(),
                    stale: applied.stale,
                };
                if !applied.changed {
                    return Ok(Attempt::Done(changed));
                }
                if let Some((order, sold)) = &applied.sold {
                    // Before the swap: a lost swap leaves a record nothing reads (its order's
                    // hold is still open), a won one finds it written.
                    let key = keys::sold(sku, order);
                    self.kv.set(&key, &encode(sold).map_err(Error::Store)?)?;
                }
                // Written before the swap: a lost swap's entry is dead, its position never
                // committed on a movement.
                let published = self.publish(&applied.item, &applied.movements, applied.events)?;
                let mut next = self.succeed(sku, stored, applied.item, applied.movements)?;
                if let Some(published) = published {
                    published.mark(&mut next.ledger)?;
                    self.kv.set(&published.key, &published.bytes)?;
                }
                let write_id = next.write_id.clone();
                Ok(Attempt::Write {
                    bytes: encode(&next).map_err(Error::Store)?,
                    write_id,
                    value: changed,
                })
            },
            |bytes, write_id| {
                decode::<Stored>(&key, bytes).is_ok_and(|stored| stored.carries(write_id))
            },
        )?;
        Ok(match outcome {
            Outcome::Written(changed, _) | Outcome::Unchanged(changed) => changed,
        })
    }

    /// For a change that published `events`: takes an outbox position and answers the entry
    /// to write before the document whose ledger carries the position on the change's first
    /// movement ([`Published::mark`]). Nothing for a change without events.
    fn publish(
        &self,
        item: &StockItem,
        movements: &[Movement],
        events: Vec<StockEvent>,
    ) -> Result<Option<Published>, Error> {
        let Some(first) = movements.first() else {
            return Ok(None);
        };
        if events.is_empty() {
            return Ok(None);
        }
        let position = u64::try_from(self.kv.increment(keys::OUTBOX_COUNTER, 1)?)
            .map_err(|_| Error::Store(format!("{} is negative", keys::OUTBOX_COUNTER)))?;
        let entry = OutboxEntry {
            movement: first.number,
            stock: item.summary(),
            movements: movements.to_vec(),
            events,
            at: self.now,
        };
        Ok(Some(Published {
            position,
            movement: first.number,
            key: keys::outbox_entry(position),
            bytes: encode(&entry).map_err(Error::Store)?,
        }))
    }

    /// The document after `stored` holding `item`, its movements added to the ledger, and the
    /// oldest chunk archived once the ledger holds two. Only a chunk of movements already
    /// committed (all from `stored`) is archived, so a lost swap's copy is the same bytes.
    fn succeed(
        &self,
        sku: &Sku,
        stored: Stored,
        item: StockItem,
        movements: Vec<Movement>,
    ) -> Result<Stored, Error> {
        let mut next = Stored {
            write_id: self.write_id(),
            item,
            ..stored
        };
        write::remember(&mut next.recent_writes, stored.write_id, RECENT_WRITES);
        let size = next.chunk_size.max(1);
        let committed = next.ledger.len();
        next.ledger.extend(movements);
        if committed >= size && next.ledger.len() >= 2 * size {
            let key = next.chunk_key(sku, next.archived_chunks());
            let archived: Vec<Movement> = next.ledger.drain(..size).collect();
            self.kv
                .set(&key, &encode(&archived).map_err(Error::Store)?)?;
            next.archived += 1;
        }
        Ok(next)
    }
}
