//! What happened, for logs and dashboards: a `tracing` event for each transition and
//! each refusal (feature `tracing`), and counters of them (feature `metrics`). Both need
//! the standard library; without them the crate stays `no_std`.
//!
//! The layers that own the keys call [`record`] once per operation whose outcome is
//! final: the guard with its scopes, the fleet store (`account-lockout-store`) after its
//! write went through. A host that drives [`Account`](crate::Account)s or a
//! [`LockoutTable`](crate::LockoutTable) itself calls it with the [`Outcome`] each
//! operation returns. Reads (`check`, `view`) report nothing.
//!
//! ```
//! use account_lockout::{dialect::PingOne, events, Account, Instant};
//!
//! let policy = PingOne { failure_count: 3, duration_seconds: Some(900) }.policy()?;
//! let mut account: Account = Account::new();
//! let outcome = account.failure(&policy, Instant::from_secs(0), None)?;
//! // One `counted` event: scope "user", subject "alice", failures 1; and the counter
//! // account_lockout_transitions_total{scope="user",kind="counted"} goes up by one.
//! events::record("user", &"alice", &outcome);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Events
//!
//! These names and fields are a stable interface: a subscriber may filter and alert on
//! them. Every event has the target `"account_lockout"` ([`TARGET`]), its name both as
//! the tracing event's name and in the field `event`, and the fields `scope` (the kind of
//! key, a fixed label such as `"user"`, `"user_source"`, `"source"`, the fleet store's
//! `"account"` and `"unknown"`, or a host's own, such as the example service's `"mfa"`) and `subject` (the key itself: a user name, a source
//! address or prefix, or for `"unknown"` the key of a bucket of names nobody has, never
//! the name, which is often a mistyped password). Instants are RFC 3339 in UTC with
//! milliseconds (`2026-01-01T00:15:00.000Z`, as [`Instant`](crate::Instant)'s
//! `Display`); a deadline that does not exist is `"none"`.
//!
//! | `event` | level | other fields | when |
//! |---|---|---|---|
//! | `counted` | DEBUG | `failures`: the policy's count after it | a failure was counted |
//! | `ignored_repeated` | DEBUG | | a failure repeated a remembered credential and was ignored |
//! | `locked` | INFO | `at`, `until` (or `"none"`: only an administrator ends it), `cause`: `policy`, `quickFailure`, `consecutiveFailures` or `administrator` | the account went from `OK` to `LOCKED` |
//! | `lock_changed` | DEBUG | `until`, `cause` (as for `locked`) | an administrator changed a lock that stays on |
//! | `unlocked` | INFO | `at`: when it really happened (the deadline of a lock that expired, even when the expiry is noticed later), `cause`: `expired` or `administrator` | the account went from `LOCKED` to `OK` |
//! | `disabled` | DEBUG | | the user was disabled |
//! | `enabled` | DEBUG | | the user was enabled |
//! | `rejected` | INFO | `reason`: `locked` or `disabled`; `unlock_at`: when the lock ends by itself, or `"none"` | an attempt was refused |
//! | `busy` | INFO | | an attempt could not begin: the attempts in flight fill the lock's budget ([behaviour §7.1](crate::behaviour#s7-1)) |
//!
//! One operation's events come in the order its transitions happened
//! ([`Outcome::transitions`], which lists each kind at most once: the last of it, so
//! `counted` gives the count as the operation left it), then the refusal, if any. So the
//! failure that locks is `counted` then `locked`, and an attempt that finds a lock whose
//! deadline passed is `unlocked`, stamped with that deadline, before anything else.
//!
//! **No credential material is ever logged or counted**: [`record`] is given the key and
//! the outcome, and neither holds the attempted credential or its
//! [`Fingerprint`](crate::Fingerprint). The subject is personal data all the same (a user
//! name, an address): a subscriber can drop or hash it by the target and field name.
//!
//! # Counters
//!
//! With the feature `metrics`, through the `metrics` crate's facade (the host installs a
//! recorder, a Prometheus exporter say); no counter has a per-user label:
//!
//! - `account_lockout_transitions_total{scope, kind}` ([`TRANSITIONS_TOTAL`]): one per
//!   transition; `kind` is the event's name (`counted`, `ignored_repeated`, `locked`,
//!   `lock_changed`, `unlocked`, `disabled`, `enabled`);
//! - `account_lockout_rejections_total{scope, reason}` ([`REJECTIONS_TOTAL`]): one per
//!   refusal; `reason` is `locked`, `disabled` or `busy`.

use core::fmt;

use crate::outcome::{Decision, Outcome, Rejection, Transition};

/// An event named `$name` at `$level`, with the name in the field `event` too (for
/// subscribers that show fields but not names).
#[cfg(feature = "tracing")]
macro_rules! emit {
    ($level:expr, $name:literal, $($fields:tt)*) => {
        tracing::event!(name: $name, target: TARGET, $level, event = $name, $($fields)*)
    };
}

/// The target of every event.
pub const TARGET: &str = "account_lockout";

/// The counter of transitions, labelled `scope` and `kind`.
pub const TRANSITIONS_TOTAL: &str = "account_lockout_transitions_total";

/// The counter of refusals, labelled `scope` and `reason`.
pub const REJECTIONS_TOTAL: &str = "account_lockout_rejections_total";

/// Reports what one operation did on the key `subject` of the kind `scope`: an event (and
/// a count) for each of its transitions, in order, then one for its refusal, if it was
/// refused.
///
/// Call it once per operation, when its outcome is final (after it was stored, where it
/// is stored). `scope` is a fixed label, never built from input: it is a label of the
/// counters. `subject` is the key: a user name or an address, never a credential.
pub fn record(scope: &'static str, subject: &dyn fmt::Display, outcome: &Outcome) {
    for transition in outcome.transitions() {
        record_transition(scope, subject, transition);
    }
    if let Some(Decision::Rejected(rejection)) = outcome.decision() {
        record_rejection(scope, subject, rejection);
    }
}

/// Reports a refusal alone: for a layer whose refusal stands although the state it was
/// computed on could not be stored (the fleet store while its database refuses writes).
/// The transitions that state showed were not stored either, so the event that stores
/// them reports them; reporting them now would report them twice.
///
/// ```
/// use account_lockout::{events, Rejection};
/// events::record_rejection("account", &"alice", Rejection::Disabled);
/// ```
pub fn record_rejection(scope: &'static str, subject: &dyn fmt::Display, rejection: Rejection) {
    #[cfg(feature = "tracing")]
    match rejection {
        Rejection::Busy => emit!(tracing::Level::INFO, "busy", scope, subject = %subject),
        Rejection::Locked { .. } | Rejection::Disabled => emit!(
            tracing::Level::INFO,
            "rejected",
            scope,
            subject = %subject,
            reason = rejection.as_str(),
            unlock_at = %Deadline(match rejection {
                Rejection::Locked { unlock_at } => unlock_at,
                Rejection::Disabled | Rejection::Busy => None,
            }),
        ),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = subject;
    #[cfg(feature = "metrics")]
    metrics::counter!(
        REJECTIONS_TOTAL,
        "scope" => scope,
        "reason" => rejection.as_str(),
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = scope;
}

/// One event (and one count) for `transition`.
fn record_transition(scope: &'static str, subject: &dyn fmt::Display, transition: Transition) {
    #[cfg(feature = "tracing")]
    match transition {
        Transition::Counted { failures } => emit!(
            tracing::Level::DEBUG,
            "counted",
            scope,
            subject = %subject,
            failures,
        ),
        Transition::IgnoredRepeated => emit!(
            tracing::Level::DEBUG,
            "ignored_repeated",
            scope,
            subject = %subject,
        ),
        Transition::Locked { at, until, cause } => emit!(
            tracing::Level::INFO,
            "locked",
            scope,
            subject = %subject,
            at = %at,
            until = %Deadline(until),
            cause = cause.as_str(),
        ),
        Transition::LockChanged { until, cause } => emit!(
            tracing::Level::DEBUG,
            "lock_changed",
            scope,
            subject = %subject,
            until = %Deadline(until),
            cause = cause.as_str(),
        ),
        Transition::Unlocked { at, cause } => emit!(
            tracing::Level::INFO,
            "unlocked",
            scope,
            subject = %subject,
            at = %at,
            cause = cause.as_str(),
        ),
        Transition::Disabled => emit!(
            tracing::Level::DEBUG,
            "disabled",
            scope,
            subject = %subject,
        ),
        Transition::Enabled => emit!(
            tracing::Level::DEBUG,
            "enabled",
            scope,
            subject = %subject,
        ),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = subject;
    #[cfg(feature = "metrics")]
    metrics::counter!(
        TRANSITIONS_TOTAL,
        "scope" => scope,
        "kind" => kind(&transition),
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (scope, transition);
}

/// The event name of a transition, the `kind` label of its count.
#[cfg(feature = "metrics")]
const fn kind(transition: &Transition) -> &'static str {
    match transition {
        Transition::Counted { .. } => "counted",
        Transition::IgnoredRepeated => "ignored_repeated",
        Transition::Locked { .. } => "locked",
        Transition::LockChanged { .. } => "lock_changed",
        Transition::Unlocked { .. } => "unlocked",
        Transition::Disabled => "disabled",
        Transition::Enabled => "enabled",
    }
}

/// A deadline as an event shows it: RFC 3339, or `none` when only an administrator
/// ends the lock.
#[cfg(feature = "tracing")]
struct Deadline(Option<crate::Instant>);

#[cfg(feature = "tracing")]
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(instant) => instant.fmt(f),
            None => f.write_str("none"),
        }
    }
}
