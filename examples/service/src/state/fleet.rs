//! The accounts of a fleet: every instance of the service opens [`FleetStates`] on the same
//! database (Redis or PostgreSQL, through `account-lockout-store`) with the same key prefix
//! and policies, and they all see one state.
//!
//! Four [`Store`]s share one backend, each under its own key prefix and policy:
//!
//! | store | key | policy |
//! |---|---|---|
//! | user (the account's password source, with the administrator's lock) | `{prefix}user:{id}` | the account's password policy |
//! | user × source | `{prefix}pair:{id}@{source}` | [`Policies::user_source`] |
//! | source | `{prefix}source:{source}` | [`Policies::source`] |
//! | MFA source | `{prefix}mfa:{id}` | the account's MFA policy |
//!
//! `{source}` is the IPv4 address or the IPv6 /64 ([`GuardPolicy::source_key`]). Names the
//! directory does not know count in the user store's buckets ([`Store::unknown_failure`]),
//! chosen by a hash that is the same on every node.
//!
//! **Each key is exact, the keys together are not atomic.** Every event on one key is a
//! compare-and-set, so no failure is lost and exactly the threshold's failure locks, across
//! instances. A login begins its attempt in the source, then the user × source, then the
//! user store; a refusal abandons the attempts already begun ([`Store::abandon_attempt`]).
//! The differences from [`memory`](super::memory), whose guard judges and records the
//! three scopes under one mutex:
//!
//! - when several scopes would refuse a login, the first that refuses in that order
//!   answers (the guard answers with the longest wait); the answer is the same whenever
//!   the user or user × source scope refuses alone;
//! - an attempt that a store error leaves begun in one scope stays in flight until it
//!   times out, and then counts as a failure there (the login itself is refused);
//! - an administrator action writes the user store, then the MFA store. It acts on the
//!   MFA source as read just before, under the user store's compare-and-set
//!   ([`Store::modify`]), so `lockedAt` and the events are exact unless an MFA attempt
//!   lands between the read and the write; the MFA store's write then never ends an MFA
//!   lock that came meanwhile (except the account unlock's, which ends every lock). If
//!   that second write fails, the action is reported unavailable with its first half done;
//! - the account and password unlocks do not end the user's user × source locks: a store
//!   cannot list a user's keys, so each ends at its own deadline;
//! - unknown names are counted when their login finishes, not begun as an attempt, so
//!   their password is verified (against the dummy hash) even while their bucket is
//!   locked; the answer is the same wrong password. A bucket's hash is not keyed (every
//!   node must agree on it), so made-up names can be aimed at one bucket: its lock only
//!   refuses names that do not exist.
//!
//! A store that is down or contended refuses the login ([`StateError::Unavailable`]):
//! fail closed.

use std::net::IpAddr;

use account_lockout::events::{record, record_rejection};
use account_lockout::{
    Account, AccountView, AdminOutcome, AttemptStart, AttemptToken, Decision, Disclosure,
    GuardDecision, GuardPolicy, Instant, MfaAccount, MfaSource, OperationError, Outcome, Patch,
    Policy, Rejection, Scope, Status, Verdict,
};
use account_lockout_store::{Backend, Config, Error, Store};

use super::{
    AccountStates, AdminDone, AdminError, Admission, LoginStart, LoginSubject, Policies, Refusal,
    StateError,
};

/// A begun login's attempts in flight: in the source, the user × source and (for a user
/// of the directory) the user store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetTicket {
    source: AttemptToken,
    user_source: AttemptToken,
    user: Option<AttemptToken>,
}

/// The [`AccountStates`] of a fleet, on a `account-lockout-store` backend.
///
/// ```no_run
/// use account_lockout_service::state::{Policies, fleet::FleetStates};
/// use account_lockout_store::RedisBackend;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let backend = RedisBackend::connect("redis://127.0.0.1:6379/").await?;
/// // Every instance: the same database, prefix and policies.
/// let states = FleetStates::new(backend, "service:", Policies::defaults()?)?;
/// # let _ = states;
/// # Ok(())
/// # }
/// ```
pub struct FleetStates<B> {
    policies: Policies,
    guard_policy: GuardPolicy,
    user: Store<B>,
    user_source: Store<B>,
    source: Store<B>,
    mfa: Store<B>,
}

/// The key prefix and policy of one of the four stores.
fn store<B: Backend>(
    backend: &B,
    prefix: &str,
    scope: &str,
    policy: Policy,
) -> Result<Store<B>, Error> {
    let config = Config::default().with_prefix(format!("{prefix}{scope}:"));
    Store::new(backend.clone(), config, policy)
}

impl<B: Backend> FleetStates<B> {
    /// The four stores on `backend`, their keys under `prefix`, judged under `policies`.
    /// Without an MFA policy, MFA attempts are refused ([`StateError::AccountTooSmall`],
    /// as in [`memory`](super::memory)).
    ///
    /// Fails with [`Error::Config`] for a policy whose state a plain store account cannot
    /// hold (one that keeps failure times or remembers credentials).
    pub fn new(backend: B, prefix: &str, policies: Policies) -> Result<FleetStates<B>, Error> {
        let password = *policies.account.password();
        let mfa = policies
            .account
            .mfa()
            .copied()
            .unwrap_or(Policy::NEVER_LOCK);
        Ok(FleetStates {
            policies,
            guard_policy: policies.guard(),
            user: store(&backend, prefix, "user", password)?,
            user_source: store(&backend, prefix, "pair", policies.user_source)?,
            source: store(&backend, prefix, "source", policies.source)?,
            mfa: store(&backend, prefix, "mfa", mfa)?,
        })
    }

    /// The policies the accounts are judged under.
    #[must_use]
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// `user`'s folded account as stored: its password source and its MFA source.
    async fn account(&self, user: &str) -> Result<MfaAccount, StateError> {
        let (password, mfa) = tokio::join!(self.user.load(user), self.mfa.load(user));
        let password = password.map_err(unavailable)?.unwrap_or_default();
        let mfa = mfa_source(
            &mfa.map_err(unavailable)?.unwrap_or_default(),
            self.mfa.policy(),
        )?;
        Ok(MfaAccount::from_parts(password, mfa))
    }

    /// Abandons the attempts `begun` (store, key, token), best effort: one that cannot be
    /// abandoned times out and counts as a failure.
    /// The MFA source's lock of `user` at `now`, if it holds one.
    async fn mfa_lock(&self, user: &str, now: Instant) -> Result<Option<Rejection>, StateError> {
        let mfa = self.mfa.view(user, now).await.map_err(unavailable)?;
        Ok((mfa.status == Status::Locked).then_some(Rejection::Locked {
            unlock_at: mfa.unlock_at,
        }))
    }

    async fn abandon(&self, begun: &[(&Store<B>, &str, AttemptToken)], now: Instant) {
        for (store, key, token) in begun {
            if let Err(error) = store.abandon_attempt(key, now, *token).await {
                tracing::warn!(target: "account_lockout_service", %error, "an attempt could not be abandoned");
            }
        }
    }

    /// An administrator `action` on `user`'s folded account: run on the user store's
    /// account beside the MFA source as just read, then the MFA source's part written to
    /// the MFA store (see the module's documentation).
    async fn administer(
        &self,
        user: &str,
        now: Instant,
        ends_every_lock: bool,
        action: impl Fn(&mut MfaAccount, Instant) -> Result<AdminOutcome, OperationError> + Send,
    ) -> Result<AdminDone, AdminError> {
        let stored = self.mfa.load(user).await.map_err(unavailable)?;
        let mfa_before = mfa_source(&stored.unwrap_or_default(), self.mfa.policy())?;
        let mut done: Option<(AdminOutcome, MfaAccount, Instant)> = None;
        let written = self
            .user
            .modify(user, now, |password, _, at| {
                // The MFA source's own clock rule: never before its latest event either.
                let at = at.max(mfa_before.last_seen());
                let mut account = MfaAccount::from_parts(*password, mfa_before);
                let outcome = action(&mut account, at)?;
                *password = *account.password();
                done = Some((outcome, account, at));
                Ok(outcome.outcome)
            })
            .await;
        match written {
            Ok(_) => {}
            Err(Error::Refused(error)) => return Err(AdminError::Refused(error)),
            Err(error) => return Err(unavailable(error).into()),
        }
        let Some((outcome, account, at)) = done else {
            return Err(StateError::Unavailable.into());
        };
        // What the action did to the MFA source: ended its lock (taken over, or unlocked)
        // or cleared its counter. Then the MFA store gets an unlock, unless a lock came
        // since it was read: only the account unlock ends that one.
        let mfa_policy = *self.mfa.policy();
        let mfa_after = account.mfa();
        let locked_before = mfa_before.view(at).status == Status::Locked;
        let cleared = mfa_after.view(at).status == Status::Ok
            && (locked_before
                || mfa_after.failure_count(&mfa_policy, at)
                    < mfa_before.failure_count(&mfa_policy, at));
        if ends_every_lock || cleared {
            let _ = self
                .mfa
                .modify(user, at, |mfa, policy, at| {
                    let new_lock = !locked_before && mfa.view(at).status == Status::Locked;
                    Ok(if new_lock && !ends_every_lock {
                        mfa.check(policy, at)
                    } else {
                        mfa.unlock(policy, at)
                    })
                })
                .await
                .map_err(unavailable)?;
        }
        record("account", &user, &outcome.outcome);
        Ok(AdminDone {
            view: account.view_with(&self.policies.account, at),
            events: outcome.events.iter().collect(),
        })
    }
}

/// The MFA source of a store's account (which has room for attempts in flight; the MFA
/// store never begins one).
fn mfa_source(account: &Account, policy: &Policy) -> Result<MfaSource, StateError> {
    let mut buffer = [0_u8; Account::<0, 0>::MAX_ENCODED_LEN];
    let length = account
        .encode(&mut buffer)
        .map_err(|_| StateError::Unavailable)?;
    let bytes = buffer.get(..length).ok_or(StateError::Unavailable)?;
    MfaSource::decode_migrating(bytes, policy).map_err(|_| StateError::Unavailable)
}

/// A store error: a policy the store cannot hold is a configuration error; anything else
/// (down, slow, contended, a corrupt value) makes the state unavailable, and is logged.
fn unavailable(error: Error) -> StateError {
    match error {
        Error::Config(_) | Error::Refused(_) => StateError::AccountTooSmall,
        error => {
            tracing::warn!(target: "account_lockout_service", %error, "the account store failed");
            StateError::Unavailable
        }
    }
}

/// The refusal of a login that `scope` rejected, as the guard answers it
/// ([`memory`](super::memory)): busy when attempts in flight hold the budget; otherwise
/// what the disclosure lets the client know.
fn refusal(scope: Scope, rejection: Rejection, disclosure: Disclosure, now: Instant) -> Refusal {
    if rejection == Rejection::Busy && scope != Scope::Source {
        return Refusal::Busy;
    }
    // The source is begun first: when another scope refuses, the source has allowed.
    let source = (scope == Scope::Source).then_some(rejection);
    let decision = GuardDecision::Rejected {
        scope,
        rejection,
        source,
    };
    match decision.answer(disclosure, now) {
        account_lockout::Answer::RetryAfter(retry_after) => {
            Refusal::SourceThrottled { retry_after }
        }
        account_lockout::Answer::WrongCredential | account_lockout::Answer::Verify => {
            Refusal::Denied
        }
    }
}

/// The token of a begun attempt, or the rejection of a refused one.
fn begun(start: &AttemptStart) -> Result<AttemptToken, Rejection> {
    match (start.token, start.outcome.decision()) {
        (Some(token), _) => Ok(token),
        (None, Some(Decision::Rejected(rejection))) => Err(rejection),
        // No token and no rejection: not an attempt the store let go on.
        (None, _) => Err(Rejection::Busy),
    }
}

/// The keys of one login in the three scopes.
struct Keys {
    user: String,
    user_source: String,
    source: String,
}

impl<B: Backend> FleetStates<B> {
    fn keys(&self, subject: &LoginSubject, source: IpAddr) -> Keys {
        let user = match subject {
            LoginSubject::User(id) => id.clone(),
            LoginSubject::UnknownName(name) => self.user.unknown_key(name),
        };
        let source = self.guard_policy.source_key(source).to_string();
        Keys {
            user_source: format!("{user}@{source}"),
            user,
            source,
        }
    }

    /// One finish (or, for a success in the source scope, an abandon): whether it
    /// allowed the login, reported under `scope`.
    fn settled(
        scope: Scope,
        key: &str,
        result: Result<Outcome, Error>,
    ) -> Result<bool, StateError> {
        match result {
            Ok(outcome) => {
                record(scope.as_str(), &key, &outcome);
                Ok(outcome.is_allowed())
            }
            // The attempt timed out, and so counted as a failure.
            Err(Error::UnknownAttempt) => Ok(false),
            Err(error) => Err(unavailable(error)),
        }
    }
}

impl<B: Backend> AccountStates for FleetStates<B> {
    type Ticket = FleetTicket;

    async fn login_begin(
        &self,
        subject: &LoginSubject,
        source: IpAddr,
        now: Instant,
    ) -> Result<LoginStart<FleetTicket>, StateError> {
        let keys = self.keys(subject, source);
        let disclosure = self.guard_policy.disclosure();
        let start = self
            .source
            .begin_attempt(&keys.source, now)
            .await
            .map_err(unavailable)?;
        record(Scope::Source.as_str(), &keys.source, &start.outcome);
        let source_token = match begun(&start) {
            Ok(token) => token,
            Err(rejection) => {
                let refused = refusal(Scope::Source, rejection, disclosure, now);
                return Ok(LoginStart::Refused(refused));
            }
        };
        let mut held = vec![(&self.source, keys.source.as_str(), source_token)];
        // The user store is the password source alone: an account whose MFA source holds
        // the lock is refused here, as a wrong password; but only once the source has
        // let the attempt through, so that a throttled address hears of its throttle
        // alone, as for every other name.
        if let LoginSubject::User(id) = subject {
            match self.mfa_lock(id, now).await {
                Ok(None) => {}
                Ok(Some(rejection)) => {
                    self.abandon(&held, now).await;
                    record_rejection("mfa", id, rejection);
                    return Ok(LoginStart::Refused(Refusal::Denied));
                }
                Err(error) => {
                    self.abandon(&held, now).await;
                    return Err(error);
                }
            }
        }
        let start = match self.user_source.begin_attempt(&keys.user_source, now).await {
            Ok(start) => start,
            Err(error) => {
                self.abandon(&held, now).await;
                return Err(unavailable(error));
            }
        };
        record(
            Scope::UserSource.as_str(),
            &keys.user_source,
            &start.outcome,
        );
        let pair_token = match begun(&start) {
            Ok(token) => token,
            Err(rejection) => {
                self.abandon(&held, now).await;
                let refused = refusal(Scope::UserSource, rejection, disclosure, now);
                return Ok(LoginStart::Refused(refused));
            }
        };
        held.push((&self.user_source, keys.user_source.as_str(), pair_token));
        let user_token = match subject {
            // Counted in their bucket when they finish (see the module's documentation).
            LoginSubject::UnknownName(_) => None,
            LoginSubject::User(id) => {
                let start = match self.user.begin_attempt(id, now).await {
                    Ok(start) => start,
                    Err(error) => {
                        self.abandon(&held, now).await;
                        return Err(unavailable(error));
                    }
                };
                record(Scope::User.as_str(), &keys.user, &start.outcome);
                match begun(&start) {
                    Ok(token) => Some(token),
                    Err(rejection) => {
                        self.abandon(&held, now).await;
                        let refused = refusal(Scope::User, rejection, disclosure, now);
                        return Ok(LoginStart::Refused(refused));
                    }
                }
            }
        };
        Ok(LoginStart::Verify(FleetTicket {
            source: source_token,
            user_source: pair_token,
            user: user_token,
        }))
    }

    async fn login_finish(
        &self,
        subject: &LoginSubject,
        source: IpAddr,
        ticket: FleetTicket,
        verdict: Verdict,
        now: Instant,
    ) -> Result<Admission, StateError> {
        let keys = self.keys(subject, source);
        // An MFA lock that came while the password was being checked makes the verdict
        // moot, as MfaAccount::finish_attempt would: out of flight, counted nowhere.
        if let (LoginSubject::User(id), Some(user_token)) = (subject, ticket.user)
            && self.mfa_lock(id, now).await?.is_some()
        {
            let held = [
                (&self.source, keys.source.as_str(), ticket.source),
                (
                    &self.user_source,
                    keys.user_source.as_str(),
                    ticket.user_source,
                ),
                (&self.user, id.as_str(), user_token),
            ];
            self.abandon(&held, now).await;
            return Ok(Admission::Denied);
        }
        // A success counts nothing in the source scope, as in the guard: a guesser cannot
        // clear an address's count by signing in to an account of its own.
        let source_result = if verdict == Verdict::Success {
            self.source
                .abandon_attempt(&keys.source, now, ticket.source)
                .await
        } else {
            self.source
                .finish_attempt(&keys.source, now, ticket.source, verdict)
                .await
        };
        let pair_result = self
            .user_source
            .finish_attempt(&keys.user_source, now, ticket.user_source, verdict)
            .await;
        let user_result = match (subject, ticket.user) {
            (LoginSubject::User(id), Some(token)) => {
                self.user.finish_attempt(id, now, token, verdict).await
            }
            (LoginSubject::UnknownName(name), _) => self.user.unknown_failure(name, now).await,
            // A user's ticket always holds the user's attempt.
            (LoginSubject::User(_), None) => Err(Error::UnknownAttempt),
        };
        // Every scope finishes before an error is returned, so none is left in flight.
        let source_allowed = Self::settled(Scope::Source, &keys.source, source_result);
        let pair_allowed = Self::settled(Scope::UserSource, &keys.user_source, pair_result);
        let user_allowed = Self::settled(Scope::User, &keys.user, user_result);
        let allowed = source_allowed? && pair_allowed? && user_allowed?;
        if verdict != Verdict::Success || !allowed {
            return Ok(Admission::Denied);
        }
        let open = match subject {
            LoginSubject::User(id) => self.view(id, now).await?.can_authenticate,
            LoginSubject::UnknownName(_) => false,
        };
        Ok(Admission::when(open))
    }

    async fn mfa(
        &self,
        user_id: &str,
        code_ok: bool,
        now: Instant,
    ) -> Result<Admission, StateError> {
        if self.policies.account.mfa().is_none() {
            // No MFA lockout: the code is checked, and counted nowhere.
            let open = self.view(user_id, now).await?.can_authenticate;
            return Ok(Admission::when(code_ok && open));
        }
        // Rejected (and so not counted) while the password source is locked or the user
        // disabled; the MFA store rejects while the MFA source is locked.
        let password = self.user.check(user_id, now).await.map_err(unavailable)?;
        if let Some(Decision::Rejected(rejection)) = password.decision() {
            record_rejection("mfa", &user_id, rejection);
            return Ok(Admission::Denied);
        }
        let outcome = if code_ok {
            self.mfa.success(user_id, now).await
        } else {
            self.mfa.failure(user_id, now, None).await
        }
        .map_err(unavailable)?;
        record("mfa", &user_id, &outcome);
        Ok(Admission::when(code_ok && outcome.is_allowed()))
    }

    async fn view(&self, user_id: &str, now: Instant) -> Result<AccountView, StateError> {
        let account = self.account(user_id).await?;
        // The stores' clock rule: never before either source's latest event.
        let at = now
            .max(account.password().last_seen())
            .max(account.mfa().last_seen());
        Ok(account.view_with(&self.policies.account, at))
    }

    async fn unlock(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.administer(user_id, now, true, |account, at| {
            Ok(account.unlock(policy, at))
        })
        .await
    }

    async fn unlock_password(&self, user_id: &str, now: Instant) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.administer(user_id, now, false, |account, at| {
            Ok(account.unlock_password(policy, at))
        })
        .await
    }

    async fn lock(
        &self,
        user_id: &str,
        until: Option<Instant>,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.administer(user_id, now, false, |account, at| {
            Ok(account.lock(policy, at, until)?.into())
        })
        .await
    }

    async fn patch(
        &self,
        user_id: &str,
        patch: Patch,
        now: Instant,
    ) -> Result<AdminDone, AdminError> {
        let policy = &self.policies.account;
        self.administer(user_id, now, false, |account, at| {
            Ok(account.patch(policy, at, &patch)?.into())
        })
        .await
    }
}
