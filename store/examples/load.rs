//! Events per second through the async [`Store`], with concurrent tokio tasks recording
//! failures on one key and on 10,000 keys, on Redis, Redis Cluster or PostgreSQL; then a
//! check that no update was lost.
//!
//! ```text
//! cargo run --release -p account-lockout-store --example load -- --redis redis://127.0.0.1:6379/
//! cargo run --release -p account-lockout-store --example load -- --cluster redis://127.0.0.1:7000/,redis://127.0.0.1:7001/
//! cargo run --release -p account-lockout-store --features postgres --example load -- --postgres 'host=127.0.0.1 user=postgres'
//! cargo run -p account-lockout-store --example load -- --help
//! ```
//!
//! Every event is a counted failure (PingOne, `failureCount` 4,294,967,295: the lock is
//! never reached, and the count never decays), so every event writes: one
//! compare-and-set when the store's guess of the bytes is right, more when another task
//! wrote the key first (a conflict). After each run the counts are read back: on every
//! key the stored `failure_count` must equal the failures acknowledged on it, otherwise
//! an update was lost. The keys are deleted at the end.
//!
//! `bash store/benches/load.sh` runs this beside `redis-benchmark` calling the same
//! script with arguments of the same sizes (`--print-script`, and the `payload` line).

// A measuring program, not library code: the workspace's panic-free lints (all
// restriction lints) do not apply.
#![allow(clippy::restriction)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant as Clock, SystemTime, UNIX_EPOCH};

use account_lockout::dialect::PingOne;
use account_lockout::{Account, Instant, Policy};
use account_lockout_store::{Backend, Config, Error, Store, Swap, Write};
use clap::{CommandFactory, Parser, error::ErrorKind};

/// The PingOne account type (the default: 8 attempts in flight).
type Accounts<B> = Store<B, 0, 0>;

/// A load generator for account-lockout-store: N concurrent tokio tasks record failures
/// through one async Store (or one per node) for S seconds, on each number of keys in
/// turn, then the stored counts are checked against the acknowledged failures. Prints
/// events/s, latency percentiles, conflicts (lost compare-and-sets, retried), events that
/// gave up after 100 lost compare-and-sets (Error::Conflict), other errors and lost
/// updates; exits 1 on an error other than a conflict, or a lost update.
#[derive(Parser)]
#[command(name = "load", version)]
struct Args {
    /// A Redis server (one node) [default, when no backend is named: $REDIS_URL].
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// A Redis Cluster: one or more of its nodes.
    #[arg(long, value_name = "URL[,URL...]", value_delimiter = ',')]
    cluster: Vec<String>,
    /// A PostgreSQL server (libpq connection string); needs the `postgres` feature.
    #[arg(long, value_name = "CONNINFO")]
    postgres: Option<String>,
    /// Concurrent tasks sending events.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    tasks: u32,
    /// How long each run lasts, in seconds.
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    seconds: f64,
    /// The numbers of keys to run on, one run each (each event picks one at random).
    #[arg(long, value_name = "K[,K...]", value_delimiter = ',', default_values_t = [1_u32, 10_000],
          value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    keys: Vec<u32>,
    /// Stores (each with its backend connection and its cache), as nodes of a fleet;
    /// the tasks are shared out among them.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    nodes: u32,
    /// Tokio worker threads [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_024))]
    threads: Option<u32>,
    /// Tab-separated lines for scripts instead of a Markdown table (see store/benches/load.sh).
    #[arg(long)]
    tsv: bool,
    /// Print the Redis compare-and-set script (RedisBackend::SCRIPT) and exit.
    #[arg(long)]
    print_script: bool,
}

fn now() -> Instant {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    Instant::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}

/// A failure count that is never reached, and no decay: every failure is counted and
/// written.
fn policy() -> Policy {
    PingOne {
        failure_count: u32::MAX,
        duration_seconds: Some(900),
    }
    .policy()
    .expect("a valid PingOne policy")
}

/// A backend that records the sizes of the last compare-and-set it passed on: the
/// payload `redis-benchmark` must send to do the same work.
#[derive(Clone)]
struct Probe<B> {
    inner: B,
    last: Arc<Mutex<Option<Sizes>>>,
}

#[derive(Clone, Copy, Debug)]
struct Sizes {
    expected: usize,
    written: usize,
    ttl_ms: u128,
}

impl<B: Backend> Backend for Probe<B> {
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.inner.read(key).await
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        write: Write<'_>,
    ) -> Result<Swap, Error> {
        let swap = self.inner.compare_and_set(key, expected, write).await?;
        if let (Swap::Done, Write::Set { bytes, ttl }) = (&swap, write) {
            *self.last.lock().unwrap() = Some(Sizes {
                expected: expected.map_or(0, <[u8]>::len),
                written: bytes.len(),
                ttl_ms: ttl.map_or(0, |ttl| ttl.as_millis()),
            });
        }
        Ok(swap)
    }

    async fn delete(&self, key: &str) -> Result<bool, Error> {
        self.inner.delete(key).await
    }
}

/// What one task saw.
struct TaskTotals {
    /// Acknowledged failures per key.
    acked: Vec<u32>,
    /// Latency of every acknowledged event, in µs.
    latencies: Vec<u32>,
    /// Events that gave up after `Config::max_attempts` lost compare-and-sets
    /// ([`Error::Conflict`]: nothing written, the caller is told).
    gave_up: u64,
    errors: Vec<String>,
    maybe_written: u64,
}

/// One run's figures.
struct Row {
    backend: String,
    keys: u32,
    seconds: f64,
    events: u64,
    p50_us: u32,
    p99_us: u32,
    conflicts: u64,
    gave_up: u64,
    errors: u64,
    maybe_written: u64,
    /// Acknowledged failures missing from the stored counts (must be 0).
    lost: u64,
    /// Stored failures never acknowledged (only possible after an error that may have
    /// written).
    unacknowledged: u64,
    first_error: Option<String>,
}

impl Row {
    fn rate(&self) -> f64 {
        self.events as f64 / self.seconds
    }
}

/// Users `u0`, `u1`, …: the names are made once, not per event.
fn users(keys: u32) -> Arc<[String]> {
    (0..keys).map(|key| format!("u{key}")).collect()
}

/// A small generator per task (xorshift64*), so the keys are picked as
/// `redis-benchmark -r` picks them: uniformly at random.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u32) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
        ((value * u64::from(bound)) >> 32) as usize
    }
}

async fn run<B: Backend>(
    name: &str,
    backends: Vec<B>,
    args: &Args,
    keys: u32,
    run_id: i64,
) -> Result<(Row, Sizes, usize), Error> {
    let policy = policy();
    let config = Config::default().with_prefix(format!("load:{run_id}:{name}:{keys}:"));
    let stores = backends
        .into_iter()
        .map(|backend| Accounts::new(backend, config.clone(), policy))
        .collect::<Result<Vec<_>, _>>()?;
    let users = users(keys);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Clock::now();
    let tasks: Vec<_> = (0..args.tasks)
        .map(|task| {
            let store = stores[task as usize % stores.len()].clone();
            let (users, stop) = (users.clone(), stop.clone());
            tokio::spawn(async move {
                let mut random = Random(
                    (u64::from(task) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ run_id as u64,
                );
                let mut totals = TaskTotals {
                    acked: vec![0; users.len()],
                    latencies: Vec::with_capacity(1 << 14),
                    gave_up: 0,
                    errors: Vec::new(),
                    maybe_written: 0,
                };
                while !stop.load(Ordering::Relaxed) {
                    let key = random.below(keys);
                    let sent = Clock::now();
                    match store.failure(&users[key], now(), None).await {
                        Ok(outcome) if outcome.is_allowed() => {
                            totals.acked[key] += 1;
                            let micros = sent.elapsed().as_micros();
                            totals
                                .latencies
                                .push(u32::try_from(micros).unwrap_or(u32::MAX));
                        }
                        Ok(outcome) => totals.errors.push(format!("refused: {outcome:?}")),
                        Err(Error::Conflict { .. }) => totals.gave_up += 1,
                        Err(error) => {
                            totals.maybe_written += u64::from(error.maybe_written());
                            totals.errors.push(error.to_string());
                        }
                    }
                }
                totals
            })
        })
        .collect();
    tokio::time::sleep(StdDuration::from_secs_f64(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acked = vec![0_u64; keys as usize];
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    let (mut gave_up, mut maybe_written) = (0, 0);
    for task in tasks {
        let totals = task.await.map_err(|_| Error::Internal("a task panicked"))?;
        for (sum, count) in acked.iter_mut().zip(&totals.acked) {
            *sum += u64::from(*count);
        }
        latencies.extend(totals.latencies);
        errors.extend(totals.errors);
        gave_up += totals.gave_up;
        maybe_written += totals.maybe_written;
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: usize| {
        latencies
            .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let conflicts = stores.iter().map(Store::conflicts).sum();

    // Read every count back, 64 keys at a time, and compare it with the acknowledgements.
    let store = stores[0].clone();
    let stored = read_counts(&store, &users).await?;
    let (mut lost, mut unacknowledged) = (0, 0);
    for (stored, acked) in stored.iter().zip(&acked) {
        lost += acked.saturating_sub(*stored);
        unacknowledged += stored.saturating_sub(*acked);
    }

    // One more failure through a probe: the sizes of the script call, and the encoding.
    let probe = Probe {
        inner: store.backend().clone(),
        last: Arc::new(Mutex::new(None)),
    };
    let probing = Accounts::new(probe.clone(), config.clone(), policy)?;
    // A key the run wrote, so that the call compares with a stored value as the run's did.
    let probed = &users[acked.iter().position(|&count| count > 0).unwrap_or(0)];
    let _ = probing.failure(probed, now(), None).await?;
    let sizes = probe
        .last
        .lock()
        .unwrap()
        .ok_or(Error::Internal("the probe saw no compare-and-set"))?;
    let account: Account = probing
        .load(probed)
        .await?
        .ok_or(Error::Internal("the probed account is absent"))?;
    let mut buffer = vec![0; Account::<0, 0>::MAX_ENCODED_LEN];
    let encoded = account
        .encode(&mut buffer)
        .map_err(|_| Error::Internal("encode"))?;

    forget_all(&store, &users).await?;
    let events = acked.iter().sum();
    let row = Row {
        backend: name.to_owned(),
        keys,
        seconds,
        events,
        p50_us: percentile(50),
        p99_us: percentile(99),
        conflicts,
        gave_up,
        errors: errors.len() as u64,
        maybe_written,
        lost,
        unacknowledged,
        first_error: errors.into_iter().next(),
    };
    Ok((row, sizes, encoded))
}

/// Each user's stored failure count, read with 64 reads in flight.
async fn read_counts<B: Backend>(
    store: &Accounts<B>,
    users: &Arc<[String]>,
) -> Result<Vec<u64>, Error> {
    let chunk = users.len().div_ceil(64);
    let readers: Vec<_> = (0..users.len())
        .step_by(chunk)
        .map(|from| {
            let (store, users) = (store.clone(), users.clone());
            tokio::spawn(async move {
                let mut counts = Vec::new();
                for user in &users[from..(from + chunk).min(users.len())] {
                    counts.push(u64::from(store.failure_count(user, now()).await?));
                }
                Ok::<_, Error>(counts)
            })
        })
        .collect();
    let mut counts = Vec::with_capacity(users.len());
    for reader in readers {
        counts.extend(
            reader
                .await
                .map_err(|_| Error::Internal("a reader panicked"))??,
        );
    }
    Ok(counts)
}

/// Deletes every user's key, 64 at a time.
async fn forget_all<B: Backend>(store: &Accounts<B>, users: &Arc<[String]>) -> Result<(), Error> {
    let chunk = users.len().div_ceil(64);
    let deleters: Vec<_> = (0..users.len())
        .step_by(chunk)
        .map(|from| {
            let (store, users) = (store.clone(), users.clone());
            tokio::spawn(async move {
                for user in &users[from..(from + chunk).min(users.len())] {
                    store.forget(user).await?;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();
    for deleter in deleters {
        deleter
            .await
            .map_err(|_| Error::Internal("a deleter panicked"))??;
    }
    Ok(())
}

/// Runs every number of keys on one kind of backend, `connect` making one backend per
/// node; prints as it goes.
async fn measure<B, F, Fut>(
    name: &str,
    args: &Args,
    run_id: i64,
    connect: F,
) -> Result<Vec<Row>, Error>
where
    B: Backend,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<B, Error>>,
{
    let mut rows = Vec::new();
    for &keys in &args.keys {
        let mut backends = Vec::new();
        for _ in 0..args.nodes {
            backends.push(connect().await?);
        }
        let (row, sizes, encoded) = run(name, backends, args, keys, run_id).await?;
        if args.tsv {
            println!(
                "payload\t{name}\t{keys}\t{}\t{}\t{}\t{encoded}",
                sizes.expected, sizes.written, sizes.ttl_ms
            );
        } else {
            eprintln!(
                "{name}, {keys} keys: the compare-and-set expects {} bytes and writes {} \
                 (Account::encode: {encoded}) with a TTL of {} ms",
                sizes.expected, sizes.written, sizes.ttl_ms
            );
        }
        print_row(&row, args.tsv);
        rows.push(row);
    }
    Ok(rows)
}

fn print_header(args: &Args) {
    if args.tsv {
        println!(
            "# row\tbackend\tkeys\tseconds\tevents\tevents_per_s\tp50_us\tp99_us\tconflicts\tgave_up\terrors\tmaybe_written\tlost\tunacknowledged"
        );
        println!("# payload\tbackend\tkeys\texpected_bytes\twritten_bytes\tttl_ms\tencoded_bytes");
    } else {
        println!(
            "{} tasks on {} store(s), {} s per run",
            args.tasks, args.nodes, args.seconds
        );
        println!(
            "| backend | keys | events/s | events | p50 | p99 | conflicts | gave up | errors | lost updates |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    }
}

fn print_row(row: &Row, tsv: bool) {
    if tsv {
        println!(
            "row\t{}\t{}\t{:.3}\t{}\t{:.0}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.backend,
            row.keys,
            row.seconds,
            row.events,
            row.rate(),
            row.p50_us,
            row.p99_us,
            row.conflicts,
            row.gave_up,
            row.errors,
            row.maybe_written,
            row.lost,
            row.unacknowledged
        );
    } else {
        println!(
            "| {} | {} | {:.0} | {} | {} µs | {} µs | {} | {} | {} | {} |",
            row.backend,
            row.keys,
            row.rate(),
            row.events,
            row.p50_us,
            row.p99_us,
            row.conflicts,
            row.gave_up,
            row.errors,
            row.lost
        );
    }
    if let Some(error) = &row.first_error {
        eprintln!(
            "{}, {} keys: {} errors ({} may have written), the first: {error}",
            row.backend, row.keys, row.errors, row.maybe_written
        );
    }
    if row.unacknowledged > 0 {
        eprintln!(
            "{}, {} keys: {} stored failures were not acknowledged (errors that may have written: {})",
            row.backend, row.keys, row.unacknowledged, row.maybe_written
        );
    }
}

async fn main_async(args: Args) -> Result<bool, Error> {
    let run_id = now().as_millis();
    print_header(&args);
    let mut rows = Vec::new();
    #[cfg(feature = "redis")]
    {
        use account_lockout_store::RedisBackend;
        if let Some(url) = &args.redis {
            let connect = || RedisBackend::connect(url);
            rows.extend(measure("redis", &args, run_id, connect).await?);
        }
        if !args.cluster.is_empty() {
            let nodes: Vec<&str> = args.cluster.iter().map(String::as_str).collect();
            let connect = || RedisBackend::connect_cluster(&nodes);
            rows.extend(measure("cluster", &args, run_id, connect).await?);
        }
    }
    #[cfg(feature = "postgres")]
    if let Some(conninfo) = &args.postgres {
        use account_lockout_store::PostgresBackend;
        let connect = || PostgresBackend::connect(conninfo);
        rows.extend(measure("postgres", &args, run_id, connect).await?);
    }
    Ok(rows.iter().all(|row| {
        row.errors == 0
            && row.lost == 0
            && row.unacknowledged <= row.maybe_written
            && row.events > 0
    }))
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    let usage =
        |kind: ErrorKind, message: &str| -> ! { Args::command().error(kind, message).exit() };
    if args.print_script {
        #[cfg(feature = "redis")]
        {
            print!("{}", <account_lockout_store::RedisBackend>::SCRIPT);
            return ExitCode::SUCCESS;
        }
        #[cfg(not(feature = "redis"))]
        {
            eprintln!("no compare-and-set script in this build (feature redis)");
            return ExitCode::FAILURE;
        }
    }
    if !args.seconds.is_finite() || args.seconds <= 0.0 {
        usage(
            ErrorKind::ValueValidation,
            "--seconds must be a positive number",
        );
    }
    if args.redis.is_none() && args.cluster.is_empty() && args.postgres.is_none() {
        args.redis = std::env::var("REDIS_URL")
            .ok()
            .filter(|url| !url.is_empty());
    }
    if args.redis.is_none() && args.cluster.is_empty() && args.postgres.is_none() {
        usage(
            ErrorKind::MissingRequiredArgument,
            "name a backend: --redis URL (or set REDIS_URL), --cluster URL[,URL...] or \
             --postgres CONNINFO",
        );
    }
    if cfg!(not(feature = "redis")) && (args.redis.is_some() || !args.cluster.is_empty()) {
        usage(
            ErrorKind::ArgumentConflict,
            "this build has no Redis backend (feature redis)",
        );
    }
    if cfg!(not(feature = "postgres")) && args.postgres.is_some() {
        usage(
            ErrorKind::ArgumentConflict,
            "this build has no PostgreSQL backend: build with --features postgres",
        );
    }
    #[cfg(feature = "redis")]
    {
        let script = redis::Script::new(<account_lockout_store::RedisBackend>::SCRIPT);
        let sha = script.get_hash();
        if args.tsv {
            println!("script\t{sha}");
        } else {
            eprintln!("compare-and-set script: SHA1 {sha}");
        }
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads as usize);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main_async(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("some events failed or some updates were lost");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("load: {error}");
            ExitCode::FAILURE
        }
    }
}
