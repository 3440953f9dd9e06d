//! The history checker (issue: proof under fire). `drive` runs the app under many clients and
//! SIGKILLs and records every request; `check` judges the record and the app's final state
//! against the API's documented meaning; `planted` proves the checker fails: each kind of
//! anomaly planted in an otherwise clean history is reported, and the clean one is not.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step should fail the test, with its message"
)]

#[path = "../helpers/mod.rs"]
mod helpers;
#[path = "../orders/sample.rs"]
#[allow(
    dead_code,
    reason = "shared with the suites that invoice; the torture does not yet"
)]
mod sample;

use helpers::app;

mod check;
mod drive;
#[cfg(test)]
mod planted;

/// A run under kills, as long as `ORDERFLOW_TORTURE_SECONDS` says (60 by default), with
/// `ORDERFLOW_TORTURE_CLIENTS` clients (32), on the store `ORDERFLOW_E2E_STORE` chooses: its
/// summary on stdout, ending `anomalies: N`.
#[test]
#[ignore = "minutes of load and kills: run by benches/torture.sh"]
fn torture() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let plan = drive::Plan {
        seconds: env("ORDERFLOW_TORTURE_SECONDS", 60),
        clients: usize::try_from(env("ORDERFLOW_TORTURE_CLIENTS", 32)).unwrap_or(32),
        kill_every: (5, 20),
    };
    // `ORDERFLOW_TORTURE_CAS=fault`: swaps that succeed report `cas-failed`, as Spin's Redis
    // store does (the runner's --test-cas-reports-failure).
    let cas = match std::env::var("ORDERFLOW_TORTURE_CAS").as_deref() {
        Ok("fault") => app::Cas::ReportsFailure,
        _ => app::Cas::Honest,
    };
    let mut app = app::App::start_with("torture", cas);
    let started = std::time::Instant::now();
    let (run, tally, end) = drive::run(&mut app, plan);
    let found = check::check(&run, &end);
    for anomaly in found.iter().take(50) {
        println!("{}: {}", anomaly.kind.name(), anomaly.detail);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "sent {} · acknowledged {} · lost to kills {} · kills survived {} · {} orders · {:.0} requests/s",
        tally.sent,
        tally.acknowledged,
        tally.lost,
        tally.kills,
        end.orders.len(),
        tally.sent as f64 / seconds
    );
    println!("{}", check::summary(&found));
    assert!(found.is_empty(), "{} anomalies", found.len());
}
