//! The versioned binary format of an account, for flash, EEPROM or a key-value store.
//!
//! Version 1, little-endian, CRC-32 protected:
//!
//! | bytes | field |
//! |---|---|
//! | 2 | magic `b"AL"` |
//! | 1 | version (1) |
//! | 1 | flags: bit 0 enabled, 1 locked, 2 lock has a deadline, 3–4 lock cause (0 policy, 1 consecutive failures, 2 administrator), 5 latest failure known, 6 attempt in flight |
//! | 8 × 5 | `last_seen`, lock start, lock deadline, latest failure, attempt start (i64 ms; 0 when absent) |
//! | 4, 4, 2, 2 | failure count, consecutive failures, temporary locks, attempt serial |
//! | 1 + 8 × n | n recorded failure times (i64 ms), oldest first |
//! | 1 + 8 × m | m remembered fingerprints (u64), oldest first |
//! | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! Decoding checks, in order: length, magic, version, checksum, then consistency with
//! itself and with the policy; any failure is a typed [`DecodeError`], never a panic, and
//! an accepted input re-encodes to the same bytes.
//!
//! ```
//! use account_lockout::{dialect::PingOne, Account, Instant};
//!
//! let policy = PingOne { failure_count: 3, duration_seconds: Some(900) }.policy().unwrap();
//! let mut account: Account = Account::new();
//! account.failure(&policy, Instant::from_secs(10), None).unwrap();
//!
//! assert_eq!(Account::<0, 0>::MAX_ENCODED_LEN, 62);
//! assert_eq!(Account::<3, 8>::MAX_ENCODED_LEN, 62 + 3 * 8 + 8 * 8);
//! let mut buffer = [0u8; Account::<0, 0>::MAX_ENCODED_LEN];
//! let length = account.encode(&mut buffer).unwrap();
//! let decoded: Account = Account::decode(&buffer[..length], &policy).unwrap();
//! assert_eq!(decoded, account);
//!
//! buffer[20] ^= 1; // a flipped bit in flash
//! assert!(Account::<0, 0>::decode(&buffer[..length], &policy).is_err());
//! ```

use super::{
    Account, CAUSE_MASK, CAUSE_SHIFT, DEADLINE, ENABLED, History, IN_FLIGHT, LAST_FAILURE, LOCKED,
    Lock, Memory, Records,
};
use crate::binary::{
    BufferTooSmall, CHECKSUM_LEN, DecodeError, Inconsistency, Reader, Writer, check_body,
};
use crate::fingerprint::Fingerprint;
use crate::outcome::LockCause;
use crate::policy::{Decay, Policy};
use crate::time::Instant;

const MAGIC: [u8; 2] = *b"AL";
const VERSION: u8 = 1;
/// Magic, version, flags, five instants, the counters and the two list lengths.
const FIXED_LEN: usize = 2 + 1 + 1 + 8 * 5 + 4 + 4 + 2 + 2 + 1 + 1;

// The flags byte has the in-memory layout of `Account::flags`.
const KNOWN_FLAGS: u8 = ENABLED | LOCKED | DEADLINE | CAUSE_MASK | LAST_FAILURE | IN_FLIGHT;

fn inconsistent(what: Inconsistency) -> DecodeError {
    DecodeError::Inconsistent(what)
}

/// An optional instant from its flag and field: an absent one must be written as zero.
fn optional(present: bool, value: Instant) -> Result<Option<Instant>, DecodeError> {
    match (present, value.as_millis()) {
        (true, _) => Ok(Some(value)),
        (false, 0) => Ok(None),
        (false, _) => Err(inconsistent(Inconsistency::AbsentFieldNotZero)),
    }
}

impl<const RECORDS: usize, const MEMORY: usize> Account<RECORDS, MEMORY> {
    /// The longest encoding of this account type, in bytes.
    pub const MAX_ENCODED_LEN: usize = FIXED_LEN + 8 * RECORDS + 8 * MEMORY + CHECKSUM_LEN;

    /// The length of this account's encoding.
    pub fn encoded_len(&self) -> usize {
        let lists = usize::from(self.history.records.len())
            .saturating_add(usize::from(self.history.memory.len()))
            .saturating_mul(8);
        FIXED_LEN.saturating_add(lists).saturating_add(CHECKSUM_LEN)
    }

    /// Encodes the account into `buffer` and returns the number of bytes written; a
    /// buffer of [`Self::MAX_ENCODED_LEN`] bytes always suffices. On error nothing is
    /// written.
    pub fn encode(&self, buffer: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let needed = self.encoded_len();
        let Some(target) = buffer.get_mut(..needed) else {
            return Err(BufferTooSmall { needed });
        };
        let lock = self.lock_state();
        let cause_bits = match lock.map(|lock| lock.cause) {
            None | Some(LockCause::Policy) => 0,
            Some(LockCause::ConsecutiveFailures) => 1,
            Some(LockCause::Administrator) => 2,
        };
        let deadline = lock.and_then(|lock| lock.until);
        let flags = (if self.is_enabled() { ENABLED } else { 0 })
            | (if lock.is_some() { LOCKED } else { 0 })
            | (if deadline.is_some() { DEADLINE } else { 0 })
            | (cause_bits << CAUSE_SHIFT)
            | (if self.last_failure().is_some() {
                LAST_FAILURE
            } else {
                0
            })
            | (if self.attempt_in_flight().is_some() {
                IN_FLIGHT
            } else {
                0
            });
        let millis = |instant: Option<Instant>| instant.map_or(0, Instant::as_millis).to_le_bytes();

        let mut writer = Writer {
            buffer: target,
            position: 0,
        };
        writer.bytes(&MAGIC);
        writer.bytes(&[VERSION, flags]);
        writer.bytes(&self.last_seen.as_millis().to_le_bytes());
        writer.bytes(&millis(lock.map(|lock| lock.since)));
        writer.bytes(&millis(deadline));
        writer.bytes(&millis(self.last_failure()));
        writer.bytes(&millis(self.attempt_in_flight()));
        writer.bytes(&self.history.count.to_le_bytes());
        writer.bytes(&self.history.consecutive.to_le_bytes());
        writer.bytes(&self.history.temporary_locks.to_le_bytes());
        writer.bytes(&self.attempt_serial.to_le_bytes());
        writer.bytes(&[self.history.records.len()]);
        for time in self.history.records.iter() {
            writer.bytes(&time.as_millis().to_le_bytes());
        }
        writer.bytes(&[self.history.memory.len()]);
        for fingerprint in self.history.memory.newest(MEMORY) {
            writer.bytes(&fingerprint.get().to_le_bytes());
        }
        Ok(writer.finish())
    }

    /// Decodes an account encoded by [`Account::encode`], checking it against `policy`.
    pub fn decode(bytes: &[u8], policy: &Policy) -> Result<Self, DecodeError> {
        let mut reader = Reader { bytes, position: 0 };
        if reader.take::<2>()? != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = reader.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnknownVersion(version));
        }
        // The checksum covers everything before it; find where that ends first.
        let lists_at = FIXED_LEN.saturating_sub(2);
        let records_len = *bytes.get(lists_at).ok_or(DecodeError::Truncated)?;
        let memory_at = FIXED_LEN
            .saturating_sub(1)
            .saturating_add(usize::from(records_len).saturating_mul(8));
        let memory_len = *bytes.get(memory_at).ok_or(DecodeError::Truncated)?;
        let body_len = memory_at
            .saturating_add(1)
            .saturating_add(usize::from(memory_len).saturating_mul(8));
        check_body(bytes, body_len)?;

        let flags = reader.u8()?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(inconsistent(Inconsistency::UnknownFlags));
        }
        let last_seen = reader.instant()?;
        let lock_since = optional(flags & LOCKED != 0, reader.instant()?)?;
        let has_deadline = flags & DEADLINE != 0;
        if has_deadline && lock_since.is_none() {
            return Err(inconsistent(Inconsistency::AbsentFieldNotZero));
        }
        let lock_until = optional(has_deadline, reader.instant()?)?;
        let last_failure = optional(flags & LAST_FAILURE != 0, reader.instant()?)?;
        let in_flight = optional(flags & IN_FLIGHT != 0, reader.instant()?)?;
        let count = reader.u32()?;
        let consecutive = reader.u32()?;
        let temporary_locks = reader.u16()?;
        let attempt_serial = reader.u16()?;

        let cause = match (flags & CAUSE_MASK) >> CAUSE_SHIFT {
            0 => LockCause::Policy,
            1 => LockCause::ConsecutiveFailures,
            2 => LockCause::Administrator,
            _ => return Err(inconsistent(Inconsistency::UnknownLockCause)),
        };
        if lock_since.is_none() && cause != LockCause::Policy {
            return Err(inconsistent(Inconsistency::AbsentFieldNotZero));
        }
        let lock = lock_since.map(|since| Lock {
            since,
            until: lock_until,
            cause,
        });

        let mut records = Records::<RECORDS>::EMPTY;
        if usize::from(reader.u8()?) > RECORDS {
            return Err(DecodeError::TooManyEntries);
        }
        for _ in 0..records_len {
            records.push(reader.instant()?, RECORDS);
        }
        let mut memory = Memory::<MEMORY>::EMPTY;
        if usize::from(reader.u8()?) > MEMORY {
            return Err(DecodeError::TooManyEntries);
        }
        for _ in 0..memory_len {
            memory.remember(Fingerprint::new(reader.u64()?), MEMORY);
        }

        let mut account = Account {
            last_seen,
            history: History {
                count,
                consecutive,
                temporary_locks,
                records,
                memory,
            },
            attempt_serial,
            ..Account::new()
        };
        account.set_enabled(flags & ENABLED != 0);
        account.set_lock_state(lock);
        account.set_last_failure(last_failure);
        account.set_in_flight(in_flight);
        account.check_consistency(policy)?;
        Ok(account)
    }

    /// The checks of a decoded state that the format alone cannot make.
    fn check_consistency(&self, policy: &Policy) -> Result<(), DecodeError> {
        let history = &self.history;
        if let Some(lock) = self.lock_state()
            && lock.until.is_some_and(|until| until <= lock.since)
        {
            return Err(inconsistent(Inconsistency::LockEndsBeforeItStarts));
        }
        // The start of an attempt in flight is an identity stamp that a clock regression
        // does not move, so it may be later than `last_seen`.
        let past = [
            self.lock_state().map(|lock| lock.since),
            self.last_failure(),
        ];
        let records = &history.records;
        if past
            .into_iter()
            .flatten()
            .chain(records.iter())
            .any(|t| t > self.last_seen)
        {
            return Err(inconsistent(Inconsistency::AfterLastSeen));
        }
        if records
            .iter()
            .zip(records.iter().skip(1))
            .any(|(a, b)| a > b)
        {
            return Err(inconsistent(Inconsistency::RecordsOutOfOrder));
        }
        if self.attempt_in_flight().is_some() && self.attempt_serial == 0 {
            return Err(inconsistent(Inconsistency::AttemptWithoutSerial));
        }
        if (history.count > 0 || history.consecutive > 0) && self.last_failure().is_none() {
            return Err(inconsistent(Inconsistency::CountWithoutFailure));
        }

        let rules = policy.rules();
        let unreachable = match rules.decay {
            // A sliding window's count is the number of times it keeps.
            Decay::SlidingWindow(_) => history.count != history.records.count(),
            _ => records.len() != 0,
        } || rules
            .max_consecutive_failures
            .is_some_and(|cap| history.consecutive > cap)
            || match rules.permanent_after_temporary_locks {
                Some(allowed) => history.temporary_locks > allowed.saturating_add(1),
                None => history.temporary_locks != 0,
            }
            || usize::from(history.memory.len()) > MEMORY;
        if unreachable {
            return Err(inconsistent(Inconsistency::UnreachableCounter));
        }
        Ok(())
    }
}
