//! The orders service's store logic: placing, loading and changing orders over a [`Kv`], with
//! the write protocol of DESIGN.md.
//!
//! The write protocol, for every change of an order document:
//! 1. `cas_current` the document; run any pending effects it lists (they are idempotent).
//! 2. Decide with the domain (`place`/`apply`); allocate with `increment` the index slots and the
//!    feed position the new version needs.
//! 3. Swap in the new document: the order, a fresh write id, and the derived writes as pending
//!    effects. A `cas-failed` answer is checked by re-reading: a document that carries our write
//!    id (now or among its recent ones) means the swap happened (Redis-backed Spin reports
//!    successful swaps as failed); otherwise another writer won and we retry from 1, at most
//!    [`MAX_ATTEMPTS`] times, then answer `contention`.
//! 4. Apply the effects, then clear them with one more swap. A crash before that leaves them in
//!    the document, where the next touch (load, apply) or `check(repair)` applies them again.
//!
//! Creation is never decided by a swap (an absent key makes a swap an unconditional upsert):
//! numbers come from `increment`, the id is derived from the number so the document key has a
//! single writer, and a channel's own id is claimed with `increment` (the caller that gets 1
//! places and writes the pointer to its order before the order itself; later callers find the
//! order through the pointer, even when a crash cut off the order's effects). Idempotency-Keys
//! are claimed the same way. Claims are taken last, right before the write, and given back after
//! any clean failure: only a crash between a claim and the write itself leaves one taken with
//! nothing written (later calls with that external id or key then answer `contention`).
//!
//! This module must not touch spin-sdk: it takes `&impl Kv`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use orderflow_domain::order::{
    self, Actor, Applied, Command, Context, Order, OrderError, PaymentWindows, PlaceOrder, Status,
};
use orderflow_domain::values::{
    Channel, ExternalId, FieldError, IdempotencyKey, Money, OrderId, Sku, Timestamp,
};

use crate::doc::{Effect, FeedEntry, IdempotencyRecord, Pointer, Stored, decode, encode};
use crate::keys::{self, Day, IdempotencyHash, IndexName};
use crate::kv::claim;
use crate::kv::{Kv, KvError, Swap};

/// How long a placement that lost the claim on a channel + external id waits, in steps, for the
/// winner's order to appear before answering `contention` (at most about 250 ms in all).
const WINNER_WAIT_STEPS: u32 = 25;
/// One step of that wait.
const WINNER_WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(10);

/// How many times a write is tried against concurrent writers before `contention`.
pub(crate) const MAX_ATTEMPTS: usize = 64;

/// How long an Idempotency-Key replays.
const IDEMPOTENCY_WINDOW_SECONDS: i64 = 24 * 60 * 60;

/// Why a call failed. Nothing the caller asked for was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Values that do not parse.
    Invalid(Vec<FieldError>),
    /// No such order.
    NotFound,
    /// The order rules refused.
    Rejected(OrderError),
    /// The Idempotency-Key was used with another request.
    IdempotencyKeyReused,
    /// Concurrent writers kept winning.
    Contention,
    /// The store failed, or holds something unreadable.
    Store(String),
}

impl From<KvError> for Failure {
    fn from(e: KvError) -> Self {
        Failure::Store(e.0)
    }
}

impl From<OrderError> for Failure {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::Field(field) => Failure::Invalid(vec![field]),
            other @ (OrderError::InvalidTransition { .. }
            | OrderError::OnHold
            | OrderError::HasProblems
            | OrderError::VersionMismatch { .. }
            | OrderError::AlreadyInvoiced
            | OrderError::TotalMismatch { .. }
            | OrderError::InvoiceValueMismatch { .. }
            | OrderError::InvoiceNumberConflict { .. }
            | OrderError::NothingToInvoice
            | OrderError::QuantityExceeded { .. }
            | OrderError::UnknownSku { .. }
            | OrderError::DuplicateSku { .. }
            | OrderError::UnitPriceDiffers { .. }
            | OrderError::NoItems
            | OrderError::UnknownInvoice { .. }
            | OrderError::UnknownShipment { .. }
            | OrderError::ShipmentConflict { .. }
            | OrderError::PaymentConflict { .. }
            | OrderError::RequestIdReused { .. }
            | OrderError::ManualApprovalNotAllowed { .. }
            | OrderError::PaymentNotExpired
            | OrderError::RefundExceedsPaid { .. }
            | OrderError::DiscountTooLarge
            | OrderError::EmptyCommand
            | OrderError::NotOnHold) => Failure::Rejected(other),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Invalid(fields) => write!(f, "{} invalid fields", fields.len()),
            Failure::NotFound => f.write_str("no such order"),
            Failure::Rejected(e) => write!(f, "{e}"),
            Failure::IdempotencyKeyReused => f.write_str("idempotency key reused"),
            Failure::Contention => f.write_str("contention"),
            Failure::Store(e) => f.write_str(e),
        }
    }
}

/// An Idempotency-Key, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Idempotency {
    /// The route.
    pub(crate) scope: String,
    /// The key.
    pub(crate) key: IdempotencyKey,
    /// The body's digest.
    pub(crate) fingerprint: String,
}

/// The result of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    /// The order after the call.
    pub(crate) order: Order,
    /// False when nothing changed.
    pub(crate) changed: bool,
    /// True for an Idempotency-Key replay.
    pub(crate) replayed: bool,
}

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Sort {
    /// Newest first.
    #[default]
    CreatedAtDesc,
    /// Oldest first.
    CreatedAtAsc,
    /// Smallest total first (within a page).
    TotalAsc,
    /// Largest total first (within a page).
    TotalDesc,
}

/// List filters, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pub(crate) status: Option<Status>,
    pub(crate) q: Option<String>,
    pub(crate) sku: Option<Sku>,
    pub(crate) customer: Option<String>,
    pub(crate) channel: Option<Channel>,
    pub(crate) from: Option<Timestamp>,
    pub(crate) to: Option<Timestamp>,
    pub(crate) min_total: Option<Money>,
    pub(crate) max_total: Option<Money>,
    pub(crate) shipping_method: Option<String>,
    pub(crate) sort: Sort,
    pub(crate) limit: u32,
    pub(crate) cursor: Option<String>,
    /// Only pix and boleto orders awaiting payment (the `unpaid` index; not an API filter).
    pub(crate) unpaid: bool,
}

/// A page of orders.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) items: Vec<Order>,
    pub(crate) next_cursor: Option<String>,
}

/// What `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) orders: u64,
    pub(crate) inconsistencies: Vec<String>,
    pub(crate) repaired: Vec<String>,
}

/// The largest page.
pub(crate) const MAX_LIMIT: u32 = 200;
/// The page size when none is asked for.
const DEFAULT_LIMIT: u32 = 50;
/// At most this many days are walked by one list call.
const MAX_DAYS_PER_CALL: usize = 31;
/// Pages of the `unpaid` index one `cancel_unpaid` call reads.
const UNPAID_PAGES: usize = 5;

/// The service for one request: a store, the clock, and a random nonce for write ids.
#[derive(Debug)]
pub(crate) struct Service<'a, K: Kv> {
    kv: &'a K,
    now: Timestamp,
    nonce: u64,
    writes: std::cell::Cell<u64>,
    windows: PaymentWindows,
}

/// An Idempotency-Key this call runs under: its hash, its 24-hour generation, and whether this
/// call holds its claim. The claim is taken right before the write (so that a crash between the
/// two, which would leave the key taken with nothing written, is a one-operation window).
#[derive(Debug)]
struct Claim {
    idempotency: Idempotency,
    hash: IdempotencyHash,
    generation: u64,
    /// The claim key while this request holds it.
    held: std::cell::RefCell<Option<String>>,
}

/// Index slots and feed positions handed out during one call, reused across retries so that a
/// conflict does not burn a slot per attempt.
#[derive(Debug, Default)]
struct Allocations {
    slots: HashMap<IndexName, u64>,
    feed: Option<u64>,
}

impl<'a, K: Kv> Service<'a, K> {
    /// A service over `kv` whose clock reads `now`; `nonce` must differ between calls.
    pub(crate) fn new(kv: &'a K, now: Timestamp, nonce: u64) -> Self {
        Service {
            kv,
            now,
            nonce,
            writes: std::cell::Cell::new(0),
            windows: PaymentWindows::default(),
        }
    }

    fn write_id(&self) -> String {
        let n = self.writes.get() + 1;
        self.writes.set(n);
        format!("{:016x}.{n}", self.nonce)
    }

    // ----- place -----------------------------------------------------------------------------

    /// Places an order; the same channel + external id again answers the existing order.
    pub(crate) fn place(
        &self,
        input: PlaceOrder,
        actor: Actor,
        idempotency: Option<Idempotency>,
    ) -> Result<Written, Failure> {
        let ctx = Context::new(self.now, actor);
        // The rules do not depend on the number: a refusal costs no claim and no number.
        let provisional = keys::order_id(0).ok_or_else(|| Failure::Store("order id".into()))?;
        order::place(input.clone(), provisional, 0, &self.windows, &ctx)?;
        let claim = match self.check_idempotency(idempotency)? {
            Checked::Replay(written) => return Ok(*written),
            Checked::Fresh(claim) => claim,
        };
        let result = self.place_fresh(input, &ctx, claim.as_ref());
        self.finish(claim.as_ref(), result)
    }

    fn place_fresh(
        &self,
        input: PlaceOrder,
        ctx: &Context,
        claim: Option<&Claim>,
    ) -> Result<Written, Failed> {
        let external = input
            .external_id
            .clone()
            .map(|external_id| (input.channel.clone(), external_id));
        if let Some((channel, external_id)) = &external
            && let Some(existing) = self.find_by_external_id(channel, external_id)?
        {
            return Ok(self.unchanged(existing, claim)?);
        }
        // Everything that can be done before the claims is: a crash after a claim and before the
        // write leaves the claim taken, so that window is kept to the write itself.
        let (key, next, bytes) = self.prepare(input, ctx, claim)?;
        // The key is new and has one writer (the number is ours), so the swap is a plain write.
        let (cas, _) = self.kv.cas_current(&key)?;
        if let Some(claim) = claim
            && let Taken::Replay(written) = self.take(claim)?
        {
            return Ok(*written);
        }
        if let Some(claim) = claim {
            // Like the external-id pointer below, the key's record goes before the order (marked
            // tentative: it holds only once the order exists), so that a crash between the order
            // and its effects cannot let a retry after the claim's lease place it again.
            let mut record = self.record(claim, &next.order, true);
            record.tentative = true;
            let bytes = encode(&record).map_err(Failure::Store)?;
            self.kv.set(&keys::idempotency(&claim.hash), &bytes)?;
        }
        if let Some((channel, external_id)) = &external {
            let key_of = |window| keys::external_claim(channel, external_id, window);
            if claim::take(self.kv, self.now.unix_seconds(), key_of)?.is_none() {
                // Another call is placing it and writes the pointer right after the order: wait
                // for it a little (or it died, and its claim lapses with its lease: see `claim`).
                for attempt in 0..=WINNER_WAIT_STEPS {
                    if let Some(existing) = self.find_by_external_id(channel, external_id)? {
                        return Ok(self.unchanged(existing, claim)?);
                    }
                    if attempt < WINNER_WAIT_STEPS {
                        // On wasm32-wasip2 this blocks on a wasi:clocks pollable: the host
                        // runs other requests meanwhile.
                        std::thread::sleep(WINNER_WAIT_STEP);
                    }
                }
                return Err(Failure::Contention.into());
            }
            // The pointer goes before the order: a crash between the order and its effects
            // must not leave an order its identity cannot find, or a retry after the claim's
            // lease places a second one. A pointer to an order never written finds nothing.
            let pointer = encode(&Pointer {
                id: next.order.id().clone(),
            })
            .map_err(Failure::Store)?;
            self.kv
                .set(&keys::external(channel, external_id), &pointer)?;
        }
        let uncertain = |e: Failure| Failed::Uncertain(e);
        let swapped = match self
            .kv
            .cas_swap(cas, &bytes)
            .map_err(|e| uncertain(e.into()))?
        {
            Swap::Swapped => true,
            Swap::Failed => self.carries(&key, &next.write_id).map_err(uncertain)?,
        };
        if !swapped {
            return Err(uncertain(Failure::Contention));
        }
        self.settle(&key, &next, Some(&bytes));
        Ok(Written {
            order: next.order,
            changed: true,
            replayed: false,
        })
    }

    /// Takes a number and builds the new order's document, slots and feed position allocated.
    fn prepare(
        &self,
        input: PlaceOrder,
        ctx: &Context,
        claim: Option<&Claim>,
    ) -> Result<(String, Stored, Vec<u8>), Failure> {
        let number = self.next_in(keys::ORDER_SEQ)?;
        let id = keys::order_id(number).ok_or_else(|| Failure::Store("order id".into()))?;
        let applied = order::place(input, id.clone(), number, &self.windows, ctx)?;
        let empty = Stored {
            write_id: String::new(),
            recent_writes: Vec::new(),
            order: applied.order.clone(),
            slots: BTreeMap::new(),
            pending: Vec::new(),
        };
        let mut next = self.next_document(&empty, applied, claim, &mut Allocations::default())?;
        next.recent_writes.clear();
        if let Some(external_id) = next.order.external_id().clone() {
            let channel = next.order.channel().clone();
            next.pending.insert(
                0,
                Effect::External {
                    channel,
                    external_id,
                },
            );
        }
        let bytes = encode(&next).map_err(Failure::Store)?;
        Ok((keys::order(&id), next, bytes))
    }

    /// Answers an order that a call did not change, recording the Idempotency-Key's outcome.
    fn unchanged(&self, order: Order, claim: Option<&Claim>) -> Result<Written, Failure> {
        if let Some(claim) = claim {
            let record = self.record(claim, &order, false);
            let bytes = encode(&record).map_err(Failure::Store)?;
            self.kv.set(&keys::idempotency(&claim.hash), &bytes)?;
        }
        Ok(Written {
            order,
            changed: false,
            replayed: false,
        })
    }

    // ----- load ------------------------------------------------------------------------------

    /// The order with this id; pending effects are finished on the way.
    pub(crate) fn load(&self, id: &OrderId) -> Result<Order, Failure> {
        let key = keys::order(id);
        let stored = self.read(&key)?.ok_or(Failure::NotFound)?;
        if !stored.pending.is_empty() {
            self.settle(&key, &stored, None);
        }
        Ok(stored.order)
    }

    /// The order a channel's own id points at.
    pub(crate) fn find_by_external_id(
        &self,
        channel: &Channel,
        external_id: &ExternalId,
    ) -> Result<Option<Order>, Failure> {
        let key = keys::external(channel, external_id);
        let Some(bytes) = self.kv.get(&key)? else {
            return Ok(None);
        };
        let pointer: Pointer = decode(&key, &bytes).map_err(Failure::Store)?;
        match self.load(&pointer.id) {
            Ok(order) => Ok(Some(order)),
            Err(Failure::NotFound) => Ok(None),
            Err(other) => Err(other),
        }
    }

    fn read(&self, key: &str) -> Result<Option<Stored>, Failure> {
        match self.kv.get(key)? {
            None => Ok(None),
            Some(bytes) => decode(key, &bytes).map(Some).map_err(Failure::Store),
        }
    }

    fn carries(&self, key: &str, write_id: &str) -> Result<bool, Failure> {
        Ok(self.read(key)?.is_some_and(|s| s.carries(write_id)))
    }

    // ----- apply -----------------------------------------------------------------------------

    /// Applies a command with compare-and-swap, retried against concurrent writers.
    pub(crate) fn apply(
        &self,
        id: &OrderId,
        command: &Command,
        actor: Actor,
        expected_version: Option<u64>,
        idempotency: Option<Idempotency>,
    ) -> Result<Written, Failure> {
        let ctx = Context {
            now: self.now,
            actor,
            expected_version,
        };
        let claim = match self.check_idempotency(idempotency)? {
            Checked::Replay(written) => return same_order(*written, id),
            Checked::Fresh(claim) => claim,
        };
        let result = self.apply_fresh(id, command, &ctx, claim.as_ref());
        self.finish(claim.as_ref(), result)
    }

    fn apply_fresh(
        &self,
        id: &OrderId,
        command: &Command,
        ctx: &Context,
        claim: Option<&Claim>,
    ) -> Result<Written, Failed> {
        let key = keys::order(id);
        let mut allocations = Allocations::default();
        for _ in 0..MAX_ATTEMPTS {
            let (cas, current) = self.kv.cas_current(&key)?;
            let Some(bytes) = current else {
                return Err(Failure::NotFound.into());
            };
            let stored: Stored = decode(&key, &bytes).map_err(Failure::Store)?;
            // Whoever wrote them may have died before applying them; they are idempotent.
            self.run_effects(&stored)?;
            let applied = order::apply(&stored.order, command, ctx)?;
            if !applied.changed {
                if !stored.pending.is_empty() {
                    self.clear(&key, &stored.write_id, None);
                }
                return Ok(self.unchanged(applied.order, claim)?);
            }
            let next = self.next_document(&stored, applied, claim, &mut allocations)?;
            let bytes = encode(&next).map_err(Failure::Store)?;
            if let Some(claim) = claim
                && let Taken::Replay(written) = self.take(claim)?
            {
                return Ok(same_order(*written, id)?);
            }
            let uncertain = |e: Failure| Failed::Uncertain(e);
            let done = match self
                .kv
                .cas_swap(cas, &bytes)
                .map_err(|e| uncertain(e.into()))?
            {
                Swap::Swapped => true,
                Swap::Failed => self.carries(&key, &next.write_id).map_err(uncertain)?,
            };
            if done {
                self.settle(&key, &next, Some(&bytes));
                return Ok(Written {
                    order: next.order,
                    changed: true,
                    replayed: false,
                });
            }
        }
        Err(Failure::Contention.into())
    }

    /// The document after `applied`: index moves, the feed entry and the idempotency record as
    /// pending effects, slots and positions allocated (once per call) with `increment`.
    fn next_document(
        &self,
        stored: &Stored,
        applied: Applied,
        claim: Option<&Claim>,
        allocations: &mut Allocations,
    ) -> Result<Stored, Failure> {
        let mut next = stored.succeeded_by(self.write_id());
        let order = applied.order;
        let wanted: BTreeSet<IndexName> = keys::indexes_of(&order).into_iter().collect();
        let mut pending = Vec::new();
        let left: Vec<IndexName> = next
            .slots
            .keys()
            .filter(|index| !wanted.contains(*index))
            .cloned()
            .collect();
        for index in left {
            if let Some(slot) = next.slots.remove(&index) {
                pending.push(Effect::IndexRemove { index, slot });
            }
        }
        for index in wanted {
            if next.slots.contains_key(&index) {
                continue;
            }
            let slot = match allocations.slots.get(&index) {
                Some(slot) => *slot,
                None => {
                    let slot = self.next_in(&keys::index_counter(&index))?;
                    allocations.slots.insert(index.clone(), slot);
                    slot
                }
            };
            next.slots.insert(index.clone(), slot);
            pending.push(Effect::IndexAdd { index, slot });
        }
        let position = match allocations.feed {
            Some(position) => position,
            None => {
                let position = self.next_in(keys::FEED_SEQ)?;
                allocations.feed = Some(position);
                position
            }
        };
        pending.push(Effect::Feed {
            position,
            entry: FeedEntry {
                order_id: order.id().clone(),
                number: order.number(),
                version: order.version(),
                at: self.now,
                events: serde_json::value::to_raw_value(&applied.events)
                    .map_err(|e| Failure::Store(format!("encoding events: {e}")))?,
            },
        });
        if let Some(claim) = claim {
            pending.push(Effect::Idempotency {
                hash: claim.hash.clone(),
                record: Box::new(self.record(claim, &order, true)),
            });
        }
        next.order = order;
        next.pending = pending;
        Ok(next)
    }

    fn next_in(&self, counter: &str) -> Result<u64, Failure> {
        let value = self.kv.increment(counter, 1)?;
        u64::try_from(value).map_err(|_| Failure::Store(format!("{counter} is negative")))
    }

    // ----- effects ---------------------------------------------------------------------------

    /// Applies a committed document's effects and clears them. Failures leave them pending in
    /// the document (committed, so the call succeeded): the next touch or `check(repair)`
    /// applies them again.
    /// `written` is the encoding of `stored` when this call just wrote it: clearing then needs
    /// no decoding of the stored document.
    fn settle(&self, key: &str, stored: &Stored, written: Option<&[u8]>) {
        if stored.pending.is_empty() {
            return;
        }
        if self.run_effects(stored).is_ok() {
            self.clear(key, &stored.write_id, written.map(|bytes| (stored, bytes)));
        }
    }

    fn run_effects(&self, stored: &Stored) -> Result<(), Failure> {
        let id = stored.order.id();
        let pointer = encode(&Pointer { id: id.clone() }).map_err(Failure::Store)?;
        // The writes go in one batch (one transaction on SQLite); removals one by one (rare).
        let mut writes = Vec::with_capacity(stored.pending.len());
        for effect in &stored.pending {
            match effect {
                Effect::IndexAdd { index, slot } => {
                    writes.push((keys::index_entry(index, *slot), pointer.clone()));
                }
                Effect::IndexRemove { index, slot } => {
                    self.kv.delete(&keys::index_entry(index, *slot))?;
                }
                Effect::Feed { position, entry } => {
                    let bytes = encode(entry).map_err(Failure::Store)?;
                    writes.push((keys::feed_entry(*position), bytes));
                }
                Effect::External {
                    channel,
                    external_id,
                } => {
                    writes.push((keys::external(channel, external_id), pointer.clone()));
                }
                Effect::Idempotency { hash, record } => {
                    let bytes = encode(record).map_err(Failure::Store)?;
                    writes.push((keys::idempotency(hash), bytes));
                }
            }
        }
        if !writes.is_empty() {
            self.kv.set_many(&writes)?;
        }
        Ok(())
    }

    /// Removes the pending effects of the write `write_id`, if it is still the current one. One
    /// try: a later writer has run them already before replacing them. `known` is a document
    /// and its encoding this call holds: if the store still has those bytes, they are not decoded
    /// again.
    fn clear(&self, key: &str, write_id: &str, known: Option<(&Stored, &[u8])>) {
        let Ok((cas, Some(bytes))) = self.kv.cas_current(key) else {
            return;
        };
        let decoded;
        let stored = match known {
            Some((stored, known_bytes)) if known_bytes == bytes.as_slice() => stored,
            Some(_) | None => match decode::<Stored>(key, &bytes) {
                Ok(stored) => {
                    decoded = stored;
                    &decoded
                }
                Err(_) => return,
            },
        };
        if stored.write_id != write_id || stored.pending.is_empty() {
            return;
        }
        let mut next = stored.succeeded_by(self.write_id());
        next.pending.clear();
        if let Ok(bytes) = encode(&next) {
            // A failed or lost swap leaves the effects pending, to be applied again: harmless.
            let _swapped = self.kv.cas_swap(cas, &bytes);
        }
    }

    // ----- idempotency -----------------------------------------------------------------------

    fn record(&self, claim: &Claim, order: &Order, changed: bool) -> IdempotencyRecord {
        IdempotencyRecord {
            scope: claim.idempotency.scope.clone(),
            key: claim.idempotency.key.as_str().to_owned(),
            fingerprint: claim.idempotency.fingerprint.clone(),
            generation: claim.generation,
            at: self.now,
            changed,
            snapshot: order.clone(),
            tentative: false,
        }
    }

    /// The record of a key; a tentative one only once the order it names was written.
    fn read_record(&self, hash: &IdempotencyHash) -> Result<Option<IdempotencyRecord>, Failure> {
        let key = keys::idempotency(hash);
        let record: IdempotencyRecord = match self.kv.get(&key)? {
            None => return Ok(None),
            Some(bytes) => decode(&key, &bytes).map_err(Failure::Store)?,
        };
        if record.tentative && self.kv.get(&keys::order(record.snapshot.id()))?.is_none() {
            // Its placement died before the order: as if never written.
            return Ok(None);
        }
        Ok(Some(record))
    }

    /// Replays or refuses an Idempotency-Key from its record, or names the generation a new
    /// request under it will claim (see [`Service::take`]).
    fn check_idempotency(&self, idempotency: Option<Idempotency>) -> Result<Checked, Failure> {
        let Some(idempotency) = idempotency else {
            return Ok(Checked::Fresh(None));
        };
        let hash = IdempotencyHash::of(&idempotency.scope, idempotency.key.as_str());
        let record = self.read_record(&hash)?;
        let generation = match &record {
            Some(record) if self.is_fresh(record, &idempotency) => {
                return self.answer_from(record, &idempotency).map(Checked::Replay);
            }
            Some(record) => record.generation + 1,
            None => 0,
        };
        Ok(Checked::Fresh(Some(Claim {
            idempotency,
            hash,
            generation,
            held: std::cell::RefCell::new(None),
        })))
    }

    /// Claims an Idempotency-Key's generation with `increment`: the caller that gets 1 writes;
    /// the others give their ticket back and answer from the record, or `contention` while the
    /// first is still running.
    fn take(&self, claim: &Claim) -> Result<Taken, Failure> {
        if claim.held.borrow().is_some() {
            return Ok(Taken::Held);
        }
        let key_of = |window| keys::idempotency_claim(&claim.hash, claim.generation, window);
        if let Some(key) = claim::take(self.kv, self.now.unix_seconds(), key_of)? {
            claim.held.replace(Some(key));
            return Ok(Taken::Held);
        }
        match self.read_record(&claim.hash)? {
            Some(record)
                if record.generation == claim.generation
                    && self.is_fresh(&record, &claim.idempotency) =>
            {
                self.answer_from(&record, &claim.idempotency)
                    .map(Taken::Replay)
            }
            Some(_) | None => Err(Failure::Contention),
        }
    }

    fn is_fresh(&self, record: &IdempotencyRecord, idempotency: &Idempotency) -> bool {
        record.scope == idempotency.scope
            && record.key == idempotency.key.as_str()
            && self.now.unix_seconds() - record.at.unix_seconds() < IDEMPOTENCY_WINDOW_SECONDS
    }

    fn answer_from(
        &self,
        record: &IdempotencyRecord,
        idempotency: &Idempotency,
    ) -> Result<Box<Written>, Failure> {
        if record.fingerprint == idempotency.fingerprint {
            Ok(Box::new(Written {
                order: record.snapshot.clone(),
                changed: record.changed,
                replayed: true,
            }))
        } else {
            Err(Failure::IdempotencyKeyReused)
        }
    }

    /// A request that failed cleanly gives its claim back, so that the key can be retried; one
    /// whose write may have happened keeps it (a retry then waits for the pending record).
    fn finish(
        &self,
        claim: Option<&Claim>,
        result: Result<Written, Failed>,
    ) -> Result<Written, Failure> {
        match result {
            Ok(written) => Ok(written),
            Err(Failed::Uncertain(failure)) => Err(failure),
            Err(Failed::Cleanly(failure)) => {
                if let Some(key) = claim.and_then(|claim| claim.held.take()) {
                    claim::release(self.kv, &key)?;
                }
                Err(failure)
            }
        }
    }

    // ----- list ------------------------------------------------------------------------------

    /// Cancels pix and boleto orders still unpaid at their deadline as of `as_of` (the caller's
    /// clock; a later service clock wins), at most `limit` of them; answers how many. Reads the
    /// `unpaid` index oldest first, a bounded number of pages: its cost follows the unpaid
    /// pix/boleto orders, never the pending card payments or the orders stored. An order paid,
    /// expired or contended meanwhile is left to the next call.
    pub(crate) fn cancel_unpaid(&self, as_of: Timestamp, limit: u32) -> Result<u64, Failure> {
        let at = as_of.max(self.now);
        let mut canceled = 0u64;
        let mut cursor = None;
        for _ in 0..UNPAID_PAGES {
            let page = self.list(&Query {
                unpaid: true,
                sort: Sort::CreatedAtAsc,
                limit: MAX_LIMIT,
                cursor: cursor.take(),
                ..Query::default()
            })?;
            for order in &page.items {
                if canceled >= u64::from(limit) {
                    return Ok(canceled);
                }
                if order.payment().due_at.is_none_or(|due| due > at) {
                    continue;
                }
                let command = Command::ExpirePayment { as_of: Some(as_of) };
                match self.apply(order.id(), &command, Actor::System, None, None) {
                    Ok(written) if written.changed => canceled += 1,
                    Err(store @ Failure::Store(_)) => return Err(store),
                    // Paid or expired meanwhile, or contended: the next call looks again.
                    Ok(_) | Err(_) => {}
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(canceled)
    }

    /// One page of orders matching `query`. Reads at most about three times `limit` entries and
    /// 31 days of the day index per call, whatever the number of orders.
    pub(crate) fn list(&self, query: &Query) -> Result<Page, Failure> {
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let limit = usize::try_from(limit).unwrap_or(50);
        let budget = limit * 3 + 20;
        let descending = !matches!(query.sort, Sort::CreatedAtAsc);
        let source = Source::for_query(query, self.now);
        let mut cursor = match &query.cursor {
            Some(text) => Cursor::parse(text).ok_or_else(|| {
                Failure::Invalid(vec![FieldError::new(
                    "cursor",
                    orderflow_domain::values::Invalid::BadFormat {
                        expected: "a cursor from a previous page",
                    },
                )])
            })?,
            None => Cursor {
                day: source.first_day(descending),
                position: None,
            },
        };
        let mut items = Vec::new();
        let mut examined = 0usize;
        let mut days = 0usize;
        let mut top: Option<(Option<Day>, u64)> = None;
        let next_cursor = loop {
            if items.len() >= limit || examined >= budget || days > MAX_DAYS_PER_CALL {
                break Some(cursor);
            }
            let index = match source.index(cursor.day.as_ref()) {
                Ok(index) => index,
                Err(()) => break None,
            };
            // One counter read per index (or day) per call.
            let top = match &top {
                Some((day, top)) if *day == cursor.day => *top,
                Some(_) | None => {
                    let value = match &index {
                        Some(index) => self.counter(&keys::index_counter(index))?,
                        None => self.counter(keys::ORDER_SEQ)?,
                    };
                    top = Some((cursor.day.clone(), value));
                    value
                }
            };
            let position = cursor.position.unwrap_or(if descending { top } else { 1 });
            let exhausted = if descending {
                position == 0
            } else {
                position > top
            };
            if exhausted {
                days += 1;
                match source.next_day(cursor.day.as_ref(), descending) {
                    Some(day) => {
                        cursor = Cursor {
                            day: Some(day),
                            position: None,
                        };
                        continue;
                    }
                    None => break None,
                }
            }
            examined += 1;
            cursor.position = Some(if descending {
                position - 1
            } else {
                position + 1
            });
            if let Some(order) = self.entry(index.as_ref(), position)?
                && query.matches(&order)
            {
                items.push(order);
            }
        };
        match query.sort {
            Sort::TotalAsc => items.sort_by_key(|o| o.totals().total),
            Sort::TotalDesc => items.sort_by_key(|o| std::cmp::Reverse(o.totals().total)),
            Sort::CreatedAtAsc | Sort::CreatedAtDesc => {}
        }
        Ok(Page {
            items,
            next_cursor: next_cursor.map(|c| c.render()),
        })
    }

    /// A counter's value, read (not incremented by 0: that would be a write).
    fn counter(&self, key: &str) -> Result<u64, Failure> {
        let value = crate::kv::counter_value(self.kv.get(key)?.as_deref())
            .ok_or_else(|| Failure::Store(format!("{key} does not hold a counter")))?;
        Ok(u64::try_from(value).unwrap_or(0))
    }

    /// The order at `position` of an index (or of the order numbers), if it still holds it.
    fn entry(&self, index: Option<&IndexName>, position: u64) -> Result<Option<Order>, Failure> {
        let id = match index {
            None => keys::order_id(position),
            Some(index) => {
                let key = keys::index_entry(index, position);
                match self.kv.get(&key)? {
                    None => None,
                    Some(bytes) => {
                        Some(decode::<Pointer>(&key, &bytes).map_err(Failure::Store)?.id)
                    }
                }
            }
        };
        let Some(id) = id else {
            return Ok(None);
        };
        let Some(stored) = self.read(&keys::order(&id))? else {
            return Ok(None);
        };
        let holds = match index {
            None => true,
            Some(index) => stored.slots.get(index) == Some(&position),
        };
        Ok(holds.then_some(stored.order))
    }

    // ----- check -----------------------------------------------------------------------------

    /// Walks every order by number and checks its pending effects, index entries and external-id
    /// pointer; with `repair`, re-applies what is missing.
    pub(crate) fn check(&self, repair: bool) -> Result<Report, Failure> {
        let mut report = Report::default();
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
            for (index, slot) in &stored.slots {
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

/// How a write failed: cleanly (nothing was written), or at the write itself, which may have
/// happened. Claims are given back only after a clean failure, so that an uncertain write is
/// never made twice (its pending effects record its outcome at the next touch).
#[derive(Debug)]
enum Failed {
    Cleanly(Failure),
    Uncertain(Failure),
}

impl From<Failure> for Failed {
    fn from(failure: Failure) -> Self {
        Failed::Cleanly(failure)
    }
}

impl From<KvError> for Failed {
    fn from(e: KvError) -> Self {
        Failed::Cleanly(e.into())
    }
}

impl From<OrderError> for Failed {
    fn from(e: OrderError) -> Self {
        Failed::Cleanly(e.into())
    }
}

/// What an Idempotency-Key's record says before a request runs.
enum Checked {
    /// Answer with the recorded result.
    Replay(Box<Written>),
    /// Run the request (under this key, if any).
    Fresh(Option<Claim>),
}

/// The outcome of claiming an Idempotency-Key.
enum Taken {
    /// This call holds it.
    Held,
    /// Another call finished first: answer with its result.
    Replay(Box<Written>),
}

/// A replay answers only for the order it was recorded for.
fn same_order(written: Written, id: &OrderId) -> Result<Written, Failure> {
    if written.order.id() == id {
        Ok(written)
    } else {
        Err(Failure::IdempotencyKeyReused)
    }
}

impl Query {
    fn matches(&self, order: &Order) -> bool {
        let customer = order.customer();
        let total = order.totals().total;
        self.status.is_none_or(|s| order.status() == s)
            && self.channel.as_ref().is_none_or(|c| order.channel() == c)
            && self.from.is_none_or(|from| *order.created_at() >= from)
            && self.to.is_none_or(|to| *order.created_at() < to)
            && self.min_total.is_none_or(|min| total >= min)
            && self.max_total.is_none_or(|max| total <= max)
            && self
                .sku
                .as_ref()
                .is_none_or(|sku| order.items().iter().any(|i| &i.sku == sku))
            && self.shipping_method.as_ref().is_none_or(|m| {
                order
                    .shipping()
                    .method
                    .as_str()
                    .eq_ignore_ascii_case(m.trim())
            })
            && self.customer.as_ref().is_none_or(|c| {
                let value = keys::customer_value(c);
                customer.id.as_ref().is_some_and(|id| id.as_str() == value)
                    || customer.email.as_str() == value
                    || customer
                        .document
                        .as_ref()
                        .is_some_and(|d| d.as_str() == value)
            })
            && self.q.as_ref().is_none_or(|q| {
                let q = q.trim().to_lowercase();
                order.number().to_string() == q.trim_start_matches('#')
                    || customer.name.as_str().to_lowercase().contains(&q)
                    || order
                        .items()
                        .iter()
                        .any(|i| i.name.as_str().to_lowercase().contains(&q))
            })
    }
}

/// Where a listing reads from: one index, the day indexes of a range, or the order numbers.
#[derive(Debug)]
enum Source {
    Numbers,
    Index(IndexName),
    Days { first: Day, last: Day },
}

impl Source {
    fn for_query(query: &Query, now: Timestamp) -> Self {
        if query.unpaid {
            Source::Index(IndexName::unpaid())
        } else if let Some(status) = query.status {
            Source::Index(IndexName::status(status))
        } else if let Some(customer) = &query.customer {
            Source::Index(IndexName::customer(&keys::customer_value(customer)))
        } else if let Some(channel) = &query.channel {
            Source::Index(IndexName::channel(channel))
        } else if let Some(from) = query.from {
            let to = query.to.unwrap_or(now);
            Source::Days {
                first: Day::of(from),
                last: Day::of(to),
            }
        } else {
            Source::Numbers
        }
    }

    fn first_day(&self, descending: bool) -> Option<Day> {
        match self {
            Source::Days { first, last } => Some(if descending { last } else { first }.clone()),
            Source::Numbers | Source::Index(_) => None,
        }
    }

    /// The index to read at `day` (`None`: the order numbers); `Err` when out of the range.
    fn index(&self, day: Option<&Day>) -> Result<Option<IndexName>, ()> {
        match (self, day) {
            (Source::Numbers, None) => Ok(None),
            (Source::Index(index), None) => Ok(Some(index.clone())),
            (Source::Days { first, last }, Some(day)) if day >= first && day <= last => {
                Ok(Some(IndexName::day(day)))
            }
            (Source::Days { .. }, _) | (Source::Numbers | Source::Index(_), Some(_)) => Err(()),
        }
    }

    fn next_day(&self, day: Option<&Day>, descending: bool) -> Option<Day> {
        let (Source::Days { first, last }, Some(day)) = (self, day) else {
            return None;
        };
        let next = day.step(!descending)?;
        (next >= *first && next <= *last).then_some(next)
    }
}

/// Where the next page starts: the day (for day ranges) and the next position to read.
#[derive(Debug, Clone)]
struct Cursor {
    day: Option<Day>,
    position: Option<u64>,
}

impl Cursor {
    fn render(&self) -> String {
        let day = self.day.as_ref().map_or("-", Day::as_str);
        match self.position {
            Some(position) => format!("v1.{day}.{position}"),
            None => format!("v1.{day}.-"),
        }
    }

    fn parse(text: &str) -> Option<Cursor> {
        let mut parts = text.split('.');
        let (Some("v1"), Some(day), Some(position), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let day = match day {
            "-" => None,
            day => Some(Day::parse(day)?),
        };
        let position = match position {
            "-" => None,
            n => Some(n.parse().ok()?),
        };
        Some(Cursor { day, position })
    }
}
