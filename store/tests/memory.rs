//! The store's own logic on the reference backend (`conformance::MemoryBackend`), with no
//! server: the conformance suite, the round trips of each kind of event, and decisions
//! that never rest on a guess alone.
#![allow(clippy::restriction)]

mod common;

use account_lockout::harness::pingone;
use account_lockout::{Decision, Verdict};
use account_lockout_store::conformance::{Calls, Counted, MemoryBackend, Suite};
use account_lockout_store::{Config, Error, FailMode, Store};
use common::at;

/// The reference backend, with its calls counted.
type Backend = Counted<MemoryBackend>;

fn backend() -> Backend {
    Counted::new(MemoryBackend::new())
}

fn node(backend: &Backend, config: &Config) -> Store<Backend> {
    Store::new(backend.clone(), config.clone(), pingone(3, Some(900))).unwrap()
}

/// The calls `backend` answered while `work` ran.
async fn calls_of<F: Future>(backend: &Backend, work: F) -> (F::Output, Calls) {
    let before = backend.calls();
    let output = work.await;
    (output, backend.calls().since(before))
}

const ONE_WRITE: Calls = Calls {
    reads: 0,
    compare_and_sets: 1,
    deletes: 0,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reference_backend_passes_every_check() {
    Suite::new(MemoryBackend::new(), "conformance:")
        .run_all()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failure_costs_one_compare_and_set_and_no_read() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    for (i, expected) in [(0, 1), (1, 2)] {
        let (outcome, calls) = calls_of(&backend, store.failure("alice", at(i), None)).await;
        assert_eq!(outcome.unwrap().transitions().counted(), Some(expected));
        assert_eq!(calls, ONE_WRITE, "failure {expected}");
    }
}

#[tokio::test]
async fn without_a_cache_every_event_reads_first() {
    let backend = backend();
    let config = Config {
        cache_entries: 0,
        ..Config::default()
    };
    let store = node(&backend, &config);
    let (outcome, calls) = calls_of(&backend, store.failure("alice", at(0), None)).await;
    assert_eq!(outcome.unwrap().transitions().counted(), Some(1));
    let read_and_write = Calls {
        reads: 1,
        ..ONE_WRITE
    };
    assert_eq!(calls, read_and_write);
}

#[tokio::test]
async fn two_nodes_taking_turns_cost_two_round_trips_and_count_every_failure() {
    let backend = backend();
    let (a, b) = (
        node(&backend, &Config::default()),
        node(&backend, &Config::default()),
    );
    let two_tries = Calls {
        compare_and_sets: 2,
        ..ONE_WRITE
    };
    let (first, calls) = calls_of(&backend, a.failure("alice", at(0), None)).await;
    assert_eq!(first.unwrap().transitions().counted(), Some(1));
    assert_eq!(calls, ONE_WRITE);
    // B guesses "absent"; its lost compare-and-set returns A's bytes.
    let (second, calls) = calls_of(&backend, b.failure("alice", at(1), None)).await;
    assert_eq!(second.unwrap().transitions().counted(), Some(2));
    assert_eq!(calls, two_tries);
    // A's guess is stale now: the same.
    let (third, calls) = calls_of(&backend, a.failure("alice", at(2), None)).await;
    let third = third.unwrap();
    assert_eq!(third.transitions().counted(), Some(3));
    assert_eq!(third.decision(), Some(Decision::Allowed));
    assert_eq!(calls, two_tries);
    // A guessed-out conflict is not another node's contention.
    assert_eq!((a.conflicts(), b.conflicts()), (0, 0));
}

#[tokio::test]
async fn a_stale_guess_of_an_open_account_does_not_let_an_attempt_through() {
    let backend = backend();
    let (a, b) = (
        node(&backend, &Config::default()),
        node(&backend, &Config::default()),
    );
    let _ = a.failure("alice", at(0), None).await.unwrap();
    let _ = b.lock("alice", at(1), None).await.unwrap();
    // A still remembers one failure and an open account.
    let (outcome, calls) = calls_of(&backend, a.failure("alice", at(2), None)).await;
    assert!(matches!(
        outcome.unwrap().decision(),
        Some(Decision::Rejected(_))
    ));
    // The lost compare-and-set returned B's lock; the rejection writes nothing.
    assert_eq!(calls, ONE_WRITE);
    let started = a.begin_attempt("alice", at(3)).await.unwrap();
    assert_eq!(started.token, None);
}

#[tokio::test]
async fn a_guessed_rejection_is_confirmed_by_a_read_and_written_nowhere() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    let _ = store.lock("alice", at(0), None).await.unwrap();
    let (outcome, calls) = calls_of(&backend, store.failure("alice", at(1), None)).await;
    assert!(matches!(
        outcome.unwrap().decision(),
        Some(Decision::Rejected(_))
    ));
    let one_read = Calls {
        reads: 1,
        compare_and_sets: 0,
        deletes: 0,
    };
    assert_eq!(calls, one_read);
}

#[tokio::test]
async fn a_locked_account_stays_locked_on_a_full_database_in_both_fail_modes() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    let _ = store.lock("alice", at(0), None).await.unwrap();
    backend.inner().refuse_writes(true);
    // A node that never saw alice, and the node that locked her.
    let stranger = node(&backend, &Config::default());
    for node in [&stranger, &store] {
        let outcome = node.failure("alice", at(1), None).await.unwrap();
        assert!(matches!(outcome.decision(), Some(Decision::Rejected(_))));
        let started = node.begin_attempt("alice", at(2)).await.unwrap();
        assert_eq!(started.token, None);
    }
    // An open account's failure cannot be counted: the fail mode decides.
    let error = store.failure("bob", at(3), None).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Server {
                maybe_written: false,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.allows_attempt(FailMode::Open));
    assert!(!error.allows_attempt(FailMode::Closed));
}

#[tokio::test]
async fn an_attempt_begun_on_one_node_is_finished_on_another_that_never_saw_it() {
    let backend = backend();
    let (a, b) = (
        node(&backend, &Config::default()),
        node(&backend, &Config::default()),
    );
    let token = a
        .begin_attempt("alice", at(0))
        .await
        .unwrap()
        .token
        .unwrap();
    // B's guess ("absent") knows no attempt: the refusal is checked against the database.
    let outcome = b
        .finish_attempt("alice", at(1), token, Verdict::Failure { credential: None })
        .await
        .unwrap();
    assert_eq!(outcome.transitions().counted(), Some(1));
}

#[tokio::test]
async fn a_corrected_guess_costs_no_attempt_of_the_bound() {
    let backend = backend();
    let config = Config {
        max_attempts: 1,
        ..Config::default()
    };
    let (a, b) = (node(&backend, &config), node(&backend, &config));
    let _ = a.failure("alice", at(0), None).await.unwrap();
    let outcome = b.failure("alice", at(1), None).await.unwrap();
    assert_eq!(outcome.transitions().counted(), Some(2));
}

#[tokio::test]
async fn a_value_that_does_not_decode_is_corrupt_whoever_guessed_what() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    let key = store.key("alice");
    backend.inner().insert(&key, b"not an account");
    let error = store.failure("alice", at(0), None).await.unwrap_err();
    assert!(
        matches!(&error, Error::Corrupt { key: k, .. } if *k == key),
        "{error}"
    );
    assert!(!error.allows_attempt(FailMode::Open));
    // Still corrupt on the next event, whose guess is now the corrupt bytes.
    let again = store.failure("alice", at(1), None).await.unwrap_err();
    assert!(matches!(again, Error::Corrupt { .. }), "{again}");
    assert!(store.forget("alice").await.unwrap());
    assert!(store.failure("alice", at(2), None).await.is_ok());
}

#[tokio::test]
async fn a_lock_this_node_saw_stands_while_the_database_is_down() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    let _ = store.lock("alice", at(0), None).await.unwrap();
    let stranger = node(&backend, &Config::default());
    backend.inner().set_down(true);
    // The node that saw the lock rejects, whatever the fail mode: no error to fail open on.
    let outcome = store.failure("alice", at(1), None).await.unwrap();
    assert!(matches!(outcome.decision(), Some(Decision::Rejected(_))));
    let started = store.begin_attempt("alice", at(2)).await.unwrap();
    assert_eq!(started.token, None);
    // A node that never saw it can only report the outage: the fail mode decides.
    let error = stranger.failure("alice", at(3), None).await.unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error}");
    assert!(error.allows_attempt(FailMode::Open));
    // An open account's attempt on the node that saw it: the outage too.
    let error = store.failure("bob", at(4), None).await.unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error}");
    backend.inner().set_down(false);
    let outcome = store.failure("alice", at(5), None).await.unwrap();
    assert!(matches!(outcome.decision(), Some(Decision::Rejected(_))));
}

#[tokio::test]
async fn a_rejection_that_counts_a_timed_out_attempt_is_written_and_reported_once() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    for i in 0..2 {
        let _ = store.failure("alice", at(i), None).await.unwrap();
    }
    // An attempt left in flight: the node that began it crashed.
    let _token = store
        .begin_attempt("alice", at(10))
        .await
        .unwrap()
        .token
        .unwrap();
    // 300 s later it times out: the next attempt counts it as the 3rd failure, which
    // locks, and is rejected.
    let later = at(10 + 301_000);
    let first = store.begin_attempt("alice", later).await.unwrap();
    assert_eq!(first.token, None);
    assert_eq!(first.outcome.transitions().counted(), Some(3));
    assert!(
        first
            .outcome
            .transitions()
            .iter()
            .any(|transition| matches!(transition, account_lockout::Transition::Locked { .. }))
    );
    // Written: the next attempt, on another node too, finds the lock and reports nothing new.
    let other = node(&backend, &Config::default());
    for store in [&store, &other] {
        let again = store
            .begin_attempt("alice", at(10 + 302_000))
            .await
            .unwrap();
        assert_eq!(again.token, None);
        assert!(
            again.outcome.transitions().is_empty(),
            "{:?}",
            again.outcome
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_queue_for_one_key_that_outlasts_the_deadline_is_a_conflict() {
    let backend = backend();
    backend
        .inner()
        .set_latency(std::time::Duration::from_millis(50));
    let config = Config {
        event_deadline: std::time::Duration::from_millis(20),
        ..Config::default()
    };
    let store: Store<Backend> =
        Store::new(backend.clone(), config, pingone(1_000, Some(900))).unwrap();
    // 8 events at once on one key, each call 50 ms away, 20 ms allowed per event: one
    // runs, and the others give up waiting for its turn, as contention, which refuses
    // in both modes and writes nothing.
    let events: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.failure("alice", at(i), None).await })
        })
        .collect();
    let mut acknowledged = 0;
    for event in events {
        match event.await.unwrap() {
            Ok(outcome) => {
                assert_eq!(outcome.transitions().counted(), Some(1));
                acknowledged += 1;
            }
            Err(error) => {
                assert!(
                    matches!(error, Error::Conflict { attempts: 0, .. }),
                    "{error}"
                );
                assert!(!error.allows_attempt(FailMode::Open));
            }
        }
    }
    assert_eq!(acknowledged, 1);
    assert_eq!(store.failure_count("alice", at(100)).await.unwrap(), 1);
}

#[tokio::test]
async fn every_read_reports_an_outage_as_a_typed_error_that_wrote_nothing() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    let _ = store.failure("alice", at(0), None).await.unwrap();
    backend.inner().set_down(true);
    let errors = [
        store.check("alice", at(1)).await.map(|_| ()).unwrap_err(),
        store.view("alice", at(1)).await.map(|_| ()).unwrap_err(),
        store
            .failure_count("alice", at(1))
            .await
            .map(|_| ())
            .unwrap_err(),
        store
            .failures_remaining("alice", at(1))
            .await
            .map(|_| ())
            .unwrap_err(),
        store.load("alice").await.map(|_| ()).unwrap_err(),
        store.forget("alice").await.map(|_| ()).unwrap_err(),
    ];
    for error in errors {
        assert!(
            matches!(
                error,
                Error::Connection {
                    maybe_written: false,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.allows_attempt(FailMode::Open));
        assert!(!error.allows_attempt(FailMode::Closed));
    }
    backend.inner().set_down(false);
    // The outage changed nothing: one failure, two left before the lock.
    assert_eq!(store.failure_count("alice", at(2)).await.unwrap(), 1);
    assert_eq!(
        store.failures_remaining("alice", at(2)).await.unwrap(),
        Some(2)
    );
}

#[tokio::test]
async fn a_very_long_name_is_counted_exactly_but_not_remembered() {
    let backend = backend();
    let store = node(&backend, &Config::default());
    let long = "m".repeat(100_000);
    for expected in 1..=2 {
        let outcome = store.failure(&long, at(expected), None).await.unwrap();
        assert_eq!(outcome.transitions().counted(), Some(expected as u32));
    }
    // Each event guessed "absent" and was corrected: its bytes are never cached.
    assert_eq!(store.cached(), 0);
    assert_eq!(store.failure_count(&long, at(10)).await.unwrap(), 2);
}

#[tokio::test]
async fn an_abandoned_attempt_leaves_flight_uncounted_on_any_node() {
    let backend = backend();
    let (a, b) = (
        node(&backend, &Config::default()),
        node(&backend, &Config::default()),
    );
    let token = a
        .begin_attempt("alice", at(0))
        .await
        .unwrap()
        .token
        .unwrap();
    let outcome = b.abandon_attempt("alice", at(1), token).await.unwrap();
    assert_eq!(outcome.decision(), Some(Decision::Allowed));
    assert_eq!(outcome.transitions().counted(), None);
    assert_eq!(a.failure_count("alice", at(2)).await.unwrap(), 0);
    // Nothing in flight, nothing counted: the account is dormant and its key gone.
    assert_eq!(a.load("alice").await.unwrap(), None);
    // Out of flight once: a second abandon (or a finish) knows no such attempt.
    assert!(matches!(
        a.abandon_attempt("alice", at(3), token).await,
        Err(Error::UnknownAttempt)
    ));
}

#[tokio::test]
async fn a_modification_runs_under_the_compare_and_set_and_a_refusal_writes_nothing() {
    let backend = backend();
    let (a, b) = (
        node(&backend, &Config::default()),
        node(&backend, &Config::default()),
    );
    for i in 0..3 {
        let _ = a.failure("alice", at(i), None).await.unwrap();
    }
    // B never saw alice: its guess ("absent") loses, and the change runs again on the lock.
    let mut runs = 0;
    let outcome = b
        .modify("alice", at(10), |account, policy, now| {
            runs += 1;
            Ok(account.unlock(policy, now))
        })
        .await
        .unwrap();
    assert_eq!(runs, 2);
    assert_eq!(outcome.decision(), None);
    assert!(a.check("alice", at(11)).await.unwrap().is_allowed());
    let _ = a.failure("alice", at(12), None).await.unwrap();
    let refused = b
        .modify("alice", at(13), |_, _, _| {
            Err(account_lockout::OperationError::Lock(
                account_lockout::LockError::UnlockAtNotInFuture,
            ))
        })
        .await;
    assert!(matches!(refused, Err(Error::Refused(_))));
    assert_eq!(a.failure_count("alice", at(14)).await.unwrap(), 1);
}
