//! What each cycle's order is made of: the buyer, where it goes, what is bought, how it travels
//! and how it is paid. A subscription keeps one [`OrderTemplate`]; every due cycle becomes
//! [`OrderTemplate::order_for`] — a [`PlaceOrder`] that goes through the same
//! [`crate::order::place`] as a checkout order, so no order rule is decided twice.

use serde::{Deserialize, Serialize};

use crate::order::{
    Address, Customer, NewItem, NewPayment, OrderError, PaymentMethod, PlaceOrder, Shipping,
    SubscriptionRef, check_items,
};
use crate::values::{Channel, Currency, SubscriptionId};

/// How a subscription's orders are paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionPayment {
    /// The method each cycle's order is placed with.
    pub method: PaymentMethod,
}

/// The order data of a subscription. Built with [`OrderTemplate::new`], which applies the same
/// item rules as placing an order (at least one item, each SKU once, discounts within the line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderTemplate {
    channel: Channel,
    currency: Currency,
    customer: Customer,
    shipping_address: Address,
    billing_address: Option<Address>,
    items: Vec<NewItem>,
    shipping: Shipping,
    payment: SubscriptionPayment,
}

/// The parts of an order template, as a person or the checkout sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderTemplate {
    /// The sales channel the orders are placed in.
    pub channel: Channel,
    /// The currency of every amount.
    pub currency: Currency,
    /// The buyer.
    pub customer: Customer,
    /// Where each order goes.
    pub shipping_address: Address,
    /// Where each order is billed.
    pub billing_address: Option<Address>,
    /// What each order contains.
    pub items: Vec<NewItem>,
    /// How each order travels.
    pub shipping: Shipping,
    /// How each order is paid.
    pub payment: SubscriptionPayment,
}

/// A change to the template; absent parts stay as they are. Applies from the next cycle on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderTemplateEdit {
    /// New buyer data.
    pub customer: Option<Customer>,
    /// New shipping address.
    pub shipping_address: Option<Address>,
    /// New billing address.
    pub billing_address: Option<Address>,
    /// New items (the whole list).
    pub items: Option<Vec<NewItem>>,
    /// New shipping.
    pub shipping: Option<Shipping>,
    /// New payment method.
    pub payment: Option<SubscriptionPayment>,
}

impl OrderTemplate {
    /// A template, refused with the order's own errors when its items would be refused at
    /// placement.
    pub fn new(new: NewOrderTemplate) -> Result<OrderTemplate, OrderError> {
        check_items(&new.items)?;
        Ok(OrderTemplate::as_stored(new))
    }

    /// A template read back from storage, its item rules checked when it was made.
    pub(super) fn as_stored(parts: NewOrderTemplate) -> OrderTemplate {
        OrderTemplate {
            channel: parts.channel,
            currency: parts.currency,
            customer: parts.customer,
            shipping_address: parts.shipping_address,
            billing_address: parts.billing_address,
            items: parts.items,
            shipping: parts.shipping,
            payment: parts.payment,
        }
    }

    /// The template with `edit` applied, checked like a new one.
    pub fn edited(&self, edit: &OrderTemplateEdit) -> Result<OrderTemplate, OrderError> {
        if edit == &OrderTemplateEdit::default() {
            return Err(OrderError::EmptyCommand);
        }
        OrderTemplate::new(NewOrderTemplate {
            channel: self.channel.clone(),
            currency: self.currency,
            customer: edit
                .customer
                .clone()
                .unwrap_or_else(|| self.customer.clone()),
            shipping_address: edit
                .shipping_address
                .clone()
                .unwrap_or_else(|| self.shipping_address.clone()),
            billing_address: edit
                .billing_address
                .clone()
                .or_else(|| self.billing_address.clone()),
            items: edit.items.clone().unwrap_or_else(|| self.items.clone()),
            shipping: edit
                .shipping
                .clone()
                .unwrap_or_else(|| self.shipping.clone()),
            payment: edit.payment.clone().unwrap_or_else(|| self.payment.clone()),
        })
    }

    /// The placement for cycle `cycle` of subscription `id`. The payment deadline comes from the
    /// store's payment windows at placement, as for any order.
    pub fn order_for(&self, id: &SubscriptionId, cycle: u32) -> PlaceOrder {
        PlaceOrder {
            channel: self.channel.clone(),
            external_id: None,
            currency: self.currency,
            customer: self.customer.clone(),
            shipping_address: self.shipping_address.clone(),
            billing_address: self.billing_address.clone(),
            items: self.items.clone(),
            shipping: self.shipping.clone(),
            payment: NewPayment {
                method: self.payment.method,
                due_at: None,
            },
            subscription: Some(SubscriptionRef {
                id: id.clone(),
                cycle,
                test_clock: None,
            }),
            expected_total: None,
            stock_location: None,
        }
    }

    /// The buyer.
    pub fn customer(&self) -> &Customer {
        &self.customer
    }

    /// Where each order goes.
    pub fn shipping_address(&self) -> &Address {
        &self.shipping_address
    }

    /// Where each order is billed.
    pub fn billing_address(&self) -> Option<&Address> {
        self.billing_address.as_ref()
    }

    /// What each order contains.
    pub fn items(&self) -> &[NewItem] {
        &self.items
    }

    /// How each order travels.
    pub fn shipping(&self) -> &Shipping {
        &self.shipping
    }

    /// How each order is paid.
    pub fn payment(&self) -> &SubscriptionPayment {
        &self.payment
    }

    /// The sales channel.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
}

/// A template for tests: one coffee bag a month to São Paulo, paid by pix.
#[cfg(test)]
pub(crate) fn sample() -> OrderTemplate {
    use crate::fixtures;
    use crate::values::{Money, Quantity, Sku, Text};
    let text = |s: &str| Text::parse(s, 200).unwrap();
    OrderTemplate::new(NewOrderTemplate {
        channel: Channel::parse("subscriptions").unwrap(),
        currency: Currency::BRL,
        customer: fixtures::customer().unwrap(),
        shipping_address: fixtures::address().unwrap(),
        billing_address: None,
        items: vec![NewItem {
            sku: Sku::parse("CAFE-500G").unwrap(),
            name: text("Café 500 g"),
            quantity: Quantity::ONE,
            unit_price: Money::from_minor(3990),
            discount: Money::ZERO,
        }],
        shipping: Shipping {
            method: text("PAC"),
            carrier: None,
            price: Money::from_minor(1200),
        },
        payment: SubscriptionPayment {
            method: PaymentMethod::Pix,
        },
    })
    .unwrap()
}
