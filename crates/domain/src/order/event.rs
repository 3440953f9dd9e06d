//! Events: what an applied command did, for the order's history and the global event feed that
//! ERPs and notifications read.

use serde::{Deserialize, Serialize};

use super::command::{InvoiceKind, ItemQuantity};
use super::model::TrackingStatus;
use super::status::Status;
use crate::values::{Money, PaymentId, RequestId, Text};

macro_rules! event_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// The name of what happened, as written in `history[].event`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum EventKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl EventKind {
            /// Every kind.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The kebab-case name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }
        }
    };
}

event_kinds! {
    /// The order was placed.
    OrderPlaced => "order-placed",
    /// A payment was approved (by the provider or by hand).
    PaymentApproved => "payment-approved",
    /// A payment was denied.
    PaymentDenied => "payment-denied",
    /// The provider refunded a payment.
    PaymentRefunded => "payment-refunded",
    /// The payment deadline passed.
    PaymentExpired => "payment-expired",
    /// A data problem was found.
    ProblemRaised => "problem-raised",
    /// Problems were re-checked.
    Reprocessed => "reprocessed",
    /// Handling started.
    HandlingStarted => "handling-started",
    /// An output invoice was added.
    Invoiced => "invoiced",
    /// A return invoice was added.
    Returned => "returned",
    /// A shipment was added.
    ShipmentAdded => "shipment-added",
    /// A tracking event was added.
    TrackingUpdated => "tracking-updated",
    /// Items, prices or adjustments changed.
    Changed => "changed",
    /// Canceled by hand.
    Canceled => "canceled",
    /// Put on hold.
    Held => "held",
    /// Hold released.
    Released => "released",
    /// A comment was added.
    Commented => "commented",
    /// An offline refund was recorded.
    Refunded => "refunded",
    /// Customer, addresses or shipping were edited.
    Edited => "edited",
    /// A message was sent to the customer.
    CustomerNotified => "customer-notified",
}

/// What an applied command did, with what an integration needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// The order was placed.
    OrderPlaced {
        /// Its number.
        number: u64,
        /// Its total.
        total: Money,
    },
    /// The status moved.
    StatusChanged {
        /// Before.
        from: Status,
        /// After.
        to: Status,
    },
    /// A payment was recorded.
    PaymentRecorded {
        /// Approved, denied, refunded.
        kind: EventKind,
        /// The provider's id (none for manual approvals).
        payment_id: Option<PaymentId>,
        /// The amount.
        amount: Money,
    },
    /// A problem was raised.
    ProblemRaised {
        /// Its code.
        code: String,
    },
    /// Problems were cleared by a reprocess.
    ProblemsResolved {
        /// Their codes.
        codes: Vec<String>,
    },
    /// An invoice was added.
    InvoiceAdded {
        /// Output or input.
        kind: InvoiceKind,
        /// Its number.
        number: Text,
        /// Its value.
        value: Money,
    },
    /// A shipment was added.
    ShipmentAdded {
        /// The tracking number.
        number: Text,
        /// Whether to tell the customer.
        notify_customer: bool,
    },
    /// A tracking event was added.
    TrackingUpdated {
        /// The shipment.
        shipment: Text,
        /// What the carrier said.
        status: TrackingStatus,
    },
    /// Items, prices or adjustments changed.
    Changed {
        /// The client's id.
        request_id: RequestId,
        /// Total before.
        total_before: Money,
        /// Total after.
        total_after: Money,
    },
    /// A comment was added.
    Commented {
        /// Send it to the customer.
        notify_customer: bool,
    },
    /// A refund was recorded.
    Refunded {
        /// The amount.
        amount: Money,
    },
    /// Items were given back.
    ItemsReturned {
        /// Which.
        items: Vec<ItemQuantity>,
        /// Whether they go back to stock (the ERP acts on this).
        return_to_stock: bool,
    },
    /// Customer, addresses or shipping were edited.
    Edited,
    /// A message was sent to the customer.
    CustomerNotified {
        /// The template's step.
        template: Text,
    },
}
