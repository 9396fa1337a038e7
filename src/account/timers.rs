//! Timers without polling, in the sans-IO style of quinn-proto and smoltcp: the account
//! says when it next changes by itself ([`Account::next_deadline`]), and
//! [`Account::poll`] reports what time alone changed, exactly once.

use super::Account;
use crate::outcome::{Transition, Transitions};
use crate::policy::Policy;
use crate::time::{Duration, Instant};

impl<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>
    Account<RECORDS, MEMORY, ATTEMPTS>
{
    /// The earliest instant after `now` at which the account changes by itself: a lock
    /// ends, a failure leaves a window, a self-healing step lowers the count, a
    /// quick-failure window closes, or an attempt in flight times out (the count's decay
    /// only where the count can lock, [`Policy::can_lock_by_count`]). `None` when nothing
    /// is pending: with no further events, the account stays as it is (and [`Account::is_dormant`] then tells whether
    /// it is as good as new). A change beyond the representable range shows as
    /// [`Instant::MAX`], even at `now == Instant::MAX`.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Instant};
    /// let policy = PingOne { failure_count: 1, duration_seconds: Some(60) }.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// account.failure(&policy, Instant::from_secs(0), None).unwrap();
    /// assert_eq!(account.next_deadline(&policy, Instant::from_secs(10)), Some(Instant::from_secs(60)));
    /// assert_eq!(account.next_deadline(&policy, Instant::from_secs(60)), None);
    /// ```
    #[must_use]
    pub fn next_deadline(&self, policy: &Policy, now: Instant) -> Option<Instant> {
        // A count that can never lock changes no answer as it decays.
        self.next_change(policy, now, policy.can_lock_by_count())
    }

    /// [`Account::next_deadline`]; without the count's decay steps when `count_matters`
    /// is false (a count that can never lock).
    fn next_change(&self, policy: &Policy, now: Instant, count_matters: bool) -> Option<Instant> {
        let (account, _) = self.observed(policy, now);
        let rules = policy.rules();
        let history = &account.history;

        // Deadlines are computed exactly (in i128) and clamped only at the end, so that a
        // window whose end lies beyond Instant::MAX still counts as pending at Instant::MAX.
        let wide = |instant: Instant| i128::from(instant.as_millis());
        let plus = |instant: Instant, length: Duration| {
            wide(instant).saturating_add(i128::from(length.as_millis()))
        };
        let lock_end = account.lock_state().and_then(|lock| lock.until).map(wide);
        let last = account.last_failure();
        let decay_step = if count_matters {
            rules
                .decay
                .next_change(&history.tally(last), history.temporary_locks, now)
        } else {
            None
        };
        let quick_end = rules
            .quick_failure
            .zip(last)
            .map(|(quick, last)| plus(last, quick.within));
        let timeout = account
            .attempts
            .get(0)
            // Exact, as the other deadlines here (`Attempt::timeout` saturates).
            .map(|attempt| plus(attempt.start, rules.attempt_timeout));
        [lock_end, decay_step, quick_end, timeout]
            .into_iter()
            .flatten()
            .filter(|deadline| *deadline > wide(now))
            .min()
            .map(|deadline| Instant::from_millis(i64::try_from(deadline).unwrap_or(i64::MAX)))
    }

    /// Applies the next thing time alone did by `now` and reports it: a lock that ended
    /// at its deadline (`Unlocked { at: deadline, cause: Expired }`, the instant it really
    /// ended), or an attempt in flight that timed out and counted as a failure ([behaviour
    /// §7.1](crate::behaviour#s7-1): the `Locked` it started, else its `Counted`). Call it until it returns `None`:
    /// each is reported once, by `poll` or by the first event that notices it, whichever
    /// comes first.
    ///
    /// `poll` observes `now` like an event ([behaviour §1](crate::behaviour#s1)): with a clock that never goes back,
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
    pub fn poll(&mut self, policy: &Policy, now: Instant) -> Option<Transition> {
        self.regress_to(now);
        loop {
            let mut transitions = Transitions::NONE;
            if !self.step(policy, now, &mut transitions) {
                return None;
            }
            // A timed-out attempt rejected by a lock changed nothing worth a report.
            let reported = transitions
                .iter()
                .find(|transition| {
                    matches!(
                        transition,
                        Transition::Unlocked { .. } | Transition::Locked { .. }
                    )
                })
                .or_else(|| transitions.iter().next());
            if let Some(transition) = reported {
                return Some(transition);
            }
        }
    }

    /// What a table does to an account it passes over at `now` ([behaviour §7.2](crate::behaviour#s7-2): at `now` or
    /// its own later `last_seen`): applies what time did, up to a lock's end that nobody
    /// reported yet (that one is left for [`Account::poll`] to report); then whether the
    /// account is dormant.
    pub(crate) fn settle(&mut self, policy: &Policy, now: Instant) -> bool {
        let now = now.max(self.last_seen);
        loop {
            let mut next = *self;
            match next.poll(policy, now) {
                Some(Transition::Unlocked { .. }) => return false,
                Some(_) => *self = next,
                None => {
                    *self = next;
                    return self.is_dormant(policy, now);
                }
            }
        }
    }

    /// Whether the account at `now` behaves exactly as a new one would, from now on and
    /// whatever comes: enabled, no lock (not even one that ended but was not yet reported
    /// by [`Account::poll`] or an event), no attempt in flight, no remembered fingerprint,
    /// a zero count the policy will not see again, and nothing pending
    /// ([`Account::next_deadline`] is `None`). A table may forget such an account.
    #[must_use]
    pub fn is_dormant(&self, policy: &Policy, now: Instant) -> bool {
        // What observing `now` does not change, checked first and cheaply: a table asks
        // after every event, and most accounts it asks about are not dormant. A lock that
        // ended but was not yet reported (by `poll` or an event) keeps the account, so
        // that its expiry is reported exactly once.
        if !self.is_enabled()
            || self.lock_state().is_some()
            || self.attempts.len() != 0
            || self.history.memory.len() != 0
        {
            return false;
        }
        // With no lock, observing `now` changes only `last_seen`, unless the clock went back.
        let observed;
        let account = if now >= self.last_seen {
            self
        } else {
            observed = self.observed(policy, now).0;
            &observed
        };
        let rules = policy.rules();
        let history = &account.history;
        let temporary_locks_forgotten = rules.permanent_after_temporary_locks.is_none()
            || history.temporary_locks == 0
            || rules.decay.temporary_locks_fade();
        let consecutive_forgotten =
            rules.max_consecutive_failures.is_none() || history.consecutive == 0;
        // A count that can never lock is never seen again, nor its decay: only its number
        // in `Counted` transitions would differ from a new account's.
        let count_matters = policy.can_lock_by_count();
        let count_forgotten = account.decayed_count(policy, now) == 0 || !count_matters;
        count_forgotten
            && temporary_locks_forgotten
            && consecutive_forgotten
            && account.next_change(policy, now, count_matters).is_none()
    }
}
