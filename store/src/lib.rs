//! # account-lockout-store
//!
//! A fleet of nodes (service replicas, gateways) sharing [`account_lockout`] state
//! through a database, with no lost updates: Redis (one node or a cluster) and
//! PostgreSQL, or any database that implements [`Backend`] and passes the
//! `conformance` suite (feature `conformance`).
//!
//! Each account's state is the library's binary encoding ([`Account::encode`], CRC
//! protected) at the key `prefix + user`. Every event (failure, success, administrator
//! lock, unlock and patch, and the power-loss-safe attempt protocol: begin, finish,
//! recover) applies the library's transition locally at the caller's `now` and writes the
//! result with a compare-and-set that succeeds only if the key still holds the bytes the
//! transition started from; a lost one retries from the bytes it returns, up to a bound
//! ([`Store`]). So:
//!
//! - concurrent attempts on different nodes are never lost;
//! - the lock engages exactly at the threshold across nodes: the failures allowed before
//!   it are exactly the policy's;
//! - the attempt protocol works across nodes: one node begins an attempt, another
//!   finishes it or, after a crash, recovers it as a failure;
//! - an event costs one round trip when no other node wrote the account since this one
//!   last saw it.
//!
//! A key whose account is dormant is deleted, and every other key carries the TTL the
//! state needs, bounded by [`Config::max_retention`] where only a count keeps it
//! ([`retention`]): an account in its initial state costs nothing.
//!
//! Nothing is silently dropped: a database that is down or slow, a corrupt value, or a
//! conflict that outlasts the retries is an [`Error`], and the caller decides with its
//! [`FailMode`] ([`Error::allows_attempt`]), except that a value that does not decode
//! refuses in both modes, and so does contention beyond the bounds ([`Error::Conflict`]).
//! A rejection read from the database stands whatever becomes of its write (and one that
//! changes nothing but `last_seen` is not written), and a lock the node has seen stands
//! while the database cannot be read: a full database never lets a locked account's
//! attempt through, nor does one that is down, where the node saw the lock. A state stored under
//! an earlier policy is migrated to the store's. Memory stays bounded: names the host
//! marks unknown share [`Config::unknown_buckets`] keys ([`Store::unknown_failure`]),
//! and a key that only a count keeps expires [`Config::max_retention`] after its latest
//! event. The clock is injected: every event takes `now`; the database's own clock only
//! counts TTLs.
//!
//! With the feature `tracing`, each event that may change an account reports its final
//! outcome once, through `account_lockout::events` (scope `"account"` with the user name,
//! or `"unknown"` with the bucket's key for [`Store::unknown_failure`]), never once per
//! retry of its compare-and-set: all of it when its state is in the database, the
//! refusal alone when a refusal stands unwritten (its transitions are reported by the
//! event that stores them), nothing for an error. Reads report nothing. An error whose
//! write may have been applied (`maybe_written`) reports nothing either, so such a
//! write's transitions can go unreported.
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn handler() -> Result<(), Box<dyn std::error::Error>> {
//! use account_lockout::{dialect::PingOne, Instant};
//! use account_lockout_store::{Config, FailMode, RedisBackend, Store};
//!
//! let policy = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy()?;
//! let backend = RedisBackend::connect("redis://127.0.0.1:6379/").await?;
//! let store: Store<_> = Store::new(backend, Config::default(), policy)?;
//! let now = Instant::from_millis(1_767_225_600_000);
//!
//! let allowed = match store.failure("alice", now, None).await {
//!     Ok(outcome) => outcome.is_allowed(),
//!     Err(error) => error.allows_attempt(FailMode::Closed), // false: refuse the login
//! };
//! # let _ = allowed;
//! # Ok(())
//! # }
//! ```
//!
//! [`Account::encode`]: account_lockout::Account::encode

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Panic-free by construction: the workspace's lints (the root Cargo.toml).
#![cfg_attr(test, allow(clippy::restriction))]

mod backend;
mod backends;
#[cfg(feature = "redis")]
pub mod blocking;
mod cache;
mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod events;
pub mod retention;
mod store;

pub use backend::{Backend, Swap, Write};
#[cfg(feature = "postgres")]
pub use backends::postgres::PostgresBackend;
#[cfg(feature = "redis")]
pub use backends::redis::RedisBackend;
pub use config::Config;
pub use error::{BoxError, Error, FailMode};
pub use retention::Retention;
pub use store::Store;

/// The README's example, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
