//! A redis-server that dies or stalls under load: each test starts its own on a free
//! port (redis-server must be installed; `bash .ci/redis` installs it).
// Test code: the workspace's panic-free lints (all restriction lints) do not apply.
#![allow(clippy::restriction)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant as Clock};

use account_lockout::{Account, Decision, Policy, Rejection};
use account_lockout_store::blocking::Store;
use account_lockout_store::{Config, Error, FailMode};

use common::{OwnServer, at, pingone, prefix};

/// The test's own prefix, and 200 ms for each call to the server.
fn fast_config(test: &str) -> Config {
    let mut config = Config::default().with_prefix(prefix(test));
    config.response_timeout = Duration::from_millis(200);
    config
}

/// A server of the test's own and a store on it (`None`: redis-server is missing).
fn own_store(test: &str, policy: Policy) -> Option<(OwnServer, Store)> {
    let server = OwnServer::start(test)?;
    let store = Store::open(&server.url(), fast_config(test), policy).unwrap();
    Some((server, store))
}

#[derive(Default)]
struct Tally {
    written: AtomicU32,
    /// Errors after which the failure may or may not have been recorded.
    maybe_written: AtomicU32,
    /// Errors that certainly wrote nothing.
    not_written: AtomicU32,
}

#[test]
fn a_killed_server_gives_typed_errors_and_loses_no_acknowledged_failure() {
    let Some(mut server) = OwnServer::start("kill") else {
        return;
    };
    let url = server.url();
    let config = fast_config("kill");
    let policy = pingone(1_000_000, Some(900));
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (url, config) = (url.clone(), config.clone());
            let (tally, stop) = (tally.clone(), stop.clone());
            thread::spawn(move || {
                let store: Store = Store::open(&url, config, policy).unwrap();
                let mut i = 0_i64;
                while !stop.load(Ordering::SeqCst) {
                    i += 1;
                    match store.failure("mallory", at(i * 4 + worker), None) {
                        Ok(_) => {
                            tally.written.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(error @ (Error::Connection { .. } | Error::Timeout { .. })) => {
                            assert!(error.is_store_failure());
                            assert!(!error.allows_attempt(FailMode::Closed));
                            let counter = if error.maybe_written() {
                                &tally.maybe_written
                            } else {
                                &tally.not_written
                            };
                            counter.fetch_add(1, Ordering::SeqCst);
                            thread::sleep(Duration::from_millis(2));
                        }
                        Err(error @ Error::Server { .. })
                            if common::redis_kind(&error)
                                == Some(redis::ErrorKind::BusyLoadingError) =>
                        {
                            // Restarted, still loading its file: nothing was written.
                            tally.not_written.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(error) => panic!("unexpected error: {error:?}"),
                    }
                }
            })
        })
        .collect();

    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let start = Clock::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited for {what}"
            );
            thread::sleep(Duration::from_millis(1));
        }
    };
    wait_for("300 writes", &|| {
        tally.written.load(Ordering::SeqCst) >= 300
    });
    server.kill();
    let written_before = tally.written.load(Ordering::SeqCst);
    // Each event's first call is its compare-and-set (on the store's guess of the stored
    // bytes), so nearly every error of the outage says the write may have happened.
    let errors =
        || tally.not_written.load(Ordering::SeqCst) + tally.maybe_written.load(Ordering::SeqCst);
    wait_for("errors", &|| errors() >= 40);
    server.restart();
    wait_for("writes after the restart", &|| {
        tally.written.load(Ordering::SeqCst) >= written_before + 300
    });
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.join().expect("a worker panicked");
    }

    let written = tally.written.load(Ordering::SeqCst);
    let maybe = tally.maybe_written.load(Ordering::SeqCst);
    let errors = maybe + tally.not_written.load(Ordering::SeqCst);
    eprintln!("{written} failures written, {errors} errors ({maybe} maybe written)");
    assert!(errors >= 40);

    // The state decodes, and holds every acknowledged failure and nothing that was not
    // attempted: at most the writes whose acknowledgement was lost come on top.
    let store: Store = Store::open(&url, config, policy).unwrap();
    let account: Account = store.load("mallory").unwrap().unwrap();
    let count = account.failure_count(&policy, account.last_seen());
    assert!(
        count >= written && count <= written + maybe,
        "count {count}, written {written}, maybe written {maybe}"
    );
    assert_eq!(account.consecutive_failures(), count);
}

#[test]
fn a_stalled_server_times_out_and_the_store_recovers() {
    let Some(server) = OwnServer::start("stall") else {
        return;
    };
    let config = fast_config("stall");
    let policy = pingone(3, Some(900));
    let store: Store = Store::open(&server.url(), config, policy).unwrap();
    let _ = store.failure("oscar", at(0), None).unwrap();

    server.signal("STOP");
    let start = Clock::now();
    let error = store.failure("oscar", at(1), None).unwrap_err();
    let waited = start.elapsed();
    // The event's first call is its compare-and-set, on the store's guess of the stored
    // bytes: sent, then unanswered, so it may have been written.
    assert!(
        matches!(
            error,
            Error::Timeout {
                maybe_written: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
    assert!(error.allows_attempt(FailMode::Open));
    assert!(!error.allows_attempt(FailMode::Closed));
    // A read times out too, having written nothing.
    let start = Clock::now();
    let error = store.check("oscar", at(2)).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                maybe_written: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "waited {:?}",
        start.elapsed()
    );

    server.signal("CONT");
    // The server runs what it was sent while stopped: the unanswered compare-and-set,
    // which matched, so it was written after all (as `maybe_written` warned). The store
    // carries on on the same connection.
    assert_eq!(store.failure_count("oscar", at(3)).unwrap(), 2);
    let _ = store.failure("oscar", at(4), None).unwrap();
    assert_eq!(store.failure_count("oscar", at(5)).unwrap(), 3);
}

#[test]
fn a_server_that_may_evict_keys_is_refused() {
    let Some(server) = OwnServer::start_with("evict", &["--maxmemory-policy", "allkeys-lru"])
    else {
        return;
    };
    let config = fast_config("evict");
    let result: Result<Store, Error> =
        Store::open(&server.url(), config.clone(), pingone(3, Some(900)));
    match result {
        Err(Error::Config(message)) => assert_eq!(
            message,
            "the server's maxmemory-policy is allkeys-lru: under memory pressure it may \
             evict an account's key and forget its failures and lock; set \
             maxmemory-policy to noeviction on a server of the lockout's own"
        ),
        other => panic!("{:?}", other.err()),
    }

    // Set to noeviction, the same server is accepted.
    common::config_set(&server.url(), "maxmemory-policy", "noeviction");
    let store: Store = Store::open(&server.url(), config, pingone(3, Some(900))).unwrap();
    let _ = store.failure("peggy", at(0), None).unwrap();
    assert_eq!(store.failure_count("peggy", at(1)).unwrap(), 1);
}

#[test]
fn a_server_that_refuses_config_is_accepted_unchecked() {
    // Managed services often rename or forbid CONFIG.
    let Some(server) = OwnServer::start_with("noconfig", &["--rename-command", "CONFIG", ""])
    else {
        return;
    };
    let store: Store = Store::open(
        &server.url(),
        fast_config("noconfig"),
        pingone(3, Some(900)),
    )
    .unwrap();
    let _ = store.failure("quentin", at(0), None).unwrap();
    assert_eq!(store.failure_count("quentin", at(1)).unwrap(), 1);
}

#[test]
fn a_compare_and_set_left_unanswered_may_have_been_written() {
    let Some((server, store)) = own_store("pause", pingone(1_000, Some(900))) else {
        return;
    };
    let _ = store.failure("rita", at(0), None).unwrap();

    // Writes and scripts wait, reads go on: the event reads, then its compare-and-set
    // gets no answer within the response timeout.
    let mut redis = common::raw(&server.url());
    let paused: redis::RedisResult<()> = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(10_000)
        .arg("WRITE")
        .query(&mut redis);
    if let Err(error) = paused {
        // CLIENT PAUSE ... WRITE needs Redis 6.2.
        eprintln!("note: {error}; skipping this test");
        return;
    }
    let error = store.failure("rita", at(1), None).unwrap_err();
    let _: () = redis::cmd("CLIENT")
        .arg("UNPAUSE")
        .query(&mut redis)
        .unwrap();
    assert!(
        matches!(
            error,
            Error::Timeout {
                maybe_written: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.maybe_written());
    assert!(!error.allows_attempt(FailMode::Closed));

    // Written or not, the state is whole and the store carries on.
    let count = store.failure_count("rita", at(2)).unwrap();
    eprintln!("{count} failures after the unanswered compare-and-set");
    assert!(count == 1 || count == 2, "count {count}");
    let _ = store.failure("rita", at(3), None).unwrap();
    assert_eq!(store.failure_count("rita", at(4)).unwrap(), count + 1);
}

#[test]
fn a_rejection_that_was_read_stands_when_the_write_fails() {
    let Some((server, store)) = own_store("rejection", pingone(3, Some(900))) else {
        return;
    };
    // Locked by the policy at 2 ms, until 900,002 ms.
    for i in 0..3 {
        let _ = store.failure("sam", at(i), None).unwrap();
    }
    // An attempt in flight when an administrator locks: it stays in flight (behaviour §7.6),
    // and the next begin is rejected.
    let token = store.begin_attempt("tina", at(0)).unwrap().token;
    assert!(token.is_some());
    let _ = store.lock("tina", at(1), None).unwrap();

    // From now on every write that may use memory is refused (`OOM command not
    // allowed`), while reads and deletions go on.
    common::config_set(&server.url(), "maxmemory", "1");
    // A write is refused now: a failure on an unlocked account is an error.
    let error = store.failure("ursula", at(5), None).unwrap_err();
    assert!(common::is_out_of_memory(&error), "{error:?}");

    // The locked accounts' attempts are rejections, not errors: no fail mode lets them in.
    let outcome = store.failure("sam", at(10), None).unwrap();
    assert_eq!(
        outcome.decision(),
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: Some(at(900_002)),
        }))
    );
    let start = store.begin_attempt("sam", at(11)).unwrap();
    assert_eq!(start.token, None);
    let start = store.begin_attempt("tina", at(12)).unwrap();
    assert_eq!(start.token, None);
    assert_eq!(
        start.outcome.decision(),
        Some(Decision::Rejected(Rejection::Locked { unlock_at: None }))
    );
    // Tina's earlier attempt is still in flight, with its share of the budget.
    let tina: Account = store.load("tina").unwrap().unwrap();
    assert_eq!(
        tina.attempt_tokens()
            .map(|t| t.started())
            .collect::<Vec<_>>(),
        [at(0)]
    );
}
