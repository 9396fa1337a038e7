//! The building blocks of the crate's binary formats (the account state and the policy):
//! little-endian fields, a CRC-32 over the body, and one typed error for every way bytes
//! can fail to decode.

use core::fmt;

use crate::policy::PolicyError;
use crate::time::Instant;

/// The length of the CRC-32 that ends every encoding.
pub(crate) const CHECKSUM_LEN: usize = 4;

/// CRC-32 (IEEE 802.3, reflected: the catalogue's CRC-32/ISO-HDLC), one 256-entry table
/// built at compile time, from the `crc` crate.
const CRC: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);

pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    CRC.checksum(bytes)
}

/// The caller's buffer is shorter than the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall {
    /// The bytes the encoding needs.
    pub needed: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the buffer is too small: the encoding needs {} bytes",
            self.needed
        )
    }
}

impl core::error::Error for BufferTooSmall {}

/// What is inconsistent in a decoded account state or policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Inconsistency {
    /// Flag bits this version does not define are set.
    UnknownFlags,
    /// A field marked absent is not zero.
    AbsentFieldNotZero,
    /// The lock cause is not one the format's version defines.
    UnknownLockCause,
    /// A lock ends at or before it starts.
    LockEndsBeforeItStarts,
    /// An instant of the past (lock start, latest failure, a recorded failure) is later
    /// than the latest event.
    AfterLastSeen,
    /// Recorded failure times are not in order.
    RecordsOutOfOrder,
    /// A counter holds a value the policy cannot reach.
    UnreachableCounter,
    /// Failures are counted but no latest failure is known.
    CountWithoutFailure,
    /// An attempt is in flight although no attempt was ever begun.
    AttemptWithoutSerial,
    /// The attempts in flight are not oldest first.
    AttemptsOutOfOrder,
    /// Two attempts in flight have the same token.
    DuplicateAttempt,
    /// A tag, a flag byte or a boolean holds a value this version does not define.
    UnknownTag,
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Inconsistency::UnknownFlags => "flag bits this version does not define are set",
            Inconsistency::AbsentFieldNotZero => "a field marked absent is not zero",
            Inconsistency::UnknownLockCause => "the lock cause is not one this version defines",
            Inconsistency::LockEndsBeforeItStarts => "a lock ends at or before it starts",
            Inconsistency::AfterLastSeen => {
                "a past instant (lock start, last failure or a recorded failure) is after the \
                 account's last_seen"
            }
            Inconsistency::RecordsOutOfOrder => "the recorded failure times are not in order",
            Inconsistency::UnreachableCounter => "a counter holds a value the policy cannot reach",
            Inconsistency::CountWithoutFailure => {
                "failures are counted but no last failure is known"
            }
            Inconsistency::AttemptWithoutSerial => {
                "an attempt is in flight although no attempt was ever begun"
            }
            Inconsistency::AttemptsOutOfOrder => "the attempts in flight are not oldest first",
            Inconsistency::DuplicateAttempt => "two attempts in flight have the same token",
            Inconsistency::UnknownTag => {
                "a tag, flag byte or boolean holds a value this version does not define"
            }
        })
    }
}

impl core::error::Error for Inconsistency {}

/// Why bytes are not an account state or a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends early.
    Truncated,
    /// The input goes on after the checksum.
    TrailingBytes,
    /// The input does not start with the magic bytes (`AL` for an account, `AP` for a
    /// policy).
    BadMagic,
    /// A version this build does not know.
    UnknownVersion(u8),
    /// The checksum does not match: the bytes were corrupted.
    Checksum,
    /// The account type is too small for the lists in the input.
    TooManyEntries,
    /// The state is inconsistent.
    Inconsistent(Inconsistency),
    /// The bytes are well formed but describe an invalid policy.
    InvalidPolicy(PolicyError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("the input is truncated"),
            DecodeError::TrailingBytes => f.write_str("bytes follow the checksum"),
            DecodeError::BadMagic => f.write_str("bad magic bytes: not this kind of record"),
            DecodeError::UnknownVersion(version) => write!(f, "unknown format version {version}"),
            DecodeError::Checksum => {
                f.write_str("the checksum does not match: the bytes are corrupted")
            }
            DecodeError::TooManyEntries => {
                f.write_str("the input has more entries than the type holds")
            }
            DecodeError::Inconsistent(what) => write!(f, "inconsistent state: {what}"),
            DecodeError::InvalidPolicy(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Writes into a buffer, left to right; every write is checked.
pub(crate) struct Writer<'a> {
    pub(crate) buffer: &'a mut [u8],
    pub(crate) position: usize,
}

impl Writer<'_> {
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        let end = self.position.saturating_add(bytes.len());
        if let Some(target) = self.buffer.get_mut(self.position..end) {
            target.copy_from_slice(bytes);
        }
        self.position = end;
    }
}

/// Reads from the input, left to right; reading past the end is `Truncated`.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) position: usize,
}

impl Reader<'_> {
    pub(crate) fn take<const LEN: usize>(&mut self) -> Result<[u8; LEN], DecodeError> {
        let end = self
            .position
            .checked_add(LEN)
            .ok_or(DecodeError::Truncated)?;
        let slice = self
            .bytes
            .get(self.position..end)
            .ok_or(DecodeError::Truncated)?;
        self.position = end;
        <[u8; LEN]>::try_from(slice).map_err(|_| DecodeError::Truncated)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_le_bytes(self.take()?))
    }
    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    pub(crate) fn instant(&mut self) -> Result<Instant, DecodeError> {
        Ok(Instant::from_millis(i64::from_le_bytes(self.take()?)))
    }
}

/// Splits `bytes` at `body_len` into the body and its checksum, checking both.
pub(crate) fn check_body(bytes: &[u8], body_len: usize) -> Result<(), DecodeError> {
    let total = body_len.saturating_add(CHECKSUM_LEN);
    let stored = bytes
        .get(body_len..total)
        .and_then(|slice| <[u8; CHECKSUM_LEN]>::try_from(slice).ok())
        .ok_or(DecodeError::Truncated)?;
    if bytes.len() > total {
        return Err(DecodeError::TrailingBytes);
    }
    if crc32(bytes.get(..body_len).unwrap_or(&[])) != u32::from_le_bytes(stored) {
        return Err(DecodeError::Checksum);
    }
    Ok(())
}

impl Writer<'_> {
    /// Ends the encoding with the CRC-32 of everything written; returns its length.
    pub(crate) fn finish(mut self) -> usize {
        let body_len = self.position;
        let checksum = crc32(self.buffer.get(..body_len).unwrap_or(&[]));
        self.bytes(&checksum.to_le_bytes());
        self.position
    }
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn crc32_matches_the_ieee_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }
}
