//! Tests of the store logic over the in-memory store, with a fake orders service: schedules
//! turned into orders, skips, pauses, limits, overlapping and dying passes, failures and
//! downtime, each also under the Redis fault (successful swaps reported as `cas-failed`).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::TimeDelta;
use orderflow_domain::order::{Address, Customer, NewItem, PaymentMethod, PlaceOrder, Shipping};
use orderflow_domain::subscription::{
    Command, CycleStatus, NewOrderTemplate, NewSubscription, OrderTemplate, OrderTemplateEdit,
    PaymentRetryPolicy, Schedule, Subscription, SubscriptionPayment, SubscriptionStatus, TimeZone,
    Unit,
};
use orderflow_domain::values::{
    Channel, Currency, CustomerId, Email, ExternalId, Money, OrderId, PlanId, PostalCode, Quantity,
    Sku, SubscriptionId, TestClockId, Text, Timestamp,
};

use crate::clock::{ClockStatus, TestClock};
use crate::idempotency::Idempotency;
use crate::kv::Kv;
use crate::memory::{Call, MemoryKv};
use crate::orders::{ClockTime, Orders, OrdersError, PaymentState, PlacedOrder};
use crate::pass::PassOptions;
use crate::service::{Error, Filter, NewPlan, PageRequest, Subscriptions};
use crate::{CycleRecord, PassReport};

type TestResult = Result<(), Box<dyn std::error::Error>>;
type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

static NONCE: AtomicU64 = AtomicU64::new(1);

fn service(kv: &MemoryKv, now: Timestamp) -> Subscriptions<'_, MemoryKv> {
    Subscriptions::new(kv, now, NONCE.fetch_add(1, Ordering::Relaxed))
}

fn at(s: &str) -> Timestamp {
    // Test literals only; a typo fails loudly.
    match Timestamp::parse(s) {
        Ok(t) => t,
        Err(e) => panic!("bad test timestamp {s}: {e}"),
    }
}

fn text(s: &str) -> Fallible<Text> {
    Ok(Text::parse(s, 200)?)
}

fn template(sku: &str, method: PaymentMethod) -> Fallible<OrderTemplate> {
    Ok(OrderTemplate::new(NewOrderTemplate {
        channel: Channel::parse("subscriptions")?,
        currency: Currency::BRL,
        customer: Customer {
            id: Some(CustomerId::parse("c-17")?),
            name: text("Ana Souza")?,
            email: Email::parse("ana@example.com")?,
            document: None,
            phone: None,
        },
        shipping_address: Address {
            street: text("Rua A")?,
            number: text("10")?,
            complement: None,
            neighborhood: None,
            city: text("São Paulo")?,
            state: text("SP")?,
            postal_code: PostalCode::parse("01001000", true)?,
            country: orderflow_domain::values::Country::BRA,
        },
        billing_address: None,
        items: vec![NewItem {
            sku: Sku::parse(sku)?,
            name: text("Café 500 g")?,
            quantity: Quantity::ONE,
            unit_price: Money::from_minor(3990),
            discount: Money::ZERO,
        }],
        shipping: Shipping {
            method: text("PAC")?,
            carrier: None,
            price: Money::from_minor(1200),
        },
        payment: SubscriptionPayment { method },
    })?)
}

/// A subscription as the API would create it.
struct Spec {
    id: &'static str,
    schedule: Schedule,
    start: &'static str,
    max_cycles: Option<u32>,
    sku: &'static str,
    method: PaymentMethod,
}

impl Spec {
    fn monthly(id: &'static str, start: &'static str) -> Fallible<Spec> {
        Ok(Spec {
            id,
            schedule: Schedule::every(1, Unit::Month)?,
            start,
            max_cycles: None,
            sku: "CAFE-500G",
            method: PaymentMethod::Pix,
        })
    }

    fn create(self, kv: &MemoryKv, now: &str) -> Fallible<Subscription> {
        let new = self.new_subscription(now)?;
        Ok(service(kv, at(now)).create(new)?)
    }

    fn new_subscription(self, now: &str) -> Fallible<NewSubscription> {
        Ok(NewSubscription {
            id: SubscriptionId::parse(self.id)?,
            plan_id: None,
            schedule: self.schedule,
            purchase_day: None,
            timezone: TimeZone::parse("America/Sao_Paulo")?,
            start_at: at(self.start),
            end_at: None,
            max_cycles: self.max_cycles,
            order: template(self.sku, self.method)?,
            now: at(now),
        })
    }
}

/// An order the fake holds.
#[derive(Debug, Clone)]
struct FakeOrder {
    id: OrderId,
    placement: PlaceOrder,
    placed_at: Timestamp,
    canceled: bool,
    /// The test clock it was placed on.
    clock: Option<TestClockId>,
}

/// The orders service in memory: idempotent on channel + external id as the real one is, with
/// SKUs it refuses (a data problem), an outage switch and hooks that run right before a
/// placement (to interleave another pass there).
#[derive(Default)]
struct FakeOrders {
    orders: RefCell<Vec<FakeOrder>>,
    by_identity: RefCell<BTreeMap<(String, String), usize>>,
    refused_skus: RefCell<Vec<String>>,
    down: Cell<bool>,
    before_place: RefCell<VecDeque<Box<dyn FnOnce()>>>,
    clock: Cell<Option<Timestamp>>,
    place_calls: Cell<usize>,
    /// Orders whose payment the provider approved, and those it denied.
    paid: RefCell<BTreeSet<String>>,
    denied: RefCell<BTreeSet<String>>,
}

impl FakeOrders {
    fn count(&self) -> usize {
        self.orders.borrow().len()
    }

    /// The (subscription, cycle) of every order, in placement order.
    fn cycles(&self) -> Vec<(String, u32)> {
        self.orders
            .borrow()
            .iter()
            .filter_map(|o| {
                o.placement
                    .subscription
                    .as_ref()
                    .map(|s| (s.id.as_str().to_owned(), s.cycle))
            })
            .collect()
    }

    fn refuse(&self, sku: &str) {
        self.refused_skus.borrow_mut().push(sku.to_owned());
    }

    /// The id of the order placed with this external id.
    fn id_of(&self, external_id: &str) -> Option<String> {
        self.orders
            .borrow()
            .iter()
            .find(|o| {
                o.placement
                    .external_id
                    .as_ref()
                    .is_some_and(|e| e.as_str() == external_id)
            })
            .map(|o| o.id.as_str().to_owned())
    }

    fn deny(&self, id: &str) {
        self.denied.borrow_mut().insert(id.to_owned());
    }

    fn pay(&self, id: &str) {
        self.paid.borrow_mut().insert(id.to_owned());
    }
}

/// The payment deadline of a method placed at `placed_at`, as the orders service sets it.
fn payment_window(method: PaymentMethod) -> Option<TimeDelta> {
    match method {
        PaymentMethod::Pix => Some(TimeDelta::hours(1)),
        PaymentMethod::Boleto => Some(TimeDelta::days(3)),
        PaymentMethod::CreditCard | PaymentMethod::Deposit | PaymentMethod::BankTransfer => None,
    }
}

impl Orders for FakeOrders {
    fn place(
        &self,
        order: PlaceOrder,
        clock: Option<&ClockTime>,
    ) -> Result<PlacedOrder, OrdersError> {
        self.place_calls.set(self.place_calls.get() + 1);
        let hook = self.before_place.borrow_mut().pop_front();
        if let Some(hook) = hook {
            hook();
        }
        if self.down.get() {
            return Err(OrdersError::Unavailable("store down".into()));
        }
        if let Some(item) = order.items.iter().find(|i| {
            self.refused_skus
                .borrow()
                .iter()
                .any(|s| s == i.sku.as_str())
        }) {
            return Err(OrdersError::Rejected {
                code: "unknown-sku".into(),
                message: format!("SKU {} is not sold any more", item.sku.as_str()),
            });
        }
        let identity = (
            order.channel.as_str().to_owned(),
            order
                .external_id
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
        );
        if let Some(&index) = self.by_identity.borrow().get(&identity) {
            return Ok(PlacedOrder {
                id: self.orders.borrow()[index].id.clone(),
            });
        }
        let mut orders = self.orders.borrow_mut();
        let id = OrderId::parse(&format!("o-{}", orders.len() + 1))
            .map_err(|e| OrdersError::Unavailable(e.to_string()))?;
        orders.push(FakeOrder {
            id: id.clone(),
            placement: order,
            placed_at: clock.map_or_else(
                || {
                    self.clock
                        .get()
                        .unwrap_or_else(|| at("2000-01-01T00:00:00Z"))
                },
                |c| c.now,
            ),
            canceled: false,
            clock: clock.map(|c| c.id.clone()),
        });
        self.by_identity
            .borrow_mut()
            .insert(identity, orders.len() - 1);
        Ok(PlacedOrder { id })
    }

    fn find(
        &self,
        channel: &Channel,
        external_id: &ExternalId,
    ) -> Result<Option<PlacedOrder>, OrdersError> {
        let key = (channel.as_str().to_owned(), external_id.as_str().to_owned());
        Ok(self
            .by_identity
            .borrow()
            .get(&key)
            .map(|&index| PlacedOrder {
                id: self.orders.borrow()[index].id.clone(),
            }))
    }

    fn cancel_unpaid(
        &self,
        now: Timestamp,
        limit: u32,
        clock: Option<&TestClockId>,
    ) -> Result<u64, OrdersError> {
        let mut canceled = 0;
        for order in self.orders.borrow_mut().iter_mut() {
            if order.clock.as_ref() != clock {
                continue;
            }
            let Some(window) = payment_window(order.placement.payment.method) else {
                continue;
            };
            if self.paid.borrow().contains(order.id.as_str()) {
                continue;
            }
            if !order.canceled
                && canceled < u64::from(limit)
                && order
                    .placed_at
                    .checked_add(window)
                    .is_some_and(|due| due < now)
            {
                order.canceled = true;
                canceled += 1;
            }
        }
        Ok(canceled)
    }

    fn payment(&self, id: &OrderId) -> Result<Option<PaymentState>, OrdersError> {
        let orders = self.orders.borrow();
        let Some(order) = orders.iter().find(|o| &o.id == id) else {
            return Ok(None);
        };
        Ok(Some(if self.denied.borrow().contains(id.as_str()) {
            PaymentState::Failed {
                reason: "payment denied".into(),
            }
        } else if order.canceled || self.paid.borrow().contains(id.as_str()) {
            PaymentState::Settled
        } else {
            PaymentState::Pending {
                due_at: payment_window(order.placement.payment.method)
                    .and_then(|w| order.placed_at.checked_add(w)),
            }
        }))
    }
}

fn pass(kv: &MemoryKv, orders: &FakeOrders, now: &str) -> Fallible<PassReport> {
    orders.clock.set(Some(at(now)));
    let report = service(kv, at(now)).run_pass(at(now), orders)?;
    Ok(report)
}

fn cycles(kv: &MemoryKv, id: &str) -> Fallible<Vec<CycleRecord>> {
    let page = service(kv, at("2030-01-01T00:00:00Z")).cycles(
        &SubscriptionId::parse(id)?,
        &PageRequest {
            limit: 200,
            cursor: None,
        },
    )?;
    Ok(page.items)
}

fn get(kv: &MemoryKv, id: &str) -> Fallible<Subscription> {
    Ok(service(kv, at("2030-01-01T00:00:00Z")).get(&SubscriptionId::parse(id)?)?)
}

fn statuses(records: &[CycleRecord]) -> Vec<(u32, Option<u32>, CycleStatus)> {
    records
        .iter()
        .map(|r| (r.number, r.through, r.status))
        .collect()
}

/// Runs a scenario on a plain store and on one whose successful swaps all report `cas-failed`
/// (Spin's Redis backend), which must end the same.
fn both_modes(scenario: impl Fn(&Rc<MemoryKv>) -> TestResult) -> TestResult {
    scenario(&Rc::new(MemoryKv::new()))?;
    let lying = Rc::new(MemoryKv::new());
    lying.lie_about_swaps(usize::MAX);
    scenario(&lying)
}

// ----- schedules into orders ---------------------------------------------------------------------

#[test]
fn a_monthly_subscription_from_jan_31_orders_on_feb_28_mar_31_and_apr_30() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        // Nothing is due before the start.
        assert_eq!(pass(kv, &orders, "2025-01-31T11:59:00Z")?.created, 0);
        for now in [
            "2025-01-31T12:00:30Z",
            "2025-02-28T12:01:00Z",
            "2025-03-31T12:00:00Z",
            "2025-04-30T12:05:00Z",
        ] {
            let report = pass(kv, &orders, now)?;
            assert_eq!((report.due, report.created), (1, 1), "at {now}");
            // A second pass at the same minute finds nothing more to do.
            assert_eq!(pass(kv, &orders, now)?.created, 0, "again at {now}");
        }
        assert_eq!(
            orders.cycles(),
            (1..=4).map(|n| ("s-1".to_owned(), n)).collect::<Vec<_>>()
        );
        let records = cycles(kv, "s-1")?;
        let scheduled: Vec<String> = records
            .iter()
            .map(|r| r.scheduled_for.to_rfc3339())
            .collect();
        assert_eq!(
            scheduled,
            [
                "2025-01-31T12:00:00Z",
                "2025-02-28T12:00:00Z",
                "2025-03-31T12:00:00Z",
                "2025-04-30T12:00:00Z"
            ]
        );
        assert!(
            records.iter().all(|r| r.status == CycleStatus::Created
                && r.order_id.is_some()
                && r.attempts == 1)
        );
        let sub = get(kv, "s-1")?;
        assert_eq!(sub.cycle_count(), 4);
        assert_eq!(sub.next_run_at(), Some(at("2025-05-31T12:00:00Z")));
        Ok(())
    })
}

#[test]
fn every_order_carries_its_subscription_cycle_and_a_deterministic_external_id() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    Spec::monthly("s-7", "2025-03-01T09:00:00Z")?.create(&kv, "2025-03-01T08:00:00Z")?;
    pass(&kv, &orders, "2025-03-01T09:00:00Z")?;
    let placed = orders.orders.borrow();
    let placement = &placed.first().ok_or("no order")?.placement;
    assert_eq!(
        placement.external_id.as_ref().map(|e| e.as_str()),
        Some("s-7:1")
    );
    assert_eq!(placement.channel.as_str(), "subscriptions");
    assert_eq!(
        placement
            .subscription
            .as_ref()
            .map(|s| (s.id.as_str(), s.cycle)),
        Some(("s-7", 1))
    );
    Ok(())
}

#[test]
fn a_skipped_cycle_is_recorded_and_the_next_is_ordered() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        let s = service(kv, at("2025-01-25T10:00:00Z"));
        let written = s.apply(&SubscriptionId::parse("s-1")?, Command::SkipNext, Some(1))?;
        assert_eq!(written.subscription.version(), 2);
        let report = pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        assert_eq!((report.skipped, report.created), (1, 0));
        let report = pass(kv, &orders, "2025-02-28T12:00:00Z")?;
        assert_eq!((report.skipped, report.created), (0, 1));
        assert_eq!(orders.cycles(), [("s-1".to_owned(), 2)]);
        assert_eq!(
            statuses(&cycles(kv, "s-1")?),
            [
                (1, None, CycleStatus::Skipped),
                (2, None, CycleStatus::Created)
            ]
        );
        Ok(())
    })
}

#[test]
fn a_paused_subscription_creates_no_cycle_and_resuming_skips_what_fell_meanwhile() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        let id = SubscriptionId::parse("s-1")?;
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        assert_eq!(pass(kv, &orders, "2025-01-31T12:00:00Z")?.created, 1);
        service(kv, at("2025-02-10T00:00:00Z")).apply(
            &id,
            Command::Pause {
                reason: Some(text("vacation")?),
            },
            None,
        )?;
        for now in [
            "2025-02-28T12:00:00Z",
            "2025-03-31T12:00:00Z",
            "2025-04-30T12:00:00Z",
        ] {
            let report = pass(kv, &orders, now)?;
            assert_eq!((report.due, report.created), (0, 0), "paused at {now}");
        }
        assert_eq!(orders.count(), 1);
        let resumed = service(kv, at("2025-05-10T00:00:00Z")).apply(&id, Command::Resume, None)?;
        assert_eq!(resumed.subscription.next_cycle(), 5);
        assert_eq!(pass(kv, &orders, "2025-05-10T00:01:00Z")?.created, 0);
        assert_eq!(pass(kv, &orders, "2025-05-31T12:00:00Z")?.created, 1);
        assert_eq!(
            orders.cycles(),
            [("s-1".to_owned(), 1), ("s-1".to_owned(), 5)]
        );
        assert_eq!(
            statuses(&cycles(kv, "s-1")?),
            [
                (1, None, CycleStatus::Created),
                (2, Some(4), CycleStatus::Skipped),
                (5, None, CycleStatus::Created)
            ]
        );
        Ok(())
    })
}

#[test]
fn a_canceled_subscription_never_creates_a_cycle() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    service(&kv, at("2025-01-21T00:00:00Z")).apply(
        &SubscriptionId::parse("s-1")?,
        Command::Cancel { reason: None },
        None,
    )?;
    assert_eq!(pass(&kv, &orders, "2025-01-31T12:00:00Z")?.due, 0);
    assert_eq!(pass(&kv, &orders, "2025-03-31T12:00:00Z")?.due, 0);
    assert_eq!(orders.count(), 0);
    Ok(())
}

#[test]
fn max_cycles_finish_the_subscription() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        let mut spec = Spec::monthly("s-1", "2025-01-31T12:00:00Z")?;
        spec.max_cycles = Some(3);
        spec.create(kv, "2025-01-20T10:00:00Z")?;
        for now in [
            "2025-01-31T12:00:00Z",
            "2025-02-28T12:00:00Z",
            "2025-03-31T12:00:00Z",
            "2025-04-30T12:00:00Z",
            "2025-05-31T12:00:00Z",
        ] {
            pass(kv, &orders, now)?;
        }
        assert_eq!(orders.count(), 3);
        let sub = get(kv, "s-1")?;
        assert_eq!(sub.status(), SubscriptionStatus::Finished);
        assert_eq!(sub.next_run_at(), None);
        let stats = service(kv, at("2025-06-01T00:00:00Z")).stats()?;
        assert_eq!((stats.active, stats.finished), (0, 1));
        Ok(())
    })
}

// ----- exactly once ------------------------------------------------------------------------------

#[test]
fn two_overlapping_passes_create_each_cycle_once() -> TestResult {
    both_modes(|kv| {
        let orders = Rc::new(FakeOrders::default());
        for id in ["s-1", "s-2", "s-3"] {
            Spec::monthly(id, "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        }
        let now = "2025-01-31T12:00:00Z";
        // A second pass runs in full inside the first pass's first compare-and-swap, after the
        // first pass has placed s-1's order and before it records it.
        let inner = Rc::clone(&orders);
        let seen: Rc<RefCell<Option<PassReport>>> = Rc::default();
        let seen_inner = Rc::clone(&seen);
        kv.interleave(move |kv| {
            let report = service(kv, at(now)).run_pass(at(now), &*inner).ok();
            *seen_inner.borrow_mut() = report;
        });
        let first = pass(kv, &orders, now)?;
        let second = seen.borrow().clone().ok_or("the second pass did not run")?;
        assert!(!kv.has_pending_hooks());
        assert!(first.errors.is_empty() && second.errors.is_empty());
        // The inner pass found s-1's order by its identity and recorded it, then did s-2 and
        // s-3; the outer pass's record lost its swap, found the cycle recorded, and had nothing
        // left to do for the others.
        assert_eq!((second.created, first.created), (3, 0));
        assert_eq!(orders.count(), 3);
        let mut placed = orders.cycles();
        placed.sort();
        assert_eq!(
            placed,
            [
                ("s-1".to_owned(), 1),
                ("s-2".to_owned(), 1),
                ("s-3".to_owned(), 1)
            ]
        );
        for id in ["s-1", "s-2", "s-3"] {
            assert_eq!(get(kv, id)?.cycle_count(), 1, "{id}");
            assert_eq!(
                statuses(&cycles(kv, id)?),
                [(1, None, CycleStatus::Created)]
            );
        }
        Ok(())
    })
}

#[test]
fn a_pass_that_finds_a_live_claim_leaves_the_cycle_to_its_holder() -> TestResult {
    both_modes(|kv| {
        let orders = Rc::new(FakeOrders::default());
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        let now = "2025-01-31T12:00:00Z";
        // The second pass runs after the first claimed the cycle, before it places the order.
        let inner = Rc::clone(&orders);
        let inner_kv = Rc::clone(kv);
        let seen: Rc<RefCell<Option<PassReport>>> = Rc::default();
        let seen_inner = Rc::clone(&seen);
        orders
            .before_place
            .borrow_mut()
            .push_back(Box::new(move || {
                let report = service(&inner_kv, at(now)).run_pass(at(now), &*inner).ok();
                *seen_inner.borrow_mut() = report;
            }));
        let first = pass(kv, &orders, now)?;
        let second = seen.borrow().clone().ok_or("the second pass did not run")?;
        assert_eq!((second.due, second.created, second.in_progress), (1, 0, 1));
        assert_eq!(first.created, 1);
        assert_eq!(orders.count(), 1);
        Ok(())
    })
}

#[test]
fn a_pass_that_dies_after_claiming_is_finished_by_a_later_pass() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        // The process dies right after the claim: its stamp never gets written.
        kv.fail_writes_under("sub/cc/");
        let died = pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        assert_eq!((died.created, died.errors.len()), (0, 1));
        kv.heal();
        assert_eq!(orders.count(), 0);
        // The next minute's pass sees a claim without a stamp: its holder is gone.
        let next = pass(kv, &orders, "2025-01-31T12:01:00Z")?;
        assert_eq!((next.created, next.in_progress), (1, 0), "{next:?}");
        assert_eq!(orders.cycles(), [("s-1".to_owned(), 1)]);
        assert_eq!(
            statuses(&cycles(kv, "s-1")?),
            [(1, None, CycleStatus::Created)]
        );
        Ok(())
    })
}

#[test]
fn a_claim_stamped_by_a_pass_that_died_is_taken_over_once_its_lease_ends() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        // The process dies between stamping the claim and placing the order.
        orders.down.set(true);
        kv.fail_writes_under("sub/s/");
        kv.fail_writes_under("sub/c/");
        let died = pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        assert_eq!(died.created, 0);
        kv.heal();
        orders.down.set(false);
        // A failed attempt gives its claim back; make this one look like a crash instead.
        let s = service(kv, at("2025-01-31T12:00:00Z"));
        let id = SubscriptionId::parse("s-1")?;
        s.kv.increment(&crate::keys::cycle_claim(&id, 1), 1)?;
        s.kv.set(
            &crate::keys::cycle_claim_at(&id, 1),
            br#"{"at":"2025-01-31T12:04:30Z"}"#,
        )?;
        // A live claim: left to its holder, and the cursor stays before its minute so that a
        // later pass comes back to it (here, the holder is dead).
        let early = pass(kv, &orders, "2025-01-31T12:05:00Z")?;
        assert_eq!((early.created, early.in_progress), (0, 1));
        let late = pass(kv, &orders, "2025-01-31T12:10:00Z")?;
        assert_eq!((late.created, late.in_progress), (1, 0), "{late:?}");
        assert_eq!(orders.count(), 1);
        Ok(())
    })
}

#[test]
fn a_pass_that_dies_after_placing_is_recorded_by_the_next_without_a_second_order() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        // The order is placed, then the process dies before the cycle is recorded.
        kv.fail_writes_under("sub/s/");
        let died = pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        assert_eq!((died.created, died.errors.len()), (0, 1));
        assert_eq!(orders.count(), 1);
        kv.heal();
        // Right away (the claim is young): the order is found by its identity and recorded.
        let next = pass(kv, &orders, "2025-01-31T12:00:40Z")?;
        assert_eq!(next.created, 1, "{next:?}");
        assert_eq!(orders.count(), 1);
        assert_eq!(orders.place_calls.get(), 1);
        assert_eq!(get(kv, "s-1")?.cycle_count(), 1);
        Ok(())
    })
}

#[test]
fn a_failed_cycle_is_recorded_with_its_reason_and_retried_after_the_data_is_fixed() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        orders.refuse("OLD-SKU");
        let mut spec = Spec::monthly("s-1", "2025-01-31T12:00:00Z")?;
        spec.sku = "OLD-SKU";
        spec.create(kv, "2025-01-20T10:00:00Z")?;
        let first = pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        assert_eq!((first.failed, first.created), (1, 0));
        let records = cycles(kv, "s-1")?;
        assert_eq!(statuses(&records), [(1, None, CycleStatus::Failed)]);
        let error = records
            .first()
            .and_then(|r| r.error.clone())
            .ok_or("no error")?;
        assert!(error.as_str().contains("OLD-SKU"), "{error}");
        // Retried every pass while the data is wrong.
        let second = pass(kv, &orders, "2025-01-31T12:01:00Z")?;
        assert_eq!(second.failed, 1);
        // The merchant fixes the item.
        let fixed = template("CAFE-500G", PaymentMethod::Pix)?;
        service(kv, at("2025-01-31T13:00:00Z")).apply(
            &SubscriptionId::parse("s-1")?,
            Command::EditOrder(OrderTemplateEdit {
                items: Some(fixed.items().to_vec()),
                ..OrderTemplateEdit::default()
            }),
            None,
        )?;
        let third = pass(kv, &orders, "2025-01-31T13:00:00Z")?;
        assert_eq!((third.failed, third.created), (0, 1));
        let records = cycles(kv, "s-1")?;
        assert_eq!(statuses(&records), [(1, None, CycleStatus::Created)]);
        assert_eq!(records.first().map(|r| r.attempts), Some(3));
        assert_eq!(orders.cycles(), [("s-1".to_owned(), 1)]);
        Ok(())
    })
}

#[test]
fn a_year_of_downtime_then_one_pass_records_the_missed_cycles_and_orders_the_due_one() -> TestResult
{
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-01T12:00:00Z")?.create(kv, "2024-12-20T10:00:00Z")?;
        let mut daily = Spec::monthly("s-2", "2025-01-01T12:00:00Z")?;
        daily.schedule = Schedule::every(1, Unit::Day)?;
        daily.create(kv, "2024-12-20T10:00:00Z")?;
        kv.clear_calls();
        let report = pass(kv, &orders, "2026-01-01T12:30:00Z")?;
        assert_eq!(report.due, 2);
        assert_eq!(report.created, 2);
        // Monthly: cycles 1-12 of 2025 missed, cycle 13 (2026-01-01) ordered. Daily: 366
        // cycles from 2025-01-01 to 2026-01-01, all missed but the three within the three-day
        // limit (Dec 30, Dec 31, Jan 1), of which the oldest is ordered now and the other two on
        // the next passes.
        assert_eq!(report.missed, 12 + 363);
        assert_eq!(
            statuses(&cycles(kv, "s-1")?),
            [
                (1, Some(12), CycleStatus::Missed),
                (13, None, CycleStatus::Created)
            ]
        );
        assert_eq!(
            statuses(&cycles(kv, "s-2")?),
            [
                (1, Some(363), CycleStatus::Missed),
                (364, None, CycleStatus::Created)
            ]
        );
        // The pass's cost grows with the downtime by about one counter read per day (365 here,
        // plus a read per empty 365-day era since 1970 for this first pass), not with the
        // missed cycles, which are one record per range.
        assert!(kv.calls().len() < 800, "{} calls", kv.calls().len());
        // The daily backlog drains one cycle per pass, oldest first.
        assert_eq!(pass(kv, &orders, "2026-01-01T12:31:00Z")?.created, 1);
        assert_eq!(pass(kv, &orders, "2026-01-01T12:32:00Z")?.created, 1);
        assert_eq!(pass(kv, &orders, "2026-01-01T12:33:00Z")?.created, 0);
        assert_eq!(
            get(kv, "s-2")?.next_run_at(),
            Some(at("2026-01-02T12:00:00Z"))
        );
        Ok(())
    })
}

#[test]
fn a_pass_reads_what_is_due_not_what_exists() -> TestResult {
    let calls_with = |idle: usize| -> Fallible<usize> {
        let kv = MemoryKv::new();
        let orders = FakeOrders::default();
        Spec::monthly("due", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
        for n in 0..idle {
            let id: &'static str = Box::leak(format!("idle-{n}").into_boxed_str());
            Spec::monthly(id, "2025-06-15T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
        }
        pass(&kv, &orders, "2025-01-30T12:00:00Z")?;
        kv.clear_calls();
        let report = pass(&kv, &orders, "2025-01-31T12:00:00Z")?;
        assert_eq!(report.created, 1);
        Ok(kv.calls().len())
    };
    let few = calls_with(1)?;
    let many = calls_with(300)?;
    assert_eq!(few, many);
    Ok(())
}

#[test]
fn unpaid_orders_past_their_deadline_are_canceled_by_the_pass() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    let mut spec = Spec::monthly("s-1", "2025-01-31T12:00:00Z")?;
    spec.method = PaymentMethod::Boleto;
    spec.create(&kv, "2025-01-20T10:00:00Z")?;
    assert_eq!(
        pass(&kv, &orders, "2025-01-31T12:00:00Z")?.canceled_unpaid,
        0
    );
    assert_eq!(
        pass(&kv, &orders, "2025-02-02T12:00:00Z")?.canceled_unpaid,
        0
    );
    assert_eq!(
        pass(&kv, &orders, "2025-02-03T12:01:00Z")?.canceled_unpaid,
        1
    );
    Ok(())
}

// ----- reads ---------------------------------------------------------------------------------------

#[test]
fn a_stale_version_is_refused_and_nothing_changes() -> TestResult {
    let kv = MemoryKv::new();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    let s = service(&kv, at("2025-01-21T00:00:00Z"));
    let id = SubscriptionId::parse("s-1")?;
    let refused = s.apply(&id, Command::Pause { reason: None }, Some(7));
    assert_eq!(
        refused.err(),
        Some(Error::VersionMismatch {
            expected: 7,
            actual: 1
        })
    );
    assert_eq!(s.get(&id)?.status(), SubscriptionStatus::Active);
    let again = s.apply(&id, Command::Resume, None);
    assert!(matches!(again, Err(Error::Rejected(_))));
    Ok(())
}

#[test]
fn a_subscription_id_is_created_once() -> TestResult {
    let kv = MemoryKv::new();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    let again = Spec::monthly("s-1", "2025-02-01T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z");
    assert!(again.is_err());
    assert_eq!(get(&kv, "s-1")?.start_at(), at("2025-01-31T12:00:00Z"));
    // A numbered id is the outbox position: one taken by a caller's own id is passed over.
    let now = "2025-01-20T10:00:00Z";
    let s = service(&kv, at(now));
    let taken = format!("s-{}", s.counter(crate::keys::OUTBOX_SEQ)? + 2);
    Spec::monthly(
        Box::leak(taken.clone().into_boxed_str()),
        "2025-01-31T12:00:00Z",
    )?
    .create(&kv, now)?;
    let numbered = || -> Fallible<Subscription> {
        let new = Spec::monthly("s-0", "2025-01-31T12:00:00Z")?.new_subscription(now)?;
        Ok(s.create_numbered(new)?)
    };
    let (a, b) = (numbered()?, numbered()?);
    assert_ne!(a.id(), b.id());
    assert!(a.id().as_str() != taken && b.id().as_str() != taken);
    assert_eq!(get(&kv, a.id().as_str())?.id(), a.id());
    Ok(())
}

#[test]
fn listings_by_status_customer_and_due_date_follow_every_change() -> TestResult {
    both_modes(|kv| {
        for (id, start) in [
            ("s-1", "2025-02-01T12:00:00Z"),
            ("s-2", "2025-02-10T12:00:00Z"),
            ("s-3", "2025-03-01T12:00:00Z"),
        ] {
            Spec::monthly(id, start)?.create(kv, "2025-01-20T10:00:00Z")?;
        }
        let s = service(kv, at("2025-01-21T00:00:00Z"));
        s.apply(
            &SubscriptionId::parse("s-2")?,
            Command::Pause { reason: None },
            None,
        )?;
        let ids = |filter: Filter| -> Fallible<Vec<String>> {
            let page = s.list(&filter, &PageRequest::default())?;
            Ok(page
                .items
                .iter()
                .map(|sub| sub.id().as_str().to_owned())
                .collect())
        };
        assert_eq!(ids(Filter::All)?, ["s-3", "s-2", "s-1"]);
        assert_eq!(
            ids(Filter::Status(SubscriptionStatus::Active))?,
            ["s-3", "s-1"]
        );
        assert_eq!(ids(Filter::Status(SubscriptionStatus::Paused))?, ["s-2"]);
        assert_eq!(ids(Filter::Customer("c-17".into()))?, ["s-3", "s-2", "s-1"]);
        assert_eq!(
            ids(Filter::Customer("ana@example.com".into()))?,
            ["s-3", "s-2", "s-1"]
        );
        assert!(ids(Filter::Customer("bia@example.com".into()))?.is_empty());
        assert_eq!(ids(Filter::DueBefore(at("2025-02-15T00:00:00Z")))?, ["s-1"]);
        assert_eq!(
            ids(Filter::DueBefore(at("2025-04-01T00:00:00Z")))?,
            ["s-1", "s-3"]
        );
        // Pages of one, by cursor.
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..10 {
            let page = s.list(
                &Filter::All,
                &PageRequest {
                    limit: 1,
                    cursor: cursor.clone(),
                },
            )?;
            seen.extend(page.items.iter().map(|sub| sub.id().as_str().to_owned()));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, ["s-3", "s-2", "s-1"]);
        Ok(())
    })
}

#[test]
fn stats_count_statuses_due_cycles_and_monthly_revenue_as_writes_happen() -> TestResult {
    both_modes(|kv| {
        // 3990 + 1200 shipping = 5190 a cycle.
        Spec::monthly("s-1", "2025-02-01T12:00:00Z")?.create(kv, "2025-01-31T13:00:00Z")?;
        let mut yearly = Spec::monthly("s-2", "2025-02-05T12:00:00Z")?;
        yearly.schedule = Schedule::every(1, Unit::Year)?;
        yearly.create(kv, "2025-01-31T13:00:00Z")?;
        let mut weekly = Spec::monthly("s-3", "2025-03-01T12:00:00Z")?;
        weekly.schedule = Schedule::every(2, Unit::Week)?;
        weekly.create(kv, "2025-01-31T13:00:00Z")?;
        let s = service(kv, at("2025-01-31T13:00:00Z"));
        let stats = s.stats()?;
        assert_eq!((stats.active, stats.paused), (3, 0));
        assert_eq!((stats.due_next_day, stats.due_next_week), (1, 2));
        // 5190 + 5190 / 12 + 5190 × 365.2425 / 12 / 14.
        let biweekly = 5190 * 3_652_425 / (12 * 14 * 10_000);
        let mrr = 5190 + 5190 / 12 + biweekly;
        assert_eq!(
            stats.monthly_recurring_revenue,
            [(Currency::BRL, Money::from_minor(mrr))]
        );
        s.apply(
            &SubscriptionId::parse("s-1")?,
            Command::Pause { reason: None },
            None,
        )?;
        let stats = s.stats()?;
        assert_eq!((stats.active, stats.paused), (2, 1));
        assert_eq!((stats.due_next_day, stats.due_next_week), (0, 1));
        assert_eq!(
            stats.monthly_recurring_revenue,
            [(Currency::BRL, Money::from_minor(mrr - 5190))]
        );
        Ok(())
    })
}

#[test]
fn plans_are_created_once_read_and_listed() -> TestResult {
    let kv = MemoryKv::new();
    let s = service(&kv, at("2025-01-20T10:00:00Z"));
    let id = PlanId::parse("p-cafe")?;
    let new = NewPlan {
        id: id.clone(),
        name: text("Café do mês")?,
        schedule: Schedule::every(1, Unit::Month)?,
        purchase_day: None,
        timezone: TimeZone::parse("America/Sao_Paulo")?,
        max_cycles: Some(12),
    };
    let plan = s.create_plan(new.clone())?;
    assert_eq!(s.plan(&id)?, plan);
    assert_eq!(s.create_plan(new.clone()).err(), Some(Error::AlreadyExists));
    // A numbered plan is named by its slot in the plans index (the plan above has 1, the next
    // 2): an id chosen as p-3 makes the numbered one pass over slot 3.
    s.create_plan(NewPlan {
        id: PlanId::parse("p-3")?,
        ..new.clone()
    })?;
    let other = s
        .create_plan_numbered(NewPlan {
            name: text("Ração quinzenal")?,
            schedule: Schedule::every(2, Unit::Week)?,
            timezone: TimeZone::UTC,
            max_cycles: None,
            ..new
        })?
        .id;
    assert_eq!(other.as_str(), "p-4");
    let listed: Vec<PlanId> = s
        .plans(&PageRequest::default())?
        .items
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, [other, PlanId::parse("p-3")?, id]);
    assert_eq!(
        s.plan(&PlanId::parse("p-404")?).err(),
        Some(Error::PlanNotFound)
    );
    Ok(())
}

#[test]
fn no_key_written_by_set_is_ever_incremented() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    pass(&kv, &orders, "2025-01-31T12:00:00Z")?;
    pass(&kv, &orders, "2025-02-28T12:00:00Z")?;
    for call in kv.calls() {
        match call {
            Call::Increment(key, _) => assert!(key.starts_with("sub/n/"), "{key}"),
            Call::Set(key) | Call::CasSwap(key) => assert!(!key.starts_with("sub/n/"), "{key}"),
            Call::Get(_) | Call::Delete(_) | Call::CasCurrent(_) => {}
        }
    }
    Ok(())
}

#[test]
fn a_swap_reported_failed_is_recognised_as_ours_even_after_a_later_write() -> TestResult {
    let kv = MemoryKv::new();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    let id = SubscriptionId::parse("s-1")?;
    // Redis: the pause is written but reported failed, and before the writer re-reads another
    // writer skips the next cycle.
    kv.lie_about_swaps(1);
    let other = id.clone();
    kv.after_next_swap(move |kv| {
        let skipped =
            service(kv, at("2025-01-21T00:00:00Z")).apply(&other, Command::SkipNext, None);
        assert!(skipped.is_ok());
    });
    let paused = service(&kv, at("2025-01-21T00:00:00Z")).apply(
        &id,
        Command::Pause { reason: None },
        None,
    )?;
    assert_eq!(paused.subscription.version(), 2);
    let now = get(&kv, "s-1")?;
    // Paused once (a retried pause would have been refused or counted twice), skip on top.
    assert_eq!(
        (now.status(), now.version()),
        (SubscriptionStatus::Paused, 3)
    );
    assert_eq!(now.skipped_cycles().len(), 1);
    let stats = service(&kv, at("2025-01-21T00:00:00Z")).stats()?;
    assert_eq!((stats.active, stats.paused), (0, 1));
    Ok(())
}

#[test]
fn a_swap_that_errs_after_writing_is_settled_by_the_next_pass_without_a_second_order() -> TestResult
{
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    service(&kv, at("2025-01-20T10:00:00Z")).catch_up()?;
    // The cycle's record is written, but the store answers with an error.
    kv.err_after_swaps(1);
    let uncertain = pass(&kv, &orders, "2025-01-31T12:00:00Z")?;
    assert_eq!(uncertain.errors.len(), 1);
    assert_eq!(get(&kv, "s-1")?.cycle_count(), 1);
    let next = pass(&kv, &orders, "2025-01-31T12:01:00Z")?;
    assert_eq!((next.due, next.created), (0, 0));
    assert_eq!(orders.count(), 1);
    // Its new due entry survived the error: the next cycle is ordered on time.
    assert_eq!(pass(&kv, &orders, "2025-02-28T12:00:00Z")?.created, 1);
    Ok(())
}

#[test]
fn every_key_lives_under_the_sub_prefix() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    pass(&kv, &orders, "2025-01-31T12:00:00Z")?;
    service(&kv, at("2025-02-01T00:00:00Z")).apply(
        &SubscriptionId::parse("s-1")?,
        Command::Pause { reason: None },
        None,
    )?;
    let keys = kv.keys();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| k.starts_with("sub/")), "{keys:?}");
    // Claims are given back once their cycle is recorded.
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with("sub/cc/") || k.starts_with("sub/n/cc/"))
    );
    Ok(())
}

#[test]
fn a_pass_with_a_budget_leaves_the_rest_to_the_next_pass() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        for id in ["s-1", "s-2", "s-3"] {
            Spec::monthly(id, "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        }
        let options = crate::PassOptions {
            max_subscriptions: 2,
            ..crate::PassOptions::default()
        };
        let now = at("2025-01-31T12:00:00Z");
        let first = service(kv, now).run_pass_with(now, &orders, &options)?;
        assert_eq!(first.created, 2);
        // Much later: the cursor stayed before the unfinished minute, so s-3 is still found.
        let later = at("2025-02-01T09:00:00Z");
        let second = service(kv, later).run_pass_with(later, &orders, &options)?;
        assert_eq!(second.created, 1);
        assert_eq!(orders.count(), 3);
        Ok(())
    })
}

#[test]
fn a_pass_run_as_shards_creates_each_cycle_once_and_ends_like_one_pass() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        let ids: Vec<&'static str> = (1..=12)
            .map(|n| &*Box::leak(format!("s-{n}").into_boxed_str()))
            .collect();
        for id in &ids {
            Spec::monthly(id, "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        }
        let count = 3;
        let shard = |index| {
            let shard = crate::Shard::new(index, count).ok_or("no such shard")?;
            Ok::<_, Box<dyn std::error::Error>>(crate::PassOptions {
                shard: Some(shard),
                ..crate::PassOptions::default()
            })
        };
        for id in &ids {
            let id = SubscriptionId::parse(id)?;
            let holders = (0..count)
                .filter(|i| crate::Shard::new(*i, count).is_some_and(|s| s.holds(&id)))
                .count();
            assert_eq!(holders, 1, "{id} belongs to exactly one shard");
        }
        assert_eq!(crate::Shard::new(3, 3), None);
        let now = at("2025-01-31T12:00:00Z");
        let mut created = 0;
        for index in 0..count {
            let report = service(kv, now).run_shard(now, &orders, &shard(index)?)?;
            assert!(
                report.report.errors.is_empty(),
                "{:?}",
                report.report.errors
            );
            assert_eq!(report.unfinished, None);
            assert!(report.report.created < 12, "a shard handles its share only");
            created += report.report.created;
        }
        assert_eq!(created, 12);
        assert_eq!(orders.count(), 12);
        // A shard run twice (its request failed after working, and it was run again) creates
        // nothing more.
        let again = service(kv, now).run_shard(now, &orders, &shard(0)?)?;
        assert_eq!(again.report.created, 0);
        let end = service(kv, now).end_pass(now, &orders, &crate::PassOptions::default(), None)?;
        assert!(end.errors.is_empty(), "{:?}", end.errors);
        // The cursor moved past the minute: a later pass finds nothing left to create.
        let later = at("2025-01-31T12:10:00Z");
        let after = service(kv, later).run_pass(later, &orders)?;
        assert_eq!((after.due, after.created), (0, 0));
        assert_eq!(orders.count(), 12);
        Ok(())
    })
}

#[test]
fn a_shard_that_did_not_finish_keeps_the_cursor_before_its_minute() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        for n in 1..=6 {
            let id: &'static str = Box::leak(format!("s-{n}").into_boxed_str());
            Spec::monthly(id, "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        }
        let now = at("2025-01-31T12:00:30Z");
        let mut unfinished = None;
        let mut created = 0;
        for index in 0..2 {
            let options = crate::PassOptions {
                shard: crate::Shard::new(index, 2),
                max_subscriptions: 1,
                ..crate::PassOptions::default()
            };
            let report = service(kv, now).run_shard(now, &orders, &options)?;
            created += report.report.created;
            unfinished = unfinished.or(report.unfinished);
        }
        assert_eq!(created, 2);
        assert_eq!(unfinished, Some(at("2025-01-31T12:00:00Z")));
        service(kv, now).end_pass(now, &orders, &crate::PassOptions::default(), unfinished)?;
        // A day later the minute is still within reach: the rest are created.
        let later = at("2025-02-01T12:00:00Z");
        assert_eq!(service(kv, later).run_pass(later, &orders)?.created, 4);
        assert_eq!(orders.count(), 6);
        Ok(())
    })
}

#[test]
fn six_nested_passes_create_each_cycle_once() -> TestResult {
    both_modes(|kv| {
        let orders = Rc::new(FakeOrders::default());
        for id in ["s-1", "s-2", "s-3", "s-4"] {
            Spec::monthly(id, "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        }
        let now = "2025-01-31T12:00:00Z";
        // Each pass's first compare-and-swap runs the next pass in full inside it.
        let reports: Rc<RefCell<Vec<PassReport>>> = Rc::default();
        for _ in 0..5 {
            let inner = Rc::clone(&orders);
            let reports = Rc::clone(&reports);
            kv.interleave(move |kv| {
                if let Ok(report) = service(kv, at(now)).run_pass(at(now), &*inner) {
                    reports.borrow_mut().push(report);
                }
            });
        }
        let outer = pass(kv, &orders, now)?;
        let reports = reports.borrow();
        assert_eq!(reports.len(), 5);
        let created: u64 = reports.iter().map(|r| r.created).sum::<u64>() + outer.created;
        assert_eq!(created, 4);
        assert_eq!(orders.count(), 4);
        assert!(reports.iter().all(|r| r.errors.is_empty()) && outer.errors.is_empty());
        for id in ["s-1", "s-2", "s-3", "s-4"] {
            assert_eq!(
                statuses(&cycles(kv, id)?),
                [(1, None, CycleStatus::Created)]
            );
        }
        Ok(())
    })
}

#[test]
fn a_pass_costs_a_bounded_number_of_store_calls_per_order() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    for n in 0..200 {
        let id: &'static str = Box::leak(format!("s-{n}").into_boxed_str());
        Spec::monthly(id, "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    }
    pass(&kv, &orders, "2025-01-31T11:00:00Z")?;
    kv.clear_calls();
    let report = pass(&kv, &orders, "2025-01-31T12:00:00Z")?;
    assert_eq!(report.created, 200);
    // What the pass's writes leave to the indexer counts too.
    service(&kv, at("2025-01-31T12:00:00Z")).catch_up()?;
    let calls = kv.calls();
    let per_order = calls.len() / 200;
    let writes = calls
        .iter()
        .filter(|c| matches!(c, Call::Set(_) | Call::Delete(_) | Call::CasSwap(_)))
        .chain(
            calls
                .iter()
                .filter(|c| matches!(c, Call::Increment(_, d) if *d != 0)),
        )
        .count()
        / 200;
    // The pass: find (entry, document), claim and stamp, re-read, record (read, outbox position
    // and entry, swap), release. The indexer: the cycle record, the new due entry, the record
    // of both, the old entry deleted (keys, counted one by one here, that it writes in batches).
    // Writes are what costs (a SQLite transaction each): keep both from creeping up.
    assert!(per_order <= 20, "{per_order} store calls per order");
    assert!(writes <= 12, "{writes} writes per order");
    Ok(())
}

#[test]
fn cycle_records_cut_off_by_a_crash_are_written_by_the_next_catch_up() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        assert_eq!(pass(kv, &orders, "2025-01-31T12:00:00Z")?.created, 1);
        // The indexer plans the cycle's record and dies writing it: the plan stays in its head.
        kv.fail_writes_under("sub/c/");
        assert!(cycles(kv, "s-1").is_err());
        kv.heal();
        assert!(kv.peek("sub/c/s-1/1").is_none());
        // Whoever catches up next applies it first: a listing, or the next pass.
        assert_eq!(
            statuses(&cycles(kv, "s-1")?),
            [(1, None, CycleStatus::Created)]
        );
        assert!(kv.peek("sub/c/s-1/1").is_some());
        assert_eq!(pass(kv, &orders, "2025-02-28T12:00:00Z")?.created, 1);
        assert_eq!(
            statuses(&cycles(kv, "s-1")?),
            [
                (1, None, CycleStatus::Created),
                (2, None, CycleStatus::Created)
            ]
        );
        assert_eq!(orders.count(), 2);
        Ok(())
    })
}

#[test]
fn a_write_that_loses_its_swap_leaves_no_index_entry_behind() -> TestResult {
    both_modes(|kv| {
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        let id = SubscriptionId::parse("s-1")?;
        // A cancel lands between the pause's read and its swap: the pause is then refused.
        let other = id.clone();
        kv.interleave(move |kv| {
            let canceled = service(kv, at("2025-01-21T00:00:00Z")).apply(
                &other,
                Command::Cancel { reason: None },
                None,
            );
            assert!(canceled.is_ok());
        });
        let s = service(kv, at("2025-01-21T00:00:00Z"));
        let paused = s.apply(&id, Command::Pause { reason: None }, None);
        assert!(matches!(paused, Err(Error::Rejected(_))), "{paused:?}");
        assert!(
            !kv.keys()
                .iter()
                .any(|k| k.starts_with("sub/ix/status/paused/"))
        );
        let listed = |status| -> Fallible<usize> {
            Ok(s.list(&Filter::Status(status), &PageRequest::default())?
                .items
                .len())
        };
        assert_eq!(listed(SubscriptionStatus::Paused)?, 0);
        assert_eq!(listed(SubscriptionStatus::Canceled)?, 1);
        assert_eq!(listed(SubscriptionStatus::Active)?, 0);
        let stats = s.stats()?;
        assert_eq!((stats.active, stats.paused, stats.canceled), (0, 0, 1));
        Ok(())
    })
}

#[test]
fn check_finds_and_repairs_what_a_crash_left_out() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        Spec::monthly("s-2", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        let s = service(kv, at("2025-02-01T00:00:00Z"));
        assert_eq!(s.check(false)?.inconsistencies, Vec::<String>::new());
        // Lost entries: s-1's in the status index, s-2's due entry.
        for key in kv.keys() {
            let lost = (key.starts_with("sub/ix/status/active/")
                && kv
                    .peek(&key)
                    .is_some_and(|v| v.starts_with(br#"{"id":"s-1","#)))
                || (key.starts_with("sub/due/")
                    && kv.peek(&key).is_some_and(|v| v == br#"{"id":"s-2"}"#));
            if lost {
                kv.delete(&key)?;
            }
        }
        let found = s.check(false)?;
        assert_eq!(
            (found.subscriptions, found.inconsistencies.len()),
            (2, 2),
            "{found:?}"
        );
        let repaired = s.check(true)?;
        assert_eq!(repaired.repaired.len(), 2, "{repaired:?}");
        assert!(s.check(false)?.inconsistencies.is_empty());
        // A cycle record is derived from the outbox, not repaired: its loss is reported.
        kv.delete("sub/c/s-1/1")?;
        assert_eq!(
            s.check(true)?.inconsistencies,
            ["subscription s-1: cycle 1 has no record"]
        );
        // Both are ordered next month.
        assert_eq!(pass(kv, &orders, "2025-02-28T12:00:00Z")?.created, 2);
        Ok(())
    })
}

#[test]
fn check_re_registers_a_due_entry_no_pass_would_reach() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    service(&kv, at("2025-01-20T10:00:00Z")).catch_up()?;
    // Its entry is dropped and a pass moves the cursor past its minute.
    for key in kv.keys() {
        if key.starts_with("sub/due/") {
            kv.delete(&key)?;
        }
    }
    assert_eq!(pass(&kv, &orders, "2025-01-31T12:10:00Z")?.created, 0);
    let s = service(&kv, at("2025-01-31T12:11:00Z"));
    let repaired = s.check(true)?;
    assert_eq!(repaired.repaired.len(), 1, "{repaired:?}");
    assert_eq!(pass(&kv, &orders, "2025-01-31T12:12:00Z")?.created, 1);
    Ok(())
}

#[test]
fn due_listings_page_soonest_first_across_minutes() -> TestResult {
    both_modes(|kv| {
        for (id, start) in [
            ("s-3", "2025-03-01T12:00:00Z"),
            ("s-1", "2025-02-01T12:00:00Z"),
            ("s-2", "2025-02-01T12:00:30Z"),
            ("s-4", "2025-09-01T12:00:00Z"),
        ] {
            Spec::monthly(id, start)?.create(kv, "2025-01-20T10:00:00Z")?;
        }
        let s = service(kv, at("2025-01-21T00:00:00Z"));
        let filter = Filter::DueBefore(at("2025-04-01T00:00:00Z"));
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..10 {
            let page = s.list(
                &filter,
                &PageRequest {
                    limit: 1,
                    cursor: cursor.clone(),
                },
            )?;
            seen.extend(page.items.iter().map(|sub| sub.id().as_str().to_owned()));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, ["s-1", "s-2", "s-3"]);
        Ok(())
    })
}

#[test]
fn weekly_across_berlin_dst_and_a_cron_schedule_order_at_local_time() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        // Weekly at 09:00 Berlin: 08:00Z in winter, 07:00Z once summer time starts (Mar 30).
        let new = NewSubscription {
            id: SubscriptionId::parse("berlin")?,
            plan_id: None,
            schedule: Schedule::every(1, Unit::Week)?,
            purchase_day: None,
            timezone: TimeZone::parse("Europe/Berlin")?,
            start_at: at("2025-03-24T08:00:00Z"),
            end_at: None,
            max_cycles: None,
            order: template("CAFE-500G", PaymentMethod::CreditCard)?,
            now: at("2025-03-20T00:00:00Z"),
        };
        service(kv, at("2025-03-20T00:00:00Z")).create(new)?;
        // Mondays 09:00 in São Paulo (12:00Z), by cron.
        let mut cron = Spec::monthly("cron", "2025-03-20T00:00:00Z")?;
        cron.schedule = Schedule::cron("0 0 9 * * MON")?;
        cron.create(kv, "2025-03-20T00:00:00Z")?;
        assert_eq!(pass(kv, &orders, "2025-03-24T08:00:00Z")?.created, 1);
        assert_eq!(pass(kv, &orders, "2025-03-24T12:00:00Z")?.created, 1);
        assert_eq!(pass(kv, &orders, "2025-03-31T06:59:00Z")?.created, 0);
        assert_eq!(pass(kv, &orders, "2025-03-31T07:00:00Z")?.created, 1);
        assert_eq!(pass(kv, &orders, "2025-03-31T12:00:00Z")?.created, 1);
        let scheduled = |id: &str| -> Fallible<Vec<String>> {
            Ok(cycles(kv, id)?
                .iter()
                .map(|r| r.scheduled_for.to_rfc3339())
                .collect())
        };
        assert_eq!(
            scheduled("berlin")?,
            ["2025-03-24T08:00:00Z", "2025-03-31T07:00:00Z"]
        );
        assert_eq!(
            scheduled("cron")?,
            ["2025-03-24T12:00:00Z", "2025-03-31T12:00:00Z"]
        );
        Ok(())
    })
}

#[test]
fn a_plan_applied_again_after_a_crash_counts_once() -> TestResult {
    both_modes(|kv| {
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        Spec::monthly("s-2", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        let s = service(kv, at("2025-01-21T00:00:00Z"));
        // The plan's entries are written, then the counters' swap fails: the plan stays.
        kv.fail_writes_under("sub/st/");
        assert!(s.stats().is_err());
        kv.heal();
        assert!(kv.keys().iter().any(|k| k.starts_with("sub/due/")));
        // Applied again whole by the next catch-up, counted once.
        let stats = s.stats()?;
        assert_eq!((stats.active, stats.due_next_day), (2, 0));
        assert_eq!(
            stats.monthly_recurring_revenue,
            [(Currency::BRL, Money::from_minor(2 * 5190))]
        );
        s.apply(
            &SubscriptionId::parse("s-1")?,
            Command::Pause { reason: None },
            None,
        )?;
        let stats = s.stats()?;
        assert_eq!((stats.active, stats.paused), (1, 1));
        assert!(s.check(false)?.inconsistencies.is_empty());
        Ok(())
    })
}

#[test]
fn a_write_pending_while_the_indexer_passed_is_listed_once_it_lands() -> TestResult {
    both_modes(|kv| {
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        let s = service(kv, at("2025-01-21T00:00:00Z"));
        s.catch_up()?;
        // The indexer runs between the pause's outbox entry and its swap: pending, passed over.
        kv.interleave(|kv| {
            let caught_up = service(kv, at("2025-01-21T00:00:00Z")).catch_up();
            assert!(caught_up.is_ok(), "{caught_up:?}");
        });
        s.apply(
            &SubscriptionId::parse("s-1")?,
            Command::Pause { reason: None },
            None,
        )?;
        // Acknowledged, so the next listing has it, with no write after it.
        let paused = s.list(
            &Filter::Status(SubscriptionStatus::Paused),
            &PageRequest::default(),
        )?;
        assert_eq!(paused.items.len(), 1);
        assert_eq!(s.stats()?.paused, 1);
        Ok(())
    })
}

#[test]
fn an_indexer_pass_waits_for_the_one_holding_the_head() -> TestResult {
    let kv = MemoryKv::new();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    let s = service(&kv, at("2025-01-21T00:00:00Z"));
    // Another pass holds the head's lease (until 00:00:10): this one plans nothing.
    s.catch_up()?;
    let head = kv.peek("sub/ixh").ok_or("no head")?;
    let mut head: serde_json::Value = serde_json::from_slice(&head)?;
    head["lease"] = serde_json::json!(["another", "2025-01-21T00:00:10Z"]);
    kv.set("sub/ixh", &serde_json::to_vec(&head)?)?;
    s.apply(
        &SubscriptionId::parse("s-1")?,
        Command::Pause { reason: None },
        None,
    )?;
    assert!(matches!(s.index_pass(), Err(Error::Contention)));
    // Once it lapses, the next pass takes the head and indexes the pause.
    let later = service(&kv, at("2025-01-21T00:00:11Z"));
    assert_eq!(later.stats()?.paused, 1);
    Ok(())
}

#[test]
fn check_recounts_status_and_revenue_counters() -> TestResult {
    let kv = MemoryKv::new();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    Spec::monthly("s-2", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    let s = service(&kv, at("2025-01-21T00:00:00Z"));
    s.catch_up()?;
    // Counters gone wrong (a subscription counted twice).
    let counters = kv.peek("sub/st/counters").ok_or("no counters")?;
    let mut counters: serde_json::Value = serde_json::from_slice(&counters)?;
    counters["totals"]["status"]["active"] = 3.into();
    counters["totals"]["mrr"]["BRL"] = (3 * 5190).into();
    kv.set("sub/st/counters", &serde_json::to_vec(&counters)?)?;
    assert_eq!(s.check(false)?.inconsistencies.len(), 2);
    s.check(true)?;
    let stats = s.stats()?;
    assert_eq!(stats.active, 2);
    assert_eq!(
        stats.monthly_recurring_revenue,
        [(Currency::BRL, Money::from_minor(2 * 5190))]
    );
    assert!(s.check(false)?.inconsistencies.is_empty());
    Ok(())
}

// ----- payments --------------------------------------------------------------------------------

impl Spec {
    fn card(id: &'static str, start: &'static str) -> Fallible<Spec> {
        Ok(Spec {
            method: PaymentMethod::CreditCard,
            ..Spec::monthly(id, start)?
        })
    }
}

fn pass_with(
    kv: &MemoryKv,
    orders: &FakeOrders,
    now: &str,
    payment: PaymentRetryPolicy,
) -> Fallible<PassReport> {
    orders.clock.set(Some(at(now)));
    let options = crate::PassOptions {
        payment,
        ..crate::PassOptions::default()
    };
    Ok(service(kv, at(now)).run_pass_with(at(now), orders, &options)?)
}

fn order_of(orders: &FakeOrders, external_id: &str) -> Fallible<String> {
    Ok(orders
        .id_of(external_id)
        .ok_or_else(|| format!("no order {external_id}"))?)
}

#[test]
fn a_denied_payment_is_tried_again_with_a_new_order_and_a_paid_one_ends_the_follow_up() -> TestResult
{
    both_modes(|kv| {
        let orders = FakeOrders::default();
        Spec::card("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        assert_eq!(pass(kv, &orders, "2025-01-31T12:00:00Z")?.created, 1);
        let sub = get(kv, "s-1")?;
        assert_eq!(sub.wake_at(), Some(at("2025-01-31T15:00:00Z")));
        // Before the check nothing happens, even if the provider already said no.
        orders.deny(&order_of(&orders, "s-1:1")?);
        let early = pass(kv, &orders, "2025-01-31T14:00:00Z")?;
        assert_eq!((early.payment_retries, orders.count()), (0, 1));
        // At the check: attempt 2, with its own identity, in the cycle's record.
        let report = pass(kv, &orders, "2025-01-31T15:00:00Z")?;
        assert_eq!((report.payment_retries, report.created), (1, 0));
        let second = order_of(&orders, "s-1:1:2")?;
        assert_eq!(
            orders.cycles(),
            [("s-1".to_owned(), 1), ("s-1".to_owned(), 1)]
        );
        let records = cycles(kv, "s-1")?;
        let record = records.first().ok_or("no cycle record")?;
        assert_eq!(
            (
                record.status,
                record.order_id.as_ref().map(|o| o.as_str().to_owned()),
                record.attempts,
                record.error.as_ref().map(|e| e.as_str().to_owned())
            ),
            (
                CycleStatus::Created,
                Some(second.clone()),
                2,
                Some("payment denied".to_owned())
            )
        );
        // The same check again (a second pass in the same minute) places nothing more.
        assert_eq!(
            pass(kv, &orders, "2025-01-31T15:00:00Z")?.payment_retries,
            0
        );
        // Paid: the follow-up ends and the subscription wakes for its next cycle only.
        orders.pay(&second);
        let paid = pass(kv, &orders, "2025-01-31T18:00:00Z")?;
        assert_eq!((paid.payment_retries, orders.count()), (0, 2));
        let sub = get(kv, "s-1")?;
        assert_eq!(sub.payment_check(), None);
        assert_eq!(sub.wake_at(), Some(at("2025-02-28T12:00:00Z")));
        assert_eq!(pass(kv, &orders, "2025-02-28T12:00:00Z")?.created, 1);
        assert_eq!(sub.status(), SubscriptionStatus::Active);
        Ok(())
    })
}

#[test]
fn a_payment_denied_on_every_try_fails_the_cycle_and_pauses_the_subscription() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        let policy = PaymentRetryPolicy {
            attempts: 3,
            interval: TimeDelta::hours(1),
        };
        Spec::card("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        pass_with(kv, &orders, "2025-01-31T12:00:00Z", policy)?;
        let mut retries = 0;
        for (now, external) in [
            ("2025-01-31T13:00:00Z", "s-1:1"),
            ("2025-01-31T14:00:00Z", "s-1:1:2"),
        ] {
            orders.deny(&order_of(&orders, external)?);
            retries += pass_with(kv, &orders, now, policy)?.payment_retries;
        }
        assert_eq!(retries, 2);
        let last = order_of(&orders, "s-1:1:3")?;
        orders.deny(&last);
        let report = pass_with(kv, &orders, "2025-01-31T15:00:00Z", policy)?;
        assert_eq!((report.payment_retries, report.paused_for_payment), (0, 1));
        let sub = get(kv, "s-1")?;
        assert_eq!(sub.status(), SubscriptionStatus::Paused);
        assert_eq!(
            sub.pause_reason().map(Text::as_str),
            Some("payment of cycle 1 failed 3 times, last: payment denied")
        );
        let records = cycles(kv, "s-1")?;
        let record = records.first().ok_or("no cycle record")?;
        assert_eq!(
            (
                record.status,
                record.order_id.as_ref().map(|o| o.as_str()),
                record.attempts
            ),
            (CycleStatus::Failed, Some(last.as_str()), 3)
        );
        // Paused: the next month brings no order, and nothing more is followed.
        let later = pass_with(kv, &orders, "2025-02-28T12:00:00Z", policy)?;
        assert_eq!((later.created, later.payment_retries), (0, 0));
        assert_eq!(orders.count(), 3);
        Ok(())
    })
}

#[test]
fn two_passes_at_the_same_check_place_one_retry() -> TestResult {
    both_modes(|kv| {
        let orders = Rc::new(FakeOrders::default());
        Spec::card("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        orders.deny(&order_of(&orders, "s-1:1")?);
        let now = "2025-01-31T15:00:00Z";
        // The second pass runs in full right before the first places the retry.
        let inner = Rc::clone(&orders);
        let inner_kv = Rc::clone(kv);
        let seen: Rc<RefCell<Option<PassReport>>> = Rc::default();
        let seen_inner = Rc::clone(&seen);
        orders
            .before_place
            .borrow_mut()
            .push_back(Box::new(move || {
                let report = service(&inner_kv, at(now)).run_pass(at(now), &*inner).ok();
                *seen_inner.borrow_mut() = report;
            }));
        let first = pass(kv, &orders, now)?;
        let second = seen.borrow().clone().ok_or("the second pass did not run")?;
        assert_eq!(first.payment_retries + second.payment_retries, 1);
        assert_eq!(orders.count(), 2);
        let check = get(kv, "s-1")?.payment_check().cloned().ok_or("no check")?;
        assert_eq!(check.attempt, 2);
        Ok(())
    })
}

#[test]
fn an_unpaid_pix_is_not_retried_and_payments_can_be_left_unfollowed() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        // Pix: pending until its deadline (one hour), canceled then; the check ends there.
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        pass(kv, &orders, "2025-01-31T12:00:00Z")?;
        let pending = pass(kv, &orders, "2025-01-31T15:00:00Z")?;
        assert_eq!((pending.canceled_unpaid, pending.payment_retries), (1, 0));
        // The pending pix looked at before its cancellation comes back once more, then ends.
        pass(kv, &orders, "2025-01-31T18:00:00Z")?;
        assert_eq!(get(kv, "s-1")?.payment_check(), None);
        assert_eq!(orders.count(), 1);
        // Zero attempts: a card order is not followed at all.
        Spec::card("s-2", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        let off = PaymentRetryPolicy {
            attempts: 0,
            interval: TimeDelta::hours(3),
        };
        pass_with(kv, &orders, "2025-01-31T18:01:00Z", off)?;
        let sub = get(kv, "s-2")?;
        assert_eq!(sub.payment_check(), None);
        assert_eq!(sub.wake_at(), sub.next_run_at());
        Ok(())
    })
}

// ----- test clocks ----------------------------------------------------------------------------

impl Spec {
    /// Creates the subscription on test clock `clock`, at the clock's time.
    fn create_on(self, kv: &MemoryKv, clock: &str) -> Fallible<Subscription> {
        let s = service(kv, at("2025-01-01T00:00:00Z"));
        let clock = TestClockId::parse(clock)?;
        let (id, schedule, start, max_cycles) =
            (self.id, self.schedule, self.start, self.max_cycles);
        let order = template(self.sku, self.method)?;
        Ok(s.on_clock(&clock, |s, now| {
            s.create(NewSubscription {
                id: SubscriptionId::parse(id).map_err(|e| Error::Store(e.to_string()))?,
                plan_id: None,
                schedule,
                purchase_day: None,
                timezone: TimeZone::UTC,
                start_at: at(start),
                end_at: None,
                max_cycles,
                order,
                now,
            })
        })?)
    }
}

fn clock(kv: &MemoryKv, id: &str, frozen: &str) -> Fallible<TestClock> {
    let s = service(kv, at("2025-01-01T00:00:00Z"));
    Ok(s.create_clock(TestClockId::parse(id)?, None, at(frozen))?)
}

fn advance(kv: &MemoryKv, orders: &FakeOrders, id: &str, to: &str) -> Fallible<PassReport> {
    let s = service(kv, at("2025-01-01T00:00:00Z"));
    let (clock, report) = s.advance_clock(
        &TestClockId::parse(id)?,
        at(to),
        orders,
        &PassOptions::default(),
    )?;
    assert_eq!(clock.frozen_time, at(to));
    assert_eq!(clock.status, ClockStatus::Ready);
    Ok(report)
}

#[test]
fn a_test_clock_runs_only_its_own_subscriptions_and_expires_only_its_own_orders() -> TestResult {
    both_modes(|kv| {
        let orders = FakeOrders::default();
        // Live: a pix subscription whose first order is pending when the clock runs far ahead.
        Spec::monthly("live", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        pass(kv, &orders, "2025-01-31T12:00:30Z")?;
        assert_eq!(orders.count(), 1);
        clock(kv, "tc-1", "2025-01-20T10:00:00Z")?;
        Spec::monthly("on-clock", "2025-01-31T12:00:00Z")?.create_on(kv, "tc-1")?;
        let report = advance(kv, &orders, "tc-1", "2026-01-31T13:30:00Z")?;
        // Every month charged in turn (none missed), each pix expired at its own deadline.
        assert_eq!((report.created, report.missed), (13, 0), "{report:?}");
        assert_eq!(report.canceled_unpaid, 13, "{report:?}");
        let on_clock: Vec<FakeOrder> = orders
            .orders
            .borrow()
            .iter()
            .filter(|o| o.clock.is_some())
            .cloned()
            .collect();
        assert_eq!(on_clock.len(), 13);
        assert!(on_clock.iter().all(|o| o.canceled));
        assert_eq!(on_clock[1].placed_at, at("2025-02-28T12:00:00Z"));
        // Live data did not move: its order is pending, its next cycle still a month away.
        let live_order = orders.orders.borrow()[0].clone();
        assert!(live_order.clock.is_none() && !live_order.canceled);
        let live = get(kv, "live")?;
        assert_eq!(live.cycle_count(), 1);
        assert_eq!(live.next_run_at(), Some(at("2025-02-28T12:00:00Z")));
        // A live pass does not see the clock's subscription, however far the clock went.
        let sub = get(kv, "on-clock")?;
        assert_eq!(sub.next_run_at(), Some(at("2026-02-28T12:00:00Z")));
        let live_pass = pass(kv, &orders, "2025-02-01T00:00:00Z")?;
        assert_eq!((live_pass.due, live_pass.created), (0, 0));
        assert_eq!(get(kv, "on-clock")?.cycle_count(), 13);
        // The dashboard counts live subscriptions only.
        assert_eq!(service(kv, at("2025-02-01T00:00:00Z")).stats()?.active, 1);
        Ok(())
    })
}

#[test]
fn a_clock_moves_only_forward_and_commands_on_its_subscriptions_use_its_time() -> TestResult {
    let kv = MemoryKv::new();
    let orders = FakeOrders::default();
    clock(&kv, "tc-1", "2030-01-01T00:00:00Z")?;
    let s = service(&kv, at("2025-01-01T00:00:00Z"));
    let id = TestClockId::parse("tc-1")?;
    for to in ["2030-01-01T00:00:00Z", "2029-12-31T00:00:00Z"] {
        let refused = s.advance_clock(&id, at(to), &orders, &PassOptions::default());
        assert_eq!(
            refused.err(),
            Some(Error::ClockBackwards(at("2030-01-01T00:00:00Z")))
        );
    }
    let unknown = TestClockId::parse("tc-9")?;
    assert_eq!(s.clock(&unknown).err(), Some(Error::ClockNotFound));
    let created = Spec::monthly("s-1", "2030-01-15T00:00:00Z")?.create_on(&kv, "tc-9");
    assert!(created.is_err());
    assert!(matches!(
        s.get(&SubscriptionId::parse("s-1")?),
        Err(Error::NotFound)
    ));
    let sub = Spec::monthly("s-1", "2030-01-15T00:00:00Z")?.create_on(&kv, "tc-1")?;
    assert_eq!(sub.created_at(), at("2030-01-01T00:00:00Z"));
    let paused = s.apply(&sub.id().clone(), Command::Pause { reason: None }, None)?;
    assert_eq!(paused.subscription.updated_at(), at("2030-01-01T00:00:00Z"));
    assert_eq!(paused.test_clock, Some(id.clone()));
    // Deleting the clock deletes its subscription and the clock.
    s.delete_clock(&id)?;
    assert!(matches!(s.get(sub.id()), Err(Error::NotFound)));
    assert_eq!(s.clock(&id).err(), Some(Error::ClockNotFound));
    let listed = s.list(&Filter::All, &PageRequest::default())?;
    assert!(listed.items.is_empty());
    Ok(())
}

// ----- idempotency ----------------------------------------------------------------------------

#[test]
fn a_keyed_creation_writes_its_record_with_the_subscription_and_a_refusal_holds_nothing()
-> TestResult {
    let kv = MemoryKv::new();
    let now = "2025-01-20T10:00:00Z";
    let s = service(&kv, at(now));
    let key = |body: &str| Idempotency::parse("POST /subscriptions", "k-sub", body);
    let good = || Spec::monthly("ignored", "2025-01-31T12:00:00Z")?.new_subscription(now);
    // Refused by the domain (no cycle would fall): nothing written, so a retry is refused again.
    let bad = || -> Fallible<NewSubscription> {
        let mut new = good()?;
        new.end_at = Some(at("2025-01-21T00:00:00Z"));
        Ok(new)
    };
    for _ in 0..2 {
        let refused = s.create_keyed(&key("bad")?, None, |id| {
            let mut new = bad().map_err(|e| Error::Store(e.to_string()))?;
            new.id = id;
            Ok(new)
        });
        assert!(matches!(refused, Err(Error::Rejected(_))), "{refused:?}");
    }
    let create = |body: &str| {
        s.create_keyed(&key(body)?, None, |id| {
            let mut new = good().map_err(|e| Error::Store(e.to_string()))?;
            new.id = id;
            Ok(new)
        })
    };
    let first = create("good")?;
    assert!(!first.replayed && first.value.subscription.id().as_str().starts_with("s-k"));
    let again = create("good")?;
    assert!(again.replayed);
    assert_eq!(again.value, first.value);
    assert_eq!(create("other").err(), Some(Error::IdempotencyKeyReused));
    Ok(())
}

#[test]
fn a_keyed_command_replays_the_version_it_answered_and_refuses_another_body() -> TestResult {
    both_modes(|kv| {
        Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(kv, "2025-01-20T10:00:00Z")?;
        let id = SubscriptionId::parse("s-1")?;
        let s = service(kv, at("2025-01-21T00:00:00Z"));
        let key = |body: &str| -> Fallible<crate::service::CommandKey> {
            Ok(Idempotency::parse("POST /subscriptions/s-1/pause", "p-1", body)?.command_key())
        };
        let pause = Command::Pause { reason: None };
        let first = s.apply_keyed(&id, pause.clone(), None, Some(&key("a")?))?;
        assert!(!first.replayed && first.subscription.status() == SubscriptionStatus::Paused);
        // Changed since: the retry answers the version the first call left.
        s.apply(&id, Command::Resume, None)?;
        let again = s.apply_keyed(&id, pause.clone(), None, Some(&key("a")?))?;
        assert!(again.replayed);
        assert_eq!(again.subscription, first.subscription);
        assert_eq!(get(kv, "s-1")?.status(), SubscriptionStatus::Active);
        let other = s.apply_keyed(&id, pause.clone(), None, Some(&key("b")?));
        assert_eq!(other.err(), Some(Error::IdempotencyKeyReused));
        // A day later the key is free again.
        let later = service(kv, at("2025-01-22T00:00:01Z"));
        let fresh = later.apply_keyed(&id, pause, None, Some(&key("b")?))?;
        assert!(!fresh.replayed && fresh.subscription.status() == SubscriptionStatus::Paused);
        Ok(())
    })
}

#[test]
fn a_keyed_call_replays_its_outcome_refuses_another_body_and_derives_ids() -> TestResult {
    let kv = MemoryKv::new();
    let s = service(&kv, at("2025-01-01T00:00:00Z"));
    let key = |body: &str| Idempotency::parse("POST /test-clocks", "k-1", body);
    let runs = Cell::new(0);
    let create = |keyed: Option<&crate::idempotency::Keyed>| {
        runs.set(runs.get() + 1);
        let id = keyed.ok_or(Error::Store("no key".into()))?.derived_id("tc");
        let id = TestClockId::parse(&id).map_err(|e| Error::Store(e.to_string()))?;
        s.create_clock(id, None, at("2030-01-01T00:00:00Z"))
    };
    let first = s.keyed(Some(&key("a")?), create)?;
    assert!(!first.replayed && first.value.id.as_str().starts_with("tc-k"));
    let again = s.keyed(Some(&key("a")?), create)?;
    assert!(again.replayed);
    assert_eq!(again.value, first.value);
    assert_eq!(runs.get(), 1);
    let other = s.keyed(Some(&key("b")?), create);
    assert_eq!(other.err(), Some(Error::IdempotencyKeyReused));
    // Another route is another key.
    let elsewhere = Idempotency::parse("POST /plans", "k-1", "a")?;
    let fresh = s.keyed(Some(&elsewhere), |_| Ok(7u32))?;
    assert_eq!((fresh.value, fresh.replayed), (7, false));
    // A key whose first call still runs (its claim held) is in use.
    let held = Idempotency::parse("POST /x", "busy", "a")?;
    let hash = orderflow_kv::idempotency::hash("POST /x", "busy");
    let window = orderflow_kv::claim::window(at("2025-01-01T00:00:00Z").unix_seconds());
    kv.increment(&crate::keys::idempotency_claim(&hash, window), 1)?;
    let busy = s.keyed(Some(&held), |_| Ok(1u32));
    assert_eq!(busy.err(), Some(Error::IdempotencyKeyInUse));
    Ok(())
}

// ----- outbox --------------------------------------------------------------------------------------

#[test]
fn every_version_publishes_its_events_through_the_outbox() -> TestResult {
    use crate::kv::outbox::State;
    let kv = MemoryKv::new();
    Spec::monthly("s-1", "2025-01-31T12:00:00Z")?.create(&kv, "2025-01-20T10:00:00Z")?;
    let s = service(&kv, at("2025-01-21T00:00:00Z"));
    let id = SubscriptionId::parse("s-1")?;
    s.apply(&id, Command::Pause { reason: None }, None)?;
    let read = s.read_outbox(0, 10, &[])?;
    let published: Vec<(
        u64,
        Vec<String>,
        Option<SubscriptionStatus>,
        SubscriptionStatus,
    )> = read
        .into_iter()
        .filter_map(|(position, state)| match state {
            State::Committed(entry) => Some((
                position,
                entry.events.iter().map(|e| e.kind.clone()).collect(),
                entry.from,
                entry.subscription.status(),
            )),
            State::Dead | State::Pending => None,
        })
        .collect();
    assert_eq!(
        published,
        [
            (
                1,
                vec!["subscription.created".to_owned()],
                None,
                SubscriptionStatus::Active
            ),
            (
                2,
                vec!["subscription.paused".to_owned()],
                Some(SubscriptionStatus::Active),
                SubscriptionStatus::Paused
            )
        ]
    );
    Ok(())
}
