//! The fulfilment steps: handling, output and return invoices, shipments and tracking events.

use super::super::command::{InvoiceKind, ItemQuantity, NewInvoice, NewShipment, NewTrackingEvent};
use super::super::error::OrderError;
use super::super::event::{Event, EventKind};
use super::super::model::{
    Invoice, InvoiceLine, Item, RefundSource, Shipment, TrackingEvent, TrackingStatus,
};
use super::super::status::Status;
use super::super::totals::units_value;
use super::Step;
use crate::values::{Money, Quantity, Sku};

impl Step<'_> {
    pub(super) fn start_handling(&mut self) -> Result<EventKind, OrderError> {
        if !self.order.problems.is_empty() {
            return Err(OrderError::HasProblems);
        }
        self.order.status = Status::Handling;
        Ok(EventKind::HandlingStarted)
    }

    pub(super) fn invoice(&mut self, new: &NewInvoice) -> Result<EventKind, OrderError> {
        let output = new.kind == InvoiceKind::Output;
        if output && !self.order.problems.is_empty() {
            return Err(OrderError::HasProblems);
        }
        // Units available: not yet invoiced (output) or invoiced and not yet returned (input).
        let available = |item: &Item| {
            if output {
                item.quantity.get().saturating_sub(item.invoiced)
            } else {
                item.invoiced.saturating_sub(item.returned)
            }
        };
        let wanted = match &new.items {
            None => self
                .order
                .items
                .iter()
                .filter(|item| available(item) > 0)
                .map(|item| (item.sku.clone(), available(item)))
                .collect::<Vec<_>>(),
            Some(items) => self.check_quantities(items, available)?,
        };
        if wanted.is_empty() {
            return Err(OrderError::NothingToInvoice);
        }
        let mut lines = Vec::with_capacity(wanted.len());
        let mut expected = Money::ZERO;
        for (sku, count) in &wanted {
            let item = self.item_mut(sku)?;
            let already = if output { item.invoiced } else { item.returned };
            let value = units_value(item, already, *count)?;
            if output {
                item.invoiced = item.invoiced.saturating_add(*count);
            } else {
                item.returned = item.returned.saturating_add(*count);
            }
            expected = expected.checked_add(value)?;
            lines.push(InvoiceLine {
                sku: sku.clone(),
                quantity: Quantity::new(i64::from(*count)).map_err(|e| e.at("items"))?,
                value,
            });
        }
        // Shipping and order-level adjustments travel with the first output invoice and with the
        // return of the last items.
        let includes_shipping = if output {
            !self.order.has_output_invoice()
        } else {
            self.order.everything_returned()
        };
        if includes_shipping {
            expected = expected.checked_add(self.order.order_level_value()?)?;
        }
        if new.value != expected {
            return Err(OrderError::InvoiceValueMismatch {
                expected,
                given: new.value,
            });
        }
        self.order.invoices.push(Invoice {
            kind: new.kind,
            number: new.number.clone(),
            series: new.series.clone(),
            key: new.key.clone(),
            value: new.value,
            issued_at: new.issued_at,
            url: new.url.clone(),
            items: lines.clone(),
            includes_shipping,
            tracking: new.tracking.clone(),
            recorded_at: self.ctx.now,
        });
        self.events.push(Event::InvoiceAdded {
            kind: new.kind,
            number: new.number.clone(),
            value: new.value,
        });
        if output {
            if let Some(tracking) = &new.tracking
                && !self
                    .order
                    .shipments
                    .iter()
                    .any(|s| s.number == tracking.number)
            {
                self.add_shipment(&NewShipment {
                    invoice_number: new.number.clone(),
                    carrier: tracking.carrier.clone(),
                    title: None,
                    number: tracking.number.clone(),
                    url: tracking.url.clone(),
                    notify_customer: true,
                });
            }
            self.order.status = if !self.order.everything_invoiced() {
                Status::Handling
            } else if self.order.shipments.is_empty() {
                Status::Invoiced
            } else {
                Status::Shipped
            };
            Ok(EventKind::Invoiced)
        } else {
            let items: Vec<ItemQuantity> = lines
                .iter()
                .map(|l| ItemQuantity {
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                })
                .collect();
            self.order.recompute()?;
            // A return never refunds more than was paid and not yet refunded.
            let amount = new.value.min(self.order.net_paid()).max(Money::ZERO);
            self.record_refund(
                RefundSource::ReturnInvoice,
                amount,
                Some(new.number.as_str().to_owned()),
            )?
            .items = items.clone();
            self.events.push(Event::ItemsReturned {
                items,
                return_to_stock: true,
            });
            if self.order.everything_returned() {
                self.order.status = Status::Closed;
            }
            Ok(EventKind::Returned)
        }
    }

    /// Checks a list of SKU quantities against the order: known, unique, within `available`.
    pub(super) fn check_quantities(
        &self,
        items: &[ItemQuantity],
        available: impl Fn(&Item) -> u32,
    ) -> Result<Vec<(Sku, u32)>, OrderError> {
        let mut wanted: Vec<(Sku, u32)> = Vec::with_capacity(items.len());
        for entry in items {
            if wanted.iter().any(|(sku, _)| sku == &entry.sku) {
                return Err(OrderError::DuplicateSku {
                    sku: entry.sku.clone(),
                });
            }
            let item = self
                .order
                .item(&entry.sku)
                .ok_or_else(|| OrderError::UnknownSku {
                    sku: entry.sku.clone(),
                })?;
            let free = available(item);
            if entry.quantity.get() > free {
                return Err(OrderError::QuantityExceeded {
                    sku: entry.sku.clone(),
                    requested: entry.quantity.get(),
                    available: free,
                });
            }
            wanted.push((entry.sku.clone(), entry.quantity.get()));
        }
        Ok(wanted)
    }

    pub(super) fn item_mut(&mut self, sku: &Sku) -> Result<&mut Item, OrderError> {
        self.order
            .items
            .iter_mut()
            .find(|item| &item.sku == sku)
            .ok_or_else(|| OrderError::UnknownSku { sku: sku.clone() })
    }

    pub(super) fn shipment(&mut self, new: &NewShipment) -> Result<EventKind, OrderError> {
        let invoiced = self
            .order
            .invoices
            .iter()
            .any(|i| i.kind == InvoiceKind::Output && i.number == new.invoice_number);
        if !invoiced {
            return Err(OrderError::UnknownInvoice {
                number: new.invoice_number.clone(),
            });
        }
        self.add_shipment(new);
        if self.order.status == Status::Invoiced {
            self.order.status = Status::Shipped;
        }
        Ok(EventKind::ShipmentAdded)
    }

    pub(super) fn add_shipment(&mut self, new: &NewShipment) {
        self.order.shipments.push(Shipment {
            number: new.number.clone(),
            invoice_number: new.invoice_number.clone(),
            carrier: new.carrier.clone(),
            title: new.title.clone(),
            url: new.url.clone(),
            notify_customer: new.notify_customer,
            status: None,
            events: Vec::new(),
            created_at: self.ctx.now,
        });
        self.events.push(Event::ShipmentAdded {
            number: new.number.clone(),
            notify_customer: new.notify_customer,
        });
    }

    pub(super) fn tracking(&mut self, new: &NewTrackingEvent) -> Result<EventKind, OrderError> {
        let shipment = self
            .order
            .shipments
            .iter_mut()
            .find(|s| s.number == new.shipment)
            .ok_or_else(|| OrderError::UnknownShipment {
                number: new.shipment.clone(),
            })?;
        shipment.events.push(TrackingEvent {
            status: new.status,
            description: new.description.clone(),
            city: new.city.clone(),
            state: new.state.clone(),
            occurred_at: new.occurred_at,
        });
        shipment.status = latest(shipment).map(|e| e.status);
        self.events.push(Event::TrackingUpdated {
            shipment: new.shipment.clone(),
            status: new.status,
        });
        // Delivered is where tracking ends: a late or odd event never moves the order back.
        if self.order.status != Status::Delivered {
            self.order.status = tracked_status(&self.order.shipments);
        }
        Ok(EventKind::TrackingUpdated)
    }
}

/// The shipment's latest event by when it happened (arrival order breaks ties).
fn latest(shipment: &Shipment) -> Option<&TrackingEvent> {
    shipment
        .events
        .iter()
        .enumerate()
        .max_by_key(|(index, e)| (e.occurred_at, *index))
        .map(|(_, e)| e)
}

/// The order status its shipments say: delivered when all are; otherwise what the most recent
/// event of an undelivered shipment says; shipped before any event.
fn tracked_status(shipments: &[Shipment]) -> Status {
    if !shipments.is_empty()
        && shipments
            .iter()
            .all(|s| s.status == Some(TrackingStatus::Delivered))
    {
        return Status::Delivered;
    }
    let newest = shipments
        .iter()
        .filter(|s| s.status != Some(TrackingStatus::Delivered))
        .filter_map(latest)
        .max_by_key(|e| e.occurred_at);
    match newest.map(|e| e.status) {
        None => Status::Shipped,
        Some(TrackingStatus::InTransit | TrackingStatus::Delivered) => Status::InTransit,
        Some(TrackingStatus::DeliveryDifficulty) => Status::DeliveryDifficulty,
    }
}
