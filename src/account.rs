//! The account state and the one transition function every policy runs through.
//!
//! Each operation first *observes* `now` (the clock-regression shift of SPEC §1, then the
//! end of a lock whose deadline has passed), then applies its own rule. Reads (`view`,
//! `check`) observe on a copy and change nothing.

use crate::fingerprint::Fingerprint;
use crate::operation::{CapacityError, LockError, Operation, OperationError};
use crate::outcome::{
    Decision, LockCause, Outcome, Rejection, Transition, Transitions, UnlockCause,
};
use crate::patch::{Patch, PatchError, UnlockAtPatch};
use crate::policy::{Decay, OnLockEnd, OnSuccess, Policy, Wanted};
use crate::time::{Clock, Duration, Instant};
use crate::view::{AccountView, Status};

mod attempt;
mod binary;
mod timers;

pub use attempt::{AttemptError, AttemptStart, AttemptToken, Verdict};

/// A lock in effect (or whose deadline has passed but no event has noticed yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Lock {
    since: Instant,
    until: Option<Instant>,
    cause: LockCause,
}

/// The times of the latest counted failures, oldest first (sliding-window policies).
/// Slots past `len` hold stale values: equality and hashing look at the kept times only.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Records<const N: usize> {
    times: [Instant; N],
    len: u8,
}

impl<const N: usize> Records<N> {
    const EMPTY: Records<N> = Records {
        times: [Instant::MIN; N],
        len: 0,
    };

    fn as_slice(&self) -> &[Instant] {
        self.times.get(..usize::from(self.len)).unwrap_or(&[])
    }

    fn count(&self) -> u32 {
        u32::from(self.len)
    }

    /// Drops every time `window` or more before `now`.
    fn retain_within(&mut self, now: Instant, window: Duration) {
        let mut kept: u8 = 0;
        for index in 0..usize::from(self.len) {
            let Some(time) = self.times.get(index).copied() else {
                break;
            };
            if now.saturating_duration_since(time) < window {
                if let Some(slot) = self.times.get_mut(usize::from(kept)) {
                    *slot = time;
                }
                kept = kept.saturating_add(1);
            }
        }
        self.len = kept;
    }

    /// Keeps `time` as the newest of at most `limit` times, dropping the oldest.
    fn push(&mut self, time: Instant, limit: usize) {
        let limit = limit.min(N);
        if limit == 0 {
            return;
        }
        while usize::from(self.len) >= limit {
            if let Some(kept) = self.times.get_mut(..usize::from(self.len)) {
                kept.rotate_left(1);
            }
            self.len = self.len.saturating_sub(1);
        }
        if let Some(slot) = self.times.get_mut(usize::from(self.len)) {
            *slot = time;
            self.len = self.len.saturating_add(1);
        }
    }

    fn shift(&mut self, from: Instant, to: Instant) {
        let len = usize::from(self.len);
        for time in self.times.iter_mut().take(len) {
            *time = time.shifted(from, to);
        }
    }
}

/// The most recent distinct fingerprints of counted failures, newest last.
/// Slots past `len` hold stale values: equality and hashing look at the kept ones only.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Memory<const N: usize> {
    fingerprints: [Fingerprint; N],
    len: u8,
}

impl<const N: usize> Memory<N> {
    const EMPTY: Memory<N> = Memory {
        fingerprints: [Fingerprint::new(0); N],
        len: 0,
    };

    /// The newest `limit` fingerprints.
    fn newest(&self, limit: usize) -> &[Fingerprint] {
        let len = usize::from(self.len);
        self.fingerprints
            .get(len.saturating_sub(limit)..len)
            .unwrap_or(&[])
    }

    fn remembers(&self, fingerprint: Fingerprint, limit: usize) -> bool {
        self.newest(limit).contains(&fingerprint)
    }

    /// Remembers `fingerprint` as the newest, keeping at most `limit`.
    fn remember(&mut self, fingerprint: Fingerprint, limit: usize) {
        let limit = limit.min(N);
        if limit == 0 {
            return;
        }
        // Forget what no longer fits, oldest first, to make room for one more.
        while usize::from(self.len) >= limit {
            if let Some(kept) = self.fingerprints.get_mut(..usize::from(self.len)) {
                kept.rotate_left(1);
            }
            self.len = self.len.saturating_sub(1);
        }
        if let Some(slot) = self.fingerprints.get_mut(usize::from(self.len)) {
            *slot = fingerprint;
            self.len = self.len.saturating_add(1);
        }
    }
}

impl<const N: usize> PartialEq for Records<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for Records<N> {}

impl<const N: usize> core::hash::Hash for Records<N> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<const N: usize> PartialEq for Memory<N> {
    fn eq(&self, other: &Self) -> bool {
        self.newest(N) == other.newest(N)
    }
}

impl<const N: usize> Eq for Memory<N> {}

impl<const N: usize> core::hash::Hash for Memory<N> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.newest(N).hash(state);
    }
}

/// The failure history: everything an administrator unlock clears.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct History<const RECORDS: usize, const MEMORY: usize> {
    /// The policy's failure count (before decay at a later instant).
    count: u32,
    /// Counted failures since the last success or administrator unlock.
    consecutive: u32,
    /// Temporary locks since the counters last restarted.
    temporary_locks: u16,
    /// The latest counted failure: the anchor of windows and self-healing.
    last_failure: Option<Instant>,
    records: Records<RECORDS>,
    memory: Memory<MEMORY>,
}

impl<const RECORDS: usize, const MEMORY: usize> History<RECORDS, MEMORY> {
    const EMPTY: History<RECORDS, MEMORY> = History {
        count: 0,
        consecutive: 0,
        temporary_locks: 0,
        last_failure: None,
        records: Records::EMPTY,
        memory: Memory::EMPTY,
    };

    /// The count a failure at `now` builds on, after decay.
    fn decayed_count(&self, policy: &Policy, now: Instant) -> u32 {
        let since_last = self
            .last_failure
            .map(|last| now.saturating_duration_since(last));
        match policy.rules().decay {
            Decay::None => self.count,
            Decay::QuietWindow(window) => {
                if since_last.is_some_and(|gap| gap > window) {
                    0
                } else {
                    self.count
                }
            }
            Decay::SlidingWindow(window) => {
                let recent = self
                    .records
                    .as_slice()
                    .iter()
                    .filter(|time| now.saturating_duration_since(**time) < window)
                    .count();
                u32::try_from(recent).unwrap_or(u32::MAX)
            }
            Decay::SelfHealing(period) => {
                let periods = since_last
                    .and_then(|gap| gap.as_millis().checked_div(period.as_millis()))
                    .unwrap_or(0);
                self.count
                    .saturating_sub(u32::try_from(periods).unwrap_or(u32::MAX))
            }
        }
    }

    fn shift(&mut self, from: Instant, to: Instant) {
        self.last_failure = self.last_failure.map(|time| time.shifted(from, to));
        self.records.shift(from, to);
    }
}

/// One account's lockout state: fixed size, `Copy`, no allocation.
///
/// `RECORDS` is how many failure times it can keep (sliding-window policies such as
/// pam_faillock need `deny`); `MEMORY` how many credential fingerprints it can remember
/// (`repeatedCredentialMemory`). Both default to 0, which every other policy needs.
/// [`Account::failure`] refuses a policy that needs more room than the type has.
///
/// Every operation takes the policy and the time (an [`Instant`], or any [`Clock`]).
///
/// ```
/// use account_lockout::{dialect::PingOne, Account, Decision, Instant, ManualClock, Duration, Status};
///
/// let policy = (PingOne { failure_count: 3, duration_seconds: Some(900) }).policy().unwrap();
/// let clock = ManualClock::new(Instant::from_secs(1_767_225_600)); // 2026-01-01T00:00:00Z
/// let mut account: Account = Account::new();
///
/// for _ in 0..3 {
///     account.failure(&policy, &clock, None).unwrap();
///     clock.advance(Duration::from_secs(1));
/// }
/// let outcome = account.success(&policy, &clock);
/// assert!(!outcome.decision.unwrap().is_allowed()); // a success never ends a lock
///
/// clock.advance(Duration::from_secs(900));
/// assert_eq!(account.view(&clock).status, Status::Ok);
/// assert_eq!(account.check(&policy, &clock).decision, Some(Decision::Allowed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Account<const RECORDS: usize = 0, const MEMORY: usize = 0> {
    /// The `now` of the latest event applied; `Instant::MIN` before the first.
    last_seen: Instant,
    enabled: bool,
    lock: Option<Lock>,
    history: History<RECORDS, MEMORY>,
    /// The start of an attempt begun but not finished (the power-loss-safe protocol), as
    /// the clock said then. It identifies the attempt with its token, so unlike every other
    /// instant it does not move when the clock goes back.
    in_flight: Option<Instant>,
    /// The serial number of the latest attempt begun, for its token.
    attempt_serial: u16,
}

impl<const RECORDS: usize, const MEMORY: usize> Default for Account<RECORDS, MEMORY> {
    fn default() -> Self {
        Account::new()
    }
}

impl<const RECORDS: usize, const MEMORY: usize> Account<RECORDS, MEMORY> {
    /// A new account: enabled, not locked, no history.
    pub const fn new() -> Self {
        Account {
            last_seen: Instant::MIN,
            enabled: true,
            lock: None,
            history: History::EMPTY,
            in_flight: None,
            attempt_serial: 0,
        }
    }

    /// Whether the user is enabled.
    pub const fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The `now` of the latest event applied (attempts, rejected ones included, and
    /// administrator operations that were not refused); [`Instant::MIN`] before the first
    /// (which behaves the same: no instant is earlier).
    pub const fn last_seen(&self) -> Instant {
        self.last_seen
    }

    /// Counted failures since the last success or administrator unlock.
    pub const fn consecutive_failures(&self) -> u32 {
        self.history.consecutive
    }

    /// This account as an event at `now` would see it, before the event's own rule:
    /// shifted back if the clock went back, and with a passed deadline ended.
    fn observed(&self, policy: &Policy, now: Instant) -> (Self, Transitions) {
        let mut copy = *self;
        let mut transitions = Transitions::NONE;
        copy.observe(policy, now, &mut transitions);
        (copy, transitions)
    }

    /// SPEC §1 and the lazy end of locks: every event goes through here first.
    fn observe(&mut self, policy: &Policy, now: Instant, transitions: &mut Transitions) {
        if now < self.last_seen {
            let from = self.last_seen;
            if let Some(lock) = &mut self.lock {
                lock.since = lock.since.shifted(from, now);
                lock.until = lock.until.map(|until| until.shifted(from, now));
            }
            self.history.shift(from, now);
        }
        self.last_seen = now;
        if let Some(lock) = self.lock
            && let Some(until) = lock.until
            && until <= now
        {
            self.lock = None;
            if lock.cause == LockCause::Policy && policy.rules().on_lock_end == OnLockEnd::Reset {
                self.history.count = 0;
                self.history.records = Records::EMPTY;
            }
            transitions.push(Transition::Unlocked {
                at: until,
                cause: UnlockCause::Expired,
            });
        }
    }

    /// The view of SPEC §2 at `now`. A read: it changes nothing, and at `now` earlier
    /// than the latest event it shows the account as the clock-regression shift would.
    pub fn view(&self, clock: impl Clock) -> AccountView {
        let now = clock.now();
        let locked = self.lock.map(|lock| {
            if now < self.last_seen {
                (
                    lock.since.shifted(self.last_seen, now),
                    lock.until.map(|until| until.shifted(self.last_seen, now)),
                )
            } else {
                (lock.since, lock.until)
            }
        });
        AccountView::derive(self.enabled, locked, now)
    }

    /// Why an attempt at `now` is rejected, for an account that has observed `now`.
    fn rejection(&self, now: Instant) -> Option<Rejection> {
        if !self.enabled {
            Some(Rejection::Disabled)
        } else {
            self.lock.map(|lock| Rejection::Locked {
                unlock_at: lock.until,
                unlock_in: lock.until.map(|until| until.saturating_duration_since(now)),
            })
        }
    }

    /// How many more counted failures at `now` would lock; `None` when not allowed now,
    /// or when neither the policy's count nor the consecutive cap can lock.
    fn failures_remaining(&self, policy: &Policy, now: Instant) -> Option<u32> {
        if !self.enabled || self.lock.is_some() {
            return None;
        }
        let base = self.history.decayed_count(policy, now);
        let mut next = base.saturating_add(1);
        if let Decay::SlidingWindow(_) = policy.rules().decay {
            // The count stops at the threshold: the next failure brings it at most there.
            next = next.min(policy.rules().threshold.max(1));
        }
        let by_policy = policy
            .next_locking_count(next)
            .map(|count| count.saturating_sub(base).max(1));
        let by_cap = policy
            .rules()
            .max_consecutive_failures
            .map(|cap| cap.saturating_sub(self.history.consecutive));
        match (by_policy, by_cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The policy's failure count as a failure at `now` would find it (after decay).
    pub fn failure_count(&self, policy: &Policy, clock: impl Clock) -> u32 {
        let now = clock.now();
        if self.observing_changes_nothing_read(now) {
            return self.history.decayed_count(policy, now);
        }
        let (observed, _) = self.observed(policy, now);
        observed.history.decayed_count(policy, now)
    }

    /// The outcome of an attempt whose decision was `rejection` when it arrived.
    fn attempt_outcome(
        &self,
        policy: &Policy,
        now: Instant,
        rejection: Option<Rejection>,
        transitions: Transitions,
    ) -> Outcome {
        Outcome {
            decision: Some(match rejection {
                Some(rejection) => Decision::Rejected(rejection),
                None => Decision::Allowed,
            }),
            failures_remaining: self.failures_remaining(policy, now),
            transitions,
        }
    }

    /// May the user authenticate at `now`? A read: it changes nothing (SPEC §3).
    pub fn check(&self, policy: &Policy, clock: impl Clock) -> Outcome {
        let now = clock.now();
        if self.observing_changes_nothing_read(now) {
            return self.attempt_outcome(policy, now, self.rejection(now), Transitions::NONE);
        }
        let (observed, _) = self.observed(policy, now);
        observed.attempt_outcome(policy, now, observed.rejection(now), Transitions::NONE)
    }

    /// `check`'s decision alone, the view's `canAuthenticate`: whether the user is enabled
    /// and no lock is in effect at `now`. It needs no policy, and is the cheapest question
    /// a login path can ask.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Instant};
    ///
    /// let policy = (PingOne { failure_count: 1, duration_seconds: Some(60) }).policy().unwrap();
    /// let mut account: Account = Account::new();
    /// account.failure(&policy, Instant::from_secs(0), None).unwrap();
    /// assert!(!account.can_authenticate(Instant::from_secs(59)));
    /// assert!(account.can_authenticate(Instant::from_secs(60)));
    /// ```
    pub fn can_authenticate(&self, clock: impl Clock) -> bool {
        let now = clock.now();
        self.enabled
            && self.lock.is_none_or(|lock| {
                lock.until.is_some_and(|until| {
                    let until = if now < self.last_seen {
                        until.shifted(self.last_seen, now)
                    } else {
                        until
                    };
                    until <= now
                })
            })
    }

    /// Whether observing `now` would leave everything a read looks at as it is: the clock
    /// did not go back and no lock ends by `now`. Reads then skip the copy `observed`
    /// makes (only `last_seen` would differ, and no read looks at it).
    fn observing_changes_nothing_read(&self, now: Instant) -> bool {
        now >= self.last_seen
            && self
                .lock
                .is_none_or(|lock| lock.until.is_none_or(|until| now < until))
    }

    fn ensure_capacity(policy: &Policy) -> Result<(), CapacityError> {
        if policy.records_needed() > RECORDS || policy.memory_needed() > MEMORY {
            return Err(CapacityError {
                records_needed: policy.records_needed(),
                records: RECORDS,
                memory_needed: policy.memory_needed(),
                memory: MEMORY,
            });
        }
        Ok(())
    }

    /// A failed attempt at `now`, with the fingerprint of the attempted credential if the
    /// host has one (SPEC §3).
    ///
    /// Rejected (nothing changes but `last_seen`) while locked or disabled; ignored if its
    /// fingerprint is remembered; otherwise counted by the policy, possibly locking.
    pub fn failure(
        &mut self,
        policy: &Policy,
        clock: impl Clock,
        credential: Option<Fingerprint>,
    ) -> Result<Outcome, CapacityError> {
        let now = clock.now();
        Self::ensure_capacity(policy)?;
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        let rejection = self.fail(policy, now, credential, &mut transitions);
        Ok(self.attempt_outcome(policy, now, rejection, transitions))
    }

    /// A failed attempt after `observe`: rejected, ignored as repeated, or counted.
    fn fail(
        &mut self,
        policy: &Policy,
        now: Instant,
        credential: Option<Fingerprint>,
        transitions: &mut Transitions,
    ) -> Option<Rejection> {
        let rejection = self.rejection(now);
        if rejection.is_none() {
            let memory = policy.memory_needed();
            match credential {
                Some(fingerprint) if self.history.memory.remembers(fingerprint, memory) => {
                    transitions.push(Transition::IgnoredRepeated);
                }
                _ => self.count_failure(policy, now, credential, transitions),
            }
        }
        rejection
    }

    /// Counts an allowed failure: decay, count, then the lock the policy asks for.
    fn count_failure(
        &mut self,
        policy: &Policy,
        now: Instant,
        credential: Option<Fingerprint>,
        transitions: &mut Transitions,
    ) {
        let rules = policy.rules();
        let history = &mut self.history;
        let since_previous = history
            .last_failure
            .map(|previous| now.saturating_duration_since(previous));

        let base = history.decayed_count(policy, now);
        match rules.decay {
            Decay::QuietWindow(window) if since_previous.is_some_and(|gap| gap > window) => {
                history.temporary_locks = 0;
            }
            Decay::SlidingWindow(window) => history.records.retain_within(now, window),
            _ => {}
        }
        history.count = base.saturating_add(1);
        if let Decay::SlidingWindow(_) = rules.decay {
            // The latest `threshold` times decide (pam_faillock's "the latest deny suffice");
            // keeping only those makes the count independent of the account's size.
            history.records.push(now, policy.records_needed());
            history.count = history.records.count();
        }
        history.last_failure = Some(now);
        history.consecutive = history.consecutive.saturating_add(1);
        if let Some(fingerprint) = credential {
            history
                .memory
                .remember(fingerprint, usize::from(rules.repeated_credential_memory));
        }
        transitions.push(Transition::Counted {
            failures: history.count,
        });

        // The lock by the count; `None` inside means no deadline.
        let mut lock: Option<(Option<Instant>, LockCause)> = None;
        let wanted = policy.wanted_lock(history.count);
        match wanted {
            Wanted::Nothing => {}
            Wanted::Permanent => lock = Some((None, LockCause::Policy)),
            Wanted::Timed(length) => {
                let permanent = match rules.permanent_after_temporary_locks {
                    Some(allowed) => {
                        history.temporary_locks = history.temporary_locks.saturating_add(1);
                        history.temporary_locks > allowed
                    }
                    None => false,
                };
                if permanent {
                    lock = Some((None, LockCause::Policy));
                } else {
                    let until = policy.deadline(now, policy.capped(length));
                    // A cap of zero asks for a lock that is over before it starts.
                    if until > now {
                        lock = Some((Some(until), LockCause::Policy));
                    }
                }
            }
        }
        if let (Wanted::Nothing, Some(quick), Some(gap)) =
            (wanted, rules.quick_failure, since_previous)
            && gap < quick.within
        {
            let until = policy.deadline(now, quick.lock);
            if until > now {
                lock = Some((Some(until), LockCause::Policy));
            }
        }
        if let Some(cap) = rules.max_consecutive_failures
            && history.consecutive >= cap
            && !matches!(lock, Some((None, _)))
        {
            lock = Some((None, LockCause::ConsecutiveFailures));
        }
        if let Some((until, cause)) = lock {
            self.lock = Some(Lock {
                since: now,
                until,
                cause,
            });
            transitions.push(Transition::Locked {
                at: now,
                until,
                cause,
            });
        }
    }

    /// A successful attempt at `now` (SPEC §3).
    ///
    /// Rejected (nothing changes but `last_seen`) while locked or disabled: a success
    /// never ends a lock. Otherwise the policy's success rule applies, and remembered
    /// fingerprints and the consecutive-failure count are cleared.
    pub fn success(&mut self, policy: &Policy, clock: impl Clock) -> Outcome {
        let now = clock.now();
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        let rejection = self.succeed(policy, now);
        self.attempt_outcome(policy, now, rejection, transitions)
    }

    /// A successful attempt after `observe`: rejected, or the success rules applied.
    fn succeed(&mut self, policy: &Policy, now: Instant) -> Option<Rejection> {
        let rejection = self.rejection(now);
        if rejection.is_none() {
            let history = &mut self.history;
            if policy.rules().on_success == OnSuccess::Reset {
                history.count = 0;
                history.temporary_locks = 0;
                history.last_failure = None;
                history.records = Records::EMPTY;
            }
            history.consecutive = 0;
            history.memory = Memory::EMPTY;
        }
        rejection
    }

    /// Ends any lock now and clears the failure history.
    fn end_lock_and_history(&mut self, now: Instant, transitions: &mut Transitions) {
        if self.lock.take().is_some() {
            transitions.push(Transition::Unlocked {
                at: now,
                cause: UnlockCause::Administrator,
            });
        }
        self.history = History::EMPTY;
    }

    /// The administrator lock rule of SPEC §4, after validation.
    fn lock_by_administrator(
        &mut self,
        now: Instant,
        until: Option<Instant>,
        transitions: &mut Transitions,
    ) {
        let cause = LockCause::Administrator;
        match self.lock {
            None => {
                self.lock = Some(Lock {
                    since: now,
                    until,
                    cause,
                });
                transitions.push(Transition::Locked {
                    at: now,
                    until,
                    cause,
                });
            }
            // Already the administrator's, with this deadline: nothing to change.
            Some(lock) if lock.cause == cause && lock.until == until => {}
            Some(lock) => {
                if lock.cause.is_automatic() {
                    self.history = History::EMPTY;
                }
                self.lock = Some(Lock {
                    until,
                    cause,
                    ..lock
                });
                transitions.push(Transition::LockChanged { until, cause });
            }
        }
    }

    /// Administrator unlock (SPEC §4): ends any lock and clears the failure history,
    /// also on an `OK` account. It does not enable a disabled user.
    pub fn unlock(&mut self, policy: &Policy, clock: impl Clock) -> Outcome {
        let now = clock.now();
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        self.end_lock_and_history(now, &mut transitions);
        Outcome {
            decision: None,
            failures_remaining: self.failures_remaining(policy, now),
            transitions,
        }
    }

    /// Administrator lock (SPEC §4) until `until`, or with no deadline.
    ///
    /// On an `OK` account it leaves the failure history alone; it takes over an automatic
    /// lock (clearing the history, as an unlock would); on an administrator's lock it
    /// changes only the deadline. `lockedAt` is kept while the account stays locked.
    pub fn lock(
        &mut self,
        policy: &Policy,
        clock: impl Clock,
        until: Option<Instant>,
    ) -> Result<Outcome, LockError> {
        let now = clock.now();
        if until.is_some_and(|until| until <= now) {
            return Err(LockError::UnlockAtNotInFuture);
        }
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        self.lock_by_administrator(now, until, &mut transitions);
        Ok(Outcome {
            decision: None,
            failures_remaining: None,
            transitions,
        })
    }

    /// Administrator patch of the account fields (SPEC §4). Validation of the body is
    /// [`Patch`]'s; this checks what depends on the account and `now`, then applies
    /// `canAuthenticate` and `status` before `unlockAt`. On error nothing changes.
    pub fn patch(
        &mut self,
        policy: &Policy,
        clock: impl Clock,
        patch: &Patch,
    ) -> Result<Outcome, PatchError> {
        let now = clock.now();
        if let Some(UnlockAtPatch::At(until)) = patch.unlock_at {
            if patch.status.is_none() && self.view(now).status == Status::Ok {
                return Err(PatchError::unlock_at_requires_locked());
            }
            if until <= now {
                return Err(PatchError::unlock_at_not_in_future());
            }
        }
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        match patch.can_authenticate {
            Some(false) if self.enabled => {
                self.enabled = false;
                transitions.push(Transition::Disabled);
            }
            Some(true) => {
                if !self.enabled {
                    self.enabled = true;
                    transitions.push(Transition::Enabled);
                }
                self.end_lock_and_history(now, &mut transitions);
            }
            _ => {}
        }
        match patch.status {
            Some(Status::Locked) => {
                let deadline_follows = matches!(patch.unlock_at, Some(UnlockAtPatch::At(_)));
                if self.lock.is_none() && !deadline_follows {
                    self.lock_by_administrator(now, None, &mut transitions);
                }
            }
            Some(Status::Ok) => self.end_lock_and_history(now, &mut transitions),
            None => {}
        }
        match patch.unlock_at {
            Some(UnlockAtPatch::At(until)) => {
                self.lock_by_administrator(now, Some(until), &mut transitions);
            }
            Some(UnlockAtPatch::Clear) if self.lock.is_some() => {
                self.lock_by_administrator(now, None, &mut transitions);
            }
            _ => {}
        }
        Ok(Outcome {
            decision: None,
            failures_remaining: self.failures_remaining(policy, now),
            transitions,
        })
    }

    /// Applies one operation: the same as calling its method.
    ///
    /// ```
    /// use account_lockout::{dialect::Tpm, Account, Instant, Operation};
    /// let policy = Tpm::DEFAULT.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// let outcome = account
    ///     .apply(&policy, Instant::from_secs(1), Operation::Failure { credential: None })
    ///     .unwrap();
    /// assert_eq!(outcome.failures_remaining, Some(2));
    /// ```
    pub fn apply(
        &mut self,
        policy: &Policy,
        clock: impl Clock,
        operation: Operation,
    ) -> Result<Outcome, OperationError> {
        let now = clock.now();
        Ok(match operation {
            Operation::Check => self.check(policy, now),
            Operation::Failure { credential } => self.failure(policy, now, credential)?,
            Operation::Success => self.success(policy, now),
            Operation::Unlock => self.unlock(policy, now),
            Operation::Lock { until } => self.lock(policy, now, until)?,
            Operation::Patch(patch) => self.patch(policy, now, &patch)?,
        })
    }

    /// Why the account is locked at `now`, if it is.
    pub fn lock_cause(&self, clock: impl Clock) -> Option<LockCause> {
        let now = clock.now();
        match self.view(now).status {
            Status::Locked => self.lock.map(|lock| lock.cause),
            Status::Ok => None,
        }
    }
}
