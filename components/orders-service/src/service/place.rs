//! Placing an order: the number, the claims on its external id and Idempotency-Key, and the
//! first write of its document.

use std::collections::BTreeMap;

use orderflow_domain::order::{self, Actor, Context, Order, PlaceOrder};

use super::apply::{PreWrite, carries};
use super::idempotency::{Checked, Claim, Taken};
use super::{Failed, Failure, Idempotency, Service, Written};
use crate::doc::{Effect, Pointer, Stored, encode};
use crate::keys;
use crate::kv::claim;
use crate::kv::{Kv, write};

/// How long a placement that lost the claim on a channel + external id waits, in steps, for the
/// winner's order to appear before answering `contention` (at most about 250 ms in all).
const WINNER_WAIT_STEPS: u32 = 25;
/// One step of that wait.
const WINNER_WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(10);

impl<K: Kv> Service<'_, K> {
    /// Places an order; the same channel + external id again answers the existing order.
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
        let claim = match self.check_idempotency(idempotency)? {
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
        let external = input
            .external_id
            .clone()
            .map(|external_id| (input.channel.clone(), external_id));
        if let Some((channel, external_id)) = &external
            && let Some(existing) = self.find_by_external_id(channel, external_id)?
        {
            return Ok(self.unchanged(existing, claim)?);
        }
        // Everything that can be done before the claims is: a crash after a claim and before the
        // write leaves the claim taken, so that window is kept to the write itself.
        let (key, next, bytes, outbox) = self.prepare(input, ctx, claim)?;
        // What must be in before the order goes in one batch: the outbox entry, and below the
        // Idempotency-Key's tentative record and the external-id pointer.
        let mut before = vec![outbox];
        // The key is new and has one writer (the number is ours), so the swap is a plain write.
        let (cas, _) = self.kv.cas_current(&key)?;
        if let Some(claim) = claim
            && let Taken::Replay(written) = self.take(claim)?
        {
            return Ok(*written);
        }
        if let Some(claim) = claim {
            // Like the external-id pointer below, the key's record goes before the order (marked
            // tentative: it holds only once the order exists), so that a crash between the order
            // and its effects cannot let a retry after the claim's lease place it again.
            let mut record = self.record(claim, &next.order, true);
            record.tentative = true;
            let bytes = encode(&record).map_err(Failure::Store)?;
            before.push((keys::idempotency(&claim.hash), bytes));
        }
        if let Some((channel, external_id)) = &external {
            let key_of = |window| keys::external_claim(channel, external_id, window);
            if claim::take(self.kv, self.now.unix_seconds(), key_of)?.is_none() {
                // Another call is placing it and writes the pointer right after the order: wait
                // for it a little (or it died, and its claim lapses with its lease: see `claim`).
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
            }
            // The pointer goes before the order: a crash between the order and its effects
            // must not leave an order its identity cannot find, or a retry after the claim's
            // lease places a second one. A pointer to an order never written finds nothing.
            let pointer = encode(&Pointer {
                id: next.order.id().clone(),
            })
            .map_err(Failure::Store)?;
            before.push((keys::external(channel, external_id), pointer));
        }
        self.kv.set_many(&before)?;
        let swapped = write::swap(self.kv, &key, cas, &bytes, &next.write_id, |b, id| {
            carries(&key, b, id)
        })
        .map_err(|e| Failed::Uncertain(e.into()))?;
        if !swapped {
            return Err(Failed::Uncertain(Failure::Contention));
        }
        self.settle(&key, &next, Some(&bytes));
        Ok(Written {
            order: next.order,
            changed: true,
            replayed: false,
        })
    }

    /// Takes a number and builds the new order's document, slots and outbox position allocated,
    /// and its outbox entry to write before it.
    fn prepare(
        &self,
        input: PlaceOrder,
        ctx: &Context,
        claim: Option<&Claim>,
    ) -> Result<(String, Stored, Vec<u8>, PreWrite), Failure> {
        let number = self.next_in(keys::ORDER_SEQ)?;
        let id = keys::order_id(number).ok_or_else(|| Failure::Store("order id".into()))?;
        let applied = order::place(input, id.clone(), number, &self.windows, ctx)?;
        let empty = Stored {
            write_id: String::new(),
            recent_writes: Vec::new(),
            order: applied.order.clone(),
            slots: BTreeMap::new(),
            pending: Vec::new(),
            outbox: Vec::new(),
        };
        let (mut next, outbox) = self.next_document(&empty, applied, claim)?;
        next.recent_writes.clear();
        if let Some(external_id) = next.order.external_id().clone() {
            let channel = next.order.channel().clone();
            next.pending.insert(
                0,
                Effect::External {
                    channel,
                    external_id,
                },
            );
        }
        let bytes = encode(&next).map_err(Failure::Store)?;
        Ok((keys::order(&id), next, bytes, outbox))
    }

    /// Answers an order that a call did not change, recording the Idempotency-Key's outcome.
    pub(super) fn unchanged(
        &self,
        order: Order,
        claim: Option<&Claim>,
    ) -> Result<Written, Failure> {
        if let Some(claim) = claim {
            let record = self.record(claim, &order, false);
            let bytes = encode(&record).map_err(Failure::Store)?;
            self.kv.set(&keys::idempotency(&claim.hash), &bytes)?;
        }
        Ok(Written {
            order,
            changed: false,
            replayed: false,
        })
    }
}
