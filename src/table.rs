//! The keyed table of accounts ([`LockoutTable`]).

use core::fmt;
use core::hash::Hash;

use heapless::index_map::FnvIndexMap;

use crate::account::{Account, AttemptError, AttemptStart, AttemptToken, Verdict};
use crate::fingerprint::Fingerprint;
use crate::operation::{CapacityError, Operation, OperationError};
use crate::outcome::{Outcome, Transition};
use crate::patch::Patch;
use crate::policy::Policy;
use crate::time::Instant;
use crate::view::AccountView;

/// A table operation that was refused; the table is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TableError<E> {
    /// Every slot holds an account with information, and the key needs a new one.
    Full,
    /// The operation itself was refused.
    Operation(E),
}

impl<E: fmt::Display> fmt::Display for TableError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::Full => {
                f.write_str("the lockout table is full of accounts that hold information")
            }
            TableError::Operation(error) => error.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for TableError<E> {}

/// The instant a table-wide call judges `account` at: `now`, or the account's own
/// `last_seen` if that is later ([behaviour §7.2](crate::behaviour#s7-2): such a call never moves an account back).
fn judged_at<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>(
    account: &Account<RECORDS, MEMORY, ATTEMPTS>,
    now: Instant,
) -> Instant {
    now.max(account.last_seen())
}

/// Many accounts on one device: a fixed-capacity table that never forgets a counted
/// failure.
///
/// [`LockoutTable`] maps any `Hash + Eq` key (a user id, a `heapless::String`, a
/// `(user, context)` pair) to an [`Account`], in `N` slots allocated inline. A key that is
/// not in the table is an account in its initial state; the table stores an account only
/// while it holds information, and may drop it only when it is *dormant*
/// ([`Account::is_dormant`]): back in its initial state, its locks ended and its windows
/// run out, so that dropping it changes no future answer. It never drops a locked
/// account, a counted failure that still matters, or an attempt in flight.
///
/// **Table-wide calls never move an account in time** ([behaviour §7.2](crate::behaviour#s7-2)). [`LockoutTable::poll`],
/// [`LockoutTable::next_deadline`], [`LockoutTable::compact`], [`LockoutTable::recover`]
/// and the room-making of a new key pass over many accounts: each is judged at the later
/// of `now` and its own `last_seen`. Only an event addressed to one account applies the
/// clock-regression shift of [behaviour §1](crate::behaviour#s1) to it. So one caller with an early timestamp (a log
/// line stamped an hour early, a node whose clock is behind) cannot end another key's
/// lock.
///
/// Judging an account at an instant observes it, as [`Account::poll`] does: after
/// `compact(now)` an event for that key stamped before `now` is a clock regression,
/// exactly as it would be for an account that was kept and polled. (Without that, a
/// failure "out of its window at `now`" could be back in it for an event stamped earlier.)
/// What time did is applied up to the end of a lock that nobody reported yet, and the
/// account is then kept, so that [`LockoutTable::poll`] still reports that unlock.
///
/// One limit: a clock regression whose shift ([behaviour §1](crate::behaviour#s1)) would take a stored instant below
/// `Instant::MIN` saturates it there, and the time since it shrinks. A decayed failure of
/// a kept account can then count again, while the dropped account it stands for is gone.
/// That takes instants some 292 million years apart; the fuzz target `table_operations`
/// checks the equivalence at every step where no shift saturates.
///
/// # When every slot holds information
///
/// A new key that needs a slot in a full table first compacts it at `now` (see
/// [`LockoutTable::compact`]) if that frees a slot; otherwise the operation fails with
/// [`TableError::Full`] and changes nothing. The host
/// chooses what that means:
///
/// - **fail closed** (refuse the login): safe against guessing, but an attacker who sprays
///   failures over many user names can fill the table and lock out every user who is not
///   in it yet, until accounts go dormant (size `N` above the number of accounts that can
///   be active within the policy's windows);
/// - **fail open** (let the login proceed uncounted): no denial of service, but the
///   attacker who filled the table can then guess without limit against users who are not
///   in it.
///
/// Either way an attacker spraying user names never evicts a victim's counts: only dormant
/// accounts give up their slots.
///
/// # Hashing
///
/// The table is a heapless `FnvIndexMap` (so `N` must be a power of two, at least 2).
/// FNV is not keyed: an attacker who controls keys can make them collide, which costs
/// probe time (at most `N` per operation) but never correctness.
///
/// ```
/// use account_lockout::{dialect::PingOne, Instant, LockoutTable, Status};
///
/// let policy = PingOne { failure_count: 3, duration_seconds: Some(900) }.policy().unwrap();
/// let mut table: LockoutTable<u32, 16> = LockoutTable::new();
/// let now = Instant::from_secs(1_000);
/// for _ in 0..3 {
///     table.failure(&policy, 7, now, None).unwrap();
/// }
/// assert_eq!(table.view(&7, now).status, Status::Locked);
/// assert_eq!(table.view(&8, now).status, Status::Ok); // absent: initial state
/// assert_eq!(table.len(), 1);
/// ```
///
/// `RECORDS`, `MEMORY` and `ATTEMPTS` size each account as in [`Account`].
pub struct LockoutTable<
    K,
    const N: usize,
    const RECORDS: usize = 0,
    const MEMORY: usize = 0,
    const ATTEMPTS: usize = 8,
> {
    accounts: FnvIndexMap<K, Account<RECORDS, MEMORY, ATTEMPTS>, N>,
    /// The highest attempt serial of an account the table let go. A key's new account
    /// numbers its attempts after it, so that a token of the account that was let go
    /// (one that timed out, say) never names an attempt of the new one, even when a
    /// clock regression brings the new attempt to the old one's start instant.
    released_serial: u16,
}

impl<K: Hash + Eq, const N: usize, const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>
    Default for LockoutTable<K, N, RECORDS, MEMORY, ATTEMPTS>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq, const N: usize, const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>
    LockoutTable<K, N, RECORDS, MEMORY, ATTEMPTS>
{
    /// An empty table.
    pub const fn new() -> Self {
        LockoutTable {
            accounts: FnvIndexMap::new(),
            released_serial: 0,
        }
    }

    /// How many accounts the table holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the table holds no account.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The number of slots, `N`.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.accounts.capacity()
    }

    /// The stored account of `key`, if the table holds one.
    #[must_use]
    pub fn get(&self, key: &K) -> Option<&Account<RECORDS, MEMORY, ATTEMPTS>> {
        self.accounts.get(key)
    }

    /// The stored accounts, for persistence.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Account<RECORDS, MEMORY, ATTEMPTS>)> {
        self.accounts.iter()
    }

    /// Puts back a stored account (when loading saved state), replacing any account of
    /// `key`. A dormant account is not stored. Returns the account back when the table is
    /// full.
    pub fn restore(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        account: Account<RECORDS, MEMORY, ATTEMPTS>,
    ) -> Result<(), Account<RECORDS, MEMORY, ATTEMPTS>> {
        if account.is_dormant(policy, judged_at(&account, now)) {
            if let Some(stored) = self.accounts.swap_remove(&key) {
                self.release(&stored);
            }
            self.release(&account);
            return Ok(());
        }
        if !self.accounts.contains_key(&key) && !self.make_room(policy, now) {
            return Err(account);
        }
        self.accounts
            .insert(key, account)
            .map(drop)
            .map_err(|(_, account)| account)
    }

    /// The view of `key` at `now` ([behaviour §2](crate::behaviour#s2)). A read. Like [`Account::view`] it cannot
    /// count attempts in flight that timed out by `now`; [`LockoutTable::view_with`] can.
    #[must_use]
    pub fn view(&self, key: &K, now: Instant) -> AccountView {
        match self.accounts.get(key) {
            Some(account) => account.view(now),
            None => AccountView::OPEN,
        }
    }

    /// The view of `key` at `now` with attempts in flight that timed out counted
    /// ([`Account::view_with`]). A read.
    #[must_use]
    pub fn view_with(&self, policy: &Policy, key: &K, now: Instant) -> AccountView {
        match self.accounts.get(key) {
            Some(account) => account.view_with(policy, now),
            None => AccountView::OPEN,
        }
    }

    /// May `key` authenticate at `now`? A read.
    pub fn check(&self, policy: &Policy, key: &K, now: Instant) -> Outcome {
        match self.accounts.get(key) {
            Some(account) => account.check(policy, now),
            None => Account::<RECORDS, MEMORY, ATTEMPTS>::new().check(policy, now),
        }
    }

    /// How many more failures of `key` at `now` would lock it
    /// ([`Account::failures_remaining`]). A read.
    #[must_use]
    pub fn failures_remaining(&self, policy: &Policy, key: &K, now: Instant) -> Option<u32> {
        match self.accounts.get(key) {
            Some(account) => account.failures_remaining(policy, now),
            None => Account::<RECORDS, MEMORY, ATTEMPTS>::new().failures_remaining(policy, now),
        }
    }

    /// Whether an operation on `key` at `now` would find a slot for it: the key is stored,
    /// a slot is free, or compacting at `now` would free one. A read: the operation that
    /// follows at the same `now` is refused with [`TableError::Full`] exactly when this is
    /// `false`, so a caller that must change several tables or none can ask them all first.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Instant, LockoutTable};
    ///
    /// let policy = PingOne { failure_count: 3, duration_seconds: Some(60) }.policy().unwrap();
    /// let mut table: LockoutTable<u32, 2> = LockoutTable::new();
    /// let now = Instant::from_secs(0);
    /// table.failure(&policy, 1, now, None).unwrap();
    /// table.failure(&policy, 2, now, None).unwrap();
    /// assert!(table.has_room_for(&policy, &1, now));
    /// assert!(!table.has_room_for(&policy, &3, now));
    /// ```
    #[must_use]
    pub fn has_room_for(&self, policy: &Policy, key: &K, now: Instant) -> bool {
        self.accounts.contains_key(key)
            || !self.accounts.is_full()
            || self.compaction_frees_a_slot(policy, now)
    }

    /// Whether compacting at `now` would drop an account. A read.
    fn compaction_frees_a_slot(&self, policy: &Policy, now: Instant) -> bool {
        self.accounts.values().any(|account| {
            let mut trial = *account;
            trial.settle(policy, now)
        })
    }

    /// Makes room for a new key: a full table compacts at `now`; whether a slot is free.
    /// When compaction would free nothing, nothing is changed (not even observed).
    fn make_room(&mut self, policy: &Policy, now: Instant) -> bool {
        if !self.accounts.is_full() {
            return true;
        }
        self.compaction_frees_a_slot(policy, now) && self.compact(policy, now) > 0
    }

    /// Runs `operation` on the account of `key` as one step, kept only if it succeeded;
    /// the account is stored if it holds information, dropped if it is dormant.
    fn run<T, E>(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        operation: impl FnOnce(&mut Account<RECORDS, MEMORY, ATTEMPTS>) -> Result<T, E>,
    ) -> Result<T, TableError<E>> {
        // An account operation that fails changes nothing, so a stored account runs in
        // its slot: one hash lookup and no copy.
        let stored = self
            .accounts
            .get_index_of(&key)
            .and_then(|index| self.accounts.get_index_mut(index));
        if let Some((_, account)) = stored {
            let result = operation(account).map_err(TableError::Operation)?;
            // Judged at the latest instant the account observed: an event observes `now`,
            // but a read (`Operation::Check`) does not, and must not let the table forget
            // failures that an event stamped before `now` would still see.
            if account.is_dormant(policy, account.last_seen()) {
                let serial = account.attempt_serial();
                self.accounts.swap_remove(&key);
                self.released_serial = self.released_serial.max(serial);
            }
            return Ok(result);
        }
        let mut account = Account::with_serials_after(self.released_serial);
        let result = operation(&mut account).map_err(TableError::Operation)?;
        if account.is_dormant(policy, account.last_seen()) {
            self.release(&account);
            return Ok(result);
        }
        if !self.make_room(policy, now) || self.accounts.insert(key, account).is_err() {
            return Err(TableError::Full);
        }
        Ok(result)
    }

    /// A failed attempt for `key` ([`Account::failure`]).
    pub fn failure(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        credential: Option<Fingerprint>,
    ) -> Result<Outcome, TableError<CapacityError>> {
        self.run(policy, key, now, |account| {
            account.failure(policy, now, credential)
        })
    }

    /// A successful attempt for `key` ([`Account::success`]).
    pub fn success(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
    ) -> Result<Outcome, TableError<CapacityError>> {
        self.run(policy, key, now, |account| Ok(account.success(policy, now)))
    }

    /// Any operation for `key` ([`Account::apply`]).
    pub fn apply(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        operation: Operation,
    ) -> Result<Outcome, TableError<OperationError>> {
        self.run(policy, key, now, |account| {
            account.apply(policy, now, operation)
        })
    }

    /// Administrator unlock of `key` ([`Account::unlock`]).
    pub fn unlock(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
    ) -> Result<Outcome, TableError<OperationError>> {
        self.apply(policy, key, now, Operation::Unlock)
    }

    /// Administrator lock of `key` ([`Account::lock`]).
    pub fn lock(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        until: Option<Instant>,
    ) -> Result<Outcome, TableError<OperationError>> {
        self.apply(policy, key, now, Operation::Lock { until })
    }

    /// Administrator patch of `key` ([`Account::patch`]).
    pub fn patch(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        patch: Patch,
    ) -> Result<Outcome, TableError<OperationError>> {
        self.apply(policy, key, now, Operation::Patch(patch))
    }

    /// Begins a power-loss-safe attempt for `key` ([`Account::begin_attempt`]).
    pub fn begin_attempt(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
    ) -> Result<AttemptStart, TableError<CapacityError>> {
        self.run(policy, key, now, |account| {
            account.begin_attempt(policy, now)
        })
    }

    /// Finishes the attempt of `token` for `key` ([`Account::finish_attempt`]).
    pub fn finish_attempt(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, TableError<AttemptError>> {
        self.run(policy, key, now, |account| {
            account.finish_attempt(policy, now, token, verdict)
        })
    }

    /// Takes the attempt of `token` for `key` out of flight with no verdict
    /// ([`Account::abandon_attempt`]).
    pub fn abandon_attempt(
        &mut self,
        policy: &Policy,
        key: K,
        now: Instant,
        token: AttemptToken,
    ) -> Result<Outcome, TableError<AttemptError>> {
        self.run(policy, key, now, |account| {
            account.abandon_attempt(policy, now, token)
        })
    }

    /// Administrator unlock ([`Account::unlock`]) of every stored key that `select`
    /// picks, each as an event addressed to it at `now`; `report` sees each one's key and
    /// outcome. A key that is not stored is in its initial state, which an unlock leaves
    /// as it is. Returns how many accounts it unlocked. One pass over the table, and no
    /// key is copied: a [`Guard`](crate::Guard) unlocks every `(user, source)` key of one
    /// user with it.
    ///
    /// `select` must give the same answer for a key each time it is asked.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Instant, LockoutTable, Status};
    ///
    /// let policy = PingOne { failure_count: 1, duration_seconds: None }.policy().unwrap();
    /// let mut table: LockoutTable<(&str, u8), 8> = LockoutTable::new();
    /// let now = Instant::from_secs(0);
    /// for key in [("ana", 1), ("ana", 2), ("bo", 1)] {
    ///     table.failure(&policy, key, now, None).unwrap();
    /// }
    /// let mut reported = 0;
    /// let unlocked = table.unlock_where(&policy, now, |key| key.0 == "ana", |_, _| reported += 1);
    /// assert_eq!((unlocked, reported), (2, 2));
    /// assert_eq!(table.view(&("ana", 2), now).status, Status::Ok);
    /// assert_eq!(table.view(&("bo", 1), now).status, Status::Locked);
    /// assert_eq!(table.len(), 1); // the unlocked accounts were dormant, and dropped
    /// ```
    pub fn unlock_where(
        &mut self,
        policy: &Policy,
        now: Instant,
        select: impl Fn(&K) -> bool,
        mut report: impl FnMut(&K, Outcome),
    ) -> usize {
        let mut unlocked: usize = 0;
        for (key, account) in self.accounts.iter_mut() {
            if select(key) {
                report(key, account.unlock(policy, now));
                unlocked = unlocked.saturating_add(1);
            }
        }
        // As after any event: an account left dormant gives up its slot.
        let mut released = self.released_serial;
        self.accounts.retain(|key, account| {
            let dormant = select(key) && account.is_dormant(policy, account.last_seen());
            if dormant {
                released = released.max(account.attempt_serial());
            }
            !dormant
        });
        self.released_serial = released;
        unlocked
    }

    /// After restoring saved state: counts every attempt still in flight as a failure
    /// ([`Account::recover`]), each account at the later of `now` and its `last_seen`.
    /// Returns how many attempts there were. On error nothing changes.
    pub fn recover(&mut self, policy: &Policy, now: Instant) -> Result<usize, CapacityError> {
        let mut recovered: usize = 0;
        for (_, account) in self.accounts.iter_mut() {
            let in_flight = account.attempts_in_flight();
            if in_flight > 0 {
                // Capacity is the type's, the same for every account: the first refuses.
                let _outcome = account.recover(policy, judged_at(account, now))?;
                recovered = recovered.saturating_add(in_flight);
            }
        }
        Ok(recovered)
    }

    /// The earliest instant after `now` at which some account changes by itself
    /// ([`Account::next_deadline`]); `None` when nothing is pending.
    #[must_use]
    pub fn next_deadline(&self, policy: &Policy, now: Instant) -> Option<Instant> {
        self.accounts
            .values()
            .filter_map(|account| account.next_deadline(policy, judged_at(account, now)))
            .min()
    }

    /// Compaction: observes `now` for every account (as `poll` would, see the [type
    /// documentation](LockoutTable)) and drops every dormant one, freeing its slot. Returns how
    /// many.
    ///
    /// An account whose lock ended is dormant only once its unlock was reported, so call
    /// [`LockoutTable::poll`] until it returns `None` first to free those too.
    pub fn compact(&mut self, policy: &Policy, now: Instant) -> usize {
        let before = self.accounts.len();
        let mut released = self.released_serial;
        self.accounts.retain(|_, account| {
            let dormant = account.settle(policy, now);
            if dormant {
                released = released.max(account.attempt_serial());
            }
            !dormant
        });
        self.released_serial = released;
        before.saturating_sub(self.accounts.len())
    }

    /// Remembers the attempt serials of an account the table lets go.
    fn release(&mut self, account: &Account<RECORDS, MEMORY, ATTEMPTS>) {
        self.released_serial = self.released_serial.max(account.attempt_serial());
    }
}

impl<
    K: Hash + Eq + Clone,
    const N: usize,
    const RECORDS: usize,
    const MEMORY: usize,
    const ATTEMPTS: usize,
> LockoutTable<K, N, RECORDS, MEMORY, ATTEMPTS>
{
    /// The next transition that time alone caused, with its key: a lock that ended at
    /// its deadline, or an attempt in flight that timed out ([`Account::poll`]). Call it until it returns `None`; each expiry is
    /// reported once. Calling it early or twice is harmless.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Instant, LockoutTable};
    /// let policy = PingOne { failure_count: 1, duration_seconds: Some(60) }.policy().unwrap();
    /// let mut table: LockoutTable<&str, 8> = LockoutTable::new();
    /// table.failure(&policy, "ana", Instant::from_secs(0), None).unwrap();
    /// table.failure(&policy, "bo", Instant::from_secs(5), None).unwrap();
    /// let mut unlocked = Vec::new();
    /// while let Some((key, transition)) = table.poll(&policy, Instant::from_secs(90)) {
    ///     unlocked.push((key, transition));
    /// }
    /// assert_eq!(unlocked.len(), 2);
    /// assert!(table.poll(&policy, Instant::from_secs(91)).is_none());
    /// ```
    pub fn poll(&mut self, policy: &Policy, now: Instant) -> Option<(K, Transition)> {
        self.accounts.iter_mut().find_map(|(key, account)| {
            account
                .poll(policy, judged_at(account, now))
                .map(|transition| (key.clone(), transition))
        })
    }
}
