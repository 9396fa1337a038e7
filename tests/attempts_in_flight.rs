//! The attempt protocol (behaviour §7.1, budget by §7.6): `begin_attempt`,
//! `finish_attempt`, `busy`, timeouts of attempts left in flight, `recover` after a power
//! cut at every step (accounts and tables), and attempt tokens.

mod fixtures;

use account_lockout::{
    Account, AttemptError, AttemptToken, Decision, Fingerprint, LockoutTable, Operation, Patch,
    Policy, Rejection, Rules, Status, TableError, Transition, UnlockCause, Verdict,
};
use fixtures::{
    BUSY, T0_MS, active_directory, allowed, attempt_starts, begin, begin_in, count_of, counted,
    counted_and_locked, from_json, gatekeeper, in_flight, pam, pingone, policy_lock, reason,
    rejected_until, s, snapshot, status_and_remaining, tpm, transitions, view_locked_until,
    with_attempts, with_failures,
};

const FAILURE: Verdict = Verdict::Failure { credential: None };

// Regression: a second begin used to count the attempt in flight as a failure, so a user
// whose phone, laptop and mail client signed in at once locked themselves out.
#[test]
fn concurrent_logins_of_the_real_user_never_count() {
    let policy = pingone(3, Some(900));
    // The phone, the laptop and the mail client.
    let (mut account, tokens) = in_flight(&policy, &[10, 10, 10]);
    assert_eq!(account.attempts_in_flight(), 3);
    assert_eq!(account.failure_count(&policy, s(10)), 0);
    for token in tokens {
        let outcome = account
            .finish_attempt(&policy, s(11), token, Verdict::Success)
            .unwrap();
        assert!(allowed(&outcome));
        assert!(transitions(&outcome).is_empty());
    }
    assert_eq!(account.failure_count(&policy, s(11)), 0);
    assert_eq!(
        status_and_remaining(&account, &policy, s(11)),
        (Status::Ok, Some(3))
    );
}

#[test]
fn attempts_in_flight_reserve_the_budget_and_a_spent_budget_is_busy() {
    // Three failures lock; one is counted, so two credentials may be checked at once.
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0]);
    let first = account.begin_attempt(&policy, s(1)).unwrap();
    assert_eq!(account.failures_remaining(&policy, s(1)), Some(1));
    let second = account.begin_attempt(&policy, s(1)).unwrap();
    assert_eq!(account.failures_remaining(&policy, s(1)), Some(0));
    let before = account;
    let third = account.begin_attempt(&policy, s(2)).unwrap();
    assert_eq!(third.outcome.decision(), BUSY);
    assert_eq!(third.token, None);
    assert!(transitions(&third.outcome).is_empty());
    // A busy begin changes nothing but `last_seen`.
    assert_eq!(account.attempts_in_flight(), 2);
    assert_eq!(account.last_seen(), s(2));
    assert_eq!(account.view(s(2)), before.view(s(2)));

    // Both verified credentials were wrong: the second failure verdict locks.
    let _ = account
        .finish_attempt(&policy, s(3), first.token.unwrap(), FAILURE)
        .unwrap();
    let locking = account
        .finish_attempt(&policy, s(3), second.token.unwrap(), FAILURE)
        .unwrap();
    assert_eq!(
        transitions(&locking),
        counted_and_locked(3, s(3), Some(s(903)))
    );
    // At most three credentials were verified before the lock: the budget held.
}

#[test]
fn a_plain_failure_is_never_busy_and_a_success_ends_no_attempt() {
    let policy = pingone(2, Some(60));
    let (mut account, tokens) = in_flight(&policy, &[0, 0]);
    assert_eq!(
        account
            .begin_attempt(&policy, s(0))
            .unwrap()
            .outcome
            .decision(),
        BUSY
    );
    // A failure reported the old way is counted even with the budget reserved.
    let outcome = account.failure(&policy, s(1), None).unwrap();
    assert!(allowed(&outcome));
    assert_eq!(account.failures_remaining(&policy, s(1)), Some(0));
    // A plain success clears the count but both attempts stay in flight.
    let _ = account.success(&policy, s(2));
    assert_eq!(account.failure_count(&policy, s(2)), 0);
    assert_eq!(account.attempts_in_flight(), 2);
    assert!(
        account
            .finish_attempt(&policy, s(3), tokens[0], Verdict::Success)
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
    assert_eq!(ninth.outcome.decision(), BUSY);
    // It never locks, so no failures remain to count down.
    assert_eq!(account.failures_remaining(&never, s(0)), None);

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
            .decision(),
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
        (seventeenth.outcome.decision(), seventeenth.token),
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
    let _ = account.lock(&policy, s(2), None).unwrap();
    assert_eq!(account.attempts_in_flight(), 1);
    assert_eq!(
        reason(&account.begin_attempt(&policy, s(3)).unwrap().outcome),
        "locked"
    );
    // Disabled wins over locked.
    let _ = account
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
    let _ = account.failure(&policy, s(1), None).unwrap();
    let _ = account.failure(&policy, s(2), None).unwrap();
    assert_eq!(account.view(s(2)).status, Status::Locked);
    let outcome = account
        .finish_attempt(&policy, s(3), late, FAILURE)
        .unwrap();
    assert!(matches!(
        outcome.decision(),
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
    assert!(!allowed(&account.check(&policy, s(400))));
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
        counted_and_locked(1, s(300), Some(s(900)))
    );
    assert!(!outcome.decision().unwrap().is_allowed());
}

#[test]
fn a_timeout_after_a_lock_expired_counts_after_the_expiry() {
    let policy = with_attempts(pingone(1, Some(100)), 8, 300);
    let mut account: Account = Account::new();
    begin(&mut account, &policy, 0);
    let _ = account.failure(&policy, s(50), None).unwrap(); // locked until 150
    // At 300 the attempt times out on an open account: locked again from 300 to 400.
    let outcome = account.check(&policy, s(350));
    assert!(!outcome.decision().unwrap().is_allowed());
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
            policy_lock(s(300), Some(s(400))),
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
    // The outcome lists each kind once, the last: the count as recover left it.
    assert_eq!(
        transitions(&outcome),
        vec![counted(3), policy_lock(s(350), Some(s(950)))]
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
    let _ = account.success(&policy, s(50));
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
    let _ = account.unlock(&policy, s(1));
    let _ = account.lock(&policy, s(2), Some(s(100))).unwrap();
    let _ = account
        .apply(
            &policy,
            s(3),
            Operation::Patch(Patch::new(Some(true), None, None).unwrap()),
        )
        .unwrap();
    assert_eq!(account.attempts_in_flight(), 1);
    assert_eq!(account.failures_remaining(&policy, s(4)), Some(2));
    // Its verdict still applies.
    let outcome = account
        .finish_attempt(&policy, s(5), token, FAILURE)
        .unwrap();
    assert_eq!(transitions(&outcome), vec![counted(1)]);
}

#[test]
fn a_failure_verdict_with_a_remembered_credential_is_ignored() {
    let policy = pingone(3, Some(900)).with_modifiers(2, None).unwrap();
    let mut account: Account<0, 2> = Account::new();
    let hunter2 = Fingerprint::new(2);
    let _ = account.failure(&policy, s(0), Some(hunter2)).unwrap();
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

/// Where the power is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// After `begin_attempt`, before the state with the mark is persisted.
    BeforePersisting,
    /// After persisting, before the credential is verified.
    AfterPersisting,
    /// After verifying, before `finish_attempt`.
    AfterVerifying,
    /// After `finish_attempt`, before its result is persisted.
    AfterFinishingUnpersisted,
    /// After `finish_attempt` and persisting its result.
    AfterFinishing,
    /// No power cut.
    Never,
}

const CUTS: [Cut; 6] = [
    Cut::BeforePersisting,
    Cut::AfterPersisting,
    Cut::AfterVerifying,
    Cut::AfterFinishingUnpersisted,
    Cut::AfterFinishing,
    Cut::Never,
];

const BEGIN: i64 = 10;

const FINISH: i64 = 11;

const REBOOT: i64 = 20;

/// One counted failure at s(0), then the protocol at s(10)/s(11), a power cut at `cut`
/// and a reboot at s(20) that restores the stored copy and recovers it.
fn run_protocol<const R: usize>(policy: &Policy, verdict: Verdict, cut: Cut) -> Account<R> {
    let mut ram: Account<R> = Account::new();
    let _ = ram.failure(policy, s(0), None).unwrap();
    let mut storage = ram;
    let reboot = |stored: Account<R>| {
        let mut restored = stored;
        let _ = restored.recover(policy, s(REBOOT)).unwrap();
        // Recovering again is harmless.
        let again = restored;
        let _ = restored.recover(policy, s(REBOOT)).unwrap();
        assert_eq!(restored, again, "{cut:?}: a second recover changes nothing");
        assert_eq!(restored.attempts_in_flight(), 0);
        restored
    };

    let start = ram.begin_attempt(policy, s(BEGIN)).unwrap();
    assert!(allowed(&start.outcome));
    let token = start.token.unwrap();
    assert_eq!(token.started(), s(BEGIN));
    assert_eq!(attempt_starts(&ram), [s(BEGIN)]);
    if cut == Cut::BeforePersisting {
        return reboot(storage);
    }
    storage = ram;
    if cut == Cut::AfterPersisting {
        return reboot(storage);
    }
    // The credential is verified here: the verdict is known.
    if cut == Cut::AfterVerifying {
        return reboot(storage);
    }
    let finished = ram
        .finish_attempt(policy, s(FINISH), token, verdict)
        .unwrap();
    assert!(allowed(&finished));
    if cut == Cut::AfterFinishingUnpersisted {
        return reboot(storage);
    }
    storage = ram;
    if cut == Cut::AfterFinishing {
        return reboot(storage);
    }
    ram
}

/// The failure count after each cut, for a policy whose success leaves `after_success`
/// of the one earlier failure.
fn power_cut_matrix<const R: usize>(name: &str, policy: &Policy, after_success: u32) {
    let failure = Verdict::Failure { credential: None };
    for cut in CUTS {
        for verdict in [Verdict::Success, failure] {
            let account: Account<R> = run_protocol(policy, verdict, cut);
            let count = account.failure_count(policy, s(REBOOT));
            let expected = match (cut, verdict) {
                // Nothing was persisted, so nothing was verified: nothing to count.
                (Cut::BeforePersisting, _) => 1,
                // The verdict was lost: the attempt counts as a failure.
                (Cut::AfterPersisting | Cut::AfterVerifying, _) => 2,
                (Cut::AfterFinishingUnpersisted, _) => 2,
                // The finished verdict, once.
                (Cut::AfterFinishing | Cut::Never, Verdict::Success) => after_success,
                (Cut::AfterFinishing | Cut::Never, Verdict::Failure { .. }) => 2,
            };
            assert_eq!(count, expected, "{name}: cut {cut:?}, verdict {verdict:?}");
            assert_eq!(account.attempts_in_flight(), 0, "{name}: {cut:?}");
        }
    }
}

#[test]
fn power_cut_matrix_pingone() {
    power_cut_matrix::<0>("pingone", &pingone(3, Some(900)), 0);
}

#[test]
fn power_cut_matrix_tpm() {
    // A TPM success changes nothing: the earlier failure stays.
    power_cut_matrix::<0>("tpm", &tpm(3, 600), 1);
}

#[test]
fn power_cut_matrix_active_directory_pam_and_gatekeeper() {
    power_cut_matrix::<0>("activeDirectory", &active_directory(3, 1_800, 600), 0);
    power_cut_matrix::<3>("pamFaillock", &pam(3, 900, 600), 0);
    power_cut_matrix::<0>("androidGatekeeper", &gatekeeper(), 0);
}

#[test]
fn a_recovered_attempt_is_a_failure_that_can_lock() {
    let policy = pingone(3, Some(900));
    let mut account = with_failures(&policy, &[0, 1]);
    let token = begin(&mut account, &policy, 10);
    let stored = account;

    let mut restored = stored;
    let outcome = restored.recover(&policy, s(20)).unwrap();
    assert_eq!(outcome.decision(), None);
    assert_eq!(
        transitions(&outcome),
        counted_and_locked(3, s(20), Some(s(920)))
    );
    assert_eq!(view_locked_until(&restored.view(s(20))), Some(s(920)));
    assert_eq!(restored.view(s(20)).locked_at, Some(s(20)));
    // The lost attempt's token no longer finishes anything.
    let before = restored;
    assert_eq!(
        restored.finish_attempt(&policy, s(21), token, Verdict::Success),
        Err(AttemptError::UnknownAttempt)
    );
    assert_eq!(restored, before);

    // Recovering an account with nothing in flight changes nothing.
    let mut idle = with_failures(&policy, &[0]);
    let before = idle;
    let outcome = idle.recover(&policy, s(20)).unwrap();
    assert!(transitions(&outcome).is_empty());
    assert_eq!(idle.failures_remaining(&policy, s(20)), Some(2));
    assert_eq!(idle.failure_count(&policy, s(20)), 1);
    assert_eq!(idle.view(s(20)), before.view(s(20)));
}

#[test]
fn cutting_the_power_during_every_check_still_locks() {
    // An attacker who cuts the power while each guess is verified.
    for (policy, unlock_after) in [(pingone(3, Some(900)), 900), (tpm(3, 600), 600)] {
        let mut storage: Account = Account::new();
        for round in 0..3_i64 {
            let mut ram = storage;
            let start = ram.begin_attempt(&policy, s(10 * round)).unwrap();
            assert!(start.token.is_some(), "round {round}");
            storage = ram; // persisted, then the power is cut while verifying
            let _ = storage.recover(&policy, s(10 * round + 5)).unwrap();
        }
        assert_eq!(
            view_locked_until(&storage.view(s(25))),
            Some(s(25 + unlock_after))
        );
        let refused = storage.begin_attempt(&policy, s(30)).unwrap();
        assert_eq!(refused.token, None);
        assert_eq!(rejected_until(&refused.outcome), Some(s(25 + unlock_after)));
        assert_eq!(storage.attempts_in_flight(), 0);
    }
}

/// The table's protocol with the stored `(key, account)` pairs as the storage.
fn table_protocol(policy: &Policy, verdict: Verdict, cut: Cut) -> (usize, u32) {
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let _ = table.failure(policy, 1, s(0), None).unwrap();
    let _ = table.failure(policy, 2, s(0), None).unwrap();
    let mut storage = snapshot(&table);
    let reboot = |stored: Vec<(u32, Account)>| {
        let mut restored: LockoutTable<u32, 8> = LockoutTable::new();
        for (key, account) in stored {
            restored.restore(policy, key, s(REBOOT), account).unwrap();
        }
        let recovered = restored.recover(policy, s(REBOOT)).unwrap();
        assert_eq!(restored.recover(policy, s(REBOOT)), Ok(0));
        assert_eq!(count_of(&restored, &2, policy, s(REBOOT)), 1, "bystander");
        (recovered, count_of(&restored, &1, policy, s(REBOOT)))
    };

    let token = begin_in(&mut table, policy, 1, BEGIN);
    if cut == Cut::BeforePersisting {
        return reboot(storage);
    }
    storage = snapshot(&table);
    if matches!(cut, Cut::AfterPersisting | Cut::AfterVerifying) {
        return reboot(storage);
    }
    let _ = table
        .finish_attempt(policy, 1, s(FINISH), token, verdict)
        .unwrap();
    if cut == Cut::AfterFinishingUnpersisted {
        return reboot(storage);
    }
    storage = snapshot(&table);
    if cut == Cut::AfterFinishing {
        return reboot(storage);
    }
    (0, count_of(&table, &1, policy, s(REBOOT)))
}

#[test]
fn power_cut_matrix_for_a_table() {
    let failure = Verdict::Failure { credential: None };
    for (name, policy, after_success) in [
        ("pingone", pingone(3, Some(900)), 0),
        ("tpm", tpm(3, 600), 1),
    ] {
        for cut in CUTS {
            for verdict in [Verdict::Success, failure] {
                let expected = match (cut, verdict) {
                    (Cut::BeforePersisting, _) => (0, 1),
                    (Cut::AfterPersisting | Cut::AfterVerifying, _) => (1, 2),
                    (Cut::AfterFinishingUnpersisted, _) => (1, 2),
                    (Cut::AfterFinishing | Cut::Never, Verdict::Success) => (0, after_success),
                    (Cut::AfterFinishing | Cut::Never, Verdict::Failure { .. }) => (0, 2),
                };
                assert_eq!(
                    table_protocol(&policy, verdict, cut),
                    expected,
                    "{name}: cut {cut:?}, verdict {verdict:?}"
                );
            }
        }
    }
}

#[test]
fn finishing_an_attempt_twice_is_refused_and_changes_nothing() {
    let policy = pingone(3, Some(900));
    for verdict in [Verdict::Success, Verdict::Failure { credential: None }] {
        let mut account = with_failures(&policy, &[0]);
        let token = begin(&mut account, &policy, 10);
        let _ = account
            .finish_attempt(&policy, s(11), token, verdict)
            .unwrap();
        let expected = if verdict == Verdict::Success { 0 } else { 2 };
        assert_eq!(account.failure_count(&policy, s(11)), expected);

        let before = account;
        for again in [Verdict::Success, Verdict::Failure { credential: None }] {
            assert_eq!(
                account.finish_attempt(&policy, s(12), token, again),
                Err(AttemptError::UnknownAttempt),
                "{verdict:?} then {again:?}"
            );
            assert_eq!(account, before);
        }
        assert_eq!(account.failure_count(&policy, s(12)), expected);
    }

    // In a table too.
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let token = begin_in(&mut table, &policy, 1, 10);
    let _ = table
        .finish_attempt(
            &policy,
            1,
            s(11),
            token,
            Verdict::Failure { credential: None },
        )
        .unwrap();
    let before = snapshot(&table);
    assert_eq!(
        table.finish_attempt(
            &policy,
            1,
            s(12),
            token,
            Verdict::Failure { credential: None },
        ),
        Err(TableError::Operation(AttemptError::UnknownAttempt))
    );
    assert_eq!(snapshot(&table), before);
    assert_eq!(count_of(&table, &1, &policy, s(12)), 1);
}

#[test]
fn a_finished_token_cannot_finish_a_later_attempt_after_its_account_was_dropped() {
    let policy = pingone(3, Some(900));
    let success = Verdict::Success;
    let failure = Verdict::Failure { credential: None };

    // The baseline: one account, never dropped.
    let mut account: Account = Account::new();
    let first: AttemptToken = begin(&mut account, &policy, 10);
    let _ = account
        .finish_attempt(&policy, s(11), first, success)
        .unwrap();
    let second = begin(&mut account, &policy, 20);
    assert_eq!(
        account.finish_attempt(&policy, s(21), first, success),
        Err(AttemptError::UnknownAttempt)
    );
    let _ = account
        .finish_attempt(&policy, s(22), second, failure)
        .unwrap();
    assert_eq!(account.failure_count(&policy, s(22)), 1);

    // In a table, the success returns key 7 to its initial state and it is dropped; the
    // next attempt starts from a fresh account.
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let first = begin_in(&mut table, &policy, 7, 10);
    let _ = table
        .finish_attempt(&policy, 7, s(11), first, success)
        .unwrap();
    assert_eq!(table.len(), 0);
    let second = begin_in(&mut table, &policy, 7, 20);
    // A fresh account restarts the serial numbers; the start instant tells the attempts
    // apart, so the stale token of the first, finished attempt is refused.
    assert_eq!(
        table.finish_attempt(&policy, 7, s(21), first, success),
        Err(TableError::Operation(AttemptError::UnknownAttempt))
    );
    assert_eq!(
        table
            .finish_attempt(&policy, 7, s(22), second, failure)
            .map(|outcome| outcome.decision()),
        Ok(Some(Decision::Allowed))
    );
    assert_eq!(count_of(&table, &7, &policy, s(22)), 1);
}

#[test]
fn beginning_an_attempt_on_a_locked_or_disabled_account_is_rejected() {
    let policy = pingone(1, Some(60));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let _ = table.failure(&policy, 1, s(0), None).unwrap();
    let start = table.begin_attempt(&policy, 1, s(10)).unwrap();
    assert_eq!(start.token, None);
    assert_eq!(rejected_until(&start.outcome), Some(s(60)));
    assert_eq!(table.get(&1).unwrap().attempts_in_flight(), 0);

    let disable = Patch::new(Some(false), None, None).unwrap();
    let _ = table.patch(&policy, 2, s(0), disable).unwrap();
    let start = table.begin_attempt(&policy, 2, s(10)).unwrap();
    assert_eq!(start.token, None);
    assert_eq!(
        start.outcome.decision(),
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert_eq!(table.recover(&policy, s(11)), Ok(0));
}

#[test]
fn an_attempt_token_travels_as_bytes_and_a_forged_one_changes_nothing() {
    let policy = tpm(3, 600);
    let mut account: Account = Account::new();
    let token = begin(&mut account, &policy, 10);
    let bytes = token.to_bytes();
    assert_eq!(bytes.len(), AttemptToken::ENCODED_LEN);
    // Serial 1, then the start in milliseconds, little-endian.
    let start = (T0_MS + 10_000).to_le_bytes();
    assert_eq!(bytes[..2], [1, 0]);
    assert_eq!(bytes[2..], start);
    assert_eq!(AttemptToken::from_bytes(bytes), token);

    // A token for another serial or start finishes nothing and changes nothing.
    let before = account;
    let mut other_serial = bytes;
    other_serial[0] = 2;
    let mut other_start = bytes;
    other_start[2] ^= 1;
    for forged in [other_serial, other_start] {
        assert_eq!(
            account.finish_attempt(
                &policy,
                s(11),
                AttemptToken::from_bytes(forged),
                Verdict::Success
            ),
            Err(AttemptError::UnknownAttempt)
        );
        assert_eq!(account, before);
    }
    // The real one, received as bytes, finishes it: the success counts nothing.
    let outcome = account
        .finish_attempt(
            &policy,
            s(11),
            AttemptToken::from_bytes(bytes),
            Verdict::Success,
        )
        .unwrap();
    assert!(allowed(&outcome));
    assert_eq!(account.attempts_in_flight(), 0);
    assert_eq!(account.failure_count(&policy, s(11)), 0);
}

#[test]
fn recover_counts_every_attempt_in_flight_at_each_accounts_own_time() {
    let policy = pingone(2, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.begin_attempt(&policy, 1, s(100)).unwrap();
    table.begin_attempt(&policy, 1, s(100)).unwrap();
    table.begin_attempt(&policy, 2, s(50)).unwrap();
    // Recovering at an instant before key 1's latest event counts its attempts at 100.
    assert_eq!(table.recover(&policy, s(60)), Ok(3));
    assert_eq!(view_locked_until(&table.view(&1, s(100))), Some(s(1_000)));
    assert_eq!(table.view(&2, s(60)).status, Status::Ok);
    assert_eq!(count_of(&table, &2, &policy, s(60)), 1);
}
