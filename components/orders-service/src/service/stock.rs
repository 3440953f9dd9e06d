//! Stock follows the order (docs/architecture.md, "Inventory"). The inventory service decides
//! and keeps the numbers; this module says which step of an order's life calls for what:
//!
//! - a placement reserves its lines before its batch, and a change that alters them reserves
//!   the new lines before its swap: both may be refused (`out-of-stock`), so they happen on the
//!   command's path;
//! - a cancel releases, the first output invoice (or shipment) deducts, and items returned to
//!   stock (a refund with `returnToStock`, a return invoice) are restocked. These follow a
//!   committed version's events: the command applies them right after its swap, and the
//!   indexer's pass applies them again from the outbox, so a command cut off after its swap
//!   still moves stock. The inventory applies each step once per order and SKU, so the second
//!   time changes nothing.

use std::fmt;

use orderflow_domain::order::{Actor, Event, InvoiceKind, ItemQuantity, Order, Status};
use orderflow_domain::values::{LocationId, OrderId, Quantity, Sku};
use serde::Deserialize;

use super::Failure;

/// A SKU and a number of its units.
pub(crate) type Line = (Sku, u32);

/// One step of an order's life over its lines, after the placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StockStep {
    /// Canceled: what it holds is given back.
    Release,
    /// Invoiced or shipped: the lines leave the shelf.
    Deduct,
    /// Items came back to stock; named by the order's version that returned them.
    Restock(String),
}

/// What the inventory's check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StockReport {
    /// Tracked SKUs examined.
    pub(crate) skus: u64,
    /// Problems found, one sentence each.
    pub(crate) inconsistencies: Vec<String>,
    /// Holds older than a placement takes: SKU, order, quantity.
    pub(crate) old_holds: Vec<(Sku, OrderId, u32)>,
}

/// The inventory service, as the orders service uses it: the WIT import in a component, the
/// inventory crate itself over the same store in native tests.
pub(crate) trait Stock: fmt::Debug {
    /// Whether any SKU is tracked (one read): a pass that finds none skips stock altogether.
    fn tracks_any(&self) -> Result<bool, Failure>;
    /// Sets the order's holds to `lines`, all or none ([`Failure::OutOfStock`]); refused, the
    /// holds go back to `previous` (none: released).
    fn reserve(
        &self,
        order: &OrderId,
        lines: &[Line],
        location: Option<&LocationId>,
        previous: Option<&[Line]>,
        actor: Actor,
    ) -> Result<(), Failure>;
    /// Applies one step of the order's life to its lines (once per order and SKU).
    fn step(
        &self,
        order: &OrderId,
        step: &StockStep,
        lines: &[Line],
        actor: Actor,
    ) -> Result<(), Failure>;
    /// Checks every tracked SKU against its ledger and its holds.
    fn check(&self) -> Result<StockReport, Failure>;
}

/// The order's lines as its holds should be: every SKU with its quantity.
pub(crate) fn lines(order: &Order) -> Vec<Line> {
    order
        .items()
        .iter()
        .map(|item| (item.sku.clone(), item.quantity.get()))
        .collect()
}

/// The order's lines after a change, with the SKUs it had `before` and no longer has at 0.
pub(crate) fn changed_lines(before: &Order, after: &Order) -> Option<Vec<Line>> {
    let mut wanted = lines(after);
    for (sku, _) in lines(before) {
        if !wanted.iter().any(|(s, _)| *s == sku) {
            wanted.push((sku, 0));
        }
    }
    let mut old = lines(before);
    old.sort();
    let mut new: Vec<Line> = wanted.iter().filter(|(_, n)| *n > 0).cloned().collect();
    new.sort();
    (old != new).then_some(wanted)
}

/// What the steps are read from: an event of the order's feed, as far as stock cares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum StockEvent {
    /// The status moved.
    StatusChanged {
        /// After.
        to: Status,
    },
    /// An invoice was added.
    InvoiceAdded {
        /// Output or input.
        kind: InvoiceKind,
    },
    /// A shipment was added.
    ShipmentAdded {},
    /// Items were given back.
    ItemsReturned {
        /// Which.
        items: Vec<ReturnedItem>,
        /// Whether they go back to stock.
        return_to_stock: bool,
    },
    /// Anything else.
    #[serde(other)]
    Other,
}

/// A returned SKU and how many.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ReturnedItem {
    sku: Sku,
    quantity: Quantity,
}

impl StockEvent {
    /// The event as stock reads it.
    pub(crate) fn of(event: &Event) -> StockEvent {
        match event {
            Event::StatusChanged { to, .. } => StockEvent::StatusChanged { to: *to },
            Event::InvoiceAdded { kind, .. } => StockEvent::InvoiceAdded { kind: *kind },
            Event::ShipmentAdded { .. } => StockEvent::ShipmentAdded {},
            Event::ItemsReturned {
                items,
                return_to_stock,
            } => StockEvent::ItemsReturned {
                items: items.iter().map(returned).collect(),
                return_to_stock: *return_to_stock,
            },
            Event::OrderPlaced { .. }
            | Event::PaymentRecorded { .. }
            | Event::ProblemRaised { .. }
            | Event::ProblemsResolved { .. }
            | Event::TrackingUpdated { .. }
            | Event::Changed { .. }
            | Event::Commented { .. }
            | Event::Refunded { .. }
            | Event::Edited
            | Event::CustomerNotified { .. } => StockEvent::Other,
        }
    }
}

fn returned(item: &ItemQuantity) -> ReturnedItem {
    ReturnedItem {
        sku: item.sku.clone(),
        quantity: item.quantity,
    }
}

/// The steps version `version` of an order calls for, from its events and its `lines` at that
/// version, in the order they apply.
pub(crate) fn steps(
    version: u64,
    events: &[StockEvent],
    lines: &[Line],
) -> Vec<(StockStep, Vec<Line>)> {
    let mut steps = Vec::new();
    for event in events {
        match event {
            StockEvent::StatusChanged {
                to: Status::Canceled,
            } => steps.push((StockStep::Release, lines.to_vec())),
            StockEvent::InvoiceAdded {
                kind: InvoiceKind::Output,
            }
            | StockEvent::ShipmentAdded {} => {
                if !steps.iter().any(|(s, _)| *s == StockStep::Deduct) {
                    steps.push((StockStep::Deduct, lines.to_vec()));
                }
            }
            StockEvent::ItemsReturned {
                items,
                return_to_stock: true,
            } => steps.push((
                StockStep::Restock(format!("v{version}")),
                items
                    .iter()
                    .map(|i| (i.sku.clone(), i.quantity.get()))
                    .collect(),
            )),
            StockEvent::StatusChanged { .. }
            | StockEvent::InvoiceAdded { .. }
            | StockEvent::ItemsReturned { .. }
            | StockEvent::Other => {}
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use orderflow_domain::order::{Event, InvoiceKind, ItemQuantity, Status};
    use orderflow_domain::values::{Money, Quantity, Sku, Text};

    use super::StockEvent;

    /// The pass reads events as the outbox holds them (the domain's JSON); the command reads
    /// the domain's values: both must say the same.
    #[test]
    fn events_read_from_the_outbox_say_what_the_domain_said() {
        let events = vec![
            Event::StatusChanged {
                from: Status::Handling,
                to: Status::Canceled,
            },
            Event::InvoiceAdded {
                kind: InvoiceKind::Output,
                number: Text::parse("NF-1", 10).unwrap(),
                value: Money::from_minor(10),
            },
            Event::ShipmentAdded {
                number: Text::parse("BR1", 10).unwrap(),
                notify_customer: true,
            },
            Event::ItemsReturned {
                items: vec![ItemQuantity {
                    sku: Sku::parse("A").unwrap(),
                    quantity: Quantity::new(2).unwrap(),
                }],
                return_to_stock: true,
            },
            Event::Edited,
            Event::Refunded {
                amount: Money::from_minor(10),
            },
        ];
        let json = serde_json::to_string(&events).unwrap();
        let read: Vec<StockEvent> = serde_json::from_str(&json).unwrap();
        let said: Vec<StockEvent> = events.iter().map(StockEvent::of).collect();
        assert_eq!(read, said);
        assert!(said.iter().filter(|e| **e == StockEvent::Other).count() == 2);
    }
}
