//! Cycles: the numbered occurrences of a subscription and what became of each (an order was
//! created, or the cycle was skipped, failed or missed), and compact ranges of cycle numbers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::values::{OrderId, Text, Timestamp};

/// What became of a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CycleStatus {
    /// Its order was created.
    Created,
    /// It was not charged: the customer skipped it, or it fell while the subscription was paused.
    Skipped,
    /// Creating its order failed; it is retried on later passes until it becomes too late.
    Failed,
    /// It was older than the catch-up limit when a pass reached it, so it was never charged.
    Missed,
}

impl CycleStatus {
    /// The kebab-case name used on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            CycleStatus::Created => "created",
            CycleStatus::Skipped => "skipped",
            CycleStatus::Failed => "failed",
            CycleStatus::Missed => "missed",
        }
    }
}

impl fmt::Display for CycleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cycle's record, as the API shows it:
/// `{number, scheduledFor, status, orderId, attempts, error}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cycle {
    /// 1-based cycle number.
    pub number: u32,
    /// When the cycle was due.
    pub scheduled_for: Timestamp,
    /// What became of it.
    pub status: CycleStatus,
    /// The order created for it, if any.
    pub order_id: Option<OrderId>,
    /// How many times creating its order was attempted.
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub error: Option<Text>,
}

/// The result of one attempt to settle a cycle, as the runner reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum CycleOutcome {
    /// The order was created.
    Created {
        /// The created order.
        #[serde(rename = "orderId")]
        order_id: OrderId,
    },
    /// Creating the order failed; the cycle stays pending and is retried.
    Failed {
        /// Why, for the cycle's `error`.
        reason: Text,
    },
    /// The cycle is not charged.
    Skipped,
    /// The cycle is too late to charge.
    Missed,
}

/// A non-empty range of cycle numbers `first..=last`: ten years of missed daily cycles is one
/// value, not 3 650.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CycleRange {
    first: u32,
    last: u32,
}

impl CycleRange {
    /// `first..=last`, or `None` when `last < first`.
    pub fn new(first: u32, last: u32) -> Option<Self> {
        (first <= last).then_some(CycleRange { first, last })
    }

    /// The first number.
    pub fn first(&self) -> u32 {
        self.first
    }

    /// The last number (included).
    pub fn last(&self) -> u32 {
        self.last
    }

    /// How many numbers.
    pub fn count(&self) -> u64 {
        u64::from(self.last - self.first) + 1
    }

    /// Whether `number` is in the range.
    pub fn contains(&self, number: u32) -> bool {
        (self.first..=self.last).contains(&number)
    }

    /// The numbers, in order.
    pub fn numbers(&self) -> std::ops::RangeInclusive<u32> {
        self.first..=self.last
    }
}

/// A cycle number and when it was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledCycle {
    /// The cycle number.
    pub number: u32,
    /// When it was due.
    pub scheduled_for: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_counts_both_ends_and_refuses_to_run_backwards() {
        assert_eq!(CycleRange::new(3, 2), None);
        let one = CycleRange::new(4, 4);
        assert_eq!(one.map(|r| r.count()), Some(1));
        let all = CycleRange::new(1, u32::MAX);
        assert_eq!(all.map(|r| r.count()), Some(u64::from(u32::MAX)));
        assert!(all.is_some_and(|r| r.contains(u32::MAX) && !r.contains(0)));
    }

    #[test]
    fn an_outcome_is_tagged_by_its_status_in_json() -> Result<(), Box<dyn std::error::Error>> {
        let created = CycleOutcome::Created {
            order_id: OrderId::parse("o-1")?,
        };
        assert_eq!(
            serde_json::to_string(&created)?,
            r#"{"status":"created","orderId":"o-1"}"#
        );
        assert_eq!(
            serde_json::from_str::<CycleOutcome>(r#"{"status":"missed"}"#)?,
            CycleOutcome::Missed
        );
        Ok(())
    }
}
