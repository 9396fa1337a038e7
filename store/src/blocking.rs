//! The store for a caller without an async runtime: [`Store`], the async
//! [`crate::Store`] on Redis driven by a runtime of its own.

use account_lockout::{
    Account, AccountView, AttemptStart, AttemptToken, Fingerprint, Instant, Operation, Outcome,
    Patch, Policy, Verdict,
};
use tokio::runtime::{Builder, Runtime};

use crate::backends::redis::RedisBackend;
use crate::config::Config;
use crate::error::Error;

/// The asynchronous [`crate::Store`] on Redis, for a thread that does not run an async
/// runtime: every method blocks the calling thread until the event is done. It is that
/// store, with the same events, errors and guarantees, driven by a single-threaded tokio
/// runtime that the value owns. Open one per thread; a service that already runs tokio
/// shares one [`crate::Store`] instead.
///
/// Do not call it from inside an async runtime (it would block a worker thread, and
/// tokio refuses to nest runtimes): use [`crate::Store`] there.
///
/// ```no_run
/// use account_lockout::{dialect::PingOne, Instant};
/// use account_lockout_store::{Config, FailMode, blocking::Store};
///
/// let policy = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy()?;
/// let store: Store = Store::open("redis://127.0.0.1:6379/", Config::default(), policy)?;
/// let allowed = match store.failure("alice", Instant::from_millis(1_767_225_600_000), None) {
///     Ok(outcome) => outcome.is_allowed(),
///     Err(error) => error.allows_attempt(FailMode::Closed), // false: refuse the login
/// };
/// # let _ = allowed;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Store<const RECORDS: usize = 0, const MEMORY: usize = 0> {
    runtime: Runtime,
    inner: crate::Store<RedisBackend, RECORDS, MEMORY>,
}

impl<const RECORDS: usize, const MEMORY: usize> Store<RECORDS, MEMORY> {
    /// A store for `policy` on the Redis server at `url`, connected and with the server
    /// checked ([`RedisBackend::connect`], [`crate::Store::new`]).
    pub fn open(url: &str, config: Config, policy: Policy) -> Result<Self, Error> {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::Config(format!("no runtime for the store: {error}")))?;
        let backend = runtime.block_on(RedisBackend::connect(url))?;
        let inner = crate::Store::new(backend, config, policy)?;
        Ok(Store { runtime, inner })
    }

    /// The asynchronous store this one drives.
    pub fn inner(&self) -> &crate::Store<RedisBackend, RECORDS, MEMORY> {
        &self.inner
    }

    /// The policy every event applies.
    pub fn policy(&self) -> &Policy {
        self.inner.policy()
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// The Redis key of `user`'s account.
    pub fn key(&self, user: &str) -> String {
        self.inner.key(user)
    }

    /// How many compare-and-sets this store lost to another writer so far
    /// ([`crate::Store::conflicts`]).
    pub fn conflicts(&self) -> u64 {
        self.inner.conflicts()
    }

    /// [`crate::Store::load`].
    pub fn load(&self, user: &str) -> Result<Option<Account<RECORDS, MEMORY>>, Error> {
        self.runtime.block_on(self.inner.load(user))
    }

    /// [`crate::Store::check`].
    pub fn check(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.runtime.block_on(self.inner.check(user, now))
    }

    /// [`crate::Store::view`].
    pub fn view(&self, user: &str, now: Instant) -> Result<AccountView, Error> {
        self.runtime.block_on(self.inner.view(user, now))
    }

    /// [`crate::Store::failure_count`].
    pub fn failure_count(&self, user: &str, now: Instant) -> Result<u32, Error> {
        self.runtime.block_on(self.inner.failure_count(user, now))
    }

    /// [`crate::Store::failures_remaining`].
    pub fn failures_remaining(&self, user: &str, now: Instant) -> Result<Option<u32>, Error> {
        self.runtime
            .block_on(self.inner.failures_remaining(user, now))
    }

    /// [`crate::Store::failure`].
    pub fn failure(
        &self,
        user: &str,
        now: Instant,
        credential: Option<Fingerprint>,
    ) -> Result<Outcome, Error> {
        self.runtime
            .block_on(self.inner.failure(user, now, credential))
    }

    /// [`crate::Store::success`].
    pub fn success(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.runtime.block_on(self.inner.success(user, now))
    }

    /// [`crate::Store::unlock`].
    pub fn unlock(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.runtime.block_on(self.inner.unlock(user, now))
    }

    /// [`crate::Store::lock`].
    pub fn lock(&self, user: &str, now: Instant, until: Option<Instant>) -> Result<Outcome, Error> {
        self.runtime.block_on(self.inner.lock(user, now, until))
    }

    /// [`crate::Store::patch`].
    pub fn patch(&self, user: &str, now: Instant, patch: &Patch) -> Result<Outcome, Error> {
        self.runtime.block_on(self.inner.patch(user, now, patch))
    }

    /// [`crate::Store::apply`].
    pub fn apply(&self, user: &str, now: Instant, operation: Operation) -> Result<Outcome, Error> {
        self.runtime
            .block_on(self.inner.apply(user, now, operation))
    }

    /// [`crate::Store::begin_attempt`].
    pub fn begin_attempt(&self, user: &str, now: Instant) -> Result<AttemptStart, Error> {
        self.runtime.block_on(self.inner.begin_attempt(user, now))
    }

    /// [`crate::Store::finish_attempt`].
    pub fn finish_attempt(
        &self,
        user: &str,
        now: Instant,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, Error> {
        self.runtime
            .block_on(self.inner.finish_attempt(user, now, token, verdict))
    }

    /// [`crate::Store::recover`].
    pub fn recover(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.runtime.block_on(self.inner.recover(user, now))
    }

    /// [`crate::Store::unknown_key`].
    pub fn unknown_key(&self, user: &str) -> String {
        self.inner.unknown_key(user)
    }

    /// [`crate::Store::unknown_failure`].
    pub fn unknown_failure(&self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.runtime.block_on(self.inner.unknown_failure(user, now))
    }

    /// [`crate::Store::forget`].
    pub fn forget(&self, user: &str) -> Result<bool, Error> {
        self.runtime.block_on(self.inner.forget(user))
    }
}
