//! Domain values into the WIT records of `orderflow:core/subscriptions`, and every failure into
//! its documented `error` variant. The order parts are written by `orderflow_wit_types::render`.

use orderflow_domain::order::OrderError;
use orderflow_domain::subscription::{
    CycleStatus, Schedule, Subscription, SubscriptionError, SubscriptionStatus, Unit,
};
use orderflow_domain::values::{FieldError, Money};
use orderflow_wit_types::render::{
    self, address, customer, field_error, new_item, opt, payment_method, shipping, text, ts,
};
use orderflow_wit_types::types as wit;

use crate::bindings::exports::orderflow::core::subscriptions as ws;
use crate::clock::{ClockStatus, TestClock};
use crate::doc::{CycleRecord, Plan};
use crate::pass::PassReport;
use crate::service::{Error, Page, View};
use crate::stats::Stats;

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
        name: text(&p.name),
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

/// An order-rule refusal of a template (only the item rules can reach it from here). A field
/// error is not a rule: it becomes `invalid`.
fn order_error(e: OrderError) -> ws::Error {
    match render::rule_error(e) {
        Ok(rule) => ws::Error::Rejected(ws::RuleError::Order(rule)),
        Err(field) => invalid(&[field]),
    }
}

/// One outbox position.
pub(crate) fn outbox_position(
    (position, state): (u64, crate::outbox::OutboxState),
) -> ws::OutboxPosition {
    use crate::kv::outbox::State;
    let state = match state {
        State::Committed(entry) => ws::OutboxState::Committed(ws::OutboxEntry {
            subscription: subscription(&entry.subscription),
            from: entry.from.map(status),
            events: serde_json::to_string(&entry.events).unwrap_or_else(|_| "[]".to_owned()),
            at: orderflow_wit_types::render::ts(entry.at),
        }),
        State::Dead => ws::OutboxState::Dead,
        State::Pending => ws::OutboxState::Pending,
    };
    ws::OutboxPosition { position, state }
}
