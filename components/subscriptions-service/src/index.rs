//! The indexer: what follows from the subscription documents (index entries, due entries, cycle
//! records, the dashboard counters) follows the outbox in batches, off the commands' path
//! (docs/architecture.md, "Writes"; the orders service's indexer works the same way).
//!
//! A command writes its subscription's document and outbox entry and nothing else. A pass of
//! the indexer reads the outbox after its cursor, in position order, and for each subscription
//! with a committed entry compares what its record (`sub/ixr/{id}`) says was derived from it
//! with its current document: it gives it a slot in each index it joined and still belongs to
//! (one `increment` per index per batch), a due entry where a pass will find its next run, and
//! moves its contribution to the counters; it writes the cycle records each entry settled, in
//! outbox order. An index entry names the subscription and the version at which it joined, and
//! a listing takes it only while the document says the same, so a stale entry is never listed.
//!
//! What a pass decides is its *plan*, swapped into the head `sub/ixh` with the new cursor before
//! any of it is applied, and taken out once applied; whoever finds it there applies it too, so a
//! pass cut short loses nothing. Entries and records are plain writes (applying them twice
//! changes nothing); the counters' change is applied under compare-and-swap of the counters
//! document, which names the last plan counted, so it counts once. A pass holds the head's lease
//! while it works, so passes started together do not allocate slots only one of them will use.
//! Only a pass that overran its lease (10 s) can apply its plan after a later one, and put back
//! an older record: the check (`crate::check`) finds what that leaves wrong and repairs it.
//!
//! Due entries go where the runner pass will look: in the minute of the next run, but never
//! before the minute the version was written (its test clock's time, for one on a clock) nor in
//! a minute a pass has finished; `crate::pass` keeps an overlap for entries written while it
//! reads. A runner pass catches the indexer up before it reads the due index, and every
//! listing before it reads an index, so what was acknowledged before is there.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::TimeDelta;
use orderflow_domain::values::{SubscriptionId, Timestamp};

use crate::doc::{
    Counters, CycleRecord, DueSlot, IndexHead, IndexPlan, IndexRecord, Pointer, decode, encode,
};
use crate::keys::{self, Bucket, IndexName, Space};
use crate::kv::head::{self, Head, Leased};
use crate::kv::outbox::State;
use crate::kv::write::{self, Attempt, Outcome};
use crate::kv::{Kv, Swap};
use crate::outbox::Documents;
use crate::service::{Error, MAX_ATTEMPTS, Subscriptions};
use crate::stats::contribution;

/// How many outbox positions one pass reads.
const PASS_POSITIONS: u32 = 200;
/// How long a pass holds the head's lease: far longer than a pass takes.
const LEASE: TimeDelta = TimeDelta::seconds(10);
/// A position passed over is forgotten after this long: no command lives that long.
const FORGET_AFTER: TimeDelta = TimeDelta::hours(1);

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexReport {
    /// Positions the cursor moved over.
    pub(crate) positions: u64,
    /// Whether the cursor reached the outbox's last position.
    pub(crate) caught_up: bool,
}

/// The last minute a pass of each space finished, as the indexer found it.
type Cursors = HashMap<Space, Option<Bucket>>;

impl<K: Kv> Subscriptions<'_, K> {
    /// Runs indexer passes until the cursor reaches the last outbox position as it stood when
    /// called, waiting for a pass that holds the head (`orderflow_kv::head::catch_up`).
    pub fn catch_up(&self) -> Result<(), Error> {
        let target = u64::try_from(self.counter(keys::OUTBOX_SEQ)?).unwrap_or(0);
        head::catch_up(
            || {
                let head = self.index_head()?;
                Ok(head.reached(target) && !self.rechecks_decided(&head)?)
            },
            || match self.index_pass() {
                Ok(report) => Ok(Some(report.positions == 0 && report.caught_up)),
                Err(Error::Contention) => Ok(None),
                Err(e) => Err(e),
            },
        )
    }

    /// Whether a position passed over while pending has been decided since: its command may
    /// have been acknowledged, so a listing must not answer before it is indexed (reads only).
    fn rechecks_decided(&self, head: &IndexHead) -> Result<bool, Error> {
        if head.recheck.is_empty() {
            return Ok(false);
        }
        let positions = head.recheck_positions();
        let (read, _) = self.read_outbox_with_documents(u64::MAX, 0, &positions)?;
        Ok(head::any_decided(&read))
    }

    /// Runs indexer passes until the cursor reaches the outbox's last position, however long
    /// that takes (a store seeded without the indexer; never on a request path).
    pub fn index_all(&self) -> Result<(), Error> {
        loop {
            let report = self.index_pass()?;
            if report.caught_up && report.positions == 0 {
                return Ok(());
            }
        }
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

    fn index_head(&self) -> Result<IndexHead, Error> {
        Ok(self.head().read()?)
    }

    /// One pass, under the head's lease: applies a plan left in the head, plans the next batch,
    /// swaps it in and applies it.
    pub(crate) fn index_pass(&self) -> Result<IndexReport, Error> {
        self.head().ensure(self.real_now.unix_seconds())?;
        let lease = self.take_lease()?;
        let result = self.leased_pass(&lease, None);
        // Whatever happened, the head is free for the next pass; a plan this pass did not
        // finish applying stays in it, for the next pass to apply.
        self.head().finish(&lease, result.is_ok(), self.write_id());
        result
    }

    /// Takes the head's lease, unless another pass holds it (`contention`).
    fn take_lease(&self) -> Result<String, Error> {
        let owner = self.write_id();
        let now = self.real_now;
        let until = Timestamp::from_datetime(now.as_datetime() + LEASE);
        self.head()
            .take_lease(&owner, now, until, &self.write_id())?;
        Ok(owner)
    }

    /// Derives again what follows from the documents of `ids` (the check's repair), under the
    /// head's lease as a pass would; waits for a pass that holds it.
    pub(crate) fn reindex(&self, ids: &[SubscriptionId]) -> Result<(), Error> {
        self.head().ensure(self.real_now.unix_seconds())?;
        let started = std::time::Instant::now();
        let lease = loop {
            match self.take_lease() {
                Ok(lease) => break lease,
                Err(Error::Contention) if started.elapsed() < head::CATCH_UP_TIME => {
                    std::thread::sleep(head::CONTENDED_WAIT);
                }
                Err(e) => return Err(e),
            }
        };
        let result = self.leased_pass(&lease, Some(ids));
        self.head().finish(&lease, result.is_ok(), self.write_id());
        result.map(drop)
    }

    /// One pass under the lease `lease`: over the next batch of the outbox, or over `only` those
    /// subscriptions (the cursor stays).
    fn leased_pass(
        &self,
        lease: &str,
        only: Option<&[SubscriptionId]>,
    ) -> Result<IndexReport, Error> {
        let mut report = IndexReport::default();
        let mut planned: Option<IndexPlan> = None;
        let outcome = write::write(
            self.kv,
            keys::INDEX_HEAD,
            |current| -> Result<Attempt<(), ()>, Error> {
                let head: IndexHead = match current {
                    None => IndexHead::default(),
                    Some(bytes) => decode(keys::INDEX_HEAD, &bytes).map_err(Error::Store)?,
                };
                if head.lease.as_ref().is_none_or(|(owner, _)| owner != lease) {
                    // Held so long that another pass took over: it does this work.
                    return Err(Error::Contention);
                }
                if let Some(plan) = &head.plan {
                    self.apply_plan(plan)?;
                }
                let (next, plan) = match only {
                    None => self.plan_batch(&head)?,
                    Some(ids) => self.plan_for(&head, ids)?,
                };
                report = IndexReport {
                    positions: next.cursor - head.cursor,
                    caught_up: next.caught_up,
                };
                let recheck: Vec<(u64, Timestamp)> = next.recheck.into_iter().collect();
                if next.cursor == head.cursor
                    && recheck == head.recheck
                    && plan.is_empty()
                    && head.plan.is_none()
                {
                    return Ok(Attempt::Done(()));
                }
                let write_id = self.write_id();
                let mut head = IndexHead {
                    cursor: next.cursor,
                    recheck,
                    plans: if plan.is_empty() {
                        head.plans
                    } else {
                        plan.number
                    },
                    plan: (!plan.is_empty()).then(|| plan.clone()),
                    ..head
                };
                head.succeed(write_id.clone());
                planned = head.plan.clone();
                Ok(Attempt::Write {
                    bytes: encode(&head).map_err(Error::Store)?,
                    write_id,
                    value: (),
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
            Err(write::Failed::Decided(e)) => Err(e),
            Err(write::Failed::Store(e) | write::Failed::Uncertain(e)) => Err(e.into()),
            Err(write::Failed::Contention) => Err(Error::Contention),
        }
    }

    /// What the indexer last derived from a subscription (none: not indexed yet).
    pub(crate) fn index_record(&self, id: &SubscriptionId) -> Result<Option<IndexRecord>, Error> {
        let key = keys::index_record(id);
        match self.kv.get(&key)? {
            Some(bytes) => Ok(Some(decode(&key, &bytes).map_err(Error::Store)?)),
            None => Ok(None),
        }
    }

    /// Writes a plan's puts (entries before records), deletes its deletes, and counts its
    /// change once.
    fn apply_plan(&self, plan: &IndexPlan) -> Result<(), Error> {
        if !plan.puts.is_empty() {
            let puts: Vec<(String, Vec<u8>)> = plan
                .puts
                .iter()
                .map(|(key, value)| (key.clone(), value.clone().into_bytes()))
                .collect();
            self.kv.set_many(&puts)?;
        }
        if !plan.deletes.is_empty() {
            self.kv.delete_many(&plan.deletes)?;
        }
        if !plan.tally.is_empty() {
            self.count_plan(plan)?;
        }
        Ok(())
    }

    /// Adds a plan's change to the counters, unless they have counted it (or a later plan).
    fn count_plan(&self, plan: &IndexPlan) -> Result<(), Error> {
        let key = keys::COUNTERS;
        let from_hour = Bucket::of(self.real_now).hour().saturating_sub(1);
        for _ in 0..MAX_ATTEMPTS {
            let (cas, bytes) = self.kv.cas_current(key)?;
            let mut counters: Counters = match &bytes {
                None => Counters::default(),
                Some(bytes) => decode(key, bytes).map_err(Error::Store)?,
            };
            if counters.plan >= plan.number {
                return Ok(());
            }
            counters.totals.absorb(&plan.tally, from_hour);
            counters.plan = plan.number;
            counters.write_id = self.write_id();
            let encoded = encode(&counters).map_err(Error::Store)?;
            match self.kv.cas_swap(cas, &encoded)? {
                Swap::Swapped => return Ok(()),
                // Redis reports a successful swap as failed: the loop re-reads, and counters
                // that name this plan (or a later one) end it.
                Swap::Failed => {}
            }
        }
        Err(Error::Contention)
    }

    /// The dashboard counters' totals.
    pub(crate) fn counters(&self) -> Result<Counters, Error> {
        match self.kv.get(keys::COUNTERS)? {
            None => Ok(Counters::default()),
            Some(bytes) => decode(keys::COUNTERS, &bytes).map_err(Error::Store),
        }
    }

    /// The next batch after `head`: the cursor and rechecks it leaves, and its plan.
    fn plan_batch(&self, head: &IndexHead) -> Result<(NextHead, IndexPlan), Error> {
        let rechecks = head.recheck_positions();
        let (mut read, mut documents) =
            self.read_outbox_with_documents(head.cursor, PASS_POSITIONS, &rechecks)?;
        let last = u64::try_from(self.counter(keys::OUTBOX_SEQ)?).unwrap_or(0);
        // Positions found pending are read once more, after every later one (documents too: a
        // version committed since is newer than the one read).
        let pending: Vec<u64> = read
            .iter()
            .filter(|(_, state)| matches!(state, State::Pending))
            .map(|(position, _)| *position)
            .collect();
        if !pending.is_empty() {
            let (again, fresh) = self.read_outbox_with_documents(u64::MAX, 0, &pending)?;
            documents.extend(fresh);
            let again: BTreeMap<u64, _> = again.into_iter().collect();
            for (position, state) in &mut read {
                if let Some(decided) = again.get(position) {
                    *state = decided.clone();
                }
            }
        }
        let now = self.real_now;
        let mut next = NextHead {
            cursor: head.cursor,
            recheck: head.recheck.iter().copied().collect(),
            caught_up: false,
        };
        let mut committed: Vec<(SubscriptionId, Vec<CycleRecord>)> = Vec::new();
        for (position, state) in read {
            match state {
                State::Committed(entry) => {
                    next.recheck.remove(&position);
                    committed.push((entry.subscription_id, entry.cycles));
                }
                State::Dead => {
                    next.recheck.remove(&position);
                }
                State::Pending => {
                    let since = next.recheck.entry(position).or_insert(now);
                    if now.as_datetime() - since.as_datetime() >= FORGET_AFTER {
                        next.recheck.remove(&position);
                    }
                }
            }
            next.cursor = next.cursor.max(position);
        }
        next.caught_up = next.cursor >= last;
        let plan = self.plan_moves(&committed, &documents, head.plans + 1)?;
        Ok((next, plan))
    }

    /// The plan after `head` for the subscriptions `ids`, as their documents stand; the cursor
    /// stays.
    fn plan_for(
        &self,
        head: &IndexHead,
        ids: &[SubscriptionId],
    ) -> Result<(NextHead, IndexPlan), Error> {
        let mut documents = Documents::new();
        for id in ids {
            documents.insert(id.clone(), self.read(id)?);
        }
        let committed: Vec<(SubscriptionId, Vec<CycleRecord>)> =
            ids.iter().map(|id| (id.clone(), Vec::new())).collect();
        let plan = self.plan_moves(&committed, &documents, head.plans + 1)?;
        let next = NextHead {
            cursor: head.cursor,
            recheck: head.recheck.iter().copied().collect(),
            caught_up: true,
        };
        Ok((next, plan))
    }

    /// The plan numbered `number` for the subscriptions of `committed` (in outbox order, with
    /// the cycle records each entry settled), as their current documents (among `documents`)
    /// stand.
    fn plan_moves(
        &self,
        committed: &[(SubscriptionId, Vec<CycleRecord>)],
        documents: &Documents,
        number: u64,
    ) -> Result<IndexPlan, Error> {
        let mut plan = IndexPlan {
            number,
            ..IndexPlan::default()
        };
        let mut cycles: Vec<(String, String)> = Vec::new();
        for (id, records) in committed {
            for record in records {
                cycles.push((keys::cycle(id, record.number), text(record)?));
            }
        }
        let ids: BTreeSet<&SubscriptionId> = committed.iter().map(|(id, _)| id).collect();
        let mut records: BTreeMap<SubscriptionId, (IndexRecord, IndexRecord)> = BTreeMap::new();
        let mut joins: BTreeMap<IndexName, Vec<(SubscriptionId, u64)>> = BTreeMap::new();
        let mut dues: HashMap<(Space, Bucket), Vec<(SubscriptionId, Timestamp)>> = HashMap::new();
        let mut cursors = Cursors::new();
        for id in ids {
            let Some(Some(stored)) = documents.get(id) else {
                continue;
            };
            let before = self.index_record(id)?.unwrap_or_default();
            let mut record = before.clone();
            record.slots.retain(|index, (slot, since)| {
                let holds = stored.joined.get(index) == Some(since);
                if !holds {
                    plan.deletes.push(keys::index_entry(index, *slot));
                }
                holds
            });
            for (index, since) in &stored.joined {
                if !record.slots.contains_key(index) {
                    joins
                        .entry(index.clone())
                        .or_default()
                        .push((id.clone(), *since));
                }
            }
            let space = Space::of(stored.test_clock.as_ref());
            let written = stored.subscription.updated_at();
            let wake = match stored.subscription.wake_at() {
                Some(at) => Some((at, self.due_target(&space, at, written, &mut cursors)?)),
                None => None,
            };
            let keep = record
                .due
                .zip(wake)
                .is_some_and(|(due, (at, target))| due.at == at && due.bucket >= target);
            if !keep {
                if let Some(due) = record.due.take() {
                    plan.deletes.push(space.due_entry(due.bucket, due.slot));
                }
                if let Some((at, target)) = wake {
                    dues.entry((space, target))
                        .or_default()
                        .push((id.clone(), at));
                }
            }
            // A test clock's subscriptions are test data: the dashboard counts live ones only.
            let counted = stored
                .test_clock
                .is_none()
                .then(|| contribution(&stored.subscription));
            if counted != record.counted {
                if let Some(old) = &record.counted {
                    plan.tally.count(old, -1);
                }
                if let Some(new) = &counted {
                    plan.tally.count(new, 1);
                }
                record.counted = counted;
            }
            records.insert(id.clone(), (before, record));
        }
        // One increment per index, by the number of subscriptions joining it.
        for (index, joining) in joins {
            let first = self.allocate(&keys::index_counter(&index), joining.len())?;
            for (slot, (id, since)) in (first..).zip(joining) {
                if let Some((_, record)) = records.get_mut(&id) {
                    record.slots.insert(index.clone(), (slot, since));
                }
                let entry = Pointer {
                    id: id.as_str().to_owned(),
                    v: since,
                };
                plan.puts
                    .push((keys::index_entry(&index, slot), text(&entry)?));
            }
        }
        for ((space, bucket), waking) in dues {
            self.mark_occupied(&space, bucket)?;
            let first = self.allocate(&space.due_counter(bucket), waking.len())?;
            for (slot, (id, at)) in (first..).zip(waking) {
                if let Some((_, record)) = records.get_mut(&id) {
                    record.due = Some(DueSlot { bucket, slot, at });
                }
                plan.puts.push((
                    space.due_entry(bucket, slot),
                    text(&Pointer::to(id.as_str()))?,
                ));
            }
        }
        plan.puts.extend(cycles);
        for (id, (before, record)) in records {
            if record != before {
                plan.puts.push((keys::index_record(&id), text(&record)?));
            }
        }
        Ok(plan)
    }

    /// The minute a due entry for a run at `at`, of a version written at `written`, goes in:
    /// `max(at, written, the minute after the last a pass of its space finished)`. Never
    /// before its write: a pass that was reading when it was written leaves its cursor
    /// [`crate::pass::OVERLAP_MINUTES`] before its own start, so the next pass still looks
    /// there.
    fn due_target(
        &self,
        space: &Space,
        at: Timestamp,
        written: Timestamp,
        cursors: &mut Cursors,
    ) -> Result<Bucket, Error> {
        if !cursors.contains_key(space) {
            let cursor = self.within(space.clone(), self.now(), || self.pass_cursor())?;
            cursors.insert(space.clone(), cursor);
        }
        let cursor = cursors.get(space).copied().flatten();
        Ok(Bucket::of(at)
            .max(Bucket::of(written))
            .max(Bucket(cursor.map_or(i64::MIN, |c| c.0.saturating_add(1)))))
    }

    /// Marks the era, day and hour of `bucket` occupied: a runner pass that finds one empty
    /// skips it. Only whether a counter is positive matters and none ever goes down, so one
    /// already positive is only read.
    fn mark_occupied(&self, space: &Space, bucket: Bucket) -> Result<(), Error> {
        for counter in [
            space.due_era_counter(bucket.era()),
            space.due_day_counter(bucket.day()),
            space.due_hour_counter(bucket.hour()),
        ] {
            if self.counter(&counter)? <= 0 {
                self.kv.increment(&counter, 1)?;
            }
        }
        Ok(())
    }

    /// Takes `count` slots from the counter `key` with one increment; answers the first.
    fn allocate(&self, key: &str, count: usize) -> Result<u64, Error> {
        let wanted = i64::try_from(count).unwrap_or(i64::MAX);
        let last = self.kv.increment(key, wanted)?;
        let last = u64::try_from(last).map_err(|_| Error::Store(format!("{key} is negative")))?;
        Ok(last + 1 - count as u64)
    }
}

/// A document as JSON text, for a plan.
fn text<T: serde::Serialize>(doc: &T) -> Result<String, Error> {
    serde_json::to_string(doc).map_err(|e| Error::Store(format!("encoding a document: {e}")))
}

/// The head a pass leaves.
struct NextHead {
    cursor: u64,
    recheck: BTreeMap<u64, Timestamp>,
    caught_up: bool,
}
