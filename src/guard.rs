//! A guard over scopes ([`Guard`]): one call judges a login attempt against the user,
//! the user × source and the source, each with its own [`Policy`], and records it in all
//! three ([behaviour §7.7](crate::behaviour#s7-7)).
//!
//! # The trade-off
//!
//! What a lockout is keyed on decides who can abuse it.
//!
//! - **Keyed on the user**, a lock stops a guesser however many addresses they use, but
//!   anyone who knows a user name can lock its owner out by failing on purpose.
//!   Vaultwarden keys its login limits on the address only for this reason
//!   (vaultwarden PR #2747).
//! - **Keyed on the address**, a lock costs the victim nothing, but an attacker who
//!   rotates addresses (a botnet, a proxy pool) is never stopped, and a NAT or a campus
//!   gateway puts many honest users behind one address (owncloud #1580).
//! - **IPv6** gives one host a whole /64 (often a /56 or /48 per site): an attacker picks
//!   a new address for every guess, so counting addresses counts nothing. Sources must be
//!   keyed on a prefix.
//!
//! # How the guard answers it
//!
//! - **Three scopes, each with its own policy** ([`GuardPolicy`]): the user × source
//!   scope locks one address out of one account quickly; the source scope throttles an
//!   address (an IPv4 address, or an IPv6 prefix, /64 by default, [`SourceKey`]) that
//!   sprays many user names, real or made up; the user scope, with a higher threshold and
//!   a shorter lock, stops a guesser spread over many addresses.
//! - **All or nothing**: [`Guard::begin`] records an attempt only when every scope allows
//!   it. An attempt that the user × source or source scope refuses never reaches the user
//!   scope, and the attempt protocol reserves a failure per attempt in flight, so the
//!   user scope locks only after as many verified credentials as its policy allows:
//!   never faster, whatever the attacker sends, and only if they spend that many attempts
//!   from addresses the other scopes still allow.
//! - **No credit for a success at the source**: a success resets the user and the user ×
//!   source scopes but counts nothing in the source scope, so logging into one's own
//!   account between guesses does not reset a spray.
//! - **[`Disclosure::AsWrongCredential`]** answers a refusal by the user or the user ×
//!   source scope exactly as a wrong password ([`Answer::WrongCredential`]): the lock
//!   stays invisible, so the client learns neither that a user exists nor that it is
//!   locked, and a lockout attack cannot even tell whether it worked.

mod answer;
mod decision;
mod error;
mod policy;
mod scope;
#[cfg(feature = "std")]
mod shared;
mod source;
#[cfg(feature = "std")]
mod system_clock;

use core::hash::Hash;
use core::net::IpAddr;

pub use answer::{Answer, Disclosure};
pub use decision::GuardDecision;
pub use error::GuardError;
pub use policy::GuardPolicy;
pub use scope::{PerScope, Scope, ScopeKey};
#[cfg(feature = "std")]
pub use shared::{Observer, SharedGuard};
pub use source::{DEFAULT_IPV6_PREFIX, SourceKey};
#[cfg(feature = "std")]
pub use system_clock::SystemClock;

use crate::account::{Account, AttemptError, AttemptStart, AttemptToken, Verdict};
use crate::operation::CapacityError;
use crate::outcome::{Outcome, Transition};
use crate::policy::Policy;
use crate::table::{LockoutTable, TableError};
use crate::time::Instant;

/// Three lockout scopes behind one call: the user, the user × source, and the source,
/// each a [`LockoutTable`] (of [`Account`], keys `U`, `(U, SourceKey)` and [`SourceKey`])
/// with its own [`Policy`] from the [`GuardPolicy`].
///
/// # What it does
///
/// - **[`Guard::begin`]** runs the attempt protocol of
///   [behaviour §7.1](crate::behaviour#s7-1) in all three scopes. It judges every scope
///   first, on a copy of its account, and puts the attempt in flight only if all three
///   allow it; the [`GuardToken`] holds the three [`AttemptToken`]s. If any scope refuses,
///   no scope gets an attempt: the refusing scopes observe `now` as a refused
///   [`Account::begin_attempt`] does, the others are not touched. So an attempt that the
///   source or the user × source scope refuses never reaches the user scope, and never
///   counts against it: **the user scope cannot be used to lock out a victim faster than
///   its policy allows**, and it counts only failures of credentials that were verified.
///   A table with no room for a new key is [`GuardError::Full`], and nothing changes in
///   any table (every table is asked for room before any changes).
/// - **The combined decision** ([`GuardDecision`]) is the refusal with the longest wait:
///   one with no end (a disabled user, a lock only an administrator ends) is the
///   longest, then the latest `unlock_at`, and busy (no known wait) the shortest. Ties
///   go to the user, then the user × source, then the source scope.
///   [`GuardDecision::Allowed`] carries the fewest failures any scope has left.
/// - **[`Guard::finish`]** applies the verdict. A failure counts in all three scopes. A
///   success applies the success rule of the user and the user × source scopes, but in
///   the source scope the attempt only leaves flight and counts nothing
///   ([`Account::abandon_attempt`]): otherwise an attacker would reset their address's
///   count by logging into an account of their own between guesses. A token that one
///   scope does not know (finished, timed out) is [`GuardError::UnknownAttempt`], and
///   nothing changes in any scope. Give the three policies the same
///   `attemptTimeoutSeconds`: an attempt times out in each scope by its own policy.
/// - **[`Guard::check`]** is a read: the combined decision at `now`.
/// - **Administrators** reach the user scope: [`Guard::unlock_user`] ends the user's lock
///   and every lock of that user from any source, and clears their counts;
///   [`Guard::user_account`] and [`Guard::restore_user`] hand out and take back the user
///   scope's account, for any other operation ([`Account::lock`], [`Account::patch`]) or
///   to fold it with other sources.
///
/// # Choosing the policies
///
/// Each scope alone fails somewhere:
///
/// - **The user scope** stops a distributed guesser who rotates addresses, but a lock on
///   it lets anyone who knows a user name lock that user out (vaultwarden keys its limits
///   on the address only for this reason).
/// - **The source scope** costs victims nothing, but fails against address rotation
///   (botnets, a whole IPv6 /64 per host) and hits every user behind one NAT.
/// - **The user × source scope** stops one address guessing one user's password
///   without touching the user elsewhere, but alone it lets a botnet guess on.
///
/// Recommended: a tight user × source policy (a few failures, a lock of minutes), a
/// looser user policy (a threshold several times higher, a short lock, so that a lockout
/// attack must keep spending attempts from many addresses and the user is locked only
/// briefly), a source policy sized for a NAT of many users, and
/// [`Disclosure::AsWrongCredential`], so that a locked account answers as a wrong
/// password and a guesser learns nothing from it.
///
/// Give the user × source and source policies a decaying count (a quiet window, a
/// sliding window): a table forgets an account only once it is dormant, and a count
/// that never decays keeps every address that ever mistyped.
///
/// **Key users by who they are, not by what was typed.** Use the directory's id for a
/// known user, and map names nobody has to a few bucket keys (a keyed hash of the name,
/// as the example service does): with the typed name as the key, every made-up name
/// takes a slot of the user tables, and a password typed into the name field becomes a
/// key, and the `subject` of an event (`account_lockout::events`, features `tracing`,
/// `metrics`).
///
/// All three tables keep [`Account`] (`Account<0, 0, 8>`): policies that need failure
/// records or credential memory are [`GuardError::Capacity`].
///
/// # Example
///
/// ```
/// use account_lockout::{
///     dialect::PingOne, Answer, Disclosure, Guard, GuardDecision, GuardPolicy, Instant, Scope,
///     Verdict,
/// };
/// use core::net::IpAddr;
///
/// let user = PingOne { failure_count: 10, duration_seconds: Some(300) }.policy()?;
/// let user_source = PingOne { failure_count: 3, duration_seconds: Some(900) }.policy()?;
/// let source = PingOne { failure_count: 100, duration_seconds: Some(3600) }.policy()?;
/// let policy = GuardPolicy::new(user, user_source, source)
///     .with_disclosure(Disclosure::AsWrongCredential);
/// let mut guard: Guard<&str, 64, 64, 64> = Guard::new();
/// let attacker: IpAddr = "203.0.113.7".parse()?;
/// let now = Instant::from_secs(1_000);
///
/// // Three wrong passwords from one address lock ana out of that address only.
/// for _ in 0..3 {
///     let start = guard.begin(&policy, &"ana", attacker, now)?;
///     assert_eq!(start.decision.answer(policy.disclosure(), now), Answer::Verify);
///     let token = start.token.unwrap();
///     let failure = Verdict::Failure { credential: None };
///     guard.finish(&policy, &"ana", attacker, token, now, failure)?;
/// }
/// let refused = guard.begin(&policy, &"ana", attacker, now)?;
/// assert!(matches!(
///     refused.decision,
///     GuardDecision::Rejected { scope: Scope::UserSource, .. }
/// ));
/// assert_eq!(refused.token, None);
/// // The client cannot tell this from a wrong password.
/// assert_eq!(refused.decision.answer(policy.disclosure(), now), Answer::WrongCredential);
///
/// // Ana, from her own address, can still log in; her user scope has 7 failures left.
/// let home: IpAddr = "198.51.100.20".parse()?;
/// let start = guard.begin(&policy, &"ana", home, now)?;
/// assert_eq!(start.decision, GuardDecision::Allowed { failures_remaining: Some(2) });
/// let outcome = guard.finish(&policy, &"ana", home, start.token.unwrap(), now, Verdict::Success)?;
/// assert!(outcome.decision.is_allowed());
/// assert_eq!(guard.user_account(&"ana").failure_count(&policy.user, now), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The `failures_remaining` of 2 is the user × source scope's from Ana's address: 3,
/// less the attempt in flight.
pub struct Guard<U, const USERS: usize, const PAIRS: usize, const SOURCES: usize> {
    users: LockoutTable<U, USERS>,
    user_sources: LockoutTable<(U, SourceKey), PAIRS>,
    sources: LockoutTable<SourceKey, SOURCES>,
}

/// The handle of an attempt in flight in a guard's three scopes, from [`Guard::begin`]:
/// finish it with [`Guard::finish`], for the same user and source.
///
/// It names the user (by a 64-bit digest of its key) and the source it was begun for:
/// each scope's [`AttemptToken`] alone names an attempt within one account, and two
/// accounts can hold attempts with equal tokens (two users' first attempts, begun in the
/// same millisecond from one address), so the user and the source are checked first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GuardToken {
    attempts: PerScope<AttemptToken>,
    user: u64,
    source: SourceKey,
}

/// FNV-1a, 64 bits: the digest of a user key in a [`GuardToken`]. Not keyed: tokens stay
/// on the server, and a collision between two users' digests (one chance in 2^64 for a
/// given pair) would only let one user's token finish the other's equal attempt.
struct UserDigest(u64);

impl UserDigest {
    fn of<U: Hash>(user: &U) -> u64 {
        let mut digest = UserDigest(0xcbf2_9ce4_8422_2325);
        user.hash(&mut digest);
        core::hash::Hasher::finish(&digest)
    }
}

impl core::hash::Hasher for UserDigest {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl GuardToken {
    /// The token of the attempt in `scope`'s table.
    #[must_use]
    pub const fn attempt(&self, scope: Scope) -> AttemptToken {
        *self.attempts.get(scope)
    }
}

/// What [`Guard::begin`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GuardStart {
    /// Whether the attempt may go on.
    pub decision: GuardDecision,
    /// The token to finish it with; `None` when it was rejected.
    pub token: Option<GuardToken>,
    /// Each scope's outcome: its decision and what it changed (an expired lock, an
    /// attempt that timed out). A scope that allowed an attempt that another refused was
    /// not touched: its outcome is its [`LockoutTable::check`], with no transitions.
    pub outcomes: PerScope<Outcome>,
}

/// What [`Guard::finish`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GuardOutcome {
    /// Whether the verdict stood in every scope. Rejected when a scope was locked (or
    /// the user disabled) while the attempt was in flight: then a success must not log
    /// the user in.
    pub decision: GuardDecision,
    /// Each scope's outcome: the transitions say what was counted and locked.
    pub outcomes: PerScope<Outcome>,
}

/// What [`Guard::unlock_user`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UserUnlock {
    /// The user scope's outcome ([`Account::unlock`]).
    pub user: Outcome,
    /// How many of the user's user × source accounts it unlocked and cleared.
    pub user_sources: usize,
    /// How many of those were locked: the locks it ended.
    pub user_source_locks: usize,
}

impl<U: Hash + Eq + Clone, const USERS: usize, const PAIRS: usize, const SOURCES: usize> Default
    for Guard<U, USERS, PAIRS, SOURCES>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<U: Hash + Eq + Clone, const USERS: usize, const PAIRS: usize, const SOURCES: usize>
    Guard<U, USERS, PAIRS, SOURCES>
{
    /// A guard with three empty tables of `USERS`, `PAIRS` and `SOURCES` slots (each a
    /// power of two, as for [`LockoutTable`]).
    #[must_use]
    pub const fn new() -> Self {
        Guard {
            users: LockoutTable::new(),
            user_sources: LockoutTable::new(),
            sources: LockoutTable::new(),
        }
    }

    /// Begins an attempt of `user` from `source` at `now`: in flight in all three scopes
    /// if every one allows it, in none otherwise (see the [type documentation](Guard)).
    /// Verify the credential only when [`GuardStart::token`] is `Some`, then call
    /// [`Guard::finish`] with it.
    ///
    /// A [`GuardError`] changes nothing: [`GuardError::Capacity`] when the account type
    /// is too small for a scope's policy, [`GuardError::Full`] when a scope's table has no
    /// room for a new key.
    pub fn begin(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        source: IpAddr,
        now: Instant,
    ) -> Result<GuardStart, GuardError> {
        let source = policy.source_key(source);
        let user_source = (user.clone(), source);
        let judged = PerScope {
            user: trial_begin(&self.users, &policy.user, user, now),
            user_source: trial_begin(&self.user_sources, &policy.user_source, &user_source, now),
            source: trial_begin(&self.sources, &policy.source, &source, now),
        };
        let judged = every_scope(judged, GuardError::Capacity)?;
        if judged.iter().any(|(_, outcome)| !outcome.is_allowed()) {
            let outcomes = PerScope {
                user: refuse_if(&judged.user, &mut self.users, &policy.user, user, now),
                user_source: refuse_if(
                    &judged.user_source,
                    &mut self.user_sources,
                    &policy.user_source,
                    &user_source,
                    now,
                ),
                source: refuse_if(
                    &judged.source,
                    &mut self.sources,
                    &policy.source,
                    &source,
                    now,
                ),
            };
            return Ok(GuardStart {
                // The trials decide: they ran on the very accounts at the very instant.
                decision: GuardDecision::combine(
                    judged.map(|_, outcome| outcome.decision()),
                    PerScope::default,
                ),
                token: None,
                outcomes,
            });
        }
        let room = [
            (
                Scope::User,
                self.users.has_room_for(&policy.user, user, now),
            ),
            (
                Scope::UserSource,
                self.user_sources
                    .has_room_for(&policy.user_source, &user_source, now),
            ),
            (
                Scope::Source,
                self.sources.has_room_for(&policy.source, &source, now),
            ),
        ];
        if let Some((scope, _)) = room.into_iter().find(|(_, room)| !room) {
            return Err(GuardError::Full(scope));
        }
        self.put_in_flight(policy, user, &user_source, now)
    }

    /// Begins the attempt in every table, once every scope allows it and has room; should
    /// one refuse after all, what the others began is taken back.
    fn put_in_flight(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        user_source: &(U, SourceKey),
        now: Instant,
    ) -> Result<GuardStart, GuardError> {
        let source = user_source.1;
        let (user_key, source_key) = (user, source);
        let user_start = self
            .users
            .begin_attempt(&policy.user, user.clone(), now)
            .map_err(|error| table_error(Scope::User, error))?;
        let mut begun = PerScope {
            user: user_start.token,
            user_source: None,
            source: None,
        };
        let user_source_start = self
            .user_sources
            .begin_attempt(&policy.user_source, user_source.clone(), now)
            .map_err(|error| {
                self.take_back(policy, user, user_source, now, begun);
                table_error(Scope::UserSource, error)
            })?;
        begun.user_source = user_source_start.token;
        let source_start = self
            .sources
            .begin_attempt(&policy.source, source, now)
            .map_err(|error| {
                self.take_back(policy, user, user_source, now, begun);
                table_error(Scope::Source, error)
            })?;
        begun.source = source_start.token;
        let outcomes = PerScope {
            user: user_start.outcome,
            user_source: user_source_start.outcome,
            source: source_start.outcome,
        };
        let decision =
            GuardDecision::combine(outcomes.map(|_, outcome| outcome.decision()), || {
                self.remaining(policy, user, user_source, now)
            });
        let token = match (begun.user, begun.user_source, begun.source) {
            (Some(user), Some(user_source), Some(source)) if decision.is_allowed() => {
                Some(GuardToken {
                    attempts: PerScope {
                        user,
                        user_source,
                        source,
                    },
                    user: UserDigest::of(user_key),
                    source: source_key,
                })
            }
            _ => {
                self.take_back(policy, user, user_source, now, begun);
                None
            }
        };
        Ok(GuardStart {
            decision,
            token,
            outcomes,
        })
    }

    /// Takes the attempts of `begun` back out of flight, counting nothing (not reached:
    /// [`Guard::begin`] asks every table first).
    fn take_back(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        user_source: &(U, SourceKey),
        now: Instant,
        begun: PerScope<Option<AttemptToken>>,
    ) {
        if let Some(token) = begun.user {
            let _taken_back = self
                .users
                .abandon_attempt(&policy.user, user.clone(), now, token);
        }
        if let Some(token) = begun.user_source {
            let _taken_back = self.user_sources.abandon_attempt(
                &policy.user_source,
                user_source.clone(),
                now,
                token,
            );
        }
        if let Some(token) = begun.source {
            let _taken_back =
                self.sources
                    .abandon_attempt(&policy.source, user_source.1, now, token);
        }
    }

    /// Finishes the attempt of `token`, begun for `user` from `source`, with the
    /// credential check's `verdict` at `now`: a failure counts in every scope; a success
    /// applies the success rule in the user and user × source scopes and takes the
    /// source scope's attempt out of flight with no credit (see the [type
    /// documentation](Guard)).
    ///
    /// Grant the login only for [`Verdict::Success`] and an allowed
    /// [`GuardOutcome::decision`]. [`GuardError::UnknownAttempt`] (any scope does not
    /// know its attempt) and [`GuardError::Capacity`] change nothing.
    pub fn finish(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        source: IpAddr,
        token: GuardToken,
        now: Instant,
        verdict: Verdict,
    ) -> Result<GuardOutcome, GuardError> {
        let verdicts = PerScope {
            user: Some(verdict),
            user_source: Some(verdict),
            source: source_verdict(verdict),
        };
        self.settle(policy, user, source, token, now, verdicts)
    }

    /// Takes the attempt of `token` out of flight in every scope, counting nothing
    /// ([`Account::abandon_attempt`]): for an attempt whose credential was never judged
    /// (the verifier failed, the client went away before it ran), or that another lock
    /// made moot (an MFA lock that came while it was in flight). Errors as
    /// [`Guard::finish`]'s, and they change nothing.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Guard, GuardPolicy, Instant};
    ///
    /// let p = PingOne { failure_count: 1, duration_seconds: None }.policy().unwrap();
    /// let policy = GuardPolicy::new(p, p, p);
    /// let mut guard: Guard<u32, 8, 8, 8> = Guard::new();
    /// let (source, now) = ("192.0.2.1".parse().unwrap(), Instant::from_secs(10));
    /// let token = guard.begin(&policy, &7, source, now).unwrap().token.unwrap();
    /// let abandoned = guard.abandon(&policy, &7, source, token, now).unwrap();
    /// assert!(abandoned.decision.is_allowed());
    /// // Nothing was counted: the one failure the policy allows is still there.
    /// assert!(guard.check(&policy, &7, source, now).is_allowed());
    /// assert_eq!(guard.user_account(&7).attempts_in_flight(), 0);
    /// ```
    pub fn abandon(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        source: IpAddr,
        token: GuardToken,
        now: Instant,
    ) -> Result<GuardOutcome, GuardError> {
        let verdicts = PerScope {
            user: None,
            user_source: None,
            source: None,
        };
        self.settle(policy, user, source, token, now, verdicts)
    }

    /// Ends the attempt of `token` in each scope with its verdict there (`None`:
    /// abandoned): judged on copies first, so that a token one scope does not know
    /// changes none.
    fn settle(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        source: IpAddr,
        token: GuardToken,
        now: Instant,
        verdicts: PerScope<Option<Verdict>>,
    ) -> Result<GuardOutcome, GuardError> {
        let source = policy.source_key(source);
        if token.source != source || token.user != UserDigest::of(user) {
            return Err(GuardError::UnknownAttempt);
        }
        let user_source = (user.clone(), source);
        let attempts = token.attempts;
        let trials = PerScope {
            user: trial_finish(
                &self.users,
                &policy.user,
                user,
                now,
                attempts.user,
                verdicts.user,
            ),
            user_source: trial_finish(
                &self.user_sources,
                &policy.user_source,
                &user_source,
                now,
                attempts.user_source,
                verdicts.user_source,
            ),
            source: trial_finish(
                &self.sources,
                &policy.source,
                &source,
                now,
                attempts.source,
                verdicts.source,
            ),
        };
        every_scope(trials, attempt_error)?;
        // Each call below repeats its trial on the same account at the same instant.
        let outcomes = PerScope {
            user: end_attempt(
                &mut self.users,
                &policy.user,
                user.clone(),
                now,
                attempts.user,
                verdicts.user,
            )
            .map_err(|error| table_attempt_error(Scope::User, error))?,
            user_source: end_attempt(
                &mut self.user_sources,
                &policy.user_source,
                user_source.clone(),
                now,
                attempts.user_source,
                verdicts.user_source,
            )
            .map_err(|error| table_attempt_error(Scope::UserSource, error))?,
            source: end_attempt(
                &mut self.sources,
                &policy.source,
                source,
                now,
                attempts.source,
                verdicts.source,
            )
            .map_err(|error| table_attempt_error(Scope::Source, error))?,
        };
        let decision =
            GuardDecision::combine(outcomes.map(|_, outcome| outcome.decision()), || {
                self.remaining(policy, user, &user_source, now)
            });
        Ok(GuardOutcome { decision, outcomes })
    }

    /// May `user` try from `source` at `now`? A read: the combined decision of the three
    /// scopes' [`LockoutTable::check`]. It cannot say busy: only [`Guard::begin`] sees the
    /// attempts in flight that way.
    pub fn check(
        &self,
        policy: &GuardPolicy,
        user: &U,
        source: IpAddr,
        now: Instant,
    ) -> GuardDecision {
        let source = policy.source_key(source);
        let user_source = (user.clone(), source);
        let decisions = PerScope {
            user: self.users.check(&policy.user, user, now).decision(),
            user_source: self
                .user_sources
                .check(&policy.user_source, &user_source, now)
                .decision(),
            source: self.sources.check(&policy.source, &source, now).decision(),
        };
        GuardDecision::combine(decisions, || {
            self.remaining(policy, user, &user_source, now)
        })
    }

    /// Each scope's [`LockoutTable::failures_remaining`] at `now`.
    fn remaining(
        &self,
        policy: &GuardPolicy,
        user: &U,
        user_source: &(U, SourceKey),
        now: Instant,
    ) -> PerScope<Option<u32>> {
        PerScope {
            user: self.users.failures_remaining(&policy.user, user, now),
            user_source: self.user_sources.failures_remaining(
                &policy.user_source,
                user_source,
                now,
            ),
            source: self
                .sources
                .failures_remaining(&policy.source, &user_source.1, now),
        }
    }

    /// A copy of `user`'s account in the user scope; [`Account::new`] when the table
    /// holds none. Run any [`Account`] operation on it, or fold it with other sources,
    /// then [`Guard::restore_user`] it.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Guard, GuardPolicy, Instant, Status};
    ///
    /// let p = PingOne { failure_count: 5, duration_seconds: Some(60) }.policy().unwrap();
    /// let policy = GuardPolicy::new(p, p, p);
    /// let mut guard: Guard<u32, 8, 8, 8> = Guard::new();
    /// let now = Instant::from_secs(10);
    /// let mut account = guard.user_account(&7);
    /// account.lock(&policy.user, now, None).unwrap(); // an administrator's lock
    /// guard.restore_user(&policy, 7, now, account).unwrap();
    /// assert_eq!(guard.user_account(&7).view(now).status, Status::Locked);
    /// assert!(!guard.check(&policy, &7, "192.0.2.1".parse().unwrap(), now).is_allowed());
    /// ```
    #[must_use]
    pub fn user_account(&self, user: &U) -> Account {
        self.users.get(user).copied().unwrap_or_else(Account::new)
    }

    /// Puts `account` back as `user`'s account in the user scope ([`LockoutTable::restore`]):
    /// after an operation on a copy from [`Guard::user_account`], or when loading saved
    /// state. [`GuardError::Full`] when the user is new and the table has no room; nothing
    /// changes then.
    pub fn restore_user(
        &mut self,
        policy: &GuardPolicy,
        user: U,
        now: Instant,
        account: Account,
    ) -> Result<(), GuardError> {
        self.users
            .restore(&policy.user, user, now, account)
            .map_err(|_| GuardError::Full(Scope::User))
    }

    /// Administrator unlock of `user`: ends the user scope's lock and every user × source
    /// lock of the user, and clears their counts ([`Account::unlock`] on each). The
    /// source scope is left alone: its locks are about addresses, not the user. One pass
    /// over the user × source table.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Guard, GuardPolicy, Instant, Verdict};
    ///
    /// let p = PingOne { failure_count: 1, duration_seconds: None }.policy().unwrap();
    /// let policy = GuardPolicy::new(p, p, PingOne { failure_count: 9, duration_seconds: None }.policy().unwrap());
    /// let mut guard: Guard<u32, 8, 8, 8> = Guard::new();
    /// let now = Instant::from_secs(10);
    /// let source = "192.0.2.1".parse().unwrap();
    /// let token = guard.begin(&policy, &7, source, now).unwrap().token.unwrap();
    /// let failure = Verdict::Failure { credential: None };
    /// guard.finish(&policy, &7, source, token, now, failure).unwrap();
    /// assert!(!guard.check(&policy, &7, source, now).is_allowed());
    ///
    /// let unlocked = guard.unlock_user(&policy, &7, now);
    /// assert_eq!((unlocked.user_sources, unlocked.user_source_locks), (1, 1));
    /// assert!(guard.check(&policy, &7, source, now).is_allowed());
    /// ```
    pub fn unlock_user(&mut self, policy: &GuardPolicy, user: &U, now: Instant) -> UserUnlock {
        self.unlock_user_with(policy, user, now, |_, _| {})
    }

    /// [`Guard::unlock_user`], showing each account's key and outcome to `each`: the user
    /// scope's first, then one for each user × source account unlocked (for an audit log
    /// or the events of `account_lockout::events`).
    pub fn unlock_user_with(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        now: Instant,
        mut each: impl FnMut(&ScopeKey<U>, &Outcome),
    ) -> UserUnlock {
        let mut user_outcome = None;
        self.users.unlock_where(
            &policy.user,
            now,
            |key| key == user,
            |_, outcome| {
                user_outcome = Some(outcome);
            },
        );
        // A user the table does not hold is in the initial state, which an unlock keeps.
        let user_outcome =
            user_outcome.unwrap_or_else(|| Account::<0, 0, 8>::new().unlock(&policy.user, now));
        each(&ScopeKey::User(user.clone()), &user_outcome);
        let (user_sources, user_source_locks) =
            self.unlock_user_sources_with(policy, user, now, |source, outcome| {
                each(&ScopeKey::UserSource(user.clone(), *source), outcome);
            });
        UserUnlock {
            user: user_outcome,
            user_sources,
            user_source_locks,
        }
    }

    /// Ends every user × source lock of `user` and clears those counts, leaving the user
    /// scope alone (an administrator lock there, say): for an action that ends the
    /// password's locks only, as PingOne's password unlock does
    /// ([behaviour §7.3](crate::behaviour#s7-3)). Shows each source and outcome to `each`;
    /// returns how many user × source accounts it unlocked, and how many of them were
    /// locked.
    ///
    /// ```
    /// use account_lockout::{dialect::PingOne, Guard, GuardPolicy, Instant, Verdict};
    ///
    /// let p = PingOne { failure_count: 1, duration_seconds: None }.policy().unwrap();
    /// let policy = GuardPolicy::new(p, p, PingOne { failure_count: 9, duration_seconds: None }.policy().unwrap());
    /// let mut guard: Guard<u32, 8, 8, 8> = Guard::new();
    /// let now = Instant::from_secs(10);
    /// let source = "192.0.2.1".parse().unwrap();
    /// let token = guard.begin(&policy, &7, source, now).unwrap().token.unwrap();
    /// let failure = Verdict::Failure { credential: None };
    /// guard.finish(&policy, &7, source, token, now, failure).unwrap();
    ///
    /// assert_eq!(guard.unlock_user_sources_with(&policy, &7, now, |_, _| {}), (1, 1));
    /// // The user scope's own lock stands.
    /// assert!(!guard.check(&policy, &7, source, now).is_allowed());
    /// ```
    pub fn unlock_user_sources_with(
        &mut self,
        policy: &GuardPolicy,
        user: &U,
        now: Instant,
        mut each: impl FnMut(&SourceKey, &Outcome),
    ) -> (usize, usize) {
        let mut locks: usize = 0;
        let unlocked = self.user_sources.unlock_where(
            &policy.user_source,
            now,
            |(key_user, _)| key_user == user,
            |(_, source), outcome| {
                if outcome
                    .transitions()
                    .iter()
                    .any(|transition| matches!(transition, Transition::Unlocked { .. }))
                {
                    locks = locks.saturating_add(1);
                }
                each(source, &outcome);
            },
        );
        (unlocked, locks)
    }

    /// The earliest instant after `now` at which an account of any scope changes by
    /// itself ([`LockoutTable::next_deadline`]); `None` when nothing is pending.
    #[must_use]
    pub fn next_deadline(&self, policy: &GuardPolicy, now: Instant) -> Option<Instant> {
        [
            self.users.next_deadline(&policy.user, now),
            self.user_sources.next_deadline(&policy.user_source, now),
            self.sources.next_deadline(&policy.source, now),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next transition that time alone caused in any scope, with its key
    /// ([`LockoutTable::poll`]): call it until it returns `None`.
    pub fn poll(
        &mut self,
        policy: &GuardPolicy,
        now: Instant,
    ) -> Option<(ScopeKey<U>, Transition)> {
        if let Some((user, transition)) = self.users.poll(&policy.user, now) {
            return Some((ScopeKey::User(user), transition));
        }
        if let Some(((user, source), transition)) = self.user_sources.poll(&policy.user_source, now)
        {
            return Some((ScopeKey::UserSource(user, source), transition));
        }
        self.sources
            .poll(&policy.source, now)
            .map(|(source, transition)| (ScopeKey::Source(source), transition))
    }

    /// Drops every dormant account of every scope ([`LockoutTable::compact`]); how many.
    pub fn compact(&mut self, policy: &GuardPolicy, now: Instant) -> usize {
        self.users
            .compact(&policy.user, now)
            .saturating_add(self.user_sources.compact(&policy.user_source, now))
            .saturating_add(self.sources.compact(&policy.source, now))
    }

    /// The user scope's table, to read.
    #[must_use]
    pub const fn users(&self) -> &LockoutTable<U, USERS> {
        &self.users
    }

    /// The user × source scope's table, to read.
    #[must_use]
    pub const fn user_sources(&self) -> &LockoutTable<(U, SourceKey), PAIRS> {
        &self.user_sources
    }

    /// The source scope's table, to read.
    #[must_use]
    pub const fn sources(&self) -> &LockoutTable<SourceKey, SOURCES> {
        &self.sources
    }
}

/// What a `begin_attempt` on `key`'s account would decide at `now`, run on a copy.
fn trial_begin<K: Hash + Eq, const N: usize>(
    table: &LockoutTable<K, N>,
    policy: &Policy,
    key: &K,
    now: Instant,
) -> Result<Outcome, CapacityError> {
    let mut trial = table.get(key).copied().unwrap_or_else(Account::new);
    trial
        .begin_attempt(policy, now)
        .map(|start: AttemptStart| start.outcome)
}

/// For a scope the trial refused: the same refused begin in its table, so that it
/// observes `now` as a refused begin does. For a scope that allowed: its check, and no
/// change.
fn refuse_if<K: Hash + Eq + Clone, const N: usize>(
    trial: &Outcome,
    table: &mut LockoutTable<K, N>,
    policy: &Policy,
    key: &K,
    now: Instant,
) -> Outcome {
    if trial.is_allowed() {
        return table.check(policy, key, now);
    }
    match table.begin_attempt(policy, key.clone(), now) {
        Ok(AttemptStart { outcome, token }) => {
            // Not reached: the trial refused on the same account at the same instant.
            if let Some(token) = token {
                let _taken_back = table.abandon_attempt(policy, key.clone(), now, token);
            }
            outcome
        }
        // Not reached: the trial passed the capacity check, and only a new key, which is
        // never refused, can find the table full.
        Err(_) => *trial,
    }
}

/// What finishing (`Some(verdict)`) or abandoning (`None`) the attempt of `token` on
/// `key`'s account would do at `now`, run on a copy.
fn trial_finish<K: Hash + Eq, const N: usize>(
    table: &LockoutTable<K, N>,
    policy: &Policy,
    key: &K,
    now: Instant,
    token: AttemptToken,
    verdict: impl Into<Option<Verdict>>,
) -> Result<Outcome, AttemptError> {
    let mut trial = *table.get(key).ok_or(AttemptError::UnknownAttempt)?;
    match verdict.into() {
        Some(verdict) => trial.finish_attempt(policy, now, token, verdict),
        None => trial.abandon_attempt(policy, now, token),
    }
}

/// Ends the attempt of `token` at `key`: with `verdict`, or abandoned (`None`).
fn end_attempt<K: Hash + Eq, const N: usize>(
    table: &mut LockoutTable<K, N>,
    policy: &Policy,
    key: K,
    now: Instant,
    token: AttemptToken,
    verdict: Option<Verdict>,
) -> Result<Outcome, TableError<AttemptError>> {
    match verdict {
        Some(verdict) => table.finish_attempt(policy, key, now, token, verdict),
        None => table.abandon_attempt(policy, key, now, token),
    }
}

/// What the source scope does with a verdict: a failure counts; a success earns the
/// address nothing (`None`: the attempt is abandoned).
const fn source_verdict(verdict: Verdict) -> Option<Verdict> {
    match verdict {
        Verdict::Failure { .. } => Some(verdict),
        Verdict::Success => None,
    }
}

/// The three results, or the first scope's error.
fn every_scope<T, E>(
    results: PerScope<Result<T, E>>,
    error: impl Fn(Scope, E) -> GuardError,
) -> Result<PerScope<T>, GuardError> {
    Ok(PerScope {
        user: results.user.map_err(|e| error(Scope::User, e))?,
        user_source: results
            .user_source
            .map_err(|e| error(Scope::UserSource, e))?,
        source: results.source.map_err(|e| error(Scope::Source, e))?,
    })
}

/// A table's refusal of a begin, as the guard's.
fn table_error(scope: Scope, error: TableError<CapacityError>) -> GuardError {
    match error {
        TableError::Full => GuardError::Full(scope),
        TableError::Operation(error) => GuardError::Capacity(scope, error),
    }
}

/// An account's refusal of a finish, as the guard's.
fn attempt_error(scope: Scope, error: AttemptError) -> GuardError {
    match error {
        AttemptError::Capacity(error) => GuardError::Capacity(scope, error),
        AttemptError::UnknownAttempt => GuardError::UnknownAttempt,
    }
}

/// A table's refusal of a finish, as the guard's.
fn table_attempt_error(scope: Scope, error: TableError<AttemptError>) -> GuardError {
    match error {
        TableError::Full => GuardError::Full(scope),
        TableError::Operation(error) => attempt_error(scope, error),
    }
}
