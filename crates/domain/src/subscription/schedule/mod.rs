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
//! A [`CronExpr`] is read as crontab reads it: five fields (`minute hour day-of-month month
//! day-of-week`, at second 0), or six with seconds first, or seven with seconds first and a year
//! last. Day-of-week 0 and 7 are Sunday, names such as `MON-FRI` and `JAN` are accepted, and when
//! both day fields are given a day matches when either does (`0 9 1 * MON`: the 1st and every
//! Monday); see [`CronExpr`] for the whole syntax. It must name exactly one second and one
//! minute, so it fires at most once an hour: a subscription is a business cadence, and this
//! bounds the work of catching up after downtime. The expression is matched against the
//! subscription's *local* wall-clock time in its IANA [`TimeZone`] (`0 9 1 * *` in
//! America/Sao_Paulo is 09:00 in São Paulo on the 1st), and each matching local time is turned
//! into an instant by the same rule as interval schedules: a fire inside a spring-forward gap
//! happens at the shifted time (`30 2 * * *` in Europe/Berlin fires at 03:30 CEST on the last
//! Sunday of March), and a fire in the repeated fall-back hour happens once, at the earlier
//! instant. (The parser's own time-zone search would move a gap fire to the end of the gap,
//! 03:00, unlike interval schedules; so it is only asked about wall-clock times.) Occurrence 1 is
//! the first fire at or after the anchor; occurrence `k + 1` is the first fire whose local time
//! is later than occurrence `k`'s. Occurrence `k` of a cron schedule therefore costs `k` steps:
//! walk them with [`Recurrence::occurrences`] or from a known one with
//! [`Recurrence::occurrences_from`].

mod cron_expr;
mod recurrence;
mod zone;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use cron_expr::CronExpr;
pub use recurrence::{Occurrence, Occurrences, Recurrence};
pub use zone::TimeZone;

use crate::values::{FieldError, Invalid};

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
    /// The cron expression does not have five, six or seven whitespace-separated fields.
    #[error(
        "a cron expression has 5 fields (minute hour day-of-month month day-of-week), or 6 or 7 \
         with seconds first and a year last; this one has {fields}"
    )]
    CronFieldCount {
        /// How many fields were found.
        fields: usize,
    },
    /// The parser refused the expression.
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
                Invalid::BadFormat { expected: CRON_FORMAT }
                .at("schedule.cron")
            }
            ScheduleError::CronTooFrequent => Invalid::BadFormat {
                expected: "a cron expression naming one minute (and one second): at most hourly",
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

/// What a cron expression must be, as the API says it.
const CRON_FORMAT: &str = "a cron expression read in the subscription's timezone: 5 fields as \
    crontab (minute hour day-of-month month day-of-week, e.g. \"0 9 1 * *\"), or 6 or 7 with \
    seconds first and an optional year last";

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
