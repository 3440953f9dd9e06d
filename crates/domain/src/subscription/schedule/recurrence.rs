//! [`Recurrence`]: a schedule placed in time, and the occurrences it yields.

use chrono::{DateTime, Datelike as _, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{CronExpr, Interval, PurchaseDay, Schedule, ScheduleError, TimeZone, Unit};
use crate::values::Timestamp;

/// One occurrence of a recurrence: its 1-based index and its instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Occurrence {
    /// 1-based index from the anchor.
    pub index: u32,
    /// When it falls.
    pub at: Timestamp,
}

/// A schedule placed in time: schedule, purchase day, time zone and anchor, validated together.
/// It yields the occurrences; limits (end date, maximum cycles) belong to the subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RecurrenceRepr", into = "RecurrenceRepr")]
pub struct Recurrence {
    schedule: Schedule,
    purchase_day: Option<PurchaseDay>,
    timezone: TimeZone,
    anchor: Timestamp,
}

/// The serialized shape of [`Recurrence`] (flattened into the subscription).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecurrenceRepr {
    schedule: Schedule,
    #[serde(default)]
    purchase_day: Option<PurchaseDay>,
    timezone: TimeZone,
    anchor_at: Timestamp,
}

impl TryFrom<RecurrenceRepr> for Recurrence {
    type Error = ScheduleError;

    fn try_from(repr: RecurrenceRepr) -> Result<Self, Self::Error> {
        Recurrence::new(
            repr.schedule,
            repr.purchase_day,
            repr.timezone,
            repr.anchor_at,
        )
    }
}

impl From<Recurrence> for RecurrenceRepr {
    fn from(r: Recurrence) -> Self {
        RecurrenceRepr {
            schedule: r.schedule,
            purchase_day: r.purchase_day,
            timezone: r.timezone,
            anchor_at: r.anchor,
        }
    }
}

impl Recurrence {
    /// Validates the purchase day against the schedule: none for daily and cron schedules,
    /// `1..=7` for weeks, `1..=31` for months and years.
    pub fn new(
        schedule: Schedule,
        purchase_day: Option<PurchaseDay>,
        timezone: TimeZone,
        anchor: Timestamp,
    ) -> Result<Self, ScheduleError> {
        if let Some(day) = purchase_day {
            match &schedule {
                Schedule::Cron(_) => return Err(ScheduleError::PurchaseDayNotAllowed),
                Schedule::Every(interval) => match interval.unit {
                    Unit::Day => return Err(ScheduleError::PurchaseDayNotAllowed),
                    Unit::Week if day.get() > 7 => {
                        return Err(ScheduleError::PurchaseDayOutOfRange {
                            day: day.get(),
                            max: 7,
                        });
                    }
                    Unit::Week | Unit::Month | Unit::Year => {}
                },
            }
        }
        Ok(Recurrence {
            schedule,
            purchase_day,
            timezone,
            anchor,
        })
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The purchase day, if any.
    pub fn purchase_day(&self) -> Option<PurchaseDay> {
        self.purchase_day
    }

    /// The time zone the schedule is read in.
    pub fn timezone(&self) -> TimeZone {
        self.timezone
    }

    /// The anchor: occurrence 1 (interval) or the instant from which fires count (cron).
    pub fn anchor(&self) -> Timestamp {
        self.anchor
    }

    /// The same schedule anchored elsewhere.
    pub fn reanchored(&self, anchor: Timestamp) -> Recurrence {
        Recurrence {
            anchor,
            ..self.clone()
        }
    }

    /// Occurrence 1; `None` only for a cron expression that never fires again.
    pub fn first(&self) -> Option<Occurrence> {
        self.nth(1)
    }

    /// Occurrence `index` (1-based): O(1) for intervals, `index` steps for cron. `None` for
    /// index 0, past chrono's range of dates, or when a cron expression stops firing.
    pub fn nth(&self, index: u32) -> Option<Occurrence> {
        match &self.schedule {
            Schedule::Every(interval) => self.every_nth(*interval, index),
            Schedule::Cron(cron) => {
                let first = self.cron_first(cron)?;
                let steps = usize::try_from(index.checked_sub(1)?).ok()?;
                self.occurrences_from(first).nth(steps)
            }
        }
    }

    /// Occurrence `index`, computed from a known occurrence `from`: O(1) for intervals, and for
    /// cron `index - from.index` steps when `index` is not before `from` (from the anchor
    /// otherwise).
    pub fn nth_from(&self, from: Occurrence, index: u32) -> Option<Occurrence> {
        match &self.schedule {
            Schedule::Every(_) => self.nth(index),
            Schedule::Cron(_) => match index.checked_sub(from.index) {
                Some(steps) => self
                    .occurrences_from(from)
                    .nth(usize::try_from(steps).ok()?),
                None => self.nth(index),
            },
        }
    }

    /// The occurrence after `occurrence`: O(1) for both kinds.
    pub fn following(&self, occurrence: &Occurrence) -> Option<Occurrence> {
        match &self.schedule {
            Schedule::Every(interval) => {
                self.every_nth(*interval, occurrence.index.checked_add(1)?)
            }
            Schedule::Cron(cron) => {
                let index = occurrence.index.checked_add(1)?;
                let local = self.timezone.local(occurrence.at.as_datetime());
                let at = self.cron_fire(cron, local, |t| t > occurrence.at.as_datetime())?;
                Some(Occurrence { index, at })
            }
        }
    }

    /// The first occurrence strictly after `instant`. O(log n) for intervals; walks every
    /// earlier occurrence for cron.
    pub fn next_after(&self, instant: Timestamp) -> Option<Occurrence> {
        let first = self.first()?;
        let bound = instant
            .as_datetime()
            .checked_add_signed(TimeDelta::nanoseconds(1))?;
        self.first_at_or_after(first, Timestamp::from_datetime(bound))
    }

    /// Every occurrence, from 1.
    pub fn occurrences(&self) -> Occurrences<'_> {
        Occurrences {
            recurrence: self,
            next: self.first(),
        }
    }

    /// The occurrences strictly after `instant`, in order.
    pub fn occurrences_after(&self, instant: Timestamp) -> Occurrences<'_> {
        Occurrences {
            recurrence: self,
            next: self.next_after(instant),
        }
    }

    /// The occurrences from `occurrence` (included) on, each computed in O(1) from the one
    /// before: the cheap way to walk a cron schedule from a known cycle.
    pub fn occurrences_from(&self, occurrence: Occurrence) -> Occurrences<'_> {
        Occurrences {
            recurrence: self,
            next: Some(occurrence),
        }
    }

    /// The first occurrence at or after `instant`, searching from `from` (which may already be
    /// it). Intervals: galloping then binary search on the index, O(log distance). Cron: a walk,
    /// bounded because a subscription's cron fires at most hourly.
    pub fn first_at_or_after(&self, from: Occurrence, instant: Timestamp) -> Option<Occurrence> {
        if from.at >= instant {
            return Some(from);
        }
        match &self.schedule {
            Schedule::Cron(_) => self.occurrences_from(from).find(|o| o.at >= instant),
            Schedule::Every(interval) => {
                // Occurrences are nondecreasing in the index; `None` (past chrono's range) counts
                // as "at or after" so it ends the search.
                let reached = |index: u32| match self.every_nth(*interval, index) {
                    Some(o) => o.at >= instant,
                    None => true,
                };
                let mut below = from.index;
                let mut step: u32 = 1;
                let mut above = loop {
                    let probe = below.saturating_add(step);
                    if reached(probe) {
                        break probe;
                    }
                    if probe == u32::MAX {
                        return None;
                    }
                    below = probe;
                    step = step.saturating_mul(2);
                };
                while above - below > 1 {
                    let middle = below + (above - below) / 2;
                    if reached(middle) {
                        above = middle;
                    } else {
                        below = middle;
                    }
                }
                self.every_nth(*interval, above)
            }
        }
    }

    fn every_nth(&self, interval: Interval, index: u32) -> Option<Occurrence> {
        if index == 1 {
            return Some(Occurrence {
                index,
                at: self.anchor,
            });
        }
        let steps = index.checked_sub(1)?.checked_mul(interval.every)?;
        let start = self.timezone.local(self.anchor.as_datetime());
        let date = start.date();
        let day = match (interval.unit, self.purchase_day) {
            (Unit::Day, _) => date.checked_add_days(Days::new(u64::from(steps)))?,
            (Unit::Week, None) => date.checked_add_days(Days::new(u64::from(steps) * 7))?,
            (Unit::Week, Some(weekday)) => {
                let monday = date.checked_sub_days(Days::new(u64::from(
                    date.weekday().num_days_from_monday(),
                )))?;
                monday.checked_add_days(Days::new(
                    u64::from(steps) * 7 + u64::from(weekday.get()) - 1,
                ))?
            }
            (Unit::Month, None) => date.checked_add_months(Months::new(steps))?,
            (Unit::Year, None) => date.checked_add_months(Months::new(steps.checked_mul(12)?))?,
            (Unit::Month, Some(day)) => on_day(date, steps, day)?,
            (Unit::Year, Some(day)) => on_day(date, steps.checked_mul(12)?, day)?,
        };
        let at = self.timezone.resolve(day.and_time(start.time()))?;
        Some(Occurrence {
            index,
            at: Timestamp::from_datetime(at),
        })
    }

    fn cron_first(&self, cron: &CronExpr) -> Option<Occurrence> {
        let anchor = self.anchor.as_datetime();
        // `after` is exclusive and works in whole seconds: start a second early so a fire at
        // the anchor's own second counts, then drop fires before the anchor itself.
        let local = self
            .timezone
            .local(anchor)
            .checked_sub_signed(TimeDelta::seconds(1))?;
        let at = self.cron_fire(cron, local, |t| t >= anchor)?;
        Some(Occurrence { index: 1, at })
    }

    /// The instant of the first fire after wall-clock `after` whose instant satisfies `accept`.
    fn cron_fire(
        &self,
        cron: &CronExpr,
        after: NaiveDateTime,
        accept: impl Fn(DateTime<Utc>) -> bool,
    ) -> Option<Timestamp> {
        cron.fires_after(after).find_map(|fire| {
            let (resolved, later) = self.timezone.candidates(fire)?;
            // The later instant of an overlap is only used when the earlier one is already
            // behind us (an anchor set inside the repeated hour).
            [Some(resolved), later]
                .into_iter()
                .flatten()
                .find(|t| accept(*t))
                .map(Timestamp::from_datetime)
        })
    }
}

/// The first of the month `months` after `date`'s month, on `day` clamped to the month's length.
fn on_day(date: NaiveDate, months: u32, day: PurchaseDay) -> Option<NaiveDate> {
    let month = date.with_day(1)?.checked_add_months(Months::new(months))?;
    let last = month.checked_add_months(Months::new(1))?.pred_opt()?.day();
    month.with_day(u32::from(day.get()).min(last))
}

/// Occurrences in increasing order; see [`Recurrence::occurrences`].
#[derive(Debug, Clone)]
pub struct Occurrences<'a> {
    recurrence: &'a Recurrence,
    next: Option<Occurrence>,
}

impl Iterator for Occurrences<'_> {
    type Item = Occurrence;

    fn next(&mut self) -> Option<Occurrence> {
        let current = self.next.take()?;
        self.next = self.recurrence.following(&current);
        Some(current)
    }
}
