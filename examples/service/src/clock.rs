//! The service's clock: the system's, read once per request.

use std::time::{SystemTime, UNIX_EPOCH};

use account_lockout::{Clock, Instant};

/// The system clock, in milliseconds since the Unix epoch. A clock set back is taken as
/// [behaviour §1.2](account_lockout::behaviour#s1-2) says: every remaining wait is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
            // A clock before 1970: milliseconds before the epoch.
            Err(before) => i64::try_from(before.duration().as_millis())
                .map_or(i64::MIN, |millis| millis.saturating_neg()),
        };
        Instant::from_millis(millis)
    }
}
