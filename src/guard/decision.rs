//! The combined decision of a guard's three scopes.

use super::answer::{Answer, Disclosure};
use super::scope::{PerScope, Scope};
use crate::outcome::{Decision, Rejection};
use crate::time::Instant;

/// Whether a [`Guard`](crate::Guard) lets an attempt go on: allowed only when every scope
/// allows it; otherwise the refusal with the longest wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GuardDecision {
    /// Every scope allows the attempt.
    Allowed {
        /// The fewest failures any scope has left before it locks
        /// ([`Account::failures_remaining`](crate::Account::failures_remaining));
        /// `None` only when no scope's count can lock.
        failures_remaining: Option<u32>,
    },
    /// A scope refuses the attempt: of the refusals, the one with the longest wait.
    Rejected {
        /// The scope whose refusal this is.
        scope: Scope,
        /// Why it refuses.
        rejection: Rejection,
    },
}

/// How long a refusal lasts, ordered from the shortest: busy (no known wait, but an
/// attempt in flight ends soon), a lock until an instant, no end (a lock only an
/// administrator ends, a disabled user).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wait {
    Unknown,
    Until(Instant),
    Endless,
}

impl Wait {
    const fn of(rejection: Rejection) -> Wait {
        match rejection {
            Rejection::Busy => Wait::Unknown,
            Rejection::Locked {
                unlock_at: Some(until),
            } => Wait::Until(until),
            Rejection::Locked { unlock_at: None } | Rejection::Disabled => Wait::Endless,
        }
    }
}

impl GuardDecision {
    /// Combines the scopes' decisions: the refusal with the longest wait, ties going to
    /// the earlier scope of [`Scope::ALL`]; when none refuses, allowed with the fewest
    /// `failures_remaining` (read only then). A missing decision counts as allowed.
    pub(super) fn combine(
        decisions: PerScope<Option<Decision>>,
        failures_remaining: impl FnOnce() -> PerScope<Option<u32>>,
    ) -> GuardDecision {
        let mut longest: Option<(Scope, Rejection)> = None;
        for (scope, decision) in decisions.iter() {
            if let Some(Decision::Rejected(rejection)) = *decision {
                let longer = longest.is_none_or(|(_, kept)| Wait::of(rejection) > Wait::of(kept));
                if longer {
                    longest = Some((scope, rejection));
                }
            }
        }
        match longest {
            Some((scope, rejection)) => GuardDecision::Rejected { scope, rejection },
            None => GuardDecision::Allowed {
                failures_remaining: failures_remaining()
                    .iter()
                    .filter_map(|(_, remaining)| *remaining)
                    .min(),
            },
        }
    }

    /// Whether every scope allows the attempt.
    #[must_use]
    pub const fn is_allowed(&self) -> bool {
        matches!(self, GuardDecision::Allowed { .. })
    }

    /// What the client may be told at `now` under `disclosure`.
    ///
    /// | decision | [`Disclosure::Full`] | [`Disclosure::AsWrongCredential`] |
    /// |---|---|---|
    /// | allowed | [`Answer::Verify`] | [`Answer::Verify`] |
    /// | user or user × source: locked | `RetryAfter(wait)` | `WrongCredential` |
    /// | user or user × source: busy | `RetryAfter(None)` | `WrongCredential` |
    /// | user or user × source: disabled | `WrongCredential` | `WrongCredential` |
    /// | source: locked | `RetryAfter(wait)` | `RetryAfter(wait)` |
    /// | source: busy | `RetryAfter(None)` | `RetryAfter(None)` |
    /// | source: disabled | `WrongCredential` | `RetryAfter(None)` |
    ///
    /// `wait` is the time from `now` to the lock's end, `None` for a lock only an
    /// administrator ends.
    ///
    /// ```
    /// use account_lockout::{Answer, Disclosure, Duration, GuardDecision, Instant, Rejection, Scope};
    ///
    /// let now = Instant::from_secs(100);
    /// let locked = Rejection::Locked { unlock_at: Some(Instant::from_secs(160)) };
    /// let user = GuardDecision::Rejected { scope: Scope::User, rejection: locked };
    /// let source = GuardDecision::Rejected { scope: Scope::Source, rejection: locked };
    /// let wait = Answer::RetryAfter(Some(Duration::from_secs(60)));
    /// assert_eq!(user.answer(Disclosure::Full, now), wait);
    /// assert_eq!(user.answer(Disclosure::AsWrongCredential, now), Answer::WrongCredential);
    /// assert_eq!(source.answer(Disclosure::AsWrongCredential, now), wait);
    /// ```
    #[must_use]
    pub fn answer(self, disclosure: Disclosure, now: Instant) -> Answer {
        let GuardDecision::Rejected { scope, rejection } = self else {
            return Answer::Verify;
        };
        match (disclosure, scope, rejection) {
            (Disclosure::AsWrongCredential, Scope::User | Scope::UserSource, _)
            | (Disclosure::Full, _, Rejection::Disabled) => Answer::WrongCredential,
            _ => Answer::RetryAfter(rejection.unlock_in(now)),
        }
    }
}
