//! [`Orders`] over the imported `orderflow:core/orders` interface: what a pass uses in a
//! component. Domain placements are rendered into WIT records here; the orders service parses
//! them back with its own rules.
//!
//! Only a component can call it (on a native build the imports are stubs); the pass logic is
//! tested with an in-memory [`Orders`] instead.

use orderflow_domain::order::{PlaceOrder, SubscriptionRef};
use orderflow_domain::values::{Channel, ExternalId, OrderId, TestClockId, Timestamp};

use orderflow_wit_types::render::{address, customer, new_item, payment_method, shipping};
use orderflow_wit_types::types as wit;

use crate::bindings::orderflow::core::orders as wo;
use crate::orders::{ClockTime, Orders, OrdersError, PaymentState, PlacedOrder};

/// The orders service, through its WIT import.
#[derive(Debug, Default, Clone, Copy)]
pub struct WitOrders;

impl Orders for WitOrders {
    fn place(
        &self,
        order: PlaceOrder,
        clock: Option<&ClockTime>,
    ) -> Result<PlacedOrder, OrdersError> {
        let input = place_order(&order);
        let written = match clock {
            Some(clock) => wo::place_on_clock(&input, clock.id.as_str(), &clock.now.to_rfc3339()),
            None => wo::place(&input, wit::Actor::System, None),
        }
        .map_err(failure)?;
        placed(&written.order)
    }

    fn find(
        &self,
        channel: &Channel,
        external_id: &ExternalId,
    ) -> Result<Option<PlacedOrder>, OrdersError> {
        match wo::find_by_external_id(channel.as_str(), external_id.as_str()).map_err(failure)? {
            Some(order) => placed(&order).map(Some),
            None => Ok(None),
        }
    }

    /// The orders service expires the unpaid pix and boleto orders of the pass's scope (live,
    /// or the test clock's own) from their index; a test clock's pass carries its frozen time.
    fn cancel_unpaid(
        &self,
        now: Timestamp,
        limit: u32,
        clock: Option<&TestClockId>,
    ) -> Result<u64, OrdersError> {
        wo::cancel_unpaid(&now.to_rfc3339(), limit, clock.map(TestClockId::as_str)).map_err(failure)
    }

    fn payment(&self, id: &OrderId) -> Result<Option<PaymentState>, OrdersError> {
        match wo::load(id.as_str()) {
            Ok(order) => Ok(Some(payment_state(&order))),
            Err(wit::Error::NotFound) => Ok(None),
            Err(e) => Err(failure(e)),
        }
    }
}

/// Where an order's payment stands: a cancellation says why it ended (only a denial is a failed
/// payment); otherwise the payment's status does.
fn payment_state(order: &wit::Order) -> PaymentState {
    if let Some(cancellation) = &order.cancellation {
        return match cancellation.cause {
            wit::CancelCause::PaymentDenied => PaymentState::Failed {
                reason: "payment denied".into(),
            },
            // An unpaid pix or boleto ends with its order (the pass that expires it says so);
            // it is not a payment to try again.
            wit::CancelCause::PaymentExpired | wit::CancelCause::Requested => PaymentState::Settled,
        };
    }
    match order.payment.status {
        wit::PaymentStatus::Approved | wit::PaymentStatus::Refunded => PaymentState::Settled,
        wit::PaymentStatus::Denied => PaymentState::Failed {
            reason: "payment denied".into(),
        },
        wit::PaymentStatus::Pending => PaymentState::Pending {
            due_at: order
                .payment
                .due_at
                .as_deref()
                .and_then(|due| Timestamp::parse(due).ok()),
        },
    }
}

fn placed(order: &wit::Order) -> Result<PlacedOrder, OrdersError> {
    OrderId::parse(&order.id)
        .map(|id| PlacedOrder { id })
        .map_err(|e| OrdersError::Unavailable(format!("the orders service answered id {e}")))
}

/// An error of the orders service: a refusal is a data problem, the rest is unavailability.
fn failure(e: wit::Error) -> OrdersError {
    match e {
        wit::Error::Invalid(fields) => OrdersError::Rejected {
            code: "invalid".into(),
            message: fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        },
        wit::Error::Rejected(rule) => OrdersError::Rejected {
            code: "rejected".into(),
            message: format!("{rule:?}"),
        },
        // Not a payment to retry: the cycle waits for stock and a manual retry.
        wit::Error::OutOfStock(short) => OrdersError::Rejected {
            code: "out-of-stock".into(),
            message: short
                .iter()
                .map(|s| format!("{} is out of stock ({} available)", s.sku, s.available))
                .collect::<Vec<_>>()
                .join("; "),
        },
        wit::Error::NotFound => OrdersError::Unavailable("order not found".into()),
        wit::Error::IdempotencyKeyReused => {
            OrdersError::Unavailable("idempotency key reused".into())
        }
        wit::Error::Contention => OrdersError::Unavailable("contention".into()),
        wit::Error::StoreUnavailable(message) => OrdersError::Unavailable(message),
    }
}

fn subscription_ref(r: &SubscriptionRef) -> wit::SubscriptionRef {
    wit::SubscriptionRef {
        id: r.id.as_str().to_owned(),
        cycle: r.cycle,
    }
}

/// A domain placement as the orders service's WIT input.
fn place_order(p: &PlaceOrder) -> wit::PlaceOrder {
    wit::PlaceOrder {
        channel: Some(p.channel.as_str().to_owned()),
        external_id: p.external_id.as_ref().map(|e| e.as_str().to_owned()),
        currency: Some(p.currency.as_str().to_owned()),
        customer: customer(&p.customer),
        shipping_address: address(&p.shipping_address),
        billing_address: p.billing_address.as_ref().map(address),
        items: p.items.iter().map(new_item).collect(),
        shipping: shipping(&p.shipping),
        payment: wit::NewPayment {
            method: payment_method(p.payment.method),
            due_at: p.payment.due_at.map(Timestamp::to_rfc3339),
        },
        subscription: p.subscription.as_ref().map(subscription_ref),
        expected_total: p.expected_total.map(|m| m.minor()),
        stock_location: p.stock_location.as_ref().map(|l| l.as_str().to_owned()),
    }
}
