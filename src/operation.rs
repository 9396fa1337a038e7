//! Operations on an account as data, for hosts that queue, log, replay or fuzz them, and
//! the typed errors of the operations that can be refused.

use core::fmt;

use crate::fingerprint::Fingerprint;
use crate::patch::{Patch, PatchError};
use crate::time::Instant;

/// The error codes of [behaviour §4](crate::behaviour#s4), as the simulator and JSON clients see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_value`: not an object, a value of the wrong type, a bad date or status.
    InvalidValue,
    /// `read_only_field`: `lockedAt` or `secondsUntilUnlock` in a patch.
    ReadOnlyField,
    /// `unknown_field`: a key the account model does not have.
    UnknownField,
    /// `conflicting_fields`: fields that ask for opposite things.
    ConflictingFields,
    /// `unlock_at_requires_locked`: a deadline for an account that is not locked.
    UnlockAtRequiresLocked,
    /// `unlock_at_not_in_future`: a deadline at or before `now`.
    UnlockAtNotInFuture,
    /// `account_too_small`: the account type cannot hold what the policy needs.
    AccountTooSmall,
    /// `unknown_attempt`: a token that names no attempt in flight ([behaviour §7.1](crate::behaviour#s7-1)).
    UnknownAttempt,
}

impl ErrorCode {
    /// The snake-case code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::ReadOnlyField => "read_only_field",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::ConflictingFields => "conflicting_fields",
            ErrorCode::UnlockAtRequiresLocked => "unlock_at_requires_locked",
            ErrorCode::UnlockAtNotInFuture => "unlock_at_not_in_future",
            ErrorCode::AccountTooSmall => "account_too_small",
            ErrorCode::UnknownAttempt => "unknown_attempt",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An administrator lock that was refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LockError {
    /// The deadline is at or before `now`.
    UnlockAtNotInFuture,
}

impl LockError {
    /// The [behaviour §4](crate::behaviour#s4) code.
    #[must_use]
    pub const fn code(self) -> ErrorCode {
        match self {
            LockError::UnlockAtNotInFuture => ErrorCode::UnlockAtNotInFuture,
        }
    }
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::UnlockAtNotInFuture => f.write_str("unlockAt must be later than now"),
        }
    }
}

impl core::error::Error for LockError {}

/// The account type has less room than the policy needs (its `RECORDS` or `MEMORY`
/// parameter is too small); nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// u16 fields (saturating: no policy needs more than 16 of anything) keep the error, and
// every `Result` that carries it, small.
pub struct CapacityError {
    /// Failure times the policy keeps ([`crate::Policy::records_needed`]).
    pub records_needed: u16,
    /// Failure times the account type holds.
    pub records: u16,
    /// Fingerprints the policy remembers ([`crate::Policy::memory_needed`]).
    pub memory_needed: u16,
    /// Fingerprints the account type holds.
    pub memory: u16,
    /// Attempts the policy lets be in flight at once (`maxAttemptsInFlight`; checked
    /// only when an attempt begins).
    pub attempts_needed: u16,
    /// Attempts in flight the account type holds.
    pub attempts: u16,
}

impl CapacityError {
    /// What `policy` needs beside what an account type of `records` failure times,
    /// `memory` fingerprints and `attempts` slots holds (counts above `u16::MAX` are shown
    /// as `u16::MAX`).
    #[must_use]
    pub fn of(policy: &crate::Policy, records: usize, memory: usize, attempts: usize) -> Self {
        let small = |count: usize| u16::try_from(count).unwrap_or(u16::MAX);
        CapacityError {
            records_needed: small(policy.records_needed()),
            records: small(records),
            memory_needed: small(policy.memory_needed()),
            memory: small(memory),
            attempts_needed: u16::from(policy.rules().max_attempts_in_flight),
            attempts: small(attempts),
        }
    }

    /// The error code.
    #[must_use]
    pub const fn code(self) -> ErrorCode {
        ErrorCode::AccountTooSmall
    }
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the account holds {} failure times, {} fingerprints and {} attempts in flight; \
             the policy needs {}, {} and {}",
            self.records,
            self.memory,
            self.attempts,
            self.records_needed,
            self.memory_needed,
            self.attempts_needed
        )
    }
}

impl core::error::Error for CapacityError {}

/// An operation that was refused; the account is unchanged, `last_seen` included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum OperationError {
    /// The account type is too small for the policy.
    Capacity(CapacityError),
    /// An administrator lock was refused.
    Lock(LockError),
    /// A patch was refused.
    Patch(PatchError),
}

impl OperationError {
    /// The [behaviour §4](crate::behaviour#s4) code.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            OperationError::Capacity(error) => error.code(),
            OperationError::Lock(error) => error.code(),
            OperationError::Patch(error) => error.code,
        }
    }
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperationError::Capacity(error) => error.fmt(f),
            OperationError::Lock(error) => error.fmt(f),
            OperationError::Patch(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for OperationError {}

impl From<CapacityError> for OperationError {
    fn from(error: CapacityError) -> OperationError {
        OperationError::Capacity(error)
    }
}

impl From<LockError> for OperationError {
    fn from(error: LockError) -> OperationError {
        OperationError::Lock(error)
    }
}

impl From<PatchError> for OperationError {
    fn from(error: PatchError) -> OperationError {
        OperationError::Patch(error)
    }
}

/// One operation on an account, as data ([`crate::Account::apply`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Operation {
    /// May the user authenticate? A read: changes nothing.
    Check,
    /// A failed attempt, with the fingerprint of the credential if the host has one.
    Failure {
        /// The attempted credential's fingerprint.
        credential: Option<Fingerprint>,
    },
    /// A successful attempt.
    Success,
    /// An administrator unlock.
    Unlock,
    /// An administrator lock, until `until` or (without it) until an administrator unlocks.
    Lock {
        /// The deadline, later than `now`.
        until: Option<Instant>,
    },
    /// An administrator patch of the account fields.
    Patch(Patch),
}

impl Operation {
    /// The simulator's name of the operation.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Operation::Check => "check",
            Operation::Failure { .. } => "failure",
            Operation::Success => "success",
            Operation::Unlock => "unlock",
            Operation::Lock { .. } => "lock",
            Operation::Patch(_) => "patch",
        }
    }
}
