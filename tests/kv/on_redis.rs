//! The runner's Redis store (`type = "redis"` in a runtime config) against a real redis-server
//! of the test's own: what Spin 3.6.3's Redis store does, measured, faults included
//! (src/kv/redis.rs). Each test starts its own server.

use std::collections::BTreeSet;

use redis::Commands as _;

use crate::helpers::redis_server::RedisServer;
use crate::helpers::{self, Runner, Start};

/// A redis-server and a runner whose default store is on it.
struct OnRedis {
    server: RedisServer,
    runner: Runner,
}

fn on_redis(name: &str, extra_args: &[&str]) -> OnRedis {
    let server = RedisServer::start(&helpers::scratch(&format!("{name}-redis")));
    let mut start = Start::new(name, &crate::manifest(""))
        .arg("--runtime-config-file")
        .arg(&server.runtime_config().display().to_string());
    for arg in extra_args {
        start = start.arg(arg);
    }
    let runner = start.spawn();
    assert!(
        runner.wait_for_log(
            &format!("key-value: redis at {} (runtime config)", server.url()),
            std::time::Duration::from_secs(5)
        ),
        "{}",
        runner.log()
    );
    OnRedis { server, runner }
}

/// The store API as on the other backends, but for what Redis does differently: every label is
/// one keyspace, and get-many (in `kv/batch`) never works.
#[test]
fn the_store_api_works_on_redis_but_labels_share_one_keyspace() {
    let OnRedis { server, runner } = on_redis("kv-redis-api", &[]);
    assert_eq!(runner.get("/probe/kv/get?key=a").text(), "<none>");
    assert_eq!(runner.get("/probe/kv/exists?key=a").text(), "false");
    assert_eq!(runner.post("/probe/kv/set?key=a", b"one").text(), "ok");
    assert_eq!(runner.post("/probe/kv/set?key=b", b"two").text(), "ok");
    assert_eq!(
        runner.post("/probe/kv/set?key=z&store=other", b"x").text(),
        "ok"
    );
    assert_eq!(runner.get("/probe/kv/get?key=a").text(), "one");
    assert_eq!(runner.get("/probe/kv/exists?key=a").text(), "true");
    // Labels are ignored: `other`'s key is in `default`, and the other way round.
    assert_eq!(runner.get("/probe/kv/keys").text(), "a,b,z");
    assert_eq!(runner.get("/probe/kv/keys?store=other").text(), "a,b,z");
    assert_eq!(runner.get("/probe/kv/get?key=z").text(), "x");
    assert_eq!(runner.get("/probe/kv/get?key=a&store=other").text(), "one");
    assert_eq!(
        runner.get("/probe/kv/delete?key=a&store=other").text(),
        "ok"
    );
    assert_eq!(runner.get("/probe/kv/delete?key=never").text(), "ok");
    assert_eq!(runner.get("/probe/kv/get?key=a").text(), "<none>");
    // The values are plain Redis strings under the keys as given.
    let mut redis = server.connection();
    assert_eq!(redis.get::<_, Vec<u8>>("b").unwrap(), b"two");
    assert_eq!(redis.get::<_, Vec<u8>>("z").unwrap(), b"x");
    // The batch: set-many (MSET) writes, get-many of three keys is refused by Redis.
    let batch = runner.get("/probe/kv/batch");
    assert_eq!(batch.status, 500);
    assert_eq!(
        batch.text(),
        "Error::Other(\"An error was signalled by the server - ResponseError: wrong number of \
         arguments for 'keys' command\")"
    );
    assert_eq!(redis.get::<_, Vec<u8>>("b1").unwrap(), b"one");
    assert_eq!(redis.get::<_, Vec<u8>>("b2").unwrap(), b"two");
}

/// Spin's get-many sends `KEYS k1 k2 ...` and reads the names it matches as key/value pairs.
#[test]
fn get_many_on_redis_fails_or_answers_wrong_data_as_spin_does() {
    let OnRedis { server, runner } = on_redis("kv-redis-get-many", &[]);
    let mut redis = server.connection();
    let () = redis.set("g1", "one").unwrap();
    let () = redis.set("g2", "two").unwrap();
    // No key: the host answers an empty list without asking Redis.
    assert_eq!(runner.get("/probe/kv/get-many?keys=").text(), "");
    // One key that no key matches: an empty list, as for an absent key on any store.
    let absent = runner.get("/probe/kv/get-many?keys=absent");
    assert_eq!((absent.status, absent.text()), (200, String::new()));
    // One key that exists: KEYS answers its name alone, an odd-length list that redis-rs's pair
    // conversion meets with `unreachable!()`: Spin's host panics, the request gets a 500 with
    // nothing in it (the runner traps the instance).
    let existing = runner.get("/probe/kv/get-many?keys=g1");
    assert_eq!((existing.status, existing.text()), (500, String::new()));
    assert!(
        runner.wait_for_log("redis-rs panicked", std::time::Duration::from_secs(5)),
        "{}",
        runner.log()
    );
    // A key that is a pattern matching two keys: one pair of two names.
    let pattern = runner.get("/probe/kv/get-many?keys=g*");
    assert_eq!(pattern.status, 200);
    assert!(
        ["g1=Some(\"g2\")", "g2=Some(\"g1\")"].contains(&pattern.text().as_str()),
        "{}",
        pattern.text()
    );
    // Two keys or more: Redis refuses the command.
    let two = runner.get("/probe/kv/get-many?keys=g1,g2");
    assert_eq!(two.status, 500);
    assert_eq!(
        two.text(),
        "Error::Other(\"An error was signalled by the server - ResponseError: wrong number of \
         arguments for 'keys' command\")"
    );
    // The runner still serves.
    assert_eq!(runner.get("/probe/kv/get?key=g1").text(), "one");
}

/// INCRBY: the counter is decimal text in Redis, and `get` answers those bytes.
#[test]
fn increment_on_redis_keeps_decimal_text_and_get_answers_it() {
    let OnRedis { server, runner } = on_redis("kv-redis-increment", &[]);
    assert_eq!(runner.get("/probe/kv/increment?key=n&delta=5").text(), "5");
    assert_eq!(runner.get("/probe/kv/increment?key=n&delta=-2").text(), "3");
    assert_eq!(runner.get("/probe/kv/get?key=n").text(), "3");
    assert_eq!(runner.get("/probe/kv/increment?key=n&delta=0").text(), "3");
    let mut redis = server.connection();
    assert_eq!(redis.get::<_, Vec<u8>>("n").unwrap(), b"3");
    // A big one stays decimal text too (never 8 little-endian bytes).
    assert_eq!(
        runner
            .get("/probe/kv/increment?key=big&delta=1234567890123")
            .text(),
        "1234567890123"
    );
    assert_eq!(redis.get::<_, Vec<u8>>("big").unwrap(), b"1234567890123");
    // A value that is not decimal text cannot be incremented; an 8-byte little-endian counter
    // written by another backend is not one either.
    runner.post("/probe/kv/set?key=text", b"hello");
    let reply = runner.get("/probe/kv/increment?key=text");
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.text(),
        "Error::Other(\"An error was signalled by the server - ResponseError: value is not an \
         integer or out of range\")"
    );
    let () = redis.set("le", 3i64.to_le_bytes().as_slice()).unwrap();
    assert_eq!(runner.get("/probe/kv/increment?key=le").status, 500);
    // The number and the write of a placement's floor.
    assert_eq!(
        runner.post("/probe/kv/numbered-set?key=o", b"first").text(),
        "1"
    );
    assert_eq!(runner.get("/probe/kv/get?key=o/1").text(), "first");
    assert_eq!(runner.get("/probe/kv/get?key=o").text(), "1");
}

/// WATCH, GET, MULTI SET EXEC, then `UNWATCH key`, which Redis refuses: every swap reports
/// `cas-failed`, whether it wrote or not.
#[test]
fn a_swap_on_redis_reports_cas_failed_after_writing() {
    let OnRedis { server, runner } = on_redis("kv-redis-cas", &[]);
    runner.post("/probe/kv/set?key=k", b"old");
    assert_eq!(
        runner.post("/probe/kv/cas-once?key=k", b"new").text(),
        "cas-failed"
    );
    assert_eq!(runner.get("/probe/kv/get?key=k").text(), "new");
    // On an absent key too.
    assert_eq!(
        runner.post("/probe/kv/cas-once?key=fresh", b"v").text(),
        "cas-failed"
    );
    assert_eq!(runner.get("/probe/kv/get?key=fresh").text(), "v");
    // Each swap's handle had a connection of its own, closed with it.
    let mut redis = server.connection();
    let clients: String = redis::cmd("CLIENT").arg("LIST").query(&mut redis).unwrap();
    assert!(clients.lines().count() <= 34, "{clients}");
}

/// The watch is real: a change between `current` and `swap` aborts the transaction, and the
/// swap reports `cas-failed` as when it wrote; the fresh handle reads the other writer's value.
#[test]
fn a_swap_on_redis_never_overwrites_a_change_made_since_current() {
    let OnRedis { server, runner } = on_redis("kv-redis-cas-race", &[]);
    runner.post("/probe/kv/set?key=k", b"old");
    assert_eq!(
        runner.post("/probe/kv/cas-race?key=k", b"mine").text(),
        "before=Some(\"old\") swap=cas-failed fresh=Some(Some(\"other writer\")) \
         after=Some(\"other writer\")"
    );
    // The mechanism, with Spin's own calls on a connection of the test's: the aborted EXEC reads
    // as success in redis-rs, and only the refused `UNWATCH key` reports a failure.
    let mut watcher = server.connection();
    let mut other = server.connection();
    redis::cmd("WATCH").arg("m").exec(&mut watcher).unwrap();
    let () = other.set("m", "other writer").unwrap();
    let exec: redis::RedisResult<()> = redis::pipe().atomic().set("m", "mine").query(&mut watcher);
    assert!(exec.is_ok(), "{exec:?}");
    assert_eq!(other.get::<_, String>("m").unwrap(), "other writer");
    let unwatch = redis::cmd("UNWATCH")
        .arg("m")
        .exec(&mut watcher)
        .unwrap_err();
    assert_eq!(
        format!("{unwatch:?}"),
        "An error was signalled by the server - ResponseError: wrong number of arguments for \
         'unwatch' command"
    );
    // A key absent at `current` and created before the swap: not an upsert, unlike Spin's
    // SQLite store (tests/kv/main.rs).
    assert_eq!(
        runner.get("/probe/kv/cas-absent?key=new").text(),
        "before=None swap=cas-failed after=Some(\"other writer\")"
    );
}

/// Forty writers increment one counter by compare-and-swap, recognising their own swap by its
/// write id after `cas-failed` (as orderflow's services do, keeping recent write ids in the
/// value): nothing lost, nothing twice. (Checking only the latest write id is not enough: a
/// swap overwritten before its writer re-reads looks lost, and was counted twice, 52 for 40.)
#[test]
fn parallel_swaps_with_write_ids_lose_nothing_on_redis() {
    let OnRedis {
        runner,
        server: _server,
    } = on_redis("kv-redis-cas-parallel", &[]);
    let got: BTreeSet<u64> = helpers::parallel(40, |i| {
        let reply = helpers::request(
            runner.addr,
            "GET",
            &format!("/probe/kv/cas-write-id?key=counter&id=w{i}"),
            b"",
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.text().parse::<u64>().unwrap()
    })
    .into_iter()
    .collect();
    assert_eq!(got, (1..=40).collect());
    assert!(
        runner
            .get("/probe/kv/get?key=counter")
            .text()
            .starts_with("40 1:w")
    );
}

/// `--count-kv-calls`: the probe's `kv/calls` makes 16 calls, 8 of them writes, before its
/// response (and as many after it, not counted).
#[test]
fn the_kv_calls_of_a_request_are_counted_exactly_on_redis() {
    let OnRedis {
        runner,
        server: _server,
    } = on_redis("kv-redis-calls", &["--count-kv-calls"]);
    crate::check_kv_call_counts(&runner);
}
