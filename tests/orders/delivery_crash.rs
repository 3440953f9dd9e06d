//! SIGKILL during a stream of commands, passes and deliveries: after the restart every
//! acknowledged command's event is in the feed exactly once, every event reaches the endpoint
//! at least once, and an event id never arrives with two different bodies.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::app::{App, int, json, text};
use crate::helpers::receiver::Receiver;
use crate::sample;

/// Every feed event, read with the ERP's token.
fn feed(app: &App) -> Vec<Value> {
    let erp = app.client("erp_token");
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = json(&erp.get(&format!("/feed?after={after}&limit=500")));
        let items = page["items"].as_array().expect("items").clone();
        if items.is_empty() {
            return events;
        }
        after = page["next"].as_u64().expect("next");
        events.extend(items);
    }
}

#[test]
fn after_a_sigkill_each_acknowledged_event_is_in_the_feed_once_and_delivered_with_one_body() {
    let mut app = App::start("crash-deliveries");
    let erp = Receiver::start(&[200]);
    let created = app
        .admin()
        .post("/webhooks/endpoints", &json!({"url": erp.url("/erp")}));
    assert_eq!(created.status, 201, "{}", created.text());
    // (order id, version) of every acknowledged command.
    let acked: Mutex<BTreeSet<(String, i64)>> = Mutex::new(BTreeSet::new());
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let checkout = app.checkout();
    let admin = app.admin();

    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let external = format!("kill-{}", next.fetch_add(1, Ordering::Relaxed));
                    let body = sample::order(&external).to_string();
                    let Ok(placed) =
                        checkout.try_send("POST", "/checkout/orders", &[], body.as_bytes())
                    else {
                        continue;
                    };
                    assert_eq!(placed.status, 201, "{}", placed.text());
                    let order = json(&placed);
                    let id = text(&order, "id");
                    acked.lock().expect("lock").insert((id.clone(), 1));
                    let pay = json!({"amount": sample::TOTAL}).to_string();
                    if let Ok(paid) = admin.try_send(
                        "POST",
                        &format!("/orders/{id}/payment"),
                        &[],
                        pay.as_bytes(),
                    ) {
                        assert_eq!(paid.status, 200, "{}", paid.text());
                        let version = int(&json(&paid), "version");
                        acked.lock().expect("lock").insert((id, version));
                    }
                }
            });
        }
        // Passes beside the kicked ones, so that the kill finds passes mid-way.
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let _ = admin.try_send("POST", "/integrations/run", &[], b"{}");
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while (acked.lock().expect("lock").len() < 80 || erp.received().len() < 20)
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        app.kill();
        stop.store(true, Ordering::Relaxed);
    });
    let acked = acked.into_inner().expect("lock");
    assert!(acked.len() >= 80, "only {} acknowledged", acked.len());

    app.restart();
    let admin = app.admin();
    // Passes until the feed holds every acknowledged command and the endpoint has every event
    // (a pass cut by the kill holds its events for its lease, 60 s, before another sends them).
    let deadline = Instant::now() + Duration::from_secs(120);
    let (events, delivered) = loop {
        let reply = admin.post("/integrations/run", &json!({}));
        assert_eq!(reply.status, 200, "{}", reply.text());
        let events = feed(&app);
        let delivered: BTreeSet<String> = erp
            .received()
            .iter()
            .map(|r| r.headers["webhook-id"].clone())
            .collect();
        let in_feed: BTreeSet<(String, i64)> = events
            .iter()
            .map(|e| (text(e, "orderId"), int(&e["data"]["order"], "version")))
            .collect();
        let complete =
            acked.is_subset(&in_feed) && events.iter().all(|e| delivered.contains(&text(e, "id")));
        if complete || Instant::now() > deadline {
            break (events, delivered);
        }
        std::thread::sleep(Duration::from_millis(500));
    };

    // In the feed exactly once: one event per order version, every acknowledged one there.
    let mut versions: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for event in &events {
        *versions
            .entry((
                text(event, "orderId"),
                int(&event["data"]["order"], "version"),
            ))
            .or_default() += 1;
    }
    let twice: Vec<_> = versions.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "versions in the feed twice: {twice:?}");
    let missing: Vec<_> = acked
        .iter()
        .filter(|k| !versions.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not in the feed: {missing:?}"
    );

    // Delivered at least once, each id always with the same body.
    let undelivered: Vec<String> = events
        .iter()
        .map(|e| text(e, "id"))
        .filter(|id| !delivered.contains(id))
        .collect();
    assert!(undelivered.is_empty(), "never delivered: {undelivered:?}");
    let mut bodies: BTreeMap<String, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for request in erp.received() {
        bodies
            .entry(request.headers["webhook-id"].clone())
            .or_default()
            .insert(request.body);
    }
    let differing: Vec<&String> = bodies
        .iter()
        .filter(|(_, b)| b.len() > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(differing.is_empty(), "ids with two bodies: {differing:?}");
}
