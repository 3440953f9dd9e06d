//! `POST /subscriptions/run` as parallel shards.
//!
//! A pass is one guest invocation, and a guest has one thread: on its own it uses one core
//! however many the host has. So `run` splits the pass into `pass_shards` shares of the due
//! subscriptions (the application variable; default 2, `1` runs the pass in this request as the
//! cron runner does) and sends each to this same component as a Spin service-chained request,
//! `POST http://subscriptions-api.spin.internal/subscriptions/run/shard` (spin.toml allows that
//! host), which Spin runs in-process in a fresh instance, side by side with the others. Once
//! every shard has answered, `end-pass` moves the pass cursor and sweeps unpaid orders.
//!
//! A shard whose request fails (a host without service chaining, such as one whose component
//! was renamed, or a shard that trapped or ran out of time) is run again here, in this
//! instance: exactly once holds between shards as between overlapping passes (claims and
//! compare-and-swap in the subscriptions service), so running a shard's subscriptions twice
//! creates nothing twice. A shard that fails here too keeps the cursor where it was, and its
//! error is in the report.

use http_common::ApiError;
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

use crate::subs::{self, PassReport, PassShard, ShardReport};
use subscriptions_client::error::{On, from_service};
use subscriptions_client::render;

/// This component's id in spin.toml: the service-chaining host of its own shards.
const COMPONENT_ID: &str = "subscriptions-api";
/// The shard route (`route::Route::RunShard`).
const SHARD_PATH: &str = "/subscriptions/run/shard";
/// Shards when `pass_shards` is not set.
const DEFAULT_SHARDS: u32 = 2;
/// The most shards a pass is split into.
const MAX_SHARDS: u32 = 16;
/// `unfinished` for a shard that failed as a whole: the cursor stays where it was.
const FROM_THE_START: &str = "1970-01-01T00:00:00Z";

/// One live pass at the host clock, split into shards.
pub(crate) async fn run() -> Result<PassReport, ApiError> {
    let service = |error: subs::Error| from_service(&error, On::Other);
    let (count, misconfigured) = shard_count();
    if count <= 1 {
        let mut report = subs::run_pass().map_err(service)?;
        report.errors.extend(misconfigured);
        return Ok(report);
    }
    let now = subs::begin_pass().map_err(service)?;
    let token = spin_sdk::variables::get("admin_token").unwrap_or_default();
    let answers =
        futures::future::join_all((0..count).map(|index| send(&now, index, count, &token))).await;
    let mut total = empty_report();
    total.errors = misconfigured;
    let mut unfinished: Option<String> = None;
    for (index, answer) in (0..count).zip(answers) {
        let shard = PassShard { index, count };
        let result = match answer {
            Some(report) => Ok(report),
            None => subs::run_shard(&now, shard),
        };
        let (report, shard_unfinished) = match result {
            Ok(ShardReport { report, unfinished }) => (report, unfinished),
            Err(error) => {
                let mut report = empty_report();
                report
                    .errors
                    .push(format!("shard {index} of {count}: {error:?}"));
                (report, Some(FROM_THE_START.to_owned()))
            }
        };
        add(&mut total, report);
        // Bucket starts and the epoch are all `YYYY-MM-DDTHH:MM:SSZ`: text order is time order.
        unfinished = match (unfinished, shard_unfinished) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let end = subs::end_pass(&now, unfinished.as_deref()).map_err(service)?;
    add(&mut total, end);
    Ok(total)
}

/// Runs one shard in a chained request; `None` when it did not answer 200 with a report.
async fn send(now: &str, index: u32, count: u32, token: &str) -> Option<ShardReport> {
    let body = json!({"now": now, "index": index, "count": count}).to_string();
    let request = Request::builder()
        .method(Method::Post)
        .uri(format!("http://{COMPONENT_ID}.spin.internal{SHARD_PATH}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body)
        .build();
    let response: Response = spin_sdk::http::send(request).await.ok()?;
    if *response.status() != 200 {
        return None;
    }
    let value: Value = serde_json::from_slice(response.body()).ok()?;
    parse_shard_report(&value)
}

/// The shard count from `pass_shards` (and a sentence when it is set but not 1 to 16).
fn shard_count() -> (u32, Vec<String>) {
    let Some(text) = spin_sdk::variables::get("pass_shards")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return (DEFAULT_SHARDS, Vec::new());
    };
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_SHARDS).contains(&n) => (n, Vec::new()),
        _ => (
            DEFAULT_SHARDS,
            vec![format!(
                "pass_shards {text:?} is not a whole number from 1 to {MAX_SHARDS}; \
                 {DEFAULT_SHARDS} shards were used"
            )],
        ),
    }
}

fn empty_report() -> PassReport {
    PassReport {
        due: 0,
        created: 0,
        skipped: 0,
        failed: 0,
        canceled_unpaid: 0,
        missed: 0,
        in_progress: 0,
        payment_retries: 0,
        paused_for_payment: 0,
        errors: Vec::new(),
    }
}

fn add(total: &mut PassReport, part: PassReport) {
    total.due += part.due;
    total.created += part.created;
    total.skipped += part.skipped;
    total.failed += part.failed;
    total.canceled_unpaid += part.canceled_unpaid;
    total.missed += part.missed;
    total.in_progress += part.in_progress;
    total.payment_retries += part.payment_retries;
    total.paused_for_payment += part.paused_for_payment;
    total.errors.extend(part.errors);
}

/// A shard's answer: the pass report's JSON and `unfinished`.
pub(crate) fn shard_report(report: &ShardReport) -> Value {
    let mut value = render::pass_report(&report.report);
    if let Value::Object(map) = &mut value {
        map.insert("unfinished".to_owned(), json!(report.unfinished));
    }
    value
}

/// [`shard_report`] read back.
fn parse_shard_report(value: &Value) -> Option<ShardReport> {
    let count = |name: &str| value.get(name)?.as_u64();
    let errors = value
        .get("errors")?
        .as_array()?
        .iter()
        .map(|e| e.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()?;
    let unfinished = value.get("unfinished")?;
    let unfinished = if unfinished.is_null() {
        None
    } else {
        Some(unfinished.as_str()?.to_owned())
    };
    Some(ShardReport {
        report: PassReport {
            due: count("due")?,
            created: count("created")?,
            skipped: count("skipped")?,
            failed: count("failed")?,
            canceled_unpaid: count("canceledUnpaid")?,
            missed: count("missed")?,
            in_progress: count("inProgress")?,
            payment_retries: count("paymentRetries")?,
            paused_for_payment: count("pausedForPayment")?,
            errors,
        },
        unfinished,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_report_reads_back_as_written() {
        let report = ShardReport {
            report: PassReport {
                due: 7,
                created: 5,
                skipped: 1,
                failed: 1,
                canceled_unpaid: 0,
                missed: 2,
                in_progress: 3,
                payment_retries: 4,
                paused_for_payment: 6,
                errors: vec!["subscription s-1: gone".to_owned()],
            },
            unfinished: Some("2026-12-04T17:31:00Z".to_owned()),
        };
        assert_eq!(parse_shard_report(&shard_report(&report)), Some(report));
        let finished = ShardReport {
            report: empty_report(),
            unfinished: None,
        };
        assert_eq!(parse_shard_report(&shard_report(&finished)), Some(finished));
        assert_eq!(parse_shard_report(&json!({"due": 1})), None);
    }

    #[test]
    fn reports_add_up() {
        let mut total = empty_report();
        let mut part = empty_report();
        part.created = 2;
        part.errors.push("a".to_owned());
        add(&mut total, part.clone());
        add(&mut total, part);
        assert_eq!(total.created, 4);
        assert_eq!(total.errors, ["a", "a"]);
    }
}
