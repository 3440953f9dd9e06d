//! The consistency check: every order's pending effects, its indexes (once the indexer has
//! caught up, they reflect its version), external-id pointer and the directory's path to its
//! total, and with `repair` the writes that restore them.

use std::collections::HashSet;

use orderflow_domain::values::OrderId;

use super::{Failure, Service};
use crate::doc::{Pointer, decode, encode};
use crate::keys::{self, IndexName};
use crate::kv::Kv;

/// What `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) orders: u64,
    pub(crate) inconsistencies: Vec<String>,
    pub(crate) repaired: Vec<String>,
}

impl<K: Kv> Service<'_, K> {
    /// Walks every order by number and checks its pending effects, index entries and external-id
    /// pointer; with `repair`, re-applies what is missing.
    pub(crate) fn check(&self, repair: bool) -> Result<Report, Failure> {
        let mut report = Report::default();
        let mut reachable = HashSet::new();
        // What the indexer has yet to do is not an inconsistency.
        self.catch_up()?;
        let last = self.counter(keys::ORDER_SEQ)?;
        for number in 1..=last {
            let Some(id) = keys::order_id(number) else {
                continue;
            };
            let key = keys::order(&id);
            let stored = match self.read(&key) {
                Ok(Some(stored)) => stored,
                Ok(None) => continue,
                Err(Failure::Store(e)) => {
                    report.inconsistencies.push(e);
                    continue;
                }
                Err(other) => return Err(other),
            };
            report.orders += 1;
            if !stored.pending.is_empty() {
                report.inconsistencies.push(format!(
                    "order {id} has {} derived writes pending",
                    stored.pending.len()
                ));
                if repair {
                    self.run_effects(&stored)?;
                    self.clear(&key, &stored.write_id, None);
                    report.repaired.push(format!(
                        "order {id}: re-applied {} derived writes",
                        stored.pending.len()
                    ));
                }
            }
            let pointer = encode(&Pointer { id: id.clone() }).map_err(Failure::Store)?;
            let version = stored.order.version();
            let mut record = self.index_record(&id)?.unwrap_or_default();
            if record.version != version {
                report.inconsistencies.push(format!(
                    "order {id}'s indexes reflect version {}, not {version}",
                    record.version
                ));
                if repair {
                    self.reindex(stored.order.clone(), version)?;
                    record = self.index_record(&id)?.unwrap_or_default();
                    report
                        .repaired
                        .push(format!("order {id}: indexed version {version}"));
                }
            }
            for (index, slot) in &record.slots {
                let entry = keys::index_entry(index, *slot);
                if self.names(&entry, &id)? {
                    continue;
                }
                report.inconsistencies.push(format!(
                    "order {id} is missing from index {} (slot {slot})",
                    index.as_str()
                ));
                if repair {
                    self.kv.set(&entry, &pointer)?;
                    report.repaired.push(format!(
                        "order {id}: wrote index {} slot {slot}",
                        index.as_str()
                    ));
                }
            }
            let total = keys::total_key(stored.order.totals().total);
            if record.slots.contains_key(&IndexName::total(total)) && !reachable.contains(&total) {
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
            if let Some(external_id) = stored.order.external_id() {
                let channel = stored.order.channel();
                let key = keys::external(channel, external_id);
                if !self.names(&key, &id)? {
                    match self.kv.get(&key)? {
                        Some(_) => report.inconsistencies.push(format!(
                            "order {id}: {channel}/{external_id} points at another order"
                        )),
                        None => {
                            report.inconsistencies.push(format!(
                                "order {id}: {channel}/{external_id} does not point at it"
                            ));
                            if repair {
                                self.kv.set(&key, &pointer)?;
                                report.repaired.push(format!(
                                    "order {id}: pointed {channel}/{external_id} at it"
                                ));
                            }
                        }
                    }
                }
            }
        }
        Ok(report)
    }

    /// Whether the pointer at `key` names `id`.
    fn names(&self, key: &str, id: &OrderId) -> Result<bool, Failure> {
        Ok(match self.kv.get(key)? {
            None => false,
            Some(bytes) => decode::<Pointer>(key, &bytes).is_ok_and(|p| &p.id == id),
        })
    }
}
