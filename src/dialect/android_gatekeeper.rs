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
const STEPS: [Step; 14] = schedule();

/// [`STEPS`], written as its formula: the doubling part is computed.
// Evaluated at compile time only (`STEPS` is a `const`): an index out of range or an
// overflow would fail the build, never a device.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn schedule() -> [Step; 14] {
    let mut steps = [Step::new(140, seconds(86_400)); 14];
    steps[0] = Step::new(5, seconds(30));
    steps[1] = Step::new(6, Duration::ZERO);
    steps[2] = Step::new(10, seconds(30));
    // From 40 failures: 30 s << ((n − 30) / 10), one step every 10 failures up to 130.
    let mut index = 3;
    while index < 13 {
        let n = 40 + 10 * (index as u32 - 3);
        steps[index] = Step::new(n, seconds(30 << ((n - 30) / 10)));
        index += 1;
    }
    steps
}

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
