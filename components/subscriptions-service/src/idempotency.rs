//! Idempotency-Keys, kept by the service as the orders service keeps its own: the handler
//! passes the request's key, route and body digest (`orderflow:core/types.idempotency`), and
//! the service decides, records and replays; no handler knows where records live. Within 24 h
//! the same key on the same route answers the first call's outcome again, marked replayed;
//! another body is [`Error::IdempotencyKeyReused`]. A refusal is not recorded (a retry runs
//! again, and is refused again unless what refused it changed).
//!
//! The subscription writes keep their keys within their three writes:
//! - a creation ([`Subscriptions::create_keyed`]) writes the key's record under `sub/idem/{hash}`
//!   (`hash`: the route and the key, `orderflow_kv::idempotency::hash`) in one batch with the
//!   subscription;
//! - a command on a subscription keeps its key in the document with the version it answered
//!   (`Subscriptions::apply_keyed`), decided under the command's compare-and-swap (its route
//!   names the subscription, so no record outside is needed).
//!
//! Plans, test clocks and advances go through [`Subscriptions::keyed`]: the outcome is recorded
//! after the call succeeds. While a call runs, its key is held by a lease-window claim
//! (`orderflow_kv::claim`): a second call with the key waits a moment for the first's outcome,
//! then answers [`Error::IdempotencyKeyInUse`]; a claim left by a crashed call lapses after one
//! to two minutes. A crash between the call and its record lets a retry run the call again, so
//! what a second run must not do twice is made safe by the call itself: something created
//! without an id under a key gets one derived from the key ([`Keyed::derived_id`]), so the
//! second run finds it and answers it as the first did; an advance of a test clock to a time it
//! has reached is refused, as a pass is idempotent by nature.

use std::time::Duration;

use orderflow_domain::subscription::{NewSubscription, Subscription};
use orderflow_domain::values::{FieldError, IdempotencyKey, SubscriptionId, Timestamp};
use orderflow_kv::claim;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::doc::{decode, encode};
use crate::keys;
use crate::kv::Kv;
use crate::service::{Error, Subscriptions, View};

/// How long an outcome is replayed, in seconds.
const REPLAY_SECONDS: i64 = 24 * 60 * 60;

/// How long a call waits for the outcome of another holding its key, in steps of
/// [`WAIT_STEP`].
const WAIT_STEPS: u32 = 25;
const WAIT_STEP: Duration = Duration::from_millis(10);

/// An Idempotency-Key and its request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The route (method and path).
    pub scope: String,
    /// The key.
    pub key: IdempotencyKey,
    /// A digest of the request body.
    pub fingerprint: String,
}

impl Idempotency {
    /// Parses a key from outside (`invalid` names `Idempotency-Key`).
    pub fn parse(scope: &str, key: &str, fingerprint: &str) -> Result<Self, Error> {
        let key = IdempotencyKey::parse(key)
            .map_err(|e| Error::Invalid(vec![FieldError::new("Idempotency-Key", e)]))?;
        Ok(Idempotency {
            scope: scope.to_owned(),
            key,
            fingerprint: fingerprint.to_owned(),
        })
    }
}

impl Idempotency {
    /// The key as a command's write keeps it in its subscription's document.
    pub(crate) fn command_key(&self) -> crate::service::CommandKey {
        crate::service::CommandKey {
            hash: orderflow_kv::idempotency::hash(&self.scope, self.key.as_str()),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// A keyed call, as it runs.
#[derive(Debug, Clone)]
pub struct Keyed {
    hash: String,
}

impl Keyed {
    /// An id for something created under this key without one of its own: `{prefix}-k` and 24
    /// hex digits of the key's hash, the same on every retry.
    pub fn derived_id(&self, prefix: &str) -> String {
        format!("{prefix}-k{}", &self.hash[..24])
    }
}

/// A call's outcome, and whether it is the replay of an earlier call's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    /// What the call answered.
    pub value: T,
    /// True when recorded by an earlier call with the same key and body.
    pub replayed: bool,
}

/// What a key's record holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    scope: String,
    key: String,
    fingerprint: String,
    /// When it was recorded (the host clock).
    at: Timestamp,
    /// The outcome, as the call's value serialises.
    value: Value,
}

impl<K: Kv> Subscriptions<'_, K> {
    /// Runs `call` under `idempotency` (module documentation): `call` gets the [`Keyed`] call
    /// to derive ids from, or `None` without a key.
    pub fn keyed<T: Serialize + DeserializeOwned>(
        &self,
        idempotency: Option<&Idempotency>,
        call: impl FnOnce(Option<&Keyed>) -> Result<T, Error>,
    ) -> Result<Outcome<T>, Error> {
        let Some(idempotency) = idempotency else {
            return call(None).map(|value| Outcome {
                value,
                replayed: false,
            });
        };
        let keyed = Keyed {
            hash: orderflow_kv::idempotency::hash(&idempotency.scope, idempotency.key.as_str()),
        };
        let now = self.now();
        if let Some(replay) = self.recorded(&keyed, idempotency, now)? {
            return Ok(replay);
        }
        let claim_of = |window: i64| keys::idempotency_claim(&keyed.hash, window);
        let Some(held) = claim::take(self.kv, now.unix_seconds(), claim_of)? else {
            for _ in 0..WAIT_STEPS {
                // On wasm32-wasip2 this blocks on a wasi:clocks pollable; the host serves others.
                std::thread::sleep(WAIT_STEP);
                if let Some(replay) = self.recorded(&keyed, idempotency, now)? {
                    return Ok(replay);
                }
            }
            return Err(Error::IdempotencyKeyInUse);
        };
        // The holder before us may have recorded its outcome between our read and our claim.
        let result = match self.recorded(&keyed, idempotency, now) {
            Ok(Some(replay)) => Ok(replay),
            Ok(None) => call(Some(&keyed)).map(|value| {
                // Unrecorded, a retry runs the call again, which the call makes safe (module
                // documentation): the call's own answer stands.
                self.record_outcome(&keyed, idempotency, now, &value).ok();
                Outcome {
                    value,
                    replayed: false,
                }
            }),
            Err(e) => Err(e),
        };
        // A claim not given back lapses with its lease.
        claim::release(self.kv, &held).ok();
        result
    }

    /// Creates a subscription under an Idempotency-Key in three writes, as a plain creation:
    /// the id's creation claim, an outbox position, and one batch holding the document and the
    /// key's record (so a later call finds either both or neither). Without an id of its own,
    /// its id is derived from the key, whose claim then stands for the key's: whoever gets 1
    /// creates, no one else ever does, and a call that finds the id claimed answers the record
    /// (or the subscription, for a key older than 24 h), waiting a moment for a call still
    /// running; a claim left by a call that died before its batch keeps answering
    /// [`Error::IdempotencyKeyInUse`] (nothing was acknowledged under it: a new key creates).
    /// With its own id, the key's record is read first (a read more). `build` makes the
    /// subscription from its id; run it in the space it lives in (`Self::on_clock`).
    pub fn create_keyed(
        &self,
        idempotency: &Idempotency,
        id: Option<SubscriptionId>,
        build: impl FnOnce(SubscriptionId) -> Result<NewSubscription, Error>,
    ) -> Result<Outcome<View>, Error> {
        let keyed = Keyed {
            hash: orderflow_kv::idempotency::hash(&idempotency.scope, idempotency.key.as_str()),
        };
        let now = self.now();
        let own = id.is_some();
        let id = match id {
            Some(id) => id,
            None => SubscriptionId::parse(&keyed.derived_id("s"))
                .map_err(|e| Error::Invalid(vec![FieldError::new("Idempotency-Key", e)]))?,
        };
        // Refused before anything is written: a claim taken for a refused body would hold the
        // key for good.
        let sub = Subscription::new(build(id.clone())?)?;
        if own {
            if let Some(replay) = self.recorded(&keyed, idempotency, now)? {
                return Ok(replay);
            }
            if self.kv.increment(&keys::subscription_claim(&id), 1)? != 1 {
                return match self.recorded(&keyed, idempotency, now)? {
                    Some(replay) => Ok(replay),
                    None => Err(Error::AlreadyExists),
                };
            }
            return self.insert_keyed(&keyed, idempotency, sub);
        }
        if self.kv.increment(&keys::subscription_claim(&id), 1)? != 1 {
            for step in 0..=WAIT_STEPS {
                if let Some(replay) = self.recorded(&keyed, idempotency, now)? {
                    return Ok(replay);
                }
                if let Some(stored) = self.read(&id)? {
                    // Created under this key more than 24 hours ago.
                    return Ok(Outcome {
                        value: View::of(stored),
                        replayed: true,
                    });
                }
                if step < WAIT_STEPS {
                    // On wasm32-wasip2 this blocks on a wasi:clocks pollable.
                    std::thread::sleep(WAIT_STEP);
                }
            }
            return Err(Error::IdempotencyKeyInUse);
        }
        self.insert_keyed(&keyed, idempotency, sub)
    }

    /// Creates `sub` (its id's claim held) with the key's record in its batch.
    fn insert_keyed(
        &self,
        keyed: &Keyed,
        idempotency: &Idempotency,
        sub: Subscription,
    ) -> Result<Outcome<View>, Error> {
        let view = View {
            subscription: sub.clone(),
            test_clock: self.space().clock().cloned(),
        };
        let record = self.outcome_record(idempotency, self.now(), &view)?;
        let position = self.take_position()?;
        self.insert(
            &sub,
            position,
            vec![(keys::idempotency(&keyed.hash), record)],
        )?;
        Ok(Outcome {
            value: view,
            replayed: false,
        })
    }

    /// The recorded outcome for the key, if there is one from the last 24 hours: replayed when
    /// the body is the same, refused when it is not.
    fn recorded<T: DeserializeOwned>(
        &self,
        keyed: &Keyed,
        idempotency: &Idempotency,
        now: Timestamp,
    ) -> Result<Option<Outcome<T>>, Error> {
        let key = keys::idempotency(&keyed.hash);
        let Some(bytes) = self.kv.get(&key)? else {
            return Ok(None);
        };
        let record: Record = decode(&key, &bytes).map_err(Error::Store)?;
        let fresh = now.unix_seconds().saturating_sub(record.at.unix_seconds()) < REPLAY_SECONDS;
        if !fresh || record.scope != idempotency.scope || record.key != idempotency.key.as_str() {
            return Ok(None);
        }
        if record.fingerprint != idempotency.fingerprint {
            return Err(Error::IdempotencyKeyReused);
        }
        let value = serde_json::from_value(record.value)
            .map_err(|e| Error::Store(format!("{key} does not parse: {e}")))?;
        Ok(Some(Outcome {
            value,
            replayed: true,
        }))
    }

    fn record_outcome<T: Serialize>(
        &self,
        keyed: &Keyed,
        idempotency: &Idempotency,
        now: Timestamp,
        value: &T,
    ) -> Result<(), Error> {
        let bytes = self.outcome_record(idempotency, now, value)?;
        self.kv.set(&keys::idempotency(&keyed.hash), &bytes)?;
        Ok(())
    }

    /// The record of a keyed call's outcome, encoded.
    fn outcome_record<T: Serialize>(
        &self,
        idempotency: &Idempotency,
        now: Timestamp,
        value: &T,
    ) -> Result<Vec<u8>, Error> {
        let record = Record {
            scope: idempotency.scope.clone(),
            key: idempotency.key.as_str().to_owned(),
            fingerprint: idempotency.fingerprint.clone(),
            at: now,
            value: serde_json::to_value(value)
                .map_err(|e| Error::Store(format!("encoding an outcome: {e}")))?,
        };
        encode(&record).map_err(Error::Store)
    }
}
