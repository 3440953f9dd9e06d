//! The orders service's store logic: placing, loading and changing orders over a [`Kv`], with
//! the write protocol below. docs/architecture.md describes the key layout it writes and how
//! `check(repair)` restores what a crash cut off.
//!
//! The write protocol, for every change of an order document:
//! 1. `cas_current` the document; run any pending effects it lists (they are idempotent).
//! 2. Decide with the domain (`place`/`apply`); allocate with `increment` the index slots the new
//!    version needs and, for this attempt only, an outbox position, and write the outbox entry
//!    (what the integrations service's sequencer publishes once the swap below is in).
//! 3. Swap in the new document: the order, a fresh write id, the version's outbox position, and
//!    the derived writes as pending effects. A `cas-failed` answer is checked by re-reading: a document that carries our write
//!    id (now or among its recent ones) means the swap happened (Redis-backed Spin reports
//!    successful swaps as failed); otherwise another writer won and we retry from 1, at most
//!    [`crate::kv::write::MAX_ATTEMPTS`] times, then answer `contention`. This is the loop of
//!    [`crate::kv::write`], shared with the subscriptions service.
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
//!
//! One module per part: [`place`] and [`apply`] decide and write, [`load`] reads, [`effects`]
//! runs a written document's derived writes, [`idempotency`] answers Idempotency-Keys, [`list`]
//! pages through the indexes, [`outbox`] tells the sequencer what each outbox entry became, and
//! [`check`] verifies and repairs them.

mod apply;
mod check;
mod effects;
mod idempotency;
mod index;
mod list;
mod load;
mod outbox;
mod place;
mod totals;

use std::fmt;

use orderflow_domain::order::{Order, OrderError, PaymentWindows};
use orderflow_domain::values::{FieldError, IdempotencyKey, Timestamp};

use crate::kv::{Kv, KvError};

pub(crate) use check::Report;
pub(crate) use list::{MAX_LIMIT, Page, Query, Sort};
pub(crate) use outbox::OutboxState;

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

/// The service for one request: a store, the clock, and a random nonce for write ids.
#[derive(Debug)]
pub(crate) struct Service<'a, K: Kv> {
    kv: &'a K,
    now: Timestamp,
    nonce: u64,
    writes: std::cell::Cell<u64>,
    windows: PaymentWindows,
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
