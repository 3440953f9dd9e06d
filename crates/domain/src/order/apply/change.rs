//! The steps that change the order itself: items and adjustments, cancellation, holds,
//! comments, problems and edits.

use super::super::command::{NewComment, OrderChange, OrderEdit, SentNotification};
use super::super::error::OrderError;
use super::super::event::{Event, EventKind};
use super::super::model::{
    CancelCause, Cancellation, Change, Comment, Hold, Notification, ProblemKind,
};
use super::super::place::new_line;
use super::super::status::Status;
use super::super::totals::discount_share;
use super::Step;
use crate::values::{Quantity, Sku, Text};

impl Step<'_> {
    pub(super) fn change(&mut self, change: &OrderChange) -> Result<EventKind, OrderError> {
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
                item.discount = discount_share(item.discount, have, keep);
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

    pub(super) fn cancel_with(
        &mut self,
        cause: CancelCause,
        reason: Option<Text>,
    ) -> Result<(), OrderError> {
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

    pub(super) fn hold(&mut self, reason: &Text) -> Result<EventKind, OrderError> {
        self.order.hold = Some(Hold {
            reason: reason.clone(),
            previous: self.order.status,
            at: self.ctx.now,
            actor: self.ctx.actor,
        });
        self.order.status = Status::OnHold;
        Ok(EventKind::Held)
    }

    pub(super) fn unhold(&mut self) -> Result<EventKind, OrderError> {
        let hold = self.order.hold.take().ok_or(OrderError::NotOnHold)?;
        self.order.status = hold.previous;
        Ok(EventKind::Released)
    }

    pub(super) fn comment(&mut self, comment: &NewComment) -> EventKind {
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

    pub(super) fn record_notification(&mut self, sent: &SentNotification) -> EventKind {
        self.order.notifications.push(Notification {
            event_id: sent.event_id.clone(),
            endpoint_id: sent.endpoint_id.clone(),
            template: sent.template.clone(),
            locale: sent.locale.clone(),
            subject: sent.subject.clone(),
            to: sent.to.clone(),
            at: self.ctx.now,
        });
        self.events.push(Event::CustomerNotified {
            template: sent.template.clone(),
        });
        EventKind::CustomerNotified
    }

    /// Clears the problems that are fixed; `None` when nothing changed.
    pub(super) fn reprocess(&mut self) -> Result<Option<EventKind>, OrderError> {
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

    pub(super) fn edit(&mut self, edit: &OrderEdit) -> Result<EventKind, OrderError> {
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
