//! Keycloak's brute force detection (`DefaultBruteForceProtector`).

use serde::Deserialize;

use crate::policy::{
    Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, Problem, QuickFailure, Rules,
};
use crate::time::Duration;

/// How Keycloak grows the wait with the failure count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BruteForceStrategy {
    /// `wait = waitIncrementSeconds × ⌊numFailures / failureFactor⌋`.
    #[serde(rename = "MULTIPLE")]
    Multiple,
    /// `wait = waitIncrementSeconds × (1 + numFailures − failureFactor)`.
    #[serde(rename = "LINEAR")]
    Linear,
}

/// Keycloak's realm brute-force settings, with Keycloak's defaults
/// ([`Keycloak::DEFAULT`]).
///
/// The mapping onto [`Rules`]: the threshold is `failureFactor`; the lock length is
/// MULTIPLE or LINEAR escalation capped by `maxFailureWaitSeconds`; `maxDeltaTimeSeconds`
/// is a quiet window that restarts both counters; the quick-login check is quick-failure
/// throttling; `maxTemporaryLockouts` with `permanentLockout` is permanent-after-N;
/// deadlines count from the whole second of the failure, as Keycloak stores seconds.
/// In pure permanent mode (`permanentLockout` with `maxTemporaryLockouts` 0) there are no
/// waits and no reset window: the `failureFactor`-th failure locks with no deadline.
///
/// Keycloak disables the user on a permanent lockout; this crate shows a `LOCKED` account
/// with no deadline, which an administrator unlock ends.
///
/// ```
/// use account_lockout::dialect::{BruteForceStrategy, Keycloak};
/// let policy = Keycloak {
///     failure_factor: 5,
///     wait_increment_seconds: 30,
///     brute_force_strategy: BruteForceStrategy::Linear,
///     ..Keycloak::DEFAULT
/// }
/// .policy();
/// assert!(policy.is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Keycloak {
    /// `failureFactor` ("Max Login Failures"), at least 1; default 30.
    pub failure_factor: u32,
    /// `waitIncrementSeconds`; default 60.
    pub wait_increment_seconds: u64,
    /// `maxFailureWaitSeconds` ("Max Wait"); default 900.
    pub max_failure_wait_seconds: u64,
    /// `maxDeltaTimeSeconds` ("Failure Reset Time"); default 43200.
    pub max_delta_time_seconds: u64,
    /// `bruteForceStrategy`; default `MULTIPLE`.
    pub brute_force_strategy: BruteForceStrategy,
    /// `permanentLockout`; default false.
    pub permanent_lockout: bool,
    /// `maxTemporaryLockouts`, at most 65534; default 0.
    pub max_temporary_lockouts: u32,
    /// `quickLoginCheckMilliSeconds`; default 1000.
    pub quick_login_check_milli_seconds: u64,
    /// `minimumQuickLoginWaitSeconds`; default 60.
    pub minimum_quick_login_wait_seconds: u64,
}

impl Keycloak {
    /// Keycloak's defaults (`RealmManager.setupRealmDefaults`).
    pub const DEFAULT: Keycloak = Keycloak {
        failure_factor: 30,
        wait_increment_seconds: 60,
        max_failure_wait_seconds: 900,
        max_delta_time_seconds: 43_200,
        brute_force_strategy: BruteForceStrategy::Multiple,
        permanent_lockout: false,
        max_temporary_lockouts: 0,
        quick_login_check_milli_seconds: 1_000,
        minimum_quick_login_wait_seconds: 60,
    };

    /// The policy these settings describe.
    pub const fn policy(&self) -> Result<Policy, PolicyError> {
        if self.failure_factor == 0 {
            return Err(PolicyError::new("failureFactor", Problem::Zero));
        }
        if self.max_temporary_lockouts >= u16::MAX as u32 {
            return Err(PolicyError::new(
                "maxTemporaryLockouts",
                Problem::TooLarge {
                    max: 65_534,
                    got: self.max_temporary_lockouts as u64,
                },
            ));
        }
        let permanent_only = self.permanent_lockout && self.max_temporary_lockouts == 0;
        let increment = Duration::from_secs(self.wait_increment_seconds);
        let max_wait = Duration::from_secs(self.max_failure_wait_seconds);
        let quick_wait = Duration::from_secs(self.minimum_quick_login_wait_seconds);
        Rules {
            threshold: self.failure_factor,
            lock: if permanent_only {
                LockLength::Permanent
            } else {
                match self.brute_force_strategy {
                    BruteForceStrategy::Multiple => LockLength::Multiple { increment },
                    BruteForceStrategy::Linear => LockLength::Linear { increment },
                }
            },
            max_lock: if permanent_only { None } else { Some(max_wait) },
            decay: if permanent_only {
                Decay::None
            } else {
                Decay::QuietWindow(Duration::from_secs(self.max_delta_time_seconds))
            },
            on_success: OnSuccess::Reset,
            on_lock_end: OnLockEnd::Keep,
            quick_failure: Some(QuickFailure {
                within: Duration::from_millis(self.quick_login_check_milli_seconds),
                // Keycloak caps the quick wait too, except in pure permanent mode.
                lock: if permanent_only {
                    quick_wait
                } else {
                    quick_wait.min(max_wait)
                },
            }),
            permanent_after_temporary_locks: if self.permanent_lockout
                && self.max_temporary_lockouts > 0
            {
                Some(self.max_temporary_lockouts as u16)
            } else {
                None
            },
            deadline_from_whole_second: true,
            ..Rules::NEVER_LOCK
        }
        .build()
    }
}

impl Default for Keycloak {
    fn default() -> Keycloak {
        Keycloak::DEFAULT
    }
}
