//! The subscriptions service's store logic: plans, subscriptions, their indexes, cycle records
//! and stats over a [`Kv`] (docs/architecture.md, "Writes").
//!
//! The write protocol, for every change of a subscription document:
//! 1. `cas_current` the document; apply the stats change its version left (claimed by version
//!    with `increment`, so it is counted once whoever applies it).
//! 2. Decide with the domain (`Subscription::apply`). Write what the new version adds before it
//!    exists — index entries in freshly incremented slots, its due entry — idempotent, harmless
//!    if the swap never happens (readers check every entry against the document it names).
//! 3. Swap in the new document with a fresh write id and its stats change. A `cas-failed` answer
//!    is checked by re-reading: a document that carries our write id means the swap happened
//!    (Redis-backed Spin reports successful swaps as failed); otherwise another writer won and we
//!    retry from 1, at most [`MAX_ATTEMPTS`] times, then answer [`Error::Contention`].
//! 4. Write the cycle records the new version settled (they travel in the document), apply its
//!    stats change, and delete the entries the old version held and the new one does not. A
//!    crash before that leaves stale entries, which readers skip, and records and a stats change
//!    in the document, which the next writer applies before it decides.
//!
//! Creation is never decided by a swap (a swap on an absent key is an unconditional upsert on
//! Spin): a subscription or plan id is claimed with `increment`, and only the caller that gets 1
//! writes its document.
//!
//! This module must not touch spin-sdk: it takes `&impl Kv`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use orderflow_domain::subscription::{
    Command, CycleStatus, Event, NewSubscription, PurchaseDay, Schedule, Subscription,
    SubscriptionError, SubscriptionStatus, TimeZone,
};
use orderflow_domain::values::{FieldError, PlanId, SubscriptionId, TestClockId, Text, Timestamp};

use crate::doc::{CycleRecord, DueSlot, Pointer, Stored, decode, encode};
use crate::keys::{self, Bucket, IndexName, Space};
use crate::kv::write::{Attempt, Failed, Outcome};
use crate::kv::{Kv, KvError};
use crate::stats::contribution;

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

impl From<KvError> for Error {
    fn from(e: KvError) -> Self {
        Error::Store(e.0)
    }
}

/// What a new plan needs, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Its id (see [`Subscriptions::next_plan_id`]).
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
}

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
    nonce: u64,
    writes: Cell<u64>,
    /// The subscription document last decoded or written, with its key and bytes: a pass reads
    /// each due subscription up to three times (to see it is due, again just before placing
    /// its order, and in the record's swap), and decoding is the costliest part of a read.
    /// Bytes equal to these decode to this document, so it is cloned instead.
    last_document: RefCell<Option<(String, Vec<u8>, Stored)>>,
}

/// Index slots and the due slot handed out during one write, reused across its retries so that
/// a conflict does not burn a slot per attempt.
#[derive(Debug, Default)]
struct Allocations {
    slots: HashMap<IndexName, u64>,
    dues: Vec<DueSlot>,
}

impl<'a, K: Kv> Subscriptions<'a, K> {
    /// A service over `kv` whose clock reads `now`; `nonce` must differ between calls (it makes
    /// write ids unique).
    pub fn new(kv: &'a K, now: Timestamp, nonce: u64) -> Self {
        Subscriptions {
            kv,
            now: Cell::new(now),
            space: RefCell::new(Space::Live),
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

    /// Creates a subscription (its plan, if it names one, must exist), live or on the test
    /// clock of the current space (see [`Self::on_clock`]).
    pub fn create(&self, new: NewSubscription) -> Result<Subscription, Error> {
        if let Some(plan) = &new.plan_id {
            self.plan(plan)?;
        }
        let clock = self.space().clock().cloned();
        let sub = Subscription::new(new)?;
        let id = sub.id().clone();
        self.ensure_currency(sub.order().currency())?;
        if self.kv.increment(&keys::subscription_claim(&id), 1)? != 1 {
            return Err(Error::AlreadyExists);
        }
        let mut allocations = Allocations::default();
        if let Some(clock) = &clock {
            let slot = self.next_slot(&IndexName::clock(clock))?;
            let pointer = encode(&Pointer {
                id: id.as_str().to_owned(),
            })
            .map_err(Error::Store)?;
            self.kv
                .set(&keys::index_entry(&IndexName::clock(clock), slot), &pointer)?;
        }
        let empty = Stored {
            write_id: String::new(),
            test_clock: clock,
            recent_writes: Vec::new(),
            subscription: sub.clone(),
            slots: BTreeMap::new(),
            due: None,
            stats: None,
            cycles: Vec::new(),
            outbox: Vec::new(),
        };
        let mut next = self.next_document(&empty, None, sub.clone(), &mut allocations)?;
        self.write_outbox(&mut next, None, &[])?;
        let bytes = encode(&next).map_err(Error::Store)?;
        // The id is ours (the claim), so the key has a single writer: a plain write.
        self.kv.set(&keys::subscription(&id), &bytes)?;
        self.settle_stats(&id, &next)?;
        Ok(sub)
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
        // A test clock's subscription is changed as of its clock's frozen time.
        let clock = self.read(id)?.ok_or(Error::NotFound)?.test_clock;
        if let Some(clock) = clock {
            let frozen = self.clock(&clock)?.frozen_time;
            return self.within(Space::Clock(clock), frozen, || {
                self.apply_now(id, command, expected_version)
            });
        }
        self.apply_now(id, command, expected_version)
    }

    fn apply_now(
        &self,
        id: &SubscriptionId,
        command: Command,
        expected_version: Option<u64>,
    ) -> Result<Written, Error> {
        let now = self.now();
        self.write(id, |sub| {
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
        self.write_or_touch(id, decide, false)
    }

    /// [`Self::write`]; with `touch`, a decision that changes nothing still rewrites the document
    /// (a fresh write id, and a due entry re-registered where a pass will find it).
    pub(crate) fn write_or_touch(
        &self,
        id: &SubscriptionId,
        decide: impl Fn(&Subscription) -> Result<orderflow_domain::subscription::Transition, Error>,
        touch: bool,
    ) -> Result<Written, Error> {
        let mut allocations = Allocations::default();
        let result = self.write_with(id, &decide, &mut allocations, touch);
        if result.is_err() {
            // Entries written for attempts that did not commit. The document decides which (a
            // swap that answered an error may have written); if it cannot be read, or the
            // cleanup fails, they stay as garbage that readers skip.
            if let Ok(current) = self.read(id) {
                self.discard_unused(&allocations, current.as_ref()).ok();
            }
        }
        result
    }

    fn write_with(
        &self,
        id: &SubscriptionId,
        decide: &impl Fn(&Subscription) -> Result<orderflow_domain::subscription::Transition, Error>,
        allocations: &mut Allocations,
        touch: bool,
    ) -> Result<Written, Error> {
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
                self.settle_stats(id, &stored)?;
                self.settle_cycles(id, &stored)?;
                let transition = decide(&stored.subscription)?;
                if transition.events.is_empty() && !touch {
                    return Ok(Attempt::Done(Written {
                        subscription: stored.subscription,
                        events: Vec::new(),
                        test_clock: stored.test_clock,
                    }));
                }
                let mut next = self.next_document(
                    &stored,
                    Some(&stored.subscription),
                    transition.subscription.clone(),
                    allocations,
                )?;
                next.cycles = self.cycle_records(&stored.subscription, &transition.events);
                self.write_outbox(&mut next, Some(&stored.subscription), &transition.events)?;
                let bytes = encode(&next).map_err(Error::Store)?;
                let write_id = next.write_id.clone();
                Ok(Attempt::Write {
                    bytes,
                    write_id,
                    value: (stored, next, transition),
                })
            },
            |bytes, write_id| {
                self.decode_document(&key, bytes.to_vec())
                    .is_ok_and(|now| now.carries(write_id))
            },
        );
        match outcome {
            Ok(Outcome::Unchanged(written)) => Ok(written),
            Ok(Outcome::Written((stored, next, transition), bytes)) => {
                self.remember_document(&key, bytes, &next);
                self.after_write(id, &stored, &next)?;
                self.discard_unused(allocations, Some(&next))?;
                Ok(Written {
                    subscription: transition.subscription,
                    events: transition.events,
                    test_clock: next.test_clock,
                })
            }
            Err(Failed::Decided(e)) => Err(e),
            Err(Failed::Store(e) | Failed::Uncertain(e)) => Err(e.into()),
            Err(Failed::Contention) => Err(Error::Contention),
        }
    }

    /// The document for `sub` succeeding `stored`: its index slots and due entry allocated and
    /// written (before the swap; see the module documentation), and its stats change.
    fn next_document(
        &self,
        stored: &Stored,
        old: Option<&Subscription>,
        sub: Subscription,
        allocations: &mut Allocations,
    ) -> Result<Stored, Error> {
        let id = sub.id().clone();
        let pointer = encode(&Pointer {
            id: id.as_str().to_owned(),
        })
        .map_err(Error::Store)?;
        let mut slots = BTreeMap::new();
        for index in indexes_of(&sub) {
            let slot = match stored.slots.get(&index) {
                Some(slot) => *slot,
                None => {
                    let slot = match allocations.slots.get(&index) {
                        Some(slot) => *slot,
                        None => {
                            let slot = self.next_slot(&index)?;
                            allocations.slots.insert(index.clone(), slot);
                            slot
                        }
                    };
                    self.kv.set(&keys::index_entry(&index, slot), &pointer)?;
                    slot
                }
            };
            slots.insert(index, slot);
        }
        let due = match sub.wake_at() {
            None => None,
            Some(at) => Some(self.due_slot(stored.due, at, allocations, &pointer)?),
        };
        let version = sub.version();
        let from = old.map(contribution);
        let to = contribution(&sub);
        // A test clock's subscriptions are test data: the dashboard counts live ones only.
        let stats = (from != Some(to) && stored.test_clock.is_none())
            .then_some(crate::doc::StatsDelta { version, from, to });
        Ok(Stored {
            write_id: self.write_id(),
            test_clock: stored.test_clock.clone(),
            recent_writes: if stored.write_id.is_empty() {
                Vec::new()
            } else {
                stored.recent_after()
            },
            subscription: sub,
            slots,
            due,
            stats,
            cycles: Vec::new(),
            outbox: stored.outbox.clone(),
        })
    }

    /// The due entry for a next run at `at`: the current one while it still will be scanned,
    /// else a new one in bucket `max(at, now, cursor + 1)` — never in a bucket a pass has
    /// finished, so the entry is seen (see `crate::pass` for why a pass keeps an overlap).
    fn due_slot(
        &self,
        current: Option<DueSlot>,
        at: Timestamp,
        allocations: &mut Allocations,
        pointer: &[u8],
    ) -> Result<DueSlot, Error> {
        let cursor = self.pass_cursor()?;
        let target = Bucket::of(at)
            .max(Bucket::of(self.now()))
            .max(Bucket(cursor.map_or(i64::MIN, |c| c.0.saturating_add(1))));
        if let Some(current) = current
            && current.at == at
            && current.bucket >= target
        {
            return Ok(current);
        }
        if let Some(allocated) = allocations
            .dues
            .iter()
            .find(|d| d.at == at && d.bucket >= target)
        {
            return Ok(*allocated);
        }
        // Occupancy first: a pass that finds an era, day or hour empty skips it. Only whether
        // a counter is positive matters and none ever goes down, so one already positive is
        // left as it is (a read instead of a write; two writers that both read zero both add).
        let space = self.space();
        for counter in [
            space.due_era_counter(target.era()),
            space.due_day_counter(target.day()),
            space.due_hour_counter(target.hour()),
        ] {
            if self.counter(&counter)? <= 0 {
                self.kv.increment(&counter, 1)?;
            }
        }
        let slot = u64::try_from(self.kv.increment(&space.due_counter(target), 1)?)
            .map_err(|_| Error::Store("due slot counter is negative".into()))?;
        self.kv.set(&space.due_entry(target, slot), pointer)?;
        let due = DueSlot {
            bucket: target,
            slot,
            at,
        };
        allocations.dues.push(due);
        Ok(due)
    }

    /// Deletes the index and due entries allocated during a write that the document as stored
    /// does not hold: a retry after a lost swap may have decided differently.
    fn discard_unused(
        &self,
        allocations: &Allocations,
        next: Option<&Stored>,
    ) -> Result<(), Error> {
        for (index, slot) in &allocations.slots {
            if next.is_none_or(|n| n.slots.get(index) != Some(slot)) {
                self.kv.delete(&keys::index_entry(index, *slot))?;
            }
        }
        for due in &allocations.dues {
            if next.is_none_or(|n| n.due != Some(*due)) {
                self.kv
                    .delete(&self.space().due_entry(due.bucket, due.slot))?;
            }
        }
        Ok(())
    }

    /// After a successful swap: the stats change, and the entries `old` held that `next` does
    /// not are deleted.
    fn after_write(&self, id: &SubscriptionId, old: &Stored, next: &Stored) -> Result<(), Error> {
        self.settle_cycles(id, next)?;
        self.settle_stats(id, next)?;
        for (index, slot) in &old.slots {
            if next.slots.get(index) != Some(slot) {
                self.kv.delete(&keys::index_entry(index, *slot))?;
            }
        }
        if let Some(due) = old.due
            && next.due != Some(due)
        {
            self.kv
                .delete(&self.space().due_entry(due.bucket, due.slot))?;
        }
        // The claim of the version before the one just replaced is no longer needed: every
        // writer that could still apply it has been overtaken by two writes.
        if let Some(version) = old.subscription.version().checked_sub(1).filter(|v| *v > 0) {
            self.kv.delete(&keys::stats_claim(id, version))?;
        }
        Ok(())
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

    /// Writes the cycle records a document's version settled. Its writer does it after the swap
    /// and every later writer again before deciding (a crash in between loses nothing); a writer
    /// whose swap lost never writes any. A cycle is settled once, except that a payment retry
    /// rewrites a created cycle's record with the next attempt's order: so a record with an
    /// order is written only over an older attempt (a late repeat of an earlier version never
    /// overwrites a newer record).
    fn settle_cycles(&self, id: &SubscriptionId, stored: &Stored) -> Result<(), Error> {
        for record in &stored.cycles {
            let key = keys::cycle(id, record.number);
            if record.order_id.is_some()
                && let Some(bytes) = self.kv.get(&key)?
                && let Ok(existing) = decode::<CycleRecord>(&key, &bytes)
                && (existing.attempts, existing.status == CycleStatus::Failed)
                    >= (record.attempts, record.status == CycleStatus::Failed)
            {
                continue;
            }
            let bytes = encode(record).map_err(Error::Store)?;
            self.kv.set(&key, &bytes)?;
        }
        Ok(())
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
