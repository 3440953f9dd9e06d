//! The rules that depend on an order's data, each as a scenario a store would live through.

use orderflow_domain::order::{
    Actor, Command, Context, EventKind, InvoiceKind, OrderError, PaymentMethod, PaymentOutcome,
    PaymentStatus, PaymentWindows, ProblemKind, Status, TrackingStatus, apply, place,
};
use orderflow_domain::values::{Money, OrderId};

use crate::helpers::*;

#[test]
fn totals_are_computed_from_items_discounts_and_shipping() {
    let order = sample();
    let totals = order.totals();
    assert_eq!(totals.items, money(19980));
    assert_eq!(totals.discount, money(1000));
    assert_eq!(totals.shipping, money(1500));
    assert_eq!(totals.total, money(SAMPLE_TOTAL));
    assert_eq!(totals.balance, money(SAMPLE_TOTAL));
    assert_eq!(order.version(), 1);
    assert_eq!(order.history().len(), 1);
}

#[test]
fn a_client_total_that_differs_is_a_total_mismatch() {
    let mut input = placement(vec![item("A", 1, 1000, 0)], 500, PaymentMethod::CreditCard);
    input.expected_total = Some(money(1400));
    let ctx = Context::new(t0(), Actor::Checkout);
    let error = place(
        input,
        OrderId::parse("o-2").unwrap(),
        1,
        &PaymentWindows::default(),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(error.code(), "total-mismatch");
}

#[test]
fn pix_and_boleto_get_deadlines_and_cards_do_not() {
    let pix = placed(placement(
        vec![item("A", 1, 1000, 0)],
        0,
        PaymentMethod::Pix,
    ));
    assert_eq!(pix.payment().due_at, Some(at(60)));
    let boleto = placed(placement(
        vec![item("A", 1, 1000, 0)],
        0,
        PaymentMethod::Boleto,
    ));
    assert_eq!(boleto.payment().due_at, Some(at(3 * 24 * 60)));
    let card = placed(placement(
        vec![item("A", 1, 1000, 0)],
        0,
        PaymentMethod::CreditCard,
    ));
    assert_eq!(card.payment().due_at, None);
    assert_eq!(
        try_run(&card, Command::ExpirePayment { as_of: None }, 100_000).unwrap_err(),
        OrderError::PaymentNotExpired
    );
}

#[test]
fn an_unpaid_pix_order_expires_only_after_its_deadline() {
    let order = sample();
    assert_eq!(
        try_run(&order, Command::ExpirePayment { as_of: None }, 59)
            .unwrap_err()
            .code(),
        "payment-not-expired"
    );
    let expired = run(&order, Command::ExpirePayment { as_of: None }, 61);
    assert_eq!(expired.status(), Status::Canceled);
    assert_eq!(
        expired.history().last().unwrap().event,
        EventKind::PaymentExpired
    );
}

#[test]
fn an_expiry_as_of_a_later_instant_judges_the_deadline_then_and_an_earlier_one_changes_nothing() {
    let order = sample();
    // A runner pass under a test clock an hour and a minute ahead, ten minutes after placement.
    let expired = run(
        &order,
        Command::ExpirePayment {
            as_of: Some(at(61)),
        },
        10,
    );
    assert_eq!(expired.status(), Status::Canceled);
    assert_eq!(expired.history().last().unwrap().at, at(10));
    // An instant before the clock does not hold back a deadline the clock has passed...
    let late = run(&order, Command::ExpirePayment { as_of: Some(at(0)) }, 61);
    assert_eq!(late.status(), Status::Canceled);
    // ...nor make one the clock has not passed expire.
    assert_eq!(
        try_run(
            &order,
            Command::ExpirePayment {
                as_of: Some(at(30))
            },
            59
        )
        .unwrap_err()
        .code(),
        "payment-not-expired"
    );
}

#[test]
fn duplicate_skus_and_empty_orders_are_refused() {
    let ctx = Context::new(t0(), Actor::Checkout);
    let id = || OrderId::parse("o-3").unwrap();
    let windows = PaymentWindows::default();
    let twice = placement(
        vec![item("A", 1, 10, 0), item("A", 2, 10, 0)],
        0,
        PaymentMethod::Pix,
    );
    assert_eq!(
        place(twice, id(), 1, &windows, &ctx).unwrap_err().code(),
        "duplicate-sku"
    );
    let empty = placement(Vec::new(), 0, PaymentMethod::Pix);
    assert_eq!(
        place(empty, id(), 1, &windows, &ctx).unwrap_err().code(),
        "no-items"
    );
    let too_much = placement(vec![item("A", 1, 10, 11)], 0, PaymentMethod::Pix);
    assert_eq!(
        place(too_much, id(), 1, &windows, &ctx).unwrap_err().code(),
        "discount-too-large"
    );
}

#[test]
fn an_overflowing_order_is_an_error_not_a_wrap() {
    let input = placement(
        vec![item("A", 100_000, i64::MAX / 1000, 0)],
        0,
        PaymentMethod::Pix,
    );
    let ctx = Context::new(t0(), Actor::Checkout);
    let error = place(
        input,
        OrderId::parse("o-4").unwrap(),
        1,
        &PaymentWindows::default(),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(error.code(), "invalid-field");
}

#[test]
fn a_payment_for_a_canceled_order_is_recorded_as_a_problem() {
    let canceled = order_in(Status::Canceled);
    let paid = run(
        &canceled,
        payment("late", PaymentOutcome::Approved, SAMPLE_TOTAL, 30),
        30,
    );
    assert_eq!(paid.status(), Status::Canceled);
    assert!(matches!(
        paid.problems()[0].kind,
        ProblemKind::PaymentForCanceledOrder { .. }
    ));
    assert_eq!(
        paid.totals().balance,
        money(-SAMPLE_TOTAL),
        "the store owes a refund"
    );
    // Refunding it and reprocessing clears the problem.
    let refunded = run(
        &paid,
        payment("late", PaymentOutcome::Refunded, SAMPLE_TOTAL, 40),
        40,
    );
    let clean = run(&refunded, Command::Reprocess, 41);
    assert!(clean.problems().is_empty());
    assert_eq!(clean.totals().balance, Money::ZERO);
}

#[test]
fn a_payment_that_does_not_match_the_total_blocks_handling_until_fixed() {
    let order = sample();
    let short = run(
        &order,
        payment("p", PaymentOutcome::Approved, SAMPLE_TOTAL - 480, 5),
        5,
    );
    assert_eq!(short.status(), Status::PaymentApproved);
    assert_eq!(short.problems()[0].kind.code(), "payment-amount-mismatch");
    assert_eq!(
        try_run(&short, Command::StartHandling, 6).unwrap_err(),
        OrderError::HasProblems
    );
    let invoice_all = invoice(InvoiceKind::Output, "NF-1", SAMPLE_TOTAL, None);
    assert_eq!(
        try_run(&short, invoice_all, 6).unwrap_err(),
        OrderError::HasProblems
    );
    // Reprocessing before the fix changes nothing.
    assert!(!try_run(&short, Command::Reprocess, 7).unwrap().changed);
    let topped_up = run(&short, payment("p2", PaymentOutcome::Approved, 480, 8), 8);
    let clean = run(&topped_up, Command::Reprocess, 9);
    assert!(clean.problems().is_empty());
    assert_eq!(
        run(&clean, Command::StartHandling, 10).status(),
        Status::Handling
    );
}

#[test]
fn a_denied_payment_cancels_a_pending_order() {
    let denied = run(
        &sample(),
        payment("p", PaymentOutcome::Denied, SAMPLE_TOTAL, 5),
        5,
    );
    assert_eq!(denied.status(), Status::Canceled);
    assert_eq!(denied.payment().status, PaymentStatus::Denied);
}

#[test]
fn a_replayed_payment_changes_nothing_and_a_conflicting_one_is_refused() {
    let approved = order_in(Status::PaymentApproved);
    let again = try_run(
        &approved,
        payment("pay-1", PaymentOutcome::Approved, SAMPLE_TOTAL, 5),
        9,
    )
    .unwrap();
    assert!(!again.changed);
    assert_eq!(again.order, approved);
    let other = try_run(
        &approved,
        payment("pay-1", PaymentOutcome::Approved, 1, 5),
        9,
    );
    assert_eq!(other.unwrap_err().code(), "payment-conflict");
}

#[test]
fn manual_approval_is_for_pix_deposit_and_transfer_only() {
    let card = placed(placement(
        vec![item("A", 1, 1000, 0)],
        0,
        PaymentMethod::CreditCard,
    ));
    let manual =
        crate::helpers::command_of(orderflow_domain::order::CommandKind::ApprovePaymentManually);
    assert_eq!(
        try_run(&card, manual.clone(), 5).unwrap_err().code(),
        "manual-approval-not-allowed"
    );
    let approved = run(&sample(), manual, 5);
    assert_eq!(approved.status(), Status::PaymentApproved);
    assert!(approved.problems().is_empty());
}

#[test]
fn cancel_is_refused_once_an_output_invoice_exists() {
    let approved = order_in(Status::PaymentApproved);
    let partial = run(
        &approved,
        invoice(
            InvoiceKind::Output,
            "NF-1",
            9980 + 1500,
            Some(vec![("CAM-P-AZ", 2)]),
        ),
        20,
    );
    assert_eq!(partial.status(), Status::Handling);
    let cancel = Command::Cancel {
        reason: text("too late"),
    };
    assert_eq!(
        try_run(&partial, cancel, 21).unwrap_err(),
        OrderError::AlreadyInvoiced
    );
}

#[test]
fn an_order_is_invoiced_only_when_invoices_cover_every_item() {
    let approved = order_in(Status::PaymentApproved);
    // First invoice: two shirts plus the shipping.
    let first = run(
        &approved,
        invoice(
            InvoiceKind::Output,
            "NF-1",
            9980 + 1500,
            Some(vec![("CAM-P-AZ", 2)]),
        ),
        20,
    );
    assert_eq!(first.status(), Status::Handling);
    // A wrong value is refused with what was expected.
    let wrong = try_run(
        &first,
        invoice(InvoiceKind::Output, "NF-2", 10000, None),
        21,
    )
    .unwrap_err();
    assert_eq!(
        wrong,
        OrderError::InvoiceValueMismatch {
            expected: money(9000),
            given: money(10000)
        }
    );
    let second = run(&first, invoice(InvoiceKind::Output, "NF-2", 9000, None), 21);
    assert_eq!(second.status(), Status::Invoiced);
    let values: i64 = second.invoices().iter().map(|i| i.value.minor()).sum();
    assert_eq!(values, SAMPLE_TOTAL);
}

#[test]
fn invoicing_more_than_remains_or_an_unknown_sku_is_refused() {
    let approved = order_in(Status::PaymentApproved);
    let more = try_run(
        &approved,
        invoice(InvoiceKind::Output, "NF-1", 1, Some(vec![("CAM-P-AZ", 3)])),
        20,
    );
    assert_eq!(more.unwrap_err().code(), "quantity-exceeded");
    let unknown = try_run(
        &approved,
        invoice(InvoiceKind::Output, "NF-1", 1, Some(vec![("NOPE", 1)])),
        20,
    );
    assert_eq!(unknown.unwrap_err().code(), "unknown-sku");
}

#[test]
fn the_same_invoice_number_is_idempotent_if_equal_and_a_conflict_if_not() {
    let invoiced = order_in(Status::Invoiced);
    let same = try_run(
        &invoiced,
        invoice(InvoiceKind::Output, "NF-1", SAMPLE_TOTAL, None),
        50,
    )
    .unwrap();
    assert!(!same.changed);
    let other = try_run(&invoiced, invoice(InvoiceKind::Output, "NF-1", 5, None), 50).unwrap_err();
    assert_eq!(other.code(), "invoice-number-conflict");
}

#[test]
fn a_partial_return_refunds_its_value_and_the_last_return_closes_the_order() {
    let delivered = order_in(Status::Delivered);
    let mug = run(
        &delivered,
        invoice(InvoiceKind::Input, "DEV-1", 9000, Some(vec![("CANECA", 1)])),
        100,
    );
    assert_eq!(mug.status(), Status::Delivered);
    assert_eq!(mug.totals().refunded, money(9000));
    assert_eq!(mug.totals().balance, Money::ZERO);
    // The last items bring the shipping back with them.
    let rest = run(
        &mug,
        invoice(InvoiceKind::Input, "DEV-2", 9980 + 1500, None),
        110,
    );
    assert_eq!(rest.status(), Status::Closed);
    assert_eq!(rest.totals().refunded, money(SAMPLE_TOTAL));
    assert_eq!(rest.totals().balance, Money::ZERO);
    assert_eq!(rest.payment().status, PaymentStatus::Refunded);
}

#[test]
fn a_provider_refund_confirms_a_return_instead_of_refunding_twice() {
    let delivered = order_in(Status::Delivered);
    let returned = run(
        &delivered,
        invoice(InvoiceKind::Input, "DEV-1", 9000, Some(vec![("CANECA", 1)])),
        100,
    );
    let confirmed = run(
        &returned,
        payment("pay-1", PaymentOutcome::Refunded, 9000, 101),
        101,
    );
    assert_eq!(confirmed.totals().refunded, money(9000));
    assert_eq!(confirmed.refunds().len(), 1);
}

#[test]
fn an_offline_refund_for_items_marks_them_returned() {
    let delivered = order_in(Status::Delivered);
    let refunded = run(&delivered, refund(4990, vec![("CAM-P-AZ", 1)]), 100);
    assert_eq!(refunded.item(&sku("CAM-P-AZ")).unwrap().returned, 1);
    assert_eq!(refunded.totals().balance, Money::ZERO);
    assert_eq!(refunded.status(), Status::Delivered);
    let too_much = try_run(&refunded, refund(SAMPLE_TOTAL, Vec::new()), 101).unwrap_err();
    assert_eq!(too_much.code(), "refund-exceeds-paid");
}

#[test]
fn a_goodwill_refund_is_a_rebate_and_keeps_the_balance_exact() {
    let delivered = order_in(Status::Delivered);
    let rebated = run(&delivered, refund(500, Vec::new()), 100);
    assert_eq!(rebated.totals().total, money(SAMPLE_TOTAL - 500));
    assert_eq!(rebated.totals().refunded, money(500));
    assert_eq!(rebated.totals().balance, Money::ZERO);
}

#[test]
fn a_replayed_or_older_tracking_event_never_moves_the_status_backwards() {
    let shipped = order_in(Status::Shipped);
    let moving = run(
        &shipped,
        tracking("TRK-1", TrackingStatus::InTransit, 60),
        60,
    );
    let trouble = run(
        &moving,
        tracking("TRK-1", TrackingStatus::DeliveryDifficulty, 80),
        80,
    );
    assert_eq!(trouble.status(), Status::DeliveryDifficulty);
    // An older in-transit event arrives late: recorded, status unchanged.
    let late = run(
        &trouble,
        tracking("TRK-1", TrackingStatus::InTransit, 70),
        81,
    );
    assert_eq!(late.status(), Status::DeliveryDifficulty);
    assert_eq!(late.shipments()[0].events.len(), 3);
    // The same event again changes nothing.
    let replay = try_run(&late, tracking("TRK-1", TrackingStatus::InTransit, 70), 82).unwrap();
    assert!(!replay.changed);
    let delivered = run(&late, tracking("TRK-1", TrackingStatus::Delivered, 90), 90);
    assert_eq!(delivered.status(), Status::Delivered);
    let after = run(
        &delivered,
        tracking("TRK-1", TrackingStatus::InTransit, 95),
        95,
    );
    assert_eq!(after.status(), Status::Delivered);
}

#[test]
fn an_order_with_two_parcels_is_delivered_when_both_are() {
    let shipped = order_in(Status::Shipped);
    let two = run(&shipped, shipment("TRK-2", "NF-1"), 45);
    let one = run(&two, tracking("TRK-1", TrackingStatus::Delivered, 60), 60);
    assert_eq!(one.status(), Status::Shipped);
    let both = run(&one, tracking("TRK-2", TrackingStatus::Delivered, 70), 70);
    assert_eq!(both.status(), Status::Delivered);
}

#[test]
fn a_shipment_needs_a_known_output_invoice() {
    let invoiced = order_in(Status::Invoiced);
    assert_eq!(
        try_run(&invoiced, shipment("T", "NF-404"), 50)
            .unwrap_err()
            .code(),
        "unknown-invoice"
    );
    assert_eq!(
        try_run(
            &order_in(Status::Shipped),
            tracking("NOPE", TrackingStatus::Delivered, 50),
            50
        )
        .unwrap_err()
        .code(),
        "unknown-shipment"
    );
}

#[test]
fn hold_remembers_the_status_and_blocks_everything_but_unhold_and_comments() {
    let handling = order_in(Status::Handling);
    let held = run(
        &handling,
        Command::Hold {
            reason: text("check"),
        },
        20,
    );
    assert_eq!(held.status(), Status::OnHold);
    assert_eq!(held.hold().as_ref().unwrap().previous, Status::Handling);
    assert_eq!(
        try_run(&held, Command::StartHandling, 21).unwrap_err(),
        OrderError::OnHold
    );
    let released = run(&held, Command::Unhold, 22);
    assert_eq!(released.status(), Status::Handling);
    assert!(released.hold().is_none());
}

#[test]
fn a_change_recomputes_totals_and_keeps_the_difference_as_balance() {
    let approved = order_in(Status::PaymentApproved);
    let bigger = run(&approved, change_adding("c1", item("MEIA", 2, 1990, 0)), 10);
    assert_eq!(bigger.totals().total, money(SAMPLE_TOTAL + 3980));
    assert_eq!(bigger.totals().balance, money(3980), "a charge is due");
    assert_eq!(bigger.changes()[0].total_before, money(SAMPLE_TOTAL));
    // The same requestId again is a replay; with another body it is refused.
    assert!(
        !try_run(&bigger, change_adding("c1", item("MEIA", 2, 1990, 0)), 11)
            .unwrap()
            .changed
    );
    let reused = try_run(&bigger, change_adding("c1", item("LUVA", 1, 10, 0)), 11).unwrap_err();
    assert_eq!(reused.code(), "request-id-reused");
}

#[test]
fn a_change_after_invoicing_is_refused() {
    let approved = order_in(Status::PaymentApproved);
    let partial = run(
        &approved,
        invoice(
            InvoiceKind::Output,
            "NF-1",
            9980 + 1500,
            Some(vec![("CAM-P-AZ", 2)]),
        ),
        20,
    );
    let error = try_run(&partial, change_adding("c", item("MEIA", 1, 1, 0)), 21).unwrap_err();
    assert_eq!(error, OrderError::AlreadyInvoiced);
}

#[test]
fn if_match_with_a_stale_version_is_a_version_mismatch() {
    let order = sample();
    let mut ctx = ctx(5, Actor::Admin);
    ctx.expected_version = Some(7);
    let error = apply(&order, &Command::StartHandling, &ctx).unwrap_err();
    assert_eq!(
        error,
        OrderError::VersionMismatch {
            expected: 7,
            actual: 1
        }
    );
}

#[test]
fn every_applied_command_adds_one_history_entry_and_one_version() {
    let delivered = order_in(Status::Delivered);
    // placed, approved, invoiced, shipped, delivered
    assert_eq!(delivered.version(), 5);
    assert_eq!(delivered.history().len(), 5);
    let entry = delivered.history().last().unwrap();
    assert_eq!(
        (entry.from, entry.to),
        (Some(Status::Shipped), Status::Delivered)
    );
}
