//! What can go wrong on flash, typed: the driver, a full or corrupted store, a record
//! that is not a sound state, and the account's own refusals.

use core::fmt;

use crate::account::AttemptError;
use crate::binary::DecodeError;
use crate::operation::CapacityError;

/// Why a [`FlashStore`](super::FlashStore) call failed. `E` is the flash driver's error.
///
/// Whatever the error, what is on flash is a state the store wrote completely, or the one
/// before it: a write that failed part way is ignored by the next read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FlashError<E> {
    /// The flash driver failed (a write, an erase or a read; a power cut in a test).
    Flash(E),
    /// The store is full: the live records do not fit in the flash range with one page
    /// spare. Give the store more pages.
    Full,
    /// The store found corruption it could not repair.
    Corrupted,
    /// A stored record is not a sound state for the policy (or, at opening, cannot be
    /// migrated to it): nothing was changed, and no attempt is let through on it.
    Record(DecodeError),
    /// The account type is too small for the policy.
    Capacity(CapacityError),
    /// [`FlashStore::finish`](super::FlashStore::finish) was refused: its token names no
    /// attempt in flight. Nothing was written.
    Attempt(AttemptError),
    /// The store's buffer is too small for the policy, the account type and the key
    /// (the `BUFFER` parameter of [`FlashStore`](super::FlashStore)).
    BufferTooSmall {
        /// The bytes the buffer needs.
        needed: usize,
    },
    /// The flash range does not start and end on page boundaries, spans fewer than two
    /// pages, or the flash's pages or words are too small for the store.
    Range,
    /// Any other failure sequential-storage reports (a key that does not serialise, a
    /// logic error it detected instead of panicking).
    Storage,
}

impl<E> From<sequential_storage::Error<E>> for FlashError<E> {
    fn from(error: sequential_storage::Error<E>) -> Self {
        match error {
            sequential_storage::Error::Storage { value, .. } => FlashError::Flash(value),
            sequential_storage::Error::FullStorage => FlashError::Full,
            sequential_storage::Error::Corrupted { .. } => FlashError::Corrupted,
            sequential_storage::Error::BufferTooSmall(needed) => {
                FlashError::BufferTooSmall { needed }
            }
            _ => FlashError::Storage,
        }
    }
}

impl<E: fmt::Debug> fmt::Display for FlashError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlashError::Flash(error) => write!(f, "the flash failed: {error:?}"),
            FlashError::Full => f.write_str("the flash store is full"),
            FlashError::Corrupted => f.write_str("the flash store is corrupted beyond repair"),
            FlashError::Record(error) => write!(f, "a stored record is not a sound state: {error}"),
            FlashError::Capacity(error) => error.fmt(f),
            FlashError::Attempt(error) => error.fmt(f),
            FlashError::BufferTooSmall { needed } => {
                write!(f, "the flash store's buffer is too small: it needs {needed} bytes")
            }
            FlashError::Range => f.write_str(
                "the flash range is not whole pages, spans fewer than two, or the pages are too small",
            ),
            FlashError::Storage => f.write_str("the flash store failed"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for FlashError<E> {}
