//! The application under test: the real `spin.toml`, its components built once per test binary
//! by the manifest's own build commands, and the real `orderflow` binary serving them on a free
//! loopback port over a fresh SQLite state directory outside the repository, or over a
//! redis-server of the test's own ([`Store::Redis`]; `ORDERFLOW_E2E_STORE=redis` runs every
//! suite's tests so), or as several hosts: runner processes sharing one redis-server, their
//! clients spreading requests over them ([`Deployment::multi_host`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::redis_server::RedisServer;
use super::{self as helpers, Reply, Runner};

/// The project's manifest, parsed.
pub(crate) fn manifest() -> &'static toml::Table {
    static MANIFEST: OnceLock<toml::Table> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        let text = std::fs::read_to_string(manifest_path()).expect("spin.toml is readable");
        text.parse().expect("spin.toml is TOML")
    })
}

/// The project's spin.toml.
pub(crate) fn manifest_path() -> PathBuf {
    helpers::root().join("spin.toml")
}

/// Whether spin.toml declares component `id` (the command components land while this suite is
/// written; their tests run once they are there).
pub(crate) fn has_component(id: &str) -> bool {
    manifest()
        .get("component")
        .and_then(toml::Value::as_table)
        .is_some_and(|components| components.contains_key(id))
}

/// Builds every component exactly as `spin build` would: each `[component.<id>.build] command`
/// of spin.toml, in order, through `sh -c`, from the manifest's directory (or the build's
/// `workdir`). Once per test binary. The commands name their outputs relative to the project
/// (`target/wasm32-wasip2/...`), so cargo's target dir is pinned to the project's `target/`
/// whatever the test run itself uses.
pub(crate) fn build_components() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = helpers::root();
        let components = manifest()
            .get("component")
            .and_then(toml::Value::as_table)
            .expect("spin.toml has components");
        for (id, component) in components {
            let Some(build) = component.get("build") else {
                continue;
            };
            let command = build
                .get("command")
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("component {id}: build without a command"));
            let workdir = build
                .get("workdir")
                .and_then(toml::Value::as_str)
                .map_or_else(|| root.clone(), |dir| root.join(dir));
            let status = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&workdir)
                .env("CARGO_TARGET_DIR", root.join("target"))
                .stdin(Stdio::null())
                .status()
                .expect("sh runs");
            assert!(status.success(), "component {id}: `{command}` failed");
        }
        // One runner compiles every component into wasmtime's cache before the tests start
        // theirs in parallel: each of them would otherwise compile all of them at once, on the
        // same cores, and a cold machine would take minutes to serve.
        let state = state_dir("compile-once");
        let mut runner = serve(
            &manifest_path(),
            &state,
            Store::Sqlite(Cas::Honest).into(),
            None,
        );
        runner.signal_and_wait(15);
    });
}

/// A value for every variable spin.toml declares as required (tokens, the webhook secret), so
/// the runner starts whatever components have landed, and the loopback as the hosts webhooks
/// may reach.
pub(crate) fn variables() -> Vec<(String, String)> {
    manifest()
        .get("variables")
        .and_then(toml::Value::as_table)
        .map(|variables| {
            variables
                .iter()
                .filter(|(_, spec)| {
                    spec.get("required").and_then(toml::Value::as_bool) == Some(true)
                })
                .map(|(name, _)| (name.clone(), secret(name)))
                // Webhook receivers in the tests listen on loopback.
                .chain([("webhook_hosts".to_owned(), "http://127.0.0.1:*".to_owned())])
                .collect()
        })
        .unwrap_or_default()
}

/// A copy of spin.toml (its `source` paths absolute) whose two cron triggers, the
/// subscription-runner's (every minute) and the integrations-runner's (at second 30), fire every
/// second instead: what [`Deployment::multi_host`] serves, so that every host's cron passes
/// overlap one another and the test's requests all along. Written once per test binary.
pub(crate) fn every_second_manifest() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let real = std::fs::read_to_string(manifest_path()).expect("spin.toml is readable");
        let mut fast = real.replace(
            "source = \"target/",
            &format!("source = \"{}/target/", helpers::root().display()),
        );
        for every_minute in ["0 * * * * *", "30 * * * * *"] {
            let line = format!("cron_expression = \"{every_minute}\"");
            assert!(fast.contains(&line), "spin.toml has no `{line}`");
            fast = fast.replace(&line, "cron_expression = \"* * * * * *\"");
        }
        let file = helpers::scratch("every-second-manifest").join("spin.toml");
        std::fs::write(&file, fast).expect("the every-second manifest is written");
        file
    })
    .clone()
}

/// The value the suite gives variable `name`.
pub(crate) fn secret(name: &str) -> String {
    format!("e2e-{name}-0123456789")
}

/// A fresh, empty state directory under the system's temporary directory.
pub(crate) fn state_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "orderflow-e2e-{}/{name}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the state dir can be created");
    dir
}

/// How the key-value store reports compare-and-swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cas {
    /// As SQLite-backed Spin: a swap that succeeds says so.
    Honest,
    /// As Redis-backed Spin 3.6.3 and 4.0.1: a swap that succeeds writes and reports
    /// `cas-failed` (the runner's `--test-cas-reports-failure`).
    ReportsFailure,
}

/// Where the app keeps its key-value store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Store {
    /// The runner's SQLite file, its swaps reporting as `Cas` says.
    Sqlite(Cas),
    /// A redis-server of the test's own, named by a runtime config (`type = "redis"`): Spin's
    /// Redis store, whose swaps report `cas-failed` after writing for real.
    Redis,
}

impl From<Cas> for Store {
    fn from(cas: Cas) -> Self {
        Self::Sqlite(cas)
    }
}

impl Store {
    /// The store `ORDERFLOW_E2E_STORE` names (`sqlite`, the default, or `redis`), with `cas`
    /// for SQLite.
    pub(crate) fn from_env(cas: Cas) -> Self {
        match std::env::var("ORDERFLOW_E2E_STORE").as_deref() {
            Err(_) | Ok("" | "sqlite") => Self::Sqlite(cas),
            Ok("redis") => Self::Redis,
            Ok(other) => panic!("ORDERFLOW_E2E_STORE={other}: expected sqlite or redis"),
        }
    }
}

/// How many runner processes serve the app, and on which store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deployment {
    /// Where the app keeps its store; shared by every host.
    pub(crate) store: Store,
    /// Runner processes serving the app, each on its own port and state directory: the hosts
    /// of one deployment. More than one needs a store they can share ([`Store::Redis`]).
    pub(crate) hosts: usize,
    /// Whether the runners count each request's key-value calls (`--count-kv-calls`: the
    /// `orderflow-kv-calls` answer header).
    pub(crate) count_kv_calls: bool,
}

/// How many hosts [`Deployment::multi_host`] runs.
pub(crate) const HOSTS: usize = 3;

impl Deployment {
    /// [`HOSTS`] runner processes on one redis-server of the test's own, as a store deploys the
    /// app on several Spin hosts: the same runtime config (`type = "redis"`) for all, each its
    /// own port and state directory, and each running its cron components, which fire every
    /// second there ([`every_second_manifest`]). The app's clients send each request to the
    /// next host in turn (no load balancer: [`Client`]).
    pub(crate) const fn multi_host() -> Self {
        Self {
            store: Store::Redis,
            hosts: HOSTS,
            count_kv_calls: false,
        }
    }
}

impl From<Store> for Deployment {
    /// One host on `store`.
    fn from(store: Store) -> Self {
        Self {
            store,
            hosts: 1,
            count_kv_calls: false,
        }
    }
}

impl From<Cas> for Deployment {
    /// One host on SQLite whose swaps report as `cas` says.
    fn from(cas: Cas) -> Self {
        Store::Sqlite(cas).into()
    }
}

/// The application served by a runner process, or by several ([`Deployment::hosts`]).
pub(crate) struct App {
    /// One per host, in host order; killed on drop (before the redis-server, a field below).
    runners: Vec<Runner>,
    /// The state directory (kept across [`App::restart`]); with several hosts, each has its
    /// own under it (`host-<n>`).
    pub(crate) state: PathBuf,
    deployment: Deployment,
    manifest: PathBuf,
    /// The redis-server of [`Store::Redis`]: it outlives a killed runner.
    redis: Option<RedisServer>,
    /// The runtime config naming the redis-server, the same file for every host.
    runtime_config: Option<PathBuf>,
    /// Whose turn the next request is, among the hosts: shared by every client of the app.
    turn: Arc<AtomicUsize>,
}

impl App {
    /// Builds the components (once) and serves the real spin.toml on a fresh state directory
    /// (on Redis when `ORDERFLOW_E2E_STORE=redis`).
    pub(crate) fn start(name: &str) -> Self {
        Self::start_with(name, Cas::Honest)
    }

    /// As [`App::start`], with the store's compare-and-swap behaving as `cas` says (on Redis
    /// when `ORDERFLOW_E2E_STORE=redis`, whose swaps report failure for real).
    pub(crate) fn start_with(name: &str, cas: Cas) -> Self {
        Self::start_manifest(name, cas, manifest_path())
    }

    /// As [`App::start`], on `deployment` (a [`Store`], or [`Deployment::multi_host`]) whatever
    /// the environment says.
    pub(crate) fn start_on(name: &str, deployment: impl Into<Deployment>) -> Self {
        let deployment = deployment.into();
        let manifest = if deployment.hosts > 1 {
            every_second_manifest()
        } else {
            manifest_path()
        };
        Self::start_deployment(name, deployment, manifest)
    }

    /// As [`App::start_with`], serving `manifest`: a variant of spin.toml a test wrote (a faster
    /// cron schedule, say), its `source` paths absolute. The components are the real ones.
    pub(crate) fn start_manifest(name: &str, cas: Cas, manifest: PathBuf) -> Self {
        Self::start_deployment(name, Store::from_env(cas).into(), manifest)
    }

    fn start_deployment(name: &str, deployment: Deployment, manifest: PathBuf) -> Self {
        assert!(deployment.hosts >= 1, "{deployment:?}: no host");
        assert!(
            deployment.hosts == 1 || deployment.store == Store::Redis,
            "{deployment:?}: several hosts share a store on Redis only"
        );
        build_components();
        let state = state_dir(name);
        let redis = (deployment.store == Store::Redis).then(|| {
            let dir = state.join("redis");
            std::fs::create_dir_all(&dir).expect("the redis-server's dir can be created");
            RedisServer::start(&dir)
        });
        let mut app = Self {
            runners: Vec::with_capacity(deployment.hosts),
            runtime_config: redis.as_ref().map(RedisServer::runtime_config),
            state,
            deployment,
            manifest,
            redis,
            turn: Arc::new(AtomicUsize::new(0)),
        };
        // A host that fails to start panics here: the app is dropped, and with it the hosts
        // already started and the redis-server.
        app.serve_hosts();
        app
    }

    /// Starts every host, each on its own state directory.
    fn serve_hosts(&mut self) {
        self.runners.clear();
        for host in 0..self.deployment.hosts {
            let state = self.host_state(host);
            let runner = serve(
                &self.manifest,
                &state,
                self.deployment,
                self.runtime_config.as_deref(),
            );
            self.runners.push(runner);
        }
    }

    /// The state directory of host `host`: the app's own with one host.
    fn host_state(&self, host: usize) -> PathBuf {
        if self.deployment.hosts == 1 {
            return self.state.clone();
        }
        let dir = self.state.join(format!("host-{host}"));
        std::fs::create_dir_all(&dir).expect("the host's state dir can be created");
        dir
    }

    /// Where the app keeps its store.
    pub(crate) fn store(&self) -> Store {
        self.deployment.store
    }

    /// How many hosts serve it.
    pub(crate) fn hosts(&self) -> usize {
        self.runners.len()
    }

    /// A connection to the app's redis-server ([`Store::Redis`] only), to look at or change
    /// what it holds.
    pub(crate) fn redis(&self) -> redis::Connection {
        self.redis
            .as_ref()
            .expect("the app runs on Redis (Store::Redis)")
            .connection()
    }

    /// Where it serves (the first host, with several).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.runners[0].addr
    }

    /// The runner's log so far; with several hosts, each host's after a `host <n>:` line.
    pub(crate) fn log(&self) -> String {
        match self.runners.as_slice() {
            [runner] => runner.log(),
            runners => runners
                .iter()
                .enumerate()
                .map(|(host, runner)| format!("host {host}:\n{}", runner.log()))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// Each host's log so far, in host order.
    pub(crate) fn logs(&self) -> Vec<String> {
        self.runners.iter().map(Runner::log).collect()
    }

    /// The process ids of every host's runner and of the redis-server, if any: all gone once
    /// the app is dropped.
    pub(crate) fn pids(&self) -> Vec<i32> {
        self.runners
            .iter()
            .map(Runner::pid)
            .chain(self.redis.as_ref().map(RedisServer::pid))
            .collect()
    }

    /// SIGKILLs the runner, every host's (no chance to finish anything), and waits for it to be
    /// gone.
    pub(crate) fn kill(&mut self) {
        for runner in &mut self.runners {
            let status = runner.signal_and_wait(9);
            assert!(!status.success(), "SIGKILL ends the runner: {status}");
        }
    }

    /// The runner's SQLite key-value file (Spin's name and schema), to inspect or damage while
    /// the runner is down.
    pub(crate) fn database(&self) -> PathBuf {
        assert!(
            self.redis.is_none(),
            "the app runs on Redis: no SQLite file (App::redis)"
        );
        self.state.join("sqlite_key_value.db")
    }

    /// Deletes, in the stopped runner's store (its SQLite file or the Redis server), every key
    /// under `prefix` whose value contains `containing`; returns how many went.
    pub(crate) fn delete_where(&self, prefix: &str, containing: &str) -> usize {
        if self.redis.is_some() {
            use redis::Commands as _;
            let mut redis = self.redis();
            let keys: Vec<String> = redis.keys(format!("{prefix}*")).expect("KEYS");
            let gone: Vec<String> = keys
                .into_iter()
                .filter(|key| {
                    let value: Vec<u8> = redis.get(key).expect("GET");
                    String::from_utf8_lossy(&value).contains(containing)
                })
                .collect();
            if gone.is_empty() {
                return 0;
            }
            return redis.del(&gone).expect("DEL");
        }
        let db = rusqlite::Connection::open(self.database()).expect("the database opens");
        db.execute(
            "DELETE FROM spin_key_value WHERE store = 'default' AND key LIKE ?1 \
             AND CAST(value AS TEXT) LIKE ?2",
            [format!("{prefix}%"), format!("%{containing}%")],
        )
        .expect("the keys deleted")
    }

    /// Starts a new runner (one per host) on the same state directory (after [`App::kill`]);
    /// clients made before talk to the old addresses.
    pub(crate) fn restart(&mut self) {
        self.serve_hosts();
    }

    /// Every host's address, in host order.
    fn hosts_addrs(&self) -> Arc<[SocketAddr]> {
        self.runners.iter().map(|runner| runner.addr).collect()
    }

    /// A client holding `token` (the value of the Spin variable of that name).
    pub(crate) fn client(&self, variable: &str) -> Client {
        self.with_authorization(Some(&format!("Bearer {}", secret(variable))))
    }

    /// The checkout (`checkout_token`).
    pub(crate) fn checkout(&self) -> Client {
        self.client("checkout_token")
    }

    /// The back office (`admin_token`).
    pub(crate) fn admin(&self) -> Client {
        self.client("admin_token")
    }

    /// A client sending this `Authorization` header value, or none.
    pub(crate) fn with_authorization(&self, authorization: Option<&str>) -> Client {
        Client {
            hosts: self.hosts_addrs(),
            turn: self.turn.clone(),
            authorization: authorization.map(str::to_owned),
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.state);
        }
    }
}

fn serve(
    manifest: &Path,
    state: &Path,
    deployment: Deployment,
    runtime_config: Option<&Path>,
) -> Runner {
    let mut command = Command::new(env!("CARGO_BIN_EXE_orderflow"));
    command
        .arg("up")
        .arg("--manifest")
        .arg(manifest)
        .arg("--no-build")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--state-dir")
        .arg(state);
    if deployment.count_kv_calls {
        command.arg("--count-kv-calls");
    }
    match (deployment.store, runtime_config) {
        (Store::Redis, Some(runtime_config)) => {
            command.arg("--runtime-config-file").arg(runtime_config);
        }
        (Store::Sqlite(cas), _) => {
            command.args(["--key-value-store", "sqlite"]);
            if cas == Cas::ReportsFailure {
                command.arg("--test-cas-reports-failure");
            }
        }
        (Store::Redis, None) => unreachable!("a Redis app has its redis-server"),
    }
    for (name, value) in variables() {
        command.arg("--variable").arg(format!("{name}={value}"));
    }
    command
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    helpers::serve(command)
}

/// An HTTP client for one credential. With several hosts, each request goes to the next host
/// in turn (round robin per request, the turn shared by every client of the app, threads
/// included), as a client of a deployment without a load balancer would spread them.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    hosts: Arc<[SocketAddr]>,
    turn: Arc<AtomicUsize>,
    authorization: Option<String>,
}

impl Client {
    /// A request with this client's credential and `headers`; panics on transport errors.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        self.try_send(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A request; transport errors are returned.
    pub(crate) fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Reply> {
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(headers.len() + 2);
        if let Some(authorization) = &self.authorization {
            all.push(("Authorization", authorization.as_str()));
        }
        if !body.is_empty() {
            all.push(("Content-Type", "application/json"));
        }
        all.extend_from_slice(headers);
        helpers::try_request_with(self.next_host(), method, path, &all, body)
    }

    /// The host whose turn it is.
    fn next_host(&self) -> SocketAddr {
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        self.hosts[turn % self.hosts.len()]
    }

    /// This client on host `host` alone.
    pub(crate) fn on_host(&self, host: usize) -> Self {
        Self {
            hosts: Arc::from([self.hosts[host]]),
            turn: Arc::new(AtomicUsize::new(0)),
            authorization: self.authorization.clone(),
        }
    }

    /// GET `path`.
    pub(crate) fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], b"")
    }

    /// POST a JSON value.
    pub(crate) fn post(&self, path: &str, body: &Value) -> Reply {
        self.send("POST", path, &[], body.to_string().as_bytes())
    }

    /// POSTs an order to the checkout route, expecting 201; returns the order.
    pub(crate) fn place(&self, order: &Value) -> Value {
        let reply = self.post("/checkout/orders", order);
        assert_eq!(reply.status, 201, "placing an order: {}", reply.text());
        json(&reply)
    }

    /// GET `/orders/{id}`, expecting 200; returns the order.
    pub(crate) fn order(&self, id: &str) -> Value {
        let reply = self.get(&format!("/orders/{id}"));
        assert_eq!(reply.status, 200, "GET /orders/{id}: {}", reply.text());
        json(&reply)
    }
}

/// The JSON body of a reply.
pub(crate) fn json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", reply.status, reply.text()))
}

/// The `error.code` of an error reply.
pub(crate) fn error_code(reply: &Reply) -> String {
    json(reply)["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {} {}", reply.status, reply.text()))
        .to_owned()
}

/// A string field of a JSON value.
pub(crate) fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {value}"))
        .to_owned()
}

/// An integer field of a JSON value.
pub(crate) fn int(value: &Value, field: &str) -> i64 {
    value[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} is not an integer in {value}"))
}
