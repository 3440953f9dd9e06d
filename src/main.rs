//! `orderflow`: runs this project's `spin.toml` locally, the way `spin up` (Spin 3.6) does, on
//! wasmtime. See docs/architecture.md, "The local runner".
//!
//! `orderflow up` builds stale components, loads and pre-instantiates every triggered component,
//! serves HTTP and fires cron schedules until Ctrl-C (or SIGTERM), then stops accepting, lets
//! running instances finish and exits. `orderflow build` only builds.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use orderflow::kv::{self, BackendKind};
use orderflow::routes::Router;
use orderflow::runtime::{Limits, LoadOptions, Runtime};
use orderflow::runtime_config;
use orderflow::server::{HttpTrigger, InFlight};
use orderflow::{builder, cron, manifest, variables};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Runs orderflow's spin.toml locally (a Spin-compatible host)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build stale components, then serve the application.
    Up(UpArgs),
    /// Build the components whose .wasm is missing or older than their sources.
    Build {
        /// The application manifest.
        #[arg(long, short = 'f', default_value = "spin.toml")]
        manifest: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// Address to serve HTTP on (port 0 picks a free port; the log says which).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// The application manifest.
    #[arg(long, short = 'f', default_value = "spin.toml")]
    manifest: PathBuf,
    /// Where the key-value database lives [default: .spin next to the manifest].
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Set an application variable: NAME=VALUE (repeatable; beats SPIN_VARIABLE_NAME).
    #[arg(long = "variable", value_name = "NAME=VALUE")]
    variables: Vec<String>,
    /// Key-value backend (`sqlite` group-commits; a runtime config file chooses Spin's own).
    #[arg(long, value_enum, default_value = "sqlite")]
    key_value_store: BackendKind,
    /// Spin's runtime config file: `[key_value_store.default] type = "spin"` serves the store
    /// as Spin does, a commit per call; `type = "redis"` with a `url` serves it from a Redis
    /// server as Spin's Redis store does.
    #[arg(long, conflicts_with = "key_value_store")]
    runtime_config_file: Option<PathBuf>,
    /// Longest a request or cron event may run, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    time_limit_ms: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 10 << 20)]
    max_body_bytes: usize,
    /// Answer every HTTP request with a header `orderflow-kv-calls: calls=<n>; writes=<m>`: the
    /// key-value calls the component made before setting its response, and how many wrote.
    #[arg(long)]
    count_kv_calls: bool,
    /// Do not build stale components first.
    #[arg(long)]
    no_build: bool,
    /// Test only: a compare-and-swap that succeeds writes its value but reports `cas-failed`,
    /// as Spin 3.6.3 and 4.0.1 do with a Redis store.
    #[arg(long, hide = true)]
    test_cas_reports_failure: bool,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,wasmtime=warn,cranelift=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Build { manifest } => {
            let app = manifest::load(&manifest)?;
            let built = builder::build(&app)?;
            tracing::info!("built {} component(s): {}", built.len(), built.join(", "));
            Ok(())
        }
        Command::Up(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?
            .block_on(up(args)),
    }
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let app = manifest::load(&args.manifest)?;
    if !args.no_build {
        builder::build(&app)?;
    }
    let values = variables::resolve_app(&app, &args.variables, |k| std::env::var(k).ok())?;
    let state_dir = args.state_dir.unwrap_or_else(|| app.dir.join(".spin"));
    let configured = match &args.runtime_config_file {
        Some(file) => runtime_config::load(file)?.default_store,
        None => None,
    };
    let store_name = match &configured {
        Some(runtime_config::KeyValueStore::Spin { .. }) => "spin (runtime config)".to_owned(),
        Some(runtime_config::KeyValueStore::Redis { url }) => {
            format!("redis at {url} (runtime config)")
        }
        None => format!("{:?}", args.key_value_store),
    };
    let backend = match &configured {
        Some(runtime_config::KeyValueStore::Spin { path }) => {
            kv::open_spin(path.as_deref(), &state_dir)?
        }
        Some(runtime_config::KeyValueStore::Redis { url }) => {
            let backend = kv::open_redis(url)?;
            // Spin connects on the first open; say now if that will fail.
            if let Err(e) = backend.open_store("default") {
                tracing::warn!("cannot reach Redis at {url} yet: {e}");
            }
            backend
        }
        None => kv::open(args.key_value_store, &state_dir)?,
    };
    let store = backend.clone();
    let router = Router::build(
        &app.http_base,
        app.http_triggers
            .iter()
            .map(|t| (t.component.as_str(), &t.route)),
    )?;
    let runtime = Arc::new(Runtime::load(LoadOptions {
        app: &app,
        variables: &values,
        backend,
        cas_reports_failure: args.test_cas_reports_failure,
        limits: Limits {
            time_limit: Duration::from_millis(args.time_limit_ms),
        },
        http_components: app
            .http_triggers
            .iter()
            .map(|t| t.component.clone())
            .collect::<BTreeSet<_>>(),
        cron_components: app
            .cron_triggers
            .iter()
            .map(|t| t.component.clone())
            .collect::<BTreeSet<_>>(),
    })?);
    if !runtime.pooling() {
        tracing::warn!("running without the pooling allocator: instantiation is slower");
    }

    let listener = HttpTrigger::bind(args.listen).await?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let in_flight = Arc::new(InFlight::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    for t in &app.cron_triggers {
        let component = runtime
            .component(&t.component)
            .cloned()
            .with_context(|| format!("cron component {} was not loaded", t.component))?;
        let schedule = cron::parse(&t.cron_expression)?;
        tokio::spawn(cron::run_schedule(
            runtime.clone(),
            component,
            schedule,
            in_flight.clone(),
            stop_rx.clone(),
        ));
    }
    let trigger = Arc::new(HttpTrigger::new(
        runtime.clone(),
        router,
        args.max_body_bytes,
        in_flight.clone(),
        args.count_kv_calls,
    ));
    tracing::info!(
        "Serving http://{addr} ({} http route(s), {} cron trigger(s), key-value: {store_name})",
        app.http_triggers.len(),
        app.cron_triggers.len(),
    );
    trigger.serve(listener, shutdown_signal()).await;
    tracing::info!("stopping: waiting for running components");
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(
        Duration::from_millis(args.time_limit_ms) + Duration::from_secs(1),
        in_flight.wait_idle(),
    )
    .await;
    if drained.is_err() {
        tracing::warn!("some components were still running at exit");
    }
    if let Err(e) = store.flush() {
        tracing::error!("key-value writes not committed at exit: {e}");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
