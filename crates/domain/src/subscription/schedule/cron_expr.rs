//! [`CronExpr`]: a cron expression read as crontab reads it, evaluated on wall-clock times.

use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDateTime, Timelike as _};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use super::ScheduleError;

/// A cron expression as crontab reads it, firing at most once an hour.
///
/// - Five fields, `minute hour day-of-month month day-of-week` (crontab; the second is 0), six
///   with seconds first, or seven with seconds first and a year last; or one of the nicknames
///   `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` (`@annually`).
/// - Each field takes `*`, numbers, lists `1,15`, ranges `1-5` and steps `*/2`; day-of-month and
///   day-of-week also take `?` (any). Months are 1-12 or `JAN`-`DEC`, days of the week 0-7 or
///   `SUN`-`SAT` (0 and 7 are Sunday), names in any case. Day-of-month also takes `L` (the last
///   day) and `15W` (the weekday nearest the 15th); day-of-week `5L` (the last Friday) and `1#2`
///   (the second Monday).
/// - When both day-of-month and day-of-week are given (neither is `*` or `?`), a day matches when
///   **either** matches, as in crontab: `0 9 1 * MON` fires on the 1st and on every Monday. With
///   one of them `*` or `?`, only the other counts.
///
/// Parsed by `croner`, the parser Spin's cron trigger uses (there with seconds required and both
/// day fields required to match). The `cron` crate reads expressions differently (day-of-week 1
/// is Sunday, and both day fields must match), so it is not used for schedules.
///
/// Parsed once; the parsed form is kept beside the source text, which is what serializes.
#[derive(Clone)]
pub struct CronExpr {
    pub(super) source: String,
    // Shared: cloning a subscription must not copy the parsed pattern.
    pub(super) parsed: Arc<Cron>,
}

/// The crontab reading described on [`CronExpr`].
fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Optional)
        .dom_and_dow(false)
        .build()
}

impl CronExpr {
    /// Parses an expression such as `"0 9 * * MON"` or `"0 0 9 * * MON"`.
    pub fn parse(source: &str) -> Result<Self, ScheduleError> {
        let fields = source.split_whitespace().count();
        let nickname = fields == 1 && source.trim_start().starts_with('@');
        if !nickname && !(5..=7).contains(&fields) {
            return Err(ScheduleError::CronFieldCount { fields });
        }
        let parsed = parser()
            .parse(source)
            .map_err(|e| ScheduleError::CronSyntax {
                reason: e.to_string(),
            })?;
        let pattern = &parsed.pattern;
        let seconds = (0..60).filter(|&s| pattern.second_match(s).unwrap_or(false));
        let minutes = (0..60).filter(|&m| pattern.minute_match(m).unwrap_or(false));
        if seconds.count() != 1 || minutes.count() != 1 {
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

    /// Whether the wall-clock time `local` (to the second) is a fire.
    pub fn matches(&self, local: NaiveDateTime) -> bool {
        self.parsed
            .is_time_matching(&local.and_utc())
            .unwrap_or(false)
    }

    /// The fires strictly after the wall-clock time `after`, in order, as wall-clock times in
    /// whole seconds. Ends where the expression stops firing (a year field) or past year 5000.
    pub(super) fn fires_after(
        &self,
        after: NaiveDateTime,
    ) -> impl Iterator<Item = NaiveDateTime> + '_ {
        // Fires are whole seconds: strictly after `after` is strictly after its whole second.
        let mut from = after.with_nanosecond(0).map(|t| t.and_utc());
        // Evaluated on UTC, which has no gaps or overlaps: the results are wall-clock times.
        std::iter::from_fn(move || {
            let fire = self.parsed.find_next_occurrence(&from?, false).ok();
            from = fire;
            fire.map(|fire| fire.naive_utc())
        })
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
