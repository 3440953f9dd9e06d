//! Schedules under test clocks: a month's end, pause and resume, skip, a year of downtime, and the
//! limits (`maxCycles`, `endAt`).

use serde_json::json;

use crate::app::{App, error_code, int, json};
use crate::sample::{self, TOTAL, create, cycles, get, order_of, run};

#[test]
fn a_monthly_subscription_from_jan_31_orders_on_feb_29_mar_31_and_apr_30() {
    let app = App::start("jan-31");
    let admin = app.admin();
    // Noon in São Paulo (UTC-3).
    let sub = create(&admin, &sample::monthly("s-jan31", "2028-01-31T15:00:00Z"));
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["nextRunAt"], "2028-01-31T15:00:00Z");
    assert_eq!(sub["cycleCount"], 0);
    assert_eq!(sub["schedule"], json!({"every": 1, "unit": "month"}));

    let early = run(&admin, "2028-01-31T14:59:00Z");
    assert_eq!(
        (early["due"].as_u64(), early["created"].as_u64()),
        (Some(0), Some(0))
    );
    let expected = [
        ("2028-01-31T15:00:30Z", "2028-01-31T15:00:00Z"),
        ("2028-02-29T15:01:00Z", "2028-02-29T15:00:00Z"),
        ("2028-03-31T15:00:00Z", "2028-03-31T15:00:00Z"),
        ("2028-04-30T15:05:00Z", "2028-04-30T15:00:00Z"),
    ];
    for (now, _) in expected {
        let report = run(&admin, now);
        assert_eq!(report["due"], 1, "at {now}: {report}");
        assert_eq!(report["created"], 1, "at {now}: {report}");
        for field in ["skipped", "failed", "canceledUnpaid", "missed"] {
            assert_eq!(report[field], 0, "{field} at {now}: {report}");
        }
        // A second pass at the same instant finds nothing more to do.
        assert_eq!(run(&admin, now)["created"], 0, "again at {now}");
    }

    let records = cycles(&admin, "s-jan31");
    assert_eq!(records.len(), 4, "{records:?}");
    for (n, (record, (_, scheduled))) in records.iter().zip(expected).enumerate() {
        assert_eq!(record["number"], n + 1);
        assert_eq!(record["scheduledFor"], scheduled);
        let order = order_of(&admin, "s-jan31", record);
        assert_eq!(order["totals"]["total"], TOTAL);
        assert_eq!(order["channel"], "subscriptions");
        assert_eq!(order["customer"]["email"], "ana@example.com");
    }
    let sub = get(&admin, "s-jan31");
    assert_eq!(sub["cycleCount"], 4);
    assert_eq!(sub["nextRunAt"], "2028-05-31T15:00:00Z");
}

#[test]
fn pause_then_resume_creates_no_cycles_while_paused() {
    let app = App::start("pause-resume");
    let admin = app.admin();
    create(&admin, &sample::monthly("s-pause", "2028-01-31T15:00:00Z"));
    assert_eq!(run(&admin, "2028-01-31T15:01:00Z")["created"], 1);

    let reply = admin.post(
        "/subscriptions/s-pause/pause",
        &json!({"reason": "vacation"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let paused = json(&reply);
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["pauseReason"], "vacation");
    assert_eq!(paused["nextRunAt"], serde_json::Value::Null);
    // Pausing twice is refused, naming the transition.
    let again = admin.post("/subscriptions/s-pause/pause", &json!({}));
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(error_code(&again), "invalid-transition");

    for now in ["2028-02-29T15:01:00Z", "2028-03-31T15:01:00Z"] {
        let report = run(&admin, now);
        assert_eq!(report["created"], 0, "paused, at {now}: {report}");
    }
    assert_eq!(cycles(&admin, "s-pause").len(), 1);
    assert_eq!(get(&admin, "s-pause")["cycleCount"], 1);

    // Resume with the version just read (If-Match).
    let version = int(&get(&admin, "s-pause"), "version").to_string();
    let reply = admin.send(
        "POST",
        "/subscriptions/s-pause/resume",
        &[("If-Match", version.as_str())],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply)["status"], "active");

    let report = run(&admin, "2028-04-30T15:01:00Z");
    assert_eq!(report["created"], 1, "{report}");
    let records = cycles(&admin, "s-pause");
    let created: Vec<u64> = records
        .iter()
        .filter(|r| r["status"] == "created")
        .filter_map(|r| r["number"].as_u64())
        .collect();
    // Cycles 2 and 3 fell while it was paused: never charged.
    assert_eq!(created, [1, 4], "{records:?}");
    let last = records.last().expect("a cycle record");
    order_of(&admin, "s-pause", last);
    assert_eq!(get(&admin, "s-pause")["cycleCount"], 2);
}

#[test]
fn a_skipped_cycle_is_not_charged_and_the_next_one_is() {
    let app = App::start("skip");
    let admin = app.admin();
    create(&admin, &sample::monthly("s-skip", "2028-03-01T15:00:00Z"));
    let reply = admin.post("/subscriptions/s-skip/skip", &json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let skipped = json(&reply);
    assert_eq!(skipped["skippedCycles"], json!([1]));
    // The subscription shows the next cycle that will really run: April's, not March's.
    assert_eq!(skipped["nextRunAt"], "2028-04-01T15:00:00Z", "{skipped}");
    assert_eq!(skipped["nextCycle"], 1, "{skipped}");
    assert_eq!(get(&admin, "s-skip")["nextRunAt"], "2028-04-01T15:00:00Z");
    // Skipping again moves it once more; both marks are listed.
    let twice = json(&admin.post("/subscriptions/s-skip/skip", &json!({})));
    assert_eq!(twice["skippedCycles"], json!([1, 2]));
    assert_eq!(twice["nextRunAt"], "2028-05-01T15:00:00Z", "{twice}");
    // A listing of what is due before mid-April leaves it out: nothing runs before May.
    let due = admin.get("/subscriptions?dueBefore=2028-04-15T00:00:00Z");
    assert_eq!(due.status, 200, "{}", due.text());
    assert_eq!(json(&due)["items"], json!([]), "{}", due.text());

    // The passes record the marked cycles as skipped when they fall, and charge May's.
    let report = run(&admin, "2028-03-01T15:01:00Z");
    assert_eq!(
        (report["created"].as_u64(), report["skipped"].as_u64()),
        (Some(0), Some(1)),
        "{report}"
    );
    assert_eq!(get(&admin, "s-skip")["nextRunAt"], "2028-05-01T15:00:00Z");
    let report = run(&admin, "2028-04-01T15:01:00Z");
    assert_eq!(
        (report["created"].as_u64(), report["skipped"].as_u64()),
        (Some(0), Some(1)),
        "{report}"
    );
    assert_eq!(run(&admin, "2028-05-01T15:01:00Z")["created"], 1);
    let records = cycles(&admin, "s-skip");
    let statuses: Vec<&str> = records
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(statuses, ["skipped", "skipped", "created"], "{records:?}");
    assert_eq!(records[2]["scheduledFor"], "2028-05-01T15:00:00Z");
    order_of(&admin, "s-skip", &records[2]);
    assert_eq!(get(&admin, "s-skip")["nextRunAt"], "2028-06-01T15:00:00Z");
}

/// A clock moved a year at once charges every cycle on the way, as the cron would have, rather
/// than recording them missed (the catch-up after a live runner's downtime is the service's unit
/// tests' to show: a test clock has no downtime).
#[test]
fn a_test_clock_advanced_a_year_charges_every_monthly_cycle_on_the_way() {
    let app = App::start("year-ahead");
    let admin = app.admin();
    create(&admin, &sample::monthly("s-year", "2028-01-01T15:00:00Z"));
    let report = run(&admin, "2029-01-01T15:30:00Z");
    assert_eq!(report["created"], 13, "{report}");
    assert_eq!(report["missed"], 0, "{report}");
    let records = cycles(&admin, "s-year");
    assert_eq!(records.len(), 13, "{records:?}");
    assert_eq!(records[1]["scheduledFor"], "2028-02-01T15:00:00Z");
    assert_eq!(records[12]["scheduledFor"], "2029-01-01T15:00:00Z");
    let order = order_of(&admin, "s-year", &records[1]);
    // The order is dated by the clock: the cycle's own minute, not the host's.
    assert_eq!(order["createdAt"], "2028-02-01T15:00:00Z", "{order}");
    assert_eq!(order["testClock"], sample::CLOCK, "{order}");
    assert_eq!(run(&admin, "2029-01-01T15:31:00Z")["created"], 0);
    let sub = get(&admin, "s-year");
    assert_eq!(sub["cycleCount"], 13);
    assert_eq!(sub["nextRunAt"], "2029-02-01T15:00:00Z");
    assert_eq!(sub["testClock"], sample::CLOCK);
}

#[test]
fn max_cycles_finish_the_subscription() {
    let app = App::start("max-cycles");
    let admin = app.admin();
    let mut body = sample::monthly("s-max", "2028-05-01T15:00:00Z");
    body["maxCycles"] = json!(2);
    create(&admin, &body);
    assert_eq!(run(&admin, "2028-05-01T15:01:00Z")["created"], 1);
    assert_eq!(run(&admin, "2028-06-01T15:01:00Z")["created"], 1);
    let sub = get(&admin, "s-max");
    assert_eq!(sub["status"], "finished", "{sub}");
    assert_eq!(sub["nextRunAt"], serde_json::Value::Null);
    assert_eq!(run(&admin, "2028-07-01T15:01:00Z")["created"], 0);
    assert_eq!(cycles(&admin, "s-max").len(), 2);
}

#[test]
fn a_cron_schedule_runs_at_its_local_fires() {
    let app = App::start("cron-schedule");
    let admin = app.admin();
    let mut body = sample::monthly("s-mondays", "2028-05-01T00:00:00Z");
    // Mondays at 09:00 in São Paulo (12:00 UTC); May 1 2028 is a Monday.
    body["schedule"] = json!({"cron": "0 0 9 * * Mon"});
    let sub = create(&admin, &body);
    assert_eq!(sub["nextRunAt"], "2028-05-01T12:00:00Z", "{sub}");
    assert_eq!(run(&admin, "2028-05-01T11:59:00Z")["created"], 0);
    assert_eq!(run(&admin, "2028-05-01T12:01:00Z")["created"], 1);
    assert_eq!(run(&admin, "2028-05-08T12:01:00Z")["created"], 1);
    let records = cycles(&admin, "s-mondays");
    assert_eq!(records[1]["scheduledFor"], "2028-05-08T12:00:00Z");
    order_of(&admin, "s-mondays", &records[1]);
    assert_eq!(
        get(&admin, "s-mondays")["nextRunAt"],
        "2028-05-15T12:00:00Z"
    );
}

#[test]
fn a_five_field_crontab_runs_at_nine_on_the_first_in_sao_paulo() {
    let app = App::start("cron-five-fields");
    let admin = app.admin();
    let mut body = sample::monthly("s-first", "2028-01-15T00:00:00Z");
    body["schedule"] = json!({"cron": "0 9 1 * *"});
    let sub = create(&admin, &body);
    assert_eq!(sub["schedule"], json!({"cron": "0 9 1 * *"}), "{sub}");
    assert_eq!(sub["timezone"], "America/Sao_Paulo", "{sub}");
    // 09:00 in São Paulo (UTC-3) is 12:00 UTC; the first fire at or after startAt is Feb 1.
    assert_eq!(sub["nextRunAt"], "2028-02-01T12:00:00Z", "{sub}");
    assert_eq!(run(&admin, "2028-02-01T11:59:00Z")["created"], 0);
    for (now, next) in [
        ("2028-02-01T12:01:00Z", "2028-03-01T12:00:00Z"),
        ("2028-03-01T12:00:30Z", "2028-04-01T12:00:00Z"),
        ("2028-04-01T12:05:00Z", "2028-05-01T12:00:00Z"),
    ] {
        let report = run(&admin, now);
        assert_eq!(report["created"], 1, "at {now}: {report}");
        assert_eq!(get(&admin, "s-first")["nextRunAt"], next, "after {now}");
    }
    let records = cycles(&admin, "s-first");
    let scheduled: Vec<&str> = records
        .iter()
        .filter_map(|r| r["scheduledFor"].as_str())
        .collect();
    assert_eq!(
        scheduled,
        [
            "2028-02-01T12:00:00Z",
            "2028-03-01T12:00:00Z",
            "2028-04-01T12:00:00Z"
        ]
    );
    order_of(&admin, "s-first", &records[2]);

    // Six fields (seconds first) read the same; day-of-week 7 is Sunday, as in crontab.
    let mut body = sample::monthly("s-sundays", "2028-01-01T00:00:00Z");
    body["schedule"] = json!({"cron": "0 30 8 * * 7"});
    // 2028-01-02 is a Sunday: 08:30 in São Paulo.
    assert_eq!(create(&admin, &body)["nextRunAt"], "2028-01-02T11:30:00Z");

    // A bad expression is refused at schedule.cron, saying how expressions are read.
    let mut body = sample::monthly("s-bad-cron", "2028-01-15T00:00:00Z");
    body["schedule"] = json!({"cron": "0 9 1 *"});
    let reply = admin.post("/subscriptions", &body);
    assert_eq!(reply.status, 422, "{}", reply.text());
    let refused = json(&reply);
    let field = &refused["error"]["details"]["fields"][0];
    assert_eq!(field["field"], "schedule.cron", "{refused}");
    let message = field["message"].as_str().unwrap_or_default();
    for words in ["crontab", "timezone", "5 fields", "seconds first"] {
        assert!(message.contains(words), "{message}");
    }
    assert_eq!(get(&admin, "s-first")["cycleCount"], 3);
}

#[test]
fn an_end_date_finishes_the_subscription_with_no_cycle_after_it() {
    let app = App::start("end-at");
    let admin = app.admin();
    // Monthly on the 10th at noon in São Paulo, ending ten days after the third cycle.
    let mut body = sample::monthly("s-end", "2028-01-10T15:00:00Z");
    body["endAt"] = json!("2028-03-20T00:00:00Z");
    let sub = create(&admin, &body);
    assert_eq!(sub["endAt"], "2028-03-20T00:00:00Z", "{sub}");
    // Ending on the third cycle's instant: a cycle at endAt is still a cycle (no cycle
    // falls after endAt).
    let mut body = sample::monthly("s-end-on-fire", "2028-01-10T15:00:00Z");
    body["endAt"] = json!("2028-03-10T15:00:00Z");
    create(&admin, &body);
    let ids = ["s-end", "s-end-on-fire"];

    for (now, next) in [
        ("2028-01-10T15:01:00Z", "2028-02-10T15:00:00Z"),
        ("2028-02-10T15:01:00Z", "2028-03-10T15:00:00Z"),
    ] {
        let report = run(&admin, now);
        assert_eq!(report["created"], 2, "at {now}: {report}");
        for id in ids {
            let sub = get(&admin, id);
            assert_eq!(sub["status"], "active", "{sub}");
            assert_eq!(sub["nextRunAt"], next, "{sub}");
        }
    }
    // The last cycle finishes them at once: the next occurrence (April 10) is after endAt.
    let report = run(&admin, "2028-03-10T15:01:00Z");
    assert_eq!(report["created"], 2, "{report}");
    for id in ids {
        let sub = get(&admin, id);
        assert_eq!(sub["status"], "finished", "{sub}");
        assert_eq!(sub["nextRunAt"], serde_json::Value::Null, "{sub}");
        assert_eq!(sub["cycleCount"], 3, "{sub}");
    }
    // Nothing after the end date: not on the next monthly date, not a year on.
    for now in ["2028-04-10T15:01:00Z", "2029-04-10T15:01:00Z"] {
        let report = run(&admin, now);
        for field in ["due", "created", "skipped", "failed", "missed"] {
            assert_eq!(report[field], 0, "{field} at {now}: {report}");
        }
    }
    for id in ids {
        let records = cycles(&admin, id);
        let scheduled: Vec<&str> = records
            .iter()
            .map(|r| r["scheduledFor"].as_str().expect("scheduledFor"))
            .collect();
        assert_eq!(
            scheduled,
            [
                "2028-01-10T15:00:00Z",
                "2028-02-10T15:00:00Z",
                "2028-03-10T15:00:00Z"
            ],
            "{id}"
        );
        for record in &records {
            order_of(&admin, id, record);
        }
    }
    let finished = json(&admin.get("/subscriptions?status=finished"));
    let mut listed: Vec<&str> = finished["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, ids, "{finished}");
    // A finished subscription cannot be resumed.
    let resume = admin.post("/subscriptions/s-end/resume", &json!({}));
    assert_eq!(resume.status, 409, "{}", resume.text());
    assert_eq!(error_code(&resume), "invalid-transition");
}
