//! Instants in time, exchanged as RFC 3339 text and always kept in UTC.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::Invalid;

/// An instant: parsed from RFC 3339 with any offset, kept and rendered in UTC
/// ("2026-11-23T01:00:00Z", fractional seconds only when non-zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses RFC 3339 text with any offset, e.g. "2026-11-22T22:00:00-03:00".
    pub fn parse(s: &str) -> Result<Timestamp, Invalid> {
        if s.is_empty() {
            return Err(Invalid::Empty);
        }
        DateTime::parse_from_rfc3339(s)
            .map(|dt| Timestamp(dt.with_timezone(&Utc)))
            .map_err(|_| Invalid::BadFormat {
                expected: "an RFC 3339 date and time, such as 2026-11-23T01:00:00Z",
            })
    }

    /// The instant of a chrono date-time.
    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Timestamp(dt)
    }

    /// The instant of a system time, to the millisecond (the epoch for one before it or out of
    /// range). The caller reads the clock: this crate does no I/O.
    pub fn from_system_time(t: SystemTime) -> Self {
        let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let millis = i64::try_from(since.as_millis()).unwrap_or(0);
        Timestamp(DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::UNIX_EPOCH))
    }

    /// The instant as a chrono date-time, for calendar arithmetic.
    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }

    /// The instant `s` seconds after 1970-01-01T00:00:00Z, or `None` outside chrono's range.
    pub fn from_unix_seconds(s: i64) -> Option<Self> {
        DateTime::from_timestamp(s, 0).map(Timestamp)
    }

    /// The instant `ms` milliseconds after 1970-01-01T00:00:00Z, or `None` outside chrono's
    /// range.
    pub fn from_unix_millis(ms: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(ms).map(Self::from_datetime)
    }

    /// Whole milliseconds since 1970-01-01T00:00:00Z (rounded down).
    pub fn unix_millis(self) -> i64 {
        self.as_datetime().timestamp_millis()
    }

    /// Whole seconds since 1970-01-01T00:00:00Z (rounded down).
    pub fn unix_seconds(self) -> i64 {
        self.0.timestamp()
    }

    /// The instant `d` later, or `None` outside chrono's range.
    pub fn checked_add(self, d: TimeDelta) -> Option<Self> {
        self.0.checked_add_signed(d).map(Timestamp)
    }

    /// The instant `d` earlier, or `None` outside chrono's range.
    pub fn checked_sub(self, d: TimeDelta) -> Option<Self> {
        self.0.checked_sub_signed(d).map(Timestamp)
    }

    /// RFC 3339 in UTC with a `Z`, e.g. "2026-11-23T01:00:00Z" or "2026-11-23T01:00:00.250Z".
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl TryFrom<String> for Timestamp {
    type Error = Invalid;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_rfc3339()
    }
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;
    use proptest::prelude::*;

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn any_offset_is_kept_as_utc() -> TestResult {
        let t = Timestamp::parse("2026-11-22T22:00:00-03:00")?;
        assert_eq!(t.to_rfc3339(), "2026-11-23T01:00:00Z");
        assert_eq!(t, Timestamp::parse("2026-11-23T01:00:00Z")?);
        assert_eq!(t, Timestamp::parse("2026-11-23T01:00:00+00:00")?);
        assert_eq!(t.to_string(), "2026-11-23T01:00:00Z");
        Ok(())
    }

    #[test]
    fn fractional_seconds_appear_only_when_present() -> TestResult {
        assert_eq!(
            Timestamp::parse("2026-11-23T01:00:00.000Z")?.to_rfc3339(),
            "2026-11-23T01:00:00Z"
        );
        assert_eq!(
            Timestamp::parse("2026-11-23T01:00:00.25Z")?.to_rfc3339(),
            "2026-11-23T01:00:00.250Z"
        );
        assert_eq!(
            Timestamp::parse("2026-11-23T01:00:00.000001Z")?.to_rfc3339(),
            "2026-11-23T01:00:00.000001Z"
        );
        Ok(())
    }

    #[test]
    fn a_system_time_is_kept_to_the_millisecond_and_never_before_the_epoch() {
        let t = UNIX_EPOCH + std::time::Duration::from_nanos(1_795_395_600_250_999_999);
        assert_eq!(
            Timestamp::from_system_time(t).to_rfc3339(),
            "2026-11-23T01:00:00.250Z"
        );
        let before = UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert_eq!(
            Timestamp::from_system_time(before).to_rfc3339(),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn text_that_is_not_rfc_3339_is_refused() {
        for bad in [
            "2026-11-23",
            "2026-11-23T01:00:00",
            "2026-11-23 01:00",
            "23/11/2026 01:00",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "1700000000",
        ] {
            assert!(
                matches!(Timestamp::parse(bad), Err(Invalid::BadFormat { .. })),
                "{bad}"
            );
        }
        assert_eq!(Timestamp::parse(""), Err(Invalid::Empty));
    }

    #[test]
    fn unix_seconds_and_deltas_convert_both_ways() -> TestResult {
        let t = Timestamp::from_unix_seconds(1_795_395_600).ok_or("in range")?;
        assert_eq!(t.to_rfc3339(), "2026-11-23T01:00:00Z");
        assert_eq!(t.unix_seconds(), 1_795_395_600);
        let later = t.checked_add(TimeDelta::days(3)).ok_or("in range")?;
        assert_eq!(later.to_rfc3339(), "2026-11-26T01:00:00Z");
        assert_eq!(later.checked_sub(TimeDelta::days(3)), Some(t));
        assert!(t < later);
        assert_eq!(Timestamp::from_unix_seconds(i64::MAX), None);
        assert_eq!(t.checked_add(TimeDelta::MAX), None);
        assert_eq!(Timestamp::from_datetime(t.as_datetime()), t);
        Ok(())
    }

    #[test]
    fn a_timestamp_is_a_json_string_and_a_stored_bad_one_is_refused() -> TestResult {
        let t = Timestamp::parse("2026-11-23T01:00:00.5-03:00")?;
        let json = serde_json::to_string(&t)?;
        assert_eq!(json, "\"2026-11-23T04:00:00.500Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json)?, t);
        assert!(serde_json::from_str::<Timestamp>("\"2026-11-23\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("1795395600").is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn parse_render_parse_round_trips(
            // Years 0001..=9999, the range RFC 3339 can write.
            secs in -62_135_596_800i64..253_402_300_799,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1000).prop_map(|ms| ms * 1_000_000)],
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59),
        ) {
            let utc = DateTime::from_timestamp(secs, nanos).ok_or_else(|| TestCaseError::fail("in range"))?;
            let offset = FixedOffset::east_opt(offset_minutes * 60).ok_or_else(|| TestCaseError::fail("offset"))?;
            let local = utc.with_timezone(&offset).to_rfc3339();
            let parsed = Timestamp::parse(&local).map_err(|e| TestCaseError::fail(format!("{local}: {e}")))?;
            prop_assert_eq!(parsed.as_datetime(), utc);
            let text = parsed.to_rfc3339();
            prop_assert!(text.ends_with('Z'));
            prop_assert_eq!(Timestamp::parse(&text), Ok(parsed));
            let json = serde_json::to_string(&parsed).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).ok(), Some(parsed));
        }
    }
}
