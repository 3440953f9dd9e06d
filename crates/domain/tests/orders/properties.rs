//! Property tests: money adds up exactly, changes have inverses, replays change nothing.

use orderflow_domain::order::{
    Command, InvoiceKind, ItemQuantity, NewItem, Order, OrderChange, PaymentMethod, PaymentOutcome,
    PriceChange, Status, TrackingStatus,
};
use orderflow_domain::values::{Money, RequestId};
use proptest::prelude::*;

use crate::helpers::*;

/// Up to 50 lines: (quantity, unit price, discount as a fraction of the gross in thousandths).
fn lines() -> impl Strategy<Value = Vec<(u32, i64, u32)>> {
    prop::collection::vec((1u32..=100, 0i64..=10_000_000, 0u32..=1000), 1..=50)
}

fn items_of(lines: &[(u32, i64, u32)]) -> Vec<NewItem> {
    lines
        .iter()
        .enumerate()
        .map(|(i, &(q, price, per_mille))| {
            let gross = price * i64::from(q);
            item(
                &format!("SKU-{i}"),
                q,
                price,
                gross * i64::from(per_mille) / 1000,
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn totals_equal_the_sum_of_their_parts(lines in lines(), shipping in 0i64..=100_000) {
        let items = items_of(&lines);
        let expected: i128 = items
            .iter()
            .map(|i| i128::from(i.unit_price.minor()) * i128::from(i.quantity.get()) - i128::from(i.discount.minor()))
            .sum::<i128>()
            + i128::from(shipping);
        let order = placed(placement(items, shipping, PaymentMethod::Pix));
        let t = order.totals();
        prop_assert_eq!(i128::from(t.total.minor()), expected);
        prop_assert_eq!(t.total.minor(), t.items.minor() - t.discount.minor() + t.increment.minor() + t.shipping.minor());
        prop_assert_eq!(t.balance, t.total);
    }

    #[test]
    fn huge_amounts_are_an_error_never_a_wrap(price in (i64::MAX / 200)..=i64::MAX, q in 1u32..=100_000, n in 1usize..=4) {
        let items: Vec<_> = (0..n).map(|i| item(&format!("BIG-{i}"), q, price, 0)).collect();
        let exact = i128::from(price) * i128::from(q) * n as i128;
        let ctx = orderflow_domain::order::Context::new(t0(), orderflow_domain::order::Actor::Checkout);
        let result = orderflow_domain::order::place(
            placement(items, 0, PaymentMethod::Pix),
            orderflow_domain::values::OrderId::parse("o").unwrap(),
            1,
            &orderflow_domain::order::PaymentWindows::default(),
            &ctx,
        );
        match result {
            Ok(applied) => prop_assert_eq!(i128::from(applied.order.totals().total.minor()), exact),
            Err(error) => {
                prop_assert!(exact > i128::from(i64::MAX));
                prop_assert_eq!(error.code(), "invalid-field");
            }
        }
    }

    #[test]
    fn invoices_in_any_split_add_up_to_the_total(lines in lines(), shipping in 0i64..=100_000, cuts in prop::collection::vec(1u32..=100, 1..=5)) {
        let items = items_of(&lines);
        let order = placed(placement(items.clone(), shipping, PaymentMethod::Pix));
        let total = order.totals().total.minor();
        let mut order = run(&order, payment("p", PaymentOutcome::Approved, total, 1), 1);
        // Invoice each line in pieces whose sizes come from `cuts`, in rounds.
        let mut left: Vec<u32> = items.iter().map(|i| i.quantity.get()).collect();
        let mut number = 0;
        let mut round = 0;
        while left.iter().any(|&n| n > 0) {
            let mut chunk = Vec::new();
            for (i, remaining) in left.iter_mut().enumerate() {
                let take = (*remaining).min(cuts[(i + round) % cuts.len()]);
                if take > 0 {
                    *remaining -= take;
                    chunk.push(ItemQuantity { sku: items[i].sku.clone(), quantity: qty(take) });
                }
            }
            round += 1;
            number += 1;
            let expected = match try_run(&order, Command::AddInvoice(orderflow_domain::order::NewInvoice {
                kind: InvoiceKind::Output, number: text(&format!("NF-{number}")), series: None, key: None,
                value: Money::from_minor(-1), issued_at: at(2), url: None, items: Some(chunk.clone()), tracking: None,
            }), 2) {
                Err(orderflow_domain::order::OrderError::InvoiceValueMismatch { expected, .. }) => expected,
                other => return Err(TestCaseError::fail(format!("{other:?}"))),
            };
            order = run(&order, Command::AddInvoice(orderflow_domain::order::NewInvoice {
                kind: InvoiceKind::Output, number: text(&format!("NF-{number}")), series: None, key: None,
                value: expected, issued_at: at(2), url: None, items: Some(chunk), tracking: None,
            }), 2);
        }
        prop_assert_eq!(order.status(), Status::Invoiced);
        let sum: i64 = order.invoices().iter().map(|i| i.value.minor()).sum();
        prop_assert_eq!(sum, total);
    }

    #[test]
    fn a_change_then_its_inverse_restores_the_totals(
        lines in prop::collection::vec((2u32..=100, 1i64..=1_000_000, 0u32..=1000), 2..=20),
        added in prop::collection::vec((1u32..=10, 0i64..=100_000), 0..=3),
        remove_fraction in 0u32..=99,
        new_price in 0i64..=1_000_000,
        discount in 0i64..=1000,
        increment in 0i64..=100_000,
    ) {
        let items = items_of(&lines);
        let before = placed(placement(items.clone(), 1500, PaymentMethod::Pix));
        let first = &before.items()[0];
        let removed = (first.quantity.get() * remove_fraction / 100).max(1).min(first.quantity.get() - 1);
        let keep = first.quantity.get() - removed;
        let removed_share = first.discount.minor()
            - (i128::from(first.discount.minor()) * i128::from(keep) / i128::from(first.quantity.get())) as i64;
        let second = &before.items()[1];
        let adds: Vec<NewItem> = added.iter().enumerate().map(|(i, &(q, p))| item(&format!("NEW-{i}"), q, p, 0)).collect();
        // Keep the price change from making the second line's discount exceed its gross.
        let new_price = new_price.max(second.discount.minor() / i64::from(second.quantity.get()) + 1);
        let forward = OrderChange {
            request_id: RequestId::parse("fwd").unwrap(),
            reason: text("forward"),
            add: adds.clone(),
            remove: vec![ItemQuantity { sku: first.sku.clone(), quantity: qty(removed) }],
            prices: vec![PriceChange { sku: second.sku.clone(), unit_price: money(new_price) }],
            discount: money(discount),
            increment: money(increment),
        };
        let changed = run(&before, Command::Change(forward), 5);
        let mut back_add = vec![NewItem {
            sku: first.sku.clone(), name: first.name.clone(), quantity: qty(removed),
            unit_price: first.unit_price, discount: money(removed_share),
        }];
        back_add.truncate(1);
        let inverse = OrderChange {
            request_id: RequestId::parse("inv").unwrap(),
            reason: text("inverse"),
            add: back_add,
            remove: adds.iter().map(|a| ItemQuantity { sku: a.sku.clone(), quantity: a.quantity }).collect(),
            prices: vec![PriceChange { sku: second.sku.clone(), unit_price: second.unit_price }],
            discount: money(-discount),
            increment: money(-increment),
        };
        let restored = run(&changed, Command::Change(inverse), 6);
        prop_assert_eq!(restored.totals(), before.totals());
        prop_assert_eq!(restored.items(), before.items());
        prop_assert_eq!(restored.version(), before.version() + 2);
    }

    #[test]
    fn replayable_commands_applied_twice_equal_once(which in 0usize..5, amount in 1i64..=100_000, minutes in 41i64..=500) {
        let (order, command) = match which {
            0 => (sample(), payment("pay-x", PaymentOutcome::Approved, amount, minutes)),
            1 => (order_in(Status::PaymentApproved), invoice(InvoiceKind::Output, "NF-7", SAMPLE_TOTAL, None)),
            2 => (order_in(Status::Invoiced), shipment(&format!("TRK-{amount}"), "NF-1")),
            3 => (order_in(Status::Shipped), tracking("TRK-1", if amount % 2 == 0 { TrackingStatus::InTransit } else { TrackingStatus::DeliveryDifficulty }, minutes)),
            _ => (sample(), change_adding(&format!("chg-{amount}"), item("EXTRA", 1, amount, 0))),
        };
        let once = run(&order, command.clone(), minutes);
        let twice = try_run(&once, command, minutes + 1).unwrap();
        prop_assert!(!twice.changed);
        prop_assert!(twice.events.is_empty());
        prop_assert_eq!(&twice.order, &once);
    }

    #[test]
    fn random_command_sequences_never_break_the_money_invariants(kinds in prop::collection::vec(0usize..orderflow_domain::order::CommandKind::ALL.len(), 1..=12)) {
        let mut order: Order = sample();
        for (step, index) in kinds.into_iter().enumerate() {
            let kind = orderflow_domain::order::CommandKind::ALL[index];
            if let Ok(applied) = try_run(&order, command_of(kind), 120 + step as i64) {
                order = applied.order;
            }
            let t = order.totals();
            prop_assert_eq!(t.total.minor(), t.items.minor() - t.discount.minor() + t.increment.minor() + t.shipping.minor());
            prop_assert!(!t.total.is_negative());
            prop_assert_eq!(order.history().len() as u64, order.version());
        }
    }
}
