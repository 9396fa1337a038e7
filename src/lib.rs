//! # account-lockout
//!
//! A deterministic state machine that decides when a user account locks and unlocks:
//! `no_std`, no allocation, no panics, no clock of its own.
//!
//! - One general [`Policy`] ([`Rules`]), of which the six [`dialect`]s (PingOne, Active
//!   Directory, Keycloak, pam_faillock, TPM 2.0, Android Gatekeeper) are constructors.
//! - One [`Account`] state with one transition function: [`Account::failure`],
//!   [`Account::success`], [`Account::check`], and the administrator's
//!   [`Account::unlock`], [`Account::lock`] and [`Account::patch`].
//! - The PingOne account view ([`AccountView`]): `canAuthenticate`, `lockedAt`,
//!   `secondsUntilUnlock`, `status`, `unlockAt`, derived at `now`, serialisable with serde.
//! - Time is injected: every operation takes `now`, an [`Instant`] (milliseconds since the
//!   Unix epoch), after the key where there is one; a host reads it from its [`Clock`].
//!
//! ```
//! use account_lockout::{dialect::PingOne, Account, Decision, Instant, Rejection};
//!
//! let policy = (PingOne { failure_count: 3, duration_seconds: Some(900) }).policy()?;
//! let mut account: Account = Account::new();
//! let now: Instant = "2026-01-01T00:00:00Z".parse()?;
//!
//! for _ in 0..3 {
//!     account.failure(&policy, now, None)?;
//! }
//! let outcome = account.check(&policy, now);
//! assert!(matches!(
//!     outcome.decision(),
//!     Some(Decision::Rejected(Rejection::Locked { unlock_at: Some(_), .. }))
//! ));
//! assert_eq!(account.view(now).unlock_at.unwrap().to_string(), "2026-01-01T00:15:00.000Z");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The contract is the behaviour document, [`behaviour`] (`docs/behaviour.md` in the
//! repository), cited by section, "behaviour §N", throughout these docs; the README covers the policy forms, the scenario simulator and the tests.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Panic-free by construction: every exception is an `#[allow]` with a comment saying why
// it cannot fire (only compile-time evaluation and bounded calendar arithmetic).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

// The std layers (feature `std` and the features that imply it) use the standard library.
#[cfg(feature = "std")]
extern crate std;

mod account;
pub mod behaviour;
mod binary;
mod date;
pub mod dialect;
#[cfg(any(feature = "tracing", feature = "metrics"))]
pub mod events;
mod fingerprint;
#[cfg(feature = "flash")]
pub mod flash;
pub mod guard;
#[cfg(any(feature = "arbitrary", feature = "proptest"))]
pub mod harness;
mod json_key;
mod mfa;
mod operation;
mod outcome;
mod patch;
mod policy;
mod schedule;
mod table;
mod time;
mod view;

pub use account::{Account, AttemptError, AttemptStart, AttemptToken, Verdict};
pub use binary::{BufferTooSmall, DecodeError, Inconsistency};
pub use date::{DateError, DateString, parse_rfc3339};
pub use fingerprint::{Fingerprint, FingerprintKey};
#[cfg(feature = "flash")]
pub use flash::{FlashError, FlashStore};
pub use guard::{
    Answer, Disclosure, Guard, GuardDecision, GuardError, GuardOutcome, GuardPolicy, GuardStart,
    GuardToken, PerScope, Scope, ScopeKey, SourceKey, UserUnlock,
};
#[cfg(feature = "std")]
pub use guard::{Observer, SharedGuard, SystemClock};
pub use mfa::{
    AccountEvent, AccountEvents, AdminOutcome, MfaAccount, MfaError, MfaPolicy, MfaSource,
};
pub use operation::{CapacityError, ErrorCode, LockError, Operation, OperationError};
pub use outcome::{
    Decision, LockCause, MAX_TRANSITIONS, Outcome, Rejection, Transition, TransitionIter,
    Transitions, UnlockCause,
};
pub use patch::{Field, FieldName, Patch, PatchDocument, PatchError, UnlockAtPatch};
pub use policy::{
    DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_ATTEMPTS_IN_FLIGHT, Decay, LockLength, MAX_ATTEMPTS_IN_FLIGHT,
    MAX_CREDENTIAL_MEMORY, MAX_RECORDED_FAILURES, OnLockEnd, OnSuccess, Policy, PolicyError,
    Problem, QuickFailure, Rules,
};
pub use schedule::{MAX_SCHEDULE_STEPS, Schedule, Step};
pub use table::{LockoutTable, TableError};
pub use time::{Clock, Duration, Instant, ManualClock, NegativeDuration, OutOfTimeRange};
pub use view::{AccountView, Status};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
