//! SIGKILL in the middle of a stream of placements: whatever was acknowledged survives, is
//! readable and reachable from the list, the service's check and repair (`POST /admin/check`)
//! leave nothing inconsistent, and the checkout's retries of the rest make each order exactly
//! once. `crate::on_redis` runs it on Redis, which keeps running while the runner is killed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json as body};

use crate::app::{App, Cas, Store, int, json, text};
use crate::placement::list_all;
use crate::sample;

#[test]
fn every_acknowledged_order_survives_a_sigkill_in_the_middle_of_a_stream_of_placements() {
    check_every_acknowledged_order_survives_a_sigkill(Store::from_env(Cas::Honest));
}

pub(crate) fn check_every_acknowledged_order_survives_a_sigkill(store: Store) {
    let mut app = App::start_on("crash", store);
    let checkout = app.checkout();
    // externalId → the acknowledged order.
    let acked: Mutex<BTreeMap<String, Value>> = Mutex::new(BTreeMap::new());
    // Every externalId sent, acknowledged or not.
    let sent: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);

    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let external_id = format!("crash-{}", next.fetch_add(1, Ordering::Relaxed));
                    sent.lock().expect("lock").insert(external_id.clone());
                    let body = sample::order(&external_id).to_string();
                    match checkout.try_send("POST", "/checkout/orders", &[], body.as_bytes()) {
                        Ok(reply) if reply.status == 201 => {
                            acked
                                .lock()
                                .expect("lock")
                                .insert(external_id, json(&reply));
                        }
                        Ok(reply) => panic!("{} {}", reply.status, reply.text()),
                        // The runner is gone (SIGKILL): this one is not acknowledged.
                        Err(_) => {
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                        }
                    }
                }
            });
        }
        // Let a good stream build up, then kill the runner while requests are in flight.
        let deadline = Instant::now() + Duration::from_secs(30);
        while acked.lock().expect("lock").len() < 150 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        app.kill();
        stop.store(true, Ordering::Relaxed);
    });
    let acked = acked.into_inner().expect("lock");
    let sent = sent.into_inner().expect("lock");
    assert!(acked.len() >= 150, "only {} acknowledged", acked.len());

    // On top of whatever the kill cut off, take away one acknowledged order's index entries (if
    // the indexer had reached it) and its externalId pointer, as a lost write would have.
    let (damaged_external, damaged) = acked.iter().next().expect("an acknowledged order");
    let damaged_id = text(damaged, "id");
    let removed = cut_derived_writes(&app, &damaged_id, damaged_external);
    assert!(removed >= 1, "{removed} derived keys removed");

    app.restart();
    let checkout = app.checkout();
    let admin = app.admin();
    let found = check(&admin, "");
    assert_eq!(found["consistent"], false, "{found}");
    let problems = found["inconsistencies"].as_array().expect("a list");
    assert!(problems.len() >= removed, "{found}");
    // (Index entries are the indexer's: the check catches it up first, and it indexes the
    // damaged order as it does every other.)
    let what = format!("order {damaged_id}: ");
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.starts_with(&what))),
        "{what}: {found}"
    );
    let repaired = check(&admin, "?repair=true");
    // Repair re-applies an order's pending writes before checking its index entries, so what
    // it reports is what the first check found, less the entries those pending writes restored.
    let reported = repaired["inconsistencies"].as_array().expect("a list");
    assert!(
        reported.iter().all(|p| problems.contains(p)),
        "{repaired} vs {found}"
    );
    assert!(
        reported
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.starts_with(&what))),
        "{what}: {repaired}"
    );
    assert!(
        repaired["repaired"].as_array().expect("a list").len() >= removed,
        "{repaired}"
    );
    let after = check(&admin, "");
    assert_eq!(after["consistent"], true, "{after}");
    assert_eq!(after["inconsistencies"], body!([]));
    assert_eq!(after["repaired"], body!([]));
    assert!(int(&after, "orders") >= i64::try_from(acked.len()).expect("small"));
    // The repaired pointer answers the checkout's retry of the damaged order with that order.
    let retry = checkout.post("/checkout/orders", &sample::order(damaged_external));
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(&json(&retry), damaged);

    // Every acknowledged order is there, unchanged, and listed.
    for order in acked.values() {
        assert_eq!(&admin.order(&text(order, "id")), order);
    }
    let listed: BTreeMap<String, Value> = list_all(&app, "")
        .into_iter()
        .map(|o| (text(&o, "id"), o))
        .collect();
    for order in acked.values() {
        assert!(
            listed.contains_key(&text(order, "id")),
            "{order} is not listed"
        );
    }
    let pending = list_all(&app, "status=payment-pending");
    assert!(pending.len() >= acked.len());

    // The checkout retries everything it sent: acknowledged ones answer 200 with the same
    // order, the rest 200 (written before the kill) or 201; never a second order.
    // One the kill caught between its claim and its write answers 503 `contention` until the
    // claim's lease lapses (one to two minutes), then places it.
    for external_id in &sent {
        let mut reply = checkout.post("/checkout/orders", &sample::order(external_id));
        let lapsed = Instant::now() + Duration::from_secs(150);
        while reply.status == 503 && Instant::now() < lapsed {
            std::thread::sleep(Duration::from_secs(5));
            reply = checkout.post("/checkout/orders", &sample::order(external_id));
        }
        assert!(
            reply.status == 200 || reply.status == 201,
            "{external_id}: {} {}",
            reply.status,
            reply.text()
        );
        let order = json(&reply);
        if let Some(first) = acked.get(external_id) {
            assert_eq!(reply.status, 200, "{external_id}: {}", reply.text());
            assert_eq!(&order, first);
        }
    }
    let all = list_all(&app, "");
    let mut by_external: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for order in &all {
        by_external
            .entry(text(order, "externalId"))
            .or_default()
            .push(int(order, "number"));
    }
    let duplicated: Vec<_> = by_external.iter().filter(|(_, n)| n.len() > 1).collect();
    assert!(duplicated.is_empty(), "placed twice: {duplicated:?}");
    assert_eq!(
        by_external.keys().cloned().collect::<BTreeSet<_>>(),
        sent,
        "each order the checkout sent is listed once"
    );
    let numbers: BTreeSet<i64> = all.iter().map(|o| int(o, "number")).collect();
    assert_eq!(numbers.len(), all.len(), "numbers are unique");
}

/// Deletes, in the stopped runner's store (its SQLite file, or the Redis server), every index
/// entry naming `id` and the pointer of its `externalId`; returns how many keys went.
fn cut_derived_writes(app: &App, id: &str, external_id: &str) -> usize {
    if app.store() == Store::Redis {
        return cut_derived_writes_in_redis(app, id, external_id);
    }
    let db = rusqlite::Connection::open(app.database()).expect("the database opens");
    let pointer = format!("%\"{id}\"%");
    let entries = db
        .execute(
            "DELETE FROM spin_key_value WHERE store = 'default' AND key LIKE 'ord/ix/%' \
             AND CAST(value AS TEXT) LIKE ?1",
            [&pointer],
        )
        .expect("index entries deleted");
    let external = db
        .execute(
            "DELETE FROM spin_key_value WHERE store = 'default' AND key LIKE 'ord/ext/%' \
             AND key LIKE ?1",
            [format!("%/{external_id}")],
        )
        .expect("the pointer deleted");
    assert_eq!(external, 1, "one externalId pointer for {external_id}");
    entries + external
}

fn cut_derived_writes_in_redis(app: &App, id: &str, external_id: &str) -> usize {
    use redis::Commands as _;
    let mut redis = app.redis();
    let pointer = format!("\"{id}\"");
    let mut gone: Vec<String> = Vec::new();
    let entries: Vec<String> = redis.keys("ord/ix/*").expect("KEYS");
    for key in entries {
        let value: Vec<u8> = redis.get(&key).expect("GET");
        if String::from_utf8_lossy(&value).contains(&pointer) {
            gone.push(key);
        }
    }
    let external: Vec<String> = redis
        .keys(format!("ord/ext/*/{external_id}"))
        .expect("KEYS");
    assert_eq!(
        external.len(),
        1,
        "one externalId pointer for {external_id}"
    );
    gone.extend(external);
    let deleted: usize = redis.del(&gone).expect("DEL");
    assert_eq!(deleted, gone.len());
    deleted
}

/// `POST /admin/check{query}`, expecting 200.
pub(crate) fn check(admin: &crate::app::Client, query: &str) -> Value {
    let reply = admin.post(&format!("/admin/check{query}"), &body!({}));
    assert_eq!(reply.status, 200, "{}", reply.text());
    json(&reply)
}
