//! The accounts of one process, behind one mutex:
//!
//! - **the guard** ([`Guard`]): the user scope, which is each account's password source
//!   (where the attempt protocol runs, with the administrator's lock and the
//!   `canAuthenticate` flag), the user × source scope and the source scope (IPv4
//!   addresses, IPv6 /64s), each under its policy of [`Policies`]. A login is judged by
//!   all three and recorded in all three, or in none;
//! - **the MFA sources**: each user's MFA counter and lock, by user id, at most 1,024.
//!
//! Every read and administrator action folds a user's password source (from the guard)
//! and MFA source into the crate's [`MfaAccount`], which applies PingOne's rules
//! ([behaviour §7.3](account_lockout::behaviour#s7-3)), and then puts both back. Names the
//! directory does not know are counted in 256 user keys that they hash to (under a key
//! drawn at start-up), so a spray of made-up names costs no memory per name and is
//! judged like real users.
//!
//! A password verdict that arrives while MFA holds the lock is abandoned in every scope
//! ([`Guard::abandon`]), as [`MfaAccount::finish_attempt`] rejects it. One difference
//! remains: a password attempt in flight that *times out* while MFA holds the lock is
//! counted by the guard, where the folded account would reject it
//! ([behaviour §7.6](account_lockout::behaviour#s7-6)); only an attempt begun before the
//! MFA lock and never finished can do that.

use core::fmt;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use account_lockout::events::{record, record_rejection};
use account_lockout::{
    AccountView, AdminOutcome, Answer, Decision, Disclosure, Guard, GuardDecision, GuardError,
    GuardPolicy, GuardToken, Instant, MfaAccount, MfaSource, OperationError, Outcome, Patch,
    PerScope, Rejection, Scope, ScopeKey, Status, Verdict,
};

use super::{
    AccountStates, AdminDone, AdminError, Admission, LoginStart, LoginSubject, Policies, Refusal,
    StateError,
};

/// The most users with an MFA source here (the directory's users; a caller that makes up
/// ids gets [`StateError::Full`] beyond it rather than unbounded memory).
const USERS: usize = 1_024;
/// The user keys of unknown names (a power of two: a key is the hash's low bits).
const UNKNOWN_BUCKETS: u64 = 256;
/// The guard's tables hold accounts with information only (a dormant one is forgotten):
/// room for every user and bucket, and for 4,096 active addresses and user × address
/// pairs.
const GUARD_USERS: usize = 2_048;
const PAIRS: usize = 4_096;
const SOURCES: usize = 4_096;

type LoginGuard = Guard<AccountKey, GUARD_USERS, PAIRS, SOURCES>;

/// The user key an attempt counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AccountKey {
    /// A user of the directory, by id.
    User(String),
    /// The bucket that unknown names hash to.
    Bucket(u16),
}

impl fmt::Display for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountKey::User(id) => f.write_str(id),
            // Never the name: an unknown name is often a password typed in the wrong field.
            AccountKey::Bucket(bucket) => write!(f, "unknown-{bucket}"),
        }
    }
}

/// A begun login's attempt in flight in the guard's three scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryTicket(GuardToken);

struct Tables {
    // Boxed, so that the mutex and the futures that hold it stay small.
    guard: Box<LoginGuard>,
    mfa: HashMap<String, MfaSource>,
}

/// The in-memory [`AccountStates`].
///
/// ```
/// use account_lockout::{AccountEvent, Instant, Status};
/// use account_lockout_service::state::{memory::MemoryStates, AccountStates, Policies};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let states = MemoryStates::new(Policies::defaults().unwrap());
/// let done = states.lock("some-user", None, Instant::from_secs(10)).await.unwrap();
/// assert_eq!(done.view.status, Status::Locked);
/// let done = states.unlock("some-user", Instant::from_secs(20)).await.unwrap();
/// assert_eq!(done.events, [AccountEvent::UserUnlocked]);
/// # });
/// ```
pub struct MemoryStates {
    policies: Policies,
    guard_policy: GuardPolicy,
    tables: Mutex<Tables>,
    /// Keyed at random per process, so that nobody can aim names at one bucket.
    buckets: RandomState,
}

/// The guard, built on a thread of its own: its tables (some 2 MB) are built on the stack
/// before they are boxed, which a debug build does not optimise away, and a tokio or test
/// thread's 2 MiB stack is too small for that.
fn new_guard() -> Box<LoginGuard> {
    let built = std::thread::Builder::new()
        .name("guard-tables".into())
        .stack_size(64 << 20)
        .spawn(build_guard)
        .and_then(|thread| {
            thread
                .join()
                .map_err(|_| std::io::Error::other("building the guard's tables failed"))
        });
    // No thread to spare: build it here (a release build, or a larger stack, copes).
    built.unwrap_or_else(|_| build_guard())
}

/// Its own function, so that only the frame that builds the tables holds them.
#[inline(never)]
fn build_guard() -> Box<LoginGuard> {
    Box::new(LoginGuard::new())
}

impl MemoryStates {
    /// Empty tables under `policies`.
    #[must_use]
    pub fn new(policies: Policies) -> MemoryStates {
        MemoryStates {
            policies,
            guard_policy: policies.guard(),
            tables: Mutex::new(Tables {
                guard: new_guard(),
                mfa: HashMap::new(),
            }),
            buckets: RandomState::new(),
        }
    }

    /// The policies the accounts are judged under.
    #[must_use]
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // Every operation is all-or-nothing and none panics, so a poisoned lock still
        // guards consistent tables.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn account_key(&self, subject: &LoginSubject) -> AccountKey {
        match subject {
            LoginSubject::User(id) => AccountKey::User(id.clone()),
            LoginSubject::UnknownName(name) => {
                let bucket = self.buckets.hash_one(name) % UNKNOWN_BUCKETS;
                AccountKey::Bucket(u16::try_from(bucket).unwrap_or(0))
            }
        }
    }
}

/// The refusal of a login the guard rejected, as its disclosure allows: busy (retry soon)
/// when only the user's attempts in flight stand in the way; an address's own throttle;
/// otherwise a wrong password.
fn refusal(decision: GuardDecision, disclosure: Disclosure, now: Instant) -> Refusal {
    if let GuardDecision::Rejected {
        rejection: Rejection::Busy,
        source: None,
        ..
    } = decision
    {
        return Refusal::Busy;
    }
    match decision.answer(disclosure, now) {
        Answer::RetryAfter(retry_after) => Refusal::SourceThrottled { retry_after },
        Answer::WrongCredential | Answer::Verify => Refusal::Denied,
    }
}

fn guard_error(error: GuardError) -> StateError {
    match error {
        GuardError::Full(_) => StateError::Full,
        _ => StateError::AccountTooSmall,
    }
}

/// The subjects of one login in the guard's scopes, for its events.
struct Subjects<'a> {
    user: &'a AccountKey,
    source: IpAddr,
}

impl Subjects<'_> {
    /// One event (and count) per transition or refusal of each scope.
    fn report(&self, policy: &GuardPolicy, outcomes: &PerScope<Outcome>) {
        let source = policy.source_key(self.source);
        for (scope, outcome) in outcomes.iter() {
            let key = match scope {
                Scope::User => ScopeKey::User(self.user),
                Scope::UserSource => ScopeKey::UserSource(self.user, source),
                Scope::Source => ScopeKey::Source(source),
            };
            record(scope.as_str(), &key, outcome);
        }
    }
}

impl Tables {
    /// `user`'s folded account: its password source from the guard, its MFA source.
    fn account(&self, user: &str) -> MfaAccount {
        let key = AccountKey::User(user.to_owned());
        let mfa = self.mfa.get(user).copied().unwrap_or_default();
        MfaAccount::from_parts(self.guard.user_account(&key), mfa)
    }

    /// Whether `user`'s MFA source holds the lock at `now` (the password source allows,
    /// the folded account does not).
    fn mfa_holds_the_lock(&self, policies: &Policies, user: &str, now: Instant) -> bool {
        let account = self.account(user);
        !account.check(&policies.account, now).is_allowed()
            && account
                .password()
                .check(policies.account.password(), now)
                .is_allowed()
    }

    /// Puts `account` back: all of it, or (when a table is full) none of it.
    fn store(
        &mut self,
        policy: &GuardPolicy,
        user: &str,
        account: MfaAccount,
        now: Instant,
    ) -> Result<(), StateError> {
        if !self.mfa.contains_key(user) && self.mfa.len() >= USERS {
            return Err(StateError::Full);
        }
        let (password, mfa) = account.into_parts();
        let key = AccountKey::User(user.to_owned());
        self.guard
            .restore_user(policy, key, now, password)
            .map_err(guard_error)?;
        self.mfa.insert(user.to_owned(), mfa);
        Ok(())
    }

    /// The folded view of `user` at `now` (a user never seen is open).
    fn view(&self, policies: &Policies, user: &str, now: Instant) -> AccountView {
        self.account(user).view_with(&policies.account, now)
    }

    /// Ends `user`'s user × source locks, and clears those counts.
    fn end_user_source_locks(&mut self, states: &MemoryStates, user: &str, now: Instant) {
        let key = AccountKey::User(user.to_owned());
        let policy = &states.guard_policy;
        self.guard
            .unlock_user_sources_with(policy, &key, now, |source, outcome| {
                let pair = ScopeKey::UserSource(&key, *source);
                record(Scope::UserSource.as_str(), &pair, outcome);
            });
    }

    /// An administrator `action` on `user`'s folded account: the view after it, and its
    /// events. A refused action, or one whose result cannot be stored, changes nothing.
    fn administer(
        &mut self,
        states: &MemoryStates,
        user: &str,
        now: Instant,
        action: impl FnOnce(&mut MfaAccount) -> Result<AdminOutcome, OperationError>,
    ) -> Result<AdminDone, AdminError> {
        let mut account = self.account(user);
        let done = action(&mut account).map_err(AdminError::Refused)?;
        self.store(&states.guard_policy, user, account, now)?;
        record("account", &user, &done.outcome);
        Ok(AdminDone {
            view: account.view_with(&states.policies.account, now),
            events: done.events.iter().collect(),
        })
    }
}

impl AccountStates for MemoryStates {
    type Ticket = MemoryTicket;

    async fn login_begin(
        &self,
        subject: &LoginSubject,
        source: IpAddr,
        now: Instant,
    ) -> Result<LoginStart<MemoryTicket>, StateError> {
        let key = self.account_key(subject);
        let mut tables = self.tables();
        // The guard's user scope is the password source alone: an account whose MFA
        // source holds the lock is refused here, as a wrong password; but only once the
        // guard would let the attempt through, so that a throttled address hears of its
        // throttle alone, as for every other name.
        if let AccountKey::User(id) = &key
            && tables
                .guard
                .check(&self.guard_policy, &key, source, now)
                .is_allowed()
        {
            let account = tables.account(id);
            let folded = account.check(&self.policies.account, now);
            if let Some(Decision::Rejected(rejection)) = folded.decision() {
                record_rejection("mfa", id, rejection);
                return Ok(LoginStart::Refused(Refusal::Denied));
            }
        }
        let start = tables
            .guard
            .begin(&self.guard_policy, &key, source, now)
            .map_err(guard_error)?;
        let subjects = Subjects { user: &key, source };
        subjects.report(&self.guard_policy, &start.outcomes);
        Ok(match start.token {
            Some(token) => LoginStart::Verify(MemoryTicket(token)),
            None => {
                LoginStart::Refused(refusal(start.decision, self.guard_policy.disclosure(), now))
            }
        })
    }

    async fn login_finish(
        &self,
        subject: &LoginSubject,
        source: IpAddr,
        ticket: MemoryTicket,
        verdict: Verdict,
        now: Instant,
    ) -> Result<Admission, StateError> {
        let key = self.account_key(subject);
        let mut tables = self.tables();
        let subjects = Subjects { user: &key, source };
        // An MFA lock that came while the password was being checked makes the verdict
        // moot, as MfaAccount::finish_attempt would: out of flight, counted nowhere.
        if let AccountKey::User(id) = &key
            && tables.mfa_holds_the_lock(&self.policies, id, now)
        {
            if let Ok(abandoned) =
                tables
                    .guard
                    .abandon(&self.guard_policy, &key, source, ticket.0, now)
            {
                subjects.report(&self.guard_policy, &abandoned.outcomes);
            }
            return Ok(Admission::Denied);
        }
        let finished =
            tables
                .guard
                .finish(&self.guard_policy, &key, source, ticket.0, now, verdict);
        let allowed = match finished {
            Ok(outcome) => {
                subjects.report(&self.guard_policy, &outcome.outcomes);
                outcome.decision.is_allowed()
            }
            // The attempt timed out, and so counted as a failure.
            Err(GuardError::UnknownAttempt) => false,
            Err(error) => return Err(guard_error(error)),
        };
        let open = match &key {
            AccountKey::User(id) => tables.view(&self.policies, id, now).can_authenticate,
            AccountKey::Bucket(_) => false,
        };
        Ok(Admission::when(
            verdict == Verdict::Success && allowed && open,
        ))
    }

    async fn mfa(
        &self,
        user_id: &str,
        code_ok: bool,
        now: Instant,
    ) -> Result<Admission, StateError> {
        let policy = &self.policies.account;
        let mut tables = self.tables();
        let mut account = tables.account(user_id);
        if policy.mfa().is_none() {
            // No MFA lockout: the code is checked, and counted nowhere.
            let open = account.view_with(policy, now).can_authenticate;
            return Ok(Admission::when(code_ok && open));
        }
        // Rejected (and so not counted) while the account is locked or the user disabled.
        let outcome = if code_ok {
            account.mfa_success(policy, now)
        } else {
            account.mfa_failure(policy, now)
        }
        .map_err(|_| StateError::AccountTooSmall)?;
        tables.store(&self.guard_policy, user_id, account, now)?;
        record("mfa", &user_id, &outcome);
        Ok(Admission::when(code_ok && outcome.is_allowed()))
    }

    async fn view(&self, user_id: &str, now: Instant) -> Result<AccountView, StateError> {
        Ok(self.tables().view(&self.policies, user_id, now))
    }

    async fn unlock(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        let mut tables = self.tables();
        let done =
            tables.administer(
                self,
                user_id,
                now,
                |account| Ok(account.unlock(policy, now)),
            )?;
        // It also lets the user in again from every address: it ends the user × source
        // locks (the user's own lock, just ended, is left as it is).
        tables.end_user_source_locks(self, user_id, now);
        Ok(done)
    }

    async fn unlock_password(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        let mut tables = self.tables();
        let done = tables.administer(self, user_id, now, |account| {
            Ok(account.unlock_password(policy, now))
        })?;
        // The user × source locks are password locks too.
        tables.end_user_source_locks(self, user_id, now);
        Ok(done)
    }

    async fn lock(
        &self,
        user_id: &str,
        until: Option<Instant>,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.tables().administer(self, user_id, now, |account| {
            Ok(account.lock(policy, now, until)?.into())
        })
    }

    async fn patch(
        &self,
        user_id: &str,
        patch: Patch,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        let mut tables = self.tables();
        let done = tables.administer(self, user_id, now, |account| {
            Ok(account.patch(policy, now, &patch)?.into())
        })?;
        // `status: "OK"` and `canAuthenticate: true` unlock, as the account unlock does.
        if patch.status == Some(Status::Ok) || patch.can_authenticate == Some(true) {
            tables.end_user_source_locks(self, user_id, now);
        }
        Ok(done)
    }
}
