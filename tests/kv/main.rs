//! Key-value stores end to end: Spin's semantics through the probe fixture, the SQLite file's
//! durability and format, the test-only CAS fault mode, and the cron trigger writing to a store.
#[path = "../helpers/mod.rs"]
mod helpers;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use helpers::{Runner, Start, fixture};

fn manifest(extra: &str) -> String {
    format!(
        r#"
spin_manifest_version = 2

[application]
name = "kv-suite"

[[trigger.http]]
route = "/probe/..."
component = "probe"

[[trigger.http]]
route = "/bare/..."
component = "bare"

[component.probe]
source = "{probe}"
key_value_stores = ["default", "other"]

[component.bare]
source = "{probe}"
{extra}
"#,
        probe = fixture("probe")
    )
}

fn memory(name: &str) -> Runner {
    Start::new(name, &manifest(""))
        .arg("--key-value-store")
        .arg("memory")
        .spawn()
}

fn sqlite(dir: &std::path::Path, name: &str) -> Runner {
    Start::new(name, &manifest(""))
        .arg("--state-dir")
        .arg(&dir.display().to_string())
        .spawn()
}

fn exercise_the_store_api(runner: &Runner) {
    assert_eq!(runner.get("/probe/kv/get?key=a").text(), "<none>");
    assert_eq!(runner.get("/probe/kv/exists?key=a").text(), "false");
    assert_eq!(runner.post("/probe/kv/set?key=a", b"one").text(), "ok");
    assert_eq!(runner.post("/probe/kv/set?key=b", b"two").text(), "ok");
    assert_eq!(
        runner.post("/probe/kv/set?key=z&store=other", b"x").text(),
        "ok"
    );
    assert_eq!(runner.get("/probe/kv/get?key=a").text(), "one");
    assert_eq!(runner.get("/probe/kv/exists?key=a").text(), "true");
    assert_eq!(runner.get("/probe/kv/keys").text(), "a,b");
    assert_eq!(runner.get("/probe/kv/keys?store=other").text(), "z");
    assert_eq!(runner.get("/probe/kv/delete?key=a").text(), "ok");
    assert_eq!(runner.get("/probe/kv/delete?key=never").text(), "ok");
    assert_eq!(runner.get("/probe/kv/get?key=a").text(), "<none>");
    assert_eq!(
        runner.get("/probe/kv/batch").text(),
        "b1=one,b2=two b1-exists=false"
    );
}

#[test]
fn the_store_api_works_on_both_backends() {
    exercise_the_store_api(&memory("kv-api-memory"));
    let dir = helpers::scratch("kv-api-sqlite-state");
    exercise_the_store_api(&sqlite(&dir, "kv-api-sqlite"));
}

#[test]
fn a_store_not_granted_is_access_denied() {
    let runner = memory("kv-denied");
    // spin:key-value `open` on a label the component was not granted.
    let reply = runner.get("/bare/kv/open?store=default");
    assert_eq!(reply.status, 500);
    assert_eq!(reply.text(), "Error::AccessDenied");
    assert_eq!(
        runner.get("/probe/kv/open?store=elsewhere").text(),
        "Error::AccessDenied"
    );
    // wasi:keyvalue `store.open` maps to its own `access-denied`.
    let wasi = runner.get("/bare/kv/increment?key=n").text();
    assert!(wasi.contains("AccessDenied"), "{wasi}");
}

#[test]
fn increment_counts_in_eight_byte_little_endian() {
    let runner = memory("kv-increment");
    assert_eq!(runner.get("/probe/kv/increment?key=n&delta=5").text(), "5");
    assert_eq!(runner.get("/probe/kv/increment?key=n&delta=-2").text(), "3");
    // The stored bytes are the i64 in little endian: 3 then seven zeros.
    assert_eq!(
        runner.get("/probe/kv/get?key=n").text(),
        String::from_utf8_lossy(&3i64.to_le_bytes())
    );
    // Incrementing a value that is not 8 bytes is an error, not a crash (Spin's host panics).
    runner.post("/probe/kv/set?key=text", b"hello");
    let reply = runner.get("/probe/kv/increment?key=text");
    assert_eq!(reply.status, 500);
    assert!(
        reply.text().contains("incorrect length"),
        "{}",
        reply.text()
    );
    assert_eq!(runner.get("/probe/kv/increment?key=n").text(), "4");
}

#[test]
fn numbered_set_writes_each_body_under_its_own_number() {
    // The benchmark's floor under a placement (benches/orders.sh): a number, then a new key.
    let runner = memory("kv-numbered-set");
    assert_eq!(
        runner.post("/probe/kv/numbered-set?key=o", b"first").text(),
        "1"
    );
    assert_eq!(
        runner
            .post("/probe/kv/numbered-set?key=o", b"second")
            .text(),
        "2"
    );
    assert_eq!(runner.get("/probe/kv/get?key=o/1").text(), "first");
    assert_eq!(runner.get("/probe/kv/get?key=o/2").text(), "second");
}

#[test]
fn a_swap_on_a_key_absent_at_current_is_an_unconditional_upsert() {
    let runner = memory("kv-cas-absent");
    assert_eq!(
        runner.get("/probe/kv/cas-absent?key=k").text(),
        "before=None swap=ok after=Some(\"mine\")"
    );
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failure should fail the test"
)]
fn parallel_cas_increments(runner: &Runner, n: usize) -> Vec<u64> {
    runner.post("/probe/kv/set?key=counter", b"0");
    let results = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let addr = runner.addr;
            let results = results.clone();
            std::thread::spawn(move || {
                let reply =
                    helpers::request(addr, "GET", "/probe/kv/cas-increment?key=counter", b"");
                assert_eq!(reply.status, 200, "{}", reply.text());
                results
                    .lock()
                    .unwrap()
                    .push(reply.text().parse::<u64>().unwrap());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut got = results.lock().unwrap().clone();
    got.sort();
    got
}

#[test]
fn parallel_cas_increments_lose_nothing() {
    let expected: Vec<u64> = (1..=40).collect();
    let runner = memory("kv-cas-memory");
    assert_eq!(parallel_cas_increments(&runner, 40), expected);
    assert_eq!(runner.get("/probe/kv/get?key=counter").text(), "40");
    let dir = helpers::scratch("kv-cas-sqlite-state");
    let runner = sqlite(&dir, "kv-cas-sqlite");
    assert_eq!(parallel_cas_increments(&runner, 40), expected);
    assert_eq!(runner.get("/probe/kv/get?key=counter").text(), "40");
}

#[test]
fn the_cas_fault_mode_writes_a_successful_swap_but_reports_cas_failed() {
    let runner = Start::new("kv-cas-fault", &manifest(""))
        .arg("--key-value-store")
        .arg("memory")
        .arg("--test-cas-reports-failure")
        .spawn();
    runner.post("/probe/kv/set?key=k", b"old");
    assert_eq!(
        runner.post("/probe/kv/cas-once?key=k", b"new").text(),
        "cas-failed"
    );
    assert_eq!(runner.get("/probe/kv/get?key=k").text(), "new");
}

#[test]
fn acknowledged_writes_survive_sigkill_and_a_second_runner_reads_them_back() {
    let dir = helpers::scratch("kv-sigkill-state");
    let mut runner = sqlite(&dir, "kv-sigkill");
    let acked = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let addr = runner.addr;
            let acked = acked.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let key = format!("w{t}-{i}");
                    let path = format!("/probe/kv/set?key={key}");
                    match helpers::try_request(addr, "POST", &path, key.as_bytes()) {
                        Ok(reply) if reply.status == 200 => acked.lock().unwrap().push(key),
                        Ok(_) | Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Kill mid-stream, once at least 1,000 writes have been acknowledged.
    while acked.lock().unwrap().len() < 1000 {
        std::thread::sleep(Duration::from_millis(5));
    }
    runner.signal_and_wait(9);
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 1000);

    // Read back directly from the file, which must have Spin's schema, byte for byte...
    let db = rusqlite::Connection::open(dir.join("sqlite_key_value.db")).unwrap();
    let schema: String = db
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'spin_key_value'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        schema,
        "CREATE TABLE spin_key_value (\n                           store TEXT NOT NULL,\n                           key   TEXT NOT NULL,\n                           value BLOB NOT NULL,\n\n                           PRIMARY KEY (store, key)\n                        )"
    );
    for key in &acked {
        let value: Vec<u8> = db
            .query_row(
                "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?1",
                [key],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("acknowledged write {key} lost: {e}"));
        assert_eq!(value, key.as_bytes());
    }
    drop(db);

    // ...and through a second runner process on the same state directory.
    let second = sqlite(&dir, "kv-sigkill-second");
    for key in acked.iter().step_by(37) {
        assert_eq!(&second.get(&format!("/probe/kv/get?key={key}")).text(), key);
    }
}

#[test]
fn a_cron_component_fires_every_second_and_writes_to_the_store() {
    let extra = format!(
        r#"
[[trigger.cron]]
component = "ticker"
cron_expression = "* * * * * *"

[component.ticker]
source = "{}"
key_value_stores = ["default"]
"#,
        fixture("cron-tick")
    );
    let runner = Start::new("kv-cron", &manifest(&extra))
        .arg("--key-value-store")
        .arg("memory")
        .spawn();
    std::thread::sleep(Duration::from_millis(3500));
    let ticks: i64 = runner
        .get("/probe/kv/increment?key=cron-ticks&delta=0")
        .text()
        .parse()
        .unwrap();
    assert!(
        (2..=5).contains(&ticks),
        "{ticks} ticks in 3.5 s\n{}",
        runner.log()
    );
    let stamp: u64 = runner
        .get("/probe/kv/get?key=cron-last-timestamp")
        .text()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(stamp) <= 3, "timestamp {stamp} vs now {now}");
}

/// The runner serving the store as Spin does, from a runtime config file in `dir`.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failure should fail the test"
)]
fn spin_mode(dir: &std::path::Path, name: &str) -> Runner {
    let config = dir.join("runtime-config.toml");
    std::fs::write(
        &config,
        "[key_value_store.default]\ntype = \"spin\"\npath = \"spin-kv.db\"\n",
    )
    .unwrap();
    Start::new(name, &manifest(""))
        .arg("--state-dir")
        .arg(&dir.display().to_string())
        .arg("--runtime-config-file")
        .arg(&config.display().to_string())
        .spawn()
}

#[test]
fn a_runtime_config_serves_the_store_as_spin_does_a_commit_per_call() {
    let dir = helpers::scratch("kv-spin-mode-state");
    let runner = spin_mode(&dir, "kv-spin-mode");
    assert!(
        runner.wait_for_log("key-value: spin (runtime config)", Duration::from_secs(5)),
        "{}",
        runner.log()
    );
    exercise_the_store_api(&runner);
    let expected: Vec<u64> = (1..=40).collect();
    assert_eq!(parallel_cas_increments(&runner, 40), expected);
    // Each call is committed as it returns: another connection sees it at once, in the file
    // the config names (relative to the config file), with no runner flush in between.
    assert_eq!(runner.post("/probe/kv/set?key=seen", b"now").text(), "ok");
    let file = rusqlite::Connection::open(dir.join("spin-kv.db")).unwrap();
    let value: Vec<u8> = file
        .query_row(
            "SELECT value FROM spin_key_value WHERE store='default' AND key='seen'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(value, b"now");
    assert!(!dir.join("sqlite_key_value.db").exists());
}

#[test]
fn a_runtime_config_the_runner_cannot_honour_is_refused_at_start() {
    let dir = helpers::scratch("kv-spin-refused-config");
    let config = dir.join("runtime-config.toml");
    std::fs::write(
        &config,
        "[key_value_store.default]\ntype = \"azure_cosmos\"\naccount = \"x\"\n",
    )
    .unwrap();
    let stderr = Start::new("kv-spin-refused", &manifest(""))
        .arg("--runtime-config-file")
        .arg(&config.display().to_string())
        .fail();
    assert!(stderr.contains("azure_cosmos"), "{stderr}");
}

/// The `orderflow-kv-calls` header of a runner started with `--count-kv-calls`, on known calls.
fn check_kv_call_counts(runner: &Runner) {
    let counted = |path: &str| {
        let reply = runner.get(path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        reply
            .header("orderflow-kv-calls")
            .unwrap_or_else(|| panic!("{path}: no orderflow-kv-calls header"))
            .to_owned()
    };
    for _ in 0..2 {
        assert_eq!(counted("/probe/kv/calls"), "calls=16; writes=8");
    }
    assert_eq!(counted("/probe/kv/get?key=a"), "calls=1; writes=0");
    assert_eq!(counted("/probe/kv/numbered-set?key=o"), "calls=2; writes=2");
    assert_eq!(counted("/probe/kv/cas-once?key=o"), "calls=2; writes=1");
    assert_eq!(counted("/probe/kv/open"), "calls=0; writes=0");
    assert_eq!(counted("/probe/headers"), "calls=0; writes=0");
}

#[test]
fn the_kv_calls_of_a_request_are_counted_exactly() {
    let runner = Start::new("kv-calls", &manifest(""))
        .arg("--key-value-store")
        .arg("memory")
        .arg("--count-kv-calls")
        .spawn();
    check_kv_call_counts(&runner);
    // Off by default.
    let runner = memory("kv-calls-off");
    assert_eq!(
        runner.get("/probe/kv/calls").header("orderflow-kv-calls"),
        None
    );
}

mod on_redis;
