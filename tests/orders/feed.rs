//! The feed end to end (`GET /feed`, `POST /integrations/run`): every committed order version
//! becomes one event at a gapless position, in each order's version order, whoever runs the
//! passes and however they overlap.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::app::{App, Cas, int, json, text};
use crate::{parallel, sample};

/// Every event after `after`, read in pages of `limit` with `client`'s token.
fn read_all(app: &App, after: u64, limit: usize) -> Vec<Value> {
    let erp = app.client("erp_token");
    let mut events = Vec::new();
    let mut after = after;
    loop {
        let reply = erp.get(&format!("/feed?after={after}&limit={limit}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page = json(&reply);
        let items = page["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit);
        let next = page["next"].as_u64().expect("next");
        if items.is_empty() {
            assert_eq!(next, after, "an empty page stays where it was");
            return events;
        }
        after = next;
        events.extend(items);
    }
}

fn run(app: &App) -> Value {
    let reply = app.admin().post("/integrations/run", &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text());
    json(&reply)
}

/// Positions 1..=n, each event once, and each order's versions in order from 1.
fn assert_gapless_and_in_order(events: &[Value]) {
    let mut versions: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(int(event, "position"), i as i64 + 1, "gapless: {event}");
        let order = &event["data"]["order"];
        versions
            .entry(text(event, "orderId"))
            .or_default()
            .push(int(order, "version"));
    }
    let ids: BTreeSet<String> = events.iter().map(|e| text(e, "id")).collect();
    assert_eq!(ids.len(), events.len(), "each event once");
    for (order, versions) in versions {
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(versions, expected, "{order}'s versions in order");
    }
}

#[test]
fn the_feed_holds_every_order_event_once_in_order_from_any_position() {
    let app = App::start("feed");
    let checkout = app.checkout();
    let admin = app.admin();
    let a = checkout.place(&sample::order("feed-a"));
    let b = checkout.place(&sample::order("feed-b"));
    let paid = admin.post(
        &format!("/orders/{}/payment", text(&a, "id")),
        &json!({"amount": sample::TOTAL}),
    );
    assert_eq!(paid.status, 200, "{}", paid.text());
    let commented = admin.post(
        &format!("/orders/{}/comments", text(&b, "id")),
        &json!({"text": "gift wrap", "notifyCustomer": true}),
    );
    assert_eq!(commented.status, 200, "{}", commented.text());

    // The cron runner may take a pass too (at second 30): whoever runs them, the feed ends
    // with each event once.
    run(&app);
    assert_eq!(run(&app)["added"], 0, "a second pass adds nothing");
    let events = read_all(&app, 0, 3);
    assert_gapless_and_in_order(&events);
    let kinds: Vec<String> = events.iter().map(|e| text(e, "type")).collect();
    assert_eq!(
        kinds,
        [
            "order.placed",
            "order.placed",
            "order.payment-approved",
            "order.commented"
        ]
    );
    let approval = &events[2];
    assert_eq!(approval["from"], "payment-pending");
    assert_eq!(approval["to"], "payment-approved");
    assert_eq!(approval["channel"], "storefront");
    assert_eq!(approval["data"]["order"]["status"], "payment-approved");
    assert_eq!(approval["data"]["order"]["totals"]["paid"], sample::TOTAL);

    // A filter; reading after the end; the other tokens.
    let erp = app.client("erp_token");
    let filtered = json(&erp.get("/feed?types=order.payment-approved"));
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        filtered["next"], 4,
        "a filtered read moves past what it skipped"
    );
    let end = json(&erp.get("/feed?after=4"));
    assert_eq!(end["items"], json!([]));
    assert_eq!(end["last"], 4);
    assert_eq!(app.checkout().get("/feed").status, 401);
    assert_eq!(erp.post("/integrations/run", &json!({})).status, 401);
    let bad = erp.get("/feed?types=placed");
    assert_eq!(bad.status, 422, "{}", bad.text());
}

#[test]
fn overlapping_passes_under_concurrent_writes_number_each_event_once() {
    let app = App::start("feed-race");
    let checkout = app.checkout();
    let admin = app.admin();
    // Four writers place and comment while four callers run passes.
    let placed = parallel(8, |worker| {
        if worker % 2 == 0 {
            (0..10)
                .map(|i| {
                    let order = checkout.place(&sample::order(&format!("race-{worker}-{i}")));
                    let reply = admin.post(
                        &format!("/orders/{}/comments", text(&order, "id")),
                        &json!({"text": "seen"}),
                    );
                    assert_eq!(reply.status, 200, "{}", reply.text());
                    2
                })
                .sum::<i64>()
        } else {
            for _ in 0..10 {
                run(&app);
            }
            0
        }
    });
    let written: i64 = placed.iter().sum();
    // Whatever was in flight during the passes is added by the next ones.
    run(&app);
    run(&app);
    let events = read_all(&app, 0, 50);
    assert_eq!(events.len() as i64, written);
    assert_gapless_and_in_order(&events);
}

#[test]
fn a_consumer_gets_back_what_it_did_not_commit_after_its_timeout() {
    let app = App::start("feed-consumer");
    let admin = app.admin();
    let erp = app.client("erp_token");
    let early = app.checkout().place(&sample::order("consumer-early"));
    run(&app);
    // Created after the first event: it starts at the feed's end.
    let created = admin.send(
        "PUT",
        "/feed/consumers/erp",
        &[],
        json!({"types": ["order.placed"], "visibilityTimeoutSeconds": 1})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(json(&created)["position"], 1);
    let unknown = erp.get("/feed/consumers/nobody/items");
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert_eq!(json(&unknown)["error"]["code"], "consumer-not-found");

    let ids: Vec<String> = (0..3)
        .map(|i| {
            text(
                &app.checkout()
                    .place(&sample::order(&format!("consumer-{i}"))),
                "id",
            )
        })
        .collect();
    let paid = admin.post(
        &format!("/orders/{}/payment", ids[0]),
        &json!({"amount": sample::TOTAL}),
    );
    assert_eq!(paid.status, 200, "{}", paid.text());
    run(&app);

    let batch = json(&erp.get("/feed/consumers/erp/items?maxlot=2"));
    let items = batch["items"].as_array().expect("items").clone();
    let orders: Vec<String> = items.iter().map(|i| text(&i["event"], "orderId")).collect();
    assert_eq!(orders, ids[..2], "placements only, oldest first");
    assert!(!orders.contains(&text(&early, "id")));
    let rest = json(&erp.get("/feed/consumers/erp/items?maxlot=10"));
    let rest = rest["items"].as_array().expect("items").clone();
    assert_eq!(rest.len(), 1, "the payment is filtered out: {rest:?}");
    // Commit the first and the third; the second comes back after a second.
    let commit = erp.post(
        "/feed/consumers/erp/commit",
        &json!({"handles": [items[0]["handle"], rest[0]["handle"]]}),
    );
    assert_eq!(json(&commit)["committed"], 2);
    let again = loop {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let page = json(&erp.get("/feed/consumers/erp/items"));
        let page = page["items"].as_array().expect("items").clone();
        if !page.is_empty() {
            break page;
        }
    };
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["event"]["id"], items[1]["event"]["id"]);
    assert_ne!(again[0]["handle"], items[1]["handle"], "with a new handle");
    let stale = erp.post(
        "/feed/consumers/erp/commit",
        &json!({"handles": [items[1]["handle"]]}),
    );
    assert_eq!(
        json(&stale)["committed"],
        0,
        "the old handle commits nothing"
    );
    let view = json(&erp.get("/feed/consumers/erp"));
    assert_eq!(view["inFlight"], 1);
    assert_eq!(
        admin.send("DELETE", "/feed/consumers/erp", &[], b"").status,
        204
    );
    assert_eq!(erp.get("/feed/consumers/erp").status, 404);
}

/// spin.toml without the `integrations-kick` component, as a host without service chaining
/// sees it: a write's kick fails, and only the cron pass adds to the feed.
fn manifest_without_kicks() -> std::path::PathBuf {
    let real = std::fs::read_to_string(crate::app::manifest_path()).expect("spin.toml");
    let trigger =
        "[[trigger.http]]\nroute = { private = true }\ncomponent = \"integrations-kick\"\n";
    assert!(real.contains(trigger));
    let start = real
        .find("[component.integrations-kick]")
        .expect("the kick component");
    let end = start
        + real[start + 1..]
            .find("\n[component.")
            .expect("a component after it")
        + 2;
    let without = format!("{}{}", &real[..start], &real[end..])
        .replace(trigger, "")
        .replace(
            "source = \"target/",
            &format!("source = \"{}/target/", crate::helpers::root().display()),
        );
    let manifest = crate::helpers::scratch("feed-cron-manifest").join("spin.toml");
    std::fs::write(&manifest, without).expect("the test manifest is written");
    manifest
}

#[test]
fn the_cron_runner_adds_to_the_feed_every_minute_without_a_call() {
    let app = App::start_manifest("feed-cron", Cas::Honest, manifest_without_kicks());
    let order = app.checkout().place(&sample::order("cron-1"));
    // The integrations runner fires at second 30 of every minute.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(75);
    let events = loop {
        let events = read_all(&app, 0, 10);
        if !events.is_empty() || std::time::Instant::now() > deadline {
            break events;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert_eq!(events.len(), 1, "{}", app.log());
    assert_eq!(events[0]["orderId"], order["id"]);
    assert!(
        app.log().contains("integrations-runner: tick"),
        "{}",
        app.log()
    );
}
