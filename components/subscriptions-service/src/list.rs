//! Listings: subscriptions by index or by due time, and a subscription's cycles, a bounded
//! number of reads per call whatever the number stored.

use orderflow_domain::subscription::{CycleStatus, Subscription};
use orderflow_domain::values::{Invalid, SubscriptionId, Timestamp};

use crate::doc::{CycleRecord, Pointer, decode, subscription_id};
use crate::keys::{self, Bucket, IndexName};
use crate::kv::Kv;
use crate::service::{Error, Filter, MAX_LIMIT, Page, PageRequest, Subscriptions, View};

/// At most this many index entries (or cycle keys) are read by one listing call; a page may hold
/// fewer items than asked and still carry a cursor.
const MAX_SCAN: u64 = 1_000;

/// At most this many occupancy counters are read by one due-before listing call.
const MAX_COUNTER_READS: usize = 2_000;

impl<K: Kv> Subscriptions<'_, K> {
    /// Subscriptions matching `filter`, a page at a time. Each call reads a bounded number of
    /// entries and documents, whatever the number of subscriptions stored.
    pub fn list(&self, filter: &Filter, page: &PageRequest) -> Result<Page<Subscription>, Error> {
        let page = self.list_views(filter, page)?;
        Ok(Page {
            items: page.items.into_iter().map(|v| v.subscription).collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// [`Self::list`], each subscription with its test clock.
    pub fn list_views(&self, filter: &Filter, page: &PageRequest) -> Result<Page<View>, Error> {
        let index = match filter {
            Filter::All => IndexName::all(),
            Filter::Status(status) => IndexName::status(*status),
            Filter::Customer(customer) => IndexName::customer(customer),
            Filter::DueBefore(before) => return self.list_due(*before, page),
        };
        self.catch_up()?;
        self.walk_index(&index, page, |_, pointer| {
            let Some(id) = subscription_id(pointer) else {
                return Ok(None);
            };
            let Some(stored) = self.read(&id)? else {
                return Ok(None);
            };
            // An entry of an index the subscription has left (and perhaps joined again since)
            // names another version than its document: the document decides, so each
            // subscription is listed once.
            Ok((stored.joined.get(&index) == Some(&pointer.v)
                && matches(filter, &stored.subscription))
            .then(|| View::of(stored)))
        })
    }

    /// Walks an index from its newest slot down, `load` turning entries into items.
    pub(crate) fn walk_index<T>(
        &self,
        index: &IndexName,
        page: &PageRequest,
        load: impl Fn(u64, &Pointer) -> Result<Option<T>, Error>,
    ) -> Result<Page<T>, Error> {
        let limit = check_limit(page.limit)?;
        let mut slot = match &page.cursor {
            Some(cursor) => parse_slot_cursor(cursor)?,
            None => u64::try_from(self.counter(&keys::index_counter(index))?).unwrap_or(0),
        };
        let mut items = Vec::new();
        let mut scanned = 0;
        while slot > 0 && items.len() < limit && scanned < MAX_SCAN {
            let here = slot;
            let key = keys::index_entry(index, slot);
            slot -= 1;
            scanned += 1;
            let Some(bytes) = self.kv.get(&key)? else {
                continue;
            };
            let pointer: Pointer = decode(&key, &bytes).map_err(Error::Store)?;
            if let Some(item) = load(here, &pointer)? {
                items.push(item);
            }
        }
        Ok(Page {
            items,
            next_cursor: (slot > 0).then(|| format!("v1.{slot}")),
        })
    }

    /// Active subscriptions due before `before`, by walking the due index from the pass cursor.
    fn list_due(&self, before: Timestamp, page: &PageRequest) -> Result<Page<View>, Error> {
        let limit = check_limit(page.limit)?;
        self.catch_up()?;
        let (mut bucket, mut slot) = match &page.cursor {
            Some(cursor) => parse_due_cursor(cursor)?,
            None => (
                Bucket(self.pass_cursor()?.map_or(0, |c| c.0.saturating_add(1))),
                1,
            ),
        };
        // Entries re-registered by the indexer sit in the current minute even when their run
        // was earlier (`crate::index`), so the walk goes at least one minute past now.
        let end = Bucket::of(before).max(Bucket(Bucket::of(self.now()).0.saturating_add(1)));
        let mut walk = crate::pass::Occupancy::new(self, MAX_COUNTER_READS);
        let mut items = Vec::new();
        let mut scanned = 0;
        'buckets: while let Some(current) = walk.next_occupied(bucket, end)? {
            if current != bucket {
                slot = 1;
            }
            bucket = current;
            let slots =
                u64::try_from(self.counter(&self.space().due_counter(bucket))?).unwrap_or(0);
            while slot <= slots {
                if items.len() >= limit || scanned >= MAX_SCAN {
                    break 'buckets;
                }
                let key = self.space().due_entry(bucket, slot);
                slot += 1;
                scanned += 1;
                let Some(bytes) = self.kv.get(&key)? else {
                    continue;
                };
                let pointer: Pointer = decode(&key, &bytes).map_err(Error::Store)?;
                let Some(id) = subscription_id(&pointer) else {
                    continue;
                };
                let Some(stored) = self.read(&id)? else {
                    continue;
                };
                // Its current due entry, not one it left (each subscription is listed once).
                let here = self
                    .index_record(&id)?
                    .and_then(|record| record.due)
                    .is_some_and(|d| d.bucket == bucket && d.slot == slot - 1);
                if here
                    && stored
                        .subscription
                        .next_run_at()
                        .is_some_and(|at| at < before)
                {
                    items.push(View::of(stored));
                }
            }
            bucket = Bucket(bucket.0.saturating_add(1));
            slot = 1;
        }
        let done = walk.exhausted_at().is_none() && items.len() < limit && scanned < MAX_SCAN;
        let resume = walk.exhausted_at().unwrap_or(bucket);
        Ok(Page {
            items,
            next_cursor: (!done && resume <= end).then(|| format!("v1.{}.{slot}", resume.0)),
        })
    }

    /// The cycles of a subscription, oldest first, from the cycle after `page.cursor`. Ranges of
    /// missed or skipped cycles are one record each.
    pub fn cycles(
        &self,
        id: &SubscriptionId,
        page: &PageRequest,
    ) -> Result<Page<CycleRecord>, Error> {
        let limit = check_limit(page.limit)?;
        let stored = self.read(id)?.ok_or(Error::NotFound)?;
        self.catch_up()?;
        let sub = &stored.subscription;
        let mut number = match &page.cursor {
            Some(cursor) => u32::try_from(parse_slot_cursor(cursor)?).map_err(|_| bad_cursor())?,
            None => 1,
        };
        // Settled cycles have records; the pending one is shown once an attempt at it failed.
        let settled = sub.next_cycle().saturating_sub(1);
        let last = if sub.attempts() > 0 {
            sub.next_cycle()
        } else {
            settled
        };
        let mut items = Vec::new();
        let mut scanned = 0;
        while number <= last && items.len() < limit && scanned < MAX_SCAN {
            if number > settled {
                items.push(CycleRecord {
                    number,
                    through: None,
                    scheduled_for: sub.scheduled_for(number).unwrap_or(sub.updated_at()),
                    status: CycleStatus::Failed,
                    order_id: None,
                    attempts: sub.attempts(),
                    error: sub.last_error().cloned(),
                });
                number = number.saturating_add(1);
                continue;
            }
            let key = keys::cycle(id, number);
            scanned += 1;
            let record = match self.kv.get(&key)? {
                Some(bytes) => Some(decode::<CycleRecord>(&key, &bytes).map_err(Error::Store)?),
                None => None,
            };
            match record {
                Some(record) => {
                    number = record.through.unwrap_or(number).saturating_add(1);
                    items.push(record);
                }
                None => number = number.saturating_add(1),
            }
        }
        Ok(Page {
            items,
            next_cursor: (number <= last).then(|| format!("v1.{number}")),
        })
    }
}

fn matches(filter: &Filter, sub: &Subscription) -> bool {
    let customer = sub.order().customer();
    match filter {
        Filter::All => true,
        Filter::Status(status) => sub.status() == *status,
        Filter::Customer(value) => {
            let value = value.trim();
            customer.email.as_str() == value
                || customer.id.as_ref().is_some_and(|id| id.as_str() == value)
        }
        Filter::DueBefore(before) => sub.next_run_at().is_some_and(|at| at < *before),
    }
}

fn check_limit(limit: u32) -> Result<usize, Error> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(usize::try_from(limit).unwrap_or(50))
    } else {
        Err(Error::Invalid(vec![
            Invalid::OutOfRange {
                min: 1,
                max: i64::from(MAX_LIMIT),
            }
            .at("limit"),
        ]))
    }
}

fn bad_cursor() -> Error {
    Error::Invalid(vec![
        Invalid::BadFormat {
            expected: "a cursor this listing gave out",
        }
        .at("cursor"),
    ])
}

fn parse_slot_cursor(cursor: &str) -> Result<u64, Error> {
    cursor
        .strip_prefix("v1.")
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad_cursor)
}

fn parse_due_cursor(cursor: &str) -> Result<(Bucket, u64), Error> {
    let mut parts = cursor.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some(bucket), Some(slot), None) => {
            let bucket = bucket.parse().map_err(|_| bad_cursor())?;
            let slot = slot.parse().map_err(|_| bad_cursor())?;
            Ok((Bucket(bucket), slot))
        }
        _ => Err(bad_cursor()),
    }
}
