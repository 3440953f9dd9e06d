//! [`CronExpr`]: a parsed cron expression, evaluated on wall-clock times.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::ScheduleError;

/// A cron expression, six or seven fields with seconds first, firing at most once an hour.
///
/// Parsed once; the parsed form is kept beside the source text, which is what serializes.
#[derive(Clone)]
pub struct CronExpr {
    pub(super) source: String,
    // Shared: cloning a subscription must not copy the parsed field sets.
    pub(super) parsed: Arc<cron::Schedule>,
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
    pub(super) fn fires_after(
        &self,
        after: NaiveDateTime,
    ) -> impl Iterator<Item = NaiveDateTime> + '_ {
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
