//! Replays: a command whose natural id (payment id, invoice number, shipment number, tracking
//! event, change `requestId`) the order already holds is recognised before any rule runs.

use super::super::command::{Command, PaymentOutcome};
use super::super::error::OrderError;
use super::super::model::{Order, TransactionKind};

/// Whether the command was already applied, by its natural id. A natural id reused with other
/// data is an error.
pub(super) fn is_replay(order: &Order, command: &Command) -> Result<bool, OrderError> {
    match command {
        Command::PaymentNotification(n) => {
            let kind = transaction_kind(n.outcome);
            let seen = order
                .payment
                .transactions
                .iter()
                .find(|t| t.kind == kind && t.payment_id.as_ref() == Some(&n.payment_id));
            match seen {
                Some(t) if t.amount == n.amount => Ok(true),
                Some(_) => Err(OrderError::PaymentConflict {
                    payment_id: n.payment_id.as_str().to_owned(),
                }),
                None => Ok(false),
            }
        }
        Command::AddInvoice(new) => {
            let Some(existing) = order
                .invoices
                .iter()
                .find(|i| i.number == new.number && i.series == new.series)
            else {
                return Ok(false);
            };
            let same_items = match &new.items {
                None => true,
                Some(items) => {
                    items.len() == existing.items.len()
                        && items.iter().all(|wanted| {
                            existing
                                .items
                                .iter()
                                .any(|l| l.sku == wanted.sku && l.quantity == wanted.quantity)
                        })
                }
            };
            if existing.kind == new.kind
                && existing.key == new.key
                && existing.value == new.value
                && existing.issued_at == new.issued_at
                && same_items
            {
                Ok(true)
            } else {
                Err(OrderError::InvoiceNumberConflict {
                    number: new.number.clone(),
                })
            }
        }
        Command::AddShipment(new) => {
            match order.shipments.iter().find(|s| s.number == new.number) {
                Some(s) if s.invoice_number == new.invoice_number && s.carrier == new.carrier => {
                    Ok(true)
                }
                Some(_) => Err(OrderError::ShipmentConflict {
                    number: new.number.clone(),
                }),
                None => Ok(false),
            }
        }
        Command::AddTrackingEvent(new) => Ok(order
            .shipments
            .iter()
            .find(|s| s.number == new.shipment)
            .is_some_and(|s| {
                s.events
                    .iter()
                    .any(|e| e.status == new.status && e.occurred_at == new.occurred_at)
            })),
        Command::Change(new) => match order
            .changes
            .iter()
            .find(|c| c.request_id == new.request_id)
        {
            Some(c)
                if c.reason == new.reason
                    && c.add == new.add
                    && c.remove == new.remove
                    && c.prices == new.prices
                    && c.discount == new.discount
                    && c.increment == new.increment =>
            {
                Ok(true)
            }
            Some(_) => Err(OrderError::RequestIdReused {
                request_id: new.request_id.as_str().to_owned(),
            }),
            None => Ok(false),
        },
        Command::RecordNotification(sent) => Ok(order
            .notifications
            .iter()
            .any(|n| n.event_id == sent.event_id && n.endpoint_id == sent.endpoint_id)),
        Command::ManualPayment(_)
        | Command::ExpirePayment { .. }
        | Command::StartHandling
        | Command::Cancel { .. }
        | Command::Hold { .. }
        | Command::Unhold
        | Command::Comment(_)
        | Command::Refund(_)
        | Command::Reprocess
        | Command::Edit(_) => Ok(false),
    }
}

pub(super) const fn transaction_kind(outcome: PaymentOutcome) -> TransactionKind {
    match outcome {
        PaymentOutcome::Approved => TransactionKind::Approved,
        PaymentOutcome::Denied => TransactionKind::Denied,
        PaymentOutcome::Refunded => TransactionKind::Refunded,
    }
}
