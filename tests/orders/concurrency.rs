//! Many writers at once: every placement gets its own number, one external id or one
//! Idempotency-Key makes one order, and (once the command components are in spin.toml) no
//! concurrent command is lost or applied twice. Each runs on an honest store and again with swaps
//! that report `cas-failed` after writing (Redis-backed Spin), `crate::on_redis` runs them on a
//! real Redis, and `crate::multi_host` on several hosts sharing one.

use std::collections::BTreeSet;

use serde_json::json;

use crate::app::{self, App, Cas, Deployment, Store, error_code, int, json, text};
use crate::helpers::Reply;
use crate::placement::list_all;
use crate::{parallel, sample};

pub(crate) fn check_thirty_two_concurrent_placements_get_distinct_numbers(
    deployment: impl Into<Deployment>,
) {
    let app = App::start_on("placements", deployment);
    let checkout = app.checkout();
    let placed = parallel(32, |i| checkout.place(&sample::order(&format!("par-{i}"))));
    let numbers: BTreeSet<i64> = placed.iter().map(|o| int(o, "number")).collect();
    let ids: BTreeSet<String> = placed.iter().map(|o| text(o, "id")).collect();
    assert_eq!(numbers.len(), 32, "numbers: {numbers:?}");
    assert_eq!(ids.len(), 32);
    for order in &placed {
        assert_eq!(int(order, "version"), 1, "{order}");
    }
    let listed: BTreeSet<String> = list_all(&app, "").iter().map(|o| text(o, "id")).collect();
    assert_eq!(listed, ids);
    let listed: BTreeSet<String> = list_all(&app, "status=payment-pending")
        .iter()
        .map(|o| text(o, "id"))
        .collect();
    assert_eq!(listed, ids);
}

#[test]
fn thirty_two_concurrent_placements_get_distinct_numbers_and_are_all_listed() {
    check_thirty_two_concurrent_placements_get_distinct_numbers(Store::from_env(Cas::Honest));
}

#[test]
fn thirty_two_concurrent_placements_get_distinct_numbers_when_swaps_report_cas_failed() {
    check_thirty_two_concurrent_placements_get_distinct_numbers(Store::from_env(
        Cas::ReportsFailure,
    ));
}

pub(crate) fn check_concurrent_placements_of_one_external_id_make_one_order(
    deployment: impl Into<Deployment>,
) {
    let app = App::start_on("one-external-id", deployment);
    let checkout = app.checkout();
    let replies = parallel(16, |_| {
        checkout.post("/checkout/orders", &sample::order("MLB-SAME"))
    });
    let created = replies.iter().filter(|r| r.status == 201).count();
    for reply in &replies {
        assert!(
            reply.status == 201 || reply.status == 200,
            "{} {}",
            reply.status,
            reply.text()
        );
    }
    assert_eq!(created, 1, "exactly one placement creates the order");
    let ids: BTreeSet<String> = replies.iter().map(|r| text(&json(r), "id")).collect();
    assert_eq!(ids.len(), 1, "every answer is the same order: {ids:?}");
    assert_eq!(list_all(&app, "").len(), 1);
    assert_eq!(list_all(&app, "channel=storefront").len(), 1);
}

#[test]
fn concurrent_placements_of_one_external_id_make_one_order() {
    check_concurrent_placements_of_one_external_id_make_one_order(Store::from_env(Cas::Honest));
}

#[test]
fn concurrent_placements_of_one_external_id_make_one_order_when_swaps_report_cas_failed() {
    check_concurrent_placements_of_one_external_id_make_one_order(Store::from_env(
        Cas::ReportsFailure,
    ));
}

/// Sixteen placements of one body under one Idempotency-Key at once: one creates the order, the
/// others answer that order (a replay, the order found by its external id, or `contention` while
/// it is being placed), and a retry once they are done replays the key. Returns the storm's
/// answers and that retry's, for [`check_every_answer_under_one_idempotency_key_is_the_first`].
pub(crate) fn check_concurrent_placements_under_one_idempotency_key_make_one_order(
    deployment: impl Into<Deployment>,
) -> (Vec<Reply>, Reply) {
    let app = App::start_on("one-idempotency-key", deployment);
    let checkout = app.checkout();
    let body = sample::order("idem-par").to_string();
    let key = [("Idempotency-Key", "checkout-retry-storm")];
    let place = || checkout.send("POST", "/checkout/orders", &key, body.as_bytes());
    let replies = parallel(16, |_| place());
    let mut ids = BTreeSet::new();
    let mut created = 0;
    for reply in &replies {
        match reply.status {
            200 | 201 => {
                ids.insert(text(&json(reply), "id"));
                if reply.status == 201 && reply.header("idempotent-replayed").is_none() {
                    created += 1;
                }
            }
            // Still being placed by another request: the checkout retries later.
            503 => assert_eq!(error_code(reply), "contention"),
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    assert_eq!(created, 1, "exactly one placement creates the order");
    assert_eq!(ids.len(), 1, "every answer is the same order: {ids:?}");
    let replay = place();
    assert!(matches!(replay.status, 200 | 201), "{}", replay.text());
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(BTreeSet::from([text(&json(&replay), "id")]), ids);
    assert_eq!(list_all(&app, "").len(), 1);
    (replies, replay)
}

/// What the contract adds to [`check_concurrent_placements_under_one_idempotency_key_make_one_order`]:
/// a key replays its first answer (201), so every other answer of the storm that names the order
/// and the later retry are 201 with `Idempotent-Replayed: true`.
pub(crate) fn check_every_answer_under_one_idempotency_key_is_the_first(
    replies: &[Reply],
    replay: &Reply,
) {
    let answers: Vec<(u16, Option<&str>)> = replies
        .iter()
        .chain([replay])
        .filter(|reply| reply.status != 503)
        .map(|reply| (reply.status, reply.header("idempotent-replayed")))
        .collect();
    let replayed = answers
        .iter()
        .filter(|a| **a == (201, Some("true")))
        .count();
    assert_eq!(replayed + 1, answers.len(), "{answers:?}");
}

#[test]
fn concurrent_placements_under_one_idempotency_key_make_one_order() {
    check_concurrent_placements_under_one_idempotency_key_make_one_order(Store::from_env(
        Cas::Honest,
    ));
}

#[test]
fn concurrent_placements_under_one_idempotency_key_make_one_order_when_swaps_report_cas_failed() {
    check_concurrent_placements_under_one_idempotency_key_make_one_order(Store::from_env(
        Cas::ReportsFailure,
    ));
}

pub(crate) fn check_thirty_two_concurrent_comments_advance_the_version_by_exactly_32(
    deployment: impl Into<Deployment>,
) {
    if !app::has_component("change-order") {
        eprintln!("skipped: spin.toml has no change-order component yet");
        return;
    }
    let app = App::start_on("comments", deployment);
    let order = app.checkout().place(&sample::order("comments-1"));
    let id = text(&order, "id");
    let admin = app.admin();
    let replies = parallel(32, |i| {
        admin.post(
            &format!("/orders/{id}/comments"),
            &json!({"text": format!("comment {i}"), "notifyCustomer": false, "visibleToCustomer": false}),
        )
    });
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    // Each answer saw a different version: no two commands were applied on the same state.
    let versions: BTreeSet<i64> = replies.iter().map(|r| int(&json(r), "version")).collect();
    assert_eq!(versions, (2..=33).collect(), "versions answered");
    let stored = admin.order(&id);
    assert_eq!(int(&stored, "version"), 33, "{stored}");
    let texts: BTreeSet<String> = stored["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| text(c, "text"))
        .collect();
    assert_eq!(texts, (0..32).map(|i| format!("comment {i}")).collect());
    assert_eq!(stored["comments"].as_array().map(Vec::len), Some(32));
    assert_eq!(stored["status"], "payment-pending");
}

#[test]
fn thirty_two_concurrent_comments_advance_the_version_by_exactly_32() {
    check_thirty_two_concurrent_comments_advance_the_version_by_exactly_32(Store::from_env(
        Cas::Honest,
    ));
}

#[test]
fn thirty_two_concurrent_comments_advance_the_version_by_exactly_32_when_swaps_report_cas_failed() {
    check_thirty_two_concurrent_comments_advance_the_version_by_exactly_32(Store::from_env(
        Cas::ReportsFailure,
    ));
}

pub(crate) fn check_ten_concurrent_identical_payment_approvals_make_one_transition(
    deployment: impl Into<Deployment>,
) {
    if !app::has_component("payment-notification") {
        eprintln!("skipped: spin.toml has no payment-notification component yet");
        return;
    }
    let app = App::start_on("payments", deployment);
    let order = app.checkout().place(&sample::order("pay-1"));
    let id = text(&order, "id");
    let body = crate::webhook::payment(&id, "pay-123", "approved", sample::TOTAL);
    let replies = parallel(10, |_| crate::webhook::notify(&app, &body));
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(
            json(reply)["status"],
            "payment-approved",
            "{}",
            reply.text()
        );
    }
    let stored = app.admin().order(&id);
    assert_eq!(stored["status"], "payment-approved");
    assert_eq!(int(&stored, "version"), 2, "one change: {stored}");
    assert_eq!(stored["totals"]["paid"], sample::TOTAL);
    assert_eq!(stored["payment"]["status"], "approved");
    assert_eq!(
        stored["payment"]["transactions"].as_array().map(Vec::len),
        Some(1),
        "{stored}"
    );
    let approvals = stored["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["to"] == "payment-approved")
        .count();
    assert_eq!(approvals, 1, "{stored}");
    assert_eq!(list_all(&app, "status=payment-approved").len(), 1);
    assert_eq!(list_all(&app, "status=payment-pending").len(), 0);
}

#[test]
fn ten_concurrent_identical_payment_approvals_make_one_transition() {
    check_ten_concurrent_identical_payment_approvals_make_one_transition(Store::from_env(
        Cas::Honest,
    ));
}

#[test]
fn ten_concurrent_identical_payment_approvals_make_one_transition_when_swaps_report_cas_failed() {
    check_ten_concurrent_identical_payment_approvals_make_one_transition(Store::from_env(
        Cas::ReportsFailure,
    ));
}
