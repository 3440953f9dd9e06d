//! The suite's concurrency, checkout retry and crash tests on Redis: the app served on a
//! redis-server of the test's own through a runtime config (`type = "redis"`), where every swap
//! reports `cas-failed` after writing or not, as Spin 3.6.3's Redis store does
//! (src/kv/redis.rs). The same test bodies as on SQLite. `ORDERFLOW_E2E_STORE=redis` runs the
//! whole suite so.

use crate::app::Store;
use crate::{concurrency, crash, placement};

#[test]
fn thirty_two_concurrent_placements_get_distinct_numbers_on_redis() {
    concurrency::check_thirty_two_concurrent_placements_get_distinct_numbers(Store::Redis);
}

#[test]
fn concurrent_placements_of_one_external_id_make_one_order_on_redis() {
    concurrency::check_concurrent_placements_of_one_external_id_make_one_order(Store::Redis);
}

#[test]
fn concurrent_placements_under_one_idempotency_key_make_one_order_on_redis() {
    concurrency::check_concurrent_placements_under_one_idempotency_key_make_one_order(Store::Redis);
}

#[test]
fn thirty_two_concurrent_comments_advance_the_version_by_exactly_32_on_redis() {
    concurrency::check_thirty_two_concurrent_comments_advance_the_version_by_exactly_32(
        Store::Redis,
    );
}

#[test]
fn ten_concurrent_identical_payment_approvals_make_one_transition_on_redis() {
    concurrency::check_ten_concurrent_identical_payment_approvals_make_one_transition(Store::Redis);
}

#[test]
fn a_replayed_idempotency_key_answers_the_first_response_on_redis() {
    placement::check_a_replayed_idempotency_key_answers_the_first_response(Store::Redis);
}

#[test]
fn the_same_channel_and_external_id_again_is_the_same_order_on_redis() {
    placement::check_the_same_channel_and_external_id_again_is_the_same_order(Store::Redis);
}

#[test]
fn every_acknowledged_order_survives_a_sigkill_on_redis() {
    crash::check_every_acknowledged_order_survives_a_sigkill(Store::Redis);
}
