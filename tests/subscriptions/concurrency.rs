//! Overlapping passes: six advances of one test clock at once create one order per cycle, on an
//! honest store and with swaps that report `cas-failed` after writing (Redis-backed Spin).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::app::{App, Cas, Client, Deployment, Store, error_code, json};
use crate::parallel;
use crate::sample::{self, create, cycles, get, order_of};

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
