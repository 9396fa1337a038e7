//! The one general policy: when failures lock an account, for how long, and what time,
//! successes and the end of a lock do to the counters.
//!
//! Every dialect ([`crate::dialect`]) is a constructor of this one [`Policy`]; the state
//! machine in [`crate::account`] reads nothing else.

use core::fmt;

use crate::schedule::{MAX_SCHEDULE_STEPS, Schedule};
use crate::time::{Duration, Instant};

mod binary;
mod decay;
mod json;
mod lock;

pub use decay::Decay;
pub(crate) use decay::Tally;
pub(crate) use lock::{FailureContext, LockDecision, Standing};

/// The most failure times a [`Decay::SlidingWindow`] policy needs to keep.
pub const MAX_RECORDED_FAILURES: usize = 16;

/// The most credential fingerprints an account can remember.
pub const MAX_CREDENTIAL_MEMORY: usize = 8;

/// The most attempts a policy lets be in flight at once (`maxAttemptsInFlight`).
pub const MAX_ATTEMPTS_IN_FLIGHT: usize = 16;

/// The default number of attempts in flight (`maxAttemptsInFlight`): 8, except for the
/// single-user devices (`tpm`, `androidGatekeeper`), which verify one at a time.
pub const DEFAULT_ATTEMPTS_IN_FLIGHT: u8 = 8;

/// The default time after which an attempt in flight counts as a failure
/// (`attemptTimeoutSeconds`): 300 s.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(300);

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

/// What an allowed success does to the failure counters.
///
/// Whatever this says, a success always forgets remembered fingerprints and resets the
/// consecutive-failure count ([behaviour §3](crate::behaviour#s3)).
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
    /// The count survives the lock (Keycloak, Gatekeeper, TPM). An escalating
    /// [`LockLength`] needs it: a count that starts again never reaches the longer steps,
    /// so [`Rules::build`] refuses `Reset` with one.
    Keep,
}

/// Quick-failure throttling (Keycloak's quick-login check).
///
/// A counted failure that comes less than `within` after the previous counted failure,
/// and that does not lock by the count, locks for `lock`. [`Rules::max_lock`] does not
/// apply to it; the Keycloak dialect folds Keycloak's cap in itself. The end of a
/// quick-failure lock never restarts the count, whatever [`OnLockEnd`] says: otherwise an
/// attacker who paces one quick failure before each threshold would never meet the real
/// lock.
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
/// use account_lockout::{Decay, Duration, LockLength, OnLockEnd, Rules};
///
/// // Lock after 5 failures within 10 minutes, for 1 s doubling per failure, at most 15 min.
/// // The count must survive each lock's end, or the length would never double.
/// let rules = Rules {
///     threshold: 5,
///     lock: LockLength::Exponential { initial: Duration::from_secs(1) },
///     max_lock: Some(Duration::from_secs(900)),
///     decay: Decay::QuietWindow(Duration::from_secs(600)),
///     on_lock_end: OnLockEnd::Keep,
///     ..Rules::NEVER_LOCK
/// };
/// let policy = rules.build().unwrap();
/// assert_eq!(policy.rules().threshold, 5);
///
/// let refused = Rules { on_lock_end: OnLockEnd::Reset, ..rules }.build().unwrap_err();
/// assert_eq!(refused.parameter, "onLockEnd");
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
    /// How many attempts may be in flight at once (1..=16), see
    /// [`Account::begin_attempt`](crate::Account::begin_attempt).
    pub max_attempts_in_flight: u8,
    /// How long an attempt may stay in flight before it counts as a failure (at least
    /// 1 ms; the JSON form gives whole seconds).
    pub attempt_timeout: Duration,
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
        max_attempts_in_flight: DEFAULT_ATTEMPTS_IN_FLIGHT,
        attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
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
                    return Err(too_large(
                        "threshold",
                        MAX_RECORDED_FAILURES,
                        self.threshold as u64,
                    ));
                }
            }
            Decay::SelfHealing(period) if period.is_zero() => {
                return Err(PolicyError::new("decay.selfHealing", Problem::Zero));
            }
            _ => {}
        }
        if self.repeated_credential_memory as usize > MAX_CREDENTIAL_MEMORY {
            return Err(too_large(
                "repeatedCredentialMemory",
                MAX_CREDENTIAL_MEMORY,
                self.repeated_credential_memory as u64,
            ));
        }
        if let Some(0) = self.max_consecutive_failures {
            return Err(PolicyError::new("maxConsecutiveFailures", Problem::Zero));
        }
        if self.max_attempts_in_flight == 0 {
            return Err(PolicyError::new("maxAttemptsInFlight", Problem::Zero));
        }
        if self.max_attempts_in_flight as usize > MAX_ATTEMPTS_IN_FLIGHT {
            return Err(too_large(
                "maxAttemptsInFlight",
                MAX_ATTEMPTS_IN_FLIGHT,
                self.max_attempts_in_flight as u64,
            ));
        }
        if self.attempt_timeout.is_zero() {
            return Err(PolicyError::new("attemptTimeoutSeconds", Problem::Zero));
        }
        if self.escalates() {
            // A count that restarts at every lock end, or a window that keeps at most
            // `threshold` failures, never reaches the longer steps.
            if self.decay.keeps_times() {
                return Err(PolicyError::new(
                    "lock",
                    Problem::NeverEscalates {
                        because: "decay.slidingWindow",
                    },
                ));
            }
            if let OnLockEnd::Reset = self.on_lock_end {
                return Err(PolicyError::new(
                    "onLockEnd",
                    Problem::NeverEscalates {
                        because: "onLockEnd: reset",
                    },
                ));
            }
        }
        Ok(Policy { rules: self })
    }

    /// Whether the lock length grows with the count past the threshold.
    const fn escalates(&self) -> bool {
        if self.threshold == 0 {
            return false;
        }
        match self.lock {
            LockLength::Permanent | LockLength::Fixed(_) => false,
            LockLength::Multiple { increment } | LockLength::Linear { increment } => {
                !increment.is_zero()
            }
            LockLength::Exponential { .. } => true,
            LockLength::Table(schedule) => schedule.changes_after(self.threshold),
        }
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
    #[must_use]
    pub const fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The same policy with the attempt-protocol modifiers set: `maxAttemptsInFlight`
    /// (1..=16) and `attemptTimeoutSeconds` (as a duration, not zero).
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Duration};
    /// let policy = (PingOne { failure_count: 5, duration_seconds: Some(900) }).policy().unwrap()
    ///     .with_attempt_limits(2, Duration::from_secs(30))
    ///     .unwrap();
    /// assert_eq!(policy.rules().max_attempts_in_flight, 2);
    /// assert!(policy.with_attempt_limits(17, Duration::from_secs(30)).is_err());
    /// ```
    pub const fn with_attempt_limits(
        self,
        max_attempts_in_flight: u8,
        attempt_timeout: Duration,
    ) -> Result<Policy, PolicyError> {
        let mut rules = self.rules;
        rules.max_attempts_in_flight = max_attempts_in_flight;
        rules.attempt_timeout = attempt_timeout;
        rules.build()
    }

    /// The same policy with the two modifiers of [behaviour §5](crate::behaviour#s5) set.
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
    #[must_use]
    pub const fn records_needed(&self) -> usize {
        self.rules.decay.records_needed(self.rules.threshold)
    }

    /// How many credential fingerprints an account must remember for this policy.
    #[must_use]
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

    /// Whether any failure count can lock by the count (the threshold and the lengths,
    /// with the cap). Where none can, the count is never seen again but as the number in
    /// [`Transition::Counted`](crate::Transition::Counted), so an account whose only
    /// information is its count is dormant ([`crate::Account::is_dormant`]) and a table
    /// may forget it: a username spray under such a policy does not fill the table.
    ///
    /// ```
    /// use account_lockout::{dialect::Keycloak, Rules};
    /// assert!(!Rules::NEVER_LOCK.build().unwrap().can_lock_by_count());
    /// assert!(Keycloak::DEFAULT.policy().unwrap().can_lock_by_count());
    /// let no_wait = Keycloak { max_failure_wait_seconds: 0, ..Keycloak::DEFAULT };
    /// assert!(!no_wait.policy().unwrap().can_lock_by_count());
    /// ```
    #[must_use]
    pub fn can_lock_by_count(&self) -> bool {
        let capped_to_nothing = self.rules.max_lock.is_some_and(|max| max.is_zero())
            && self.rules.permanent_after_temporary_locks.is_none()
            && !matches!(self.rules.lock, LockLength::Permanent);
        self.next_locking_count(1).is_some() && !capped_to_nothing
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
        next.filter(|count| *count <= self.rules.decay.highest_count(threshold))
    }
}

/// What is wrong with a policy parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
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
    /// An escalating lock length that could never escalate.
    NeverEscalates {
        /// The setting that keeps the count from passing the threshold.
        because: &'static str,
    },
    /// It is not supported where it is given.
    Unsupported {
        /// Why not.
        because: &'static str,
    },
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
            Problem::NeverEscalates { because } => write!(
                f,
                "must not combine an escalating lock length with {because}: \
                 the count never passes the threshold, so the lock never grows"
            ),
            Problem::Unsupported { because } => write!(f, "is not supported: {because}"),
        }
    }
}

impl core::error::Error for PolicyError {}

/// `parameter` is above `max`.
const fn too_large(parameter: &'static str, max: usize, got: u64) -> PolicyError {
    PolicyError::new(
        parameter,
        Problem::TooLarge {
            max: max as u64,
            got,
        },
    )
}

// The table of a schedule and the records of a sliding window share one bound.
const _: () = assert!(MAX_SCHEDULE_STEPS <= u8::MAX as usize);
const _: () = assert!(MAX_RECORDED_FAILURES <= u8::MAX as usize);
