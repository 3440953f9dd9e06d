//! The orders service's store logic: placing, loading and changing orders over a [`Kv`], with
//! the write protocol below. docs/architecture.md describes the key layout it writes and how
//! `check(repair)` restores what a crash cut off.
//!
//! A command on an order (at most three writes, on the common path):
//! 1. `cas_current` the document; decide with the domain (`apply`).
//! 2. Take an outbox position with `increment`, for this attempt only, and write the outbox
//!    entry there (with the Idempotency-Key's record, in one batch): what the integrations
//!    service's sequencer publishes, and the indexer indexes, once the swap below is in.
//! 3. Swap in the new document: the order, a fresh write id, the version's outbox position, the
//!    version at which it joined each of its indexes, and its recent Idempotency-Keys. A
//!    `cas-failed` answer is checked by re-reading: a document that carries our write id (now or
//!    among its recent ones) means the swap happened (Redis-backed Spin reports successful swaps
//!    as failed); otherwise another writer won and we retry from 1, at most
//!    [`crate::kv::write::MAX_ATTEMPTS`] times, then answer `contention`. This is the loop of
//!    [`crate::kv::write`], shared with the subscriptions service.
//!
//! Nothing else is written with the command: the listings follow the outbox ([`index`]), so a
//! crash anywhere leaves either the whole version or an outbox entry that is never committed.
//!
//! A placement is never decided by a swap (an absent key makes a swap an unconditional upsert).
//! Its number comes from the same `increment` as its outbox position, the id is derived from the
//! number so the document key has a single writer, and the document, its outbox entry, the
//! channel's own id pointing at it and its Idempotency-Key's record go in one batch. A channel's
//! own id and a placement's Idempotency-Key are claimed with `increment` first (the caller that
//! gets 1 places; later callers find the order through the pointer or the record), and given
//! back after any clean failure: only a crash between a claim and the batch leaves one taken
//! with nothing written (later calls with that external id or key then answer `contention`
//! until its lease lapses).
//!
//! This module must not touch spin-sdk: it takes `&impl Kv`.
//!
//! One module per part: [`place`] and [`apply`] decide and write, [`load`] reads,
//! [`idempotency`] answers Idempotency-Keys, [`index`] keeps the listings from the outbox,
//! [`list`] pages through them, [`outbox`] tells the sequencer what each outbox entry became,
//! and [`check`] verifies and repairs them.

mod apply;
mod check;
mod idempotency;
mod index;
mod list;
mod load;
mod outbox;
mod place;
mod stock;
mod totals;

use std::fmt;

use orderflow_domain::order::{Order, OrderError, PaymentWindows};
use orderflow_domain::values::{FieldError, IdempotencyKey, Timestamp};

use crate::kv::{Kv, KvError};

pub(crate) use check::Report;
pub(crate) use list::{MAX_LIMIT, Page, Query, Sort};
pub(crate) use outbox::OutboxState;
pub(crate) use stock::{Line, Stock, StockReport, StockStep};

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
    /// Not enough stock of each SKU named, with the most one location could give.
    OutOfStock(Vec<(String, i64)>),
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

impl From<crate::kv::head::HeadError> for Failure {
    fn from(e: crate::kv::head::HeadError) -> Self {
        match e {
            crate::kv::head::HeadError::Contention => Failure::Contention,
            crate::kv::head::HeadError::Store(message) => Failure::Store(message),
        }
    }
}

impl From<crate::kv::write::Failed<Failure>> for Failure {
    /// A write loop's failure: whether the write may have happened is the caller's to know.
    fn from(e: crate::kv::write::Failed<Failure>) -> Self {
        use crate::kv::write::Failed;
        match e {
            Failed::Decided(failure) => failure,
            Failed::Store(e) | Failed::Uncertain(e) => e.into(),
            Failed::Contention => Failure::Contention,
        }
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
            Failure::OutOfStock(short) => write!(f, "{} SKUs out of stock", short.len()),
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

/// The service for one request: a store, the inventory, the clock, and a random nonce for
/// write ids.
#[derive(Debug)]
pub(crate) struct Service<'a, K: Kv> {
    kv: &'a K,
    stock: Box<dyn Stock + 'a>,
    now: Timestamp,
    nonce: u64,
    writes: std::cell::Cell<u64>,
    windows: PaymentWindows,
}

impl<'a, K: Kv> Service<'a, K> {
    /// A service over `kv` and `stock` whose clock reads `now`; `nonce` must differ between
    /// calls.
    pub(crate) fn new(kv: &'a K, stock: Box<dyn Stock + 'a>, now: Timestamp, nonce: u64) -> Self {
        Service {
            kv,
            stock,
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

/// How a placement failed: cleanly (nothing was written), or at its batch, which may have
/// happened. Claims are given back only after a clean failure, so that an uncertain placement is
/// never made twice (a retry finds it through its pointer or record, or waits for the claim's
/// lease).
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
