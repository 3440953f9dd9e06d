//! One integrations pass, as a component runs it (the cron `integrations-runner` every minute,
//! `POST /integrations/run` on demand): the sequencer adds to the feed what the orders,
//! subscriptions and inventory services committed ([`sources`], over their WIT interfaces), then every enabled
//! webhook endpoint gets what is due ([`transport`], over wasi:http), and the customer messages
//! taken are recorded in their orders' histories ([`history`]).

pub mod history;
pub mod sources;
pub mod transport;

use integrations_service::delivery::PassReport;
use integrations_service::endpoint::{EndpointError, Endpoints};
use integrations_service::feed::{Feed, FeedError, Report};
use orderflow_domain::values::Timestamp;
use orderflow_kv::Kv;

/// How many events one pass sends to each endpoint.
pub const DELIVERIES_PER_PASS: usize = 20;

/// Why a pass stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassError {
    /// The sequencer failed.
    Feed(FeedError),
    /// Deliveries failed.
    Deliveries(EndpointError),
}

/// One pass at `now`: the orders' and subscriptions' listings caught up, then sequence and
/// deliver.
pub fn run<K: Kv>(kv: &K, now: Timestamp, nonce: u64) -> Result<(Report, PassReport), PassError> {
    // Listings catch up on their own when read; this keeps that quick. A failure here is the
    // listings' to retry, not a reason to hold back deliveries.
    let _indexed = http_common::orders::catch_up_indexes();
    let _derived = sources::catch_up_subscriptions();
    let report = Feed::new(kv, now, nonce)
        .sequence(&sources::Services)
        .map_err(PassError::Feed)?;
    let delivered = Endpoints::new(kv, now, nonce)
        .deliver_all(
            &transport::Wasi,
            &history::OrderHistory,
            DELIVERIES_PER_PASS,
        )
        .map_err(PassError::Deliveries)?;
    Ok((report, delivered))
}
