//! A pass killed halfway: the runner is SIGKILLed while one advance of the test clock is creating
//! the orders of many due cycles, restarted on the same SQLite file, and passes after the claim
//! lease (two minutes of the clock, `CLAIM_LEASE`) finish the cycles: each ordered exactly once,
//! each recorded `created`, and the orders' indexes and pointers consistent.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::{App, json, text};
use crate::sample::{self, create, cycles, get, run, subscription_orders};

const SUBSCRIPTIONS: usize = 2_000;

/// The clock of the pass that is killed; the cycles are due a minute before.
const KILLED_PASS: &str = "2028-09-01T12:01:00Z";

#[test]
fn a_pass_killed_halfway_is_finished_by_a_later_pass_with_one_order_per_cycle() {
    let mut app = App::start("killed-pass");
    let admin = app.admin();
    let ids: Vec<String> = (0..SUBSCRIPTIONS)
        .map(|i| format!("s-kill-{i:03}"))
        .collect();
    for id in &ids {
        create(&admin, &sample::monthly(id, "2028-09-01T12:00:00Z"));
    }

    let seen = std::thread::scope(|scope| {
        let pass = scope.spawn(|| {
            let body = json!({ "frozenTime": KILLED_PASS }).to_string();
            let path = format!("/test-clocks/{}/advance", sample::CLOCK);
            admin.try_send("POST", &path, &[], body.as_bytes())
        });
        let deadline = Instant::now() + Duration::from_secs(300);
        // The kill follows the first order: a request waits behind the pass's shards for
        // some tenths of a second on two cores, and the pass creates about a thousand orders a
        // second with the debug runner, so the first order is the only safe signal.
        let seen = loop {
            let first = admin.get("/orders?channel=subscriptions&limit=1");
            assert_eq!(first.status, 200, "{}", first.text());
            let n = json(&first)["items"].as_array().map_or(0, Vec::len);
            if n > 0 {
                break n;
            }
            assert!(
                Instant::now() < deadline,
                "no order within 300 s; log:\n{}",
                app.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        app.kill();
        let reply = pass.join().expect("the pass thread");
        assert!(
            reply.is_err(),
            "the killed pass answered: {:?}",
            reply.map(|r| r.text())
        );
        seen
    });

    app.restart();
    let admin = app.admin();
    let before = subscription_orders(&admin).len();
    assert!(
        (seen..SUBSCRIPTIONS).contains(&before),
        "{seen} orders seen before the kill, {before} after the restart"
    );
    let recorded = ids
        .iter()
        .filter(|id| get(&admin, id)["cycleCount"] == 1)
        .count();
    assert!(recorded <= before, "{recorded} recorded, {before} orders");

    // Past the lease of the killed pass's claims: this advance finishes every cycle left (its
    // first pass, at the cycles' minute, still finds the killed pass's claims live and leaves
    // them; its last, at 12:04, finishes them).
    let report = run(&admin, "2028-09-01T12:04:00Z");
    let left = SUBSCRIPTIONS - recorded;
    assert_eq!(report["errors"], json!([]), "{report}");
    let created = report["created"].as_u64().expect("created");
    let failed = report["failed"].as_u64().expect("failed");
    assert_eq!(created + failed, left as u64, "{report}");
    // A failure here can only be the orders service's own claim on an external id that the
    // kill caught between claiming and writing: it lapses within two minutes of real time
    // (`claim::LEASE_SECONDS`), and a later pass places the order then.
    for id in &ids {
        let pending = cycles(&admin, id);
        if let Some(cycle) = pending.iter().find(|c| c["status"] == "failed") {
            assert_eq!(
                cycle["error"], "orders unavailable: contention",
                "{id}: {cycle}"
            );
        }
    }
    let mut now = sample::instant("2028-09-01T12:04:00Z");
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut failing = failed;
    while failing > 0 {
        assert!(
            Instant::now() < deadline,
            "cycles still failing after 300 s"
        );
        std::thread::sleep(Duration::from_secs(10));
        now += chrono::TimeDelta::minutes(1);
        let report = run(&admin, &sample::rfc3339(now));
        assert_eq!(report["errors"], json!([]), "{report}");
        failing = report["failed"].as_u64().expect("failed");
    }

    // Exactly one order per cycle, each the one its cycle record names.
    let orders = subscription_orders(&admin);
    assert_eq!(orders.len(), SUBSCRIPTIONS, "orders after the re-run");
    let mut by_cycle: BTreeMap<(String, u64), String> = BTreeMap::new();
    for order in &orders {
        let s = &order["subscription"];
        let key = (text(s, "id"), s["cycle"].as_u64().expect("cycle"));
        assert_eq!(
            order["externalId"],
            format!("{}:{}", key.0, key.1),
            "{order}"
        );
        let previous = by_cycle.insert(key.clone(), text(order, "id"));
        assert!(previous.is_none(), "{key:?} ordered twice");
    }
    let expected: BTreeSet<(String, u64)> = ids.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(by_cycle.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for id in &ids {
        let records = cycles(&admin, id);
        assert_eq!(records.len(), 1, "{id}: {records:?}");
        assert_eq!(records[0]["number"], 1, "{id}: {records:?}");
        assert_eq!(records[0]["status"], "created", "{id}: {records:?}");
        assert_eq!(
            records[0]["orderId"],
            by_cycle[&(id.clone(), 1)].as_str(),
            "{id}"
        );
        let sub = get(&admin, id);
        assert_eq!(sub["cycleCount"], 1, "{sub}");
        assert_eq!(sub["nextRunAt"], "2028-10-01T12:00:00Z", "{sub}");
    }
    // No order the kill cut off before its indexes and external-id pointer were written.
    let check = json(&admin.post("/admin/check", &json!({})));
    assert_eq!(check["consistent"], true, "{check}");
    assert_eq!(check["orders"], SUBSCRIPTIONS, "{check}");
    let later = run(&admin, "2028-09-01T12:30:00Z");
    assert_eq!(later["created"], 0, "{later}");
}
