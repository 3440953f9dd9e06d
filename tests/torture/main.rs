//! The history checker (issue: proof under fire). `check` judges a recorded run and the app's
//! final state against the API's documented meaning; `planted` proves it fails: each kind of
//! anomaly planted in an otherwise clean history is reported, and the clean one is not.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step should fail the test, with its message"
)]

mod check;
#[cfg(test)]
mod planted;
