//! The guard over scopes (behaviour §7.7): all-or-nothing begins, the longest wait,
//! how sources are keyed (IPv4 by address, IPv6 by prefix), sprays, lockout attacks on a
//! victim, `Disclosure::AsWrongCredential`, a full table, and `SharedGuard` across
//! threads.

#![allow(clippy::restriction)]

mod fixtures;

use core::hash::Hash;
use core::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use account_lockout::{
    AccountView, Answer, Disclosure, Duration, Guard, GuardDecision, GuardError, GuardPolicy,
    Instant, LockoutTable, Policy, Rejection, Scope, ScopeKey, SharedGuard, SourceKey, Transition,
    UnlockCause, Verdict,
};
use fixtures::{SharedClock, count_of, pingone, s, snapshot};
use proptest::prelude::*;

const WRONG: Verdict = Verdict::Failure { credential: None };

fn ip(text: &str) -> IpAddr {
    text.parse()
        .unwrap_or_else(|e| panic!("{text} should parse: {e}"))
}

/// A guard policy of three PingOne policies: `(failureCount, durationSeconds)` each.
fn policy(
    user: (u32, Option<u64>),
    user_source: (u32, Option<u64>),
    source: (u32, Option<u64>),
) -> GuardPolicy {
    GuardPolicy::new(
        pingone(user.0, user.1),
        pingone(user_source.0, user_source.1),
        pingone(source.0, source.1),
    )
}

fn locked(scope: Scope, unlock_at: Option<Instant>) -> GuardDecision {
    GuardDecision::Rejected {
        scope,
        rejection: Rejection::Locked { unlock_at },
        source: (scope == Scope::Source).then_some(Rejection::Locked { unlock_at }),
    }
}

/// One login of `user` from `source` at `now`: begin, and when allowed finish with
/// `verdict`. The begin's refusal, or the finish's decision.
fn login<U: Hash + Eq + Clone, const A: usize, const B: usize, const C: usize>(
    guard: &mut Guard<U, A, B, C>,
    policy: &GuardPolicy,
    user: U,
    source: &str,
    now: Instant,
    verdict: Verdict,
) -> GuardDecision {
    let start = guard.begin(policy, &user, ip(source), now).unwrap();
    match start.token {
        Some(token) => {
            guard
                .finish(policy, &user, ip(source), token, now, verdict)
                .unwrap()
                .decision
        }
        None => start.decision,
    }
}

/// The failure counts of `user` from `source` in the user, user × source and source
/// scopes at `now`.
fn counts<U: Hash + Eq + Clone, const A: usize, const B: usize, const C: usize>(
    guard: &Guard<U, A, B, C>,
    policy: &GuardPolicy,
    user: U,
    source: &str,
    now: Instant,
) -> (u32, u32, u32) {
    let key = policy.source_key(ip(source));
    (
        count_of(guard.users(), &user, &policy.user, now),
        count_of(guard.user_sources(), &(user, key), &policy.user_source, now),
        count_of(guard.sources(), &key, &policy.source, now),
    )
}

/// The attempts in flight of `user` from `source` in the three scopes.
fn in_flight<U: Hash + Eq + Clone, const A: usize, const B: usize, const C: usize>(
    guard: &Guard<U, A, B, C>,
    policy: &GuardPolicy,
    user: U,
    source: IpAddr,
) -> (usize, usize, usize) {
    let key = policy.source_key(source);
    let of = |account: Option<&account_lockout::Account>| {
        account.map_or(0, account_lockout::Account::attempts_in_flight)
    };
    (
        of(guard.users().get(&user)),
        of(guard.user_sources().get(&(user, key))),
        of(guard.sources().get(&key)),
    )
}

/// The stored accounts of the user, user × source and source tables: what must not move
/// when a call changes nothing.
type Tables<U> = (
    Vec<(U, account_lockout::Account)>,
    Vec<((U, SourceKey), account_lockout::Account)>,
    Vec<(SourceKey, account_lockout::Account)>,
);

fn tables<U: Hash + Eq + Copy, const A: usize, const B: usize, const C: usize>(
    guard: &Guard<U, A, B, C>,
) -> Tables<U> {
    (
        snapshot(guard.users()),
        snapshot(guard.user_sources()),
        snapshot(guard.sources()),
    )
}

/// Each stored account of `table` as it behaves at `now`: its view, its failure count and
/// its next deadline. Unlike [`snapshot`] it ignores `last_seen`, which observing `now`
/// (a poll) moves.
fn behaviour<K: Hash + Eq + Copy, const N: usize>(
    table: &LockoutTable<K, N>,
    policy: &Policy,
    now: Instant,
) -> Vec<(K, AccountView, u32, Option<Instant>)> {
    table
        .iter()
        .map(|(key, account)| {
            (
                *key,
                account.view(now),
                account.failure_count(policy, now),
                account.next_deadline(policy, now),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// All or nothing
// ---------------------------------------------------------------------------------------

#[test]
fn a_refusal_by_the_user_source_scope_records_nothing_in_any_scope() {
    let policy = policy((5, Some(600)), (2, Some(60)), (100, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    for _ in 0..2 {
        let _ = login(&mut guard, &policy, "ana", "192.0.2.1", s(0), WRONG);
    }
    assert_eq!(counts(&guard, &policy, "ana", "192.0.2.1", s(1)), (2, 2, 2));

    let start = guard.begin(&policy, &"ana", ip("192.0.2.1"), s(1)).unwrap();
    assert_eq!(start.decision, locked(Scope::UserSource, Some(s(60))));
    assert_eq!(start.token, None);
    // The scopes that allowed were only checked.
    assert!(start.outcomes.user.is_allowed());
    assert!(start.outcomes.source.is_allowed());
    assert!(start.outcomes.user.transitions().is_empty());
    assert!(start.outcomes.source.transitions().is_empty());

    assert_eq!(counts(&guard, &policy, "ana", "192.0.2.1", s(1)), (2, 2, 2));
    assert_eq!(
        in_flight(&guard, &policy, "ana", ip("192.0.2.1")),
        (0, 0, 0)
    );
    assert_eq!(
        guard.users().failures_remaining(&policy.user, &"ana", s(1)),
        Some(3)
    );
}

#[test]
fn a_refusal_by_the_user_scope_creates_no_key_in_the_other_scopes() {
    let policy = policy((5, Some(600)), (3, Some(60)), (100, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let mut account = guard.user_account(&"bo");
    let _ = account.lock(&policy.user, s(0), None).unwrap();
    guard.restore_user(&policy, "bo", s(0), account).unwrap();

    let start = guard.begin(&policy, &"bo", ip("192.0.2.9"), s(1)).unwrap();
    assert_eq!(start.decision, locked(Scope::User, None));
    assert_eq!(start.token, None);
    assert_eq!(guard.users().len(), 1);
    assert_eq!(guard.user_sources().len(), 0);
    assert_eq!(guard.sources().len(), 0);
}

// ---------------------------------------------------------------------------------------
// The longest wait
// ---------------------------------------------------------------------------------------

#[test]
fn the_longest_wait_wins() {
    // The user's 600 s lock outlasts the pair's 60 s one.
    let longer_user = policy((2, Some(600)), (2, Some(60)), (100, Some(3600)));
    // A lock with no end outlasts any with one.
    let endless_pair = policy((2, Some(600)), (2, None), (100, Some(3600)));
    // Equal waits: the earlier scope of user, user × source, source.
    let tie_user = policy((2, Some(60)), (2, Some(60)), (100, Some(3600)));
    let tie_pair = policy((100, Some(60)), (2, Some(60)), (2, Some(60)));
    for (policy, expected) in [
        (longer_user, locked(Scope::User, Some(s(600)))),
        (endless_pair, locked(Scope::UserSource, None)),
        (tie_user, locked(Scope::User, Some(s(60)))),
        // (the source is locked too, and the decision says so)
        (
            tie_pair,
            GuardDecision::Rejected {
                scope: Scope::UserSource,
                rejection: Rejection::Locked {
                    unlock_at: Some(s(60)),
                },
                source: Some(Rejection::Locked {
                    unlock_at: Some(s(60)),
                }),
            },
        ),
    ] {
        let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
        for _ in 0..2 {
            let _ = login(&mut guard, &policy, "ana", "192.0.2.1", s(0), WRONG);
        }
        let start = guard
            .begin(&policy, &"ana", ip("192.0.2.1"), s(10))
            .unwrap();
        assert_eq!(start.decision, expected, "{policy:?}");
        assert_eq!(
            guard.check(&policy, &"ana", ip("192.0.2.1"), s(10)),
            expected
        );
    }
}

#[test]
fn a_lock_outlasts_busy() {
    // Ana's user scope is busy (her one failure is reserved by an attempt in flight from
    // B); address A is locked for 60 s. The lock is the answer, though the user scope
    // comes first.
    let policy = policy((1, Some(600)), (5, Some(60)), (1, Some(60)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let pending = guard
        .begin(&policy, &"ana", ip("198.51.100.2"), s(0))
        .unwrap();
    assert!(pending.token.is_some());
    let _ = login(&mut guard, &policy, "bo", "198.51.100.1", s(0), WRONG);

    let start = guard
        .begin(&policy, &"ana", ip("198.51.100.1"), s(1))
        .unwrap();
    assert_eq!(start.outcomes.user.decision(), fixtures::BUSY);
    assert_eq!(start.decision, locked(Scope::Source, Some(s(60))));
}

// ---------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------

#[test]
fn ipv6_addresses_in_one_64_share_a_source_and_other_64s_do_not() {
    let policy = policy((100, None), (100, None), (2, Some(60)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let _ = login(&mut guard, &policy, "u1", "2001:db8:1:2::1", s(0), WRONG);
    let _ = login(
        &mut guard,
        &policy,
        "u2",
        "2001:db8:1:2:ffff:ffff:ffff:ffff",
        s(0),
        WRONG,
    );
    assert_eq!(guard.sources().len(), 1);

    let same_64 = guard
        .begin(&policy, &"u3", ip("2001:db8:1:2:abcd::5"), s(1))
        .unwrap();
    assert_eq!(same_64.decision, locked(Scope::Source, Some(s(60))));
    assert_eq!(
        guard.check(&policy, &"u3", ip("2001:db8:1:3::1"), s(1)),
        GuardDecision::Allowed {
            failures_remaining: Some(2)
        }
    );
    assert_eq!(
        policy.source_key(ip("2001:db8:1:2:abcd::5")).to_string(),
        "2001:db8:1:2::/64"
    );
}

#[test]
fn ipv4_is_keyed_by_the_exact_address_and_mapped_ipv6_is_ipv4() {
    let policy = policy((100, None), (100, None), (2, Some(60)));
    assert_eq!(
        policy.source_key(ip("::ffff:1.2.3.4")),
        policy.source_key(ip("1.2.3.4"))
    );
    assert_eq!(
        policy.source_key(ip("::ffff:1.2.3.4")).to_string(),
        "1.2.3.4"
    );

    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let _ = login(&mut guard, &policy, "u1", "192.0.2.1", s(0), WRONG);
    // The same address through a dual-stack socket.
    let _ = login(&mut guard, &policy, "u2", "::ffff:192.0.2.1", s(0), WRONG);
    assert_eq!(guard.sources().len(), 1);
    assert_eq!(
        guard.check(&policy, &"u3", ip("192.0.2.1"), s(1)),
        locked(Scope::Source, Some(s(60)))
    );
    // The neighbouring address is another source.
    assert_eq!(
        guard.check(&policy, &"u3", ip("192.0.2.2"), s(1)),
        GuardDecision::Allowed {
            failures_remaining: Some(2)
        }
    );
}

#[test]
fn the_ipv6_prefix_is_configurable_and_checked() {
    let base = policy((5, None), (5, None), (5, None));
    assert_eq!(base.ipv6_prefix(), 64);
    assert_eq!(base.with_ipv6_prefix(129), Err(GuardError::Ipv6Prefix(129)));
    assert_eq!(base.with_ipv6_prefix(0), Err(GuardError::Ipv6Prefix(0)));
    assert_eq!(
        GuardError::Ipv6Prefix(129).to_string(),
        "an IPv6 prefix length must be 1 to 128 (got 129)"
    );
    assert_eq!(
        SourceKey::new(ip("2001:db8::1"), 129),
        Err(GuardError::Ipv6Prefix(129))
    );

    let exact = base.with_ipv6_prefix(128).unwrap();
    assert_ne!(
        exact.source_key(ip("2001:db8::1")),
        exact.source_key(ip("2001:db8::2"))
    );
    let site = base.with_ipv6_prefix(48).unwrap();
    assert_eq!(
        site.source_key(ip("2001:db8:1:2::1")),
        site.source_key(ip("2001:db8:1:ffff::1"))
    );
    assert_eq!(
        site.source_key(ip("2001:db8:1:2::1")).to_string(),
        "2001:db8:1::/48"
    );
}

// ---------------------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------------------

#[test]
fn a_spray_of_made_up_user_names_is_stopped_by_the_source_scope() {
    let policy = policy((5, Some(300)), (3, Some(900)), (20, Some(3600)))
        .with_disclosure(Disclosure::AsWrongCredential);
    let mut guard: Guard<String, 64, 64, 64> = Guard::new();
    let attacker = "203.0.113.7";
    for i in 0..20 {
        let decision = login(
            &mut guard,
            &policy,
            format!("user{i}"),
            attacker,
            s(i),
            WRONG,
        );
        assert!(decision.is_allowed(), "guess {i}: {decision:?}");
    }
    // The 20th failure, at s(19), locked the address for an hour.
    for i in 20..50 {
        let start = guard
            .begin(&policy, &format!("user{i}"), ip(attacker), s(i))
            .unwrap();
        assert_eq!(start.decision, locked(Scope::Source, Some(s(3619))));
        assert_eq!(start.token, None);
    }
    assert_eq!(
        guard
            .begin(&policy, &"user50".to_string(), ip(attacker), s(50))
            .unwrap()
            .decision
            .answer(policy.disclosure(), s(50)),
        Answer::RetryAfter(Some(Duration::from_secs(3569)))
    );
    // Each made-up user counted one failure; the refused ones none, and took no slot.
    assert_eq!(guard.users().len(), 20);
    assert_eq!(
        counts(&guard, &policy, "user7".to_string(), attacker, s(60)),
        (1, 1, 20)
    );
    // Another address is not touched.
    assert!(
        guard
            .check(&policy, &"user7".to_string(), ip("198.51.100.1"), s(60))
            .is_allowed()
    );
}

#[test]
fn a_victim_is_locked_only_by_as_many_verified_failures_as_its_policy_says() {
    let policy = policy((5, Some(300)), (3, Some(900)), (100, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    // Three failures from one address lock that address out of the victim's account...
    for t in 0..3 {
        let _ = login(&mut guard, &policy, "victim", "198.51.100.1", s(t), WRONG);
    }
    // ...and the attempts it goes on sending are refused there and count nowhere.
    for t in 3..13 {
        assert_eq!(
            login(&mut guard, &policy, "victim", "198.51.100.1", s(t), WRONG),
            locked(Scope::UserSource, Some(s(902)))
        );
    }
    assert_eq!(
        counts(&guard, &policy, "victim", "198.51.100.1", s(13)),
        (3, 3, 3)
    );
    assert_eq!(
        guard.check(&policy, &"victim", ip("198.51.100.50"), s(13)),
        GuardDecision::Allowed {
            failures_remaining: Some(2)
        }
    );
    // The fourth failure, from a new address, does not lock the user.
    let _ = login(&mut guard, &policy, "victim", "198.51.100.2", s(14), WRONG);
    assert_eq!(
        guard.check(&policy, &"victim", ip("198.51.100.50"), s(14)),
        GuardDecision::Allowed {
            failures_remaining: Some(1)
        }
    );
    // The fifth does.
    let _ = login(&mut guard, &policy, "victim", "198.51.100.3", s(15), WRONG);
    assert_eq!(
        guard.check(&policy, &"victim", ip("198.51.100.50"), s(15)),
        locked(Scope::User, Some(s(315)))
    );
}

#[test]
fn concurrent_guesses_from_many_addresses_verify_no_more_than_the_user_policy_allows() {
    let policy = policy((5, Some(300)), (3, Some(900)), (100, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    for i in 1..=5_u8 {
        let start = guard
            .begin(&policy, &"victim", IpAddr::from([198, 51, 100, i]), s(0))
            .unwrap();
        assert!(start.token.is_some(), "attempt {i}");
    }
    let sixth = guard
        .begin(&policy, &"victim", ip("198.51.100.6"), s(0))
        .unwrap();
    assert_eq!(
        sixth.decision,
        GuardDecision::Rejected {
            scope: Scope::User,
            rejection: Rejection::Busy,
            source: None
        }
    );
    assert_eq!(sixth.token, None);
    assert_eq!(
        guard.users().get(&"victim").unwrap().attempts_in_flight(),
        5
    );
}

#[test]
fn as_wrong_credential_answers_a_lock_as_a_wrong_password() {
    let policy = policy((2, Some(600)), (2, Some(60)), (2, Some(60)))
        .with_disclosure(Disclosure::AsWrongCredential);
    assert_eq!(policy.disclosure(), Disclosure::AsWrongCredential);
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    assert_eq!(
        guard
            .check(&policy, &"ana", ip("192.0.2.1"), s(0))
            .answer(policy.disclosure(), s(0)),
        Answer::Verify
    );
    let _ = login(&mut guard, &policy, "ana", "192.0.2.1", s(0), WRONG);
    let _ = login(&mut guard, &policy, "ana", "192.0.2.2", s(0), WRONG);

    // The user scope locked ana for 600 s.
    let refused = guard
        .begin(&policy, &"ana", ip("192.0.2.3"), s(15))
        .unwrap()
        .decision;
    assert_eq!(refused, locked(Scope::User, Some(s(600))));
    assert_eq!(
        refused.answer(policy.disclosure(), s(15)),
        Answer::WrongCredential
    );
    assert_eq!(
        refused.answer(Disclosure::Full, s(15)),
        Answer::RetryAfter(Some(Duration::from_secs(585)))
    );
    // A pair lock is hidden the same way.
    let pair = locked(Scope::UserSource, Some(s(60)));
    assert_eq!(
        pair.answer(policy.disclosure(), s(15)),
        Answer::WrongCredential
    );
    // The source scope's throttle is the address's own business: it is said.
    let source = locked(Scope::Source, Some(s(60)));
    assert_eq!(
        source.answer(policy.disclosure(), s(15)),
        Answer::RetryAfter(Some(Duration::from_secs(45)))
    );
}

#[test]
fn a_success_resets_the_user_and_the_pair_but_the_source_still_counts_the_spray() {
    let policy = policy((10, Some(300)), (3, Some(900)), (5, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let a = "203.0.113.7";
    let _ = login(&mut guard, &policy, "ana", a, s(0), WRONG);
    let _ = login(&mut guard, &policy, "ana", a, s(1), WRONG);
    assert_eq!(counts(&guard, &policy, "ana", a, s(1)), (2, 2, 2));

    let success = login(&mut guard, &policy, "ana", a, s(2), Verdict::Success);
    assert!(success.is_allowed());
    assert_eq!(counts(&guard, &policy, "ana", a, s(2)), (0, 0, 2));
    assert_eq!(in_flight(&guard, &policy, "ana", ip(a)), (0, 0, 0));

    // Three more guesses on other users reach the source's 5, not 3 after a reset.
    for (t, user) in [(3, "x1"), (4, "x2"), (5, "x3")] {
        assert!(login(&mut guard, &policy, user, a, s(t), WRONG).is_allowed());
    }
    assert_eq!(
        guard.check(&policy, &"ana", ip(a), s(6)),
        locked(Scope::Source, Some(s(3605)))
    );
}

// ---------------------------------------------------------------------------------------
// Capacity
// ---------------------------------------------------------------------------------------

#[test]
fn a_full_table_is_a_typed_error_and_changes_nothing() {
    let policy = policy((5, Some(300)), (5, Some(300)), (50, Some(300)));
    let mut guard: Guard<&str, 4, 8, 8> = Guard::new();
    for (user, source) in [
        ("a", "192.0.2.1"),
        ("b", "192.0.2.2"),
        ("c", "192.0.2.3"),
        ("d", "192.0.2.4"),
    ] {
        let _ = login(&mut guard, &policy, user, source, s(0), WRONG);
    }
    let before = tables(&guard);

    let error = guard.begin(&policy, &"e", ip("192.0.2.1"), s(1));
    assert_eq!(error, Err(GuardError::Full(Scope::User)));
    assert_eq!(
        GuardError::Full(Scope::User).to_string(),
        "the user lockout table is full of accounts that hold information"
    );
    assert_eq!(tables(&guard), before);

    // A stored user still gets in, from a new address.
    let start = guard.begin(&policy, &"a", ip("192.0.2.9"), s(1)).unwrap();
    assert!(start.token.is_some());
}

#[test]
fn restoring_a_new_user_into_a_full_user_table_is_full_and_changes_nothing() {
    let policy = policy((5, Some(300)), (5, Some(300)), (50, Some(300)));
    let mut guard: Guard<&str, 2, 4, 4> = Guard::new();
    let _ = login(&mut guard, &policy, "a", "192.0.2.1", s(0), WRONG);
    let _ = login(&mut guard, &policy, "b", "192.0.2.2", s(0), WRONG);
    assert_eq!(guard.users().len(), 2);
    let before = tables(&guard);

    let locked_by_admin = fixtures::admin_locked(&policy.user, s(1), None);
    assert_eq!(
        guard.restore_user(&policy, "c", s(1), locked_by_admin),
        Err(GuardError::Full(Scope::User))
    );
    assert_eq!(tables(&guard), before);
    assert_eq!(guard.users().get(&"c"), None);
    assert!(
        guard
            .check(&policy, &"c", ip("192.0.2.3"), s(1))
            .is_allowed()
    );
}

#[test]
fn restoring_over_a_stored_user_replaces_its_account() {
    let policy = policy((5, Some(300)), (5, Some(300)), (50, Some(300)));
    let mut guard: Guard<&str, 2, 4, 4> = Guard::new();
    let _ = login(&mut guard, &policy, "a", "192.0.2.1", s(0), WRONG);
    let _ = login(&mut guard, &policy, "b", "192.0.2.2", s(0), WRONG);
    let (_, pairs_before, sources_before) = tables(&guard);
    let b_before = guard.user_account(&"b");

    // The table is full, but "a" has a slot: three failures replace its one.
    let three = fixtures::with_failures(&policy.user, &[0, 1, 2]);
    guard.restore_user(&policy, "a", s(3), three).unwrap();
    assert_eq!(guard.users().get(&"a"), Some(&three));
    assert_eq!(count_of(guard.users(), &"a", &policy.user, s(3)), 3);
    assert_eq!(
        guard.check(&policy, &"a", ip("192.0.2.9"), s(3)),
        GuardDecision::Allowed {
            failures_remaining: Some(2)
        }
    );

    // An administrator's lock replaces it in turn.
    let locked_by_admin = fixtures::admin_locked(&policy.user, s(4), None);
    guard
        .restore_user(&policy, "a", s(4), locked_by_admin)
        .unwrap();
    assert_eq!(guard.users().get(&"a"), Some(&locked_by_admin));
    assert_eq!(
        guard.check(&policy, &"a", ip("192.0.2.1"), s(5)),
        locked(Scope::User, None)
    );

    // Only the user scope's account of "a" changed.
    assert_eq!(guard.users().len(), 2);
    assert_eq!(guard.user_account(&"b"), b_before);
    let (_, pairs_after, sources_after) = tables(&guard);
    assert_eq!((pairs_after, sources_after), (pairs_before, sources_before));
}

// ---------------------------------------------------------------------------------------
// Finish
// ---------------------------------------------------------------------------------------

#[test]
fn finishing_an_unknown_or_finished_token_is_unknown_attempt_and_changes_nothing() {
    let policy = policy((5, Some(300)), (3, Some(900)), (10, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
    let finished = guard
        .begin(&policy, &"ana", a, s(0))
        .unwrap()
        .token
        .unwrap();
    let _ = guard
        .finish(&policy, &"ana", a, finished, s(0), WRONG)
        .unwrap();
    let pending = guard
        .begin(&policy, &"ana", a, s(1))
        .unwrap()
        .token
        .unwrap();
    let bos = guard.begin(&policy, &"bo", b, s(2)).unwrap().token.unwrap();
    let before = tables(&guard);
    assert_eq!(counts(&guard, &policy, "ana", "192.0.2.1", s(3)), (1, 1, 1));
    assert_eq!(in_flight(&guard, &policy, "ana", a), (1, 1, 1));

    for (what, source, token) in [
        ("already finished", a, finished),
        ("bo's token, begun at another instant", a, bos),
        // Known to ana's user scope, unknown to the user × source and source of b.
        ("ana's token from another source", b, pending),
    ] {
        for verdict in [WRONG, Verdict::Success] {
            assert_eq!(
                guard.finish(&policy, &"ana", source, token, s(3), verdict),
                Err(GuardError::UnknownAttempt),
                "{what}, {verdict:?}"
            );
            assert_eq!(tables(&guard), before, "{what}, {verdict:?}");
        }
    }

    // The attempt in flight is still there, and finishes once.
    let outcome = guard
        .finish(&policy, &"ana", a, pending, s(3), WRONG)
        .unwrap();
    assert_eq!(
        outcome.decision,
        GuardDecision::Allowed {
            failures_remaining: Some(1)
        }
    );
    assert_eq!(counts(&guard, &policy, "ana", "192.0.2.1", s(3)), (2, 2, 2));
    let after_finish = tables(&guard);
    assert_eq!(
        guard.finish(&policy, &"ana", a, pending, s(4), WRONG),
        Err(GuardError::UnknownAttempt)
    );
    assert_eq!(tables(&guard), after_finish);
}

#[test]
fn another_users_token_begun_at_the_same_instant_is_unknown_attempt() {
    // `GuardError::UnknownAttempt` covers a token "for another user or source". Ana's and
    // Bo's attempts from one address, begun in the same millisecond, get equal serials in
    // their own user and user × source accounts, and Bo's source attempt is in flight in
    // the source they share.
    let policy = policy((5, Some(300)), (3, Some(900)), (10, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let a = ip("192.0.2.1");
    let anas = guard
        .begin(&policy, &"ana", a, s(0))
        .unwrap()
        .token
        .unwrap();
    let bos = guard.begin(&policy, &"bo", a, s(0)).unwrap().token.unwrap();
    let before = tables(&guard);

    assert_eq!(
        guard.finish(&policy, &"ana", a, bos, s(1), WRONG),
        Err(GuardError::UnknownAttempt)
    );
    assert_eq!(tables(&guard), before);
    // Each token still finishes its own attempt.
    assert!(guard.finish(&policy, &"ana", a, anas, s(1), WRONG).is_ok());
    assert!(guard.finish(&policy, &"bo", a, bos, s(1), WRONG).is_ok());
}

#[test]
fn a_token_that_only_the_source_scope_timed_out_changes_no_scope() {
    // The source scope's attempts time out after 10 s, the others' after 300 s.
    let policy = GuardPolicy::new(
        pingone(5, Some(300)),
        pingone(3, Some(900)),
        fixtures::with_attempts(pingone(10, Some(3600)), 8, 10),
    );
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let a = ip("192.0.2.1");
    let token = guard
        .begin(&policy, &"ana", a, s(0))
        .unwrap()
        .token
        .unwrap();
    let before = tables(&guard);

    // At 20 s the user and user × source scopes still know the attempt.
    assert_eq!(
        guard.finish(&policy, &"ana", a, token, s(20), Verdict::Success),
        Err(GuardError::UnknownAttempt)
    );
    assert_eq!(tables(&guard), before);
    assert_eq!(in_flight(&guard, &policy, "ana", a), (1, 1, 1));
}

// ---------------------------------------------------------------------------------------
// Administrators
// ---------------------------------------------------------------------------------------

#[test]
fn unlock_user_ends_the_users_locks_from_every_source_and_nothing_else() {
    let policy = policy((5, Some(600)), (2, Some(900)), (4, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let (a, b, c) = ("192.0.2.1", "192.0.2.2", "192.0.2.3");
    // Ana: two failures from a and from b lock those pairs; one from c; five in all lock
    // her user scope at 4 s.
    for (t, source) in [(0, a), (1, a), (2, b), (3, b), (4, c)] {
        let _ = login(&mut guard, &policy, "ana", source, s(t), WRONG);
    }
    // Bo: two failures from a lock his pair and, the fourth there, the source a.
    for t in [5, 6] {
        let _ = login(&mut guard, &policy, "bo", a, s(t), WRONG);
    }
    assert_eq!(
        guard.check(&policy, &"ana", ip("192.0.2.9"), s(10)),
        locked(Scope::User, Some(s(604)))
    );
    // From b, the pair's lock outlasts the user's.
    assert_eq!(
        guard.check(&policy, &"ana", ip(b), s(10)),
        locked(Scope::UserSource, Some(s(903)))
    );
    assert_eq!(guard.user_sources().len(), 4);
    let bo_before = guard.user_account(&"bo");
    let sources_before = snapshot(guard.sources());

    let unlocked = guard.unlock_user(&policy, &"ana", s(10));
    assert_eq!(
        fixtures::transitions(&unlocked.user),
        [Transition::Unlocked {
            at: s(10),
            cause: UnlockCause::Administrator
        }]
    );
    // Three user × source accounts (a, b, c), of which two (a, b) were locked.
    assert_eq!((unlocked.user_sources, unlocked.user_source_locks), (3, 2));

    // Ana's counts are cleared in the user and the user × source scopes, and her
    // accounts there, as good as new, gave up their slots.
    assert_eq!(counts(&guard, &policy, "ana", a, s(10)), (0, 0, 4));
    assert_eq!(counts(&guard, &policy, "ana", b, s(10)), (0, 0, 2));
    assert_eq!(counts(&guard, &policy, "ana", c, s(10)), (0, 0, 1));
    assert_eq!(guard.users().get(&"ana"), None);
    assert_eq!(guard.user_sources().len(), 1);
    assert_eq!(
        guard.check(&policy, &"ana", ip(b), s(10)),
        GuardDecision::Allowed {
            failures_remaining: Some(2)
        }
    );
    // The source scope is left alone: a stays locked, for ana too.
    assert_eq!(snapshot(guard.sources()), sources_before);
    assert_eq!(
        guard.check(&policy, &"ana", ip(a), s(10)),
        locked(Scope::Source, Some(s(3606)))
    );
    // Bo's locks and counts are untouched.
    assert_eq!(guard.user_account(&"bo"), bo_before);
    let bo_from_a = ("bo", policy.source_key(ip(a)));
    assert_eq!(
        fixtures::view_locked_until(&guard.user_sources().view(&bo_from_a, s(10))),
        Some(s(906))
    );
    assert_eq!(counts(&guard, &policy, "bo", a, s(10)), (2, 2, 4));
}

// ---------------------------------------------------------------------------------------
// Time: next_deadline, poll, compact
// ---------------------------------------------------------------------------------------

#[test]
fn next_deadline_is_the_earliest_of_the_three_scopes_and_poll_ends_only_that_lock() {
    let policy = policy((4, Some(1000)), (2, Some(200)), (3, Some(100)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let a = "192.0.2.1";
    let key_a = policy.source_key(ip(a));
    // The pair (ana, a) locks at 1 s until 201 s.
    let _ = login(&mut guard, &policy, "ana", a, s(0), WRONG);
    let _ = login(&mut guard, &policy, "ana", a, s(1), WRONG);
    // The source a locks at 2 s until 102 s.
    let _ = login(&mut guard, &policy, "bo", a, s(2), WRONG);
    // Ana's user scope locks at 4 s until 1004 s.
    let _ = login(&mut guard, &policy, "ana", "192.0.2.2", s(3), WRONG);
    let _ = login(&mut guard, &policy, "ana", "192.0.2.3", s(4), WRONG);
    assert_eq!(guard.next_deadline(&policy, s(10)), Some(s(102)));

    // Polled early, nothing happens, however often.
    let users_at =
        |guard: &Guard<&'static str, 16, 16, 16>, now| behaviour(guard.users(), &policy.user, now);
    let pairs_at = |guard: &Guard<&'static str, 16, 16, 16>, now| {
        behaviour(guard.user_sources(), &policy.user_source, now)
    };
    let sources_at = |guard: &Guard<&'static str, 16, 16, 16>, now| {
        behaviour(guard.sources(), &policy.source, now)
    };
    let users_before = users_at(&guard, s(101));
    let pairs_before = pairs_at(&guard, s(101));
    let sources_before = sources_at(&guard, s(101));
    // What the user and user × source scopes will look like at the source's deadline.
    let (users_102, pairs_102) = (users_at(&guard, s(102)), pairs_at(&guard, s(102)));
    for now in [s(10), s(10), s(101)] {
        assert_eq!(guard.poll(&policy, now), None);
    }
    assert_eq!(users_at(&guard, s(101)), users_before);
    assert_eq!(pairs_at(&guard, s(101)), pairs_before);
    assert_eq!(sources_at(&guard, s(101)), sources_before);
    assert_eq!(guard.next_deadline(&policy, s(101)), Some(s(102)));
    assert_eq!(
        guard.check(&policy, &"cy", ip(a), s(101)),
        locked(Scope::Source, Some(s(102)))
    );

    // At its deadline the source's lock ends, and only it.
    assert_eq!(
        guard.poll(&policy, s(102)),
        Some((ScopeKey::Source(key_a), fixtures::expired(s(102))))
    );
    assert_eq!(guard.poll(&policy, s(102)), None);
    assert_eq!(count_of(guard.sources(), &key_a, &policy.source, s(102)), 0);
    assert_eq!(users_at(&guard, s(102)), users_102);
    assert_eq!(pairs_at(&guard, s(102)), pairs_102);
    assert_eq!(
        guard.check(&policy, &"ana", ip(a), s(102)),
        locked(Scope::User, Some(s(1004)))
    );
    assert_eq!(
        guard.check(&policy, &"cy", ip(a), s(102)),
        GuardDecision::Allowed {
            failures_remaining: Some(2)
        }
    );

    // Then the pair's, then the user's, each reported at its own deadline.
    assert_eq!(guard.next_deadline(&policy, s(102)), Some(s(201)));
    assert_eq!(
        guard.poll(&policy, s(201)),
        Some((
            ScopeKey::UserSource("ana", key_a),
            fixtures::expired(s(201))
        ))
    );
    assert_eq!(guard.poll(&policy, s(201)), None);
    assert_eq!(guard.next_deadline(&policy, s(201)), Some(s(1004)));
    assert_eq!(
        guard.poll(&policy, s(2000)),
        Some((ScopeKey::User("ana"), fixtures::expired(s(1004))))
    );
    assert_eq!(guard.poll(&policy, s(2000)), None);
    assert_eq!(guard.next_deadline(&policy, s(2000)), None);
}

#[test]
fn compact_drops_the_dormant_accounts_of_every_scope_and_says_how_many() {
    let policy = policy((2, Some(100)), (1, Some(50)), (5, Some(3600)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    // Three pairs lock until 50, 51 and 52 s; bo's user scope until 102 s.
    let _ = login(&mut guard, &policy, "ana", "192.0.2.1", s(0), WRONG);
    let _ = login(&mut guard, &policy, "bo", "192.0.2.2", s(1), WRONG);
    let _ = login(&mut guard, &policy, "bo", "192.0.2.3", s(2), WRONG);
    let lengths = |guard: &Guard<&str, 16, 16, 16>| {
        (
            guard.users().len(),
            guard.user_sources().len(),
            guard.sources().len(),
        )
    };
    assert_eq!(lengths(&guard), (2, 3, 3));

    // Locks that ended but were not reported keep their accounts.
    assert_eq!(guard.compact(&policy, s(60)), 0);
    assert_eq!(lengths(&guard), (2, 3, 3));

    let mut reported = Vec::new();
    while let Some((key, _)) = guard.poll(&policy, s(60)) {
        reported.push(key.scope());
    }
    assert_eq!(reported, [Scope::UserSource; 3]);
    assert_eq!(guard.compact(&policy, s(60)), 3);
    assert_eq!(lengths(&guard), (2, 0, 3));
    assert_eq!(guard.compact(&policy, s(60)), 0);

    // Bo's user lock ends at 102 s; ana's one failure and the sources' counts stay.
    assert_eq!(
        guard.poll(&policy, s(200)),
        Some((ScopeKey::User("bo"), fixtures::expired(s(102))))
    );
    assert_eq!(guard.compact(&policy, s(200)), 1);
    assert_eq!(lengths(&guard), (1, 0, 3));
    assert_eq!(count_of(guard.users(), &"ana", &policy.user, s(200)), 1);
    assert_eq!(
        counts(&guard, &policy, "bo", "192.0.2.3", s(200)),
        (0, 0, 1)
    );
}

// ---------------------------------------------------------------------------------------
// SharedGuard
// ---------------------------------------------------------------------------------------

#[test]
fn shared_guard_across_threads_records_exactly_the_policys_count() {
    let policy = policy((10, Some(300)), (5, Some(900)), (100, Some(3600)));
    let counted = Arc::new(AtomicUsize::new(0));
    let locks = Arc::new(AtomicUsize::new(0));
    let (seen_counted, seen_locks) = (Arc::clone(&counted), Arc::clone(&locks));
    let guard: SharedGuard<&str, 16, 16, 16, SharedClock> =
        SharedGuard::with_clock(policy, SharedClock::at(s(0))).with_observer(move |_, outcome| {
            for transition in outcome.transitions().iter() {
                match transition {
                    Transition::Counted { .. } => {
                        seen_counted.fetch_add(1, Ordering::SeqCst);
                    }
                    Transition::Locked { .. } => {
                        seen_locks.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
        });
    let source = ip("192.0.2.1");
    let verified = AtomicUsize::new(0);
    std::thread::scope(|threads| {
        for _ in 0..8 {
            threads.spawn(|| {
                for _ in 0..4 {
                    let start = guard.begin(&"ana", source).unwrap();
                    if let Some(token) = start.token {
                        verified.fetch_add(1, Ordering::SeqCst);
                        let _ = guard.finish(&"ana", source, token, WRONG).unwrap();
                    }
                }
            });
        }
    });

    assert_eq!(verified.load(Ordering::SeqCst), 5);
    let recorded = guard.with(|guard, now| counts(guard, &policy, "ana", "192.0.2.1", now));
    assert_eq!(recorded, (5, 5, 5));
    assert_eq!(
        guard.check(&"ana", source),
        locked(Scope::UserSource, Some(s(900)))
    );
    // Five counts in each of the three scopes; the pair's lock is the only one.
    assert_eq!(counted.load(Ordering::SeqCst), 15);
    assert_eq!(locks.load(Ordering::SeqCst), 1);

    // The clock moves for every thread: the pair's lock ends at 900 s.
    guard.clock().set(s(900));
    assert!(guard.check(&"ana", source).is_allowed());
}

// ---------------------------------------------------------------------------------------
// Property
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Step {
    Begin { user: u8, source: u8 },
    Finish { which: usize, success: bool },
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    let begin = (0..6_u8, 0..6_u8).prop_map(|(user, source)| Step::Begin { user, source });
    let finish = (any::<usize>(), any::<bool>())
        .prop_map(|(which, success)| Step::Finish { which, success });
    // At most 40 steps of up to 5 s: no attempt reaches its 300 s timeout.
    (prop_oneof![3 => begin, 2 => finish], 0..5_i64)
}

proptest! {
    /// `begin` puts the attempt in flight in all three scopes or in none: a refusal or an
    /// error leaves every scope's attempts in flight as they were.
    #[test]
    fn begin_records_in_every_scope_or_in_none(
        steps in proptest::collection::vec(step(), 1..40),
        counts in (1..4_u32, 1..4_u32, 1..6_u32),
    ) {
        let policy = policy((counts.0, Some(20)), (counts.1, Some(10)), (counts.2, Some(30)));
        let mut guard: Guard<u8, 4, 4, 4> = Guard::new();
        let mut tokens = Vec::new();
        let mut now = s(0);
        for (step, seconds) in steps {
            now = Instant::from_millis(now.as_millis() + seconds * 1_000);
            match step {
                Step::Begin { user, source } => {
                    let source = IpAddr::from([192, 0, 2, source]);
                    let before = in_flight(&guard, &policy, user, source);
                    let started = guard.begin(&policy, &user, source, now);
                    let after = in_flight(&guard, &policy, user, source);
                    match started {
                        Ok(start) if start.token.is_some() => {
                            prop_assert!(start.decision.is_allowed());
                            prop_assert_eq!(after, (before.0 + 1, before.1 + 1, before.2 + 1));
                            tokens.push((user, source, start.token.unwrap()));
                        }
                        Ok(start) => {
                            prop_assert!(!start.decision.is_allowed());
                            prop_assert_eq!(after, before);
                        }
                        Err(error) => {
                            prop_assert!(matches!(error, GuardError::Full(_)), "{error:?}");
                            prop_assert_eq!(after, before);
                        }
                    }
                }
                Step::Finish { which, success } if !tokens.is_empty() => {
                    let (user, source, token) = tokens.remove(which % tokens.len());
                    let verdict = if success { Verdict::Success } else { WRONG };
                    let _ = guard.finish(&policy, &user, source, token, now, verdict).unwrap();
                }
                Step::Finish { .. } => {}
            }
        }
    }
}

#[test]
fn a_throttled_address_is_told_the_same_for_a_locked_user_and_any_other() {
    // Ana is locked for 900 s from another address; address A is throttled for 300 s.
    let policy = policy((5, Some(900)), (5, Some(900)), (3, Some(300)))
        .with_disclosure(Disclosure::AsWrongCredential);
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    for i in 1..=5_u8 {
        let from = format!("198.51.100.{i}");
        let _ = login(&mut guard, &policy, "ana", &from, s(0), WRONG);
    }
    for name in ["u1", "u2", "u3"] {
        let _ = login(&mut guard, &policy, name, "192.0.2.1", s(0), WRONG);
    }
    let throttled = Answer::RetryAfter(Some(Duration::from_secs(290)));
    for name in ["ana", "bo", "made-up"] {
        let decision = guard.check(&policy, &name, ip("192.0.2.1"), s(10));
        assert_eq!(
            decision.answer(policy.disclosure(), s(10)),
            throttled,
            "{name}"
        );
    }
    // With full disclosure the longest wait, ana's lock, is told.
    let decision = guard.check(&policy, &"ana", ip("192.0.2.1"), s(10));
    assert_eq!(
        decision.answer(Disclosure::Full, s(10)),
        Answer::RetryAfter(Some(Duration::from_secs(890)))
    );
    // And from an address that is not throttled, ana's lock is a wrong credential.
    let decision = guard.check(&policy, &"ana", ip("192.0.2.9"), s(10));
    assert_eq!(
        decision.answer(policy.disclosure(), s(10)),
        Answer::WrongCredential
    );
}

#[test]
fn abandon_takes_the_attempt_out_of_flight_everywhere_and_counts_nothing() {
    let policy = policy((2, Some(600)), (2, Some(60)), (2, Some(60)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    let _ = login(&mut guard, &policy, "ana", "192.0.2.1", s(0), WRONG);
    let token = guard
        .begin(&policy, &"ana", ip("192.0.2.1"), s(1))
        .unwrap()
        .token
        .unwrap();
    let abandoned = guard
        .abandon(&policy, &"ana", ip("192.0.2.1"), token, s(2))
        .unwrap();
    assert_eq!(
        abandoned.decision,
        GuardDecision::Allowed {
            failures_remaining: Some(1)
        }
    );
    for (scope, outcome) in abandoned.outcomes.iter() {
        assert_eq!(fixtures::transitions(outcome), vec![], "{scope:?}");
    }
    assert_eq!(guard.users().get(&"ana").unwrap().attempts_in_flight(), 0);
    assert_eq!(
        guard
            .users()
            .get(&"ana")
            .unwrap()
            .failure_count(&policy.user, s(2)),
        1
    );
    // The token is spent: a second abandon or a finish is unknown, and changes nothing.
    let before = tables(&guard);
    assert_eq!(
        guard.abandon(&policy, &"ana", ip("192.0.2.1"), token, s(3)),
        Err(GuardError::UnknownAttempt)
    );
    assert_eq!(
        guard.finish(&policy, &"ana", ip("192.0.2.1"), token, s(3), WRONG),
        Err(GuardError::UnknownAttempt)
    );
    assert!(tables(&guard) == before);
}

#[test]
fn an_early_timestamp_cannot_shorten_a_lock_in_any_scope() {
    // Every scope locks at its second failure: user for 600 s, the pair and the source
    // for 60 s, all from 100 s.
    let policy = policy((2, Some(600)), (2, Some(60)), (2, Some(60)));
    let mut guard: Guard<&str, 16, 16, 16> = Guard::new();
    for _ in 0..2 {
        let _ = login(&mut guard, &policy, "ana", "192.0.2.1", s(100), WRONG);
    }
    // A caller whose clock says 10 s (an attacker-chosen or skewed timestamp) is refused
    // with each lock's whole remaining wait (behaviour §1: a regression neither shortens
    // nor lengthens a lock), and nothing is begun.
    let early = guard
        .begin(&policy, &"ana", ip("192.0.2.1"), s(10))
        .unwrap();
    assert_eq!(early.token, None);
    assert_eq!(
        early.decision,
        GuardDecision::Rejected {
            scope: Scope::User,
            rejection: Rejection::Locked {
                unlock_at: Some(s(610))
            },
            source: Some(Rejection::Locked {
                unlock_at: Some(s(70))
            }),
        }
    );
    assert_eq!(
        early.decision.answer(Disclosure::Full, s(10)),
        Answer::RetryAfter(Some(Duration::from_secs(600)))
    );
    // Nothing ends early: no poll at the early instant, and the user is still locked one
    // second before its (shifted) deadline.
    assert_eq!(guard.poll(&policy, s(10)), None);
    assert!(
        !guard
            .check(&policy, &"ana", ip("192.0.2.9"), s(609))
            .is_allowed()
    );
}
