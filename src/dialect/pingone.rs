//! PingOne's password-policy lockout (`lockout.failureCount`, `lockout.durationSeconds`).

use serde::Deserialize;

use crate::policy::{Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, Problem, Rules};
use crate::time::Duration;

/// PingOne: the failure that reaches `failureCount` locks for `durationSeconds`.
///
/// No time window; the count starts again when the lock ends by itself, and a success
/// clears it. Without `durationSeconds` only an administrator unlocks.
///
/// ```
/// use account_lockout::{dialect::PingOne, Account, Instant};
///
/// let policy = (PingOne { failure_count: 2, duration_seconds: Some(60) }).policy().unwrap();
/// let mut account: Account = Account::new();
/// let t = Instant::from_secs(1_000);
/// account.failure(&policy, t, None).unwrap();
/// account.failure(&policy, t, None).unwrap();
/// assert_eq!(account.view(t).seconds_until_unlock, Some(60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PingOne {
    /// `failureCount`: the failure that reaches it locks (at least 1, required).
    pub failure_count: u32,
    /// `durationSeconds`: the lock length (at least 1); absent: only an administrator unlocks.
    #[serde(default)]
    pub duration_seconds: Option<u64>,
}

impl PingOne {
    /// The policy these parameters describe.
    pub const fn policy(&self) -> Result<Policy, PolicyError> {
        if self.failure_count == 0 {
            return Err(PolicyError::new("failureCount", Problem::Zero));
        }
        let lock = match self.duration_seconds {
            None => LockLength::Permanent,
            Some(0) => return Err(PolicyError::new("durationSeconds", Problem::Zero)),
            Some(seconds) => LockLength::Fixed(Duration::from_secs(seconds)),
        };
        Rules {
            threshold: self.failure_count,
            lock,
            decay: Decay::None,
            on_success: OnSuccess::Reset,
            on_lock_end: OnLockEnd::Reset,
            ..Rules::NEVER_LOCK
        }
        .build()
    }
}
