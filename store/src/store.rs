//! The store: one backend, one policy, every event as a compare-and-set.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant as Clock};

use account_lockout::{
    Account, AccountView, AttemptError, AttemptStart, AttemptToken, CapacityError, Decision,
    Fingerprint, Instant, Operation, OperationError, Outcome, Patch, Policy, Verdict,
};

use crate::backend::{Backend, Swap, Write};
use crate::cache::Cache;
use crate::config::Config;
use crate::error::Error;
use crate::events::Subject;
use crate::retention::{Retention, bounded_retention};

/// How many lanes a store's events on different keys spread over: two keys share one
/// with a chance of 1 in 1,024, and then take turns too (a wait of one event).
const LANES: usize = 1_024;

/// FNV-1a (64 bits): the hash that spreads unknown names over their buckets.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Accounts kept in a database ([`Backend`]) and shared by every node that opens a store
/// on the same database, key prefix and policy.
///
/// Each event applies the library's transition locally at the caller's `now` to the
/// account's encoded state ([`Account::encode`]) and writes the result back with a
/// compare-and-set that succeeds only if the key still holds exactly the bytes the
/// transition started from. A lost compare-and-set returns the current bytes, and the
/// event is applied again to them, up to [`Config::max_attempts`], then fails with
/// [`Error::Conflict`]. So every event applies to the state that all earlier events left,
/// in one order that all nodes agree on: none is lost, and the failure that reaches a
/// threshold is the only one that locks.
///
/// **One round trip.** The bytes an event starts from are the store's guess: the latest
/// it read or wrote at that key ([`Config::cache_entries`]), or "absent" for a key it
/// does not remember. When nothing else wrote the key since, the compare-and-set wins at
/// once: one round trip per event. When something did, the lost compare-and-set returns
/// the true bytes and the event retries from them: two round trips, as a read followed
/// by a write would cost. A decision never rests on the guess alone: the result of an
/// event is returned only once a compare-and-set from the same bytes won, or those
/// bytes came back from the database in this event.
///
/// The comparison is on the value itself rather than on a version counter: the key is
/// deleted when the account becomes dormant, and a counter that restarts would let a
/// stale compare-and-set succeed (ABA). Equal bytes are equal states, and the transition
/// is a function of the state, so a write whose bytes match is correct whatever happened
/// in between.
///
/// **Clocks.** The library treats an event stamped before the account's latest one as
/// its clock going back ([behaviour §1](account_lockout::behaviour#s1)) and moves every stored instant back by the difference.
/// That rule is for one device's clock. In a fleet, the stamps come from several clocks
/// and the state is shared, so one node whose clock is behind would shorten locks and
/// erase failures for every node. So the shared state never moves back: every event,
/// and every read, applies at the later of its `now` and the account's latest event
/// ([`Account::last_seen`]), whatever the size of the step back. A node whose clock is
/// behind can neither shorten a stored lock nor erase stored failures; a node whose
/// clock is ahead moves the state's time forward with its events (see the crate's
/// README on what that allows).
///
/// **Sharing.** A store is a cheap handle: clone it into every handler. Clones share the
/// backend, the guesses and the conflict count, and every method takes `&self`.
///
/// **Turns.** The events of one store (and its clones) on one key take turns: a burst
/// of concurrent logins on one account queues on the node instead of racing itself,
/// so its compare-and-sets lose only to other nodes' writes, each starts from the bytes
/// the previous one wrote (one round trip), and a burst cannot exhaust
/// [`Config::max_attempts`] by itself. Reads do not wait.
///
/// ```no_run
/// # #[cfg(feature = "redis")]
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use account_lockout::{dialect::PingOne, Instant};
/// use account_lockout_store::{Config, RedisBackend, Store};
///
/// let policy = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy()?;
/// let backend = RedisBackend::connect("redis://127.0.0.1:6379/").await?;
/// let store: Store<_> = Store::new(backend, Config::default(), policy)?;
/// let outcome = store.failure("alice", Instant::from_millis(1_767_225_600_000), None).await?;
/// assert!(outcome.is_allowed());
/// # Ok(())
/// # }
/// ```
pub struct Store<B, const RECORDS: usize = 0, const MEMORY: usize = 0> {
    shared: Arc<Shared<B>>,
}

struct Shared<B> {
    backend: B,
    /// The turns of this node's events: an event holds its key's lane while it runs.
    lanes: Vec<tokio::sync::Mutex<()>>,
    lane_hasher: RandomState,
    config: Config,
    policy: Policy,
    cache: Cache,
    conflicts: AtomicU64,
}

impl<B, const RECORDS: usize, const MEMORY: usize> Clone for Store<B, RECORDS, MEMORY> {
    fn clone(&self) -> Self {
        Store {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<B, const RECORDS: usize, const MEMORY: usize> std::fmt::Debug for Store<B, RECORDS, MEMORY> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("config", &self.shared.config)
            .field("policy", &self.shared.policy)
            .field("conflicts", &self.shared.conflicts.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Where the bytes an event starts from came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The store's guess: not yet confirmed by the database in this event.
    Guess,
    /// The database, in this event (a read, or the reply of a lost compare-and-set).
    Database,
}

/// How an event's result ended, for what it reports ([`Subject`]).
enum Settled<T> {
    /// Its state is in the database: written by its compare-and-set, or already there.
    Stored(T),
    /// A refusal that stands although its state was not written.
    Standing(T),
}

impl<B: Backend, const RECORDS: usize, const MEMORY: usize> Store<B, RECORDS, MEMORY> {
    /// A store for `policy` on `backend`.
    ///
    /// Fails with [`Error::Config`] when the configuration is invalid, or when the
    /// account type (`RECORDS`, `MEMORY`) cannot hold the policy's state
    /// ([`Policy::records_needed`], [`Policy::memory_needed`]; every failure would
    /// otherwise be refused).
    pub fn new(backend: B, config: Config, policy: Policy) -> Result<Self, Error> {
        config.validate()?;
        let (records, memory) = (policy.records_needed(), policy.memory_needed());
        if records > RECORDS || memory > MEMORY {
            return Err(Error::Config(format!(
                "the policy needs an account type with room for {records} failure times \
                 and {memory} credential fingerprints (Store<_, {records}, {memory}>); this \
                 one has room for {RECORDS} and {MEMORY}"
            )));
        }
        Ok(Store {
            shared: Arc::new(Shared {
                lanes: (0..LANES).map(|_| tokio::sync::Mutex::new(())).collect(),
                lane_hasher: RandomState::new(),
                cache: Cache::new(config.cache_entries),
                backend,
                config,
                policy,
                conflicts: AtomicU64::new(0),
            }),
        })
    }

    /// The policy every event applies.
    pub fn policy(&self) -> &Policy {
        &self.shared.policy
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.shared.backend
    }

    /// The key of `user`'s account.
    pub fn key(&self, user: &str) -> String {
        format!("{}{user}", self.shared.config.key_prefix)
    }

    /// How many compare-and-sets this store and its clones lost to another writer (and
    /// retried) so far. A guess that missed (a key the store did not remember) is not
    /// counted.
    pub fn conflicts(&self) -> u64 {
        self.shared.conflicts.load(Ordering::Relaxed)
    }

    /// How many accounts' bytes the store remembers now: at most
    /// [`Config::cache_entries`] rounded up to a multiple of 16 (its shards).
    pub fn cached(&self) -> usize {
        self.shared.cache.len()
    }

    /// Runs one backend call within [`Config::response_timeout`].
    async fn call<T>(
        &self,
        maybe_written: bool,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let limit = self.shared.config.response_timeout;
        match tokio::time::timeout(limit, call).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                source: Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within the response timeout of {limit:?}"),
                )),
                maybe_written,
            }),
        }
    }

    /// The bytes at `key`, read from the database; the guess follows.
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let result = self.call(false, self.shared.backend.read(key)).await;
        // A failed read leaves the guess as it was: it may be a lock this node saw.
        if let Ok(bytes) = &result {
            self.shared.cache.put(key, bytes.as_deref());
        }
        result
    }

    /// The account a stored value holds: decoded for this policy, or migrated to it from
    /// the policy it was stored under ([`Account::decode_migrating`]); `None` is the
    /// initial state. The migrated state is written by the next event that changes it (the
    /// compare-and-set still compares with the bytes that were read).
    fn decode(&self, key: &str, bytes: Option<&[u8]>) -> Result<Account<RECORDS, MEMORY>, Error> {
        let Some(bytes) = bytes else {
            return Ok(Account::new());
        };
        Account::decode_migrating(bytes, &self.shared.policy).map_err(|error| Error::Corrupt {
            key: key.to_owned(),
            error,
        })
    }

    /// The instant an event stamped `now` applies at: never before the account's latest
    /// event (see the type's documentation on clocks).
    fn effective_now(account: &Account<RECORDS, MEMORY>, now: Instant) -> Instant {
        now.max(account.last_seen())
    }

    /// After the `lost`-th lost compare-and-set in a row, sleeps a random while (up to
    /// 1 ms, and not after the first three) so that contending nodes spread out; returns
    /// whether it slept.
    async fn back_off(&self, lost: u32) -> bool {
        if lost <= 3 {
            return false;
        }
        let ceiling = (25_u64 << lost.saturating_sub(3).min(6)).min(1_000);
        let pause = RandomState::new()
            .hash_one(lost)
            .checked_rem(ceiling)
            .unwrap_or(0)
            .saturating_add(1);
        tokio::time::sleep(Duration::from_micros(pause)).await;
        true
    }

    /// The account of `user` as stored (`None`: absent, which is the initial state).
    /// A read; it changes nothing.
    pub async fn load(&self, user: &str) -> Result<Option<Account<RECORDS, MEMORY>>, Error> {
        let key = self.key(user);
        let bytes = self.read(&key).await?;
        match bytes {
            None => Ok(None),
            Some(bytes) => self.decode(&key, Some(&bytes)).map(Some),
        }
    }

    /// Applies `event` to the account at `key` at `now` with optimistic concurrency (see the
    /// type's documentation) and returns what it returned. An event that returns an error
    /// writes nothing.
    ///
    /// `outcome` gives a result's outcome (its decision and transitions). A **rejection stands**:
    /// once a state the database returned in this event rejects the attempt (locked,
    /// disabled), the rejection is returned whatever happens to the write (an error reply
    /// such as out of memory, a broken connection, contention beyond the bound), so that
    /// no fail mode can turn a locked account's attempt into an allowed one. And a
    /// rejection that changes nothing but `last_seen` **writes nothing**
    /// ([`only_last_seen_changed`]), nor does an event whose bytes do not change: from
    /// the database's bytes it returns at once; from the guess, it reads the database's
    /// (a read, which a full database still answers) and decides on them. A rejection
    /// on the guess whose write fails is decided again on the database's bytes. And
    /// while the database cannot be read, a rejection on the guess (a lock this node
    /// saw) stands, in both fail modes.
    ///
    /// The final result is reported once (feature `tracing`) as `subject`'s, while the
    /// event still holds its turn, so one node reports one key's events in order: all of
    /// its outcome when its state is in the database, the refusal alone when it stands
    /// unwritten, nothing for an error.
    async fn update<T>(
        &self,
        key: String,
        subject: Subject<'_>,
        now: Instant,
        outcome: fn(&T) -> &Outcome,
        event: impl FnMut(&mut Account<RECORDS, MEMORY>, Instant) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let config = &self.shared.config;
        // This node's events on one key take turns, so they never race each other:
        // only other nodes' writes make a compare-and-set lose.
        let lane = self
            .shared
            .lane_hasher
            .hash_one(&key)
            .checked_rem(LANES as u64)
            .and_then(|lane| self.shared.lanes.get(usize::try_from(lane).ok()?));
        let started = Clock::now();
        // Waiting for the turn counts against the event's deadline: a queue that
        // outlasts it is contention, refused as such.
        let _turn = match lane {
            Some(lane) => match tokio::time::timeout(config.event_deadline, lane.lock()).await {
                Ok(turn) => Some(turn),
                Err(_) => return Err(Error::Conflict { key, attempts: 0 }),
            },
            None => None,
        };
        match self.settle(key, started, now, outcome, event).await? {
            Settled::Stored(result) => {
                subject.stored(outcome(&result));
                Ok(result)
            }
            Settled::Standing(result) => {
                subject.standing(outcome(&result));
                Ok(result)
            }
        }
    }

    /// [`Store::update`]'s compare-and-set loop, run in the event's turn (taken at
    /// `started`): the result, and whether its state is in the database.
    async fn settle<T>(
        &self,
        key: String,
        started: Clock,
        now: Instant,
        outcome: fn(&T) -> &Outcome,
        mut event: impl FnMut(&mut Account<RECORDS, MEMORY>, Instant) -> Result<T, Error>,
    ) -> Result<Settled<T>, Error> {
        let config = &self.shared.config;
        let policy = &self.shared.policy;
        let (mut current, mut source) = if config.cache_entries == 0 {
            (self.read(&key).await?, Source::Database)
        } else {
            (self.shared.cache.get(&key), Source::Guess)
        };
        let mut buffer = vec![0_u8; Account::<RECORDS, MEMORY>::MAX_ENCODED_LEN];
        // The latest rejection computed from bytes the database returned.
        let mut rejection: Option<T> = None;
        // Compare-and-sets lost so far. A guess the database corrects costs no attempt.
        let mut lost: u32 = 0;
        while lost < config.max_attempts {
            if lost > 0 && started.elapsed() >= config.event_deadline {
                // Every compare-and-set so far lost, so nothing was written.
                return rejection.map(Settled::Standing).ok_or(Error::Conflict {
                    key,
                    attempts: lost,
                });
            }
            let before = match self.decode(&key, current.as_deref()) {
                Ok(account) => account,
                Err(error) if source == Source::Database => return Err(error),
                // A guess that does not decode: ask the database.
                Err(_) => {
                    current = self.read(&key).await?;
                    source = Source::Database;
                    continue;
                }
            };
            let mut account = before;
            let at = Self::effective_now(&account, now);
            let result = match event(&mut account, at) {
                Ok(result) => result,
                Err(error) if source == Source::Database => return Err(error),
                // Refused on the guess (an attempt it does not know, say): ask the
                // database, and decide on what it holds.
                Err(_) => {
                    current = self.read(&key).await?;
                    source = Source::Database;
                    continue;
                }
            };
            let rejected = matches!(outcome(&result).decision(), Some(Decision::Rejected(_)));
            // A rejection that reports a transition (an attempt in flight timed out and
            // counted, say) is written, so that the next event does not report it again.
            let unchanged = rejected
                && outcome(&result).transitions().is_empty()
                && only_last_seen_changed(&before, &account, policy, at);
            let retention = bounded_retention(
                &account,
                policy,
                at,
                config.ttl_margin,
                config.max_retention,
            );
            let new = match retention {
                Retention::Delete => None,
                Retention::Expire(_) | Retention::Forever => {
                    let length = account
                        .encode(&mut buffer)
                        .map_err(|_| Error::Internal("the encoding buffer is too small"))?;
                    buffer.get(..length).map(<[u8]>::to_vec)
                }
            };
            // Nothing to write: a rejection that changes only `last_seen`, or the same
            // bytes (the same state, so the same TTL as the one already set).
            if unchanged || new == current {
                if source == Source::Database {
                    return Ok(Settled::Stored(result));
                }
                // On the guess: confirm by a read, which writes nothing (a full
                // database still answers it), and decide on what it returns.
                match self.read(&key).await {
                    Ok(bytes) => current = bytes,
                    // A lock this node saw stands while the database cannot say
                    // otherwise, in both fail modes.
                    Err(_) if rejected => return Ok(Settled::Standing(result)),
                    Err(error) => return Err(error),
                }
                source = Source::Database;
                continue;
            }
            let write = match (&new, retention) {
                (None, _) | (_, Retention::Delete) => Write::Delete,
                (Some(bytes), Retention::Forever) => Write::Set { bytes, ttl: None },
                (Some(bytes), Retention::Expire(ttl)) => Write::Set {
                    bytes,
                    ttl: Some(ttl.max(Duration::from_millis(1))),
                },
            };
            let trusted = source == Source::Database;
            let swap = self
                .call(
                    true,
                    self.shared
                        .backend
                        .compare_and_set(&key, current.as_deref(), write),
                )
                .await;
            match swap {
                Ok(Swap::Done) => {
                    let written = match write {
                        Write::Delete => None,
                        Write::Set { bytes, .. } => Some(bytes),
                    };
                    self.shared.cache.put(&key, written);
                    return Ok(Settled::Stored(result));
                }
                Err(error) => {
                    if rejected && !trusted {
                        // A rejection on the guess whose write failed: decided again on
                        // the database's bytes; while the database cannot say, the lock
                        // this node saw stands.
                        match self.read(&key).await {
                            Ok(bytes) => current = bytes,
                            Err(_) => return Ok(Settled::Standing(result)),
                        }
                        source = Source::Database;
                        continue;
                    }
                    // What the key holds now is unknown.
                    self.shared.cache.put(&key, None);
                    return if rejected {
                        Ok(Settled::Standing(result))
                    } else {
                        Err(error)
                    };
                }
                Ok(Swap::Changed(value)) => {
                    rejection = if rejected && trusted {
                        Some(result)
                    } else {
                        None
                    };
                    if trusted {
                        self.shared.conflicts.fetch_add(1, Ordering::Relaxed);
                        lost = lost.saturating_add(1);
                    }
                    self.shared.cache.put(&key, value.as_deref());
                    source = Source::Database;
                    // Retry at once from the value returned; after a pause, that value is
                    // stale (others wrote meanwhile), so read afresh.
                    current = if self.back_off(lost).await {
                        match self.read(&key).await {
                            Ok(value) => value,
                            Err(error) => return rejection.map(Settled::Standing).ok_or(error),
                        }
                    } else {
                        value
                    };
                }
            }
        }
        rejection.map(Settled::Standing).ok_or(Error::Conflict {
            key,
            attempts: config.max_attempts,
        })
    }

    /// Reads `user`'s account and answers `read` on it at `now` (never before the
    /// account's latest event); writes nothing.
    async fn inspect<T>(
        &self,
        user: &str,
        now: Instant,
        read: impl FnOnce(&Account<RECORDS, MEMORY>, &Policy, Instant) -> T,
    ) -> Result<T, Error> {
        let key = self.key(user);
        let bytes = self.read(&key).await?;
        let account = self.decode(&key, bytes.as_deref())?;
        let at = Self::effective_now(&account, now);
        Ok(read(&account, &self.shared.policy, at))
    }

    /// May `user` authenticate at `now`? A read: it writes nothing, so it is only a
    /// snapshot. To gate a credential check, use [`Store::begin_attempt`], whose decision
    /// is part of the write.
    pub async fn check(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.inspect(user, now, |account, policy, at| account.check(policy, at))
            .await
    }

    /// The PingOne view of `user`'s account at `now`. A read.
    pub async fn view(&self, user: &str, now: Instant) -> Result<AccountView, Error> {
        self.inspect(user, now, |account, _, at| account.view(at))
            .await
    }

    /// The policy's failure count of `user` at `now`. A read.
    pub async fn failure_count(&self, user: &str, now: Instant) -> Result<u32, Error> {
        self.inspect(user, now, |account, policy, at| {
            account.failure_count(policy, at)
        })
        .await
    }

    /// How many more failures of `user` at `now` would lock the account
    /// ([`Account::failures_remaining`]). A read.
    pub async fn failures_remaining(&self, user: &str, now: Instant) -> Result<Option<u32>, Error> {
        self.inspect(user, now, |account, policy, at| {
            account.failures_remaining(policy, at)
        })
        .await
    }

    /// A failed attempt ([`Account::failure`]).
    pub async fn failure(
        &self,
        user: &str,
        now: Instant,
        credential: Option<Fingerprint>,
    ) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Failure { credential })
            .await
    }

    /// A successful attempt ([`Account::success`]).
    pub async fn success(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Success).await
    }

    /// An administrator unlock ([`Account::unlock`]).
    pub async fn unlock(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Unlock).await
    }

    /// An administrator lock until `until`, or with no deadline ([`Account::lock`]).
    pub async fn lock(
        &self,
        user: &str,
        now: Instant,
        until: Option<Instant>,
    ) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Lock { until }).await
    }

    /// An administrator patch ([`Account::patch`]).
    pub async fn patch(&self, user: &str, now: Instant, patch: &Patch) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Patch(*patch)).await
    }

    /// Any operation ([`Account::apply`]); `Check` is a read and writes nothing.
    pub async fn apply(
        &self,
        user: &str,
        now: Instant,
        operation: Operation,
    ) -> Result<Outcome, Error> {
        if operation == Operation::Check {
            return self.check(user, now).await;
        }
        self.apply_to(self.key(user), Subject::account(user), now, operation)
            .await
    }

    /// [`Store::apply`] on the account at `key`, reported as `subject`'s (an operation
    /// other than `Check`).
    async fn apply_to(
        &self,
        key: String,
        subject: Subject<'_>,
        now: Instant,
        operation: Operation,
    ) -> Result<Outcome, Error> {
        let policy = self.shared.policy;
        self.update(key, subject, now, same_outcome, |account, at| {
            account
                .apply(&policy, at, operation)
                .map_err(Error::Refused)
        })
        .await
    }

    /// Begins an attempt ([`Account::begin_attempt`]): the decision and the mark of the
    /// attempt in flight are written together, before the credential is checked. Another
    /// node may finish it (given the token) or [`Store::recover`] it.
    pub async fn begin_attempt(&self, user: &str, now: Instant) -> Result<AttemptStart, Error> {
        let policy = self.shared.policy;
        self.update(
            self.key(user),
            Subject::account(user),
            now,
            |start: &AttemptStart| &start.outcome,
            |account, at| account.begin_attempt(&policy, at).map_err(refused),
        )
        .await
    }

    /// Finishes the attempt of `token` with the credential check's verdict
    /// ([`Account::finish_attempt`]).
    pub async fn finish_attempt(
        &self,
        user: &str,
        now: Instant,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, Error> {
        self.end_attempt(user, now, token, Some(verdict)).await
    }

    /// Takes the attempt of `token` out of flight without counting it
    /// ([`Account::abandon_attempt`]): for a host that began it here and then gave it up
    /// before its credential was checked (another gate refused the login, say).
    pub async fn abandon_attempt(
        &self,
        user: &str,
        now: Instant,
        token: AttemptToken,
    ) -> Result<Outcome, Error> {
        self.end_attempt(user, now, token, None).await
    }

    /// Ends the attempt of `token`: with `verdict`, or abandoned (`None`).
    async fn end_attempt(
        &self,
        user: &str,
        now: Instant,
        token: AttemptToken,
        verdict: Option<Verdict>,
    ) -> Result<Outcome, Error> {
        let policy = self.shared.policy;
        self.update(
            self.key(user),
            Subject::account(user),
            now,
            same_outcome,
            |account, at| {
                match verdict {
                    Some(verdict) => account.finish_attempt(&policy, at, token, verdict),
                    None => account.abandon_attempt(&policy, at, token),
                }
                .map_err(attempt_error)
            },
        )
        .await
    }

    /// Runs `change` on `user`'s account under the same compare-and-set as every event:
    /// for a change the [`Operation`]s cannot express (an administrator action of a host
    /// that folds this account with others, say). `change` gets the account, the policy
    /// and the instant the event applies at (never before the account's latest event);
    /// an `Err` writes nothing and is returned as [`Error::Refused`].
    ///
    /// `change` may run more than once (each lost compare-and-set retries it on the bytes
    /// the database returned), each time on a fresh copy: the outcome returned, and the
    /// state written, are those of its last run.
    ///
    /// ```no_run
    /// # async fn demo<B: account_lockout_store::Backend>(
    /// #     store: account_lockout_store::Store<B>,
    /// # ) -> Result<(), account_lockout_store::Error> {
    /// use account_lockout::Instant;
    ///
    /// // An unlock, as `Store::unlock` does it.
    /// let now = Instant::from_millis(1_767_225_600_000);
    /// let outcome = store
    ///     .modify("alice", now, |account, policy, at| Ok(account.unlock(policy, at)))
    ///     .await?;
    /// # let _ = outcome;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn modify(
        &self,
        user: &str,
        now: Instant,
        mut change: impl FnMut(
            &mut Account<RECORDS, MEMORY>,
            &Policy,
            Instant,
        ) -> Result<Outcome, OperationError>,
    ) -> Result<Outcome, Error> {
        let policy = self.shared.policy;
        self.update(
            self.key(user),
            Subject::account(user),
            now,
            same_outcome,
            |account, at| change(account, &policy, at).map_err(Error::Refused),
        )
        .await
    }

    /// Counts an attempt left in flight (by a node that crashed or lost its verdict) as a
    /// failure ([`Account::recover`]); without one, writes nothing.
    pub async fn recover(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        let policy = self.shared.policy;
        self.update(
            self.key(user),
            Subject::account(user),
            now,
            same_outcome,
            |account, at| account.recover(&policy, at).map_err(refused),
        )
        .await
    }

    /// The key that `user`, a name the host does not know, shares with the other unknown
    /// names of its bucket: [`Config::unknown_prefix`] and the bucket's number, of
    /// [`Config::unknown_buckets`], chosen by a hash of the name (FNV-1a, the same on
    /// every node).
    pub fn unknown_key(&self, user: &str) -> String {
        let config = &self.shared.config;
        let hash = user.bytes().fold(FNV_OFFSET, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
        });
        let bucket = hash
            .checked_rem(u64::from(config.unknown_buckets))
            .unwrap_or(0);
        format!("{}{bucket}", config.unknown_prefix)
    }

    /// A failed attempt on `user`, a name the host does not know (no such account):
    /// counted in the name's bucket ([`Store::unknown_key`]), not under a key of its own,
    /// so that a spray of made-up names costs at most [`Config::unknown_buckets`] keys.
    /// The outcome is the bucket's, under the store's policy: it lets the host answer an
    /// unknown name as it answers a known one (allowed and counted, or rejected as
    /// locked), without a key per name. A rejection writes nothing, as for
    /// [`Store::failure`].
    pub async fn unknown_failure(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        let failure = Operation::Failure { credential: None };
        let key = self.unknown_key(user);
        let bucket = key.clone();
        self.apply_to(key, Subject::unknown(&bucket), now, failure)
            .await
    }

    /// Deletes `user`'s key whatever it holds: the administrator's way out of
    /// [`Error::Corrupt`] (the account restarts in its initial state). Returns whether a
    /// key was there.
    pub async fn forget(&self, user: &str) -> Result<bool, Error> {
        let key = self.key(user);
        let result = self.call(true, self.shared.backend.delete(&key)).await;
        self.shared.cache.put(&key, None);
        result
    }
}

/// An operation's result is its outcome.
fn same_outcome(outcome: &Outcome) -> &Outcome {
    outcome
}

/// Whether `after`, the state a rejected attempt at `at` left, differs from `before` only
/// where any rejected attempt at `at` would: in `last_seen` (and in what the passage of
/// time decides, which a later event recomputes from the same stored instants). Told by
/// the library itself: a success at `at` on `before`, if rejected too, changes exactly
/// that. Such a rejection need not be written: see the crate's README (**Rejected
/// attempts write nothing**) on why skipping `last_seen` keeps the clock rule sound.
fn only_last_seen_changed<const RECORDS: usize, const MEMORY: usize>(
    before: &Account<RECORDS, MEMORY>,
    after: &Account<RECORDS, MEMORY>,
    policy: &Policy,
    at: Instant,
) -> bool {
    let mut probe = *before;
    let outcome = probe.success(policy, at);
    matches!(outcome.decision(), Some(Decision::Rejected(_))) && probe == *after
}

/// A refused finish or abandon of an attempt.
fn attempt_error(error: AttemptError) -> Error {
    match error {
        AttemptError::Capacity(error) => refused(error),
        AttemptError::UnknownAttempt => Error::UnknownAttempt,
        // `AttemptError` is non-exhaustive: a variant added to the library that this
        // crate does not handle yet is a bug of this crate.
        _ => Error::Internal("an attempt error this store does not handle"),
    }
}

fn refused(error: CapacityError) -> Error {
    Error::Refused(OperationError::Capacity(error))
}
