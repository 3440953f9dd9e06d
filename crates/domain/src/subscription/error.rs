//! Why a subscription or a command on it was refused, with the stable codes of the API.

use super::SubscriptionStatus;
use super::schedule::ScheduleError;
use crate::order::OrderError;
use crate::values::Timestamp;

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
