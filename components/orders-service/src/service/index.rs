//! The indexer: the listings (`ord/ix/...`) follow the outbox in batches, off the commands' path.
//!
//! A command writes its order and its outbox entry and nothing else; its document says at which
//! version the order joined each index it belongs to (`Stored::joined`). A pass of the indexer
//! reads the outbox after its cursor, in position order, and for each committed entry gives the
//! order a slot in each index it joined at that version and still belongs to (one `increment`
//! per index per batch, by the number of orders joining it). An entry names the order and the
//! version at which it joined, and a listing takes it only while the order's document says the
//! same, so entries never need to be removed to be right: the indexer deletes those of indexes
//! an order left for tidiness only (from its record `ord/ixo/{id}`).
//!
//! What a pass decides is its *plan* (every join with its slot, the records, the entries to
//! delete), swapped into the head `ord/ixh` with the new cursor before any of it is applied, and
//! taken out once applied; whoever reads it before then applies it too, so a pass cut short
//! loses nothing. A plan applied again late, after
//! later ones, writes only what it wrote before: each join gets its slot in exactly one plan
//! (the one whose batch held its version's position), recorded once under its own key
//! (`ord/ixs/{index}/{id}/{version}`), so no order is ever listed twice. Slots a pass allocated
//! and never swapped in are gaps (one read wasted by a listing).
//!
//! A pass holds the head's lease while it works: passes started together (after writes, by
//! listings) wait for it rather than each allocating slots that only one of them will use,
//! which would leave gaps that make pages come back short.
//!
//! Order: slots follow outbox positions, except that a position still pending (a command between
//! its entry and its swap, or one that died there) is passed over once it is still pending after
//! every later position was read: its command was then not acknowledged before any of theirs
//! was sent, so an order acknowledged before another was placed still holds the lower slot in
//! every index. Later passes re-read it until it is decided or [`FORGET_AFTER`] old.
//!
//! A listing first catches the indexer up ([`Service::catch_up`]), so an order acknowledged
//! before a list call was sent is in the list's indexes; the integrations pass, which runs after
//! writes, catches it up too, so that listings rarely have to.

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;
use orderflow_domain::order::Actor;
use orderflow_domain::values::{OrderId, Timestamp};

use super::stock::{self, Line, StockEvent};
use super::{Failure, Service};
use crate::doc::{
    DocumentView, EntryRef, IndexEntry, IndexHead, IndexPlan, IndexRecord, decode, encode,
};
use crate::keys::{self, IndexName};
use crate::kv::Kv;
use crate::kv::head::{self, Head, Leased};
use crate::kv::outbox::State;
use crate::kv::write::{self, Attempt, Outcome};

/// How many outbox positions one pass reads.
pub(crate) const PASS_POSITIONS: u32 = 200;
/// How long a pass holds the head's lease: far longer than a pass takes.
const LEASE: TimeDelta = TimeDelta::seconds(10);
/// A position passed over is forgotten after this long: no command lives that long.
pub(crate) const FORGET_AFTER: TimeDelta = TimeDelta::hours(1);

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexReport {
    /// Positions the cursor moved over.
    pub(crate) positions: u64,
    /// Orders whose indexes changed.
    pub(crate) orders: u64,
    /// Whether the cursor reached the outbox's last position.
    pub(crate) caught_up: bool,
}

impl<K: Kv> Service<'_, K> {
    /// Runs indexer passes until the cursor reaches the last outbox position as it stood when
    /// called, waiting for a pass that holds the head (`orderflow_kv::head::catch_up`).
    pub(crate) fn catch_up(&self) -> Result<(), Failure> {
        let target = self.counter(keys::FEED_SEQ)?;
        head::catch_up(
            || {
                let head = self.index_head()?;
                Ok(head.reached(target) && !self.rechecks_decided(&head)?)
            },
            || match self.index_pass() {
                Ok(report) => Ok(Some(report.positions == 0 && report.caught_up)),
                Err(Failure::Contention) => Ok(None),
                Err(e) => Err(e),
            },
        )
    }

    /// How many documents each counted index holds, as the indexer has seen them (caught up
    /// first); none when the head was written before counting began.
    pub(crate) fn counts(&self) -> Result<Option<BTreeMap<String, u64>>, Failure> {
        self.catch_up()?;
        let head = self.index_head()?;
        Ok(match head.counts {
            Some(counts) => Some(counts),
            None if head.cursor == 0 => Some(BTreeMap::new()),
            None => None,
        })
    }

    /// Whether a position passed over while pending has been decided since: its command may
    /// have been acknowledged, so a listing must not answer before it is indexed (reads only).
    fn rechecks_decided(&self, head: &IndexHead) -> Result<bool, Failure> {
        if head.recheck.is_empty() {
            return Ok(false);
        }
        let positions = head.recheck_positions();
        let (read, _) = self.read_outbox_as::<EntryRef>(u64::MAX, 0, &positions)?;
        Ok(head::any_decided(&read))
    }

    /// The indexer's head in the store.
    fn head(&self) -> Head<'_, K, IndexHead> {
        Head {
            kv: self.kv,
            key: keys::INDEX_HEAD,
            claim: keys::index_head_claim,
            decode: decode::<IndexHead>,
            encode: encode::<IndexHead>,
        }
    }

    pub(super) fn index_head(&self) -> Result<IndexHead, Failure> {
        Ok(self.head().read()?)
    }

    /// One pass, under the head's lease: applies a plan left in the head, plans the next batch,
    /// swaps it in and applies it.
    pub(crate) fn index_pass(&self) -> Result<IndexReport, Failure> {
        self.head().ensure(self.now.unix_seconds())?;
        let lease = self.take_lease()?;
        let result = self.leased_pass(&lease);
        // Whatever happened, the head is free for the next pass; a plan this pass did not
        // finish applying stays in it, for the next pass to apply.
        self.head().finish(&lease, result.is_ok(), self.write_id());
        result
    }

    /// Takes the head's lease, unless another pass holds it (`contention`).
    fn take_lease(&self) -> Result<String, Failure> {
        let owner = self.write_id();
        let until = Timestamp::from_datetime(self.now.as_datetime() + LEASE);
        self.head()
            .take_lease(&owner, self.now, until, &self.write_id())?;
        Ok(owner)
    }

    /// One pass under the lease `lease`.
    fn leased_pass(&self, lease: &str) -> Result<IndexReport, Failure> {
        let mut report = IndexReport::default();
        let mut planned: Option<IndexPlan> = None;
        let outcome = write::write(
            self.kv,
            keys::INDEX_HEAD,
            |current| -> Result<Attempt<IndexHead, ()>, Failure> {
                let head: IndexHead = match current {
                    None => IndexHead::default(),
                    Some(bytes) => decode(keys::INDEX_HEAD, &bytes).map_err(Failure::Store)?,
                };
                if head.lease.as_ref().is_none_or(|(owner, _)| owner != lease) {
                    // Held so long that another pass took over: it does this work.
                    return Err(Failure::Contention);
                }
                if let Some(plan) = &head.plan {
                    self.apply_plan(plan)?;
                }
                let (next, plan, orders, moved) = self.plan(&head)?;
                report = IndexReport {
                    positions: next.cursor - head.cursor,
                    orders,
                    caught_up: next.caught_up,
                };
                let recheck: Vec<(u64, Timestamp)> = next.recheck.into_iter().collect();
                // A head written before counting began never counted its earlier documents.
                let counting = head.counts.is_some() || head.cursor == 0;
                if next.cursor == head.cursor
                    && recheck == head.recheck
                    && plan.is_empty()
                    && head.plan.is_none()
                    && (counting == head.counts.is_some())
                {
                    return Ok(Attempt::Done(()));
                }
                let write_id = self.write_id();
                let counts =
                    counting.then(|| moved.applied_to(head.counts.clone().unwrap_or_default()));
                let mut head = IndexHead {
                    cursor: next.cursor,
                    recheck,
                    plan: (!plan.is_empty()).then(|| plan.clone()),
                    counts,
                    ..head
                };
                head.succeed(write_id.clone());
                planned = head.plan.clone();
                Ok(Attempt::Write {
                    bytes: encode(&head).map_err(Failure::Store)?,
                    write_id,
                    value: head,
                })
            },
            |bytes, write_id| self.head().carries(bytes, write_id),
        );
        match outcome {
            Ok(Outcome::Written(..)) => {
                if let Some(plan) = &planned {
                    // Applied again by the next pass, harmlessly, if this one stops here.
                    self.apply_plan(plan)?;
                }
                Ok(report)
            }
            Ok(Outcome::Unchanged(())) => Ok(report),
            Err(failed) => Err(failed.into()),
        }
    }

    /// The order's index record (none: not indexed yet).
    pub(super) fn index_record(&self, id: &OrderId) -> Result<Option<IndexRecord>, Failure> {
        let key = keys::index_record(id);
        match self.kv.get(&key)? {
            Some(bytes) => Ok(Some(decode(&key, &bytes).map_err(Failure::Store)?)),
            None => Ok(None),
        }
    }

    /// Writes a plan's entries (each before its slot key, for stores whose batches are not
    /// atomic) and records, and deletes its leaves.
    fn apply_plan(&self, plan: &IndexPlan) -> Result<(), Failure> {
        let mut puts = Vec::with_capacity(plan.joins.len() * 2 + plan.records.len());
        for (index, slot, id, since) in &plan.joins {
            puts.extend(entry_writes(index, *slot, id, *since)?);
        }
        for (id, record) in &plan.records {
            puts.push((
                keys::index_record(id),
                encode(record).map_err(Failure::Store)?,
            ));
        }
        if !puts.is_empty() {
            self.kv.set_many(&puts)?;
        }
        if !plan.leaves.is_empty() {
            let deletes: Vec<String> = plan
                .leaves
                .iter()
                .map(|(index, slot)| keys::index_entry(index, *slot))
                .collect();
            self.kv.delete_many(&deletes)?;
        }
        Ok(())
    }

    /// The next batch after `head`: the cursor and rechecks it leaves, its plan, how many
    /// orders it moves, and how it moves the counted indexes.
    fn plan(&self, head: &IndexHead) -> Result<(NextHead, IndexPlan, u64, CountMoves), Failure> {
        let rechecks = head.recheck_positions();
        let (mut read, mut documents) =
            self.read_outbox_as::<EntryRef>(head.cursor, PASS_POSITIONS, &rechecks)?;
        let last = self.counter(keys::FEED_SEQ)?;
        // Positions found pending are read once more, after every later one: one still pending
        // then was not committed when any later one was, so its command was not acknowledged
        // before any of theirs was sent, and indexing them first keeps the listings' promise.
        let pending: Vec<u64> = read
            .iter()
            .filter(|(_, state)| matches!(state, State::Pending))
            .map(|(position, _)| *position)
            .collect();
        if !pending.is_empty() {
            // Read afresh, documents too: a version committed since is newer than the one read.
            let (again, fresh) = self.read_outbox_as::<EntryRef>(u64::MAX, 0, &pending)?;
            documents.extend(fresh);
            let again: BTreeMap<u64, _> = again.into_iter().collect();
            for (position, state) in &mut read {
                if let Some(decided) = again.get(position) {
                    *state = decided.clone();
                }
            }
        }
        let mut next = NextHead {
            cursor: head.cursor,
            recheck: head.recheck.iter().copied().collect(),
            caught_up: false,
        };
        let mut committed: Vec<(OrderId, u64)> = Vec::new();
        let mut entries: Vec<EntryRef> = Vec::new();
        for (position, state) in read {
            match state {
                State::Committed(entry) => {
                    next.recheck.remove(&position);
                    committed.push((entry.order_id.clone(), entry.version));
                    entries.push(entry);
                }
                State::Dead => {
                    next.recheck.remove(&position);
                }
                State::Pending => {
                    let since = next.recheck.entry(position).or_insert(self.now);
                    if self.now.as_datetime() - since.as_datetime() >= FORGET_AFTER {
                        next.recheck.remove(&position);
                    }
                }
            }
            next.cursor = next.cursor.max(position);
        }
        next.caught_up = next.cursor >= last;
        // Before the head moves past them: a pass cut off here applies them again, which
        // changes nothing.
        self.follow_outbox_stock(&entries)?;
        let (plan, orders, moved) = self.plan_moves(&committed, &documents)?;
        Ok((next, plan, orders, moved))
    }

    /// Applies the stock steps of committed outbox entries, in outbox order (each order's
    /// versions in turn). A store that tracks no SKU pays one read and parses no events.
    fn follow_outbox_stock(&self, entries: &[EntryRef]) -> Result<(), Failure> {
        if entries.is_empty() || !self.stock.tracks_any()? {
            return Ok(());
        }
        for entry in entries {
            let (Some(events), Some(_)) = (&entry.events, &entry.order) else {
                continue;
            };
            let events: Vec<StockEvent> = serde_json::from_str(events.get()).map_err(|e| {
                Failure::Store(format!(
                    "the events of {} do not parse: {e}",
                    entry.order_id
                ))
            })?;
            let lines: Vec<Line> = entry
                .order
                .iter()
                .flat_map(|o| &o.items)
                .map(|l| (l.sku.clone(), l.quantity.get()))
                .collect();
            for (step, lines) in stock::steps(entry.version, &events, &lines) {
                self.stock
                    .step(&entry.order_id, &step, &lines, Actor::System)?;
            }
        }
        Ok(())
    }

    /// The writes that give each order of `committed` (in outbox order: id and version) a slot
    /// in each index it joined at that version and still belongs to (by its current document,
    /// among `documents`), and delete the entries of the indexes it has left.
    fn plan_moves(
        &self,
        committed: &[(OrderId, u64)],
        documents: &BTreeMap<OrderId, Option<DocumentView>>,
    ) -> Result<(IndexPlan, u64, CountMoves), Failure> {
        let mut counted = CountMoves::default();
        let mut records: BTreeMap<OrderId, IndexRecord> = BTreeMap::new();
        let mut joins: Vec<(OrderId, IndexName, u64)> = Vec::new();
        let mut leaves: Vec<(IndexName, u64)> = Vec::new();
        let mut moved = BTreeSet::new();
        for (id, version) in committed {
            let Some(Some(stored)) = documents.get(id) else {
                continue;
            };
            if !records.contains_key(id) {
                records.insert(id.clone(), self.index_record(id)?.unwrap_or_default());
            }
            let Some(record) = records.get_mut(id) else {
                continue;
            };
            let before = record.slots.len();
            // Entries the order no longer holds (it left the index, or joined it again later).
            record.slots.retain(|index, (slot, since)| {
                let holds = stored.joined.get(index) == Some(since);
                if !holds {
                    if *slot != 0 {
                        leaves.push((index.clone(), *slot));
                    }
                    counted.leave(index);
                }
                holds
            });
            let mut changed = record.slots.len() != before;
            for (index, since) in &stored.joined {
                if since == version && !record.slots.contains_key(index) {
                    // A placeholder: the slot is allocated below, per index, in this order
                    // (an index that is only counted keeps slot 0: it has no entries).
                    record.slots.insert(index.clone(), (0, *since));
                    if index.is_listed() {
                        joins.push((id.clone(), index.clone(), *since));
                    }
                    counted.join(index);
                    changed = true;
                }
            }
            if changed {
                moved.insert(id.clone());
            }
        }
        // One increment per index, by the number of orders joining it; slots in outbox order.
        let mut per_index: BTreeMap<IndexName, Vec<(OrderId, u64)>> = BTreeMap::new();
        for (id, index, since) in joins {
            per_index.entry(index).or_default().push((id, since));
        }
        let mut plan = IndexPlan {
            leaves,
            ..IndexPlan::default()
        };
        for (index, joining) in per_index {
            let first = self.allocate(&index, joining.len())?;
            for (slot, (id, since)) in (first..).zip(joining) {
                if let Some(record) = records.get_mut(&id) {
                    record.slots.insert(index.clone(), (slot, since));
                }
                plan.joins.push((index.clone(), slot, id, since));
            }
        }
        let moved_count = moved.len() as u64;
        plan.records = records
            .into_iter()
            .filter(|(id, _)| moved.contains(id))
            .collect();
        Ok((plan, moved_count, counted))
    }

    /// Takes `count` slots of `index` with one increment; answers the first.
    pub(super) fn allocate(&self, index: &IndexName, count: usize) -> Result<u64, Failure> {
        let wanted = i64::try_from(count).unwrap_or(i64::MAX);
        let last = self.kv.increment(&keys::index_counter(index), wanted)?;
        let last = u64::try_from(last).map_err(|_| Failure::Store("negative slot".into()))?;
        let first = last + 1 - count as u64;
        if first == 1
            && let Some(total) = index.total_minor()
        {
            // A total no order had before: the directory leads to it before any listing reads
            // the entries.
            self.mark_total(total)?;
        }
        Ok(first)
    }
}

/// The writes of an index entry: the entry itself, and the slot its order, index and join
/// version got (one value ever: a join is indexed by one committed pass, so the check can find
/// the entry without ever giving the same join a second slot).
pub(super) fn entry_writes(
    index: &IndexName,
    slot: u64,
    id: &OrderId,
    since: u64,
) -> Result<[(String, Vec<u8>); 2], Failure> {
    let entry = IndexEntry {
        id: id.clone(),
        v: since,
    };
    Ok([
        (
            keys::index_entry(index, slot),
            encode(&entry).map_err(Failure::Store)?,
        ),
        (
            keys::index_slot(index, id, since),
            slot.to_string().into_bytes(),
        ),
    ])
}

/// The head a pass leaves.
struct NextHead {
    cursor: u64,
    recheck: BTreeMap<u64, Timestamp>,
    caught_up: bool,
}

/// How a batch moves the counted indexes: documents joining minus documents leaving each.
#[derive(Debug, Default)]
pub(super) struct CountMoves(BTreeMap<String, i64>);

impl CountMoves {
    fn join(&mut self, index: &IndexName) {
        if index.is_counted() {
            *self.0.entry(index.as_str().to_owned()).or_default() += 1;
        }
    }

    fn leave(&mut self, index: &IndexName) {
        if index.is_counted() {
            *self.0.entry(index.as_str().to_owned()).or_default() -= 1;
        }
    }

    /// `counts` moved by this batch (an index counted down to zero is dropped).
    fn applied_to(&self, mut counts: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
        for (index, moved) in &self.0 {
            let count = counts.get(index).copied().unwrap_or(0);
            let count = count.saturating_add_signed(*moved);
            if count == 0 {
                counts.remove(index);
            } else {
                counts.insert(index.clone(), count);
            }
        }
        counts
    }
}
