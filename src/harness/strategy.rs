//! proptest strategies for the types a property test drives the crate with.
//!
//! ```
//! use account_lockout::{harness::strategy, Account};
//! use proptest::prelude::*;
//!
//! proptest!(|(policy in strategy::policy(), start in strategy::instant())| {
//!     let mut account: Account<16, 8> = Account::new();
//!     account.lock(&policy, start, None).unwrap();
//!     account.success(&policy, start);
//!     prop_assert!(!account.view(start).can_authenticate);
//! });
//! ```

use proptest::prelude::*;

use super::{Action, Call, Dialect, PolicySeed, TimeStep};
use crate::account::Verdict;
use crate::dialect::{ActiveDirectory, BruteForceStrategy, Keycloak, PamFaillock, PingOne, Tpm};
use crate::fingerprint::Fingerprint;
use crate::operation::Operation;
use crate::patch::{Patch, UnlockAtPatch};
use crate::policy::Policy;
use crate::time::{Duration, Instant};
use crate::view::Status;

/// 2026-01-01T00:00:00Z, around which ordinary instants are drawn.
const AROUND: i64 = super::AROUND_2026;

/// Instants: mostly within a year of 2026, sometimes anywhere, sometimes at the limits.
pub fn instant() -> impl Strategy<Value = Instant> {
    prop_oneof![
        8 => (-31_536_000_000_i64..31_536_000_000)
            .prop_map(|offset| Instant::from_millis(AROUND.saturating_add(offset))),
        1 => any::<i64>().prop_map(Instant::from_millis),
        1 => (0_i64..1_000).prop_map(|back| Instant::from_millis(i64::MAX.saturating_sub(back))),
        1 => (0_i64..1_000).prop_map(|up| Instant::from_millis(i64::MIN.saturating_add(up))),
    ]
}

/// Steps of time in milliseconds: mostly short, sometimes long, sometimes backwards (a
/// clock going back).
pub fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => 0_i64..5_000,
        3 => 0_i64..7_200_000,
        1 => -7_200_000_i64..0,
    ]
}

/// Durations up to a day.
pub fn duration() -> impl Strategy<Value = Duration> {
    (0_u64..86_400_000).prop_map(Duration::from_millis)
}

/// One of 16 fingerprints, so that repeats happen.
pub fn fingerprint() -> impl Strategy<Value = Fingerprint> {
    (0_u64..16).prop_map(Fingerprint::new)
}

/// Valid policies: every dialect with parameters in range, and general policies, with
/// random modifiers.
pub fn policy() -> impl Strategy<Value = Policy> {
    (
        any::<u8>(),
        any::<[u32; 6]>(),
        any::<u8>(),
        prop_oneof![Just(0_u8), any::<u8>()],
    )
        .prop_map(|(form, numbers, memory, cap)| {
            PolicySeed {
                form,
                numbers,
                memory,
                cap,
            }
            .policy()
        })
}

/// Valid patches (conflicting fields are never combined).
pub fn patch() -> impl Strategy<Value = Patch> {
    let unlock_at = prop_oneof![
        Just(UnlockAtPatch::Clear),
        instant().prop_map(UnlockAtPatch::At)
    ];
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![Just(Status::Ok), Just(Status::Locked)]),
        proptest::option::of(unlock_at),
    )
        .prop_map(|(can_authenticate, status, unlock_at)| {
            Patch::new(can_authenticate, status, unlock_at)
                .or_else(|_| Patch::new(can_authenticate, status, None))
                .or_else(|_| Patch::new(can_authenticate, None, None))
                .unwrap_or_default()
        })
}

/// Operations, failures the most frequent.
pub fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        1 => Just(Operation::Check),
        4 => proptest::option::of(fingerprint())
            .prop_map(|credential| Operation::Failure { credential }),
        2 => Just(Operation::Success),
        1 => Just(Operation::Unlock),
        1 => proptest::option::of(instant()).prop_map(|until| Operation::Lock { until }),
        1 => patch().prop_map(Operation::Patch),
    ]
}

/// Verdicts of the attempt protocol.
pub fn verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Success),
        proptest::option::of(fingerprint()).prop_map(|credential| Verdict::Failure { credential }),
    ]
}

// Steps are drawn as plain numbers and decoded (the mapping `arbitrary` uses too): proptest
// builds and shrinks integer tuples far faster than nested unions, which matters for
// thousands of cases in the dev profile, and every number shrinks towards 0, that is
// towards `TimeStep::By(0)` and `Action::Check`.

/// How the clock moves before a step: mostly a little forward, sometimes far, sometimes
/// back, to a lock's deadline (±1 ms), to the limits of the range, back to 2026 or anywhere.
///
/// ```
/// use account_lockout::harness::{strategy, Action};
/// use account_lockout::{Account, Instant, Policy};
/// use proptest::prelude::*;
///
/// let steps = proptest::collection::vec((strategy::time_step(), strategy::action()), 1..20);
/// proptest!(|(steps in steps)| {
///     let mut account: Account = Account::new();
///     let mut now = Instant::from_secs(1);
///     for (step, action) in steps {
///         now = step.apply(now, account.view(now).unlock_at);
///         let _ = account.apply(&Policy::NEVER_LOCK, now, action.valid_operation(now));
///         prop_assert!(account_lockout::harness::check_view(&account.view(now), now).is_ok());
///     }
/// });
/// ```
pub fn time_step() -> impl Strategy<Value = TimeStep> {
    (0_u8..100, any::<u64>()).prop_map(|(kind, value)| TimeStep::from_numbers(kind, value))
}

/// Operations with deadlines relative to `now`: failures the most frequent (mostly with
/// one of three fingerprints), checks, successes, unlocks, locks and patches (some with
/// conflicting fields).
pub fn action() -> impl Strategy<Value = Action> {
    (0_u8..100, any::<u64>(), any::<u64>())
        .prop_map(|(kind, a, b)| Action::from_numbers(kind, a, b))
}

/// Calls: operations ([`action`]), and the attempt protocol, `recover` and `poll`.
pub fn call() -> impl Strategy<Value = Call> {
    (0_u8..100, any::<u64>(), any::<u64>()).prop_map(|(kind, a, b)| Call::from_numbers(kind, a, b))
}

/// Seconds: mostly within `1..=max_small`, sometimes millennia, sometimes at the `u64`
/// end (saturating lengths).
fn seconds(max_small: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => 1..=max_small,
        1 => 1_000_000_000_u64..1_000_000_000_000,
        1 => (u64::MAX / 1_000 - 10)..=u64::MAX,
    ]
}

/// Dialects with valid parameters (behaviour §5): mostly small ones, so that locks and
/// windows are within reach, sometimes huge ones.
pub fn dialect() -> impl Strategy<Value = Dialect> {
    let pingone = (
        prop_oneof![4 => 1_u32..=6, 1 => 1_u32..=60, 1 => Just(u32::MAX)],
        proptest::option::of(seconds(3_600)),
    )
        .prop_map(|(failure_count, duration_seconds)| {
            Dialect::PingOne(PingOne {
                failure_count,
                duration_seconds,
            })
        });
    let active_directory = (
        prop_oneof![6 => 0_u32..=6, 1 => 0_u32..=999],
        prop_oneof![1 => Just(0_u64), 4 => seconds(3_600)],
    )
        .prop_flat_map(|(threshold, duration)| {
            let window = if duration == 0 {
                seconds(7_200).boxed()
            } else {
                prop_oneof![
                    3 => 1..=duration.min(7_200),
                    1 => 1..=duration,
                ]
                .boxed()
            };
            window.prop_map(move |window| {
                Dialect::ActiveDirectory(ActiveDirectory {
                    lockout_threshold: threshold,
                    lockout_duration_seconds: duration,
                    lockout_observation_window_seconds: window,
                })
            })
        });
    let keycloak = (
        (
            prop_oneof![4 => 1_u32..=6, 1 => 1_u32..=40],
            prop_oneof![4 => 0_u64..=120, 1 => seconds(3_600)],
            prop_oneof![4 => 0_u64..=1_200, 1 => seconds(3_600), 1 => Just(0_u64)],
            prop_oneof![4 => 0_u64..=7_200, 1 => Just(43_200_u64), 1 => seconds(3_600)],
        ),
        (
            prop_oneof![
                Just(BruteForceStrategy::Multiple),
                Just(BruteForceStrategy::Linear)
            ],
            any::<bool>(),
            prop_oneof![6 => 0_u32..=4, 1 => 0_u32..=65_534],
            prop_oneof![4 => 0_u64..=3_000, 1 => Just(1_000_u64)],
            prop_oneof![4 => 0_u64..=120, 1 => seconds(600)],
        ),
    )
        .prop_map(
            |(
                (failure_factor, wait_increment_seconds, max_failure_wait_seconds, max_delta),
                (strategy, permanent_lockout, max_temporary_lockouts, quick, minimum_quick),
            )| {
                Dialect::Keycloak(Keycloak {
                    failure_factor,
                    wait_increment_seconds,
                    max_failure_wait_seconds,
                    max_delta_time_seconds: max_delta,
                    brute_force_strategy: strategy,
                    permanent_lockout,
                    max_temporary_lockouts,
                    quick_login_check_milli_seconds: quick,
                    minimum_quick_login_wait_seconds: minimum_quick,
                })
            },
        );
    let pam_faillock = (
        prop_oneof![5 => 0_u32..=5, 1 => 0_u32..=16],
        seconds(3_600),
        prop_oneof![1 => Just(0_u64), 4 => seconds(1_800)],
    )
        .prop_map(|(deny, fail_interval, unlock_time)| {
            Dialect::PamFaillock(PamFaillock {
                deny,
                fail_interval,
                unlock_time,
            })
        });
    let tpm = (
        prop_oneof![4 => 1_u32..=5, 1 => 1_u32..=100],
        prop_oneof![1 => Just(0_u64), 4 => seconds(3_600)],
    )
        .prop_map(|(max_tries, recovery_time)| {
            Dialect::Tpm(Tpm {
                max_tries,
                recovery_time,
            })
        });
    prop_oneof![
        pingone.boxed(),
        active_directory.boxed(),
        keycloak.boxed(),
        pam_faillock.boxed(),
        tpm.boxed(),
        Just(Dialect::AndroidGatekeeper).boxed(),
    ]
}
