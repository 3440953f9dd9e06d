//! Domain values into WIT records: the order document, the write result and the errors. The
//! parts the subscriptions service writes too are `orderflow_wit_types::render`'s.

use orderflow_domain::order::{
    CancelCause, EventKind, InvoiceKind, ItemQuantity, Order, OrderError, PaymentStatus,
    ProblemKind, RefundSource, Status, TrackingInfo, TrackingStatus, TransactionKind,
};
use orderflow_domain::values::FieldError;
use orderflow_wit_types::render::{
    self, address, customer, money, new_item, opt, order_status, payment_method, shipping, text, ts,
};
use orderflow_wit_types::types as wit;

use crate::bindings::exports::orderflow::core::orders as wo;
use crate::kv::outbox::State;
use crate::service::{Failure, OutboxState, Page, Report, Written};

use orderflow_wit_types::render::actor;

fn payment_status(status: PaymentStatus) -> wit::PaymentStatus {
    match status {
        PaymentStatus::Pending => wit::PaymentStatus::Pending,
        PaymentStatus::Denied => wit::PaymentStatus::Denied,
        PaymentStatus::Approved => wit::PaymentStatus::Approved,
        PaymentStatus::Refunded => wit::PaymentStatus::Refunded,
    }
}

fn outcome(kind: TransactionKind) -> wit::PaymentOutcome {
    match kind {
        TransactionKind::Approved => wit::PaymentOutcome::Approved,
        TransactionKind::Denied => wit::PaymentOutcome::Denied,
        TransactionKind::Refunded => wit::PaymentOutcome::Refunded,
    }
}

fn tracking_status(status: TrackingStatus) -> wit::TrackingStatus {
    match status {
        TrackingStatus::InTransit => wit::TrackingStatus::InTransit,
        TrackingStatus::DeliveryDifficulty => wit::TrackingStatus::DeliveryDifficulty,
        TrackingStatus::Delivered => wit::TrackingStatus::Delivered,
    }
}

fn event_kind(kind: EventKind) -> wit::EventKind {
    match kind {
        EventKind::OrderPlaced => wit::EventKind::OrderPlaced,
        EventKind::PaymentApproved => wit::EventKind::PaymentApproved,
        EventKind::PaymentDenied => wit::EventKind::PaymentDenied,
        EventKind::PaymentRefunded => wit::EventKind::PaymentRefunded,
        EventKind::PaymentExpired => wit::EventKind::PaymentExpired,
        EventKind::ProblemRaised => wit::EventKind::ProblemRaised,
        EventKind::Reprocessed => wit::EventKind::Reprocessed,
        EventKind::HandlingStarted => wit::EventKind::HandlingStarted,
        EventKind::Invoiced => wit::EventKind::Invoiced,
        EventKind::Returned => wit::EventKind::Returned,
        EventKind::ShipmentAdded => wit::EventKind::ShipmentAdded,
        EventKind::TrackingUpdated => wit::EventKind::TrackingUpdated,
        EventKind::Changed => wit::EventKind::Changed,
        EventKind::Canceled => wit::EventKind::Canceled,
        EventKind::Held => wit::EventKind::Held,
        EventKind::Released => wit::EventKind::Released,
        EventKind::Commented => wit::EventKind::Commented,
        EventKind::Refunded => wit::EventKind::Refunded,
        EventKind::Edited => wit::EventKind::Edited,
        EventKind::CustomerNotified => wit::EventKind::CustomerNotified,
    }
}

fn item_quantity(iq: &ItemQuantity) -> wit::ItemQuantity {
    wit::ItemQuantity {
        sku: iq.sku.as_str().to_owned(),
        quantity: iq.quantity.get(),
    }
}

fn tracking_info(t: &TrackingInfo) -> wit::TrackingInfo {
    wit::TrackingInfo {
        carrier: text(&t.carrier),
        number: text(&t.number),
        url: opt(t.url.as_ref()),
    }
}

/// The counted indexes' counts as the interface gives them: by status, and with problems.
pub(crate) fn counts(counts: &std::collections::BTreeMap<String, u64>) -> wo::Counts {
    let statuses = counts
        .iter()
        .filter_map(|(index, count)| {
            let status = Status::parse(index.strip_prefix("status/")?)?;
            Some((order_status(status), *count))
        })
        .collect();
    wo::Counts {
        statuses,
        problems: counts.get("problems").copied().unwrap_or(0),
    }
}

/// An order.
pub(crate) fn order(o: &Order) -> wit::Order {
    let totals = o.totals();
    let payment = o.payment();
    wit::Order {
        id: o.id().as_str().to_owned(),
        number: o.number(),
        status: order_status(o.status()),
        version: o.version(),
        channel: o.channel().as_str().to_owned(),
        external_id: o.external_id().as_ref().map(|e| e.as_str().to_owned()),
        currency: o.currency().as_str().to_owned(),
        customer: customer(o.customer()),
        shipping_address: address(o.shipping_address()),
        billing_address: o.billing_address().as_ref().map(address),
        items: o
            .items()
            .iter()
            .map(|i| wit::Item {
                sku: i.sku.as_str().to_owned(),
                name: text(&i.name),
                quantity: i.quantity.get(),
                unit_price: money(i.unit_price),
                discount: money(i.discount),
                invoiced: i.invoiced,
                returned: i.returned,
            })
            .collect(),
        shipping: shipping(o.shipping()),
        payment: wit::Payment {
            method: payment_method(payment.method),
            status: payment_status(payment.status),
            due_at: payment.due_at.map(ts),
            transactions: payment
                .transactions
                .iter()
                .map(|t| wit::Transaction {
                    payment_id: t.payment_id.as_ref().map(|p| p.as_str().to_owned()),
                    kind: outcome(t.kind),
                    amount: money(t.amount),
                    method: payment_method(t.method),
                    occurred_at: ts(t.occurred_at),
                    actor: actor(t.actor),
                    note: opt(t.note.as_ref()),
                })
                .collect(),
        },
        adjustments: wit::Adjustments {
            discount: money(o.adjustments().discount),
            increment: money(o.adjustments().increment),
        },
        totals: wit::Totals {
            items: money(totals.items),
            discount: money(totals.discount),
            increment: money(totals.increment),
            shipping: money(totals.shipping),
            total: money(totals.total),
            paid: money(totals.paid),
            refunded: money(totals.refunded),
            returned: money(totals.returned),
            balance: money(totals.balance),
        },
        invoices: o
            .invoices()
            .iter()
            .map(|i| wit::Invoice {
                kind: match i.kind {
                    InvoiceKind::Output => wit::InvoiceKind::Output,
                    InvoiceKind::Input => wit::InvoiceKind::Input,
                },
                number: text(&i.number),
                series: opt(i.series.as_ref()),
                key: i.key.as_ref().map(|k| k.as_str().to_owned()),
                value: money(i.value),
                issued_at: ts(i.issued_at),
                url: opt(i.url.as_ref()),
                items: i
                    .items
                    .iter()
                    .map(|l| wit::InvoiceLine {
                        sku: l.sku.as_str().to_owned(),
                        quantity: l.quantity.get(),
                        value: money(l.value),
                    })
                    .collect(),
                includes_shipping: i.includes_shipping,
                tracking: i.tracking.as_ref().map(tracking_info),
                recorded_at: ts(i.recorded_at),
            })
            .collect(),
        shipments: o
            .shipments()
            .iter()
            .map(|sh| wit::Shipment {
                number: text(&sh.number),
                invoice_number: text(&sh.invoice_number),
                carrier: text(&sh.carrier),
                title: opt(sh.title.as_ref()),
                url: opt(sh.url.as_ref()),
                notify_customer: sh.notify_customer,
                status: sh.status.map(tracking_status),
                events: sh
                    .events
                    .iter()
                    .map(|e| wit::TrackingEvent {
                        status: tracking_status(e.status),
                        description: opt(e.description.as_ref()),
                        city: opt(e.city.as_ref()),
                        state: opt(e.state.as_ref()),
                        occurred_at: ts(e.occurred_at),
                    })
                    .collect(),
                created_at: ts(sh.created_at),
            })
            .collect(),
        refunds: o
            .refunds()
            .iter()
            .map(|r| wit::Refund {
                source: match r.source {
                    RefundSource::Offline => wit::RefundSource::Offline,
                    RefundSource::Provider => wit::RefundSource::Provider,
                    RefundSource::ReturnInvoice => wit::RefundSource::ReturnInvoice,
                },
                amount: money(r.amount),
                reference: r.reference.clone(),
                items: r.items.iter().map(item_quantity).collect(),
                return_to_stock: r.return_to_stock,
                rebate: money(r.rebate),
                comment: opt(r.comment.as_ref()),
                notify_customer: r.notify_customer,
                at: ts(r.at),
                actor: actor(r.actor),
            })
            .collect(),
        changes: o
            .changes()
            .iter()
            .map(|c| wit::Change {
                request_id: c.request_id.as_str().to_owned(),
                reason: text(&c.reason),
                add: c.add.iter().map(new_item).collect(),
                remove: c.remove.iter().map(item_quantity).collect(),
                prices: c
                    .prices
                    .iter()
                    .map(|p| wit::PriceChange {
                        sku: p.sku.as_str().to_owned(),
                        unit_price: money(p.unit_price),
                    })
                    .collect(),
                discount: money(c.discount),
                increment: money(c.increment),
                total_before: money(c.total_before),
                total_after: money(c.total_after),
                at: ts(c.at),
                actor: actor(c.actor),
            })
            .collect(),
        comments: o
            .comments()
            .iter()
            .map(|c| wit::Comment {
                text: text(&c.text),
                notify_customer: c.notify_customer,
                visible_to_customer: c.visible_to_customer,
                at: ts(c.at),
                actor: actor(c.actor),
            })
            .collect(),
        notifications: o
            .notifications()
            .iter()
            .map(|n| wit::Notification {
                event_id: text(&n.event_id),
                endpoint_id: text(&n.endpoint_id),
                template: text(&n.template),
                locale: text(&n.locale),
                subject: text(&n.subject),
                to: text(&n.to),
                at: Some(ts(n.at)),
            })
            .collect(),
        problems: o
            .problems()
            .iter()
            .map(|p| wit::Problem {
                kind: match &p.kind {
                    ProblemKind::PaymentAmountMismatch { expected, paid } => {
                        wit::ProblemKind::PaymentAmountMismatch(wit::MoneyMismatch {
                            expected: money(*expected),
                            actual: money(*paid),
                        })
                    }
                    ProblemKind::PaymentForCanceledOrder { payment_id, amount } => {
                        wit::ProblemKind::PaymentForCanceledOrder(wit::LatePayment {
                            payment_id: payment_id.as_ref().map(|p| p.as_str().to_owned()),
                            amount: money(*amount),
                        })
                    }
                },
                detected_at: ts(p.detected_at),
            })
            .collect(),
        hold: o.hold().as_ref().map(|h| wit::Hold {
            reason: text(&h.reason),
            previous: order_status(h.previous),
            at: ts(h.at),
            actor: actor(h.actor),
        }),
        cancellation: o.cancellation().as_ref().map(|c| wit::Cancellation {
            cause: match c.cause {
                CancelCause::Requested => wit::CancelCause::Requested,
                CancelCause::PaymentDenied => wit::CancelCause::PaymentDenied,
                CancelCause::PaymentExpired => wit::CancelCause::PaymentExpired,
            },
            reason: opt(c.reason.as_ref()),
            at: ts(c.at),
            actor: actor(c.actor),
        }),
        subscription: o.subscription().as_ref().map(|r| wit::SubscriptionRef {
            id: r.id.as_str().to_owned(),
            cycle: r.cycle,
        }),
        test_clock: o
            .subscription()
            .as_ref()
            .and_then(|r| r.test_clock.as_ref())
            .map(|c| c.as_str().to_owned()),
        stock_location: o.stock_location().as_ref().map(|l| l.as_str().to_owned()),
        history: o
            .history()
            .iter()
            .map(|h| wit::HistoryEntry {
                at: ts(h.at),
                from: h.from.map(order_status),
                to: order_status(h.to),
                event: event_kind(h.event),
                actor: actor(h.actor),
                operator: h.operator.as_ref().map(|o| o.as_str().to_owned()),
            })
            .collect(),
        created_at: ts(*o.created_at()),
        updated_at: ts(*o.updated_at()),
    }
}

/// A write's result.
pub(crate) fn written(w: Written) -> wo::Written {
    wo::Written {
        order: order(&w.order),
        changed: w.changed,
        replayed: w.replayed,
    }
}

/// A page.
pub(crate) fn page(p: Page) -> wo::Page {
    wo::Page {
        items: p.items.iter().map(order).collect(),
        next_cursor: p.next_cursor,
    }
}

/// A check report.
pub(crate) fn report(r: Report) -> wo::CheckReport {
    wo::CheckReport {
        orders: r.orders,
        skus: r.skus,
        inconsistencies: r.inconsistencies,
        repaired: r.repaired,
    }
}

/// One outbox position.
pub(crate) fn outbox_position((position, state): (u64, OutboxState)) -> wo::OutboxPosition {
    let state = match state {
        State::Committed(entry) => match entry.order.as_deref() {
            Some(o) => wo::OutboxState::Committed(wo::OutboxEntry {
                order: order(o),
                events: entry.events.get().to_owned(),
                at: ts(entry.at),
            }),
            None => wo::OutboxState::Dead,
        },
        State::Dead => wo::OutboxState::Dead,
        State::Pending => wo::OutboxState::Pending,
    };
    wo::OutboxPosition { position, state }
}

/// Field errors.
pub(crate) fn invalid(fields: Vec<FieldError>) -> wit::Error {
    render::invalid(&fields)
}

/// A failure.
pub(crate) fn error(failure: Failure) -> wit::Error {
    match failure {
        Failure::Invalid(fields) => invalid(fields),
        Failure::NotFound => wit::Error::NotFound,
        Failure::Rejected(e) => rule_error(e),
        Failure::IdempotencyKeyReused => wit::Error::IdempotencyKeyReused,
        Failure::OutOfStock(short) => wit::Error::OutOfStock(
            short
                .into_iter()
                .map(|(sku, available)| wit::StockShortage { sku, available })
                .collect(),
        ),
        Failure::Contention => wit::Error::Contention,
        Failure::Store(message) => wit::Error::StoreUnavailable(message),
    }
}

/// A refusal by the order rules. `OrderError::Field` is not a rule: it becomes `invalid`.
pub(crate) fn rule_error(e: OrderError) -> wit::Error {
    match render::rule_error(e) {
        Ok(rule) => wit::Error::Rejected(rule),
        Err(field) => invalid(vec![field]),
    }
}
