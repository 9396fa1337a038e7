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
        lockout_policy(
            self.failure_count,
            self.duration_seconds,
            "failureCount",
            "durationSeconds",
        )
    }
}

/// PingOne's MFA lockout (the MFA settings' `lockout.failureCount` and
/// `lockout.durationSeconds`): the `mfa` member of the `pingone` policy, a second lock
/// source with its own counter, fed by MFA attempts ([behaviour §7.3](crate::behaviour#s7-3)).
///
/// The same rules as the password lockout, and none of the modifiers: the failure that
/// reaches `failureCount` locks for `durationSeconds` (absent: until an administrator
/// unlocks), and an MFA success clears the count. [`crate::MfaAccount`] runs it beside
/// the password lockout.
///
/// ```
/// use account_lockout::dialect::{PingOne, PingOneMfa};
/// use account_lockout::MfaPolicy;
///
/// let password = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy().unwrap();
/// let mfa = PingOneMfa { failure_count: 3, duration_seconds: Some(600) }.policy().unwrap();
/// let policy = MfaPolicy::new(password, Some(mfa)).unwrap();
/// assert_eq!(policy.mfa().unwrap().rules().threshold, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PingOneMfa {
    /// `failureCount`: the MFA failure that reaches it locks (at least 1, required).
    pub failure_count: u32,
    /// `durationSeconds`: the lock length (at least 1); absent: only an administrator unlocks.
    #[serde(default)]
    pub duration_seconds: Option<u64>,
}

impl PingOneMfa {
    /// The policy of the MFA source.
    pub const fn policy(&self) -> Result<Policy, PolicyError> {
        lockout_policy(
            self.failure_count,
            self.duration_seconds,
            "mfa.failureCount",
            "mfa.durationSeconds",
        )
    }
}

/// PingOne's lockout, password or MFA: a count that locks for a fixed time, restarted
/// by the lock's end and by a success. The field names are for the error.
const fn lockout_policy(
    failure_count: u32,
    duration_seconds: Option<u64>,
    count_field: &'static str,
    duration_field: &'static str,
) -> Result<Policy, PolicyError> {
    if failure_count == 0 {
        return Err(PolicyError::new(count_field, Problem::Zero));
    }
    let lock = match duration_seconds {
        None => LockLength::Permanent,
        Some(0) => return Err(PolicyError::new(duration_field, Problem::Zero)),
        Some(seconds) => LockLength::Fixed(Duration::from_secs(seconds)),
    };
    Rules {
        threshold: failure_count,
        lock,
        decay: Decay::None,
        on_success: OnSuccess::Reset,
        on_lock_end: OnLockEnd::Reset,
        ..Rules::NEVER_LOCK
    }
    .build()
}
