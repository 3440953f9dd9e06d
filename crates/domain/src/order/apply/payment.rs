//! The payment steps: provider notifications, manual approvals, expiry, refunds, and the closing
//! of an order whose money has all come back.

use super::super::command::{ManualPayment, NewRefund, PaymentNotification, PaymentOutcome};
use super::super::error::OrderError;
use super::super::event::{Event, EventKind};
use super::super::model::{
    CancelCause, ProblemKind, Refund, RefundSource, Transaction, TransactionKind,
};
use super::super::status::Status;
use super::Step;
use super::replay::transaction_kind;
use crate::values::{Money, PaymentId, Timestamp};

impl Step<'_> {
    pub(super) fn payment_notification(
        &mut self,
        n: &PaymentNotification,
    ) -> Result<EventKind, OrderError> {
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

    pub(super) fn manual_payment(&mut self, m: &ManualPayment) -> Result<EventKind, OrderError> {
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
    pub(super) fn approved(
        &mut self,
        payment_id: Option<PaymentId>,
        amount: Money,
    ) -> Result<(), OrderError> {
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

    pub(super) fn expire(&mut self, as_of: Option<Timestamp>) -> Result<EventKind, OrderError> {
        let at = as_of.map_or(self.ctx.now, |as_of| as_of.max(self.ctx.now));
        match self.order.payment.due_at {
            Some(due) if due <= at => {
                self.cancel_with(CancelCause::PaymentExpired, None)?;
                Ok(EventKind::PaymentExpired)
            }
            Some(_) | None => Err(OrderError::PaymentNotExpired),
        }
    }

    pub(super) fn refund(&mut self, refund: &NewRefund) -> Result<EventKind, OrderError> {
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
    pub(super) fn record_refund(
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
    pub(super) fn provider_refund(
        &mut self,
        payment_id: &PaymentId,
        amount: Money,
    ) -> Result<(), OrderError> {
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
    pub(super) fn close_if_settled(&mut self) -> Result<(), OrderError> {
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
}
