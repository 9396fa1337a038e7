//! The one general policy: when failures lock an account, for how long, and what time,
//! successes and the end of a lock do to the counters.
//!
//! Every dialect ([`crate::dialect`]) is a constructor of this one [`Policy`]; the state
//! machine in [`crate::account`] reads nothing else.

use core::fmt;

use crate::schedule::{MAX_SCHEDULE_STEPS, Schedule};
use crate::time::{Duration, Instant};

mod binary;
mod json;

/// The most failure times a [`Decay::SlidingWindow`] policy needs to keep.
pub const MAX_RECORDED_FAILURES: usize = 16;

/// The most credential fingerprints an account can remember.
pub const MAX_CREDENTIAL_MEMORY: usize = 8;

/// How long the lock started by a counted failure lasts, once the failure count has
/// reached the threshold. `count` below is the failure count including this failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// Without allocation the table lives inline; a policy is shared by reference, not copied
// per account, so its size costs one copy per policy.
#[allow(clippy::large_enum_variant)]
pub enum LockLength {
    /// No deadline: only an administrator unlocks.
    Permanent,
    /// Always the same length.
    Fixed(Duration),
    /// `increment × ⌊count / threshold⌋` (Keycloak's `MULTIPLE`).
    Multiple {
        /// The length added per multiple of the threshold.
        increment: Duration,
    },
    /// `increment × (1 + count − threshold)` (Keycloak's `LINEAR`).
    Linear {
        /// The length added per failure past the threshold.
        increment: Duration,
    },
    /// `initial × 2^(count − threshold)`: doubling per failure (OWASP, AWS Cognito,
    /// OpenLDAP's `pwdMinDelay`). Use [`Rules::max_lock`] to cap it.
    Exponential {
        /// The length at the threshold.
        initial: Duration,
    },
    /// An explicit table by failure count (Android Gatekeeper).
    Table(Schedule),
}

/// How counted failures fade with time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decay {
    /// They never fade; only a success (if the policy says so), the end of a lock (if the
    /// policy says so) or an administrator clears them.
    None,
    /// A counted failure that comes more than this long after the previous counted
    /// failure starts the count again (it becomes 1), and forgets the temporary locks.
    /// Active Directory's observation window, Keycloak's `maxDeltaTimeSeconds`.
    QuietWindow(Duration),
    /// The account keeps the times of its latest counted failures, at most `threshold` of
    /// them; a failure this long ago or longer is dropped. The count is the number kept
    /// (pam_faillock), so it never passes the threshold.
    SlidingWindow(Duration),
    /// The count drops by one for each full period since the latest counted failure
    /// (TPM 2.0 self-healing).
    SelfHealing(Duration),
}

/// What an allowed success does to the failure counters.
///
/// Whatever this says, a success always forgets remembered fingerprints and resets the
/// consecutive-failure count (SPEC §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OnSuccess {
    /// Clear the count, the recorded failures, the latest failure and the temporary locks.
    Reset,
    /// Leave them (TPM 2.0: only self-healing and an administrator lower the count).
    Keep,
}

/// What the end of a lock by itself does to the failure counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OnLockEnd {
    /// The count starts again from 0 and recorded failures are dropped; the number of
    /// temporary locks is kept, so escalation and permanent-after-N still work.
    Reset,
    /// The count survives the lock (Keycloak, Gatekeeper, TPM).
    Keep,
}

/// Quick-failure throttling (Keycloak's quick-login check).
///
/// A counted failure that comes less than `within` after the previous counted failure,
/// and that does not lock by the count, locks for `lock`. [`Rules::max_lock`] does not
/// apply to it; the Keycloak dialect folds Keycloak's cap in itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QuickFailure {
    /// How close two failures must be to count as quick.
    pub within: Duration,
    /// How long a quick failure locks.
    pub lock: Duration,
}

/// The general policy, before validation: every knob, with public fields.
///
/// [`Rules::NEVER_LOCK`] is the starting point; [`Rules::build`] validates it into a
/// [`Policy`]. In JSON it is the `custom` form (see the README).
///
/// ```
/// use account_lockout::{Decay, Duration, LockLength, Rules};
///
/// // Lock after 5 failures within 10 minutes, for 1 s doubling per failure, at most 15 min.
/// let policy = Rules {
///     threshold: 5,
///     lock: LockLength::Exponential { initial: Duration::from_secs(1) },
///     max_lock: Some(Duration::from_secs(900)),
///     decay: Decay::QuietWindow(Duration::from_secs(600)),
///     ..Rules::NEVER_LOCK
/// }
/// .build()
/// .unwrap();
/// assert_eq!(policy.rules().threshold, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rules {
    /// The failure count at which failures start to lock; 0 = the count never locks.
    pub threshold: u32,
    /// How long a lock lasts once the count has reached the threshold.
    pub lock: LockLength,
    /// A cap on every lock length computed from `lock`.
    pub max_lock: Option<Duration>,
    /// How counted failures fade with time.
    pub decay: Decay,
    /// What an allowed success does to the counters.
    pub on_success: OnSuccess,
    /// What the end of a lock by itself does to the counters.
    pub on_lock_end: OnLockEnd,
    /// Quick-failure throttling.
    pub quick_failure: Option<QuickFailure>,
    /// After this many temporary locks (since the counters last restarted), the next lock
    /// that the count would start is permanent instead (Keycloak's `maxTemporaryLockouts`).
    pub permanent_after_temporary_locks: Option<u16>,
    /// Compute lock deadlines from the start of the second of the failure, as Keycloak
    /// stores whole seconds (`floor(t/1000)*1000 + wait*1000`).
    pub deadline_from_whole_second: bool,
    /// Remember this many recent distinct credential fingerprints and ignore failures that
    /// repeat one (0..=8).
    pub repeated_credential_memory: u8,
    /// Lock with no deadline at this many counted failures since the last success or
    /// administrator unlock, whatever the windows say (NIST SP 800-63B caps it at 100).
    pub max_consecutive_failures: Option<u32>,
}

impl Rules {
    /// A policy that never locks: the base for struct-update syntax.
    pub const NEVER_LOCK: Rules = Rules {
        threshold: 0,
        lock: LockLength::Permanent,
        max_lock: None,
        decay: Decay::None,
        on_success: OnSuccess::Reset,
        on_lock_end: OnLockEnd::Reset,
        quick_failure: None,
        permanent_after_temporary_locks: None,
        deadline_from_whole_second: false,
        repeated_credential_memory: 0,
        max_consecutive_failures: None,
    };

    /// Validates the rules into a [`Policy`]; the error names the bad parameter.
    pub const fn build(self) -> Result<Policy, PolicyError> {
        match self.lock {
            LockLength::Fixed(length) if length.is_zero() => {
                return Err(PolicyError::new("lock.fixed", Problem::Zero));
            }
            LockLength::Exponential { initial } if initial.is_zero() => {
                return Err(PolicyError::new("lock.exponential", Problem::Zero));
            }
            _ => {}
        }
        match self.decay {
            Decay::SlidingWindow(window) => {
                if window.is_zero() {
                    return Err(PolicyError::new("decay.slidingWindow", Problem::Zero));
                }
                if self.threshold as usize > MAX_RECORDED_FAILURES {
                    return Err(PolicyError::new(
                        "threshold",
                        Problem::TooLarge {
                            max: MAX_RECORDED_FAILURES as u64,
                            got: self.threshold as u64,
                        },
                    ));
                }
            }
            Decay::SelfHealing(period) if period.is_zero() => {
                return Err(PolicyError::new("decay.selfHealing", Problem::Zero));
            }
            _ => {}
        }
        if self.repeated_credential_memory as usize > MAX_CREDENTIAL_MEMORY {
            return Err(PolicyError::new(
                "repeatedCredentialMemory",
                Problem::TooLarge {
                    max: MAX_CREDENTIAL_MEMORY as u64,
                    got: self.repeated_credential_memory as u64,
                },
            ));
        }
        if let Some(0) = self.max_consecutive_failures {
            return Err(PolicyError::new("maxConsecutiveFailures", Problem::Zero));
        }
        Ok(Policy { rules: self })
    }
}

/// A validated lockout policy. It is `Copy`, and can be a `const` or a `static`:
///
/// ```
/// use account_lockout::{dialect::PingOne, Policy};
///
/// const POLICY: Policy = match (PingOne { failure_count: 5, duration_seconds: Some(900) }).policy() {
///     Ok(policy) => policy,
///     Err(_) => panic!("invalid lockout policy"), // a compile-time error, never a run-time one
/// };
/// assert_eq!(POLICY.rules().threshold, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Policy {
    rules: Rules,
}

/// The lock a counted failure asks for, before the temporary-lock count and the cap.
pub(crate) enum Wanted {
    /// No lock by the count.
    Nothing,
    /// A lock of this raw length (not zero).
    Timed(Duration),
    /// A lock with no deadline.
    Permanent,
}

impl Policy {
    /// A policy that never locks: [`Rules::NEVER_LOCK`], valid by construction.
    pub const NEVER_LOCK: Policy = Policy {
        rules: Rules::NEVER_LOCK,
    };

    /// The rules this policy was built from.
    pub const fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The same policy with the two modifiers of SPEC §5 set.
    ///
    /// ```
    /// use account_lockout::dialect::Tpm;
    /// let policy = (Tpm { max_tries: 32, recovery_time: 600 }).policy().unwrap()
    ///     .with_modifiers(3, Some(100))
    ///     .unwrap();
    /// assert_eq!(policy.rules().repeated_credential_memory, 3);
    /// assert!(policy.clone().with_modifiers(9, None).is_err());
    /// ```
    pub const fn with_modifiers(
        self,
        repeated_credential_memory: u8,
        max_consecutive_failures: Option<u32>,
    ) -> Result<Policy, PolicyError> {
        let mut rules = self.rules;
        rules.repeated_credential_memory = repeated_credential_memory;
        rules.max_consecutive_failures = max_consecutive_failures;
        rules.build()
    }

    /// How many failure times an account must keep for this policy.
    pub const fn records_needed(&self) -> usize {
        match self.rules.decay {
            Decay::SlidingWindow(_) => self.rules.threshold as usize,
            _ => 0,
        }
    }

    /// How many credential fingerprints an account must remember for this policy.
    pub const fn memory_needed(&self) -> usize {
        self.rules.repeated_credential_memory as usize
    }

    /// The lock that the `count`-th counted failure asks for by the count alone.
    pub(crate) fn wanted_lock(&self, count: u32) -> Wanted {
        let threshold = self.rules.threshold;
        if threshold == 0 || count < threshold {
            return Wanted::Nothing;
        }
        let beyond = count.saturating_sub(threshold);
        let length = match self.rules.lock {
            LockLength::Permanent => return Wanted::Permanent,
            LockLength::Fixed(length) => length,
            LockLength::Multiple { increment } => {
                increment.saturating_mul(u64::from(count.checked_div(threshold).unwrap_or(0)))
            }
            LockLength::Linear { increment } => {
                increment.saturating_mul(u64::from(beyond).saturating_add(1))
            }
            LockLength::Exponential { initial } => {
                let factor = 1_u64.checked_shl(beyond).unwrap_or(u64::MAX);
                initial.saturating_mul(factor)
            }
            LockLength::Table(schedule) => schedule.length(count),
        };
        if length.is_zero() {
            Wanted::Nothing
        } else {
            Wanted::Timed(length)
        }
    }

    /// The capped length of a lock by the count.
    pub(crate) fn capped(&self, length: Duration) -> Duration {
        match self.rules.max_lock {
            Some(max) => length.min(max),
            None => length,
        }
    }

    /// The instant a lock of `length` started by a failure at `now` ends.
    pub(crate) fn deadline(&self, now: Instant, length: Duration) -> Instant {
        if self.rules.deadline_from_whole_second {
            // The start of the second may lie before Instant::MIN; only the sum saturates.
            let offset = now.as_millis().rem_euclid(1_000).unsigned_abs();
            let shortened = Duration::from_millis(length.as_millis().saturating_sub(offset));
            if length.as_millis() >= offset {
                now.saturating_add(shortened)
            } else {
                now.saturating_sub(Duration::from_millis(
                    offset.saturating_sub(length.as_millis()),
                ))
            }
        } else {
            now.saturating_add(length)
        }
    }

    /// The smallest failure count at or above `count` that locks by the count.
    pub(crate) fn next_locking_count(&self, count: u32) -> Option<u32> {
        let threshold = self.rules.threshold;
        if threshold == 0 {
            return None;
        }
        let from = count.max(threshold);
        let next = match self.rules.lock {
            LockLength::Table(schedule) => schedule.next_locking_count(from),
            LockLength::Multiple { increment } | LockLength::Linear { increment }
                if increment.is_zero() =>
            {
                None
            }
            _ => Some(from),
        };
        // A sliding window keeps the latest `threshold` failure times: the count never
        // passes the threshold.
        match self.rules.decay {
            Decay::SlidingWindow(_) => next.filter(|count| *count <= threshold),
            _ => next,
        }
    }
}

/// What is wrong with a policy parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Problem {
    /// It must not be zero.
    Zero,
    /// It is above its maximum.
    TooLarge {
        /// The largest value allowed.
        max: u64,
        /// The value given.
        got: u64,
    },
    /// It must not exceed another parameter.
    Exceeds {
        /// The parameter it must not exceed.
        other: &'static str,
    },
    /// A list that must not be empty is empty.
    Empty,
    /// A list has more entries than allowed.
    TooLong {
        /// The most entries allowed.
        max: u64,
    },
    /// A list's counts are not strictly increasing from 1.
    NotIncreasing,
}

/// An invalid policy: the parameter (by its JSON name) and what is wrong with it.
///
/// ```
/// use account_lockout::dialect::ActiveDirectory;
/// let error = (ActiveDirectory {
///     lockout_threshold: 1_000,
///     lockout_duration_seconds: 1_800,
///     lockout_observation_window_seconds: 1_800,
/// })
/// .policy()
/// .unwrap_err();
/// assert_eq!(error.parameter, "lockoutThreshold");
/// assert_eq!(error.to_string(), "invalid policy: lockoutThreshold must be at most 999 (got 1000)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PolicyError {
    /// The parameter, by its JSON name.
    pub parameter: &'static str,
    /// What is wrong with it.
    pub problem: Problem,
}

impl PolicyError {
    /// An error about `parameter`.
    pub const fn new(parameter: &'static str, problem: Problem) -> PolicyError {
        PolicyError { parameter, problem }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid policy: {} ", self.parameter)?;
        match self.problem {
            Problem::Zero => f.write_str("must be at least 1"),
            Problem::TooLarge { max, got } => write!(f, "must be at most {max} (got {got})"),
            Problem::Exceeds { other } => write!(f, "must not exceed {other}"),
            Problem::Empty => f.write_str("must not be empty"),
            Problem::TooLong { max } => write!(f, "must have at most {max} entries"),
            Problem::NotIncreasing => {
                f.write_str("must list failure counts from 1 in strictly increasing order")
            }
        }
    }
}

impl core::error::Error for PolicyError {}

// The table of a schedule and the records of a sliding window share one bound.
const _: () = assert!(MAX_SCHEDULE_STEPS <= u8::MAX as usize);
const _: () = assert!(MAX_RECORDED_FAILURES <= u8::MAX as usize);
