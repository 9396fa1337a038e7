//! The store: one connection, one policy, every event as a compare-and-set.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::thread;
use std::time::{Duration, Instant as Clock};

use account_lockout::{
    Account, AccountView, AttemptError, AttemptStart, AttemptToken, CapacityError, Decision,
    Fingerprint, Instant, Operation, OperationError, Outcome, Patch, Policy, Verdict,
};
use redis::{Client, Connection, Script, Value};

use crate::config::Config;
use crate::error::Error;
use crate::retention::{Retention, bounded_retention};

/// The compare-and-set, run atomically by Redis.
///
/// `ARGV[1]` is `"1"` when the caller read a value (`ARGV[2]`), `"0"` when it found the
/// key absent. If the key does not hold exactly that, nothing is written and the reply is
/// `{0}` (absent) or `{0, value}`, so the caller can retry without another read. Otherwise
/// `ARGV[3]` says what to write: `"del"`, `"set"` (`ARGV[4]`, no expiry) or `"px"`
/// (`ARGV[4]` expiring after `ARGV[5]` ms); the reply is `{1}`. The write is the script's
/// last command, so an error reply means nothing was written.
const COMPARE_AND_SET: &str = r"
local current = redis.call('GET', KEYS[1])
local same
if ARGV[1] == '1' then
  same = current ~= false and current == ARGV[2]
else
  same = current == false
end
if not same then
  if current == false then return {0} end
  return {0, current}
end
if ARGV[3] == 'del' then
  redis.call('DEL', KEYS[1])
elseif ARGV[3] == 'set' then
  redis.call('SET', KEYS[1], ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
end
return {1}
";

/// FNV-1a (64 bits): the hash that spreads unknown names over their buckets.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// What a compare-and-set found.
enum Swap {
    /// It wrote.
    Done,
    /// The key held something else (`None`: absent); nothing was written.
    Changed(Option<Vec<u8>>),
}

/// Accounts kept in Redis and shared by every node that opens a store on the same
/// server, key prefix and policy.
///
/// Each event reads the account's encoded state ([`Account::encode`]), applies the
/// library's transition locally at the caller's `now`, and writes the result back with a
/// compare-and-set that succeeds only if the key still holds exactly what was read. A
/// lost compare-and-set retries from the value Redis returned, up to
/// [`Config::max_attempts`], then fails with [`Error::Conflict`]. So every event applies
/// to the state that all earlier events left, in one order that all nodes agree on:
/// none is lost, and the failure that reaches a threshold is the only one that locks.
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
/// **The server.** A key that Redis evicts is an account back in its initial state, so
/// the store refuses a server whose `maxmemory-policy` is not `noeviction`
/// ([`Error::Config`]). It asks whenever it connects: at [`Store::open`], and after a
/// broken connection. A server that refuses `CONFIG GET` (managed Redis services often
/// do) is accepted unchecked.
///
/// One store is one connection: use one per thread. A connection that broke or timed
/// out is dropped and the next event connects again.
pub struct Store<const RECORDS: usize = 0, const MEMORY: usize = 0> {
    client: Client,
    connection: Option<Connection>,
    config: Config,
    policy: Policy,
    script: Script,
    conflicts: u64,
    jitter: u64,
}

impl<const RECORDS: usize, const MEMORY: usize> Store<RECORDS, MEMORY> {
    /// A store for `policy`, connected and with the server checked (see the type's
    /// documentation).
    ///
    /// Fails with [`Error::Config`] when the configuration is invalid, when the account
    /// type (`RECORDS`, `MEMORY`) cannot hold the policy's state
    /// ([`Policy::records_needed`], [`Policy::memory_needed`]; every failure would
    /// otherwise be refused), or when the server may evict keys. A server that cannot be
    /// reached is not an error here: the store opens, and the first event connects (and
    /// checks) or reports the outage.
    pub fn open(config: Config, policy: Policy) -> Result<Self, Error> {
        config.validate()?;
        let (records, memory) = (policy.records_needed(), policy.memory_needed());
        if records > RECORDS || memory > MEMORY {
            return Err(Error::Config(format!(
                "the policy needs an account type with room for {records} failure times \
                 and {memory} credential fingerprints (Store<{records}, {memory}>); this \
                 one has room for {RECORDS} and {MEMORY}"
            )));
        }
        let client =
            Client::open(config.url.as_str()).map_err(|error| Error::Config(error.to_string()))?;
        let mut store = Store {
            client,
            connection: None,
            config,
            policy,
            script: Script::new(COMPARE_AND_SET),
            conflicts: 0,
            jitter: RandomState::new().hash_one(0_u8) | 1,
        };
        match store.connect() {
            Ok(connection) => store.connection = Some(connection),
            Err(error @ Error::Config(_)) => return Err(error),
            // Unreachable or too slow now: the first event tries again.
            Err(_) => {}
        }
        Ok(store)
    }

    /// The policy every event applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The Redis key of `user`'s account.
    pub fn key(&self, user: &str) -> String {
        format!("{}{user}", self.config.key_prefix)
    }

    /// How many compare-and-sets this store lost (and retried) so far.
    pub fn conflicts(&self) -> u64 {
        self.conflicts
    }

    /// A new connection, with its timeouts set and the server checked.
    fn connect(&self) -> Result<Connection, Error> {
        let mut connection = self
            .client
            .get_connection_with_timeout(self.config.connect_timeout)
            .and_then(|connection| {
                connection.set_read_timeout(Some(self.config.response_timeout))?;
                connection.set_write_timeout(Some(self.config.response_timeout))?;
                Ok(connection)
            })
            .map_err(|error| Error::from_redis(error, false))?;
        check_eviction(&mut connection)?;
        Ok(connection)
    }

    /// Runs `command` on the connection, connecting first if needed; an error that
    /// leaves the connection unusable drops it.
    fn with_connection<T>(
        &mut self,
        maybe_written: bool,
        command: impl FnOnce(&mut Connection, &Script) -> redis::RedisResult<T>,
    ) -> Result<T, Error> {
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => self.connect()?,
        };
        let result = command(&mut connection, &self.script)
            .map_err(|error| Error::from_redis(error, maybe_written));
        match &result {
            Err(error) if error.breaks_connection() => {}
            _ => self.connection = Some(connection),
        }
        result
    }

    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.with_connection(false, |connection, _| {
            redis::cmd("GET").arg(key).query(connection)
        })
    }

    fn compare_and_set(
        &mut self,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
        retention: Retention,
    ) -> Result<Swap, Error> {
        let (mode, ttl) = match (new, retention) {
            (None, _) | (_, Retention::Delete) => ("del", 0),
            (Some(_), Retention::Forever) => ("set", 0),
            (Some(_), Retention::Expire(ttl)) => (
                "px",
                u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1),
            ),
        };
        let reply: Value = self.with_connection(true, |connection, script| {
            script
                .key(key)
                .arg(if expected.is_some() { "1" } else { "0" })
                .arg(expected.unwrap_or_default())
                .arg(mode)
                .arg(new.unwrap_or_default())
                .arg(ttl)
                .invoke(connection)
        })?;
        match reply {
            Value::Array(items) => match items.as_slice() {
                [Value::Int(1)] => Ok(Swap::Done),
                [Value::Int(0)] => Ok(Swap::Changed(None)),
                [Value::Int(0), Value::BulkString(current)] => {
                    Ok(Swap::Changed(Some(current.clone())))
                }
                _ => Err(unexpected_reply()),
            },
            _ => Err(unexpected_reply()),
        }
    }

    /// The account a stored value holds: decoded for this policy, or migrated to it from
    /// the policy it was stored under ([`Account::decode_migrating`]); `None` is the
    /// initial state. The migrated state is written by the next event that changes it (the
    /// compare-and-set still compares with the bytes that were read).
    fn decode(&self, key: &str, bytes: Option<&[u8]>) -> Result<Account<RECORDS, MEMORY>, Error> {
        let Some(bytes) = bytes else {
            return Ok(Account::new());
        };
        Account::decode_migrating(bytes, &self.policy).map_err(|error| Error::Corrupt {
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
    fn back_off(&mut self, lost: u32) -> bool {
        if lost <= 3 {
            return false;
        }
        // xorshift64: the jitter needs no quality, only a different value per node.
        self.jitter ^= self.jitter << 13;
        self.jitter ^= self.jitter >> 7;
        self.jitter ^= self.jitter << 17;
        let ceiling = (25_u64 << lost.saturating_sub(3).min(6)).min(1_000);
        let pause = self
            .jitter
            .checked_rem(ceiling)
            .unwrap_or(0)
            .saturating_add(1);
        thread::sleep(Duration::from_micros(pause));
        true
    }

    /// The account of `user` as stored (`None`: absent, which is the initial state).
    /// A read; it changes nothing.
    pub fn load(&mut self, user: &str) -> Result<Option<Account<RECORDS, MEMORY>>, Error> {
        let key = self.key(user);
        let bytes = self.read(&key)?;
        match bytes {
            None => Ok(None),
            Some(bytes) => self.decode(&key, Some(&bytes)).map(Some),
        }
    }

    /// Applies `event` to the account at `key` at `now` with optimistic concurrency (see the
    /// type's documentation) and returns what it returned. An event that returns an error
    /// writes nothing.
    ///
    /// `decision` says whether a result is an attempt's decision. A **rejection stands**:
    /// once a state that was read rejects the attempt (locked, disabled), the rejection is
    /// returned whatever happens to the write (an error reply such as out of memory, a
    /// broken connection, contention beyond the bound), so that no fail mode can turn a
    /// locked account's attempt into an allowed one. And a rejection that changes nothing
    /// but `last_seen` **writes nothing** ([`only_last_seen_changed`]).
    fn update<T>(
        &mut self,
        key: String,
        now: Instant,
        decision: fn(&T) -> Option<Decision>,
        mut event: impl FnMut(&mut Account<RECORDS, MEMORY>, Instant) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let started = Clock::now();
        let mut current = self.read(&key)?;
        let mut buffer = vec![0_u8; Account::<RECORDS, MEMORY>::MAX_ENCODED_LEN];
        // The latest rejection computed from a state that was read.
        let mut rejection: Option<T> = None;
        for attempt in 1..=self.config.max_attempts {
            if attempt > 1 && started.elapsed() >= self.config.event_deadline {
                // Every compare-and-set so far lost, so nothing was written.
                return rejection
                    .ok_or_else(|| deadline_passed(&self.config, attempt.saturating_sub(1)));
            }
            let before = self.decode(&key, current.as_deref())?;
            let mut account = before;
            let at = Self::effective_now(&account, now);
            let result = event(&mut account, at)?;
            let rejected = matches!(decision(&result), Some(Decision::Rejected(_)));
            if rejected && only_last_seen_changed(&before, &account, &self.policy, at) {
                return Ok(result);
            }
            let retention = bounded_retention(
                &account,
                &self.policy,
                at,
                self.config.ttl_margin,
                self.config.max_retention,
            );
            let new = match retention {
                Retention::Delete => None,
                Retention::Expire(_) | Retention::Forever => {
                    let length = account
                        .encode(&mut buffer)
                        .map_err(|_| Error::Internal("the encoding buffer is too small"))?;
                    buffer.get(..length)
                }
            };
            if new == current.as_deref() {
                // Same bytes, same state, and so the same TTL as the one already set.
                return Ok(result);
            }
            match self.compare_and_set(&key, current.as_deref(), new, retention) {
                Ok(Swap::Done) => return Ok(result),
                Err(_) if rejected => return Ok(result),
                Err(error) => return Err(error),
                Ok(Swap::Changed(value)) => {
                    rejection = if rejected { Some(result) } else { None };
                    self.conflicts = self.conflicts.saturating_add(1);
                    // Retry at once from the value Redis returned; after a pause, that
                    // value is stale (others wrote meanwhile), so read afresh.
                    current = if self.back_off(attempt) {
                        match self.read(&key) {
                            Ok(value) => value,
                            Err(error) => return rejection.ok_or(error),
                        }
                    } else {
                        value
                    };
                }
            }
        }
        rejection.ok_or(Error::Conflict {
            key,
            attempts: self.config.max_attempts,
        })
    }

    /// Reads `user`'s account and answers `read` on it at `now` (never before the
    /// account's latest event); writes nothing.
    fn inspect<T>(
        &mut self,
        user: &str,
        now: Instant,
        read: impl FnOnce(&Account<RECORDS, MEMORY>, Instant) -> T,
    ) -> Result<T, Error> {
        let key = self.key(user);
        let bytes = self.read(&key)?;
        let account = self.decode(&key, bytes.as_deref())?;
        let at = Self::effective_now(&account, now);
        Ok(read(&account, at))
    }

    /// May `user` authenticate at `now`? A read: it writes nothing, so it is only a
    /// snapshot. To gate a credential check, use [`Store::begin_attempt`], whose decision
    /// is part of the write.
    pub fn check(&mut self, user: &str, now: Instant) -> Result<Outcome, Error> {
        let policy = self.policy;
        self.inspect(user, now, |account, at| account.check(&policy, at))
    }

    /// The PingOne view of `user`'s account at `now`. A read.
    pub fn view(&mut self, user: &str, now: Instant) -> Result<AccountView, Error> {
        self.inspect(user, now, |account, at| account.view(at))
    }

    /// The policy's failure count of `user` at `now`. A read.
    pub fn failure_count(&mut self, user: &str, now: Instant) -> Result<u32, Error> {
        let policy = self.policy;
        self.inspect(user, now, |account, at| account.failure_count(&policy, at))
    }

    /// How many more failures of `user` at `now` would lock the account
    /// ([`Account::failures_remaining`]). A read.
    pub fn failures_remaining(&mut self, user: &str, now: Instant) -> Result<Option<u32>, Error> {
        let policy = self.policy;
        self.inspect(user, now, |account, at| {
            account.failures_remaining(&policy, at)
        })
    }

    /// A failed attempt ([`Account::failure`]).
    pub fn failure(
        &mut self,
        user: &str,
        now: Instant,
        credential: Option<Fingerprint>,
    ) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Failure { credential })
    }

    /// A successful attempt ([`Account::success`]).
    pub fn success(&mut self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Success)
    }

    /// An administrator unlock ([`Account::unlock`]).
    pub fn unlock(&mut self, user: &str, now: Instant) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Unlock)
    }

    /// An administrator lock until `until`, or with no deadline ([`Account::lock`]).
    pub fn lock(
        &mut self,
        user: &str,
        now: Instant,
        until: Option<Instant>,
    ) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Lock { until })
    }

    /// An administrator patch ([`Account::patch`]).
    pub fn patch(&mut self, user: &str, now: Instant, patch: &Patch) -> Result<Outcome, Error> {
        self.apply(user, now, Operation::Patch(*patch))
    }

    /// Any operation ([`Account::apply`]); `Check` is a read and writes nothing.
    pub fn apply(
        &mut self,
        user: &str,
        now: Instant,
        operation: Operation,
    ) -> Result<Outcome, Error> {
        if operation == Operation::Check {
            return self.check(user, now);
        }
        self.apply_to(self.key(user), now, operation)
    }

    /// [`Store::apply`] on the account at `key` (an operation other than `Check`).
    fn apply_to(
        &mut self,
        key: String,
        now: Instant,
        operation: Operation,
    ) -> Result<Outcome, Error> {
        let policy = self.policy;
        self.update(key, now, outcome_decision, |account, at| {
            account
                .apply(&policy, at, operation)
                .map_err(Error::Refused)
        })
    }

    /// Begins an attempt ([`Account::begin_attempt`]): the decision and the mark of the
    /// attempt in flight are written together, before the credential is checked. Another
    /// node may finish it (given the token) or [`Store::recover`] it.
    pub fn begin_attempt(&mut self, user: &str, now: Instant) -> Result<AttemptStart, Error> {
        let policy = self.policy;
        self.update(
            self.key(user),
            now,
            |start: &AttemptStart| start.outcome.decision(),
            |account, at| account.begin_attempt(&policy, at).map_err(refused),
        )
    }

    /// Finishes the attempt of `token` with the credential check's verdict
    /// ([`Account::finish_attempt`]).
    pub fn finish_attempt(
        &mut self,
        user: &str,
        now: Instant,
        token: AttemptToken,
        verdict: Verdict,
    ) -> Result<Outcome, Error> {
        let policy = self.policy;
        self.update(self.key(user), now, outcome_decision, |account, at| {
            account
                .finish_attempt(&policy, at, token, verdict)
                .map_err(|error| match error {
                    AttemptError::Capacity(error) => refused(error),
                    AttemptError::UnknownAttempt => Error::UnknownAttempt,
                    // `AttemptError` is non-exhaustive: a variant added to the library
                    // that this crate does not handle yet is a bug of this crate.
                    _ => Error::Internal("an attempt error this store does not handle"),
                })
        })
    }

    /// Counts an attempt left in flight (by a node that crashed or lost its verdict) as a
    /// failure ([`Account::recover`]); without one, writes nothing.
    pub fn recover(&mut self, user: &str, now: Instant) -> Result<Outcome, Error> {
        let policy = self.policy;
        self.update(self.key(user), now, outcome_decision, |account, at| {
            account.recover(&policy, at).map_err(refused)
        })
    }

    /// The key that `user`, a name the host does not know, shares with the other unknown
    /// names of its bucket: [`Config::unknown_prefix`] and the bucket's number, of
    /// [`Config::unknown_buckets`], chosen by a hash of the name (FNV-1a, the same on
    /// every node).
    pub fn unknown_key(&self, user: &str) -> String {
        let hash = user.bytes().fold(FNV_OFFSET, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
        });
        let bucket = hash
            .checked_rem(u64::from(self.config.unknown_buckets))
            .unwrap_or(0);
        format!("{}{bucket}", self.config.unknown_prefix)
    }

    /// A failed attempt on `user`, a name the host does not know (no such account):
    /// counted in the name's bucket ([`Store::unknown_key`]), not under a key of its own,
    /// so that a spray of made-up names costs at most [`Config::unknown_buckets`] keys.
    /// The outcome is the bucket's, under the store's policy: it lets the host answer an
    /// unknown name as it answers a known one (allowed and counted, or rejected as
    /// locked), without a key per name. A rejection writes nothing, as for
    /// [`Store::failure`].
    pub fn unknown_failure(&mut self, user: &str, now: Instant) -> Result<Outcome, Error> {
        let failure = Operation::Failure { credential: None };
        self.apply_to(self.unknown_key(user), now, failure)
    }

    /// Deletes `user`'s key whatever it holds: the administrator's way out of
    /// [`Error::Corrupt`] (the account restarts in its initial state). Returns whether a
    /// key was there.
    pub fn forget(&mut self, user: &str) -> Result<bool, Error> {
        let key = self.key(user);
        let removed: u64 = self.with_connection(true, |connection, _| {
            redis::cmd("DEL").arg(&key).query(connection)
        })?;
        Ok(removed > 0)
    }
}

/// Refuses a server that may evict keys: an evicted key is an account back in its initial
/// state, its failures and lock forgotten. A server that refuses the question (`CONFIG`
/// renamed or not permitted, as on managed services) is accepted, and so is an answer
/// that names no policy.
fn check_eviction(connection: &mut Connection) -> Result<(), Error> {
    let reply: Value = match redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query(connection)
    {
        Ok(reply) => reply,
        Err(error) => {
            return match Error::from_redis(error, false) {
                // Refused (unknown command, not permitted), not a passing condition such
                // as a server still loading its data.
                Error::Server { source, .. }
                    if matches!(
                        source.kind(),
                        redis::ErrorKind::ResponseError | redis::ErrorKind::ExtensionError
                    ) =>
                {
                    Ok(())
                }
                error => Err(error),
            };
        }
    };
    // RESP2 answers [name, value]; RESP3 a map.
    let policy = match &reply {
        Value::Array(items) => match items.as_slice() {
            [_, Value::BulkString(value)] => Some(value.as_slice()),
            _ => None,
        },
        Value::Map(pairs) => match pairs.as_slice() {
            [(_, Value::BulkString(value))] => Some(value.as_slice()),
            _ => None,
        },
        _ => None,
    };
    match policy {
        Some(b"noeviction") | None => Ok(()),
        Some(policy) => Err(Error::Config(format!(
            "the server's maxmemory-policy is {}: under memory pressure it may evict an \
             account's key and forget its failures and lock; set maxmemory-policy to \
             noeviction on a server of the lockout's own",
            String::from_utf8_lossy(policy)
        ))),
    }
}

/// The error of an event whose retries outlasted [`Config::event_deadline`] after `lost`
/// lost compare-and-sets.
fn deadline_passed(config: &Config, lost: u32) -> Error {
    Error::Timeout {
        source: redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "the event's deadline of {:?} passed after {lost} lost compare-and-sets",
                config.event_deadline
            ),
        )),
        maybe_written: false,
    }
}

/// The decision of an operation's outcome (`None` for an administrator operation).
fn outcome_decision(outcome: &Outcome) -> Option<Decision> {
    outcome.decision()
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

fn refused(error: CapacityError) -> Error {
    Error::Refused(OperationError::Capacity(error))
}

fn unexpected_reply() -> Error {
    Error::Server {
        source: redis::RedisError::from((
            redis::ErrorKind::TypeError,
            "unexpected reply from the compare-and-set script",
        )),
        // The script replied, but not as it does: whether it wrote is unknown.
        maybe_written: true,
    }
}
