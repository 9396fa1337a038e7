//! Time (behaviour §1): `Instant` and `Duration` arithmetic that saturates at the limits,
//! the clock regression shift (an event at an earlier `now` moves the state back by the
//! difference, keeping every remaining duration; refused operations move nothing), and
//! operations at the extremes of the time range (`Instant::MIN`/`MAX`, centuries).

mod fixtures;

use account_lockout::{
    Account, AccountView, Duration, ErrorCode, Instant, LockError, ManualClock, Status,
};
use fixtures::{
    T0_MS, active_directory, admin_locked, allowed, assert_view_consistent, date, failures_at,
    json, lock_fields, ms, patch_of, pingone, rejected_until, s, tpm, with_failures,
};

#[test]
fn time_arithmetic_saturates_at_the_limits() {
    assert_eq!(
        Instant::MAX.saturating_add(Duration::from_millis(1)),
        Instant::MAX
    );
    assert_eq!(Instant::MAX.saturating_add(Duration::MAX), Instant::MAX);
    assert_eq!(
        Instant::MIN.saturating_sub(Duration::from_millis(1)),
        Instant::MIN
    );
    assert_eq!(Instant::MIN.saturating_sub(Duration::MAX), Instant::MIN);
    // i64::MIN + (2^64 - 1) == i64::MAX exactly, and the reverse.
    assert_eq!(Instant::MIN.saturating_add(Duration::MAX), Instant::MAX);
    assert_eq!(Instant::MAX.saturating_sub(Duration::MAX), Instant::MIN);
    assert_eq!(
        Instant::MAX.saturating_duration_since(Instant::MIN),
        Duration::MAX
    );
    assert_eq!(
        Instant::MIN.saturating_duration_since(Instant::MAX),
        Duration::ZERO
    );
    assert_eq!(
        ms(5).saturating_duration_since(ms(2)),
        Duration::from_millis(3)
    );
    assert_eq!(ms(2).saturating_duration_since(ms(5)), Duration::ZERO);
    assert_eq!(Instant::from_secs(i64::MAX), Instant::MAX);
    assert_eq!(Instant::from_secs(i64::MIN), Instant::MIN);
    assert_eq!(Duration::from_secs(u64::MAX), Duration::MAX);
    assert_eq!(
        Duration::MAX.saturating_add(Duration::from_millis(1)),
        Duration::MAX
    );
    assert_eq!(Duration::MAX.saturating_mul(2), Duration::MAX);
    assert_eq!(Duration::from_secs(90).as_millis(), 90_000);
    // Durations of centuries.
    let centuries = Duration::from_secs(u64::MAX / 1_000);
    assert_eq!(centuries.as_millis(), 18_446_744_073_709_551_000);
    assert_eq!(ms(0).saturating_add(centuries), Instant::MAX);
    assert_eq!(ms(0).saturating_sub(centuries), Instant::MIN);
    // A clock moved past the limits saturates too.
    let clock = ManualClock::new(Instant::MAX);
    clock.advance(Duration::MAX);
    assert_eq!(account_lockout::Clock::now(&clock), Instant::MAX);
    clock.set(Instant::MIN);
    clock.rewind(Duration::from_secs(1));
    assert_eq!(account_lockout::Clock::now(&clock), Instant::MIN);
}

#[test]
fn clock_regression_shifts_lock_back_preserving_the_remaining_duration() {
    let policy = pingone(1, Some(900));
    let clock = ManualClock::new(s(0));
    let mut account: Account = Account::new();

    let _ = account.failure(&policy, clock.now(), None).unwrap();
    assert_eq!(account.last_seen(), s(0));

    // A rejected attempt at T0+100s moves last_seen.
    clock.set(s(100));
    let outcome = account.failure(&policy, clock.now(), None).unwrap();
    assert_eq!(rejected_until(&outcome), Some(s(900)));
    assert_eq!(account.last_seen(), s(100));
    let before = account.view(clock.now());
    assert_eq!(before.locked_at, Some(s(0)));
    assert_eq!(before.unlock_at, Some(s(900)));
    assert_eq!(before.seconds_until_unlock, Some(800));

    // The clock goes back 60 s: a rejected attempt at T0+40s.
    clock.rewind(Duration::from_secs(60));
    let outcome = account.failure(&policy, clock.now(), None).unwrap();
    assert_eq!(rejected_until(&outcome), Some(s(840)));
    assert_eq!(
        account.last_seen(),
        s(40),
        "a rejected attempt moves last_seen"
    );
    let after = account.view(clock.now());
    assert_eq!(after.status, Status::Locked);
    assert_eq!(after.locked_at, Some(s(-60)), "lockedAt moves back by d");
    assert_eq!(after.unlock_at, Some(s(840)), "unlockAt moves back by d");
    assert_eq!(
        after.seconds_until_unlock, before.seconds_until_unlock,
        "remaining duration preserved"
    );
    assert_eq!(
        json(&after),
        r#"{"canAuthenticate":false,"lockedAt":"2025-12-31T23:59:00.000Z","secondsUntilUnlock":800,"status":"LOCKED","unlockAt":"2026-01-01T00:14:00.000Z"}"#
    );

    // Never ends a lock early: locked until exactly 800 s after T0+40s.
    clock.set(ms(839_999));
    assert_eq!(account.view(clock.now()).status, Status::Locked);
    assert_eq!(account.view(clock.now()).seconds_until_unlock, Some(1));
    assert!(!allowed(&account.check(&policy, clock.now())));
    // Never lengthens it: OK at the shifted deadline, before the old one (T0+900s).
    clock.set(s(840));
    assert_eq!(account.view(clock.now()), AccountView::OPEN);
    assert!(allowed(&account.check(&policy, clock.now())));
}

#[test]
fn clock_regression_shifts_failure_times_and_window_anchors() {
    // AD: threshold 2, window 180 s, duration 600 s.
    let policy = active_directory(2, 600, 180);
    // count 1, lastFailure T0
    let mut account = with_failures(&policy, &[0]);
    // An admin lock at T0+100s moves last_seen without touching the history.
    let _ = account.lock(&policy, s(100), Some(s(200))).unwrap();
    // A rejected attempt at T0+50s: d = 50 s, so lastFailure -> T0-50s and the admin lock
    // runs T0+50s..T0+150s.
    let outcome = account.failure(&policy, s(50), None).unwrap();
    assert_eq!(rejected_until(&outcome), Some(s(150)));
    let view = account.view(s(50));
    assert_eq!(view.locked_at, Some(s(50)));
    assert_eq!(view.unlock_at, Some(s(150)));
    assert_eq!(view.seconds_until_unlock, Some(100));
    // At T0+150s the lock has ended; the gap since the (shifted) last failure is 200 s,
    // more than the 180 s window: the count starts again at 1, so no lock.
    assert_eq!(account.view(s(150)).status, Status::Ok);
    let outcome = account.failure(&policy, s(150), None).unwrap();
    assert!(allowed(&outcome));
    assert_eq!(account.view(s(150)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(150)), 1);
    assert_eq!(account.failures_remaining(&policy, s(150)), Some(1));
}

#[test]
fn clock_regression_pure_view_shows_the_shift_without_changing_state() {
    let policy = pingone(1, Some(900));
    // rejected, last_seen = T0+100s
    let account = with_failures(&policy, &[0, 100]);
    let copy = account;

    assert_eq!(
        lock_fields(&account.view(s(40))),
        (Status::Locked, Some(s(-60)), Some(s(840)), Some(800))
    );
    // Any earlier view keeps the 800 s that remained at last_seen.
    let earlier = account.view(s(-60));
    assert_eq!(earlier.locked_at, Some(s(-160)));
    assert_eq!(earlier.unlock_at, Some(s(740)));
    assert_eq!(earlier.seconds_until_unlock, Some(800));

    let outcome = account.check(&policy, s(40));
    assert_eq!(rejected_until(&outcome), Some(s(840)));

    assert_eq!(account, copy, "a read changes nothing");
    assert_eq!(
        account.last_seen(),
        s(100),
        "a read does not move last_seen"
    );
    // The unshifted view is still there at last_seen.
    let view = account.view(s(100));
    assert_eq!(view.locked_at, Some(s(0)));
    assert_eq!(view.unlock_at, Some(s(900)));
}

#[test]
fn clock_regression_refused_operations_do_not_move_last_seen() {
    let policy = pingone(3, Some(900));
    // counted, OK, last_seen T0+100s
    let mut account = with_failures(&policy, &[0, 100]);
    assert_eq!(account.last_seen(), s(100));
    let copy = account;

    // lock with a past or present unlockAt, at an earlier now and at a later one.
    assert_eq!(
        account.lock(&policy, s(50), Some(s(50))),
        Err(LockError::UnlockAtNotInFuture)
    );
    assert_eq!(
        account.lock(&policy, s(50), Some(s(10))),
        Err(LockError::UnlockAtNotInFuture)
    );
    assert_eq!(
        account.lock(&policy, s(200), Some(s(150))),
        Err(LockError::UnlockAtNotInFuture)
    );
    assert_eq!(account, copy);
    assert_eq!(account.last_seen(), s(100));

    // Bad patches: checks 6 and 7 at the account, and a body that fails checks 1-5.
    let requires_locked = patch_of(r#"{"unlockAt":"2026-01-01T01:00:00Z"}"#).unwrap();
    assert_eq!(
        account
            .patch(&policy, s(50), &requires_locked)
            .unwrap_err()
            .code,
        ErrorCode::UnlockAtRequiresLocked
    );
    let past = patch_of(r#"{"status":"LOCKED","unlockAt":"2026-01-01T00:00:30Z"}"#).unwrap();
    assert_eq!(
        account.patch(&policy, s(50), &past).unwrap_err().code,
        ErrorCode::UnlockAtNotInFuture
    );
    assert_eq!(
        account.patch(&policy, s(300), &past).unwrap_err().code,
        ErrorCode::UnlockAtNotInFuture
    );
    assert!(patch_of(r#"{"status":"FOO"}"#).is_err());
    assert_eq!(account, copy, "a refused operation changes nothing");
    assert_eq!(account.last_seen(), s(100), "last_seen included");

    // An accepted operation at an earlier now does move it.
    let _ = account.lock(&policy, s(50), Some(s(60))).unwrap();
    assert_eq!(account.last_seen(), s(50));
    // A rejected success moves it too (the account is locked).
    let outcome = account.success(&policy, s(55));
    assert_eq!(rejected_until(&outcome), Some(s(60)));
    assert_eq!(account.last_seen(), s(55));
}

#[test]
fn extreme_operations_at_instant_min() {
    let policy = pingone(1, Some(900));
    let account = failures_at(&policy, &[Instant::MIN]);
    let view = account.view(Instant::MIN);
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(Instant::MIN));
    assert_eq!(
        view.unlock_at,
        Some(Instant::MIN.saturating_add(Duration::from_secs(900)))
    );
    assert_eq!(view.seconds_until_unlock, Some(900));
    assert_view_consistent(&view, Instant::MIN);
    assert_eq!(account.last_seen(), Instant::MIN);

    // Everything else at MIN.
    let mut admin = admin_locked(&policy, Instant::MIN, None);
    assert_eq!(admin.view(Instant::MIN).locked_at, Some(Instant::MIN));
    assert_eq!(
        admin.lock(&policy, Instant::MIN, Some(Instant::MIN)),
        Err(LockError::UnlockAtNotInFuture)
    );
    let _ = admin.unlock(&policy, Instant::MIN);
    assert_eq!(admin.view(Instant::MIN), AccountView::OPEN);
    let _ = admin
        .patch(
            &policy,
            Instant::MIN,
            &patch_of(r#"{"status":"LOCKED"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(admin.view(Instant::MIN).status, Status::Locked);
    let _ = admin
        .patch(
            &policy,
            Instant::MIN,
            &patch_of(r#"{"unlockAt":"0000-01-01T00:00:00Z"}"#).unwrap(),
        )
        .unwrap();
    let view = admin.view(Instant::MIN);
    assert_eq!(view.unlock_at, Some(date("0000-01-01T00:00:00Z")));
    assert_view_consistent(&view, Instant::MIN);
    assert_eq!(
        admin
            .success(&policy, Instant::MIN)
            .decision()
            .map(|d| d.is_allowed()),
        Some(false)
    );
    assert!(admin.check(&policy, Instant::MIN).decision().is_some());
    // Serialises without panicking.
    assert!(json(&view).starts_with(r#"{"canAuthenticate":false,"lockedAt":"-"#));
}

#[test]
fn extreme_operations_at_instant_max_and_regressions_across_the_range() {
    let policy = pingone(1, Some(900));
    let account = failures_at(&policy, &[Instant::MAX]);
    // The deadline saturates at MAX == now: whatever the crate decides, the view is
    // consistent (a lock is in effect only while now < unlockAt).
    let view = account.view(Instant::MAX);
    assert_view_consistent(&view, Instant::MAX);
    assert_eq!(account.last_seen(), Instant::MAX);

    // An administrator lock at MAX has no future deadline to take.
    let mut admin: Account = Account::new();
    assert_eq!(
        admin.lock(&policy, Instant::MAX, Some(Instant::MAX)),
        Err(LockError::UnlockAtNotInFuture)
    );
    let _ = admin.lock(&policy, Instant::MAX, None).unwrap();
    let view = admin.view(Instant::MAX);
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(Instant::MAX));
    assert_eq!(view.unlock_at, None);
    assert_view_consistent(&view, Instant::MAX);

    // The clock jumps from MAX all the way back to MIN: every shift saturates.
    let outcome = admin.failure(&policy, Instant::MIN, None).unwrap();
    assert!(
        !outcome.decision().unwrap().is_allowed(),
        "the admin lock stays"
    );
    assert_eq!(admin.last_seen(), Instant::MIN);
    let view = admin.view(Instant::MIN);
    assert_eq!(view.status, Status::Locked);
    assert_view_consistent(&view, Instant::MIN);
    // And forward again.
    let _ = admin.unlock(&policy, Instant::MAX);
    assert_eq!(admin.view(Instant::MAX), AccountView::OPEN);

    // A timed lock at MIN, then time jumps to MAX (the lock ended), then back to MIN.
    let mut timed = failures_at(&policy, &[Instant::MIN]);
    assert_eq!(timed.view(Instant::MAX).status, Status::Ok);
    let _ = timed.success(&policy, Instant::MAX);
    let _ = timed.failure(&policy, Instant::MIN, None).unwrap();
    for now in [Instant::MIN, ms(0), Instant::MAX] {
        assert_view_consistent(&timed.view(now), now);
        assert_view_consistent(&account.view(now), now);
    }
    // A view far before last_seen saturates rather than wrapping.
    let late = admin_locked(&policy, Instant::MAX, None);
    assert_view_consistent(&late.view(Instant::MIN), Instant::MIN);
    assert_eq!(late.view(Instant::MIN).status, Status::Locked);
}

#[test]
fn extreme_durations_of_centuries() {
    let centuries = u64::MAX / 1_000;
    let policy = pingone(1, Some(centuries));
    let mut account = with_failures(&policy, &[0]);
    let view = account.view(s(0));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(0)));
    assert_eq!(view.unlock_at, Some(Instant::MAX), "saturated");
    let left = (i64::MAX - T0_MS) as u64;
    assert_eq!(view.seconds_until_unlock, Some(left.div_ceil(1_000)));
    assert_view_consistent(&view, s(0));
    assert_eq!(
        rejected_until(&account.check(&policy, s(0))),
        Some(Instant::MAX)
    );
    // Still locked a thousand years later.
    let later = s(1_000 * 365 * 86_400);
    assert_eq!(account.view(later).status, Status::Locked);
    // JSON: the saturated date formats without panicking.
    let text = json(&view);
    assert!(text.starts_with(
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:00.000Z","secondsUntilUnlock":"#
    ));
    assert!(text.ends_with(r#".807Z"}"#), "{text}");
    // A regression keeps the remaining time (the deadline was saturated, so it moves back).
    let _ = account.failure(&policy, s(-100), None).unwrap();
    let view = account.view(s(-100));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(-100)));
    assert_view_consistent(&view, s(-100));

    // The other dialects with century-long parameters.
    let ad = active_directory(1, centuries, centuries);
    let mut account: Account = Account::new();
    let _ = account.failure(&ad, s(0), None).unwrap();
    assert_eq!(account.view(s(0)).unlock_at, Some(Instant::MAX));
    assert_view_consistent(&account.view(s(0)), s(0));

    let tpm = tpm(1, centuries);
    let mut account: Account = Account::new();
    let _ = account.failure(&tpm, s(0), None).unwrap();
    let view = account.view(s(0));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.unlock_at, Some(Instant::MAX));
    assert_view_consistent(&view, s(0));
    let _ = account.unlock(&tpm, s(1));
    assert_eq!(account.view(s(1)), AccountView::OPEN);

    // An administrator lock of centuries.
    let mut admin: Account = Account::new();
    let _ = admin
        .lock(&policy, Instant::MIN, Some(Instant::MAX))
        .unwrap();
    let view = admin.view(Instant::MIN);
    assert_eq!(view.seconds_until_unlock, Some(u64::MAX.div_ceil(1_000)));
    assert_view_consistent(&view, Instant::MIN);
}
