//! Named consumers of the feed, as VTEX's Feed v3 has them: each reads its own queue in batches,
//! commits the handles of what it processed, and gets back whatever it did not commit once the
//! visibility timeout has passed. Several consumers (an ERP, a BI export) each keep their own
//! position and filter.
//!
//! A consumer is one document (compare-and-swap): its filter, the next feed position it has not
//! been handed, and the items handed out and not committed, each with its handle and the time it
//! becomes visible again.

use chrono::TimeDelta;
use orderflow_domain::values::Timestamp;
use orderflow_kv::Kv;
use serde::{Deserialize, Serialize};

use crate::document::{self, Decision, DocError, Document};
use crate::feed::{Event, Feed, FeedError};
use crate::keys;

/// The visibility timeout when none is configured (VTEX's default).
pub const DEFAULT_VISIBILITY: u32 = 240;
/// The largest batch one read hands out.
pub const MAX_LOT: usize = 100;
/// How many items a consumer may hold uncommitted; past it, reads hand out only timed-out ones.
pub const MAX_IN_FLIGHT: usize = 1000;

/// A consumer's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Event types it wants (every type when empty).
    pub types: Vec<String>,
    /// Seconds an item stays invisible after it is handed out.
    pub visibility_timeout_seconds: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Lease {
    position: u64,
    handle: String,
    visible_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consumer {
    write_id: String,
    #[serde(default)]
    recent: Vec<String>,
    name: String,
    settings: Settings,
    /// The next feed position to hand out is after this one.
    position: u64,
    #[serde(default)]
    in_flight: Vec<Lease>,
    created_at: Timestamp,
}

/// A consumer as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Its name.
    pub name: String,
    /// Its configuration.
    pub settings: Settings,
    /// The last feed position it has been handed.
    pub position: u64,
    /// Items handed out and not committed.
    pub in_flight: usize,
}

/// One handed-out item.
#[derive(Debug, Clone)]
pub struct Item {
    /// What to commit.
    pub handle: String,
    /// The event.
    pub event: Event,
}

/// Why a consumer call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerError {
    /// No consumer of that name.
    NotFound,
    /// The feed or the store failed.
    Feed(FeedError),
}

impl From<FeedError> for ConsumerError {
    fn from(e: FeedError) -> Self {
        ConsumerError::Feed(e)
    }
}

impl From<orderflow_kv::KvError> for ConsumerError {
    fn from(e: orderflow_kv::KvError) -> Self {
        ConsumerError::Feed(e.into())
    }
}

impl From<DocError> for ConsumerError {
    fn from(e: DocError) -> Self {
        ConsumerError::Feed(match e {
            DocError::Store(e) => FeedError::Store(e),
            DocError::Contention => FeedError::Contention,
        })
    }
}

impl Document for Consumer {
    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>) {
        (&mut self.write_id, &mut self.recent)
    }
}

fn view(c: &Consumer) -> View {
    View {
        name: c.name.clone(),
        settings: c.settings.clone(),
        position: c.position,
        in_flight: c.in_flight.len(),
    }
}

/// The consumers over a store.
#[derive(Debug)]
pub struct Consumers<'a, K: Kv> {
    kv: &'a K,
    now: Timestamp,
    nonce: u64,
}

impl<'a, K: Kv> Consumers<'a, K> {
    /// The consumers at `now`; `nonce` makes this call's write ids and handles unique.
    pub fn new(kv: &'a K, now: Timestamp, nonce: u64) -> Self {
        Consumers { kv, now, nonce }
    }

    /// Creates the consumer (starting after the feed's last position: it sees what happens from
    /// now on) or changes its settings; answers it and whether it was created.
    pub fn configure(&self, name: &str, settings: Settings) -> Result<(View, bool), ConsumerError> {
        let key = keys::consumer(name);
        let start = Feed::new(self.kv, self.now, self.nonce).bounds()?.1;
        document::write(self.kv, &key, self.nonce, |current: Option<Consumer>, _| {
            Ok(match current {
                None => {
                    let c = Consumer {
                        write_id: String::new(),
                        recent: Vec::new(),
                        name: name.to_owned(),
                        settings: settings.clone(),
                        position: start,
                        in_flight: Vec::new(),
                        created_at: self.now,
                    };
                    let shown = view(&c);
                    Decision::Write(c, (shown, true))
                }
                Some(c) if c.settings == settings => Decision::Keep((view(&c), false)),
                Some(mut c) => {
                    c.settings = settings.clone();
                    let shown = view(&c);
                    Decision::Write(c, (shown, false))
                }
            })
        })
    }

    /// The consumer, if it exists.
    pub fn get(&self, name: &str) -> Result<Option<View>, ConsumerError> {
        let key = keys::consumer(name);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(view(&document::decode::<Consumer>(&key, &bytes)?))),
        }
    }

    /// Deletes the consumer (absent is fine).
    pub fn delete(&self, name: &str) -> Result<(), ConsumerError> {
        self.kv.delete(&keys::consumer(name))?;
        Ok(())
    }

    /// Hands out up to `lot` items: those whose visibility timeout passed first (with new
    /// handles), then new events matching the filter.
    pub fn take(&self, name: &str, lot: usize) -> Result<Vec<Item>, ConsumerError> {
        let key = keys::consumer(name);
        let lot = lot.clamp(1, MAX_LOT);
        let feed = Feed::new(self.kv, self.now, self.nonce);
        document::write(
            self.kv,
            &key,
            self.nonce,
            |current: Option<Consumer>, write_id| {
                let mut c = current.ok_or(ConsumerError::NotFound)?;
                let timeout = TimeDelta::seconds(i64::from(c.settings.visibility_timeout_seconds));
                let visible_at = self.now.checked_add(timeout).unwrap_or(self.now);
                let mut items = Vec::new();
                let mut serial = 0u32;
                let mut handle = |position: u64| {
                    serial += 1;
                    format!("{position}.{write_id}.{serial}")
                };
                let mut expired = Vec::new();
                for lease in c.in_flight.iter_mut() {
                    if items.len() >= lot || lease.visible_at > self.now {
                        continue;
                    }
                    let events = match feed.read(lease.position - 1, 1, &[]) {
                        Ok((events, _)) => events,
                        Err(FeedError::Expired { .. }) => Vec::new(),
                        Err(e) => return Err(e.into()),
                    };
                    match events.into_iter().find(|e| e.position == lease.position) {
                        Some(event) => {
                            lease.handle = handle(lease.position);
                            lease.visible_at = visible_at;
                            items.push(Item {
                                handle: lease.handle.clone(),
                                event,
                            });
                        }
                        // Past the feed's retention: nothing left to hand out.
                        None => expired.push(lease.position),
                    }
                }
                c.in_flight.retain(|l| !expired.contains(&l.position));
                let room = MAX_IN_FLIGHT.saturating_sub(c.in_flight.len());
                let want = lot.saturating_sub(items.len()).min(room);
                if want > 0 {
                    let (events, next) = match feed.read(c.position, want, &c.settings.types) {
                        Ok(read) => read,
                        // Fell behind the retention: go on from the oldest event kept.
                        Err(FeedError::Expired { first }) => {
                            feed.read(first - 1, want, &c.settings.types)?
                        }
                        Err(e) => return Err(e.into()),
                    };
                    for event in events {
                        let lease = Lease {
                            position: event.position,
                            handle: handle(event.position),
                            visible_at,
                        };
                        items.push(Item {
                            handle: lease.handle.clone(),
                            event,
                        });
                        c.in_flight.push(lease);
                    }
                    c.position = c.position.max(next);
                }
                Ok(if items.is_empty() && expired.is_empty() {
                    Decision::Keep(Vec::new())
                } else {
                    Decision::Write(c, items)
                })
            },
        )
    }

    /// Commits `handles`: their items are done. Answers how many were held (a handle already
    /// committed, or replaced after its timeout, counts for nothing).
    pub fn commit(&self, name: &str, handles: &[String]) -> Result<usize, ConsumerError> {
        let key = keys::consumer(name);
        document::write(self.kv, &key, self.nonce, |current: Option<Consumer>, _| {
            let mut c = current.ok_or(ConsumerError::NotFound)?;
            let before = c.in_flight.len();
            c.in_flight.retain(|l| !handles.contains(&l.handle));
            let committed = before - c.in_flight.len();
            Ok(if committed == 0 {
                Decision::Keep(0)
            } else {
                Decision::Write(c, committed)
            })
        })
    }
}
