//! The order suite: the status table walked cell by cell, the data guards of each command, and
//! property tests for money, changes and idempotency.
#![expect(
    clippy::unwrap_used,
    reason = "fixtures: a failed unwrap is a failed test"
)]

mod document;
mod guards;
mod helpers;
mod properties;
mod transitions;
