//! Listings sorted across pages: by total through the `total/{minor}` indexes and their
//! directory, by creation with a status filter, and the check that repairs them.

use super::*;

use orderflow_domain::order::{OrderChange, PriceChange};
use orderflow_domain::values::{Quantity, RequestId, Sku};

/// A placement whose total is exactly `total` (one unit of one item, free shipping), for a
/// customer `customer`.
fn priced(total: i64, customer: &str) -> PlaceOrder {
    let mut input = input();
    input.items[0].quantity = Quantity::new(1).unwrap();
    input.items[0].unit_price = Money::from_minor(total);
    input.items[0].discount = Money::ZERO;
    input.shipping.price = Money::ZERO;
    input.expected_total = None;
    input.customer.id = Some(orderflow_domain::values::CustomerId::parse(customer).unwrap());
    input.customer.document = None;
    input
}

fn place_priced(kv: &MemoryKv, total: i64, customer: &str) -> Order {
    let order = service(kv)
        .place(priced(total, customer), Actor::Checkout, None)
        .unwrap()
        .order;
    assert_eq!(order.totals().total, Money::from_minor(total));
    order
}

fn query(sort: Sort, limit: u32) -> Query {
    Query {
        sort,
        limit,
        ..Query::default()
    }
}

fn totals(orders: &[Order]) -> Vec<i64> {
    orders.iter().map(|o| o.totals().total.minor()).collect()
}

/// Pages of a listing, each as its totals.
fn pages(kv: &MemoryKv, mut query: Query) -> Vec<Vec<i64>> {
    let mut out = Vec::new();
    loop {
        let page = service(kv).list(&query).unwrap();
        out.push(totals(&page.items));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return out,
        }
    }
}

/// Checks that `listed` holds each of `expected` once, sorted by (total, number) or its reverse.
/// Equal totals come in the order they got that total, which is creation order when no total
/// changed.
fn assert_sorted(listed: &[Order], expected: &BTreeSet<u64>, ascending: bool, what: &str) {
    let numbers: Vec<u64> = listed.iter().map(Order::number).collect();
    let unique: BTreeSet<u64> = numbers.iter().copied().collect();
    assert_eq!(
        numbers.len(),
        unique.len(),
        "{what}: an order was listed twice"
    );
    assert_eq!(&unique, expected, "{what}: not every order was listed");
    let keys: Vec<(i64, u64)> = listed
        .iter()
        .map(|o| (o.totals().total.minor(), o.number()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    if !ascending {
        sorted.reverse();
    }
    assert_eq!(keys, sorted, "{what}: out of order");
}

#[test]
fn the_issues_seven_totals_page_in_order_across_pages() {
    let kv = MemoryKv::new();
    for total in [700, 300, 500, 100, 600, 200, 400] {
        place_priced(&kv, total, "c-1");
    }
    assert_eq!(
        pages(&kv, query(Sort::TotalAsc, 3)),
        vec![vec![100, 200, 300], vec![400, 500, 600], vec![700]]
    );
    assert_eq!(
        pages(&kv, query(Sort::TotalDesc, 3)),
        vec![vec![700, 600, 500], vec![400, 300, 200], vec![100]]
    );
    let bounded = Query {
        min_total: Some(Money::from_minor(200)),
        max_total: Some(Money::from_minor(600)),
        ..query(Sort::TotalDesc, 2)
    };
    assert_eq!(
        pages(&kv, bounded),
        vec![vec![600, 500], vec![400, 300], vec![200]]
    );
}

#[test]
fn many_orders_with_ties_page_by_total_each_once_and_in_order() {
    let kv = MemoryKv::new();
    let mut all = BTreeSet::new();
    let mut of_customer = BTreeSet::new();
    // Totals from 0 to beyond 32^3, many repeated: ties, several directory classes and leaves.
    let mut seed = 7u64;
    for n in 0..400u64 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let total = match n % 4 {
            0 => 4990,
            1 => i64::try_from(seed >> 40).unwrap() % 50_000,
            2 => i64::try_from(seed >> 50).unwrap() % 40,
            _ => 1_000_000 + i64::try_from(seed >> 45).unwrap() % 3,
        };
        let customer = if n % 5 == 0 { "c-5" } else { "c-x" };
        let order = place_priced(&kv, total, customer);
        all.insert(order.number());
        if customer == "c-5" {
            of_customer.insert(order.number());
        }
    }
    for (sort, ascending) in [(Sort::TotalAsc, true), (Sort::TotalDesc, false)] {
        for limit in [1, 7, 50] {
            let listed = list_all(&kv, query(sort, limit));
            assert_sorted(&listed, &all, ascending, &format!("{sort:?} limit {limit}"));
        }
        let listed = list_all(
            &kv,
            Query {
                customer: Some("c-5".into()),
                ..query(sort, 6)
            },
        );
        assert_sorted(&listed, &of_customer, ascending, "a customer's orders");
    }
}

#[test]
fn an_order_whose_total_changes_moves_to_its_new_place() {
    let kv = MemoryKv::new();
    let orders: Vec<Order> = [100, 200, 300, 400]
        .into_iter()
        .map(|t| place_priced(&kv, t, "c-1"))
        .collect();
    let change = Command::Change(OrderChange {
        request_id: RequestId::parse("r-1").unwrap(),
        reason: Text::parse("price fixed", 100).unwrap(),
        add: Vec::new(),
        remove: Vec::new(),
        prices: vec![PriceChange {
            sku: Sku::parse("CAM-P-AZ").unwrap(),
            unit_price: Money::from_minor(350),
        }],
        discount: Money::ZERO,
        increment: Money::ZERO,
    });
    let written = service(&kv)
        .apply(orders[0].id(), &change, Actor::Admin, None, None)
        .unwrap();
    assert_eq!(written.order.totals().total, Money::from_minor(350));
    assert_eq!(
        pages(&kv, query(Sort::TotalAsc, 2)),
        vec![vec![200, 300], vec![350, 400]]
    );
    assert_eq!(
        pages(&kv, query(Sort::TotalDesc, 3)),
        vec![vec![400, 350, 300], vec![200]]
    );
    // The old total's entry is gone; its slot counter stays (a listing passes over it).
    assert!(
        kv.peek(&keys::index_entry(&IndexName::total(100), 1))
            .is_none()
    );
}

#[test]
fn by_creation_a_status_filter_lists_in_creation_order_not_in_approval_order() {
    let kv = MemoryKv::new();
    let orders: Vec<Order> = (0..12).map(|n| place_priced(&kv, 100 + n, "c-1")).collect();
    // Approved newest first: the status index holds them in that order.
    let mut approved = BTreeSet::new();
    for order in orders.iter().rev().step_by(2) {
        let paid = order.totals().total.minor();
        service(&kv)
            .apply(order.id(), &approval(paid), Actor::Checkout, None, None)
            .unwrap();
        approved.insert(order.number());
    }
    for (sort, ascending) in [(Sort::CreatedAtAsc, true), (Sort::CreatedAtDesc, false)] {
        let listed = list_all(
            &kv,
            Query {
                status: Some(Status::PaymentApproved),
                ..query(sort, 4)
            },
        );
        let numbers: Vec<u64> = listed.iter().map(Order::number).collect();
        let mut expected: Vec<u64> = approved.iter().copied().collect();
        if !ascending {
            expected.reverse();
        }
        assert_eq!(numbers, expected, "{sort:?}");
    }
    // By total with the same filter.
    let listed = list_all(
        &kv,
        Query {
            status: Some(Status::PaymentApproved),
            ..query(Sort::TotalDesc, 5)
        },
    );
    assert_sorted(&listed, &approved, false, "approved by total");
}

#[test]
fn a_cursor_of_another_sort_is_refused() {
    let kv = MemoryKv::new();
    for total in [1, 2, 3] {
        place_priced(&kv, total, "c-1");
    }
    let page = service(&kv).list(&query(Sort::TotalAsc, 1)).unwrap();
    let cursor = page.next_cursor.unwrap();
    for sort in [Sort::TotalDesc, Sort::CreatedAtAsc, Sort::CreatedAtDesc] {
        let refused = service(&kv).list(&Query {
            cursor: Some(cursor.clone()),
            ..query(sort, 1)
        });
        assert!(matches!(refused, Err(Failure::Invalid(_))), "{sort:?}");
    }
}

#[test]
fn indexing_a_batch_costs_one_increment_per_index_and_marks_a_new_total_once() {
    let kv = MemoryKv::new();
    place_priced(&kv, 4990, "c-1");
    service(&kv).catch_up().unwrap();
    let increments = |kv: &MemoryKv, prefix: &str| {
        kv.calls()
            .iter()
            .filter(|c| matches!(c, Call::Increment(key, _) if key.starts_with(prefix)))
            .count()
    };
    // A placement allocates no slot: the indexer does, a batch at a time.
    kv.clear_calls();
    for customer in ["c-2", "c-3", "c-4"] {
        place_priced(&kv, 4990, customer);
    }
    assert_eq!(increments(&kv, "ord/n/ix/"), 0);
    service(&kv).catch_up().unwrap();
    // Three orders of a total seen before: one increment of its counter, by three.
    assert_eq!(increments(&kv, "ord/n/ix/total/"), 1);
    assert_eq!(increments(&kv, "ord/n/tot/"), 0);
    kv.clear_calls();
    // A new total next to it (same directory leaf): its slot and one bit.
    place_priced(&kv, 4991, "c-5");
    service(&kv).catch_up().unwrap();
    assert_eq!(increments(&kv, "ord/n/ix/total/"), 1);
    assert_eq!(increments(&kv, "ord/n/tot/"), 1);
}

#[test]
fn check_finds_and_repairs_a_lost_total_entry_and_a_lost_directory_bit() {
    let kv = MemoryKv::new();
    for total in [100, 200, 300] {
        place_priced(&kv, total, "c-1");
    }
    let second = place_priced(&kv, 200, "c-1");
    service(&kv).catch_up().unwrap();
    // A crash lost the entry of the second order with total 200...
    let key = keys::index_record(second.id());
    let record: crate::doc::IndexRecord = decode(&key, &kv.peek(&key).unwrap()).unwrap();
    let slot = record.slots[&IndexName::total(200)].0;
    Kv::delete(&kv, &keys::index_entry(&IndexName::total(200), slot)).unwrap();
    // ...and the bits that lead to 300: its leaf node lost them.
    let leaf = keys::totals_node(2, &[9]);
    let bits = crate::kv::counter_value(kv.peek(&leaf).as_deref()).unwrap();
    kv.seed(&leaf, &(bits & !(1 << 12)).to_le_bytes());
    assert_eq!(
        totals(&list_all(&kv, query(Sort::TotalAsc, 10))),
        vec![100, 200],
        "300 = 9·32 + 12"
    );

    let report = service(&kv).check(false).unwrap();
    assert_eq!(report.inconsistencies.len(), 2, "{report:?}");
    assert!(report.repaired.is_empty());
    let report = service(&kv).check(true).unwrap();
    assert_eq!(report.repaired.len(), 2, "{report:?}");
    assert!(
        service(&kv)
            .check(false)
            .unwrap()
            .inconsistencies
            .is_empty()
    );
    assert_eq!(
        totals(&list_all(&kv, query(Sort::TotalAsc, 10))),
        vec![100, 200, 200, 300]
    );
}

#[test]
fn listings_by_total_hold_with_lying_swaps_and_racing_writers() {
    let kv = MemoryKv::new();
    let mut all = BTreeSet::new();
    for n in 0..40i64 {
        kv.lie_about_swaps(usize::from(n % 2 == 0));
        let order = place_priced(&kv, (n * 37) % 11, "c-1");
        all.insert(order.number());
    }
    // Commands racing on the same orders while their totals change.
    for (n, order) in all.iter().enumerate().take(10) {
        let id = keys::order_id(*order).unwrap();
        let other = id.clone();
        kv.interleave(move |kv| {
            service_at(kv, t0())
                .apply(&other, &comment("racing"), Actor::Admin, None, None)
                .unwrap();
        });
        kv.lie_about_swaps(1);
        let change = Command::Change(OrderChange {
            request_id: RequestId::parse(&format!("r-{n}")).unwrap(),
            reason: Text::parse("price fixed", 100).unwrap(),
            add: Vec::new(),
            remove: Vec::new(),
            prices: vec![PriceChange {
                sku: Sku::parse("CAM-P-AZ").unwrap(),
                unit_price: Money::from_minor(1000 + i64::try_from(n).unwrap()),
            }],
            discount: Money::ZERO,
            increment: Money::ZERO,
        });
        service(&kv)
            .apply(&id, &change, Actor::Admin, None, None)
            .unwrap();
    }
    assert!(!kv.has_pending_hooks());
    for (sort, ascending) in [(Sort::TotalAsc, true), (Sort::TotalDesc, false)] {
        let listed = list_all(&kv, query(sort, 3));
        assert_sorted(&listed, &all, ascending, &format!("{sort:?}"));
    }
    assert!(
        service(&kv)
            .check(false)
            .unwrap()
            .inconsistencies
            .is_empty()
    );
}
