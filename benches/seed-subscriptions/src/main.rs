//! Set-up and instrumentation for `benches/subscriptions.sh`, run natively beside the runner:
//!
//! - `seed` fills a state directory's SQLite store (the runner's file, table and encoding) with
//!   subscriptions created by the subscriptions service's own `Subscriptions::create` (the code
//!   that writes documents, indexes, the due index and stats), over [`store::SqliteKv`], which
//!   holds a transaction across many calls so that a million creations take minutes.
//! - `count-pass` runs one pass natively over that store with an orders service that only
//!   counts, inside a transaction it rolls back: the subscriptions side's key-value calls per
//!   created order, and its native time (no wasm, no orders service).
//!
//! It writes only to the store file it is given; the measured figures come from the runner.

mod population;
mod store;

use std::cell::Cell;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use orderflow_domain::order::PlaceOrder;
use orderflow_domain::subscription::TimeZone;
use orderflow_domain::values::{
    Channel, ExternalId, OrderId, SubscriptionId, TestClockId, Timestamp,
};
use subscriptions_service::{
    ClockTime, Orders, OrdersError, PaymentState, PlacedOrder, Subscriptions,
};

use crate::population::Plan;
use crate::store::SqliteKv;

/// Commit after this many key-value calls (a few thousand subscriptions).
const CALLS_PER_TRANSACTION: u64 = 60_000;

#[derive(Debug, Parser)]
#[command(about = "Seeds subscriptions for benches/subscriptions.sh and counts a pass's calls.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates `count` subscriptions in `<state-dir>/sqlite_key_value.db`, `due` of them with
    /// cycle 1 in the minute of `due-at`, the rest from an hour later over `spread-days` days.
    Seed {
        /// The runner's state directory (created if missing; must not hold a store yet).
        #[arg(long)]
        state_dir: PathBuf,
        /// How many subscriptions.
        #[arg(long)]
        count: u64,
        /// How many of them are due at `due-at`.
        #[arg(long, default_value_t = 1_000)]
        due: u64,
        /// The measured instant, a whole minute (RFC 3339).
        #[arg(long)]
        due_at: String,
        /// Over how many days after `due-at` + 1 h the others' first cycles fall.
        #[arg(long, default_value_t = 30)]
        spread_days: i64,
    },
    /// Runs one pass as of `now` natively with a counting orders service, reports the key-value
    /// calls per created order, and rolls everything back.
    CountPass {
        /// The runner's state directory.
        #[arg(long)]
        state_dir: PathBuf,
        /// The pass's clock (RFC 3339).
        #[arg(long)]
        now: String,
    },
}

/// Writes a line of the report to stdout (its output, read by the script).
fn say(line: &str) -> anyhow::Result<()> {
    writeln!(std::io::stdout().lock(), "{line}")?;
    Ok(())
}

fn instant(s: &str, what: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse(s).with_context(|| format!("{what} is not an RFC 3339 instant: {s}"))
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed {
            state_dir,
            count,
            due,
            due_at,
            spread_days,
        } => {
            let due_at = instant(&due_at, "--due-at")?;
            if due_at.unix_seconds().rem_euclid(60) != 0 {
                bail!("--due-at must be a whole minute");
            }
            if due > count || count == 0 || spread_days < 1 {
                bail!("need 0 < count, due <= count and spread-days >= 1");
            }
            seed(
                state_dir,
                &Plan {
                    count,
                    due,
                    due_at,
                    spread_days,
                },
            )
        }
        Command::CountPass { state_dir, now } => count_pass(state_dir, instant(&now, "--now")?),
    }
}

fn seed(state_dir: PathBuf, plan: &Plan) -> anyhow::Result<()> {
    std::fs::create_dir_all(&state_dir)?;
    let path = state_dir.join(orderflow_kv_sqlite::FILE_NAME);
    if path.exists() {
        bail!("{} exists: seed a fresh state directory", path.display());
    }
    let kv = SqliteKv::open(&path)?;
    // Created an hour before the due minute, so every due entry lands in the bucket of its run
    // (the service registers an entry no earlier than the creation minute).
    let now = plan
        .due_at
        .checked_add(chrono::TimeDelta::hours(-1))
        .context("--due-at out of range")?;
    let service = Subscriptions::new(&kv, now, 0x5eed);
    let zone = TimeZone::parse("America/Sao_Paulo")?;
    let started = Instant::now();
    let mut last_report = Instant::now();
    for i in 0..plan.count {
        // Numbered as the API numbers a subscription created without an id.
        let unnumbered = SubscriptionId::parse("s-0")?;
        service.create_numbered(population::subscription(plan, i, unnumbered, zone, now)?)?;
        kv.commit_if_due(CALLS_PER_TRANSACTION)?;
        if last_report.elapsed().as_secs() >= 10 {
            last_report = Instant::now();
            let done = i + 1;
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!(
                "seed: {done} of {} ({rate:.0}/s, about {:.0} s left)",
                plan.count,
                (plan.count - done) as f64 / rate
            );
        }
    }
    // What the indexer derives (due entries, listings, counters), as the first pass would.
    service.index_all()?;
    let counts = kv.counts();
    kv.finish()?;
    let secs = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path)?.len();
    say(&format!(
        "seeded {} subscriptions ({} due at {}) in {secs:.1} s ({:.0}/s); {:.1} key-value calls \
         per creation; store file {:.0} MB",
        plan.count,
        plan.due,
        plan.due_at.to_rfc3339(),
        plan.count as f64 / secs,
        counts.total() as f64 / plan.count as f64,
        size as f64 / 1e6,
    ))
}

/// An orders service that places nothing: every placement answers a fresh id.
#[derive(Debug, Default)]
struct CountingOrders {
    placed: Cell<u64>,
    finds: Cell<u64>,
    cancel_calls: Cell<u64>,
}

impl Orders for CountingOrders {
    fn place(
        &self,
        _order: PlaceOrder,
        _clock: Option<&ClockTime>,
    ) -> Result<PlacedOrder, OrdersError> {
        let n = self.placed.get() + 1;
        self.placed.set(n);
        OrderId::parse(&format!("o-counted-{n}"))
            .map(|id| PlacedOrder { id })
            .map_err(|e| OrdersError::Unavailable(e.to_string()))
    }

    fn find(&self, _: &Channel, _: &ExternalId) -> Result<Option<PlacedOrder>, OrdersError> {
        self.finds.set(self.finds.get() + 1);
        Ok(None)
    }

    fn cancel_unpaid(
        &self,
        _now: Timestamp,
        _limit: u32,
        _clock: Option<&TestClockId>,
    ) -> Result<u64, OrdersError> {
        self.cancel_calls.set(self.cancel_calls.get() + 1);
        Ok(0)
    }

    /// Nothing is placed, so nothing is followed: every payment is settled.
    fn payment(&self, _id: &OrderId) -> Result<Option<PaymentState>, OrdersError> {
        Ok(Some(PaymentState::Settled))
    }
}

fn count_pass(state_dir: PathBuf, now: Timestamp) -> anyhow::Result<()> {
    let path = state_dir.join(orderflow_kv_sqlite::FILE_NAME);
    if !path.exists() {
        bail!("no store at {}", path.display());
    }
    let kv = SqliteKv::open(&path)?;
    let orders = CountingOrders::default();
    let service = Subscriptions::new(&kv, now, 0xc0de);
    let started = Instant::now();
    let report = service.run_pass(now, &orders)?;
    let secs = started.elapsed().as_secs_f64();
    let counts = kv.counts();
    kv.roll_back()?;
    if !report.errors.is_empty() {
        bail!("the counted pass failed: {:?}", report.errors);
    }
    let created = report.created.max(1) as f64;
    let per = |n: u64| n as f64 / created;
    say(&format!(
        "native pass (subscriptions side only, orders not placed, rolled back): created {} in \
         {:.1} ms; {counts}",
        report.created,
        secs * 1e3
    ))?;
    say(&format!(
        "  per created order: {:.2} calls (get {:.2}, set {:.2}, delete {:.2}, increment {:.2}, \
         cas-current {:.2}, cas-swap {:.2}) + 1 orders.place",
        per(counts.total()),
        per(counts.get),
        per(counts.set),
        per(counts.delete),
        per(counts.increment),
        per(counts.cas_current),
        per(counts.cas_swap),
    ))
}
