//! Applying a command to an order with compare-and-swap: the next version's document and its
//! outbox entry, written before the swap (indexes follow the outbox: `index`).

use std::cell::Cell;

use orderflow_domain::order::{self, Actor, Applied, Command, Context, Order};
use orderflow_domain::values::{OrderId, TestClockId, Text, Timestamp};

use super::stock::{self, Line, StockEvent};
use super::{Failure, Idempotency, MAX_LIMIT, Query, Service, Sort, Written};
use crate::doc::{FeedEntry, Stored, decode, encode};
use crate::keys::{self, IdempotencyHash};
use crate::kv::Kv;
use crate::kv::write::{self, Attempt, Outcome};

/// Pages of the `unpaid` index one `cancel_unpaid` call reads.
const UNPAID_PAGES: usize = 5;

/// A write that must be in the store before the document's swap: key and bytes.
pub(super) type PreWrite = (String, Vec<u8>);

impl<K: Kv> Service<'_, K> {
    /// Applies a command with compare-and-swap, retried against concurrent writers. On the
    /// common path: the document read, a position taken, the outbox entry written (with the
    /// key's record, under an Idempotency-Key), the swap.
    pub(crate) fn apply(
        &self,
        id: &OrderId,
        command: &Command,
        actor: Actor,
        expected_version: Option<u64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Written, Failure> {
        self.apply_by(id, command, actor, None, expected_version, idempotency)
    }

    /// [`Service::apply`] by a named person of the back office (`operator`), whom the
    /// history records beside the actor.
    pub(crate) fn apply_by(
        &self,
        id: &OrderId,
        command: &Command,
        actor: Actor,
        operator: Option<Text>,
        expected_version: Option<u64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Written, Failure> {
        let ctx = Context {
            now: self.now,
            actor,
            expected_version,
            operator,
        };
        let hash = self.check_command_key(idempotency.as_ref(), id)?;
        let key_of = idempotency.as_ref().zip(hash.as_ref());
        let key = keys::order(id);
        // What the last attempt reserved (the lines it replaced), and the stock events of the
        // version it wrote.
        let reserved: Cell<Option<Vec<Line>>> = Cell::new(None);
        let mut events: Vec<StockEvent> = Vec::new();
        let outcome = write::write(
            self.kv,
            &key,
            |current| -> Result<Attempt<(Stored, bool), Written>, Failure> {
                let Some(bytes) = current else {
                    return Err(Failure::NotFound);
                };
                let stored: Stored = decode(&key, &bytes).map_err(Failure::Store)?;
                if let Some((idempotency, hash)) = key_of
                    && let Some(replay) = self.recorded_use(&stored, hash, idempotency)?
                {
                    return Ok(Attempt::Done(*replay));
                }
                let applied = order::apply(&stored.order, command, &ctx)?;
                if !applied.changed {
                    let Some((idempotency, hash)) = key_of else {
                        return Ok(Attempt::Done(Written {
                            order: applied.order,
                            changed: false,
                            replayed: false,
                        }));
                    };
                    // The answer is recorded in the document, the order unchanged.
                    let mut next = stored.succeeded_by(self.write_id(), stored.order.clone());
                    self.use_key(&mut next, hash, false, &idempotency.fingerprint);
                    return Ok(Attempt::Write {
                        bytes: encode(&next).map_err(Failure::Store)?,
                        write_id: next.write_id.clone(),
                        value: (next, false),
                    });
                }
                if let Some(wanted) = stock::changed_lines(&stored.order, &applied.order) {
                    // The new lines are held before the swap: a change never takes what is
                    // not there.
                    let before = stock::lines(&stored.order);
                    self.stock.reserve(
                        id,
                        &wanted,
                        applied.order.stock_location().as_ref(),
                        Some(&before),
                        actor,
                    )?;
                    reserved.set(Some(before));
                }
                events = applied.events.iter().map(StockEvent::of).collect();
                let (mut next, outbox) = self.next_document(&stored, applied)?;
                let mut before = vec![outbox];
                if let Some((idempotency, hash)) = key_of {
                    self.use_key(&mut next, hash, true, &idempotency.fingerprint);
                    let position = next.position_of(next.order.version()).unwrap_or(0);
                    before.push(self.key_record(
                        hash,
                        0,
                        &idempotency.fingerprint,
                        &next.order,
                        position,
                        true,
                    )?);
                }
                self.kv.set_many(&before)?;
                Ok(Attempt::Write {
                    bytes: encode(&next).map_err(Failure::Store)?,
                    write_id: next.write_id.clone(),
                    value: (next, true),
                })
            },
            |bytes, write_id| carries(&key, bytes, write_id),
        );
        match outcome {
            Ok(Outcome::Written((next, changed), _)) => {
                if !changed && let Some((idempotency, hash)) = key_of {
                    self.record_unchanged(hash, &idempotency.fingerprint, &next);
                }
                if changed {
                    self.follow_stock(&next.order, &events);
                }
                Ok(Written {
                    order: next.order,
                    changed,
                    replayed: false,
                })
            }
            Ok(Outcome::Unchanged(written)) => Ok(written),
            Err(failed) => {
                if let Some(before) = reserved.take() {
                    // The change did not happen: its order holds its lines before it again.
                    let _given_back = self.stock.reserve(id, &before, None, Some(&before), actor);
                }
                Err(failed.into())
            }
        }
    }

    /// Applies the stock steps a committed version's events call for, right after its swap
    /// (best effort: the indexer's pass applies them from the outbox in any case).
    fn follow_stock(&self, order: &Order, events: &[StockEvent]) {
        for (step, lines) in stock::steps(order.version(), events, &stock::lines(order)) {
            if self
                .stock
                .step(order.id(), &step, &lines, Actor::System)
                .is_err()
            {
                return;
            }
        }
    }

    /// Points a key answered without a change at its order (for the check that refuses it about
    /// another order); best effort, the order's document holds the answer.
    fn record_unchanged(&self, hash: &IdempotencyHash, fingerprint: &str, next: &Stored) {
        if let Ok((key, bytes)) = self.key_record(hash, 0, fingerprint, &next.order, 0, false) {
            let _recorded = self.kv.set(&key, &bytes);
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

    /// The document after `applied`, and its outbox entry, which the caller writes right before
    /// the swap, at a position taken for this attempt only: a retry takes a later one, so a
    /// document's versions have growing positions.
    pub(super) fn next_document(
        &self,
        stored: &Stored,
        applied: Applied,
    ) -> Result<(Stored, PreWrite), Failure> {
        let mut next = stored.succeeded_by(self.write_id(), applied.order);
        let position = self.next_in(keys::FEED_SEQ)?;
        next.record_outbox(position);
        let outbox = self.outbox_write(&next.order, &applied.events, position)?;
        Ok((next, outbox))
    }

    /// The outbox entry of `order` as `events` left it, at `position`.
    pub(super) fn outbox_write(
        &self,
        order: &orderflow_domain::order::Order,
        events: &[orderflow_domain::order::Event],
        position: u64,
    ) -> Result<PreWrite, Failure> {
        let entry = FeedEntry {
            order_id: order.id().clone(),
            number: order.number(),
            version: order.version(),
            at: self.now,
            events: serde_json::value::to_raw_value(events)
                .map_err(|e| Failure::Store(format!("encoding events: {e}")))?,
            order: Some(Box::new(order.clone())),
        };
        Ok((
            keys::feed_entry(position),
            encode(&entry).map_err(Failure::Store)?,
        ))
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
