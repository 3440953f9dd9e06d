//! The cron trigger on the runner: the subscription runner's tick creates a due cycle's order
//! with no HTTP `run` call. The test serves a copy of spin.toml whose runner fires every second
//! (the runner parses six-field expressions as Spin's cron plugin does); the real manifest's
//! every-minute schedule is checked separately.

use std::time::{Duration, Instant};

use crate::app::{self, App, Cas};
use crate::helpers;
use crate::sample::{self, create, cycles, get, order_of};

#[test]
fn spin_toml_runs_the_subscription_runner_every_minute() {
    let crons = app::manifest()["trigger"]["cron"]
        .as_array()
        .expect("spin.toml has [[trigger.cron]]");
    let runner: Vec<_> = crons
        .iter()
        .filter(|c| c["component"].as_str() == Some("subscription-runner"))
        .collect();
    assert_eq!(runner.len(), 1, "{crons:?}");
    assert_eq!(runner[0]["cron_expression"].as_str(), Some("0 * * * * *"));
}

#[test]
fn the_cron_trigger_creates_the_order_of_a_due_cycle_without_any_run_call() {
    let real = std::fs::read_to_string(app::manifest_path()).expect("spin.toml");
    let root = helpers::root();
    let fast = real
        .replace(
            "cron_expression = \"0 * * * * *\"",
            "cron_expression = \"* * * * * *\"",
        )
        .replace(
            "source = \"target/",
            &format!("source = \"{}/target/", root.display()),
        );
    assert_ne!(fast, real);
    let dir = helpers::scratch("cron-manifest");
    let manifest = dir.join("spin.toml");
    std::fs::write(&manifest, fast).expect("the test manifest is written");
    let app = App::start_manifest("cron", Cas::Honest, manifest);
    let admin = app.admin();

    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut live = sample::monthly("s-cron", &now);
    live["testClock"] = serde_json::Value::Null;
    create(&admin, &live);
    // The same subscription on a test clock: due just as much by the host's time, but it runs
    // only when its clock is advanced, never with the cron's live passes.
    create(&admin, &sample::monthly("s-cron-clock", &now));
    let deadline = Instant::now() + Duration::from_secs(70);
    while get(&admin, "s-cron")["cycleCount"] != 1 {
        assert!(
            Instant::now() < deadline,
            "no cron pass created the order within 70 s; log:\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let records = cycles(&admin, "s-cron");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["scheduledFor"], now.as_str());
    order_of(&admin, "s-cron", &records[0]);
    let on_clock = get(&admin, "s-cron-clock");
    assert_eq!(on_clock["cycleCount"], 0, "{on_clock}");
    assert!(cycles(&admin, "s-cron-clock").is_empty());
    assert!(
        app.log().contains("subscription-runner: tick"),
        "the runner logs each pass:\n{}",
        app.log()
    );
}
