//! The subscription components end to end: the real `spin.toml`, its components built by its own
//! build commands (subscriptions-api and subscription-runner composed twice: orders service into
//! subscriptions service into each), served by the real `orderflow` binary on a fresh SQLite
//! store, driven over HTTP the way a back office and a checkout drive them (openapi.yaml,
//! tag `subscriptions`).
//!
//! Passes run with test clocks (`POST /subscriptions/run` with `{"now": ...}`) set in 2028 and
//! later, after the real clock: a subscription created now registers its due entry no earlier
//! than the creation minute, and the cron trigger's own passes (every minute, at the real time)
//! then never meet the test clock's. The cron test serves a copy of spin.toml whose runner fires
//! every second, and makes no HTTP `run` call at all.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step should fail the test, with its message"
)]

#[path = "../helpers/mod.rs"]
mod helpers;

use helpers::{app, parallel, webhook};

mod concurrency;
mod crash;
mod cron;
mod dst;
mod idempotency;
mod payments;
mod refusals;
mod retries;
mod sample;
mod schedules;
mod unpaid;
