//! The crate against a naive reference model (`tests/model/`), written
//! from docs/behaviour.md alone, side by side.
//!
//! Each case draws a policy (every dialect of behaviour §5 from `harness::strategy::dialect()`,
//! parameters in the ranges the behaviour document allows, sometimes huge ones, or a general
//! policy, with random modifiers), a start instant and a sequence of 1..40 events
//! (`harness::strategy::action()`: checks, failures with or without a fingerprint,
//! successes, unlocks, locks with or without a deadline in the future or the past,
//! patches, some with conflicting fields), with time steps mostly forward, sometimes
//! backward and sometimes jumping to the `i64` limits (`harness::strategy::time_step()`),
//! or to one of the policy's own durations. After every event it compares the answer (decision, refusal and its
//! code, failures remaining) and the full view at many instants (the event's `now`, just
//! before and at the deadline, later, earlier — a clock-regression read — and at the
//! limits), plus `last_seen`, `enabled` and the consecutive-failure count.
//!
//! Cases: `PROPTEST_CASES` if set, else 10,000 per property.

mod model;

use account_lockout::dialect::{
    ActiveDirectory, BruteForceStrategy, Keycloak, PamFaillock, PingOne, Tpm,
};
use account_lockout::harness::{self, Action, TimeStep, strategy};
use account_lockout::{
    Account, AccountView, Decay, Duration, Instant, LockLength, OnLockEnd, OnSuccess, Policy,
    QuickFailure, Rules, Schedule, Step,
};
use model::{Dialect, Model, ModelPolicy, sat};
use proptest::prelude::*;

mod cases;
use cases::config;
mod fixtures;
use fixtures::T0_MS;

type Big = Account<16, 8>;

// ---------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------

/// Milliseconds: mostly whole seconds up to `max_seconds`, sometimes a few ms, sometimes
/// centuries and beyond (saturation).
fn millis(max_seconds: u64) -> impl Strategy<Value = Duration> {
    prop_oneof![
        6 => (1..=max_seconds).prop_map(Duration::from_secs),
        2 => (1_u64..5_000).prop_map(Duration::from_millis),
        1 => (u64::MAX / 4..=u64::MAX).prop_map(Duration::from_millis),
    ]
}

/// General policies (the `custom` form), every knob drawn.
fn rules() -> BoxedStrategy<Rules> {
    let table = proptest::collection::vec((1_u32..5, millis(600)), 1..5).prop_map(|rows| {
        let mut from = 0;
        let steps: Vec<Step> = rows
            .into_iter()
            .map(|(gap, length)| {
                from += gap;
                Step::new(from, if gap == 1 { Duration::ZERO } else { length })
            })
            .collect();
        LockLength::Table(Schedule::new(&steps).unwrap())
    });
    let table = table.boxed();
    let lock = prop_oneof![
        Just(LockLength::Permanent),
        millis(600).prop_map(LockLength::Fixed),
        millis(120).prop_map(|increment| LockLength::Multiple { increment }),
        millis(120).prop_map(|increment| LockLength::Linear { increment }),
        millis(60).prop_map(|initial| LockLength::Exponential { initial }),
        table,
    ]
    .boxed();
    let decay = prop_oneof![
        Just(Decay::None),
        millis(1_800).prop_map(Decay::QuietWindow),
        millis(1_800).prop_map(Decay::SlidingWindow),
        millis(1_800).prop_map(Decay::SelfHealing),
    ]
    .boxed();
    (
        (
            prop_oneof![1 => Just(0_u32), 6 => 1_u32..=6, 1 => 7_u32..=16],
            lock,
            proptest::option::of(prop_oneof![millis(900), Just(Duration::ZERO)]),
            decay,
        ),
        (
            prop_oneof![Just(OnSuccess::Reset), Just(OnSuccess::Keep)],
            prop_oneof![Just(OnLockEnd::Reset), Just(OnLockEnd::Keep)],
            proptest::option::of(
                ((0_u64..2_000).prop_map(Duration::from_millis), millis(120))
                    .prop_map(|(within, lock)| QuickFailure { within, lock }),
            ),
            proptest::option::of(0_u16..=3),
            any::<bool>(),
        ),
    )
        // The count's knobs and the modifiers, written over a policy that never locks.
        .prop_map(|(count, modifiers)| {
            let mut rules = Rules::NEVER_LOCK;
            (rules.threshold, rules.lock, rules.max_lock, rules.decay) = count;
            (
                rules.on_success,
                rules.on_lock_end,
                rules.quick_failure,
                rules.permanent_after_temporary_locks,
                rules.deadline_from_whole_second,
            ) = modifiers;
            rules
        })
        // the README does not list every constraint of `Rules::build` (lengths and windows
        // of zero, a sliding window over more than 16 failures): draw again
        .prop_filter("a valid general policy", |rules| rules.build().is_ok())
        .boxed()
}

fn model_policy() -> impl Strategy<Value = ModelPolicy> {
    (
        prop_oneof![
            6 => strategy::dialect()
                .prop_filter("within the model's look-ahead", within_foresight)
                .prop_map(Dialect::Named),
            2 => rules().prop_map(Dialect::Custom),
        ],
        prop_oneof![3 => Just(0_u8), 1 => 1_u8..=8],
        prop_oneof![3 => Just(None), 1 => (1_u32..=12).prop_map(Some)],
    )
        .prop_map(
            |(dialect, repeated_credential_memory, max_consecutive_failures)| ModelPolicy {
                dialect,
                repeated_credential_memory,
                max_consecutive_failures,
            },
        )
}

/// Whether the model foresees this dialect's locks: it looks [`model::FORESEE_LIMIT`]
/// failures ahead, so the harness's huge thresholds are left to the other suites.
fn within_foresight(dialect: &harness::Dialect) -> bool {
    let limit = model::FORESEE_LIMIT / 2;
    match dialect {
        harness::Dialect::PingOne(p) => p.failure_count <= limit,
        harness::Dialect::Keycloak(k) => {
            k.failure_factor.saturating_add(k.max_temporary_lockouts) <= limit
        }
        _ => true,
    }
}

/// The crate's policy for the model's: every parameter drawn is one behaviour §5 allows.
fn crate_policy(policy: &ModelPolicy) -> Policy {
    let base = match policy.dialect {
        Dialect::Named(dialect) => dialect.policy(),
        Dialect::Custom(rules) => rules.build(),
    };
    base.and_then(|base| {
        base.with_modifiers(
            policy.repeated_credential_memory,
            policy.max_consecutive_failures,
        )
    })
    .unwrap_or_else(|error| {
        panic!("the behaviour document allows {policy:?}, the crate refuses it: {error}")
    })
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// How the clock moves before an event: the harness's steps, or forward by one of the
/// policy's own durations (a window, a lock length, the quick-login gap, a second), plus
/// -1, 0 or +1 ms: the boundaries where rules flip.
#[derive(Clone, Copy, Debug)]
enum Tick {
    Time(TimeStep),
    Boundary(usize, i64),
}

impl Tick {
    /// The next `now`: `durations` are the policy's, `deadline` the current lock's.
    fn apply(self, now: i64, durations: &[i64], deadline: Option<i64>) -> i64 {
        match self {
            Tick::Time(step) => step
                .apply(
                    Instant::from_millis(now),
                    deadline.map(Instant::from_millis),
                )
                .as_millis(),
            Tick::Boundary(index, delta) => {
                let length = durations[index % durations.len()];
                now.saturating_add(length).saturating_add(delta)
            }
        }
    }
}

/// The durations (ms) at which the policy's rules flip, and one second.
fn durations(policy: &ModelPolicy) -> Vec<i64> {
    let ms = |seconds: u64| i64::try_from(seconds.saturating_mul(1_000)).unwrap_or(i64::MAX);
    let mut durations = vec![1_000];
    match policy.dialect {
        Dialect::Named(harness::Dialect::PingOne(p)) => {
            durations.extend(p.duration_seconds.map(ms))
        }
        Dialect::Named(harness::Dialect::ActiveDirectory(p)) => durations.extend([
            ms(p.lockout_duration_seconds),
            ms(p.lockout_observation_window_seconds),
        ]),
        Dialect::Named(harness::Dialect::Keycloak(k)) => durations.extend([
            ms(k.max_delta_time_seconds),
            i64::try_from(k.quick_login_check_milli_seconds).unwrap_or(i64::MAX),
            ms(k.wait_increment_seconds),
            ms(k.max_failure_wait_seconds),
            ms(k.minimum_quick_login_wait_seconds),
        ]),
        Dialect::Named(harness::Dialect::PamFaillock(p)) => {
            durations.extend([ms(p.fail_interval), ms(p.unlock_time)])
        }
        Dialect::Named(harness::Dialect::Tpm(p)) => durations.push(ms(p.recovery_time)),
        Dialect::Named(harness::Dialect::AndroidGatekeeper) => durations.extend([30_000, 60_000]),
        Dialect::Custom(rules) => {
            let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
            match rules.lock {
                LockLength::Permanent => {}
                LockLength::Fixed(d)
                | LockLength::Multiple { increment: d }
                | LockLength::Linear { increment: d }
                | LockLength::Exponential { initial: d } => durations.push(ms(d)),
                LockLength::Table(schedule) => {
                    durations.extend(schedule.steps().iter().map(|step| ms(step.length)))
                }
            }
            match rules.decay {
                Decay::None => {}
                Decay::QuietWindow(d) | Decay::SlidingWindow(d) | Decay::SelfHealing(d) => {
                    durations.push(ms(d))
                }
            }
            durations.extend(rules.max_lock.map(ms));
            if let Some(quick) = rules.quick_failure {
                durations.extend([ms(quick.within), ms(quick.lock)]);
            }
        }
    }
    durations
}

fn step() -> impl Strategy<Value = (Tick, Action)> {
    let tick = prop_oneof![
        84 => strategy::time_step().prop_map(Tick::Time),
        16 => (0_usize..8, -1_i64..=1).prop_map(|(index, delta)| Tick::Boundary(index, delta)),
    ];
    (tick, strategy::action())
}

// ---------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------

/// The instants at which views are compared after an event at `now`.
fn probes(now: i64, view: &AccountView) -> Vec<i64> {
    let mut probes = vec![
        now,
        now.saturating_sub(1),
        now.saturating_add(1),
        now.saturating_add(999),
        now.saturating_add(1_000),
        now.saturating_add(61_000),
        now.saturating_add(3_600_000),
        now.saturating_add(172_800_000),
        now.saturating_sub(5_000),
        now.saturating_sub(7_200_000),
        i64::MAX,
        i64::MIN,
    ];
    if let Some(until) = view.unlock_at {
        let until = until.as_millis();
        probes.extend([until.saturating_sub(1), until, until.saturating_add(1)]);
    }
    if let Some(at) = view.locked_at {
        let at = at.as_millis();
        probes.extend([at.saturating_sub(1), at]);
    }
    probes
}

/// Drives the crate and the model side by side and compares everything after each event.
fn run(spec: &ModelPolicy, start: Instant, steps: &[(Tick, Action)]) -> Result<(), TestCaseError> {
    let policy = crate_policy(spec);
    let mut account: Big = Account::new();
    let mut model = Model::new(*spec);
    let durations = durations(spec);
    let mut now = start.as_millis();
    for (index, &(tick, action)) in steps.iter().enumerate() {
        let deadline = model.view(now).unlock_at.map(Instant::as_millis);
        now = tick.apply(now, &durations, deadline);
        let at = Instant::from_millis(now);
        // A patch that `Patch::new` refuses (check 5 of behaviour §4) answers that code.
        let actual = action
            .operation(at)
            .map_err(|error| error.code)
            .and_then(|op| account.apply(&policy, at, op).map_err(|error| error.code()));
        let expected = model.apply(now, action);
        let context = || {
            format!(
                "step {index}: {action:?} at {now}; history {:?}",
                model.events
            )
        };
        match (&actual, &expected) {
            (Ok(actual), Ok(expected)) => {
                prop_assert_eq!(
                    actual.decision(),
                    expected.decision,
                    "decision, {}",
                    context()
                );
                if model::is_attempt(action) {
                    prop_assert_eq!(
                        account.failures_remaining(&policy, at),
                        expected.failures_remaining,
                        "failures remaining, {}",
                        context()
                    );
                }
            }
            (Err(actual), Err(expected)) => {
                prop_assert_eq!(actual, expected, "error code, {}", context());
            }
            _ => prop_assert!(
                false,
                "crate {:?}, model {:?}, {}",
                actual,
                expected,
                context()
            ),
        }
        let state = model.replay();
        prop_assert_eq!(
            account.last_seen().as_millis(),
            state.last_seen(),
            "last_seen, {}",
            context()
        );
        prop_assert_eq!(
            account.is_enabled(),
            state.enabled(),
            "enabled, {}",
            context()
        );
        prop_assert_eq!(
            account.consecutive_failures(),
            state.consecutive(),
            "consecutive failures, {}",
            context()
        );
        let here = state.view(now);
        let mut reads = vec![
            now,
            now.saturating_sub(5_000),
            now.saturating_add(3_600_000),
        ];
        if let Some(until) = here.unlock_at {
            let until = until.as_millis();
            reads.extend([until.saturating_sub(1), until]);
        }
        for x in reads {
            let actual = account.check(&policy, Instant::from_millis(x));
            let expected = state.check(spec, x);
            prop_assert_eq!(
                actual.decision(),
                expected.decision,
                "check at {}, {}",
                x,
                context()
            );
            prop_assert_eq!(
                account.failures_remaining(&policy, Instant::from_millis(x)),
                expected.failures_remaining,
                "failures remaining of a check at {}, {}",
                x,
                context()
            );
        }
        for x in probes(now, &here) {
            prop_assert_eq!(
                account.view(Instant::from_millis(x)),
                state.view(x),
                "view at {}, {}",
                x,
                context()
            );
        }
    }
    Ok(())
}
proptest! {
    #![proptest_config(config())]

    /// The crate and the model agree on every answer and every view, after every event.
    #[test]
    fn the_crate_agrees_with_the_model(
        spec in model_policy(),
        start in strategy::instant(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        run(&spec, start, &steps)?;
    }
}

/// Runs `steps` through [`run`] as a plain test.
fn replay(spec: ModelPolicy, steps: &[(Tick, Action)]) {
    if let Err(error) = run(&spec, Instant::from_millis(T0_MS), steps) {
        panic!("{spec:?}: {error}");
    }
}

fn plain(dialect: Dialect) -> ModelPolicy {
    ModelPolicy {
        dialect,
        repeated_credential_memory: 0,
        max_consecutive_failures: None,
    }
}

/// Long runs the random sequences rarely reach: Gatekeeper's schedule past 30, 40, …, 140
/// failures, Keycloak's default factor of 30 and its escalation, every dialect's default
/// over 150 failures spaced by each lock, with and without a quick retry.
#[test]
fn long_failure_runs_agree_with_the_model() {
    let dialects = [
        harness::Dialect::AndroidGatekeeper,
        harness::Dialect::Keycloak(Keycloak::DEFAULT),
        harness::Dialect::Keycloak(Keycloak {
            brute_force_strategy: BruteForceStrategy::Linear,
            failure_factor: 5,
            ..Keycloak::DEFAULT
        }),
        harness::Dialect::Keycloak(Keycloak {
            permanent_lockout: true,
            max_temporary_lockouts: 3,
            failure_factor: 4,
            ..Keycloak::DEFAULT
        }),
        harness::Dialect::PingOne(PingOne {
            failure_count: 5,
            duration_seconds: Some(900),
        }),
        harness::Dialect::ActiveDirectory(ActiveDirectory {
            lockout_threshold: 7,
            lockout_duration_seconds: 600,
            lockout_observation_window_seconds: 300,
        }),
        harness::Dialect::PamFaillock(PamFaillock::DEFAULT),
        harness::Dialect::Tpm(Tpm::DEFAULT),
    ];
    for dialect in dialects.map(Dialect::Named) {
        // every failure as soon as the lock ends
        replay(
            plain(dialect),
            &[(Tick::Time(TimeStep::ToDeadline(0)), Action::Failure(None)); 150],
        );
        // failures 1.5 s apart, or at the deadline: no quick retries
        let steps: Vec<_> = (0..150)
            .map(|i| {
                let tick = if i % 2 == 0 {
                    TimeStep::ToDeadline(0)
                } else {
                    TimeStep::By(1_500)
                };
                (Tick::Time(tick), Action::Failure(None))
            })
            .collect();
        replay(plain(dialect), &steps);
        // quick retries, checks and the odd success
        let steps: Vec<_> = (0..150)
            .map(|i| match i % 10 {
                9 => (Tick::Time(TimeStep::By(400)), Action::Success),
                3 => (Tick::Time(TimeStep::ToDeadline(-1)), Action::Check),
                _ if i % 3 == 0 => (Tick::Time(TimeStep::ToDeadline(1)), Action::Failure(None)),
                _ => (Tick::Time(TimeStep::By(400)), Action::Failure(None)),
            })
            .collect();
        replay(plain(dialect), &steps);
    }
}

// Keycloak's deadline from the whole second, for a failure within 808 ms of
// `Instant::MIN`. behaviour §5 says the lock lasts until `floor(t/1000)*1000 + wait*1000`; for
// t = Instant::MIN that is (MIN - 192) + 60_000 = MIN + 59_808, a representable instant
// (behaviour §1's saturation is for results out of range; this one is in range). Found by the
// model; the crate used to saturate the floor first.
#[test]
fn keycloak_deadline_from_a_second_before_instant_min() {
    let policy = Keycloak {
        failure_factor: 1,
        ..Keycloak::DEFAULT
    }
    .policy()
    .unwrap();
    let mut account: Big = Account::new();
    let _ = account.failure(&policy, Instant::MIN, None).unwrap();
    // wait = waitIncrementSeconds * floor(1 / 1) = 60 s, under maxFailureWaitSeconds 900
    assert_eq!(
        account.view(Instant::MIN).unlock_at,
        Some(Instant::from_millis(i64::MIN + 59_808)),
    );
}

// With a sliding window, the failure count must not depend on how many failure times the
// account *type* can hold (found by the model, when an escalating length showed it). Rules:
// threshold 1, a fixed 1 s lock, sliding window 2 s, `onLockEnd: keep`
// (`records_needed()` is 1). Failures at T and T + 1 s (when the first 1 s lock ends): an
// `Account<1>` and an `Account<16>` both count 1 and lock until T + 2 s. The README: a
// sliding-window policy "needs its threshold" of failure times, and a type with too little
// room is refused; more room should change nothing (behaviour §1: same state + same inputs =
// same outputs). An escalating length with a sliding window is refused outright now: the
// count never passes the threshold, so it could never escalate.
#[test]
fn a_sliding_window_count_does_not_depend_on_the_account_size() {
    let rules = Rules {
        threshold: 1,
        lock: LockLength::Fixed(Duration::from_secs(1)),
        decay: Decay::SlidingWindow(Duration::from_secs(2)),
        on_lock_end: OnLockEnd::Keep,
        ..Rules::NEVER_LOCK
    };
    let escalating = Rules {
        lock: LockLength::Multiple {
            increment: Duration::from_secs(1),
        },
        ..rules
    };
    assert_eq!(escalating.build().unwrap_err().parameter, "lock");
    let policy = rules.build().unwrap();
    assert_eq!(policy.records_needed(), 1);
    let t = Instant::from_millis(T0_MS);
    let t1 = Instant::from_millis(T0_MS + 1_000);
    let mut small: Account<1, 0> = Account::new();
    let mut large: Account<16, 0> = Account::new();
    for account_time in [t, t1] {
        let _ = small.failure(&policy, account_time, None).unwrap();
        let _ = large.failure(&policy, account_time, None).unwrap();
    }
    assert_eq!(small.view(t1), large.view(t1));
    assert_eq!(
        large.view(t1).unlock_at,
        Some(Instant::from_millis(T0_MS + 2_000))
    );
}

/// `sat` is used by the model; keep the import honest.
#[test]
fn saturation_helper_clamps() {
    assert_eq!(sat(i128::from(i64::MAX) + 1), i64::MAX);
    assert_eq!(sat(i128::from(i64::MIN) - 1), i64::MIN);
}
