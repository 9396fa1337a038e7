//! The lock decision: what one counted failure locks, by the count (threshold and
//! length), the quick-failure rule and the consecutive-failure cap. Counting a failure
//! ([`crate::Account::failure`]) and the budget of attempts in flight ask this one
//! function, so the two can never disagree.

use super::{LockLength, Policy, Wanted};
use crate::outcome::LockCause;
use crate::time::{Duration, Instant};

/// Everything the decision for one counted failure depends on.
#[derive(Clone, Copy)]
pub(crate) struct FailureContext {
    /// When the failure is counted.
    pub now: Instant,
    /// The policy's count, this failure included.
    pub count: u32,
    /// Counted failures since the last success or unlock, this failure included.
    pub consecutive: u32,
    /// Temporary locks so far (after a quiet window forgot them), before this failure.
    pub temporary_locks: u16,
    /// How long since the previous counted failure, if there was one.
    pub since_previous: Option<Duration>,
}

/// What a counted failure locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockDecision {
    /// Nothing: the account stays open.
    Open,
    /// A lock that ends by itself at the instant.
    Until(Instant, LockCause),
    /// A lock that only an administrator ends.
    Permanent(LockCause),
}

/// Where a run of failures counted at one instant starts from, for the budget.
#[derive(Clone, Copy)]
pub(crate) struct Standing {
    /// When the failures would be counted.
    pub now: Instant,
    /// The policy's count at `now`, after decay.
    pub count: u32,
    /// Counted failures since the last success or unlock.
    pub consecutive: u32,
    /// Temporary locks so far.
    pub temporary_locks: u16,
    /// How long since the latest counted failure, if there was one.
    pub since_previous: Option<Duration>,
}

impl Policy {
    /// The lock a counted failure starts, and the temporary-lock count after it.
    #[inline]
    pub(crate) fn lock_decision(&self, failure: FailureContext) -> (LockDecision, u16) {
        let rules = &self.rules;
        let now = failure.now;
        let mut temporary_locks = failure.temporary_locks;
        let wanted = self.wanted_lock(failure.count);
        let mut decision = LockDecision::Open;
        match wanted {
            Wanted::Nothing => {
                if let (Some(quick), Some(gap)) = (rules.quick_failure, failure.since_previous)
                    && gap < quick.within
                {
                    let until = self.deadline(now, quick.lock);
                    if until > now {
                        decision = LockDecision::Until(until, LockCause::QuickFailure);
                    }
                }
            }
            Wanted::Permanent => decision = LockDecision::Permanent(LockCause::Policy),
            Wanted::Timed(length) => {
                let permanent = match rules.permanent_after_temporary_locks {
                    Some(allowed) => {
                        temporary_locks = temporary_locks.saturating_add(1);
                        temporary_locks > allowed
                    }
                    None => false,
                };
                if permanent {
                    decision = LockDecision::Permanent(LockCause::Policy);
                } else {
                    let until = self.deadline(now, self.capped(length));
                    // A cap of zero asks for a lock that is over before it starts.
                    if until > now {
                        decision = LockDecision::Until(until, LockCause::Policy);
                    }
                }
            }
        }
        if let Some(cap) = rules.max_consecutive_failures
            && failure.consecutive >= cap
            && !matches!(decision, LockDecision::Permanent(_))
        {
            decision = LockDecision::Permanent(LockCause::ConsecutiveFailures);
        }
        (decision, temporary_locks)
    }

    /// The smallest count at or above `count` at which the count asks for no lock.
    fn next_open_count(&self, count: u32) -> Option<u32> {
        if let Wanted::Nothing = self.wanted_lock(count) {
            return Some(count);
        }
        match self.rules.lock {
            LockLength::Table(schedule) => schedule
                .steps()
                .iter()
                .find(|step| step.from_count > count && step.length.is_zero())
                .map(|step| step.from_count),
            _ => None,
        }
    }

    /// Whether the `count`-th failure at `now` locks by the count alone (a timed lock
    /// that is not over before it starts, or a permanent one).
    fn locks_by_length(&self, count: u32, now: Instant) -> bool {
        match self.wanted_lock(count) {
            Wanted::Nothing => false,
            Wanted::Permanent => true,
            Wanted::Timed(length) => self.deadline(now, self.capped(length)) > now,
        }
    }

    /// The smallest count in `from..=last` that locks by the count alone at `now`.
    fn first_locking_count(&self, from: u32, last: u32, now: Instant) -> Option<u32> {
        // Below the threshold nothing locks by the count.
        let from = from.max(self.rules.threshold);
        if from > last {
            return None;
        }
        match self.rules.lock {
            // Constant between steps: a step's start, or `from` itself, decides.
            LockLength::Table(schedule) => core::iter::once(from)
                .chain(
                    schedule
                        .steps()
                        .iter()
                        .map(|step| step.from_count)
                        .filter(|start| *start > from && *start <= last),
                )
                .find(|count| self.locks_by_length(*count, now)),
            // Lengths never shrink as the count grows: search for the first that locks.
            _ => {
                let (mut low, mut high) = (from, last);
                // Most lengths lock as soon as the count asks for them.
                if self.locks_by_length(low, now) {
                    return Some(low);
                }
                if !self.locks_by_length(high, now) {
                    return None;
                }
                while low < high {
                    let middle = low.saturating_add(high.saturating_sub(low) / 2);
                    if self.locks_by_length(middle, now) {
                        high = middle;
                    } else {
                        low = middle.saturating_add(1);
                    }
                }
                Some(low)
            }
        }
    }

    /// The `nth` (from 1) count in `from..=last` that asks for a timed lock; a count that
    /// asks for a timed lock counts a temporary lock, capped to nothing or not.
    fn nth_timed_count(&self, from: u32, last: u32, nth: u32) -> Option<u32> {
        let asks_timed = |count: u32| matches!(self.wanted_lock(count), Wanted::Timed(_));
        let from = from.max(self.rules.threshold);
        let found = match self.rules.lock {
            LockLength::Table(schedule) => {
                // Walk the steps' ranges, each of one length.
                let steps = schedule.steps();
                let mut left = nth;
                let mut found = None;
                let mut start = from;
                loop {
                    let end = steps
                        .iter()
                        .map(|step| step.from_count)
                        .find(|next| *next > start)
                        .map_or(u32::MAX, |next| next.saturating_sub(1));
                    if asks_timed(start) {
                        let span = end.saturating_sub(start).saturating_add(1);
                        if span >= left {
                            found = start.checked_add(left.saturating_sub(1));
                            break;
                        }
                        left = left.saturating_sub(span);
                    }
                    if end == u32::MAX {
                        break;
                    }
                    start = end.saturating_add(1);
                }
                found
            }
            _ => {
                if asks_timed(from) {
                    from.checked_add(nth.saturating_sub(1))
                } else {
                    None
                }
            }
        };
        found.filter(|count| *count <= last)
    }

    /// The budget of [behaviour §7.6](crate::behaviour#s7-6): how many further failures, all counted at `now`, make the
    /// policy lock (the smallest such number, at least 1); `None` when no number does.
    ///
    /// The first two failures are asked about one by one ([`Policy::lock_decision`]): the
    /// first has its real gap, the second a gap of zero. From the third on, every failure
    /// has a gap of zero, so the answer is the first of: the count's first lock that is
    /// not over before it starts, the first count that asks for nothing (where a
    /// quick-failure rule locks), the temporary lock that turns permanent, and the cap.
    pub(crate) fn budget(&self, standing: Standing) -> Option<u32> {
        let rules = &self.rules;
        let now = standing.now;
        // A sliding window's count stops at the threshold: every failure past it asks
        // what the threshold asks.
        let last = rules.decay.highest_count(rules.threshold.max(1));
        let count_after = |k: u32| standing.count.saturating_add(k).min(last);
        // The failure that brings the count to `count` (past the threshold of a sliding
        // window, every failure brings it there).
        let failure_of = |count: u32, first: u32| count.saturating_sub(standing.count).max(first);
        let by_cap = |first: u32| {
            rules
                .max_consecutive_failures
                .map(|cap| cap.saturating_sub(standing.consecutive).max(first))
        };
        if rules.quick_failure.is_none() && rules.permanent_after_temporary_locks.is_none() {
            // Neither the gap between failures nor the temporary locks matter: the first
            // count that locks by its length decides, or the cap.
            let by_length = self
                .first_locking_count(count_after(1), last, now)
                .map(|count| failure_of(count, 1));
            return [by_length, by_cap(1)].into_iter().flatten().min();
        }
        let mut temporary_locks = if rules.decay.forgets_temporary_locks(standing.since_previous) {
            0
        } else {
            standing.temporary_locks
        };
        let mut locks = |k: u32| {
            let failure = FailureContext {
                now,
                count: count_after(k),
                consecutive: standing.consecutive.saturating_add(k),
                temporary_locks,
                since_previous: if k == 1 {
                    standing.since_previous
                } else {
                    Some(Duration::ZERO)
                },
            };
            let (decision, after) = self.lock_decision(failure);
            temporary_locks = after;
            decision != LockDecision::Open
        };
        if locks(1) {
            return Some(1);
        }
        if locks(2) {
            return Some(2);
        }

        let from = count_after(3);
        let by_length = self
            .first_locking_count(from, last, now)
            .map(|count| failure_of(count, 3));
        let quick_at_no_gap = rules
            .quick_failure
            .is_some_and(|quick| !quick.within.is_zero() && self.deadline(now, quick.lock) > now);
        let by_quick = if quick_at_no_gap {
            self.next_open_count(from)
                .filter(|count| *count <= last)
                .map(|count| failure_of(count, 3))
        } else {
            None
        };
        let by_permanent = rules.permanent_after_temporary_locks.and_then(|allowed| {
            // The timed lock that makes the temporary locks exceed `allowed`.
            let nth = u32::from(allowed)
                .saturating_add(1)
                .saturating_sub(u32::from(temporary_locks))
                .max(1);
            if rules.decay.keeps_times() {
                // Every failure from the one that reaches the threshold asks the same.
                self.nth_timed_count(from, last, 1)
                    .map(|count| failure_of(count, 3).saturating_add(nth.saturating_sub(1)))
            } else {
                self.nth_timed_count(from, last, nth)
                    .map(|count| failure_of(count, 3))
            }
        });
        [by_length, by_quick, by_permanent, by_cap(3)]
            .into_iter()
            .flatten()
            .min()
    }
}
