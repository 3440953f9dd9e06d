//! Outboxes, the one protocol both services follow for publishing what they write
//! (docs/architecture.md, "Integrations").
//!
//! For each new version of a document, a writer takes a position from the service's outbox
//! counter (for this attempt only), writes the outbox entry there, then swaps the document in
//! with that position recorded for the version. So an entry is committed exactly when its
//! document's version holds its position, dead when the document holds another position for
//! that version, and pending while the document has not reached the version. [`read`] answers
//! the integrations service's sequencer with these states.

use crate::{Kv, KvError, counter_value};

/// Whether the version `version` of a document now at version `reached`, whose versions were
/// written at `positions` (`positions[v - 1]`), was written with the entry at `position`:
/// `Some(true)` committed, `Some(false)` dead, `None` pending.
pub fn committed(positions: &[u64], reached: u64, version: u64, position: u64) -> Option<bool> {
    if reached < version {
        return None;
    }
    let at = usize::try_from(version.checked_sub(1)?).ok()?;
    Some(positions.get(at) == Some(&position))
}

/// Records that `version` was written with the entry at `position` (earlier versions without
/// an entry hold 0).
pub fn record(positions: &mut Vec<u64>, version: u64, position: u64) {
    let at = usize::try_from(version.saturating_sub(1)).unwrap_or(usize::MAX);
    if positions.len() < at {
        positions.resize(at, 0);
    }
    positions.truncate(at);
    positions.push(position);
}

/// What an outbox position holds.
#[derive(Debug, Clone)]
pub enum State<E> {
    /// The write happened: its entry.
    Committed(E),
    /// The write never will.
    Dead,
    /// Not decided: the entry is not written yet, or its document has not reached its version.
    Pending,
}

/// The most positions one read answers for.
pub const MAX_READ: u32 = 500;

/// A service's outbox: its counter and where its entries are.
#[derive(Debug, Clone, Copy)]
pub struct Outbox<'a> {
    /// The counter positions are taken from.
    pub counter: &'a str,
    /// The key of the entry at a position.
    pub entry_key: fn(u64) -> String,
}

/// The positions of `outbox` after `after` (at most `limit`, up to the last handed out) and
/// those of `recheck`, in order. `entry` decodes the entry at a key; `decide` says of an entry at a position what [`committed`] says of it, reading each
/// document once for all its entries (it caches them).
pub fn read<K: Kv, E>(
    kv: &K,
    outbox: Outbox<'_>,
    after: u64,
    limit: u32,
    recheck: &[u64],
    mut entry: impl FnMut(&str, Vec<u8>) -> Result<E, KvError>,
    mut decide: impl FnMut(&E, u64) -> Result<Option<bool>, KvError>,
) -> Result<Vec<(u64, State<E>)>, KvError> {
    // The counter first: every position up to it was taken before any document is read below,
    // so a later version of any of them has a later position than this read covers.
    let last = counter_value(kv.get(outbox.counter)?.as_deref())
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| KvError(format!("{} does not hold a counter", outbox.counter)))?;
    let limit = usize::try_from(limit.min(MAX_READ)).unwrap_or(0);
    let mut positions: Vec<u64> = recheck.iter().copied().filter(|p| *p <= last).collect();
    positions.extend((after.saturating_add(1)..=last).take(limit));
    positions.sort_unstable();
    positions.dedup();
    let mut read = Vec::with_capacity(positions.len());
    for position in positions {
        let key = (outbox.entry_key)(position);
        let state = match kv.get(&key)? {
            None => State::Pending,
            Some(bytes) => {
                let e = entry(&key, bytes)?;
                match decide(&e, position)? {
                    None => State::Pending,
                    Some(true) => State::Committed(e),
                    Some(false) => State::Dead,
                }
            }
        };
        read.push((position, state));
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_committed_only_at_the_position_it_recorded() {
        let mut positions = Vec::new();
        record(&mut positions, 1, 4);
        record(&mut positions, 2, 9);
        assert_eq!(committed(&positions, 2, 1, 4), Some(true));
        assert_eq!(committed(&positions, 2, 2, 7), Some(false));
        assert_eq!(committed(&positions, 2, 3, 12), None);
        // A document from before outboxes gets its first entry at a later version.
        let mut old = Vec::new();
        record(&mut old, 3, 20);
        assert_eq!(old, [0, 0, 20]);
        assert_eq!(committed(&old, 3, 3, 20), Some(true));
    }
}
