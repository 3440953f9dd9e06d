//! Test clocks, as Stripe has them: an object with a frozen time that moves only when asked.
//!
//! A subscription created on a test clock lives in the clock's [`Space`]: its due entry, the
//! clock's pass cursor and the cycles' claims are the clock's, its times (creation, commands,
//! due cycles) are read on the clock's frozen time, and its orders are placed on the clock (the
//! orders service dates them by the clock and expires their unpaid pix and boleto by it, apart
//! from live orders). Live passes read only the live due index, so they never see a clock's
//! subscriptions, and a clock's advance reads only its own.
//!
//! Advancing runs the clock's passes one wake-up at a time: the next instant one of its
//! subscriptions has something due (a cycle, a payment check), a pass there, and again, until
//! the new frozen time; so a clock moved a year ahead charges twelve monthly cycles rather
//! than recording eleven as missed. Each advance runs at most [`MAX_STEPS`] passes and stops
//! the clock at the last; a clock holds at most [`MAX_SUBSCRIPTIONS`] subscriptions (Stripe
//! bounds its clocks too), which bounds the reads of an advance.
//!
//! Deleting a clock deletes its subscriptions (their documents, index and due entries and cycle
//! records) and then the clock. The orders they created stay, marked with the clock.

use std::collections::HashMap;

use orderflow_domain::subscription::SubscriptionStatus;
use orderflow_domain::values::{SubscriptionId, TestClockId, Text, Timestamp};
use serde::{Deserialize, Serialize};

use crate::doc::{Pointer, decode, encode, subscription_id};
use crate::keys::{self, IndexName, Space};
use crate::kv::{Kv, Swap};
use crate::orders::Orders;
use crate::pass::{PassOptions, PassReport};
use crate::service::{Error, MAX_ATTEMPTS, Page, PageRequest, Subscriptions};

/// The most passes one advance runs.
pub const MAX_STEPS: usize = 1_000;

/// The most subscriptions ever created on one clock (a pass's budget of due subscriptions).
pub const MAX_SUBSCRIPTIONS: u32 = 10_000;

/// Where a test clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockStatus {
    /// It can be advanced.
    Ready,
    /// An advance is running (or died: a new advance goes on from the frozen time).
    Advancing,
}

/// A test clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestClock {
    /// Its id.
    pub id: TestClockId,
    /// What people call it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Its time: what its subscriptions and their orders take as now.
    pub frozen_time: Timestamp,
    /// Whether an advance is running.
    pub status: ClockStatus,
    /// When it was created (the host's clock).
    pub created_at: Timestamp,
    /// Its slot in the clocks index.
    #[serde(default)]
    pub(crate) slot: u64,
    /// Unique per write (compare-and-swap on Redis reports a successful swap as failed).
    #[serde(default)]
    pub(crate) write_id: String,
}

impl<K: Kv> Subscriptions<'_, K> {
    /// Creates a test clock frozen at `frozen_time`, under its own id: the id's claim, a slot in
    /// the `clocks` index, and the clock with its entry in one batch.
    pub fn create_clock(
        &self,
        id: TestClockId,
        name: Option<Text>,
        frozen_time: Timestamp,
    ) -> Result<TestClock, Error> {
        if self.kv.increment(&keys::clock_claim(&id), 1)? != 1 {
            return Err(Error::AlreadyExists);
        }
        let slot = self.next_slot(&IndexName::clocks())?;
        self.insert_clock(id, name, frozen_time, slot)
    }

    /// Creates a test clock whose id the service gives, `tc-{n}` (`n` its slot in the `clocks`
    /// index: unique and growing, not consecutive).
    pub fn create_clock_numbered(
        &self,
        name: Option<Text>,
        frozen_time: Timestamp,
    ) -> Result<TestClock, Error> {
        for _ in 0..MAX_ATTEMPTS {
            let slot = self.next_slot(&IndexName::clocks())?;
            let id = TestClockId::parse(&format!("tc-{slot}"))
                .map_err(|e| Error::Store(e.to_string()))?;
            // Taken only by a caller that chose this id itself: the slot stays empty.
            if self.kv.increment(&keys::clock_claim(&id), 1)? == 1 {
                return self.insert_clock(id, name, frozen_time, slot);
            }
        }
        Err(Error::Contention)
    }

    /// Writes a clock (its id claimed) and its entry at `slot` of the `clocks` index.
    fn insert_clock(
        &self,
        id: TestClockId,
        name: Option<Text>,
        frozen_time: Timestamp,
        slot: u64,
    ) -> Result<TestClock, Error> {
        let pointer = encode(&Pointer::to(id.as_str())).map_err(Error::Store)?;
        let clock = TestClock {
            id,
            name,
            frozen_time,
            status: ClockStatus::Ready,
            created_at: self.now(),
            slot,
            write_id: self.write_id(),
        };
        let bytes = encode(&clock).map_err(Error::Store)?;
        self.kv.set_many(&[
            (keys::index_entry(&IndexName::clocks(), slot), pointer),
            (keys::clock(&clock.id), bytes),
        ])?;
        Ok(clock)
    }

    /// The test clock with this id.
    pub fn clock(&self, id: &TestClockId) -> Result<TestClock, Error> {
        let key = keys::clock(id);
        let bytes = self.kv.get(&key)?.ok_or(Error::ClockNotFound)?;
        decode(&key, &bytes).map_err(Error::Store)
    }

    /// Test clocks, newest first.
    pub fn clocks(&self, page: &PageRequest) -> Result<Page<TestClock>, Error> {
        self.walk_index(&IndexName::clocks(), page, |_, pointer| {
            let Ok(id) = TestClockId::parse(&pointer.id) else {
                return Ok(None);
            };
            match self.clock(&id) {
                Ok(clock) => Ok(Some(clock)),
                Err(Error::ClockNotFound) => Ok(None),
                Err(other) => Err(other),
            }
        })
    }

    /// Runs `f` as of the clock's frozen time in its space: how a subscription on it is created.
    pub fn on_clock<T>(
        &self,
        id: &TestClockId,
        f: impl FnOnce(&Self, Timestamp) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let clock = self.clock(id)?;
        if self.kv.increment(&keys::clock_subscriptions(id), 1)? > i64::from(MAX_SUBSCRIPTIONS) {
            return Err(Error::ClockFull(MAX_SUBSCRIPTIONS));
        }
        self.within(Space::Clock(id.clone()), clock.frozen_time, || {
            f(self, clock.frozen_time)
        })
    }

    /// Moves the clock forward to `to`, running its subscriptions' passes on the way (module
    /// documentation). Answers the clock as it stands after, and what the passes did.
    pub fn advance_clock(
        &self,
        id: &TestClockId,
        to: Timestamp,
        orders: &impl Orders,
        options: &PassOptions,
    ) -> Result<(TestClock, PassReport), Error> {
        let clock = self.clock(id)?;
        if to <= clock.frozen_time {
            return Err(Error::ClockBackwards(clock.frozen_time));
        }
        self.save_clock(id, |c| c.status = ClockStatus::Advancing)?;
        let space = Space::Clock(id.clone());
        let mut report = PassReport::default();
        let mut at = clock.frozen_time;
        // When each of the clock's subscriptions wakes next: read once, then again only for
        // those a step has run (a person's command meanwhile at worst costs a step or leaves
        // a cycle to the last pass, at `to`).
        let mut wakes: HashMap<SubscriptionId, Wake> = HashMap::new();
        for sub in self.clock_subscriptions(id)? {
            let wake = self.wake_of(&sub)?;
            wakes.insert(sub, wake);
        }
        // The payment checks looked at during this advance and found pending, by (cycle,
        // attempt). Nothing pays or denies an order while the advance runs (those come from
        // other requests), so such a check stays pending: it is not stepped to again, which
        // would only poll it every retry interval. A new attempt or cycle is a new check.
        let mut looked: HashMap<SubscriptionId, (u32, u32)> = HashMap::new();
        for _ in 0..MAX_STEPS {
            let next = wakes
                .iter()
                .filter_map(|(sub, wake)| wake.at(looked.get(sub)))
                .filter(|w| *w > at)
                .min();
            let step = next.map_or(to, |wake| wake.min(to));
            let pass = self.within(space.clone(), step, || self.pass(orders, options))?;
            add(&mut report, pass);
            at = step;
            if at >= to {
                break;
            }
            let again = options.payment.check_after(step);
            for (sub, wake) in &mut wakes {
                if wake.at(looked.get(sub)).is_none_or(|w| w > step) {
                    continue;
                }
                let before = wake.check.filter(|(_, _, check_at)| *check_at <= step);
                *wake = self.wake_of(sub)?;
                // Looked at and put off by the retry interval: still pending, nothing to wait
                // for (a pix or boleto is put off to its deadline instead, which is stepped to).
                if let (Some((cycle, attempt, _)), Some(now)) = (before, wake.check)
                    && (now.0, now.1, now.2) == (cycle, attempt, again)
                {
                    looked.insert(sub.clone(), (cycle, attempt));
                }
            }
        }
        let clock = self.save_clock(id, |c| {
            c.frozen_time = c.frozen_time.max(at);
            c.status = ClockStatus::Ready;
        })?;
        Ok((clock, report))
    }

    /// When a subscription wakes next (its next cycle, its payment check), if it does.
    fn wake_of(&self, id: &SubscriptionId) -> Result<Wake, Error> {
        let Some(stored) = self.read(id)? else {
            return Ok(Wake::default());
        };
        let sub = &stored.subscription;
        let followed = matches!(
            sub.status(),
            SubscriptionStatus::Active | SubscriptionStatus::Finished
        );
        Ok(Wake {
            next_run: sub.next_run_at(),
            check: sub
                .payment_check()
                .filter(|_| followed)
                .map(|c| (c.cycle, c.attempt, c.check_at)),
        })
    }

    /// The ids of the subscriptions created on the clock (at most [`MAX_SUBSCRIPTIONS`]).
    fn clock_subscriptions(&self, id: &TestClockId) -> Result<Vec<SubscriptionId>, Error> {
        let index = IndexName::clock(id);
        let last = u64::try_from(self.counter(&keys::index_counter(&index))?).unwrap_or(0);
        let mut ids = Vec::new();
        for slot in 1..=last {
            let key = keys::index_entry(&index, slot);
            let Some(bytes) = self.kv.get(&key)? else {
                continue;
            };
            if let Some(sub) = decode::<Pointer>(&key, &bytes)
                .ok()
                .as_ref()
                .and_then(subscription_id)
            {
                ids.push(sub);
            }
        }
        Ok(ids)
    }

    /// Deletes the clock's subscriptions, then the clock (module documentation). Answers the
    /// clock as it was.
    pub fn delete_clock(&self, id: &TestClockId) -> Result<TestClock, Error> {
        let clock = self.clock(id)?;
        // Every subscription's record complete, so that its entries are all deleted with it.
        self.catch_up()?;
        let space = Space::Clock(id.clone());
        let index = IndexName::clock(id);
        let last = u64::try_from(self.counter(&keys::index_counter(&index))?).unwrap_or(0);
        for slot in 1..=last {
            let key = keys::index_entry(&index, slot);
            let Some(bytes) = self.kv.get(&key)? else {
                continue;
            };
            let sub = decode::<Pointer>(&key, &bytes)
                .ok()
                .as_ref()
                .and_then(subscription_id);
            if let Some(sub) = sub {
                self.delete_subscription(&sub, id, &space)?;
            }
            self.kv.delete(&key)?;
        }
        self.kv
            .delete(&keys::index_entry(&IndexName::clocks(), clock.slot))?;
        self.kv.delete(&keys::clock(id))?;
        Ok(clock)
    }

    /// Deletes a subscription of the clock: its entries, record and cycle records, then its
    /// document.
    fn delete_subscription(
        &self,
        id: &SubscriptionId,
        clock: &TestClockId,
        space: &Space,
    ) -> Result<(), Error> {
        let Some(stored) = self.read(id)? else {
            return Ok(());
        };
        if stored.test_clock.as_ref() != Some(clock) {
            return Ok(());
        }
        if let Some(record) = self.index_record(id)? {
            for (index, (slot, _)) in &record.slots {
                self.kv.delete(&keys::index_entry(index, *slot))?;
            }
            if let Some(due) = record.due {
                self.kv.delete(&space.due_entry(due.bucket, due.slot))?;
            }
            self.kv.delete(&keys::index_record(id))?;
        }
        for number in 1..=stored.subscription.next_cycle() {
            self.kv.delete(&keys::cycle(id, number))?;
        }
        self.kv.delete(&keys::subscription(id))?;
        Ok(())
    }

    /// Changes the clock under compare-and-swap.
    fn save_clock(
        &self,
        id: &TestClockId,
        change: impl Fn(&mut TestClock),
    ) -> Result<TestClock, Error> {
        let key = keys::clock(id);
        for _ in 0..MAX_ATTEMPTS {
            let (cas, bytes) = self.kv.cas_current(&key)?;
            let bytes = bytes.ok_or(Error::ClockNotFound)?;
            let mut clock: TestClock = decode(&key, &bytes).map_err(Error::Store)?;
            change(&mut clock);
            clock.write_id = self.write_id();
            let encoded = encode(&clock).map_err(Error::Store)?;
            let swapped = match self.kv.cas_swap(cas, &encoded)? {
                Swap::Swapped => true,
                // Redis reports a successful swap as failed: ours if it carries our write id.
                Swap::Failed => self.kv.get(&key)?.is_some_and(|now| {
                    decode::<TestClock>(&key, &now).is_ok_and(|c| c.write_id == clock.write_id)
                }),
            };
            if swapped {
                return Ok(clock);
            }
        }
        Err(Error::Contention)
    }
}

/// When a subscription of the clock wakes: its next cycle, and its payment check as (cycle,
/// attempt, when).
#[derive(Debug, Clone, Copy, Default)]
struct Wake {
    next_run: Option<Timestamp>,
    check: Option<(u32, u32, Timestamp)>,
}

impl Wake {
    /// The earlier of the next cycle and the check, unless the check is one already `looked`
    /// at in this advance.
    fn at(&self, looked: Option<&(u32, u32)>) -> Option<Timestamp> {
        let check = self
            .check
            .filter(|(cycle, attempt, _)| looked != Some(&(*cycle, *attempt)))
            .map(|(_, _, at)| at);
        match (self.next_run, check) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Adds one pass's counts to an advance's.
fn add(total: &mut PassReport, pass: PassReport) {
    total.due += pass.due;
    total.created += pass.created;
    total.skipped += pass.skipped;
    total.failed += pass.failed;
    total.canceled_unpaid += pass.canceled_unpaid;
    total.missed += pass.missed;
    total.in_progress += pass.in_progress;
    total.payment_retries += pass.payment_retries;
    total.paused_for_payment += pass.paused_for_payment;
    total.errors.extend(pass.errors);
}
