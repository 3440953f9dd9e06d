//! Delivering events to webhook endpoints: at least once, in order per order or subscription,
//! retried on a schedule, then dead-lettered; an endpoint failing for five days in a row is
//! disabled and says why.
//!
//! A pass over one endpoint (1) queues the feed's new matching events and leases the due ones,
//! in one swap of the endpoint's document; (2) sends each leased event, signed; (3) records
//! every attempt in the endpoint's delivery log and (4) applies the outcomes in a second swap.
//! An event waits while an earlier event of the same order or subscription is queued, so a
//! receiver sees each order's events in order. Passes may overlap: a leased event is not sent
//! by another pass until its lease lapses (a pass that died mid-way), which is how one event can
//! arrive twice, always with the same `webhook-id` and body.

use chrono::TimeDelta;
use orderflow_domain::values::Timestamp;
use orderflow_kv::Kv;
use serde::{Deserialize, Serialize};

use crate::endpoint::{EndpointError, Endpoints, Kind, Notified, Queued, Stored, decode, encode};
use crate::feed::{Event, Feed, FeedError};
use crate::keys;
use crate::notify;
use crate::signature;
use crate::templates::Templates;

/// The waits after each failed attempt; an event that fails once more is dead-lettered.
pub const RETRY_AFTER: [TimeDelta; 7] = [
    TimeDelta::seconds(5),
    TimeDelta::minutes(5),
    TimeDelta::minutes(30),
    TimeDelta::hours(2),
    TimeDelta::hours(5),
    TimeDelta::hours(10),
    TimeDelta::hours(10),
];
/// How long an endpoint may fail every attempt before it is disabled.
pub const DISABLE_AFTER: TimeDelta = TimeDelta::days(5);
/// How long a pass holds the events it is sending.
pub const LEASE: TimeDelta = TimeDelta::seconds(60);
/// How many events an endpoint may have queued; past it, its cursor waits.
pub const MAX_QUEUED: usize = 1000;
/// How many feed events one pass reads for one endpoint.
const READ_PER_PASS: usize = 200;
/// How much of a receiver's answer the log keeps.
pub const ANSWER_KEPT: usize = 1024;
/// How many attempts a delivery's log keeps (the last ones).
const ATTEMPTS_KEPT: usize = 20;

/// What a receiver answered, or why nothing came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code, if an answer came.
    pub status: Option<u16>,
    /// The first [`ANSWER_KEPT`] bytes of the answer, or the error.
    pub text: String,
    /// Milliseconds from sending to the answer (or the failure).
    pub latency_ms: u64,
}

impl Answer {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// How requests leave: outbound HTTP on Spin, a recorder in tests.
pub trait Transport {
    /// POSTs `body` to `url` with `headers`; a receiver that does not answer within 10 s has
    /// failed.
    fn post(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> Answer;
}

/// Where a customer message taken by an endpoint is recorded: the order's history, through the
/// orders service.
pub trait Recorder {
    /// Records `notified` (a second recording of one event and endpoint is a no-op).
    fn record(&self, notified: &Notified) -> Result<(), String>;
}

/// One attempt, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    pub at: Timestamp,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub answer: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryStatus {
    /// Queued, not tried yet.
    Pending,
    /// Failed, to be retried at `next_attempt_at`.
    Retrying,
    /// A receiver took it (2xx).
    Delivered,
    /// Every attempt failed: dead-lettered (a manual retry queues it again).
    Dead,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `{endpoint}.{number}`.
    pub id: String,
    pub number: u64,
    pub event_id: String,
    pub event_type: String,
    pub position: u64,
    pub status: DeliveryStatus,
    pub attempts: Vec<AttemptRecord>,
    pub next_attempt_at: Option<Timestamp>,
    /// A customer message's body, fixed before its first attempt so that every attempt sends
    /// the same bytes under the same `webhook-id` (templates may change meanwhile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// What to record in the order's history once the message is taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified: Option<Notified>,
}

/// A request to send: URL, headers, body.
pub type Request = (String, Vec<(String, String)>, Vec<u8>);

/// What a pass over the endpoints did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub attempted: u64,
    pub delivered: u64,
    pub failed: u64,
    pub dead: u64,
    pub disabled: u64,
}

/// The body of a delivery: Standard Webhooks' `{type, timestamp, data}`, `data` being the event.
pub fn body(event: &Event) -> Result<Vec<u8>, EndpointError> {
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        timestamp: Timestamp,
        data: &'a Event,
    }
    Ok(encode(&Body {
        kind: &event.kind,
        timestamp: event.at,
        data: event,
    })?)
}

/// The body of a notification: the customer's message for the event's step in the endpoint's
/// language, rendered from the store's template or the default (`notify`), under Standard
/// Webhooks' envelope; and what to record once it is taken.
fn message<K: Kv>(
    templates: &Templates<'_, K>,
    stored: &Stored,
    event: &Event,
) -> Result<(String, Option<Notified>), EndpointError> {
    let data: serde_json::Value = serde_json::from_str(event.data.get())
        .map_err(|e| EndpointError::Store(format!("an event's data: {e}")))?;
    let rendered = match notify::step_of(event, &data) {
        Some(step) => {
            let effective = templates.effective(step, stored.locale)?;
            notify::render(&effective.template, step, stored.locale, event, &data)
        }
        None => None,
    };
    let notified = rendered.as_ref().map(|m| Notified {
        order_id: m.order_id.clone(),
        event_id: event.id.clone(),
        endpoint_id: stored.id.clone(),
        template: m.template.clone(),
        locale: m.locale,
        subject: m.subject.clone(),
        to: m.to.clone(),
    });
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        timestamp: Timestamp,
        data: Option<notify::Message>,
    }
    let body = encode(&Body {
        kind: "customer.notification",
        timestamp: event.at,
        data: rendered,
    })?;
    let body = String::from_utf8(body)
        .map_err(|e| EndpointError::Store(format!("a message's body: {e}")))?;
    Ok((body, notified))
}

/// Whether an endpoint of `kind` takes `event`: a notification endpoint only the steps a
/// customer hears of.
fn takes(kind: Kind, event: &Event) -> bool {
    match kind {
        Kind::Webhook => true,
        Kind::CustomerNotification => serde_json::from_str::<serde_json::Value>(event.data.get())
            .is_ok_and(|data| notify::step_of(event, &data).is_some()),
    }
}

/// The signed headers of one attempt.
pub(crate) fn headers(
    stored: &Stored,
    now: Timestamp,
    id: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let secrets = stored.signing(now);
    let secrets: Vec<&signature::Secret> = secrets.iter().collect();
    let timestamp = now.unix_seconds();
    vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("user-agent".to_owned(), "orderflow-webhooks/1".to_owned()),
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
        (
            "webhook-signature".to_owned(),
            signature::header(&secrets, id, timestamp, body),
        ),
    ]
}

impl<K: Kv> Endpoints<'_, K> {
    /// One delivery pass over every enabled webhook endpoint, at most `per_endpoint` sends each;
    /// the customer messages taken are recorded through `recorder`.
    pub fn deliver_all(
        &self,
        transport: &impl Transport,
        recorder: &impl Recorder,
        per_endpoint: usize,
    ) -> Result<PassReport, EndpointError> {
        let mut report = PassReport::default();
        for endpoint in self.list()? {
            if !endpoint.enabled {
                continue;
            }
            let delivered = self
                .deliver(&endpoint.id, transport, per_endpoint)
                .and_then(|one| {
                    self.record(&endpoint.id, recorder)?;
                    Ok(one)
                });
            match delivered {
                Ok(one) => {
                    report.attempted += one.attempted;
                    report.delivered += one.delivered;
                    report.failed += one.failed;
                    report.dead += one.dead;
                    report.disabled += one.disabled;
                }
                // Deleted meanwhile.
                Err(EndpointError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// One delivery pass over one endpoint.
    pub fn deliver(
        &self,
        id: &str,
        transport: &impl Transport,
        max: usize,
    ) -> Result<PassReport, EndpointError> {
        let feed = Feed::new(self.kv, self.now, self.nonce);
        let now = self.now;
        let lease_until = now.checked_add(LEASE).unwrap_or(now);
        // (1) Queue new events and lease the due ones.
        let (stored, leased) = self.update(id, |s| {
            let mut changed = queue_new(s, &feed, now)?;
            if !s.enabled {
                return Ok(changed.then(Vec::new));
            }
            let mut subjects = std::collections::BTreeSet::new();
            let mut leased = Vec::new();
            s.queue.sort_by_key(|q| q.position);
            for q in &mut s.queue {
                let first_of_subject = subjects.insert(q.subject.clone());
                if !first_of_subject || leased.len() >= max {
                    continue;
                }
                let free = q.lease_until.is_none_or(|until| until <= now);
                if q.next_at <= now && free {
                    q.lease_until = Some(lease_until);
                    leased.push(q.clone());
                    changed = true;
                }
            }
            Ok(changed.then_some(leased))
        })?;
        let leased = leased.unwrap_or_default();
        if leased.is_empty() {
            return Ok(PassReport::default());
        }
        // (2) Send (a customer message's body is fixed first).
        let mut requests = Vec::new();
        let mut frozen = Vec::new();
        let templates = Templates::new(self.kv);
        for q in &leased {
            let event = match feed.read(q.position - 1, 1, &[]) {
                Ok((events, _)) => events.into_iter().find(|e| e.position == q.position),
                Err(FeedError::Expired { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            let mut notified = None;
            let body = match (&event, stored.kind) {
                (None, _) => None,
                (Some(event), Kind::Webhook) => Some(body(event)?),
                (Some(event), Kind::CustomerNotification) => {
                    let key = keys::delivery(id, q.delivery);
                    let logged = match self.kv.get(&key)? {
                        Some(bytes) => Some(decode::<Delivery>(&key, &bytes)?),
                        None => None,
                    };
                    match logged {
                        Some(Delivery {
                            body: Some(body),
                            notified: kept,
                            ..
                        }) => {
                            notified = kept;
                            Some(body.into_bytes())
                        }
                        logged => {
                            let (body, made) = message(&templates, &stored, event)?;
                            let mut delivery =
                                logged.unwrap_or_else(|| new_delivery(id, q, &event.kind));
                            delivery.body = Some(body.clone());
                            delivery.notified.clone_from(&made);
                            frozen.push((key, encode(&delivery)?));
                            notified = made;
                            Some(body.into_bytes())
                        }
                    }
                }
            };
            requests.push((q, event, body, notified));
        }
        if !frozen.is_empty() {
            self.kv.set_many(&frozen)?;
        }
        let mut results = Vec::new();
        for (q, event, body, notified) in requests {
            let answer = match (&event, body) {
                (Some(event), Some(body)) => {
                    let headers = headers(&stored, now, &event.id, &body);
                    transport.post(&stored.url, &headers, &body)
                }
                _ => Answer {
                    status: None,
                    text: "the event is past the feed's retention".to_owned(),
                    latency_ms: 0,
                },
            };
            results.push((q.clone(), event, answer, notified));
        }
        // (3) Apply the outcomes.
        let mut report = PassReport::default();
        let (after, _) = self.update(id, |s| {
            report = PassReport::default();
            for (q, _, answer, notified) in &results {
                report.attempted += 1;
                let Some(at) = s.queue.iter().position(|x| x.delivery == q.delivery) else {
                    continue;
                };
                if answer.succeeded() {
                    s.queue.remove(at);
                    s.failing_since = None;
                    report.delivered += 1;
                    if let Some(notified) = notified {
                        s.unrecorded.push(notified.clone());
                    }
                    continue;
                }
                report.failed += 1;
                s.failing_since = s.failing_since.or(Some(now));
                if answer.status == Some(410) {
                    s.enabled = false;
                    s.disabled_reason = Some(format!(
                        "the receiver answered 410 Gone at {}",
                        now.to_rfc3339()
                    ));
                    report.disabled += 1;
                }
                let entry = &mut s.queue[at];
                entry.attempts += 1;
                entry.lease_until = None;
                match RETRY_AFTER.get(usize::try_from(entry.attempts - 1).unwrap_or(usize::MAX)) {
                    Some(wait) => entry.next_at = now.checked_add(*wait).unwrap_or(now),
                    None => {
                        s.queue.remove(at);
                        report.dead += 1;
                    }
                }
            }
            if s.enabled
                && let Some(since) = s.failing_since
                && now.as_datetime() - since.as_datetime() >= DISABLE_AFTER
            {
                s.enabled = false;
                s.disabled_reason = Some(format!(
                    "every delivery failed from {} to {} (5 days)",
                    since.to_rfc3339(),
                    now.to_rfc3339()
                ));
                report.disabled += 1;
            }
            Ok(Some(()))
        })?;
        // (4) The log.
        let mut records = Vec::new();
        for (q, event, answer, _) in &results {
            let key = keys::delivery(id, q.delivery);
            let mut delivery = match self.kv.get(&key)? {
                Some(bytes) => decode::<Delivery>(&key, &bytes)?,
                None => new_delivery(
                    id,
                    q,
                    event.as_ref().map(|e| e.kind.as_str()).unwrap_or_default(),
                ),
            };
            delivery.attempts.push(AttemptRecord {
                at: now,
                status: answer.status,
                latency_ms: answer.latency_ms,
                answer: truncate(&answer.text, ANSWER_KEPT),
            });
            if delivery.attempts.len() > ATTEMPTS_KEPT {
                delivery.attempts.remove(0);
            }
            let queued = after.queue.iter().find(|x| x.delivery == q.delivery);
            (delivery.status, delivery.next_attempt_at) = match queued {
                Some(q) => (DeliveryStatus::Retrying, Some(q.next_at)),
                None if answer.succeeded() => (DeliveryStatus::Delivered, None),
                None => (DeliveryStatus::Dead, None),
            };
            records.push((key, encode(&delivery)?));
        }
        self.kv.set_many(&records)?;
        Ok(report)
    }

    /// The endpoint's deliveries, newest first: up to `limit` numbered below `before` (all
    /// when `None`), and the number to continue below.
    pub fn deliveries(
        &self,
        id: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<Delivery>, Option<u64>), EndpointError> {
        let stored = self.stored(id)?;
        let mut number = before
            .unwrap_or(stored.deliveries + 1)
            .min(stored.deliveries + 1);
        let mut items = Vec::new();
        while number > 1 && items.len() < limit {
            number -= 1;
            let key = keys::delivery(id, number);
            match self.kv.get(&key)? {
                Some(bytes) => items.push(decode::<Delivery>(&key, &bytes)?),
                None => {
                    // Queued and not tried yet: shown from the queue.
                    if let Some(q) = stored.queue.iter().find(|q| q.delivery == number) {
                        items.push(Delivery {
                            id: format!("{id}.{number}"),
                            number,
                            event_id: q.event_id.clone(),
                            event_type: String::new(),
                            position: q.position,
                            status: DeliveryStatus::Pending,
                            attempts: Vec::new(),
                            next_attempt_at: Some(q.next_at),
                            body: None,
                            notified: None,
                        });
                    }
                }
            }
        }
        Ok((items, (number > 1).then_some(number)))
    }

    /// Records in the orders' histories the customer messages the endpoint took, then forgets
    /// them; what fails to record stays for the next pass (recording twice is harmless).
    pub fn record(&self, id: &str, recorder: &impl Recorder) -> Result<u64, EndpointError> {
        let stored = self.stored(id)?;
        let recorded: Vec<&Notified> = stored
            .unrecorded
            .iter()
            .filter(|n| recorder.record(n).is_ok())
            .collect();
        if recorded.is_empty() {
            return Ok(0);
        }
        self.update(id, |s| {
            s.unrecorded.retain(|n| !recorded.contains(&n));
            Ok(Some(()))
        })?;
        Ok(recorded.len() as u64)
    }

    /// Queues a delivery again now: a dead one from its first attempt, a retrying one at once.
    pub fn retry(&self, id: &str, number: u64) -> Result<Delivery, EndpointError> {
        let key = keys::delivery(id, number);
        let mut delivery: Delivery = match self.kv.get(&key)? {
            Some(bytes) => decode(&key, &bytes)?,
            None => return Err(EndpointError::NotFound),
        };
        let now = self.now;
        let subject = self.subject_of(delivery.position)?;
        self.update(id, |s| {
            match s.queue.iter_mut().find(|q| q.delivery == number) {
                Some(q) => {
                    q.next_at = now;
                    q.lease_until = None;
                }
                None => s.queue.push(Queued {
                    delivery: number,
                    position: delivery.position,
                    event_id: delivery.event_id.clone(),
                    subject: subject.clone(),
                    attempts: 0,
                    next_at: now,
                    lease_until: None,
                }),
            }
            Ok(Some(()))
        })?;
        if delivery.status != DeliveryStatus::Delivered {
            delivery.status = DeliveryStatus::Retrying;
        }
        delivery.next_attempt_at = Some(now);
        self.kv.set(&key, &encode(&delivery)?)?;
        Ok(delivery)
    }

    /// A `webhook.test` event for the endpoint, outside the feed: its URL, signed headers and
    /// body, for the operator to see the receiver answer at once.
    pub fn test_request(&self, id: &str) -> Result<Request, EndpointError> {
        let stored = self.stored(id)?;
        let event_id = format!("evt_test_{:x}", self.nonce);
        let body = encode(&serde_json::json!({
            "type": "webhook.test",
            "timestamp": self.now,
            "data": {"id": event_id, "endpointId": id},
        }))?;
        let headers = headers(&stored, self.now, &event_id, &body);
        Ok((stored.url, headers, body))
    }

    fn subject_of(&self, position: u64) -> Result<String, EndpointError> {
        let feed = Feed::new(self.kv, self.now, self.nonce);
        let (events, _) = feed.read(position - 1, 1, &[])?;
        Ok(events
            .iter()
            .find(|e| e.position == position)
            .map(|e| e.subject().to_owned())
            .unwrap_or_default())
    }

    /// Sends again every matching event from `since` on: the replay is queued by the next
    /// passes, oldest first, beside new events. Answers the feed positions it covers.
    pub fn replay(&self, id: &str, since: Timestamp) -> Result<(u64, u64), EndpointError> {
        let feed = Feed::new(self.kv, self.now, self.nonce);
        let (first, last) = feed.bounds()?;
        let from = first_at_or_after(&feed, first, last, since)?;
        self.update(id, |s| {
            let to = s.cursor.min(last);
            s.replay = (from <= to).then_some((from, to));
            Ok(Some(()))
        })?;
        Ok((from, last))
    }
}

/// The first feed position whose event is at or after `since` (positions follow time closely
/// enough to search: each pass numbers what committed since the previous one).
fn first_at_or_after<K: Kv>(
    feed: &Feed<'_, K>,
    first: u64,
    last: u64,
    since: Timestamp,
) -> Result<u64, EndpointError> {
    let (mut low, mut high) = (first, last + 1);
    while low < high {
        let middle = low + (high - low) / 2;
        let at = match feed.read(middle - 1, 1, &[]) {
            Ok((events, _)) => events.first().map(|e| e.at),
            Err(FeedError::Expired { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        match at {
            Some(at) if at < since => low = middle + 1,
            _ => high = middle,
        }
    }
    Ok(low)
}

/// Queues the feed's new events (and a replay's) that match; answers whether anything changed.
fn queue_new<K: Kv>(
    s: &mut Stored,
    feed: &Feed<'_, K>,
    now: Timestamp,
) -> Result<bool, EndpointError> {
    let mut changed = false;
    let mut room = MAX_QUEUED.saturating_sub(s.queue.len()).min(READ_PER_PASS);
    if let Some((from, to)) = s.replay
        && room > 0
    {
        let (events, next) = feed.read(from - 1, room, &[])?;
        let next = next.min(to);
        for event in events.iter().filter(|e| e.position <= to) {
            if s.filter.matches(event)
                && takes(s.kind, event)
                && !s.queue.iter().any(|q| q.event_id == event.id)
            {
                enqueue(s, event, now);
                room -= 1;
            }
        }
        s.replay = (next < to).then_some((next + 1, to));
        changed = true;
    }
    if !s.enabled || room == 0 {
        return Ok(changed);
    }
    let (events, next) = match feed.read(s.cursor, room, &[]) {
        Ok(read) => read,
        Err(FeedError::Expired { first }) => feed.read(first - 1, room, &[])?,
        Err(e) => return Err(e.into()),
    };
    for event in &events {
        if s.filter.matches(event) && takes(s.kind, event) {
            enqueue(s, event, now);
        }
    }
    if next > s.cursor {
        s.cursor = next;
        changed = true;
    }
    Ok(changed)
}

/// Queues `event`, due now: an event's own time may be a test clock's, years ahead.
fn enqueue(s: &mut Stored, event: &Event, now: Timestamp) {
    s.deliveries += 1;
    s.queue.push(Queued {
        delivery: s.deliveries,
        position: event.position,
        event_id: event.id.clone(),
        subject: event.subject().to_owned(),
        attempts: 0,
        next_at: now,
        lease_until: None,
    });
}

/// A delivery's log entry before any attempt.
fn new_delivery(endpoint: &str, q: &Queued, event_type: &str) -> Delivery {
    Delivery {
        id: format!("{endpoint}.{}", q.delivery),
        number: q.delivery,
        event_id: q.event_id.clone(),
        event_type: event_type.to_owned(),
        position: q.position,
        status: DeliveryStatus::Pending,
        attempts: Vec::new(),
        next_attempt_at: None,
        body: None,
        notified: None,
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
