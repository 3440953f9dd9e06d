//! Placing an order and applying commands to it: the one place where order rules are decided.
//!
//! Both functions are pure: they take the current order (or the placement input), the command and
//! a [`Context`] (the clock and the actor), and return the new order with the events it produced,
//! or an [`OrderError`] and no change at all. Replays of natural-id commands (the same payment
//! notification, invoice number, shipment, tracking event or change `requestId`) are recognised
//! before anything else and come back as [`Applied::changed`] `== false`.
//!
//! [`apply`] checks the version, recognises replays ([`replay`]), consults the status table and
//! hands the command to a [`Step`] over a copy of the order; the steps are grouped by what they
//! touch: [`payment`], [`fulfilment`] (handling, invoices, shipments, tracking) and [`change`]
//! (items, adjustments, cancellation, holds, comments, problems, edits).

mod change;
mod fulfilment;
mod payment;
mod replay;

use super::command::Command;
use super::error::OrderError;
use super::event::{Event, EventKind};
use super::model::{CancelCause, HistoryEntry, Order, Problem, ProblemKind};
use super::rules::{Rule, rule};
use super::status::{Actor, Status};
use crate::values::{Text, Timestamp};

/// The clock and the caller of a command.
#[derive(Debug, Clone)]
pub struct Context {
    /// Now, as the adapter's clock says (tests pass a fixed instant).
    pub now: Timestamp,
    /// Who asks.
    pub actor: Actor,
    /// The version the caller expects (`If-Match`), if any.
    pub expected_version: Option<u64>,
    /// The person of the back office who asks (actor `Admin`), by name, for the history.
    pub operator: Option<Text>,
}

impl Context {
    /// A context without a version expectation.
    pub fn new(now: Timestamp, actor: Actor) -> Self {
        Context {
            now,
            actor,
            expected_version: None,
            operator: None,
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
    if replay::is_replay(order, command)? {
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
        Command::RecordNotification(sent) => step.record_notification(sent),
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
            operator: self.ctx.operator.clone(),
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
}
