//! Every key-value key the orders service reads or writes, built here and nowhere else.
//!
//! The layout (all under `ord/`, since Spin's Redis backend does not namespace keys by store) is
//! the table of docs/architecture.md, "Key layout".
//!
//! Counters live under `ord/n/` and nothing else does, so no key written by `set` is ever
//! incremented (Spin's host panics on that). Indexes are `all`, `day/{yyyy-mm-dd}`,
//! `channel/{channel}`, `customer/{value}` (one per customer id, email and document) and
//! `total/{minor units}` (one per exact total: the orders with that total, in the order they got
//! it); free text in a key is escaped by [`escape`] so that `/` always separates parts.
//!
//! The totals present are found through a directory, so that a listing by total never reads an
//! absent total: a total's digits in base 32 (most significant first; their count is its
//! *class*) name a path of nodes, `ord/n/tot/r` (which classes are present) then
//! `ord/n/tot/{class}-{prefix}` for each prefix of the digits (which next digits are present).
//! Each node is a counter used as a bitmap. A bit is added once, by `increment`, by the caller
//! that needs it first: the one that takes slot 1 of a new total adds its last digit to the
//! leaf, and whoever's increment took a node from 0 adds that node's digit to its parent, so no
//! bit is ever added twice and no node is written with `set` (see `Service::mark_total`).

use chrono::Datelike;

use orderflow_domain::order::{Order, PaymentMethod, Status};
use orderflow_domain::values::{
    Channel, Document, Email, ExternalId, Money, OrderId, TestClockId, Timestamp,
};
use orderflow_kv::escape;
use serde::{Deserialize, Serialize};

/// The outbox position counter. A placement's position is its order's number.
pub(crate) const FEED_SEQ: &str = "ord/n/feed";

/// The order id derived from its number: numbers are unique (from `increment`), so ids are, and
/// the consistency check can walk every order from 1 to the counter without listing keys.
pub(crate) fn order_id(number: u64) -> Option<OrderId> {
    OrderId::parse(&format!("o-{number}")).ok()
}

/// The indexer's head.
pub(crate) const INDEX_HEAD: &str = "ord/ixh";

/// Claims of the indexer head's creation, per lease window.
pub(crate) fn index_head_claim(window: i64) -> String {
    format!("ord/n/ixh/{window}")
}

/// An order's index record: the slots the indexer gave it.
pub(crate) fn index_record(id: &OrderId) -> String {
    format!("ord/ixo/{}", id.as_str())
}

/// The order document.
pub(crate) fn order(id: &OrderId) -> String {
    format!("ord/o/{}", id.as_str())
}

/// The pointer from a channel's own order id to the order.
pub(crate) fn external(channel: &Channel, external_id: &ExternalId) -> String {
    format!("ord/ext/{}/{}", channel.as_str(), external_id.as_str())
}

/// The claim counter for placing an order with a channel's own order id, in one lease window
/// (see `claim`).
pub(crate) fn external_claim(channel: &Channel, external_id: &ExternalId, window: i64) -> String {
    format!(
        "ord/n/ext/{}/{}/{window}",
        channel.as_str(),
        external_id.as_str()
    )
}

/// The slot counter of an index.
pub(crate) fn index_counter(index: &IndexName) -> String {
    format!("ord/n/ix/{}", index.0)
}

/// The slot an order got in an index for the version at which it joined it (written once).
pub(crate) fn index_slot(index: &IndexName, id: &OrderId, since: u64) -> String {
    format!("ord/ixs/{}/{}/{since}", index.0, id.as_str())
}

/// One entry of an index.
pub(crate) fn index_entry(index: &IndexName, slot: u64) -> String {
    format!("ord/ix/{}/{slot}", index.0)
}

/// The root of the directory of totals: a bitmap of the classes (digit counts) present.
pub(crate) const TOTALS_ROOT: &str = "ord/n/tot/r";

/// A node of the directory of totals: a bitmap of the digits that follow `prefix` among the
/// totals of `class` digits.
pub(crate) fn totals_node(class: usize, prefix: &[u8]) -> String {
    let mut key = format!("ord/n/tot/{class}-");
    for digit in prefix {
        key.push(char::from_digit(u32::from(*digit), 32).unwrap_or('?'));
    }
    key
}

/// One outbox entry.
pub(crate) fn feed_entry(position: u64) -> String {
    format!("ord/feed/{position}")
}

/// The record of an Idempotency-Key.
pub(crate) fn idempotency(hash: &IdempotencyHash) -> String {
    format!("ord/idem/{}", hash.0)
}

/// The claim counter of an Idempotency-Key in one 24-hour generation and one lease window (see
/// `claim`).
pub(crate) fn idempotency_claim(hash: &IdempotencyHash, generation: u64, window: i64) -> String {
    format!("ord/n/idem/{}/{generation}/{window}", hash.0)
}

/// The name of a secondary index, e.g. `channel/storefront`. Built only here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct IndexName(String);

impl IndexName {
    /// Every order.
    pub(crate) fn all() -> Self {
        IndexName("all".to_owned())
    }

    /// Orders created on a UTC day (`yyyy-mm-dd`).
    pub(crate) fn day(day: &Day) -> Self {
        IndexName(format!("day/{}", day.0))
    }

    /// Orders of a channel.
    pub(crate) fn channel(channel: &Channel) -> Self {
        IndexName(format!("channel/{}", channel.as_str()))
    }

    /// Orders of a customer, by one of its id, email or document as stored (see
    /// [`customer_value`]).
    pub(crate) fn customer(value: &str) -> Self {
        IndexName(format!("customer/{}", escape(value)))
    }

    /// Orders whose total is `minor` units, in the order they got that total.
    pub(crate) fn total(minor: u64) -> Self {
        IndexName(format!("total/{minor}"))
    }

    /// Pix and boleto orders awaiting payment: what expires at a deadline (see
    /// `Service::cancel_unpaid`), kept apart so that pending card payments never hide them.
    /// Live orders and each test clock's orders have their own, so that expiry under a clock
    /// reads and touches only that clock's orders.
    pub(crate) fn unpaid(clock: Option<&TestClockId>) -> Self {
        match clock {
            None => IndexName("unpaid".to_owned()),
            Some(clock) => IndexName(format!("unpaid-on/{}", clock.as_str())),
        }
    }

    /// Orders in a status: counted (the indexer's head keeps how many), never listed (a listing
    /// by status walks `all`, in creation order, and checks each order).
    pub(crate) fn status(status: Status) -> Self {
        IndexName(format!("status/{}", status.as_str()))
    }

    /// Orders with open problems ("Pendentes"): listed and counted.
    pub(crate) fn problems() -> Self {
        IndexName("problems".to_owned())
    }

    /// Whether the indexer writes entries for this index (a listing reads them).
    pub(crate) fn is_listed(&self) -> bool {
        !self.0.starts_with("status/")
    }

    /// Whether the indexer's head counts the orders in this index.
    pub(crate) fn is_counted(&self) -> bool {
        self.0.starts_with("status/") || self.0 == "problems"
    }

    /// The total of a `total/{minor}` index.
    pub(crate) fn total_minor(&self) -> Option<u64> {
        self.0.strip_prefix("total/").and_then(|m| m.parse().ok())
    }

    /// The name as written in keys and in the order document.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every index an order belongs to.
pub(crate) fn indexes_of(order: &Order) -> Vec<IndexName> {
    let mut names = vec![
        IndexName::all(),
        IndexName::day(&Day::of(*order.created_at())),
        IndexName::channel(order.channel()),
    ];
    let customer = order.customer();
    let values = [
        customer.id.as_ref().map(|id| id.as_str().to_owned()),
        Some(customer.email.as_str().to_owned()),
        customer.document.as_ref().map(|d| d.as_str().to_owned()),
    ];
    for value in values.into_iter().flatten() {
        names.push(IndexName::customer(&value));
    }
    let payment = order.payment();
    names.push(IndexName::total(total_key(order.totals().total)));
    names.push(IndexName::status(order.status()));
    if !order.problems().is_empty() {
        names.push(IndexName::problems());
    }
    if order.status() == Status::PaymentPending
        && matches!(payment.method, PaymentMethod::Pix | PaymentMethod::Boleto)
        && payment.due_at.is_some()
    {
        let clock = order
            .subscription()
            .as_ref()
            .and_then(|s| s.test_clock.as_ref());
        names.push(IndexName::unpaid(clock));
    }
    names.sort();
    names.dedup();
    names
}

/// A total as an index key: its minor units (totals are never negative; the domain refuses
/// them).
pub(crate) fn total_key(total: Money) -> u64 {
    u64::try_from(total.minor()).unwrap_or(0)
}

/// The form a `customer` query value is indexed under: an email with its domain lowercased, a
/// CPF or CNPJ as bare digits, anything else (a customer id) as given.
pub(crate) fn customer_value(query: &str) -> String {
    let query = query.trim();
    if query.contains('@') {
        if let Ok(email) = Email::parse(query) {
            return email.as_str().to_owned();
        }
    } else if let Ok(document) = Document::parse(query) {
        return document.as_str().to_owned();
    }
    query.to_owned()
}

/// A UTC calendar day, `yyyy-mm-dd`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Day(String);

impl Day {
    /// The day an instant falls on, in UTC.
    pub(crate) fn of(at: Timestamp) -> Self {
        // Not chrono's `format`: its strftime parser would add to every order component's size.
        let at = at.as_datetime();
        Day(format!(
            "{:04}-{:02}-{:02}",
            at.year(),
            at.month(),
            at.day()
        ))
    }

    /// The day as `yyyy-mm-dd`.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses `yyyy-mm-dd` (from a cursor).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let at = Timestamp::parse(&format!("{s}T00:00:00Z")).ok()?;
        let day = Day::of(at);
        (day.0 == s).then_some(day)
    }

    /// The next or previous day.
    pub(crate) fn step(&self, forward: bool) -> Option<Self> {
        let at = Timestamp::parse(&format!("{}T12:00:00Z", self.0)).ok()?;
        let delta = chrono::TimeDelta::days(1);
        let next = if forward {
            at.checked_add(delta)
        } else {
            at.checked_sub(delta)
        }?;
        Some(Day::of(next))
    }
}

/// An Idempotency-Key's scope and value, hashed to a fixed-size key part (the value may be 255
/// characters of anything printable). The record stores both in full, so a collision is seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct IdempotencyHash(String);

impl IdempotencyHash {
    /// `orderflow_kv::idempotency::hash`, the one the subscriptions service keys its records by.
    pub(crate) fn of(scope: &str, key: &str) -> Self {
        IdempotencyHash(orderflow_kv::idempotency::hash(scope, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_documents_never_share_a_prefix() {
        let index = IndexName::all();
        assert!(index_counter(&index).starts_with("ord/n/"));
        assert!(!index_entry(&index, 3).starts_with("ord/n/"));
        assert!(FEED_SEQ.starts_with("ord/n/"));
        let hash = IdempotencyHash::of("POST /x", "k");
        assert!(idempotency_claim(&hash, 0, 0).starts_with("ord/n/"));
        assert!(!idempotency(&hash).starts_with("ord/n/"));
    }

    #[test]
    fn idempotency_hashes_separate_scope_from_key() {
        assert_ne!(
            IdempotencyHash::of("ab", "c"),
            IdempotencyHash::of("a", "bc")
        );
        assert_eq!(IdempotencyHash::of("a", "b"), IdempotencyHash::of("a", "b"));
    }

    #[test]
    fn days_parse_and_step() {
        let day = Day::parse("2026-02-28").expect("a day");
        assert_eq!(day.step(true).expect("next").as_str(), "2026-03-01");
        assert_eq!(day.step(false).expect("previous").as_str(), "2026-02-27");
        assert!(Day::parse("2026-02-30").is_none());
        assert!(Day::parse("x").is_none());
    }

    #[test]
    fn a_customer_query_is_normalised_like_the_index() {
        assert_eq!(customer_value("Ana@Example.COM"), "Ana@example.com");
        assert_eq!(customer_value("390.533.447-05"), "39053344705");
        assert_eq!(customer_value("c-17"), "c-17");
    }
}
