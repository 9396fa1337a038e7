//! What a [`Guard`](crate::Guard) refuses to do.

use core::fmt;

use super::scope::Scope;
use crate::operation::CapacityError;

/// A refused guard call or configuration; nothing changed in any scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum GuardError {
    /// The scope's table is full of accounts that hold information, and the call needs a
    /// new one ([`TableError::Full`](crate::TableError::Full)).
    Full(Scope),
    /// The account type is too small for the scope's policy: a [`Guard`](crate::Guard)
    /// keeps `Account` (no failure records, no credential memory, 8 attempts in flight).
    Capacity(Scope, CapacityError),
    /// The token names no attempt in flight in one of the scopes: already finished, timed
    /// out (it counted as a failure) or for another user or source.
    UnknownAttempt,
    /// An IPv6 prefix length outside 1..=128.
    Ipv6Prefix(u8),
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuardError::Full(scope) => write!(
                f,
                "the {scope} lockout table is full of accounts that hold information"
            ),
            GuardError::Capacity(scope, error) => write!(f, "the {scope} scope: {error}"),
            GuardError::UnknownAttempt => f.write_str(
                "the guard token names no attempt in flight in every scope (finished, timed out, or another user's or source's)",
            ),
            GuardError::Ipv6Prefix(prefix) => {
                write!(f, "an IPv6 prefix length must be 1 to 128 (got {prefix})")
            }
        }
    }
}

impl core::error::Error for GuardError {}
