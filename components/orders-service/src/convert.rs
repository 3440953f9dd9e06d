//! WIT inputs into domain values: parse, don't validate. Every bad field is collected (not just
//! the first) as a [`FieldError`] with its camelCase JSON path, e.g. `items[2].unitPrice`. What
//! the subscriptions service reads too (customers, addresses, items, shipping, a placement) is
//! read by `orderflow_wit_types::parse`.

use orderflow_domain::order::{
    Command, InvoiceKind, ItemQuantity, ManualPayment, NewComment, NewInvoice, NewRefund,
    NewShipment, NewTrackingEvent, OrderChange, OrderEdit, PaymentNotification, PaymentOutcome,
    PriceChange, SentNotification, Status, TrackingInfo, TrackingStatus,
};
use orderflow_domain::values::{
    Channel, ExternalId, FieldError, IdempotencyKey, Invalid, Money, NfeKey, OrderId, PaymentId,
    RequestId, Sku, TestClockId, Text, Timestamp,
};
pub(crate) use orderflow_wit_types::parse::place_order;
use orderflow_wit_types::parse::{
    CODE_MAX, COMMENT_MAX, Fields, LINE_MAX, NAME_MAX, REASON_MAX, URL_MAX, amount, contact_edit,
    list, multiline, new_item, part, path, payment_method, quantity, shipping, text, timestamp,
};
use orderflow_wit_types::types as wit;

use crate::bindings::exports::orderflow::core::orders as wo;
use crate::service::{Idempotency, Query, Sort};

/// An order id from a path or a call.
pub(crate) fn order_id(id: &str) -> Result<OrderId, Vec<FieldError>> {
    OrderId::parse(id).map_err(|e| vec![e.at("id")])
}

/// The name of a person of the back office, as the history records it.
pub(crate) fn operator(name: &str) -> Result<Text, Vec<FieldError>> {
    Text::parse(name, 100).map_err(|e| vec![e.at("operator")])
}

/// An instant given on its own, named `field` in errors.
pub(crate) fn instant(field: &str, at: &str) -> Result<Timestamp, Vec<FieldError>> {
    Timestamp::parse(at).map_err(|e| vec![e.at(field)])
}

/// A test clock's id.
pub(crate) fn clock_id(id: &str) -> Result<TestClockId, Vec<FieldError>> {
    TestClockId::parse(id).map_err(|e| vec![e.at("testClock")])
}

/// A test clock's id and its frozen time.
pub(crate) fn clock(id: &str, now: &str) -> Result<(TestClockId, Timestamp), Vec<FieldError>> {
    match (clock_id(id), instant("now", now)) {
        (Ok(id), Ok(now)) => Ok((id, now)),
        (id, now) => Err(id.err().into_iter().chain(now.err()).flatten().collect()),
    }
}

/// A channel and its own order id.
pub(crate) fn external(
    channel: &str,
    external_id: &str,
) -> Result<(Channel, ExternalId), Vec<FieldError>> {
    let mut f = Fields::default();
    let channel = f.take("channel", Channel::parse(channel));
    let external_id = f.take("externalId", ExternalId::parse(external_id));
    let value = channel.zip(external_id);
    f.finish(value)
}

/// An Idempotency-Key and its request.
pub(crate) fn idempotency(
    idempotency: Option<wo::Idempotency>,
) -> Result<Option<Idempotency>, Vec<FieldError>> {
    let Some(idempotency) = idempotency else {
        return Ok(None);
    };
    let key = IdempotencyKey::parse(&idempotency.key).map_err(|e| vec![e.at("Idempotency-Key")])?;
    Ok(Some(Idempotency {
        scope: idempotency.scope,
        key,
        fingerprint: idempotency.fingerprint,
    }))
}

/// Who asks.
pub(crate) use orderflow_wit_types::parse::actor;

/// A status.
pub(crate) fn status(status: wit::OrderStatus) -> Status {
    match status {
        wit::OrderStatus::PaymentPending => Status::PaymentPending,
        wit::OrderStatus::PaymentApproved => Status::PaymentApproved,
        wit::OrderStatus::Handling => Status::Handling,
        wit::OrderStatus::Invoiced => Status::Invoiced,
        wit::OrderStatus::Shipped => Status::Shipped,
        wit::OrderStatus::InTransit => Status::InTransit,
        wit::OrderStatus::DeliveryDifficulty => Status::DeliveryDifficulty,
        wit::OrderStatus::Delivered => Status::Delivered,
        wit::OrderStatus::Closed => Status::Closed,
        wit::OrderStatus::Canceled => Status::Canceled,
        wit::OrderStatus::OnHold => Status::OnHold,
    }
}

fn tracking_status(status: wit::TrackingStatus) -> TrackingStatus {
    match status {
        wit::TrackingStatus::InTransit => TrackingStatus::InTransit,
        wit::TrackingStatus::DeliveryDifficulty => TrackingStatus::DeliveryDifficulty,
        wit::TrackingStatus::Delivered => TrackingStatus::Delivered,
    }
}

fn item_quantity(f: &mut Fields, at: &str, iq: &wit::ItemQuantity) -> Option<ItemQuantity> {
    let sku = f.take(&path(at, "sku"), Sku::parse(&iq.sku));
    let quantity = f.take(&path(at, "quantity"), quantity(iq.quantity));
    Some(ItemQuantity {
        sku: sku?,
        quantity: quantity?,
    })
}

/// A command.
pub(crate) fn command(command: &wit::Command) -> Result<Command, Vec<FieldError>> {
    let mut f = Fields::default();
    let value = match command {
        wit::Command::PaymentNotification(n) => {
            let payment_id = f.take("paymentId", PaymentId::parse(&n.payment_id));
            let amount = f.take("amount", amount(n.amount));
            let occurred_at = timestamp(&mut f, "occurredAt", &n.occurred_at);
            let outcome = match n.outcome {
                wit::PaymentOutcome::Approved => PaymentOutcome::Approved,
                wit::PaymentOutcome::Denied => PaymentOutcome::Denied,
                wit::PaymentOutcome::Refunded => PaymentOutcome::Refunded,
            };
            (|| {
                Some(Command::PaymentNotification(PaymentNotification {
                    payment_id: payment_id?,
                    outcome,
                    amount: amount?,
                    method: payment_method(n.method),
                    occurred_at: occurred_at?,
                }))
            })()
        }
        wit::Command::ManualPayment(m) => {
            let amount = f.take("amount", amount(m.amount));
            let note = f.optional("note", m.note.as_deref(), multiline(REASON_MAX));
            (|| {
                Some(Command::ManualPayment(ManualPayment {
                    amount: amount?,
                    note: note?,
                }))
            })()
        }
        wit::Command::ExpirePayment(as_of) => f
            .optional("asOf", as_of.as_deref(), Timestamp::parse)
            .map(|as_of| Command::ExpirePayment { as_of }),
        wit::Command::StartHandling => Some(Command::StartHandling),
        wit::Command::AddInvoice(i) => invoice(&mut f, i).map(Command::AddInvoice),
        wit::Command::AddShipment(s) => {
            let invoice_number = f.take("invoiceNumber", Text::parse(&s.invoice_number, CODE_MAX));
            let carrier = f.take("carrier", Text::parse(&s.carrier, CODE_MAX));
            let title = f.optional("title", s.title.as_deref(), text(NAME_MAX));
            let number = f.take("number", Text::parse(&s.number, CODE_MAX));
            let url = f.optional("url", s.url.as_deref(), text(URL_MAX));
            (|| {
                Some(Command::AddShipment(NewShipment {
                    invoice_number: invoice_number?,
                    carrier: carrier?,
                    title: title?,
                    number: number?,
                    url: url?,
                    notify_customer: s.notify_customer,
                }))
            })()
        }
        wit::Command::AddTrackingEvent(e) => {
            let shipment = f.take("shipment", Text::parse(&e.shipment, CODE_MAX));
            let description = f.optional("description", e.description.as_deref(), text(REASON_MAX));
            let city = f.optional("city", e.city.as_deref(), text(LINE_MAX));
            let state = f.optional("state", e.state.as_deref(), text(CODE_MAX));
            let occurred_at = timestamp(&mut f, "occurredAt", &e.occurred_at);
            (|| {
                Some(Command::AddTrackingEvent(NewTrackingEvent {
                    shipment: shipment?,
                    status: tracking_status(e.status),
                    description: description?,
                    city: city?,
                    state: state?,
                    occurred_at: occurred_at?,
                }))
            })()
        }
        wit::Command::Change(c) => {
            let request_id = f.take("requestId", RequestId::parse(&c.request_id));
            let reason = f.take("reason", Text::multiline(&c.reason, REASON_MAX));
            let add = list(&mut f, "add", &c.add, new_item);
            let remove = list(&mut f, "remove", &c.remove, item_quantity);
            let prices = list(
                &mut f,
                "prices",
                &c.prices,
                |f, at, p: &wit::PriceChange| {
                    let sku = f.take(&path(at, "sku"), Sku::parse(&p.sku));
                    let unit_price = f.take(&path(at, "unitPrice"), amount(p.unit_price));
                    Some(PriceChange {
                        sku: sku?,
                        unit_price: unit_price?,
                    })
                },
            );
            (|| {
                Some(Command::Change(OrderChange {
                    request_id: request_id?,
                    reason: reason?,
                    add: add?,
                    remove: remove?,
                    prices: prices?,
                    discount: Money::from_minor(c.discount),
                    increment: Money::from_minor(c.increment),
                }))
            })()
        }
        wit::Command::Cancel(reason) => f
            .take("reason", Text::multiline(reason, REASON_MAX))
            .map(|reason| Command::Cancel { reason }),
        wit::Command::Hold(reason) => f
            .take("reason", Text::multiline(reason, REASON_MAX))
            .map(|reason| Command::Hold { reason }),
        wit::Command::Unhold => Some(Command::Unhold),
        wit::Command::Comment(c) => {
            f.take("text", Text::multiline(&c.text, COMMENT_MAX))
                .map(|text| {
                    Command::Comment(NewComment {
                        text,
                        notify_customer: c.notify_customer,
                        visible_to_customer: c.visible_to_customer,
                    })
                })
        }
        wit::Command::Refund(r) => {
            let amount = f.take("amount", amount(r.amount));
            let items = list(&mut f, "items", &r.items, item_quantity);
            let comment = f.optional("comment", r.comment.as_deref(), multiline(COMMENT_MAX));
            (|| {
                Some(Command::Refund(NewRefund {
                    amount: amount?,
                    items: items?,
                    return_to_stock: r.return_to_stock,
                    comment: comment?,
                    notify_customer: r.notify_customer,
                }))
            })()
        }
        wit::Command::Reprocess => Some(Command::Reprocess),
        wit::Command::RecordNotification(n) => {
            let mut field =
                |name: &str, value: &str, max: usize| f.take(name, Text::parse(value, max));
            let event_id = field("eventId", &n.event_id, 200);
            let endpoint_id = field("endpointId", &n.endpoint_id, 200);
            let template = field("template", &n.template, 100);
            let locale = field("locale", &n.locale, 20);
            let subject = field("subject", &n.subject, 1000);
            let to = field("to", &n.to, 320);
            (|| {
                Some(Command::RecordNotification(SentNotification {
                    event_id: event_id?,
                    endpoint_id: endpoint_id?,
                    template: template?,
                    locale: locale?,
                    subject: subject?,
                    to: to?,
                }))
            })()
        }
        wit::Command::Edit(e) => {
            let (customer, shipping_address, billing_address) = contact_edit(
                &mut f,
                e.customer.as_ref(),
                e.shipping_address.as_ref(),
                e.billing_address.as_ref(),
            );
            let shipping = part(&mut f, "shipping", e.shipping.as_ref(), shipping);
            (|| {
                Some(Command::Edit(OrderEdit {
                    customer: customer?,
                    shipping_address: shipping_address?,
                    billing_address: billing_address?,
                    shipping: shipping?,
                }))
            })()
        }
    };
    f.finish(value)
}

fn invoice(f: &mut Fields, i: &wit::NewInvoice) -> Option<NewInvoice> {
    let number = f.take("number", Text::parse(&i.number, CODE_MAX));
    let series = f.optional("series", i.series.as_deref(), text(CODE_MAX));
    let key = f.optional("key", i.key.as_deref(), NfeKey::parse);
    let value = f.take("value", amount(i.value));
    let issued_at = timestamp(f, "issuedAt", &i.issued_at);
    let url = f.optional("url", i.url.as_deref(), text(URL_MAX));
    let items = part(f, "items", i.items.as_ref(), |f, at, items: &Vec<_>| {
        list(f, at, items, item_quantity)
    });
    let tracking = match &i.tracking {
        None => Some(None),
        Some(t) => {
            let carrier = f.take("tracking.carrier", Text::parse(&t.carrier, CODE_MAX));
            let number = f.take("tracking.number", Text::parse(&t.number, CODE_MAX));
            let url = f.optional("tracking.url", t.url.as_deref(), text(URL_MAX));
            (|| {
                Some(Some(TrackingInfo {
                    carrier: carrier?,
                    number: number?,
                    url: url?,
                }))
            })()
        }
    };
    let kind = match i.kind {
        wit::InvoiceKind::Output => InvoiceKind::Output,
        wit::InvoiceKind::Input => InvoiceKind::Input,
    };
    Some(NewInvoice {
        kind,
        number: number?,
        series: series?,
        key: key?,
        value: value?,
        issued_at: issued_at?,
        url: url?,
        items: items?,
        tracking: tracking?,
    })
}

/// List filters.
pub(crate) fn query(q: wo::Query) -> Result<Query, Vec<FieldError>> {
    let mut f = Fields::default();
    let sku = f.optional("sku", q.sku.as_deref(), Sku::parse);
    let channel = f.optional("channel", q.channel.as_deref(), Channel::parse);
    let from = f.optional("from", q.from.as_deref(), Timestamp::parse);
    let to = f.optional("to", q.to.as_deref(), Timestamp::parse);
    let limit = if q.limit > crate::service::MAX_LIMIT {
        f.take(
            "limit",
            Err(Invalid::OutOfRange {
                min: 1,
                max: i64::from(crate::service::MAX_LIMIT),
            }),
        )
    } else {
        Some(q.limit)
    };
    let sort = match q.sort {
        wo::Sort::CreatedAtDesc => Sort::CreatedAtDesc,
        wo::Sort::CreatedAtAsc => Sort::CreatedAtAsc,
        wo::Sort::TotalAsc => Sort::TotalAsc,
        wo::Sort::TotalDesc => Sort::TotalDesc,
    };
    let value = (|| {
        Some(Query {
            status: q.status.map(status),
            q: q.q.filter(|s| !s.trim().is_empty()),
            sku: sku?,
            customer: q.customer.filter(|s| !s.trim().is_empty()),
            channel: channel?,
            from: from?,
            to: to?,
            min_total: q.min_total.map(Money::from_minor),
            max_total: q.max_total.map(Money::from_minor),
            shipping_method: q.shipping_method.filter(|s| !s.trim().is_empty()),
            sort,
            limit: limit?,
            cursor: q.cursor,
            unpaid: false,
            unpaid_clock: None,
            problems: q.problems,
        })
    })();
    f.finish(value)
}
