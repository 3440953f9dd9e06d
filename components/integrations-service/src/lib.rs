//! The integrations service: how orders get out of orderflow.
//!
//! - [`feed`]: every order and subscription event at a gapless position, built from the source
//!   services' outboxes by a sequencer;
//! - [`consumer`]: named consumers of the feed with commit handles and a visibility timeout;
//! - [`signature`]: Standard Webhooks secrets and signatures.

pub mod consumer;
pub mod feed;
mod keys;
pub mod signature;

#[cfg(test)]
mod tests;
