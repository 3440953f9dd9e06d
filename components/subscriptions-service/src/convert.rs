//! WIT inputs of `orderflow:core/subscriptions` into domain values: parse, don't validate. Every
//! bad field is collected as a [`FieldError`] with its camelCase JSON path. A subscription's
//! order is read as the orders service reads a placement, by `orderflow_wit_types::parse`.

use orderflow_domain::subscription::{
    Command, NewOrderTemplate, NewSubscription, OrderTemplate, OrderTemplateEdit,
    PaymentRetryPolicy, PurchaseDay, Schedule, ScheduleEdit, SubscriptionPayment,
    SubscriptionStatus, TimeZone, Unit,
};
use orderflow_domain::values::{
    FieldError, Invalid, PlanId, SubscriptionId, TestClockId, Text, Timestamp,
};
use orderflow_wit_types::parse::{
    Fields, NAME_MAX, REASON_MAX, contact_edit, list, multiline, new_item, part, payment_method,
    place_order, shipping, timestamp,
};
use orderflow_wit_types::types as wit;

use crate::bindings::exports::orderflow::core::subscriptions as ws;
use crate::doc::Plan;
use crate::service::{Error, Filter, NewPlan, PageRequest};

/// The channel of subscription orders when none is given.
const DEFAULT_CHANNEL: &str = "subscriptions";

fn unit(unit: ws::Unit) -> Unit {
    match unit {
        ws::Unit::Day => Unit::Day,
        ws::Unit::Week => Unit::Week,
        ws::Unit::Month => Unit::Month,
        ws::Unit::Year => Unit::Year,
    }
}

/// A subscription status.
pub(crate) fn status(status: ws::SubscriptionStatus) -> SubscriptionStatus {
    match status {
        ws::SubscriptionStatus::Active => SubscriptionStatus::Active,
        ws::SubscriptionStatus::Paused => SubscriptionStatus::Paused,
        ws::SubscriptionStatus::Canceled => SubscriptionStatus::Canceled,
        ws::SubscriptionStatus::Finished => SubscriptionStatus::Finished,
    }
}

fn schedule(f: &mut Fields, s: &ws::Schedule) -> Option<Schedule> {
    let parsed = match s {
        ws::Schedule::Every(interval) => Schedule::every(interval.every, unit(interval.unit)),
        ws::Schedule::Cron(source) => Schedule::cron(source),
    };
    match parsed {
        Ok(schedule) => Some(schedule),
        Err(e) => {
            f.push(e.to_field_error());
            None
        }
    }
}

fn purchase_day(f: &mut Fields, day: Option<u8>) -> Option<Option<PurchaseDay>> {
    match day.map(PurchaseDay::new) {
        None => Some(None),
        Some(Ok(day)) => Some(Some(day)),
        Some(Err(e)) => {
            f.push(e.to_field_error());
            None
        }
    }
}

fn timezone(f: &mut Fields, name: &str) -> Option<TimeZone> {
    match TimeZone::parse(name) {
        Ok(tz) => Some(tz),
        Err(e) => {
            f.push(e.to_field_error());
            None
        }
    }
}

fn reason(f: &mut Fields, reason: Option<&str>) -> Option<Option<Text>> {
    f.optional(
        "reason",
        reason.filter(|r| !r.trim().is_empty()),
        multiline(REASON_MAX),
    )
}

/// An id from a path or a call.
pub(crate) fn subscription_id(id: &str) -> Result<SubscriptionId, Vec<FieldError>> {
    SubscriptionId::parse(id).map_err(|e| vec![e.at("id")])
}

/// A plan id from a path or a call.
pub(crate) fn plan_id(id: &str, field: &str) -> Result<PlanId, Vec<FieldError>> {
    PlanId::parse(id).map_err(|e| vec![e.at(field)])
}

/// A test clock id from a path or a call.
pub(crate) fn clock_id(id: &str, field: &str) -> Result<TestClockId, Vec<FieldError>> {
    TestClockId::parse(id).map_err(|e| vec![e.at(field)])
}

/// A test clock's name and frozen time.
pub(crate) fn new_test_clock(
    c: &ws::NewTestClock,
) -> Result<(Option<Text>, Timestamp), Vec<FieldError>> {
    let mut f = Fields::default();
    let name = f.optional("name", c.name.as_deref(), |n| Text::parse(n, 200));
    let frozen = timestamp(&mut f, "frozenTime", &c.frozen_time);
    let value = (|| Some((name?, frozen?)))();
    f.finish(value)
}

/// An instant from a call.
pub(crate) fn instant(at: &str, field: &str) -> Result<Timestamp, Vec<FieldError>> {
    Timestamp::parse(at).map_err(|e| vec![e.at(field)])
}

/// The longest interval between payment tries, in minutes: a week.
const MAX_RETRY_INTERVAL_MINUTES: u32 = 7 * 24 * 60;

/// A payment retry policy from the text of its two settings (`None`: not set): at most
/// [`PaymentRetryPolicy::MAX_ATTEMPTS`] tries, one minute to a week apart. A setting that does
/// not parse keeps the default's value, and a sentence says so.
pub(crate) fn payment_retry(
    attempts: Option<&str>,
    interval_minutes: Option<&str>,
) -> (PaymentRetryPolicy, Vec<String>) {
    let mut policy = PaymentRetryPolicy::default();
    let mut problems = Vec::new();
    let mut setting = |name: &str, text: Option<&str>, min: u32, max: u32, default: u32| {
        let Some(text) = text else {
            return default;
        };
        match text.trim().parse::<u32>() {
            Ok(value) if (min..=max).contains(&value) => value,
            Ok(_) | Err(_) => {
                problems.push(format!(
                    "{name} is {text:?}, not a whole number from {min} to {max}: using {default}"
                ));
                default
            }
        }
    };
    policy.attempts = setting(
        "payment_retry_attempts",
        attempts,
        0,
        PaymentRetryPolicy::MAX_ATTEMPTS,
        policy.attempts,
    );
    let default_minutes = u32::try_from(policy.interval.num_minutes()).unwrap_or(u32::MAX);
    let minutes = setting(
        "payment_retry_interval_minutes",
        interval_minutes,
        1,
        MAX_RETRY_INTERVAL_MINUTES,
        default_minutes,
    );
    policy.interval = chrono::TimeDelta::minutes(i64::from(minutes));
    (policy, problems)
}

/// A plan to create, with its id (given or generated).
pub(crate) fn new_plan(p: &ws::NewPlan, id: PlanId) -> Result<NewPlan, Vec<FieldError>> {
    let mut f = Fields::default();
    let name = f.take("name", Text::parse(&p.name, NAME_MAX));
    let schedule = schedule(&mut f, &p.schedule);
    let purchase_day = purchase_day(&mut f, p.purchase_day);
    let timezone = timezone(&mut f, &p.timezone);
    let value = (|| {
        Some(NewPlan {
            id,
            name: name?,
            schedule: schedule?,
            purchase_day: purchase_day?,
            timezone: timezone?,
            max_cycles: p.max_cycles,
        })
    })();
    f.finish(value)
}

/// A subscription to create: its id (given or generated), its plan if it names one (which
/// supplies what the input leaves out), and the creation instant.
pub(crate) fn new_subscription(
    s: &ws::NewSubscription,
    id: SubscriptionId,
    plan: Option<&Plan>,
    now: Timestamp,
) -> Result<NewSubscription, Error> {
    let mut f = Fields::default();
    let schedule = match (&s.schedule, plan) {
        (Some(given), _) => schedule(&mut f, given),
        (None, Some(plan)) => Some(plan.schedule.clone()),
        (None, None) => f.take("schedule", Err(Invalid::Required)),
    };
    let purchase_day = match (s.purchase_day, plan) {
        (None, Some(plan)) => Some(plan.purchase_day),
        (given, _) => purchase_day(&mut f, given),
    };
    let timezone = match (&s.timezone, plan) {
        (Some(name), _) => timezone(&mut f, name),
        (None, Some(plan)) => Some(plan.timezone),
        (None, None) => Some(TimeZone::UTC),
    };
    let start_at = timestamp(&mut f, "startAt", &s.start_at);
    let end_at = f.optional("endAt", s.end_at.as_deref(), Timestamp::parse);
    let max_cycles = s.max_cycles.or(plan.and_then(|p| p.max_cycles));
    // Each cycle's order, read as the orders service reads a placement: the same paths, rules
    // and defaults, but the subscription's own channel.
    let placement = wit::PlaceOrder {
        channel: Some(s.channel.as_deref().unwrap_or(DEFAULT_CHANNEL).to_owned()),
        external_id: None,
        currency: s.currency.clone(),
        customer: s.customer.clone(),
        shipping_address: s.shipping_address.clone(),
        billing_address: s.billing_address.clone(),
        items: s.items.clone(),
        shipping: s.shipping.clone(),
        payment: wit::NewPayment {
            method: s.payment_method,
            due_at: None,
        },
        subscription: None,
        expected_total: None,
        stock_location: None,
    };
    let template = f.merge(place_order(&placement)).map(|p| NewOrderTemplate {
        channel: p.channel,
        currency: p.currency,
        customer: p.customer,
        shipping_address: p.shipping_address,
        billing_address: p.billing_address,
        items: p.items,
        shipping: p.shipping,
        payment: SubscriptionPayment {
            method: p.payment.method,
        },
    });
    let value = (|| {
        Some(Parts {
            id,
            plan_id: plan.map(|p| p.id.clone()),
            schedule: schedule?,
            purchase_day: purchase_day?,
            timezone: timezone?,
            start_at: start_at?,
            end_at: end_at?,
            max_cycles,
            order: template?,
            now,
        })
    })();
    let parts = f.finish(value).map_err(Error::Invalid)?;
    // The item rules (no items, a SKU twice, a discount over its line), as at placement.
    // A field error among them is rendered as `invalid` (see `render::order_error`).
    let order = OrderTemplate::new(parts.order).map_err(|e| Error::Rejected(e.into()))?;
    Ok(NewSubscription {
        id: parts.id,
        plan_id: parts.plan_id,
        schedule: parts.schedule,
        purchase_day: parts.purchase_day,
        timezone: parts.timezone,
        start_at: parts.start_at,
        end_at: parts.end_at,
        max_cycles: parts.max_cycles,
        order,
        now: parts.now,
    })
}

/// A subscription's parts before the order rules have looked at its template.
struct Parts {
    id: SubscriptionId,
    plan_id: Option<PlanId>,
    schedule: Schedule,
    purchase_day: Option<PurchaseDay>,
    timezone: TimeZone,
    start_at: Timestamp,
    end_at: Option<Timestamp>,
    max_cycles: Option<u32>,
    order: NewOrderTemplate,
    now: Timestamp,
}

/// A person's command.
pub(crate) fn command(c: &ws::Command) -> Result<Command, Vec<FieldError>> {
    let mut f = Fields::default();
    let value = match c {
        ws::Command::Pause(why) => {
            reason(&mut f, why.as_deref()).map(|reason| Command::Pause { reason })
        }
        ws::Command::Resume => Some(Command::Resume),
        ws::Command::Cancel(why) => {
            reason(&mut f, why.as_deref()).map(|reason| Command::Cancel { reason })
        }
        ws::Command::SkipNext => Some(Command::SkipNext),
        ws::Command::EditSchedule(edit) => {
            let schedule = schedule(&mut f, &edit.schedule);
            let purchase_day = purchase_day(&mut f, edit.purchase_day);
            let timezone = timezone(&mut f, &edit.timezone);
            let anchor = timestamp(&mut f, "anchor", &edit.anchor);
            let end_at = f.optional("endAt", edit.end_at.as_deref(), Timestamp::parse);
            (|| {
                Some(Command::EditSchedule(ScheduleEdit {
                    schedule: schedule?,
                    purchase_day: purchase_day?,
                    timezone: timezone?,
                    anchor: anchor?,
                    end_at: end_at?,
                    max_cycles: edit.max_cycles,
                }))
            })()
        }
        ws::Command::EditOrder(edit) => {
            let (customer, shipping_address, billing_address) = contact_edit(
                &mut f,
                edit.customer.as_ref(),
                edit.shipping_address.as_ref(),
                edit.billing_address.as_ref(),
            );
            let items = part(
                &mut f,
                "items",
                edit.items.as_ref(),
                |f, at, items: &Vec<_>| list(f, at, items, new_item),
            );
            let shipping = part(&mut f, "shipping", edit.shipping.as_ref(), shipping);
            (|| {
                Some(Command::EditOrder(OrderTemplateEdit {
                    customer: customer?,
                    shipping_address: shipping_address?,
                    billing_address: billing_address?,
                    items: items?,
                    shipping: shipping?,
                    payment: edit.payment_method.map(|method| SubscriptionPayment {
                        method: payment_method(method),
                    }),
                }))
            })()
        }
    };
    f.finish(value)
}

/// A listing filter.
pub(crate) fn filter(filter: &ws::Filter) -> Result<Filter, Vec<FieldError>> {
    Ok(match filter {
        ws::Filter::All => Filter::All,
        ws::Filter::Status(s) => Filter::Status(status(*s)),
        ws::Filter::Customer(c) => Filter::Customer(c.clone()),
        ws::Filter::DueBefore(at) => Filter::DueBefore(instant(at, "dueBefore")?),
    })
}

/// A page request.
pub(crate) fn page(page: &ws::PageRequest) -> PageRequest {
    PageRequest {
        limit: page.limit,
        cursor: page.cursor.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render;
    use orderflow_domain::order::PaymentMethod;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn input() -> ws::NewSubscription {
        ws::NewSubscription {
            id: None,
            plan_id: None,
            schedule: Some(ws::Schedule::Every(ws::Interval {
                every: 1,
                unit: ws::Unit::Month,
            })),
            purchase_day: None,
            timezone: Some("America/Sao_Paulo".into()),
            start_at: "2025-01-31T12:00:00Z".into(),
            end_at: None,
            max_cycles: None,
            channel: None,
            currency: None,
            customer: wit::Customer {
                id: Some("c-17".into()),
                name: "Ana Souza".into(),
                email: "ana@example.com".into(),
                document: None,
                phone: None,
            },
            shipping_address: wit::Address {
                street: "Rua A".into(),
                number: "10".into(),
                complement: None,
                neighborhood: None,
                city: "São Paulo".into(),
                state: "SP".into(),
                postal_code: "01001000".into(),
                country: String::new(),
            },
            billing_address: None,
            items: vec![wit::NewItem {
                sku: "CAFE-500G".into(),
                name: "Café 500 g".into(),
                quantity: 1,
                unit_price: 3990,
                discount: 0,
            }],
            shipping: wit::Shipping {
                method: "PAC".into(),
                carrier: None,
                price: 1200,
            },
            payment_method: wit::PaymentMethod::Pix,
            test_clock: None,
        }
    }

    fn now() -> Result<Timestamp, Box<dyn std::error::Error>> {
        Ok(Timestamp::parse("2025-01-20T10:00:00Z")?)
    }

    #[test]
    fn a_subscription_input_becomes_a_subscription_and_renders_back() -> TestResult {
        let new = new_subscription(&input(), SubscriptionId::parse("s-1")?, None, now()?)?;
        let sub = orderflow_domain::subscription::Subscription::new(new)?;
        let rendered = render::subscription(&sub);
        assert_eq!(rendered.id, "s-1");
        assert_eq!(rendered.order.channel, "subscriptions");
        assert_eq!(rendered.order.currency, "BRL");
        assert_eq!(rendered.timezone, "America/Sao_Paulo");
        assert_eq!(
            rendered.next_run_at.as_deref(),
            Some("2025-01-31T12:00:00Z")
        );
        assert!(matches!(
            rendered.schedule,
            ws::Schedule::Every(ws::Interval {
                every: 1,
                unit: ws::Unit::Month
            })
        ));
        Ok(())
    }

    #[test]
    fn a_plan_supplies_what_the_subscription_leaves_out() -> TestResult {
        let plan = Plan {
            id: PlanId::parse("p-1")?,
            name: Text::parse("Ração quinzenal", 200)?,
            schedule: Schedule::every(2, Unit::Week)?,
            purchase_day: None,
            timezone: TimeZone::parse("Europe/Berlin")?,
            max_cycles: Some(6),
            created_at: now()?,
        };
        let mut bare = input();
        bare.schedule = None;
        bare.timezone = None;
        let new = new_subscription(&bare, SubscriptionId::parse("s-2")?, Some(&plan), now()?)?;
        assert_eq!(new.schedule, plan.schedule);
        assert_eq!(new.timezone, plan.timezone);
        assert_eq!(new.max_cycles, Some(6));
        assert_eq!(new.plan_id, Some(plan.id));
        Ok(())
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() -> TestResult {
        let mut bad = input();
        bad.schedule = None;
        bad.timezone = Some("Mars/Olympus".into());
        bad.start_at = "yesterday".into();
        bad.customer.email = "not-an-email".into();
        bad.items[0].sku = String::new();
        let Err(Error::Invalid(fields)) =
            new_subscription(&bad, SubscriptionId::parse("s-3")?, None, now()?)
        else {
            return Err("expected invalid fields".into());
        };
        let mut paths: Vec<&str> = fields.iter().map(|f| f.field()).collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            [
                "customer.email",
                "items[0].sku",
                "schedule",
                "startAt",
                "timezone"
            ]
        );
        Ok(())
    }

    #[test]
    fn a_template_the_order_rules_refuse_is_a_rule_error() -> TestResult {
        let mut twice = input();
        let item = twice.items[0].clone();
        twice.items.push(item);
        let refused = new_subscription(&twice, SubscriptionId::parse("s-4")?, None, now()?);
        let Err(e) = refused else {
            return Err("expected a refusal".into());
        };
        assert!(matches!(
            render::error(e),
            ws::Error::Rejected(ws::RuleError::Order(wit::RuleError::DuplicateSku(_)))
        ));
        Ok(())
    }

    fn command(c: &ws::Command) -> Result<Command, Error> {
        super::command(c).map_err(Error::Invalid)
    }

    #[test]
    fn commands_parse_with_their_reasons_and_edits() -> TestResult {
        assert_eq!(
            command(&ws::Command::Pause(Some("férias".into())))?,
            Command::Pause {
                reason: Some(Text::parse("férias", 200)?)
            }
        );
        assert_eq!(
            command(&ws::Command::Cancel(Some("  ".into())))?,
            Command::Cancel { reason: None }
        );
        let edit = command(&ws::Command::EditOrder(ws::OrderEdit {
            customer: None,
            shipping_address: None,
            billing_address: None,
            items: None,
            shipping: None,
            payment_method: Some(wit::PaymentMethod::Boleto),
        }))?;
        let Command::EditOrder(edit) = edit else {
            return Err("expected an order edit".into());
        };
        assert_eq!(edit.payment.map(|p| p.method), Some(PaymentMethod::Boleto));
        let bad = command(&ws::Command::EditSchedule(ws::ScheduleEdit {
            schedule: ws::Schedule::Cron("nope".into()),
            purchase_day: None,
            timezone: "UTC".into(),
            anchor: "2025-02-01T00:00:00Z".into(),
            end_at: None,
            max_cycles: None,
        }));
        let Err(Error::Invalid(fields)) = bad else {
            return Err("expected invalid fields".into());
        };
        assert_eq!(
            fields.iter().map(|f| f.field()).collect::<Vec<_>>(),
            ["schedule.cron"]
        );
        Ok(())
    }

    #[test]
    fn payment_retry_settings_parse_and_fall_back_to_the_default_with_a_sentence() {
        let (policy, problems) = payment_retry(None, None);
        assert_eq!((policy, problems.len()), (PaymentRetryPolicy::default(), 0));
        let (policy, problems) = payment_retry(Some(" 2 "), Some("30"));
        assert_eq!(
            (
                policy.attempts,
                policy.interval.num_minutes(),
                problems.len()
            ),
            (2, 30, 0)
        );
        let (policy, problems) = payment_retry(Some("21"), Some("0"));
        assert_eq!(policy, PaymentRetryPolicy::default());
        assert_eq!(
            problems,
            [
                "payment_retry_attempts is \"21\", not a whole number from 0 to 20: using 5",
                "payment_retry_interval_minutes is \"0\", not a whole number from 1 to 10080: \
                 using 180"
            ]
        );
    }
}
