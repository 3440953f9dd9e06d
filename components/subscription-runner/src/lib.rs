//! The subscription runner: a `fermyon:spin-cron@2.0.0` component (`[[trigger.cron]]` in
//! spin.toml, every minute) whose `handle-cron-event` runs one pass of the subscriptions service
//! as of the host clock: each due cycle becomes exactly one order, schedules advance, and unpaid
//! pix and boleto orders past their deadline are canceled. `POST /subscriptions/run` runs the
//! very same pass on demand; both may overlap, the service's claims keep every cycle's order
//! unique.
//!
//! It holds no logic of its own: it is composed at build time with the subscriptions service
//! (itself composed with the orders service), imports `orderflow:core/subscriptions` and writes
//! the pass report to stderr, one line per tick, which Spin (and the local runner) log.

/// The `subscription-runner` world (`wit/subscriptions.wit`): the cron export, the
/// subscriptions import.
#[cfg_attr(
    target_arch = "wasm32",
    expect(
        unsafe_code,
        reason = "the export glue wit-bindgen generates: canonical-ABI lifting and lowering"
    )
)]
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "subscription-runner",
        path: "../../wit",
        // The cron types come from the vendored fermyon:spin-cron package.
        generate_all,
    });

    // Only a component exports (a native build, such as clippy's, has nothing to export to).
    #[cfg(target_arch = "wasm32")]
    use super::Runner;
    #[cfg(target_arch = "wasm32")]
    export!(Runner);
}

use bindings::fermyon::spin_cron::cron_types::{Error, Metadata};
use bindings::orderflow::core::subscriptions::{self, PassReport};

/// The cron export.
#[derive(Debug)]
pub struct Runner;

impl bindings::Guest for Runner {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        match subscriptions::run_pass() {
            Ok(report) => {
                eprintln!("{}", summary(metadata.timestamp, &report));
                Ok(())
            }
            Err(error) => {
                let message = format!("subscription-runner: the pass failed: {error:?}");
                eprintln!("{message}");
                Err(Error::Other(message))
            }
        }
    }
}

/// One log line: what the pass of the tick at `timestamp` (Unix seconds) did.
fn summary(timestamp: u64, report: &PassReport) -> String {
    let mut line = format!(
        "subscription-runner: tick {timestamp}: due {}, created {}, skipped {}, failed {}, \
         missed {}, in progress {}, canceled unpaid {}, payment retries {}, paused for payment {}",
        report.due,
        report.created,
        report.skipped,
        report.failed,
        report.missed,
        report.in_progress,
        report.canceled_unpaid,
        report.payment_retries,
        report.paused_for_payment,
    );
    for error in &report.errors {
        line.push_str("; error: ");
        line.push_str(error);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_line_names_every_count_and_error() {
        let report = PassReport {
            due: 3,
            created: 2,
            skipped: 1,
            failed: 0,
            canceled_unpaid: 4,
            missed: 5,
            in_progress: 6,
            payment_retries: 7,
            paused_for_payment: 8,
            errors: vec!["store down".to_owned()],
        };
        assert_eq!(
            summary(1_800_000_000, &report),
            "subscription-runner: tick 1800000000: due 3, created 2, skipped 1, failed 0, \
             missed 5, in progress 6, canceled unpaid 4, payment retries 7, paused for payment 8; \
             error: store down"
        );
    }
}
