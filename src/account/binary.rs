//! The versioned binary format of an account, for flash, EEPROM or a key-value store.
//!
//! Version 2, little-endian, CRC-32 protected:
//!
//! | bytes | field |
//! |---|---|
//! | 2 | magic `b"AL"` |
//! | 1 | version (2) |
//! | 1 | flags: bit 0 enabled, 1 locked, 2 lock has a deadline, 3–4 lock cause (0 policy, 1 consecutive failures, 2 administrator, 3 quick failure), 5 latest failure known |
//! | 8 × 4 | `last_seen`, lock start, lock deadline, latest failure (i64 ms; 0 when absent) |
//! | 4, 4, 2, 2 | failure count, consecutive failures, temporary locks, latest attempt serial |
//! | 1 + 8 × n | n recorded failure times (i64 ms), oldest first |
//! | 1 + 8 × m | m remembered fingerprints (u64), oldest first |
//! | 1 + 18 × a | a attempts in flight, oldest first: serial (u16), start as the clock said at `begin` (the token's, i64 ms), start after clock regressions (i64 ms) |
//! | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! Version 1 (one attempt in flight at most) is still read: its flag bit 6 and fifth
//! instant become one attempt in flight with the latest serial. It is never written.
//!
//! Decoding checks, in order: length, magic, version, checksum, then consistency with
//! itself and with the policy; any failure is a typed [`DecodeError`], never a panic, and
//! an accepted version-2 input re-encodes to the same bytes.
//!
//! ```
//! use account_lockout::{dialect::PingOne, Account, Instant};
//!
//! let policy = PingOne { failure_count: 3, duration_seconds: Some(900) }.policy().unwrap();
//! let mut account: Account = Account::new();
//! account.failure(&policy, Instant::from_secs(10), None).unwrap();
//!
//! assert_eq!(Account::<0, 0, 0>::MAX_ENCODED_LEN, 55);
//! assert_eq!(Account::<3, 8, 8>::MAX_ENCODED_LEN, 55 + 3 * 8 + 8 * 8 + 8 * 18);
//! let mut buffer = [0u8; Account::<0, 0>::MAX_ENCODED_LEN];
//! let length = account.encode(&mut buffer).unwrap();
//! assert_eq!(length, 55); // nothing in flight
//! let decoded: Account = Account::decode(&buffer[..length], &policy).unwrap();
//! assert_eq!(decoded, account);
//!
//! buffer[20] ^= 1; // a flipped bit in flash
//! assert!(Account::<0, 0>::decode(&buffer[..length], &policy).is_err());
//! ```

use super::attempt::{Attempt, InFlight};
use super::{
    Account, CAUSE_MASK, CAUSE_SHIFT, DEADLINE, ENABLED, History, LAST_FAILURE, LOCKED, Lock,
    Memory, Records,
};
use crate::account::AttemptToken;
use crate::binary::{
    BufferTooSmall, CHECKSUM_LEN, DecodeError, Inconsistency, Reader, Writer, check_body,
};
use crate::fingerprint::Fingerprint;
use crate::outcome::LockCause;
use crate::policy::{MAX_CREDENTIAL_MEMORY, MAX_RECORDED_FAILURES, Policy};
use crate::time::Instant;

const MAGIC: [u8; 2] = *b"AL";
const VERSION: u8 = 2;
/// The version before several attempts could be in flight.
const VERSION_1: u8 = 1;
/// Version 1's flag: one attempt in flight, its start the fifth instant.
const VERSION_1_IN_FLIGHT: u8 = 1 << 6;
/// Magic, version, flags, four instants, the counters and the three list lengths.
const FIXED_LEN: usize = 2 + 1 + 1 + 8 * 4 + 4 + 4 + 2 + 2 + 1 + 1 + 1;
/// Where the lists begin.
const LISTS_AT: usize = FIXED_LEN - 3;
/// Version 1 has a fifth instant and no attempt list.
const VERSION_1_LISTS_AT: usize = LISTS_AT + 8;
const ATTEMPT_LEN: usize = 2 + 8 + 8;

const KNOWN_FLAGS: u8 = ENABLED | LOCKED | DEADLINE | CAUSE_MASK | LAST_FAILURE;

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

/// The length of the body (everything before the checksum), from the list lengths.
fn body_len(bytes: &[u8], lists_at: usize, lists: usize) -> Result<usize, DecodeError> {
    let mut at = lists_at;
    for entry_len in [8, 8, ATTEMPT_LEN].into_iter().take(lists) {
        let count = *bytes.get(at).ok_or(DecodeError::Truncated)?;
        at = at
            .saturating_add(1)
            .saturating_add(usize::from(count).saturating_mul(entry_len));
    }
    Ok(at)
}

impl<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>
    Account<RECORDS, MEMORY, ATTEMPTS>
{
    /// The longest encoding of this account type, in bytes.
    pub const MAX_ENCODED_LEN: usize =
        FIXED_LEN + 8 * RECORDS + 8 * MEMORY + ATTEMPT_LEN * ATTEMPTS + CHECKSUM_LEN;

    /// The length of this account's encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let lists = usize::from(self.history.records.len())
            .saturating_add(usize::from(self.history.memory.len()))
            .saturating_mul(8)
            .saturating_add(self.attempts.len().saturating_mul(ATTEMPT_LEN));
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
        let cause_bits = lock.map_or(0, |lock| lock.cause.bits());
        let deadline = lock.and_then(|lock| lock.until);
        let flags = (if self.is_enabled() { ENABLED } else { 0 })
            | (if lock.is_some() { LOCKED } else { 0 })
            | (if deadline.is_some() { DEADLINE } else { 0 })
            | (cause_bits << CAUSE_SHIFT)
            | (if self.last_failure().is_some() {
                LAST_FAILURE
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
        writer.bytes(&[u8::try_from(self.attempts.len()).unwrap_or(u8::MAX)]);
        for attempt in self.attempts.iter() {
            writer.bytes(&attempt.token.to_bytes());
            writer.bytes(&attempt.start.as_millis().to_le_bytes());
        }
        Ok(writer.finish())
    }

    /// Decodes an account encoded by [`Account::encode`] (version 2, or version 1 of an
    /// earlier release), checking it against `policy`.
    pub fn decode(bytes: &[u8], policy: &Policy) -> Result<Self, DecodeError> {
        let account = Self::decode_structure(bytes)?;
        account.check_policy(policy)?;
        Ok(account)
    }

    /// Decodes a state stored under another policy (or by an account type of another
    /// size), and migrates it to `policy` instead of refusing what `policy` could not
    /// have made. The bytes must still be a sound state: a bad checksum, an unknown
    /// version or an inconsistent state is refused as [`Account::decode`] refuses it.
    ///
    /// What is kept: the lock, its start and deadline, the user's enabled flag, the
    /// latest failure, `last_seen` and the attempts in flight, always. The failure count,
    /// except that a sliding window keeps its newest `threshold` failure times (a count
    /// that had no times becomes that many failures at the latest failure's instant, so
    /// no failure is forgotten, and none counts for longer than it would have). The
    /// consecutive count, up to a new cap; the temporary locks, up to the new limit (none
    /// when the policy no longer counts them); the newest remembered fingerprints that
    /// the new memory holds.
    ///
    /// ```
    /// use account_lockout::{dialect::{PamFaillock, PingOne}, Account, Instant};
    ///
    /// let old = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy().unwrap();
    /// let mut account: Account<3> = Account::new();
    /// for second in 0..4 {
    ///     account.failure(&old, Instant::from_secs(second), None).unwrap();
    /// }
    /// let mut bytes = [0u8; Account::<3>::MAX_ENCODED_LEN];
    /// let len = account.encode(&mut bytes).unwrap();
    ///
    /// // The policy changed to pam_faillock (deny 3): its sliding window keeps times.
    /// let new = PamFaillock::DEFAULT.policy().unwrap();
    /// assert!(Account::<3>::decode(&bytes[..len], &new).is_err());
    /// let mut migrated = Account::<3>::decode_migrating(&bytes[..len], &new).unwrap();
    /// // Four failures, as three failure times at the latest one (3 s): the next locks.
    /// assert_eq!(migrated.failure_count(&new, Instant::from_secs(4)), 3);
    /// migrated.failure(&new, Instant::from_secs(4), None).unwrap();
    /// assert!(!migrated.can_authenticate(Instant::from_secs(4)));
    /// ```
    pub fn decode_migrating(bytes: &[u8], policy: &Policy) -> Result<Self, DecodeError> {
        let wide =
            Account::<MAX_RECORDED_FAILURES, MAX_CREDENTIAL_MEMORY, ATTEMPTS>::decode_structure(
                bytes,
            )?;
        let account = wide.migrated::<RECORDS, MEMORY>(policy);
        account.check_policy(policy)?;
        Ok(account)
    }

    /// This state as `policy` would keep it, in an account type of `R` records and `M`
    /// fingerprints (see [`Account::decode_migrating`]).
    fn migrated<const R: usize, const M: usize>(&self, policy: &Policy) -> Account<R, M, ATTEMPTS> {
        let rules = policy.rules();
        let old = &self.history;
        let mut history = History::<R, M> {
            count: old.count,
            consecutive: rules
                .max_consecutive_failures
                .map_or(old.consecutive, |cap| old.consecutive.min(cap)),
            temporary_locks: rules.permanent_after_temporary_locks.map_or(0, |allowed| {
                old.temporary_locks.min(allowed.saturating_add(1))
            }),
            records: Records::EMPTY,
            memory: Memory::EMPTY,
        };
        if rules.decay.keeps_times() {
            let keep = policy.records_needed();
            if old.records.len() == 0 {
                if let Some(latest) = self.last_failure() {
                    for _ in 0..old.count.min(u32::try_from(keep).unwrap_or(u32::MAX)) {
                        history.records.push(latest, keep);
                    }
                }
            } else {
                for time in old.records.iter() {
                    history.records.push(time, keep);
                }
            }
            history.count = history.records.count();
        }
        let memory = policy.memory_needed();
        for fingerprint in old.memory.newest(MAX_CREDENTIAL_MEMORY) {
            history.memory.push(fingerprint, memory);
        }
        Account {
            last_seen: self.last_seen,
            lock_since: self.lock_since,
            lock_until: self.lock_until,
            last_failure: self.last_failure,
            history,
            attempts: self.attempts,
            attempt_serial: self.attempt_serial,
            flags: self.flags,
        }
    }

    /// Decodes the bytes into a state that is sound in itself, whatever the policy.
    fn decode_structure(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader { bytes, position: 0 };
        if reader.take::<2>()? != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = reader.u8()?;
        let (known_flags, body_len) = match version {
            VERSION => (KNOWN_FLAGS, body_len(bytes, LISTS_AT, 3)?),
            VERSION_1 => (
                KNOWN_FLAGS | VERSION_1_IN_FLIGHT,
                body_len(bytes, VERSION_1_LISTS_AT, 2)?,
            ),
            _ => return Err(DecodeError::UnknownVersion(version)),
        };
        // The checksum covers everything before it.
        check_body(bytes, body_len)?;

        let flags = reader.u8()?;
        if flags & !known_flags != 0 {
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
        let version_1_in_flight = match version {
            VERSION_1 => optional(flags & VERSION_1_IN_FLIGHT != 0, reader.instant()?)?,
            _ => None,
        };
        let count = reader.u32()?;
        let consecutive = reader.u32()?;
        let temporary_locks = reader.u16()?;
        let attempt_serial = reader.u16()?;

        let cause = match (flags & CAUSE_MASK) >> CAUSE_SHIFT {
            // Version 1 had no quick-failure cause.
            3 if version == VERSION_1 => {
                return Err(inconsistent(Inconsistency::UnknownLockCause));
            }
            bits => LockCause::of_bits(bits),
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
        let records_len = reader.u8()?;
        if usize::from(records_len) > RECORDS {
            return Err(DecodeError::TooManyEntries);
        }
        for _ in 0..records_len {
            records.push(reader.instant()?, RECORDS);
        }
        let mut memory = Memory::<MEMORY>::EMPTY;
        let memory_len = reader.u8()?;
        if usize::from(memory_len) > MEMORY {
            return Err(DecodeError::TooManyEntries);
        }
        for _ in 0..memory_len {
            memory.push(Fingerprint::new(reader.u64()?), MEMORY);
        }
        let mut attempts = InFlight::<ATTEMPTS>::EMPTY;
        let mut add = |attempt: Attempt| {
            attempts
                .push(attempt)
                .then_some(())
                .ok_or(DecodeError::TooManyEntries)
        };
        match version_1_in_flight {
            // Version 1 kept the start as the clock said at `begin` and never moved it.
            Some(started) => add(Attempt {
                token: AttemptToken::from_parts(attempt_serial, started),
                start: started.min(last_seen),
            })?,
            None if version == VERSION => {
                for _ in 0..reader.u8()? {
                    let token = AttemptToken::from_bytes(reader.take()?);
                    add(Attempt {
                        token,
                        start: reader.instant()?,
                    })?;
                }
            }
            None => {}
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
            attempts,
            attempt_serial,
            ..Account::new()
        };
        account.set_enabled(flags & ENABLED != 0);
        account.set_lock_state(lock);
        account.set_last_failure(last_failure);
        account.check_structure()?;
        Ok(account)
    }

    /// The checks of a decoded state that the format alone cannot make.
    fn check_structure(&self) -> Result<(), DecodeError> {
        let history = &self.history;
        if let Some(lock) = self.lock_state()
            && lock.until.is_some_and(|until| until <= lock.since)
        {
            return Err(inconsistent(Inconsistency::LockEndsBeforeItStarts));
        }
        // The token's start is an identity stamp that a clock regression does not move,
        // so it may be later than `last_seen`; the moved start may not.
        let past = [
            self.lock_state().map(|lock| lock.since),
            self.last_failure(),
        ];
        let records = &history.records;
        if past
            .into_iter()
            .flatten()
            .chain(records.iter())
            .chain(self.attempts.iter().map(|attempt| attempt.start))
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
        let attempts = || self.attempts.iter();
        if attempts().any(|attempt| attempt.token.serial() == 0)
            || (self.attempts.len() > 0 && self.attempt_serial == 0)
        {
            return Err(inconsistent(Inconsistency::AttemptWithoutSerial));
        }
        if attempts()
            .zip(attempts().skip(1))
            .any(|(a, b)| a.start > b.start)
        {
            return Err(inconsistent(Inconsistency::AttemptsOutOfOrder));
        }
        if attempts().enumerate().any(|(index, a)| {
            attempts()
                .skip(index.saturating_add(1))
                .any(|b| a.token == b.token)
        }) {
            return Err(inconsistent(Inconsistency::DuplicateAttempt));
        }
        if (history.count > 0 || history.consecutive > 0) && self.last_failure().is_none() {
            return Err(inconsistent(Inconsistency::CountWithoutFailure));
        }
        Ok(())
    }

    /// The checks of a sound state against the policy it is used with: no counter the
    /// policy could not have reached.
    fn check_policy(&self, policy: &Policy) -> Result<(), DecodeError> {
        let history = &self.history;
        let records = &history.records;
        let rules = policy.rules();
        let unreachable = !rules.decay.consistent(history.count, records)
            || rules
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
