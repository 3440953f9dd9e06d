//! The compare-and-swap write loop with write ids, the one the services share.
//!
//! A document written this way carries a write id unique to each write (and remembers a few
//! earlier ones). One attempt reads the document with `cas_current`, decides what to write from
//! it, and swaps. A swap reported as failed is checked by reading the document again: if it
//! carries the attempt's write id, the swap happened (Spin's Redis store reports successful swaps
//! as `cas-failed`); otherwise another writer won and the loop tries again from the read, at most
//! [`MAX_ATTEMPTS`] times.

use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Kv, KvError, Swap};

/// A random nonce for one call's write ids: std's hasher keys come from the host's random
/// source (wasi random in a component), and the clock sets it apart further.
pub fn nonce() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.finish()
}

/// How many times a write is tried against concurrent writers before it gives up: enough for
/// dozens of writers on one document at once, each attempt costing a read and a swap.
pub const MAX_ATTEMPTS: usize = 64;

/// What one attempt decided from the document it read.
#[derive(Debug)]
pub enum Attempt<W, D = W> {
    /// Swap in `bytes`, a document that carries `write_id`; `value` is the loop's answer once
    /// the swap is known to have happened.
    Write {
        /// The new document.
        bytes: Vec<u8>,
        /// The write id `bytes` carries.
        write_id: String,
        /// What the loop answers.
        value: W,
    },
    /// Nothing to write: the loop answers this.
    Done(D),
}

/// What the loop answers.
#[derive(Debug)]
pub enum Outcome<W, D = W> {
    /// The attempt's document is in the store: its value and its bytes.
    Written(W, Vec<u8>),
    /// An attempt decided to write nothing.
    Unchanged(D),
}

/// Why the loop ended without an answer.
#[derive(Debug)]
pub enum Failed<E> {
    /// An attempt's decision failed; nothing was written.
    Decided(E),
    /// The store failed before any swap: nothing was written.
    Store(KvError),
    /// The store failed at a swap or at the read that checks it: the write may have happened.
    Uncertain(KvError),
    /// Other writers won every attempt; nothing was written.
    Contention,
}

/// The recent write ids of a document whose write `previous` is being replaced: `previous`
/// joins them, and only the last `keep` stay (enough for a writer whose swap was reported failed
/// to recognise its own write after a few later ones).
pub fn remember(recent: &mut Vec<String>, previous: String, keep: usize) {
    recent.push(previous);
    let excess = recent.len().saturating_sub(keep);
    recent.drain(..excess);
}

/// Writes `key` with compare-and-swap until an attempt's document is in or an attempt writes
/// nothing. `attempt` gets the current bytes (`None`: absent) and decides; `carries(bytes, id)`
/// says whether a stored document carries the write id `id` (now or among its recent ones).
pub fn write<K: Kv, W, D, E>(
    kv: &K,
    key: &str,
    mut attempt: impl FnMut(Option<Vec<u8>>) -> Result<Attempt<W, D>, E>,
    carries: impl Fn(&[u8], &str) -> bool,
) -> Result<Outcome<W, D>, Failed<E>> {
    for _ in 0..MAX_ATTEMPTS {
        let (cas, current) = kv.cas_current(key).map_err(Failed::Store)?;
        let (bytes, write_id, value) = match attempt(current).map_err(Failed::Decided)? {
            Attempt::Done(value) => return Ok(Outcome::Unchanged(value)),
            Attempt::Write {
                bytes,
                write_id,
                value,
            } => (bytes, write_id, value),
        };
        if swap(kv, key, cas, &bytes, &write_id, &carries).map_err(Failed::Uncertain)? {
            return Ok(Outcome::Written(value, bytes));
        }
    }
    Err(Failed::Contention)
}

/// Swaps `bytes` (which carry `write_id`) in and says whether they are in: a swap reported as
/// failed is checked by reading `key` again. An error means the write may have happened.
pub fn swap<K: Kv>(
    kv: &K,
    key: &str,
    cas: K::Cas,
    bytes: &[u8],
    write_id: &str,
    carries: impl Fn(&[u8], &str) -> bool,
) -> Result<bool, KvError> {
    match kv.cas_swap(cas, bytes)? {
        Swap::Swapped => Ok(true),
        Swap::Failed => Ok(kv.get(key)?.is_some_and(|now| carries(&now, write_id))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryKv;

    /// A document for the tests: `write-id|recent ids|count`.
    fn doc(write_id: &str, recent: &[&str], count: u32) -> Vec<u8> {
        format!("{write_id}|{}|{count}", recent.join(",")).into_bytes()
    }

    fn parse(bytes: &[u8]) -> (String, Vec<String>, u32) {
        let text = String::from_utf8(bytes.to_vec()).unwrap_or_default();
        let mut parts = text.split('|');
        let id = parts.next().unwrap_or_default().to_owned();
        let recent = parts
            .next()
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let count = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        (id, recent, count)
    }

    fn carries(bytes: &[u8], write_id: &str) -> bool {
        let (id, recent, _) = parse(bytes);
        id == write_id || recent.iter().any(|r| r == write_id)
    }

    /// Adds one to the count, as a writer whose write ids are `{name}.{n}`.
    fn add_one(
        kv: &MemoryKv,
        name: &str,
        attempts: &mut u32,
    ) -> Result<Outcome<u32>, Failed<String>> {
        write(
            kv,
            "doc",
            |current| {
                *attempts += 1;
                let (id, mut recent, count) = parse(&current.ok_or("absent")?);
                recent.push(id);
                let write_id = format!("{name}.{attempts}");
                let refs: Vec<&str> = recent.iter().map(String::as_str).collect();
                Ok(Attempt::Write {
                    bytes: doc(&write_id, &refs, count + 1),
                    write_id,
                    value: count + 1,
                })
            },
            carries,
        )
    }

    fn count(kv: &MemoryKv) -> u32 {
        parse(&kv.peek("doc").unwrap_or_default()).2
    }

    #[test]
    fn a_swap_reported_failed_that_happened_is_written_once() {
        let kv = MemoryKv::new();
        kv.seed("doc", &doc("seed", &[], 0));
        kv.lie_about_swaps(1);
        let mut attempts = 0;
        let outcome = add_one(&kv, "a", &mut attempts);
        assert!(matches!(outcome, Ok(Outcome::Written(1, _))), "{outcome:?}");
        assert_eq!(attempts, 1);
        assert_eq!(count(&kv), 1);
    }

    #[test]
    fn a_lying_swap_after_another_writer_is_still_recognised() {
        let kv = MemoryKv::new();
        kv.seed("doc", &doc("seed", &[], 0));
        kv.lie_about_swaps(1);
        // Right after our swap, another writer writes on top of it: our id is among the recent.
        kv.after_next_swap(|kv| {
            let (id, _, count) = parse(&kv.peek("doc").unwrap_or_default());
            kv.seed("doc", &doc("other.1", &[&id], count + 1));
        });
        let mut attempts = 0;
        let outcome = add_one(&kv, "a", &mut attempts);
        assert!(matches!(outcome, Ok(Outcome::Written(1, _))), "{outcome:?}");
        assert_eq!(attempts, 1);
        assert_eq!(count(&kv), 2);
    }

    #[test]
    fn a_writer_that_lost_the_race_tries_again_and_loses_no_update() {
        let kv = MemoryKv::new();
        kv.seed("doc", &doc("seed", &[], 0));
        for n in 0..5 {
            kv.interleave(move |kv| {
                let (id, _, count) = parse(&kv.peek("doc").unwrap_or_default());
                kv.seed("doc", &doc(&format!("other.{n}"), &[&id], count + 1));
            });
        }
        // And the swap that finally wins is reported failed.
        kv.lie_about_swaps(1);
        let mut attempts = 0;
        let outcome = add_one(&kv, "a", &mut attempts);
        assert!(matches!(outcome, Ok(Outcome::Written(6, _))), "{outcome:?}");
        assert_eq!(attempts, 6);
        assert_eq!(count(&kv), 6);
    }

    #[test]
    fn lying_swaps_and_racing_writers_together_apply_every_write_once() {
        let kv = MemoryKv::new();
        kv.seed("doc", &doc("seed", &[], 0));
        for round in 0..20u32 {
            if round % 3 == 0 {
                kv.interleave(move |kv| {
                    let (id, _, count) = parse(&kv.peek("doc").unwrap_or_default());
                    kv.seed("doc", &doc(&format!("x.{round}"), &[&id], count + 1));
                });
            }
            kv.lie_about_swaps(usize::from(round % 2 == 0));
            let mut attempts = 0;
            let outcome = add_one(&kv, &format!("w{round}"), &mut attempts);
            assert!(matches!(outcome, Ok(Outcome::Written(..))), "{outcome:?}");
        }
        // 20 writes of ours and 7 interleaved ones.
        assert_eq!(count(&kv), 27);
    }

    #[test]
    fn a_writer_that_always_loses_gives_up_with_contention() {
        let kv = MemoryKv::new();
        kv.seed("doc", &doc("seed", &[], 0));
        for n in 0..MAX_ATTEMPTS {
            kv.interleave(move |kv| {
                let (id, _, count) = parse(&kv.peek("doc").unwrap_or_default());
                kv.seed("doc", &doc(&format!("other.{n}"), &[&id], count + 1));
            });
        }
        let mut attempts = 0;
        let outcome = add_one(&kv, "a", &mut attempts);
        assert!(matches!(outcome, Err(Failed::Contention)), "{outcome:?}");
        assert_eq!(count(&kv), u32::try_from(MAX_ATTEMPTS).unwrap_or(0));
    }

    #[test]
    fn a_decision_to_write_nothing_and_a_refusal_write_nothing() {
        let kv = MemoryKv::new();
        kv.seed("doc", &doc("seed", &[], 7));
        let kept = write(
            &kv,
            "doc",
            |_| Ok::<Attempt<u32>, String>(Attempt::Done(7)),
            carries,
        );
        assert!(matches!(kept, Ok(Outcome::Unchanged(7))));
        let refused = write::<_, u32, u32, _>(&kv, "doc", |_| Err("no".to_owned()), carries);
        assert!(matches!(refused, Err(Failed::Decided(e)) if e == "no"));
        assert!(
            !kv.calls()
                .iter()
                .any(|c| matches!(c, crate::memory::Call::CasSwap(_)))
        );
    }

    #[test]
    fn an_error_after_the_swap_is_uncertain() {
        let kv = MemoryKv::new();
        kv.seed("doc", &doc("seed", &[], 0));
        kv.err_after_swaps(1);
        let mut attempts = 0;
        let outcome = add_one(&kv, "a", &mut attempts);
        assert!(matches!(outcome, Err(Failed::Uncertain(_))), "{outcome:?}");
        assert_eq!(count(&kv), 1);
    }
}
