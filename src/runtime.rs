//! The wasmtime side: one shared `Engine`, every component compiled and pre-instantiated at
//! start-up, and a fresh `Store` per request or cron event.
//!
//! Linking happens here, at load: a component importing something the runner does not provide
//! is refused before the first request, with the import named. Instances come from the pooling
//! allocator when the machine can reserve it (falling back to on-demand allocation), and every
//! store carries an epoch deadline: the guest yields to the async runtime every tick and traps
//! once the time limit has passed, so a runaway component cannot hold a worker thread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::host::bindings::cron::SpinCronPre;
use crate::host::{self, InstanceState, KeyValueGrants};
use crate::kv::Backend;
use crate::manifest::App;
use crate::outbound::{AllowedHostError, AllowedHosts, Chain, OutboundHooks};
use crate::variables::{ComponentVariables, VariableError};

/// How often the epoch advances; the granularity of the time limit and of guest yields.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Instances the pooling allocator can hold at once.
const POOLED_INSTANCES: u32 = 256;
/// The largest linear memory one instance may grow to.
const MAX_MEMORY_BYTES: usize = 256 << 20;
/// Bytes of each pooled linear memory reset with memset rather than madvise (Spin's default).
const KEEP_RESIDENT_MEMORY_BYTES: usize = 2 << 20;
/// Bytes of each pooled table reset with memset rather than madvise (Spin's default).
const KEEP_RESIDENT_TABLE_BYTES: usize = 512 << 10;

/// Why the application could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// wasmtime could not be configured.
    #[error("cannot set up wasmtime: {0}")]
    Engine(String),
    /// The component's `.wasm` file is missing.
    #[error("component {component:?}: {path} does not exist; {hint}")]
    MissingSource {
        /// The component id.
        component: String,
        /// The missing file.
        path: PathBuf,
        /// What to run to produce it.
        hint: String,
    },
    /// The file is not a valid component.
    #[error("component {component:?}: cannot compile {path}: {message}")]
    Compile {
        /// The component id.
        component: String,
        /// The file.
        path: PathBuf,
        /// wasmtime's message.
        message: String,
    },
    /// The component imports something the runner does not provide, or lacks an export.
    #[error("component {component:?} cannot run on this runner: {message}")]
    Link {
        /// The component id.
        component: String,
        /// wasmtime's message, which names the import or export.
        message: String,
    },
    /// A variable is missing or a template is wrong.
    #[error("component {component:?}: {source}")]
    Variables {
        /// The component id.
        component: String,
        /// The problem.
        source: VariableError,
    },
    /// An `allowed_outbound_hosts` entry cannot be honoured.
    #[error("component {component:?}: {source}")]
    AllowedHosts {
        /// The component id.
        component: String,
        /// The problem.
        source: AllowedHostError,
    },
}

/// Settings for every instance.
#[derive(Debug, Clone)]
pub struct Limits {
    /// How long one request or cron event may run.
    pub time_limit: Duration,
}

/// A compiled, linked component and everything its instances share.
pub struct LoadedComponent {
    id: String,
    proxy: Option<ProxyPre<InstanceState>>,
    cron: Option<SpinCronPre<InstanceState>>,
    kv: KeyValueGrants,
    hosts: Arc<AllowedHosts>,
    variables: Arc<ComponentVariables>,
    environment: Vec<(String, String)>,
}

impl std::fmt::Debug for LoadedComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedComponent")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl LoadedComponent {
    /// The component id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key-value backend its instances use.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.kv.backend
    }

    /// The pre-instantiated `wasi:http/incoming-handler`, if the component exports one.
    pub fn proxy(&self) -> Option<&ProxyPre<InstanceState>> {
        self.proxy.as_ref()
    }

    /// The pre-instantiated `handle-cron-event`, if the component exports it.
    pub fn cron(&self) -> Option<&SpinCronPre<InstanceState>> {
        self.cron.as_ref()
    }
}

/// The loaded application.
#[derive(Debug)]
pub struct Runtime {
    engine: Engine,
    components: BTreeMap<String, Arc<LoadedComponent>>,
    limits: Limits,
    pooling: bool,
}

/// What to load and how.
#[derive(Debug)]
pub struct LoadOptions<'a> {
    /// The application.
    pub app: &'a App,
    /// Resolved application variables.
    pub variables: &'a BTreeMap<String, String>,
    /// The key-value backend.
    pub backend: Arc<dyn Backend>,
    /// Test-only CAS fault mode (see [`KeyValueGrants::cas_reports_failure`]).
    pub cas_reports_failure: bool,
    /// Per-instance limits.
    pub limits: Limits,
    /// Components that must export `wasi:http/incoming-handler`.
    pub http_components: BTreeSet<String>,
    /// Components that must export `handle-cron-event`.
    pub cron_components: BTreeSet<String>,
}

fn engine() -> Result<(Engine, bool), LoadError> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    // For `perf record`: names the guest's compiled functions in /tmp/perf-<pid>.map.
    if std::env::var_os("ORDERFLOW_PERF_MAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if let Ok(cache) = wasmtime::Cache::from_file(None) {
        config.cache(Some(cache));
    }
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(POOLED_INSTANCES)
        .total_core_instances(POOLED_INSTANCES * 4)
        .total_memories(POOLED_INSTANCES * 2)
        .total_tables(POOLED_INSTANCES * 4)
        .max_memory_size(MAX_MEMORY_BYTES)
        // As Spin does (spinframework/spin `crates/core/src/lib.rs`): reset the low 2 MiB of each
        // linear memory and 512 KiB of each table with memset instead of madvise, so a reused
        // slot neither flushes TLBs on every request nor page-faults its memory back in.
        .linear_memory_keep_resident(KEEP_RESIDENT_MEMORY_BYTES)
        .table_keep_resident(KEEP_RESIDENT_TABLE_BYTES)
        // Beyond Spin 3.6: on Linux 6.7+ the PAGEMAP_SCAN ioctl finds the pages a request
        // actually dirtied, so only those are reset and none leaves the address space. This
        // halves the CPU a hello-world request costs (benches/runner.sh); older kernels and other
        // systems fall back to the memset/madvise reset above.
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&config) {
        Ok(engine) => Ok((engine, true)),
        Err(e) => {
            tracing::warn!("pooling allocator unavailable ({e}); instantiating on demand");
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            Engine::new(&config)
                .map(|e| (e, false))
                .map_err(|e| LoadError::Engine(e.to_string()))
        }
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`], for as long as the process lives (the
/// runner loads one application per process).
fn start_ticker(engine: &Engine) {
    let engine = engine.clone();
    let spawned = std::thread::Builder::new()
        .name("epoch-ticker".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the epoch ticker ({e}); time limits will not apply");
    }
}

impl Runtime {
    /// Compiles and links every component of `options.app`.
    pub fn load(options: LoadOptions<'_>) -> Result<Self, LoadError> {
        let (engine, pooling) = engine()?;
        start_ticker(&engine);
        let mut linker = Linker::new(&engine);
        let link_err = |e: wasmtime::Error| LoadError::Engine(format!("{e:?}"));
        host::add_to_linker(&mut linker).map_err(link_err)?;
        host::add_cron_to_linker(&mut linker).map_err(link_err)?;

        let mut components = BTreeMap::new();
        for (id, c) in &options.app.components {
            if !options.http_components.contains(id) && !options.cron_components.contains(id) {
                continue; // Spin also loads only components some trigger uses.
            }
            if !c.source.exists() {
                let hint = match &c.build {
                    Some(b) => format!(
                        "build it with `orderflow build` (runs `{}` in {})",
                        b.command,
                        b.workdir.display()
                    ),
                    None => "the manifest has no build command for it: check `source`".to_owned(),
                };
                return Err(LoadError::MissingSource {
                    component: id.clone(),
                    path: c.source.clone(),
                    hint,
                });
            }
            let started = Instant::now();
            let component =
                Component::from_file(&engine, &c.source).map_err(|e| LoadError::Compile {
                    component: id.clone(),
                    path: c.source.clone(),
                    message: format!("{e:#}"),
                })?;
            let link = |e: wasmtime::Error| LoadError::Link {
                component: id.clone(),
                message: format!("{e:#}"),
            };
            let pre = linker.instantiate_pre(&component).map_err(link)?;
            let proxy = if options.http_components.contains(id) {
                Some(ProxyPre::new(pre.clone()).map_err(link)?)
            } else {
                None
            };
            let cron = if options.cron_components.contains(id) {
                Some(SpinCronPre::new(pre.clone()).map_err(link)?)
            } else {
                None
            };
            let variables = ComponentVariables::render(id, &c.variables, options.variables)
                .map_err(|source| LoadError::Variables {
                    component: id.clone(),
                    source,
                })?;
            let hosts = c
                .allowed_outbound_hosts
                .iter()
                .map(|t| t.render(options.variables))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| LoadError::Variables {
                    component: id.clone(),
                    source,
                })?;
            let hosts = AllowedHosts::parse(&hosts).map_err(|source| LoadError::AllowedHosts {
                component: id.clone(),
                source,
            })?;
            tracing::debug!(component = %id, elapsed = ?started.elapsed(), "component loaded");
            components.insert(
                id.clone(),
                Arc::new(LoadedComponent {
                    id: id.clone(),
                    proxy,
                    cron,
                    kv: KeyValueGrants {
                        backend: options.backend.clone(),
                        allowed: Arc::new(c.key_value_stores.iter().cloned().collect()),
                        cas_reports_failure: options.cas_reports_failure,
                    },
                    hosts: Arc::new(hosts),
                    variables: Arc::new(variables),
                    environment: c.environment.clone().into_iter().collect(),
                }),
            );
        }
        Ok(Self {
            engine,
            components,
            limits: options.limits,
            pooling,
        })
    }

    /// Whether instances come from the pooling allocator.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// The loaded component `id`.
    pub fn component(&self, id: &str) -> Option<&Arc<LoadedComponent>> {
        self.components.get(id)
    }

    /// A fresh store for one instance of `component`, with its deadline armed; `chain` runs its
    /// service-chaining requests (the HTTP trigger's instances have one, cron events none).
    pub fn store(
        &self,
        component: &LoadedComponent,
        chain: Option<Arc<dyn Chain>>,
    ) -> Store<InstanceState> {
        let wasi = WasiCtx::builder()
            .inherit_stdout()
            .inherit_stderr()
            .envs(&component.environment)
            .build();
        let limits = wasmtime::StoreLimitsBuilder::new()
            .memory_size(MAX_MEMORY_BYTES)
            .build();
        let state = InstanceState::new(
            wasi,
            OutboundHooks::new(component.hosts.clone(), component.kv.backend.clone(), chain),
            component.kv.clone(),
            component.variables.clone(),
            limits,
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s.limits());
        let deadline = Instant::now() + self.limits.time_limit;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Ok(wasmtime::UpdateDeadline::Interrupt)
            } else {
                Ok(wasmtime::UpdateDeadline::Yield(1))
            }
        });
        store
    }

    /// The time limit of one instance.
    pub fn time_limit(&self) -> Duration {
        self.limits.time_limit
    }
}
