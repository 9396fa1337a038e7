//! The account state behind the service: one trait, [`AccountStates`], that every handler
//! goes through, and its implementation for the accounts of one process, [`memory`].
//!
//! Handlers never touch an account directly. They ask the state to *begin* a login (which
//! reserves one failure of the lock's budget before the password is checked,
//! [behaviour §7.1](account_lockout::behaviour#s7-1)), *finish* it with the verdict, feed
//! the MFA source, read the folded view, and run the administrator actions. So an
//! implementation decides where accounts live and how the scopes combine, and the HTTP
//! layer stays the same.

pub mod fleet;
pub mod memory;

use core::fmt;
use std::future::Future;
use std::net::IpAddr;

use account_lockout::dialect::PingOne;
use account_lockout::{
    AccountView, Decay, Disclosure, Duration, GuardPolicy, Instant, LockLength, MfaPolicy,
    OnLockEnd, OnSuccess, OperationError, Patch, Policy, PolicyError, Rules, Verdict,
};

/// Whose lockout a login counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LoginSubject {
    /// A user of the directory, by id.
    User(String),
    /// A user name the directory does not know. Its attempts are verified against a
    /// dummy hash and counted like a real user's, so that neither the answer nor the
    /// time it takes tells a guesser which names exist.
    UnknownName(String),
}

/// Why a login was refused before its password was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The account is locked or the user disabled. Answered exactly as a wrong password,
    /// so that the answer tells nothing about the account.
    Denied,
    /// The attempts in flight already use the account's whole budget (or its
    /// `maxAttemptsInFlight`): try again when one finishes.
    Busy,
    /// The client's address (IPv4, or its IPv6 /64) failed too often; nothing about the
    /// account is disclosed. `retry_after` is when its lock ends, if it ends by itself.
    SourceThrottled {
        /// How long until the address may try again.
        retry_after: Option<Duration>,
    },
}

/// What beginning a login gave: a ticket to verify the password under, or a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoginStart<T> {
    /// Verify the password, then finish the login with this ticket.
    Verify(T),
    /// Answer without verifying.
    Refused(Refusal),
}

/// Whether a finished login or an MFA attempt let the user in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Admission {
    /// The credential was right and the account could authenticate.
    Admitted,
    /// A wrong credential, or an account locked or disabled when it was judged.
    Denied,
}

impl Admission {
    /// Admitted when `admitted`, else denied.
    #[must_use]
    pub const fn when(admitted: bool) -> Admission {
        if admitted {
            Admission::Admitted
        } else {
            Admission::Denied
        }
    }
}

/// A PingOne event an administrator action reported: the crate's own
/// ([behaviour §7.3](account_lockout::behaviour#s7-3)).
pub use account_lockout::AccountEvent;

/// What an administrator action did: the account's view after it, and the events it
/// emitted (in the order PingOne reports them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminDone {
    /// The folded view after the action, at the action's `now`.
    pub view: AccountView,
    /// The events, possibly none.
    pub events: Vec<AccountEvent>,
}

/// The state could not be read or written; nothing is known to have changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateError {
    /// Every slot of an in-memory table holds an account with information.
    Full,
    /// An account type is too small for its policy (a configuration error).
    AccountTooSmall,
    /// The shared store is down, slow or contended (the detail is logged where it
    /// happened).
    Unavailable,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateError::Full => "the lockout table is full of accounts that hold information",
            StateError::AccountTooSmall => "an account type is too small for its policy",
            StateError::Unavailable => "the account store is unavailable",
        })
    }
}

impl std::error::Error for StateError {}

/// An administrator action that changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// The action itself was refused, with a [behaviour §4](account_lockout::behaviour#s4) code.
    Refused(OperationError),
    /// The state could not be read or written.
    State(StateError),
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::Refused(error) => error.fmt(f),
            AdminError::State(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for AdminError {}

impl From<StateError> for AdminError {
    fn from(error: StateError) -> AdminError {
        AdminError::State(error)
    }
}

/// The policies of the service: each PingOne account's (a password source and an MFA
/// source), and the guard's two other scopes, a user from one address and an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policies {
    /// The account: PingOne's `failureCount` 5, `durationSeconds` 900 for the password,
    /// and 3 MFA failures locking for 600 s, by default. Its password policy is the
    /// guard's user scope; names the directory does not know are counted under it too.
    pub account: MfaPolicy,
    /// One user from one address (IPv4, or IPv6 by /64): 5 wrong passwords, each within
    /// 15 minutes of the one before, lock the address out of the user for 15 minutes, by
    /// default ([`Policies::pair_limit`]). Its count decays, so a pair that went quiet is
    /// forgotten and the table never fills with old typos.
    pub user_source: Policy,
    /// Each client address: 20 wrong passwords, each within 10 minutes of the one before,
    /// lock it out for 5 minutes by default. A success counts nothing there, so a guesser
    /// cannot clear the count by signing in to an account of its own.
    pub source: Policy,
}

impl Policies {
    /// The defaults above.
    ///
    /// ```
    /// let policies = account_lockout_service::state::Policies::defaults().unwrap();
    /// assert_eq!(policies.account.password().rules().threshold, 5);
    /// assert_eq!(policies.account.mfa().unwrap().rules().threshold, 3);
    /// assert_eq!(policies.source.rules().threshold, 20);
    /// ```
    pub fn defaults() -> Result<Policies, PolicyError> {
        Policies::with_account(MfaPolicy::new(
            PingOne {
                failure_count: 5,
                duration_seconds: Some(900),
            }
            .policy()?,
            Some(
                PingOne {
                    failure_count: 3,
                    duration_seconds: Some(600),
                }
                .policy()?,
            ),
        )?)
    }

    /// `account`, and the default limits per user × address and per address.
    ///
    /// The defaults follow PingOne's: the account locks at its 5th wrong password, from
    /// anywhere. That lets anyone who knows a user name lock its owner out for 15
    /// minutes; to make that costlier, give the account a higher `failureCount` (and a
    /// shorter lock) with `--policy`: each address is still stopped at 5 by the user ×
    /// source scope, so a guesser then needs many addresses.
    pub fn with_account(account: MfaPolicy) -> Result<Policies, PolicyError> {
        Ok(Policies {
            account,
            user_source: Policies::pair_limit(5, 900)?,
            source: Policies::source_limit(20, 300)?,
        })
    }

    /// A per user × address limit: `failures` wrong passwords, each within
    /// `lock_seconds` of the one before, lock the address out of the user for
    /// `lock_seconds`; a success clears the count.
    ///
    /// ```
    /// use account_lockout::{Account, Instant};
    /// use account_lockout_service::state::Policies;
    ///
    /// let pair = Policies::pair_limit(5, 900).unwrap();
    /// let mut account: Account = Account::new();
    /// let _ = account.failure(&pair, Instant::from_secs(0), None).unwrap();
    /// assert_eq!(account.failure_count(&pair, Instant::from_secs(899)), 1);
    /// // Quiet for the window: forgotten, so the guard's table lets the pair go.
    /// assert_eq!(account.failure_count(&pair, Instant::from_secs(901)), 0);
    /// ```
    pub fn pair_limit(failures: u32, lock_seconds: u64) -> Result<Policy, PolicyError> {
        Rules {
            threshold: failures,
            lock: LockLength::Fixed(Duration::from_secs(lock_seconds)),
            decay: Decay::QuietWindow(Duration::from_secs(lock_seconds)),
            on_success: OnSuccess::Reset,
            on_lock_end: OnLockEnd::Reset,
            max_attempts_in_flight: 8,
            ..Rules::NEVER_LOCK
        }
        .build()
    }

    /// A per-address limit: `failures` wrong passwords, each within 10 minutes of the one
    /// before, lock the address out for `lock_seconds`; up to 8 logins from one address
    /// are verified at once.
    pub fn source_limit(failures: u32, lock_seconds: u64) -> Result<Policy, PolicyError> {
        Rules {
            threshold: failures,
            lock: LockLength::Fixed(Duration::from_secs(lock_seconds)),
            decay: Decay::QuietWindow(Duration::from_secs(600)),
            on_success: OnSuccess::Keep,
            on_lock_end: OnLockEnd::Reset,
            max_attempts_in_flight: 8,
            ..Rules::NEVER_LOCK
        }
        .build()
    }

    /// The guard's policy: the user scope is the account's password policy, and a refusal
    /// by the user or the user × source scope answers as a wrong password
    /// ([`Disclosure::AsWrongCredential`]), so a locked account tells a guesser nothing.
    /// Sources are keyed by IPv4 address and IPv6 /64 ([`GuardPolicy::source_key`]).
    #[must_use]
    pub fn guard(&self) -> GuardPolicy {
        GuardPolicy::new(*self.account.password(), self.user_source, self.source)
            .with_disclosure(Disclosure::AsWrongCredential)
    }
}

/// Where the accounts live. Every method takes the instant to act at (`now`, from the
/// service's clock) and is atomic: it sees and leaves the accounts consistent, whatever
/// runs at the same time.
///
/// A login is two calls around the password check, the attempt protocol of
/// [behaviour §7.1](account_lockout::behaviour#s7-1): [`AccountStates::login_begin`]
/// reserves a failure (so that no more passwords are checked than the lock allows, however
/// many logins run at once), and [`AccountStates::login_finish`] applies the verdict.
pub trait AccountStates: Send + Sync + 'static {
    /// What a begun login carries to its finish.
    type Ticket: Send + 'static;

    /// Begins a login of `subject` from the client address `source`: a ticket when the
    /// password may be checked, otherwise why not.
    fn login_begin(
        &self,
        subject: &LoginSubject,
        source: IpAddr,
        now: Instant,
    ) -> impl Future<Output = Result<LoginStart<Self::Ticket>, StateError>> + Send;

    /// Finishes the login of `ticket` with the password check's verdict. A success lets
    /// the user in only if the account could still authenticate at `now`.
    fn login_finish(
        &self,
        subject: &LoginSubject,
        source: IpAddr,
        ticket: Self::Ticket,
        verdict: Verdict,
        now: Instant,
    ) -> impl Future<Output = Result<Admission, StateError>> + Send;

    /// An MFA attempt of the user `user_id` whose code was right (`code_ok`) or wrong: a
    /// success or a failure of the account's MFA source, rejected (and then denied)
    /// while the account is locked or the user disabled.
    fn mfa(
        &self,
        user_id: &str,
        code_ok: bool,
        now: Instant,
    ) -> impl Future<Output = Result<Admission, StateError>> + Send;

    /// The account's view at `now`: the password source, the MFA source and any
    /// administrator lock folded into one ([behaviour §2](account_lockout::behaviour#s2)).
    fn view(
        &self,
        user_id: &str,
        now: Instant,
    ) -> impl Future<Output = Result<AccountView, StateError>> + Send;

    /// PingOne's account unlock: ends every lock and clears both counters; emits
    /// `USER.UNLOCKED` when the account was locked.
    fn unlock(
        &self,
        user_id: &str,
        now: Instant,
    ) -> impl Future<Output = Result<AdminDone, AdminError>> + Send;

    /// PingOne's password unlock: ends the password's lock and clears its counter (and
    /// the MFA counter, unless MFA locked the account); emits `PASSWORD.UNLOCKED`, then
    /// `USER.UNLOCKED` when the account went from locked to open.
    fn unlock_password(
        &self,
        user_id: &str,
        now: Instant,
    ) -> impl Future<Output = Result<AdminDone, AdminError>> + Send;

    /// An administrator lock until `until`, or until an administrator unlocks
    /// ([behaviour §4.2](account_lockout::behaviour#s4-2)).
    fn lock(
        &self,
        user_id: &str,
        until: Option<Instant>,
        now: Instant,
    ) -> impl Future<Output = Result<AdminDone, AdminError>> + Send;

    /// An administrator patch of the account's mutable fields
    /// ([behaviour §4.3](account_lockout::behaviour#s4-3)).
    fn patch(
        &self,
        user_id: &str,
        patch: Patch,
        now: Instant,
    ) -> impl Future<Output = Result<AdminDone, AdminError>> + Send;
}
