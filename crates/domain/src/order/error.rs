//! Why a command was refused. One variant per reason a client can act on; [`OrderError::code`]
//! gives the kebab-case code of openapi.yaml and [`OrderError::kind`] the HTTP family it belongs
//! to, so the adapters map errors in one place.

use super::command::CommandKind;
use super::status::Status;
use crate::values::{FieldError, Money, Sku, Text};

/// The family of an error, which adapters map to an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request conflicts with the order's state (409).
    Conflict,
    /// The request is well-formed but invalid for this order (422).
    Invalid,
}

/// A refused command. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The command is not allowed in the order's status.
    #[error("an order in {from} cannot go to {}", to.map_or("that state", Status::as_str))]
    InvalidTransition {
        /// The order's status.
        from: Status,
        /// Where the command would take it, when it is a transition.
        to: Option<Status>,
        /// The command.
        command: CommandKind,
    },
    /// The order is on hold: only unhold and comments are accepted.
    #[error("the order is on hold; release it first")]
    OnHold,
    /// The order has open problems: fix them and reprocess.
    #[error("the order has problems to fix and reprocess first")]
    HasProblems,
    /// `If-Match` named another version.
    #[error("the order is at version {actual}, not {expected}")]
    VersionMismatch {
        /// What the client expected.
        expected: u64,
        /// What it is.
        actual: u64,
    },
    /// Cancel or change after an output invoice.
    #[error("the order has an output invoice; use a return invoice instead")]
    AlreadyInvoiced,
    /// The client's total differs from the computed one.
    #[error("the total is {computed}, not {given}")]
    TotalMismatch {
        /// What orderflow computed.
        computed: Money,
        /// What the client sent.
        given: Money,
    },
    /// An invoice value differs from the value of what it covers.
    #[error("the invoice value should be {expected}, not {given}")]
    InvoiceValueMismatch {
        /// The value of the items (and shipping where it applies).
        expected: Money,
        /// What the invoice says.
        given: Money,
    },
    /// An invoice with this number and series exists with other data.
    #[error("invoice {number} already exists with other data")]
    InvoiceNumberConflict {
        /// The number.
        number: Text,
    },
    /// Everything is already invoiced (or returned).
    #[error("there is nothing left to invoice")]
    NothingToInvoice,
    /// More units than the order has left to invoice, return or remove.
    #[error("only {available} of {sku} are available, not {requested}")]
    QuantityExceeded {
        /// The SKU.
        sku: Sku,
        /// Asked for.
        requested: u32,
        /// Available.
        available: u32,
    },
    /// The SKU is not on the order.
    #[error("{sku} is not on the order")]
    UnknownSku {
        /// The SKU.
        sku: Sku,
    },
    /// A SKU appears twice where each must be unique.
    #[error("{sku} appears more than once")]
    DuplicateSku {
        /// The SKU.
        sku: Sku,
    },
    /// An item added for a SKU already on the order at another unit price.
    #[error("{sku} is on the order at another price; change its price with `prices`")]
    UnitPriceDiffers {
        /// The SKU.
        sku: Sku,
    },
    /// A change would leave the order with no items.
    #[error("an order needs at least one item")]
    NoItems,
    /// A shipment names an invoice the order does not have.
    #[error("the order has no output invoice {number}")]
    UnknownInvoice {
        /// The number.
        number: Text,
    },
    /// A tracking event names a shipment the order does not have.
    #[error("the order has no shipment {number}")]
    UnknownShipment {
        /// The tracking number.
        number: Text,
    },
    /// A shipment with this tracking number exists with other data.
    #[error("shipment {number} already exists with other data")]
    ShipmentConflict {
        /// The tracking number.
        number: Text,
    },
    /// A notification with this payment id and status was recorded with another amount.
    #[error("payment {payment_id} was already recorded with another amount")]
    PaymentConflict {
        /// The provider's id.
        payment_id: String,
    },
    /// A change's `requestId` was used for a different change.
    #[error("request id {request_id} was used for a different change")]
    RequestIdReused {
        /// The id.
        request_id: String,
    },
    /// The payment method cannot be approved by hand.
    #[error("{method} payments are confirmed by the provider, not by hand")]
    ManualApprovalNotAllowed {
        /// The order's method.
        method: &'static str,
    },
    /// The payment deadline has not passed (or there is none).
    #[error("the payment deadline has not passed")]
    PaymentNotExpired,
    /// A refund larger than what was paid and not yet refunded.
    #[error("at most {available} can be refunded, not {requested}")]
    RefundExceedsPaid {
        /// Asked for.
        requested: Money,
        /// Paid and not refunded.
        available: Money,
    },
    /// A discount larger than what it discounts, or an adjustment below zero.
    #[error("the discounts would exceed what they discount")]
    DiscountTooLarge,
    /// Nothing to do (an empty change, an empty edit, a zero refund).
    #[error("the request changes nothing")]
    EmptyCommand,
    /// Unhold on an order that is not held.
    #[error("the order is not on hold")]
    NotOnHold,
    /// A value is invalid (money overflow, a bad field in a nested value).
    #[error("{0}")]
    Field(#[from] FieldError),
}

impl OrderError {
    /// The kebab-case code clients see in `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::InvalidTransition { .. } => "invalid-transition",
            OrderError::OnHold => "order-on-hold",
            OrderError::HasProblems => "order-has-problems",
            OrderError::VersionMismatch { .. } => "version-mismatch",
            OrderError::AlreadyInvoiced => "order-invoiced",
            OrderError::TotalMismatch { .. } => "total-mismatch",
            OrderError::InvoiceValueMismatch { .. } => "invoice-value-mismatch",
            OrderError::InvoiceNumberConflict { .. } => "invoice-number-conflict",
            OrderError::NothingToInvoice => "nothing-to-invoice",
            OrderError::QuantityExceeded { .. } => "quantity-exceeded",
            OrderError::UnknownSku { .. } => "unknown-sku",
            OrderError::DuplicateSku { .. } => "duplicate-sku",
            OrderError::UnitPriceDiffers { .. } => "unit-price-differs",
            OrderError::NoItems => "no-items",
            OrderError::UnknownInvoice { .. } => "unknown-invoice",
            OrderError::UnknownShipment { .. } => "unknown-shipment",
            OrderError::ShipmentConflict { .. } => "shipment-conflict",
            OrderError::PaymentConflict { .. } => "payment-conflict",
            OrderError::RequestIdReused { .. } => "request-id-reused",
            OrderError::ManualApprovalNotAllowed { .. } => "manual-approval-not-allowed",
            OrderError::PaymentNotExpired => "payment-not-expired",
            OrderError::RefundExceedsPaid { .. } => "refund-exceeds-paid",
            OrderError::DiscountTooLarge => "discount-too-large",
            OrderError::EmptyCommand => "empty-command",
            OrderError::NotOnHold => "not-on-hold",
            OrderError::Field(_) => "invalid-field",
        }
    }

    /// Conflict (409) or invalid (422).
    pub fn kind(&self) -> ErrorKind {
        match self {
            OrderError::InvalidTransition { .. }
            | OrderError::OnHold
            | OrderError::HasProblems
            | OrderError::VersionMismatch { .. }
            | OrderError::AlreadyInvoiced
            | OrderError::InvoiceNumberConflict { .. }
            | OrderError::NothingToInvoice
            | OrderError::ShipmentConflict { .. }
            | OrderError::PaymentConflict { .. }
            | OrderError::PaymentNotExpired
            | OrderError::NotOnHold => ErrorKind::Conflict,
            OrderError::TotalMismatch { .. }
            | OrderError::InvoiceValueMismatch { .. }
            | OrderError::QuantityExceeded { .. }
            | OrderError::UnknownSku { .. }
            | OrderError::DuplicateSku { .. }
            | OrderError::UnitPriceDiffers { .. }
            | OrderError::NoItems
            | OrderError::UnknownInvoice { .. }
            | OrderError::UnknownShipment { .. }
            | OrderError::RequestIdReused { .. }
            | OrderError::ManualApprovalNotAllowed { .. }
            | OrderError::RefundExceedsPaid { .. }
            | OrderError::DiscountTooLarge
            | OrderError::EmptyCommand
            | OrderError::Field(_) => ErrorKind::Invalid,
        }
    }
}

impl From<crate::values::Invalid> for OrderError {
    /// Money arithmetic overflow inside a computation: reported against the totals.
    fn from(reason: crate::values::Invalid) -> Self {
        OrderError::Field(reason.at("totals"))
    }
}
