//! The integrations service's keys, all under `int/` (counters under `int/n/`), and nowhere
//! else: the feed, its consumers, webhook endpoints and their deliveries, notification templates.
//!
//! | key | holds | written by |
//! |---|---|---|
//! | `int/feed/head` | the feed's head: last position, the sources' cursors, the current batch | compare-and-swap |
//! | `int/feed/b/{writeId}` | a pass's batch of new events, until copied to their positions | `set`, then `delete` |
//! | `int/feed/e/{position}` | one event | `set` (the same bytes by whoever copies it) |
//! | `int/consumer/{name}` | a feed consumer: filter, position, items handed out | compare-and-swap |
//! | `int/endpoints` | the ids of the webhook endpoints | compare-and-swap |
//! | `int/endpoint/{id}` | an endpoint: settings, secrets, cursor, queued events | compare-and-swap |
//! | `int/delivery/{endpoint}/{number}` | one event's delivery to an endpoint and its attempts (a message's body, frozen before its first attempt) | `set` |
//! | `int/template/{step}/{locale}` | the store's own template of a customer message | `set`, `delete` |
//! | `int/kick` | the last time slot an after-answer pass was claimed for | compare-and-swap |

/// The feed's head.
pub(crate) const FEED_HEAD: &str = "int/feed/head";

/// A pass's batch of events.
pub(crate) fn feed_batch(write_id: &str) -> String {
    format!("int/feed/b/{write_id}")
}

/// The event at a position.
pub(crate) fn feed_event(position: u64) -> String {
    format!("int/feed/e/{position}")
}

/// A feed consumer.
pub(crate) fn consumer(name: &str) -> String {
    format!("int/consumer/{name}")
}

/// The last slot claimed for a kicked pass.
pub(crate) const KICK: &str = "int/kick";

/// The list of webhook endpoints.
pub(crate) const ENDPOINTS: &str = "int/endpoints";

/// A webhook endpoint.
pub(crate) fn endpoint(id: &str) -> String {
    format!("int/endpoint/{id}")
}

/// The store's template of a step in a language.
pub(crate) fn template(step: &str, locale: &str) -> String {
    format!("int/template/{step}/{locale}")
}

/// One delivery of an endpoint.
pub(crate) fn delivery(endpoint: &str, number: u64) -> String {
    format!("int/delivery/{endpoint}/{number}")
}
