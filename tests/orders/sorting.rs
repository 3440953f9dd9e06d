//! `GET /orders` sorted across pages: by total and by creation, in both directions, with and
//! without filters, each order once and in order; an order whose total changes; and the check
//! that repairs a lost entry of the index by total.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::app::{App, int, json, text};
use crate::placement::{encode, pages};
use crate::{parallel, sample};

/// A pix order of one unit at `total`, free shipping, for customer `customer`.
fn priced(total: i64, customer: &str) -> Value {
    let mut order = sample::order(&format!("s-{customer}-{total}-{}", unique()));
    order["customer"]["id"] = json!(customer);
    order["items"][0]["quantity"] = json!(1);
    order["items"][0]["unitPrice"] = json!(total);
    order["shipping"]["price"] = json!(0);
    order["totals"]["total"] = json!(total);
    order
}

fn unique() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn totals(orders: &[Value]) -> Vec<i64> {
    orders
        .iter()
        .map(|o| o["totals"]["total"].as_i64().expect("a total"))
        .collect()
}

/// When each placement was sent and answered, on one logical clock shared by the placing
/// threads: `a.answered < b.sent` means `a` was acknowledged before `b` was asked for.
#[derive(Debug, Clone, Copy)]
struct Span {
    sent: u64,
    answered: u64,
}

fn tick() -> u64 {
    static NOW: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NOW.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// Places `orders` over `connections` parallel connections; each placed order with its span.
fn place_timed(app: &App, orders: &[Value], connections: usize) -> Vec<(Value, Span)> {
    let checkout = app.checkout();
    parallel(connections, |worker| {
        (worker..orders.len())
            .step_by(connections)
            .map(|i| {
                let sent = tick();
                let placed = checkout.place(&orders[i]);
                (
                    placed,
                    Span {
                        sent,
                        answered: tick(),
                    },
                )
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Lists `query` by `sort` in pages of `limit` and checks that the orders numbered `expected`
/// come each once, in order. By total: totals in order, and equal totals in placement order. By
/// creation: placement order, which is the order number's where the walk follows the numbers
/// (`by_number`). Placement order is what a client can see: an order acknowledged before another
/// was sent always comes first; orders whose placements overlapped may come either way, the
/// same way on every page.
fn assert_listed_in_order(
    app: &App,
    query: &str,
    sort: &str,
    limit: usize,
    expected: &BTreeSet<i64>,
    spans: &HashMap<i64, Span>,
    by_number: bool,
) {
    let what = format!("sort={sort}&{query}, limit {limit}");
    let mut listed: Vec<Value> = pages(app, &format!("sort={sort}&{query}"), limit)
        .into_iter()
        .flatten()
        .collect();
    let numbers: Vec<i64> = listed.iter().map(|o| int(o, "number")).collect();
    let unique: BTreeSet<i64> = numbers.iter().copied().collect();
    assert_eq!(
        unique.len(),
        numbers.len(),
        "{what}: an order was listed twice"
    );
    assert_eq!(&unique, expected, "{what}: not exactly the matching orders");
    if sort.starts_with('-') {
        listed.reverse();
    }
    let by_total = sort.trim_start_matches('-') == "total";
    let key = |o: &Value| {
        if by_total {
            o["totals"]["total"].as_i64().expect("a total")
        } else {
            0
        }
    };
    let keys: Vec<i64> = listed.iter().map(key).collect();
    assert!(keys.is_sorted(), "{what}: totals out of order");
    if by_number && !by_total {
        let numbers: Vec<i64> = listed.iter().map(|o| int(o, "number")).collect();
        assert!(numbers.is_sorted(), "{what}: not in order number order");
    }
    // Among equal keys, no order may come after one that was sent only once it was answered:
    // walking from the end, the earliest answer seen so far must not precede this one's sending.
    let mut earliest: Option<(i64, u64, i64)> = None;
    for order in listed.iter().rev() {
        let (k, number) = (key(order), int(order, "number"));
        let span = spans[&number];
        if let Some((ek, answered, later)) = earliest
            && ek == k
        {
            assert!(
                answered > span.sent,
                "{what}: order {later} comes after order {number}, though it was answered \
                 before {number} was sent"
            );
        }
        earliest = match earliest {
            Some((ek, answered, n)) if ek == k && answered < span.answered => {
                Some((ek, answered, n))
            }
            Some(_) | None => Some((k, span.answered, number)),
        };
    }
}

#[test]
fn the_issues_seven_totals_sort_across_pages() {
    let app = App::start("sorted-seven");
    let checkout = app.checkout();
    for total in [700, 300, 500, 100, 600, 200, 400] {
        checkout.place(&priced(total, "c-7"));
    }
    let by_page = |sort: &str| -> Vec<Vec<i64>> {
        pages(&app, &format!("sort={sort}"), 3)
            .iter()
            .map(|p| totals(p))
            .collect()
    };
    assert_eq!(
        by_page("total"),
        vec![vec![100, 200, 300], vec![400, 500, 600], vec![700]]
    );
    assert_eq!(
        by_page("-total"),
        vec![vec![700, 600, 500], vec![400, 300, 200], vec![100]]
    );
    // A cursor answers only the sort that made it.
    let first = json(&app.admin().get("/orders?sort=total&limit=3"));
    let cursor = first["nextCursor"].as_str().expect("a cursor");
    let reply = app.admin().get(&format!(
        "/orders?sort=-total&limit=3&cursor={}",
        encode(cursor)
    ));
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(
        json(&reply)["error"]["details"]["fields"][0]["field"],
        "cursor"
    );
}

#[test]
fn a_thousand_orders_page_by_total_and_by_date_each_once_and_in_order() {
    let app = App::start("sorted-thousand");
    // 97 distinct totals, about ten orders on each: ties everywhere. Every tenth order is the
    // VIP customer's. Placed over eight connections, so that placements overlap.
    let orders: Vec<Value> = (0..1000_i64)
        .map(|i| {
            let total = 100 * ((i * 7919) % 97 + 1);
            let customer = if i % 10 == 0 { "c-vip" } else { "c-17" };
            priced(total, customer)
        })
        .collect();
    let (placed, spans): (Vec<Value>, Vec<Span>) =
        place_timed(&app, &orders, 8).into_iter().unzip();
    let spans: HashMap<i64, Span> = placed
        .iter()
        .zip(spans)
        .map(|(o, span)| (int(o, "number"), span))
        .collect();
    assert_eq!(placed.len(), 1000);
    let all: BTreeSet<i64> = placed.iter().map(|o| int(o, "number")).collect();
    let vip: BTreeSet<i64> = placed
        .iter()
        .filter(|o| o["customer"]["id"] == "c-vip")
        .map(|o| int(o, "number"))
        .collect();

    // Approve every third order, newest first, so that the order they entered their status in
    // is the reverse of their creation.
    let admin = app.admin();
    let mut by_number: Vec<&Value> = placed.iter().collect();
    by_number.sort_by_key(|o| std::cmp::Reverse(int(o, "number")));
    let mut approved = BTreeSet::new();
    for order in by_number.iter().filter(|o| int(o, "number") % 3 == 0) {
        let reply = admin.post(
            &format!("/orders/{}/payment", text(order, "id")),
            &json!({"amount": order["totals"]["total"]}),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        approved.insert(int(order, "number"));
    }

    for sort in ["total", "-total", "createdAt", "-createdAt"] {
        assert_listed_in_order(&app, "", sort, 9, &all, &spans, true);
        let approved_query = "status=payment-approved";
        assert_listed_in_order(&app, approved_query, sort, 7, &approved, &spans, true);
        assert_listed_in_order(&app, "customer=c-vip", sort, 4, &vip, &spans, false);
    }
    let vip_approved: BTreeSet<i64> = vip.intersection(&approved).copied().collect();
    assert_listed_in_order(
        &app,
        "customer=c-vip&status=payment-approved",
        "-total",
        2,
        &vip_approved,
        &spans,
        false,
    );
    // Bounds by total bound the walk.
    let middle: BTreeSet<i64> = placed
        .iter()
        .filter(|o| (3000..=5000).contains(&o["totals"]["total"].as_i64().unwrap_or(0)))
        .map(|o| int(o, "number"))
        .collect();
    let bounded = "minTotal=3000&maxTotal=5000";
    assert_listed_in_order(&app, bounded, "-total", 11, &middle, &spans, false);

    // An order whose total changes moves to its new place, and is still listed once.
    let moved = &placed[10];
    let reply = admin.post(
        &format!("/orders/{}/changes", text(moved, "id")),
        &json!({
            "requestId": "price-fix-1",
            "reason": "price fixed",
            "prices": [{"sku": "CAM-P-AZ", "unitPrice": 4321}]
        }),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply)["totals"]["total"], 4321);
    for sort in ["total", "-total"] {
        let listed: Vec<Value> = pages(&app, &format!("sort={sort}"), 13)
            .into_iter()
            .flatten()
            .collect();
        let numbers: BTreeSet<i64> = listed.iter().map(|o| int(o, "number")).collect();
        assert_eq!(numbers.len(), listed.len(), "sort={sort}: listed twice");
        assert_eq!(numbers, all, "sort={sort}");
        let listed_totals = totals(&listed);
        let mut sorted = listed_totals.clone();
        sorted.sort_unstable();
        if sort == "-total" {
            sorted.reverse();
        }
        assert_eq!(listed_totals, sorted, "sort={sort}: out of order");
        let at = listed
            .iter()
            .position(|o| o["id"] == moved["id"])
            .expect("the changed order is listed");
        assert_eq!(listed[at]["totals"]["total"], 4321);
    }
}

#[test]
fn the_check_reports_and_repairs_a_lost_entry_of_the_index_by_total() {
    let mut app = App::start("sorted-check");
    let checkout = app.checkout();
    let orders: Vec<Value> = [300, 100, 200]
        .iter()
        .map(|t| checkout.place(&priced(*t, "c-1")))
        .collect();
    let lost = text(&orders[2], "id");
    // A listing runs the indexer: the orders are in the index by total.
    assert_eq!(
        totals(&pages(&app, "sort=total", 10).concat()),
        [100, 200, 300]
    );
    app.kill();
    let deleted = app.delete_where("ord/ix/total/", &format!("\"{lost}\""));
    assert_eq!(deleted, 1);
    app.restart();
    let admin = app.admin();
    let by_total = || totals(&pages(&app, "sort=total", 2).concat());
    assert_eq!(
        by_total(),
        vec![100, 300],
        "the order without its entry is not listed by total"
    );

    let check = |query: &str| {
        let reply = admin.post(&format!("/admin/check{query}"), &json!({}));
        assert_eq!(reply.status, 200, "{}", reply.text());
        json(&reply)
    };
    let report = check("");
    assert_eq!(report["consistent"], false, "{report}");
    let found = report["inconsistencies"].to_string();
    assert!(
        found.contains(&lost) && found.contains("total/200"),
        "{report}"
    );
    let repaired = check("?repair=true");
    assert!(
        repaired["repaired"].to_string().contains("total/200"),
        "{repaired}"
    );
    assert_eq!(check("")["consistent"], true);
    assert_eq!(by_total(), vec![100, 200, 300]);
}
