//! A spray of made-up user names at a server with little memory (`REDIS_SMALL_URL`:
//! `bash .ci/redis` starts one with `--maxmemory 16mb --maxmemory-policy noeviction`;
//! the test flushes it first).
// Test code: the workspace's panic-free lints (all restriction lints) do not apply.
#![allow(clippy::restriction)]

mod common;

use std::time::Instant as Clock;

use account_lockout::{Decision, Policy, Rejection};
use account_lockout_store::Config;
use account_lockout_store::blocking::Store;

use common::{
    at, config, count_keys, is_out_of_memory, memory_info, on_nodes, pingone, raw, small_redis_url,
};

const NAMES: usize = 200_000;
const THREADS: usize = 4;

/// What the spray got back.
#[derive(Default)]
struct Sprayed {
    allowed: usize,
    rejected: usize,
    out_of_memory: usize,
}

/// `NAMES` distinct made-up names, one failure each, from `THREADS` nodes at once;
/// `unknown` says whether the host marks them unknown ([`Store::unknown_failure`]) or
/// records them as users ([`Store::failure`]). Any error but out of memory fails the test.
fn spray(url: &str, config: &Config, policy: Policy, tag: &str, unknown: bool) -> Sprayed {
    let results = on_nodes(THREADS, url, config, policy, |store, node| {
        let mut sprayed = Sprayed::default();
        for i in 0..NAMES / THREADS {
            let name = format!("{tag}{node}-{i}");
            let now = at(10_000 + i as i64);
            let result = if unknown {
                store.unknown_failure(&name, now)
            } else {
                store.failure(&name, now, None)
            };
            match result {
                Ok(outcome) if outcome.decision() == Some(Decision::Allowed) => {
                    sprayed.allowed += 1
                }
                Ok(_) => sprayed.rejected += 1,
                Err(error) if is_out_of_memory(&error) => sprayed.out_of_memory += 1,
                Err(error) => panic!("{name}: {error}"),
            }
        }
        sprayed
    });
    let mut total = Sprayed::default();
    for sprayed in results {
        total.allowed += sprayed.allowed;
        total.rejected += sprayed.rejected;
        total.out_of_memory += sprayed.out_of_memory;
    }
    total
}

#[test]
fn a_spray_of_made_up_names_neither_unlocks_a_victim_nor_locks_out_a_user() {
    let Some(url) = small_redis_url() else { return };
    let mut redis = raw(&url);
    let _: () = redis::cmd("FLUSHALL").query(&mut redis).unwrap();
    assert_eq!(memory_info(&mut redis, "maxmemory"), 16 * 1024 * 1024);
    let config = config("spray");
    // A count that never decays: before the retention cap, every failure on a made-up
    // name left a key for ever.
    let policy = pingone(5, Some(900));
    let store: Store = Store::open(&url, config.clone(), policy).unwrap();
    for i in 0..5 {
        let _ = store.failure("victim", at(i), None).unwrap();
    }
    let _ = store.failure("carol", at(0), None).unwrap();
    let locked = Some(Decision::Rejected(Rejection::Locked {
        unlock_at: Some(at(4 + 900_000)),
    }));
    let base = memory_info(&mut redis, "used_memory");

    // Names the host marks unknown share 4,096 buckets: memory stays small.
    let started = Clock::now();
    let marked = spray(&url, &config, policy, "marked", true);
    let buckets = count_keys(&mut redis, &config.unknown_prefix);
    let used = memory_info(&mut redis, "used_memory");
    eprintln!(
        "marked spray: {NAMES} names in {:?}: {} allowed, {} rejected, {buckets} bucket keys, \
         used_memory {base} -> {used} bytes",
        started.elapsed(),
        marked.allowed,
        marked.rejected
    );
    assert_eq!(marked.out_of_memory, 0);
    assert_eq!(buckets, 4_096);
    // Five failures allowed per bucket (the fifth locks it), the rest rejected.
    assert_eq!(marked.allowed, 5 * 4_096);
    assert_eq!(marked.rejected, NAMES - 5 * 4_096);
    assert!(used - base < 2 * 1024 * 1024, "{} bytes", used - base);

    // Names the host does not mark: a key each, until memory is full.
    let started = Clock::now();
    let unmarked = spray(&url, &config, policy, "unmarked", false);
    let keys = count_keys(&mut redis, &config.key_prefix);
    let full = memory_info(&mut redis, "used_memory");
    eprintln!(
        "unmarked spray: {NAMES} names in {:?}: {} allowed, {} out of memory, {keys} user \
         keys, used_memory {used} -> {full} bytes ({} bytes a key)",
        started.elapsed(),
        unmarked.allowed,
        unmarked.out_of_memory,
        (full - used) / (keys as u64 - 2)
    );
    assert!(
        unmarked.out_of_memory > 0,
        "the spray did not fill the memory"
    );
    assert_eq!(unmarked.allowed + unmarked.out_of_memory, NAMES);
    assert_eq!(keys, unmarked.allowed + 2);

    // Memory is full (the spray's connections, closed since, may have freed a little:
    // failures on more names take it back): a new failure cannot be written...
    let refused =
        (0..10_000).find(
            |i| match store.failure(&format!("filler{i}"), at(500_000), None) {
                Ok(_) => false,
                Err(error) if is_out_of_memory(&error) => true,
                Err(error) => panic!("{error}"),
            },
        );
    assert!(refused.is_some(), "memory is not full");
    // ... but the locked victim's attempts are rejections, not errors: no fail mode lets
    // them through.
    assert_eq!(
        store
            .failure("victim", at(500_000), None)
            .unwrap()
            .decision(),
        locked
    );
    let start = store.begin_attempt("victim", at(500_000)).unwrap();
    assert_eq!((start.outcome.decision(), start.token), (locked, None));
    assert_eq!(
        store.success("victim", at(500_000)).unwrap().decision(),
        locked
    );
    // Known users log in: dave, who has no key, needs no write; a success clears carol's
    // failure (a deletion, which a full server allows).
    assert_eq!(
        store.success("dave", at(500_000)).unwrap().decision(),
        Some(Decision::Allowed)
    );
    assert_eq!(
        store.success("carol", at(500_000)).unwrap().decision(),
        Some(Decision::Allowed)
    );
    assert_eq!(store.failure_count("carol", at(500_001)).unwrap(), 0);
    assert!(store.load("carol").unwrap().is_none());
    let _: () = redis::cmd("FLUSHALL").query(&mut redis).unwrap();
}
