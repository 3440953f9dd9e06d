//! The kebab-case names of the WIT enums on the wire (openapi.yaml), both ways. One table per enum,
//! so rendering and parsing cannot disagree, and an exhaustive `match` per direction.

use crate::orders::Sort;
use crate::types::{
    Actor, CancelCause, EventKind, InvoiceKind, OrderStatus, PaymentMethod, PaymentOutcome,
    PaymentStatus, RefundSource, TrackingStatus,
};

macro_rules! names {
    ($ty:ident, $all:ident, $name:ident, $parse:ident, { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[doc = concat!("Every `", stringify!($ty), "` name, in WIT order.")]
        pub const $all: &[&str] = &[$($text),+];

        #[doc = concat!("The wire name of a `", stringify!($ty), "`.")]
        pub fn $name(value: $ty) -> &'static str {
            match value {
                $($ty::$variant => $text,)+
            }
        }

        #[doc = concat!("The `", stringify!($ty), "` with this wire name.")]
        pub fn $parse(text: &str) -> Option<$ty> {
            match text {
                $($text => Some($ty::$variant),)+
                _ => None,
            }
        }
    };
}

names!(OrderStatus, ORDER_STATUSES, order_status, parse_order_status, {
    PaymentPending => "payment-pending",
    PaymentApproved => "payment-approved",
    Handling => "handling",
    Invoiced => "invoiced",
    Shipped => "shipped",
    InTransit => "in-transit",
    DeliveryDifficulty => "delivery-difficulty",
    Delivered => "delivered",
    Closed => "closed",
    Canceled => "canceled",
    OnHold => "on-hold",
});

names!(Actor, ACTORS, actor, parse_actor, {
    Checkout => "checkout",
    PaymentProvider => "payment-provider",
    Erp => "erp",
    Logistics => "logistics",
    Admin => "admin",
    System => "system",
});

names!(PaymentMethod, PAYMENT_METHODS, payment_method, parse_payment_method, {
    CreditCard => "credit-card",
    Pix => "pix",
    Boleto => "boleto",
    Deposit => "deposit",
    BankTransfer => "bank-transfer",
});

names!(PaymentStatus, PAYMENT_STATUSES, payment_status, parse_payment_status, {
    Pending => "pending",
    Denied => "denied",
    Approved => "approved",
    Refunded => "refunded",
});

names!(PaymentOutcome, PAYMENT_OUTCOMES, payment_outcome, parse_payment_outcome, {
    Approved => "approved",
    Denied => "denied",
    Refunded => "refunded",
});

names!(InvoiceKind, INVOICE_KINDS, invoice_kind, parse_invoice_kind, {
    Output => "output",
    Input => "input",
});

names!(TrackingStatus, TRACKING_STATUSES, tracking_status, parse_tracking_status, {
    InTransit => "in-transit",
    DeliveryDifficulty => "delivery-difficulty",
    Delivered => "delivered",
});

names!(RefundSource, REFUND_SOURCES, refund_source, parse_refund_source, {
    Offline => "offline",
    Provider => "provider",
    ReturnInvoice => "return-invoice",
});

names!(CancelCause, CANCEL_CAUSES, cancel_cause, parse_cancel_cause, {
    Requested => "requested",
    PaymentDenied => "payment-denied",
    PaymentExpired => "payment-expired",
});

names!(EventKind, EVENT_KINDS, event_kind, parse_event_kind, {
    OrderPlaced => "order-placed",
    PaymentApproved => "payment-approved",
    PaymentDenied => "payment-denied",
    PaymentRefunded => "payment-refunded",
    PaymentExpired => "payment-expired",
    ProblemRaised => "problem-raised",
    Reprocessed => "reprocessed",
    HandlingStarted => "handling-started",
    Invoiced => "invoiced",
    Returned => "returned",
    ShipmentAdded => "shipment-added",
    TrackingUpdated => "tracking-updated",
    Changed => "changed",
    Canceled => "canceled",
    Held => "held",
    Released => "released",
    Commented => "commented",
    Refunded => "refunded",
    Edited => "edited",
    CustomerNotified => "customer-notified",
});

names!(Sort, SORTS, sort, parse_sort, {
    CreatedAtDesc => "-createdAt",
    CreatedAtAsc => "createdAt",
    TotalAsc => "total",
    TotalDesc => "-total",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_name_parses_back_to_itself() {
        for name in ORDER_STATUSES {
            assert_eq!(parse_order_status(name).map(order_status), Some(*name));
        }
        assert_eq!(ORDER_STATUSES.len(), 11);
        assert_eq!(parse_order_status("PAYMENT-PENDING"), None);
    }

    #[test]
    fn every_other_table_round_trips() {
        type RoundTrip = fn(&str) -> Option<&'static str>;
        let tables: [(&[&str], RoundTrip); 10] = [
            (ACTORS, |n| parse_actor(n).map(actor)),
            (PAYMENT_METHODS, |n| {
                parse_payment_method(n).map(payment_method)
            }),
            (PAYMENT_STATUSES, |n| {
                parse_payment_status(n).map(payment_status)
            }),
            (PAYMENT_OUTCOMES, |n| {
                parse_payment_outcome(n).map(payment_outcome)
            }),
            (INVOICE_KINDS, |n| parse_invoice_kind(n).map(invoice_kind)),
            (TRACKING_STATUSES, |n| {
                parse_tracking_status(n).map(tracking_status)
            }),
            (REFUND_SOURCES, |n| {
                parse_refund_source(n).map(refund_source)
            }),
            (CANCEL_CAUSES, |n| parse_cancel_cause(n).map(cancel_cause)),
            (EVENT_KINDS, |n| parse_event_kind(n).map(event_kind)),
            (SORTS, |n| parse_sort(n).map(sort)),
        ];
        for (names, round_trip) in tables {
            for name in names {
                assert_eq!(round_trip(name), Some(*name));
            }
        }
    }
}
