//! The counted indexes: orders per status and with open problems, kept in the indexer's head,
//! and the listing of orders with problems.

use std::collections::BTreeMap;

use super::*;

fn counts(kv: &MemoryKv) -> BTreeMap<String, u64> {
    service(kv).counts().unwrap().expect("a new store counts")
}

fn problems(kv: &MemoryKv) -> Vec<OrderId> {
    service(kv)
        .list(&Query {
            problems: true,
            limit: 50,
            ..Query::default()
        })
        .unwrap()
        .items
        .iter()
        .map(|o| o.id().clone())
        .collect()
}

#[test]
fn counts_follow_each_status_change_and_each_order_counts_once() {
    let kv = MemoryKv::new();
    assert!(counts(&kv).is_empty());
    let a = place(&kv);
    let b = place(&kv);
    place(&kv);
    assert_eq!(
        counts(&kv),
        BTreeMap::from([("status/payment-pending".into(), 3)])
    );
    let total = a.totals().total.minor();
    service(&kv)
        .apply(a.id(), &approval(total), Actor::PaymentProvider, None, None)
        .unwrap();
    let written = service(&kv).apply(
        b.id(),
        &Command::Cancel {
            reason: Text::parse("no stock", 200).unwrap(),
        },
        Actor::Admin,
        None,
        None,
    );
    written.unwrap();
    // Twice in a row between two passes: counted in the status it ends in.
    service(&kv)
        .apply(a.id(), &Command::StartHandling, Actor::Admin, None, None)
        .unwrap();
    assert_eq!(
        counts(&kv),
        BTreeMap::from([
            ("status/payment-pending".into(), 1),
            ("status/handling".into(), 1),
            ("status/canceled".into(), 1),
        ])
    );
    // A pass that finds nothing new changes nothing.
    assert_eq!(counts(&kv).values().sum::<u64>(), 3);
}

#[test]
fn orders_with_problems_are_listed_and_counted_until_reprocessed_away() {
    let kv = MemoryKv::new();
    let short = place(&kv);
    let fine = place(&kv);
    let total = short.totals().total.minor();
    service(&kv)
        .apply(
            short.id(),
            &approval(total - 100),
            Actor::PaymentProvider,
            None,
            None,
        )
        .unwrap();
    service(&kv)
        .apply(
            fine.id(),
            &approval(fine.totals().total.minor()),
            Actor::PaymentProvider,
            None,
            None,
        )
        .unwrap();
    assert_eq!(problems(&kv), [short.id().clone()]);
    assert_eq!(counts(&kv).get("problems"), Some(&1));

    // The rest is paid, and reprocessing clears the problem: the order leaves the list.
    let rest = Command::ManualPayment(orderflow_domain::order::ManualPayment {
        amount: Money::from_minor(100),
        note: None,
    });
    service(&kv)
        .apply(short.id(), &rest, Actor::Admin, None, None)
        .unwrap();
    service(&kv)
        .apply(short.id(), &Command::Reprocess, Actor::Admin, None, None)
        .unwrap();
    assert!(problems(&kv).is_empty());
    assert_eq!(counts(&kv).get("problems"), None);
    assert_eq!(counts(&kv).get("status/payment-approved"), Some(&2));
}

#[test]
fn a_head_written_before_counting_began_counts_nothing() {
    let kv = MemoryKv::new();
    place(&kv);
    service(&kv).catch_up().unwrap();
    // As a store indexed by an earlier release leaves it.
    let key = keys::INDEX_HEAD;
    let mut head: crate::doc::IndexHead = decode(key, &kv.peek(key).unwrap()).unwrap();
    head.counts = None;
    kv.set(key, &crate::doc::encode(&head).unwrap()).unwrap();
    place(&kv);
    assert_eq!(service(&kv).counts().unwrap(), None);
}

#[test]
fn the_check_does_not_look_for_entries_of_indexes_that_are_only_counted() {
    let kv = MemoryKv::new();
    place(&kv);
    let report = service(&kv).check(false).unwrap();
    assert!(report.inconsistencies.is_empty(), "{report:?}");
}

#[test]
fn counts_match_the_orders_after_random_commands_passes_and_lying_swaps() {
    let kv = MemoryKv::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % 100
    };
    let mut ids = Vec::new();
    for _ in 0..120 {
        if next() < 20 {
            kv.lie_about_swaps(1 + usize::try_from(next() % 3).unwrap());
        }
        let roll = next();
        if ids.is_empty() || roll < 25 {
            ids.push(place(&kv).id().clone());
            continue;
        }
        let id = &ids[usize::try_from(next()).unwrap() % ids.len()];
        let order = service(&kv).load(id).unwrap();
        let command = match roll % 5 {
            0 => approval(order.totals().total.minor() - i64::from(next() < 30) * 100),
            1 => Command::StartHandling,
            2 => Command::Hold {
                reason: Text::parse("check", 200).unwrap(),
            },
            3 => Command::Unhold,
            _ => Command::Cancel {
                reason: Text::parse("gone", 200).unwrap(),
            },
        };
        // Refusals (a transition the table forbids) are part of the mix.
        let _ = service(&kv).apply(id, &command, Actor::Admin, None, None);
        if next() < 15 {
            service(&kv).catch_up().unwrap();
        }
    }
    kv.lie_about_swaps(0);
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for id in &ids {
        let order = service(&kv).load(id).unwrap();
        *expected
            .entry(format!("status/{}", order.status().as_str()))
            .or_default() += 1;
        if !order.problems().is_empty() {
            *expected.entry("problems".to_owned()).or_default() += 1;
        }
    }
    assert!(expected.len() > 3, "a mix of statuses: {expected:?}");
    assert_eq!(counts(&kv), expected);
}
