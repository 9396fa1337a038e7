//! Attempts per second through Redis: 8 nodes (threads, one connection each) recording
//! failures, all on one key, then spread over 10,000 keys.
//!
//! ```text
//! cargo run --release -p account-lockout-redis --example load -- [--url URL] [--seconds N] [--workers N]
//! cargo run -p account-lockout-redis --example load -- --help
//! ```
//!
//! The URL defaults to `REDIS_URL`, then `redis://127.0.0.1:6379/`. Each failure is one
//! event: a read, the transition, and a compare-and-set (retried when another node won).
//! `protocol` rows run the power-loss-safe attempt protocol instead: a begin and a finish,
//! two compare-and-sets per attempt. The policy never locks and its count decays after a
//! minute of quiet, so every event writes; the keys are deleted at the end.

// A measuring program, not library code: the workspace's panic-free lints (all
// restriction lints) do not apply.
#![allow(clippy::restriction)]

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration as StdDuration, Instant as Clock, SystemTime, UNIX_EPOCH};

use account_lockout::{Decay, Duration, Instant, Policy, Rules, Verdict};
use account_lockout_redis::{Config, Error, Store};
use clap::Parser;

const KEYS_SPREAD: usize = 10_000;

fn now() -> Instant {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    Instant::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Failure,
    Protocol,
}

struct Totals {
    attempts: u64,
    conflicts: u64,
    errors: u64,
}

fn attempt(store: &mut Store, user: &str, kind: Kind) -> Result<(), Error> {
    match kind {
        Kind::Failure => store.failure(user, now(), None).map(drop),
        Kind::Protocol => {
            let start = store.begin_attempt(user, now())?;
            match start.token {
                Some(token) => {
                    let verdict = Verdict::Failure { credential: None };
                    match store.finish_attempt(user, now(), token, verdict) {
                        // Another node's begin counted this attempt already.
                        Ok(_) | Err(Error::UnknownAttempt) => Ok(()),
                        Err(error) => Err(error),
                    }
                }
                None => Ok(()),
            }
        }
    }
}

fn run(
    config: &Config,
    policy: Policy,
    workers: usize,
    keys: usize,
    kind: Kind,
    length: StdDuration,
) -> Totals {
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..workers)
        .map(|worker| {
            let (config, stop) = (config.clone(), stop.clone());
            thread::spawn(move || {
                let mut totals = Totals {
                    attempts: 0,
                    conflicts: 0,
                    errors: 0,
                };
                let Ok(mut store) = Store::open(config, policy) else {
                    totals.errors = 1;
                    return totals;
                };
                let mut index = worker;
                while !stop.load(Ordering::Relaxed) {
                    let user = format!("user{}", index % keys);
                    index += workers;
                    match attempt(&mut store, &user, kind) {
                        Ok(()) => totals.attempts += 1,
                        Err(_) => totals.errors += 1,
                    }
                }
                totals.conflicts = store.conflicts();
                totals
            })
        })
        .collect();
    thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    let mut sum = Totals {
        attempts: 0,
        conflicts: 0,
        errors: 0,
    };
    for thread in threads {
        if let Ok(totals) = thread.join() {
            sum.attempts += totals.attempts;
            sum.conflicts += totals.conflicts;
            sum.errors += totals.errors;
        }
    }
    sum
}

/// A load generator for account-lockout-redis: nodes (threads, one connection each)
/// record failures through Redis, all on one key, then spread over 10,000 keys; then the
/// same with the power-loss-safe attempt protocol (a begin and a finish per attempt).
/// Prints a Markdown table of attempts per second, conflicts retried and errors, deletes
/// its keys, and exits 1 if any attempt failed.
#[derive(Parser)]
#[command(name = "load", version)]
struct Args {
    /// The Redis server [default: $REDIS_URL, then redis://127.0.0.1:6379/]
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// How long each row runs, in seconds.
    #[arg(long, value_name = "N", default_value_t = 5)]
    seconds: u64,
    /// How many nodes (threads, one connection each) send events.
    #[arg(long, value_name = "N", default_value_t = 8)]
    workers: usize,
}

fn main() -> ExitCode {
    let Args {
        url,
        seconds,
        workers,
    } = Args::parse();
    let url = url.unwrap_or_else(|| {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
    });
    let policy = match (Rules {
        decay: Decay::QuietWindow(Duration::from_secs(60)),
        ..Rules::NEVER_LOCK
    })
    .build()
    {
        Ok(policy) => policy,
        Err(error) => {
            eprintln!("policy: {error}");
            return ExitCode::FAILURE;
        }
    };
    let run_id = now().as_millis();
    let length = StdDuration::from_secs(seconds);
    println!("{workers} workers, {seconds} s per row, against {url}");
    println!("| events | keys | attempts/s | attempts | conflicts retried | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut failed = false;
    for kind in [Kind::Failure, Kind::Protocol] {
        for keys in [1, KEYS_SPREAD] {
            let name = if kind == Kind::Failure {
                "failure"
            } else {
                "protocol"
            };
            let config =
                Config::new(url.as_str()).with_prefix(format!("load:{run_id}:{name}:{keys}:"));
            let start = Clock::now();
            let totals = run(&config, policy, workers, keys, kind, length);
            let elapsed = start.elapsed().as_secs_f64();
            println!(
                "| {name} | {keys} | {:.0} | {} | {} | {} |",
                totals.attempts as f64 / elapsed,
                totals.attempts,
                totals.conflicts,
                totals.errors
            );
            failed |= totals.errors > 0 || totals.attempts == 0;
            // Delete the keys rather than leave them to their TTL.
            if let Ok(mut store) = Store::<0, 0>::open(config, policy) {
                for key in 0..keys {
                    let _ = store.forget(&format!("user{key}"));
                }
            }
        }
    }
    if failed {
        eprintln!("some attempts failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
