//! Domain values into the WIT records of `orderflow:core/subscriptions`, and every failure into
//! its documented `error` variant.

use orderflow_domain::order::{
    Address, Customer, NewItem, OrderError, PaymentMethod, Shipping, Status,
};
use orderflow_domain::subscription::{
    CycleStatus, Schedule, Subscription, SubscriptionError, SubscriptionStatus, Unit,
};
use orderflow_domain::values::{FieldError, Money, Text, Timestamp};

use crate::bindings::exports::orderflow::core::subscriptions as ws;
use crate::bindings::orderflow::core::types as wit;
use crate::clock::{ClockStatus, TestClock};
use crate::doc::{CycleRecord, Plan};
use crate::pass::PassReport;
use crate::service::{Error, Page, View};
use crate::stats::Stats;

fn ts(t: Timestamp) -> String {
    t.to_rfc3339()
}

fn s(t: &Text) -> String {
    t.as_str().to_owned()
}

fn opt(t: Option<&Text>) -> Option<String> {
    t.map(s)
}

pub(crate) fn customer(c: &Customer) -> wit::Customer {
    wit::Customer {
        id: c.id.as_ref().map(|id| id.as_str().to_owned()),
        name: s(&c.name),
        email: c.email.as_str().to_owned(),
        document: c.document.as_ref().map(|d| d.as_str().to_owned()),
        phone: c.phone.as_ref().map(|p| p.as_str().to_owned()),
    }
}

pub(crate) fn address(a: &Address) -> wit::Address {
    wit::Address {
        street: s(&a.street),
        number: s(&a.number),
        complement: opt(a.complement.as_ref()),
        neighborhood: opt(a.neighborhood.as_ref()),
        city: s(&a.city),
        state: s(&a.state),
        postal_code: a.postal_code.as_str().to_owned(),
        country: a.country.as_str().to_owned(),
    }
}

pub(crate) fn new_item(i: &NewItem) -> wit::NewItem {
    wit::NewItem {
        sku: i.sku.as_str().to_owned(),
        name: s(&i.name),
        quantity: i.quantity.get(),
        unit_price: i.unit_price.minor(),
        discount: i.discount.minor(),
    }
}

pub(crate) fn shipping(sh: &Shipping) -> wit::Shipping {
    wit::Shipping {
        method: s(&sh.method),
        carrier: opt(sh.carrier.as_ref()),
        price: sh.price.minor(),
    }
}

pub(crate) fn payment_method(method: PaymentMethod) -> wit::PaymentMethod {
    match method {
        PaymentMethod::CreditCard => wit::PaymentMethod::CreditCard,
        PaymentMethod::Pix => wit::PaymentMethod::Pix,
        PaymentMethod::Boleto => wit::PaymentMethod::Boleto,
        PaymentMethod::Deposit => wit::PaymentMethod::Deposit,
        PaymentMethod::BankTransfer => wit::PaymentMethod::BankTransfer,
    }
}

fn unit(unit: Unit) -> ws::Unit {
    match unit {
        Unit::Day => ws::Unit::Day,
        Unit::Week => ws::Unit::Week,
        Unit::Month => ws::Unit::Month,
        Unit::Year => ws::Unit::Year,
    }
}

fn schedule(schedule: &Schedule) -> ws::Schedule {
    match schedule {
        Schedule::Every(interval) => ws::Schedule::Every(ws::Interval {
            every: interval.every(),
            unit: unit(interval.unit()),
        }),
        Schedule::Cron(cron) => ws::Schedule::Cron(cron.as_str().to_owned()),
    }
}

fn status(status: SubscriptionStatus) -> ws::SubscriptionStatus {
    match status {
        SubscriptionStatus::Active => ws::SubscriptionStatus::Active,
        SubscriptionStatus::Paused => ws::SubscriptionStatus::Paused,
        SubscriptionStatus::Canceled => ws::SubscriptionStatus::Canceled,
        SubscriptionStatus::Finished => ws::SubscriptionStatus::Finished,
    }
}

fn cycle_status(status: CycleStatus) -> ws::CycleStatus {
    match status {
        CycleStatus::Created => ws::CycleStatus::Created,
        CycleStatus::Skipped => ws::CycleStatus::Skipped,
        CycleStatus::Failed => ws::CycleStatus::Failed,
        CycleStatus::Missed => ws::CycleStatus::Missed,
    }
}

/// A plan.
pub(crate) fn plan(p: &Plan) -> ws::Plan {
    ws::Plan {
        id: p.id.as_str().to_owned(),
        name: s(&p.name),
        schedule: schedule(&p.schedule),
        purchase_day: p.purchase_day.map(|d| d.get()),
        timezone: p.timezone.name().to_owned(),
        max_cycles: p.max_cycles,
        created_at: ts(p.created_at),
    }
}

/// A subscription.
pub(crate) fn subscription(sub: &Subscription) -> ws::Subscription {
    let order = sub.order();
    ws::Subscription {
        id: sub.id().as_str().to_owned(),
        plan_id: sub.plan_id().map(|p| p.as_str().to_owned()),
        status: status(sub.status()),
        pause_reason: opt(sub.pause_reason()),
        cancel_reason: opt(sub.cancel_reason()),
        order: ws::OrderTemplate {
            channel: order.channel().as_str().to_owned(),
            currency: order.currency().as_str().to_owned(),
            customer: customer(order.customer()),
            shipping_address: address(order.shipping_address()),
            billing_address: order.billing_address().map(address),
            items: order.items().iter().map(new_item).collect(),
            shipping: shipping(order.shipping()),
            payment_method: payment_method(order.payment().method),
        },
        schedule: schedule(sub.schedule()),
        purchase_day: sub.purchase_day().map(|d| d.get()),
        timezone: sub.timezone().name().to_owned(),
        start_at: ts(sub.start_at()),
        end_at: sub.end_at().map(ts),
        max_cycles: sub.max_cycles(),
        next_run_at: sub.next_run_at().map(ts),
        next_cycle: sub.next_cycle(),
        cycle_count: sub.cycle_count(),
        attempts: sub.attempts(),
        last_error: opt(sub.last_error()),
        skipped_cycles: sub.skipped_cycles().iter().copied().collect(),
        payment_check: sub.payment_check().map(|c| ws::PaymentCheck {
            cycle: c.cycle,
            attempt: c.attempt,
            max_attempts: c.max_attempts,
            order_id: c.order_id.as_str().to_owned(),
            check_at: ts(c.check_at),
            last_failure: opt(c.last_failure.as_ref()),
        }),
        version: sub.version(),
        created_at: ts(sub.created_at()),
        updated_at: ts(sub.updated_at()),
        test_clock: None,
    }
}

/// A cycle record.
pub(crate) fn cycle(c: &CycleRecord) -> ws::Cycle {
    ws::Cycle {
        number: c.number,
        through: c.through,
        scheduled_for: ts(c.scheduled_for),
        status: cycle_status(c.status),
        order_id: c.order_id.as_ref().map(|o| o.as_str().to_owned()),
        attempts: c.attempts,
        error: opt(c.error.as_ref()),
    }
}

/// A subscription with its test clock.
pub(crate) fn view(v: &View) -> ws::Subscription {
    ws::Subscription {
        test_clock: v.test_clock.as_ref().map(|c| c.as_str().to_owned()),
        ..subscription(&v.subscription)
    }
}

/// A test clock.
pub(crate) fn test_clock(c: &TestClock) -> ws::TestClock {
    ws::TestClock {
        id: c.id.as_str().to_owned(),
        name: opt(c.name.as_ref()),
        frozen_time: ts(c.frozen_time),
        status: match c.status {
            ClockStatus::Ready => ws::TestClockStatus::Ready,
            ClockStatus::Advancing => ws::TestClockStatus::Advancing,
        },
        created_at: ts(c.created_at),
    }
}

/// A page of subscriptions.
pub(crate) fn subscription_page(p: &Page<View>) -> ws::SubscriptionPage {
    ws::SubscriptionPage {
        items: p.items.iter().map(view).collect(),
        next_cursor: p.next_cursor.clone(),
    }
}

/// A page of plans.
pub(crate) fn plan_page(p: &Page<Plan>) -> ws::PlanPage {
    ws::PlanPage {
        items: p.items.iter().map(plan).collect(),
        next_cursor: p.next_cursor.clone(),
    }
}

/// A page of cycles.
pub(crate) fn cycle_page(p: &Page<CycleRecord>) -> ws::CyclePage {
    ws::CyclePage {
        items: p.items.iter().map(cycle).collect(),
        next_cursor: p.next_cursor.clone(),
    }
}

/// The dashboard counters.
pub(crate) fn stats(st: &Stats) -> ws::Stats {
    ws::Stats {
        active: st.active,
        paused: st.paused,
        canceled: st.canceled,
        finished: st.finished,
        due_next_day: st.due_next_day,
        due_next_week: st.due_next_week,
        monthly_recurring_revenue: st
            .monthly_recurring_revenue
            .iter()
            .map(|(currency, amount)| ws::Revenue {
                currency: currency.as_str().to_owned(),
                amount: Money::minor(*amount),
            })
            .collect(),
    }
}

/// What a pass did.
pub(crate) fn pass_report(r: &PassReport) -> ws::PassReport {
    ws::PassReport {
        due: r.due,
        created: r.created,
        skipped: r.skipped,
        failed: r.failed,
        canceled_unpaid: r.canceled_unpaid,
        missed: r.missed,
        in_progress: r.in_progress,
        payment_retries: r.payment_retries,
        paused_for_payment: r.paused_for_payment,
        errors: r.errors.clone(),
    }
}

fn field_error(f: &FieldError) -> wit::FieldError {
    wit::FieldError {
        field: f.field().to_owned(),
        code: f.code().to_owned(),
        message: f.to_string(),
    }
}

/// Fields that do not parse.
pub(crate) fn invalid(fields: &[FieldError]) -> ws::Error {
    ws::Error::Invalid(fields.iter().map(field_error).collect())
}

/// A failure of the service.
pub(crate) fn error(e: Error) -> ws::Error {
    match e {
        Error::NotFound => ws::Error::NotFound,
        Error::PlanNotFound => ws::Error::PlanNotFound,
        Error::AlreadyExists => ws::Error::AlreadyExists,
        Error::Rejected(rule) => rule_error(rule),
        Error::VersionMismatch { expected, actual } => {
            ws::Error::VersionMismatch(wit::VersionConflict { expected, actual })
        }
        Error::Invalid(fields) => invalid(&fields),
        Error::ClockNotFound => ws::Error::TestClockNotFound,
        Error::ClockBackwards(at) => ws::Error::TestClockBackwards(ts(at)),
        Error::ClockFull(max) => ws::Error::TestClockFull(max),
        Error::IdempotencyKeyReused => ws::Error::IdempotencyKeyReused,
        Error::IdempotencyKeyInUse => ws::Error::IdempotencyKeyInUse,
        Error::Contention => ws::Error::Contention,
        Error::Store(message) => ws::Error::StoreUnavailable(message),
    }
}

/// A refusal by the subscription rules.
fn rule_error(e: SubscriptionError) -> ws::Error {
    use ws::RuleError as R;
    let rule = match e {
        SubscriptionError::InvalidTransition { from, to, command } => {
            R::InvalidTransition(ws::TransitionRefusal {
                from: status(from),
                to: to.map(status),
                command: command.to_owned(),
            })
        }
        SubscriptionError::CycleNotPending { number, .. } => R::CycleNotPending(number),
        SubscriptionError::NoCycleToSkip => R::NoCycleToSkip,
        SubscriptionError::TooManySkips { max } => {
            R::TooManySkips(u32::try_from(max).unwrap_or(u32::MAX))
        }
        SubscriptionError::NoCycles => R::NoCycles,
        SubscriptionError::AnchorInThePast { .. } => R::AnchorInThePast,
        SubscriptionError::Schedule(e) => R::Schedule(field_error(&e.to_field_error())),
        SubscriptionError::Order(e) => return order_error(e),
        // Only a pass takes payment steps; a stale one lost a race.
        SubscriptionError::PaymentCheckStale { .. } => return ws::Error::Contention,
    };
    ws::Error::Rejected(rule)
}

fn order_status(status: Status) -> wit::OrderStatus {
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

fn mismatch(expected: Money, actual: Money) -> wit::MoneyMismatch {
    wit::MoneyMismatch {
        expected: expected.minor(),
        actual: actual.minor(),
    }
}

/// An order-rule refusal of a template (copied from the orders service's `render::rule_error`;
/// only the item rules can reach it from here, but the match stays exhaustive). A field error is
/// not a rule: it becomes `invalid`.
fn order_error(e: OrderError) -> ws::Error {
    use wit::RuleError as R;
    let rule = match e {
        OrderError::Field(field) => return invalid(&[field]),
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
        OrderError::InvoiceNumberConflict { number } => R::InvoiceNumberConflict(s(&number)),
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
        OrderError::UnknownInvoice { number } => R::UnknownInvoice(s(&number)),
        OrderError::UnknownShipment { number } => R::UnknownShipment(s(&number)),
        OrderError::ShipmentConflict { number } => R::ShipmentConflict(s(&number)),
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
    };
    ws::Error::Rejected(ws::RuleError::Order(rule))
}
