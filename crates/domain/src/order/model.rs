//! The order document and its parts, as stored and as rendered.
//!
//! Field names serialize in camelCase exactly as openapi.yaml's `Order` shows. An [`Order`] is
//! built only by [`super::place`] and changed only by [`super::apply`]; its fields are read through
//! accessors so that no caller can break the invariants (totals equal the sum of their parts,
//! `version` counts the changes).

use serde::{Deserialize, Serialize};

use super::status::{Actor, Status};
use crate::values::{
    Channel, Country, Currency, CustomerId, Document, Email, ExternalId, LocationId, Money, NfeKey,
    OrderId, PaymentId, Phone, PostalCode, Quantity, RequestId, Sku, SubscriptionId, TestClockId,
    Text, Timestamp,
};

use super::command::{InvoiceKind, ItemQuantity, PriceChange, TrackingInfo};
use super::event::EventKind;

/// The buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// The store's id for the customer, when it has one.
    pub id: Option<CustomerId>,
    /// Full name.
    pub name: Text,
    /// Where order messages go.
    pub email: Email,
    /// CPF or CNPJ, for Brazilian invoices.
    pub document: Option<Document>,
    /// A phone number.
    pub phone: Option<Phone>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street name.
    pub street: Text,
    /// House number (`"10"`, `"s/n"`).
    pub number: Text,
    /// Apartment, block.
    pub complement: Option<Text>,
    /// Bairro.
    pub neighborhood: Option<Text>,
    /// City.
    pub city: Text,
    /// State or province (a UF in Brazil).
    pub state: Text,
    /// Postal code (a CEP in Brazil).
    pub postal_code: PostalCode,
    /// ISO 3166-1 alpha-3.
    pub country: Country,
}

/// An item as the checkout (or a change) sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewItem {
    /// The SKU; unique within an order.
    pub sku: Sku,
    /// The product name as sold.
    pub name: Text,
    /// How many.
    pub quantity: Quantity,
    /// The price of one unit.
    pub unit_price: Money,
    /// The discount on the whole line (not per unit); at most `unit_price × quantity`.
    pub discount: Money,
}

/// A line of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The SKU; unique within an order.
    pub sku: Sku,
    /// The product name as sold.
    pub name: Text,
    /// How many.
    pub quantity: Quantity,
    /// The price of one unit.
    pub unit_price: Money,
    /// The discount on the whole line.
    pub discount: Money,
    /// Units covered by output invoices.
    pub invoiced: u32,
    /// Units given back (return invoices and refunds with items).
    pub returned: u32,
}

impl Item {
    /// `unit_price × quantity − discount`.
    pub fn value(&self) -> Result<Money, crate::values::Invalid> {
        self.unit_price
            .checked_mul(self.quantity.get())?
            .checked_sub(self.discount)
    }
}

/// How the order travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipping {
    /// The delivery method (`"PAC"`, `"SEDEX"`, `"pickup"`).
    pub method: Text,
    /// The carrier.
    pub carrier: Option<Text>,
    /// What the customer pays for it.
    pub price: Money,
}

macro_rules! wire_enum {
    ($(#[doc = $tydoc:literal])* $name:ident { $($(#[doc = $doc:literal])* $variant:ident => $wire:literal,)* }) => {
        $(#[doc = $tydoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[doc = $doc])* #[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            /// Every variant.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The wire name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }

            /// Parses a wire name.
            pub fn parse(name: &str) -> Option<$name> {
                match name {
                    $($wire => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

wire_enum! {
    /// How the customer pays.
    PaymentMethod {
        /// A card; approved or denied by the provider, no deadline.
        CreditCard => "credit-card",
        /// Pix; expires at `payment.dueAt`.
        Pix => "pix",
        /// Boleto bancário; expires at `payment.dueAt`.
        Boleto => "boleto",
        /// A bank deposit, confirmed by hand.
        Deposit => "deposit",
        /// A bank transfer, confirmed by hand.
        BankTransfer => "bank-transfer",
    }
}

impl PaymentMethod {
    /// Pix and boleto have a payment deadline; cards do not; deposits and transfers only when the
    /// checkout sets one.
    pub const fn has_deadline(self) -> bool {
        matches!(self, PaymentMethod::Pix | PaymentMethod::Boleto)
    }

    /// Methods a person may approve by hand (`POST /orders/{id}/payment`).
    pub const fn allows_manual_approval(self) -> bool {
        matches!(
            self,
            PaymentMethod::Pix | PaymentMethod::Deposit | PaymentMethod::BankTransfer
        )
    }
}

wire_enum! {
    /// The payment's state, derived from its transactions.
    PaymentStatus {
        /// Nothing approved yet.
        Pending => "pending",
        /// The last attempt was denied and nothing is paid.
        Denied => "denied",
        /// Something is paid and not all of it refunded.
        Approved => "approved",
        /// Everything paid was refunded.
        Refunded => "refunded",
    }
}

wire_enum! {
    /// What a transaction records.
    TransactionKind {
        /// Money received.
        Approved => "approved",
        /// An attempt refused.
        Denied => "denied",
        /// Money returned by the provider.
        Refunded => "refunded",
    }
}

/// One payment event: from the provider (with its id) or confirmed by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// The provider's payment id; `None` for manual approvals.
    pub payment_id: Option<PaymentId>,
    /// Approved, denied or refunded.
    pub kind: TransactionKind,
    /// The amount.
    pub amount: Money,
    /// The method used.
    pub method: PaymentMethod,
    /// When it happened (provider time, or when the person confirmed it).
    pub occurred_at: Timestamp,
    /// Who recorded it.
    pub actor: Actor,
    /// The person's note, for manual approvals.
    pub note: Option<Text>,
}

/// The order's payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// How the customer pays.
    pub method: PaymentMethod,
    /// Derived from the transactions.
    pub status: PaymentStatus,
    /// The deadline for pix and boleto (and for others when the checkout sets one).
    pub due_at: Option<Timestamp>,
    /// Every payment event, in the order recorded.
    pub transactions: Vec<Transaction>,
}

/// Order-level adjustments made by changes, on top of the items' own discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjustments {
    /// An order-level discount (never negative).
    pub discount: Money,
    /// An order-level surcharge (never negative).
    pub increment: Money,
}

/// The order's money, always recomputed from its parts.
///
/// `total = items − discount + increment + shipping`; `balance` is what the customer still owes
/// (positive) or is owed (negative): `(total − returned, or 0 when canceled) − (paid − refunded)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Σ unit price × quantity.
    pub items: Money,
    /// Σ line discounts + the order-level discount.
    pub discount: Money,
    /// The order-level surcharge.
    pub increment: Money,
    /// The shipping price.
    pub shipping: Money,
    /// What the order costs.
    pub total: Money,
    /// Σ approved payments.
    pub paid: Money,
    /// Σ refunds (provider, offline and return invoices).
    pub refunded: Money,
    /// The value of what was given back (return invoices and refunds with items).
    pub returned: Money,
    /// Positive: charge due; negative: refund due.
    pub balance: Money,
}

/// An invoice line: what was invoiced and at what value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    /// The item.
    pub sku: Sku,
    /// Units.
    pub quantity: Quantity,
    /// Their value after the line discount apportioned to them.
    pub value: Money,
}

/// An output or return invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// Output or input.
    #[serde(rename = "type")]
    pub kind: InvoiceKind,
    /// The number.
    pub number: Text,
    /// The series.
    pub series: Option<Text>,
    /// The NF-e access key.
    pub key: Option<NfeKey>,
    /// The value.
    pub value: Money,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// The document's address.
    pub url: Option<Text>,
    /// What it covers.
    pub items: Vec<InvoiceLine>,
    /// Whether `value` includes shipping and the order-level adjustments.
    pub includes_shipping: bool,
    /// Tracking sent with the invoice.
    pub tracking: Option<TrackingInfo>,
    /// When orderflow recorded it.
    pub recorded_at: Timestamp,
}

wire_enum! {
    /// What a carrier reports.
    TrackingStatus {
        /// Moving.
        InTransit => "in-transit",
        /// A problem delivering.
        DeliveryDifficulty => "delivery-difficulty",
        /// Delivered.
        Delivered => "delivered",
    }
}

/// One carrier event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingEvent {
    /// What happened.
    pub status: TrackingStatus,
    /// The carrier's words.
    pub description: Option<Text>,
    /// Where.
    pub city: Option<Text>,
    /// Where.
    pub state: Option<Text>,
    /// When.
    pub occurred_at: Timestamp,
}

/// A parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    /// The tracking number; unique within the order.
    pub number: Text,
    /// The output invoice it carries.
    pub invoice_number: Text,
    /// The carrier.
    pub carrier: Text,
    /// A title for the customer.
    pub title: Option<Text>,
    /// Where to follow it.
    pub url: Option<Text>,
    /// Whether the customer was told.
    pub notify_customer: bool,
    /// The latest status by `occurredAt` (not by arrival).
    pub status: Option<TrackingStatus>,
    /// Every event, in arrival order.
    pub events: Vec<TrackingEvent>,
    /// When it was recorded.
    pub created_at: Timestamp,
}

wire_enum! {
    /// Where a refund came from.
    RefundSource {
        /// Recorded by a person (money returned outside the provider).
        Offline => "offline",
        /// Reported by the payment provider.
        Provider => "provider",
        /// A return invoice.
        ReturnInvoice => "return-invoice",
    }
}

/// Money given back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// Offline, provider or return invoice.
    pub source: RefundSource,
    /// The amount.
    pub amount: Money,
    /// The provider's payment id or the return invoice number.
    pub reference: Option<String>,
    /// Items given back with it.
    pub items: Vec<ItemQuantity>,
    /// Whether those items go back to stock.
    pub return_to_stock: bool,
    /// The part of the amount beyond what was due and not for items: a rebate, counted as
    /// order-level discount.
    pub rebate: Money,
    /// A note.
    pub comment: Option<Text>,
    /// Whether the customer is told.
    pub notify_customer: bool,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
}

/// A change that was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The client's id; a replay is recognised by it.
    pub request_id: RequestId,
    /// Why.
    pub reason: Text,
    /// Added items.
    pub add: Vec<NewItem>,
    /// Removed quantities.
    pub remove: Vec<ItemQuantity>,
    /// New prices.
    pub prices: Vec<PriceChange>,
    /// Delta on the order-level discount.
    pub discount: Money,
    /// Delta on the order-level increment.
    pub increment: Money,
    /// The total before.
    pub total_before: Money,
    /// The total after.
    pub total_after: Money,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// The text.
    pub text: Text,
    /// Sent to the customer.
    pub notify_customer: bool,
    /// Shown on the customer's order page.
    pub visible_to_customer: bool,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
}

/// A message sent to the customer ("Notificações").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The feed event it told of.
    pub event_id: Text,
    /// The notification endpoint that took it.
    pub endpoint_id: Text,
    /// The template's step.
    pub template: Text,
    /// Its language.
    pub locale: Text,
    /// Its subject line.
    pub subject: Text,
    /// Where it went.
    pub to: Text,
    /// When it was recorded.
    pub at: Timestamp,
}

/// A data inconsistency that blocks handling and invoicing until fixed and reprocessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum ProblemKind {
    /// Paid (net of refunds) differs from the total.
    PaymentAmountMismatch {
        /// The order total when detected.
        expected: Money,
        /// Paid net of refunds when detected.
        paid: Money,
    },
    /// A payment arrived for an order already canceled; it must be refunded.
    PaymentForCanceledOrder {
        /// The provider's id, when it came from the provider.
        payment_id: Option<PaymentId>,
        /// The amount.
        amount: Money,
    },
}

impl ProblemKind {
    /// The kebab-case code.
    pub const fn code(&self) -> &'static str {
        match self {
            ProblemKind::PaymentAmountMismatch { .. } => "payment-amount-mismatch",
            ProblemKind::PaymentForCanceledOrder { .. } => "payment-for-canceled-order",
        }
    }
}

/// A problem and when it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// What is wrong.
    #[serde(flatten)]
    pub kind: ProblemKind,
    /// When it was found.
    pub detected_at: Timestamp,
}

/// A hold in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    /// Why.
    pub reason: Text,
    /// The status to go back to.
    pub previous: Status,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
}

wire_enum! {
    /// What canceled an order.
    CancelCause {
        /// A person (or an integration) asked for it.
        Requested => "requested",
        /// The payment provider denied the payment.
        PaymentDenied => "payment-denied",
        /// The payment deadline passed.
        PaymentExpired => "payment-expired",
    }
}

/// Why and when an order was canceled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancellation {
    /// What canceled it.
    pub cause: CancelCause,
    /// The person's reason, for requested cancellations.
    pub reason: Option<Text>,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
}

/// One entry of the order's history: every applied command leaves one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// When.
    pub at: Timestamp,
    /// The status before (`None` at placement).
    pub from: Option<Status>,
    /// The status after (equal to `from` when the command moved nothing).
    pub to: Status,
    /// What happened.
    pub event: EventKind,
    /// Who.
    pub actor: Actor,
    /// The back office's person who did it, by name (actor `Admin` from the panel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Text>,
}

/// The subscription cycle an order was generated for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRef {
    /// The subscription.
    pub id: SubscriptionId,
    /// The cycle number, from 1.
    pub cycle: u32,
    /// The test clock the subscription lives on: the order is dated by it and expires by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_clock: Option<TestClockId>,
}

/// An order. Build one with [`super::place`]; change it with [`super::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub(super) id: OrderId,
    pub(super) number: u64,
    pub(super) status: Status,
    pub(super) version: u64,
    pub(super) channel: Channel,
    pub(super) external_id: Option<ExternalId>,
    pub(super) currency: Currency,
    pub(super) customer: Customer,
    pub(super) shipping_address: Address,
    pub(super) billing_address: Option<Address>,
    pub(super) items: Vec<Item>,
    pub(super) shipping: Shipping,
    pub(super) payment: Payment,
    pub(super) adjustments: Adjustments,
    pub(super) totals: Totals,
    pub(super) invoices: Vec<Invoice>,
    pub(super) shipments: Vec<Shipment>,
    pub(super) refunds: Vec<Refund>,
    pub(super) changes: Vec<Change>,
    pub(super) comments: Vec<Comment>,
    #[serde(default)]
    pub(super) notifications: Vec<Notification>,
    pub(super) problems: Vec<Problem>,
    pub(super) hold: Option<Hold>,
    pub(super) cancellation: Option<Cancellation>,
    pub(super) subscription: Option<SubscriptionRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) stock_location: Option<LocationId>,
    pub(super) history: Vec<HistoryEntry>,
    pub(super) created_at: Timestamp,
    pub(super) updated_at: Timestamp,
}

macro_rules! getters {
    ($($(#[doc = $doc:literal])* $field:ident: $ty:ty,)*) => {
        impl Order {
            $($(#[doc = $doc])* pub fn $field(&self) -> &$ty { &self.$field })*
        }
    };
}

getters! {
    /// The opaque id.
    id: OrderId,
    /// The sales channel.
    channel: Channel,
    /// The channel's own id for the order (marketplace order id).
    external_id: Option<ExternalId>,
    /// ISO 4217 currency of every amount.
    currency: Currency,
    /// The buyer.
    customer: Customer,
    /// Where it goes.
    shipping_address: Address,
    /// Where it is billed, if different.
    billing_address: Option<Address>,
    /// The lines.
    items: Vec<Item>,
    /// How it travels.
    shipping: Shipping,
    /// The payment.
    payment: Payment,
    /// Order-level discount and increment.
    adjustments: Adjustments,
    /// The money.
    totals: Totals,
    /// Output and return invoices.
    invoices: Vec<Invoice>,
    /// Parcels.
    shipments: Vec<Shipment>,
    /// Refunds.
    refunds: Vec<Refund>,
    /// Applied changes.
    changes: Vec<Change>,
    /// Comments.
    comments: Vec<Comment>,
    /// Messages sent to the customer.
    notifications: Vec<Notification>,
    /// Open problems.
    problems: Vec<Problem>,
    /// The hold in force.
    hold: Option<Hold>,
    /// Why and when it was canceled.
    cancellation: Option<Cancellation>,
    /// The subscription cycle it came from.
    subscription: Option<SubscriptionRef>,
    /// The stock location the placement asked to reserve at.
    stock_location: Option<LocationId>,
    /// What happened, oldest first.
    history: Vec<HistoryEntry>,
    /// When it was placed.
    created_at: Timestamp,
    /// When it last changed.
    updated_at: Timestamp,
}

impl Order {
    /// The sequential number people use (`#1042`).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Incremented by every change; 1 when placed.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The item with this SKU.
    pub fn item(&self, sku: &Sku) -> Option<&Item> {
        self.items.iter().find(|item| &item.sku == sku)
    }

    /// Whether any output invoice exists (cancel and changes are refused then).
    pub fn has_output_invoice(&self) -> bool {
        self.invoices.iter().any(|i| i.kind == InvoiceKind::Output)
    }
}
