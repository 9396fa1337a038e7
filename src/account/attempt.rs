//! The power-loss-safe attempt protocol, as TPMs, Android Gatekeeper and smart cards do
//! it, for any number of concurrent logins ([behaviour §7.1](crate::behaviour#s7-1)): the failure is reserved *before*
//! the credential is checked.
//!
//! 1. [`Account::begin_attempt`] puts an attempt in flight and returns a token.
//! 2. The host persists the state, then verifies the credential.
//! 3. [`Account::finish_attempt`] applies the verdict: a success or a failure; or
//!    [`Account::abandon_attempt`] takes the attempt out of flight with no verdict.
//!
//! A state restored from storage with attempts still in flight has lost their verdicts:
//! [`Account::recover`] counts each as a failure. So a power cut at any point loses no
//! failure, and a finished success never counts as one:
//!
//! | power cut | the stored state | after `recover` |
//! |---|---|---|
//! | before the state with the mark is persisted | no attempt | no attempt (nothing was verified) |
//! | after persisting, before or after verifying | attempt in flight | one failure |
//! | after finishing and persisting | the verdict applied | the verdict, once |
//!
//! **Several attempts in flight.** A user's phone, laptop and mail client sign in at
//! once: their attempts are in flight together, and each success counts nothing. Each
//! attempt in flight reserves one failure of the lock's *budget* (how many failures at
//! `now` would lock), so no more credentials are verified than the lock allows: once the
//! attempts in flight fill the budget, or the policy's `maxAttemptsInFlight`, `begin` is
//! refused as [`Rejection::Busy`]. An attempt that stays in flight for the policy's
//! `attemptTimeoutSeconds` counts as a failure at its start plus the timeout (a node that
//! crashed mid-check cannot leave a free guess behind).
//!
//! ```
//! use account_lockout::{dialect::Tpm, Account, Instant, Verdict};
//!
//! let policy = Tpm { max_tries: 3, recovery_time: 600 }.policy().unwrap();
//! let mut account: Account = Account::new();
//! let t = Instant::from_secs(100);
//!
//! let start = account.begin_attempt(&policy, t).unwrap();
//! let token = start.token.expect("allowed");
//! let stored = account; // persisted before the credential is checked
//! // ... power is cut while verifying: the device restores `stored` at boot.
//! let mut restored = stored;
//! restored.recover(&policy, Instant::from_secs(130)).unwrap();
//! assert_eq!(restored.failure_count(&policy, Instant::from_secs(130)), 1);
//!
//! // Without the power cut, a success finishes the attempt and counts nothing.
//! account.finish_attempt(&policy, Instant::from_secs(101), token, Verdict::Success).unwrap();
//! assert_eq!(account.failure_count(&policy, Instant::from_secs(101)), 0);
//! ```

use core::fmt;

use super::{ABSENT, Account};
use crate::fingerprint::Fingerprint;
use crate::operation::CapacityError;
use crate::outcome::{Outcome, Rejection, Transitions};
use crate::policy::Policy;
use crate::time::Instant;

/// The handle of an attempt in flight, from [`Account::begin_attempt`]. Single use: it
/// finishes the attempt it began, identified by a serial number and the start instant,
/// and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AttemptToken {
    serial: u16,
    started: Instant,
}

impl AttemptToken {
    /// The length of [`AttemptToken::to_bytes`].
    pub const ENCODED_LEN: usize = 10;

    /// When the attempt began, as the clock said then (a later clock regression moves
    /// the attempt's timeout, not its token).
    #[must_use]
    pub const fn started(&self) -> Instant {
        self.started
    }

    /// The attempt's serial number within its account (never 0).
    #[must_use]
    pub const fn serial(&self) -> u16 {
        self.serial
    }

    pub(super) const fn from_parts(serial: u16, started: Instant) -> AttemptToken {
        AttemptToken { serial, started }
    }

    /// The token as bytes (the serial, then the start in milliseconds, little-endian), to
    /// hand to another process or node that finishes the attempt.
    ///
    /// ```
    /// use account_lockout::{dialect::Tpm, Account, AttemptToken, Instant, Verdict};
    ///
    /// let policy = Tpm::DEFAULT.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// let token = account.begin_attempt(&policy, Instant::from_secs(1)).unwrap().token.unwrap();
    /// let sent = token.to_bytes();
    /// let received = AttemptToken::from_bytes(sent);
    /// assert!(account.finish_attempt(&policy, Instant::from_secs(2), received, Verdict::Success).is_ok());
    /// ```
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; Self::ENCODED_LEN] {
        let serial = self.serial.to_le_bytes();
        let started = self.started.as_millis().to_le_bytes();
        [
            serial[0], serial[1], started[0], started[1], started[2], started[3], started[4],
            started[5], started[6], started[7],
        ]
    }

    /// A token from [`AttemptToken::to_bytes`]. Any bytes make a token: one that names
    /// no attempt in flight is refused by [`Account::finish_attempt`] with
    /// [`AttemptError::UnknownAttempt`], and changes nothing.
    pub const fn from_bytes(bytes: [u8; Self::ENCODED_LEN]) -> AttemptToken {
        let [s0, s1, t0, t1, t2, t3, t4, t5, t6, t7] = bytes;
        AttemptToken {
            serial: u16::from_le_bytes([s0, s1]),
            started: Instant::from_millis(i64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7])),
        }
    }
}

/// What the credential check said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Verdict {
    /// The credential was right.
    Success,
    /// The credential was wrong.
    Failure {
        /// The attempted credential's fingerprint, if the host has one.
        credential: Option<Fingerprint>,
    },
}

/// What [`Account::begin_attempt`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AttemptStart {
    /// Whether the attempt may go on (its decision), and what beginning it changed.
    pub outcome: Outcome,
    /// The token to finish it with; `None` when the attempt was rejected.
    pub token: Option<AttemptToken>,
}

/// A refused [`Account::finish_attempt`]; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AttemptError {
    /// The account type is too small for the policy.
    Capacity(CapacityError),
    /// The token names no attempt in flight: already finished, timed out (it counted as
    /// a failure), or recovered after a restore.
    UnknownAttempt,
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Capacity(error) => error.fmt(f),
            AttemptError::UnknownAttempt => f.write_str(
                "the token names no attempt in flight (finished, timed out or recovered)",
            ),
        }
    }
}

impl core::error::Error for AttemptError {}

impl AttemptError {
    /// The error code: `account_too_small` or `unknown_attempt`.
    #[must_use]
    pub const fn code(self) -> crate::operation::ErrorCode {
        match self {
            AttemptError::Capacity(error) => error.code(),
            AttemptError::UnknownAttempt => crate::operation::ErrorCode::UnknownAttempt,
        }
    }
}

impl From<CapacityError> for AttemptError {
    fn from(error: CapacityError) -> AttemptError {
        AttemptError::Capacity(error)
    }
}

/// One attempt in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Attempt {
    /// Its token's identity: the serial and the start as the clock said at `begin`.
    pub(super) token: AttemptToken,
    /// Its start, moved back by every clock regression since ([behaviour §7.1](crate::behaviour#s7-1)): the timeout
    /// runs from here.
    pub(super) start: Instant,
}

impl Attempt {
    /// When it times out under `policy` ([behaviour §7.1](crate::behaviour#s7-1)): its
    /// (moved) start plus `attemptTimeoutSeconds`, saturating at [`Instant::MAX`].
    pub(super) fn timeout(self, policy: &Policy) -> Instant {
        self.start.saturating_add(policy.rules().attempt_timeout)
    }
}

/// The attempts in flight, oldest first, in `ATTEMPTS` inline slots. Unused slots hold
/// zeros, so that equality and hashing see only the attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct InFlight<const ATTEMPTS: usize> {
    serials: [u16; ATTEMPTS],
    begun: [Instant; ATTEMPTS],
    starts: [Instant; ATTEMPTS],
    len: u8,
}

impl<const ATTEMPTS: usize> InFlight<ATTEMPTS> {
    pub(super) const EMPTY: Self = InFlight {
        serials: [0; ATTEMPTS],
        begun: [ABSENT; ATTEMPTS],
        starts: [ABSENT; ATTEMPTS],
        len: 0,
    };

    pub(super) const fn len(&self) -> usize {
        self.len as usize
    }

    pub(super) fn get(&self, index: usize) -> Option<Attempt> {
        if index >= self.len() {
            return None;
        }
        Some(Attempt {
            token: AttemptToken {
                serial: *self.serials.get(index)?,
                started: *self.begun.get(index)?,
            },
            start: *self.starts.get(index)?,
        })
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = Attempt> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// Appends an attempt; `false` (and nothing changes) when every slot is taken.
    pub(super) fn push(&mut self, attempt: Attempt) -> bool {
        let index = self.len();
        match (
            self.serials.get_mut(index),
            self.begun.get_mut(index),
            self.starts.get_mut(index),
        ) {
            (Some(serial), Some(begun), Some(start)) => {
                *serial = attempt.token.serial;
                *begun = attempt.token.started;
                *start = attempt.start;
                self.len = self.len.saturating_add(1);
                true
            }
            _ => false,
        }
    }

    /// Removes the attempt at `index`, keeping the others in order.
    pub(super) fn remove(&mut self, index: usize) {
        let len = self.len();
        if index >= len {
            return;
        }
        if let (Some(serials), Some(begun), Some(starts)) = (
            self.serials.get_mut(index..len),
            self.begun.get_mut(index..len),
            self.starts.get_mut(index..len),
        ) {
            serials.rotate_left(1);
            begun.rotate_left(1);
            starts.rotate_left(1);
        }
        let last = len.saturating_sub(1);
        if let Some(serial) = self.serials.get_mut(last) {
            *serial = 0;
        }
        if let Some(begun) = self.begun.get_mut(last) {
            *begun = ABSENT;
        }
        if let Some(start) = self.starts.get_mut(last) {
            *start = ABSENT;
        }
        self.len = self.len.saturating_sub(1);
    }

    /// Where the attempt of `token` is.
    pub(super) fn position(&self, token: AttemptToken) -> Option<usize> {
        self.iter().position(|attempt| attempt.token == token)
    }

    /// [behaviour §1](crate::behaviour#s1)'s shift, applied to every start (not to the tokens' identities).
    pub(super) fn shift(&mut self, from: Instant, to: Instant) {
        let len = self.len();
        for start in self.starts.iter_mut().take(len) {
            *start = start.shifted(from, to);
        }
    }
}

impl<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>
    Account<RECORDS, MEMORY, ATTEMPTS>
{
    /// Begins an attempt at `now`: if the account can authenticate and the attempts in
    /// flight leave room, puts the attempt in flight and returns its token. Persist the
    /// account before checking the credential.
    ///
    /// A refused attempt changes nothing but `last_seen`; its reason is, first match
    /// wins, [`Rejection::Disabled`], [`Rejection::Locked`], or [`Rejection::Busy`] (the
    /// attempts in flight fill the budget or `maxAttemptsInFlight`).
    /// [`Account::failures_remaining`] is the budget left after the attempts in flight.
    ///
    /// The account type must hold the policy's `maxAttemptsInFlight` (its `ATTEMPTS`
    /// parameter, 8 by default), or this is a [`CapacityError`].
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, Decision, Instant, Rejection, Verdict};
    ///
    /// // Three failures lock, so at most three credentials are checked at once.
    /// let policy = PingOne { failure_count: 3, duration_seconds: Some(900) }.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// let now = Instant::from_secs(100);
    /// let phone = account.begin_attempt(&policy, now).unwrap().token.unwrap();
    /// let laptop = account.begin_attempt(&policy, now).unwrap().token.unwrap();
    /// let mail = account.begin_attempt(&policy, now).unwrap();
    /// assert!(mail.outcome.is_allowed());
    /// assert_eq!(account.failures_remaining(&policy, now), Some(0));
    /// let fourth = account.begin_attempt(&policy, now).unwrap();
    /// assert_eq!(fourth.outcome.decision(), Some(Decision::Rejected(Rejection::Busy)));
    ///
    /// // The real user's successes count nothing.
    /// account.finish_attempt(&policy, now, phone, Verdict::Success).unwrap();
    /// account.finish_attempt(&policy, now, laptop, Verdict::Success).unwrap();
    /// assert_eq!(account.failure_count(&policy, now), 0);
    /// ```
    pub fn begin_attempt(
        &mut self,
        policy: &Policy,
        now: Instant,
    ) -> Result<AttemptStart, CapacityError> {
        Self::ensure_capacity(policy)?;
        if usize::from(policy.rules().max_attempts_in_flight) > ATTEMPTS {
            return Err(Self::capacity_error(policy));
        }
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        let rejection = self.rejection().or_else(|| self.busy(policy, now));
        let token = match rejection {
            Some(_) => None,
            None => {
                // Serial 0 means "no attempt ever begun": a wrap skips it.
                self.attempt_serial = self.attempt_serial.checked_add(1).unwrap_or(1);
                let token = AttemptToken {
                    serial: self.attempt_serial,
                    started: now,
                };
                // Room was checked by `busy` (the policy's limit fits the type).
                self.attempts
                    .push(Attempt { token, start: now })
                    .then_some(token)
            }
        };
        Ok(AttemptStart {
            outcome: Outcome::attempt(rejection, transitions),
            token,
        })
    }

    /// Whether a new attempt at `now` would find no room: the attempts in flight fill
    /// the lock's budget or the policy's `maxAttemptsInFlight`. For an observed account.
    fn busy(&self, policy: &Policy, now: Instant) -> Option<Rejection> {
        let in_flight = self.attempts.len();
        let limit = usize::from(policy.rules().max_attempts_in_flight).min(ATTEMPTS);
        let budget_spent = self
            .budget(policy, now)
            .is_some_and(|budget| in_flight >= usize::try_from(budget).unwrap_or(usize::MAX));
        (in_flight >= limit || budget_spent).then_some(Rejection::Busy)
    }

    /// Finishes the attempt of `token` with the credential check's verdict, at `now`.
    ///
    /// The verdict is applied as a [`Account::success`] or [`Account::failure`] at `now`
    /// would be: if the account was locked or disabled in the meantime, it is rejected
    /// (and the attempt leaves flight all the same). A token that names no attempt in
    /// flight, including one that has timed out by `now`, is
    /// [`AttemptError::UnknownAttempt`], and nothing changes.
    pub fn finish_attempt(
        &mut self,
        policy: &Policy,
        now: Instant,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, AttemptError> {
        let mut transitions = self.take_attempt(policy, now, token)?;
        let rejection = match verdict {
            Verdict::Success => self.succeed(policy),
            Verdict::Failure { credential } => self.fail(policy, now, credential, &mut transitions),
        };
        Ok(Outcome::attempt(rejection, transitions))
    }

    /// Takes the attempt of `token` out of flight at `now` without a verdict: the
    /// credential was never judged, or it was judged for another account. The attempt
    /// counts nothing, no success rule applies, and the failure of the budget it reserved
    /// is free again ([behaviour §7.1](crate::behaviour#s7-1)).
    ///
    /// A [`Guard`](crate::Guard) abandons the attempt of its source scope when a login
    /// succeeds: the address gets no credit for it, so an attacker cannot reset their
    /// address's count by logging into an account of their own between guesses. A host
    /// also abandons an attempt it cannot verify after all (the credential store is down),
    /// rather than count a failure the user did not make.
    ///
    /// The decision is what a verdict would meet at `now`: rejected if the account was
    /// locked or the user disabled in the meantime (the attempt leaves flight all the
    /// same), allowed otherwise. A token that names no attempt in flight, including one
    /// that has timed out by `now`, is [`AttemptError::UnknownAttempt`], and nothing
    /// changes.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Account, AttemptError, Instant};
    ///
    /// let policy = PingOne { failure_count: 1, duration_seconds: Some(60) }.policy().unwrap();
    /// let mut account: Account = Account::new();
    /// let now = Instant::from_secs(100);
    /// let token = account.begin_attempt(&policy, now).unwrap().token.unwrap();
    /// assert_eq!(account.failures_remaining(&policy, now), Some(0)); // reserved
    ///
    /// let outcome = account.abandon_attempt(&policy, now, token).unwrap();
    /// assert!(outcome.is_allowed());
    /// assert!(outcome.transitions().is_empty());
    /// assert_eq!(account.failures_remaining(&policy, now), Some(1)); // free again
    /// assert_eq!(account.attempts_in_flight(), 0);
    /// assert_eq!(
    ///     account.abandon_attempt(&policy, now, token),
    ///     Err(AttemptError::UnknownAttempt)
    /// );
    /// ```
    pub fn abandon_attempt(
        &mut self,
        policy: &Policy,
        now: Instant,
        token: AttemptToken,
    ) -> Result<Outcome, AttemptError> {
        let transitions = self.take_attempt(policy, now, token)?;
        Ok(Outcome::attempt(self.rejection(), transitions))
    }

    /// Observes `now` and takes the attempt of `token` out of flight: the first half of
    /// finishing or abandoning it. On error nothing changes.
    fn take_attempt(
        &mut self,
        policy: &Policy,
        now: Instant,
        token: AttemptToken,
    ) -> Result<Transitions, AttemptError> {
        Self::ensure_capacity(policy)?;
        // The serial restarts with a new account (a table drops dormant ones), so the start
        // instant is part of the identity too.
        let attempt = self
            .attempts
            .position(token)
            .and_then(|index| self.attempts.get(index))
            .ok_or(AttemptError::UnknownAttempt)?;
        if self.timeout_of(policy, attempt, now) <= now {
            return Err(AttemptError::UnknownAttempt);
        }
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        // Observing applies only timeouts that are due, and this one is not.
        if let Some(index) = self.attempts.position(token) {
            self.attempts.remove(index);
        }
        Ok(transitions)
    }

    /// When `attempt` times out, as an event at `now` would see it (after the shift of
    /// a clock regression).
    pub(super) fn timeout_of(&self, policy: &Policy, attempt: Attempt, now: Instant) -> Instant {
        let start = if now < self.last_seen {
            attempt.start.shifted(self.last_seen, now)
        } else {
            attempt.start
        };
        Attempt { start, ..attempt }.timeout(policy)
    }

    /// After restoring a stored state: the attempts in flight lost their verdicts. Those
    /// whose timeout is due count as failures at their timeouts; the rest count as
    /// failures at `now`, oldest first. Each is judged as a failure would be: rejected,
    /// and not counted, while the account is locked or disabled. It observes `now` like
    /// any event, also with nothing in flight.
    pub fn recover(&mut self, policy: &Policy, now: Instant) -> Result<Outcome, CapacityError> {
        Self::ensure_capacity(policy)?;
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        while self.attempts.len() > 0 {
            self.attempts.remove(0);
            self.fail(policy, now, None, &mut transitions);
        }
        Ok(Outcome::administrative(transitions))
    }

    /// A new account whose attempts are numbered after `serial`: a table re-creating a
    /// key's account passes the highest serial it let go, so that no token of an earlier
    /// account of the key names one of this one's attempts.
    pub(crate) const fn with_serials_after(serial: u16) -> Self {
        let mut account = Self::new();
        account.attempt_serial = serial;
        account
    }

    /// The serial of the latest attempt begun (0: none yet).
    pub(crate) const fn attempt_serial(&self) -> u16 {
        self.attempt_serial
    }

    /// How many attempts are in flight.
    #[must_use]
    pub const fn attempts_in_flight(&self) -> usize {
        self.attempts.len()
    }

    /// The tokens of the attempts in flight, oldest first: after a restore, a host that
    /// kept the verdicts it did learn can still finish those attempts.
    pub fn attempt_tokens(&self) -> impl Iterator<Item = AttemptToken> + '_ {
        self.attempts.iter().map(|attempt| attempt.token)
    }
}
