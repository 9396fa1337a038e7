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
        /// The source scope's own refusal, when it refuses too (it is `rejection` itself
        /// when `scope` is the source). Under [`Disclosure::AsWrongCredential`] it is what
        /// the client is told, so that a throttled address learns nothing of the users.
        source: Option<Rejection>,
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
        let source = match decisions.source {
            Some(Decision::Rejected(rejection)) => Some(rejection),
            _ => None,
        };
        match longest {
            Some((scope, rejection)) => GuardDecision::Rejected {
                scope,
                rejection,
                source,
            },
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
    /// | the source scope refuses (whatever the others say) | as below, by the longest wait | `RetryAfter` the source's own wait (`None` when busy) |
    /// | locked (the longest wait) | `RetryAfter(wait)` | `WrongCredential` |
    /// | busy | `RetryAfter(None)` | `WrongCredential` |
    /// | disabled | `WrongCredential` | `WrongCredential` |
    ///
    /// `wait` is the time from `now` to the lock's end, `None` for a lock only an
    /// administrator ends. Under `AsWrongCredential` an address that its own throttle
    /// refuses gets that same answer for every user name, locked or not, existing or
    /// not; any other refusal is a wrong credential, busy included.
    ///
    /// ```
    /// use account_lockout::{Answer, Disclosure, Duration, GuardDecision, Instant, Rejection, Scope};
    ///
    /// let now = Instant::from_secs(100);
    /// let locked = Rejection::Locked { unlock_at: Some(Instant::from_secs(160)) };
    /// let user = GuardDecision::Rejected { scope: Scope::User, rejection: locked, source: None };
    /// let source = GuardDecision::Rejected { scope: Scope::Source, rejection: locked, source: Some(locked) };
    /// let wait = Answer::RetryAfter(Some(Duration::from_secs(60)));
    /// assert_eq!(user.answer(Disclosure::Full, now), wait);
    /// assert_eq!(user.answer(Disclosure::AsWrongCredential, now), Answer::WrongCredential);
    /// assert_eq!(source.answer(Disclosure::AsWrongCredential, now), wait);
    ///
    /// // A user locked longer than the address's throttle: the address is told only of
    /// // its throttle, as for any other user.
    /// let longer = Rejection::Locked { unlock_at: Some(Instant::from_secs(1_000)) };
    /// let both = GuardDecision::Rejected { scope: Scope::User, rejection: longer, source: Some(locked) };
    /// assert_eq!(both.answer(Disclosure::AsWrongCredential, now), wait);
    /// ```
    #[must_use]
    pub fn answer(self, disclosure: Disclosure, now: Instant) -> Answer {
        let GuardDecision::Rejected {
            rejection, source, ..
        } = self
        else {
            return Answer::Verify;
        };
        match (disclosure, source, rejection) {
            (Disclosure::AsWrongCredential, Some(source), _) => {
                Answer::RetryAfter(source.unlock_in(now))
            }
            (Disclosure::AsWrongCredential, None, _)
            | (Disclosure::Full, _, Rejection::Disabled) => Answer::WrongCredential,
            (Disclosure::Full, _, _) => Answer::RetryAfter(rejection.unlock_in(now)),
        }
    }
}
