//! The runner pass: every due cycle becomes exactly one order.
//!
//! # Finding what is due
//!
//! Every active subscription has one entry in the due index, in the minute bucket of its next
//! run, put there by the indexer (`crate::index`), which a pass catches up first. A pass reads the buckets after the pass cursor up to
//! `now`, skipping empty 365-day eras, days and hours with one counter read each, so its cost
//! grows with the subscriptions due (and, weakly, with the time since the last pass), never with
//! the number that exist. It then moves the cursor to `now - OVERLAP`, not to `now`: a writer
//! that read the cursor just before registers in a bucket after it, and the overlap keeps the
//! last minutes in the next pass's reach, so an entry written while a pass was reading is never
//! left behind. A subscription still due after a pass (a failed cycle, a backlog after
//! downtime) is re-registered in the current minute when the indexer follows that pass's write.
//!
//! # Exactly once
//!
//! For each due subscription the pass records what `due()` reports missed or skipped
//! (`Command::CatchUp`), then claims the cycle to charge with `increment` on a key derived from
//! (subscription, cycle): the caller that gets 1 holds it and stamps the claim's time. The order
//! is placed with a deterministic identity, external id `"{subscription}:{cycle}"` in the
//! subscription's channel ([`order_identity`]), which the orders service places at most once.
//! A pass that finds the claim taken looks the order up by that identity: found, it records the
//! cycle; not found and the claim older than [`CLAIM_LEASE`] (its pass died), it places it
//! itself — safe, since placing the same identity twice yields one order; otherwise it leaves the
//! cycle to its holder, and the cursor stays before that minute until a later pass finds the
//! cycle recorded or the claim expired. The cycle is recorded with `Command::RecordCycle` under
//! compare-and-swap; a pass that finds it already recorded (`cycle-not-pending`) has nothing
//! left to do.
//!
//! # Following payments
//!
//! A created cycle's order is followed under [`PassOptions::payment`] (the domain's
//! `subscription::payment` has the rules). The subscription's due entry is kept at its
//! `wake_at`, the earlier of its next cycle and its payment check, so the check costs what a
//! due cycle costs. At the check the pass asks the orders service where the payment stands
//! ([`Orders::payment`]): paid ends the check, pending looks again later (after the deadline
//! of a pix or boleto), failed places the next attempt with its own identity
//! ([`attempt_identity`]) while tries are left, and on the last try records the cycle failed
//! and pauses the subscription with the reason. The step is written with
//! `Command::FollowPayment`, which names the attempt: of two passes that raced, the second finds
//! it stale and stops (both placed the same attempt identity, so one order exists).

use std::collections::{HashMap, HashSet};

use chrono::TimeDelta;
use orderflow_domain::subscription::{
    CatchUpPolicy, Command, CycleOutcome, CycleStatus, Event, PaymentCheck, PaymentRetryPolicy,
    PaymentStep, Subscription, SubscriptionError, SubscriptionStatus, due,
};
use orderflow_domain::values::{SubscriptionId, Text, Timestamp};

use crate::doc::{ClaimedAt, PassCursor, Pointer, decode, encode, subscription_id};
use crate::keys::{self, Bucket};
use crate::kv::{Kv, Swap};
use crate::orders::{
    ClockTime, Orders, OrdersError, PaymentState, attempt_identity, order_identity,
};
use crate::service::{Error, MAX_ATTEMPTS, Subscriptions};

/// How many minutes before `now` a pass leaves its cursor, so that entries registered while it
/// was reading are seen by the next pass.
pub const OVERLAP_MINUTES: i64 = 2;

/// How long a cycle's claim protects its holder: a claim older than this whose order does not
/// exist belongs to a pass that died, and the next pass finishes the cycle.
pub const CLAIM_LEASE: TimeDelta = TimeDelta::minutes(2);

/// How a pass runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassOptions {
    /// The catch-up policy (how late a cycle may still be charged).
    pub policy: CatchUpPolicy,
    /// At most this many subscriptions with something due are handled by one pass; the rest
    /// wait for the next (the cursor stops before the first bucket not finished).
    pub max_subscriptions: usize,
    /// At most this many unpaid orders are canceled by one pass.
    pub max_unpaid: u32,
    /// How created cycles' payments are followed and retried.
    pub payment: PaymentRetryPolicy,
    /// The share of the due subscriptions this pass handles (`None`: all of them).
    pub shard: Option<Shard>,
}

/// One of `count` disjoint shares of the due subscriptions, by a hash of the id, so that one
/// pass can run as `count` parallel requests: each subscription belongs to exactly one shard,
/// and exactly-once holds between shards as between overlapping passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` of `count`, or `None` unless `index < count`.
    pub fn new(index: u32, count: u32) -> Option<Self> {
        (index < count).then_some(Shard { index, count })
    }

    /// Whether `id` belongs to this shard (FNV-1a of the id: the same in every build).
    pub fn holds(self, id: &SubscriptionId) -> bool {
        let hash = id.as_str().bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        hash % u64::from(self.count) == u64::from(self.index)
    }
}

/// What one shard did, and the first minute it did not finish (see [`PassOptions::shard`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardReport {
    /// What the shard did (it cancels no unpaid orders).
    pub report: PassReport,
    /// The start of the first minute bucket the shard did not finish, if any.
    pub unfinished: Option<Timestamp>,
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            policy: CatchUpPolicy::default(),
            max_subscriptions: 10_000,
            max_unpaid: 1_000,
            payment: PaymentRetryPolicy::default(),
            shard: None,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PassReport {
    /// Subscriptions that had something due (a cycle to charge, skip or miss).
    pub due: u64,
    /// Cycles whose order this pass created (or found and recorded).
    pub created: u64,
    /// Cycles recorded as skipped.
    pub skipped: u64,
    /// Cycles whose order could not be created (recorded `failed`, retried next pass).
    pub failed: u64,
    /// Unpaid pix and boleto orders canceled past their deadline.
    pub canceled_unpaid: u64,
    /// Cycles recorded as missed (too late to charge).
    pub missed: u64,
    /// Cycles left to a concurrent pass that holds their claim.
    pub in_progress: u64,
    /// Orders placed to try a failed payment again.
    pub payment_retries: u64,
    /// Subscriptions paused because a cycle's payment failed on its last try.
    pub paused_for_payment: u64,
    /// Failures of the store or the orders service that stopped part of the pass, one sentence
    /// each; what they stopped is retried by the next pass.
    pub errors: Vec<String>,
}

impl<K: Kv> Subscriptions<'_, K> {
    /// One pass as of `now` with the default options: see the module documentation.
    pub fn run_pass(&self, now: Timestamp, orders: &impl Orders) -> Result<PassReport, Error> {
        self.run_pass_with(now, orders, &PassOptions::default())
    }

    /// One pass as of `now` (a test clock may be in the future).
    pub fn run_pass_with(
        &self,
        now: Timestamp,
        orders: &impl Orders,
        options: &PassOptions,
    ) -> Result<PassReport, Error> {
        self.at(now, || self.pass(orders, options))
    }

    /// One shard of a pass as of `now` (see [`Shard`]): the due subscriptions of
    /// `options.shard`, in the buckets from the pass cursor to `now`. Neither moves the cursor
    /// nor cancels unpaid orders: [`Self::end_pass`] does, with the first bucket each shard did
    /// not finish.
    pub fn run_shard(
        &self,
        now: Timestamp,
        orders: &impl Orders,
        options: &PassOptions,
    ) -> Result<ShardReport, Error> {
        self.at(now, || self.walk_due(orders, options))
    }

    /// Ends a pass whose shards have all run (or failed): moves the cursor to `now` less the
    /// overlap, but never past the minute before `unfinished` (the earliest bucket a shard did
    /// not finish), then cancels unpaid orders past their deadline. Answers what the sweep did.
    pub fn end_pass(
        &self,
        now: Timestamp,
        orders: &impl Orders,
        options: &PassOptions,
        unfinished: Option<Timestamp>,
    ) -> Result<PassReport, Error> {
        self.at(now, || {
            let mut report = PassReport::default();
            self.finish(orders, options, unfinished.map(Bucket::of), &mut report)?;
            Ok(report)
        })
    }

    pub(crate) fn pass(
        &self,
        orders: &impl Orders,
        options: &PassOptions,
    ) -> Result<PassReport, Error> {
        let ShardReport {
            mut report,
            unfinished,
        } = self.walk_due(orders, options)?;
        self.finish(orders, options, unfinished.map(Bucket::of), &mut report)?;
        Ok(report)
    }

    /// Handles every due subscription (of `options.shard`) in the buckets after the cursor.
    fn walk_due(&self, orders: &impl Orders, options: &PassOptions) -> Result<ShardReport, Error> {
        let now = self.now();
        let mut report = PassReport::default();
        // Every write acknowledged before the pass has its due entry where the walk looks. One
        // that the indexer could not follow now gets its entry in a minute a later pass reads
        // (`crate::index`), so the pass goes on.
        if let Err(e) = self.catch_up() {
            report.errors.push(format!("catching up the indexer: {e}"));
        }
        let start = self.pass_cursor()?;
        let end = Bucket::of(now);
        let mut bucket = Bucket(start.map_or(0, |c| c.0.saturating_add(1)));
        let mut walk = Occupancy::new(self, usize::MAX);
        let mut seen: HashSet<SubscriptionId> = HashSet::new();
        // The first bucket that is not finished (budget spent or an error in it).
        let mut unfinished: Option<Bucket> = None;
        'buckets: while let Some(current) = walk.next_occupied(bucket, end)? {
            let space = self.space();
            let slots = u64::try_from(self.counter(&space.due_counter(current))?).unwrap_or(0);
            for slot in 1..=slots {
                let key = space.due_entry(current, slot);
                let Some(bytes) = self.kv.get(&key)? else {
                    continue;
                };
                let Some(id) = decode::<Pointer>(&key, &bytes)
                    .ok()
                    .as_ref()
                    .and_then(subscription_id)
                else {
                    continue;
                };
                if seen.contains(&id) || !options.shard.is_none_or(|shard| shard.holds(&id)) {
                    continue;
                }
                // The budget counts subscriptions that had something due: entries of ones that
                // were not due cost a read or two and cannot stall a pass.
                if usize::try_from(report.due).unwrap_or(usize::MAX) >= options.max_subscriptions {
                    unfinished.get_or_insert(current);
                    break 'buckets;
                }
                seen.insert(id.clone());
                let deferred = report.in_progress;
                if let Err(e) = self.pass_one(&id, orders, options, &mut report) {
                    report.errors.push(format!("subscription {id}: {e}"));
                    unfinished.get_or_insert(current);
                }
                // A cycle left to a live claim keeps its minute in the next pass's reach: if
                // its holder dies, the entry is the only way back to it.
                if report.in_progress > deferred {
                    unfinished.get_or_insert(current);
                }
            }
            bucket = Bucket(current.0.saturating_add(1));
        }
        Ok(ShardReport {
            report,
            unfinished: unfinished.and_then(Bucket::start),
        })
    }

    /// Moves the cursor (never past the minute before `unfinished`) and sweeps unpaid orders.
    fn finish(
        &self,
        orders: &impl Orders,
        options: &PassOptions,
        unfinished: Option<Bucket>,
        report: &mut PassReport,
    ) -> Result<(), Error> {
        let now = self.now();
        let mut target = Bucket(Bucket::of(now).0.saturating_sub(OVERLAP_MINUTES));
        if let Some(unfinished) = unfinished {
            target = target.min(Bucket(unfinished.0.saturating_sub(1)));
        }
        self.advance_cursor(target)?;
        match orders.cancel_unpaid(now, options.max_unpaid, self.space().clock()) {
            Ok(n) => report.canceled_unpaid = n,
            Err(e) => report.errors.push(format!("canceling unpaid orders: {e}")),
        }
        Ok(())
    }

    /// Moves the pass cursor forward to `target` (never back).
    fn advance_cursor(&self, target: Bucket) -> Result<(), Error> {
        let key = self.space().pass_cursor();
        for _ in 0..MAX_ATTEMPTS {
            let (cas, bytes) = self.kv.cas_current(&key)?;
            if let Some(bytes) = &bytes {
                let current: PassCursor = decode(&key, bytes).map_err(Error::Store)?;
                if current.bucket >= target {
                    return Ok(());
                }
            }
            let next = PassCursor {
                bucket: target,
                write_id: self.write_id(),
            };
            let encoded = encode(&next).map_err(Error::Store)?;
            match self.kv.cas_swap(cas, &encoded)? {
                Swap::Swapped => return Ok(()),
                Swap::Failed => {
                    // Redis reports a successful swap as failed: the loop re-reads, and a cursor
                    // at or past the target (ours or a later pass's) ends it.
                }
            }
        }
        Err(Error::Contention)
    }

    /// Settles what is due for one subscription: its payment check, then its cycles.
    fn pass_one(
        &self,
        id: &SubscriptionId,
        orders: &impl Orders,
        options: &PassOptions,
        report: &mut PassReport,
    ) -> Result<(), Error> {
        let now = self.now();
        let policy = &options.policy;
        let Some(stored) = self.read(id)? else {
            return Ok(());
        };
        let mut sub = stored.subscription;
        if sub.wake_at().is_none_or(|at| at > now) {
            return Ok(());
        }
        if let Some(check) = sub.payment_check().filter(|c| c.check_at <= now).cloned()
            && let Some(followed) = self.follow_payment(&sub, &check, orders, options, report)?
        {
            sub = followed;
        }
        if sub.next_cycle_at().is_none_or(|at| at > now) {
            return Ok(());
        }
        let pass = due(&sub, now, policy);
        if pass.is_idle() {
            return Ok(());
        }
        report.due += 1;
        if !pass.missed.is_empty() || !pass.skipped.is_empty() || pass.charge.is_none() {
            let policy = *policy;
            let written = match self.write(id, |s| Ok(s.apply(Command::CatchUp { policy }, now)?)) {
                Ok(written) => written,
                // Paused or canceled meanwhile: nothing is due any more.
                Err(Error::Rejected(SubscriptionError::InvalidTransition { .. })) => {
                    return Ok(());
                }
                Err(other) => return Err(other),
            };
            for event in &written.events {
                match event {
                    Event::CyclesMissed(range) => report.missed += range.count(),
                    Event::CycleRecorded(cycle) if cycle.status == CycleStatus::Skipped => {
                        report.skipped += 1;
                    }
                    Event::CycleRecorded(_)
                    | Event::Paused { .. }
                    | Event::Resumed { .. }
                    | Event::Canceled { .. }
                    | Event::CycleSkipMarked(_)
                    | Event::ScheduleEdited { .. }
                    | Event::OrderEdited
                    | Event::Finished
                    | Event::PaymentFollowed { .. } => {}
                }
            }
            sub = written.subscription;
        }
        match due(&sub, now, policy).charge {
            Some(charge) => self.charge(&sub, charge.number, orders, options, report),
            None => Ok(()),
        }
    }

    /// Looks at the payment `check` follows and writes what was found and done (module
    /// documentation). Answers the subscription as written, or `None` when another pass had
    /// already taken this step.
    fn follow_payment(
        &self,
        sub: &Subscription,
        check: &PaymentCheck,
        orders: &impl Orders,
        options: &PassOptions,
        report: &mut PassReport,
    ) -> Result<Option<Subscription>, Error> {
        let now = self.now();
        let unavailable = |e: OrdersError| Error::Store(e.to_string());
        let later = options.payment.check_after(now);
        let step = match orders.payment(&check.order_id).map_err(unavailable)? {
            // An order that is gone has nothing left to follow.
            None | Some(PaymentState::Settled) => PaymentStep::Settled,
            Some(PaymentState::Pending { due_at }) => PaymentStep::Pending {
                // A pix or boleto is canceled by the first pass after its deadline: look right
                // after that rather than an interval later.
                check_at: match due_at {
                    Some(due) if due >= now => due
                        .checked_add(TimeDelta::minutes(OVERLAP_MINUTES))
                        .unwrap_or(later),
                    Some(_) | None => later,
                },
            },
            Some(PaymentState::Failed { reason }) if check.attempt < check.max_attempts => {
                match self.place_attempt(sub, check, orders) {
                    Ok(order_id) => PaymentStep::Retried {
                        reason: short_text(&reason)?,
                        order_id,
                        check_at: later,
                    },
                    // Not placed (the data, or the orders service): the check stays on the
                    // failed attempt and comes back next interval, the error in the report.
                    Err(e) => {
                        report.errors.push(format!(
                            "subscription {}: retrying the payment of cycle {}: {e}",
                            sub.id(),
                            check.cycle
                        ));
                        PaymentStep::Pending { check_at: later }
                    }
                }
            }
            Some(PaymentState::Failed { reason }) => PaymentStep::GaveUp {
                reason: short_text(&format!(
                    "payment of cycle {} failed {} times, last: {reason}",
                    check.cycle, check.attempt
                ))?,
            },
        };
        let retried = matches!(step, PaymentStep::Retried { .. });
        let gave_up = matches!(step, PaymentStep::GaveUp { .. });
        let command = Command::FollowPayment {
            cycle: check.cycle,
            attempt: check.attempt,
            step,
        };
        match self.write(sub.id(), |s| Ok(s.apply(command.clone(), now)?)) {
            Ok(written) => {
                report.payment_retries += u64::from(retried);
                let paused = written.subscription.status() == SubscriptionStatus::Paused;
                report.paused_for_payment += u64::from(gave_up && paused);
                Ok(Some(written.subscription))
            }
            Err(Error::Rejected(SubscriptionError::PaymentCheckStale { .. })) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Places the next payment attempt of the followed cycle (its own identity, so placing it
    /// twice yields one order).
    fn place_attempt(
        &self,
        sub: &Subscription,
        check: &PaymentCheck,
        orders: &impl Orders,
    ) -> Result<orderflow_domain::values::OrderId, Error> {
        let attempt = check.attempt.saturating_add(1);
        let identity = attempt_identity(sub.id(), check.cycle, attempt).ok_or_else(|| {
            Error::Store(format!(
                "no order identity for {}:{}:{attempt}",
                sub.id(),
                check.cycle
            ))
        })?;
        let mut order = sub.order_for(check.cycle);
        order.external_id = Some(identity);
        orders
            .place(order, self.placement_clock().as_ref())
            .map(|placed| placed.id)
            .map_err(|e| Error::Store(e.to_string()))
    }

    /// Claims cycle `number` of `sub`, places its order and records it (module documentation).
    fn charge(
        &self,
        sub: &Subscription,
        number: u32,
        orders: &impl Orders,
        options: &PassOptions,
        report: &mut PassReport,
    ) -> Result<(), Error> {
        let now = self.now();
        let id = sub.id();
        let identity = order_identity(id, number)
            .ok_or_else(|| Error::Store(format!("no order identity for {id}:{number}")))?;
        let channel = sub.order().channel();
        let claim = keys::cycle_claim(id, number);
        let claimed_at = keys::cycle_claim_at(id, number);
        let stamp = encode(&ClaimedAt { at: now }).map_err(Error::Store)?;
        if self.kv.increment(&claim, 1)? == 1 {
            self.kv.set(&claimed_at, &stamp)?;
        } else {
            let existing = orders
                .find(channel, &identity)
                .map_err(|e| Error::Store(e.to_string()))?;
            if let Some(order) = existing {
                return self.record(
                    id,
                    number,
                    CycleOutcome::Created { order_id: order.id },
                    options,
                    report,
                );
            }
            let live = match self.kv.get(&claimed_at)? {
                Some(bytes) => decode::<ClaimedAt>(&claimed_at, &bytes)
                    .is_ok_and(|c| c.at.checked_add(CLAIM_LEASE).is_some_and(|end| end > now)),
                // Stamped right after the claim: a missing stamp is a pass that died in between
                // (or one a moment from stamping; placing twice is safe either way).
                None => false,
            };
            if live {
                report.in_progress += 1;
                return Ok(());
            }
            self.kv.set(&claimed_at, &stamp)?;
        }
        // Narrow the window in which a pause or cancel made after this pass read the
        // subscription could still let an order through.
        let current = self.get(id)?;
        if current.next_run_at().is_none() || current.next_cycle() != number {
            return self.release(id, number);
        }
        let mut order = current.order_for(number);
        order.external_id = Some(identity);
        match orders.place(order, self.placement_clock().as_ref()) {
            Ok(placed) => self.record(
                id,
                number,
                CycleOutcome::Created {
                    order_id: placed.id,
                },
                options,
                report,
            ),
            Err(e) => {
                let reason = failure_reason(&e)?;
                self.record(id, number, CycleOutcome::Failed { reason }, options, report)?;
                self.release(id, number)
            }
        }
    }

    /// The test clock orders are placed on, with its time: the current space's, if a clock's.
    fn placement_clock(&self) -> Option<ClockTime> {
        self.space().clock().map(|id| ClockTime {
            id: id.clone(),
            now: self.now(),
        })
    }

    /// Records what became of a cycle; a cycle another pass already recorded is left as it is.
    fn record(
        &self,
        id: &SubscriptionId,
        number: u32,
        outcome: CycleOutcome,
        options: &PassOptions,
        report: &mut PassReport,
    ) -> Result<(), Error> {
        let now = self.now();
        let created = matches!(outcome, CycleOutcome::Created { .. });
        let failed = matches!(outcome, CycleOutcome::Failed { .. });
        let result = self.write(id, |s| {
            Ok(s.apply(
                Command::RecordCycle {
                    number,
                    outcome: outcome.clone(),
                    follow_payment: Some(options.payment),
                },
                now,
            )?)
        });
        match result {
            Ok(written) => {
                // Counted only when this pass's record is the one that applied.
                if !written.events.is_empty() {
                    report.created += u64::from(created);
                    report.failed += u64::from(failed);
                }
                if created {
                    self.release(id, number)?;
                }
                Ok(())
            }
            Err(Error::Rejected(SubscriptionError::CycleNotPending { .. })) => {
                self.release(id, number)
            }
            Err(other) => Err(other),
        }
    }

    /// Gives a cycle's claim back (after its record, or after a failed attempt, so that the
    /// next pass may claim it again).
    fn release(&self, id: &SubscriptionId, number: u32) -> Result<(), Error> {
        self.kv.delete(&keys::cycle_claim_at(id, number))?;
        self.kv.delete(&keys::cycle_claim(id, number))?;
        Ok(())
    }
}

/// The reason a failed cycle shows, as text the domain accepts.
fn failure_reason(e: &OrdersError) -> Result<Text, Error> {
    short_text(&e.to_string())
}

/// `full` as a reason the domain accepts: control characters blanked, at most 400 characters.
fn short_text(full: &str) -> Result<Text, Error> {
    let short: String = full
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(400)
        .collect();
    Text::parse(short.trim(), 500)
        .or_else(|_| Text::parse("the order could not be created", 500))
        .map_err(|e| Error::Store(format!("a failure reason: {e}")))
}

/// Walks the due index's occupancy counters (365-day eras, days, hours) to find the next bucket
/// that may hold entries, with a budget of counter reads.
#[derive(Debug)]
pub(crate) struct Occupancy<'s, 'a, K: Kv> {
    service: &'s Subscriptions<'a, K>,
    budget: usize,
    known: HashMap<String, bool>,
    exhausted: Option<Bucket>,
}

impl<'s, 'a, K: Kv> Occupancy<'s, 'a, K> {
    /// A walk that reads at most `budget` counters.
    pub(crate) fn new(service: &'s Subscriptions<'a, K>, budget: usize) -> Self {
        Occupancy {
            service,
            budget,
            known: HashMap::new(),
            exhausted: None,
        }
    }

    /// Where the budget ran out, if it did.
    pub(crate) fn exhausted_at(&self) -> Option<Bucket> {
        self.exhausted
    }

    fn occupied(&mut self, key: String) -> Result<Option<bool>, Error> {
        if let Some(known) = self.known.get(&key) {
            return Ok(Some(*known));
        }
        if self.budget == 0 {
            return Ok(None);
        }
        self.budget -= 1;
        let occupied = self.service.counter(&key)? > 0;
        self.known.insert(key, occupied);
        Ok(Some(occupied))
    }

    /// The first bucket in `from..=end` whose era, day and hour have had entries, or `None`.
    pub(crate) fn next_occupied(
        &mut self,
        from: Bucket,
        end: Bucket,
    ) -> Result<Option<Bucket>, Error> {
        let mut m = from.0;
        while m <= end.0 {
            let b = Bucket(m);
            let space = self.service.space();
            let levels = [
                (space.due_era_counter(b.era()), Bucket::PER_ERA),
                (space.due_day_counter(b.day()), Bucket::PER_DAY),
                (space.due_hour_counter(b.hour()), Bucket::PER_HOUR),
            ];
            let mut skip_to = None;
            for (key, width) in levels {
                match self.occupied(key)? {
                    None => {
                        self.exhausted = Some(b);
                        return Ok(None);
                    }
                    Some(true) => {}
                    Some(false) => {
                        skip_to = Some(m.div_euclid(width).saturating_add(1).saturating_mul(width));
                        break;
                    }
                }
            }
            match skip_to {
                Some(next) => m = next,
                None => return Ok(Some(b)),
            }
        }
        Ok(None)
    }
}
