//! Test harnesses for the crate's users, who property-test and fuzz their integrations:
//! `arbitrary::Arbitrary` implementations (feature `arbitrary`) and proptest strategies
//! (feature `proptest`, module [`strategy`]) for policies, operations, patches, instants
//! and fingerprints, and for the driver's vocabulary defined here: how the clock moves
//! ([`TimeStep`]), what happens to an account ([`Action`], [`Call`], with deadlines
//! relative to `now`: [`Deadline`]) and which dialect is configured ([`Dialect`]). Both
//! draw from the same mapping, so a fuzzer and a property test explore the same inputs.
//!
//! [`check_view`] checks the account view's own rules (behaviour §2) after any step.
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

use core::fmt;

use crate::account::Verdict;
use crate::dialect::{
    ActiveDirectory, AndroidGatekeeper, BruteForceStrategy, Keycloak, PamFaillock, PingOne, Tpm,
};
use crate::fingerprint::Fingerprint;
use crate::operation::Operation;
use crate::outcome::Outcome;
use crate::patch::{Patch, PatchError, UnlockAtPatch};
use crate::policy::{
    Decay, LockLength, OnLockEnd, OnSuccess, Policy, PolicyError, Problem, QuickFailure, Rules,
};
use crate::schedule::{Schedule, Step};
use crate::time::{Duration, Instant};
use crate::view::{AccountView, Status};

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

// ---------------------------------------------------------------------------------------
// The view's own rules
// ---------------------------------------------------------------------------------------

/// A rule of the account view (behaviour §2) that a view breaks, as [`check_view`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViewProblem {
    /// `canAuthenticate` is not `enabled && status == OK`.
    CanAuthenticate,
    /// `lockedAt` is present on a view that is not `LOCKED`, or missing from one that is.
    LockedAtPresence,
    /// `lockedAt` is after `now`.
    LockedAtAfterNow,
    /// `unlockAt` is present on a view that is not `LOCKED`.
    UnlockAtWithoutLock,
    /// `secondsUntilUnlock` is present without `unlockAt`, or missing beside it.
    SecondsUntilUnlockPresence,
    /// `unlockAt` is not after `now`: the lock should have ended.
    UnlockAtNotAfterNow,
    /// `secondsUntilUnlock` is not `ceil((unlockAt - now) / 1000)`.
    SecondsUntilUnlock,
}

impl fmt::Display for ViewProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ViewProblem::CanAuthenticate => "canAuthenticate is not enabled && status == OK",
            ViewProblem::LockedAtPresence => "lockedAt is not present exactly when LOCKED",
            ViewProblem::LockedAtAfterNow => "lockedAt is after now",
            ViewProblem::UnlockAtWithoutLock => "unlockAt is present without a lock",
            ViewProblem::SecondsUntilUnlockPresence => {
                "secondsUntilUnlock is not present exactly when unlockAt is"
            }
            ViewProblem::UnlockAtNotAfterNow => "LOCKED at or after unlockAt",
            ViewProblem::SecondsUntilUnlock => {
                "secondsUntilUnlock is not ceil((unlockAt - now) / 1000)"
            }
        })
    }
}

impl core::error::Error for ViewProblem {}

/// Checks the rules every view derived at `now` keeps (behaviour §2): `canAuthenticate` is
/// `enabled && status == OK`; `lockedAt` is present exactly when `LOCKED`, and not after
/// `now`; `unlockAt` only when `LOCKED`, and after `now`; `secondsUntilUnlock` exactly
/// beside `unlockAt`, as `ceil((unlockAt - now) / 1000)` (so at least 1). Returns the first
/// rule broken.
///
/// ```
/// use account_lockout::harness::{check_view, ViewProblem};
/// use account_lockout::{Account, AccountView, Instant, Policy};
///
/// let now = Instant::from_secs(1_000);
/// let mut account: Account = Account::new();
/// account.lock(&Policy::NEVER_LOCK, now, Some(Instant::from_secs(1_100))).unwrap();
/// assert_eq!(check_view(&account.view(now), now), Ok(()));
///
/// let broken = AccountView { can_authenticate: false, ..AccountView::OPEN };
/// assert_eq!(check_view(&broken, now), Err(ViewProblem::CanAuthenticate));
/// ```
pub fn check_view(view: &AccountView, now: Instant) -> Result<(), ViewProblem> {
    let locked = view.status == Status::Locked;
    if view.can_authenticate != (view.enabled && view.status == Status::Ok) {
        return Err(ViewProblem::CanAuthenticate);
    }
    if view.locked_at.is_some() != locked {
        return Err(ViewProblem::LockedAtPresence);
    }
    if view.locked_at.is_some_and(|at| at > now) {
        return Err(ViewProblem::LockedAtAfterNow);
    }
    if view.unlock_at.is_some() && !locked {
        return Err(ViewProblem::UnlockAtWithoutLock);
    }
    if view.seconds_until_unlock.is_some() != view.unlock_at.is_some() {
        return Err(ViewProblem::SecondsUntilUnlockPresence);
    }
    if let (Some(unlock_at), Some(seconds)) = (view.unlock_at, view.seconds_until_unlock) {
        if unlock_at <= now {
            return Err(ViewProblem::UnlockAtNotAfterNow);
        }
        if seconds != unlock_at.saturating_duration_since(now).as_secs_ceil() {
            return Err(ViewProblem::SecondsUntilUnlock);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A driver's vocabulary: clock steps, actions, calls, dialects
// ---------------------------------------------------------------------------------------

/// 2026-01-01T00:00:00Z in milliseconds since the Unix epoch: the era ordinary instants
/// are drawn around.
pub(crate) const AROUND_2026: i64 = 1_767_225_600_000;

/// A number in `0..bound` (`bound` > 0) from a drawn `u64`, as an `i64`.
fn below_i64(value: u64, bound: u64) -> i64 {
    i64::try_from(value.checked_rem(bound).unwrap_or(0)).unwrap_or(0)
}

/// How a driver moves the clock before a step.
///
/// ```
/// use account_lockout::harness::TimeStep;
/// use account_lockout::Instant;
///
/// let now = Instant::from_secs(10);
/// assert_eq!(TimeStep::By(-1_000).apply(now, None), Instant::from_secs(9));
/// let deadline = Some(Instant::from_secs(60));
/// assert_eq!(TimeStep::ToDeadline(-1).apply(now, deadline), Instant::from_millis(59_999));
/// assert_eq!(TimeStep::ToDeadline(0).apply(now, None), now);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeStep {
    /// By this many milliseconds, saturating; negative goes back (a clock regression).
    By(i64),
    /// To the deadline of the lock in effect plus this many milliseconds (the drawn ones
    /// are -1, 0 and +1: where a lock ends); no move when there is no deadline.
    ToDeadline(i64),
    /// To this instant (near the limits of the range, around 2026, or anywhere).
    To(Instant),
}

impl TimeStep {
    /// The next `now`, from `now` and the `unlock_at` of the lock in effect (if any).
    pub fn apply(self, now: Instant, unlock_at: Option<Instant>) -> Instant {
        match self {
            TimeStep::By(ms) => Instant::from_millis(now.as_millis().saturating_add(ms)),
            TimeStep::ToDeadline(delta) => unlock_at.map_or(now, |until| {
                Instant::from_millis(until.as_millis().saturating_add(delta))
            }),
            TimeStep::To(at) => at,
        }
    }

    /// `kind` (taken modulo 100) picks the kind with weights by range, `value` its number:
    /// mostly short steps forward (some of none), some long ones, steps back, jumps to a
    /// lock's deadline, to the limits of the range, back to 2026 and anywhere. Both numbers
    /// at 0 give `By(0)`, so shrinking leads there.
    pub(crate) fn from_numbers(kind: u8, value: u64) -> TimeStep {
        match kind.checked_rem(100).unwrap_or(0) {
            0..6 => TimeStep::By(0),
            6..42 => TimeStep::By(below_i64(value, 5_000)),
            42..56 => TimeStep::By(below_i64(value, 7_200_000)),
            56..60 => TimeStep::By(below_i64(value, 400_000_000_000)),
            60..72 => TimeStep::By((-1_i64).saturating_sub(below_i64(value, 7_200_000))),
            72..86 => TimeStep::ToDeadline(below_i64(value, 3).saturating_sub(1)),
            86..90 => TimeStep::To(Instant::from_millis(
                i64::MAX.saturating_sub(below_i64(value, 2_000)),
            )),
            90..94 => TimeStep::To(Instant::from_millis(
                i64::MIN.saturating_add(below_i64(value, 2_000)),
            )),
            94..98 => TimeStep::To(Instant::from_millis(
                AROUND_2026
                    .saturating_add(below_i64(value, 7_200_000))
                    .saturating_sub(3_600_000),
            )),
            _ => TimeStep::To(Instant::from_millis(i64::from_le_bytes(
                value.to_le_bytes(),
            ))),
        }
    }
}

/// A deadline (of a lock or a patch's `unlockAt`) relative to the step's `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// `now` plus this many milliseconds, saturating: in the future when positive, else
    /// not (an operation the crate refuses).
    In(i64),
    /// This instant, wherever `now` is.
    At(Instant),
}

impl Deadline {
    /// The deadline for a step at `now`.
    pub fn resolve(self, now: Instant) -> Instant {
        match self {
            Deadline::In(ms) => Instant::from_millis(now.as_millis().saturating_add(ms)),
            Deadline::At(at) => at,
        }
    }

    /// Mostly up to ~an hour ahead, sometimes now or in the past, sometimes the end of time
    /// or anywhere.
    pub(crate) fn from_number(value: u64) -> Deadline {
        let rest = value.checked_div(10).unwrap_or(0);
        match value.checked_rem(10).unwrap_or(0) {
            0..6 => Deadline::In(below_i64(rest, 4_000_000).saturating_add(1)),
            6..8 => Deadline::In(0_i64.saturating_sub(below_i64(rest, 100_001))),
            8 => Deadline::At(Instant::MAX),
            _ => Deadline::At(Instant::from_millis(i64::from_le_bytes(rest.to_le_bytes()))),
        }
    }
}

/// One of three values of an `Option<bool>`-like field, from a number.
fn one_of_three<T: Copy>(value: u64, [a, b, c]: [T; 3]) -> T {
    match value.checked_rem(3).unwrap_or(0) {
        0 => a,
        1 => b,
        _ => c,
    }
}

/// An operation ([`Operation`]) with its deadlines relative to the step's `now`. A patch
/// may combine conflicting fields: [`Action::operation`] refuses it as [`Patch::new`]
/// does, [`Action::valid_operation`] drops fields until it is valid.
///
/// ```
/// use account_lockout::harness::{Action, Deadline};
/// use account_lockout::{Instant, Operation};
///
/// let now = Instant::from_secs(5);
/// let lock = Action::Lock(Some(Deadline::In(1_000)));
/// assert_eq!(lock.operation(now), Ok(Operation::Lock { until: Some(Instant::from_secs(6)) }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// [`Operation::Check`].
    Check,
    /// [`Operation::Failure`] with this fingerprint.
    Failure(Option<Fingerprint>),
    /// [`Operation::Success`].
    Success,
    /// [`Operation::Unlock`].
    Unlock,
    /// [`Operation::Lock`] until this deadline (none: until an administrator unlocks).
    Lock(Option<Deadline>),
    /// [`Operation::Patch`] of these fields (`unlock_at`: `Some(None)` clears it).
    Patch {
        /// `canAuthenticate`.
        can_authenticate: Option<bool>,
        /// `status`.
        status: Option<Status>,
        /// `unlockAt`: `Some(None)` for `null`, `Some(Some(deadline))` for a date.
        unlock_at: Option<Option<Deadline>>,
    },
}

impl Action {
    /// The operation at `now`; a patch whose fields conflict is refused as
    /// [`Patch::new`] refuses it.
    pub fn operation(self, now: Instant) -> Result<Operation, PatchError> {
        Ok(match self {
            Action::Check => Operation::Check,
            Action::Failure(credential) => Operation::Failure { credential },
            Action::Success => Operation::Success,
            Action::Unlock => Operation::Unlock,
            Action::Lock(until) => Operation::Lock {
                until: until.map(|deadline| deadline.resolve(now)),
            },
            Action::Patch {
                can_authenticate,
                status,
                unlock_at,
            } => Operation::Patch(Patch::new(
                can_authenticate,
                status,
                Action::unlock_at_patch(unlock_at, now),
            )?),
        })
    }

    /// The operation at `now`, always valid: of a patch whose fields conflict, `unlockAt`
    /// is dropped first, then `status`.
    pub fn valid_operation(self, now: Instant) -> Operation {
        match self {
            Action::Patch {
                can_authenticate,
                status,
                unlock_at,
            } => {
                let unlock_at = Action::unlock_at_patch(unlock_at, now);
                Operation::Patch(
                    Patch::new(can_authenticate, status, unlock_at)
                        .or_else(|_| Patch::new(can_authenticate, status, None))
                        .or_else(|_| Patch::new(can_authenticate, None, None))
                        .unwrap_or_default(),
                )
            }
            other => other.operation(now).unwrap_or(Operation::Check),
        }
    }

    fn unlock_at_patch(unlock_at: Option<Option<Deadline>>, now: Instant) -> Option<UnlockAtPatch> {
        unlock_at.map(|date| match date {
            None => UnlockAtPatch::Clear,
            Some(deadline) => UnlockAtPatch::At(deadline.resolve(now)),
        })
    }

    /// `kind` (modulo 100) picks the operation, failures the most frequent (mostly with
    /// one of three fingerprints, so that repeats happen, sometimes one of sixteen); `a`
    /// and `b` its parameters. All at 0 gives `Check`.
    pub(crate) fn from_numbers(kind: u8, a: u64, b: u64) -> Action {
        let credential = |modulus: u64| {
            (a.checked_rem(4) != Some(0))
                .then(|| Fingerprint::new(a.checked_rem(modulus).unwrap_or(0)))
        };
        match kind.checked_rem(100).unwrap_or(0) {
            0..12 => Action::Check,
            12..38 => Action::Failure(credential(3)),
            38..48 => Action::Failure(credential(16)),
            48..62 => Action::Success,
            62..70 => Action::Unlock,
            70..82 => Action::Lock((a.checked_rem(5) != Some(0)).then(|| Deadline::from_number(b))),
            _ => Action::Patch {
                can_authenticate: one_of_three(a, [None, Some(false), Some(true)]),
                status: one_of_three(a / 3, [None, Some(Status::Ok), Some(Status::Locked)]),
                unlock_at: one_of_three(
                    a / 9,
                    [None, Some(None), Some(Some(Deadline::from_number(b)))],
                ),
            },
        }
    }
}

/// A call on an account: an [`Action`], or a call of the attempt protocol or of upkeep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// [`crate::Account::apply`] of the action's operation.
    Operation(Action),
    /// [`crate::Account::begin_attempt`] (a driver remembers the tokens).
    BeginAttempt,
    /// [`crate::Account::finish_attempt`] with the token a driver picks by `which` (modulo
    /// the tokens it holds; perhaps a stale one), and this verdict.
    FinishAttempt {
        /// Which remembered token.
        which: u8,
        /// The verdict.
        verdict: Verdict,
    },
    /// [`crate::Account::recover`].
    Recover,
    /// [`crate::Account::poll`].
    Poll,
}

impl Call {
    /// `kind` (modulo 100) picks the call (operations 70 %), `a` and `b` its parameters.
    /// All at 0 gives `Operation(Check)`.
    pub(crate) fn from_numbers(kind: u8, a: u64, b: u64) -> Call {
        match kind.checked_rem(100).unwrap_or(0) {
            0..70 => Call::Operation(Action::from_numbers(
                u8::try_from(a.checked_rem(100).unwrap_or(0)).unwrap_or(0),
                a.checked_div(100).unwrap_or(0),
                b,
            )),
            70..80 => Call::BeginAttempt,
            80..90 => Call::FinishAttempt {
                which: u8::try_from(a % 256).unwrap_or(0),
                verdict: if b.checked_rem(3) == Some(0) {
                    Verdict::Success
                } else {
                    Verdict::Failure {
                        credential: (b.checked_rem(4) != Some(0))
                            .then(|| Fingerprint::new(b.checked_div(4).unwrap_or(0) % 16)),
                    }
                },
            },
            90..95 => Call::Recover,
            _ => Call::Poll,
        }
    }
}

/// One of the six dialects (behaviour §5) with its parameters, for a test to configure and
/// to show in a failure; [`strategy::dialect`] draws valid ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PingOne.
    PingOne(PingOne),
    /// Active Directory.
    ActiveDirectory(ActiveDirectory),
    /// Keycloak.
    Keycloak(Keycloak),
    /// pam_faillock.
    PamFaillock(PamFaillock),
    /// TPM 2.0.
    Tpm(Tpm),
    /// Android Gatekeeper (no parameters).
    AndroidGatekeeper,
}

impl Dialect {
    /// The dialect's policy (refused as the dialect's own `policy()` refuses it).
    ///
    /// ```
    /// use account_lockout::dialect::Tpm;
    /// use account_lockout::harness::Dialect;
    ///
    /// assert_eq!(Dialect::Tpm(Tpm::DEFAULT).policy(), Tpm::DEFAULT.policy());
    /// ```
    pub fn policy(&self) -> Result<Policy, PolicyError> {
        match self {
            Dialect::PingOne(dialect) => dialect.policy(),
            Dialect::ActiveDirectory(dialect) => dialect.policy(),
            Dialect::Keycloak(dialect) => dialect.policy(),
            Dialect::PamFaillock(dialect) => dialect.policy(),
            Dialect::Tpm(dialect) => dialect.policy(),
            Dialect::AndroidGatekeeper => AndroidGatekeeper {}.policy(),
        }
    }
}
