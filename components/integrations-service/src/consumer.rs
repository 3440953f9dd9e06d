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
use orderflow_kv::write::{self, Attempt, Failed, Outcome};
use serde::{Deserialize, Serialize};

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

fn failed(e: Failed<ConsumerError>) -> ConsumerError {
    match e {
        Failed::Decided(e) => e,
        Failed::Store(e) | Failed::Uncertain(e) => e.into(),
        Failed::Contention => ConsumerError::Feed(FeedError::Contention),
    }
}

fn decode(key: &str, bytes: &[u8]) -> Result<Consumer, ConsumerError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ConsumerError::Feed(FeedError::Store(format!("{key}: {e}"))))
}

fn encode(consumer: &Consumer) -> Result<Vec<u8>, ConsumerError> {
    serde_json::to_vec(consumer)
        .map_err(|e| ConsumerError::Feed(FeedError::Store(format!("encoding: {e}"))))
}

fn carries(key: &str, bytes: &[u8], id: &str) -> bool {
    decode(key, bytes).is_ok_and(|c| c.write_id == id || c.recent.iter().any(|r| r == id))
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

    fn write_id(&self, attempt: u32) -> String {
        format!("{:x}.{attempt}", self.nonce)
    }

    /// Creates the consumer (starting after the feed's last position: it sees what happens from
    /// now on) or changes its settings; answers it and whether it was created.
    pub fn configure(&self, name: &str, settings: Settings) -> Result<(View, bool), ConsumerError> {
        let key = keys::consumer(name);
        let start = Feed::new(self.kv, self.now, self.nonce).bounds()?.1;
        let mut attempt = 0;
        let outcome = write::write(
            self.kv,
            &key,
            |current| {
                attempt += 1;
                let write_id = self.write_id(attempt);
                let (next, created) = match current {
                    None => (
                        Consumer {
                            write_id: write_id.clone(),
                            recent: Vec::new(),
                            name: name.to_owned(),
                            settings: settings.clone(),
                            position: start,
                            in_flight: Vec::new(),
                            created_at: self.now,
                        },
                        true,
                    ),
                    Some(bytes) => {
                        let mut c = decode(&key, &bytes)?;
                        if c.settings == settings {
                            return Ok(Attempt::Done((view(&c), false)));
                        }
                        c.recent
                            .insert(0, std::mem::replace(&mut c.write_id, write_id.clone()));
                        c.recent.truncate(8);
                        c.settings = settings.clone();
                        (c, false)
                    }
                };
                Ok(Attempt::Write {
                    bytes: encode(&next)?,
                    write_id,
                    value: (view(&next), created),
                })
            },
            |bytes, id| carries(&key, bytes, id),
        )
        .map_err(failed)?;
        Ok(match outcome {
            Outcome::Written(v, _) | Outcome::Unchanged(v) => v,
        })
    }

    /// The consumer, if it exists.
    pub fn get(&self, name: &str) -> Result<Option<View>, ConsumerError> {
        let key = keys::consumer(name);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(view(&decode(&key, &bytes)?))),
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
        let mut attempt = 0;
        let outcome = write::write(
            self.kv,
            &key,
            |current| {
                attempt += 1;
                let write_id = self.write_id(attempt);
                let mut c = decode(&key, &current.ok_or(ConsumerError::NotFound)?)?;
                let visible_at = self
                    .now
                    .checked_add(TimeDelta::seconds(i64::from(
                        c.settings.visibility_timeout_seconds,
                    )))
                    .unwrap_or(self.now);
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
                if items.is_empty() && expired.is_empty() {
                    return Ok(Attempt::Done(Vec::new()));
                }
                c.recent
                    .insert(0, std::mem::replace(&mut c.write_id, write_id.clone()));
                c.recent.truncate(8);
                Ok(Attempt::Write {
                    bytes: encode(&c)?,
                    write_id,
                    value: items,
                })
            },
            |bytes, id| carries(&key, bytes, id),
        )
        .map_err(failed)?;
        Ok(match outcome {
            Outcome::Written(items, _) | Outcome::Unchanged(items) => items,
        })
    }

    /// Commits `handles`: their items are done. Answers how many were held (a handle already
    /// committed, or replaced after its timeout, counts for nothing).
    pub fn commit(&self, name: &str, handles: &[String]) -> Result<usize, ConsumerError> {
        let key = keys::consumer(name);
        let mut attempt = 0;
        let outcome = write::write(
            self.kv,
            &key,
            |current| {
                attempt += 1;
                let write_id = self.write_id(attempt);
                let mut c = decode(&key, &current.ok_or(ConsumerError::NotFound)?)?;
                let before = c.in_flight.len();
                c.in_flight.retain(|l| !handles.contains(&l.handle));
                let committed = before - c.in_flight.len();
                if committed == 0 {
                    return Ok(Attempt::Done(0));
                }
                c.recent
                    .insert(0, std::mem::replace(&mut c.write_id, write_id.clone()));
                c.recent.truncate(8);
                Ok(Attempt::Write {
                    bytes: encode(&c)?,
                    write_id,
                    value: committed,
                })
            },
            |bytes, id| carries(&key, bytes, id),
        )
        .map_err(failed)?;
        Ok(match outcome {
            Outcome::Written(n, _) | Outcome::Unchanged(n) => n,
        })
    }
}
