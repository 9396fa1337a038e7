//! An explicit table of lock lengths by failure count, such as Android Gatekeeper's.

use core::fmt;

use crate::policy::{PolicyError, Problem};
use crate::time::Duration;

/// The most steps a [`Schedule`] holds.
pub const MAX_SCHEDULE_STEPS: usize = 16;

/// One row of a [`Schedule`]: from the `from_count`-th counted failure on, a failure
/// locks for `length` (zero: it does not lock), until a later step takes over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Step {
    /// The first failure count this step applies to (at least 1).
    pub from_count: u32,
    /// The lock length for failure counts from `from_count` until the next step.
    pub length: Duration,
}

impl Step {
    /// A step: from the `from_count`-th failure, lock for `length`.
    pub const fn new(from_count: u32, length: Duration) -> Step {
        Step { from_count, length }
    }
}

/// A lock length for every failure count, as a step function of at most
/// [`MAX_SCHEDULE_STEPS`] steps. Counts before the first step do not lock.
///
/// ```
/// use account_lockout::{Duration, Schedule, Step};
///
/// let schedule = Schedule::new(&[
///     Step::new(3, Duration::from_secs(30)),
///     Step::new(5, Duration::from_secs(300)),
/// ])
/// .unwrap();
/// assert_eq!(schedule.length(2), Duration::ZERO);
/// assert_eq!(schedule.length(4), Duration::from_secs(30));
/// assert_eq!(schedule.length(1_000), Duration::from_secs(300));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Schedule {
    steps: [Step; MAX_SCHEDULE_STEPS],
    len: u8,
}

impl Schedule {
    /// A schedule from steps in strictly increasing `from_count` order, each at least 1.
    pub const fn new(steps: &[Step]) -> Result<Schedule, PolicyError> {
        if steps.is_empty() {
            return Err(PolicyError::new("lock.table", Problem::Empty));
        }
        if steps.len() > MAX_SCHEDULE_STEPS {
            return Err(PolicyError::new(
                "lock.table",
                Problem::TooLong {
                    max: MAX_SCHEDULE_STEPS as u64,
                },
            ));
        }
        let mut table = [Step::new(0, Duration::ZERO); MAX_SCHEDULE_STEPS];
        let mut previous = 0;
        let mut rest = steps;
        let mut slots: &mut [Step] = &mut table;
        while let ([step, tail @ ..], [slot, free @ ..]) = (rest, slots) {
            if step.from_count <= previous {
                return Err(PolicyError::new("lock.table", Problem::NotIncreasing));
            }
            previous = step.from_count;
            *slot = *step;
            rest = tail;
            slots = free;
        }
        Ok(Schedule {
            steps: table,
            len: steps.len() as u8,
        })
    }

    /// The steps, in order.
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        self.steps.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The lock length for the `count`-th counted failure.
    #[must_use]
    pub fn length(&self, count: u32) -> Duration {
        self.steps()
            .iter()
            .rev()
            .find(|step| step.from_count <= count)
            .map_or(Duration::ZERO, |step| step.length)
    }

    /// Whether some count past `threshold` gets another length than `threshold` does:
    /// whether the schedule escalates once the count keeps going.
    pub(crate) const fn changes_after(&self, threshold: u32) -> bool {
        let mut at_threshold: u64 = 0;
        let mut rest = self.steps.as_slice();
        let mut left = self.len;
        while let [step, tail @ ..] = rest {
            if left == 0 {
                break;
            }
            if step.from_count <= threshold {
                at_threshold = step.length.as_millis();
            } else if step.length.as_millis() != at_threshold {
                return true;
            }
            left = left.saturating_sub(1);
            rest = tail;
        }
        false
    }

    /// The smallest count at or above `count` whose length is not zero.
    #[must_use]
    pub fn next_locking_count(&self, count: u32) -> Option<u32> {
        if !self.length(count).is_zero() {
            return Some(count);
        }
        self.steps()
            .iter()
            .find(|step| step.from_count > count && !step.length.is_zero())
            .map(|step| step.from_count)
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.steps()).finish()
    }
}
