//! An in-memory [`Kv`] for tests: Spin's semantics (an absent key at `current` makes the swap an
//! unconditional upsert; `increment` only on 8-byte counters), seeding, a log of calls, and the
//! faults the service must survive: a write slipped in between `current` and `swap`, Redis-backed
//! Spin reporting a successful swap as `cas-failed`, and a crash that loses writes.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};

use crate::{Kv, KvError, Swap};

/// A call, as the store saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Get(String),
    Set(String),
    Delete(String),
    Increment(String, i64),
    CasCurrent(String),
    CasSwap(String),
}

/// Runs between a `cas_current` and its `cas_swap`, with the store, like a concurrent writer.
pub type Interleaving = Box<dyn FnOnce(&MemoryKv)>;

/// The in-memory store.
#[derive(Default)]
pub struct MemoryKv {
    data: RefCell<BTreeMap<String, Vec<u8>>>,
    calls: RefCell<Vec<Call>>,
    interleavings: RefCell<VecDeque<Interleaving>>,
    after_swaps: RefCell<VecDeque<Interleaving>>,
    /// How many successful swaps to report as `cas-failed` (the Redis fault).
    lying_swaps: Cell<usize>,
    /// How many successful swaps to answer with a store error (the write happened).
    erring_swaps: Cell<usize>,
    /// Keys (by prefix) whose writes fail, as if the process died before them.
    failing: RefCell<Vec<String>>,
}

impl std::fmt::Debug for MemoryKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryKv")
            .field("keys", &self.data.borrow().len())
            .finish_non_exhaustive()
    }
}

impl MemoryKv {
    /// An empty store.
    pub fn new() -> Self {
        MemoryKv::default()
    }

    /// Puts a value in place, as if written earlier.
    pub fn seed(&self, key: &str, value: &[u8]) {
        self.data
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
    }

    /// The value at `key`, without recording a call.
    pub fn peek(&self, key: &str) -> Option<Vec<u8>> {
        self.data.borrow().get(key).cloned()
    }

    /// Every key, without recording a call.
    pub fn keys(&self) -> Vec<String> {
        self.data.borrow().keys().cloned().collect()
    }

    /// The calls so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.calls.borrow_mut().clear();
    }

    /// Runs `f` inside the next compare-and-swap, between `current` and `swap`.
    pub fn interleave(&self, f: impl FnOnce(&MemoryKv) + 'static) {
        self.interleavings.borrow_mut().push_back(Box::new(f));
    }

    /// Runs `f` right after the next swap has written, before its caller hears back.
    pub fn after_next_swap(&self, f: impl FnOnce(&MemoryKv) + 'static) {
        self.after_swaps.borrow_mut().push_back(Box::new(f));
    }

    /// Whether injected writers are still waiting for a swap.
    pub fn has_pending_hooks(&self) -> bool {
        !self.interleavings.borrow().is_empty() || !self.after_swaps.borrow().is_empty()
    }

    /// Reports the next `n` successful swaps as `cas-failed`, as Redis-backed Spin does.
    pub fn lie_about_swaps(&self, n: usize) {
        self.lying_swaps.set(n);
    }

    /// Answers the next `n` successful swaps with a store error: the caller cannot know whether
    /// its write happened.
    pub fn err_after_swaps(&self, n: usize) {
        self.erring_swaps.set(n);
    }

    /// Makes every write to a key starting with `prefix` fail until [`MemoryKv::heal`].
    pub fn fail_writes_under(&self, prefix: &str) {
        self.failing.borrow_mut().push(prefix.to_owned());
    }

    /// Ends every injected write failure.
    pub fn heal(&self) {
        self.failing.borrow_mut().clear();
    }

    fn record(&self, call: Call) {
        self.calls.borrow_mut().push(call);
    }

    fn check_writable(&self, key: &str) -> Result<(), KvError> {
        if self.failing.borrow().iter().any(|p| key.starts_with(p)) {
            Err(KvError(format!("injected failure writing {key}")))
        } else {
            Ok(())
        }
    }
}

/// A compare-and-swap in progress: the key and what `current` saw.
#[derive(Debug)]
pub struct MemoryCas {
    key: String,
    seen: Option<Vec<u8>>,
}

impl Kv for MemoryKv {
    type Cas = MemoryCas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.record(Call::Get(key.to_owned()));
        Ok(self.peek(key))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.record(Call::Set(key.to_owned()));
        self.check_writable(key)?;
        self.seed(key, value);
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.record(Call::Delete(key.to_owned()));
        self.check_writable(key)?;
        self.data.borrow_mut().remove(key);
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.record(Call::Increment(key.to_owned(), delta));
        self.check_writable(key)?;
        let mut data = self.data.borrow_mut();
        let old = match data.get(key) {
            None => 0,
            // Spin's host panics here; a test must never get this far.
            Some(bytes) => i64::from_le_bytes(
                <[u8; 8]>::try_from(bytes.as_slice())
                    .map_err(|_| KvError(format!("increment of a non-counter key {key}")))?,
            ),
        };
        let new = old + delta;
        data.insert(key.to_owned(), new.to_le_bytes().to_vec());
        Ok(new)
    }

    fn cas_current(&self, key: &str) -> Result<(MemoryCas, Option<Vec<u8>>), KvError> {
        self.record(Call::CasCurrent(key.to_owned()));
        let seen = self.peek(key);
        Ok((
            MemoryCas {
                key: key.to_owned(),
                seen: seen.clone(),
            },
            seen,
        ))
    }

    fn cas_swap(&self, cas: MemoryCas, value: &[u8]) -> Result<Swap, KvError> {
        let next = self.interleavings.borrow_mut().pop_front();
        if let Some(concurrent) = next {
            concurrent(self);
        }
        self.record(Call::CasSwap(cas.key.clone()));
        self.check_writable(&cas.key)?;
        let now = self.peek(&cas.key);
        // Spin: a key absent at `current` is upserted whatever it holds now.
        if cas.seen.is_some() && now != cas.seen {
            return Ok(Swap::Failed);
        }
        self.seed(&cas.key, value);
        let after = self.after_swaps.borrow_mut().pop_front();
        if let Some(concurrent) = after {
            concurrent(self);
        }
        let errs = self.erring_swaps.get();
        if errs > 0 {
            self.erring_swaps.set(errs - 1);
            return Err(KvError(format!(
                "injected failure after swapping {}",
                cas.key
            )));
        }
        let lies = self.lying_swaps.get();
        if lies > 0 {
            self.lying_swaps.set(lies - 1);
            return Ok(Swap::Failed);
        }
        Ok(Swap::Swapped)
    }
}
