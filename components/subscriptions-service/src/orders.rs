//! What a runner pass needs from the orders service, as a trait the pass owns.
//!
//! The component that runs passes implements [`Orders`] over `orderflow:core/orders` (its
//! `place`, `find-by-external-id` and `apply` exports); the tests implement it in memory. The
//! contract that makes a retried or overlapping pass safe is [`Orders::place`]'s: placing the
//! same channel + external id twice yields one order. The orders service keeps it with an atomic
//! claim on that identity, which is why every cycle's order carries
//! [`order_identity`] as its external id.
//!
//! # Unpaid orders
//!
//! [`Orders::cancel_unpaid`] expires pix and boleto orders past `payment.dueAt` (the domain's
//! `ExpirePayment`); every pass calls it. `WitOrders` does it from the orders service's list of
//! pending orders, oldest first, a bounded number of pages a pass.
//!
//! # Payments
//!
//! [`Orders::payment`] tells a pass where a cycle order's payment stands, so that a failed
//! payment is retried with a new order (see `orderflow_domain::subscription::payment` for the
//! rules, `crate::pass` for how a pass follows them). Attempt `k > 1` of cycle `n` is placed with
//! the identity [`attempt_identity`] `"{subscription}:{n}:{k}"`, so a retried or overlapping pass
//! places each attempt once, like the cycle itself.

use std::fmt;

use orderflow_domain::order::PlaceOrder;
use orderflow_domain::values::{
    Channel, ExternalId, OrderId, SubscriptionId, TestClockId, Timestamp,
};

/// Where an order's payment stands, as a pass following it needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentState {
    /// Paid, or the order ended otherwise (a person canceled it, or an unpaid pix or boleto
    /// expired): nothing more to follow.
    Settled,
    /// Not paid yet; a pix or boleto expires at `due_at`.
    Pending {
        /// The payment deadline, if the method has one.
        due_at: Option<Timestamp>,
    },
    /// The provider denied the payment.
    Failed {
        /// Why, in a few words.
        reason: String,
    },
}

/// An order the orders service holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    /// Its id.
    pub id: OrderId,
}

/// Why the orders service did not place or find an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrdersError {
    /// The order was refused: a data problem (an invalid item, address, total). Retrying the same
    /// data fails the same way; the cycle is recorded `failed` with this reason until the
    /// subscription's data is fixed.
    Rejected {
        /// The orders service's error code, e.g. `"unknown-sku"`.
        code: String,
        /// A sentence for the cycle's `error`.
        message: String,
    },
    /// The orders service or its store could not answer (contention, store down): the cycle is
    /// recorded `failed` and retried by the next pass.
    Unavailable(String),
}

impl fmt::Display for OrdersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrdersError::Rejected { code, message } => write!(f, "{code}: {message}"),
            OrdersError::Unavailable(message) => write!(f, "orders unavailable: {message}"),
        }
    }
}

/// A test clock and its frozen time, as an order placed on it needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockTime {
    /// The clock.
    pub id: TestClockId,
    /// Its frozen time: the order's clock.
    pub now: Timestamp,
}

/// The orders service, as a runner pass uses it.
pub trait Orders {
    /// Places an order, on `clock` when given (the order is created at the clock's time, its
    /// payment deadline counts from there, and it carries the clock). Must be idempotent on
    /// `(channel, external_id)`: placing an order whose channel and external id are already
    /// taken answers the existing order and creates none.
    fn place(
        &self,
        order: PlaceOrder,
        clock: Option<&ClockTime>,
    ) -> Result<PlacedOrder, OrdersError>;

    /// The order placed in `channel` with `external_id`, if there is one.
    fn find(
        &self,
        channel: &Channel,
        external_id: &ExternalId,
    ) -> Result<Option<PlacedOrder>, OrdersError>;

    /// Cancels up to `limit` unpaid pix and boleto orders whose `payment.dueAt` is before `now`
    /// (the domain's `ExpirePayment` command) and answers how many it canceled. The orders
    /// service owns this: it needs an index of pending payments by deadline so that the cost
    /// grows with the orders that expire, not with those that exist. With `clock`, only that
    /// test clock's orders; without, only live ones.
    fn cancel_unpaid(
        &self,
        now: Timestamp,
        limit: u32,
        clock: Option<&TestClockId>,
    ) -> Result<u64, OrdersError>;

    /// Where the payment of order `id` stands; `None` when there is no such order.
    fn payment(&self, id: &OrderId) -> Result<Option<PaymentState>, OrdersError>;
}

/// The external id of cycle `cycle`'s order: `"{subscription}:{cycle}"`, or, when that would not
/// fit an external id (64 characters), a 64-bit FNV-1a hash of the subscription id in its place
/// (`"h{hex}:{cycle}"`). Deterministic, so a retried pass finds the order instead of placing a
/// second.
pub fn order_identity(subscription: &SubscriptionId, cycle: u32) -> Option<ExternalId> {
    identity(subscription, &cycle.to_string())
}

/// The external id of payment attempt `attempt` (2 and later) of cycle `cycle`'s order:
/// `"{subscription}:{cycle}:{attempt}"`, hashed like [`order_identity`] when too long.
pub fn attempt_identity(
    subscription: &SubscriptionId,
    cycle: u32,
    attempt: u32,
) -> Option<ExternalId> {
    identity(subscription, &format!("{cycle}:{attempt}"))
}

fn identity(subscription: &SubscriptionId, suffix: &str) -> Option<ExternalId> {
    let plain = format!("{}:{suffix}", subscription.as_str());
    if let Ok(id) = ExternalId::parse(&plain) {
        return Some(id);
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in subscription.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ExternalId::parse(&format!("h{hash:016x}:{suffix}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_identity_is_the_subscription_and_the_number_or_a_hash_when_too_long()
    -> Result<(), Box<dyn std::error::Error>> {
        let short = SubscriptionId::parse("s-42")?;
        assert_eq!(
            order_identity(&short, 7).map(|e| e.as_str().to_owned()),
            Some("s-42:7".to_owned())
        );
        let long = SubscriptionId::parse(&"x".repeat(64))?;
        let id = order_identity(&long, 4_000_000_000).ok_or("no identity")?;
        assert!(id.as_str().starts_with('h') && id.as_str().ends_with(":4000000000"));
        assert_eq!(order_identity(&long, 4_000_000_000), Some(id));
        assert_eq!(
            attempt_identity(&short, 7, 2).map(|e| e.as_str().to_owned()),
            Some("s-42:7:2".to_owned())
        );
        let attempt = attempt_identity(&long, 7, 2).ok_or("no identity")?;
        assert!(attempt.as_str().starts_with('h') && attempt.as_str().ends_with(":7:2"));
        Ok(())
    }
}
