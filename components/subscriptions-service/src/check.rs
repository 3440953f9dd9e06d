//! The subscriptions service's check-and-repair: an admin operation that walks every
//! subscription (through the `all` index) and puts back what a crash can leave out — index
//! entries, due entries, cycle records — and recounts the status and revenue counters. Its cost
//! grows with the data, so it is never on a request or pass path; run it when the store is quiet
//! (a write between its count and its repair would be counted twice).

use std::collections::BTreeMap;

use orderflow_domain::subscription::{SubscriptionStatus, Transition};

use crate::doc::{Pointer, Stored, decode, encode, subscription_id};
use crate::keys::{self, IndexName, Space};
use crate::kv::Kv;
use crate::service::{Error, Subscriptions};
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
    /// Checks every subscription's index entries, due entry and cycle records; with `repair`,
    /// writes back what is missing and re-registers a due entry no pass would reach.
    pub fn check(&self, repair: bool) -> Result<CheckReport, Error> {
        let mut report = CheckReport::default();
        let all = IndexName::all();
        let last = u64::try_from(self.counter(&keys::index_counter(&all))?).unwrap_or(0);
        let mut counted: BTreeMap<String, i64> = BTreeMap::new();
        for slot in 1..=last {
            let key = keys::index_entry(&all, slot);
            let Some(bytes) = self.kv.get(&key)? else {
                continue;
            };
            let Some(id) = decode::<Pointer>(&key, &bytes)
                .ok()
                .as_ref()
                .and_then(subscription_id)
            else {
                report.inconsistencies.push(format!("{key} does not parse"));
                continue;
            };
            let Some(stored) = self.read(&id)? else {
                report
                    .inconsistencies
                    .push(format!("{key} names {id}, which does not exist"));
                continue;
            };
            if stored.slots.get(&all) != Some(&slot) {
                continue;
            }
            report.subscriptions += 1;
            self.settle_stats(&id, &stored)?;
            // A test clock's subscription is checked in its clock's space, at its clock's time,
            // and is not counted in the stats.
            let space = Space::of(stored.test_clock.as_ref());
            let now = match space.clock() {
                // A clock deleted halfway leaves its subscriptions to the next delete.
                Some(clock) => match self.clock(clock) {
                    Ok(clock) => clock.frozen_time,
                    Err(Error::ClockNotFound) => continue,
                    Err(other) => return Err(other),
                },
                None => self.now(),
            };
            let cursor = self.within(space.clone(), now, || self.pass_cursor())?;
            if space != Space::Live {
                self.within(space, now, || {
                    self.check_one(&stored, cursor, repair, &mut report)
                })?;
                continue;
            }
            let mine = contribution(&stored.subscription);
            *counted.entry(keys::stat_status(mine.status)).or_insert(0) += 1;
            if let Some((currency, amount)) = mine.mrr {
                let total = counted.entry(keys::stat_mrr(currency)).or_insert(0);
                *total = total.saturating_add(amount);
            }
            self.check_one(&stored, cursor, repair, &mut report)?;
        }
        self.check_counters(&counted, repair, &mut report)?;
        Ok(report)
    }

    /// Compares the status and revenue counters with what the walk counted.
    fn check_counters(
        &self,
        counted: &BTreeMap<String, i64>,
        repair: bool,
        report: &mut CheckReport,
    ) -> Result<(), Error> {
        let mut keys: Vec<String> = [
            SubscriptionStatus::Active,
            SubscriptionStatus::Paused,
            SubscriptionStatus::Canceled,
            SubscriptionStatus::Finished,
        ]
        .into_iter()
        .map(keys::stat_status)
        .collect();
        keys.extend(self.currencies()?.into_iter().map(keys::stat_mrr));
        for key in keys {
            let expected = counted.get(&key).copied().unwrap_or(0);
            let actual = self.counter(&key)?;
            if actual == expected {
                continue;
            }
            report.inconsistencies.push(format!(
                "{key} is {actual}, the subscriptions add up to {expected}"
            ));
            if repair {
                self.kv.increment(&key, expected.saturating_sub(actual))?;
                report.repaired.push(format!("{key} set to {expected}"));
            }
        }
        Ok(())
    }

    fn check_one(
        &self,
        stored: &Stored,
        cursor: Option<keys::Bucket>,
        repair: bool,
        report: &mut CheckReport,
    ) -> Result<(), Error> {
        let sub = &stored.subscription;
        let id = sub.id();
        let pointer = encode(&Pointer {
            id: id.as_str().to_owned(),
        })
        .map_err(Error::Store)?;
        let names_it = |key: &str| -> Result<bool, Error> {
            Ok(self.kv.get(key)?.is_some_and(|bytes| {
                decode::<Pointer>(key, &bytes).is_ok_and(|p| p.id == id.as_str())
            }))
        };
        for (index, slot) in &stored.slots {
            let key = keys::index_entry(index, *slot);
            if !names_it(&key)? {
                report
                    .inconsistencies
                    .push(format!("subscription {id} is missing from {key}"));
                if repair {
                    self.kv.set(&key, &pointer)?;
                    report
                        .repaired
                        .push(format!("subscription {id}: wrote {key}"));
                }
            }
        }
        for record in &stored.cycles {
            let key = keys::cycle(id, record.number);
            if self.kv.get(&key)?.is_none() {
                report.inconsistencies.push(format!(
                    "subscription {id}: cycle {} has no record",
                    record.number
                ));
                if repair {
                    self.kv.set(&key, &encode(record).map_err(Error::Store)?)?;
                    report
                        .repaired
                        .push(format!("subscription {id}: wrote cycle {}", record.number));
                }
            }
        }
        let Some(at) = sub.wake_at() else {
            return Ok(());
        };
        let reachable = stored
            .due
            .is_some_and(|d| d.at == at && cursor.is_none_or(|c| d.bucket > c));
        if reachable {
            if let Some(due) = stored.due {
                let key = self.space().due_entry(due.bucket, due.slot);
                if !names_it(&key)? {
                    report
                        .inconsistencies
                        .push(format!("subscription {id} is missing from {key}"));
                    if repair {
                        self.kv.set(&key, &pointer)?;
                        report
                            .repaired
                            .push(format!("subscription {id}: wrote {key}"));
                    }
                }
            }
            return Ok(());
        }
        report.inconsistencies.push(format!(
            "subscription {id} runs next at {at} but no pass will reach its due entry"
        ));
        if repair {
            self.write_or_touch(
                id,
                |s| {
                    Ok(Transition {
                        subscription: s.clone(),
                        events: Vec::new(),
                    })
                },
                true,
            )?;
            report
                .repaired
                .push(format!("subscription {id}: due entry registered again"));
        }
        Ok(())
    }
}
