//! The keyed `LockoutTable`'s own behaviour: an absent key is an account in its initial
//! state, per-key isolation (the same outcomes as one account), rebuilding from stored
//! pairs, capacity (`TableError::Full`, no eviction), reclaiming dormant slots, compaction,
//! and table-wide calls that never move an account in time (behaviour §7.2).

mod fixtures;

use account_lockout::dialect::Keycloak;
use account_lockout::{
    Account, AccountView, Duration, Instant, LockoutTable, Operation, Patch, Policy, Rules, Status,
    TableError,
};
use account_lockout::{AttemptError, Verdict};
use fixtures::{
    active_directory, allowed, attempt_starts, begin_in, count_of, counted, counted_and_locked,
    drain, expired, gatekeeper, ms, pam, patch_of, pingone, s, snapshot, tpm, transitions,
    view_locked_until, with_attempts, with_failures,
};

#[test]
fn an_absent_key_is_an_account_in_its_initial_state() {
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    assert!(table.is_empty());
    assert_eq!(table.capacity(), 8);

    assert_eq!(table.view(&1, s(0)), AccountView::OPEN);
    let check = table.check(&policy, &1, s(0));
    assert!(allowed(&check));
    assert_eq!(table.failures_remaining(&policy, &1, s(0)), Some(3));
    assert_eq!(check, Account::<0>::new().check(&policy, s(0)));

    // Operations that leave the account in its initial state store nothing.
    let success = table.success(&policy, 1, s(1)).unwrap();
    assert!(allowed(&success));
    let _ = table.unlock(&policy, 2, s(2)).unwrap();
    let _ = table.apply(&policy, 3, s(3), Operation::Check).unwrap();
    assert_eq!(table.len(), 0);
    assert!(table.get(&1).is_none());

    // A counted failure is information: it is stored.
    let _ = table.failure(&policy, 1, s(4), None).unwrap();
    assert_eq!(table.failures_remaining(&policy, &1, s(4)), Some(2));
    assert_eq!(table.len(), 1);
    assert_eq!(count_of(&table, &1, &policy, s(4)), 1);
    // Other keys are untouched.
    assert_eq!(table.view(&2, s(4)), AccountView::OPEN);
    assert_eq!(table.failures_remaining(&policy, &2, s(4)), Some(3));

    // A success on a PingOne account clears it: back to the initial state, dropped.
    let _ = table.success(&policy, 1, s(5)).unwrap();
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
                other => panic!("step {index}: the table refused with {other:?}"),
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
        let _ = table
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
    same_outcomes_as_an_account(&gatekeeper());
}

#[test]
fn a_table_rebuilt_from_stored_pairs_gives_the_same_answers() {
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    for t in 0..3 {
        let _ = table.failure(&policy, 1, s(t), None).unwrap(); // locked until s(902)
    }
    let _ = table.failure(&policy, 2, s(3), None).unwrap();
    let _ = table.failure(&policy, 2, s(4), None).unwrap();
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
    assert_eq!(view_locked_until(&rebuilt.view(&1, s(6))), Some(s(902)));
    assert_eq!(count_of(&rebuilt, &2, &policy, s(6)), 2);
    assert_eq!(attempt_starts(rebuilt.get(&3).unwrap()), [s(5)]);

    // A dormant account is not stored.
    rebuilt.restore(&policy, 9, s(7), Account::new()).unwrap();
    assert_eq!(rebuilt.len(), 3);
    assert!(rebuilt.get(&9).is_none());
}

#[test]
fn a_flood_of_sprayed_user_names_never_evicts_the_victims_counts() {
    const N: usize = 256;
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, N> = LockoutTable::new();
    let victim = 0_u32;
    let _ = table.failure(&policy, victim, s(0), None).unwrap();
    let _ = table.failure(&policy, victim, s(1), None).unwrap();
    assert_eq!(count_of(&table, &victim, &policy, s(1)), 2);

    let mut stored = 0;
    let mut full = 0;
    for key in 1..=5_000_u32 {
        let now = s(10).saturating_add(Duration::from_millis(u64::from(key)));
        match table.failure(&policy, key, now, None) {
            Ok(_) => {
                stored += 1;
                assert_eq!(
                    table.failures_remaining(&policy, &key, now),
                    Some(2),
                    "key {key}"
                );
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
    assert_eq!(table.failures_remaining(&policy, &victim, s(100)), Some(1));
    let third = table.failure(&policy, victim, s(100), None).unwrap();
    assert!(allowed(&third));
    assert_eq!(
        transitions(&third),
        counted_and_locked(3, s(100), Some(s(1_000)))
    );
    assert_eq!(
        view_locked_until(&table.view(&victim, s(100))),
        Some(s(1_000))
    );

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
    assert_eq!(
        view_locked_until(&table.view(&victim, s(200))),
        Some(s(1_000))
    );
}

/// The table runs an operation in the stored account's slot, so a refused one on a stored
/// key must leave that account exactly as it was, timed-out attempts and all.
#[test]
fn a_refused_operation_on_a_stored_key_changes_nothing() {
    let policy = with_attempts(pingone(3, Some(900)), 8, 30);
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let _ = table.failure(&policy, 1, s(0), None).unwrap();
    let token = begin_in(&mut table, &policy, 1, 1);
    let before = snapshot(&table);

    // An unknown token (this one timed out at 31), a lock already over, a patch refused
    // by the account: each observes a later instant and a due timeout, then refuses.
    assert!(matches!(
        table.finish_attempt(&policy, 1, s(40), token, Verdict::Success),
        Err(TableError::Operation(AttemptError::UnknownAttempt))
    ));
    assert!(table.lock(&policy, 1, s(40), Some(s(39))).is_err());
    let deadline_on_open = patch_of(r#"{"unlockAt":"2030-01-01T00:00:00Z"}"#).unwrap();
    assert!(table.patch(&policy, 1, s(40), deadline_on_open).is_err());
    assert_eq!(
        snapshot(&table),
        before,
        "a refused operation changes nothing"
    );
}

#[test]
fn a_full_table_refuses_a_new_key_with_a_typed_error_and_changes_nothing() {
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    for key in 1..=8 {
        let _ = table.failure(&policy, key, s(0), None).unwrap();
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
    let one_failure = with_failures(&policy, &[0]);
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
    assert!(allowed(&table.check(&policy, &9, s(1))));
    assert_eq!(table.view(&9, s(1)), AccountView::OPEN);

    // Operations that need no slot still work: a success on the absent key leaves it in
    // its initial state, and stored keys keep counting.
    assert!(allowed(&table.success(&policy, 9, s(2)).unwrap()));
    let second = table.failure(&policy, 1, s(2), None).unwrap();
    assert_eq!(transitions(&second), vec![counted(2)]);
    assert_eq!(table.len(), 8);

    // A success clears key 2 (PingOne): it goes back to its initial state and its slot is
    // free for key 9.
    let _ = table.success(&policy, 2, s(3)).unwrap();
    assert_eq!(table.len(), 7);
    let _ = table.failure(&policy, 9, s(4), None).unwrap();
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
        let _ = table
            .failure(&policy, key, ms(i64::from(key)), None)
            .unwrap();
    }
    let victim = 0_u32;
    let _ = table.failure(&policy, victim, s(500), None).unwrap();
    let _ = table.failure(&policy, victim, s(600), None).unwrap();
    assert_eq!(table.len(), N);

    // At s(600) the sprayed failures are still inside their window (gap <= 600 s).
    assert_eq!(
        table.failure(&policy, 1_000, ms(600_001), None),
        Err(TableError::Full)
    );

    // At s(700) they are not: each new key takes a dormant slot; then the table is full.
    let mut stored = Vec::new();
    for key in 1_000..2_000_u32 {
        let now = s(700).saturating_add(Duration::from_millis(u64::from(key)));
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
    let _ = table.failure(&policy, victim, s(800), None).unwrap();
    assert_eq!(
        view_locked_until(&table.view(&victim, s(800))),
        Some(s(2_600))
    );
}

#[test]
fn compaction_frees_only_accounts_back_in_their_initial_state() {
    // Attempts in flight that never time out within the test (behaviour §7.1).
    let policy = active_directory(3, 1_800, 600)
        .with_attempt_limits(8, Duration::from_secs(10 * 365 * 86_400))
        .unwrap();
    let mut table: LockoutTable<u32, 16> = LockoutTable::new();
    // 1: one failure at s(0) (window ends at s(600) + 1 ms).
    let _ = table.failure(&policy, 1, s(0), None).unwrap();
    // 2: one failure at s(500) (window ends at s(1100) + 1 ms).
    let _ = table.failure(&policy, 2, s(500), None).unwrap();
    // 3: locked at s(2) until s(1802).
    for t in 0..3 {
        let _ = table.failure(&policy, 3, s(t), None).unwrap();
    }
    // 4: an attempt in flight, never finished.
    let start = table.begin_attempt(&policy, 4, s(0)).unwrap();
    assert!(start.token.is_some());
    // 5: an administrator lock without a deadline.
    let _ = table.lock(&policy, 5, s(0), None).unwrap();
    // 6: a disabled user.
    let disable = Patch::new(Some(false), None, None).unwrap();
    let _ = table.patch(&policy, 6, s(0), disable).unwrap();
    // 7: a failure, then a success: back to the initial state at once.
    let _ = table.failure(&policy, 7, s(0), None).unwrap();
    let _ = table.success(&policy, 7, s(10)).unwrap();
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
    assert_eq!(
        view_locked_until(&table.view(&3, ms(1_801_999))),
        Some(s(1_802))
    );
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
    assert_eq!(attempt_starts(table.get(&4).unwrap()), [s(0)]);
    assert_eq!(table.view(&5, s(365 * 86_400)).status, Status::Locked);
    assert!(!table.view(&6, s(365 * 86_400)).enabled);
}

#[test]
fn compaction_never_frees_a_counted_failure_that_still_matters() {
    // PingOne: no window, so a counted failure matters until a success or a lock's end.
    let policy = pingone(3, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let _ = table.failure(&policy, 1, s(0), None).unwrap();
    let _ = table.failure(&policy, 1, s(0), None).unwrap();
    for _ in 0..3 {
        let _ = table.failure(&policy, 2, s(0), None).unwrap(); // locked until s(900)
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
    let _ = table.failure(&policy, 1, s(0), None).unwrap();
    let _ = table.failure(&policy, 2, s(0), None).unwrap();
    let _ = table.failure(&policy, 2, s(100), None).unwrap();
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
    let _ = table.failure(&policy, 1, s(0), None).unwrap();
    let _ = table.failure(&policy, 1, s(100), None).unwrap();
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
        let _ = table.failure(&policy, key, s(0), None).unwrap(); // locked until s(60)
    }
    assert_eq!(
        table.failure(&policy, 5, s(30), None),
        Err(TableError::Full)
    );
    assert_eq!(table.compact(&policy, s(30)), 0);
    assert_eq!(drain(&mut table, &policy, s(60)).len(), 4);
    assert_eq!(table.compact(&policy, s(60)), 4);
    assert!(table.is_empty());
    let _ = table.failure(&policy, 5, s(61), None).unwrap();
    assert_eq!(table.len(), 1);
}

/// Something that may free a slot.
type Freeing = fn(&mut LockoutTable<u32, 2>, &Policy);

/// What may free a slot after key 1's lock ended at s(900) and before anyone polled.
const SLOT_FREEING: [(&str, Freeing); 2] = [
    ("compaction", |table, policy| {
        table.compact(policy, s(1_000));
    }),
    // A new key arrives: key 1's slot is not taken while its expiry is unreported, so
    // the full table refuses the new key and changes nothing.
    ("a new key", |table, policy| {
        assert_eq!(
            table.failure(policy, 3, s(1_000), None),
            Err(TableError::Full)
        );
    }),
];

#[test]
fn freeing_a_slot_does_not_swallow_an_unreported_expiry() {
    // Each expiry is reported exactly once (behaviour §7.2), whatever freed the slot first.
    let policy = pingone(3, Some(900));
    for (name, free) in SLOT_FREEING {
        let mut table: LockoutTable<u32, 2> = LockoutTable::new();
        for _ in 0..3 {
            let _ = table.failure(&policy, 1, s(0), None).unwrap(); // locked until s(900)
        }
        let _ = table.failure(&policy, 2, s(0), None).unwrap();
        free(&mut table, &policy);
        assert_eq!(
            drain(&mut table, &policy, s(1_000)),
            vec![(1, expired(s(900)))],
            "{name}"
        );
    }
}

// Regression: table-wide calls applied behaviour §1's shift to every account at the caller's
// `now`, so one line stamped an hour early ended another key's lock at once.
#[test]
fn an_early_timestamp_ends_no_other_keys_lock() {
    let policy = pingone(1, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let _ = table.failure(&policy, 1, s(3_600), None).unwrap(); // key 1 locked 3600..4500
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
    assert_eq!(view_locked_until(&table.view(&1, s(3_601))), Some(s(4_500)));
    assert_eq!(table.poll(&policy, s(4_499)), None);
    assert_eq!(table.poll(&policy, s(4_500)), Some((1, expired(s(4_500)))));
    // An event addressed to the key itself still applies the shift (behaviour §1).
    let _ = table.failure(&policy, 2, s(5_000), None).unwrap();
    let _ = table.failure(&policy, 2, s(4_000), None).unwrap();
    assert_eq!(view_locked_until(&table.view(&2, s(4_000))), Some(s(4_900)));
}

// Regression: a policy that can never lock by the count kept every account forever, so a
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
            let _ = table
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
