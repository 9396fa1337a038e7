//! The invariants of docs/behaviour.md as properties, over random policies
//! (`harness::strategy::policy()`: every dialect and general policies, with random
//! modifiers) and random sequences of operations (`harness::strategy::action()`) at instants
//! that mostly move forward, sometimes go back, sometimes land exactly on a lock's deadline
//! and sometimes jump to the `i64` limits (`harness::strategy::time_step()`).
//!
//! - `canAuthenticate == enabled && status == OK` (behaviour §2), and the view's shape;
//! - `secondsUntilUnlock` is at least 1 while locked, and exact (behaviour §2);
//! - with no further events, a view that is `LOCKED` with `unlockAt` is `LOCKED` 1 ms
//!   before it and `OK` at it (behaviour §2);
//! - a success never ends a lock (behaviour §3);
//! - a rejected attempt, an ignored repeated failure or a refused operation changes
//!   nothing (behaviour §§3–5; a rejected or ignored attempt moves `last_seen` only);
//! - patches read back what they wrote (behaviour §4);
//! - a clock regression never ends a lock early and never lengthens one (behaviour §1);
//! - table eviction never loses a counted failure (README, "Many accounts on one device");
//! - encoding then decoding gives back the same state (README, "Binary state").
//!
//! Cases: `PROPTEST_CASES` if set, else 10,000 per property.

use std::collections::HashMap;

use account_lockout::harness::{Action, TimeStep, check_view, strategy, table_comparable};
use account_lockout::{
    Account, Decision, Duration, Fingerprint, Instant, LockoutTable, Operation, Outcome, Policy,
    Rejection, Status, TableError, Transition, UnlockAtPatch, UnlockCause,
};
use proptest::prelude::*;

mod cases;
use cases::config;
mod fixtures;

type Big = Account<16, 8>;

// ---------------------------------------------------------------------------------------
// Sequences
// ---------------------------------------------------------------------------------------

/// One step: how the clock moves, then an operation (deadlines relative to `now`; a patch
/// whose fields conflict is made valid, the model-based tests cover the refusals).
fn step() -> impl Strategy<Value = (TimeStep, Action)> {
    (strategy::time_step(), strategy::action())
}

fn steps() -> impl Strategy<Value = Vec<(TimeStep, Action)>> {
    proptest::collection::vec(step(), 1..30)
}

/// One operation applied: the account before and after, the instant and the result.
struct Applied<'a> {
    policy: &'a Policy,
    before: Big,
    after: Big,
    now: Instant,
    operation: Operation,
    result: Result<Outcome, account_lockout::OperationError>,
}

/// Drives an account through `steps` and calls `check` after every operation.
fn drive(
    policy: &Policy,
    start: Instant,
    steps: &[(TimeStep, Action)],
    mut check: impl FnMut(&Applied) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let mut account: Big = Account::new();
    let mut now = start;
    for &(time, action) in steps {
        now = time.apply(now, account.view(now).unlock_at);
        let operation = action.valid_operation(now);
        let before = account;
        let result = account.apply(policy, now, operation);
        check(&Applied {
            policy,
            before,
            after: account,
            now,
            operation,
            result,
        })?;
    }
    Ok(())
}

fn later(now: Instant, ms: i64) -> Instant {
    Instant::from_millis(now.as_millis().saturating_add(ms))
}

/// Instants at which to look after an operation at `now`: around it, before it (a
/// regression read), later, at the limits, and around the lock's deadline.
fn probes(account: &Big, now: Instant) -> Vec<Instant> {
    let mut probes: Vec<Instant> = [0, -1, 1, 999, 1_000, -5_000, 3_600_000, 172_800_000]
        .iter()
        .map(|&ms| later(now, ms))
        .chain([Instant::MAX, Instant::MIN])
        .collect();
    if let Some(until) = account.view(now).unlock_at {
        probes.extend([later(until, -1), until, later(until, 1)]);
    }
    probes
}

/// The instants at which an event at `now` that changes nothing but `last_seen` leaves
/// the view as it was: the regression shift of a read at `x` is `last_seen - x` before and
/// after the event alike for `x <= now` when the clock went back (or stood still), and for
/// `x >= now` when it did not.
fn unaffected(before: &Big, now: Instant) -> Vec<Instant> {
    let mut instants = vec![now];
    if now <= before.last_seen() {
        instants.extend([
            later(now, -1),
            later(now, -1_000),
            later(now, -3_600_000),
            Instant::MIN,
        ]);
    }
    if now >= before.last_seen() {
        instants.extend(probes(before, now).into_iter().filter(|&x| x >= now));
    }
    instants
}

/// `ceil(ms / 1000)` for a positive number of milliseconds.
fn ceil_seconds(ms: i128) -> u64 {
    u64::try_from((ms + 999) / 1_000).unwrap()
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// behaviour §2: `canAuthenticate` iff enabled and `OK`; `lockedAt` iff `LOCKED`;
    /// `unlockAt` only when `LOCKED`; `secondsUntilUnlock` iff `unlockAt`. And behaviour §3: a
    /// check is allowed iff `canAuthenticate`, else rejected as disabled (the crate's
    /// documented choice when both) or as locked with the view's deadline.
    #[test]
    fn can_authenticate_is_enabled_and_ok(policy in strategy::policy(), start in strategy::instant(), steps in steps()) {
        drive(&policy, start, &steps, |applied| {
            for x in probes(&applied.after, applied.now) {
                let view = applied.after.view(x);
                prop_assert_eq!(check_view(&view, x), Ok(()), "{:?} at {:?}", view, x);
                prop_assert_eq!(view.enabled, applied.after.is_enabled());
                let decision = applied.after.check(applied.policy, x).decision();
                if !view.enabled {
                    prop_assert_eq!(decision, Some(Decision::Rejected(Rejection::Disabled)), "check at {:?}", x);
                } else if view.status == Status::Locked {
                    prop_assert!(
                        matches!(decision, Some(Decision::Rejected(Rejection::Locked { unlock_at, .. })) if unlock_at == view.unlock_at),
                        "check at {:?}: {:?}, view {:?}", x, decision, view
                    );
                    // The wait a host answers with: exactly until unlockAt.
                    let wait = decision.and_then(|decision| match decision {
                        Decision::Rejected(rejection) => rejection.unlock_in(x),
                        Decision::Allowed => None,
                    });
                    prop_assert_eq!(wait, view.unlock_at.map(|until| until.saturating_duration_since(x)));
                } else {
                    prop_assert_eq!(decision, Some(Decision::Allowed), "check at {:?}", x);
                }
                prop_assert_eq!(applied.after.can_authenticate(x), view.can_authenticate, "can_authenticate at {:?}", x);
            }
            Ok(())
        })?;
    }

    /// behaviour §2: `secondsUntilUnlock = ceil((unlockAt - now) / 1000)`, never 0 while locked.
    #[test]
    fn seconds_until_unlock_is_exact_and_at_least_one(policy in strategy::policy(), start in strategy::instant(), steps in steps()) {
        drive(&policy, start, &steps, |applied| {
            for x in probes(&applied.after, applied.now) {
                let view = applied.after.view(x);
                if let Some(until) = view.unlock_at {
                    let left = i128::from(until.as_millis()) - i128::from(x.as_millis());
                    prop_assert!(left > 0, "unlockAt {:?} not after {:?}", until, x);
                    prop_assert_eq!(view.seconds_until_unlock, Some(ceil_seconds(left)), "{:?} at {:?}", view, x);
                    prop_assert!(view.seconds_until_unlock >= Some(1));
                }
            }
            Ok(())
        })?;
    }

    /// behaviour §2: with no further events, a view `LOCKED` with `unlockAt` is still `LOCKED`
    /// (the same lock) 1 ms before it and `OK` at it.
    #[test]
    fn a_lock_ends_exactly_at_unlock_at(policy in strategy::policy(), start in strategy::instant(), steps in steps()) {
        drive(&policy, start, &steps, |applied| {
            let account = &applied.after;
            // "with no further events": from the latest event on (an earlier instant is a
            // regression read, shifted again at every instant before `last_seen`)
            let view = account.view(applied.now.max(account.last_seen()));
            if let (Status::Locked, Some(until)) = (view.status, view.unlock_at) {
                let before = account.view(later(until, -1));
                prop_assert_eq!(before.status, Status::Locked, "1 ms before {:?}", until);
                prop_assert_eq!(before.locked_at, view.locked_at);
                prop_assert_eq!(before.unlock_at, Some(until));
                prop_assert_eq!(before.seconds_until_unlock, Some(1));
                let at = account.view(until);
                prop_assert_eq!(at.status, Status::Ok, "at {:?}", until);
                prop_assert_eq!(at.can_authenticate, account.is_enabled());
                prop_assert_eq!(at.locked_at, None);
                prop_assert_eq!(at.unlock_at, None);
                let allowed = account.check(applied.policy, until).decision() == Some(Decision::Allowed);
                prop_assert_eq!(allowed, account.is_enabled());
                prop_assert!(!account.check(applied.policy, later(until, -1)).decision().unwrap().is_allowed());
            }
            Ok(())
        })?;
    }

    /// behaviour §3: a success never ends a lock: on a locked account it is rejected and the
    /// view stays as it was.
    #[test]
    fn a_success_never_ends_a_lock(policy in strategy::policy(), start in strategy::instant(), steps in steps()) {
        drive(&policy, start, &steps, |applied| {
            let now = applied.now;
            let before = applied.before.view(now);
            if before.status == Status::Locked {
                // try a success right now, whatever the operation was
                let mut account = applied.before;
                let outcome = account.success(applied.policy, now);
                prop_assert!(!outcome.decision().unwrap().is_allowed());
                prop_assert_eq!(account.view(now), before);
                for x in unaffected(&applied.before, now) {
                    prop_assert_eq!(account.view(x), applied.before.view(x), "view at {:?}", x);
                }
            }
            if applied.operation == Operation::Success && before.status == Status::Locked {
                prop_assert_eq!(applied.after.view(now).status, Status::Locked);
                prop_assert_eq!(applied.after.view(now), before);
            }
            Ok(())
        })?;
    }

    /// behaviour §§3–5: a rejected attempt and an ignored repeated failure change nothing but
    /// `last_seen` (the views, counts and lock causes at every instant the move of
    /// `last_seen` does not affect are the same); a refused operation changes nothing at
    /// all, `last_seen` included.
    #[test]
    fn a_rejected_attempt_or_refused_operation_changes_nothing(policy in strategy::policy(), start in strategy::instant(), steps in steps()) {
        drive(&policy, start, &steps, |applied| {
            let (before, after, now) = (&applied.before, &applied.after, applied.now);
            match &applied.result {
                Err(error) => {
                    prop_assert_eq!(after, before, "refused with {}", error);
                }
                Ok(outcome) => {
                    let rejected = outcome.decision().is_some_and(|d| !d.is_allowed());
                    let ignored = outcome.transitions().iter().any(|t| t == Transition::IgnoredRepeated);
                    if applied.operation == Operation::Check {
                        // a read
                        prop_assert_eq!(after, before);
                    } else if rejected || ignored {
                        prop_assert_eq!(after.last_seen(), now);
                        prop_assert_eq!(after.is_enabled(), before.is_enabled());
                        prop_assert_eq!(after.consecutive_failures(), before.consecutive_failures());
                        // nothing but noticing that a lock's deadline passed
                        for transition in &outcome.transitions() {
                            prop_assert!(
                                matches!(
                                    transition,
                                    Transition::IgnoredRepeated
                                        | Transition::Unlocked { cause: UnlockCause::Expired, .. }
                                ),
                                "{:?}", outcome
                            );
                        }
                        for x in unaffected(before, now) {
                            prop_assert_eq!(after.view(x), before.view(x), "view at {:?}", x);
                            prop_assert_eq!(after.lock_cause(x), before.lock_cause(x), "lock cause at {:?}", x);
                            prop_assert_eq!(
                                after.failure_count(applied.policy, x),
                                before.failure_count(applied.policy, x),
                                "failure count at {:?}", x
                            );
                        }
                    }
                }
            }
            Ok(())
        })?;
    }

    /// behaviour §4, "read your writes": after a successful patch at `now`, the view at `now`
    /// shows every written field with the written value.
    #[test]
    fn patches_read_back_their_writes(policy in strategy::policy(), start in strategy::instant(), steps in steps()) {
        drive(&policy, start, &steps, |applied| {
            if let (Operation::Patch(patch), Ok(_)) = (applied.operation, &applied.result) {
                let view = applied.after.view(applied.now);
                if let Some(can_authenticate) = patch.can_authenticate {
                    prop_assert_eq!(view.can_authenticate, can_authenticate, "{:?}: {:?}", patch, view);
                    if !can_authenticate {
                        prop_assert!(!view.enabled);
                    }
                }
                if let Some(status) = patch.status {
                    prop_assert_eq!(view.status, status, "{:?}: {:?}", patch, view);
                }
                match patch.unlock_at {
                    Some(UnlockAtPatch::At(until)) => {
                        prop_assert_eq!(view.status, Status::Locked, "{:?}: {:?}", patch, view);
                        prop_assert_eq!(view.unlock_at, Some(until), "{:?}: {:?}", patch, view);
                    }
                    Some(UnlockAtPatch::Clear) => {
                        prop_assert_eq!(view.unlock_at, None, "{:?}: {:?}", patch, view);
                    }
                    None => {}
                }
            }
            Ok(())
        })?;
    }

    /// behaviour §1: for an attempt at `now < last_seen` on an account locked at `last_seen`,
    /// the lock is not ended and its remaining time is unchanged (`unlockAt` moves back by
    /// exactly `last_seen - now`, `lockedAt` too, saturating); the view after the event
    /// is what the regression read showed before it.
    #[test]
    fn a_clock_regression_keeps_the_remaining_lock(
        policy in strategy::policy(),
        start in strategy::instant(),
        steps in steps(),
        back in prop_oneof![1_i64..5_000, 1_i64..7_200_000, Just(i64::MAX)],
        attempt in (0_u8..4, strategy::fingerprint()).prop_map(|(kind, fingerprint)| match kind {
            0 => Operation::Check,
            1 => Operation::Success,
            2 => Operation::Failure { credential: None },
            _ => Operation::Failure { credential: Some(fingerprint) },
        }),
    ) {
        drive(&policy, start, &steps, |applied| {
            let account = applied.after;
            let last_seen = account.last_seen();
            let locked = account.view(last_seen);
            if locked.status != Status::Locked {
                return Ok(());
            }
            let now = Instant::from_millis(last_seen.as_millis().saturating_sub(back).max(i64::MIN + 1));
            if now >= last_seen {
                return Ok(());
            }
            let delta = last_seen.saturating_duration_since(now);
            // the read at `now` (a check is nothing more)
            let read = account.view(now);
            prop_assert_eq!(read.status, Status::Locked, "a regression read ended the lock");
            prop_assert_eq!(read.unlock_at, locked.unlock_at.map(|u| u.saturating_sub(delta)));
            prop_assert_eq!(read.seconds_until_unlock, locked.seconds_until_unlock);
            prop_assert_eq!(read.locked_at, locked.locked_at.map(|l| l.saturating_sub(delta)));
            // the event at `now`
            let mut after = account;
            let outcome = after.apply(applied.policy, now, attempt).unwrap();
            prop_assert!(!outcome.decision().unwrap().is_allowed(), "{:?} at {:?} allowed", attempt, now);
            if attempt != Operation::Check {
                prop_assert_eq!(after.last_seen(), now);
                let view = after.view(now);
                prop_assert_eq!(view, read, "the view after the event at {:?}", now);
                if let Some(until) = view.unlock_at {
                    // the remaining time, from the new `last_seen` on
                    prop_assert_eq!(after.view(later(until, -1)).status, Status::Locked);
                    prop_assert_eq!(after.view(until).status, Status::Ok);
                } else {
                    prop_assert_eq!(after.view(Instant::MAX).status, Status::Locked);
                }
            }
            Ok(())
        })?;
    }

    /// Encoding then decoding (with the same policy) gives back the same state, after
    /// every operation; the policy round-trips too.
    #[test]
    fn encode_then_decode_gives_back_the_same_state(policy in strategy::policy(), start in strategy::instant(), steps in steps()) {
        let mut buffer = [0_u8; Policy::MAX_ENCODED_LEN];
        let length = policy.encode(&mut buffer).unwrap();
        prop_assert_eq!(Policy::decode(&buffer[..length]), Ok(policy));
        drive(&policy, start, &steps, |applied| {
            let account = applied.after;
            let mut buffer = [0_u8; Big::MAX_ENCODED_LEN];
            let length = account.encode(&mut buffer).unwrap();
            prop_assert_eq!(length, account.encoded_len());
            let decoded = Big::decode(&buffer[..length], applied.policy);
            prop_assert_eq!(decoded, Ok(account));
            let mut again = [0_u8; Big::MAX_ENCODED_LEN];
            let length_again = decoded.unwrap().encode(&mut again).unwrap();
            prop_assert_eq!(&again[..length_again], &buffer[..length]);
            Ok(())
        })?;
    }
}

// ---------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------

/// Twelve keys for eight slots, so that the table fills up.
const KEYS: u16 = 12;

#[derive(Clone, Copy, Debug)]
enum TableAct {
    Apply(u16, Action),
    Poll,
    Compact,
}

fn table_step() -> impl Strategy<Value = (TimeStep, TableAct)> {
    (strategy::time_step(), 0_u8..14, 0..KEYS, strategy::action()).prop_map(
        |(time, which, key, action)| {
            let act = match which {
                12 => TableAct::Poll,
                13 => TableAct::Compact,
                _ => TableAct::Apply(key, action),
            };
            (time, act)
        },
    )
}

proptest! {
    #![proptest_config(config())]

    /// Table eviction never loses a counted failure: a `LockoutTable<u16, 8>` and a map
    /// of standalone accounts fed the same operations answer the same for every key
    /// (views, checks, counts, outcomes, expiries), whether or not the table is full. When
    /// the table answers `Full`, the key is not in it, every slot holds an account that is
    /// not dormant, and the standalone account is not updated either.
    #[test]
    fn table_eviction_never_loses_a_counted_failure(
        policy in strategy::policy(),
        start in strategy::instant(),
        steps in proptest::collection::vec(table_step(), 1..40),
    ) {
        let mut table: LockoutTable<u16, 8, 16, 8> = LockoutTable::new();
        let mut accounts: HashMap<u16, Big> = (0..KEYS).map(|key| (key, Account::new())).collect();
        let mut now = start;
        for (time, act) in steps {
            let deadline = match act {
                TableAct::Apply(key, _) => accounts[&key].view(now).unlock_at,
                _ => None,
            };
            now = time.apply(now, deadline);
            let stored_before: Vec<u16> = table.iter().map(|(&key, _)| key).collect();
            match act {
                TableAct::Apply(key, action) => {
                    let operation = action.valid_operation(now);
                    let in_table = table.get(&key).is_some();
                    let full_before = table.len() == 8;
                    let result = table.apply(&policy, key, now, operation);
                    // A new key that needs a slot in a full table makes it compact at `now`,
                    // which observes `now` for the other accounts, as `poll` would.
                    let needs_slot = match result {
                        Err(TableError::Full) => true,
                        Ok(_) => {
                            let mut trial = accounts[&key];
                            trial.apply(&policy, now, operation).is_ok()
                                && !trial.is_dormant(&policy, trial.last_seen())
                        }
                        Err(_) => false,
                    };
                    // (When that frees no slot, the table answers Full and changes nothing.)
                    if !in_table && full_before && needs_slot && result != Err(TableError::Full) {
                        settle_all(&policy, &mut accounts, now, Some(key));
                    }
                    let account = accounts.get_mut(&key).unwrap();
                    match result {
                        Err(TableError::Full) => {
                            prop_assert!(!in_table, "Full for key {} already in the table", key);
                            prop_assert_eq!(table.len(), 8);
                            for (stored, account) in table.iter() {
                                prop_assert!(!account.is_dormant(&policy, now.max(account.last_seen())), "Full but key {} is dormant", stored);
                            }
                        }
                        Err(TableError::Operation(error)) => {
                            prop_assert_eq!(account.apply(&policy, now, operation), Err(error));
                        }
                        Err(other) => prop_assert!(false, "an unexpected table error {:?}", other),
                        Ok(outcome) => {
                            let alone = account.apply(&policy, now, operation).map(|outcome| table_comparable(&policy, outcome));
                            prop_assert_eq!(alone, Ok(table_comparable(&policy, outcome)), "key {}: {:?}", key, operation);
                        }
                    }
                }
                TableAct::Poll => {
                    let mut from_table = Vec::new();
                    while let Some(expiry) = table.poll(&policy, now) {
                        from_table.push(expiry);
                        prop_assert!(from_table.len() <= usize::from(KEYS), "poll never stops");
                    }
                    let mut standalone = Vec::new();
                    for (&key, account) in accounts.iter_mut() {
                        let at = now.max(account.last_seen());
                        while let Some(transition) = account.poll(&policy, at) {
                            standalone.push((key, transition));
                        }
                    }
                    let order = |list: &mut Vec<(u16, Transition)>| list.sort_by_key(|(key, _)| *key);
                    order(&mut from_table);
                    order(&mut standalone);
                    prop_assert_eq!(from_table, standalone);
                }
                TableAct::Compact => {
                    table.compact(&policy, now);
                    settle_all(&policy, &mut accounts, now, None);
                }
            }
            prop_assert!(table.len() <= 8);
            // Keys the table let go (by `compact`, to free a slot for a new key, or because
            // the operation left the account dormant): the standalone account must be as
            // good as new from `now` on — checked by reads and by trial event sequences on
            // copies, at `now` and later — and is then replaced by a new one, as the table's
            // is.
            // Replacing it matters only for a regression to near `Instant::MIN`, which
            // saturates every stored instant to `Instant::MIN`, so that a decayed failure
            // counts again in a kept account (saturation at the limits, behaviour §1). The seed in
            // tests/invariants.proptest-regressions is such a case.
            for key in stored_before {
                if table.get(&key).is_none() {
                    let account = accounts.get_mut(&key).unwrap();
                    // Dropped as dormant at the latest instant it observed (a read at an
                    // earlier `now` observes nothing): as good as new from then on.
                    as_good_as_new(&policy, account, now.max(account.last_seen()))?;
                    *account = Account::new();
                }
            }
            // every key at `now` and an hour later; the key just used at more instants
            let touched = match act {
                TableAct::Apply(key, _) => Some(key),
                _ => None,
            };
            for key in 0..KEYS {
                let account = &accounts[&key];
                let stored = table.get(&key).copied().unwrap_or_default();
                let instants = if Some(key) == touched {
                    vec![now, later(now, 1), later(now, 1_000), later(now, 3_600_000), later(now, -5_000)]
                } else {
                    vec![now, later(now, 3_600_000)]
                };
                for x in instants {
                    prop_assert_eq!(table.view(&key, x), account.view(x), "key {} view at {:?}", key, x);
                    prop_assert_eq!(table.check(&policy, &key, x), account.check(&policy, x), "key {} check at {:?}", key, x);
                    // A count that can never lock is forgotten with its account.
                    if policy.can_lock_by_count() {
                        prop_assert_eq!(stored.failure_count(&policy, x), account.failure_count(&policy, x), "key {} count at {:?}", key, x);
                    }
                }
            }
        }
    }
}

/// What the table's compaction at `now` does to the accounts it judges (all but `except`):
/// it observes `now`, or the account's later `last_seen`, for each, as `poll` would,
/// unless that would end a lock whose end was not reported yet.
fn settle_all(
    policy: &Policy,
    accounts: &mut HashMap<u16, Big>,
    now: Instant,
    except: Option<u16>,
) {
    for (&key, account) in accounts.iter_mut() {
        if Some(key) == except {
            continue;
        }
        // A table-wide call never moves an account back (behaviour §7.2); it applies what time
        // did, as `poll` reports it, up to an unlock that `poll` is left to report.
        let at = now.max(account.last_seen());
        loop {
            let mut next = *account;
            match next.poll(policy, at) {
                Some(Transition::Unlocked { .. }) => break,
                Some(_) => *account = next,
                None => {
                    *account = next;
                    break;
                }
            }
        }
    }
}

/// Whether `account` answers, from `now` on, exactly as a new account: views, checks
/// and counts at later instants, and every outcome and view along trial sequences of
/// failures (with and without fingerprints), checks and successes, at `now` and later
/// (jumping to each lock's deadline).
fn as_good_as_new(policy: &Policy, account: &Big, now: Instant) -> Result<(), TestCaseError> {
    let fresh: Big = Account::new();
    for ms in [0, 1, 999, 1_000, 61_000, 3_600_000, 172_800_000] {
        let x = later(now, ms);
        prop_assert_eq!(account.view(x), fresh.view(x), "view at {:?}", x);
        prop_assert_eq!(
            account.check(policy, x),
            fresh.check(policy, x),
            "check at {:?}",
            x
        );
        if policy.can_lock_by_count() {
            prop_assert_eq!(account.failure_count(policy, x), 0, "count at {:?}", x);
        }
    }
    let failure = |f: Option<u64>| Operation::Failure {
        credential: f.map(Fingerprint::new),
    };
    let trials: [&[(i64, Operation)]; 3] = [
        &[
            (0, failure(None)),
            (0, failure(Some(0))),
            (0, failure(Some(0))),
            (1, failure(None)),
            (999, Operation::Check),
            (1_000, failure(Some(1))),
            (61_000, failure(None)),
            (3_600_000, Operation::Success),
            (3_600_001, failure(None)),
        ],
        &[(0, failure(None)); 24],
        &[(1_000, failure(None)); 24],
    ];
    for trial in trials {
        let (mut old, mut new) = (*account, fresh);
        for &(ms, operation) in trial {
            // after the first step, wait for each lock to end
            let x = new.view(later(now, ms)).unlock_at.unwrap_or(later(now, ms));
            prop_assert_eq!(
                old.apply(policy, x, operation)
                    .map(|o| table_comparable(policy, o)),
                new.apply(policy, x, operation)
                    .map(|o| table_comparable(policy, o)),
                "{:?} at {:?}",
                operation,
                x
            );
            prop_assert_eq!(old.view(x), new.view(x), "after {:?} at {:?}", operation, x);
        }
    }
    Ok(())
}

// Compaction at `now` observes `now` for the accounts it judges, as `poll` would: an event
// for a dropped key stamped before `now` is then a clock regression, and the failure that
// was out of its window at `now` stays out of it — as in a kept account that was polled.
#[test]
fn compaction_observes_now_as_poll_does() {
    let policy = account_lockout::Rules {
        threshold: 2,
        decay: account_lockout::Decay::QuietWindow(Duration::from_millis(1_000)),
        ..account_lockout::Rules::NEVER_LOCK
    }
    .build()
    .unwrap();
    let t = Instant::from_millis(fixtures::T0_MS);
    let mut table: LockoutTable<u16, 8> = LockoutTable::new();
    let mut alone: Account = Account::new();
    let _ = table.failure(&policy, 2, t, None).unwrap();
    let _ = alone.failure(&policy, t, None).unwrap();
    assert_eq!(table.compact(&policy, later(t, 1_001)), 1);
    assert_eq!(alone.poll(&policy, later(t, 1_001)), None);
    assert!(alone.is_dormant(&policy, later(t, 1_001)));
    let _ = table.failure(&policy, 2, later(t, 500), None).unwrap();
    let _ = alone.failure(&policy, later(t, 500), None).unwrap();
    assert_eq!(alone.view(later(t, 500)).status, Status::Ok);
    assert_eq!(table.view(&2, later(t, 500)), alone.view(later(t, 500)));
    assert_eq!(
        table.check(&policy, &2, later(t, 500)),
        alone.check(&policy, later(t, 500))
    );
}

/// `Duration` and `ceil_seconds` agree on what a ceiling is.
#[test]
fn ceil_seconds_matches_duration() {
    for ms in [1_u64, 999, 1_000, 1_001, 1_999, 2_000] {
        assert_eq!(
            ceil_seconds(i128::from(ms)),
            Duration::from_millis(ms).as_secs_ceil()
        );
    }
}
