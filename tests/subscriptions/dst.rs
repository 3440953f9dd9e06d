//! Weekly subscriptions across daylight-saving changes: each cycle is ordered at the same local
//! wall-clock time, so its UTC instant moves by the hour the clocks moved. A local time that does
//! not exist that day moves forward by the gap; a repeated one takes the earlier instant.
//!
//! Test clocks only move forward (README, "Subscriptions: the cron runner and `run`") and a
//! subscription registers its due entry no earlier than the real now, so the changes walked here
//! are those of 2028: Berlin's (last Sunday of March and of October, at 02:00 and 03:00 local)
//! and Santiago's, which changes at local midnight as Brazil did until 2019 (`America/Sao_Paulo`
//! has had no daylight-saving time since: its check is that November keeps UTC−3).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::app::{App, Client};
use crate::sample::{self, TOTAL, create, cycles, get, instant, order_of, rfc3339, run};

/// A weekly subscription of three cycles and the UTC instants its cycles must fall on.
struct Weekly {
    id: &'static str,
    timezone: &'static str,
    /// The local time each cycle is ordered at, as a person would read it (for the messages).
    local: &'static str,
    fires: [&'static str; 3],
}

/// Creates every subscription of `subs` (weekly from its first fire, three cycles), then runs a
/// pass a minute before and a minute after every fire, in time order: nothing is ordered early,
/// and each fire orders exactly its cycles. Finally every cycle's `scheduledFor` is its fire and
/// its order names it.
fn walk(admin: &Client, subs: &[Weekly]) {
    for sub in subs {
        let mut body = sample::monthly(sub.id, sub.fires[0]);
        body["schedule"] = json!({"every": 1, "unit": "week"});
        body["timezone"] = json!(sub.timezone);
        body["maxCycles"] = json!(3);
        let created = create(admin, &body);
        assert_eq!(created["nextRunAt"], sub.fires[0], "{}: {created}", sub.id);
    }
    let mut fires: BTreeMap<DateTime<Utc>, Vec<(&Weekly, usize)>> = BTreeMap::new();
    for sub in subs {
        for (n, fire) in sub.fires.iter().enumerate() {
            fires.entry(instant(fire)).or_default().push((sub, n));
        }
    }
    let minute = TimeDelta::minutes(1);
    for (at, due) in &fires {
        let before = rfc3339(*at - minute);
        let report = run(admin, &before);
        assert_eq!(report["created"], 0, "a minute before {at}: {report}");
        let after = rfc3339(*at + minute);
        let report = run(admin, &after);
        assert_eq!(report["due"], due.len(), "at {after}: {report}");
        assert_eq!(report["created"], due.len(), "at {after}: {report}");
        assert_eq!(report["failed"], 0, "at {after}: {report}");
        for (sub, n) in due {
            let state = get(admin, sub.id);
            let next = match sub.fires.get(n + 1) {
                Some(next) => json!(next),
                None => Value::Null,
            };
            assert_eq!(
                state["nextRunAt"],
                next,
                "{} ({} {}) after cycle {}: {state}",
                sub.id,
                sub.local,
                sub.timezone,
                n + 1
            );
        }
    }
    for sub in subs {
        let records = cycles(admin, sub.id);
        let scheduled: Vec<&str> = records
            .iter()
            .map(|r| r["scheduledFor"].as_str().expect("scheduledFor"))
            .collect();
        assert_eq!(
            scheduled, sub.fires,
            "{} ({} {})",
            sub.id, sub.local, sub.timezone
        );
        for record in &records {
            let order = order_of(admin, sub.id, record);
            assert_eq!(order["totals"]["total"], TOTAL, "{order}");
        }
        let state = get(admin, sub.id);
        assert_eq!(state["status"], "finished", "{state}");
        assert_eq!(state["cycleCount"], 3, "{state}");
    }
}

#[test]
fn weekly_orders_in_berlin_keep_their_local_time_across_both_dst_changes() {
    let app = App::start("dst-berlin");
    walk(
        &app.admin(),
        &[
            // Clocks go 02:00 → 03:00 on Sunday March 26, 2028 (CET, UTC+1 → CEST, UTC+2).
            Weekly {
                id: "s-ber-spring",
                timezone: "Europe/Berlin",
                local: "Sundays 09:00",
                fires: [
                    "2028-03-19T08:00:00Z",
                    "2028-03-26T07:00:00Z",
                    "2028-04-02T07:00:00Z",
                ],
            },
            // 02:30 does not exist on March 26: 03:30 CEST, the same instant as 02:30 CET.
            Weekly {
                id: "s-ber-spring-gap",
                timezone: "Europe/Berlin",
                local: "Sundays 02:30",
                fires: [
                    "2028-03-19T01:30:00Z",
                    "2028-03-26T01:30:00Z",
                    "2028-04-02T00:30:00Z",
                ],
            },
            // Clocks go 03:00 → 02:00 on Sunday October 29, 2028 (CEST → CET).
            Weekly {
                id: "s-ber-autumn",
                timezone: "Europe/Berlin",
                local: "Sundays 09:00",
                fires: [
                    "2028-10-22T07:00:00Z",
                    "2028-10-29T08:00:00Z",
                    "2028-11-05T08:00:00Z",
                ],
            },
            // 02:30 happens twice on October 29: the earlier, CEST.
            Weekly {
                id: "s-ber-autumn-fold",
                timezone: "Europe/Berlin",
                local: "Sundays 02:30",
                fires: [
                    "2028-10-22T00:30:00Z",
                    "2028-10-29T00:30:00Z",
                    "2028-11-05T01:30:00Z",
                ],
            },
        ],
    );
}

#[test]
fn weekly_orders_in_santiago_keep_their_local_time_across_midnight_dst_changes() {
    let app = App::start("dst-santiago");
    walk(
        &app.admin(),
        &[
            // Clocks go 24:00 → 23:00 on Saturday April 1, 2028 (UTC−3 → UTC−4), as Brazil's did
            // on February 16, 2019.
            Weekly {
                id: "s-scl-april",
                timezone: "America/Santiago",
                local: "Sundays 09:00",
                fires: [
                    "2028-03-26T12:00:00Z",
                    "2028-04-02T13:00:00Z",
                    "2028-04-09T13:00:00Z",
                ],
            },
            // Saturday 23:30 happens twice on April 1: the earlier, UTC−3.
            Weekly {
                id: "s-scl-april-fold",
                timezone: "America/Santiago",
                local: "Saturdays 23:30",
                fires: [
                    "2028-03-26T02:30:00Z",
                    "2028-04-02T02:30:00Z",
                    "2028-04-09T03:30:00Z",
                ],
            },
            // Clocks go 00:00 → 01:00 on Sunday September 3, 2028 (UTC−4 → UTC−3), as Brazil's
            // did on November 4, 2018.
            Weekly {
                id: "s-scl-september",
                timezone: "America/Santiago",
                local: "Sundays 09:00",
                fires: [
                    "2028-08-27T13:00:00Z",
                    "2028-09-03T12:00:00Z",
                    "2028-09-10T12:00:00Z",
                ],
            },
            // Midnight does not exist on September 3: 01:00 UTC−3, the same instant as 00:00 UTC−4.
            Weekly {
                id: "s-scl-september-gap",
                timezone: "America/Santiago",
                local: "Sundays 00:00",
                fires: [
                    "2028-08-27T04:00:00Z",
                    "2028-09-03T04:00:00Z",
                    "2028-09-10T03:00:00Z",
                ],
            },
            // São Paulo kept UTC−3 through the first Sunday of November 2028 (Brazil's old
            // daylight-saving start): a time-zone database from before 2019 would move it.
            Weekly {
                id: "s-sao-november",
                timezone: "America/Sao_Paulo",
                local: "Sundays 00:00",
                fires: [
                    "2028-10-29T03:00:00Z",
                    "2028-11-05T03:00:00Z",
                    "2028-11-12T03:00:00Z",
                ],
            },
        ],
    );
}
