//! Which cycles of a subscription are due at an instant, under an explicit catch-up policy.
//!
//! [`due`] is one pure function of (subscription, now, policy); the runner calls it on every
//! pass and [`Command::CatchUp`](super::Command::CatchUp) applies the same computation to the
//! subscription, so what the runner acts on and what is stored cannot disagree.
//!
//! # The catch-up policy
//!
//! Starting from the subscription's oldest unsettled cycle (`nextCycle`):
//!
//! 1. **Cycles older than the limit become `missed`.** A cycle whose `scheduledFor` is earlier
//!    than `now - max_lateness` is never charged. (A cycle the customer skipped is recorded as
//!    `skipped` instead, whatever its age.) Missed cycles come back as ranges of numbers, so ten
//!    years of daily downtime costs a few dozen schedule evaluations and one small value, not
//!    3 650 entries.
//! 2. **At most one order per subscription per pass, oldest first.** Of the cycles due by `now`
//!    and not too late, skipped ones are passed over and the oldest other one is returned as
//!    [`Due::charge`]. Later due cycles wait for the next passes (the runner fires every
//!    minute), each re-checked against the limit then.
//! 3. **A failed charge is retried**: creating the order failed, so the cycle stays unsettled
//!    and comes back as the charge of the next pass, with `attempt` counting up, until it is
//!    older than the limit and becomes missed. The limit therefore also bounds retries.
//! 4. **Paused, canceled and finished subscriptions have nothing due.** (What fell during a pause
//!    is skipped on resume: see [`Command::Resume`](super::Command::Resume).)
//!
//! The default limit, [`CatchUpPolicy::DEFAULT_MAX_LATENESS`], is three days: an outage over a
//! long weekend still delivers every weekly and monthly order (late, but the customer pays for
//! and expects it), while a daily plan never receives more than three back orders at once and a
//! failing order is not retried for longer than a payment slip stays open.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::cycle::{CycleRange, ScheduledCycle};
use super::schedule::Occurrence;
use super::{Subscription, SubscriptionStatus};
use crate::values::Timestamp;

/// How far behind a pass may charge: cycles older than `max_lateness` become missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatchUpPolicy {
    /// The oldest a cycle may be (relative to the pass's `now`) and still be charged. Zero or
    /// negative means only cycles due exactly at `now` or later count as on time.
    pub max_lateness: TimeDelta,
}

impl CatchUpPolicy {
    /// Three days; see the module documentation for why.
    pub const DEFAULT_MAX_LATENESS: TimeDelta = TimeDelta::days(3);
}

impl Default for CatchUpPolicy {
    fn default() -> Self {
        CatchUpPolicy {
            max_lateness: Self::DEFAULT_MAX_LATENESS,
        }
    }
}

/// A cycle to charge in this pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DueCycle {
    /// The cycle number (the key the runner claims with an atomic increment).
    pub number: u32,
    /// When it was due.
    pub scheduled_for: Timestamp,
    /// Which attempt this is: 1, or more after failed order creations.
    pub attempt: u32,
}

/// What one pass must do for one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Cycles to record as missed: disjoint ranges in increasing order, none containing a skipped
    /// cycle (at most one more range than there are skipped cycles).
    pub missed: Vec<CycleRange>,
    /// Cycles to record as skipped (the customer asked), in increasing order.
    pub skipped: Vec<ScheduledCycle>,
    /// The one cycle to charge now, if any: the oldest due cycle that is neither skipped nor
    /// missed.
    pub charge: Option<DueCycle>,
    /// When the next cycle falls once this pass is done and its charge (if any) created; it may
    /// already be past when a backlog remains. `None` when no cycle remains.
    pub next_run_at: Option<Timestamp>,
    /// Whether no cycle remains once this pass is done and its charge (if any) created: the
    /// subscription becomes finished.
    pub finishes: bool,
    /// Where the subscription's cursor stands after the missed and skipped cycles are settled
    /// (the charge itself, or the next cycle); `None` when nothing is left.
    pub(super) settled_to: Option<Occurrence>,
}

impl Due {
    /// Nothing to do, nothing changes.
    fn idle(sub: &Subscription) -> Due {
        Due {
            missed: Vec::new(),
            skipped: Vec::new(),
            charge: None,
            next_run_at: sub.next_cycle_at(),
            finishes: false,
            settled_to: sub.cursor(),
        }
    }

    /// Whether the pass has nothing to record or charge for this subscription.
    pub fn is_idle(&self) -> bool {
        self.missed.is_empty() && self.skipped.is_empty() && self.charge.is_none() && !self.finishes
    }

    /// How many cycles become missed.
    pub fn missed_count(&self) -> u64 {
        self.missed.iter().map(CycleRange::count).sum()
    }
}

/// The cycles of `sub` due at `now` under `policy`; see the module documentation for the rules.
///
/// Cost: O(log n + skipped) schedule evaluations for interval schedules after any downtime; for
/// cron schedules one step per missed cycle (at most one an hour).
pub fn due(sub: &Subscription, now: Timestamp, policy: &CatchUpPolicy) -> Due {
    match sub.status {
        SubscriptionStatus::Active => {}
        SubscriptionStatus::Paused
        | SubscriptionStatus::Canceled
        | SubscriptionStatus::Finished => {
            return Due::idle(sub);
        }
    }
    let Some(start) = sub.cursor() else {
        return Due::idle(sub);
    };
    if start.at > now || !sub.exists(&start) {
        return Due::idle(sub);
    }
    let recurrence = &sub.recurrence;
    let mut missed = Vec::new();
    let mut skipped = Vec::new();
    let mut cursor = Some(start);

    // 1. Too late: everything before the cutoff that exists is missed (or skipped).
    if let Some(cutoff) = now.checked_sub(policy.max_lateness)
        && start.at < cutoff
    {
        let last = sub.last_before(start, cutoff);
        let first = sub.number(&start);
        let mut from = first;
        for &number in sub.skip.range(first..=last) {
            if let Some(at) = sub.scheduled_for(number) {
                skipped.push(ScheduledCycle {
                    number,
                    scheduled_for: at,
                });
            }
            missed.extend(CycleRange::new(from, number.saturating_sub(1)));
            from = number.saturating_add(1);
        }
        if from <= last {
            missed.extend(CycleRange::new(from, last));
        }
        cursor = recurrence
            .first_at_or_after(start, cutoff)
            .filter(|o| sub.exists(o));
    }

    // 2. On time: pass over skipped cycles, charge the oldest other one.
    let mut charge = None;
    while let Some(o) = cursor.filter(|o| sub.exists(o) && o.at <= now) {
        let number = sub.number(&o);
        if sub.skip.contains(&number) {
            skipped.push(ScheduledCycle {
                number,
                scheduled_for: o.at,
            });
            cursor = recurrence.following(&o);
        } else {
            charge = Some(o);
            break;
        }
    }
    let settled_to = cursor.filter(|o| sub.exists(o));
    let after = match charge {
        Some(o) => recurrence.following(&o).filter(|n| sub.exists(n)),
        None => settled_to,
    };
    Due {
        missed,
        skipped,
        charge: charge.map(|o| {
            let number = sub.number(&o);
            DueCycle {
                number,
                scheduled_for: o.at,
                attempt: if number == sub.next_cycle {
                    sub.attempts.saturating_add(1)
                } else {
                    1
                },
            }
        }),
        next_run_at: after.map(|o| o.at),
        finishes: after.is_none(),
        settled_to,
    }
}
