//! What an operation did: the decision, the failures left, and the transitions, so a
//! host can answer the user and write an audit log.

use crate::time::{Duration, Instant};

/// Why an account is locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LockCause {
    /// The policy's count.
    Policy,
    /// The policy's quick-failure throttling ([`crate::QuickFailure`]). Its end never
    /// restarts the count.
    QuickFailure,
    /// The consecutive-failure cap (`maxConsecutiveFailures`).
    ConsecutiveFailures,
    /// An administrator.
    Administrator,
}

impl LockCause {
    /// The JSON name of the cause.
    pub const fn as_str(self) -> &'static str {
        match self {
            LockCause::Policy => "policy",
            LockCause::QuickFailure => "quickFailure",
            LockCause::ConsecutiveFailures => "consecutiveFailures",
            LockCause::Administrator => "administrator",
        }
    }

    /// Whether an attempt, not an administrator, started the lock.
    pub const fn is_automatic(self) -> bool {
        !matches!(self, LockCause::Administrator)
    }
}

/// How a lock ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum UnlockCause {
    /// Its deadline passed.
    Expired,
    /// An administrator ended it (unlock, `status: "OK"`, or `canAuthenticate: true`).
    Administrator,
}

impl UnlockCause {
    /// The JSON name of the cause.
    pub const fn as_str(self) -> &'static str {
        match self {
            UnlockCause::Expired => "expired",
            UnlockCause::Administrator => "administrator",
        }
    }
}

/// Why an attempt was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rejection {
    /// The account is locked.
    Locked {
        /// When the lock ends by itself; `None`: only an administrator ends it.
        unlock_at: Option<Instant>,
        /// How long until then.
        unlock_in: Option<Duration>,
    },
    /// The user is disabled (reported even when the account is also locked, since
    /// waiting for the lock to end would not help).
    Disabled,
    /// [`crate::Account::begin_attempt`] only: the attempts in flight already use the
    /// lock's whole budget, or the policy's `maxAttemptsInFlight`. Try again when one
    /// finishes; no retry time is known.
    Busy,
}

impl Rejection {
    /// The reason's JSON name: `locked`, `disabled` or `busy`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rejection::Locked { .. } => "locked",
            Rejection::Disabled => "disabled",
            Rejection::Busy => "busy",
        }
    }
}

/// Whether an attempt was allowed when it arrived ([behaviour §3](crate::behaviour#s3)).
///
/// It describes the attempt, not the account after it: the failure that locks an account
/// was allowed (and counted); the lock it started is in the transitions and the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decision {
    /// The account could authenticate: a failure was counted (or ignored as repeated), a
    /// success applied, or (for `check`) the user may try.
    Allowed,
    /// The attempt was rejected: not counted, nothing changed.
    Rejected(Rejection),
}

impl Decision {
    /// Whether the attempt was allowed.
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed)
    }
}

/// One change an operation made, for audit logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Transition {
    /// A failure was counted; `failures` is the policy's count after it.
    Counted {
        /// The failure count after this failure.
        failures: u32,
    },
    /// A failure repeated a remembered credential and was ignored.
    IgnoredRepeated,
    /// The account went from `OK` to `LOCKED`.
    Locked {
        /// When (`lockedAt`).
        at: Instant,
        /// When it ends by itself; `None`: only an administrator ends it.
        until: Option<Instant>,
        /// Why.
        cause: LockCause,
    },
    /// The account stayed locked, but the lock changed: an administrator took over an
    /// automatic lock, or changed the deadline of theirs.
    LockChanged {
        /// The new deadline; `None`: only an administrator ends it.
        until: Option<Instant>,
        /// The cause from now on.
        cause: LockCause,
    },
    /// The account went from `LOCKED` to `OK`.
    Unlocked {
        /// When it really happened: the deadline for an expired lock (even if noticed
        /// later), the operation's `now` for an administrator.
        at: Instant,
        /// How.
        cause: UnlockCause,
    },
    /// The user was disabled.
    Disabled,
    /// The user was enabled.
    Enabled,
}

/// The most transitions one operation lists: an expiry noticed, then at most three
/// changes (a patch that enables and unlocks, or a failure counted and locking). Attempts
/// in flight that time out add theirs ([behaviour §7.1](crate::behaviour#s7-1)): an operation that observes several, or
/// a `recover` of several, may cause more, and lists only the first four; every one of
/// them is applied all the same.
pub const MAX_TRANSITIONS: usize = 4;

/// The transitions of one operation, in the order they happened. Fixed size, `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transitions {
    items: [Option<Transition>; MAX_TRANSITIONS],
}

impl Transitions {
    /// No transitions.
    pub const NONE: Transitions = Transitions {
        items: [None; MAX_TRANSITIONS],
    };

    pub(crate) fn push(&mut self, transition: Transition) {
        // Every operation path pushes at most MAX_TRANSITIONS items (see the constant);
        // were that ever wrong, the extra item is dropped rather than panicking.
        if let Some(slot) = self.items.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(transition);
        }
    }

    /// The transitions, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Transition> {
        self.items.iter().map_while(Option::as_ref)
    }

    /// How many transitions there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.first().is_none_or(Option::is_none)
    }
}

impl<'a> IntoIterator for &'a Transitions {
    type Item = &'a Transition;
    type IntoIter = core::iter::MapWhile<
        core::slice::Iter<'a, Option<Transition>>,
        fn(&'a Option<Transition>) -> Option<&'a Transition>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter().map_while(Option::as_ref)
    }
}

/// What an operation did.
///
/// For an attempt (`check`, `failure`, `success`), `decision` is set; for an
/// administrator operation it is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Outcome {
    /// Allowed or rejected (attempts only).
    pub decision: Option<Decision>,
    /// How many more counted failures, made now, would lock the account, less the
    /// attempts in flight ([behaviour §7.6](crate::behaviour#s7-6): the budget, by the threshold, the length table,
    /// the quick-failure rule and the consecutive-failure cap); `None` when the account
    /// cannot count now (locked or disabled) or no number of failures locks it.
    pub failures_remaining: Option<u32>,
    /// The changes, in order.
    pub transitions: Transitions,
}

impl serde::Serialize for Transition {
    /// An object tagged by `type`, dates in RFC 3339, for audit logs:
    /// `{"type":"locked","at":"…","until":"…","cause":"policy"}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;

        let (kind, fields) = match self {
            Transition::Counted { .. } => ("counted", 2),
            Transition::IgnoredRepeated => ("ignoredRepeated", 1),
            Transition::Locked { until, .. } => (
                "locked",
                3_usize.saturating_add(usize::from(until.is_some())),
            ),
            Transition::LockChanged { until, .. } => (
                "lockChanged",
                2_usize.saturating_add(usize::from(until.is_some())),
            ),
            Transition::Unlocked { .. } => ("unlocked", 3),
            Transition::Disabled => ("disabled", 1),
            Transition::Enabled => ("enabled", 1),
        };
        let mut object = serializer.serialize_struct("transition", fields)?;
        object.serialize_field("type", kind)?;
        match *self {
            Transition::Counted { failures } => object.serialize_field("failures", &failures)?,
            Transition::Locked { at, until, cause } => {
                object.serialize_field("at", at.to_rfc3339().as_str())?;
                if let Some(until) = until {
                    object.serialize_field("until", until.to_rfc3339().as_str())?;
                }
                object.serialize_field("cause", cause.as_str())?;
            }
            Transition::LockChanged { until, cause } => {
                if let Some(until) = until {
                    object.serialize_field("until", until.to_rfc3339().as_str())?;
                }
                object.serialize_field("cause", cause.as_str())?;
            }
            Transition::Unlocked { at, cause } => {
                object.serialize_field("at", at.to_rfc3339().as_str())?;
                object.serialize_field("cause", cause.as_str())?;
            }
            Transition::IgnoredRepeated | Transition::Disabled | Transition::Enabled => {}
        }
        object.end()
    }
}

impl serde::Serialize for Transitions {
    /// A JSON array of [`Transition`]s.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}
