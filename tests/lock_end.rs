//! What the end of a lock does to the count: only the end of a lock by the count starts
//! it again, and an escalating length must be able to escalate (README, "The general
//! form").

mod fixtures;

use account_lockout::{
    Account, Decay, Duration, LockCause, LockLength, OnLockEnd, Policy, Problem, Rules, Status,
    Transition,
};
use fixtures::{from_json, ms, s, transitions};

/// The lock a failure at `at` starts: its cause and its length in seconds.
fn lock_of(account: &mut Account, policy: &Policy, at_ms: i64) -> Option<(LockCause, i64)> {
    let outcome = account.failure(policy, ms(at_ms), None).unwrap();
    transitions(&outcome).into_iter().find_map(|t| match t {
        Transition::Locked {
            at,
            until: Some(until),
            cause,
        } => Some((cause, (until.as_millis() - at.as_millis()) / 1_000)),
        _ => None,
    })
}

/// The issue's policy: 10 failures lock for 60 s; a failure within 500 ms of the previous
/// one locks for 5 s.
fn quick_and_real() -> Policy {
    from_json(
        r#"{"custom":{"threshold":10,"lock":{"fixedSeconds":60},
            "quickFailure":{"withinMilliseconds":500,"lockSeconds":5}}}"#,
    )
}

// Finding 2: the end of the short quick-failure lock used to restart the count, so an
// attacker who paced one quick failure before the threshold never met the real lock.
#[test]
fn a_quick_failure_lock_ending_keeps_the_count() {
    let policy = quick_and_real();
    let mut account: Account = Account::new();
    // Eight failures a second apart: counted, no lock.
    for k in 1..=8 {
        assert_eq!(
            lock_of(&mut account, &policy, k * 1_000),
            None,
            "failure {k}"
        );
    }
    // The ninth comes 200 ms later: a 5 s quick-failure lock.
    assert_eq!(
        lock_of(&mut account, &policy, 8_200),
        Some((LockCause::QuickFailure, 5))
    );
    // After it, the count is still 9: the tenth failure meets the 60 s lock.
    assert_eq!(account.failure_count(&policy, ms(13_200)), 9);
    assert_eq!(
        lock_of(&mut account, &policy, 13_300),
        Some((LockCause::Policy, 60))
    );
    // The end of the lock by the count does restart it (onLockEnd: reset).
    assert_eq!(account.failure_count(&policy, ms(73_300)), 0);
}

// The issue's attack: 18 failures in 24 s, each pair close enough to be quick, met only
// 5 s locks before; now the tenth counted failure locks for 60 s.
#[test]
fn pacing_quick_failures_meets_the_real_lock() {
    let policy = quick_and_real();
    let mut account: Account = Account::new();
    let mut longest = 0;
    let mut at = 0;
    for _ in 0..18 {
        // Wait for any lock to end, then fail twice 100 ms apart.
        at = account
            .view(ms(at))
            .unlock_at
            .map_or(at, |until| until.as_millis() - fixtures::T0_MS);
        for _ in 0..2 {
            if let Some((_, seconds)) = lock_of(&mut account, &policy, at) {
                longest = longest.max(seconds);
            }
            at += 100;
        }
    }
    assert_eq!(longest, 60);
}

// Finding 3: exponential, linear and multiple lengths never escalated under the default
// `onLockEnd: reset` (every lock 1 s). The JSON form now keeps the count for them.
#[test]
fn an_escalating_length_escalates_by_default() {
    for (json, expected) in [
        (
            r#"{"custom":{"threshold":3,"lock":{"exponentialSeconds":1}}}"#,
            [1, 2, 4, 8, 16],
        ),
        (
            r#"{"custom":{"threshold":3,"lock":{"linearSeconds":1}}}"#,
            [1, 2, 3, 4, 5],
        ),
        (
            r#"{"custom":{"threshold":1,"lock":{"multipleSeconds":1}}}"#,
            [1, 2, 3, 4, 5],
        ),
    ] {
        let policy = from_json(json);
        assert_eq!(policy.rules().on_lock_end, OnLockEnd::Keep, "{json}");
        let mut account: Account = Account::new();
        let threshold = i64::from(policy.rules().threshold);
        for k in 1..threshold {
            assert_eq!(lock_of(&mut account, &policy, k), None);
        }
        let mut at = threshold;
        let mut lengths = Vec::new();
        for _ in 0..5 {
            let (cause, seconds) = lock_of(&mut account, &policy, at).expect("locks");
            assert_eq!(cause, LockCause::Policy);
            lengths.push(seconds);
            // The next failure comes as this lock ends.
            at += seconds * 1_000;
        }
        assert_eq!(lengths, expected, "{json}");
    }
    // A fixed length keeps the default reset.
    let fixed = from_json(r#"{"custom":{"threshold":3,"lock":{"fixedSeconds":60}}}"#);
    assert_eq!(fixed.rules().on_lock_end, OnLockEnd::Reset);
}

#[test]
fn an_escalating_length_that_could_never_escalate_is_refused() {
    let error = serde_json::from_str::<Policy>(
        r#"{"custom":{"threshold":3,"lock":{"exponentialSeconds":1},"onLockEnd":"reset"}}"#,
    )
    .unwrap_err();
    assert!(
        error.to_string().starts_with(
            "invalid policy: onLockEnd must not combine an escalating lock length with \
             onLockEnd: reset"
        ),
        "{error}"
    );
    let sliding = Rules {
        threshold: 3,
        lock: LockLength::Linear {
            increment: Duration::from_secs(30),
        },
        decay: Decay::SlidingWindow(Duration::from_secs(900)),
        on_lock_end: OnLockEnd::Keep,
        ..Rules::NEVER_LOCK
    };
    let error = sliding.build().unwrap_err();
    assert_eq!(
        (error.parameter, error.problem),
        (
            "lock",
            Problem::NeverEscalates {
                because: "decay.slidingWindow"
            }
        )
    );
    // A table whose lengths past the threshold are all the threshold's does not escalate.
    let flat = from_json(
        r#"{"custom":{"threshold":2,"lock":{"table":[{"fromCount":2,"seconds":30},{"fromCount":5,"seconds":30}]},"onLockEnd":"reset"}}"#,
    );
    assert_eq!(flat.rules().on_lock_end, OnLockEnd::Reset);
    let mut account: Account = Account::new();
    account.failure(&flat, s(0), None).unwrap();
    account.failure(&flat, s(0), None).unwrap();
    assert_eq!(account.view(s(0)).status, Status::Locked);
}
