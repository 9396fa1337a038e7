//! Active Directory's account lockout policy (MS-SAMR 3.1.5.14.6).

use serde::Deserialize;

use crate::policy::{Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, Problem, Rules};
use crate::time::Duration;

/// Active Directory: `badPwdCount` with an observation window.
///
/// A counted failure more than `lockoutObservationWindowSeconds` after the previous one
/// sets the count to 1, otherwise adds 1; the failure that brings it to
/// `lockoutThreshold` locks for `lockoutDurationSeconds` (0: until an administrator
/// unlocks). The count starts again when the lock ends by itself; a success clears it.
///
/// ```
/// use account_lockout::dialect::ActiveDirectory;
/// let policy = (ActiveDirectory {
///     lockout_threshold: 5,
///     lockout_duration_seconds: 900,
///     lockout_observation_window_seconds: 900,
/// })
/// .policy();
/// assert!(policy.is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActiveDirectory {
    /// `lockoutThreshold`: 0..=999, 0 = never lock.
    pub lockout_threshold: u32,
    /// `lockoutDurationSeconds`: 0 = only an administrator unlocks.
    pub lockout_duration_seconds: u64,
    /// `lockoutObservationWindowSeconds`: at least 1, at most the duration when the
    /// duration is not 0.
    pub lockout_observation_window_seconds: u64,
}

impl ActiveDirectory {
    /// The policy these parameters describe.
    pub const fn policy(&self) -> Result<Policy, PolicyError> {
        if self.lockout_threshold > 999 {
            return Err(PolicyError::new(
                "lockoutThreshold",
                Problem::TooLarge {
                    max: 999,
                    got: self.lockout_threshold as u64,
                },
            ));
        }
        if self.lockout_observation_window_seconds == 0 {
            return Err(PolicyError::new(
                "lockoutObservationWindowSeconds",
                Problem::Zero,
            ));
        }
        if self.lockout_duration_seconds != 0
            && self.lockout_observation_window_seconds > self.lockout_duration_seconds
        {
            return Err(PolicyError::new(
                "lockoutObservationWindowSeconds",
                Problem::Exceeds {
                    other: "lockoutDurationSeconds",
                },
            ));
        }
        let lock = if self.lockout_duration_seconds == 0 {
            LockLength::Permanent
        } else {
            LockLength::Fixed(Duration::from_secs(self.lockout_duration_seconds))
        };
        Rules {
            threshold: self.lockout_threshold,
            lock,
            decay: Decay::QuietWindow(Duration::from_secs(self.lockout_observation_window_seconds)),
            on_success: OnSuccess::Reset,
            on_lock_end: OnLockEnd::Reset,
            ..Rules::NEVER_LOCK
        }
        .build()
    }
}
