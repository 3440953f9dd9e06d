//! Money of an order: totals recomputed from their parts, and line discounts apportioned to units.
//!
//! A line discount `D` over `Q` units is spread so that the first `c` units carry
//! `floor(D × c / Q)` of it. Invoicing, returning or removing units in any number of steps
//! therefore always adds up to exactly `D`: no centavo is created or lost by rounding.

use super::model::{Item, Order, PaymentStatus, TransactionKind};
use super::status::Status;
use crate::values::{Invalid, Money};

/// The part of a line discount carried by the first `upto` of `quantity` units.
pub(crate) fn discount_share(discount: Money, quantity: u32, upto: u32) -> Money {
    if quantity == 0 {
        return Money::ZERO;
    }
    let share = i128::from(discount.minor()) * i128::from(upto) / i128::from(quantity);
    // |share| ≤ |discount| because upto ≤ quantity, so it fits back in an i64.
    Money::from_minor(i64::try_from(share).unwrap_or(discount.minor()))
}

/// The value of `count` units of `item` after the first `already` units: price minus their share
/// of the line discount.
pub(crate) fn units_value(item: &Item, already: u32, count: u32) -> Result<Money, Invalid> {
    let quantity = item.quantity.get();
    let gross = item.unit_price.checked_mul(count)?;
    let end = already.saturating_add(count).min(quantity);
    let share = discount_share(item.discount, quantity, end).checked_sub(discount_share(
        item.discount,
        quantity,
        already,
    ))?;
    gross.checked_sub(share)
}

impl Order {
    /// Whether every unit of every item was given back.
    pub fn everything_returned(&self) -> bool {
        self.items
            .iter()
            .all(|item| item.returned >= item.quantity.get())
    }

    /// Whether every unit of every item is covered by output invoices.
    pub fn everything_invoiced(&self) -> bool {
        self.items
            .iter()
            .all(|item| item.invoiced >= item.quantity.get())
    }

    /// Shipping plus the order-level increment minus the order-level discount: what the first
    /// output invoice (and the return of the last items) carries besides item values.
    pub(crate) fn order_level_value(&self) -> Result<Money, Invalid> {
        self.shipping
            .price
            .checked_add(self.adjustments.increment)?
            .checked_sub(self.adjustments.discount)
    }

    /// Paid minus refunded.
    pub fn net_paid(&self) -> Money {
        self.totals
            .paid
            .checked_sub(self.totals.refunded)
            .unwrap_or(Money::ZERO)
    }

    /// Recomputes `totals` and `payment.status` from the parts. Fails when a sum overflows or
    /// the discounts exceed what they discount.
    pub(crate) fn recompute(&mut self) -> Result<(), super::OrderError> {
        let mut items = Money::ZERO;
        let mut line_discounts = Money::ZERO;
        let mut returned = Money::ZERO;
        for item in &self.items {
            items = items.checked_add(item.unit_price.checked_mul(item.quantity.get())?)?;
            line_discounts = line_discounts.checked_add(item.discount)?;
            returned = returned.checked_add(units_value(item, 0, item.returned)?)?;
        }
        let rebates = Money::sum(self.refunds.iter().map(|r| r.rebate))?;
        let discount = line_discounts
            .checked_add(self.adjustments.discount)?
            .checked_add(rebates)?;
        let total = items
            .checked_sub(discount)?
            .checked_add(self.adjustments.increment)?
            .checked_add(self.shipping.price)?;
        if total.is_negative() {
            return Err(super::OrderError::DiscountTooLarge);
        }
        let paid = Money::sum(
            self.payment
                .transactions
                .iter()
                .filter(|t| t.kind == TransactionKind::Approved)
                .map(|t| t.amount),
        )?;
        let refunded = Money::sum(self.refunds.iter().map(|r| r.amount))?;
        // What the customer keeps and so owes: nothing once canceled or everything came back.
        let owed = if self.status == Status::Canceled || self.everything_returned() {
            Money::ZERO
        } else {
            total.checked_sub(returned)?
        };
        let balance = owed.checked_sub(paid.checked_sub(refunded)?)?;
        self.totals = super::model::Totals {
            items,
            discount,
            increment: self.adjustments.increment,
            shipping: self.shipping.price,
            total,
            paid,
            refunded,
            returned,
            balance,
        };
        self.payment.status = if paid.is_zero() {
            let last_denied = self
                .payment
                .transactions
                .last()
                .is_some_and(|t| t.kind == TransactionKind::Denied);
            if last_denied {
                PaymentStatus::Denied
            } else {
                PaymentStatus::Pending
            }
        } else if refunded >= paid {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::Approved
        };
        Ok(())
    }
}
