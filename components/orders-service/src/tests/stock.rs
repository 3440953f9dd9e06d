//! Stock following the order, with the inventory crate over the same store: placements and
//! changes reserve or are refused, cancels release, invoices deduct, returns restock, each
//! once; the pass applies what a command cut off after its swap did not; the check repairs a
//! placement cut between its stock and its batch.

use super::*;

use inventory_service::{Error as InventoryError, Inventory, OrderStep};
use orderflow_domain::inventory::{StockCommand, StockItem};
use orderflow_domain::values::{LocationId, Sku};

use crate::service::{Line, Stock, StockReport, StockStep};

/// The inventory crate over the tests' store: what the component reaches through its import.
#[derive(Debug)]
pub(super) struct NativeStock<'a> {
    pub(super) kv: &'a MemoryKv,
    pub(super) now: Timestamp,
}

impl NativeStock<'_> {
    fn inventory(&self) -> Inventory<'_, MemoryKv> {
        Inventory::new(self.kv, self.now, nonce())
    }
}

fn failure(e: InventoryError) -> Failure {
    match e {
        InventoryError::OutOfStock(short) => Failure::OutOfStock(
            short
                .into_iter()
                .map(|(sku, n)| (sku.as_str().to_owned(), n))
                .collect(),
        ),
        InventoryError::Contention => Failure::Contention,
        other @ (InventoryError::NotTracked(_)
        | InventoryError::Refused(_)
        | InventoryError::BadCursor
        | InventoryError::Store(_)) => Failure::Store(other.to_string()),
    }
}

impl Stock for NativeStock<'_> {
    fn tracks_any(&self) -> Result<bool, Failure> {
        Ok(self.inventory().tracked_count().map_err(failure)? > 0)
    }

    fn reserve(
        &self,
        order: &OrderId,
        lines: &[Line],
        location: Option<&LocationId>,
        previous: Option<&[Line]>,
        actor: Actor,
    ) -> Result<(), Failure> {
        self.inventory()
            .reserve(order, lines, location, previous, actor)
            .map(drop)
            .map_err(failure)
    }

    fn step(
        &self,
        order: &OrderId,
        step: &StockStep,
        lines: &[Line],
        actor: Actor,
    ) -> Result<(), Failure> {
        let step = match step {
            StockStep::Release => OrderStep::Release,
            StockStep::Deduct => OrderStep::Deduct,
            StockStep::Restock(name) => OrderStep::Restock { step: name.clone() },
        };
        self.inventory()
            .order_step(order, &step, lines, actor)
            .map_err(failure)
    }

    fn check(&self) -> Result<StockReport, Failure> {
        let report = self
            .inventory()
            .check(false, |_| Ok(true))
            .map_err(failure)?;
        Ok(StockReport {
            skus: report.skus,
            inconsistencies: report.inconsistencies,
            old_holds: report.old_holds,
        })
    }
}

const SKU: &str = "CAM-P-AZ";

fn set_level(kv: &MemoryKv, sku: &str, location: &str, on_hand: u32) {
    let command = StockCommand::SetLevel {
        location: LocationId::parse(location).unwrap(),
        on_hand,
        updated_at: None,
    };
    Inventory::new(kv, t0(), nonce())
        .apply(&Sku::parse(sku).unwrap(), &command, Actor::Erp)
        .unwrap();
}

fn stock(kv: &MemoryKv, sku: &str) -> StockItem {
    Inventory::new(kv, t0(), nonce())
        .item(&Sku::parse(sku).unwrap())
        .unwrap()
        .unwrap()
}

/// On hand and reserved of `sku`.
fn numbers(kv: &MemoryKv, sku: &str) -> (i64, i64) {
    let item = stock(kv, sku);
    (item.on_hand(), item.reserved())
}

fn run(kv: &MemoryKv, id: &OrderId, command: wit::Command) -> Result<Written, Failure> {
    let command = convert::command(&command).unwrap();
    service(kv).apply(id, &command, Actor::Admin, None, None)
}

fn invoice(kind: wit::InvoiceKind, number: &str, value: i64) -> wit::Command {
    wit::Command::AddInvoice(wit::NewInvoice {
        kind,
        number: number.into(),
        series: None,
        key: None,
        value,
        issued_at: "2026-11-22T12:00:00Z".into(),
        url: None,
        items: match kind {
            wit::InvoiceKind::Output => None,
            wit::InvoiceKind::Input => Some(vec![wit::ItemQuantity {
                sku: SKU.into(),
                quantity: 1,
            }]),
        },
        tracking: None,
    })
}

fn change(request: &str, add: u32, remove: u32) -> wit::Command {
    wit::Command::Change(wit::OrderChange {
        request_id: request.into(),
        reason: "customer asked".into(),
        add: (add > 0)
            .then(|| wit::NewItem {
                sku: "CAM-M-AZ".into(),
                name: "Camiseta azul M".into(),
                quantity: add,
                unit_price: 4990,
                discount: 0,
            })
            .into_iter()
            .collect(),
        remove: (remove > 0)
            .then(|| wit::ItemQuantity {
                sku: SKU.into(),
                quantity: remove,
            })
            .into_iter()
            .collect(),
        prices: vec![],
        discount: 0,
        increment: 0,
    })
}

/// Approved and in handling, ready for its invoice.
fn paid(kv: &MemoryKv, id: &OrderId, total: i64) {
    let approve = approval(total);
    service(kv)
        .apply(id, &approve, Actor::PaymentProvider, None, None)
        .unwrap();
    service(kv)
        .apply(id, &Command::StartHandling, Actor::Admin, None, None)
        .unwrap();
}

#[test]
fn a_store_that_tracks_nothing_places_as_before() {
    let kv = MemoryKv::new();
    let order = place(&kv);
    assert_eq!(order.status(), Status::PaymentPending);
    // One read of the inventory's SKU count, nothing written under inv/.
    assert!(kv.keys().iter().all(|k| !k.starts_with("inv/s/")));
}

#[test]
fn an_orders_life_moves_its_stock_once_per_step() {
    let kv = MemoryKv::new();
    set_level(&kv, SKU, "sp", 10);
    let order = place(&kv);
    assert_eq!(numbers(&kv, SKU), (10, 2));
    let id = order.id().clone();
    paid(&kv, &id, 11480);
    run(&kv, &id, invoice(wit::InvoiceKind::Output, "NF-1", 11480)).unwrap();
    assert_eq!(numbers(&kv, SKU), (8, 0));
    // The indexer's pass follows the same entries: nothing moves twice.
    service(&kv).catch_up().unwrap();
    assert_eq!(numbers(&kv, SKU), (8, 0));
    // A return invoice puts its items back on the shelf they left.
    run(&kv, &id, invoice(wit::InvoiceKind::Input, "NF-D1", 4990)).unwrap();
    service(&kv).catch_up().unwrap();
    assert_eq!(numbers(&kv, SKU), (9, 0));
    let reasons: Vec<String> = Inventory::new(&kv, t0(), nonce())
        .movements(&Sku::parse(SKU).unwrap(), 50, None)
        .unwrap()
        .items
        .iter()
        .map(|m| format!("{:?}", m.reason))
        .collect();
    assert_eq!(reasons, ["Level", "Reservation", "Sale", "Return"]);
}

#[test]
fn a_cancel_releases_and_a_replayed_cancel_moves_nothing() {
    let kv = MemoryKv::new();
    set_level(&kv, SKU, "sp", 3);
    let order = place(&kv);
    let cancel = Command::Cancel {
        reason: Text::parse("customer gave up", 100).unwrap(),
    };
    service(&kv)
        .apply(order.id(), &cancel, Actor::Admin, None, None)
        .unwrap();
    assert_eq!(numbers(&kv, SKU), (3, 0));
    // Sent again, refused; the pass follows the committed cancel again: nothing moves.
    let again = service(&kv).apply(order.id(), &cancel, Actor::Admin, None, None);
    assert!(matches!(again, Err(Failure::Rejected(_))));
    service(&kv).catch_up().unwrap();
    assert_eq!(numbers(&kv, SKU), (3, 0));
    assert_eq!(stock(&kv, SKU).movement_count(), 3);
}

#[test]
fn not_enough_stock_refuses_the_placement_and_writes_no_order() {
    let kv = MemoryKv::new();
    set_level(&kv, SKU, "sp", 1);
    let refused = service(&kv).place(with_external("MLB-1"), Actor::Checkout, None);
    assert_eq!(
        refused.unwrap_err(),
        Failure::OutOfStock(vec![(SKU.to_owned(), 1)])
    );
    assert_eq!(numbers(&kv, SKU), (1, 0));
    // The position it took is dead at once: the outbox's readers do not wait for it.
    let read = service(&kv).read_outbox(0, 10, &[]).unwrap();
    assert!(matches!(
        read.as_slice(),
        [(_, crate::service::OutboxState::Dead)]
    ));
    // Its external id was given back: once stock arrives, the same placement goes through.
    set_level(&kv, SKU, "sp", 5);
    let placed = service(&kv)
        .place(with_external("MLB-1"), Actor::Checkout, None)
        .unwrap();
    assert!(placed.changed);
    assert_eq!(numbers(&kv, SKU), (5, 2));
}

#[test]
fn a_change_reserves_its_new_lines_or_is_refused_whole() {
    let kv = MemoryKv::new();
    set_level(&kv, SKU, "sp", 10);
    set_level(&kv, "CAM-M-AZ", "sp", 1);
    let order = place(&kv);
    let id = order.id().clone();
    // Two more M than there are: refused, the P left as it was.
    let refused = run(&kv, &id, change("r-1", 2, 1));
    assert_eq!(
        refused.unwrap_err(),
        Failure::OutOfStock(vec![("CAM-M-AZ".to_owned(), 1)])
    );
    assert_eq!(numbers(&kv, SKU), (10, 2));
    assert_eq!(numbers(&kv, "CAM-M-AZ"), (1, 0));
    assert_eq!(service(&kv).load(&id).unwrap().version(), 1);
    // One M, one P less: both holds follow.
    run(&kv, &id, change("r-2", 1, 1)).unwrap();
    assert_eq!(numbers(&kv, SKU), (10, 1));
    assert_eq!(numbers(&kv, "CAM-M-AZ"), (1, 1));
}

#[test]
fn the_pass_applies_what_a_command_cut_off_after_its_swap_did_not() {
    let kv = MemoryKv::new();
    set_level(&kv, SKU, "sp", 4);
    let order = place(&kv);
    // A cancel whose command died right after its swap: the inventory never heard of it.
    let cancel = Command::Cancel {
        reason: Text::parse("fraud", 100).unwrap(),
    };
    let service = Service::new(&kv, Box::new(Deaf), t0(), nonce());
    service
        .apply(order.id(), &cancel, Actor::Admin, None, None)
        .unwrap();
    assert_eq!(numbers(&kv, SKU), (4, 2));
    super::service(&kv).catch_up().unwrap();
    assert_eq!(numbers(&kv, SKU), (4, 0));
}

#[test]
fn the_check_releases_what_a_placement_cut_before_its_batch_held() {
    let kv = MemoryKv::new();
    set_level(&kv, SKU, "sp", 5);
    // Reserved for o-9, which was never written.
    let cut = OrderId::parse("o-9").unwrap();
    NativeStock { kv: &kv, now: t0() }
        .reserve(
            &cut,
            &[(Sku::parse(SKU).unwrap(), 3)],
            None,
            None,
            Actor::Checkout,
        )
        .unwrap();
    place(&kv);
    let later = service_at(&kv, later(t0(), 11 * 60));
    let report = later.check(false).unwrap();
    assert_eq!(report.skus, 1);
    assert_eq!(
        report.inconsistencies,
        ["inventory: CAM-P-AZ: 3 held for order o-9, which does not exist"]
    );
    let repaired = later.check(true).unwrap();
    assert_eq!(repaired.repaired.len(), 1);
    assert_eq!(numbers(&kv, SKU), (5, 2));
    assert!(later.check(false).unwrap().inconsistencies.is_empty());
}

/// An inventory that never answers: a command cut off before it reached it.
#[derive(Debug)]
struct Deaf;

impl Stock for Deaf {
    fn tracks_any(&self) -> Result<bool, Failure> {
        Err(Failure::Store("cut off".into()))
    }
    fn reserve(
        &self,
        _: &OrderId,
        _: &[Line],
        _: Option<&LocationId>,
        _: Option<&[Line]>,
        _: Actor,
    ) -> Result<(), Failure> {
        Err(Failure::Store("cut off".into()))
    }
    fn step(&self, _: &OrderId, _: &StockStep, _: &[Line], _: Actor) -> Result<(), Failure> {
        Err(Failure::Store("cut off".into()))
    }
    fn check(&self) -> Result<StockReport, Failure> {
        Err(Failure::Store("cut off".into()))
    }
}
