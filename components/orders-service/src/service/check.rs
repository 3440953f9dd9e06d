//! The consistency check: every order's index entries (for the versions the indexer has read),
//! external-id pointer and the directory's path to its total, and with `repair` the writes that
//! restore them.

use std::collections::HashSet;

use orderflow_domain::order::{Actor, InvoiceKind, Status};
use orderflow_domain::values::OrderId;

use super::index::entry_writes;
use super::{Failure, Service, StockStep, stock};
use crate::doc::{IndexEntry, Pointer, Stored, decode, encode};
use crate::keys::{self, IndexName};
use crate::kv::Kv;

/// What `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) orders: u64,
    pub(crate) skus: u64,
    pub(crate) inconsistencies: Vec<String>,
    pub(crate) repaired: Vec<String>,
}

impl<K: Kv> Service<'_, K> {
    /// Walks every order by number and checks its index entries and external-id pointer; with
    /// `repair`, writes what is missing.
    pub(crate) fn check(&self, repair: bool) -> Result<Report, Failure> {
        let mut report = Report::default();
        let mut reachable = HashSet::new();
        // What the indexer has yet to do is not an inconsistency.
        self.catch_up()?;
        let head = self.index_head()?;
        let last = self.counter(keys::FEED_SEQ)?;
        for number in 1..=last {
            let Some(id) = keys::order_id(number) else {
                continue;
            };
            let stored = match self.read(&keys::order(&id)) {
                Ok(Some(stored)) => stored,
                Ok(None) => continue,
                Err(Failure::Store(e)) => {
                    report.inconsistencies.push(e);
                    continue;
                }
                Err(other) => return Err(other),
            };
            report.orders += 1;
            for (index, since) in &stored.joined {
                // A join the indexer has not read yet is its to make.
                let indexed = stored.position_of(*since).is_some_and(|position| {
                    position <= head.cursor && !head.recheck.iter().any(|(p, _)| *p == position)
                });
                if indexed && index.is_listed() {
                    self.check_entry(&stored, index, *since, repair, &mut report)?;
                }
            }
            let total = keys::total_key(stored.order.totals().total);
            if !reachable.contains(&total) {
                if !self.check_total(total, repair)? {
                    report.inconsistencies.push(format!(
                        "order {id}: total {total} cannot be reached in the directory of totals"
                    ));
                    if repair {
                        report
                            .repaired
                            .push(format!("order {id}: led the directory to total {total}"));
                    }
                }
                reachable.insert(total);
            }
            self.check_external(&stored, repair, &mut report)?;
        }
        self.check_stock(repair, &mut report)?;
        Ok(report)
    }

    /// The inventory's own check (levels against ledgers and holds), and each hold older than
    /// a placement takes against its order: one whose order never came to be, was canceled or
    /// invoiced, or holds other quantities (a command cut off between its stock and its write)
    /// is set right with `repair`.
    fn check_stock(&self, repair: bool, report: &mut Report) -> Result<(), Failure> {
        let stock = self.stock.check()?;
        report.skus = stock.skus;
        report.inconsistencies.extend(
            stock
                .inconsistencies
                .into_iter()
                .map(|problem| format!("inventory: {problem}")),
        );
        for (sku, id, quantity) in stock.old_holds {
            let order = self.read(&keys::order(&id))?.map(|stored| stored.order);
            let lines = order.as_ref().map(stock::lines).unwrap_or_default();
            let wanted = lines.iter().find(|(s, _)| *s == sku).map_or(0, |(_, n)| *n);
            let (problem, step) = match &order {
                None => ("does not exist", StockStep::Release),
                Some(o) if o.status() == Status::Canceled => ("was canceled", StockStep::Release),
                Some(o) if o.invoices().iter().any(|i| i.kind == InvoiceKind::Output) => {
                    ("was invoiced", StockStep::Deduct)
                }
                Some(_) if wanted != quantity => {
                    report.inconsistencies.push(format!(
                        "inventory: {sku}: {quantity} held for order {id}, which has {wanted}"
                    ));
                    if repair {
                        self.stock
                            .reserve(&id, &lines, None, Some(&lines), Actor::System)?;
                        report.repaired.push(format!(
                            "inventory: {sku}: set the hold of order {id} to {wanted}"
                        ));
                    }
                    continue;
                }
                Some(_) => continue,
            };
            report.inconsistencies.push(format!(
                "inventory: {sku}: {quantity} held for order {id}, which {problem}"
            ));
            if repair {
                // This SKU only: the order's other holds are checked on their own.
                let line = [(sku.clone(), wanted)];
                self.stock.step(&id, &step, &line, Actor::System)?;
                report.repaired.push(format!(
                    "inventory: {sku}: {} the hold of order {id}",
                    if step == StockStep::Release {
                        "released"
                    } else {
                        "deducted"
                    }
                ));
            }
        }
        Ok(())
    }

    /// Checks that the order holds its slot in `index` for its join at `since`: the slot it got,
    /// and the entry there.
    fn check_entry(
        &self,
        stored: &Stored,
        index: &IndexName,
        since: u64,
        repair: bool,
        report: &mut Report,
    ) -> Result<(), Failure> {
        let id = stored.order.id();
        let slot_key = keys::index_slot(index, id, since);
        let slot = match self.kv.get(&slot_key)? {
            Some(bytes) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| text.parse::<u64>().ok()),
            None => None,
        };
        let Some(slot) = slot else {
            report.inconsistencies.push(format!(
                "order {id} is missing from index {}",
                index.as_str()
            ));
            if repair {
                let slot = self.allocate(index, 1)?;
                self.kv.set_many(&entry_writes(index, slot, id, since)?)?;
                report.repaired.push(format!(
                    "order {id}: wrote index {} slot {slot}",
                    index.as_str()
                ));
            }
            return Ok(());
        };
        let entry_key = keys::index_entry(index, slot);
        let expected = IndexEntry {
            id: id.clone(),
            v: since,
        };
        let holds = match self.kv.get(&entry_key)? {
            Some(bytes) => decode::<IndexEntry>(&entry_key, &bytes).is_ok_and(|e| e == expected),
            None => false,
        };
        if !holds {
            report.inconsistencies.push(format!(
                "order {id} is missing from index {} (slot {slot})",
                index.as_str()
            ));
            if repair {
                self.kv
                    .set(&entry_key, &encode(&expected).map_err(Failure::Store)?)?;
                report.repaired.push(format!(
                    "order {id}: wrote index {} slot {slot}",
                    index.as_str()
                ));
            }
        }
        Ok(())
    }

    /// Checks that the order's channel + external id points at it.
    fn check_external(
        &self,
        stored: &Stored,
        repair: bool,
        report: &mut Report,
    ) -> Result<(), Failure> {
        let Some(external_id) = stored.order.external_id() else {
            return Ok(());
        };
        let id = stored.order.id();
        let channel = stored.order.channel();
        let key = keys::external(channel, external_id);
        if self.names(&key, id)? {
            return Ok(());
        }
        match self.kv.get(&key)? {
            Some(_) => report.inconsistencies.push(format!(
                "order {id}: {channel}/{external_id} points at another order"
            )),
            None => {
                report.inconsistencies.push(format!(
                    "order {id}: {channel}/{external_id} does not point at it"
                ));
                if repair {
                    let pointer = encode(&Pointer { id: id.clone() }).map_err(Failure::Store)?;
                    self.kv.set(&key, &pointer)?;
                    report
                        .repaired
                        .push(format!("order {id}: pointed {channel}/{external_id} at it"));
                }
            }
        }
        Ok(())
    }

    /// Whether the pointer at `key` names `id`.
    fn names(&self, key: &str, id: &OrderId) -> Result<bool, Failure> {
        Ok(match self.kv.get(key)? {
            None => false,
            Some(bytes) => decode::<Pointer>(key, &bytes).is_ok_and(|p| &p.id == id),
        })
    }
}
