//! The order components end to end: the real `spin.toml`, its components built by its own build
//! commands, served by the real `orderflow` binary on a fresh SQLite store, driven over HTTP the
//! way a store's checkout, payment provider, ERP, carriers and back office drive it (openapi.yaml).
//!
//! The concurrency tests run four times: on an honest store, with the runner's fault mode in
//! which a compare-and-swap that succeeds reports `cas-failed`, as Spin does with a Redis store,
//! on a real Redis (`on_redis`, with the retry and crash tests), and on three hosts sharing one
//! Redis (`multi_host`, with the retry tests).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step should fail the test, with its message"
)]

#[path = "../helpers/mod.rs"]
mod helpers;

use helpers::{app, parallel, webhook};

mod commands;
mod concurrency;
mod crash;
mod delivery_crash;
mod feed;
mod inventory;
mod listing;
mod multi_host;
mod on_redis;
mod placement;
mod refusals;
mod sample;
mod sorting;
mod stock;
mod stock_crash;
mod stock_feed;
mod webhooks;
mod write_calls;
