//! The checker: a recorded run (every request and its answer, or that the answer was lost) and
//! what the app holds at the end, judged against the API's documented meaning (openapi.yaml and
//! docs/architecture.md, "Orders"), never its code. Each anomaly names the order and the
//! requests that show it.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a request meant, as far as the checker needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// `POST /checkout/orders`.
    Place {
        channel: String,
        external_id: Option<String>,
    },
    /// A comment whose text is unique to this request.
    Comment { order: String, marker: String },
    /// Any other command on an order, and the history event it adds when it applies.
    Command { order: String, event: &'static str },
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// A status and its JSON body.
    Got(u16, Value),
    /// The connection dropped (a kill) or timed out: it may or may not have applied.
    Lost,
}

/// One request of the run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exchange {
    /// Its number in the run, for the reports.
    pub(crate) n: usize,
    pub(crate) op: Op,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) answer: Answer,
}

impl Exchange {
    /// The order a 2xx answer carries, if any.
    fn acknowledged(&self) -> Option<&Value> {
        match &self.answer {
            Answer::Got(status, body) if (200..300).contains(status) => Some(body),
            Answer::Got(..) | Answer::Lost => None,
        }
    }
}

/// What the app holds once the run is over and repaired.
#[derive(Debug, Clone, Default)]
pub(crate) struct Final {
    /// Every order, by id, as `GET /orders/{id}` answers it.
    pub(crate) orders: BTreeMap<String, Value>,
    /// The ids a full listing (`GET /orders`, page after page) gave, in its order.
    pub(crate) listed: Vec<String>,
    /// The feed's positions, as read from the start.
    pub(crate) feed: Vec<u64>,
}

/// An anomaly: its kind and what shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Anomaly {
    pub(crate) kind: Kind,
    pub(crate) detail: String,
}

/// The kinds of anomaly, as the summary counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// An acknowledged command is not in its order's history.
    AckedMissing,
    /// A command (acknowledged or lost) applied twice.
    AppliedTwice,
    /// A history that is not a continuous path, or whose length is not the version.
    BrokenHistory,
    /// Totals that do not add up as documented.
    Totals,
    /// An order reachable by id but not listed, or listed twice.
    Listing,
    /// Two orders for one channel and externalId.
    DuplicateOrder,
    /// Feed positions with a gap or a repeat.
    Feed,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::AckedMissing => "acknowledged-missing",
            Kind::AppliedTwice => "applied-twice",
            Kind::BrokenHistory => "broken-history",
            Kind::Totals => "totals",
            Kind::Listing => "listing",
            Kind::DuplicateOrder => "duplicate-order",
            Kind::Feed => "feed",
        }
    }
}

/// Every anomaly of a run.
pub(crate) fn check(run: &[Exchange], end: &Final) -> Vec<Anomaly> {
    let mut found = Vec::new();
    let mut report = |kind: Kind, detail: String| found.push(Anomaly { kind, detail });
    acknowledged(run, end, &mut report);
    for (id, order) in &end.orders {
        history(id, order, &mut report);
        totals(id, order, &mut report);
    }
    listing(end, &mut report);
    duplicates(end, &mut report);
    feed(end, &mut report);
    found.sort();
    found
}

fn int(value: &Value) -> i64 {
    value.as_i64().unwrap_or(i64::MIN)
}

/// Each acknowledged command is in its order's history at the version its answer gave, with
/// the event it adds; a comment's unique text is there once if acknowledged, at most once if
/// its answer was lost.
fn acknowledged(run: &[Exchange], end: &Final, report: &mut impl FnMut(Kind, String)) {
    for exchange in run {
        let n = exchange.n;
        match &exchange.op {
            Op::Place { .. } => {
                if let Some(body) = exchange.acknowledged() {
                    let id = body["id"].as_str().unwrap_or_default();
                    if !end.orders.contains_key(id) {
                        report(
                            Kind::AckedMissing,
                            format!("request {n}: placed {id}, not found"),
                        );
                    }
                }
            }
            Op::Comment { order, marker } => {
                let Some(held) = end.orders.get(order) else {
                    if exchange.acknowledged().is_some() {
                        report(Kind::AckedMissing, format!("request {n}: {order} is gone"));
                    }
                    continue;
                };
                let times = held["comments"].as_array().map_or(0, |c| {
                    c.iter().filter(|c| c["text"] == marker.as_str()).count()
                });
                if times > 1 {
                    report(
                        Kind::AppliedTwice,
                        format!("request {n}: comment {marker:?} on {order} {times} times"),
                    );
                } else if times == 0 && exchange.acknowledged().is_some() {
                    report(
                        Kind::AckedMissing,
                        format!("request {n}: comment {marker:?} not on {order}"),
                    );
                }
            }
            Op::Command { order, event } => {
                let Some(body) = exchange.acknowledged() else {
                    continue;
                };
                let version = int(&body["version"]);
                let entry = end.orders.get(order).and_then(|o| {
                    let at = usize::try_from(version.checked_sub(1)?).ok()?;
                    o["history"].as_array()?.get(at).cloned()
                });
                match entry {
                    Some(entry) if entry["event"] == *event => {}
                    Some(entry) => report(
                        Kind::AckedMissing,
                        format!(
                            "request {n}: {order} version {version} is {} in the history, not {event}",
                            entry["event"]
                        ),
                    ),
                    None => report(
                        Kind::AckedMissing,
                        format!("request {n}: {order} has no version {version} in its history"),
                    ),
                }
            }
        }
    }
}

/// One entry per version; the first from nothing, each next from where the last one left.
fn history(id: &str, order: &Value, report: &mut impl FnMut(Kind, String)) {
    let entries = order["history"].as_array().cloned().unwrap_or_default();
    let version = int(&order["version"]);
    if i64::try_from(entries.len()).ok() != Some(version) {
        report(
            Kind::BrokenHistory,
            format!(
                "{id}: version {version} with {} history entries",
                entries.len()
            ),
        );
    }
    let mut before = Value::Null;
    for (at, entry) in entries.iter().enumerate() {
        if entry["from"] != before {
            report(
                Kind::BrokenHistory,
                format!(
                    "{id}: entry {at} ({}) goes from {} where the last left it at {before}",
                    entry["event"], entry["from"]
                ),
            );
        }
        before = entry["to"].clone();
    }
    if !entries.is_empty() && order["status"] != before {
        report(
            Kind::BrokenHistory,
            format!(
                "{id}: status {} but the history ends at {before}",
                order["status"]
            ),
        );
    }
}

/// `total = items − discount + increment + shipping`; `paid` and `refunded` are the sums of
/// the approved transactions and of the refunds; `balance = owed − (paid − refunded)`, where
/// owed is nothing once canceled or everything came back, else `total − returned`.
fn totals(id: &str, order: &Value, report: &mut impl FnMut(Kind, String)) {
    let t = &order["totals"];
    let f = |name: &str| int(&t[name]);
    let mut wrong = |what: &str, expected: i64, got: i64| {
        if expected != got {
            report(
                Kind::Totals,
                format!("{id}: {what} is {got}, the documented sum is {expected}"),
            );
        }
    };
    let items: i64 = order["items"].as_array().map_or(0, |items| {
        items
            .iter()
            .map(|i| int(&i["unitPrice"]).saturating_mul(int(&i["quantity"])))
            .sum()
    });
    wrong("items", items, f("items"));
    wrong(
        "total",
        f("items") - f("discount") + f("increment") + f("shipping"),
        f("total"),
    );
    let paid: i64 = order["payment"]["transactions"].as_array().map_or(0, |ts| {
        ts.iter()
            .filter(|t| t["status"] == "approved")
            .map(|t| int(&t["amount"]))
            .sum()
    });
    wrong("paid", paid, f("paid"));
    let refunded: i64 = order["refunds"]
        .as_array()
        .map_or(0, |rs| rs.iter().map(|r| int(&r["amount"])).sum());
    wrong("refunded", refunded, f("refunded"));
    let all_back = order["items"].as_array().is_some_and(|items| {
        !items.is_empty()
            && items
                .iter()
                .all(|i| int(&i["returned"]) == int(&i["quantity"]))
    });
    let owed = if order["status"] == "canceled" || all_back {
        0
    } else {
        f("total") - f("returned")
    };
    wrong("balance", owed - (f("paid") - f("refunded")), f("balance"));
}

/// Every order reachable by id is in the full listing once, and the listing holds nothing else.
fn listing(end: &Final, report: &mut impl FnMut(Kind, String)) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &end.listed {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    for id in end.orders.keys() {
        match seen.get(id.as_str()) {
            None => report(Kind::Listing, format!("{id}: not in the full listing")),
            Some(1) => {}
            Some(n) => report(Kind::Listing, format!("{id}: listed {n} times")),
        }
    }
    for id in seen.keys() {
        if !end.orders.contains_key(*id) {
            report(Kind::Listing, format!("{id}: listed, not found by id"));
        }
    }
}

/// One order per channel and externalId.
fn duplicates(end: &Final, report: &mut impl FnMut(Kind, String)) {
    let mut by_external: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    for (id, order) in &end.orders {
        if let Some(external) = order["externalId"].as_str() {
            let channel = order["channel"].as_str().unwrap_or_default().to_owned();
            by_external
                .entry((channel, external.to_owned()))
                .or_default()
                .push(id);
        }
    }
    for ((channel, external), ids) in by_external {
        if ids.len() > 1 {
            report(
                Kind::DuplicateOrder,
                format!("{channel}/{external}: orders {}", ids.join(", ")),
            );
        }
    }
}

/// The feed's positions are 1, 2, 3, ... with no gap and no repeat.
fn feed(end: &Final, report: &mut impl FnMut(Kind, String)) {
    let mut times: BTreeMap<u64, usize> = BTreeMap::new();
    for position in &end.feed {
        *times.entry(*position).or_default() += 1;
    }
    for (position, n) in &times {
        if *n > 1 {
            report(Kind::Feed, format!("position {position} read {n} times"));
        }
    }
    let last = times.keys().next_back().copied().unwrap_or(0);
    for position in 1..=last {
        if !times.contains_key(&position) {
            report(
                Kind::Feed,
                format!("position {position} missing (the last is {last})"),
            );
        }
    }
}

/// The anomalies counted by kind, one line each, and last `anomalies: N`.
pub(crate) fn summary(found: &[Anomaly]) -> String {
    let mut by_kind: BTreeMap<Kind, usize> = BTreeMap::new();
    for anomaly in found {
        *by_kind.entry(anomaly.kind).or_default() += 1;
    }
    let mut lines: Vec<String> = by_kind
        .iter()
        .map(|(kind, n)| format!("  {}: {n}", kind.name()))
        .collect();
    lines.push(format!("anomalies: {}", found.len()));
    lines.join("\n")
}
