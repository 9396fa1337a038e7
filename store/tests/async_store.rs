//! The async store on the redis-server at `REDIS_URL` (`bash .ci/redis` starts one): one
//! store shared by many tasks, several stores (nodes) on one key, and the round trips each
//! event costs, counted by a backend that wraps `RedisBackend`.
// Test code: the workspace's panic-free lints (all restriction lints) do not apply.
#![allow(clippy::restriction)]

mod common;

use account_lockout::{Decision, Outcome, Policy, Rejection};
use account_lockout_store::conformance::{Calls, Counted};
use account_lockout_store::{Config, RedisBackend, Store};

use common::{at, pingone, prefix, redis_url};

/// `RedisBackend`, with its calls counted (shared by the clones of one store).
type Counting = Counted<RedisBackend>;

/// A node: a store of its own (so a cache of its own) on a connection of its own to the
/// server at `url`, with its calls counted.
async fn node(url: &str, config: &Config, policy: Policy) -> Store<Counting> {
    let backend = Counted::new(RedisBackend::connect(url).await.unwrap());
    Store::new(backend, config.clone(), policy).unwrap()
}

/// What `store`'s backend was asked for while `event` ran (nothing else may use that
/// store meanwhile).
async fn costs<T>(store: &Store<Counting>, event: impl Future<Output = T>) -> (T, Calls) {
    let before = store.backend().calls();
    let output = event.await;
    (output, store.backend().calls().since(before))
}

/// The count a failure's outcome reports.
fn counted(outcome: &Outcome) -> u32 {
    outcome
        .transitions()
        .counted()
        .unwrap_or_else(|| panic!("not counted: {outcome:?}"))
}

const ONE_WRITE: Calls = Calls {
    reads: 0,
    compare_and_sets: 1,
    deletes: 0,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_store_shared_by_64_tasks_counts_every_failure() {
    let Some(url) = redis_url() else { return };
    const TASKS: usize = 64;
    const FAILURES: usize = 10;
    // The default bounds: one store's tasks take turns on a key, so they never race
    // one another and no event runs out of attempts.
    let config = Config::default().with_prefix(prefix("tasks"));
    let policy = pingone(1_000, Some(900));
    let store = node(&url, &config, policy).await;

    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for i in 0..FAILURES {
                    let now = at((i * TASKS + task) as i64);
                    outcomes.push(store.failure("alice", now, None).await.unwrap());
                }
                outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.unwrap());
    }
    eprintln!(
        "{} failures, {} compare-and-sets lost, {:?}",
        outcomes.len(),
        store.conflicts(),
        store.backend().calls()
    );

    assert_eq!(outcomes.len(), 640);
    // Taking turns, each event starts from the bytes the previous one wrote: one
    // compare-and-set each, none lost, no read.
    assert_eq!(store.conflicts(), 0);
    assert_eq!(
        store.backend().calls(),
        Calls {
            reads: 0,
            compare_and_sets: 640,
            deletes: 0,
        }
    );
    assert!(outcomes.iter().all(|outcome| outcome.is_allowed()));
    // Each failure saw the count the previous one left: every value 1..=640 exactly once.
    let mut counts: Vec<u32> = outcomes.iter().map(counted).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=640).collect::<Vec<u32>>());
    assert_eq!(store.failure_count("alice", at(1_000)).await.unwrap(), 640);
    // A store of another node agrees.
    let other = node(&url, &config, policy).await;
    assert_eq!(other.failure_count("alice", at(1_000)).await.unwrap(), 640);
}

#[tokio::test]
async fn a_failure_on_one_node_costs_one_compare_and_set_and_no_read() {
    let Some(url) = redis_url() else { return };
    let config = Config::default().with_prefix(prefix("steady"));
    let store = node(&url, &config, pingone(1_000, Some(900))).await;
    for i in 0..100 {
        let (outcome, calls) = costs(&store, store.failure("bob", at(i), None)).await;
        assert_eq!(counted(&outcome.unwrap()), i as u32 + 1);
        assert_eq!(calls, ONE_WRITE, "failure {}", i + 1);
    }
    assert_eq!(store.conflicts(), 0);
    assert_eq!(store.cached(), 1);
}

#[tokio::test]
async fn two_nodes_taking_turns_stay_exact_in_at_most_two_round_trips() {
    let Some(url) = redis_url() else { return };
    let config = Config::default().with_prefix(prefix("turns"));
    let policy = pingone(1_000, Some(900));
    let (a, b) = (
        node(&url, &config, policy).await,
        node(&url, &config, policy).await,
    );
    let (first, calls) = costs(&a, a.failure("carol", at(0), None)).await;
    assert_eq!(counted(&first.unwrap()), 1);
    assert_eq!(calls, ONE_WRITE);
    for i in 1..200 {
        let node = if i % 2 == 0 { &a } else { &b };
        let (outcome, calls) = costs(node, node.failure("carol", at(i), None)).await;
        let outcome = outcome.unwrap();
        assert_eq!(counted(&outcome), i as u32 + 1);
        assert!(outcome.is_allowed());
        // The guess is the node's own latest write, which the other node has replaced:
        // the lost compare-and-set returns the current bytes, and the retry wins.
        assert!(
            calls.reads + calls.compare_and_sets <= 2,
            "failure {}: {calls:?}",
            i + 1
        );
    }
    assert_eq!(a.failure_count("carol", at(1_000)).await.unwrap(), 200);
    assert_eq!(b.failure_count("carol", at(1_000)).await.unwrap(), 200);
    // A guess that missed is not another node's contention.
    assert_eq!((a.conflicts(), b.conflicts()), (0, 0));
}

#[tokio::test]
async fn a_stale_guess_never_decides() {
    let Some(url) = redis_url() else { return };
    let config = Config::default().with_prefix(prefix("stale"));
    let policy = pingone(3, Some(900));
    let (a, b) = (
        node(&url, &config, policy).await,
        node(&url, &config, policy).await,
    );

    // A remembers dave with one failure, open; B locks him.
    let _ = a.failure("dave", at(0), None).await.unwrap();
    let _ = b.lock("dave", at(1), None).await.unwrap();
    // A's failure, tried on its stale guess, loses and is decided on B's lock.
    let (outcome, calls) = costs(&a, a.failure("dave", at(2), None)).await;
    assert_eq!(
        outcome.unwrap().decision(),
        Some(Decision::Rejected(Rejection::Locked { unlock_at: None }))
    );
    assert!(calls.reads + calls.compare_and_sets <= 2, "{calls:?}");
    let start = a.begin_attempt("dave", at(3)).await.unwrap();
    assert_eq!(start.token, None);
    assert!(!start.outcome.is_allowed());
    assert_eq!(b.failure_count("dave", at(4)).await.unwrap(), 1);

    // The other way round: A remembers erin locked; B unlocks her. A's guess rejects,
    // but the read that confirms it finds her open: the failure is allowed and counted.
    let _ = a.lock("erin", at(0), None).await.unwrap();
    let _ = b.unlock("erin", at(1)).await.unwrap();
    let outcome = a.failure("erin", at(2), None).await.unwrap();
    assert!(outcome.is_allowed(), "{outcome:?}");
    assert_eq!(counted(&outcome), 1);
    assert_eq!(b.failure_count("erin", at(3)).await.unwrap(), 1);
}

#[tokio::test]
async fn without_a_cache_every_event_reads_first() {
    let Some(url) = redis_url() else { return };
    let mut config = Config::default().with_prefix(prefix("nocache"));
    config.cache_entries = 0;
    let store = node(&url, &config, pingone(1_000, Some(900))).await;
    let read_and_write = Calls {
        reads: 1,
        compare_and_sets: 1,
        deletes: 0,
    };
    for i in 0..20 {
        let (outcome, calls) = costs(&store, store.failure("frank", at(i), None)).await;
        assert_eq!(counted(&outcome.unwrap()), i as u32 + 1);
        assert_eq!(calls, read_and_write, "failure {}", i + 1);
    }
    assert_eq!(store.cached(), 0);
    assert_eq!(store.conflicts(), 0);
}
