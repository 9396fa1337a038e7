//! Android Gatekeeper's classic throttling schedule (AOSP `gatekeeper.cpp`).

use serde::Deserialize;

use crate::policy::{Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, Rules};
use crate::schedule::{Schedule, Step};
use crate::time::Duration;

const fn seconds(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// The classic AOSP schedule as steps:
/// `T(n) = 30 s if n <= 10 and n % 5 == 0; 0 if n <= 10; 30 s if n < 30;
/// 30 s << ((n − 30) / 10) if n < 140; 1 day otherwise`.
const STEPS: [Step; 14] = [
    Step::new(5, seconds(30)),
    Step::new(6, Duration::ZERO),
    Step::new(10, seconds(30)),
    Step::new(40, seconds(60)),
    Step::new(50, seconds(120)),
    Step::new(60, seconds(240)),
    Step::new(70, seconds(480)),
    Step::new(80, seconds(960)),
    Step::new(90, seconds(1_920)),
    Step::new(100, seconds(3_840)),
    Step::new(110, seconds(7_680)),
    Step::new(120, seconds(15_360)),
    Step::new(130, seconds(30_720)),
    Step::new(140, seconds(86_400)),
];

/// Android Gatekeeper: no parameters (`{}` in JSON). Each counted failure may lock for
/// the schedule's timeout `T(failureCounter)`; the counter never decays, and a success
/// clears it. AOSP restarts the whole timeout when the clock goes back; this crate
/// applies the clock-regression rule of [behaviour §1](crate::behaviour#s1) instead.
///
/// ```
/// use account_lockout::dialect::AndroidGatekeeper;
/// assert!(AndroidGatekeeper {}.policy().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(deny_unknown_fields)]
pub struct AndroidGatekeeper {}

impl AndroidGatekeeper {
    /// The policy of the classic schedule.
    pub const fn policy(&self) -> Result<Policy, PolicyError> {
        let schedule = match Schedule::new(&STEPS) {
            Ok(schedule) => schedule,
            Err(error) => return Err(error),
        };
        Rules {
            threshold: 1,
            lock: LockLength::Table(schedule),
            decay: Decay::None,
            on_success: OnSuccess::Reset,
            on_lock_end: OnLockEnd::Keep,
            // One credential check at a time, as the device verifies them (behaviour §7.1).
            max_attempts_in_flight: 1,
            ..Rules::NEVER_LOCK
        }
        .build()
    }
}
