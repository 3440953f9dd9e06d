//! Dashboard numbers kept as counters by the indexer (`crate::index`), never computed by
//! scanning: what one subscription contributes (`contribution`), and its monthly recurring
//! revenue.

use orderflow_domain::subscription::{Schedule, Subscription, SubscriptionStatus, Unit};
use orderflow_domain::values::{Currency, Money};

use crate::doc::Contribution;
use crate::keys::{self, Bucket};
use crate::kv::Kv;
use crate::service::{Error, Subscriptions};

/// Counts and sums for a dashboard, as of one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Active subscriptions.
    pub active: i64,
    /// Paused subscriptions.
    pub paused: i64,
    /// Canceled subscriptions.
    pub canceled: i64,
    /// Finished subscriptions.
    pub finished: i64,
    /// Active subscriptions whose next cycle falls within the next 24 hours (counted by whole
    /// hours: from the start of the current hour).
    pub due_next_day: i64,
    /// The same within the next 7 days.
    pub due_next_week: i64,
    /// Monthly recurring revenue of the active subscriptions, per currency, in minor units.
    pub monthly_recurring_revenue: Vec<(Currency, Money)>,
}

impl<K: Kv> Subscriptions<'_, K> {
    /// Counts by status, cycles due in the next day and week, and monthly recurring revenue,
    /// from the counters the indexer keeps (one read, once it has caught up).
    pub fn stats(&self) -> Result<Stats, Error> {
        self.catch_up()?;
        let totals = self.counters()?.totals;
        let status = |s: SubscriptionStatus| totals.status.get(s.as_str()).copied().unwrap_or(0);
        let hour = Bucket::of(self.now()).hour();
        let due_within = |hours: i64| -> i64 {
            totals
                .due_hours
                .range(hour..=hour.saturating_add(hours))
                .map(|(_, n)| *n)
                .fold(0, i64::saturating_add)
        };
        let mut mrr = Vec::new();
        for (code, amount) in &totals.mrr {
            let currency = Currency::parse(code).map_err(|e| {
                Error::Store(format!("{} holds currency {code}: {e}", keys::COUNTERS))
            })?;
            mrr.push((currency, Money::from_minor(*amount)));
        }
        Ok(Stats {
            active: status(SubscriptionStatus::Active),
            paused: status(SubscriptionStatus::Paused),
            canceled: status(SubscriptionStatus::Canceled),
            finished: status(SubscriptionStatus::Finished),
            due_next_day: due_within(24),
            due_next_week: due_within(7 * 24),
            monthly_recurring_revenue: mrr,
        })
    }
}

/// How many cron fires are looked at to estimate a cron schedule's monthly frequency.
const CRON_SAMPLE: usize = 32;

/// Seconds in an average Gregorian month (365.2425 days / 12).
const MONTH_SECONDS: i128 = 2_629_746;

/// What `sub` adds to the counters: its status, and while active its monthly revenue and the
/// hour of its next run.
pub(crate) fn contribution(sub: &Subscription) -> Contribution {
    let active = match sub.status() {
        SubscriptionStatus::Active => true,
        SubscriptionStatus::Paused
        | SubscriptionStatus::Canceled
        | SubscriptionStatus::Finished => false,
    };
    Contribution {
        status: sub.status(),
        mrr: if active { monthly_revenue(sub) } else { None },
        due_hour: sub.next_run_at().map(|at| Bucket::of(at).hour()),
    }
}

/// One cycle's order total (items less their discounts, plus shipping), in minor units.
fn cycle_amount(sub: &Subscription) -> i128 {
    let template = sub.order();
    let items: i128 = template
        .items()
        .iter()
        .map(|item| {
            i128::from(item.unit_price.minor()) * i128::from(item.quantity.get())
                - i128::from(item.discount.minor())
        })
        .sum();
    items + i128::from(template.shipping().price.minor())
}

/// The subscription's revenue per average month, in minor units: a cycle's total times the
/// cycles per month (exact for day, week, month and year intervals; for cron, estimated from the
/// spacing of its next fires). `None` when it cannot be told (a cron with no further fires).
fn monthly_revenue(sub: &Subscription) -> Option<(Currency, i64)> {
    let amount = cycle_amount(sub);
    let per_month = match sub.schedule() {
        Schedule::Every(interval) => {
            let every = i128::from(interval.every());
            match interval.unit() {
                Unit::Day => amount * 365_2425 / (12 * every * 10_000),
                Unit::Week => amount * 365_2425 / (12 * 7 * every * 10_000),
                Unit::Month => amount / every,
                Unit::Year => amount / (12 * every),
            }
        }
        Schedule::Cron(_) => {
            let from = sub.next_run_at().unwrap_or(sub.start_at());
            let fires: Vec<_> = sub
                .recurrence()
                .occurrences_after(from)
                .take(CRON_SAMPLE)
                .collect();
            let (first, last) = (fires.first()?, fires.last()?);
            let span = i128::from(last.at.unix_seconds() - first.at.unix_seconds());
            let gaps = i128::try_from(fires.len()).ok()? - 1;
            if span <= 0 || gaps <= 0 {
                return None;
            }
            amount * gaps * MONTH_SECONDS / span
        }
    };
    Some((
        sub.order().currency(),
        i64::try_from(per_month).unwrap_or(i64::MAX),
    ))
}
