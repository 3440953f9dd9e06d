//! Several hosts on one store: the concurrency and checkout retry tests on
//! [`Deployment::multi_host`], three runner processes serving the app on one redis-server of the
//! test's own, each with its own port and state directory, every request of a test going to the
//! next host in turn (concurrent ones included: a one-external-id or one-key storm reaches every
//! host at once), and every host's cron components (subscription-runner and integrations-runner)
//! firing every second meanwhile. The same test bodies as on one host, with the same results: no
//! write lost, no order placed twice.

use std::time::{Duration, Instant};

use crate::app::{App, Deployment, HOSTS, text};
use crate::{concurrency, placement, sample};

#[test]
fn every_host_serves_the_one_store_runs_its_cron_components_and_is_gone_when_dropped() {
    let app = App::start_on("multi-host", Deployment::multi_host());
    assert_eq!(app.hosts(), HOSTS);
    let checkout = app.checkout();
    let admin = app.admin();
    // Placed on each host, read on every host.
    let placed: Vec<_> = (0..HOSTS)
        .map(|host| {
            checkout
                .on_host(host)
                .place(&sample::order(&format!("host-{host}")))
        })
        .collect();
    for order in &placed {
        for host in 0..HOSTS {
            assert_eq!(&admin.on_host(host).order(&text(order, "id")), order);
        }
    }
    // Each host fires its own cron components (every second here).
    let deadline = Instant::now() + Duration::from_secs(20);
    let ticked = |log: &str| {
        log.contains("subscription-runner: tick") && log.contains("integrations-runner: tick")
    };
    while !app.logs().iter().all(|log| ticked(log)) {
        assert!(
            Instant::now() < deadline,
            "not every host ran both cron components within 20 s:\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pids = app.pids();
    assert_eq!(pids.len(), HOSTS + 1, "the runners and the redis-server");
    drop(app);
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} outlived the app"
        );
    }
}

#[test]
fn thirty_two_concurrent_placements_get_distinct_numbers_across_hosts() {
    concurrency::check_thirty_two_concurrent_placements_get_distinct_numbers(
        Deployment::multi_host(),
    );
}

#[test]
fn concurrent_placements_of_one_external_id_make_one_order_across_hosts() {
    concurrency::check_concurrent_placements_of_one_external_id_make_one_order(
        Deployment::multi_host(),
    );
}

#[test]
fn concurrent_placements_under_one_idempotency_key_make_one_order_across_hosts() {
    concurrency::check_concurrent_placements_under_one_idempotency_key_make_one_order(
        Deployment::multi_host(),
    );
}

/// A request under the key that read no record (the first placement had not written yet) takes
/// the key's claim before it looks the external id up, so it can never answer from the external
/// id and overwrite the first placement's record: every answer is the first one's.
#[test]
fn every_answer_under_one_idempotency_key_replays_the_first_across_hosts() {
    for _ in 0..4 {
        let (replies, replay) =
            concurrency::check_concurrent_placements_under_one_idempotency_key_make_one_order(
                Deployment::multi_host(),
            );
        concurrency::check_every_answer_under_one_idempotency_key_is_the_first(&replies, &replay);
    }
}

#[test]
fn thirty_two_concurrent_comments_advance_the_version_by_exactly_32_across_hosts() {
    concurrency::check_thirty_two_concurrent_comments_advance_the_version_by_exactly_32(
        Deployment::multi_host(),
    );
}

#[test]
fn ten_concurrent_identical_payment_approvals_make_one_transition_across_hosts() {
    concurrency::check_ten_concurrent_identical_payment_approvals_make_one_transition(
        Deployment::multi_host(),
    );
}

#[test]
fn a_replayed_idempotency_key_answers_the_first_response_across_hosts() {
    placement::check_a_replayed_idempotency_key_answers_the_first_response(Deployment::multi_host());
}

#[test]
fn the_same_channel_and_external_id_again_is_the_same_order_across_hosts() {
    placement::check_the_same_channel_and_external_id_again_is_the_same_order(
        Deployment::multi_host(),
    );
}
