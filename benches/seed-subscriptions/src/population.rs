//! The subscriptions a seeded store holds: what a store's customers would have signed up for,
//! each with its own customer, and a first cycle either at the measured instant or spread over
//! the weeks after it.

use anyhow::Context as _;
use chrono::TimeDelta;
use orderflow_domain::order::{Address, Customer, NewItem, PaymentMethod, Shipping};
use orderflow_domain::subscription::{
    NewOrderTemplate, NewSubscription, OrderTemplate, Schedule, SubscriptionPayment, TimeZone, Unit,
};
use orderflow_domain::values::{
    Channel, Country, Currency, CustomerId, Email, Money, PostalCode, Quantity, Sku,
    SubscriptionId, Text, Timestamp,
};

/// Which subscriptions are due at the measured instant, and where the rest fall.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// How many subscriptions in all.
    pub(crate) count: u64,
    /// How many of them have cycle 1 in the minute of `due_at`.
    pub(crate) due: u64,
    /// The measured instant: a whole minute.
    pub(crate) due_at: Timestamp,
    /// The others start at `due_at` + 1 h and spread evenly over this many days after that.
    pub(crate) spread_days: i64,
}

impl Plan {
    /// Whether the `i`-th subscription created (0-based) is one of the due ones: they are spread
    /// evenly through the creation order, as real sign-ups would be.
    pub(crate) fn is_due(&self, i: u64) -> bool {
        // `due` of the `count` indices, evenly: i * due / count steps up exactly `due` times.
        self.due > 0 && (i * self.due / self.count) != ((i + 1) * self.due / self.count)
    }

    /// Cycle 1 of the `i`-th subscription: within the minute of `due_at` for the due ones (a
    /// second of their own, so they are not all one instant), else in the spread.
    pub(crate) fn start_of(&self, i: u64) -> anyhow::Result<Timestamp> {
        let offset = if self.is_due(i) {
            TimeDelta::seconds(i64::try_from(i % 60)?)
        } else {
            let spread = self.spread_days * 86_400;
            let step = i64::try_from(i)? * spread / i64::try_from(self.count)?;
            TimeDelta::hours(1) + TimeDelta::seconds(step)
        };
        self.due_at
            .checked_add(offset)
            .context("a start instant out of range")
    }
}

/// The schedules sign-ups choose, most of them monthly.
fn schedule(i: u64) -> anyhow::Result<Schedule> {
    let (every, unit) = match i % 10 {
        0 => (1, Unit::Week),
        1 | 2 => (2, Unit::Week),
        3 => (2, Unit::Month),
        _ => (1, Unit::Month),
    };
    Ok(Schedule::every(every, unit)?)
}

fn text(s: &str) -> anyhow::Result<Text> {
    Ok(Text::parse(s, 200)?)
}

/// The order each cycle of the `i`-th subscription places: its own customer, one or two coffee
/// items, card payment (cards have no payment deadline, so no pass cancels these orders as
/// unpaid whatever its clock).
fn template(i: u64) -> anyhow::Result<OrderTemplate> {
    let sku = ["CAF-500G", "CAF-1KG", "CHA-250G"][usize::try_from(i % 3)?];
    let mut items = vec![NewItem {
        sku: Sku::parse(sku)?,
        name: text("Café especial")?,
        quantity: Quantity::new(i64::try_from(1 + i % 3)?)?,
        unit_price: Money::from_minor(4990),
        discount: Money::ZERO,
    }];
    if i.is_multiple_of(4) {
        items.push(NewItem {
            sku: Sku::parse("FILTRO-103")?,
            name: text("Filtro de papel 103")?,
            quantity: Quantity::ONE,
            unit_price: Money::from_minor(1290),
            discount: Money::ZERO,
        });
    }
    Ok(OrderTemplate::new(NewOrderTemplate {
        channel: Channel::parse("subscriptions")?,
        currency: Currency::BRL,
        customer: Customer {
            id: Some(CustomerId::parse(&format!("c-{i}"))?),
            name: text("Ana Souza")?,
            email: Email::parse(&format!("cliente{i}@example.com"))?,
            document: None,
            phone: None,
        },
        shipping_address: Address {
            street: text("Rua Augusta")?,
            number: text(&format!("{}", 100 + i % 900))?,
            complement: None,
            neighborhood: Some(text("Consolação")?),
            city: text("São Paulo")?,
            state: text("SP")?,
            postal_code: PostalCode::parse("01305000", true)?,
            country: Country::BRA,
        },
        billing_address: None,
        items,
        shipping: Shipping {
            method: text("PAC")?,
            carrier: Some(text("Correios")?),
            price: Money::from_minor(1500),
        },
        payment: SubscriptionPayment {
            method: PaymentMethod::CreditCard,
        },
    })?)
}

/// The `i`-th subscription, as the API would create it at `now` with the id the service gave.
pub(crate) fn subscription(
    plan: &Plan,
    i: u64,
    id: SubscriptionId,
    zone: TimeZone,
    now: Timestamp,
) -> anyhow::Result<NewSubscription> {
    Ok(NewSubscription {
        id,
        plan_id: None,
        schedule: schedule(i)?,
        purchase_day: None,
        timezone: zone,
        start_at: plan.start_of(i)?,
        end_at: None,
        max_cycles: None,
        order: template(i)?,
        now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(count: u64, due: u64) -> anyhow::Result<Plan> {
        Ok(Plan {
            count,
            due,
            due_at: Timestamp::parse("2028-03-01T12:00:00Z")?,
            spread_days: 30,
        })
    }

    #[test]
    fn exactly_the_asked_number_are_due_in_the_minute_and_the_rest_an_hour_later_or_more()
    -> anyhow::Result<()> {
        for (count, due) in [(10_000, 1_000), (1_234, 1_000), (1_000, 1_000), (50, 0)] {
            let plan = plan(count, due)?;
            let minute = plan.due_at.unix_seconds();
            let mut in_minute = 0;
            for i in 0..count {
                let at = plan.start_of(i)?.unix_seconds();
                if plan.is_due(i) {
                    assert!((minute..minute + 60).contains(&at));
                    in_minute += 1;
                } else {
                    assert!(at >= minute + 3_600);
                    assert!(at < minute + 3_600 + 30 * 86_400);
                }
            }
            assert_eq!(in_minute, due);
        }
        Ok(())
    }

    #[test]
    fn every_subscription_is_one_the_domain_accepts() -> anyhow::Result<()> {
        let plan = plan(100, 10)?;
        let zone = TimeZone::parse("America/Sao_Paulo")?;
        let now = Timestamp::parse("2028-03-01T11:00:00Z")?;
        for i in 0..100 {
            let id = SubscriptionId::parse(&format!("s-{i}"))?;
            let sub = orderflow_domain::subscription::Subscription::new(subscription(
                &plan, i, id, zone, now,
            )?)?;
            assert_eq!(sub.next_run_at(), Some(plan.start_of(i)?));
        }
        Ok(())
    }
}
