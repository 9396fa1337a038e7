//! # account-lockout-redis
//!
//! A fleet of nodes (service replicas, gateways) sharing [`account_lockout`] state through
//! Redis, with no lost updates.
//!
//! Each account's state is the library's binary encoding ([`Account::encode`], CRC
//! protected) at the key `prefix + user`. Every event (failure, success, administrator
//! lock, unlock and patch, and the power-loss-safe attempt protocol: begin, finish,
//! recover) reads the state, applies the library's transition locally at the caller's
//! `now`, and writes it back with a Lua compare-and-set that succeeds only if the key
//! still holds what was read; a lost one retries, up to a bound ([`Store`]). So:
//!
//! - concurrent attempts on different nodes are never lost;
//! - the lock engages exactly at the threshold across nodes: the failures allowed before
//!   it are exactly the policy's;
//! - the attempt protocol works across nodes: one node begins an attempt, another
//!   finishes it or, after a crash, recovers it as a failure.
//!
//! A key whose account is dormant is deleted, and every other key carries the TTL the
//! state needs, bounded by [`Config::max_retention`] where only a count keeps it
//! ([`retention`]): an account in its initial state costs nothing.
//!
//! Nothing is silently dropped: a Redis that is down or slow, a corrupt value, or a
//! conflict that outlasts the retries is an [`Error`], and the caller decides with its
//! [`FailMode`] ([`Error::allows_attempt`]), except that a value that does not decode
//! refuses in both modes. A rejection that was read stands whatever becomes of its write
//! (and one that changes nothing but `last_seen` is not written), so a full or failing
//! Redis never lets a locked account's attempt through. A state stored under an earlier
//! policy is migrated to the store's. Memory stays bounded: names the host marks unknown
//! share [`Config::unknown_buckets`] keys ([`Store::unknown_failure`]), and a key that only
//! a count keeps expires [`Config::max_retention`] after its latest event. The clock is injected: every event takes
//! `now`; Redis's own clock only counts TTLs.
//!
//! ```no_run
//! use account_lockout::{dialect::PingOne, Decision, Instant};
//! use account_lockout_redis::{Config, FailMode, Store};
//!
//! let policy = PingOne { failure_count: 5, duration_seconds: Some(900) }.policy()?;
//! let mut store: Store = Store::open(Config::new("redis://127.0.0.1:6379/"), policy)?;
//! let now = Instant::from_millis(1_767_225_600_000);
//!
//! let allowed = match store.failure("alice", now, None) {
//!     Ok(outcome) => outcome.decision() == Some(Decision::Allowed),
//!     Err(error) => error.allows_attempt(FailMode::Closed), // false: refuse the login
//! };
//! # let _ = allowed;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Account::encode`]: account_lockout::Account::encode

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Panic-free by construction: the workspace's lints (the root Cargo.toml).
#![cfg_attr(test, allow(clippy::restriction))]

mod config;
mod error;
pub mod retention;
mod store;

pub use config::Config;
pub use error::{Error, FailMode};
pub use retention::Retention;
pub use store::Store;

/// The README's example, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
