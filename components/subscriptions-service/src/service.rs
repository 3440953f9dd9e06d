//! The subscriptions service's store logic: plans, subscriptions, their indexes, cycle records
//! and stats over a [`Kv`] (docs/architecture.md, "Writes").
//!
//! The write protocol, for every change of a subscription document (docs/architecture.md,
//! "Writes"): `cas_current` the document; decide with the domain (`Subscription::apply`); take
//! an outbox position and write the outbox entry there (the new version, with the cycle records
//! it settles); swap in the new document with a fresh write id and the position. A `cas-failed`
//! answer is checked by re-reading: a document that carries our write id means the swap happened
//! (Redis-backed Spin reports successful swaps as failed); otherwise another writer won and we
//! retry, at most [`MAX_ATTEMPTS`] times, then answer [`Error::Contention`]. Four calls, three of
//! them writes. Everything that follows from the document (index and due entries, cycle
//! records, the dashboard counters) the indexer derives from the outbox (`crate::index`).
//!
//! Creation is never decided by a swap (a swap on an absent key is an unconditional upsert on
//! Spin): a subscription or plan id is claimed with `increment`, and only the caller that gets 1
//! writes its document, in one `set-many` with its outbox entry.
//!
//! This module must not touch spin-sdk: it takes `&impl Kv`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use orderflow_domain::subscription::{
    Command, CycleStatus, Event, NewSubscription, PurchaseDay, Schedule, Subscription,
    SubscriptionError, SubscriptionStatus, TimeZone,
};
use orderflow_domain::values::{FieldError, PlanId, SubscriptionId, TestClockId, Text, Timestamp};

use crate::doc::{CycleRecord, KeyUse, Pointer, Stored, decode, encode};
use crate::keys::{self, Bucket, IndexName, Space};
use crate::kv::write::{Attempt, Failed, Outcome};
use crate::kv::{Kv, KvError};

/// How many times a write is tried against concurrent writers before [`Error::Contention`]: the
/// policy of the shared write loop (`orderflow_kv::write`).
pub const MAX_ATTEMPTS: usize = crate::kv::write::MAX_ATTEMPTS;

/// The largest page a listing answers.
pub const MAX_LIMIT: u32 = 200;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No subscription with that id.
    #[error("no such subscription")]
    NotFound,
    /// No plan with that id.
    #[error("no such plan")]
    PlanNotFound,
    /// The id is taken (or was claimed by a create that did not finish).
    #[error("the id is already taken")]
    AlreadyExists,
    /// The subscription rules refused.
    #[error(transparent)]
    Rejected(#[from] SubscriptionError),
    /// `If-Match` named another version.
    #[error("the subscription is at version {actual}, not {expected}")]
    VersionMismatch {
        /// The version the caller expected.
        expected: u64,
        /// The current version.
        actual: u64,
    },
    /// Values from outside that do not parse (a cursor, a limit, a plan's schedule), one entry
    /// per bad field.
    #[error("{} invalid fields", .0.len())]
    Invalid(Vec<FieldError>),
    /// No test clock with that id.
    #[error("no such test clock")]
    ClockNotFound,
    /// An advance must move the clock forward: it stands at this time.
    #[error("the test clock is at {0}; advance it to a later time")]
    ClockBackwards(Timestamp),
    /// The clock holds this many subscriptions, its most.
    #[error("a test clock holds at most {0} subscriptions")]
    ClockFull(u32),
    /// The Idempotency-Key was used with another request.
    #[error("the Idempotency-Key was used with another request")]
    IdempotencyKeyReused,
    /// A request with the Idempotency-Key is still running.
    #[error("a request with the Idempotency-Key is still running")]
    IdempotencyKeyInUse,
    /// Concurrent writers kept winning.
    #[error("concurrent writers kept winning; try again")]
    Contention,
    /// The store failed, or holds something unreadable.
    #[error("store: {0}")]
    Store(String),
}

impl From<crate::kv::head::HeadError> for Error {
    fn from(e: crate::kv::head::HeadError) -> Self {
        match e {
            crate::kv::head::HeadError::Contention => Error::Contention,
            crate::kv::head::HeadError::Store(message) => Error::Store(message),
        }
    }
}

impl From<KvError> for Error {
    fn from(e: KvError) -> Self {
        Error::Store(e.0)
    }
}

/// What a new plan needs, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Its id (replaced by [`Subscriptions::create_plan_numbered`]).
    pub id: PlanId,
    /// Its name.
    pub name: Text,
    /// How often its subscriptions recur.
    pub schedule: Schedule,
    /// The day of the period cycles fall on.
    pub purchase_day: Option<PurchaseDay>,
    /// The zone the schedule is read in.
    pub timezone: TimeZone,
    /// Its subscriptions end after this many cycles.
    pub max_cycles: Option<u32>,
}

/// Which subscriptions a listing answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every subscription, newest first.
    All,
    /// Those in a status, newest first.
    Status(SubscriptionStatus),
    /// Those of a customer (its id or email as stored), newest first.
    Customer(String),
    /// Active subscriptions whose next run is before the instant, soonest first.
    DueBefore(Timestamp),
}

/// A page request: at most `limit` items (1..=[`MAX_LIMIT`]), from a previous page's cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many items.
    pub limit: u32,
    /// Where to go on from.
    pub cursor: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: 50,
            cursor: None,
        }
    }
}

/// A page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Present while there may be more.
    pub next_cursor: Option<String>,
}

/// The result of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The subscription after the call.
    pub subscription: Subscription,
    /// What happened (empty: nothing changed).
    pub events: Vec<Event>,
    /// The test clock it lives on.
    pub test_clock: Option<TestClockId>,
    /// Whether this answers again an earlier call under the same Idempotency-Key (the
    /// subscription as that call left it).
    pub replayed: bool,
}

/// A command's Idempotency-Key as its write keeps it in the document (`crate::doc::KeyUse`).
#[derive(Debug, Clone)]
pub(crate) struct CommandKey {
    /// The key's hash (route, which names the subscription, and key).
    pub(crate) hash: String,
    /// The request body's digest.
    pub(crate) fingerprint: String,
}

/// How long a command's Idempotency-Key replays, in seconds.
pub(crate) const KEY_SECONDS: i64 = 24 * 60 * 60;

/// A subscription as callers see it: with the test clock it lives on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// The subscription.
    pub subscription: Subscription,
    /// Its test clock, if it lives on one.
    pub test_clock: Option<TestClockId>,
}

impl View {
    pub(crate) fn of(stored: Stored) -> Self {
        View {
            subscription: stored.subscription,
            test_clock: stored.test_clock,
        }
    }
}

/// The subscriptions service for one call: a store, the clock, a random nonce for write ids.
#[derive(Debug)]
pub struct Subscriptions<'a, K: Kv> {
    pub(crate) kv: &'a K,
    /// The clock; a pass runs under its own `now`, a test clock's subscriptions under its
    /// frozen time.
    now: Cell<Timestamp>,
    /// Whose due index and pass cursor writes and passes use: live, or one test clock's.
    space: RefCell<Space>,
    /// The host's clock when the call began, whatever `now` a pass or test clock sets: leases
    /// and the live subscriptions' due entries go by it.
    pub(crate) real_now: Timestamp,
    nonce: u64,
    writes: Cell<u64>,
    /// The subscription document last decoded or written, with its key and bytes: a pass reads
    /// each due subscription up to three times (to see it is due, again just before placing
    /// its order, and in the record's swap), and decoding is the costliest part of a read.
    /// Bytes equal to these decode to this document, so it is cloned instead.
    last_document: RefCell<Option<(String, Vec<u8>, Stored)>>,
}

impl<'a, K: Kv> Subscriptions<'a, K> {
    /// A service over `kv` whose clock reads `now`; `nonce` must differ between calls (it makes
    /// write ids unique).
    pub fn new(kv: &'a K, now: Timestamp, nonce: u64) -> Self {
        Subscriptions {
            kv,
            now: Cell::new(now),
            space: RefCell::new(Space::Live),
            real_now: now,
            nonce,
            writes: Cell::new(0),
            last_document: RefCell::new(None),
        }
    }

    /// The clock.
    pub(crate) fn now(&self) -> Timestamp {
        self.now.get()
    }

    /// Runs `f` with the clock set to `now`, then restores it.
    pub(crate) fn at<T>(&self, now: Timestamp, f: impl FnOnce() -> T) -> T {
        let before = self.now.replace(now);
        let result = f();
        self.now.set(before);
        result
    }

    /// The space writes and passes use now.
    pub(crate) fn space(&self) -> Space {
        self.space.borrow().clone()
    }

    /// Runs `f` in `space` with the clock set to `now`, then restores both.
    pub(crate) fn within<T>(&self, space: Space, now: Timestamp, f: impl FnOnce() -> T) -> T {
        let before = self.space.replace(space);
        let result = self.at(now, f);
        self.space.replace(before);
        result
    }

    pub(crate) fn write_id(&self) -> String {
        let n = self.writes.get() + 1;
        self.writes.set(n);
        format!("{:016x}.{n}", self.nonce)
    }

    pub(crate) fn counter(&self, key: &str) -> Result<i64, Error> {
        // Read, in either of Spin's counter encodings: an increment by 0 would be a write.
        crate::kv::counter_value(self.kv.get(key)?.as_deref())
            .ok_or_else(|| Error::Store(format!("{key} does not hold a counter")))
    }

    // ----- subscriptions ---------------------------------------------------------------------

    /// Creates a subscription under its own id (its plan, if it names one, must exist), live
    /// or on the test clock of the current space (see [`Self::on_clock`]).
    pub fn create(&self, new: NewSubscription) -> Result<Subscription, Error> {
        if let Some(plan) = &new.plan_id {
            self.plan(plan)?;
        }
        let sub = Subscription::new(new)?;
        if self.kv.increment(&keys::subscription_claim(sub.id()), 1)? != 1 {
            return Err(Error::AlreadyExists);
        }
        let position = self.take_position()?;
        self.insert(&sub, position, Vec::new())?;
        Ok(sub)
    }

    /// Creates a subscription whose id the service gives: `s-{n}`, `n` its outbox position
    /// (unique and growing, not consecutive), in place of `new.id`. Its plan, if any, is the
    /// caller's to have read.
    pub fn create_numbered(&self, mut new: NewSubscription) -> Result<Subscription, Error> {
        // Refused before anything is written.
        Subscription::new(new.clone())?;
        for _ in 0..MAX_ATTEMPTS {
            let position = self.take_position()?;
            let id = SubscriptionId::parse(&format!("s-{position}"))
                .map_err(|e| Error::Store(e.to_string()))?;
            // Taken only by a caller that chose this id itself: the position is left unused.
            if self.kv.increment(&keys::subscription_claim(&id), 1)? == 1 {
                new.id = id;
                let sub = Subscription::new(new)?;
                self.insert(&sub, position, Vec::new())?;
                return Ok(sub);
            }
        }
        Err(Error::Contention)
    }

    /// Writes a new subscription's document with its outbox entry at `position` (and `also`,
    /// before it) in one batch, the document last.
    pub(crate) fn insert(
        &self,
        sub: &Subscription,
        position: u64,
        also: Vec<(String, Vec<u8>)>,
    ) -> Result<(), Error> {
        let clock = self.space().clock().cloned();
        if let Some(clock) = &clock {
            // A test clock's advances and its deletion find its subscriptions here at once.
            let index = IndexName::clock(clock);
            let slot = self.next_slot(&index)?;
            let pointer = encode(&Pointer::to(sub.id().as_str())).map_err(Error::Store)?;
            self.kv.set(&keys::index_entry(&index, slot), &pointer)?;
        }
        let mut next = Stored {
            write_id: self.write_id(),
            test_clock: clock,
            recent_writes: Vec::new(),
            subscription: sub.clone(),
            joined: joined_after(None, sub),
            keys: Vec::new(),
            outbox: Vec::new(),
        };
        let entry = self.outbox_put(&mut next, None, &[], Vec::new(), position)?;
        let mut puts = vec![entry];
        puts.extend(also);
        puts.push((
            keys::subscription(sub.id()),
            encode(&next).map_err(Error::Store)?,
        ));
        self.kv.set_many(&puts)?;
        Ok(())
    }

    /// The subscription with this id.
    pub fn get(&self, id: &SubscriptionId) -> Result<Subscription, Error> {
        Ok(self.read(id)?.ok_or(Error::NotFound)?.subscription)
    }

    /// The subscription with this id, with its test clock.
    pub fn view(&self, id: &SubscriptionId) -> Result<View, Error> {
        Ok(View::of(self.read(id)?.ok_or(Error::NotFound)?))
    }

    pub(crate) fn read(&self, id: &SubscriptionId) -> Result<Option<Stored>, Error> {
        let key = keys::subscription(id);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => self.decode_document(&key, bytes).map(Some),
        }
    }

    /// The subscription document in `bytes`, read from `key`.
    fn decode_document(&self, key: &str, bytes: Vec<u8>) -> Result<Stored, Error> {
        if let Some((k, b, stored)) = &*self.last_document.borrow()
            && *k == key
            && *b == bytes
        {
            return Ok(stored.clone());
        }
        let stored: Stored = decode(key, &bytes).map_err(Error::Store)?;
        self.remember_document(key, bytes, &stored);
        Ok(stored)
    }

    fn remember_document(&self, key: &str, bytes: Vec<u8>, stored: &Stored) {
        *self.last_document.borrow_mut() = Some((key.to_owned(), bytes, stored.clone()));
    }

    /// Applies a person's command (pause, resume, cancel, skip next, edit the schedule or the
    /// order). `expected_version` is `If-Match`.
    pub fn apply(
        &self,
        id: &SubscriptionId,
        command: Command,
        expected_version: Option<u64>,
    ) -> Result<Written, Error> {
        self.apply_keyed(id, command, expected_version, None)
    }

    /// [`Self::apply`] under an Idempotency-Key, kept in the document with the version it
    /// answered (the last 24 hours' keys): a retry with the same body answers that version
    /// again, marked replayed; another body is [`Error::IdempotencyKeyReused`]. Decided under
    /// the document's compare-and-swap like the command, so a retry racing the first attempt
    /// replays it. A command that changes nothing keeps no key (running it again changes
    /// nothing either).
    pub(crate) fn apply_keyed(
        &self,
        id: &SubscriptionId,
        command: Command,
        expected_version: Option<u64>,
        key: Option<&CommandKey>,
    ) -> Result<Written, Error> {
        // A test clock's subscription is changed as of its clock's frozen time.
        let clock = self.read(id)?.ok_or(Error::NotFound)?.test_clock;
        if let Some(clock) = clock {
            let frozen = self.clock(&clock)?.frozen_time;
            return self.within(Space::Clock(clock), frozen, || {
                self.apply_now(id, command, expected_version, key)
            });
        }
        self.apply_now(id, command, expected_version, key)
    }

    fn apply_now(
        &self,
        id: &SubscriptionId,
        command: Command,
        expected_version: Option<u64>,
        key: Option<&CommandKey>,
    ) -> Result<Written, Error> {
        let now = self.now();
        self.write_with(id, key, &|sub: &Subscription| {
            if let Some(expected) = expected_version
                && expected != sub.version()
            {
                return Err(Error::VersionMismatch {
                    expected,
                    actual: sub.version(),
                });
            }
            Ok(sub.apply(command.clone(), now)?)
        })
    }

    /// The write protocol (module documentation) around one domain decision.
    pub(crate) fn write(
        &self,
        id: &SubscriptionId,
        decide: impl Fn(&Subscription) -> Result<orderflow_domain::subscription::Transition, Error>,
    ) -> Result<Written, Error> {
        self.write_with(id, None, &decide)
    }

    fn write_with(
        &self,
        id: &SubscriptionId,
        command_key: Option<&CommandKey>,
        decide: &impl Fn(&Subscription) -> Result<orderflow_domain::subscription::Transition, Error>,
    ) -> Result<Written, Error> {
        let now = self.now();
        let key = keys::subscription(id);
        let outcome = crate::kv::write::write(
            self.kv,
            &key,
            |bytes| {
                let Some(bytes) = bytes else {
                    return Err(Error::NotFound);
                };
                let stored = self.decode_document(&key, bytes)?;
                if Space::of(stored.test_clock.as_ref()) != self.space() {
                    // Its due entry lives in another space, which this call's clock does not run.
                    return Err(Error::Store(format!(
                        "subscription {id} is written only under its own clock"
                    )));
                }
                if let Some(used_key) = command_key
                    && let Some(used) = stored.keys.iter().find(|k| k.hash == used_key.hash)
                    && now.unix_seconds() - used.at.unix_seconds() < KEY_SECONDS
                {
                    if used.fingerprint != used_key.fingerprint {
                        return Err(Error::IdempotencyKeyReused);
                    }
                    return Ok(Attempt::Done(Written {
                        subscription: self.version_of(&stored, used.version)?,
                        events: Vec::new(),
                        test_clock: stored.test_clock,
                        replayed: true,
                    }));
                }
                let transition = decide(&stored.subscription)?;
                if transition.events.is_empty() {
                    return Ok(Attempt::Done(Written {
                        subscription: stored.subscription,
                        events: Vec::new(),
                        test_clock: stored.test_clock,
                        replayed: false,
                    }));
                }
                let sub = transition.subscription.clone();
                let mut keys: Vec<KeyUse> = stored
                    .keys
                    .iter()
                    .filter(|k| now.unix_seconds() - k.at.unix_seconds() < KEY_SECONDS)
                    .cloned()
                    .collect();
                if let Some(command_key) = command_key {
                    keys.push(KeyUse {
                        hash: command_key.hash.clone(),
                        fingerprint: command_key.fingerprint.clone(),
                        at: now,
                        version: sub.version(),
                    });
                }
                let mut next = Stored {
                    write_id: self.write_id(),
                    test_clock: stored.test_clock.clone(),
                    recent_writes: stored.recent_after(),
                    joined: joined_after(Some(&stored), &sub),
                    subscription: sub,
                    keys,
                    outbox: stored.outbox.clone(),
                };
                let cycles = self.cycle_records(&stored.subscription, &transition.events);
                let position = self.take_position()?;
                let (entry_key, entry) = self.outbox_put(
                    &mut next,
                    Some(&stored.subscription),
                    &transition.events,
                    cycles,
                    position,
                )?;
                self.kv.set(&entry_key, &entry)?;
                let bytes = encode(&next).map_err(Error::Store)?;
                let write_id = next.write_id.clone();
                Ok(Attempt::Write {
                    bytes,
                    write_id,
                    value: (next, transition),
                })
            },
            |bytes, write_id| {
                self.decode_document(&key, bytes.to_vec())
                    .is_ok_and(|now| now.carries(write_id))
            },
        );
        match outcome {
            Ok(Outcome::Unchanged(written)) => Ok(written),
            Ok(Outcome::Written((next, transition), bytes)) => {
                self.remember_document(&key, bytes, &next);
                Ok(Written {
                    subscription: transition.subscription,
                    events: transition.events,
                    test_clock: next.test_clock,
                    replayed: false,
                })
            }
            Err(Failed::Decided(e)) => Err(e),
            Err(Failed::Store(e) | Failed::Uncertain(e)) => Err(e.into()),
            Err(Failed::Contention) => Err(Error::Contention),
        }
    }

    /// The cycle records that `events` settle: created, skipped and missed cycles (a range is one
    /// record). A failed attempt is not a record: the document's `attempts` and `lastError` say
    /// it, and listings show it as the pending cycle.
    fn cycle_records(&self, old: &Subscription, events: &[Event]) -> Vec<CycleRecord> {
        let at = self.now();
        let range = |first: u32, last: u32, status: CycleStatus| CycleRecord {
            number: first,
            through: (last > first).then_some(last),
            scheduled_for: old.scheduled_for(first).unwrap_or(at),
            status,
            order_id: None,
            attempts: 0,
            error: None,
        };
        events
            .iter()
            .filter_map(|event| match event {
                // A failed order creation leaves the cycle pending (no record); a payment that
                // failed on its last try ends it failed, its last order named.
                Event::CycleRecorded(cycle) => match cycle.status {
                    CycleStatus::Failed if cycle.order_id.is_none() => None,
                    CycleStatus::Failed
                    | CycleStatus::Created
                    | CycleStatus::Skipped
                    | CycleStatus::Missed => Some(CycleRecord {
                        number: cycle.number,
                        through: None,
                        scheduled_for: cycle.scheduled_for,
                        status: cycle.status,
                        order_id: cycle.order_id.clone(),
                        attempts: cycle.attempts,
                        error: cycle.error.clone(),
                    }),
                },
                Event::CyclesMissed(r) => Some(range(r.first(), r.last(), CycleStatus::Missed)),
                Event::Resumed { skipped: Some(r) } => {
                    Some(range(r.first(), r.last(), CycleStatus::Skipped))
                }
                Event::Resumed { skipped: None }
                | Event::Paused { .. }
                | Event::Canceled { .. }
                | Event::CycleSkipMarked(_)
                | Event::ScheduleEdited { .. }
                | Event::OrderEdited
                | Event::Finished
                | Event::PaymentFollowed { .. } => None,
            })
            .collect()
    }

    pub(crate) fn next_slot(&self, index: &IndexName) -> Result<u64, Error> {
        u64::try_from(self.kv.increment(&keys::index_counter(index), 1)?)
            .map_err(|_| Error::Store("index slot counter is negative".into()))
    }

    /// The last bucket every pass of the current space has finished, if a pass has run.
    pub(crate) fn pass_cursor(&self) -> Result<Option<Bucket>, Error> {
        let key = self.space().pass_cursor();
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => {
                let cursor: crate::doc::PassCursor = decode(&key, &bytes).map_err(Error::Store)?;
                Ok(Some(cursor.bucket))
            }
        }
    }
}

/// The version at which `sub` (succeeding `previous`) joined each index it belongs to: when
/// `previous` already belonged to it, then; else now.
fn joined_after(previous: Option<&Stored>, sub: &Subscription) -> BTreeMap<IndexName, u64> {
    indexes_of(sub)
        .into_iter()
        .map(|index| {
            let since = previous
                .and_then(|p| p.joined.get(&index).copied())
                .unwrap_or_else(|| sub.version());
            (index, since)
        })
        .collect()
}

/// Every index a subscription belongs to.
fn indexes_of(sub: &Subscription) -> Vec<IndexName> {
    let customer = sub.order().customer();
    let mut names = vec![
        IndexName::all(),
        IndexName::status(sub.status()),
        IndexName::customer(customer.email.as_str()),
    ];
    if let Some(id) = &customer.id {
        names.push(IndexName::customer(id.as_str()));
    }
    names.sort();
    names.dedup();
    names
}
