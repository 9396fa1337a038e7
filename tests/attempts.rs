//! What a success, a failure and a check decide (behaviour §3): a success never ends a
//! lock, attempts rejected while locked or disabled change nothing, the failure that
//! reaches the threshold is counted (allowed) and starts the lock.

mod fixtures;

use account_lockout::{Account, Decision, Rejection, Status, Transitions};
use fixtures::{
    admin_locked, allowed, counted, counted_and_locked, disabled, pingone, rejected_until, s,
    transitions, with_failures,
};

#[test]
fn attempts_success_never_ends_a_lock() {
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0, 1, 2]);
    // Locked at T0+2s until T0+902s. A success at the same instant changes nothing.
    let copy = account;
    let outcome = account.success(&policy, s(2));
    assert_eq!(rejected_until(&outcome), Some(s(902)));
    assert_eq!(account, copy);

    // A success later on is rejected too, and the lock stays as it was.
    let outcome = account.success(&policy, s(100));
    assert_eq!(rejected_until(&outcome), Some(s(902)));
    assert!(transitions(&outcome).is_empty());
    let view = account.view(s(100));
    assert_eq!(view.status, Status::Locked);
    assert_eq!(view.locked_at, Some(s(2)));
    assert_eq!(view.unlock_at, Some(s(902)));
    assert_eq!(account.last_seen(), s(100));

    // An administrator-only lock: a success never ends it either.
    let mut admin = admin_locked(&policy, s(0), None);
    let outcome = admin.success(&policy, s(1_000_000));
    assert_eq!(rejected_until(&outcome), None);
    assert_eq!(admin.view(s(1_000_000)).status, Status::Locked);
}

#[test]
fn attempts_rejected_while_locked_change_nothing() {
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0, 1, 2]);
    let copy = account;
    // At the instant of the lock: exactly nothing changes.
    let outcome = account.failure(&policy, s(2), None).unwrap();
    assert_eq!(rejected_until(&outcome), Some(s(902)));
    assert_eq!(account.failures_remaining(&policy, s(2)), None);
    assert!(transitions(&outcome).is_empty());
    assert_eq!(account, copy);

    // Many rejected failures later: the lock and the count are unchanged.
    for i in 3..50 {
        let outcome = account.failure(&policy, s(i), None).unwrap();
        assert_eq!(rejected_until(&outcome), Some(s(902)));
        assert!(transitions(&outcome).is_empty());
    }
    assert_eq!(account.view(s(50)).unlock_at, Some(s(902)));
    assert_eq!(account.view(s(50)).locked_at, Some(s(2)));
    assert_eq!(account.consecutive_failures(), copy.consecutive_failures());
    // After the lock ends by itself (PingOne restarts from 0), a full count remains:
    // none of the rejected failures was counted.
    assert!(allowed(&account.check(&policy, s(902))));
    assert_eq!(account.failures_remaining(&policy, s(902)), Some(3));
}

#[test]
fn attempts_rejected_while_disabled_change_nothing() {
    let policy = pingone(3, Some(900));
    let mut account = disabled(&policy, with_failures(&policy, &[0]), s(1));
    assert_eq!(account.failure_count(&policy, s(1)), 1);
    let copy = account;

    let outcome = account.failure(&policy, s(1), None).unwrap();
    assert_eq!(
        outcome.decision(),
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert!(transitions(&outcome).is_empty());
    assert_eq!(account, copy);
    let outcome = account.success(&policy, s(1));
    assert_eq!(
        outcome.decision(),
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert_eq!(account, copy);
    assert_eq!(
        account.check(&policy, s(1)).decision(),
        Some(Decision::Rejected(Rejection::Disabled))
    );

    for i in 2..10 {
        let outcome = account.failure(&policy, s(i), None).unwrap();
        assert_eq!(
            outcome.decision(),
            Some(Decision::Rejected(Rejection::Disabled))
        );
    }
    // Neither counted the failures nor applied the success.
    assert_eq!(account.failure_count(&policy, s(10)), 1);
    assert_eq!(account.view(s(10)).status, Status::Ok);
    assert_eq!(account.last_seen(), s(9));

    // Disabled and locked: the crate reports Disabled.
    let _ = account.lock(&policy, s(20), Some(s(80))).unwrap();
    assert_eq!(
        account.failure(&policy, s(30), None).unwrap().decision(),
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert_eq!(account.failure_count(&policy, s(30)), 1);
}

#[test]
fn attempts_failures_remaining_counts_down() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(account.failures_remaining(&policy, s(0)), Some(3));
    let first = account.failure(&policy, s(0), None).unwrap();
    assert!(allowed(&first));
    assert_eq!(account.failures_remaining(&policy, s(0)), Some(2));
    assert_eq!(transitions(&first), vec![counted(1)]);
    let second = account.failure(&policy, s(1), None).unwrap();
    assert_eq!(account.failures_remaining(&policy, s(1)), Some(1));
    assert_eq!(transitions(&second), vec![counted(2)]);
    assert_eq!(account.failures_remaining(&policy, s(2)), Some(1));

    let third = account.failure(&policy, s(2), None).unwrap();
    assert_eq!(
        transitions(&third),
        counted_and_locked(3, s(2), Some(s(902)))
    );
    assert_eq!(account.view(s(2)).locked_at, Some(s(2)));
    assert_eq!(account.failures_remaining(&policy, s(3)), None);

    // A success clears the count.
    let mut other = with_failures(&policy, &[0, 1]);
    let outcome = other.success(&policy, s(2));
    assert!(allowed(&outcome));
    assert_eq!(other.failures_remaining(&policy, s(2)), Some(3));
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
        counted_and_locked(1, s(0), Some(s(900)))
    );
    assert_eq!(account.view(s(0)).status, Status::Locked);
    // behaviour §3: the failure was allowed when it arrived, so it is counted; the lock it
    // starts shows in the transitions and the view, not in the decision.
    assert!(allowed(&outcome));
}

/// Outcomes compare by what they say: a rejection's deadline rides in the outcome's
/// storage, yet its transitions are no more than "none", and two rejections with the
/// same decision are equal whatever stale slots they carry.
#[test]
fn outcomes_compare_by_decision_and_listed_transitions() {
    let policy = pingone(1, Some(900));
    let account = with_failures(&policy, &[0]);
    let rejected = account.check(&policy, s(1));
    assert_eq!(rejected_until(&rejected), Some(s(900)));
    assert_eq!(rejected.transitions(), Transitions::NONE);
    assert_eq!(rejected, account.check(&policy, s(2)));
    let mut locking: Account = Account::new();
    let locked = locking.failure(&policy, s(0), None).unwrap();
    assert_ne!(locked.transitions(), Transitions::NONE);
    assert_ne!(locked, rejected);
}
