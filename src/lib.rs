//! orderflow's local runner: a small Spin-compatible host on wasmtime that runs this project's
//! `spin.toml` the way `spin up` (Spin 3.6) does, so the same `.wasm` files run under both
//! (docs/architecture.md, "The local runner").
//!
//! The pieces, in the order a request meets them: [`manifest`] reads `spin.toml`; [`builder`]
//! rebuilds stale components; [`variables`] resolves application variables; [`runtime`] compiles
//! and links every component against the imports in [`host`] (key-value over [`kv`], variables,
//! outbound HTTP checked by [`outbound`]); [`server`] routes requests with [`routes`] and runs
//! instances; [`cron`] fires cron schedules; [`runtime_config`] reads a runtime config file's
//! key-value store. It is a runner for this app, not a general Spin: no OCI registries, plugins
//! or templates, and of runtime config only the default key-value store.
#![deny(missing_docs)]

pub mod builder;
pub mod cron;
pub mod host;
pub mod kv;
pub mod manifest;
pub mod outbound;
pub mod routes;
pub mod runtime;
pub mod runtime_config;
pub mod server;
pub mod variables;
