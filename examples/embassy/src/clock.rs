//! The boot clock: embassy counts milliseconds since boot (the `SysTick` driver ticks at
//! 1 kHz), the crate counts milliseconds on the wall clock. A real device reads the wall
//! time at boot from its real-time clock; the example fixes it.

use account_lockout::Instant;

/// The wall-clock time of boot, and the conversions both ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootClock {
    boot: Instant,
}

impl BootClock {
    /// A clock whose tick 0 is the wall-clock instant `boot`.
    #[must_use]
    pub const fn new(boot: Instant) -> BootClock {
        BootClock { boot }
    }

    /// The wall-clock instant of boot.
    #[must_use]
    pub const fn boot(self) -> Instant {
        self.boot
    }

    /// The wall-clock instant `millis` milliseconds after boot (saturating at
    /// [`Instant::MAX`]).
    #[must_use]
    pub fn instant(self, millis: u64) -> Instant {
        let millis = i64::try_from(millis).unwrap_or(i64::MAX);
        Instant::from_millis(self.boot.as_millis().saturating_add(millis))
    }

    /// The milliseconds since boot at which to wake for `deadline`, exactly (both clocks
    /// count whole milliseconds); 0 for a deadline at or before boot (wake now). A
    /// deadline at [`Instant::MAX`] (a change beyond the representable range) gives a
    /// tick so far away that the timer never fires in practice, which is what it means.
    #[must_use]
    pub fn millis_at(self, deadline: Instant) -> u64 {
        let since_boot = deadline
            .as_millis()
            .saturating_sub(self.boot.as_millis())
            .max(0);
        u64::try_from(since_boot).unwrap_or(0)
    }
}
