//! Order statuses and the actors who move them.
//!
//! The list of statuses is written once, in the macro call below, which also builds
//! [`Status::ALL`]: the transition-table test walks it, so a new status cannot be added without
//! deciding its row.

use serde::{Deserialize, Serialize};

macro_rules! statuses {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// Where an order is in its life. Serialized in kebab-case, as in openapi.yaml.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Status {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Status {
            /// Every status, in declaration order.
            pub const ALL: &'static [Status] = &[$(Status::$variant,)*];

            /// The wire name (`"payment-pending"`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Status::$variant => $name,)*
                }
            }

            /// Parses a wire name.
            pub fn parse(name: &str) -> Option<Status> {
                match name {
                    $($name => Some(Status::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    /// Placed; waiting for the payment to be approved, denied or to expire.
    PaymentPending => "payment-pending",
    /// Paid; the store may start handling or invoice.
    PaymentApproved => "payment-approved",
    /// Being prepared (or produced); also where a partially invoiced order waits.
    Handling => "handling",
    /// Every item is covered by output invoices.
    Invoiced => "invoiced",
    /// A shipment with tracking was handed to a carrier.
    Shipped => "shipped",
    /// The carrier reported the parcel moving.
    InTransit => "in-transit",
    /// The carrier reported a problem delivering.
    DeliveryDifficulty => "delivery-difficulty",
    /// Every shipment was delivered.
    Delivered => "delivered",
    /// Fully returned or refunded after invoicing. Final.
    Closed => "closed",
    /// Canceled before invoicing (by hand, payment denied or expired). Final.
    Canceled => "canceled",
    /// Held by a person; remembers the status it came from.
    OnHold => "on-hold",
}

impl Status {
    /// `canceled` and `closed` never change again.
    pub const fn is_final(self) -> bool {
        matches!(self, Status::Canceled | Status::Closed)
    }

    /// The statuses an order has after it was shipped: tracking events apply here.
    pub const fn is_shipped(self) -> bool {
        matches!(
            self,
            Status::Shipped | Status::InTransit | Status::DeliveryDifficulty | Status::Delivered
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who asked for a change; recorded in the order's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    /// The store's checkout (`checkout_token`).
    Checkout,
    /// The payment provider's signed webhook.
    PaymentProvider,
    /// The store's ERP (`erp_token`).
    Erp,
    /// A carrier or logistics integration (`logistics_token`).
    Logistics,
    /// A person in the back office (`admin_token`).
    Admin,
    /// orderflow itself: the subscription runner, payment expiry.
    System,
}

impl Actor {
    /// The wire name (`"payment-provider"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Actor::Checkout => "checkout",
            Actor::PaymentProvider => "payment-provider",
            Actor::Erp => "erp",
            Actor::Logistics => "logistics",
            Actor::Admin => "admin",
            Actor::System => "system",
        }
    }
}
