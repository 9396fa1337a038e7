//! The accounts of one process, behind one mutex:
//!
//! - **users**: each user's [`MfaAccount`], by user id: the password source (where the
//!   attempt protocol runs, with the administrator's lock and the `canAuthenticate`
//!   flag) and the MFA source, folded and administered as
//!   [behaviour §7.3](account_lockout::behaviour#s7-3) says; at most 1,024 users;
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

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use account_lockout::{
    AccountView, AdminOutcome, AttemptError, AttemptStart, AttemptToken, CapacityError, Decision,
    Instant, LockoutTable, MfaAccount, OperationError, Patch, Rejection, TableError, Verdict,
};

use super::{
    AccountStates, AdminDone, AdminError, Admission, LoginStart, LoginSubject, Policies, Refusal,
    StateError, source_key,
};

/// The most users with an account here (the directory's users; a caller that makes up
/// ids gets [`StateError::Full`] beyond it rather than unbounded memory).
const USERS: usize = 1_024;
/// The buckets of unknown names (a power of two: a bucket is the hash's low bits).
const UNKNOWN_BUCKETS: usize = 256;
const BUCKET_MASK: u64 = 255;
/// Slots for client addresses with information. A table is built on the stack before it
/// is boxed (a debug build keeps several copies there), so the sizes stay well inside a
/// 2 MiB thread stack: some 95 KiB here, 55 KiB for the unknown names.
const SOURCES: usize = 256;
/// Logins verified at once from one address ([`Policies::source_limit`]'s maximum).
const SOURCE_ATTEMPTS: usize = 16;

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
    users: HashMap<String, MfaAccount>,
    // Boxed, so that the mutex and the futures that hold it stay small.
    unknown: Box<UnknownNames>,
    sources: Box<Sources>,
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
                users: HashMap::new(),
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
        // Every operation is all-or-nothing and none panics, so a poisoned lock still
        // guards consistent tables.
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

impl Tables {
    /// The account of `user`, made on first use while there is room.
    fn user(&mut self, user: &str) -> Result<&mut MfaAccount, StateError> {
        if !self.users.contains_key(user) && self.users.len() >= USERS {
            return Err(StateError::Full);
        }
        Ok(self.users.entry(user.to_owned()).or_default())
    }

    /// The folded view of `user` at `now` (a user never seen is open).
    fn view(&self, policies: &Policies, user: &str, now: Instant) -> AccountView {
        self.users
            .get(user)
            .copied()
            .unwrap_or_default()
            .view_with(&policies.account, now)
    }

    /// Begins the attempt at the account: its token, or why not.
    fn begin_account(
        &mut self,
        policies: &Policies,
        key: &AccountKey,
        now: Instant,
    ) -> Result<Result<AttemptToken, Refusal>, StateError> {
        let start: AttemptStart = match key {
            AccountKey::User(id) => self
                .user(id)?
                .begin_attempt(&policies.account, now)
                .map_err(|_| StateError::AccountTooSmall)?,
            AccountKey::Bucket(bucket) => self
                .unknown
                .begin_attempt(policies.account.password(), *bucket, now)
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

    /// An administrator `action` on `user`'s account: the view after it, and its events.
    fn administer(
        &mut self,
        policies: &Policies,
        user: &str,
        now: Instant,
        action: impl FnOnce(&mut MfaAccount) -> Result<AdminOutcome, OperationError>,
    ) -> Result<AdminDone, AdminError> {
        let account = self.user(user)?;
        // The action is all-or-nothing: a refused one leaves the account as it was.
        let done = action(account).map_err(AdminError::Refused)?;
        Ok(AdminDone {
            view: account.view_with(&policies.account, now),
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
            AccountKey::User(id) => tables
                .user(id)?
                .finish_attempt(&policies.account, now, ticket.account, verdict)
                .map_err(TableError::Operation),
            AccountKey::Bucket(bucket) => tables.unknown.finish_attempt(
                policies.account.password(),
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
        let policy = &self.policies.account;
        let mut tables = self.tables();
        let account = tables.user(user_id)?;
        // Rejected (and so not counted) while the account is locked or the user disabled.
        let outcome = if code_ok {
            account.mfa_success(policy, now)
        } else {
            account.mfa_failure(policy, now)
        }
        .map_err(|_| StateError::AccountTooSmall)?;
        Ok(if code_ok && outcome.is_allowed() {
            Admission::Admitted
        } else {
            Admission::Denied
        })
    }

    async fn view(&self, user_id: &str, now: Instant) -> Result<AccountView, StateError> {
        Ok(self.tables().view(&self.policies, user_id, now))
    }

    async fn unlock(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.tables()
            .administer(&self.policies, user_id, now, |account| {
                Ok(account.unlock(policy, now))
            })
    }

    async fn unlock_password(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.tables()
            .administer(&self.policies, user_id, now, |account| {
                Ok(account.unlock_password(policy, now))
            })
    }

    async fn lock(
        &self,
        user_id: &str,
        until: Option<Instant>,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.tables()
            .administer(&self.policies, user_id, now, |account| {
                let outcome = account.lock(policy, now, until)?;
                Ok(AdminOutcome {
                    outcome,
                    events: Default::default(),
                })
            })
    }

    async fn patch(
        &self,
        user_id: &str,
        patch: Patch,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.tables()
            .administer(&self.policies, user_id, now, |account| {
                let outcome = account.patch(policy, now, &patch)?;
                Ok(AdminOutcome {
                    outcome,
                    events: Default::default(),
                })
            })
    }
}
