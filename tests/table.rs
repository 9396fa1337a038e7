//! Issue 3: the lockout table, timers without polling, the power-loss-safe attempt
//! protocol and per-context counters, pinned with concrete values.
//!
//! Every expectation below is derived from docs/behaviour.md and the issue text, not from the
//! implementation. "Persisting" an account is copying the `Copy` value into a variable
//! (the "storage"); a power cut continues from the last stored copy and calls `recover`.

use core::hash::Hash;

use account_lockout::dialect::{
    ActiveDirectory, AndroidGatekeeper, Keycloak, PamFaillock, PingOne, Tpm,
};
use account_lockout::{
    Account, AccountView, AttemptError, AttemptToken, Decision, Duration, Instant, LockCause,
    LockoutTable, Operation, Outcome, Patch, Policy, Rejection, Rules, Status, TableError,
    Transition, UnlockCause, Verdict,
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

fn tpm(max_tries: u32, recovery_time: u64) -> Policy {
    Tpm {
        max_tries,
        recovery_time,
    }
    .policy()
    .unwrap()
}

fn pam(deny: u32, fail_interval: u64, unlock_time: u64) -> Policy {
    PamFaillock {
        deny,
        fail_interval,
        unlock_time,
    }
    .policy()
    .unwrap()
}

fn expired(at: Instant) -> Transition {
    Transition::Unlocked {
        at,
        cause: UnlockCause::Expired,
    }
}

fn transitions(outcome: &Outcome) -> Vec<Transition> {
    outcome.transitions.iter().copied().collect()
}

/// The policy's failure count of `key` at `now` (0 for an absent key).
fn count_of<K: Hash + Eq, const N: usize, const R: usize>(
    table: &LockoutTable<K, N, R>,
    key: &K,
    policy: &Policy,
    now: Instant,
) -> u32 {
    table
        .get(key)
        .map_or(0, |account| account.failure_count(policy, now))
}

/// The stored `(key, account)` pairs: what a host persists.
fn snapshot<K: Hash + Eq + Copy, const N: usize, const R: usize>(
    table: &LockoutTable<K, N, R>,
) -> Vec<(K, Account<R>)> {
    table
        .iter()
        .map(|(key, account)| (*key, *account))
        .collect()
}

/// Every transition `poll` yields at `now`, in order, until it says `None`.
fn drain<K: Hash + Eq + Clone, const N: usize, const R: usize>(
    table: &mut LockoutTable<K, N, R>,
    policy: &Policy,
    now: Instant,
) -> Vec<(K, Transition)> {
    let mut events = Vec::new();
    while let Some(event) = table.poll(policy, now) {
        events.push(event);
        assert!(events.len() <= N, "poll keeps yielding");
    }
    events
}

fn locked_until(view: &AccountView) -> Option<Instant> {
    assert_eq!(
        view.status,
        Status::Locked,
        "expected a locked view: {view:?}"
    );
    view.unlock_at
}

// ---------------------------------------------------------------------------------------
// 1. The table: per key, the same operations and outcomes as one account
// ---------------------------------------------------------------------------------------

#[test]
fn an_absent_key_is_an_account_in_its_initial_state() {
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    assert!(table.is_empty());
    assert_eq!(table.capacity(), 8);

    assert_eq!(table.view(&1, s(0)), AccountView::OPEN);
    let check = table.check(&policy, &1, s(0));
    assert_eq!(check.decision, Some(Decision::Allowed));
    assert_eq!(check.failures_remaining, Some(3));
    assert_eq!(check, Account::<0>::new().check(&policy, s(0)));

    // Operations that leave the account in its initial state store nothing.
    let success = table.success(&policy, 1, s(1)).unwrap();
    assert_eq!(success.decision, Some(Decision::Allowed));
    table.unlock(&policy, 2, s(2)).unwrap();
    table.apply(&policy, 3, s(3), Operation::Check).unwrap();
    assert_eq!(table.len(), 0);
    assert!(table.get(&1).is_none());

    // A counted failure is information: it is stored.
    let failure = table.failure(&policy, 1, s(4), None).unwrap();
    assert_eq!(failure.failures_remaining, Some(2));
    assert_eq!(table.len(), 1);
    assert_eq!(count_of(&table, &1, &policy, s(4)), 1);
    // Other keys are untouched.
    assert_eq!(table.view(&2, s(4)), AccountView::OPEN);
    assert_eq!(table.check(&policy, &2, s(4)).failures_remaining, Some(3));

    // A success on a PingOne account clears it: back to the initial state, dropped.
    table.success(&policy, 1, s(5)).unwrap();
    assert_eq!(table.len(), 0);
}

/// Runs the same script on a table key (with another key's noise interleaved) and on a
/// standalone account, and compares every outcome and view.
fn same_outcomes_as_an_account(policy: &Policy) {
    let script: [(Instant, Operation); 17] = [
        (s(0), Operation::Failure { credential: None }),
        (s(1), Operation::Failure { credential: None }),
        (s(2), Operation::Check),
        (s(3), Operation::Success),
        (s(4), Operation::Failure { credential: None }),
        (s(5), Operation::Failure { credential: None }),
        (s(6), Operation::Failure { credential: None }),
        (s(7), Operation::Success),
        (s(906), Operation::Failure { credential: None }),
        (
            s(907),
            Operation::Lock {
                until: Some(s(1_000)),
            },
        ),
        (s(908), Operation::Unlock),
        (s(909), Operation::Lock { until: None }),
        (s(910), Operation::Unlock),
        (s(911), Operation::Check),
        (s(500), Operation::Failure { credential: None }),
        (s(3_000), Operation::Failure { credential: None }),
        (
            s(3_001),
            Operation::Lock {
                until: Some(s(2_000)),
            },
        ),
    ];
    let mut table: LockoutTable<&str, 8> = LockoutTable::new();
    let mut account: Account = Account::new();
    for (index, (now, operation)) in script.into_iter().enumerate() {
        let by_table = table
            .apply(policy, "victim", now, operation)
            .map_err(|error| match error {
                TableError::Operation(error) => error,
                TableError::Full => panic!("step {index}: the table is not full"),
            });
        let alone = account.apply(policy, now, operation);
        assert_eq!(by_table, alone, "step {index}: {operation:?} at {now:?}");
        assert_eq!(
            table.view(&"victim", now),
            account.view(now),
            "step {index}"
        );
        assert_eq!(
            table
                .get(&"victim")
                .and_then(|stored| stored.next_deadline(policy, now)),
            account.next_deadline(policy, now),
            "step {index}"
        );
        table
            .failure(policy, "noise", now, None)
            .map_err(|_| "noise")
            .unwrap();
    }
}

#[test]
fn per_key_the_table_gives_the_same_outcomes_as_one_account() {
    same_outcomes_as_an_account(&pingone(3, Some(900)));
    same_outcomes_as_an_account(&active_directory(3, 1_800, 600));
    same_outcomes_as_an_account(&tpm(3, 600));
    same_outcomes_as_an_account(&AndroidGatekeeper {}.policy().unwrap());
}

#[test]
fn a_table_rebuilt_from_stored_pairs_gives_the_same_answers() {
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    for t in 0..3 {
        table.failure(&policy, 1, s(t), None).unwrap(); // locked until s(902)
    }
    table.failure(&policy, 2, s(3), None).unwrap();
    table.failure(&policy, 2, s(4), None).unwrap();
    let start = table.begin_attempt(&policy, 3, s(5)).unwrap();
    assert!(start.token.is_some());
    let stored = snapshot(&table);
    assert_eq!(stored.len(), 3);

    let mut rebuilt: LockoutTable<u32, 8> = LockoutTable::new();
    for (key, account) in stored {
        rebuilt.restore(&policy, key, s(6), account).unwrap();
    }
    assert_eq!(rebuilt.len(), 3);
    for key in [1, 2, 3, 4] {
        assert_eq!(
            rebuilt.view(&key, s(6)),
            table.view(&key, s(6)),
            "key {key}"
        );
        assert_eq!(
            rebuilt.check(&policy, &key, s(6)),
            table.check(&policy, &key, s(6))
        );
    }
    assert_eq!(locked_until(&rebuilt.view(&1, s(6))), Some(s(902)));
    assert_eq!(count_of(&rebuilt, &2, &policy, s(6)), 2);
    assert_eq!(
        rebuilt
            .get(&3)
            .unwrap()
            .attempt_tokens()
            .map(|t| t.started())
            .collect::<Vec<_>>(),
        [s(5)]
    );

    // A dormant account is not stored.
    rebuilt.restore(&policy, 9, s(7), Account::new()).unwrap();
    assert_eq!(rebuilt.len(), 3);
    assert!(rebuilt.get(&9).is_none());
}

// ---------------------------------------------------------------------------------------
// 1. Eviction safety, TableFull, reclaiming dormant slots
// ---------------------------------------------------------------------------------------

#[test]
fn a_flood_of_sprayed_user_names_never_evicts_the_victims_counts() {
    const N: usize = 256;
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, N> = LockoutTable::new();
    let victim = 0_u32;
    table.failure(&policy, victim, s(0), None).unwrap();
    table.failure(&policy, victim, s(1), None).unwrap();
    assert_eq!(count_of(&table, &victim, &policy, s(1)), 2);

    let mut stored = 0;
    let mut full = 0;
    for key in 1..=5_000_u32 {
        let now = s(10).saturating_add(account_lockout::Duration::from_millis(u64::from(key)));
        match table.failure(&policy, key, now, None) {
            Ok(outcome) => {
                stored += 1;
                assert_eq!(outcome.failures_remaining, Some(2), "key {key}");
            }
            Err(TableError::Full) => {
                full += 1;
                assert!(table.get(&key).is_none(), "a refused key is not stored");
            }
            Err(other) => panic!("key {key}: {other:?}"),
        }
        assert!(table.len() <= N, "len {} after key {key}", table.len());
    }
    assert_eq!(stored, N - 1);
    assert_eq!(full, 5_000 - (N - 1));
    assert_eq!(table.len(), N);

    // The victim's count survived the flood; the third failure still locks.
    assert_eq!(count_of(&table, &victim, &policy, s(100)), 2);
    assert_eq!(
        table.check(&policy, &victim, s(100)).failures_remaining,
        Some(1)
    );
    let third = table.failure(&policy, victim, s(100), None).unwrap();
    assert_eq!(third.decision, Some(Decision::Allowed));
    assert_eq!(
        transitions(&third),
        vec![
            Transition::Counted { failures: 3 },
            Transition::Locked {
                at: s(100),
                until: Some(s(1_000)),
                cause: LockCause::Policy
            }
        ]
    );
    assert_eq!(locked_until(&table.view(&victim, s(100))), Some(s(1_000)));

    // The sprayed accounts that got in kept theirs too.
    for key in 1..=(N as u32 - 1) {
        assert_eq!(count_of(&table, &key, &policy, s(100)), 1, "key {key}");
    }

    // A second flood while the victim is locked: nothing gets in, the lock holds.
    for key in 10_000..11_000_u32 {
        assert_eq!(
            table.failure(&policy, key, s(200), None),
            Err(TableError::Full)
        );
        assert_eq!(
            table.begin_attempt(&policy, key, s(200)),
            Err(TableError::Full)
        );
    }
    assert_eq!(table.len(), N);
    assert_eq!(locked_until(&table.view(&victim, s(200))), Some(s(1_000)));
}

#[test]
fn a_full_table_refuses_a_new_key_with_a_typed_error_and_changes_nothing() {
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    for key in 1..=8 {
        table.failure(&policy, key, s(0), None).unwrap();
    }
    assert_eq!(table.len(), 8);
    let before = snapshot(&table);

    assert_eq!(table.failure(&policy, 9, s(1), None), Err(TableError::Full));
    assert_eq!(table.begin_attempt(&policy, 9, s(1)), Err(TableError::Full));
    assert_eq!(table.lock(&policy, 9, s(1), None), Err(TableError::Full));
    assert_eq!(
        table.lock(&policy, 9, s(1), Some(s(100))),
        Err(TableError::Full)
    );
    let mut one_failure: Account = Account::new();
    one_failure.failure(&policy, s(0), None).unwrap();
    assert_eq!(
        table.restore(&policy, 9, s(1), one_failure),
        Err(one_failure)
    );
    assert_eq!(
        snapshot(&table),
        before,
        "a refused operation changes nothing"
    );
    assert!(table.get(&9).is_none());
    assert_eq!(
        TableError::<account_lockout::CapacityError>::Full.to_string(),
        "the lockout table is full of accounts that hold information"
    );

    // The host chooses. Fail closed: the refused login is denied. Fail open: the key is
    // in its initial state, so `check` allows it (uncounted).
    assert_eq!(
        table.check(&policy, &9, s(1)).decision,
        Some(Decision::Allowed)
    );
    assert_eq!(table.view(&9, s(1)), AccountView::OPEN);

    // Operations that need no slot still work: a success on the absent key leaves it in
    // its initial state, and stored keys keep counting.
    assert_eq!(
        table.success(&policy, 9, s(2)).unwrap().decision,
        Some(Decision::Allowed)
    );
    let second = table.failure(&policy, 1, s(2), None).unwrap();
    assert_eq!(
        transitions(&second),
        vec![Transition::Counted { failures: 2 }]
    );
    assert_eq!(table.len(), 8);

    // A success clears key 2 (PingOne): it goes back to its initial state and its slot is
    // free for key 9.
    table.success(&policy, 2, s(3)).unwrap();
    assert_eq!(table.len(), 7);
    table.failure(&policy, 9, s(4), None).unwrap();
    assert_eq!(table.len(), 8);
    assert_eq!(count_of(&table, &9, &policy, s(4)), 1);
    assert_eq!(
        table.failure(&policy, 10, s(5), None),
        Err(TableError::Full)
    );
}

#[test]
fn dormant_accounts_give_their_slots_to_new_keys_without_compaction() {
    // Active Directory: threshold 3, lock 1800 s, observation window 600 s.
    const N: usize = 64;
    let policy = active_directory(3, 1_800, 600);
    let mut table: LockoutTable<u32, N> = LockoutTable::new();
    for key in 1..=63_u32 {
        table
            .failure(&policy, key, ms(i64::from(key)), None)
            .unwrap();
    }
    let victim = 0_u32;
    table.failure(&policy, victim, s(500), None).unwrap();
    table.failure(&policy, victim, s(600), None).unwrap();
    assert_eq!(table.len(), N);

    // At s(600) the sprayed failures are still inside their window (gap <= 600 s).
    assert_eq!(
        table.failure(&policy, 1_000, ms(600_001), None),
        Err(TableError::Full)
    );

    // At s(700) they are not: each new key takes a dormant slot; then the table is full.
    let mut stored = Vec::new();
    for key in 1_000..2_000_u32 {
        let now = s(700).saturating_add(account_lockout::Duration::from_millis(u64::from(key)));
        match table.failure(&policy, key, now, None) {
            Ok(_) => stored.push(key),
            Err(TableError::Full) => {}
            Err(other) => panic!("{other:?}"),
        }
        assert!(table.len() <= N);
    }
    assert_eq!(stored, (1_000..1_063).collect::<Vec<u32>>());
    assert_eq!(table.len(), N);
    for key in 1..=63_u32 {
        assert!(table.get(&key).is_none(), "dormant key {key} reclaimed");
    }

    // The victim was never dormant (last failure at s(600), window until s(1200)).
    assert_eq!(count_of(&table, &victim, &policy, s(800)), 2);
    table.failure(&policy, victim, s(800), None).unwrap();
    assert_eq!(locked_until(&table.view(&victim, s(800))), Some(s(2_600)));
}

// ---------------------------------------------------------------------------------------
// 1. Compaction
// ---------------------------------------------------------------------------------------

#[test]
fn compaction_frees_only_accounts_back_in_their_initial_state() {
    // Attempts in flight that never time out within the test (behaviour §7.1).
    let policy = active_directory(3, 1_800, 600)
        .with_attempt_limits(8, Duration::from_secs(10 * 365 * 86_400))
        .unwrap();
    let mut table: LockoutTable<u32, 16> = LockoutTable::new();
    // 1: one failure at s(0) (window ends at s(600) + 1 ms).
    table.failure(&policy, 1, s(0), None).unwrap();
    // 2: one failure at s(500) (window ends at s(1100) + 1 ms).
    table.failure(&policy, 2, s(500), None).unwrap();
    // 3: locked at s(2) until s(1802).
    for t in 0..3 {
        table.failure(&policy, 3, s(t), None).unwrap();
    }
    // 4: an attempt in flight, never finished.
    let start = table.begin_attempt(&policy, 4, s(0)).unwrap();
    assert!(start.token.is_some());
    // 5: an administrator lock without a deadline.
    table.lock(&policy, 5, s(0), None).unwrap();
    // 6: a disabled user.
    let disable = Patch::new(Some(false), None, None).unwrap();
    table.patch(&policy, 6, s(0), disable).unwrap();
    // 7: a failure, then a success: back to the initial state at once.
    table.failure(&policy, 7, s(0), None).unwrap();
    table.success(&policy, 7, s(10)).unwrap();
    assert_eq!(table.len(), 6);

    assert_eq!(
        table.compact(&policy, s(600)),
        0,
        "key 1 is still in its window"
    );
    assert_eq!(table.compact(&policy, s(700)), 1);
    assert!(table.get(&1).is_none());
    assert_eq!(table.len(), 5);
    assert_eq!(
        table.compact(&policy, s(700)),
        0,
        "compacting twice frees nothing"
    );
    assert_eq!(count_of(&table, &2, &policy, s(700)), 1);

    assert_eq!(table.compact(&policy, ms(1_100_000)), 0);
    assert_eq!(table.compact(&policy, s(1_101)), 1);
    assert!(table.get(&2).is_none());

    assert_eq!(table.compact(&policy, ms(1_801_999)), 0, "key 3 is locked");
    assert_eq!(locked_until(&table.view(&3, ms(1_801_999))), Some(s(1_802)));
    // The lock ended at s(1802): once its expiry is reported, the account is dormant.
    assert_eq!(
        drain(&mut table, &policy, s(1_802)),
        vec![(3, expired(s(1_802)))]
    );
    assert_eq!(table.compact(&policy, s(1_802)), 1);
    assert!(table.get(&3).is_none());

    // In flight, admin-locked and disabled accounts are never freed.
    assert_eq!(table.compact(&policy, s(365 * 86_400)), 0);
    assert_eq!(table.len(), 3);
    assert_eq!(
        table
            .get(&4)
            .unwrap()
            .attempt_tokens()
            .map(|t| t.started())
            .collect::<Vec<_>>(),
        [s(0)]
    );
    assert_eq!(table.view(&5, s(365 * 86_400)).status, Status::Locked);
    assert!(!table.view(&6, s(365 * 86_400)).enabled);
}

#[test]
fn compaction_never_frees_a_counted_failure_that_still_matters() {
    // PingOne: no window, so a counted failure matters until a success or a lock's end.
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.failure(&policy, 1, s(0), None).unwrap();
    table.failure(&policy, 1, s(0), None).unwrap();
    for _ in 0..3 {
        table.failure(&policy, 2, s(0), None).unwrap(); // locked until s(900)
    }
    assert_eq!(table.compact(&policy, ms(899_999)), 0);
    assert_eq!(
        drain(&mut table, &policy, s(900)),
        vec![(2, expired(s(900)))]
    );
    assert_eq!(table.compact(&policy, s(900)), 1);
    assert!(table.get(&2).is_none());
    assert_eq!(table.compact(&policy, s(1_000_000)), 0);
    assert_eq!(count_of(&table, &1, &policy, s(1_000_000)), 2);

    // TPM: the count heals by one per recovery time since the latest failure.
    let policy = tpm(3, 600);
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.failure(&policy, 1, s(0), None).unwrap();
    table.failure(&policy, 2, s(0), None).unwrap();
    table.failure(&policy, 2, s(100), None).unwrap();
    assert_eq!(count_of(&table, &2, &policy, s(100)), 2);
    assert_eq!(table.compact(&policy, ms(599_999)), 0);
    assert_eq!(table.compact(&policy, s(600)), 1);
    assert!(table.get(&1).is_none());
    assert_eq!(count_of(&table, &2, &policy, s(1_299)), 1);
    assert_eq!(table.compact(&policy, s(1_299)), 0);
    assert_eq!(table.compact(&policy, s(1_300)), 1);
    assert!(table.is_empty());

    // pam_faillock: a kept failure leaves the window failInterval after it happened.
    let policy = pam(3, 900, 600);
    let mut table: LockoutTable<u32, 8, 3> = LockoutTable::new();
    table.failure(&policy, 1, s(0), None).unwrap();
    table.failure(&policy, 1, s(100), None).unwrap();
    assert_eq!(table.compact(&policy, s(999)), 0);
    assert_eq!(count_of(&table, &1, &policy, s(999)), 1);
    assert_eq!(table.compact(&policy, s(1_000)), 1);
    assert!(table.is_empty());
}

#[test]
fn compaction_makes_room_for_keys_that_were_refused() {
    let policy = pingone(1, Some(60));
    let mut table: LockoutTable<u32, 4> = LockoutTable::new();
    for key in 1..=4 {
        table.failure(&policy, key, s(0), None).unwrap(); // locked until s(60)
    }
    assert_eq!(
        table.failure(&policy, 5, s(30), None),
        Err(TableError::Full)
    );
    assert_eq!(table.compact(&policy, s(30)), 0);
    assert_eq!(drain(&mut table, &policy, s(60)).len(), 4);
    assert_eq!(table.compact(&policy, s(60)), 4);
    assert!(table.is_empty());
    table.failure(&policy, 5, s(61), None).unwrap();
    assert_eq!(table.len(), 1);
}

// ---------------------------------------------------------------------------------------
// 2. Deadlines
// ---------------------------------------------------------------------------------------

#[test]
fn next_deadline_is_the_end_of_a_lock() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(account.next_deadline(&policy, s(0)), None);
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(5), None).unwrap();
    // PingOne has no window: nothing changes by itself.
    assert_eq!(account.next_deadline(&policy, s(5)), None);
    account.failure(&policy, s(10), None).unwrap();
    assert_eq!(account.next_deadline(&policy, s(10)), Some(s(910)));
    assert_eq!(account.next_deadline(&policy, ms(909_999)), Some(s(910)));
    assert_eq!(account.next_deadline(&policy, s(910)), None);
    assert_eq!(account.next_deadline(&policy, s(5_000)), None);

    // Administrator locks: with a deadline, it is the deadline; without, nothing.
    let mut admin: Account = Account::new();
    admin.lock(&policy, s(0), Some(s(50))).unwrap();
    assert_eq!(admin.next_deadline(&policy, s(0)), Some(s(50)));
    admin.lock(&policy, s(1), None).unwrap();
    assert_eq!(admin.next_deadline(&policy, s(1)), None);
}

#[test]
fn next_deadline_is_the_active_directory_window_step() {
    // The count restarts when the gap exceeds the window: last failure + window + 1 ms.
    let policy = active_directory(3, 1_800, 600);
    let mut account: Account = Account::new();
    account.failure(&policy, s(100), None).unwrap();
    assert_eq!(account.next_deadline(&policy, s(100)), Some(ms(700_001)));
    account.failure(&policy, s(200), None).unwrap();
    assert_eq!(account.next_deadline(&policy, s(200)), Some(ms(800_001)));
    assert_eq!(account.next_deadline(&policy, s(800)), Some(ms(800_001)));
    assert_eq!(account.failure_count(&policy, s(800)), 2);
    assert_eq!(account.failure_count(&policy, ms(800_001)), 0);
    assert_eq!(account.next_deadline(&policy, ms(800_001)), None);
    assert!(account.is_dormant(&policy, ms(800_001)));
    assert!(!account.is_dormant(&policy, s(800)));
}

#[test]
fn next_deadline_is_the_pam_faillock_sliding_window() {
    // A kept failure leaves the window failInterval after it happened.
    let policy = pam(3, 900, 600);
    let mut account: Account<3> = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(100), None).unwrap();
    assert_eq!(account.next_deadline(&policy, s(100)), Some(s(900)));
    assert_eq!(account.next_deadline(&policy, s(900)), Some(s(1_000)));
    assert_eq!(account.failure_count(&policy, s(900)), 1);
    assert_eq!(account.next_deadline(&policy, s(1_000)), None);
    assert_eq!(account.failure_count(&policy, s(1_000)), 0);

    // Locked at the third: the lock ends at s(200) + 600 s before s(0) leaves the window.
    let mut locked: Account<3> = Account::new();
    for t in [0, 100, 200] {
        locked.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(locked_until(&locked.view(s(200))), Some(s(800)));
    assert_eq!(locked.next_deadline(&policy, s(200)), Some(s(800)));
    // When the lock ends by itself the kept failures no longer matter.
    assert_eq!(locked.next_deadline(&policy, s(800)), None);
    assert_eq!(locked.poll(&policy, s(800)), Some(expired(s(800))));
    assert!(locked.is_dormant(&policy, s(800)));
}

#[test]
fn next_deadline_is_each_tpm_self_healing_step() {
    let policy = tpm(3, 600);
    let mut single: Account = Account::new();
    single.failure(&policy, s(10), None).unwrap();
    assert_eq!(single.next_deadline(&policy, s(10)), Some(s(610)));
    assert_eq!(single.next_deadline(&policy, s(300)), Some(s(610)));
    assert_eq!(single.next_deadline(&policy, s(610)), None);

    let mut account: Account = Account::new();
    for t in [0, 60, 120] {
        account.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(locked_until(&account.view(s(120))), Some(s(720)));
    assert_eq!(account.next_deadline(&policy, s(120)), Some(s(720)));
    assert_eq!(account.failure_count(&policy, s(719)), 3);
    assert_eq!(account.next_deadline(&policy, s(720)), Some(s(1_320)));
    assert_eq!(account.failure_count(&policy, s(720)), 2);
    assert_eq!(account.view(s(720)).status, Status::Ok);
    assert_eq!(account.next_deadline(&policy, s(1_320)), Some(s(1_920)));
    assert_eq!(account.failure_count(&policy, s(1_320)), 1);
    assert_eq!(account.next_deadline(&policy, s(1_920)), None);
    assert_eq!(account.failure_count(&policy, s(1_920)), 0);
}

#[test]
fn the_table_deadline_is_the_earliest_of_its_accounts() {
    let policy = tpm(3, 600);
    let mut table: LockoutTable<&str, 8> = LockoutTable::new();
    assert_eq!(table.next_deadline(&policy, s(0)), None);
    table.failure(&policy, "a", s(0), None).unwrap(); // heals at s(600)
    table.failure(&policy, "b", s(100), None).unwrap(); // heals at s(700)
    for t in [200, 201, 202] {
        table.failure(&policy, "c", s(t), None).unwrap(); // locked until s(802)
    }
    assert_eq!(table.next_deadline(&policy, s(202)), Some(s(600)));
    assert_eq!(table.next_deadline(&policy, s(600)), Some(s(700)));
    assert_eq!(table.next_deadline(&policy, s(700)), Some(s(802)));
    assert_eq!(table.next_deadline(&policy, s(802)), Some(s(1_402)));
    assert_eq!(table.next_deadline(&policy, s(1_402)), Some(s(2_002)));
    assert_eq!(table.next_deadline(&policy, s(2_002)), None);

    let policy = pingone(1, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.failure(&policy, 1, s(10), None).unwrap();
    table.failure(&policy, 2, s(5), None).unwrap();
    table.failure(&policy, 3, s(20), None).unwrap();
    table.lock(&policy, 4, s(20), None).unwrap();
    assert_eq!(table.next_deadline(&policy, s(20)), Some(s(905)));
    assert_eq!(table.next_deadline(&policy, s(905)), Some(s(910)));
    assert_eq!(table.next_deadline(&policy, s(910)), Some(s(920)));
    assert_eq!(table.next_deadline(&policy, s(920)), None);
}

// ---------------------------------------------------------------------------------------
// 2. poll: each expiry exactly once, at the instant it really happened
// ---------------------------------------------------------------------------------------

#[test]
fn poll_reports_an_expiry_once_with_its_real_instant_even_when_late() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    for t in [0, 5, 10] {
        account.failure(&policy, s(t), None).unwrap(); // locked until s(910)
    }
    assert_eq!(account.poll(&policy, s(500)), None);
    assert_eq!(account.poll(&policy, ms(909_999)), None);
    assert_eq!(locked_until(&account.view(ms(909_999))), Some(s(910)));
    assert_eq!(account.poll(&policy, s(5_000)), Some(expired(s(910))));
    assert_eq!(account.poll(&policy, s(5_000)), None);
    assert_eq!(account.poll(&policy, s(6_000)), None);
    assert_eq!(account.view(s(6_000)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(6_000)), 0);

    // Exactly at the deadline.
    let mut account: Account = Account::new();
    for t in [0, 5, 10] {
        account.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(account.poll(&policy, s(910)), Some(expired(s(910))));
    assert_eq!(account.poll(&policy, s(910)), None);
}

#[test]
fn an_event_that_notices_the_expiry_first_reports_it_and_poll_yields_nothing() {
    let policy = pingone(3, Some(900));
    let mut locked: Account = Account::new();
    for t in [0, 5, 10] {
        locked.failure(&policy, s(t), None).unwrap();
    }

    // Reads do not consume the event.
    let mut read_first = locked;
    assert_eq!(
        read_first.check(&policy, s(1_000)).decision,
        Some(Decision::Allowed)
    );
    assert_eq!(read_first.view(s(1_000)).status, Status::Ok);
    assert_eq!(read_first.next_deadline(&policy, s(1_000)), None);
    assert_eq!(read_first.failure_count(&policy, s(1_000)), 0);
    assert_eq!(read_first.poll(&policy, s(1_000)), Some(expired(s(910))));

    // A failure notices the expiry: it reports it, so poll does not.
    let mut event_first = locked;
    let outcome = event_first.failure(&policy, s(1_000), None).unwrap();
    assert_eq!(
        transitions(&outcome),
        vec![expired(s(910)), Transition::Counted { failures: 1 }]
    );
    assert_eq!(event_first.poll(&policy, s(1_000)), None);
    assert_eq!(event_first.poll(&policy, s(2_000)), None);

    // So does a success.
    let mut success_first = locked;
    let outcome = success_first.success(&policy, s(1_000));
    assert_eq!(transitions(&outcome), vec![expired(s(910))]);
    assert_eq!(success_first.poll(&policy, s(1_000)), None);
}

#[test]
fn poll_reports_a_tpm_self_healing_unlock_and_nothing_for_window_steps() {
    let policy = tpm(3, 600);
    let mut account: Account = Account::new();
    for t in [0, 60, 120] {
        account.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(account.poll(&policy, s(719)), None);
    assert_eq!(account.poll(&policy, s(1_000)), Some(expired(s(720))));
    assert_eq!(account.poll(&policy, s(1_000)), None);
    // Later healing steps lower the count but change no status: no event.
    assert_eq!(account.poll(&policy, s(5_000)), None);

    let policy = active_directory(3, 1_800, 600);
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    assert_eq!(account.poll(&policy, s(10_000)), None);
}

#[test]
fn table_poll_reports_each_key_once() {
    // The clock only moves forward here: a poll is an observation of `now` (behaviour §1).
    let policy = pingone(1, Some(60));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.failure(&policy, 1, s(0), None).unwrap(); // until s(60)
    table.failure(&policy, 5, s(0), None).unwrap(); // until s(60)
    table.failure(&policy, 2, s(5), None).unwrap(); // until s(65)
    table.lock(&policy, 4, s(10), None).unwrap(); // admin only
    table.failure(&policy, 3, s(40), None).unwrap(); // until s(100)
    assert_eq!(table.poll(&policy, s(40)), None);
    assert_eq!(table.poll(&policy, ms(59_999)), None);

    // Key 5's expiry is noticed by its next failure, which locks it again until s(121).
    let outcome = table.failure(&policy, 5, s(61), None).unwrap();
    assert_eq!(transitions(&outcome)[0], expired(s(60)));

    assert_eq!(drain(&mut table, &policy, s(61)), vec![(1, expired(s(60)))]);
    assert_eq!(table.poll(&policy, s(62)), None);

    let mut events = drain(&mut table, &policy, s(1_000));
    events.sort_by_key(|(key, _)| *key);
    assert_eq!(
        events,
        vec![
            (2, expired(s(65))),
            (3, expired(s(100))),
            (5, expired(s(121)))
        ]
    );
    assert!(drain(&mut table, &policy, s(2_000)).is_empty());
    assert_eq!(table.view(&4, s(2_000)).status, Status::Locked);
}

#[test]
fn compaction_does_not_swallow_an_unreported_expiry() {
    // The lock of key 1 ended at s(900); nobody has polled yet. Each expiry is reported
    // exactly once, so compacting first must not lose it.
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    for _ in 0..3 {
        table.failure(&policy, 1, s(0), None).unwrap();
    }
    table.compact(&policy, s(1_000));
    // Whatever compaction freed, the expiry is still reported, once.
    assert_eq!(
        drain(&mut table, &policy, s(1_000)),
        vec![(1, expired(s(900)))]
    );
}

#[test]
fn reclaiming_a_slot_does_not_swallow_an_unreported_expiry() {
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 2> = LockoutTable::new();
    for _ in 0..3 {
        table.failure(&policy, 1, s(0), None).unwrap(); // locked until s(900)
    }
    table.failure(&policy, 2, s(0), None).unwrap();
    assert_eq!(table.len(), 2);
    // A new key arrives after the lock ended, before anyone polled. Whether it gets the
    // slot or `Full`, the expiry of key 1 is still reported, once.
    let _ = table.failure(&policy, 3, s(1_000), None);
    assert_eq!(
        drain(&mut table, &policy, s(1_000)),
        vec![(1, expired(s(900)))]
    );
}

// ---------------------------------------------------------------------------------------
// 3. The power-loss-safe attempt protocol
// ---------------------------------------------------------------------------------------

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
    ram.failure(policy, s(0), None).unwrap();
    let mut storage = ram;
    let reboot = |stored: Account<R>| {
        let mut restored = stored;
        restored.recover(policy, s(REBOOT)).unwrap();
        // Recovering again is harmless.
        let again = restored;
        restored.recover(policy, s(REBOOT)).unwrap();
        assert_eq!(restored, again, "{cut:?}: a second recover changes nothing");
        assert_eq!(restored.attempts_in_flight(), 0);
        restored
    };

    let start = ram.begin_attempt(policy, s(BEGIN)).unwrap();
    assert_eq!(start.outcome.decision, Some(Decision::Allowed));
    let token = start.token.unwrap();
    assert_eq!(token.started(), s(BEGIN));
    assert_eq!(
        ram.attempt_tokens()
            .map(|t| t.started())
            .collect::<Vec<_>>(),
        [s(BEGIN)]
    );
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
    assert_eq!(finished.decision, Some(Decision::Allowed));
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
    power_cut_matrix::<0>(
        "androidGatekeeper",
        &AndroidGatekeeper {}.policy().unwrap(),
        0,
    );
}

#[test]
fn a_recovered_attempt_is_a_failure_that_can_lock() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    account.failure(&policy, s(0), None).unwrap();
    account.failure(&policy, s(1), None).unwrap();
    let token = account
        .begin_attempt(&policy, s(10))
        .unwrap()
        .token
        .unwrap();
    let stored = account;

    let mut restored = stored;
    let outcome = restored.recover(&policy, s(20)).unwrap();
    assert_eq!(outcome.decision, None);
    assert_eq!(
        transitions(&outcome),
        vec![
            Transition::Counted { failures: 3 },
            Transition::Locked {
                at: s(20),
                until: Some(s(920)),
                cause: LockCause::Policy
            }
        ]
    );
    assert_eq!(locked_until(&restored.view(s(20))), Some(s(920)));
    assert_eq!(restored.view(s(20)).locked_at, Some(s(20)));
    // The lost attempt's token no longer finishes anything.
    let before = restored;
    assert_eq!(
        restored.finish_attempt(&policy, s(21), token, Verdict::Success),
        Err(AttemptError::UnknownAttempt)
    );
    assert_eq!(restored, before);

    // Recovering an account with nothing in flight changes nothing.
    let mut idle: Account = Account::new();
    idle.failure(&policy, s(0), None).unwrap();
    let before = idle;
    let outcome = idle.recover(&policy, s(20)).unwrap();
    assert!(outcome.transitions.is_empty());
    assert_eq!(outcome.failures_remaining, Some(2));
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
            storage.recover(&policy, s(10 * round + 5)).unwrap();
        }
        assert_eq!(
            locked_until(&storage.view(s(25))),
            Some(s(25 + unlock_after))
        );
        let refused = storage.begin_attempt(&policy, s(30)).unwrap();
        assert_eq!(refused.token, None);
        assert_eq!(
            refused.outcome.decision,
            Some(Decision::Rejected(Rejection::Locked {
                unlock_at: Some(s(25 + unlock_after)),
                unlock_in: Some(account_lockout::Duration::from_secs(
                    u64::try_from(unlock_after - 5).unwrap()
                )),
            }))
        );
        assert_eq!(storage.attempts_in_flight(), 0);
    }
}

/// The table's protocol with the stored `(key, account)` pairs as the storage.
fn table_protocol(policy: &Policy, verdict: Verdict, cut: Cut) -> (usize, u32) {
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.failure(policy, 1, s(0), None).unwrap();
    table.failure(policy, 2, s(0), None).unwrap();
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

    let token = table
        .begin_attempt(policy, 1, s(BEGIN))
        .unwrap()
        .token
        .unwrap();
    if cut == Cut::BeforePersisting {
        return reboot(storage);
    }
    storage = snapshot(&table);
    if matches!(cut, Cut::AfterPersisting | Cut::AfterVerifying) {
        return reboot(storage);
    }
    table
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
        let mut account: Account = Account::new();
        account.failure(&policy, s(0), None).unwrap();
        let token = account
            .begin_attempt(&policy, s(10))
            .unwrap()
            .token
            .unwrap();
        account
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
    let token = table
        .begin_attempt(&policy, 1, s(10))
        .unwrap()
        .token
        .unwrap();
    table
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
    let first: AttemptToken = account
        .begin_attempt(&policy, s(10))
        .unwrap()
        .token
        .unwrap();
    account
        .finish_attempt(&policy, s(11), first, success)
        .unwrap();
    let second = account
        .begin_attempt(&policy, s(20))
        .unwrap()
        .token
        .unwrap();
    assert_eq!(
        account.finish_attempt(&policy, s(21), first, success),
        Err(AttemptError::UnknownAttempt)
    );
    account
        .finish_attempt(&policy, s(22), second, failure)
        .unwrap();
    assert_eq!(account.failure_count(&policy, s(22)), 1);

    // In a table, the success returns key 7 to its initial state and it is dropped; the
    // next attempt starts from a fresh account.
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let first = table
        .begin_attempt(&policy, 7, s(10))
        .unwrap()
        .token
        .unwrap();
    table
        .finish_attempt(&policy, 7, s(11), first, success)
        .unwrap();
    assert_eq!(table.len(), 0);
    let second = table
        .begin_attempt(&policy, 7, s(20))
        .unwrap()
        .token
        .unwrap();
    // A fresh account restarts the serial numbers; the start instant tells the attempts
    // apart, so the stale token of the first, finished attempt is refused.
    assert_eq!(
        table.finish_attempt(&policy, 7, s(21), first, success),
        Err(TableError::Operation(AttemptError::UnknownAttempt))
    );
    assert_eq!(
        table
            .finish_attempt(&policy, 7, s(22), second, failure)
            .map(|outcome| outcome.decision),
        Ok(Some(Decision::Allowed))
    );
    assert_eq!(count_of(&table, &7, &policy, s(22)), 1);
}

#[test]
fn beginning_an_attempt_on_a_locked_or_disabled_account_is_rejected() {
    let policy = pingone(1, Some(60));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.failure(&policy, 1, s(0), None).unwrap();
    let start = table.begin_attempt(&policy, 1, s(10)).unwrap();
    assert_eq!(start.token, None);
    assert_eq!(
        start.outcome.decision,
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: Some(s(60)),
            unlock_in: Some(account_lockout::Duration::from_secs(50)),
        }))
    );
    assert_eq!(table.get(&1).unwrap().attempts_in_flight(), 0);

    let disable = Patch::new(Some(false), None, None).unwrap();
    table.patch(&policy, 2, s(0), disable).unwrap();
    let start = table.begin_attempt(&policy, 2, s(10)).unwrap();
    assert_eq!(start.token, None);
    assert_eq!(
        start.outcome.decision,
        Some(Decision::Rejected(Rejection::Disabled))
    );
    assert_eq!(table.recover(&policy, s(11)), Ok(0));
}

// ---------------------------------------------------------------------------------------
// 4. Per-context counters: keys (user, context), views folded (behaviour §2)
// ---------------------------------------------------------------------------------------

/// Entra's familiar and unfamiliar locations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Location {
    Familiar,
    Unfamiliar,
}

/// A host that keys one table by `(user, context)` with the per-context policy, and a
/// second table by user alone, with its own larger policy, fed every counted failure: a
/// cap on all contexts together.
struct Host<C> {
    per_context: LockoutTable<(u32, C), 64>,
    per_user: LockoutTable<u32, 16>,
    context_policy: Policy,
    user_policy: Policy,
}

impl<C: Copy + Hash + Eq> Host<C> {
    fn new(context_policy: Policy, user_policy: Policy) -> Self {
        Host {
            per_context: LockoutTable::new(),
            per_user: LockoutTable::new(),
            context_policy,
            user_policy,
        }
    }

    /// What a login of `user` from `context` sees: its context and the user-wide cap.
    fn login_view(&self, user: u32, context: C, now: Instant) -> AccountView {
        self.per_context
            .view(&(user, context), now)
            .fold(self.per_user.view(&user, now))
    }

    /// The administrator's view of `user`: every context and the cap, folded.
    fn user_view(&self, user: u32, contexts: &[C], now: Instant) -> AccountView {
        AccountView::fold_all(
            contexts
                .iter()
                .map(|context| self.per_context.view(&(user, *context), now))
                .chain([self.per_user.view(&user, now)]),
        )
    }

    /// A login: rejected (and not counted) unless the folded view allows it; otherwise
    /// the verdict goes to both tables. Whether the user authenticated.
    fn login(&mut self, user: u32, context: C, now: Instant, password_ok: bool) -> bool {
        if !self.login_view(user, context, now).can_authenticate {
            return false;
        }
        if password_ok {
            self.per_context
                .success(&self.context_policy, (user, context), now)
                .unwrap();
            self.per_user.success(&self.user_policy, user, now).unwrap();
            true
        } else {
            let by_context = self
                .per_context
                .failure(&self.context_policy, (user, context), now, None)
                .unwrap();
            let by_user = self
                .per_user
                .failure(&self.user_policy, user, now, None)
                .unwrap();
            assert_eq!(by_context.decision, Some(Decision::Allowed));
            assert_eq!(by_user.decision, Some(Decision::Allowed));
            false
        }
    }
}

const ALICE: u32 = 1;
const BOB: u32 = 2;

#[test]
fn an_attacker_in_one_context_cannot_lock_the_user_out_of_another() {
    use Location::{Familiar, Unfamiliar};
    let mut host: Host<Location> = Host::new(pingone(3, Some(900)), pingone(10, Some(3_600)));

    // The attacker, from an unfamiliar location, locks that context.
    for t in 0..3 {
        assert!(!host.login(ALICE, Unfamiliar, s(t), false));
    }
    let unfamiliar = host.login_view(ALICE, Unfamiliar, s(10));
    assert_eq!(locked_until(&unfamiliar), Some(s(902)));
    assert_eq!(unfamiliar.locked_at, Some(s(2)));
    // Rejected attempts are not counted, in either table.
    assert!(!host.login(ALICE, Unfamiliar, s(5), false));
    assert_eq!(count_of(&host.per_user, &ALICE, &host.user_policy, s(5)), 3);

    // Alice, from her familiar location, is not locked out.
    let familiar = host.login_view(ALICE, Familiar, s(10));
    assert_eq!(familiar, AccountView::OPEN);
    assert!(host.login(ALICE, Familiar, s(10), true));
    // Her success does not unlock the other context.
    assert_eq!(
        locked_until(&host.login_view(ALICE, Unfamiliar, s(11))),
        Some(s(902))
    );
    // Nor is Bob affected.
    assert_eq!(host.login_view(BOB, Unfamiliar, s(11)), AccountView::OPEN);

    // A second lock in the familiar context: the folded user view shows the earliest
    // lockedAt and the latest unlockAt.
    for t in [300, 301, 302] {
        assert!(!host.login(ALICE, Familiar, s(t), false));
    }
    assert_eq!(
        locked_until(&host.login_view(ALICE, Familiar, s(400))),
        Some(s(1_202))
    );
    let folded = host.user_view(ALICE, &[Familiar, Unfamiliar], s(400));
    assert_eq!(
        folded,
        AccountView {
            can_authenticate: false,
            locked_at: Some(s(2)),
            seconds_until_unlock: Some(802),
            status: Status::Locked,
            unlock_at: Some(s(1_202)),
            enabled: true,
        }
    );
    // At s(902) only the familiar context is still locked.
    let folded = host.user_view(ALICE, &[Familiar, Unfamiliar], s(902));
    assert_eq!(folded.locked_at, Some(s(302)));
    assert_eq!(folded.unlock_at, Some(s(1_202)));
    assert!(host.login(ALICE, Unfamiliar, s(902), true));
    assert_eq!(
        host.user_view(ALICE, &[Familiar, Unfamiliar], s(1_202)),
        AccountView::OPEN
    );
}

#[test]
fn a_cap_on_all_contexts_together_still_holds() {
    // Auth0's identifier+IP mode: the context is the source address.
    let mut host: Host<u32> = Host::new(pingone(3, Some(900)), pingone(10, Some(3_600)));
    // The attacker spreads 2 failures over each of 5 addresses: no address reaches 3.
    for ip in 1..=5_i64 {
        for t in [ip * 10, ip * 10 + 1] {
            assert!(!host.login(ALICE, u32::try_from(ip).unwrap(), s(t), false));
        }
    }
    for ip in 1..=5 {
        let view = host.per_context.view(&(ALICE, ip), s(60));
        assert_eq!(view.status, Status::Ok, "ip {ip}");
        assert_eq!(
            count_of(&host.per_context, &(ALICE, ip), &host.context_policy, s(60)),
            2
        );
    }
    // The tenth failure overall (at s(51)) reached the user-wide cap.
    let cap = host.per_user.view(&ALICE, s(60));
    assert_eq!(cap.locked_at, Some(s(51)));
    assert_eq!(locked_until(&cap), Some(s(3_651)));

    // Every context of Alice is locked by the cap, even a new one, even with her password.
    let from_home = host.login_view(ALICE, 100, s(60));
    assert_eq!(locked_until(&from_home), Some(s(3_651)));
    assert_eq!(from_home.seconds_until_unlock, Some(3_591));
    assert!(!host.login(ALICE, 100, s(60), true));
    // A new attacker address is rejected and stores nothing.
    let stored = host.per_context.len();
    assert!(!host.login(ALICE, 6, s(61), false));
    assert_eq!(host.per_context.len(), stored);
    assert!(host.per_context.get(&(ALICE, 6)).is_none());

    // The folded user view.
    let contexts: Vec<u32> = (1..=6).chain([100]).collect();
    let folded = host.user_view(ALICE, &contexts, s(60));
    assert_eq!(folded.status, Status::Locked);
    assert_eq!(folded.locked_at, Some(s(51)));
    assert_eq!(folded.unlock_at, Some(s(3_651)));
    // Other users are not capped.
    assert_eq!(host.login_view(BOB, 1, s(60)), AccountView::OPEN);
    assert!(host.login(BOB, 1, s(60), true));

    // When the cap's lock ends, Alice gets in from home.
    assert!(host.login(ALICE, 100, s(3_651), true));
}

#[test]
fn folding_a_context_locked_without_deadline_keeps_the_user_locked_until_an_administrator() {
    use Location::{Familiar, Unfamiliar};
    let mut host: Host<Location> = Host::new(pingone(3, None), pingone(10, Some(3_600)));
    for t in 0..3 {
        host.login(ALICE, Unfamiliar, s(t), false);
    }
    host.per_context
        .lock(&host.context_policy, (ALICE, Familiar), s(5), Some(s(600)))
        .unwrap();
    let folded = host.user_view(ALICE, &[Familiar, Unfamiliar], s(10));
    assert_eq!(folded.status, Status::Locked);
    assert_eq!(folded.locked_at, Some(s(2)));
    assert_eq!(folded.unlock_at, None, "a source without a deadline wins");
    assert_eq!(folded.seconds_until_unlock, None);
    // At s(600) the familiar context is free again; the unfamiliar one is not.
    assert!(host.login(ALICE, Familiar, s(600), true));
    assert_eq!(
        host.login_view(ALICE, Unfamiliar, s(10_000)).status,
        Status::Locked
    );
}

#[test]
fn an_attempt_token_travels_as_bytes_and_a_forged_one_changes_nothing() {
    let policy = tpm(3, 600);
    let mut account: Account = Account::new();
    let token = account
        .begin_attempt(&policy, s(10))
        .unwrap()
        .token
        .unwrap();
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
    assert_eq!(outcome.decision, Some(Decision::Allowed));
    assert_eq!(account.attempts_in_flight(), 0);
    assert_eq!(account.failure_count(&policy, s(11)), 0);
}

// ---------------------------------------------------------------------------------------
// Table-wide calls never move an account in time (behaviour §7.2)
// ---------------------------------------------------------------------------------------

// Finding 4: table-wide calls applied behaviour §1's shift to every account at the caller's
// `now`, so one line stamped an hour early ended another key's lock at once.
#[test]
fn an_early_timestamp_ends_no_other_keys_lock() {
    let policy = pingone(1, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    table.failure(&policy, 1, s(3_600), None).unwrap(); // key 1 locked 3600..4500
    let early = s(0);
    let before = *table.get(&1).unwrap();
    assert_eq!(table.poll(&policy, early), None);
    assert_eq!(table.compact(&policy, early), 0);
    assert_eq!(table.recover(&policy, early), Ok(0));
    assert_eq!(table.next_deadline(&policy, early), Some(s(4_500)));
    assert_eq!(
        *table.get(&1).unwrap(),
        before,
        "no table-wide call moved key 1"
    );
    // Key 1 is still locked until 4500, as the clock sees it.
    assert_eq!(locked_until(&table.view(&1, s(3_601))), Some(s(4_500)));
    assert_eq!(table.poll(&policy, s(4_499)), None);
    assert_eq!(table.poll(&policy, s(4_500)), Some((1, expired(s(4_500)))));
    // An event addressed to the key itself still applies the shift (behaviour §1).
    table.failure(&policy, 2, s(5_000), None).unwrap();
    table.failure(&policy, 2, s(4_000), None).unwrap();
    assert_eq!(locked_until(&table.view(&2, s(4_000))), Some(s(4_900)));
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
    assert_eq!(locked_until(&table.view(&1, s(100))), Some(s(1_000)));
    assert_eq!(table.view(&2, s(60)).status, Status::Ok);
    assert_eq!(count_of(&table, &2, &policy, s(60)), 1);
}

// Finding 8: a policy that can never lock by the count kept every account forever, so a
// spray of names filled a table.
#[test]
fn a_policy_that_never_locks_by_count_lets_a_spray_pass_through_the_table() {
    for policy in [
        Rules::NEVER_LOCK.build().unwrap(),
        Keycloak {
            max_failure_wait_seconds: 0,
            ..Keycloak::DEFAULT
        }
        .policy()
        .unwrap(),
    ] {
        assert!(!policy.can_lock_by_count());
        let mut table: LockoutTable<u32, 8> = LockoutTable::new();
        for key in 0..1_000 {
            // Keycloak's quick-failure window keeps the previous key only 1 s.
            table
                .failure(&policy, key, s(2 * i64::from(key)), None)
                .unwrap();
        }
        // Every name found a slot; once the quick-failure window is over, none is kept.
        let kept = table.len();
        assert!(kept <= table.capacity());
        assert_eq!(table.compact(&policy, s(2_000)), kept);
        assert!(table.is_empty());
    }
}
