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

use super::PolicySeed;
use crate::account::Verdict;
use crate::fingerprint::Fingerprint;
use crate::operation::Operation;
use crate::patch::{Patch, UnlockAtPatch};
use crate::policy::Policy;
use crate::time::{Duration, Instant};
use crate::view::Status;

/// 2026-01-01T00:00:00Z, around which ordinary instants are drawn.
const AROUND: i64 = 1_767_225_600_000;

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
