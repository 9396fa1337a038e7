//! Administrator operations (behaviour §4): `unlock`, `lock` and patches. Patches are
//! table-driven: one row per (start state, body) with the expected view, and one row per
//! refused body with its error code (checks 1-5 on the body, 6-7 at the account).

mod fixtures;

use account_lockout::{
    Account, AccountView, Decision, ErrorCode, Instant, LockCause, LockError, Policy, Rejection,
    Status, Transition,
};
use fixtures::{
    admin_locked, allowed, assert_view_consistent, counted_and_locked, date, disabled, expired,
    lock_fields, ms, patch_of, pingone, s, status_and_remaining, transitions, with_failures,
};

#[test]
fn admin_unlock_ends_automatic_and_admin_locks_and_clears_history() {
    let policy = pingone(3, Some(900));

    // Automatic lock.
    let mut account = with_failures(&policy, &[0, 1, 2]);
    assert_eq!(account.view(s(5)).status, Status::Locked);
    let outcome = account.unlock(&policy, s(5));
    assert_eq!(outcome.decision(), None);
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Unlocked {
            at: s(5),
            cause: account_lockout::UnlockCause::Administrator
        }]
    );
    assert_eq!(account.failures_remaining(&policy, s(5)), Some(3));
    assert_eq!(account.view(s(5)), AccountView::OPEN);
    assert_eq!(account.failure_count(&policy, s(5)), 0);
    assert_eq!(account.consecutive_failures(), 0);

    // Idempotent on an OK account, and it still clears the history.
    let mut ok = with_failures(&policy, &[0, 1]);
    assert_eq!(ok.failures_remaining(&policy, s(2)), Some(1));
    let outcome = ok.unlock(&policy, s(2));
    assert!(transitions(&outcome).is_empty());
    assert_eq!(ok.failures_remaining(&policy, s(2)), Some(3));
    assert_eq!(ok.view(s(2)), AccountView::OPEN);
    let once = ok;
    let _ = ok.unlock(&policy, s(2));
    assert_eq!(ok, once, "a second unlock changes nothing");
    // Two more failures do not lock: the history was cleared.
    let _ = ok.failure(&policy, s(3), None).unwrap();
    let _ = ok.failure(&policy, s(4), None).unwrap();
    assert_eq!(
        status_and_remaining(&ok, &policy, s(4)),
        (Status::Ok, Some(1))
    );

    // Administrator lock, with and without a deadline.
    for until in [Some(s(100)), None] {
        let mut admin = admin_locked(&policy, s(0), until);
        assert_eq!(admin.view(s(1)).status, Status::Locked);
        let _ = admin.unlock(&policy, s(1));
        assert_eq!(admin.view(s(1)), AccountView::OPEN);
        assert!(allowed(&admin.check(&policy, s(1))));
    }
}

#[test]
fn admin_unlock_does_not_enable_a_disabled_user() {
    let policy = pingone(1, Some(900));
    let mut account = disabled(&policy, with_failures(&policy, &[0]), s(1));
    assert_eq!(account.view(s(1)).status, Status::Locked);
    let _ = account.unlock(&policy, s(2));
    let view = account.view(s(2));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);
    assert!(!view.enabled);
    assert!(!account.is_enabled());
    assert_eq!(
        account.check(&policy, s(2)).decision(),
        Some(Decision::Rejected(Rejection::Disabled))
    );
}

#[test]
fn admin_lock_with_unlock_at_not_in_future_is_refused() {
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0]);
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
    let _ = account.lock(&policy, s(20), Some(s(100))).unwrap();
    let copy = account;
    assert_eq!(
        account.lock(&policy, s(30), Some(s(30))),
        Err(LockError::UnlockAtNotInFuture)
    );
    assert_eq!(account, copy);
    assert_eq!(account.view(s(30)).unlock_at, Some(s(100)));
    // 1 ms in the future is fine.
    let _ = account.lock(&policy, s(30), Some(ms(30_001))).unwrap();
    assert_eq!(account.view(s(30)).unlock_at, Some(ms(30_001)));
    assert_eq!(account.view(s(30)).seconds_until_unlock, Some(1));
}

#[test]
fn admin_lock_on_ok_account_keeps_the_failure_history() {
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0, 1]);
    let outcome = account.lock(&policy, s(2), Some(s(60))).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Locked {
            at: s(2),
            until: Some(s(60)),
            cause: LockCause::Administrator
        }]
    );
    assert_eq!(
        lock_fields(&account.view(s(2))),
        (Status::Locked, Some(s(2)), Some(s(60)), Some(58))
    );
    // The administrator lock expires.
    assert_eq!(account.view(ms(59_999)).status, Status::Locked);
    assert_eq!(account.view(s(60)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(60)), 2);
    assert_eq!(account.failures_remaining(&policy, s(60)), Some(1));
    // One more failure locks by the policy.
    let outcome = account.failure(&policy, s(61), None).unwrap();
    // The administrator's lock ended at its deadline; the count it kept goes on from 2.
    assert_eq!(
        transitions(&outcome),
        [
            vec![expired(s(60))],
            counted_and_locked(3, s(61), Some(s(961)))
        ]
        .concat()
    );
    let view = account.view(s(61));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(61)));
    assert_eq!(view.unlock_at, Some(s(961)));
    assert_eq!(account.lock_cause(s(61)), Some(LockCause::Policy));
}

#[test]
fn admin_lock_takes_over_an_automatic_lock() {
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0, 1, 2]);
    assert_eq!(account.view(s(2)).locked_at, Some(s(2)));
    let outcome = account.lock(&policy, s(10), Some(s(100))).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::LockChanged {
            until: Some(s(100)),
            cause: LockCause::Administrator
        }]
    );
    assert_eq!(
        lock_fields(&account.view(s(10))),
        (Status::Locked, Some(s(2)), Some(s(100)), Some(90)),
        "lockedAt kept"
    );
    assert_eq!(account.lock_cause(s(10)), Some(LockCause::Administrator));
    // The history was cleared: once the administrator's lock ends, a full count remains
    // (an administrator lock's end does not reset counters, so this is the takeover's doing).
    assert_eq!(account.view(s(100)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(100)), 0);
    assert_eq!(account.failures_remaining(&policy, s(100)), Some(3));
    let _ = account.failure(&policy, s(101), None).unwrap();
    assert_eq!(account.view(s(101)).status, Status::Ok);

    // Takeover with no deadline: admin-only, lockedAt kept.
    let mut other = with_failures(&policy, &[0, 1, 2]);
    let _ = other.lock(&policy, s(10), None).unwrap();
    assert_eq!(
        lock_fields(&other.view(s(5_000))),
        (Status::Locked, Some(s(2)), None, None)
    );
}

#[test]
fn admin_lock_on_admin_lock_changes_only_the_deadline() {
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0, 1]);
    let _ = account.lock(&policy, s(2), None).unwrap();
    assert_eq!(account.view(s(2)).unlock_at, None);

    let _ = account.lock(&policy, s(5), Some(s(50))).unwrap();
    assert_eq!(account.view(s(5)).locked_at, Some(s(2)));
    assert_eq!(account.view(s(5)).unlock_at, Some(s(50)));
    let _ = account.lock(&policy, s(6), Some(s(500))).unwrap(); // extended
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
    let _ = account.failure(&policy, s(41), None).unwrap();
    let view = account.view(s(41));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(41)));
    assert_eq!(view.unlock_at, Some(s(941)));
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
// Patches that apply (behaviour §4): one row per (start state, instant, body)
// ---------------------------------------------------------------------------------------

/// Start states for the patch rows (PingOne 3 failures / 900 s), each with its name.
type Start = (&'static str, fn(&Policy) -> Account);

/// Two failures at T0 and T0+1s: OK, one failure left before a lock.
const TWO_FAILURES: Start = ("two failures", |policy| with_failures(policy, &[0, 1]));
/// Locked by the policy at T0+2s until T0+902s.
const AUTO_LOCKED: Start = ("auto-locked", |policy| with_failures(policy, &[0, 1, 2]));
/// Two failures, then an administrator's lock at T0+5s without a deadline.
const ADMIN_LOCKED: Start = ("admin-locked", |policy| {
    let mut account = with_failures(policy, &[0, 1]);
    let _ = account.lock(policy, s(5), None).unwrap();
    account
});
/// An administrator's lock at T0 until T0+60s, no failures.
const ADMIN_LOCKED_60: Start = ("admin-locked until 60 s", |policy| {
    admin_locked(policy, s(0), Some(s(60)))
});
/// Locked by the policy, then disabled at T0+5s.
const DISABLED_LOCKED: Start = ("disabled+locked", |policy| {
    disabled(policy, with_failures(policy, &[0, 1, 2]), s(5))
});

/// One patch that applies, and what it leaves.
struct PatchCase {
    start: Start,
    /// The patch's `now`, in seconds after T0.
    at: i64,
    body: &'static str,
    /// Whether the account is left exactly as it was (and no transition reported).
    unchanged: bool,
    /// The view at `at`: status, enabled, lockedAt, unlockAt.
    view: (Status, bool, Option<Instant>, Option<Instant>),
    /// The lock's cause at `at`.
    cause: Option<LockCause>,
    /// Later: at this instant, the status and the failure count.
    then: (Instant, Status, u32),
}

const OK: Status = Status::Ok;
const LOCKED: Status = Status::Locked;
const ADMIN: Option<LockCause> = Some(LockCause::Administrator);
const POLICY: Option<LockCause> = Some(LockCause::Policy);

#[rustfmt::skip]
const PATCHES: [PatchCase; 27] = [
    // status LOCKED on an OK account: an administrator's lock, no deadline, history kept.
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"status":"LOCKED"}"#, unchanged: false,
        view: (LOCKED, true, Some(s(10)), None), cause: ADMIN, then: (Instant::MAX, LOCKED, 2) },
    // ... with unlockAt: the deadline.
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"status":"LOCKED","unlockAt":"2026-01-01T01:00:00Z"}"#, unchanged: false,
        view: (LOCKED, true, Some(s(10)), Some(s(3_600))), cause: ADMIN, then: (s(3_600), OK, 2) },
    // status LOCKED on a locked account: nothing; the automatic lock is untouched.
    PatchCase { start: AUTO_LOCKED, at: 2, body: r#"{"status":"LOCKED"}"#, unchanged: true,
        view: (LOCKED, true, Some(s(2)), Some(s(902))), cause: POLICY, then: (s(902), OK, 0) },
    PatchCase { start: AUTO_LOCKED, at: 50, body: r#"{"status":"LOCKED"}"#, unchanged: false,
        view: (LOCKED, true, Some(s(2)), Some(s(902))), cause: POLICY, then: (s(902), OK, 0) },
    // status OK unlocks and clears the history, even on an OK account.
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"status":"OK"}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 0) },
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"status":"OK"}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 0) },
    // ... and does not enable a disabled user.
    PatchCase { start: DISABLED_LOCKED, at: 11, body: r#"{"status":"OK"}"#, unchanged: false,
        view: (OK, false, None, None), cause: None, then: (s(11), OK, 0) },
    // unlockAt date on an automatic lock: a takeover (lockedAt kept, history cleared).
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"unlockAt":"2026-01-01T00:01:40Z"}"#, unchanged: false,
        view: (LOCKED, true, Some(s(2)), Some(s(100))), cause: ADMIN, then: (s(100), OK, 0) },
    // ... on an administrator's lock: only the deadline changes (history kept).
    PatchCase { start: ADMIN_LOCKED, at: 10, body: r#"{"unlockAt":"2026-01-01T00:00:20+00:00"}"#, unchanged: false,
        view: (LOCKED, true, Some(s(5)), Some(s(20))), cause: ADMIN, then: (s(20), OK, 2) },
    // ... an offset and a fraction are normalised.
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"unlockAt":"2026-01-01T01:01:40.5678+01:00"}"#, unchanged: false,
        view: (LOCKED, true, Some(s(2)), Some(ms(100_567))), cause: ADMIN, then: (ms(100_567), OK, 0) },
    // unlockAt null on a locked account: no deadline.
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"unlockAt":null}"#, unchanged: false,
        view: (LOCKED, true, Some(s(2)), None), cause: ADMIN, then: (s(100_000), LOCKED, 0) },
    PatchCase { start: ADMIN_LOCKED_60, at: 10, body: r#"{"unlockAt":null}"#, unchanged: false,
        view: (LOCKED, true, Some(s(0)), None), cause: ADMIN, then: (s(60), LOCKED, 0) },
    // ... on an OK account: nothing.
    PatchCase { start: TWO_FAILURES, at: 1, body: r#"{"unlockAt":null}"#, unchanged: true,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 2) },
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"unlockAt":null}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 2) },
    // canAuthenticate false disables; status and lock unchanged.
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"canAuthenticate":false}"#, unchanged: false,
        view: (OK, false, None, None), cause: None, then: (s(10), OK, 2) },
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"canAuthenticate":false}"#, unchanged: false,
        view: (LOCKED, false, Some(s(2)), Some(s(902))), cause: POLICY, then: (s(902), OK, 0) },
    // canAuthenticate true enables and unlocks (clearing the history).
    PatchCase { start: DISABLED_LOCKED, at: 20, body: r#"{"canAuthenticate":true}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(20), OK, 0) },
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"canAuthenticate":true}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 0) },
    // The empty object changes nothing (each at its last event's instant).
    PatchCase { start: TWO_FAILURES, at: 1, body: "{}", unchanged: true,
        view: (OK, true, None, None), cause: None, then: (s(1), OK, 2) },
    PatchCase { start: AUTO_LOCKED, at: 2, body: "{}", unchanged: true,
        view: (LOCKED, true, Some(s(2)), Some(s(902))), cause: POLICY, then: (s(902), OK, 0) },
    // Combined: canAuthenticate and status first, unlockAt judged on the result.
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"canAuthenticate":false,"status":"LOCKED","unlockAt":"2026-01-01T00:02:00Z"}"#, unchanged: false,
        view: (LOCKED, false, Some(s(10)), Some(s(120))), cause: ADMIN, then: (s(120), OK, 2) },
    PatchCase { start: TWO_FAILURES, at: 10, body: r#"{"status":"LOCKED","unlockAt":null}"#, unchanged: false,
        view: (LOCKED, true, Some(s(10)), None), cause: ADMIN, then: (Instant::MAX, LOCKED, 2) },
    // status OK + unlockAt null on a locked account: OK (null on an OK result: nothing).
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"unlockAt":null,"status":"OK"}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 0) },
    PatchCase { start: DISABLED_LOCKED, at: 10, body: r#"{"canAuthenticate":true,"unlockAt":null}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 0) },
    // canAuthenticate false + status OK on a locked account: unlocked but disabled.
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"status":"OK","canAuthenticate":false}"#, unchanged: false,
        view: (OK, false, None, None), cause: None, then: (s(10), OK, 0) },
    PatchCase { start: DISABLED_LOCKED, at: 10, body: r#"{"canAuthenticate":true,"status":"OK"}"#, unchanged: false,
        view: (OK, true, None, None), cause: None, then: (s(10), OK, 0) },
    // canAuthenticate false + unlockAt date on a locked account: disabled, new deadline.
    PatchCase { start: AUTO_LOCKED, at: 10, body: r#"{"canAuthenticate":false,"unlockAt":"2026-01-01T00:00:30Z"}"#, unchanged: false,
        view: (LOCKED, false, Some(s(2)), Some(s(30))), cause: ADMIN, then: (s(30), OK, 0) },
];

#[test]
fn patches_apply_as_the_behaviour_document_says() {
    let policy = pingone(3, Some(900));
    for (row, case) in PATCHES.iter().enumerate() {
        let (start, build) = case.start;
        let name = format!("row {row}: {} on {start} at s({})", case.body, case.at);
        let mut account = build(&policy);
        let before = account;
        let now = s(case.at);
        let patch = patch_of(case.body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome = account
            .patch(&policy, now, &patch)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if case.unchanged {
            assert_eq!(account, before, "{name}: changes nothing");
            assert!(transitions(&outcome).is_empty(), "{name}");
        }
        let view = account.view(now);
        assert_eq!(
            (view.status, view.enabled, view.locked_at, view.unlock_at),
            case.view,
            "{name}: the view"
        );
        assert_view_consistent(&view, now);
        assert_read_your_writes(case.body, &view);
        assert_eq!(account.lock_cause(now), case.cause, "{name}: the cause");
        let (then, status, count) = case.then;
        assert_eq!(account.view(then).status, status, "{name}: status later");
        assert_eq!(
            account.failure_count(&policy, then),
            count,
            "{name}: count later"
        );
    }
}

#[test]
fn patch_read_your_writes() {
    let policy = pingone(3, Some(900));
    let now = s(10);
    let starts: [(&str, Account); 5] = [
        ("ok", with_failures(&policy, &[0, 1])),
        ("auto-locked", with_failures(&policy, &[0, 1, 2])),
        ("admin-locked", admin_locked(&policy, s(5), Some(s(60)))),
        ("disabled+locked", DISABLED_LOCKED.1(&policy)),
        ("disabled+ok", disabled(&policy, Account::new(), s(5))),
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
            let _ = account
                .patch(&policy, now, &patch)
                .unwrap_or_else(|e| panic!("{name} {body}: {e}"));
            let view = account.view(now);
            assert_read_your_writes(body, &view);
            assert_view_consistent(&view, now);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Refused patches (behaviour §4): checks 1-5 on the body, 6-7 at the account
// ---------------------------------------------------------------------------------------

const INVALID_VALUE: ErrorCode = ErrorCode::InvalidValue;
const READ_ONLY: ErrorCode = ErrorCode::ReadOnlyField;
const UNKNOWN: ErrorCode = ErrorCode::UnknownField;
const CONFLICTING: ErrorCode = ErrorCode::ConflictingFields;

/// `(body, code, fields the message names)`: bodies refused by checks 1-5, the first
/// failing check in the document's order winning.
#[rustfmt::skip]
const REFUSED_BODIES: [(&str, ErrorCode, &[&str]); 51] = [
    // 1: the body is not an object.
    ("[]", INVALID_VALUE, &[]),
    (r#""x""#, INVALID_VALUE, &[]),
    ("null", INVALID_VALUE, &[]),
    ("1", INVALID_VALUE, &[]),
    ("true", INVALID_VALUE, &[]),
    ("[1,2]", INVALID_VALUE, &[]),
    (r#"[{"status":"OK"}]"#, INVALID_VALUE, &[]),
    // 2: a read-only field beats unknown and invalid ones.
    (r#"{"lockedAt":"2026-01-01T00:00:00Z"}"#, READ_ONLY, &["lockedAt"]),
    (r#"{"secondsUntilUnlock":5}"#, READ_ONLY, &["secondsUntilUnlock"]),
    (r#"{"lockedAt":"x","color":"red"}"#, READ_ONLY, &["lockedAt"]),
    (r#"{"color":"red","lockedAt":"x"}"#, READ_ONLY, &["lockedAt"]),
    (r#"{"status":"FOO","secondsUntilUnlock":null}"#, READ_ONLY, &["secondsUntilUnlock"]),
    (r#"{"canAuthenticate":true,"status":"LOCKED","secondsUntilUnlock":1}"#, READ_ONLY, &["secondsUntilUnlock"]),
    // 3: an unknown field beats an invalid value.
    (r#"{"color":"red"}"#, UNKNOWN, &["color"]),
    (r#"{"status":"FOO","color":"red"}"#, UNKNOWN, &["color"]),
    (r#"{"color":"red","status":"FOO"}"#, UNKNOWN, &["color"]),
    (r#"{"canAuthenticate":"yes","Status":"OK"}"#, UNKNOWN, &["Status"]),
    (r#"{"canAuthenticate":true,"status":"LOCKED","enabled":false}"#, UNKNOWN, &["enabled"]),
    (r#"{"account":{"status":"OK"}}"#, UNKNOWN, &["account"]),
    // 4: an invalid value.
    (r#"{"canAuthenticate":"true"}"#, INVALID_VALUE, &["canAuthenticate"]),
    (r#"{"canAuthenticate":1}"#, INVALID_VALUE, &["canAuthenticate"]),
    (r#"{"canAuthenticate":null}"#, INVALID_VALUE, &["canAuthenticate"]),
    (r#"{"status":"FOO"}"#, INVALID_VALUE, &["status"]),
    (r#"{"status":"locked"}"#, INVALID_VALUE, &["status"]),
    (r#"{"status":"ok"}"#, INVALID_VALUE, &["status"]),
    (r#"{"status":null}"#, INVALID_VALUE, &["status"]),
    (r#"{"status":true}"#, INVALID_VALUE, &["status"]),
    (r#"{"unlockAt":"2026-01-01 00:00:00Z"}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":"2026-01-01T00:00:00"}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":"2026-13-01T00:00:00Z"}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":"2025-02-29T00:00:00Z"}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":"tomorrow"}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":1767225600000}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":false}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":{}}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"unlockAt":["2027-01-01T00:00:00Z"]}"#, INVALID_VALUE, &["unlockAt"]),
    // ... duplicate keys.
    (r#"{"status":"OK","status":"OK"}"#, INVALID_VALUE, &["status"]),
    (r#"{"status":"OK","status":"LOCKED"}"#, INVALID_VALUE, &["status"]),
    (r#"{"canAuthenticate":true,"canAuthenticate":true}"#, INVALID_VALUE, &["canAuthenticate"]),
    (r#"{"unlockAt":null,"unlockAt":null}"#, INVALID_VALUE, &["unlockAt"]),
    // ... invalid beats conflicting.
    (r#"{"canAuthenticate":true,"status":"LOCKED","unlockAt":"bad"}"#, INVALID_VALUE, &["unlockAt"]),
    (r#"{"canAuthenticate":true,"status":"FOO"}"#, INVALID_VALUE, &["status"]),
    // 5: conflicting fields.
    (r#"{"canAuthenticate":true,"status":"LOCKED"}"#, CONFLICTING, &["canAuthenticate", "status"]),
    (r#"{"canAuthenticate":true,"unlockAt":"2030-01-01T00:00:00Z"}"#, CONFLICTING, &["canAuthenticate", "unlockAt"]),
    (r#"{"status":"OK","unlockAt":"2030-01-01T00:00:00Z"}"#, CONFLICTING, &["status", "unlockAt"]),
    // ... a past date: conflicting (5) is reported before not-in-future (7).
    (r#"{"status":"OK","unlockAt":"2000-01-01T00:00:00Z"}"#, CONFLICTING, &["status", "unlockAt"]),
    (r#"{"canAuthenticate":true,"status":"LOCKED","unlockAt":"2030-01-01T00:00:00Z"}"#, CONFLICTING, &[]),
    // One body failing several checks: the first in the document's order wins.
    (r#"{"lockedAt":1,"color":2,"status":"FOO","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#, READ_ONLY, &[]),
    (r#"{"color":2,"status":"FOO","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#, UNKNOWN, &[]),
    (r#"{"status":"FOO","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#, INVALID_VALUE, &[]),
    (r#"{"status":"OK","canAuthenticate":true,"unlockAt":"2000-01-01T00:00:00Z"}"#, CONFLICTING, &[]),
];

#[test]
fn patch_bodies_failing_checks_1_to_5_are_refused_with_the_first_code() {
    for (row, (body, code, fields)) in REFUSED_BODIES.into_iter().enumerate() {
        let error = patch_of(body).unwrap_err();
        assert_eq!(error.code, code, "row {row}: {body}");
        let message = error.to_string();
        assert!(!message.is_empty(), "row {row}: {body}");
        for field in fields {
            assert!(message.contains(field), "row {row}: {body}: {message}");
        }
    }
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

/// `(start, now in seconds, body, code)`: bodies that pass checks 1-5 and are refused by
/// the account: 6 (a date `unlockAt` without `status` needs a locked account) before 7
/// (a date `unlockAt` must be in the future).
#[rustfmt::skip]
const REFUSED_AT_THE_ACCOUNT: [(Start, i64, &str, ErrorCode); 11] = [
    (TWO_FAILURES, 10, r#"{"unlockAt":"2026-01-01T01:00:00Z"}"#, ErrorCode::UnlockAtRequiresLocked),
    (TWO_FAILURES, 10, r#"{"canAuthenticate":false,"unlockAt":"2026-01-01T01:00:00Z"}"#, ErrorCode::UnlockAtRequiresLocked),
    // 6 is reported before 7.
    (TWO_FAILURES, 10, r#"{"unlockAt":"2020-01-01T00:00:00Z"}"#, ErrorCode::UnlockAtRequiresLocked),
    (NEW, 0, r#"{"canAuthenticate":false,"unlockAt":"2000-01-01T00:00:00Z"}"#, ErrorCode::UnlockAtRequiresLocked),
    // An account whose lock has ended by itself is OK at now.
    (AUTO_LOCKED, 902, r#"{"unlockAt":"2026-01-01T01:00:00Z"}"#, ErrorCode::UnlockAtRequiresLocked),
    // 7: a date unlockAt <= now.
    (AUTO_LOCKED, 10, r#"{"unlockAt":"2026-01-01T00:00:10Z"}"#, ErrorCode::UnlockAtNotInFuture),
    (AUTO_LOCKED, 10, r#"{"unlockAt":"2026-01-01T00:00:09.999Z"}"#, ErrorCode::UnlockAtNotInFuture),
    (AUTO_LOCKED, 10, r#"{"status":"LOCKED","unlockAt":"2025-01-01T00:00:00Z"}"#, ErrorCode::UnlockAtNotInFuture),
    (AUTO_LOCKED, 10, r#"{"canAuthenticate":false,"unlockAt":"2026-01-01T00:00:05Z"}"#, ErrorCode::UnlockAtNotInFuture),
    (AUTO_LOCKED, 10, r#"{"canAuthenticate":false,"unlockAt":"2000-01-01T00:00:00Z"}"#, ErrorCode::UnlockAtNotInFuture),
    // status LOCKED with a date == now on an OK account: 7 (status given, so not 6).
    (TWO_FAILURES, 10, r#"{"status":"LOCKED","unlockAt":"2026-01-01T00:00:10Z"}"#, ErrorCode::UnlockAtNotInFuture),
];

/// A new account.
const NEW: Start = ("new", |_| Account::new());

#[test]
fn patches_failing_checks_6_and_7_are_refused_and_change_nothing() {
    let policy = pingone(3, Some(900));
    for (row, ((start, build), at, body, code)) in REFUSED_AT_THE_ACCOUNT.into_iter().enumerate() {
        let name = format!("row {row}: {body} on {start} at s({at})");
        let mut account = build(&policy);
        let before = account;
        let error = account
            .patch(&policy, s(at), &patch_of(body).unwrap())
            .unwrap_err();
        assert_eq!(error.code, code, "{name}");
        assert!(error.to_string().contains("unlockAt"), "{name}: {error}");
        assert_eq!(account, before, "{name}: a refused patch changes nothing");
    }
    // 1 ms earlier the same date is 1 ms in the future: it succeeds.
    let mut ok = with_failures(&policy, &[0, 1]);
    let _ = ok
        .patch(
            &policy,
            ms(9_999),
            &patch_of(r#"{"status":"LOCKED","unlockAt":"2026-01-01T00:00:10Z"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(ok.view(ms(9_999)).seconds_until_unlock, Some(1));
}

#[test]
fn error_codes_have_their_documented_strings() {
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

#[test]
fn an_unlock_at_patch_sees_the_lock_of_an_attempt_that_timed_out() {
    // One failure locks; the attempt begun at 0 times out at 300 s, so at 301 s the
    // account is LOCKED (behaviour §7.6) and a new deadline is accepted.
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    let _ = account.begin_attempt(&policy, s(0)).unwrap();
    let outcome = account
        .patch(
            &policy,
            s(301),
            &patch_of(r#"{"unlockAt":"2026-01-01T02:00:00Z"}"#).unwrap(),
        )
        .unwrap();
    assert!(transitions(&outcome).contains(&Transition::LockChanged {
        until: Some(s(7_200)),
        cause: LockCause::Administrator
    }));
    assert_eq!(account.view(s(301)).locked_at, Some(s(300)));
    assert_eq!(account.view(s(301)).unlock_at, Some(s(7_200)));
}
