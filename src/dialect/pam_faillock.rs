//! Linux-PAM's `pam_faillock`.

use serde::Deserialize;

use crate::policy::{
    Decay, LockLength, MAX_RECORDED_FAILURES, OnLockEnd, OnSuccess, Policy, PolicyError, Problem,
    Rules,
};
use crate::time::Duration;

/// pam_faillock: `deny` failures within `failInterval` seconds lock for `unlockTime`
/// seconds (0: until an administrator resets). Defaults 3, 900, 600.
///
/// The account keeps the times of its latest counted failures (so the account type needs
/// room for `deny` records: `Account<3>` for the default). A failure `failInterval` or
/// more before the newest is dropped; when a lock ends by itself every kept failure is
/// dropped. pam_faillock compares whole seconds strictly and unlocks one second later;
/// this crate uses the general rule: unlocked at `now >= unlockAt`.
///
/// ```
/// use account_lockout::dialect::PamFaillock;
/// let policy = PamFaillock::DEFAULT.policy().unwrap();
/// assert_eq!(policy.records_needed(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PamFaillock {
    /// `deny`: 0 = never lock, at most 16; default 3.
    pub deny: u32,
    /// `failInterval` in seconds, at least 1; default 900.
    pub fail_interval: u64,
    /// `unlockTime` in seconds, 0 = only an administrator unlocks; default 600.
    pub unlock_time: u64,
}

impl PamFaillock {
    /// pam_faillock's defaults.
    pub const DEFAULT: PamFaillock = PamFaillock {
        deny: 3,
        fail_interval: 900,
        unlock_time: 600,
    };

    /// The policy these options describe.
    pub const fn policy(&self) -> Result<Policy, PolicyError> {
        if self.deny as usize > MAX_RECORDED_FAILURES {
            return Err(PolicyError::new(
                "deny",
                Problem::TooLarge {
                    max: MAX_RECORDED_FAILURES as u64,
                    got: self.deny as u64,
                },
            ));
        }
        if self.fail_interval == 0 {
            return Err(PolicyError::new("failInterval", Problem::Zero));
        }
        Rules {
            threshold: self.deny,
            lock: if self.unlock_time == 0 {
                LockLength::Permanent
            } else {
                LockLength::Fixed(Duration::from_secs(self.unlock_time))
            },
            decay: Decay::SlidingWindow(Duration::from_secs(self.fail_interval)),
            on_success: OnSuccess::Reset,
            on_lock_end: OnLockEnd::Reset,
            ..Rules::NEVER_LOCK
        }
        .build()
    }
}

impl Default for PamFaillock {
    fn default() -> PamFaillock {
        PamFaillock::DEFAULT
    }
}
