//! The attempt protocol with several attempts in flight (behaviour §7.1, settled by §7.6):
//! concurrent successes never count, each attempt in flight reserves one failure of the
//! lock's budget, `busy` when the budget or `maxAttemptsInFlight` is spent, timeouts,
//! `recover`, and tokens.

mod fixtures;

use account_lockout::{
    Account, AttemptError, AttemptToken, Decision, Fingerprint, LockCause, Operation, Patch,
    Rejection, Rules, Status, Transition, UnlockCause, Verdict,
};
use fixtures::{BUSY, from_json, keycloak, pingone, reason, s, tpm, transitions, with_attempts};

const FAILURE: Verdict = Verdict::Failure { credential: None };

fn begin<const R: usize, const M: usize, const A: usize>(
    account: &mut Account<R, M, A>,
    policy: &account_lockout::Policy,
    at: i64,
) -> AttemptToken {
    let start = account.begin_attempt(policy, s(at)).unwrap();
    assert_eq!(
        start.outcome.decision,
        Some(Decision::Allowed),
        "begin at {at}"
    );
    start.token.expect("an allowed begin has a token")
}

// Finding 1: a second begin used to count the attempt in flight as a failure, so a user
// whose phone, laptop and mail client signed in at once locked themselves out.
#[test]
fn concurrent_logins_of_the_real_user_never_count() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    let phone = begin(&mut account, &policy, 10);
    let laptop = begin(&mut account, &policy, 10);
    let mail = begin(&mut account, &policy, 10);
    assert_eq!(account.attempts_in_flight(), 3);
    assert_eq!(account.failure_count(&policy, s(10)), 0);
    for token in [phone, laptop, mail] {
        let outcome = account
            .finish_attempt(&policy, s(11), token, Verdict::Success)
            .unwrap();
        assert_eq!(outcome.decision, Some(Decision::Allowed));
        assert!(transitions(&outcome).is_empty());
    }
    assert_eq!(account.failure_count(&policy, s(11)), 0);
    assert_eq!(account.view(s(11)).status, Status::Ok);
    assert_eq!(account.check(&policy, s(11)).failures_remaining, Some(3));
}

#[test]
fn attempts_in_flight_reserve_the_budget_and_a_spent_budget_is_busy() {
    // Three failures lock; one is counted, so two credentials may be checked at once.
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    let first = account.begin_attempt(&policy, s(1)).unwrap();
    assert_eq!(first.outcome.failures_remaining, Some(1));
    let second = account.begin_attempt(&policy, s(1)).unwrap();
    assert_eq!(second.outcome.failures_remaining, Some(0));
    let before = account;
    let third = account.begin_attempt(&policy, s(2)).unwrap();
    assert_eq!(third.outcome.decision, BUSY);
    assert_eq!(third.token, None);
    assert!(transitions(&third.outcome).is_empty());
    // A busy begin changes nothing but `last_seen`.
    assert_eq!(account.attempts_in_flight(), 2);
    assert_eq!(account.last_seen(), s(2));
    assert_eq!(account.view(s(2)), before.view(s(2)));

    // Both verified credentials were wrong: the second failure verdict locks.
    account
        .finish_attempt(&policy, s(3), first.token.unwrap(), FAILURE)
        .unwrap();
    let locking = account
        .finish_attempt(&policy, s(3), second.token.unwrap(), FAILURE)
        .unwrap();
    assert_eq!(
        transitions(&locking),
        vec![
            Transition::Counted { failures: 3 },
            Transition::Locked {
                at: s(3),
                until: Some(s(903)),
                cause: LockCause::Policy
            }
        ]
    );
    // At most three credentials were verified before the lock: the budget held.
}

#[test]
fn a_plain_failure_is_never_busy_and_a_success_ends_no_attempt() {
    let policy = pingone(2, Some(60));
    let mut account: Account = Account::new();
    let a = begin(&mut account, &policy, 0);
    let _b = begin(&mut account, &policy, 0);
    assert_eq!(
        account
            .begin_attempt(&policy, s(0))
            .unwrap()
            .outcome
            .decision,
        BUSY
    );
    // A failure reported the old way is counted even with the budget reserved.
    let outcome = account.failure(&policy, s(1), None).unwrap();
    assert_eq!(outcome.decision, Some(Decision::Allowed));
    assert_eq!(outcome.failures_remaining, Some(0));
    // A plain success clears the count but both attempts stay in flight.
    account.success(&policy, s(2));
    assert_eq!(account.failure_count(&policy, s(2)), 0);
    assert_eq!(account.attempts_in_flight(), 2);
    assert!(
        account
            .finish_attempt(&policy, s(3), a, Verdict::Success)
            .is_ok()
    );
}

#[test]
fn max_attempts_in_flight_limits_a_policy_that_never_locks() {
    let never = Rules::NEVER_LOCK.build().unwrap();
    let mut account: Account = Account::new();
    for _ in 0..8 {
        begin(&mut account, &never, 0);
    }
    let ninth = account.begin_attempt(&never, s(0)).unwrap();
    assert_eq!(ninth.outcome.decision, BUSY);
    // It never locks, so no failures remain to count down.
    assert_eq!(ninth.outcome.failures_remaining, None);

    // TPM and Android Gatekeeper check one credential at a time.
    let device = tpm(32, 600);
    assert_eq!(device.rules().max_attempts_in_flight, 1);
    let mut account: Account = Account::new();
    begin(&mut account, &device, 0);
    assert_eq!(
        account
            .begin_attempt(&device, s(0))
            .unwrap()
            .outcome
            .decision,
        BUSY
    );

    // The modifier overrides the default, and the account type must hold it.
    let wide = from_json(r#"{"pingone":{"failureCount":100},"maxAttemptsInFlight":16}"#);
    let mut small: Account = Account::new();
    let error = small.begin_attempt(&wide, s(0)).unwrap_err();
    assert_eq!((error.attempts_needed, error.attempts), (16, 8), "{error}");
    assert_eq!(small, Account::new(), "a refused begin changes nothing");
    let mut large: Account<0, 0, 16> = Account::new();
    for _ in 0..16 {
        assert!(large.begin_attempt(&wide, s(0)).unwrap().token.is_some());
    }
    let seventeenth = large.begin_attempt(&wide, s(0)).unwrap();
    assert_eq!(
        (seventeenth.outcome.decision, seventeenth.token),
        (BUSY, None)
    );
}

#[test]
fn a_refused_begin_names_disabled_then_locked_then_busy() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    begin(&mut account, &policy, 0);
    // Budget 1, one in flight: busy.
    assert_eq!(
        reason(&account.begin_attempt(&policy, s(1)).unwrap().outcome),
        "busy"
    );
    // An administrator lock: locked wins over busy (and the attempt stays in flight).
    account.lock(&policy, s(2), None).unwrap();
    assert_eq!(account.attempts_in_flight(), 1);
    assert_eq!(
        reason(&account.begin_attempt(&policy, s(3)).unwrap().outcome),
        "locked"
    );
    // Disabled wins over locked.
    account
        .patch(&policy, s(4), &Patch::new(Some(false), None, None).unwrap())
        .unwrap();
    assert_eq!(
        reason(&account.begin_attempt(&policy, s(5)).unwrap().outcome),
        "disabled"
    );
}

#[test]
fn a_verdict_that_arrives_while_locked_is_rejected_and_leaves_flight() {
    let policy = pingone(2, Some(900));
    let mut account: Account = Account::new();
    let late = begin(&mut account, &policy, 0);
    account.failure(&policy, s(1), None).unwrap();
    account.failure(&policy, s(2), None).unwrap();
    assert_eq!(account.view(s(2)).status, Status::Locked);
    let outcome = account
        .finish_attempt(&policy, s(3), late, FAILURE)
        .unwrap();
    assert!(matches!(
        outcome.decision,
        Some(Decision::Rejected(Rejection::Locked { .. }))
    ));
    assert!(transitions(&outcome).is_empty(), "not counted");
    assert_eq!(account.attempts_in_flight(), 0);
    assert_eq!(
        account.finish_attempt(&policy, s(4), late, FAILURE),
        Err(AttemptError::UnknownAttempt)
    );
}

#[test]
fn an_attempt_left_in_flight_counts_as_a_failure_at_its_timeout() {
    let policy = with_attempts(pingone(1, Some(600)), 8, 300);
    let mut account: Account = Account::new();
    let lost = begin(&mut account, &policy, 0);
    assert_eq!(account.next_deadline(&policy, s(10)), Some(s(300)));
    // A read before the timeout: nothing yet. At it: the lock the failure starts, dated
    // at the timeout, shown without storing it.
    assert_eq!(account.view_with(&policy, s(299)).status, Status::Ok);
    let view = account.view_with(&policy, s(400));
    assert_eq!(
        (view.status, view.locked_at, view.unlock_at),
        (Status::Locked, Some(s(300)), Some(s(900)))
    );
    assert_eq!(account.attempts_in_flight(), 1, "a read stores nothing");
    assert!(
        !account
            .check(&policy, s(400))
            .decision
            .unwrap()
            .is_allowed()
    );
    // The verdict comes too late: the attempt has already counted.
    let before = account;
    assert_eq!(
        account.finish_attempt(&policy, s(300), lost, Verdict::Success),
        Err(AttemptError::UnknownAttempt)
    );
    assert_eq!(account, before, "a refused finish leaves `last_seen` too");
    // The next event applies it, in time order, before its own rule.
    let outcome = account.failure(&policy, s(400), None).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![
            Transition::Counted { failures: 1 },
            Transition::Locked {
                at: s(300),
                until: Some(s(900)),
                cause: LockCause::Policy
            }
        ]
    );
    assert!(!outcome.decision.unwrap().is_allowed());
}

#[test]
fn a_timeout_after_a_lock_expired_counts_after_the_expiry() {
    let policy = with_attempts(pingone(1, Some(100)), 8, 300);
    let mut account: Account = Account::new();
    begin(&mut account, &policy, 0);
    account.failure(&policy, s(50), None).unwrap(); // locked until 150
    // At 300 the attempt times out on an open account: locked again from 300 to 400.
    let outcome = account.check(&policy, s(350));
    assert!(!outcome.decision.unwrap().is_allowed());
    // `poll` reports each thing time did, in order, one per call.
    let mut polled = Vec::new();
    while let Some(transition) = account.poll(&policy, s(450)) {
        polled.push(transition);
    }
    assert_eq!(
        polled,
        vec![
            Transition::Unlocked {
                at: s(150),
                cause: UnlockCause::Expired
            },
            Transition::Locked {
                at: s(300),
                until: Some(s(400)),
                cause: LockCause::Policy
            },
            Transition::Unlocked {
                at: s(400),
                cause: UnlockCause::Expired
            },
        ]
    );
    assert_eq!(account.poll(&policy, s(451)), None);
}

#[test]
fn recover_counts_due_timeouts_first_then_the_rest_at_now_in_begin_order() {
    let policy = with_attempts(pingone(3, Some(600)), 8, 300);
    let mut account: Account = Account::new();
    begin(&mut account, &policy, 0);
    begin(&mut account, &policy, 100);
    begin(&mut account, &policy, 200);
    let stored = account;
    let mut restored = stored;
    let outcome = restored.recover(&policy, s(350)).unwrap();
    // The first timed out at 300: counted there; the other two at 350, the third locking.
    assert_eq!(
        transitions(&outcome),
        vec![
            Transition::Counted { failures: 1 },
            Transition::Counted { failures: 2 },
            Transition::Counted { failures: 3 },
            Transition::Locked {
                at: s(350),
                until: Some(s(950)),
                cause: LockCause::Policy
            }
        ]
    );
    assert_eq!(restored.attempts_in_flight(), 0);
    // With nothing in flight, recover still observes the time.
    let mut idle: Account = Account::new();
    let outcome = idle.recover(&policy, s(7)).unwrap();
    assert!(transitions(&outcome).is_empty());
    assert_eq!(idle.last_seen(), s(7));
}

#[test]
fn a_clock_regression_moves_the_attempts_timeout_but_not_its_token() {
    let policy = with_attempts(pingone(5, Some(600)), 8, 300);
    let mut account: Account = Account::new();
    let token = begin(&mut account, &policy, 100);
    // The clock steps back 50 s: the attempt's start moves to 50, its timeout to 350.
    account.success(&policy, s(50));
    assert_eq!(account.next_deadline(&policy, s(60)), Some(s(350)));
    assert_eq!(token.started(), s(100));
    // The token still names it.
    let mut finished = account;
    assert!(
        finished
            .finish_attempt(&policy, s(349), token, Verdict::Success)
            .is_ok()
    );
    assert_eq!(
        account.finish_attempt(&policy, s(350), token, Verdict::Success),
        Err(AttemptError::UnknownAttempt)
    );
}

#[test]
fn administrator_actions_end_no_attempt_in_flight() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    let token = begin(&mut account, &policy, 0);
    account.unlock(&policy, s(1));
    account.lock(&policy, s(2), Some(s(100))).unwrap();
    account
        .apply(
            &policy,
            s(3),
            Operation::Patch(Patch::new(Some(true), None, None).unwrap()),
        )
        .unwrap();
    assert_eq!(account.attempts_in_flight(), 1);
    assert_eq!(account.check(&policy, s(4)).failures_remaining, Some(2));
    // Its verdict still applies.
    let outcome = account
        .finish_attempt(&policy, s(5), token, FAILURE)
        .unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![Transition::Counted { failures: 1 }]
    );
}

#[test]
fn a_failure_verdict_with_a_remembered_credential_is_ignored() {
    let policy = pingone(3, Some(900)).with_modifiers(2, None).unwrap();
    let mut account: Account<0, 2> = Account::new();
    let hunter2 = Fingerprint::new(2);
    account.failure(&policy, s(0), Some(hunter2)).unwrap();
    let token = begin(&mut account, &policy, 1);
    let outcome = account
        .finish_attempt(
            &policy,
            s(2),
            token,
            Verdict::Failure {
                credential: Some(hunter2),
            },
        )
        .unwrap();
    assert_eq!(transitions(&outcome), vec![Transition::IgnoredRepeated]);
    assert_eq!(account.failure_count(&policy, s(2)), 1);
}

#[test]
fn the_budget_counts_every_way_the_policy_locks() {
    // A fresh Keycloak account: two quick failures lock (behaviour §7.6's example).
    let mut account: Account = Account::new();
    assert_eq!(account.check(&keycloak(), s(0)).failures_remaining, Some(2));
    begin(&mut account, &keycloak(), 0);
    begin(&mut account, &keycloak(), 0);
    assert_eq!(
        account
            .begin_attempt(&keycloak(), s(0))
            .unwrap()
            .outcome
            .decision,
        BUSY
    );

    // Keycloak with maxFailureWaitSeconds 0: no lock ever lasts, so no budget (finding 8);
    // only maxAttemptsInFlight limits attempts.
    let no_wait = from_json(r#"{"keycloak":{"maxFailureWaitSeconds":0}}"#);
    let mut account: Account = Account::new();
    for second in 0..40 {
        let outcome = account.failure(&no_wait, s(second), None).unwrap();
        assert_eq!(outcome.failures_remaining, None, "failure {second}");
    }
    assert_eq!(account.view(s(40)).status, Status::Ok);

    // The consecutive-failure cap counts too.
    let capped = pingone(10, Some(60)).with_modifiers(0, Some(2)).unwrap();
    assert_eq!(
        Account::<0, 0>::new()
            .check(&capped, s(0))
            .failures_remaining,
        Some(2)
    );
}
