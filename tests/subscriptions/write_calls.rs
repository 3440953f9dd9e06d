//! What each subscription command costs the store, counted by the runner (`--count-kv-calls`):
//! the same budget as the order commands (docs/architecture.md, "Writes"), for live
//! subscriptions (a test clock's add a read of the clock).

use serde_json::{Value, json};

use crate::app::{App, Cas, Deployment, Store};
use crate::helpers::kv_calls::{check, counted};
use crate::sample;

/// A live subscription body, without an id unless `id` is given.
fn live(id: Option<&str>) -> Value {
    let mut body = sample::monthly(id.unwrap_or("unused"), "2028-09-01T15:00:00Z");
    body["testClock"] = Value::Null;
    if id.is_none() {
        body.as_object_mut().expect("an object").remove("id");
    }
    body.as_object_mut().expect("an object").remove("testClock");
    body
}

#[test]
fn every_subscription_command_makes_at_most_three_writes_and_seven_calls() {
    let app = App::start_on(
        "subscription-write-calls",
        Deployment {
            store: Store::Sqlite(Cas::Honest),
            hosts: 1,
            count_kv_calls: true,
        },
    );
    let admin = app.admin();
    let create = |what: &str, headers: &[(&str, &str)], body: &Value| -> String {
        let created = check(what, counted(&admin, "/subscriptions", headers, body));
        created["id"].as_str().expect("an id").to_owned()
    };
    let mine = create("create with its own id", &[], &live(Some("s-calls-1")));
    assert_eq!(mine, "s-calls-1");
    create("create, numbered", &[], &live(None));
    let keyed = create(
        "create under an Idempotency-Key",
        &[("Idempotency-Key", "calls-key-1")],
        &live(None),
    );
    let again = create(
        "the same Idempotency-Key again (replay)",
        &[("Idempotency-Key", "calls-key-1")],
        &live(None),
    );
    assert_eq!(again, keyed);
    create(
        "create with its own id under an Idempotency-Key",
        &[("Idempotency-Key", "calls-key-2")],
        &live(Some("s-calls-2")),
    );
    check(
        "create a plan",
        counted(
            &admin,
            "/plans",
            &[],
            &json!({"id": "p-calls", "name": "Café do mês",
                    "schedule": {"every": 1, "unit": "month"}, "timezone": "America/Sao_Paulo"}),
        ),
    );
    check(
        "create a plan, numbered",
        counted(
            &admin,
            "/plans",
            &[],
            &json!({"name": "Ração quinzenal", "schedule": {"every": 2, "unit": "week"},
                    "timezone": "America/Sao_Paulo"}),
        ),
    );
    check(
        "create a test clock, numbered",
        counted(
            &admin,
            "/test-clocks",
            &[],
            &json!({"frozenTime": "2028-03-01T00:00:00Z"}),
        ),
    );
    let path = |route: &str| format!("/subscriptions/{mine}/{route}");
    check(
        "pause under an Idempotency-Key",
        counted(
            &admin,
            &path("pause"),
            &[("Idempotency-Key", "calls-pause")],
            &json!({}),
        ),
    );
    check(
        "the same Idempotency-Key again (replay)",
        counted(
            &admin,
            &path("pause"),
            &[("Idempotency-Key", "calls-pause")],
            &json!({}),
        ),
    );
    for route in ["resume", "skip", "pause", "resume", "cancel"] {
        check(route, counted(&admin, &path(route), &[], &json!({})));
    }
}
