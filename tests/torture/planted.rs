//! Clean recorded histories with one anomaly planted each: the checker reports that one, of
//! its kind, and nothing for the clean history.

use serde_json::{Value, json};

use crate::check::{Answer, Exchange, Final, Kind, Op, check};

/// A placed pix order of two units at R$ 49,90 with R$ 15,00 shipping, paid, then commented:
/// version 3, its totals as documented.
fn order(id: &str, external: &str) -> Value {
    json!({
        "id": id, "number": 1, "status": "payment-approved", "version": 3,
        "channel": "storefront", "externalId": external,
        "items": [{"sku": "CAM-P-AZ", "quantity": 2, "unitPrice": 4990, "discount": 0,
                   "invoiced": 0, "returned": 0}],
        "totals": {"items": 9980, "discount": 0, "increment": 0, "shipping": 1500,
                   "total": 11480, "paid": 11480, "refunded": 0, "returned": 0, "balance": 0},
        "payment": {"transactions": [{"status": "approved", "amount": 11480}]},
        "refunds": [],
        "comments": [{"text": "note-1"}],
        "history": [
            {"from": null, "to": "payment-pending", "event": "order-placed"},
            {"from": "payment-pending", "to": "payment-approved", "event": "payment-approved"},
            {"from": "payment-approved", "to": "payment-approved", "event": "commented"},
        ],
    })
}

fn run() -> Vec<Exchange> {
    let got = |body: Value| Answer::Got(200, body);
    vec![
        Exchange {
            n: 1,
            op: Op::Place {
                channel: "storefront".into(),
                external_id: Some("MLB-1".into()),
            },
            idempotency_key: None,
            answer: Answer::Got(201, json!({"id": "o-1", "version": 1})),
        },
        Exchange {
            n: 2,
            op: Op::Command {
                order: "o-1".into(),
                event: "payment-approved",
            },
            idempotency_key: Some("k-2".into()),
            answer: got(json!({"id": "o-1", "version": 2})),
        },
        Exchange {
            n: 3,
            op: Op::Comment {
                order: "o-1".into(),
                marker: "note-1".into(),
            },
            idempotency_key: Some("k-3".into()),
            answer: got(json!({"id": "o-1", "version": 3})),
        },
        // Lost to a kill, and never applied: allowed.
        Exchange {
            n: 4,
            op: Op::Comment {
                order: "o-1".into(),
                marker: "note-lost".into(),
            },
            idempotency_key: Some("k-4".into()),
            answer: Answer::Lost,
        },
    ]
}

fn clean() -> Final {
    Final {
        orders: [("o-1".to_owned(), order("o-1", "MLB-1"))].into(),
        listed: vec!["o-1".into()],
        feed: vec![1, 2, 3],
    }
}

/// The kinds the checker reports for `run` and `end`.
fn kinds(run: &[Exchange], end: &Final) -> Vec<Kind> {
    check(run, end).into_iter().map(|a| a.kind).collect()
}

#[test]
fn a_clean_history_has_no_anomaly() {
    assert_eq!(check(&run(), &clean()), []);
}

#[test]
fn an_acknowledged_comment_missing_from_its_order_is_reported() {
    let mut end = clean();
    end.orders.get_mut("o-1").unwrap()["comments"] = json!([]);
    assert_eq!(kinds(&run(), &end), [Kind::AckedMissing]);
}

#[test]
fn an_acknowledged_command_whose_version_holds_another_event_is_reported() {
    let mut end = clean();
    end.orders.get_mut("o-1").unwrap()["history"][1]["event"] = json!("payment-denied");
    assert_eq!(kinds(&run(), &end), [Kind::AckedMissing]);
}

#[test]
fn a_lost_comment_applied_twice_is_reported_and_once_is_allowed() {
    let mut end = clean();
    let order = end.orders.get_mut("o-1").unwrap();
    order["comments"] = json!([{"text": "note-1"}, {"text": "note-lost"}]);
    assert_eq!(
        check(&run(), &end),
        [],
        "a lost command may have applied once"
    );
    let order = end.orders.get_mut("o-1").unwrap();
    order["comments"] = json!([{"text": "note-1"}, {"text": "note-lost"}, {"text": "note-lost"}]);
    assert_eq!(kinds(&run(), &end), [Kind::AppliedTwice]);
}

#[test]
fn a_history_that_skips_a_status_or_a_version_is_reported() {
    let mut end = clean();
    end.orders.get_mut("o-1").unwrap()["history"][2]["from"] = json!("handling");
    assert_eq!(kinds(&run(), &end), [Kind::BrokenHistory]);
    let mut end = clean();
    end.orders.get_mut("o-1").unwrap()["version"] = json!(4);
    assert_eq!(kinds(&run(), &end), [Kind::BrokenHistory]);
}

#[test]
fn totals_that_do_not_add_up_are_reported() {
    let mut end = clean();
    end.orders.get_mut("o-1").unwrap()["totals"]["balance"] = json!(-100);
    assert_eq!(kinds(&run(), &end), [Kind::Totals]);
    let mut end = clean();
    end.orders.get_mut("o-1").unwrap()["payment"]["transactions"] =
        json!([{"status": "approved", "amount": 11480}, {"status": "approved", "amount": 11480}]);
    assert_eq!(kinds(&run(), &end), [Kind::Totals]);
}

#[test]
fn an_order_missing_from_the_listing_or_listed_twice_is_reported() {
    let mut end = clean();
    end.listed.clear();
    assert_eq!(kinds(&run(), &end), [Kind::Listing]);
    end.listed = vec!["o-1".into(), "o-1".into()];
    assert_eq!(kinds(&run(), &end), [Kind::Listing]);
}

#[test]
fn two_orders_for_one_external_id_are_reported() {
    let mut end = clean();
    let mut twin = order("o-2", "MLB-1");
    twin["number"] = json!(2);
    end.orders.insert("o-2".into(), twin);
    end.listed.push("o-2".into());
    assert_eq!(kinds(&run(), &end), [Kind::DuplicateOrder]);
}

#[test]
fn feed_gaps_and_repeats_are_reported() {
    let mut end = clean();
    end.feed = vec![1, 3];
    assert_eq!(kinds(&run(), &end), [Kind::Feed]);
    end.feed = vec![1, 2, 2, 3];
    assert_eq!(kinds(&run(), &end), [Kind::Feed]);
}

#[test]
fn the_summary_counts_by_kind_and_ends_with_the_total() {
    let mut end = clean();
    end.feed = vec![1, 3, 3];
    end.listed.clear();
    let summary = crate::check::summary(&check(&run(), &end));
    assert_eq!(summary, "  listing: 1\n  feed: 2\nanomalies: 3");
    assert_eq!(crate::check::summary(&[]), "anomalies: 0");
}
