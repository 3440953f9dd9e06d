//! Following the payment of a cycle's order, and retrying it when it fails.
//!
//! orderflow does not charge cards itself: the store's payment provider does, and tells orderflow
//! through a payment notification; a denied payment cancels the order (`payment-denied`). For a
//! subscription that is a failed *payment attempt*, and the merchant wants it tried again, a
//! bounded number of times, before a person looks at it — VTEX tries five times in twelve hours.
//! (An unpaid pix or boleto that expires is not retried: its order is canceled at the deadline
//! and the next cycle brings the next one.)
//!
//! # The rules
//!
//! - Recording a created cycle may start a [`PaymentCheck`]: the cycle, its order, attempt 1 and
//!   when to look at the order (the runner registers the subscription in its due index at
//!   [`Subscription::wake_at`](super::Subscription::wake_at), the earlier of the next cycle and
//!   the check).
//! - At the check the runner reads the order and applies [`Command::FollowPayment`] with what it
//!   found ([`PaymentStep`]): paid (or the order ended otherwise) ends the check; still pending
//!   moves it later; denied with tries left means the runner placed attempt `k + 1` (a new
//!   order, its own identity) and the check follows that one; denied on the last try records
//!   the cycle `failed` with the reason and pauses the subscription with it, so nothing more is
//!   charged until a person resumes it.
//! - A check names its cycle and attempt: a step for another (a pass that raced with another, or
//!   came after a newer cycle replaced the check) is refused with
//!   [`SubscriptionError::PaymentCheckStale`](super::SubscriptionError::PaymentCheckStale) and
//!   changes nothing.
//! - One check at a time: when the next cycle's order is created while an older cycle's payment
//!   is still being followed, the check moves to the new cycle; the older order stays as it is.
//!
//! [`Command::FollowPayment`]: super::Command::FollowPayment

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::values::{OrderId, Text, Timestamp};

/// How many times a cycle's payment is tried and how long apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRetryPolicy {
    /// Orders tried for one cycle, the first included. 1 turns retries off (a failed payment
    /// then pauses the subscription at once); 0 turns payment following off altogether.
    pub attempts: u32,
    /// How long after an attempt its payment is looked at (and, when it failed, the next attempt
    /// placed).
    pub interval: TimeDelta,
}

impl PaymentRetryPolicy {
    /// Five tries, as VTEX.
    pub const DEFAULT_ATTEMPTS: u32 = 5;
    /// Three hours: the fifth try is placed twelve hours after the first.
    pub const DEFAULT_INTERVAL: TimeDelta = TimeDelta::hours(3);

    /// The most attempts a policy may allow.
    pub const MAX_ATTEMPTS: u32 = 20;

    /// Whether payments are followed at all.
    pub fn follows(&self) -> bool {
        self.attempts > 0
    }

    /// When an attempt made at `now` is looked at.
    pub fn check_after(&self, now: Timestamp) -> Timestamp {
        now.checked_add(self.interval).unwrap_or(now)
    }
}

impl Default for PaymentRetryPolicy {
    fn default() -> Self {
        PaymentRetryPolicy {
            attempts: Self::DEFAULT_ATTEMPTS,
            interval: Self::DEFAULT_INTERVAL,
        }
    }
}

/// The payment being followed: which cycle, which attempt and order, and when to look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCheck {
    /// The cycle whose order is followed.
    pub cycle: u32,
    /// When that cycle was due (kept for its record).
    pub scheduled_for: Timestamp,
    /// The payment attempt, from 1.
    pub attempt: u32,
    /// The cycle's `attempts` when its first order was created (failed creations before it
    /// count): attempt `k`'s record shows `attempts + k - 1`.
    pub created_after: u32,
    /// The attempts the policy allowed when the check started.
    pub max_attempts: u32,
    /// The attempt's order.
    pub order_id: OrderId,
    /// When to look at it.
    pub check_at: Timestamp,
    /// Why the previous attempt failed, once one has.
    pub last_failure: Option<Text>,
}

/// What the runner found when it looked at the followed order, and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStep {
    /// Paid, or the order ended for a reason that is not its payment: nothing more to follow.
    Settled,
    /// Neither paid nor failed yet: look again at `check_at`.
    Pending {
        /// The next look.
        check_at: Timestamp,
    },
    /// The attempt failed and the runner placed the next one, `order_id`.
    Retried {
        /// Why the attempt failed.
        reason: Text,
        /// The next attempt's order.
        order_id: OrderId,
        /// When to look at it.
        check_at: Timestamp,
    },
    /// The last attempt failed: the cycle fails and the subscription is paused.
    GaveUp {
        /// Why, for the cycle's error and the pause reason.
        reason: Text,
    },
}

impl PaymentStep {
    /// The step's kebab-case name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            PaymentStep::Settled => "settled",
            PaymentStep::Pending { .. } => "pending",
            PaymentStep::Retried { .. } => "retried",
            PaymentStep::GaveUp { .. } => "gave-up",
        }
    }
}
