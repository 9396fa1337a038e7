//! The accounts of one process: four [`LockoutTable`]s behind one mutex.
//!
//! - **passwords**: each user's password source, by user id (the attempt protocol runs
//!   here), which also holds the administrator's lock and the `canAuthenticate` flag;
//! - **mfa**: each user's MFA source, by user id;
//! - **unknown names**: 256 buckets that the names the directory does not know hash to
//!   (under a key drawn at start-up), counted under the password policy, so that a
//!   spray of made-up names costs no memory per name and is judged like real users;
//! - **sources**: each client address (IPv4, or IPv6 by /64), under [`Policies::source`].
//!
//! A login begins an attempt at its source, then at its account, under one lock: a
//! refusal at the account hands the source's reservation back, as a success the source
//! policy keeps no trace of (its `onSuccess` is `keep`). A source table full of active
//! addresses lets a login through uncounted at the source: the account's own limit still
//! holds, and refusing every new address would lock everyone out.
//!
//! The view folds the two sources of a user ([behaviour §2](account_lockout::behaviour#s2)).
//! The administrator actions follow [behaviour §7.3](account_lockout::behaviour#s7-3) with
//! two tables rather than one account: the account unlock, and a patch that unlocks,
//! unlock both sources; the password unlock ends no administrator lock, and so leaves the
//! password's history under such a lock as it is; an administrator lock on an account
//! that MFA locked leaves the MFA lock running beside it.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use account_lockout::{
    AccountView, AttemptError, AttemptStart, AttemptToken, CapacityError, Decision, Instant,
    LockCause, LockoutTable, OperationError, Patch, Rejection, Status, TableError, Verdict,
};

use super::{
    AccountEvent, AccountStates, AdminDone, AdminError, Admission, LoginStart, LoginSubject,
    Policies, Refusal, StateError, source_key,
};

/// Slots for users with information (locked, counting, or with an attempt in flight).
const USERS: usize = 64;
/// The buckets of unknown names (a power of two: a bucket is the hash's low bits).
const UNKNOWN_BUCKETS: usize = 256;
const BUCKET_MASK: u64 = 255;
/// Slots for client addresses with information. A table is built on the stack before it
/// is boxed (a debug build keeps several copies there), so the sizes stay well inside a
/// 2 MiB thread stack: some 95 KiB here, 55 KiB for the unknown names.
const SOURCES: usize = 256;
/// Logins verified at once from one address ([`Policies::source_limit`]'s maximum).
const SOURCE_ATTEMPTS: usize = 16;

type Passwords = LockoutTable<String, USERS>;
/// No attempts in flight: MFA codes are checked and counted in one step.
type MfaSources = LockoutTable<String, USERS, 0, 0, 0>;
type UnknownNames = LockoutTable<u16, UNKNOWN_BUCKETS>;
type Sources = LockoutTable<IpAddr, SOURCES, 0, 0, SOURCE_ATTEMPTS>;

/// The account an attempt counts against.
#[derive(Clone, Debug, PartialEq, Eq)]
enum AccountKey {
    User(String),
    Bucket(u16),
}

/// A begun login's reservations: at its account, and at its source unless the source
/// table was full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryTicket {
    account: AttemptToken,
    source: Option<(IpAddr, AttemptToken)>,
}

struct Tables {
    // Boxed, so that the mutex and the futures that hold it stay small.
    passwords: Box<Passwords>,
    mfa: Box<MfaSources>,
    unknown: Box<UnknownNames>,
    sources: Box<Sources>,
}

/// The in-memory [`AccountStates`].
///
/// ```
/// use account_lockout::{Instant, Status};
/// use account_lockout_service::state::{memory::MemoryStates, AccountStates, Policies};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let states = MemoryStates::new(Policies::defaults().unwrap());
/// let done = states.lock("some-user", None, Instant::from_secs(10)).await.unwrap();
/// assert_eq!(done.view.status, Status::Locked);
/// let done = states.unlock("some-user", Instant::from_secs(20)).await.unwrap();
/// assert_eq!(done.events.len(), 1); // USER.UNLOCKED
/// # });
/// ```
pub struct MemoryStates {
    policies: Policies,
    tables: Mutex<Tables>,
    /// Keyed at random per process, so that nobody can aim names at one bucket.
    buckets: RandomState,
}

impl MemoryStates {
    /// Empty tables under `policies`.
    #[must_use]
    pub fn new(policies: Policies) -> MemoryStates {
        MemoryStates {
            policies,
            tables: Mutex::new(Tables {
                passwords: Box::new(LockoutTable::new()),
                mfa: Box::new(LockoutTable::new()),
                unknown: Box::new(LockoutTable::new()),
                sources: Box::new(LockoutTable::new()),
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
        // Every table operation is all-or-nothing and none panics, so a poisoned lock
        // still guards consistent tables.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn account_key(&self, subject: &LoginSubject) -> AccountKey {
        match subject {
            LoginSubject::User(id) => AccountKey::User(id.clone()),
            LoginSubject::UnknownName(name) => {
                let bucket = self.buckets.hash_one(name) & BUCKET_MASK;
                AccountKey::Bucket(u16::try_from(bucket).unwrap_or(0))
            }
        }
    }
}

/// The refusal a rejected attempt at an account gets.
fn account_refusal(decision: Option<Decision>) -> Refusal {
    match decision {
        Some(Decision::Rejected(Rejection::Busy)) => Refusal::Busy,
        _ => Refusal::Denied,
    }
}

/// The refusal a rejected attempt at a source gets.
fn source_refusal(decision: Option<Decision>, now: Instant) -> Refusal {
    match decision {
        Some(Decision::Rejected(Rejection::Busy)) => Refusal::Busy,
        Some(Decision::Rejected(rejection)) => Refusal::SourceThrottled {
            retry_after: rejection.unlock_in(now),
        },
        _ => Refusal::SourceThrottled { retry_after: None },
    }
}

fn begin_error(error: TableError<CapacityError>) -> StateError {
    match error {
        TableError::Full => StateError::Full,
        _ => StateError::AccountTooSmall,
    }
}

fn admin_error(error: TableError<OperationError>) -> AdminError {
    match error {
        TableError::Operation(error) => AdminError::Refused(error),
        _ => AdminError::State(StateError::Full),
    }
}

impl Tables {
    /// The password source and the MFA source of `user` folded, at `now`.
    fn view(&self, policies: &Policies, user: &String, now: Instant) -> AccountView {
        let password = self.passwords.view_with(&policies.password, user, now);
        password.fold(self.mfa.view_with(&policies.mfa, user, now))
    }

    /// Begins the attempt at the account: its token, or why not.
    fn begin_account(
        &mut self,
        policies: &Policies,
        key: &AccountKey,
        now: Instant,
    ) -> Result<Result<AttemptToken, Refusal>, StateError> {
        let start: AttemptStart = match key {
            AccountKey::User(id) => {
                // An MFA lock locks the whole account.
                if self.mfa.view_with(&policies.mfa, id, now).status == Status::Locked {
                    return Ok(Err(Refusal::Denied));
                }
                self.passwords
                    .begin_attempt(&policies.password, id.clone(), now)
                    .map_err(begin_error)?
            }
            AccountKey::Bucket(bucket) => self
                .unknown
                .begin_attempt(&policies.password, *bucket, now)
                .map_err(begin_error)?,
        };
        Ok(start
            .token
            .ok_or_else(|| account_refusal(start.outcome.decision())))
    }

    /// Ends the attempt at the source with `verdict` (a success leaves no trace there).
    fn finish_source(
        &mut self,
        policies: &Policies,
        source: Option<(IpAddr, AttemptToken)>,
        verdict: Verdict,
        now: Instant,
    ) {
        if let Some((address, token)) = source {
            // The only refusal possible is an attempt that already timed out, and so was
            // counted as a failure: nothing is left to do.
            let _refused =
                self.sources
                    .finish_attempt(&policies.source, address, now, token, verdict);
        }
    }

    /// The folded status of `user` at `now`, then `action`, then the status after it and
    /// the view.
    fn admin(
        &mut self,
        policies: &Policies,
        user: &String,
        now: Instant,
        action: impl FnOnce(&mut Tables) -> Result<Option<AccountEvent>, AdminError>,
    ) -> Result<(Status, Option<AccountEvent>, AccountView), AdminError> {
        let before = self.view(policies, user, now).status;
        let first = action(self)?;
        Ok((before, first, self.view(policies, user, now)))
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
        let policies = &self.policies;
        let key = self.account_key(subject);
        let address = source_key(source);
        let mut tables = self.tables();
        // The source first: a throttled address is told so, whatever the account says.
        let source_token = match tables.sources.begin_attempt(&policies.source, address, now) {
            Ok(start) => match start.token {
                Some(token) => Some((address, token)),
                None => {
                    let refusal = source_refusal(start.outcome.decision(), now);
                    return Ok(LoginStart::Refused(refusal));
                }
            },
            Err(TableError::Full) => None,
            Err(_) => return Err(StateError::AccountTooSmall),
        };
        let account = tables.begin_account(policies, &key, now);
        if !matches!(account, Ok(Ok(_))) {
            tables.finish_source(policies, source_token, Verdict::Success, now);
        }
        Ok(match account? {
            Ok(token) => LoginStart::Verify(MemoryTicket {
                account: token,
                source: source_token,
            }),
            Err(refusal) => LoginStart::Refused(refusal),
        })
    }

    async fn login_finish(
        &self,
        subject: &LoginSubject,
        _source: IpAddr,
        ticket: MemoryTicket,
        verdict: Verdict,
        now: Instant,
    ) -> Result<Admission, StateError> {
        let policies = &self.policies;
        let key = self.account_key(subject);
        let mut tables = self.tables();
        let finished = match &key {
            AccountKey::User(id) => tables.passwords.finish_attempt(
                &policies.password,
                id.clone(),
                now,
                ticket.account,
                verdict,
            ),
            AccountKey::Bucket(bucket) => tables.unknown.finish_attempt(
                &policies.password,
                *bucket,
                now,
                ticket.account,
                verdict,
            ),
        };
        tables.finish_source(policies, ticket.source, verdict, now);
        let allowed = match finished {
            Ok(outcome) => outcome.is_allowed(),
            // The attempt timed out, and so counted as a failure.
            Err(TableError::Operation(AttemptError::UnknownAttempt)) => false,
            Err(TableError::Full) => return Err(StateError::Full),
            Err(_) => return Err(StateError::AccountTooSmall),
        };
        let open = match &key {
            AccountKey::User(id) => tables.view(policies, id, now).can_authenticate,
            AccountKey::Bucket(_) => true,
        };
        Ok(if verdict == Verdict::Success && allowed && open {
            Admission::Admitted
        } else {
            Admission::Denied
        })
    }

    async fn mfa(
        &self,
        user_id: &str,
        code_ok: bool,
        now: Instant,
    ) -> Result<Admission, StateError> {
        let policies = &self.policies;
        let user = user_id.to_owned();
        let mut tables = self.tables();
        if !tables.view(policies, &user, now).can_authenticate {
            return Ok(Admission::Denied);
        }
        if code_ok {
            let _ = tables
                .mfa
                .success(&policies.mfa, user, now)
                .map_err(begin_error)?;
            Ok(Admission::Admitted)
        } else {
            let _ = tables
                .mfa
                .failure(&policies.mfa, user, now, None)
                .map_err(begin_error)?;
            Ok(Admission::Denied)
        }
    }

    async fn view(&self, user_id: &str, now: Instant) -> Result<AccountView, StateError> {
        Ok(self.tables().view(&self.policies, &user_id.to_owned(), now))
    }

    async fn unlock(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policies = &self.policies;
        let user = user_id.to_owned();
        let (before, _, view) = self.tables().admin(policies, &user, now, |tables| {
            let _ = tables
                .passwords
                .unlock(&policies.password, user.clone(), now)
                .map_err(admin_error)?;
            // An unlocked MFA source holds nothing, so the table never needs a slot for it.
            let _ = tables
                .mfa
                .unlock(&policies.mfa, user.clone(), now)
                .map_err(admin_error)?;
            Ok(None)
        })?;
        Ok(AdminDone {
            view,
            events: AccountEvent::of_unlock(None, before, view.status),
        })
    }

    async fn unlock_password(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policies = &self.policies;
        let user = user_id.to_owned();
        let (before, first, view) = self.tables().admin(policies, &user, now, |tables| {
            let administrator = tables
                .passwords
                .get(&user)
                .and_then(|account| account.lock_cause(now))
                == Some(LockCause::Administrator);
            if !administrator {
                let _ = tables
                    .passwords
                    .unlock(&policies.password, user.clone(), now)
                    .map_err(admin_error)?;
            }
            // The MFA counter is cleared too, unless MFA is what locked the account.
            if tables.mfa.view_with(&policies.mfa, &user, now).status == Status::Ok {
                let _ = tables
                    .mfa
                    .unlock(&policies.mfa, user.clone(), now)
                    .map_err(admin_error)?;
            }
            Ok(Some(AccountEvent::PasswordUnlocked))
        })?;
        Ok(AdminDone {
            view,
            events: AccountEvent::of_unlock(first, before, view.status),
        })
    }

    async fn lock(
        &self,
        user_id: &str,
        until: Option<Instant>,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policies = &self.policies;
        let user = user_id.to_owned();
        let (_, _, view) = self.tables().admin(policies, &user, now, |tables| {
            let _ = tables
                .passwords
                .lock(&policies.password, user.clone(), now, until)
                .map_err(admin_error)?;
            Ok(None)
        })?;
        Ok(AdminDone {
            view,
            events: Vec::new(),
        })
    }

    async fn patch(
        &self,
        user_id: &str,
        patch: Patch,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policies = &self.policies;
        let user = user_id.to_owned();
        let unlocks = patch.status == Some(Status::Ok) || patch.can_authenticate == Some(true);
        let (_, _, view) = self.tables().admin(policies, &user, now, |tables| {
            let _ = tables
                .passwords
                .patch(&policies.password, user.clone(), now, patch)
                .map_err(admin_error)?;
            if unlocks {
                let _ = tables
                    .mfa
                    .unlock(&policies.mfa, user.clone(), now)
                    .map_err(admin_error)?;
            }
            Ok(None)
        })?;
        Ok(AdminDone {
            view,
            events: Vec::new(),
        })
    }
}
