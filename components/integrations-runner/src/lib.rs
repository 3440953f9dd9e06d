//! The integrations runner: a `fermyon:spin-cron@2.0.0` component (`[[trigger.cron]]` in
//! spin.toml, every minute) whose `handle-cron-event` runs one integrations pass: the feed's
//! sequencer adds what the orders, subscriptions and inventory services committed, then every
//! webhook endpoint gets what is due. `POST /integrations/run` runs the same pass on demand; passes may
//! overlap (docs/architecture.md, "Integrations").
//!
//! It is composed at build time with the orders, subscriptions and inventory services, and
//! writes one line per tick to stderr, which Spin (and the local runner) log.

/// The `integrations-runner` world (`wit/integrations.wit`): the cron export; the orders,
/// subscriptions and inventory imports, mapped onto the bindings the pass uses.
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
        world: "integrations-runner",
        path: "../../wit",
        with: {
            "orderflow:core/types@0.1.0": http_common::types,
            "orderflow:core/orders@0.1.0": http_common::orders,
            "orderflow:core/subscriptions@0.1.0": subscriptions_client::subs,
            "orderflow:core/inventory@0.1.0": inventory_client::inv,
        },
        // The cron types come from the vendored fermyon:spin-cron package.
        generate_all,
    });

    // Only a component exports (a native build, such as clippy's, has nothing to export to).
    #[cfg(target_arch = "wasm32")]
    use super::Runner;
    #[cfg(target_arch = "wasm32")]
    export!(Runner);
}

use std::time::SystemTime;

use bindings::fermyon::spin_cron::cron_types::{Error, Metadata};
use orderflow_domain::values::Timestamp;

/// The cron export.
#[derive(Debug)]
pub struct Runner;

impl bindings::Guest for Runner {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        let fail = |message: String| {
            eprintln!("{message}");
            Err(Error::Other(message))
        };
        let kv = match orderflow_kv::SpinKv::open() {
            Ok(kv) => kv,
            Err(e) => return fail(format!("integrations-runner: the store: {e}")),
        };
        let now = Timestamp::from_system_time(SystemTime::now());
        match integrations_pass::run(&kv, now, orderflow_kv::write::nonce()) {
            Ok((feed, sent)) => {
                eprintln!(
                    "integrations-runner: tick {}: {} event(s) added (last {}, {} pending), \
                     {} delivered, {} failed, {} dead-lettered",
                    metadata.timestamp,
                    feed.added,
                    feed.last,
                    feed.pending,
                    sent.delivered,
                    sent.failed,
                    sent.dead
                );
                Ok(())
            }
            Err(e) => fail(format!("integrations-runner: the pass failed: {e:?}")),
        }
    }
}
