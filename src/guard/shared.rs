//! A [`Guard`] shared by threads and async handlers (feature `std`).

use core::hash::Hash;
use core::net::IpAddr;
use std::boxed::Box;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::system_clock::SystemClock;
use super::{
    Guard, GuardDecision, GuardError, GuardOutcome, GuardPolicy, GuardStart, GuardToken, PerScope,
    Scope, ScopeKey, UserUnlock,
};
use crate::account::{Account, Verdict};
use crate::outcome::Outcome;
use crate::time::{Clock, Instant};

/// A [`Guard`] behind a [`Mutex`], with its [`GuardPolicy`] and a [`Clock`]: every method
/// takes `&self` and reads `now` from the clock, so one `Arc<SharedGuard<…>>` serves every
/// thread or tokio handler. It is `Send + Sync` when the user key and the clock are.
///
/// Each call holds the lock for one guard operation, never across the credential check:
/// [`SharedGuard::begin`], verify, then [`SharedGuard::finish`]. The clock is read under
/// the lock, so the guard sees the calls' instants in the order it runs them.
///
/// A thread that panicked while holding the lock (only a closure given to
/// [`SharedGuard::with`] can) poisons the mutex; the guard recovers it rather than panic,
/// since every guard operation changes its tables whole or not at all.
///
/// The guard's tables are inline: a `SharedGuard` is as large as its three tables
/// (`USERS + PAIRS + SOURCES` accounts with their keys), and is built on the stack before
/// it moves into its `Arc`. Size them for the thread that builds it.
///
/// ```
/// use account_lockout::{dialect::PingOne, GuardPolicy, SharedGuard, Verdict};
/// use std::{net::IpAddr, sync::Arc, thread};
///
/// let user = PingOne { failure_count: 10, duration_seconds: Some(300) }.policy()?;
/// let user_source = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy()?;
/// let source = PingOne { failure_count: 100, duration_seconds: Some(3600) }.policy()?;
/// let policy = GuardPolicy::new(user, user_source, source);
/// let guard: Arc<SharedGuard<String, 64, 64, 64>> = Arc::new(SharedGuard::new(policy));
///
/// // Eight logins of one user at once, from eight addresses; half with the right password.
/// let logins: Vec<_> = (0..8_u8)
///     .map(|i| {
///         let guard = Arc::clone(&guard);
///         thread::spawn(move || -> Result<bool, account_lockout::GuardError> {
///             let user = "ana".to_string();
///             let source = IpAddr::from([192, 0, 2, i]);
///             let start = guard.begin(&user, source)?;
///             let Some(token) = start.token else { return Ok(false) };
///             let right = i % 2 == 0; // the credential check, outside the lock
///             let verdict = if right { Verdict::Success } else { Verdict::Failure { credential: None } };
///             let outcome = guard.finish(&user, source, token, verdict)?;
///             Ok(right && outcome.decision.is_allowed())
///         })
///     })
///     .collect();
/// let mut logged_in = 0;
/// for login in logins {
///     if login.join().expect("no panic")? {
///         logged_in += 1;
///     }
/// }
/// assert_eq!(logged_in, 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SharedGuard<
    U,
    const USERS: usize,
    const PAIRS: usize,
    const SOURCES: usize,
    C = SystemClock,
> {
    guard: Mutex<Guard<U, USERS, PAIRS, SOURCES>>,
    policy: GuardPolicy,
    clock: C,
    observer: Option<Observer<U>>,
}

/// The hook a [`SharedGuard`] calls with the key and the [`Outcome`] of every scope's
/// account that a [`begin`](SharedGuard::begin), [`finish`](SharedGuard::finish) or
/// [`unlock_user`](SharedGuard::unlock_user) touched, in [`Scope::ALL`]'s order: the place
/// for events and counters (`SharedGuard::with_events`, with the feature `tracing` or
/// `metrics`, sends them to `account_lockout::events`).
/// It runs under the guard's lock, so it sees the outcomes in the order the guard made
/// them; keep it short, and do not call the guard from it (the lock is not reentrant).
/// An outcome carries no credential material.
pub type Observer<U> = Box<dyn Fn(&ScopeKey<U>, &Outcome) + Send + Sync>;

impl<U: Hash + Eq + Clone, const USERS: usize, const PAIRS: usize, const SOURCES: usize>
    SharedGuard<U, USERS, PAIRS, SOURCES, SystemClock>
{
    /// An empty guard under `policy`, on the system clock.
    #[must_use]
    pub fn new(policy: GuardPolicy) -> Self {
        Self::with_clock(policy, SystemClock)
    }
}

impl<U: Hash + Eq + Clone, const USERS: usize, const PAIRS: usize, const SOURCES: usize, C: Clock>
    SharedGuard<U, USERS, PAIRS, SOURCES, C>
{
    /// An empty guard under `policy`, reading `now` from `clock` (a
    /// [`ManualClock`](crate::ManualClock) in tests).
    #[must_use]
    pub fn with_clock(policy: GuardPolicy, clock: C) -> Self {
        SharedGuard {
            guard: Mutex::new(Guard::new()),
            policy,
            clock,
            observer: None,
        }
    }

    /// The guard with `observer` called for every scope's outcome ([`Observer`]); it
    /// replaces any observer set before.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, GuardPolicy, Instant, Scope, SharedGuard, Verdict};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let p = PingOne { failure_count: 3, duration_seconds: Some(60) }.policy().unwrap();
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// let guard: SharedGuard<u32, 8, 8, 8, _> =
    ///     SharedGuard::with_clock(GuardPolicy::new(p, p, p), Instant::from_secs(10))
    ///         .with_observer(move |key, outcome| {
    ///             log.lock().unwrap().push((key.scope(), outcome.transitions().len()));
    ///         });
    /// let source = "192.0.2.1".parse().unwrap();
    /// let token = guard.begin(&7, source).unwrap().token.unwrap();
    /// let _ = guard.finish(&7, source, token, Verdict::Failure { credential: None }).unwrap();
    /// // The begin's three outcomes (nothing changed), then the finish's (one count each).
    /// let expected = [(Scope::User, 0), (Scope::UserSource, 0), (Scope::Source, 0),
    ///                 (Scope::User, 1), (Scope::UserSource, 1), (Scope::Source, 1)];
    /// assert_eq!(*seen.lock().unwrap(), expected);
    /// ```
    #[must_use]
    pub fn with_observer(
        self,
        observer: impl Fn(&ScopeKey<U>, &Outcome) + Send + Sync + 'static,
    ) -> Self {
        SharedGuard {
            observer: Some(Box::new(observer)),
            ..self
        }
    }

    /// The guard with an observer that reports every scope's outcome through
    /// [`crate::events::record`]: a `tracing` event per transition and refusal, with the
    /// scope (`user`, `user_source`, `source`) and the key ([`ScopeKey`]'s `Display`) as
    /// its subject, and the counters with the feature `metrics`.
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    #[must_use]
    pub fn with_events(self) -> Self
    where
        U: core::fmt::Display,
    {
        self.with_observer(|key, outcome| {
            crate::events::record(key.scope().as_str(), key, outcome);
        })
    }

    /// The policy every call applies.
    #[must_use]
    pub const fn policy(&self) -> &GuardPolicy {
        &self.policy
    }

    /// The clock every call reads.
    #[must_use]
    pub const fn clock(&self) -> &C {
        &self.clock
    }

    /// [`Guard::begin`] now.
    pub fn begin(&self, user: &U, source: IpAddr) -> Result<GuardStart, GuardError> {
        self.with(|guard, now| {
            let start = guard.begin(&self.policy, user, source, now)?;
            self.observed(user, source, &start.outcomes);
            Ok(start)
        })
    }

    /// [`Guard::finish`] now.
    pub fn finish(
        &self,
        user: &U,
        source: IpAddr,
        token: GuardToken,
        verdict: Verdict,
    ) -> Result<GuardOutcome, GuardError> {
        self.with(|guard, now| {
            let finished = guard.finish(&self.policy, user, source, token, now, verdict)?;
            self.observed(user, source, &finished.outcomes);
            Ok(finished)
        })
    }

    /// [`Guard::abandon`] now.
    pub fn abandon(
        &self,
        user: &U,
        source: IpAddr,
        token: GuardToken,
    ) -> Result<GuardOutcome, GuardError> {
        self.with(|guard, now| {
            let abandoned = guard.abandon(&self.policy, user, source, token, now)?;
            self.observed(user, source, &abandoned.outcomes);
            Ok(abandoned)
        })
    }

    /// [`Guard::check`] now.
    pub fn check(&self, user: &U, source: IpAddr) -> GuardDecision {
        self.with(|guard, now| guard.check(&self.policy, user, source, now))
    }

    /// [`Guard::user_account`]: a copy. To change the account, run the operation and
    /// [`Guard::restore_user`] in one [`SharedGuard::with`], or another call may run in
    /// between and its change be lost.
    #[must_use]
    pub fn user_account(&self, user: &U) -> Account {
        self.with(|guard, _| guard.user_account(user))
    }

    /// [`Guard::restore_user`] now.
    pub fn restore_user(&self, user: U, account: Account) -> Result<(), GuardError> {
        self.with(|guard, now| guard.restore_user(&self.policy, user, now, account))
    }

    /// [`Guard::unlock_user`] now.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, GuardPolicy, Instant, ManualClock, SharedGuard, Verdict};
    ///
    /// let p = PingOne { failure_count: 1, duration_seconds: None }.policy().unwrap();
    /// let clock = ManualClock::new(Instant::from_secs(100));
    /// let guard: SharedGuard<u32, 8, 8, 8, _> = SharedGuard::with_clock(GuardPolicy::new(p, p, p), &clock);
    /// let source = "192.0.2.1".parse().unwrap();
    /// let token = guard.begin(&7, source).unwrap().token.unwrap();
    /// guard.finish(&7, source, token, Verdict::Failure { credential: None }).unwrap();
    /// assert!(!guard.check(&7, source).is_allowed());
    /// assert_eq!(guard.unlock_user(&7).user_source_locks, 1);
    /// // The source scope still holds the address's lock: it is not the user's.
    /// assert!(!guard.check(&7, source).is_allowed());
    /// ```
    pub fn unlock_user(&self, user: &U) -> UserUnlock {
        self.with(|guard, now| {
            guard.unlock_user_with(&self.policy, user, now, |key, outcome| {
                if let Some(observer) = &self.observer {
                    observer(key, outcome);
                }
            })
        })
    }

    /// Runs `operation` on the guard under the lock, with `now` read from the clock under
    /// it: for anything else ([`Guard::poll`], [`Guard::next_deadline`], an administrator's
    /// operation on [`Guard::user_account`] and [`Guard::restore_user`] as one step).
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, GuardPolicy, SharedGuard, Status};
    ///
    /// let p = PingOne { failure_count: 5, duration_seconds: Some(60) }.policy().unwrap();
    /// let guard: SharedGuard<u32, 8, 8, 8> = SharedGuard::new(GuardPolicy::new(p, p, p));
    /// let policy = *guard.policy();
    /// guard.with(|guard, now| {
    ///     let mut account = guard.user_account(&7);
    ///     account.lock(&policy.user, now, None).unwrap();
    ///     guard.restore_user(&policy, 7, now, account)
    /// })
    /// .unwrap();
    /// let now = guard.with(|_, now| now);
    /// assert_eq!(guard.user_account(&7).view(now).status, Status::Locked);
    /// ```
    pub fn with<T>(
        &self,
        operation: impl FnOnce(&mut Guard<U, USERS, PAIRS, SOURCES>, Instant) -> T,
    ) -> T {
        let mut guard = self.lock();
        let now = self.clock.now();
        operation(&mut guard, now)
    }

    /// The guard, also from a mutex that a panicking thread poisoned.
    fn lock(&self) -> MutexGuard<'_, Guard<U, USERS, PAIRS, SOURCES>> {
        self.guard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The three outcomes of one attempt of `user` from `source` pass here once, under the
    /// lock: to the [`Observer`], if there is one, with their keys.
    fn observed(&self, user: &U, source: IpAddr, outcomes: &PerScope<Outcome>) {
        let Some(observer) = &self.observer else {
            return;
        };
        let source = self.policy.source_key(source);
        for (scope, outcome) in outcomes.iter() {
            let key = match scope {
                Scope::User => ScopeKey::User(user.clone()),
                Scope::UserSource => ScopeKey::UserSource(user.clone(), source),
                Scope::Source => ScopeKey::Source(source),
            };
            observer(&key, outcome);
        }
    }
}
