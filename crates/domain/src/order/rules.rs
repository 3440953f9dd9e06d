//! The status table: for every (status, command kind), whether the command may run.
//!
//! This is the whole status table (docs/architecture.md, "Orders") in one exhaustive `match`: a new
//! status or command kind does not compile until its row is decided. Guards that depend on the
//! order's data (an output invoice blocks cancel, problems block handling and invoicing, a payment
//! deadline that has not passed) are checked by [`super::apply`] after this table allows the
//! command.

use super::command::CommandKind;
use super::status::Status;

/// The table's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The command may run (its data guards still apply).
    Allowed,
    /// Refused with `order-on-hold`.
    OnHold,
    /// Refused with `invalid-transition`.
    Invalid,
}

/// Whether a command of `kind` may run on an order in `status`.
pub const fn rule(status: Status, kind: CommandKind) -> Rule {
    use CommandKind as K;
    use Rule::{Allowed, Invalid};
    match status {
        Status::PaymentPending => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::ExpirePayment
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Reprocess
            | K::Edit => Allowed,
            K::StartHandling
            | K::Invoice
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Unhold => Invalid,
        },
        Status::PaymentApproved => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::StartHandling
            | K::Invoice
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Reprocess
            | K::Edit => Allowed,
            K::ExpirePayment
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Unhold => Invalid,
        },
        Status::Handling => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::Invoice
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Reprocess
            | K::Edit => Allowed,
            K::ExpirePayment
            | K::StartHandling
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Unhold => Invalid,
        },
        Status::Invoiced => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::ReturnInvoice
            | K::AddShipment
            | K::Hold
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Reprocess
            | K::Edit => Allowed,
            K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::AddTrackingEvent
            | K::Change
            | K::Cancel
            | K::Unhold => Invalid,
        },
        Status::Shipped | Status::InTransit | Status::DeliveryDifficulty => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Reprocess => Allowed,
            K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Unhold
            | K::Edit => Invalid,
        },
        Status::Delivered => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::ReturnInvoice
            | K::AddTrackingEvent
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Reprocess => Allowed,
            K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::AddShipment
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Unhold
            | K::Edit => Invalid,
        },
        // Final statuses still record what providers report (a late payment becomes a problem,
        // never an error a provider would retry forever), refunds, comments and reprocessing.
        Status::Closed | Status::Canceled => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Reprocess => Allowed,
            K::ApprovePaymentManually
            | K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Unhold
            | K::Edit => Invalid,
        },
        Status::OnHold => match kind {
            K::Unhold | K::Comment | K::RecordNotification => Allowed,
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Refund
            | K::Reprocess
            | K::Edit => Rule::OnHold,
        },
    }
}
