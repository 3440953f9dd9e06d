//! Benchmarks of the domain: placing and applying commands to a 50-item order, and computing the
//! next 100 cycles of a subscription. Run with `cargo bench -p orderflow-domain --bench domain`.
#![expect(clippy::unwrap_used, reason = "benchmark fixtures")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use orderflow_domain::fixtures;
use orderflow_domain::order::{
    Actor, Command, Context, InvoiceKind, NewInvoice, NewItem, NewPayment, NewShipment, Order,
    OrderChange, PaymentMethod, PaymentNotification, PaymentOutcome, PaymentWindows, PlaceOrder,
    Shipping, apply, place,
};
use orderflow_domain::values::{
    Channel, Currency, Money, OrderId, PaymentId, Quantity, RequestId, Sku, Text, Timestamp,
};

fn text(s: &str) -> Text {
    Text::parse(s, 200).unwrap()
}

fn placement() -> PlaceOrder {
    let items = (0..50)
        .map(|i| NewItem {
            sku: Sku::parse(&format!("SKU-{i:03}")).unwrap(),
            name: text(&format!("Product {i}")),
            quantity: Quantity::new(1 + i % 5).unwrap(),
            unit_price: Money::from_minor(1990 + i * 37),
            discount: Money::from_minor(i * 3),
        })
        .collect();
    PlaceOrder {
        channel: Channel::parse("storefront").unwrap(),
        external_id: None,
        currency: Currency::BRL,
        customer: fixtures::customer().unwrap(),
        shipping_address: fixtures::address().unwrap(),
        billing_address: None,
        items,
        shipping: Shipping {
            method: text("PAC"),
            carrier: None,
            price: Money::from_minor(1500),
        },
        payment: NewPayment {
            method: PaymentMethod::Pix,
            due_at: None,
        },
        subscription: None,
        expected_total: None,
        stock_location: None,
    }
}

fn ctx() -> Context {
    Context::new(
        Timestamp::parse("2026-11-01T12:00:00Z").unwrap(),
        Actor::Admin,
    )
}

fn placed() -> Order {
    let id = OrderId::parse("o-1").unwrap();
    place(placement(), id, 1, &PaymentWindows::default(), &ctx())
        .unwrap()
        .order
}

fn approve(total: Money) -> Command {
    Command::PaymentNotification(PaymentNotification {
        payment_id: PaymentId::parse("pay-1").unwrap(),
        outcome: PaymentOutcome::Approved,
        amount: total,
        method: PaymentMethod::Pix,
        occurred_at: ctx().now,
    })
}

fn orders(c: &mut Criterion) {
    let pending = placed();
    let total = pending.totals().total;
    let approved = apply(&pending, &approve(total), &ctx()).unwrap().order;
    let invoice = Command::AddInvoice(NewInvoice {
        kind: InvoiceKind::Output,
        number: text("NF-1"),
        series: None,
        key: None,
        value: total,
        issued_at: ctx().now,
        url: None,
        items: None,
        tracking: None,
    });
    let invoiced = apply(&approved, &invoice, &ctx()).unwrap().order;
    let shipment = Command::AddShipment(NewShipment {
        invoice_number: text("NF-1"),
        carrier: text("Correios"),
        title: None,
        number: text("TRK-1"),
        url: None,
        notify_customer: true,
    });
    let change = Command::Change(OrderChange {
        request_id: RequestId::parse("chg-1").unwrap(),
        reason: text("customer asked"),
        add: Vec::new(),
        remove: Vec::new(),
        prices: Vec::new(),
        discount: Money::from_minor(500),
        increment: Money::ZERO,
    });

    let mut group = c.benchmark_group("order-50-items");
    group.bench_function("place", |b| {
        b.iter(|| {
            let id = OrderId::parse("o-1").unwrap();
            place(
                black_box(placement()),
                id,
                1,
                &PaymentWindows::default(),
                &ctx(),
            )
            .unwrap()
        })
    });
    group.bench_function("approve-payment", |b| {
        b.iter(|| apply(black_box(&pending), &approve(total), &ctx()).unwrap())
    });
    group.bench_function("invoice-everything", |b| {
        b.iter(|| apply(black_box(&approved), &invoice, &ctx()).unwrap())
    });
    group.bench_function("add-shipment", |b| {
        b.iter(|| apply(black_box(&invoiced), &shipment, &ctx()).unwrap())
    });
    group.bench_function("change-discount", |b| {
        b.iter(|| apply(black_box(&approved), &change, &ctx()).unwrap())
    });
    group.bench_function("replayed-payment", |b| {
        b.iter(|| apply(black_box(&approved), &approve(total), &ctx()).unwrap())
    });
    group.bench_function("json-round-trip", |b| {
        b.iter(|| {
            let text = serde_json::to_vec(black_box(&invoiced)).unwrap();
            serde_json::from_slice::<Order>(&text).unwrap()
        })
    });
    group.finish();
}

fn subscriptions(c: &mut Criterion) {
    use chrono::TimeDelta;
    use orderflow_domain::subscription::{
        CatchUpPolicy, NewOrderTemplate, NewSubscription, OrderTemplate, PurchaseDay, Recurrence,
        Schedule, Subscription, SubscriptionPayment, TimeZone, Unit, due,
    };
    use orderflow_domain::values::SubscriptionId;

    let start = Timestamp::parse("2025-01-31T12:00:00Z").unwrap();
    let sao_paulo = TimeZone::parse("America/Sao_Paulo").unwrap();
    let recurrence = |schedule: Schedule, day: Option<u8>| {
        let day = day.map(|d| PurchaseDay::new(d).unwrap());
        Recurrence::new(schedule, day, sao_paulo, start).unwrap()
    };
    let monthly = recurrence(Schedule::every(1, Unit::Month).unwrap(), None);
    let fortnightly = recurrence(Schedule::every(2, Unit::Week).unwrap(), Some(3));
    let cron = recurrence(Schedule::cron("0 0 9 * * MON,THU").unwrap(), None);

    let mut group = c.benchmark_group("subscription");
    for (name, recurrence) in [
        ("next-100-cycles/monthly", &monthly),
        ("next-100-cycles/fortnightly-purchase-day", &fortnightly),
        ("next-100-cycles/cron", &cron),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(recurrence).occurrences().take(100).count())
        });
    }

    let p = placement();
    let order = OrderTemplate::new(NewOrderTemplate {
        channel: p.channel,
        currency: p.currency,
        customer: p.customer,
        shipping_address: p.shipping_address,
        billing_address: None,
        items: p.items,
        shipping: p.shipping,
        payment: SubscriptionPayment {
            method: PaymentMethod::Boleto,
        },
    })
    .unwrap();
    let subscription = Subscription::new(NewSubscription {
        id: SubscriptionId::parse("s-1").unwrap(),
        plan_id: None,
        schedule: Schedule::every(1, Unit::Month).unwrap(),
        purchase_day: None,
        timezone: sao_paulo,
        start_at: start,
        end_at: None,
        max_cycles: None,
        order,
        now: start,
    })
    .unwrap();
    let policy = CatchUpPolicy::default();
    let on_time = Timestamp::parse("2025-01-31T12:00:01Z").unwrap();
    let ten_years_later = start.checked_add(TimeDelta::days(3653)).unwrap();
    group.bench_function("due/on-time", |b| {
        b.iter(|| due(black_box(&subscription), on_time, &policy))
    });
    group.bench_function("due/after-ten-years-down", |b| {
        b.iter(|| due(black_box(&subscription), ten_years_later, &policy))
    });
    group.bench_function("cycle-order/place", |b| {
        b.iter(|| {
            let id = OrderId::parse("o-1").unwrap();
            let input = black_box(&subscription).order_for(1);
            place(input, id, 1, &PaymentWindows::default(), &ctx()).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, orders, subscriptions);
criterion_main!(benches);
