//! Two lock sources, one account: PingOne's password lockout and MFA lockout
//! ([behaviour §7.3](crate::behaviour#s7-3)).
//!
//! PingOne keeps a failure counter for passwords and another for MFA (wrong one-time
//! codes, denied pushes), each with its own lock, and folds them into one account:
//! `LOCKED` while either source, or an administrator, holds a lock. [`MfaAccount`] is that
//! account: a password [`Account`] (which also holds the administrator's lock and the
//! enabled flag) beside an MFA source, run in time order by one observation and shown by
//! one view ([`AccountView::fold`]). Every password rule, modifier and the attempt
//! protocol are the password source's, unchanged.
//!
//! A source can only lock while the folded account is open, so at most one source holds
//! a lock at any instant; an administrator operation that takes over or ends an MFA lock
//! moves it to the password source first, and clears both counters.

use core::convert::Infallible;
use core::fmt;

use crate::account::{Account, AttemptError, AttemptStart, AttemptToken, Due, Verdict};
use crate::fingerprint::Fingerprint;
use crate::operation::{CapacityError, LockError, OperationError};
use crate::outcome::{Decision, LockCause, Outcome, Rejection, Transitions};
use crate::patch::{Patch, PatchError};
use crate::policy::{Policy, PolicyError, Problem};
use crate::time::Instant;
use crate::view::{AccountView, Status};

/// The MFA source's state: a count and a lock, no failure records, no credential memory,
/// no attempts in flight.
pub type MfaSource = Account<0, 0, 0>;

/// The policies of an [`MfaAccount`]: the password policy (with its modifiers) and, when
/// MFA attempts are counted, the MFA policy.
///
/// Read from JSON as a policy whose `pingone` member has an `mfa` member (the plain
/// [`Policy`] refuses that member):
///
/// ```
/// use account_lockout::MfaPolicy;
///
/// let policy: MfaPolicy = serde_json::from_str(
///     r#"{"pingone":{"failureCount":5,"durationSeconds":900,"mfa":{"failureCount":3,"durationSeconds":600}}}"#,
/// )
/// .unwrap();
/// assert_eq!(policy.password().rules().threshold, 5);
/// assert_eq!(policy.mfa().unwrap().rules().threshold, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MfaPolicy {
    password: Policy,
    mfa: Option<Policy>,
}

impl MfaPolicy {
    /// The two policies. The MFA source keeps no failure records and no credential
    /// fingerprints, so an MFA policy that needs either (a sliding window, a schedule's
    /// records, `repeatedCredentialMemory`) is refused.
    pub fn new(password: Policy, mfa: Option<Policy>) -> Result<MfaPolicy, PolicyError> {
        if mfa.is_some_and(|mfa| mfa.records_needed() > 0 || mfa.memory_needed() > 0) {
            return Err(PolicyError::new(
                "mfa",
                Problem::Unsupported {
                    because: "the MFA source keeps no failure records or credential fingerprints",
                },
            ));
        }
        Ok(MfaPolicy { password, mfa })
    }

    /// The password policy.
    #[must_use]
    pub const fn password(&self) -> &Policy {
        &self.password
    }

    /// The MFA policy; `None` when MFA attempts are not counted.
    #[must_use]
    pub const fn mfa(&self) -> Option<&Policy> {
        self.mfa.as_ref()
    }

    /// The MFA policy, or [`MfaError::NoMfaPolicy`].
    fn mfa_or_error(&self) -> Result<&Policy, MfaError> {
        self.mfa.as_ref().ok_or(MfaError::NoMfaPolicy)
    }
}

/// A PingOne event an administrator action reports ([behaviour §7.3](crate::behaviour#s7-3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AccountEvent {
    /// `USER.UNLOCKED`: the action took the account from `LOCKED` to `OK`.
    UserUnlocked,
    /// `PASSWORD.UNLOCKED`: a password unlock (reported on every one).
    PasswordUnlocked,
}

impl AccountEvent {
    /// PingOne's name of the event.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            AccountEvent::UserUnlocked => "USER.UNLOCKED",
            AccountEvent::PasswordUnlocked => "PASSWORD.UNLOCKED",
        }
    }
}

impl fmt::Display for AccountEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The events of one administrator action, in the order PingOne reports them (at most
/// `PASSWORD.UNLOCKED` then `USER.UNLOCKED`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AccountEvents {
    password_unlocked: bool,
    user_unlocked: bool,
}

impl AccountEvents {
    /// The events, in order.
    pub fn iter(&self) -> impl Iterator<Item = AccountEvent> + '_ {
        [
            (self.password_unlocked, AccountEvent::PasswordUnlocked),
            (self.user_unlocked, AccountEvent::UserUnlocked),
        ]
        .into_iter()
        .filter_map(|(reported, event)| reported.then_some(event))
    }

    /// Whether `event` is among them.
    #[must_use]
    pub const fn contains(&self, event: AccountEvent) -> bool {
        match event {
            AccountEvent::UserUnlocked => self.user_unlocked,
            AccountEvent::PasswordUnlocked => self.password_unlocked,
        }
    }

    /// Whether there are none.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        !self.user_unlocked && !self.password_unlocked
    }
}

impl serde::Serialize for AccountEvents {
    /// A list of the events' names: `["PASSWORD.UNLOCKED","USER.UNLOCKED"]`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(AccountEvent::name))
    }
}

/// What an administrator action on an [`MfaAccount`] did: its outcome, and the PingOne
/// events it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AdminOutcome {
    /// The transitions (an administrator action has no decision).
    pub outcome: Outcome,
    /// `USER.UNLOCKED`, `PASSWORD.UNLOCKED`.
    pub events: AccountEvents,
}

impl From<Outcome> for AdminOutcome {
    /// An action that reports no PingOne event (a lock, a patch).
    fn from(outcome: Outcome) -> AdminOutcome {
        AdminOutcome {
            outcome,
            events: AccountEvents::default(),
        }
    }
}

/// A refused MFA attempt; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MfaError {
    /// The policy counts no MFA attempts (it has no `mfa` member).
    NoMfaPolicy,
    /// The MFA source cannot hold what the policy needs (only for a policy not checked
    /// by [`MfaPolicy::new`], which refuses such an MFA policy).
    Capacity(CapacityError),
}

impl fmt::Display for MfaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MfaError::NoMfaPolicy => {
                f.write_str("the policy has no `mfa` member, so it counts no MFA attempts")
            }
            MfaError::Capacity(error) => error.fmt(f),
        }
    }
}

impl core::error::Error for MfaError {}

/// One user's PingOne account: the password source and the MFA source, folded
/// ([behaviour §7.3](crate::behaviour#s7-3)). `Copy`, fixed size, no allocation.
///
/// `RECORDS`, `MEMORY` and `ATTEMPTS` size the password source as in [`Account`]. Every
/// operation takes the [`MfaPolicy`] and `now`; an operation refused with an error
/// changes nothing.
///
/// ```
/// use account_lockout::dialect::{PingOne, PingOneMfa};
/// use account_lockout::{AccountEvent, Instant, MfaAccount, MfaPolicy, Status};
///
/// let policy = MfaPolicy::new(
///     PingOne { failure_count: 5, duration_seconds: Some(900) }.policy()?,
///     Some(PingOneMfa { failure_count: 3, duration_seconds: Some(600) }.policy()?),
/// )?;
/// let mut account: MfaAccount = MfaAccount::new();
/// let now: Instant = "2026-01-01T00:00:00Z".parse()?;
/// for _ in 0..3 {
///     account.mfa_failure(&policy, now)?; // three wrong one-time codes lock for 600 s
/// }
/// assert_eq!(account.view(now).seconds_until_unlock, Some(600));
/// // A right password is rejected while MFA holds the lock.
/// assert!(!account.success(&policy, now).is_allowed());
///
/// // The password unlock does not end an MFA lock; the account unlock does.
/// let password = account.unlock_password(&policy, now);
/// assert_eq!(password.events.iter().map(|e| e.name()).collect::<Vec<_>>(), ["PASSWORD.UNLOCKED"]);
/// let unlocked = account.unlock(&policy, now);
/// assert!(unlocked.events.contains(AccountEvent::UserUnlocked));
/// assert_eq!(account.view(now).status, Status::Ok);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MfaAccount<const RECORDS: usize = 0, const MEMORY: usize = 0, const ATTEMPTS: usize = 8>
{
    password: Account<RECORDS, MEMORY, ATTEMPTS>,
    mfa: MfaSource,
}

impl<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize> Default
    for MfaAccount<RECORDS, MEMORY, ATTEMPTS>
{
    fn default() -> Self {
        MfaAccount::new()
    }
}

impl<const RECORDS: usize, const MEMORY: usize, const ATTEMPTS: usize>
    MfaAccount<RECORDS, MEMORY, ATTEMPTS>
{
    /// A new account: enabled, not locked, no history in either source.
    #[must_use]
    pub const fn new() -> Self {
        MfaAccount {
            password: Account::new(),
            mfa: Account::new(),
        }
    }

    /// The account of two stored sources (each has its own binary format).
    #[must_use]
    pub const fn from_parts(password: Account<RECORDS, MEMORY, ATTEMPTS>, mfa: MfaSource) -> Self {
        MfaAccount { password, mfa }
    }

    /// The password source (with the administrator's lock and the enabled flag).
    #[must_use]
    pub const fn password(&self) -> &Account<RECORDS, MEMORY, ATTEMPTS> {
        &self.password
    }

    /// The MFA source.
    #[must_use]
    pub const fn mfa(&self) -> &MfaSource {
        &self.mfa
    }

    /// The two sources, to store them.
    #[must_use]
    pub const fn into_parts(self) -> (Account<RECORDS, MEMORY, ATTEMPTS>, MfaSource) {
        (self.password, self.mfa)
    }

    /// The folded view of [behaviour §2](crate::behaviour#s2) at `now`. A read; like
    /// [`Account::view`] it cannot count an attempt in flight that timed out by `now`
    /// ([`MfaAccount::view_with`] can).
    #[must_use]
    pub fn view(&self, now: Instant) -> AccountView {
        self.password.view(now).fold(self.mfa.view(now))
    }

    /// The folded view at `now`, with the attempts in flight that timed out by `now`
    /// applied as the next event would apply them. A read.
    #[must_use]
    pub fn view_with(&self, policy: &MfaPolicy, now: Instant) -> AccountView {
        let observed = self.observed(policy, now);
        observed.view(now)
    }

    /// How many more password failures at `now` would lock the password source, less the
    /// attempts in flight; `None` while the folded account is locked or disabled, or
    /// when no count locks. A read.
    #[must_use]
    pub fn failures_remaining(&self, policy: &MfaPolicy, now: Instant) -> Option<u32> {
        let observed = self.observed(policy, now);
        match observed.rejection() {
            Some(_) => None,
            None => observed.password.failures_remaining(&policy.password, now),
        }
    }

    /// May the user authenticate at `now`? A read.
    pub fn check(&self, policy: &MfaPolicy, now: Instant) -> Outcome {
        let observed = self.observed(policy, now);
        Outcome::attempt(observed.rejection(), Transitions::NONE)
    }

    /// A wrong password at `now` ([`Account::failure`]), rejected while the folded
    /// account is locked (by either source) or the user disabled.
    pub fn failure(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        credential: Option<Fingerprint>,
    ) -> Result<Outcome, CapacityError> {
        self.attempt(policy, now, |account| {
            account.password.failure(&policy.password, now, credential)
        })
    }

    /// A right password at `now`: the password policy's success rule ([`Account::success`]),
    /// rejected while the folded account is locked or the user disabled. It never clears
    /// the MFA counter.
    pub fn success(&mut self, policy: &MfaPolicy, now: Instant) -> Outcome {
        let result = self.attempt(policy, now, |account| {
            Ok::<_, Infallible>(account.password.success(&policy.password, now))
        });
        match result {
            Ok(outcome) => outcome,
            Err(never) => match never {},
        }
    }

    /// A wrong MFA code (or a denied push) at `now`: counted by the MFA policy, rejected
    /// while the folded account is locked or the user disabled.
    pub fn mfa_failure(&mut self, policy: &MfaPolicy, now: Instant) -> Result<Outcome, MfaError> {
        let mfa_policy = policy.mfa_or_error()?;
        self.attempt(policy, now, |account| {
            account
                .mfa
                .failure(mfa_policy, now, None)
                .map_err(MfaError::Capacity)
        })
    }

    /// A right MFA code at `now`: clears the MFA counter only; rejected while the folded
    /// account is locked or the user disabled.
    pub fn mfa_success(&mut self, policy: &MfaPolicy, now: Instant) -> Result<Outcome, MfaError> {
        let mfa_policy = policy.mfa_or_error()?;
        self.attempt(policy, now, |account| {
            Ok(account.mfa.success(mfa_policy, now))
        })
    }

    /// Begins a password attempt ([`Account::begin_attempt`], behaviour §7.1), refused
    /// while the folded account is locked or the user disabled.
    pub fn begin_attempt(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
    ) -> Result<AttemptStart, CapacityError> {
        let mut next = *self;
        let mut transitions = Transitions::NONE;
        next.observe(policy, now, &mut transitions);
        let start = match next.rejection() {
            Some(rejection) => AttemptStart {
                outcome: Outcome::attempt(Some(rejection), Transitions::NONE),
                token: None,
            },
            None => next.password.begin_attempt(&policy.password, now)?,
        };
        *self = next;
        Ok(AttemptStart {
            outcome: merged(start.outcome, transitions),
            token: start.token,
        })
    }

    /// Finishes a password attempt with its verdict ([`Account::finish_attempt`]). While
    /// the folded account is locked or the user disabled, the verdict is rejected and the
    /// attempt leaves flight all the same.
    pub fn finish_attempt(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, AttemptError> {
        let mut next = *self;
        let mut transitions = Transitions::NONE;
        next.observe(policy, now, &mut transitions);
        let outcome = match next.mfa_rejection() {
            // Only the MFA source's lock is unknown to the password source.
            Some(rejection) if next.password.rejection().is_none() => {
                if !next.password.leave_flight(token) {
                    return Err(AttemptError::UnknownAttempt);
                }
                Outcome::attempt(Some(rejection), Transitions::NONE)
            }
            _ => next
                .password
                .finish_attempt(&policy.password, now, token, verdict)?,
        };
        *self = next;
        Ok(merged(outcome, transitions))
    }

    /// After restoring stored state: every password attempt in flight counts as a
    /// failure at `now` ([`Account::recover`]), each rejected while the folded account is
    /// locked or the user disabled.
    pub fn recover(&mut self, policy: &MfaPolicy, now: Instant) -> Result<Outcome, CapacityError> {
        let mut next = *self;
        let mut transitions = Transitions::NONE;
        next.observe(policy, now, &mut transitions);
        let outcome = if next.mfa_rejection().is_some() {
            next.password.drop_attempts();
            Outcome::administrative(Transitions::NONE)
        } else {
            next.password.recover(&policy.password, now)?
        };
        *self = next;
        Ok(merged(outcome, transitions))
    }

    /// PingOne's account unlock: ends every lock (password, MFA, administrator) and
    /// clears both counters. Reports `USER.UNLOCKED` when the account was locked.
    pub fn unlock(&mut self, policy: &MfaPolicy, now: Instant) -> AdminOutcome {
        self.administer(policy, now, |account, transitions| {
            account.password.absorb_lock_of(&mut account.mfa);
            account.mfa.clear_history();
            merged(account.password.unlock(&policy.password, now), transitions)
        })
    }

    /// PingOne's password unlock: ends the password source's lock (not an MFA or an
    /// administrator's) and clears its history; clears the MFA counter too unless the MFA
    /// source holds a lock at `now`. Reports `PASSWORD.UNLOCKED`, then `USER.UNLOCKED`
    /// when this made the account `OK`.
    pub fn unlock_password(&mut self, policy: &MfaPolicy, now: Instant) -> AdminOutcome {
        let mut administered = self.administer(policy, now, |account, mut transitions| {
            account
                .password
                .end_automatic_lock_and_history(now, &mut transitions);
            if account.mfa.held_lock_until().is_none() {
                account.mfa.clear_history();
            }
            Outcome::administrative(transitions)
        });
        administered.events.password_unlocked = true;
        administered
    }

    /// Administrator lock until `until`, or with no deadline ([`Account::lock`]). On an
    /// account that a source locked (password or MFA) it takes the lock over: `lockedAt`
    /// is kept and both counters are cleared, as an unlock would; on an `OK` account it
    /// leaves both counters alone.
    pub fn lock(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        until: Option<Instant>,
    ) -> Result<Outcome, LockError> {
        if until.is_some_and(|until| until <= now) {
            return Err(LockError::UnlockAtNotInFuture);
        }
        let administered = self.administer(policy, now, |account, transitions| {
            account.password.absorb_lock_of(&mut account.mfa);
            // The deadline was checked above, so the password source's lock cannot refuse.
            let outcome = account
                .password
                .lock(&policy.password, now, until)
                .unwrap_or_else(|_| Outcome::administrative(Transitions::NONE));
            merged(outcome, transitions)
        });
        Ok(administered.outcome)
    }

    /// Administrator patch of the account fields ([`Account::patch`], behaviour §4), on
    /// the folded account: `status: "OK"` and `canAuthenticate: true` end every lock and
    /// clear both counters, as an unlock does; a lock taken over from a source keeps its
    /// `lockedAt` and clears both counters. On error nothing changes.
    pub fn patch(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        patch: &Patch,
    ) -> Result<Outcome, PatchError> {
        // With the attempts that timed out by `now` counted, as every answer is.
        patch.check_deadline(|| self.view_with(policy, now).status, now)?;
        // Only what ends a lock or sets its deadline takes an MFA lock over; `status:
        // "LOCKED"` alone on a locked account does nothing (behaviour §4), and
        // `canAuthenticate: false` leaves the lock as it is.
        let moves_the_lock = patch.status == Some(Status::Ok)
            || patch.unlock_at.is_some()
            || patch.can_authenticate == Some(true);
        let mut failed = None;
        let mut next = *self;
        let administered = next.administer(policy, now, |account, transitions| {
            let mut patch = *patch;
            if moves_the_lock {
                account.password.absorb_lock_of(&mut account.mfa);
            } else if account.mfa.held_lock_cause().is_some() {
                // The folded account is locked: the status part has nothing to do.
                patch.status = None;
            }
            match account.password.patch(&policy.password, now, &patch) {
                Ok(outcome) => {
                    if patch.status == Some(Status::Ok) || patch.can_authenticate == Some(true) {
                        account.mfa.clear_history();
                    }
                    merged(outcome, transitions)
                }
                Err(error) => {
                    failed = Some(error);
                    Outcome::administrative(Transitions::NONE)
                }
            }
        });
        match failed {
            Some(error) => Err(error),
            None => {
                *self = next;
                Ok(administered.outcome)
            }
        }
    }

    /// Applies an [`crate::Operation`] to the folded account, as its method would.
    pub fn apply(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        operation: crate::Operation,
    ) -> Result<Outcome, OperationError> {
        use crate::Operation;
        let mut next = *self;
        let outcome = match operation {
            Operation::Check => next.check(policy, now),
            Operation::Failure { credential } => next.failure(policy, now, credential)?,
            Operation::Success => next.success(policy, now),
            Operation::Unlock => next.unlock(policy, now).outcome,
            Operation::Lock { until } => next.lock(policy, now, until)?,
            Operation::Patch(patch) => next.patch(policy, now, &patch)?,
        };
        *self = next;
        Ok(outcome)
    }

    /// Observes `now` in both sources, in time order: the clock-regression shift, then
    /// each lock that ends and each password attempt that times out, earliest first. A
    /// timed-out attempt is rejected (not counted) while the MFA source holds a lock.
    fn observe(&mut self, policy: &MfaPolicy, now: Instant, transitions: &mut Transitions) {
        self.password.regress_to(now);
        self.mfa.regress_to(now);
        // Without an MFA policy the source only ever holds what `from_parts` gave it.
        let mfa_policy = policy.mfa.as_ref().unwrap_or(&Policy::NEVER_LOCK);
        loop {
            let password_due = self.password.next_due(&policy.password, now);
            let mfa_due = self.mfa.next_due(mfa_policy, now);
            match (password_due, mfa_due) {
                (None, None) => break,
                (Some(password), Some(Due::Expiry(mfa_until))) if due_at(password) < mfa_until => {
                    self.step_password(policy, now, password, transitions);
                }
                (Some(password), None) => self.step_password(policy, now, password, transitions),
                (_, Some(_)) => {
                    self.mfa.step(mfa_policy, now, transitions);
                }
            }
        }
    }

    /// This account as an event at `now` would find it, before the event's own rule.
    fn observed(&self, policy: &MfaPolicy, now: Instant) -> Self {
        let mut observed = *self;
        let mut transitions = Transitions::NONE;
        observed.observe(policy, now, &mut transitions);
        observed
    }

    /// Applies the password source's next due change.
    fn step_password(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        due: Due,
        transitions: &mut Transitions,
    ) {
        if matches!(due, Due::Timeout(_)) && self.mfa.held_lock_until().is_some() {
            self.password.drop_oldest_attempt();
        } else {
            self.password.step(&policy.password, now, transitions);
        }
    }

    /// The rejection of an attempt by the folded account, once observed: disabled, or
    /// locked by either source with the folded deadline.
    fn rejection(&self) -> Option<Rejection> {
        self.password.rejection().or_else(|| self.mfa_rejection())
    }

    /// The rejection the MFA source's lock alone causes.
    fn mfa_rejection(&self) -> Option<Rejection> {
        self.mfa
            .held_lock_until()
            .map(|unlock_at| Rejection::Locked { unlock_at })
    }

    /// An attempt on the folded account: observe, reject while locked or disabled,
    /// otherwise `apply` on a source. Kept only if `apply` succeeds.
    fn attempt<E>(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        apply: impl FnOnce(&mut Self) -> Result<Outcome, E>,
    ) -> Result<Outcome, E> {
        let mut next = *self;
        let mut observed = Transitions::NONE;
        next.observe(policy, now, &mut observed);
        let outcome = match next.rejection() {
            Some(rejection) => Outcome::attempt(Some(rejection), Transitions::NONE),
            None => apply(&mut next)?,
        };
        *self = next;
        Ok(merged(outcome, observed))
    }

    /// An administrator action: observe, `apply`, and report `USER.UNLOCKED` when the
    /// status went from `LOCKED` (after the expiries due at `now`) to `OK`. An action
    /// that ended or took over a lock a source started clears both counters, as an
    /// unlock would ([behaviour §7.3](crate::behaviour#s7-3)); the password source's own
    /// rules clear its counter.
    fn administer(
        &mut self,
        policy: &MfaPolicy,
        now: Instant,
        apply: impl FnOnce(&mut Self, Transitions) -> Outcome,
    ) -> AdminOutcome {
        let mut next = *self;
        let mut observed = Transitions::NONE;
        next.observe(policy, now, &mut observed);
        let was_locked = next.view(now).status == Status::Locked;
        let automatic_before = next.automatic_lock_held();
        let outcome = apply(&mut next, observed);
        if automatic_before && !next.automatic_lock_held() {
            next.mfa.clear_history();
        }
        let user_unlocked = was_locked && next.view(now).status == Status::Ok;
        *self = next;
        AdminOutcome {
            outcome,
            events: AccountEvents {
                password_unlocked: false,
                user_unlocked,
            },
        }
    }

    /// Whether a source holds a lock that attempts started (not an administrator's).
    /// For an observed account.
    fn automatic_lock_held(&self) -> bool {
        self.mfa.held_lock_cause().is_some()
            || self
                .password
                .held_lock_cause()
                .is_some_and(LockCause::is_automatic)
    }
}

/// When a due change happens.
const fn due_at(due: Due) -> Instant {
    match due {
        Due::Expiry(at) | Due::Timeout(at) => at,
    }
}

/// `outcome` with the transitions observed before it listed first.
fn merged(outcome: Outcome, observed: Transitions) -> Outcome {
    let transitions = joined(observed, outcome.transitions());
    match outcome.decision() {
        Some(Decision::Rejected(rejection)) => Outcome::attempt(Some(rejection), transitions),
        Some(Decision::Allowed) => Outcome::attempt(None, transitions),
        None => Outcome::administrative(transitions),
    }
}

/// The transitions of `first`, then those of `then`.
fn joined(first: Transitions, then: Transitions) -> Transitions {
    let mut all = first;
    for transition in then.iter() {
        all.push(transition);
    }
    all
}
