//! PingOne's password lockout and MFA lockout in one account (behaviour §7.3): the two
//! sources, their fold, the two unlock actions and their events, and the attempt protocol
//! beside an MFA lock.

#![allow(clippy::restriction)]

mod fixtures;

use account_lockout::harness::{self, strategy};
use account_lockout::{
    Account, Decision, Fingerprint, Instant, LockCause, MfaAccount, MfaError, MfaPolicy, Policy,
    Rejection, Status, Transition, UnlockCause, Verdict,
};
use fixtures::*;
use proptest::prelude::*;

/// Password: 3 failures lock for 900 s. MFA: 2 failures lock for 600 s.
fn policy() -> MfaPolicy {
    pingone_mfa(3, 900, 2, 600)
}

/// An account whose MFA source locked at `s(at)` (two wrong codes), until `s(at + 600)`.
fn mfa_locked(at: i64) -> MfaAccount {
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.mfa_failure(&policy(), s(at)).unwrap();
    let outcome = account.mfa_failure(&policy(), s(at)).unwrap();
    assert_eq!(
        transitions(&outcome),
        counted_and_locked(2, s(at), Some(s(at + 600)))
    );
    account
}

fn locked_until(unlock_at: Option<Instant>) -> Option<Decision> {
    Some(Decision::Rejected(Rejection::Locked { unlock_at }))
}

// ---------------------------------------------------------------------------------------
// The policy document
// ---------------------------------------------------------------------------------------

#[test]
fn the_pingone_member_takes_an_optional_mfa_member() {
    let policy: MfaPolicy = serde_json::from_str(
        r#"{"pingone":{"failureCount":5,"durationSeconds":900,"mfa":{"failureCount":3,"durationSeconds":600}},"maxConsecutiveFailures":7}"#,
    )
    .unwrap();
    assert_eq!(policy.password().rules().threshold, 5);
    assert_eq!(policy.password().rules().max_consecutive_failures, Some(7));
    let mfa = policy.mfa().unwrap();
    assert_eq!(mfa.rules().threshold, 3);
    // The modifiers are the password source's only.
    assert_eq!(mfa.rules().max_consecutive_failures, None);

    for absent in [
        r#"{"pingone":{"failureCount":5,"mfa":null}}"#,
        r#"{"pingone":{"failureCount":5}}"#,
        r#"{"tpm":{}}"#,
    ] {
        let policy: MfaPolicy = serde_json::from_str(absent).unwrap();
        assert!(policy.mfa().is_none(), "{absent}");
    }
    // Without a duration only an administrator ends the MFA lock.
    let policy: MfaPolicy =
        serde_json::from_str(r#"{"pingone":{"failureCount":5,"mfa":{"failureCount":1}}}"#).unwrap();
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    assert_eq!(
        lock_fields(&account.view(s(10))),
        (Status::Locked, Some(s(0)), None, None)
    );
}

#[test]
fn a_bad_mfa_member_is_refused_by_name() {
    for (json, message) in [
        (
            r#"{"pingone":{"failureCount":5,"mfa":{"failureCount":0}}}"#,
            "invalid policy: mfa.failureCount must be at least 1",
        ),
        (
            r#"{"pingone":{"failureCount":5,"mfa":{"failureCount":2,"durationSeconds":0}}}"#,
            "invalid policy: mfa.durationSeconds must be at least 1",
        ),
        (
            r#"{"pingone":{"failureCount":5,"mfa":{"durationSeconds":60}}}"#,
            "missing field `failureCount`",
        ),
        (
            r#"{"pingone":{"failureCount":5,"mfa":{"failureCount":2,"window":1}}}"#,
            "unknown field `window`",
        ),
    ] {
        let error = serde_json::from_str::<MfaPolicy>(json)
            .unwrap_err()
            .to_string();
        assert!(error.contains(message), "{json}: {error}");
    }
    // The plain policy, for one source, refuses the second one rather than drop it.
    let error = serde_json::from_str::<Policy>(
        r#"{"pingone":{"failureCount":5,"mfa":{"failureCount":3}}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("read this policy as an MfaPolicy"),
        "{error}"
    );
    // The MFA source keeps no records: a sliding-window MFA policy cannot run on it.
    let windowed = pam(3, 900, 600);
    let error = MfaPolicy::new(pingone(3, Some(900)), Some(windowed)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid policy: mfa is not supported: the MFA source keeps no failure records or credential fingerprints"
    );
}

// ---------------------------------------------------------------------------------------
// Two counters, one account
// ---------------------------------------------------------------------------------------

#[test]
fn mfa_failures_lock_the_account_for_the_mfa_duration() {
    let policy = policy();
    let mut account: MfaAccount = MfaAccount::new();
    let first = account.mfa_failure(&policy, s(0)).unwrap();
    assert_eq!(transitions(&first), vec![counted(1)]);
    assert_eq!(account.view(s(0)).status, Status::Ok);
    let _ = account.mfa_failure(&policy, s(5)).unwrap();
    let view = account.view(s(5));
    assert_eq!(
        lock_fields(&view),
        (Status::Locked, Some(s(5)), Some(s(605)), Some(600))
    );
    assert!(!view.can_authenticate);
    // Open again at the deadline, reported by the next event at the real instant.
    assert_eq!(account.view(s(605)).status, Status::Ok);
    let next = account.failure(&policy, s(700), None).unwrap();
    assert_eq!(transitions(&next), vec![expired(s(605)), counted(1)]);
}

#[test]
fn every_attempt_is_rejected_while_the_mfa_source_holds_the_lock() {
    let policy = policy();
    let mut account = mfa_locked(0);
    let before = account;
    let until = Some(s(600));
    assert_eq!(
        account.failure(&policy, s(10), None).unwrap().decision(),
        locked_until(until)
    );
    assert_eq!(
        account.success(&policy, s(11)).decision(),
        locked_until(until)
    );
    assert_eq!(
        account.mfa_failure(&policy, s(12)).unwrap().decision(),
        locked_until(until)
    );
    assert_eq!(
        account.mfa_success(&policy, s(13)).unwrap().decision(),
        locked_until(until)
    );
    let start = account.begin_attempt(&policy, s(14)).unwrap();
    assert_eq!(start.outcome.decision(), locked_until(until));
    assert!(start.token.is_none());
    assert_eq!(
        account.check(&policy, s(15)).decision(),
        locked_until(until)
    );
    // Nothing was counted: the state differs only in the instant last seen.
    assert_eq!(
        account.password().failure_count(policy.password(), s(15)),
        0
    );
    assert_eq!(
        account.mfa().consecutive_failures(),
        before.mfa().consecutive_failures()
    );
    assert_eq!(account.view(s(15)), before.view(s(15)));
}

#[test]
fn each_success_clears_only_its_own_counter() {
    let policy = policy();
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.failure(&policy, s(0), None).unwrap();
    let _ = account.failure(&policy, s(1), None).unwrap();
    let _ = account.mfa_failure(&policy, s(2)).unwrap();

    // A password success clears the password count, never the MFA count.
    assert!(account.success(&policy, s(3)).is_allowed());
    assert_eq!(account.failures_remaining(&policy, s(3)), Some(3));
    let locks = account.mfa_failure(&policy, s(4)).unwrap();
    assert_eq!(
        transitions(&locks),
        counted_and_locked(2, s(4), Some(s(604)))
    );

    // An MFA success clears the MFA count only.
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.failure(&policy, s(0), None).unwrap();
    let _ = account.mfa_failure(&policy, s(1)).unwrap();
    assert!(account.mfa_success(&policy, s(2)).unwrap().is_allowed());
    assert_eq!(
        transitions(&account.mfa_failure(&policy, s(3)).unwrap()),
        vec![counted(1)]
    );
    assert_eq!(account.failures_remaining(&policy, s(3)), Some(2));
}

#[test]
fn mfa_events_need_an_mfa_policy_and_change_nothing_without_one() {
    let policy = MfaPolicy::new(pingone(3, Some(900)), None).unwrap();
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.failure(&policy, s(0), None).unwrap();
    let before = account;
    assert_eq!(
        account.mfa_failure(&policy, s(1)),
        Err(MfaError::NoMfaPolicy)
    );
    assert_eq!(
        account.mfa_success(&policy, s(1)),
        Err(MfaError::NoMfaPolicy)
    );
    assert_eq!(account, before);
    assert_eq!(
        MfaError::NoMfaPolicy.to_string(),
        "the policy has no `mfa` member, so it counts no MFA attempts"
    );
}

// ---------------------------------------------------------------------------------------
// The two unlock actions and their events
// ---------------------------------------------------------------------------------------

#[test]
fn the_account_unlock_ends_every_lock_and_clears_both_counters() {
    let policy = policy();
    let mut account = mfa_locked(0);
    let unlocked = account.unlock(&policy, s(60));
    assert_eq!(event_names(&unlocked.events), ["USER.UNLOCKED"]);
    assert_eq!(
        transitions(&unlocked.outcome),
        vec![Transition::Unlocked {
            at: s(60),
            cause: UnlockCause::Administrator
        }]
    );
    assert_eq!(account.view(s(60)).status, Status::Ok);
    // Both counters start again: one MFA failure does not lock.
    assert_eq!(
        transitions(&account.mfa_failure(&policy, s(61)).unwrap()),
        vec![counted(1)]
    );

    // On an account that is not locked: no event, and the counters are cleared all the same.
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.failure(&policy, s(0), None).unwrap();
    let unlocked = account.unlock(&policy, s(1));
    assert!(unlocked.events.is_empty());
    assert_eq!(account.failures_remaining(&policy, s(1)), Some(3));
    // A lock that expired before the action is not unlocked by it.
    let mut account = mfa_locked(0);
    assert!(account.unlock(&policy, s(600)).events.is_empty());
}

#[test]
fn the_password_unlock_of_a_password_lock_reports_both_events_and_clears_the_mfa_counter() {
    let policy = policy();
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    for second in 1..=3 {
        let _ = account.failure(&policy, s(second), None).unwrap();
    }
    assert_eq!(account.view(s(4)).unlock_at, Some(s(903)));
    let unlocked = account.unlock_password(&policy, s(10));
    assert_eq!(
        event_names(&unlocked.events),
        ["PASSWORD.UNLOCKED", "USER.UNLOCKED"]
    );
    assert_eq!(account.view(s(10)).status, Status::Ok);
    assert_eq!(account.failures_remaining(&policy, s(10)), Some(3));
    // The MFA source was not locked, so its counter was cleared too.
    assert_eq!(
        transitions(&account.mfa_failure(&policy, s(11)).unwrap()),
        vec![counted(1)]
    );
}

#[test]
fn the_password_unlock_leaves_an_mfa_lock_and_its_counter() {
    let policy = policy();
    let mut account = mfa_locked(0);
    let unlocked = account.unlock_password(&policy, s(30));
    assert_eq!(event_names(&unlocked.events), ["PASSWORD.UNLOCKED"]);
    assert!(unlocked.outcome.transitions().is_empty());
    assert_eq!(
        lock_fields(&account.view(s(30))),
        (Status::Locked, Some(s(0)), Some(s(600)), Some(570))
    );
}

#[test]
fn the_password_unlock_never_ends_an_administrator_lock() {
    let policy = policy();
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.lock(&policy, s(0), Some(s(3_600))).unwrap();
    let unlocked = account.unlock_password(&policy, s(10));
    assert_eq!(event_names(&unlocked.events), ["PASSWORD.UNLOCKED"]);
    assert_eq!(account.view(s(10)).unlock_at, Some(s(3_600)));
}

#[test]
fn the_password_unlock_ends_the_cap_lock_and_forgets_fingerprints() {
    let password = from_json(
        r#"{"pingone":{"failureCount":100},"maxConsecutiveFailures":2,"repeatedCredentialMemory":2}"#,
    );
    let mfa = account_lockout::dialect::PingOneMfa {
        failure_count: 2,
        duration_seconds: Some(60),
    };
    let policy = MfaPolicy::new(password, Some(mfa.policy().unwrap())).unwrap();
    let mut account: MfaAccount<0, 2> = MfaAccount::new();
    let guess = Fingerprint::new(7);
    let _ = account.failure(&policy, s(0), Some(guess)).unwrap();
    let _ = account.failure(&policy, s(1), None).unwrap();
    assert_eq!(
        account.password().lock_cause(s(1)),
        Some(LockCause::ConsecutiveFailures)
    );
    let unlocked = account.unlock_password(&policy, s(2));
    assert_eq!(
        event_names(&unlocked.events),
        ["PASSWORD.UNLOCKED", "USER.UNLOCKED"]
    );
    assert_eq!(account.password().consecutive_failures(), 0);
    // The fingerprint was forgotten: the same guess counts again.
    let again = account.failure(&policy, s(3), Some(guess)).unwrap();
    assert_eq!(transitions(&again), vec![counted(1)]);
}

// ---------------------------------------------------------------------------------------
// Administrator operations on an MFA lock
// ---------------------------------------------------------------------------------------

#[test]
fn an_administrator_lock_takes_over_an_mfa_lock_keeping_locked_at_and_clearing_both_counters() {
    let policy = policy();
    let mut account = mfa_locked(0);
    let _ = account.lock(&policy, s(60), Some(s(7_200))).unwrap();
    assert_eq!(
        lock_fields(&account.view(s(700))),
        (Status::Locked, Some(s(0)), Some(s(7_200)), Some(6_500))
    );
    assert_eq!(
        account.password().lock_cause(s(700)),
        Some(LockCause::Administrator)
    );
    // The MFA deadline no longer ends it; at the administrator's deadline the account is
    // open, and the MFA count starts from 0.
    let expiry = account.mfa_failure(&policy, s(7_200)).unwrap();
    assert_eq!(transitions(&expiry), vec![expired(s(7_200)), counted(1)]);
}

#[test]
fn an_administrator_lock_clears_the_counters_only_when_it_takes_over_a_lock() {
    let policy = policy();
    // On an open account both counters stay: after the lock ends, one more MFA failure
    // locks (the count was 1).
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    let _ = account.failure(&policy, s(0), None).unwrap();
    let _ = account.lock(&policy, s(1), Some(s(100))).unwrap();
    assert_eq!(account.failures_remaining(&policy, s(100)), Some(2));
    let locks = account.mfa_failure(&policy, s(100)).unwrap();
    assert_eq!(
        transitions(&locks),
        vec![
            expired(s(100)),
            counted(2),
            policy_lock(s(100), Some(s(700)))
        ]
    );

    // Over a password lock, the MFA counter is cleared too, as an unlock would.
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    for _ in 0..3 {
        let _ = account.failure(&policy, s(0), None).unwrap();
    }
    let _ = account.lock(&policy, s(1), Some(s(100))).unwrap();
    assert_eq!(account.view(s(50)).locked_at, Some(s(0)));
    let after = account.mfa_failure(&policy, s(100)).unwrap();
    assert_eq!(transitions(&after), vec![expired(s(100)), counted(1)]);
    assert_eq!(account.failures_remaining(&policy, s(100)), Some(3));
}

#[test]
fn a_patch_acts_on_the_folded_account() {
    let policy = policy();
    // status OK ends the MFA lock.
    let mut account = mfa_locked(0);
    let outcome = account
        .patch(&policy, s(10), &patch_of(r#"{"status":"OK"}"#).unwrap())
        .unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Unlocked {
            at: s(10),
            cause: UnlockCause::Administrator
        }]
    );
    assert_eq!(account.view(s(10)).status, Status::Ok);

    // unlockAt alone changes the deadline of the MFA lock, which the account holds.
    let mut account = mfa_locked(0);
    let outcome = account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"unlockAt":"2026-01-01T02:00:00Z"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::LockChanged {
            until: Some(s(7_200)),
            cause: LockCause::Administrator
        }]
    );
    assert_eq!(
        lock_fields(&account.view(s(10))),
        (Status::Locked, Some(s(0)), Some(s(7_200)), Some(7_190))
    );

    // A refused patch changes nothing, the MFA source included.
    let mut account = mfa_locked(0);
    let before = account;
    let error = account
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"unlockAt":"2025-01-01T00:00:00Z"}"#).unwrap(),
        )
        .unwrap_err();
    assert_eq!(error.code.as_str(), "unlock_at_not_in_future");
    assert_eq!(account, before);
    // And unlockAt on an open account still needs a status.
    let mut open: MfaAccount = MfaAccount::new();
    let error = open
        .patch(
            &policy,
            s(10),
            &patch_of(r#"{"unlockAt":"2026-01-01T02:00:00Z"}"#).unwrap(),
        )
        .unwrap_err();
    assert_eq!(error.code.as_str(), "unlock_at_requires_locked");
}

// ---------------------------------------------------------------------------------------
// Attempts in flight beside an MFA lock (behaviour §7.1, §7.6)
// ---------------------------------------------------------------------------------------

#[test]
fn a_verdict_that_arrives_while_mfa_holds_the_lock_is_rejected_and_leaves_flight() {
    let policy = policy();
    let mut account: MfaAccount = MfaAccount::new();
    let token = account.begin_attempt(&policy, s(0)).unwrap().token.unwrap();
    let _ = account.mfa_failure(&policy, s(1)).unwrap();
    let _ = account.mfa_failure(&policy, s(2)).unwrap();
    let outcome = account
        .finish_attempt(&policy, s(3), token, Verdict::Failure { credential: None })
        .unwrap();
    assert_eq!(outcome.decision(), locked_until(Some(s(602))));
    assert_eq!(account.password().attempts_in_flight(), 0);
    assert_eq!(account.password().failure_count(policy.password(), s(3)), 0);
    // The token is spent: finishing it again is refused, and changes nothing.
    let before = account;
    let again = account.finish_attempt(&policy, s(4), token, Verdict::Success);
    assert_eq!(again.unwrap_err().code().as_str(), "unknown_attempt");
    assert_eq!(account, before);
}

#[test]
fn an_attempt_that_times_out_under_an_mfa_lock_is_not_counted() {
    let policy = MfaPolicy::new(
        with_attempts(pingone(1, Some(900)), 8, 30),
        policy().mfa().copied(),
    )
    .unwrap();
    let mut account: MfaAccount = MfaAccount::new();
    account.begin_attempt(&policy, s(0)).unwrap();
    let _ = account.mfa_failure(&policy, s(1)).unwrap();
    let _ = account.mfa_failure(&policy, s(2)).unwrap();
    // The attempt times out at 30 s, inside the MFA lock: rejected, not counted (one
    // counted failure would have locked the password source for 900 s).
    let view = account.view_with(&policy, s(700));
    assert_eq!(view.status, Status::Ok);
    let outcome = account.failure(&policy, s(700), None).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![
            expired(s(602)),
            counted(1),
            policy_lock(s(700), Some(s(1_600)))
        ]
    );

    // After the MFA lock it times out, and counts, at its real instant.
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    account.unlock(&policy, s(1));
    account.begin_attempt(&policy, s(10)).unwrap();
    assert_eq!(
        lock_fields(&account.view_with(&policy, s(50))),
        (Status::Locked, Some(s(40)), Some(s(940)), Some(890))
    );
}

#[test]
fn recovery_under_an_mfa_lock_counts_nothing() {
    let policy = policy();
    let mut account: MfaAccount = MfaAccount::new();
    account.begin_attempt(&policy, s(0)).unwrap();
    account.begin_attempt(&policy, s(0)).unwrap();
    let _ = account.mfa_failure(&policy, s(1)).unwrap();
    let _ = account.mfa_failure(&policy, s(1)).unwrap();
    let _ = account.recover(&policy, s(2)).unwrap();
    assert_eq!(account.password().attempts_in_flight(), 0);
    assert_eq!(account.password().failure_count(policy.password(), s(2)), 0);
    // Without the lock, recovery counts each attempt.
    let mut account: MfaAccount = MfaAccount::new();
    account.begin_attempt(&policy, s(0)).unwrap();
    account.begin_attempt(&policy, s(0)).unwrap();
    let outcome = account.recover(&policy, s(2)).unwrap();
    assert_eq!(outcome.transitions().counted(), Some(2));
}

#[test]
fn a_clock_regression_keeps_the_remaining_mfa_lock() {
    let policy = policy();
    let mut account = mfa_locked(100);
    // The clock jumps back 1 h: 600 s of lock remain from the new now.
    let rejected = account.failure(&policy, s(100 - 3_600), None).unwrap();
    assert_eq!(rejected.decision(), locked_until(Some(s(700 - 3_600))));
    assert_eq!(account.view(s(100 - 3_600)).seconds_until_unlock, Some(600));
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

type Big = MfaAccount<16, 8, 16>;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Without an MFA policy the folded account is the plain account: same outcomes,
    /// same views, for any policy and any sequence of calls and clock moves.
    #[test]
    fn without_mfa_it_is_the_plain_account(
        dialect in strategy::dialect(),
        steps in proptest::collection::vec((strategy::time_step(), strategy::action()), 1..40),
    ) {
        let Ok(password) = dialect.policy() else { return Ok(()) };
        let policy = MfaPolicy::new(password, None).unwrap();
        let mut plain: Account<16, 8, 16> = Account::new();
        let mut folded: Big = MfaAccount::new();
        let mut now = s(0);
        for (step, action) in steps {
            now = step.apply(now, plain.view(now).unlock_at);
            let operation = action.valid_operation(now);
            let expected = plain.apply(&password, now, operation);
            let got = folded.apply(&policy, now, operation);
            prop_assert_eq!(got.is_ok(), expected.is_ok());
            if let (Ok(got), Ok(expected)) = (got, expected) {
                prop_assert_eq!(got, expected);
            }
            prop_assert_eq!(folded.view(now), plain.view(now));
            prop_assert_eq!(folded.password(), &plain);
        }
    }

    /// With MFA attempts mixed in: the view is always consistent, at most one source
    /// holds a lock, and the unlock actions report USER.UNLOCKED exactly when the status
    /// goes from LOCKED to OK.
    #[test]
    fn the_folded_account_stays_consistent(
        steps in proptest::collection::vec((strategy::time_step(), 0_u8..8, strategy::action()), 1..40),
    ) {
        let policy = policy();
        let mut account: Big = MfaAccount::new();
        let mut now = s(0);
        for (step, kind, action) in steps {
            now = step.apply(now, account.view(now).unlock_at);
            let before = account.view_with(&policy, now).status;
            match kind {
                0 | 1 => { let _ = account.mfa_failure(&policy, now).unwrap(); }
                2 => { let _ = account.mfa_success(&policy, now).unwrap(); }
                3 => {
                    let unlocked = account.unlock_password(&policy, now);
                    prop_assert_eq!(
                        unlocked.events.contains(account_lockout::AccountEvent::UserUnlocked),
                        before == Status::Locked && account.view(now).status == Status::Ok
                    );
                }
                4 => {
                    let unlocked = account.unlock(&policy, now);
                    prop_assert_eq!(event_names(&unlocked.events).len(), usize::from(before == Status::Locked));
                }
                _ => { let _ = account.apply(&policy, now, action.valid_operation(now)); }
            }
            let view = account.view(now);
            prop_assert!(harness::check_view(&view, now).is_ok(), "{:?}", view);
            let both_locked = account.password().view(now).status == Status::Locked
                && account.mfa().view(now).status == Status::Locked;
            prop_assert!(!both_locked);
        }
    }
}

#[test]
fn a_status_locked_patch_on_an_mfa_locked_account_changes_nothing() {
    let policy = pingone_mfa(3, 900, 2, 600);
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.failure(&policy, s(0), None).unwrap();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    let _ = account.mfa_failure(&policy, s(0)).unwrap();
    let mut untouched = account;

    let outcome = account
        .patch(&policy, s(10), &patch_of(r#"{"status":"LOCKED"}"#).unwrap())
        .unwrap();
    assert_eq!(transitions(&outcome), vec![]);
    // The MFA lock ends at 600 s by itself, and both counters are as they were: the
    // password's 1 failure, and the MFA count restarting from 0.
    assert_eq!(account.failures_remaining(&policy, s(600)), Some(2));
    let after = account.mfa_failure(&policy, s(660)).unwrap();
    let control = untouched.mfa_failure(&policy, s(660)).unwrap();
    assert_eq!(transitions(&after), transitions(&control));
    assert_eq!(transitions(&after), vec![expired(s(600)), counted(1)]);
}

#[test]
fn an_unlock_at_patch_on_an_mfa_account_sees_a_timed_out_attempt() {
    let policy = pingone_mfa(1, 900, 3, 600);
    let mut account: MfaAccount = MfaAccount::new();
    let _ = account.begin_attempt(&policy, s(0)).unwrap();
    let patch = patch_of(r#"{"unlockAt":"2026-01-01T02:00:00Z"}"#).unwrap();
    let _ = account.patch(&policy, s(301), &patch).unwrap();
    assert_eq!(account.view(s(301)).unlock_at, Some(s(7_200)));
    assert_eq!(account.view(s(301)).locked_at, Some(s(300)));
}
