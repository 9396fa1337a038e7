//! Time as the library sees it: instants, durations and injected clocks.
//!
//! The library never reads a clock. Every operation that depends on time takes a
//! [`Clock`]; an [`Instant`] is itself a clock stopped at that instant, so the same call
//! takes either `now` directly or a clock the host injects.
//!
//! All arithmetic saturates at the limits of the representation: an instant is a signed
//! 64-bit count of milliseconds, so `Instant::MAX + Duration::MAX` is `Instant::MAX`,
//! never a panic and never a wrap-around.

use core::cell::Cell;
use core::fmt;

/// Milliseconds in one second.
const MILLIS_PER_SECOND: i64 = 1_000;

/// Clamps a wide intermediate value back into the `i64` range.
const fn clamp_to_i64(value: i128) -> i64 {
    if value > i64::MAX as i128 {
        i64::MAX
    } else if value < i64::MIN as i128 {
        i64::MIN
    } else {
        value as i64
    }
}

/// A point in time: milliseconds since the Unix epoch (1970-01-01T00:00:00Z), UTC.
///
/// The whole `i64` range is valid. Arithmetic saturates at [`Instant::MIN`] and
/// [`Instant::MAX`].
///
/// ```
/// use account_lockout::{Duration, Instant};
///
/// let t = Instant::from_millis(1_000);
/// assert_eq!(t.saturating_add(Duration::from_secs(2)).as_millis(), 3_000);
/// assert_eq!(Instant::MAX.saturating_add(Duration::from_secs(1)), Instant::MAX);
/// assert_eq!(t.to_string(), "1970-01-01T00:00:01.000Z");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant {
    millis: i64,
}

impl Instant {
    /// The earliest representable instant.
    pub const MIN: Instant = Instant { millis: i64::MIN };
    /// The latest representable instant.
    pub const MAX: Instant = Instant { millis: i64::MAX };
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Instant = Instant { millis: 0 };

    /// The instant `millis` milliseconds after the Unix epoch (before it when negative).
    pub const fn from_millis(millis: i64) -> Instant {
        Instant { millis }
    }

    /// The instant `secs` seconds after the Unix epoch, saturating at the limits.
    pub const fn from_secs(secs: i64) -> Instant {
        Instant {
            millis: secs.saturating_mul(MILLIS_PER_SECOND),
        }
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub const fn as_millis(self) -> i64 {
        self.millis
    }

    /// `self + duration`, saturating at [`Instant::MAX`].
    #[must_use]
    pub const fn saturating_add(self, duration: Duration) -> Instant {
        Instant {
            millis: clamp_to_i64((self.millis as i128).saturating_add(duration.millis as i128)),
        }
    }

    /// `self - duration`, saturating at [`Instant::MIN`].
    #[must_use]
    pub const fn saturating_sub(self, duration: Duration) -> Instant {
        Instant {
            millis: clamp_to_i64((self.millis as i128).saturating_sub(duration.millis as i128)),
        }
    }

    /// The time from `earlier` to `self`, or [`Duration::ZERO`] when `earlier` is later.
    ///
    /// ```
    /// use account_lockout::{Duration, Instant};
    /// let a = Instant::from_millis(-5);
    /// let b = Instant::from_millis(7);
    /// assert_eq!(b.saturating_duration_since(a), Duration::from_millis(12));
    /// assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    /// assert_eq!(Instant::MAX.saturating_duration_since(Instant::MIN).as_millis(), u64::MAX);
    /// ```
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        let difference = (self.millis as i128).saturating_sub(earlier.millis as i128);
        if difference <= 0 {
            Duration::ZERO
        } else if difference > u64::MAX as i128 {
            Duration::MAX
        } else {
            Duration {
                millis: difference as u64,
            }
        }
    }

    /// The start of the second that contains `self` (rounded towards the past).
    ///
    /// ```
    /// use account_lockout::Instant;
    /// assert_eq!(Instant::from_millis(1_999).floor_to_second(), Instant::from_millis(1_000));
    /// assert_eq!(Instant::from_millis(-1).floor_to_second(), Instant::from_millis(-1_000));
    /// ```
    #[must_use]
    pub const fn floor_to_second(self) -> Instant {
        // rem_euclid by a positive constant cannot overflow, and the result is in 0..1000,
        // so the subtraction stays at or above i64::MIN.
        let remainder = self.millis.rem_euclid(MILLIS_PER_SECOND);
        Instant {
            millis: self.millis.saturating_sub(remainder),
        }
    }

    /// Moves `self` by the signed distance `to - from`, saturating at the limits.
    ///
    /// This is the clock-regression shift of [behaviour §1](crate::behaviour#s1): every stored instant moves by the
    /// same amount, which keeps every remaining duration (up to saturation).
    pub(crate) const fn shifted(self, from: Instant, to: Instant) -> Instant {
        let distance = (to.millis as i128).saturating_sub(from.millis as i128);
        Instant {
            millis: clamp_to_i64((self.millis as i128).saturating_add(distance)),
        }
    }
}

/// A span of time in milliseconds, never negative.
///
/// ```
/// use account_lockout::Duration;
/// assert_eq!(Duration::from_secs(90).as_millis(), 90_000);
/// assert_eq!(Duration::from_millis(1_001).as_secs_ceil(), 2);
/// assert_eq!(Duration::MAX.saturating_add(Duration::from_millis(1)), Duration::MAX);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration {
    millis: u64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { millis: 0 };
    /// The longest representable duration (about 584 million years).
    pub const MAX: Duration = Duration { millis: u64::MAX };

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Duration {
        Duration { millis }
    }

    /// A duration of `secs` seconds, saturating at [`Duration::MAX`].
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            millis: secs.saturating_mul(MILLIS_PER_SECOND as u64),
        }
    }

    /// The duration in milliseconds.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// The duration in whole seconds, rounded up: never 0 for a non-zero duration.
    #[must_use]
    pub const fn as_secs_ceil(self) -> u64 {
        self.millis.div_ceil(MILLIS_PER_SECOND as u64)
    }

    /// Whether this is [`Duration::ZERO`].
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.millis == 0
    }

    /// `self + other`, saturating at [`Duration::MAX`].
    #[must_use]
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration {
            millis: self.millis.saturating_add(other.millis),
        }
    }

    /// `self * factor`, saturating at [`Duration::MAX`].
    #[must_use]
    pub const fn saturating_mul(self, factor: u64) -> Duration {
        Duration {
            millis: self.millis.saturating_mul(factor),
        }
    }

    /// The shorter of `self` and `other`.
    #[must_use]
    pub const fn min(self, other: Duration) -> Duration {
        if self.millis <= other.millis {
            self
        } else {
            other
        }
    }
}

/// A source of the current instant, injected by the host.
///
/// Every time-dependent operation of the crate takes `now: Instant`, after the key when
/// there is one (`table.failure(&policy, key, now, …)`), as sans-IO libraries do: the
/// caller reads its clock once per event and the library never does. `Clock` is the
/// host's side of that: something to read `now` from. An [`Instant`] is a clock stopped
/// at that instant.
///
/// ```
/// use account_lockout::{Clock, Instant, ManualClock, Duration};
///
/// struct Ticks<'a>(&'a core::sync::atomic::AtomicI64);
/// impl Clock for Ticks<'_> {
///     fn now(&self) -> Instant {
///         Instant::from_millis(self.0.load(core::sync::atomic::Ordering::Relaxed))
///     }
/// }
///
/// let clock = ManualClock::new(Instant::from_secs(10));
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now(), Instant::from_secs(15));
/// assert_eq!(Instant::from_secs(3).now(), Instant::from_secs(3));
/// ```
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Instant;
}

impl Clock for Instant {
    fn now(&self) -> Instant {
        *self
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A clock that moves only when told to: for tests, simulations and replays.
///
/// It uses a [`Cell`], so it can be shared by reference while being moved.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Cell<Instant>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub const fn new(now: Instant) -> ManualClock {
        ManualClock {
            now: Cell::new(now),
        }
    }

    /// The instant the clock shows (also [`Clock::now`], without importing the trait).
    #[must_use]
    pub fn now(&self) -> Instant {
        self.now.get()
    }

    /// Sets the clock to `now`, which may be earlier than before.
    pub fn set(&self, now: Instant) {
        self.now.set(now);
    }

    /// Moves the clock forward by `duration`, saturating at [`Instant::MAX`].
    pub fn advance(&self, duration: Duration) {
        self.now.set(self.now.get().saturating_add(duration));
    }

    /// Moves the clock backward by `duration`, saturating at [`Instant::MIN`].
    pub fn rewind(&self, duration: Duration) {
        self.now.set(self.now.get().saturating_sub(duration));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        ManualClock::now(self)
    }
}

/// Defines a unit error type: a conversion that has one way to fail, with its message.
macro_rules! unit_error {
    ($(#[$doc:meta])* $name:ident, $message:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name;

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($message)
            }
        }

        impl core::error::Error for $name {}
    };
}

unit_error!(
    /// An instant outside the range of the `time` crate's date types (years ±9999).
    OutOfTimeRange,
    "the instant is outside the years -9999..=9999 that the time crate represents"
);

unit_error!(
    /// A negative `time::Duration`, which a [`Duration`] cannot represent.
    ///
    /// ```
    /// use account_lockout::NegativeDuration;
    /// use account_lockout::Duration;
    ///
    /// assert_eq!(Duration::try_from(time::Duration::milliseconds(-1)), Err(NegativeDuration));
    /// assert_eq!(NegativeDuration.to_string(), "the duration is negative");
    /// ```
    NegativeDuration,
    "the duration is negative"
);

/// Nanoseconds in one millisecond.
const NANOS_PER_MILLI: i128 = 1_000_000;

impl Instant {
    /// The instant `nanos` nanoseconds after the Unix epoch, dropping any fraction below a
    /// millisecond (rounding towards the past, also before the epoch).
    const fn from_unix_nanos(nanos: i128) -> Instant {
        Instant::from_millis(clamp_to_i64(nanos.div_euclid(NANOS_PER_MILLI)))
    }

    /// Nanoseconds since the Unix epoch; `i64` milliseconds times 10^6 always fit in `i128`.
    const fn unix_nanos(self) -> i128 {
        (self.millis as i128).saturating_mul(NANOS_PER_MILLI)
    }
}

impl From<time::UtcDateTime> for Instant {
    /// Converts, dropping any fraction below a millisecond (rounding towards the past).
    ///
    /// Every `UtcDateTime` (years -9999 to 9999) has an instant.
    ///
    /// ```
    /// use account_lockout::Instant;
    /// use time::UtcDateTime;
    ///
    /// let date = UtcDateTime::from_unix_timestamp_nanos(1_999_999).unwrap();
    /// assert_eq!(Instant::from(date), Instant::from_millis(1));
    /// let before = UtcDateTime::from_unix_timestamp_nanos(-1).unwrap();
    /// assert_eq!(Instant::from(before), Instant::from_millis(-1));
    /// ```
    fn from(value: time::UtcDateTime) -> Instant {
        Instant::from_unix_nanos(value.unix_timestamp_nanos())
    }
}

impl From<time::OffsetDateTime> for Instant {
    /// Converts to UTC (the offset does not change the instant), dropping any fraction
    /// below a millisecond (rounding towards the past).
    ///
    /// ```
    /// use account_lockout::Instant;
    /// use time::{OffsetDateTime, UtcOffset};
    ///
    /// // 2026-01-01T01:00:00.000999+01:00 is 2026-01-01T00:00:00Z and 999 ns.
    /// let date = OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_000_000_999)
    ///     .unwrap()
    ///     .to_offset(UtcOffset::from_hms(1, 0, 0).unwrap());
    /// assert_eq!(Instant::from(date).to_string(), "2026-01-01T00:00:00.000Z");
    /// ```
    fn from(value: time::OffsetDateTime) -> Instant {
        Instant::from_unix_nanos(value.unix_timestamp_nanos())
    }
}

impl TryFrom<Instant> for time::UtcDateTime {
    type Error = OutOfTimeRange;

    /// Converts exactly, or fails with [`OutOfTimeRange`] outside the years -9999 to 9999.
    ///
    /// ```
    /// use account_lockout::Instant;
    /// let date = time::UtcDateTime::try_from(Instant::from_millis(1_500)).unwrap();
    /// assert_eq!(date.unix_timestamp(), 1);
    /// assert_eq!(date.millisecond(), 500);
    /// assert!(time::UtcDateTime::try_from(Instant::MAX).is_err());
    /// ```
    fn try_from(value: Instant) -> Result<time::UtcDateTime, OutOfTimeRange> {
        time::UtcDateTime::from_unix_timestamp_nanos(value.unix_nanos()).map_err(|_| OutOfTimeRange)
    }
}

impl TryFrom<Instant> for time::OffsetDateTime {
    type Error = OutOfTimeRange;

    /// Converts exactly, at offset UTC, or fails with [`OutOfTimeRange`] outside the years
    /// -9999 to 9999.
    ///
    /// ```
    /// use account_lockout::{Instant, OutOfTimeRange};
    /// use time::OffsetDateTime;
    ///
    /// let date = OffsetDateTime::try_from(Instant::from_millis(-1)).unwrap();
    /// assert_eq!(date.unix_timestamp_nanos(), -1_000_000);
    /// assert!(date.offset().is_utc());
    /// assert_eq!(OffsetDateTime::try_from(Instant::MIN), Err(OutOfTimeRange));
    /// ```
    fn try_from(value: Instant) -> Result<time::OffsetDateTime, OutOfTimeRange> {
        time::OffsetDateTime::from_unix_timestamp_nanos(value.unix_nanos())
            .map_err(|_| OutOfTimeRange)
    }
}

impl TryFrom<time::Duration> for Duration {
    type Error = NegativeDuration;

    /// Converts a duration that is not negative, dropping any fraction below a millisecond
    /// (rounding towards zero); fails with [`NegativeDuration`] for any negative one, even
    /// a nanosecond.
    ///
    /// A `time::Duration` can be longer than [`Duration::MAX`] (about 584 million years):
    /// such a duration saturates to [`Duration::MAX`] rather than fail, as all of this
    /// crate's arithmetic saturates (to a lockout, both mean "for ever").
    ///
    /// ```
    /// use account_lockout::Duration;
    ///
    /// assert_eq!(Duration::try_from(time::Duration::seconds(90)), Ok(Duration::from_secs(90)));
    /// assert_eq!(Duration::try_from(time::Duration::nanoseconds(1_999_999)), Ok(Duration::from_millis(1)));
    /// assert_eq!(Duration::try_from(time::Duration::MAX), Ok(Duration::MAX));
    /// assert!(Duration::try_from(time::Duration::nanoseconds(-1)).is_err());
    /// ```
    fn try_from(value: time::Duration) -> Result<Duration, NegativeDuration> {
        if value.is_negative() {
            return Err(NegativeDuration);
        }
        let millis = u64::try_from(value.whole_milliseconds()).unwrap_or(u64::MAX);
        Ok(Duration::from_millis(millis))
    }
}

impl From<Duration> for time::Duration {
    /// Converts exactly: [`Duration::MAX`] is about 1.8 × 10^16 seconds, well within the
    /// `i64` seconds of a `time::Duration`, so this never saturates or loses precision.
    ///
    /// ```
    /// use account_lockout::Duration;
    ///
    /// assert_eq!(time::Duration::from(Duration::from_millis(1_500)), time::Duration::milliseconds(1_500));
    /// assert_eq!(time::Duration::from(Duration::MAX).whole_milliseconds(), i128::from(u64::MAX));
    /// ```
    fn from(value: Duration) -> time::Duration {
        let millis_per_second = MILLIS_PER_SECOND as u64;
        // The divisor is not zero: both never fail. At most 1.8e16 seconds fits in an i64,
        // and the remainder, below 1000, too.
        let seconds = value.millis.checked_div(millis_per_second).unwrap_or(0);
        let millis = value.millis.checked_rem(millis_per_second).unwrap_or(0);
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        let millis = i64::try_from(millis).unwrap_or(0);
        time::Duration::seconds(seconds).saturating_add(time::Duration::milliseconds(millis))
    }
}
