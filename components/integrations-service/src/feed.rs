//! The feed: every order, subscription and stock event, each at its own position, gapless and
//! in order.
//!
//! Commands never write the feed. Each source service writes an *outbox entry* for every new
//! version of a document (the inventory: for every change that moved stock) before it swaps the
//! document in, at a position of its own outbox counter, and records that position in the
//! document (the inventory: on the change's first movement in the SKU's ledger). An entry is therefore in
//! one of three states, which only the source can tell from its document: *committed* (the
//! document's version holds that position), *dead* (the version was written by another attempt,
//! or never will be) or *pending* (the document has not reached that version yet: the writer is
//! still at work, or died before its swap).
//!
//! The sequencer turns committed entries into feed events. It keeps, in one document (the head),
//! how far it has read each outbox and which entries it left pending, and it is the only writer
//! of feed positions: a pass reads the outboxes after its cursors, re-reads the pending entries,
//! numbers the committed events after the last position, writes them as one batch under a key of
//! its own, and swaps the head to point at that batch. Passes may run side by side (cron, the
//! HTTP route, a command's after-answer kick): the head's compare-and-swap lets one win, and the
//! loser's batch is never pointed at. The next pass copies the previous batch into one key per
//! position and deletes it, so a reader finds every position either there or in the head's
//! current batch.
//!
//! Order within a document holds because a document's next version is written only after the
//! previous one, so its outbox position is larger, and a pass emits committed entries in outbox
//! order, re-read pending ones included. An entry left pending for [`FORGET_AFTER`] is dropped: no
//! request lives that long, so its writer died before its swap and nobody was told of it.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use orderflow_domain::values::Timestamp;
use orderflow_kv::{Kv, KvError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::document::{self, Decision, DocError, Document, decode, encode};
use crate::keys;

/// How long an outbox entry may stay pending before it is taken for dead.
pub const FORGET_AFTER: TimeDelta = TimeDelta::hours(1);
/// How many pending entries a source may have before its cursor stops moving.
pub const MAX_PENDING: usize = 1000;
/// How many outbox entries one pass reads from each source.
pub const READ_PER_PASS: u32 = 200;
/// How long the feed keeps an event.
pub const RETENTION: TimeDelta = TimeDelta::days(7);
/// How many expired events one pass deletes.
const DELETE_PER_PASS: u64 = 200;

/// Where events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The orders service.
    Orders,
    /// The subscriptions service.
    Subscriptions,
    /// The inventory service.
    Inventory,
}

impl Source {
    /// Every source, in the order a pass reads them.
    pub const ALL: [Source; 3] = [Source::Orders, Source::Subscriptions, Source::Inventory];
}

/// One event, as the feed keeps it and as it is delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Stable across retries, replays and passes: the source and its outbox position.
    pub id: String,
    /// The feed position (0 until the sequencer numbers it).
    pub position: u64,
    /// `order.<event>`, `subscription.<event>` or `inventory.<event>`, kebab case.
    #[serde(rename = "type")]
    pub kind: String,
    /// The order it concerns.
    pub order_id: Option<String>,
    /// The subscription it concerns.
    pub subscription_id: Option<String>,
    /// The SKU it concerns (events kept before inventory events existed have none).
    #[serde(default)]
    pub sku: Option<String>,
    /// The channel of the order (or of the subscription's orders).
    pub channel: Option<String>,
    /// The status before.
    pub from: Option<String>,
    /// The status after.
    pub to: Option<String>,
    /// When it happened.
    pub at: Timestamp,
    /// The event's details and the order (or subscription) as it was after it, as JSON text.
    pub data: Box<RawValue>,
}

impl Event {
    /// The subject whose events must stay in order: the order, the subscription or the SKU.
    pub fn subject(&self) -> &str {
        self.order_id
            .as_deref()
            .or(self.subscription_id.as_deref())
            .or(self.sku.as_deref())
            .unwrap_or_default()
    }
}

/// What a source says of one outbox position.
#[derive(Debug, Clone)]
pub enum EntryState {
    /// The version is in: its events, in order.
    Committed(Vec<Event>),
    /// Never to be committed.
    Dead,
    /// Not decided yet (also: a position handed out whose entry is not written yet).
    Pending,
}

/// One outbox position and its state.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The outbox position.
    pub position: u64,
    /// Its state.
    pub state: EntryState,
}

/// What a source answered.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The positions asked for, in position order: the re-checked ones and those after `after`
    /// up to `limit` of them (every position up to the last handed out, written or not).
    pub entries: Vec<Entry>,
}

/// The sources' outboxes, as the sequencer reads them.
pub trait Outboxes {
    /// The entries of `source` after position `after` (at most `limit`) and at each of
    /// `recheck`, decided against their documents as they are now (each document read once, so
    /// that two entries of one document are decided alike).
    fn read(&self, source: Source, after: u64, limit: u32, recheck: &[u64])
    -> Result<Page, String>;
}

/// An entry the sequencer left pending.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Waiting {
    position: u64,
    since: Timestamp,
}

/// How far the sequencer has read one outbox.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    /// Every position up to this one was read.
    read: u64,
    /// Those read but not decided.
    #[serde(default)]
    pending: Vec<Waiting>,
}

/// The head of the feed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    write_id: String,
    #[serde(default)]
    recent: Vec<String>,
    /// The last position handed out.
    last: u64,
    /// The first position still kept (older ones expired).
    #[serde(default = "one")]
    first: u64,
    /// The batch written by the pass that wrote this head: positions `batch_first..=last`.
    batch: Option<String>,
    #[serde(default)]
    batch_first: u64,
    #[serde(default)]
    sources: BTreeMap<Source, Cursor>,
    /// Entries dropped as dead after waiting too long, for the operator.
    #[serde(default)]
    forgotten: u64,
}

fn one() -> u64 {
    1
}

impl Document for Head {
    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>) {
        (&mut self.write_id, &mut self.recent)
    }
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Events added to the feed.
    pub added: u64,
    /// The last position after the pass.
    pub last: u64,
    /// Entries still pending.
    pub pending: usize,
    /// Events deleted because they expired.
    pub expired: u64,
}

/// Why the feed could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// The store failed.
    Store(String),
    /// A source failed.
    Source(String),
    /// Other passes won every attempt; nothing was written.
    Contention,
    /// `after` is before the oldest event kept.
    Expired {
        /// The oldest position still kept.
        first: u64,
    },
}

impl From<KvError> for FeedError {
    fn from(e: KvError) -> Self {
        FeedError::Store(e.to_string())
    }
}

impl From<DocError> for FeedError {
    fn from(e: DocError) -> Self {
        match e {
            DocError::Store(e) => FeedError::Store(e),
            DocError::Contention => FeedError::Contention,
        }
    }
}

fn read_head<K: Kv>(kv: &K) -> Result<Head, FeedError> {
    match kv.get(keys::FEED_HEAD)? {
        None => Ok(Head {
            first: 1,
            ..Head::default()
        }),
        Some(bytes) => Ok(decode(keys::FEED_HEAD, &bytes)?),
    }
}

/// The feed over a store.
#[derive(Debug)]
pub struct Feed<'a, K: Kv> {
    kv: &'a K,
    now: Timestamp,
    nonce: u64,
}

impl<'a, K: Kv> Feed<'a, K> {
    /// The feed at `now`; `nonce` makes this call's write ids unique.
    pub fn new(kv: &'a K, now: Timestamp, nonce: u64) -> Self {
        Feed { kv, now, nonce }
    }

    /// One sequencer pass: reads every source once, adds what they committed, drops what waited
    /// too long, and deletes expired events.
    pub fn sequence(&self, outboxes: &impl Outboxes) -> Result<Report, FeedError> {
        let mut written_batch: Option<String> = None;
        let (head, added) = document::write(
            self.kv,
            keys::FEED_HEAD,
            self.nonce,
            |current: Option<Head>, write_id| {
                // A batch written by a lost attempt is never pointed at: take it back.
                if let Some(batch) = written_batch.take() {
                    self.kv.delete(&keys::feed_batch(&batch))?;
                }
                let head = current.unwrap_or(Head {
                    first: 1,
                    ..Head::default()
                });
                self.materialize(&head)?;
                let (next, events) = self.advance(&head, outboxes, write_id)?;
                let Some(next) = next else {
                    return Ok::<_, FeedError>(Decision::Keep((head, 0)));
                };
                if !events.is_empty() {
                    self.kv
                        .set(&keys::feed_batch(write_id), &encode(&events)?)?;
                    written_batch = Some(write_id.to_owned());
                }
                let added = events.len() as u64;
                Ok(Decision::Write(next.clone(), (next, added)))
            },
        )?;
        // The new batch is copied to its positions by the next pass; doing it now as well makes
        // the events readable position by position at once (the same bytes either way).
        self.materialize(&head)?;
        let expired = self.expire(&head)?;
        Ok(Report {
            added,
            last: head.last,
            pending: head.sources.values().map(|c| c.pending.len()).sum(),
            expired,
        })
    }

    /// The head after reading every source, and the events it adds (`None`: nothing changed).
    fn advance(
        &self,
        head: &Head,
        outboxes: &impl Outboxes,
        write_id: &str,
    ) -> Result<(Option<Head>, Vec<Event>), FeedError> {
        let mut next = head.clone();
        let mut events = Vec::new();
        let mut changed = false;
        for source in Source::ALL {
            let cursor = next.sources.entry(source).or_default();
            let recheck: Vec<u64> = cursor.pending.iter().map(|w| w.position).collect();
            let room = MAX_PENDING.saturating_sub(cursor.pending.len());
            let limit = if room == 0 {
                0
            } else {
                READ_PER_PASS.min(u32::try_from(room).unwrap_or(u32::MAX))
            };
            if limit == 0 && recheck.is_empty() {
                continue;
            }
            let page = outboxes
                .read(source, cursor.read, limit, &recheck)
                .map_err(FeedError::Source)?;
            let mut entries = page.entries;
            entries.sort_by_key(|e| e.position);
            let answered: Vec<u64> = entries.iter().map(|e| e.position).collect();
            let since: BTreeMap<u64, Timestamp> = cursor
                .pending
                .iter()
                .map(|w| (w.position, w.since))
                .collect();
            let mut pending = Vec::new();
            for entry in entries {
                let known = since.get(&entry.position).copied();
                if known.is_none() && entry.position <= cursor.read {
                    // Neither new nor waiting: a source answering what was not asked.
                    continue;
                }
                if known.is_none() {
                    cursor.read = cursor.read.max(entry.position);
                    changed = true;
                }
                match entry.state {
                    EntryState::Committed(committed) => {
                        changed = true;
                        events.extend(committed);
                    }
                    EntryState::Dead => changed = true,
                    EntryState::Pending => {
                        let since = known.unwrap_or(self.now);
                        let waited = self.now.as_datetime() - since.as_datetime();
                        if waited >= FORGET_AFTER {
                            next.forgotten += 1;
                            changed = true;
                        } else {
                            pending.push(Waiting {
                                position: entry.position,
                                since,
                            });
                        }
                    }
                }
            }
            // A waiting entry the source did not answer for stays waiting.
            for waiting in &cursor.pending {
                if !answered.contains(&waiting.position) {
                    pending.push(waiting.clone());
                }
            }
            pending.sort_by_key(|w| w.position);
            cursor.pending = pending;
        }
        if !changed {
            return Ok((None, Vec::new()));
        }
        let first = head.last + 1;
        for (offset, event) in events.iter_mut().enumerate() {
            event.position = first + offset as u64;
        }
        next.last = head.last + events.len() as u64;
        if !events.is_empty() {
            next.batch = Some(write_id.to_owned());
            next.batch_first = first;
        }
        Ok((Some(next), events))
    }

    /// Copies the head's batch to one key per position, then deletes the batch.
    fn materialize(&self, head: &Head) -> Result<(), FeedError> {
        let Some(batch) = &head.batch else {
            return Ok(());
        };
        let key = keys::feed_batch(batch);
        let Some(bytes) = self.kv.get(&key)? else {
            // Already copied and deleted by another pass.
            return Ok(());
        };
        let events: Vec<Event> = decode(&key, &bytes)?;
        let pairs = events
            .iter()
            .map(|e| Ok((keys::feed_event(e.position), encode(e)?)))
            .collect::<Result<Vec<_>, FeedError>>()?;
        self.kv.set_many(&pairs)?;
        self.kv.delete(&key)?;
        Ok(())
    }

    /// Deletes events older than [`RETENTION`], at most [`DELETE_PER_PASS`] a pass, oldest first,
    /// and moves the head's `first` past them.
    fn expire(&self, head: &Head) -> Result<u64, FeedError> {
        let cutoff = self.now.checked_sub(RETENTION).unwrap_or(self.now);
        let mut first = head.first;
        let mut deleted = 0;
        while first <= head.last && deleted < DELETE_PER_PASS {
            let key = keys::feed_event(first);
            match self.kv.get(&key)? {
                Some(bytes) => {
                    let event: Event = decode(&key, &bytes)?;
                    if event.at >= cutoff {
                        break;
                    }
                    self.kv.delete(&key)?;
                    deleted += 1;
                }
                // Part of a batch not copied yet: nothing older can follow it.
                None => break,
            }
            first += 1;
        }
        if first == head.first {
            return Ok(0);
        }
        // Moving `first` is best effort: a pass that loses the race moves it next time.
        let (cas, current) = self.kv.cas_current(keys::FEED_HEAD)?;
        if let Some(bytes) = current {
            let mut now: Head = decode(keys::FEED_HEAD, &bytes)?;
            if now.first < first {
                now.first = first;
                let _ = self.kv.cas_swap(cas, &encode(&now)?)?;
            }
        }
        Ok(deleted)
    }

    /// Up to `limit` events after `after` whose type is one of `types` (all when empty), and
    /// the position the next read starts after.
    pub fn read(
        &self,
        after: u64,
        limit: usize,
        types: &[String],
    ) -> Result<(Vec<Event>, u64), FeedError> {
        let head = read_head(self.kv)?;
        if after.saturating_add(1) < head.first {
            return Err(FeedError::Expired { first: head.first });
        }
        let batch: Vec<Event> = match &head.batch {
            Some(batch) => match self.kv.get(&keys::feed_batch(batch))? {
                Some(bytes) => decode(&keys::feed_batch(batch), &bytes)?,
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        let mut events = Vec::new();
        let mut position = after;
        // Filtered reads skip events: a bounded number of them per call.
        let budget = limit.saturating_mul(4).max(100);
        let mut examined = 0usize;
        while position < head.last && events.len() < limit && examined < budget {
            position += 1;
            examined += 1;
            // A batch's positions are consecutive: index it rather than search it.
            let in_batch = batch
                .first()
                .and_then(|first| position.checked_sub(first.position))
                .and_then(|i| batch.get(usize::try_from(i).ok()?));
            let event = match in_batch {
                Some(event) => Some(event.clone()),
                None => match self.kv.get(&keys::feed_event(position))? {
                    Some(bytes) => Some(decode::<Event>(&keys::feed_event(position), &bytes)?),
                    None => None,
                },
            };
            let Some(event) = event else {
                // Expired under our feet, or not copied yet: stop here, the caller comes back.
                position -= 1;
                break;
            };
            if types.is_empty() || types.contains(&event.kind) {
                events.push(event);
            }
        }
        Ok((events, position))
    }

    /// The last position and the oldest one kept.
    pub fn bounds(&self) -> Result<(u64, u64), FeedError> {
        let head = read_head(self.kv)?;
        Ok((head.first, head.last))
    }
}
