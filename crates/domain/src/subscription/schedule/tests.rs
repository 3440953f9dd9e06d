//! Known dates and properties of schedules: anchoring, clamping, purchase days, DST, cron.

use chrono::{
    DateTime, Datelike as _, MappedLocalTime, Months, NaiveDate, NaiveDateTime, Offset as _,
    TimeDelta, TimeZone as _, Timelike as _, Utc,
};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;
use crate::values::Timestamp;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn at(s: &str) -> Result<Timestamp, Invalid> {
    Timestamp::parse(s)
}

fn zone(name: &str) -> Result<TimeZone, ScheduleError> {
    TimeZone::parse(name)
}

fn every(
    n: u32,
    unit: Unit,
    tz: &str,
    anchor: &str,
) -> Result<Recurrence, Box<dyn std::error::Error>> {
    Ok(Recurrence::new(
        Schedule::every(n, unit)?,
        None,
        zone(tz)?,
        at(anchor)?,
    )?)
}

/// The first `n` occurrences as RFC 3339 text in the recurrence's own zone.
fn local_texts(r: &Recurrence, n: usize) -> Vec<String> {
    r.occurrences()
        .take(n)
        .map(|o| {
            o.at.as_datetime()
                .with_timezone(&r.timezone().tz())
                .to_rfc3339()
        })
        .collect()
}

#[test]
fn a_monthly_plan_started_on_january_31_clamps_to_each_month_end_without_drifting() -> TestResult {
    let r = every(
        1,
        Unit::Month,
        "America/Sao_Paulo",
        "2025-01-31T09:00:00-03:00",
    )?;
    assert_eq!(
        local_texts(&r, 6),
        [
            "2025-01-31T09:00:00-03:00",
            "2025-02-28T09:00:00-03:00",
            "2025-03-31T09:00:00-03:00",
            "2025-04-30T09:00:00-03:00",
            "2025-05-31T09:00:00-03:00",
            "2025-06-30T09:00:00-03:00",
        ]
    );
    Ok(())
}

#[test]
fn a_monthly_plan_started_on_january_31_of_a_leap_year_runs_on_february_29() -> TestResult {
    let r = every(1, Unit::Month, "UTC", "2024-01-31T12:00:00Z")?;
    assert_eq!(
        local_texts(&r, 4),
        [
            "2024-01-31T12:00:00+00:00",
            "2024-02-29T12:00:00+00:00",
            "2024-03-31T12:00:00+00:00",
            "2024-04-30T12:00:00+00:00",
        ]
    );
    Ok(())
}

#[test]
fn a_yearly_plan_from_february_29_falls_on_february_28_except_in_leap_years() -> TestResult {
    let r = every(1, Unit::Year, "UTC", "2024-02-29T08:00:00Z")?;
    assert_eq!(
        local_texts(&r, 5),
        [
            "2024-02-29T08:00:00+00:00",
            "2025-02-28T08:00:00+00:00",
            "2026-02-28T08:00:00+00:00",
            "2027-02-28T08:00:00+00:00",
            "2028-02-29T08:00:00+00:00",
        ]
    );
    Ok(())
}

#[test]
fn a_weekly_plan_keeps_its_local_time_across_sao_paulos_2018_and_2019_dst_changes() -> TestResult {
    // DST began 2018-11-04 at 00:00 (clocks to 01:00): Sunday 00:30 did not exist and moves
    // forward by the hour, to 01:30 -02:00. The week after is back at 00:30.
    let r = every(
        1,
        Unit::Week,
        "America/Sao_Paulo",
        "2018-10-28T00:30:00-03:00",
    )?;
    assert_eq!(
        local_texts(&r, 3),
        [
            "2018-10-28T00:30:00-03:00",
            "2018-11-04T01:30:00-02:00",
            "2018-11-11T00:30:00-02:00",
        ]
    );
    // DST ended 2019-02-17 at 00:00 (clocks back to 2019-02-16 23:00): Saturday 23:30 happened
    // twice and the earlier instant (-02:00) is taken.
    let r = every(
        1,
        Unit::Week,
        "America/Sao_Paulo",
        "2019-02-09T23:30:00-02:00",
    )?;
    assert_eq!(
        local_texts(&r, 3),
        [
            "2019-02-09T23:30:00-02:00",
            "2019-02-16T23:30:00-02:00",
            "2019-02-23T23:30:00-03:00",
        ]
    );
    Ok(())
}

#[test]
fn a_daily_plan_at_2_30_in_berlin_runs_at_3_30_on_spring_forward_and_once_on_fall_back()
-> TestResult {
    let r = every(1, Unit::Day, "Europe/Berlin", "2025-03-29T02:30:00+01:00")?;
    assert_eq!(
        local_texts(&r, 3),
        [
            "2025-03-29T02:30:00+01:00",
            "2025-03-30T03:30:00+02:00",
            "2025-03-31T02:30:00+02:00",
        ]
    );
    let r = every(1, Unit::Day, "Europe/Berlin", "2025-10-25T02:30:00+02:00")?;
    assert_eq!(
        local_texts(&r, 3),
        [
            "2025-10-25T02:30:00+02:00",
            "2025-10-26T02:30:00+02:00",
            "2025-10-27T02:30:00+01:00",
        ]
    );
    Ok(())
}

#[test]
fn the_purchase_day_places_cycles_after_the_first_in_later_periods() -> TestResult {
    let case = |unit, day, anchor: &str| -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let r = Recurrence::new(
            Schedule::every(1, unit)?,
            Some(PurchaseDay::new(day)?),
            TimeZone::UTC,
            at(anchor)?,
        )?;
        Ok(r.occurrences()
            .take(4)
            .map(|o| o.at.as_datetime().format("%a %Y-%m-%d %H:%M").to_string())
            .collect())
    };
    assert_eq!(
        case(Unit::Month, 5, "2025-01-20T10:00:00Z")?,
        [
            "Mon 2025-01-20 10:00",
            "Wed 2025-02-05 10:00",
            "Wed 2025-03-05 10:00",
            "Sat 2025-04-05 10:00"
        ]
    );
    assert_eq!(
        case(Unit::Month, 5, "2025-01-03T10:00:00Z")?,
        [
            "Fri 2025-01-03 10:00",
            "Wed 2025-02-05 10:00",
            "Wed 2025-03-05 10:00",
            "Sat 2025-04-05 10:00"
        ]
    );
    assert_eq!(
        case(Unit::Month, 31, "2025-01-10T10:00:00Z")?,
        [
            "Fri 2025-01-10 10:00",
            "Fri 2025-02-28 10:00",
            "Mon 2025-03-31 10:00",
            "Wed 2025-04-30 10:00"
        ]
    );
    assert_eq!(
        case(Unit::Week, 1, "2025-01-01T10:00:00Z")?,
        [
            "Wed 2025-01-01 10:00",
            "Mon 2025-01-06 10:00",
            "Mon 2025-01-13 10:00",
            "Mon 2025-01-20 10:00"
        ]
    );
    assert_eq!(
        case(Unit::Week, 5, "2025-01-01T10:00:00Z")?,
        [
            "Wed 2025-01-01 10:00",
            "Fri 2025-01-10 10:00",
            "Fri 2025-01-17 10:00",
            "Fri 2025-01-24 10:00"
        ]
    );
    assert_eq!(
        case(Unit::Year, 29, "2023-02-10T10:00:00Z")?,
        [
            "Fri 2023-02-10 10:00",
            "Thu 2024-02-29 10:00",
            "Fri 2025-02-28 10:00",
            "Sat 2026-02-28 10:00"
        ]
    );
    Ok(())
}

#[test]
fn a_purchase_day_is_refused_for_daily_and_cron_schedules_and_past_sunday_for_weeks() -> TestResult
{
    let day = |d| PurchaseDay::new(d);
    let anchor = at("2025-01-01T00:00:00Z")?;
    let daily = Recurrence::new(
        Schedule::every(1, Unit::Day)?,
        Some(day(1)?),
        TimeZone::UTC,
        anchor,
    );
    assert_eq!(daily, Err(ScheduleError::PurchaseDayNotAllowed));
    let cron = Recurrence::new(
        Schedule::cron("0 0 9 * * *")?,
        Some(day(1)?),
        TimeZone::UTC,
        anchor,
    );
    assert_eq!(cron, Err(ScheduleError::PurchaseDayNotAllowed));
    let weekly = Recurrence::new(
        Schedule::every(1, Unit::Week)?,
        Some(day(8)?),
        TimeZone::UTC,
        anchor,
    );
    assert_eq!(
        weekly,
        Err(ScheduleError::PurchaseDayOutOfRange { day: 8, max: 7 })
    );
    assert_eq!(
        day(0),
        Err(ScheduleError::PurchaseDayOutOfRange { day: 0, max: 31 })
    );
    assert_eq!(
        day(32),
        Err(ScheduleError::PurchaseDayOutOfRange { day: 32, max: 31 })
    );
    assert_eq!(
        ScheduleError::PurchaseDayNotAllowed
            .to_field_error()
            .field(),
        "purchaseDay"
    );
    Ok(())
}

#[test]
fn every_is_refused_outside_1_to_366() {
    assert_eq!(
        Interval::new(0, Unit::Day),
        Err(ScheduleError::EveryOutOfRange { every: 0 })
    );
    assert_eq!(
        Interval::new(367, Unit::Week),
        Err(ScheduleError::EveryOutOfRange { every: 367 })
    );
    assert!(Interval::new(366, Unit::Day).is_ok());
    assert_eq!(
        ScheduleError::EveryOutOfRange { every: 0 }
            .to_field_error()
            .code(),
        "out-of-range"
    );
}

#[test]
fn a_cron_expression_has_five_six_or_seven_fields_and_fires_at_most_hourly() {
    for good in [
        "0 9 1 * *",
        "0 0 9 * * MON",
        "0 30 8 1 * * 2030",
        "@daily",
        "@monthly",
        "15 10 L * ?",
        "0 9 ? * 1#2",
    ] {
        assert!(CronExpr::parse(good).is_ok(), "{good}");
    }
    for (bad, fields) in [
        ("0 9 * *", 4),
        ("0 0 9 1 1 * 2030 x", 8),
        ("", 0),
        ("every day", 2),
    ] {
        assert_eq!(
            CronExpr::parse(bad).map(|c| c.to_string()),
            Err(ScheduleError::CronFieldCount { fields }),
            "{bad}"
        );
    }
    for too_frequent in [
        "*/5 * * * *",
        "0 */5 * * * *",
        "* 0 9 * * *",
        "0,30 9 * * *",
    ] {
        assert_eq!(
            CronExpr::parse(too_frequent).map(|c| c.to_string()),
            Err(ScheduleError::CronTooFrequent),
            "{too_frequent}"
        );
    }
    for bad in [
        "0 25 * * *",
        "0 9 32 * *",
        "0 9 * 13 *",
        "0 9 * * 8",
        "0 9 * * MONDAY",
        "@reboot",
    ] {
        assert!(
            matches!(CronExpr::parse(bad), Err(ScheduleError::CronSyntax { .. })),
            "{bad}"
        );
    }
}

#[test]
fn a_bad_cron_expression_is_refused_at_schedule_cron_saying_how_it_is_read() {
    let error = ScheduleError::CronFieldCount { fields: 2 }.to_field_error();
    assert_eq!(error.field(), "schedule.cron");
    let message = error.to_string();
    for words in [
        "5 fields",
        "crontab",
        "0 9 1 * *",
        "6 or 7",
        "seconds first",
        "timezone",
    ] {
        assert!(message.contains(words), "{message}");
    }
}

/// The local fires of a cron schedule in `tz` from `anchor`, as `YYYY-MM-DD HH:MM:SS`.
fn cron_fires(
    expr: &str,
    tz: &str,
    anchor: &str,
    n: usize,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let r = Recurrence::new(Schedule::cron(expr)?, None, zone(tz)?, at(anchor)?)?;
    Ok(r.occurrences()
        .take(n)
        .map(|o| r.timezone().local(o.at.as_datetime()).to_string())
        .collect())
}

#[test]
fn a_five_field_cron_is_crontab_read_at_second_zero_in_the_subscriptions_zone() -> TestResult {
    // 09:00 on the 1st of each month in São Paulo (UTC-3 since 2019): 12:00Z.
    let r = Recurrence::new(
        Schedule::cron("0 9 1 * *")?,
        None,
        zone("America/Sao_Paulo")?,
        at("2028-01-15T00:00:00Z")?,
    )?;
    let fires: Vec<String> = r.occurrences().take(3).map(|o| o.at.to_string()).collect();
    assert_eq!(
        fires,
        [
            "2028-02-01T12:00:00Z",
            "2028-03-01T12:00:00Z",
            "2028-04-01T12:00:00Z"
        ]
    );
    // The same expression with seconds first, and with a year, fires at the same instants.
    assert_eq!(
        cron_fires(
            "0 0 9 1 * *",
            "America/Sao_Paulo",
            "2028-01-15T00:00:00Z",
            3
        )?,
        cron_fires("0 9 1 * *", "America/Sao_Paulo", "2028-01-15T00:00:00Z", 3)?
    );
    assert_eq!(
        cron_fires("0 0 9 1 * * 2028", "UTC", "2028-10-15T00:00:00Z", 5)?,
        ["2028-11-01 09:00:00", "2028-12-01 09:00:00"]
    );
    Ok(())
}

#[test]
fn cron_days_of_week_run_from_sunday_0_to_sunday_7_and_take_names() -> TestResult {
    // 2028-01-02 is a Sunday.
    let sundays = ["2028-01-02 08:00:00", "2028-01-09 08:00:00"];
    for expr in [
        "0 8 * * 0",
        "0 8 * * 7",
        "0 8 * * SUN",
        "0 8 * * sun",
        "0 0 8 * * SUN",
    ] {
        assert_eq!(
            cron_fires(expr, "UTC", "2028-01-01T00:00:00Z", 2)?,
            sundays,
            "{expr}"
        );
    }
    assert_eq!(
        cron_fires("0 8 * * 1-5", "UTC", "2028-01-01T00:00:00Z", 6)?,
        cron_fires("0 8 * * MON-FRI", "UTC", "2028-01-01T00:00:00Z", 6)?
    );
    assert_eq!(
        cron_fires("0 8 * * 5-7", "UTC", "2028-01-01T00:00:00Z", 4)?,
        [
            "2028-01-01 08:00:00",
            "2028-01-02 08:00:00",
            "2028-01-07 08:00:00",
            "2028-01-08 08:00:00"
        ]
    );
    assert_eq!(
        cron_fires("0 8 1 JAN,jul *", "UTC", "2028-01-02T00:00:00Z", 2)?,
        ["2028-07-01 08:00:00", "2029-01-01 08:00:00"]
    );
    Ok(())
}

#[test]
fn cron_day_of_month_and_day_of_week_together_match_either_as_in_crontab() -> TestResult {
    // The 13th, and every Friday: 2028-10-06 and 2028-10-13 (a Friday 13th, once), 2028-10-20.
    assert_eq!(
        cron_fires("0 12 13 * FRI", "UTC", "2028-10-01T00:00:00Z", 5)?,
        [
            "2028-10-06 12:00:00",
            "2028-10-13 12:00:00",
            "2028-10-20 12:00:00",
            "2028-10-27 12:00:00",
            "2028-11-03 12:00:00"
        ]
    );
    // With one of them `*` or `?`, only the other counts.
    assert_eq!(
        cron_fires("0 12 13 * *", "UTC", "2028-10-01T00:00:00Z", 2)?,
        ["2028-10-13 12:00:00", "2028-11-13 12:00:00"]
    );
    assert_eq!(
        cron_fires("0 12 ? * FRI", "UTC", "2028-10-01T00:00:00Z", 2)?,
        ["2028-10-06 12:00:00", "2028-10-13 12:00:00"]
    );
    Ok(())
}

#[test]
fn a_schedule_is_every_and_unit_or_cron_in_json() -> TestResult {
    let monthly: Schedule = serde_json::from_str(r#"{"every": 2, "unit": "month"}"#)?;
    assert_eq!(monthly, Schedule::every(2, Unit::Month)?);
    assert_eq!(
        serde_json::to_string(&monthly)?,
        r#"{"every":2,"unit":"month"}"#
    );
    let cron: Schedule = serde_json::from_str(r#"{"cron": "0 0 9 * * MON"}"#)?;
    assert_eq!(serde_json::to_string(&cron)?, r#"{"cron":"0 0 9 * * MON"}"#);
    for bad in [
        r#"{"every": 0, "unit": "day"}"#,
        r#"{"every": 1}"#,
        r#"{"every": 1, "unit": "hour"}"#,
        r#"{"every": 1, "unit": "day", "cron": "0 0 9 * * *"}"#,
        r#"{"cron": "9 * * *"}"#,
        r#"{}"#,
        r#"{"every": 1, "unit": "day", "extra": true}"#,
    ] {
        assert!(serde_json::from_str::<Schedule>(bad).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn a_time_zone_is_its_iana_name_in_json_and_an_unknown_name_is_refused() -> TestResult {
    let tz: TimeZone = serde_json::from_str(r#""America/Sao_Paulo""#)?;
    assert_eq!(tz.name(), "America/Sao_Paulo");
    assert_eq!(serde_json::to_string(&tz)?, r#""America/Sao_Paulo""#);
    assert!(serde_json::from_str::<TimeZone>(r#""Mars/Olympus""#).is_err());
    assert_eq!(
        TimeZone::parse("Mars/Olympus"),
        Err(ScheduleError::UnknownTimeZone {
            name: "Mars/Olympus".into()
        })
    );
    Ok(())
}

#[test]
fn a_cron_schedule_fires_in_local_time_from_the_first_fire_at_or_after_the_anchor() -> TestResult {
    let r = Recurrence::new(
        Schedule::cron("0 0 9 * * MON")?,
        None,
        zone("America/Sao_Paulo")?,
        at("2025-01-06T12:00:00Z")?, // Monday 09:00 local: the first fire is the anchor itself
    )?;
    assert_eq!(
        local_texts(&r, 3),
        [
            "2025-01-06T09:00:00-03:00",
            "2025-01-13T09:00:00-03:00",
            "2025-01-20T09:00:00-03:00",
        ]
    );
    let later = r.reanchored(at("2025-01-06T12:00:01Z")?);
    assert_eq!(
        later.first().map(|o| o.at),
        Some(at("2025-01-13T12:00:00Z")?)
    );
    Ok(())
}

#[test]
fn a_cron_fire_in_berlins_spring_gap_is_shifted_and_one_in_the_fall_overlap_happens_once()
-> TestResult {
    let berlin = zone("Europe/Berlin")?;
    let r = Recurrence::new(
        Schedule::cron("0 30 2 * * *")?,
        None,
        berlin,
        at("2025-03-29T00:00:00Z")?,
    )?;
    assert_eq!(
        local_texts(&r, 3),
        [
            "2025-03-29T02:30:00+01:00",
            "2025-03-30T03:30:00+02:00",
            "2025-03-31T02:30:00+02:00",
        ]
    );
    let r = r.reanchored(at("2025-10-25T00:00:00Z")?);
    assert_eq!(
        local_texts(&r, 3),
        [
            "2025-10-25T02:30:00+02:00",
            "2025-10-26T02:30:00+02:00",
            "2025-10-27T02:30:00+01:00",
        ]
    );
    // Hourly: the repeated hour fires once, the skipped hour's fire lands at 03:00.
    let hourly = Recurrence::new(
        Schedule::cron("0 0 * * * *")?,
        None,
        berlin,
        at("2025-10-26T00:00:00+02:00")?,
    )?;
    assert_eq!(
        local_texts(&hourly, 5),
        [
            "2025-10-26T00:00:00+02:00",
            "2025-10-26T01:00:00+02:00",
            "2025-10-26T02:00:00+02:00",
            "2025-10-26T03:00:00+01:00",
            "2025-10-26T04:00:00+01:00",
        ]
    );
    let hourly = hourly.reanchored(at("2025-03-30T01:00:00+01:00")?);
    assert_eq!(
        local_texts(&hourly, 3),
        [
            "2025-03-30T01:00:00+01:00",
            "2025-03-30T03:00:00+02:00",
            "2025-03-30T04:00:00+02:00",
        ]
    );
    Ok(())
}

#[test]
fn the_parser_alone_would_move_a_spring_gap_fire_to_the_end_of_the_gap() -> TestResult {
    // Why cron schedules are evaluated on wall-clock time and resolved by our own rule, the one
    // interval schedules follow (02:30 in a one-hour gap is 03:30).
    let cron = CronExpr::parse("0 30 2 * * *")?;
    let berlin = chrono_tz::Europe::Berlin;
    let spring = cron
        .parsed
        .find_next_occurrence(
            &berlin
                .with_ymd_and_hms(2025, 3, 30, 0, 0, 0)
                .single()
                .ok_or("valid")?,
            false,
        )?
        .to_rfc3339();
    assert_eq!(spring, "2025-03-30T03:00:00+02:00");
    let ours = Recurrence::new(
        Schedule::Cron(cron),
        None,
        zone("Europe/Berlin")?,
        at("2025-03-29T23:00:00Z")?,
    )?;
    assert_eq!(
        ours.first().map(|o| o.at.to_string()),
        Some("2025-03-30T01:30:00Z".to_owned())
    );
    Ok(())
}

#[test]
fn a_cron_expression_limited_to_a_past_year_has_no_occurrence() -> TestResult {
    let r = Recurrence::new(
        Schedule::cron("0 0 9 1 1 * 2020")?,
        None,
        TimeZone::UTC,
        at("2025-01-01T00:00:00Z")?,
    )?;
    assert_eq!(r.first(), None);
    assert_eq!(r.next_after(at("2019-01-01T00:00:00Z")?), None);
    Ok(())
}

#[test]
fn next_after_and_occurrences_after_start_strictly_after_the_instant() -> TestResult {
    let r = every(1, Unit::Week, "UTC", "2025-01-01T10:00:00Z")?;
    let next = r.next_after(at("2025-01-15T10:00:00Z")?);
    assert_eq!(
        next.map(|o| (o.index, o.at)),
        Some((4, at("2025-01-22T10:00:00Z")?))
    );
    let before = r.next_after(at("2024-06-01T00:00:00Z")?);
    assert_eq!(before.map(|o| o.index), Some(1));
    let after: Vec<u32> = r
        .occurrences_after(at("2025-01-15T09:59:59Z")?)
        .take(2)
        .map(|o| o.index)
        .collect();
    assert_eq!(after, [3, 4]);
    assert_eq!(r.nth(0), None);
    assert_eq!(r.nth(u32::MAX), None);
    Ok(())
}

#[test]
fn the_recurrence_serializes_flat_with_its_anchor() -> TestResult {
    let r = Recurrence::new(
        Schedule::every(1, Unit::Month)?,
        Some(PurchaseDay::new(10)?),
        zone("America/Sao_Paulo")?,
        at("2025-01-31T12:00:00Z")?,
    )?;
    let json = serde_json::to_value(&r)?;
    assert_eq!(
        json,
        serde_json::json!({
            "schedule": {"every": 1, "unit": "month"},
            "purchaseDay": 10,
            "timezone": "America/Sao_Paulo",
            "anchorAt": "2025-01-31T12:00:00Z",
        })
    );
    assert_eq!(serde_json::from_value::<Recurrence>(json)?, r);
    let daily_with_day = serde_json::json!({
        "schedule": {"every": 1, "unit": "day"},
        "purchaseDay": 10,
        "timezone": "UTC",
        "anchorAt": "2025-01-31T12:00:00Z",
    });
    assert!(serde_json::from_value::<Recurrence>(daily_with_day).is_err());
    Ok(())
}

// ---- properties ----

const ZONES: &[&str] = &[
    "UTC",
    "America/Sao_Paulo",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe", // a 30-minute DST shift
    "Asia/Kolkata",
];

fn unit() -> impl Strategy<Value = Unit> {
    prop_oneof![
        Just(Unit::Day),
        Just(Unit::Week),
        Just(Unit::Month),
        Just(Unit::Year)
    ]
}

/// Instants from 1990 to 2040, on whole minutes or with sub-seconds.
fn instant() -> impl Strategy<Value = Timestamp> {
    (
        631_152_000i64..2_208_988_800,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
    )
        .prop_filter_map("in range", |(secs, nanos)| {
            DateTime::from_timestamp(secs - secs % 60, nanos).map(Timestamp::from_datetime)
        })
}

fn recurrence() -> impl Strategy<Value = Recurrence> {
    (
        1u32..=12,
        unit(),
        proptest::option::of(1u8..=31),
        proptest::sample::select(ZONES),
        instant(),
    )
        .prop_filter_map("purchase day fits", |(n, unit, day, tz, anchor)| {
            let day = day.map(PurchaseDay::new).transpose().ok()?;
            Recurrence::new(Schedule::every(n, unit).ok()?, day, zone(tz).ok()?, anchor).ok()
        })
}

/// What a wall-clock time must resolve to: itself if it exists once, its earlier instant in an
/// overlap, and in a gap the instant whose wall clock is the time plus the gap.
fn expected_instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(t) => Some(t.to_utc()),
        MappedLocalTime::Ambiguous(earlier, _) => Some(earlier.to_utc()),
        MappedLocalTime::None => {
            let before = tz
                .offset_from_utc_datetime(&(local - TimeDelta::days(1)))
                .fix()
                .local_minus_utc();
            let after = tz
                .offset_from_utc_datetime(&(local + TimeDelta::days(1)))
                .fix()
                .local_minus_utc();
            let shifted = local + TimeDelta::seconds(i64::from(after - before));
            match tz.from_local_datetime(&shifted) {
                MappedLocalTime::Single(t) => Some(t.to_utc()),
                MappedLocalTime::Ambiguous(_, _) | MappedLocalTime::None => None,
            }
        }
    }
}

proptest! {
    #[test]
    fn interval_occurrences_strictly_increase_and_nth_matches_the_walk(r in recurrence()) {
        let walked: Vec<Occurrence> = r.occurrences().take(60).collect();
        prop_assert_eq!(walked.len(), 60);
        for pair in walked.windows(2) {
            prop_assert!(pair[0].at < pair[1].at, "{:?}", pair);
            prop_assert_eq!(pair[0].index + 1, pair[1].index);
        }
        for o in &walked {
            prop_assert_eq!(r.nth(o.index), Some(*o));
        }
    }

    #[test]
    fn monthly_plans_from_days_28_to_31_stay_anchored_for_ten_years(
        day in 28u32..=31,
        month in 1u32..=12,
        year in 2000i32..2030,
        hour in 0u32..24,
        minute in 0u32..60,
        tz in proptest::sample::select(ZONES),
    ) {
        let tz = zone(tz).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else {
            return Ok(()); // Feb 30 and friends are not anchors
        };
        let local = date.and_hms_opt(hour, minute, 0).ok_or_else(|| TestCaseError::fail("time"))?;
        let anchor = tz.resolve(local).ok_or_else(|| TestCaseError::fail("anchor"))?;
        let wall = tz.local(anchor);
        let r = Recurrence::new(
            Schedule::every(1, Unit::Month).map_err(|e| TestCaseError::fail(e.to_string()))?,
            None,
            tz,
            Timestamp::from_datetime(anchor),
        ).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for o in r.occurrences().take(120) {
            let months = o.index - 1;
            let first = wall.date().with_day(1).ok_or_else(|| TestCaseError::fail("day 1"))?;
            let month_start = first.checked_add_months(Months::new(months)).ok_or_else(|| TestCaseError::fail("month"))?;
            let length = month_start.checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt()).map(|d| d.day()).ok_or_else(|| TestCaseError::fail("length"))?;
            let expected_date = month_start.with_day(wall.day().min(length)).ok_or_else(|| TestCaseError::fail("date"))?;
            let expected_local = expected_date.and_time(wall.time());
            let got = tz.local(o.at.as_datetime());
            if o.index > 1 {
                prop_assert_eq!(Some(o.at.as_datetime()), expected_instant(tz.tz(), expected_local));
            }
            if tz.tz().from_local_datetime(&expected_local).single().is_some() {
                // Anchored: day = min(anchor day, month length), local time preserved.
                prop_assert_eq!(got, expected_local);
            } else {
                // Only in a gap (or an overlap, where the wall clock still reads the same).
                prop_assert_eq!(got.date(), expected_date);
            }
        }
    }

    #[test]
    fn occurrences_in_sao_paulo_and_berlin_follow_the_dst_rule(
        n in 1u32..=3,
        unit in prop_oneof![Just(Unit::Day), Just(Unit::Week)],
        tz in proptest::sample::select(&["America/Sao_Paulo", "Europe/Berlin"][..]),
        // Years around DST changes, times that hit the gaps and overlaps often.
        year in 2012i32..2019,
        month in 1u32..=12,
        day in 1u32..=28,
        hour in prop_oneof![Just(0u32), Just(1), Just(2), Just(23), 0u32..24],
        minute in prop_oneof![Just(0u32), Just(30), 0u32..60],
    ) {
        let tz = zone(tz).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let local = NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .ok_or_else(|| TestCaseError::fail("date"))?;
        let anchor = tz.resolve(local).ok_or_else(|| TestCaseError::fail("anchor"))?;
        let r = Recurrence::new(
            Schedule::every(n, unit).map_err(|e| TestCaseError::fail(e.to_string()))?,
            None,
            tz,
            Timestamp::from_datetime(anchor),
        ).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let wall = tz.local(anchor);
        let step = match unit { Unit::Week => 7 * i64::from(n), Unit::Day | Unit::Month | Unit::Year => i64::from(n) };
        for o in r.occurrences().skip(1).take(400) {
            let expected_local = wall + TimeDelta::days(step * i64::from(o.index - 1));
            prop_assert_eq!(Some(o.at.as_datetime()), expected_instant(tz.tz(), expected_local), "{}", o.index);
        }
    }

    #[test]
    fn first_at_or_after_is_the_first_of_the_walk_at_or_after_the_instant(
        r in recurrence(),
        skip in 0usize..5,
        days_later in 0i64..4000,
    ) {
        let Some(from) = r.occurrences().nth(skip) else { return Ok(()); };
        let instant = from.at.checked_add(TimeDelta::days(days_later)).ok_or_else(|| TestCaseError::fail("range"))?;
        let walked = r.occurrences_from(from).find(|o| o.at >= instant);
        prop_assert_eq!(r.first_at_or_after(from, instant), walked);
        let next = r.next_after(instant);
        prop_assert_eq!(next, r.occurrences().find(|o| o.at > instant));
    }

    #[test]
    fn cron_occurrences_strictly_increase_and_match_the_expression_in_local_time(
        second in 0u32..60,
        minute in 0u32..60,
        hours in prop_oneof![Just("*".to_owned()), (0u32..24).prop_map(|h| h.to_string()), Just("1-3".to_owned())],
        dom in prop_oneof![Just("*".to_owned()), (1u32..=31).prop_map(|d| d.to_string())],
        dow in prop_oneof![Just("*"), Just("MON"), Just("SAT,SUN")],
        tz in proptest::sample::select(&["America/Sao_Paulo", "Europe/Berlin", "UTC"][..]),
        anchor in instant(),
    ) {
        let expr = format!("{second} {minute} {hours} {dom} * {dow}");
        let cron = CronExpr::parse(&expr).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let tz = zone(tz).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = Recurrence::new(Schedule::Cron(cron.clone()), None, tz, anchor)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let walked: Vec<Occurrence> = r.occurrences().take(50).collect();
        prop_assert!(!walked.is_empty());
        prop_assert!(walked[0].at >= anchor);
        for pair in walked.windows(2) {
            prop_assert!(pair[0].at < pair[1].at, "{:?}", pair);
        }
        for o in &walked {
            let local = tz.local(o.at.as_datetime());
            let matches = cron.matches(local);
            // A fire that moved out of a spring-forward gap reads the gap's length later.
            let shifted = tz.tz().from_local_datetime(&local).single().is_some()
                && !matches
                && [30i64, 60, 120].iter().any(|&m| {
                    let original = local - TimeDelta::minutes(m);
                    cron.matches(original)
                        && matches!(tz.tz().from_local_datetime(&original), MappedLocalTime::None)
                });
            prop_assert!(matches || shifted, "{} at {}", expr, local);
            prop_assert_eq!(local.second(), second);
        }
        prop_assert_eq!(r.nth(5), walked.get(4).copied());
    }

    #[test]
    fn a_five_field_cron_fires_on_exactly_the_days_crontab_names(
        minute in 0u32..60,
        hour in 0u32..24,
        dom in prop_oneof![Just(vec![]), prop::collection::vec(1u32..=31, 1..4)],
        months in prop_oneof![Just(vec![]), prop::collection::vec(1u32..=12, 1..5)],
        dows in prop_oneof![Just(vec![]), prop::collection::vec(0u32..=7, 1..4)],
        question in any::<bool>(),
        anchor in instant(),
    ) {
        // An independent reading of crontab: `*` (empty list) matches all; when both day fields
        // are lists, either matching is enough; 7 is Sunday like 0.
        let list = |values: &[u32], star: &str| {
            if values.is_empty() {
                star.to_owned()
            } else {
                values.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
            }
        };
        let dom_star = if question { "?" } else { "*" };
        let expr = format!(
            "{minute} {hour} {} {} {}",
            list(&dom, dom_star),
            list(&months, "*"),
            list(&dows, "*")
        );
        let cron = CronExpr::parse(&expr).map_err(|e| TestCaseError::fail(format!("{expr}: {e}")))?;
        let r = Recurrence::new(Schedule::Cron(cron), None, TimeZone::UTC, anchor)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let day_matches = |date: NaiveDate| {
            let in_dom = dom.contains(&date.day());
            let weekday = date.weekday().num_days_from_sunday();
            let in_dow = dows.iter().any(|d| d % 7 == weekday);
            let day = match (dom.is_empty(), dows.is_empty()) {
                (true, true) => true,
                (false, true) => in_dom,
                (true, false) => in_dow,
                (false, false) => in_dom || in_dow,
            };
            day && (months.is_empty() || months.contains(&date.month()))
        };
        let start = anchor.as_datetime();
        let end = start + TimeDelta::days(800);
        let mut expected = Vec::new();
        let mut date = start.date_naive();
        while date <= end.date_naive() {
            if day_matches(date) {
                let fire = date.and_hms_opt(hour, minute, 0).ok_or_else(|| TestCaseError::fail("time"))?.and_utc();
                if fire >= start && fire < end {
                    expected.push(fire);
                }
            }
            date = date.succ_opt().ok_or_else(|| TestCaseError::fail("date"))?;
        }
        let walked: Vec<DateTime<Utc>> = r
            .occurrences()
            .map(|o| o.at.as_datetime())
            .take_while(|at| *at < end)
            .collect();
        prop_assert_eq!(walked, expected, "{}", expr);
    }

    #[test]
    fn any_text_is_parsed_or_refused_as_a_cron_expression_without_panicking(
        text in "[0-9*,/?LW#@a-zA-Z -]{0,40}",
        anchor in instant(),
    ) {
        if let Ok(cron) = CronExpr::parse(&text) {
            let r = Recurrence::new(Schedule::Cron(cron), None, TimeZone::UTC, anchor)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let walked: Vec<Occurrence> = r.occurrences().take(3).collect();
            for pair in walked.windows(2) {
                prop_assert!(pair[0].at < pair[1].at, "{}: {:?}", text, pair);
            }
        }
    }
}
