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
//!   [`Subscription::next_run_at`] is the first cycle not marked: the next one really charged.
//!   A schedule edit drops the marks of cycles the old schedule placed before the new anchor.
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

mod apply;
mod command;
pub mod cycle;
pub mod due;
mod error;
pub mod payment;
pub mod schedule;
mod state;
mod stored;
pub mod template;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use command::{Command, Event, ScheduleEdit, Transition};
pub use cycle::{Cycle, CycleOutcome, CycleRange, CycleStatus, ScheduledCycle};
pub use due::{CatchUpPolicy, Due, DueCycle, due};
pub use error::SubscriptionError;
pub use payment::{PaymentCheck, PaymentRetryPolicy, PaymentStep};
pub use schedule::{
    CronExpr, Interval, Occurrence, Occurrences, PurchaseDay, Recurrence, Schedule, ScheduleError,
    TimeZone, Unit,
};
pub use template::{NewOrderTemplate, OrderTemplate, OrderTemplateEdit, SubscriptionPayment};

use crate::values::{PlanId, SubscriptionId, Text, Timestamp};

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
