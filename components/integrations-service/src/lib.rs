//! The integrations service: how orders get out of orderflow.
//!
//! - [`feed`]: every order and subscription event at a gapless position, built from the source
//!   services' outboxes by a sequencer;
//! - [`consumer`]: named consumers of the feed with commit handles and a visibility timeout;
//! - [`endpoint`] and [`delivery`]: webhook endpoints, and at-least-once delivery to them with
//!   retries, a dead letter and a delivery log;
//! - [`kick`]: the pass a command asks for right after its answer;
//! - [`notify`]: customer messages per order step, default or the store's own templates;
//! - [`templates`]: the store's own templates;
//! - [`signature`]: Standard Webhooks secrets and signatures.

pub mod consumer;
pub mod delivery;
mod document;
pub mod endpoint;
pub mod feed;
mod keys;
pub mod kick;
pub mod notify;
pub mod signature;
pub mod templates;

#[cfg(test)]
mod tests;
