//! Subscriptions: the aggregate, its status machine, and which cycles are due when.
//!
//! A subscription recurs on a [`Schedule`] read in its [`TimeZone`] from an anchor (see
//! [`schedule`] for how occurrences are computed, purchase days and daylight saving). Its cycles
//! are numbered from 1 and each ends `created`, `skipped`, `failed` (retried) or `missed`
//! ([`Cycle`]). [`Subscription::apply`] is the one transition function: (state, [`Command`], now)
//! → new state + [`Event`]s, or a [`SubscriptionError`]. [`due()`] tells the runner what one pass
//! must do (see [`mod@due`] for the catch-up policy: at most one order per subscription per pass,
//! oldest first; cycles older than the limit become missed).
//!
//! # Rules
//!
//! - **Numbering.** Cycle `n` is occurrence `n` of the schedule. Skipped and missed cycles keep
//!   their numbers, so numbers never shift. After [`Command::EditSchedule`] the new schedule's
//!   occurrence 1 is the next unsettled cycle, and numbering goes on from there.
//! - **Limits.** `maxCycles` counts cycle *numbers* (created, skipped and missed alike): no cycle
//!   is numbered above it. `endAt`: no cycle falls after it. `cycleCount` counts only cycles whose
//!   order was created. When no cycle remains the subscription becomes `finished`.
//! - **Pause.** No cycle is charged while paused. On resume, the next cycle is the first
//!   occurrence at or after the resume instant; every cycle from the oldest unsettled one up to
//!   it (including one that was due but not yet charged when the pause began) is skipped,
//!   reported as one range in [`Event::Resumed`] — never charged late.
//! - **Skip next.** Marks the oldest unsettled cycle not yet marked (at most
//!   [`Subscription::MAX_SKIPS`] at a time); a pass records it as skipped when it is reached.
//! - **Recording.** The runner settles cycles strictly in order: [`Command::CatchUp`] records the
//!   missed and skipped ones of a pass, then [`Command::RecordCycle`] the charged one. A failed
//!   order creation leaves the cycle unsettled (`attempts` and `lastError` grow) so the next pass
//!   retries it. A created order is recorded even if the subscription was paused or canceled
//!   meanwhile: the order exists.
//!
//! ```
//! use orderflow_domain::subscription::{
//!     due, CatchUpPolicy, NewSubscription, Schedule, Subscription, TimeZone, Unit,
//! };
//! use orderflow_domain::values::{SubscriptionId, Timestamp};
//! # use orderflow_domain::order::{Address, Customer, NewItem, PaymentMethod, Shipping};
//! # use orderflow_domain::subscription::{NewOrderTemplate, OrderTemplate, SubscriptionPayment};
//! # use orderflow_domain::values::*;
//! # let text = |s: &str| Text::parse(s, 200);
//! # let order = OrderTemplate::new(NewOrderTemplate {
//! #     channel: Channel::parse("subscriptions")?,
//! #     currency: Currency::BRL,
//! #     customer: Customer { id: None, name: text("Ana")?, email: Email::parse("ana@example.com")?,
//! #         document: None, phone: None },
//! #     shipping_address: Address { street: text("Rua A")?, number: text("10")?, complement: None,
//! #         neighborhood: None, city: text("São Paulo")?, state: text("SP")?,
//! #         postal_code: PostalCode::parse("01001000", true)?, country: Country::BRA },
//! #     billing_address: None,
//! #     items: vec![NewItem { sku: Sku::parse("CAFE")?, name: text("Café")?, quantity: Quantity::ONE,
//! #         unit_price: Money::from_minor(3990), discount: Money::ZERO }],
//! #     shipping: Shipping { method: text("PAC")?, carrier: None, price: Money::ZERO },
//! #     payment: SubscriptionPayment { method: PaymentMethod::Pix },
//! # })?;
//!
//! let start = Timestamp::parse("2025-01-31T12:00:00Z")?;
//! let sub = Subscription::new(NewSubscription {
//!     id: SubscriptionId::parse("s-1")?,
//!     plan_id: None,
//!     schedule: Schedule::every(1, Unit::Month)?,
//!     purchase_day: None,
//!     timezone: TimeZone::parse("America/Sao_Paulo")?,
//!     start_at: start,
//!     end_at: None,
//!     max_cycles: None,
//!     order,
//!     now: start,
//! })?;
//! let pass = due(&sub, Timestamp::parse("2025-02-28T15:00:00Z")?, &CatchUpPolicy::default());
//! // Cycle 1 (Jan 31) is three days late plus three hours: missed. Cycle 2 (Feb 28) is charged.
//! assert_eq!(pass.missed_count(), 1);
//! assert_eq!(pass.charge.map(|c| c.number), Some(2));
//! assert_eq!(pass.next_run_at, Some(Timestamp::parse("2025-03-31T12:00:00Z")?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cycle;
pub mod due;
pub mod payment;
pub mod schedule;
mod stored;
pub mod template;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use cycle::{Cycle, CycleOutcome, CycleRange, CycleStatus, ScheduledCycle};
pub use due::{CatchUpPolicy, Due, DueCycle, due};
pub use payment::{PaymentCheck, PaymentRetryPolicy, PaymentStep};
pub use schedule::{
    CronExpr, Interval, Occurrence, Occurrences, PurchaseDay, Recurrence, Schedule, ScheduleError,
    TimeZone, Unit,
};
pub use template::{NewOrderTemplate, OrderTemplate, OrderTemplateEdit, SubscriptionPayment};

use crate::order::{OrderError, PlaceOrder};
use crate::values::{OrderId, PlanId, SubscriptionId, Text, Timestamp};

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    /// Cycles are charged as they fall due.
    Active,
    /// No cycle is charged until it is resumed.
    Paused,
    /// Ended by a person; final.
    Canceled,
    /// No cycle remains (end date or maximum cycles reached); final.
    Finished,
}

impl SubscriptionStatus {
    /// The name used on the wire, e.g. `"paused"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Paused => "paused",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Finished => "finished",
        }
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a new subscription needs, already parsed.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The plan it was created from, if any.
    pub plan_id: Option<PlanId>,
    /// How often it recurs.
    pub schedule: Schedule,
    /// The day of the period cycles 2 and later fall on (week, month and year schedules only).
    pub purchase_day: Option<PurchaseDay>,
    /// The zone its schedule is read in.
    pub timezone: TimeZone,
    /// Cycle 1 is due here (cron: at the first fire at or after it).
    pub start_at: Timestamp,
    /// No cycle falls after this instant.
    pub end_at: Option<Timestamp>,
    /// No cycle is numbered above this.
    pub max_cycles: Option<u32>,
    /// What each cycle's order is made of.
    pub order: OrderTemplate,
    /// The creation instant.
    pub now: Timestamp,
}

/// A subscription: its schedule, status, cycle cursor and the template of its orders.
///
/// Stored and exchanged as one flat JSON object (see `stored.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    id: SubscriptionId,
    plan_id: Option<PlanId>,
    status: SubscriptionStatus,
    pause_reason: Option<Text>,
    cancel_reason: Option<Text>,
    recurrence: Recurrence,
    start_at: Timestamp,
    end_at: Option<Timestamp>,
    max_cycles: Option<u32>,
    /// Cycle numbers used before the current recurrence's occurrence 1 (0 until an edit).
    cycle_offset: u32,
    next_cycle: u32,
    /// When `next_cycle` falls; kept after a cancel (an order being created may still be
    /// recorded), `None` once no cycle remains.
    next_cycle_at: Option<Timestamp>,
    attempts: u32,
    last_error: Option<Text>,
    cycle_count: u32,
    skip: BTreeSet<u32>,
    /// The payment of a created cycle's order being followed (see [`payment`]).
    payment_check: Option<PaymentCheck>,
    order: OrderTemplate,
    version: u64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// A change asked of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a command is built once per request and moved; boxing buys nothing"
)]
pub enum Command {
    /// Stop charging until resumed. Active only.
    Pause {
        /// Why (shown to people; the runner pauses after repeated payment failures).
        reason: Option<Text>,
    },
    /// Charge again from the first occurrence at or after now; what fell in between is skipped.
    /// Paused only.
    Resume,
    /// End the subscription for good. Active or paused.
    Cancel {
        /// Why.
        reason: Option<Text>,
    },
    /// Skip the oldest unsettled cycle not already marked. Active or paused.
    SkipNext,
    /// Replace the schedule from the next unsettled cycle on. Active or paused.
    EditSchedule(ScheduleEdit),
    /// Change the items, addresses, shipping or payment of the next cycles' orders. Active or
    /// paused.
    EditOrder(OrderTemplateEdit),
    /// Settle what a runner pass finds missed or skipped (exactly what [`due()`] reports), leaving
    /// the cycle to charge pending. Active only.
    CatchUp {
        /// The policy the pass runs under.
        policy: CatchUpPolicy,
    },
    /// Record what became of the oldest unsettled cycle. Active, paused or canceled.
    RecordCycle {
        /// The cycle number: must be the oldest unsettled one.
        number: u32,
        /// What happened.
        outcome: CycleOutcome,
        /// For a created order: follow its payment under this policy (see [`payment`]).
        follow_payment: Option<PaymentRetryPolicy>,
    },
    /// Record what the runner found when it looked at the followed payment (see [`payment`]).
    /// Active, paused or canceled; refused as stale unless `cycle` and `attempt` are the check's.
    FollowPayment {
        /// The followed cycle.
        cycle: u32,
        /// The followed attempt.
        attempt: u32,
        /// What was found and done.
        step: PaymentStep,
    },
}

impl Command {
    /// The command's kebab-case name, for error details.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Pause { .. } => "pause",
            Command::Resume => "resume",
            Command::Cancel { .. } => "cancel",
            Command::SkipNext => "skip-next",
            Command::EditSchedule(_) => "edit-schedule",
            Command::EditOrder(_) => "edit-order",
            Command::CatchUp { .. } => "catch-up",
            Command::RecordCycle { .. } => "record-cycle",
            Command::FollowPayment { .. } => "follow-payment",
        }
    }

    /// The status the command moves to, when it is a status change.
    pub fn target(&self) -> Option<SubscriptionStatus> {
        match self {
            Command::Pause { .. } => Some(SubscriptionStatus::Paused),
            Command::Resume => Some(SubscriptionStatus::Active),
            Command::Cancel { .. } => Some(SubscriptionStatus::Canceled),
            Command::SkipNext
            | Command::EditSchedule(_)
            | Command::EditOrder(_)
            | Command::CatchUp { .. }
            | Command::RecordCycle { .. }
            | Command::FollowPayment { .. } => None,
        }
    }
}

/// A new schedule for a subscription. Its occurrence 1 (the anchor, or for cron the first fire
/// at or after it) becomes the next unsettled cycle; the anchor may not be in the past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEdit {
    /// How often it recurs from now on.
    pub schedule: Schedule,
    /// The purchase day, if any.
    pub purchase_day: Option<PurchaseDay>,
    /// The zone.
    pub timezone: TimeZone,
    /// Where the new schedule starts.
    pub anchor: Timestamp,
    /// The new end date (replaces the old one).
    pub end_at: Option<Timestamp>,
    /// The new maximum cycle number (replaces the old one; counts from cycle 1, not from the
    /// edit).
    pub max_cycles: Option<u32>,
}

/// Something that happened to a subscription, for its log and the cycle records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// It was paused.
    Paused {
        /// Why.
        reason: Option<Text>,
    },
    /// It was resumed; the cycles that fell during the pause were skipped.
    Resumed {
        /// The skipped cycles, if any fell.
        skipped: Option<CycleRange>,
    },
    /// It was canceled.
    Canceled {
        /// Why.
        reason: Option<Text>,
    },
    /// A cycle was marked to be skipped.
    CycleSkipMarked(ScheduledCycle),
    /// The schedule was replaced.
    ScheduleEdited {
        /// The next cycle's number.
        next_cycle: u32,
        /// When it now falls.
        next_run_at: Timestamp,
    },
    /// A cycle was settled (created, skipped, missed) or failed an attempt.
    CycleRecorded(Cycle),
    /// The order template was changed.
    OrderEdited,
    /// A range of cycles was missed (too late to charge).
    CyclesMissed(CycleRange),
    /// No cycle remains.
    Finished,
    /// The followed payment was looked at (see [`payment`]): what was found and done. A retry
    /// or a final failure also records the cycle ([`Event::CycleRecorded`]).
    PaymentFollowed {
        /// The cycle.
        cycle: u32,
        /// The attempt looked at.
        attempt: u32,
        /// What was found and done.
        step: PaymentStep,
    },
}

/// The result of a successful command: the new state and what happened. No events means nothing
/// changed (not even `version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The subscription after the command.
    pub subscription: Subscription,
    /// What happened, in order.
    pub events: Vec<Event>,
}

/// Why a subscription or a command on it was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The command is not allowed in the current status.
    #[error("cannot {command} a {from} subscription")]
    InvalidTransition {
        /// The current status.
        from: SubscriptionStatus,
        /// The status the command moves to, if it is a status change.
        to: Option<SubscriptionStatus>,
        /// The command's name.
        command: &'static str,
    },
    /// A cycle other than the oldest unsettled one was recorded.
    #[error("cycle {number} is not pending; cycle {expected} is")]
    CycleNotPending {
        /// The cycle the command named.
        number: u32,
        /// The oldest unsettled cycle.
        expected: u32,
    },
    /// Every remaining cycle is already marked to be skipped, or none remains.
    #[error("there is no cycle left to skip")]
    NoCycleToSkip,
    /// Too many cycles are marked to be skipped.
    #[error("at most {max} cycles may be marked to be skipped")]
    TooManySkips {
        /// The limit.
        max: usize,
    },
    /// The schedule, end date and maximum cycles leave no cycle at all.
    #[error("the schedule leaves no cycle before the end date and maximum cycles")]
    NoCycles,
    /// An edited schedule would start in the past.
    #[error("the new schedule starts at {anchor}, before now ({now})")]
    AnchorInThePast {
        /// The requested anchor.
        anchor: Timestamp,
        /// The instant of the edit.
        now: Timestamp,
    },
    /// The schedule, time zone or purchase day was refused.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// The order template was refused by the order rules.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// A payment step for a check that is not the current one (another pass recorded it first,
    /// or a newer cycle's check replaced it).
    #[error("cycle {cycle} attempt {attempt} is not the payment being followed")]
    PaymentCheckStale {
        /// The cycle the step named.
        cycle: u32,
        /// The attempt the step named.
        attempt: u32,
    },
}

impl SubscriptionError {
    /// A stable kebab-case code for the API, e.g. `"invalid-transition"`.
    pub fn code(&self) -> &'static str {
        match self {
            SubscriptionError::InvalidTransition { .. } => "invalid-transition",
            SubscriptionError::CycleNotPending { .. } => "cycle-not-pending",
            SubscriptionError::NoCycleToSkip => "no-cycle-to-skip",
            SubscriptionError::TooManySkips { .. } => "too-many-skips",
            SubscriptionError::NoCycles => "no-cycles",
            SubscriptionError::AnchorInThePast { .. } => "anchor-in-the-past",
            SubscriptionError::Schedule(e) => e.code(),
            SubscriptionError::Order(e) => e.code(),
            SubscriptionError::PaymentCheckStale { .. } => "payment-check-stale",
        }
    }
}

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

    /// When the runner should next look at this subscription: when
    /// [`next_cycle`](Self::next_cycle) falls, while active; `None` while paused (nothing is
    /// charged), canceled or finished.
    pub fn next_run_at(&self) -> Option<Timestamp> {
        match self.status {
            SubscriptionStatus::Active => self.next_cycle_at,
            SubscriptionStatus::Paused
            | SubscriptionStatus::Canceled
            | SubscriptionStatus::Finished => None,
        }
    }

    /// When the runner should next look at this subscription for any reason: the earlier of
    /// [`next_run_at`](Self::next_run_at) and the followed payment's check (which a finished
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
    fn cursor(&self) -> Option<Occurrence> {
        Some(Occurrence {
            index: self.next_cycle.checked_sub(self.cycle_offset)?,
            at: self.next_cycle_at?,
        })
    }

    /// The number of the last cycle, from `from` on, that falls before `instant`
    /// (`from`'s number - 1 when there is none), within the limits.
    fn last_before(&self, from: Occurrence, instant: Timestamp) -> u32 {
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
    fn number(&self, occurrence: &Occurrence) -> u32 {
        occurrence.index.saturating_add(self.cycle_offset)
    }

    /// Whether an occurrence is a cycle: within the maximum cycles and the end date.
    fn exists(&self, occurrence: &Occurrence) -> bool {
        self.max_cycles
            .is_none_or(|max| self.number(occurrence) <= max)
            && self.end_at.is_none_or(|end| occurrence.at <= end)
    }

    fn refuse(&self, command: &Command) -> SubscriptionError {
        SubscriptionError::InvalidTransition {
            from: self.status,
            to: command.target(),
            command: command.name(),
        }
    }

    /// Applies `command` at `now`: the new state and its events, or why it was refused. Pure.
    pub fn apply(&self, command: Command, now: Timestamp) -> Result<Transition, SubscriptionError> {
        let mut next = self.clone();
        let mut events = Vec::new();
        match &command {
            Command::Pause { reason } => match self.status {
                SubscriptionStatus::Active => {
                    next.status = SubscriptionStatus::Paused;
                    next.pause_reason = reason.clone();
                    events.push(Event::Paused {
                        reason: reason.clone(),
                    });
                }
                SubscriptionStatus::Paused
                | SubscriptionStatus::Canceled
                | SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::Resume => match self.status {
                SubscriptionStatus::Paused => {
                    next.status = SubscriptionStatus::Active;
                    next.pause_reason = None;
                    let (skipped, resumed) = match self.cursor() {
                        Some(cursor) => (
                            CycleRange::new(self.next_cycle, self.last_before(cursor, now)),
                            self.recurrence
                                .first_at_or_after(cursor, now)
                                .filter(|o| self.exists(o)),
                        ),
                        None => (None, None),
                    };
                    if let Some(range) = skipped {
                        next.skip.retain(|&n| !range.contains(n));
                    }
                    events.push(Event::Resumed { skipped });
                    if resumed != self.cursor() {
                        let through =
                            skipped.map_or(self.next_cycle.saturating_sub(1), |r| r.last());
                        next.settle_to(resumed, through, &mut events);
                    }
                }
                SubscriptionStatus::Active
                | SubscriptionStatus::Canceled
                | SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::Cancel { reason } => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    next.status = SubscriptionStatus::Canceled;
                    next.cancel_reason = reason.clone();
                    next.skip.clear();
                    next.payment_check = None;
                    events.push(Event::Canceled {
                        reason: reason.clone(),
                    });
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::SkipNext => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    if self.skip.len() >= Self::MAX_SKIPS {
                        return Err(SubscriptionError::TooManySkips {
                            max: Self::MAX_SKIPS,
                        });
                    }
                    let cursor = self.cursor().ok_or(SubscriptionError::NoCycleToSkip)?;
                    let target = self
                        .recurrence
                        .occurrences_from(cursor)
                        .take(Self::MAX_SKIPS + 1)
                        .take_while(|o| self.exists(o))
                        .find(|o| !self.skip.contains(&self.number(o)))
                        .ok_or(SubscriptionError::NoCycleToSkip)?;
                    let number = self.number(&target);
                    next.skip.insert(number);
                    events.push(Event::CycleSkipMarked(ScheduledCycle {
                        number,
                        scheduled_for: target.at,
                    }));
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::EditSchedule(edit) => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    if edit.anchor < now {
                        return Err(SubscriptionError::AnchorInThePast {
                            anchor: edit.anchor,
                            now,
                        });
                    }
                    next.recurrence = Recurrence::new(
                        edit.schedule.clone(),
                        edit.purchase_day,
                        edit.timezone,
                        edit.anchor,
                    )?;
                    next.cycle_offset = self.next_cycle - 1;
                    next.end_at = edit.end_at;
                    next.max_cycles = edit.max_cycles;
                    let first = next
                        .recurrence
                        .first()
                        .filter(|o| next.exists(o))
                        .ok_or(SubscriptionError::NoCycles)?;
                    next.next_cycle_at = Some(first.at);
                    next.attempts = 0;
                    next.last_error = None;
                    events.push(Event::ScheduleEdited {
                        next_cycle: next.next_cycle,
                        next_run_at: first.at,
                    });
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::EditOrder(edit) => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    next.order = self.order.edited(edit)?;
                    events.push(Event::OrderEdited);
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::CatchUp { policy } => match self.status {
                SubscriptionStatus::Active => {
                    let pass = due(self, now, policy);
                    for range in &pass.missed {
                        events.push(Event::CyclesMissed(*range));
                    }
                    for skipped in &pass.skipped {
                        next.skip.remove(&skipped.number);
                        events.push(Event::CycleRecorded(Cycle {
                            number: skipped.number,
                            scheduled_for: skipped.scheduled_for,
                            status: CycleStatus::Skipped,
                            order_id: None,
                            attempts: 0,
                            error: None,
                        }));
                    }
                    // Sort the two kinds of record into cycle order for the log.
                    events.sort_by_key(|e| match e {
                        Event::CyclesMissed(r) => r.first(),
                        Event::CycleRecorded(c) => c.number,
                        Event::Paused { .. }
                        | Event::Resumed { .. }
                        | Event::Canceled { .. }
                        | Event::CycleSkipMarked(_)
                        | Event::ScheduleEdited { .. }
                        | Event::OrderEdited
                        | Event::Finished
                        | Event::PaymentFollowed { .. } => 0,
                    });
                    if self.cursor() != pass.settled_to {
                        let through = pass
                            .missed
                            .iter()
                            .map(CycleRange::last)
                            .chain(pass.skipped.iter().map(|c| c.number))
                            .max()
                            .unwrap_or(self.next_cycle.saturating_sub(1));
                        next.settle_to(pass.settled_to, through, &mut events);
                    }
                }
                SubscriptionStatus::Paused
                | SubscriptionStatus::Canceled
                | SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::RecordCycle {
                number,
                outcome,
                follow_payment,
            } => match self.status {
                SubscriptionStatus::Active
                | SubscriptionStatus::Paused
                | SubscriptionStatus::Canceled => {
                    let scheduled_for = self
                        .next_cycle_at
                        .filter(|_| *number == self.next_cycle)
                        .ok_or(SubscriptionError::CycleNotPending {
                        number: *number,
                        expected: self.next_cycle,
                    })?;
                    let attempts = match outcome {
                        CycleOutcome::Created { .. } | CycleOutcome::Failed { .. } => {
                            self.attempts.saturating_add(1)
                        }
                        CycleOutcome::Skipped | CycleOutcome::Missed => self.attempts,
                    };
                    let (status, order_id, error) = match outcome {
                        CycleOutcome::Created { order_id } => {
                            (CycleStatus::Created, Some(order_id.clone()), None)
                        }
                        CycleOutcome::Failed { reason } => {
                            (CycleStatus::Failed, None, Some(reason.clone()))
                        }
                        CycleOutcome::Skipped => (CycleStatus::Skipped, None, None),
                        CycleOutcome::Missed => (CycleStatus::Missed, None, None),
                    };
                    events.push(Event::CycleRecorded(Cycle {
                        number: *number,
                        scheduled_for,
                        status,
                        order_id,
                        attempts,
                        error: error.clone(),
                    }));
                    match status {
                        CycleStatus::Failed => {
                            next.attempts = attempts;
                            next.last_error = error;
                        }
                        CycleStatus::Created | CycleStatus::Skipped | CycleStatus::Missed => {
                            if let CycleOutcome::Created { order_id } = outcome {
                                next.cycle_count = next.cycle_count.saturating_add(1);
                                // One check at a time: the new cycle's replaces an older one.
                                next.payment_check = None;
                                if let Some(policy) = follow_payment.filter(|p| p.follows()) {
                                    next.payment_check = Some(PaymentCheck {
                                        cycle: *number,
                                        scheduled_for,
                                        attempt: 1,
                                        created_after: attempts,
                                        max_attempts: policy.attempts,
                                        order_id: order_id.clone(),
                                        check_at: policy.check_after(now),
                                        last_failure: None,
                                    });
                                }
                            }
                            next.skip.remove(number);
                            let following = self
                                .cursor()
                                .and_then(|c| self.recurrence.following(&c))
                                .filter(|o| self.exists(o));
                            next.settle_to(following, *number, &mut events);
                        }
                    }
                }
                SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::FollowPayment {
                cycle,
                attempt,
                step,
            } => {
                let check = self
                    .payment_check
                    .as_ref()
                    .filter(|c| c.cycle == *cycle && c.attempt == *attempt)
                    .ok_or(SubscriptionError::PaymentCheckStale {
                        cycle: *cycle,
                        attempt: *attempt,
                    })?;
                next.follow_payment(check, step, &mut events);
            }
        }
        if !events.is_empty() {
            next.version = self.version.saturating_add(1);
            next.updated_at = now;
        }
        Ok(Transition {
            subscription: next,
            events,
        })
    }

    /// Applies a payment step to the current check (see [`payment`]).
    fn follow_payment(
        &mut self,
        check: &PaymentCheck,
        step: &PaymentStep,
        events: &mut Vec<Event>,
    ) {
        events.push(Event::PaymentFollowed {
            cycle: check.cycle,
            attempt: check.attempt,
            step: step.clone(),
        });
        let record = |status, order_id: &OrderId, attempts, error: &Text| {
            Event::CycleRecorded(Cycle {
                number: check.cycle,
                scheduled_for: check.scheduled_for,
                status,
                order_id: Some(order_id.clone()),
                attempts,
                error: Some(error.clone()),
            })
        };
        match step {
            PaymentStep::Settled => self.payment_check = None,
            PaymentStep::Pending { check_at } => {
                self.payment_check = Some(PaymentCheck {
                    check_at: *check_at,
                    ..check.clone()
                });
            }
            PaymentStep::Retried {
                reason,
                order_id,
                check_at,
            } => {
                let attempt = check.attempt.saturating_add(1);
                let attempts = check.created_after.saturating_add(check.attempt);
                events.push(record(CycleStatus::Created, order_id, attempts, reason));
                self.payment_check = Some(PaymentCheck {
                    attempt,
                    order_id: order_id.clone(),
                    check_at: *check_at,
                    last_failure: Some(reason.clone()),
                    ..check.clone()
                });
            }
            PaymentStep::GaveUp { reason } => {
                let attempts = check
                    .created_after
                    .saturating_add(check.attempt.saturating_sub(1));
                events.push(record(
                    CycleStatus::Failed,
                    &check.order_id,
                    attempts,
                    reason,
                ));
                self.payment_check = None;
                if self.status == SubscriptionStatus::Active {
                    self.status = SubscriptionStatus::Paused;
                    self.pause_reason = Some(reason.clone());
                    events.push(Event::Paused {
                        reason: Some(reason.clone()),
                    });
                }
            }
        }
    }

    /// Moves the cursor to `to` (an existing occurrence). When `None`, no cycle remains after
    /// `settled_through`: the subscription finishes (a canceled one stays canceled).
    fn settle_to(&mut self, to: Option<Occurrence>, settled_through: u32, events: &mut Vec<Event>) {
        self.attempts = 0;
        self.last_error = None;
        match to {
            Some(o) => {
                self.next_cycle = self.number(&o);
                self.next_cycle_at = Some(o.at);
            }
            None => {
                self.next_cycle = settled_through.saturating_add(1);
                self.next_cycle_at = None;
                self.skip.clear();
                match self.status {
                    SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                        self.status = SubscriptionStatus::Finished;
                        events.push(Event::Finished);
                    }
                    SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {}
                }
            }
        }
    }
}
