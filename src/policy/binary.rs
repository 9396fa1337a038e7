//! The versioned binary format of a policy, stored beside the account states it governs.
//!
//! Version 2, little-endian, CRC-32 protected:
//!
//! | bytes | field |
//! |---|---|
//! | 2, 1 | magic `b"AP"`, version (2) |
//! | 4 | threshold |
//! | 1 + 8 | lock: tag (0 permanent, 1 fixed, 2 multiple, 3 linear, 4 exponential, 5 table), length in ms (0 for permanent and table) |
//! | 1 + 12 × n | table steps: n, then (from count u32, length ms u64) each; n = 0 unless the tag is 5 |
//! | 1 + 8 | max lock: present (0/1), ms |
//! | 1 + 8 | decay: tag (0 none, 1 quiet window, 2 sliding window, 3 self-healing), ms |
//! | 1, 1 | on success, on lock end (0 reset, 1 keep) |
//! | 1 + 8 + 8 | quick failure: present, within ms, lock ms |
//! | 1 + 2 | permanent after temporary locks: present, count |
//! | 1, 1 | deadline from whole second (0/1), repeated-credential memory |
//! | 1 + 4 | max consecutive failures: present, count |
//! | 1 + 8 | max attempts in flight, attempt timeout ms |
//! | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! Version 1 (without the last row) is still read, with the defaults of
//! [`Rules::NEVER_LOCK`] for the attempt limits; it is never written.
//!
//! Decoding validates like [`Rules::build`]: an invalid policy is
//! [`DecodeError::InvalidPolicy`] with the parameter named (a version-1 policy that
//! combines an escalating lock length with a count that restarts is one now).
//!
//! ```
//! use account_lockout::{dialect::Keycloak, Policy};
//!
//! let policy = Keycloak::DEFAULT.policy().unwrap();
//! assert_eq!(Policy::MAX_ENCODED_LEN, 269);
//! let mut buffer = [0u8; Policy::MAX_ENCODED_LEN];
//! let length = policy.encode(&mut buffer).unwrap();
//! assert_eq!(Policy::decode(&buffer[..length]), Ok(policy));
//! ```

use super::{Decay, LockLength, OnLockEnd, OnSuccess, Policy, QuickFailure, Rules};
use crate::binary::{
    BufferTooSmall, CHECKSUM_LEN, DecodeError, Inconsistency, Reader, Writer, check_body,
};
use crate::schedule::{MAX_SCHEDULE_STEPS, Schedule, Step};
use crate::time::Duration;

const MAGIC: [u8; 2] = *b"AP";
const VERSION: u8 = 2;
/// The version before the attempt limits.
const VERSION_1: u8 = 1;
/// Every field of version 1 but the table steps and the checksum.
const VERSION_1_FIXED_LEN: usize = 2 + 1 + 4 + 9 + 1 + 9 + 9 + 2 + 17 + 3 + 2 + 5;
/// Every field but the table steps and the checksum.
const FIXED_LEN: usize = VERSION_1_FIXED_LEN + 9;
const STEP_LEN: usize = 12;
/// Where the number of table steps is.
const STEP_COUNT_AT: usize = 2 + 1 + 4 + 9;

fn unknown_tag() -> DecodeError {
    DecodeError::Inconsistent(Inconsistency::UnknownTag)
}

fn absent_not_zero() -> DecodeError {
    DecodeError::Inconsistent(Inconsistency::AbsentFieldNotZero)
}

/// An optional value: a presence byte (0 or 1) and the value, zero when absent.
fn optional<T: Copy + PartialEq>(present: u8, value: T, zero: T) -> Result<Option<T>, DecodeError> {
    match present {
        1 => Ok(Some(value)),
        0 if value == zero => Ok(None),
        0 => Err(absent_not_zero()),
        _ => Err(unknown_tag()),
    }
}

fn flag(byte: u8) -> Result<bool, DecodeError> {
    match byte {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(unknown_tag()),
    }
}

impl Policy {
    /// The longest encoding of a policy, in bytes.
    pub const MAX_ENCODED_LEN: usize = FIXED_LEN + STEP_LEN * MAX_SCHEDULE_STEPS + CHECKSUM_LEN;

    /// Encodes the policy into `buffer` and returns the number of bytes written; a buffer
    /// of [`Policy::MAX_ENCODED_LEN`] bytes always suffices.
    pub fn encode(&self, buffer: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let rules = &self.rules;
        let steps: &[Step] = match &rules.lock {
            LockLength::Table(schedule) => schedule.steps(),
            _ => &[],
        };
        let needed = FIXED_LEN
            .saturating_add(STEP_LEN.saturating_mul(steps.len()))
            .saturating_add(CHECKSUM_LEN);
        let Some(target) = buffer.get_mut(..needed) else {
            return Err(BufferTooSmall { needed });
        };
        let (lock_tag, lock_ms) = match rules.lock {
            LockLength::Permanent => (0_u8, 0),
            LockLength::Fixed(length) => (1, length.as_millis()),
            LockLength::Multiple { increment } => (2, increment.as_millis()),
            LockLength::Linear { increment } => (3, increment.as_millis()),
            LockLength::Exponential { initial } => (4, initial.as_millis()),
            LockLength::Table(_) => (5, 0),
        };
        let (decay_tag, decay_ms) = match rules.decay {
            Decay::None => (0_u8, 0),
            Decay::QuietWindow(window) => (1, window.as_millis()),
            Decay::SlidingWindow(window) => (2, window.as_millis()),
            Decay::SelfHealing(period) => (3, period.as_millis()),
        };
        let quick = rules.quick_failure;

        let mut writer = Writer {
            buffer: target,
            position: 0,
        };
        writer.bytes(&MAGIC);
        writer.bytes(&[VERSION]);
        writer.bytes(&rules.threshold.to_le_bytes());
        writer.bytes(&[lock_tag]);
        writer.bytes(&lock_ms.to_le_bytes());
        writer.bytes(&[u8::try_from(steps.len()).unwrap_or(0)]);
        for step in steps {
            writer.bytes(&step.from_count.to_le_bytes());
            writer.bytes(&step.length.as_millis().to_le_bytes());
        }
        writer.bytes(&[u8::from(rules.max_lock.is_some())]);
        writer.bytes(&rules.max_lock.map_or(0, Duration::as_millis).to_le_bytes());
        writer.bytes(&[decay_tag]);
        writer.bytes(&decay_ms.to_le_bytes());
        writer.bytes(&[
            u8::from(rules.on_success == OnSuccess::Keep),
            u8::from(rules.on_lock_end == OnLockEnd::Keep),
            u8::from(quick.is_some()),
        ]);
        writer.bytes(&quick.map_or(0, |q| q.within.as_millis()).to_le_bytes());
        writer.bytes(&quick.map_or(0, |q| q.lock.as_millis()).to_le_bytes());
        writer.bytes(&[u8::from(rules.permanent_after_temporary_locks.is_some())]);
        writer.bytes(
            &rules
                .permanent_after_temporary_locks
                .unwrap_or(0)
                .to_le_bytes(),
        );
        writer.bytes(&[
            u8::from(rules.deadline_from_whole_second),
            rules.repeated_credential_memory,
            u8::from(rules.max_consecutive_failures.is_some()),
        ]);
        writer.bytes(&rules.max_consecutive_failures.unwrap_or(0).to_le_bytes());
        writer.bytes(&[rules.max_attempts_in_flight]);
        writer.bytes(&rules.attempt_timeout.as_millis().to_le_bytes());
        Ok(writer.finish())
    }

    /// Decodes a policy encoded by [`Policy::encode`], validating it as
    /// [`Rules::build`] does.
    pub fn decode(bytes: &[u8]) -> Result<Policy, DecodeError> {
        let mut reader = Reader { bytes, position: 0 };
        if reader.take::<2>()? != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = reader.u8()?;
        let fixed_len = match version {
            VERSION => FIXED_LEN,
            VERSION_1 => VERSION_1_FIXED_LEN,
            _ => return Err(DecodeError::UnknownVersion(version)),
        };
        let step_count = *bytes.get(STEP_COUNT_AT).ok_or(DecodeError::Truncated)?;
        if usize::from(step_count) > MAX_SCHEDULE_STEPS {
            return Err(DecodeError::TooManyEntries);
        }
        let body_len = fixed_len.saturating_add(STEP_LEN.saturating_mul(usize::from(step_count)));
        check_body(bytes, body_len)?;

        let threshold = reader.u32()?;
        let lock_tag = reader.u8()?;
        let lock_ms = Duration::from_millis(reader.u64()?);
        let mut steps = [Step::new(0, Duration::ZERO); MAX_SCHEDULE_STEPS];
        let count = usize::from(reader.u8()?);
        for step in steps.iter_mut().take(count) {
            *step = Step::new(reader.u32()?, Duration::from_millis(reader.u64()?));
        }
        let fixed_ms = |lock: LockLength| {
            if lock_tag == 5 || count == 0 {
                Ok(lock)
            } else {
                Err(absent_not_zero())
            }
        };
        let lock = match lock_tag {
            0 if lock_ms.is_zero() => fixed_ms(LockLength::Permanent)?,
            1 => fixed_ms(LockLength::Fixed(lock_ms))?,
            2 => fixed_ms(LockLength::Multiple { increment: lock_ms })?,
            3 => fixed_ms(LockLength::Linear { increment: lock_ms })?,
            4 => fixed_ms(LockLength::Exponential { initial: lock_ms })?,
            5 if lock_ms.is_zero() => LockLength::Table(
                Schedule::new(steps.get(..count).unwrap_or(&[]))
                    .map_err(DecodeError::InvalidPolicy)?,
            ),
            0 | 5 => return Err(absent_not_zero()),
            _ => return Err(unknown_tag()),
        };
        let max_present = reader.u8()?;
        let max_lock = optional(max_present, reader.u64()?, 0)?.map(Duration::from_millis);
        let decay_tag = reader.u8()?;
        let decay_ms = Duration::from_millis(reader.u64()?);
        let decay = match decay_tag {
            0 if decay_ms.is_zero() => Decay::None,
            0 => return Err(absent_not_zero()),
            1 => Decay::QuietWindow(decay_ms),
            2 => Decay::SlidingWindow(decay_ms),
            3 => Decay::SelfHealing(decay_ms),
            _ => return Err(unknown_tag()),
        };
        let on_success = if flag(reader.u8()?)? {
            OnSuccess::Keep
        } else {
            OnSuccess::Reset
        };
        let on_lock_end = if flag(reader.u8()?)? {
            OnLockEnd::Keep
        } else {
            OnLockEnd::Reset
        };
        let quick_present = reader.u8()?;
        let within = reader.u64()?;
        let quick_lock = reader.u64()?;
        let quick_failure =
            optional(quick_present, (within, quick_lock), (0, 0))?.map(|(within, lock)| {
                QuickFailure {
                    within: Duration::from_millis(within),
                    lock: Duration::from_millis(lock),
                }
            });
        let permanent_present = reader.u8()?;
        let permanent_after_temporary_locks = optional(permanent_present, reader.u16()?, 0)?;
        let deadline_from_whole_second = flag(reader.u8()?)?;
        let repeated_credential_memory = reader.u8()?;
        let cap_present = reader.u8()?;
        let max_consecutive_failures = optional(cap_present, reader.u32()?, 0)?;
        let (max_attempts_in_flight, attempt_timeout) = match version {
            VERSION_1 => (
                Rules::NEVER_LOCK.max_attempts_in_flight,
                Rules::NEVER_LOCK.attempt_timeout,
            ),
            _ => (reader.u8()?, Duration::from_millis(reader.u64()?)),
        };

        Rules {
            threshold,
            lock,
            max_lock,
            decay,
            on_success,
            on_lock_end,
            quick_failure,
            permanent_after_temporary_locks,
            deadline_from_whole_second,
            repeated_credential_memory,
            max_consecutive_failures,
            max_attempts_in_flight,
            attempt_timeout,
        }
        .build()
        .map_err(DecodeError::InvalidPolicy)
    }
}
