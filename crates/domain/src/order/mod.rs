//! The order aggregate: its document, the commands that change it, the status table and the
//! pure functions [`place`] and [`apply`] that decide every rule.
//!
//! Seams for the components: the orders service parses outside input into [`PlaceOrder`] and
//! [`Command`] values, loads the stored [`Order`], calls [`apply`] with a [`Context`], and writes
//! [`Applied::order`] with compare-and-swap when [`Applied::changed`]; [`Applied::events`] feed the
//! event log. Errors map to HTTP through [`OrderError::code`] and [`OrderError::kind`].

mod apply;
mod command;
mod error;
mod event;
mod model;
mod place;
mod rules;
mod status;
mod totals;

pub use apply::{Applied, Context, apply};
pub use command::{
    Command, CommandKind, InvoiceKind, ItemQuantity, ManualPayment, NewComment, NewInvoice,
    NewRefund, NewShipment, NewTrackingEvent, OrderChange, OrderEdit, PaymentNotification,
    PaymentOutcome, PriceChange, SentNotification, TrackingInfo,
};
pub use error::{ErrorKind, OrderError};
pub use event::{Event, EventKind};
pub use model::{
    Address, Adjustments, CancelCause, Cancellation, Change, Comment, Customer, HistoryEntry, Hold,
    Invoice, InvoiceLine, Item, NewItem, Notification, Order, Payment, PaymentMethod,
    PaymentStatus, Problem, ProblemKind, Refund, RefundSource, Shipment, Shipping, SubscriptionRef,
    Totals, TrackingEvent, TrackingStatus, Transaction, TransactionKind,
};
pub use place::{NewPayment, PaymentWindows, PlaceOrder, check_items, place};
pub use rules::{Rule, rule};
pub use status::{Actor, Status};
