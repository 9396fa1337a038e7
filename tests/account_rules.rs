//! Integration tests written from docs/behaviour.md (§1 time, §2 view, §3 attempts, §4 administrator
//! operations and patches, §5 modifiers) and the seed's account data model.
//!
//! Every expectation below is derived from the behaviour document, not from the implementation.

use account_lockout::dialect::{ActiveDirectory, AndroidGatekeeper, PingOne, Tpm};
use account_lockout::{
    Account, AccountView, DateError, Decision, Duration, ErrorCode, Fingerprint, FingerprintKey,
    Instant, LockCause, LockError, ManualClock, Outcome, Patch, PatchDocument, PatchError, Policy,
    Rejection, Status, Transition, parse_rfc3339,
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// 2026-01-01T00:00:00Z in milliseconds since the Unix epoch.
const T0_MS: i64 = 1_767_225_600_000;

/// T0 + `ms` milliseconds.
fn ms(ms: i64) -> Instant {
    Instant::from_millis(T0_MS + ms)
}

/// T0 + `s` seconds.
fn s(s: i64) -> Instant {
    ms(s * 1_000)
}

fn date(text: &str) -> Instant {
    parse_rfc3339(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn pingone(failure_count: u32, duration_seconds: Option<u64>) -> Policy {
    PingOne {
        failure_count,
        duration_seconds,
    }
    .policy()
    .unwrap()
}

fn active_directory(threshold: u32, duration: u64, window: u64) -> Policy {
    ActiveDirectory {
        lockout_threshold: threshold,
        lockout_duration_seconds: duration,
        lockout_observation_window_seconds: window,
    }
    .policy()
    .unwrap()
}

/// Parses a patch body the way a JSON client would, running checks 1-5.
fn patch_of(body: &str) -> Result<Patch, PatchError> {
    serde_json::from_str::<PatchDocument>(body)
        .unwrap_or_else(|e| panic!("{body} should deserialise into a PatchDocument: {e}"))
        .into_patch()
}

fn json(view: &AccountView) -> String {
    serde_json::to_string(view).unwrap()
}

fn transitions(outcome: &Outcome) -> Vec<Transition> {
    outcome.transitions.iter().copied().collect()
}

fn locked(unlock_at: Option<Instant>, now: Instant) -> Decision {
    Decision::Rejected(Rejection::Locked {
        unlock_at,
        unlock_in: unlock_at.map(|u| u.saturating_duration_since(now)),
    })
}

/// Checks the behaviour §2 invariants that hold for every view at `now`.
fn assert_view_consistent(view: &AccountView, now: Instant) {
    let is_locked = view.status == Status::Locked;
    assert_eq!(
        view.locked_at.is_some(),
        is_locked,
        "lockedAt iff LOCKED: {view:?}"
    );
    assert_eq!(
        view.can_authenticate,
        view.enabled && !is_locked,
        "canAuthenticate = enabled && OK: {view:?}"
    );
    assert_eq!(
        view.unlock_at.is_some(),
        view.seconds_until_unlock.is_some(),
        "secondsUntilUnlock iff unlockAt: {view:?}"
    );
    if let Some(until) = view.unlock_at {
        assert!(is_locked, "unlockAt only when LOCKED: {view:?}");
        assert!(
            now < until,
            "a lock is in effect only while now < unlockAt: {view:?}"
        );
        let left = i128::from(until.as_millis()) - i128::from(now.as_millis());
        let expected = (left + 999) / 1_000;
        assert_eq!(
            view.seconds_until_unlock.map(i128::from),
            Some(expected),
            "ceil((unlockAt-now)/1000): {view:?}"
        );
        assert!(view.seconds_until_unlock >= Some(1), "never 0 while locked");
    }
    // It always serialises.
    let text = json(view);
    assert!(!text.contains("null"), "absent fields are omitted: {text}");
}

/// Read your writes (behaviour §4): the view at `now` shows every written field with its value.
fn assert_read_your_writes(body: &str, view: &AccountView) {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    let object = value.as_object().unwrap();
    if let Some(can) = object.get("canAuthenticate") {
        assert_eq!(
            Some(view.can_authenticate),
            can.as_bool(),
            "{body}: canAuthenticate read back: {view:?}"
        );
    }
    if let Some(status) = object.get("status") {
        assert_eq!(
            Some(view.status.as_str()),
            status.as_str(),
            "{body}: status read back: {view:?}"
        );
    }
    if let Some(unlock_at) = object.get("unlockAt") {
        let written = unlock_at.as_str().map(date);
        assert_eq!(
            view.unlock_at, written,
            "{body}: unlockAt read back: {view:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// behaviour §1: time
// ---------------------------------------------------------------------------------------

#[test]
fn rfc3339_parses_zulu_and_offsets_into_utc_millis() {
    assert_eq!(date("2026-01-01T00:00:00Z"), Instant::from_millis(T0_MS));
    assert_eq!(date("1970-01-01T00:00:00Z"), Instant::UNIX_EPOCH);
    assert_eq!(date("1970-01-01T00:00:01Z"), Instant::from_millis(1_000));
    // +HH:MM: local time is ahead of UTC.
    assert_eq!(date("2026-01-01T01:00:00+01:00"), ms(0));
    assert_eq!(date("2026-01-01T05:30:00+05:30"), ms(0));
    assert_eq!(date("2026-01-01T23:59:00+23:59"), ms(0));
    // -HH:MM: local time is behind UTC (here, the previous day).
    assert_eq!(date("2025-12-31T19:00:00-05:00"), ms(0));
    assert_eq!(date("2025-12-31T14:15:00-09:45"), ms(0));
    assert_eq!(date("2026-01-01T00:00:00+00:00"), ms(0));
    assert_eq!(date("2026-01-01T00:00:00-00:00"), ms(0));
    // Leap years: 2024 and 2000 have a February 29.
    assert_eq!(
        date("2024-02-29T00:00:00Z"),
        Instant::from_millis(1_709_164_800_000)
    );
    assert_eq!(
        date("2000-02-29T12:00:00Z"),
        Instant::from_millis(951_825_600_000)
    );
    // Before the epoch.
    assert_eq!(date("1969-12-31T23:59:59Z"), Instant::from_millis(-1_000));
    // FromStr is the same parser.
    assert_eq!("2026-01-01T00:15:20Z".parse::<Instant>(), Ok(s(920)));
}

#[test]
fn rfc3339_fractions_are_floored_to_milliseconds() {
    assert_eq!(date("2026-01-01T00:00:00.9999Z"), ms(999));
    assert_eq!(date("2026-01-01T00:00:00.999999999Z"), ms(999));
    assert_eq!(date("2026-01-01T00:00:00.5Z"), ms(500));
    assert_eq!(date("2026-01-01T00:00:00.05Z"), ms(50));
    assert_eq!(date("2026-01-01T00:00:00.123Z"), ms(123));
    assert_eq!(date("2026-01-01T00:00:00.1239Z"), ms(123));
    assert_eq!(date("2026-01-01T00:00:00.0009Z"), ms(0));
    assert_eq!(date("2026-01-01T00:00:00.000Z"), ms(0));
    // No fraction at all.
    assert_eq!(date("2026-01-01T00:00:07Z"), ms(7_000));
    // A fraction with an offset.
    assert_eq!(date("2026-01-01T01:00:00.9999+01:00"), ms(999));
    // Floor, not truncation towards zero: 0.1 ms before the epoch is -1 ms.
    assert_eq!(date("1969-12-31T23:59:59.9999Z"), Instant::from_millis(-1));
}

#[test]
fn rfc3339_invalid_forms_are_errors() {
    let invalid = [
        "2026-01-01 00:00:00Z",      // space separator
        "2026-01-01t00:00:00Z",      // lower-case t
        "2026-01-01T00:00:00z",      // lower-case z
        "2026-01-01T00:00:00",       // missing offset
        "2026-13-01T00:00:00Z",      // month 13
        "2026-00-01T00:00:00Z",      // month 0
        "2025-02-29T00:00:00Z",      // Feb 29 in a non-leap year
        "1900-02-29T00:00:00Z",      // 1900 is not a leap year
        "2026-04-31T00:00:00Z",      // April 31
        "2026-01-32T00:00:00Z",      // day 32
        "2026-01-00T00:00:00Z",      // day 0
        "2026-01-01T24:00:00Z",      // 24:00:00
        "2026-01-01T00:60:00Z",      // minute 60
        "2026-01-01T00:00:00+24:00", // offset of 24 hours
        "2026-01-01T00:00:00+01:60", // offset minute 60
        "2026-01-01T00:00:00+0100",  // offset without a colon
        "2026-01-01T00:00:00+01",    // offset without minutes
        "2026-01-01T00:00:00.Z",     // a dot with no digits
        "2026-01-01T00:00Z",         // no seconds
        "2026-1-01T00:00:00Z",       // one-digit month
        "26-01-01T00:00:00Z",        // two-digit year
        "2026-01-01",                // date only
        "2026-01-01T00:00:00Z ",     // trailing space
        " 2026-01-01T00:00:00Z",     // leading space
        "2026-01-01T00:00:00ZZ",     // trailing garbage
        "",
        "now",
    ];
    for text in invalid {
        assert!(
            parse_rfc3339(text).is_err(),
            "{text:?} must be refused, got {:?}",
            parse_rfc3339(text)
        );
        assert!(text.parse::<Instant>().is_err(), "{text:?} via FromStr");
    }
    // The error is typed and displays.
    let error: DateError = parse_rfc3339("2026-13-01T00:00:00Z").unwrap_err();
    assert!(!error.to_string().is_empty());
}

#[test]
fn rfc3339_output_is_utc_with_exactly_three_fraction_digits() {
    assert_eq!(s(920).to_string(), "2026-01-01T00:15:20.000Z");
    assert_eq!(s(920).to_rfc3339().as_str(), "2026-01-01T00:15:20.000Z");
    assert_eq!(ms(1).to_string(), "2026-01-01T00:00:00.001Z");
    assert_eq!(ms(10).to_string(), "2026-01-01T00:00:00.010Z");
    assert_eq!(ms(999).to_string(), "2026-01-01T00:00:00.999Z");
    assert_eq!(Instant::UNIX_EPOCH.to_string(), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        Instant::from_millis(-1).to_string(),
        "1969-12-31T23:59:59.999Z"
    );
    assert_eq!(
        Instant::from_millis(1_709_164_800_000).to_string(),
        "2024-02-29T00:00:00.000Z"
    );
    assert_eq!(
        date("9999-12-31T23:59:59.999Z").to_string(),
        "9999-12-31T23:59:59.999Z"
    );
    assert_eq!(
        date("0000-01-01T00:00:00Z").to_string(),
        "0000-01-01T00:00:00.000Z"
    );
    // An input with an offset and a sub-millisecond fraction comes out normalised.
    assert_eq!(
        date("2026-01-01T01:00:00.12345+01:00").to_string(),
        "2026-01-01T00:00:00.123Z"
    );
    assert_eq!(
        date("2025-12-31T19:00:00-05:00").to_string(),
        "2026-01-01T00:00:00.000Z"
    );
    // Round trip.
    for millis in [0, 1, -1, T0_MS, T0_MS + 123_456, 253_402_300_799_999] {
        let instant = Instant::from_millis(millis);
        assert_eq!(parse_rfc3339(&instant.to_string()), Ok(instant));
    }
    // The limits format without panicking; their milliseconds are i64::MAX mod 1000 and
    // i64::MIN rem_euclid 1000.
    let max = Instant::MAX.to_string();
    let min = Instant::MIN.to_string();
    assert!(max.ends_with(".807Z"), "{max}");
    assert!(min.ends_with(".192Z"), "{min}");
}

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

// ---------------------------------------------------------------------------------------
// behaviour §1: clock regression
// ---------------------------------------------------------------------------------------

#[test]
fn clock_regression_shifts_lock_back_preserving_the_remaining_duration() {
    let policy = pingone(1, Some(900));
    let clock = ManualClock::new(s(0));
    let mut account: Account = Account::new();

    account.failure(&policy, clock.now(), None).unwrap();
    assert_eq!(account.last_seen(), s(0));

    // A rejected attempt at T0+100s moves last_seen.
    clock.set(s(100));
    let outcome = account.failure(&policy, clock.now(), None).unwrap();
    assert_eq!(outcome.decision, Some(locked(Some(s(900)), s(100))));
    assert_eq!(account.last_seen(), s(100));
    let before = account.view(clock.now());
    assert_eq!(before.locked_at, Some(s(0)));
    assert_eq!(before.unlock_at, Some(s(900)));
    assert_eq!(before.seconds_until_unlock, Some(800));

    // The clock goes back 60 s: a rejected attempt at T0+40s.
    clock.rewind(Duration::from_secs(60));
    let outcome = account.failure(&policy, clock.now(), None).unwrap();
    assert_eq!(
        outcome.decision,
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: Some(s(840)),
            unlock_in: Some(Duration::from_secs(800)),
        }))
    );
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
    assert!(
        !account
            .check(&policy, clock.now())
            .decision
            .unwrap()
            .is_allowed()
    );
    // Never lengthens it: OK at the shifted deadline, before the old one (T0+900s).
    clock.set(s(840));
    assert_eq!(account.view(clock.now()), AccountView::OPEN);
    assert_eq!(
        account.check(&policy, clock.now()).decision,
        Some(Decision::Allowed)
    );
}

#[test]
fn clock_regression_shifts_failure_times_and_window_anchors() {
    // AD: threshold 2, window 180 s, duration 600 s.
    let policy = active_directory(2, 600, 180);
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap(); // count 1, lastFailure T0
    // An admin lock at T0+100s moves last_seen without touching the history.
    account.lock(&policy, s(100), Some(s(200))).unwrap();
    // A rejected attempt at T0+50s: d = 50 s, so lastFailure -> T0-50s and the admin lock
    // runs T0+50s..T0+150s.
    let outcome = account.failure(&policy, s(50), None).unwrap();
    assert_eq!(outcome.decision, Some(locked(Some(s(150)), s(50))));
    let view = account.view(s(50));
    assert_eq!(view.locked_at, Some(s(50)));
    assert_eq!(view.unlock_at, Some(s(150)));
    assert_eq!(view.seconds_until_unlock, Some(100));
    // At T0+150s the lock has ended; the gap since the (shifted) last failure is 200 s,
    // more than the 180 s window: the count starts again at 1, so no lock.
    assert_eq!(account.view(s(150)).status, Status::Ok);
    let outcome = account.failure(&policy, s(150), None).unwrap();
    assert_eq!(outcome.decision, Some(Decision::Allowed));
    assert_eq!(account.view(s(150)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(150)), 1);
    assert_eq!(outcome.failures_remaining, Some(1));
}

#[test]
fn clock_regression_pure_view_shows_the_shift_without_changing_state() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(100), None).unwrap(); // rejected, last_seen = T0+100s
    let copy = account;

    let view = account.view(s(40));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(-60)));
    assert_eq!(view.unlock_at, Some(s(840)));
    assert_eq!(view.seconds_until_unlock, Some(800));
    // Any earlier view keeps the 800 s that remained at last_seen.
    let earlier = account.view(s(-60));
    assert_eq!(earlier.locked_at, Some(s(-160)));
    assert_eq!(earlier.unlock_at, Some(s(740)));
    assert_eq!(earlier.seconds_until_unlock, Some(800));

    let outcome = account.check(&policy, s(40));
    assert_eq!(outcome.decision, Some(locked(Some(s(840)), s(40))));

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
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(100), None).unwrap(); // counted, OK, last_seen T0+100s
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
    account.lock(&policy, s(50), Some(s(60))).unwrap();
    assert_eq!(account.last_seen(), s(50));
    // A rejected success moves it too (the account is locked).
    let outcome = account.success(&policy, s(55));
    assert_eq!(outcome.decision, Some(locked(Some(s(60)), s(55))));
    assert_eq!(account.last_seen(), s(55));
}

// ---------------------------------------------------------------------------------------
// behaviour §2: the view
// ---------------------------------------------------------------------------------------

#[test]
fn view_status_is_locked_strictly_before_unlock_at() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(account.view(s(0)), AccountView::OPEN);
    account.failure(&policy, s(0), None).unwrap();

    let at = |t: Instant| account.view(t);
    assert_eq!(at(s(0)).status, Status::Locked);
    assert_eq!(at(s(0)).seconds_until_unlock, Some(900));
    assert_eq!(at(ms(1)).seconds_until_unlock, Some(900)); // 899.999 s -> 900
    assert_eq!(at(ms(898_999)).seconds_until_unlock, Some(2)); // 1001 ms -> 2
    assert_eq!(at(ms(899_000)).seconds_until_unlock, Some(1)); // 1000 ms -> 1
    assert_eq!(at(ms(899_001)).seconds_until_unlock, Some(1)); // 999 ms -> 1
    // 1 ms before unlockAt: still LOCKED, 1 second left (never 0).
    let last = at(ms(899_999));
    assert_eq!(last.status, Status::Locked);
    assert!(!last.can_authenticate);
    assert_eq!(last.locked_at, Some(s(0)));
    assert_eq!(last.unlock_at, Some(s(900)));
    assert_eq!(last.seconds_until_unlock, Some(1));
    // At now == unlockAt: OK, every lock field absent.
    let open = at(s(900));
    assert_eq!(open.status, Status::Ok);
    assert!(open.can_authenticate);
    assert_eq!(open.locked_at, None);
    assert_eq!(open.unlock_at, None);
    assert_eq!(open.seconds_until_unlock, None);
    assert_eq!(at(s(901)), AccountView::OPEN);
    for t in [0, 1, 500, 898_999, 899_000, 899_999, 900_000, 900_001] {
        assert_view_consistent(&at(ms(t)), ms(t));
    }
    // The attempts agree with the view.
    assert!(
        !account
            .check(&policy, ms(899_999))
            .decision
            .unwrap()
            .is_allowed()
    );
    assert_eq!(
        account.check(&policy, s(900)).decision,
        Some(Decision::Allowed)
    );
}

#[test]
fn view_can_authenticate_is_enabled_and_ok() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    let view = account.view(s(0));
    assert!(view.can_authenticate && view.enabled && view.status == Status::Ok);

    // Disabled and OK: status OK, cannot authenticate.
    account
        .patch(
            &policy,
            s(1),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(1));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);
    assert!(!view.enabled);
    assert!(!account.is_enabled());
    assert_eq!(json(&view), r#"{"canAuthenticate":false,"status":"OK"}"#);

    // Disabled and locked.
    account.lock(&policy, s(2), Some(s(62))).unwrap();
    let view = account.view(s(2));
    assert_eq!(view.status, Status::Locked);
    assert!(!view.can_authenticate);
    // The lock ends; still disabled.
    let view = account.view(s(62));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);

    // Enabled and locked.
    let mut other: Account = Account::new();
    other.failure(&policy, s(0), None).unwrap();
    let view = other.view(s(1));
    assert!(view.enabled);
    assert!(!view.can_authenticate);
    assert_eq!(view.status, Status::Locked);
    assert!(other.view(s(900)).can_authenticate);
}

#[test]
fn view_locked_at_is_kept_while_the_lock_is_extended_shortened_or_replaced() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(account.view(s(0)).locked_at, None, "absent while OK");
    account.failure(&policy, s(0), None).unwrap();
    assert_eq!(account.view(s(0)).locked_at, Some(s(0)));
    assert_eq!(account.lock_cause(s(0)), Some(LockCause::Policy));

    // Replaced by an administrator's lock, extended.
    account.lock(&policy, s(10), Some(s(2_000))).unwrap();
    let view = account.view(s(10));
    assert_eq!(view.locked_at, Some(s(0)));
    assert_eq!(view.unlock_at, Some(s(2_000)));
    assert_eq!(view.seconds_until_unlock, Some(1_990));
    assert_eq!(account.lock_cause(s(10)), Some(LockCause::Administrator));

    // Shortened.
    account.lock(&policy, s(20), Some(s(30))).unwrap();
    let view = account.view(s(20));
    assert_eq!(view.locked_at, Some(s(0)));
    assert_eq!(view.unlock_at, Some(s(30)));
    assert_eq!(view.seconds_until_unlock, Some(10));

    // Replaced by a lock only an administrator ends: unlockAt and secondsUntilUnlock absent.
    account.lock(&policy, s(25), None).unwrap();
    let view = account.view(s(25));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(0)));
    assert_eq!(view.unlock_at, None);
    assert_eq!(view.seconds_until_unlock, None);
    assert_eq!(
        json(&view),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:00.000Z","status":"LOCKED"}"#
    );
    // ... and it does not end by itself, even at the end of time.
    assert_eq!(account.view(Instant::MAX).status, Status::Locked);
    assert_eq!(account.view(Instant::MAX).locked_at, Some(s(0)));

    // Back to a deadline through a patch: lockedAt still kept.
    account
        .patch(
            &policy,
            s(40),
            &patch_of(r#"{"unlockAt":"2026-01-01T00:01:00Z"}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(40));
    assert_eq!(view.locked_at, Some(s(0)));
    assert_eq!(view.unlock_at, Some(s(60)));
    assert_eq!(view.seconds_until_unlock, Some(20));

    // Once it ends and locks again, lockedAt is the new start.
    assert_eq!(account.view(s(60)).locked_at, None);
    account.failure(&policy, s(70), None).unwrap();
    assert_eq!(account.view(s(70)).locked_at, Some(s(70)));
}

#[test]
fn view_admin_only_lock_has_no_unlock_at() {
    let policy = pingone(3, None);
    let mut account: Account = Account::new();
    account.lock(&policy, s(5), None).unwrap();
    let view = account.view(s(5));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(5)));
    assert_eq!(view.unlock_at, None);
    assert_eq!(view.seconds_until_unlock, None);
    assert_view_consistent(&view, s(5));
    assert_eq!(
        account.check(&policy, s(1_000_000)).decision,
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: None,
            unlock_in: None
        }))
    );

    // A PingOne policy without durationSeconds locks admin-only too.
    let mut automatic: Account = Account::new();
    for i in 0..3 {
        automatic.failure(&policy, s(i), None).unwrap();
    }
    let view = automatic.view(s(3));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, None);
    assert_eq!(view.seconds_until_unlock, None);
    assert_eq!(automatic.view(Instant::MAX).status, Status::Locked);
}

#[test]
fn view_seconds_until_unlock_is_the_ceiling_of_the_remaining_time() {
    let policy = pingone(3, None);
    let cases: [(i64, u64); 7] = [
        (1, 1),
        (999, 1),
        (1_000, 1),
        (1_001, 2),
        (1_999, 2),
        (2_000, 2),
        (3_600_001, 3_601),
    ];
    for (left, expected) in cases {
        let mut account: Account = Account::new();
        account.lock(&policy, ms(0), Some(ms(left))).unwrap();
        let view = account.view(ms(0));
        assert_eq!(view.seconds_until_unlock, Some(expected), "{left} ms left");
        assert_eq!(view.unlock_at, Some(ms(left)));
        assert_view_consistent(&view, ms(0));
        // The rejection reports the exact remaining time.
        assert_eq!(
            account.check(&policy, ms(0)).decision,
            Some(Decision::Rejected(Rejection::Locked {
                unlock_at: Some(ms(left)),
                unlock_in: Some(Duration::from_millis(left as u64)),
            }))
        );
        // 1 ms before the end: 1 second left, never 0.
        assert_eq!(account.view(ms(left - 1)).seconds_until_unlock, Some(1));
        assert_eq!(account.view(ms(left)).status, Status::Ok);
    }
}

#[test]
fn view_json_follows_the_seed_field_order_and_omits_absent_fields() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(
        json(&account.view(s(0))),
        r#"{"canAuthenticate":true,"status":"OK"}"#
    );
    account.failure(&policy, s(0), None).unwrap();
    assert_eq!(
        json(&account.view(ms(500))),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:00.000Z","secondsUntilUnlock":900,"status":"LOCKED","unlockAt":"2026-01-01T00:15:00.000Z"}"#
    );
    assert_eq!(
        json(&account.view(ms(899_999))),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:00.000Z","secondsUntilUnlock":1,"status":"LOCKED","unlockAt":"2026-01-01T00:15:00.000Z"}"#
    );
    assert_eq!(
        json(&account.view(s(900))),
        r#"{"canAuthenticate":true,"status":"OK"}"#
    );
    // A lock at a time with milliseconds keeps them.
    let mut precise: Account = Account::new();
    precise.failure(&policy, ms(1_234), None).unwrap();
    assert_eq!(
        json(&precise.view(ms(1_234))),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:01.234Z","secondsUntilUnlock":900,"status":"LOCKED","unlockAt":"2026-01-01T00:15:01.234Z"}"#
    );
    // Disabled: only the two required fields.
    account
        .patch(
            &policy,
            s(1_000),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(
        json(&account.view(s(1_000))),
        r#"{"canAuthenticate":false,"status":"OK"}"#
    );
}

#[test]
fn view_fold_of_two_sources() {
    let policy = pingone(1, Some(900));
    let now = s(20);

    let mut password: Account = Account::new();
    password.failure(&policy, s(0), None).unwrap(); // T0 .. T0+900s
    let mut mfa: Account = Account::new();
    mfa.lock(&policy, s(10), Some(s(2_000))).unwrap(); // T0+10s .. T0+2000s
    let mut admin_only: Account = Account::new();
    admin_only.lock(&policy, s(15), None).unwrap(); // T0+15s, no deadline
    let mut earliest_admin_only: Account = Account::new();
    earliest_admin_only.lock(&policy, s(-5), None).unwrap(); // T0-5s, no deadline
    let open: Account = Account::new();

    let p = password.view(now);
    let m = mfa.view(now);
    let a = admin_only.view(now);
    let e = earliest_admin_only.view(now);
    let o = open.view(now);

    // LOCKED if any; lockedAt the earliest; unlockAt the latest.
    let both = p.fold(m);
    assert_eq!(both.status, Status::Locked);
    assert!(!both.can_authenticate);
    assert_eq!(both.locked_at, Some(s(0)));
    assert_eq!(both.unlock_at, Some(s(2_000)));
    assert_eq!(both.seconds_until_unlock, Some(1_980));
    assert_eq!(m.fold(p), both, "the order of the sources does not matter");
    assert_view_consistent(&both, now);

    // unlockAt absent if any locked source has none; lockedAt still the earliest.
    let with_admin = p.fold(a);
    assert_eq!(with_admin.status, Status::Locked);
    assert_eq!(with_admin.locked_at, Some(s(0)));
    assert_eq!(with_admin.unlock_at, None);
    assert_eq!(with_admin.seconds_until_unlock, None);
    assert_eq!(a.fold(p), with_admin);
    let with_earlier = m.fold(e);
    assert_eq!(with_earlier.locked_at, Some(s(-5)));
    assert_eq!(with_earlier.unlock_at, None);
    assert_eq!(with_earlier.seconds_until_unlock, None);

    // An OK source does not erase the deadline of a locked one.
    let with_open = p.fold(o);
    assert_eq!(with_open.status, Status::Locked);
    assert_eq!(with_open.locked_at, Some(s(0)));
    assert_eq!(with_open.unlock_at, Some(s(900)));
    assert_eq!(with_open.seconds_until_unlock, Some(880));
    assert_eq!(o.fold(p), with_open);

    // Two OK sources: OK.
    let none = o.fold(o);
    assert_eq!(none.status, Status::Ok);
    assert!(none.can_authenticate);
    assert_eq!(none.locked_at, None);
    assert_eq!(none.unlock_at, None);
    assert_eq!(none.seconds_until_unlock, None);

    // After the password lock has ended, only the MFA lock counts.
    let later = s(900);
    let folded = password.view(later).fold(mfa.view(later));
    assert_eq!(folded.locked_at, Some(s(10)));
    assert_eq!(folded.unlock_at, Some(s(2_000)));
    assert_eq!(folded.seconds_until_unlock, Some(1_100));

    // fold_all over several sources.
    let all = AccountView::fold_all([p, m, o]);
    assert_eq!(all, both);
    assert_eq!(AccountView::fold_all([]), AccountView::OPEN);
    assert_eq!(
        json(&p.fold(a)),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:00.000Z","status":"LOCKED"}"#
    );
}

// ---------------------------------------------------------------------------------------
// behaviour §3: attempts
// ---------------------------------------------------------------------------------------

#[test]
fn attempts_success_never_ends_a_lock() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    for i in 0..3 {
        account.failure(&policy, s(i), None).unwrap();
    }
    // Locked at T0+2s until T0+902s. A success at the same instant changes nothing.
    let copy = account;
    let outcome = account.success(&policy, s(2));
    assert_eq!(outcome.decision, Some(locked(Some(s(902)), s(2))));
    assert_eq!(account, copy);

    // A success later on is rejected too, and the lock stays as it was.
    let outcome = account.success(&policy, s(100));
    assert_eq!(
        outcome.decision,
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: Some(s(902)),
            unlock_in: Some(Duration::from_secs(802)),
        }))
    );
    assert!(transitions(&outcome).is_empty());
    let view = account.view(s(100));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, Some(s(902)));
    assert_eq!(account.last_seen(), s(100));

    // An administrator-only lock: a success never ends it either.
    let mut admin: Account = Account::new();
    admin.lock(&policy, s(0), None).unwrap();
    let outcome = admin.success(&policy, s(1_000_000));
    assert_eq!(
        outcome.decision,
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: None,
            unlock_in: None
        }))
    );
    assert_eq!(admin.view(s(1_000_000)).status, Status::Locked);
}

#[test]
fn attempts_rejected_while_locked_change_nothing() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    for i in 0..3 {
        account.failure(&policy, s(i), None).unwrap();
    }
    let copy = account;
    // At the instant of the lock: exactly nothing changes.
    let outcome = account.failure(&policy, s(2), None).unwrap();
    assert_eq!(outcome.decision, Some(locked(Some(s(902)), s(2))));
    assert_eq!(outcome.failures_remaining, None);
    assert!(transitions(&outcome).is_empty());
    assert_eq!(account, copy);

    // Many rejected failures later: the lock and the count are unchanged.
    for i in 3..50 {
        let outcome = account.failure(&policy, s(i), None).unwrap();
        assert_eq!(
            outcome.decision,
            Some(Decision::Rejected(Rejection::Locked {
                unlock_at: Some(s(902)),
                unlock_in: Some(Duration::from_secs(902 - i as u64)),
            }))
        );
        assert!(transitions(&outcome).is_empty());
    }
    assert_eq!(account.view(s(50)).unlock_at, Some(s(902)));
    assert_eq!(account.view(s(50)).locked_at, Some(s(2)));
    assert_eq!(account.consecutive_failures(), copy.consecutive_failures());
    // After the lock ends by itself (PingOne restarts from 0), a full count remains:
    // none of the rejected failures was counted.
    let outcome = account.check(&policy, s(902));
    assert_eq!(outcome.decision, Some(Decision::Allowed));
    assert_eq!(outcome.failures_remaining, Some(3));
}

#[test]
fn attempts_rejected_while_disabled_change_nothing() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account
        .patch(
            &policy,
            s(1),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.failure_count(&policy, s(1)), 1);
    let copy = account;

    let outcome = account.failure(&policy, s(1), None).unwrap();
    assert_eq!(
        outcome.decision,
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert!(transitions(&outcome).is_empty());
    assert_eq!(account, copy);
    let outcome = account.success(&policy, s(1));
    assert_eq!(
        outcome.decision,
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert_eq!(account, copy);
    assert_eq!(
        account.check(&policy, s(1)).decision,
        Some(Decision::Rejected(Rejection::Disabled))
    );

    for i in 2..10 {
        let outcome = account.failure(&policy, s(i), None).unwrap();
        assert_eq!(
            outcome.decision,
            Some(Decision::Rejected(Rejection::Disabled))
        );
    }
    // Neither counted the failures nor applied the success.
    assert_eq!(account.failure_count(&policy, s(10)), 1);
    assert_eq!(account.view(s(10)).status, Status::Ok);
    assert_eq!(account.last_seen(), s(9));

    // Disabled and locked: the crate reports Disabled.
    account.lock(&policy, s(20), Some(s(80))).unwrap();
    assert_eq!(
        account.failure(&policy, s(30), None).unwrap().decision,
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert_eq!(account.failure_count(&policy, s(30)), 1);
}

#[test]
fn attempts_failures_remaining_counts_down() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(account.check(&policy, s(0)).failures_remaining, Some(3));
    let first = account.failure(&policy, s(0), None).unwrap();
    assert_eq!(first.decision, Some(Decision::Allowed));
    assert_eq!(first.failures_remaining, Some(2));
    assert_eq!(
        transitions(&first),
        vec![Transition::Counted { failures: 1 }]
    );
    let second = account.failure(&policy, s(1), None).unwrap();
    assert_eq!(second.failures_remaining, Some(1));
    assert_eq!(
        transitions(&second),
        vec![Transition::Counted { failures: 2 }]
    );
    assert_eq!(account.check(&policy, s(2)).failures_remaining, Some(1));

    let third = account.failure(&policy, s(2), None).unwrap();
    assert_eq!(
        transitions(&third),
        vec![
            Transition::Counted { failures: 3 },
            Transition::Locked {
                at: s(2),
                until: Some(s(902)),
                cause: LockCause::Policy
            }
        ]
    );
    assert_eq!(account.view(s(2)).locked_at, Some(s(2)));
    assert_eq!(account.check(&policy, s(3)).failures_remaining, None);

    // A success clears the count.
    let mut other: Account = Account::new();
    other.failure(&policy, s(0), None).unwrap();
    other.failure(&policy, s(1), None).unwrap();
    let outcome = other.success(&policy, s(2));
    assert_eq!(outcome.decision, Some(Decision::Allowed));
    assert_eq!(outcome.failures_remaining, Some(3));
    assert_eq!(other.failure_count(&policy, s(2)), 0);
}

#[test]
fn attempts_locking_failure_is_counted_not_rejected() {
    // behaviour §3: "failure(now): if not allowed (locked or disabled) it is rejected: not
    // counted, nothing changes. Otherwise it is counted by the policy, and may start a
    // lock." The failure that reaches the threshold was allowed at `now` and counted, so
    // the caller must not be told it was rejected (the crate's own Decision::Rejected doc
    // says "not counted, nothing changed").
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    let outcome = account.failure(&policy, s(0), None).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![
            Transition::Counted { failures: 1 },
            Transition::Locked {
                at: s(0),
                until: Some(s(900)),
                cause: LockCause::Policy
            }
        ]
    );
    assert_eq!(account.view(s(0)).status, Status::Locked);
    // behaviour §3: the failure was allowed when it arrived, so it is counted; the lock it
    // starts shows in the transitions and the view, not in the decision.
    assert_eq!(outcome.decision, Some(Decision::Allowed));
}

// ---------------------------------------------------------------------------------------
// behaviour §4: administrator operations
// ---------------------------------------------------------------------------------------

#[test]
fn admin_unlock_ends_automatic_and_admin_locks_and_clears_history() {
    let policy = pingone(3, Some(900));

    // Automatic lock.
    let mut account: Account = Account::new();
    for i in 0..3 {
        account.failure(&policy, s(i), None).unwrap();
    }
    assert_eq!(account.view(s(5)).status, Status::Locked);
    let outcome = account.unlock(&policy, s(5));
    assert_eq!(outcome.decision, None);
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Unlocked {
            at: s(5),
            cause: account_lockout::UnlockCause::Administrator
        }]
    );
    assert_eq!(outcome.failures_remaining, Some(3));
    assert_eq!(account.view(s(5)), AccountView::OPEN);
    assert_eq!(account.failure_count(&policy, s(5)), 0);
    assert_eq!(account.consecutive_failures(), 0);

    // Administrator lock, with and without a deadline.
    for until in [Some(s(100)), None] {
        let mut admin: Account = Account::new();
        admin.lock(&policy, s(0), until).unwrap();
        assert_eq!(admin.view(s(1)).status, Status::Locked);
        admin.unlock(&policy, s(1));
        assert_eq!(admin.view(s(1)), AccountView::OPEN);
        assert_eq!(admin.check(&policy, s(1)).decision, Some(Decision::Allowed));
    }

    // Idempotent on an OK account, and it still clears the history.
    let mut ok: Account = Account::new();
    ok.failure(&policy, s(0), None).unwrap();
    ok.failure(&policy, s(1), None).unwrap();
    assert_eq!(ok.check(&policy, s(2)).failures_remaining, Some(1));
    let outcome = ok.unlock(&policy, s(2));
    assert!(transitions(&outcome).is_empty());
    assert_eq!(outcome.failures_remaining, Some(3));
    assert_eq!(ok.view(s(2)), AccountView::OPEN);
    let once = ok;
    ok.unlock(&policy, s(2));
    assert_eq!(ok, once, "a second unlock changes nothing");
    // Two more failures do not lock: the history was cleared.
    ok.failure(&policy, s(3), None).unwrap();
    ok.failure(&policy, s(4), None).unwrap();
    assert_eq!(ok.view(s(4)).status, Status::Ok);
    assert_eq!(ok.check(&policy, s(4)).failures_remaining, Some(1));
}

#[test]
fn admin_unlock_does_not_enable_a_disabled_user() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account
        .patch(
            &policy,
            s(1),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.view(s(1)).status, Status::Locked);
    account.unlock(&policy, s(2));
    let view = account.view(s(2));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);
    assert!(!view.enabled);
    assert!(!account.is_enabled());
    assert_eq!(
        account.check(&policy, s(2)).decision,
        Some(Decision::Rejected(Rejection::Disabled))
    );
}

#[test]
fn admin_lock_with_unlock_at_not_in_future_is_refused() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    let copy = account;
    for until in [s(10), s(9), Instant::MIN] {
        let error = account.lock(&policy, s(10), Some(until)).unwrap_err();
        assert_eq!(error, LockError::UnlockAtNotInFuture);
        assert_eq!(error.code(), ErrorCode::UnlockAtNotInFuture);
        assert_eq!(error.code().as_str(), "unlock_at_not_in_future");
        assert!(error.to_string().contains("unlockAt"), "{error}");
    }
    assert_eq!(account, copy);

    // On a locked account too.
    account.lock(&policy, s(20), Some(s(100))).unwrap();
    let copy = account;
    assert_eq!(
        account.lock(&policy, s(30), Some(s(30))),
        Err(LockError::UnlockAtNotInFuture)
    );
    assert_eq!(account, copy);
    assert_eq!(account.view(s(30)).unlock_at, Some(s(100)));
    // 1 ms in the future is fine.
    account.lock(&policy, s(30), Some(ms(30_001))).unwrap();
    assert_eq!(account.view(s(30)).unlock_at, Some(ms(30_001)));
    assert_eq!(account.view(s(30)).seconds_until_unlock, Some(1));
}

#[test]
fn admin_lock_on_ok_account_keeps_the_failure_history() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(1), None).unwrap();
    let outcome = account.lock(&policy, s(2), Some(s(60))).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Locked {
            at: s(2),
            until: Some(s(60)),
            cause: LockCause::Administrator
        }]
    );
    let view = account.view(s(2));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, Some(s(60)));
    assert_eq!(view.seconds_until_unlock, Some(58));
    // The administrator lock expires.
    assert_eq!(account.view(ms(59_999)).status, Status::Locked);
    assert_eq!(account.view(s(60)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(60)), 2);
    assert_eq!(account.check(&policy, s(60)).failures_remaining, Some(1));
    // One more failure locks by the policy.
    let outcome = account.failure(&policy, s(61), None).unwrap();
    assert!(transitions(&outcome).contains(&Transition::Locked {
        at: s(61),
        until: Some(s(961)),
        cause: LockCause::Policy
    }));
    let view = account.view(s(61));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(61)));
    assert_eq!(view.unlock_at, Some(s(961)));
    assert_eq!(account.lock_cause(s(61)), Some(LockCause::Policy));
}

#[test]
fn admin_lock_takes_over_an_automatic_lock() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    for i in 0..3 {
        account.failure(&policy, s(i), None).unwrap();
    }
    assert_eq!(account.view(s(2)).locked_at, Some(s(2)));
    let outcome = account.lock(&policy, s(10), Some(s(100))).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::LockChanged {
            until: Some(s(100)),
            cause: LockCause::Administrator
        }]
    );
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)), "lockedAt kept");
    assert_eq!(view.unlock_at, Some(s(100)));
    assert_eq!(view.seconds_until_unlock, Some(90));
    assert_eq!(account.lock_cause(s(10)), Some(LockCause::Administrator));
    // The history was cleared: once the administrator's lock ends, a full count remains
    // (an administrator lock's end does not reset counters, so this is the takeover's doing).
    assert_eq!(account.view(s(100)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(100)), 0);
    assert_eq!(account.check(&policy, s(100)).failures_remaining, Some(3));
    account.failure(&policy, s(101), None).unwrap();
    assert_eq!(account.view(s(101)).status, Status::Ok);

    // Takeover with no deadline: admin-only, lockedAt kept.
    let mut other: Account = Account::new();
    for i in 0..3 {
        other.failure(&policy, s(i), None).unwrap();
    }
    other.lock(&policy, s(10), None).unwrap();
    let view = other.view(s(5_000));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, None);
    assert_eq!(view.seconds_until_unlock, None);
}

#[test]
fn admin_lock_on_admin_lock_changes_only_the_deadline() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(1), None).unwrap();
    account.lock(&policy, s(2), None).unwrap();
    assert_eq!(account.view(s(2)).unlock_at, None);

    account.lock(&policy, s(5), Some(s(50))).unwrap();
    assert_eq!(account.view(s(5)).locked_at, Some(s(2)));
    assert_eq!(account.view(s(5)).unlock_at, Some(s(50)));
    account.lock(&policy, s(6), Some(s(500))).unwrap(); // extended
    assert_eq!(account.view(s(6)).locked_at, Some(s(2)));
    assert_eq!(account.view(s(6)).unlock_at, Some(s(500)));
    let outcome = account.lock(&policy, s(7), Some(s(40))).unwrap(); // shortened
    assert_eq!(
        transitions(&outcome),
        vec![Transition::LockChanged {
            until: Some(s(40)),
            cause: LockCause::Administrator
        }]
    );
    let view = account.view(s(7));
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, Some(s(40)));
    assert_eq!(view.seconds_until_unlock, Some(33));
    // The failure history survived: the next failure after the lock ends is the third.
    assert_eq!(account.view(s(40)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(40)), 2);
    account.failure(&policy, s(41), None).unwrap();
    let view = account.view(s(41));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(41)));
    assert_eq!(view.unlock_at, Some(s(941)));
}

// ---------------------------------------------------------------------------------------
// behaviour §4: patches
// ---------------------------------------------------------------------------------------

/// An account locked by the PingOne policy (3 failures at T0, T0+1s, T0+2s; until T0+902s).
fn auto_locked(policy: &Policy) -> Account {
    let mut account: Account = Account::new();
    for i in 0..3 {
        account.failure(policy, s(i), None).unwrap();
    }
    account
}

/// An account with two failures recorded (one left before a lock), last event at T0+1s.
fn two_failures(policy: &Policy) -> Account {
    let mut account: Account = Account::new();
    account.failure(policy, s(0), None).unwrap();
    account.failure(policy, s(1), None).unwrap();
    account
}

#[test]
fn patch_status_locked() {
    let policy = pingone(3, Some(900));
    // On an OK account: admin lock, no deadline; the history is kept.
    let mut account = two_failures(&policy);
    account
        .patch(&policy, s(10), &patch_of(r#"{"status":"LOCKED"}"#).unwrap())
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(10)));
    assert_eq!(view.unlock_at, None);
    assert_eq!(view.seconds_until_unlock, None);
    assert_eq!(account.lock_cause(s(10)), Some(LockCause::Administrator));
    assert_eq!(account.failure_count(&policy, s(10)), 2);
    assert_eq!(account.view(Instant::MAX).status, Status::Locked);

    // With unlockAt too: the deadline.
    let mut account = two_failures(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"status":"LOCKED","unlockAt":"2026-01-01T01:00:00Z"}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.locked_at, Some(s(10)));
    assert_eq!(view.unlock_at, Some(s(3_600)));
    assert_eq!(view.seconds_until_unlock, Some(3_590));

    // On a locked account: nothing.
    let mut account = auto_locked(&policy);
    let copy = account;
    account
        .patch(&policy, s(2), &patch_of(r#"{"status":"LOCKED"}"#).unwrap())
        .unwrap();
    assert_eq!(account, copy);
    account
        .patch(&policy, s(50), &patch_of(r#"{"status":"LOCKED"}"#).unwrap())
        .unwrap();
    let view = account.view(s(50));
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(
        view.unlock_at,
        Some(s(902)),
        "the automatic lock is untouched"
    );
    assert_eq!(account.lock_cause(s(50)), Some(LockCause::Policy));
    assert_eq!(account.view(s(902)).status, Status::Ok);
}

#[test]
fn patch_status_ok_unlocks() {
    let policy = pingone(3, Some(900));
    let mut account = auto_locked(&policy);
    account
        .patch(&policy, s(10), &patch_of(r#"{"status":"OK"}"#).unwrap())
        .unwrap();
    assert_eq!(account.view(s(10)), AccountView::OPEN);
    assert_eq!(account.check(&policy, s(10)).failures_remaining, Some(3));

    // On an OK account it still clears the history.
    let mut account = two_failures(&policy);
    let outcome = account
        .patch(&policy, s(10), &patch_of(r#"{"status":"OK"}"#).unwrap())
        .unwrap();
    assert_eq!(outcome.failures_remaining, Some(3));
    assert_eq!(account.failure_count(&policy, s(10)), 0);

    // It does not enable a disabled user.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    account
        .patch(&policy, s(11), &patch_of(r#"{"status":"OK"}"#).unwrap())
        .unwrap();
    let view = account.view(s(11));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);
}

#[test]
fn patch_unlock_at_date() {
    let policy = pingone(3, Some(900));
    // On an automatically locked account: lock(now, date), a takeover.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"unlockAt":"2026-01-01T00:01:40Z"}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, Some(s(100)));
    assert_eq!(view.seconds_until_unlock, Some(90));
    assert_eq!(account.failure_count(&policy, s(100)), 0, "takeover clears");

    // On an administrator's lock: only the deadline changes (history kept).
    let mut account = two_failures(&policy);
    account.lock(&policy, s(5), None).unwrap();
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"unlockAt":"2026-01-01T00:00:20+00:00"}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.locked_at, Some(s(5)));
    assert_eq!(view.unlock_at, Some(s(20)));
    assert_eq!(account.failure_count(&policy, s(20)), 2);

    // An offset and a fraction are normalised.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"unlockAt":"2026-01-01T01:01:40.5678+01:00"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.view(s(10)).unlock_at, Some(ms(100_567)));
}

#[test]
fn patch_unlock_at_null() {
    let policy = pingone(3, Some(900));
    // On a locked account: lock(now), no deadline.
    let mut account = auto_locked(&policy);
    account
        .patch(&policy, s(10), &patch_of(r#"{"unlockAt":null}"#).unwrap())
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, None);
    assert_eq!(view.seconds_until_unlock, None);
    assert_eq!(account.view(s(100_000)).status, Status::Locked);

    // On an admin lock with a deadline.
    let mut account: Account = Account::new();
    account.lock(&policy, s(0), Some(s(60))).unwrap();
    account
        .patch(&policy, s(10), &patch_of(r#"{"unlockAt":null}"#).unwrap())
        .unwrap();
    assert_eq!(account.view(s(60)).status, Status::Locked);
    assert_eq!(account.view(s(60)).locked_at, Some(s(0)));

    // On an OK account: nothing.
    let mut account = two_failures(&policy);
    let copy = account;
    account
        .patch(&policy, s(1), &patch_of(r#"{"unlockAt":null}"#).unwrap())
        .unwrap();
    assert_eq!(account, copy);
    account
        .patch(&policy, s(10), &patch_of(r#"{"unlockAt":null}"#).unwrap())
        .unwrap();
    assert_eq!(account.view(s(10)), AccountView::OPEN);
    assert_eq!(account.failure_count(&policy, s(10)), 2);
}

#[test]
fn patch_can_authenticate() {
    let policy = pingone(3, Some(900));
    // false disables; status unchanged (OK).
    let mut account = two_failures(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);
    assert!(!account.is_enabled());
    assert_eq!(account.failure_count(&policy, s(10)), 2);

    // false on a locked account: still locked with the same deadline.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, Some(s(902)));
    assert!(!view.can_authenticate);

    // true enables and unlocks.
    account
        .patch(
            &policy,
            s(20),
            &patch_of(r#"{"canAuthenticate":true}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.view(s(20)), AccountView::OPEN);
    assert!(account.is_enabled());
    assert_eq!(account.check(&policy, s(20)).failures_remaining, Some(3));

    // true on an enabled OK account: unlock clears the history.
    let mut account = two_failures(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"canAuthenticate":true}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.failure_count(&policy, s(10)), 0);
    assert_eq!(account.view(s(10)), AccountView::OPEN);
}

#[test]
fn patch_empty_object_changes_nothing() {
    let policy = pingone(3, Some(900));
    // Each patched at its last event's instant (T0+1s and T0+2s).
    for (mut account, now) in [(two_failures(&policy), s(1)), (auto_locked(&policy), s(2))] {
        let copy = account;
        let outcome = account
            .patch(&policy, now, &patch_of("{}").unwrap())
            .unwrap();
        assert!(transitions(&outcome).is_empty());
        assert_eq!(account, copy);
    }
}

#[test]
fn patch_combined_fields_apply_can_authenticate_and_status_first() {
    let policy = pingone(3, Some(900));
    // status LOCKED then unlockAt judged on the result (an OK account that becomes LOCKED).
    let mut account = two_failures(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(
                r#"{"canAuthenticate":false,"status":"LOCKED","unlockAt":"2026-01-01T00:02:00Z"}"#,
            )
            .unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Locked);
    assert!(!view.enabled);
    assert_eq!(view.locked_at, Some(s(10)));
    assert_eq!(view.unlock_at, Some(s(120)));

    // status LOCKED + unlockAt null on an OK account: admin-only lock.
    let mut account = two_failures(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"status":"LOCKED","unlockAt":null}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.unlock_at, None);

    // status OK + unlockAt null on a locked account: OK (null on an OK result: nothing).
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"unlockAt":null,"status":"OK"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.view(s(10)), AccountView::OPEN);

    // canAuthenticate true + unlockAt null on a disabled locked account: enabled, OK.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(5),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"canAuthenticate":true,"unlockAt":null}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.view(s(10)), AccountView::OPEN);

    // canAuthenticate false + status OK on a locked account: unlocked but disabled.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"status":"OK","canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);

    // canAuthenticate true + status OK on a disabled locked account.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(5),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"canAuthenticate":true,"status":"OK"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(account.view(s(10)), AccountView::OPEN);

    // canAuthenticate false + unlockAt date on a locked account: disabled, new deadline.
    let mut account = auto_locked(&policy);
    account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"canAuthenticate":false,"unlockAt":"2026-01-01T00:00:30Z"}"#).unwrap(),
        )
        .unwrap();
    let view = account.view(s(10));
    assert!(!view.enabled);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, Some(s(30)));
}

#[test]
fn patch_read_your_writes() {
    let policy = pingone(3, Some(900));
    let now = s(10);
    let disabled_locked = || {
        let mut a = auto_locked(&policy);
        a.patch(
            &policy,
            s(5),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
        a
    };
    let admin_locked = || {
        let mut a: Account = Account::new();
        a.lock(&policy, s(5), Some(s(60))).unwrap();
        a
    };
    let disabled_ok = || {
        let mut a: Account = Account::new();
        a.patch(
            &policy,
            s(5),
            &patch_of(r#"{"canAuthenticate":false}"#).unwrap(),
        )
        .unwrap();
        a
    };
    let starts: [(&str, Account); 5] = [
        ("ok", two_failures(&policy)),
        ("auto-locked", auto_locked(&policy)),
        ("admin-locked", admin_locked()),
        ("disabled+locked", disabled_locked()),
        ("disabled+ok", disabled_ok()),
    ];
    let always_valid = [
        r#"{}"#,
        r#"{"status":"LOCKED"}"#,
        r#"{"status":"OK"}"#,
        r#"{"unlockAt":null}"#,
        r#"{"canAuthenticate":false}"#,
        r#"{"canAuthenticate":true}"#,
        r#"{"status":"LOCKED","unlockAt":"2026-01-01T00:05:00Z"}"#,
        r#"{"status":"LOCKED","unlockAt":null}"#,
        r#"{"status":"OK","unlockAt":null}"#,
        r#"{"canAuthenticate":false,"status":"LOCKED"}"#,
        r#"{"canAuthenticate":false,"status":"OK"}"#,
        r#"{"canAuthenticate":false,"status":"LOCKED","unlockAt":"2026-01-01T00:05:00.250Z"}"#,
        r#"{"canAuthenticate":false,"status":"LOCKED","unlockAt":null}"#,
        r#"{"canAuthenticate":true,"status":"OK"}"#,
        r#"{"canAuthenticate":true,"unlockAt":null}"#,
        r#"{"canAuthenticate":true,"status":"OK","unlockAt":null}"#,
    ];
    let locked_only = [
        r#"{"unlockAt":"2026-01-01T00:05:00Z"}"#,
        r#"{"canAuthenticate":false,"unlockAt":"2026-01-01T00:05:00+00:00"}"#,
    ];
    for (name, start) in starts {
        let start_locked = start.view(now).status == Status::Locked;
        for body in always_valid
            .iter()
            .chain(locked_only.iter().filter(|_| start_locked))
        {
            let mut account = start;
            let patch = patch_of(body).unwrap_or_else(|e| panic!("{body}: {e}"));
            account
                .patch(&policy, now, &patch)
                .unwrap_or_else(|e| panic!("{name} {body}: {e}"));
            let view = account.view(now);
            assert_read_your_writes(body, &view);
            assert_view_consistent(&view, now);
        }
    }
}

#[test]
fn patch_error_1_body_not_an_object() {
    for body in [
        "[]",
        r#""x""#,
        "null",
        "1",
        "true",
        "[1,2]",
        r#"[{"status":"OK"}]"#,
    ] {
        let error = patch_of(body).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidValue, "{body}");
        assert_eq!(error.code.as_str(), "invalid_value");
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn patch_error_2_read_only_beats_unknown_and_invalid() {
    let cases = [
        (r#"{"lockedAt":"2026-01-01T00:00:00Z"}"#, "lockedAt"),
        (r#"{"secondsUntilUnlock":5}"#, "secondsUntilUnlock"),
        (r#"{"lockedAt":"x","color":"red"}"#, "lockedAt"),
        (r#"{"color":"red","lockedAt":"x"}"#, "lockedAt"),
        (
            r#"{"status":"FOO","secondsUntilUnlock":null}"#,
            "secondsUntilUnlock",
        ),
        (
            r#"{"canAuthenticate":true,"status":"LOCKED","secondsUntilUnlock":1}"#,
            "secondsUntilUnlock",
        ),
    ];
    for (body, field) in cases {
        let error = patch_of(body).unwrap_err();
        assert_eq!(error.code, ErrorCode::ReadOnlyField, "{body}");
        assert_eq!(error.code.as_str(), "read_only_field");
        assert!(error.to_string().contains(field), "{body}: {error}");
    }
}

#[test]
fn patch_error_3_unknown_field_beats_invalid_value() {
    let cases = [
        (r#"{"color":"red"}"#, "color"),
        (r#"{"status":"FOO","color":"red"}"#, "color"),
        (r#"{"color":"red","status":"FOO"}"#, "color"),
        (r#"{"canAuthenticate":"yes","Status":"OK"}"#, "Status"),
        (
            r#"{"canAuthenticate":true,"status":"LOCKED","enabled":false}"#,
            "enabled",
        ),
        (r#"{"account":{"status":"OK"}}"#, "account"),
    ];
    for (body, field) in cases {
        let error = patch_of(body).unwrap_err();
        assert_eq!(error.code, ErrorCode::UnknownField, "{body}");
        assert_eq!(error.code.as_str(), "unknown_field");
        assert!(error.to_string().contains(field), "{body}: {error}");
    }
}

#[test]
fn patch_error_4_invalid_value() {
    let cases = [
        (r#"{"canAuthenticate":"true"}"#, "canAuthenticate"),
        (r#"{"canAuthenticate":1}"#, "canAuthenticate"),
        (r#"{"canAuthenticate":null}"#, "canAuthenticate"),
        (r#"{"status":"FOO"}"#, "status"),
        (r#"{"status":"locked"}"#, "status"),
        (r#"{"status":"ok"}"#, "status"),
        (r#"{"status":null}"#, "status"),
        (r#"{"status":true}"#, "status"),
        (r#"{"unlockAt":"2026-01-01 00:00:00Z"}"#, "unlockAt"),
        (r#"{"unlockAt":"2026-01-01T00:00:00"}"#, "unlockAt"),
        (r#"{"unlockAt":"2026-13-01T00:00:00Z"}"#, "unlockAt"),
        (r#"{"unlockAt":"2025-02-29T00:00:00Z"}"#, "unlockAt"),
        (r#"{"unlockAt":"tomorrow"}"#, "unlockAt"),
        (r#"{"unlockAt":1767225600000}"#, "unlockAt"),
        (r#"{"unlockAt":false}"#, "unlockAt"),
        (r#"{"unlockAt":{}}"#, "unlockAt"),
        (r#"{"unlockAt":["2027-01-01T00:00:00Z"]}"#, "unlockAt"),
        // Duplicate keys.
        (r#"{"status":"OK","status":"OK"}"#, "status"),
        (r#"{"status":"OK","status":"LOCKED"}"#, "status"),
        (
            r#"{"canAuthenticate":true,"canAuthenticate":true}"#,
            "canAuthenticate",
        ),
        (r#"{"unlockAt":null,"unlockAt":null}"#, "unlockAt"),
        // Invalid beats conflicting.
        (
            r#"{"canAuthenticate":true,"status":"LOCKED","unlockAt":"bad"}"#,
            "unlockAt",
        ),
        (r#"{"canAuthenticate":true,"status":"FOO"}"#, "status"),
    ];
    for (body, field) in cases {
        let error = patch_of(body).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidValue, "{body}");
        assert_eq!(error.code.as_str(), "invalid_value");
        assert!(error.to_string().contains(field), "{body}: {error}");
    }
}

#[test]
fn patch_error_5_conflicting_fields() {
    let cases = [
        (
            r#"{"canAuthenticate":true,"status":"LOCKED"}"#,
            ["canAuthenticate", "status"],
        ),
        (
            r#"{"canAuthenticate":true,"unlockAt":"2030-01-01T00:00:00Z"}"#,
            ["canAuthenticate", "unlockAt"],
        ),
        (
            r#"{"status":"OK","unlockAt":"2030-01-01T00:00:00Z"}"#,
            ["status", "unlockAt"],
        ),
        // A past date: conflicting (5) is reported before not-in-future (7).
        (
            r#"{"status":"OK","unlockAt":"2000-01-01T00:00:00Z"}"#,
            ["status", "unlockAt"],
        ),
    ];
    for (body, fields) in cases {
        let error = patch_of(body).unwrap_err();
        assert_eq!(error.code, ErrorCode::ConflictingFields, "{body}");
        assert_eq!(error.code.as_str(), "conflicting_fields");
        let message = error.to_string();
        for field in fields {
            assert!(message.contains(field), "{body}: {message}");
        }
    }
    // canAuthenticate true with status LOCKED and a date: still conflicting.
    assert_eq!(
        patch_of(r#"{"canAuthenticate":true,"status":"LOCKED","unlockAt":"2030-01-01T00:00:00Z"}"#)
            .unwrap_err()
            .code,
        ErrorCode::ConflictingFields
    );
    // Not conflicting.
    for body in [
        r#"{"canAuthenticate":true,"unlockAt":null}"#,
        r#"{"status":"OK","unlockAt":null}"#,
        r#"{"canAuthenticate":false,"status":"OK"}"#,
        r#"{"canAuthenticate":true,"status":"OK"}"#,
        r#"{"canAuthenticate":false,"status":"LOCKED","unlockAt":"2030-01-01T00:00:00Z"}"#,
    ] {
        assert!(patch_of(body).is_ok(), "{body}");
    }
}

#[test]
fn patch_error_6_and_7_depend_on_the_account_and_leave_it_unchanged() {
    let policy = pingone(3, Some(900));

    // 6: a date unlockAt with no status on an OK account.
    let mut ok = two_failures(&policy);
    let copy = ok;
    for body in [
        r#"{"unlockAt":"2026-01-01T01:00:00Z"}"#,
        r#"{"canAuthenticate":false,"unlockAt":"2026-01-01T01:00:00Z"}"#,
        // 6 is reported before 7.
        r#"{"unlockAt":"2020-01-01T00:00:00Z"}"#,
    ] {
        let error = ok
            .patch(&policy, s(10), &patch_of(body).unwrap())
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::UnlockAtRequiresLocked, "{body}");
        assert_eq!(error.code.as_str(), "unlock_at_requires_locked");
        assert!(error.to_string().contains("unlockAt"), "{error}");
        assert_eq!(ok, copy, "{body}");
    }
    // An account whose lock has ended by itself is OK at now.
    let mut expired = auto_locked(&policy);
    let copy = expired;
    let error = expired
        .patch(
            &policy,
            s(902),
            &patch_of(r#"{"unlockAt":"2026-01-01T01:00:00Z"}"#).unwrap(),
        )
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::UnlockAtRequiresLocked);
    assert_eq!(expired, copy);

    // 7: a date unlockAt <= now.
    let mut account = auto_locked(&policy);
    let copy = account;
    for body in [
        r#"{"unlockAt":"2026-01-01T00:00:10Z"}"#, // == now
        r#"{"unlockAt":"2026-01-01T00:00:09.999Z"}"#,
        r#"{"status":"LOCKED","unlockAt":"2025-01-01T00:00:00Z"}"#,
        r#"{"canAuthenticate":false,"unlockAt":"2026-01-01T00:00:05Z"}"#,
    ] {
        let error = account
            .patch(&policy, s(10), &patch_of(body).unwrap())
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::UnlockAtNotInFuture, "{body}");
        assert_eq!(error.code.as_str(), "unlock_at_not_in_future");
        assert!(error.to_string().contains("unlockAt"), "{error}");
        assert_eq!(account, copy, "{body}");
    }
    // status LOCKED with a date == now on an OK account: 7 (status given, so not 6).
    let mut ok = two_failures(&policy);
    let copy = ok;
    let error = ok
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"status":"LOCKED","unlockAt":"2026-01-01T00:00:10Z"}"#).unwrap(),
        )
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::UnlockAtNotInFuture);
    assert_eq!(ok, copy);
    // 1 ms earlier the same date is 1 ms in the future: it succeeds.
    ok.patch(
        &policy,
        ms(9_999),
        &patch_of(r#"{"status":"LOCKED","unlockAt":"2026-01-01T00:00:10Z"}"#).unwrap(),
    )
    .unwrap();
    assert_eq!(ok.view(ms(9_999)).seconds_until_unlock, Some(1));
}

#[test]
fn patch_error_codes_in_spec_order() {
    // One body that fails several checks: the first in the document's order wins.
    let steps = [
        (
            r#"{"lockedAt":1,"color":2,"status":"FOO","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#,
            ErrorCode::ReadOnlyField,
        ),
        (
            r#"{"color":2,"status":"FOO","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#,
            ErrorCode::UnknownField,
        ),
        (
            r#"{"status":"FOO","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#,
            ErrorCode::InvalidValue,
        ),
        (
            r#"{"status":"OK","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#,
            ErrorCode::ConflictingFields,
        ),
    ];
    for (body, code) in steps {
        assert_eq!(patch_of(body).unwrap_err().code, code, "{body}");
    }
    let policy = pingone(3, Some(900));
    let mut ok: Account = Account::new();
    let patch = patch_of(r#"{"canAuthenticate":false,"unlockAt":"2000-01-01T00:00:00Z"}"#).unwrap();
    assert_eq!(
        ok.patch(&policy, s(0), &patch).unwrap_err().code,
        ErrorCode::UnlockAtRequiresLocked
    );
    let mut locked_account = auto_locked(&policy);
    assert_eq!(
        locked_account
            .patch(&policy, s(10), &patch)
            .unwrap_err()
            .code,
        ErrorCode::UnlockAtNotInFuture
    );
    // The code strings.
    let all = [
        (ErrorCode::InvalidValue, "invalid_value"),
        (ErrorCode::ReadOnlyField, "read_only_field"),
        (ErrorCode::UnknownField, "unknown_field"),
        (ErrorCode::ConflictingFields, "conflicting_fields"),
        (
            ErrorCode::UnlockAtRequiresLocked,
            "unlock_at_requires_locked",
        ),
        (ErrorCode::UnlockAtNotInFuture, "unlock_at_not_in_future"),
    ];
    for (code, text) in all {
        assert_eq!(code.as_str(), text);
        assert_eq!(code.to_string(), text);
    }
}

// ---------------------------------------------------------------------------------------
// behaviour §5: modifiers
// ---------------------------------------------------------------------------------------

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
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Counted { failures: 1 }]
    );
    assert_eq!(outcome.failures_remaining, Some(9));

    // A remembered fingerprint is ignored: count unchanged, last_seen moved.
    let outcome = account.failure(&policy, s(1), Some(a)).unwrap();
    assert_eq!(outcome.decision, Some(Decision::Allowed));
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    assert_eq!(outcome.failures_remaining, Some(9));
    assert_eq!(account.failure_count(&policy, s(1)), 1);
    assert_eq!(account.consecutive_failures(), 1);
    assert_eq!(account.last_seen(), s(1));

    // K = 2 most recent distinct: {a, b}, then {b, c}.
    account.failure(&policy, s(2), Some(b)).unwrap(); // 2
    let outcome = account.failure(&policy, s(3), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    account.failure(&policy, s(4), Some(c)).unwrap(); // 3, memory {b, c}
    assert_eq!(account.failure_count(&policy, s(4)), 3);
    let outcome = account.failure(&policy, s(5), Some(b)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    let outcome = account.failure(&policy, s(6), Some(c)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    // a was pushed out (the ignored repeat at T0+3s did not refresh it: it was not counted).
    let outcome = account.failure(&policy, s(7), Some(a)).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Counted { failures: 4 }]
    );
    // Memory {c, a}: b is forgotten now.
    let outcome = account.failure(&policy, s(8), Some(b)).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Counted { failures: 5 }]
    );
    // Memory {a, b}.

    // A failure without a fingerprint always counts and takes no place in the memory.
    for (i, expected) in [(9, 6), (10, 7)] {
        let outcome = account.failure(&policy, s(i), None).unwrap();
        assert_eq!(
            transitions(&outcome),
            vec![Transition::Counted { failures: expected }]
        );
    }
    let outcome = account.failure(&policy, s(11), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    let outcome = account.failure(&policy, s(12), Some(b)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    assert_eq!(account.failure_count(&policy, s(12)), 7);
    assert_eq!(account.consecutive_failures(), 7);

    // Forgotten on success.
    let outcome = account.success(&policy, s(13));
    assert_eq!(outcome.decision, Some(Decision::Allowed));
    let outcome = account.failure(&policy, s(14), Some(a)).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Counted { failures: 1 }]
    );
    let outcome = account.failure(&policy, s(15), Some(a)).unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);

    // Forgotten on an administrator unlock.
    account.unlock(&policy, s(16));
    let outcome = account.failure(&policy, s(17), Some(a)).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Counted { failures: 1 }]
    );

    // An ignored failure at the same instant changes nothing at all.
    let copy = account;
    account.failure(&policy, s(17), Some(a)).unwrap();
    assert_eq!(account, copy);

    // Without the modifier the same fingerprint always counts.
    let plain = pingone(10, Some(900));
    let mut account: Account<0, 8> = Account::new();
    for i in 0..3 {
        let outcome = account.failure(&plain, s(i), Some(a)).unwrap();
        assert_eq!(
            transitions(&outcome),
            vec![Transition::Counted {
                failures: i as u32 + 1
            }]
        );
    }
}

#[test]
fn modifier_repeated_credential_memory_cannot_reach_a_lock() {
    // PingOne 3: the same wrong password, again and again, never locks.
    let policy = pingone(3, Some(900)).with_modifiers(1, None).unwrap();
    let fp = Fingerprint::new(42);
    let mut account: Account<0, 8> = Account::new();
    for i in 0..100 {
        account.failure(&policy, s(i), Some(fp)).unwrap();
    }
    assert_eq!(account.view(s(100)), AccountView::OPEN);
    assert_eq!(account.failure_count(&policy, s(100)), 1);
    assert_eq!(account.check(&policy, s(100)).failures_remaining, Some(2));
    assert_eq!(account.last_seen(), s(99));
    // Distinct ones do.
    account
        .failure(&policy, s(100), Some(Fingerprint::new(1)))
        .unwrap();
    account
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
        assert_eq!(outcome.decision, Some(Decision::Allowed));
        assert_eq!(
            transitions(&outcome),
            vec![Transition::Counted { failures: 1 }]
        );
        assert_eq!(account.consecutive_failures(), i as u32 + 1);
    }
    assert_eq!(account.view(s(40)).status, Status::Ok);
    // At T0+40s: the policy would need 2 more, the cap 1.
    assert_eq!(account.check(&policy, s(40)).failures_remaining, Some(1));

    // The fourth locks with no deadline.
    let outcome = account.failure(&policy, s(60), None).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![
            Transition::Counted { failures: 1 },
            Transition::Locked {
                at: s(60),
                until: None,
                cause: LockCause::ConsecutiveFailures
            }
        ]
    );
    assert_eq!(account.consecutive_failures(), 4);
    let view = account.view(s(60));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(60)));
    assert_eq!(view.unlock_at, None);
    assert_eq!(view.seconds_until_unlock, None);
    assert_eq!(
        account.lock_cause(s(60)),
        Some(LockCause::ConsecutiveFailures)
    );
    // Never decayed by any window: still locked ten years later.
    let later = s(10 * 365 * 86_400);
    assert_eq!(account.view(later).status, Status::Locked);
    assert_eq!(
        account.check(&policy, later).decision,
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: None,
            unlock_in: None
        }))
    );
    // An administrator unlock resets it.
    account.unlock(&policy, later);
    assert_eq!(account.consecutive_failures(), 0);
    assert_eq!(account.view(later), AccountView::OPEN);

    // A success resets it.
    let mut other: Account = Account::new();
    for t in [0, 20, 40] {
        other.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(
        other.success(&policy, s(50)).decision,
        Some(Decision::Allowed)
    );
    assert_eq!(other.consecutive_failures(), 0);
    for t in [60, 80, 100] {
        other.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(other.view(s(100)).status, Status::Ok);
    assert_eq!(other.consecutive_failures(), 3);
    other.failure(&policy, s(120), None).unwrap();
    assert_eq!(other.view(s(120)).status, Status::Locked);
    assert_eq!(other.view(s(120)).unlock_at, None);

    // An administrator lock takes over the cap's lock and clears the count.
    other.lock(&policy, s(130), Some(s(200))).unwrap();
    assert_eq!(other.consecutive_failures(), 0);
    assert_eq!(other.view(s(130)).locked_at, Some(s(120)));
    assert_eq!(other.view(s(200)).status, Status::Ok);
}

#[test]
fn modifier_max_consecutive_failures_counts_past_automatic_locks() {
    // PingOne 2 / 10 s with a cap of 5: locks by policy at 2 and 4, the cap at 5.
    let policy = pingone(2, Some(10)).with_modifiers(0, Some(5)).unwrap();
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(1), None).unwrap(); // policy lock until T0+11s
    assert_eq!(account.view(s(1)).unlock_at, Some(s(11)));
    account.failure(&policy, s(11), None).unwrap();
    account.failure(&policy, s(12), None).unwrap(); // policy lock until T0+22s
    assert_eq!(account.view(s(12)).unlock_at, Some(s(22)));
    assert_eq!(account.consecutive_failures(), 4);
    account.failure(&policy, s(22), None).unwrap();
    let view = account.view(s(22));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(22)));
    assert_eq!(view.unlock_at, None);
}

// ---------------------------------------------------------------------------------------
// Extreme inputs
// ---------------------------------------------------------------------------------------

#[test]
fn extreme_operations_at_instant_min() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, Instant::MIN, None).unwrap();
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
    let mut admin: Account = Account::new();
    admin.lock(&policy, Instant::MIN, None).unwrap();
    assert_eq!(admin.view(Instant::MIN).locked_at, Some(Instant::MIN));
    assert_eq!(
        admin.lock(&policy, Instant::MIN, Some(Instant::MIN)),
        Err(LockError::UnlockAtNotInFuture)
    );
    admin.unlock(&policy, Instant::MIN);
    assert_eq!(admin.view(Instant::MIN), AccountView::OPEN);
    admin
        .patch(
            &policy,
            Instant::MIN,
            &patch_of(r#"{"status":"LOCKED"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(admin.view(Instant::MIN).status, Status::Locked);
    admin
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
            .decision
            .map(|d| d.is_allowed()),
        Some(false)
    );
    assert!(admin.check(&policy, Instant::MIN).decision.is_some());
    // Serialises without panicking.
    assert!(json(&view).starts_with(r#"{"canAuthenticate":false,"lockedAt":"-"#));
}

#[test]
fn extreme_operations_at_instant_max_and_regressions_across_the_range() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, Instant::MAX, None).unwrap();
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
    admin.lock(&policy, Instant::MAX, None).unwrap();
    let view = admin.view(Instant::MAX);
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(Instant::MAX));
    assert_eq!(view.unlock_at, None);
    assert_view_consistent(&view, Instant::MAX);

    // The clock jumps from MAX all the way back to MIN: every shift saturates.
    let outcome = admin.failure(&policy, Instant::MIN, None).unwrap();
    assert!(
        !outcome.decision.unwrap().is_allowed(),
        "the admin lock stays"
    );
    assert_eq!(admin.last_seen(), Instant::MIN);
    let view = admin.view(Instant::MIN);
    assert_eq!(view.status, Status::Locked);
    assert_view_consistent(&view, Instant::MIN);
    // And forward again.
    admin.unlock(&policy, Instant::MAX);
    assert_eq!(admin.view(Instant::MAX), AccountView::OPEN);

    // A timed lock at MIN, then time jumps to MAX (the lock ended), then back to MIN.
    let mut timed: Account = Account::new();
    timed.failure(&policy, Instant::MIN, None).unwrap();
    assert_eq!(timed.view(Instant::MAX).status, Status::Ok);
    timed.success(&policy, Instant::MAX);
    timed.failure(&policy, Instant::MIN, None).unwrap();
    for now in [Instant::MIN, ms(0), Instant::MAX] {
        assert_view_consistent(&timed.view(now), now);
        assert_view_consistent(&account.view(now), now);
    }
    // A view far before last_seen saturates rather than wrapping.
    let mut late: Account = Account::new();
    late.lock(&policy, Instant::MAX, None).unwrap();
    assert_view_consistent(&late.view(Instant::MIN), Instant::MIN);
    assert_eq!(late.view(Instant::MIN).status, Status::Locked);
}

#[test]
fn extreme_durations_of_centuries() {
    let centuries = u64::MAX / 1_000;
    let policy = pingone(1, Some(centuries));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    let view = account.view(s(0));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(0)));
    assert_eq!(view.unlock_at, Some(Instant::MAX), "saturated");
    let left = (i64::MAX - T0_MS) as u64;
    assert_eq!(view.seconds_until_unlock, Some(left.div_ceil(1_000)));
    assert_view_consistent(&view, s(0));
    assert_eq!(
        account.check(&policy, s(0)).decision,
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: Some(Instant::MAX),
            unlock_in: Some(Duration::from_millis(left)),
        }))
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
    account.failure(&policy, s(-100), None).unwrap();
    let view = account.view(s(-100));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(-100)));
    assert_view_consistent(&view, s(-100));

    // The other dialects with century-long parameters.
    let ad = active_directory(1, centuries, centuries);
    let mut account: Account = Account::new();
    account.failure(&ad, s(0), None).unwrap();
    assert_eq!(account.view(s(0)).unlock_at, Some(Instant::MAX));
    assert_view_consistent(&account.view(s(0)), s(0));

    let tpm = Tpm {
        max_tries: 1,
        recovery_time: centuries,
    }
    .policy()
    .unwrap();
    let mut account: Account = Account::new();
    account.failure(&tpm, s(0), None).unwrap();
    let view = account.view(s(0));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.unlock_at, Some(Instant::MAX));
    assert_view_consistent(&view, s(0));
    account.unlock(&tpm, s(1));
    assert_eq!(account.view(s(1)), AccountView::OPEN);

    // An administrator lock of centuries.
    let mut admin: Account = Account::new();
    admin
        .lock(&policy, Instant::MIN, Some(Instant::MAX))
        .unwrap();
    let view = admin.view(Instant::MIN);
    assert_eq!(view.seconds_until_unlock, Some(u64::MAX.div_ceil(1_000)));
    assert_view_consistent(&view, Instant::MIN);
}

#[test]
fn extreme_a_million_failures() {
    const N: u32 = 1_000_000;

    // TPM with recoveryTime 0: protection off, never locks; success keeps the count.
    let tpm = Tpm {
        max_tries: 1,
        recovery_time: 0,
    }
    .policy()
    .unwrap();
    let mut account: Account = Account::new();
    for i in 0..N {
        let outcome = account.failure(&tpm, ms(i64::from(i)), None).unwrap();
        assert_eq!(outcome.decision, Some(Decision::Allowed));
    }
    let now = ms(i64::from(N));
    assert_eq!(account.view(now), AccountView::OPEN);
    assert_eq!(account.failure_count(&tpm, now), N);
    assert_eq!(account.consecutive_failures(), N);
    assert_eq!(account.check(&tpm, now).failures_remaining, None);

    // AD with threshold 0: never locks; a 1 s window, failures 1 ms apart.
    let ad = active_directory(0, 0, 1);
    let mut account: Account = Account::new();
    for i in 0..N {
        account.failure(&ad, ms(i64::from(i)), None).unwrap();
    }
    assert_eq!(account.view(now), AccountView::OPEN);
    assert_eq!(account.failure_count(&ad, now), N);
    assert_eq!(account.consecutive_failures(), N);

    // Android Gatekeeper: each failure waits for the previous timeout to end. Past 140
    // failures every failure locks for a day; the counter never decays.
    let gatekeeper = AndroidGatekeeper {}.policy().unwrap();
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
    let view = account.view(last);
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(last));
    assert_eq!(view.unlock_at, Some(now));
    assert_eq!(view.seconds_until_unlock, Some(86_400));
    assert_view_consistent(&view, last);
    assert_eq!(account.view(now).status, Status::Ok);
    // The next failure locks again.
    assert_eq!(account.check(&gatekeeper, now).failures_remaining, Some(1));

    // Counts saturate: a cap of u32::MAX and a PingOne count of u32::MAX report full
    // counts without overflow.
    let huge = pingone(u32::MAX, Some(1))
        .with_modifiers(0, Some(u32::MAX))
        .unwrap();
    let mut account: Account = Account::new();
    assert_eq!(
        account.check(&huge, s(0)).failures_remaining,
        Some(u32::MAX)
    );
    account.failure(&huge, s(0), None).unwrap();
    assert_eq!(
        account.check(&huge, s(0)).failures_remaining,
        Some(u32::MAX - 1)
    );
}
