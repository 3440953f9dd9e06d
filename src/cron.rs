//! The cron trigger: fires `fermyon:spin-cron@2.0.0` `handle-cron-event` on each
//! `[[trigger.cron]]` schedule.
//!
//! Expressions are read exactly as spinframework/spin-trigger-cron reads them (its
//! `tokio-cron-scheduler` parses with croner: six fields, seconds required, day-of-month AND
//! day-of-week, UTC). Each firing gets a fresh instance; the metadata timestamp is the firing's
//! Unix time in seconds, as in the plugin's `src/lib.rs`. A failing event is logged and the
//! schedule goes on.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::Utc;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use tokio::sync::watch;

use crate::host::bindings::cron::fermyon::spin_cron::cron_types::Metadata;
use crate::runtime::{LoadedComponent, Runtime};
use crate::server::{InFlight, describe_trap};

/// A cron expression the plugin would refuse.
#[derive(Debug, thiserror::Error)]
#[error("invalid cron_expression {expression:?}: {reason} (six fields, seconds first, UTC)")]
pub struct CronError {
    expression: String,
    reason: String,
}

/// Parses `expression` with the plugin's rules.
pub fn parse(expression: &str) -> Result<Cron, CronError> {
    CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Disallowed)
        .dom_and_dow(true)
        .build()
        .parse(expression)
        .map_err(|e| CronError {
            expression: expression.to_owned(),
            reason: e.to_string(),
        })
}

/// Runs one schedule until `stop` turns true.
pub async fn run_schedule(
    runtime: Arc<Runtime>,
    component: Arc<LoadedComponent>,
    schedule: Cron,
    in_flight: Arc<InFlight>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let now = Utc::now();
        let next = match schedule.find_next_occurrence(&now, false) {
            Ok(next) => next,
            Err(e) => {
                tracing::error!(
                    component = component.id(),
                    "cron schedule has no next time: {e}"
                );
                return;
            }
        };
        let wait = (next - now).to_std().unwrap_or_default();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        let guard = in_flight.enter();
        let runtime = runtime.clone();
        let component = component.clone();
        tokio::spawn(async move {
            let _guard = guard;
            fire(&runtime, &component).await;
        });
    }
}

async fn fire(runtime: &Runtime, component: &LoadedComponent) {
    let Some(pre) = component.cron() else { return };
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let started = std::time::Instant::now();
    let mut store = runtime.store(component, None);
    let result = async {
        let instance = pre.instantiate_async(&mut store).await?;
        instance
            .call_handle_cron_event(&mut store, Metadata { timestamp })
            .await
    };
    let result = tokio::time::timeout(runtime.time_limit(), result).await;
    // What the event wrote is committed before the runner reports it done.
    if let Err(e) = component.backend().flush() {
        tracing::error!(
            component = component.id(),
            "cron event's writes not committed: {e}"
        );
    }
    match result {
        Ok(Ok(Ok(()))) => tracing::info!(
            "cron component={} -> ok {:?}",
            component.id(),
            started.elapsed()
        ),
        Ok(Ok(Err(e))) => tracing::error!(component = component.id(), "cron event failed: {e:?}"),
        Ok(Err(e)) => tracing::error!(
            component = component.id(),
            "cron component trapped: {}",
            describe_trap(&e)
        ),
        Err(_) => tracing::error!(
            component = component.id(),
            "cron event exceeded the time limit"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_read_like_the_cron_plugin() {
        assert!(parse("* * * * * *").is_ok());
        assert!(parse("0 */5 * * * *").is_ok());
        assert!(parse("0 0 9 * * MON-FRI").is_ok());
        assert!(
            parse("*/5 * * * *").is_err(),
            "five fields: seconds are required"
        );
        assert!(parse("0 0 0 1 1 * 2030").is_err(), "no year field");
        assert!(parse("nonsense").is_err());
    }
}
