//! What time does without an event: `next_deadline` (lock ends, window steps, TPM
//! self-healing, the pam_faillock sliding window), `poll` reporting each expiry once at
//! its real instant, and the table's earliest deadline and per-key polling.

mod fixtures;

use account_lockout::{Account, LockoutTable, Status};
use fixtures::{
    active_directory, admin_locked, allowed, counted, counted_and_locked, drain, expired, ms, pam,
    pingone, s, tpm, transitions, view_locked_until, with_failures,
};

#[test]
fn next_deadline_is_the_end_of_a_lock() {
    let policy = pingone(3, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(account.next_deadline(&policy, s(0)), None);
    let _ = account.failure(&policy, s(0), None).unwrap();
    let _ = account.failure(&policy, s(5), None).unwrap();
    // PingOne has no window: nothing changes by itself.
    assert_eq!(account.next_deadline(&policy, s(5)), None);
    let _ = account.failure(&policy, s(10), None).unwrap();
    assert_eq!(account.next_deadline(&policy, s(10)), Some(s(910)));
    assert_eq!(account.next_deadline(&policy, ms(909_999)), Some(s(910)));
    assert_eq!(account.next_deadline(&policy, s(910)), None);
    assert_eq!(account.next_deadline(&policy, s(5_000)), None);

    // Administrator locks: with a deadline, it is the deadline; without, nothing.
    let mut admin = admin_locked(&policy, s(0), Some(s(50)));
    assert_eq!(admin.next_deadline(&policy, s(0)), Some(s(50)));
    let _ = admin.lock(&policy, s(1), None).unwrap();
    assert_eq!(admin.next_deadline(&policy, s(1)), None);
}

#[test]
fn next_deadline_is_the_active_directory_window_step() {
    // The count restarts when the gap exceeds the window: last failure + window + 1 ms.
    let policy = active_directory(3, 1_800, 600);
    let mut account = with_failures(&policy, &[100]);
    assert_eq!(account.next_deadline(&policy, s(100)), Some(ms(700_001)));
    let _ = account.failure(&policy, s(200), None).unwrap();
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
    let _ = account.failure(&policy, s(0), None).unwrap();
    let _ = account.failure(&policy, s(100), None).unwrap();
    assert_eq!(account.next_deadline(&policy, s(100)), Some(s(900)));
    assert_eq!(account.next_deadline(&policy, s(900)), Some(s(1_000)));
    assert_eq!(account.failure_count(&policy, s(900)), 1);
    assert_eq!(account.next_deadline(&policy, s(1_000)), None);
    assert_eq!(account.failure_count(&policy, s(1_000)), 0);

    // Locked at the third: the lock ends at s(200) + 600 s before s(0) leaves the window.
    let mut locked: Account<3> = Account::new();
    for t in [0, 100, 200] {
        let _ = locked.failure(&policy, s(t), None).unwrap();
    }
    assert_eq!(view_locked_until(&locked.view(s(200))), Some(s(800)));
    assert_eq!(locked.next_deadline(&policy, s(200)), Some(s(800)));
    // When the lock ends by itself the kept failures no longer matter.
    assert_eq!(locked.next_deadline(&policy, s(800)), None);
    assert_eq!(locked.poll(&policy, s(800)), Some(expired(s(800))));
    assert!(locked.is_dormant(&policy, s(800)));
}

#[test]
fn next_deadline_is_each_tpm_self_healing_step() {
    let policy = tpm(3, 600);
    let single = with_failures(&policy, &[10]);
    assert_eq!(single.next_deadline(&policy, s(10)), Some(s(610)));
    assert_eq!(single.next_deadline(&policy, s(300)), Some(s(610)));
    assert_eq!(single.next_deadline(&policy, s(610)), None);

    let account = with_failures(&policy, &[0, 60, 120]);
    assert_eq!(view_locked_until(&account.view(s(120))), Some(s(720)));
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
    let _ = table.failure(&policy, "a", s(0), None).unwrap(); // heals at s(600)
    let _ = table.failure(&policy, "b", s(100), None).unwrap(); // heals at s(700)
    for t in [200, 201, 202] {
        let _ = table.failure(&policy, "c", s(t), None).unwrap(); // locked until s(802)
    }
    assert_eq!(table.next_deadline(&policy, s(202)), Some(s(600)));
    assert_eq!(table.next_deadline(&policy, s(600)), Some(s(700)));
    assert_eq!(table.next_deadline(&policy, s(700)), Some(s(802)));
    assert_eq!(table.next_deadline(&policy, s(802)), Some(s(1_402)));
    assert_eq!(table.next_deadline(&policy, s(1_402)), Some(s(2_002)));
    assert_eq!(table.next_deadline(&policy, s(2_002)), None);

    let policy = pingone(1, Some(900));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let _ = table.failure(&policy, 1, s(10), None).unwrap();
    let _ = table.failure(&policy, 2, s(5), None).unwrap();
    let _ = table.failure(&policy, 3, s(20), None).unwrap();
    let _ = table.lock(&policy, 4, s(20), None).unwrap();
    assert_eq!(table.next_deadline(&policy, s(20)), Some(s(905)));
    assert_eq!(table.next_deadline(&policy, s(905)), Some(s(910)));
    assert_eq!(table.next_deadline(&policy, s(910)), Some(s(920)));
    assert_eq!(table.next_deadline(&policy, s(920)), None);
}

#[test]
fn poll_reports_an_expiry_once_with_its_real_instant_even_when_late() {
    let policy = pingone(3, Some(900));
    // locked until s(910)
    let mut account = with_failures(&policy, &[0, 5, 10]);
    assert_eq!(account.poll(&policy, s(500)), None);
    assert_eq!(account.poll(&policy, ms(909_999)), None);
    assert_eq!(view_locked_until(&account.view(ms(909_999))), Some(s(910)));
    assert_eq!(account.poll(&policy, s(5_000)), Some(expired(s(910))));
    assert_eq!(account.poll(&policy, s(5_000)), None);
    assert_eq!(account.poll(&policy, s(6_000)), None);
    assert_eq!(account.view(s(6_000)).status, Status::Ok);
    assert_eq!(account.failure_count(&policy, s(6_000)), 0);

    // Exactly at the deadline.
    let mut account = with_failures(&policy, &[0, 5, 10]);
    assert_eq!(account.poll(&policy, s(910)), Some(expired(s(910))));
    assert_eq!(account.poll(&policy, s(910)), None);
}

#[test]
fn an_event_that_notices_the_expiry_first_reports_it_and_poll_yields_nothing() {
    let policy = pingone(3, Some(900));
    let locked = with_failures(&policy, &[0, 5, 10]);

    // Reads do not consume the event.
    let mut read_first = locked;
    assert!(allowed(&read_first.check(&policy, s(1_000))));
    assert_eq!(read_first.view(s(1_000)).status, Status::Ok);
    assert_eq!(read_first.next_deadline(&policy, s(1_000)), None);
    assert_eq!(read_first.failure_count(&policy, s(1_000)), 0);
    assert_eq!(read_first.poll(&policy, s(1_000)), Some(expired(s(910))));

    // A failure notices the expiry: it reports it, so poll does not.
    let mut event_first = locked;
    let outcome = event_first.failure(&policy, s(1_000), None).unwrap();
    assert_eq!(transitions(&outcome), vec![expired(s(910)), counted(1)]);
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
    let mut account = with_failures(&policy, &[0, 60, 120]);
    assert_eq!(account.poll(&policy, s(719)), None);
    assert_eq!(account.poll(&policy, s(1_000)), Some(expired(s(720))));
    assert_eq!(account.poll(&policy, s(1_000)), None);
    // Later healing steps lower the count but change no status: no event.
    assert_eq!(account.poll(&policy, s(5_000)), None);

    let policy = active_directory(3, 1_800, 600);
    let mut account = with_failures(&policy, &[0]);
    assert_eq!(account.poll(&policy, s(10_000)), None);
}

#[test]
fn table_poll_reports_each_key_once() {
    // The clock only moves forward here: a poll is an observation of `now` (behaviour §1).
    let policy = pingone(1, Some(60));
    let mut table: LockoutTable<u32, 8> = LockoutTable::new();
    let _ = table.failure(&policy, 1, s(0), None).unwrap(); // until s(60)
    let _ = table.failure(&policy, 5, s(0), None).unwrap(); // until s(60)
    let _ = table.failure(&policy, 2, s(5), None).unwrap(); // until s(65)
    let _ = table.lock(&policy, 4, s(10), None).unwrap(); // admin only
    let _ = table.failure(&policy, 3, s(40), None).unwrap(); // until s(100)
    assert_eq!(table.poll(&policy, s(40)), None);
    assert_eq!(table.poll(&policy, ms(59_999)), None);

    // Key 5's expiry is noticed by its next failure, which locks it again until s(121).
    let outcome = table.failure(&policy, 5, s(61), None).unwrap();
    assert_eq!(
        transitions(&outcome),
        [
            vec![expired(s(60))],
            counted_and_locked(1, s(61), Some(s(121)))
        ]
        .concat()
    );

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
