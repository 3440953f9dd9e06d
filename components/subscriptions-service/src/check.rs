//! The subscriptions service's check-and-repair: an admin operation that walks every
//! subscription (through the `all` index), checks what the indexer derived from it (index and
//! due entries, cycle records) and recounts the status and revenue counters. Its cost
//! grows with the data, so it is never on a request or pass path; run it when the store is quiet
//! (a write between its count and its repair would be counted twice).

use std::collections::{BTreeMap, BTreeSet};

use orderflow_domain::subscription::SubscriptionStatus;

use crate::doc::{Counters, CycleRecord, Pointer, Stored, Tally, decode, encode, subscription_id};
use crate::keys::{self, Bucket, IndexName, Space};
use crate::kv::{Kv, Swap};
use crate::service::{Error, MAX_ATTEMPTS, Subscriptions};
use crate::stats::contribution;

/// What [`Subscriptions::check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Subscriptions examined.
    pub subscriptions: u64,
    /// Problems found, one sentence each.
    pub inconsistencies: Vec<String>,
    /// What was repaired, one sentence each (empty unless repairing).
    pub repaired: Vec<String>,
}

impl<K: Kv> Subscriptions<'_, K> {
    /// Checks every subscription's index entries, due entry and cycle records, and the
    /// counters; with `repair`, writes back what is missing, derives again what the indexer
    /// holds wrong, and sets the status and revenue counters to what the subscriptions add up to.
    pub fn check(&self, repair: bool) -> Result<CheckReport, Error> {
        let mut report = CheckReport::default();
        self.catch_up()?;
        let all = IndexName::all();
        let last = u64::try_from(self.counter(&keys::index_counter(&all))?).unwrap_or(0);
        let mut counted = Tally::default();
        let mut reindex = Vec::new();
        for slot in 1..=last {
            let key = keys::index_entry(&all, slot);
            let Some(bytes) = self.kv.get(&key)? else {
                continue;
            };
            let Ok(pointer) = decode::<Pointer>(&key, &bytes) else {
                report.inconsistencies.push(format!("{key} does not parse"));
                continue;
            };
            let Some(id) = subscription_id(&pointer) else {
                report
                    .inconsistencies
                    .push(format!("{key} does not name a subscription"));
                continue;
            };
            let Some(stored) = self.read(&id)? else {
                report
                    .inconsistencies
                    .push(format!("{key} names {id}, which does not exist"));
                continue;
            };
            if stored.joined.get(&all) != Some(&pointer.v) {
                continue;
            }
            report.subscriptions += 1;
            // A test clock's subscription is checked in its clock's space, at its clock's time,
            // and is not counted in the stats.
            let space = Space::of(stored.test_clock.as_ref());
            let cursor = match space.clock() {
                // A clock deleted halfway leaves its subscriptions to the next delete.
                Some(clock) => match self.clock(clock) {
                    Ok(clock) => {
                        self.within(space.clone(), clock.frozen_time, || self.pass_cursor())?
                    }
                    Err(Error::ClockNotFound) => continue,
                    Err(other) => return Err(other),
                },
                None => {
                    counted.count(&contribution(&stored.subscription), 1);
                    self.within(Space::Live, self.now(), || self.pass_cursor())?
                }
            };
            if !self.check_one(&stored, &space, cursor, repair, &mut report)? {
                reindex.push(id);
            }
        }
        if repair && !reindex.is_empty() {
            self.reindex(&reindex)?;
            for id in &reindex {
                report
                    .repaired
                    .push(format!("subscription {id}: its entries derived again"));
            }
        }
        self.check_counters(&counted, repair, &mut report)?;
        Ok(report)
    }

    /// Compares the status and revenue counters with what the walk counted.
    fn check_counters(
        &self,
        counted: &Tally,
        repair: bool,
        report: &mut CheckReport,
    ) -> Result<(), Error> {
        let totals = self.counters()?.totals;
        let mut wrong = Vec::new();
        let statuses = [
            SubscriptionStatus::Active,
            SubscriptionStatus::Paused,
            SubscriptionStatus::Canceled,
            SubscriptionStatus::Finished,
        ];
        for status in statuses.iter().map(SubscriptionStatus::as_str) {
            let (actual, expected) = (
                value(&totals.status, status),
                value(&counted.status, status),
            );
            if actual != expected {
                wrong.push(format!(
                    "subscriptions {status} count {actual}, the subscriptions add up to {expected}"
                ));
            }
        }
        let currencies: BTreeSet<&String> = totals.mrr.keys().chain(counted.mrr.keys()).collect();
        for currency in currencies {
            let (actual, expected) = (value(&totals.mrr, currency), value(&counted.mrr, currency));
            if actual != expected {
                wrong.push(format!(
                    "monthly recurring revenue in {currency} is {actual}, the subscriptions add \
                     up to {expected}"
                ));
            }
        }
        if wrong.is_empty() {
            return Ok(());
        }
        report.inconsistencies.extend(wrong);
        if repair {
            self.set_counted(counted)?;
            report
                .repaired
                .push("status and revenue counters set to what the subscriptions add up to".into());
        }
        Ok(())
    }

    /// Sets the status and revenue counters to `counted` (the hours due stay).
    fn set_counted(&self, counted: &Tally) -> Result<(), Error> {
        for _ in 0..MAX_ATTEMPTS {
            let (cas, bytes) = self.kv.cas_current(keys::COUNTERS)?;
            let mut counters: Counters = match &bytes {
                None => Counters::default(),
                Some(bytes) => decode(keys::COUNTERS, bytes).map_err(Error::Store)?,
            };
            counters.totals.status.clone_from(&counted.status);
            counters.totals.mrr.clone_from(&counted.mrr);
            counters.write_id = self.write_id();
            let write_id = counters.write_id.clone();
            let encoded = encode(&counters).map_err(Error::Store)?;
            let swapped = match self.kv.cas_swap(cas, &encoded)? {
                Swap::Swapped => true,
                // Redis reports a successful swap as failed: ours if it carries our write id.
                Swap::Failed => self.counters()?.write_id == write_id,
            };
            if swapped {
                return Ok(());
            }
        }
        Err(Error::Contention)
    }

    /// Checks one subscription; writes back its missing entries with `repair`. Answers false
    /// when what the indexer holds for it is wrong, to be derived again.
    fn check_one(
        &self,
        stored: &Stored,
        space: &Space,
        cursor: Option<Bucket>,
        repair: bool,
        report: &mut CheckReport,
    ) -> Result<bool, Error> {
        let sub = &stored.subscription;
        let id = sub.id();
        let record = self.index_record(id)?.unwrap_or_default();
        let mut right = true;
        let mut entries: Vec<(String, Pointer)> = Vec::new();
        for (index, since) in &stored.joined {
            match record.slots.get(index) {
                Some((slot, at)) if at == since => entries.push((
                    keys::index_entry(index, *slot),
                    Pointer {
                        id: id.as_str().to_owned(),
                        v: *since,
                    },
                )),
                Some(_) | None => {
                    report.inconsistencies.push(format!(
                        "subscription {id} has no entry in index {}",
                        index.as_str()
                    ));
                    right = false;
                }
            }
        }
        if let Some(at) = sub.wake_at() {
            match record.due {
                Some(due) if due.at == at && cursor.is_none_or(|c| due.bucket > c) => {
                    entries.push((
                        space.due_entry(due.bucket, due.slot),
                        Pointer::to(id.as_str()),
                    ));
                }
                Some(_) | None => {
                    report.inconsistencies.push(format!(
                        "subscription {id} runs next at {at} but no pass will reach its due entry"
                    ));
                    right = false;
                }
            }
        }
        for (key, entry) in entries {
            let names_it = self
                .kv
                .get(&key)?
                .is_some_and(|bytes| decode::<Pointer>(&key, &bytes).is_ok_and(|p| p == entry));
            if names_it {
                continue;
            }
            report
                .inconsistencies
                .push(format!("subscription {id} is missing from {key}"));
            if repair {
                self.kv.set(&key, &encode(&entry).map_err(Error::Store)?)?;
                report
                    .repaired
                    .push(format!("subscription {id}: wrote {key}"));
            }
        }
        self.check_cycles(stored, report)?;
        Ok(right)
    }

    /// Reports settled cycles without a record (the indexer writes them from the outbox, so a
    /// missing one is a fault, not a crash's leftover).
    fn check_cycles(&self, stored: &Stored, report: &mut CheckReport) -> Result<(), Error> {
        let sub = &stored.subscription;
        let settled = sub.next_cycle().saturating_sub(1);
        let mut number = 1;
        while number <= settled {
            let key = keys::cycle(sub.id(), number);
            match self.kv.get(&key)? {
                Some(bytes) => {
                    let record: CycleRecord = decode(&key, &bytes).map_err(Error::Store)?;
                    number = record
                        .through
                        .unwrap_or(number)
                        .max(number)
                        .saturating_add(1);
                }
                None => {
                    report.inconsistencies.push(format!(
                        "subscription {}: cycle {number} has no record",
                        sub.id()
                    ));
                    number = number.saturating_add(1);
                }
            }
        }
        Ok(())
    }
}

/// A counter's value in a tally (absent: 0).
fn value(map: &BTreeMap<String, i64>, key: &str) -> i64 {
    map.get(key).copied().unwrap_or(0)
}
