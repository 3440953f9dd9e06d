//! The WIT records of `orderflow:core/subscriptions` as the camelCase JSON of openapi.yaml (`Plan`,
//! `Subscription`, `Cycle`, `PassReport`): enums kebab-case, timestamps as the service gives them
//! (RFC 3339 UTC), money as integers, optional values as `null`.

use http_common::render::{address, customer};
use http_common::{names, types::NewItem};
use serde_json::{Value, json};

use crate::subs::{
    Cycle, CycleStatus, PassReport, Plan, Schedule, Stats, Subscription, SubscriptionStatus,
    TestClock, TestClockStatus, Unit,
};

/// The wire name of a subscription status.
pub fn status(status: SubscriptionStatus) -> &'static str {
    match status {
        SubscriptionStatus::Active => "active",
        SubscriptionStatus::Paused => "paused",
        SubscriptionStatus::Canceled => "canceled",
        SubscriptionStatus::Finished => "finished",
    }
}

/// The wire name of a cycle status.
fn cycle_status(status: CycleStatus) -> &'static str {
    match status {
        CycleStatus::Created => "created",
        CycleStatus::Skipped => "skipped",
        CycleStatus::Failed => "failed",
        CycleStatus::Missed => "missed",
    }
}

/// The wire name of an interval unit.
pub fn unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Day => "day",
        Unit::Week => "week",
        Unit::Month => "month",
        Unit::Year => "year",
    }
}

/// `{every, unit}` or `{cron}`.
fn schedule(schedule: &Schedule) -> Value {
    match schedule {
        Schedule::Every(interval) => json!({"every": interval.every, "unit": unit(interval.unit)}),
        Schedule::Cron(expression) => json!({"cron": expression}),
    }
}

fn item(item: &NewItem) -> Value {
    json!({
        "sku": item.sku,
        "name": item.name,
        "quantity": item.quantity,
        "unitPrice": item.unit_price,
        "discount": item.discount,
    })
}

/// A plan.
pub fn plan(plan: &Plan) -> Value {
    json!({
        "id": plan.id,
        "name": plan.name,
        "schedule": schedule(&plan.schedule),
        "purchaseDay": plan.purchase_day,
        "timezone": plan.timezone,
        "maxCycles": plan.max_cycles,
        "createdAt": plan.created_at,
    })
}

/// A subscription, with the order template's parts at the top level as openapi.yaml shows them.
pub fn subscription(sub: &Subscription) -> Value {
    let order = &sub.order;
    json!({
        "id": sub.id,
        "planId": sub.plan_id,
        "status": status(sub.status),
        "pauseReason": sub.pause_reason,
        "cancelReason": sub.cancel_reason,
        "channel": order.channel,
        "currency": order.currency,
        "customer": customer(&order.customer),
        "shippingAddress": address(&order.shipping_address),
        "billingAddress": order.billing_address.as_ref().map(address),
        "items": order.items.iter().map(item).collect::<Vec<_>>(),
        "shipping": {
            "method": order.shipping.method,
            "carrier": order.shipping.carrier,
            "price": order.shipping.price,
        },
        "payment": {"method": names::payment_method(order.payment_method)},
        "schedule": schedule(&sub.schedule),
        "purchaseDay": sub.purchase_day,
        "timezone": sub.timezone,
        "startAt": sub.start_at,
        "endAt": sub.end_at,
        "maxCycles": sub.max_cycles,
        "nextRunAt": sub.next_run_at,
        "nextCycle": sub.next_cycle,
        "cycleCount": sub.cycle_count,
        "attempts": sub.attempts,
        "lastError": sub.last_error,
        "skippedCycles": sub.skipped_cycles,
        "paymentCheck": sub.payment_check.as_ref().map(|c| json!({
            "cycle": c.cycle,
            "attempt": c.attempt,
            "maxAttempts": c.max_attempts,
            "orderId": c.order_id,
            "checkAt": c.check_at,
            "lastFailure": c.last_failure,
        })),
        "version": sub.version,
        "createdAt": sub.created_at,
        "updatedAt": sub.updated_at,
        "testClock": sub.test_clock,
    })
}

/// A test clock: Stripe's `{id, name, frozenTime, status, createdAt}`.
pub fn test_clock(clock: &TestClock) -> Value {
    json!({
        "id": clock.id,
        "name": clock.name,
        "frozenTime": clock.frozen_time,
        "status": match clock.status {
            TestClockStatus::Ready => "ready",
            TestClockStatus::Advancing => "advancing",
        },
        "createdAt": clock.created_at,
    })
}

/// What an advance did: its passes' report, and the clock after it.
pub fn advanced(clock: &TestClock, report: &PassReport) -> Value {
    let mut value = pass_report(report);
    value["testClock"] = test_clock(clock);
    value
}

/// A cycle record.
pub fn cycle(cycle: &Cycle) -> Value {
    json!({
        "number": cycle.number,
        "through": cycle.through,
        "scheduledFor": cycle.scheduled_for,
        "status": cycle_status(cycle.status),
        "orderId": cycle.order_id,
        "attempts": cycle.attempts,
        "error": cycle.error,
    })
}

/// The dashboard counters.
pub fn stats(stats: &Stats) -> Value {
    json!({
        "active": stats.active,
        "paused": stats.paused,
        "canceled": stats.canceled,
        "finished": stats.finished,
        "dueNextDay": stats.due_next_day,
        "dueNextWeek": stats.due_next_week,
        "monthlyRecurringRevenue": stats
            .monthly_recurring_revenue
            .iter()
            .map(|r| json!({"currency": r.currency, "amount": r.amount}))
            .collect::<Vec<_>>(),
    })
}

/// What a pass did: `{due, created, skipped, failed, canceledUnpaid}` and the rest of
/// the report.
pub fn pass_report(report: &PassReport) -> Value {
    json!({
        "due": report.due,
        "created": report.created,
        "skipped": report.skipped,
        "failed": report.failed,
        "canceledUnpaid": report.canceled_unpaid,
        "missed": report.missed,
        "inProgress": report.in_progress,
        "paymentRetries": report.payment_retries,
        "pausedForPayment": report.paused_for_payment,
        "errors": report.errors,
    })
}

/// A page of items and its cursor.
pub fn page<T>(items: &[T], next_cursor: Option<&String>, f: fn(&T) -> Value) -> Value {
    json!({"items": items.iter().map(f).collect::<Vec<_>>(), "nextCursor": next_cursor})
}
