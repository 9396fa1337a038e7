//! Timers without polling, in the sans-IO style of quinn-proto and smoltcp: the account
//! says when it next changes by itself ([`Account::next_deadline`]), and
//! [`Account::poll`] reports what time alone changed, exactly once.

use super::Account;
use crate::outcome::{Transition, Transitions};
use crate::policy::{Decay, Policy};
use crate::time::{Clock, Duration, Instant};

/// The earlier of two optional instants.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl<const RECORDS: usize, const MEMORY: usize> Account<RECORDS, MEMORY> {
    /// The earliest instant after `now` at which the account changes by itself: a lock
    /// ends, a failure leaves a window, a self-healing step lowers the count, or a
    /// quick-failure window closes. `None` when nothing is pending: with no further
    /// events, the account stays as it is (and [`Account::is_dormant`] then tells whether
    /// it is as good as new).
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Instant};
    /// let policy = PingOne { failure_count: 1, duration_seconds: Some(60) }.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// account.failure(&policy, Instant::from_secs(0), None).unwrap();
    /// assert_eq!(account.next_deadline(&policy, Instant::from_secs(10)), Some(Instant::from_secs(60)));
    /// assert_eq!(account.next_deadline(&policy, Instant::from_secs(60)), None);
    /// ```
    pub fn next_deadline(&self, policy: &Policy, clock: impl Clock) -> Option<Instant> {
        let now = clock.now();
        let (account, _) = self.observed(policy, now);
        let rules = policy.rules();
        let history = &account.history;
        let one_ms = Duration::from_millis(1);

        let lock_end = account.lock.and_then(|lock| lock.until);
        let last = history.last_failure;
        let decay_step = match rules.decay {
            Decay::None => None,
            // The count restarts once the gap exceeds the window: 1 ms after it.
            Decay::QuietWindow(window) if history.count > 0 || history.temporary_locks > 0 => {
                last.map(|last| last.saturating_add(window).saturating_add(one_ms))
            }
            Decay::QuietWindow(_) => None,
            Decay::SlidingWindow(window) => history
                .records
                .as_slice()
                .iter()
                .map(|time| time.saturating_add(window))
                .filter(|leaves| *leaves > now)
                .min(),
            Decay::SelfHealing(period) if history.decayed_count(policy, now) > 0 => {
                last.map(|last| {
                    let elapsed = now.saturating_duration_since(last).as_millis();
                    let steps = elapsed
                        .checked_div(period.as_millis())
                        .unwrap_or(0)
                        .saturating_add(1);
                    last.saturating_add(period.saturating_mul(steps))
                })
            }
            Decay::SelfHealing(_) => None,
        };
        let quick_end = rules
            .quick_failure
            .zip(last)
            .map(|(quick, last)| last.saturating_add(quick.within));
        [lock_end, decay_step, quick_end]
            .into_iter()
            .flatten()
            .filter(|deadline| *deadline > now)
            .fold(None, |found, deadline| earliest(found, Some(deadline)))
    }

    /// Ends a lock whose deadline has passed and reports it, with the instant it really
    /// ended: `Unlocked { at: deadline, cause: Expired }`. Each expiry is reported once,
    /// by `poll` or by the first event that notices it, whichever comes first.
    ///
    /// `poll` observes `now` like an event (SPEC §1): with a clock that never goes back,
    /// calling it early or twice changes nothing.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Instant, Transition, UnlockCause};
    /// let policy = PingOne { failure_count: 1, duration_seconds: Some(60) }.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// account.failure(&policy, Instant::from_secs(0), None).unwrap();
    /// assert_eq!(account.poll(&policy, Instant::from_secs(59)), None);
    /// assert_eq!(
    ///     account.poll(&policy, Instant::from_secs(75)),
    ///     Some(Transition::Unlocked { at: Instant::from_secs(60), cause: UnlockCause::Expired })
    /// );
    /// assert_eq!(account.poll(&policy, Instant::from_secs(80)), None);
    /// ```
    pub fn poll(&mut self, policy: &Policy, clock: impl Clock) -> Option<Transition> {
        let mut transitions = Transitions::NONE;
        self.observe(policy, clock.now(), &mut transitions);
        transitions.iter().next().copied()
    }

    /// Whether the account at `now` behaves exactly as a new one would, from now on and
    /// whatever comes: enabled, no lock (not even one that ended but was not yet reported
    /// by [`Account::poll`] or an event), no attempt in flight, no remembered fingerprint,
    /// a zero count the policy will not see again, and nothing pending
    /// ([`Account::next_deadline`] is `None`). A table may forget such an account.
    pub fn is_dormant(&self, policy: &Policy, clock: impl Clock) -> bool {
        let now = clock.now();
        let (account, _) = self.observed(policy, now);
        let rules = policy.rules();
        let history = &account.history;
        let temporary_locks_forgotten = rules.permanent_after_temporary_locks.is_none()
            || history.temporary_locks == 0
            || matches!(rules.decay, Decay::QuietWindow(_));
        let consecutive_forgotten =
            rules.max_consecutive_failures.is_none() || history.consecutive == 0;
        account.enabled
            // A lock that ended but was not yet reported (by `poll` or an event) keeps the
            // account, so that its expiry is reported exactly once.
            && self.lock.is_none()
            && account.in_flight.is_none()
            && history.memory.len == 0
            && history.decayed_count(policy, now) == 0
            && temporary_locks_forgotten
            && consecutive_forgotten
            && account.next_deadline(policy, now).is_none()
    }
}
