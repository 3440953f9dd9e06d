//! The torture driver: the app on the runner, many clients sending random commands on a shared
//! pool of orders for a set time, a killer that SIGKILLs the runner every few seconds and starts
//! it again, every request and answer recorded (a connection the kill dropped is `Lost`, and the
//! client retries it under the same Idempotency-Key, as a real client would); then the repair
//! and a read of everything back, for [`crate::check`].

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::app::{App, Client};
use crate::check::{Answer, Exchange, Final, Op};
use crate::sample;

/// How a run goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) seconds: u64,
    pub(crate) clients: usize,
    /// The least and most seconds between kills.
    pub(crate) kill_every: (u64, u64),
}

/// What a run did.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) sent: usize,
    pub(crate) acknowledged: usize,
    pub(crate) lost: usize,
    pub(crate) kills: usize,
}

/// A small deterministic generator per client.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The clients of the current runner: replaced after each restart (a new port).
struct Clients {
    checkout: Client,
    admin: Client,
}

impl Clients {
    fn of(app: &App) -> Self {
        Self {
            checkout: app.checkout(),
            admin: app.admin(),
        }
    }
}

/// Runs `plan` on `app`; answers every exchange, the tally and what the app holds at the end.
pub(crate) fn run(app: &mut App, plan: Plan) -> (Vec<Exchange>, Tally, Final) {
    let clients = Arc::new(RwLock::new(Clients::of(app)));
    let record: Arc<Mutex<Vec<Exchange>>> = Arc::default();
    let pool: Arc<Mutex<Vec<String>>> = Arc::default();
    let numbers = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut kills = 0;
    std::thread::scope(|scope| {
        for c in 0..plan.clients {
            let (clients, record, pool, numbers, stop) =
                (&clients, &record, &pool, &numbers, &stop);
            scope.spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (c as u64 + 1).wrapping_mul(0xff51_afd7));
                while !stop.load(Ordering::Relaxed) {
                    step(c, &mut rng, clients, record, pool, numbers);
                }
            });
        }
        let start = Instant::now();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        while start.elapsed() < Duration::from_secs(plan.seconds) {
            let wait = plan.kill_every.0 + rng.below(plan.kill_every.1 - plan.kill_every.0 + 1);
            std::thread::sleep(
                Duration::from_secs(wait)
                    .min(Duration::from_secs(plan.seconds).saturating_sub(start.elapsed())),
            );
            if start.elapsed() >= Duration::from_secs(plan.seconds) {
                break;
            }
            app.kill();
            kills += 1;
            app.restart();
            *clients.write().expect("clients") = Clients::of(app);
        }
        stop.store(true, Ordering::Relaxed);
    });
    let run = std::mem::take(&mut *record.lock().expect("record"));
    let tally = Tally {
        sent: run.len(),
        acknowledged: run
            .iter()
            .filter(|e| matches!(&e.answer, Answer::Got(s, _) if (200..300).contains(s)))
            .count(),
        lost: run.iter().filter(|e| e.answer == Answer::Lost).count(),
        kills,
    };
    let answered: Vec<String> = pool.lock().expect("pool").clone();
    let end = read_back(app, &answered);
    (run, tally, end)
}

/// One random request of client `c` (and its retries while its answer is lost).
fn step(
    c: usize,
    rng: &mut Rng,
    clients: &RwLock<Clients>,
    record: &Mutex<Vec<Exchange>>,
    pool: &Mutex<Vec<String>>,
    numbers: &AtomicUsize,
) {
    let n = numbers.fetch_add(1, Ordering::Relaxed);
    let key = format!("torture-{c}-{n}");
    let target = {
        let pool = pool.lock().expect("pool");
        (!pool.is_empty())
            .then(|| pool[usize::try_from(rng.below(pool.len() as u64)).unwrap_or(0)].clone())
    };
    let (op, path, body, admin) = match (rng.below(10), target) {
        (0..=3, _) | (_, None) => {
            let external = (rng.below(2) == 0).then(|| format!("T-{c}-{n}"));
            let mut order = sample::order(external.as_deref().unwrap_or("unused"));
            if external.is_none() {
                order
                    .as_object_mut()
                    .expect("an object")
                    .remove("externalId");
            }
            let op = Op::Place {
                channel: text(&order["channel"]),
                external_id: external,
            };
            (op, "/checkout/orders".to_owned(), order, false)
        }
        (4..=7, Some(order)) => {
            let marker = format!("note {key}");
            let body = json!({"text": marker});
            let op = Op::Comment {
                order: order.clone(),
                marker,
            };
            (op, format!("/orders/{order}/comments"), body, true)
        }
        (_, Some(order)) => {
            let op = Op::Command {
                order: order.clone(),
                event: "payment-approved",
            };
            let body = json!({"amount": sample::TOTAL, "note": key});
            (op, format!("/orders/{order}/payment"), body, true)
        }
    };
    let bytes = body.to_string();
    // A lost answer is retried under its key until one comes back (the runner restarts).
    for attempt in 0..50 {
        let client = {
            let clients = clients.read().expect("clients");
            if admin {
                clients.admin.clone()
            } else {
                clients.checkout.clone()
            }
        };
        let sent = client.try_send(
            "POST",
            &path,
            &[("Idempotency-Key", &key)],
            bytes.as_bytes(),
        );
        let answer = match sent {
            Ok(reply) => Answer::Got(
                reply.status,
                serde_json::from_slice(&reply.body).unwrap_or(Value::Null),
            ),
            Err(_) => Answer::Lost,
        };
        let lost = answer == Answer::Lost;
        if let (Op::Place { .. }, Answer::Got(201, body)) = (&op, &answer) {
            pool.lock().expect("pool").push(text(&body["id"]));
        }
        record.lock().expect("record").push(Exchange {
            n: n * 100 + attempt,
            op: op.clone(),
            idempotency_key: Some(key.clone()),
            answer,
        });
        if !lost {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// After the repair: every order by id (found through the full listing and the pool of
/// answers), the listing itself, and the feed's positions.
fn read_back(app: &App, answered: &[String]) -> Final {
    let admin = app.admin();
    let repaired = admin.post("/admin/check?repair=true", &json!({}));
    assert_eq!(repaired.status, 200, "{}", repaired.text());
    let mut end = Final::default();
    let mut cursor = String::new();
    loop {
        let page = admin.get(&format!("/orders?limit=200&sort=createdAt&cursor={cursor}"));
        let page: Value = serde_json::from_slice(&page.body).expect("a page");
        for order in page["items"].as_array().into_iter().flatten() {
            end.listed.push(text(&order["id"]));
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    // Every order by id: those listed, those answered, and every number up to past the
    // highest seen (an order reachable by id but never listed is what the checker looks for).
    let highest = end
        .listed
        .iter()
        .chain(answered)
        .filter_map(|id| id.strip_prefix("o-")?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    for number in 1..=highest + 5 {
        let reply = admin.get(&format!("/orders/o-{number}"));
        if reply.status == 404 {
            continue;
        }
        let order: Value = serde_json::from_slice(&reply.body).expect("an order");
        end.orders.insert(text(&order["id"]), order);
    }
    let erp = app.client("erp_token");
    let mut after = 0;
    loop {
        let page = erp.get(&format!("/feed?after={after}&limit=500"));
        let page: Value = serde_json::from_slice(&page.body).expect("a feed page");
        for item in page["items"].as_array().into_iter().flatten() {
            end.feed.push(item["position"].as_u64().unwrap_or(0));
        }
        let next = page["next"].as_u64().unwrap_or(u64::MAX);
        // A page may come back short, or empty, and still move `next`.
        if next <= after || next >= page["last"].as_u64().unwrap_or(0) {
            break;
        }
        after = next;
    }
    end
}
