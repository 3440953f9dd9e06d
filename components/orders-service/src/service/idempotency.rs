//! Idempotency-Keys. A command on an order keeps its key in the order's document ([`KeyUse`]),
//! decided under the document's compare-and-swap like the command itself, and points the key's
//! record at the order (written with the outbox entry, no write of its own) so that the key sent
//! about another order is refused. A placement has no document yet: it claims the key's
//! generation with `increment` and writes the record in one batch with the order.

use orderflow_domain::order::Order;
use orderflow_domain::values::OrderId;

use super::{Failed, Failure, Idempotency, Service, Written};
use crate::doc::{KeyRecord, KeyUse, Stored, decode, encode};
use crate::keys::{self, IdempotencyHash};
use crate::kv::Kv;
use crate::kv::claim;

/// How long an Idempotency-Key replays.
const IDEMPOTENCY_WINDOW_SECONDS: i64 = 24 * 60 * 60;

/// An Idempotency-Key a placement runs under: its hash, its 24-hour generation, and whether this
/// call holds its claim.
#[derive(Debug)]
pub(super) struct Claim {
    pub(super) idempotency: Idempotency,
    pub(super) hash: IdempotencyHash,
    generation: u64,
    /// The claim key while this request holds it.
    held: std::cell::RefCell<Option<String>>,
}

/// What an Idempotency-Key's record says before a placement runs.
pub(super) enum Checked {
    /// Answer with the recorded result.
    Replay(Box<Written>),
    /// Run the request (under this key, if any).
    Fresh(Option<Claim>),
}

/// The outcome of claiming an Idempotency-Key.
pub(super) enum Taken {
    /// This call holds it.
    Held,
    /// Another call finished first: answer with its result.
    Replay(Box<Written>),
}

impl<K: Kv> Service<'_, K> {
    /// The record a placement under `claim` writes with its order (or, answering an order it
    /// did not change, on its own).
    pub(super) fn placement_record(
        &self,
        claim: &Claim,
        order: &Order,
        position: u64,
        changed: bool,
    ) -> Result<(String, Vec<u8>), Failure> {
        let fingerprint = &claim.idempotency.fingerprint;
        self.key_record(
            &claim.hash,
            claim.generation,
            fingerprint,
            order,
            position,
            changed,
        )
    }

    /// The record of a key used on `order`, answered with its current version, holding once
    /// that version is at `position` (0: as is); a command's key has no generation (0).
    pub(super) fn key_record(
        &self,
        hash: &IdempotencyHash,
        generation: u64,
        fingerprint: &str,
        order: &Order,
        position: u64,
        changed: bool,
    ) -> Result<(String, Vec<u8>), Failure> {
        let record = KeyRecord {
            id: order.id().clone(),
            generation,
            at: self.now,
            fingerprint: fingerprint.to_owned(),
            version: order.version(),
            position,
            changed,
        };
        Ok((
            keys::idempotency(hash),
            encode(&record).map_err(Failure::Store)?,
        ))
    }

    /// The record of a key, as stored.
    fn load_record(&self, hash: &IdempotencyHash) -> Result<Option<KeyRecord>, Failure> {
        let key = keys::idempotency(hash);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => decode(&key, &bytes).map(Some).map_err(Failure::Store),
        }
    }

    /// The document of the order a record names, if the record holds.
    fn holding(&self, record: &KeyRecord) -> Result<Option<Stored>, Failure> {
        let Some(stored) = self.read(&keys::order(&record.id))? else {
            return Ok(None);
        };
        if record.position != 0 && stored.committed(record.version, record.position) != Some(true) {
            // Written with an outbox entry whose swap never happened.
            return Ok(None);
        }
        Ok(Some(stored))
    }

    /// The record of a key, if it holds, with the order as the record answered it.
    fn read_record(&self, hash: &IdempotencyHash) -> Result<Option<(KeyRecord, Order)>, Failure> {
        let Some(record) = self.load_record(hash)? else {
            return Ok(None);
        };
        let Some(stored) = self.holding(&record)? else {
            return Ok(None);
        };
        let snapshot = self.snapshot(&stored, record.version)?;
        Ok(Some((record, snapshot)))
    }

    /// The order as `version` left it: the current one, or the one its outbox entry carries
    /// (kept longer than a key replays; the current one if it is gone).
    pub(super) fn snapshot(&self, stored: &Stored, version: u64) -> Result<Order, Failure> {
        if version != stored.order.version()
            && let Some(position) = stored.position_of(version)
            && let Some(entry) = self.outbox_entry(position)?
            && entry.order_id == *stored.order.id()
            && let Some(order) = entry.order
        {
            return Ok(*order);
        }
        Ok(stored.order.clone())
    }

    fn is_fresh(&self, at: orderflow_domain::values::Timestamp) -> bool {
        self.now.unix_seconds() - at.unix_seconds() < IDEMPOTENCY_WINDOW_SECONDS
    }

    /// Replays or refuses a placement's Idempotency-Key from its record, or names the
    /// generation a new request under it will claim (see [`Service::take`]).
    pub(super) fn check_placement_key(
        &self,
        idempotency: Option<Idempotency>,
    ) -> Result<Checked, Failure> {
        let Some(idempotency) = idempotency else {
            return Ok(Checked::Fresh(None));
        };
        let hash = IdempotencyHash::of(&idempotency.scope, idempotency.key.as_str());
        let generation = match self.read_record(&hash)? {
            Some((record, snapshot)) if self.is_fresh(record.at) => {
                return answer(&record.fingerprint, record.changed, snapshot, &idempotency)
                    .map(Checked::Replay);
            }
            Some((record, _)) => record.generation + 1,
            None => 0,
        };
        Ok(Checked::Fresh(Some(Claim {
            idempotency,
            hash,
            generation,
            held: std::cell::RefCell::new(None),
        })))
    }

    /// Claims a placement key's generation with `increment`: the caller that gets 1 writes; the
    /// others give their ticket back and answer from the record, or `contention` while the
    /// first is still running.
    pub(super) fn take(&self, claim: &Claim) -> Result<Taken, Failure> {
        if claim.held.borrow().is_some() {
            return Ok(Taken::Held);
        }
        let key_of = |window| keys::idempotency_claim(&claim.hash, claim.generation, window);
        if let Some(key) = claim::take(self.kv, self.now.unix_seconds(), key_of)? {
            claim.held.replace(Some(key));
            return Ok(Taken::Held);
        }
        match self.read_record(&claim.hash)? {
            Some((record, snapshot))
                if record.generation == claim.generation && self.is_fresh(record.at) =>
            {
                answer(
                    &record.fingerprint,
                    record.changed,
                    snapshot,
                    &claim.idempotency,
                )
                .map(Taken::Replay)
            }
            Some(_) | None => Err(Failure::Contention),
        }
    }

    /// A placement that failed cleanly gives its claim back, so that the key can be retried;
    /// one whose write may have happened keeps it.
    pub(super) fn finish(
        &self,
        claim: Option<&Claim>,
        result: Result<Written, Failed>,
    ) -> Result<Written, Failure> {
        match result {
            Ok(written) => Ok(written),
            Err(Failed::Uncertain(failure)) => Err(failure),
            Err(Failed::Cleanly(failure)) => {
                if let Some(key) = claim.and_then(|claim| claim.held.take()) {
                    claim::release(self.kv, &key)?;
                }
                Err(failure)
            }
        }
    }

    /// Refuses a command's key when its record names another order (the key was used about
    /// that one). Reads the record only: the order's own document decides everything else.
    pub(super) fn check_command_key(
        &self,
        idempotency: Option<&Idempotency>,
        id: &OrderId,
    ) -> Result<Option<IdempotencyHash>, Failure> {
        let Some(idempotency) = idempotency else {
            return Ok(None);
        };
        let hash = IdempotencyHash::of(&idempotency.scope, idempotency.key.as_str());
        if let Some(record) = self.load_record(&hash)?
            && &record.id != id
            && self.is_fresh(record.at)
            && self.holding(&record)?.is_some()
        {
            return Err(Failure::IdempotencyKeyReused);
        }
        Ok(Some(hash))
    }

    /// What the document says of a command's key: a replay, a refusal, or nothing (run it).
    pub(super) fn recorded_use(
        &self,
        stored: &Stored,
        hash: &IdempotencyHash,
        idempotency: &Idempotency,
    ) -> Result<Option<Box<Written>>, Failure> {
        let Some(used) = stored
            .keys
            .iter()
            .find(|used| &used.hash == hash && self.is_fresh(used.at))
        else {
            return Ok(None);
        };
        let snapshot = self.snapshot(stored, used.version)?;
        answer(&used.fingerprint, used.changed, snapshot, idempotency).map(Some)
    }

    /// Records a command's key in the document it writes (and forgets those past 24 hours).
    pub(super) fn use_key(
        &self,
        next: &mut Stored,
        hash: &IdempotencyHash,
        changed: bool,
        fingerprint: &str,
    ) {
        next.keys
            .retain(|used| self.is_fresh(used.at) && &used.hash != hash);
        next.keys.push(KeyUse {
            hash: hash.clone(),
            fingerprint: fingerprint.to_owned(),
            at: self.now,
            version: next.order.version(),
            changed,
        });
    }
}

/// The recorded answer for a request under the same key: a replay with the same body, else a
/// refusal.
fn answer(
    fingerprint: &str,
    changed: bool,
    snapshot: Order,
    idempotency: &Idempotency,
) -> Result<Box<Written>, Failure> {
    if fingerprint == idempotency.fingerprint {
        Ok(Box::new(Written {
            order: snapshot,
            changed,
            replayed: true,
        }))
    } else {
        Err(Failure::IdempotencyKeyReused)
    }
}
