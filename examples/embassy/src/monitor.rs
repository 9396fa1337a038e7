//! The watcher's logic: each lock and each unlock reported exactly once.
//!
//! An unlock reaches the device by one of two roads. The watcher task sleeps until
//! [`Monitor::next_deadline`] and then calls [`Monitor::wake`], which drains the table's
//! `poll`; or an event for the account (an attempt, an administrator's unlock) comes
//! first and its outcome carries the transition. The table hands each transition out
//! once, on whichever road comes first, so the monitor reports from both: what `poll`
//! returns and what every event's outcome lists. Waking early, late or twice reports
//! nothing more (`src/tests.rs` checks it against scripted and random schedules).

use core::hash::Hash;

use account_lockout::{
    Instant, LockCause, LockoutTable, Operation, OperationError, Outcome, Policy, TableError,
    Transition, UnlockCause,
};

/// A lock or an unlock to report, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report<K> {
    /// `key` was locked at `at`.
    Locked {
        /// The account.
        key: K,
        /// When the lock started.
        at: Instant,
        /// When it ends by itself; `None`: only an administrator ends it.
        until: Option<Instant>,
        /// Why.
        cause: LockCause,
    },
    /// `key` was unlocked at `at`.
    Unlocked {
        /// The account.
        key: K,
        /// When the lock really ended: its deadline for an expiry (even if noticed later),
        /// the administrator's instant for an unlock.
        at: Instant,
        /// How.
        cause: UnlockCause,
    },
}

impl<K> Report<K> {
    /// The report for one transition of `key`: locks and unlocks; `None` for the rest
    /// (counted failures and the like, which the event's caller sees in its outcome).
    fn of(key: K, transition: Transition) -> Option<Report<K>> {
        match transition {
            Transition::Locked { at, until, cause } => Some(Report::Locked {
                key,
                at,
                until,
                cause,
            }),
            Transition::Unlocked { at, cause } => Some(Report::Unlocked { key, at, cause }),
            _ => None,
        }
    }
}

/// A lockout table of up to `N` accounts with its policy, reporting each lock and unlock
/// once through the callers' `report` functions.
pub struct Monitor<K, const N: usize> {
    policy: Policy,
    table: LockoutTable<K, N>,
}

impl<K: Hash + Eq + Clone, const N: usize> Monitor<K, N> {
    /// An empty table under `policy` (`N` a power of two, as [`LockoutTable`] needs).
    #[must_use]
    pub const fn new(policy: Policy) -> Monitor<K, N> {
        Monitor {
            policy,
            table: LockoutTable::new(),
        }
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The table, to read views from.
    #[must_use]
    pub const fn table(&self) -> &LockoutTable<K, N> {
        &self.table
    }

    /// Runs `operation` for `key` at `now` and reports the locks and unlocks its outcome
    /// lists, among them an expiry this event noticed before the watcher did. The outcome
    /// is returned for the caller's answer to the user.
    ///
    /// # Errors
    ///
    /// The table's: full (fail closed: refuse the login), or the operation refused.
    /// Nothing changed then, and nothing is reported.
    pub fn apply(
        &mut self,
        key: K,
        now: Instant,
        operation: Operation,
        mut report: impl FnMut(Report<K>),
    ) -> Result<Outcome, TableError<OperationError>> {
        let outcome = self
            .table
            .apply(&self.policy, key.clone(), now, operation)?;
        for transition in outcome.transitions().iter() {
            if let Some(found) = Report::of(key.clone(), transition) {
                report(found);
            }
        }
        Ok(outcome)
    }

    /// What the watcher does when it wakes at `now`: reports every lock end and every
    /// timed-out attempt's lock that time alone caused and nobody reported yet, then
    /// returns the next deadline to sleep until (`None`: sleep until an event).
    pub fn wake(&mut self, now: Instant, mut report: impl FnMut(Report<K>)) -> Option<Instant> {
        // Each `poll` hands out one transition and applies it, so this ends: there are
        // finitely many pending per account.
        while let Some((key, transition)) = self.table.poll(&self.policy, now) {
            if let Some(found) = Report::of(key, transition) {
                report(found);
            }
        }
        self.next_deadline(now)
    }

    /// The earliest instant after `now` at which some account changes by itself.
    #[must_use]
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.table.next_deadline(&self.policy, now)
    }
}
