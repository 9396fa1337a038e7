//! The operating system's clock (feature `std`).

use crate::time::{Clock, Instant};

/// The system's wall clock, [`std::time::SystemTime`], as a [`Clock`]: milliseconds since
/// the Unix epoch (before it, negative), the time base of every [`Instant`].
///
/// A wall clock can be set back; the crate handles that as
/// [behaviour §1](crate::behaviour#s1) says (a lock keeps the time it has left).
///
/// ```
/// use account_lockout::{Clock, Instant, SystemClock};
///
/// let now = SystemClock.now();
/// assert!(now > "2026-01-01T00:00:00Z".parse::<Instant>().unwrap());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        let now = std::time::SystemTime::now();
        match now.duration_since(std::time::UNIX_EPOCH) {
            Ok(since) => Instant::from_millis(i64::try_from(since.as_millis()).unwrap_or(i64::MAX)),
            // Before the epoch: rounded towards the past, as every conversion to an
            // `Instant` is.
            Err(before) => {
                let millis = before.duration().as_nanos().div_ceil(1_000_000);
                Instant::from_millis(i64::try_from(millis).map_or(i64::MIN, i64::saturating_neg))
            }
        }
    }
}
