//! The store logic over the in-memory store: placement, concurrent writers, the Redis fault, a
//! crash between the order write and its effects, listing, idempotency, input parsing.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use orderflow_domain::order::{
    Actor, Command, NewComment, Order, OrderError, PaymentMethod, PaymentNotification,
    PaymentOutcome, PlaceOrder, Status, SubscriptionRef,
};
use orderflow_domain::values::{
    Channel, ExternalId, IdempotencyKey, Money, OrderId, PaymentId, SubscriptionId, TestClockId,
    Text, Timestamp,
};
use orderflow_wit_types::types as wit;

use crate::convert;
use crate::doc::{Stored, decode};
use crate::keys::{self, IndexName};
use crate::kv::Kv;
use crate::kv::claim;
use crate::memory::{Call, MemoryKv};
use crate::service::{Failure, Idempotency, Query, Report, Service, Sort, Written};
use stock::NativeStock;

fn t0() -> Timestamp {
    Timestamp::parse("2026-11-22T12:00:00Z").unwrap()
}

fn later(t: Timestamp, seconds: i64) -> Timestamp {
    t.checked_add(chrono::TimeDelta::seconds(seconds)).unwrap()
}

/// A service for one call: a fresh nonce each time, as in the component (write ids must never
/// repeat, or a writer could take another call's write for its own).
fn service(kv: &MemoryKv) -> Service<'_, MemoryKv> {
    service_at(kv, t0())
}

/// A service whose clock reads `now`, with the inventory over the same store.
fn service_at(kv: &MemoryKv, now: Timestamp) -> Service<'_, MemoryKv> {
    Service::new(kv, Box::new(NativeStock { kv, now }), now, nonce())
}

fn nonce() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 32);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn wit_input() -> wit::PlaceOrder {
    wit::PlaceOrder {
        channel: None,
        external_id: None,
        currency: None,
        customer: wit::Customer {
            id: Some("c-17".into()),
            name: "Ana Souza".into(),
            email: "ana@example.com".into(),
            document: Some("390.533.447-05".into()),
            phone: Some("+55 11 99999-0000".into()),
        },
        shipping_address: wit::Address {
            street: "Rua A".into(),
            number: "10".into(),
            complement: None,
            neighborhood: Some("Centro".into()),
            city: "São Paulo".into(),
            state: "SP".into(),
            postal_code: "01001-000".into(),
            country: String::new(),
        },
        billing_address: None,
        items: vec![wit::NewItem {
            sku: "CAM-P-AZ".into(),
            name: "Camiseta azul P".into(),
            quantity: 2,
            unit_price: 4990,
            discount: 0,
        }],
        shipping: wit::Shipping {
            method: "PAC".into(),
            carrier: Some("Correios".into()),
            price: 1500,
        },
        payment: wit::NewPayment {
            method: wit::PaymentMethod::Pix,
            due_at: None,
        },
        subscription: None,
        expected_total: Some(11480),
        stock_location: None,
    }
}

fn input() -> PlaceOrder {
    convert::place_order(&wit_input()).unwrap()
}

fn with_external(id: &str) -> PlaceOrder {
    let mut input = input();
    input.external_id = Some(ExternalId::parse(id).unwrap());
    input
}

fn place(kv: &MemoryKv) -> Order {
    service(kv)
        .place(input(), Actor::Checkout, None)
        .unwrap()
        .order
}

fn comment(text: &str) -> Command {
    Command::Comment(NewComment {
        text: Text::parse(text, 200).unwrap(),
        notify_customer: false,
        visible_to_customer: false,
    })
}

fn approval(amount: i64) -> Command {
    Command::PaymentNotification(PaymentNotification {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        outcome: PaymentOutcome::Approved,
        amount: Money::from_minor(amount),
        method: PaymentMethod::Pix,
        occurred_at: t0(),
    })
}

fn stored(kv: &MemoryKv, id: &OrderId) -> Stored {
    let key = keys::order(id);
    decode(&key, &kv.peek(&key).unwrap()).unwrap()
}

fn record(kv: &MemoryKv, id: &OrderId) -> crate::doc::IndexRecord {
    let key = keys::index_record(id);
    decode(&key, &kv.peek(&key).unwrap()).unwrap()
}

fn idem(key: &str, fingerprint: &str) -> Option<Idempotency> {
    Some(Idempotency {
        scope: "POST /checkout/orders".into(),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: fingerprint.into(),
    })
}

/// Once the indexer has caught up, the order has a slot in every listed index it joined, and
/// the entry there names it and the version at which it joined.
fn assert_indexed(kv: &MemoryKv, id: &OrderId) {
    service(kv).catch_up().unwrap();
    let doc = stored(kv, id);
    assert!(!doc.joined.is_empty());
    for (index, since) in doc.joined.iter().filter(|(index, _)| index.is_listed()) {
        let slot = kv
            .peek(&keys::index_slot(index, id, *since))
            .unwrap_or_else(|| panic!("{} has no slot", index.as_str()));
        let slot: u64 = String::from_utf8(slot).unwrap().parse().unwrap();
        let key = keys::index_entry(index, slot);
        let entry = kv
            .peek(&key)
            .unwrap_or_else(|| panic!("{} slot {slot} missing", index.as_str()));
        let entry: crate::doc::IndexEntry = decode(&key, &entry).unwrap();
        assert_eq!(entry.id, *id);
        assert_eq!(entry.v, *since);
    }
}

fn list_all(kv: &MemoryKv, mut query: Query) -> Vec<Order> {
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        let page = service(kv).list(&query).unwrap();
        assert!(page.items.len() <= query.limit as usize);
        seen.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return seen,
        }
    }
    panic!("the listing never ended");
}

#[test]
fn a_placed_order_loads_back_and_is_in_its_indexes() {
    let kv = MemoryKv::new();
    let order = place(&kv);
    assert_eq!(order.number(), 1);
    assert_eq!(order.id().as_str(), "o-1");
    assert_eq!(order.totals().total, Money::from_minor(11480));
    assert_eq!(service(&kv).load(order.id()).unwrap(), order);
    assert_indexed(&kv, order.id());
    let names: Vec<String> = record(&kv, order.id())
        .slots
        .keys()
        .filter(|i| i.as_str() != "all")
        .map(|i| i.as_str().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "channel/storefront",
            "customer/39053344705",
            "customer/ana@example.com",
            "customer/c-17",
            "day/2026-11-22",
            // Counted by status (slot 0: no entries).
            "status/payment-pending",
            // Its exact total, for listings by total.
            "total/11480",
            // A pix payment awaited until its deadline.
            "unpaid",
        ]
    );
    assert!(kv.peek(&keys::feed_entry(1)).is_some());
    assert_eq!(
        service(&kv).load(&OrderId::parse("o-2").unwrap()),
        Err(Failure::NotFound)
    );
}

#[test]
fn placing_twice_with_the_same_external_id_returns_the_first_order() {
    let kv = MemoryKv::new();
    let first = service(&kv)
        .place(with_external("MLB-1"), Actor::Checkout, None)
        .unwrap();
    assert!(first.changed);
    let again = service_at(&kv, later(t0(), 5))
        .place(with_external("MLB-1"), Actor::Checkout, None)
        .unwrap();
    assert!(!again.changed && !again.replayed);
    assert_eq!(again.order, first.order);
    let other = service(&kv)
        .place(with_external("MLB-2"), Actor::Checkout, None)
        .unwrap();
    assert_eq!(other.order.number(), 2);
    let found = service(&kv)
        .find_by_external_id(&Channel::default(), &ExternalId::parse("MLB-1").unwrap())
        .unwrap();
    assert_eq!(found.as_ref().map(Order::id), Some(first.order.id()));
}

#[test]
fn a_second_placement_racing_the_first_never_creates_a_second_order() {
    let kv = MemoryKv::new();
    // Another call holds the claim and has not written the order yet.
    let claim = keys::external_claim(
        &Channel::default(),
        &ExternalId::parse("MLB-9").unwrap(),
        claim::window(t0().unix_seconds()),
    );
    kv.increment(&claim, 1).unwrap();
    assert_eq!(
        service(&kv).place(with_external("MLB-9"), Actor::Checkout, None),
        Err(Failure::Contention)
    );
    // A number may be burned (claims are taken last), never an order written.
    assert!(
        kv.keys().iter().all(|k| !k.starts_with("ord/o/")),
        "{:?}",
        kv.keys()
    );
}

#[test]
fn a_claim_left_by_a_placement_that_died_lapses_with_its_lease() {
    let kv = MemoryKv::new();
    // A placement took the claim and died before writing the order.
    let external_id = ExternalId::parse("MLB-10").unwrap();
    let claim = keys::external_claim(
        &Channel::default(),
        &external_id,
        claim::window(t0().unix_seconds()),
    );
    kv.increment(&claim, 1).unwrap();
    let retry = |seconds| {
        service_at(&kv, later(t0(), seconds)).place(with_external("MLB-10"), Actor::Checkout, None)
    };
    assert_eq!(retry(claim::LEASE_SECONDS / 2), Err(Failure::Contention));
    let placed = retry(claim::LEASE_SECONDS * 2).unwrap();
    assert!(placed.changed);
    // The order is placed once: later retries find it.
    let again = retry(claim::LEASE_SECONDS * 5).unwrap();
    assert!(!again.changed);
    assert_eq!(again.order.id(), placed.order.id());
}

#[test]
fn an_idempotency_key_left_claimed_by_a_request_that_died_lapses_with_its_lease() {
    let kv = MemoryKv::new();
    let idempotency = idem("k-died", "body").unwrap();
    let hash = keys::IdempotencyHash::of(&idempotency.scope, idempotency.key.as_str());
    kv.increment(
        &keys::idempotency_claim(&hash, 0, claim::window(t0().unix_seconds())),
        1,
    )
    .unwrap();
    let retry = |seconds| {
        service_at(&kv, later(t0(), seconds)).place(
            input(),
            Actor::Checkout,
            idem("k-died", "body"),
        )
    };
    assert_eq!(retry(1), Err(Failure::Contention));
    let placed = retry(claim::LEASE_SECONDS * 2).unwrap();
    assert!(placed.changed && !placed.replayed);
    let replay = retry(claim::LEASE_SECONDS * 3).unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.order.id(), placed.order.id());
}

#[test]
fn a_refused_placement_takes_no_number_and_no_claim() {
    let kv = MemoryKv::new();
    let mut input = with_external("MLB-3");
    input.expected_total = Some(Money::from_minor(1));
    assert!(matches!(
        service(&kv).place(input, Actor::Checkout, None),
        Err(Failure::Rejected(OrderError::TotalMismatch { .. }))
    ));
    assert!(kv.keys().is_empty(), "{:?}", kv.keys());
}

#[test]
fn thirty_two_interleaved_writers_lose_no_update() {
    let kv = MemoryKv::new();
    let id = place(&kv).id().clone();
    for i in 0..32 {
        let theirs = id.clone();
        // Another writer commits between our `current` and our `swap`: our swap must fail and
        // be retried on top of theirs.
        kv.interleave(move |kv| {
            service_at(kv, t0())
                .apply(
                    &theirs,
                    &comment(&format!("theirs {i}")),
                    Actor::Admin,
                    None,
                    None,
                )
                .unwrap();
        });
        let written = service(&kv)
            .apply(
                &id,
                &comment(&format!("ours {i}")),
                Actor::Admin,
                None,
                None,
            )
            .unwrap();
        assert!(written.changed);
    }
    let order = service(&kv).load(&id).unwrap();
    assert_eq!(order.version(), 1 + 64);
    let texts: BTreeSet<&str> = order.comments().iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts.len(), 64);
    for i in 0..32 {
        assert!(texts.contains(format!("ours {i}").as_str()));
        assert!(texts.contains(format!("theirs {i}").as_str()));
    }
    let swaps = kv
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::CasSwap(k) if k == &keys::order(&id)))
        .count();
    // Each of our writes: one lost swap and one won; each of theirs: one; plus the clears.
    assert!(swaps >= 32 * 3, "{swaps} swaps");
    assert_indexed(&kv, &id);
}

#[test]
fn a_stale_expected_version_is_refused_and_a_current_one_applies() {
    let kv = MemoryKv::new();
    let id = place(&kv).id().clone();
    let refused = service(&kv).apply(&id, &comment("x"), Actor::Admin, Some(7), None);
    assert!(matches!(
        refused,
        Err(Failure::Rejected(OrderError::VersionMismatch {
            expected: 7,
            actual: 1
        }))
    ));
    let written = service(&kv)
        .apply(&id, &comment("x"), Actor::Admin, Some(1), None)
        .unwrap();
    assert_eq!(written.order.version(), 2);
}

#[test]
fn a_swap_reported_failed_that_happened_is_applied_exactly_once() {
    let kv = MemoryKv::new();
    kv.lie_about_swaps(1);
    let order = place(&kv);
    assert_eq!(order.number(), 1);
    assert_indexed(&kv, order.id());
    // Every swap lies, as measured on Redis-backed Spin.
    kv.lie_about_swaps(usize::MAX);
    let written = service(&kv)
        .apply(order.id(), &comment("once"), Actor::Admin, None, None)
        .unwrap();
    assert!(written.changed);
    let loaded = service(&kv).load(order.id()).unwrap();
    assert_eq!(loaded.version(), 2);
    assert_eq!(loaded.comments().len(), 1);
    // Ten identical approvals: one transition.
    for n in 0..10 {
        let w = service_at(&kv, t0())
            .apply(
                order.id(),
                &approval(11480),
                Actor::PaymentProvider,
                None,
                None,
            )
            .unwrap();
        assert_eq!(w.changed, n == 0);
    }
    let loaded = service(&kv).load(order.id()).unwrap();
    assert_eq!(loaded.version(), 3);
    assert_eq!(loaded.status(), Status::PaymentApproved);
    assert_eq!(loaded.payment().transactions.len(), 1);
}

#[test]
fn a_lying_swap_followed_by_another_writer_is_still_recognised() {
    let kv = MemoryKv::new();
    let id = place(&kv).id().clone();
    // Our swap lands but is reported failed, and another writer commits on top of it before we
    // re-read: our write id is then among the document's recent ones.
    kv.lie_about_swaps(1);
    let theirs = id.clone();
    kv.after_next_swap(move |kv| {
        service_at(kv, t0())
            .apply(&theirs, &comment("theirs"), Actor::Admin, None, None)
            .unwrap();
    });
    let written = service(&kv)
        .apply(&id, &comment("ours"), Actor::Admin, None, None)
        .unwrap();
    assert!(written.changed);
    let order = service(&kv).load(&id).unwrap();
    let texts: Vec<&str> = order.comments().iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["ours", "theirs"]);
    assert_eq!(order.version(), 3);
}

#[test]
fn an_indexer_batch_cut_off_after_its_plan_is_finished_by_the_next_pass() {
    let kv = MemoryKv::new();
    let order = service(&kv)
        .place(with_external("MLB-7"), Actor::Checkout, None)
        .unwrap()
        .order;
    // The batch's plan is in the head, and none of its writes.
    kv.fail_writes_under("ord/ix/");
    assert!(service(&kv).index_pass().is_err());
    assert!(kv.keys().iter().all(|k| !k.starts_with("ord/ix/")));
    let head = String::from_utf8(kv.peek(keys::INDEX_HEAD).unwrap()).unwrap();
    assert!(head.contains("\"plan\":{"), "{head}");
    kv.heal();
    service(&kv)
        .apply(order.id(), &comment("touch"), Actor::Admin, None, None)
        .unwrap();
    assert_indexed(&kv, order.id());
    assert!(
        kv.peek(&keys::feed_entry(1)).is_some(),
        "placement's feed entry"
    );
    assert!(
        kv.peek(&keys::feed_entry(2)).is_some(),
        "comment's feed entry"
    );
}

#[test]
fn a_crash_before_the_effects_is_repaired_by_a_load() {
    let kv = MemoryKv::new();
    kv.fail_writes_under("ord/ix/");
    let order = place(&kv);
    kv.heal();
    service(&kv).load(order.id()).unwrap();
    assert_indexed(&kv, order.id());
}

#[test]
fn check_with_repair_restores_a_lost_index_entry_and_pointer() {
    let kv = MemoryKv::new();
    let healthy = place(&kv);
    let other = service(&kv)
        .place(with_external("MLB-8"), Actor::Checkout, None)
        .unwrap()
        .order;
    service(&kv).catch_up().unwrap();
    // An index entry and an external-id pointer lost outright.
    let all = IndexName::all();
    let slot = record(&kv, healthy.id()).slots[&all].0;
    kv.delete(&keys::index_entry(&all, slot)).unwrap();
    let pointer = keys::external(&Channel::default(), &ExternalId::parse("MLB-8").unwrap());
    kv.delete(&pointer).unwrap();

    let report = service(&kv).check(false).unwrap();
    assert_eq!(report.orders, 2);
    assert!(report.repaired.is_empty());
    let found = |report: &Report, id: &Order, what: &str| {
        report
            .inconsistencies
            .iter()
            .any(|i| i.contains(id.id().as_str()) && i.contains(what))
    };
    assert!(found(&report, &healthy, "index all"), "{report:?}");
    assert!(found(&report, &other, "MLB-8"), "{report:?}");

    let repair = service(&kv).check(true).unwrap();
    assert_eq!(repair.repaired.len(), 2, "{repair:?}");
    let after = service(&kv).check(false).unwrap();
    assert_eq!(after.inconsistencies, Vec::<String>::new());
    assert_eq!(after.orders, 2);
    assert_indexed(&kv, healthy.id());
    assert_indexed(&kv, other.id());
    let found = service(&kv)
        .find_by_external_id(&Channel::default(), &ExternalId::parse("MLB-8").unwrap())
        .unwrap();
    assert_eq!(found.as_ref().map(Order::id), Some(other.id()));
}

#[test]
fn a_placement_cut_before_its_document_is_placed_once_by_a_retry_after_the_lease() {
    let kv = MemoryKv::new();
    // On a store whose batches are not atomic, the writes before the document (its outbox
    // entry, the external id's pointer) may land without it: they name an order never written.
    kv.fail_writes_under("ord/o/");
    let first = service(&kv).place(with_external("MLB-11"), Actor::Checkout, None);
    assert!(first.is_err(), "{first:?}");
    kv.heal();
    let soon =
        service_at(&kv, later(t0(), 1)).place(with_external("MLB-11"), Actor::Checkout, None);
    assert_eq!(soon, Err(Failure::Contention), "the claim still holds");
    let retry = service_at(&kv, later(t0(), claim::LEASE_SECONDS * 3))
        .place(with_external("MLB-11"), Actor::Checkout, None)
        .unwrap();
    assert!(retry.changed);
    let orders = kv.keys().into_iter().filter(|k| k.starts_with("ord/o/"));
    assert_eq!(orders.count(), 1, "{:?}", kv.keys());
    assert_indexed(&kv, retry.order.id());
    let found = service(&kv)
        .find_by_external_id(&Channel::default(), &ExternalId::parse("MLB-11").unwrap())
        .unwrap();
    assert_eq!(found.as_ref().map(Order::id), Some(retry.order.id()));
    // The outbox entry of the order never written is never published.
    let read = service(&kv).read_outbox(0, 10, &[]).unwrap();
    let committed = read
        .iter()
        .filter(|(_, state)| matches!(state, crate::kv::outbox::State::Committed(_)))
        .count();
    assert_eq!(committed, 1);
}

#[test]
fn a_key_whose_placement_died_before_its_order_is_placed_by_a_retry_after_the_lease() {
    let kv = MemoryKv::new();
    // The placement dies at its order's write: the tentative record names an order never
    // written, so the retry (once the claim's lease lapsed) places it, once.
    kv.fail_writes_under("ord/o/");
    let first = service(&kv).place(input(), Actor::Checkout, idem("k-early", "fp-1"));
    assert!(first.is_err(), "{first:?}");
    kv.heal();
    let soon =
        service_at(&kv, later(t0(), 1)).place(input(), Actor::Checkout, idem("k-early", "fp-1"));
    assert!(soon.is_err(), "the claim still holds: {soon:?}");
    let retry = service_at(&kv, later(t0(), claim::LEASE_SECONDS * 3))
        .place(input(), Actor::Checkout, idem("k-early", "fp-1"))
        .unwrap();
    assert!(retry.changed && !retry.replayed);
    let orders = kv.keys().into_iter().filter(|k| k.starts_with("ord/o/"));
    assert_eq!(orders.count(), 1, "{:?}", kv.keys());
}

#[test]
fn unpaid_pix_and_boleto_expire_however_many_card_payments_are_pending_before_them() {
    let kv = MemoryKv::new();
    let paid_by = |method| {
        let mut input = input();
        input.payment.method = method;
        input
    };
    // More pending card payments, older than the rest, than one call reads pages of.
    for n in 0..1001 {
        service_at(&kv, later(t0(), n))
            .place(paid_by(PaymentMethod::CreditCard), Actor::Checkout, None)
            .unwrap();
    }
    let placed_at = later(t0(), 2000);
    let place = |method| {
        service_at(&kv, placed_at)
            .place(paid_by(method), Actor::Checkout, None)
            .unwrap()
            .order
    };
    let boleto = place(PaymentMethod::Boleto);
    let pix = place(PaymentMethod::Pix);
    let due = |o: &Order| o.payment().due_at.unwrap();
    assert!(due(&pix) < due(&boleto), "pix has the shorter window");
    let s = service_at(&kv, placed_at);
    let expire = |at| service_at(&kv, at).cancel_unpaid(at, 100, None).unwrap();
    assert_eq!(expire(later(due(&pix), -1)), 0);
    // A caller's instant later than the service's own clock does not expire live orders.
    assert_eq!(s.cancel_unpaid(due(&boleto), 100, None).unwrap(), 0);
    assert_eq!(expire(due(&pix)), 1);
    assert_eq!(s.load(pix.id()).unwrap().status(), Status::Canceled);
    assert_eq!(
        s.load(boleto.id()).unwrap().status(),
        Status::PaymentPending
    );
    assert_eq!(expire(due(&boleto)), 1);
    assert_eq!(s.load(boleto.id()).unwrap().status(), Status::Canceled);
    assert_eq!(expire(due(&boleto)), 0);
    let pending = list_all(
        &kv,
        Query {
            status: Some(Status::PaymentPending),
            limit: 200,
            ..Query::default()
        },
    );
    assert_eq!(pending.len(), 1001, "card payments are not expired");
    let report = s.check(false).unwrap();
    assert!(report.inconsistencies.is_empty(), "{report:?}");
}

#[test]
fn listing_a_thousand_orders_page_by_page_sees_each_exactly_once() {
    let kv = MemoryKv::new();
    let mut canceled = BTreeSet::new();
    let mut placed = Vec::new();
    for n in 0..1000u64 {
        let at = later(t0(), i64::try_from(n).unwrap() * 60);
        let s = service_at(&kv, at);
        let order = s.place(input(), Actor::Checkout, None).unwrap().order;
        placed.push(order.number());
        if n % 3 == 0 {
            let reason = Text::parse("customer asked", 100).unwrap();
            s.apply(
                order.id(),
                &Command::Cancel { reason },
                Actor::Admin,
                None,
                None,
            )
            .unwrap();
            canceled.insert(order.id().clone());
        }
    }
    let query = |sort, limit| Query {
        sort,
        limit,
        ..Query::default()
    };

    let newest_first = list_all(&kv, query(Sort::CreatedAtDesc, 50));
    let numbers: Vec<u64> = newest_first.iter().map(Order::number).collect();
    assert_eq!(numbers, placed.iter().rev().copied().collect::<Vec<_>>());

    let oldest_first = list_all(&kv, query(Sort::CreatedAtAsc, 37));
    let numbers: Vec<u64> = oldest_first.iter().map(Order::number).collect();
    assert_eq!(numbers, placed);

    let by_status = list_all(
        &kv,
        Query {
            status: Some(Status::Canceled),
            ..query(Sort::CreatedAtDesc, 40)
        },
    );
    let ids: Vec<OrderId> = by_status.iter().map(|o| o.id().clone()).collect();
    let unique: BTreeSet<OrderId> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "an order was listed twice");
    assert_eq!(unique, canceled);

    let pending = list_all(
        &kv,
        Query {
            status: Some(Status::PaymentPending),
            ..query(Sort::CreatedAtAsc, 200)
        },
    );
    assert_eq!(pending.len(), 1000 - canceled.len());
    assert!(pending.iter().all(|o| o.status() == Status::PaymentPending));

    // Three days of creation (1000 minutes from noon), walked through the day index.
    let by_day = list_all(
        &kv,
        Query {
            from: Some(t0()),
            to: Some(later(t0(), 2 * 86_400)),
            ..query(Sort::CreatedAtDesc, 100)
        },
    );
    assert_eq!(by_day.len(), 1000);
    let unique: BTreeSet<u64> = by_day.iter().map(Order::number).collect();
    assert_eq!(unique.len(), 1000);

    let by_customer = list_all(
        &kv,
        Query {
            customer: Some("39053344705".into()),
            ..query(Sort::CreatedAtDesc, 200)
        },
    );
    assert_eq!(by_customer.len(), 1000);
}

#[test]
fn a_list_call_reads_a_bounded_number_of_keys() {
    let kv = MemoryKv::new();
    for _ in 0..300 {
        service_at(&kv, t0())
            .place(input(), Actor::Checkout, None)
            .unwrap();
    }
    // The indexer's catching up is the placements' cost, paid once by whoever lists first.
    service(&kv).catch_up().unwrap();
    kv.clear_calls();
    let page = service(&kv)
        .list(&Query {
            q: Some("nothing matches this".into()),
            limit: 10,
            ..Query::default()
        })
        .unwrap();
    assert!(page.items.is_empty());
    assert!(page.next_cursor.is_some());
    assert!(
        kv.calls().len() <= 2 * (10 * 3 + 20) + 5,
        "{}",
        kv.calls().len()
    );
}

#[test]
fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let kv = MemoryKv::new();
    let first = service(&kv)
        .place(input(), Actor::Checkout, idem("k-1", "body-a"))
        .unwrap();
    assert!(first.changed && !first.replayed);
    let replay = service_at(&kv, later(t0(), 3600))
        .place(input(), Actor::Checkout, idem("k-1", "body-a"))
        .unwrap();
    assert_eq!(
        replay,
        Written {
            order: first.order.clone(),
            changed: true,
            replayed: true
        }
    );
    assert_eq!(
        service(&kv).place(input(), Actor::Checkout, idem("k-1", "body-b")),
        Err(Failure::IdempotencyKeyReused)
    );
    // A day later the key is free again.
    let fresh = service_at(&kv, later(t0(), 25 * 3600))
        .place(input(), Actor::Checkout, idem("k-1", "body-b"))
        .unwrap();
    assert!(fresh.changed && !fresh.replayed);
    assert_eq!(fresh.order.number(), 2);
}

#[test]
fn an_idempotency_key_on_a_command_applies_it_once() {
    let kv = MemoryKv::new();
    let id = place(&kv).id().clone();
    let key = || {
        Some(Idempotency {
            scope: "POST /orders/{id}/comments".into(),
            key: IdempotencyKey::parse("c 1").unwrap(),
            fingerprint: "f".into(),
        })
    };
    let first = service(&kv)
        .apply(&id, &comment("hello"), Actor::Admin, None, key())
        .unwrap();
    let again = service(&kv)
        .apply(&id, &comment("hello"), Actor::Admin, None, key())
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.order, first.order);
    assert_eq!(service(&kv).load(&id).unwrap().comments().len(), 1);
    // The same key about another order is a reuse.
    let other = place(&kv).id().clone();
    assert_eq!(
        service(&kv).apply(&other, &comment("hello"), Actor::Admin, None, key()),
        Err(Failure::IdempotencyKeyReused)
    );
}

#[test]
fn a_refused_command_gives_its_idempotency_key_back() {
    let kv = MemoryKv::new();
    let id = place(&kv).id().clone();
    let key = || {
        Some(Idempotency {
            scope: "POST /orders/{id}/unhold".into(),
            key: IdempotencyKey::parse("u-1").unwrap(),
            fingerprint: "f".into(),
        })
    };
    for _ in 0..2 {
        // Refused (not on hold), and the key is free for the retry.
        assert!(matches!(
            service(&kv).apply(&id, &Command::Unhold, Actor::Admin, None, key()),
            Err(Failure::Rejected(_))
        ));
    }
}

#[test]
fn a_key_held_by_a_running_request_answers_contention() {
    let kv = MemoryKv::new();
    let idempotency = idem("k-2", "body").unwrap();
    let hash = keys::IdempotencyHash::of(&idempotency.scope, idempotency.key.as_str());
    kv.increment(
        &keys::idempotency_claim(&hash, 0, claim::window(t0().unix_seconds())),
        1,
    )
    .unwrap();
    assert_eq!(
        service(&kv).place(input(), Actor::Checkout, Some(idempotency)),
        Err(Failure::Contention)
    );
    assert!(
        kv.keys().iter().all(|k| !k.starts_with("ord/o/")),
        "{:?}",
        kv.keys()
    );
}

#[test]
fn counters_are_only_ever_incremented() {
    let kv = MemoryKv::new();
    let order = service(&kv)
        .place(with_external("MLB-5"), Actor::Checkout, idem("k", "f"))
        .unwrap()
        .order;
    service(&kv)
        .apply(
            order.id(),
            &approval(11480),
            Actor::PaymentProvider,
            None,
            None,
        )
        .unwrap();
    for call in kv.calls() {
        match call {
            Call::Set(key) | Call::Delete(key) | Call::CasSwap(key) | Call::CasCurrent(key) => {
                assert!(!key.starts_with("ord/n/"), "{key} written as a document");
            }
            Call::Increment(key, _) => assert!(key.starts_with("ord/n/"), "{key}"),
            Call::Get(_) => {}
        }
    }
}

#[test]
fn bad_input_reports_every_field_with_its_json_path() {
    let mut bad = wit_input();
    bad.customer.email = "not an email".into();
    bad.items.push(wit::NewItem {
        sku: "has space".into(),
        name: String::new(),
        quantity: 0,
        unit_price: -1,
        discount: 0,
    });
    bad.shipping_address.postal_code = "123".into();
    bad.payment.due_at = Some("tomorrow".into());
    let errors = convert::place_order(&bad).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field()).collect();
    assert_eq!(
        fields,
        [
            "customer.email",
            "shippingAddress.postalCode",
            "items[1].sku",
            "items[1].name",
            "items[1].quantity",
            "items[1].unitPrice",
            "payment.dueAt",
        ]
    );
    let rendered = crate::render::invalid(errors);
    let wit::Error::Invalid(list) = rendered else {
        panic!("{rendered:?}");
    };
    assert_eq!(list[0].code, "bad-format");
    assert!(list[5].message.contains("items[1].unitPrice"));
}

#[test]
fn domain_refusals_become_rule_errors() {
    let e = crate::render::error(Failure::Rejected(OrderError::TotalMismatch {
        computed: Money::from_minor(10),
        given: Money::from_minor(9),
    }));
    assert!(matches!(
        e,
        wit::Error::Rejected(wit::RuleError::TotalMismatch(wit::MoneyMismatch {
            expected: 10,
            actual: 9
        }))
    ));
    let e = crate::render::error(Failure::Rejected(OrderError::ManualApprovalNotAllowed {
        method: "boleto",
    }));
    assert!(matches!(
        e,
        wit::Error::Rejected(wit::RuleError::ManualApprovalNotAllowed(
            wit::PaymentMethod::Boleto
        ))
    ));
}

#[test]
fn an_order_renders_as_the_wit_record() {
    let kv = MemoryKv::new();
    let order = place(&kv);
    let rendered = crate::render::order(&order);
    assert_eq!(rendered.id, "o-1");
    assert_eq!(rendered.totals.total, 11480);
    assert_eq!(rendered.customer.document.as_deref(), Some("39053344705"));
    assert_eq!(rendered.shipping_address.country, "BRA");
    assert_eq!(
        rendered.payment.due_at.as_deref(),
        Some("2026-11-22T13:00:00Z")
    );
    assert!(matches!(rendered.status, wit::OrderStatus::PaymentPending));
    assert_eq!(rendered.history.len(), 1);
}

#[test]
fn a_placement_that_fails_before_its_write_leaves_the_external_id_free() {
    let kv = MemoryKv::new();
    kv.fail_writes_under(keys::FEED_SEQ);
    assert!(matches!(
        service(&kv).place(with_external("MLB-4"), Actor::Checkout, idem("k-4", "f")),
        Err(Failure::Store(_))
    ));
    kv.heal();
    let written = service(&kv)
        .place(with_external("MLB-4"), Actor::Checkout, idem("k-4", "f"))
        .unwrap();
    assert!(written.changed && !written.replayed);
    assert_eq!(written.order.number(), 1);
}

#[test]
fn a_placement_that_lost_the_race_gives_its_ticket_back() {
    let kv = MemoryKv::new();
    let claim = keys::external_claim(
        &Channel::default(),
        &ExternalId::parse("MLB-6").unwrap(),
        claim::window(t0().unix_seconds()),
    );
    kv.increment(&claim, 1).unwrap();
    assert_eq!(
        service(&kv).place(with_external("MLB-6"), Actor::Checkout, None),
        Err(Failure::Contention)
    );
    assert_eq!(
        kv.increment(&claim, 0).unwrap(),
        1,
        "only the holder's ticket is left"
    );
}

#[test]
fn a_write_of_unknown_outcome_keeps_its_idempotency_key_and_its_retry_replays() {
    let kv = MemoryKv::new();
    let id = place(&kv).id().clone();
    let key = || {
        Some(Idempotency {
            scope: "POST /orders/{id}/comments".into(),
            key: IdempotencyKey::parse("c-9").unwrap(),
            fingerprint: "f".into(),
        })
    };
    kv.err_after_swaps(1);
    assert!(matches!(
        service(&kv).apply(&id, &comment("once"), Actor::Admin, None, key()),
        Err(Failure::Store(_))
    ));
    // The write happened and its record is a pending effect: the retry, touching the order,
    // finishes it and replays.
    let replay = service(&kv)
        .apply(&id, &comment("once"), Actor::Admin, None, key())
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(service(&kv).load(&id).unwrap().comments().len(), 1);
}

#[test]
fn random_interleavings_and_lying_swaps_apply_every_command_exactly_once() {
    let kv = MemoryKv::new();
    let id = place(&kv).id().clone();
    // A small deterministic generator: the same schedule on every run.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % 100
    };
    let mut expected = BTreeSet::new();
    for i in 0..200 {
        if next() < 30 {
            kv.lie_about_swaps(1 + usize::try_from(next() % 3).unwrap());
        }
        if next() < 30 {
            let theirs = id.clone();
            expected.insert(format!("before-swap {i}"));
            kv.interleave(move |kv| {
                service_at(kv, t0())
                    .apply(
                        &theirs,
                        &comment(&format!("before-swap {i}")),
                        Actor::Admin,
                        None,
                        None,
                    )
                    .unwrap();
            });
        }
        if next() < 20 {
            let theirs = id.clone();
            expected.insert(format!("after-swap {i}"));
            kv.after_next_swap(move |kv| {
                service_at(kv, t0())
                    .apply(
                        &theirs,
                        &comment(&format!("after-swap {i}")),
                        Actor::Admin,
                        None,
                        None,
                    )
                    .unwrap();
            });
        }
        expected.insert(format!("ours {i}"));
        service(&kv)
            .apply(
                &id,
                &comment(&format!("ours {i}")),
                Actor::Admin,
                None,
                None,
            )
            .unwrap();
    }
    // Hooks left over (their swap never came) run now, through one more write.
    kv.lie_about_swaps(0);
    while kv.has_pending_hooks() {
        expected.insert("flush".to_owned());
        service(&kv)
            .apply(&id, &comment("flush"), Actor::Admin, None, None)
            .unwrap();
    }
    let order = service(&kv).load(&id).unwrap();
    let texts: Vec<&str> = order.comments().iter().map(|c| c.text.as_str()).collect();
    let unique: BTreeSet<&str> = texts.iter().copied().filter(|t| *t != "flush").collect();
    let flushes = texts.iter().filter(|t| **t == "flush").count();
    assert_eq!(
        texts.len(),
        unique.len() + flushes,
        "a command was applied twice"
    );
    let expected: BTreeSet<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "flush")
        .collect();
    assert_eq!(unique, expected);
    assert_eq!(order.version(), 1 + u64::try_from(texts.len()).unwrap());
    assert_indexed(&kv, &id);
}

#[test]
fn the_stored_document_is_the_domain_order_inside_an_envelope() {
    let kv = MemoryKv::new();
    let order = place(&kv);
    let bytes = kv.peek(&keys::order(order.id())).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["order"]["id"], "o-1");
    assert_eq!(json["order"]["status"], "payment-pending");
    assert!(json["writeId"].is_string());
    // The version at which it joined each index; the slots are the indexer's.
    assert_eq!(json["joined"]["all"], 1);
    assert_eq!(json["outbox"], serde_json::json!([1]));
    let roundtrip: Order = serde_json::from_value(json["order"].clone()).unwrap();
    assert_eq!(roundtrip, order);
}

#[test]
fn bad_commands_and_queries_report_their_fields() {
    let change = wit::Command::Change(wit::OrderChange {
        request_id: "has space".into(),
        reason: "price fix".into(),
        add: vec![wit::NewItem {
            sku: "A".into(),
            name: "A".into(),
            quantity: 1,
            unit_price: -5,
            discount: 0,
        }],
        remove: vec![wit::ItemQuantity {
            sku: String::new(),
            quantity: 1,
        }],
        prices: vec![],
        discount: 0,
        increment: 0,
    });
    let fields: Vec<String> = convert::command(&change)
        .unwrap_err()
        .iter()
        .map(|e| e.field().to_owned())
        .collect();
    assert_eq!(fields, ["requestId", "add[0].unitPrice", "remove[0].sku"]);

    let invoice = wit::Command::AddInvoice(wit::NewInvoice {
        kind: wit::InvoiceKind::Output,
        number: "1".into(),
        series: None,
        key: Some("123".into()),
        value: 100,
        issued_at: "2026-11-22T12:00:00Z".into(),
        url: None,
        items: None,
        tracking: Some(wit::TrackingInfo {
            carrier: String::new(),
            number: "BR1".into(),
            url: None,
        }),
    });
    let fields: Vec<String> = convert::command(&invoice)
        .unwrap_err()
        .iter()
        .map(|e| e.field().to_owned())
        .collect();
    assert_eq!(fields, ["key", "tracking.carrier"]);

    let query = crate::bindings::exports::orderflow::core::orders::Query {
        status: None,
        q: None,
        sku: None,
        customer: None,
        channel: None,
        from: Some("yesterday".into()),
        to: None,
        min_total: None,
        max_total: None,
        shipping_method: None,
        problems: false,
        sort: crate::bindings::exports::orderflow::core::orders::Sort::CreatedAtDesc,
        limit: 201,
        cursor: None,
    };
    let fields: Vec<String> = convert::query(query)
        .unwrap_err()
        .iter()
        .map(|e| e.field().to_owned())
        .collect();
    assert_eq!(fields, ["from", "limit"]);
}

#[test]
fn a_cursor_that_does_not_parse_is_an_invalid_field() {
    let kv = MemoryKv::new();
    let result = service(&kv).list(&Query {
        cursor: Some("garbage".into()),
        limit: 10,
        ..Query::default()
    });
    let Err(Failure::Invalid(fields)) = result else {
        panic!("{result:?}");
    };
    assert_eq!(fields[0].field(), "cursor");
}

#[test]
fn a_test_clocks_unpaid_orders_expire_by_its_time_and_never_touch_live_ones() {
    let kv = MemoryKv::new();
    let pix = |clock: Option<&str>| {
        let mut input = input();
        input.payment.method = PaymentMethod::Pix;
        input.external_id = None;
        input.subscription = Some(SubscriptionRef {
            id: SubscriptionId::parse("s-1").unwrap(),
            cycle: 1,
            test_clock: clock.map(|c| TestClockId::parse(c).unwrap()),
        });
        input
    };
    let live = service_at(&kv, t0())
        .place(pix(None), Actor::System, None)
        .unwrap()
        .order;
    // Placed on a clock two years ahead: dated and given its deadline by the clock.
    let frozen = later(t0(), 2 * 365 * 24 * 3600);
    let on_clock = service_at(&kv, frozen)
        .place(pix(Some("tc-1")), Actor::System, None)
        .unwrap()
        .order;
    assert_eq!(*on_clock.created_at(), frozen);
    let clock = TestClockId::parse("tc-1").unwrap();
    let other = TestClockId::parse("tc-2").unwrap();
    let deadline = on_clock.payment().due_at.unwrap();
    assert!(deadline > frozen);
    let at = |t| service_at(&kv, t);
    // Another clock's expiry, or this one's before the deadline, cancels nothing.
    assert_eq!(
        at(deadline)
            .cancel_unpaid(deadline, 100, Some(&other))
            .unwrap(),
        0
    );
    let before = later(deadline, -1);
    assert_eq!(
        at(before).cancel_unpaid(before, 100, Some(&clock)).unwrap(),
        0
    );
    // The clock's expiry at its deadline cancels its order only, however far past the live
    // order's deadline it is.
    assert_eq!(
        at(deadline)
            .cancel_unpaid(deadline, 100, Some(&clock))
            .unwrap(),
        1
    );
    let s = at(deadline);
    let expired = s.load(on_clock.id()).unwrap();
    assert_eq!(expired.status(), Status::Canceled);
    assert_eq!(expired.updated_at(), &deadline);
    assert_eq!(s.load(live.id()).unwrap().status(), Status::PaymentPending);
    // Live expiry never reads the clock's index (and the live order expires by live time).
    let live_due = live.payment().due_at.unwrap();
    assert_eq!(at(live_due).cancel_unpaid(live_due, 100, None).unwrap(), 1);
    let report = s.check(false).unwrap();
    assert!(report.inconsistencies.is_empty(), "{report:?}");
}

mod counts;
mod sorted;
mod stock;

mod outbox {
    use super::*;
    use crate::service::OutboxState;

    fn states(kv: &MemoryKv, after: u64, recheck: &[u64]) -> Vec<(u64, &'static str, u64)> {
        service(kv)
            .read_outbox(after, 100, recheck)
            .unwrap()
            .into_iter()
            .map(|(position, state)| match state {
                OutboxState::Committed(entry) => (position, "committed", entry.version),
                OutboxState::Dead => (position, "dead", 0),
                OutboxState::Pending => (position, "pending", 0),
            })
            .collect()
    }

    #[test]
    fn each_version_is_committed_at_one_position_and_a_lost_attempt_is_dead() {
        let kv = MemoryKv::new();
        let order = place(&kv);
        // A concurrent comment lands between this comment's read and its swap: this attempt's
        // entry (position 2) is dead, its retry's (4) holds version 3.
        let id = order.id().clone();
        kv.interleave(move |kv| {
            service(kv)
                .apply(&id, &comment("theirs"), Actor::Admin, None, None)
                .unwrap();
        });
        service(&kv)
            .apply(order.id(), &comment("ours"), Actor::Admin, None, None)
            .unwrap();
        assert_eq!(
            states(&kv, 0, &[]),
            [
                (1, "committed", 1),
                (2, "dead", 0),
                (3, "committed", 2),
                (4, "committed", 3)
            ]
        );
        // Only what was asked: after 2, and 1 again.
        assert_eq!(
            states(&kv, 2, &[1]),
            [
                (1, "committed", 1),
                (3, "committed", 2),
                (4, "committed", 3)
            ]
        );
    }

    #[test]
    fn an_entry_whose_swap_has_not_happened_is_pending() {
        let kv = MemoryKv::new();
        let order = place(&kv);
        // The writer died after its entry and before its swap.
        kv.fail_writes_under("ord/o/");
        let died = service(&kv).apply(order.id(), &comment("lost"), Actor::Admin, None, None);
        assert!(died.is_err());
        kv.heal();
        assert_eq!(
            states(&kv, 0, &[]),
            [(1, "committed", 1), (2, "pending", 0)]
        );
        // A later version written by another attempt makes it dead.
        service(&kv)
            .apply(order.id(), &comment("next"), Actor::Admin, None, None)
            .unwrap();
        assert_eq!(states(&kv, 1, &[]), [(2, "dead", 0), (3, "committed", 2)]);
    }

    #[test]
    fn a_swap_redis_reports_as_failed_is_committed_once() {
        let kv = MemoryKv::new();
        let order = place(&kv);
        kv.lie_about_swaps(1);
        service(&kv)
            .apply(order.id(), &comment("once"), Actor::Admin, None, None)
            .unwrap();
        assert_eq!(
            states(&kv, 0, &[]),
            [(1, "committed", 1), (2, "committed", 2)]
        );
    }
}

#[test]
fn the_indexer_passes_over_a_write_still_pending_and_forgets_it_after_an_hour() {
    let kv = MemoryKv::new();
    // A placement whose order never lands: its outbox entry stays pending.
    kv.fail_writes_under("ord/o/");
    assert!(service(&kv).place(input(), Actor::Checkout, None).is_err());
    kv.heal();
    let second = place(&kv);
    let head = |kv: &MemoryKv| -> crate::doc::IndexHead {
        decode(keys::INDEX_HEAD, &kv.peek(keys::INDEX_HEAD).unwrap()).unwrap()
    };
    // Still pending once the later position was read: passed over, re-read by later passes.
    service(&kv).index_pass().unwrap();
    assert_eq!(head(&kv).cursor, 2);
    assert_eq!(head(&kv).recheck.len(), 1);
    assert_indexed(&kv, second.id());
    service(&kv).index_pass().unwrap();
    assert_eq!(head(&kv).recheck.len(), 1);
    // Forgotten after an hour.
    service_at(&kv, later(t0(), 2 * 3600)).index_pass().unwrap();
    assert!(head(&kv).recheck.is_empty());
}

#[test]
fn an_old_indexer_plan_applied_late_never_lists_an_order_twice() {
    let kv = MemoryKv::new();
    let order = place(&kv);
    // The pass that reads the plan applies it, and is slow: the plan stays in the head (the
    // swaps: the pass's lease, its plan, then the one that would take both out).
    kv.after_next_swap(|kv| kv.after_next_swap(|kv| kv.fail_writes_under(keys::INDEX_HEAD)));
    service(&kv).index_pass().unwrap();
    kv.heal();
    let head = |kv: &MemoryKv| -> crate::doc::IndexHead {
        decode(keys::INDEX_HEAD, &kv.peek(keys::INDEX_HEAD).unwrap()).unwrap()
    };
    // A slow pass read this plan and applies it only after later passes have moved the order.
    let old = head(&kv).plan.expect("the placement's plan");
    let reason = Text::parse("customer asked", 100).unwrap();
    let cancel = Command::Cancel { reason };
    service(&kv)
        .apply(order.id(), &cancel, Actor::Admin, None, None)
        .unwrap();
    // The slow pass's lease has lapsed by then.
    service_at(&kv, later(t0(), 60)).catch_up().unwrap();
    service(&kv)
        .apply(order.id(), &comment("later"), Actor::Admin, None, None)
        .unwrap();
    for (index, slot, id, since) in &old.joins {
        let entry = crate::doc::IndexEntry {
            id: id.clone(),
            v: *since,
        };
        let entry = crate::doc::encode(&entry).unwrap();
        kv.set(&keys::index_entry(index, *slot), &entry).unwrap();
        let slot = slot.to_string();
        kv.set(&keys::index_slot(index, id, *since), slot.as_bytes())
            .unwrap();
    }
    for (id, record) in &old.records {
        let record = crate::doc::encode(record).unwrap();
        kv.set(&keys::index_record(id), &record).unwrap();
    }
    service(&kv)
        .apply(
            order.id(),
            &comment("later still"),
            Actor::Admin,
            None,
            None,
        )
        .unwrap();
    service(&kv).catch_up().unwrap();
    let ids = |query: Query| -> Vec<OrderId> {
        list_all(&kv, query)
            .iter()
            .map(|o| o.id().clone())
            .collect()
    };
    let listing = |status| Query {
        status,
        limit: 10,
        ..Query::default()
    };
    assert_eq!(ids(listing(None)), [order.id().clone()]);
    assert_eq!(ids(listing(Some(Status::Canceled))), [order.id().clone()]);
    assert!(ids(listing(Some(Status::PaymentPending))).is_empty());
    let customer = Query {
        customer: Some("ana@example.com".into()),
        limit: 10,
        ..Query::default()
    };
    assert_eq!(ids(customer), [order.id().clone()]);
    assert_indexed(&kv, order.id());
    let report = service(&kv).check(false).unwrap();
    assert_eq!(report.inconsistencies, Vec::<String>::new());
}

#[test]
fn a_pass_leaves_the_head_to_the_pass_holding_its_lease() {
    let kv = MemoryKv::new();
    let order = place(&kv);
    let refused = std::rc::Rc::new(std::cell::Cell::new(false));
    let seen = refused.clone();
    // Right after the first pass took the lease, a second one starts.
    kv.after_next_swap(move |kv| {
        let second = service_at(kv, t0()).index_pass();
        seen.set(second == Err(Failure::Contention));
    });
    let first = service(&kv).index_pass().unwrap();
    assert!(refused.get(), "the second pass waits for the first");
    assert_eq!(first.orders, 1);
    assert_indexed(&kv, order.id());
    // No slot was given twice, and the lease is gone with the first pass.
    let all = IndexName::all();
    assert_eq!(kv.increment(&keys::index_counter(&all), 0).unwrap(), 1);
    let head: crate::doc::IndexHead =
        decode(keys::INDEX_HEAD, &kv.peek(keys::INDEX_HEAD).unwrap()).unwrap();
    assert_eq!(head.lease, None);
    assert_eq!(head.plan, None);
}
