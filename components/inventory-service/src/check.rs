//! The inventory's check-and-repair: an admin operation that walks every tracked SKU (through
//! its index) and checks that each level's on hand and reserved are the sums of its ledger,
//! that reserved is the sum of the open holds, and that every open hold belongs to an order that
//! exists; with repair, it releases the holds of orders that never came to be (a placement cut
//! between its reservation and its order). Its cost grows with the data: run it when needed.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use orderflow_domain::inventory::{Movement, StockCommand};
use orderflow_domain::order::Actor;
use orderflow_domain::values::{LocationId, OrderId, Sku};
use orderflow_kv::Kv;

use crate::doc::{SkuEntry, Stored, decode};
use crate::keys;
use crate::service::{Error, Inventory};

/// How long a hold may wait for its order: a placement writes its order milliseconds after it
/// reserves, within the lease of its claim (`orderflow_kv::claim`), so a hold older than two
/// leases whose order does not exist was cut off (and the checkout's retry may already have
/// placed the order again, with a hold of its own).
pub const ORPHAN_AFTER: TimeDelta = TimeDelta::seconds(2 * orderflow_kv::claim::LEASE_SECONDS);

/// What [`Inventory::check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// SKUs examined.
    pub skus: u64,
    /// Problems found, one sentence each.
    pub inconsistencies: Vec<String>,
    /// What was repaired, one sentence each (empty unless repairing).
    pub repaired: Vec<String>,
    /// Open holds older than [`ORPHAN_AFTER`]: SKU, order, quantity (for a caller that knows
    /// the orders better than `order_exists` does).
    pub old_holds: Vec<(Sku, OrderId, u32)>,
}

impl<K: Kv> Inventory<'_, K> {
    /// Checks every tracked SKU (module documentation); `order_exists` says whether an order
    /// was placed.
    pub fn check(
        &self,
        repair: bool,
        order_exists: impl Fn(&OrderId) -> Result<bool, Error>,
    ) -> Result<CheckReport, Error> {
        let mut report = CheckReport::default();
        for slot in 1..=self.tracked_count()? {
            let key = keys::all_entry(slot);
            let Some(bytes) = self.kv.get(&key)? else {
                continue;
            };
            let entry: SkuEntry = decode(&key, &bytes).map_err(Error::Store)?;
            let Ok(sku) = Sku::parse(&entry.sku) else {
                report.inconsistencies.push(format!("{key} names no SKU"));
                continue;
            };
            let Some(stored) = self.stored(&sku)? else {
                report
                    .inconsistencies
                    .push(format!("{key} names {sku}, which is not tracked"));
                continue;
            };
            report.skus += 1;
            self.check_levels(&sku, &stored, &mut report)?;
            self.check_holds(&sku, &stored, repair, &order_exists, &mut report)?;
        }
        Ok(report)
    }

    /// Each level against its ledger and its holds.
    fn check_levels(
        &self,
        sku: &Sku,
        stored: &Stored,
        report: &mut CheckReport,
    ) -> Result<(), Error> {
        let mut ledger: BTreeMap<LocationId, (i64, i64)> = BTreeMap::new();
        let mut count = |movement: &Movement| {
            let sums = ledger.entry(movement.location.clone()).or_default();
            sums.0 += movement.on_hand;
            sums.1 += movement.reserved;
        };
        for chunk in 0..stored.archived_chunks() {
            let key = stored.chunk_key(sku, chunk);
            let Some(bytes) = self.kv.get(&key)? else {
                report
                    .inconsistencies
                    .push(format!("{sku}: {key} is missing"));
                continue;
            };
            let movements: Vec<Movement> = decode(&key, &bytes).map_err(Error::Store)?;
            movements.iter().for_each(&mut count);
        }
        stored.ledger.iter().for_each(&mut count);
        let mut held: BTreeMap<LocationId, i64> = BTreeMap::new();
        for hold in stored.item.holds().values() {
            *held.entry(hold.location.clone()).or_default() += i64::from(hold.quantity);
        }
        for (location, level) in stored.item.levels() {
            let (on_hand, reserved) = ledger.get(location).copied().unwrap_or_default();
            if (level.on_hand, level.reserved) != (on_hand, reserved) {
                report.inconsistencies.push(format!(
                    "{sku} at {location}: {} on hand and {} reserved, the ledger says {on_hand} \
                     and {reserved}",
                    level.on_hand, level.reserved
                ));
            }
            let open = held.get(location).copied().unwrap_or(0);
            if level.reserved != open {
                report.inconsistencies.push(format!(
                    "{sku} at {location}: {} reserved, open holds add up to {open}",
                    level.reserved
                ));
            }
        }
        Ok(())
    }

    /// Open holds whose order never came to be; released with `repair`.
    fn check_holds(
        &self,
        sku: &Sku,
        stored: &Stored,
        repair: bool,
        order_exists: &impl Fn(&OrderId) -> Result<bool, Error>,
        report: &mut CheckReport,
    ) -> Result<(), Error> {
        for (order, hold) in stored.item.holds() {
            let old = hold
                .since
                .is_none_or(|since| self.now.as_datetime() - since.as_datetime() >= ORPHAN_AFTER);
            if !old {
                continue;
            }
            report
                .old_holds
                .push((sku.clone(), order.clone(), hold.quantity));
            if order_exists(order)? {
                continue;
            }
            report.inconsistencies.push(format!(
                "{sku}: {} held for order {order}, which does not exist",
                hold.quantity
            ));
            if repair {
                let release = StockCommand::Release {
                    order: order.clone(),
                };
                self.apply(sku, &release, Actor::System)?;
                report
                    .repaired
                    .push(format!("{sku}: released the hold of order {order}"));
            }
        }
        Ok(())
    }
}
