//! The per-instance host state and the Spin imports it implements: `fermyon:spin/key-value`,
//! `fermyon:spin/variables` (2.0.0) and `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2`.
//!
//! Behaviour and error variants follow spinframework/spin `crates/factor-key-value/src/host.rs`
//! and `crates/factor-variables/src/host.rs` (v3.6.3). WASI and `wasi:http` come from
//! `wasmtime-wasi` and `wasmtime-wasi-http`; this module only wires their views.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::kv::{self, Backend, KvError, SwapError};
use crate::outbound::OutboundHooks;
use crate::variables::{ComponentVariables, LookupError};

/// Host bindings generated from the vendored WIT in `wit/deps/`.
#[expect(missing_docs, reason = "generated from WIT")]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: [
            "wit/deps/spin@2.0.0",
            "wit/deps/keyvalue@0.2.0-draft2",
        ],
        inline: "
            package orderflow:runner;

            world spin-imports {
                import fermyon:spin/key-value@2.0.0;
                import fermyon:spin/variables@2.0.0;
                import wasi:keyvalue/store@0.2.0-draft2;
                import wasi:keyvalue/atomics@0.2.0-draft2;
                import wasi:keyvalue/batch@0.2.0-draft2;
            }
        ",
        world: "spin-imports",
        imports: { default: trappable },
        with: {
            "fermyon:spin/key-value.store": super::OpenStore,
            "wasi:keyvalue/store.bucket": super::OpenStore,
            "wasi:keyvalue/atomics.cas": super::CasHandle,
        },
    });

    /// The cron trigger's world (spinframework/spin-trigger-cron `cron.wit`).
    pub mod cron {
        wasmtime::component::bindgen!({
            path: "wit/deps/spin-cron@2.0.0",
            world: "spin-cron",
            imports: { default: trappable },
            exports: { default: async },
        });
    }
}

use bindings::fermyon::spin::{key_value, variables};
use bindings::wasi::keyvalue::{atomics, batch, store};

/// Spin's `DEFAULT_STORE_TABLE_CAPACITY`: open stores, and open CAS handles, per instance.
const STORE_TABLE_CAPACITY: usize = 256;
/// Spin's `MAX_HOST_BUFFERED_BYTES` (`crates/world/src/lib.rs`): the largest value returned.
const MAX_HOST_BUFFERED_BYTES: usize = 128 << 20;

/// An open key-value store (Spin `store` or wasi `bucket`): the label it was opened with.
#[derive(Debug)]
pub struct OpenStore {
    label: String,
}

/// A compare-and-swap handle: its key, and the value `current()` last saw or the backend's own
/// compare-and-swap (Redis).
#[derive(Debug)]
pub struct CasHandle {
    label: String,
    key: String,
    state: CasState,
}

#[derive(Debug)]
enum CasState {
    /// The host swaps with [`Backend::swap`] against what `current()` saw.
    Seen(Option<Vec<u8>>),
    /// The backend runs it.
    Backend(Box<dyn kv::Cas>),
}

/// The key-value calls one instance made: every guest call of a key-value function but `open`
/// and the compare-and-swap handle's `new` (which reach no data), and of them the writes (set,
/// delete, set-many, delete-many, increment, a compare-and-swap's `swap`). Calls that fail, or
/// batches with nothing in them, count too: they are what the guest asked for.
#[derive(Debug, Default)]
pub struct KvCalls {
    calls: AtomicU32,
    writes: AtomicU32,
}

impl KvCalls {
    fn read(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// The calls so far and how many of them were writes.
    pub fn counts(&self) -> (u32, u32) {
        (
            self.calls.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }

    /// The counts as the `orderflow-kv-calls` response header shows them.
    pub fn header_value(&self) -> String {
        let (calls, writes) = self.counts();
        format!("calls={calls}; writes={writes}")
    }
}

/// What every instance of one component shares: its grants and its backend.
#[derive(Debug, Clone)]
pub struct KeyValueGrants {
    /// The backend every store lives in.
    pub backend: Arc<dyn Backend>,
    /// The labels from the component's `key_value_stores`.
    pub allowed: Arc<BTreeSet<String>>,
    /// Test-only: a swap that succeeds still reports `cas-failed`, as Spin 3.6.3 and 4.0.1 do
    /// with a Redis store (docs/architecture.md, "Writes").
    pub cas_reports_failure: bool,
}

/// The data of one `wasmtime::Store`: one request or one cron event.
pub struct InstanceState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    table: ResourceTable,
    kv: KeyValueGrants,
    open_stores: usize,
    open_cas: usize,
    calls: Arc<KvCalls>,
    variables: Arc<ComponentVariables>,
    limits: wasmtime::StoreLimits,
}

impl std::fmt::Debug for InstanceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceState").finish_non_exhaustive()
    }
}

impl InstanceState {
    /// Fresh state for one instance.
    pub fn new(
        wasi: WasiCtx,
        hooks: OutboundHooks,
        kv: KeyValueGrants,
        variables: Arc<ComponentVariables>,
        limits: wasmtime::StoreLimits,
    ) -> Self {
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            hooks,
            table: ResourceTable::new(),
            kv,
            open_stores: 0,
            open_cas: 0,
            calls: Arc::default(),
            variables,
            limits,
        }
    }

    /// The key-value calls this instance has made so far (shared: it keeps counting).
    pub fn kv_calls(&self) -> Arc<KvCalls> {
        self.calls.clone()
    }

    /// The memory limits the store enforces.
    pub fn limits(&mut self) -> &mut wasmtime::StoreLimits {
        &mut self.limits
    }

    fn open(&mut self, label: String) -> Result<OpenStore, key_value::Error> {
        if !self.kv.allowed.contains(&label) {
            return Err(key_value::Error::AccessDenied);
        }
        self.kv.backend.open_store(&label).map_err(spin_err)?;
        if self.open_stores >= STORE_TABLE_CAPACITY {
            return Err(key_value::Error::StoreTableFull);
        }
        self.open_stores += 1;
        Ok(OpenStore { label })
    }

    fn label(&self, store: &Resource<OpenStore>) -> wasmtime::Result<String> {
        Ok(self.table.get(store)?.label.clone())
    }

    fn close(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.open_stores = self.open_stores.saturating_sub(1);
        Ok(())
    }

    fn run<T>(&self, op: impl FnOnce(&dyn Backend) -> Result<T, KvError>) -> Result<T, KvError> {
        blocking(|| op(self.kv.backend.as_ref()))
    }
}

/// Runs a backend call inline. Every call is one short SQLite statement or transaction (tens of
/// microseconds, no fsync), a map lookup or a Redis round trip (with a time limit), so it runs on
/// the worker thread: Spin's `block_in_place` around each call costs a thread hand-off that
/// outweighs the work.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    f()
}

fn within_limit(value: Option<Vec<u8>>) -> Result<Option<Vec<u8>>, KvError> {
    match value {
        Some(v) if v.len() > MAX_HOST_BUFFERED_BYTES => Err(KvError::Sqlite(format!(
            "query result exceeds limit of {MAX_HOST_BUFFERED_BYTES} bytes"
        ))),
        other => Ok(other),
    }
}

fn spin_err(e: KvError) -> key_value::Error {
    key_value::Error::Other(e.to_string())
}

fn wasi_err(e: KvError) -> store::Error {
    store::Error::Other(e.to_string())
}

/// Spin's `to_wasi_err`.
fn to_wasi(e: key_value::Error) -> store::Error {
    match e {
        key_value::Error::AccessDenied => store::Error::AccessDenied,
        key_value::Error::NoSuchStore => store::Error::NoSuchStore,
        key_value::Error::StoreTableFull => store::Error::Other("store table full".to_owned()),
        key_value::Error::Other(m) => store::Error::Other(m),
    }
}

/// Adds every import a spin-sdk 5.x component may use to `linker`.
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    bindings::SpinImports::add_to_linker::<_, HasSelf<InstanceState>>(linker, |s| s)?;
    Ok(())
}

/// Adds the cron world's (type-only) import.
pub fn add_cron_to_linker(linker: &mut Linker<InstanceState>) -> wasmtime::Result<()> {
    bindings::cron::SpinCron::add_to_linker::<_, HasSelf<InstanceState>>(linker, |s| s)
}

impl bindings::cron::fermyon::spin_cron::cron_types::Host for InstanceState {}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl variables::Host for InstanceState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        Ok(self.variables.get(&name).map_err(|e| match e {
            LookupError::InvalidName(m) => variables::Error::InvalidName(m),
            LookupError::Undefined(m) => variables::Error::Undefined(m),
        }))
    }
}

type SpinResult<T> = wasmtime::Result<Result<T, key_value::Error>>;

impl key_value::Host for InstanceState {}

impl key_value::HostStore for InstanceState {
    fn open(&mut self, label: String) -> SpinResult<Resource<OpenStore>> {
        match self.open(label) {
            Ok(store) => Ok(Ok(self.table.push(store)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    fn get(&mut self, store: Resource<OpenStore>, key: String) -> SpinResult<Option<Vec<u8>>> {
        self.calls.read();
        let label = self.label(&store)?;
        Ok(self
            .run(|b| within_limit(b.get(&label, &key)?))
            .map_err(spin_err))
    }

    fn set(&mut self, store: Resource<OpenStore>, key: String, value: Vec<u8>) -> SpinResult<()> {
        self.calls.write();
        let label = self.label(&store)?;
        Ok(self.run(|b| b.set(&label, &key, &value)).map_err(spin_err))
    }

    fn delete(&mut self, store: Resource<OpenStore>, key: String) -> SpinResult<()> {
        self.calls.write();
        let label = self.label(&store)?;
        Ok(self.run(|b| b.delete(&label, &key)).map_err(spin_err))
    }

    fn exists(&mut self, store: Resource<OpenStore>, key: String) -> SpinResult<bool> {
        self.calls.read();
        let label = self.label(&store)?;
        Ok(self.run(|b| b.exists(&label, &key)).map_err(spin_err))
    }

    fn get_keys(&mut self, store: Resource<OpenStore>) -> SpinResult<Vec<String>> {
        self.calls.read();
        let label = self.label(&store)?;
        Ok(self.run(|b| b.keys(&label)).map_err(spin_err))
    }

    fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.close(store)
    }
}

type WasiResult<T> = wasmtime::Result<Result<T, store::Error>>;

impl store::Host for InstanceState {
    fn open(&mut self, identifier: String) -> WasiResult<Resource<OpenStore>> {
        match self.open(identifier) {
            Ok(store) => Ok(Ok(self.table.push(store)?)),
            Err(e) => Ok(Err(to_wasi(e))),
        }
    }
}

impl store::HostBucket for InstanceState {
    fn get(&mut self, bucket: Resource<OpenStore>, key: String) -> WasiResult<Option<Vec<u8>>> {
        self.calls.read();
        let label = self.label(&bucket)?;
        Ok(self
            .run(|b| within_limit(b.get(&label, &key)?))
            .map_err(wasi_err))
    }

    fn set(&mut self, bucket: Resource<OpenStore>, key: String, value: Vec<u8>) -> WasiResult<()> {
        self.calls.write();
        let label = self.label(&bucket)?;
        Ok(self.run(|b| b.set(&label, &key, &value)).map_err(wasi_err))
    }

    fn delete(&mut self, bucket: Resource<OpenStore>, key: String) -> WasiResult<()> {
        self.calls.write();
        let label = self.label(&bucket)?;
        Ok(self.run(|b| b.delete(&label, &key)).map_err(wasi_err))
    }

    fn exists(&mut self, bucket: Resource<OpenStore>, key: String) -> WasiResult<bool> {
        self.calls.read();
        let label = self.label(&bucket)?;
        Ok(self.run(|b| b.exists(&label, &key)).map_err(wasi_err))
    }

    fn list_keys(
        &mut self,
        bucket: Resource<OpenStore>,
        cursor: Option<String>,
    ) -> WasiResult<store::KeyResponse> {
        self.calls.read();
        if cursor.is_some() {
            return Ok(Err(store::Error::Other(
                "list_keys: cursor not supported".to_owned(),
            )));
        }
        let label = self.label(&bucket)?;
        Ok(self
            .run(|b| b.keys(&label))
            .map(|keys| store::KeyResponse { keys, cursor: None })
            .map_err(wasi_err))
    }

    fn drop(&mut self, bucket: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.close(bucket)
    }
}

impl batch::Host for InstanceState {
    fn get_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> WasiResult<crate::kv::Pairs> {
        self.calls.read();
        let label = self.label(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        match self.run(|b| b.get_many(&label, &keys)) {
            // Spin's host panics here (Redis): the instance ends, as a trap ends it.
            Err(KvError::HostPanic(why)) => Err(wasmtime::format_err!("{why}")),
            other => Ok(other.map_err(wasi_err)),
        }
    }

    fn set_many(
        &mut self,
        bucket: Resource<OpenStore>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> WasiResult<()> {
        self.calls.write();
        let label = self.label(&bucket)?;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        Ok(self
            .run(|b| b.set_many(&label, &key_values))
            .map_err(wasi_err))
    }

    fn delete_many(&mut self, bucket: Resource<OpenStore>, keys: Vec<String>) -> WasiResult<()> {
        self.calls.write();
        let label = self.label(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        Ok(self.run(|b| b.delete_many(&label, &keys)).map_err(wasi_err))
    }
}

impl atomics::HostCas for InstanceState {
    fn new(&mut self, bucket: Resource<OpenStore>, key: String) -> WasiResult<Resource<CasHandle>> {
        let label = self.label(&bucket)?;
        Ok(match self.new_cas(label, key) {
            Ok(handle) => Ok(self.table.push(handle)?),
            Err(e) => Err(e),
        })
    }

    fn current(&mut self, cas: Resource<CasHandle>) -> WasiResult<Option<Vec<u8>>> {
        self.calls.read();
        let handle = self.table.get_mut(&cas)?;
        Ok(current_of(&self.kv, handle).map_err(wasi_err))
    }

    fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        self.open_cas = self.open_cas.saturating_sub(1);
        Ok(())
    }
}

/// A handle's `current()`: the value now, remembered for the swap (or the backend's own).
fn current_of(kv: &KeyValueGrants, handle: &mut CasHandle) -> Result<Option<Vec<u8>>, KvError> {
    let value = match &mut handle.state {
        CasState::Seen(seen) => {
            let value = blocking(|| kv.backend.get(&handle.label, &handle.key))?;
            seen.clone_from(&value);
            value
        }
        CasState::Backend(cas) => blocking(|| cas.current())?,
    };
    within_limit(value)
}

impl InstanceState {
    /// A fresh compare-and-swap handle on `key`, counted against the capacity (the caller
    /// puts it in the table, or gives its slot back).
    fn new_cas(&mut self, label: String, key: String) -> Result<CasHandle, store::Error> {
        if self.open_cas >= STORE_TABLE_CAPACITY {
            return Err(store::Error::Other(
                "too many compare_and_swaps opened".to_owned(),
            ));
        }
        let state = match self.run(|b| b.new_cas(&label, &key)) {
            Ok(None) => CasState::Seen(None),
            Ok(Some(cas)) => CasState::Backend(cas),
            Err(e) => return Err(wasi_err(e)),
        };
        self.open_cas += 1;
        Ok(CasHandle { label, key, state })
    }

    /// Spin's answer to a failed swap: a fresh handle that has already read the current value
    /// (`host.rs`, `swap`).
    fn cas_failed(
        &mut self,
        label: String,
        key: String,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let mut fresh = match self.new_cas(label, key) {
            Ok(fresh) => fresh,
            Err(e) => return Ok(Err(atomics::CasError::StoreError(e))),
        };
        if let Err(e) = current_of(&self.kv, &mut fresh) {
            self.open_cas = self.open_cas.saturating_sub(1);
            return Ok(Err(atomics::CasError::StoreError(wasi_err(e))));
        }
        let fresh = self.table.push(fresh)?;
        Ok(Err(atomics::CasError::CasFailed(fresh)))
    }
}

impl atomics::Host for InstanceState {
    fn increment(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        delta: i64,
    ) -> WasiResult<i64> {
        self.calls.write();
        let label = self.label(&bucket)?;
        Ok(self
            .run(|b| b.increment(&label, &key, delta))
            .map_err(wasi_err))
    }

    fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        self.calls.write();
        let handle = self.table.delete(cas)?;
        self.open_cas = self.open_cas.saturating_sub(1);
        let CasHandle { label, key, state } = handle;
        match state {
            CasState::Seen(seen) => {
                let swapped = self.run(|b| b.swap(&label, &key, seen.as_deref(), &value));
                match swapped {
                    Err(e) => Ok(Err(atomics::CasError::StoreError(wasi_err(e)))),
                    Ok(true) if !self.kv.cas_reports_failure => Ok(Ok(())),
                    Ok(true | false) => self.cas_failed(label, key),
                }
            }
            CasState::Backend(mut cas) => {
                let swapped = blocking(|| cas.swap(&value));
                // Spin drops nothing here: the old handle's connection lives until the
                // instance ends; the runner closes it now (the guest cannot tell).
                drop(cas);
                match swapped {
                    Ok(()) => Ok(Ok(())),
                    Err(SwapError::CasFailed(why)) => {
                        tracing::debug!("swap of {key}: cas-failed ({why})");
                        self.cas_failed(label, key)
                    }
                    Err(SwapError::Other(e)) => Ok(Err(atomics::CasError::StoreError(wasi_err(e)))),
                }
            }
        }
    }
}
