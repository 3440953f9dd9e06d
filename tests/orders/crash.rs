//! SIGKILL in the middle of a stream of placements: whatever was acknowledged survives, is
//! readable and reachable from the list, and the checkout's retries of the rest make each order
//! exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::app::{App, int, json, text};
use crate::placement::list_all;
use crate::sample;

#[test]
fn every_acknowledged_order_survives_a_sigkill_in_the_middle_of_a_stream_of_placements() {
    let mut app = App::start("crash");
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
    app.restart();
    let checkout = app.checkout();

    let acked = acked.into_inner().expect("lock");
    let sent = sent.into_inner().expect("lock");
    assert!(acked.len() >= 150, "only {} acknowledged", acked.len());

    // Every acknowledged order is there, unchanged, and listed.
    let admin = app.admin();
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
    for external_id in &sent {
        let reply = checkout.post("/checkout/orders", &sample::order(external_id));
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
