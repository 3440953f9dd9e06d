//! The commands a subscription accepts, the events they produce and a transition's result.

use super::cycle::{Cycle, CycleOutcome, CycleRange, ScheduledCycle};
use super::due::CatchUpPolicy;
use super::payment::{PaymentRetryPolicy, PaymentStep};
use super::schedule::{PurchaseDay, Schedule, TimeZone};
use super::template::OrderTemplateEdit;
use super::{Subscription, SubscriptionStatus};
use crate::values::{Text, Timestamp};

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
    /// Settle what a runner pass finds missed or skipped (exactly what [`due()`](super::due())
    /// reports), leaving the cycle to charge pending. Active only.
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
        /// For a created order: follow its payment under this policy (see
        /// [`payment`](super::payment)).
        follow_payment: Option<PaymentRetryPolicy>,
    },
    /// Record what the runner found when it looked at the followed payment (see
    /// [`payment`](super::payment)). Active, paused or canceled; refused as stale unless `cycle`
    /// and `attempt` are the check's.
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
    /// The followed payment was looked at (see [`payment`](super::payment)): what was found and
    /// done. A retry or a final failure also records the cycle ([`Event::CycleRecorded`]).
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
