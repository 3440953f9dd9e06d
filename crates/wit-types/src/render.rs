//! Domain values into WIT records: the parts both services write (customers, addresses, items,
//! shipping, statuses), field errors, and the order rules' refusals.

use orderflow_domain::order::{
    Actor, Address, Customer, NewItem, OrderError, PaymentMethod, Shipping, Status,
};
use orderflow_domain::values::{FieldError, Money, Text, Timestamp};

use crate::types as wit;

/// Who asked.
pub fn actor(actor: Actor) -> wit::Actor {
    match actor {
        Actor::Checkout => wit::Actor::Checkout,
        Actor::PaymentProvider => wit::Actor::PaymentProvider,
        Actor::Erp => wit::Actor::Erp,
        Actor::Logistics => wit::Actor::Logistics,
        Actor::Admin => wit::Actor::Admin,
        Actor::System => wit::Actor::System,
    }
}

/// An amount in minor units.
pub fn money(m: Money) -> i64 {
    m.minor()
}

/// An instant as RFC 3339.
pub fn ts(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// A text.
pub fn text(t: &Text) -> String {
    t.as_str().to_owned()
}

/// An optional text.
pub fn opt(t: Option<&Text>) -> Option<String> {
    t.map(text)
}

/// An order's status.
pub fn order_status(status: Status) -> wit::OrderStatus {
    match status {
        Status::PaymentPending => wit::OrderStatus::PaymentPending,
        Status::PaymentApproved => wit::OrderStatus::PaymentApproved,
        Status::Handling => wit::OrderStatus::Handling,
        Status::Invoiced => wit::OrderStatus::Invoiced,
        Status::Shipped => wit::OrderStatus::Shipped,
        Status::InTransit => wit::OrderStatus::InTransit,
        Status::DeliveryDifficulty => wit::OrderStatus::DeliveryDifficulty,
        Status::Delivered => wit::OrderStatus::Delivered,
        Status::Closed => wit::OrderStatus::Closed,
        Status::Canceled => wit::OrderStatus::Canceled,
        Status::OnHold => wit::OrderStatus::OnHold,
    }
}

/// A payment method.
pub fn payment_method(method: PaymentMethod) -> wit::PaymentMethod {
    match method {
        PaymentMethod::CreditCard => wit::PaymentMethod::CreditCard,
        PaymentMethod::Pix => wit::PaymentMethod::Pix,
        PaymentMethod::Boleto => wit::PaymentMethod::Boleto,
        PaymentMethod::Deposit => wit::PaymentMethod::Deposit,
        PaymentMethod::BankTransfer => wit::PaymentMethod::BankTransfer,
    }
}

/// A customer.
pub fn customer(c: &Customer) -> wit::Customer {
    wit::Customer {
        id: c.id.as_ref().map(|id| id.as_str().to_owned()),
        name: text(&c.name),
        email: c.email.as_str().to_owned(),
        document: c.document.as_ref().map(|d| d.as_str().to_owned()),
        phone: c.phone.as_ref().map(|p| p.as_str().to_owned()),
    }
}

/// An address.
pub fn address(a: &Address) -> wit::Address {
    wit::Address {
        street: text(&a.street),
        number: text(&a.number),
        complement: opt(a.complement.as_ref()),
        neighborhood: opt(a.neighborhood.as_ref()),
        city: text(&a.city),
        state: text(&a.state),
        postal_code: a.postal_code.as_str().to_owned(),
        country: a.country.as_str().to_owned(),
    }
}

/// An item to add.
pub fn new_item(i: &NewItem) -> wit::NewItem {
    wit::NewItem {
        sku: i.sku.as_str().to_owned(),
        name: text(&i.name),
        quantity: i.quantity.get(),
        unit_price: money(i.unit_price),
        discount: money(i.discount),
    }
}

/// The shipping.
pub fn shipping(sh: &Shipping) -> wit::Shipping {
    wit::Shipping {
        method: text(&sh.method),
        carrier: opt(sh.carrier.as_ref()),
        price: money(sh.price),
    }
}

/// A field that does not parse.
pub fn field_error(f: &FieldError) -> wit::FieldError {
    wit::FieldError {
        field: f.field().to_owned(),
        code: f.code().to_owned(),
        message: f.to_string(),
    }
}

/// Fields that do not parse, as the orders interface's `error`.
pub fn invalid(fields: &[FieldError]) -> wit::Error {
    wit::Error::Invalid(fields.iter().map(field_error).collect())
}

fn mismatch(expected: Money, actual: Money) -> wit::MoneyMismatch {
    wit::MoneyMismatch {
        expected: money(expected),
        actual: money(actual),
    }
}

/// A refusal by the order rules as a `rule-error`. `OrderError::Field` is not a rule: it comes
/// back as the field error it is, for the caller to answer as `invalid`.
pub fn rule_error(e: OrderError) -> Result<wit::RuleError, FieldError> {
    use wit::RuleError as R;
    Ok(match e {
        OrderError::Field(field) => return Err(field),
        OrderError::InvalidTransition { from, to, command } => {
            R::InvalidTransition(wit::TransitionRefusal {
                from: order_status(from),
                to: to.map(order_status),
                command: command.as_str().to_owned(),
            })
        }
        OrderError::OnHold => R::OnHold,
        OrderError::HasProblems => R::HasProblems,
        OrderError::VersionMismatch { expected, actual } => {
            R::VersionMismatch(wit::VersionConflict { expected, actual })
        }
        OrderError::AlreadyInvoiced => R::AlreadyInvoiced,
        OrderError::TotalMismatch { computed, given } => {
            R::TotalMismatch(mismatch(computed, given))
        }
        OrderError::InvoiceValueMismatch { expected, given } => {
            R::InvoiceValueMismatch(mismatch(expected, given))
        }
        OrderError::InvoiceNumberConflict { number } => R::InvoiceNumberConflict(text(&number)),
        OrderError::NothingToInvoice => R::NothingToInvoice,
        OrderError::QuantityExceeded {
            sku,
            requested,
            available,
        } => R::QuantityExceeded(wit::QuantityExcess {
            sku: sku.as_str().to_owned(),
            requested,
            available,
        }),
        OrderError::UnknownSku { sku } => R::UnknownSku(sku.as_str().to_owned()),
        OrderError::DuplicateSku { sku } => R::DuplicateSku(sku.as_str().to_owned()),
        OrderError::UnitPriceDiffers { sku } => R::UnitPriceDiffers(sku.as_str().to_owned()),
        OrderError::NoItems => R::NoItems,
        OrderError::UnknownInvoice { number } => R::UnknownInvoice(text(&number)),
        OrderError::UnknownShipment { number } => R::UnknownShipment(text(&number)),
        OrderError::ShipmentConflict { number } => R::ShipmentConflict(text(&number)),
        OrderError::PaymentConflict { payment_id } => R::PaymentConflict(payment_id),
        OrderError::RequestIdReused { request_id } => R::RequestIdReused(request_id),
        OrderError::ManualApprovalNotAllowed { method } => R::ManualApprovalNotAllowed(
            PaymentMethod::parse(method).map_or(wit::PaymentMethod::CreditCard, payment_method),
        ),
        OrderError::PaymentNotExpired => R::PaymentNotExpired,
        OrderError::RefundExceedsPaid {
            requested,
            available,
        } => R::RefundExceedsPaid(mismatch(available, requested)),
        OrderError::DiscountTooLarge => R::DiscountTooLarge,
        OrderError::EmptyCommand => R::EmptyCommand,
        OrderError::NotOnHold => R::NotOnHold,
    })
}
