//! A deliberately naive reference model of docs/behaviour.md.
//!
//! Written from docs/behaviour.md (and, for the crate's general form `custom`, from the README's
//! table and the rustdoc of `Rules`), not from `src/`: it keeps the policy as the
//! dialect's own parameters (behaviour §5) plus the two modifiers, and the full list of events
//! applied, each with its `now`. Every answer (a view, an outcome, a refusal) is computed
//! by replaying every event from the start on a fresh state ([`Model::replay`]), applying
//! the rules of behaviour §§1–5 one by one. Nothing is cached and nothing is clever: instants
//! are `i64` milliseconds, all arithmetic on them is done in `i128` and clamped back into
//! `i64`, durations into `u64` milliseconds (behaviour §1: "arithmetic never overflows or
//! panics: instants near the `i64` limits and durations of centuries saturate").
//!
//! Where the crate disagrees with docs/behaviour.md or the README, the model follows the crate on
//! that one point so that the properties keep comparing everything else, and the spot is
//! marked `// MISMATCH:`; a separate test pins the documented behaviour.
//!
//! Modelling choices, each read from docs/behaviour.md:
//!
//! - A lock is stored as what behaviour §1 lists among the stored instants: its start
//!   (`lockedAt`) and its deadline (`unlockAt`, if any). behaviour §2: in effect while
//!   `now < unlockAt`. An account holds at most one lock: an automatic one (started by a
//!   counted failure, by the policy and/or the consecutive-failure cap, folded as behaviour §2
//!   says: no deadline if either has none) or an administrator's one (behaviour §4: an
//!   administrator lock takes over an automatic one).
//! - Clock regression (behaviour §1): when an event arrives with `now < last_seen`, every stored
//!   instant moves back by `last_seen - now` (saturating), then `last_seen = now`. A read
//!   at `now < last_seen` shows the account as that shift would leave it.
//! - When an automatic lock ends by itself (its deadline passed), the dialect's lock-end
//!   rule applies (PingOne and Active Directory: the count starts again from 0;
//!   pam_faillock: every kept failure is dropped; the others keep their counters). A lock
//!   whose deadline is not later than its start (saturated at `Instant::MAX`, or Keycloak's
//!   `maxFailureWaitSeconds` 0) has no effect: the account stays `OK`, and since no lock
//!   ended, no lock-end rule applies (the crate's documented choice at the end of time).
//! - `failures_remaining` (behaviour §7.6: the budget, "the smallest count that locks by the
//!   threshold, the schedule, the quick-failure rule or the consecutive-failure cap") is
//!   computed the naive way: on a copy, count failures without a fingerprint at `now`
//!   until one locks; `None` when the account cannot count now, or when no lock comes
//!   within `FORESEE_LIMIT` failures.
//! - The end of a quick-failure lock never restarts the count (the `custom` form's
//!   `onLockEnd` applies to locks by the count only).

#![allow(dead_code)]

use account_lockout::dialect::BruteForceStrategy;
use account_lockout::harness::{Action, Deadline, Dialect as Named};
use account_lockout::{
    AccountView, Decay, Decision, Duration, ErrorCode, Fingerprint, Instant, LockLength, OnLockEnd,
    OnSuccess, Rejection, Rules, Status,
};

/// The failure times the tested account type (`Account<16, 8>`) holds.
pub const RECORDS: usize = 16;

/// How far `failures_remaining` looks ahead (above every threshold the tests generate).
pub const FORESEE_LIMIT: u32 = 1_100;

/// Clamps a wide value into the `i64` range of instants.
pub fn sat(value: i128) -> i64 {
    value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// `seconds` seconds in milliseconds. A duration is at most `u64::MAX` ms (behaviour §1:
/// "durations of centuries saturate").
fn ms(seconds: u64) -> i128 {
    duration(i128::from(seconds) * 1_000)
}

/// A (non-negative) number of milliseconds as a duration, saturating at `u64::MAX` ms.
fn duration(millis: i128) -> i128 {
    millis.min(i128::from(u64::MAX))
}

/// The policy's form: one of the six dialects of behaviour §5 with its parameters (the
/// harness's [`Named`]), or the crate's general form.
#[allow(clippy::large_enum_variant)] // `Rules` is big, and `Copy`: fine in a test model
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Named(Named),
    /// The crate's general form (`custom`), read from the README's table and the rustdoc
    /// of [`Rules`]; its `repeated_credential_memory` and `max_consecutive_failures` are
    /// ignored here (the modifiers are [`ModelPolicy`]'s).
    Custom(Rules),
}

/// A dialect and the two modifiers of behaviour §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelPolicy {
    pub dialect: Dialect,
    /// `repeatedCredentialMemory`, 0..=8.
    pub repeated_credential_memory: u8,
    /// `maxConsecutiveFailures`, at least 1.
    pub max_consecutive_failures: Option<u32>,
}

/// The events of behaviour §§3–4 are the harness's [`Action`]s: the model resolves an
/// action's deadlines at the event's `now`, and keeps a fingerprint as its number.
pub fn is_attempt(action: Action) -> bool {
    matches!(action, Action::Check | Action::Failure(_) | Action::Success)
}

/// What an applied event answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Allowed or rejected (attempts only).
    pub decision: Option<Decision>,
    /// Counted failures at `now` that would lock, after the event (attempts only).
    pub failures_remaining: Option<u32>,
}

/// A lock: its start and, if it ends by itself, its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lock {
    at: i64,
    until: Option<i64>,
    /// Started (or taken over) by an administrator.
    admin: bool,
    /// Started by the `custom` form's quick-failure rule.
    quick: bool,
}

/// The dialect's counters (behaviour §5), each in the dialect's own terms.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Counters {
    /// PingOne: counted failures since the last reset.
    PingOne { count: u32 },
    /// Active Directory: `badPwdCount` and the latest counted failure.
    ActiveDirectory {
        count: u32,
        last_failure: Option<i64>,
    },
    /// Keycloak: `numFailures`, `lastFailure`, `numTemporaryLockouts`.
    Keycloak {
        num_failures: u32,
        last_failure: Option<i64>,
        num_temporary_lockouts: u32,
    },
    /// pam_faillock: the times of the kept failures, oldest first.
    PamFaillock { kept: Vec<i64> },
    /// TPM: `failedTries` and `selfHealTimer`.
    Tpm {
        failed_tries: u32,
        self_heal_timer: i64,
    },
    /// Android Gatekeeper: `failureCounter` and `lastFailure`.
    AndroidGatekeeper {
        failure_counter: u32,
        last_failure: Option<i64>,
    },
    /// The general form: the failure count (before decay at a later instant), the latest
    /// counted failure, the kept failure times (sliding window), the temporary locks.
    Custom {
        count: u32,
        latest: Option<i64>,
        records: Vec<i64>,
        temporary_locks: u32,
    },
}

impl Counters {
    /// The counters of a fresh account (also: after an administrator unlock).
    fn initial(dialect: &Dialect) -> Counters {
        match dialect {
            Dialect::Named(Named::PingOne(_)) => Counters::PingOne { count: 0 },
            Dialect::Named(Named::ActiveDirectory(_)) => Counters::ActiveDirectory {
                count: 0,
                last_failure: None,
            },
            Dialect::Named(Named::Keycloak(_)) => Counters::Keycloak {
                num_failures: 0,
                last_failure: None,
                num_temporary_lockouts: 0,
            },
            Dialect::Named(Named::PamFaillock(_)) => Counters::PamFaillock { kept: Vec::new() },
            Dialect::Named(Named::Tpm(_)) => Counters::Tpm {
                failed_tries: 0,
                self_heal_timer: 0,
            },
            Dialect::Named(Named::AndroidGatekeeper) => Counters::AndroidGatekeeper {
                failure_counter: 0,
                last_failure: None,
            },
            Dialect::Custom(_) => Counters::Custom {
                count: 0,
                latest: None,
                records: Vec::new(),
                temporary_locks: 0,
            },
        }
    }

    /// Moves every stored instant back by `delta` (> 0), saturating (behaviour §1).
    fn shift(&mut self, delta: i128) {
        let back = |t: &mut i64| *t = sat(i128::from(*t) - delta);
        match self {
            Counters::PingOne { .. } => {}
            Counters::ActiveDirectory { last_failure, .. }
            | Counters::Keycloak { last_failure, .. }
            | Counters::AndroidGatekeeper { last_failure, .. } => {
                if let Some(t) = last_failure {
                    back(t);
                }
            }
            Counters::Custom {
                latest, records, ..
            } => {
                if let Some(t) = latest {
                    back(t);
                }
                records.iter_mut().for_each(back);
            }
            Counters::PamFaillock { kept } => kept.iter_mut().for_each(back),
            Counters::Tpm {
                self_heal_timer, ..
            } => back(self_heal_timer),
        }
    }
}

/// Android Gatekeeper's timeout `T(n)` in milliseconds (behaviour §5).
pub fn gatekeeper_timeout(n: u32) -> i128 {
    let n = i128::from(n);
    if n <= 10 {
        if n % 5 == 0 { 30_000 } else { 0 }
    } else if n < 30 {
        30_000
    } else if n < 140 {
        30_000_i128 << ((n - 30) / 10)
    } else {
        86_400_000
    }
}

/// The state of one account, as a replay leaves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    enabled: bool,
    /// `None` before the first event (which behaves as `Instant::MIN`).
    last_seen: Option<i64>,
    lock: Option<Lock>,
    /// Counted failures since the last success or administrator unlock.
    consecutive: u32,
    /// Remembered fingerprints, newest last.
    memory: Vec<u64>,
    counters: Counters,
}

/// What one event did to a state: refused (nothing changes), or applied.
type Applied = Result<Reply, ErrorCode>;

impl State {
    fn new(policy: &ModelPolicy) -> State {
        State {
            enabled: true,
            last_seen: None,
            lock: None,
            consecutive: 0,
            memory: Vec::new(),
            counters: Counters::initial(&policy.dialect),
        }
    }

    /// The latest instant observed (`Instant::MIN` before the first event).
    pub fn last_seen(&self) -> i64 {
        self.last_seen.unwrap_or(i64::MIN)
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn consecutive(&self) -> u32 {
        self.consecutive
    }

    /// behaviour §1: moves every stored instant back by `delta` (> 0).
    fn shift(&mut self, delta: i128) {
        let back = |t: i64| sat(i128::from(t) - delta);
        if let Some(lock) = &mut self.lock {
            lock.at = back(lock.at);
            lock.until = lock.until.map(back);
        }
        self.counters.shift(delta);
    }

    /// The clock-regression rule of behaviour §1, as a read or an event sees `now`.
    fn regress_to(&mut self, now: i64) {
        if let Some(last) = self.last_seen
            && now < last
        {
            self.shift(i128::from(last) - i128::from(now));
            self.last_seen = Some(now);
        }
    }

    /// `check(now)`: a read (behaviour §3), with the failures remaining.
    pub fn check(&self, policy: &ModelPolicy, now: i64) -> Reply {
        let mut copy = self.clone();
        match copy.apply(policy, now, Action::Check, true) {
            Ok(reply) => reply,
            Err(code) => unreachable!("a check is never refused: {code:?}"),
        }
    }

    /// Whether a lock is in effect at `now` (behaviour §2: while `now < unlockAt`).
    fn lock_at(&self, now: i64) -> Option<Lock> {
        self.lock
            .filter(|lock| lock.until.is_none_or(|until| now < until))
    }

    /// behaviour §2: the view at `now`, a read.
    pub fn view(&self, now: i64) -> AccountView {
        let mut seen = self.clone();
        seen.regress_to(now);
        match seen.lock_at(now) {
            None => AccountView {
                can_authenticate: seen.enabled,
                locked_at: None,
                seconds_until_unlock: None,
                status: Status::Ok,
                unlock_at: None,
                enabled: seen.enabled,
            },
            Some(lock) => AccountView {
                can_authenticate: false,
                locked_at: Some(Instant::from_millis(lock.at)),
                seconds_until_unlock: lock.until.map(|until| {
                    let left = i128::from(until) - i128::from(now);
                    // ceil(left / 1000), left > 0
                    ((left + 999) / 1_000) as u64
                }),
                status: Status::Locked,
                unlock_at: lock.until.map(Instant::from_millis),
                enabled: seen.enabled,
            },
        }
    }

    /// Every event first observes `now`: the regression shift, then the end of a lock
    /// whose deadline has passed (with the dialect's lock-end rule for an automatic one).
    fn observe(&mut self, policy: &ModelPolicy, now: i64) {
        self.regress_to(now);
        if let Some(lock) = self.lock
            && lock.until.is_some_and(|until| now >= until)
        {
            self.lock = None;
            if !lock.admin && !lock.quick {
                self.lock_ended_by_itself(policy);
            }
        }
        self.last_seen = Some(now);
    }

    /// The dialect's rule for the end of its lock by itself (behaviour §5).
    fn lock_ended_by_itself(&mut self, policy: &ModelPolicy) {
        match &mut self.counters {
            // "When the lock ends by itself the count starts again from 0."
            Counters::PingOne { count } | Counters::ActiveDirectory { count, .. } => *count = 0,
            // "if the lock condition holds and unlockTime > 0 and now >= latest + unlockTime
            // (the lock ended by itself), every kept failure is dropped"
            Counters::PamFaillock { kept } => kept.clear(),
            // Keycloak: numFailures survives; TPM: self-healing only; Gatekeeper: never decays.
            Counters::Keycloak { .. }
            | Counters::Tpm { .. }
            | Counters::AndroidGatekeeper { .. } => {}
            // `onLockEnd`: "reset": the count starts again from 0 and recorded failures are
            // dropped; the number of temporary locks is kept. "keep": nothing.
            Counters::Custom { count, records, .. } => {
                if let Dialect::Custom(rules) = &policy.dialect
                    && rules.on_lock_end == OnLockEnd::Reset
                {
                    *count = 0;
                    records.clear();
                }
            }
        }
    }

    /// behaviour §3: allowed iff `canAuthenticate`; otherwise why (disabled wins).
    fn decision(&self, now: i64) -> Decision {
        if !self.enabled {
            return Decision::Rejected(Rejection::Disabled);
        }
        match self.lock_at(now) {
            None => Decision::Allowed,
            Some(lock) => Decision::Rejected(Rejection::Locked {
                unlock_at: lock.until.map(Instant::from_millis),
            }),
        }
    }

    /// behaviour §4 unlock (after observe): ends any lock, clears the failure history.
    fn clear_history(&mut self, policy: &ModelPolicy) {
        self.counters = Counters::initial(&policy.dialect);
        self.memory.clear();
        self.consecutive = 0;
    }

    fn admin_unlock(&mut self, policy: &ModelPolicy) {
        self.lock = None;
        self.clear_history(policy);
    }

    /// behaviour §4 lock (after observe and validation).
    fn admin_lock(&mut self, policy: &ModelPolicy, now: i64, until: Option<i64>) {
        match self.lock {
            None => {
                self.lock = Some(Lock {
                    at: now,
                    until,
                    admin: true,
                    quick: false,
                })
            }
            Some(lock) if lock.admin => {
                self.lock = Some(Lock { until, ..lock });
            }
            Some(lock) => {
                // takes over an automatic lock: that lock ends, the history is cleared
                self.clear_history(policy);
                self.lock = Some(Lock {
                    at: lock.at,
                    until,
                    admin: true,
                    quick: false,
                });
            }
        }
    }

    /// The dialect's rule for a counted failure at `now` (behaviour §5): the lock it asks for,
    /// `None` for none, `Some(None)` for a lock with no deadline.
    fn dialect_failure(
        &mut self,
        policy: &ModelPolicy,
        now: i64,
        quick_lock: &mut bool,
    ) -> Option<Option<i64>> {
        let t = i128::from(now);
        match (&policy.dialect, &mut self.counters) {
            (Dialect::Named(Named::PingOne(p)), Counters::PingOne { count }) => {
                *count += 1;
                (*count >= p.failure_count).then(|| p.duration_seconds.map(|d| sat(t + ms(d))))
            }
            (
                Dialect::Named(Named::ActiveDirectory(p)),
                Counters::ActiveDirectory {
                    count,
                    last_failure,
                },
            ) => {
                let window = ms(p.lockout_observation_window_seconds);
                match last_failure {
                    Some(last) if t - i128::from(*last) > window => *count = 1,
                    _ => *count += 1,
                }
                *last_failure = Some(now);
                (p.lockout_threshold > 0 && *count >= p.lockout_threshold).then(|| {
                    (p.lockout_duration_seconds != 0)
                        .then(|| sat(t + ms(p.lockout_duration_seconds)))
                })
            }
            (
                Dialect::Named(Named::Keycloak(k)),
                Counters::Keycloak {
                    num_failures,
                    last_failure,
                    num_temporary_lockouts,
                },
            ) => {
                // behaviour §5's pseudo-code, line by line.
                let mut lock: Option<Option<i64>> = None;
                let permanent_only = k.permanent_lockout && k.max_temporary_lockouts == 0;
                let earlier = *last_failure;
                let delta: i128 = match earlier {
                    Some(last) => t - i128::from(last),
                    None => 0,
                };
                if !permanent_only && delta > 0 && delta > ms(k.max_delta_time_seconds) {
                    *num_failures = 0;
                    *num_temporary_lockouts = 0;
                }
                *last_failure = Some(now);
                *num_failures += 1;
                let mut wait: i128 = 0;
                if !permanent_only {
                    let n = i128::from(*num_failures);
                    let factor = i128::from(k.failure_factor);
                    let increment = i128::from(k.wait_increment_seconds);
                    wait = match k.brute_force_strategy {
                        BruteForceStrategy::Multiple => increment * (n / factor),
                        BruteForceStrategy::Linear => increment * (1 + n - factor),
                    };
                }
                let mut quick = false;
                if wait <= 0
                    && earlier.is_some()
                    && delta < i128::from(k.quick_login_check_milli_seconds)
                {
                    wait = i128::from(k.minimum_quick_login_wait_seconds);
                    quick = true;
                }
                if wait > 0 {
                    if !k.permanent_lockout || k.max_temporary_lockouts > 0 {
                        wait = wait.min(i128::from(k.max_failure_wait_seconds));
                    }
                    if !quick {
                        *num_temporary_lockouts += 1;
                    }
                    if quick
                        || !k.permanent_lockout
                        || *num_temporary_lockouts <= k.max_temporary_lockouts
                    {
                        // The document's `floor(t/1000)*1000 + wait*1000`, exact: the floor may lie
                        // below `Instant::MIN`; only the deadline saturates.
                        let whole_second = t.div_euclid(1_000) * 1_000;
                        lock = Some(Some(sat(whole_second + duration(wait * 1_000))));
                    }
                }
                if k.permanent_lockout
                    && (*num_temporary_lockouts > k.max_temporary_lockouts
                        || (k.max_temporary_lockouts == 0 && *num_failures >= k.failure_factor))
                {
                    lock = Some(None);
                }
                lock
            }
            (Dialect::Named(Named::PamFaillock(p)), Counters::PamFaillock { kept }) => {
                let interval = ms(p.fail_interval);
                let holds = |kept: &Vec<i64>| -> bool {
                    let Some(&latest) = kept.last() else {
                        return false;
                    };
                    p.deny > 0
                        && kept
                            .iter()
                            .filter(|&&f| i128::from(latest) - i128::from(f) < interval)
                            .count()
                            >= p.deny as usize
                };
                // "if the lock condition holds and unlockTime > 0 and now >= latest +
                // unlockTime (the lock ended by itself), every kept failure is dropped
                // first": done when the stored lock ends (`lock_ended_by_itself`), which
                // is the same instant except for a lock that had no effect (above).
                kept.retain(|&f| t - i128::from(f) < interval);
                kept.push(now);
                holds(kept).then(|| (p.unlock_time > 0).then(|| sat(t + ms(p.unlock_time))))
            }
            (
                Dialect::Named(Named::Tpm(p)),
                Counters::Tpm {
                    failed_tries,
                    self_heal_timer,
                },
            ) => {
                let r = ms(p.recovery_time);
                if r == 0 {
                    // dictionary-attack protection off: never locks
                    *failed_tries += 1;
                    *self_heal_timer = now;
                    return None;
                }
                heal(failed_tries, self_heal_timer, r, now);
                *failed_tries += 1;
                *self_heal_timer = now;
                (*failed_tries >= p.max_tries).then(|| Some(sat(i128::from(*self_heal_timer) + r)))
            }
            (
                Dialect::Named(Named::AndroidGatekeeper),
                Counters::AndroidGatekeeper {
                    failure_counter,
                    last_failure,
                },
            ) => {
                *failure_counter += 1;
                *last_failure = Some(now);
                let timeout = gatekeeper_timeout(*failure_counter);
                (timeout > 0).then(|| Some(sat(t + timeout)))
            }
            (
                Dialect::Custom(rules),
                Counters::Custom {
                    count,
                    latest,
                    records,
                    temporary_locks,
                },
            ) => custom_failure(
                rules,
                now,
                quick_lock,
                count,
                latest,
                records,
                temporary_locks,
            ),
            _ => unreachable!("counters of another dialect"),
        }
    }

    /// A counted failure at `now` (after observe; the account can authenticate).
    /// Returns whether it started a lock (even one that ends at once).
    fn count_failure(&mut self, policy: &ModelPolicy, now: i64, fingerprint: Option<u64>) -> bool {
        let memory = usize::from(policy.repeated_credential_memory);
        if let Some(fingerprint) = fingerprint
            && memory > 0
        {
            self.memory.push(fingerprint);
            while self.memory.len() > memory {
                self.memory.remove(0);
            }
        }
        self.consecutive += 1;
        let mut quick = false;
        let by_policy = self.dialect_failure(policy, now, &mut quick);
        let by_cap = policy
            .max_consecutive_failures
            .is_some_and(|cap| self.consecutive >= cap);
        // behaviour §2 fold: no deadline if any locked source has none, else the latest.
        let until = match (by_policy, by_cap) {
            (None, false) => return false,
            (_, true) | (Some(None), _) => None,
            (Some(Some(until)), false) => Some(until),
        };
        match until {
            Some(until) if until <= now => {
                // A lock that would end as it starts (its deadline saturated at
                // `Instant::MAX`, or Keycloak's `maxFailureWaitSeconds` 0) has no effect:
                // the account stays `OK` and no lock ever ends (the crate's documented
                // choice for deadlines at the end of time).
            }
            _ => {
                self.lock = Some(Lock {
                    at: now,
                    until,
                    admin: false,
                    quick: quick && !by_cap,
                })
            }
        }
        true
    }

    /// How many counted failures (no fingerprint) at `now` would lock; `None` when the
    /// account cannot count now or no lock comes within [`FORESEE_LIMIT`].
    fn failures_remaining(&self, policy: &ModelPolicy, now: i64) -> Option<u32> {
        if self.decision(now) != Decision::Allowed {
            return None;
        }
        // How far to look: past the count at which each source first asks for a lock
        // (`None`: it never does). A bound too short shows up as a disagreement.
        let by_policy = match policy.dialect {
            Dialect::Named(Named::PingOne(p)) => Some(p.failure_count),
            Dialect::Named(Named::ActiveDirectory(p)) => {
                (p.lockout_threshold > 0).then_some(p.lockout_threshold)
            }
            Dialect::Named(Named::Keycloak(k)) => {
                Some(k.failure_factor.saturating_add(k.max_temporary_lockouts))
            }
            Dialect::Named(Named::PamFaillock(p)) => (p.deny > 0).then_some(p.deny),
            Dialect::Named(Named::Tpm(p)) => (p.recovery_time > 0).then_some(p.max_tries),
            Dialect::Named(Named::AndroidGatekeeper) => Some(10),
            // Two failures at one instant are a quick pair, even with no threshold.
            Dialect::Custom(rules) if rules.threshold == 0 => rules.quick_failure.map(|_| 2),
            Dialect::Custom(rules) => Some({
                let steps = match rules.lock {
                    LockLength::Table(schedule) => schedule
                        .steps()
                        .iter()
                        .map(|step| step.from_count)
                        .max()
                        .unwrap_or(0),
                    _ => 0,
                };
                // Timed locks capped to nothing still count towards a permanent one.
                let temporary = rules
                    .permanent_after_temporary_locks
                    .map_or(0, |n| u32::from(n) + 1);
                // Lengths under a second, counted from the whole second, lock only once
                // they outgrow the part of the second already gone: look far.
                if rules.deadline_from_whole_second {
                    FORESEE_LIMIT
                } else {
                    rules.threshold.max(steps) + temporary
                }
            }),
        };
        let bound = match (by_policy, policy.max_consecutive_failures) {
            (None, None) => return None,
            (Some(a), Some(b)) => a.max(b),
            (Some(a), None) | (None, Some(a)) => a,
        };
        let limit = bound.saturating_add(2).min(FORESEE_LIMIT);
        let mut copy = self.clone();
        for k in 1..=limit {
            copy.observe(policy, now);
            copy.count_failure(policy, now, None);
            if copy.lock.is_some() {
                return Some(k);
            }
        }
        None
    }

    /// Applies one event at `now` to a copy; the copy replaces `self` unless refused.
    /// `answer`: whether to work out `failures_remaining` (a replay does not need it).
    fn apply(&mut self, policy: &ModelPolicy, now: i64, event: Action, answer: bool) -> Applied {
        let mut next = self.clone();
        let mut reply = next.apply_to_copy(policy, now, event)?;
        if answer && is_attempt(event) {
            reply.failures_remaining = next.failures_remaining(policy, now);
        }
        if event != Action::Check {
            *self = next;
        }
        Ok(reply)
    }

    fn apply_to_copy(&mut self, policy: &ModelPolicy, now: i64, event: Action) -> Applied {
        let at = |deadline: Deadline| deadline.resolve(Instant::from_millis(now)).as_millis();
        let admin = Reply {
            decision: None,
            failures_remaining: None,
        };
        // Validation that does not depend on the account comes first; a refused event
        // changes nothing, `last_seen` included.
        match event {
            Action::Lock(Some(until)) if at(until) <= now => {
                return Err(ErrorCode::UnlockAtNotInFuture);
            }
            Action::Patch {
                can_authenticate,
                status,
                unlock_at,
            } => {
                let status_locked = status.map(|status| status == Status::Locked);
                let unlock_at = unlock_at.map(|date| date.map(at));
                let date = matches!(unlock_at, Some(Some(_)));
                // check 5
                if (can_authenticate == Some(true) && (status_locked == Some(true) || date))
                    || (status_locked == Some(false) && date)
                {
                    return Err(ErrorCode::ConflictingFields);
                }
                // check 6
                if date && status_locked.is_none() && self.view(now).status == Status::Ok {
                    return Err(ErrorCode::UnlockAtRequiresLocked);
                }
                // check 7
                if let Some(Some(until)) = unlock_at
                    && until <= now
                {
                    return Err(ErrorCode::UnlockAtNotInFuture);
                }
            }
            _ => {}
        }
        self.observe(policy, now);
        match event {
            Action::Check => {
                let decision = self.decision(now);
                Ok(Reply {
                    decision: Some(decision),
                    failures_remaining: None,
                })
            }
            Action::Failure(fingerprint) => {
                let fingerprint = fingerprint.map(Fingerprint::get);
                let decision = self.decision(now);
                if decision == Decision::Allowed {
                    let repeated = fingerprint.is_some_and(|f| self.memory.contains(&f));
                    if !repeated {
                        let _ = self.count_failure(policy, now, fingerprint);
                    }
                }
                Ok(Reply {
                    decision: Some(decision),
                    failures_remaining: None,
                })
            }
            Action::Success => {
                let decision = self.decision(now);
                if decision == Decision::Allowed {
                    self.memory.clear();
                    self.consecutive = 0;
                    match &mut self.counters {
                        Counters::PingOne { count } | Counters::ActiveDirectory { count, .. } => {
                            *count = 0
                        }
                        Counters::Keycloak { .. } => {
                            self.counters = Counters::initial(&policy.dialect)
                        }
                        Counters::PamFaillock { kept } => kept.clear(),
                        Counters::Tpm { .. } => {}
                        Counters::AndroidGatekeeper {
                            failure_counter, ..
                        } => *failure_counter = 0,
                        // `onSuccess`: "reset" clears the count, the recorded failures, the
                        // latest failure and the temporary locks; "keep" leaves them.
                        Counters::Custom { .. } => {
                            if let Dialect::Custom(rules) = &policy.dialect
                                && rules.on_success == OnSuccess::Reset
                            {
                                self.counters = Counters::initial(&policy.dialect);
                            }
                        }
                    }
                }
                Ok(Reply {
                    decision: Some(decision),
                    failures_remaining: None,
                })
            }
            Action::Unlock => {
                self.admin_unlock(policy);
                Ok(admin)
            }
            Action::Lock(until) => {
                self.admin_lock(policy, now, until.map(at));
                Ok(admin)
            }
            Action::Patch {
                can_authenticate,
                status,
                unlock_at,
            } => {
                let status_locked = status.map(|status| status == Status::Locked);
                let unlock_at = unlock_at.map(|date| date.map(at));
                match can_authenticate {
                    Some(false) => self.enabled = false,
                    Some(true) => {
                        self.enabled = true;
                        self.admin_unlock(policy);
                    }
                    None => {}
                }
                match status_locked {
                    // on an `OK` account: an administrator lock; on a locked one: nothing
                    Some(true) if self.lock.is_none() => self.admin_lock(policy, now, None),
                    Some(true) | None => {}
                    Some(false) => self.admin_unlock(policy),
                }
                match unlock_at {
                    Some(Some(until)) => self.admin_lock(policy, now, Some(until)),
                    // on a locked account: `lock(now)`; on an `OK` one: nothing
                    Some(None) if self.lock.is_some() => self.admin_lock(policy, now, None),
                    Some(None) | None => {}
                }
                Ok(admin)
            }
        }
    }
}

/// A duration of the crate's type in milliseconds, wide.
fn wide(duration: Duration) -> i128 {
    i128::from(duration.as_millis())
}

/// The general form's rule for a counted failure at `now` (the README's table of the
/// `custom` form and the rustdoc of [`Rules`]): decay, count, then the lock the count asks
/// for (capped by `maxLockSeconds`, permanent after `permanentAfterTemporaryLocks`
/// temporary ones), or else a quick-failure lock.
#[allow(clippy::too_many_arguments)]
fn custom_failure(
    rules: &Rules,
    now: i64,
    quick_lock: &mut bool,
    count: &mut u32,
    latest: &mut Option<i64>,
    records: &mut Vec<i64>,
    temporary_locks: &mut u32,
) -> Option<Option<i64>> {
    let t = i128::from(now);
    let previous = *latest;
    // decay
    match rules.decay {
        Decay::None => {}
        // "a failure more than w after the previous one restarts the count at 1 (and
        // forgets temporary locks)"
        Decay::QuietWindow(w) => {
            if previous.is_some_and(|last| t - i128::from(last) > wide(w)) {
                *count = 0;
                *temporary_locks = 0;
            }
        }
        // "keep failure times and drop those w or more old"
        Decay::SlidingWindow(w) => records.retain(|&r| t - i128::from(r) < wide(w)),
        // "the count drops by one per full p since the latest failure"
        Decay::SelfHealing(p) => {
            if let Some(last) = previous {
                let steps = (t - i128::from(last)).div_euclid(wide(p));
                *count = (i128::from(*count) - steps.max(0)).max(0) as u32;
            }
        }
    }
    // count
    if let Decay::SlidingWindow(_) = rules.decay {
        records.push(now);
        // The latest `threshold` failure times decide (pam_faillock: "the latest deny
        // suffice"), whatever room the account type has.
        while records.len() > RECORDS.min(rules.threshold as usize) {
            records.remove(0);
        }
        *count = records.len() as u32;
    } else {
        *count += 1;
    }
    *latest = Some(now);
    let base = if rules.deadline_from_whole_second {
        // as Keycloak: `floor(t/1000)*1000`, exact (only the deadline saturates)
        t.div_euclid(1_000) * 1_000
    } else {
        t
    };
    let deadline = |length: i128| Some(sat(base + duration(length)));
    // the lock the count asks for: `None` none, `Some(None)` permanent, `Some(Some(ms))`
    let c = i128::from(*count);
    let threshold = i128::from(rules.threshold);
    let wanted: Option<Option<i128>> = if rules.threshold > 0 && c >= threshold {
        let length = match rules.lock {
            LockLength::Permanent => None,
            LockLength::Fixed(d) => Some(wide(d)),
            LockLength::Multiple { increment } => Some(wide(increment) * (c / threshold)),
            LockLength::Linear { increment } => Some(wide(increment) * (1 + c - threshold)),
            LockLength::Exponential { initial } => {
                let doublings = u32::try_from(c - threshold).unwrap_or(u32::MAX).min(70);
                Some(duration(wide(initial).saturating_mul(1_i128 << doublings)))
            }
            LockLength::Table(schedule) => {
                // "Counts before the first step do not lock"; a step's length holds until
                // the next step
                let length = schedule
                    .steps()
                    .iter()
                    .rfind(|step| step.from_count <= *count)
                    .map_or(0, |step| wide(step.length));
                Some(length)
            }
        };
        match length {
            None => Some(None),
            Some(0) => None,
            Some(length) => Some(Some(length)),
        }
    } else {
        None
    };
    match wanted {
        Some(None) => Some(None),
        Some(Some(length)) => {
            if rules
                .permanent_after_temporary_locks
                .is_some_and(|n| *temporary_locks >= u32::from(n))
            {
                Some(None)
            } else {
                *temporary_locks += 1;
                let length = match rules.max_lock {
                    Some(cap) => length.min(wide(cap)),
                    None => length,
                };
                Some(deadline(length))
            }
        }
        None => {
            // "a failure less than q after the previous one that does not lock by the
            // count locks for s"
            let quick = rules.quick_failure.filter(|q| {
                q.lock.as_millis() > 0
                    && previous.is_some_and(|last| t - i128::from(last) < wide(q.within))
            });
            *quick_lock = quick.is_some();
            quick.map(|q| deadline(wide(q.lock)))
        }
    }
}

/// TPM self-healing at `x` (behaviour §5): `n = floor((x - selfHealTimer) / R)`.
fn heal(failed_tries: &mut u32, self_heal_timer: &mut i64, r: i128, x: i64) {
    let n = (i128::from(x) - i128::from(*self_heal_timer)).div_euclid(r);
    if n > 0 {
        *failed_tries = (i128::from(*failed_tries) - n).max(0) as u32;
        *self_heal_timer = sat(i128::from(*self_heal_timer) + n * r);
    }
}

/// The model: a policy and every event applied so far.
#[derive(Clone, Debug)]
pub struct Model {
    pub policy: ModelPolicy,
    pub events: Vec<(i64, Action)>,
}

impl Model {
    pub fn new(policy: ModelPolicy) -> Model {
        Model {
            policy,
            events: Vec::new(),
        }
    }

    /// Replays every event from a fresh account.
    pub fn replay(&self) -> State {
        let mut state = State::new(&self.policy);
        for &(now, event) in &self.events {
            let _ = state.apply(&self.policy, now, event, false);
        }
        state
    }

    /// Applies an event: replays the history, answers the event, and stores it.
    pub fn apply(&mut self, now: i64, event: Action) -> Result<Reply, ErrorCode> {
        let mut state = self.replay();
        let answer = state.apply(&self.policy, now, event, true);
        self.events.push((now, event));
        answer
    }

    /// The view at `now`, recomputed from scratch.
    pub fn view(&self, now: i64) -> AccountView {
        self.replay().view(now)
    }
}
