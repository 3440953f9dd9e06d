//! When a subscription's cycles fall: the schedule (an interval or a cron expression), the
//! optional purchase day, the IANA time zone, and the [`Recurrence`] that turns them into
//! occurrence instants. Pure computation; no clocks are read here.
//!
//! # Occurrences are anchored
//!
//! A [`Recurrence`] has an *anchor* instant (the subscription's `startAt`, or the instant chosen
//! when its schedule was edited). Occurrence 1 is the anchor itself for interval schedules (the
//! first fire at or after it for cron). Occurrence `k` of an interval schedule is computed
//! directly from the anchor's local date and time of day, never by stepping from occurrence
//! `k - 1`, so clamping one month to its last day never shifts the next one:
//!
//! | schedule | anchor (local) | occurrences (local) |
//! |---|---|---|
//! | every 1 month | 2025-01-31 09:00 | Jan 31, Feb 28, Mar 31, Apr 30, May 31 (09:00 each) |
//! | every 1 month | 2024-01-31 09:00 | Jan 31, Feb 29 (leap), Mar 31, Apr 30 |
//! | every 2 week | Wed 2025-01-01 | Jan 1, Jan 15, Jan 29 |
//! | every 1 year | 2024-02-29 | 2024-02-29, 2025-02-28, 2026-02-28, 2028-02-29 |
//!
//! Month arithmetic is `anchor date + (k - 1) * N months`, the day clamped to the month's length;
//! a year is twelve months; a week is seven days.
//!
//! # Purchase day
//!
//! A [`PurchaseDay`] applies to week, month and year intervals only (daily and cron schedules
//! refuse it). Cycle 1 is still due at the anchor, so a new subscription is served at once; cycle
//! `k >= 2` falls in the *period* that is `(k - 1) * N` periods after the anchor's period, on the
//! purchase day of that period, at the anchor's local time of day:
//!
//! - month: the anchor's month + `(k - 1) * N` months, on day `min(purchase day, month length)`;
//! - year: the anchor's month + `12 * (k - 1) * N` months, same rule (the anchor's month of year);
//! - week: the anchor's ISO week (Monday to Sunday) + `(k - 1) * N` weeks, on ISO weekday
//!   `purchase day` (1 = Monday … 7 = Sunday).
//!
//! | schedule | anchor (local) | purchase day | occurrences |
//! |---|---|---|---|
//! | every 1 month | 2025-01-20 10:00 | 5 | Jan 20, Feb 5, Mar 5, Apr 5 (10:00) |
//! | every 1 month | 2025-01-03 10:00 | 5 | Jan 3, Feb 5, Mar 5 (never a second order two days later) |
//! | every 1 month | 2025-01-10 10:00 | 31 | Jan 10, Feb 28, Mar 31, Apr 30 |
//! | every 1 week | Wed 2025-01-01 | 1 (Monday) | Wed Jan 1, Mon Jan 6, Mon Jan 13 |
//! | every 1 week | Wed 2025-01-01 | 5 (Friday) | Wed Jan 1, Fri Jan 10, Fri Jan 17 |
//!
//! # Local time and daylight saving
//!
//! Interval occurrences keep the anchor's local wall-clock time in the subscription's
//! [`TimeZone`]. When that local time does not exist (a spring-forward gap) the occurrence moves
//! forward by the gap's length (02:30 in a one-hour gap becomes 03:30); when it exists twice (a
//! fall-back overlap) the earlier instant is taken. This is RFC 5545's rule (and Temporal's
//! `"compatible"` disambiguation). The only zones where two consecutive daily occurrences could
//! coincide are those that once skipped a whole calendar day (Pacific/Apia on 2011-12-30).
//!
//! # Cron schedules
//!
//! A [`CronExpr`] has six or seven fields, seconds first (`sec min hour day-of-month month
//! day-of-week [year]`), parsed by the `cron` crate (whose day-of-week numbers run 1 = Sunday to
//! 7 = Saturday; prefer names such as `MON-FRI`). It must name exactly one second and one minute,
//! so it fires at most once an hour: a subscription is a business cadence, and this bounds the
//! work of catching up after downtime. The expression is matched against the subscription's
//! *local* wall-clock time, and each matching local time is turned into an instant by the same
//! rule as interval schedules: a fire inside a spring-forward gap happens at the shifted time
//! (`0 30 2 * * *` in Europe/Berlin fires at 03:30 CEST on the last Sunday of March), and a fire
//! in the repeated fall-back hour happens once, at the earlier instant. (The `cron` crate on a
//! `DateTime<Tz>` would instead drop the gap fire and fire twice in the overlap — a missed or a
//! doubled order — so it is only asked about wall-clock times.) Occurrence 1 is the first fire
//! at or after the anchor; occurrence `k + 1` is the first fire whose local time is later than
//! occurrence `k`'s. Occurrence `k` of a cron schedule therefore costs `k` steps: walk them with
//! [`Recurrence::occurrences`] or from a known one with [`Recurrence::occurrences_from`].

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{
    DateTime, Datelike as _, Days, MappedLocalTime, Months, NaiveDate, NaiveDateTime, Offset as _,
    TimeDelta, TimeZone as _, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::values::{FieldError, Invalid, Timestamp};

/// Why a schedule, time zone or purchase day was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// `every` is outside `1..=366`.
    #[error("every must be between 1 and {max}, not {every}", max = Interval::MAX_EVERY)]
    EveryOutOfRange {
        /// The refused count.
        every: u32,
    },
    /// The schedule has neither `{every, unit}` nor `{cron}`, or has both, or lacks one half.
    #[error(
        "a schedule is either {{\"every\": N, \"unit\": \"day|week|month|year\"}} or {{\"cron\": \"...\"}}"
    )]
    Shape,
    /// The cron expression does not have six or seven whitespace-separated fields.
    #[error("a cron expression has 6 or 7 fields, seconds first; this one has {fields}")]
    CronFieldCount {
        /// How many fields were found.
        fields: usize,
    },
    /// The `cron` crate refused the expression.
    #[error("invalid cron expression: {reason}")]
    CronSyntax {
        /// The parser's message.
        reason: String,
    },
    /// The cron expression names more than one second or minute, so it may fire more than hourly.
    #[error("a subscription's cron expression must name exactly one second and one minute")]
    CronTooFrequent,
    /// The time zone is not an IANA name known to the bundled database.
    #[error("unknown IANA time zone {name:?}")]
    UnknownTimeZone {
        /// The refused name.
        name: String,
    },
    /// The purchase day is outside `1..=max` (31 for month and year units, 7 for weeks).
    #[error("purchase day must be between 1 and {max}, not {day}")]
    PurchaseDayOutOfRange {
        /// The refused day.
        day: u8,
        /// The largest day the schedule's unit allows.
        max: u8,
    },
    /// A purchase day was given for a daily or cron schedule, which have no period to place it in.
    #[error("a purchase day applies only to week, month and year schedules")]
    PurchaseDayNotAllowed,
}

impl ScheduleError {
    /// A stable kebab-case code, e.g. `"unknown-time-zone"`.
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::EveryOutOfRange { .. } => "every-out-of-range",
            ScheduleError::Shape => "bad-schedule",
            ScheduleError::CronFieldCount { .. } => "cron-field-count",
            ScheduleError::CronSyntax { .. } => "cron-syntax",
            ScheduleError::CronTooFrequent => "cron-too-frequent",
            ScheduleError::UnknownTimeZone { .. } => "unknown-time-zone",
            ScheduleError::PurchaseDayOutOfRange { .. } => "purchase-day-out-of-range",
            ScheduleError::PurchaseDayNotAllowed => "purchase-day-not-allowed",
        }
    }

    /// The refusal as a field error of the API's subscription shape (`schedule.every`,
    /// `schedule.cron`, `timezone`, `purchaseDay`), for a 422 `details.fields` entry.
    pub fn to_field_error(&self) -> FieldError {
        match self {
            ScheduleError::EveryOutOfRange { .. } => Invalid::OutOfRange {
                min: 1,
                max: i64::from(Interval::MAX_EVERY),
            }
            .at("schedule.every"),
            ScheduleError::Shape => Invalid::BadFormat {
                expected: "{\"every\": N, \"unit\": \"day|week|month|year\"} or {\"cron\": \"...\"}",
            }
            .at("schedule"),
            ScheduleError::CronFieldCount { .. } | ScheduleError::CronSyntax { .. } => {
                Invalid::BadFormat {
                    expected: "a cron expression of 6 or 7 fields, seconds first",
                }
                .at("schedule.cron")
            }
            ScheduleError::CronTooFrequent => Invalid::BadFormat {
                expected: "a cron expression with one second and one minute value (at most hourly)",
            }
            .at("schedule.cron"),
            ScheduleError::UnknownTimeZone { .. } => Invalid::BadFormat {
                expected: "an IANA time zone name such as America/Sao_Paulo",
            }
            .at("timezone"),
            ScheduleError::PurchaseDayOutOfRange { max, .. } => Invalid::OutOfRange {
                min: 1,
                max: i64::from(*max),
            }
            .at("purchaseDay"),
            ScheduleError::PurchaseDayNotAllowed => Invalid::BadFormat {
                expected: "absent for daily and cron schedules",
            }
            .at("purchaseDay"),
        }
    }
}

/// The unit of an interval schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Calendar days in the subscription's time zone.
    Day,
    /// Seven calendar days.
    Week,
    /// Calendar months, the day clamped to the month's length.
    Month,
    /// Twelve calendar months.
    Year,
}

/// "Every N units": N in `1..=366`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    every: u32,
    unit: Unit,
}

impl Interval {
    /// The largest `every` accepted.
    pub const MAX_EVERY: u32 = 366;

    /// An interval of `every` units, refused outside `1..=366`.
    pub fn new(every: u32, unit: Unit) -> Result<Self, ScheduleError> {
        if (1..=Self::MAX_EVERY).contains(&every) {
            Ok(Interval { every, unit })
        } else {
            Err(ScheduleError::EveryOutOfRange { every })
        }
    }

    /// How many units between occurrences.
    pub fn every(&self) -> u32 {
        self.every
    }

    /// The unit.
    pub fn unit(&self) -> Unit {
        self.unit
    }
}

/// A cron expression, six or seven fields with seconds first, firing at most once an hour.
///
/// Parsed once; the parsed form is kept beside the source text, which is what serializes.
#[derive(Clone)]
pub struct CronExpr {
    source: String,
    // Shared: cloning a subscription must not copy the parsed field sets.
    parsed: Arc<cron::Schedule>,
}

impl CronExpr {
    /// Parses an expression such as `"0 0 9 * * MON"`.
    pub fn parse(source: &str) -> Result<Self, ScheduleError> {
        let fields = source.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(ScheduleError::CronFieldCount { fields });
        }
        let parsed = cron::Schedule::from_str(source).map_err(|e| ScheduleError::CronSyntax {
            reason: e.to_string(),
        })?;
        use cron::TimeUnitSpec as _;
        if parsed.seconds().count() != 1 || parsed.minutes().count() != 1 {
            return Err(ScheduleError::CronTooFrequent);
        }
        Ok(CronExpr {
            source: source.to_owned(),
            parsed: Arc::new(parsed),
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The first fire strictly after the wall-clock time `after` (in whole seconds).
    fn fires_after(&self, after: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + '_ {
        // Evaluated on UTC, which has no gaps or overlaps: the results are wall-clock times.
        self.parsed
            .after(&after.and_utc())
            .map(|fire| fire.naive_utc())
    }
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CronExpr").field(&self.source).finish()
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for CronExpr {}

impl TryFrom<String> for CronExpr {
    type Error = ScheduleError;

    fn try_from(source: String) -> Result<Self, Self::Error> {
        CronExpr::parse(&source)
    }
}

impl From<CronExpr> for String {
    fn from(cron: CronExpr) -> String {
        cron.source
    }
}

impl Serialize for CronExpr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for CronExpr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        CronExpr::parse(&source).map_err(serde::de::Error::custom)
    }
}

/// How often a subscription recurs. Serialized as `{"every": N, "unit": "month"}` or
/// `{"cron": "0 0 9 * * MON"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ScheduleRepr", into = "ScheduleRepr")]
pub enum Schedule {
    /// Every N days, weeks, months or years from the anchor.
    Every(Interval),
    /// The fires of a cron expression, in the subscription's local time.
    Cron(CronExpr),
}

impl Schedule {
    /// An interval schedule, refused when `every` is outside `1..=366`.
    pub fn every(every: u32, unit: Unit) -> Result<Self, ScheduleError> {
        Interval::new(every, unit).map(Schedule::Every)
    }

    /// A cron schedule (see [`CronExpr::parse`]).
    pub fn cron(source: &str) -> Result<Self, ScheduleError> {
        CronExpr::parse(source).map(Schedule::Cron)
    }
}

/// The wire shape of [`Schedule`]: one object, either half present.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    every: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cron: Option<String>,
}

impl TryFrom<ScheduleRepr> for Schedule {
    type Error = ScheduleError;

    fn try_from(repr: ScheduleRepr) -> Result<Self, Self::Error> {
        match (repr.every, repr.unit, repr.cron) {
            (Some(every), Some(unit), None) => Schedule::every(every, unit),
            (None, None, Some(cron)) => Schedule::cron(&cron),
            (Some(_) | None, Some(_) | None, Some(_) | None) => Err(ScheduleError::Shape),
        }
    }
}

impl From<Schedule> for ScheduleRepr {
    fn from(schedule: Schedule) -> Self {
        match schedule {
            Schedule::Every(interval) => ScheduleRepr {
                every: Some(interval.every),
                unit: Some(interval.unit),
                cron: None,
            },
            Schedule::Cron(cron) => ScheduleRepr {
                every: None,
                unit: None,
                cron: Some(cron.source),
            },
        }
    }
}

/// An IANA time zone (`America/Sao_Paulo`), serialized as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(Tz);

impl TimeZone {
    /// UTC.
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    /// Parses an IANA name such as `"Europe/Berlin"` (case-sensitive, as IANA spells it).
    pub fn parse(name: &str) -> Result<Self, ScheduleError> {
        Tz::from_str(name)
            .map(TimeZone)
            .map_err(|_| ScheduleError::UnknownTimeZone {
                name: name.to_owned(),
            })
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The `chrono-tz` zone.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// The wall-clock time of `instant` in this zone.
    pub fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.0).naive_local()
    }

    /// The instant of a wall-clock time: shifted forward by the gap's length when the time falls
    /// in a spring-forward gap, the earlier instant when it falls in a fall-back overlap.
    /// `None` only outside chrono's range of dates.
    pub fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.candidates(local).map(|(first, _)| first)
    }

    /// The instant(s) a wall-clock time may denote: the resolved instant and, in a fall-back
    /// overlap, the later one too.
    fn candidates(&self, local: NaiveDateTime) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        match self.0.from_local_datetime(&local) {
            MappedLocalTime::Single(at) => Some((at.to_utc(), None)),
            MappedLocalTime::Ambiguous(earlier, later) => {
                Some((earlier.to_utc(), Some(later.to_utc())))
            }
            MappedLocalTime::None => {
                // Read the wall clock with the offset in force before the gap: the instant lands
                // after the transition, `gap` later on the new wall clock. Zones never change
                // offset twice within a day, so a day earlier is safely before the gap.
                let before = local.checked_sub_signed(TimeDelta::days(1))?;
                let offset = self.0.offset_from_utc_datetime(&before).fix();
                let utc = local
                    .checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
                Some((utc.and_utc(), None))
            }
        }
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeZone {
    type Err = ScheduleError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        TimeZone::parse(name)
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// The day of its period on which a week, month or year cycle falls: a day of the month
/// (`1..=31`, clamped to the month's last day) or an ISO weekday (`1` = Monday … `7` = Sunday).
///
/// Whether the day fits the schedule's unit is checked by [`Recurrence::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct PurchaseDay(u8);

impl PurchaseDay {
    /// A purchase day, refused outside `1..=31`.
    pub fn new(day: u8) -> Result<Self, ScheduleError> {
        if (1..=31).contains(&day) {
            Ok(PurchaseDay(day))
        } else {
            Err(ScheduleError::PurchaseDayOutOfRange { day, max: 31 })
        }
    }

    /// The day number.
    pub fn get(&self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for PurchaseDay {
    type Error = ScheduleError;

    fn try_from(day: u8) -> Result<Self, Self::Error> {
        PurchaseDay::new(day)
    }
}

impl From<PurchaseDay> for u8 {
    fn from(day: PurchaseDay) -> u8 {
        day.0
    }
}

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

#[cfg(test)]
mod tests;
