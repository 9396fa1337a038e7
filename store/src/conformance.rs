//! The checks every [`Backend`] must pass, against a real database: this crate runs
//! them on Redis, Redis Cluster and PostgreSQL, and a user runs them on a backend of
//! their own (feature `conformance`).
//!
//! Each check opens stores on clones of one backend, each store standing for a node of
//! a fleet (a cache of its own), under keys of its own below the suite's namespace, and
//! returns a [`Failure`] that names what did not hold:
//!
//! | check | what must hold |
//! |---|---|
//! | [`Suite::exact_count`] | N nodes × M tasks × K failures on one key leave exactly N·M·K counted |
//! | [`Suite::lock_once_at_threshold`] | under a concurrent burst, exactly the threshold's failures are counted, and one of them locks |
//! | [`Suite::attempts_across_nodes`] | an attempt begun on one node is finished, or recovered, on another ([behaviour §7.1](account_lockout::behaviour#s7-1)) |
//! | [`Suite::clock_behind`] | a node whose clock is behind can neither end nor shorten a lock |
//! | [`Suite::expiry_keeps_live_locks`] | TTLs and purges never end a live lock, and do free dormant keys |
//! | [`Suite::spray`] | a spray of made-up names costs no key per name, and locked victims stay locked |
//! | [`Suite::outage`] | a server that goes away midway gives typed errors, loses no acknowledged event, corrupts nothing |
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use account_lockout_store::RedisBackend;
//! use account_lockout_store::conformance::{Proxy, Suite};
//!
//! // Every check but the outage, on one server.
//! let backend = RedisBackend::connect("redis://127.0.0.1:6379/").await?;
//! Suite::new(backend, "conformance:").run_all().await?;
//!
//! // The outage: the backend reaches the server through a proxy the check cuts.
//! let proxy = Proxy::start("127.0.0.1:6379".parse()?).await?;
//! let through = RedisBackend::connect(&format!("redis://{}/", proxy.addr())).await?;
//! Suite::new(through, "conformance:outage:").outage(&proxy).await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use account_lockout::dialect::PingOne;
use account_lockout::{Decision, Instant, Policy, Transition, Verdict};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::backend::{Backend, Swap, Write};
use crate::config::Config;
use crate::error::Error;
use crate::store::Store;

/// A check that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The check ([`Suite`]'s method name).
    pub check: &'static str,
    /// What did not hold, with the values seen.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conformance check {} failed: {}",
            self.check, self.message
        )
    }
}

impl std::error::Error for Failure {}

/// A way to make the database unreachable and reachable again, for [`Suite::outage`].
pub trait Fault: Send + Sync {
    /// The database goes away: connections in use break, new ones fail.
    fn stop(&self) -> impl Future<Output = ()> + Send;
    /// The database is back.
    fn restart(&self) -> impl Future<Output = ()> + Send;
}

/// The checks, on one backend, under one key namespace.
#[derive(Clone, Debug)]
pub struct Suite<B> {
    backend: B,
    namespace: String,
}

/// The instant the checks' synthetic clocks start at (2026-01-01T00:00:00Z).
const T0: i64 = 1_767_225_600_000;

/// Enough for a burst of 32 contending tasks on a slow machine: a check must fail on a
/// wrong answer, not on the contention it creates.
const PATIENT_ATTEMPTS: u32 = 10_000;

fn at(millis: i64) -> Instant {
    Instant::from_millis(T0.saturating_add(millis))
}

/// The host's clock, for the checks that wait for the database's TTLs.
fn wall_clock() -> Instant {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Instant::from_millis(millis)
}

fn pingone(failure_count: u32, duration_seconds: Option<u64>) -> Result<Policy, Failure> {
    PingOne {
        failure_count,
        duration_seconds,
    }
    .policy()
    .map_err(|error| Failure {
        check: "policy",
        message: error.to_string(),
    })
}

fn locks(outcome: &account_lockout::Outcome) -> bool {
    outcome
        .transitions()
        .iter()
        .any(|transition| matches!(transition, Transition::Locked { .. }))
}

impl<B: Backend> Suite<B> {
    /// The checks on `backend`, under keys that start with `namespace` (make it unique to
    /// the run: the checks assume nothing else writes there).
    pub fn new(backend: B, namespace: &str) -> Suite<B> {
        Suite {
            backend,
            namespace: namespace.to_owned(),
        }
    }

    /// Every check but [`Suite::outage`] (which needs a [`Fault`]), one after another;
    /// the first failure stops it.
    pub async fn run_all(&self) -> Result<(), Failure> {
        self.exact_count().await?;
        self.lock_once_at_threshold().await?;
        self.attempts_across_nodes().await?;
        self.clock_behind().await?;
        self.spray().await?;
        self.expiry_keeps_live_locks().await?;
        Ok(())
    }

    /// The settings of `check`'s stores: keys under the namespace, patient retries.
    fn config(&self, check: &str) -> Config {
        let mut config = Config::default().with_prefix(format!("{}{check}:", self.namespace));
        config.max_attempts = PATIENT_ATTEMPTS;
        config.event_deadline = Duration::from_secs(60);
        config.response_timeout = Duration::from_secs(5);
        config
    }

    /// A node: a store of its own (its own cache) on the shared backend.
    fn node(
        &self,
        check: &'static str,
        config: &Config,
        policy: Policy,
    ) -> Result<Store<B>, Failure> {
        Store::new(self.backend.clone(), config.clone(), policy).map_err(|error| Failure {
            check,
            message: format!("the store does not open: {error}"),
        })
    }

    /// `nodes` nodes, each running `tasks` tasks at once; `work` gets a node's store and
    /// the task's number. Every task's result, in order.
    async fn on_nodes<T, F>(
        &self,
        check: &'static str,
        nodes: usize,
        tasks: usize,
        config: &Config,
        policy: Policy,
        work: impl Fn(Store<B>, usize) -> F,
    ) -> Result<Vec<T>, Failure>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let mut handles = Vec::new();
        for node in 0..nodes {
            let store = self.node(check, config, policy)?;
            for task in 0..tasks {
                let number = node.saturating_mul(tasks).saturating_add(task);
                handles.push(tokio::spawn(work(store.clone(), number)));
            }
        }
        let mut results = Vec::with_capacity(handles.len());
        for handle in handles {
            results.push(handle.await.map_err(|error| Failure {
                check,
                message: format!("a task did not finish: {error}"),
            })?);
        }
        Ok(results)
    }

    /// 4 nodes × 8 tasks × 10 failures on one key, all at once, under a threshold never
    /// reached: every failure is acknowledged, and the stored count is exactly 320.
    pub async fn exact_count(&self) -> Result<(), Failure> {
        const CHECK: &str = "exact_count";
        let fail = |message: String| Failure {
            check: CHECK,
            message,
        };
        let config = self.config(CHECK);
        let policy = pingone(1_000_000, Some(900))?;
        let results = self
            .on_nodes(CHECK, 4, 8, &config, policy, |store, task| async move {
                let mut acknowledged = 0_u32;
                for i in 0..10_i64 {
                    let now = at(i.saturating_mul(100).saturating_add(task as i64));
                    let _counted = store.failure("victim", now, None).await?;
                    acknowledged = acknowledged.saturating_add(1);
                }
                Ok::<u32, Error>(acknowledged)
            })
            .await?;
        let mut acknowledged = 0_u32;
        for result in results {
            acknowledged = acknowledged.saturating_add(
                result.map_err(|error| fail(format!("a failure failed: {error}")))?,
            );
        }
        let reader = self.node(CHECK, &config, policy)?;
        let count = reader
            .failure_count("victim", at(10_000))
            .await
            .map_err(|error| fail(format!("the count cannot be read: {error}")))?;
        if acknowledged != 320 || count != 320 {
            return Err(fail(format!(
                "320 failures sent, {acknowledged} acknowledged, {count} counted"
            )));
        }
        Ok(())
    }

    /// A threshold of 5, and 4 nodes × 4 tasks × 3 failures at once on one key: exactly
    /// 5 failures are counted (allowed), exactly one of them locks, the other 43 are
    /// rejected, and the account is locked.
    pub async fn lock_once_at_threshold(&self) -> Result<(), Failure> {
        const CHECK: &str = "lock_once_at_threshold";
        let fail = |message: String| Failure {
            check: CHECK,
            message,
        };
        let config = self.config(CHECK);
        let policy = pingone(5, Some(900))?;
        let results = self
            .on_nodes(CHECK, 4, 4, &config, policy, |store, task| async move {
                let mut outcomes = Vec::new();
                for i in 0..3_i64 {
                    let now = at(i.saturating_mul(100).saturating_add(task as i64));
                    outcomes.push(store.failure("victim", now, None).await?);
                }
                Ok::<_, Error>(outcomes)
            })
            .await?;
        let (mut allowed, mut rejected, mut locking) = (0_u32, 0_u32, 0_u32);
        for result in results {
            for outcome in result.map_err(|error| fail(format!("a failure failed: {error}")))? {
                match outcome.decision() {
                    Some(Decision::Allowed) => allowed = allowed.saturating_add(1),
                    Some(Decision::Rejected(_)) => rejected = rejected.saturating_add(1),
                    None => return Err(fail(format!("a failure without a decision: {outcome:?}"))),
                }
                if locks(&outcome) {
                    locking = locking.saturating_add(1);
                }
            }
        }
        if (allowed, rejected, locking) != (5, 43, 1) {
            return Err(fail(format!(
                "48 failures at a threshold of 5: {allowed} allowed (5 expected), {rejected} \
                 rejected (43), {locking} locked the account (1)"
            )));
        }
        let reader = self.node(CHECK, &config, policy)?;
        let check = reader
            .check("victim", at(1_000))
            .await
            .map_err(|error| fail(format!("the account cannot be read: {error}")))?;
        if check.is_allowed() {
            return Err(fail("the account is not locked after the burst".into()));
        }
        Ok(())
    }

    /// [Behaviour §7.1](account_lockout::behaviour#s7-1) across nodes: an attempt begun on
    /// node A and finished on node B with a wrong credential counts once; an attempt
    /// begun on A and left in flight (A crashed) is counted by B's recovery; finishing
    /// that attempt afterwards is refused ([`Error::UnknownAttempt`]) and changes
    /// nothing.
    pub async fn attempts_across_nodes(&self) -> Result<(), Failure> {
        const CHECK: &str = "attempts_across_nodes";
        let fail = |message: String| Failure {
            check: CHECK,
            message,
        };
        let config = self.config(CHECK);
        let policy = pingone(5, Some(900))?;
        let (a, b) = (
            self.node(CHECK, &config, policy)?,
            self.node(CHECK, &config, policy)?,
        );
        let begun = a
            .begin_attempt("victim", at(0))
            .await
            .map_err(|error| fail(format!("begin on A: {error}")))?;
        let token = begun
            .token
            .ok_or_else(|| fail(format!("A's attempt was rejected: {:?}", begun.outcome)))?;
        let finished = b
            .finish_attempt(
                "victim",
                at(1),
                token,
                Verdict::Failure { credential: None },
            )
            .await
            .map_err(|error| fail(format!("finish on B of A's attempt: {error}")))?;
        if finished.transitions().counted() != Some(1) {
            return Err(fail(format!(
                "B's finish did not count 1 failure: {finished:?}"
            )));
        }
        let crashed = a
            .begin_attempt("victim", at(2))
            .await
            .map_err(|error| fail(format!("second begin on A: {error}")))?
            .token
            .ok_or_else(|| fail("A's second attempt was rejected".into()))?;
        let recovered = b
            .recover("victim", at(3))
            .await
            .map_err(|error| fail(format!("recover on B: {error}")))?;
        if recovered.transitions().counted() != Some(2) {
            return Err(fail(format!(
                "B's recovery of A's attempt did not count the 2nd failure: {recovered:?}"
            )));
        }
        match a
            .finish_attempt("victim", at(4), crashed, Verdict::Success)
            .await
        {
            Err(Error::UnknownAttempt) => {}
            other => {
                return Err(fail(format!(
                    "finishing a recovered attempt: {other:?}, not UnknownAttempt"
                )));
            }
        }
        let count = b
            .failure_count("victim", at(5))
            .await
            .map_err(|error| fail(format!("the count cannot be read: {error}")))?;
        if count != 2 {
            return Err(fail(format!("2 failures across nodes, {count} counted")));
        }
        Ok(())
    }

    /// Node A locks an account for 900 s; node B, whose clock is an hour behind, tries
    /// failures, successes and an attempt: all rejected, the lock's end unchanged, and
    /// the lock ends when A's clock reaches it, not before.
    pub async fn clock_behind(&self) -> Result<(), Failure> {
        const CHECK: &str = "clock_behind";
        let fail = |message: String| Failure {
            check: CHECK,
            message,
        };
        let config = self.config(CHECK);
        let policy = pingone(3, Some(900))?;
        let (a, b) = (
            self.node(CHECK, &config, policy)?,
            self.node(CHECK, &config, policy)?,
        );
        for i in 0..3 {
            let _counted = a
                .failure("victim", at(i), None)
                .await
                .map_err(|error| fail(format!("failure on A: {error}")))?;
        }
        let unlock_at = a
            .view("victim", at(3))
            .await
            .map_err(|error| fail(format!("view on A: {error}")))?
            .unlock_at;
        if unlock_at != Some(at(2 + 900_000)) {
            return Err(fail(format!(
                "the lock ends at {unlock_at:?}, not 900 s after it began"
            )));
        }
        let hour = 3_600_000_i64;
        for i in 0..20_i64 {
            // B's clock: an hour behind A's, then less and less behind.
            let behind = at(i.saturating_mul(100_000).saturating_sub(hour));
            let failure = b
                .failure("victim", behind, None)
                .await
                .map_err(|error| fail(format!("failure on B: {error}")))?;
            let success = b
                .success("victim", behind)
                .await
                .map_err(|error| fail(format!("success on B: {error}")))?;
            let begun = b
                .begin_attempt("victim", behind)
                .await
                .map_err(|error| fail(format!("begin on B: {error}")))?;
            if failure.is_allowed() || success.is_allowed() || begun.token.is_some() {
                return Err(fail(format!(
                    "B, {} s behind, got through a lock: failure {failure:?}, success \
                     {success:?}, begin {begun:?}",
                    hour.saturating_sub(i.saturating_mul(100_000)) / 1_000
                )));
            }
        }
        let view = a
            .view("victim", at(899_000))
            .await
            .map_err(|error| fail(format!("view on A: {error}")))?;
        if view.unlock_at != unlock_at || view.can_authenticate {
            return Err(fail(format!(
                "after B's attempts the lock changed: {view:?}"
            )));
        }
        let after = a
            .success("victim", at(900_003))
            .await
            .map_err(|error| fail(format!("success on A after the lock: {error}")))?;
        if !after.is_allowed() {
            return Err(fail(format!("the lock did not end on time: {after:?}")));
        }
        Ok(())
    }

    /// Against the database's own clock (a few seconds of real time): a 2-second lock
    /// stays a lock until its end whatever the TTLs and purges (checked every 200 ms by
    /// a node with no cache, after a purge), and its key is gone once it is dormant; an
    /// administrator's lock without a deadline survives expiry and purges; a count kept
    /// only by the retention bound is forgotten after it.
    pub async fn expiry_keeps_live_locks(&self) -> Result<(), Failure> {
        const CHECK: &str = "expiry_keeps_live_locks";
        let fail = |message: String| Failure {
            check: CHECK,
            message,
        };
        let mut config = self.config(CHECK);
        config.ttl_margin = Duration::from_millis(300);
        config.max_retention = Some(Duration::from_secs(1));
        let policy = pingone(2, Some(2))?;
        let writer = self.node(CHECK, &config, policy)?;
        let mut uncached = config.clone();
        uncached.cache_entries = 0;
        let reader = self.node(CHECK, &uncached, policy)?;
        let store_failure = |what: &str, error: Error| fail(format!("{what}: {error}"));

        let start = wall_clock();
        let _first = writer
            .failure("timed", start, None)
            .await
            .map_err(|e| store_failure("failure", e))?;
        let second = writer
            .failure("timed", start, None)
            .await
            .map_err(|e| store_failure("failure", e))?;
        if !locks(&second) {
            return Err(fail(format!("the second failure did not lock: {second:?}")));
        }
        let _locked = writer
            .lock("forever", start, None)
            .await
            .map_err(|e| store_failure("lock", e))?;
        let _counted = writer
            .failure("counted", start, None)
            .await
            .map_err(|e| store_failure("failure", e))?;
        let unlock_at = Instant::from_millis(start.as_millis().saturating_add(2_000));
        loop {
            let now = wall_clock();
            // 100 ms short of the deadline: the checks' own round trips take time.
            if now.as_millis() >= unlock_at.as_millis().saturating_sub(100) {
                break;
            }
            self.backend
                .purge_expired()
                .await
                .map_err(|e| store_failure("purge", e))?;
            let outcome = reader
                .check("timed", now)
                .await
                .map_err(|e| store_failure("check", e))?;
            if outcome.is_allowed() {
                return Err(fail(format!(
                    "the lock ending at {unlock_at} ended at {now}, before its deadline"
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Past the deadline, the margin and the count's retention.
        tokio::time::sleep(Duration::from_millis(2_000)).await;
        let now = wall_clock();
        let key = reader.key("timed");
        // Expired keys read as absent before any purge (a backend that purges lazily
        // must hide them), and a purge leaves them absent.
        for purged in [false, true] {
            if purged {
                self.backend
                    .purge_expired()
                    .await
                    .map_err(|e| store_failure("purge", e))?;
            }
            if let Some(bytes) = self
                .backend
                .read(&key)
                .await
                .map_err(|e| store_failure("read", e))?
            {
                return Err(fail(format!(
                    "the key of a lock that ended 2 s ago is still there ({} bytes; \
                     purged: {purged})",
                    bytes.len()
                )));
            }
        }
        let counted = reader.key("counted");
        if self
            .backend
            .read(&counted)
            .await
            .map_err(|e| store_failure("read", e))?
            .is_some()
        {
            return Err(fail(
                "a count past its retention of 1 s is still stored".into(),
            ));
        }
        let forever = reader
            .check("forever", now)
            .await
            .map_err(|e| store_failure("check", e))?;
        if forever.is_allowed() {
            return Err(fail(
                "an administrator's lock without deadline expired".into(),
            ));
        }
        let timed = reader
            .check("timed", now)
            .await
            .map_err(|e| store_failure("check", e))?;
        if !timed.is_allowed() {
            return Err(fail(format!("the ended lock still rejects: {timed:?}")));
        }
        Ok(())
    }

    /// Three victims are locked; then 16 tasks spray 2,000 made-up names, which the host
    /// marks unknown ([`Store::unknown_failure`], 16 buckets). No name gets a key of its
    /// own, the node's cache stays within its 64 entries, and the victims are still
    /// locked until the same instant.
    pub async fn spray(&self) -> Result<(), Failure> {
        const CHECK: &str = "spray";
        let fail = |message: String| Failure {
            check: CHECK,
            message,
        };
        let mut config = self.config(CHECK);
        config.unknown_buckets = 16;
        config.cache_entries = 64;
        let policy = pingone(3, Some(900))?;
        let node = self.node(CHECK, &config, policy)?;
        let victims = ["alice", "bob", "carol"];
        let mut locked_until = Vec::new();
        for victim in victims {
            for i in 0..3 {
                let _counted = node
                    .failure(victim, at(i), None)
                    .await
                    .map_err(|error| fail(format!("failure of {victim}: {error}")))?;
            }
            let view = node
                .view(victim, at(3))
                .await
                .map_err(|error| fail(format!("view of {victim}: {error}")))?;
            locked_until.push(view.unlock_at);
        }
        let results = self
            .on_nodes(CHECK, 1, 16, &config, policy, |store, task| async move {
                for i in 0..125_usize {
                    let name = format!("sprayed-{task}-{i}");
                    let now = at(1_000_i64.saturating_add(i as i64));
                    let _bucket = store.unknown_failure(&name, now).await?;
                }
                Ok::<_, Error>(store.cached())
            })
            .await?;
        for result in results {
            let cached =
                result.map_err(|error| fail(format!("a sprayed failure failed: {error}")))?;
            if cached > 64 {
                return Err(fail(format!(
                    "the node's cache holds {cached} keys, above its 64"
                )));
            }
        }
        for task in 0..16 {
            for i in 0..125 {
                let key = node.key(&format!("sprayed-{task}-{i}"));
                let stored = self
                    .backend
                    .read(&key)
                    .await
                    .map_err(|error| fail(format!("read of {key}: {error}")))?;
                if stored.is_some() {
                    return Err(fail(format!("the made-up name's key {key} was written")));
                }
            }
        }
        for (victim, until) in victims.iter().zip(locked_until) {
            let view = node
                .view(victim, at(5_000))
                .await
                .map_err(|error| fail(format!("view of {victim}: {error}")))?;
            if view.can_authenticate || view.unlock_at != until {
                return Err(fail(format!(
                    "{victim} is no longer locked as before: {view:?}"
                )));
            }
        }
        Ok(())
    }

    /// 8 tasks record failures on one key for about 3 s; after 1 s the database goes
    /// away ([`Fault::stop`]) and after 2 s it is back ([`Fault::restart`]). Every error
    /// is a store failure of the kinds an outage gives (connection, timeout, server),
    /// never a corrupt value or an internal error; the store works again within 10 s of
    /// the restart; and the stored count lies between the failures acknowledged and
    /// those plus the errors that say the write may have happened: nothing acknowledged
    /// is lost, and nothing is counted that no call attempted.
    ///
    /// The suite's backend must reach the database through the fault (a
    /// [`Proxy`], say).
    pub async fn outage<F: Fault>(&self, fault: &F) -> Result<(), Failure> {
        const CHECK: &str = "outage";
        let fail = |message: String| Failure {
            check: CHECK,
            message,
        };
        let mut config = self.config(CHECK);
        config.response_timeout = Duration::from_millis(300);
        config.event_deadline = Duration::from_secs(1);
        let policy = pingone(1_000_000, Some(900))?;
        let started = std::time::Instant::now();
        let run_for = Duration::from_secs(3);
        let mut handles = Vec::new();
        for task in 0..8_i64 {
            let store = self.node(CHECK, &config, policy)?;
            handles.push(tokio::spawn(async move {
                let (mut acknowledged, mut maybe, mut errors) = (0_u32, 0_u32, Vec::new());
                let mut i = 0_i64;
                while started.elapsed() < run_for {
                    i = i.saturating_add(1);
                    let now = at(i.saturating_mul(10).saturating_add(task));
                    match store.failure("victim", now, None).await {
                        Ok(_) => acknowledged = acknowledged.saturating_add(1),
                        Err(error) => {
                            if error.maybe_written() {
                                maybe = maybe.saturating_add(1);
                            }
                            errors.push(error);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                (acknowledged, maybe, errors)
            }));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        fault.stop().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        fault.restart().await;
        let (mut acknowledged, mut maybe, mut errors) = (0_u32, 0_u32, 0_u32);
        for handle in handles {
            let (ok, maybe_written, seen) = handle
                .await
                .map_err(|error| fail(format!("a task did not finish: {error}")))?;
            acknowledged = acknowledged.saturating_add(ok);
            maybe = maybe.saturating_add(maybe_written);
            for error in seen {
                errors = errors.saturating_add(1);
                if !matches!(
                    error,
                    Error::Connection { .. } | Error::Timeout { .. } | Error::Server { .. }
                ) {
                    return Err(fail(format!(
                        "an error an outage does not explain: {error}"
                    )));
                }
            }
        }
        if errors == 0 {
            return Err(fail(
                "the outage gave no error: the fault did not cut the store".into(),
            ));
        }
        let reader = self.node(CHECK, &config, policy)?;
        let mut count = None;
        for _ in 0..50 {
            match reader.failure_count("victim", at(1_000_000)).await {
                Ok(value) => {
                    count = Some(value);
                    break;
                }
                Err(Error::Corrupt { key, error }) => {
                    return Err(fail(format!("the outage left {key} corrupt: {error}")));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        let count = count.ok_or_else(|| fail("the store did not recover within 10 s".into()))?;
        if count < acknowledged || count > acknowledged.saturating_add(maybe) {
            return Err(fail(format!(
                "{acknowledged} failures acknowledged, {maybe} maybe written, {errors} errors \
                 in all: {count} counted"
            )));
        }
        Ok(())
    }
}

/// A TCP proxy in front of a database that can cut it off: the [`Fault`] of a backend
/// that reaches its database through [`Proxy::addr`]. While stopped it closes every
/// connection it carries and accepts new ones only to close them, as a server that went
/// away does.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
    acceptor: JoinHandle<()>,
}

#[derive(Debug, Default)]
struct ProxyState {
    stopped: bool,
    carried: Vec<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy on a free port of 127.0.0.1 to `upstream`, running (on the current tokio
    /// runtime) until dropped.
    pub async fn start(upstream: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let shared = Arc::clone(&state);
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if state.stopped {
                    drop(client);
                    continue;
                }
                state.carried.retain(|task| !task.is_finished());
                state.carried.push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Ok(Proxy {
            addr,
            state,
            acceptor,
        })
    }

    /// Where the backend connects.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Fault for Proxy {
    async fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.stopped = true;
        for task in state.carried.drain(..) {
            task.abort();
        }
    }

    async fn restart(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped = false;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for task in state.carried.drain(..) {
            task.abort();
        }
    }
}

/// The reference backend: a map in this process's memory, with TTLs on the host's
/// monotonic clock. It passes every check (`store/tests/memory.rs`), shows in a few
/// lines what the suite expects of a backend, and lets a test see and steer the store's
/// traffic ([`Counted`] counts its calls): [`MemoryBackend::refuse_writes`]
/// answers every write as a full database does, [`MemoryBackend::set_down`] every call
/// as a database that cannot be reached.
#[derive(Clone, Debug, Default)]
pub struct MemoryBackend {
    inner: Arc<Mutex<Memory>>,
}

#[derive(Debug, Default)]
struct Memory {
    entries: std::collections::HashMap<String, (Vec<u8>, Option<std::time::Instant>)>,
    refuse_writes: bool,
    down: bool,
    latency: Duration,
}

/// How many calls of each kind a [`Counted`] backend answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Calls {
    /// [`Backend::read`]s.
    pub reads: u64,
    /// [`Backend::compare_and_set`]s, won or lost.
    pub compare_and_sets: u64,
    /// [`Backend::delete`]s.
    pub deletes: u64,
}

impl Calls {
    /// The calls answered since `earlier` was taken.
    pub fn since(self, earlier: Calls) -> Calls {
        Calls {
            reads: self.reads.saturating_sub(earlier.reads),
            compare_and_sets: self
                .compare_and_sets
                .saturating_sub(earlier.compare_and_sets),
            deletes: self.deletes.saturating_sub(earlier.deletes),
        }
    }
}

/// Any backend, with the calls it answers counted: a store's round trips, per kind of
/// event (`store/tests/memory.rs` and `store/tests/async_store.rs` pin them). Clones
/// share the counts.
///
/// ```
/// # async fn run() {
/// use account_lockout_store::conformance::{Counted, MemoryBackend};
/// use account_lockout_store::{Config, Store};
///
/// let backend = Counted::new(MemoryBackend::new());
/// let policy = account_lockout::dialect::PingOne { failure_count: 3, duration_seconds: None }
///     .policy()
///     .unwrap();
/// let store: Store<_> = Store::new(backend.clone(), Config::default(), policy).unwrap();
/// let before = backend.calls();
/// let _ = store.failure("alice", account_lockout::Instant::from_millis(0), None).await;
/// // One compare-and-set, no read: the store guessed "absent", rightly.
/// assert_eq!(backend.calls().since(before).compare_and_sets, 1);
/// assert_eq!(backend.calls().since(before).reads, 0);
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Counted<B> {
    inner: B,
    calls: Arc<Mutex<Calls>>,
}

impl<B> Counted<B> {
    /// `inner`, counted from now.
    pub fn new(inner: B) -> Counted<B> {
        Counted {
            inner,
            calls: Arc::default(),
        }
    }

    /// The backend counted.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The calls answered so far (by this value and its clones).
    pub fn calls(&self) -> Calls {
        *self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, call: impl FnOnce(&mut Calls)) {
        call(&mut self.calls.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

impl<B: Backend> Backend for Counted<B> {
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.count(|calls| calls.reads = calls.reads.saturating_add(1));
        self.inner.read(key).await
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        write: Write<'_>,
    ) -> Result<Swap, Error> {
        self.count(|calls| calls.compare_and_sets = calls.compare_and_sets.saturating_add(1));
        self.inner.compare_and_set(key, expected, write).await
    }

    async fn delete(&self, key: &str) -> Result<bool, Error> {
        self.count(|calls| calls.deletes = calls.deletes.saturating_add(1));
        self.inner.delete(key).await
    }

    async fn purge_expired(&self) -> Result<u64, Error> {
        self.inner.purge_expired().await
    }
}

impl MemoryBackend {
    /// An empty map.
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    /// From now on, answer every write that stores bytes with an error reply that wrote
    /// nothing, as Redis out of memory does (`refuse`), or store them again. Deletes go
    /// through, as Redis lets them.
    pub fn refuse_writes(&self, refuse: bool) {
        self.lock().refuse_writes = refuse;
    }

    /// From now on, fail every call as a database that cannot be reached does
    /// ([`Error::Connection`], nothing written) (`down`), or answer them again.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// From now on, answer every call after `latency`, as a database across a network
    /// does (zero: at once).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Waits the latency set, without holding the map.
    async fn round_trip(&self) {
        let latency = self.lock().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    /// Writes `bytes` at `key` (no expiry), as another program would: for tests that
    /// need a state the store did not write.
    pub fn insert(&self, key: &str, bytes: &[u8]) {
        let _previous = self
            .lock()
            .entries
            .insert(key.to_owned(), (bytes.to_vec(), None));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Memory {
    /// The live bytes at `key`; an expired entry is removed.
    fn live(&mut self, key: &str) -> Option<Vec<u8>> {
        let now = std::time::Instant::now();
        match self.entries.get(key) {
            Some((_, Some(expiry))) if *expiry <= now => {
                self.entries.remove(key);
                None
            }
            Some((bytes, _)) => Some(bytes.clone()),
            None => None,
        }
    }

    fn reachable(&self) -> Result<(), Error> {
        if self.down {
            return Err(Error::Connection {
                source: "connection refused".into(),
                maybe_written: false,
            });
        }
        Ok(())
    }

    fn refusal(&self) -> Result<(), Error> {
        if self.refuse_writes {
            return Err(Error::Server {
                source: "OOM command not allowed when used memory > 'maxmemory'".into(),
                maybe_written: false,
            });
        }
        Ok(())
    }
}

impl Backend for MemoryBackend {
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.round_trip().await;
        let mut memory = self.lock();
        memory.reachable()?;
        Ok(memory.live(key))
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        write: Write<'_>,
    ) -> Result<Swap, Error> {
        self.round_trip().await;
        let mut memory = self.lock();
        memory.reachable()?;
        let current = memory.live(key);
        if current.as_deref() != expected {
            return Ok(Swap::Changed(current));
        }
        match write {
            Write::Delete => {
                memory.entries.remove(key);
            }
            Write::Set { bytes, ttl } => {
                memory.refusal()?;
                let expiry = ttl.and_then(|ttl| std::time::Instant::now().checked_add(ttl));
                memory
                    .entries
                    .insert(key.to_owned(), (bytes.to_vec(), expiry));
            }
        }
        Ok(Swap::Done)
    }

    async fn delete(&self, key: &str) -> Result<bool, Error> {
        self.round_trip().await;
        let mut memory = self.lock();
        memory.reachable()?;
        let live = memory.live(key).is_some();
        memory.entries.remove(key);
        Ok(live)
    }
}
