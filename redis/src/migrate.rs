//! Moving a stored state to a changed policy.
//!
//! The stored value carries no policy: it is the library's account encoding, and
//! [`Account::decode`] checks it against the policy it is given. Two of those checks
//! refuse a state that was valid under another policy:
//!
//! - **capacity** ([`DecodeError::TooManyEntries`]): the account type of the new policy
//!   (`Store<RECORDS, MEMORY>`) holds fewer failure times or fingerprints than the
//!   value lists, e.g. after a sliding window's threshold is lowered or a sliding window
//!   is replaced by a count;
//! - **counters the policy cannot reach**
//!   ([`Inconsistency::UnreachableCounter`]): failure times kept although the new policy
//!   keeps none, a sliding window's count without its times, more consecutive failures
//!   or temporary locks than the new policy allows.
//!
//! [`migrate`] rewrites such a value (version 1 of the format, as documented in the
//! library's `account::binary` module) into one the new policy accepts, keeping all the
//! history the format can carry over:
//!
//! | kept as it is | lock (start, deadline, cause), enabled, `last_seen`, latest failure, attempt in flight and its serial |
//! |---|---|
//! | kept, bounded | failure times: the newest the new policy keeps; the count (a sliding window's is the number of times kept) |
//! | kept, capped | consecutive failures (at the new cap), temporary locks (at the new allowance plus one) |
//! | made up | moving to a sliding window from a count: one failure time per counted failure (up to the threshold), all at the latest failure's instant, so they fade together one window after it (the safe side: none fades sooner than the latest did) |
//! | dropped | failure times under a policy that keeps none (the count stays); temporary locks under a policy without permanent escalation; fingerprints beyond what the new policy remembers (the newest stay) |
//!
//! The result is decoded again by the library against the new policy: a value that still
//! does not decode, fails its checksum or is of another version is not migrated (the
//! store reports [`DecodeError`] as [`crate::Error::Corrupt`]).

use account_lockout::{Account, Decay, DecodeError, Inconsistency, Policy};

/// Magic, version, flags, five instants, the counters and the two list lengths.
const FIXED_LEN: usize = 58;
/// Where the failure-time list's length is; the times follow.
const RECORDS_AT: usize = 56;
const COUNT_AT: usize = 44;
const CONSECUTIVE_AT: usize = 48;
const TEMPORARY_LOCKS_AT: usize = 52;
const LAST_FAILURE_AT: usize = 28;
/// The flag of a known latest failure.
const LAST_FAILURE_FLAG: u8 = 1 << 5;
const CHECKSUM_LEN: usize = 4;

/// Whether `error` is one that a policy change causes, so that [`migrate`] may help.
pub(crate) fn is_policy_mismatch(error: &DecodeError) -> bool {
    matches!(
        error,
        DecodeError::TooManyEntries | DecodeError::Inconsistent(Inconsistency::UnreachableCounter)
    )
}

/// `bytes`, a valid version-1 state under some other policy, as a state of `policy`
/// (see the [module documentation](self) for what is kept); `None` when `bytes` is not
/// such a state.
pub(crate) fn migrate<const RECORDS: usize, const MEMORY: usize>(
    bytes: &[u8],
    policy: &Policy,
) -> Option<Account<RECORDS, MEMORY>> {
    if bytes.get(..3)? != b"AL\x01" {
        return None;
    }
    let body = bytes.get(..bytes.len().checked_sub(CHECKSUM_LEN)?)?;
    let stored = u32::from_le_bytes(bytes.get(body.len()..)?.try_into().ok()?);
    if crc32fast::hash(body) != stored {
        return None;
    }
    let flags = *body.get(3)?;
    let records_len = usize::from(*body.get(RECORDS_AT)?);
    let records_end = RECORDS_AT
        .checked_add(1)?
        .checked_add(records_len.checked_mul(8)?)?;
    let records: Vec<[u8; 8]> = body
        .get(RECORDS_AT.checked_add(1)?..records_end)?
        .chunks_exact(8)
        .map(|chunk| chunk.try_into().ok())
        .collect::<Option<_>>()?;
    let memory_len = usize::from(*body.get(records_end)?);
    let memory_start = records_end.checked_add(1)?;
    let memory_end = memory_start.checked_add(memory_len.checked_mul(8)?)?;
    if memory_end != body.len() || body.len() < FIXED_LEN {
        return None;
    }
    let memory: Vec<[u8; 8]> = body
        .get(memory_start..memory_end)?
        .chunks_exact(8)
        .map(|chunk| chunk.try_into().ok())
        .collect::<Option<_>>()?;

    let rules = policy.rules();
    let mut count = u32_at(body, COUNT_AT)?;
    let records: Vec<[u8; 8]> = match rules.decay {
        Decay::SlidingWindow(_) => {
            let keep = policy.records_needed().min(RECORDS);
            let kept = if records.is_empty() && flags & LAST_FAILURE_FLAG != 0 {
                let latest: [u8; 8] = body
                    .get(LAST_FAILURE_AT..LAST_FAILURE_AT.checked_add(8)?)?
                    .try_into()
                    .ok()?;
                let made_up = usize::try_from(count).ok()?.min(keep);
                vec![latest; made_up]
            } else {
                records.get(records.len().saturating_sub(keep)..)?.to_vec()
            };
            count = u32::try_from(kept.len()).ok()?;
            kept
        }
        Decay::None | Decay::QuietWindow(_) | Decay::SelfHealing(_) => Vec::new(),
    };
    let mut consecutive = u32_at(body, CONSECUTIVE_AT)?;
    if let Some(cap) = rules.max_consecutive_failures {
        consecutive = consecutive.min(cap);
    }
    let temporary_locks = match rules.permanent_after_temporary_locks {
        Some(allowed) => u16_at(body, TEMPORARY_LOCKS_AT)?.min(allowed.saturating_add(1)),
        None => 0,
    };
    let remembered = policy.memory_needed().min(MEMORY);
    let memory = memory.get(memory.len().saturating_sub(remembered)..)?;

    let mut migrated = Vec::with_capacity(Account::<RECORDS, MEMORY>::MAX_ENCODED_LEN);
    migrated.extend_from_slice(body.get(..COUNT_AT)?);
    migrated.extend_from_slice(&count.to_le_bytes());
    migrated.extend_from_slice(&consecutive.to_le_bytes());
    migrated.extend_from_slice(&temporary_locks.to_le_bytes());
    migrated.extend_from_slice(body.get(TEMPORARY_LOCKS_AT.checked_add(2)?..RECORDS_AT)?);
    migrated.push(u8::try_from(records.len()).ok()?);
    records
        .iter()
        .for_each(|time| migrated.extend_from_slice(time));
    migrated.push(u8::try_from(memory.len()).ok()?);
    memory
        .iter()
        .for_each(|fingerprint| migrated.extend_from_slice(fingerprint));
    let checksum = crc32fast::hash(&migrated);
    migrated.extend_from_slice(&checksum.to_le_bytes());
    Account::decode(&migrated, policy).ok()
}

fn u32_at(body: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        body.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u16_at(body: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        body.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
