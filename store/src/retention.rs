//! How long Redis keeps an account's state: the TTL rule.
//!
//! A key that is absent is an account in its initial state, so a key may go only when
//! the account is *dormant* ([`Account::is_dormant`]): enabled, unlocked, nothing in
//! flight, no count that still matters, nothing pending. The rule follows the account
//! forward in time with no further events, from deadline to deadline
//! ([`Account::next_deadline`]), ending each lock at its deadline as
//! [`Account::poll`] would, until the first instant `D` at which it is dormant:
//!
//! - dormant at `now` already: **delete** the key;
//! - dormant at `D > now`: **expire** after `D − now + margin`;
//! - never dormant without an event (a failure count with no decay, a lock with no
//!   deadline, a disabled user, an attempt in flight, a consecutive-failure count):
//!   **no expiry** (`PERSIST`); the next event that makes it dormant deletes it.
//!
//! The store bounds that rule ([`bounded_retention`]): where only a count keeps the key
//! (enabled, nothing in flight, unlocked or locked with a deadline), it lives at most
//! [`crate::Config::max_retention`] after the account's latest event (at least until
//! the lock ends, plus the margin), so that every such key expires; a lock without
//! deadline, a disabled user and an attempt in flight keep the rule's retention.
//!
//! Every event rewrites the key with the TTL computed from the state it wrote, so the TTL
//! always belongs to the value it guards. Below the cap, the TTL is never shorter than
//! the time the state still matters, because `D` is computed by the same library that
//! decides: a failure is forgotten only where the policy would have forgotten it, or
//! where the cap says.
//!
//! The TTL is a length of time from the instant the state was written at, counted by
//! Redis's clock from the write: so a state stamped by a node whose clock is ahead still
//! lives as long as it matters, in real time. The `margin`
//! ([`crate::Config::ttl_margin`], five minutes by default) covers the time between
//! computing the TTL and Redis applying it, and Redis's clock running at another rate.
//!
//! One thing is given up: an expiry that no event noticed within `margin` of the moment
//! the account went dormant is not reported as a transition (`Unlocked { cause: Expired }`)
//! by a later event, since the key is gone. The lock did end at its deadline either way.

use std::time::Duration;

use account_lockout::{Account, Decision, Instant, Policy, Rejection};

/// How many deadlines the rule follows before it gives up and keeps the key with no
/// expiry (the safe side). Only a self-healing count (one deadline per step down) or a
/// sliding window comes near it.
pub const MAX_DEADLINES: usize = 4_096;

/// The longest TTL set; a longer one (a deadline decades away) means no expiry.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3_600);

/// What to do with the key after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retention {
    /// The account is dormant: the key goes.
    Delete,
    /// Keep the key this long (the state matters until `ttl − margin` from now).
    Expire(Duration),
    /// Keep the key until an event changes it.
    Forever,
}

/// The first instant at or after `now` at which `account`, left alone, is dormant; `None`
/// when that never happens without an event (or lies beyond [`MAX_DEADLINES`] deadlines).
pub fn dormant_at<const RECORDS: usize, const MEMORY: usize>(
    account: &Account<RECORDS, MEMORY>,
    policy: &Policy,
    now: Instant,
) -> Option<Instant> {
    let mut account = *account;
    let mut at = now;
    for _ in 0..MAX_DEADLINES {
        // Ends a lock whose deadline is `at`, as the first later event would.
        let _ = account.poll(policy, at);
        if account.is_dormant(policy, at) {
            return Some(at);
        }
        at = account.next_deadline(policy, at)?;
        if at == Instant::MAX {
            return None;
        }
    }
    None
}

/// The TTL rule (see the [module documentation](self)) for `account` as written at `now`.
pub fn retention<const RECORDS: usize, const MEMORY: usize>(
    account: &Account<RECORDS, MEMORY>,
    policy: &Policy,
    now: Instant,
    margin: Duration,
) -> Retention {
    match dormant_at(account, policy, now) {
        None => Retention::Forever,
        Some(at) if at <= now => Retention::Delete,
        Some(at) => {
            let until = Duration::from_millis(at.saturating_duration_since(now).as_millis());
            match until.checked_add(margin) {
                Some(ttl) if ttl <= MAX_TTL => Retention::Expire(ttl),
                _ => Retention::Forever,
            }
        }
    }
}

/// [`retention`], bounded by `cap` ([`crate::Config::max_retention`]) where the state can
/// be left to expire: enabled, nothing in flight, and either unlocked or locked with a
/// deadline. There, what keeps the key is a count (one that never decays, or decays
/// slowly), and the key lives at most `cap` after the latest event, or until the lock's
/// deadline plus `margin` if that is later. A disabled user, a lock without deadline and
/// an attempt in flight keep the rule's retention: those must not expire.
///
/// This is the one place the store forgets failures the policy would still count: a
/// count that never decays is forgotten `cap` after the account's latest event.
pub fn bounded_retention<const RECORDS: usize, const MEMORY: usize>(
    account: &Account<RECORDS, MEMORY>,
    policy: &Policy,
    now: Instant,
    margin: Duration,
    cap: Option<Duration>,
) -> Retention {
    let full = retention(account, policy, now, margin);
    let Some(cap) = cap else {
        return full;
    };
    let free_from = match account.check(policy, now).decision() {
        Some(Decision::Allowed) => Some(now),
        Some(Decision::Rejected(Rejection::Locked {
            unlock_at: Some(until),
            ..
        })) => Some(until),
        _ => None,
    };
    let Some(free_from) = free_from.filter(|_| account.attempts_in_flight() == 0) else {
        return full;
    };
    let until_free = Duration::from_millis(free_from.saturating_duration_since(now).as_millis());
    let bound = until_free.saturating_add(margin).max(cap);
    match full {
        Retention::Delete => Retention::Delete,
        Retention::Expire(ttl) => Retention::Expire(ttl.min(bound)),
        Retention::Forever => Retention::Expire(bound.min(MAX_TTL)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use account_lockout::dialect::{ActiveDirectory, Tpm};
    use account_lockout::harness::pingone;

    const MARGIN: Duration = Duration::from_secs(300);

    #[test]
    fn an_account_is_kept_while_its_state_still_matters() {
        let ttl = |seconds| Retention::Expire(Duration::from_secs(seconds) + MARGIN);
        // (policy, the failures' times, now, retention), times in seconds.
        let cases = [
            // A new account: nothing to keep.
            (pingone(3, Some(900)), &[][..], 5, Retention::Delete),
            // PingOne's count never decays.
            (pingone(3, Some(900)), &[10], 10, Retention::Forever),
            // Locked at 20 until 920 (the count restarts when it ends), plus the margin.
            (pingone(2, Some(900)), &[10, 20], 20, ttl(900)),
            (pingone(2, Some(900)), &[10, 20], 500, ttl(420)),
            // A lock without a deadline.
            (pingone(1, None), &[1], 1, Retention::Forever),
        ];
        for (policy, failures, now, expected) in cases {
            let mut account: Account = Account::new();
            for &second in failures {
                let _ = account
                    .failure(&policy, Instant::from_secs(second), None)
                    .unwrap();
            }
            let now = Instant::from_secs(now);
            assert_eq!(
                retention(&account, &policy, now, MARGIN),
                expected,
                "{failures:?} at {now:?}"
            );
        }
    }

    #[test]
    fn a_quiet_window_is_kept_until_it_has_passed() {
        let policy = ActiveDirectory {
            lockout_threshold: 5,
            lockout_duration_seconds: 1_800,
            lockout_observation_window_seconds: 600,
        }
        .policy()
        .unwrap();
        let mut account: Account = Account::new();
        let t = Instant::from_secs(1_000);
        let _ = account.failure(&policy, t, None).unwrap();
        // The count restarts once the gap exceeds the window: 1 ms after it.
        assert_eq!(
            dormant_at(&account, &policy, t),
            Some(Instant::from_millis(1_600_001))
        );
        assert_eq!(
            retention(&account, &policy, t, MARGIN),
            Retention::Expire(Duration::from_millis(600_001) + MARGIN)
        );
        // Just before that instant, the failure still counts: the key must still exist.
        let just_before = Instant::from_millis(1_600_000);
        assert!(!account.is_dormant(&policy, just_before));
        assert_eq!(account.failure_count(&policy, just_before), 1);
    }

    #[test]
    fn self_healing_follows_every_step_down() {
        let policy = Tpm {
            max_tries: 10,
            recovery_time: 60,
        }
        .policy()
        .unwrap();
        let mut account: Account = Account::new();
        for second in 0..4 {
            let _ = account
                .failure(&policy, Instant::from_secs(second), None)
                .unwrap();
        }
        // Four failures, the latest at 3 s: one heals every 60 s from there.
        assert_eq!(
            dormant_at(&account, &policy, Instant::from_secs(3)),
            Some(Instant::from_secs(3 + 4 * 60))
        );
    }

    const WEEK: Duration = Duration::from_secs(7 * 24 * 3_600);

    #[test]
    fn a_count_that_never_decays_is_kept_at_most_the_cap() {
        let policy = pingone(3, Some(900));
        let mut account: Account = Account::new();
        let t = Instant::from_secs(10);
        let _ = account.failure(&policy, t, None).unwrap();
        assert_eq!(
            bounded_retention(&account, &policy, t, MARGIN, Some(WEEK)),
            Retention::Expire(WEEK)
        );
        assert_eq!(
            bounded_retention(&account, &policy, t, MARGIN, None),
            Retention::Forever
        );
        // A lock with a deadline is kept at least until it ends (plus the margin).
        let _ = account.failure(&policy, t, None).unwrap();
        let _ = account.failure(&policy, t, None).unwrap();
        let short = Duration::from_secs(60);
        assert_eq!(
            bounded_retention(&account, &policy, t, MARGIN, Some(short)),
            Retention::Expire(Duration::from_secs(900) + MARGIN)
        );
    }

    #[test]
    fn a_lock_without_deadline_and_a_disabled_user_are_not_capped() {
        let policy = pingone(1, None);
        let mut account: Account = Account::new();
        let t = Instant::from_secs(1);
        let _ = account.failure(&policy, t, None).unwrap();
        assert_eq!(
            bounded_retention(&account, &policy, t, MARGIN, Some(WEEK)),
            Retention::Forever
        );
        let mut disabled: Account = Account::new();
        let patch = account_lockout::Patch::new(Some(false), None, None).unwrap();
        let _ = disabled.patch(&policy, t, &patch).unwrap();
        assert_eq!(
            bounded_retention(&disabled, &policy, t, MARGIN, Some(WEEK)),
            Retention::Forever
        );
    }
}
