//! Test harnesses for the crate's users, who property-test and fuzz their integrations:
//! `arbitrary::Arbitrary` implementations (feature `arbitrary`) and proptest strategies
//! (feature `proptest`, module [`strategy`]) for policies, operations, patches, instants
//! and fingerprints. Both draw from the same mapping, so a fuzzer and a property test
//! explore the same policies.
//!
//! ```
//! # #[cfg(feature = "arbitrary")] {
//! use account_lockout::{Account, Operation, Policy};
//! use arbitrary::{Arbitrary, Unstructured};
//!
//! let bytes = [7u8; 64];
//! let mut input = Unstructured::new(&bytes);
//! let policy = Policy::arbitrary(&mut input).unwrap();
//! let operation = Operation::arbitrary(&mut input).unwrap();
//! let mut account: Account<16, 8> = Account::new();
//! let _ = account.apply(&policy, account_lockout::Instant::from_secs(1), operation);
//! # }
//! ```

use crate::dialect::{
    ActiveDirectory, AndroidGatekeeper, BruteForceStrategy, Keycloak, PamFaillock, PingOne, Tpm,
};
use crate::outcome::Outcome;
use crate::policy::{
    Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, Problem, QuickFailure, Rules,
};
use crate::schedule::{Schedule, Step};
use crate::time::Duration;

#[cfg(feature = "arbitrary")]
mod arbitrary_impls;
#[cfg(feature = "proptest")]
pub mod strategy;

/// The raw numbers a policy is drawn from: which form, its parameters, the modifiers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PolicySeed {
    pub(crate) form: u8,
    pub(crate) numbers: [u32; 6],
    pub(crate) memory: u8,
    pub(crate) cap: u8,
}

/// A number in `0..bound` (`bound` > 0).
fn below(value: u32, bound: u32) -> u32 {
    value.checked_rem(bound).unwrap_or(0)
}

fn seconds(value: u32) -> Duration {
    Duration::from_secs(u64::from(value))
}

impl PolicySeed {
    /// Every seed maps onto a valid policy: a dialect with parameters in range, or a
    /// general policy. Small ranges keep locks and windows within reach of a test.
    pub(crate) fn policy(self) -> Policy {
        let [a, b, c, d, e, f] = self.numbers;
        let policy = match below(u32::from(self.form), 7) {
            0 => PingOne {
                failure_count: below(a, 10).saturating_add(1),
                duration_seconds: (below(b, 4) != 0)
                    .then(|| u64::from(below(c, 3_600).saturating_add(1))),
            }
            .policy(),
            1 => {
                let duration = if below(b, 4) == 0 {
                    0
                } else {
                    below(c, 3_600).saturating_add(1)
                };
                let window_bound = if duration == 0 { 3_600 } else { duration };
                ActiveDirectory {
                    lockout_threshold: below(a, 12),
                    lockout_duration_seconds: u64::from(duration),
                    lockout_observation_window_seconds: u64::from(
                        below(d, window_bound).saturating_add(1),
                    ),
                }
                .policy()
            }
            2 => Keycloak {
                failure_factor: below(a, 8).saturating_add(1),
                wait_increment_seconds: u64::from(below(b, 120)),
                max_failure_wait_seconds: u64::from(below(c, 1_000)),
                max_delta_time_seconds: u64::from(below(d, 50_000)),
                brute_force_strategy: if below(e, 2) == 0 {
                    BruteForceStrategy::Multiple
                } else {
                    BruteForceStrategy::Linear
                },
                permanent_lockout: below(f, 3) == 0,
                max_temporary_lockouts: below(f >> 2, 4),
                quick_login_check_milli_seconds: u64::from(below(e >> 1, 2_000)),
                minimum_quick_login_wait_seconds: u64::from(below(d >> 16, 120)),
            }
            .policy(),
            3 => PamFaillock {
                deny: below(a, 17),
                fail_interval: u64::from(below(b, 1_800).saturating_add(1)),
                unlock_time: u64::from(below(c, 1_200)),
            }
            .policy(),
            4 => Tpm {
                max_tries: below(a, 8).saturating_add(1),
                recovery_time: u64::from(below(b, 2_000)),
            }
            .policy(),
            5 => AndroidGatekeeper {}.policy(),
            _ => self.rules().build(),
        };
        // Every branch above builds a valid policy; the fallback only guards the mapping.
        let policy = policy.unwrap_or(Policy::NEVER_LOCK);
        let cap = (self.cap != 0).then(|| u32::from(self.cap));
        let policy = policy
            .with_modifiers(self.memory.checked_rem(9).unwrap_or(0), cap)
            .unwrap_or(policy);
        // Half the seeds keep the dialect's attempt limits; the others draw 1..=16 attempts
        // in flight and a timeout of 1 s to 10 min.
        if below(b >> 8, 2) == 0 {
            return policy;
        }
        let in_flight = u8::try_from(below(a >> 8, 16).saturating_add(1)).unwrap_or(1);
        policy
            .with_attempt_limits(in_flight, seconds(below(c >> 12, 600).saturating_add(1)))
            .unwrap_or(policy)
    }

    /// A general policy from the seed. An escalating length gets a count that can pass
    /// the threshold (`onLockEnd: keep`, no sliding window), as [`Rules::build`] requires.
    fn rules(self) -> Rules {
        let rules = self.raw_rules();
        match rules.build() {
            Err(PolicyError {
                problem: Problem::NeverEscalates { .. },
                ..
            }) => Rules {
                on_lock_end: OnLockEnd::Keep,
                decay: match rules.decay {
                    Decay::SlidingWindow(window) => Decay::QuietWindow(window),
                    other => other,
                },
                ..rules
            },
            _ => rules,
        }
    }

    /// The seed's general policy before the escalation rule.
    fn raw_rules(self) -> Rules {
        let [a, b, c, d, e, f] = self.numbers;
        let threshold = below(a, 10);
        let length = seconds(below(c, 600).saturating_add(1));
        let lock = match below(b, 6) {
            0 => LockLength::Permanent,
            1 => LockLength::Fixed(length),
            2 => LockLength::Multiple { increment: length },
            3 => LockLength::Linear { increment: length },
            4 => LockLength::Exponential { initial: length },
            _ => {
                let steps = [
                    Step::new(below(c, 3).saturating_add(1), seconds(below(d, 60))),
                    Step::new(
                        below(c >> 8, 3).saturating_add(4),
                        seconds(below(d >> 8, 600)),
                    ),
                    Step::new(
                        below(c >> 16, 8).saturating_add(8),
                        seconds(below(d >> 16, 6_000)),
                    ),
                ];
                match Schedule::new(&steps) {
                    Ok(schedule) => LockLength::Table(schedule),
                    Err(_) => LockLength::Fixed(length),
                }
            }
        };
        let window = seconds(below(e, 1_800).saturating_add(1));
        let decay = match below(e >> 12, 4) {
            0 => Decay::None,
            1 => Decay::QuietWindow(window),
            2 if threshold <= 16 => Decay::SlidingWindow(window),
            _ => Decay::SelfHealing(window),
        };
        Rules {
            threshold,
            lock,
            max_lock: (below(f, 3) == 0).then(|| seconds(below(f >> 2, 900).saturating_add(1))),
            decay,
            on_success: if below(f >> 12, 2) == 0 {
                OnSuccess::Reset
            } else {
                OnSuccess::Keep
            },
            on_lock_end: if below(f >> 13, 2) == 0 {
                OnLockEnd::Reset
            } else {
                OnLockEnd::Keep
            },
            quick_failure: (below(f >> 14, 3) == 0).then(|| QuickFailure {
                within: Duration::from_millis(u64::from(below(d >> 4, 2_000))),
                lock: seconds(below(d >> 20, 120)),
            }),
            permanent_after_temporary_locks: (below(f >> 16, 3) == 0)
                .then(|| u16::try_from(below(f >> 18, 4)).unwrap_or(0)),
            deadline_from_whole_second: below(f >> 20, 2) == 1,
            ..Rules::NEVER_LOCK
        }
    }
}

/// An outcome as a [`crate::LockoutTable`] and a standalone [`crate::Account`] fed the same
/// events must agree on it. Under a policy that cannot lock by the count
/// ([`Policy::can_lock_by_count`]), a table forgets an account whose only information is
/// its count, so the number in [`Transition::Counted`](crate::Transition::Counted) is shown as 0; all else is kept.
///
/// ```
/// use account_lockout::{harness::table_comparable, Account, Instant, Policy, Transition};
///
/// let mut account: Account = Account::new();
/// let outcome = account.failure(&Policy::NEVER_LOCK, Instant::from_secs(1), None).unwrap();
/// let comparable = table_comparable(&Policy::NEVER_LOCK, outcome);
/// assert_eq!(comparable.transitions().iter().next(), Some(Transition::Counted { failures: 0 }));
/// ```
pub fn table_comparable(policy: &Policy, outcome: Outcome) -> Outcome {
    if policy.can_lock_by_count() {
        return outcome;
    }
    let mut comparable = outcome;
    comparable.record.forget_count();
    comparable
}

/// The PingOne policy of `failure_count` and `duration_seconds`: the fixture many tests
/// start from (this crate's, and its users' such as the Redis store's).
///
/// # Panics
///
/// When the parameters make no policy (`failure_count` 0): the test's own mistake.
// A test fixture: an invalid policy is the calling test's bug, reported at once.
#[allow(clippy::expect_used)]
pub fn pingone(failure_count: u32, duration_seconds: Option<u64>) -> Policy {
    let dialect = PingOne {
        failure_count,
        duration_seconds,
    };
    dialect.policy().expect("a valid PingOne policy")
}
