//! How failures are counted and what lock they start: the budget counting down,
//! repeated-credential memory and the consecutive-failure cap (behaviour §5), the
//! quick-failure rule, escalating lock lengths and what the end of a lock does to the
//! count (`onLockEnd`), and counts at their limits (a million failures, `u32::MAX`).

mod fixtures;

use account_lockout::{
    Account, AccountView, Decay, Duration, Fingerprint, FingerprintKey, LockCause, LockLength,
    OnLockEnd, Policy, Problem, Rules, Status, Transition,
};
use fixtures::{
    BUSY, T0_MS, active_directory, allowed, assert_view_consistent, begin, counted, from_json,
    gatekeeper, keycloak, lock_fields, ms, pingone, rejected_until, s, tpm, transitions,
    with_failures,
};

#[test]
fn modifier_repeated_credential_memory() {
    let policy = pingone(10, Some(900)).with_modifiers(2, None).unwrap();
    let key = FingerprintKey::new(*b"account-rules-ke");
    let [a, b, c] = [
        Fingerprint::keyed(&key, b"alpha"),
        Fingerprint::keyed(&key, b"bravo"),
        Fingerprint::keyed(&key, b"charlie"),
    ];
    let mut account: Account<0, 8> = Account::new();

    let outcome = account.failure(&policy, s(0), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![counted(1)]);
    assert_eq!(account.failures_remaining(&policy, s(0)), Some(9));

    // A remembered fingerprint is ignored: count unchanged, last_seen moved.
    let outcome = account.failure(&policy, s(1), Some(a)).unwrap();
    assert!(allowed(&outcome));
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    assert_eq!(account.failures_remaining(&policy, s(1)), Some(9));
    assert_eq!(account.failure_count(&policy, s(1)), 1);
    assert_eq!(account.consecutive_failures(), 1);
    assert_eq!(account.last_seen(), s(1));

    // K = 2 most recent distinct: {a, b}, then {b, c}.
    let _ = account.failure(&policy, s(2), Some(b)).unwrap(); // 2
    let outcome = account.failure(&policy, s(3), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    let _ = account.failure(&policy, s(4), Some(c)).unwrap(); // 3, memory {b, c}
    assert_eq!(account.failure_count(&policy, s(4)), 3);
    let outcome = account.failure(&policy, s(5), Some(b)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    let outcome = account.failure(&policy, s(6), Some(c)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    // a was pushed out (the ignored repeat at T0+3s did not refresh it: it was not counted).
    let outcome = account.failure(&policy, s(7), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![counted(4)]);
    // Memory {c, a}: b is forgotten now.
    let outcome = account.failure(&policy, s(8), Some(b)).unwrap();
    assert_eq!(transitions(&outcome), vec![counted(5)]);
    // Memory {a, b}.

    // A failure without a fingerprint always counts and takes no place in the memory.
    for (i, expected) in [(9, 6), (10, 7)] {
        let outcome = account.failure(&policy, s(i), None).unwrap();
        assert_eq!(transitions(&outcome), vec![counted(expected)]);
    }
    let outcome = account.failure(&policy, s(11), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    let outcome = account.failure(&policy, s(12), Some(b)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    assert_eq!(account.failure_count(&policy, s(12)), 7);
    assert_eq!(account.consecutive_failures(), 7);

    // Forgotten on success.
    let outcome = account.success(&policy, s(13));
    assert!(allowed(&outcome));
    let outcome = account.failure(&policy, s(14), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![counted(1)]);
    let outcome = account.failure(&policy, s(15), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);

    // Forgotten on an administrator unlock.
    let _ = account.unlock(&policy, s(16));
    let outcome = account.failure(&policy, s(17), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![counted(1)]);

    // An ignored failure at the same instant changes nothing at all.
    let copy = account;
    let _ = account.failure(&policy, s(17), Some(a)).unwrap();
    assert_eq!(account, copy);

    // Without the modifier the same fingerprint always counts.
    let plain = pingone(10, Some(900));
    let mut account: Account<0, 8> = Account::new();
    for i in 0..3 {
        let outcome = account.failure(&plain, s(i), Some(a)).unwrap();
        assert_eq!(transitions(&outcome), vec![counted(i as u32 + 1)]);
    }
}

#[test]
fn modifier_repeated_credential_memory_cannot_reach_a_lock() {
    // PingOne 3: the same wrong password, again and again, never locks.
    let policy = pingone(3, Some(900)).with_modifiers(1, None).unwrap();
    let fp = Fingerprint::new(42);
    let mut account: Account<0, 8> = Account::new();
    for i in 0..100 {
        let _ = account.failure(&policy, s(i), Some(fp)).unwrap();
    }
    assert_eq!(account.view(s(100)), AccountView::OPEN);
    assert_eq!(account.failure_count(&policy, s(100)), 1);
    assert_eq!(account.failures_remaining(&policy, s(100)), Some(2));
    assert_eq!(account.last_seen(), s(99));
    // Distinct ones do.
    let _ = account
        .failure(&policy, s(100), Some(Fingerprint::new(1)))
        .unwrap();
    let _ = account
        .failure(&policy, s(101), Some(Fingerprint::new(2)))
        .unwrap();
    let view = account.view(s(101));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(101)));
    assert_eq!(view.unlock_at, Some(s(1_001)));
}

#[test]
fn modifier_max_consecutive_failures() {
    // AD: threshold 3, window 10 s, duration 60 s; cap 4.
    let policy = active_directory(3, 60, 10)
        .with_modifiers(0, Some(4))
        .unwrap();
    let mut account: Account = Account::new();
    // Failures 20 s apart: the window resets the AD count each time.
    for (i, t) in [0, 20, 40].into_iter().enumerate() {
        let outcome = account.failure(&policy, s(t), None).unwrap();
        assert!(allowed(&outcome));
        assert_eq!(transitions(&outcome), vec![counted(1)]);
        assert_eq!(account.consecutive_failures(), i as u32 + 1);
    }
    assert_eq!(account.view(s(40)).status, Status::Ok);
    // At T0+40s: the policy would need 2 more, the cap 1.
    assert_eq!(account.failures_remaining(&policy, s(40)), Some(1));

    // The fourth locks with no deadline.
    let outcome = account.failure(&policy, s(60), None).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![
            counted(1),
            Transition::Locked {
                at: s(60),
                until: None,
                cause: LockCause::ConsecutiveFailures
            }
        ]
    );
    assert_eq!(account.consecutive_failures(), 4);
    assert_eq!(
        lock_fields(&account.view(s(60))),
        (Status::Locked, Some(s(60)), None, None)
    );
    assert_eq!(
        account.lock_cause(s(60)),
        Some(LockCause::ConsecutiveFailures)
    );
    // Never decayed by any window: still locked ten years later.
    let later = s(10 * 365 * 86_400);
    assert_eq!(account.view(later).status, Status::Locked);
    assert_eq!(rejected_until(&account.check(&policy, later)), None);
    // An administrator unlock resets it.
    let _ = account.unlock(&policy, later);
    assert_eq!(account.consecutive_failures(), 0);
    assert_eq!(account.view(later), AccountView::OPEN);

    // A success resets it.
    let mut other = with_failures(&policy, &[0, 20, 40]);
    assert!(allowed(&other.success(&policy, s(50))));
    assert_eq!(other.consecutive_failures(), 0);
    for t in [60, 80, 100] {
        let _ = other.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(other.view(s(100)).status, Status::Ok);
    assert_eq!(other.consecutive_failures(), 3);
    let _ = other.failure(&policy, s(120), None).unwrap();
    assert_eq!(other.view(s(120)).status, Status::Locked);
    assert_eq!(other.view(s(120)).unlock_at, None);

    // An administrator lock takes over the cap's lock and clears the count.
    let _ = other.lock(&policy, s(130), Some(s(200))).unwrap();
    assert_eq!(other.consecutive_failures(), 0);
    assert_eq!(other.view(s(130)).locked_at, Some(s(120)));
    assert_eq!(other.view(s(200)).status, Status::Ok);
}

#[test]
fn modifier_max_consecutive_failures_counts_past_automatic_locks() {
    // PingOne 2 / 10 s with a cap of 5: locks by policy at 2 and 4, the cap at 5.
    let policy = pingone(2, Some(10)).with_modifiers(0, Some(5)).unwrap();
    // policy lock until T0+11s
    let mut account = with_failures(&policy, &[0, 1]);
    assert_eq!(account.view(s(1)).unlock_at, Some(s(11)));
    let _ = account.failure(&policy, s(11), None).unwrap();
    let _ = account.failure(&policy, s(12), None).unwrap(); // policy lock until T0+22s
    assert_eq!(account.view(s(12)).unlock_at, Some(s(22)));
    assert_eq!(account.consecutive_failures(), 4);
    let _ = account.failure(&policy, s(22), None).unwrap();
    let view = account.view(s(22));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(22)));
    assert_eq!(view.unlock_at, None);
}

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

/// A policy with a quick-failure rule: 10 failures lock for 60 s; a failure within 500 ms of the previous
/// one locks for 5 s.
fn quick_and_real() -> Policy {
    from_json(
        r#"{"custom":{"threshold":10,"lock":{"fixedSeconds":60},
            "quickFailure":{"withinMilliseconds":500,"lockSeconds":5}}}"#,
    )
}

// Regression: the end of the short quick-failure lock used to restart the count, so an
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

// A paced attack: 18 failures in 24 s, each pair close enough to be quick, met only
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
            .map_or(at, |until| until.as_millis() - T0_MS);
        for _ in 0..2 {
            if let Some((_, seconds)) = lock_of(&mut account, &policy, at) {
                longest = longest.max(seconds);
            }
            at += 100;
        }
    }
    assert_eq!(longest, 60);
}

// Regression: exponential, linear and multiple lengths never escalated under the default
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
    let _ = account.failure(&flat, s(0), None).unwrap();
    let _ = account.failure(&flat, s(0), None).unwrap();
    assert_eq!(account.view(s(0)).status, Status::Locked);
}

#[test]
fn extreme_a_million_failures() {
    const N: u32 = 1_000_000;

    // TPM with recoveryTime 0: protection off, never locks; success keeps the count.
    let tpm = tpm(1, 0);
    let mut account: Account = Account::new();
    for i in 0..N {
        let outcome = account.failure(&tpm, ms(i64::from(i)), None).unwrap();
        assert!(allowed(&outcome));
    }
    let now = ms(i64::from(N));
    assert_eq!(account.view(now), AccountView::OPEN);
    assert_eq!(account.failure_count(&tpm, now), N);
    assert_eq!(account.consecutive_failures(), N);
    assert_eq!(account.failures_remaining(&tpm, now), None);

    // AD with threshold 0: never locks; a 1 s window, failures 1 ms apart.
    let ad = active_directory(0, 0, 1);
    let mut account: Account = Account::new();
    for i in 0..N {
        let _ = account.failure(&ad, ms(i64::from(i)), None).unwrap();
    }
    assert_eq!(account.view(now), AccountView::OPEN);
    assert_eq!(account.failure_count(&ad, now), N);
    assert_eq!(account.consecutive_failures(), N);

    // Android Gatekeeper: each failure waits for the previous timeout to end. Past 140
    // failures every failure locks for a day; the counter never decays.
    let gatekeeper = gatekeeper();
    let mut account: Account = Account::new();
    let mut now = s(0);
    for _ in 0..N {
        let outcome = account.failure(&gatekeeper, now, None).unwrap();
        assert!(
            transitions(&outcome)
                .iter()
                .any(|t| matches!(t, Transition::Counted { .. }))
        );
        if let Some(until) = account.view(now).unlock_at {
            now = until;
        }
    }
    assert_eq!(account.consecutive_failures(), N);
    assert_eq!(account.failure_count(&gatekeeper, now), N);
    // The millionth failure locked for one day.
    let last = now.saturating_sub(Duration::from_secs(86_400));
    assert_eq!(
        lock_fields(&account.view(last)),
        (Status::Locked, Some(last), Some(now), Some(86_400))
    );
    assert_view_consistent(&account.view(last), last);
    assert_eq!(account.view(now).status, Status::Ok);
    // The next failure locks again.
    assert_eq!(account.failures_remaining(&gatekeeper, now), Some(1));

    // Counts saturate: a cap of u32::MAX and a PingOne count of u32::MAX report full
    // counts without overflow.
    let huge = pingone(u32::MAX, Some(1))
        .with_modifiers(0, Some(u32::MAX))
        .unwrap();
    let mut account: Account = Account::new();
    assert_eq!(account.failures_remaining(&huge, s(0)), Some(u32::MAX));
    let _ = account.failure(&huge, s(0), None).unwrap();
    assert_eq!(account.failures_remaining(&huge, s(0)), Some(u32::MAX - 1));
}

#[test]
fn the_budget_counts_every_way_the_policy_locks() {
    // A fresh Keycloak account: two quick failures lock (behaviour §7.6's example).
    let mut account: Account = Account::new();
    assert_eq!(account.failures_remaining(&keycloak(), s(0)), Some(2));
    begin(&mut account, &keycloak(), 0);
    begin(&mut account, &keycloak(), 0);
    assert_eq!(
        account
            .begin_attempt(&keycloak(), s(0))
            .unwrap()
            .outcome
            .decision(),
        BUSY
    );

    // Keycloak with maxFailureWaitSeconds 0: no lock ever lasts, so no budget;
    // only maxAttemptsInFlight limits attempts.
    let no_wait = from_json(r#"{"keycloak":{"maxFailureWaitSeconds":0}}"#);
    let mut account: Account = Account::new();
    for second in 0..40 {
        let _ = account.failure(&no_wait, s(second), None).unwrap();
        assert_eq!(
            account.failures_remaining(&no_wait, s(second)),
            None,
            "failure {second}"
        );
    }
    assert_eq!(account.view(s(40)).status, Status::Ok);

    // The consecutive-failure cap counts too.
    let capped = pingone(10, Some(60)).with_modifiers(0, Some(2)).unwrap();
    assert_eq!(
        Account::<0, 0>::new().failures_remaining(&capped, s(0)),
        Some(2)
    );
}
