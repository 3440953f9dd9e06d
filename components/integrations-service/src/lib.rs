//! The integrations service: how orders get out of orderflow.
//!
//! - [`feed`]: every order and subscription event at a gapless position, built from the source
//!   services' outboxes by a sequencer;
//! - [`signature`]: Standard Webhooks secrets and signatures.

pub mod feed;
mod keys;
pub mod signature;

#[cfg(test)]
mod tests;
