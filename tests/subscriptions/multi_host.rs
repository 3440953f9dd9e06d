//! Several hosts on one store: the overlapping-pass and idempotency tests on
//! [`Deployment::multi_host`], three runner processes serving the app on one redis-server of the
//! test's own, each with its own port and state directory, every request of a test going to the
//! next host in turn, so that every host runs a pass at once (two test clock advances or two
//! `POST /subscriptions/run` each) while every host's cron components (subscription-runner and
//! integrations-runner) fire every second. The same test bodies as on one host, with the same
//! results: each cycle's order created once, one subscription per Idempotency-Key.

use crate::app::Deployment;
use crate::{concurrency, idempotency};

#[test]
fn six_concurrent_passes_create_one_order_per_cycle_across_hosts() {
    concurrency::check_six_concurrent_passes_create_one_order_per_cycle(Deployment::multi_host());
}

#[test]
fn six_concurrent_live_passes_create_one_order_per_subscription_across_hosts() {
    concurrency::check_six_concurrent_live_passes_create_one_order_per_subscription(
        Deployment::multi_host(),
    );
}

#[test]
fn a_keyed_creation_is_replayed_once_created_across_hosts() {
    idempotency::check_a_keyed_creation_is_replayed_once_created(Deployment::multi_host());
}

#[test]
fn eight_concurrent_retries_of_one_keyed_creation_create_one_subscription_across_hosts() {
    idempotency::check_eight_concurrent_retries_of_one_keyed_creation(Deployment::multi_host());
}
