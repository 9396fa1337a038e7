//! The failure history: the counters, the kept failure times (sliding windows) and the
//! remembered credential fingerprints; everything an administrator unlock clears, except
//! the latest failure's time, which the account keeps beside its other instants.
//!
//! Times and fingerprints are kept as 8 little-endian bytes (alignment 1), so that the
//! history packs beside the account's instants without padding: an account costs 56 bytes
//! plus exactly 8 per record and per fingerprint.

use core::marker::PhantomData;

use crate::fingerprint::Fingerprint;
use crate::policy::{Policy, Tally};
use crate::time::{Duration, Instant};

/// Eight bytes with alignment 1: an instant's or a fingerprint's `u64`/`i64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Packed([u8; 8]);

impl Packed {
    const ZERO: Packed = Packed([0; 8]);

    fn instant(self) -> Instant {
        Instant::from_millis(i64::from_le_bytes(self.0))
    }

    fn of_instant(instant: Instant) -> Packed {
        Packed(instant.as_millis().to_le_bytes())
    }
}

/// What a list of the newest items keeps: a value of 8 bytes.
pub(crate) trait Kept: Copy {
    fn pack(self) -> Packed;
    fn unpack(packed: Packed) -> Self;
}

impl Kept for Instant {
    fn pack(self) -> Packed {
        Packed::of_instant(self)
    }

    fn unpack(packed: Packed) -> Instant {
        packed.instant()
    }
}

impl Kept for Fingerprint {
    fn pack(self) -> Packed {
        Packed(self.get().to_le_bytes())
    }

    fn unpack(packed: Packed) -> Fingerprint {
        Fingerprint::new(u64::from_le_bytes(packed.0))
    }
}

/// The newest items of one kind, oldest first, at most `N`, in inline slots. Slots past
/// `len` hold stale values: equality and hashing look at the kept items only.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Newest<T, const N: usize> {
    items: [Packed; N],
    len: u8,
    kind: PhantomData<T>,
}

/// The times of the latest counted failures, oldest first (sliding-window policies).
pub(crate) type Records<const N: usize> = Newest<Instant, N>;

/// The most recent distinct fingerprints of counted failures, newest last.
pub(super) type Memory<const N: usize> = Newest<Fingerprint, N>;

impl<T: Kept, const N: usize> Newest<T, N> {
    pub(crate) const EMPTY: Newest<T, N> = Newest {
        items: [Packed::ZERO; N],
        len: 0,
        kind: PhantomData,
    };

    /// The kept items, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.newest(N)
    }

    /// The newest `limit` items, oldest first.
    pub(crate) fn newest(&self, limit: usize) -> impl Iterator<Item = T> + '_ {
        let len = usize::from(self.len);
        self.items
            .get(len.saturating_sub(limit)..len)
            .unwrap_or(&[])
            .iter()
            .map(|packed| T::unpack(*packed))
    }

    pub(crate) fn len(&self) -> u8 {
        self.len
    }

    pub(crate) fn count(&self) -> u32 {
        u32::from(self.len)
    }

    /// Keeps `item` as the newest of at most `limit` items: what no longer fits goes
    /// first, oldest first.
    pub(crate) fn push(&mut self, item: T, limit: usize) {
        let limit = limit.min(N);
        if limit == 0 {
            return;
        }
        while usize::from(self.len) >= limit {
            if let Some(kept) = self.items.get_mut(..usize::from(self.len)) {
                kept.rotate_left(1);
            }
            self.len = self.len.saturating_sub(1);
        }
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = item.pack();
            self.len = self.len.saturating_add(1);
        }
    }
}

impl<const N: usize> Records<N> {
    /// Drops every time `window` or more before `now`.
    pub(crate) fn retain_within(&mut self, now: Instant, window: Duration) {
        let mut kept: u8 = 0;
        for index in 0..usize::from(self.len) {
            let Some(time) = self.items.get(index).copied() else {
                break;
            };
            if now.saturating_duration_since(time.instant()) < window {
                if let Some(slot) = self.items.get_mut(usize::from(kept)) {
                    *slot = time;
                }
                kept = kept.saturating_add(1);
            }
        }
        self.len = kept;
    }

    fn shift(&mut self, from: Instant, to: Instant) {
        let len = usize::from(self.len);
        for time in self.items.iter_mut().take(len) {
            *time = Packed::of_instant(time.instant().shifted(from, to));
        }
    }
}

impl<const N: usize> Memory<N> {
    /// Whether `fingerprint` is among the newest `limit`.
    pub(super) fn remembers(&self, fingerprint: Fingerprint, limit: usize) -> bool {
        self.newest(limit).any(|kept| kept == fingerprint)
    }
}

impl<T: Kept + PartialEq, const N: usize> PartialEq for Newest<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<T: Kept + Eq, const N: usize> Eq for Newest<T, N> {}

impl<T: Kept + core::hash::Hash, const N: usize> core::hash::Hash for Newest<T, N> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        self.iter().for_each(|item| item.hash(state));
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
