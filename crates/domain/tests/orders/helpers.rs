//! Fixtures: a sample order driven into any status, and a valid command of any kind for it.

use chrono::TimeDelta;
use orderflow_domain::order::{
    Actor, Address, Applied, Command, CommandKind, Context, Customer, InvoiceKind, ItemQuantity,
    ManualPayment, NewComment, NewInvoice, NewItem, NewPayment, NewRefund, NewShipment,
    NewTrackingEvent, Order, OrderChange, OrderEdit, PaymentMethod, PaymentNotification,
    PaymentOutcome, PaymentWindows, PlaceOrder, SentNotification, Shipping, Status, TrackingStatus,
    apply, place,
};
use orderflow_domain::values::{
    Channel, Country, Currency, Email, Money, OrderId, PaymentId, PostalCode, Quantity, RequestId,
    Sku, Text, Timestamp,
};

/// When the sample order is placed.
pub(crate) fn t0() -> Timestamp {
    Timestamp::parse("2026-11-01T12:00:00Z").unwrap()
}

/// `t0` plus some minutes.
pub(crate) fn at(minutes: i64) -> Timestamp {
    t0().checked_add(TimeDelta::minutes(minutes)).unwrap()
}

pub(crate) fn text(s: &str) -> Text {
    Text::parse(s, 200).unwrap()
}

pub(crate) fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap()
}

pub(crate) fn qty(n: u32) -> Quantity {
    Quantity::new(i64::from(n)).unwrap()
}

pub(crate) fn money(minor: i64) -> Money {
    Money::from_minor(minor)
}

pub(crate) fn item(code: &str, quantity: u32, unit_price: i64, discount: i64) -> NewItem {
    NewItem {
        sku: sku(code),
        name: text(&format!("Product {code}")),
        quantity: qty(quantity),
        unit_price: money(unit_price),
        discount: money(discount),
    }
}

pub(crate) fn customer(name: &str) -> Customer {
    Customer {
        id: None,
        name: text(name),
        email: Email::parse("ana@example.com").unwrap(),
        document: None,
        phone: None,
    }
}

pub(crate) fn address() -> Address {
    Address {
        street: text("Rua A"),
        number: text("10"),
        complement: None,
        neighborhood: Some(text("Centro")),
        city: text("São Paulo"),
        state: text("SP"),
        postal_code: PostalCode::parse("01001000", true).unwrap(),
        country: Country::BRA,
    }
}

/// A placement with the given items and shipping price, paid by `method`.
pub(crate) fn placement(items: Vec<NewItem>, shipping: i64, method: PaymentMethod) -> PlaceOrder {
    PlaceOrder {
        channel: Channel::parse("storefront").unwrap(),
        external_id: None,
        currency: Currency::BRL,
        customer: customer("Ana Souza"),
        shipping_address: address(),
        billing_address: None,
        items,
        shipping: Shipping {
            method: text("PAC"),
            carrier: Some(text("Correios")),
            price: money(shipping),
        },
        payment: NewPayment {
            method,
            due_at: None,
        },
        subscription: None,
        expected_total: None,
        stock_location: None,
    }
}

/// Places an order at `t0`.
pub(crate) fn placed(input: PlaceOrder) -> Order {
    let ctx = Context::new(t0(), Actor::Checkout);
    place(
        input,
        OrderId::parse("o-1").unwrap(),
        1042,
        &PaymentWindows::default(),
        &ctx,
    )
    .unwrap()
    .order
}

/// The sample order: two lines (one with a line discount) and shipping, paid by pix.
/// Total 2×4990 + (10000 − 1000) + 1500 = 20480.
pub(crate) fn sample() -> Order {
    placed(placement(
        vec![item("CAM-P-AZ", 2, 4990, 0), item("CANECA", 1, 10000, 1000)],
        1500,
        PaymentMethod::Pix,
    ))
}

pub(crate) const SAMPLE_TOTAL: i64 = 20480;

pub(crate) fn ctx(minutes: i64, actor: Actor) -> Context {
    Context::new(at(minutes), actor)
}

/// Applies a command that must succeed and change the order.
pub(crate) fn run(order: &Order, command: Command, minutes: i64) -> Order {
    let applied = try_run(order, command.clone(), minutes)
        .unwrap_or_else(|e| panic!("{command:?} on {}: {e:?}", order.status()));
    assert!(applied.changed, "{command:?} changed nothing");
    applied.order
}

pub(crate) fn try_run(
    order: &Order,
    command: Command,
    minutes: i64,
) -> Result<Applied, orderflow_domain::order::OrderError> {
    apply(order, &command, &ctx(minutes, Actor::Admin))
}

pub(crate) fn payment(id: &str, outcome: PaymentOutcome, amount: i64, minutes: i64) -> Command {
    Command::PaymentNotification(PaymentNotification {
        payment_id: PaymentId::parse(id).unwrap(),
        outcome,
        amount: money(amount),
        method: PaymentMethod::Pix,
        occurred_at: at(minutes),
    })
}

pub(crate) fn invoice(
    kind: InvoiceKind,
    number: &str,
    value: i64,
    items: Option<Vec<(&str, u32)>>,
) -> Command {
    Command::AddInvoice(NewInvoice {
        kind,
        number: text(number),
        series: Some(text("1")),
        key: None,
        value: money(value),
        issued_at: at(30),
        url: None,
        items: items.map(|list| {
            list.into_iter()
                .map(|(code, n)| ItemQuantity {
                    sku: sku(code),
                    quantity: qty(n),
                })
                .collect()
        }),
        tracking: None,
    })
}

pub(crate) fn shipment(number: &str, invoice_number: &str) -> Command {
    Command::AddShipment(NewShipment {
        invoice_number: text(invoice_number),
        carrier: text("Correios"),
        title: None,
        number: text(number),
        url: None,
        notify_customer: true,
    })
}

pub(crate) fn tracking(shipment: &str, status: TrackingStatus, minutes: i64) -> Command {
    Command::AddTrackingEvent(NewTrackingEvent {
        shipment: text(shipment),
        status,
        description: None,
        city: Some(text("Campinas")),
        state: Some(text("SP")),
        occurred_at: at(minutes),
    })
}

pub(crate) fn change_adding(request: &str, new: NewItem) -> Command {
    Command::Change(OrderChange {
        request_id: RequestId::parse(request).unwrap(),
        reason: text("customer asked"),
        add: vec![new],
        remove: Vec::new(),
        prices: Vec::new(),
        discount: Money::ZERO,
        increment: Money::ZERO,
    })
}

pub(crate) fn refund(amount: i64, items: Vec<(&str, u32)>) -> Command {
    Command::Refund(NewRefund {
        amount: money(amount),
        items: items
            .into_iter()
            .map(|(code, n)| ItemQuantity {
                sku: sku(code),
                quantity: qty(n),
            })
            .collect(),
        return_to_stock: true,
        comment: None,
        notify_customer: false,
    })
}

/// The sample order driven into `status` by the commands a store would send.
pub(crate) fn order_in(status: Status) -> Order {
    let pending = sample();
    let approved = || {
        run(
            &pending,
            payment("pay-1", PaymentOutcome::Approved, SAMPLE_TOTAL, 5),
            5,
        )
    };
    let invoiced = || {
        run(
            &approved(),
            invoice(InvoiceKind::Output, "NF-1", SAMPLE_TOTAL, None),
            30,
        )
    };
    let shipped = || run(&invoiced(), shipment("TRK-1", "NF-1"), 40);
    match status {
        Status::PaymentPending => pending,
        Status::PaymentApproved => approved(),
        Status::Handling => run(&approved(), Command::StartHandling, 10),
        Status::Invoiced => invoiced(),
        Status::Shipped => shipped(),
        Status::InTransit => run(
            &shipped(),
            tracking("TRK-1", TrackingStatus::InTransit, 60),
            60,
        ),
        Status::DeliveryDifficulty => run(
            &shipped(),
            tracking("TRK-1", TrackingStatus::DeliveryDifficulty, 60),
            60,
        ),
        Status::Delivered => run(
            &shipped(),
            tracking("TRK-1", TrackingStatus::Delivered, 60),
            60,
        ),
        Status::Closed => run(
            &invoiced(),
            invoice(InvoiceKind::Input, "DEV-1", SAMPLE_TOTAL, None),
            70,
        ),
        Status::Canceled => run(
            &pending,
            Command::Cancel {
                reason: text("customer gave up"),
            },
            10,
        ),
        Status::OnHold => run(
            &pending,
            Command::Hold {
                reason: text("fraud check"),
            },
            10,
        ),
    }
}

/// A command of `kind` that is valid on its own for the sample order (whether the order's status
/// allows it is what the table decides).
pub(crate) fn command_of(kind: CommandKind) -> Command {
    match kind {
        CommandKind::ApprovePayment => payment("pay-2", PaymentOutcome::Approved, SAMPLE_TOTAL, 90),
        CommandKind::DenyPayment => payment("pay-3", PaymentOutcome::Denied, SAMPLE_TOTAL, 90),
        CommandKind::RefundPayment => payment("pay-1", PaymentOutcome::Refunded, 100, 90),
        CommandKind::ApprovePaymentManually => Command::ManualPayment(ManualPayment {
            amount: money(SAMPLE_TOTAL),
            note: Some(text("seen on the bank statement")),
        }),
        CommandKind::ExpirePayment => Command::ExpirePayment { as_of: None },
        CommandKind::StartHandling => Command::StartHandling,
        CommandKind::Invoice => invoice(InvoiceKind::Output, "NF-9", SAMPLE_TOTAL, None),
        CommandKind::ReturnInvoice => invoice(InvoiceKind::Input, "DEV-9", SAMPLE_TOTAL, None),
        CommandKind::AddShipment => shipment("TRK-2", "NF-1"),
        CommandKind::AddTrackingEvent => tracking("TRK-1", TrackingStatus::Delivered, 90),
        CommandKind::Change => change_adding("chg-1", item("MEIA", 1, 1990, 0)),
        CommandKind::Cancel => Command::Cancel {
            reason: text("out of stock"),
        },
        CommandKind::Hold => Command::Hold {
            reason: text("address check"),
        },
        CommandKind::Unhold => Command::Unhold,
        CommandKind::Comment => Command::Comment(NewComment {
            text: text("called the customer"),
            notify_customer: false,
            visible_to_customer: false,
        }),
        CommandKind::Refund => refund(100, Vec::new()),
        CommandKind::Reprocess => Command::Reprocess,
        CommandKind::Edit => Command::Edit(OrderEdit {
            customer: Some(customer("Ana Souza Lima")),
            ..OrderEdit::default()
        }),
        CommandKind::RecordNotification => Command::RecordNotification(SentNotification {
            event_id: text("evt_o1_2"),
            endpoint_id: text("ep_mail"),
            template: text("order.shipped"),
            locale: text("pt-BR"),
            subject: text("Pedido #1 enviado"),
            to: text("ana@example.com"),
        }),
    }
}
