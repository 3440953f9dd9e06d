//! Idempotency-Keys: the record of what a key produced, the claim of a key's generation, and
//! the replay or refusal of a request under a key already used.

use orderflow_domain::order::Order;

use super::{Failed, Failure, Idempotency, Service, Written};
use crate::doc::{IdempotencyRecord, decode};
use crate::keys::{self, IdempotencyHash};
use crate::kv::Kv;
use crate::kv::claim;

/// How long an Idempotency-Key replays.
const IDEMPOTENCY_WINDOW_SECONDS: i64 = 24 * 60 * 60;

/// An Idempotency-Key this call runs under: its hash, its 24-hour generation, and whether this
/// call holds its claim. The claim is taken right before the write (so that a crash between the
/// two, which would leave the key taken with nothing written, is a one-operation window).
#[derive(Debug)]
pub(super) struct Claim {
    idempotency: Idempotency,
    pub(super) hash: IdempotencyHash,
    generation: u64,
    /// The claim key while this request holds it.
    held: std::cell::RefCell<Option<String>>,
}

/// What an Idempotency-Key's record says before a request runs.
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
    pub(super) fn record(&self, claim: &Claim, order: &Order, changed: bool) -> IdempotencyRecord {
        IdempotencyRecord {
            scope: claim.idempotency.scope.clone(),
            key: claim.idempotency.key.as_str().to_owned(),
            fingerprint: claim.idempotency.fingerprint.clone(),
            generation: claim.generation,
            at: self.now,
            changed,
            snapshot: order.clone(),
            tentative: false,
        }
    }

    /// The record of a key; a tentative one only once the order it names was written.
    fn read_record(&self, hash: &IdempotencyHash) -> Result<Option<IdempotencyRecord>, Failure> {
        let key = keys::idempotency(hash);
        let record: IdempotencyRecord = match self.kv.get(&key)? {
            None => return Ok(None),
            Some(bytes) => decode(&key, &bytes).map_err(Failure::Store)?,
        };
        if record.tentative && self.kv.get(&keys::order(record.snapshot.id()))?.is_none() {
            // Its placement died before the order: as if never written.
            return Ok(None);
        }
        Ok(Some(record))
    }

    /// Replays or refuses an Idempotency-Key from its record, or names the generation a new
    /// request under it will claim (see [`Service::take`]).
    pub(super) fn check_idempotency(
        &self,
        idempotency: Option<Idempotency>,
    ) -> Result<Checked, Failure> {
        let Some(idempotency) = idempotency else {
            return Ok(Checked::Fresh(None));
        };
        let hash = IdempotencyHash::of(&idempotency.scope, idempotency.key.as_str());
        let record = self.read_record(&hash)?;
        let generation = match &record {
            Some(record) if self.is_fresh(record, &idempotency) => {
                return self.answer_from(record, &idempotency).map(Checked::Replay);
            }
            Some(record) => record.generation + 1,
            None => 0,
        };
        Ok(Checked::Fresh(Some(Claim {
            idempotency,
            hash,
            generation,
            held: std::cell::RefCell::new(None),
        })))
    }

    /// Claims an Idempotency-Key's generation with `increment`: the caller that gets 1 writes;
    /// the others give their ticket back and answer from the record, or `contention` while the
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
            Some(record)
                if record.generation == claim.generation
                    && self.is_fresh(&record, &claim.idempotency) =>
            {
                self.answer_from(&record, &claim.idempotency)
                    .map(Taken::Replay)
            }
            Some(_) | None => Err(Failure::Contention),
        }
    }

    fn is_fresh(&self, record: &IdempotencyRecord, idempotency: &Idempotency) -> bool {
        record.scope == idempotency.scope
            && record.key == idempotency.key.as_str()
            && self.now.unix_seconds() - record.at.unix_seconds() < IDEMPOTENCY_WINDOW_SECONDS
    }

    fn answer_from(
        &self,
        record: &IdempotencyRecord,
        idempotency: &Idempotency,
    ) -> Result<Box<Written>, Failure> {
        if record.fingerprint == idempotency.fingerprint {
            Ok(Box::new(Written {
                order: record.snapshot.clone(),
                changed: record.changed,
                replayed: true,
            }))
        } else {
            Err(Failure::IdempotencyKeyReused)
        }
    }

    /// A request that failed cleanly gives its claim back, so that the key can be retried; one
    /// whose write may have happened keeps it (a retry then waits for the pending record).
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
}
