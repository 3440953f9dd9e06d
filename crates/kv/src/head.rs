//! The head an indexer pass holds while it works, shared by both services' indexers
//! (docs/architecture.md, "Indexes and paging"): created once under a claim, leased by one pass
//! at a time (others answer contention and wait), and given back when the pass ends. What a pass
//! plans and applies stays each service's own, and so do the plan's type, the clock and the
//! encoding ([`IndexHead`], [`Head`]).

use serde::{Deserialize, Serialize};

use crate::write::{self, Attempt, Failed};
use crate::{Kv, KvError, claim};

/// Why a head operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// Another pass holds the head (or its creation); wait and try again.
    Contention,
    /// The store failed, or holds something unreadable.
    Store(String),
}

impl From<KvError> for HeadError {
    fn from(e: KvError) -> Self {
        HeadError::Store(e.0)
    }
}

impl From<Failed<HeadError>> for HeadError {
    fn from(failed: Failed<HeadError>) -> Self {
        match failed {
            Failed::Decided(e) => e,
            Failed::Store(e) | Failed::Uncertain(e) => e.into(),
            Failed::Contention => HeadError::Contention,
        }
    }
}

/// A head document: its lease and its write ids.
pub trait Leased: Default {
    /// The clock leases are kept in.
    type Instant: PartialOrd + Copy;
    /// The pass at work and until when, if any.
    fn lease(&self) -> Option<&(String, Self::Instant)>;
    /// Sets or clears the lease.
    fn set_lease(&mut self, lease: Option<(String, Self::Instant)>);
    /// Drops the plan of the pass that held the lease (it was applied).
    fn clear_plan(&mut self);
    /// The write id of this version, and those before it (newest last).
    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>);
    /// Replaces the write id; the current one joins the recent ones.
    fn succeed(&mut self, write_id: String) {
        let (current, recent) = self.write_ids();
        let previous = std::mem::replace(current, write_id);
        write::remember(recent, previous, HEAD_RECENT_WRITES);
    }
}

/// How many earlier write ids a head remembers (see `crate::write`).
pub const HEAD_RECENT_WRITES: usize = 8;

/// An indexer's head document (compare-and-swap): how far it has read its outbox, what it passed
/// over, the plan `P` of its last batch until its pass has applied it (whoever reads it before
/// then applies it too), and the lease of the pass at work, in the service's clock `I`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "P: Deserialize<'de>, I: Deserialize<'de>")
)]
pub struct IndexHead<P, I> {
    /// Unique per write (see `crate::write`).
    pub write_id: String,
    /// The write ids before it, newest last.
    #[serde(default)]
    pub recent: Vec<String>,
    /// Every outbox position up to this one is indexed, or passed over (`recheck`).
    pub cursor: u64,
    /// Positions passed over while pending, and since when.
    #[serde(default)]
    pub recheck: Vec<(u64, I)>,
    /// How many plans were ever made, for a service whose plans apply once by their number
    /// (0, and not stored, for one whose plans need no number).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub plans: u64,
    /// The last batch's writes.
    #[serde(default)]
    pub plan: Option<P>,
    /// The pass at work, and until when others leave the head to it (a pass that lost the head
    /// would have planned for nothing: slots allocated and never used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<(String, I)>,
    /// How many documents are in each counted index, moved in the same swap as the cursor, so
    /// that each outbox entry counts once. `None` for a service that counts nothing, and for a
    /// head written before counting began (its earlier documents were never counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<std::collections::BTreeMap<String, u64>>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl<P, I> Default for IndexHead<P, I> {
    fn default() -> Self {
        IndexHead {
            write_id: String::new(),
            recent: Vec::new(),
            cursor: 0,
            recheck: Vec::new(),
            plans: 0,
            plan: None,
            lease: None,
            counts: None,
        }
    }
}

impl<P, I> IndexHead<P, I> {
    /// Whether the indexer has read up to `target` and applied its last plan.
    pub fn reached(&self, target: u64) -> bool {
        self.cursor >= target && self.plan.is_none()
    }

    /// The positions passed over while pending.
    pub fn recheck_positions(&self) -> Vec<u64> {
        self.recheck.iter().map(|(p, _)| *p).collect()
    }
}

impl<P, I: PartialOrd + Copy> Leased for IndexHead<P, I> {
    type Instant = I;

    fn lease(&self) -> Option<&(String, I)> {
        self.lease.as_ref()
    }

    fn set_lease(&mut self, lease: Option<(String, I)>) {
        self.lease = lease;
    }

    fn clear_plan(&mut self) {
        self.plan = None;
    }

    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>) {
        (&mut self.write_id, &mut self.recent)
    }
}

/// A head in the store: its key, how its documents are read and written, and the claim that
/// creates it.
pub struct Head<'a, K: Kv, H: Leased> {
    /// The store.
    pub kv: &'a K,
    /// The head's key.
    pub key: &'a str,
    /// The claim key of a lease window, for creating the head once.
    pub claim: fn(i64) -> String,
    /// Reads a head document.
    pub decode: fn(&str, &[u8]) -> Result<H, String>,
    /// Writes one.
    pub encode: fn(&H) -> Result<Vec<u8>, String>,
}

impl<K: Kv, H: Leased> std::fmt::Debug for Head<'_, K, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Head").field("key", &self.key).finish()
    }
}

impl<K: Kv, H: Leased> Head<'_, K, H> {
    /// The head as stored (a default one while absent).
    pub fn read(&self) -> Result<H, HeadError> {
        match self.kv.get(self.key)? {
            None => Ok(H::default()),
            Some(bytes) => (self.decode)(self.key, &bytes).map_err(HeadError::Store),
        }
    }

    /// Whether stored head bytes carry the write `write_id` (see `crate::write`).
    pub fn carries(&self, bytes: &[u8], write_id: &str) -> bool {
        (self.decode)(self.key, bytes).is_ok_and(|mut head| {
            let (current, recent) = head.write_ids();
            current == write_id || recent.iter().any(|r| r == write_id)
        })
    }

    /// Creates the head if it is absent, once: a swap on an absent key is an unconditional
    /// upsert on Spin, so two first passes would both win it. The creator is claimed (a lease
    /// claim, `crate::claim`, at `now_seconds`); the others answer contention.
    pub fn ensure(&self, now_seconds: i64) -> Result<(), HeadError> {
        if self.kv.get(self.key)?.is_some() {
            return Ok(());
        }
        if claim::take(self.kv, now_seconds, self.claim)?.is_none() {
            return Err(HeadError::Contention);
        }
        // Read again: the head may have been created, and its claim lapsed, since the read.
        if self.kv.get(self.key)?.is_none() {
            let head = (self.encode)(&H::default()).map_err(HeadError::Store)?;
            self.kv.set(self.key, &head)?;
        }
        Ok(())
    }

    /// Takes the lease for `owner` until `until`, unless another pass holds it at `now`
    /// (contention); `write_id` names the write.
    pub fn take_lease(
        &self,
        owner: &str,
        now: H::Instant,
        until: H::Instant,
        write_id: &str,
    ) -> Result<(), HeadError> {
        write::write(
            self.kv,
            self.key,
            |current| -> Result<Attempt<()>, HeadError> {
                let Some(bytes) = current else {
                    return Err(HeadError::Contention);
                };
                let mut head = (self.decode)(self.key, &bytes).map_err(HeadError::Store)?;
                if head.lease().is_some_and(|(_, held)| *held > now) {
                    return Err(HeadError::Contention);
                }
                head.succeed(write_id.to_owned());
                head.set_lease(Some((owner.to_owned(), until)));
                Ok(Attempt::Write {
                    bytes: (self.encode)(&head).map_err(HeadError::Store)?,
                    write_id: write_id.to_owned(),
                    value: (),
                })
            },
            |bytes, id| self.carries(bytes, id),
        )?;
        Ok(())
    }

    /// Ends the pass holding `owner`'s lease: takes the lease out, and its plan with it when
    /// `applied`. One try: a pass that took over has moved the head on (and a plan left in it
    /// is applied again, harmlessly); a lease left lapses on its own.
    pub fn finish(&self, owner: &str, applied: bool, write_id: String) {
        let Ok((cas, Some(bytes))) = self.kv.cas_current(self.key) else {
            return;
        };
        let Ok(mut head) = (self.decode)(self.key, &bytes) else {
            return;
        };
        if head.lease().is_none_or(|(held, _)| held != owner) {
            return;
        }
        head.succeed(write_id);
        head.set_lease(None);
        if applied {
            head.clear_plan();
        }
        if let Ok(bytes) = (self.encode)(&head) {
            // Reported failed on Redis even when it happened: a lease left lapses on its own.
            let _finished = self.kv.cas_swap(cas, &bytes);
        }
    }
}

/// How many passes a catch-up runs at most.
const CATCH_UP_PASSES: usize = 500;
/// How long a catch-up waits while another pass holds the head, before looking again.
pub const CONTENDED_WAIT: std::time::Duration = std::time::Duration::from_millis(5);
/// How long a catch-up goes on at most.
pub const CATCH_UP_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs indexer passes until `done` says the indexer has caught up, waiting while another pass
/// holds the head (`pass` answers `None`); `pass` answers whether it found nothing left to do.
/// Gives up after [`CATCH_UP_TIME`].
pub fn catch_up<E>(
    mut done: impl FnMut() -> Result<bool, E>,
    mut pass: impl FnMut() -> Result<Option<bool>, E>,
) -> Result<(), E> {
    let started = std::time::Instant::now();
    for _ in 0..CATCH_UP_PASSES {
        if started.elapsed() > CATCH_UP_TIME || done()? {
            return Ok(());
        }
        match pass()? {
            Some(true) => return Ok(()),
            Some(false) => {}
            // Another pass holds the head and does this work: wait for it. On wasm32-wasip2
            // this blocks on a wasi:clocks pollable: the host runs other requests meanwhile.
            None => std::thread::sleep(CONTENDED_WAIT),
        }
    }
    Ok(())
}

/// Whether any of the outbox positions `read` again is decided now (committed or dead): a
/// position passed over while pending may have been acknowledged since.
pub fn any_decided<E>(read: &[(u64, crate::outbox::State<E>)]) -> bool {
    read.iter()
        .any(|(_, state)| !matches!(state, crate::outbox::State::Pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestHead = IndexHead<Vec<u32>, u64>;

    #[test]
    fn both_services_stored_heads_read_and_a_head_without_plan_numbers_stores_none() {
        // The orders' head never had a plan counter; the subscriptions' always wrote one.
        let orders = r#"{"writeId":"w2","recent":["w1"],"cursor":7,"recheck":[[5,100]],"plan":[1,2],"lease":["p",160]}"#;
        let head: TestHead = serde_json::from_str(orders).expect("reads");
        assert_eq!(
            (
                head.cursor,
                head.plans,
                head.recheck_positions(),
                head.plan.clone()
            ),
            (7, 0, vec![5], Some(vec![1, 2]))
        );
        assert_eq!(serde_json::to_string(&head).expect("writes"), orders);
        let subscriptions = r#"{"writeId":"w","cursor":3,"plans":4,"plan":null}"#;
        let head: TestHead = serde_json::from_str(subscriptions).expect("reads");
        assert_eq!((head.plans, head.recent.len()), (4, 0));
        assert!(head.reached(3) && !head.reached(4));
    }
}
