//! Placing an order: the placement input, the payment windows, and the rules of a new order.

use chrono::TimeDelta;

use super::apply::{Applied, Context};
use super::error::OrderError;
use super::event::{Event, EventKind};
use super::model::{
    Address, Adjustments, Customer, HistoryEntry, Item, NewItem, Order, Payment, PaymentMethod,
    PaymentStatus, Shipping, SubscriptionRef, Totals,
};
use super::status::Status;
use crate::values::{Channel, Currency, ExternalId, LocationId, Money, OrderId, Timestamp};

/// How long pix and boleto payments stay open when the checkout sends no `payment.dueAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentWindows {
    /// Pix QR codes: one hour by default.
    pub pix: TimeDelta,
    /// Boletos: three days by default (a boleto paid on its due date takes up to two business
    /// days to be confirmed; stores that want more set `payment.dueAt`).
    pub boleto: TimeDelta,
}

impl Default for PaymentWindows {
    fn default() -> Self {
        PaymentWindows {
            pix: TimeDelta::hours(1),
            boleto: TimeDelta::days(3),
        }
    }
}

/// The payment part of a placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// How the customer pays.
    pub method: PaymentMethod,
    /// The deadline; defaults from [`PaymentWindows`] for pix and boleto.
    pub due_at: Option<Timestamp>,
}

/// Everything the checkout (or the subscription runner) sends to place an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    /// The sales channel.
    pub channel: Channel,
    /// The channel's own id, unique per channel.
    pub external_id: Option<ExternalId>,
    /// The currency of every amount.
    pub currency: Currency,
    /// The buyer.
    pub customer: Customer,
    /// Where it goes.
    pub shipping_address: Address,
    /// Where it is billed.
    pub billing_address: Option<Address>,
    /// At least one item, each SKU once.
    pub items: Vec<NewItem>,
    /// How it travels.
    pub shipping: Shipping,
    /// How it is paid.
    pub payment: NewPayment,
    /// The subscription cycle it comes from.
    pub subscription: Option<SubscriptionRef>,
    /// The total the client computed, if it sent one: it must match.
    pub expected_total: Option<Money>,
    /// The stock location to reserve tracked SKUs at (else the first with enough).
    pub stock_location: Option<LocationId>,
}

/// Places an order: validates the items, computes the totals and the payment deadline.
pub fn place(
    input: PlaceOrder,
    id: OrderId,
    number: u64,
    windows: &PaymentWindows,
    ctx: &Context,
) -> Result<Applied, OrderError> {
    check_items(&input.items)?;
    let items: Vec<Item> = input.items.into_iter().map(new_line).collect();
    let due_at = match (input.payment.due_at, input.payment.method) {
        (Some(due), _) => Some(due),
        (None, PaymentMethod::Pix) => ctx.now.checked_add(windows.pix),
        (None, PaymentMethod::Boleto) => ctx.now.checked_add(windows.boleto),
        (
            None,
            PaymentMethod::CreditCard | PaymentMethod::Deposit | PaymentMethod::BankTransfer,
        ) => None,
    };
    let mut order = Order {
        id,
        number,
        status: Status::PaymentPending,
        version: 1,
        channel: input.channel,
        external_id: input.external_id,
        currency: input.currency,
        customer: input.customer,
        shipping_address: input.shipping_address,
        billing_address: input.billing_address,
        items,
        shipping: input.shipping,
        payment: Payment {
            method: input.payment.method,
            status: PaymentStatus::Pending,
            due_at,
            transactions: Vec::new(),
        },
        adjustments: Adjustments::default(),
        totals: Totals::default(),
        invoices: Vec::new(),
        shipments: Vec::new(),
        refunds: Vec::new(),
        changes: Vec::new(),
        comments: Vec::new(),
        notifications: Vec::new(),
        problems: Vec::new(),
        hold: None,
        cancellation: None,
        subscription: input.subscription,
        stock_location: input.stock_location,
        history: vec![HistoryEntry {
            at: ctx.now,
            from: None,
            to: Status::PaymentPending,
            event: EventKind::OrderPlaced,
            actor: ctx.actor,
            operator: ctx.operator.clone(),
        }],
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    order.recompute()?;
    if let Some(given) = input.expected_total
        && given != order.totals.total
    {
        return Err(OrderError::TotalMismatch {
            computed: order.totals.total,
            given,
        });
    }
    let events = vec![Event::OrderPlaced {
        number,
        total: order.totals.total,
    }];
    Ok(Applied {
        order,
        events,
        changed: true,
    })
}

/// The item rules of a placement (and of a subscription's template): at least one item, each SKU
/// once, each line discount within the line's gross value.
pub fn check_items(items: &[NewItem]) -> Result<(), OrderError> {
    if items.is_empty() {
        return Err(OrderError::NoItems);
    }
    for (index, new) in items.iter().enumerate() {
        if items[..index].iter().any(|other| other.sku == new.sku) {
            return Err(OrderError::DuplicateSku {
                sku: new.sku.clone(),
            });
        }
        if new.discount > new.unit_price.checked_mul(new.quantity.get())? {
            return Err(OrderError::DiscountTooLarge);
        }
    }
    Ok(())
}

/// A new line, nothing invoiced or returned yet.
pub(super) fn new_line(new: NewItem) -> Item {
    Item {
        sku: new.sku,
        name: new.name,
        quantity: new.quantity,
        unit_price: new.unit_price,
        discount: new.discount,
        invoiced: 0,
        returned: 0,
    }
}
