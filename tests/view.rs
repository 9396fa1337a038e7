//! The view (behaviour §2): `status`, `canAuthenticate`, `lockedAt`, `unlockAt`,
//! `secondsUntilUnlock` and their JSON form, and folding the views of several sources
//! (also across tables keyed by `(user, context)` with a user-wide cap).

mod fixtures;

use core::hash::Hash;

use account_lockout::harness::{ViewProblem, check_view};
use account_lockout::{Account, AccountView, Instant, LockCause, LockoutTable, Policy, Status};
use fixtures::{
    admin_locked, allowed, assert_view_consistent, count_of, disabled, json, lock_fields, ms,
    patch_of, pingone, rejected_until, s, view_locked_until, with_failures,
};

#[test]
fn view_status_is_locked_strictly_before_unlock_at() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    assert_eq!(account.view(s(0)), AccountView::OPEN);
    let _ = account.failure(&policy, s(0), None).unwrap();

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
    assert!(!allowed(&account.check(&policy, ms(899_999))));
    assert!(allowed(&account.check(&policy, s(900))));
}

#[test]
fn view_can_authenticate_is_enabled_and_ok() {
    let policy = pingone(1, Some(900));
    let mut account: Account = Account::new();
    let view = account.view(s(0));
    assert!(view.can_authenticate && view.enabled && view.status == Status::Ok);

    // Disabled and OK: status OK, cannot authenticate.
    account = disabled(&policy, account, s(1));
    let view = account.view(s(1));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);
    assert!(!view.enabled);
    assert!(!account.is_enabled());
    assert_eq!(json(&view), r#"{"canAuthenticate":false,"status":"OK"}"#);

    // Disabled and locked.
    let _ = account.lock(&policy, s(2), Some(s(62))).unwrap();
    let view = account.view(s(2));
    assert_eq!(view.status, Status::Locked);
    assert!(!view.can_authenticate);
    // The lock ends; still disabled.
    let view = account.view(s(62));
    assert_eq!(view.status, Status::Ok);
    assert!(!view.can_authenticate);

    // Enabled and locked.
    let other = with_failures(&policy, &[0]);
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
    let _ = account.failure(&policy, s(0), None).unwrap();
    assert_eq!(account.view(s(0)).locked_at, Some(s(0)));
    assert_eq!(account.lock_cause(s(0)), Some(LockCause::Policy));

    // Replaced by an administrator's lock, extended.
    let _ = account.lock(&policy, s(10), Some(s(2_000))).unwrap();
    assert_eq!(
        lock_fields(&account.view(s(10))),
        (Status::Locked, Some(s(0)), Some(s(2_000)), Some(1_990))
    );
    assert_eq!(account.lock_cause(s(10)), Some(LockCause::Administrator));

    // Shortened.
    let _ = account.lock(&policy, s(20), Some(s(30))).unwrap();
    assert_eq!(
        lock_fields(&account.view(s(20))),
        (Status::Locked, Some(s(0)), Some(s(30)), Some(10))
    );

    // Replaced by a lock only an administrator ends: unlockAt and secondsUntilUnlock absent.
    let _ = account.lock(&policy, s(25), None).unwrap();
    let view = account.view(s(25));
    assert_eq!(lock_fields(&view), (Status::Locked, Some(s(0)), None, None));
    assert_eq!(
        json(&view),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:00.000Z","status":"LOCKED"}"#
    );
    // ... and it does not end by itself, even at the end of time.
    assert_eq!(account.view(Instant::MAX).status, Status::Locked);
    assert_eq!(account.view(Instant::MAX).locked_at, Some(s(0)));

    // Back to a deadline through a patch: lockedAt still kept.
    let _ = account
        .patch(
            &policy,
            s(40),
            &patch_of(r#"{"unlockAt":"2026-01-01T00:01:00Z"}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(
        lock_fields(&account.view(s(40))),
        (Status::Locked, Some(s(0)), Some(s(60)), Some(20))
    );

    // Once it ends and locks again, lockedAt is the new start.
    assert_eq!(account.view(s(60)).locked_at, None);
    let _ = account.failure(&policy, s(70), None).unwrap();
    assert_eq!(account.view(s(70)).locked_at, Some(s(70)));
}

#[test]
fn view_admin_only_lock_has_no_unlock_at() {
    let policy = pingone(3, None);
    let account = admin_locked(&policy, s(5), None);
    let view = account.view(s(5));
    assert_eq!(lock_fields(&view), (Status::Locked, Some(s(5)), None, None));
    assert_view_consistent(&view, s(5));
    assert_eq!(rejected_until(&account.check(&policy, s(1_000_000))), None);

    // A PingOne policy without durationSeconds locks admin-only too.
    let automatic = with_failures(&policy, &[0, 1, 2]);
    assert_eq!(
        lock_fields(&automatic.view(s(3))),
        (Status::Locked, Some(s(2)), None, None)
    );
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
        let account = admin_locked(&policy, ms(0), Some(ms(left)));
        let view = account.view(ms(0));
        assert_eq!(view.seconds_until_unlock, Some(expected), "{left} ms left");
        assert_eq!(view.unlock_at, Some(ms(left)));
        assert_view_consistent(&view, ms(0));
        // The rejection reports the exact remaining time.
        assert_eq!(
            rejected_until(&account.check(&policy, ms(0))),
            Some(ms(left))
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
    let _ = account.failure(&policy, s(0), None).unwrap();
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
    let _ = precise.failure(&policy, ms(1_234), None).unwrap();
    assert_eq!(
        json(&precise.view(ms(1_234))),
        r#"{"canAuthenticate":false,"lockedAt":"2026-01-01T00:00:01.234Z","secondsUntilUnlock":900,"status":"LOCKED","unlockAt":"2026-01-01T00:15:01.234Z"}"#
    );
    // Disabled: only the two required fields.
    let _ = account
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

    // T0 .. T0+900s
    let password = with_failures(&policy, &[0]);
    let mut mfa: Account = Account::new();
    let _ = mfa.lock(&policy, s(10), Some(s(2_000))).unwrap(); // T0+10s .. T0+2000s
    let mut admin_only: Account = Account::new();
    let _ = admin_only.lock(&policy, s(15), None).unwrap(); // T0+15s, no deadline
    let mut earliest_admin_only: Account = Account::new();
    let _ = earliest_admin_only.lock(&policy, s(-5), None).unwrap(); // T0-5s, no deadline
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
            let _ = self
                .per_context
                .success(&self.context_policy, (user, context), now)
                .unwrap();
            let _ = self.per_user.success(&self.user_policy, user, now).unwrap();
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
            assert!(allowed(&by_context));
            assert!(allowed(&by_user));
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
    assert_eq!(view_locked_until(&unfamiliar), Some(s(902)));
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
        view_locked_until(&host.login_view(ALICE, Unfamiliar, s(11))),
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
        view_locked_until(&host.login_view(ALICE, Familiar, s(400))),
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
    assert_eq!(view_locked_until(&cap), Some(s(3_651)));

    // Every context of Alice is locked by the cap, even a new one, even with her password.
    let from_home = host.login_view(ALICE, 100, s(60));
    assert_eq!(view_locked_until(&from_home), Some(s(3_651)));
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
    let _ = host
        .per_context
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

/// The harness's view checker, which the property tests and the fuzz checks rely on,
/// names each broken rule: one hand-broken view per rule, at `now` = s(10).
#[test]
fn check_view_names_each_broken_rule() {
    let now = s(10);
    // Locked at s(0) until s(60): 50 seconds left at s(10).
    let locked = with_failures(&pingone(1, Some(60)), &[0]).view(now);
    assert_eq!(check_view(&locked, now), Ok(()));
    assert_eq!(check_view(&AccountView::OPEN, now), Ok(()));
    let rows: [(&str, AccountView, ViewProblem); 7] = [
        (
            "open but cannot authenticate",
            AccountView {
                can_authenticate: false,
                ..AccountView::OPEN
            },
            ViewProblem::CanAuthenticate,
        ),
        (
            "locked without lockedAt",
            AccountView {
                locked_at: None,
                ..locked
            },
            ViewProblem::LockedAtPresence,
        ),
        (
            "lockedAt after now",
            AccountView {
                locked_at: Some(s(11)),
                ..locked
            },
            ViewProblem::LockedAtAfterNow,
        ),
        (
            "unlockAt on an open view",
            AccountView {
                unlock_at: Some(s(60)),
                seconds_until_unlock: Some(50),
                ..AccountView::OPEN
            },
            ViewProblem::UnlockAtWithoutLock,
        ),
        (
            "unlockAt without secondsUntilUnlock",
            AccountView {
                seconds_until_unlock: None,
                ..locked
            },
            ViewProblem::SecondsUntilUnlockPresence,
        ),
        (
            "unlockAt already passed",
            AccountView {
                unlock_at: Some(s(10)),
                seconds_until_unlock: Some(0),
                ..locked
            },
            ViewProblem::UnlockAtNotAfterNow,
        ),
        (
            "seconds off by one",
            AccountView {
                seconds_until_unlock: Some(51),
                ..locked
            },
            ViewProblem::SecondsUntilUnlock,
        ),
    ];
    for (name, view, problem) in rows {
        assert_eq!(check_view(&view, now), Err(problem), "{name}");
    }
}
