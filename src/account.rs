//! The account state and the one transition function every policy runs through.
//!
//! Each operation first *observes* `now` (the clock-regression shift of [behaviour §1](crate::behaviour#s1), then the
//! end of a lock whose deadline has passed), then applies its own rule. Reads (`view`,
//! `check`) observe on a copy and change nothing.

use crate::fingerprint::Fingerprint;
use crate::operation::{CapacityError, LockError, Operation, OperationError};
use crate::outcome::{LockCause, Outcome, Rejection, Transition, Transitions, UnlockCause};
use crate::patch::{Patch, PatchError, UnlockAtPatch};
use crate::policy::{FailureContext, LockDecision, OnLockEnd, OnSuccess, Policy, Standing};
use crate::time::Instant;
use crate::view::{AccountView, Status};

mod attempt;
mod binary;
mod history;
mod timers;

use attempt::InFlight;
pub(crate) use history::Records;
use history::{History, Memory};

pub use attempt::{AttemptError, AttemptStart, AttemptToken, Verdict};

/// What time alone does to an account, at the instant it happens.
#[derive(Clone, Copy)]
pub(crate) enum Due {
    /// The lock held ends.
    Expiry(Instant),
    /// The oldest attempt in flight times out, and counts as a failure.
    Timeout(Instant),
}

/// A lock in effect (or whose deadline has passed but no event has noticed yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Lock {
    since: Instant,
    until: Option<Instant>,
    cause: LockCause,
}

/// One account's lockout state: fixed size, `Copy`, no allocation.
///
/// `RECORDS` is how many failure times it can keep (sliding-window policies such as
/// pam_faillock need `deny`); `MEMORY` how many credential fingerprints it can remember
/// (`repeatedCredentialMemory`). Both default to 0, which every other policy needs.
/// `ATTEMPTS` is how many attempts can be in flight at once (`maxAttemptsInFlight`,
/// [behaviour §7.1](crate::behaviour#s7-1)): 8 by default, the default of every dialect but `tpm` and
/// `androidGatekeeper` (1). [`Account::failure`] refuses a policy that needs more room
/// than the type has; [`Account::begin_attempt`] also checks `ATTEMPTS`.
///
/// Every operation takes the policy, then the time as an [`Instant`] (read from any
/// [`Clock`](crate::Clock) by the host).
///
/// ```
/// use account_lockout::{dialect::PingOne, Account, Decision, Instant, ManualClock, Duration, Status};
///
/// let policy = (PingOne { failure_count: 3, duration_seconds: Some(900) }).policy().unwrap();
/// let clock = ManualClock::new(Instant::from_secs(1_767_225_600)); // 2026-01-01T00:00:00Z
/// let mut account: Account = Account::new();
///
/// for _ in 0..3 {
///     account.failure(&policy, clock.now(), None).unwrap();
///     clock.advance(Duration::from_secs(1));
/// }
/// let outcome = account.success(&policy, clock.now());
/// assert!(!outcome.decision().unwrap().is_allowed()); // a success never ends a lock
///
/// clock.advance(Duration::from_secs(900));
/// assert_eq!(account.view(clock.now()).status, Status::Ok);
/// assert_eq!(account.check(&policy, clock.now()).decision(), Some(Decision::Allowed));
/// ```
///
/// # Layout
///
/// 56 bytes without attempt slots, plus 8 per record and per fingerprint and 18 per
/// attempt slot (`tests/state_size.rs`): four exact millisecond instants (32 bytes), the
/// counters (12), the attempt serial (2), the number of attempts in flight (1), one byte
/// of flags that says which optional fields are present, and padding. An absent field
/// holds 0, so that equality and hashing see only what is present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Account<const RECORDS: usize = 0, const MEMORY: usize = 0, const ATTEMPTS: usize = 8> {
    /// The `now` of the latest event applied; `Instant::MIN` before the first.
    last_seen: Instant,
    /// When the lock began (`LOCKED`).
    lock_since: Instant,
    /// When the lock ends by itself (`DEADLINE`).
    lock_until: Instant,
    /// The latest counted failure, the anchor of windows and self-healing (`LAST_FAILURE`).
    last_failure: Instant,
    history: History<RECORDS, MEMORY>,
    /// The attempts begun but not finished ([behaviour §7.1](crate::behaviour#s7-1)), oldest first.
    attempts: InFlight<ATTEMPTS>,
    /// The serial number of the latest attempt begun, for its token.
    attempt_serial: u16,
    flags: u8,
}

/// The user is enabled.
const ENABLED: u8 = 1 << 0;
/// A lock is held (`lock_since` is its start).
const LOCKED: u8 = 1 << 1;
/// The lock has a deadline (`lock_until`).
const DEADLINE: u8 = 1 << 2;
/// The lock's cause, in two bits: 0 policy, 1 consecutive failures, 2 administrator,
/// 3 quick failure.
const CAUSE_SHIFT: u8 = 3;
const CAUSE_MASK: u8 = 0b11 << CAUSE_SHIFT;
/// `last_failure` is known.
const LAST_FAILURE: u8 = 1 << 5;

/// The value an absent optional instant holds.
const ABSENT: Instant = Instant::from_millis(0);

impl<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize> Default
    for Account<RECORDS, MEMORY, ATTEMPTS>
{
    fn default() -> Self {
        Account::new()
    }
}

impl<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>
    Account<RECORDS, MEMORY, ATTEMPTS>
{
    /// A new account: enabled, not locked, no history.
    pub const fn new() -> Self {
        Account {
            last_seen: Instant::MIN,
            lock_since: ABSENT,
            lock_until: ABSENT,
            last_failure: ABSENT,
            history: History::EMPTY,
            attempts: InFlight::EMPTY,
            attempt_serial: 0,
            flags: ENABLED,
        }
    }

    const fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    fn set_flag(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }

    /// An optional instant: the field's value if its flag is set.
    const fn optional(&self, flag: u8, value: Instant) -> Option<Instant> {
        if self.has(flag) { Some(value) } else { None }
    }

    fn set_enabled(&mut self, enabled: bool) {
        self.set_flag(ENABLED, enabled);
    }

    /// The lock held, if any (it may have ended by now without an event noticing yet).
    fn lock_state(&self) -> Option<Lock> {
        if !self.has(LOCKED) {
            return None;
        }
        let cause = LockCause::of_bits((self.flags & CAUSE_MASK) >> CAUSE_SHIFT);
        Some(Lock {
            since: self.lock_since,
            until: self.optional(DEADLINE, self.lock_until),
            cause,
        })
    }

    fn set_lock_state(&mut self, lock: Option<Lock>) {
        let cause_bits = lock.map_or(0, |lock| lock.cause.bits());
        self.flags = (self.flags & !CAUSE_MASK) | (cause_bits << CAUSE_SHIFT);
        self.set_flag(LOCKED, lock.is_some());
        self.lock_since = lock.map_or(ABSENT, |lock| lock.since);
        let until = lock.and_then(|lock| lock.until);
        self.set_flag(DEADLINE, until.is_some());
        self.lock_until = until.unwrap_or(ABSENT);
    }

    fn last_failure(&self) -> Option<Instant> {
        self.optional(LAST_FAILURE, self.last_failure)
    }

    fn set_last_failure(&mut self, last_failure: Option<Instant>) {
        self.set_flag(LAST_FAILURE, last_failure.is_some());
        self.last_failure = last_failure.unwrap_or(ABSENT);
    }

    /// Clears the failure history, the latest failure's time included.
    pub(crate) fn clear_history(&mut self) {
        self.history = History::EMPTY;
        self.set_last_failure(None);
    }

    /// The count a failure at `now` builds on, after decay.
    fn decayed_count(&self, policy: &Policy, now: Instant) -> u32 {
        self.history.decayed_count(policy, now, self.last_failure())
    }

    /// Whether the user is enabled.
    #[must_use]
    pub const fn is_enabled(&self) -> bool {
        self.has(ENABLED)
    }

    /// The `now` of the latest event applied (attempts, rejected ones included, and
    /// administrator operations that were not refused); [`Instant::MIN`] before the first
    /// (which behaves the same: no instant is earlier).
    #[must_use]
    pub const fn last_seen(&self) -> Instant {
        self.last_seen
    }

    /// Counted failures since the last success or administrator unlock.
    #[must_use]
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

    /// [behaviour §1](crate::behaviour#s1), then what time alone did by `now`, in time order: locks that ended and
    /// attempts in flight that timed out ([behaviour §7.1](crate::behaviour#s7-1)). Every event goes through here first.
    fn observe(&mut self, policy: &Policy, now: Instant, transitions: &mut Transitions) {
        self.regress_to(now);
        // Most events find nothing due: one test of the deadline and of the oldest attempt.
        if self.anything_due(policy, now) {
            // Each step ends a lock or removes an attempt, so this ends.
            while self.step(policy, now, transitions) {}
        }
    }

    /// [behaviour §1](crate::behaviour#s1)'s shift when `now` is before `last_seen`; then `last_seen` is `now`.
    pub(crate) fn regress_to(&mut self, now: Instant) {
        if now < self.last_seen {
            let from = self.last_seen;
            if let Some(mut lock) = self.lock_state() {
                lock.since = lock.since.shifted(from, now);
                lock.until = lock.until.map(|until| until.shifted(from, now));
                self.set_lock_state(Some(lock));
            }
            self.set_last_failure(self.last_failure().map(|time| time.shifted(from, now)));
            self.history.shift(from, now);
            self.attempts.shift(from, now);
        }
        self.last_seen = now;
    }

    /// The earliest thing time alone does by `now`: the end of the lock held, or an
    /// attempt in flight that timed out.
    pub(crate) fn next_due(&self, policy: &Policy, now: Instant) -> Option<Due> {
        let expiry = self
            .lock_state()
            .and_then(|lock| lock.until)
            .filter(|until| *until <= now);
        let timeout = self
            .attempts
            .get(0)
            .map(|attempt| attempt.timeout(policy))
            .filter(|timeout| *timeout <= now);
        match (expiry, timeout) {
            // At `unlockAt` the account is open again: an expiry goes first.
            (Some(until), timeout) if timeout.is_none_or(|timeout| until <= timeout) => {
                Some(Due::Expiry(until))
            }
            (_, Some(timeout)) => Some(Due::Timeout(timeout)),
            (_, None) => None,
        }
    }

    /// Applies [`Account::next_due`]; whether there was anything to apply.
    pub(crate) fn step(
        &mut self,
        policy: &Policy,
        now: Instant,
        transitions: &mut Transitions,
    ) -> bool {
        match self.next_due(policy, now) {
            Some(Due::Expiry(until)) => self.expire_lock(policy, until, transitions),
            Some(Due::Timeout(at)) => {
                self.attempts.remove(0);
                self.fail(policy, at, None, transitions);
            }
            None => return false,
        }
        true
    }

    /// The end by itself of the lock held, at its deadline `until`.
    fn expire_lock(&mut self, policy: &Policy, until: Instant, transitions: &mut Transitions) {
        let ended = self.lock_state();
        self.set_lock_state(None);
        // Only the end of a lock by the count starts the count again: the end of a
        // quick-failure lock must not wipe the failures that lead to the real one.
        if ended.is_some_and(|lock| lock.cause == LockCause::Policy)
            && policy.rules().on_lock_end == OnLockEnd::Reset
        {
            self.history.count = 0;
            self.history.records = Records::EMPTY;
        }
        transitions.push(Transition::Unlocked {
            at: until,
            cause: UnlockCause::Expired,
        });
    }

    /// Whether an attempt in flight times out by `now` (an event at `now` would count it).
    fn attempt_due(&self, policy: &Policy, now: Instant) -> bool {
        self.attempts
            .get(0)
            .is_some_and(|attempt| self.timeout_of(policy, attempt, now) <= now)
    }

    /// The view of [behaviour §2](crate::behaviour#s2) at `now`. A read: it changes nothing, and at `now` earlier
    /// than the latest event it shows the account as the clock-regression shift would.
    ///
    /// It needs no policy, so it cannot count an attempt in flight that has timed out by
    /// `now` ([behaviour §7.1](crate::behaviour#s7-1)): while one has, use [`Account::view_with`], which can. With no
    /// attempt in flight, or none timed out, the two agree.
    #[must_use]
    pub fn view(&self, now: Instant) -> AccountView {
        let locked = self.lock_state().map(|lock| {
            if now < self.last_seen {
                (
                    lock.since.shifted(self.last_seen, now),
                    lock.until.map(|until| until.shifted(self.last_seen, now)),
                )
            } else {
                (lock.since, lock.until)
            }
        });
        AccountView::derive(self.is_enabled(), locked, now)
    }

    /// The view of [behaviour §2](crate::behaviour#s2) at `now`, with every attempt in flight that timed out by `now`
    /// counted as the next event would count it. A read: it changes nothing.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Duration, Instant, Status};
    ///
    /// let policy = PingOne { failure_count: 1, duration_seconds: Some(900) }.policy().unwrap()
    ///     .with_attempt_limits(8, Duration::from_secs(30)).unwrap();
    /// let mut account: Account = Account::new();
    /// account.begin_attempt(&policy, Instant::from_secs(0)).unwrap();
    /// // The verdict never came: 30 s later the attempt counts, and one failure locks.
    /// let view = account.view_with(&policy, Instant::from_secs(31));
    /// assert_eq!(view.status, Status::Locked);
    /// assert_eq!(view.locked_at, Some(Instant::from_secs(30)));
    /// ```
    #[must_use]
    pub fn view_with(&self, policy: &Policy, now: Instant) -> AccountView {
        if !self.attempt_due(policy, now) {
            return self.view(now);
        }
        let (observed, _) = self.observed(policy, now);
        observed.view(now)
    }

    /// Why an attempt at `now` is rejected, for an account that has observed `now`.
    pub(crate) fn rejection(&self) -> Option<Rejection> {
        if !self.is_enabled() {
            Some(Rejection::Disabled)
        } else {
            self.lock_state().map(|lock| Rejection::Locked {
                unlock_at: lock.until,
            })
        }
    }

    /// How many more failures, counted at `now`, would lock the account, less the attempts
    /// in flight ([behaviour §7.6](crate::behaviour#s7-6): the budget, by the threshold, the
    /// length table, the quick-failure rule and the consecutive-failure cap). `None` when
    /// the account cannot count now (locked or disabled) or no number of failures locks it.
    /// A read: computed when asked, so operations that no caller asks it of never pay for
    /// it.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Instant};
    ///
    /// let policy = PingOne { failure_count: 3, duration_seconds: Some(60) }.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// let now = Instant::from_secs(0);
    /// assert_eq!(account.failures_remaining(&policy, now), Some(3));
    /// account.failure(&policy, now, None).unwrap();
    /// assert_eq!(account.failures_remaining(&policy, now), Some(2));
    /// account.failure(&policy, now, None).unwrap();
    /// account.failure(&policy, now, None).unwrap();
    /// assert_eq!(account.failures_remaining(&policy, now), None); // locked
    /// ```
    #[must_use]
    pub fn failures_remaining(&self, policy: &Policy, now: Instant) -> Option<u32> {
        if self.observing_changes_nothing_read(policy, now) {
            return self.remaining_observed(policy, now);
        }
        let (observed, _) = self.observed(policy, now);
        observed.remaining_observed(policy, now)
    }

    /// [`Account::failures_remaining`] for an account that has observed `now`.
    fn remaining_observed(&self, policy: &Policy, now: Instant) -> Option<u32> {
        if !self.is_enabled() || self.has(LOCKED) {
            return None;
        }
        let in_flight = u32::try_from(self.attempts.len()).unwrap_or(u32::MAX);
        self.budget(policy, now)
            .map(|budget| budget.saturating_sub(in_flight))
    }

    /// The budget of [behaviour §7.6](crate::behaviour#s7-6) for an observed account: how many failures counted at
    /// `now` would lock it.
    fn budget(&self, policy: &Policy, now: Instant) -> Option<u32> {
        policy.budget(Standing {
            now,
            count: self.decayed_count(policy, now),
            consecutive: self.history.consecutive,
            temporary_locks: self.history.temporary_locks,
            since_previous: self
                .last_failure()
                .map(|previous| now.saturating_duration_since(previous)),
        })
    }

    /// The policy's failure count as a failure at `now` would find it (after decay).
    #[must_use]
    pub fn failure_count(&self, policy: &Policy, now: Instant) -> u32 {
        if self.observing_changes_nothing_read(policy, now) {
            return self.decayed_count(policy, now);
        }
        let (observed, _) = self.observed(policy, now);
        observed.decayed_count(policy, now)
    }

    /// May the user authenticate at `now`? A read: it changes nothing ([behaviour §3](crate::behaviour#s3)).
    pub fn check(&self, policy: &Policy, now: Instant) -> Outcome {
        if self.observing_changes_nothing_read(policy, now) {
            return Outcome::attempt(self.rejection(), Transitions::NONE);
        }
        let (observed, _) = self.observed(policy, now);
        Outcome::attempt(observed.rejection(), Transitions::NONE)
    }

    /// `check`'s decision alone, the view's `canAuthenticate`: whether the user is enabled
    /// and no lock is in effect at `now`. It needs no policy, and is the cheapest question
    /// a login path can ask. Like [`Account::view`], it does not count attempts in flight
    /// that timed out by `now`; [`Account::check`] does.
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
    #[must_use]
    pub fn can_authenticate(&self, now: Instant) -> bool {
        self.is_enabled()
            && self.lock_state().is_none_or(|lock| {
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
    /// did not go back, no lock ends and no attempt in flight times out by `now`. Reads
    /// then skip the copy `observed` makes (only `last_seen` would differ, and no read
    /// looks at it).
    fn observing_changes_nothing_read(&self, policy: &Policy, now: Instant) -> bool {
        // A deadline is only ever set on a lock.
        now >= self.last_seen && !self.anything_due(policy, now)
    }

    /// Whether time alone changes something by `now`: the lock's deadline passed, or the
    /// oldest attempt in flight timed out ([`Account::next_due`] says which comes first).
    fn anything_due(&self, policy: &Policy, now: Instant) -> bool {
        // A deadline is only ever set on a lock.
        (self.has(DEADLINE) && self.lock_until <= now) || self.attempt_due(policy, now)
    }

    fn ensure_capacity(policy: &Policy) -> Result<(), CapacityError> {
        if policy.records_needed() > RECORDS || policy.memory_needed() > MEMORY {
            return Err(Self::capacity_error(policy));
        }
        Ok(())
    }

    /// What the policy needs of the account type, beside what the type holds.
    fn capacity_error(policy: &Policy) -> CapacityError {
        CapacityError::of(policy, RECORDS, MEMORY, ATTEMPTS)
    }

    /// A failed attempt at `now`, with the fingerprint of the attempted credential if the
    /// host has one ([behaviour §3](crate::behaviour#s3)).
    ///
    /// Rejected (nothing changes but `last_seen`) while locked or disabled; ignored if its
    /// fingerprint is remembered; otherwise counted by the policy, possibly locking.
    pub fn failure(
        &mut self,
        policy: &Policy,
        now: Instant,
        credential: Option<Fingerprint>,
    ) -> Result<Outcome, CapacityError> {
        Self::ensure_capacity(policy)?;
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        let rejection = self.fail(policy, now, credential, &mut transitions);
        Ok(Outcome::attempt(rejection, transitions))
    }

    /// A failed attempt after `observe`: rejected, ignored as repeated, or counted.
    #[inline]
    fn fail(
        &mut self,
        policy: &Policy,
        now: Instant,
        credential: Option<Fingerprint>,
        transitions: &mut Transitions,
    ) -> Option<Rejection> {
        let rejection = self.rejection();
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

    /// Counts an allowed failure: decay, count, then the lock the policy decides.
    fn count_failure(
        &mut self,
        policy: &Policy,
        now: Instant,
        credential: Option<Fingerprint>,
        transitions: &mut Transitions,
    ) {
        let rules = policy.rules();
        let since_previous = self
            .last_failure()
            .map(|previous| now.saturating_duration_since(previous));
        let base = self.decayed_count(policy, now);
        self.set_last_failure(Some(now));

        let history = &mut self.history;
        if rules.decay.forgets_temporary_locks(since_previous) {
            history.temporary_locks = 0;
        }
        history.count =
            rules
                .decay
                .count_failure(base, &mut history.records, now, policy.records_needed());
        history.consecutive = history.consecutive.saturating_add(1);
        if let Some(fingerprint) = credential {
            history
                .memory
                .push(fingerprint, usize::from(rules.repeated_credential_memory));
        }
        transitions.push_counted(history.count);

        let (decision, temporary_locks) = policy.lock_decision(FailureContext {
            now,
            count: history.count,
            consecutive: history.consecutive,
            temporary_locks: history.temporary_locks,
            since_previous,
        });
        history.temporary_locks = temporary_locks;
        match decision {
            LockDecision::Open => {}
            LockDecision::Until(until, cause) => {
                self.start_lock(now, Some(until), cause, transitions)
            }
            LockDecision::Permanent(cause) => self.start_lock(now, None, cause, transitions),
        }
    }

    /// The account goes from `OK` to `LOCKED` at `now`.
    fn start_lock(
        &mut self,
        now: Instant,
        until: Option<Instant>,
        cause: LockCause,
        transitions: &mut Transitions,
    ) {
        self.set_lock_state(Some(Lock {
            since: now,
            until,
            cause,
        }));
        transitions.push(Transition::Locked {
            at: now,
            until,
            cause,
        });
    }

    /// A successful attempt at `now` ([behaviour §3](crate::behaviour#s3)).
    ///
    /// Rejected (nothing changes but `last_seen`) while locked or disabled: a success
    /// never ends a lock. Otherwise the policy's success rule applies, and remembered
    /// fingerprints and the consecutive-failure count are cleared.
    pub fn success(&mut self, policy: &Policy, now: Instant) -> Outcome {
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        let rejection = self.succeed(policy);
        Outcome::attempt(rejection, transitions)
    }

    /// A successful attempt after `observe`: rejected, or the success rules applied.
    fn succeed(&mut self, policy: &Policy) -> Option<Rejection> {
        let rejection = self.rejection();
        if rejection.is_none() {
            if policy.rules().on_success == OnSuccess::Reset {
                self.set_last_failure(None);
                self.history.count = 0;
                self.history.temporary_locks = 0;
                self.history.records = Records::EMPTY;
            }
            self.history.consecutive = 0;
            self.history.memory = Memory::EMPTY;
        }
        rejection
    }

    /// Ends any lock now and clears the failure history.
    fn end_lock_and_history(&mut self, now: Instant, transitions: &mut Transitions) {
        if self.has(LOCKED) {
            self.set_lock_state(None);
            transitions.push(Transition::Unlocked {
                at: now,
                cause: UnlockCause::Administrator,
            });
        }
        self.clear_history();
    }

    /// The administrator lock rule of [behaviour §4](crate::behaviour#s4), after validation.
    fn lock_by_administrator(
        &mut self,
        now: Instant,
        until: Option<Instant>,
        transitions: &mut Transitions,
    ) {
        let cause = LockCause::Administrator;
        match self.lock_state() {
            None => self.start_lock(now, until, cause, transitions),
            // Already the administrator's, with this deadline: nothing to change.
            Some(lock) if lock.cause == cause && lock.until == until => {}
            Some(lock) => {
                if lock.cause.is_automatic() {
                    self.clear_history();
                }
                self.set_lock_state(Some(Lock {
                    until,
                    cause,
                    ..lock
                }));
                transitions.push(Transition::LockChanged { until, cause });
            }
        }
    }

    /// Administrator unlock ([behaviour §4](crate::behaviour#s4)): ends any lock and clears the failure history,
    /// also on an `OK` account. It does not enable a disabled user.
    pub fn unlock(&mut self, policy: &Policy, now: Instant) -> Outcome {
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        self.end_lock_and_history(now, &mut transitions);
        Outcome::administrative(transitions)
    }

    /// Administrator lock ([behaviour §4](crate::behaviour#s4)) until `until`, or with no deadline.
    ///
    /// On an `OK` account it leaves the failure history alone; it takes over an automatic
    /// lock (clearing the history, as an unlock would); on an administrator's lock it
    /// changes only the deadline. `lockedAt` is kept while the account stays locked.
    pub fn lock(
        &mut self,
        policy: &Policy,
        now: Instant,
        until: Option<Instant>,
    ) -> Result<Outcome, LockError> {
        if until.is_some_and(|until| until <= now) {
            return Err(LockError::UnlockAtNotInFuture);
        }
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        self.lock_by_administrator(now, until, &mut transitions);
        Ok(Outcome::administrative(transitions))
    }

    /// Administrator patch of the account fields ([behaviour §4](crate::behaviour#s4)). Validation of the body is
    /// [`Patch`]'s; this checks what depends on the account and `now`, then applies
    /// `canAuthenticate` and `status` before `unlockAt`. On error nothing changes.
    pub fn patch(
        &mut self,
        policy: &Policy,
        now: Instant,
        patch: &Patch,
    ) -> Result<Outcome, PatchError> {
        // With the attempts that timed out by `now` counted, as every answer is.
        patch.check_deadline(|| self.view_with(policy, now).status, now)?;
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        match patch.can_authenticate {
            Some(false) if self.is_enabled() => {
                self.set_enabled(false);
                transitions.push(Transition::Disabled);
            }
            Some(true) => {
                if !self.is_enabled() {
                    self.set_enabled(true);
                    transitions.push(Transition::Enabled);
                }
                self.end_lock_and_history(now, &mut transitions);
            }
            _ => {}
        }
        match patch.status {
            Some(Status::Locked) => {
                let deadline_follows = matches!(patch.unlock_at, Some(UnlockAtPatch::At(_)));
                if !self.has(LOCKED) && !deadline_follows {
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
            Some(UnlockAtPatch::Clear) if self.has(LOCKED) => {
                self.lock_by_administrator(now, None, &mut transitions);
            }
            _ => {}
        }
        Ok(Outcome::administrative(transitions))
    }

    /// Applies one operation: the same as calling its method.
    ///
    /// ```
    /// use account_lockout::{dialect::Tpm, Account, Instant, Operation};
    /// let policy = Tpm::DEFAULT.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// let now = Instant::from_secs(1);
    /// let outcome = account.apply(&policy, now, Operation::Failure { credential: None }).unwrap();
    /// assert!(outcome.is_allowed());
    /// assert_eq!(account.failures_remaining(&policy, now), Some(2));
    /// ```
    pub fn apply(
        &mut self,
        policy: &Policy,
        now: Instant,
        operation: Operation,
    ) -> Result<Outcome, OperationError> {
        Ok(match operation {
            Operation::Check => self.check(policy, now),
            Operation::Failure { credential } => self.failure(policy, now, credential)?,
            Operation::Success => self.success(policy, now),
            Operation::Unlock => self.unlock(policy, now),
            Operation::Lock { until } => self.lock(policy, now, until)?,
            Operation::Patch(patch) => self.patch(policy, now, &patch)?,
        })
    }

    /// The deadline of the lock held, if one is held: `Some(None)` for a lock only an
    /// administrator ends. For an account that has observed the instant asked about.
    pub(crate) fn held_lock_until(&self) -> Option<Option<Instant>> {
        self.lock_state().map(|lock| lock.until)
    }

    /// The oldest attempt in flight leaves flight without a verdict (rejected: another
    /// source held a lock when it timed out).
    pub(crate) fn drop_oldest_attempt(&mut self) {
        self.attempts.remove(0);
    }

    /// Every attempt in flight leaves flight without a verdict; how many did.
    pub(crate) fn drop_attempts(&mut self) -> usize {
        let count = self.attempts.len();
        self.attempts = InFlight::EMPTY;
        count
    }

    /// The attempt of `token` leaves flight without a verdict; whether it was in flight.
    pub(crate) fn leave_flight(&mut self, token: AttemptToken) -> bool {
        match self.attempts.position(token) {
            Some(index) => {
                self.attempts.remove(index);
                true
            }
            None => false,
        }
    }

    /// The cause of the lock held, if one is held. For an observed account.
    pub(crate) fn held_lock_cause(&self) -> Option<LockCause> {
        self.lock_state().map(|lock| lock.cause)
    }

    /// Moves the lock `other` holds into this account, which holds none: an
    /// administrator operation is about to take it over or end it
    /// ([behaviour §7.3](crate::behaviour#s7-3)).
    pub(crate) fn absorb_lock_of<const R: usize, const M: usize, const A: usize>(
        &mut self,
        other: &mut Account<R, M, A>,
    ) {
        if let Some(lock) = other.lock_state() {
            let merged = match self.lock_state() {
                None => lock,
                // Never both in practice (a source cannot lock while another holds a
                // lock); keep the earlier start, as the folded view shows it.
                Some(held) => Lock {
                    since: held.since.min(lock.since),
                    ..held
                },
            };
            self.set_lock_state(Some(merged));
            other.set_lock_state(None);
        }
    }

    /// PingOne's password unlock ([behaviour §7.3](crate::behaviour#s7-3)), after observing
    /// `now`: ends a lock that attempts started (not an administrator's) and clears the
    /// failure history.
    pub(crate) fn end_automatic_lock_and_history(
        &mut self,
        now: Instant,
        transitions: &mut Transitions,
    ) {
        if self
            .lock_state()
            .is_some_and(|lock| lock.cause.is_automatic())
        {
            self.set_lock_state(None);
            transitions.push(Transition::Unlocked {
                at: now,
                cause: UnlockCause::Administrator,
            });
        }
        self.clear_history();
    }

    /// Why the account is locked at `now`, if it is.
    #[must_use]
    pub fn lock_cause(&self, now: Instant) -> Option<LockCause> {
        match self.view(now).status {
            Status::Locked => self.lock_state().map(|lock| lock.cause),
            Status::Ok => None,
        }
    }
}
