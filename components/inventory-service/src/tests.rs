use std::rc::Rc;

use orderflow_domain::inventory::StockCommand;
use orderflow_domain::order::Actor;
use orderflow_domain::values::{LocationId, OrderId, Sku, Text, Timestamp};
use orderflow_kv::Kv as _;
use orderflow_kv::memory::MemoryKv;

use crate::{Error, Inventory, OrderStep, StockFilter};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn loc(s: &str) -> LocationId {
    LocationId::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn order(s: &str) -> OrderId {
    OrderId::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn service(kv: &MemoryKv) -> Inventory<'_, MemoryKv> {
    Inventory::new(kv, at("2026-12-07T12:00:00Z"), orderflow_kv::write::nonce())
}

fn set_level(kv: &MemoryKv, s: &str, location: &str, on_hand: u32) -> TestResult {
    let level = StockCommand::SetLevel {
        location: loc(location),
        on_hand,
        updated_at: None,
    };
    service(kv).apply(&sku(s), &level, Actor::Erp)?;
    Ok(())
}

/// Runs a scenario on a plain store and on one whose successful swaps all report `cas-failed`
/// (Spin's Redis backend), which must end the same.
fn both_modes(scenario: impl Fn(&Rc<MemoryKv>) -> TestResult) -> TestResult {
    scenario(&Rc::new(MemoryKv::new()))?;
    let lying = Rc::new(MemoryKv::new());
    lying.lie_about_swaps(usize::MAX);
    scenario(&lying)
}

#[test]
fn a_first_level_tracks_a_sku_and_an_untracked_one_is_left_out() -> TestResult {
    both_modes(|kv| {
        let s = service(kv);
        assert_eq!(s.item(&sku("CAFE"))?, None);
        let adjust = StockCommand::Adjust {
            location: loc("sp"),
            delta: 1,
            reason: Text::parse("count", 200)?,
        };
        assert_eq!(
            s.apply(&sku("CAFE"), &adjust, Actor::Admin).err(),
            Some(Error::NotTracked(sku("CAFE")))
        );
        set_level(kv, "CAFE", "sp", 10)?;
        let lines = [(sku("CAFE"), 3), (sku("MUG"), 1)];
        assert_eq!(
            s.reserve(&order("o-1"), &lines, None, None, Actor::Checkout)?,
            [sku("CAFE")]
        );
        let item = s.item(&sku("CAFE"))?.ok_or("tracked")?;
        assert_eq!((item.on_hand(), item.reserved()), (10, 3));
        Ok(())
    })
}

#[test]
fn a_short_sku_refuses_the_whole_order_and_names_every_short_one() -> TestResult {
    both_modes(|kv| {
        set_level(kv, "A", "sp", 5)?;
        set_level(kv, "B", "sp", 1)?;
        set_level(kv, "C", "sp", 0)?;
        let s = service(kv);
        let lines = [(sku("A"), 2), (sku("B"), 2), (sku("C"), 1), (sku("A"), 1)];
        let refused = s.reserve(&order("o-1"), &lines, None, None, Actor::Checkout);
        assert_eq!(
            refused.err(),
            Some(Error::OutOfStock(vec![(sku("B"), 1), (sku("C"), 0)]))
        );
        // Nothing stays reserved.
        for name in ["A", "B", "C"] {
            assert_eq!(
                s.item(&sku(name))?.ok_or("tracked")?.reserved(),
                0,
                "{name}"
            );
        }
        Ok(())
    })
}

#[test]
fn an_orders_steps_move_stock_once_each() -> TestResult {
    both_modes(|kv| {
        set_level(kv, "A", "sp", 10)?;
        let s = service(kv);
        let lines = [(sku("A"), 4)];
        for _ in 0..2 {
            s.reserve(&order("o-1"), &lines, None, None, Actor::Checkout)?;
        }
        for _ in 0..2 {
            s.order_step(&order("o-1"), &OrderStep::Deduct, &lines, Actor::Erp)?;
        }
        let back = OrderStep::Restock {
            step: "return-1".into(),
        };
        for _ in 0..2 {
            s.order_step(&order("o-1"), &back, &[(sku("A"), 1)], Actor::Erp)?;
        }
        let item = s.item(&sku("A"))?.ok_or("tracked")?;
        assert_eq!((item.on_hand(), item.reserved()), (7, 0));
        s.reserve(&order("o-2"), &lines, None, None, Actor::Checkout)?;
        for _ in 0..2 {
            s.order_step(&order("o-2"), &OrderStep::Release, &lines, Actor::Admin)?;
        }
        let item = s.item(&sku("A"))?.ok_or("tracked")?;
        assert_eq!((item.on_hand(), item.reserved()), (7, 0));
        assert!(item.holds().is_empty());
        assert!(item.closed(&order("o-2")));
        Ok(())
    })
}

#[test]
fn concurrent_reservations_for_the_last_units_never_oversell() -> TestResult {
    both_modes(|kv| {
        set_level(kv, "A", "sp", 3)?;
        // Each reservation is cut by another one landing between its read and its swap.
        for n in 1..=4 {
            let other = order(&format!("o-in-{n}"));
            kv.interleave(move |kv| {
                let _raced =
                    service(kv).reserve(&other, &[(sku("A"), 1)], None, None, Actor::Checkout);
            });
            let _mine = service(kv).reserve(
                &order(&format!("o-{n}")),
                &[(sku("A"), 1)],
                None,
                None,
                Actor::Checkout,
            );
        }
        let item = service(kv).item(&sku("A"))?.ok_or("tracked")?;
        let open = item.holds().len();
        assert_eq!((item.reserved(), open), (3, 3));
        assert_eq!(item.available(), 0);
        Ok(())
    })
}

#[test]
fn the_ledger_is_archived_in_chunks_and_on_hand_stays_its_sum() -> TestResult {
    both_modes(|kv| {
        set_level(kv, "A", "sp", 0)?;
        let s = service(kv);
        for n in 1..=200u32 {
            let adjust = StockCommand::Adjust {
                location: loc("sp"),
                delta: 1,
                reason: Text::parse("received", 200)?,
            };
            s.apply(&sku("A"), &adjust, Actor::Erp)?;
            assert_eq!(s.item(&sku("A"))?.ok_or("tracked")?.on_hand(), i64::from(n));
        }
        let stored = s.stored(&sku("A"))?.ok_or("tracked")?;
        // 201 movements (the level and 200 adjustments), one to two chunks' worth in the
        // document.
        let size = crate::doc::CHUNK as u64;
        assert_eq!(stored.archived_chunks(), (201 - size) / size);
        assert!(stored.ledger.len() < 2 * crate::doc::CHUNK);
        let mut total: i64 = stored.ledger.iter().map(|m| m.on_hand).sum();
        for chunk in 0..stored.archived_chunks() {
            let key = crate::keys::ledger_chunk(&sku("A"), chunk);
            let bytes = kv.peek(&key).ok_or("an archived chunk")?;
            let movements: Vec<orderflow_domain::inventory::Movement> =
                serde_json::from_slice(&bytes)?;
            total += movements.iter().map(|m| m.on_hand).sum::<i64>();
        }
        assert_eq!(total, 200);
        Ok(())
    })
}

#[test]
fn movements_page_through_archived_chunks_and_the_document() -> TestResult {
    let kv = MemoryKv::new();
    set_level(&kv, "A", "sp", 1)?;
    let s = service(&kv);
    for _ in 0..150 {
        let adjust = StockCommand::Adjust {
            location: loc("sp"),
            delta: 1,
            reason: Text::parse("received", 200)?,
        };
        s.apply(&sku("A"), &adjust, Actor::Erp)?;
    }
    let mut numbers = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s.movements(&sku("A"), 37, cursor.as_deref())?;
        numbers.extend(page.items.iter().map(|m| m.number));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(numbers, (1..=151).collect::<Vec<u64>>());
    assert_eq!(
        s.movements(&sku("A"), 10, Some("nope")).err(),
        Some(Error::BadCursor)
    );
    Ok(())
}

#[test]
fn listings_filter_by_location_and_low_stock() -> TestResult {
    let kv = MemoryKv::new();
    set_level(&kv, "A", "sp", 10)?;
    set_level(&kv, "B", "sp", 1)?;
    set_level(&kv, "C", "rj", 0)?;
    let s = service(&kv);
    let listed = |filter: StockFilter| -> Result<Vec<String>, Error> {
        Ok(s.list(&filter, 50, None)?
            .items
            .iter()
            .map(|i| i.sku().as_str().to_owned())
            .collect())
    };
    assert_eq!(listed(StockFilter::default())?, ["A", "B", "C"]);
    let low = StockFilter {
        location: None,
        low_stock: true,
    };
    assert_eq!(listed(low)?, ["C"]);
    let configure = StockCommand::Configure {
        allow_backorders: None,
        safety_stock: Some(1),
    };
    s.apply(&sku("B"), &configure, Actor::Admin)?;
    let low_in_sp = StockFilter {
        location: Some(loc("sp")),
        low_stock: true,
    };
    assert_eq!(listed(low_in_sp)?, ["B"]);
    let page = s.list(&StockFilter::default(), 2, None)?;
    assert_eq!(page.items.len(), 2);
    let rest = s.list(&StockFilter::default(), 2, page.next_cursor.as_deref())?;
    assert_eq!((rest.items.len(), rest.next_cursor), (1, None));
    Ok(())
}

#[test]
fn the_check_finds_a_hold_whose_order_never_came_and_releases_it() -> TestResult {
    both_modes(|kv| {
        set_level(kv, "A", "sp", 5)?;
        service(kv).reserve(
            &order("o-placed"),
            &[(sku("A"), 2)],
            None,
            None,
            Actor::Checkout,
        )?;
        service(kv).reserve(
            &order("o-cut"),
            &[(sku("A"), 1)],
            None,
            None,
            Actor::Checkout,
        )?;
        let exists = |o: &OrderId| Ok(o.as_str() == "o-placed");
        // Right away, a placement may still be writing its order.
        assert!(service(kv).check(false, exists)?.inconsistencies.is_empty());
        let later = Inventory::new(
            &**kv,
            at("2026-12-07T12:11:00Z"),
            orderflow_kv::write::nonce(),
        );
        let found = later.check(false, exists)?;
        assert_eq!(found.inconsistencies.len(), 1, "{found:?}");
        let repaired = later.check(true, exists)?;
        assert_eq!(repaired.repaired.len(), 1);
        assert!(later.check(false, exists)?.inconsistencies.is_empty());
        let item = later.item(&sku("A"))?.ok_or("tracked")?;
        assert_eq!((item.on_hand(), item.reserved()), (5, 2));
        Ok(())
    })
}

#[test]
fn the_check_finds_a_level_that_does_not_add_up() -> TestResult {
    let kv = MemoryKv::new();
    set_level(&kv, "A", "sp", 5)?;
    let key = crate::keys::item(&sku("A"));
    let mut doc: serde_json::Value = serde_json::from_slice(&kv.peek(&key).ok_or("stored")?)?;
    doc["item"]["levels"]["sp"]["onHand"] = 7.into();
    kv.set(&key, &serde_json::to_vec(&doc)?)?;
    let found = service(&kv).check(false, |_| Ok(true))?;
    assert_eq!(found.inconsistencies.len(), 1, "{found:?}");
    Ok(())
}

#[test]
fn an_order_in_a_store_that_tracks_nothing_costs_one_read() -> TestResult {
    let kv = MemoryKv::new();
    kv.clear_calls();
    let lines = [(sku("A"), 1), (sku("B"), 2)];
    assert!(
        service(&kv)
            .reserve(&order("o-1"), &lines, None, None, Actor::Checkout)?
            .is_empty()
    );
    assert_eq!(kv.calls().len(), 1);
    Ok(())
}

#[test]
fn a_first_level_waits_for_another_callers_creation_then_answers_contention() -> TestResult {
    let kv = MemoryKv::new();
    let s = service(&kv);
    // Another caller holds the SKU's creation claim and never writes (it died).
    let window = orderflow_kv::claim::window(s.now.unix_seconds());
    kv.increment(&crate::keys::item_claim(&sku("A"), window), 1)?;
    let level = StockCommand::SetLevel {
        location: loc("sp"),
        on_hand: 3,
        updated_at: None,
    };
    assert_eq!(
        s.apply(&sku("A"), &level, Actor::Erp).err(),
        Some(Error::Contention)
    );
    // Once its lease has lapsed, a level creates the SKU.
    let later = Inventory::new(
        &kv,
        at("2026-12-07T12:03:00Z"),
        orderflow_kv::write::nonce(),
    );
    assert_eq!(
        later.apply(&sku("A"), &level, Actor::Erp)?.item.on_hand(),
        3
    );
    Ok(())
}

#[test]
fn a_ledger_archived_by_version_still_reads_and_grows_by_number() -> TestResult {
    let kv = MemoryKv::new();
    set_level(&kv, "A", "sp", 0)?;
    let s = service(&kv);
    let adjust = StockCommand::Adjust {
        location: loc("sp"),
        delta: 1,
        reason: Text::parse("received", 200)?,
    };
    // A level of 0 moves nothing: the 128 adjustments are the ledger.
    for _ in 0..128 {
        s.apply(&sku("A"), &adjust, Actor::Erp)?;
    }
    let all = s.movements(&sku("A"), 200, None)?.items;
    assert_eq!(all.len(), 128);
    // The same SKU as a document of the first layout keeps it: chunks of 64 named by the
    // version that archived them, the size not stored.
    let key = crate::keys::item(&sku("A"));
    let mut legacy: serde_json::Value = serde_json::from_slice(&kv.peek(&key).ok_or("stored")?)?;
    let fields = legacy.as_object_mut().ok_or("an object")?;
    fields.remove("chunkSize");
    fields.remove("archived");
    fields.insert("chunks".into(), serde_json::json!([65]));
    fields.insert("ledger".into(), serde_json::to_value(&all[64..])?);
    kv.seed(&key, &serde_json::to_vec(&legacy)?);
    kv.seed(
        &crate::keys::ledger_chunk_of_version(&sku("A"), 0, 65),
        &serde_json::to_vec(&all[..64])?,
    );
    for k in 0..7 {
        // What the first layout never wrote.
        kv.seed(&crate::keys::ledger_chunk(&sku("A"), k), b"[]");
    }
    assert_eq!(s.movements(&sku("A"), 200, None)?.items, all);
    for _ in 0..64 {
        s.apply(&sku("A"), &adjust, Actor::Erp)?;
    }
    let stored = s.stored(&sku("A"))?.ok_or("tracked")?;
    assert_eq!(
        (stored.chunk_size, stored.chunks.len(), stored.archived),
        (64, 1, 1)
    );
    let numbers: Vec<u64> = s
        .movements(&sku("A"), 500, None)?
        .items
        .iter()
        .map(|m| m.number)
        .collect();
    assert_eq!(numbers, (1..=192).collect::<Vec<u64>>());
    let report = s.check(false, |_| Ok(true))?;
    assert_eq!(report.inconsistencies, Vec::<String>::new());
    Ok(())
}

/// The outbox positions `after` and on, as `(position, events, committed?)`: `None` pending.
fn outbox(kv: &MemoryKv, recheck: &[u64]) -> Result<Vec<(u64, Option<bool>)>, Error> {
    use orderflow_kv::outbox::State;
    Ok(service(kv)
        .read_outbox(0, 100, recheck)?
        .into_iter()
        .map(|(position, state)| {
            let decided = match state {
                State::Committed(_) => Some(true),
                State::Dead => Some(false),
                State::Pending => None,
            };
            (position, decided)
        })
        .collect())
}

#[test]
fn changes_that_move_stock_publish_once_and_a_lost_swaps_entry_is_dead() -> TestResult {
    both_modes(|kv| {
        let s = service(kv);
        set_level(kv, "CAFE", "sp", 10)?;
        // Not crossing the safety stock, a reservation publishes nothing.
        s.reserve(
            &order("o-1"),
            &[(sku("CAFE"), 3)],
            None,
            None,
            Actor::Checkout,
        )?;
        assert_eq!(outbox(kv, &[])?, [(1, Some(true))]);
        let safety = StockCommand::Configure {
            allow_backorders: None,
            safety_stock: Some(1),
        };
        s.apply(&sku("CAFE"), &safety, Actor::Admin)?;
        // Down to 1 available would be low; another writer's adjustment wins the first swap,
        // and the retry leaves 2.
        kv.interleave(|kv| {
            let adjust = StockCommand::Adjust {
                location: loc("sp"),
                delta: 1,
                reason: Text::parse("found one", 200).unwrap_or_else(|e| panic!("{e}")),
            };
            let won = service(kv).apply(&sku("CAFE"), &adjust, Actor::Admin);
            assert!(won.is_ok(), "{won:?}");
        });
        s.reserve(
            &order("o-2"),
            &[(sku("CAFE"), 6)],
            None,
            None,
            Actor::Checkout,
        )?;
        assert!(!kv.has_pending_hooks());
        assert_eq!(
            outbox(kv, &[])?,
            [(1, Some(true)), (2, Some(false)), (3, Some(true))]
        );
        s.reserve(
            &order("o-3"),
            &[(sku("CAFE"), 1)],
            None,
            None,
            Actor::Checkout,
        )?;
        let read = s.read_outbox(3, 10, &[])?;
        let Some((4, orderflow_kv::outbox::State::Committed(entry))) = read.first() else {
            return Err(format!("{read:?}").into());
        };
        assert_eq!(
            entry.events,
            [orderflow_domain::inventory::StockEvent::LowStock(loc("sp"))]
        );
        assert_eq!((entry.stock.available(), entry.stock.holds().len()), (1, 0));
        // Long after, with the first movements archived, an entry is decided alike.
        for _ in 0..12 {
            set_level(kv, "CAFE", "sp", 20)?;
            set_level(kv, "CAFE", "sp", 21)?;
        }
        let stored = s.stored(&sku("CAFE"))?.ok_or("tracked")?;
        assert!(stored.archived_chunks() >= 2);
        let rechecked: Vec<_> = outbox(kv, &[1, 2])?.into_iter().take(4).collect();
        assert_eq!(
            rechecked,
            [
                (1, Some(true)),
                (2, Some(false)),
                (3, Some(true)),
                (4, Some(true))
            ]
        );
        // A change whose writer died before its swap: pending, then dead once the ledger
        // passes its movement without it.
        kv.fail_writes_under("inv/s/");
        assert!(set_level(kv, "CAFE", "sp", 5).is_err());
        kv.heal();
        let last = outbox(kv, &[])?;
        let cut = last.last().ok_or("an entry")?.0;
        assert_eq!(last.last(), Some(&(cut, None)));
        set_level(kv, "CAFE", "sp", 6)?;
        assert_eq!(
            outbox(kv, &[])?.get(usize::try_from(cut - 1)?),
            Some(&(cut, Some(false)))
        );
        Ok(())
    })
}
