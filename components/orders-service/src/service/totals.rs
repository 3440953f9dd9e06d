//! The directory of totals present (keys.rs describes its keys): marking a total when it first
//! appears, and finding the next total present in either direction, so that a listing by total
//! reads only totals that orders have.
//!
//! A node is a counter whose bits are the digits present below it. Bits are only ever added, each
//! once: the caller that takes slot 1 of a total adds the total's last digit to its leaf, and a
//! caller whose addition took a node from 0 adds that node's digit to the node above. A crash
//! between two of these additions leaves a total unreachable; `check` finds it (every order's
//! total must be reachable) and `check(repair)` adds what is missing. A total whose orders all
//! moved to other totals stays marked: a listing reads its slot counter and passes on.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{Failure, Service};
use crate::keys;
use crate::kv::Kv;

/// The base of the digits: a node's bitmap fits a counter (an i64) with room to spare.
const BASE: u64 = 32;
/// The most digits a u64 has in base 32.
const MAX_CLASS: usize = 13;

/// A total's digits in base 32, most significant first (0 is one digit).
fn digits(mut value: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAX_CLASS);
    loop {
        out.push(u8::try_from(value % BASE).unwrap_or(0));
        value /= BASE;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    out
}

/// The total these digits spell.
fn value(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, d| {
        acc.saturating_mul(BASE).saturating_add(u64::from(*d))
    })
}

/// The bit of a digit (or of a class, in the root).
fn bit(position: usize) -> i64 {
    1i64 << position
}

/// The directory's nodes as one call has read them (each node at most once per call).
#[derive(Debug, Default)]
pub(super) struct Nodes(RefCell<HashMap<String, u64>>);

impl<K: Kv> Service<'_, K> {
    /// Adds a total that just got its first slot to the directory.
    pub(super) fn mark_total(&self, total: u64) -> Result<(), Failure> {
        let digits = digits(total);
        for level in (0..digits.len()).rev() {
            let added = bit(usize::from(digits[level]));
            let after = self
                .kv
                .increment(&keys::totals_node(digits.len(), &digits[..level]), added)?;
            if after != added {
                // The node had bits already: its own digit is (or is being) marked above.
                return Ok(());
            }
        }
        self.kv.increment(keys::TOTALS_ROOT, bit(digits.len()))?;
        Ok(())
    }

    /// Whether `total` is reachable in the directory; with `repair`, adds the bits it lacks. A
    /// bit found missing is looked at again a moment later, so that a placement between two of
    /// its additions is not mistaken for a crash (adding a bit twice would corrupt the node).
    pub(super) fn check_total(&self, total: u64, repair: bool) -> Result<bool, Failure> {
        let digits = digits(total);
        let mut path: Vec<(String, i64)> = (0..digits.len())
            .map(|level| {
                (
                    keys::totals_node(digits.len(), &digits[..level]),
                    bit(usize::from(digits[level])),
                )
            })
            .collect();
        path.push((keys::TOTALS_ROOT.to_owned(), bit(digits.len())));
        let missing = |path: &[(String, i64)]| -> Result<Vec<(String, i64)>, Failure> {
            let mut out = Vec::new();
            for (key, bit) in path {
                if self.node_bits(key)? & u64::try_from(*bit).unwrap_or(0) == 0 {
                    out.push((key.clone(), *bit));
                }
            }
            Ok(out)
        };
        if missing(&path)?.is_empty() {
            return Ok(true);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let still = missing(&path)?;
        if repair {
            for (key, bit) in &still {
                self.kv.increment(key, *bit)?;
            }
        }
        Ok(still.is_empty())
    }

    /// The first total present at or after `from` (ascending), or at or before it (descending).
    pub(super) fn seek_total(
        &self,
        nodes: &Nodes,
        from: u64,
        ascending: bool,
    ) -> Result<Option<u64>, Failure> {
        let bound = digits(from);
        let classes = self.cached(nodes, keys::TOTALS_ROOT)?;
        let candidates: Vec<usize> = if ascending {
            (bound.len()..=MAX_CLASS).collect()
        } else {
            (1..=bound.len()).rev().collect()
        };
        for class in candidates {
            if classes & (1u64 << class) == 0 {
                continue;
            }
            let within = (class == bound.len()).then_some(bound.as_slice());
            let mut prefix = Vec::with_capacity(class);
            if let Some(found) = self.descend(nodes, class, &mut prefix, within, ascending)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The first total of `class` digits below `prefix`, in the listing's direction, not before
    /// `bound` (the remaining digits of the starting total, while the path still follows it).
    fn descend(
        &self,
        nodes: &Nodes,
        class: usize,
        prefix: &mut Vec<u8>,
        bound: Option<&[u8]>,
        ascending: bool,
    ) -> Result<Option<u64>, Failure> {
        let bits = self.cached(nodes, &keys::totals_node(class, prefix))?;
        let first = bound.and_then(|b| b.first().copied());
        let order: Vec<u8> = if ascending {
            (first.unwrap_or(0)..32).collect()
        } else {
            (0..=first.unwrap_or(31)).rev().collect()
        };
        for digit in order {
            if bits & (1u64 << digit) == 0 {
                continue;
            }
            prefix.push(digit);
            let found = if prefix.len() == class {
                Some(value(prefix))
            } else {
                let rest = bound.filter(|_| Some(digit) == first).map(|b| &b[1..]);
                self.descend(nodes, class, prefix, rest, ascending)?
            };
            prefix.pop();
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn cached(&self, nodes: &Nodes, key: &str) -> Result<u64, Failure> {
        if let Some(bits) = nodes.0.borrow().get(key) {
            return Ok(*bits);
        }
        let bits = self.node_bits(key)?;
        nodes.0.borrow_mut().insert(key.to_owned(), bits);
        Ok(bits)
    }

    fn node_bits(&self, key: &str) -> Result<u64, Failure> {
        let value = crate::kv::counter_value(self.kv.get(key)?.as_deref())
            .ok_or_else(|| Failure::Store(format!("{key} does not hold a counter")))?;
        Ok(u64::try_from(value).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::{digits, value};

    #[test]
    fn digits_spell_the_total_back() {
        for total in [0, 1, 31, 32, 1023, 1024, 70_000, u64::MAX] {
            assert_eq!(value(&digits(total)), total, "{total}");
        }
        assert_eq!(digits(0), vec![0]);
        assert_eq!(digits(32), vec![1, 0]);
        assert_eq!(digits(u64::MAX).len(), super::MAX_CLASS);
    }
}
