//! [`TimeZone`]: an IANA zone, and how a wall-clock time becomes an instant (gaps shifted
//! forward, overlaps read as the earlier instant).

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, MappedLocalTime, NaiveDateTime, Offset as _, TimeDelta, TimeZone as _, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ScheduleError;

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
    pub(super) fn candidates(
        &self,
        local: NaiveDateTime,
    ) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
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
