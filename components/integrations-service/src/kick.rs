//! The pass a command asks for right after its answer ("kick"): so that a healthy endpoint
//! hears of a paid order within a second rather than at the next cron tick, without a pass per
//! command under load.
//!
//! Time is cut into slots of [`SLOT`]. A kick claims the slot after the current one, unless
//! someone already has; whoever claims it waits for the slot's start and runs one pass. That
//! pass starts after the kicking command committed (the command answered before kicking), so
//! it sees the command's events; at most one kicked pass starts per slot, whatever the load;
//! and a kick that finds its slot claimed costs one read.

use chrono::TimeDelta;
use orderflow_domain::values::Timestamp;
use orderflow_kv::Kv;
use orderflow_kv::write::{self, Attempt, Failed, Outcome};

use crate::endpoint::EndpointError;
use crate::keys;

/// How long a slot lasts.
pub const SLOT: TimeDelta = TimeDelta::milliseconds(250);

/// `int/kick` holds `{slot} {write id}` as text: this runs in every write component after its
/// answer, so it stays small (no document type) and reads before it swaps.
fn slot_of(bytes: &[u8]) -> i64 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.split(' ').next())
        .and_then(|slot| slot.parse().ok())
        .unwrap_or(0)
}

/// Claims the slot after `now`'s for a pass; answers when to start it, or `None` when a pass
/// at or after that slot is someone else's.
pub fn claim<K: Kv>(
    kv: &K,
    now: Timestamp,
    nonce: u64,
) -> Result<Option<Timestamp>, EndpointError> {
    let width = SLOT.num_milliseconds();
    let next = now.unix_millis().div_euclid(width) + 1;
    if kv
        .get(keys::KICK)?
        .is_some_and(|bytes| slot_of(&bytes) >= next)
    {
        return Ok(None);
    }
    let mut attempt = 0u32;
    let outcome = write::write(
        kv,
        keys::KICK,
        |current| {
            attempt += 1;
            if current.is_some_and(|bytes| slot_of(&bytes) >= next) {
                return Ok::<_, EndpointError>(Attempt::Done(()));
            }
            let write_id = format!("{nonce:x}.{attempt}");
            Ok(Attempt::Write {
                bytes: format!("{next} {write_id}").into_bytes(),
                write_id,
                value: (),
            })
        },
        |bytes, id| std::str::from_utf8(bytes).is_ok_and(|text| text.split(' ').nth(1) == Some(id)),
    );
    match outcome {
        Ok(Outcome::Written(..)) => Ok(Timestamp::from_unix_millis(next * width)),
        Ok(Outcome::Unchanged(())) => Ok(None),
        Err(Failed::Decided(e)) => Err(e),
        Err(Failed::Store(e) | Failed::Uncertain(e)) => Err(e.into()),
        Err(Failed::Contention) => Err(EndpointError::Contention),
    }
}

#[cfg(test)]
mod tests {
    use orderflow_kv::memory::MemoryKv;

    use super::*;

    fn at_ms(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms).expect("an instant")
    }

    #[test]
    fn one_pass_per_slot_whatever_the_number_of_kicks() {
        let kv = MemoryKv::new();
        assert_eq!(claim(&kv, at_ms(1_000), 1), Ok(Some(at_ms(1_250))));
        for (i, ms) in [1_000, 1_100, 1_249].into_iter().enumerate() {
            assert_eq!(claim(&kv, at_ms(ms), 2 + i as u64), Ok(None), "{ms}");
        }
        // Later than the claimed slot's start: that pass may have begun before this command
        // committed, so the next slot is claimed.
        assert_eq!(claim(&kv, at_ms(1_250), 9), Ok(Some(at_ms(1_500))));
        assert_eq!(claim(&kv, at_ms(3_000), 10), Ok(Some(at_ms(3_250))));
    }
}
