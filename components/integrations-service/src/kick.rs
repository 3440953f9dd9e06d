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
use serde::{Deserialize, Serialize};

use crate::document::{self, Decision, Document};
use crate::endpoint::EndpointError;
use crate::keys;

/// How long a slot lasts.
pub const SLOT: TimeDelta = TimeDelta::milliseconds(250);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Claimed {
    write_id: String,
    #[serde(default)]
    recent: Vec<String>,
    /// The last slot claimed, numbered from the Unix epoch.
    slot: i64,
}

impl Document for Claimed {
    fn write_ids(&mut self) -> (&mut String, &mut Vec<String>) {
        (&mut self.write_id, &mut self.recent)
    }
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
    let claimed = document::write(kv, keys::KICK, nonce, |current: Option<Claimed>, _| {
        let current = current.unwrap_or_default();
        if current.slot >= next {
            return Ok::<_, EndpointError>(Decision::Keep(false));
        }
        Ok(Decision::Write(
            Claimed {
                slot: next,
                ..current
            },
            true,
        ))
    })?;
    Ok(if claimed {
        Timestamp::from_unix_millis(next * width)
    } else {
        None
    })
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
