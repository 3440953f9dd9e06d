//! Creating a subscription and reading it: its fields, and where its cycles fall under the
//! current recurrence (the cursor, cycle numbers and the limits).

use std::collections::BTreeSet;

use super::payment::PaymentCheck;
use super::schedule::{Occurrence, PurchaseDay, Recurrence, Schedule, TimeZone};
use super::template::OrderTemplate;
use super::{NewSubscription, Subscription, SubscriptionError, SubscriptionStatus};
use crate::order::PlaceOrder;
use crate::values::{PlanId, SubscriptionId, Text, Timestamp};

impl Subscription {
    /// The most cycles that may be marked to be skipped at once.
    pub const MAX_SKIPS: usize = 12;

    /// A new active subscription whose cycle 1 is its schedule's first occurrence. Refused when
    /// the purchase day does not fit the schedule or no cycle would ever fall.
    pub fn new(new: NewSubscription) -> Result<Subscription, SubscriptionError> {
        let recurrence =
            Recurrence::new(new.schedule, new.purchase_day, new.timezone, new.start_at)?;
        let mut sub = Subscription {
            id: new.id,
            plan_id: new.plan_id,
            status: SubscriptionStatus::Active,
            pause_reason: None,
            cancel_reason: None,
            recurrence,
            start_at: new.start_at,
            end_at: new.end_at,
            max_cycles: new.max_cycles,
            cycle_offset: 0,
            next_cycle: 1,
            next_cycle_at: None,
            attempts: 0,
            last_error: None,
            cycle_count: 0,
            skip: BTreeSet::new(),
            payment_check: None,
            order: new.order,
            version: 1,
            created_at: new.now,
            updated_at: new.now,
        };
        let first = sub
            .recurrence
            .first()
            .filter(|o| sub.exists(o))
            .ok_or(SubscriptionError::NoCycles)?;
        sub.next_cycle_at = Some(first.at);
        Ok(sub)
    }

    /// Its id.
    pub fn id(&self) -> &SubscriptionId {
        &self.id
    }

    /// The plan it came from.
    pub fn plan_id(&self) -> Option<&PlanId> {
        self.plan_id.as_ref()
    }

    /// Its status.
    pub fn status(&self) -> SubscriptionStatus {
        self.status
    }

    /// Why it was paused, while paused.
    pub fn pause_reason(&self) -> Option<&Text> {
        self.pause_reason.as_ref()
    }

    /// Why it was canceled.
    pub fn cancel_reason(&self) -> Option<&Text> {
        self.cancel_reason.as_ref()
    }

    /// Its schedule placed in time (schedule, purchase day, time zone, anchor).
    pub fn recurrence(&self) -> &Recurrence {
        &self.recurrence
    }

    /// How often it recurs.
    pub fn schedule(&self) -> &Schedule {
        self.recurrence.schedule()
    }

    /// The purchase day.
    pub fn purchase_day(&self) -> Option<PurchaseDay> {
        self.recurrence.purchase_day()
    }

    /// Its time zone.
    pub fn timezone(&self) -> TimeZone {
        self.recurrence.timezone()
    }

    /// When it started (cycle 1's anchor at creation).
    pub fn start_at(&self) -> Timestamp {
        self.start_at
    }

    /// No cycle falls after this.
    pub fn end_at(&self) -> Option<Timestamp> {
        self.end_at
    }

    /// No cycle is numbered above this.
    pub fn max_cycles(&self) -> Option<u32> {
        self.max_cycles
    }

    /// The oldest unsettled cycle's number (the next to charge, or the one being retried).
    pub fn next_cycle(&self) -> u32 {
        self.next_cycle
    }

    /// When the next cycle that will really be charged falls, while active: the oldest unsettled
    /// cycle not marked to be skipped. `None` while paused (nothing is charged), canceled or
    /// finished, and when every remaining cycle is marked to be skipped.
    pub fn next_run_at(&self) -> Option<Timestamp> {
        match self.status {
            SubscriptionStatus::Active => self.next_charge().map(|o| o.at),
            SubscriptionStatus::Paused
            | SubscriptionStatus::Canceled
            | SubscriptionStatus::Finished => None,
        }
    }

    /// When the runner should next settle a cycle, while active: when
    /// [`next_cycle`](Self::next_cycle) falls, even when it is marked to be skipped (the pass
    /// records it as skipped then). `None` while paused, canceled or finished.
    pub fn next_cycle_at(&self) -> Option<Timestamp> {
        match self.status {
            SubscriptionStatus::Active => self.next_cycle_at,
            SubscriptionStatus::Paused
            | SubscriptionStatus::Canceled
            | SubscriptionStatus::Finished => None,
        }
    }

    /// When the runner should next look at this subscription for any reason: the earlier of
    /// [`next_cycle_at`](Self::next_cycle_at) and the followed payment's check (which a finished
    /// subscription's last cycle may still have; a paused or canceled one is not followed).
    pub fn wake_at(&self) -> Option<Timestamp> {
        let check = self.payment_check.as_ref().map(|c| c.check_at);
        match self.status {
            SubscriptionStatus::Active => match (self.next_cycle_at, check) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            SubscriptionStatus::Finished => check,
            SubscriptionStatus::Paused | SubscriptionStatus::Canceled => None,
        }
    }

    /// The payment of a created cycle's order being followed, if any.
    pub fn payment_check(&self) -> Option<&PaymentCheck> {
        self.payment_check.as_ref()
    }

    /// Failed attempts at the next cycle's order.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Why the last attempt at the next cycle's order failed.
    pub fn last_error(&self) -> Option<&Text> {
        self.last_error.as_ref()
    }

    /// How many cycles had their order created.
    pub fn cycle_count(&self) -> u32 {
        self.cycle_count
    }

    /// Cycle numbers marked to be skipped.
    pub fn skipped_cycles(&self) -> &BTreeSet<u32> {
        &self.skip
    }

    /// What each cycle's order is made of.
    pub fn order(&self) -> &OrderTemplate {
        &self.order
    }

    /// The placement for cycle `cycle`: the template, tagged with this subscription and cycle.
    pub fn order_for(&self, cycle: u32) -> PlaceOrder {
        self.order.order_for(&self.id, cycle)
    }

    /// Incremented by every change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When it was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// When it last changed.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    /// When cycle `number` falls (or fell) under the current schedule; `None` for cycles before
    /// the last schedule edit, and for numbers past the limits. O(1) for intervals; for cron,
    /// steps from the next cycle.
    pub fn scheduled_for(&self, number: u32) -> Option<Timestamp> {
        let index = number.checked_sub(self.cycle_offset)?;
        let occurrence = match self.cursor() {
            Some(cursor) => self.recurrence.nth_from(cursor, index),
            None => self.recurrence.nth(index),
        }?;
        self.exists(&occurrence).then_some(occurrence.at)
    }

    /// The next unsettled cycle as an occurrence of the current recurrence.
    pub(super) fn cursor(&self) -> Option<Occurrence> {
        Some(Occurrence {
            index: self.next_cycle.checked_sub(self.cycle_offset)?,
            at: self.next_cycle_at?,
        })
    }

    /// The oldest unsettled cycle not marked to be skipped, within the limits. Marks are at most
    /// [`Subscription::MAX_SKIPS`], so this looks at most that many cycles ahead.
    pub(super) fn next_charge(&self) -> Option<Occurrence> {
        let cursor = self.cursor()?;
        self.recurrence
            .occurrences_from(cursor)
            .take(self.skip.len().saturating_add(1))
            .take_while(|o| self.exists(o))
            .find(|o| !self.skip.contains(&self.number(o)))
    }

    /// The number of the last cycle, from `from` on, that falls before `instant`
    /// (`from`'s number - 1 when there is none), within the limits.
    pub(super) fn last_before(&self, from: Occurrence, instant: Timestamp) -> u32 {
        let recurrence = &self.recurrence;
        let mut last = match recurrence.first_at_or_after(from, instant) {
            Some(o) => self.number(&o).saturating_sub(1),
            // The schedule stops before `instant` (a cron year field): find its last occurrence.
            None => recurrence
                .occurrences_from(from)
                .take_while(|o| o.at < instant)
                .last()
                .map_or(u32::MAX, |o| self.number(&o)),
        };
        if let Some(max) = self.max_cycles {
            last = last.min(max);
        }
        if let Some(end) = self.end_at
            && end < instant
            && let Some(past_end) = end
                .checked_add(chrono::TimeDelta::nanoseconds(1))
                .and_then(|bound| recurrence.first_at_or_after(from, bound))
        {
            last = last.min(self.number(&past_end).saturating_sub(1));
        }
        last
    }

    /// The cycle number of an occurrence of the current recurrence.
    pub(super) fn number(&self, occurrence: &Occurrence) -> u32 {
        occurrence.index.saturating_add(self.cycle_offset)
    }

    /// Whether an occurrence is a cycle: within the maximum cycles and the end date.
    pub(super) fn exists(&self, occurrence: &Occurrence) -> bool {
        self.max_cycles
            .is_none_or(|max| self.number(occurrence) <= max)
            && self.end_at.is_none_or(|end| occurrence.at <= end)
    }
}
