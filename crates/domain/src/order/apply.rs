//! Placing an order and applying commands to it: the one place where order rules are decided.
//!
//! Both functions are pure: they take the current order (or the placement input), the command and
//! a [`Context`] (the clock and the actor), and return the new order with the events it produced,
//! or an [`OrderError`] and no change at all. Replays of natural-id commands (the same payment
//! notification, invoice number, shipment, tracking event or change `requestId`) are recognised
//! before anything else and come back as [`Applied::changed`] `== false`.

use chrono::TimeDelta;

use super::command::{
    Command, InvoiceKind, ItemQuantity, ManualPayment, NewInvoice, NewRefund, NewShipment,
    NewTrackingEvent, OrderChange, OrderEdit, PaymentNotification, PaymentOutcome,
};
use super::error::OrderError;
use super::event::{Event, EventKind};
use super::model::{
    Address, Adjustments, CancelCause, Cancellation, Change, Comment, Customer, HistoryEntry, Hold,
    Invoice, InvoiceLine, Item, NewItem, Order, Payment, PaymentMethod, PaymentStatus, Problem,
    ProblemKind, Refund, RefundSource, Shipment, Shipping, SubscriptionRef, Totals, TrackingEvent,
    TrackingStatus, Transaction, TransactionKind,
};
use super::rules::{Rule, rule};
use super::status::{Actor, Status};
use super::totals::units_value;
use crate::values::{
    Channel, Currency, ExternalId, Money, OrderId, PaymentId, Quantity, Sku, Text, Timestamp,
};

/// The clock and the caller of a command.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Now, as the adapter's clock says (tests pass a fixed instant).
    pub now: Timestamp,
    /// Who asks.
    pub actor: Actor,
    /// The version the caller expects (`If-Match`), if any.
    pub expected_version: Option<u64>,
}

impl Context {
    /// A context without a version expectation.
    pub fn new(now: Timestamp, actor: Actor) -> Self {
        Context {
            now,
            actor,
            expected_version: None,
        }
    }
}

/// The result of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The order after the command (the same order when nothing changed).
    pub order: Order,
    /// What happened, for the event feed; empty when nothing changed.
    pub events: Vec<Event>,
    /// False for a replay: nothing to store.
    pub changed: bool,
}

/// How long pix and boleto payments stay open when the checkout sends no `payment.dueAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentWindows {
    /// Pix QR codes: one hour by default.
    pub pix: TimeDelta,
    /// Boletos: three days by default (a boleto paid on its due date takes up to two business
    /// days to be confirmed; stores that want more set `payment.dueAt`).
    pub boleto: TimeDelta,
}

impl Default for PaymentWindows {
    fn default() -> Self {
        PaymentWindows {
            pix: TimeDelta::hours(1),
            boleto: TimeDelta::days(3),
        }
    }
}

/// The payment part of a placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// How the customer pays.
    pub method: PaymentMethod,
    /// The deadline; defaults from [`PaymentWindows`] for pix and boleto.
    pub due_at: Option<Timestamp>,
}

/// Everything the checkout (or the subscription runner) sends to place an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    /// The sales channel.
    pub channel: Channel,
    /// The channel's own id, unique per channel.
    pub external_id: Option<ExternalId>,
    /// The currency of every amount.
    pub currency: Currency,
    /// The buyer.
    pub customer: Customer,
    /// Where it goes.
    pub shipping_address: Address,
    /// Where it is billed.
    pub billing_address: Option<Address>,
    /// At least one item, each SKU once.
    pub items: Vec<NewItem>,
    /// How it travels.
    pub shipping: Shipping,
    /// How it is paid.
    pub payment: NewPayment,
    /// The subscription cycle it comes from.
    pub subscription: Option<SubscriptionRef>,
    /// The total the client computed, if it sent one: it must match.
    pub expected_total: Option<Money>,
}

/// Places an order: validates the items, computes the totals and the payment deadline.
pub fn place(
    input: PlaceOrder,
    id: OrderId,
    number: u64,
    windows: &PaymentWindows,
    ctx: &Context,
) -> Result<Applied, OrderError> {
    check_items(&input.items)?;
    let items: Vec<Item> = input.items.into_iter().map(new_line).collect();
    let due_at = match (input.payment.due_at, input.payment.method) {
        (Some(due), _) => Some(due),
        (None, PaymentMethod::Pix) => ctx.now.checked_add(windows.pix),
        (None, PaymentMethod::Boleto) => ctx.now.checked_add(windows.boleto),
        (
            None,
            PaymentMethod::CreditCard | PaymentMethod::Deposit | PaymentMethod::BankTransfer,
        ) => None,
    };
    let mut order = Order {
        id,
        number,
        status: Status::PaymentPending,
        version: 1,
        channel: input.channel,
        external_id: input.external_id,
        currency: input.currency,
        customer: input.customer,
        shipping_address: input.shipping_address,
        billing_address: input.billing_address,
        items,
        shipping: input.shipping,
        payment: Payment {
            method: input.payment.method,
            status: PaymentStatus::Pending,
            due_at,
            transactions: Vec::new(),
        },
        adjustments: Adjustments::default(),
        totals: Totals::default(),
        invoices: Vec::new(),
        shipments: Vec::new(),
        refunds: Vec::new(),
        changes: Vec::new(),
        comments: Vec::new(),
        problems: Vec::new(),
        hold: None,
        cancellation: None,
        subscription: input.subscription,
        history: vec![HistoryEntry {
            at: ctx.now,
            from: None,
            to: Status::PaymentPending,
            event: EventKind::OrderPlaced,
            actor: ctx.actor,
        }],
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    order.recompute()?;
    if let Some(given) = input.expected_total
        && given != order.totals.total
    {
        return Err(OrderError::TotalMismatch {
            computed: order.totals.total,
            given,
        });
    }
    let events = vec![Event::OrderPlaced {
        number,
        total: order.totals.total,
    }];
    Ok(Applied {
        order,
        events,
        changed: true,
    })
}

/// The item rules of a placement (and of a subscription's template): at least one item, each SKU
/// once, each line discount within the line's gross value.
pub fn check_items(items: &[NewItem]) -> Result<(), OrderError> {
    if items.is_empty() {
        return Err(OrderError::NoItems);
    }
    for (index, new) in items.iter().enumerate() {
        if items[..index].iter().any(|other| other.sku == new.sku) {
            return Err(OrderError::DuplicateSku {
                sku: new.sku.clone(),
            });
        }
        if new.discount > new.unit_price.checked_mul(new.quantity.get())? {
            return Err(OrderError::DiscountTooLarge);
        }
    }
    Ok(())
}

/// A new line, nothing invoiced or returned yet.
fn new_line(new: NewItem) -> Item {
    Item {
        sku: new.sku,
        name: new.name,
        quantity: new.quantity,
        unit_price: new.unit_price,
        discount: new.discount,
        invoiced: 0,
        returned: 0,
    }
}

/// Applies one command to an order.
pub fn apply(order: &Order, command: &Command, ctx: &Context) -> Result<Applied, OrderError> {
    if let Some(expected) = ctx.expected_version
        && expected != order.version
    {
        return Err(OrderError::VersionMismatch {
            expected,
            actual: order.version,
        });
    }
    if is_replay(order, command)? {
        return Ok(unchanged(order));
    }
    let from = order.status;
    let kind = command.kind();
    match rule(from, kind) {
        Rule::Allowed => {}
        Rule::OnHold => return Err(OrderError::OnHold),
        Rule::Invalid => {
            return Err(OrderError::InvalidTransition {
                from,
                to: kind.target(from),
                command: kind,
            });
        }
    }
    let mut step = Step {
        order: order.clone(),
        events: Vec::new(),
        ctx,
    };
    let event = match command {
        Command::PaymentNotification(n) => step.payment_notification(n)?,
        Command::ManualPayment(m) => step.manual_payment(m)?,
        Command::ExpirePayment { as_of } => step.expire(*as_of)?,
        Command::StartHandling => step.start_handling()?,
        Command::AddInvoice(invoice) => step.invoice(invoice)?,
        Command::AddShipment(shipment) => step.shipment(shipment)?,
        Command::AddTrackingEvent(event) => step.tracking(event)?,
        Command::Change(change) => step.change(change)?,
        Command::Cancel { reason } => {
            step.cancel_with(CancelCause::Requested, Some(reason.clone()))?;
            EventKind::Canceled
        }
        Command::Hold { reason } => step.hold(reason)?,
        Command::Unhold => step.unhold()?,
        Command::Comment(comment) => step.comment(comment),
        Command::Refund(refund) => step.refund(refund)?,
        Command::Reprocess => match step.reprocess()? {
            Some(event) => event,
            None => return Ok(unchanged(order)),
        },
        Command::Edit(edit) => step.edit(edit)?,
    };
    step.finish(from, event)
}

fn unchanged(order: &Order) -> Applied {
    Applied {
        order: order.clone(),
        events: Vec::new(),
        changed: false,
    }
}

/// Whether the command was already applied, by its natural id. A natural id reused with other
/// data is an error.
fn is_replay(order: &Order, command: &Command) -> Result<bool, OrderError> {
    match command {
        Command::PaymentNotification(n) => {
            let kind = transaction_kind(n.outcome);
            let seen = order
                .payment
                .transactions
                .iter()
                .find(|t| t.kind == kind && t.payment_id.as_ref() == Some(&n.payment_id));
            match seen {
                Some(t) if t.amount == n.amount => Ok(true),
                Some(_) => Err(OrderError::PaymentConflict {
                    payment_id: n.payment_id.as_str().to_owned(),
                }),
                None => Ok(false),
            }
        }
        Command::AddInvoice(new) => {
            let Some(existing) = order
                .invoices
                .iter()
                .find(|i| i.number == new.number && i.series == new.series)
            else {
                return Ok(false);
            };
            let same_items = match &new.items {
                None => true,
                Some(items) => {
                    items.len() == existing.items.len()
                        && items.iter().all(|wanted| {
                            existing
                                .items
                                .iter()
                                .any(|l| l.sku == wanted.sku && l.quantity == wanted.quantity)
                        })
                }
            };
            if existing.kind == new.kind
                && existing.key == new.key
                && existing.value == new.value
                && existing.issued_at == new.issued_at
                && same_items
            {
                Ok(true)
            } else {
                Err(OrderError::InvoiceNumberConflict {
                    number: new.number.clone(),
                })
            }
        }
        Command::AddShipment(new) => {
            match order.shipments.iter().find(|s| s.number == new.number) {
                Some(s) if s.invoice_number == new.invoice_number && s.carrier == new.carrier => {
                    Ok(true)
                }
                Some(_) => Err(OrderError::ShipmentConflict {
                    number: new.number.clone(),
                }),
                None => Ok(false),
            }
        }
        Command::AddTrackingEvent(new) => Ok(order
            .shipments
            .iter()
            .find(|s| s.number == new.shipment)
            .is_some_and(|s| {
                s.events
                    .iter()
                    .any(|e| e.status == new.status && e.occurred_at == new.occurred_at)
            })),
        Command::Change(new) => match order
            .changes
            .iter()
            .find(|c| c.request_id == new.request_id)
        {
            Some(c)
                if c.reason == new.reason
                    && c.add == new.add
                    && c.remove == new.remove
                    && c.prices == new.prices
                    && c.discount == new.discount
                    && c.increment == new.increment =>
            {
                Ok(true)
            }
            Some(_) => Err(OrderError::RequestIdReused {
                request_id: new.request_id.as_str().to_owned(),
            }),
            None => Ok(false),
        },
        Command::ManualPayment(_)
        | Command::ExpirePayment { .. }
        | Command::StartHandling
        | Command::Cancel { .. }
        | Command::Hold { .. }
        | Command::Unhold
        | Command::Comment(_)
        | Command::Refund(_)
        | Command::Reprocess
        | Command::Edit(_) => Ok(false),
    }
}

const fn transaction_kind(outcome: PaymentOutcome) -> TransactionKind {
    match outcome {
        PaymentOutcome::Approved => TransactionKind::Approved,
        PaymentOutcome::Denied => TransactionKind::Denied,
        PaymentOutcome::Refunded => TransactionKind::Refunded,
    }
}

/// A command being applied to a copy of the order.
struct Step<'a> {
    order: Order,
    events: Vec<Event>,
    ctx: &'a Context,
}

impl Step<'_> {
    /// Recomputes, bumps the version, writes history and the status event.
    fn finish(mut self, from: Status, event: EventKind) -> Result<Applied, OrderError> {
        self.order.recompute()?;
        let to = self.order.status;
        if to != from {
            self.events.push(Event::StatusChanged { from, to });
        }
        self.order.version = self.order.version.saturating_add(1);
        self.order.updated_at = self.ctx.now;
        self.order.history.push(HistoryEntry {
            at: self.ctx.now,
            from: Some(from),
            to,
            event,
            actor: self.ctx.actor,
        });
        Ok(Applied {
            order: self.order,
            events: self.events,
            changed: true,
        })
    }

    fn raise(&mut self, kind: ProblemKind) {
        if self
            .order
            .problems
            .iter()
            .any(|p| p.kind.code() == kind.code())
        {
            return;
        }
        self.events.push(Event::ProblemRaised {
            code: kind.code().to_owned(),
        });
        self.order.problems.push(Problem {
            kind,
            detected_at: self.ctx.now,
        });
    }

    fn payment_notification(&mut self, n: &PaymentNotification) -> Result<EventKind, OrderError> {
        let kind = transaction_kind(n.outcome);
        self.order.payment.transactions.push(Transaction {
            payment_id: Some(n.payment_id.clone()),
            kind,
            amount: n.amount,
            method: n.method,
            occurred_at: n.occurred_at,
            actor: self.ctx.actor,
            note: None,
        });
        match n.outcome {
            PaymentOutcome::Approved => {
                self.approved(Some(n.payment_id.clone()), n.amount)?;
                Ok(EventKind::PaymentApproved)
            }
            PaymentOutcome::Denied => {
                self.events.push(Event::PaymentRecorded {
                    kind: EventKind::PaymentDenied,
                    payment_id: Some(n.payment_id.clone()),
                    amount: n.amount,
                });
                if self.order.status == Status::PaymentPending {
                    self.cancel_with(CancelCause::PaymentDenied, None)?;
                }
                Ok(EventKind::PaymentDenied)
            }
            PaymentOutcome::Refunded => {
                self.events.push(Event::PaymentRecorded {
                    kind: EventKind::PaymentRefunded,
                    payment_id: Some(n.payment_id.clone()),
                    amount: n.amount,
                });
                self.provider_refund(&n.payment_id, n.amount)?;
                self.close_if_settled()?;
                Ok(EventKind::PaymentRefunded)
            }
        }
    }

    fn manual_payment(&mut self, m: &ManualPayment) -> Result<EventKind, OrderError> {
        let method = self.order.payment.method;
        if !method.allows_manual_approval() {
            return Err(OrderError::ManualApprovalNotAllowed {
                method: method.as_str(),
            });
        }
        if m.amount.is_zero() {
            return Err(OrderError::EmptyCommand);
        }
        self.order.payment.transactions.push(Transaction {
            payment_id: None,
            kind: TransactionKind::Approved,
            amount: m.amount,
            method,
            occurred_at: self.ctx.now,
            actor: self.ctx.actor,
            note: m.note.clone(),
        });
        self.approved(None, m.amount)?;
        Ok(EventKind::PaymentApproved)
    }

    /// An approved payment was recorded: move to payment-approved, or raise the problem it is.
    fn approved(&mut self, payment_id: Option<PaymentId>, amount: Money) -> Result<(), OrderError> {
        self.events.push(Event::PaymentRecorded {
            kind: EventKind::PaymentApproved,
            payment_id: payment_id.clone(),
            amount,
        });
        if self.order.status == Status::Canceled {
            self.raise(ProblemKind::PaymentForCanceledOrder { payment_id, amount });
            return Ok(());
        }
        if self.order.status == Status::PaymentPending {
            self.order.status = Status::PaymentApproved;
        }
        self.order.recompute()?;
        if !self.order.totals.balance.is_zero() {
            self.raise(ProblemKind::PaymentAmountMismatch {
                expected: self.order.totals.total,
                paid: self.order.net_paid(),
            });
        }
        Ok(())
    }

    fn expire(&mut self, as_of: Option<Timestamp>) -> Result<EventKind, OrderError> {
        let at = as_of.map_or(self.ctx.now, |as_of| as_of.max(self.ctx.now));
        match self.order.payment.due_at {
            Some(due) if due <= at => {
                self.cancel_with(CancelCause::PaymentExpired, None)?;
                Ok(EventKind::PaymentExpired)
            }
            Some(_) | None => Err(OrderError::PaymentNotExpired),
        }
    }

    fn start_handling(&mut self) -> Result<EventKind, OrderError> {
        if !self.order.problems.is_empty() {
            return Err(OrderError::HasProblems);
        }
        self.order.status = Status::Handling;
        Ok(EventKind::HandlingStarted)
    }

    fn invoice(&mut self, new: &NewInvoice) -> Result<EventKind, OrderError> {
        let output = new.kind == InvoiceKind::Output;
        if output && !self.order.problems.is_empty() {
            return Err(OrderError::HasProblems);
        }
        // Units available: not yet invoiced (output) or invoiced and not yet returned (input).
        let available = |item: &Item| {
            if output {
                item.quantity.get().saturating_sub(item.invoiced)
            } else {
                item.invoiced.saturating_sub(item.returned)
            }
        };
        let wanted = match &new.items {
            None => self
                .order
                .items
                .iter()
                .filter(|item| available(item) > 0)
                .map(|item| (item.sku.clone(), available(item)))
                .collect::<Vec<_>>(),
            Some(items) => self.check_quantities(items, available)?,
        };
        if wanted.is_empty() {
            return Err(OrderError::NothingToInvoice);
        }
        let mut lines = Vec::with_capacity(wanted.len());
        let mut expected = Money::ZERO;
        for (sku, count) in &wanted {
            let item = self.item_mut(sku)?;
            let already = if output { item.invoiced } else { item.returned };
            let value = units_value(item, already, *count)?;
            if output {
                item.invoiced = item.invoiced.saturating_add(*count);
            } else {
                item.returned = item.returned.saturating_add(*count);
            }
            expected = expected.checked_add(value)?;
            lines.push(InvoiceLine {
                sku: sku.clone(),
                quantity: Quantity::new(i64::from(*count)).map_err(|e| e.at("items"))?,
                value,
            });
        }
        // Shipping and order-level adjustments travel with the first output invoice and with the
        // return of the last items.
        let includes_shipping = if output {
            !self.order.has_output_invoice()
        } else {
            self.order.everything_returned()
        };
        if includes_shipping {
            expected = expected.checked_add(self.order.order_level_value()?)?;
        }
        if new.value != expected {
            return Err(OrderError::InvoiceValueMismatch {
                expected,
                given: new.value,
            });
        }
        self.order.invoices.push(Invoice {
            kind: new.kind,
            number: new.number.clone(),
            series: new.series.clone(),
            key: new.key.clone(),
            value: new.value,
            issued_at: new.issued_at,
            url: new.url.clone(),
            items: lines.clone(),
            includes_shipping,
            tracking: new.tracking.clone(),
            recorded_at: self.ctx.now,
        });
        self.events.push(Event::InvoiceAdded {
            kind: new.kind,
            number: new.number.clone(),
            value: new.value,
        });
        if output {
            if let Some(tracking) = &new.tracking
                && !self
                    .order
                    .shipments
                    .iter()
                    .any(|s| s.number == tracking.number)
            {
                self.add_shipment(&NewShipment {
                    invoice_number: new.number.clone(),
                    carrier: tracking.carrier.clone(),
                    title: None,
                    number: tracking.number.clone(),
                    url: tracking.url.clone(),
                    notify_customer: true,
                });
            }
            self.order.status = if !self.order.everything_invoiced() {
                Status::Handling
            } else if self.order.shipments.is_empty() {
                Status::Invoiced
            } else {
                Status::Shipped
            };
            Ok(EventKind::Invoiced)
        } else {
            let items: Vec<ItemQuantity> = lines
                .iter()
                .map(|l| ItemQuantity {
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                })
                .collect();
            self.order.recompute()?;
            // A return never refunds more than was paid and not yet refunded.
            let amount = new.value.min(self.order.net_paid()).max(Money::ZERO);
            self.record_refund(
                RefundSource::ReturnInvoice,
                amount,
                Some(new.number.as_str().to_owned()),
            )?
            .items = items.clone();
            self.events.push(Event::ItemsReturned {
                items,
                return_to_stock: true,
            });
            if self.order.everything_returned() {
                self.order.status = Status::Closed;
            }
            Ok(EventKind::Returned)
        }
    }

    /// Checks a list of SKU quantities against the order: known, unique, within `available`.
    fn check_quantities(
        &self,
        items: &[ItemQuantity],
        available: impl Fn(&Item) -> u32,
    ) -> Result<Vec<(Sku, u32)>, OrderError> {
        let mut wanted: Vec<(Sku, u32)> = Vec::with_capacity(items.len());
        for entry in items {
            if wanted.iter().any(|(sku, _)| sku == &entry.sku) {
                return Err(OrderError::DuplicateSku {
                    sku: entry.sku.clone(),
                });
            }
            let item = self
                .order
                .item(&entry.sku)
                .ok_or_else(|| OrderError::UnknownSku {
                    sku: entry.sku.clone(),
                })?;
            let free = available(item);
            if entry.quantity.get() > free {
                return Err(OrderError::QuantityExceeded {
                    sku: entry.sku.clone(),
                    requested: entry.quantity.get(),
                    available: free,
                });
            }
            wanted.push((entry.sku.clone(), entry.quantity.get()));
        }
        Ok(wanted)
    }

    fn item_mut(&mut self, sku: &Sku) -> Result<&mut Item, OrderError> {
        self.order
            .items
            .iter_mut()
            .find(|item| &item.sku == sku)
            .ok_or_else(|| OrderError::UnknownSku { sku: sku.clone() })
    }

    fn shipment(&mut self, new: &NewShipment) -> Result<EventKind, OrderError> {
        let invoiced = self
            .order
            .invoices
            .iter()
            .any(|i| i.kind == InvoiceKind::Output && i.number == new.invoice_number);
        if !invoiced {
            return Err(OrderError::UnknownInvoice {
                number: new.invoice_number.clone(),
            });
        }
        self.add_shipment(new);
        if self.order.status == Status::Invoiced {
            self.order.status = Status::Shipped;
        }
        Ok(EventKind::ShipmentAdded)
    }

    fn add_shipment(&mut self, new: &NewShipment) {
        self.order.shipments.push(Shipment {
            number: new.number.clone(),
            invoice_number: new.invoice_number.clone(),
            carrier: new.carrier.clone(),
            title: new.title.clone(),
            url: new.url.clone(),
            notify_customer: new.notify_customer,
            status: None,
            events: Vec::new(),
            created_at: self.ctx.now,
        });
        self.events.push(Event::ShipmentAdded {
            number: new.number.clone(),
            notify_customer: new.notify_customer,
        });
    }

    fn tracking(&mut self, new: &NewTrackingEvent) -> Result<EventKind, OrderError> {
        let shipment = self
            .order
            .shipments
            .iter_mut()
            .find(|s| s.number == new.shipment)
            .ok_or_else(|| OrderError::UnknownShipment {
                number: new.shipment.clone(),
            })?;
        shipment.events.push(TrackingEvent {
            status: new.status,
            description: new.description.clone(),
            city: new.city.clone(),
            state: new.state.clone(),
            occurred_at: new.occurred_at,
        });
        shipment.status = latest(shipment).map(|e| e.status);
        self.events.push(Event::TrackingUpdated {
            shipment: new.shipment.clone(),
            status: new.status,
        });
        // Delivered is where tracking ends: a late or odd event never moves the order back.
        if self.order.status != Status::Delivered {
            self.order.status = tracked_status(&self.order.shipments);
        }
        Ok(EventKind::TrackingUpdated)
    }

    fn change(&mut self, change: &OrderChange) -> Result<EventKind, OrderError> {
        if self.order.has_output_invoice() {
            return Err(OrderError::AlreadyInvoiced);
        }
        if change.add.is_empty()
            && change.remove.is_empty()
            && change.prices.is_empty()
            && change.discount.is_zero()
            && change.increment.is_zero()
        {
            return Err(OrderError::EmptyCommand);
        }
        let total_before = self.order.totals.total;
        let touched = change
            .remove
            .iter()
            .map(|entry| &entry.sku)
            .chain(change.add.iter().map(|new| &new.sku));
        let mut seen: Vec<&Sku> = Vec::new();
        for sku in touched {
            if seen.contains(&sku) {
                return Err(OrderError::DuplicateSku { sku: sku.clone() });
            }
            seen.push(sku);
        }
        for entry in &change.remove {
            let index = self
                .order
                .items
                .iter()
                .position(|item| item.sku == entry.sku)
                .ok_or_else(|| OrderError::UnknownSku {
                    sku: entry.sku.clone(),
                })?;
            let item = &mut self.order.items[index];
            let have = item.quantity.get();
            let remove = entry.quantity.get();
            if remove > have {
                return Err(OrderError::QuantityExceeded {
                    sku: entry.sku.clone(),
                    requested: remove,
                    available: have,
                });
            }
            if remove == have {
                self.order.items.remove(index);
            } else {
                // The removed units take their share of the line discount with them.
                let keep = have - remove;
                item.discount = super::totals::discount_share(item.discount, have, keep);
                item.quantity = Quantity::new(i64::from(keep)).map_err(|e| e.at("remove"))?;
            }
        }
        for new in &change.add {
            match self.order.items.iter_mut().find(|item| item.sku == new.sku) {
                Some(item) if item.unit_price == new.unit_price => {
                    item.quantity = item
                        .quantity
                        .checked_add(new.quantity)
                        .map_err(|e| e.at("add"))?;
                    item.discount = item.discount.checked_add(new.discount)?;
                }
                Some(_) => {
                    return Err(OrderError::UnitPriceDiffers {
                        sku: new.sku.clone(),
                    });
                }
                None => self.order.items.push(new_line(new.clone())),
            }
        }
        for price in &change.prices {
            let item = self.item_mut(&price.sku)?;
            item.unit_price = price.unit_price;
        }
        if self.order.items.is_empty() {
            return Err(OrderError::NoItems);
        }
        for item in &self.order.items {
            if item.discount > item.unit_price.checked_mul(item.quantity.get())? {
                return Err(OrderError::DiscountTooLarge);
            }
        }
        let adjustments = &mut self.order.adjustments;
        adjustments.discount = adjustments.discount.checked_add(change.discount)?;
        adjustments.increment = adjustments.increment.checked_add(change.increment)?;
        if adjustments.discount.is_negative() || adjustments.increment.is_negative() {
            return Err(OrderError::DiscountTooLarge);
        }
        self.order.recompute()?;
        let total_after = self.order.totals.total;
        self.order.changes.push(Change {
            request_id: change.request_id.clone(),
            reason: change.reason.clone(),
            add: change.add.clone(),
            remove: change.remove.clone(),
            prices: change.prices.clone(),
            discount: change.discount,
            increment: change.increment,
            total_before,
            total_after,
            at: self.ctx.now,
            actor: self.ctx.actor,
        });
        self.events.push(Event::Changed {
            request_id: change.request_id.clone(),
            total_before,
            total_after,
        });
        Ok(EventKind::Changed)
    }

    fn cancel_with(&mut self, cause: CancelCause, reason: Option<Text>) -> Result<(), OrderError> {
        if self.order.has_output_invoice() {
            return Err(OrderError::AlreadyInvoiced);
        }
        self.order.status = Status::Canceled;
        self.order.cancellation = Some(Cancellation {
            cause,
            reason,
            at: self.ctx.now,
            actor: self.ctx.actor,
        });
        Ok(())
    }

    fn hold(&mut self, reason: &Text) -> Result<EventKind, OrderError> {
        self.order.hold = Some(Hold {
            reason: reason.clone(),
            previous: self.order.status,
            at: self.ctx.now,
            actor: self.ctx.actor,
        });
        self.order.status = Status::OnHold;
        Ok(EventKind::Held)
    }

    fn unhold(&mut self) -> Result<EventKind, OrderError> {
        let hold = self.order.hold.take().ok_or(OrderError::NotOnHold)?;
        self.order.status = hold.previous;
        Ok(EventKind::Released)
    }

    fn comment(&mut self, comment: &super::command::NewComment) -> EventKind {
        self.order.comments.push(Comment {
            text: comment.text.clone(),
            notify_customer: comment.notify_customer,
            visible_to_customer: comment.visible_to_customer,
            at: self.ctx.now,
            actor: self.ctx.actor,
        });
        self.events.push(Event::Commented {
            notify_customer: comment.notify_customer,
        });
        EventKind::Commented
    }

    fn refund(&mut self, refund: &NewRefund) -> Result<EventKind, OrderError> {
        if refund.amount.is_zero() {
            return Err(OrderError::EmptyCommand);
        }
        let available = self.order.net_paid();
        if refund.amount > available {
            return Err(OrderError::RefundExceedsPaid {
                requested: refund.amount,
                available,
            });
        }
        let wanted = self.check_quantities(&refund.items, |item| {
            item.invoiced.saturating_sub(item.returned)
        })?;
        for (sku, count) in &wanted {
            let item = self.item_mut(sku)?;
            item.returned = item.returned.saturating_add(*count);
        }
        self.order.recompute()?;
        let record = self.record_refund(RefundSource::Offline, refund.amount, None)?;
        record.items = refund.items.clone();
        record.return_to_stock = refund.return_to_stock;
        record.comment = refund.comment.clone();
        record.notify_customer = refund.notify_customer;
        if !refund.items.is_empty() {
            self.events.push(Event::ItemsReturned {
                items: refund.items.clone(),
                return_to_stock: refund.return_to_stock,
            });
        }
        self.close_if_settled()?;
        Ok(EventKind::Refunded)
    }

    /// Records a refund against the current totals: the part beyond what is due (and not for
    /// returned items) is a rebate, counted as discount, so `balance` stays exact.
    fn record_refund(
        &mut self,
        source: RefundSource,
        amount: Money,
        reference: Option<String>,
    ) -> Result<&mut Refund, OrderError> {
        let due = self.order.totals.balance.checked_neg()?.max(Money::ZERO);
        let rebate = if self.order.status == Status::Canceled {
            Money::ZERO
        } else {
            amount.checked_sub(due)?.max(Money::ZERO)
        };
        self.events.push(Event::Refunded { amount });
        self.order.refunds.push(Refund {
            source,
            amount,
            reference,
            items: Vec::new(),
            return_to_stock: false,
            rebate,
            comment: None,
            notify_customer: false,
            at: self.ctx.now,
            actor: self.ctx.actor,
        });
        let last = self.order.refunds.len() - 1;
        Ok(&mut self.order.refunds[last])
    }

    /// A provider refund. Refunds already recorded here (return invoices, offline refunds made
    /// through the provider's dashboard) are the same money: the provider's report confirms them
    /// first, oldest first, and only what is left is a new refund.
    fn provider_refund(&mut self, payment_id: &PaymentId, amount: Money) -> Result<(), OrderError> {
        let reported = Money::sum(
            self.order
                .payment
                .transactions
                .iter()
                .filter(|t| t.kind == TransactionKind::Refunded)
                .map(|t| t.amount),
        )?;
        let recorded = Money::sum(self.order.refunds.iter().map(|r| r.amount))?;
        // Before this report the provider had confirmed `reported - amount`; whatever of our own
        // records it has not confirmed yet absorbs this one first.
        let unconfirmed = recorded
            .checked_sub(reported.checked_sub(amount)?)?
            .max(Money::ZERO);
        let new = amount.checked_sub(unconfirmed)?.max(Money::ZERO);
        if !new.is_zero() {
            self.order.recompute()?;
            self.record_refund(
                RefundSource::Provider,
                new,
                Some(payment_id.as_str().to_owned()),
            )?;
        }
        Ok(())
    }

    /// After invoicing, an order whose items all came back or whose payments were all refunded
    /// is closed.
    fn close_if_settled(&mut self) -> Result<(), OrderError> {
        self.order.recompute()?;
        let after_invoice = matches!(
            self.order.status,
            Status::Invoiced
                | Status::Shipped
                | Status::InTransit
                | Status::DeliveryDifficulty
                | Status::Delivered
        );
        let totals = self.order.totals;
        let refunded_all = !totals.paid.is_zero() && totals.refunded >= totals.paid;
        if after_invoice && (self.order.everything_returned() || refunded_all) {
            self.order.status = Status::Closed;
        }
        Ok(())
    }

    /// Clears the problems that are fixed; `None` when nothing changed.
    fn reprocess(&mut self) -> Result<Option<EventKind>, OrderError> {
        self.order.recompute()?;
        let balance = self.order.totals.balance;
        let net_paid = self.order.net_paid();
        let mut resolved = Vec::new();
        self.order.problems.retain(|problem| {
            let fixed = match problem.kind {
                ProblemKind::PaymentAmountMismatch { .. } => balance.is_zero(),
                ProblemKind::PaymentForCanceledOrder { .. } => net_paid.is_zero(),
            };
            if fixed {
                resolved.push(problem.kind.code().to_owned());
            }
            !fixed
        });
        if resolved.is_empty() {
            return Ok(None);
        }
        self.events
            .push(Event::ProblemsResolved { codes: resolved });
        Ok(Some(EventKind::Reprocessed))
    }

    fn edit(&mut self, edit: &OrderEdit) -> Result<EventKind, OrderError> {
        if edit == &OrderEdit::default() {
            return Err(OrderError::EmptyCommand);
        }
        if let Some(shipping) = &edit.shipping {
            if shipping.price != self.order.shipping.price && self.order.has_output_invoice() {
                return Err(OrderError::AlreadyInvoiced);
            }
            self.order.shipping = shipping.clone();
        }
        if let Some(customer) = &edit.customer {
            self.order.customer = customer.clone();
        }
        if let Some(address) = &edit.shipping_address {
            self.order.shipping_address = address.clone();
        }
        if let Some(address) = &edit.billing_address {
            self.order.billing_address = Some(address.clone());
        }
        self.events.push(Event::Edited);
        Ok(EventKind::Edited)
    }
}

/// The shipment's latest event by when it happened (arrival order breaks ties).
fn latest(shipment: &Shipment) -> Option<&TrackingEvent> {
    shipment
        .events
        .iter()
        .enumerate()
        .max_by_key(|(index, e)| (e.occurred_at, *index))
        .map(|(_, e)| e)
}

/// The order status its shipments say: delivered when all are; otherwise what the most recent
/// event of an undelivered shipment says; shipped before any event.
fn tracked_status(shipments: &[Shipment]) -> Status {
    if !shipments.is_empty()
        && shipments
            .iter()
            .all(|s| s.status == Some(TrackingStatus::Delivered))
    {
        return Status::Delivered;
    }
    let newest = shipments
        .iter()
        .filter(|s| s.status != Some(TrackingStatus::Delivered))
        .filter_map(latest)
        .max_by_key(|e| e.occurred_at);
    match newest.map(|e| e.status) {
        None => Status::Shipped,
        Some(TrackingStatus::InTransit | TrackingStatus::Delivered) => Status::InTransit,
        Some(TrackingStatus::DeliveryDifficulty) => Status::DeliveryDifficulty,
    }
}
