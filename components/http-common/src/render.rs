//! The WIT `order` record as the camelCase JSON of openapi.yaml's `Order`: money as integers,
//! statuses and other enums kebab-case, timestamps as the service gives them (RFC 3339 UTC),
//! optional values as `null`.

use serde_json::{Value, json};

use crate::names;
use crate::types::{
    Address, Change, Comment, Customer, HistoryEntry, Invoice, Item, ItemQuantity, NewItem,
    Notification, Order, Problem, ProblemKind, Refund, Shipment, Transaction,
};

/// An order as the API answers it.
pub fn order(order: &Order) -> Value {
    json!({
        "id": order.id,
        "number": order.number,
        "status": names::order_status(order.status),
        "version": order.version,
        "channel": order.channel,
        "externalId": order.external_id,
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
        "payment": {
            "method": names::payment_method(order.payment.method),
            "status": names::payment_status(order.payment.status),
            "dueAt": order.payment.due_at,
            "transactions": order.payment.transactions.iter().map(transaction).collect::<Vec<_>>(),
        },
        "adjustments": {
            "discount": order.adjustments.discount,
            "increment": order.adjustments.increment,
        },
        "totals": {
            "items": order.totals.items,
            "discount": order.totals.discount,
            "increment": order.totals.increment,
            "shipping": order.totals.shipping,
            "total": order.totals.total,
            "paid": order.totals.paid,
            "refunded": order.totals.refunded,
            "returned": order.totals.returned,
            "balance": order.totals.balance,
        },
        "invoices": order.invoices.iter().map(invoice).collect::<Vec<_>>(),
        "shipments": order.shipments.iter().map(shipment).collect::<Vec<_>>(),
        "refunds": order.refunds.iter().map(refund).collect::<Vec<_>>(),
        "changes": order.changes.iter().map(change).collect::<Vec<_>>(),
        "comments": order.comments.iter().map(comment).collect::<Vec<_>>(),
        "notifications": order.notifications.iter().map(notification).collect::<Vec<_>>(),
        "problems": order.problems.iter().map(problem).collect::<Vec<_>>(),
        "hold": order.hold.as_ref().map(|hold| json!({
            "reason": hold.reason,
            "previous": names::order_status(hold.previous),
            "at": hold.at,
            "actor": names::actor(hold.actor),
        })),
        "cancellation": order.cancellation.as_ref().map(|c| json!({
            "cause": names::cancel_cause(c.cause),
            "reason": c.reason,
            "at": c.at,
            "actor": names::actor(c.actor),
        })),
        "subscription": order.subscription.as_ref().map(|s| json!({"id": s.id, "cycle": s.cycle})),
        "testClock": order.test_clock,
        "stockLocation": order.stock_location,
        "history": order.history.iter().map(history).collect::<Vec<_>>(),
        "createdAt": order.created_at,
        "updatedAt": order.updated_at,
    })
}

/// A customer.
pub fn customer(customer: &Customer) -> Value {
    json!({
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "document": customer.document,
        "phone": customer.phone,
    })
}

/// A postal address.
pub fn address(address: &Address) -> Value {
    json!({
        "street": address.street,
        "number": address.number,
        "complement": address.complement,
        "neighborhood": address.neighborhood,
        "city": address.city,
        "state": address.state,
        "postalCode": address.postal_code,
        "country": address.country,
    })
}

fn item(item: &Item) -> Value {
    json!({
        "sku": item.sku,
        "name": item.name,
        "quantity": item.quantity,
        "unitPrice": item.unit_price,
        "discount": item.discount,
        "invoiced": item.invoiced,
        "returned": item.returned,
    })
}

fn new_item(item: &NewItem) -> Value {
    json!({
        "sku": item.sku,
        "name": item.name,
        "quantity": item.quantity,
        "unitPrice": item.unit_price,
        "discount": item.discount,
    })
}

fn item_quantity(item: &ItemQuantity) -> Value {
    json!({"sku": item.sku, "quantity": item.quantity})
}

fn transaction(t: &Transaction) -> Value {
    json!({
        "paymentId": t.payment_id,
        "status": names::payment_outcome(t.kind),
        "amount": t.amount,
        "method": names::payment_method(t.method),
        "occurredAt": t.occurred_at,
        "actor": names::actor(t.actor),
        "note": t.note,
    })
}

fn invoice(invoice: &Invoice) -> Value {
    json!({
        "type": names::invoice_kind(invoice.kind),
        "number": invoice.number,
        "series": invoice.series,
        "key": invoice.key,
        "value": invoice.value,
        "issuedAt": invoice.issued_at,
        "url": invoice.url,
        "items": invoice.items.iter().map(|line| json!({
            "sku": line.sku,
            "quantity": line.quantity,
            "value": line.value,
        })).collect::<Vec<_>>(),
        "includesShipping": invoice.includes_shipping,
        "tracking": invoice.tracking.as_ref().map(|t| json!({
            "carrier": t.carrier,
            "number": t.number,
            "url": t.url,
        })),
        "recordedAt": invoice.recorded_at,
    })
}

fn shipment(shipment: &Shipment) -> Value {
    json!({
        "number": shipment.number,
        "invoiceNumber": shipment.invoice_number,
        "carrier": shipment.carrier,
        "title": shipment.title,
        "url": shipment.url,
        "notifyCustomer": shipment.notify_customer,
        "status": shipment.status.map(names::tracking_status),
        "events": shipment.events.iter().map(|e| json!({
            "status": names::tracking_status(e.status),
            "description": e.description,
            "city": e.city,
            "state": e.state,
            "occurredAt": e.occurred_at,
        })).collect::<Vec<_>>(),
        "createdAt": shipment.created_at,
    })
}

fn refund(refund: &Refund) -> Value {
    json!({
        "source": names::refund_source(refund.source),
        "amount": refund.amount,
        "reference": refund.reference,
        "items": refund.items.iter().map(item_quantity).collect::<Vec<_>>(),
        "returnToStock": refund.return_to_stock,
        "rebate": refund.rebate,
        "comment": refund.comment,
        "notifyCustomer": refund.notify_customer,
        "at": refund.at,
        "actor": names::actor(refund.actor),
    })
}

fn change(change: &Change) -> Value {
    json!({
        "requestId": change.request_id,
        "reason": change.reason,
        "add": change.add.iter().map(new_item).collect::<Vec<_>>(),
        "remove": change.remove.iter().map(item_quantity).collect::<Vec<_>>(),
        "prices": change.prices.iter().map(|p| json!({
            "sku": p.sku,
            "unitPrice": p.unit_price,
        })).collect::<Vec<_>>(),
        "discount": change.discount,
        "increment": change.increment,
        "totalBefore": change.total_before,
        "totalAfter": change.total_after,
        "at": change.at,
        "actor": names::actor(change.actor),
    })
}

fn comment(comment: &Comment) -> Value {
    json!({
        "text": comment.text,
        "notifyCustomer": comment.notify_customer,
        "visibleToCustomer": comment.visible_to_customer,
        "at": comment.at,
        "actor": names::actor(comment.actor),
    })
}

fn notification(n: &Notification) -> Value {
    json!({
        "eventId": n.event_id,
        "endpointId": n.endpoint_id,
        "template": n.template,
        "locale": n.locale,
        "subject": n.subject,
        "to": n.to,
        "at": n.at,
    })
}

fn problem(problem: &Problem) -> Value {
    let (code, details) = match &problem.kind {
        ProblemKind::PaymentAmountMismatch(m) => (
            "payment-amount-mismatch",
            json!({"expected": m.expected, "actual": m.actual}),
        ),
        ProblemKind::PaymentForCanceledOrder(late) => (
            "payment-for-canceled-order",
            json!({"paymentId": late.payment_id, "amount": late.amount}),
        ),
    };
    json!({"code": code, "details": details, "detectedAt": problem.detected_at})
}

fn history(entry: &HistoryEntry) -> Value {
    json!({
        "at": entry.at,
        "from": entry.from.map(names::order_status),
        "to": names::order_status(entry.to),
        "event": names::event_kind(entry.event),
        "actor": names::actor(entry.actor),
        "operator": entry.operator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::sample_order;

    #[test]
    fn an_order_renders_as_the_camel_case_json_of_api_md() {
        let json = order(&sample_order());
        assert_eq!(json["status"], "payment-pending");
        assert_eq!(json["externalId"], "MLB-998877");
        assert_eq!(json["shippingAddress"]["postalCode"], "01001000");
        assert_eq!(json["shippingAddress"]["complement"], Value::Null);
        assert_eq!(json["billingAddress"], Value::Null);
        assert_eq!(json["items"][0]["unitPrice"], 4990);
        assert_eq!(json["payment"]["method"], "pix");
        assert_eq!(json["payment"]["dueAt"], "2026-11-23T01:00:00Z");
        assert_eq!(json["totals"]["total"], 11480);
        assert_eq!(json["hold"], Value::Null);
        assert_eq!(
            json["history"][0],
            json!({"at": "2026-11-22T01:00:00Z", "from": null, "to": "payment-pending",
                   "event": "order-placed", "actor": "checkout", "operator": null})
        );
        assert_eq!(json["createdAt"], "2026-11-22T01:00:00Z");
    }

    #[test]
    fn money_stays_integer_on_the_wire() {
        let text = order(&sample_order()).to_string();
        assert!(text.contains("\"total\":11480"), "{text}");
        assert!(!text.contains("114.8"), "{text}");
    }

    #[test]
    fn problems_render_with_a_kebab_code() {
        let mut sample = sample_order();
        sample.problems.push(Problem {
            kind: ProblemKind::PaymentAmountMismatch(crate::types::MoneyMismatch {
                expected: 11480,
                actual: 100,
            }),
            detected_at: "2026-11-22T02:00:00Z".into(),
        });
        let json = order(&sample);
        assert_eq!(json["problems"][0]["code"], "payment-amount-mismatch");
        assert_eq!(json["problems"][0]["details"]["actual"], 100);
    }
}
