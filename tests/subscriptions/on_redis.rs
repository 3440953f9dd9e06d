//! The suite's concurrency and idempotency tests on Redis: the app served on a redis-server of
//! the test's own through a runtime config (`type = "redis"`), as Spin 3.6.3's Redis store
//! serves it (src/kv/redis.rs). The same test bodies as on SQLite. `ORDERFLOW_E2E_STORE=redis`
//! runs the whole suite so.

use crate::app::Store;
use crate::{concurrency, idempotency};

#[test]
fn six_concurrent_passes_create_one_order_per_cycle_on_redis() {
    concurrency::check_six_concurrent_passes_create_one_order_per_cycle(Store::Redis);
}

#[test]
fn six_concurrent_live_passes_create_one_order_per_subscription_on_redis() {
    concurrency::check_six_concurrent_live_passes_create_one_order_per_subscription(Store::Redis);
}

#[test]
fn a_keyed_creation_is_replayed_once_created_on_redis() {
    idempotency::check_a_keyed_creation_is_replayed_once_created(Store::Redis);
}

#[test]
fn eight_concurrent_retries_of_one_keyed_creation_create_one_subscription_on_redis() {
    idempotency::check_eight_concurrent_retries_of_one_keyed_creation(Store::Redis);
}
