//! The power-loss-safe attempt protocol, as TPMs, Android Gatekeeper and smart cards do
//! it: the failure is recorded *before* the credential is checked.
//!
//! 1. [`Account::begin_attempt`] marks an attempt in flight and returns a token.
//! 2. The host persists the state, then verifies the credential.
//! 3. [`Account::finish_attempt`] applies the verdict: a success or a failure.
//!
//! A state restored from storage with an attempt still in flight has lost its verdict:
//! [`Account::recover`] counts it as a failure. So a power cut at any point loses no
//! failure, and a finished success never counts as one:
//!
//! | power cut | the stored state | after `recover` |
//! |---|---|---|
//! | before the state with the mark is persisted | no attempt | no attempt (nothing was verified) |
//! | after persisting, before or after verifying | attempt in flight | one failure |
//! | after finishing and persisting | the verdict applied | the verdict, once |
//!
//! One attempt is in flight per account: beginning another counts the pending one as a
//! failure, as a power cut would, and its token stops working.
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

use super::Account;
use crate::fingerprint::Fingerprint;
use crate::operation::CapacityError;
use crate::outcome::{Outcome, Transitions};
use crate::policy::Policy;
use crate::time::{Clock, Instant};

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

    /// When the attempt began.
    pub const fn started(&self) -> Instant {
        self.started
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
pub enum AttemptError {
    /// The account type is too small for the policy.
    Capacity(CapacityError),
    /// The token is not the attempt in flight: already finished, replaced by a later
    /// attempt (which counted it as a failure), or recovered after a restore.
    UnknownAttempt,
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Capacity(error) => error.fmt(f),
            AttemptError::UnknownAttempt => f.write_str(
                "the token is not the attempt in flight (finished, replaced or recovered)",
            ),
        }
    }
}

impl core::error::Error for AttemptError {}

impl From<CapacityError> for AttemptError {
    fn from(error: CapacityError) -> AttemptError {
        AttemptError::Capacity(error)
    }
}

impl<const RECORDS: usize, const MEMORY: usize> Account<RECORDS, MEMORY> {
    /// Begins an attempt at `now`: if the account can authenticate, marks the attempt in
    /// flight and returns its token. Persist the account before checking the credential.
    ///
    /// An attempt already in flight is counted as a failure first.
    pub fn begin_attempt(
        &mut self,
        policy: &Policy,
        clock: impl Clock,
    ) -> Result<AttemptStart, CapacityError> {
        let now = clock.now();
        Self::ensure_capacity(policy)?;
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        if self.attempt_in_flight().is_some() {
            self.set_in_flight(None);
            self.fail(policy, now, None, &mut transitions);
        }
        let rejection = self.rejection(now);
        let token = match rejection {
            Some(_) => None,
            None => {
                // Serial 0 means "no attempt ever begun": a wrap skips it.
                self.attempt_serial = self.attempt_serial.checked_add(1).unwrap_or(1);
                self.set_in_flight(Some(now));
                Some(AttemptToken {
                    serial: self.attempt_serial,
                    started: now,
                })
            }
        };
        Ok(AttemptStart {
            outcome: self.attempt_outcome(policy, now, rejection, transitions),
            token,
        })
    }

    /// Finishes the attempt of `token` with the credential check's verdict, at `now`.
    ///
    /// The verdict is applied as a [`Account::success`] or [`Account::failure`] at `now`
    /// would be: if the account was locked or disabled in the meantime, it is rejected.
    pub fn finish_attempt(
        &mut self,
        policy: &Policy,
        clock: impl Clock,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, AttemptError> {
        let now = clock.now();
        Self::ensure_capacity(policy)?;
        // The serial restarts with a new account (a table drops dormant ones), so the start
        // instant must match too.
        if self.attempt_in_flight() != Some(token.started) || self.attempt_serial != token.serial {
            return Err(AttemptError::UnknownAttempt);
        }
        let mut transitions = Transitions::NONE;
        self.observe(policy, now, &mut transitions);
        self.set_in_flight(None);
        let rejection = match verdict {
            Verdict::Success => self.succeed(policy, now),
            Verdict::Failure { credential } => self.fail(policy, now, credential, &mut transitions),
        };
        Ok(self.attempt_outcome(policy, now, rejection, transitions))
    }

    /// After restoring a stored state: an attempt still in flight lost its verdict, so it
    /// counts as a failure at `now`. Without one, nothing changes.
    pub fn recover(
        &mut self,
        policy: &Policy,
        clock: impl Clock,
    ) -> Result<Outcome, CapacityError> {
        let now = clock.now();
        Self::ensure_capacity(policy)?;
        let mut transitions = Transitions::NONE;
        if self.attempt_in_flight().is_none() {
            return Ok(Outcome {
                decision: None,
                failures_remaining: self.failures_remaining(policy, now),
                transitions,
            });
        }
        self.observe(policy, now, &mut transitions);
        self.set_in_flight(None);
        self.fail(policy, now, None, &mut transitions);
        Ok(Outcome {
            decision: None,
            failures_remaining: self.failures_remaining(policy, now),
            transitions,
        })
    }

    /// When the attempt in flight began (as the clock said then), if there is one.
    pub const fn attempt_in_flight(&self) -> Option<Instant> {
        self.optional(super::IN_FLIGHT, self.in_flight)
    }
}
