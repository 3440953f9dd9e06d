//! Claims that a crash cannot leave taken forever.
//!
//! Creating something exactly once is claimed with `increment` (the caller that gets 1 owns it;
//! a compare-and-swap on an absent key is no claim on Spin). A caller that dies between taking
//! such a claim and writing what it claimed would leave the claim held for good, and every retry
//! answering `contention`. So a claim is taken in the lease window of the caller's clock (one
//! key per [`LEASE_SECONDS`]), and holds only if both neighbouring windows are free: two callers
//! whose windows are adjacent see each other (each increments its own key before reading the
//! other's, so at least one of them sees the other) and at least one backs off; a claim left
//! by a dead caller in window `w` blocks callers in windows `w - 1` to `w + 1` only, so a retry
//! succeeds between one and two leases after the crash. A live holder finishes its write within
//! milliseconds of taking the claim, far inside a lease.

use crate::{Kv, KvError};

/// The length of a lease window, in seconds.
pub const LEASE_SECONDS: i64 = 60;

/// The lease window of an instant (Unix seconds).
pub fn window(now: i64) -> i64 {
    now.div_euclid(LEASE_SECONDS)
}

/// Takes the claim named `key_of(window)` for the window of `now` (Unix seconds). Returns its
/// key while held (give it back with [`release`] if the claimed write did not happen), or
/// `None`, with the ticket given back, when another caller holds it or a neighbouring window's
/// claim.
pub fn take<K: Kv>(
    kv: &K,
    now: i64,
    key_of: impl Fn(i64) -> String,
) -> Result<Option<String>, KvError> {
    let window = window(now);
    let key = key_of(window);
    if kv.increment(&key, 1)? != 1 {
        kv.increment(&key, -1)?;
        return Ok(None);
    }
    for neighbour in [window - 1, window + 1] {
        if counter(kv.get(&key_of(neighbour))?.as_deref()) > 0 {
            kv.increment(&key, -1)?;
            return Ok(None);
        }
    }
    Ok(Some(key))
}

/// The value of a claim counter read with `get` (absent: 0); a value that is not a counter
/// counts as held, the safe side.
fn counter(bytes: Option<&[u8]>) -> i64 {
    crate::counter_value(bytes).unwrap_or(1)
}

/// Gives a held claim back.
pub fn release<K: Kv>(kv: &K, key: &str) -> Result<(), KvError> {
    kv.increment(key, -1).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryKv;

    fn at(seconds: i64) -> i64 {
        1_795_395_600 + seconds
    }

    fn key(window: i64) -> String {
        format!("claim/{window}")
    }

    #[test]
    fn one_caller_holds_a_claim_and_gives_it_back() {
        let kv = MemoryKv::new();
        let held = take(&kv, at(0), key).unwrap();
        assert_eq!(held, Some(key(window(at(0)))));
        assert_eq!(take(&kv, at(1), key).unwrap(), None);
        release(&kv, &key(window(at(0)))).unwrap();
        assert!(take(&kv, at(2), key).unwrap().is_some());
    }

    #[test]
    fn a_claim_blocks_its_neighbouring_windows_and_frees_after_two() {
        let kv = MemoryKv::new();
        let start = window(at(0)) * LEASE_SECONDS - 1_795_395_600;
        assert!(take(&kv, at(start), key).unwrap().is_some());
        for blocked in [
            start - LEASE_SECONDS,
            start + LEASE_SECONDS,
            start + LEASE_SECONDS * 2 - 1,
        ] {
            assert_eq!(take(&kv, at(blocked), key).unwrap(), None, "at {blocked}");
        }
        assert!(
            take(&kv, at(start + LEASE_SECONDS * 2), key)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn counters_read_in_both_of_spins_encodings() {
        assert_eq!(counter(None), 0);
        assert_eq!(counter(Some(&1i64.to_le_bytes())), 1);
        assert_eq!(counter(Some(&0i64.to_le_bytes())), 0);
        assert_eq!(counter(Some(b"1")), 1);
        assert_eq!(counter(Some(b"0")), 0);
        assert_eq!(counter(Some(b"12")), 12);
    }

    #[test]
    fn a_caller_that_backs_off_leaves_no_ticket_behind() {
        let kv = MemoryKv::new();
        let w = window(at(0));
        kv.increment(&key(w + 1), 1).unwrap();
        assert_eq!(take(&kv, at(0), key).unwrap(), None);
        assert_eq!(kv.increment(&key(w), 0).unwrap(), 0);
    }
}
