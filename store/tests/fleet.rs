//! Several nodes (one store each, on its own thread) sharing accounts through the
//! redis-server at `REDIS_URL` (`bash .ci/redis` starts one).
// Test code: the workspace's panic-free lints (all restriction lints) do not apply.
#![allow(clippy::restriction)]

mod common;

use std::thread;
use std::time::{Duration, Instant as Clock};

use account_lockout::dialect::{ActiveDirectory, PamFaillock};
use account_lockout::{Account, Decision, Outcome, Policy, Rejection, Status, Transition, Verdict};
use account_lockout_store::blocking::Store;
use account_lockout_store::conformance::MemoryBackend;
use account_lockout_store::{Config, Error, FailMode};

use common::{
    assert_ttl_fits, at, config, count_keys, exists, faillock, on_nodes, pingone, pttl, raw,
    redis_url,
};

const WORKERS: usize = 8;
const FAILURES: usize = 500;

/// Runs `FAILURES` failures on `user` from each of `WORKERS` nodes at once (a blocking
/// store each, so a cache each); each node's clock moves 1 ms per failure. Returns every
/// outcome and the conflicts the nodes lost.
fn race(url: &str, config: &Config, policy: Policy, user: &str) -> (Vec<Outcome>, u64) {
    let results = on_nodes(WORKERS, url, config, policy, |store, _| {
        let outcomes: Vec<Outcome> = (0..FAILURES)
            .map(|i| store.failure(user, at(i as i64), None).unwrap())
            .collect();
        (outcomes, store.conflicts())
    });
    let mut all = Vec::new();
    let mut conflicts = 0;
    for (outcomes, lost) in results {
        all.extend(outcomes);
        conflicts += lost;
    }
    (all, conflicts)
}

/// How many of `outcomes` were allowed, and how many `Locked` transitions they hold.
fn allowed_and_locks(outcomes: &[Outcome]) -> (usize, usize) {
    let allowed = outcomes
        .iter()
        .filter(|outcome| outcome.decision() == Some(Decision::Allowed))
        .count();
    let locks = outcomes
        .iter()
        .flat_map(|outcome| outcome.transitions().iter())
        .filter(|transition| matches!(transition, Transition::Locked { .. }))
        .count();
    (allowed, locks)
}

/// The race tests' configuration: eight nodes on one key lose about two compare-and-sets
/// per event, and an unlucky event loses a few dozen in a row (a lottery among the
/// nodes), so the bound is raised well above that; the bound itself is tested below.
fn race_config(test: &str) -> Config {
    let mut config = config(test);
    config.max_attempts = 1_000;
    config
}

/// A race test's run: the server's URL, every outcome and the conflicts lost, and a
/// fresh store on the same keys to inspect what the race left.
struct Raced {
    url: String,
    outcomes: Vec<Outcome>,
    conflicts: u64,
    store: Store,
}

/// [`race`] on `user` with the race configuration of `test`; `None` without a server.
fn raced(test: &str, policy: Policy, user: &str) -> Option<Raced> {
    let url = redis_url()?;
    let config = race_config(test);
    let (outcomes, conflicts) = race(&url, &config, policy, user);
    let store = Store::open(&url, config, policy).unwrap();
    Some(Raced {
        url,
        outcomes,
        conflicts,
        store,
    })
}

#[test]
fn eight_nodes_lose_no_failure() {
    let Some(Raced {
        url,
        outcomes,
        conflicts,
        store,
    }) = raced("count", pingone(1_000_000, Some(900)), "alice")
    else {
        return;
    };
    eprintln!(
        "{} failures, {conflicts} compare-and-sets lost and retried",
        outcomes.len()
    );

    assert_eq!(outcomes.len(), 4_000);
    assert!(
        outcomes
            .iter()
            .all(|outcome| outcome.decision() == Some(Decision::Allowed))
    );
    // Each failure saw the count the previous one left: every value 1..=4000 exactly once.
    let mut counts: Vec<u32> = outcomes
        .iter()
        .map(|outcome| match outcome.transitions().iter().next() {
            Some(Transition::Counted { failures }) => failures,
            other => panic!("not counted: {other:?}"),
        })
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=4_000).collect::<Vec<u32>>());

    assert_eq!(store.failure_count("alice", at(1_000)).unwrap(), 4_000);
    let account: Account = store.load("alice").unwrap().unwrap();
    assert_eq!(account.consecutive_failures(), 4_000);
    // PingOne's count never decays: the key lives the retention cap, 7 days, after the
    // latest failure.
    let ttl = pttl(&mut raw(&url), &store.key("alice"));
    let week = 7 * 24 * 3_600_000;
    assert!(ttl <= week && ttl > week - 20_000, "TTL {ttl}");
    assert_ttl_fits(&store, &url, "alice");
}

#[test]
fn the_lock_engages_once_at_the_threshold() {
    let Some(Raced {
        url,
        outcomes,
        store,
        ..
    }) = raced("threshold", pingone(50, Some(900)), "bob")
    else {
        return;
    };

    assert_eq!(allowed_and_locks(&outcomes), (50, 1));
    let rejected = outcomes
        .iter()
        .filter(|outcome| {
            matches!(
                outcome.decision(),
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
                .transitions()
                .iter()
                .any(|t| matches!(t, Transition::Locked { .. }))
        })
        .unwrap();
    assert_eq!(
        locking.transitions().iter().next(),
        Some(Transition::Counted { failures: 50 })
    );

    let view = store.view("bob", at(FAILURES as i64)).unwrap();
    assert_eq!(view.status, Status::Locked);
    // The key lives until the lock ends, plus the margin.
    assert_ttl_fits(&store, &url, "bob");
}

#[test]
fn an_attempt_begun_on_one_node_finishes_or_recovers_on_another() {
    let Some(url) = redis_url() else { return };
    let config = config("attempt");
    let policy = pingone(3, Some(900));
    let a: Store = Store::open(&url, config.clone(), policy).unwrap();
    let b: Store = Store::open(&url, config, policy).unwrap();
    let mut redis = raw(&url);

    // Begun on A, finished on B: a success counts nothing, and the account is dormant.
    let start = a.begin_attempt("carol", at(0)).unwrap();
    assert_eq!(start.outcome.decision(), Some(Decision::Allowed));
    assert_eq!(pttl(&mut redis, &a.key("carol")), -1, "in flight: kept");
    let token = start.token.unwrap();
    let _ = b
        .finish_attempt("carol", at(10), token, Verdict::Success)
        .unwrap();
    assert!(!exists(&mut redis, &a.key("carol")));

    // Begun on A, which dies before its verdict: B recovers it as one failure.
    let token = a.begin_attempt("carol", at(20)).unwrap().token.unwrap();
    let recovered = b.recover("carol", at(5_000)).unwrap();
    assert_eq!(
        recovered.transitions().iter().next(),
        Some(Transition::Counted { failures: 1 })
    );
    assert_eq!(b.failure_count("carol", at(5_000)).unwrap(), 1);
    // The budget, asked of either node: three lock, one counted, none in flight.
    assert_eq!(a.failures_remaining("carol", at(5_000)).unwrap(), Some(2));
    // A's late verdict is refused: the attempt was counted already.
    let late = a.finish_attempt("carol", at(5_001), token, Verdict::Success);
    assert!(matches!(late, Err(Error::UnknownAttempt)), "{late:?}");
    assert!(!late.unwrap_err().is_store_failure());
    assert_eq!(a.failure_count("carol", at(5_002)).unwrap(), 1);
    // Recovering again finds nothing in flight and counts nothing.
    let _ = b.recover("carol", at(5_003)).unwrap();
    assert_eq!(b.failure_count("carol", at(5_004)).unwrap(), 1);
}

#[test]
fn concurrent_attempts_each_count_once() {
    let Some(url) = redis_url() else { return };
    let config = config("attempts");
    let policy = pingone(1_000_000, Some(900));
    const NODES: usize = 4;
    const ATTEMPTS: usize = 100;
    let workers: Vec<_> = (0..NODES)
        .map(|_| {
            let (url, config) = (url.clone(), config.clone());
            thread::spawn(move || {
                let store: Store = Store::open(&url, config, policy).unwrap();
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
    let store: Store = Store::open(&url, config, policy).unwrap();
    // The last attempt may still be in flight if a node's finish lost to another's begin.
    let _ = store.recover("dave", at(1_000)).unwrap();
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
    let store: Store = Store::open(&url, config("ttl"), policy).unwrap();
    let mut redis = raw(&url);
    let key = store.key("erin");

    // A check of an absent account writes nothing.
    let _ = store.check("erin", at(0)).unwrap();
    assert!(!exists(&mut redis, &key));

    // One failure: the count matters until the window has passed (600 s + 1 ms).
    let _ = store.failure("erin", at(0), None).unwrap();
    let ttl = pttl(&mut redis, &key);
    let full = 600_001 + 300_000;
    assert!(ttl <= full && ttl > full - 20_000, "TTL {ttl}");
    assert_ttl_fits(&store, &url, "erin");

    // A later failure moves the window, and the TTL with it.
    let _ = store.failure("erin", at(100_000), None).unwrap();
    assert_ttl_fits(&store, &url, "erin");

    // A success resets the count: the account is dormant, the key goes.
    let _ = store.success("erin", at(200_000)).unwrap();
    assert!(!exists(&mut redis, &key));

    // Locked by five failures: kept until the lock ends, plus the margin.
    for i in 0..5 {
        let _ = store.failure("erin", at(300_000 + i), None).unwrap();
    }
    assert_eq!(
        store.view("erin", at(300_005)).unwrap().status,
        Status::Locked
    );
    let ttl = pttl(&mut redis, &key);
    let full = 1_800_000 + 300_000;
    assert!(ttl <= full && ttl > full - 20_000, "TTL {ttl}");
    assert_ttl_fits(&store, &url, "erin");

    // An administrator lock without a deadline is kept until someone ends it.
    let _ = store.lock("erin", at(400_000), None).unwrap();
    assert_eq!(pttl(&mut redis, &key), -1);
    let _ = store.unlock("erin", at(500_000)).unwrap();
    assert!(!exists(&mut redis, &key));
}

#[test]
fn a_key_expires_once_its_state_no_longer_matters() {
    let Some(url) = redis_url() else { return };
    // A one-second window and a 200 ms margin, so that the test can wait for it.
    let mut config = config("expiry");
    config.ttl_margin = Duration::from_millis(200);
    let policy = active_directory(1, 1);
    let store: Store = Store::open(&url, config, policy).unwrap();
    let mut redis = raw(&url);
    let key = store.key("frank");
    // Taken before the write, so the TTL started after it: the bounds below hold however
    // slowly a loaded machine runs the test.
    let written = Clock::now();
    let _ = store.failure("frank", at(0), None).unwrap();
    // The failure counts for the window and 1 ms (1,001 ms), the margin on top.
    let full: i64 = 1_001 + 200;
    let ttl = pttl(&mut redis, &key);
    let elapsed = i64::try_from(written.elapsed().as_millis()).unwrap();
    assert!(ttl <= full && ttl + 1 >= full - elapsed, "TTL {ttl}");

    // Polled until it is gone: never while the failure counted.
    let gone = loop {
        if !exists(&mut redis, &key) {
            break written.elapsed();
        }
        assert!(
            written.elapsed() < Duration::from_secs(60),
            "the key outlived its TTL"
        );
        thread::sleep(Duration::from_millis(5));
    };
    assert!(
        gone >= Duration::from_millis(1_001),
        "expired after {gone:?}, while the failure counted"
    );
}

#[test]
fn a_corrupt_value_is_reported_and_left_alone() {
    let Some(url) = redis_url() else { return };
    let policy = pingone(3, Some(900));
    let store: Store = Store::open(&url, config("corrupt"), policy).unwrap();
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
    // Not an outage: a state that cannot be read (it may be a lock) lets no attempt
    // through, in either mode.
    assert!(!error.allows_attempt(FailMode::Open));
    assert!(!error.allows_attempt(FailMode::Closed));
    let kept: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut redis).unwrap();
    assert_eq!(kept, b"not an account");

    // A valid state with one flipped bit fails its checksum, for reads too.
    let mut account: Account = Account::new();
    let _ = account.failure(&policy, at(0), None).unwrap();
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
    let error = store.begin_attempt("grace", at(1)).unwrap_err();
    assert!(matches!(error, Error::Corrupt { .. }), "{error:?}");
    assert!(!error.allows_attempt(FailMode::Open));
    let kept: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut redis).unwrap();
    assert_eq!(kept, bytes);

    // Only an explicit forget removes it; the account restarts.
    assert!(store.forget("grace").unwrap());
    let _ = store.failure("grace", at(2), None).unwrap();
    assert_eq!(store.failure_count("grace", at(3)).unwrap(), 1);
}

/// Two nodes sharing accounts under the test's own prefix; the policy locks for 900 s at
/// the third failure.
fn two_nodes(url: &str, test: &str) -> (Store, Store) {
    let policy = pingone(3, Some(900));
    let config = config(test);
    let first = Store::open(url, config.clone(), policy).unwrap();
    (first, Store::open(url, config, policy).unwrap())
}

/// Locks `user` through `node` with failures at 0, 1 and 2 ms: until `at(2 + 900_000)`.
fn lock(node: &Store, user: &str) {
    for i in 0..3 {
        let _ = node.failure(user, at(i), None).unwrap();
    }
}

#[test]
fn a_rejected_attempt_writes_nothing() {
    let Some(url) = redis_url() else { return };
    let (node, _) = two_nodes(&url, "rejected");
    lock(&node, "jack");
    let mut redis = raw(&url);
    let key = node.key("jack");
    let stored: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut redis).unwrap();

    // Failures, begins and successes a minute later are rejected and leave the bytes
    // (last_seen included) as they were.
    let outcome = node.failure("jack", at(60_000), None).unwrap();
    assert!(!outcome.decision().unwrap().is_allowed());
    assert_eq!(node.begin_attempt("jack", at(60_001)).unwrap().token, None);
    let outcome = node.success("jack", at(60_002)).unwrap();
    assert!(!outcome.decision().unwrap().is_allowed());
    let now: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut redis).unwrap();
    assert_eq!(now, stored);
    assert_eq!(node.load("jack").unwrap().unwrap().last_seen(), at(2));
    // The TTL is still the one written with the lock.
    assert_ttl_fits(&node, &url, "jack");
}

#[test]
fn unknown_names_share_a_bounded_number_of_keys() {
    let Some(url) = redis_url() else { return };
    let mut config = config("unknown");
    config.unknown_buckets = 8;
    let store: Store = Store::open(&url, config.clone(), pingone(3, Some(900))).unwrap();
    let mut redis = raw(&url);

    // 1,000 made-up names, one failure each: 8 keys at most, none under the user prefix.
    let outcomes: Vec<Outcome> = (0..1_000)
        .map(|i| store.unknown_failure(&format!("nobody{i}"), at(i)).unwrap())
        .collect();
    assert_eq!(count_keys(&mut redis, &config.unknown_prefix), 8);
    assert_eq!(count_keys(&mut redis, &config.key_prefix), 0);
    // Each bucket allowed three failures, the third locking it; the rest were rejected,
    // and every bucket key expires (the lock's 900 s plus the margin).
    assert_eq!(allowed_and_locks(&outcomes), (24, 8));
    let key = store.unknown_key("nobody0");
    assert!(key.starts_with(&config.unknown_prefix), "{key}");
    let ttl = pttl(&mut redis, &key);
    assert!(ttl > 0 && ttl <= 1_200_000, "TTL {ttl}");
    // The same name always lands in the same bucket.
    assert_eq!(store.unknown_key("nobody0"), key);
}

#[test]
fn skewed_clocks_do_not_move_a_lock() {
    let Some(url) = redis_url() else { return };
    let (ahead, behind) = two_nodes(&url, "skew");
    lock(&ahead, "heidi");
    let unlock_at = ahead.view("heidi", at(3)).unwrap().unlock_at.unwrap();
    assert_eq!(unlock_at, at(2 + 900_000));

    // Rejected attempts alternate between a node 500 ms ahead and one 500 ms behind.
    for i in 0..1_000 {
        let now = 10 + 10 * i;
        let outcome = ahead.failure("heidi", at(now), None).unwrap();
        assert!(!outcome.decision().unwrap().is_allowed());
        let _ = behind.failure("heidi", at(now - 500), None).unwrap();
    }
    assert_eq!(
        behind.view("heidi", at(20_000)).unwrap().unlock_at,
        Some(unlock_at)
    );
}

#[test]
fn a_node_an_hour_behind_cannot_shorten_a_lock() {
    let Some(url) = redis_url() else { return };
    let (right, behind) = two_nodes(&url, "behind");
    lock(&right, "hank");
    let locked_until = |outcome: &Outcome| match outcome.decision() {
        Some(Decision::Rejected(Rejection::Locked { unlock_at, .. })) => unlock_at,
        other => panic!("not locked: {other:?}"),
    };

    // An event stamped an hour before the latest one is applied at the latest instant:
    // rejected, and nothing stored moves back.
    let outcome = behind.failure("hank", at(2 - 3_600_000), None).unwrap();
    assert_eq!(locked_until(&outcome), Some(at(2 + 900_000)));
    assert_eq!(behind.load("hank").unwrap().unwrap().last_seen(), at(2));
    assert_eq!(
        behind.view("hank", at(2 - 3_600_000)).unwrap().unlock_at,
        Some(at(2 + 900_000))
    );

    // A node whose clock is right, a second later: still locked, until the same instant.
    let outcome = right.failure("hank", at(1_002), None).unwrap();
    assert_eq!(locked_until(&outcome), Some(at(2 + 900_000)));
    assert_eq!(
        right.view("hank", at(1_002)).unwrap().unlock_at,
        Some(at(2 + 900_000))
    );
}

#[test]
fn a_node_an_hour_ahead_opens_no_extra_guesses() {
    let Some(url) = redis_url() else { return };
    let (right, ahead) = two_nodes(&url, "ahead");
    let mut outcomes = Vec::new();
    for i in 0..10 {
        outcomes.push(right.failure("iris", at(1_000 * i), None).unwrap());
        let later = 3_600_000 + 1_000 * i + 500;
        outcomes.push(ahead.failure("iris", at(later), None).unwrap());
    }
    assert_eq!(allowed_and_locks(&outcomes), (3, 1));
    // The third failure (the right node's second) was applied at the ahead node's
    // instant, the account's latest: the lock runs 900 s from there.
    assert_eq!(
        right.view("iris", at(20_000)).unwrap().unlock_at,
        Some(at(3_600_500 + 900_000))
    );
}

/// The async store on a database that is never asked anything: what `Store::new`
/// refuses, it refuses before any call.
fn new_store<const RECORDS: usize>(
    config: Config,
    policy: Policy,
) -> Result<account_lockout_store::Store<MemoryBackend, RECORDS, 0>, Error> {
    account_lockout_store::Store::new(MemoryBackend::new(), config, policy)
}

#[test]
fn a_policy_the_account_type_cannot_hold_is_refused() {
    // pam_faillock's sliding window keeps the times of its last 3 failures.
    let policy = PamFaillock::DEFAULT.policy().unwrap();
    let config = Config::default();
    match new_store::<0>(config.clone(), policy) {
        Err(Error::Config(message)) => assert_eq!(
            message,
            "the policy needs an account type with room for 3 failure times and 0 \
             credential fingerprints (Store<_, 3, 0>); this one has room for 0 and 0"
        ),
        other => panic!("{:?}", other.err()),
    }
    assert!(matches!(
        new_store::<2>(config.clone(), policy),
        Err(Error::Config(_))
    ));
    let result = new_store::<3>(config.clone(), policy);
    assert!(result.is_ok(), "{:?}", result.err());

    // The blocking store, which connects first, refuses it the same way.
    let Some(url) = redis_url() else { return };
    let result: Result<Store<0, 0>, Error> = Store::open(&url, config.clone(), policy);
    assert!(
        matches!(&result, Err(Error::Config(message)) if message.starts_with("the policy needs")),
        "{:?}",
        result.err()
    );
    let result: Result<Store<3, 0>, Error> = Store::open(&url, config, policy);
    assert!(result.is_ok(), "{:?}", result.err());
}

#[test]
fn a_state_stored_under_an_earlier_policy_is_migrated() {
    let Some(url) = redis_url() else { return };
    let config = config("migrate");

    // A sliding window (failure times kept) becomes a count that never decays.
    let window: Store<5, 0> = Store::open(&url, config.clone(), faillock(5)).unwrap();
    for i in 0..4 {
        let _ = window.failure("kim", at(i), None).unwrap();
    }
    for i in 0..5 {
        let _ = window.failure("lou", at(i), None).unwrap();
    }
    let count: Store = Store::open(&url, config.clone(), pingone(5, Some(900))).unwrap();
    // Four failures kept: the fifth locks, as under either policy.
    assert_eq!(count.failure_count("kim", at(10)).unwrap(), 4);
    let outcome = count.failure("kim", at(11), None).unwrap();
    assert_eq!(allowed_and_locks(&[outcome]), (1, 1));
    assert_eq!(count.failure_count("kim", at(12)).unwrap(), 5);
    // The event wrote the migrated state: the new policy decodes it as it is.
    let written: Account = count.load("kim").unwrap().unwrap();
    assert_eq!(written.last_seen(), at(11));
    // A lock stays as it was: pam_faillock's 600 s from the fifth failure.
    let view = count.view("lou", at(20)).unwrap();
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.unlock_at, Some(at(4 + 600_000)));
    assert!(
        !count
            .failure("lou", at(21), None)
            .unwrap()
            .decision()
            .unwrap()
            .is_allowed()
    );

    // A count becomes a sliding window of three: the failures are kept (up to three) at
    // the latest failure's instant, and fade one window after it.
    for i in 0..2 {
        let _ = count.failure("max", at(i), None).unwrap();
    }
    let small: Store<3, 0> = Store::open(&url, config, faillock(3)).unwrap();
    assert_eq!(small.failure_count("max", at(10)).unwrap(), 2);
    assert_eq!(small.failure_count("max", at(1 + 900_000 - 1)).unwrap(), 2);
    assert_eq!(small.failure_count("max", at(1 + 900_000)).unwrap(), 0);
    let outcome = small.failure("max", at(20), None).unwrap();
    assert_eq!(allowed_and_locks(&[outcome]), (1, 1));

    // A smaller window keeps the newest failure times: of 100, 200, 300 and 400 s, the
    // last three, so the one of 200 s fades at 1,100 s.
    for i in 1..=4 {
        let _ = window.failure("ned", at(i * 100_000), None).unwrap();
    }
    assert_eq!(small.failure_count("ned", at(1_100_000 - 1)).unwrap(), 3);
    assert_eq!(small.failure_count("ned", at(1_100_000)).unwrap(), 2);
}

/// `WORKERS` nodes record 200 failures each on `user` at once, where each may give up
/// (`gave_up` says which errors may end it); checks that every failure either was
/// written or gave up having written nothing, and that some gave up.
fn contend(url: &str, config: &Config, user: &str, gave_up: fn(&Error) -> bool) {
    let policy = pingone(1_000_000, Some(900));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (url, config, user) = (url.to_owned(), config.clone(), user.to_owned());
            thread::spawn(move || {
                let store: Store = Store::open(&url, config, policy).unwrap();
                let (mut written, mut given_up) = (0_u32, 0_u32);
                for i in 0..200 {
                    match store.failure(&user, at(i), None) {
                        Ok(_) => written += 1,
                        Err(error) if gave_up(&error) => {
                            assert!(!error.maybe_written(), "{error}");
                            given_up += 1;
                        }
                        Err(error) => panic!("{error}"),
                    }
                }
                (written, given_up)
            })
        })
        .collect();
    let (written, given_up) = join_sum(workers);
    eprintln!("{written} written, {given_up} gave up");
    assert_eq!(written + given_up, 1_600);
    assert!(given_up > 0, "eight nodes on one key never conflicted");
    let store: Store = Store::open(url, config.clone(), policy).unwrap();
    assert_eq!(store.failure_count(user, at(1_000)).unwrap(), written);
}

#[test]
fn a_conflict_bound_gives_up_without_writing() {
    let Some(url) = redis_url() else { return };
    let mut config = config("conflict");
    config.max_attempts = 1;
    contend(&url, &config, "ivan", |error| {
        matches!(error, Error::Conflict { attempts: 1, .. })
    });
}

#[test]
fn an_event_gives_up_at_its_deadline_without_writing() {
    let Some(url) = redis_url() else { return };
    let mut config = config("deadline");
    // No bound on the retries, but no time for any: the first lost compare-and-set ends
    // the event.
    config.max_attempts = u32::MAX;
    config.event_deadline = Duration::ZERO;
    contend(&url, &config, "ivy", |error| {
        // Contention, not an outage: refused in both fail modes.
        matches!(error, Error::Conflict { attempts: 1, .. })
            && !error.allows_attempt(FailMode::Open)
            && !error.maybe_written()
            && error
                .to_string()
                .ends_with("kept changing: 1 compare-and-sets lost (nothing was written)")
    });
}

#[test]
fn an_internal_error_is_a_store_failure_that_wrote_nothing() {
    let error = Error::Internal("the encoding buffer is too small");
    assert!(error.is_store_failure());
    assert!(error.allows_attempt(FailMode::Open));
    assert!(!error.allows_attempt(FailMode::Closed));
    assert!(!error.maybe_written());
    assert_eq!(
        error.to_string(),
        "internal error in account-lockout-store: the encoding buffer is too small \
         (nothing was written)"
    );
}

#[test]
fn an_unreachable_server_is_a_typed_error() {
    // Nothing listens on this port: the connection is refused at once. The store
    // connects when it opens, so opening is what fails.
    let port = common::free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let started = Clock::now();
    let result: Result<Store, Error> = Store::open(&url, Config::default(), pingone(3, Some(900)));
    let error = result.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited {:?}",
        started.elapsed()
    );
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
    // The store checks its configuration before any call to the database.
    let refused = |config: Config| match new_store::<0>(config, pingone(3, Some(900))) {
        Err(Error::Config(message)) => message,
        other => panic!("{:?}", other.err()),
    };
    let message = refused(Config {
        response_timeout: Duration::ZERO,
        ..Config::default()
    });
    assert_eq!(message, "response_timeout must not be zero");
    let message = refused(Config {
        max_attempts: 0,
        ..Config::default()
    });
    assert_eq!(message, "max_attempts must be at least 1");
    let message = refused(Config {
        max_retention: Some(Duration::ZERO),
        ..Config::default()
    });
    assert_eq!(message, "max_retention must not be zero");
    // A URL that is not one is refused before connecting.
    let result: Result<Store, Error> =
        Store::open("not a url", Config::default(), pingone(3, Some(900)));
    assert!(matches!(result, Err(Error::Config(_))));
    // A bucket of unknown names must never be a user's key.
    let message = refused(Config {
        unknown_prefix: "lockout:unknown:".into(),
        ..Config::default()
    });
    assert_eq!(
        message,
        "unknown_prefix \"lockout:unknown:\" and key_prefix \"lockout:\": one starts with \
         the other, so a user's key could be a bucket of unknown names"
    );
    // Nor the other way round: user "7" under "u:1" and bucket 17 under "u:" share "u:17".
    let message = refused(Config {
        key_prefix: "u:1".into(),
        unknown_prefix: "u:".into(),
        ..Config::default()
    });
    assert!(message.contains("one starts with the other"), "{message}");
    let message = refused(Config {
        unknown_buckets: 0,
        ..Config::default()
    });
    assert_eq!(message, "unknown_buckets must be at least 1");
}
