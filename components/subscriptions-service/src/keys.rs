//! Every key-value key the subscriptions service reads or writes, built here and nowhere else.
//! The layout itself is documented in the crate's root (`lib.rs`).
//!
//! Counters live under `sub/n/` and nothing else does, so no key written by `set` is ever
//! incremented (Spin's host panics on that). Free text in a key is escaped by [`escape`] so that
//! `/` always separates parts.

use orderflow_domain::subscription::SubscriptionStatus;
use orderflow_domain::values::{PlanId, SubscriptionId, TestClockId};
use orderflow_kv::escape;
use serde::{Deserialize, Serialize};

/// The indexer's head (`crate::index`).
pub(crate) const INDEX_HEAD: &str = "sub/ixh";

/// The dashboard counters (`crate::doc::Counters`).
pub(crate) const COUNTERS: &str = "sub/st/counters";

/// The claim on creating the indexer's head, per lease window (`orderflow_kv::claim`).
pub(crate) fn index_head_claim(window: i64) -> String {
    format!("sub/n/ixh/{window}")
}

/// What the indexer last derived from a subscription.
pub(crate) fn index_record(id: &SubscriptionId) -> String {
    format!("sub/ixr/{}", id.as_str())
}

/// The outbox counter (`orderflow_kv::outbox`).
pub(crate) const OUTBOX_SEQ: &str = "sub/n/outbox";

/// One outbox entry.
pub(crate) fn outbox_entry(position: u64) -> String {
    format!("sub/outbox/{position}")
}

/// A plan document.
pub(crate) fn plan(id: &PlanId) -> String {
    format!("sub/p/{}", id.as_str())
}

/// The creation claim of a plan id.
pub(crate) fn plan_claim(id: &PlanId) -> String {
    format!("sub/n/pc/{}", id.as_str())
}

/// A subscription document.
pub(crate) fn subscription(id: &SubscriptionId) -> String {
    format!("sub/s/{}", id.as_str())
}

/// The creation claim of a subscription id.
pub(crate) fn subscription_claim(id: &SubscriptionId) -> String {
    format!("sub/n/sc/{}", id.as_str())
}

/// The record of cycle `number` (or of the range of cycles starting there).
pub(crate) fn cycle(id: &SubscriptionId, number: u32) -> String {
    format!("sub/c/{}/{number}", id.as_str())
}

/// The claim counter of a cycle's order: the pass that gets 1 places it.
pub(crate) fn cycle_claim(id: &SubscriptionId, number: u32) -> String {
    format!("sub/n/cc/{}/{number}", id.as_str())
}

/// When a cycle's claim was taken (written by its holder), so that a later pass can tell a live
/// claim from one whose pass died.
pub(crate) fn cycle_claim_at(id: &SubscriptionId, number: u32) -> String {
    format!("sub/cc/{}/{number}", id.as_str())
}

/// The slot counter of an index.
pub(crate) fn index_counter(index: &IndexName) -> String {
    format!("sub/n/ix/{}", index.0)
}

/// One entry of an index.
pub(crate) fn index_entry(index: &IndexName, slot: u64) -> String {
    format!("sub/ix/{}/{slot}", index.0)
}

/// Where a subscription's due index and pass cursor live: live subscriptions share one, each
/// test clock has its own, so that a pass over one never reads or moves the other's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) enum Space {
    /// The host clock's subscriptions (the cron runner's and `POST /subscriptions/run`'s).
    #[default]
    Live,
    /// The subscriptions of one test clock.
    Clock(TestClockId),
}

impl Space {
    /// The space of a subscription on `clock` (live without one).
    pub(crate) fn of(clock: Option<&TestClockId>) -> Self {
        clock.map_or(Space::Live, |c| Space::Clock(c.clone()))
    }

    /// The clock, if this is a test clock's space.
    pub(crate) fn clock(&self) -> Option<&TestClockId> {
        match self {
            Space::Live => None,
            Space::Clock(id) => Some(id),
        }
    }

    /// The prefix of this space's documents.
    fn documents(&self) -> String {
        match self {
            Space::Live => "sub".to_owned(),
            Space::Clock(id) => format!("sub/tc/{}", id.as_str()),
        }
    }

    /// The prefix of this space's counters (under `sub/n/`).
    fn counters(&self) -> String {
        match self {
            Space::Live => "sub/n".to_owned(),
            Space::Clock(id) => format!("sub/n/tc/{}", id.as_str()),
        }
    }

    /// The pass cursor: the last minute bucket every earlier pass has finished.
    pub(crate) fn pass_cursor(&self) -> String {
        format!("{}/pass/cursor", self.documents())
    }

    /// The slot counter of a due bucket (one minute).
    pub(crate) fn due_counter(&self, bucket: Bucket) -> String {
        format!("{}/due/m/{}", self.counters(), bucket.0)
    }

    /// One entry of a due bucket.
    pub(crate) fn due_entry(&self, bucket: Bucket, slot: u64) -> String {
        format!("{}/due/{}/{slot}", self.documents(), bucket.0)
    }

    /// How many due entries were ever allocated in an hour (never decremented): lets a pass
    /// skip an empty hour with one read.
    pub(crate) fn due_hour_counter(&self, hour: i64) -> String {
        format!("{}/due/h/{hour}", self.counters())
    }

    /// How many due entries were ever allocated in a day (UTC, days since the epoch).
    pub(crate) fn due_day_counter(&self, day: i64) -> String {
        format!("{}/due/d/{day}", self.counters())
    }

    /// How many due entries were ever allocated in a 365-day stretch since the epoch.
    pub(crate) fn due_era_counter(&self, era: i64) -> String {
        format!("{}/due/y/{era}", self.counters())
    }
}

/// A test clock document.
pub(crate) fn clock(id: &TestClockId) -> String {
    format!("sub/clock/{}", id.as_str())
}

/// The creation claim of a test clock id.
pub(crate) fn clock_claim(id: &TestClockId) -> String {
    format!("sub/n/tcc/{}", id.as_str())
}

/// How many subscriptions were ever created on a test clock (bounded: see `crate::clock`).
pub(crate) fn clock_subscriptions(id: &TestClockId) -> String {
    format!("sub/n/tcs/{}", id.as_str())
}

/// The record of an Idempotency-Key's outcome (`hash`: see `crate::idempotency`).
pub(crate) fn idempotency(hash: &str) -> String {
    format!("sub/idem/{hash}")
}

/// The claim counter of an Idempotency-Key in one lease window.
pub(crate) fn idempotency_claim(hash: &str, window: i64) -> String {
    format!("sub/n/idem/{hash}/{window}")
}

/// A minute since the Unix epoch: the unit of the due index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Bucket(pub(crate) i64);

impl Bucket {
    /// Minutes in an hour.
    pub(crate) const PER_HOUR: i64 = 60;
    /// Minutes in a day.
    pub(crate) const PER_DAY: i64 = 24 * 60;
    /// Minutes in an era (365 days).
    pub(crate) const PER_ERA: i64 = 365 * Self::PER_DAY;

    /// The bucket an instant falls in.
    pub(crate) fn of(at: orderflow_domain::values::Timestamp) -> Self {
        Bucket(at.unix_seconds().div_euclid(60))
    }

    /// The instant it starts at (`None` only outside the timestamps the domain can hold).
    pub(crate) fn start(self) -> Option<orderflow_domain::values::Timestamp> {
        orderflow_domain::values::Timestamp::from_unix_seconds(self.0.checked_mul(60)?)
    }

    /// The hour it falls in.
    pub(crate) fn hour(self) -> i64 {
        self.0.div_euclid(Self::PER_HOUR)
    }

    /// The day it falls in.
    pub(crate) fn day(self) -> i64 {
        self.0.div_euclid(Self::PER_DAY)
    }

    /// The era it falls in.
    pub(crate) fn era(self) -> i64 {
        self.0.div_euclid(Self::PER_ERA)
    }
}

/// The name of a secondary index, e.g. `status/active`. Built only here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct IndexName(String);

impl IndexName {
    /// The name, e.g. `status/active`.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Every plan.
    pub(crate) fn plans() -> Self {
        IndexName("plans".to_owned())
    }

    /// Every subscription.
    pub(crate) fn all() -> Self {
        IndexName("all".to_owned())
    }

    /// Subscriptions in a status.
    pub(crate) fn status(status: SubscriptionStatus) -> Self {
        IndexName(format!("status/{}", status.as_str()))
    }

    /// Every test clock.
    pub(crate) fn clocks() -> Self {
        IndexName("clocks".to_owned())
    }

    /// The subscriptions of a test clock (what deleting it deletes).
    pub(crate) fn clock(id: &TestClockId) -> Self {
        IndexName(format!("clock/{}", id.as_str()))
    }

    /// Subscriptions of a customer, by its id or email as given.
    pub(crate) fn customer(value: &str) -> Self {
        IndexName(format!("customer/{}", escape(value.trim())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_domain::values::Timestamp;

    #[test]
    fn counters_and_documents_never_share_a_prefix() -> Result<(), Box<dyn std::error::Error>> {
        let id = SubscriptionId::parse("s-1")?;
        let tc = TestClockId::parse("tc-1")?;
        let (live, clock) = (Space::Live, Space::Clock(tc.clone()));
        let counters = [
            plan_claim(&PlanId::parse("p-1")?),
            subscription_claim(&id),
            cycle_claim(&id, 3),
            index_counter(&IndexName::all()),
            live.due_counter(Bucket(7)),
            live.due_hour_counter(1),
            live.due_day_counter(1),
            live.due_era_counter(1),
            clock.due_counter(Bucket(7)),
            clock.due_hour_counter(1),
            clock.due_day_counter(1),
            clock.due_era_counter(1),
            clock_claim(&tc),
            clock_subscriptions(&tc),
            idempotency_claim("h", 3),
            index_head_claim(4),
        ];
        assert!(counters.iter().all(|k| k.starts_with("sub/n/")));
        let documents = [
            live.pass_cursor(),
            clock.pass_cursor(),
            keys_of_clock(&tc),
            idempotency("h"),
            INDEX_HEAD.to_owned(),
            COUNTERS.to_owned(),
            index_record(&id),
            plan(&PlanId::parse("p-1")?),
            subscription(&id),
            cycle(&id, 3),
            cycle_claim_at(&id, 3),
            index_entry(&IndexName::all(), 1),
            live.due_entry(Bucket(7), 1),
            clock.due_entry(Bucket(7), 1),
        ];
        assert!(
            documents
                .iter()
                .all(|k| k.starts_with("sub/") && !k.starts_with("sub/n/"))
        );
        Ok(())
    }

    fn keys_of_clock(id: &TestClockId) -> String {
        clock(id)
    }

    #[test]
    fn live_keys_keep_their_layout_and_a_clock_has_its_own()
    -> Result<(), Box<dyn std::error::Error>> {
        let live = Space::Live;
        assert_eq!(live.pass_cursor(), "sub/pass/cursor");
        assert_eq!(live.due_counter(Bucket(3)), "sub/n/due/m/3");
        assert_eq!(live.due_entry(Bucket(3), 2), "sub/due/3/2");
        let clock = Space::Clock(TestClockId::parse("tc-1")?);
        assert_eq!(clock.pass_cursor(), "sub/tc/tc-1/pass/cursor");
        assert_eq!(clock.due_entry(Bucket(3), 2), "sub/tc/tc-1/due/3/2");
        assert_eq!(clock.due_hour_counter(4), "sub/n/tc/tc-1/due/h/4");
        Ok(())
    }

    #[test]
    fn buckets_are_minutes_hours_days_and_eras_since_the_epoch()
    -> Result<(), Box<dyn std::error::Error>> {
        let at = Timestamp::parse("1970-01-02T01:02:59Z")?;
        let bucket = Bucket::of(at);
        assert_eq!(bucket, Bucket(24 * 60 + 62));
        assert_eq!((bucket.hour(), bucket.day(), bucket.era()), (25, 1, 0));
        let before = Bucket::of(Timestamp::parse("1969-12-31T23:59:30Z")?);
        assert_eq!((before.0, before.hour(), before.day()), (-1, -1, -1));
        Ok(())
    }
}
