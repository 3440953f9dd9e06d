//! WIT inputs into domain values: parse, don't validate. Every bad field is collected (not just
//! the first) as a [`FieldError`] with its camelCase JSON path, e.g. `items[2].unitPrice`.
//!
//! The readers here are those of what both services take (customers, addresses, items,
//! shipping, a placement); each service reads its own inputs with them and [`Fields`].

use orderflow_domain::order::{
    Actor, Address, Customer, NewItem, NewPayment, PaymentMethod, PlaceOrder, Shipping,
    SubscriptionRef,
};
use orderflow_domain::values::{
    Channel, Country, Currency, CustomerId, Document, Email, ExternalId, FieldError, Invalid,
    LocationId, Money, Phone, PostalCode, Quantity, Sku, SubscriptionId, Text, Timestamp,
};

use crate::types as wit;

/// Longest names (people, products, plans, titles), in characters.
pub const NAME_MAX: usize = 200;
/// Longest short codes (invoice and tracking numbers, shipping methods, carriers, address
/// numbers).
pub const CODE_MAX: usize = 100;
/// Longest address lines.
pub const LINE_MAX: usize = 200;
/// Longest reasons and notes.
pub const REASON_MAX: usize = 1_000;
/// Longest comments.
pub const COMMENT_MAX: usize = 5_000;
/// Longest URLs.
pub const URL_MAX: usize = 2_000;

/// Collects the errors of one input.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// The value, or `None` with the error recorded at `path`.
    pub fn take<T>(&mut self, path: &str, value: Result<T, Invalid>) -> Option<T> {
        match value {
            Ok(value) => Some(value),
            Err(reason) => {
                self.errors.push(reason.at(path));
                None
            }
        }
    }

    /// An optional value: `Some(None)` when absent, `None` when present and bad.
    pub fn optional<T>(
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

    /// Records an error that already names its field.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// The value of a part read on its own, or `None` with all its errors recorded.
    pub fn merge<T>(&mut self, value: Result<T, Vec<FieldError>>) -> Option<T> {
        match value {
            Ok(value) => Some(value),
            Err(errors) => {
                self.errors.extend(errors);
                None
            }
        }
    }

    /// The value when no error was recorded, else every error.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            Some(_) | None => Err(self.errors),
        }
    }
}

/// The path of `field` inside `parent` (`parent` empty: the input itself).
pub fn path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

/// A one-line text of at most `max` characters.
pub fn text(max: usize) -> impl Fn(&str) -> Result<Text, Invalid> {
    move |s| Text::parse(s, max)
}

/// A text of at most `max` characters that may span lines.
pub fn multiline(max: usize) -> impl Fn(&str) -> Result<Text, Invalid> {
    move |s| Text::multiline(s, max)
}

/// An amount that may not be negative.
pub fn amount(minor: i64) -> Result<Money, Invalid> {
    Money::non_negative(minor)
}

/// A quantity of units.
pub fn quantity(n: u32) -> Result<Quantity, Invalid> {
    Quantity::new(i64::from(n))
}

/// An instant at `at`.
pub fn timestamp(f: &mut Fields, at: &str, s: &str) -> Option<Timestamp> {
    f.take(at, Timestamp::parse(s))
}

/// Who asks.
pub fn actor(actor: wit::Actor) -> Actor {
    match actor {
        wit::Actor::Checkout => Actor::Checkout,
        wit::Actor::PaymentProvider => Actor::PaymentProvider,
        wit::Actor::Erp => Actor::Erp,
        wit::Actor::Logistics => Actor::Logistics,
        wit::Actor::Admin => Actor::Admin,
        wit::Actor::System => Actor::System,
    }
}

/// A payment method.
pub fn payment_method(method: wit::PaymentMethod) -> PaymentMethod {
    match method {
        wit::PaymentMethod::CreditCard => PaymentMethod::CreditCard,
        wit::PaymentMethod::Pix => PaymentMethod::Pix,
        wit::PaymentMethod::Boleto => PaymentMethod::Boleto,
        wit::PaymentMethod::Deposit => PaymentMethod::Deposit,
        wit::PaymentMethod::BankTransfer => PaymentMethod::BankTransfer,
    }
}

/// A customer at `at`.
pub fn customer(f: &mut Fields, at: &str, c: &wit::Customer) -> Option<Customer> {
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

/// An address at `at`: Brazil when the country is blank, and then a Brazilian postal code.
pub fn address(f: &mut Fields, at: &str, a: &wit::Address) -> Option<Address> {
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

/// An item to add at `at`.
pub fn new_item(f: &mut Fields, at: &str, item: &wit::NewItem) -> Option<NewItem> {
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

/// The shipping at `at`.
pub fn shipping(f: &mut Fields, at: &str, s: &wit::Shipping) -> Option<Shipping> {
    let method = f.take(&path(at, "method"), Text::parse(&s.method, CODE_MAX));
    let carrier = f.optional(&path(at, "carrier"), s.carrier.as_deref(), text(CODE_MAX));
    let price = f.take(&path(at, "price"), amount(s.price));
    Some(Shipping {
        method: method?,
        carrier: carrier?,
        price: price?,
    })
}

/// A placement. The subscriptions service reads the order of each cycle with it too, so that a
/// subscription's order is judged as the orders service will judge it.
pub fn place_order(input: &wit::PlaceOrder) -> Result<PlaceOrder, Vec<FieldError>> {
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
    let billing_address = part(
        &mut f,
        "billingAddress",
        input.billing_address.as_ref(),
        address,
    );
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
    let stock_location = f.optional(
        "stockLocation",
        input.stock_location.as_deref(),
        LocationId::parse,
    );
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
            stock_location: stock_location?,
        })
    })();
    f.finish(value)
}

/// The customer and the addresses an edit may replace, read in that order; each is
/// `Some(None)` when absent (it stays), `None` when bad (the error is recorded).
#[expect(
    clippy::type_complexity,
    reason = "three optional parts, each as `Fields::optional` answers"
)]
pub fn contact_edit(
    f: &mut Fields,
    customer: Option<&wit::Customer>,
    shipping_address: Option<&wit::Address>,
    billing_address: Option<&wit::Address>,
) -> (
    Option<Option<Customer>>,
    Option<Option<Address>>,
    Option<Option<Address>>,
) {
    (
        part(f, "customer", customer, self::customer),
        part(f, "shippingAddress", shipping_address, address),
        part(f, "billingAddress", billing_address, address),
    )
}

/// Each element of a list with `one`, at `at[0]`, `at[1]`, ...; every element is read, so that
/// each bad one is recorded.
pub fn list<T, U>(
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

/// An optional part read with `one` at `at`: `Some(None)` when absent, `None` when present and
/// bad.
pub fn part<T, U>(
    f: &mut Fields,
    at: &str,
    value: Option<&T>,
    one: impl FnOnce(&mut Fields, &str, &T) -> Option<U>,
) -> Option<Option<U>> {
    match value {
        None => Some(None),
        Some(value) => one(f, at, value).map(Some),
    }
}
