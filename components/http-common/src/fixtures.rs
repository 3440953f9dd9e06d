//! A sample order for the handlers' native tests (never used at run time; the linker drops it).

use crate::types::{
    Actor, Address, Adjustments, Customer, EventKind, HistoryEntry, Item, Order, OrderStatus,
    Payment, PaymentMethod, PaymentStatus, Shipping, Totals,
};

/// A placed order with one item, as the service would return it.
pub fn sample_order() -> Order {
    Order {
        id: "01J0ORDER".into(),
        number: 1042,
        status: OrderStatus::PaymentPending,
        version: 1,
        channel: "storefront".into(),
        external_id: Some("MLB-998877".into()),
        currency: "BRL".into(),
        customer: Customer {
            id: Some("c-17".into()),
            name: "Ana Souza".into(),
            email: "ana@example.com".into(),
            document: Some("39053344705".into()),
            phone: None,
        },
        shipping_address: Address {
            street: "Rua A".into(),
            number: "10".into(),
            complement: None,
            neighborhood: Some("Centro".into()),
            city: "São Paulo".into(),
            state: "SP".into(),
            postal_code: "01001000".into(),
            country: "BRA".into(),
        },
        billing_address: None,
        items: vec![Item {
            sku: "CAM-P-AZ".into(),
            name: "Camiseta azul P".into(),
            quantity: 2,
            unit_price: 4990,
            discount: 0,
            invoiced: 0,
            returned: 0,
        }],
        shipping: Shipping {
            method: "PAC".into(),
            carrier: Some("Correios".into()),
            price: 1500,
        },
        payment: Payment {
            method: PaymentMethod::Pix,
            status: PaymentStatus::Pending,
            due_at: Some("2026-11-23T01:00:00Z".into()),
            transactions: vec![],
        },
        adjustments: Adjustments {
            discount: 0,
            increment: 0,
        },
        totals: Totals {
            items: 9980,
            discount: 0,
            increment: 0,
            shipping: 1500,
            total: 11480,
            paid: 0,
            refunded: 0,
            returned: 0,
            balance: 0,
        },
        invoices: vec![],
        shipments: vec![],
        refunds: vec![],
        changes: vec![],
        comments: vec![],
        problems: vec![],
        hold: None,
        cancellation: None,
        subscription: None,
        test_clock: None,
        history: vec![HistoryEntry {
            at: "2026-11-22T01:00:00Z".into(),
            from: None,
            to: OrderStatus::PaymentPending,
            event: EventKind::OrderPlaced,
            actor: Actor::Checkout,
        }],
        created_at: "2026-11-22T01:00:00Z".into(),
        updated_at: "2026-11-22T01:00:00Z".into(),
    }
}
