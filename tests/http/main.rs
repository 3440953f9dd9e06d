//! The HTTP trigger end to end: real fixture components on the real `orderflow` binary.
#[path = "../helpers/mod.rs"]
mod helpers;

use std::time::{Duration, Instant};

use helpers::{Start, fixture};

fn manifest() -> String {
    r#"
spin_manifest_version = 2

[application]
name = "http-suite"

[variables]
greeting = { default = "hello" }
from_env = { default = "unset" }
secret = { required = true }

[[trigger.http]]
route = "/hello"
component = "hello"

[[trigger.http]]
route = "/..."
component = "fallback"

[[trigger.http]]
route = "/probe/..."
component = "probe"

[[trigger.http]]
route = "/items/:id/..."
component = "probe"

[[trigger.http]]
route = "/bare/..."
component = "bare"

[[trigger.http]]
route = { private = true }
component = "hidden"

[component.hello]
source = "HELLO"

[component.fallback]
source = "HELLO"

[component.hidden]
source = "HELLO"

[component.probe]
source = "PROBE"
allowed_outbound_hosts = ["http://127.0.0.1:*", "http://hidden.spin.internal"]
variables = { greeting = "{{ greeting }}, world", from_env = "{{ from_env }}", secret = "{{ secret }}" }

[component.bare]
source = "PROBE"
"#
    .replace("HELLO", &fixture("hello"))
    .replace("PROBE", &fixture("probe"))
}

fn start(name: &str, manifest: &str) -> helpers::Runner {
    Start::new(name, manifest)
        .arg("--variable")
        .arg("secret=s3cret")
        .arg("--time-limit-ms")
        .arg("1000")
        .arg("--max-body-bytes")
        .arg("1024")
        .env("SPIN_VARIABLE_FROM_ENV", "from-the-environment")
        .spawn()
}

#[test]
fn routes_headers_variables_and_outbound_behave_like_spin() {
    let manifest = manifest();
    let runner = start("http-main", &manifest);

    // Exact beats wildcard; the catch-all takes the rest; 404 only when nothing matches.
    assert_eq!(runner.get("/hello").text(), "hello");
    assert_eq!(runner.get("/anything/else").text(), "hello");
    assert_eq!(runner.get("/probe/body").text(), "0");
    assert_eq!(runner.get("/.well-known/spin/health").text(), "OK");

    // The spin-* headers.
    let headers = runner.get("/items/42/headers?x=1").text();
    let addr = runner.addr;
    for expected in [
        format!("spin-full-url: http://{addr}/items/42/headers?x=1"),
        "spin-path-info: /headers".to_owned(),
        "spin-matched-route: /items/:id/...".to_owned(),
        "spin-component-route: /items/:id".to_owned(),
        "spin-raw-component-route: /items/:id/...".to_owned(),
        "spin-base-path: /".to_owned(),
        "spin-path-match-id: 42".to_owned(),
    ] {
        assert!(
            headers.contains(&expected),
            "missing {expected:?} in\n{headers}"
        );
    }
    assert!(
        headers.contains("spin-client-addr: 127.0.0.1:"),
        "{headers}"
    );

    // Variables: template over a default, the environment, --variable, and the errors.
    assert_eq!(
        runner.get("/probe/var?name=greeting").text(),
        "hello, world"
    );
    assert_eq!(
        runner.get("/probe/var?name=from_env").text(),
        "from-the-environment"
    );
    assert_eq!(runner.get("/probe/var?name=secret").text(), "s3cret");
    let missing = runner.get("/probe/var?name=nope");
    assert_eq!(missing.status, 500);
    assert!(
        missing
            .text()
            .contains(r#"Undefined("no variable for \"probe\".\"nope\"")"#),
        "{}",
        missing.text()
    );
    let invalid = runner.get("/probe/var?name=Nope");
    assert!(
        invalid.text().contains("InvalidName("),
        "{}",
        invalid.text()
    );
    let bare = runner.get("/bare/var?name=greeting");
    assert!(
        bare.text().contains("no variable for component"),
        "{}",
        bare.text()
    );

    // Outbound HTTP: allowed for probe, denied for bare.
    let allowed = runner.get(&format!("/probe/outbound?url=http://{addr}/hello"));
    assert_eq!(allowed.text(), "status=200");
    let denied = runner.get(&format!("/bare/outbound?url=http://{addr}/hello"));
    assert_eq!(denied.status, 500);
    assert!(
        denied.text().contains("HttpRequestDenied"),
        "{}",
        denied.text()
    );

    // Service chaining: in-process to the named component, private routes included, only
    // where allowed (`hello` is not in probe's list).
    let chained = runner.get("/probe/outbound?url=http://hidden.spin.internal/any/path");
    assert_eq!(chained.text(), "status=200");
    let unlisted = runner.get("/probe/outbound?url=http://hello.spin.internal/hello");
    assert!(
        unlisted.text().contains("HttpRequestDenied"),
        "{}",
        unlisted.text()
    );
    assert!(
        runner.wait_for_log(
            "GET /any/path chained component=hidden -> 200",
            Duration::from_secs(5)
        ),
        "no log line for the chained request"
    );

    // The body limit.
    assert_eq!(runner.post("/probe/body", &[b'x'; 1000]).text(), "1000");
    assert_eq!(runner.post("/probe/body", &[b'x'; 2000]).status, 413);

    // One log line per request: method, path, route, component, status, duration.
    assert!(
        runner.wait_for_log(
            "GET /hello route=/hello component=hello -> 200",
            Duration::from_secs(5)
        ),
        "{}",
        runner.log()
    );
}

#[test]
fn a_trap_answers_500_names_the_component_and_the_runner_keeps_serving() {
    let manifest = manifest();
    let runner = start("http-trap", &manifest);
    let reply = runner.get("/probe/trap");
    assert_eq!(reply.status, 500);
    assert!(
        runner.wait_for_log("component trapped", Duration::from_secs(5)),
        "{}",
        runner.log()
    );
    // The line is long (a backtrace, and a native one under RUST_BACKTRACE) and its fields come
    // last: the log may be read while it is still being written.
    let named = |log: &str| log.contains("component=\"probe\"") || log.contains("component=probe");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !named(&runner.log()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = runner.log();
    assert!(named(&log), "{log}");
    assert!(log.contains("unreachable"), "{log}");
    assert_eq!(runner.get("/hello").text(), "hello");
}

#[test]
fn a_component_that_never_returns_is_stopped_by_the_time_limit() {
    let manifest = manifest();
    let runner = start("http-loop", &manifest);
    let started = Instant::now();
    let looping = std::thread::spawn({
        let addr = runner.addr;
        move || helpers::request(addr, "GET", "/probe/loop", b"").status
    });
    // Other requests are served while it spins.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(runner.get("/hello").text(), "hello");
    assert_eq!(looping.join().unwrap(), 500);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        runner.wait_for_log("time limit", Duration::from_secs(5)),
        "{}",
        runner.log()
    );
    assert_eq!(runner.get("/probe/body").text(), "0");
}

#[test]
fn a_component_importing_what_the_runner_lacks_fails_at_load_naming_the_import() {
    let manifest = format!(
        r#"
spin_manifest_version = 2
[application]
name = "bad"
[[trigger.http]]
route = "/..."
component = "missing-import"
[component.missing-import]
source = "{}"
"#,
        fixture("missing-import")
    );
    let stderr = Start::new("http-missing-import", &manifest).fail();
    assert!(stderr.contains("orderflow:fixture/absent"), "{stderr}");
    assert!(stderr.contains("\"missing-import\""), "{stderr}");
}

#[test]
fn a_missing_wasm_file_names_the_build_command() {
    let manifest = r#"
spin_manifest_version = 2
[application]
name = "unbuilt"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "target/web.wasm"
[component.web.build]
command = "cargo build --target wasm32-wasip2 --release"
"#;
    let stderr = Start::new("http-unbuilt", manifest).fail();
    assert!(
        stderr.contains("target/web.wasm does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("orderflow build"), "{stderr}");
    assert!(
        stderr.contains("cargo build --target wasm32-wasip2 --release"),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_is_reported_as_such() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let manifest = manifest();
    let stderr = Start::new("http-port", &manifest)
        .arg("--variable")
        .arg("secret=x")
        .arg("--listen")
        .arg(&addr)
        .fail();
    assert!(
        stderr.contains(&format!("{addr} is already in use")),
        "{stderr}"
    );
}

#[test]
fn a_required_variable_without_a_value_stops_the_start() {
    let manifest = manifest();
    let stderr = Start::new("http-required", &manifest).fail();
    assert!(
        stderr.contains("variable \"secret\" is required"),
        "{stderr}"
    );
    assert!(stderr.contains("SPIN_VARIABLE_SECRET"), "{stderr}");
}

#[test]
fn an_unsupported_manifest_key_is_named_with_its_line() {
    let manifest = manifest().replace(
        "[component.bare]",
        "[component.bare]\nsqlite_databases = [\"default\"]",
    );
    let stderr = Start::new("http-bad-key", &manifest).fail();
    assert!(stderr.contains("sqlite_databases"), "{stderr}");
    assert!(stderr.contains("line 51"), "{stderr}");
}

#[test]
fn ctrl_c_lets_a_running_request_finish_then_exits_cleanly() {
    let manifest = manifest();
    let mut runner = Start::new("http-ctrl-c", &manifest)
        .arg("--variable")
        .arg("secret=x")
        .arg("--time-limit-ms")
        .arg("1500")
        .spawn();
    let addr = runner.addr;
    let slow = std::thread::spawn(move || helpers::request(addr, "GET", "/probe/loop", b"").status);
    std::thread::sleep(Duration::from_millis(300));
    let status = runner.signal_and_wait(2);
    assert!(status.success(), "{status:?}");
    // The in-flight request got its answer (the time limit's 500) before the exit.
    assert_eq!(slow.join().unwrap(), 500);
}

#[test]
fn build_runs_the_build_command_only_when_the_wasm_is_missing_or_stale() {
    let dir = helpers::scratch("http-build");
    std::fs::create_dir_all(dir.join("web")).unwrap();
    std::fs::write(dir.join("web/lib.rs"), "// source").unwrap();
    let manifest = format!(
        r#"
spin_manifest_version = 2
[application]
name = "build"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "out/web.wasm"
[component.web.build]
command = "mkdir -p ../out && cp {} ../out/web.wasm && echo built >> ../builds.log"
workdir = "web"
"#,
        fixture("hello")
    );
    std::fs::write(dir.join("spin.toml"), manifest).unwrap();
    let build = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_orderflow"))
            .arg("build")
            .arg("--manifest")
            .arg(dir.join("spin.toml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(dir.join("builds.log"))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(build(), 1, "missing: built");
    assert_eq!(build(), 1, "fresh: not rebuilt");
    std::thread::sleep(Duration::from_millis(50));
    std::fs::write(dir.join("web/lib.rs"), "// edited").unwrap();
    assert_eq!(build(), 2, "stale: rebuilt");
}

#[test]
fn without_room_for_the_pooling_allocator_the_runner_falls_back_and_serves() {
    let manifest = manifest();
    let mut start = Start::new("http-no-pool", &manifest)
        .arg("--variable")
        .arg("secret=x");
    // 16 GiB of address space: too little for the pool's reservations, enough for one instance.
    start.address_space_kib = Some(16 << 20);
    let runner = start.spawn();
    assert!(
        runner.log().contains("pooling allocator unavailable"),
        "{}",
        runner.log()
    );
    assert_eq!(runner.get("/hello").text(), "hello");
    assert_eq!(runner.get("/probe/body").text(), "0");
}
