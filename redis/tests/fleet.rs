//! Several nodes (one store each, on its own thread) sharing accounts through the
//! redis-server at `REDIS_URL` (`bash .ci/redis` starts one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::thread;
use std::time::Duration;

use account_lockout::dialect::ActiveDirectory;
use account_lockout::{
    Account, Decision, Instant, Outcome, Policy, Rejection, Status, Transition, Verdict,
};
use account_lockout_redis::{Config, Error, FailMode, Store};

use common::{assert_ttl_fits, at, config, exists, pingone, pttl, raw, redis_url};

const WORKERS: usize = 8;
const FAILURES: usize = 500;

/// Runs `FAILURES` failures on `user` from each of `WORKERS` nodes at once; each node's
/// clock moves 1 ms per failure. Returns every outcome and the conflicts the nodes lost.
fn race(config: &Config, policy: Policy, user: &str) -> (Vec<Outcome>, u64) {
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let config = config.clone();
            let user = user.to_owned();
            thread::spawn(move || {
                let mut store: Store = Store::open(config, policy).unwrap();
                let outcomes: Vec<Outcome> = (0..FAILURES)
                    .map(|i| store.failure(&user, at(i as i64), None).unwrap())
                    .collect();
                (outcomes, store.conflicts())
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut conflicts = 0;
    for worker in workers {
        let (outcomes, lost) = worker.join().unwrap();
        all.extend(outcomes);
        conflicts += lost;
    }
    (all, conflicts)
}

/// The race tests' configuration: eight nodes on one key lose about two compare-and-sets
/// per event, and an unlucky event loses a few dozen in a row (a lottery among the
/// nodes), so the bound is raised well above that; the bound itself is tested below.
fn race_config(url: &str, test: &str) -> Config {
    let mut config = config(url, test);
    config.max_attempts = 1_000;
    config
}

#[test]
fn eight_nodes_lose_no_failure() {
    let Some(url) = redis_url() else { return };
    let config = race_config(&url, "count");
    let policy = pingone(1_000_000, Some(900));
    let (outcomes, conflicts) = race(&config, policy, "alice");
    eprintln!(
        "{} failures, {conflicts} compare-and-sets lost and retried",
        outcomes.len()
    );

    assert_eq!(outcomes.len(), 4_000);
    assert!(
        outcomes
            .iter()
            .all(|outcome| outcome.decision == Some(Decision::Allowed))
    );
    // Each failure saw the count the previous one left: every value 1..=4000 exactly once.
    let mut counts: Vec<u32> = outcomes
        .iter()
        .map(|outcome| match outcome.transitions.iter().next() {
            Some(Transition::Counted { failures }) => *failures,
            other => panic!("not counted: {other:?}"),
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=4_000).collect::<Vec<u32>>());

    let mut store: Store = Store::open(config, policy).unwrap();
    assert_eq!(store.failure_count("alice", at(1_000)).unwrap(), 4_000);
    let account: Account = store.load("alice").unwrap().unwrap();
    assert_eq!(account.consecutive_failures(), 4_000);
    // PingOne's count never decays: the key must not expire.
    assert_eq!(pttl(&mut raw(&url), &store.key("alice")), -1);
}

#[test]
fn the_lock_engages_once_at_the_threshold() {
    let Some(url) = redis_url() else { return };
    let config = race_config(&url, "threshold");
    let policy = pingone(50, Some(900));
    let (outcomes, _) = race(&config, policy, "bob");

    let locks: Vec<&Transition> = outcomes
        .iter()
        .flat_map(|outcome| outcome.transitions.iter())
        .filter(|transition| matches!(transition, Transition::Locked { .. }))
        .collect();
    assert_eq!(locks.len(), 1, "locked transitions: {locks:?}");
    let allowed = outcomes
        .iter()
        .filter(|outcome| outcome.decision == Some(Decision::Allowed))
        .count();
    assert_eq!(allowed, 50);
    let rejected = outcomes
        .iter()
        .filter(|outcome| {
            matches!(
                outcome.decision,
                Some(Decision::Rejected(Rejection::Locked { .. }))
            )
        })
        .count();
    assert_eq!(rejected, 4_000 - 50);
    // The failure that locked is the one that brought the count to 50.
    let locking = outcomes
        .iter()
        .find(|outcome| {
            outcome
                .transitions
                .iter()
                .any(|t| matches!(t, Transition::Locked { .. }))
        })
        .unwrap();
    assert_eq!(
        locking.transitions.iter().next(),
        Some(&Transition::Counted { failures: 50 })
    );

    let mut store: Store = Store::open(config, policy).unwrap();
    let view = store.view("bob", at(FAILURES as i64)).unwrap();
    assert_eq!(view.status, Status::Locked);
    // The key lives until the lock ends, plus the margin.
    assert_ttl_fits(&mut store, &url, "bob");
}

#[test]
fn an_attempt_begun_on_one_node_finishes_or_recovers_on_another() {
    let Some(url) = redis_url() else { return };
    let config = config(&url, "attempt");
    let policy = pingone(3, Some(900));
    let mut a: Store = Store::open(config.clone(), policy).unwrap();
    let mut b: Store = Store::open(config, policy).unwrap();
    let mut redis = raw(&url);

    // Begun on A, finished on B: a success counts nothing, and the account is dormant.
    let start = a.begin_attempt("carol", at(0)).unwrap();
    assert_eq!(start.outcome.decision, Some(Decision::Allowed));
    assert_eq!(pttl(&mut redis, &a.key("carol")), -1, "in flight: kept");
    let token = start.token.unwrap();
    b.finish_attempt("carol", at(10), token, Verdict::Success)
        .unwrap();
    assert!(!exists(&mut redis, &a.key("carol")));

    // Begun on A, which dies before its verdict: B recovers it as one failure.
    let token = a.begin_attempt("carol", at(20)).unwrap().token.unwrap();
    let recovered = b.recover("carol", at(5_000)).unwrap();
    assert_eq!(
        recovered.transitions.iter().next(),
        Some(&Transition::Counted { failures: 1 })
    );
    assert_eq!(b.failure_count("carol", at(5_000)).unwrap(), 1);
    // A's late verdict is refused: the attempt was counted already.
    let late = a.finish_attempt("carol", at(5_001), token, Verdict::Success);
    assert!(matches!(late, Err(Error::UnknownAttempt)), "{late:?}");
    assert!(!late.unwrap_err().is_store_failure());
    assert_eq!(a.failure_count("carol", at(5_002)).unwrap(), 1);
    // Recovering again finds nothing in flight and counts nothing.
    b.recover("carol", at(5_003)).unwrap();
    assert_eq!(b.failure_count("carol", at(5_004)).unwrap(), 1);
}

#[test]
fn concurrent_attempts_each_count_once() {
    let Some(url) = redis_url() else { return };
    let config = config(&url, "attempts");
    let policy = pingone(1_000_000, Some(900));
    const NODES: usize = 4;
    const ATTEMPTS: usize = 100;
    let workers: Vec<_> = (0..NODES)
        .map(|_| {
            let config = config.clone();
            thread::spawn(move || {
                let mut store: Store = Store::open(config, policy).unwrap();
                let (mut finished, mut replaced) = (0, 0);
                for i in 0..ATTEMPTS {
                    let token = store
                        .begin_attempt("dave", at(2 * i as i64))
                        .unwrap()
                        .token
                        .unwrap();
                    let verdict = Verdict::Failure { credential: None };
                    match store.finish_attempt("dave", at(2 * i as i64 + 1), token, verdict) {
                        Ok(_) => finished += 1,
                        // Another node's begin counted it already.
                        Err(Error::UnknownAttempt) => replaced += 1,
                        Err(error) => panic!("{error}"),
                    }
                }
                (finished, replaced)
            })
        })
        .collect();
    let (finished, replaced) = join_sum(workers);
    assert_eq!(finished + replaced, NODES * ATTEMPTS);
    let mut store: Store = Store::open(config, policy).unwrap();
    // The last attempt may still be in flight if a node's finish lost to another's begin.
    store.recover("dave", at(1_000)).unwrap();
    assert_eq!(
        store.failure_count("dave", at(1_000)).unwrap(),
        (NODES * ATTEMPTS) as u32
    );
}

/// Active Directory's lockout with a threshold of 5.
fn active_directory(duration_seconds: u64, window_seconds: u64) -> Policy {
    ActiveDirectory {
        lockout_threshold: 5,
        lockout_duration_seconds: duration_seconds,
        lockout_observation_window_seconds: window_seconds,
    }
    .policy()
    .unwrap()
}

/// Joins worker threads that each return two tallies, and sums them.
fn join_sum<T: std::ops::Add<Output = T> + Default>(
    workers: Vec<thread::JoinHandle<(T, T)>>,
) -> (T, T) {
    workers
        .into_iter()
        .fold((T::default(), T::default()), |(a, b), worker| {
            let (x, y) = worker.join().unwrap();
            (a + x, b + y)
        })
}

#[test]
fn a_dormant_account_has_no_key_and_a_live_one_a_sufficient_ttl() {
    let Some(url) = redis_url() else { return };
    let policy = active_directory(1_800, 600);
    let mut store: Store = Store::open(config(&url, "ttl"), policy).unwrap();
    let mut redis = raw(&url);
    let key = store.key("erin");

    // A check of an absent account writes nothing.
    store.check("erin", at(0)).unwrap();
    assert!(!exists(&mut redis, &key));

    // One failure: the count matters until the window has passed (600 s + 1 ms).
    store.failure("erin", at(0), None).unwrap();
    let ttl = pttl(&mut redis, &key);
    let full = 600_001 + 300_000;
    assert!(ttl <= full && ttl > full - 20_000, "TTL {ttl}");
    assert_ttl_fits(&mut store, &url, "erin");

    // A later failure moves the window, and the TTL with it.
    store.failure("erin", at(100_000), None).unwrap();
    assert_ttl_fits(&mut store, &url, "erin");

    // A success resets the count: the account is dormant, the key goes.
    store.success("erin", at(200_000)).unwrap();
    assert!(!exists(&mut redis, &key));

    // Locked by five failures: kept until the lock ends, plus the margin.
    for i in 0..5 {
        store.failure("erin", at(300_000 + i), None).unwrap();
    }
    assert_eq!(
        store.view("erin", at(300_005)).unwrap().status,
        Status::Locked
    );
    let ttl = pttl(&mut redis, &key);
    let full = 1_800_000 + 300_000;
    assert!(ttl <= full && ttl > full - 20_000, "TTL {ttl}");
    assert_ttl_fits(&mut store, &url, "erin");

    // An administrator lock without a deadline is kept until someone ends it.
    store.lock("erin", at(400_000), None).unwrap();
    assert_eq!(pttl(&mut redis, &key), -1);
    store.unlock("erin", at(500_000)).unwrap();
    assert!(!exists(&mut redis, &key));
}

#[test]
fn a_key_expires_once_its_state_no_longer_matters() {
    let Some(url) = redis_url() else { return };
    // A one-second window and a 200 ms margin, so that the test can wait for it.
    let mut config = config(&url, "expiry");
    config.ttl_margin = Duration::from_millis(200);
    config.max_clock_skew = Duration::from_millis(100);
    let policy = active_directory(1, 1);
    let mut store: Store = Store::open(config, policy).unwrap();
    let mut redis = raw(&url);
    let key = store.key("frank");
    store.failure("frank", at(0), None).unwrap();
    let ttl = pttl(&mut redis, &key);
    assert!(ttl <= 1_201 && ttl > 900, "TTL {ttl}");
    thread::sleep(Duration::from_millis(700));
    assert!(
        exists(&mut redis, &key),
        "expired while the failure counted"
    );
    thread::sleep(Duration::from_millis(800));
    assert!(!exists(&mut redis, &key));
}

#[test]
fn a_corrupt_value_is_reported_and_left_alone() {
    let Some(url) = redis_url() else { return };
    let policy = pingone(3, Some(900));
    let mut store: Store = Store::open(config(&url, "corrupt"), policy).unwrap();
    let mut redis = raw(&url);
    let key = store.key("grace");

    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(b"not an account".as_slice())
        .query(&mut redis)
        .unwrap();
    let error = store.failure("grace", at(0), None).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Corrupt {
                error: account_lockout::DecodeError::BadMagic,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_store_failure());
    assert!(error.allows_attempt(FailMode::Open));
    assert!(!error.allows_attempt(FailMode::Closed));
    let kept: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut redis).unwrap();
    assert_eq!(kept, b"not an account");

    // A valid state with one flipped bit fails its checksum, for reads too.
    let mut account: Account = Account::new();
    account.failure(&policy, at(0), None).unwrap();
    let mut bytes = vec![0; Account::<0, 0>::MAX_ENCODED_LEN];
    let length = account.encode(&mut bytes).unwrap();
    bytes.truncate(length);
    bytes[20] ^= 1;
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(&bytes)
        .query(&mut redis)
        .unwrap();
    assert!(matches!(
        store.check("grace", at(1)),
        Err(Error::Corrupt {
            error: account_lockout::DecodeError::Checksum,
            ..
        })
    ));
    assert!(matches!(
        store.begin_attempt("grace", at(1)),
        Err(Error::Corrupt { .. })
    ));
    let kept: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut redis).unwrap();
    assert_eq!(kept, bytes);

    // Only an explicit forget removes it; the account restarts.
    assert!(store.forget("grace").unwrap());
    store.failure("grace", at(2), None).unwrap();
    assert_eq!(store.failure_count("grace", at(3)).unwrap(), 1);
}

#[test]
fn skewed_clocks_do_not_move_a_lock() {
    let Some(url) = redis_url() else { return };
    let policy = pingone(3, Some(900));
    let config = config(&url, "skew");
    let mut ahead: Store = Store::open(config.clone(), policy).unwrap();
    let mut behind: Store = Store::open(config, policy).unwrap();
    for i in 0..3 {
        ahead.failure("heidi", at(i), None).unwrap();
    }
    let unlock_at = ahead.view("heidi", at(3)).unwrap().unlock_at.unwrap();
    assert_eq!(unlock_at, at(2 + 900_000));

    // Rejected attempts alternate between a node 500 ms ahead and one 500 ms behind.
    for i in 0..1_000 {
        let now = 10 + 10 * i;
        let outcome = ahead.failure("heidi", at(now), None).unwrap();
        assert!(!outcome.decision.unwrap().is_allowed());
        behind.failure("heidi", at(now - 500), None).unwrap();
    }
    assert_eq!(
        behind.view("heidi", at(20_000)).unwrap().unlock_at,
        Some(unlock_at)
    );

    // A clock an hour behind is a real regression (SPEC §1): the lock keeps its length
    // from that node's point of view.
    behind
        .failure("heidi", at(10_000 - 3_600_000), None)
        .unwrap();
    let shifted: Account = behind.load("heidi").unwrap().unwrap();
    assert_eq!(shifted.last_seen(), at(10_000 - 3_600_000));
    assert_eq!(
        shifted.view(at(10_000 - 3_600_000)).unlock_at,
        Some(Instant::from_millis(unlock_at.as_millis() - 3_600_000))
    );
}

#[test]
fn a_conflict_bound_gives_up_without_writing() {
    let Some(url) = redis_url() else { return };
    let mut config = config(&url, "conflict");
    config.max_attempts = 1;
    let policy = pingone(1_000_000, Some(900));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let config = config.clone();
            thread::spawn(move || {
                let mut store: Store = Store::open(config, policy).unwrap();
                let (mut written, mut conflicts) = (0_u32, 0_u32);
                for i in 0..200 {
                    match store.failure("ivan", at(i), None) {
                        Ok(_) => written += 1,
                        Err(Error::Conflict { attempts: 1, .. }) => conflicts += 1,
                        Err(error) => panic!("{error}"),
                    }
                }
                (written, conflicts)
            })
        })
        .collect();
    let (written, conflicts) = join_sum(workers);
    eprintln!("{written} written, {conflicts} gave up");
    assert_eq!(written + conflicts, 1_600);
    assert!(conflicts > 0, "eight nodes on one key never conflicted");
    let mut store: Store = Store::open(config, policy).unwrap();
    assert_eq!(store.failure_count("ivan", at(1_000)).unwrap(), written);
}

#[test]
fn an_unreachable_server_is_a_typed_error() {
    // Nothing listens on this port: the connection is refused at once.
    let port = common::free_port();
    let mut config = Config::new(format!("redis://127.0.0.1:{port}/"));
    config.connect_timeout = Duration::from_millis(200);
    let mut store: Store = Store::open(config, pingone(3, Some(900))).unwrap();
    let error = store.failure("judy", at(0), None).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Connection {
                maybe_written: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.allows_attempt(FailMode::Open));
    assert!(!error.allows_attempt(FailMode::Closed));
    assert!(!error.maybe_written());
}

#[test]
fn a_bad_configuration_is_refused() {
    let mut config = Config::new("redis://127.0.0.1:1/");
    config.ttl_margin = Duration::from_millis(10);
    let result: Result<Store, Error> = Store::open(config, pingone(3, Some(900)));
    assert!(matches!(result, Err(Error::Config(_))));
    let result: Result<Store, Error> = Store::open(Config::new("not a url"), pingone(3, Some(900)));
    assert!(matches!(result, Err(Error::Config(_))));
}
