//! Commands: everything that can happen to a placed order, as already-parsed values.
//!
//! Adapters (HTTP handlers, the subscription runner) build these from outside input; by the time a
//! command exists every field in it is valid on its own. Rules that depend on the order (a SKU the
//! order does not have, a refund larger than what was paid) are checked by [`super::apply`].

use serde::{Deserialize, Serialize};

use super::model::{Address, Customer, NewItem, PaymentMethod, Shipping, TrackingStatus};
use super::status::Status;
use crate::values::{Money, NfeKey, PaymentId, Quantity, RequestId, Sku, Text, Timestamp};

/// A change to a placed order. See [`CommandKind`] for the short name used by the status table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
// `allow`, not `expect`: the lint fires on 64-bit targets only (on wasm32 the variants are
// closer in size), and clippy runs on both.
#[allow(
    clippy::large_enum_variant,
    reason = "a command is built once per request and moved; boxing buys nothing"
)]
pub enum Command {
    /// A payment provider's signed notification: approved, denied or refunded.
    PaymentNotification(PaymentNotification),
    /// A person confirms a pix, deposit or bank-transfer payment by hand.
    ManualPayment(ManualPayment),
    /// The payment deadline (`payment.dueAt`) passed without payment: cancel.
    ExpirePayment {
        /// The instant the deadline is judged at when it is later than the context's `now`: a
        /// runner pass under a test clock. `None`: the context's `now`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_of: Option<Timestamp>,
    },
    /// The store starts preparing (or producing) the order.
    StartHandling,
    /// An output (sale) or input (return) invoice from the ERP.
    AddInvoice(NewInvoice),
    /// A parcel with a tracking number, for an output invoice.
    AddShipment(NewShipment),
    /// A carrier's tracking event for one shipment.
    AddTrackingEvent(NewTrackingEvent),
    /// Items, prices, discount or increment changed before invoicing.
    Change(OrderChange),
    /// Cancel by hand (not after an output invoice).
    Cancel {
        /// Why; shown in the history.
        reason: Text,
    },
    /// Put the order on hold, remembering its status.
    Hold {
        /// Why; shown to the back office.
        reason: Text,
    },
    /// Release a hold: back to the status the order had.
    Unhold,
    /// A comment, optionally sent to or shown to the customer.
    Comment(NewComment),
    /// A refund made outside the payment provider (offline), optionally for returned items.
    Refund(NewRefund),
    /// Re-check the order's problems and clear the ones that are fixed.
    Reprocess,
    /// Correct the customer, addresses or shipping before the order ships.
    Edit(OrderEdit),
    /// A message was sent to the customer (by the integrations' notification endpoint).
    RecordNotification(SentNotification),
}

macro_rules! command_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// The short name of a command, one row per name in the status table
        /// ([`super::rules::rule`]). Payment notifications and invoices split by their outcome.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum CommandKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl CommandKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [CommandKind] = &[$(CommandKind::$variant,)*];

            /// The kebab-case name (`"approve-payment"`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(CommandKind::$variant => $name,)*
                }
            }
        }
    };
}

command_kinds! {
    /// The provider approved a payment.
    ApprovePayment => "approve-payment",
    /// The provider denied a payment.
    DenyPayment => "deny-payment",
    /// The provider refunded a payment.
    RefundPayment => "refund-payment",
    /// A person approved a payment by hand.
    ApprovePaymentManually => "approve-payment-manually",
    /// The payment deadline passed.
    ExpirePayment => "expire-payment",
    /// Start handling.
    StartHandling => "start-handling",
    /// An output invoice.
    Invoice => "invoice",
    /// An input (return) invoice.
    ReturnInvoice => "return-invoice",
    /// A shipment.
    AddShipment => "add-shipment",
    /// A tracking event.
    AddTrackingEvent => "add-tracking-event",
    /// A change of items, prices, discount or increment.
    Change => "change",
    /// Cancel by hand.
    Cancel => "cancel",
    /// Hold.
    Hold => "hold",
    /// Unhold.
    Unhold => "unhold",
    /// A comment.
    Comment => "comment",
    /// An offline refund.
    Refund => "refund",
    /// Re-check problems.
    Reprocess => "reprocess",
    /// Edit customer, addresses or shipping.
    Edit => "edit",
    /// Record a message sent to the customer.
    RecordNotification => "record-notification",
}

impl Command {
    /// The row of the status table this command falls in.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::PaymentNotification(n) => match n.outcome {
                PaymentOutcome::Approved => CommandKind::ApprovePayment,
                PaymentOutcome::Denied => CommandKind::DenyPayment,
                PaymentOutcome::Refunded => CommandKind::RefundPayment,
            },
            Command::ManualPayment(_) => CommandKind::ApprovePaymentManually,
            Command::ExpirePayment { .. } => CommandKind::ExpirePayment,
            Command::StartHandling => CommandKind::StartHandling,
            Command::AddInvoice(invoice) => match invoice.kind {
                InvoiceKind::Output => CommandKind::Invoice,
                InvoiceKind::Input => CommandKind::ReturnInvoice,
            },
            Command::AddShipment(_) => CommandKind::AddShipment,
            Command::AddTrackingEvent(_) => CommandKind::AddTrackingEvent,
            Command::Change(_) => CommandKind::Change,
            Command::Cancel { .. } => CommandKind::Cancel,
            Command::Hold { .. } => CommandKind::Hold,
            Command::Unhold => CommandKind::Unhold,
            Command::Comment(_) => CommandKind::Comment,
            Command::Refund(_) => CommandKind::Refund,
            Command::Reprocess => CommandKind::Reprocess,
            Command::Edit(_) => CommandKind::Edit,
            Command::RecordNotification(_) => CommandKind::RecordNotification,
        }
    }
}

impl CommandKind {
    /// The status this kind of command moves an order in `from` towards, when it is a transition
    /// at all; reported as `details.to` of an `invalid-transition` error.
    pub const fn target(self, from: Status) -> Option<Status> {
        match self {
            CommandKind::ApprovePayment | CommandKind::ApprovePaymentManually => {
                Some(Status::PaymentApproved)
            }
            CommandKind::DenyPayment | CommandKind::ExpirePayment | CommandKind::Cancel => {
                Some(Status::Canceled)
            }
            CommandKind::StartHandling => Some(Status::Handling),
            CommandKind::Invoice => Some(Status::Invoiced),
            CommandKind::ReturnInvoice => Some(Status::Closed),
            CommandKind::AddShipment => Some(Status::Shipped),
            CommandKind::AddTrackingEvent => Some(Status::InTransit),
            CommandKind::Hold => Some(Status::OnHold),
            CommandKind::Unhold => None,
            CommandKind::RefundPayment
            | CommandKind::Change
            | CommandKind::Comment
            | CommandKind::Refund
            | CommandKind::Reprocess
            | CommandKind::Edit
            | CommandKind::RecordNotification => Some(from),
        }
    }
}

/// What a payment provider says happened to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaymentOutcome {
    /// Captured / confirmed.
    Approved,
    /// Refused by the issuer or the anti-fraud.
    Denied,
    /// Returned to the customer.
    Refunded,
}

/// `POST /payments/notifications`, already verified and parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    /// The provider's id of the payment; with `outcome` it identifies a notification.
    pub payment_id: PaymentId,
    /// Approved, denied or refunded.
    pub outcome: PaymentOutcome,
    /// The amount approved, denied or refunded.
    pub amount: Money,
    /// The method the customer used.
    pub method: PaymentMethod,
    /// When it happened at the provider.
    pub occurred_at: Timestamp,
}

/// `POST /orders/{id}/payment`: a person confirms a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualPayment {
    /// The amount received.
    pub amount: Money,
    /// What the person checked (a bank statement line, a receipt).
    pub note: Option<Text>,
}

/// Output (a sale) or input (a return).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvoiceKind {
    /// A sale invoice: items leave the store.
    Output,
    /// A return invoice: items come back; a refund is recorded.
    Input,
}

/// A SKU and a quantity of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemQuantity {
    /// The item.
    pub sku: Sku,
    /// How many units.
    pub quantity: Quantity,
}

/// Tracking information sent along with an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingInfo {
    /// The carrier (`"Correios"`).
    pub carrier: Text,
    /// The tracking number.
    pub number: Text,
    /// A page where the customer can follow the parcel.
    pub url: Option<Text>,
}

/// `POST /orders/{id}/invoices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewInvoice {
    /// Output or input.
    pub kind: InvoiceKind,
    /// The invoice number; with the series it identifies the invoice.
    pub number: Text,
    /// The series.
    pub series: Option<Text>,
    /// The 44-digit NF-e access key, when the invoice is a Brazilian NF-e or NFC-e.
    pub key: Option<NfeKey>,
    /// The invoice's value; must equal the items' value (plus shipping where it applies).
    pub value: Money,
    /// When the invoice was issued.
    pub issued_at: Timestamp,
    /// Where the invoice document (DANFE, XML) can be fetched.
    pub url: Option<Text>,
    /// The items invoiced; `None` means everything not yet invoiced (or returned).
    pub items: Option<Vec<ItemQuantity>>,
    /// Tracking for the parcel this invoice travels with.
    pub tracking: Option<TrackingInfo>,
}

/// `POST /orders/{id}/shipments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewShipment {
    /// The output invoice the parcel carries.
    pub invoice_number: Text,
    /// The carrier.
    pub carrier: Text,
    /// A title for the customer (`"Entrega normal"`).
    pub title: Option<Text>,
    /// The tracking number; identifies the shipment within the order.
    pub number: Text,
    /// A page where the customer can follow the parcel.
    pub url: Option<Text>,
    /// Whether the customer should be told.
    pub notify_customer: bool,
}

/// `POST /orders/{id}/shipments/{number}/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTrackingEvent {
    /// The shipment's tracking number.
    pub shipment: Text,
    /// What the carrier reports.
    pub status: TrackingStatus,
    /// The carrier's description.
    pub description: Option<Text>,
    /// Where it happened.
    pub city: Option<Text>,
    /// Where it happened (state or province).
    pub state: Option<Text>,
    /// When it happened; an event older than one already applied never moves the status back.
    pub occurred_at: Timestamp,
}

/// A new unit price for a SKU already on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceChange {
    /// The item.
    pub sku: Sku,
    /// Its new unit price.
    pub unit_price: Money,
}

/// `POST /orders/{id}/changes`: items, prices and adjustments changed before invoicing.
///
/// `discount` and `increment` are signed deltas on the order-level adjustments, so every change
/// has an inverse (remove what was added, restore prices, negate the deltas).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderChange {
    /// The client's id for this change: applied once, replays change nothing.
    pub request_id: RequestId,
    /// Why; shown in the history.
    pub reason: Text,
    /// Items to add (a SKU already on the order at the same price gains quantity).
    pub add: Vec<NewItem>,
    /// Quantities to remove (a line reaching zero disappears).
    pub remove: Vec<ItemQuantity>,
    /// New unit prices.
    pub prices: Vec<PriceChange>,
    /// Added to the order-level discount (negative gives discount back).
    pub discount: Money,
    /// Added to the order-level increment, a surcharge (negative removes it).
    pub increment: Money,
}

/// `POST /orders/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewComment {
    /// The comment.
    pub text: Text,
    /// Send it to the customer.
    pub notify_customer: bool,
    /// Show it on the customer's order page.
    pub visible_to_customer: bool,
}

/// A message the store's email service took for the customer: recorded once per event and
/// endpoint, so a delivery retried or recorded twice is one notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentNotification {
    /// The feed event it tells of (`evt_...`).
    pub event_id: Text,
    /// The notification endpoint that took it.
    pub endpoint_id: Text,
    /// The template's step (`order.shipped`).
    pub template: Text,
    /// The message's language (`pt-BR`, `en`).
    pub locale: Text,
    /// The subject line as sent.
    pub subject: Text,
    /// The address it went to.
    pub to: Text,
}

/// `POST /orders/{id}/refunds`: money returned outside the payment provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRefund {
    /// The amount refunded; never more than what was paid and not yet refunded.
    pub amount: Money,
    /// Items the customer gave back, if the refund is for items.
    pub items: Vec<ItemQuantity>,
    /// Whether the returned items go back to stock (reported in the event for the ERP).
    pub return_to_stock: bool,
    /// A note.
    pub comment: Option<Text>,
    /// Send the customer a message.
    pub notify_customer: bool,
}

/// `PATCH /orders/{id}`: corrections before shipping. Absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEdit {
    /// New customer data.
    pub customer: Option<Customer>,
    /// New shipping address.
    pub shipping_address: Option<Address>,
    /// New billing address.
    pub billing_address: Option<Address>,
    /// New shipping method, carrier or price (a price change only before invoicing).
    pub shipping: Option<Shipping>,
}
