//! Overlapping passes: six advances of one test clock at once, or six live passes at once
//! (`POST /subscriptions/run`, besides the cron trigger's), create one order per cycle, on an
//! honest store and with swaps that report `cas-failed` after writing (Redis-backed Spin);
//! `crate::on_redis` runs them on a real Redis, and `crate::multi_host` on several hosts sharing
//! one, every host running passes at once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DurationRound as _, TimeDelta, Utc};
use serde_json::{Value, json as body};

use crate::app::{App, Cas, Client, Deployment, Store, error_code, json};
use crate::parallel;
use crate::sample::{self, create, cycles, get, order_of, rfc3339};

const SUBSCRIPTIONS: usize = 8;

/// Six advances of the suite's clock to `now` at once: those that read the clock before any
/// finished run their passes side by side (200), the others find it there already (422).
fn six_passes(admin: &Client, now: &str) {
    sample::ensure_clock(admin);
    let replies = parallel(6, |_| sample::advance(admin, sample::CLOCK, now));
    let mut ran = 0;
    for reply in &replies {
        match reply.status {
            200 => ran += 1,
            422 => assert_eq!(error_code(reply), "test-clock-backwards"),
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    assert!(ran >= 1, "no advance ran");
}

/// Every order of channel `subscriptions`, as (subscription id, cycle).
fn subscription_orders(admin: &Client) -> Vec<(String, u64)> {
    let reply = admin.get("/orders?channel=subscriptions&limit=200");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let page = json(&reply);
    assert_eq!(page["nextCursor"], Value::Null, "more than a page");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| {
            let s = &o["subscription"];
            (
                s["id"].as_str().expect("id").to_owned(),
                s["cycle"].as_u64().expect("cycle"),
            )
        })
        .collect()
}

pub(crate) fn check_six_concurrent_passes_create_one_order_per_cycle(
    deployment: impl Into<Deployment>,
) {
    let app = App::start_on("six-passes", deployment);
    let admin = app.admin();
    let ids: Vec<String> = (0..SUBSCRIPTIONS).map(|i| format!("s-par-{i}")).collect();
    for id in &ids {
        create(&admin, &sample::monthly(id, "2028-03-01T12:00:00Z"));
    }
    for (month, now, settle) in [
        (1, "2028-03-01T12:01:00Z", "2028-03-01T12:04:00Z"),
        (2, "2028-04-01T12:01:00Z", "2028-04-01T12:04:00Z"),
    ] {
        six_passes(&admin, now);
        // A later pass finishes whatever a concurrent pass still held (none should be left).
        sample::run(&admin, settle);
        let orders = subscription_orders(&admin);
        let distinct: BTreeSet<_> = orders.iter().cloned().collect();
        assert_eq!(orders.len(), SUBSCRIPTIONS * month, "{orders:?}");
        assert_eq!(
            distinct.len(),
            orders.len(),
            "a cycle ordered twice: {orders:?}"
        );
        for id in &ids {
            assert_eq!(get(&admin, id)["cycleCount"], month, "{id}");
            let records = cycles(&admin, id);
            assert_eq!(records.len(), month, "{id}: {records:?}");
            order_of(&admin, id, records.last().expect("a record"));
        }
    }
}

#[test]
fn six_concurrent_passes_create_one_order_per_cycle() {
    check_six_concurrent_passes_create_one_order_per_cycle(Store::from_env(Cas::Honest));
}

#[test]
fn six_concurrent_passes_create_one_order_per_cycle_when_swaps_report_cas_failed() {
    check_six_concurrent_passes_create_one_order_per_cycle(Store::from_env(Cas::ReportsFailure));
}

/// Live subscriptions (no test clock) whose first cycle is due at one second a few seconds
/// ahead; at that second six `POST /subscriptions/run` at once (with several hosts, two on each),
/// besides the cron trigger's own passes (every second on each of several hosts): each
/// subscription gets its first cycle's order once, and no later pass adds one.
pub(crate) fn check_six_concurrent_live_passes_create_one_order_per_subscription(
    deployment: impl Into<Deployment>,
) {
    let app = App::start_on("live-passes", deployment);
    let admin = app.admin();
    let due = Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("a whole second")
        + TimeDelta::seconds(4);
    let ids: Vec<String> = (0..SUBSCRIPTIONS).map(|i| format!("s-live-{i}")).collect();
    for id in &ids {
        let mut live = sample::monthly(id, &rfc3339(due));
        live["testClock"] = Value::Null;
        create(&admin, &live);
    }
    if let Ok(wait) = (due - Utc::now()).to_std() {
        std::thread::sleep(wait);
    }
    let run = || {
        let reply = admin.post("/subscriptions/run", &body!({}));
        assert_eq!(reply.status, 200, "{}", reply.text());
        json(&reply)
    };
    let reports = parallel(6, |_| run());
    let created: u64 = reports
        .iter()
        .map(|r| r["created"].as_u64().expect("created"))
        .sum();
    assert!(created <= SUBSCRIPTIONS as u64, "{reports:?}");
    // A later pass finishes whatever a concurrent one still held; with the cron trigger's passes
    // running too, one may still hold a cycle for a moment.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ids.iter().all(|id| get(&admin, id)["cycleCount"] == 1) {
        assert!(Instant::now() < deadline, "cycles left undone: {:?}", run());
        run();
        std::thread::sleep(Duration::from_millis(200));
    }
    // More passes (the cron trigger's included) add nothing.
    std::thread::sleep(Duration::from_secs(2));
    run();
    let orders = subscription_orders(&admin);
    let distinct: BTreeSet<_> = orders.iter().cloned().collect();
    assert_eq!(orders.len(), SUBSCRIPTIONS, "{orders:?}");
    assert_eq!(
        distinct.len(),
        orders.len(),
        "a cycle ordered twice: {orders:?}"
    );
    for id in &ids {
        let subscription = get(&admin, id);
        assert_eq!(subscription["cycleCount"], 1, "{subscription}");
        let records = cycles(&admin, id);
        assert_eq!(records.len(), 1, "{id}: {records:?}");
        assert_eq!(records[0]["scheduledFor"], rfc3339(due).as_str());
        order_of(&admin, id, &records[0]);
    }
}

#[test]
fn six_concurrent_live_passes_create_one_order_per_subscription() {
    check_six_concurrent_live_passes_create_one_order_per_subscription(Store::from_env(
        Cas::Honest,
    ));
}
