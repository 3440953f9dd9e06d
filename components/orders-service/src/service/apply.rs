//! Applying a command to an order with compare-and-swap, and the document of its next version
//! (index moves and the idempotency record as pending effects, the outbox entry before the swap).

use orderflow_domain::order::{self, Actor, Applied, Command, Context};
use orderflow_domain::values::{OrderId, TestClockId, Timestamp};

use super::idempotency::{Checked, Claim, Taken};
use super::{Failed, Failure, Idempotency, MAX_LIMIT, Query, Service, Sort, Written};
use crate::doc::{Effect, FeedEntry, Stored, decode, encode};
use crate::keys;
use crate::kv::Kv;
use crate::kv::write::{self, Attempt, Outcome};

/// Pages of the `unpaid` index one `cancel_unpaid` call reads.
const UNPAID_PAGES: usize = 5;

/// A write that must be in the store before the document's swap: key and bytes.
pub(super) type PreWrite = (String, Vec<u8>);

impl<K: Kv> Service<'_, K> {
    /// Applies a command with compare-and-swap, retried against concurrent writers.
    pub(crate) fn apply(
        &self,
        id: &OrderId,
        command: &Command,
        actor: Actor,
        expected_version: Option<u64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Written, Failure> {
        let ctx = Context {
            now: self.now,
            actor,
            expected_version,
        };
        let claim = match self.check_idempotency(idempotency)? {
            Checked::Replay(written) => return same_order(*written, id),
            Checked::Fresh(claim) => claim,
        };
        let result = self.apply_fresh(id, command, &ctx, claim.as_ref());
        self.finish(claim.as_ref(), result)
    }

    fn apply_fresh(
        &self,
        id: &OrderId,
        command: &Command,
        ctx: &Context,
        claim: Option<&Claim>,
    ) -> Result<Written, Failed> {
        let key = keys::order(id);
        let outcome = write::write(
            self.kv,
            &key,
            |current| -> Result<Attempt<Stored, Written>, Failed> {
                let Some(bytes) = current else {
                    return Err(Failure::NotFound.into());
                };
                let stored: Stored = decode(&key, &bytes).map_err(Failure::Store)?;
                // Whoever wrote them may have died before applying them; they are idempotent.
                self.run_effects(&stored)?;
                let applied = order::apply(&stored.order, command, ctx)?;
                if !applied.changed {
                    if !stored.pending.is_empty() {
                        self.clear(&key, &stored.write_id, None);
                    }
                    return Ok(Attempt::Done(self.unchanged(applied.order, claim)?));
                }
                let (next, (outbox, entry)) = self.next_document(&stored, applied, claim)?;
                let bytes = encode(&next).map_err(Failure::Store)?;
                if let Some(claim) = claim
                    && let Taken::Replay(written) = self.take(claim)?
                {
                    return Ok(Attempt::Done(same_order(*written, id)?));
                }
                self.kv.set(&outbox, &entry)?;
                Ok(Attempt::Write {
                    bytes,
                    write_id: next.write_id.clone(),
                    value: next,
                })
            },
            |bytes, write_id| carries(&key, bytes, write_id),
        );
        match outcome {
            Ok(Outcome::Written(next, bytes)) => {
                self.settle(&key, &next, Some(&bytes));
                Ok(Written {
                    order: next.order,
                    changed: true,
                    replayed: false,
                })
            }
            Ok(Outcome::Unchanged(written)) => Ok(written),
            Err(write::Failed::Decided(failed)) => Err(failed),
            Err(write::Failed::Store(e)) => Err(Failed::Cleanly(e.into())),
            Err(write::Failed::Uncertain(e)) => Err(Failed::Uncertain(e.into())),
            Err(write::Failed::Contention) => Err(Failure::Contention.into()),
        }
    }

    /// Cancels pix and boleto orders still unpaid at their deadline, at most `limit` of them;
    /// answers how many. Without `clock`, the live orders as of the service's clock (`as_of`,
    /// the caller's, only when earlier: no caller makes a live order expire early); with it,
    /// that test clock's orders as of `as_of`, its frozen time. Reads the scope's `unpaid` index
    /// oldest first, a bounded number of pages: its cost follows the unpaid pix/boleto orders,
    /// never the pending card payments or the orders stored. An order paid, expired or
    /// contended meanwhile is left to the next call.
    pub(crate) fn cancel_unpaid(
        &self,
        as_of: Timestamp,
        limit: u32,
        clock: Option<&TestClockId>,
    ) -> Result<u64, Failure> {
        let at = match clock {
            None => as_of.min(self.now),
            Some(_) => as_of,
        };
        let mut canceled = 0u64;
        let mut cursor = None;
        for _ in 0..UNPAID_PAGES {
            let page = self.list(&Query {
                unpaid: true,
                unpaid_clock: clock.cloned(),
                sort: Sort::CreatedAtAsc,
                limit: MAX_LIMIT,
                cursor: cursor.take(),
                ..Query::default()
            })?;
            for order in &page.items {
                if canceled >= u64::from(limit) {
                    return Ok(canceled);
                }
                if order.payment().due_at.is_none_or(|due| due > at) {
                    continue;
                }
                let command = Command::ExpirePayment { as_of: Some(at) };
                match self.apply(order.id(), &command, Actor::System, None, None) {
                    Ok(written) if written.changed => canceled += 1,
                    Err(store @ Failure::Store(_)) => return Err(store),
                    // Paid or expired meanwhile, or contended: the next call looks again.
                    Ok(_) | Err(_) => {}
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(canceled)
    }

    /// The document after `applied`, with the idempotency record as a pending effect; and its
    /// outbox entry, which the caller writes right before the swap (with its other writes that
    /// must precede it). Indexes are the indexer's, from the outbox (`index`).
    pub(super) fn next_document(
        &self,
        stored: &Stored,
        applied: Applied,
        claim: Option<&Claim>,
    ) -> Result<(Stored, PreWrite), Failure> {
        let mut next = stored.succeeded_by(self.write_id());
        let order = applied.order;
        let mut pending = Vec::new();
        // The outbox entry goes in before the swap, at a position taken for this attempt only:
        // a retry takes a later one, so a document's versions have growing positions.
        let position = self.next_in(keys::FEED_SEQ)?;
        let entry = FeedEntry {
            order_id: order.id().clone(),
            number: order.number(),
            version: order.version(),
            at: self.now,
            events: serde_json::value::to_raw_value(&applied.events)
                .map_err(|e| Failure::Store(format!("encoding events: {e}")))?,
            order: Some(Box::new(order.clone())),
        };
        let outbox = (
            keys::feed_entry(position),
            encode(&entry).map_err(Failure::Store)?,
        );
        if let Some(claim) = claim {
            pending.push(Effect::Idempotency {
                hash: claim.hash.clone(),
                record: Box::new(self.record(claim, &order, true)),
            });
        }
        next.order = order;
        next.pending = pending;
        next.record_outbox(position);
        Ok((next, outbox))
    }

    pub(super) fn next_in(&self, counter: &str) -> Result<u64, Failure> {
        let value = self.kv.increment(counter, 1)?;
        u64::try_from(value).map_err(|_| Failure::Store(format!("{counter} is negative")))
    }
}

/// Whether a stored order document carries the write id `write_id` (see `crate::kv::write`).
pub(super) fn carries(key: &str, bytes: &[u8], write_id: &str) -> bool {
    decode::<Stored>(key, bytes).is_ok_and(|stored| stored.carries(write_id))
}

/// A replay answers only for the order it was recorded for.
fn same_order(written: Written, id: &OrderId) -> Result<Written, Failure> {
    if written.order.id() == id {
        Ok(written)
    } else {
        Err(Failure::IdempotencyKeyReused)
    }
}
