//! Each dialect's documented behaviour (behaviour §3 and §5), pinned with concrete values.
//!
//! Expected values are derived from docs/behaviour.md, not from the crate's implementation.

mod fixtures;

use fixtures::{T0_MS, active_directory, allowed, ms, pam, pingone, s, tpm};

use account_lockout::dialect::{
    ActiveDirectory, AndroidGatekeeper, BruteForceStrategy, Keycloak, PamFaillock, PingOne, Tpm,
};
use account_lockout::harness::Dialect;
use account_lockout::{
    Account, CapacityError, Decision, Instant, LockCause, Outcome, Patch, Policy, Rejection,
    Status, Transition, UnlockCause,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const SECOND: i64 = 1_000;
const DAY: i64 = 86_400 * SECOND;
const YEAR: i64 = 365 * DAY;

/// Milliseconds since [`T0_MS`].
fn off(instant: Instant) -> i64 {
    instant.as_millis() - T0_MS
}

fn ceil_secs(ms: i64) -> u64 {
    assert!(ms > 0);
    ((ms + 999) / 1000) as u64
}

fn fail<const R: usize>(account: &mut Account<R>, policy: &Policy, now: Instant) -> Outcome {
    account
        .failure(policy, now, None)
        .expect("the account type has room for the policy")
}

/// The `Locked { at, until }` transition of an outcome, if any.
fn locked_transition(outcome: &Outcome) -> Option<(Instant, Option<Instant>, LockCause)> {
    outcome.transitions().iter().find_map(|t| match t {
        Transition::Locked { at, until, cause } => Some((at, until, cause)),
        _ => None,
    })
}

/// The `Unlocked { at, cause }` transition of an outcome, if any.
fn unlocked_transition(outcome: &Outcome) -> Option<(Instant, UnlockCause)> {
    outcome.transitions().iter().find_map(|t| match t {
        Transition::Unlocked { at, cause } => Some((at, cause)),
        _ => None,
    })
}

/// The view at `now` is `LOCKED` since `locked_at`, until `unlock_at` (`None`: admin-only).
#[track_caller]
fn assert_locked<const R: usize>(
    account: &Account<R>,
    now: Instant,
    locked_at: Instant,
    unlock_at: Option<Instant>,
    row: &str,
) {
    let view = account.view(now);
    assert_eq!(view.status, Status::Locked, "{row}: status at {now}");
    assert!(!view.can_authenticate, "{row}: canAuthenticate at {now}");
    assert_eq!(view.locked_at, Some(locked_at), "{row}: lockedAt at {now}");
    assert_eq!(view.unlock_at, unlock_at, "{row}: unlockAt at {now}");
    let expected_seconds = unlock_at.map(|until| ceil_secs(until.as_millis() - now.as_millis()));
    assert_eq!(
        view.seconds_until_unlock, expected_seconds,
        "{row}: secondsUntilUnlock at {now}"
    );
}

/// The view at `now` is `OK` (and the user enabled).
#[track_caller]
fn assert_open<const R: usize>(account: &Account<R>, now: Instant, row: &str) {
    let view = account.view(now);
    assert_eq!(view.status, Status::Ok, "{row}: status at {now}");
    assert!(view.can_authenticate, "{row}: canAuthenticate at {now}");
    assert_eq!(view.locked_at, None, "{row}: lockedAt at {now}");
    assert_eq!(view.unlock_at, None, "{row}: unlockAt at {now}");
    assert_eq!(
        view.seconds_until_unlock, None,
        "{row}: secondsUntilUnlock at {now}"
    );
}

/// A counted failure at `now` that does not lock, and leaves the policy's count at `count`.
#[track_caller]
fn fail_open<const R: usize>(
    account: &mut Account<R>,
    policy: &Policy,
    now: Instant,
    count: u32,
    row: &str,
) {
    let outcome = fail(account, policy, now);
    assert_eq!(
        outcome.decision(),
        Some(Decision::Allowed),
        "{row}: failure at {now}"
    );
    assert_eq!(
        outcome.transitions().counted(),
        Some(count),
        "{row}: count after failure at {now}"
    );
    assert_eq!(
        locked_transition(&outcome),
        None,
        "{row}: failure at {now} must not lock"
    );
    assert_open(account, now, row);
}

/// A counted failure at `now` that locks until `until` (`None`: admin-only).
#[track_caller]
fn fail_lock<const R: usize>(
    account: &mut Account<R>,
    policy: &Policy,
    now: Instant,
    until: Option<Instant>,
    row: &str,
) -> Outcome {
    fail_lock_by(account, policy, now, until, LockCause::Policy, row)
}

/// A failure at `now` that is counted and starts a quick-failure lock until `until`.
#[track_caller]
fn fail_quick_lock<const R: usize>(
    account: &mut Account<R>,
    policy: &Policy,
    now: Instant,
    until: Option<Instant>,
    row: &str,
) -> Outcome {
    fail_lock_by(account, policy, now, until, LockCause::QuickFailure, row)
}

/// A failure at `now` that is counted and starts a lock of `cause` until `until`.
#[track_caller]
fn fail_lock_by<const R: usize>(
    account: &mut Account<R>,
    policy: &Policy,
    now: Instant,
    until: Option<Instant>,
    cause: LockCause,
    row: &str,
) -> Outcome {
    let outcome = fail(account, policy, now);
    assert!(
        outcome.transitions().counted().is_some(),
        "{row}: the failure at {now} must be counted"
    );
    assert_eq!(
        locked_transition(&outcome),
        Some((now, until, cause)),
        "{row}: lock started by the failure at {now}"
    );
    assert_locked(account, now, now, until, row);
    outcome
}

/// A failure at `now` that is rejected because the account is locked until `until`.
#[track_caller]
fn fail_rejected_locked<const R: usize>(
    account: &mut Account<R>,
    policy: &Policy,
    now: Instant,
    until: Option<Instant>,
    row: &str,
) {
    let outcome = fail(account, policy, now);
    assert!(
        matches!(
            outcome.decision(),
            Some(Decision::Rejected(Rejection::Locked { unlock_at, .. })) if unlock_at == until
        ),
        "{row}: failure at {now} while locked: {:?}",
        outcome.decision()
    );
    assert_eq!(
        outcome.transitions().counted(),
        None,
        "{row}: a rejected failure is not counted"
    );
    assert_eq!(locked_transition(&outcome), None, "{row}");
}

/// A failure at `now` that is rejected because the user is disabled.
#[track_caller]
fn fail_rejected_disabled<const R: usize>(
    account: &mut Account<R>,
    policy: &Policy,
    now: Instant,
    row: &str,
) {
    let outcome = fail(account, policy, now);
    assert_eq!(
        outcome.decision(),
        Some(Decision::Rejected(Rejection::Disabled)),
        "{row}: failure at {now} while disabled"
    );
    assert_eq!(
        outcome.transitions().counted(),
        None,
        "{row}: a rejected failure is not counted"
    );
    assert_eq!(locked_transition(&outcome), None, "{row}");
}

#[track_caller]
fn remaining<const R: usize>(account: &Account<R>, policy: &Policy, now: Instant) -> Option<u32> {
    account.failures_remaining(policy, now)
}

fn patch(json: &str) -> Patch {
    serde_json::from_str(json).expect("a valid patch")
}

fn keycloak(f: impl FnOnce(&mut Keycloak)) -> Policy {
    let mut settings = Keycloak::DEFAULT;
    f(&mut settings);
    settings.policy().expect("a valid Keycloak policy")
}

#[test]
fn base_instant_is_2026_01_01() {
    let parsed: Instant = "2026-01-01T00:00:00Z".parse().unwrap();
    assert_eq!(parsed, ms(0));
    assert_eq!(ms(0).to_string(), "2026-01-01T00:00:00.000Z");
}

// ---------------------------------------------------------------------------------------------
// Keycloak
// ---------------------------------------------------------------------------------------------

/// Keycloak's deadlines: `floor(t/1000)*1000 + wait*1000`.
fn keycloak_deadline(t: Instant, wait_seconds: i64) -> Instant {
    let ms = t.as_millis();
    Instant::from_millis(ms.div_euclid(1000) * 1000 + wait_seconds * 1000)
}

#[test]
fn keycloak_defaults() {
    // Every one of the nine settings, by its JSON name.
    let d = Keycloak::DEFAULT;
    for (field, actual, expected) in [
        ("failureFactor", u64::from(d.failure_factor), 30),
        ("waitIncrementSeconds", d.wait_increment_seconds, 60),
        ("maxFailureWaitSeconds", d.max_failure_wait_seconds, 900),
        ("maxDeltaTimeSeconds", d.max_delta_time_seconds, 43_200),
        (
            "maxTemporaryLockouts",
            u64::from(d.max_temporary_lockouts),
            0,
        ),
        (
            "quickLoginCheckMilliSeconds",
            d.quick_login_check_milli_seconds,
            1_000,
        ),
        (
            "minimumQuickLoginWaitSeconds",
            d.minimum_quick_login_wait_seconds,
            60,
        ),
    ] {
        assert_eq!(actual, expected, "default {field}");
    }
    assert_eq!(d.brute_force_strategy, BruteForceStrategy::Multiple);
    assert!(!d.permanent_lockout, "default permanentLockout");
    let from_json: Keycloak = serde_json::from_str("{}").unwrap();
    assert_eq!(from_json, Keycloak::DEFAULT);
}

/// Runs failures k = 1..=waits.len() at `(k-1)*spacing + k*111` ms, each past the previous
/// wait, and checks the wait applied by each one.
fn keycloak_wait_sequence(policy: &Policy, waits: &[i64], spacing: i64) -> Vec<(Instant, Instant)> {
    let mut account: Account = Account::new();
    let mut locks = Vec::new();
    let mut previous_unlock: Option<Instant> = None;
    for (index, &wait) in waits.iter().enumerate() {
        let k = index as i64 + 1;
        let t = ms((k - 1) * spacing + k * 111);
        if let Some(until) = previous_unlock {
            assert!(t >= until, "failure {k} must come after the previous wait");
        }
        // numFailures survives the end of a temporary lock: failures remaining before the
        // next lock is 5 - (k - 1) before the factor, then 1; but two failures at the same
        // instant lock by the quick rule, so never more than 2 (behaviour §7.6).
        let expected_remaining = if k <= 5 { (6 - k).min(2) } else { 1 } as u32;
        assert_eq!(
            remaining(&account, policy, t),
            Some(expected_remaining),
            "failures remaining before failure {k}"
        );
        if wait == 0 {
            fail_open(&mut account, policy, t, k as u32, "keycloak_wait_sequence");
            previous_unlock = None;
        } else {
            let until = keycloak_deadline(t, wait);
            let outcome = fail_lock(
                &mut account,
                policy,
                t,
                Some(until),
                "keycloak_wait_sequence",
            );
            assert_eq!(
                outcome.transitions().counted(),
                Some(k as u32),
                "numFailures after failure {k}"
            );
            // The lock's length counts from the whole second of the failure.
            assert_eq!(
                until.as_millis() - t.floor_to_second().as_millis(),
                wait * 1000,
                "wait of failure {k}"
            );
            // Still locked 1 ms before the deadline, open at it.
            let just_before = Instant::from_millis(until.as_millis() - 1);
            assert_locked(
                &account,
                just_before,
                t,
                Some(until),
                "keycloak_wait_sequence",
            );
            assert_eq!(account.view(just_before).seconds_until_unlock, Some(1));
            assert_open(&account, until, "keycloak_wait_sequence");
            locks.push((t, until));
            previous_unlock = Some(until);
        }
    }
    locks
}

#[test]
fn keycloak_multiple_waits() {
    let policy = keycloak(|k| {
        k.failure_factor = 5;
        k.wait_increment_seconds = 30;
        k.brute_force_strategy = BruteForceStrategy::Multiple;
    });
    let locks = keycloak_wait_sequence(&policy, &[0, 0, 0, 0, 30, 30, 30, 30, 30, 60], 200_000);
    assert_eq!(locks.len(), 6);
    // Failure 5 at 800.555 s: floor to 800 s, + 30 s.
    assert_eq!(locks[0].0.to_string(), "2026-01-01T00:13:20.555Z");
    assert_eq!(locks[0].1.to_string(), "2026-01-01T00:13:50.000Z");
    // Failure 10 at 1801.110 s: floor to 1801 s, + 60 s.
    assert_eq!(locks[5].0.to_string(), "2026-01-01T00:30:01.110Z");
    assert_eq!(locks[5].1.to_string(), "2026-01-01T00:31:01.000Z");
}

#[test]
fn keycloak_linear_waits() {
    let policy = keycloak(|k| {
        k.failure_factor = 5;
        k.wait_increment_seconds = 30;
        k.brute_force_strategy = BruteForceStrategy::Linear;
    });
    let locks = keycloak_wait_sequence(&policy, &[0, 0, 0, 0, 30, 60, 90, 120, 150, 180], 200_000);
    assert_eq!(locks.len(), 6);
    // Failure 5 at 800.555 s -> 830 s; failure 10 at 1801.110 s -> 1801 + 180 s.
    assert_eq!(locks[0].1.to_string(), "2026-01-01T00:13:50.000Z");
    assert_eq!(locks[5].0.to_string(), "2026-01-01T00:30:01.110Z");
    assert_eq!(locks[5].1.to_string(), "2026-01-01T00:33:01.000Z");
}

#[test]
fn keycloak_wait_capped_by_max_failure_wait() {
    // factor 1, increment 30, cap 60: MULTIPLE waits 30, 60, min(90, 60), min(120, 60).
    let policy = keycloak(|k| {
        k.failure_factor = 1;
        k.wait_increment_seconds = 30;
        k.max_failure_wait_seconds = 60;
    });
    let mut account: Account = Account::new();
    let mut t = ms(500);
    for (k, wait) in [30, 60, 60, 60].into_iter().enumerate() {
        let until = keycloak_deadline(t, wait);
        let outcome = fail_lock(
            &mut account,
            &policy,
            t,
            Some(until),
            "keycloak_wait_capped_by_max_failure_wait",
        );
        assert_eq!(outcome.transitions().counted(), Some(k as u32 + 1));
        t = Instant::from_millis(until.as_millis() + 5_250);
    }
}

#[test]
fn keycloak_zero_wait_increment_never_counts_a_temporary_lockout() {
    // waitIncrementSeconds 0: wait is 0 at every count, so no temporary lockout is ever
    // counted and (maxTemporaryLockouts 1) no permanent one follows; only the quick rule
    // can lock.
    let policy = keycloak(|k| {
        k.failure_factor = 2;
        k.wait_increment_seconds = 0;
        k.permanent_lockout = true;
        k.max_temporary_lockouts = 1;
    });
    let mut account: Account = Account::new();
    for k in 0..10_i64 {
        fail_open(
            &mut account,
            &policy,
            ms(k * 2_000),
            k as u32 + 1,
            "keycloak_zero_wait_increment_never_counts_a_temporary_lockout",
        );
    }
    // 500 ms after the previous failure: quick lock, min(60, 900) s from the whole second.
    let _ = fail_quick_lock(
        &mut account,
        &policy,
        ms(18_500),
        Some(ms(78_000)),
        "keycloak_zero_wait_increment_never_counts_a_temporary_lockout",
    );
}

#[test]
fn keycloak_failures_while_locked_are_rejected() {
    let policy = keycloak(|k| {
        k.failure_factor = 2;
        k.wait_increment_seconds = 30;
    });
    let mut account: Account = Account::new();
    fail_open(
        &mut account,
        &policy,
        ms(0),
        1,
        "keycloak_failures_while_locked_are_rejected",
    );
    let _ = fail_lock(
        &mut account,
        &policy,
        ms(5_000),
        Some(ms(35_000)),
        "keycloak_failures_while_locked_are_rejected",
    );
    let before = account;
    let mut probe = account;
    fail_rejected_locked(
        &mut probe,
        &policy,
        ms(6_000),
        Some(ms(35_000)),
        "keycloak_failures_while_locked_are_rejected",
    );
    fail_rejected_locked(
        &mut probe,
        &policy,
        ms(34_999),
        Some(ms(35_000)),
        "keycloak_failures_while_locked_are_rejected",
    );
    // Only last_seen moved: after the same event at the same instant, the states are equal.
    let mut reference = before;
    let _ = probe.success(&policy, ms(34_999));
    let _ = reference.success(&policy, ms(34_999));
    assert_eq!(probe, reference);
    // numFailures is 2, not 4: the next failure waits 30 * floor(3/2) = 30 s, not 60 s.
    let outcome = fail_lock(
        &mut probe,
        &policy,
        ms(40_000),
        Some(ms(70_000)),
        "keycloak_failures_while_locked_are_rejected",
    );
    assert_eq!(outcome.transitions().counted(), Some(3));
}

// ---------------------------------------------------------------------------------------------
// Android Gatekeeper
// ---------------------------------------------------------------------------------------------

/// The classic AOSP schedule of behaviour §5, in seconds.
fn gatekeeper_timeout(n: u32) -> i64 {
    if n <= 10 {
        if n.is_multiple_of(5) { 30 } else { 0 }
    } else if n < 30 {
        30
    } else if n < 140 {
        30_i64 << ((n - 30) / 10)
    } else {
        86_400
    }
}

/// The first failure count after `n` whose timeout is not 0.
fn gatekeeper_next_locking(n: u32) -> u32 {
    (n + 1..).find(|&m| gatekeeper_timeout(m) > 0).unwrap()
}

#[test]
fn android_gatekeeper_schedule() {
    let policy = AndroidGatekeeper {}.policy().unwrap();
    let mut account: Account = Account::new();
    let mut t = ms(123);
    let mut seen = Vec::new();
    for n in 1..=1000_u32 {
        assert_eq!(
            remaining(&account, &policy, t),
            Some(gatekeeper_next_locking(n - 1) - (n - 1)),
            "failures remaining before failure {n}"
        );
        let timeout = gatekeeper_timeout(n);
        if timeout == 0 {
            fail_open(&mut account, &policy, t, n, "android_gatekeeper_schedule");
            t = Instant::from_millis(t.as_millis() + 1_001);
        } else {
            // No flooring: the lock ends at now + T exactly.
            let until = Instant::from_millis(t.as_millis() + timeout * SECOND);
            let outcome = fail_lock(
                &mut account,
                &policy,
                t,
                Some(until),
                "android_gatekeeper_schedule",
            );
            assert_eq!(outcome.transitions().counted(), Some(n), "failureCounter");
            let just_before = Instant::from_millis(until.as_millis() - 1);
            assert_locked(
                &account,
                just_before,
                t,
                Some(until),
                "android_gatekeeper_schedule",
            );
            assert_open(&account, until, "android_gatekeeper_schedule");
            if n <= 145 || n == 1000 {
                seen.push((n, off(until) - off(t)));
            }
            // The next failure exactly at the deadline, or 1 or 2 ms after it.
            t = Instant::from_millis(until.as_millis() + i64::from(n % 3));
        }
    }
    // Spot checks with literal values.
    let lock_of = |n: u32| seen.iter().find(|(m, _)| *m == n).map(|(_, ms)| *ms);
    assert_eq!(lock_of(4), None);
    assert_eq!(lock_of(5), Some(30_000));
    assert_eq!(lock_of(6), None);
    assert_eq!(lock_of(9), None);
    assert_eq!(lock_of(10), Some(30_000));
    assert_eq!(lock_of(11), Some(30_000));
    assert_eq!(lock_of(29), Some(30_000));
    assert_eq!(lock_of(39), Some(30_000));
    assert_eq!(lock_of(40), Some(60_000));
    assert_eq!(lock_of(139), Some(30_720_000));
    assert_eq!(lock_of(140), Some(86_400_000));
    assert_eq!(lock_of(145), Some(86_400_000));
    assert_eq!(lock_of(1000), Some(86_400_000));
    // Every n in 1..=145 with T(n) > 0 locked.
    let locked_count = seen.iter().filter(|(n, _)| *n <= 145).count();
    assert_eq!(locked_count, 2 + (145 - 10));
}

#[test]
fn android_gatekeeper_success_clears() {
    let policy = AndroidGatekeeper {}.policy().unwrap();
    let mut account: Account = Account::new();
    for k in 1..=4 {
        fail_open(
            &mut account,
            &policy,
            s(k),
            k as u32,
            "android_gatekeeper_success_clears",
        );
    }
    assert!(allowed(&account.success(&policy, s(5))));
    assert_eq!(remaining(&account, &policy, s(6)), Some(5));
    for k in 1..=4 {
        fail_open(
            &mut account,
            &policy,
            s(5 + k),
            k as u32,
            "android_gatekeeper_success_clears",
        );
    }
    let _ = fail_lock(
        &mut account,
        &policy,
        s(10),
        Some(s(40)),
        "android_gatekeeper_success_clears",
    );

    // After 20 failures, a success: the next failure is failure 1 again (T = 0).
    let mut account: Account = Account::new();
    let mut t = s(0);
    for n in 1..=20 {
        let _ = fail(&mut account, &policy, t);
        t = Instant::from_millis(t.as_millis() + gatekeeper_timeout(n) * SECOND + 1);
    }
    let _ = account.success(&policy, t);
    fail_open(
        &mut account,
        &policy,
        t,
        1,
        "android_gatekeeper_success_clears",
    );
}

// ---------------------------------------------------------------------------------------------
// Active Directory
// ---------------------------------------------------------------------------------------------

#[test]
fn active_directory_observation_window() {
    let policy = active_directory(3, 1_800, 900);
    let mut account: Account = Account::new();
    fail_open(
        &mut account,
        &policy,
        ms(250),
        1,
        "active_directory_observation_window",
    );
    // gap == window: the count continues.
    fail_open(
        &mut account,
        &policy,
        ms(900_250),
        2,
        "active_directory_observation_window",
    );
    // gap > window (by 1 ms): the count becomes 1.
    assert_eq!(remaining(&account, &policy, ms(1_800_251)), Some(3));
    fail_open(
        &mut account,
        &policy,
        ms(1_800_251),
        1,
        "active_directory_observation_window",
    );
    assert_eq!(remaining(&account, &policy, ms(2_700_251)), Some(2));
    fail_open(
        &mut account,
        &policy,
        ms(2_700_251),
        2,
        "active_directory_observation_window",
    );
    assert_eq!(remaining(&account, &policy, ms(2_701_999)), Some(1));
    let t = ms(2_701_999);
    let outcome = fail_lock(
        &mut account,
        &policy,
        t,
        Some(ms(2_701_999 + 1_800_000)),
        "active_directory_observation_window",
    );
    assert_eq!(outcome.transitions().counted(), Some(3));
    assert_eq!(t.to_string(), "2026-01-01T00:45:01.999Z");
    assert_eq!(
        account.view(t).unlock_at.unwrap().to_string(),
        "2026-01-01T01:15:01.999Z"
    );
    assert_eq!(account.view(t).seconds_until_unlock, Some(1_800));
    assert_eq!(
        account.view(ms(2_702_000)).seconds_until_unlock,
        Some(1_800)
    );
    assert_eq!(
        account.view(ms(2_702_999)).seconds_until_unlock,
        Some(1_799)
    );
}

// ---------------------------------------------------------------------------------------------
// pam_faillock
// ---------------------------------------------------------------------------------------------

#[test]
fn pam_faillock_defaults() {
    assert_eq!(
        PamFaillock::DEFAULT,
        PamFaillock {
            deny: 3,
            fail_interval: 900,
            unlock_time: 600
        }
    );
    assert_eq!(PamFaillock::default(), PamFaillock::DEFAULT);
    let from_json: PamFaillock = serde_json::from_str("{}").unwrap();
    assert_eq!(from_json, PamFaillock::DEFAULT);

    // Default behaviour: 3 failures within 900 s lock for 600 s.
    let policy = PamFaillock::DEFAULT.policy().unwrap();
    let mut account: Account<3> = Account::new();
    fail_open(&mut account, &policy, s(0), 1, "pam_faillock_defaults");
    fail_open(&mut account, &policy, s(400), 2, "pam_faillock_defaults");
    let _ = fail_lock(
        &mut account,
        &policy,
        ms(899_999),
        Some(ms(1_499_999)),
        "pam_faillock_defaults",
    );
}

#[test]
fn pam_faillock_sliding_window() {
    let policy = pam(3, 900, 600);

    // now - t >= failInterval drops: the failure at 0 is dropped by the one at 900 s.
    let mut account: Account<3> = Account::new();
    fail_open(
        &mut account,
        &policy,
        s(0),
        1,
        "pam_faillock_sliding_window",
    );
    fail_open(
        &mut account,
        &policy,
        s(300),
        2,
        "pam_faillock_sliding_window",
    );
    assert_eq!(remaining(&account, &policy, s(900)), Some(2));
    fail_open(
        &mut account,
        &policy,
        s(900),
        2,
        "pam_faillock_sliding_window",
    );
    // 300 and 900 are kept (1000 - 300 = 700 < 900): the 3rd within the window locks for
    // unlockTime from this failure.
    assert_eq!(remaining(&account, &policy, s(1_000)), Some(1));
    let outcome = fail_lock(
        &mut account,
        &policy,
        s(1_000),
        Some(s(1_600)),
        "pam_faillock_sliding_window",
    );
    assert_eq!(outcome.transitions().counted(), Some(3));
    assert_eq!(
        account.view(s(1_000)).unlock_at.unwrap().to_string(),
        "2026-01-01T00:26:40.000Z"
    );

    // The window 1 ms wider, and two old failures falling out at once: rows of
    // [`scenarios`].
}

#[test]
fn pam_faillock_deny_limits() {
    // deny 16 is supported with an Account<16>: the 16th failure within the window locks.
    let policy = pam(16, 900, 600);
    let mut account: Account<16> = Account::new();
    for k in 1..=15 {
        fail_open(
            &mut account,
            &policy,
            s(k),
            k as u32,
            "pam_faillock_deny_limits",
        );
    }
    let _ = fail_lock(
        &mut account,
        &policy,
        s(16),
        Some(s(616)),
        "pam_faillock_deny_limits",
    );
}

#[test]
fn pam_faillock_account_too_small() {
    let policy = PamFaillock::DEFAULT.policy().unwrap();
    let mut account: Account<2> = Account::new();
    let before = account;
    let error = account
        .failure(&policy, s(0), None)
        .expect_err("Account<2> cannot keep 3 failure times");
    assert_eq!(
        error,
        CapacityError {
            records_needed: 3,
            records: 2,
            memory_needed: 0,
            memory: 0,
            attempts_needed: 8,
            attempts: 8,
        }
    );
    assert_eq!(account, before, "a refused failure changes nothing");
    assert_eq!(account.last_seen(), Instant::MIN);
    assert_open(&account, s(0), "pam_faillock_account_too_small");
}

// ---------------------------------------------------------------------------------------------
// TPM
// ---------------------------------------------------------------------------------------------

#[test]
fn tpm_defaults() {
    assert_eq!(
        Tpm::DEFAULT,
        Tpm {
            max_tries: 3,
            recovery_time: 1_000
        }
    );
}

// ---------------------------------------------------------------------------------------------
// PingOne
// ---------------------------------------------------------------------------------------------

#[test]
fn pingone_count_has_no_window() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(remaining(&account, &policy, ms(0)), Some(3));
    fail_open(
        &mut account,
        &policy,
        ms(0),
        1,
        "pingone_count_has_no_window",
    );
    assert_eq!(remaining(&account, &policy, ms(10 * DAY)), Some(2));
    fail_open(
        &mut account,
        &policy,
        ms(10 * DAY),
        2,
        "pingone_count_has_no_window",
    );
    assert_eq!(remaining(&account, &policy, ms(400 * DAY + 777)), Some(1));
    let t = ms(400 * DAY + 777);
    let outcome = fail_lock(
        &mut account,
        &policy,
        t,
        Some(ms(400 * DAY + 777 + 900_000)),
        "pingone_count_has_no_window",
    );
    assert_eq!(outcome.transitions().counted(), Some(3));
    assert_eq!(t.to_string(), "2027-02-05T00:00:00.777Z");
    assert_eq!(
        account.view(t).unlock_at.unwrap().to_string(),
        "2027-02-05T00:15:00.777Z"
    );
    assert_eq!(account.view(t).seconds_until_unlock, Some(900));
    assert_eq!(
        serde_json::to_string(&account.view(ms(400 * DAY + 777 + 1))).unwrap(),
        r#"{"canAuthenticate":false,"lockedAt":"2027-02-05T00:00:00.777Z","secondsUntilUnlock":900,"status":"LOCKED","unlockAt":"2027-02-05T00:15:00.777Z"}"#
    );
}

#[test]
fn pingone_admin_only_lock_without_duration() {
    let policy = pingone(2, None);
    let mut account: Account = Account::new();
    fail_open(
        &mut account,
        &policy,
        s(0),
        1,
        "pingone_admin_only_lock_without_duration",
    );
    let outcome = fail_lock(
        &mut account,
        &policy,
        s(1),
        None,
        "pingone_admin_only_lock_without_duration",
    );
    assert_eq!(outcome.transitions().counted(), Some(2));
    assert_eq!(
        serde_json::to_string(&account.view(s(1))).unwrap(),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:01.000Z","status":"LOCKED"}"#
    );
    let century = ms(SECOND + 100 * YEAR);
    assert_locked(
        &account,
        century,
        s(1),
        None,
        "pingone_admin_only_lock_without_duration",
    );
    fail_rejected_locked(
        &mut account,
        &policy,
        century,
        None,
        "pingone_admin_only_lock_without_duration",
    );
    assert!(matches!(
        account.success(&policy, century).decision(),
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: None,
            ..
        }))
    ));
    let outcome = account.unlock(&policy, century);
    assert_eq!(
        unlocked_transition(&outcome),
        Some((century, UnlockCause::Administrator))
    );
    assert_open(
        &account,
        century,
        "pingone_admin_only_lock_without_duration",
    );
    fail_open(
        &mut account,
        &policy,
        ms(2 * SECOND + 100 * YEAR),
        1,
        "pingone_admin_only_lock_without_duration",
    );
}

#[test]
fn pingone_failures_while_locked_or_disabled_are_rejected() {
    let policy = pingone(3, Some(60));
    let mut account: Account = Account::new();
    fail_open(
        &mut account,
        &policy,
        s(0),
        1,
        "pingone_failures_while_locked_or_disabled_are_rejected",
    );
    fail_open(
        &mut account,
        &policy,
        s(1),
        2,
        "pingone_failures_while_locked_or_disabled_are_rejected",
    );
    let _ = fail_lock(
        &mut account,
        &policy,
        s(2),
        Some(s(62)),
        "pingone_failures_while_locked_or_disabled_are_rejected",
    );
    let reference = account;
    for second in [3, 30, 61] {
        fail_rejected_locked(
            &mut account,
            &policy,
            s(second),
            Some(s(62)),
            "pingone_failures_while_locked_or_disabled_are_rejected",
        );
    }
    // Nothing but last_seen moved.
    let mut reference = reference;
    let _ = reference.success(&policy, s(61));
    let _ = account.success(&policy, s(61));
    assert_eq!(account, reference);
    fail_open(
        &mut account,
        &policy,
        s(62),
        1,
        "pingone_failures_while_locked_or_disabled_are_rejected",
    );

    // Disabled.
    let mut account: Account = Account::new();
    fail_open(
        &mut account,
        &policy,
        s(0),
        1,
        "pingone_failures_while_locked_or_disabled_are_rejected",
    );
    let _ = account
        .patch(&policy, s(1), &patch(r#"{"canAuthenticate":false}"#))
        .unwrap();
    let view = account.view(s(1));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);
    let reference = account;
    // At the instant of the patch: nothing at all changes.
    fail_rejected_disabled(
        &mut account,
        &policy,
        s(1),
        "pingone_failures_while_locked_or_disabled_are_rejected",
    );
    assert_eq!(account, reference);
    for second in [2, 3, 4, 5] {
        fail_rejected_disabled(
            &mut account,
            &policy,
            s(second),
            "pingone_failures_while_locked_or_disabled_are_rejected",
        );
    }
    assert_eq!(account.failure_count(&policy, s(6)), 1);
    assert_eq!(account.view(s(6)).status, Status::Ok);
}

// ---------------------------------------------------------------------------------------------
// Scenarios as rows: (name, records the account keeps, policy, steps)
// ---------------------------------------------------------------------------------------------

/// One event of a scenario and what it answers, or one check of the state it leaves.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A failure that is allowed, counted to `.1`, and does not lock ([`fail_open`]).
    Open(Instant, u32),
    /// A counted failure that locks by the policy until `.1` ([`fail_lock`]).
    Lock(Instant, Option<Instant>),
    /// A counted failure that starts a quick-failure lock until `.1`.
    QuickLock(Instant, Option<Instant>),
    /// A failure rejected as locked until `.1`, not counted.
    RejectedLocked(Instant, Option<Instant>),
    /// A failure rejected because the user is disabled, not counted.
    RejectedDisabled(Instant),
    /// A failure, whatever it answers.
    Fail(Instant),
    Success(Instant),
    Unlock(Instant),
    /// `{"canAuthenticate":false}`.
    Disable(Instant),
    /// The previous event counted the failures to this.
    Counted(u32),
    /// The previous event's `Unlocked` transition.
    Unlocked(Instant, UnlockCause),
    /// The previous event started no lock.
    NoLock,
    /// The previous event was allowed.
    Allowed,
    /// The previous event was rejected as locked until this.
    WasRejectedLocked(Option<Instant>),
    /// `failures_remaining` at the instant.
    Remaining(Instant, Option<u32>),
    /// The policy's failure count at the instant.
    Count(Instant, u32),
    /// `check` at the instant is allowed.
    CheckAllowed(Instant),
    /// The view at `.0` is `LOCKED` since `.1` until `.2`.
    Locked(Instant, Instant, Option<Instant>),
    /// The view at the instant is `OK`.
    Opened(Instant),
    /// The view's `secondsUntilUnlock` at the instant.
    SecondsLeft(Instant, u64),
}

/// Runs `steps` on a new `Account<R>` under `policy`; every message names `row` and the step.
fn run<const R: usize>(row: &str, policy: &Policy, steps: &[Step]) -> Account<R> {
    use Step::*;
    let mut account = Account::<R>::new();
    let mut last: Option<Outcome> = None;
    for (index, &step) in steps.iter().enumerate() {
        let row = format!("{row}, step {index} {step:?}");
        let row = row.as_str();
        let previous = || last.expect("a step that reads the previous event");
        match step {
            Open(now, count) => fail_open(&mut account, policy, now, count, row),
            Lock(now, until) => last = Some(fail_lock(&mut account, policy, now, until, row)),
            QuickLock(now, until) => {
                last = Some(fail_quick_lock(&mut account, policy, now, until, row));
            }
            RejectedLocked(now, until) => {
                fail_rejected_locked(&mut account, policy, now, until, row)
            }
            RejectedDisabled(now) => fail_rejected_disabled(&mut account, policy, now, row),
            Fail(now) => last = Some(fail(&mut account, policy, now)),
            Success(now) => last = Some(account.success(policy, now)),
            Unlock(now) => last = Some(account.unlock(policy, now)),
            Disable(now) => {
                last = Some(
                    account
                        .patch(policy, now, &patch(r#"{"canAuthenticate":false}"#))
                        .unwrap(),
                );
            }
            Counted(count) => assert_eq!(previous().transitions().counted(), Some(count), "{row}"),
            Unlocked(at, cause) => {
                assert_eq!(unlocked_transition(&previous()), Some((at, cause)), "{row}")
            }
            NoLock => assert_eq!(locked_transition(&previous()), None, "{row}"),
            Allowed => assert_eq!(previous().decision(), Some(Decision::Allowed), "{row}"),
            WasRejectedLocked(until) => assert!(
                matches!(
                    previous().decision(),
                    Some(Decision::Rejected(Rejection::Locked { unlock_at, .. }))
                        if unlock_at == until
                ),
                "{row}: {:?}",
                previous().decision()
            ),
            Remaining(now, expected) => {
                assert_eq!(account.failures_remaining(policy, now), expected, "{row}")
            }
            Count(now, expected) => {
                assert_eq!(account.failure_count(policy, now), expected, "{row}")
            }
            CheckAllowed(now) => assert_eq!(
                account.check(policy, now).decision(),
                Some(Decision::Allowed),
                "{row}"
            ),
            Locked(now, since, until) => assert_locked(&account, now, since, until, row),
            Opened(now) => assert_open(&account, now, row),
            SecondsLeft(now, seconds) => assert_eq!(
                account.view(now).seconds_until_unlock,
                Some(seconds),
                "{row}"
            ),
        }
    }
    account
}

/// Keycloak with `failureFactor` 5 and `waitIncrementSeconds` 30, MULTIPLE or LINEAR.
fn keycloak_5_30(strategy: BruteForceStrategy) -> Policy {
    keycloak(|k| {
        k.failure_factor = 5;
        k.wait_increment_seconds = 30;
        k.brute_force_strategy = strategy;
    })
}

/// Keycloak with the factor, the increment, `permanentLockout` and `maxTemporaryLockouts`.
fn keycloak_permanent(factor: u32, increment: u64, permanent: bool, temporary: u32) -> Policy {
    keycloak(|k| {
        k.failure_factor = factor;
        k.wait_increment_seconds = increment;
        k.permanent_lockout = permanent;
        k.max_temporary_lockouts = temporary;
    })
}

/// The scenarios: (name, records the account keeps, policy, steps). Expected values are
/// derived from docs/behaviour.md.
fn scenarios() -> Vec<(&'static str, usize, Policy, Vec<Step>)> {
    use BruteForceStrategy::{Linear, Multiple};
    use Step::*;
    use UnlockCause::{Administrator, Expired};
    // Quick-login waits: min(60, maxFailureWaitSeconds 20) unless in pure permanent mode.
    let quick_capped = |increment, permanent, temporary| {
        keycloak(|k| {
            k.failure_factor = 5;
            k.wait_increment_seconds = increment;
            k.max_failure_wait_seconds = 20;
            k.minimum_quick_login_wait_seconds = 60;
            k.permanent_lockout = permanent;
            k.max_temporary_lockouts = temporary;
        })
    };
    let max_delta_100 = |k: &mut Keycloak| {
        k.wait_increment_seconds = 30;
        k.max_delta_time_seconds = 100;
    };
    // permanentLockout with maxTemporaryLockouts 1 and a reset window of 100 s.
    let reset_temporary = keycloak(|k| {
        max_delta_100(k);
        k.failure_factor = 2;
        k.permanent_lockout = true;
        k.max_temporary_lockouts = 1;
    });
    vec![
        // factor 5 MULTIPLE: no wait before the 5th failure, so only the quick rule can
        // lock. 999 ms later (< 1000): a quick lock, 60 s from the whole second 11 s; 59.601 s
        // later: not quick; exactly quickLoginCheckMilliSeconds later: not quick (delta <
        // 1000 is required); the 5th failure, 0.5 s later: the MULTIPLE wait (30 s) applies.
        (
            "Keycloak quick login, MULTIPLE",
            0,
            keycloak_5_30(Multiple),
            vec![
                Open(ms(10_400), 1),
                QuickLock(ms(11_399), Some(ms(71_000))),
                Counted(2),
                SecondsLeft(ms(11_399), 60),
                Opened(ms(71_000)),
                Open(ms(71_000), 3),
                Open(ms(72_000), 4),
                Lock(ms(72_500), Some(ms(102_000))),
                Counted(5),
            ],
        ),
        // LINEAR: wait = 30 * (1 + 2 - 5) < 0 before the factor, so the quick rule applies.
        (
            "Keycloak quick login, LINEAR",
            0,
            keycloak_5_30(Linear),
            vec![Open(ms(3_000), 1), QuickLock(ms(3_000), Some(ms(63_000)))],
        ),
        (
            "Keycloak: the first failure ever is never quick",
            0,
            keycloak_5_30(Multiple),
            vec![Open(ms(0), 1)],
        ),
        (
            "Keycloak quick wait, temporary mode: capped to 20 s",
            0,
            quick_capped(30, false, 0),
            vec![Open(ms(500), 1), QuickLock(ms(700), Some(ms(20_000)))],
        ),
        (
            "Keycloak quick wait, permanentLockout with maxTemporaryLockouts 2: capped",
            0,
            quick_capped(30, true, 2),
            vec![Open(ms(500), 1), QuickLock(ms(700), Some(ms(20_000)))],
        ),
        (
            "Keycloak quick wait, pure permanent mode: not capped (60 s)",
            0,
            quick_capped(Keycloak::DEFAULT.wait_increment_seconds, true, 0),
            vec![Open(ms(500), 1), QuickLock(ms(700), Some(ms(60_000)))],
        ),
        // gap == window: continues; gap = window + 1 ms: restarts, the count becomes 1 (the
        // 3rd failure does not lock), but a second failure at that instant would lock by the
        // quick rule (behaviour §7.6).
        (
            "Keycloak maxDeltaTimeSeconds resets numFailures",
            0,
            keycloak(|k| {
                max_delta_100(k);
                k.failure_factor = 3;
            }),
            vec![
                Open(ms(0), 1),
                Remaining(ms(100_000), Some(2)),
                Open(ms(100_000), 2),
                Remaining(ms(200_001), Some(2)),
                Open(ms(200_001), 1),
                Open(ms(300_001), 2),
                Lock(ms(301_001), Some(ms(331_000))),
            ],
        ),
        // Without a reset: failure 2 is temporary lock #1, failure 3 (wait 30*floor(3/2) > 0)
        // would be #2 > 1: permanent.
        (
            "Keycloak maxTemporaryLockouts 1 without a reset",
            0,
            reset_temporary,
            vec![
                Open(ms(0), 1),
                Lock(ms(2_000), Some(ms(32_000))),
                Lock(ms(50_000), None),
                Locked(ms(50_000 + 100 * YEAR), ms(50_000), None),
            ],
        ),
        // With a reset (gap 100.001 s > 100 s) before failure 3: numFailures and
        // numTemporaryLockouts restart, so failure 4 is temporary lock #1 again, and the next
        // one is #2: permanent.
        (
            "Keycloak maxDeltaTimeSeconds resets numTemporaryLockouts",
            0,
            reset_temporary,
            vec![
                Open(ms(0), 1),
                Lock(ms(2_000), Some(ms(32_000))),
                Open(ms(102_001), 1),
                Lock(ms(104_001), Some(ms(134_000))),
                Lock(ms(134_000), None),
            ],
        ),
        // No waits before the factor; no reset window (failures 13.9 h apart still count).
        // No deadline: still locked a century later, failures rejected. An administrator
        // unlock ends it and clears the history; fresh, two failures at one instant would
        // lock by the quick rule (behaviour §7.6).
        (
            "Keycloak permanentLockout",
            0,
            keycloak_permanent(3, Keycloak::DEFAULT.wait_increment_seconds, true, 0),
            vec![
                Open(ms(0), 1),
                Remaining(ms(50_000 * SECOND), Some(2)),
                Open(ms(50_000 * SECOND), 2),
                Lock(ms(100_000 * SECOND + 321), None),
                Counted(3),
                Locked(ms(100 * YEAR), ms(100_000 * SECOND + 321), None),
                RejectedLocked(ms(100 * YEAR), None),
                Unlock(ms(100 * YEAR + 1)),
                Opened(ms(100 * YEAR + 1)),
                Remaining(ms(100 * YEAR + 2), Some(2)),
                Open(ms(100 * YEAR + 2_000), 1),
            ],
        ),
        // maxTemporaryLockouts 2: temporary locks #1 and #2, then #3 is permanent.
        (
            "Keycloak permanent after 2 temporary locks",
            0,
            keycloak_permanent(3, 30, true, 2),
            vec![
                Open(ms(1_250), 1),
                Open(ms(101_250), 2),
                Lock(ms(201_250), Some(ms(231_000))),
                Lock(ms(301_250), Some(ms(331_000))),
                Lock(ms(401_250), None),
                Counted(5),
                Locked(ms(401_250 + 10 * YEAR), ms(401_250), None),
            ],
        ),
        // Quick locks are not temporary lockouts: with maxTemporaryLockouts 1, a quick lock
        // before the factor does not use up the one temporary lock.
        (
            "Keycloak: a quick lock is not a temporary lockout",
            0,
            keycloak_permanent(3, 30, true, 1),
            vec![
                Open(ms(0), 1),
                QuickLock(ms(500), Some(ms(60_000))),
                Lock(ms(100_000), Some(ms(130_000))),
                Lock(ms(200_000), None),
            ],
        ),
        // The lock ended by itself; numFailures is still 3, so the next failure locks again.
        (
            "Keycloak numFailures survive a temporary lock",
            0,
            keycloak_permanent(3, 30, false, 0),
            vec![
                Open(ms(0), 1),
                Open(ms(10_000), 2),
                Lock(ms(20_000), Some(ms(50_000))),
                Opened(ms(50_000)),
                Remaining(ms(50_000), Some(1)),
                Lock(ms(50_000), Some(ms(80_000))),
                Counted(4),
                Unlocked(ms(50_000), Expired),
            ],
        ),
        // The count is cleared: 3 by the count, 2 by the quick rule (behaviour §7.6);
        // lastFailure is cleared too: a failure 0.1 s after the success is not a quick one.
        (
            "Keycloak success clears numFailures and lastFailure",
            0,
            keycloak_permanent(3, 30, false, 0),
            vec![
                Open(ms(0), 1),
                Open(ms(10_000), 2),
                Success(ms(10_100)),
                Allowed,
                Remaining(ms(10_100), Some(2)),
                Open(ms(10_200), 1),
                Open(ms(20_000), 2),
                Lock(ms(30_000), Some(ms(60_000))),
            ],
        ),
        // numTemporaryLockouts is cleared: with maxTemporaryLockouts 1, a success between two
        // temporary locks keeps the second one temporary; without one, the next is permanent.
        (
            "Keycloak success clears numTemporaryLockouts",
            0,
            keycloak_permanent(1, 30, true, 1),
            vec![
                Lock(ms(0), Some(ms(30_000))),
                Success(ms(30_000)),
                Lock(ms(40_000), Some(ms(70_000))),
                Lock(ms(70_000), None),
            ],
        ),
        // maxFailureWaitSeconds 0: the capped wait gives a deadline floor(t) + 0 <= t, so no
        // lock is in effect, but the temporary lockout is counted: the 2nd is permanent.
        (
            "Keycloak maxFailureWaitSeconds 0 still counts temporary lockouts",
            0,
            keycloak(|k| {
                k.failure_factor = 1;
                k.wait_increment_seconds = 30;
                k.max_failure_wait_seconds = 0;
                k.permanent_lockout = true;
                k.max_temporary_lockouts = 1;
            }),
            vec![Open(ms(500), 1), Lock(ms(2_500), None)],
        ),
        // The counter is 5 after the lock: failures 6..=9 do not lock, failure 10 does.
        (
            "Android Gatekeeper rejects failures while locked",
            0,
            AndroidGatekeeper {}.policy().unwrap(),
            vec![
                Open(s(1), 1),
                Open(s(2), 2),
                Open(s(3), 3),
                Open(s(4), 4),
                Lock(s(5), Some(s(35))),
                RejectedLocked(s(6), Some(s(35))),
                RejectedLocked(s(20), Some(s(35))),
                RejectedLocked(s(34), Some(s(35))),
                Open(s(36), 6),
                Open(s(37), 7),
                Open(s(38), 8),
                Open(s(39), 9),
                Lock(s(40), Some(s(70))),
            ],
        ),
        (
            "Active Directory lockoutDuration 0 is admin-only",
            0,
            active_directory(2, 0, 900),
            vec![
                Open(s(1), 1),
                Lock(s(2), None),
                Locked(s(2), s(2), None),
                Locked(ms(2_000 + 100 * YEAR), s(2), None),
                RejectedLocked(ms(2_000 + 100 * YEAR), None),
                Unlock(ms(3_000 + 100 * YEAR)),
                Opened(ms(3_000 + 100 * YEAR)),
                Open(ms(4_000 + 100 * YEAR), 1),
            ],
        ),
        // duration == window: the failure at the end of the lock is exactly `window` after the
        // previous one, so only the lock-end rule can restart the count.
        (
            "Active Directory count restarts after the lock ends",
            0,
            active_directory(3, 900, 900),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Lock(s(2), Some(s(902))),
                Locked(ms(901_999), s(2), Some(s(902))),
                Opened(s(902)),
                Remaining(s(902), Some(3)),
                Fail(s(902)),
                Counted(1),
                Unlocked(s(902), Expired),
                Opened(s(902)),
                Open(s(903), 2),
                Lock(s(904), Some(s(1_804))),
            ],
        ),
        (
            "Active Directory success clears; failures while locked are rejected",
            0,
            active_directory(3, 600, 300),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Success(s(2)),
                Remaining(s(2), Some(3)),
                Open(s(3), 1),
                Open(s(4), 2),
                Lock(s(5), Some(s(605))),
                RejectedLocked(s(6), Some(s(605))),
                RejectedLocked(s(300), Some(s(605))),
                RejectedLocked(s(604), Some(s(605))),
                Opened(s(605)),
                Open(s(605), 1),
            ],
        ),
        // 1 ms inside the window: all three count.
        (
            "pam_faillock: three failures 1 ms inside the window lock",
            3,
            pam(3, 900, 600),
            vec![
                Open(s(0), 1),
                Open(s(300), 2),
                Lock(ms(899_999), Some(ms(1_499_999))),
            ],
        ),
        (
            "pam_faillock: two old failures fall out at once",
            16,
            pam(3, 900, 600),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Open(s(901), 1),
                Open(s(1_000), 2),
                Lock(s(1_800), Some(s(2_400))),
            ],
        ),
        // All three are still within failInterval of 620 s, but the lock ended by itself:
        // every kept failure is dropped first, so the failure at 620 s counts as 1.
        (
            "pam_faillock flushes after the lock ends",
            3,
            pam(3, 900, 600),
            vec![
                Open(s(0), 1),
                Open(s(10), 2),
                Lock(s(20), Some(s(620))),
                Locked(ms(619_999), s(20), Some(s(620))),
                Opened(s(620)),
                Remaining(s(620), Some(3)),
                Fail(s(620)),
                Counted(1),
                NoLock,
                Opened(s(620)),
                Open(s(621), 2),
                Lock(s(622), Some(s(1_222))),
            ],
        ),
        // Were the rejected failures counted, the newest failure would move and the lock
        // would last longer.
        (
            "pam_faillock rejects failures while locked",
            3,
            pam(3, 900, 600),
            vec![
                Open(s(0), 1),
                Open(s(10), 2),
                Lock(s(20), Some(s(620))),
                RejectedLocked(s(21), Some(s(620))),
                RejectedLocked(s(300), Some(s(620))),
                RejectedLocked(s(619), Some(s(620))),
                Locked(ms(619_999), s(20), Some(s(620))),
                Opened(s(620)),
                Open(s(620), 1),
            ],
        ),
        (
            "pam_faillock unlockTime 0 is admin-only",
            3,
            pam(3, 900, 0),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Lock(s(2), None),
                Locked(ms(2_000 + 100 * YEAR), s(2), None),
                RejectedLocked(ms(2_000 + YEAR), None),
                Unlock(ms(3_000 + YEAR)),
                Opened(ms(3_000 + YEAR)),
                Open(ms(4_000 + YEAR), 1),
            ],
        ),
        // failedTries 3 >= maxTries; selfHealTimer = 20.5 s: the lock ends at 120.5 s. Then one
        // step healed: failedTries 2, one failure left.
        (
            "TPM lock ends at selfHealTimer + recoveryTime",
            0,
            tpm(3, 100),
            vec![
                Remaining(s(0), Some(3)),
                Open(s(0), 1),
                Open(s(10), 2),
                Remaining(ms(20_500), Some(1)),
                Lock(ms(20_500), Some(ms(120_500))),
                Locked(ms(120_499), ms(20_500), Some(ms(120_500))),
                SecondsLeft(ms(120_499), 1),
                Opened(ms(120_500)),
                Count(ms(120_500), 2),
                Remaining(ms(120_500), Some(1)),
                Lock(ms(120_500), Some(ms(220_500))),
                Counted(3),
            ],
        ),
        // selfHealTimer = 50 s: one try heals at 150 s, the next at 250 s. A failure at 150 s
        // builds on the healed count: 1 + 1 = 2, timer = 150 s. One more, 10 s later (nothing
        // healed): 3 >= maxTries, locked until 160 s + 100 s.
        (
            "TPM self-healing",
            0,
            tpm(3, 100),
            vec![
                Open(s(0), 1),
                Open(s(50), 2),
                Count(ms(149_999), 2),
                Count(s(150), 1),
                Count(ms(249_999), 1),
                Count(s(250), 0),
                Count(s(10_000), 0),
                Remaining(ms(149_999), Some(1)),
                Remaining(s(150), Some(2)),
                Remaining(s(250), Some(3)),
                Fail(s(150)),
                Counted(2),
                Count(ms(249_999), 2),
                Count(s(250), 1),
                Lock(s(160), Some(s(260))),
            ],
        ),
        // The success did not move selfHealTimer either: healing still counts from 1 s.
        (
            "TPM success does not reset",
            0,
            tpm(3, 100),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Success(s(2)),
                Allowed,
                Remaining(s(2), Some(1)),
                Count(s(2), 2),
                Remaining(s(3), Some(1)),
                Count(s(101), 1),
                Lock(s(3), Some(s(103))),
            ],
        ),
        (
            "TPM administrator unlock sets the count to 0",
            0,
            tpm(3, 100),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Lock(s(2), Some(s(102))),
                Unlock(s(30)),
                Unlocked(s(30), Administrator),
                Opened(s(30)),
                Count(s(30), 0),
                Remaining(s(30), Some(3)),
                Open(s(31), 1),
                Open(s(32), 2),
                Lock(s(33), Some(s(133))),
            ],
        ),
        (
            "TPM unlock on an OK account sets the count to 0",
            0,
            tpm(3, 100),
            vec![Open(s(0), 1), Open(s(1), 2), Unlock(s(2)), Count(s(2), 0)],
        ),
        // Were the rejected failures counted, selfHealTimer would move and the lock would
        // last longer.
        (
            "TPM rejects failures while locked",
            0,
            tpm(3, 100),
            vec![
                Open(s(0), 1),
                Open(s(10), 2),
                Lock(s(20), Some(s(120))),
                RejectedLocked(s(21), Some(s(120))),
                RejectedLocked(s(100), Some(s(120))),
                RejectedLocked(s(119), Some(s(120))),
                Locked(ms(119_999), s(20), Some(s(120))),
                Opened(s(120)),
                Count(s(120), 2),
            ],
        ),
        // Disabled: rejected, not counted; self-healing keeps running.
        (
            "TPM rejects failures while disabled",
            0,
            tpm(3, 100),
            vec![
                Open(s(0), 1),
                Open(s(10), 2),
                Disable(s(20)),
                RejectedDisabled(s(30)),
                RejectedDisabled(s(50)),
                RejectedDisabled(s(109)),
                Count(ms(109_999), 2),
                Count(s(110), 1),
                Count(s(210), 0),
            ],
        ),
        (
            "PingOne starts afresh after the lock ends",
            0,
            pingone(3, Some(900)),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Lock(s(2), Some(s(902))),
                Opened(s(902)),
                CheckAllowed(s(902)),
                Remaining(s(902), Some(3)),
                Fail(s(902)),
                Counted(1),
                NoLock,
                Open(s(903), 2),
                Lock(s(904), Some(s(1_804))),
            ],
        ),
        // A success clears the count but never ends a lock.
        (
            "PingOne success clears",
            0,
            pingone(3, Some(900)),
            vec![
                Open(s(0), 1),
                Open(s(1), 2),
                Success(s(2)),
                Allowed,
                Remaining(s(2), Some(3)),
                Open(s(3), 1),
                Open(s(4), 2),
                Lock(s(5), Some(s(905))),
                Success(s(6)),
                WasRejectedLocked(Some(s(905))),
                Locked(s(6), s(5), Some(s(905))),
            ],
        ),
    ]
}

#[test]
fn scenarios_answer_as_the_table_says() {
    for (name, records, policy, steps) in scenarios() {
        match records {
            0 => _ = run::<0>(name, &policy, &steps),
            3 => _ = run::<3>(name, &policy, &steps),
            16 => _ = run::<16>(name, &policy, &steps),
            _ => unreachable!("{name}: no account type with {records} records"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Every dialect
// ---------------------------------------------------------------------------------------------

/// Refused parameters, each named by the error: (the dialect, the parameter named).
#[test]
fn invalid_parameters_are_named() {
    let ad = |threshold, duration, window| {
        Dialect::ActiveDirectory(ActiveDirectory {
            lockout_threshold: threshold,
            lockout_duration_seconds: duration,
            lockout_observation_window_seconds: window,
        })
    };
    let rows = [
        (
            Dialect::Keycloak(Keycloak {
                failure_factor: 0,
                ..Keycloak::DEFAULT
            }),
            "failureFactor",
        ),
        (
            Dialect::Tpm(Tpm {
                max_tries: 0,
                recovery_time: 100,
            }),
            "maxTries",
        ),
        (
            Dialect::PingOne(PingOne {
                failure_count: 0,
                duration_seconds: Some(900),
            }),
            "failureCount",
        ),
        (
            Dialect::PingOne(PingOne {
                failure_count: 3,
                duration_seconds: Some(0),
            }),
            "durationSeconds",
        ),
        // deny 17 is more failure times than an account holds.
        (
            Dialect::PamFaillock(PamFaillock {
                deny: 17,
                fail_interval: 900,
                unlock_time: 600,
            }),
            "deny",
        ),
        (ad(1_000, 1_800, 900), "lockoutThreshold"),
        (ad(5, 1_800, 0), "lockoutObservationWindowSeconds"),
        (ad(5, 600, 601), "lockoutObservationWindowSeconds"),
    ];
    for (dialect, parameter) in rows {
        let error = dialect.policy().expect_err("invalid");
        assert_eq!(error.parameter, parameter, "{dialect:?}");
    }
    // Active Directory's limits themselves are valid; with duration 0 (admin-only) the
    // window is not bounded by it.
    for (threshold, duration, window) in [
        (999, 1_800, 900),
        (5, 600, 600),
        (5, 1_800, 1),
        (5, 0, 86_400),
    ] {
        assert!(
            ad(threshold, duration, window).policy().is_ok(),
            "{threshold} {duration} {window}"
        );
    }
}

/// A dialect setting that turns locking off: any number of failures, each allowed, none
/// locking, and no budget. Rows: (the setting, the policy, how many failures, the
/// milliseconds between them).
#[test]
fn a_zero_setting_never_locks() {
    let rows = [
        ("TPM recoveryTime 0", tpm(1, 0), 1_000, 1),
        (
            "AD lockoutThreshold 0",
            active_directory(0, 1_800, 900),
            10_000,
            1,
        ),
        ("pam_faillock deny 0", pam(0, 900, 600), 100, SECOND),
    ];
    for (setting, policy, failures, spacing) in rows {
        let mut account: Account = Account::new();
        for k in 0..failures {
            let outcome = fail(&mut account, &policy, ms(k * spacing));
            assert_eq!(
                outcome.decision(),
                Some(Decision::Allowed),
                "{setting}: failure {k}"
            );
            assert_eq!(locked_transition(&outcome), None, "{setting}: failure {k}");
        }
        let end = ms(failures * spacing);
        assert_open(&account, end, "a_zero_setting_never_locks");
        assert_eq!(remaining(&account, &policy, end), None, "{setting}");
    }
}
