//! Dashboard numbers kept as counters on every write, never computed by scanning: what one
//! subscription contributes (`contribution`), and its monthly recurring revenue.

use orderflow_domain::subscription::{Schedule, Subscription, SubscriptionStatus, Unit};
use orderflow_domain::values::{Currency, Money};

use std::collections::BTreeMap;

use orderflow_domain::values::SubscriptionId;

use crate::doc::{Contribution, Stored, decode, encode};
use crate::keys::{self, Bucket};
use crate::kv::Kv;
use crate::service::{Error, MAX_ATTEMPTS, Subscriptions};

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
    /// read from counters kept on every write (a fixed number of reads: 4 + 169 + one per
    /// currency).
    pub fn stats(&self) -> Result<Stats, Error> {
        let status = |s| self.counter(&keys::stat_status(s));
        let hour = Bucket::of(self.now()).hour();
        let mut due_next_day = 0i64;
        let mut due_next_week = 0i64;
        for h in 0..=(7 * 24) {
            let n = self.counter(&keys::stat_due_hour(hour + h))?;
            if h <= 24 {
                due_next_day = due_next_day.saturating_add(n);
            }
            due_next_week = due_next_week.saturating_add(n);
        }
        let mut mrr = Vec::new();
        for currency in self.currencies()? {
            let amount = self.counter(&keys::stat_mrr(currency))?;
            mrr.push((
                currency,
                orderflow_domain::values::Money::from_minor(amount),
            ));
        }
        Ok(Stats {
            active: status(SubscriptionStatus::Active)?,
            paused: status(SubscriptionStatus::Paused)?,
            canceled: status(SubscriptionStatus::Canceled)?,
            finished: status(SubscriptionStatus::Finished)?,
            due_next_day,
            due_next_week,
            monthly_recurring_revenue: mrr,
        })
    }

    /// The currencies that have a revenue counter.
    pub(crate) fn currencies(&self) -> Result<Vec<orderflow_domain::values::Currency>, Error> {
        match self.kv.get(keys::CURRENCIES)? {
            None => Ok(Vec::new()),
            Some(bytes) => decode::<crate::doc::Currencies>(keys::CURRENCIES, &bytes)
                .map(|c| c.currencies)
                .map_err(Error::Store),
        }
    }

    /// Applies the stats change a document carries, once: the caller that gets 1 from the
    /// version's claim applies it.
    pub(crate) fn settle_stats(&self, id: &SubscriptionId, stored: &Stored) -> Result<(), Error> {
        let Some(delta) = stored.stats else {
            return Ok(());
        };
        // Claimed once per version: a claim already taken is only read (claims never go down),
        // so the writers after the first spend a read, not a write.
        let claim = keys::stats_claim(id, delta.version);
        if self.counter(&claim)? > 0 || self.kv.increment(&claim, 1)? != 1 {
            return Ok(());
        }
        let mut changes: Vec<(String, i64)> = Vec::new();
        let mut count = |c: &Contribution, sign: i64| {
            changes.push((keys::stat_status(c.status), sign));
            if let Some((currency, amount)) = c.mrr {
                changes.push((keys::stat_mrr(currency), sign.saturating_mul(amount)));
            }
            if let Some(hour) = c.due_hour {
                changes.push((keys::stat_due_hour(hour), sign));
            }
        };
        if let Some(from) = &delta.from {
            count(from, -1);
        }
        count(&delta.to, 1);
        // Equal keys cancel out: only what changed is written.
        let mut net: BTreeMap<String, i64> = BTreeMap::new();
        for (key, change) in changes {
            let entry = net.entry(key).or_insert(0);
            *entry = entry.saturating_add(change);
        }
        for (key, change) in net {
            if change != 0 {
                self.kv.increment(&key, change)?;
            }
        }
        Ok(())
    }

    /// Makes sure `currency` has a recurring-revenue counter listed.
    pub(crate) fn ensure_currency(
        &self,
        currency: orderflow_domain::values::Currency,
    ) -> Result<(), Error> {
        for _ in 0..MAX_ATTEMPTS {
            let (cas, bytes) = self.kv.cas_current(keys::CURRENCIES)?;
            let mut doc: crate::doc::Currencies = match &bytes {
                None => crate::doc::Currencies::default(),
                Some(bytes) => decode(keys::CURRENCIES, bytes).map_err(Error::Store)?,
            };
            if doc.currencies.contains(&currency) {
                return Ok(());
            }
            doc.currencies.push(currency);
            doc.write_id = self.write_id();
            let encoded = encode(&doc).map_err(Error::Store)?;
            // An absent key makes this an upsert that may drop a currency another creator added
            // at the same moment: the loop re-reads until ours is there.
            self.kv.cas_swap(cas, &encoded)?;
        }
        Err(Error::Contention)
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
