//! The serialized shape of a [`Subscription`]: one flat JSON object, the recurrence's and the
//! order template's fields side by side with the subscription's own.
//!
//! Written out field by field rather than with `#[serde(flatten)]`, which buffers the whole
//! object into an intermediate map before deserializing it (a runner pass reads every due
//! subscription, so that cost counted). The JSON is the same as the flattened one.

use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::schedule::TimeZone;
use super::template::{NewOrderTemplate, OrderTemplate, SubscriptionPayment};
use super::{PaymentCheck, PurchaseDay, Recurrence, Schedule, Subscription, SubscriptionStatus};
use crate::order::{Address, Customer, NewItem, Shipping};
use crate::values::{Channel, Currency, PlanId, SubscriptionId, Text, Timestamp};

/// Borrowed, for writing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct View<'a> {
    id: &'a SubscriptionId,
    plan_id: &'a Option<PlanId>,
    status: SubscriptionStatus,
    pause_reason: &'a Option<Text>,
    cancel_reason: &'a Option<Text>,
    schedule: &'a Schedule,
    purchase_day: Option<PurchaseDay>,
    timezone: TimeZone,
    anchor_at: Timestamp,
    start_at: Timestamp,
    end_at: Option<Timestamp>,
    max_cycles: Option<u32>,
    cycle_offset: u32,
    next_cycle: u32,
    next_cycle_at: Option<Timestamp>,
    attempts: u32,
    last_error: &'a Option<Text>,
    cycle_count: u32,
    skip: &'a BTreeSet<u32>,
    payment_check: &'a Option<PaymentCheck>,
    channel: &'a Channel,
    currency: Currency,
    customer: &'a Customer,
    shipping_address: &'a Address,
    billing_address: Option<&'a Address>,
    items: &'a [NewItem],
    shipping: &'a Shipping,
    payment: &'a SubscriptionPayment,
    version: u64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// Owned, for reading.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Repr {
    id: SubscriptionId,
    plan_id: Option<PlanId>,
    status: SubscriptionStatus,
    pause_reason: Option<Text>,
    cancel_reason: Option<Text>,
    schedule: Schedule,
    #[serde(default)]
    purchase_day: Option<PurchaseDay>,
    timezone: TimeZone,
    anchor_at: Timestamp,
    start_at: Timestamp,
    end_at: Option<Timestamp>,
    max_cycles: Option<u32>,
    cycle_offset: u32,
    next_cycle: u32,
    next_cycle_at: Option<Timestamp>,
    attempts: u32,
    last_error: Option<Text>,
    cycle_count: u32,
    skip: BTreeSet<u32>,
    #[serde(default)]
    payment_check: Option<PaymentCheck>,
    channel: Channel,
    currency: Currency,
    customer: Customer,
    shipping_address: Address,
    billing_address: Option<Address>,
    items: Vec<NewItem>,
    shipping: Shipping,
    payment: SubscriptionPayment,
    version: u64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl Serialize for Subscription {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (r, o) = (&self.recurrence, &self.order);
        View {
            id: &self.id,
            plan_id: &self.plan_id,
            status: self.status,
            pause_reason: &self.pause_reason,
            cancel_reason: &self.cancel_reason,
            schedule: r.schedule(),
            purchase_day: r.purchase_day(),
            timezone: r.timezone(),
            anchor_at: r.anchor(),
            start_at: self.start_at,
            end_at: self.end_at,
            max_cycles: self.max_cycles,
            cycle_offset: self.cycle_offset,
            next_cycle: self.next_cycle,
            next_cycle_at: self.next_cycle_at,
            attempts: self.attempts,
            last_error: &self.last_error,
            cycle_count: self.cycle_count,
            skip: &self.skip,
            payment_check: &self.payment_check,
            channel: o.channel(),
            currency: o.currency(),
            customer: o.customer(),
            shipping_address: o.shipping_address(),
            billing_address: o.billing_address(),
            items: o.items(),
            shipping: o.shipping(),
            payment: o.payment(),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Subscription {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = Repr::deserialize(deserializer)?;
        let recurrence = Recurrence::new(r.schedule, r.purchase_day, r.timezone, r.anchor_at)
            .map_err(serde::de::Error::custom)?;
        // As stored: the item rules were checked when the template was made or edited.
        let order = OrderTemplate::as_stored(NewOrderTemplate {
            channel: r.channel,
            currency: r.currency,
            customer: r.customer,
            shipping_address: r.shipping_address,
            billing_address: r.billing_address,
            items: r.items,
            shipping: r.shipping,
            payment: r.payment,
        });
        Ok(Subscription {
            id: r.id,
            plan_id: r.plan_id,
            status: r.status,
            pause_reason: r.pause_reason,
            cancel_reason: r.cancel_reason,
            recurrence,
            start_at: r.start_at,
            end_at: r.end_at,
            max_cycles: r.max_cycles,
            cycle_offset: r.cycle_offset,
            next_cycle: r.next_cycle,
            next_cycle_at: r.next_cycle_at,
            attempts: r.attempts,
            last_error: r.last_error,
            cycle_count: r.cycle_count,
            skip: r.skip,
            payment_check: r.payment_check,
            order,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
