//! How counted failures fade with time: the four [`Decay`] rules, each with everything it
//! decides in one place — the count a failure builds on, what counting a failure keeps,
//! when the count next changes by itself, what it forgets, and which stored states it
//! could have produced ([behaviour §5](crate::behaviour#s5)).

use crate::account::Records;
use crate::time::{Duration, Instant};

/// How counted failures fade with time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decay {
    /// They never fade; only a success (if the policy says so), the end of a lock (if the
    /// policy says so) or an administrator clears them.
    None,
    /// A counted failure that comes more than this long after the previous counted
    /// failure starts the count again (it becomes 1), and forgets the temporary locks.
    /// Active Directory's observation window, Keycloak's `maxDeltaTimeSeconds`.
    QuietWindow(Duration),
    /// The account keeps the times of its latest counted failures, at most `threshold` of
    /// them; a failure this long ago or longer is dropped. The count is the number kept
    /// (pam_faillock), so it never passes the threshold.
    SlidingWindow(Duration),
    /// The count drops by one for each full period since the latest counted failure
    /// (TPM 2.0 self-healing).
    SelfHealing(Duration),
}

/// The account's count as decay sees it: the stored count, the kept failure times and
/// the latest counted failure (the anchor of quiet windows and self-healing).
pub(crate) struct Tally<'a, const N: usize> {
    pub(crate) count: u32,
    pub(crate) records: &'a Records<N>,
    pub(crate) last_failure: Option<Instant>,
}

impl Decay {
    /// Whether the account keeps failure times (a sliding window).
    pub(crate) const fn keeps_times(self) -> bool {
        matches!(self, Decay::SlidingWindow(_))
    }

    /// How many failure times an account keeps under a policy of `threshold`.
    pub(crate) const fn records_needed(self, threshold: u32) -> usize {
        match self {
            Decay::SlidingWindow(_) => threshold as usize,
            _ => 0,
        }
    }

    /// The highest count the account can reach under a policy of `threshold`: a sliding
    /// window keeps at most `threshold` times.
    pub(crate) const fn highest_count(self, threshold: u32) -> u32 {
        match self {
            Decay::SlidingWindow(_) => threshold,
            _ => u32::MAX,
        }
    }

    /// The count a failure at `now` builds on.
    pub(crate) fn decayed_count<const N: usize>(self, tally: &Tally<'_, N>, now: Instant) -> u32 {
        let since_last = tally
            .last_failure
            .map(|last| now.saturating_duration_since(last));
        match self {
            Decay::None => tally.count,
            Decay::QuietWindow(window) => {
                if since_last.is_some_and(|gap| gap > window) {
                    0
                } else {
                    tally.count
                }
            }
            Decay::SlidingWindow(window) => {
                let recent = tally
                    .records
                    .iter()
                    .filter(|time| now.saturating_duration_since(*time) < window)
                    .count();
                u32::try_from(recent).unwrap_or(u32::MAX)
            }
            Decay::SelfHealing(period) => {
                let periods = since_last
                    .and_then(|gap| gap.as_millis().checked_div(period.as_millis()))
                    .unwrap_or(0);
                tally
                    .count
                    .saturating_sub(u32::try_from(periods).unwrap_or(u32::MAX))
            }
        }
    }

    /// Whether a failure `since_previous` after the previous one forgets the temporary
    /// locks (a quiet window that passed).
    pub(crate) fn forgets_temporary_locks(self, since_previous: Option<Duration>) -> bool {
        match self {
            Decay::QuietWindow(window) => since_previous.is_some_and(|gap| gap > window),
            _ => false,
        }
    }

    /// Whether temporary locks fade by themselves, so that a table may forget an account
    /// that has nothing else.
    pub(crate) const fn temporary_locks_fade(self) -> bool {
        matches!(self, Decay::QuietWindow(_))
    }

    /// Counts a failure at `now` on a count of `base` (already decayed): the count after
    /// it. A sliding window drops the times that left it and keeps `now`, at most `keep`
    /// times, and the count is the number kept (the latest `threshold` times decide, as
    /// pam_faillock's "the latest deny suffice", whatever the account's size).
    pub(crate) fn count_failure<const N: usize>(
        self,
        base: u32,
        records: &mut Records<N>,
        now: Instant,
        keep: usize,
    ) -> u32 {
        match self {
            Decay::SlidingWindow(window) => {
                records.retain_within(now, window);
                records.push(now, keep);
                records.count()
            }
            _ => base.saturating_add(1),
        }
    }

    /// When the decayed count next changes by itself after `now`, exactly (in i128, so
    /// that a change beyond `Instant::MAX` still counts as pending); `None` when it never
    /// does. `temporary_locks` are the account's: a quiet window also forgets them.
    pub(crate) fn next_change<const N: usize>(
        self,
        tally: &Tally<'_, N>,
        temporary_locks: u16,
        now: Instant,
    ) -> Option<i128> {
        let wide = |instant: Instant| i128::from(instant.as_millis());
        let plus = |instant: Instant, length: Duration| {
            wide(instant).saturating_add(i128::from(length.as_millis()))
        };
        match self {
            Decay::None => None,
            // The count restarts once the gap exceeds the window: 1 ms after it.
            Decay::QuietWindow(window) if tally.count > 0 || temporary_locks > 0 => tally
                .last_failure
                .map(|last| plus(last, window).saturating_add(1)),
            Decay::QuietWindow(_) => None,
            Decay::SlidingWindow(window) => tally
                .records
                .iter()
                .map(|time| plus(time, window))
                .filter(|leaves| *leaves > wide(now))
                .min(),
            Decay::SelfHealing(period) if self.decayed_count(tally, now) > 0 => {
                tally.last_failure.map(|last| {
                    let elapsed = now.saturating_duration_since(last).as_millis();
                    let steps = elapsed
                        .checked_div(period.as_millis())
                        .unwrap_or(0)
                        .saturating_add(1);
                    plus(last, period.saturating_mul(steps))
                })
            }
            Decay::SelfHealing(_) => None,
        }
    }

    /// Whether a stored count and its kept times could come from this rule: a sliding
    /// window's count is the number of times it keeps; the other rules keep none.
    pub(crate) fn consistent<const N: usize>(self, count: u32, records: &Records<N>) -> bool {
        match self {
            Decay::SlidingWindow(_) => count == records.count(),
            _ => records.len() == 0,
        }
    }
}
