//! TPM 2.0 dictionary-attack protection (`DA.c` of the reference implementation).

use serde::Deserialize;

use crate::policy::{Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, Problem, Rules};
use crate::time::Duration;

/// TPM 2.0: `failedTries` heals by one every `recoveryTime` seconds since the latest
/// failure; the account is locked while `failedTries >= maxTries`, which ends at the next
/// healing step. A success changes nothing; an administrator reset sets the count to 0.
/// `recoveryTime` 0 turns the protection off. Defaults (the reference implementation's
/// manufacturer values): `maxTries` 3, `recoveryTime` 1000.
///
/// The TPM heals on its own powered-on time; feed it a monotonic clock.
///
/// ```
/// use account_lockout::dialect::Tpm;
/// assert!((Tpm { max_tries: 32, recovery_time: 600 }).policy().is_ok());
/// assert!((Tpm { max_tries: 0, recovery_time: 600 }).policy().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Tpm {
    /// `maxTries`: at least 1; default 3.
    pub max_tries: u32,
    /// `recoveryTime` in seconds: 0 = dictionary-attack protection off; default 1000.
    pub recovery_time: u64,
}

impl Tpm {
    /// The reference implementation's manufacturer defaults.
    pub const DEFAULT: Tpm = Tpm {
        max_tries: 3,
        recovery_time: 1_000,
    };

    /// The policy these parameters describe.
    pub const fn policy(&self) -> Result<Policy, PolicyError> {
        if self.max_tries == 0 {
            return Err(PolicyError::new("maxTries", Problem::Zero));
        }
        let recovery = Duration::from_secs(self.recovery_time);
        let protected = self.recovery_time != 0;
        Rules {
            threshold: if protected { self.max_tries } else { 0 },
            lock: LockLength::Fixed(if protected {
                recovery
            } else {
                Duration::from_millis(1)
            }),
            decay: if protected {
                Decay::SelfHealing(recovery)
            } else {
                Decay::None
            },
            on_success: OnSuccess::Keep,
            on_lock_end: OnLockEnd::Keep,
            // One credential check at a time, as the device verifies them (behaviour §7.1).
            max_attempts_in_flight: 1,
            ..Rules::NEVER_LOCK
        }
        .build()
    }
}

impl Default for Tpm {
    fn default() -> Tpm {
        Tpm::DEFAULT
    }
}
