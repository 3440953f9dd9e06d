//! Placing an order: the claims on its Idempotency-Key and external id, its number, its stock,
//! and one batch with its document, its outbox entry and the pointers to it.

use orderflow_domain::order::{self, Actor, Context, Order, PlaceOrder};
use orderflow_domain::values::{Channel, ExternalId, OrderId};

use super::idempotency::{Checked, Claim, Taken};
use super::{Failed, Failure, Idempotency, Service, Written, stock};
use crate::doc::{FeedEntry, Pointer, Stored, encode};
use crate::keys;
use crate::kv::Kv;
use crate::kv::claim;

/// How long a placement that lost the claim on a channel + external id waits, in steps, for the
/// winner's order to appear before answering `contention` (at most about 250 ms in all).
const WINNER_WAIT_STEPS: u32 = 25;
/// One step of that wait.
const WINNER_WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(10);

impl<K: Kv> Service<'_, K> {
    /// Places an order; the same channel + external id again answers the existing order. On the
    /// common path: the claims (an increment and two reads each), the number (an increment) and
    /// one batch with everything the order is.
    pub(crate) fn place(
        &self,
        input: PlaceOrder,
        actor: Actor,
        idempotency: Option<Idempotency>,
    ) -> Result<Written, Failure> {
        let ctx = Context::new(self.now, actor);
        // The rules do not depend on the number: a refusal costs no claim and no number.
        let provisional = keys::order_id(0).ok_or_else(|| Failure::Store("order id".into()))?;
        order::place(input.clone(), provisional, 0, &self.windows, &ctx)?;
        let claim = match self.check_placement_key(idempotency)? {
            Checked::Replay(written) => return Ok(*written),
            Checked::Fresh(claim) => claim,
        };
        let result = self.place_fresh(input, &ctx, claim.as_ref());
        self.finish(claim.as_ref(), result)
    }

    fn place_fresh(
        &self,
        input: PlaceOrder,
        ctx: &Context,
        claim: Option<&Claim>,
    ) -> Result<Written, Failed> {
        // The key's claim comes first: a request under the same key never gets past it while
        // this one runs, so it cannot answer from the external id and overwrite the record.
        if let Some(claim) = claim
            && let Taken::Replay(written) = self.take(claim)?
        {
            return Ok(*written);
        }
        let external = input
            .external_id
            .clone()
            .map(|external_id| (input.channel.clone(), external_id));
        if let Some((channel, external_id)) = &external {
            if let Some(existing) = self.find_by_external_id(channel, external_id)? {
                return Ok(self.unchanged(existing, claim)?);
            }
            let key_of = |window| keys::external_claim(channel, external_id, window);
            let Some(held) = claim::take(self.kv, self.now.unix_seconds(), key_of)? else {
                // Another call is placing it, and writes the pointer with its order: wait for
                // it a little (or it died, and its claim lapses with its lease: see `claim`).
                for attempt in 0..=WINNER_WAIT_STEPS {
                    if let Some(existing) = self.find_by_external_id(channel, external_id)? {
                        return Ok(self.unchanged(existing, claim)?);
                    }
                    if attempt < WINNER_WAIT_STEPS {
                        // On wasm32-wasip2 this blocks on a wasi:clocks pollable: the host
                        // runs other requests meanwhile.
                        std::thread::sleep(WINNER_WAIT_STEP);
                    }
                }
                return Err(Failure::Contention.into());
            };
            let result = self.write_new(input, ctx, claim, external.as_ref());
            if let Err(Failed::Cleanly(_)) = &result {
                claim::release(self.kv, &held)?;
            }
            return result;
        }
        self.write_new(input, ctx, claim, None)
    }

    /// Numbers the order and writes it, with everything that names it, in one batch.
    fn write_new(
        &self,
        input: PlaceOrder,
        ctx: &Context,
        claim: Option<&Claim>,
        external: Option<&(Channel, ExternalId)>,
    ) -> Result<Written, Failed> {
        // The number is the position of the order's first outbox entry: one increment for both.
        let number = self.next_in(keys::FEED_SEQ)?;
        let id = keys::order_id(number).ok_or_else(|| Failure::Store("order id".into()))?;
        let applied = order::place(input, id.clone(), number, &self.windows, ctx)?;
        // Stock before the batch: an order is only written with what it holds.
        let reserved = self.stock.reserve(
            &id,
            &stock::lines(&applied.order),
            applied.order.stock_location().as_ref(),
            None,
            ctx.actor,
        );
        if let Err(failure) = reserved {
            self.void_position(&id, number);
            return Err(failure.into());
        }
        let stored = Stored::first(self.write_id(), applied.order, number);
        let mut batch = vec![self.outbox_write(&stored.order, &applied.events, number)?];
        if let Some(claim) = claim {
            batch.push(self.placement_record(claim, &stored.order, number, true)?);
        }
        if let Some((channel, external_id)) = external {
            let pointer = encode(&Pointer { id: id.clone() }).map_err(Failure::Store)?;
            batch.push((keys::external(channel, external_id), pointer));
        }
        // The document's key is new and has one writer (the number is ours): a plain write, in
        // one batch (one transaction, or one round trip) with everything that names it.
        batch.push((keys::order(&id), encode(&stored).map_err(Failure::Store)?));
        self.kv
            .set_many(&batch)
            .map_err(|e| Failed::Uncertain(e.into()))?;
        Ok(Written {
            order: stored.order,
            changed: true,
            replayed: false,
        })
    }

    /// Writes an entry that carries no order at a position a refused placement took, so that
    /// the outbox's readers know at once that nothing will be committed there (best effort:
    /// without it they wait for the position, as for a placement that died).
    fn void_position(&self, id: &OrderId, position: u64) {
        let entry =
            serde_json::value::RawValue::from_string("[]".to_owned()).map(|events| FeedEntry {
                order_id: id.clone(),
                number: position,
                version: 1,
                at: self.now,
                events,
                order: None,
            });
        if let Ok(entry) = entry
            && let Ok(bytes) = encode(&entry)
        {
            let _written = self.kv.set(&keys::feed_entry(position), &bytes);
        }
    }

    /// Answers an order that a placement did not change, recording the Idempotency-Key's
    /// outcome.
    pub(super) fn unchanged(
        &self,
        order: Order,
        claim: Option<&Claim>,
    ) -> Result<Written, Failure> {
        if let Some(claim) = claim {
            let (key, bytes) = self.placement_record(claim, &order, 0, false)?;
            self.kv.set(&key, &bytes)?;
        }
        Ok(Written {
            order,
            changed: false,
            replayed: false,
        })
    }
}
