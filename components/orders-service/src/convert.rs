//! WIT inputs into domain values: parse, don't validate. Every bad field is collected (not just
//! the first) as a [`FieldError`] with its camelCase JSON path, e.g. `items[2].unitPrice`.

use orderflow_domain::order::{
    Actor, Address, Command, Customer, InvoiceKind, ItemQuantity, ManualPayment, NewComment,
    NewInvoice, NewItem, NewPayment, NewRefund, NewShipment, NewTrackingEvent, OrderChange,
    OrderEdit, PaymentMethod, PaymentNotification, PaymentOutcome, PlaceOrder, PriceChange,
    Shipping, Status, SubscriptionRef, TrackingInfo, TrackingStatus,
};
use orderflow_domain::values::{
    Channel, Country, Currency, CustomerId, Document, Email, ExternalId, FieldError,
    IdempotencyKey, Invalid, Money, NfeKey, OrderId, PaymentId, Phone, PostalCode, Quantity,
    RequestId, Sku, SubscriptionId, TestClockId, Text, Timestamp,
};

use crate::bindings::exports::orderflow::core::orders as wo;
use crate::bindings::orderflow::core::types as wit;
use crate::service::{Idempotency, Query, Sort};

/// Longest names (people, products, titles), in characters.
const NAME_MAX: usize = 200;
/// Longest short codes (invoice and tracking numbers, shipping methods, carriers).
const CODE_MAX: usize = 100;
/// Longest address lines.
const LINE_MAX: usize = 200;
/// Longest reasons and notes.
const REASON_MAX: usize = 1_000;
/// Longest comments.
const COMMENT_MAX: usize = 5_000;
/// Longest URLs.
const URL_MAX: usize = 2_000;

/// Collects the errors of one input.
#[derive(Debug, Default)]
struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// The value, or `None` with the error recorded at `path`.
    fn take<T>(&mut self, path: &str, value: Result<T, Invalid>) -> Option<T> {
        match value {
            Ok(value) => Some(value),
            Err(reason) => {
                self.errors.push(reason.at(path));
                None
            }
        }
    }

    /// An optional value: `Some(None)` when absent, `None` when present and bad.
    fn optional<T>(
        &mut self,
        path: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match value {
            None => Some(None),
            Some(value) => self.take(path, parse(value)).map(Some),
        }
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            Some(_) | None => Err(self.errors),
        }
    }
}

fn path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

fn text(max: usize) -> impl Fn(&str) -> Result<Text, Invalid> {
    move |s| Text::parse(s, max)
}

fn multiline(max: usize) -> impl Fn(&str) -> Result<Text, Invalid> {
    move |s| Text::multiline(s, max)
}

fn amount(minor: i64) -> Result<Money, Invalid> {
    Money::non_negative(minor)
}

fn quantity(n: u32) -> Result<Quantity, Invalid> {
    Quantity::new(i64::from(n))
}

/// An order id from a path or a call.
pub(crate) fn order_id(id: &str) -> Result<OrderId, Vec<FieldError>> {
    OrderId::parse(id).map_err(|e| vec![e.at("id")])
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
pub(crate) fn actor(actor: wit::Actor) -> Actor {
    match actor {
        wit::Actor::Checkout => Actor::Checkout,
        wit::Actor::PaymentProvider => Actor::PaymentProvider,
        wit::Actor::Erp => Actor::Erp,
        wit::Actor::Logistics => Actor::Logistics,
        wit::Actor::Admin => Actor::Admin,
        wit::Actor::System => Actor::System,
    }
}

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

fn payment_method(method: wit::PaymentMethod) -> PaymentMethod {
    match method {
        wit::PaymentMethod::CreditCard => PaymentMethod::CreditCard,
        wit::PaymentMethod::Pix => PaymentMethod::Pix,
        wit::PaymentMethod::Boleto => PaymentMethod::Boleto,
        wit::PaymentMethod::Deposit => PaymentMethod::Deposit,
        wit::PaymentMethod::BankTransfer => PaymentMethod::BankTransfer,
    }
}

fn tracking_status(status: wit::TrackingStatus) -> TrackingStatus {
    match status {
        wit::TrackingStatus::InTransit => TrackingStatus::InTransit,
        wit::TrackingStatus::DeliveryDifficulty => TrackingStatus::DeliveryDifficulty,
        wit::TrackingStatus::Delivered => TrackingStatus::Delivered,
    }
}

fn customer(f: &mut Fields, at: &str, c: &wit::Customer) -> Option<Customer> {
    let id = f.optional(&path(at, "id"), c.id.as_deref(), CustomerId::parse);
    let name = f.take(&path(at, "name"), Text::parse(&c.name, NAME_MAX));
    let email = f.take(&path(at, "email"), Email::parse(&c.email));
    let document = f.optional(
        &path(at, "document"),
        c.document.as_deref(),
        Document::parse,
    );
    let phone = f.optional(&path(at, "phone"), c.phone.as_deref(), Phone::parse);
    Some(Customer {
        id: id?,
        name: name?,
        email: email?,
        document: document?,
        phone: phone?,
    })
}

fn address(f: &mut Fields, at: &str, a: &wit::Address) -> Option<Address> {
    let country = if a.country.trim().is_empty() {
        Some(Country::BRA)
    } else {
        f.take(&path(at, "country"), Country::parse(a.country.trim()))
    };
    let brazil = country.as_ref().is_none_or(|c| *c == Country::BRA);
    let street = f.take(&path(at, "street"), Text::parse(&a.street, LINE_MAX));
    let number = f.take(&path(at, "number"), Text::parse(&a.number, CODE_MAX));
    let complement = f.optional(
        &path(at, "complement"),
        a.complement.as_deref().filter(|s| !s.trim().is_empty()),
        text(LINE_MAX),
    );
    let neighborhood = f.optional(
        &path(at, "neighborhood"),
        a.neighborhood.as_deref().filter(|s| !s.trim().is_empty()),
        text(LINE_MAX),
    );
    let city = f.take(&path(at, "city"), Text::parse(&a.city, LINE_MAX));
    let state = f.take(&path(at, "state"), Text::parse(&a.state, CODE_MAX));
    let postal_code = f.take(
        &path(at, "postalCode"),
        PostalCode::parse(&a.postal_code, brazil),
    );
    Some(Address {
        street: street?,
        number: number?,
        complement: complement?,
        neighborhood: neighborhood?,
        city: city?,
        state: state?,
        postal_code: postal_code?,
        country: country?,
    })
}

fn new_item(f: &mut Fields, at: &str, item: &wit::NewItem) -> Option<NewItem> {
    let sku = f.take(&path(at, "sku"), Sku::parse(&item.sku));
    let name = f.take(&path(at, "name"), Text::parse(&item.name, NAME_MAX));
    let quantity = f.take(&path(at, "quantity"), quantity(item.quantity));
    let unit_price = f.take(&path(at, "unitPrice"), amount(item.unit_price));
    let discount = f.take(&path(at, "discount"), amount(item.discount));
    Some(NewItem {
        sku: sku?,
        name: name?,
        quantity: quantity?,
        unit_price: unit_price?,
        discount: discount?,
    })
}

fn list<T, U>(
    f: &mut Fields,
    at: &str,
    items: &[T],
    one: impl Fn(&mut Fields, &str, &T) -> Option<U>,
) -> Option<Vec<U>> {
    let parsed: Vec<Option<U>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| one(f, &format!("{at}[{i}]"), item))
        .collect();
    parsed.into_iter().collect()
}

fn shipping(f: &mut Fields, at: &str, s: &wit::Shipping) -> Option<Shipping> {
    let method = f.take(&path(at, "method"), Text::parse(&s.method, CODE_MAX));
    let carrier = f.optional(&path(at, "carrier"), s.carrier.as_deref(), text(CODE_MAX));
    let price = f.take(&path(at, "price"), amount(s.price));
    Some(Shipping {
        method: method?,
        carrier: carrier?,
        price: price?,
    })
}

fn item_quantity(f: &mut Fields, at: &str, iq: &wit::ItemQuantity) -> Option<ItemQuantity> {
    let sku = f.take(&path(at, "sku"), Sku::parse(&iq.sku));
    let quantity = f.take(&path(at, "quantity"), quantity(iq.quantity));
    Some(ItemQuantity {
        sku: sku?,
        quantity: quantity?,
    })
}

fn timestamp(f: &mut Fields, at: &str, s: &str) -> Option<Timestamp> {
    f.take(at, Timestamp::parse(s))
}

/// A placement.
pub(crate) fn place_order(input: &wit::PlaceOrder) -> Result<PlaceOrder, Vec<FieldError>> {
    let mut f = Fields::default();
    let channel = match input.channel.as_deref() {
        None => Some(Channel::default()),
        Some(channel) => f.take("channel", Channel::parse(channel)),
    };
    let external_id = f.optional(
        "externalId",
        input.external_id.as_deref(),
        ExternalId::parse,
    );
    let currency = match input.currency.as_deref() {
        None => Some(Currency::BRL),
        Some(currency) => f.take("currency", Currency::parse(currency)),
    };
    let customer = customer(&mut f, "customer", &input.customer);
    let shipping_address = address(&mut f, "shippingAddress", &input.shipping_address);
    let billing_address = match &input.billing_address {
        None => Some(None),
        Some(a) => address(&mut f, "billingAddress", a).map(Some),
    };
    let items = list(&mut f, "items", &input.items, new_item);
    let shipping = shipping(&mut f, "shipping", &input.shipping);
    let due_at = match input.payment.due_at.as_deref() {
        None => Some(None),
        Some(s) => timestamp(&mut f, "payment.dueAt", s).map(Some),
    };
    let subscription = match &input.subscription {
        None => Some(None),
        Some(s) => f
            .take("subscription.id", SubscriptionId::parse(&s.id))
            .map(|id| {
                Some(SubscriptionRef {
                    id,
                    cycle: s.cycle,
                    test_clock: None,
                })
            }),
    };
    let expected_total = match input.expected_total {
        None => Some(None),
        Some(total) => f.take("totals.total", amount(total)).map(Some),
    };
    let value = (|| {
        Some(PlaceOrder {
            channel: channel?,
            external_id: external_id?,
            currency: currency?,
            customer: customer?,
            shipping_address: shipping_address?,
            billing_address: billing_address?,
            items: items?,
            shipping: shipping?,
            payment: NewPayment {
                method: payment_method(input.payment.method),
                due_at: due_at?,
            },
            subscription: subscription?,
            expected_total: expected_total?,
        })
    })();
    f.finish(value)
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
        wit::Command::Edit(e) => {
            let customer = match &e.customer {
                None => Some(None),
                Some(c) => customer(&mut f, "customer", c).map(Some),
            };
            let shipping_address = match &e.shipping_address {
                None => Some(None),
                Some(a) => address(&mut f, "shippingAddress", a).map(Some),
            };
            let billing_address = match &e.billing_address {
                None => Some(None),
                Some(a) => address(&mut f, "billingAddress", a).map(Some),
            };
            let shipping = match &e.shipping {
                None => Some(None),
                Some(s) => shipping(&mut f, "shipping", s).map(Some),
            };
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
    let items = match &i.items {
        None => Some(None),
        Some(items) => list(f, "items", items, item_quantity).map(Some),
    };
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
        })
    })();
    f.finish(value)
}
