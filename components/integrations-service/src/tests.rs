//! The sequencer against a source that follows the outbox protocol, on the in-memory store with
//! its faults: concurrent passes, Redis' swap reports, writers that die between their outbox
//! entry and their swap.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "tests: a failed step should fail the test, with its message"
)]

use std::cell::RefCell;
use std::collections::BTreeMap;

use chrono::TimeDelta;
use orderflow_domain::values::Timestamp;
use orderflow_kv::Kv;
use orderflow_kv::memory::MemoryKv;
use serde_json::value::RawValue;

use crate::feed::{Entry, EntryState, Event, Feed, FeedError, Outboxes, Page, Source};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_800_000_000 + seconds).expect("an instant")
}

/// A source: documents with a version and the outbox position of each version, and an outbox
/// whose entries name a document and the version they would write. Kept beside the store,
/// since the protocol under test is the sequencer's.
#[derive(Default)]
struct Source1 {
    /// subject -> positions of its versions 1..=n
    docs: RefCell<BTreeMap<String, Vec<u64>>>,
    /// position -> (subject, version, when)
    outbox: RefCell<BTreeMap<u64, (String, u64, Timestamp)>>,
    last: RefCell<u64>,
    /// Seconds after `at(0)` at which writers write.
    clock: RefCell<i64>,
}

impl Source1 {
    /// A writer takes a position and writes its entry for the document's next version.
    fn begin(&self, subject: &str) -> u64 {
        let position = {
            let mut last = self.last.borrow_mut();
            *last += 1;
            *last
        };
        let version = self.docs.borrow().get(subject).map_or(0, Vec::len) as u64 + 1;
        let when = at(*self.clock.borrow());
        self.outbox
            .borrow_mut()
            .insert(position, (subject.to_owned(), version, when));
        position
    }

    /// Its swap: succeeds only if the document is still at the version before.
    fn commit(&self, position: u64) -> bool {
        let (subject, version, _) = self.outbox.borrow()[&position].clone();
        let mut docs = self.docs.borrow_mut();
        let versions = docs.entry(subject).or_default();
        if versions.len() as u64 + 1 != version {
            return false;
        }
        versions.push(position);
        true
    }

    fn write(&self, subject: &str) -> u64 {
        let position = self.begin(subject);
        assert!(self.commit(position));
        position
    }

    fn event(subject: &str, version: u64, position: u64, when: Timestamp) -> Event {
        Event {
            id: format!("evt_o{position}_0"),
            position: 0,
            kind: "order.changed".to_owned(),
            order_id: Some(subject.to_owned()),
            subscription_id: None,
            sku: None,
            channel: None,
            from: None,
            to: None,
            at: when,
            data: RawValue::from_string(format!("{{\"version\":{version}}}")).expect("json"),
        }
    }

    fn decide(&self, position: u64) -> EntryState {
        let Some((subject, version, when)) = self.outbox.borrow().get(&position).cloned() else {
            return EntryState::Pending;
        };
        let docs = self.docs.borrow();
        let versions = docs.get(&subject).cloned().unwrap_or_default();
        match versions.get(usize::try_from(version - 1).expect("small")) {
            None => EntryState::Pending,
            Some(p) if *p == position => {
                EntryState::Committed(vec![Self::event(&subject, version, position, when)])
            }
            Some(_) => EntryState::Dead,
        }
    }
}

impl Outboxes for Source1 {
    fn read(
        &self,
        source: Source,
        after: u64,
        limit: u32,
        recheck: &[u64],
    ) -> Result<Page, String> {
        if source != Source::Orders {
            return Ok(Page::default());
        }
        let last = *self.last.borrow();
        let mut positions: Vec<u64> = recheck.to_vec();
        positions.extend((after + 1..=last).take(limit as usize));
        Ok(Page {
            entries: positions
                .into_iter()
                .map(|position| Entry {
                    position,
                    state: self.decide(position),
                })
                .collect(),
        })
    }
}

/// Every event of the feed, read in pages of three.
fn all(kv: &MemoryKv, now: Timestamp) -> Vec<Event> {
    let feed = Feed::new(kv, now, 1);
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let (page, next) = feed.read(after, 3, &[]).expect("a read");
        if page.is_empty() {
            return events;
        }
        events.extend(page);
        after = next;
    }
}

/// (subject, version) of each event, with its position checked to be gapless from 1.
fn versions(events: &[Event]) -> Vec<(String, u64)> {
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.position, i as u64 + 1, "positions are gapless");
    }
    events
        .iter()
        .map(|e| {
            let data: serde_json::Value = serde_json::from_str(e.data.get()).expect("json");
            (e.subject().to_owned(), data["version"].as_u64().expect("v"))
        })
        .collect()
}

#[test]
fn committed_entries_become_gapless_events_in_order() {
    let kv = MemoryKv::new();
    let source = Source1::default();
    source.write("o-1");
    source.write("o-2");
    source.write("o-1");
    let report = Feed::new(&kv, at(0), 1).sequence(&source).expect("a pass");
    assert_eq!(report.added, 3);
    assert_eq!(
        versions(&all(&kv, at(0))),
        [("o-1".into(), 1), ("o-2".into(), 1), ("o-1".into(), 2)]
    );
    // Nothing new: a pass writes nothing.
    kv.clear_calls();
    let report = Feed::new(&kv, at(1), 2).sequence(&source).expect("a pass");
    assert_eq!(report.added, 0);
    assert!(
        kv.calls()
            .iter()
            .all(|c| !matches!(c, orderflow_kv::memory::Call::CasSwap(_))),
        "an idle pass swaps nothing: {:?}",
        kv.calls()
    );
}

#[test]
fn a_pending_entry_is_added_once_it_commits_and_before_its_documents_next_version() {
    let kv = MemoryKv::new();
    let source = Source1::default();
    let slow = source.begin("o-1");
    source.write("o-2");
    Feed::new(&kv, at(0), 1).sequence(&source).expect("a pass");
    assert_eq!(versions(&all(&kv, at(0))), [("o-2".into(), 1)]);
    assert!(source.commit(slow));
    source.write("o-1");
    Feed::new(&kv, at(5), 2).sequence(&source).expect("a pass");
    assert_eq!(
        versions(&all(&kv, at(5))),
        [("o-2".into(), 1), ("o-1".into(), 1), ("o-1".into(), 2)]
    );
}

#[test]
fn dead_entries_leave_no_gap_and_forgotten_ones_stop_waiting() {
    let kv = MemoryKv::new();
    let source = Source1::default();
    // Two writers race for o-1's version 1; the second wins.
    let loser = source.begin("o-1");
    let winner = source.begin("o-1");
    assert!(source.commit(winner));
    assert!(!source.commit(loser));
    // A writer that died before its swap.
    source.begin("o-9");
    source.write("o-2");
    let report = Feed::new(&kv, at(0), 1).sequence(&source).expect("a pass");
    assert_eq!(report.pending, 1);
    assert_eq!(
        versions(&all(&kv, at(0))),
        [("o-1".into(), 1), ("o-2".into(), 1)]
    );
    let report = Feed::new(&kv, at(3599), 2)
        .sequence(&source)
        .expect("a pass");
    assert_eq!(report.pending, 1, "still waiting before the hour");
    let report = Feed::new(&kv, at(3600), 3)
        .sequence(&source)
        .expect("a pass");
    assert_eq!(report.pending, 0, "forgotten after an hour");
}

#[test]
fn passes_that_race_never_number_an_event_twice() {
    let kv = MemoryKv::new();
    let source = std::rc::Rc::new(Source1::default());
    for i in 0..10 {
        source.write(&format!("o-{}", i % 3));
    }
    // A whole pass slips in between another pass's read and its swap.
    let inner = source.clone();
    kv.interleave(move |kv| {
        Feed::new(kv, at(0), 99)
            .sequence(inner.as_ref())
            .expect("the inner pass");
    });
    Feed::new(&kv, at(0), 1)
        .sequence(source.as_ref())
        .expect("the outer pass");
    let events = all(&kv, at(0));
    assert_eq!(events.len(), 10);
    versions(&events);
    // And with Redis' report of a successful swap as failed.
    for i in 0..5 {
        source.write(&format!("o-{}", i % 2));
    }
    kv.lie_about_swaps(1);
    Feed::new(&kv, at(1), 2)
        .sequence(source.as_ref())
        .expect("a pass");
    let events = all(&kv, at(1));
    assert_eq!(events.len(), 15);
    let ids: std::collections::BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 15, "each event once");
    assert!(
        kv.keys().iter().all(|k| !k.starts_with("int/feed/b/")),
        "no batch is left behind: {:?}",
        kv.keys()
    );
}

#[test]
fn reads_filter_by_type_and_expired_positions_are_refused() {
    let kv = MemoryKv::new();
    let source = Source1::default();
    for _ in 0..4 {
        source.write("o-1");
    }
    Feed::new(&kv, at(0), 1).sequence(&source).expect("a pass");
    let feed = Feed::new(&kv, at(0), 2);
    let (events, next) = feed
        .read(0, 10, &["order.placed".to_owned()])
        .expect("a read");
    assert!(events.is_empty());
    assert_eq!(next, 4, "a filtered read still moves past what it skipped");
    // A week later a pass expires them.
    let later = at(1).checked_add(TimeDelta::days(7)).expect("later");
    *source.clock.borrow_mut() = later.unix_seconds() - at(0).unix_seconds();
    source.write("o-2");
    let report = Feed::new(&kv, later, 3).sequence(&source).expect("a pass");
    assert_eq!(report.expired, 4);
    assert_eq!(
        Feed::new(&kv, later, 4).read(0, 10, &[]).map(|r| r.0.len()),
        Err(FeedError::Expired { first: 5 })
    );
    let (events, _) = Feed::new(&kv, later, 4).read(4, 10, &[]).expect("a read");
    assert_eq!(events.len(), 1);
    assert!(kv.get("int/feed/e/1").expect("a get").is_none());
    // A position past the end, the largest included, is an empty page, not an expired one.
    let (events, next) = Feed::new(&kv, later, 4)
        .read(u64::MAX, 10, &[])
        .expect("a read");
    assert_eq!((events.len(), next), (0, u64::MAX));
}

mod consumers {
    use super::*;
    use crate::consumer::{ConsumerError, Consumers, Settings};

    fn settings(types: &[&str], timeout: u32) -> Settings {
        Settings {
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            visibility_timeout_seconds: timeout,
        }
    }

    #[test]
    fn uncommitted_items_come_back_after_the_timeout_and_committed_ones_never() {
        let kv = MemoryKv::new();
        let source = Source1::default();
        source.write("o-0");
        Feed::new(&kv, at(0), 1).sequence(&source).expect("a pass");
        // Created now: it sees what comes after.
        let (view, created) = Consumers::new(&kv, at(0), 2)
            .configure("erp", settings(&[], 60))
            .expect("configured");
        assert!(created);
        assert_eq!(view.position, 1);
        for i in 0..5 {
            source.write(&format!("o-{i}"));
        }
        Feed::new(&kv, at(1), 3).sequence(&source).expect("a pass");

        let first = Consumers::new(&kv, at(2), 4)
            .take("erp", 3)
            .expect("a batch");
        let positions: Vec<u64> = first.iter().map(|i| i.event.position).collect();
        assert_eq!(positions, [2, 3, 4]);
        let second = Consumers::new(&kv, at(3), 5)
            .take("erp", 10)
            .expect("a batch");
        let positions: Vec<u64> = second.iter().map(|i| i.event.position).collect();
        assert_eq!(positions, [5, 6], "handed-out items stay invisible");
        // Commit two of the first batch and all of the second.
        let mut handles: Vec<String> = first[..2].iter().map(|i| i.handle.clone()).collect();
        handles.extend(second.iter().map(|i| i.handle.clone()));
        assert_eq!(Consumers::new(&kv, at(4), 6).commit("erp", &handles), Ok(4));
        assert_eq!(Consumers::new(&kv, at(5), 7).commit("erp", &handles), Ok(0));
        assert!(
            Consumers::new(&kv, at(61), 8)
                .take("erp", 10)
                .expect("a batch")
                .is_empty()
        );
        let again = Consumers::new(&kv, at(62), 9)
            .take("erp", 10)
            .expect("a batch");
        let positions: Vec<u64> = again.iter().map(|i| i.event.position).collect();
        assert_eq!(positions, [4], "the uncommitted one is back after 60 s");
        assert_ne!(again[0].handle, first[2].handle, "with a new handle");
        assert_eq!(
            Consumers::new(&kv, at(63), 10).commit("erp", &[first[2].handle.clone()]),
            Ok(0),
            "the old handle commits nothing"
        );
        assert_eq!(
            Consumers::new(&kv, at(63), 11).commit("erp", &[again[0].handle.clone()]),
            Ok(1)
        );
    }

    #[test]
    fn consumers_keep_their_own_positions_and_filters() {
        let kv = MemoryKv::new();
        let source = Source1::default();
        let consumers = Consumers::new(&kv, at(0), 1);
        consumers
            .configure("erp", settings(&["order.placed"], 60))
            .expect("erp");
        consumers.configure("bi", settings(&[], 60)).expect("bi");
        for _ in 0..3 {
            source.write("o-1");
        }
        Feed::new(&kv, at(1), 2).sequence(&source).expect("a pass");
        assert!(
            Consumers::new(&kv, at(2), 3)
                .take("erp", 10)
                .expect("erp")
                .is_empty()
        );
        assert_eq!(
            Consumers::new(&kv, at(2), 4)
                .take("bi", 10)
                .expect("bi")
                .len(),
            3
        );
        assert_eq!(
            Consumers::new(&kv, at(2), 5)
                .take("nobody", 10)
                .map(|i| i.len()),
            Err(ConsumerError::NotFound)
        );
    }
}

mod deliveries {
    use super::*;
    use crate::delivery::{Answer, DeliveryStatus, Recorder, Transport};
    use crate::endpoint::{EndpointChange, Endpoints, Filter, Kind, NewEndpoint, Notified};
    use crate::notify::Locale;
    use crate::signature::{SECRET_BYTES, Secret};

    /// A request as the receiver got it: its headers and body.
    type Request = (Vec<(String, String)>, Vec<u8>);

    /// A receiver: answers each order's requests with that order's next scripted status (the
    /// last one forever; 200 for an order without a script) and keeps what it got.
    struct Receiver {
        scripts: RefCell<BTreeMap<String, Vec<Option<u16>>>>,
        got: RefCell<Vec<Request>>,
    }

    impl Receiver {
        fn answering(scripts: &[(&str, &[Option<u16>])]) -> Self {
            Receiver {
                scripts: RefCell::new(
                    scripts
                        .iter()
                        .map(|(subject, script)| ((*subject).to_owned(), script.to_vec()))
                        .collect(),
                ),
                got: RefCell::new(Vec::new()),
            }
        }

        fn bodies(&self) -> Vec<serde_json::Value> {
            self.got
                .borrow()
                .iter()
                .map(|(_, body)| serde_json::from_slice(body).expect("json"))
                .collect()
        }
    }

    impl Transport for Receiver {
        fn post(&self, _url: &str, headers: &[(String, String)], body: &[u8]) -> Answer {
            let parsed: serde_json::Value = serde_json::from_slice(body).expect("json");
            let subject = parsed["data"]["orderId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let status = match self.scripts.borrow_mut().get_mut(&subject) {
                Some(script) if script.len() > 1 => script.remove(0),
                Some(script) => script[0],
                None => Some(200),
            };
            self.got
                .borrow_mut()
                .push((headers.to_vec(), body.to_vec()));
            Answer {
                status,
                text: status.map_or("timed out".to_owned(), |s| format!("status {s}")),
                latency_ms: 3,
            }
        }
    }

    /// Webhook endpoints take no customer messages.
    struct NoNotifications;

    impl Recorder for NoNotifications {
        fn record(&self, notified: &Notified) -> Result<(), String> {
            panic!("a webhook endpoint recorded {notified:?}")
        }
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .expect("the header")
    }

    fn endpoint(kv: &MemoryKv, types: &[&str]) -> Secret {
        let secret = Secret::from_random([9; SECRET_BYTES]);
        Endpoints::new(kv, at(0), 1)
            .create(
                "erp",
                NewEndpoint {
                    url: "http://127.0.0.1:9/erp".to_owned(),
                    description: None,
                    kind: Kind::Webhook,
                    locale: Locale::PtBr,
                    filter: Filter {
                        types: types.iter().map(|t| (*t).to_owned()).collect(),
                        ..Filter::default()
                    },
                },
                &secret,
                0,
            )
            .expect("created");
        secret
    }

    #[test]
    fn a_healthy_receiver_gets_each_event_once_signed_and_in_order() {
        let kv = MemoryKv::new();
        let source = Source1::default();
        let secret = endpoint(&kv, &[]);
        for i in 0..6 {
            source.write(&format!("o-{}", i % 2));
        }
        Feed::new(&kv, at(0), 2).sequence(&source).expect("a pass");
        let receiver = Receiver::answering(&[("o-0", &[Some(204)])]);
        let report = Endpoints::new(&kv, at(1), 3)
            .deliver_all(&receiver, &NoNotifications, 100)
            .expect("a pass");
        // One event per order per pass: the next one waits for the previous one's answer.
        assert_eq!(report.delivered, 2);
        for n in 4..8 {
            Endpoints::new(&kv, at(n), n as u64)
                .deliver_all(&receiver, &NoNotifications, 100)
                .expect("a pass");
        }
        let got = receiver.got.borrow().clone();
        assert_eq!(got.len(), 6);
        for (headers, body) in &got {
            let id = header(headers, "webhook-id");
            let timestamp: i64 = header(headers, "webhook-timestamp").parse().expect("secs");
            assert!(secret.verifies(id, timestamp, body, header(headers, "webhook-signature")));
        }
        for subject in ["o-0", "o-1"] {
            let versions: Vec<u64> = receiver
                .bodies()
                .iter()
                .filter(|b| b["data"]["orderId"] == subject)
                .map(|b| b["data"]["data"]["version"].as_u64().expect("v"))
                .collect();
            assert_eq!(versions, [1, 2, 3], "{subject} in order");
        }
        assert!(
            Endpoints::new(&kv, at(9), 9)
                .deliver_all(&receiver, &NoNotifications, 100)
                .expect("idle")
                .attempted
                == 0
        );
    }

    #[test]
    fn a_failing_receiver_is_retried_on_schedule_then_dead_lettered_and_disabled() {
        let kv = MemoryKv::new();
        let source = Source1::default();
        endpoint(&kv, &[]);
        source.write("o-1");
        source.write("o-2");
        Feed::new(&kv, at(0), 2).sequence(&source).expect("a pass");
        // o-1's event fails twice then goes through; o-2's never answers.
        let receiver = Receiver::answering(&[
            ("o-1", &[Some(500), Some(503), Some(200)]),
            ("o-2", &[None]),
        ]);
        let endpoints = |t: i64| Endpoints::new(&kv, at(t), t as u64 + 10);
        let first = endpoints(0).deliver("erp", &receiver, 10).expect("a pass");
        assert_eq!((first.attempted, first.failed), (2, 2));
        // Not due yet: nothing is sent before 5 s.
        assert_eq!(
            endpoints(4)
                .deliver("erp", &receiver, 10)
                .expect("a pass")
                .attempted,
            0
        );
        let second = endpoints(5).deliver("erp", &receiver, 10).expect("a pass");
        assert_eq!((second.attempted, second.failed), (2, 2));
        let third = endpoints(305)
            .deliver("erp", &receiver, 10)
            .expect("a pass");
        assert_eq!(third.delivered, 1, "o-1 went through at its third attempt");
        let (deliveries, _) = endpoints(305).deliveries("erp", None, 10).expect("the log");
        let o1 = deliveries
            .iter()
            .find(|d| d.position == 1)
            .expect("o-1's delivery");
        assert_eq!(o1.status, DeliveryStatus::Delivered);
        assert_eq!(
            o1.attempts.iter().map(|a| a.status).collect::<Vec<_>>(),
            [Some(500), Some(503), Some(200)]
        );
        // o-2 fails on until its eighth attempt, about 32 hours in.
        let mut t = 305;
        for wait in [1800, 7200, 18_000, 36_000, 36_000] {
            t += wait;
            endpoints(t).deliver("erp", &receiver, 10).expect("a pass");
        }
        let (deliveries, _) = endpoints(t).deliveries("erp", None, 10).expect("the log");
        let o2 = deliveries
            .iter()
            .find(|d| d.position == 2)
            .expect("o-2's delivery");
        assert_eq!(o2.status, DeliveryStatus::Dead);
        assert_eq!(o2.attempts.len(), 8);
        assert!(endpoints(t).get("erp").expect("erp").enabled);
        // Failing on for five days in a row disables it, with the reason.
        source.write("o-2");
        let later = 305 + 1800 + 5 * 86_400;
        Feed::new(&kv, at(later - 5), 3)
            .sequence(&source)
            .expect("a pass");
        endpoints(later)
            .deliver("erp", &receiver, 10)
            .expect("a pass");
        let view = endpoints(later).get("erp").expect("erp");
        assert!(!view.enabled);
        assert!(
            view.disabled_reason
                .as_deref()
                .is_some_and(|r| r.contains("5 days")),
            "{view:?}"
        );
    }

    #[test]
    fn replay_and_retry_send_again_with_the_same_id_and_body() {
        let kv = MemoryKv::new();
        let source = Source1::default();
        endpoint(&kv, &["order.changed"]);
        source.write("o-1");
        *source.clock.borrow_mut() = 100;
        source.write("o-2");
        source.write("o-3");
        Feed::new(&kv, at(100), 2)
            .sequence(&source)
            .expect("a pass");
        let receiver = Receiver::answering(&[]);
        Endpoints::new(&kv, at(101), 3)
            .deliver("erp", &receiver, 10)
            .expect("a pass");
        assert_eq!(receiver.got.borrow().len(), 3);
        let (from, _) = Endpoints::new(&kv, at(200), 4)
            .replay("erp", at(100))
            .expect("replay");
        assert_eq!(from, 2, "the first event at or after the time");
        Endpoints::new(&kv, at(201), 5)
            .deliver("erp", &receiver, 10)
            .expect("a pass");
        let got = receiver.got.borrow().clone();
        assert_eq!(got.len(), 5);
        assert_eq!(got[3].1, got[1].1, "the same body");
        assert_eq!(
            header(&got[3].0, "webhook-id"),
            header(&got[1].0, "webhook-id")
        );
        // A manual retry of the first delivery.
        Endpoints::new(&kv, at(300), 6)
            .retry("erp", 1)
            .expect("retry");
        Endpoints::new(&kv, at(300), 7)
            .deliver("erp", &receiver, 10)
            .expect("a pass");
        assert_eq!(receiver.got.borrow().len(), 6);
        assert_eq!(receiver.got.borrow()[5].1, got[0].1);
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one_for_a_day() {
        let kv = MemoryKv::new();
        let source = Source1::default();
        let old = endpoint(&kv, &[]);
        let new = Secret::from_random([3; SECRET_BYTES]);
        let change = EndpointChange {
            rotate_secret: true,
            ..EndpointChange::default()
        };
        let (_, shown) = Endpoints::new(&kv, at(0), 2)
            .change("erp", &change, &new, 0)
            .expect("rotated");
        assert_eq!(shown, Some(new.reveal()));
        source.write("o-1");
        Feed::new(&kv, at(0), 3).sequence(&source).expect("a pass");
        let receiver = Receiver::answering(&[]);
        Endpoints::new(&kv, at(10), 4)
            .deliver("erp", &receiver, 10)
            .expect("a pass");
        let (headers, body) = receiver.got.borrow()[0].clone();
        let (id, t) = (header(&headers, "webhook-id"), at(10).unix_seconds());
        let signature = header(&headers, "webhook-signature");
        assert!(old.verifies(id, t, &body, signature));
        assert!(new.verifies(id, t, &body, signature));
        // A day later only the new one signs.
        source.write("o-1");
        let day = 86_400 + 10;
        Feed::new(&kv, at(day), 5)
            .sequence(&source)
            .expect("a pass");
        Endpoints::new(&kv, at(day), 6)
            .deliver("erp", &receiver, 10)
            .expect("a pass");
        let (headers, body) = receiver.got.borrow()[1].clone();
        let (id, t) = (header(&headers, "webhook-id"), at(day).unix_seconds());
        let signature = header(&headers, "webhook-signature");
        assert!(!old.verifies(id, t, &body, signature));
        assert!(new.verifies(id, t, &body, signature));
    }
}
