//! An order's steps over all its SKUs: reserve at placement and change (all or none), and the
//! steps that follow it (release, deduct, restock), each applied once per SKU by the domain's
//! holds.

use std::collections::BTreeMap;

use orderflow_domain::inventory::{InventoryError, StockCommand};
use orderflow_domain::order::Actor;
use orderflow_domain::values::{LocationId, OrderId, Sku};
use orderflow_kv::Kv;

use crate::service::{Error, Inventory};

/// One step of an order's life over its SKUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderStep {
    /// The order (canceled) gives back what it holds.
    Release,
    /// What the order holds leaves the shelf (invoiced or shipped).
    Deduct,
    /// Items come back (a refund with return to stock, a return invoice), named by `step`
    /// (counted once per SKU).
    Restock {
        /// What returned them.
        step: String,
    },
}

impl<K: Kv> Inventory<'_, K> {
    /// Sets the order's holds to its lines (quantities per SKU, summed; a SKU the order no
    /// longer has at 0), at `location` if asked, else where each SKU has enough. SKUs not
    /// tracked are left out. All or none: when any tracked SKU is short, the holds are put back
    /// as they were (a placement's released; a change's to `previous`, the order's lines before
    /// it) and the answer is [`Error::OutOfStock`] naming every SKU short. Answers the SKUs
    /// reserved. Repeated with the same lines, it changes nothing.
    pub fn reserve(
        &self,
        order: &OrderId,
        lines: &[(Sku, u32)],
        location: Option<&LocationId>,
        previous: Option<&[(Sku, u32)]>,
        actor: Actor,
    ) -> Result<Vec<Sku>, Error> {
        // A store that tracks nothing pays one read.
        if self.tracked_count()? == 0 {
            return Ok(Vec::new());
        }
        let wanted = summed(lines);
        let mut reserved = Vec::new();
        let mut short = Vec::new();
        for (sku, quantity) in &wanted {
            if !short.is_empty() {
                // Already refused: only find out whether this one is short too.
                if let Some(item) = self.item(sku)? {
                    let best = item
                        .levels()
                        .keys()
                        .filter(|l| location.is_none_or(|asked| asked == *l))
                        .map(|l| item.salable(l))
                        .max()
                        .unwrap_or(0);
                    if best < i64::from(*quantity) && !item.allow_backorders() {
                        short.push((sku.clone(), best.max(0)));
                    }
                }
                continue;
            }
            let command = StockCommand::Reserve {
                order: order.clone(),
                quantity: *quantity,
                location: location.cloned(),
            };
            match self.apply(sku, &command, actor) {
                Ok(_) => reserved.push(sku.clone()),
                Err(Error::NotTracked(_)) => {}
                Err(Error::Refused(InventoryError::OutOfStock { sku, available })) => {
                    short.push((sku, available));
                }
                Err(Error::Refused(InventoryError::UnknownLocation { sku, .. })) => {
                    short.push((sku, 0));
                }
                Err(other) => {
                    self.give_back(order, &reserved, previous, actor);
                    return Err(other);
                }
            }
        }
        if short.is_empty() {
            return Ok(reserved);
        }
        self.give_back(order, &reserved, previous, actor);
        Err(Error::OutOfStock(short))
    }

    /// Puts back the holds of `skus` as they were before a refused reservation: released for a
    /// placement, the `previous` quantities for a change. A failure leaves a hold that differs
    /// from its order, which the check (with the orders) sets right.
    fn give_back(
        &self,
        order: &OrderId,
        skus: &[Sku],
        previous: Option<&[(Sku, u32)]>,
        actor: Actor,
    ) {
        let before = previous.map(summed);
        for sku in skus {
            let command = match &before {
                None => StockCommand::Release {
                    order: order.clone(),
                },
                Some(before) => StockCommand::Reserve {
                    order: order.clone(),
                    quantity: before.get(sku).copied().unwrap_or(0),
                    location: None,
                },
            };
            let _given_back = self.apply(sku, &command, actor);
        }
    }

    /// How many SKUs were ever tracked (the last slot of their index).
    pub fn tracked_count(&self) -> Result<u64, Error> {
        let count = orderflow_kv::counter_value(self.kv.get(crate::keys::ALL_COUNTER)?.as_deref())
            .ok_or_else(|| {
                Error::Store(format!("{} is not a counter", crate::keys::ALL_COUNTER))
            })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Applies one step of the order's life to each of `lines`' SKUs: for a deduction, the
    /// units that leave (the order's quantity less what it gave back before); for a restock,
    /// the units returned. Untracked SKUs are left out; a step already applied changes nothing.
    /// A store that tracks nothing pays one read.
    pub fn order_step(
        &self,
        order: &OrderId,
        step: &OrderStep,
        lines: &[(Sku, u32)],
        actor: Actor,
    ) -> Result<(), Error> {
        if self.tracked_count()? == 0 {
            return Ok(());
        }
        for (sku, quantity) in summed(lines) {
            let command = match step {
                OrderStep::Release => StockCommand::Release {
                    order: order.clone(),
                },
                OrderStep::Deduct => StockCommand::Deduct {
                    order: order.clone(),
                    quantity,
                },
                OrderStep::Restock { step } => StockCommand::Restock {
                    order: order.clone(),
                    step: step.clone(),
                    quantity,
                    sold: self.sold(&sku, order)?,
                },
            };
            match self.apply(&sku, &command, actor) {
                Ok(_) | Err(Error::NotTracked(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}

/// The lines' quantities summed per SKU, in SKU order (so that concurrent orders meet their
/// SKUs in the same order).
fn summed(lines: &[(Sku, u32)]) -> BTreeMap<Sku, u32> {
    let mut wanted: BTreeMap<Sku, u32> = BTreeMap::new();
    for (sku, quantity) in lines {
        let total = wanted.entry(sku.clone()).or_insert(0);
        *total = total.saturating_add(*quantity);
    }
    wanted
}
