//! What a database must offer the store: read, compare-and-set with a time to live, and
//! delete ([`Backend`]).

use std::future::Future;
use std::time::Duration;

use crate::error::Error;

/// What to write when a compare-and-set wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Write<'a> {
    /// Remove the key: the account is back in its initial state.
    Delete,
    /// Store `bytes`, to be forgotten after `ttl` (`None`: kept until an event changes
    /// it). The TTL is counted by the database's own clock from the write.
    Set {
        /// The account's encoded state.
        bytes: &'a [u8],
        /// How long the state matters ([`crate::retention`]); never zero.
        ttl: Option<Duration>,
    },
}

/// What a compare-and-set found.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Swap {
    /// The key held what was expected, and the write happened.
    Done,
    /// The key held something else, returned here (`None`: absent or expired); nothing
    /// was written. The store retries from it without another read.
    Changed(Option<Vec<u8>>),
}

/// A key-value database the [`crate::Store`] keeps accounts in.
///
/// Three operations, each atomic on its key:
///
/// - [`Backend::read`]: the bytes at a key, `None` when it is absent **or expired**;
/// - [`Backend::compare_and_set`]: write only if the key holds exactly `expected`
///   (`None`: absent or expired), and otherwise return what it holds, in the same round
///   trip where the database allows it;
/// - [`Backend::delete`]: remove a key whatever it holds.
///
/// The store runs every transition of the library over these, so a backend carries no
/// lockout logic. An expired key must never be returned: a state is stored with the TTL
/// it needs ([`crate::retention`]), and a backend that purges lazily (PostgreSQL's
/// `expires_at`) must hide expired rows as if they were gone.
///
/// **Errors.** A failure is an [`Error::Connection`], [`Error::Timeout`] or
/// [`Error::Server`] whose `maybe_written` is true only when a compare-and-set or a
/// delete may have been applied although no answer came back. The store adds its own
/// timeout ([`crate::Config::response_timeout`]) around every call, so a backend need
/// not.
///
/// A backend is a cheap handle (`Clone`, `Send + Sync`) on shared connections: the store
/// and its clones share it between tasks. The crate implements it for Redis
/// (`RedisBackend`, feature `redis`) and PostgreSQL (`PostgresBackend`, feature
/// `postgres`); the `conformance` module (feature `conformance`) tests any
/// implementation.
pub trait Backend: Clone + Send + Sync + 'static {
    /// The bytes at `key`, or `None` when it is absent or expired.
    fn read(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, Error>> + Send;

    /// Writes `write` at `key` if and only if the key holds exactly `expected` (`None`:
    /// absent or expired). [`Swap::Changed`] carries what it held instead.
    fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        write: Write<'_>,
    ) -> impl Future<Output = Result<Swap, Error>> + Send;

    /// Removes `key` whatever it holds; whether a live (unexpired) value was there.
    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Removes the expired keys that the database does not remove by itself, and returns
    /// how many went. Redis expires keys itself (nothing to do: the default); PostgreSQL
    /// deletes its expired rows. Never removes a key that has not expired, so it may run
    /// at any time, from any node.
    fn purge_expired(&self) -> impl Future<Output = Result<u64, Error>> + Send {
        async { Ok(0) }
    }
}
