//! The failure history: the counters, the kept failure times (sliding windows) and the
//! remembered credential fingerprints; everything an administrator unlock clears, except
//! the latest failure's time, which the account keeps beside its other instants.
//!
//! Times and fingerprints are kept as 8 little-endian bytes (alignment 1), so that the
//! history packs beside the account's instants without padding: an account costs 56 bytes
//! plus exactly 8 per record and per fingerprint.

use crate::fingerprint::Fingerprint;
use crate::policy::{Policy, Tally};
use crate::time::{Duration, Instant};

/// Eight bytes with alignment 1: an instant's or a fingerprint's `u64`/`i64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Packed([u8; 8]);

impl Packed {
    const ZERO: Packed = Packed([0; 8]);

    fn instant(self) -> Instant {
        Instant::from_millis(i64::from_le_bytes(self.0))
    }

    fn of_instant(instant: Instant) -> Packed {
        Packed(instant.as_millis().to_le_bytes())
    }
}

/// Moves the first `len` items one slot to the front, dropping the first.
fn drop_oldest(items: &mut [Packed], len: &mut u8) {
    if let Some(kept) = items.get_mut(..usize::from(*len)) {
        kept.rotate_left(1);
    }
    *len = len.saturating_sub(1);
}

/// Keeps `item` as the newest of the first `len` items, at most `limit` of them: what no
/// longer fits goes first, oldest first.
fn push_newest(items: &mut [Packed], len: &mut u8, item: Packed, limit: usize) {
    let limit = limit.min(items.len());
    if limit == 0 {
        return;
    }
    while usize::from(*len) >= limit {
        drop_oldest(items, len);
    }
    if let Some(slot) = items.get_mut(usize::from(*len)) {
        *slot = item;
        *len = len.saturating_add(1);
    }
}

/// The times of the latest counted failures, oldest first (sliding-window policies).
/// Slots past `len` hold stale values: equality and hashing look at the kept times only.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Records<const N: usize> {
    times: [Packed; N],
    len: u8,
}

impl<const N: usize> Records<N> {
    pub(super) const EMPTY: Records<N> = Records {
        times: [Packed::ZERO; N],
        len: 0,
    };

    /// The kept times, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Instant> + '_ {
        self.times
            .iter()
            .take(usize::from(self.len))
            .map(|time| time.instant())
    }

    pub(crate) fn count(&self) -> u32 {
        u32::from(self.len)
    }

    pub(crate) fn len(&self) -> u8 {
        self.len
    }

    /// Drops every time `window` or more before `now`.
    pub(crate) fn retain_within(&mut self, now: Instant, window: Duration) {
        let mut kept: u8 = 0;
        for index in 0..usize::from(self.len) {
            let Some(time) = self.times.get(index).copied() else {
                break;
            };
            if now.saturating_duration_since(time.instant()) < window {
                if let Some(slot) = self.times.get_mut(usize::from(kept)) {
                    *slot = time;
                }
                kept = kept.saturating_add(1);
            }
        }
        self.len = kept;
    }

    /// Keeps `time` as the newest of at most `limit` times, dropping the oldest.
    pub(crate) fn push(&mut self, time: Instant, limit: usize) {
        push_newest(
            &mut self.times,
            &mut self.len,
            Packed::of_instant(time),
            limit,
        );
    }

    fn shift(&mut self, from: Instant, to: Instant) {
        let len = usize::from(self.len);
        for time in self.times.iter_mut().take(len) {
            *time = Packed::of_instant(time.instant().shifted(from, to));
        }
    }
}

/// The most recent distinct fingerprints of counted failures, newest last.
/// Slots past `len` hold stale values: equality and hashing look at the kept ones only.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Memory<const N: usize> {
    fingerprints: [Packed; N],
    len: u8,
}

impl<const N: usize> Memory<N> {
    pub(super) const EMPTY: Memory<N> = Memory {
        fingerprints: [Packed::ZERO; N],
        len: 0,
    };

    /// The newest `limit` fingerprints, oldest first.
    pub(super) fn newest(&self, limit: usize) -> impl Iterator<Item = Fingerprint> + '_ {
        let len = usize::from(self.len);
        self.fingerprints
            .get(len.saturating_sub(limit)..len)
            .unwrap_or(&[])
            .iter()
            .map(|packed| Fingerprint::new(u64::from_le_bytes(packed.0)))
    }

    pub(super) fn len(&self) -> u8 {
        self.len
    }

    pub(super) fn remembers(&self, fingerprint: Fingerprint, limit: usize) -> bool {
        self.newest(limit).any(|kept| kept == fingerprint)
    }

    /// Remembers `fingerprint` as the newest, keeping at most `limit`.
    pub(super) fn remember(&mut self, fingerprint: Fingerprint, limit: usize) {
        let packed = Packed(fingerprint.get().to_le_bytes());
        push_newest(&mut self.fingerprints, &mut self.len, packed, limit);
    }
}

impl<const N: usize> PartialEq for Records<N> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<const N: usize> Eq for Records<N> {}

impl<const N: usize> core::hash::Hash for Records<N> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        self.iter().for_each(|time| time.hash(state));
    }
}

impl<const N: usize> PartialEq for Memory<N> {
    fn eq(&self, other: &Self) -> bool {
        self.newest(N).eq(other.newest(N))
    }
}

impl<const N: usize> Eq for Memory<N> {}

impl<const N: usize> core::hash::Hash for Memory<N> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        self.newest(N)
            .for_each(|fingerprint| fingerprint.hash(state));
    }
}

/// The failure counters and lists: everything an administrator unlock clears (with the
/// account's latest-failure time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct History<const RECORDS: usize, const MEMORY: usize> {
    /// The policy's failure count (before decay at a later instant).
    pub(super) count: u32,
    /// Counted failures since the last success or administrator unlock.
    pub(super) consecutive: u32,
    /// Temporary locks since the counters last restarted.
    pub(super) temporary_locks: u16,
    pub(super) records: Records<RECORDS>,
    pub(super) memory: Memory<MEMORY>,
}

impl<const RECORDS: usize, const MEMORY: usize> History<RECORDS, MEMORY> {
    pub(super) const EMPTY: History<RECORDS, MEMORY> = History {
        count: 0,
        consecutive: 0,
        temporary_locks: 0,
        records: Records::EMPTY,
        memory: Memory::EMPTY,
    };

    /// The count as decay sees it ([`Decay`](crate::Decay)), with the latest counted
    /// failure, which the account keeps beside its other instants.
    pub(super) fn tally(&self, last_failure: Option<Instant>) -> Tally<'_, RECORDS> {
        Tally {
            count: self.count,
            records: &self.records,
            last_failure,
        }
    }

    /// The count a failure at `now` builds on, after decay.
    pub(super) fn decayed_count(
        &self,
        policy: &Policy,
        now: Instant,
        last_failure: Option<Instant>,
    ) -> u32 {
        policy
            .rules()
            .decay
            .decayed_count(&self.tally(last_failure), now)
    }

    pub(super) fn shift(&mut self, from: Instant, to: Instant) {
        self.records.shift(from, to);
    }
}
