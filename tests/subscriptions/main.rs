//! The subscription components end to end: the real `spin.toml`, its components built by its own
//! build commands (subscriptions-api and subscription-runner composed twice: orders service into
//! subscriptions service into each), served by the real `orderflow` binary on a fresh SQLite
//! store, driven over HTTP the way a back office and a checkout drive them (openapi.yaml,
//! tag `subscriptions`).
//!
//! The tests' subscriptions live on a test clock (`sample::CLOCK`, created at the host's time),
//! and their passes run by advancing it to instants in 2028 and later (`sample::run`): the cron
//! trigger's own passes (every minute, at the real time) are live and never touch them. The
//! cron test serves a copy of spin.toml whose runner fires every second, with live
//! subscriptions and no advance at all.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step should fail the test, with its message"
)]

#[path = "../helpers/mod.rs"]
mod helpers;

use helpers::{app, parallel, webhook};

mod clocks;
mod concurrency;
mod crash;
mod cron;
mod dst;
mod idempotency;
mod multi_host;
mod on_redis;
mod payments;
mod refusals;
mod retries;
mod sample;
mod schedules;
mod unpaid;
mod webhooks;
mod write_calls;
