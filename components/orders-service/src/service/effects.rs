//! A written document's derived writes (index entries, external-id pointer,
//! idempotency record): applied after the write, then cleared from the document.

use super::{Failure, Service};
use crate::doc::{Effect, Pointer, Stored, decode, encode};
use crate::keys;
use crate::kv::Kv;

impl<K: Kv> Service<'_, K> {
    /// Applies a committed document's effects and clears them. Failures leave them pending in
    /// the document (committed, so the call succeeded): the next touch or `check(repair)`
    /// applies them again.
    /// `written` is the encoding of `stored` when this call just wrote it: clearing then needs
    /// no decoding of the stored document.
    pub(super) fn settle(&self, key: &str, stored: &Stored, written: Option<&[u8]>) {
        if stored.pending.is_empty() {
            return;
        }
        if self.run_effects(stored).is_ok() {
            self.clear(key, &stored.write_id, written.map(|bytes| (stored, bytes)));
        }
    }

    pub(super) fn run_effects(&self, stored: &Stored) -> Result<(), Failure> {
        let id = stored.order.id();
        let pointer = encode(&Pointer { id: id.clone() }).map_err(Failure::Store)?;
        // The writes go in one batch (one transaction on SQLite); removals one by one (rare).
        let mut writes = Vec::with_capacity(stored.pending.len());
        for effect in &stored.pending {
            match effect {
                Effect::IndexAdd { index, slot } => {
                    writes.push((keys::index_entry(index, *slot), pointer.clone()));
                }
                Effect::IndexRemove { index, slot } => {
                    self.kv.delete(&keys::index_entry(index, *slot))?;
                }
                Effect::Feed { position, entry } => {
                    let bytes = encode(entry).map_err(Failure::Store)?;
                    writes.push((keys::feed_entry(*position), bytes));
                }
                Effect::External {
                    channel,
                    external_id,
                } => {
                    writes.push((keys::external(channel, external_id), pointer.clone()));
                }
                Effect::Idempotency { hash, record } => {
                    let bytes = encode(record).map_err(Failure::Store)?;
                    writes.push((keys::idempotency(hash), bytes));
                }
            }
        }
        if !writes.is_empty() {
            self.kv.set_many(&writes)?;
        }
        Ok(())
    }

    /// Removes the pending effects of the write `write_id`, if it is still the current one. One
    /// try: a later writer has run them already before replacing them. `known` is a document
    /// and its encoding this call holds: if the store still has those bytes, they are not decoded
    /// again.
    pub(super) fn clear(&self, key: &str, write_id: &str, known: Option<(&Stored, &[u8])>) {
        let Ok((cas, Some(bytes))) = self.kv.cas_current(key) else {
            return;
        };
        let decoded;
        let stored = match known {
            Some((stored, known_bytes)) if known_bytes == bytes.as_slice() => stored,
            Some(_) | None => match decode::<Stored>(key, &bytes) {
                Ok(stored) => {
                    decoded = stored;
                    &decoded
                }
                Err(_) => return,
            },
        };
        if stored.write_id != write_id || stored.pending.is_empty() {
            return;
        }
        let mut next = stored.succeeded_by(self.write_id());
        next.pending.clear();
        if let Ok(bytes) = encode(&next) {
            // A failed or lost swap leaves the effects pending, to be applied again: harmless.
            let _swapped = self.kv.cas_swap(cas, &bytes);
        }
    }
}
